/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of EAT Attestation Results and their appraisal. */
#include "config.h"

#include "testutil.h"
#include "ear.h"
#include "jws.h"

#define NOW	1800000000
#define NONCE	"3q2-7wAAAAAAAAAAAAAAAQ"

static ar_jwk_t *vkey;		/* the verifier's signing key, kid "v1" */
static ar_jwks_t *trusted;	/* its public half */
static ar_jwk_t *device;	/* the key the device will certify */

static int setup(void **state)
{
	ar_jwk_t *gen = ar_jwk_generate("ES256", NULL);
	json_t *json, *pub, *set;

	(void)state;
	if (!gen)
		return -1;
	json = json_deep_copy(ar_jwk_json(gen));
	json_object_set_new(json, "kid", json_string("v1"));
	vkey = ar_jwk_parse(json, 0, NULL);
	pub = ar_jwk_public_json(vkey);
	set = json_pack("{s:[o]}", "keys", pub);
	trusted = ar_jwks_parse(set, AR_JWK_PUBLIC_ONLY, NULL);
	device = ar_jwk_generate("ES256", NULL);
	json_decref(set);
	json_decref(json);
	ar_jwk_free(gen);
	return vkey && trusted && device ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	ar_jwk_free(vkey);
	ar_jwks_free(trusted);
	ar_jwk_free(device);
	return 0;
}

/* A healthy device's EAR: one "os" submodule, affirming everywhere. */
static void healthy(ar_ear_t *ear)
{
	ar_ear_submod_t *sm = &ear->submods[0];

	memset(ear, 0, sizeof(*ear));
	ear->profile = AR_EAR_PROFILE_VERAISON;
	ear->iat = NOW - 10;
	snprintf(ear->nonce, sizeof(ear->nonce), "%s", NONCE);
	snprintf(ear->verifier_developer, sizeof(ear->verifier_developer), "acme-rats-verifier");
	snprintf(ear->verifier_build, sizeof(ear->verifier_build), "0.1.0");
	snprintf(ear->jkt, sizeof(ear->jkt), "%s", ar_jwk_thumbprint(device));
	snprintf(ear->subject, sizeof(ear->subject), "SUB-0042");
	ear->nsubmods = 1;
	snprintf(sm->name, sizeof(sm->name), "os");
	sm->status = AR_STATUS_AFFIRMING;
	sm->tv.v[AR_TV_INSTANCE_IDENTITY] = 2;
	sm->tv.v[AR_TV_CONFIGURATION] = 2;
	sm->tv.v[AR_TV_EXECUTABLES] = 2;
	sm->tv.v[AR_TV_HARDWARE] = 2;
	snprintf(sm->policy_id, sizeof(sm->policy_id), "policy:substation");
}

/* Sign @in, verify it back into @out; returns ar_ear_verify's result. */
static int roundtrip(const ar_ear_t *in, const ar_jwk_t *key, ar_ear_t *out, ar_err_t *err)
{
	char *jwt = ar_ear_sign(in, key, err);
	int rc;

	assert_non_null(jwt);
	rc = ar_ear_verify(jwt, strlen(jwt), trusted, out, err);
	free(jwt);
	return rc;
}

static void appraise(const ar_ear_t *ear, const ar_ear_policy_t *p, ar_appraisal_t *out)
{
	ar_ear_expect_t x = { .now = NOW, .nonce = NONCE, .jkt = ar_jwk_thumbprint(device) };

	ar_ear_appraise(ear, p, &x, out);
}

static void test_ear_sign_verify_roundtrip_keeps_every_claim(void **state)
{
	ar_ear_t in, out;
	ar_err_t err = { 0 };

	(void)state;
	healthy(&in);
	in.exp = NOW + 3600;
	assert_int_equal(roundtrip(&in, vkey, &out, &err), 0);
	assert_int_equal(out.profile, AR_EAR_PROFILE_VERAISON);
	assert_int_equal(out.iat, in.iat);
	assert_int_equal(out.exp, in.exp);
	assert_string_equal(out.nonce, NONCE);
	assert_string_equal(out.jkt, ar_jwk_thumbprint(device));
	assert_string_equal(out.subject, "SUB-0042");
	assert_string_equal(out.verifier_developer, "acme-rats-verifier");
	assert_string_equal(out.verifier_build, "0.1.0");
	assert_string_equal(out.kid, "v1");
	assert_int_equal(out.nsubmods, 1);
	assert_string_equal(out.submods[0].name, "os");
	assert_string_equal(out.submods[0].policy_id, "policy:substation");
	assert_memory_equal(&out.submods[0].tv, &in.submods[0].tv, sizeof(ar_tvec_t));
}

static void test_ear_ietf_spelling_roundtrips(void **state)
{
	ar_ear_t in, out;
	ar_err_t err = { 0 };
	ar_jws_t jws;
	char *jwt;

	(void)state;
	healthy(&in);
	in.profile = AR_EAR_PROFILE_IETF03;
	jwt = ar_ear_sign(&in, vkey, &err);
	assert_non_null(jwt);
	assert_int_equal(ar_jws_parse_compact(jwt, strlen(jwt), 16384, &jws, NULL), 0);
	assert_non_null(strstr((char *)jws.payload, "\"ear_status\""));
	assert_non_null(strstr((char *)jws.payload, "\"instance_identity\""));
	assert_null(strstr((char *)jws.payload, "ear.status"));
	ar_jws_clear(&jws);
	assert_int_equal(ar_ear_verify(jwt, strlen(jwt), trusted, &out, &err), 0);
	assert_int_equal(out.profile, AR_EAR_PROFILE_IETF03);
	assert_int_equal(out.submods[0].tv.v[AR_TV_INSTANCE_IDENTITY], 2);
	assert_string_equal(out.submods[0].policy_id, "policy:substation");
	free(jwt);
}

static void test_ear_healthy_result_is_affirming_and_acceptable(void **state)
{
	ar_ear_policy_t p;
	ar_appraisal_t a;
	ar_ear_t ear;

	(void)state;
	healthy(&ear);
	ar_ear_policy_init(&p);
	appraise(&ear, &p, &a);
	assert_int_equal(a.verdict, AR_VERDICT_AFFIRMING);
	assert_true(a.acceptable);
}

static void test_ear_expired_by_age_is_invalid(void **state)
{
	ar_ear_policy_t p;
	ar_appraisal_t a;
	ar_ear_t ear;

	(void)state;
	healthy(&ear);
	ar_ear_policy_init(&p);
	ear.iat = NOW - p.max_age - 1;
	appraise(&ear, &p, &a);
	assert_int_equal(a.verdict, AR_VERDICT_INVALID);
	assert_non_null(strstr(a.reason, "old"));
	ear.iat = NOW - 100;
	ear.exp = NOW - p.skew - 1;
	appraise(&ear, &p, &a);
	assert_int_equal(a.verdict, AR_VERDICT_INVALID);
	assert_non_null(strstr(a.reason, "expired"));
}

static void test_ear_future_dated_beyond_skew_is_invalid(void **state)
{
	ar_ear_policy_t p;
	ar_appraisal_t a;
	ar_ear_t ear;

	(void)state;
	healthy(&ear);
	ar_ear_policy_init(&p);
	ear.iat = NOW + p.skew;
	appraise(&ear, &p, &a);
	assert_int_equal(a.verdict, AR_VERDICT_AFFIRMING);
	ear.iat = NOW + p.skew + 1;
	appraise(&ear, &p, &a);
	assert_int_equal(a.verdict, AR_VERDICT_INVALID);
	assert_non_null(strstr(a.reason, "future"));
}

static void test_ear_wrong_or_missing_nonce_is_invalid(void **state)
{
	ar_ear_policy_t p;
	ar_appraisal_t a;
	ar_ear_t ear;

	(void)state;
	healthy(&ear);
	ar_ear_policy_init(&p);
	snprintf(ear.nonce, sizeof(ear.nonce), "3q2-7wAAAAAAAAAAAAAAAg");
	appraise(&ear, &p, &a);
	assert_int_equal(a.verdict, AR_VERDICT_INVALID);
	assert_non_null(strstr(a.reason, "does not match"));
	ear.nonce[0] = '\0';
	appraise(&ear, &p, &a);
	assert_non_null(strstr(a.reason, "no eat_nonce"));
}

static void test_nonce_equal_compares_decoded_bytes(void **state)
{
	(void)state;
	/* Same 16 bytes in base64url, standard base64 padded and unpadded. */
	assert_true(ar_nonce_equal("3q2-7wAAAAAAAAAAAAAAAQ", "3q2+7wAAAAAAAAAAAAAAAQ=="));
	assert_true(ar_nonce_equal("3q2-7wAAAAAAAAAAAAAAAQ", "3q2+7wAAAAAAAAAAAAAAAQ"));
	assert_false(ar_nonce_equal("3q2-7wAAAAAAAAAAAAAAAQ", "3q2-7wAAAAAAAAAAAAAAAg"));
	assert_false(ar_nonce_equal("3q2-7wAAAAAAAAAAAAAAAQ", "3q2-7wAAAAAAAAAAAAAA"));
	assert_false(ar_nonce_equal("", ""));
	assert_false(ar_nonce_equal("!!", "!!"));
	assert_false(ar_nonce_equal(NULL, "AA"));
}

static void test_ear_from_untrusted_verifier_key_is_refused(void **state)
{
	ar_jwk_t *rogue = ar_jwk_generate("ES256", NULL);
	json_t *json = json_deep_copy(ar_jwk_json(rogue));
	ar_jwk_t *rogue_v1;
	ar_err_t err = { 0 };
	ar_ear_t in, out;

	(void)state;
	healthy(&in);
	/* Unknown kid: refused before any signature check. */
	json_object_set_new(json, "kid", json_string("rogue"));
	ar_jwk_free(rogue);
	rogue = ar_jwk_parse(json, 0, NULL);
	assert_int_equal(roundtrip(&in, rogue, &out, &err), -1);
	assert_err(&err, AR_ERR_NOT_FOUND, "not a trusted verifier key");
	/* Trusted kid, other key: the signature fails. */
	json_object_set_new(json, "kid", json_string("v1"));
	rogue_v1 = ar_jwk_parse(json, 0, NULL);
	assert_int_equal(roundtrip(&in, rogue_v1, &out, &err), -1);
	assert_int_equal(err.code, AR_ERR_BAD_SIGNATURE);
	json_decref(json);
	ar_jwk_free(rogue_v1);
	ar_jwk_free(rogue);
}

static void test_ear_bad_signature_is_refused(void **state)
{
	ar_err_t err = { 0 };
	ar_ear_t in, out;
	char *jwt, *dot;

	(void)state;
	healthy(&in);
	jwt = ar_ear_sign(&in, vkey, NULL);
	dot = strchr(jwt, '.');
	dot[5] = dot[5] == 'A' ? 'B' : 'A';
	assert_int_equal(ar_ear_verify(jwt, strlen(jwt), trusted, &out, &err), -1);
	assert_int_equal(err.code, AR_ERR_BAD_SIGNATURE);
	free(jwt);
}

static void test_ear_signed_with_rs256_is_refused(void **state)
{
	ar_jwk_t *rsa = ar_jwk_generate("RS256", NULL);
	json_t *json = json_deep_copy(ar_jwk_json(rsa)), *set;
	ar_jwks_t *rsaset;
	ar_jwk_t *rsa_v1;
	ar_err_t err = { 0 };
	ar_ear_t in, out;
	char *jwt;

	(void)state;
	healthy(&in);
	json_object_set_new(json, "kid", json_string("r1"));
	rsa_v1 = ar_jwk_parse(json, 0, NULL);
	set = json_pack("{s:[o]}", "keys", ar_jwk_public_json(rsa_v1));
	rsaset = ar_jwks_parse(set, 0, NULL);
	jwt = ar_ear_sign(&in, rsa_v1, NULL);
	assert_int_equal(ar_ear_verify(jwt, strlen(jwt), rsaset, &out, &err), -1);
	assert_err(&err, AR_ERR_BAD_ALG, "RS256");
	free(jwt);
	ar_jwks_free(rsaset);
	json_decref(set);
	json_decref(json);
	ar_jwk_free(rsa_v1);
	ar_jwk_free(rsa);
}

static void test_ear_contraindicated_submodule_decides(void **state)
{
	ar_ear_policy_t p;
	ar_appraisal_t a;
	ar_ear_t ear;

	(void)state;
	healthy(&ear);
	ear.nsubmods = 2;
	ear.submods[1] = ear.submods[0];
	snprintf(ear.submods[1].name, sizeof(ear.submods[1].name), "edr");
	/* Declared affirming, but a claim in the contraindicated tier. */
	ear.submods[1].tv.v[AR_TV_EXECUTABLES] = 96;
	ar_ear_policy_init(&p);
	appraise(&ear, &p, &a);
	assert_int_equal(a.verdict, AR_VERDICT_CONTRAINDICATED);
	assert_false(a.acceptable);
	assert_non_null(strstr(a.reason, "\"edr\""));
	assert_int_equal(ar_ear_status(&ear), AR_STATUS_CONTRAINDICATED);
}

static void test_ear_warning_accepted_only_when_policy_allows(void **state)
{
	ar_ear_policy_t p;
	ar_appraisal_t a;
	ar_ear_t ear;

	(void)state;
	healthy(&ear);
	ear.submods[0].tv.v[AR_TV_CONFIGURATION] = 32;
	ar_ear_policy_init(&p);
	appraise(&ear, &p, &a);
	assert_int_equal(a.verdict, AR_VERDICT_WARNING);
	assert_false(a.acceptable);
	assert_non_null(strstr(a.reason, "requires affirming"));
	p.min_status = AR_STATUS_WARNING;
	appraise(&ear, &p, &a);
	assert_int_equal(a.verdict, AR_VERDICT_WARNING);
	assert_true(a.acceptable);
}

static void test_ear_missing_required_claim_or_submodule_is_invalid(void **state)
{
	ar_ear_policy_t p;
	ar_appraisal_t a;
	ar_ear_t ear;

	(void)state;
	healthy(&ear);
	ar_ear_policy_init(&p);
	p.claim_min[AR_TV_STORAGE_OPAQUE] = AR_STATUS_AFFIRMING;
	appraise(&ear, &p, &a);
	assert_int_equal(a.verdict, AR_VERDICT_INVALID);
	assert_non_null(strstr(a.reason, "does not assert storage-opaque"));

	ar_ear_policy_init(&p);
	snprintf(p.required_submods[0], sizeof(p.required_submods[0]), "tpm");
	p.nrequired = 1;
	appraise(&ear, &p, &a);
	assert_int_equal(a.verdict, AR_VERDICT_INVALID);
	assert_non_null(strstr(a.reason, "\"tpm\" missing"));
}

static void test_ear_claim_below_required_tier_is_not_acceptable(void **state)
{
	ar_ear_policy_t p;
	ar_appraisal_t a;
	ar_ear_t ear;

	(void)state;
	healthy(&ear);
	ear.submods[0].tv.v[AR_TV_HARDWARE] = 40;	/* warning tier */
	ar_ear_policy_init(&p);
	p.min_status = AR_STATUS_WARNING;
	p.claim_min[AR_TV_HARDWARE] = AR_STATUS_AFFIRMING;
	appraise(&ear, &p, &a);
	assert_int_equal(a.verdict, AR_VERDICT_WARNING);
	assert_false(a.acceptable);
	assert_non_null(strstr(a.reason, "hardware is warning"));
}

static void test_ear_key_binding_must_match_certified_key(void **state)
{
	ar_ear_policy_t p;
	ar_appraisal_t a;
	ar_ear_t ear;

	(void)state;
	healthy(&ear);
	ar_ear_policy_init(&p);
	snprintf(ear.jkt, sizeof(ear.jkt), "%s", "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
	appraise(&ear, &p, &a);
	assert_int_equal(a.verdict, AR_VERDICT_INVALID);
	assert_non_null(strstr(a.reason, "key binding does not match"));
	ear.jkt[0] = '\0';
	appraise(&ear, &p, &a);
	assert_non_null(strstr(a.reason, "no key binding"));
}

static void test_ear_disallowed_verifier_is_invalid(void **state)
{
	ar_ear_policy_t p;
	ar_appraisal_t a;
	ar_ear_t ear;

	(void)state;
	healthy(&ear);
	ar_ear_policy_init(&p);
	snprintf(p.verifiers[0], sizeof(p.verifiers[0]), "https://soc.example/verifier");
	p.nverifiers = 1;
	appraise(&ear, &p, &a);
	assert_int_equal(a.verdict, AR_VERDICT_INVALID);
	assert_non_null(strstr(a.reason, "not allowed"));
}

static void test_ear_claims_parser_rejects_malformed_claims(void **state)
{
	static const char *const bad[] = {
		"[]",
		"{\"eat_profile\":\"tag:other\",\"iat\":1}",
		"{\"eat_profile\":\"tag:github.com,2023:veraison/ear\"}",
		"{\"eat_profile\":\"tag:github.com,2023:veraison/ear\",\"iat\":\"1\"}",
		"{\"eat_profile\":\"tag:github.com,2023:veraison/ear\",\"iat\":1,\"submods\":{}}",
		"{\"eat_profile\":\"tag:github.com,2023:veraison/ear\",\"iat\":1,"
		"\"ear.verifier-id\":{\"developer\":\"x\"},\"submods\":{\"a\":{\"ear.status\":\"great\"}}}",
		"{\"eat_profile\":\"tag:github.com,2023:veraison/ear\",\"iat\":1,"
		"\"ear.verifier-id\":{\"developer\":\"x\"},\"submods\":{\"a\":{\"ear.status\":\"affirming\","
		"\"ear.trustworthiness-vector\":{\"hardware\":300}}}}",
		"{\"eat_profile\":\"tag:github.com,2023:veraison/ear\",\"iat\":1,"
		"\"ear.verifier-id\":{\"developer\":\"x\"},\"submods\":{\"a\":{\"ear.status\":\"affirming\","
		"\"ear.trustworthiness-vector\":{\"karma\":2}}}}",
		"{\"eat_profile\":\"tag:github.com,2023:veraison/ear\",\"iat\":1,\"cnf\":{\"jkt\":\"short\"},"
		"\"ear.verifier-id\":{\"developer\":\"x\"},\"submods\":{\"a\":{\"ear.status\":\"affirming\"}}}",
		/* IETF profile with dotted names: spellings are not mixed. */
		"{\"eat_profile\":\"tag:ietf.org,2026:rats/ear#03\",\"iat\":1,"
		"\"ear.verifier-id\":{\"developer\":\"x\"},\"submods\":{\"a\":{\"ear.status\":\"affirming\"}}}",
	};
	ar_err_t err = { 0 };
	ar_ear_t ear;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *j = json_loads(bad[i], 0, NULL);

		assert_non_null(j);
		if (ar_ear_parse_claims(j, &ear, &err) == 0)
			fail_msg("claims %zu accepted: %s", i, bad[i]);
		json_decref(j);
	}
}

static void test_ear_policy_json_is_strict(void **state)
{
	ar_ear_policy_t p;
	ar_err_t err = { 0 };
	json_t *j;

	(void)state;
	j = json_loads("{\"min_status\":\"warning\",\"max_age\":120,\"clock_skew\":30,"
		       "\"claims\":{\"hardware\":\"affirming\",\"instance_identity\":\"affirming\"},"
		       "\"required_submods\":[\"os\"],\"verifiers\":[\"acme-rats-verifier\"],"
		       "\"require_key_binding\":false}", 0, NULL);
	assert_int_equal(ar_ear_policy_from_json(j, &p, &err), 0);
	assert_int_equal(p.min_status, AR_STATUS_WARNING);
	assert_int_equal(p.max_age, 120);
	assert_int_equal(p.skew, 30);
	assert_int_equal(p.claim_min[AR_TV_HARDWARE], AR_STATUS_AFFIRMING);
	assert_int_equal(p.claim_min[AR_TV_INSTANCE_IDENTITY], AR_STATUS_AFFIRMING);
	assert_int_equal(p.claim_min[AR_TV_EXECUTABLES], -1);
	assert_int_equal(p.nrequired, 1);
	assert_string_equal(p.verifiers[0], "acme-rats-verifier");
	assert_false(p.require_key_binding);
	json_decref(j);

	j = json_loads("{\"max_age\":120,\"maxage\":1}", 0, NULL);
	assert_int_equal(ar_ear_policy_from_json(j, &p, &err), -1);
	assert_int_equal(err.code, AR_ERR_CONFIG);
	json_decref(j);
	j = json_loads("{\"min_status\":\"contraindicated\"}", 0, NULL);
	assert_int_equal(ar_ear_policy_from_json(j, &p, &err), -1);
	json_decref(j);
	j = json_loads("{\"claims\":{\"hardware\":\"none\"}}", 0, NULL);
	assert_int_equal(ar_ear_policy_from_json(j, &p, &err), -1);
	json_decref(j);
}

static void test_tier_boundaries_follow_ar4si(void **state)
{
	(void)state;
	assert_int_equal(ar_tv_tier(0), -1);
	assert_int_equal(ar_tv_tier(1), AR_STATUS_NONE);
	assert_int_equal(ar_tv_tier(-1), AR_STATUS_NONE);
	assert_int_equal(ar_tv_tier(2), AR_STATUS_AFFIRMING);
	assert_int_equal(ar_tv_tier(31), AR_STATUS_AFFIRMING);
	assert_int_equal(ar_tv_tier(32), AR_STATUS_WARNING);
	assert_int_equal(ar_tv_tier(95), AR_STATUS_WARNING);
	assert_int_equal(ar_tv_tier(96), AR_STATUS_CONTRAINDICATED);
	assert_int_equal(ar_tv_tier(127), AR_STATUS_CONTRAINDICATED);
}

/*
 * A verifier writes a non-standard reason as a negative value: it stays in
 * its tier. Before, every negative value fell into "none" and a
 * contraindicated -100 read as no assurance instead of contraindicated.
 */
static void test_negative_trust_tiers(void **state)
{
	static const struct {
		int value, tier;
	} v[] = {
		{ -1, AR_STATUS_NONE }, { 0, -1 }, { 1, AR_STATUS_NONE },
		{ 2, AR_STATUS_AFFIRMING }, { 31, AR_STATUS_AFFIRMING },
		{ 32, AR_STATUS_WARNING }, { 95, AR_STATUS_WARNING },
		{ 96, AR_STATUS_CONTRAINDICATED }, { 127, AR_STATUS_CONTRAINDICATED },
		{ -2, AR_STATUS_AFFIRMING }, { -32, AR_STATUS_AFFIRMING },
		{ -33, AR_STATUS_WARNING }, { -96, AR_STATUS_WARNING },
		{ -97, AR_STATUS_CONTRAINDICATED }, { -128, AR_STATUS_CONTRAINDICATED },
	};
	ar_ear_policy_t p;
	ar_appraisal_t a;
	ar_ear_t ear;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (ar_tv_tier(v[i].value) != v[i].tier)
			fail_msg("ar_tv_tier(%d) = %d, want %d", v[i].value, ar_tv_tier(v[i].value),
				 v[i].tier);
	/* A negative contraindicated claim decides the appraisal. */
	healthy(&ear);
	ear.submods[0].tv.v[AR_TV_EXECUTABLES] = -100;
	ar_ear_policy_init(&p);
	appraise(&ear, &p, &a);
	assert_int_equal(a.verdict, AR_VERDICT_CONTRAINDICATED);
	assert_false(a.acceptable);
	/* A negative affirming claim is affirming. */
	healthy(&ear);
	ear.submods[0].tv.v[AR_TV_EXECUTABLES] = -5;
	appraise(&ear, &p, &a);
	assert_int_equal(a.verdict, AR_VERDICT_AFFIRMING);
	assert_true(a.acceptable);
	/* A negative warning is a warning. */
	ear.submods[0].tv.v[AR_TV_EXECUTABLES] = -40;
	assert_int_equal(ar_ear_status(&ear), AR_STATUS_WARNING);
}

/*
 * An EAR whose first submodule is healthy and whose second is not: the
 * worst vector takes, claim by claim, the worse value, so the second
 * submodule's warnings (and a claim it does not make) cannot hide behind
 * the first's.
 */
static void test_worst_vector_over_submodules_claim_by_claim(void **state)
{
	ar_tvec_t tv;
	ar_ear_t ear;

	(void)state;
	healthy(&ear);
	ear.nsubmods = 2;
	ear.submods[1] = ear.submods[0];
	snprintf(ear.submods[1].name, sizeof(ear.submods[1].name), "tpm");
	ear.submods[1].tv.v[AR_TV_EXECUTABLES] = 33;		/* warning */
	ear.submods[1].tv.v[AR_TV_HARDWARE] = 0;		/* no claim */
	ear.submods[1].tv.v[AR_TV_STORAGE_OPAQUE] = 2;		/* only the second claims it */
	ear.submods[0].tv.v[AR_TV_CONFIGURATION] = -97;		/* contraindicated, first */
	ear.submods[1].tv.v[AR_TV_SOURCED_DATA] = 1;		/* none tier */
	ar_ear_worst_tvec(&ear, &tv);
	assert_int_equal(tv.v[AR_TV_INSTANCE_IDENTITY], 2);
	assert_int_equal(tv.v[AR_TV_CONFIGURATION], -97);
	assert_int_equal(tv.v[AR_TV_EXECUTABLES], 33);
	assert_int_equal(tv.v[AR_TV_HARDWARE], 0);
	assert_int_equal(tv.v[AR_TV_STORAGE_OPAQUE], 0);
	assert_int_equal(tv.v[AR_TV_SOURCED_DATA], 1);
	assert_int_equal(ar_ear_status(&ear), AR_STATUS_CONTRAINDICATED);
	/* The rank order itself. */
	assert_true(ar_tv_rank(2) < ar_tv_rank(0));
	assert_true(ar_tv_rank(0) < ar_tv_rank(32));
	assert_true(ar_tv_rank(32) < ar_tv_rank(1));
	assert_true(ar_tv_rank(-1) < ar_tv_rank(96));
	/* Folding an affirming vector into a warning one changes nothing. */
	tv.v[AR_TV_EXECUTABLES] = 40;
	{
		ar_tvec_t good = { { 2, 2, 2, 2, 2, 2, 2, 2 } };

		ar_tvec_worsen(&tv, &good);
		assert_int_equal(tv.v[AR_TV_EXECUTABLES], 40);
		assert_int_equal(tv.v[AR_TV_HARDWARE], 0);
	}
	/* No submodules: no claims. */
	ear.nsubmods = 0;
	ar_ear_worst_tvec(&ear, &tv);
	assert_int_equal(tv.v[AR_TV_INSTANCE_IDENTITY], 0);
}

static void test_tvec_format_is_compact(void **state)
{
	ar_tvec_t tv = { { 2, 2, 32, 0, 2, 0, 0, 96 } };
	char buf[128];

	(void)state;
	ar_tvec_format(&tv, buf, sizeof(buf));
	assert_string_equal(buf, "ii=2 cfg=2 ex=32 fs=0 hw=2 rt=0 st=0 sd=96");
	ar_tvec_format_claims(&tv, buf, sizeof(buf));
	assert_string_equal(buf, "ii=2 cfg=2 ex=32 hw=2 sd=96");
	tv.v[AR_TV_INSTANCE_IDENTITY] = 0;
	tv.v[AR_TV_STORAGE_OPAQUE] = -1;
	ar_tvec_format_claims(&tv, buf, sizeof(buf));
	assert_string_equal(buf, "cfg=2 ex=32 hw=2 st=-1 sd=96");
	memset(&tv, 0, sizeof(tv));
	ar_tvec_format_claims(&tv, buf, sizeof(buf));
	assert_string_equal(buf, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ear_sign_verify_roundtrip_keeps_every_claim),
		cmocka_unit_test(test_ear_ietf_spelling_roundtrips),
		cmocka_unit_test(test_ear_healthy_result_is_affirming_and_acceptable),
		cmocka_unit_test(test_ear_expired_by_age_is_invalid),
		cmocka_unit_test(test_ear_future_dated_beyond_skew_is_invalid),
		cmocka_unit_test(test_ear_wrong_or_missing_nonce_is_invalid),
		cmocka_unit_test(test_nonce_equal_compares_decoded_bytes),
		cmocka_unit_test(test_ear_from_untrusted_verifier_key_is_refused),
		cmocka_unit_test(test_ear_bad_signature_is_refused),
		cmocka_unit_test(test_ear_signed_with_rs256_is_refused),
		cmocka_unit_test(test_ear_contraindicated_submodule_decides),
		cmocka_unit_test(test_ear_warning_accepted_only_when_policy_allows),
		cmocka_unit_test(test_ear_missing_required_claim_or_submodule_is_invalid),
		cmocka_unit_test(test_ear_claim_below_required_tier_is_not_acceptable),
		cmocka_unit_test(test_ear_key_binding_must_match_certified_key),
		cmocka_unit_test(test_ear_disallowed_verifier_is_invalid),
		cmocka_unit_test(test_ear_claims_parser_rejects_malformed_claims),
		cmocka_unit_test(test_ear_policy_json_is_strict),
		cmocka_unit_test(test_tier_boundaries_follow_ar4si),
		cmocka_unit_test(test_tvec_format_is_compact),
		cmocka_unit_test(test_negative_trust_tiers),
		cmocka_unit_test(test_worst_vector_over_submodules_claim_by_claim),
	};

	return cmocka_run_group_tests_name("ear", tests, setup, teardown);
}
