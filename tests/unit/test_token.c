/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the self-authenticating tokens. */
#include "config.h"

#include "testutil.h"
#include "token.h"

static const uint8_t key[AR_TOKEN_KEY_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
static const uint8_t other[AR_TOKEN_KEY_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 11 };

static void test_token_roundtrip_keeps_data(void **state)
{
	const uint8_t data[] = "nonce-and-expiry";
	uint8_t out[AR_TOKEN_DATA_MAX];
	char tok[256];
	size_t len;

	(void)state;
	assert_int_equal(ar_token_seal(key, data, sizeof(data), tok, sizeof(tok)), 0);
	assert_null(strpbrk(tok, "+/="));
	assert_int_equal(ar_token_open(key, tok, out, sizeof(out), &len), 0);
	assert_int_equal(len, sizeof(data));
	assert_memory_equal(out, data, len);
	assert_int_equal(ar_token_seal(key, data, 0, tok, sizeof(tok)), 0);
	assert_int_equal(ar_token_open(key, tok, out, sizeof(out), &len), 0);
	assert_int_equal(len, 0);
}

/*
 * Known answers: data, then HMAC-SHA256 truncated to 16 bytes, base64url.
 * Replicas of different versions share tokens, so the MAC never changes.
 * Two keys in turn, each twice: the keyed contexts are kept per key.
 */
static void test_token_is_hmac_sha256_of_its_data(void **state)
{
	const uint8_t data[] = "nonce-and-expiry";
	char tok[256];
	int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		assert_int_equal(ar_token_seal(key, data, sizeof(data) - 1, tok, sizeof(tok)), 0);
		assert_string_equal(tok, "bm9uY2UtYW5kLWV4cGlyeYaSwQyB-EYIQbY0FOA7ISs");
		assert_int_equal(ar_token_seal(other, data, sizeof(data) - 1, tok, sizeof(tok)), 0);
		assert_string_equal(tok, "bm9uY2UtYW5kLWV4cGlyeQjTsJer7QQpMU6PBj2vIJ4");
	}
	/* More keys than are kept keyed: each still seals and opens its own tokens only. */
	for (i = 0; i < 8; i++) {
		uint8_t k[AR_TOKEN_KEY_LEN] = { (uint8_t)(100 + i) }, out[32];
		size_t len;

		assert_int_equal(ar_token_seal(k, data, sizeof(data), tok, sizeof(tok)), 0);
		assert_int_equal(ar_token_open(k, tok, out, sizeof(out), &len), 0);
		assert_int_equal(len, sizeof(data));
		assert_int_equal(ar_token_open(key, tok, out, sizeof(out), &len), -1);
	}
	assert_int_equal(ar_token_seal(key, data, sizeof(data) - 1, tok, sizeof(tok)), 0);
	assert_string_equal(tok, "bm9uY2UtYW5kLWV4cGlyeYaSwQyB-EYIQbY0FOA7ISs");
}

static void test_token_refuses_other_key_and_any_altered_character(void **state)
{
	const uint8_t data[24] = { 0 };
	uint8_t out[AR_TOKEN_DATA_MAX];
	char tok[256], bad[256];
	size_t len, i;

	(void)state;
	assert_int_equal(ar_token_seal(key, data, sizeof(data), tok, sizeof(tok)), 0);
	assert_int_equal(ar_token_open(other, tok, out, sizeof(out), &len), -1);
	for (i = 0; i < strlen(tok); i++) {
		memcpy(bad, tok, strlen(tok) + 1);
		bad[i] = bad[i] == 'A' ? 'B' : 'A';
		if (ar_token_open(key, bad, out, sizeof(out), &len) == 0)
			fail_msg("altered character %zu accepted", i);
	}
}

static void test_token_refuses_truncated_empty_and_oversized(void **state)
{
	const uint8_t data[AR_TOKEN_DATA_MAX + 1] = { 0 };
	uint8_t out[8];
	char tok[512];
	size_t len, n;

	(void)state;
	assert_int_equal(ar_token_seal(key, data, AR_TOKEN_DATA_MAX + 1, tok, sizeof(tok)), -1);
	assert_int_equal(ar_token_seal(key, data, 16, tok, sizeof(tok)), 0);
	for (n = 0; n < strlen(tok); n++) {
		char cut[512];

		memcpy(cut, tok, n);
		cut[n] = '\0';
		assert_int_equal(ar_token_open(key, cut, out, sizeof(out), &len), -1);
	}
	/* Data longer than the caller's buffer. */
	assert_int_equal(ar_token_open(key, tok, out, sizeof(out), &len), -1);
	assert_int_equal(ar_token_seal(key, data, 16, tok, 8), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_roundtrip_keeps_data),
		cmocka_unit_test(test_token_is_hmac_sha256_of_its_data),
		cmocka_unit_test(test_token_refuses_other_key_and_any_altered_character),
		cmocka_unit_test(test_token_refuses_truncated_empty_and_oversized),
	};

	return cmocka_run_group_tests_name("token", tests, NULL, NULL);
}
