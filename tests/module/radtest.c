/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test-side pieces for rlm_acme_rats (see radtest.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <signal.h>
#include <sys/wait.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "radtest.h"
#include "b64.h"
#include "cmw.h"
#include "ear.h"
#include "fileio.h"
#include "x509.h"

extern char **environ;

/* ---- The CA and its account ------------------------------------------- */

static int write_file(const char *dir, const char *name, const char *text, char *path,
		      size_t size)
{
	snprintf(path, size, "%s/%s", dir, name);
	return ar_file_write_atomic(path, text, strlen(text), 0600, NULL);
}

static int new_account(enroll_env_t *e)
{
	json_t *p = json_pack("{s:b}", "termsOfServiceAgreed", 1);
	httpc_resp_t r;
	int rc;

	if (acmec_init(&e->c, e->ca.base, e->ca.cafile, e->account) < 0)
		return -1;
	json_object_set_new(p, "externalAccountBinding",
			    catest_eab(&e->c, "kid-substation-1",
				       catest_eab_hmac(e->eab, "kid-substation-1")));
	rc = acmec_post(&e->c, acmec_url(&e->c, "newAccount"), p, 1, NULL, &r);
	json_decref(p);
	if (rc < 0)
		return -1;
	snprintf(e->c.kid, sizeof(e->c.kid), "%s", r.location);
	rc = r.status == 201 || r.status == 200 ? 0 : -1;
	httpc_free(&r);
	return rc;
}

int enroll_setup(enroll_env_t *e)
{
	char path[300], extra[1024], keys_path[300];
	json_t *keys;
	char *text, *pem;
	int rc;

	memset(e, 0, sizeof(*e));
	if (lab_init() < 0 || lab_redis_start(&e->redis) < 0 || lab_tmpdir(e->dir, sizeof(e->dir)) < 0)
		return -1;
	e->vkey = ar_jwk_generate("ES256", NULL);
	e->account = ar_jwk_generate("ES256", NULL);
	e->device = ar_jwk_generate("ES256", NULL);
	if (!e->vkey || !e->account || !e->device)
		return -1;
	/* The CA pins the verifier's public key. */
	keys = json_pack("{s:[o]}", "keys", ar_jwk_public_json(e->vkey));
	text = json_dumps(keys, 0);
	json_decref(keys);
	rc = write_file(e->dir, "verifier-keys.json", text, keys_path, sizeof(keys_path));
	free(text);
	/* Results may be old (the grace tests enroll with old ones). */
	if (rc < 0 || write_file(e->dir, "policy.json", "{\"min_status\": \"affirming\", "
				 "\"max_age\": 172800, \"require_key_binding\": true}", path,
				 sizeof(path)) < 0)
		return -1;
	snprintf(extra, sizeof(extra), "[profile \"substation\"]\nidentifiers = permanent-identifier\n"
		 "attest = any\npolicy = %s\nverifier_keys = %s\n", path, keys_path);
	if (write_file(e->dir, "profiles.conf", extra, path, sizeof(path)) < 0)
		return -1;
	setenv("MKCA_EXTRA", path, 1);
	setenv("MKCA_EAB_PROFILE", "substation", 1);
	if (catest_start_ca(&e->ca, e->redis.port, "no") < 0)
		return -1;
	{
		ar_store_opts_t so = { .host = "127.0.0.1", .port = e->redis.port,
				       .command_timeout_ms = 2000 };

		if (!(e->st = ar_store_open(&so, NULL)))
			return -1;
	}
	pem = ar_jwk_to_pem(e->device, 1, NULL);
	rc = pem ? write_file(e->dir, "device.key", pem, e->device_key, sizeof(e->device_key)) : -1;
	free(pem);
	e->eab = catest_eab_keys(&e->ca);
	return rc == 0 && e->eab ? new_account(e) : -1;
}

void enroll_teardown(enroll_env_t *e)
{
	acmec_free(&e->c);
	ar_store_close(e->st);
	catest_stop_ca(&e->ca);
	lab_redis_stop(&e->redis);
	if (e->dir[0])
		lab_rmtree(e->dir);
	json_decref(e->eab);
	ar_jwk_free(e->vkey);
	ar_jwk_free(e->account);
	ar_jwk_free(e->device);
}

static json_t *post(enroll_env_t *e, const char *url, const json_t *payload, char *location,
		    size_t locsize, httpc_resp_t *keep)
{
	httpc_resp_t r;
	json_t *j;

	if (acmec_post(&e->c, url, payload, 0, NULL, &r) < 0)
		return NULL;
	if (r.status >= 300) {
		fprintf(stderr, "# %s: %ld %s\n", url, r.status, r.body ? r.body : "");
		httpc_free(&r);
		return NULL;
	}
	if (location)
		snprintf(location, locsize, "%s", r.location);
	j = json_loads(r.body ? r.body : "null", JSON_DECODE_ANY, NULL);
	if (keep)
		*keep = r;
	else
		httpc_free(&r);
	return j;
}

/* The EAR a verifier would have issued for @device's key and @nonce at @iat. */
static json_t *passport(enroll_env_t *e, const char *device, const char *nonce, int64_t iat)
{
	ar_ear_t ear;
	json_t *cmw;
	char *jwt;
	int i;

	memset(&ear, 0, sizeof(ear));
	ear.profile = AR_EAR_PROFILE_VERAISON;
	ear.iat = iat;
	snprintf(ear.nonce, sizeof(ear.nonce), "%s", nonce);
	snprintf(ear.verifier_developer, sizeof(ear.verifier_developer), "acme-rats-verifier");
	snprintf(ear.verifier_build, sizeof(ear.verifier_build), "test");
	snprintf(ear.jkt, sizeof(ear.jkt), "%s", ar_jwk_thumbprint(e->device));
	snprintf(ear.subject, sizeof(ear.subject), "%s", device);
	ear.nsubmods = 1;
	snprintf(ear.submods[0].name, sizeof(ear.submods[0].name), "device");
	ear.submods[0].status = AR_STATUS_AFFIRMING;
	for (i = 0; i < 5; i++)
		ear.submods[0].tv.v[i] = 2;
	jwt = ar_ear_sign(&ear, e->vkey, NULL);
	if (!jwt)
		return NULL;
	cmw = ar_cmw_record(AR_MT_EAR, jwt, strlen(jwt), AR_CMW_IND_RESULTS);
	free(jwt);
	return cmw;
}

/* Win every remote-attest-01 challenge of the order's authorizations. */
static int attest(enroll_env_t *e, const json_t *order, const char *device, int64_t iat)
{
	const json_t *auths = json_object_get(order, "authorizations");
	size_t i, j;

	for (i = 0; i < json_array_size(auths); i++) {
		json_t *a = post(e, json_string_value(json_array_get(auths, i)), NULL, NULL, 0, NULL);
		const json_t *chs = json_object_get(a, "challenges");

		for (j = 0; j < json_array_size(chs); j++) {
			const json_t *ch = json_array_get(chs, j);
			json_t *cmw, *res;

			if (strcmp(json_string_value(json_object_get(ch, "type")), "remote-attest-01"))
				continue;
			cmw = passport(e, device, json_string_value(json_object_get(ch, "freshness_nonce")),
				       iat);
			res = cmw ? post(e, json_string_value(json_object_get(ch, "url")), cmw, NULL, 0,
					 NULL) : NULL;
			json_decref(cmw);
			if (!res || strcmp(json_string_value(json_object_get(res, "status")), "valid")) {
				json_decref(res);
				json_decref(a);
				return -1;
			}
			json_decref(res);
		}
		json_decref(a);
	}
	return 0;
}

/* base64url DER of a CSR for the device key naming @device (openssl req). */
static char *csr_for(enroll_env_t *e, const char *device)
{
	char cnf[300], der_path[300], text[512], *der, *b64 = NULL;
	size_t len;

	snprintf(text, sizeof(text), "[req]\ndistinguished_name = dn\nprompt = no\nreq_extensions = x\n"
		 "[dn]\nO = acme-rats module test\n[x]\nsubjectAltName = "
		 "otherName:1.3.6.1.5.5.7.8.3;SEQUENCE:pi\n[pi]\nvalue = UTF8:%s\n", device);
	if (write_file(e->dir, "csr.cnf", text, cnf, sizeof(cnf)) < 0)
		return NULL;
	snprintf(der_path, sizeof(der_path), "%s/csr.der", e->dir);
	{
		char *argv[] = { "/usr/bin/openssl", "req", "-new", "-key", e->device_key, "-config", cnf,
				 "-outform", "DER", "-out", der_path, NULL };

		if (catest_run(argv) != 0)
			return NULL;
	}
	if (ar_file_read(der_path, AR_CSR_MAX_DER, &der, &len, NULL) < 0)
		return NULL;
	b64 = ar_b64url_encode_alloc(der, len);
	free(der);
	return b64;
}

static int write_cert(X509 *cert, const char *path)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long len;
	int rc = -1;

	if (bio && PEM_write_bio_X509(bio, cert) == 1) {
		len = BIO_get_mem_data(bio, &data);
		rc = ar_file_write_atomic(path, data, (size_t)len, 0644, NULL);
	}
	BIO_free(bio);
	return rc;
}

X509 *enroll_cert(enroll_env_t *e, const char *device, int64_t iat, const char *replaces,
		  const char *pem_path)
{
	json_t *p = json_pack("{s:[{s:s,s:s}]}", "identifiers", "type", "permanent-identifier",
			      "value", device), *order = NULL, *fin = NULL;
	char order_url[600], url[700], *csr = NULL;
	httpc_resp_t r = { 0 };
	X509 *cert = NULL;
	BIO *bio;

	if (replaces)
		json_object_set_new(p, "replaces", json_string(replaces));
	order = post(e, acmec_url(&e->c, "newOrder"), p, order_url, sizeof(order_url), NULL);
	json_decref(p);
	if (!order || attest(e, order, device, iat) < 0 || !(csr = csr_for(e, device)))
		goto out;
	p = json_pack("{s:s}", "csr", csr);
	snprintf(url, sizeof(url), "%s/finalize", order_url);
	fin = post(e, url, p, NULL, 0, NULL);
	json_decref(p);
	if (!fin || !json_is_string(json_object_get(fin, "certificate")))
		goto out;
	json_decref(post(e, json_string_value(json_object_get(fin, "certificate")), NULL, NULL, 0, &r));
	bio = BIO_new_mem_buf(r.body, (int)r.len);
	cert = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	if (cert && write_cert(cert, pem_path) < 0) {
		X509_free(cert);
		cert = NULL;
	}
	httpc_free(&r);
out:
	json_decref(order);
	json_decref(fin);
	free(csr);
	return cert;
}

int enroll_revoke(enroll_env_t *e, X509 *cert)
{
	unsigned char *der = NULL;
	int len = i2d_X509(cert, &der);
	char *b64 = len > 0 ? ar_b64url_encode_alloc(der, (size_t)len) : NULL;
	json_t *p = json_pack("{s:s,s:i}", "certificate", b64 ? b64 : "", "reason", 4);
	httpc_resp_t r;
	int rc = -1;

	if (b64 && acmec_post(&e->c, acmec_url(&e->c, "revokeCert"), p, 0, NULL, &r) == 0) {
		rc = r.status == 200 ? 0 : -1;
		httpc_free(&r);
	}
	json_decref(p);
	free(b64);
	OPENSSL_free(der);
	return rc;
}

/* ---- Certificates the CA would not issue -------------------------------- */

int mint_other_ca(const char *dir)
{
	char key[300], crt[300];
	char *gen[] = { "/usr/bin/openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
			"ec_paramgen_curve:P-256", "-out", key, NULL };
	char *req[] = { "/usr/bin/openssl", "req", "-x509", "-new", "-key", key, "-days", "2", "-subj",
			"/CN=another enterprise CA", "-addext", "basicConstraints=critical,CA:TRUE",
			"-addext", "keyUsage=critical,keyCertSign", "-addext",
			"subjectKeyIdentifier=hash", "-out", crt, NULL };

	snprintf(key, sizeof(key), "%s/issuer.key", dir);
	snprintf(crt, sizeof(crt), "%s/issuer.crt", dir);
	return catest_run(gen) == 0 && catest_run(req) == 0 ? 0 : -1;
}

static X509 *load_x509(const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *x = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;

	if (f)
		fclose(f);
	return x;
}

/* Replace the attestation extension with raw bytes and sign again. */
static int put_raw_ext(X509 *cert, EVP_PKEY *key, const unsigned char *raw, size_t len)
{
	ASN1_OBJECT *oid = OBJ_txt2obj(AR_CERTEXT_OID, 1);
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	X509_EXTENSION *x = NULL;
	int rc = -1, i;

	if (!oid || !os || ASN1_OCTET_STRING_set(os, raw, (int)len) != 1)
		goto out;
	while ((i = X509_get_ext_by_OBJ(cert, oid, -1)) >= 0)
		X509_EXTENSION_free(X509_delete_ext(cert, i));
	x = X509_EXTENSION_create_by_OBJ(NULL, oid, 0, os);
	if (x && X509_add_ext(cert, x, -1) == 1 && X509_sign(cert, key, EVP_sha256()) > 0)
		rc = 0;
out:
	X509_EXTENSION_free(x);
	ASN1_OCTET_STRING_free(os);
	ASN1_OBJECT_free(oid);
	return rc;
}

int mint_cert(enroll_env_t *e, const mint_spec_t *spec, const char *pem_path)
{
	char crt[300], key[300], *csr = csr_for(e, "SUB-0042");
	size_t dlen = 0;
	unsigned char *der = NULL;
	ar_csr_t *req = NULL;
	ar_csr_info_t info;
	ar_issue_params_t ip;
	ar_jwk_t *issuer_key;
	X509 *cert = NULL;
	int rc = -1;

	memset(&ip, 0, sizeof(ip));
	snprintf(crt, sizeof(crt), "%s/issuer.crt", spec->issuer_dir ? spec->issuer_dir : e->ca.dir);
	snprintf(key, sizeof(key), "%s/issuer.key", spec->issuer_dir ? spec->issuer_dir : e->ca.dir);
	ip.issuer_cert = load_x509(crt);
	issuer_key = ar_jwk_load_pem(key, NULL);
	ip.issuer_key = issuer_key ? ar_jwk_pkey(issuer_key) : NULL;
	ip.not_before = spec->not_before;
	ip.lifetime_s = spec->lifetime_s;
	ip.attestation = spec->ext;
	if (!csr || !ip.issuer_cert || !ip.issuer_key ||
	    !(der = ar_b64url_decode_alloc(csr, strlen(csr), &dlen, NULL)) ||
	    !(req = ar_csr_parse_der(der, dlen, NULL)) || ar_csr_check(req, &info, NULL) < 0 ||
	    !(cert = ar_issue_cert(req, &info, &ip, NULL)))
		goto out;
	if (spec->raw_ext && put_raw_ext(cert, ip.issuer_key, spec->raw_ext, spec->raw_ext_len) < 0)
		goto out;
	rc = write_cert(cert, pem_path);
out:
	X509_free(cert);
	ar_csr_free(req);
	X509_free(ip.issuer_cert);
	ar_jwk_free(issuer_key);
	free(der);
	free(csr);
	return rc;
}

void cert_serial_hex(X509 *cert, char *out, size_t size)
{
	if (ar_cert_ids(cert, NULL, 0, out, size, NULL) < 0)
		snprintf(out, size, "?");
}

/* ---- FreeRADIUS and eapol_test ------------------------------------------ */

int rad_start(rad_proc_t *r, const enroll_env_t *e, const char *const *settings,
	      const char *memcheck_log, int quiet)
{
	char script[512], moddir[512], auth[16], acct[16], redis[16], log[300];
	int i;

	memset(r, 0, sizeof(*r));
	snprintf(r->raddb, sizeof(r->raddb), "%s/raddb", e->dir);
	snprintf(r->log, sizeof(r->log), "%s/radiusd-%lld.log", e->dir, (long long)lab_now_ms());
	r->auth_port = lab_free_port();
	do
		r->acct_port = lab_free_port();
	while (r->acct_port == r->auth_port);
	snprintf(auth, sizeof(auth), "%d", r->auth_port);
	snprintf(acct, sizeof(acct), "%d", r->acct_port);
	snprintf(redis, sizeof(redis), "%d", e->redis.port);
	snprintf(script, sizeof(script), "%s/tests/fixtures/mkraddb", catest_top("AR_TOP_SRCDIR"));
	snprintf(moddir, sizeof(moddir), "%s/rlm_acme_rats/.libs", catest_top("AR_TOP_BUILDDIR"));
	for (i = 0; settings && settings[i]; i++)
		putenv((char *)settings[i]);
	{
		char *argv[] = { script, r->raddb, (char *)catest_top("AR_TOP_SRCDIR"), moddir, auth, acct,
				 redis, (char *)e->ca.dir, NULL };

		i = catest_run(argv);
	}
	for (int k = 0; settings && settings[k]; k++) {
		char name[64];

		snprintf(name, sizeof(name), "%.*s", (int)strcspn(settings[k], "="), settings[k]);
		unsetenv(name);
	}
	if (i != 0)
		return -1;
	snprintf(log, sizeof(log), "%s", r->log);
	if (memcheck_log) {
		char vlog[320];
		char *argv[] = { "/usr/bin/valgrind", "--tool=memcheck", "--leak-check=no",
				 "--num-callers=30", vlog, "/usr/sbin/freeradius", "-X", "-d", r->raddb,
				 NULL };

		snprintf(vlog, sizeof(vlog), "--log-file=%s", memcheck_log);
		r->pid = lab_spawn(argv, log);
	} else if (getenv("AR_RAD_CALLGRIND")) {
		/* Instruction counts (bench): callgrind, collecting once started. */
		char out[600];
		char *argv[] = { "/usr/bin/valgrind", "--tool=callgrind", "--instr-atstart=no", out,
				 "/usr/sbin/freeradius", "-f", "-d", r->raddb, "-lstdout", NULL };

		snprintf(out, sizeof(out), "--callgrind-out-file=%s.%%p", getenv("AR_RAD_CALLGRIND"));
		r->pid = lab_spawn(argv, log);
		memcheck_log = log;	/* the longer start-up wait below */
	} else {
		/* quiet: normal logging (decision lines), no debug output. */
		char *argv[] = { "/usr/sbin/freeradius", quiet ? "-f" : "-X", "-d", r->raddb,
				 quiet ? "-lstdout" : NULL, NULL };

		r->pid = lab_spawn(argv, log);
	}
	if (r->pid <= 0)
		return -1;
	{
		char *text = rad_log_since(r, "Ready to process requests", memcheck_log ? 60000 : 15000);
		int ok = text && strstr(text, "Ready to process requests");

		if (!ok)
			fprintf(stderr, "# freeradius did not start; see %s\n", r->log);
		if (ok && getenv("AR_RAD_CALLGRIND")) {
			char pid[16];
			char *argv[] = { "/usr/bin/callgrind_control", "-i", "on", pid, NULL };

			snprintf(pid, sizeof(pid), "%d", (int)r->pid);
			ok = catest_run(argv) == 0;
		}
		free(text);
		return ok ? 0 : -1;
	}
}

void rad_stop(rad_proc_t *r)
{
	if (r->pid > 0)
		lab_stop(r->pid, 5000);
	r->pid = 0;
}

char *rad_log_since(rad_proc_t *r, const char *needle, int wait_ms)
{
	int64_t end = lab_now_ms() + wait_ms;
	char *all = NULL, *out;
	size_t len = 0;

	for (;;) {
		free(all);
		all = NULL;
		if (ar_file_read(r->log, 64 << 20, &all, &len, NULL) < 0)
			len = 0;
		if (!needle || (all && (size_t)r->log_off <= len && strstr(all + r->log_off, needle)) ||
		    lab_now_ms() >= end)
			break;
		lab_sleep_ms(20);
	}
	if (!all || (size_t)r->log_off > len) {
		free(all);
		return strdup("");
	}
	out = strdup(all + r->log_off);
	r->log_off = (long)len;
	free(all);
	return out;
}

/* Run @argv to completion (eapol_test bounds itself with -t) with stdout
 * and stderr in @path; its exit status, or -1. */
static int run_to_file(char *const argv[], const char *path)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int st, rc;

	if (posix_spawn_file_actions_init(&fa) != 0)
		return -1;
	rc = posix_spawn_file_actions_addopen(&fa, 1, path, O_WRONLY | O_CREAT | O_TRUNC, 0600) ||
	     posix_spawn_file_actions_adddup2(&fa, 1, 2) ||
	     posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc)
		return -1;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* eapol_test's configuration and arguments for one run. */
typedef struct eap_run {
	char	conf[300], port[16], nas_id[64], sess[128], outpath[300];
	char	*argv[12];
} eap_run_t;

static int eap_prepare(eap_run_t *run, const rad_proc_t *r, const enroll_env_t *e,
		       const char *cert_pem, const char *acct_session, const char *extra_args)
{
	char text[1024], key[300];
	size_t n = strlen(cert_pem);

	/* A certificate with a key of its own beside it (NAME.key for NAME.pem). */
	snprintf(key, sizeof(key), "%.*s.key", (int)(n > 4 ? n - 4 : n), cert_pem);
	if (n <= 4 || strcmp(cert_pem + n - 4, ".pem") || access(key, R_OK) != 0)
		snprintf(key, sizeof(key), "%s", e->device_key);
	snprintf(text, sizeof(text), "network={\n\tkey_mgmt=WPA-EAP\n\teap=TLS\n\tidentity=\"SUB-0042\"\n"
		 "\tca_cert=\"%s/ca.crt\"\n\tclient_cert=\"%s\"\n\tprivate_key=\"%s\"\n"
		 "\teapol_flags=0\n%s}\n", e->ca.dir, cert_pem, key,
		 r->tls13 ? "\tphase1=\"tls_disable_tlsv1_3=0\"\n" : "");
	if (write_file(e->dir, "eapol.conf", text, run->conf, sizeof(run->conf)) < 0)
		return -1;
	snprintf(run->port, sizeof(run->port), "-p%d", r->auth_port);
	snprintf(run->nas_id, sizeof(run->nas_id), "-N32:s:ap-substation-7");
	snprintf(run->sess, sizeof(run->sess), "-N44:s:%s", acct_session);
	snprintf(run->outpath, sizeof(run->outpath), "%s/eapol.out", e->dir);
	unlink(run->outpath);
	{
		char *argv[] = { "/usr/bin/eapol_test", "-c", run->conf, "-a127.0.0.1", run->port,
				 "-stesting123", "-t10", run->nas_id, run->sess,
				 (char *)(extra_args ? extra_args : "-t10"), NULL };

		memcpy(run->argv, argv, sizeof(argv));
	}
	return 0;
}

/* Start @argv with stdout and stderr in @path; its pid, or -1. */
static pid_t spawn_to_file(char *const argv[], const char *path)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int rc;

	if (posix_spawn_file_actions_init(&fa) != 0)
		return -1;
	rc = posix_spawn_file_actions_addopen(&fa, 1, path, O_WRONLY | O_CREAT | O_TRUNC, 0600) ||
	     posix_spawn_file_actions_adddup2(&fa, 1, 2) ||
	     posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	return rc ? -1 : pid;
}

static int wait_exit(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void read_output(const char *path, char *out, size_t outsize)
{
	char *res;
	size_t len;

	out[0] = '\0';
	if (ar_file_read(path, 1 << 22, &res, &len, NULL) == 0) {
		/* The end holds the outcome: keep it when the output is longer. */
		snprintf(out, outsize, "%s", len >= outsize ? res + len - (outsize - 1) : res);
		free(res);
	}
}

int rad_eap(const rad_proc_t *r, const enroll_env_t *e, const char *cert_pem,
	    const char *acct_session, const char *extra_args, char *out, size_t outsize)
{
	eap_run_t run;
	pid_t pid;
	int rc;

	if (eap_prepare(&run, r, e, cert_pem, acct_session, extra_args) < 0)
		return -1;
	pid = spawn_to_file(run.argv, run.outpath);
	rc = pid > 0 ? wait_exit(pid) : -1;
	read_output(run.outpath, out, outsize);
	return rc;
}

int rad_eap_between(const rad_proc_t *r, const enroll_env_t *e, const char *cert_pem,
		    const char *acct_session, void (*between)(void *), void *arg, char *out,
		    size_t outsize)
{
	int64_t deadline = lab_now_ms() + 15000;
	eap_run_t run;
	pid_t pid;
	int rc, stopped = 0;

	if (eap_prepare(&run, r, e, cert_pem, acct_session, "-r1") < 0 ||
	    (pid = spawn_to_file(run.argv, run.outpath)) <= 0)
		return -1;
	/* The first Access-Accept: the module has recorded the session just before. */
	while (lab_now_ms() < deadline) {
		ar_store_session_t *ss = NULL;
		size_t n = 0, i;
		int found = 0;

		if (ar_store_session_list(e->st, "SUB-0042", &ss, &n, NULL) == 0)
			for (i = 0; i < n; i++)
				found |= !strcmp(ss[i].acct_session_id, acct_session);
		free(ss);
		if (found) {
			stopped = kill(pid, SIGSTOP) == 0;
			break;
		}
		lab_sleep_ms(1);
	}
	between(arg);
	if (stopped)
		kill(pid, SIGCONT);
	rc = wait_exit(pid);
	read_output(run.outpath, out, outsize);
	return stopped ? rc : -1;
}

int rad_pap(const rad_proc_t *r, const enroll_env_t *e, const char *user, char *out, size_t outsize)
{
	char text[512], req[300], outp[300], server[64];
	char *argv[] = { "/usr/bin/radclient", "-x", "-r", "1", "-t", "5", "-f", req, server, "auth",
			 "testing123", NULL };
	char *buf = NULL;
	size_t len = 0;
	int rc;

	snprintf(text, sizeof(text), "User-Name = \"%s\"\nUser-Password = \"not-a-certificate\"\n"
		 "NAS-IP-Address = 127.0.0.1\nNAS-Identifier = \"ap-substation-7\"\n", user);
	if (write_file(e->dir, "pap.txt", text, req, sizeof(req)) < 0)
		return -1;
	snprintf(server, sizeof(server), "127.0.0.1:%d", r->auth_port);
	snprintf(outp, sizeof(outp), "%s/radclient-pap.out", e->dir);
	rc = run_to_file(argv, outp);
	out[0] = '\0';
	if (ar_file_read(outp, 1 << 20, &buf, &len, NULL) == 0) {
		snprintf(out, outsize, "%.*s", (int)len, buf);
		free(buf);
	}
	return rc;
}

int rad_acct(const rad_proc_t *r, const enroll_env_t *e, const char *status, const char *device,
	     const char *serial, const char *acct_session)
{
	char text[1024], req[300], outp[300], server[64];

	snprintf(text, sizeof(text), "Acct-Status-Type = %s\nUser-Name = \"SUB-0042\"\n"
		 "NAS-IP-Address = 127.0.0.1\nNAS-Identifier = \"ap-substation-7\"\n"
		 "Acct-Session-Id = \"%s\"\nCalling-Station-Id = \"02-00-00-00-00-01\"\n"
		 "Class = \"acme-rats:%s:%s\"\n", status, acct_session, device, serial);
	if (write_file(e->dir, "acct.txt", text, req, sizeof(req)) < 0)
		return -1;
	snprintf(server, sizeof(server), "127.0.0.1:%d", r->acct_port);
	snprintf(outp, sizeof(outp), "%s/radclient.out", e->dir);
	{
		char *argv[] = { "/usr/bin/radclient", "-r", "1", "-t", "5", "-f", req, server, "acct",
				 "testing123", NULL };

		return run_to_file(argv, outp);
	}
}
