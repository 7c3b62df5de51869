/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * remote-attest-01, passport model, end to end: a device attests to the real
 * acme-rats-verifier with the challenge's freshness_nonce and posts the EAR
 * (in a CMW) to the real acme-rats-ca; Redis is real too.
 */
#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "lab/lab.h"
#include "acmec.h"
#include "acme_jws.h"
#include "catest.h"
#include "evfix.h"
#include "cmw.h"
#include "evidence.h"
#include "evidence_jws.h"
#include "fileio.h"
#include "jwe.h"
#include "b64.h"
#include "certext.h"
#include "store.h"
#include "x509.h"
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <hiredis/hiredis.h>

static struct {
	lab_redis_t	redis;
	lab_redis_t	replica;	/* the CA waits for it: min_replicas_ack = 1 */
	ca_proc_t	ca;
	char		vdir[256];
	char		vbase[128];
	char		vca[300];
	pid_t		vpid;
	int		vmport;		/* the verifier's metrics listener */
	json_t		*eab_keys;
	ar_jwk_t	*account_key;
	ar_jwk_t	*device_key;
	acmec_t		c;
} t;

#define expect_problem catest_expect_problem
#define METRICS_TOKEN	"scrape-7c1e9a0d4b"
/* The CA's validation_timeout here, and in milliseconds. */
#define RELAY_TIMEOUT_TEXT	"4s"
#define RELAY_TIMEOUT_MS	4000
/* The CA's replica_ack_timeout, and in milliseconds. */
#define ACK_TIMEOUT_TEXT	"400ms"
#define ACK_TIMEOUT_MS		400

static int start_verifier(void)
{
	char script[512], bin[512], conf[300], log[300], port[16], rport[16], path[300];
	int vport = lab_free_port();
	httpc_req_t req = { "GET", NULL, NULL, NULL, NULL, NULL, 0 };
	char url[256];
	httpc_resp_t r;
	int rc;

	if (lab_tmpdir(t.vdir, sizeof(t.vdir)) < 0)
		return -1;
	snprintf(port, sizeof(port), "%d", vport);
	snprintf(rport, sizeof(rport), "%d", t.redis.port);
	snprintf(script, sizeof(script), "%s/tests/fixtures/mkverifier", catest_top("AR_TOP_SRCDIR"));
	{
		char *argv[] = { script, t.vdir, port, rport, NULL };

		if (catest_run(argv) != 0)
			return -1;
	}
	snprintf(bin, sizeof(bin), "%s/verifier/acme-rats-verifier", catest_top("AR_TOP_BUILDDIR"));
	snprintf(conf, sizeof(conf), "%s/verifier.conf", t.vdir);
	/* Its metrics on a loopback listener of their own, without a token. */
	{
		char *text = NULL, *more;
		size_t len;

		t.vmport = lab_free_port();
		if (ar_file_read(conf, 1 << 16, &text, &len, NULL) < 0)
			return -1;
		more = malloc(len + 64);
		if (!more) {
			free(text);
			return -1;
		}
		len = (size_t)snprintf(more, len + 64, "%s\n[metrics]\nlisten = 127.0.0.1:%d\n", text,
				       t.vmport);
		rc = ar_file_write_atomic(conf, more, len, 0600, NULL);
		free(more);
		free(text);
		if (rc < 0)
			return -1;
	}
	snprintf(log, sizeof(log), "%s/verifier.log", t.vdir);
	{
		char *argv[] = { bin, "-c", conf, NULL };

		t.vpid = lab_spawn(argv, log);
	}
	if (t.vpid <= 0 || lab_wait_tcp(vport, 5000) < 0)
		return -1;
	snprintf(t.vbase, sizeof(t.vbase), "https://127.0.0.1:%d", vport);
	snprintf(t.vca, sizeof(t.vca), "%s/ca.crt", t.vdir);
	/* The CA pins the verifier's EAR keys: fetch them once, write them down. */
	snprintf(url, sizeof(url), "%s/challenge-response/v1/keys", t.vbase);
	req.url = url;
	req.ca_file = t.vca;
	if (httpc(&req, &r) < 0 || r.status != 200)
		return -1;
	snprintf(path, sizeof(path), "%s/verifier-keys.json", t.vdir);
	rc = ar_file_write_atomic(path, r.body, r.len, 0644, NULL);
	httpc_free(&r);
	return rc;
}

/*
 * EARs the tests mint themselves, to present exactly the claims an attack
 * needs: signed by a key the CA's profile trusts beside the verifier's.
 */
static ar_jwk_t *minter;

static int add_minter_key(void)
{
	char path[300], *text;
	json_t *set, *pub;
	size_t len;
	int rc;

	minter = ar_jwk_generate("ES256", NULL);
	snprintf(path, sizeof(path), "%s/verifier-keys.json", t.vdir);
	if (!minter || ar_file_read(path, 65536, &text, &len, NULL) < 0)
		return -1;
	set = json_loadb(text, len, 0, NULL);
	free(text);
	{
		json_t *kid = json_deep_copy(ar_jwk_json(minter));

		json_object_set_new(kid, "kid", json_string("test-minter-1"));
		ar_jwk_free(minter);
		minter = ar_jwk_parse(kid, 0, NULL);
		json_decref(kid);
	}
	pub = minter ? ar_jwk_public_json(minter) : NULL;
	if (!set || !pub || json_array_append_new(json_object_get(set, "keys"), pub) < 0) {
		json_decref(set);
		return -1;
	}
	text = json_dumps(set, 0);
	rc = text ? ar_file_write_atomic(path, text, strlen(text), 0644, NULL) : -1;
	free(text);
	json_decref(set);
	return rc;
}

static int group_setup(void **state)
{
	char extra[2048], path[512];
	const char *text;

	(void)state;
	if (lab_init() < 0 || lab_redis_start(&t.redis) < 0 || lab_redis_start(&t.replica) < 0 ||
	    lab_redis_replicate(&t.replica, &t.redis) < 0 || start_verifier() < 0 ||
	    add_minter_key() < 0)
		return -1;
	/* Issuances are acknowledged only once the replica has their records. */
	setenv("MKCA_REDIS_EXTRA", "min_replicas_ack = 1\nreplica_ack_timeout = " ACK_TIMEOUT_TEXT
	       "\non_replica_timeout = refuse", 1);
	snprintf(path, sizeof(path), "%s/policy.json", t.vdir);
	text = "{\"min_status\": \"affirming\", \"max_age\": 300, \"require_key_binding\": true}";
	if (ar_file_write_atomic(path, text, strlen(text), 0644, NULL) < 0)
		return -1;
	snprintf(extra, sizeof(extra),
		 "[profile \"substation\"]\n"
		 "identifiers = permanent-identifier\n"
		 "attest = any os_patch_level\n"
		 "posture_fresh = 12h\n"
		 "policy = %s/policy.json\n"
		 "verifier_keys = %s/verifier-keys.json\n"
		 "verifier_url = %s\n"
		 "verifier_ca = %s/ca.crt\n"
		 "[metrics]\n"
		 "token_file = %s/metrics.token\n", t.vdir, t.vdir, t.vbase, t.vdir, t.vdir);
	snprintf(path, sizeof(path), "%s/metrics.token", t.vdir);
	if (ar_file_write_atomic(path, METRICS_TOKEN "\n", strlen(METRICS_TOKEN) + 1, 0600, NULL) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/profiles.conf", t.vdir);
	if (ar_file_write_atomic(path, extra, strlen(extra), 0644, NULL) < 0)
		return -1;
	setenv("MKCA_EXTRA", path, 1);
	setenv("MKCA_EAB_PROFILE", "substation", 1);
	/* Bounds each request relaying evidence to the verifier. */
	setenv("MKCA_ACME_EXTRA", "validation_timeout = " RELAY_TIMEOUT_TEXT, 1);
	/* An issuing key that signs in milliseconds, as one in a TPM or HSM does:
	 * a deactivation can land while a certificate is being signed. */
	setenv("MKCA_ISSUER_RSA_BITS", "4096", 1);
	if (catest_start_ca(&t.ca, t.redis.port, "no") < 0)
		return -1;
	t.eab_keys = catest_eab_keys(&t.ca);
	t.account_key = ar_jwk_generate("ES256", NULL);
	t.device_key = ar_jwk_generate("ES256", NULL);
	return t.eab_keys && t.account_key && t.device_key ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	catest_stop_ca(&t.ca);
	if (t.vpid > 0)
		lab_stop(t.vpid, 3000);
	lab_rmtree(t.vdir);
	lab_redis_stop(&t.replica);
	lab_redis_stop(&t.redis);
	json_decref(t.eab_keys);
	ar_jwk_free(t.account_key);
	ar_jwk_free(t.device_key);
	ar_jwk_free(minter);
	return 0;
}

/* The inspector's account (bound through kid-substation-1), fresh client. */
static int setup(void **state)
{
	json_t *p = json_pack("{s:b}", "termsOfServiceAgreed", 1);
	httpc_resp_t r;
	int rc;

	(void)state;
	if (acmec_init(&t.c, t.ca.base, t.ca.cafile, t.account_key) < 0)
		return -1;
	json_object_set_new(p, "externalAccountBinding",
			    catest_eab(&t.c, "kid-substation-1",
				       catest_eab_hmac(t.eab_keys, "kid-substation-1")));
	rc = acmec_post(&t.c, acmec_url(&t.c, "newAccount"), p, 1, NULL, &r);
	snprintf(t.c.kid, sizeof(t.c.kid), "%s", r.location);
	rc = rc == 0 && (r.status == 201 || r.status == 200) ? 0 : -1;
	httpc_free(&r);
	json_decref(p);
	return rc;
}

static int teardown(void **state)
{
	(void)state;
	acmec_free(&t.c);
	return 0;
}

/*
 * An order for SUB-0042 (replacing the certificate @replaces names, if
 * any): its URL and its remote-attest-01 challenge URLs and nonces.
 */
static void attested_order_replacing(const char *replaces, char urls[2][600], char nonces[2][128],
				     char *order_url, size_t size)
{
	json_t *p = json_pack("{s:[{s:s,s:s}]}", "identifiers", "type", "permanent-identifier",
			      "value", "SUB-0042"), *o, *auths;
	httpc_resp_t r;
	size_t i, k = 0;

	if (replaces)
		json_object_set_new(p, "replaces", json_string(replaces));
	assert_int_equal(acmec_post(&t.c, acmec_url(&t.c, "newOrder"), p, 0, NULL, &r), 0);
	if (r.status != 201)
		fail_msg("newOrder %ld %s", r.status, r.body);
	snprintf(order_url, size, "%s", r.location);
	o = json_loads(r.body, 0, NULL);
	httpc_free(&r);
	json_decref(p);
	auths = json_object_get(o, "authorizations");
	for (i = 0; i < json_array_size(auths); i++) {
		json_t *a, *c;

		assert_int_equal(acmec_post(&t.c, json_string_value(json_array_get(auths, i)), NULL, 0,
					    NULL, &r), 0);
		a = json_loads(r.body, 0, NULL);
		httpc_free(&r);
		c = json_array_get(json_object_get(a, "challenges"), 0);
		if (c && !strcmp(json_string_value(json_object_get(c, "type")), "remote-attest-01")) {
			assert_true(k < 2);
			snprintf(urls[k], 600, "%s", json_string_value(json_object_get(c, "url")));
			snprintf(nonces[k], 128, "%s",
				 json_string_value(json_object_get(c, "freshness_nonce")));
			k++;
		}
		json_decref(a);
	}
	assert_int_equal(k, 2);
	json_decref(o);
}

static void attested_order(char urls[2][600], char nonces[2][128], char *order_url, size_t size)
{
	attested_order_replacing(NULL, urls, nonces, order_url, size);
}

/* Attest to the verifier with @nonce; returns the CMW (EAR) as JSON. */
static json_t *passport(const char *nonce, const ar_jwk_t *key, int64_t patched)
{
	httpc_req_t req = { "POST", NULL, t.vca, NULL, NULL, "", 0 };
	char url[700], loc[700];
	httpc_resp_t r;
	json_t *s, *cmw;
	char *body;

	snprintf(url, sizeof(url), "%s/challenge-response/v1/newSession?nonce=%s", t.vbase, nonce);
	req.url = url;
	assert_int_equal(httpc(&req, &r), 0);
	assert_int_equal(r.status, 201);
	snprintf(loc, sizeof(loc), "%s%s", t.vbase, r.location);
	s = json_loads(r.body, 0, NULL);
	httpc_free(&r);

	/* Signed by the account key: EAB bound it to SUB-0042 at newAccount. */
	body = evfix_signed(json_string_value(json_object_get(s, "nonce")), "SUB-0042", key, patched,
			    t.account_key);
	req.url = loc;
	req.content_type = AR_MT_EVIDENCE_JWS;
	req.body = body;
	req.len = strlen(body);
	assert_int_equal(httpc(&req, &r), 0);
	assert_int_equal(r.status, 200);
	cmw = json_loads(r.body, 0, NULL);
	httpc_free(&r);
	free(body);
	json_decref(s);
	return cmw;
}

/* The port of "https://127.0.0.1:PORT". */
static int url_port(const char *base)
{
	const char *colon = strrchr(base, ':');

	return colon ? (int)strtol(colon + 1, NULL, 10) : -1;
}

/* The verifier's public key for evidence JWEs. */
static ar_jwk_t *verifier_enc_key(void)
{
	char url[300];
	httpc_req_t req = { "GET", url, NULL, NULL, NULL, NULL, 0 };
	httpc_resp_t r;
	ar_jwk_t *enc;

	snprintf(url, sizeof(url), "%s/challenge-response/v1/encryption-key", t.vbase);
	req.ca_file = t.vca;
	assert_int_equal(httpc(&req, &r), 0);
	enc = ar_jwk_parse_text(r.body, r.len, AR_JWK_PUBLIC_ONLY, NULL);
	httpc_free(&r);
	assert_non_null(enc);
	return enc;
}

/* Background-check model: evidence signed by @identity, in a CMW, encrypted to the verifier. */
static json_t *sealed_evidence_by(const char *nonce, int64_t patched, const ar_jwk_t *identity)
{
	ar_jwk_t *enc = verifier_enc_key();
	char *text = evfix_sealed(nonce, "SUB-0042", t.device_key, patched, identity, enc);
	json_t *jwe;

	assert_non_null(text);
	jwe = json_loads(text, 0, NULL);
	free(text);
	ar_jwk_free(enc);
	return jwe;
}

/* ... signed by the account key, which EAB bound to SUB-0042 at newAccount. */
static json_t *sealed_evidence(const char *nonce, int64_t patched)
{
	return sealed_evidence_by(nonce, patched, t.account_key);
}

static void restart_verifier(void)
{
	char bin[512], conf[300], log[300];
	char *argv[] = { bin, "-c", conf, NULL };
	int port = url_port(t.vbase);

	snprintf(bin, sizeof(bin), "%s/verifier/acme-rats-verifier", catest_top("AR_TOP_BUILDDIR"));
	snprintf(conf, sizeof(conf), "%s/verifier.conf", t.vdir);
	snprintf(log, sizeof(log), "%s/verifier-2.log", t.vdir);
	t.vpid = lab_spawn(argv, log);
	assert_true(t.vpid > 0);
	assert_int_equal(lab_wait_tcp(port, 5000), 0);
}

static json_t *respond(const char *url, const json_t *payload, long want)
{
	httpc_resp_t r;
	json_t *c;

	assert_int_equal(acmec_post(&t.c, url, payload, 0, NULL, &r), 0);
	if (r.status != want)
		fail_msg("%s: %ld %s", url, r.status, r.body);
	c = json_loads(r.body, 0, NULL);
	if (want == 200)
		assert_non_null(strstr(r.link, "rel=\"up\""));
	httpc_free(&r);
	return c;
}

static const char *status_of(const json_t *j)
{
	return json_string_value(json_object_get(j, "status"));
}

static json_t *read_order(const char *url)
{
	httpc_resp_t r;
	json_t *o;

	assert_int_equal(acmec_post(&t.c, url, NULL, 0, NULL, &r), 0);
	o = json_loads(r.body, 0, NULL);
	httpc_free(&r);
	return o;
}


/* A CSR for @key naming @device as permanent-identifier, made by openssl req. */
static char *csr_b64(const ar_jwk_t *key, const char *device)
{
	char keyp[300], cnf[300], out[300], text[512], *pem, *der, *b64;
	size_t len;

	snprintf(keyp, sizeof(keyp), "%s/device.key", t.vdir);
	snprintf(cnf, sizeof(cnf), "%s/csr.cnf", t.vdir);
	snprintf(out, sizeof(out), "%s/csr.der", t.vdir);
	pem = ar_jwk_to_pem(key, 1, NULL);
	assert_int_equal(ar_file_write_atomic(keyp, pem, strlen(pem), 0600, NULL), 0);
	free(pem);
	snprintf(text, sizeof(text), "[req]\ndistinguished_name = dn\nprompt = no\n"
		 "req_extensions = ext\n[dn]\nO = acme-rats test\n[ext]\n"
		 "subjectAltName = otherName:1.3.6.1.5.5.7.8.3;SEQUENCE:permid\n"
		 "[permid]\nvalue = UTF8:%s\n", device);
	assert_int_equal(ar_file_write_atomic(cnf, text, strlen(text), 0600, NULL), 0);
	{
		char *argv[] = { "/usr/bin/openssl", "req", "-new", "-key", keyp, "-config", cnf,
				 "-outform", "DER", "-out", out, NULL };

		assert_int_equal(catest_run(argv), 0);
	}
	assert_int_equal(ar_file_read(out, 16384, &der, &len, NULL), 0);
	b64 = ar_b64url_encode_alloc(der, len);
	free(der);
	return b64;
}

static void finalize(const char *order_url, const char *csr, long want, httpc_resp_t *r)
{
	char url[700];
	json_t *p = json_pack("{s:s}", "csr", csr);

	snprintf(url, sizeof(url), "%s/finalize", order_url);
	assert_int_equal(acmec_post(&t.c, url, p, 0, NULL, r), 0);
	if (r->status != want)
		fail_msg("finalize: %ld %s", r->status, r->body);
	json_decref(p);
}

/* RFC 9773: GET renewalInfo/<certID>; returns the window as RFC 3339 strings. */
static long renewal_info(const char *certid, char *start, char *end)
{
	char url[600];
	httpc_req_t req = { "GET", url, t.ca.cafile, NULL, NULL, NULL, 0 };
	httpc_resp_t r;
	json_t *j, *w;
	long status;

	snprintf(url, sizeof(url), "%s/%s", acmec_url(&t.c, "renewalInfo"), certid);
	assert_int_equal(httpc(&req, &r), 0);
	status = r.status;
	j = json_loads(r.body, 0, NULL);
	w = json_object_get(j, "suggestedWindow");
	if (status == 200) {
		snprintf(start, 32, "%s", json_string_value(json_object_get(w, "start")));
		snprintf(end, 32, "%s", json_string_value(json_object_get(w, "end")));
	}
	json_decref(j);
	httpc_free(&r);
	return status;
}

static void rfc3339_of(const ASN1_TIME *at, int64_t plus, char *out)
{
	struct tm tm;
	time_t tt;

	assert_int_equal(ASN1_TIME_to_tm(at, &tm), 1);
	tt = timegm(&tm) + plus;
	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Rewrite the device's posture: @status, EAR issued @iat_ago s ago, recorded @updated_in s from now. */
static void set_posture(ar_store_t *st, ar_status_t status, int64_t iat_ago, int64_t updated_in)
{
	ar_store_posture_t p;

	assert_int_equal(ar_store_posture_get(st, "SUB-0042", &p, NULL), 1);
	p.status = status;
	p.ear_iat = time(NULL) - iat_ago;
	p.updated_at = time(NULL) + updated_in;
	assert_int_equal(ar_store_posture_put(st, "SUB-0042", &p, NULL), 0);
}

/* The posture pulls the window in; @now is the current time, RFC 3339. */
static void check_posture_moves_window(ar_store_t *st, const char *id, const char *now)
{
	char start[32], end[32], want[32];
	ar_store_posture_t saved;
	time_t lapse;
	struct tm tm;

	assert_int_equal(ar_store_posture_get(st, "SUB-0042", &saved, NULL), 1);
	/* The SOC flagged the device (warning): renew now. */
	set_posture(st, AR_STATUS_WARNING, 0, 0);
	assert_int_equal(renewal_info(id, start, end), 200);
	assert_true(strcmp(end, now) < 0);
	/* Appraised again after issuance, still affirming: renew now, with the new result. */
	set_posture(st, AR_STATUS_AFFIRMING, 0, 3600);
	assert_int_equal(renewal_info(id, start, end), 200);
	assert_true(strcmp(end, now) < 0);
	/* The posture behind the certificate is 11 h old and the profile's
	 * posture_fresh is 12 h: the window ends 10 minutes before it lapses. */
	set_posture(st, AR_STATUS_AFFIRMING, 11 * 3600, -3600);
	saved.updated_at = 0;
	assert_int_equal(renewal_info(id, start, end), 200);
	lapse = time(NULL) + 3600 - 600;
	gmtime_r(&lapse, &tm);
	strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (strcmp(end, want) && strcmp(end, now) > 0) {
		/* a second may have passed between the two clocks */
		lapse--;
		gmtime_r(&lapse, &tm);
		strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	assert_string_equal(end, want);
	assert_true(strcmp(start, end) < 0);
	/* Its end only 40 s away: the window starts halfway from the issuance
	 * (not from the backdated notBefore), so it is not open already. */
	set_posture(st, AR_STATUS_AFFIRMING, 12 * 3600 - 640, -3600);
	assert_int_equal(renewal_info(id, start, end), 200);
	assert_true(strcmp(start, now) > 0);
	assert_int_equal(ar_store_posture_put(st, "SUB-0042", &saved, NULL), 0);
}

static void check_renewal_info(X509 *cert, ar_store_t *st, const char *aki, const char *serial)
{
	char id[200], start[32], end[32], want[32], now[32];
	time_t tt = time(NULL);
	struct tm tm;

	assert_int_equal(ar_cert_ari_id(cert, id, sizeof(id), NULL), 0);
	assert_int_equal(renewal_info(id, start, end), 200);
	rfc3339_of(X509_get0_notBefore(cert), 8 * 3600 / 3, want);
	assert_string_equal(start, want);		/* the middle third */
	rfc3339_of(X509_get0_notBefore(cert), 2 * 8 * 3600 / 3, want);
	assert_string_equal(end, want);
	gmtime_r(&tt, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
	check_posture_moves_window(st, id, now);

	/* The NOC marks it "renew now": the window moves into the past. */
	assert_int_equal(ar_store_cert_mark(st, "SUB-0042", aki, serial, -1, 1, NULL), 1);
	assert_int_equal(renewal_info(id, start, end), 200);
	gmtime_r(&tt, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
	assert_true(strcmp(end, now) < 0);

	assert_int_equal(renewal_info("AAAA.AAAA", start, end), 404);
	assert_int_equal(renewal_info("not-a-cert-id", start, end), 400);
}

/* revokeCert: by the owner or the certificate's key only; once. */
static void check_revocation(X509 *cert, ar_store_t *st, const char *aki, const char *serial)
{
	unsigned char *der = NULL;
	int len = i2d_X509(cert, &der);
	char *b64 = ar_b64url_encode_alloc(der, (size_t)len);
	json_t *p = json_pack("{s:s,s:i}", "certificate", b64, "reason", 4);
	ar_jwk_t *stranger = ar_jwk_generate("ES256", NULL);
	ar_store_event_t ev[4];
	ar_store_cert_t rec;
	httpc_resp_t r;
	acmec_t other;

	/* Another account. */
	assert_int_equal(acmec_init(&other, t.ca.base, t.ca.cafile, stranger), 0);
	{
		json_t *a = json_pack("{s:b}", "termsOfServiceAgreed", 1);

		assert_int_equal(acmec_post(&other, acmec_url(&other, "newAccount"), a, 1, NULL, &r), 0);
		snprintf(other.kid, sizeof(other.kid), "%s", r.location);
		httpc_free(&r);
		json_decref(a);
	}
	assert_int_equal(acmec_post(&other, acmec_url(&other, "revokeCert"), p, 0, NULL, &r), 0);
	expect_problem(&r, 403, "unauthorized");
	httpc_free(&r);
	acmec_free(&other);

	/*
	 * A forged copy: the device's serial, issuer name and AKI (all public)
	 * around the attacker's key, self-signed, revoked "by its own key".
	 * Refused, and the device's certificate stays valid.
	 */
	{
		X509 *forged = X509_dup(cert);
		EVP_PKEY *pk = ar_jwk_pkey(stranger);
		unsigned char *fder = NULL;
		int flen;
		char *fb64;
		json_t *fp;

		assert_non_null(forged);
		assert_int_equal(X509_set_pubkey(forged, pk), 1);
		assert_true(X509_sign(forged, pk, EVP_sha256()) > 0);
		flen = i2d_X509(forged, &fder);
		fb64 = ar_b64url_encode_alloc(fder, (size_t)flen);
		fp = json_pack("{s:s,s:i}", "certificate", fb64, "reason", 1);
		assert_int_equal(acmec_init(&other, t.ca.base, t.ca.cafile, stranger), 0);
		assert_int_equal(acmec_post(&other, acmec_url(&other, "revokeCert"), fp, 1, NULL, &r),
				 0);
		expect_problem(&r, 403, "unauthorized");
		httpc_free(&r);
		acmec_free(&other);
		assert_int_equal(ar_store_cert_find(st, aki, serial, &rec, NULL), 1);
		assert_int_equal(rec.status, AR_CERT_VALID);
		json_decref(fp);
		free(fb64);
		OPENSSL_free(fder);
		X509_free(forged);
	}

	/* The certificate's own key, signing with jwk. */
	assert_int_equal(acmec_init(&other, t.ca.base, t.ca.cafile, t.device_key), 0);
	assert_int_equal(acmec_post(&other, acmec_url(&other, "revokeCert"), p, 1, NULL, &r), 0);
	if (r.status != 200)
		fail_msg("revokeCert: %ld %s", r.status, r.body);
	httpc_free(&r);
	acmec_free(&other);
	assert_int_equal(ar_store_cert_find(st, aki, serial, &rec, NULL), 1);
	assert_int_equal(rec.status, AR_CERT_REVOKED);
	assert_true(ar_store_event_recent(st, ev, 4, NULL) >= 1);
	assert_string_equal(ev[0].type, "revoked");
	assert_string_equal(ev[0].serial, serial);

	/* The owner, now: already revoked. Garbage: malformed. */
	assert_int_equal(acmec_post(&t.c, acmec_url(&t.c, "revokeCert"), p, 0, NULL, &r), 0);
	expect_problem(&r, 400, "alreadyRevoked");
	httpc_free(&r);
	json_object_set_new(p, "certificate", json_string("AAAA"));
	assert_int_equal(acmec_post(&t.c, acmec_url(&t.c, "revokeCert"), p, 0, NULL, &r), 0);
	expect_problem(&r, 400, "malformed");
	httpc_free(&r);

	ar_jwk_free(stranger);
	json_decref(p);
	free(b64);
	OPENSSL_free(der);
}

static void test_healthy_device_wins_both_challenges_and_the_order_is_ready(void **state)
{
	char urls[2][600], nonces[2][128], order_url[600];
	json_t *o, *c, *cmw;
	size_t i;

	(void)state;
	attested_order(urls, nonces, order_url, sizeof(order_url));
	for (i = 0; i < 2; i++) {
		cmw = passport(nonces[i], t.device_key, time(NULL) - 86400);
		c = respond(urls[i], cmw, 200);
		assert_string_equal(status_of(c), "valid");
		assert_non_null(json_object_get(c, "validated"));
		json_decref(c);
		/* Posting again changes nothing: the nonce is spent. */
		c = respond(urls[i], cmw, 200);
		assert_string_equal(status_of(c), "valid");
		json_decref(c);
		json_decref(cmw);
		o = read_order(order_url);
		assert_string_equal(status_of(o), i == 0 ? "pending" : "ready");
		json_decref(o);
	}
}

static void test_finalize_issues_short_lived_attested_certificate(void **state)
{
	char urls[2][600], nonces[2][128], order_url[600], *csr, aki[80], serial[80];
	json_t *o, *c, *cmw;
	ar_jwk_t *other = ar_jwk_generate("ES256", NULL);
	ar_store_opts_t so = { .host = "127.0.0.1" };
	ar_certext_t ext;
	ar_store_cert_t rec;
	ar_store_posture_t posture;
	ar_store_t *st;
	httpc_resp_t r;
	X509 *cert;
	BIO *bio;
	size_t i;

	(void)state;
	attested_order(urls, nonces, order_url, sizeof(order_url));
	/* Not ready yet. */
	csr = csr_b64(t.device_key, "SUB-0042");
	finalize(order_url, csr, 403, &r);
	expect_problem(&r, 403, "orderNotReady");
	httpc_free(&r);
	for (i = 0; i < 2; i++) {
		cmw = passport(nonces[i], t.device_key, time(NULL) - 86400);
		c = respond(urls[i], cmw, 200);
		json_decref(c);
		json_decref(cmw);
	}
	/* Another key than the attested one; another device than the order's. */
	free(csr);
	csr = csr_b64(other, "SUB-0042");
	finalize(order_url, csr, 400, &r);
	expect_problem(&r, 400, "badCSR");
	if (!strstr(r.body, "cnf.jkt"))
		fail_msg("%s", r.body);
	httpc_free(&r);
	free(csr);
	csr = csr_b64(t.device_key, "SUB-0043");
	finalize(order_url, csr, 400, &r);
	expect_problem(&r, 400, "badCSR");
	httpc_free(&r);
	finalize(order_url, "AAAA", 400, &r);
	expect_problem(&r, 400, "badCSR");
	httpc_free(&r);

	free(csr);
	csr = csr_b64(t.device_key, "SUB-0042");
	finalize(order_url, csr, 200, &r);
	o = json_loads(r.body, 0, NULL);
	httpc_free(&r);
	assert_string_equal(status_of(o), "valid");
	assert_non_null(json_object_get(o, "certificate"));
	assert_int_equal(acmec_post(&t.c, json_string_value(json_object_get(o, "certificate")), NULL, 0,
				    NULL, &r), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.content_type, "application/pem-certificate-chain");
	json_decref(o);

	bio = BIO_new_mem_buf(r.body, (int)r.len);
	cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	assert_non_null(cert);
	assert_non_null(strstr(r.body + 100, "BEGIN CERTIFICATE"));	/* the issuer follows */
	{
		int days, secs;

		assert_int_equal(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(cert),
						X509_get0_notAfter(cert)), 1);
		assert_int_equal(days * 86400 + secs, 8 * 3600);	/* the profile's 8 h */
	}
	assert_true(X509_get_ext_by_NID(cert, NID_no_rev_avail, -1) >= 0);
	/* RFC 9608 2: with noRevAvail, no CRL distribution point, no OCSP. */
	assert_true(X509_get_ext_by_NID(cert, NID_crl_distribution_points, -1) < 0);
	assert_true(X509_get_ext_by_NID(cert, NID_info_access, -1) < 0);
	assert_int_equal(X509_get_extended_key_usage(cert) & (XKU_SSL_CLIENT | XKU_SSL_SERVER),
			 XKU_SSL_CLIENT);
	assert_int_equal(ar_certext_from_cert(cert, &ext, NULL), 1);
	assert_int_equal(ext.status, AR_STATUS_AFFIRMING);
	assert_string_equal(ext.order_url, order_url);
	assert_string_equal(ext.device_id, "SUB-0042");
	assert_string_equal(ext.profile, "substation");
	assert_string_equal(ext.verifier, "acme-rats-verifier");
	assert_true(time(NULL) - ext.ear_iat < 60);

	/* The records the RADIUS servers will read. */
	assert_int_equal(ar_cert_ids(cert, aki, sizeof(aki), serial, sizeof(serial), NULL), 0);
	so.port = t.redis.port;
	st = ar_store_open(&so, NULL);
	assert_non_null(st);
	assert_int_equal(ar_store_cert_find(st, aki, serial, &rec, NULL), 1);
	assert_string_equal(rec.device, "SUB-0042");
	assert_int_equal(rec.status, AR_CERT_VALID);
	assert_int_equal(ar_store_posture_get(st, "SUB-0042", &posture, NULL), 1);
	assert_int_equal(posture.status, AR_STATUS_AFFIRMING);
	check_renewal_info(cert, st, aki, serial);
	check_revocation(cert, st, aki, serial);
	ar_store_close(st);
	X509_free(cert);
	BIO_free(bio);
	httpc_free(&r);
	free(csr);
	ar_jwk_free(other);
}

/* A nonce from the CA as it runs now (a restarted CA has a new nonce key). */
/*
 * An issuance is acknowledged only once a replica has its record: with the
 * replica stopped (SIGSTOP), finalize waits replica_ack_timeout and
 * answers 503 serverInternal saying why - the certificate was recorded on
 * the primary, so the order reads valid. With the replica back, the next
 * issuance is answered 200.
 */
static void test_issuance_acked_only_after_replica_confirms(void **state)
{
	char urls[2][600], nonces[2][128], order_url[600], *csr;
	json_t *o, *c, *cmw;
	httpc_resp_t r;
	int64_t t0, took;
	int round;
	size_t i;

	(void)state;
	for (round = 0; round < 2; round++) {
		attested_order(urls, nonces, order_url, sizeof(order_url));
		for (i = 0; i < 2; i++) {
			cmw = passport(nonces[i], t.device_key, time(NULL) - 86400);
			c = respond(urls[i], cmw, 200);
			json_decref(c);
			json_decref(cmw);
		}
		csr = csr_b64(t.device_key, "SUB-0042");
		if (round == 0)
			assert_int_equal(kill(t.replica.pid, SIGSTOP), 0);
		t0 = lab_now_ms();
		finalize(order_url, csr, round == 0 ? 503 : 200, &r);
		took = lab_now_ms() - t0;
		free(csr);
		if (round == 0) {
			assert_int_equal(kill(t.replica.pid, SIGCONT), 0);
			expect_problem(&r, 503, "serverInternal");
			if (!strstr(r.body, "too few replicas of the state store confirmed the record"))
				fail_msg("%s", r.body);
			assert_true(took >= ACK_TIMEOUT_MS);
		}
		httpc_free(&r);
		o = read_order(order_url);
		assert_string_equal(status_of(o), "valid");	/* recorded either way */
		assert_non_null(json_object_get(o, "certificate"));
		json_decref(o);
	}
}

static void fresh_nonce(void)
{
	httpc_req_t req = { "HEAD", acmec_url(&t.c, "newNonce"), t.ca.cafile, NULL, NULL, NULL, 0 };
	httpc_resp_t r;

	assert_int_equal(httpc(&req, &r), 0);
	snprintf(t.c.nonce, sizeof(t.c.nonce), "%s", r.replay_nonce);
	httpc_free(&r);
}

static void test_ca_killed_mid_order_resumes_and_loses_nothing(void **state)
{
	char urls[2][600], nonces[2][128], order_url[600], *csr;
	json_t *o, *c, *cmw;
	httpc_resp_t r;

	(void)state;
	attested_order(urls, nonces, order_url, sizeof(order_url));
	cmw = passport(nonces[0], t.device_key, time(NULL) - 86400);
	c = respond(urls[0], cmw, 200);
	assert_string_equal(status_of(c), "valid");
	json_decref(c);
	json_decref(cmw);

	assert_int_equal(catest_crash_restart_ca(&t.ca), 0);
	fresh_nonce();
	o = read_order(order_url);
	assert_string_equal(status_of(o), "pending");	/* one challenge won, one to go */
	json_decref(o);
	cmw = passport(nonces[1], t.device_key, time(NULL) - 86400);
	c = respond(urls[1], cmw, 200);
	assert_string_equal(status_of(c), "valid");
	json_decref(c);
	json_decref(cmw);
	csr = csr_b64(t.device_key, "SUB-0042");
	finalize(order_url, csr, 200, &r);
	httpc_free(&r);
	free(csr);

	/* Crash again after issuance: the certificate is still there. */
	assert_int_equal(catest_crash_restart_ca(&t.ca), 0);
	fresh_nonce();
	o = read_order(order_url);
	assert_string_equal(status_of(o), "valid");
	assert_int_equal(acmec_post(&t.c, json_string_value(json_object_get(o, "certificate")), NULL, 0,
				    NULL, &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "BEGIN CERTIFICATE"));
	httpc_free(&r);
	json_decref(o);
}

static void test_background_check_relays_evidence_to_the_verifier(void **state)
{
	char urls[2][600], nonces[2][128], order_url[600];
	json_t *c, *jwe;

	(void)state;
	attested_order(urls, nonces, order_url, sizeof(order_url));
	jwe = sealed_evidence(nonces[0], time(NULL) - 86400);
	c = respond(urls[0], jwe, 200);
	assert_string_equal(status_of(c), "valid");
	json_decref(c);
	json_decref(jwe);
	/* An unpatched device's evidence: the verifier says contraindicated. */
	jwe = sealed_evidence(nonces[1], time(NULL) - 200 * 86400);
	c = respond(urls[1], jwe, 200);
	assert_string_equal(status_of(c), "invalid");
	assert_non_null(strstr(json_string_value(json_object_get(json_object_get(c, "error"), "detail")),
			       "contraindicated"));
	json_decref(c);
	json_decref(jwe);
}

/* The challenge's error detail, after a refused background check. */
static void expect_invalid(const char *url, const json_t *jwe, const char *needle)
{
	json_t *c = respond(url, jwe, 200);
	const char *detail = json_string_value(json_object_get(json_object_get(c, "error"),
								"detail"));

	assert_string_equal(status_of(c), "invalid");
	if (!detail || !strstr(detail, needle))
		fail_msg("challenge error \"%s\", expected \"%s\"", detail ? detail : "", needle);
	json_decref(c);
}

/*
 * Through the CA, evidence speaks for SUB-0042 only when signed by the key
 * EAB bound to it: signed by another key, or not at all, the verifier
 * refuses it and the challenge is invalid; the device's posture is untouched.
 */
static void test_background_check_evidence_not_signed_by_the_enrolled_key_refused(void **state)
{
	char urls[2][600], nonces[2][128], order_url[600], *text;
	ar_jwk_t *other = ar_jwk_generate("ES256", NULL), *enc;
	json_t *jwe;

	(void)state;
	attested_order(urls, nonces, order_url, sizeof(order_url));
	jwe = sealed_evidence_by(nonces[0], time(NULL) - 86400, other);
	expect_invalid(urls[0], jwe, "not by the key the device is enrolled with");
	json_decref(jwe);

	attested_order(urls, nonces, order_url, sizeof(order_url));
	enc = verifier_enc_key();
	text = evfix_json(nonces[0], "SUB-0042", t.device_key, time(NULL) - 86400);
	jwe = ar_jwe_encrypt(text, strlen(text), enc, AR_MT_EVIDENCE, NULL);
	expect_invalid(urls[0], jwe, "evidence must be signed by the device's enrolled identity key");
	json_decref(jwe);
	free(text);
	ar_jwk_free(enc);
	ar_jwk_free(other);
}

static void test_verifier_down_keeps_the_challenge_pending(void **state)
{
	char urls[2][600], nonces[2][128], order_url[600];
	json_t *o, *c, *jwe;
	httpc_resp_t r;

	(void)state;
	attested_order(urls, nonces, order_url, sizeof(order_url));
	jwe = sealed_evidence(nonces[0], time(NULL) - 86400);
	lab_stop(t.vpid, 3000);
	assert_int_equal(acmec_post(&t.c, urls[0], jwe, 0, NULL, &r), 0);
	expect_problem(&r, 503, "serverInternal");
	httpc_free(&r);
	restart_verifier();
	o = read_order(order_url);
	assert_string_equal(status_of(o), "pending");
	json_decref(o);
	c = respond(urls[0], jwe, 200);
	assert_string_equal(status_of(c), "valid");
	json_decref(c);
	json_decref(jwe);
}

/* The challenge, read back: pending, no error. */
static void check_still_pending(const char *order_url, const char *url)
{
	json_t *o = read_order(order_url), *c = read_order(url);

	assert_string_equal(status_of(o), "pending");
	assert_null(json_object_get(o, "certificate"));
	assert_string_equal(status_of(c), "pending");
	assert_null(json_object_get(c, "error"));
	json_decref(c);
	json_decref(o);
}

/* POST @jwe to @url while the verifier is stopped; a 503 within @min..@max ms. */
static void relay_fails_within(const char *url, const json_t *jwe, int64_t min, int64_t max)
{
	httpc_resp_t r;
	int64_t t0 = lab_now_ms(), took;

	assert_int_equal(acmec_post(&t.c, url, jwe, 0, NULL, &r), 0);
	took = lab_now_ms() - t0;
	expect_problem(&r, 503, "serverInternal");
	assert_non_null(strstr(r.body, "the challenge stays pending"));
	httpc_free(&r);
	if (took < min || took > max)
		fail_msg("the CA answered in %lld ms, expected %lld..%lld", (long long)took,
			 (long long)min, (long long)max);
}

/*
 * The verifier stops answering in the middle of a background check
 * (SIGSTOP): the CA gives up within its bounds (the TLS handshake is part of
 * the 2 s connect bound, the whole request of validation_timeout) with 503,
 * the challenge stays pending and nothing is issued. Killed while stopped
 * (SIGKILL during the next relay), the CA answers 503 at once, well before
 * any timeout. Restarted, the same challenge is won with the same evidence.
 */
static void test_verifier_stopped_then_killed_mid_relay_keeps_the_challenge_pending(void **state)
{
	char urls[2][600], nonces[2][128], order_url[600];
	json_t *c, *jwe;
	pid_t killer;

	(void)state;
	attested_order(urls, nonces, order_url, sizeof(order_url));
	jwe = sealed_evidence(nonces[0], time(NULL) - 86400);
	assert_int_equal(kill(t.vpid, SIGSTOP), 0);
	relay_fails_within(urls[0], jwe, 1500, RELAY_TIMEOUT_MS + 2500);
	check_still_pending(order_url, urls[0]);

	killer = fork();
	assert_true(killer >= 0);
	if (killer == 0) {
		lab_sleep_ms(300);
		kill(t.vpid, SIGKILL);
		_exit(0);
	}
	relay_fails_within(urls[0], jwe, 250, 1500);
	assert_int_equal(waitpid(killer, NULL, 0), killer);
	assert_int_equal(lab_stop(t.vpid, 1000), 128 + SIGKILL);
	check_still_pending(order_url, urls[0]);

	restart_verifier();
	c = respond(urls[0], jwe, 200);
	assert_string_equal(status_of(c), "valid");
	json_decref(c);
	json_decref(jwe);
}

static void test_ear_for_another_nonce_is_a_bad_attestation_statement(void **state)
{
	char urls[2][600], nonces[2][128], order_url[600];
	json_t *o, *c, *cmw;

	(void)state;
	attested_order(urls, nonces, order_url, sizeof(order_url));
	/* The other challenge's nonce: valid EAR, wrong challenge. */
	cmw = passport(nonces[1], t.device_key, time(NULL) - 86400);
	c = respond(urls[0], cmw, 200);
	assert_string_equal(status_of(c), "invalid");
	assert_string_equal(json_string_value(json_object_get(json_object_get(c, "error"), "type")),
			    "urn:ietf:params:acme:error:badAttestationStatement");
	assert_non_null(strstr(json_string_value(json_object_get(json_object_get(c, "error"), "detail")),
			       "nonce"));
	json_decref(c);
	json_decref(cmw);
	o = read_order(order_url);
	assert_string_equal(status_of(o), "invalid");
	json_decref(o);
}

static void test_unpatched_device_is_refused(void **state)
{
	char urls[2][600], nonces[2][128], order_url[600];
	json_t *c, *cmw;

	(void)state;
	attested_order(urls, nonces, order_url, sizeof(order_url));
	cmw = passport(nonces[0], t.device_key, time(NULL) - 200 * 86400);
	c = respond(urls[0], cmw, 200);
	assert_string_equal(status_of(c), "invalid");
	assert_non_null(strstr(json_string_value(json_object_get(json_object_get(c, "error"), "detail")),
			       "contraindicated"));
	json_decref(c);
	json_decref(cmw);
}

static void test_attestations_binding_different_keys_are_refused(void **state)
{
	char urls[2][600], nonces[2][128], order_url[600];
	json_t *c, *cmw;
	ar_jwk_t *other = ar_jwk_generate("ES256", NULL);

	(void)state;
	attested_order(urls, nonces, order_url, sizeof(order_url));
	cmw = passport(nonces[0], t.device_key, time(NULL) - 86400);
	c = respond(urls[0], cmw, 200);
	assert_string_equal(status_of(c), "valid");
	json_decref(c);
	json_decref(cmw);
	cmw = passport(nonces[1], other, time(NULL) - 86400);
	c = respond(urls[1], cmw, 200);
	assert_string_equal(status_of(c), "invalid");
	assert_non_null(strstr(json_string_value(json_object_get(json_object_get(c, "error"), "detail")),
			       "another key"));
	json_decref(c);
	json_decref(cmw);
	ar_jwk_free(other);
}

static void test_forged_ear_and_wrong_forms_are_refused(void **state)
{
	char urls[2][600], nonces[2][128], order_url[600], *jwt;
	json_t *o, *c, *cmw, *kidjwk;
	ar_jwk_t *rogue = ar_jwk_generate("ES256", NULL), *rogue_kid;
	ar_ear_t ear;

	(void)state;
	attested_order(urls, nonces, order_url, sizeof(order_url));
	/* Not a CMW: the attestation is refused. */
	o = json_pack("{s:s}", "hello", "world");
	c = respond(urls[1], o, 200);
	assert_string_equal(status_of(c), "invalid");
	assert_non_null(strstr(json_string_value(json_object_get(json_object_get(c, "error"), "detail")),
			       "not a CMW"));
	json_decref(c);
	json_decref(o);

	/* An EAR with the trusted kid but signed by another key. */
	memset(&ear, 0, sizeof(ear));
	ear.iat = time(NULL);
	snprintf(ear.nonce, sizeof(ear.nonce), "%s", nonces[0]);
	snprintf(ear.verifier_developer, sizeof(ear.verifier_developer), "acme-rats-verifier");
	snprintf(ear.jkt, sizeof(ear.jkt), "%s", ar_jwk_thumbprint(t.device_key));
	ear.nsubmods = 1;
	snprintf(ear.submods[0].name, sizeof(ear.submods[0].name), "device");
	ear.submods[0].tv.v[AR_TV_EXECUTABLES] = 2;
	kidjwk = json_deep_copy(ar_jwk_json(rogue));
	json_object_set_new(kidjwk, "kid", json_string("test-verifier-1"));
	rogue_kid = ar_jwk_parse(kidjwk, 0, NULL);
	jwt = ar_ear_sign(&ear, rogue_kid, NULL);
	cmw = ar_cmw_record(AR_MT_EAR, jwt, strlen(jwt), AR_CMW_IND_RESULTS);
	c = respond(urls[0], cmw, 200);
	assert_string_equal(status_of(c), "invalid");
	assert_non_null(strstr(json_string_value(json_object_get(json_object_get(c, "error"), "detail")),
			       "signature"));
	json_decref(c);
	json_decref(cmw);
	free(jwt);
	json_decref(kidjwk);
	ar_jwk_free(rogue_kid);
	ar_jwk_free(rogue);
}

/* A complete passport order for SUB-0042 with the device key; the leaf certificate. */
static X509 *issue_certificate(const char *replaces)
{
	char urls[2][600], nonces[2][128], order_url[600], *csr;
	httpc_resp_t r;
	json_t *c, *o;
	X509 *cert;
	size_t i;

	attested_order_replacing(replaces, urls, nonces, order_url, sizeof(order_url));
	for (i = 0; i < 2; i++) {
		json_t *cmw = passport(nonces[i], t.device_key, time(NULL) - 86400);

		c = respond(urls[i], cmw, 200);
		assert_string_equal(status_of(c), "valid");
		json_decref(c);
		json_decref(cmw);
	}
	csr = csr_b64(t.device_key, "SUB-0042");
	finalize(order_url, csr, 200, &r);
	httpc_free(&r);
	free(csr);
	o = read_order(order_url);
	cert = catest_download_cert(&t.c, json_string_value(json_object_get(o, "certificate")));
	assert_non_null(cert);
	json_decref(o);
	return cert;
}

/* RFC 9773 7: an order replaces one certificate, once; the old one is superseded. */
static void test_replacement_supersedes_the_old_certificate(void **state)
{
	X509 *old = issue_certificate(NULL), *renewed;
	ar_store_opts_t so = { .host = "127.0.0.1", .port = t.redis.port };
	char id[200], aki[80], serial[80], start[32], end[32];
	ar_store_cert_t rec;
	ar_store_t *st = ar_store_open(&so, NULL);
	json_t *p;
	httpc_resp_t r;

	(void)state;
	assert_non_null(st);
	assert_int_equal(ar_cert_ari_id(old, id, sizeof(id), NULL), 0);
	assert_int_equal(ar_cert_ids(old, aki, sizeof(aki), serial, sizeof(serial), NULL), 0);

	/* Not a certID; a certID of no certificate here. */
	p = json_pack("{s:[{s:s,s:s}],s:s}", "identifiers", "type", "permanent-identifier", "value",
		      "SUB-0042", "replaces", "not-a-cert-id");
	assert_int_equal(acmec_post(&t.c, acmec_url(&t.c, "newOrder"), p, 0, NULL, &r), 0);
	expect_problem(&r, 400, "malformed");
	httpc_free(&r);
	json_object_set_new(p, "replaces", json_string("AAAA.AAAA"));
	assert_int_equal(acmec_post(&t.c, acmec_url(&t.c, "newOrder"), p, 0, NULL, &r), 0);
	expect_problem(&r, 400, "malformed");
	httpc_free(&r);

	renewed = issue_certificate(id);
	assert_int_equal(ar_store_cert_find(st, aki, serial, &rec, NULL), 1);
	assert_int_equal(rec.status, AR_CERT_SUPERSEDED);
	assert_int_equal(renewal_info(id, start, end), 200);	/* renew now, if asked again */
	{
		char now[32];
		time_t tt = time(NULL);
		struct tm tm;

		gmtime_r(&tt, &tm);
		strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
		assert_true(strcmp(end, now) < 0);
	}
	assert_int_equal(ar_cert_ids(renewed, aki, sizeof(aki), serial, sizeof(serial), NULL), 0);
	assert_int_equal(ar_store_cert_find(st, aki, serial, &rec, NULL), 1);
	assert_int_equal(rec.status, AR_CERT_VALID);

	/* The same certificate cannot be replaced twice. */
	json_object_set_new(p, "replaces", json_string(id));
	assert_int_equal(acmec_post(&t.c, acmec_url(&t.c, "newOrder"), p, 0, NULL, &r), 0);
	expect_problem(&r, 409, "alreadyReplaced");
	httpc_free(&r);
	json_decref(p);
	ar_store_close(st);
	X509_free(renewed);
	X509_free(old);
}

/*
 * RFC 9773: the order shows what it replaces, on creation and when read
 * again; while one order replaces a certificate, a second is refused
 * (alreadyReplaced); and an order for another device than the
 * certificate's cannot replace it - finalizing it would supersede that
 * device's certificate and take the device off the network.
 */
static void test_replaces_shown_once_at_a_time_and_only_for_the_same_device(void **state)
{
	X509 *old = issue_certificate(NULL);
	char id[200], order_url[600];
	httpc_resp_t r;
	json_t *p, *o;

	(void)state;
	assert_int_equal(ar_cert_ari_id(old, id, sizeof(id), NULL), 0);

	/* SUB-0043 is this account's too, but not the certificate's device. */
	p = json_pack("{s:[{s:s,s:s}],s:s}", "identifiers", "type", "permanent-identifier", "value",
		      "SUB-0043", "replaces", id);
	assert_int_equal(acmec_post(&t.c, acmec_url(&t.c, "newOrder"), p, 0, NULL, &r), 0);
	expect_problem(&r, 400, "malformed");
	assert_non_null(strstr(r.body, "SUB-0042"));
	httpc_free(&r);
	json_decref(p);

	p = json_pack("{s:[{s:s,s:s}],s:s}", "identifiers", "type", "permanent-identifier", "value",
		      "SUB-0042", "replaces", id);
	assert_int_equal(acmec_post(&t.c, acmec_url(&t.c, "newOrder"), p, 0, NULL, &r), 0);
	assert_int_equal(r.status, 201);
	snprintf(order_url, sizeof(order_url), "%s", r.location);
	o = json_loads(r.body, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(o, "replaces")), id);
	json_decref(o);
	httpc_free(&r);
	o = read_order(order_url);
	assert_string_equal(json_string_value(json_object_get(o, "replaces")), id);
	json_decref(o);

	/* The first order is pending: a second replacement is refused. */
	assert_int_equal(acmec_post(&t.c, acmec_url(&t.c, "newOrder"), p, 0, NULL, &r), 0);
	expect_problem(&r, 409, "alreadyReplaced");
	httpc_free(&r);
	json_decref(p);
	X509_free(old);
}

/* ---- The CA's acceptance checks, with minted EARs ---- */

/* An EAR for @device bound to @nonce and @key: one submodule, every claim affirming. */
static void minted_ear(ar_ear_t *ear, const char *nonce, const char *device, const ar_jwk_t *key)
{
	size_t i;

	memset(ear, 0, sizeof(*ear));
	ear->iat = time(NULL);
	snprintf(ear->nonce, sizeof(ear->nonce), "%s", nonce);
	snprintf(ear->verifier_developer, sizeof(ear->verifier_developer), "acme-rats-verifier");
	snprintf(ear->jkt, sizeof(ear->jkt), "%s", ar_jwk_thumbprint(key));
	if (device)
		snprintf(ear->subject, sizeof(ear->subject), "%s", device);
	ear->nsubmods = 1;
	snprintf(ear->submods[0].name, sizeof(ear->submods[0].name), "device");
	for (i = 0; i < AR_TV_COUNT; i++)
		ear->submods[0].tv.v[i] = 2;
}

/* The signed JWT of @ear (caller frees). */
static char *mint(const ar_ear_t *ear)
{
	char *jwt = ar_ear_sign(ear, minter, NULL);

	assert_non_null(jwt);
	return jwt;
}

/* A CMW record of @ear typed @type with indicator @ind. */
static json_t *minted_record(const ar_ear_t *ear, const char *type, unsigned ind)
{
	char *jwt = mint(ear);
	json_t *rec = ar_cmw_record(type, jwt, strlen(jwt), ind);

	free(jwt);
	return rec;
}

/* Post @payload to challenge @url; the challenge as answered (200). */
static json_t *post_cmw(const char *url, json_t *payload)
{
	json_t *c = respond(url, payload, 200);

	json_decref(payload);
	return c;
}

/* Fail unless @c is invalid with badAttestationStatement and a detail holding each of @needles. */
static void expect_refused(const json_t *c, const char *const *needles)
{
	const json_t *e = json_object_get(c, "error");
	const char *detail = json_string_value(json_object_get(e, "detail"));

	assert_string_equal(status_of(c), "invalid");
	assert_string_equal(json_string_value(json_object_get(e, "type")),
			    "urn:ietf:params:acme:error:badAttestationStatement");
	for (; *needles; needles++)
		if (!detail || !strstr(detail, *needles))
			fail_msg("detail \"%s\" lacks \"%s\"", detail ? detail : "", *needles);
}

/*
 * A client adds a member of its own to its remote-attest-01 response (RFC
 * 8555 lets servers ignore what they do not know): the passport
 * {"attestation": <CMW>, "foo": 1} and the sealed evidence with "foo": 1
 * are taken like the bare ones, from the real verifier, and the order is
 * ready. Members the CA does know keep their types: a collection type that
 * is not a string, a CMW record whose value is not a string, are refused.
 */
static void test_attestation_response_with_unknown_member_accepted_and_ignored(void **state)
{
	static const char *const ctype[] = { "__cmwc_t", NULL };
	static const char *const value[] = { "value must be a base64url string", NULL };
	char urls[2][600], nonces[2][128], order_url[600];
	json_t *c, *cmw, *jwe, *o;

	(void)state;
	attested_order(urls, nonces, order_url, sizeof(order_url));
	cmw = passport(nonces[0], t.device_key, time(NULL) - 86400);
	c = post_cmw(urls[0], json_pack("{s:o,s:i}", "attestation", cmw, "foo", 1));
	assert_string_equal(status_of(c), "valid");
	json_decref(c);
	jwe = sealed_evidence(nonces[1], time(NULL) - 86400);
	json_object_set_new(jwe, "foo", json_integer(1));
	c = respond(urls[1], jwe, 200);
	assert_string_equal(status_of(c), "valid");
	json_decref(c);
	json_decref(jwe);
	o = read_order(order_url);
	assert_string_equal(status_of(o), "ready");
	json_decref(o);

	attested_order(urls, nonces, order_url, sizeof(order_url));
	cmw = passport(nonces[0], t.device_key, time(NULL) - 86400);
	c = post_cmw(urls[0], json_pack("{s:O,s:i,s:i}", "attestation", cmw, "__cmwc_t", 7, "foo",
					1));
	expect_refused(c, ctype);
	json_decref(c);
	json_decref(cmw);
	c = post_cmw(urls[1], json_pack("{s:[s,i],s:i}", "attestation", AR_MT_EAR, 5, "foo", 1));
	expect_refused(c, value);
	json_decref(c);
}

typedef struct hint_chall {
	char	hint[32];
	char	url[600];
	char	nonce[128];
} hint_chall_t;

/*
 * An order for SUB-0042 offering the hint @offer as well (NULL: none): its
 * URL and its remote-attest-01 challenges, each with its hint; how many.
 */
static size_t hinted_order(const char *offer, hint_chall_t *out, size_t max, char *order_url,
			   size_t size)
{
	json_t *p = json_pack("{s:[{s:s,s:s}]}", "identifiers", "type", "permanent-identifier",
			      "value", "SUB-0042"), *o, *auths;
	httpc_resp_t r;
	size_t i, k = 0;

	if (offer)
		json_array_append_new(json_object_get(p, "identifiers"),
				      json_pack("{s:s,s:s}", "type", "remote-attestation", "value",
						offer));
	assert_int_equal(acmec_post(&t.c, acmec_url(&t.c, "newOrder"), p, 0, NULL, &r), 0);
	if (r.status != 201)
		fail_msg("newOrder %ld %s", r.status, r.body);
	snprintf(order_url, size, "%s", r.location);
	o = json_loads(r.body, 0, NULL);
	httpc_free(&r);
	json_decref(p);
	auths = json_object_get(o, "authorizations");
	for (i = 0; i < json_array_size(auths); i++) {
		json_t *a = read_order(json_string_value(json_array_get(auths, i)));
		json_t *c = json_array_get(json_object_get(a, "challenges"), 0);

		if (c && !strcmp(json_string_value(json_object_get(c, "type")), "remote-attest-01")) {
			assert_true(k < max);
			snprintf(out[k].hint, sizeof(out[k].hint), "%s", json_string_value(
				 json_object_get(json_object_get(a, "identifier"), "value")));
			snprintf(out[k].url, sizeof(out[k].url), "%s",
				 json_string_value(json_object_get(c, "url")));
			snprintf(out[k].nonce, sizeof(out[k].nonce), "%s",
				 json_string_value(json_object_get(c, "freshness_nonce")));
			k++;
		}
		json_decref(a);
	}
	json_decref(o);
	return k;
}

static const hint_chall_t *find_hint(const hint_chall_t *ch, size_t n, const char *hint)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(ch[i].hint, hint))
			return &ch[i];
	fail_msg("the order has no challenge for hint \"%s\"", hint);
	return NULL;
}

/* Win every challenge of @ch with a healthy EAR for SUB-0042 binding @key. */
static void win_all(const hint_chall_t *ch, size_t n, const ar_jwk_t *key)
{
	ar_ear_t ear;
	size_t i;

	for (i = 0; i < n; i++) {
		json_t *c;

		minted_ear(&ear, ch[i].nonce, "SUB-0042", key);
		c = post_cmw(ch[i].url, minted_record(&ear, AR_MT_EAR, AR_CMW_IND_RESULTS));
		assert_string_equal(status_of(c), "valid");
		json_decref(c);
	}
}

static ar_store_t *store(void)
{
	ar_store_opts_t so = { .host = "127.0.0.1", .port = t.redis.port };
	ar_store_t *st = ar_store_open(&so, NULL);

	assert_non_null(st);
	return st;
}

/*
 * SUB-0042-b is flagged; it attests as itself and presents its EAR in
 * SUB-0042's order to get SUB-0042 a certificate. The EAR is genuine, fresh
 * and for this challenge's nonce: only its subject gives it away. An EAR
 * that names no device at all is refused as well.
 */
static void test_ear_naming_another_device_than_the_order_refused(void **state)
{
	static const char *const other[] = { "\"SUB-0042-b\"", "\"SUB-0042\"", NULL };
	static const char *const nobody[] = { "names no device", "\"SUB-0042\"", NULL };
	ar_store_verdict_t v = { .status = AR_STATUS_CONTRAINDICATED };
	char order_url[600];
	hint_chall_t ch[4];
	ar_store_t *st = store();
	ar_ear_t ear;
	json_t *c, *o;

	(void)state;
	snprintf(v.reason, sizeof(v.reason), "malware on SUB-0042-b");
	snprintf(v.source, sizeof(v.source), "ctl");
	assert_int_equal(ar_store_verdict_put(st, "SUB-0042-b", &v, NULL), 0);
	assert_int_equal(hinted_order(NULL, ch, 4, order_url, sizeof(order_url)), 2);

	minted_ear(&ear, ch[0].nonce, "SUB-0042-b", t.device_key);
	c = post_cmw(ch[0].url, minted_record(&ear, AR_MT_EAR, AR_CMW_IND_RESULTS));
	expect_refused(c, other);
	json_decref(c);

	minted_ear(&ear, ch[1].nonce, NULL, t.device_key);
	c = post_cmw(ch[1].url, minted_record(&ear, AR_MT_EAR, AR_CMW_IND_RESULTS));
	expect_refused(c, nobody);
	json_decref(c);

	o = read_order(order_url);
	assert_string_equal(status_of(o), "invalid");
	assert_null(json_object_get(o, "certificate"));
	json_decref(o);
	ar_store_close(st);
}

/*
 * An order offering @hint (NULL: the profile's own hints only): its
 * challenge for @hint is answered by an otherwise perfect EAR that makes no
 * @claim claim; refused, naming the hint and the claim.
 */
static void hint_without_claim_refused(const char *offer, const char *hint, ar_tv_claim_t claim,
				       const char *label)
{
	const char *needles[] = { label, ar_tv_claim_name(claim), "affirming", NULL };
	char order_url[600];
	const hint_chall_t *h;
	hint_chall_t ch[4];
	size_t n = hinted_order(offer, ch, 4, order_url, sizeof(order_url));
	ar_ear_t ear;
	json_t *c, *o;

	h = find_hint(ch, n, hint);
	minted_ear(&ear, h->nonce, "SUB-0042", t.device_key);
	ear.submods[0].tv.v[claim] = 0;
	c = post_cmw(h->url, minted_record(&ear, AR_MT_EAR, AR_CMW_IND_RESULTS));
	expect_refused(c, needles);
	json_decref(c);
	o = read_order(order_url);
	assert_string_equal(status_of(o), "invalid");
	json_decref(o);
}

/* hsm: the key in hardware is AR4SI storage-opaque (acme-rats-verifier: a key proven in hardware). */
static void test_hint_hsm_without_its_claims_refused(void **state)
{
	(void)state;
	hint_without_claim_refused("hsm", "hsm", AR_TV_STORAGE_OPAQUE, "the hsm hint");
}

/* measured_boot (offered in the draft's "measured-boot" spelling): executables. */
static void test_hint_measured_boot_without_its_claims_refused(void **state)
{
	(void)state;
	hint_without_claim_refused("measured-boot", "measured_boot", AR_TV_EXECUTABLES,
				   "the measured_boot hint");
}

/* os_patch_level, which the profile challenges by itself: configuration. */
static void test_hint_os_patch_level_without_its_claims_refused(void **state)
{
	(void)state;
	hint_without_claim_refused(NULL, "os_patch_level", AR_TV_CONFIGURATION,
				   "the os_patch_level hint");
}

/* sw_manifest: executables and the file system; without file-system, refused. */
static void test_hint_sw_manifest_without_its_claims_refused(void **state)
{
	(void)state;
	hint_without_claim_refused("sw_manifest", "sw_manifest", AR_TV_FILE_SYSTEM,
				   "the sw_manifest hint");
}

/* fido2: instance identity and genuine hardware. */
static void test_hint_fido2_without_its_claims_refused(void **state)
{
	(void)state;
	hint_without_claim_refused("fido2", "fido2", AR_TV_HARDWARE, "the fido2 hint");
	hint_without_claim_refused("fido2", "fido2", AR_TV_INSTANCE_IDENTITY, "the fido2 hint");
}

/*
 * Every hint's claims met, the "" hint's nothing beyond the policy: the
 * order with "", os_patch_level and hsm is ready. A claim the "" hint does
 * not require is not asked for.
 */
static void test_hint_claims_met_makes_the_order_ready(void **state)
{
	char order_url[600];
	hint_chall_t ch[4];
	size_t n = hinted_order("hsm", ch, 4, order_url, sizeof(order_url));
	const hint_chall_t *any = find_hint(ch, n, "");
	ar_ear_t ear;
	json_t *c, *o;

	(void)state;
	assert_int_equal(n, 3);
	minted_ear(&ear, any->nonce, "SUB-0042", t.device_key);
	ear.submods[0].tv.v[AR_TV_STORAGE_OPAQUE] = 0;
	ear.submods[0].tv.v[AR_TV_FILE_SYSTEM] = 0;
	c = post_cmw(any->url, minted_record(&ear, AR_MT_EAR, AR_CMW_IND_RESULTS));
	assert_string_equal(status_of(c), "valid");
	json_decref(c);
	win_all(find_hint(ch, n, "hsm"), 1, t.device_key);
	win_all(find_hint(ch, n, "os_patch_level"), 1, t.device_key);
	o = read_order(order_url);
	assert_string_equal(status_of(o), "ready");
	json_decref(o);
}

/*
 * An EAR whose first submodule is spotless and whose second is not: the
 * certificate's extension and the posture record carry, claim by claim,
 * the worst over both (and over the order's other EAR), not the first
 * submodule's vector.
 */
static void test_worst_of_submodules_in_certificate_extension(void **state)
{
	char order_url[600], *csr;
	hint_chall_t ch[4];
	ar_store_posture_t posture;
	ar_certext_t ext;
	ar_store_t *st = store();
	ar_ear_t ear;
	httpc_resp_t r;
	json_t *c, *o;
	X509 *cert;

	(void)state;
	assert_int_equal(hinted_order(NULL, ch, 4, order_url, sizeof(order_url)), 2);
	minted_ear(&ear, ch[0].nonce, "SUB-0042", t.device_key);
	ear.nsubmods = 2;
	ear.submods[1] = ear.submods[0];
	snprintf(ear.submods[1].name, sizeof(ear.submods[1].name), "tpm");
	ear.submods[1].tv.v[AR_TV_HARDWARE] = 0;		/* no claim */
	ear.submods[1].tv.v[AR_TV_RUNTIME_OPAQUE] = 0;
	ear.submods[1].tv.v[AR_TV_SOURCED_DATA] = -3;		/* affirming, a reason of its own */
	c = post_cmw(ch[0].url, minted_record(&ear, AR_MT_EAR, AR_CMW_IND_RESULTS));
	assert_string_equal(status_of(c), "valid");
	json_decref(c);
	/* The order's other EAR: file-system missing from it alone. */
	minted_ear(&ear, ch[1].nonce, "SUB-0042", t.device_key);
	ear.submods[0].tv.v[AR_TV_FILE_SYSTEM] = 0;
	c = post_cmw(ch[1].url, minted_record(&ear, AR_MT_EAR, AR_CMW_IND_RESULTS));
	assert_string_equal(status_of(c), "valid");
	json_decref(c);

	csr = csr_b64(t.device_key, "SUB-0042");
	finalize(order_url, csr, 200, &r);
	httpc_free(&r);
	free(csr);
	o = read_order(order_url);
	cert = catest_download_cert(&t.c, json_string_value(json_object_get(o, "certificate")));
	assert_non_null(cert);
	json_decref(o);
	assert_int_equal(ar_certext_from_cert(cert, &ext, NULL), 1);
	assert_int_equal(ext.status, AR_STATUS_AFFIRMING);
	assert_int_equal(ext.tv.v[AR_TV_INSTANCE_IDENTITY], 2);
	assert_int_equal(ext.tv.v[AR_TV_HARDWARE], 0);		/* the second submodule's */
	assert_int_equal(ext.tv.v[AR_TV_RUNTIME_OPAQUE], 0);
	assert_int_equal(ext.tv.v[AR_TV_SOURCED_DATA], 2);	/* tie: both affirming */
	assert_int_equal(ext.tv.v[AR_TV_FILE_SYSTEM], 0);	/* the order's other EAR's */
	assert_int_equal(ext.tv.v[AR_TV_STORAGE_OPAQUE], 2);
	assert_int_equal(ar_store_posture_get(st, "SUB-0042", &posture, NULL), 1);
	/* the posture keeps the claims made: no fs, hw, rt (0: no claim) */
	assert_non_null(strstr(posture.tv, "ii=2 "));
	assert_non_null(strstr(posture.tv, " st=2 sd=2"));
	assert_null(strstr(posture.tv, "fs="));
	assert_null(strstr(posture.tv, "hw="));
	assert_null(strstr(posture.tv, "rt="));
	X509_free(cert);
	ar_store_close(st);
}

/*
 * The device wins its challenges while healthy; the SOC flags it before it
 * finalizes. The verdict is read with the issuance transaction: refused,
 * nothing issued, the order not valid. Cleared, the same order issues.
 */
static void test_flag_between_challenge_and_finalize_refused(void **state)
{
	ar_store_verdict_t v = { .status = AR_STATUS_WARNING };
	char order_url[600], *csr;
	hint_chall_t ch[4];
	ar_store_cert_t *certs = NULL;
	size_t before = 0, after = 0;
	ar_store_t *st = store();
	httpc_resp_t r;
	json_t *o;

	(void)state;
	assert_int_equal(hinted_order(NULL, ch, 4, order_url, sizeof(order_url)), 2);
	win_all(ch, 2, t.device_key);
	assert_int_equal(ar_store_certs_of_device(st, "SUB-0042", &certs, &before, NULL), 0);
	free(certs);
	snprintf(v.reason, sizeof(v.reason), "SIEM: beaconing to a known C2");
	snprintf(v.source, sizeof(v.source), "soc-api");
	assert_int_equal(ar_store_verdict_put(st, "SUB-0042", &v, NULL), 0);

	csr = csr_b64(t.device_key, "SUB-0042");
	finalize(order_url, csr, 403, &r);
	expect_problem(&r, 403, "unauthorized");
	if (!strstr(r.body, "the SOC's verdict on SUB-0042 is warning") ||
	    !strstr(r.body, "no certificate is issued until the SOC clears it"))
		fail_msg("%s", r.body);
	httpc_free(&r);
	o = read_order(order_url);
	assert_string_not_equal(status_of(o), "valid");
	assert_null(json_object_get(o, "certificate"));
	json_decref(o);
	certs = NULL;
	assert_int_equal(ar_store_certs_of_device(st, "SUB-0042", &certs, &after, NULL), 0);
	free(certs);
	assert_int_equal(after, before);

	/* Contraindicated: the same. */
	v.status = AR_STATUS_CONTRAINDICATED;
	assert_int_equal(ar_store_verdict_put(st, "SUB-0042", &v, NULL), 0);
	finalize(order_url, csr, 403, &r);
	assert_non_null(strstr(r.body, "is contraindicated"));
	httpc_free(&r);

	/* The SOC clears it: the order issues. */
	assert_int_equal(ar_store_verdict_clear(st, "SUB-0042", NULL), 1);
	finalize(order_url, csr, 200, &r);
	httpc_free(&r);
	o = read_order(order_url);
	assert_string_equal(status_of(o), "valid");
	json_decref(o);
	free(csr);
	ar_store_close(st);
}

/*
 * The device binds its ACME account key in the EAR and asks for a TLS
 * certificate on it: refused, whatever the attestation bound.
 */
static void test_csr_with_account_key_refused(void **state)
{
	char order_url[600], *csr;
	hint_chall_t ch[4];
	httpc_resp_t r;
	json_t *o;

	(void)state;
	assert_int_equal(hinted_order(NULL, ch, 4, order_url, sizeof(order_url)), 2);
	win_all(ch, 2, t.account_key);
	csr = csr_b64(t.account_key, "SUB-0042");
	finalize(order_url, csr, 400, &r);
	expect_problem(&r, 400, "badCSR");
	assert_non_null(strstr(r.body, "account"));
	httpc_free(&r);
	free(csr);
	o = read_order(order_url);
	assert_string_equal(status_of(o), "ready");
	assert_null(json_object_get(o, "certificate"));
	json_decref(o);
}

/*
 * The EARs say the key is certified in hardware (storage-opaque affirming,
 * cnf.jkt the thumbprint of K1, as acme-rats-verifier signs them for a key
 * TPM2_Certify'd by the device's AK): a CSR carrying K2 is badCSR naming
 * both thumbprints, and nothing is issued; the same order finalized with
 * K1 is issued for K1.
 */
static void test_csr_key_not_certified_key_refused(void **state)
{
	char order_url[600], *csr;
	ar_jwk_t *k2 = ar_jwk_generate("ES256", NULL);
	const char *detail;
	hint_chall_t ch[4];
	httpc_resp_t r;
	json_t *o, *p;
	X509 *cert;
	ar_jwk_t *pub;

	(void)state;
	assert_non_null(k2);
	assert_int_equal(hinted_order(NULL, ch, 4, order_url, sizeof(order_url)), 2);
	win_all(ch, 2, t.device_key);	/* every claim 2: storage-opaque affirming */

	csr = csr_b64(k2, "SUB-0042");
	finalize(order_url, csr, 400, &r);
	expect_problem(&r, 400, "badCSR");
	p = json_loads(r.body, 0, NULL);
	detail = json_string_value(json_object_get(p, "detail"));
	if (!detail || !strstr(detail, "TPM-certified") ||
	    !strstr(detail, ar_jwk_thumbprint(t.device_key)) || !strstr(detail, ar_jwk_thumbprint(k2)))
		fail_msg("%s", r.body);
	json_decref(p);
	httpc_free(&r);
	free(csr);
	o = read_order(order_url);
	assert_string_equal(status_of(o), "ready");
	assert_null(json_object_get(o, "certificate"));
	json_decref(o);

	csr = csr_b64(t.device_key, "SUB-0042");
	finalize(order_url, csr, 200, &r);
	o = json_loads(r.body, 0, NULL);
	httpc_free(&r);
	free(csr);
	assert_string_equal(status_of(o), "valid");
	cert = catest_download_cert(&t.c, json_string_value(json_object_get(o, "certificate")));
	assert_non_null(cert);
	pub = ar_jwk_from_pkey(X509_get0_pubkey(cert), NULL);
	assert_non_null(pub);
	assert_string_equal(ar_jwk_thumbprint(pub), ar_jwk_thumbprint(t.device_key));
	ar_jwk_free(pub);
	X509_free(cert);
	json_decref(o);
	ar_jwk_free(k2);
}

/* A CMW collection of @a (label "os") and @b (label "tpm"). */
static json_t *collection(const ar_ear_t *a, const ar_ear_t *b)
{
	return json_pack("{s:s,s:o,s:o}", "__cmwc_t", "tag:acme-rats,2026:posture",
			 "os", minted_record(a, AR_MT_EAR, AR_CMW_IND_RESULTS),
			 "tpm", minted_record(b, AR_MT_EAR, AR_CMW_IND_RESULTS));
}

/*
 * A collection holding several EARs: every one is appraised and the worst
 * wins. A contraindicated second EAR, a second EAR for another device or
 * binding another key, a second EAR without the hint's claim: each refused,
 * though the first EAR alone would pass. Two good ones: accepted.
 */
static void test_cmw_collection_with_several_ears_worst_wins(void **state)
{
	static const char *const contra[] = { "CMW record \"tpm\"", "contraindicated", NULL };
	static const char *const device[] = { "CMW record \"tpm\"", "\"SUB-0043\"", NULL };
	static const char *const keys[] = { "CMW record \"tpm\"", "different keys", NULL };
	static const char *const hint[] = { "os_patch_level", "configuration", NULL };
	ar_jwk_t *other = ar_jwk_generate("ES256", NULL);
	char order_url[600];
	hint_chall_t ch[4];
	const hint_chall_t *h;
	ar_ear_t a, b;
	json_t *c;
	size_t n;

	(void)state;
	n = hinted_order(NULL, ch, 4, order_url, sizeof(order_url));
	minted_ear(&a, ch[0].nonce, "SUB-0042", t.device_key);
	b = a;
	b.submods[0].tv.v[AR_TV_EXECUTABLES] = 99;	/* evidence failed its cryptographic check */
	c = post_cmw(ch[0].url, collection(&a, &b));
	expect_refused(c, contra);
	json_decref(c);
	minted_ear(&a, ch[1].nonce, "SUB-0042", t.device_key);
	b = a;
	snprintf(b.subject, sizeof(b.subject), "SUB-0043");
	c = post_cmw(ch[1].url, collection(&a, &b));
	expect_refused(c, device);
	json_decref(c);

	n = hinted_order(NULL, ch, 4, order_url, sizeof(order_url));
	minted_ear(&a, ch[0].nonce, "SUB-0042", t.device_key);
	minted_ear(&b, ch[0].nonce, "SUB-0042", other);
	c = post_cmw(ch[0].url, collection(&a, &b));
	expect_refused(c, keys);
	json_decref(c);
	h = find_hint(ch, n, "os_patch_level");
	minted_ear(&a, h->nonce, "SUB-0042", t.device_key);
	b = a;
	b.submods[0].tv.v[AR_TV_CONFIGURATION] = 0;
	c = post_cmw(h->url, collection(&a, &b));
	expect_refused(c, hint);
	json_decref(c);

	n = hinted_order(NULL, ch, 4, order_url, sizeof(order_url));
	h = find_hint(ch, n, "os_patch_level");
	minted_ear(&a, h->nonce, "SUB-0042", t.device_key);
	b = a;
	b.submods[0].tv.v[AR_TV_HARDWARE] = 0;
	c = post_cmw(h->url, collection(&a, &b));
	assert_string_equal(status_of(c), "valid");
	json_decref(c);

	/* a good EAR beside a record the CA does not appraise: refused, not skipped */
	{
		static const char *const extra[] = { "not an attestation result", NULL };
		json_t *coll;

		n = hinted_order(NULL, ch, 4, order_url, sizeof(order_url));
		minted_ear(&a, ch[0].nonce, "SUB-0042", t.device_key);
		coll = json_pack("{s:s,s:o,s:o}", "__cmwc_t", "tag:acme-rats,2026:posture",
				 "os", minted_record(&a, AR_MT_EAR, AR_CMW_IND_RESULTS),
				 "ev", ar_cmw_record(AR_MT_EVIDENCE, "{}", 2, AR_CMW_IND_EVIDENCE));
		c = post_cmw(ch[0].url, coll);
		expect_refused(c, extra);
		json_decref(c);
	}
	ar_jwk_free(other);
}

/*
 * The CMW record's type names one EAR profile, the token inside claims the
 * other: the wrapper and the result disagree, refused.
 */
static void test_cmw_type_profile_mismatch_refused(void **state)
{
	static const char *const mismatch[] = { "eat_profile", "tag:ietf.org,2026:rats/ear#03",
						"tag:github.com,2023:veraison/ear", NULL };
	char order_url[600];
	hint_chall_t ch[4];
	ar_ear_t ear;
	json_t *c;

	(void)state;
	assert_int_equal(hinted_order(NULL, ch, 4, order_url, sizeof(order_url)), 2);
	minted_ear(&ear, ch[0].nonce, "SUB-0042", t.device_key);	/* Veraison profile */
	c = post_cmw(ch[0].url, minted_record(&ear, AR_MT_EAR_IETF, AR_CMW_IND_RESULTS));
	expect_refused(c, mismatch);
	json_decref(c);
	/* The IETF profile in its own type, and a bare type with ind 8: accepted. */
	minted_ear(&ear, ch[1].nonce, "SUB-0042", t.device_key);
	ear.profile = AR_EAR_PROFILE_IETF03;
	c = post_cmw(ch[1].url, minted_record(&ear, "application/eat+jwt", AR_CMW_IND_RESULTS));
	assert_string_equal(status_of(c), "valid");
	json_decref(c);
}

/* An EAR record whose indicator says evidence, not attestation results: refused. */
static void test_cmw_ind_without_results_bit_refused(void **state)
{
	static const char *const ind[] = { "attestation-results bit (8)", NULL };
	char order_url[600];
	hint_chall_t ch[4];
	ar_ear_t ear;
	json_t *c;

	(void)state;
	assert_int_equal(hinted_order(NULL, ch, 4, order_url, sizeof(order_url)), 2);
	minted_ear(&ear, ch[0].nonce, "SUB-0042", t.device_key);
	c = post_cmw(ch[0].url, minted_record(&ear, AR_MT_EAR, AR_CMW_IND_EVIDENCE));
	expect_refused(c, ind);
	json_decref(c);
}

#define RACE_ORDERS	4
#define RACERS		16

/*
 * RACERS processes per URL of @urls, each with its own client and nonce,
 * wait at a barrier and POST @payload at once; each writes "<url index>
 * <status> <problem type or ->" to @out.
 */
static void race_posts(char urls[][700], size_t nurls, const json_t *payload, int out)
{
	pid_t pids[RACE_ORDERS * RACERS];
	size_t i, n = nurls * RACERS;
	int go[2];

	assert_true(n <= RACE_ORDERS * RACERS);
	assert_int_equal(pipe(go), 0);
	for (i = 0; i < n; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			char line[200], b;
			httpc_resp_t r;
			json_t *j;
			acmec_t c;
			int len;

			close(go[1]);
			if (acmec_init(&c, t.ca.base, t.ca.cafile, t.account_key) < 0)
				_exit(2);
			snprintf(c.kid, sizeof(c.kid), "%s", t.c.kid);
			if (read(go[0], &b, 1) < 0)	/* EOF: everyone goes */
				_exit(2);
			if (acmec_post(&c, urls[i / RACERS], payload, 0, NULL, &r) < 0)
				_exit(2);
			j = json_loads(r.body, 0, NULL);
			len = snprintf(line, sizeof(line), "%zu %ld %s\n", i / RACERS, r.status,
				       r.status == 200 ? "-" :
				       json_string_value(json_object_get(j, "type")) ?
				       json_string_value(json_object_get(j, "type")) : "?");
			if (len <= 0 || (size_t)len >= sizeof(line) ||
			    write(out, line, (size_t)len) != len)
				_exit(2);
			_exit(0);
		}
	}
	close(go[0]);
	lab_sleep_ms(500);
	close(go[1]);
	for (i = 0; i < n; i++) {
		int status;

		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
}

/*
 * Sixteen finalize requests at once on each of several ready orders: each
 * order issues exactly one certificate. The order moves ready ->
 * processing atomically before anything is signed; the other fifteen get
 * orderNotReady (RFC 8555 7.4) and no certificate.
 */
static void test_concurrent_finalizes_issue_one_certificate_per_order(void **state)
{
	char urls[RACE_ORDERS][700], order_urls[RACE_ORDERS][600], *csr, *line, *save = NULL;
	char buf[RACE_ORDERS * RACERS * 200 + 1];
	int issued[RACE_ORDERS] = { 0 }, refused[RACE_ORDERS] = { 0 }, fd[2];
	ar_store_cert_t *certs = NULL;
	size_t before = 0, after = 0, len = 0, i;
	ar_store_t *st = store();
	hint_chall_t ch[4];
	json_t *p;
	ssize_t n;

	(void)state;
	for (i = 0; i < RACE_ORDERS; i++) {
		assert_int_equal(hinted_order(NULL, ch, 4, order_urls[i], sizeof(order_urls[i])), 2);
		win_all(ch, 2, t.device_key);
		snprintf(urls[i], sizeof(urls[i]), "%.600s/finalize", order_urls[i]);
	}
	assert_int_equal(ar_store_certs_of_device(st, "SUB-0042", &certs, &before, NULL), 0);
	free(certs);
	csr = csr_b64(t.device_key, "SUB-0042");
	p = json_pack("{s:s}", "csr", csr);
	assert_int_equal(pipe(fd), 0);
	race_posts(urls, RACE_ORDERS, p, fd[1]);
	close(fd[1]);
	while ((n = read(fd[0], buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	close(fd[0]);
	buf[len] = '\0';
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char type[128];
		unsigned long idx;
		long status;

		assert_int_equal(sscanf(line, "%lu %ld %127s", &idx, &status, type), 3);
		assert_true(idx < RACE_ORDERS);
		if (status == 200)
			issued[idx]++;
		else if (status == 403 && strstr(type, ":orderNotReady"))
			refused[idx]++;
		else
			fail_msg("finalize answered %s", line);
	}
	for (i = 0; i < RACE_ORDERS; i++) {
		json_t *o = read_order(order_urls[i]);

		assert_int_equal(issued[i], 1);
		assert_int_equal(refused[i], RACERS - 1);
		assert_string_equal(status_of(o), "valid");
		assert_non_null(json_object_get(o, "certificate"));
		json_decref(o);
	}
	certs = NULL;
	assert_int_equal(ar_store_certs_of_device(st, "SUB-0042", &certs, &after, NULL), 0);
	free(certs);
	assert_int_equal(after - before, RACE_ORDERS);
	json_decref(p);
	free(csr);
	ar_store_close(st);
}

/* The authorization URL of challenge URL @chall (".../chall/<authz>/<n>"). */
static void authz_of(const char *chall, char *out, size_t size)
{
	const char *at = strstr(chall, "/chall/");
	size_t n;

	assert_non_null(at);
	n = strcspn(at + 7, "/");
	snprintf(out, size, "%.*s/authz/%.*s", (int)(at - chall), chall, (int)n, at + 7);
}

/*
 * The device gives an authorization up while its background check is
 * still with the verifier (stopped, then let go): the validation's result
 * comes after the deactivation and is dropped. The authorization stays
 * deactivated, the order is invalid and nothing can be finalized
 * (RFC 8555 7.5.2: deactivation is for good).
 */
static void test_deactivation_during_validation_sticks(void **state)
{
	char urls[2][600], nonces[2][128], order_url[600], authz_url[700], *csr;
	json_t *jwe, *p = json_pack("{s:s}", "status", "deactivated"), *a, *o, *c;
	httpc_resp_t r;
	int fd[2], code = 0, status;
	pid_t pid;

	(void)state;
	attested_order(urls, nonces, order_url, sizeof(order_url));
	authz_of(urls[0], authz_url, sizeof(authz_url));
	jwe = sealed_evidence(nonces[0], time(NULL) - 86400);
	assert_int_equal(pipe(fd), 0);
	assert_int_equal(kill(t.vpid, SIGSTOP), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		acmec_t c2;
		httpc_resp_t r2;

		if (acmec_init(&c2, t.ca.base, t.ca.cafile, t.account_key) < 0)
			_exit(2);
		snprintf(c2.kid, sizeof(c2.kid), "%s", t.c.kid);
		code = acmec_post(&c2, urls[0], jwe, 0, NULL, &r2) == 0 ? (int)r2.status : -1;
		_exit(write(fd[1], &code, sizeof(code)) == sizeof(code) ? 0 : 2);
	}
	lab_sleep_ms(400);		/* the response is with the (stopped) verifier */
	assert_int_equal(acmec_post(&t.c, authz_url, p, 0, NULL, &r), 0);
	assert_int_equal(r.status, 200);
	httpc_free(&r);
	assert_int_equal(kill(t.vpid, SIGCONT), 0);
	assert_int_equal(read(fd[0], &code, sizeof(code)), sizeof(code));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	close(fd[0]);
	close(fd[1]);
	assert_int_equal(code, 200);

	a = read_order(authz_url);
	assert_string_equal(status_of(a), "deactivated");
	c = read_order(urls[0]);
	assert_string_not_equal(status_of(c), "valid");
	o = read_order(order_url);
	assert_string_equal(status_of(o), "invalid");
	csr = csr_b64(t.device_key, "SUB-0042");
	finalize(order_url, csr, 403, &r);
	expect_problem(&r, 403, "orderNotReady");
	httpc_free(&r);
	free(csr);
	json_decref(o);
	json_decref(c);
	json_decref(a);
	json_decref(jwe);
	json_decref(p);
}

/*
 * RFC 9773 5: a certificate already replaced by an order that is invalid
 * may be replaced by another. An order replacing it is refused at finalize
 * (the SOC holds the device), then given up (an authorization deactivated:
 * the order is invalid); once the SOC clears the device, a new order
 * replacing the same certificate is finalized and supersedes it - the
 * failed order's claim does not block the renewal for good.
 */
static void test_replacement_not_blocked_by_an_order_that_failed_and_went_invalid(void **state)
{
	ar_store_verdict_t v = { .status = AR_STATUS_WARNING, .set_at = time(NULL) };
	char urls[2][600], nonces[2][128], order_url[600], authz_url[700], id[200], *csr;
	char aki[80], serial[80];
	X509 *old = issue_certificate(NULL), *renewed;
	ar_store_t *st = store();
	ar_store_cert_t rec;
	httpc_resp_t r;
	json_t *o, *p;
	size_t i;

	(void)state;
	assert_int_equal(ar_cert_ari_id(old, id, sizeof(id), NULL), 0);
	assert_int_equal(ar_cert_ids(old, aki, sizeof(aki), serial, sizeof(serial), NULL), 0);
	attested_order_replacing(id, urls, nonces, order_url, sizeof(order_url));
	for (i = 0; i < 2; i++) {
		json_t *cmw = passport(nonces[i], t.device_key, time(NULL) - 86400);
		json_t *c = respond(urls[i], cmw, 200);

		assert_string_equal(status_of(c), "valid");
		json_decref(c);
		json_decref(cmw);
	}
	snprintf(v.reason, sizeof(v.reason), "SIEM: suspicious login");
	snprintf(v.source, sizeof(v.source), "soc-api");
	assert_int_equal(ar_store_verdict_put(st, "SUB-0042", &v, NULL), 0);
	csr = csr_b64(t.device_key, "SUB-0042");
	finalize(order_url, csr, 403, &r);
	expect_problem(&r, 403, "unauthorized");
	httpc_free(&r);
	authz_of(urls[0], authz_url, sizeof(authz_url));
	p = json_pack("{s:s}", "status", "deactivated");
	assert_int_equal(acmec_post(&t.c, authz_url, p, 0, NULL, &r), 0);
	assert_int_equal(r.status, 200);
	httpc_free(&r);
	json_decref(p);
	o = read_order(order_url);
	assert_string_equal(status_of(o), "invalid");
	json_decref(o);
	assert_int_equal(ar_store_verdict_clear(st, "SUB-0042", NULL), 1);

	renewed = issue_certificate(id);
	assert_int_equal(ar_store_cert_find(st, aki, serial, &rec, NULL), 1);
	assert_int_equal(rec.status, AR_CERT_SUPERSEDED);
	X509_free(renewed);
	X509_free(old);
	free(csr);
	ar_store_close(st);
}

/* ---- finalize racing a deactivation of the order's authorization ---- */

#define WITHDRAW_ROUNDS		48	/* fresh orders, each finalized and deactivated at once */
#define WITHDRAW_AT_ONCE	4	/* orders raced side by side: 8 processes */

/* One command on a direct connection to the test's Redis. */
static void redis_argv(int argc, const char **argv)
{
	struct timeval tv = { 2, 0 };
	redisContext *c = redisConnectWithTimeout("127.0.0.1", t.redis.port, tv);
	redisReply *r;

	assert_true(c && !c->err);
	r = redisCommandArgv(c, argc, argv, NULL);
	assert_non_null(r);
	if (r->type == REDIS_REPLY_ERROR)
		fail_msg("%s: %s", argv[0], r->str);
	freeReplyObject(r);
	redisFree(c);
}

/*
 * Redis's own order of commits, as its keyspace events tell it: each write
 * of an authorization or an ACME certificate record ("authz:<id>",
 * "cert:<id>"), in the order Redis executed them.
 */
typedef struct commit_log {
	redisContext	*sub;
	char		(*keys)[64];
	size_t		n, cap;
} commit_log_t;

static void commit_log_open(commit_log_t *l)
{
	const char *cfg[] = { "CONFIG", "SET", "notify-keyspace-events", "K$" };
	const char *sub[] = { "PSUBSCRIBE", "__keyspace@0__:acmerats:authz:*",
			      "__keyspace@0__:acmerats:cert:*", "__keyspace@0__:commit-log-end" };
	struct timeval tv = { 10, 0 };
	redisReply *r;
	int i;

	memset(l, 0, sizeof(*l));
	redis_argv(4, cfg);
	l->sub = redisConnectWithTimeout("127.0.0.1", t.redis.port, tv);
	assert_true(l->sub && !l->sub->err);
	assert_int_equal(redisSetTimeout(l->sub, tv), REDIS_OK);
	assert_int_equal(redisAppendCommandArgv(l->sub, 4, sub, NULL), REDIS_OK);
	for (i = 0; i < 3; i++) {	/* one confirmation per pattern */
		assert_int_equal(redisGetReply(l->sub, (void **)&r), REDIS_OK);
		freeReplyObject(r);
	}
}

/* Read the events up to now (a marker written last) and stop listening. */
static void commit_log_close(commit_log_t *l)
{
	const char *end[] = { "SET", "commit-log-end", "1" };
	const char *cfg[] = { "CONFIG", "SET", "notify-keyspace-events", "" };
	const char *prefix = "__keyspace@0__:acmerats:";
	redisReply *r;

	redis_argv(3, end);
	for (;;) {
		const char *chan;

		assert_int_equal(redisGetReply(l->sub, (void **)&r), REDIS_OK);
		assert_true(r->type == REDIS_REPLY_ARRAY && r->elements == 4);
		chan = r->element[2]->str;
		if (strstr(chan, "commit-log-end")) {
			freeReplyObject(r);
			break;
		}
		if (!strcmp(r->element[3]->str, "set") && !strncmp(chan, prefix, strlen(prefix))) {
			if (l->n == l->cap) {
				l->cap = l->cap ? 2 * l->cap : 1024;
				l->keys = realloc(l->keys, l->cap * sizeof(*l->keys));
				assert_non_null(l->keys);
			}
			snprintf(l->keys[l->n++], sizeof(l->keys[0]), "%s", chan + strlen(prefix));
		}
		freeReplyObject(r);
	}
	redisFree(l->sub);
	l->sub = NULL;
	redis_argv(4, cfg);
}

/* Where @key was written in @l: its first write (@last 0) or its last; -1 if never. */
static long commit_at(const commit_log_t *l, const char *key, int last)
{
	long at = -1;
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->keys[i], key)) {
			at = (long)i;
			if (!last)
				break;
		}
	return at;
}

/* One order raced, and what its finalize (F) and its deactivation (D) got. */
typedef struct withdraw_round {
	char	order_url[600];
	char	authz_url[700];
	char	urls[2][700];		/* finalize, authorization */
	long	status[2];
	char	type[2][128];
	int	during;			/* the finalize saw the deactivation mid-issuance */
} withdraw_round_t;

/*
 * Aimed: wait (at most a second) for the order's move to processing - the
 * finalize's claim, as Redis announces it - so that the deactivation
 * arrives while the certificate is being signed.
 */
static void withdraw_aim(redisContext *sub)
{
	redisReply *r = NULL;

	if (sub && redisGetReply(sub, (void **)&r) == REDIS_OK)
		freeReplyObject(r);
}

/* A subscription to the writes of order @order_url's record, or NULL. */
static redisContext *withdraw_watch(const char *order_url)
{
	struct timeval tv = { 1, 0 };
	redisContext *c = redisConnectWithTimeout("127.0.0.1", t.redis.port, tv);
	redisReply *r;
	char chan[160];

	if (!c || c->err || redisSetTimeout(c, tv) != REDIS_OK)
		return NULL;
	snprintf(chan, sizeof(chan), "__keyspace@0__:acmerats:order:%s",
		 strrchr(order_url, '/') + 1);
	r = redisCommand(c, "SUBSCRIBE %s", chan);
	if (!r)
		return NULL;
	freeReplyObject(r);
	return c;
}

/*
 * A racer: its own client and nonce, its request signed in advance; waits
 * at the barrier (@go), then sleeps @delay_ms or (@delay_ms < 0) waits for
 * the claim of @order_url; POSTs @payload to @url and writes "<round>
 * <F|D> <status> <problem type or -> <1: the detail says it changed during
 * issuance>".
 */
static void __attribute__((noreturn)) withdraw_racer(size_t round, int which, const char *url,
						    const char *order_url, const json_t *payload,
						    int delay_ms, int go, int out)
{
	redisContext *sub = delay_ms < 0 ? withdraw_watch(order_url) : NULL;
	char line[256], b, *body;
	httpc_resp_t r;
	json_t *j;
	acmec_t c;
	int len;

	if (acmec_init(&c, t.ca.base, t.ca.cafile, t.account_key) < 0)
		_exit(2);
	snprintf(c.kid, sizeof(c.kid), "%s", t.c.kid);
	body = acmec_body(&c, url, payload, 0, NULL);
	if (!body || read(go, &b, 1) < 0)	/* EOF: everyone goes */
		_exit(2);
	if (delay_ms > 0)
		lab_sleep_ms(delay_ms);
	else if (delay_ms < 0)
		withdraw_aim(sub);
	if (acmec_send(&c, url, body, "application/jose+json", &r) < 0)
		_exit(2);
	j = json_loads(r.body, 0, NULL);
	len = snprintf(line, sizeof(line), "%zu %c %ld %s %d\n", round, which ? 'D' : 'F',
		       r.status, json_string_value(json_object_get(j, "type")) ?
		       json_string_value(json_object_get(j, "type")) : "-",
		       strstr(r.body, "changed while its certificate was being issued") != NULL);
	_exit(len > 0 && (size_t)len < sizeof(line) && write(out, line, (size_t)len) == len ? 0 : 2);
}

/* A ready order for SUB-0042; the authorization @round picks (each in turn). */
static void withdraw_prepare(withdraw_round_t *w, size_t round)
{
	hint_chall_t ch[4];
	json_t *o, *auths;

	assert_int_equal(hinted_order(NULL, ch, 4, w->order_url, sizeof(w->order_url)), 2);
	win_all(ch, 2, t.device_key);
	o = read_order(w->order_url);
	assert_string_equal(status_of(o), "ready");
	auths = json_object_get(o, "authorizations");
	snprintf(w->authz_url, sizeof(w->authz_url), "%s", json_string_value(
		 json_array_get(auths, round % json_array_size(auths))));
	snprintf(w->urls[0], sizeof(w->urls[0]), "%.600s/finalize", w->order_url);
	snprintf(w->urls[1], sizeof(w->urls[1]), "%s", w->authz_url);
	json_decref(o);
}

/*
 * When the deactivation of @round is sent: aimed at the finalize's claim
 * (even rounds), or 1-13 ms after the barrier (odd rounds).
 */
static int withdraw_delay(size_t round)
{
	return round % 2 ? (int)(round % 14) : -1;
}

/* Race @n prepared orders from @first: finalize and deactivation at once, @out gets lines. */
static void withdraw_race(withdraw_round_t *w, size_t first, size_t n, const json_t *const pl[2],
			  int out)
{
	pid_t pids[2 * WITHDRAW_AT_ONCE];
	size_t i;
	int go[2];

	assert_int_equal(pipe(go), 0);
	for (i = 0; i < 2 * n; i++) {
		size_t round = first + i / 2;
		int which = (int)(i % 2);

		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			close(go[1]);
			withdraw_racer(round, which, w[round].urls[which], w[round].order_url,
				       pl[which], which ? withdraw_delay(round) : 0, go[0], out);
		}
	}
	close(go[0]);
	lab_sleep_ms(300);		/* each racer has its client */
	close(go[1]);
	for (i = 0; i < 2 * n; i++) {
		int status;

		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
}

/* Read the racers' lines into @w. */
static void withdraw_results(withdraw_round_t *w, int fd)
{
	char buf[2 * WITHDRAW_ROUNDS * 256 + 1], *line, *save = NULL;
	size_t len = 0;
	ssize_t n;

	while ((n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long round;
		char which, type[128];
		long status;
		int during;

		assert_int_equal(sscanf(line, "%lu %c %ld %127s %d", &round, &which, &status, type,
					&during), 5);
		assert_true(round < WITHDRAW_ROUNDS && (which == 'F' || which == 'D'));
		w[round].status[which == 'D'] = status;
		snprintf(w[round].type[which == 'D'], sizeof(w[round].type[0]), "%s", type);
		if (which == 'F')
			w[round].during = during;
	}
}

/*
 * The device gives an authorization of its order up while it finalizes the
 * order, on many fresh orders (one authorization or another in turn; the
 * deactivation sent, every other round, the moment Redis announces the
 * finalize's claim of the order - while the certificate is signed - else
 * 1-13 ms after the finalize): whichever commits second sees the other. Never is a certificate issued on an authorization
 * deactivated before the issuance committed - Redis's own order of
 * commits (keyspace events) is the witness - nor is an order valid whose
 * authorization was deactivated first. The deactivation always succeeds
 * (RFC 8555 7.5.2); committed first, the finalize answers orderNotReady and
 * the order is invalid; committed second, it leaves the certificate issued.
 */
static void test_finalize_racing_deactivation_never_issues_on_a_withdrawn_authorization(
	void **state)
{
	withdraw_round_t *w = calloc(WITHDRAW_ROUNDS, sizeof(*w));
	size_t before = 0, after = 0, i, issued = 0, withdrawn = 0, during = 0;
	json_t *pl[2];
	ar_store_cert_t *certs = NULL;
	ar_store_t *st = store();
	commit_log_t log;
	char *csr;
	int fd[2];

	(void)state;
	assert_non_null(w);
	csr = csr_b64(t.device_key, "SUB-0042");
	pl[0] = json_pack("{s:s}", "csr", csr);
	pl[1] = json_pack("{s:s}", "status", "deactivated");
	assert_int_equal(ar_store_certs_of_device(st, "SUB-0042", &certs, &before, NULL), 0);
	free(certs);
	assert_int_equal(pipe(fd), 0);
	commit_log_open(&log);
	for (i = 0; i < WITHDRAW_ROUNDS; i += WITHDRAW_AT_ONCE) {
		size_t k;

		for (k = i; k < i + WITHDRAW_AT_ONCE; k++)
			withdraw_prepare(&w[k], k);
		withdraw_race(w, i, WITHDRAW_AT_ONCE, (const json_t *const *)pl, fd[1]);
	}
	commit_log_close(&log);
	close(fd[1]);
	withdraw_results(w, fd[0]);
	close(fd[0]);

	for (i = 0; i < WITHDRAW_ROUNDS; i++) {
		json_t *o = read_order(w[i].order_url), *a = read_order(w[i].authz_url);
		const char *cert = json_string_value(json_object_get(o, "certificate"));
		char key[96];
		long deact_at, cert_at;

		if (w[i].status[1] != 200)
			fail_msg("round %zu: deactivation answered %ld %s", i, w[i].status[1],
				 w[i].type[1]);
		assert_string_equal(status_of(a), "deactivated");
		snprintf(key, sizeof(key), "authz:%s", strrchr(w[i].authz_url, '/') + 1);
		deact_at = commit_at(&log, key, 1);
		assert_true(deact_at >= 0);
		if (w[i].status[0] == 200) {
			/* issued: only if the issuance committed before the deactivation */
			assert_string_equal(status_of(o), "valid");
			assert_non_null(cert);
			snprintf(key, sizeof(key), "cert:%s", strrchr(cert, '/') + 1);
			cert_at = commit_at(&log, key, 0);
			if (cert_at < 0 || cert_at > deact_at)
				fail_msg("round %zu: a certificate committed at %ld, after the "
					 "deactivation at %ld", i, cert_at, deact_at);
			issued++;
		} else {
			if (w[i].status[0] != 403 || !strstr(w[i].type[0], ":orderNotReady"))
				fail_msg("round %zu: finalize answered %ld %s", i, w[i].status[0],
					 w[i].type[0]);
			assert_string_equal(status_of(o), "invalid");
			assert_null(cert);
			withdrawn++;
			during += (size_t)w[i].during;
		}
		json_decref(a);
		json_decref(o);
	}
	certs = NULL;
	assert_int_equal(ar_store_certs_of_device(st, "SUB-0042", &certs, &after, NULL), 0);
	free(certs);
	/* no certificate but those of the finalizes answered 200 */
	assert_int_equal(after - before, issued);
	print_message("finalize || deactivate, %d rounds: issued then deactivated %zu, deactivated "
		      "first %zu (%zu of them mid-issuance)\n", WITHDRAW_ROUNDS, issued, withdrawn,
		      during);
	assert_true(issued >= 1 && withdrawn >= 1);
	free(log.keys);
	json_decref(pl[0]);
	json_decref(pl[1]);
	free(csr);
	free(w);
	ar_store_close(st);
}

/* Rewrite order @order_url's record as processing since @ago seconds. */
static void set_processing(ar_store_t *st, const char *order_url, int64_t ago)
{
	char key[128], *text = NULL, *out;
	json_t *rec;

	snprintf(key, sizeof(key), "order:%s", strrchr(order_url, '/') + 1);
	assert_int_equal(ar_store_get(st, key, &text, NULL, NULL), 1);
	rec = json_loads(text, 0, NULL);
	assert_non_null(rec);
	json_object_set_new(rec, "status", json_string("processing"));
	json_object_set_new(rec, "processing_since", json_integer((json_int_t)(time(NULL) - ago)));
	out = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);
	assert_int_equal(ar_store_set(st, key, out, strlen(out), 0, NULL), 0);
	free(out);
	json_decref(rec);
	free(text);
}

/*
 * An order left processing by a finalize that stopped half-way (the CA
 * killed between the claim and the commit): refused while that finalize
 * could still be running, taken over once it cannot.
 */
static void test_order_left_processing_is_taken_over_only_when_stale(void **state)
{
	char order_url[600], *csr;
	hint_chall_t ch[4];
	ar_store_t *st = store();
	httpc_resp_t r;

	(void)state;
	assert_int_equal(hinted_order(NULL, ch, 4, order_url, sizeof(order_url)), 2);
	win_all(ch, 2, t.device_key);
	csr = csr_b64(t.device_key, "SUB-0042");
	set_processing(st, order_url, 10);
	finalize(order_url, csr, 403, &r);
	expect_problem(&r, 403, "orderNotReady");
	assert_non_null(strstr(r.body, "processing"));
	httpc_free(&r);
	set_processing(st, order_url, 3600);
	finalize(order_url, csr, 200, &r);
	httpc_free(&r);
	free(csr);
	ar_store_close(st);
}

/* Move authorization @authz_url's expiry @ago seconds into the past, in its record. */
static void expire_authz(ar_store_t *st, const char *authz_url, int64_t ago)
{
	char key[128], *text = NULL, *out;
	json_t *rec;

	snprintf(key, sizeof(key), "authz:%s", strrchr(authz_url, '/') + 1);
	assert_int_equal(ar_store_get(st, key, &text, NULL, NULL), 1);
	rec = json_loads(text, 0, NULL);
	assert_non_null(rec);
	json_object_set_new(rec, "expires", json_integer((json_int_t)(time(NULL) - ago)));
	out = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);
	assert_int_equal(ar_store_set(st, key, out, strlen(out), 0, NULL), 0);
	free(out);
	json_decref(rec);
	free(text);
}

/*
 * An order a stopped finalize left processing is taken over once stale -
 * but not after one of its authorizations expired meanwhile: a processing
 * order's status no longer follows its authorizations, the finalize checks
 * them itself (RFC 8555 7.1.6: an expired authorization authorizes
 * nothing). 403 orderNotReady naming it, and no certificate.
 */
static void test_order_left_processing_not_taken_over_on_an_expired_authorization(void **state)
{
	char order_url[600], *csr;
	ar_store_cert_t *certs = NULL;
	size_t before = 0, after = 0;
	hint_chall_t ch[4];
	ar_store_t *st = store();
	httpc_resp_t r;
	json_t *o;

	(void)state;
	assert_int_equal(hinted_order(NULL, ch, 4, order_url, sizeof(order_url)), 2);
	win_all(ch, 2, t.device_key);
	csr = csr_b64(t.device_key, "SUB-0042");
	o = read_order(order_url);
	expire_authz(st, json_string_value(json_array_get(json_object_get(o, "authorizations"), 1)),
		     60);
	json_decref(o);
	set_processing(st, order_url, 3600);
	assert_int_equal(ar_store_certs_of_device(st, "SUB-0042", &certs, &before, NULL), 0);
	free(certs);
	finalize(order_url, csr, 403, &r);
	expect_problem(&r, 403, "orderNotReady");
	assert_non_null(strstr(r.body, "is expired"));
	httpc_free(&r);
	certs = NULL;
	assert_int_equal(ar_store_certs_of_device(st, "SUB-0042", &certs, &after, NULL), 0);
	free(certs);
	assert_int_equal(after, before);
	o = read_order(order_url);
	assert_null(json_object_get(o, "certificate"));
	json_decref(o);
	free(csr);
	ar_store_close(st);
}

/* ---- Metrics (GET /metrics) ---------------------------------------------- */

/* GET @url with @bearer (or none); the response. */
static void metrics_get(const char *url, const char *ca_file, const char *bearer, httpc_resp_t *r)
{
	httpc_req_t req = { "GET", url, ca_file, NULL, bearer, NULL, 0 };

	assert_int_equal(httpc(&req, r), 0);
}

/* The CA's /metrics (with the token) or the verifier's (its own listener). */
static char *scrape(int verifier)
{
	char url[200], *body;
	httpc_resp_t r;

	if (verifier)
		snprintf(url, sizeof(url), "https://127.0.0.1:%d/metrics", t.vmport);
	else
		snprintf(url, sizeof(url), "%s/metrics", t.ca.base);
	metrics_get(url, verifier ? t.vca : t.ca.cafile, verifier ? NULL : METRICS_TOKEN, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.content_type, "text/plain; version=0.0.4"));
	assert_true(r.len > 0);
	body = strdup(r.body);
	httpc_free(&r);
	return body;
}

/* promtool check metrics on @text: exit 0 (no parse error, no lint finding). */
static void promtool_passes(const char *text, const char *name)
{
	char path[400];
	char *argv[] = { "/bin/sh", "-c", "promtool check metrics < \"$1\"", "sh", path, NULL };

	snprintf(path, sizeof(path), "%s/%s.prom", t.vdir, name);
	assert_int_equal(ar_file_write_atomic(path, text, strlen(text), 0644, NULL), 0);
	if (catest_run(argv) != 0)
		fail_msg("promtool check metrics failed on %s:\n%s", path, text);
}

/* The value of the sample @series ("name{labels}" as exposed); 0 when absent. */
static double sample(const char *text, const char *series)
{
	size_t n = strlen(series);
	const char *p;

	for (p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, series, n) && p[n] == ' ')
			return strtod(p + n + 1, NULL);
	return 0;
}

/*
 * /metrics is for the scraper only: on the CA's ACME listener it needs the
 * bearer token (none or a wrong one: 401, nothing disclosed); the verifier
 * serves it on its metrics listener only, not on its API listener.
 */
static void test_metrics_requires_token_or_separate_listener(void **state)
{
	char url[200];
	httpc_resp_t r;

	(void)state;
	snprintf(url, sizeof(url), "%s/metrics", t.ca.base);
	metrics_get(url, t.ca.cafile, NULL, &r);
	assert_int_equal(r.status, 401);
	assert_null(strstr(r.body, "acme_rats_"));
	assert_non_null(strstr(r.body, "urn:acme-rats:metrics:error:unauthorized"));
	httpc_free(&r);
	metrics_get(url, t.ca.cafile, METRICS_TOKEN "x", &r);
	assert_int_equal(r.status, 401);
	assert_null(strstr(r.body, "acme_rats_"));
	httpc_free(&r);
	metrics_get(url, t.ca.cafile, METRICS_TOKEN, &r);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "# TYPE acme_rats_issuances_total counter"));
	httpc_free(&r);

	snprintf(url, sizeof(url), "%s/metrics", t.vbase);
	metrics_get(url, t.vca, NULL, &r);
	assert_int_equal(r.status, 404);
	assert_null(strstr(r.body, "acme_rats_"));
	httpc_free(&r);
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/challenge-response/v1/keys", t.vmport);
	metrics_get(url, t.vca, NULL, &r);
	assert_int_equal(r.status, 404);	/* the metrics listener serves nothing else */
	httpc_free(&r);
}

/*
 * After real traffic (an issuance, an appraisal relayed to the verifier, a
 * challenge refused, the RADIUS module's counters flushed to Redis), every
 * endpoint passes promtool and each counter moved by exactly what happened.
 */
static void test_metrics_move_with_traffic_and_pass_promtool(void **state)
{
	static const char *const fields[] = {
		"acme_rats_radius_decisions_total|quarantine|posture_stale|",
		"acme_rats_radius_check_latency_seconds|||b3",
		"acme_rats_radius_check_latency_seconds|||sum",
		"acme_rats_radius_check_latency_seconds|||count",
	};
	static const int64_t deltas[] = { 1, 1, 800, 1 };
	const char *issued = "acme_rats_issuances_total{profile=\"substation\"}";
	const char *bad = "acme_rats_challenge_failures_total{type=\"remote-attest-01\","
			  "reason=\"badAttestationStatement\"}";
	const char *affirming = "acme_rats_appraisals_total{status=\"affirming\"}";
	const char *stale = "acme_rats_radius_decisions_total{outcome=\"quarantine\","
			    "reason=\"posture_stale\"}";
	ar_store_opts_t so = { .host = "127.0.0.1", .port = t.redis.port };
	char urls[2][600], nonces[2][128], order_url[600], *ca0, *v0, *ca1, *v1;
	json_t *c, *jwe, *cmw;
	ar_store_t *st;
	X509 *cert;

	(void)state;
	ca0 = scrape(0);
	v0 = scrape(1);
	promtool_passes(ca0, "ca-before");
	promtool_passes(v0, "verifier-before");

	cert = issue_certificate(NULL);
	X509_free(cert);
	/* An appraisal: evidence relayed to the verifier (background check). */
	attested_order(urls, nonces, order_url, sizeof(order_url));
	jwe = sealed_evidence(nonces[0], time(NULL) - 86400);
	c = respond(urls[0], jwe, 200);
	assert_string_equal(status_of(c), "valid");
	json_decref(c);
	json_decref(jwe);
	/* A refused challenge: an EAR for the other challenge's nonce. */
	attested_order(urls, nonces, order_url, sizeof(order_url));
	cmw = passport(nonces[1], t.device_key, time(NULL) - 86400);
	c = respond(urls[0], cmw, 200);
	assert_string_equal(status_of(c), "invalid");
	json_decref(c);
	json_decref(cmw);
	/* What one RADIUS server's module flushes: one quarantine in 800 us. */
	st = ar_store_open(&so, NULL);
	assert_non_null(st);
	assert_int_equal(ar_store_metrics_add(st, "radius", fields, deltas, 4, NULL), 0);
	ar_store_close(st);

	ca1 = scrape(0);
	v1 = scrape(1);
	promtool_passes(ca1, "ca-after");
	promtool_passes(v1, "verifier-after");
	assert_true(sample(ca1, issued) == sample(ca0, issued) + 1);
	assert_true(sample(ca1, bad) == sample(ca0, bad) + 1);
	/* Four appraisals: two passports for the issuance, the background
	 * check, the passport presented to the wrong challenge. */
	if (sample(v1, affirming) != sample(v0, affirming) + 4)
		fail_msg("appraisals affirming %g before, %g after", sample(v0, affirming),
			 sample(v1, affirming));
	assert_true(sample(ca1, stale) == sample(ca0, stale) + 1);
	assert_true(sample(ca1, "acme_rats_radius_check_latency_seconds_bucket{le=\"0.001\"}") >= 1);
	assert_true(sample(ca1, "acme_rats_radius_check_latency_seconds_bucket{le=\"0.0005\"}") ==
		    sample(ca0, "acme_rats_radius_check_latency_seconds_bucket{le=\"0.0005\"}"));
	assert_true(sample(ca1, "acme_rats_redis_up") == 1);
	assert_non_null(strstr(ca1, "\nacme_rats_events_pending "));
	assert_non_null(strstr(v1, "acme_rats_redis_errors_total{kind=\"connect\"} 0\n"));
	free(ca0);
	free(v0);
	free(ca1);
	free(v1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_healthy_device_wins_both_challenges_and_the_order_is_ready, setup, teardown),
		cmocka_unit_test_setup_teardown(test_finalize_issues_short_lived_attested_certificate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_issuance_acked_only_after_replica_confirms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ca_killed_mid_order_resumes_and_loses_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_background_check_evidence_not_signed_by_the_enrolled_key_refused, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_background_check_relays_evidence_to_the_verifier, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_attestation_response_with_unknown_member_accepted_and_ignored, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_verifier_down_keeps_the_challenge_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verifier_stopped_then_killed_mid_relay_keeps_the_challenge_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ear_for_another_nonce_is_a_bad_attestation_statement, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unpatched_device_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attestations_binding_different_keys_are_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forged_ear_and_wrong_forms_are_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replacement_supersedes_the_old_certificate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replaces_shown_once_at_a_time_and_only_for_the_same_device, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_replacement_not_blocked_by_an_order_that_failed_and_went_invalid, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_ear_naming_another_device_than_the_order_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hint_hsm_without_its_claims_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hint_measured_boot_without_its_claims_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hint_os_patch_level_without_its_claims_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hint_sw_manifest_without_its_claims_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hint_fido2_without_its_claims_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hint_claims_met_makes_the_order_ready, setup, teardown),
		cmocka_unit_test_setup_teardown(test_worst_of_submodules_in_certificate_extension, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flag_between_challenge_and_finalize_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csr_with_account_key_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csr_key_not_certified_key_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cmw_collection_with_several_ears_worst_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cmw_type_profile_mismatch_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cmw_ind_without_results_bit_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_finalizes_issue_one_certificate_per_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deactivation_during_validation_sticks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_order_left_processing_is_taken_over_only_when_stale, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_finalize_racing_deactivation_never_issues_on_a_withdrawn_authorization,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_order_left_processing_not_taken_over_on_an_expired_authorization, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_metrics_requires_token_or_separate_listener, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_metrics_move_with_traffic_and_pass_promtool, setup,
						teardown),
	};

	return cmocka_run_group_tests_name("ca_challenge", tests, group_setup, group_teardown);
}
