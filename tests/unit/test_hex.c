/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The hex encoder: every byte value, both cases, and a buffer too small. */
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hex_encodes_every_byte_value_lower_case),
		cmocka_unit_test(test_hex_upper_case_for_percent_encoding),
		cmocka_unit_test(test_hex_buffer_one_byte_short_refused_and_untouched),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
