/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of ACME request envelopes and External Account Binding. */
#include "config.h"

#include "testutil.h"
#include "vectors.h"
#include "acme_jws.h"
#include "b64.h"

#define URL_NEWACCT	"https://ca.test/acme/new-account"
#define URL_ORDER	"https://ca.test/acme/new-order"
#define KID		"https://ca.test/acme/acct/1"
#define NONCE		"oFvnlFP1wIhRlYS2jTaXbA"

static ar_jwk_t *account;

static int setup(void **state)
{
	(void)state;
	account = ar_jwk_generate("ES256", NULL);
	return account ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	ar_jwk_free(account);
	return 0;
}

/* Sign @payload with the account key under the given protected header. */
static char *request(json_t *hdr, const char *payload)
{
	json_t *jws = ar_jws_sign(hdr, payload, strlen(payload), account, NULL);
	char *text;

	assert_non_null(jws);
	text = json_dumps(jws, JSON_COMPACT);
	json_decref(jws);
	json_decref(hdr);
	return text;
}

static json_t *hdr_jwk(void)
{
	return json_pack("{s:s,s:s,s:o}", "nonce", NONCE, "url", URL_NEWACCT,
			 "jwk", ar_jwk_public_json(account));
}

static json_t *hdr_kid(const char *url)
{
	return json_pack("{s:s,s:s,s:s}", "nonce", NONCE, "url", url, "kid", KID);
}

static int parse(const char *body, const char *url, ar_acme_keyref_t ref, ar_acme_jws_t *req,
		 ar_err_t *err)
{
	return ar_acme_jws_parse(body, strlen(body), url, ref, req, err);
}

static void test_acme_new_account_with_jwk_parses_and_verifies(void **state)
{
	char *body = request(hdr_jwk(), "{\"termsOfServiceAgreed\":true}");
	ar_err_t err = { 0 };
	ar_acme_jws_t req;

	(void)state;
	assert_int_equal(parse(body, URL_NEWACCT, AR_ACME_KEY_JWK, &req, &err), 0);
	assert_string_equal(req.nonce, NONCE);
	assert_string_equal(req.url, URL_NEWACCT);
	assert_null(req.kid);
	assert_non_null(req.jwk);
	assert_string_equal(ar_jwk_thumbprint(req.jwk), ar_jwk_thumbprint(account));
	assert_false(req.post_as_get);
	assert_true(json_is_true(json_object_get(req.payload, "termsOfServiceAgreed")));
	assert_int_equal(ar_acme_jws_verify(&req, req.jwk, &err), 0);
	ar_acme_jws_clear(&req);
	free(body);
}

static void test_acme_kid_request_and_post_as_get(void **state)
{
	char *body = request(hdr_kid(URL_ORDER), "");
	ar_acme_jws_t req;

	(void)state;
	assert_int_equal(parse(body, URL_ORDER, AR_ACME_KEY_KID, &req, NULL), 0);
	assert_string_equal(req.kid, KID);
	assert_null(req.jwk);
	assert_true(req.post_as_get);
	assert_null(req.payload);
	assert_int_equal(ar_acme_jws_verify(&req, account, NULL), 0);
	ar_acme_jws_clear(&req);
	free(body);
}

static void test_acme_rejects_both_jwk_and_kid(void **state)
{
	json_t *hdr = hdr_jwk();
	char *body;
	ar_err_t err = { 0 };
	ar_acme_jws_t req;

	(void)state;
	json_object_set_new(hdr, "kid", json_string(KID));
	body = request(hdr, "{}");
	assert_int_equal(parse(body, URL_NEWACCT, AR_ACME_KEY_EITHER, &req, &err), -1);
	assert_err(&err, AR_ERR_MALFORMED, "both \"jwk\" and \"kid\"");
	free(body);
}

static void test_acme_rejects_missing_key_reference(void **state)
{
	char *body = request(json_pack("{s:s,s:s}", "nonce", NONCE, "url", URL_ORDER), "{}");
	ar_err_t err = { 0 };
	ar_acme_jws_t req;

	(void)state;
	assert_int_equal(parse(body, URL_ORDER, AR_ACME_KEY_EITHER, &req, &err), -1);
	assert_err(&err, AR_ERR_MALFORMED, "needs \"jwk\" or \"kid\"");
	free(body);
}

static void test_acme_enforces_key_reference_of_endpoint(void **state)
{
	char *with_kid = request(hdr_kid(URL_NEWACCT), "{}");
	char *with_jwk = request(hdr_jwk(), "{}");
	ar_err_t err = { 0 };
	ar_acme_jws_t req;

	(void)state;
	assert_int_equal(parse(with_kid, URL_NEWACCT, AR_ACME_KEY_JWK, &req, &err), -1);
	assert_err(&err, AR_ERR_MALFORMED, "must be signed with \"jwk\"");
	assert_int_equal(parse(with_jwk, URL_NEWACCT, AR_ACME_KEY_KID, &req, &err), -1);
	assert_err(&err, AR_ERR_MALFORMED, "signed by an account");
	free(with_kid);
	free(with_jwk);
}

static void test_acme_missing_or_malformed_nonce_is_bad_nonce(void **state)
{
	json_t *hdr = hdr_kid(URL_ORDER);
	char *body;
	ar_err_t err = { 0 };
	ar_acme_jws_t req;

	(void)state;
	json_object_del(hdr, "nonce");
	body = request(hdr, "{}");
	assert_int_equal(parse(body, URL_ORDER, AR_ACME_KEY_KID, &req, &err), -1);
	assert_err(&err, AR_ERR_BAD_NONCE, "no \"nonce\"");
	free(body);

	hdr = hdr_kid(URL_ORDER);
	json_object_set_new(hdr, "nonce", json_string("not a nonce!"));
	body = request(hdr, "{}");
	assert_int_equal(parse(body, URL_ORDER, AR_ACME_KEY_KID, &req, &err), -1);
	assert_err(&err, AR_ERR_BAD_NONCE, "well-formed");
	free(body);
}

static void test_acme_url_mismatch_is_unauthorized(void **state)
{
	char *body = request(hdr_kid("https://ca.test/acme/other"), "{}");
	ar_err_t err = { 0 };
	ar_acme_jws_t req;

	(void)state;
	assert_int_equal(parse(body, URL_ORDER, AR_ACME_KEY_KID, &req, &err), -1);
	assert_err(&err, AR_ERR_UNAUTHORIZED, "\"url\"");
	free(body);
}

static void test_acme_rejects_mac_signed_request(void **state)
{
	ar_jwk_t *mac = ar_jwk_parse_text(RFC7515_A1_JWK, strlen(RFC7515_A1_JWK),
					  AR_JWK_ALLOW_OCT, NULL);
	json_t *hdr = hdr_kid(URL_ORDER);
	json_t *jws = ar_jws_sign(hdr, "{}", 2, mac, NULL);
	char *body = json_dumps(jws, JSON_COMPACT);
	ar_err_t err = { 0 };
	ar_acme_jws_t req;

	(void)state;
	assert_int_equal(parse(body, URL_ORDER, AR_ACME_KEY_KID, &req, &err), -1);
	assert_err(&err, AR_ERR_BAD_ALG, "not allowed for account keys");
	free(body);
	json_decref(jws);
	json_decref(hdr);
	ar_jwk_free(mac);
}

static void test_acme_payload_must_be_an_object_or_array(void **state)
{
	char *body = request(hdr_kid(URL_ORDER), "\"just a string\"");
	ar_err_t err = { 0 };
	ar_acme_jws_t req;

	(void)state;
	assert_int_equal(parse(body, URL_ORDER, AR_ACME_KEY_KID, &req, &err), -1);
	assert_err(&err, AR_ERR_MALFORMED, "payload is not a JSON object or array");
	free(body);
	/* A CMW record (the remote-attest-01 response) is an array. */
	body = request(hdr_kid(URL_ORDER), "[\"application/eat+jwt\",\"e30\",8]");
	assert_int_equal(parse(body, URL_ORDER, AR_ACME_KEY_KID, &req, &err), 0);
	assert_true(json_is_array(req.payload));
	ar_acme_jws_clear(&req);
	free(body);
}

static void test_acme_rejects_jwk_with_private_part(void **state)
{
	json_t *hdr = json_pack("{s:s,s:s,s:O}", "nonce", NONCE, "url", URL_NEWACCT,
				"jwk", ar_jwk_json(account));
	char *body = request(hdr, "{}");
	ar_err_t err = { 0 };
	ar_acme_jws_t req;

	(void)state;
	assert_int_equal(parse(body, URL_NEWACCT, AR_ACME_KEY_JWK, &req, &err), -1);
	assert_err(&err, AR_ERR_MALFORMED, "private key material");
	free(body);
}

static void test_acme_signature_by_other_key_fails(void **state)
{
	ar_jwk_t *other = ar_jwk_generate("ES256", NULL);
	char *body = request(hdr_kid(URL_ORDER), "{}");
	ar_err_t err = { 0 };
	ar_acme_jws_t req;

	(void)state;
	assert_int_equal(parse(body, URL_ORDER, AR_ACME_KEY_KID, &req, &err), 0);
	assert_int_equal(ar_acme_jws_verify(&req, other, &err), -1);
	assert_int_equal(err.code, AR_ERR_BAD_SIGNATURE);
	ar_acme_jws_clear(&req);
	free(body);
	ar_jwk_free(other);
}

static ar_jwk_t *eab_key(void)
{
	ar_jwk_t *k = ar_jwk_parse_text(RFC7515_A1_JWK, strlen(RFC7515_A1_JWK), AR_JWK_ALLOW_OCT,
					NULL);

	assert_non_null(k);
	return k;
}

static void test_acme_eab_roundtrip_binds_account_key(void **state)
{
	ar_jwk_t *mac = eab_key();
	json_t *eab = ar_acme_eab_sign(account, "kid-1", mac, URL_NEWACCT, NULL);
	ar_err_t err = { 0 };
	char kid[64];

	(void)state;
	assert_non_null(eab);
	assert_int_equal(ar_acme_eab_check(eab, account, URL_NEWACCT, NULL, kid, sizeof(kid), &err), 0);
	assert_string_equal(kid, "kid-1");
	assert_int_equal(ar_acme_eab_check(eab, account, URL_NEWACCT, mac, kid, sizeof(kid), &err), 0);
	json_decref(eab);
	ar_jwk_free(mac);
}

static void test_acme_eab_wrong_mac_key_fails(void **state)
{
	ar_jwk_t *mac = eab_key();
	const char *wrong_text = "{\"kty\":\"oct\",\"k\":\"c2VjcmV0LXNlY3JldC1zZWNyZXQ\"}";
	ar_jwk_t *wrong = ar_jwk_parse_text(wrong_text, strlen(wrong_text), AR_JWK_ALLOW_OCT, NULL);
	json_t *eab = ar_acme_eab_sign(account, "kid-1", mac, URL_NEWACCT, NULL);
	ar_err_t err = { 0 };
	char kid[64];

	(void)state;
	assert_non_null(wrong);
	assert_int_equal(ar_acme_eab_check(eab, account, URL_NEWACCT, wrong, kid, sizeof(kid), &err), -1);
	assert_int_equal(err.code, AR_ERR_BAD_SIGNATURE);
	json_decref(eab);
	ar_jwk_free(wrong);
	ar_jwk_free(mac);
}

static void test_acme_eab_for_another_key_or_url_is_unauthorized(void **state)
{
	ar_jwk_t *mac = eab_key(), *other = ar_jwk_generate("ES256", NULL);
	json_t *eab = ar_acme_eab_sign(other, "kid-1", mac, URL_NEWACCT, NULL);
	ar_err_t err = { 0 };
	char kid[64];

	(void)state;
	assert_int_equal(ar_acme_eab_check(eab, account, URL_NEWACCT, mac, kid, sizeof(kid), &err), -1);
	assert_err(&err, AR_ERR_UNAUTHORIZED, "another key");
	json_decref(eab);

	eab = ar_acme_eab_sign(account, "kid-1", mac, URL_ORDER, NULL);
	assert_int_equal(ar_acme_eab_check(eab, account, URL_NEWACCT, mac, kid, sizeof(kid), &err), -1);
	assert_err(&err, AR_ERR_UNAUTHORIZED, "newAccount URL");
	json_decref(eab);
	ar_jwk_free(other);
	ar_jwk_free(mac);
}

static void test_acme_eab_rejects_asymmetric_signature(void **state)
{
	json_t *pub = ar_jwk_public_json(account);
	char *payload = json_dumps(pub, JSON_COMPACT);
	json_t *hdr = json_pack("{s:s,s:s}", "kid", "kid-1", "url", URL_NEWACCT);
	json_t *eab = ar_jws_sign(hdr, payload, strlen(payload), account, NULL);
	ar_err_t err = { 0 };
	char kid[64];

	(void)state;
	assert_int_equal(ar_acme_eab_check(eab, account, URL_NEWACCT, NULL, kid, sizeof(kid), &err), -1);
	assert_err(&err, AR_ERR_BAD_ALG, "not HS256");
	json_decref(eab);
	json_decref(hdr);
	json_decref(pub);
	free(payload);
}

/*
 * RFC 8555 6.2: an account key may be Ed25519 (EdDSA). The newAccount
 * parses and verifies, and its External Account Binding - HS256 over the
 * Ed25519 JWK - binds it.
 */
static void test_acme_ed25519_account_key_signs_new_account_and_is_bound_by_eab(void **state)
{
	ar_jwk_t *ed = ar_jwk_generate("EdDSA", NULL), *mac = eab_key(), *saved = account;
	json_t *eab;
	ar_err_t err = { 0 };
	ar_acme_jws_t req;
	char *body, kid[64];

	(void)state;
	assert_non_null(ed);
	account = ed;
	body = request(hdr_jwk(), "{\"termsOfServiceAgreed\":true}");
	assert_int_equal(parse(body, URL_NEWACCT, AR_ACME_KEY_JWK, &req, &err), 0);
	assert_int_equal(req.jws.alg, AR_ALG_EDDSA);
	assert_int_equal(ar_jwk_type(req.jwk), AR_JWK_OKP);
	assert_string_equal(ar_jwk_thumbprint(req.jwk), ar_jwk_thumbprint(ed));
	assert_int_equal(ar_acme_jws_verify(&req, req.jwk, &err), 0);
	assert_int_equal(ar_acme_jws_verify(&req, saved, &err), -1);
	assert_err(&err, AR_ERR_BAD_ALG, "does not fit");
	ar_acme_jws_clear(&req);
	free(body);
	eab = ar_acme_eab_sign(ed, "kid-1", mac, URL_NEWACCT, &err);
	assert_non_null(eab);
	assert_int_equal(ar_acme_eab_check(eab, ed, URL_NEWACCT, mac, kid, sizeof(kid), &err), 0);
	assert_int_equal(ar_acme_eab_check(eab, saved, URL_NEWACCT, mac, kid, sizeof(kid), &err), -1);
	assert_err(&err, AR_ERR_UNAUTHORIZED, "another key");
	json_decref(eab);
	account = saved;
	ar_jwk_free(mac);
	ar_jwk_free(ed);
}

/* A well-formed "jwk" that is no key this library takes: AR_ERR_BAD_KEY (badPublicKey). */
static void test_acme_refused_jwk_is_bad_key_and_garbage_jwk_malformed(void **state)
{
	static const struct {
		const char	*jwk;
		ar_errc_t	code;
		const char	*why;
	} cases[] = {
		{ "{\"kty\":\"OKP\",\"crv\":\"Ed448\",\"x\":\"AAAA\"}", AR_ERR_BAD_KEY, "Ed25519 only" },
		{ "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AAAA\"}", AR_ERR_BAD_KEY, "32 bytes" },
		{ "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}",
		  AR_ERR_BAD_KEY, "small order" },
		{ "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
		  "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a4\"}", AR_ERR_BAD_KEY, "not a point" },
		{ "{\"kty\":\"oct\",\"k\":\"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ\"}", AR_ERR_BAD_KEY,
		  "not accepted here" },
		{ "{\"kty\":\"OKP\",\"crv\":\"Ed25519\"}", AR_ERR_MALFORMED, "\"x\"" },
		{ "{\"crv\":\"Ed25519\"}", AR_ERR_MALFORMED, "kty" },
	};
	ar_err_t err = { 0 };
	ar_acme_jws_t req;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *hdr = json_pack("{s:s,s:s,s:s,s:o}", "alg", "EdDSA", "nonce", NONCE,
					"url", URL_NEWACCT, "jwk", json_loads(cases[i].jwk, 0, NULL));
		char *text = json_dumps(hdr, JSON_COMPACT), *b64, *body = NULL;

		b64 = ar_b64url_encode_alloc(text, strlen(text));
		assert_true(asprintf(&body, "{\"protected\":\"%s\",\"payload\":\"e30\","
				     "\"signature\":\"AAAA\"}", b64) > 0);
		assert_int_equal(parse(body, URL_NEWACCT, AR_ACME_KEY_JWK, &req, &err), -1);
		assert_err(&err, cases[i].code, cases[i].why);
		assert_non_null(strstr(err.msg, "\"jwk\": "));
		free(body);
		free(b64);
		free(text);
		json_decref(hdr);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_acme_new_account_with_jwk_parses_and_verifies),
		cmocka_unit_test(test_acme_ed25519_account_key_signs_new_account_and_is_bound_by_eab),
		cmocka_unit_test(test_acme_refused_jwk_is_bad_key_and_garbage_jwk_malformed),
		cmocka_unit_test(test_acme_kid_request_and_post_as_get),
		cmocka_unit_test(test_acme_rejects_both_jwk_and_kid),
		cmocka_unit_test(test_acme_rejects_missing_key_reference),
		cmocka_unit_test(test_acme_enforces_key_reference_of_endpoint),
		cmocka_unit_test(test_acme_missing_or_malformed_nonce_is_bad_nonce),
		cmocka_unit_test(test_acme_url_mismatch_is_unauthorized),
		cmocka_unit_test(test_acme_rejects_mac_signed_request),
		cmocka_unit_test(test_acme_payload_must_be_an_object_or_array),
		cmocka_unit_test(test_acme_rejects_jwk_with_private_part),
		cmocka_unit_test(test_acme_signature_by_other_key_fails),
		cmocka_unit_test(test_acme_eab_roundtrip_binds_account_key),
		cmocka_unit_test(test_acme_eab_wrong_mac_key_fails),
		cmocka_unit_test(test_acme_eab_for_another_key_or_url_is_unauthorized),
		cmocka_unit_test(test_acme_eab_rejects_asymmetric_signature),
	};

	return cmocka_run_group_tests_name("acme_jws", tests, setup, teardown);
}
