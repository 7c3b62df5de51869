/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * acme-rats-ca domain validation (RFC 8555 8.3, 8.4) for dns identifiers:
 * http-01 fetched over real HTTP and dns-01 read from a real DNS server.
 * pebble-challtestsrv plays the site's DNS (every name resolves to
 * 127.0.0.1; TXT records set through its management API) and its web
 * server (key authorizations added the same way); the CA is configured to
 * use that resolver and port, as a site would point it at its own DNS.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include "testutil.h"
#include "lab/lab.h"
#include "acmec.h"
#include "b64.h"
#include "catest.h"
#include "fileio.h"
#include "x509.h"

static struct {
	lab_redis_t	redis;
	ca_proc_t	ca;
	pid_t		chall;
	int		dns_port, http_port, mgmt_port;
	char		dir[256];
	ar_jwk_t	*key;
	acmec_t		c;
} t;

#define expect_problem catest_expect_problem

/* POST a JSON command to pebble-challtestsrv's management interface. */
static void chall(const char *what, json_t *body)
{
	char url[128], *text = json_dumps(body, JSON_COMPACT);
	httpc_req_t req = { "POST", url, NULL, "application/json", NULL, text, strlen(text) };
	httpc_resp_t r;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/%s", t.mgmt_port, what);
	assert_int_equal(httpc(&req, &r), 0);
	if (r.status != 200)
		fail_msg("challtestsrv %s: %ld %s", what, r.status, r.body);
	httpc_free(&r);
	free(text);
	json_decref(body);
}

static int group_setup(void **state)
{
	static const char profile[] = "[profile \"web\"]\nidentifiers = dns\nattest = none\n"
				      "server_auth = yes\nlifetime = 8h\n";
	char dns[32], http[32], mgmt[32], acme[256], path[300];
	char *argv[] = { "/usr/bin/pebble-challtestsrv", "-dns01", dns, "-http01", http,
			 "-management", mgmt, "-https01", "", "-tlsalpn01", "",
			 "-defaultIPv4", "127.0.0.1", "-defaultIPv6", "", NULL };

	(void)state;
	if (lab_init() < 0 || lab_redis_start(&t.redis) < 0 || lab_tmpdir(t.dir, sizeof(t.dir)) < 0)
		return -1;
	t.dns_port = lab_free_port();
	t.http_port = lab_free_port();
	t.mgmt_port = lab_free_port();
	snprintf(dns, sizeof(dns), "127.0.0.1:%d", t.dns_port);
	snprintf(http, sizeof(http), "127.0.0.1:%d", t.http_port);
	snprintf(mgmt, sizeof(mgmt), "127.0.0.1:%d", t.mgmt_port);
	snprintf(path, sizeof(path), "%s/challtestsrv.log", t.dir);
	t.chall = lab_spawn(argv, path);
	if (t.chall < 0 || lab_wait_tcp(t.mgmt_port, 5000) < 0 || lab_wait_tcp(t.http_port, 5000) < 0)
		return -1;
	snprintf(acme, sizeof(acme), "http01_port = %d\ndns_resolver = 127.0.0.1:%d\n"
		 "validation_timeout = 3s\n", t.http_port, t.dns_port);
	snprintf(path, sizeof(path), "%s/profiles.conf", t.dir);
	if (ar_file_write_atomic(path, profile, strlen(profile), 0600, NULL) < 0)
		return -1;
	setenv("MKCA_EXTRA", path, 1);
	setenv("MKCA_ACME_EXTRA", acme, 1);
	setenv("MKCA_DEFAULT_PROFILE", "web", 1);
	setenv("MKCA_ISSUER_KEY_URI", "yes", 1);	/* issuer_key = file:... (OSSL_STORE) */
	return catest_start_ca(&t.ca, t.redis.port, "no");
}

static int group_teardown(void **state)
{
	(void)state;
	catest_stop_ca(&t.ca);
	if (t.chall > 0)
		lab_stop(t.chall, 3000);
	lab_redis_stop(&t.redis);
	lab_rmtree(t.dir);
	return 0;
}

static int setup(void **state)
{
	json_t *p = json_pack("{s:b}", "termsOfServiceAgreed", 1);
	httpc_resp_t r;

	(void)state;
	t.key = ar_jwk_generate("ES256", NULL);
	assert_int_equal(acmec_init(&t.c, t.ca.base, t.ca.cafile, t.key), 0);
	assert_int_equal(acmec_post(&t.c, acmec_url(&t.c, "newAccount"), p, 1, NULL, &r), 0);
	assert_int_equal(r.status, 201);
	snprintf(t.c.kid, sizeof(t.c.kid), "%s", r.location);
	httpc_free(&r);
	json_decref(p);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	acmec_free(&t.c);
	ar_jwk_free(t.key);
	t.key = NULL;
	return 0;
}

static json_t *post_json(const char *url, json_t *payload, long want, char *location, size_t size)
{
	httpc_resp_t r;
	json_t *j;

	assert_int_equal(acmec_post(&t.c, url, payload, 0, NULL, &r), 0);
	if (r.status != want)
		fail_msg("%s: %ld %s", url, r.status, r.body);
	if (location)
		snprintf(location, size, "%s", r.location);
	j = json_loads(r.body, 0, NULL);
	assert_non_null(j);
	httpc_free(&r);
	json_decref(payload);
	return j;
}

/* newOrder for one dns name; returns the order, its URL in @url and its authz. */
static json_t *dns_order(const char *name, char *url, size_t size, json_t **authz)
{
	json_t *order = post_json(acmec_url(&t.c, "newOrder"),
				  json_pack("{s:[{s:s,s:s}]}", "identifiers", "type", "dns", "value",
					    name), 201, url, size);

	assert_string_equal(json_string_value(json_object_get(order, "status")), "pending");
	*authz = post_json(json_string_value(json_array_get(json_object_get(order, "authorizations"),
							    0)), NULL, 200, NULL, 0);
	return order;
}

static const json_t *challenge_of(const json_t *authz, const char *type)
{
	const json_t *chs = json_object_get(authz, "challenges");
	size_t i;

	for (i = 0; i < json_array_size(chs); i++)
		if (!strcmp(json_string_value(json_object_get(json_array_get(chs, i), "type")), type))
			return json_array_get(chs, i);
	fail_msg("no %s challenge", type);
	return NULL;
}

static void keyauth(const char *token, char *out, size_t size)
{
	snprintf(out, size, "%s.%s", token, ar_jwk_thumbprint(t.key));
}

/* Finalize with a CSR for a new key naming @name; returns the leaf certificate. */
static X509 *finalize_and_fetch(const char *order_url, const char *name)
{
	ar_identifier_t id = { .type = "dns" };
	EVP_PKEY *key = EVP_EC_gen("P-256");
	unsigned char *der;
	size_t len;
	char url[700], *b64;
	json_t *order;
	X509 *cert;

	snprintf(id.value, sizeof(id.value), "%s", name);
	assert_int_equal(ar_csr_make(key, &id, 1, &der, &len, NULL), 0);
	b64 = ar_b64url_encode_alloc(der, len);
	OPENSSL_free(der);
	snprintf(url, sizeof(url), "%s/finalize", order_url);
	order = post_json(url, json_pack("{s:s}", "csr", b64), 200, NULL, 0);
	free(b64);
	assert_string_equal(json_string_value(json_object_get(order, "status")), "valid");
	cert = catest_download_cert(&t.c, json_string_value(json_object_get(order, "certificate")));
	assert_non_null(cert);
	json_decref(order);
	EVP_PKEY_free(key);
	return cert;
}

static void expect_dns_san_and_server_auth(X509 *cert, const char *name)
{
	assert_int_equal(X509_check_host(cert, name, 0, 0, NULL), 1);
	assert_true(X509_get_extended_key_usage(cert) & XKU_SSL_SERVER);
	assert_true(X509_get_extended_key_usage(cert) & XKU_SSL_CLIENT);
}

static void test_http01_issues(void **state)
{
	char order_url[600], ka[200];
	json_t *authz, *order = dns_order("www.substation-7.example", order_url, sizeof(order_url),
					  &authz), *ch;
	const json_t *c = challenge_of(authz, "http-01");
	X509 *cert;

	(void)state;
	keyauth(json_string_value(json_object_get(c, "token")), ka, sizeof(ka));
	chall("add-http01", json_pack("{s:s,s:s}", "token",
				      json_string_value(json_object_get(c, "token")), "content", ka));
	ch = post_json(json_string_value(json_object_get(c, "url")), json_object(), 200, NULL, 0);
	assert_string_equal(json_string_value(json_object_get(ch, "status")), "valid");
	assert_non_null(json_object_get(ch, "validated"));
	cert = finalize_and_fetch(order_url, "www.substation-7.example");
	expect_dns_san_and_server_auth(cert, "www.substation-7.example");
	X509_free(cert);
	json_decref(ch);
	json_decref(authz);
	json_decref(order);
}

/*
 * RFC 8555 6.2 with an Ed25519 account key, signed by the test client with
 * OpenSSL directly: newOrder and every later request by kid, and an http-01
 * key authorization "token.thumbprint" whose RFC 7638 thumbprint of the
 * OKP JWK (crv, kty, x) the test computes itself - the CA's must be the
 * same for the challenge to be won - then a certificate.
 */
static void test_account_with_ed25519_key_orders_and_wins_http01_by_its_thumbprint(void **state)
{
	const char *name = "ed25519.substation-7.example";
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	json_t *p = json_pack("{s:b}", "termsOfServiceAgreed", 1), *authz, *order, *ch;
	char order_url[600], ka[200], thp[44];
	const json_t *c;
	httpc_resp_t r;
	X509 *cert;

	(void)state;
	assert_non_null(ed);
	acmec_free(&t.c);
	assert_int_equal(acmec_init(&t.c, t.ca.base, t.ca.cafile, NULL), 0);
	t.c.ed25519 = ed;
	assert_int_equal(acmec_post(&t.c, acmec_url(&t.c, "newAccount"), p, 1, NULL, &r), 0);
	if (r.status != 201)
		fail_msg("newAccount: %ld %s", r.status, r.body);
	snprintf(t.c.kid, sizeof(t.c.kid), "%s", r.location);
	httpc_free(&r);
	json_decref(p);

	order = dns_order(name, order_url, sizeof(order_url), &authz);
	c = challenge_of(authz, "http-01");
	acmec_thumbprint(&t.c, thp);
	snprintf(ka, sizeof(ka), "%s.%s", json_string_value(json_object_get(c, "token")), thp);
	chall("add-http01", json_pack("{s:s,s:s}", "token",
				      json_string_value(json_object_get(c, "token")), "content", ka));
	ch = post_json(json_string_value(json_object_get(c, "url")), json_object(), 200, NULL, 0);
	if (strcmp(json_string_value(json_object_get(ch, "status")), "valid"))
		fail_msg("http-01 with the Ed25519 key's thumbprint: %s",
			 json_dumps(ch, JSON_COMPACT));
	cert = finalize_and_fetch(order_url, name);
	expect_dns_san_and_server_auth(cert, name);
	X509_free(cert);
	json_decref(ch);
	json_decref(authz);
	json_decref(order);
	t.c.ed25519 = NULL;
	EVP_PKEY_free(ed);
}

static void test_dns01_issues(void **state)
{
	unsigned char digest[SHA256_DIGEST_LENGTH];
	char order_url[600], ka[200], txt[64];
	json_t *authz, *order = dns_order("radius.substation-7.example", order_url,
					  sizeof(order_url), &authz), *ch;
	const json_t *c = challenge_of(authz, "dns-01");
	X509 *cert;

	(void)state;
	keyauth(json_string_value(json_object_get(c, "token")), ka, sizeof(ka));
	SHA256((const unsigned char *)ka, strlen(ka), digest);
	assert_int_equal(ar_b64url_encode(digest, sizeof(digest), txt, sizeof(txt)), 0);
	chall("set-txt", json_pack("{s:s,s:s}", "host", "_acme-challenge.radius.substation-7.example.",
				   "value", txt));
	ch = post_json(json_string_value(json_object_get(c, "url")), json_object(), 200, NULL, 0);
	assert_string_equal(json_string_value(json_object_get(ch, "status")), "valid");
	cert = finalize_and_fetch(order_url, "radius.substation-7.example");
	expect_dns_san_and_server_auth(cert, "radius.substation-7.example");
	X509_free(cert);
	json_decref(ch);
	json_decref(authz);
	json_decref(order);
}

/* A failed validation: the challenge and authorization are invalid, the order too. */
static void expect_invalid(const char *order_url, const json_t *ch, const char *type,
			   const char *detail_part)
{
	const json_t *err = json_object_get(ch, "error");
	char urn[96];
	json_t *order;

	snprintf(urn, sizeof(urn), "urn:ietf:params:acme:error:%s", type);
	assert_string_equal(json_string_value(json_object_get(ch, "status")), "invalid");
	assert_string_equal(json_string_value(json_object_get(err, "type")), urn);
	if (!strstr(json_string_value(json_object_get(err, "detail")), detail_part))
		fail_msg("detail \"%s\" lacks \"%s\"", json_string_value(json_object_get(err, "detail")),
			 detail_part);
	order = post_json(order_url, NULL, 200, NULL, 0);
	assert_string_equal(json_string_value(json_object_get(order, "status")), "invalid");
	json_decref(order);
}

/* Win the http-01 challenge of a new order for @name; the order URL in @url. */
static void win_http01(const char *name, char *url, size_t size)
{
	char ka[200];
	json_t *authz, *order = dns_order(name, url, size, &authz), *ch;
	const json_t *c = challenge_of(authz, "http-01");

	keyauth(json_string_value(json_object_get(c, "token")), ka, sizeof(ka));
	chall("add-http01", json_pack("{s:s,s:s}", "token",
				      json_string_value(json_object_get(c, "token")), "content", ka));
	ch = post_json(json_string_value(json_object_get(c, "url")), json_object(), 200, NULL, 0);
	assert_string_equal(json_string_value(json_object_get(ch, "status")), "valid");
	json_decref(ch);
	json_decref(authz);
	json_decref(order);
}

/*
 * RFC 8555 7.6: an account that did not order a certificate may revoke it
 * once it holds valid authorizations for every identifier in it - and not
 * before.
 */
static void test_revocation_by_another_account_holding_the_authorizations(void **state)
{
	const char *name = "shared.substation-7.example";
	char order_url[600], *b64;
	unsigned char *der = NULL;
	acmec_t owner = t.c;
	ar_jwk_t *owner_key = t.key;
	json_t *p;
	httpc_resp_t r;
	X509 *cert;
	int len;

	(void)state;
	win_http01(name, order_url, sizeof(order_url));
	cert = finalize_and_fetch(order_url, name);
	len = i2d_X509(cert, &der);
	b64 = ar_b64url_encode_alloc(der, (size_t)len);
	p = json_pack("{s:s,s:i}", "certificate", b64, "reason", 0);

	/* Another account, no authorization for the name: refused. */
	assert_int_equal(setup(NULL), 0);
	assert_int_equal(acmec_post(&t.c, acmec_url(&t.c, "revokeCert"), p, 0, NULL, &r), 0);
	expect_problem(&r, 403, "unauthorized");
	httpc_free(&r);
	/* It validates the name itself: now it may. */
	win_http01(name, order_url, sizeof(order_url));
	assert_int_equal(acmec_post(&t.c, acmec_url(&t.c, "revokeCert"), p, 0, NULL, &r), 0);
	if (r.status != 200)
		fail_msg("revokeCert: %ld %s", r.status, r.body);
	httpc_free(&r);
	/* An unknown reason code: the detail lists the allowed ones. */
	json_object_set_new(p, "reason", json_integer(7));
	assert_int_equal(acmec_post(&t.c, acmec_url(&t.c, "revokeCert"), p, 0, NULL, &r), 0);
	expect_problem(&r, 400, "badRevocationReason");
	assert_non_null(strstr(r.body, "1 keyCompromise"));
	httpc_free(&r);
	teardown(NULL);
	t.c = owner;
	t.key = owner_key;
	json_decref(p);
	free(b64);
	OPENSSL_free(der);
	X509_free(cert);
}

static void test_http01_wrong_content_refused(void **state)
{
	char order_url[600];
	json_t *authz, *order = dns_order("wrong.substation-7.example", order_url, sizeof(order_url),
					  &authz), *ch;
	const json_t *c = challenge_of(authz, "http-01");

	(void)state;
	/* Another account's key authorization for the same token. */
	chall("add-http01", json_pack("{s:s,s:s}", "token",
				      json_string_value(json_object_get(c, "token")), "content",
				      "not-the-key-authorization"));
	ch = post_json(json_string_value(json_object_get(c, "url")), json_object(), 200, NULL, 0);
	expect_invalid(order_url, ch, "incorrectResponse", "does not serve the key authorization");
	json_decref(ch);
	json_decref(authz);
	json_decref(order);
}

static void test_http01_not_served_refused(void **state)
{
	char order_url[600];
	json_t *authz, *order = dns_order("absent.substation-7.example", order_url, sizeof(order_url),
					  &authz), *ch;
	const json_t *c = challenge_of(authz, "http-01");

	(void)state;
	ch = post_json(json_string_value(json_object_get(c, "url")), json_object(), 200, NULL, 0);
	expect_invalid(order_url, ch, "incorrectResponse", "does not serve");
	json_decref(ch);
	json_decref(authz);
	json_decref(order);
}

static void test_dns01_wrong_and_missing_txt_refused(void **state)
{
	char order_url[600];
	json_t *authz, *order = dns_order("txt.substation-7.example", order_url, sizeof(order_url),
					  &authz), *ch;
	const json_t *c = challenge_of(authz, "dns-01");

	(void)state;
	chall("set-txt", json_pack("{s:s,s:s}", "host", "_acme-challenge.txt.substation-7.example.",
				   "value", "a-stale-digest-from-an-earlier-order-xxxxxxxxx"));
	ch = post_json(json_string_value(json_object_get(c, "url")), json_object(), 200, NULL, 0);
	expect_invalid(order_url, ch, "incorrectResponse", "none is the digest");
	json_decref(ch);
	json_decref(authz);
	json_decref(order);

	order = dns_order("notxt.substation-7.example", order_url, sizeof(order_url), &authz);
	c = challenge_of(authz, "dns-01");
	ch = post_json(json_string_value(json_object_get(c, "url")), json_object(), 200, NULL, 0);
	expect_invalid(order_url, ch, "dns", "no TXT record for _acme-challenge.notxt");
	json_decref(ch);
	json_decref(authz);
	json_decref(order);
}

/*
 * RFC 8555 7.5.1: the client sends {}, and a member the CA does not know
 * ({"foo": 1}, an old client's "keyAuthorization") is ignored: the
 * challenge is validated and the order ready. A payload that is no object
 * at all is refused (malformed) and the challenge stays pending.
 */
static void test_http01_response_with_unknown_member_accepted_and_ignored(void **state)
{
	char order_url[600], ka[200];
	json_t *authz, *order = dns_order("payload.substation-7.example", order_url,
					  sizeof(order_url), &authz), *ch;
	const json_t *c = challenge_of(authz, "http-01");
	const char *url = json_string_value(json_object_get(c, "url"));
	httpc_resp_t r;
	json_t *p = json_pack("[s]", "keyAuthorization");

	(void)state;
	assert_int_equal(acmec_post(&t.c, url, p, 0, NULL, &r), 0);
	expect_problem(&r, 400, "malformed");
	assert_non_null(strstr(r.body, "JSON object"));
	httpc_free(&r);
	json_decref(p);
	/* POST-as-GET reads the challenge, which is still pending. */
	ch = post_json(url, NULL, 200, NULL, 0);
	assert_string_equal(json_string_value(json_object_get(ch, "status")), "pending");
	json_decref(ch);

	keyauth(json_string_value(json_object_get(c, "token")), ka, sizeof(ka));
	chall("add-http01", json_pack("{s:s,s:s}", "token",
				      json_string_value(json_object_get(c, "token")), "content", ka));
	ch = post_json(url, json_pack("{s:i,s:s}", "foo", 1, "keyAuthorization", "legacy-field"),
		       200, NULL, 0);
	assert_string_equal(json_string_value(json_object_get(ch, "status")), "valid");
	json_decref(ch);
	json_decref(order);
	order = post_json(order_url, NULL, 200, NULL, 0);
	assert_string_equal(json_string_value(json_object_get(order, "status")), "ready");
	json_decref(authz);
	json_decref(order);
}

/* RFC 8555 7.5.2: a client gives up an authorization; the order cannot complete. */
static void test_authz_deactivation(void **state)
{
	char order_url[600];
	json_t *authz, *order = dns_order("gone.substation-7.example", order_url, sizeof(order_url),
					  &authz), *after;
	const char *url = json_string_value(json_array_get(json_object_get(order, "authorizations"),
							   0));
	httpc_resp_t r;
	json_t *p = json_pack("{s:s}", "status", "valid");

	(void)state;
	assert_int_equal(acmec_post(&t.c, url, p, 0, NULL, &r), 0);
	expect_problem(&r, 400, "malformed");
	httpc_free(&r);
	json_decref(p);
	after = post_json(url, json_pack("{s:s}", "status", "deactivated"), 200, NULL, 0);
	assert_string_equal(json_string_value(json_object_get(after, "status")), "deactivated");
	json_decref(after);
	after = post_json(order_url, NULL, 200, NULL, 0);
	assert_string_equal(json_string_value(json_object_get(after, "status")), "invalid");
	json_decref(after);
	p = json_pack("{s:s}", "status", "deactivated");
	assert_int_equal(acmec_post(&t.c, url, p, 0, NULL, &r), 0);
	expect_problem(&r, 403, "unauthorized");
	httpc_free(&r);
	json_decref(p);
	json_decref(authz);
	json_decref(order);
}

/*
 * Validations that wait on a silent web server run on the CA's validation
 * threads: with its 2 HTTP threads, 4 of them at once (each waiting out
 * validation_timeout) leave the CA answering everything else at once.
 */
#define SLOW_CLIENTS	4

static struct {
	ca_proc_t		ca;
	pthread_barrier_t	ready;
	int64_t			took_ms[SLOW_CLIENTS];
	json_t			*answer[SLOW_CLIENTS];
} slow;

static void *slow_client(void *arg)
{
	size_t i = (size_t)arg;
	ar_jwk_t *key = ar_jwk_generate("ES256", NULL);
	json_t *p = json_pack("{s:b}", "termsOfServiceAgreed", 1), *authz;
	char name[64], body[256];
	const char *url = NULL;
	acmec_t c;
	httpc_resp_t r;
	int64_t t0;

	snprintf(name, sizeof(name), "slow-%zu.substation-7.example", i);
	if (key && acmec_init(&c, slow.ca.base, slow.ca.cafile, key) == 0) {
		if (acmec_post(&c, acmec_url(&c, "newAccount"), p, 1, NULL, &r) == 0) {
			snprintf(c.kid, sizeof(c.kid), "%s", r.location);
			httpc_free(&r);
		}
		json_decref(p);
		p = json_pack("{s:[{s:s,s:s}]}", "identifiers", "type", "dns", "value", name);
		if (acmec_post(&c, acmec_url(&c, "newOrder"), p, 0, NULL, &r) == 0) {
			json_t *order = json_loads(r.body, 0, NULL);

			httpc_free(&r);
			if (acmec_post(&c, json_string_value(json_array_get(json_object_get(order,
					"authorizations"), 0)), NULL, 0, NULL, &r) == 0) {
				authz = json_loads(r.body, 0, NULL);
				httpc_free(&r);
				url = authz ? json_string_value(json_object_get(
					json_array_get(json_object_get(authz, "challenges"), 0), "url")) : NULL;
				snprintf(body, sizeof(body), "%s", url ? url : "");
				url = url ? body : NULL;
				json_decref(authz);
			}
			json_decref(order);
		}
	}
	json_decref(p);
	pthread_barrier_wait(&slow.ready);
	if (url) {
		json_t *empty = json_object();

		t0 = lab_now_ms();
		if (acmec_post(&c, url, empty, 0, NULL, &r) == 0) {
			slow.took_ms[i] = lab_now_ms() - t0;
			slow.answer[i] = json_loads(r.body, 0, NULL);
			httpc_free(&r);
		}
		json_decref(empty);
	}
	if (key)
		acmec_free(&c);
	ar_jwk_free(key);
	return NULL;
}

static void test_slow_validations_leave_the_server_free(void **state)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	char extra[256], server[64], *old = getenv("MKCA_ACME_EXTRA");
	pthread_t th[SLOW_CLIENTS];
	int silent, port = lab_free_port(), rc;
	size_t i;
	int64_t t0, took;
	httpc_resp_t r;
	char url[200];
	httpc_req_t get = { "GET", url, NULL, NULL, NULL, NULL, 0 };

	(void)state;
	/* A web server that takes connections and never answers. */
	silent = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)port);
	assert_int_equal(bind(silent, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(silent, 64), 0);

	old = old ? strdup(old) : NULL;
	snprintf(extra, sizeof(extra), "http01_port = %d\ndns_resolver = 127.0.0.1:%d\n"
		 "validation_timeout = 3s\nvalidation_threads = %d\n", port, t.dns_port, SLOW_CLIENTS);
	snprintf(server, sizeof(server), "threads = 2\n");
	setenv("MKCA_ACME_EXTRA", extra, 1);
	setenv("MKCA_SERVER_EXTRA", server, 1);
	rc = catest_start_ca(&slow.ca, t.redis.port, "no");
	setenv("MKCA_ACME_EXTRA", old ? old : "", 1);
	unsetenv("MKCA_SERVER_EXTRA");
	free(old);
	assert_int_equal(rc, 0);

	pthread_barrier_init(&slow.ready, NULL, SLOW_CLIENTS + 1);
	for (i = 0; i < SLOW_CLIENTS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, slow_client, (void *)i), 0);
	pthread_barrier_wait(&slow.ready);
	lab_sleep_ms(500);	/* every challenge POST is waiting on the silent server */

	snprintf(url, sizeof(url), "%s/directory", slow.ca.base);
	get.ca_file = slow.ca.cafile;
	t0 = lab_now_ms();
	assert_int_equal(httpc(&get, &r), 0);
	took = lab_now_ms() - t0;
	assert_int_equal(r.status, 200);
	httpc_free(&r);
	if (took > 1000)
		fail_msg("the directory took %lld ms while validations waited", (long long)took);

	for (i = 0; i < SLOW_CLIENTS; i++) {
		const json_t *err;

		pthread_join(th[i], NULL);
		assert_non_null(slow.answer[i]);
		err = json_object_get(slow.answer[i], "error");
		assert_string_equal(json_string_value(json_object_get(slow.answer[i], "status")),
				    "invalid");
		assert_string_equal(json_string_value(json_object_get(err, "type")),
				    "urn:ietf:params:acme:error:connection");
		/* Each waited out validation_timeout, side by side. */
		assert_in_range(slow.took_ms[i], 2500, 6000);
		json_decref(slow.answer[i]);
	}
	pthread_barrier_destroy(&slow.ready);

	/* Stopped while a validation waits: it ends once that one is done. */
	pthread_barrier_init(&slow.ready, NULL, 2);
	slow.answer[0] = NULL;
	assert_int_equal(pthread_create(&th[0], NULL, slow_client, (void *)0), 0);
	pthread_barrier_wait(&slow.ready);
	lab_sleep_ms(500);
	t0 = lab_now_ms();
	assert_int_equal(lab_stop(slow.ca.pid, 8000), 0);
	assert_in_range(lab_now_ms() - t0, 0, 5000);
	slow.ca.pid = 0;
	pthread_join(th[0], NULL);
	json_decref(slow.answer[0]);
	pthread_barrier_destroy(&slow.ready);
	close(silent);
	catest_stop_ca(&slow.ca);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_http01_issues, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dns01_issues, setup, teardown),
		cmocka_unit_test_setup_teardown(test_account_with_ed25519_key_orders_and_wins_http01_by_its_thumbprint,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_http01_wrong_content_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_http01_not_served_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dns01_wrong_and_missing_txt_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_http01_response_with_unknown_member_accepted_and_ignored,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_authz_deactivation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revocation_by_another_account_holding_the_authorizations, setup, teardown),
		cmocka_unit_test(test_slow_validations_leave_the_server_free),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
