/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include "testutil.h"
#include "evidence.h"

#define NOW	1800000000
#define DAY	86400
#define JKT	"NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"

static void healthy(ar_evidence_t *ev)
{
	memset(ev, 0, sizeof(*ev));
	snprintf(ev->nonce, sizeof(ev->nonce), "AAAAAAAAAAAAAAAAAAAAAA");
	ev->collected_at = NOW - 5;
	snprintf(ev->device_id, sizeof(ev->device_id), "SUB-0042");
	snprintf(ev->hostname, sizeof(ev->hostname), "inspector-7");
	snprintf(ev->os_id, sizeof(ev->os_id), "debian");
	snprintf(ev->os_version, sizeof(ev->os_version), "12");
	ev->last_security_update = NOW - 10 * DAY;
	ev->disk_encrypted = 1;
	ev->edr_running = 1;
	snprintf(ev->edr_name, sizeof(ev->edr_name), "falcon-sensor");
	ev->efi = 1;
	ev->secure_boot = 1;
	ev->key_storage = AR_KEY_TPM;
	ev->key_non_exportable = 1;
	snprintf(ev->key_jkt, sizeof(ev->key_jkt), JKT);
}

static void appraise(const ar_evidence_t *ev, const ar_refpolicy_t *p, ar_ear_submod_t *sm,
		     char *reason)
{
	ar_evidence_appraise(ev, p, NOW, sm, reason, 256);
}

static void test_evidence_json_roundtrip(void **state)
{
	ar_evidence_t in, out;
	ar_err_t err = { 0 };
	json_t *json;
	char *text;

	(void)state;
	healthy(&in);
	json = ar_evidence_to_json(&in);
	assert_non_null(json);
	text = json_dumps(json, JSON_COMPACT);
	assert_int_equal(ar_evidence_parse(text, strlen(text), &out, &err), 0);
	assert_memory_equal(&in, &out, sizeof(in));
	free(text);
	json_decref(json);
}

static void test_evidence_unknown_fields_stay_unknown(void **state)
{
	const char *text = "{\"nonce\":\"AA\",\"collected_at\":5,\"device\":{\"id\":\"d\"},"
			   "\"os\":{\"id\":\"debian\",\"version_id\":\"12\"},"
			   "\"key\":{\"storage\":\"file\",\"jkt\":\"" JKT "\"}}";
	ar_evidence_t ev;

	(void)state;
	assert_int_equal(ar_evidence_parse(text, strlen(text), &ev, NULL), 0);
	assert_int_equal(ev.disk_encrypted, -1);
	assert_int_equal(ev.edr_running, -1);
	assert_int_equal(ev.secure_boot, -1);
	assert_int_equal(ev.key_non_exportable, -1);
	assert_int_equal(ev.last_security_update, 0);
	assert_int_equal(ev.key_storage, AR_KEY_FILE);
}

static void test_evidence_rejects_malformed_input(void **state)
{
	static const char *const bad[] = {
		"{}",
		"{\"nonce\":\"AA\",\"collected_at\":5,\"device\":{\"id\":\"d\"},\"os\":{\"id\":\"x\","
		"\"version_id\":\"1\"},\"key\":{\"storage\":\"floppy\",\"jkt\":\"" JKT "\"}}",
		"{\"nonce\":\"AA\",\"collected_at\":5,\"device\":{\"id\":\"d\"},\"os\":{\"id\":\"x\","
		"\"version_id\":\"1\"},\"key\":{\"storage\":\"file\",\"jkt\":\"short\"}}",
		"{\"nonce\":\"AA\",\"collected_at\":5,\"device\":{\"id\":\"d\"},\"os\":{\"id\":\"x\","
		"\"version_id\":\"1\"},\"key\":{\"storage\":\"file\",\"jkt\":\"" JKT "\"},\"extra\":1}",
		"{\"nonce\":\"AA\",\"collected_at\":-5,\"device\":{\"id\":\"d\"},\"os\":{\"id\":\"x\","
		"\"version_id\":\"1\"},\"key\":{\"storage\":\"file\",\"jkt\":\"" JKT "\"}}",
		"{\"nonce\":\"AA\",\"collected_at\":5,\"device\":{\"id\":\"\"},\"os\":{\"id\":\"x\","
		"\"version_id\":\"1\"},\"key\":{\"storage\":\"file\",\"jkt\":\"" JKT "\"}}",
		"not json",
	};
	ar_evidence_t ev;
	ar_err_t err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		if (ar_evidence_parse(bad[i], strlen(bad[i]), &ev, &err) == 0)
			fail_msg("accepted evidence %zu", i);
		assert_int_equal(err.code, AR_ERR_MALFORMED);
	}
}

static void test_healthy_device_is_affirming(void **state)
{
	ar_evidence_t ev;
	ar_refpolicy_t p;
	ar_ear_submod_t sm;
	char reason[256];

	(void)state;
	healthy(&ev);
	ar_refpolicy_init(&p);
	snprintf(p.edr_name, sizeof(p.edr_name), "falcon-sensor");
	p.require_secure_boot = 1;
	appraise(&ev, &p, &sm, reason);
	assert_int_equal(sm.status, AR_STATUS_AFFIRMING);
	assert_string_equal(reason, "all checks passed");
	assert_int_equal(sm.tv.v[AR_TV_EXECUTABLES], 2);
	assert_int_equal(sm.tv.v[AR_TV_STORAGE_OPAQUE], 2);
	assert_int_equal(sm.tv.v[AR_TV_RUNTIME_OPAQUE], 2);
	assert_int_equal(sm.tv.v[AR_TV_CONFIGURATION], 2);
	assert_int_equal(sm.tv.v[AR_TV_HARDWARE], 2);
	assert_string_equal(sm.policy_id, "acme-rats:default");
}

static void test_patch_age_grades_warning_then_per_policy(void **state)
{
	ar_evidence_t ev;
	ar_refpolicy_t p;
	ar_ear_submod_t sm;
	char reason[256];

	(void)state;
	healthy(&ev);
	ar_refpolicy_init(&p);
	ev.last_security_update = NOW - 70 * DAY;
	appraise(&ev, &p, &sm, reason);
	assert_int_equal(sm.status, AR_STATUS_WARNING);
	assert_non_null(strstr(reason, "70 days ago"));
	ev.last_security_update = NOW - 120 * DAY;
	appraise(&ev, &p, &sm, reason);
	assert_int_equal(sm.status, AR_STATUS_CONTRAINDICATED);
	p.patch_severity = AR_STATUS_WARNING;
	appraise(&ev, &p, &sm, reason);
	assert_int_equal(sm.status, AR_STATUS_WARNING);
	ev.last_security_update = 0;
	appraise(&ev, &p, &sm, reason);
	assert_non_null(strstr(reason, "unknown"));
}

static void test_unapproved_os_is_contraindicated(void **state)
{
	ar_evidence_t ev;
	ar_refpolicy_t p;
	ar_ear_submod_t sm;
	char reason[256];

	(void)state;
	healthy(&ev);
	ar_refpolicy_init(&p);
	snprintf(ev.os_version, sizeof(ev.os_version), "11");
	appraise(&ev, &p, &sm, reason);
	assert_int_equal(sm.status, AR_STATUS_CONTRAINDICATED);
	assert_non_null(strstr(reason, "debian 11 is not approved"));
}

static void test_missing_disk_encryption_edr_and_key_store(void **state)
{
	ar_evidence_t ev;
	ar_refpolicy_t p;
	ar_ear_submod_t sm;
	char reason[256];

	(void)state;
	healthy(&ev);
	ar_refpolicy_init(&p);
	snprintf(p.edr_name, sizeof(p.edr_name), "falcon-sensor");
	p.edr_severity = AR_STATUS_WARNING;
	p.key_storage_allowed = 1u << AR_KEY_TPM;
	ev.edr_running = 0;
	appraise(&ev, &p, &sm, reason);
	assert_int_equal(sm.status, AR_STATUS_WARNING);
	assert_non_null(strstr(reason, "falcon-sensor not running"));

	ev.key_storage = AR_KEY_FILE;
	appraise(&ev, &p, &sm, reason);
	assert_int_equal(sm.status, AR_STATUS_CONTRAINDICATED);
	assert_non_null(strstr(reason, "key storage file is not allowed"));

	healthy(&ev);
	ev.disk_encrypted = 0;
	appraise(&ev, &p, &sm, reason);
	assert_int_equal(sm.tv.v[AR_TV_STORAGE_OPAQUE], 96);
	assert_non_null(strstr(reason, "disk not encrypted"));
}

static void test_stale_evidence_gives_no_assurance(void **state)
{
	ar_evidence_t ev;
	ar_refpolicy_t p;
	ar_ear_submod_t sm;
	char reason[256];

	(void)state;
	healthy(&ev);
	ar_refpolicy_init(&p);
	ev.collected_at = NOW - p.max_evidence_age - 1;
	appraise(&ev, &p, &sm, reason);
	assert_int_equal(sm.status, AR_STATUS_NONE);
	assert_non_null(strstr(reason, "evidence collected"));
}

static void test_evidence_time_bounds_name_the_skew(void **state)
{
	ar_evidence_t ev;
	ar_refpolicy_t p;
	char why[256];

	(void)state;
	healthy(&ev);
	ar_refpolicy_init(&p);
	ev.collected_at = NOW + AR_EVIDENCE_MAX_AHEAD;
	assert_int_equal(ar_evidence_check_time(&ev, &p, NOW, why, sizeof(why)), 0);
	ev.collected_at = NOW + AR_EVIDENCE_MAX_AHEAD + 1;
	assert_int_equal(ar_evidence_check_time(&ev, &p, NOW, why, sizeof(why)), -1);
	assert_string_equal(why, "evidence collected_at is 301 s ahead of the verifier's clock "
			    "(tolerance 300 s): check the device's clock");
	ev.collected_at = NOW - p.max_evidence_age;
	assert_int_equal(ar_evidence_check_time(&ev, &p, NOW, why, sizeof(why)), 0);
	ev.collected_at = NOW - p.max_evidence_age - 1;
	assert_int_equal(ar_evidence_check_time(&ev, &p, NOW, why, sizeof(why)), -1);
	assert_string_equal(why, "evidence collected_at is 301 s behind the verifier's clock "
			    "(max_evidence_age 300 s): stale evidence, or the device's clock is behind");
}

static void test_refpolicy_json_and_its_errors(void **state)
{
	ar_refpolicy_t p;
	ar_err_t err = { 0 };
	json_t *j;

	(void)state;
	j = json_loads("{\"os\":[{\"id\":\"ubuntu\",\"min_version\":\"22.04\"}],"
		       "\"max_patch_age_days\":30,\"patch_warning_days\":20,"
		       "\"patch_severity\":\"warning\",\"edr_process\":\"falcon-sensor\","
		       "\"key_storage\":[\"tpm\",\"pkcs11\"],\"require_non_exportable_key\":true,"
		       "\"require_secure_boot\":true,\"max_evidence_age\":60}", 0, NULL);
	assert_int_equal(ar_refpolicy_from_json("strict", j, &p, &err), 0);
	assert_string_equal(p.name, "strict");
	assert_string_equal(p.os[0].id, "ubuntu");
	assert_int_equal(p.max_patch_age, 30 * DAY);
	assert_int_equal(p.patch_warn_age, 20 * DAY);
	assert_int_equal(p.patch_severity, AR_STATUS_WARNING);
	assert_int_equal(p.key_storage_allowed, (1u << AR_KEY_TPM) | (1u << AR_KEY_PKCS11));
	assert_true(p.require_non_exportable);
	json_decref(j);

	j = json_loads("{\"max_patch_age\":30}", 0, NULL);
	assert_int_equal(ar_refpolicy_from_json("x", j, &p, &err), -1);
	assert_int_equal(err.code, AR_ERR_CONFIG);
	json_decref(j);
	j = json_loads("{\"patch_severity\":\"affirming\"}", 0, NULL);
	assert_int_equal(ar_refpolicy_from_json("x", j, &p, &err), -1);
	assert_err(&err, AR_ERR_CONFIG, "warning or contraindicated");
	json_decref(j);
	j = json_loads("{\"max_patch_age_days\":10,\"patch_warning_days\":20}", 0, NULL);
	assert_int_equal(ar_refpolicy_from_json("x", j, &p, &err), -1);
	json_decref(j);
}

static void test_version_compare_is_numeric_per_component(void **state)
{
	(void)state;
	assert_int_equal(ar_version_cmp("12", "12"), 0);
	assert_int_equal(ar_version_cmp("12", "12.0"), 0);
	assert_int_equal(ar_version_cmp("12.1", "12.10"), -1);
	assert_int_equal(ar_version_cmp("22.04", "24.04"), -1);
	assert_int_equal(ar_version_cmp("24.04", "22.10"), 1);
	assert_int_equal(ar_version_cmp("11", "12"), -1);
	assert_int_equal(ar_version_cmp("trixie", "bookworm"), 1);
	assert_int_equal(ar_version_cmp("", "0"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_evidence_json_roundtrip),
		cmocka_unit_test(test_evidence_unknown_fields_stay_unknown),
		cmocka_unit_test(test_evidence_rejects_malformed_input),
		cmocka_unit_test(test_healthy_device_is_affirming),
		cmocka_unit_test(test_patch_age_grades_warning_then_per_policy),
		cmocka_unit_test(test_unapproved_os_is_contraindicated),
		cmocka_unit_test(test_missing_disk_encryption_edr_and_key_store),
		cmocka_unit_test(test_stale_evidence_gives_no_assurance),
		cmocka_unit_test(test_evidence_time_bounds_name_the_skew),
		cmocka_unit_test(test_refpolicy_json_and_its_errors),
		cmocka_unit_test(test_version_compare_is_numeric_per_component),
	};

	return cmocka_run_group_tests_name("evidence", tests, NULL, NULL);
}
