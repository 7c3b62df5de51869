/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of base64url, with the RFC 4648 vectors. */
#include "config.h"

#include "testutil.h"
#include "b64.h"

/* RFC 4648 section 10 vectors, in the URL-safe alphabet without padding. */
static const struct {
	const char *plain, *b64;
} rfc4648[] = {
	{ "", "" }, { "f", "Zg" }, { "fo", "Zm8" }, { "foo", "Zm9v" },
	{ "foob", "Zm9vYg" }, { "fooba", "Zm9vYmE" }, { "foobar", "Zm9vYmFy" },
};

static void test_b64url_matches_rfc4648_vectors(void **state)
{
	char enc[32];
	uint8_t dec[32];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(rfc4648) / sizeof(rfc4648[0]); i++) {
		size_t len = strlen(rfc4648[i].plain);

		assert_int_equal(ar_b64url_encode(rfc4648[i].plain, len, enc, sizeof(enc)), 0);
		assert_string_equal(enc, rfc4648[i].b64);
		assert_int_equal(ar_b64url_enc_len(len), strlen(rfc4648[i].b64));
		assert_int_equal(ar_b64url_decode(rfc4648[i].b64, strlen(rfc4648[i].b64), dec,
						  sizeof(dec), &n, NULL), 0);
		assert_int_equal(n, len);
		assert_memory_equal(dec, rfc4648[i].plain, len);
	}
}

static void test_b64url_uses_url_safe_alphabet(void **state)
{
	const uint8_t in[] = { 0xfb, 0xff, 0xbf };
	char enc[8];

	(void)state;
	assert_int_equal(ar_b64url_encode(in, sizeof(in), enc, sizeof(enc)), 0);
	assert_string_equal(enc, "-_-_");
}

static void test_b64url_rejects_padding_and_standard_alphabet(void **state)
{
	ar_err_t err = { 0 };
	uint8_t dec[16];
	size_t n;

	(void)state;
	assert_int_equal(ar_b64url_decode("Zg==", 4, dec, sizeof(dec), &n, &err), -1);
	assert_int_equal(err.code, AR_ERR_MALFORMED);
	assert_int_equal(ar_b64url_decode("+/+/", 4, dec, sizeof(dec), &n, &err), -1);
	assert_int_equal(ar_b64url_decode("Zm 9", 4, dec, sizeof(dec), &n, &err), -1);
}

static void test_b64url_rejects_impossible_length(void **state)
{
	ar_err_t err = { 0 };
	uint8_t dec[16];
	size_t n;

	(void)state;
	assert_int_equal(ar_b64url_decode("Zm9vY", 5, dec, sizeof(dec), &n, &err), -1);
	assert_err(&err, AR_ERR_MALFORMED, "impossible length");
}

static void test_b64url_rejects_noncanonical_trailing_bits(void **state)
{
	uint8_t dec[16];
	size_t n;

	(void)state;
	/* "Zh" carries non-zero bits after the single byte 'f'. */
	assert_int_equal(ar_b64url_decode("Zh", 2, dec, sizeof(dec), &n, NULL), -1);
	assert_int_equal(ar_b64url_decode("Zg", 2, dec, sizeof(dec), &n, NULL), 0);
}

static void test_b64url_decode_reports_small_buffer(void **state)
{
	ar_err_t err = { 0 };
	uint8_t dec[2];
	size_t n;

	(void)state;
	assert_int_equal(ar_b64url_decode("Zm9vYmFy", 8, dec, sizeof(dec), &n, &err), -1);
	assert_int_equal(err.code, AR_ERR_TOO_LARGE);
	assert_int_equal(ar_b64url_encode("foobar", 6, (char *)dec, sizeof(dec)), -1);
}

static void test_b64url_roundtrips_every_length_and_byte(void **state)
{
	uint8_t in[260], *out;
	char *enc;
	size_t len, n, i;

	(void)state;
	for (i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 37 + 11);
	for (len = 0; len <= sizeof(in); len++) {
		enc = ar_b64url_encode_alloc(in, len);
		assert_non_null(enc);
		assert_int_equal(strlen(enc), ar_b64url_enc_len(len));
		assert_true(ar_b64url_dec_max(strlen(enc)) >= len);
		out = ar_b64url_decode_alloc(enc, strlen(enc), &n, NULL);
		assert_non_null(out);
		assert_int_equal(n, len);
		assert_memory_equal(out, in, len);
		assert_int_equal(out[n], 0);
		free(out);
		free(enc);
	}
}

static void test_b64_lenient_takes_both_alphabets_padded_or_not(void **state)
{
	uint8_t a[32], b[32];
	size_t la, lb;
	ar_err_t err = { 0 };
	char big[AR_B64_LENIENT_MAX + 8];

	(void)state;
	assert_int_equal(ar_b64_decode_lenient("3q2-7wAAAAAAAAAAAAAAAQ", a, sizeof(a), &la, NULL), 0);
	assert_int_equal(ar_b64_decode_lenient("3q2+7wAAAAAAAAAAAAAAAQ==", b, sizeof(b), &lb, NULL), 0);
	assert_int_equal(la, 16);
	assert_int_equal(lb, 16);
	assert_memory_equal(a, b, 16);
	assert_int_equal(ar_b64_decode_lenient("!!", a, sizeof(a), &la, &err), -1);
	assert_int_equal(err.code, AR_ERR_MALFORMED);
	assert_int_equal(ar_b64_decode_lenient("Zh", a, sizeof(a), &la, NULL), -1);
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(ar_b64_decode_lenient(big, a, sizeof(a), &la, &err), -1);
	assert_int_equal(err.code, AR_ERR_TOO_LARGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b64url_matches_rfc4648_vectors),
		cmocka_unit_test(test_b64url_uses_url_safe_alphabet),
		cmocka_unit_test(test_b64url_rejects_padding_and_standard_alphabet),
		cmocka_unit_test(test_b64url_rejects_impossible_length),
		cmocka_unit_test(test_b64url_rejects_noncanonical_trailing_bits),
		cmocka_unit_test(test_b64url_decode_reports_small_buffer),
		cmocka_unit_test(test_b64url_roundtrips_every_length_and_byte),
		cmocka_unit_test(test_b64_lenient_takes_both_alphabets_padded_or_not),
	};

	return cmocka_run_group_tests_name("b64", tests, NULL, NULL);
}
