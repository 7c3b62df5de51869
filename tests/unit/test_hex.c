/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The hex encoder and decoder: every byte value, both cases, and what is refused. */
#include "config.h"

#include "testutil.h"
#include "hex.h"

static void test_hex_encodes_every_byte_value_lower_case(void **state)
{
	unsigned char all[256];
	char out[AR_HEX_SIZE(256)], pair[3] = { 0 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(all); i++)
		all[i] = (unsigned char)i;
	assert_int_equal(ar_hex_encode(all, sizeof(all), out, sizeof(out), NULL), 0);
	assert_int_equal(strlen(out), 512);
	assert_int_equal(strspn(out, "0123456789abcdef"), 512);
	for (i = 0; i < sizeof(all); i++) {	/* read back by the C library */
		memcpy(pair, out + 2 * i, 2);
		assert_int_equal(strtoul(pair, NULL, 16), i);
	}
}

static void test_hex_upper_case_for_percent_encoding(void **state)
{
	const unsigned char b[] = { 0x00, 0x2f, 0xab, 0xff };
	char out[AR_HEX_SIZE(sizeof(b))];

	(void)state;
	assert_int_equal(ar_hex_encode_upper(b, sizeof(b), out, sizeof(out), NULL), 0);
	assert_string_equal(out, "002FABFF");
	assert_int_equal(ar_hex_encode(b, sizeof(b), out, sizeof(out), NULL), 0);
	assert_string_equal(out, "002fabff");
}

static void test_hex_buffer_one_byte_short_refused_and_untouched(void **state)
{
	const unsigned char b[] = { 0xde, 0xad, 0xbe, 0xef };
	char out[AR_HEX_SIZE(sizeof(b))];
	ar_err_t err = { 0 };

	(void)state;
	memset(out, '#', sizeof(out));
	assert_int_equal(ar_hex_encode(b, sizeof(b), out, sizeof(out) - 1, &err), -1);
	assert_err(&err, AR_ERR_TOO_LARGE, "too small");
	assert_int_equal(out[0], '#');
	assert_int_equal(out[sizeof(out) - 1], '#');
	assert_int_equal(ar_hex_encode(b, SIZE_MAX / 2 + 1, out, sizeof(out), NULL), -1);
	assert_int_equal(out[0], '#');
	assert_int_equal(ar_hex_encode(b, 0, out, 1, NULL), 0);	/* nothing: "" */
	assert_string_equal(out, "");
}

static void test_hex_decode_reads_back_every_byte_value_either_case(void **state)
{
	unsigned char all[256], back[256];
	char out[AR_HEX_SIZE(256)];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(all); i++)
		all[i] = (unsigned char)i;
	assert_int_equal(ar_hex_encode_upper(all, sizeof(all), out, sizeof(out), NULL), 0);
	assert_int_equal(ar_hex_decode(out, strlen(out), back, sizeof(back)), 256);
	assert_memory_equal(all, back, sizeof(all));
	assert_int_equal(ar_hex_decode("aB0f", 4, back, 2), 2);
	assert_int_equal(back[0], 0xab);
	assert_int_equal(back[1], 0x0f);
	assert_int_equal(ar_hex_digit('F'), 15);
	assert_int_equal(ar_hex_digit('g'), -1);
}

static void test_hex_decode_refuses_odd_length_non_digits_and_overflow(void **state)
{
	unsigned char b[4];

	(void)state;
	assert_int_equal(ar_hex_decode("abc", 3, b, sizeof(b)), -1);
	assert_int_equal(ar_hex_decode("0g", 2, b, sizeof(b)), -1);
	assert_int_equal(ar_hex_decode("00 1", 4, b, sizeof(b)), -1);
	assert_int_equal(ar_hex_decode("0011223344", 10, b, sizeof(b)), -1);
	assert_int_equal(ar_hex_decode("", 0, b, sizeof(b)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hex_encodes_every_byte_value_lower_case),
		cmocka_unit_test(test_hex_upper_case_for_percent_encoding),
		cmocka_unit_test(test_hex_decode_reads_back_every_byte_value_either_case),
		cmocka_unit_test(test_hex_decode_refuses_odd_length_non_digits_and_overflow),
		cmocka_unit_test(test_hex_buffer_one_byte_short_refused_and_untouched),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
