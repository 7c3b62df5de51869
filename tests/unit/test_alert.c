/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SIEM alert mapping rules and the syslog line of an event: what a hostile
 * alert or a hostile event field must not achieve (forged log lines, a
 * second syslog record, a CEF field of its own, a parser run deep).
 */
#include "config.h"

#include "testutil.h"
#include "alert.h"
#include "event_syslog.h"

static ar_alert_rules_t *rules(const char *text)
{
	ar_err_t err = { 0 };
	ar_alert_rules_t *r = ar_alert_rules_parse(text, strlen(text), &err);

	if (!r)
		fail_msg("rules: %s", err.msg);
	return r;
}

static void test_alert_paths_find_flattened_and_nested_keys(void **state)
{
	ar_alert_rules_t *r = ar_alert_rules_load("elastic", NULL);
	const char *flat = "{\"kibana.alert.uuid\": \"u1\", \"kibana.alert.severity\": \"HIGH\","
			   " \"host\": {\"ip\": [\"10.0.0.001\", \"10.0.0.2\"]}}";
	const char *nested = "{\"kibana\": {\"alert\": {\"uuid\": \"u2\", \"severity\": \"medium\"}},"
			     " \"host\": {\"name\": \"Inspector-7\", \"ip\": [\"::FFFF:10.0.0.1\"]}}";
	ar_alert_t a;
	ar_err_t err = { 0 };

	(void)state;
	assert_non_null(r);
	/* "10.0.0.001" is no address: the only reference is refused */
	assert_int_equal(ar_alert_map(r, flat, strlen(flat), &a, &err), -1);
	assert_err(&err, AR_ERR_NOT_FOUND, "no device field");
	assert_int_equal(ar_alert_map(r, nested, strlen(nested), &a, &err), 0);
	assert_string_equal(a.id, "u2");
	assert_int_equal(a.status, AR_STATUS_WARNING);
	assert_int_equal(a.nrefs, 2);
	assert_int_equal(a.refs[0].by, AR_ALERT_BY_HOSTNAME);
	assert_string_equal(a.refs[0].value, "inspector-7");		/* lower case */
	assert_int_equal(a.refs[1].by, AR_ALERT_BY_IP);
	assert_string_equal(a.refs[1].value, "::ffff:10.0.0.1");	/* canonical */
	assert_string_equal(a.reason, "alert u2");
	ar_alert_rules_free(r);
}

static void test_alert_reason_control_bytes_cannot_forge_log_lines(void **state)
{
	ar_alert_rules_t *r = rules("{\"alert_id\": [\"id\"], \"device\": [{\"path\": \"d\","
				    " \"by\": \"device\"}], \"reason\": [\"why\"],"
				    " \"verdict\": {\"value\": \"flag\"}}");
	const char *body = "{\"id\": 7, \"d\": \"SUB-1\", \"why\": \"ok\\nevent=soc.clear device=SUB-2\\r\"}";
	ar_alert_t a;

	(void)state;
	assert_int_equal(ar_alert_map(r, body, strlen(body), &a, NULL), 0);
	assert_string_equal(a.id, "7");
	assert_int_equal(a.status, AR_STATUS_CONTRAINDICATED);
	assert_null(strchr(a.reason, '\n'));
	assert_null(strchr(a.reason, '\r'));
	assert_string_equal(a.reason, "ok event=soc.clear device=SUB-2 ");
	ar_alert_rules_free(r);
}

static void test_alert_device_reference_with_space_or_nul_refused(void **state)
{
	ar_alert_rules_t *r = rules("{\"alert_id\": [\"id\"], \"device\": [{\"path\": \"d\","
				    " \"by\": \"device\"}], \"verdict\": {\"value\": \"warning\"}}");
	const char *space = "{\"id\": \"1\", \"d\": \"SUB-1 SUB-2\"}";
	const char *nul = "{\"id\": \"1\", \"d\": \"SUB-1\\u0000x\"}";
	const char *id_nul = "{\"id\": \"1\\u0000\", \"d\": \"SUB-1\"}";
	ar_alert_t a;
	ar_err_t err = { 0 };

	(void)state;
	assert_int_equal(ar_alert_map(r, space, strlen(space), &a, &err), -1);
	assert_err(&err, AR_ERR_NOT_FOUND, "no device field");
	assert_int_equal(ar_alert_map(r, nul, strlen(nul), &a, &err), -1);
	assert_err(&err, AR_ERR_MALFORMED, "not allowed");	/* jansson refuses \u0000 */
	assert_int_equal(ar_alert_map(r, id_nul, strlen(id_nul), &a, &err), -1);
	assert_err(&err, AR_ERR_MALFORMED, "not allowed");
	ar_alert_rules_free(r);
}

static void test_alert_nested_too_deep_or_too_large_refused(void **state)
{
	ar_alert_rules_t *r = ar_alert_rules_load("wazuh", NULL);
	char deep[200], *big;
	ar_alert_t a;
	ar_err_t err = { 0 };

	(void)state;
	memset(deep, '[', 100);
	memset(deep + 100, ']', 100);
	assert_int_equal(ar_alert_map(r, deep, sizeof(deep), &a, &err), -1);
	assert_err(&err, AR_ERR_TOO_LARGE, "deeper");
	big = calloc(1, AR_ALERT_BODY_MAX + 2);
	assert_non_null(big);
	memset(big, ' ', AR_ALERT_BODY_MAX + 1);
	assert_int_equal(ar_alert_map(r, big, AR_ALERT_BODY_MAX + 1, &a, &err), -1);
	assert_err(&err, AR_ERR_TOO_LARGE, "larger");
	free(big);
	assert_int_equal(ar_alert_map(r, "[1]", 3, &a, &err), -1);
	assert_err(&err, AR_ERR_MALFORMED, "object");
	ar_alert_rules_free(r);
}

static void test_alert_rules_refuse_unknown_members_and_words(void **state)
{
	const char *bad[] = {
		"{\"alert_id\": [\"id\"], \"device\": [{\"path\": \"d\", \"by\": \"mac\"}],"
		" \"verdict\": {\"value\": \"flag\"}}",
		"{\"alert_id\": [\"id\"], \"device\": [{\"path\": \"d\", \"by\": \"ip\"}],"
		" \"verdict\": {\"value\": \"quarantine\"}}",
		"{\"alert_id\": [\"id\"], \"device\": [{\"path\": \"d\", \"by\": \"ip\"}],"
		" \"verdict\": {\"value\": \"flag\"}, \"extra\": 1}",
		"{\"alert_id\": [\"a..b\"], \"device\": [{\"path\": \"d\", \"by\": \"ip\"}],"
		" \"verdict\": {\"value\": \"flag\"}}",
		"{\"alert_id\": [\"a[x]\"], \"device\": [{\"path\": \"d\", \"by\": \"ip\"}],"
		" \"verdict\": {\"value\": \"flag\"}}",
		"{\"alert_id\": [\"id\"], \"device\": [{\"path\": \"d\", \"by\": \"ip\"}],"
		" \"verdict\": {\"path\": \"v\", \"map\": {\"x\": \"flag\"}, \"levels\": []}}",
	};
	ar_err_t err = { 0 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (ar_alert_rules_parse(bad[i], strlen(bad[i]), &err))
			fail_msg("accepted rules %zu", i);
		assert_int_equal(err.code, AR_ERR_CONFIG);
	}
}

static void event(ar_store_event_t *ev, const char *type, const char *device, const char *status,
		  const char *reason)
{
	memset(ev, 0, sizeof(*ev));
	snprintf(ev->id, sizeof(ev->id), "1796656172123-0");
	snprintf(ev->type, sizeof(ev->type), "%s", type);
	snprintf(ev->device, sizeof(ev->device), "%s", device);
	snprintf(ev->status, sizeof(ev->status), "%s", status);
	snprintf(ev->reason, sizeof(ev->reason), "%s", reason);
	snprintf(ev->source, sizeof(ev->source), "verifier");
	ev->ts = 1796656172;
}

static void test_syslog_line_cannot_be_split_by_a_newline_in_reason(void **state)
{
	ar_syslog_opts_t o = { .facility = 16, .hostname = "v1", .procid = 42 };
	ar_buf_t b = AR_BUF_INIT(8192);
	ar_store_event_t ev;

	(void)state;
	event(&ev, "soc\nflag", "SUB-1", "contraindicated",
	      "x\n<13>1 2026-01-01T00:00:00Z forged - - - {}");
	assert_int_equal(ar_event_syslog(&o, &ev, &b, NULL), 0);
	assert_null(strchr(b.data, '\n'));
	assert_string_equal(b.data,
		"<132>1 2026-12-07T15:09:32.123Z v1 acme-rats 42 soc_flag - "
		"{\"schema\":\"acme-rats-event/1\",\"id\":\"1796656172123-0\","
		"\"time\":\"2026-12-07T15:09:32.123Z\",\"ts\":1796656172,\"type\":\"soc\\nflag\","
		"\"device\":\"SUB-1\",\"status\":\"contraindicated\","
		"\"reason\":\"x\\n<13>1 2026-01-01T00:00:00Z forged - - - {}\",\"serial\":\"\","
		"\"source\":\"verifier\"}");
	ar_buf_free(&b);
}

static void test_cef_field_cannot_be_added_through_a_value(void **state)
{
	ar_syslog_opts_t o = { .facility = 20, .hostname = "", .format = AR_SYSLOG_CEF,
			       .version = "1.0" };
	ar_buf_t b = AR_BUF_INIT(8192);
	ar_store_event_t ev;

	(void)state;
	event(&ev, "reattest", "SUB|7\\", "warning", "late cs1=SUB-9\r\nnext");
	assert_int_equal(ar_event_syslog(&o, &ev, &b, NULL), 0);
	assert_string_equal(b.data,
		"<165>1 2026-12-07T15:09:32.123Z - acme-rats - reattest - "
		"CEF:0|acme-rats|acme-rats|1.0|reattest|reattest SUB\\|7\\\\|5|rt=1796656172123 "
		"externalId=1796656172123-0 cs1Label=deviceId cs1=SUB|7\\\\ outcome=warning "
		"reason=late cs1\\=SUB-9\\r\\nnext sourceServiceName=verifier");
	ar_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alert_paths_find_flattened_and_nested_keys),
		cmocka_unit_test(test_alert_reason_control_bytes_cannot_forge_log_lines),
		cmocka_unit_test(test_alert_device_reference_with_space_or_nul_refused),
		cmocka_unit_test(test_alert_nested_too_deep_or_too_large_refused),
		cmocka_unit_test(test_alert_rules_refuse_unknown_members_and_words),
		cmocka_unit_test(test_syslog_line_cannot_be_split_by_a_newline_in_reason),
		cmocka_unit_test(test_cef_field_cannot_be_added_through_a_value),
	};

	return cmocka_run_group_tests_name("alert", tests, NULL, NULL);
}
