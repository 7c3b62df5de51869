/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <sys/stat.h>
#include <unistd.h>

#include <jose/jose.h>
#include <jose/openssl.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "testutil.h"
#include "vectors.h"
#include "fileio.h"
#include "jwk.h"

static ar_jwk_t *parse(const char *text, unsigned flags, ar_err_t *err)
{
	return ar_jwk_parse_text(text, strlen(text), flags, err);
}

static void test_jwk_thumbprint_matches_rfc7638_example(void **state)
{
	ar_jwk_t *k = parse(RFC7638_JWK, 0, NULL);

	(void)state;
	assert_non_null(k);
	assert_string_equal(ar_jwk_thumbprint(k), RFC7638_THUMBPRINT);
	assert_int_equal(ar_jwk_type(k), AR_JWK_RSA);
	assert_string_equal(ar_jwk_kid(k), "2011-04-29");
	assert_false(ar_jwk_is_private(k));
	assert_string_equal(ar_jwk_alg(k), "RS256");
	ar_jwk_free(k);
}

static void test_jwk_parses_rfc7515_p256_private_key(void **state)
{
	ar_jwk_t *k = parse(RFC7515_A3_JWK, 0, NULL);

	(void)state;
	assert_non_null(k);
	assert_int_equal(ar_jwk_type(k), AR_JWK_EC);
	assert_true(ar_jwk_is_private(k));
	assert_string_equal(ar_jwk_alg(k), "ES256");
	assert_non_null(ar_jwk_pkey(k));
	ar_jwk_free(k);
}

static void test_jwk_rejects_p521_key_of_rfc7520(void **state)
{
	ar_err_t err = { 0 };

	(void)state;
	assert_null(parse(RFC7520_3_2_JWK, 0, &err));
	assert_err(&err, AR_ERR_UNSUPPORTED, "P-521");
}

static void test_jwk_rejects_point_not_on_curve(void **state)
{
	ar_err_t err = { 0 };
	/* RFC 7515 A.3's x with y of another point: not on P-256. */
	const char *bad = "{\"kty\":\"EC\",\"crv\":\"P-256\","
			  "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
			  "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a1\"}";

	(void)state;
	assert_null(parse(bad, 0, &err));
	assert_int_equal(err.code, AR_ERR_MALFORMED);
}

static void test_jwk_rejects_short_coordinates(void **state)
{
	ar_err_t err = { 0 };
	const char *bad = "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AAAA\",\"y\":\"AAAA\"}";

	(void)state;
	assert_null(parse(bad, 0, &err));
	assert_err(&err, AR_ERR_MALFORMED, "32 bytes");
}

static void test_jwk_rejects_small_rsa_modulus(void **state)
{
	ar_err_t err = { 0 };
	char text[512];
	char n[200];

	(void)state;
	/* 1024-bit modulus: 128 bytes -> 171 base64url characters. */
	memset(n, 'w', 171);
	n[171] = '\0';
	snprintf(text, sizeof(text), "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQAB\"}", n);
	assert_null(parse(text, 0, &err));
	assert_err(&err, AR_ERR_UNSUPPORTED, "at least 2048");
}

static void test_jwk_accepts_oct_only_when_allowed(void **state)
{
	ar_err_t err = { 0 };
	ar_jwk_t *k;

	(void)state;
	assert_null(parse(RFC7515_A1_JWK, 0, &err));
	assert_int_equal(err.code, AR_ERR_UNSUPPORTED);
	k = parse(RFC7515_A1_JWK, AR_JWK_ALLOW_OCT, &err);
	assert_non_null(k);
	assert_int_equal(ar_jwk_type(k), AR_JWK_OCT);
	assert_string_equal(ar_jwk_alg(k), "HS256");
	assert_null(ar_jwk_pkey(k));
	ar_jwk_free(k);
	assert_null(parse("{\"kty\":\"oct\",\"k\":\"AAAAAAAAAAA\"}", AR_JWK_ALLOW_OCT, &err));
	assert_err(&err, AR_ERR_UNSUPPORTED, "at least 128");
}

static void test_jwk_public_only_rejects_private_members(void **state)
{
	ar_err_t err = { 0 };

	(void)state;
	assert_null(parse(RFC7515_A3_JWK, AR_JWK_PUBLIC_ONLY, &err));
	assert_err(&err, AR_ERR_MALFORMED, "private key material");
}

static void test_jwk_public_json_drops_private_members(void **state)
{
	ar_jwk_t *k = parse(RFC7515_A3_JWK, 0, NULL), *pub;
	json_t *json;

	(void)state;
	assert_non_null(k);
	json = ar_jwk_public_json(k);
	assert_non_null(json);
	assert_null(json_object_get(json, "d"));
	assert_non_null(json_object_get(json, "x"));
	pub = ar_jwk_parse(json, AR_JWK_PUBLIC_ONLY, NULL);
	assert_non_null(pub);
	assert_true(ar_jwk_same_public(k, pub));
	assert_string_equal(ar_jwk_thumbprint(k), ar_jwk_thumbprint(pub));
	json_decref(json);
	ar_jwk_free(pub);
	ar_jwk_free(k);
}

static void test_jwk_pem_file_roundtrip_keeps_thumbprint(void **state)
{
	char path[] = "/tmp/acmerats-test-key.XXXXXX";
	ar_jwk_t *k, *loaded, *pubk;
	struct stat st;
	char *pem;
	int fd;

	(void)state;
	k = ar_jwk_generate("ES384", NULL);
	assert_non_null(k);
	assert_string_equal(ar_jwk_alg(k), "ES384");
	pem = ar_jwk_to_pem(k, 1, NULL);
	assert_non_null(pem);
	assert_non_null(strstr(pem, "BEGIN PRIVATE KEY"));
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(ar_file_write_atomic(path, pem, strlen(pem), 0600, NULL), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	loaded = ar_jwk_load_pem(path, NULL);
	assert_non_null(loaded);
	assert_true(ar_jwk_is_private(loaded));
	assert_string_equal(ar_jwk_thumbprint(loaded), ar_jwk_thumbprint(k));
	free(pem);

	pem = ar_jwk_to_pem(k, 0, NULL);
	assert_non_null(strstr(pem, "BEGIN PUBLIC KEY"));
	assert_int_equal(ar_file_write_atomic(path, pem, strlen(pem), 0644, NULL), 0);
	pubk = ar_jwk_load_pem(path, NULL);
	assert_non_null(pubk);
	assert_false(ar_jwk_is_private(pubk));
	assert_true(ar_jwk_same_public(pubk, k));
	unlink(path);
	free(pem);
	ar_jwk_free(pubk);
	ar_jwk_free(loaded);
	ar_jwk_free(k);
}

static void test_jwk_load_pem_reports_missing_and_garbage_files(void **state)
{
	char path[] = "/tmp/acmerats-test-garbage.XXXXXX";
	ar_err_t err = { 0 };
	int fd;

	(void)state;
	assert_null(ar_jwk_load_pem("/nonexistent/key.pem", &err));
	assert_err(&err, AR_ERR_IO, "/nonexistent/key.pem");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "not a key\n", 10), 10);
	close(fd);
	assert_null(ar_jwk_load_pem(path, &err));
	assert_err(&err, AR_ERR_MALFORMED, "no PEM");
	unlink(path);
}

static void test_jwk_rejects_duplicate_members_and_oversized_text(void **state)
{
	ar_err_t err = { 0 };
	char *big;

	(void)state;
	assert_null(parse("{\"kty\":\"EC\",\"kty\":\"RSA\"}", 0, &err));
	assert_err(&err, AR_ERR_MALFORMED, "duplicate");
	big = calloc(1, AR_JWK_MAX_TEXT + 2);
	assert_non_null(big);
	memset(big, ' ', AR_JWK_MAX_TEXT + 1);
	assert_null(ar_jwk_parse_text(big, AR_JWK_MAX_TEXT + 1, 0, &err));
	assert_int_equal(err.code, AR_ERR_TOO_LARGE);
	free(big);
	assert_null(parse("[1,2]", 0, &err));
	assert_err(&err, AR_ERR_MALFORMED, "not a JSON object");
	assert_null(parse("{\"crv\":\"P-256\"}", 0, &err));
	assert_err(&err, AR_ERR_MALFORMED, "kty");
}

static void test_jwks_finds_keys_by_kid_and_rejects_duplicates(void **state)
{
	ar_err_t err = { 0 };
	json_t *set;
	ar_jwks_t *jwks;

	(void)state;
	set = json_pack("{s:[{s:s,s:s,s:s,s:s,s:s},{s:s,s:s,s:s,s:s,s:s}]}", "keys",
			"kty", "EC", "crv", "P-256", "kid", "v1",
			"x", "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
			"y", "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
			"kty", "EC", "crv", "P-256", "kid", "v2",
			"x", "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
			"y", "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0");
	jwks = ar_jwks_parse(set, AR_JWK_PUBLIC_ONLY, &err);
	assert_non_null(jwks);
	assert_int_equal(ar_jwks_count(jwks), 2);
	assert_string_equal(ar_jwk_kid(ar_jwks_find(jwks, "v2")), "v2");
	assert_null(ar_jwks_find(jwks, "v3"));
	assert_null(ar_jwks_find(jwks, NULL));
	assert_null(ar_jwks_get(jwks, 2));
	ar_jwks_free(jwks);

	json_object_set_new(json_array_get(json_object_get(set, "keys"), 1), "kid", json_string("v1"));
	assert_null(ar_jwks_parse(set, AR_JWK_PUBLIC_ONLY, &err));
	assert_err(&err, AR_ERR_MALFORMED, "duplicate kid");
	json_decref(set);
}

/* The cache hands out the key parsed first for the same JWK, and a key outlives its slot. */
static void test_jwk_cache_returns_the_same_key_for_the_same_jwk(void **state)
{
	ar_jwk_cache_t *c = ar_jwk_cache_new(1);
	json_t *a = json_loads(RFC7638_JWK, 0, NULL), *b;
	ar_jwk_t *k1, *k2, *k3, *other = ar_jwk_generate("ES256", NULL);
	ar_err_t err = { 0 };

	(void)state;
	assert_non_null(c);
	assert_null(ar_jwk_cache_new(0));
	k1 = ar_jwk_cache_parse(c, a, 0, &err);
	assert_non_null(k1);
	/* Same members in another order: the same key. */
	b = json_deep_copy(a);
	json_object_del(b, "kid");
	json_object_set_new(b, "kid", json_string("2011-04-29"));
	k2 = ar_jwk_cache_parse(c, b, 0, &err);
	assert_ptr_equal(k1, k2);
	assert_string_equal(ar_jwk_thumbprint(k2), RFC7638_THUMBPRINT);
	/* Other flags are another entry: the private-only check still runs. */
	assert_null(ar_jwk_cache_parse(c, ar_jwk_json(other), AR_JWK_PUBLIC_ONLY, &err));
	assert_int_equal(err.code, AR_ERR_MALFORMED);
	/* A new key takes the only slot; the old one stays usable by its holders. */
	k3 = ar_jwk_cache_parse(c, ar_jwk_json(other), 0, &err);
	assert_non_null(k3);
	assert_ptr_not_equal(k3, k1);
	ar_jwk_free(k1);
	ar_jwk_cache_free(c);
	assert_string_equal(ar_jwk_kid(k2), "2011-04-29");
	assert_string_equal(ar_jwk_thumbprint(k3), ar_jwk_thumbprint(other));
	ar_jwk_free(k2);
	ar_jwk_free(k3);
	ar_jwk_free(other);
	json_decref(a);
	json_decref(b);
}

/* Garbage is refused, and not cached. */
static void test_jwk_cache_refuses_what_parse_refuses(void **state)
{
	ar_jwk_cache_t *c = ar_jwk_cache_new(8);
	json_t *bad = json_pack("{s:s,s:s}", "kty", "EC", "crv", "P-256");
	ar_err_t err = { 0 };

	(void)state;
	assert_null(ar_jwk_cache_parse(c, bad, 0, &err));
	assert_int_equal(err.code, AR_ERR_MALFORMED);
	assert_null(ar_jwk_cache_parse(c, bad, 0, &err));
	json_decref(bad);
	ar_jwk_cache_free(c);
}

/* The thumbprint of a bare key is the one its JWK has, on every curve and point form. */
static void test_pkey_thumbprint_equals_the_jwk_thumbprint(void **state)
{
	static const char *const curves[] = { "P-256", "P-384", "P-521", "P-256" };
	char got[AR_JWK_THUMBPRINT_LEN + 1];
	ar_err_t err = { 0 };
	size_t i;

	(void)state;
	for (i = 0; i < 5; i++) {
		EVP_PKEY *pkey = i < 4 ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", curves[i])
				       : EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
		json_t *jwk, *want;

		assert_non_null(pkey);
		if (i == 3)	/* a compressed point takes the general path */
			assert_int_equal(EVP_PKEY_set_utf8_string_param(pkey,
					 OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, "compressed"), 1);
		jwk = jose_openssl_jwk_from_EVP_PKEY(NULL, pkey);
		assert_non_null(jwk);
		want = jose_jwk_thp(NULL, jwk, "S256");
		assert_int_equal(ar_jwk_pkey_thumbprint(pkey, got, &err), 0);
		assert_string_equal(got, json_string_value(want));
		json_decref(want);
		json_decref(jwk);
		EVP_PKEY_free(pkey);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jwk_thumbprint_matches_rfc7638_example),
		cmocka_unit_test(test_jwk_parses_rfc7515_p256_private_key),
		cmocka_unit_test(test_jwk_rejects_p521_key_of_rfc7520),
		cmocka_unit_test(test_jwk_rejects_point_not_on_curve),
		cmocka_unit_test(test_jwk_rejects_short_coordinates),
		cmocka_unit_test(test_jwk_rejects_small_rsa_modulus),
		cmocka_unit_test(test_jwk_accepts_oct_only_when_allowed),
		cmocka_unit_test(test_jwk_public_only_rejects_private_members),
		cmocka_unit_test(test_jwk_public_json_drops_private_members),
		cmocka_unit_test(test_jwk_pem_file_roundtrip_keeps_thumbprint),
		cmocka_unit_test(test_pkey_thumbprint_equals_the_jwk_thumbprint),
		cmocka_unit_test(test_jwk_load_pem_reports_missing_and_garbage_files),
		cmocka_unit_test(test_jwk_rejects_duplicate_members_and_oversized_text),
		cmocka_unit_test(test_jwks_finds_keys_by_kid_and_rejects_duplicates),
		cmocka_unit_test(test_jwk_cache_returns_the_same_key_for_the_same_jwk),
		cmocka_unit_test(test_jwk_cache_refuses_what_parse_refuses),
	};

	return cmocka_run_group_tests_name("jwk", tests, NULL, NULL);
}
