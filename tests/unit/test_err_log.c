/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the error record and the log lines. */
#include "config.h"

#include <unistd.h>

#include "testutil.h"
#include "log.h"

static void test_err_set_returns_minus_one_and_formats(void **state)
{
	ar_err_t err = { 0 };

	(void)state;
	assert_int_equal(ar_err_set(&err, AR_ERR_MALFORMED, "field %s at %d", "x", 7), -1);
	assert_int_equal(err.code, AR_ERR_MALFORMED);
	assert_string_equal(err.msg, "field x at 7");
}

static void test_err_prefix_adds_context_and_stays_bounded(void **state)
{
	ar_err_t err = { 0 };
	char longmsg[400];

	(void)state;
	ar_err_set(&err, AR_ERR_IO, "inner");
	ar_err_prefix(&err, "outer %d: ", 2);
	assert_string_equal(err.msg, "outer 2: inner");
	assert_int_equal(err.code, AR_ERR_IO);

	memset(longmsg, 'a', sizeof(longmsg) - 1);
	longmsg[sizeof(longmsg) - 1] = '\0';
	ar_err_set(&err, AR_ERR_IO, "%s", longmsg);
	ar_err_prefix(&err, "ctx: ");
	assert_int_equal(strlen(err.msg), sizeof(err.msg) - 1);
	assert_memory_equal(err.msg, "ctx: aaa", 8);
}

static void test_err_null_record_is_accepted(void **state)
{
	(void)state;
	assert_int_equal(ar_err_set(NULL, AR_ERR_IO, "ignored"), -1);
	assert_int_equal(ar_err_prefix(NULL, "x"), -1);
	ar_err_clear(NULL);
}

static void test_errc_names_are_distinct(void **state)
{
	int i, j;

	(void)state;
	for (i = AR_OK; i <= AR_ERR_UNREPLICATED; i++)
		for (j = i + 1; j <= AR_ERR_UNREPLICATED; j++)
			assert_string_not_equal(ar_errc_name((ar_errc_t)i), ar_errc_name((ar_errc_t)j));
	assert_string_equal(ar_errc_name((ar_errc_t)999), "unknown");
}

struct captured {
	char	line[2048];
	int	count;
};

static void capture(void *ctx, ar_log_level_t level, const char *line)
{
	struct captured *c = ctx;

	(void)level;
	snprintf(c->line, sizeof(c->line), "%s", line);
	c->count++;
}

static void test_log_line_has_timestamp_level_and_program(void **state)
{
	struct captured c = { .count = 0 };

	(void)state;
	ar_log_setup("test-prog", AR_LOG_INFO, 2);
	ar_log_set_sink(capture, &c);
	ar_info("event=unit.test device=%s n=%d", "dev1", 3);
	ar_log_set_sink(NULL, NULL);
	assert_int_equal(c.count, 1);
	assert_memory_equal(c.line, "ts=", 3);
	assert_non_null(strstr(c.line, "Z level=info prog=test-prog event=unit.test device=dev1 n=3"));
}

static void test_log_drops_lines_below_minimum_level(void **state)
{
	struct captured c = { .count = 0 };

	(void)state;
	ar_log_setup("test-prog", AR_LOG_WARN, 2);
	ar_log_set_sink(capture, &c);
	ar_debug("event=a");
	ar_info("event=b");
	ar_warn("event=c");
	ar_error("event=d");
	ar_log_set_sink(NULL, NULL);
	assert_int_equal(c.count, 2);
	assert_non_null(strstr(c.line, "level=error"));
	assert_false(ar_log_enabled(AR_LOG_INFO));
}

static void test_log_neutralises_line_breaks_in_values(void **state)
{
	struct captured c = { .count = 0 };

	(void)state;
	ar_log_setup("test-prog", AR_LOG_DEBUG, 2);
	ar_log_set_sink(capture, &c);
	ar_info("event=x user=%s", "evil\nts=forged level=error");
	ar_log_set_sink(NULL, NULL);
	assert_null(strchr(c.line, '\n'));
	assert_non_null(strstr(c.line, "user=evil?ts=forged"));
}

static void test_log_writes_exactly_one_line_to_descriptor(void **state)
{
	char buf[4096];
	int fds[2];
	ssize_t n;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	ar_log_setup("fd-prog", AR_LOG_INFO, fds[1]);
	ar_info("event=fd.test k=v");
	n = read(fds[0], buf, sizeof(buf) - 1);
	close(fds[0]);
	close(fds[1]);
	ar_log_setup("acme-rats", AR_LOG_INFO, 2);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_int_equal(buf[n - 1], '\n');
	assert_ptr_equal(strchr(buf, '\n'), buf + n - 1);
	assert_non_null(strstr(buf, "prog=fd-prog event=fd.test k=v"));
}

static void test_log_q_quotes_only_when_needed(void **state)
{
	char buf[64];

	(void)state;
	assert_string_equal(ar_log_q(buf, sizeof(buf), "plain-value"), "plain-value");
	assert_string_equal(ar_log_q(buf, sizeof(buf), "two words"), "\"two words\"");
	assert_string_equal(ar_log_q(buf, sizeof(buf), "a\"b\\c"), "\"a\\\"b\\\\c\"");
	assert_string_equal(ar_log_q(buf, sizeof(buf), "k=v"), "\"k=v\"");
	assert_string_equal(ar_log_q(buf, sizeof(buf), ""), "\"\"");
	assert_string_equal(ar_log_q(buf, sizeof(buf), NULL), "-");
	assert_string_equal(ar_log_q(buf, sizeof(buf), "tab\there"), "\"tab?here\"");
}

static void test_log_q_truncates_within_buffer(void **state)
{
	char buf[8];

	(void)state;
	ar_log_q(buf, sizeof(buf), "a b c d e f g h");
	assert_true(strlen(buf) < sizeof(buf));
	assert_int_equal(buf[0], '"');
	assert_int_equal(buf[strlen(buf) - 1], '"');
	ar_log_q(buf, 2, "x y");
	assert_string_equal(buf, "");
}

static void test_log_level_parse_accepts_names_only(void **state)
{
	ar_log_level_t l;

	(void)state;
	assert_int_equal(ar_log_level_parse("debug", &l), 0);
	assert_int_equal(l, AR_LOG_DEBUG);
	assert_int_equal(ar_log_level_parse("WARNING", &l), 0);
	assert_int_equal(l, AR_LOG_WARN);
	assert_int_equal(ar_log_level_parse("error", &l), 0);
	assert_int_equal(l, AR_LOG_ERROR);
	assert_int_equal(ar_log_level_parse("verbose", &l), -1);
	assert_int_equal(ar_log_level_parse(NULL, &l), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_err_set_returns_minus_one_and_formats),
		cmocka_unit_test(test_err_prefix_adds_context_and_stays_bounded),
		cmocka_unit_test(test_err_null_record_is_accepted),
		cmocka_unit_test(test_errc_names_are_distinct),
		cmocka_unit_test(test_log_line_has_timestamp_level_and_program),
		cmocka_unit_test(test_log_drops_lines_below_minimum_level),
		cmocka_unit_test(test_log_neutralises_line_breaks_in_values),
		cmocka_unit_test(test_log_writes_exactly_one_line_to_descriptor),
		cmocka_unit_test(test_log_q_quotes_only_when_needed),
		cmocka_unit_test(test_log_q_truncates_within_buffer),
		cmocka_unit_test(test_log_level_parse_accepts_names_only),
	};

	return cmocka_run_group_tests_name("err_log", tests, NULL, NULL);
}
