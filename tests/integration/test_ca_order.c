/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * acme-rats-ca orders and authorizations: identifiers checked per profile
 * with one subproblem each, permanent identifiers pre-authorized from the
 * EAB inventory, remote-attestation hints chosen by the profile and
 * challenged with remote-attest-01 - the real daemon, a real redis-server.
 */
#include "config.h"

#include <stdlib.h>
#include <unistd.h>

#include "testutil.h"
#include "lab/lab.h"
#include "acmec.h"
#include "acme_jws.h"
#include "catest.h"
#include "fileio.h"
#include "store.h"

static struct {
	lab_redis_t	redis;
	ca_proc_t	ca;
	char		dir[256];	/* verifier keys, policy, profiles */
	json_t		*eab_keys;
	ar_jwk_t	*key;
	ar_jwk_t	*substation_key;	/* an EAB key binds one account: reuse it */
	acmec_t		c;
} t;

#define expect_problem catest_expect_problem

static int write_text(const char *dir, const char *name, const char *text)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return ar_file_write_atomic(path, text, strlen(text), 0600, NULL);
}

static int group_setup(void **state)
{
	char extra[2048], path[512], *text;
	ar_jwk_t *vkey;
	json_t *set;
	int rc;

	(void)state;
	if (lab_init() < 0 || lab_redis_start(&t.redis) < 0 || lab_tmpdir(t.dir, sizeof(t.dir)) < 0)
		return -1;
	vkey = ar_jwk_generate("ES256", NULL);
	set = json_pack("{s:[o]}", "keys", ar_jwk_public_json(vkey));
	text = json_dumps(set, 0);
	rc = write_text(t.dir, "verifier-keys.json", text);
	free(text);
	json_decref(set);
	ar_jwk_free(vkey);
	if (rc < 0 || write_text(t.dir, "policy.json", "{\"min_status\": \"affirming\", "
				 "\"max_age\": 300, \"require_key_binding\": true}") < 0)
		return -1;
	snprintf(extra, sizeof(extra),
		 "[profile \"substation\"]\n"
		 "lifetime = 8h\n"
		 "identifiers = permanent-identifier\n"
		 "attest = any os_patch_level\n"
		 "policy = %s/policy.json\n"
		 "verifier_keys = %s/verifier-keys.json\n"
		 "verifier_url = https://verifier.test:8443\n"
		 "claims_hint = swversion hwmodel\n"
		 "\n[profile \"web\"]\n"
		 "identifiers = dns\n"
		 "attest = none\n"
		 "server_auth = yes\n", t.dir, t.dir);
	if (write_text(t.dir, "profiles.conf", extra) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/profiles.conf", t.dir);
	setenv("MKCA_EXTRA", path, 1);
	setenv("MKCA_DEFAULT_PROFILE", "web", 1);
	setenv("MKCA_EAB_PROFILE", "substation", 1);
	if (catest_start_ca(&t.ca, t.redis.port, "no") < 0)
		return -1;
	t.eab_keys = catest_eab_keys(&t.ca);
	return t.eab_keys ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	catest_stop_ca(&t.ca);
	lab_redis_stop(&t.redis);
	lab_rmtree(t.dir);
	json_decref(t.eab_keys);
	ar_jwk_free(t.substation_key);
	return 0;
}

/*
 * A fresh account, or with @eab_kid the account that EAB key binds (created
 * on first use, found again by its key afterwards).
 */
static void account(const char *eab_kid)
{
	json_t *p = json_pack("{s:b}", "termsOfServiceAgreed", 1);
	const ar_jwk_t *key;
	httpc_resp_t r;

	ar_jwk_free(t.key);
	t.key = NULL;
	if (eab_kid) {
		if (!t.substation_key)
			t.substation_key = ar_jwk_generate("ES256", NULL);
		key = t.substation_key;
	} else {
		t.key = ar_jwk_generate("ES256", NULL);
		key = t.key;
	}
	assert_int_equal(acmec_init(&t.c, t.ca.base, t.ca.cafile, key), 0);
	if (eab_kid)
		json_object_set_new(p, "externalAccountBinding",
				    catest_eab(&t.c, eab_kid, catest_eab_hmac(t.eab_keys, eab_kid)));
	assert_int_equal(acmec_post(&t.c, acmec_url(&t.c, "newAccount"), p, 1, NULL, &r), 0);
	if (r.status != 201 && r.status != 200)
		fail_msg("newAccount: %ld %s", r.status, r.body);
	snprintf(t.c.kid, sizeof(t.c.kid), "%s", r.location);
	httpc_free(&r);
	json_decref(p);
}

static int teardown(void **state)
{
	(void)state;
	acmec_free(&t.c);
	ar_jwk_free(t.key);
	t.key = NULL;
	return 0;
}

/* newOrder for @ids (JSON text of the identifiers array). */
static void order(const char *ids, httpc_resp_t *r)
{
	json_t *p = json_pack("{s:o}", "identifiers", json_loads(ids, 0, NULL));

	assert_int_equal(acmec_post(&t.c, acmec_url(&t.c, "newOrder"), p, 0, NULL, r), 0);
	json_decref(p);
}

static json_t *read_json(const char *url, long want)
{
	httpc_resp_t r;
	json_t *j;

	assert_int_equal(acmec_post(&t.c, url, NULL, 0, NULL, &r), 0);
	if (r.status != want)
		fail_msg("%s: %ld %s", url, r.status, r.body);
	j = json_loads(r.body, 0, NULL);
	httpc_free(&r);
	return j;
}

static void test_dns_order_gets_http01_and_dns01(void **state)
{
	json_t *o, *a, *ch;
	httpc_resp_t r;
	size_t i;

	(void)state;
	account(NULL);
	order("[{\"type\":\"dns\",\"value\":\"device.example.net\"}]", &r);
	if (r.status != 201)
		fail_msg("%ld %s", r.status, r.body);
	assert_non_null(strstr(r.location, "/acme/order/"));
	o = json_loads(r.body, 0, NULL);
	httpc_free(&r);
	assert_string_equal(json_string_value(json_object_get(o, "status")), "pending");
	assert_int_equal(json_array_size(json_object_get(o, "identifiers")), 1);
	assert_int_equal(json_array_size(json_object_get(o, "authorizations")), 1);
	assert_non_null(strstr(json_string_value(json_object_get(o, "finalize")), "/finalize"));
	assert_non_null(json_object_get(o, "expires"));

	a = read_json(json_string_value(json_array_get(json_object_get(o, "authorizations"), 0)), 200);
	assert_string_equal(json_string_value(json_object_get(a, "status")), "pending");
	assert_string_equal(json_string_value(json_object_get(json_object_get(a, "identifier"),
							      "value")), "device.example.net");
	ch = json_object_get(a, "challenges");
	assert_int_equal(json_array_size(ch), 2);
	for (i = 0; i < 2; i++) {
		json_t *c = json_array_get(ch, i);

		assert_true(strlen(json_string_value(json_object_get(c, "token"))) >= 22);
		assert_non_null(strstr(json_string_value(json_object_get(c, "url")), "/acme/chall/"));
		assert_null(json_object_get(c, "freshness_nonce"));
	}
	assert_string_equal(json_string_value(json_object_get(json_array_get(ch, 0), "type")), "http-01");
	assert_string_equal(json_string_value(json_object_get(json_array_get(ch, 1), "type")), "dns-01");
	json_decref(a);
	json_decref(o);
}

static void test_identifiers_refused_each_with_a_subproblem(void **state)
{
	httpc_resp_t r;
	json_t *doc;

	(void)state;
	account(NULL);
	order("[{\"type\":\"dns\",\"value\":\"*.example.net\"},"
	      "{\"type\":\"dns\",\"value\":\"UPPER.example.net\"},"
	      "{\"type\":\"permanent-identifier\",\"value\":\"SUB-0042\"},"
	      "{\"type\":\"remote-attestation\",\"value\":\"\"},"
	      "{\"type\":\"ip\",\"value\":\"192.0.2.1\"},"
	      "{\"type\":\"dns\",\"value\":\"127.0.0.1\"},"
	      "{\"type\":\"dns\",\"value\":\"0x7f.0.0.1\"},"
	      "{\"type\":\"dns\",\"value\":\"1.2.3.4.5\"}]", &r);
	expect_problem(&r, 400, "rejectedIdentifier");
	doc = json_loads(r.body, 0, NULL);
	/* an IP address as a dns name would send http-01 to it without DNS */
	assert_int_equal(json_array_size(json_object_get(doc, "subproblems")), 8);
	assert_non_null(strstr(r.body, "IP addresses"));
	assert_non_null(strstr(r.body, "unsupportedIdentifier"));
	assert_non_null(strstr(r.body, "wildcards"));
	assert_non_null(strstr(r.body, "does not attest"));
	json_decref(doc);
	httpc_free(&r);
}

static void test_malformed_order_requests(void **state)
{
	json_t *p = json_pack("{s:[{s:s,s:s}],s:s}", "identifiers", "type", "dns", "value",
			      "a.example.net", "notAfter", "2030-01-01T00:00:00Z");
	httpc_resp_t r;

	(void)state;
	account(NULL);
	order("[]", &r);
	expect_problem(&r, 400, "malformed");
	httpc_free(&r);
	order("[{\"type\":\"dns\",\"value\":\"a.example.net\"},{\"type\":\"dns\",\"value\":\"a.example.net\"}]", &r);
	expect_problem(&r, 400, "malformed");
	assert_non_null(strstr(r.body, "twice"));
	httpc_free(&r);
	assert_int_equal(acmec_post(&t.c, acmec_url(&t.c, "newOrder"), p, 0, NULL, &r), 0);
	expect_problem(&r, 400, "malformed");
	assert_non_null(strstr(r.body, "lifetime"));
	httpc_free(&r);
	json_decref(p);
}

static void test_attested_order_preauthorizes_device_and_challenges_profile_hints(void **state)
{
	json_t *o, *auths, *ids;
	size_t i, attest = 0, valid = 0;
	httpc_resp_t r;

	(void)state;
	account("kid-substation-1");
	/* The client offers no hint; the profile challenges "" and os_patch_level. */
	order("[{\"type\":\"permanent-identifier\",\"value\":\"SUB-0042\"}]", &r);
	if (r.status != 201)
		fail_msg("%ld %s", r.status, r.body);
	o = json_loads(r.body, 0, NULL);
	httpc_free(&r);
	assert_string_equal(json_string_value(json_object_get(o, "status")), "pending");
	ids = json_object_get(o, "identifiers");
	assert_int_equal(json_array_size(ids), 3);
	auths = json_object_get(o, "authorizations");
	for (i = 0; i < json_array_size(auths); i++) {
		json_t *a = read_json(json_string_value(json_array_get(auths, i)), 200);
		const char *type = json_string_value(json_object_get(json_object_get(a, "identifier"),
									"type"));
		json_t *c = json_array_get(json_object_get(a, "challenges"), 0);

		if (!strcmp(type, "permanent-identifier")) {
			assert_string_equal(json_string_value(json_object_get(a, "status")), "valid");
			valid++;
		} else {
			const char *nonce = json_string_value(json_object_get(c, "freshness_nonce"));

			assert_string_equal(type, "remote-attestation");
			assert_string_equal(json_string_value(json_object_get(c, "type")), "remote-attest-01");
			assert_string_equal(json_string_value(json_object_get(a, "status")), "pending");
			assert_non_null(nonce);
			assert_true(strlen(nonce) >= 22);	/* >= 128 bits */
			assert_string_not_equal(nonce, json_string_value(json_object_get(c, "token")));
			assert_int_equal(json_array_size(json_object_get(c, "attestClaimsHint")), 2);
			assert_string_equal(json_string_value(json_object_get(c, "verifierEncryptionCredential")),
					    "https://verifier.test:8443/challenge-response/v1/encryption-key");
			attest++;
		}
		json_decref(a);
	}
	assert_int_equal(valid, 1);
	assert_int_equal(attest, 2);
	json_decref(o);
}

static void test_attestation_hint_spellings_and_unknown_hints(void **state)
{
	httpc_resp_t r;

	(void)state;
	account("kid-substation-1");
	order("[{\"type\":\"permanent-identifier\",\"value\":\"SUB-0043\"},"
	      "{\"type\":\"remote-attestation\",\"value\":\"measured-boot\"}]", &r);
	assert_int_equal(r.status, 201);
	assert_non_null(strstr(r.body, "\"measured_boot\""));
	assert_null(strstr(r.body, "measured-boot"));
	httpc_free(&r);
	order("[{\"type\":\"permanent-identifier\",\"value\":\"SUB-0043\"},"
	      "{\"type\":\"remote-attestation\",\"value\":\"karma\"}]", &r);
	expect_problem(&r, 400, "unsupportedIdentifier");
	httpc_free(&r);
	order("[{\"type\":\"remote-attestation\",\"value\":\"\"}]", &r);
	expect_problem(&r, 400, "rejectedIdentifier");
	assert_non_null(strstr(r.body, "besides remote-attestation"));
	httpc_free(&r);
}

static void test_device_outside_the_inventory_is_rejected(void **state)
{
	httpc_resp_t r;

	(void)state;
	account("kid-substation-1");
	order("[{\"type\":\"permanent-identifier\",\"value\":\"SUB-9999\"}]", &r);
	expect_problem(&r, 400, "rejectedIdentifier");
	assert_non_null(strstr(r.body, "inventory"));
	httpc_free(&r);
}

static void test_orders_and_authorizations_are_private_to_their_account(void **state)
{
	char order_url[600], authz_url[600];
	httpc_resp_t r;
	json_t *o;

	(void)state;
	account(NULL);
	order("[{\"type\":\"dns\",\"value\":\"private.example.net\"}]", &r);
	assert_int_equal(r.status, 201);
	snprintf(order_url, sizeof(order_url), "%s", r.location);
	o = json_loads(r.body, 0, NULL);
	snprintf(authz_url, sizeof(authz_url), "%s",
		 json_string_value(json_array_get(json_object_get(o, "authorizations"), 0)));
	json_decref(o);
	httpc_free(&r);
	o = read_json(order_url, 200);
	json_decref(o);

	acmec_free(&t.c);
	account(NULL);			/* someone else */
	assert_int_equal(acmec_post(&t.c, order_url, NULL, 0, NULL, &r), 0);
	expect_problem(&r, 404, "malformed");
	httpc_free(&r);
	assert_int_equal(acmec_post(&t.c, authz_url, NULL, 0, NULL, &r), 0);
	expect_problem(&r, 404, "malformed");
	httpc_free(&r);
}

/* A new order for the dns name @name (201 expected); its URL in @url. */
static void dns_order(const char *name, char *url, size_t size)
{
	char ids[200];
	httpc_resp_t r;

	snprintf(ids, sizeof(ids), "[{\"type\":\"dns\",\"value\":\"%s\"}]", name);
	order(ids, &r);
	if (r.status != 201)
		fail_msg("newOrder %s: %ld %s", name, r.status, r.body);
	snprintf(url, size, "%s", r.location);
	httpc_free(&r);
}

/* RFC 8555 7.1.2.1: the account object's "orders" URL lists its orders, newest first. */
static void test_account_orders_list(void **state)
{
	char first[600], second[600], orders_url[600];
	json_t *acct, *list;
	httpc_resp_t r;

	(void)state;
	account(NULL);
	dns_order("one.example.net", first, sizeof(first));
	dns_order("two.example.net", second, sizeof(second));
	acct = read_json(t.c.kid, 200);
	snprintf(orders_url, sizeof(orders_url), "%s",
		 json_string_value(json_object_get(acct, "orders")));
	json_decref(acct);
	list = read_json(orders_url, 200);
	assert_int_equal(json_array_size(json_object_get(list, "orders")), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(list, "orders"), 0)),
			    second);
	assert_string_equal(json_string_value(json_array_get(json_object_get(list, "orders"), 1)),
			    first);
	json_decref(list);
	/* RFC 8555 7.1.2.1: an order made invalid (its authorization given up) is left out. */
	{
		json_t *o = read_json(second, 200), *p = json_pack("{s:s}", "status", "deactivated");

		assert_int_equal(acmec_post(&t.c, json_string_value(json_array_get(
			json_object_get(o, "authorizations"), 0)), p, 0, NULL, &r), 0);
		assert_int_equal(r.status, 200);
		httpc_free(&r);
		json_decref(p);
		json_decref(o);
		o = read_json(second, 200);
		assert_string_equal(json_string_value(json_object_get(o, "status")), "invalid");
		json_decref(o);
	}
	list = read_json(orders_url, 200);
	assert_int_equal(json_array_size(json_object_get(list, "orders")), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(list, "orders"), 0)),
			    first);
	json_decref(list);
	/* Another account cannot list them. */
	teardown(NULL);
	account(NULL);
	assert_int_equal(acmec_post(&t.c, orders_url, NULL, 0, NULL, &r), 0);
	catest_expect_problem(&r, 403, "unauthorized");
	httpc_free(&r);
}

/*
 * The nonce is spent with the endpoint's first read, ahead of its first
 * write, or after an endpoint that did not touch the store: a replay gets
 * badNonce from each kind of endpoint and changes nothing.
 */
static void test_replayed_nonce_refused_at_every_kind_of_endpoint(void **state)
{
	char order_url[600], nosuch[640], absent[640], *body;
	const char *urls[6];
	const long first[6] = { 200, 200, 200, 200, 404, 404 };
	json_t *o, *acct, *p, *list;
	httpc_resp_t r;
	size_t i;

	(void)state;
	account(NULL);
	dns_order("replay.example.net", order_url, sizeof(order_url));
	o = read_json(order_url, 200);
	acct = read_json(t.c.kid, 200);
	snprintf(nosuch, sizeof(nosuch), "%s/nosuch", order_url);
	urls[0] = order_url;		/* the order and its authorizations: reads */
	urls[1] = json_string_value(json_array_get(json_object_get(o, "authorizations"), 0));
	urls[2] = json_string_value(json_object_get(acct, "orders"));	/* a list read */
	urls[3] = t.c.kid;		/* the account, already loaded: no store */
	urls[4] = nosuch;		/* refused before any store access */
	snprintf(absent, sizeof(absent), "%s/acme/authz/AAAAAAAAAAAAAAAAAAAAAA", t.c.base);
	urls[5] = absent;		/* read with the account, and absent */
	for (i = 0; i < 6; i++) {
		body = acmec_body(&t.c, urls[i], NULL, 0, NULL);
		assert_int_equal(acmec_send(&t.c, urls[i], body, "application/jose+json", &r), 0);
		if (r.status != first[i])
			fail_msg("%s: %ld %s", urls[i], r.status, r.body);
		httpc_free(&r);
		assert_int_equal(acmec_send(&t.c, urls[i], body, "application/jose+json", &r), 0);
		catest_expect_problem(&r, 400, "badNonce");
		assert_non_null(strstr(r.body, "already been used"));
		assert_string_not_equal(r.replay_nonce, "");
		assert_null(strstr(r.body, "\"identifiers\""));
		httpc_free(&r);
		free(body);
	}

	/* A write: the replayed newOrder creates no second order. */
	p = json_pack("{s:[{s:s,s:s}]}", "identifiers", "type", "dns", "value", "again.example.net");
	body = acmec_body(&t.c, acmec_url(&t.c, "newOrder"), p, 0, NULL);
	assert_int_equal(acmec_send(&t.c, acmec_url(&t.c, "newOrder"), body, "application/jose+json",
				    &r), 0);
	assert_int_equal(r.status, 201);
	httpc_free(&r);
	assert_int_equal(acmec_send(&t.c, acmec_url(&t.c, "newOrder"), body, "application/jose+json",
				    &r), 0);
	catest_expect_problem(&r, 400, "badNonce");
	httpc_free(&r);
	list = read_json(urls[2], 200);
	assert_int_equal(json_array_size(json_object_get(list, "orders")), 2);
	json_decref(list);
	free(body);
	json_decref(p);
	json_decref(acct);
	json_decref(o);
}

/*
 * The nonce is spent before the signature is checked: a request whose
 * signature fails uses up its nonce (and gets a fresh one), so the same
 * nonce under a good signature is badNonce.
 */
static void test_bad_signature_spends_its_nonce(void **state)
{
	char order_url[600], nonce[128], *body, *sig;
	json_t *jws;
	httpc_resp_t r;

	(void)state;
	account(NULL);
	dns_order("forged.example.net", order_url, sizeof(order_url));
	snprintf(nonce, sizeof(nonce), "%s", t.c.nonce);
	body = acmec_body(&t.c, order_url, NULL, 0, NULL);
	jws = json_loads(body, 0, NULL);
	assert_non_null(jws);
	sig = strdup(json_string_value(json_object_get(jws, "signature")));
	sig[5] = sig[5] == 'A' ? 'B' : 'A';
	json_object_set_new(jws, "signature", json_string(sig));
	free(body);
	body = json_dumps(jws, JSON_COMPACT);
	assert_int_equal(acmec_send(&t.c, order_url, body, "application/jose+json", &r), 0);
	catest_expect_problem(&r, 400, "malformed");
	assert_string_not_equal(r.replay_nonce, "");
	httpc_free(&r);
	free(body);

	snprintf(t.c.nonce, sizeof(t.c.nonce), "%s", nonce);
	body = acmec_body(&t.c, order_url, NULL, 0, NULL);
	assert_int_equal(acmec_send(&t.c, order_url, body, "application/jose+json", &r), 0);
	catest_expect_problem(&r, 400, "badNonce");
	httpc_free(&r);
	free(body);
	free(sig);
	json_decref(jws);
}

/*
 * Redis dies and comes back: meanwhile the CA answers 503 with Retry-After
 * (never a half-written order), afterwards it serves again by itself and
 * what was written before is still there (AOF).
 */
static void test_redis_restart_during_issuance(void **state)
{
	char before[600], after[600];
	json_t *o;
	httpc_resp_t r;

	(void)state;
	account(NULL);
	dns_order("kept.example.net", before, sizeof(before));
	lab_sleep_ms(1100);			/* appendfsync everysec */
	assert_int_equal(lab_redis_kill(&t.redis), 0);
	order("[{\"type\":\"dns\",\"value\":\"lost.example.net\"}]", &r);
	catest_expect_problem(&r, 503, "serverInternal");
	assert_string_not_equal(r.replay_nonce, "");	/* the client can retry */
	snprintf(t.c.nonce, sizeof(t.c.nonce), "%s", r.replay_nonce);
	httpc_free(&r);
	assert_int_equal(lab_redis_restart(&t.redis), 0);
	dns_order("after.example.net", after, sizeof(after));
	o = read_json(before, 200);
	assert_string_equal(json_string_value(json_object_get(o, "status")), "pending");
	json_decref(o);
}

/*
 * A profile whose hint requires a claim AR4SI does not have, or "none" with
 * claims, is a configuration error at start: a typo must not leave a hint
 * that requires nothing.
 */
static void test_profile_hint_with_unknown_claim_refused_at_start(void **state)
{
	static const char *const bad[][2] = {
		{ "hint_hsm = storage-opaque storage-opague\n", "hint_hsm: unknown value \"storage-opague\"" },
		{ "hint_fido2 = none hardware\n", "hint_fido2: \"none\" cannot be combined" },
	};
	char conf[300], bin[512], path[300], out[300], cmd[1536], *text, *log, *both;
	char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	size_t len, n, i;

	(void)state;
	snprintf(conf, sizeof(conf), "%s/ca.conf", t.ca.dir);
	snprintf(bin, sizeof(bin), "%s/ca/acme-rats-ca", catest_top("AR_TOP_BUILDDIR"));
	snprintf(path, sizeof(path), "%s/typo.conf", t.dir);
	snprintf(out, sizeof(out), "%s/typo.out", t.dir);
	snprintf(cmd, sizeof(cmd), "'%s' --check-config -c '%s' >'%s' 2>&1", bin, path, out);
	assert_int_equal(ar_file_read(conf, 65536, &text, &len, NULL), 0);
	for (i = 0; i < 2; i++) {
		n = len + strlen(bad[i][0]) + 32;
		both = malloc(n);
		assert_non_null(both);
		snprintf(both, n, "%s\n[profile \"typo\"]\n%s", text, bad[i][0]);
		assert_int_equal(write_text(t.dir, "typo.conf", both), 0);
		free(both);
		assert_int_equal(catest_run(argv), 1);
		assert_int_equal(ar_file_read(out, 65536, &log, &n, NULL), 0);
		if (!strstr(log, bad[i][1]))
			fail_msg("%s", log);
		free(log);
	}
	free(text);
}

/* The id at the end of resource URL @url. */
static const char *url_id(const char *url)
{
	const char *slash = strrchr(url, '/');

	assert_non_null(slash);
	return slash + 1;
}

/*
 * A stored record that lost a member, or whose status is not an ACME
 * status (an operator's hand edit, a partial restore): the CA answers
 * 500 serverInternal for that resource and keeps serving everyone else.
 */
static void test_corrupt_records_get_server_internal_never_a_crash(void **state)
{
	static const char *const bad_orders[] = {
		"{}",
		"{\"account\":\"%s\",\"expires\":1,\"identifiers\":[],\"authorizations\":[]}",
		"{\"account\":\"%s\",\"status\":42,\"expires\":1,\"identifiers\":[],"
		"\"authorizations\":[]}",
		"{\"account\":\"%s\",\"status\":\"ready-ish\",\"expires\":1,"
		"\"identifiers\":[{\"type\":\"dns\",\"value\":\"x.example\"}],"
		"\"authorizations\":[\"a\"]}",
		"{\"account\":\"%s\",\"status\":\"ready\",\"expires\":1,"
		"\"identifiers\":[{\"type\":\"dns\"}],\"authorizations\":[\"a\"]}",
		"[1,2,3]",
	};
	ar_store_opts_t so = { .host = "127.0.0.1", .port = t.redis.port };
	char order_url[600], authz_url[600], key[128], text[600], finalize[700];
	const char *acct;
	ar_store_t *st = ar_store_open(&so, NULL);
	httpc_resp_t r;
	json_t *o;
	size_t i;

	(void)state;
	assert_non_null(st);
	account(NULL);
	acct = url_id(t.c.kid);
	order("[{\"type\":\"dns\",\"value\":\"corrupt.example.net\"}]", &r);
	assert_int_equal(r.status, 201);
	snprintf(order_url, sizeof(order_url), "%s", r.location);
	o = json_loads(r.body, 0, NULL);
	snprintf(authz_url, sizeof(authz_url), "%s",
		 json_string_value(json_array_get(json_object_get(o, "authorizations"), 0)));
	json_decref(o);
	httpc_free(&r);
	snprintf(finalize, sizeof(finalize), "%s/finalize", order_url);

	for (i = 0; i < sizeof(bad_orders) / sizeof(bad_orders[0]); i++) {
		json_t *csr = json_pack("{s:s}", "csr", "AAAA");

		snprintf(key, sizeof(key), "order:%s", url_id(order_url));
		{	/* "%s" in the template is the account id */
			const char *at = strstr(bad_orders[i], "%s");

			if (at)
				snprintf(text, sizeof(text), "%.*s%s%s", (int)(at - bad_orders[i]),
					 bad_orders[i], acct, at + 2);
			else
				snprintf(text, sizeof(text), "%s", bad_orders[i]);
		}
		assert_int_equal(ar_store_set(st, key, text, strlen(text), 0, NULL), 0);
		assert_int_equal(acmec_post(&t.c, order_url, NULL, 0, NULL, &r), 0);
		expect_problem(&r, 500, "serverInternal");
		httpc_free(&r);
		assert_int_equal(acmec_post(&t.c, finalize, csr, 0, NULL, &r), 0);
		expect_problem(&r, 500, "serverInternal");
		httpc_free(&r);
		json_decref(csr);
	}
	/* An authorization without its status. */
	snprintf(key, sizeof(key), "authz:%s", url_id(authz_url));
	snprintf(text, sizeof(text), "{\"account\":\"%s\",\"order\":\"%s\",\"expires\":1,"
		 "\"identifier\":{\"type\":\"dns\",\"value\":\"corrupt.example.net\"},"
		 "\"challenges\":[{\"type\":\"http-01\"}],\"status\":\"pending\"}", acct,
		 url_id(order_url));
	assert_int_equal(ar_store_set(st, key, text, strlen(text), 0, NULL), 0);
	assert_int_equal(acmec_post(&t.c, authz_url, NULL, 0, NULL, &r), 0);
	expect_problem(&r, 500, "serverInternal");
	httpc_free(&r);
	/* The account record itself. */
	snprintf(key, sizeof(key), "acct:%s", acct);
	assert_int_equal(ar_store_set(st, key, "{\"status\":\"valid\"}", 18, 0, NULL), 0);
	assert_int_equal(acmec_post(&t.c, t.c.kid, NULL, 0, NULL, &r), 0);
	expect_problem(&r, 500, "serverInternal");
	httpc_free(&r);
	/* The CA is alive and serves another account. */
	acmec_free(&t.c);
	account(NULL);
	dns_order("alive.example.net", order_url, sizeof(order_url));
	ar_store_close(st);
}

/*
 * RFC 8555 7.1.6: a valid authorization past its "expires" is expired, and
 * no longer makes its order ready: the order is invalid. (The record's
 * expiry is moved into the past in Redis, as time would.)
 */
static void test_valid_authorization_past_its_expiry_is_expired(void **state)
{
	ar_store_opts_t so = { .host = "127.0.0.1", .port = t.redis.port };
	ar_store_t *st = ar_store_open(&so, NULL);
	char order_url[600], authz_url[600], key[128], *text = NULL, *out;
	json_t *o, *a, *rec;
	const char *url;

	(void)state;
	assert_non_null(st);
	account("kid-substation-1");
	{
		httpc_resp_t r;

		order("[{\"type\":\"permanent-identifier\",\"value\":\"SUB-0042\"}]", &r);
		assert_int_equal(r.status, 201);
		snprintf(order_url, sizeof(order_url), "%s", r.location);
		httpc_free(&r);
	}
	o = read_json(order_url, 200);
	url = json_string_value(json_array_get(json_object_get(o, "authorizations"), 0));
	snprintf(authz_url, sizeof(authz_url), "%s", url);
	a = read_json(url, 200);
	assert_string_equal(json_string_value(json_object_get(a, "status")), "valid");
	json_decref(a);
	snprintf(key, sizeof(key), "authz:%s", url_id(url));
	assert_int_equal(ar_store_get(st, key, &text, NULL, NULL), 1);
	rec = json_loads(text, 0, NULL);
	assert_non_null(rec);
	json_object_set_new(rec, "expires", json_integer((json_int_t)time(NULL) - 5));
	out = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);
	assert_int_equal(ar_store_set(st, key, out, strlen(out), 0, NULL), 0);
	a = read_json(url, 200);
	assert_string_equal(json_string_value(json_object_get(a, "status")), "expired");
	json_decref(a);
	json_decref(o);
	o = read_json(order_url, 200);
	assert_string_equal(json_string_value(json_object_get(o, "status")), "invalid");
	json_decref(o);
	/* expired is final: it cannot be deactivated (pending/valid only) */
	{
		json_t *p = json_pack("{s:s}", "status", "deactivated");
		httpc_resp_t r;

		assert_int_equal(acmec_post(&t.c, authz_url, p, 0, NULL, &r), 0);
		expect_problem(&r, 403, "unauthorized");
		assert_non_null(strstr(r.body, "expired"));
		httpc_free(&r);
		json_decref(p);
		a = read_json(authz_url, 200);
		assert_string_equal(json_string_value(json_object_get(a, "status")), "expired");
		json_decref(a);
	}
	free(out);
	json_decref(rec);
	free(text);
	ar_store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_dns_order_gets_http01_and_dns01, teardown),
		cmocka_unit_test_teardown(test_identifiers_refused_each_with_a_subproblem, teardown),
		cmocka_unit_test_teardown(test_malformed_order_requests, teardown),
		cmocka_unit_test_teardown(test_attested_order_preauthorizes_device_and_challenges_profile_hints, teardown),
		cmocka_unit_test_teardown(test_attestation_hint_spellings_and_unknown_hints, teardown),
		cmocka_unit_test_teardown(test_device_outside_the_inventory_is_rejected, teardown),
		cmocka_unit_test_teardown(test_orders_and_authorizations_are_private_to_their_account, teardown),
		cmocka_unit_test_teardown(test_account_orders_list, teardown),
		cmocka_unit_test_teardown(test_replayed_nonce_refused_at_every_kind_of_endpoint,
					  teardown),
		cmocka_unit_test_teardown(test_bad_signature_spends_its_nonce, teardown),
		cmocka_unit_test_teardown(test_redis_restart_during_issuance, teardown),
		cmocka_unit_test_teardown(test_profile_hint_with_unknown_claim_refused_at_start, teardown),
		cmocka_unit_test_teardown(test_corrupt_records_get_server_internal_never_a_crash,
					  teardown),
		cmocka_unit_test_teardown(test_valid_authorization_past_its_expiry_is_expired,
					  teardown),
	};

	return cmocka_run_group_tests_name("ca_order", tests, group_setup, group_teardown);
}
