/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the Conceptual Message Wrapper forms. */
#include "config.h"

#include "testutil.h"
#include "cmw.h"

static int decode(const char *text, ar_cmw_t *cmw, ar_err_t *err)
{
	return ar_cmw_decode(text, strlen(text), cmw, err);
}

static void test_cmw_record_roundtrip_with_indicator(void **state)
{
	json_t *rec = ar_cmw_record(AR_MT_EAR, "a.b.c", 5, AR_CMW_IND_RESULTS);
	char *text = json_dumps(rec, JSON_COMPACT);
	ar_cmw_t cmw;

	(void)state;
	assert_non_null(text);
	assert_int_equal(decode(text, &cmw, NULL), 0);
	assert_false(cmw.is_collection);
	assert_int_equal(cmw.count, 1);
	assert_string_equal(cmw.recs[0].type, AR_MT_EAR);
	assert_int_equal(cmw.recs[0].kind, AR_CMW_EAR);
	assert_int_equal(cmw.recs[0].len, 5);
	assert_string_equal((char *)cmw.recs[0].value, "a.b.c");
	assert_int_equal(cmw.recs[0].ind, AR_CMW_IND_RESULTS);
	assert_string_equal(cmw.recs[0].label, "");
	ar_cmw_clear(&cmw);
	free(text);
	json_decref(rec);
}

static void test_cmw_record_without_indicator(void **state)
{
	ar_cmw_t cmw;

	(void)state;
	assert_int_equal(decode("[\"application/vnd.acme-rats.evidence+json\",\"e30\"]", &cmw, NULL), 0);
	assert_int_equal(cmw.recs[0].kind, AR_CMW_EVIDENCE);
	assert_int_equal(cmw.recs[0].ind, 0);
	assert_string_equal((char *)cmw.recs[0].value, "{}");
	assert_ptr_equal(ar_cmw_find(&cmw, AR_CMW_EVIDENCE), &cmw.recs[0]);
	assert_null(ar_cmw_find(&cmw, AR_CMW_EAR));
	ar_cmw_clear(&cmw);
}

static void test_cmw_collection_flattens_nested_labels(void **state)
{
	const char *text =
		"{\"__cmwc_t\":\"tag:acme-rats,2026:posture\","
		" \"ear\":[\"application/eat+jwt; eat_profile=\\\"tag:github.com,2023:veraison/ear\\\"\",\"eA\",8],"
		" \"device\":{\"evidence\":[\"application/vnd.acme-rats.evidence+json\",\"e30\",4]}}";
	ar_cmw_t cmw;
	ar_err_t err = { 0 };

	(void)state;
	assert_int_equal(decode(text, &cmw, &err), 0);
	assert_true(cmw.is_collection);
	assert_string_equal(cmw.collection_type, "tag:acme-rats,2026:posture");
	assert_int_equal(cmw.count, 2);
	assert_string_equal(ar_cmw_find(&cmw, AR_CMW_EAR)->label, "ear");
	assert_string_equal(ar_cmw_find(&cmw, AR_CMW_EVIDENCE)->label, "device.evidence");
	ar_cmw_clear(&cmw);
}

static void test_cmw_kind_parses_media_type_parameters(void **state)
{
	(void)state;
	assert_int_equal(ar_cmw_kind_of(AR_MT_EAR), AR_CMW_EAR);
	assert_int_equal(ar_cmw_kind_of(AR_MT_EAR_IETF), AR_CMW_EAR);
	assert_int_equal(ar_cmw_kind_of("Application/EAT+JWT;eat_profile=tag:github.com,2023:veraison/ear"),
			 AR_CMW_EAR);
	assert_int_equal(ar_cmw_kind_of("application/eat+jwt"), AR_CMW_UNKNOWN);
	assert_int_equal(ar_cmw_kind_of("application/eat+jwt; eat_profile=\"tag:other\""),
			 AR_CMW_UNKNOWN);
	assert_int_equal(ar_cmw_kind_of("application/vnd.acme-rats.evidence+json; charset=utf-8"),
			 AR_CMW_EVIDENCE);
	assert_int_equal(ar_cmw_kind_of("application/vnd.acme-rats.evidence+jsonx"), AR_CMW_UNKNOWN);
	assert_int_equal(ar_cmw_kind_of("text/plain"), AR_CMW_UNKNOWN);
	assert_int_equal(ar_cmw_kind_of(NULL), AR_CMW_UNKNOWN);
}

static void test_cmw_rejects_malformed_wrappers_precisely(void **state)
{
	static const struct {
		const char *text, *needle;
		ar_errc_t code;
	} bad[] = {
		{ "[\"a/b\"]", "2 or 3 members", AR_ERR_MALFORMED },
		{ "[\"a/b\",\"e30\",4,5]", "2 or 3 members", AR_ERR_MALFORMED },
		{ "[30001,\"e30\"]", "CoAP", AR_ERR_MALFORMED },
		{ "[\"\",\"e30\"]", "media type", AR_ERR_MALFORMED },
		{ "[\"a/b\",42]", "base64url", AR_ERR_MALFORMED },
		{ "[\"a/b\",\"e30=\"]", "value", AR_ERR_MALFORMED },
		{ "[\"a/b\",\"e30\",\"4\"]", "ind", AR_ERR_MALFORMED },
		{ "[\"a/b\",\"e30\",64]", "ind", AR_ERR_MALFORMED },
		{ "{}", "empty", AR_ERR_MALFORMED },
		{ "{\"__cmwc_t\":\"x\"}", "empty", AR_ERR_MALFORMED },
		{ "{\"a\":\"text\"}", "expected a record", AR_ERR_MALFORMED },
		{ "{\"a.b\":[\"a/b\",\"e30\"]}", "without '.'", AR_ERR_MALFORMED },
		{ "{\"a\":[\"a/b\",\"e30\"],\"a\":[\"a/b\",\"e30\"]}", "duplicate", AR_ERR_MALFORMED },
		{ "\"just a string\"", "not valid JSON", AR_ERR_MALFORMED },
		{ "{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":[\"a/b\",\"e30\"]}}}}}", "deeper", AR_ERR_TOO_LARGE },
		{ "[\"a/b\",\"e30\"", "not valid JSON", AR_ERR_MALFORMED },
	};
	ar_err_t err;
	ar_cmw_t cmw;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		if (decode(bad[i].text, &cmw, &err) == 0)
			fail_msg("accepted: %s", bad[i].text);
		assert_err(&err, bad[i].code, bad[i].needle);
		assert_int_equal(cmw.count, 0);
	}
}

static void test_cmw_limits_record_count_and_size(void **state)
{
	char text[4096];
	size_t off = 0, i;
	ar_err_t err = { 0 };
	ar_cmw_t cmw;

	(void)state;
	off += (size_t)snprintf(text + off, sizeof(text) - off, "{");
	for (i = 0; i <= AR_CMW_MAX_RECORDS; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off, "%s\"r%zu\":[\"a/b\",\"e30\"]",
					i ? "," : "", i);
	snprintf(text + off, sizeof(text) - off, "}");
	assert_int_equal(decode(text, &cmw, &err), -1);
	assert_err(&err, AR_ERR_TOO_LARGE, "records");
	assert_int_equal(ar_cmw_decode(text, AR_CMW_MAX_TEXT + 1, &cmw, &err), -1);
	assert_int_equal(err.code, AR_ERR_TOO_LARGE);
}

/* An EAR record whose indicator says it is not an attestation result contradicts itself. */
static void test_cmw_ind_without_results_bit_refused(void **state)
{
	ar_err_t err = { 0 };
	ar_cmw_t cmw;

	(void)state;
	assert_int_equal(decode("[\"application/eat+jwt; eat_profile=\\\"tag:github.com,2023:veraison/ear\\\"\","
				"\"eA\",4]", &cmw, &err), -1);
	assert_err(&err, AR_ERR_MALFORMED, "attestation-results bit (8)");
	memset(&err, 0, sizeof(err));
	assert_int_equal(decode("{\"a\":[\"application/vnd.acme-rats.evidence+json\",\"e30\",8]}", &cmw,
				&err), -1);
	assert_err(&err, AR_ERR_MALFORMED, "evidence bit (4)");
	assert_non_null(strstr(err.msg, "CMW a:"));
	/* an ind of 0 is present, and says "not a result" */
	memset(&err, 0, sizeof(err));
	assert_int_equal(decode("[\"application/eat+jwt; eat_profile=\\\"tag:github.com,2023:veraison/ear\\\"\","
				"\"eA\",0]", &cmw, &err), -1);
	assert_err(&err, AR_ERR_MALFORMED, "attestation-results bit (8)");
	/* Other bits besides the right one are fine; no ind at all is fine. */
	assert_int_equal(decode("[\"application/eat+jwt; eat_profile=\\\"tag:ietf.org,2026:rats/ear#03\\\"\","
				"\"eA\",12]", &cmw, NULL), 0);
	assert_int_equal(cmw.recs[0].kind, AR_CMW_EAR);
	assert_string_equal(cmw.recs[0].eat_profile, "tag:ietf.org,2026:rats/ear#03");
	ar_cmw_clear(&cmw);
}

/* A parameter named twice: one reader must not see one profile, another the other. */
static void test_cmw_media_type_with_a_parameter_twice_refused(void **state)
{
	ar_err_t err = { 0 };
	ar_cmw_t cmw;

	(void)state;
	assert_int_equal(decode("[\"application/eat+jwt; eat_profile=\\\"tag:ietf.org,2026:rats/ear#03\\\"; "
				"eat_profile=\\\"tag:github.com,2023:veraison/ear\\\"\",\"eA\",8]", &cmw, &err),
			 -1);
	assert_err(&err, AR_ERR_MALFORMED, "parameter twice");
	memset(&err, 0, sizeof(err));
	assert_int_equal(decode("[\"application/eat+jwt;EAT_PROFILE=x; eat_profile=y\",\"eA\",8]", &cmw,
				&err), -1);
	assert_err(&err, AR_ERR_MALFORMED, "parameter twice");
}

/* A bare application/eat+jwt is an attestation result only when its ind says so. */
static void test_cmw_bare_eat_type_is_a_result_only_by_its_indicator(void **state)
{
	ar_cmw_t cmw;

	(void)state;
	assert_int_equal(decode("[\"application/eat+jwt\",\"eA\",8]", &cmw, NULL), 0);
	assert_int_equal(cmw.recs[0].kind, AR_CMW_EAR);
	assert_string_equal(cmw.recs[0].eat_profile, "");
	assert_true(ar_cmw_rec_profile_matches(&cmw.recs[0], "tag:ietf.org,2026:rats/ear#03"));
	ar_cmw_clear(&cmw);
	assert_int_equal(decode("[\"application/eat+jwt\",\"eA\"]", &cmw, NULL), 0);
	assert_int_equal(cmw.recs[0].kind, AR_CMW_UNKNOWN);
	ar_cmw_clear(&cmw);
	assert_int_equal(decode("[\"application/eat+jwt; eat_profile=\\\"tag:other\\\"\",\"eA\",8]", &cmw,
				NULL), 0);
	assert_int_equal(cmw.recs[0].kind, AR_CMW_UNKNOWN);
	ar_cmw_clear(&cmw);
}

/* The type's eat_profile against the profile the token claims. */
static void test_cmw_type_profile_mismatch_detected(void **state)
{
	json_t *rec = ar_cmw_record(AR_MT_EAR_IETF, "a.b.c", 5, AR_CMW_IND_RESULTS);
	char *text = json_dumps(rec, JSON_COMPACT);
	ar_cmw_t cmw;

	(void)state;
	assert_int_equal(decode(text, &cmw, NULL), 0);
	assert_true(ar_cmw_rec_profile_matches(&cmw.recs[0], "tag:ietf.org,2026:rats/ear#03"));
	assert_false(ar_cmw_rec_profile_matches(&cmw.recs[0], "tag:github.com,2023:veraison/ear"));
	assert_false(ar_cmw_rec_profile_matches(&cmw.recs[0], NULL));
	ar_cmw_clear(&cmw);
	free(text);
	json_decref(rec);
}

/* Every attestation result of a collection, not only the first. */
static void test_cmw_collection_with_several_ears_lists_them_all(void **state)
{
	const char *text =
		"{\"os\":[\"application/eat+jwt; eat_profile=\\\"tag:github.com,2023:veraison/ear\\\"\",\"eA\",8],"
		" \"ev\":[\"application/vnd.acme-rats.evidence+json\",\"e30\",4],"
		" \"tpm\":{\"ear\":[\"application/eat+jwt\",\"eQ\",8]},"
		" \"fw\":[\"application/eat+jwt; eat_profile=\\\"tag:ietf.org,2026:rats/ear#03\\\"\",\"eg\"]}";
	const ar_cmw_rec_t *ears[2];
	ar_cmw_t cmw;

	(void)state;
	assert_int_equal(decode(text, &cmw, NULL), 0);
	assert_int_equal(ar_cmw_find_all(&cmw, AR_CMW_EAR, ears, 2), 3);	/* more than room for */
	assert_string_equal(ears[0]->label, "os");
	assert_string_equal(ears[1]->label, "tpm.ear");
	assert_int_equal(ar_cmw_find_all(&cmw, AR_CMW_EVIDENCE, NULL, 0), 1);
	assert_int_equal(ar_cmw_find_all(&cmw, AR_CMW_UNKNOWN, NULL, 0), 0);
	ar_cmw_clear(&cmw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cmw_record_roundtrip_with_indicator),
		cmocka_unit_test(test_cmw_record_without_indicator),
		cmocka_unit_test(test_cmw_collection_flattens_nested_labels),
		cmocka_unit_test(test_cmw_kind_parses_media_type_parameters),
		cmocka_unit_test(test_cmw_rejects_malformed_wrappers_precisely),
		cmocka_unit_test(test_cmw_limits_record_count_and_size),
		cmocka_unit_test(test_cmw_ind_without_results_bit_refused),
		cmocka_unit_test(test_cmw_bare_eat_type_is_a_result_only_by_its_indicator),
		cmocka_unit_test(test_cmw_type_profile_mismatch_detected),
		cmocka_unit_test(test_cmw_media_type_with_a_parameter_twice_refused),
		cmocka_unit_test(test_cmw_collection_with_several_ears_lists_them_all),
	};

	return cmocka_run_group_tests_name("cmw", tests, NULL, NULL);
}
