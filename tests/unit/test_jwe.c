/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of JSON Web Encryption. */
#include "config.h"

#include "testutil.h"
#include "b64.h"
#include "jwe.h"

static const char evidence[] = "{\"os\":{\"id\":\"debian\",\"version\":\"12\"},\"nonce\":\"abc\"}";

static json_t *encrypt_to(const ar_jwk_t *k)
{
	json_t *jwe = ar_jwe_encrypt(evidence, strlen(evidence), k, "application/cmw+json", NULL);

	assert_non_null(jwe);
	return jwe;
}

/* Replace one member of the JWE by a re-encoded, modified copy of its header. */
static void set_protected(json_t *jwe, const char *hdr)
{
	char *b64 = ar_b64url_encode_alloc(hdr, strlen(hdr));

	json_object_set_new(jwe, "protected", json_string(b64));
	free(b64);
}

static void test_jwe_roundtrip_on_p256_and_p384(void **state)
{
	static const char *const algs[] = { "ES256", "ES384" };
	size_t i, len;
	uint8_t *pt;

	(void)state;
	for (i = 0; i < 2; i++) {
		ar_jwk_t *k = ar_jwk_generate(algs[i], NULL);
		json_t *jwe = encrypt_to(k);
		char *text = json_dumps(jwe, JSON_COMPACT);

		assert_null(strstr(text, "debian"));
		assert_int_equal(ar_jwe_decrypt_text(text, strlen(text), k, 4096, &pt, &len, NULL), 0);
		assert_int_equal(len, strlen(evidence));
		assert_string_equal((char *)pt, evidence);
		free(pt);
		free(text);
		json_decref(jwe);
		ar_jwk_free(k);
	}
}

static void test_jwe_header_names_profile_and_content_type(void **state)
{
	ar_jwk_t *k = ar_jwk_generate("ES256", NULL);
	json_t *jwe = encrypt_to(k), *hdr;
	const char *prot = json_string_value(json_object_get(jwe, "protected"));
	uint8_t *raw;
	size_t n;

	(void)state;
	raw = ar_b64url_decode_alloc(prot, strlen(prot), &n, NULL);
	assert_non_null(raw);
	hdr = json_loads((char *)raw, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(hdr, "alg")), AR_JWE_ALG);
	assert_string_equal(json_string_value(json_object_get(hdr, "enc")), AR_JWE_ENC);
	assert_string_equal(json_string_value(json_object_get(hdr, "cty")), "application/cmw+json");
	json_decref(hdr);
	free(raw);
	json_decref(jwe);
	ar_jwk_free(k);
}

static void test_jwe_fails_with_another_key(void **state)
{
	ar_jwk_t *k = ar_jwk_generate("ES256", NULL), *other = ar_jwk_generate("ES256", NULL);
	json_t *jwe = encrypt_to(k);
	ar_err_t err = { 0 };
	uint8_t *pt;
	size_t len;

	(void)state;
	assert_int_equal(ar_jwe_decrypt(jwe, other, 4096, &pt, &len, &err), -1);
	assert_int_equal(err.code, AR_ERR_BAD_SIGNATURE);
	assert_null(pt);
	json_decref(jwe);
	ar_jwk_free(other);
	ar_jwk_free(k);
}

static void test_jwe_detects_tampered_ciphertext(void **state)
{
	ar_jwk_t *k = ar_jwk_generate("ES256", NULL);
	json_t *jwe = encrypt_to(k);
	ar_err_t err = { 0 };
	char *ct = strdup(json_string_value(json_object_get(jwe, "ciphertext")));
	uint8_t *pt;
	size_t len;

	(void)state;
	ct[0] = ct[0] == 'A' ? 'B' : 'A';
	json_object_set_new(jwe, "ciphertext", json_string(ct));
	assert_int_equal(ar_jwe_decrypt(jwe, k, 4096, &pt, &len, &err), -1);
	assert_int_equal(err.code, AR_ERR_BAD_SIGNATURE);
	free(ct);
	json_decref(jwe);
	ar_jwk_free(k);
}

static void test_jwe_rejects_other_algorithms_and_zip(void **state)
{
	ar_jwk_t *k = ar_jwk_generate("ES256", NULL);
	ar_err_t err = { 0 };
	json_t *jwe;
	uint8_t *pt;
	size_t len;

	(void)state;
	jwe = encrypt_to(k);
	set_protected(jwe, "{\"alg\":\"ECDH-ES\",\"enc\":\"A256GCM\"}");
	assert_int_equal(ar_jwe_decrypt(jwe, k, 4096, &pt, &len, &err), -1);
	assert_err(&err, AR_ERR_BAD_ALG, AR_JWE_ALG);
	json_decref(jwe);

	jwe = encrypt_to(k);
	set_protected(jwe, "{\"alg\":\"ECDH-ES+A256KW\",\"enc\":\"A128CBC-HS256\"}");
	assert_int_equal(ar_jwe_decrypt(jwe, k, 4096, &pt, &len, &err), -1);
	assert_int_equal(err.code, AR_ERR_BAD_ALG);
	json_decref(jwe);

	jwe = encrypt_to(k);
	set_protected(jwe, "{\"alg\":\"ECDH-ES+A256KW\",\"enc\":\"A256GCM\",\"zip\":\"DEF\"}");
	assert_int_equal(ar_jwe_decrypt(jwe, k, 4096, &pt, &len, &err), -1);
	assert_err(&err, AR_ERR_BAD_ALG, "zip");
	json_decref(jwe);
	ar_jwk_free(k);
}

static void test_jwe_rejects_plaintext_above_limit(void **state)
{
	ar_jwk_t *k = ar_jwk_generate("ES256", NULL);
	json_t *jwe = encrypt_to(k);
	ar_err_t err = { 0 };
	uint8_t *pt;
	size_t len;

	(void)state;
	assert_int_equal(ar_jwe_decrypt(jwe, k, 8, &pt, &len, &err), -1);
	assert_int_equal(err.code, AR_ERR_TOO_LARGE);
	json_decref(jwe);
	ar_jwk_free(k);
}

static void test_jwe_rejects_unknown_members_and_missing_parts(void **state)
{
	ar_jwk_t *k = ar_jwk_generate("ES256", NULL);
	ar_err_t err = { 0 };
	json_t *jwe;
	uint8_t *pt;
	size_t len;

	(void)state;
	jwe = encrypt_to(k);
	json_object_set_new(jwe, "recipients", json_array());
	assert_int_equal(ar_jwe_decrypt(jwe, k, 4096, &pt, &len, &err), -1);
	assert_err(&err, AR_ERR_MALFORMED, "recipients");
	json_decref(jwe);

	jwe = encrypt_to(k);
	json_object_del(jwe, "tag");
	assert_int_equal(ar_jwe_decrypt(jwe, k, 4096, &pt, &len, &err), -1);
	assert_err(&err, AR_ERR_MALFORMED, "tag");
	json_decref(jwe);

	assert_int_equal(ar_jwe_decrypt_text("{\"iv\":1,\"iv\":2}", 15, k, 4096, &pt, &len, &err), -1);
	assert_err(&err, AR_ERR_MALFORMED, "duplicate");
	ar_jwk_free(k);
}

static void test_jwe_encrypts_to_ec_keys_only(void **state)
{
	ar_jwk_t *rsa = ar_jwk_generate("RS256", NULL);
	ar_err_t err = { 0 };

	(void)state;
	assert_null(ar_jwe_encrypt("x", 1, rsa, NULL, &err));
	assert_int_equal(err.code, AR_ERR_UNSUPPORTED);
	ar_jwk_free(rsa);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jwe_roundtrip_on_p256_and_p384),
		cmocka_unit_test(test_jwe_header_names_profile_and_content_type),
		cmocka_unit_test(test_jwe_fails_with_another_key),
		cmocka_unit_test(test_jwe_detects_tampered_ciphertext),
		cmocka_unit_test(test_jwe_rejects_other_algorithms_and_zip),
		cmocka_unit_test(test_jwe_rejects_plaintext_above_limit),
		cmocka_unit_test(test_jwe_rejects_unknown_members_and_missing_parts),
		cmocka_unit_test(test_jwe_encrypts_to_ec_keys_only),
	};

	return cmocka_run_group_tests_name("jwe", tests, NULL, NULL);
}
