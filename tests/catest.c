/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared pieces of the acme-rats-ca integration tests (catest.h). */
#include "config.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "acme_jws.h"
#include "catest.h"

#include <openssl/pem.h>
#include "fileio.h"
#include "lab/lab.h"

extern char **environ;

const char *catest_top(const char *var)
{
	const char *v = getenv(var);

	return v ? v : ".";
}

int catest_run(char *const argv[])
{
	pid_t pid;
	int status;

	if (posix_spawn(&pid, argv[0], NULL, NULL, argv, environ) != 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int spawn_ca(ca_proc_t *p)
{
	char bin[512], conf[300], log[300];
	char *argv[] = { bin, "-c", conf, NULL };

	snprintf(bin, sizeof(bin), "%s/ca/acme-rats-ca", catest_top("AR_TOP_BUILDDIR"));
	snprintf(conf, sizeof(conf), "%s/ca.conf", p->dir);
	snprintf(log, sizeof(log), "%s/ca.log", p->dir);
	p->pid = lab_spawn(argv, log);
	return p->pid > 0 && lab_wait_tcp(p->port, 5000) == 0 ? 0 : -1;
}

int catest_start_ca(ca_proc_t *p, int redis_port, const char *eab_required)
{
	char script[512], port[16], rport[16];

	if (lab_tmpdir(p->dir, sizeof(p->dir)) < 0)
		return -1;
	p->port = lab_free_port();
	snprintf(port, sizeof(port), "%d", p->port);
	snprintf(rport, sizeof(rport), "%d", redis_port);
	snprintf(script, sizeof(script), "%s/tests/fixtures/mkca", catest_top("AR_TOP_SRCDIR"));
	{
		char *argv[] = { script, p->dir, port, rport, (char *)eab_required, NULL };

		if (catest_run(argv) != 0)
			return -1;
	}
	snprintf(p->base, sizeof(p->base), "https://127.0.0.1:%d", p->port);
	snprintf(p->cafile, sizeof(p->cafile), "%s/ca.crt", p->dir);
	return spawn_ca(p);
}

/* Replace every @from in @text by @to; a new string (free() it), or NULL. */
static char *replace_all(const char *text, const char *from, const char *to)
{
	size_t fl = strlen(from), tl = strlen(to), n = 0, len;
	const char *p;
	char *out, *o;

	for (p = text; (p = strstr(p, from)) != NULL; p += fl)
		n++;
	len = strlen(text) + n * tl + 1;
	if (!(out = malloc(len)))
		return NULL;
	for (o = out, p = text; *p;) {
		if (!strncmp(p, from, fl)) {
			memcpy(o, to, tl);
			o += tl;
			p += fl;
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
	return out;
}

int catest_start_replica(ca_proc_t *r, const ca_proc_t *first, int same_base_url)
{
	char path[300], from[64], to[64], *text = NULL, *a = NULL, *b = NULL;
	size_t len;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	if (lab_tmpdir(r->dir, sizeof(r->dir)) < 0)
		return -1;
	r->port = lab_free_port();
	snprintf(path, sizeof(path), "%s/ca.conf", first->dir);
	if (ar_file_read(path, 1 << 20, &text, &len, NULL) < 0)
		return -1;
	/* [server] port: the only line "port = <first's port>" ([redis] has Redis's) */
	snprintf(from, sizeof(from), "\nport = %d\n", first->port);
	snprintf(to, sizeof(to), "\nport = %d\n", r->port);
	a = replace_all(text, from, to);
	snprintf(from, sizeof(from), "https://127.0.0.1:%d", first->port);
	snprintf(to, sizeof(to), "https://127.0.0.1:%d", r->port);
	b = a && !same_base_url ? replace_all(a, from, to) : NULL;
	snprintf(path, sizeof(path), "%s/ca.conf", r->dir);
	if (!a || (!same_base_url && !b) ||
	    ar_file_write_atomic(path, b ? b : a, strlen(b ? b : a), 0600, NULL) < 0)
		goto out;
	snprintf(r->base, sizeof(r->base), "%s", same_base_url ? first->base : to);
	snprintf(r->cafile, sizeof(r->cafile), "%s", first->cafile);
	rc = spawn_ca(r);
out:
	free(text);
	free(a);
	free(b);
	return rc;
}

int catest_crash_restart_ca(ca_proc_t *p)
{
	if (kill(p->pid, SIGKILL) < 0)
		return -1;
	lab_stop(p->pid, 3000);		/* reaps it */
	return spawn_ca(p);
}

X509 *catest_download_cert(acmec_t *c, const char *url)
{
	httpc_resp_t r;
	X509 *cert = NULL;
	BIO *bio;

	if (acmec_post(c, url, NULL, 0, NULL, &r) < 0)
		return NULL;
	if (r.status == 200 && (bio = BIO_new_mem_buf(r.body, (int)r.len)) != NULL) {
		cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		BIO_free(bio);
	}
	httpc_free(&r);
	return cert;
}

int catest_restart_ca(ca_proc_t *p)
{
	return spawn_ca(p);
}

void catest_stop_ca(ca_proc_t *p)
{
	if (p->pid > 0)
		lab_stop(p->pid, 3000);
	if (p->dir[0])
		lab_rmtree(p->dir);
}

json_t *catest_eab_keys(const ca_proc_t *p)
{
	char path[300], *text;
	json_t *keys;
	size_t len;

	snprintf(path, sizeof(path), "%s/eab.json", p->dir);
	if (ar_file_read(path, 4096, &text, &len, NULL) < 0)
		return NULL;
	keys = json_loadb(text, len, 0, NULL);
	free(text);
	return keys;
}

const char *catest_eab_hmac(const json_t *keys, const char *kid)
{
	return json_string_value(json_object_get(json_object_get(keys, kid), "hmac"));
}

json_t *catest_eab(const acmec_t *c, const char *kid, const char *hmac)
{
	json_t *jwk = json_pack("{s:s,s:s}", "kty", "oct", "k", hmac), *eab;
	ar_jwk_t *mac = ar_jwk_parse(jwk, AR_JWK_ALLOW_OCT, NULL);

	if (mac && c->ed25519) {	/* the binding's payload is the Ed25519 JWK */
		json_t *pub = acmec_jwk(c), *hdr = json_pack("{s:s,s:s,s:s}", "alg", "HS256", "kid",
							     kid, "url", acmec_url(c, "newAccount"));
		char *text = json_dumps(pub, JSON_COMPACT | JSON_SORT_KEYS);

		eab = text && hdr ? ar_jws_sign(hdr, text, strlen(text), mac, NULL) : NULL;
		free(text);
		json_decref(hdr);
		json_decref(pub);
	} else {
		eab = mac ? ar_acme_eab_sign(c->key, kid, mac, acmec_url(c, "newAccount"), NULL) : NULL;
	}
	ar_jwk_free(mac);
	json_decref(jwk);
	return eab;
}

void catest_expect_problem(const httpc_resp_t *r, long status, const char *type)
{
	char urn[128];

	snprintf(urn, sizeof(urn), "\"urn:ietf:params:acme:error:%s\"", type);
	if (r->status != status || !strstr(r->body, urn))
		fail_msg("want %ld %s, got %ld %s", status, type, r->status, r->body);
	assert_string_equal(r->content_type, "application/problem+json");
	assert_true(r->replay_nonce[0] != '\0');
}
