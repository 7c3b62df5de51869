/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The metrics registry and its Prometheus text exposition (format 0.0.4):
 * escaping, cumulative buckets, bounded labels, cells moved by name. */
#include "config.h"

#include <pthread.h>

#include "testutil.h"
#include "metrics.h"

enum { M_REQ, M_LAT, M_LAG, M_DEC, M_N };

static const char *const outcomes[] = { "ok", "bad \"q\" \\ x\ny", "other", NULL };
static const char *const reasons[] = { "fresh", "late", "other", NULL };
static const double lat[] = { 0.001, 0.01, 0.1 };

static const ar_metric_def_t defs[] = {
	[M_REQ] = { "t_requests_total", AR_METRIC_COUNTER, "Requests,\nby \\outcome.",
		    { "outcome" }, { outcomes }, NULL, 0 },
	[M_LAT] = { "t_latency_seconds", AR_METRIC_HISTOGRAM, "Latency.", { NULL }, { NULL }, lat, 3 },
	[M_LAG] = { "t_lag_seconds", AR_METRIC_GAUGE, "Lag.", { NULL }, { NULL }, NULL, 0 },
	[M_DEC] = { "t_decisions_total", AR_METRIC_COUNTER, "Decisions.", { "outcome", "reason" },
		    { outcomes, reasons }, NULL, 0 },
};

static char *render(const ar_metrics_t *m)
{
	ar_buf_t b = AR_BUF_INIT(1 << 20);

	assert_int_equal(ar_metrics_render(m, &b), AR_OK);
	return ar_buf_steal(&b, NULL);
}

static void test_metrics_text_escapes_help_and_label_values(void **state)
{
	ar_metrics_t *m = ar_metrics_new(defs, M_N, NULL);
	char *t;

	(void)state;
	assert_non_null(m);
	ar_metrics_inc(m, M_REQ, 1, 0);
	t = render(m);
	assert_non_null(strstr(t, "# HELP t_requests_total Requests,\\nby \\\\outcome.\n"
				  "# TYPE t_requests_total counter\n"));
	assert_non_null(strstr(t, "t_requests_total{outcome=\"ok\"} 0\n"));
	assert_non_null(strstr(t, "t_requests_total{outcome=\"bad \\\"q\\\" \\\\ x\\ny\"} 1\n"));
	assert_non_null(strstr(t, "t_requests_total{outcome=\"other\"} 0\n"));
	assert_int_equal(t[strlen(t) - 1], '\n');	/* promtool needs the final newline */
	free(t);
	ar_metrics_free(m);
}

static void test_metrics_histogram_buckets_are_cumulative_with_inf_sum_count(void **state)
{
	ar_metrics_t *m = ar_metrics_new(defs, M_N, NULL);
	char *t;

	(void)state;
	ar_metrics_observe(m, M_LAT, 0, 0, 0.0005);
	ar_metrics_observe(m, M_LAT, 0, 0, 0.001);	/* le is inclusive */
	ar_metrics_observe(m, M_LAT, 0, 0, 0.05);
	ar_metrics_observe(m, M_LAT, 0, 0, 7.25);
	ar_metrics_observe(m, M_LAT, 0, 0, -1);		/* counts as 0 */
	t = render(m);
	assert_non_null(strstr(t, "# TYPE t_latency_seconds histogram\n"
				  "t_latency_seconds_bucket{le=\"0.001\"} 3\n"
				  "t_latency_seconds_bucket{le=\"0.01\"} 3\n"
				  "t_latency_seconds_bucket{le=\"0.1\"} 4\n"
				  "t_latency_seconds_bucket{le=\"+Inf\"} 5\n"
				  "t_latency_seconds_sum 7.3015\n"
				  "t_latency_seconds_count 5\n"));
	free(t);
	ar_metrics_free(m);
}

static void test_metrics_gauge_keeps_fractions_and_sign(void **state)
{
	ar_metrics_t *m = ar_metrics_new(defs, M_N, NULL);
	char *t;

	(void)state;
	ar_metrics_set(m, M_LAG, 0, 0, -2.5);
	t = render(m);
	assert_non_null(strstr(t, "\nt_lag_seconds -2.5\n"));
	free(t);
	ar_metrics_set(m, M_LAG, 0, 0, 3);
	t = render(m);
	assert_non_null(strstr(t, "\nt_lag_seconds 3\n"));
	free(t);
	ar_metrics_free(m);
}

static void test_metrics_unknown_label_value_counts_as_other_not_a_new_series(void **state)
{
	ar_metrics_t *m = ar_metrics_new(defs, M_N, NULL);
	char *t;

	(void)state;
	assert_int_equal(ar_metrics_label(m, M_REQ, 0, "ok"), 0);
	assert_int_equal(ar_metrics_label(m, M_REQ, 0, "attacker-chosen"), 2);
	assert_int_equal(ar_metrics_label(m, M_REQ, 0, NULL), 2);
	ar_metrics_inc(m, M_REQ, ar_metrics_label(m, M_REQ, 0, "attacker-chosen"), 0);
	ar_metrics_inc(m, M_REQ, 99, 99);	/* out of range: the catch-all */
	t = render(m);
	assert_null(strstr(t, "attacker"));
	assert_non_null(strstr(t, "t_requests_total{outcome=\"other\"} 2\n"));
	free(t);
	ar_metrics_free(m);
}

static void test_metrics_two_label_family_shows_only_series_that_moved(void **state)
{
	ar_metrics_t *m = ar_metrics_new(defs, M_N, NULL);
	char *t;

	(void)state;
	t = render(m);
	assert_non_null(strstr(t, "# TYPE t_decisions_total counter\n"));
	assert_null(strstr(t, "t_decisions_total{"));
	free(t);
	ar_metrics_add(m, M_DEC, 0, 1, 4);
	t = render(m);
	assert_non_null(strstr(t, "t_decisions_total{outcome=\"ok\",reason=\"late\"} 4\n"));
	assert_null(strstr(t, "reason=\"fresh\""));
	free(t);
	ar_metrics_free(m);
}

static void test_metrics_definitions_that_break_the_format_are_refused(void **state)
{
	static const char *const none[] = { NULL };
	static const double down[] = { 1, 0.5 };
	const ar_metric_def_t bad[] = {
		{ "t_requests", AR_METRIC_COUNTER, "no _total", { NULL }, { NULL }, NULL, 0 },
		{ "t-x_total", AR_METRIC_COUNTER, "dash", { NULL }, { NULL }, NULL, 0 },
		{ "t_h", AR_METRIC_HISTOGRAM, "le label", { "le" }, { outcomes }, lat, 3 },
		{ "t_h", AR_METRIC_HISTOGRAM, "descending", { NULL }, { NULL }, down, 2 },
		{ "t_x_total", AR_METRIC_COUNTER, "no values", { "a" }, { none }, NULL, 0 },
		{ "t_x_total", AR_METRIC_COUNTER, "label1 alone", { NULL, "a" }, { NULL, outcomes },
		  NULL, 0 },
	};
	ar_err_t err = { 0 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		assert_null(ar_metrics_new(&bad[i], 1, &err));
		assert_int_equal(err.code, AR_ERR_CONFIG);
	}
}

static void test_metrics_cells_move_by_name_into_another_registry(void **state)
{
	ar_metrics_t *a = ar_metrics_new(defs, M_N, NULL), *b = ar_metrics_new(defs, M_N, NULL);
	size_t i, n = ar_metrics_ncells(a);
	uint64_t *v = calloc(n, sizeof(*v));
	char name[AR_METRIC_CELL_MAX], *ta, *tb;
	ar_err_t err = { 0 };

	(void)state;
	ar_metrics_add(a, M_DEC, 1, 2, 3);
	ar_metrics_inc(a, M_REQ, 0, 0);
	ar_metrics_observe(a, M_LAT, 0, 0, 0.02);
	ar_metrics_set(a, M_LAG, 0, 0, 9);	/* gauges do not move */
	ar_metrics_snapshot(a, v);
	for (i = 0; i < n; i++) {
		if (ar_metrics_cell_name(a, i, name, sizeof(name)) < 0)
			continue;
		if (v[i])
			assert_int_equal(ar_metrics_cell_add(b, name, v[i], &err), 0);
	}
	ar_metrics_set(b, M_LAG, 0, 0, 9);
	ta = render(a);
	tb = render(b);
	assert_string_equal(ta, tb);
	assert_int_equal(ar_metrics_cell_add(b, "t_decisions_total|ok|nope|", 1, &err), -1);
	assert_int_equal(err.code, AR_ERR_MALFORMED);
	assert_int_equal(ar_metrics_cell_add(b, "t_latency_seconds|||b4", 1, &err), -1);
	assert_int_equal(ar_metrics_cell_add(b, "t_lag_seconds|||", 1, &err), -1);
	assert_int_equal(ar_metrics_cell_add(b, "t_requests_total|ok", 1, &err), -1);
	assert_int_equal(ar_metrics_cell_add(b, "t_latency_seconds|||b3", 1, &err), 0);
	free(ta);
	free(tb);
	free(v);
	ar_metrics_free(a);
	ar_metrics_free(b);
}

static void *hammer(void *arg)
{
	int i;

	for (i = 0; i < 100000; i++) {
		ar_metrics_inc(arg, M_REQ, 0, 0);
		ar_metrics_observe(arg, M_LAT, 0, 0, 0.002);
	}
	return NULL;
}

static void test_metrics_threads_lose_no_increment(void **state)
{
	ar_metrics_t *m = ar_metrics_new(defs, M_N, NULL);
	pthread_t th[4];
	char *t;
	int i;

	(void)state;
	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, hammer, m), 0);
	for (i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	t = render(m);
	assert_non_null(strstr(t, "t_requests_total{outcome=\"ok\"} 400000\n"));
	assert_non_null(strstr(t, "t_latency_seconds_count 400000\n"));
	assert_non_null(strstr(t, "t_latency_seconds_sum 800\n"));
	free(t);
	ar_metrics_free(m);
}

static void test_prom_sample_and_family_for_values_read_elsewhere(void **state)
{
	ar_buf_t b = AR_BUF_INIT(4096);
	const char *const l[] = { "stream", "ev\"ents" };

	(void)state;
	assert_int_equal(ar_prom_family(&b, "t_len", AR_METRIC_GAUGE, "Length."), AR_OK);
	assert_int_equal(ar_prom_sample(&b, "t_len", l, 1, 12), AR_OK);
	assert_int_equal(ar_prom_sample(&b, "t_len", NULL, 0, 0.25), AR_OK);
	assert_string_equal(b.data, "# HELP t_len Length.\n# TYPE t_len gauge\n"
			    "t_len{stream=\"ev\\\"ents\"} 12\nt_len 0.25\n");
	ar_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_metrics_text_escapes_help_and_label_values),
		cmocka_unit_test(test_metrics_histogram_buckets_are_cumulative_with_inf_sum_count),
		cmocka_unit_test(test_metrics_gauge_keeps_fractions_and_sign),
		cmocka_unit_test(test_metrics_unknown_label_value_counts_as_other_not_a_new_series),
		cmocka_unit_test(test_metrics_two_label_family_shows_only_series_that_moved),
		cmocka_unit_test(test_metrics_definitions_that_break_the_format_are_refused),
		cmocka_unit_test(test_metrics_cells_move_by_name_into_another_registry),
		cmocka_unit_test(test_metrics_threads_lose_no_increment),
		cmocka_unit_test(test_prom_sample_and_family_for_values_read_elsewhere),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
