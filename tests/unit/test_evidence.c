/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of device evidence and its appraisal. */
#include "config.h"

#include "testutil.h"
#include "b64.h"
#include "cmw.h"
#include "evidence.h"
#include "evidence_jws.h"
#include "jws.h"

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

/* The vector as text, for exact comparisons. */
static const char *tv_text(const ar_ear_submod_t *sm)
{
	static char buf[96];

	ar_tvec_format(&sm->tv, buf, sizeof(buf));
	return buf;
}

static void test_healthy_device_is_affirming(void **state)
{
	ar_evidence_t ev;
	ar_refpolicy_t p;
	ar_ear_submod_t sm;
	char reason[256];

	(void)state;
	healthy(&ev);
	ev.identity_verified = 1;
	ar_refpolicy_init(&p);
	snprintf(p.edr_name, sizeof(p.edr_name), "falcon-sensor");
	p.require_secure_boot = 1;
	appraise(&ev, &p, &sm, reason);
	assert_int_equal(sm.status, AR_STATUS_AFFIRMING);
	assert_string_equal(reason, "all checks passed");
	/* A declared TPM key and an encrypted disk under a policy that asks for
	 * no hardware key: no storage-opaque claim; nothing proves hardware,
	 * file system, run-time opacity or sourced data either. */
	assert_string_equal(tv_text(&sm), "ii=2 cfg=2 ex=2 fs=0 hw=0 rt=0 st=0 sd=0");
	assert_string_equal(sm.policy_id, "acme-rats:default");
}

static void test_instance_identity_affirmed_only_for_verified_signature(void **state)
{
	ar_evidence_t ev;
	ar_refpolicy_t p;
	ar_ear_submod_t sm;
	char reason[256];

	(void)state;
	healthy(&ev);
	ar_refpolicy_init(&p);
	appraise(&ev, &p, &sm, reason);
	assert_int_equal(sm.tv.v[AR_TV_INSTANCE_IDENTITY], 0);
	ev.identity_verified = 1;
	appraise(&ev, &p, &sm, reason);
	assert_int_equal(sm.tv.v[AR_TV_INSTANCE_IDENTITY], 2);
}

static void test_declared_hardware_key_is_not_storage_opaque_affirming(void **state)
{
	ar_evidence_t ev;
	ar_refpolicy_t p;
	ar_ear_submod_t sm;
	char reason[256];

	(void)state;
	healthy(&ev);
	ev.identity_verified = 1;
	ar_refpolicy_init(&p);
	p.key_storage_allowed = (1u << AR_KEY_TPM) | (1u << AR_KEY_PKCS11);
	p.require_non_exportable = 1;
	appraise(&ev, &p, &sm, reason);
	assert_string_equal(tv_text(&sm), "ii=2 cfg=2 ex=2 fs=0 hw=0 rt=0 st=32 sd=0");
	assert_int_equal(sm.status, AR_STATUS_WARNING);
	assert_string_equal(reason, "key storage tpm is declared, not proven (no key attestation)");
	ev.key_storage = AR_KEY_PKCS11;
	appraise(&ev, &p, &sm, reason);
	assert_int_equal(sm.tv.v[AR_TV_STORAGE_OPAQUE], 32);

	/* Only a key proven to be in hardware affirms. */
	ev.key_attested = 1;
	appraise(&ev, &p, &sm, reason);
	assert_string_equal(tv_text(&sm), "ii=2 cfg=2 ex=2 fs=0 hw=0 rt=0 st=2 sd=0");
	assert_int_equal(sm.status, AR_STATUS_AFFIRMING);

	/* Proof of hardware does not excuse a failed requirement. */
	ev.key_non_exportable = 0;
	appraise(&ev, &p, &sm, reason);
	assert_int_equal(sm.tv.v[AR_TV_STORAGE_OPAQUE], 96);
}

static void test_disk_encryption_alone_is_not_storage_opaque(void **state)
{
	ar_evidence_t ev;
	ar_refpolicy_t p;
	ar_ear_submod_t sm;
	char reason[256];

	(void)state;
	healthy(&ev);
	ev.key_storage = AR_KEY_FILE;
	ev.key_non_exportable = 0;
	ar_refpolicy_init(&p);
	appraise(&ev, &p, &sm, reason);
	assert_int_equal(ev.disk_encrypted, 1);
	assert_int_equal(sm.tv.v[AR_TV_STORAGE_OPAQUE], 0);
	assert_int_equal(sm.status, AR_STATUS_AFFIRMING);

	ev.disk_encrypted = 0;
	appraise(&ev, &p, &sm, reason);
	assert_int_equal(sm.tv.v[AR_TV_STORAGE_OPAQUE], 96);
	assert_string_equal(reason, "disk not encrypted");
	p.disk_severity = AR_STATUS_WARNING;
	appraise(&ev, &p, &sm, reason);
	assert_int_equal(sm.tv.v[AR_TV_STORAGE_OPAQUE], 32);
	p.require_disk_encryption = 0;
	appraise(&ev, &p, &sm, reason);
	assert_int_equal(sm.tv.v[AR_TV_STORAGE_OPAQUE], 0);
}

static void test_edr_and_secure_boot_feed_executables(void **state)
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
	ev.edr_running = 0;
	appraise(&ev, &p, &sm, reason);
	assert_string_equal(tv_text(&sm), "ii=0 cfg=2 ex=32 fs=0 hw=0 rt=0 st=0 sd=0");

	p.require_secure_boot = 1;
	p.secure_boot_severity = AR_STATUS_CONTRAINDICATED;
	ev.secure_boot = 0;
	appraise(&ev, &p, &sm, reason);
	assert_int_equal(sm.tv.v[AR_TV_EXECUTABLES], 96);
	assert_int_equal(sm.tv.v[AR_TV_CONFIGURATION], 2);
	assert_string_equal(reason, "secure boot disabled; endpoint agent falcon-sensor not running");

	/* Neither checked nor reported: no claim. */
	ar_refpolicy_init(&p);
	ev.secure_boot = -1;
	appraise(&ev, &p, &sm, reason);
	assert_int_equal(sm.tv.v[AR_TV_EXECUTABLES], 0);
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
	assert_int_equal(sm.tv.v[AR_TV_CONFIGURATION], 32);
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
	assert_int_equal(sm.tv.v[AR_TV_CONFIGURATION], 96);
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
	assert_int_equal(sm.tv.v[AR_TV_EXECUTABLES], 32);
	assert_non_null(strstr(reason, "falcon-sensor not running"));

	ev.key_storage = AR_KEY_FILE;
	appraise(&ev, &p, &sm, reason);
	assert_int_equal(sm.status, AR_STATUS_CONTRAINDICATED);
	assert_int_equal(sm.tv.v[AR_TV_STORAGE_OPAQUE], 96);
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

/* ---- signed evidence ---------------------------------------------------- */

/* The identity store of the tests: one device, one key, or a failing store. */
typedef struct enrolled {
	const char	*device;
	const ar_jwk_t	*key;
	int		down;
	int		calls;
} enrolled_t;

static int lookup(void *ctx, const char *device, ar_jwk_t **key, ar_err_t *err)
{
	enrolled_t *e = ctx;
	json_t *pub;

	e->calls++;
	if (e->down)
		return ar_err_set(err, AR_ERR_UNAVAILABLE, "store down");
	if (strcmp(device, e->device))
		return 0;
	pub = ar_jwk_public_json(e->key);
	*key = ar_jwk_parse(pub, AR_JWK_PUBLIC_ONLY, err);
	json_decref(pub);
	return *key ? 1 : -1;
}

static char *healthy_text(void)
{
	ar_evidence_t ev;
	json_t *j;
	char *text;

	healthy(&ev);
	j = ar_evidence_to_json(&ev);
	text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return text;
}

/* A JWS over the healthy evidence with a header of the test's choosing. */
static char *sign_with_header(const char *header_json, const ar_jwk_t *key)
{
	json_t *hdr = json_loads(header_json, 0, NULL);
	char *text = healthy_text(), *jws;

	assert_non_null(hdr);
	jws = ar_jws_sign_compact(hdr, text, strlen(text), key, NULL);
	assert_non_null(jws);
	json_decref(hdr);
	free(text);
	return jws;
}

static void expect_refused(const char *jws, enrolled_t *e, ar_errc_t code, const char *needle)
{
	ar_evidence_t ev;
	ar_err_t err = { 0 };

	assert_int_equal(ar_evidence_verify(jws, strlen(jws), lookup, e, &ev, &err), -1);
	assert_err(&err, code, needle);
	assert_int_equal(ev.identity_verified, 0);
	assert_string_equal(ev.device_id, "");
}

static void test_signed_evidence_verifies_with_the_enrolled_key(void **state)
{
	ar_jwk_t *key = ar_jwk_generate("ES256", NULL);
	enrolled_t e = { .device = "SUB-0042", .key = key };
	ar_evidence_t ev, want;
	ar_err_t err = { 0 };
	ar_jws_t jws;
	char *text;

	(void)state;
	healthy(&want);
	text = ar_evidence_sign(&want, key, &err);
	assert_non_null(text);
	assert_int_equal(ar_jws_parse_compact(text, strlen(text), AR_EVIDENCE_JWS_MAX, &jws, NULL), 0);
	assert_string_equal(ar_jws_header_str(&jws, "typ"), AR_EVIDENCE_JWS_TYP);
	assert_string_equal(ar_jws_header_str(&jws, "kid"), ar_jwk_thumbprint(key));
	assert_string_equal(ar_jws_header_str(&jws, "alg"), "ES256");
	ar_jws_clear(&jws);

	assert_int_equal(ar_evidence_verify(text, strlen(text), lookup, &e, &ev, &err), 0);
	assert_int_equal(ev.identity_verified, 1);
	assert_string_equal(ev.identity_jkt, ar_jwk_thumbprint(key));
	assert_int_equal(ev.key_attested, 0);
	ev.identity_verified = 0;
	memset(ev.identity_jkt, 0, sizeof(ev.identity_jkt));
	assert_memory_equal(&ev, &want, sizeof(ev));
	free(text);
	ar_jwk_free(key);
}

/*
 * A device enrolled through an Ed25519 account key signs its evidence with
 * EdDSA; evidence signed by another Ed25519 key is refused.
 */
static void test_evidence_signed_by_an_ed25519_identity_verifies_only_with_it(void **state)
{
	ar_jwk_t *key = ar_jwk_generate("EdDSA", NULL), *other = ar_jwk_generate("EdDSA", NULL);
	enrolled_t e = { .device = "SUB-0042", .key = key };
	ar_evidence_t ev, want;
	ar_err_t err = { 0 };
	char *text;

	(void)state;
	healthy(&want);
	text = ar_evidence_sign(&want, key, &err);
	assert_non_null(text);
	assert_int_equal(ar_evidence_verify(text, strlen(text), lookup, &e, &ev, &err), 0);
	assert_int_equal(ev.identity_verified, 1);
	assert_string_equal(ev.identity_jkt, ar_jwk_thumbprint(key));
	free(text);
	text = ar_evidence_sign(&want, other, &err);
	assert_non_null(text);
	expect_refused(text, &e, AR_ERR_BAD_SIGNATURE, "not by the key the device is enrolled with");
	free(text);
	ar_jwk_free(other);
	ar_jwk_free(key);
}

static void test_evidence_for_device_a_signed_by_device_b_refused(void **state)
{
	ar_jwk_t *a = ar_jwk_generate("ES256", NULL), *b = ar_jwk_generate("ES256", NULL);
	enrolled_t e = { .device = "SUB-0042", .key = a };
	char *jws, *text, hdr[160];

	(void)state;
	/* B signs evidence naming A's device, with its own kid. */
	text = healthy_text();
	jws = ar_evidence_sign_text(text, strlen(text), b, NULL);
	free(text);
	expect_refused(jws, &e, AR_ERR_BAD_SIGNATURE, "not by the key the device is enrolled with");
	free(jws);

	/* ... or claiming A's kid: the signature still has to verify with A's key. */
	snprintf(hdr, sizeof(hdr), "{\"typ\":\"%s\",\"kid\":\"%s\"}", AR_EVIDENCE_JWS_TYP,
		 ar_jwk_thumbprint(a));
	jws = sign_with_header(hdr, b);
	expect_refused(jws, &e, AR_ERR_BAD_SIGNATURE, "does not verify with its enrolled key");
	free(jws);
	ar_jwk_free(a);
	ar_jwk_free(b);
}

static void test_signed_evidence_for_unenrolled_device_refused(void **state)
{
	ar_jwk_t *key = ar_jwk_generate("ES256", NULL);
	enrolled_t e = { .device = "SUB-9999", .key = key };
	char *text = healthy_text(), *jws = ar_evidence_sign_text(text, strlen(text), key, NULL);

	(void)state;
	expect_refused(jws, &e, AR_ERR_NOT_FOUND, "SUB-0042 has no enrolled identity key");
	e.down = 1;
	expect_refused(jws, &e, AR_ERR_UNAVAILABLE, "store down");
	free(jws);
	free(text);
	ar_jwk_free(key);
}

static void test_signed_evidence_header_typ_required(void **state)
{
	ar_jwk_t *key = ar_jwk_generate("ES256", NULL);
	enrolled_t e = { .device = "SUB-0042", .key = key };
	char hdr[256], *jws;
	ar_evidence_t ev;

	(void)state;
	snprintf(hdr, sizeof(hdr), "{\"kid\":\"%s\"}", ar_jwk_thumbprint(key));
	jws = sign_with_header(hdr, key);
	expect_refused(jws, &e, AR_ERR_MALFORMED, "has no \"typ\"");
	free(jws);
	/* An ACME request or an EAR signed by the same key is not evidence. */
	snprintf(hdr, sizeof(hdr), "{\"typ\":\"JWT\",\"kid\":\"%s\"}", ar_jwk_thumbprint(key));
	jws = sign_with_header(hdr, key);
	expect_refused(jws, &e, AR_ERR_MALFORMED, "\"typ\" is \"JWT\"");
	free(jws);
	/* The header carries no key to trust. */
	snprintf(hdr, sizeof(hdr), "{\"typ\":\"%s\",\"kid\":\"%s\",\"jwk\":{}}",
		 AR_EVIDENCE_JWS_TYP, ar_jwk_thumbprint(key));
	jws = sign_with_header(hdr, key);
	expect_refused(jws, &e, AR_ERR_MALFORMED, "alg, typ and kid only");
	free(jws);
	snprintf(hdr, sizeof(hdr), "{\"typ\":\"%s\"}", AR_EVIDENCE_JWS_TYP);
	jws = sign_with_header(hdr, key);
	expect_refused(jws, &e, AR_ERR_MALFORMED, "\"kid\" must be");
	free(jws);
	/* RFC 7515 4.1.9: "application/" may be spelled out. */
	snprintf(hdr, sizeof(hdr), "{\"typ\":\"application/%s\",\"kid\":\"%s\"}",
		 AR_EVIDENCE_JWS_TYP, ar_jwk_thumbprint(key));
	jws = sign_with_header(hdr, key);
	assert_int_equal(ar_evidence_verify(jws, strlen(jws), lookup, &e, &ev, NULL), 0);
	free(jws);
	assert_int_equal(e.calls, 1);	/* no lookup for a header that is refused */
	ar_jwk_free(key);
}

/* header.payload.signature with a signature that is only bytes: for refusals
 * that come before any signature is checked. */
static char *forge(const char *header_json, const char *payload, size_t sig_bytes)
{
	uint8_t sig[128] = { 1 };
	char *h64 = ar_b64url_encode_alloc(header_json, strlen(header_json));
	char *p64 = ar_b64url_encode_alloc(payload, strlen(payload));
	char *s64 = ar_b64url_encode_alloc(sig, sig_bytes), *jws;
	size_t n = strlen(h64) + strlen(p64) + strlen(s64) + 3;

	jws = malloc(n);
	assert_non_null(jws);
	snprintf(jws, n, "%s.%s.%s", h64, p64, s64);
	free(h64);
	free(p64);
	free(s64);
	return jws;
}

static void test_signed_evidence_alg_none_or_mac_refused(void **state)
{
	static const char k[] = "{\"kty\":\"oct\",\"k\":\"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXh4eHg\"}";
	ar_jwk_t *key = ar_jwk_generate("ES256", NULL);
	ar_jwk_t *mac = ar_jwk_parse_text(k, strlen(k), AR_JWK_ALLOW_OCT, NULL);
	enrolled_t e = { .device = "SUB-0042", .key = key };
	char hdr[256], *text = healthy_text(), *jws;

	(void)state;
	assert_non_null(mac);
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"none\",\"typ\":\"%s\",\"kid\":\"%s\"}",
		 AR_EVIDENCE_JWS_TYP, ar_jwk_thumbprint(key));
	jws = forge(hdr, text, 3);
	expect_refused(jws, &e, AR_ERR_BAD_ALG, "none");
	free(jws);

	snprintf(hdr, sizeof(hdr), "{\"alg\":\"HS256\",\"typ\":\"%s\",\"kid\":\"%s\"}",
		 AR_EVIDENCE_JWS_TYP, ar_jwk_thumbprint(key));
	jws = forge(hdr, text, 32);
	expect_refused(jws, &e, AR_ERR_BAD_ALG, "only ES256, ES384, RS256 and EdDSA");
	free(jws);
	assert_null(ar_evidence_sign_text(text, strlen(text), mac, NULL));
	assert_int_equal(e.calls, 0);

	/* ES384 over a P-256 enrolled key: not the enrolled key's algorithm. */
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES384\",\"typ\":\"%s\",\"kid\":\"%s\"}",
		 AR_EVIDENCE_JWS_TYP, ar_jwk_thumbprint(key));
	jws = forge(hdr, text, 96);
	expect_refused(jws, &e, AR_ERR_BAD_ALG, "does not fit");
	free(jws);
	free(text);
	ar_jwk_free(mac);
	ar_jwk_free(key);
}

static void test_signed_evidence_tampered_payload_refused(void **state)
{
	ar_jwk_t *key = ar_jwk_generate("ES256", NULL);
	enrolled_t e = { .device = "SUB-0042", .key = key };
	char *text = healthy_text(), *jws = ar_evidence_sign_text(text, strlen(text), key, NULL);
	char *dot = strchr(jws, '.'), *p64, *forged, *other;
	size_t n;

	(void)state;
	/* The same header and signature over evidence that says something else. */
	other = strstr(text, "\"debian\"");
	assert_non_null(other);
	memcpy(other, "\"ubuntu\"", 8);
	p64 = ar_b64url_encode_alloc(text, strlen(text));
	n = strlen(jws) + strlen(p64) + 1;
	forged = malloc(n);
	snprintf(forged, n, "%.*s.%s%s", (int)(dot - jws), jws, p64, strrchr(jws, '.'));
	expect_refused(forged, &e, AR_ERR_BAD_SIGNATURE, "does not verify");
	expect_refused("a.b", &e, AR_ERR_MALFORMED, "three parts");
	expect_refused(text, &e, AR_ERR_MALFORMED, "signed evidence");
	free(forged);
	free(p64);
	free(jws);
	free(text);
	ar_jwk_free(key);
}

static void test_evidence_cmw_wraps_signed_evidence_only(void **state)
{
	ar_jwk_t *key = ar_jwk_generate("ES256", NULL);
	char *text = healthy_text(), *jws = ar_evidence_sign_text(text, strlen(text), key, NULL);
	char *cmw, *out;
	json_t *rec;
	ar_err_t err = { 0 };
	size_t len;

	(void)state;
	rec = ar_evidence_cmw_wrap(jws);
	assert_string_equal(json_string_value(json_array_get(rec, 0)), AR_MT_EVIDENCE_JWS);
	assert_int_equal(json_integer_value(json_array_get(rec, 2)), AR_CMW_IND_EVIDENCE);
	cmw = json_dumps(rec, JSON_COMPACT);
	json_decref(rec);
	assert_int_equal(ar_evidence_cmw_unwrap(cmw, strlen(cmw), &out, &len, &err), 0);
	assert_string_equal(out, jws);
	assert_int_equal(len, strlen(jws));
	free(out);
	free(cmw);

#define REFUSED(rec_json, code, needle) do {						\
		json_t *j_ = (rec_json);						\
		char *t_ = json_dumps(j_, JSON_COMPACT);				\
		memset(&err, 0, sizeof(err));						\
		assert_int_equal(ar_evidence_cmw_unwrap(t_, strlen(t_), &out, &len, &err), -1); \
		assert_null(out);							\
		assert_err(&err, code, needle);						\
		free(t_);								\
		json_decref(j_);							\
	} while (0)
	/* Unsigned evidence, bare or in a record: the device did not sign it. */
	REFUSED(json_loads(text, 0, NULL), AR_ERR_UNAUTHORIZED, "unsigned evidence");
	REFUSED(ar_cmw_record(AR_MT_EVIDENCE, text, strlen(text), AR_CMW_IND_EVIDENCE),
		AR_ERR_UNAUTHORIZED, "must be signed");
	REFUSED(ar_cmw_record(AR_MT_EAR, jws, strlen(jws), AR_CMW_IND_RESULTS), AR_ERR_UNSUPPORTED,
		"only signed evidence");
	REFUSED(ar_cmw_record(AR_MT_EVIDENCE_JWS, jws, strlen(jws), AR_CMW_IND_RESULTS),
		AR_ERR_MALFORMED, "ind is 8");
	REFUSED(json_pack("{s:o}", "ev", ar_evidence_cmw_wrap(jws)), AR_ERR_MALFORMED,
		"not a collection");
	REFUSED(json_pack("[s,s,i]", AR_MT_EVIDENCE_JWS, "!!", 4), AR_ERR_MALFORMED, "CMW");
#undef REFUSED
	free(jws);
	free(text);
	ar_jwk_free(key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_evidence_json_roundtrip),
		cmocka_unit_test(test_evidence_unknown_fields_stay_unknown),
		cmocka_unit_test(test_evidence_rejects_malformed_input),
		cmocka_unit_test(test_healthy_device_is_affirming),
		cmocka_unit_test(test_instance_identity_affirmed_only_for_verified_signature),
		cmocka_unit_test(test_declared_hardware_key_is_not_storage_opaque_affirming),
		cmocka_unit_test(test_disk_encryption_alone_is_not_storage_opaque),
		cmocka_unit_test(test_edr_and_secure_boot_feed_executables),
		cmocka_unit_test(test_patch_age_grades_warning_then_per_policy),
		cmocka_unit_test(test_unapproved_os_is_contraindicated),
		cmocka_unit_test(test_missing_disk_encryption_edr_and_key_store),
		cmocka_unit_test(test_stale_evidence_gives_no_assurance),
		cmocka_unit_test(test_evidence_time_bounds_name_the_skew),
		cmocka_unit_test(test_refpolicy_json_and_its_errors),
		cmocka_unit_test(test_version_compare_is_numeric_per_component),
		cmocka_unit_test(test_signed_evidence_verifies_with_the_enrolled_key),
		cmocka_unit_test(test_evidence_signed_by_an_ed25519_identity_verifies_only_with_it),
		cmocka_unit_test(test_evidence_for_device_a_signed_by_device_b_refused),
		cmocka_unit_test(test_signed_evidence_for_unenrolled_device_refused),
		cmocka_unit_test(test_signed_evidence_header_typ_required),
		cmocka_unit_test(test_signed_evidence_alg_none_or_mac_refused),
		cmocka_unit_test(test_signed_evidence_tampered_payload_refused),
		cmocka_unit_test(test_evidence_cmw_wraps_signed_evidence_only),
	};

	return cmocka_run_group_tests_name("evidence", tests, NULL, NULL);
}
