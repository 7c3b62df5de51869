/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The growable buffer: its cap holds exactly, sizes never wrap, a failed
 * allocation leaves the bytes as they were. lib/buf.c is linked into this
 * program with realloc wrapped (-Wl,--wrap=realloc) to inject failures.
 */
#include "config.h"

#include "testutil.h"
#include "buf.h"

void *__real_realloc(void *p, size_t n);
void *__wrap_realloc(void *p, size_t n);

static int fail_realloc;	/* the next realloc fails */
static size_t reallocs;

void *__wrap_realloc(void *p, size_t n)
{
	if (fail_realloc) {
		fail_realloc = 0;
		return NULL;
	}
	reallocs++;
	return __real_realloc(p, n);
}

static void test_buf_append_past_the_cap_is_refused_and_keeps_the_bytes(void **state)
{
	ar_buf_t b = AR_BUF_INIT(10);

	(void)state;
	assert_int_equal(ar_buf_append(&b, "0123456789", 10), AR_OK);
	assert_int_equal(ar_buf_append(&b, "x", 1), AR_ERR_TOO_LARGE);
	assert_int_equal(ar_buf_printf(&b, "%d", 7), AR_ERR_TOO_LARGE);
	assert_int_equal(ar_buf_reserve(&b, 1), AR_ERR_TOO_LARGE);
	assert_int_equal(b.len, 10);
	assert_string_equal(b.data, "0123456789");
	assert_true(b.cap <= 11);	/* never allocated past the cap and its NUL */
	assert_int_equal(ar_buf_append(&b, NULL, 0), AR_OK);
	ar_buf_free(&b);
}

static void test_buf_cap_of_zero_holds_nothing(void **state)
{
	ar_buf_t b = AR_BUF_INIT(0);

	(void)state;
	assert_int_equal(ar_buf_append(&b, "a", 1), AR_ERR_TOO_LARGE);
	assert_int_equal(ar_buf_append(&b, "", 0), AR_OK);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	ar_buf_free(&b);
}

static void test_buf_size_that_would_wrap_is_refused_without_allocating(void **state)
{
	ar_buf_t b = AR_BUF_INIT(AR_BUF_UNBOUNDED);

	(void)state;
	assert_int_equal(ar_buf_append(&b, "abc", 3), AR_OK);
	reallocs = 0;
	assert_int_equal(ar_buf_reserve(&b, SIZE_MAX), AR_ERR_TOO_LARGE);
	assert_int_equal(ar_buf_reserve(&b, SIZE_MAX - 3), AR_ERR_TOO_LARGE);
	assert_int_equal(ar_buf_printf(&b, "%s", ""), AR_OK);
	assert_int_equal(reallocs, 0);
	assert_int_equal(b.len, 3);
	assert_string_equal(b.data, "abc");
	ar_buf_free(&b);
}

static void test_buf_failed_allocation_leaves_the_bytes_intact(void **state)
{
	ar_buf_t b = AR_BUF_INIT(1 << 20);
	char big[200];

	(void)state;
	memset(big, 'y', sizeof(big));
	assert_int_equal(ar_buf_append(&b, "kept", 4), AR_OK);
	fail_realloc = 1;
	assert_int_equal(ar_buf_append(&b, big, sizeof(big)), AR_ERR_NOMEM);
	assert_int_equal(b.len, 4);
	assert_string_equal(b.data, "kept");
	fail_realloc = 1;
	assert_int_equal(ar_buf_printf(&b, "%0200d", 1), AR_ERR_NOMEM);
	assert_string_equal(b.data, "kept");
	assert_int_equal(ar_buf_append(&b, big, sizeof(big)), AR_OK);
	assert_int_equal(b.len, 204);
	ar_buf_free(&b);
}

static void test_buf_grows_by_doubling_and_stays_nul_terminated(void **state)
{
	ar_buf_t b = AR_BUF_INIT(AR_BUF_UNBOUNDED);
	size_t i;

	(void)state;
	reallocs = 0;
	for (i = 0; i < 100000; i++) {
		char ch = (char)('a' + i % 26);

		assert_int_equal(ar_buf_append(&b, &ch, 1), AR_OK);
		assert_int_equal(b.data[b.len], '\0');
	}
	assert_int_equal(b.len, 100000);
	assert_int_equal(b.data[99999], 'a' + 99999 % 26);
	assert_true(reallocs <= 12);	/* 64 doubled to 128 Ki: 12 allocations */
	ar_buf_free(&b);
}

static void test_buf_printf_appends_formatted_text(void **state)
{
	ar_buf_t b = AR_BUF_INIT(64);

	(void)state;
	assert_int_equal(ar_buf_printf(&b, "%s=%d", "a", 1), AR_OK);
	assert_int_equal(ar_buf_printf(&b, " %s=%d", "b", -2), AR_OK);
	assert_int_equal(ar_buf_printf(&b, "%s", ""), AR_OK);
	assert_string_equal(b.data, "a=1 b=-2");
	assert_int_equal(b.len, 8);
	ar_buf_free(&b);
}

static void test_buf_steal_hands_over_the_bytes_and_empties_the_buffer(void **state)
{
	ar_buf_t b = AR_BUF_INIT(16);
	size_t len = 99;
	char *text;

	(void)state;
	text = ar_buf_steal(&b, &len);	/* nothing held: an allocated "" */
	assert_non_null(text);
	assert_string_equal(text, "");
	assert_int_equal(len, 0);
	free(text);

	assert_int_equal(ar_buf_append(&b, "body", 4), AR_OK);
	text = ar_buf_steal(&b, &len);
	assert_string_equal(text, "body");
	assert_int_equal(len, 4);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	assert_int_equal(b.max, 16);	/* the cap stays */
	free(text);
	assert_int_equal(ar_buf_append(&b, "0123456789abcdefg", 17), AR_ERR_TOO_LARGE);
	ar_buf_free(&b);
}

static void test_buf_reset_forgets_the_bytes_and_keeps_the_memory(void **state)
{
	ar_buf_t b;
	char *mem;

	(void)state;
	ar_buf_init(&b, 100);
	assert_int_equal(ar_buf_append(&b, "first", 5), AR_OK);
	mem = b.data;
	ar_buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	reallocs = 0;
	assert_int_equal(ar_buf_append(&b, "again", 5), AR_OK);
	assert_ptr_equal(b.data, mem);
	assert_int_equal(reallocs, 0);
	assert_string_equal(b.data, "again");
	ar_buf_free(&b);
	ar_buf_free(&b);	/* twice is harmless */
	assert_null(b.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_append_past_the_cap_is_refused_and_keeps_the_bytes),
		cmocka_unit_test(test_buf_cap_of_zero_holds_nothing),
		cmocka_unit_test(test_buf_size_that_would_wrap_is_refused_without_allocating),
		cmocka_unit_test(test_buf_failed_allocation_leaves_the_bytes_intact),
		cmocka_unit_test(test_buf_grows_by_doubling_and_stays_nul_terminated),
		cmocka_unit_test(test_buf_printf_appends_formatted_text),
		cmocka_unit_test(test_buf_steal_hands_over_the_bytes_and_empties_the_buffer),
		cmocka_unit_test(test_buf_reset_forgets_the_bytes_and_keeps_the_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
