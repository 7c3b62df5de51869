/* SPDX-License-Identifier: GPL-2.0-or-later */
/* EAT Attestation Results: parsing, verification and appraisal against a policy (ear.h). */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "b64.h"
#include "ear.h"
#include "jws.h"

/* Claim names in each profile. */
static const struct ear_names {
	const char *tag, *verifier_id, *status, *tvec, *policy_id;
} names[] = {
	[AR_EAR_PROFILE_VERAISON] = {
		AR_EAR_PROFILE_VERAISON_TAG, "ear.verifier-id", "ear.status",
		"ear.trustworthiness-vector", "ear.appraisal-policy-id",
	},
	[AR_EAR_PROFILE_IETF03] = {
		AR_EAR_PROFILE_IETF03_TAG, "ear_verifier_id", "ear_status",
		"ear_trustworthiness_vector", "ear_appraisal_policy_ids",
	},
};

static const char *const status_names[] = {
	[AR_STATUS_AFFIRMING] = "affirming",
	[AR_STATUS_WARNING] = "warning",
	[AR_STATUS_NONE] = "none",
	[AR_STATUS_CONTRAINDICATED] = "contraindicated",
};

static const struct {
	const char *name, *abbrev;
} tv_names[AR_TV_COUNT] = {
	[AR_TV_INSTANCE_IDENTITY] = { "instance-identity", "ii" },
	[AR_TV_CONFIGURATION] = { "configuration", "cfg" },
	[AR_TV_EXECUTABLES] = { "executables", "ex" },
	[AR_TV_FILE_SYSTEM] = { "file-system", "fs" },
	[AR_TV_HARDWARE] = { "hardware", "hw" },
	[AR_TV_RUNTIME_OPAQUE] = { "runtime-opaque", "rt" },
	[AR_TV_STORAGE_OPAQUE] = { "storage-opaque", "st" },
	[AR_TV_SOURCED_DATA] = { "sourced-data", "sd" },
};

static const char *const verdict_names[] = {
	[AR_VERDICT_AFFIRMING] = "affirming",
	[AR_VERDICT_WARNING] = "warning",
	[AR_VERDICT_CONTRAINDICATED] = "contraindicated",
	[AR_VERDICT_INVALID] = "invalid",
};

const char *ar_status_name(ar_status_t s)
{
	return (unsigned)s <= AR_STATUS_CONTRAINDICATED ? status_names[s] : "unknown";
}

int ar_status_parse(const char *s, ar_status_t *out)
{
	size_t i;

	for (i = 0; s && i < sizeof(status_names) / sizeof(status_names[0]); i++) {
		if (!strcmp(s, status_names[i])) {
			*out = (ar_status_t)i;
			return 0;
		}
	}
	return -1;
}

const char *ar_tv_claim_name(ar_tv_claim_t c)
{
	return (unsigned)c < AR_TV_COUNT ? tv_names[c].name : "unknown";
}

int ar_tv_claim_parse(const char *name, ar_tv_claim_t *out)
{
	char norm[32];
	size_t i;

	if (!name || strlen(name) >= sizeof(norm))
		return -1;
	for (i = 0; name[i]; i++)
		norm[i] = name[i] == '_' ? '-' : name[i];
	norm[i] = '\0';
	for (i = 0; i < AR_TV_COUNT; i++) {
		if (!strcmp(norm, tv_names[i].name)) {
			*out = (ar_tv_claim_t)i;
			return 0;
		}
	}
	return -1;
}

const char *ar_verdict_name(ar_verdict_t v)
{
	return (unsigned)v <= AR_VERDICT_INVALID ? verdict_names[v] : "unknown";
}

int ar_tv_tier(int value)
{
	int mag;

	if (value == 0)
		return -1;
	if (value == 1 || value == -1)
		return AR_STATUS_NONE;
	/* The negative ranges are the positive ones shifted by one:
	 * -2..-32 affirming, -33..-96 warning, -97..-128 contraindicated. */
	mag = value > 0 ? value : -value - 1;
	if (mag <= 31)
		return AR_STATUS_AFFIRMING;
	if (mag <= 95)
		return AR_STATUS_WARNING;
	return AR_STATUS_CONTRAINDICATED;
}

int ar_tv_rank(int value)
{
	switch (ar_tv_tier(value)) {
	case AR_STATUS_AFFIRMING:
		return 0;
	case -1:
		return 1;
	case AR_STATUS_WARNING:
		return 2;
	case AR_STATUS_NONE:
		return 3;
	default:
		return 4;
	}
}

void ar_tvec_worsen(ar_tvec_t *acc, const ar_tvec_t *other)
{
	size_t i;

	for (i = 0; i < AR_TV_COUNT; i++)
		if (ar_tv_rank(other->v[i]) > ar_tv_rank(acc->v[i]))
			acc->v[i] = other->v[i];
}

void ar_ear_worst_tvec(const ar_ear_t *ear, ar_tvec_t *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	if (ear->nsubmods == 0)
		return;
	*out = ear->submods[0].tv;
	for (i = 1; i < ear->nsubmods; i++)
		ar_tvec_worsen(out, &ear->submods[i].tv);
}

static ar_status_t worst(ar_status_t a, ar_status_t b)
{
	return a > b ? a : b;
}

ar_status_t ar_ear_submod_status(const ar_ear_submod_t *sm)
{
	ar_status_t s = sm->status;
	size_t i;

	for (i = 0; i < AR_TV_COUNT; i++) {
		int t = ar_tv_tier(sm->tv.v[i]);

		if (t >= 0)
			s = worst(s, (ar_status_t)t);
	}
	return s;
}

ar_status_t ar_ear_status(const ar_ear_t *ear)
{
	ar_status_t s = AR_STATUS_AFFIRMING;
	size_t i;

	if (ear->nsubmods == 0)
		return AR_STATUS_NONE;
	for (i = 0; i < ear->nsubmods; i++)
		s = worst(s, ar_ear_submod_status(&ear->submods[i]));
	return s;
}

static void tvec_format(const ar_tvec_t *tv, int claims_only, char *buf, size_t size)
{
	size_t i, off = 0;

	if (size)
		buf[0] = '\0';
	for (i = 0; i < AR_TV_COUNT && off < size; i++) {
		int n;

		if (claims_only && tv->v[i] == 0)
			continue;
		n = snprintf(buf + off, size - off, "%s%s=%d", off ? " " : "", tv_names[i].abbrev,
			     tv->v[i]);
		if (n < 0)
			break;
		off += (size_t)n;
	}
}

void ar_tvec_format(const ar_tvec_t *tv, char *buf, size_t size)
{
	tvec_format(tv, 0, buf, size);
}

void ar_tvec_format_claims(const ar_tvec_t *tv, char *buf, size_t size)
{
	tvec_format(tv, 1, buf, size);
}

/* Copy a bounded string claim; absent is fine, wrong type or too long is not. */
static int copy_str(const json_t *obj, const char *name, char *dst, size_t size,
		    ar_err_t *err)
{
	const json_t *v = json_object_get(obj, name);

	dst[0] = '\0';
	if (!v)
		return 0;
	if (!json_is_string(v) || json_string_length(v) >= size)
		return ar_err_set(err, AR_ERR_MALFORMED, "EAR claim \"%s\" must be a string of "
				  "fewer than %zu characters", name, size);
	memcpy(dst, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

static int parse_tvec(const json_t *obj, ar_tvec_t *tv, const char *submod, ar_err_t *err)
{
	const char *key;
	ar_tv_claim_t c;
	json_int_t n;
	json_t *v;

	memset(tv, 0, sizeof(*tv));
	if (!obj)
		return 0;
	if (!json_is_object(obj))
		return ar_err_set(err, AR_ERR_MALFORMED,
				  "EAR submodule \"%s\": trustworthiness vector is not an object",
				  submod);
	json_object_foreach((json_t *)obj, key, v) {
		if (ar_tv_claim_parse(key, &c) < 0)
			return ar_err_set(err, AR_ERR_MALFORMED,
					  "EAR submodule \"%s\": unknown trustworthiness claim \"%.32s\"",
					  submod, key);
		n = json_is_integer(v) ? json_integer_value(v) : 1000;
		if (n < -128 || n > 127)
			return ar_err_set(err, AR_ERR_MALFORMED,
					  "EAR submodule \"%s\": claim \"%s\" must be an integer "
					  "in -128..127", submod, key);
		tv->v[c] = (int8_t)n;
	}
	return 0;
}

static int parse_submod(const ar_ear_t *ear, const char *name, const json_t *obj,
			ar_ear_submod_t *sm, ar_err_t *err)
{
	const struct ear_names *nm = &names[ear->profile];
	const json_t *pid;

	if (strlen(name) >= sizeof(sm->name) || !*name)
		return ar_err_set(err, AR_ERR_MALFORMED, "EAR submodule name of bad length");
	memcpy(sm->name, name, strlen(name) + 1);
	if (!json_is_object(obj))
		return ar_err_set(err, AR_ERR_MALFORMED, "EAR submodule \"%s\" is not an object",
				  name);
	if (ar_status_parse(json_string_value(json_object_get(obj, nm->status)), &sm->status) < 0)
		return ar_err_set(err, AR_ERR_MALFORMED,
				  "EAR submodule \"%s\": \"%s\" missing or not a status", name,
				  nm->status);
	if (parse_tvec(json_object_get(obj, nm->tvec), &sm->tv, name, err) < 0)
		return -1;
	pid = json_object_get(obj, nm->policy_id);
	if (json_is_array(pid))		/* IETF spelling is a list: keep the first */
		pid = json_array_get(pid, 0);
	if (pid && (!json_is_string(pid) || json_string_length(pid) >= sizeof(sm->policy_id)))
		return ar_err_set(err, AR_ERR_MALFORMED,
				  "EAR submodule \"%s\": bad appraisal policy id", name);
	if (pid)
		memcpy(sm->policy_id, json_string_value(pid), json_string_length(pid) + 1);
	return 0;
}

int ar_ear_parse_claims(const json_t *claims, ar_ear_t *out, ar_err_t *err)
{
	const json_t *v, *submods, *vid;
	const char *profile, *key;
	json_t *sm;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(claims))
		return ar_err_set(err, AR_ERR_MALFORMED, "EAR claims are not a JSON object");

	profile = json_string_value(json_object_get(claims, "eat_profile"));
	if (!profile)
		return ar_err_set(err, AR_ERR_MALFORMED, "EAR has no \"eat_profile\"");
	if (!strcmp(profile, AR_EAR_PROFILE_VERAISON_TAG))
		out->profile = AR_EAR_PROFILE_VERAISON;
	else if (!strcmp(profile, AR_EAR_PROFILE_IETF03_TAG))
		out->profile = AR_EAR_PROFILE_IETF03;
	else
		return ar_err_set(err, AR_ERR_UNSUPPORTED, "EAR profile \"%.64s\" is not supported",
				  profile);

	v = json_object_get(claims, "iat");
	if (!json_is_integer(v) || json_integer_value(v) <= 0)
		return ar_err_set(err, AR_ERR_MALFORMED, "EAR \"iat\" missing or not a positive integer");
	out->iat = json_integer_value(v);
	v = json_object_get(claims, "exp");
	if (v && (!json_is_integer(v) || json_integer_value(v) <= 0))
		return ar_err_set(err, AR_ERR_MALFORMED, "EAR \"exp\" is not a positive integer");
	out->exp = v ? json_integer_value(v) : 0;

	if (copy_str(claims, "eat_nonce", out->nonce, sizeof(out->nonce), err) < 0 ||
	    copy_str(claims, "sub", out->subject, sizeof(out->subject), err) < 0)
		return -1;

	vid = json_object_get(claims, names[out->profile].verifier_id);
	if (!json_is_object(vid))
		return ar_err_set(err, AR_ERR_MALFORMED, "EAR has no \"%s\" object",
				  names[out->profile].verifier_id);
	if (copy_str(vid, "developer", out->verifier_developer, sizeof(out->verifier_developer),
		     err) < 0 ||
	    copy_str(vid, "build", out->verifier_build, sizeof(out->verifier_build), err) < 0)
		return -1;
	if (!out->verifier_developer[0])
		return ar_err_set(err, AR_ERR_MALFORMED, "EAR verifier id has no \"developer\"");

	v = json_object_get(claims, "cnf");
	if (v) {
		const json_t *jkt = json_object_get(v, "jkt");

		if (!json_is_string(jkt) || json_string_length(jkt) != AR_JWK_THUMBPRINT_LEN)
			return ar_err_set(err, AR_ERR_MALFORMED,
					  "EAR \"cnf\" must hold a SHA-256 \"jkt\" thumbprint");
		memcpy(out->jkt, json_string_value(jkt), AR_JWK_THUMBPRINT_LEN + 1);
	}

	submods = json_object_get(claims, "submods");
	if (!json_is_object(submods) || json_object_size(submods) == 0)
		return ar_err_set(err, AR_ERR_MALFORMED, "EAR has no \"submods\"");
	if (json_object_size(submods) > AR_EAR_MAX_SUBMODS)
		return ar_err_set(err, AR_ERR_TOO_LARGE, "EAR has more than %d submodules",
				  AR_EAR_MAX_SUBMODS);
	json_object_foreach((json_t *)submods, key, sm) {
		if (parse_submod(out, key, sm, &out->submods[out->nsubmods], err) < 0)
			return -1;
		out->nsubmods++;
	}
	return 0;
}

int ar_ear_verify(const char *jwt, size_t len, const ar_jwks_t *trusted, ar_ear_t *out,
		  ar_err_t *err)
{
	const ar_jwk_t *key;
	json_error_t jerr;
	json_t *claims = NULL;
	const char *kid;
	ar_jws_t jws;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (ar_jws_parse_compact(jwt, len, AR_EAR_MAX_TEXT, &jws, err) < 0)
		return ar_err_prefix(err, "EAR: ");
	kid = ar_jws_header_str(&jws, "kid");
	if (kid) {
		key = ar_jwks_find(trusted, kid);
		if (!key) {
			ar_err_set(err, AR_ERR_NOT_FOUND, "EAR: signing key \"%.64s\" is not a trusted "
				   "verifier key", kid);
			goto out;
		}
	} else if (ar_jwks_count(trusted) == 1) {
		key = ar_jwks_get(trusted, 0);
	} else {
		ar_err_set(err, AR_ERR_NOT_FOUND, "EAR: no \"kid\" and %zu trusted keys",
			   ar_jwks_count(trusted));
		goto out;
	}
	if (ar_jws_verify(&jws, key, AR_ALG_BIT(AR_ALG_ES256) | AR_ALG_BIT(AR_ALG_ES384),
			  err) < 0) {
		ar_err_prefix(err, "EAR: ");
		goto out;
	}
	claims = json_loadb((const char *)jws.payload, jws.payload_len, JSON_REJECT_DUPLICATES,
			    &jerr);
	if (!claims) {
		ar_err_set(err, AR_ERR_MALFORMED, "EAR claims are not valid JSON: %s", jerr.text);
		goto out;
	}
	if (ar_ear_parse_claims(claims, out, err) < 0)
		goto out;
	if (kid)
		snprintf(out->kid, sizeof(out->kid), "%s", kid);
	rc = 0;
out:
	json_decref(claims);
	ar_jws_clear(&jws);
	return rc;
}

static json_t *tvec_json(const ar_tvec_t *tv, int underscore)
{
	json_t *obj = json_object();
	char name[32];
	size_t i, j;

	for (i = 0; obj && i < AR_TV_COUNT; i++) {
		if (tv->v[i] == 0)
			continue;
		snprintf(name, sizeof(name), "%s", tv_names[i].name);
		for (j = 0; underscore && name[j]; j++)
			if (name[j] == '-')
				name[j] = '_';
		if (json_object_set_new(obj, name, json_integer(tv->v[i])) < 0) {
			json_decref(obj);
			return NULL;
		}
	}
	return obj;
}

char *ar_ear_sign(const ar_ear_t *ear, const ar_jwk_t *key, ar_err_t *err)
{
	const struct ear_names *nm = &names[ear->profile];
	int ietf = ear->profile == AR_EAR_PROFILE_IETF03;
	json_t *claims, *submods, *hdr = NULL;
	char *payload = NULL, *jwt = NULL;
	size_t i;

	claims = json_pack("{s:s,s:I,s:{s:s,s:s},s:{}}", "eat_profile", nm->tag,
			   "iat", (json_int_t)ear->iat, nm->verifier_id,
			   "developer", ear->verifier_developer, "build", ear->verifier_build,
			   "submods");
	if (!claims)
		goto nomem;
	if ((ear->exp && json_object_set_new(claims, "exp", json_integer(ear->exp)) < 0) ||
	    (ear->nonce[0] && json_object_set_new(claims, "eat_nonce", json_string(ear->nonce)) < 0) ||
	    (ear->subject[0] && json_object_set_new(claims, "sub", json_string(ear->subject)) < 0) ||
	    (ear->jkt[0] && json_object_set_new(claims, "cnf", json_pack("{s:s}", "jkt", ear->jkt)) < 0))
		goto nomem;
	submods = json_object_get(claims, "submods");
	for (i = 0; i < ear->nsubmods; i++) {
		const ar_ear_submod_t *sm = &ear->submods[i];
		json_t *obj = json_pack("{s:s,s:o*}", nm->status, ar_status_name(sm->status),
					nm->tvec, tvec_json(&sm->tv, ietf));

		if (!obj || json_object_set_new(submods, sm->name, obj) < 0)
			goto nomem;
		if (sm->policy_id[0] &&
		    json_object_set_new(obj, nm->policy_id,
					ietf ? json_pack("[s]", sm->policy_id)
					     : json_string(sm->policy_id)) < 0)
			goto nomem;
	}
	payload = json_dumps(claims, JSON_COMPACT);
	hdr = json_pack("{s:s}", "typ", "JWT");
	if (!payload || !hdr)
		goto nomem;
	if (ar_jwk_kid(key) && json_object_set_new(hdr, "kid", json_string(ar_jwk_kid(key))) < 0)
		goto nomem;
	jwt = ar_jws_sign_compact(hdr, payload, strlen(payload), key, err);
	goto out;
nomem:
	ar_err_set(err, AR_ERR_NOMEM, "out of memory building the EAR");
out:
	json_decref(hdr);
	json_decref(claims);
	free(payload);
	return jwt;
}

void ar_ear_policy_init(ar_ear_policy_t *p)
{
	size_t i;

	memset(p, 0, sizeof(*p));
	p->min_status = AR_STATUS_AFFIRMING;
	p->max_age = 600;
	p->skew = 300;
	p->require_key_binding = 1;
	for (i = 0; i < AR_TV_COUNT; i++)
		p->claim_min[i] = -1;
}

/* A string list member into a fixed array. */
static int policy_list(const json_t *arr, const char *what, char (*dst)[AR_EAR_NAME_MAX],
		       size_t cap, size_t width, size_t *count, ar_err_t *err)
{
	size_t i;

	*count = 0;
	if (!arr)
		return 0;
	if (!json_is_array(arr) || json_array_size(arr) > cap)
		return ar_err_set(err, AR_ERR_CONFIG, "policy \"%s\" must be a list of at most %zu "
				  "strings", what, cap);
	for (i = 0; i < json_array_size(arr); i++) {
		const json_t *v = json_array_get(arr, i);

		if (!json_is_string(v) || json_string_length(v) == 0 ||
		    json_string_length(v) >= width)
			return ar_err_set(err, AR_ERR_CONFIG, "policy \"%s\"[%zu] must be a string "
					  "of 1..%zu characters", what, i, width - 1);
		memcpy((char *)dst + i * width, json_string_value(v), json_string_length(v) + 1);
	}
	*count = i;
	return 0;
}

int ar_ear_policy_from_json(const json_t *json, ar_ear_policy_t *p, ar_err_t *err)
{
	const char *min = NULL, *key;
	json_t *claims = NULL, *submods = NULL, *verifiers = NULL, *v;
	json_int_t max_age = -1, skew = -1;
	int binding = -1;
	json_error_t jerr;

	ar_ear_policy_init(p);
	if (json_unpack_ex((json_t *)json, &jerr, JSON_STRICT,
			   "{s?s, s?I, s?I, s?o, s?o, s?o, s?b}",
			   "min_status", &min, "max_age", &max_age, "clock_skew", &skew,
			   "claims", &claims, "required_submods", &submods,
			   "verifiers", &verifiers, "require_key_binding", &binding) < 0)
		return ar_err_set(err, AR_ERR_CONFIG, "policy: %s", jerr.text);
	if (min) {
		if (ar_status_parse(min, &p->min_status) < 0 ||
		    p->min_status > AR_STATUS_WARNING)
			return ar_err_set(err, AR_ERR_CONFIG,
					  "policy \"min_status\" must be affirming or warning");
	}
	if (max_age != -1) {
		if (max_age <= 0 || max_age > 7 * 86400)
			return ar_err_set(err, AR_ERR_CONFIG,
					  "policy \"max_age\" must be 1..604800 seconds");
		p->max_age = max_age;
	}
	if (skew != -1) {
		if (skew < 0 || skew > 3600)
			return ar_err_set(err, AR_ERR_CONFIG,
					  "policy \"clock_skew\" must be 0..3600 seconds");
		p->skew = skew;
	}
	if (binding != -1)
		p->require_key_binding = binding;
	if (claims && !json_is_object(claims))
		return ar_err_set(err, AR_ERR_CONFIG, "policy \"claims\" must be an object");
	json_object_foreach(claims, key, v) {
		ar_tv_claim_t c;
		ar_status_t s;

		if (ar_tv_claim_parse(key, &c) < 0)
			return ar_err_set(err, AR_ERR_CONFIG, "policy: unknown claim \"%.32s\"", key);
		if (ar_status_parse(json_string_value(v), &s) < 0 || s > AR_STATUS_WARNING)
			return ar_err_set(err, AR_ERR_CONFIG,
					  "policy claim \"%s\" must require affirming or warning", key);
		p->claim_min[c] = (int)s;
	}
	if (policy_list(submods, "required_submods", p->required_submods, AR_EAR_MAX_SUBMODS,
			AR_EAR_NAME_MAX, &p->nrequired, err) < 0 ||
	    policy_list(verifiers, "verifiers", (char (*)[AR_EAR_NAME_MAX])p->verifiers, 8,
			AR_EAR_ID_MAX, &p->nverifiers, err) < 0)
		return -1;
	return 0;
}

int ar_nonce_equal(const char *a, const char *b)
{
	uint8_t ba[AR_EAR_NONCE_MAX], bb[AR_EAR_NONCE_MAX];
	size_t la, lb;

	if (!a || !b || strlen(a) > AR_EAR_NONCE_MAX || strlen(b) > AR_EAR_NONCE_MAX ||
	    ar_b64_decode_lenient(a, ba, sizeof(ba), &la, NULL) < 0 ||
	    ar_b64_decode_lenient(b, bb, sizeof(bb), &lb, NULL) < 0 || la == 0)
		return 0;
	return la == lb && CRYPTO_memcmp(ba, bb, la) == 0;
}

static void set_result(ar_appraisal_t *out, ar_verdict_t v, int ok, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void set_result(ar_appraisal_t *out, ar_verdict_t v, int ok, const char *fmt, ...)
{
	va_list ap;

	out->verdict = v;
	out->acceptable = ok;
	va_start(ap, fmt);
	vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
}

/* The checks that make a result invalid, in order; 0 when all pass. */
static int check_validity(const ar_ear_t *ear, const ar_ear_policy_t *p,
			  const ar_ear_expect_t *x, ar_appraisal_t *out)
{
	size_t i, j;

	if (ear->iat > x->now + p->skew) {
		set_result(out, AR_VERDICT_INVALID, 0, "EAR issued %lld s in the future",
			   (long long)(ear->iat - x->now));
		return -1;
	}
	if (x->now - ear->iat > p->max_age) {
		set_result(out, AR_VERDICT_INVALID, 0, "EAR is %lld s old, policy allows %lld s",
			   (long long)(x->now - ear->iat), (long long)p->max_age);
		return -1;
	}
	if (ear->exp && x->now > ear->exp + p->skew) {
		set_result(out, AR_VERDICT_INVALID, 0, "EAR expired %lld s ago",
			   (long long)(x->now - ear->exp));
		return -1;
	}
	if (x->nonce && !ar_nonce_equal(ear->nonce, x->nonce)) {
		set_result(out, AR_VERDICT_INVALID, 0, "%s",
			   ear->nonce[0] ? "EAR eat_nonce does not match the freshness nonce"
					 : "EAR has no eat_nonce");
		return -1;
	}
	if (p->nverifiers) {
		for (i = 0; i < p->nverifiers; i++)
			if (!strcmp(p->verifiers[i], ear->verifier_developer))
				break;
		if (i == p->nverifiers) {
			set_result(out, AR_VERDICT_INVALID, 0, "verifier \"%.64s\" is not allowed",
				   ear->verifier_developer);
			return -1;
		}
	}
	for (i = 0; i < p->nrequired; i++) {
		for (j = 0; j < ear->nsubmods; j++)
			if (!strcmp(p->required_submods[i], ear->submods[j].name))
				break;
		if (j == ear->nsubmods) {
			set_result(out, AR_VERDICT_INVALID, 0, "required submodule \"%s\" missing",
				   p->required_submods[i]);
			return -1;
		}
	}
	if (p->require_key_binding && !ear->jkt[0]) {
		set_result(out, AR_VERDICT_INVALID, 0, "EAR has no key binding (cnf.jkt)");
		return -1;
	}
	if (x->jkt && (!ear->jkt[0] || strcmp(ear->jkt, x->jkt))) {
		set_result(out, AR_VERDICT_INVALID, 0,
			   "EAR key binding does not match the key to be certified");
		return -1;
	}
	return 0;
}

void ar_ear_appraise(const ar_ear_t *ear, const ar_ear_policy_t *p, const ar_ear_expect_t *x,
		     ar_appraisal_t *out)
{
	ar_status_t status;
	size_t i, c;

	if (check_validity(ear, p, x, out) < 0)
		return;

	status = ar_ear_status(ear);
	switch (status) {
	case AR_STATUS_CONTRAINDICATED:
		for (i = 0; i < ear->nsubmods; i++)
			if (ar_ear_submod_status(&ear->submods[i]) == AR_STATUS_CONTRAINDICATED)
				break;
		set_result(out, AR_VERDICT_CONTRAINDICATED, 0, "submodule \"%s\" is contraindicated",
			   i < ear->nsubmods ? ear->submods[i].name : "?");
		return;
	case AR_STATUS_NONE:
		set_result(out, AR_VERDICT_INVALID, 0, "EAR makes no trustworthiness claim");
		return;
	case AR_STATUS_WARNING:
		set_result(out, AR_VERDICT_WARNING, p->min_status >= AR_STATUS_WARNING,
			   "status warning%s", p->min_status >= AR_STATUS_WARNING ? ""
				: ", policy requires affirming");
		break;
	case AR_STATUS_AFFIRMING:
		set_result(out, AR_VERDICT_AFFIRMING, 1, "affirming");
		break;
	}

	/* Per-claim requirements: every submodule must assert each required claim. */
	for (c = 0; c < AR_TV_COUNT; c++) {
		if (p->claim_min[c] < 0)
			continue;
		for (i = 0; i < ear->nsubmods; i++) {
			int tier = ar_tv_tier(ear->submods[i].tv.v[c]);

			if (tier < 0 || tier == AR_STATUS_NONE) {
				set_result(out, AR_VERDICT_INVALID, 0,
					   "submodule \"%s\" does not assert %s", ear->submods[i].name,
					   tv_names[c].name);
				return;
			}
			if (tier > p->claim_min[c]) {
				set_result(out, out->verdict, 0, "submodule \"%s\" %s is %s, policy "
					   "requires %s", ear->submods[i].name, tv_names[c].name,
					   status_names[tier], status_names[p->claim_min[c]]);
				return;
			}
		}
	}
}
