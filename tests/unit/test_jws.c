/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of JSON Web Signatures, with the RFC vectors. */
#include "config.h"

#include <jose/jose.h>

#include "testutil.h"
#include "vectors.h"
#include "b64.h"
#include "jws.h"

static ar_jwk_t *key_text(const char *text, unsigned flags)
{
	ar_jwk_t *k = ar_jwk_parse_text(text, strlen(text), flags, NULL);

	assert_non_null(k);
	return k;
}

static int parse_compact(const char *text, ar_jws_t *jws, ar_err_t *err)
{
	return ar_jws_parse_compact(text, strlen(text), 65536, jws, err);
}

static int parse_flat(const char *text, ar_jws_t *jws, ar_err_t *err)
{
	return ar_jws_parse_flat(text, strlen(text), 65536, jws, err);
}

/* A flattened JWS whose protected header is @hdr (JSON text), unsigned. */
static char *flat_with_header(const char *hdr)
{
	char *b64 = ar_b64url_encode_alloc(hdr, strlen(hdr)), *out = NULL;

	assert_true(asprintf(&out, "{\"protected\":\"%s\",\"payload\":\"e30\",\"signature\":\"AAAA\"}",
			     b64) > 0);
	free(b64);
	return out;
}

static void test_jws_rfc7515_a1_hs256_verifies(void **state)
{
	ar_jwk_t *k = key_text(RFC7515_A1_JWK, AR_JWK_ALLOW_OCT);
	ar_err_t err = { 0 };
	ar_jws_t jws;

	(void)state;
	assert_int_equal(parse_compact(RFC7515_A1_JWS, &jws, &err), 0);
	assert_int_equal(jws.alg, AR_ALG_HS256);
	assert_string_equal(ar_jws_header_str(&jws, "typ"), "JWT");
	assert_non_null(strstr((const char *)jws.payload, "\"iss\":\"joe\""));
	assert_int_equal(ar_jws_verify(&jws, k, AR_ALGS_EAB, &err), 0);
	ar_jws_clear(&jws);
	ar_jwk_free(k);
}

static void test_jws_rfc7515_a3_es256_verifies(void **state)
{
	ar_jwk_t *k = key_text(RFC7515_A3_JWK, 0);
	ar_err_t err = { 0 };
	ar_jws_t jws;

	(void)state;
	assert_int_equal(parse_compact(RFC7515_A3_JWS, &jws, &err), 0);
	assert_int_equal(jws.alg, AR_ALG_ES256);
	assert_int_equal(ar_jws_verify(&jws, k, AR_ALGS_ASYMMETRIC, &err), 0);
	ar_jws_clear(&jws);
	ar_jwk_free(k);
}

static void test_jws_rfc7520_es512_is_refused_as_unsupported_alg(void **state)
{
	ar_err_t err = { 0 };
	ar_jws_t jws;

	(void)state;
	assert_int_equal(parse_flat(RFC7520_4_3_JWS, &jws, &err), -1);
	assert_err(&err, AR_ERR_BAD_ALG, "ES512");
	assert_null(jws.header);
}

static void test_jws_rejects_hmac_where_asymmetric_required(void **state)
{
	ar_jwk_t *k = key_text(RFC7515_A1_JWK, AR_JWK_ALLOW_OCT);
	ar_err_t err = { 0 };
	ar_jws_t jws;

	(void)state;
	assert_int_equal(parse_compact(RFC7515_A1_JWS, &jws, &err), 0);
	assert_int_equal(ar_jws_verify(&jws, k, AR_ALGS_ASYMMETRIC, &err), -1);
	assert_err(&err, AR_ERR_BAD_ALG, "HS256 is not allowed");
	ar_jws_clear(&jws);
	ar_jwk_free(k);
}

static void test_jws_rejects_alg_none(void **state)
{
	char *text = flat_with_header("{\"alg\":\"none\"}");
	ar_err_t err = { 0 };
	ar_jws_t jws;

	(void)state;
	assert_int_equal(parse_flat(text, &jws, &err), -1);
	assert_err(&err, AR_ERR_BAD_ALG, "\"none\"");
	free(text);
	text = flat_with_header("{\"typ\":\"JWT\"}");
	assert_int_equal(parse_flat(text, &jws, &err), -1);
	assert_err(&err, AR_ERR_BAD_ALG, "no \"alg\"");
	free(text);
}

static void test_jws_rejects_algorithm_not_matching_key(void **state)
{
	ar_jwk_t *k384 = ar_jwk_generate("ES384", NULL);
	ar_err_t err = { 0 };
	ar_jws_t jws;

	(void)state;
	assert_int_equal(parse_compact(RFC7515_A3_JWS, &jws, &err), 0);
	assert_int_equal(ar_jws_verify(&jws, k384, AR_ALGS_ASYMMETRIC, &err), -1);
	assert_err(&err, AR_ERR_BAD_ALG, "does not fit");
	ar_jws_clear(&jws);
	ar_jwk_free(k384);
}

static void test_jws_detects_altered_payload_and_signature(void **state)
{
	ar_jwk_t *k = key_text(RFC7515_A3_JWK, 0);
	char *text = strdup(RFC7515_A3_JWS);
	ar_err_t err = { 0 };
	char *dot;
	ar_jws_t jws;

	(void)state;
	dot = strchr(text, '.');
	dot[1] = dot[1] == 'e' ? 'f' : 'e';	/* payload */
	assert_int_equal(parse_compact(text, &jws, &err), 0);
	assert_int_equal(ar_jws_verify(&jws, k, AR_ALGS_ASYMMETRIC, &err), -1);
	assert_int_equal(err.code, AR_ERR_BAD_SIGNATURE);
	ar_jws_clear(&jws);
	free(text);

	text = strdup(RFC7515_A3_JWS);
	text[strlen(text) - 2] = text[strlen(text) - 2] == 'A' ? 'B' : 'A';
	assert_int_equal(parse_compact(text, &jws, &err), 0);
	assert_int_equal(ar_jws_verify(&jws, k, AR_ALGS_ASYMMETRIC, &err), -1);
	assert_int_equal(err.code, AR_ERR_BAD_SIGNATURE);
	ar_jws_clear(&jws);
	free(text);
	ar_jwk_free(k);
}

static void test_jws_rejects_any_crit_parameter(void **state)
{
	char *text = flat_with_header("{\"alg\":\"ES256\",\"crit\":[\"exp\"],\"exp\":1}");
	ar_err_t err = { 0 };
	ar_jws_t jws;

	(void)state;
	assert_int_equal(parse_flat(text, &jws, &err), -1);
	assert_err(&err, AR_ERR_UNSUPPORTED, "\"exp\" is not understood");
	free(text);
	text = flat_with_header("{\"alg\":\"ES256\",\"crit\":[]}");
	assert_int_equal(parse_flat(text, &jws, &err), -1);
	assert_err(&err, AR_ERR_MALFORMED, "non-empty array");
	free(text);
}

static void test_jws_rejects_duplicate_header_members(void **state)
{
	char *text = flat_with_header("{\"alg\":\"ES256\",\"alg\":\"none\"}");
	ar_err_t err = { 0 };
	ar_jws_t jws;

	(void)state;
	assert_int_equal(parse_flat(text, &jws, &err), -1);
	assert_err(&err, AR_ERR_MALFORMED, "duplicate");
	free(text);
}

static void test_jws_rejects_duplicate_and_unexpected_body_members(void **state)
{
	ar_err_t err = { 0 };
	ar_jws_t jws;

	(void)state;
	assert_int_equal(parse_flat("{\"protected\":\"eyJhbGciOiJFUzI1NiJ9\",\"payload\":\"\","
				    "\"payload\":\"e30\",\"signature\":\"AAAA\"}", &jws, &err), -1);
	assert_err(&err, AR_ERR_MALFORMED, "duplicate");
	assert_int_equal(parse_flat("{\"protected\":\"eyJhbGciOiJFUzI1NiJ9\",\"payload\":\"\","
				    "\"signature\":\"AAAA\",\"header\":{\"kid\":\"x\"}}", &jws, &err), -1);
	assert_err(&err, AR_ERR_MALFORMED, "unexpected JWS member \"header\"");
	assert_int_equal(parse_flat("{\"payload\":\"\",\"signatures\":[]}", &jws, &err), -1);
	assert_int_equal(err.code, AR_ERR_MALFORMED);
}

static void test_jws_every_truncation_fails_cleanly(void **state)
{
	ar_jwk_t *k = key_text(RFC7515_A3_JWK, 0);
	const char *full = RFC7515_A3_JWS;
	size_t len, n = strlen(full);
	ar_jws_t jws;

	(void)state;
	for (len = 0; len < n; len++) {
		if (ar_jws_parse_compact(full, len, 65536, &jws, NULL) == 0) {
			/* Only signature truncations parse; none may verify. */
			assert_int_not_equal(ar_jws_verify(&jws, k, AR_ALGS_ASYMMETRIC, NULL), 0);
			ar_jws_clear(&jws);
		}
	}
	ar_jwk_free(k);
}

static void test_jws_rejects_oversized_input(void **state)
{
	ar_err_t err = { 0 };
	ar_jws_t jws;

	(void)state;
	assert_int_equal(ar_jws_parse_compact(RFC7515_A3_JWS, strlen(RFC7515_A3_JWS), 64, &jws,
					      &err), -1);
	assert_int_equal(err.code, AR_ERR_TOO_LARGE);
	assert_int_equal(ar_jws_parse_flat("{}", 2, 1, &jws, &err), -1);
	assert_int_equal(err.code, AR_ERR_TOO_LARGE);
}

static void test_jws_compact_needs_exactly_three_parts(void **state)
{
	ar_err_t err = { 0 };
	ar_jws_t jws;

	(void)state;
	assert_int_equal(parse_compact("eyJhbGciOiJFUzI1NiJ9.e30", &jws, &err), -1);
	assert_err(&err, AR_ERR_MALFORMED, "three parts");
	assert_int_equal(parse_compact("eyJhbGciOiJFUzI1NiJ9.e30.AAAA.AAAA", &jws, &err), -1);
	assert_err(&err, AR_ERR_MALFORMED, "three parts");
	assert_int_equal(parse_compact("eyJhbGciOiJFUzI1NiJ9.e30.", &jws, &err), -1);
	assert_err(&err, AR_ERR_MALFORMED, "empty signature");
	assert_int_equal(parse_compact(".e30.AAAA", &jws, &err), -1);
	assert_err(&err, AR_ERR_MALFORMED, "empty protected header");
}

static void test_jws_sign_verify_roundtrip_for_each_algorithm(void **state)
{
	static const char *const algs[] = { "ES256", "ES384", "RS256" };
	const char *payload = "{\"hello\":\"world\"}";
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		ar_jwk_t *k = ar_jwk_generate(algs[i], NULL), *other = ar_jwk_generate(algs[i], NULL);
		json_t *hdr = json_pack("{s:s}", "kid", "k1"), *flat;
		ar_err_t err = { 0 };
		char *compact;
		ar_jws_t jws;

		assert_non_null(k);
		flat = ar_jws_sign(hdr, payload, strlen(payload), k, &err);
		assert_non_null(flat);
		/* An independent verifier (libjose's) accepts it too. */
		assert_true(jose_jws_ver(NULL, flat, NULL, ar_jwk_json(k), false));
		assert_false(jose_jws_ver(NULL, flat, NULL, ar_jwk_json(other), false));
		assert_int_equal(ar_jws_parse_json(flat, &jws, &err), 0);
		assert_string_equal(ar_jws_header_str(&jws, "alg"), algs[i]);
		assert_string_equal(ar_jws_header_str(&jws, "kid"), "k1");
		assert_string_equal((const char *)jws.payload, payload);
		assert_int_equal(ar_jws_verify(&jws, k, AR_ALGS_ASYMMETRIC, &err), 0);
		assert_int_equal(ar_jws_verify(&jws, other, AR_ALGS_ASYMMETRIC, &err), -1);
		assert_int_equal(err.code, AR_ERR_BAD_SIGNATURE);
		ar_jws_clear(&jws);

		compact = ar_jws_sign_compact(NULL, payload, strlen(payload), k, &err);
		assert_non_null(compact);
		assert_int_equal(parse_compact(compact, &jws, &err), 0);
		assert_int_equal(ar_jws_verify(&jws, k, AR_ALGS_ASYMMETRIC, &err), 0);
		ar_jws_clear(&jws);
		free(compact);
		json_decref(flat);
		json_decref(hdr);
		ar_jwk_free(other);
		ar_jwk_free(k);
	}
}

static void test_jws_sign_refuses_public_key(void **state)
{
	ar_jwk_t *k = ar_jwk_generate("ES256", NULL);
	json_t *pubjson = ar_jwk_public_json(k);
	ar_jwk_t *pub = ar_jwk_parse(pubjson, 0, NULL);
	ar_err_t err = { 0 };

	(void)state;
	assert_null(ar_jws_sign(NULL, "x", 1, pub, &err));
	assert_err(&err, AR_ERR_CRYPTO, "private key");
	json_decref(pubjson);
	ar_jwk_free(pub);
	ar_jwk_free(k);
}

static void test_jws_empty_payload_is_parsed(void **state)
{
	ar_jwk_t *k = ar_jwk_generate("ES256", NULL);
	json_t *flat = ar_jws_sign(NULL, "", 0, k, NULL);
	ar_jws_t jws;

	(void)state;
	assert_non_null(flat);
	assert_string_equal(json_string_value(json_object_get(flat, "payload")), "");
	assert_int_equal(ar_jws_parse_json(flat, &jws, NULL), 0);
	assert_int_equal(jws.payload_len, 0);
	assert_int_equal(ar_jws_verify(&jws, k, AR_ALGS_ASYMMETRIC, NULL), 0);
	ar_jws_clear(&jws);
	json_decref(flat);
	ar_jwk_free(k);
}

/*
 * RFC 8037 A.4: the EdDSA JWS verifies with the A.2 public key, and
 * signing the same input with the A.1 key gives it byte for byte (Ed25519
 * is deterministic).
 */
static void test_jws_rfc8037_a4_eddsa_verifies_and_is_reproduced(void **state)
{
	ar_jwk_t *pub = key_text(RFC8037_A2_JWK, AR_JWK_PUBLIC_ONLY);
	ar_jwk_t *priv = key_text(RFC8037_A1_JWK, 0);
	ar_err_t err = { 0 };
	ar_jws_t jws;
	char *mine;

	(void)state;
	assert_int_equal(parse_compact(RFC8037_A4_JWS, &jws, &err), 0);
	assert_int_equal(jws.alg, AR_ALG_EDDSA);
	assert_string_equal((const char *)jws.payload, RFC8037_A4_PAYLOAD);
	assert_int_equal(ar_jws_verify(&jws, pub, AR_ALGS_ASYMMETRIC, &err), 0);
	/* EdDSA is not a MAC: not allowed where HS256 is the only one. */
	assert_int_equal(ar_jws_verify(&jws, pub, AR_ALGS_EAB, &err), -1);
	assert_err(&err, AR_ERR_BAD_ALG, "EdDSA is not allowed");
	ar_jws_clear(&jws);
	mine = ar_jws_sign_compact(NULL, RFC8037_A4_PAYLOAD, strlen(RFC8037_A4_PAYLOAD), priv, &err);
	assert_non_null(mine);
	assert_string_equal(mine, RFC8037_A4_JWS);
	free(mine);
	ar_jwk_free(pub);
	ar_jwk_free(priv);
}

/* Every byte of the signing input and of the signature counts; another key's does not verify. */
static void test_jws_eddsa_refuses_altered_input_and_other_keys(void **state)
{
	ar_jwk_t *pub = key_text(RFC8037_A2_JWK, AR_JWK_PUBLIC_ONLY);
	ar_jwk_t *other = ar_jwk_generate("EdDSA", NULL), *es256 = ar_jwk_generate("ES256", NULL);
	size_t len = strlen(RFC8037_A4_JWS), i;
	ar_err_t err = { 0 };
	ar_jws_t jws;

	(void)state;
	for (i = 0; i < len; i += 7) {
		char *text;

		if (RFC8037_A4_JWS[i] == '.')
			continue;
		text = strdup(RFC8037_A4_JWS);
		text[i] = text[i] == 'A' ? 'B' : 'A';
		if (parse_compact(text, &jws, NULL) == 0) {
			assert_int_not_equal(ar_jws_verify(&jws, pub, AR_ALGS_ASYMMETRIC, NULL), 0);
			ar_jws_clear(&jws);
		}
		free(text);
	}
	assert_int_equal(parse_compact(RFC8037_A4_JWS, &jws, &err), 0);
	assert_int_equal(ar_jws_verify(&jws, other, AR_ALGS_ASYMMETRIC, &err), -1);
	assert_int_equal(err.code, AR_ERR_BAD_SIGNATURE);
	/* EdDSA with an EC key, and a truncated signature. */
	assert_int_equal(ar_jws_verify(&jws, es256, AR_ALGS_ASYMMETRIC, &err), -1);
	assert_err(&err, AR_ERR_BAD_ALG, "does not fit");
	jws.sig_len = 63;
	assert_int_equal(ar_jws_verify(&jws, pub, AR_ALGS_ASYMMETRIC, &err), -1);
	assert_int_equal(err.code, AR_ERR_BAD_SIGNATURE);
	ar_jws_clear(&jws);
	/* ES256 with an Ed25519 key. */
	assert_int_equal(parse_compact(RFC7515_A3_JWS, &jws, &err), 0);
	assert_int_equal(ar_jws_verify(&jws, pub, AR_ALGS_ASYMMETRIC, &err), -1);
	assert_err(&err, AR_ERR_BAD_ALG, "does not fit a EdDSA key");
	ar_jws_clear(&jws);
	ar_jwk_free(pub);
	ar_jwk_free(other);
	ar_jwk_free(es256);
}

/* Signatures made here verify under OpenSSL used directly, and the other way round. */
static void test_jws_eddsa_agrees_with_openssl_both_ways(void **state)
{
	ar_jwk_t *k = ar_jwk_generate("EdDSA", NULL);
	json_t *hdr = json_pack("{s:s}", "nonce", "abc"), *flat;
	const char *payload = "{\"identifiers\":[]}";
	unsigned char sig[64];
	size_t siglen = sizeof(sig);
	char *input = NULL, *sig_b64;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	ar_jws_t jws;

	(void)state;
	flat = ar_jws_sign(hdr, payload, strlen(payload), k, NULL);
	assert_non_null(flat);
	assert_true(asprintf(&input, "%s.%s", json_string_value(json_object_get(flat, "protected")),
			     json_string_value(json_object_get(flat, "payload"))) > 0);
	assert_int_equal(ar_b64url_decode(json_string_value(json_object_get(flat, "signature")),
					  86, sig, sizeof(sig), &siglen, NULL), 0);
	assert_int_equal(EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, ar_jwk_pkey(k)), 1);
	assert_int_equal(EVP_DigestVerify(ctx, sig, siglen, (unsigned char *)input, strlen(input)), 1);
	EVP_MD_CTX_free(ctx);

	/* OpenSSL signs over another payload; the library verifies it. */
	json_object_set_new(flat, "payload", json_string("e30"));
	free(input);
	assert_true(asprintf(&input, "%s.e30", json_string_value(json_object_get(flat, "protected")))
		    > 0);
	ctx = EVP_MD_CTX_new();
	assert_int_equal(EVP_DigestSignInit(ctx, NULL, NULL, NULL, ar_jwk_pkey(k)), 1);
	siglen = sizeof(sig);
	assert_int_equal(EVP_DigestSign(ctx, sig, &siglen, (unsigned char *)input, strlen(input)), 1);
	EVP_MD_CTX_free(ctx);
	sig_b64 = ar_b64url_encode_alloc(sig, siglen);
	json_object_set_new(flat, "signature", json_string(sig_b64));
	assert_int_equal(ar_jws_parse_json(flat, &jws, NULL), 0);
	assert_int_equal(ar_jws_verify(&jws, k, AR_ALGS_ASYMMETRIC, NULL), 0);
	ar_jws_clear(&jws);
	free(sig_b64);
	free(input);
	json_decref(flat);
	json_decref(hdr);
	ar_jwk_free(k);
}

static void test_alg_names_roundtrip(void **state)
{
	(void)state;
	assert_int_equal(ar_alg_from_name("ES256"), AR_ALG_ES256);
	assert_int_equal(ar_alg_from_name("HS256"), AR_ALG_HS256);
	assert_int_equal(ar_alg_from_name("EdDSA"), AR_ALG_EDDSA);
	assert_string_equal(ar_alg_name(AR_ALG_EDDSA), "EdDSA");
	assert_int_equal(ar_alg_from_name("Ed25519"), AR_ALG_UNKNOWN);
	assert_int_equal(ar_alg_from_name("Ed448"), AR_ALG_UNKNOWN);
	assert_string_equal(ar_alg_name((ar_alg_t)(AR_ALG_EDDSA + 1)), "unknown");
	assert_int_equal(ar_alg_from_name("none"), AR_ALG_UNKNOWN);
	assert_int_equal(ar_alg_from_name("es256"), AR_ALG_UNKNOWN);
	assert_int_equal(ar_alg_from_name(NULL), AR_ALG_UNKNOWN);
	assert_string_equal(ar_alg_name(AR_ALG_RS256), "RS256");
	assert_string_equal(ar_alg_name(AR_ALG_UNKNOWN), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jws_rfc7515_a1_hs256_verifies),
		cmocka_unit_test(test_jws_rfc7515_a3_es256_verifies),
		cmocka_unit_test(test_jws_rfc7520_es512_is_refused_as_unsupported_alg),
		cmocka_unit_test(test_jws_rejects_hmac_where_asymmetric_required),
		cmocka_unit_test(test_jws_rejects_alg_none),
		cmocka_unit_test(test_jws_rejects_algorithm_not_matching_key),
		cmocka_unit_test(test_jws_detects_altered_payload_and_signature),
		cmocka_unit_test(test_jws_rejects_any_crit_parameter),
		cmocka_unit_test(test_jws_rejects_duplicate_header_members),
		cmocka_unit_test(test_jws_rejects_duplicate_and_unexpected_body_members),
		cmocka_unit_test(test_jws_every_truncation_fails_cleanly),
		cmocka_unit_test(test_jws_rejects_oversized_input),
		cmocka_unit_test(test_jws_compact_needs_exactly_three_parts),
		cmocka_unit_test(test_jws_sign_verify_roundtrip_for_each_algorithm),
		cmocka_unit_test(test_jws_sign_refuses_public_key),
		cmocka_unit_test(test_jws_empty_payload_is_parsed),
		cmocka_unit_test(test_jws_rfc8037_a4_eddsa_verifies_and_is_reproduced),
		cmocka_unit_test(test_jws_eddsa_refuses_altered_input_and_other_keys),
		cmocka_unit_test(test_jws_eddsa_agrees_with_openssl_both_ways),
		cmocka_unit_test(test_alg_names_roundtrip),
	};

	return cmocka_run_group_tests_name("jws", tests, NULL, NULL);
}
