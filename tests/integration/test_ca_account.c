/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * acme-rats-ca, the ACME front: directory, nonces, the request pipeline's
 * refusals with their problem types, and accounts (RFC 8555 7.3) with and
 * without External Account Binding - the real daemon over HTTPS, a real
 * redis-server.
 */
#include "config.h"

#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include "testutil.h"
#include "lab/lab.h"
#include "acmec.h"
#include "catest.h"
#include "acme_jws.h"
#include "b64.h"
#include "fileio.h"
#include "json.h"
#include "jws.h"
#include "store.h"

static struct {
	lab_redis_t	redis;
	ca_proc_t	open;		/* EAB optional */
	ca_proc_t	eab;		/* EAB required */
	ar_jwk_t	*key;
	acmec_t		c;
} t;

static int group_setup(void **state)
{
	(void)state;
	if (lab_init() < 0 || lab_redis_start(&t.redis) < 0 ||
	    catest_start_ca(&t.open, t.redis.port, "no") < 0 ||
	    catest_start_ca(&t.eab, t.redis.port, "yes") < 0)
		return -1;
	t.key = ar_jwk_generate("ES256", NULL);
	return t.key ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	catest_stop_ca(&t.open);
	catest_stop_ca(&t.eab);
	lab_redis_stop(&t.redis);
	ar_jwk_free(t.key);
	return 0;
}

/* Each test starts with a fresh client of the open CA and a new account key. */
static int setup(void **state)
{
	(void)state;
	ar_jwk_free(t.key);
	t.key = ar_jwk_generate("ES256", NULL);
	return acmec_init(&t.c, t.open.base, t.open.cafile, t.key);
}

static int teardown(void **state)
{
	(void)state;
	acmec_free(&t.c);
	return 0;
}

static json_t *agree(void)
{
	return json_pack("{s:b,s:[s]}", "termsOfServiceAgreed", 1, "contact", "mailto:noc@example.net");
}

#define expect_problem catest_expect_problem

static void new_account(httpc_resp_t *r)
{
	json_t *p = agree();

	assert_int_equal(acmec_post(&t.c, acmec_url(&t.c, "newAccount"), p, 1, NULL, r), 0);
	json_decref(p);
}

static void test_directory_lists_endpoints_with_nonce_and_index_link(void **state)
{
	httpc_req_t req = { "GET", NULL, t.open.cafile, NULL, NULL, NULL, 0 };
	char url[256];
	httpc_resp_t r;

	(void)state;
	assert_non_null(strstr(acmec_url(&t.c, "newNonce"), "/acme/new-nonce"));
	assert_non_null(acmec_url(&t.c, "newAccount"));
	assert_non_null(acmec_url(&t.c, "newOrder"));
	assert_non_null(acmec_url(&t.c, "revokeCert"));
	assert_non_null(acmec_url(&t.c, "keyChange"));
	assert_non_null(acmec_url(&t.c, "renewalInfo"));
	assert_true(json_is_false(json_object_get(json_object_get(t.c.dir, "meta"),
						  "externalAccountRequired")));
	assert_non_null(json_object_get(json_object_get(t.c.dir, "meta"), "termsOfService"));
	snprintf(url, sizeof(url), "%s/directory", t.eab.base);
	req.url = url;
	req.ca_file = t.eab.cafile;
	assert_int_equal(httpc(&req, &r), 0);
	assert_non_null(strstr(r.body, "\"externalAccountRequired\":true"));
	assert_non_null(strstr(r.link, "rel=\"index\""));
	httpc_free(&r);
}

static void test_new_nonce_head_and_get(void **state)
{
	httpc_req_t req = { "HEAD", acmec_url(&t.c, "newNonce"), t.open.cafile, NULL, NULL, NULL, 0 };
	httpc_resp_t r;
	char first[128];

	(void)state;
	assert_int_equal(httpc(&req, &r), 0);
	assert_int_equal(r.status, 200);
	assert_true(strlen(r.replay_nonce) > 20);
	assert_string_equal(r.cache_control, "no-store");
	snprintf(first, sizeof(first), "%s", r.replay_nonce);
	httpc_free(&r);
	req.method = "GET";
	assert_int_equal(httpc(&req, &r), 0);
	assert_int_equal(r.status, 204);
	assert_string_not_equal(r.replay_nonce, first);
	httpc_free(&r);
}

static void test_new_account_created_then_found_by_key(void **state)
{
	httpc_resp_t r;
	char location[512];
	json_t *acct;

	(void)state;
	new_account(&r);
	if (r.status != 201)
		fail_msg("status %ld: %s", r.status, r.body);
	assert_non_null(strstr(r.location, "/acme/acct/"));
	snprintf(location, sizeof(location), "%s", r.location);
	acct = json_loads(r.body, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(acct, "status")), "valid");
	assert_string_equal(json_string_value(json_array_get(json_object_get(acct, "contact"), 0)),
			    "mailto:noc@example.net");
	assert_non_null(json_object_get(acct, "orders"));
	json_decref(acct);
	httpc_free(&r);

	new_account(&r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.location, location);
	httpc_free(&r);
}

static void test_only_return_existing_for_unknown_key(void **state)
{
	json_t *p = json_pack("{s:b}", "onlyReturnExisting", 1);
	httpc_resp_t r;

	(void)state;
	assert_int_equal(acmec_post(&t.c, acmec_url(&t.c, "newAccount"), p, 1, NULL, &r), 0);
	expect_problem(&r, 400, "accountDoesNotExist");
	httpc_free(&r);
	json_decref(p);
}

static void test_terms_of_service_must_be_agreed(void **state)
{
	json_t *p = json_pack("{s:[s]}", "contact", "mailto:noc@example.net");
	httpc_resp_t r;

	(void)state;
	assert_int_equal(acmec_post(&t.c, acmec_url(&t.c, "newAccount"), p, 1, NULL, &r), 0);
	expect_problem(&r, 400, "malformed");
	assert_non_null(strstr(r.body, "terms of service"));
	httpc_free(&r);
	json_decref(p);
}

static void test_replayed_request_gets_bad_nonce(void **state)
{
	const char *url = acmec_url(&t.c, "newAccount");
	json_t *p = agree();
	char *body = acmec_body(&t.c, url, p, 1, NULL);
	httpc_resp_t r;

	(void)state;
	assert_int_equal(acmec_send(&t.c, url, body, "application/jose+json", &r), 0);
	assert_int_equal(r.status, 201);
	httpc_free(&r);
	assert_int_equal(acmec_send(&t.c, url, body, "application/jose+json", &r), 0);
	expect_problem(&r, 400, "badNonce");
	assert_non_null(strstr(r.body, "already been used"));
	httpc_free(&r);
	free(body);
	json_decref(p);
}

static void test_forged_and_malformed_nonces_get_bad_nonce(void **state)
{
	json_t *p = agree();
	json_t *forged = json_pack("{s:s}", "nonce", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	json_t *garbage = json_pack("{s:s}", "nonce", "not a nonce");
	httpc_resp_t r;

	(void)state;
	assert_int_equal(acmec_post(&t.c, acmec_url(&t.c, "newAccount"), p, 1, forged, &r), 0);
	expect_problem(&r, 400, "badNonce");
	httpc_free(&r);
	assert_int_equal(acmec_post(&t.c, acmec_url(&t.c, "newAccount"), p, 1, garbage, &r), 0);
	expect_problem(&r, 400, "badNonce");
	httpc_free(&r);
	json_decref(garbage);
	json_decref(forged);
	json_decref(p);
}

static void test_envelope_refusals_have_precise_types(void **state)
{
	const char *url = acmec_url(&t.c, "newAccount");
	json_t *p = agree(), *h;
	char *body, nowhere[256];
	httpc_resp_t r;

	(void)state;
	/* Content type. */
	body = acmec_body(&t.c, url, p, 1, NULL);
	assert_int_equal(acmec_send(&t.c, url, body, "application/json", &r), 0);
	expect_problem(&r, 415, "malformed");
	httpc_free(&r);
	free(body);
	/* URL in the header is another endpoint's. */
	h = json_pack("{s:s}", "url", acmec_url(&t.c, "newOrder"));
	assert_int_equal(acmec_post(&t.c, url, p, 1, h, &r), 0);
	expect_problem(&r, 403, "unauthorized");
	httpc_free(&r);
	json_decref(h);
	/* jwk and kid together. */
	h = json_pack("{s:s}", "kid", "https://127.0.0.1/acme/acct/x");
	assert_int_equal(acmec_post(&t.c, url, p, 1, h, &r), 0);
	expect_problem(&r, 400, "malformed");
	assert_non_null(strstr(r.body, "both"));
	httpc_free(&r);
	json_decref(h);
	/* Garbage body. */
	assert_int_equal(acmec_send(&t.c, url, "{\"protected\":1}", "application/jose+json", &r), 0);
	expect_problem(&r, 400, "malformed");
	httpc_free(&r);
	/* Unknown endpoint. */
	snprintf(nowhere, sizeof(nowhere), "%s/acme/nowhere", t.open.base);
	assert_int_equal(acmec_post(&t.c, nowhere, p, 1, NULL, &r), 0);
	assert_int_equal(r.status, 404);
	httpc_free(&r);
	json_decref(p);
}

/* A flattened JWS with this protected header and a dummy signature. */
static char *unsigned_body(const char *alg, const char *url)
{
	json_t *hdr = json_pack("{s:s,s:s,s:s,s:o}", "alg", alg, "nonce", t.c.nonce, "url", url,
				"jwk", ar_jwk_public_json(t.key));
	char *hdr_text = json_dumps(hdr, JSON_COMPACT), *b64, *body = NULL;

	b64 = ar_b64url_encode_alloc(hdr_text, strlen(hdr_text));
	assert_true(asprintf(&body, "{\"protected\":\"%s\",\"payload\":\"e30\","
			     "\"signature\":\"AAAA\"}", b64) > 0);
	free(b64);
	free(hdr_text);
	json_decref(hdr);
	return body;
}

static void test_alg_none_and_mac_get_bad_signature_algorithm(void **state)
{
	static const char *const algs[] = { "HS256", "none", "ES512", "Ed448" };
	const char *url = acmec_url(&t.c, "newAccount");
	httpc_resp_t r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		char *body = unsigned_body(algs[i], url);

		assert_int_equal(acmec_send(&t.c, url, body, "application/jose+json", &r), 0);
		expect_problem(&r, 400, "badSignatureAlgorithm");
		{	/* RFC 8555 6.2: the accepted algorithms, in "algorithms" */
			json_t *doc = json_loads(r.body, 0, NULL);
			const json_t *accepted = json_object_get(doc, "algorithms");

			assert_true(json_is_array(accepted));
			assert_string_equal(json_string_value(json_array_get(accepted, 0)), "ES256");
			assert_int_equal(json_array_size(accepted), 4);
			assert_string_equal(json_string_value(json_array_get(accepted, 3)), "EdDSA");
			json_decref(doc);
		}
		httpc_free(&r);
		free(body);
	}
}

/*
 * RFC 8555 6.7: an account key the CA will not take - RSA of 1024 bits -
 * is badPublicKey, not a malformed request. It is refused before its
 * signature is looked at.
 */
static void test_weak_account_key_is_bad_public_key(void **state)
{
	const char *url = acmec_url(&t.c, "newAccount");
	unsigned char n[128];
	char *nb64, *hdr_text, *b64, *body = NULL;
	json_t *hdr;
	httpc_resp_t r;

	(void)state;
	memset(n, 0xc5, sizeof(n));
	nb64 = ar_b64url_encode_alloc(n, sizeof(n));
	hdr = json_pack("{s:s,s:s,s:s,s:{s:s,s:s,s:s}}", "alg", "RS256", "nonce", t.c.nonce, "url",
			url, "jwk", "kty", "RSA", "n", nb64, "e", "AQAB");
	hdr_text = json_dumps(hdr, JSON_COMPACT);
	b64 = ar_b64url_encode_alloc(hdr_text, strlen(hdr_text));
	assert_true(asprintf(&body, "{\"protected\":\"%s\",\"payload\":\"e30\","
			     "\"signature\":\"AAAA\"}", b64) > 0);
	assert_int_equal(acmec_send(&t.c, url, body, "application/jose+json", &r), 0);
	expect_problem(&r, 400, "badPublicKey");
	assert_non_null(strstr(r.body, "1024 bits"));
	httpc_free(&r);
	free(body);
	free(b64);
	free(hdr_text);
	free(nb64);
	json_decref(hdr);
}

/* RFC 8555 6.3: POST-as-GET works for the directory and newNonce too. */
static void test_directory_and_new_nonce_by_post_as_get(void **state)
{
	char url[300];
	httpc_resp_t r;
	json_t *dir;

	(void)state;
	new_account(&r);
	assert_int_equal(r.status, 201);
	snprintf(t.c.kid, sizeof(t.c.kid), "%s", r.location);
	httpc_free(&r);
	snprintf(url, sizeof(url), "%s/directory", t.open.base);
	assert_int_equal(acmec_post(&t.c, url, NULL, 0, NULL, &r), 0);
	assert_int_equal(r.status, 200);
	dir = json_loads(r.body, 0, NULL);
	assert_non_null(json_object_get(dir, "newOrder"));
	assert_true(r.replay_nonce[0] != '\0');
	assert_non_null(strstr(r.link, "rel=\"index\""));
	json_decref(dir);
	httpc_free(&r);
	assert_int_equal(acmec_post(&t.c, acmec_url(&t.c, "newNonce"), NULL, 0, NULL, &r), 0);
	assert_int_equal(r.status, 200);
	assert_true(r.replay_nonce[0] != '\0');
	httpc_free(&r);
}

static void expect_one_created(const ar_jwk_t *key, const char *eab_kid, const char *eab_hmac,
			       char *location, size_t size);

/*
 * RFC 8555 7.1.2: the account object shows the externalAccountBinding it
 * was made with. Made by sixteen newAccounts at once with one key and that
 * binding: one 201, fifteen 200.
 */
static void test_account_object_echoes_its_external_account_binding(void **state)
{
	json_t *keys = catest_eab_keys(&t.open), *p = agree(), *eab, *acct;
	httpc_resp_t r;

	(void)state;
	assert_non_null(keys);
	/* Sixteen at once with one key and one binding: one account, as without. */
	expect_one_created(t.key, "kid-substation-2", catest_eab_hmac(keys, "kid-substation-2"),
			   t.c.kid, sizeof(t.c.kid));
	eab = catest_eab(&t.c, "kid-substation-2", catest_eab_hmac(keys, "kid-substation-2"));
	json_object_set(p, "externalAccountBinding", eab);
	assert_int_equal(acmec_post(&t.c, acmec_url(&t.c, "newAccount"), p, 1, NULL, &r), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.location, t.c.kid);
	httpc_free(&r);
	assert_int_equal(acmec_post(&t.c, t.c.kid, NULL, 0, NULL, &r), 0);
	acct = json_loads(r.body, 0, NULL);
	assert_true(json_equal(json_object_get(acct, "externalAccountBinding"), eab));
	json_decref(acct);
	httpc_free(&r);
	json_decref(eab);
	json_decref(p);
	json_decref(keys);
}

static void test_unknown_kid_is_account_does_not_exist(void **state)
{
	httpc_resp_t r;

	(void)state;
	snprintf(t.c.kid, sizeof(t.c.kid), "%s/acme/acct/nosuchaccount", t.open.base);
	assert_int_equal(acmec_post(&t.c, t.c.kid, NULL, 0, NULL, &r), 0);
	expect_problem(&r, 400, "accountDoesNotExist");
	httpc_free(&r);
}

static void test_account_read_update_and_other_accounts(void **state)
{
	json_t *p;
	httpc_resp_t r;
	char mine[512], other[512];

	(void)state;
	new_account(&r);
	assert_int_equal(r.status, 201);
	snprintf(mine, sizeof(mine), "%s", r.location);
	snprintf(t.c.kid, sizeof(t.c.kid), "%s", r.location);
	httpc_free(&r);

	assert_int_equal(acmec_post(&t.c, mine, NULL, 0, NULL, &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "\"valid\""));
	httpc_free(&r);

	p = json_pack("{s:[s,s]}", "contact", "mailto:a@example.net", "mailto:b@example.net");
	assert_int_equal(acmec_post(&t.c, mine, p, 0, NULL, &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "b@example.net"));
	httpc_free(&r);
	json_decref(p);

	p = json_pack("{s:[s]}", "contact", "tel:+1555");
	assert_int_equal(acmec_post(&t.c, mine, p, 0, NULL, &r), 0);
	expect_problem(&r, 400, "unsupportedContact");
	httpc_free(&r);
	json_decref(p);
	p = json_pack("{s:[s]}", "contact", "mailto:a@example.net?subject=x");
	assert_int_equal(acmec_post(&t.c, mine, p, 0, NULL, &r), 0);
	expect_problem(&r, 400, "invalidContact");
	httpc_free(&r);
	json_decref(p);
	/* a header injected through percent-encoding */
	p = json_pack("{s:[s]}", "contact", "mailto:%0d%0abcc:x@example.net");
	assert_int_equal(acmec_post(&t.c, mine, p, 0, NULL, &r), 0);
	expect_problem(&r, 400, "invalidContact");
	httpc_free(&r);
	json_decref(p);

	snprintf(other, sizeof(other), "%s/acme/acct/someoneelse", t.open.base);
	assert_int_equal(acmec_post(&t.c, other, NULL, 0, NULL, &r), 0);
	expect_problem(&r, 403, "unauthorized");
	httpc_free(&r);

	{
		httpc_req_t req = { "GET", mine, t.open.cafile, NULL, NULL, NULL, 0 };

		assert_int_equal(httpc(&req, &r), 0);
		assert_int_equal(r.status, 405);
		httpc_free(&r);
	}
}

static void test_signature_by_another_key_is_refused(void **state)
{
	ar_jwk_t *other = ar_jwk_generate("ES256", NULL);
	httpc_resp_t r;
	char mine[512];

	(void)state;
	new_account(&r);
	snprintf(mine, sizeof(mine), "%s", r.location);
	snprintf(t.c.kid, sizeof(t.c.kid), "%s", r.location);
	httpc_free(&r);
	t.c.key = other;
	assert_int_equal(acmec_post(&t.c, mine, NULL, 0, NULL, &r), 0);
	expect_problem(&r, 400, "malformed");
	assert_non_null(strstr(r.body, "signature"));
	httpc_free(&r);
	t.c.key = t.key;
	ar_jwk_free(other);
}

static void test_deactivated_account_is_refused_afterwards(void **state)
{
	json_t *p = json_pack("{s:s}", "status", "deactivated");
	httpc_resp_t r;
	char mine[512];

	(void)state;
	new_account(&r);
	snprintf(mine, sizeof(mine), "%s", r.location);
	snprintf(t.c.kid, sizeof(t.c.kid), "%s", r.location);
	httpc_free(&r);
	assert_int_equal(acmec_post(&t.c, mine, p, 0, NULL, &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "\"deactivated\""));
	httpc_free(&r);
	/* RFC 8555 7.3.6: 401 unauthorized from now on. */
	assert_int_equal(acmec_post(&t.c, mine, NULL, 0, NULL, &r), 0);
	expect_problem(&r, 401, "unauthorized");
	httpc_free(&r);
	json_decref(p);
}

/*
 * newAccount, or onlyReturnExisting, with a deactivated account's key does
 * not hand its Location back as if the account were usable.
 */
static void test_new_account_with_a_deactivated_accounts_key_is_unauthorized(void **state)
{
	json_t *p = json_pack("{s:s}", "status", "deactivated");
	httpc_resp_t r;

	(void)state;
	new_account(&r);
	assert_int_equal(r.status, 201);
	snprintf(t.c.kid, sizeof(t.c.kid), "%s", r.location);
	httpc_free(&r);
	assert_int_equal(acmec_post(&t.c, t.c.kid, p, 0, NULL, &r), 0);
	assert_int_equal(r.status, 200);
	httpc_free(&r);
	json_decref(p);
	new_account(&r);
	expect_problem(&r, 401, "unauthorized");
	assert_non_null(strstr(r.body, "deactivated"));
	httpc_free(&r);
	p = json_pack("{s:b}", "onlyReturnExisting", 1);
	assert_int_equal(acmec_post(&t.c, acmec_url(&t.c, "newAccount"), p, 1, NULL, &r), 0);
	expect_problem(&r, 401, "unauthorized");
	httpc_free(&r);
	json_decref(p);
}

#define RACERS	16

/*
 * RACERS processes, each with its own client and nonce for @key, wait at a
 * barrier and send newAccount at once; each reports its status and
 * Location on @out.
 */
static void race_new_accounts(const ar_jwk_t *key, const char *eab_kid, const char *eab_hmac,
			      int out)
{
	int go[2], i;
	pid_t pids[RACERS];

	assert_int_equal(pipe(go), 0);
	for (i = 0; i < RACERS; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			char line[700], b;
			json_t *p = agree();
			httpc_resp_t r;
			acmec_t c;
			int n;

			close(go[1]);
			if (acmec_init(&c, t.open.base, t.open.cafile, key) < 0)
				_exit(2);
			if (eab_kid)
				json_object_set_new(p, "externalAccountBinding",
						    catest_eab(&c, eab_kid, eab_hmac));
			if (read(go[0], &b, 1) < 0)	/* EOF: everyone goes */
				_exit(2);
			if (acmec_post(&c, acmec_url(&c, "newAccount"), p, 1, NULL, &r) < 0)
				_exit(2);
			n = snprintf(line, sizeof(line), "%ld %s\n", r.status,
				     r.location[0] ? r.location : "-");
			if (n <= 0 || (size_t)n >= sizeof(line) || write(out, line, (size_t)n) != n)
				_exit(2);
			_exit(0);
		}
	}
	close(go[0]);
	lab_sleep_ms(300);
	close(go[1]);
	for (i = 0; i < RACERS; i++) {
		int status;

		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
}

/*
 * RACERS newAccounts at once with @key (and the binding to @eab_kid):
 * exactly one 201, the others 200 with the same Location, which goes to
 * @location.
 */
static void expect_one_created(const ar_jwk_t *key, const char *eab_kid, const char *eab_hmac,
			       char *location, size_t size)
{
	char buf[RACERS * 700 + 1], first[600] = "", *line, *save = NULL;
	int fd[2], created = 0, found = 0;
	size_t len = 0;
	ssize_t n;

	{
		assert_int_equal(pipe(fd), 0);
		race_new_accounts(key, eab_kid, eab_hmac, fd[1]);
		close(fd[1]);
		len = 0;
		while ((n = read(fd[0], buf + len, sizeof(buf) - 1 - len)) > 0)
			len += (size_t)n;
		close(fd[0]);
		buf[len] = '\0';
		created = found = 0;
		first[0] = '\0';
		for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			char *sp = strchr(line, ' ');
			long status = strtol(line, NULL, 10);

			assert_non_null(sp);
			if (status == 201)
				created++;
			else if (status == 200)
				found++;
			else
				fail_msg("newAccount answered %s", line);
			if (!first[0])
				snprintf(first, sizeof(first), "%s", sp + 1);
			else
				assert_string_equal(sp + 1, first);
		}
		assert_int_equal(created, 1);
		assert_int_equal(found, RACERS - 1);
	}
	snprintf(location, size, "%s", first);
}

/*
 * RFC 8555 7.3.1 under load: 16 newAccounts with one key at once create
 * one account (201) and answer the other fifteen with it (200, the same
 * Location) - never 409, never a second account.
 */
static void test_concurrent_new_accounts_with_one_key_create_one(void **state)
{
	char location[600];
	int round;

	(void)state;
	for (round = 0; round < 3; round++) {
		ar_jwk_t *key = ar_jwk_generate("ES256", NULL);

		expect_one_created(key, NULL, NULL, location, sizeof(location));
		ar_jwk_free(key);
	}
}

static void test_eab_required_bound_once_and_verified(void **state)
{
	ar_jwk_t *k2 = ar_jwk_generate("ES256", NULL);
	json_t *keys = catest_eab_keys(&t.eab), *p;
	acmec_t c, c2;
	httpc_resp_t r;

	(void)state;
	assert_non_null(keys);
	assert_int_equal(acmec_init(&c, t.eab.base, t.eab.cafile, t.key), 0);

	/* No binding. */
	p = agree();
	assert_int_equal(acmec_post(&c, acmec_url(&c, "newAccount"), p, 1, NULL, &r), 0);
	expect_problem(&r, 400, "externalAccountRequired");
	httpc_free(&r);
	/* Unknown key id, then a wrong MAC key. */
	json_object_set_new(p, "externalAccountBinding",
			    catest_eab(&c, "kid-unknown", catest_eab_hmac(keys, "kid-substation-1")));
	assert_int_equal(acmec_post(&c, acmec_url(&c, "newAccount"), p, 1, NULL, &r), 0);
	expect_problem(&r, 403, "unauthorized");
	httpc_free(&r);
	json_object_set_new(p, "externalAccountBinding",
			    catest_eab(&c, "kid-substation-1", catest_eab_hmac(keys, "kid-substation-2")));
	assert_int_equal(acmec_post(&c, acmec_url(&c, "newAccount"), p, 1, NULL, &r), 0);
	expect_problem(&r, 403, "unauthorized");
	httpc_free(&r);
	/* The right one. */
	json_object_set_new(p, "externalAccountBinding",
			    catest_eab(&c, "kid-substation-1", catest_eab_hmac(keys, "kid-substation-1")));
	assert_int_equal(acmec_post(&c, acmec_url(&c, "newAccount"), p, 1, NULL, &r), 0);
	if (r.status != 201)
		fail_msg("status %ld: %s", r.status, r.body);
	httpc_free(&r);
	/* The same EAB key for another account key: refused. */
	assert_int_equal(acmec_init(&c2, t.eab.base, t.eab.cafile, k2), 0);
	json_object_set_new(p, "externalAccountBinding",
			    catest_eab(&c2, "kid-substation-1", catest_eab_hmac(keys, "kid-substation-1")));
	assert_int_equal(acmec_post(&c2, acmec_url(&c2, "newAccount"), p, 1, NULL, &r), 0);
	expect_problem(&r, 403, "unauthorized");
	assert_non_null(strstr(r.body, "already bound"));
	httpc_free(&r);

	json_decref(p);
	json_decref(keys);
	acmec_free(&c);
	acmec_free(&c2);
	ar_jwk_free(k2);
}

static json_t *key_change_inner(const ar_jwk_t *nkey, const ar_jwk_t *old, const char *url,
				const char *kid);

/* The identity record of @device in the test's Redis (1 found, 0 none). */
static int identity_of(const char *device, ar_store_identity_t *id)
{
	ar_store_opts_t o = { .port = t.redis.port };
	ar_err_t err = { 0 };
	ar_store_t *st = ar_store_open(&o, &err);
	int rc;

	if (!st)
		fail_msg("store: %s", err.msg);
	rc = ar_store_identity_get(st, device, id, &err);
	ar_store_close(st);
	if (rc < 0)
		fail_msg("identity_get: %s", err.msg);
	return rc;
}

/*
 * Two key changes of one account race: at most one wins, and the account
 * then answers to the winner's key only - never to a key whose change
 * lost, and never a record saved over by the other request. (A thief with
 * a stolen account key racing the owner's rotation must not end up with an
 * account or an identity the owner's key no longer controls.)
 */
static void test_concurrent_key_changes_one_wins(void **state)
{
	int round, both = 0, lost = 0;

	(void)state;
	for (round = 0; round < 25; round++) {
		ar_jwk_t *k0 = ar_jwk_generate("ES256", NULL), *ka = ar_jwk_generate("ES256", NULL);
		ar_jwk_t *kb = ar_jwk_generate("ES256", NULL);
		const ar_jwk_t *winner = NULL, *loser = NULL;
		acmec_t a, b;
		httpc_resp_t r, rb;
		json_t *ia, *ib, *p;
		char *body_a, *body_b, kid[600];
		int status, fd[2], code_b = 0;
		pid_t pid;

		assert_int_equal(acmec_init(&a, t.open.base, t.open.cafile, k0), 0);
		p = agree();
		assert_int_equal(acmec_post(&a, acmec_url(&a, "newAccount"), p, 1, NULL, &r), 0);
		json_decref(p);
		assert_int_equal(r.status, 201);
		snprintf(kid, sizeof(kid), "%s", r.location);
		snprintf(a.kid, sizeof(a.kid), "%s", kid);
		httpc_free(&r);
		assert_int_equal(acmec_init(&b, t.open.base, t.open.cafile, k0), 0);
		snprintf(b.kid, sizeof(b.kid), "%s", kid);
		ia = key_change_inner(ka, k0, acmec_url(&a, "keyChange"), kid);
		ib = key_change_inner(kb, k0, acmec_url(&b, "keyChange"), kid);
		body_a = acmec_body(&a, acmec_url(&a, "keyChange"), ia, 0, NULL);
		body_b = acmec_body(&b, acmec_url(&b, "keyChange"), ib, 0, NULL);
		assert_int_equal(pipe(fd), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			int code = acmec_send(&b, acmec_url(&b, "keyChange"), body_b,
					      "application/jose+json", &rb) == 0 ? (int)rb.status : -1;

			if (write(fd[1], &code, sizeof(code)) != sizeof(code))
				_exit(1);
			_exit(0);
		}
		assert_int_equal(acmec_send(&a, acmec_url(&a, "keyChange"), body_a,
					    "application/jose+json", &r), 0);
		assert_int_equal(read(fd[0], &code_b, sizeof(code_b)), sizeof(code_b));
		waitpid(pid, &status, 0);
		close(fd[0]);
		close(fd[1]);
		if (r.status == 200 && code_b == 200)
			both++;
		if (r.status == 409 || code_b == 409)
			lost++;
		if (r.status == 200) {
			winner = ka;
			loser = kb;
		} else if (code_b == 200) {
			winner = kb;
			loser = ka;
		}
		httpc_free(&r);
		/* the account answers to the winner's key, not to the loser's */
		if (winner) {
			a.key = loser;
			p = json_pack("{s:b}", "onlyReturnExisting", 1);
			assert_int_equal(acmec_post(&a, acmec_url(&a, "newAccount"), p, 1, NULL, &r), 0);
			if (r.status != 400)
				fail_msg("round %d: the losing key still finds the account (%ld)", round,
					 r.status);
			httpc_free(&r);
			a.key = winner;
			assert_int_equal(acmec_post(&a, kid, NULL, 0, NULL, &r), 0);
			if (r.status != 200)
				fail_msg("round %d: the winning key does not sign for the account (%ld %s)",
					 round, r.status, r.body);
			httpc_free(&r);
			json_decref(p);
		}
		json_decref(ia);
		json_decref(ib);
		free(body_a);
		free(body_b);
		acmec_free(&a);
		acmec_free(&b);
		ar_jwk_free(k0);
		ar_jwk_free(ka);
		ar_jwk_free(kb);
	}
	print_message("25 rounds: %d with one key change refused as concurrent\n", lost);
	assert_int_equal(both, 0);
}

/*
 * Enrolment binds the device to the key that enrolled it. A second EAB
 * credential naming the same device - a spare, or one in the hands of a
 * flagged device that wants a clean identity - cannot take it over: 403,
 * the identity unchanged, and the second credential not spent. Account key
 * rollover moves the identity along.
 */
static void test_second_eab_key_cannot_take_over_an_enrolled_device(void **state)
{
	ar_jwk_t *kb = ar_jwk_generate("ES256", NULL), *kn = ar_jwk_generate("ES256", NULL);
	json_t *keys = catest_eab_keys(&t.eab), *p, *inner;
	ar_store_identity_t id;
	acmec_t a, b;
	httpc_resp_t r;
	char kid[600];

	(void)state;
	assert_non_null(keys);
	assert_int_equal(acmec_init(&a, t.eab.base, t.eab.cafile, t.key), 0);
	assert_int_equal(acmec_init(&b, t.eab.base, t.eab.cafile, kb), 0);
	p = agree();
	json_object_set_new(p, "externalAccountBinding",
			    catest_eab(&a, "kid-device-0077", catest_eab_hmac(keys, "kid-device-0077")));
	assert_int_equal(acmec_post(&a, acmec_url(&a, "newAccount"), p, 1, NULL, &r), 0);
	if (r.status != 201)
		fail_msg("enrolment: %ld %s", r.status, r.body);
	snprintf(kid, sizeof(kid), "%s", r.location);
	snprintf(a.kid, sizeof(a.kid), "%s", r.location);
	httpc_free(&r);
	assert_int_equal(identity_of("SUB-0077", &id), 1);
	assert_string_equal(id.jkt, ar_jwk_thumbprint(t.key));
	assert_string_equal(id.eab_kid, "kid-device-0077");

	/* the spare credential, another key: refused, nothing changes */
	json_object_set_new(p, "externalAccountBinding",
			    catest_eab(&b, "kid-spare-0077", catest_eab_hmac(keys, "kid-spare-0077")));
	assert_int_equal(acmec_post(&b, acmec_url(&b, "newAccount"), p, 1, NULL, &r), 0);
	expect_problem(&r, 403, "unauthorized");
	assert_non_null(strstr(r.body, "SUB-0077 is already enrolled with another key"));
	assert_null(r.location[0] ? r.location : NULL);
	httpc_free(&r);
	assert_int_equal(identity_of("SUB-0077", &id), 1);
	assert_string_equal(id.jkt, ar_jwk_thumbprint(t.key));
	/* no account was made for that key */
	json_decref(p);
	p = json_pack("{s:b}", "onlyReturnExisting", 1);
	assert_int_equal(acmec_post(&b, acmec_url(&b, "newAccount"), p, 1, NULL, &r), 0);
	expect_problem(&r, 400, "accountDoesNotExist");
	httpc_free(&r);

	/* rollover: the device's identity follows the account's new key */
	inner = key_change_inner(kn, t.key, acmec_url(&a, "keyChange"), kid);
	assert_int_equal(acmec_post(&a, acmec_url(&a, "keyChange"), inner, 0, NULL, &r), 0);
	if (r.status != 200)
		fail_msg("keyChange: %ld %s", r.status, r.body);
	httpc_free(&r);
	json_decref(inner);
	assert_int_equal(identity_of("SUB-0077", &id), 1);
	assert_string_equal(id.jkt, ar_jwk_thumbprint(kn));

	json_decref(p);
	json_decref(keys);
	acmec_free(&a);
	acmec_free(&b);
	ar_jwk_free(kb);
	ar_jwk_free(kn);
}

static void test_check_config_refuses_eab_required_without_keys(void **state)
{
	char bin[512], conf[300];
	char *argv[] = { bin, "-c", conf, "--check-config", NULL };
	FILE *f;

	(void)state;
	snprintf(bin, sizeof(bin), "%s/ca/acme-rats-ca", catest_top("AR_TOP_BUILDDIR"));
	snprintf(conf, sizeof(conf), "%s/ca.conf", t.eab.dir);
	assert_int_equal(catest_run(argv), 0);
	snprintf(conf, sizeof(conf), "%s/bad.conf", t.eab.dir);
	f = fopen(conf, "w");
	assert_non_null(f);
	fprintf(f, "[server]\nport = 1\ntls_cert = x\ntls_key = y\n[acme]\n"
		"base_url = https://127.0.0.1:1\nexternal_account_required = yes\n");
	fclose(f);
	assert_int_not_equal(catest_run(argv), 0);
}

/* Write @t.eab's configuration to @out with "issuer_key = @key"; run --check-config on it. */
static int check_config_with_issuer_key(const char *key)
{
	char bin[512], conf[300], out[300], *text, *line, *eol, *edited;
	char *argv[] = { bin, "-c", out, "--check-config", NULL };
	size_t len;
	int rc;

	snprintf(bin, sizeof(bin), "%s/ca/acme-rats-ca", catest_top("AR_TOP_BUILDDIR"));
	snprintf(conf, sizeof(conf), "%s/ca.conf", t.eab.dir);
	snprintf(out, sizeof(out), "%s/uri.conf", t.eab.dir);
	assert_int_equal(ar_file_read(conf, 65536, &text, &len, NULL), 0);
	line = strstr(text, "issuer_key = ");
	assert_non_null(line);
	eol = strchr(line, '\n');
	edited = malloc(len + strlen(key) + 32);
	assert_non_null(edited);
	snprintf(edited, len + strlen(key) + 32, "%.*sissuer_key = %s%s", (int)(line - text), text,
		 key, eol);
	assert_int_equal(ar_file_write_atomic(out, edited, strlen(edited), 0600, NULL), 0);
	rc = catest_run(argv);
	free(edited);
	free(text);
	return rc;
}

/* issuer_key as an OpenSSL store URI: file: works, an unknown store or the wrong key does not. */
static void test_issuer_key_from_a_store_uri(void **state)
{
	char uri[400];

	(void)state;
	snprintf(uri, sizeof(uri), "file:%s/issuer.key", t.eab.dir);
	assert_int_equal(check_config_with_issuer_key(uri), 0);
	snprintf(uri, sizeof(uri), "file:%s/acme.key", t.eab.dir);
	assert_int_not_equal(check_config_with_issuer_key(uri), 0);
	assert_int_not_equal(check_config_with_issuer_key("pkcs11:token=none;object=issuer"), 0);
	snprintf(uri, sizeof(uri), "file:%s/no-such.key", t.eab.dir);
	assert_int_not_equal(check_config_with_issuer_key(uri), 0);
}

/* The inner JWS of a key change: signed by @nkey, naming @old as the old key. */
static json_t *key_change_inner(const ar_jwk_t *nkey, const ar_jwk_t *old, const char *url,
				const char *account)
{
	json_t *hdr = json_pack("{s:s,s:o,s:s}", "alg", ar_jwk_alg(nkey), "jwk",
				ar_jwk_public_json(nkey), "url", url);
	json_t *p = json_pack("{s:s,s:o}", "account", account, "oldKey", ar_jwk_public_json(old));
	char *text = json_dumps(p, JSON_COMPACT);
	json_t *jws = ar_jws_sign(hdr, text, strlen(text), nkey, NULL);

	free(text);
	json_decref(p);
	json_decref(hdr);
	assert_non_null(jws);
	return jws;
}

static void test_key_change(void **state)
{
	ar_jwk_t *nkey = ar_jwk_generate("ES384", NULL), *other_key = ar_jwk_generate("ES256", NULL);
	const char *url = acmec_url(&t.c, "keyChange");
	json_t *inner, *p;
	httpc_resp_t r;
	acmec_t other;
	char kid[600];

	(void)state;
	new_account(&r);
	assert_int_equal(r.status, 201);
	snprintf(t.c.kid, sizeof(t.c.kid), "%s", r.location);
	snprintf(kid, sizeof(kid), "%s", r.location);
	httpc_free(&r);

	/* Refused: wrong oldKey, another URL, a payload that is no JWS, an HMAC. */
	inner = key_change_inner(nkey, nkey, url, kid);
	assert_int_equal(acmec_post(&t.c, url, inner, 0, NULL, &r), 0);
	expect_problem(&r, 400, "malformed");
	assert_non_null(strstr(r.body, "oldKey"));
	httpc_free(&r);
	json_decref(inner);
	inner = key_change_inner(nkey, t.key, acmec_url(&t.c, "newOrder"), kid);
	assert_int_equal(acmec_post(&t.c, url, inner, 0, NULL, &r), 0);
	expect_problem(&r, 400, "malformed");
	httpc_free(&r);
	json_decref(inner);
	p = json_pack("{s:s}", "account", kid);
	assert_int_equal(acmec_post(&t.c, url, p, 0, NULL, &r), 0);
	expect_problem(&r, 400, "malformed");
	httpc_free(&r);
	json_decref(p);

	/* Refused: the new key already holds another account (409 + its Location). */
	assert_int_equal(acmec_init(&other, t.open.base, t.open.cafile, other_key), 0);
	p = agree();
	assert_int_equal(acmec_post(&other, acmec_url(&other, "newAccount"), p, 1, NULL, &r), 0);
	assert_int_equal(r.status, 201);
	json_decref(p);
	{
		char other_url[600];

		snprintf(other_url, sizeof(other_url), "%s", r.location);
		httpc_free(&r);
		inner = key_change_inner(other_key, t.key, url, kid);
		assert_int_equal(acmec_post(&t.c, url, inner, 0, NULL, &r), 0);
		assert_int_equal(r.status, 409);
		assert_string_equal(r.location, other_url);
		httpc_free(&r);
		json_decref(inner);
	}
	acmec_free(&other);

	/* Accepted: the account now answers to the new key only. */
	inner = key_change_inner(nkey, t.key, url, kid);
	assert_int_equal(acmec_post(&t.c, url, inner, 0, NULL, &r), 0);
	if (r.status != 200)
		fail_msg("keyChange: %ld %s", r.status, r.body);
	httpc_free(&r);
	json_decref(inner);
	assert_int_equal(acmec_post(&t.c, kid, NULL, 0, NULL, &r), 0);
	/* The old key no longer signs for the account (here also another curve). */
	expect_problem(&r, 400, "badSignatureAlgorithm");
	httpc_free(&r);
	t.c.key = nkey;
	assert_int_equal(acmec_post(&t.c, kid, NULL, 0, NULL, &r), 0);
	assert_int_equal(r.status, 200);
	httpc_free(&r);
	p = json_pack("{s:b}", "onlyReturnExisting", 1);
	assert_int_equal(acmec_post(&t.c, acmec_url(&t.c, "newAccount"), p, 1, NULL, &r), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.location, kid);
	httpc_free(&r);
	json_decref(p);
	t.c.key = t.key;
	p = json_pack("{s:b}", "onlyReturnExisting", 1);
	assert_int_equal(acmec_post(&t.c, acmec_url(&t.c, "newAccount"), p, 1, NULL, &r), 0);
	expect_problem(&r, 400, "accountDoesNotExist");
	httpc_free(&r);
	json_decref(p);
	ar_jwk_free(nkey);
	ar_jwk_free(other_key);
}

/*
 * A new key too large to be a device identity (its JWK does not fit the
 * identity record): the key change is refused before anything moves, so
 * the account and its devices' identity never part.
 */
/* The private key tests/fixtures/keys/@name (PEM). */
static EVP_PKEY *fixture_key(const char *name)
{
	const char *top = getenv("AR_TOP_SRCDIR");
	char path[PATH_MAX];
	EVP_PKEY *pk = NULL;
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/fixtures/keys/%s", top ? top : ".", name);
	f = fopen(path, "r");
	if (f) {
		pk = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
	}
	return pk;
}

static void test_key_change_to_a_key_too_large_for_an_identity_refused(void **state)
{
	EVP_PKEY *pk = fixture_key("rsa6144.pem");	/* a fresh one takes 2-30 s */
	ar_jwk_t *big = pk ? ar_jwk_from_pkey(pk, NULL) : NULL;
	json_t *inner;
	httpc_resp_t r;
	char kid[600];

	(void)state;
	assert_non_null(big);
	new_account(&r);
	assert_int_equal(r.status, 201);
	snprintf(kid, sizeof(kid), "%s", r.location);
	snprintf(t.c.kid, sizeof(t.c.kid), "%s", r.location);
	httpc_free(&r);
	inner = key_change_inner(big, t.key, acmec_url(&t.c, "keyChange"), kid);
	assert_int_equal(acmec_post(&t.c, acmec_url(&t.c, "keyChange"), inner, 0, NULL, &r), 0);
	expect_problem(&r, 400, "badPublicKey");
	assert_non_null(strstr(r.body, "device identity"));
	httpc_free(&r);
	/* the old key still signs for the account */
	assert_int_equal(acmec_post(&t.c, kid, NULL, 0, NULL, &r), 0);
	assert_int_equal(r.status, 200);
	httpc_free(&r);
	json_decref(inner);
	ar_jwk_free(big);
	EVP_PKEY_free(pk);
}

/* --- Ed25519 account keys and refused keys (RFC 8555 6.2, 6.7; RFC 8037) --- */

/* The thumbprint of Ed25519 key @pk, computed by the test client (not lib/jwk.c). */
static void ed25519_thumbprint(EVP_PKEY *pk, char out[44])
{
	acmec_t c = { .ed25519 = pk };

	acmec_thumbprint(&c, out);
}

/*
 * The inner JWS of a key change to @ed (signed with OpenSSL directly) or,
 * when @ed is NULL, to @nkey (through the library); @old_jwk (consumed)
 * is the account's current public JWK.
 */
static json_t *key_change_inner_to(EVP_PKEY *ed, const ar_jwk_t *nkey, json_t *old_jwk,
				   const char *url, const char *account)
{
	json_t *p = json_pack("{s:s,s:o}", "account", account, "oldKey", old_jwk);
	char *text = json_dumps(p, JSON_COMPACT);
	json_t *hdr, *jws;

	if (ed) {
		hdr = json_pack("{s:o,s:s}", "jwk", acmec_eddsa_jwk(ed), "url", url);
		jws = acmec_eddsa_sign(ed, hdr, text);
	} else {
		hdr = json_pack("{s:s,s:o,s:s}", "alg", ar_jwk_alg(nkey), "jwk",
				ar_jwk_public_json(nkey), "url", url);
		jws = ar_jws_sign(hdr, text, strlen(text), nkey, NULL);
	}
	free(text);
	json_decref(p);
	json_decref(hdr);
	assert_non_null(jws);
	return jws;
}

/*
 * RFC 8555 6.2 (SHOULD support EdDSA): an account whose key is Ed25519 -
 * signed by the test client with OpenSSL directly - is created through
 * External Account Binding (outer JWS EdDSA, inner HS256), its key becomes
 * the enrolled device's identity, it signs by kid, and it changes its key
 * to ES256 and back to another Ed25519 key, the identity following. A
 * request by kid signed with another Ed25519 key, or with the key the
 * account left, is refused.
 */
static void test_account_with_ed25519_key_created_and_orders_signed_by_kid(void **state)
{
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	EVP_PKEY *ed2 = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	EVP_PKEY *stranger = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	ar_jwk_t *es = ar_jwk_generate("ES256", NULL);
	json_t *keys = catest_eab_keys(&t.eab), *p, *inner, *acct;
	char kid[600], thp[44], thp2[44];
	ar_store_identity_t id;
	httpc_resp_t r;
	acmec_t a;

	(void)state;
	assert_non_null(ed);
	assert_non_null(keys);
	assert_int_equal(acmec_init(&a, t.eab.base, t.eab.cafile, NULL), 0);
	a.ed25519 = ed;
	ed25519_thumbprint(ed, thp);
	ed25519_thumbprint(ed2, thp2);

	p = agree();
	json_object_set_new(p, "externalAccountBinding",
			    catest_eab(&a, "kid-device-0078", catest_eab_hmac(keys, "kid-device-0078")));
	assert_int_equal(acmec_post(&a, acmec_url(&a, "newAccount"), p, 1, NULL, &r), 0);
	if (r.status != 201)
		fail_msg("newAccount with an Ed25519 key: %ld %s", r.status, r.body);
	snprintf(kid, sizeof(kid), "%s", r.location);
	snprintf(a.kid, sizeof(a.kid), "%s", r.location);
	httpc_free(&r);
	json_decref(p);
	/* the enrolled identity is the Ed25519 key, by its RFC 7638 thumbprint */
	assert_int_equal(identity_of("SUB-0078", &id), 1);
	assert_string_equal(id.jkt, thp);
	assert_non_null(strstr(id.jwk, "\"kty\":\"OKP\""));
	assert_non_null(strstr(id.jwk, "\"crv\":\"Ed25519\""));

	/* signed by kid: read the account, update it */
	assert_int_equal(acmec_post(&a, kid, NULL, 0, NULL, &r), 0);
	assert_int_equal(r.status, 200);
	acct = json_loads(r.body, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(acct, "status")), "valid");
	json_decref(acct);
	httpc_free(&r);
	p = json_pack("{s:[s]}", "contact", "mailto:ed25519@example.net");
	assert_int_equal(acmec_post(&a, kid, p, 0, NULL, &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "ed25519@example.net"));
	httpc_free(&r);
	json_decref(p);
	/* another Ed25519 key does not sign for it */
	a.ed25519 = stranger;
	assert_int_equal(acmec_post(&a, kid, NULL, 0, NULL, &r), 0);
	expect_problem(&r, 400, "malformed");
	assert_non_null(strstr(r.body, "signature does not verify"));
	httpc_free(&r);
	a.ed25519 = ed;

	/* Ed25519 -> ES256: the outer JWS EdDSA by kid, the inner ES256 */
	inner = key_change_inner_to(NULL, es, acmec_eddsa_jwk(ed), acmec_url(&a, "keyChange"), kid);
	assert_int_equal(acmec_post(&a, acmec_url(&a, "keyChange"), inner, 0, NULL, &r), 0);
	if (r.status != 200)
		fail_msg("keyChange Ed25519 -> ES256: %ld %s", r.status, r.body);
	httpc_free(&r);
	json_decref(inner);
	assert_int_equal(identity_of("SUB-0078", &id), 1);
	assert_string_equal(id.jkt, ar_jwk_thumbprint(es));
	/* the Ed25519 key no longer signs for the account */
	assert_int_equal(acmec_post(&a, kid, NULL, 0, NULL, &r), 0);
	expect_problem(&r, 400, "badSignatureAlgorithm");
	httpc_free(&r);
	a.ed25519 = NULL;
	a.key = es;
	assert_int_equal(acmec_post(&a, kid, NULL, 0, NULL, &r), 0);
	assert_int_equal(r.status, 200);
	httpc_free(&r);

	/* ES256 -> another Ed25519 key: the inner JWS EdDSA */
	inner = key_change_inner_to(ed2, NULL, ar_jwk_public_json(es), acmec_url(&a, "keyChange"),
				    kid);
	assert_int_equal(acmec_post(&a, acmec_url(&a, "keyChange"), inner, 0, NULL, &r), 0);
	if (r.status != 200)
		fail_msg("keyChange ES256 -> Ed25519: %ld %s", r.status, r.body);
	httpc_free(&r);
	json_decref(inner);
	assert_int_equal(identity_of("SUB-0078", &id), 1);
	assert_string_equal(id.jkt, thp2);
	a.ed25519 = ed2;
	p = json_pack("{s:b}", "onlyReturnExisting", 1);
	assert_int_equal(acmec_post(&a, acmec_url(&a, "newAccount"), p, 1, NULL, &r), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.location, kid);
	httpc_free(&r);
	json_decref(p);
	/* newOrder by kid passes the signature check and reaches the endpoint, which
	 * has no profile here (orders by an Ed25519 account: test_ca_validate) */
	p = json_pack("{s:[{s:s,s:s}]}", "identifiers", "type", "dns", "value", "ed.example");
	assert_int_equal(acmec_post(&a, acmec_url(&a, "newOrder"), p, 0, NULL, &r), 0);
	expect_problem(&r, 403, "unauthorized");
	assert_non_null(strstr(r.body, "no certificate profile"));
	httpc_free(&r);
	json_decref(p);

	json_decref(keys);
	acmec_free(&a);
	ar_jwk_free(es);
	EVP_PKEY_free(stranger);
	EVP_PKEY_free(ed2);
	EVP_PKEY_free(ed);
}

/* A newAccount whose protected header is @alg with @jwk (consumed), signature @sig. */
static char *new_account_body(const char *alg, json_t *jwk, const char *sig)
{
	const char *url = acmec_url(&t.c, "newAccount");
	json_t *hdr = json_pack("{s:s,s:s,s:s,s:o}", "alg", alg, "nonce", t.c.nonce, "url", url,
				"jwk", jwk);
	char *text = json_dumps(hdr, JSON_COMPACT), *b64, *body = NULL;

	b64 = ar_b64url_encode_alloc(text, strlen(text));
	assert_true(asprintf(&body, "{\"protected\":\"%s\",\"payload\":\"e30\",\"signature\":\"%s\"}",
			     b64, sig) > 0);
	free(b64);
	free(text);
	json_decref(hdr);
	return body;
}

static void expect_new_account_refused(char *body, const char *type, const char *detail)
{
	httpc_resp_t r;

	assert_int_equal(acmec_send(&t.c, acmec_url(&t.c, "newAccount"), body,
				    "application/jose+json", &r), 0);
	expect_problem(&r, 400, type);
	if (!strstr(r.body, detail))
		fail_msg("detail lacks \"%s\": %s", detail, r.body);
	httpc_free(&r);
	free(body);
}

/* An OKP JWK of curve @crv whose x is @len bytes of @fill. */
static json_t *okp_jwk(const char *crv, size_t len, unsigned char fill)
{
	unsigned char x[64];
	char b64[96];

	memset(x, fill, sizeof(x));
	if (fill == 1)		/* the identity point: 01 00 ... 00 */
		memset(x + 1, 0, sizeof(x) - 1);
	assert_int_equal(ar_b64url_encode(x, len, b64, sizeof(b64)), 0);
	return json_pack("{s:s,s:s,s:s}", "kty", "OKP", "crv", crv, "x", b64);
}

/*
 * Ed448 and an Ed25519 "x" that is not 32 bytes are keys this CA does not
 * take (badPublicKey), and so is the Ed25519 identity point - under which
 * the signature (R = identity, S = 0) verifies for every message, so
 * anyone could act for such an account. An algorithm that is no JOSE
 * EdDSA ("Ed448"), or EdDSA over an EC key, is badSignatureAlgorithm.
 */
static void test_ed448_short_and_small_order_okp_keys_are_badPublicKey(void **state)
{
	char forged[100];
	unsigned char rs[64] = { 1 };	/* R = identity, S = 0 */

	(void)state;
	expect_new_account_refused(new_account_body("EdDSA", okp_jwk("Ed448", 57, 0x5a), "AAAA"),
				   "badPublicKey", "Ed25519 only");
	expect_new_account_refused(new_account_body("EdDSA", okp_jwk("Ed25519", 31, 0x5a), "AAAA"),
				   "badPublicKey", "must be 32 bytes, not 31");
	assert_int_equal(ar_b64url_encode(rs, sizeof(rs), forged, sizeof(forged)), 0);
	expect_new_account_refused(new_account_body("EdDSA", okp_jwk("Ed25519", 32, 1), forged),
				   "badPublicKey", "small order");
	expect_new_account_refused(new_account_body("Ed448", okp_jwk("Ed448", 57, 0x5a), "AAAA"),
				   "badSignatureAlgorithm", "not supported");
	/* EdDSA named over an EC key: caught at the signature, before any arithmetic */
	expect_new_account_refused(new_account_body("EdDSA", ar_jwk_public_json(t.key), forged),
				   "badSignatureAlgorithm", "does not fit");
}

/*
 * An RSA key with e = 1 makes the PKCS #1 v1.5 encoding of the hash its
 * own signature: anyone could sign for it. The CA refuses the key
 * (badPublicKey, the exponent named) before looking at such a "signature";
 * an even exponent or one below 65537 likewise.
 */
static void test_rsa_key_with_exponent_one_is_badPublicKey(void **state)
{
	static const unsigned char sha256_info[] = {
		0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
		0x01, 0x05, 0x00, 0x04, 0x20
	};
	static const char *const exps[][2] = {
		{ "AQ", "exponent 1 refused" }, { "Aw", "exponent 3 refused" },
		{ "AQAC", "exponent 65538 refused" },
	};
	ar_jwk_t *rsa = ar_jwk_generate("RS256", NULL);
	unsigned char em[384];
	size_t i, k;

	(void)state;
	assert_non_null(rsa);
	for (i = 0; i < sizeof(exps) / sizeof(exps[0]); i++) {
		json_t *jwk = ar_jwk_public_json(rsa), *hdr;
		char *text, *b64, *input = NULL, *sig;
		const char *url = acmec_url(&t.c, "newAccount");

		json_object_set_new(jwk, "e", json_string(exps[i][0]));
		hdr = json_pack("{s:s,s:s,s:s,s:O}", "alg", "RS256", "nonce", t.c.nonce, "url", url,
				"jwk", jwk);
		text = json_dumps(hdr, JSON_COMPACT);
		b64 = ar_b64url_encode_alloc(text, strlen(text));
		assert_true(asprintf(&input, "%s.e30", b64) > 0);
		/* EM = 00 01 FF..FF 00 DigestInfo(SHA-256(input)): with e = 1, s = EM */
		k = 384;
		memset(em, 0xff, k);
		em[0] = 0;
		em[1] = 1;
		em[k - 32 - sizeof(sha256_info) - 1] = 0;
		memcpy(em + k - 32 - sizeof(sha256_info), sha256_info, sizeof(sha256_info));
		assert_non_null(SHA256((unsigned char *)input, strlen(input), em + k - 32));
		sig = ar_b64url_encode_alloc(em, k);
		free(input);
		input = NULL;
		assert_true(asprintf(&input, "{\"protected\":\"%s\",\"payload\":\"e30\","
				     "\"signature\":\"%s\"}", b64, sig) > 0);
		expect_new_account_refused(input, "badPublicKey", exps[i][1]);
		free(sig);
		free(b64);
		free(text);
		json_decref(hdr);
		json_decref(jwk);
	}
	ar_jwk_free(rsa);
}

/*
 * An EC key whose (x, y) is not a point of P-256, or whose coordinates
 * have the wrong length, is badPublicKey; a "jwk" without "y" is
 * malformed. The same for keyChange's new key.
 */
static void test_ec_point_off_curve_is_badPublicKey(void **state)
{
	const char *x = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
	const char *y_off = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a4";	/* RFC 7515 A.3's y, one bit off */
	char kid[600];
	json_t *inner, *hdr, *payload;
	char *text, *ptext, *b64, *pb64;
	httpc_resp_t r;

	(void)state;
	expect_new_account_refused(new_account_body("ES256", json_pack("{s:s,s:s,s:s,s:s}", "kty",
						     "EC", "crv", "P-256", "x", x, "y", y_off), "AAAA"),
				   "badPublicKey", "not a point on its curve");
	expect_new_account_refused(new_account_body("ES256", json_pack("{s:s,s:s,s:s,s:s}", "kty",
						     "EC", "crv", "P-256", "x", x, "y", "AAAA"), "AAAA"),
				   "badPublicKey", "32 bytes each");
	expect_new_account_refused(new_account_body("ES256", json_pack("{s:s,s:s,s:s}", "kty", "EC",
						     "crv", "P-256", "x", x), "AAAA"),
				   "malformed", "EC key needs base64url");

	/* keyChange to such a key, or to Ed448: badPublicKey, the account untouched */
	new_account(&r);
	assert_int_equal(r.status, 201);
	snprintf(kid, sizeof(kid), "%s", r.location);
	snprintf(t.c.kid, sizeof(t.c.kid), "%s", r.location);
	httpc_free(&r);
	payload = json_pack("{s:s,s:o}", "account", kid, "oldKey", ar_jwk_public_json(t.key));
	ptext = json_dumps(payload, JSON_COMPACT);
	pb64 = ar_b64url_encode_alloc(ptext, strlen(ptext));
	{
		json_t *bad[2];
		size_t i;

		bad[0] = json_pack("{s:s,s:s,s:s,s:s}", "kty", "EC", "crv", "P-256", "x", x, "y",
				   y_off);
		bad[1] = okp_jwk("Ed448", 57, 0x5a);
		for (i = 0; i < 2; i++) {
			hdr = json_pack("{s:s,s:o,s:s}", "alg", i ? "EdDSA" : "ES256", "jwk", bad[i],
					"url", acmec_url(&t.c, "keyChange"));
			text = json_dumps(hdr, JSON_COMPACT);
			b64 = ar_b64url_encode_alloc(text, strlen(text));
			inner = json_pack("{s:s,s:s,s:s}", "protected", b64, "payload", pb64,
					  "signature", "AAAA");
			assert_int_equal(acmec_post(&t.c, acmec_url(&t.c, "keyChange"), inner, 0, NULL,
						    &r), 0);
			expect_problem(&r, 400, "badPublicKey");
			assert_non_null(strstr(r.body, "keyChange: new key"));
			httpc_free(&r);
			json_decref(inner);
			json_decref(hdr);
			free(b64);
			free(text);
		}
	}
	assert_int_equal(acmec_post(&t.c, kid, NULL, 0, NULL, &r), 0);
	assert_int_equal(r.status, 200);
	httpc_free(&r);
	free(pb64);
	free(ptext);
	json_decref(payload);
}

/*
 * Hostile connections: an oversized body is refused with 413 and a problem
 * document before it is read whole; connections that never speak (a
 * slow-loris) do not stop others from being served, and the server closes
 * them after its timeout (5 s in the test configuration).
 */
static void test_oversize_and_silent_connections(void **state)
{
	size_t big = 200 * 1024;
	char *body = malloc(big), url[300];
	httpc_req_t req = { "POST", url, t.open.cafile, "application/jose+json", NULL, body, big };
	httpc_resp_t r;
	int fds[40], i, closed = 0;
	int64_t end;

	(void)state;
	assert_non_null(body);
	memset(body, 'a', big);
	snprintf(url, sizeof(url), "%s/acme/new-order", t.open.base);
	assert_int_equal(httpc(&req, &r), 0);
	assert_int_equal(r.status, 413);
	assert_non_null(strstr(r.content_type, "problem+json"));
	/* RFC 8555 6.5, 7.1: a nonce and the index link, like every answer. */
	assert_true(r.replay_nonce[0] != '\0');
	assert_non_null(strstr(r.link, "rel=\"index\""));
	httpc_free(&r);
	free(body);

	for (i = 0; i < 40; i++) {
		struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)t.open.port) };

		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		fds[i] = socket(AF_INET, SOCK_STREAM, 0);
		assert_true(fds[i] >= 0);
		assert_int_equal(connect(fds[i], (struct sockaddr *)&sin, sizeof(sin)), 0);
	}
	req.method = "GET";
	req.content_type = NULL;
	req.body = NULL;
	req.len = 0;
	snprintf(url, sizeof(url), "%s/directory", t.open.base);
	assert_int_equal(httpc(&req, &r), 0);		/* still served */
	assert_int_equal(r.status, 200);
	httpc_free(&r);
	end = lab_now_ms() + 9000;
	while (closed < 40 && lab_now_ms() < end) {
		closed = 0;
		for (i = 0; i < 40; i++) {
			struct pollfd p = { .fd = fds[i], .events = POLLIN };
			char c;

			if (poll(&p, 1, 0) == 1 && recv(fds[i], &c, 1, MSG_DONTWAIT) <= 0)
				closed++;
		}
		lab_sleep_ms(200);
	}
	assert_int_equal(closed, 40);			/* timed out by the server */
	for (i = 0; i < 40; i++)
		close(fds[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_directory_lists_endpoints_with_nonce_and_index_link, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_nonce_head_and_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_account_created_then_found_by_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_only_return_existing_for_unknown_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_terms_of_service_must_be_agreed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replayed_request_gets_bad_nonce, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forged_and_malformed_nonces_get_bad_nonce, setup, teardown),
		cmocka_unit_test_setup_teardown(test_envelope_refusals_have_precise_types, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alg_none_and_mac_get_bad_signature_algorithm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_weak_account_key_is_bad_public_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_directory_and_new_nonce_by_post_as_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_account_object_echoes_its_external_account_binding, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_kid_is_account_does_not_exist, setup, teardown),
		cmocka_unit_test_setup_teardown(test_account_read_update_and_other_accounts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_signature_by_another_key_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deactivated_account_is_refused_afterwards, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_account_with_a_deactivated_accounts_key_is_unauthorized, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_new_accounts_with_one_key_create_one, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_change, setup, teardown),
		cmocka_unit_test(test_issuer_key_from_a_store_uri),
		cmocka_unit_test(test_oversize_and_silent_connections),
		cmocka_unit_test_setup_teardown(test_eab_required_bound_once_and_verified, setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_eab_key_cannot_take_over_an_enrolled_device,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_key_changes_one_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_change_to_a_key_too_large_for_an_identity_refused,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_config_refuses_eab_required_without_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_account_with_ed25519_key_created_and_orders_signed_by_kid,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_ed448_short_and_small_order_okp_keys_are_badPublicKey,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_rsa_key_with_exponent_one_is_badPublicKey, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ec_point_off_curve_is_badPublicKey, setup, teardown),
	};

	return cmocka_run_group_tests_name("ca_account", tests, group_setup, group_teardown);
}
