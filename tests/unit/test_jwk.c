/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of JSON Web Keys and thumbprints, with the RFC vectors. */
#include "config.h"

#include <sys/stat.h>
#include <unistd.h>

#include <jose/jose.h>
#include <jose/openssl.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "testutil.h"
#include "vectors.h"
#include "b64.h"
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
	assert_err(&err, AR_ERR_BAD_KEY, "P-521");
}

/* A point off the curve is a key refused (badPublicKey), not a malformed JWK. */
static void test_jwk_ec_point_off_curve_is_a_bad_key(void **state)
{
	ar_err_t err = { 0 };
	/* RFC 7515 A.3's x with its y changed in one bit: no point of P-256
	 * (an x has two points, y and p - y), yet well-formed base64url. */
	const char *bad = "{\"kty\":\"EC\",\"crv\":\"P-256\","
			  "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
			  "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a4\"}";

	(void)state;
	assert_null(parse(bad, 0, &err));
	assert_err(&err, AR_ERR_BAD_KEY, "not a point on its curve");
}

/* Coordinates of the wrong length are a key refused; missing or not base64url, no JWK. */
static void test_jwk_ec_coordinates_of_wrong_length_are_a_bad_key(void **state)
{
	ar_err_t err = { 0 };
	const char *bad = "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AAAA\",\"y\":\"AAAA\"}";

	(void)state;
	assert_null(parse(bad, 0, &err));
	assert_err(&err, AR_ERR_BAD_KEY, "32 bytes each, not 3 and 3");
	assert_null(parse("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AAAA\"}", 0, &err));
	assert_err(&err, AR_ERR_MALFORMED, "base64url \"x\" and \"y\"");
	assert_null(parse("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"A+AA\",\"y\":\"AAAA\"}", 0,
			  &err));
	assert_int_equal(err.code, AR_ERR_MALFORMED);
	assert_null(parse("{\"kty\":\"EC\",\"x\":\"AAAA\",\"y\":\"AAAA\"}", 0, &err));
	assert_err(&err, AR_ERR_MALFORMED, "crv");
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
	assert_err(&err, AR_ERR_BAD_KEY, "at least 2048");
}

/*
 * An RSA JWK with the modulus of a 2048-bit key made once for the test
 * (six key generations cost seconds) and the exponent @e (base64url).
 */
static char *rsa_jwk_with_exponent(const char *e, int even_modulus)
{
	static json_t *pub0;
	json_t *pub;
	char *n, *text;

	if (!pub0) {
		ar_jwk_t *k = ar_jwk_generate("RS256", NULL);

		assert_non_null(k);
		pub0 = ar_jwk_public_json(k);
		ar_jwk_free(k);
	}
	pub = json_deep_copy(pub0);
	n = strdup(json_string_value(json_object_get(pub, "n")));
	if (even_modulus)	/* the last character holds the lowest two bits */
		n[strlen(n) - 1] = 'A';
	json_object_set_new(pub, "n", json_string(n));
	json_object_set_new(pub, "e", json_string(e));
	text = json_dumps(pub, JSON_COMPACT);
	free(n);
	json_decref(pub);
	return text;
}

/*
 * e = 1 makes every value its own signature: anybody could sign for such
 * an account key. The policy: an odd exponent of at least 65537.
 */
static void test_rsa_key_with_exponent_one_is_a_bad_key(void **state)
{
	static const struct {
		const char	*e;
		const char	*why;
	} refused[] = {
		{ "AQ", "exponent 1 refused" },			/* 1 */
		{ "Aw", "exponent 3 refused" },			/* 3 */
		{ "AQAC", "exponent 65538 refused" },		/* even */
		{ "AQAAAAAAAAAAAQ", "more than 64 bits" },	/* 2^72 + 1 */
	};
	ar_err_t err = { 0 };
	ar_jwk_t *k;
	char *text;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		text = rsa_jwk_with_exponent(refused[i].e, 0);
		assert_null(parse(text, AR_JWK_PUBLIC_ONLY, &err));
		assert_err(&err, AR_ERR_BAD_KEY, refused[i].why);
		free(text);
	}
	text = rsa_jwk_with_exponent("AQAB", 0);	/* 65537 */
	k = parse(text, AR_JWK_PUBLIC_ONLY, &err);
	assert_non_null(k);
	ar_jwk_free(k);
	free(text);
	/* The same exponent on an even modulus: no RSA key (OpenSSL's check). */
	text = rsa_jwk_with_exponent("AQAB", 1);
	assert_null(parse(text, AR_JWK_PUBLIC_ONLY, &err));
	assert_err(&err, AR_ERR_BAD_KEY, "RSA key is not a valid key");
	free(text);
	assert_null(parse("{\"kty\":\"RSA\",\"n\":\"AQAB\"}", 0, &err));
	assert_err(&err, AR_ERR_MALFORMED, "\"n\" and \"e\"");
}

static void test_jwk_accepts_oct_only_when_allowed(void **state)
{
	ar_err_t err = { 0 };
	ar_jwk_t *k;

	(void)state;
	assert_null(parse(RFC7515_A1_JWK, 0, &err));
	assert_err(&err, AR_ERR_BAD_KEY, "\"oct\" not accepted");
	k = parse(RFC7515_A1_JWK, AR_JWK_ALLOW_OCT, &err);
	assert_non_null(k);
	assert_int_equal(ar_jwk_type(k), AR_JWK_OCT);
	assert_string_equal(ar_jwk_alg(k), "HS256");
	assert_null(ar_jwk_pkey(k));
	ar_jwk_free(k);
	assert_null(parse("{\"kty\":\"oct\",\"k\":\"AAAAAAAAAAA\"}", AR_JWK_ALLOW_OCT, &err));
	assert_err(&err, AR_ERR_BAD_KEY, "at least 128");
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

/* RFC 8037 A.1-A.3: the Ed25519 key, public and private, and its thumbprint. */
static void test_jwk_ed25519_key_and_thumbprint_of_rfc8037(void **state)
{
	ar_jwk_t *priv = parse(RFC8037_A1_JWK, 0, NULL), *pub = parse(RFC8037_A2_JWK,
								       AR_JWK_PUBLIC_ONLY, NULL);
	ar_err_t err = { 0 };
	json_t *json;

	(void)state;
	assert_non_null(priv);
	assert_non_null(pub);
	assert_int_equal(ar_jwk_type(pub), AR_JWK_OKP);
	assert_string_equal(ar_jwk_alg(pub), "EdDSA");
	assert_false(ar_jwk_is_private(pub));
	assert_int_equal(EVP_PKEY_get_base_id(ar_jwk_pkey(pub)), EVP_PKEY_ED25519);
	assert_string_equal(ar_jwk_thumbprint(pub), RFC8037_A3_THUMBPRINT);
	assert_true(ar_jwk_is_private(priv));
	assert_string_equal(ar_jwk_thumbprint(priv), RFC8037_A3_THUMBPRINT);
	assert_true(ar_jwk_same_public(priv, pub));
	/* The public projection drops "d" (libjose 11 knows no OKP to do it). */
	json = ar_jwk_public_json(priv);
	assert_non_null(json);
	assert_null(json_object_get(json, "d"));
	assert_string_equal(json_string_value(json_object_get(json, "crv")), "Ed25519");
	json_decref(json);
	assert_null(parse(RFC8037_A1_JWK, AR_JWK_PUBLIC_ONLY, &err));
	assert_err(&err, AR_ERR_MALFORMED, "private key material");
	ar_jwk_free(priv);
	ar_jwk_free(pub);
}

/* An OKP JWK with @crv and @x (base64url of @xlen bytes of @fill). */
static char *okp_jwk(const char *crv, size_t xlen, unsigned char fill)
{
	unsigned char x[64];
	char *b64, *text = NULL;

	memset(x, fill, sizeof(x));
	b64 = ar_b64url_encode_alloc(x, xlen);
	assert_true(asprintf(&text, "{\"kty\":\"OKP\",\"crv\":\"%s\",\"x\":\"%s\"}", crv, b64) > 0);
	free(b64);
	return text;
}

/*
 * Ed448 and the key-agreement curves are refused as keys (badPublicKey),
 * and so is an Ed25519 "x" that is not 32 bytes; a JWK without "crv" or
 * "x", or with "x" not base64url, is not a JWK (malformed).
 */
static void test_jwk_okp_other_than_ed25519_or_x_not_32_bytes_is_a_bad_key(void **state)
{
	static const struct {
		const char	*crv;
		size_t		xlen;
		ar_errc_t	code;
		const char	*why;
	} cases[] = {
		{ "Ed448", 57, AR_ERR_BAD_KEY, "\"Ed448\" not supported (Ed25519 only)" },
		{ "X25519", 32, AR_ERR_BAD_KEY, "\"X25519\" not supported" },
		{ "Ed25519", 31, AR_ERR_BAD_KEY, "must be 32 bytes, not 31" },
		{ "Ed25519", 33, AR_ERR_BAD_KEY, "must be 32 bytes, not 33" },
		{ "Ed25519", 0, AR_ERR_BAD_KEY, "must be 32 bytes, not 0" },
	};
	ar_err_t err = { 0 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *text = okp_jwk(cases[i].crv, cases[i].xlen, 0x5a);

		assert_null(parse(text, AR_JWK_PUBLIC_ONLY, &err));
		assert_err(&err, cases[i].code, cases[i].why);
		free(text);
	}
	assert_null(parse("{\"kty\":\"OKP\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}",
			  0, &err));
	assert_err(&err, AR_ERR_MALFORMED, "without \"crv\"");
	assert_null(parse("{\"kty\":\"OKP\",\"crv\":\"Ed25519\"}", 0, &err));
	assert_err(&err, AR_ERR_MALFORMED, "base64url \"x\"");
	assert_null(parse("{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHUR+\"}",
			  0, &err));
	assert_err(&err, AR_ERR_MALFORMED, "base64url \"x\"");
}

/*
 * Under Ed25519 a public key of small order signs for anyone: with the
 * identity point, (R = identity, S = 0) verifies under any message. Shown
 * here with OpenSSL itself, then refused; as are the other points of small
 * order and a non-canonical y.
 */
static void test_jwk_ed25519_small_order_key_refused_as_anyone_can_sign_for_it(void **state)
{
	static const char *const refused[][2] = {
		/* identity (y = 1), order 2 (y = p - 1), order 4 (y = 0), order 8 */
		{ "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "small order" },
		{ "7P_______________________________________38", "small order" },
		{ "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAIA", "small order" },
		{ "JuiVj8KyJ7BFw_SJ8u-Y8NXfrAXTxjM5sTgCiG1T_IU", "small order" },
		{ "xxdqcD1N2E-6PAt2DRBnDyogU_osOczGTsf9d5KsA3o", "small order" },
		/* y = p + 1, a second spelling of the identity */
		{ "7v_______________________________________38", "not a canonical" },
		/* y = 2 and y = 7: no x makes them points of the curve */
		{ "AgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "not a point of the curve" },
		{ "BwAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "not a point of the curve" },
	};
	unsigned char identity[32] = { 1 }, forged[64] = { 1 };	/* R = identity, S = 0 */
	const char *msg = "{\"account\":\"anyone's\"}";
	EVP_PKEY *pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, identity, 32);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	ar_err_t err = { 0 };
	char text[160];
	size_t i;

	(void)state;
	assert_non_null(pk);
	assert_int_equal(EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pk), 1);
	assert_int_equal(EVP_DigestVerify(ctx, forged, sizeof(forged), (const unsigned char *)msg,
					  strlen(msg)), 1);
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pk);
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		snprintf(text, sizeof(text), "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%s\"}",
			 refused[i][0]);
		assert_null(parse(text, AR_JWK_PUBLIC_ONLY, &err));
		assert_err(&err, AR_ERR_BAD_KEY, refused[i][1]);
	}
}

/* A private part that is not the public key's, and a key made by OpenSSL from RFC 8037's d. */
static void test_jwk_ed25519_private_part_must_match_and_pkey_gives_the_same_jwk(void **state)
{
	static const char d_b64[] = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
	char text[256], thp[AR_JWK_THUMBPRINT_LEN + 1];
	unsigned char d[32];
	ar_err_t err = { 0 };
	EVP_PKEY *pk;
	ar_jwk_t *k;
	size_t len;

	(void)state;
	snprintf(text, sizeof(text), "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"d\":\"%s\","
		 "\"x\":\"AwAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}", d_b64);	/* y = 3 */
	assert_null(parse(text, 0, &err));
	assert_err(&err, AR_ERR_BAD_KEY, "does not match its public key");
	snprintf(text, sizeof(text), "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"d\":\"%s\","
		 "\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}", "AAAA" "AAAA");
	assert_null(parse(text, 0, &err));
	assert_err(&err, AR_ERR_MALFORMED, "\"d\" must be base64url of 32 bytes");

	assert_int_equal(ar_b64url_decode(d_b64, strlen(d_b64), d, sizeof(d), &len, NULL), 0);
	pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, d, len);
	assert_non_null(pk);
	assert_int_equal(ar_jwk_pkey_thumbprint(pk, thp, &err), 0);
	assert_string_equal(thp, RFC8037_A3_THUMBPRINT);
	k = ar_jwk_from_pkey(pk, &err);
	assert_non_null(k);
	assert_true(ar_jwk_is_private(k));
	assert_string_equal(ar_jwk_thumbprint(k), RFC8037_A3_THUMBPRINT);
	assert_string_equal(json_string_value(json_object_get(ar_jwk_json(k), "d")), d_b64);
	ar_jwk_free(k);
	EVP_PKEY_free(pk);
}

/* A generated Ed25519 key survives PEM, private and public, with its thumbprint. */
static void test_jwk_ed25519_generate_and_pem_roundtrip(void **state)
{
	ar_jwk_t *k = ar_jwk_generate("EdDSA", NULL), *back;
	char *pem;

	(void)state;
	assert_non_null(k);
	assert_int_equal(ar_jwk_type(k), AR_JWK_OKP);
	assert_true(ar_jwk_is_private(k));
	assert_non_null(ar_jwk_sign_ctx(k));
	pem = ar_jwk_to_pem(k, 1, NULL);
	assert_non_null(pem);
	assert_non_null(strstr(pem, "BEGIN PRIVATE KEY"));
	free(pem);
	pem = ar_jwk_to_pem(k, 0, NULL);
	assert_non_null(strstr(pem, "BEGIN PUBLIC KEY"));
	{
		BIO *bio = BIO_new_mem_buf(pem, -1);
		EVP_PKEY *pk = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);

		assert_non_null(pk);
		back = ar_jwk_from_pkey(pk, NULL);
		assert_non_null(back);
		assert_false(ar_jwk_is_private(back));
		assert_string_equal(ar_jwk_thumbprint(back), ar_jwk_thumbprint(k));
		ar_jwk_free(back);
		EVP_PKEY_free(pk);
		BIO_free(bio);
	}
	free(pem);
	ar_jwk_free(k);
}

/* The thumbprints computed here are libjose's, for the key types it knows. */
static void test_jwk_thumbprints_equal_libjose_ones(void **state)
{
	static const char *const algs[] = { "ES256", "ES384", "RS256" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		ar_jwk_t *k = ar_jwk_generate(algs[i], NULL);
		json_t *want = jose_jwk_thp(NULL, ar_jwk_json(k), "S256"), *pub;

		assert_non_null(want);
		assert_string_equal(ar_jwk_thumbprint(k), json_string_value(want));
		/* and the public projection is libjose's */
		pub = json_deep_copy(ar_jwk_json(k));
		json_object_set_new(pub, "key_ops", json_pack("[s,s]", "sign", "verify"));
		{
			json_t *ours = NULL, *theirs = json_deep_copy(pub);
			ar_jwk_t *withops = ar_jwk_parse(pub, 0, NULL);

			assert_non_null(withops);
			ours = ar_jwk_public_json(withops);
			assert_true(jose_jwk_pub(NULL, theirs));
			assert_true(json_equal(ours, theirs));
			json_decref(ours);
			json_decref(theirs);
			ar_jwk_free(withops);
		}
		json_decref(pub);
		json_decref(want);
		ar_jwk_free(k);
	}
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
		cmocka_unit_test(test_jwk_ec_point_off_curve_is_a_bad_key),
		cmocka_unit_test(test_jwk_ec_coordinates_of_wrong_length_are_a_bad_key),
		cmocka_unit_test(test_jwk_rejects_small_rsa_modulus),
		cmocka_unit_test(test_rsa_key_with_exponent_one_is_a_bad_key),
		cmocka_unit_test(test_jwk_ed25519_key_and_thumbprint_of_rfc8037),
		cmocka_unit_test(test_jwk_okp_other_than_ed25519_or_x_not_32_bytes_is_a_bad_key),
		cmocka_unit_test(test_jwk_ed25519_small_order_key_refused_as_anyone_can_sign_for_it),
		cmocka_unit_test(test_jwk_ed25519_private_part_must_match_and_pkey_gives_the_same_jwk),
		cmocka_unit_test(test_jwk_ed25519_generate_and_pem_roundtrip),
		cmocka_unit_test(test_jwk_thumbprints_equal_libjose_ones),
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
