/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests of acme-rats-helper's pure parts: the daemon's timer
 * arithmetic over days-long cases, and the parsers of ACME server
 * responses (directory, order, authorization, challenge, renewal
 * information, problem documents, RFC 3339 times).
 */
#include "config.h"

#include "testutil.h"
#include "acme_msg.h"
#include "schedule.h"

#define H	3600
#define D	86400
#define T0	1800000000	/* a fixed "now" */

/* An 8-hour certificate issued an hour ago, no ARI, no posture limit. */
static void base_input(sched_in_t *in)
{
	memset(in, 0, sizeof(*in));
	in->now = T0;
	in->have_cert = 1;
	in->not_before = T0 - H;
	in->not_after = T0 + 7 * H;
	in->backoff_min = 30;
	in->backoff_max = H;
}

static void test_no_certificate_renews_now(void **state)
{
	sched_in_t in;
	sched_out_t out;

	(void)state;
	base_input(&in);
	in.have_cert = 0;
	sched_next(&in, &out);
	assert_int_equal(out.action, SCHED_RENEW);
	assert_int_equal(out.at, T0);
	assert_string_equal(out.reason, "no-certificate");
}

static void test_without_ari_renews_at_two_thirds_of_the_lifetime(void **state)
{
	sched_in_t in;
	sched_out_t out;

	(void)state;
	base_input(&in);
	sched_next(&in, &out);
	assert_int_equal(out.at, T0 - H + 2 * 8 * H / 3);
	assert_string_equal(out.reason, "two-thirds-lifetime");

	/* A 90-day certificate: 60 days in. */
	in.not_before = T0;
	in.not_after = T0 + 90 * D;
	sched_next(&in, &out);
	assert_int_equal(out.at, T0 + 60 * D);
}

static void test_expired_certificate_renews_now(void **state)
{
	sched_in_t in;
	sched_out_t out;

	(void)state;
	base_input(&in);
	in.not_after = T0 - 1;
	sched_next(&in, &out);
	assert_int_equal(out.at, T0);
	assert_string_equal(out.reason, "expired");
}

static void test_ari_window_point_is_stable_and_inside(void **state)
{
	sched_in_t in;
	sched_out_t out, again;
	uint32_t d;

	(void)state;
	base_input(&in);
	in.have_window = 1;
	in.window_start = T0 + 2 * H;
	in.window_end = T0 + 4 * H;
	for (d = 0; d < 100000; d += 977) {
		in.draw = d * 2654435761u;
		sched_next(&in, &out);
		assert_true(out.at >= in.window_start && out.at < in.window_end);
		assert_string_equal(out.reason, "ari-window");
		sched_next(&in, &again);
		assert_int_equal(out.at, again.at);	/* same draw, same point */
	}
	in.draw = 0;
	sched_next(&in, &out);
	assert_int_equal(out.at, in.window_start);
	in.draw = 2 * H - 1;
	sched_next(&in, &out);
	assert_int_equal(out.at, in.window_end - 1);
	in.draw = 2 * H;		/* never the end itself: that second is "renew now" */
	sched_next(&in, &out);
	assert_int_equal(out.at, in.window_start);
}

static void test_ari_window_in_the_past_means_renew_now(void **state)
{
	sched_in_t in;
	sched_out_t out;

	(void)state;
	base_input(&in);
	in.have_window = 1;
	in.window_start = T0 - 2 * H;
	in.window_end = T0 - H;
	in.ari_next_poll = T0 + 60;
	sched_next(&in, &out);
	assert_int_equal(out.action, SCHED_RENEW);	/* not another poll first */
	assert_int_equal(out.at, T0);
	assert_string_equal(out.reason, "ari-renew-now");
}

static void test_posture_freshness_pulls_the_renewal_in(void **state)
{
	sched_in_t in;
	sched_out_t out;

	(void)state;
	base_input(&in);
	in.posture_at = T0 - 30 * 60;		/* attested 30 min ago */
	in.fresh = 2 * H;			/* the network admits 2 h old posture */
	in.margin = 15 * 60;
	sched_next(&in, &out);
	assert_int_equal(out.at, T0 - 30 * 60 + 2 * H - 15 * 60);
	assert_string_equal(out.reason, "posture-freshness");

	/* A generous limit changes nothing. */
	in.fresh = 30 * D;
	sched_next(&in, &out);
	assert_string_equal(out.reason, "two-thirds-lifetime");

	/* Posture already too old: now-ish (in the past = due). */
	in.fresh = 20 * 60;
	sched_next(&in, &out);
	assert_true(out.at <= T0);
}

static void test_backoff_doubles_up_to_the_cap_with_jitter(void **state)
{
	sched_in_t in;
	sched_out_t out;
	unsigned f;
	uint32_t j;

	(void)state;
	assert_int_equal(sched_backoff(0, 30, H), 0);
	assert_int_equal(sched_backoff(1, 30, H), 30);
	assert_int_equal(sched_backoff(2, 30, H), 60);
	assert_int_equal(sched_backoff(5, 30, H), 480);
	assert_int_equal(sched_backoff(8, 30, H), H);
	assert_int_equal(sched_backoff(400, 30, H), H);	/* no overflow */

	base_input(&in);
	in.have_cert = 0;
	in.last_failure = T0;
	for (f = 1; f < 12; f++)
		for (j = 0; j < 5000; j += 123) {
			int64_t base = sched_backoff(f, 30, H);

			in.failures = f;
			in.jitter = j * 2246822519u;
			sched_next(&in, &out);
			assert_string_equal(out.reason, "backoff");
			assert_true(out.at >= T0 + base / 2 && out.at <= T0 + base);
		}
	/* A tiny backoff still waits a second. */
	in.failures = 1;
	in.backoff_min = in.backoff_max = 1;
	in.jitter = 0;
	sched_next(&in, &out);
	assert_int_equal(out.at, T0 + 1);
}

static void test_backoff_does_not_delay_a_renewal_already_later(void **state)
{
	sched_in_t in;
	sched_out_t out;

	(void)state;
	base_input(&in);
	in.failures = 1;
	in.last_failure = T0 - 2 * H;		/* long past */
	sched_next(&in, &out);
	assert_string_equal(out.reason, "two-thirds-lifetime");
}

static void test_ari_poll_comes_before_a_later_renewal(void **state)
{
	sched_in_t in;
	sched_out_t out;

	(void)state;
	base_input(&in);
	in.ari_next_poll = T0 + 600;
	sched_next(&in, &out);
	assert_int_equal(out.action, SCHED_ARI_POLL);
	assert_int_equal(out.at, T0 + 600);
	/* A poll due after the renewal is not done first. */
	in.ari_next_poll = T0 + 6 * H;
	sched_next(&in, &out);
	assert_int_equal(out.action, SCHED_RENEW);
	/* A CA without ARI (0) is never polled. */
	in.ari_next_poll = 0;
	sched_next(&in, &out);
	assert_int_equal(out.action, SCHED_RENEW);
}

static void test_ari_interval_follows_retry_after_within_bounds(void **state)
{
	(void)state;
	assert_int_equal(sched_ari_interval(-1, 60, 6 * H), 6 * H);	/* absent: 6 h */
	assert_int_equal(sched_ari_interval(600, 60, 6 * H), 600);
	assert_int_equal(sched_ari_interval(5, 60, 6 * H), 60);	/* never hammer */
	assert_int_equal(sched_ari_interval(7 * D, 60, 6 * H), 6 * H);
	assert_int_equal(sched_ari_interval(60, 1, 2), 2);		/* a device's own cap */
}

/* ---- parsers ---- */

#define DIR_OK \
	"{\"newNonce\":\"https://ca/n\",\"newAccount\":\"https://ca/a\",\"newOrder\":\"https://ca/o\"," \
	"\"revokeCert\":\"https://ca/r\",\"renewalInfo\":\"https://ca/ri\"," \
	"\"meta\":{\"externalAccountRequired\":true},\"x-unknown\":[1]}"

static void test_directory_parses_and_rejects_bad_urls(void **state)
{
	acme_dir_t d;
	ar_err_t err = { 0 };
	const char *dup = "{\"newNonce\":\"https://a\",\"newNonce\":\"https://b\"}";
	const char *http = "{\"newNonce\":\"http://ca/n\",\"newAccount\":\"https://ca/a\","
			   "\"newOrder\":\"https://ca/o\"}";
	const char *missing = "{\"newNonce\":\"https://ca/n\",\"newAccount\":\"https://ca/a\"}";

	(void)state;
	assert_int_equal(acme_parse_directory(DIR_OK, strlen(DIR_OK), &d, &err), 0);
	assert_string_equal(d.new_order, "https://ca/o");
	assert_string_equal(d.renewal_info, "https://ca/ri");
	assert_true(d.eab_required);
	assert_int_equal(acme_parse_directory(dup, strlen(dup), &d, &err), -1);
	assert_err(&err, AR_ERR_MALFORMED, "duplicate");
	ar_err_clear(&err);
	assert_int_equal(acme_parse_directory(http, strlen(http), &d, &err), -1);
	assert_err(&err, AR_ERR_MALFORMED, "newNonce");
	ar_err_clear(&err);
	assert_int_equal(acme_parse_directory(missing, strlen(missing), &d, &err), -1);
	assert_err(&err, AR_ERR_MALFORMED, "newOrder");
	ar_err_clear(&err);
	assert_int_equal(acme_parse_directory("[1]", 3, &d, &err), -1);
	assert_int_equal(acme_parse_directory("{", 1, &d, &err), -1);
}

static void test_order_parses_status_and_limits(void **state)
{
	const char *ok = "{\"status\":\"valid\",\"finalize\":\"https://ca/f\","
			 "\"certificate\":\"https://ca/c\",\"authorizations\":[\"https://ca/z1\","
			 "\"https://ca/z2\"]}";
	const char *valid_no_cert = "{\"status\":\"valid\",\"finalize\":\"https://ca/f\","
				    "\"authorizations\":[\"https://ca/z\"]}";
	const char *bad_status = "{\"status\":\"done\",\"finalize\":\"https://ca/f\","
				 "\"authorizations\":[\"https://ca/z\"]}";
	const char *invalid = "{\"status\":\"invalid\",\"finalize\":\"https://ca/f\","
			      "\"authorizations\":[\"https://ca/z\"],\"error\":{\"type\":"
			      "\"urn:ietf:params:acme:error:badAttestationStatement\","
			      "\"detail\":\"contraindicated\"}}";
	char many[2048];
	acme_order_t o;
	ar_err_t err = { 0 };
	int i, k;

	(void)state;
	assert_int_equal(acme_parse_order(ok, strlen(ok), &o, &err), 0);
	assert_int_equal(o.status, ACME_VALID);
	assert_int_equal(o.nauthz, 2);
	assert_string_equal(o.authz[1], "https://ca/z2");
	assert_int_equal(acme_parse_order(valid_no_cert, strlen(valid_no_cert), &o, &err), -1);
	assert_err(&err, AR_ERR_MALFORMED, "certificate");
	ar_err_clear(&err);
	assert_int_equal(acme_parse_order(bad_status, strlen(bad_status), &o, &err), -1);
	assert_err(&err, AR_ERR_MALFORMED, "status");
	ar_err_clear(&err);
	assert_int_equal(acme_parse_order(invalid, strlen(invalid), &o, &err), 0);
	assert_int_equal(o.status, ACME_INVALID);
	assert_string_equal(o.error.detail, "contraindicated");

	k = snprintf(many, sizeof(many), "{\"status\":\"pending\",\"finalize\":\"https://ca/f\","
		     "\"authorizations\":[");
	for (i = 0; i <= ACME_MAX_AUTHZ; i++)
		k += snprintf(many + k, sizeof(many) - (size_t)k, "%s\"https://ca/z%d\"", i ? "," : "", i);
	snprintf(many + k, sizeof(many) - (size_t)k, "]}");
	assert_int_equal(acme_parse_order(many, strlen(many), &o, &err), -1);
	assert_err(&err, AR_ERR_TOO_LARGE, "authorizations");
}

static void test_authz_reads_remote_attest_01_fields(void **state)
{
	const char *az = "{\"status\":\"pending\",\"identifier\":{\"type\":\"remote-attestation\","
			 "\"value\":\"os_patch_level\"},\"challenges\":[{\"type\":\"remote-attest-01\","
			 "\"url\":\"https://ca/ch/1\",\"status\":\"pending\",\"token\":\"tok\","
			 "\"freshness_nonce\":\"bm9uY2Vub25jZW5vbmNl\",\"attestClaimsHint\":[\"swversion\"],"
			 "\"verifierEncryptionCredential\":\"https://v/key\"}]}";
	const char *badch = "{\"status\":\"pending\",\"identifier\":{\"type\":\"dns\",\"value\":\"a\"},"
			    "\"challenges\":[{\"type\":\"http-01\",\"status\":\"pending\"}]}";
	const char *noid = "{\"status\":\"pending\",\"challenges\":[]}";
	acme_authz_t a;
	ar_err_t err = { 0 };

	(void)state;
	assert_int_equal(acme_parse_authz(az, strlen(az), &a, &err), 0);
	assert_string_equal(a.id.type, "remote-attestation");
	assert_int_equal(a.nchall, 1);
	assert_string_equal(a.chall[0].freshness_nonce, "bm9uY2Vub25jZW5vbmNl");
	assert_string_equal(a.chall[0].enc_credential, "https://v/key");
	assert_int_equal(acme_parse_authz(badch, strlen(badch), &a, &err), -1);
	assert_err(&err, AR_ERR_MALFORMED, "url");
	ar_err_clear(&err);
	assert_int_equal(acme_parse_authz(noid, strlen(noid), &a, &err), -1);
	assert_err(&err, AR_ERR_MALFORMED, "identifier");
}

static void test_ari_window_and_rfc3339(void **state)
{
	const char *ok = "{\"suggestedWindow\":{\"start\":\"2027-01-15T08:00:00Z\","
			 "\"end\":\"2027-01-15T10:00:00.5+01:00\"},\"explanationURL\":\"https://x\"}";
	const char *reversed = "{\"suggestedWindow\":{\"start\":\"2027-01-15T10:00:00Z\","
			       "\"end\":\"2027-01-15T08:00:00Z\"}}";
	acme_ari_t ari;
	ar_err_t err = { 0 };
	int64_t t;

	(void)state;
	assert_int_equal(acme_parse_ari(ok, strlen(ok), &ari, &err), 0);
	assert_int_equal(ari.start, 1800000000);	/* 2027-01-15T08:00:00Z */
	assert_int_equal(ari.end - ari.start, 3600);	/* 10:00+01:00 is 09:00Z */
	assert_int_equal(acme_parse_ari(reversed, strlen(reversed), &ari, &err), -1);
	assert_err(&err, AR_ERR_MALFORMED, "ends before");
	assert_int_equal(acme_parse_time("1970-01-01T00:00:00Z", &t), 0);
	assert_int_equal(t, 0);
	assert_int_equal(acme_parse_time("2027-01-15T08:00:00Z", &t), 0);
	assert_int_equal(t, 1800000000);
	assert_int_equal(acme_parse_time("2027-01-15 08:00:00Z", &t), -1);
	assert_int_equal(acme_parse_time("2027-01-15T08:00:00", &t), -1);
	assert_int_equal(acme_parse_time("2027-13-15T08:00:00Z", &t), -1);
	assert_int_equal(acme_parse_time("2027-01-15T08:00:00Zjunk", &t), -1);
	assert_int_equal(acme_parse_time("2027-01-15T08:00:00.Z", &t), -1);
}

static void test_problem_documents_and_non_problems(void **state)
{
	const char *p = "{\"type\":\"urn:ietf:params:acme:error:badNonce\",\"detail\":\"stale\"}";
	acme_problem_t pr;

	(void)state;
	acme_parse_problem(p, strlen(p), 400, &pr);
	assert_true(acme_problem_is(&pr, "badNonce"));
	assert_false(acme_problem_is(&pr, "badNonceX"));
	assert_string_equal(pr.detail, "stale");
	assert_int_equal(pr.status, 400);
	acme_parse_problem("<html>", 6, 502, &pr);
	assert_string_equal(pr.type, "");
	assert_non_null(strstr(pr.detail, "502"));
	assert_false(acme_problem_is(&pr, "badNonce"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_certificate_renews_now),
		cmocka_unit_test(test_without_ari_renews_at_two_thirds_of_the_lifetime),
		cmocka_unit_test(test_expired_certificate_renews_now),
		cmocka_unit_test(test_ari_window_point_is_stable_and_inside),
		cmocka_unit_test(test_ari_window_in_the_past_means_renew_now),
		cmocka_unit_test(test_posture_freshness_pulls_the_renewal_in),
		cmocka_unit_test(test_backoff_doubles_up_to_the_cap_with_jitter),
		cmocka_unit_test(test_backoff_does_not_delay_a_renewal_already_later),
		cmocka_unit_test(test_ari_poll_comes_before_a_later_renewal),
		cmocka_unit_test(test_ari_interval_follows_retry_after_within_bounds),
		cmocka_unit_test(test_directory_parses_and_rejects_bad_urls),
		cmocka_unit_test(test_order_parses_status_and_limits),
		cmocka_unit_test(test_authz_reads_remote_attest_01_fields),
		cmocka_unit_test(test_ari_window_and_rfc3339),
		cmocka_unit_test(test_problem_documents_and_non_problems),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
