/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Challenge responses. remote-attest-01, passport model: the JWS payload is
 * a CMW (RFC 9999) carrying the EAR, or several, the device got from the
 * verifier for this challenge's freshness_nonce. Background-check model:
 * the payload is a JWE of the device's evidence to the verifier's key,
 * which the CA relays to the verifier in a session opened with the
 * freshness_nonce. The CA accepts the response only if every EAR in it
 * - is signed by a verifier key the profile trusts and passes the
 *   profile's appraisal policy with eat_nonce = freshness_nonce,
 * - names the order's device: its `sub` is the order's
 *   permanent-identifier (an EAR that names no device, or another, is
 *   refused: a healthy device's result cannot speak for another device),
 * - binds the same key (cnf.jkt) as the others and as the order's other
 *   attestations, and, in a CMW, agrees with its record (the type's
 *   eat_profile, the attestation-results indicator);
 * and if what they say of the device as a whole - the worst over every
 * submodule of every EAR, claim by claim - affirms the AR4SI claims the
 * authorization's hint requires (the profile's hint_* options). The key the
 * EARs bind is recorded on the order, and finalize takes a CSR for that key
 * only. Any failure makes the challenge invalid with
 * badAttestationStatement and a precise detail. The freshness_nonce is
 * stored with its authorization, which belongs to one account, and is
 * spent by the first response.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ca.h"
#include "cmw.h"
#include "verifier_client.h"
#include "log.h"
#include "x509.h"

#define MAX_CHALLENGES	8

/* Results of a challenge response, before they are committed. */
enum {
	CHALL_VALID = 0,
	CHALL_INVALID = -1,
	CHALL_RETRY_LATER = -2,		/* the verifier could not be reached: stays pending */
	CHALL_REFUSED = -3		/* the request itself is refused: @problem, nothing changes */
};

/* What the EARs of one response say of the device, folded: the worst wins. */
typedef struct attested {
	size_t		count;				/* EARs folded in */
	ar_status_t	status;				/* worst over every submodule */
	ar_tvec_t	tv;				/* worst, claim by claim */
	int64_t		iat;				/* the oldest */
	ar_verdict_t	verdict;			/* worst appraisal verdict */
	char		verifier[AR_EAR_ID_MAX];
	char		subject[AR_EAR_ID_MAX];
	char		jkt[AR_JWK_THUMBPRINT_LEN + 1];
} attested_t;

static const char *ear_profile_tag(ar_ear_profile_t p)
{
	return p == AR_EAR_PROFILE_IETF03 ? AR_EAR_PROFILE_IETF03_TAG : AR_EAR_PROFILE_VERAISON_TAG;
}

/*
 * The order's attestation, for its certificate: the worst status and, claim
 * by claim, the worst vector of all its remote-attest-01 responses, and the
 * oldest EAR's iat.
 */
static void record_attestation(json_t *order, const attested_t *a)
{
	const json_t *cur = json_object_get(order, "attestation");
	const char *verifier = a->verifier;
	ar_status_t st = a->status, old;
	ar_tvec_t tv = a->tv, prev;
	int64_t iat = a->iat;
	json_t *arr;
	size_t i;

	if (cur && ar_status_parse(json_string_value(json_object_get(cur, "status")), &old) == 0) {
		for (i = 0; i < AR_TV_COUNT; i++)
			prev.v[i] = (int8_t)json_integer_value(json_array_get(json_object_get(cur, "tv"),
									      i));
		ar_tvec_worsen(&tv, &prev);
		if (old > st)
			st = old;
		if (json_integer_value(json_object_get(cur, "iat")) > 0 &&
		    json_integer_value(json_object_get(cur, "iat")) < iat)
			iat = json_integer_value(json_object_get(cur, "iat"));
		if (json_string_value(json_object_get(cur, "verifier")))
			verifier = json_string_value(json_object_get(cur, "verifier"));
	}
	arr = json_array();
	for (i = 0; arr && i < AR_TV_COUNT; i++)
		json_array_append_new(arr, json_integer(tv.v[i]));
	/* json_pack copies @verifier (which may live in cur) before cur is replaced. */
	json_object_set_new(order, "attestation",
			    json_pack("{s:s,s:s,s:I,s:o}", "verifier", verifier, "status",
				      ar_status_name(st), "iat", (json_int_t)iat, "tv", arr));
}

/*
 * The EAR must name the device the order is for: its subject is every
 * permanent-identifier of the order (a dns-only order names no device).
 */
static int check_subject(const json_t *order, const ar_ear_t *ear, const char *where,
			 char *detail, size_t size)
{
	const json_t *ids = json_object_get(order, "identifiers"), *id;
	size_t i;

	json_array_foreach(ids, i, id) {
		const char *type = json_string_value(json_object_get(id, "type"));
		const char *value = json_string_value(json_object_get(id, "value"));

		if (!type || !value || strcmp(type, AR_ID_PERMANENT))
			continue;
		if (!ear->subject[0]) {
			snprintf(detail, size, "%sthe attestation result names no device (no \"sub\"); "
				 "this order is for permanent-identifier \"%.64s\"", where, value);
			return -1;
		}
		if (strcmp(ear->subject, value)) {
			snprintf(detail, size, "%sthe attestation result is for device \"%.64s\", not "
				 "this order's permanent-identifier \"%.64s\"", where, ear->subject, value);
			return -1;
		}
	}
	return 0;
}

/* Fold one accepted EAR into @acc. */
static void fold(attested_t *acc, const ar_ear_t *ear, const ar_appraisal_t *a)
{
	ar_tvec_t tv;
	ar_status_t st = ar_ear_status(ear);

	ar_ear_worst_tvec(ear, &tv);
	if (acc->count == 0) {
		acc->status = st;
		acc->tv = tv;
		acc->iat = ear->iat;
		acc->verdict = a->verdict;
		snprintf(acc->verifier, sizeof(acc->verifier), "%s", ear->verifier_developer);
		snprintf(acc->subject, sizeof(acc->subject), "%s", ear->subject);
		snprintf(acc->jkt, sizeof(acc->jkt), "%s", ear->jkt);
	} else {
		if (st > acc->status)
			acc->status = st;
		ar_tvec_worsen(&acc->tv, &tv);
		if (ear->iat < acc->iat)
			acc->iat = ear->iat;
		if (a->verdict > acc->verdict)
			acc->verdict = a->verdict;
	}
	acc->count++;
}

/*
 * Verify and appraise one EAR (from CMW record @rec, or NULL when the
 * verifier returned it) and fold it into @acc. 0, or -1: @detail says why.
 */
static int appraise_ear(const ca_profile_t *prof, const json_t *challenge, const json_t *order,
			const ar_cmw_rec_t *rec, const char *jwt, size_t len, attested_t *acc,
			char *detail, size_t size)
{
	ar_ear_expect_t expect = { .now = time(NULL), .nonce = NULL, .jkt = NULL };
	ar_err_t err = { 0 };
	ar_appraisal_t a;
	ar_ear_t ear;
	char where[AR_CMW_MAX_LABEL + 24] = "";

	if (rec && rec->label[0])
		snprintf(where, sizeof(where), "CMW record \"%s\": ", rec->label);
	expect.nonce = json_string_value(json_object_get(challenge, "freshness_nonce"));
	if (!prof->trusted || ar_ear_verify(jwt, len, prof->trusted, &ear, &err) < 0) {
		snprintf(detail, size, "%s%s", where, prof->trusted ? err.msg : "no trusted verifier keys");
		return -1;
	}
	if (rec && !ar_cmw_rec_profile_matches(rec, ear_profile_tag(ear.profile))) {
		snprintf(detail, size, "%sthe CMW record's type says eat_profile \"%.64s\" but the "
			 "attestation result's eat_profile is \"%s\"", where, rec->eat_profile,
			 ear_profile_tag(ear.profile));
		return -1;
	}
	ar_ear_appraise(&ear, &prof->ear_policy, &expect, &a);
	if (!a.acceptable) {
		snprintf(detail, size, "%sattestation result %s: %s", where, ar_verdict_name(a.verdict),
			 a.reason);
		return -1;
	}
	if (check_subject(order, &ear, where, detail, size) < 0)
		return -1;
	if (acc->count && strcmp(acc->jkt, ear.jkt)) {
		snprintf(detail, size, "%sthe attestation results of this response bind different "
			 "keys (cnf.jkt)", where);
		return -1;
	}
	fold(acc, &ear, &a);
	return 0;
}

static const char *hint_label(int h)
{
	return h == HINT_ANY ? "\"\" (any attestation)" : ca_hint_name((enum ca_hint)h);
}

/*
 * The authorization's hint: every AR4SI claim the profile maps it to must
 * be affirming in what the EARs say of the device as a whole.
 */
static int check_hint(const ca_profile_t *prof, const json_t *authz, const attested_t *acc,
		      char *detail, size_t size)
{
	const char *value = json_string_value(json_object_get(json_object_get(authz, "identifier"),
							      "value"));
	int h = value ? ca_hint_parse(value) : -1;
	size_t c;

	if (h < 0) {
		snprintf(detail, size, "the authorization names no known remote-attestation hint");
		return -1;
	}
	for (c = 0; c < AR_TV_COUNT; c++) {
		int v = acc->tv.v[c], tier = ar_tv_tier(v);

		if (!(prof->hint_require[h] & (1u << c)) || tier == AR_STATUS_AFFIRMING)
			continue;
		if (tier < 0)
			snprintf(detail, size, "the %s hint requires %s affirming; the attestation "
				 "result makes no %s claim", hint_label(h),
				 ar_tv_claim_name((ar_tv_claim_t)c), ar_tv_claim_name((ar_tv_claim_t)c));
		else
			snprintf(detail, size, "the %s hint requires %s affirming; the attestation "
				 "result's %s is %s (%d)", hint_label(h),
				 ar_tv_claim_name((ar_tv_claim_t)c), ar_tv_claim_name((ar_tv_claim_t)c),
				 ar_status_name((ar_status_t)tier), v);
		return -1;
	}
	return 0;
}

/*
 * The EARs of a response, each accepted, as a whole: the hint's claims
 * met, the key they bind the order's. 0: valid (the order is updated); -1:
 * @detail says why not.
 */
static int accept_attestation(acme_req_t *r, const ca_profile_t *prof, const json_t *authz,
			      json_t *order, const attested_t *acc, const char *model,
			      char *detail, size_t size)
{
	const char *bound = json_string_value(json_object_get(order, "jkt"));

	if (check_hint(prof, authz, acc, detail, size) < 0)
		return -1;
	if (acc->jkt[0] && bound && strcmp(bound, acc->jkt)) {
		snprintf(detail, size, "attestation result binds another key than this order's other "
			 "attestations");
		return -1;
	}
	if (acc->jkt[0])
		json_object_set_new(order, "jkt", json_string(acc->jkt));
	record_attestation(order, acc);
	ar_info("event=challenge.attested account=%s order=%s model=%s ears=%zu verdict=%s "
		"status=%s device=\"%s\" verifier=%s jkt=%.12s...", r->account_id,
		json_string_value(json_object_get(order, "id")), model, acc->count,
		ar_verdict_name(acc->verdict), ar_status_name(acc->status), acc->subject,
		acc->verifier, acc->jkt);
	return 0;
}

/*
 * The CMW a passport response carries. RFC 8555 7.5.1 gives a challenge
 * response no members of its own, and unknown members are ignored: at the
 * top of a collection, a member that is neither a record (array) nor a
 * collection (object) is no CMW and is left out. "__cmwc_t", the
 * collection's own member, stays (and must be a string); every record and
 * collection is decoded strictly. A new reference, NULL when out of memory.
 */
static json_t *response_cmw(const json_t *payload)
{
	const char *key;
	json_t *cmw, *v;

	if (!json_is_object(payload))
		return json_incref((json_t *)payload);
	cmw = json_object();
	json_object_foreach((json_t *)payload, key, v) {
		if (!json_is_array(v) && !json_is_object(v) && strcmp(key, "__cmwc_t"))
			continue;
		if (!cmw || json_object_set(cmw, key, v) < 0) {
			json_decref(cmw);
			return NULL;
		}
	}
	return cmw;
}

/*
 * The JWE a background-check response carries: its flattened-form members
 * (RFC 7516 7.2.2); any other member of the response is unknown and
 * ignored, not relayed. A new reference, NULL when out of memory.
 */
static json_t *response_jwe(const json_t *payload)
{
	static const char *const members[] = {
		"protected", "unprotected", "header", "encrypted_key", "iv", "ciphertext", "tag",
		"aad",
	};
	json_t *jwe = json_object(), *v;
	size_t i;

	for (i = 0; jwe && i < sizeof(members) / sizeof(members[0]); i++) {
		v = json_object_get(payload, members[i]);
		if (v && json_object_set(jwe, members[i], v) < 0) {
			json_decref(jwe);
			return NULL;
		}
	}
	return jwe;
}

/*
 * Passport model: the payload is a CMW with the verifier's EAR, or a
 * collection with several: each is appraised, all must pass, the worst
 * decides.
 */
static int attest_passport(acme_req_t *r, const ca_profile_t *prof, const json_t *challenge,
			   const json_t *order, attested_t *acc, char *detail, size_t size)
{
	const ar_cmw_rec_t *ears[AR_CMW_MAX_RECORDS];
	json_t *payload = response_cmw(r->jws.payload);
	ar_err_t err = { 0 };
	ar_cmw_t cmw;
	size_t i, n;
	int rc = 0;

	if (!payload || ar_cmw_decode_json(payload, &cmw, &err) < 0) {
		snprintf(detail, size, "response is not a CMW: %s", payload ? err.msg : "out of memory");
		json_decref(payload);
		return -1;
	}
	json_decref(payload);
	memset(acc, 0, sizeof(*acc));
	n = ar_cmw_find_all(&cmw, AR_CMW_EAR, ears, AR_CMW_MAX_RECORDS);
	if (n == 0) {
		snprintf(detail, size, "the CMW carries no attestation result (%s)",
			 cmw.count ? cmw.recs[0].type : "empty");
		rc = -1;
	}
	/* Nothing is skipped: a record the CA does not appraise is refused. */
	for (i = 0; rc == 0 && i < cmw.count; i++)
		if (cmw.recs[i].kind != AR_CMW_EAR) {
			snprintf(detail, size, "the CMW carries a record that is not an attestation "
				 "result (%.96s%s%.32s): the passport model takes attestation results "
				 "only", cmw.recs[i].type, cmw.recs[i].label[0] ? ", label " : "",
				 cmw.recs[i].label);
			rc = -1;
		}
	for (i = 0; rc == 0 && i < n; i++)
		rc = appraise_ear(prof, challenge, order, ears[i], (const char *)ears[i]->value,
				  ears[i]->len, acc, detail, size);
	ar_cmw_clear(&cmw);
	return rc;
}

/*
 * Background-check model: the payload is evidence encrypted to the
 * verifier; relay it in a session opened with the freshness_nonce and
 * appraise the EAR that comes back. CHALL_RETRY_LATER: the verifier could
 * not be reached (the challenge stays pending).
 */
static int attest_background(acme_req_t *r, const ca_profile_t *prof, const json_t *challenge,
			     const json_t *order, attested_t *acc, char *detail, size_t size)
{
	/* Each request to the verifier is bounded like any validation (a stopped
	 * verifier holds the challenge POST for no longer). */
	long bound = (long)r->ca->conf.validation_timeout;
	http_opts_t o = { .ca_bundle = prof->verifier_ca, .connect_ms = bound < 2000 ? bound : 2000,
			  .total_ms = bound, .max_body = 0 };
	verifier_client_t vc;
	ar_err_t err = { 0 };
	vp_session_t s;
	char *body = NULL, *jwt = NULL;
	int rc = -1;

	if (vc_open(&vc, prof->verifier_url, &o, &err) < 0) {
		snprintf(detail, size, "verifier client: %s", err.msg);
		return CHALL_RETRY_LATER;
	}
	{
		json_t *jwe = response_jwe(r->jws.payload);

		body = jwe ? json_dumps(jwe, JSON_COMPACT) : NULL;
		json_decref(jwe);
	}
	if (body && vc_new_session(&vc, json_string_value(json_object_get(challenge,
									  "freshness_nonce")),
				   &s, &err) == 0 &&
	    vc_submit(&vc, &s, "application/jose+json", body, strlen(body), &jwt, &err) == 0) {
		memset(acc, 0, sizeof(*acc));
		rc = appraise_ear(prof, challenge, order, NULL, jwt, strlen(jwt), acc, detail, size);
	} else {
		snprintf(detail, size, "verifier: %s", body ? err.msg : "out of memory");
		/* Unreachable or not answering: not the device's fault, try again later. */
		rc = err.code == AR_ERR_UNAVAILABLE || err.code == AR_ERR_TIMEOUT ||
		     err.code == AR_ERR_CONFIG || !body ? CHALL_RETRY_LATER : CHALL_INVALID;
	}
	free(jwt);
	free(body);
	vc_close(&vc);
	return rc;
}

static int looks_like_jwe(const json_t *p)
{
	return json_is_object(p) && json_object_get(p, "ciphertext") && json_object_get(p, "protected");
}

/*
 * http-01 or dns-01 for a dns identifier (validate.c). The response payload
 * is an object, {} (RFC 8555 7.5.1); these challenges define no member of
 * it, and members it has are unknown and ignored. The proof is the key
 * authorization of the account's key, served by the name's web server or
 * DNS.
 */
static int validate_domain(acme_req_t *r, const json_t *authz, const json_t *ch, const char *type,
			   const char **problem, char *detail, size_t size)
{
	const char *name = json_string_value(json_object_get(json_object_get(authz, "identifier"),
							     "value"));
	const char *token = json_string_value(json_object_get(ch, "token"));
	char keyauth[160];
	int rc;

	if (!json_is_object(r->jws.payload)) {
		*problem = "malformed";
		snprintf(detail, size, "the %s response payload is a JSON object, {}", type);
		return CHALL_REFUSED;
	}
	/* The account's key: it verified this request (signed by kid). */
	snprintf(keyauth, sizeof(keyauth), "%s.%s", token, ar_jwk_thumbprint(r->key));
	rc = !strcmp(type, "http-01") ? validate_http01(r->ca, name, token, keyauth, problem, detail,
							 size)
				      : validate_dns01(r->ca, name, keyauth, problem, detail, size);
	ar_info("event=challenge.%s account=%s name=%s type=%s%s%s%s", rc == 0 ? "validated" : "refused",
		r->account_id, name, type, rc ? " reason=\"" : "", rc ? detail : "", rc ? "\"" : "");
	return rc;
}

static void answer(acme_req_t *r, const char *aid, const json_t *authz, size_t idx,
		   ar_http_resp_t *resp)
{
	json_t *view = authz_view(r->ca, aid, authz);
	char url[CA_URL_MAX], up[CA_URL_MAX + 16];

	ca_url(r->ca, "authz", aid, url, sizeof(url));
	snprintf(up, sizeof(up), "<%s>;rel=\"up\"", url);
	ar_http_resp_header(resp, "Link", up);
	acme_json(r->ca, resp, 200, json_incref(json_array_get(json_object_get(view, "challenges"),
							       idx)));
	json_decref(view);
}

/*
 * The authorization's order and, when the authorization names them (since
 * "order_authzs"), the order's authorizations, in the same round trip;
 * *authzs is NULL for an older record. @text gets the order as stored.
 * Answers the problem on failure.
 */
static int load_order(acme_req_t *r, const json_t *authz, json_t **order, json_t **authzs,
		      char **text, ar_http_resp_t *resp)
{
	const char *oid = json_string_value(json_object_get(authz, "order"));
	const json_t *ids = json_object_get(authz, "order_authzs");
	ar_err_t err = { 0 };
	int rc;

	*authzs = NULL;
	*text = NULL;
	if (!oid)
		rc = 0;
	else if (ids)
		rc = order_load_with_authzs(r, oid, ids, order, authzs, text, &err) < 0 ? -1 : 1;
	else
		rc = ca_record_get_text(r->st, "order", oid, order, text, &err);
	if (rc == 1)
		return 0;
	if (rc == 0 || err.code == AR_ERR_NOT_FOUND)
		acme_problem(r->ca, resp, 500, "serverInternal", "authorization without order");
	else
		acme_problem_from(r->ca, resp, &err);
	return -1;
}

/* What a challenge response established, kept for its commit step. */
typedef struct chall_result {
	int		rc;			/* CHALL_* */
	const char	*problem;		/* ACME error type when not valid */
	char		detail[512];
	int		attested;		/* remote-attest-01: @acc holds the EARs, folded */
	const ca_profile_t *prof;
	attested_t	acc;
} chall_result_t;

/* The validate step: run the challenge @ch of @authz (type @type). */
static void run_challenge(acme_req_t *r, const json_t *authz, const json_t *ch, const char *type,
			  const json_t *order, chall_result_t *res)
{
	int background;

	res->problem = "badAttestationStatement";
	if (!strcmp(type, "http-01") || !strcmp(type, "dns-01")) {
		res->rc = validate_domain(r, authz, ch, type, &res->problem, res->detail,
					  sizeof(res->detail));
		return;
	}
	res->rc = CHALL_REFUSED;
	if (strcmp(type, "remote-attest-01")) {
		res->problem = "malformed";
		snprintf(res->detail, sizeof(res->detail), "%s validation is not offered", type);
		return;
	}
	res->prof = ca_profile_find(r->ca, json_string_value(json_object_get(authz, "profile")));
	if (!res->prof) {
		res->problem = "serverInternal";
		snprintf(res->detail, sizeof(res->detail), "authorization without profile");
		return;
	}
	background = looks_like_jwe(r->jws.payload);
	if (background && !res->prof->verifier_url) {
		res->problem = "malformed";
		snprintf(res->detail, sizeof(res->detail), "this profile takes attestation results "
			 "only (no verifier to relay evidence to)");
		return;
	}
	res->attested = 1;
	res->rc = background ? attest_background(r, res->prof, ch, order, &res->acc, res->detail,
						 sizeof(res->detail))
			     : attest_passport(r, res->prof, ch, order, &res->acc, res->detail,
					       sizeof(res->detail));
}

/*
 * The result applied to (copies of) the authorization, its challenge @idx
 * and the order: the attestation accepted against the order as it is now.
 */
static void apply_result(acme_req_t *r, const char *aid, json_t *authz, size_t idx, json_t *order,
			 const chall_result_t *res)
{
	json_t *ch = json_array_get(json_object_get(authz, "challenges"), idx);
	char detail[512], when[32];
	const char *problem = res->problem;
	int rc = res->rc;

	snprintf(detail, sizeof(detail), "%s", res->detail);
	if (rc == CHALL_VALID && res->attested) {
		json_object_set_new(order, "id", json_string(json_string_value(json_object_get(
			authz, "order"))));
		rc = accept_attestation(r, res->prof, authz, order, &res->acc,
					looks_like_jwe(r->jws.payload) ? "background-check"
								       : "passport",
					detail, sizeof(detail));
		json_object_del(order, "id");
	}
	if (rc == CHALL_VALID) {
		ca_rfc3339(time(NULL), when, sizeof(when));
		json_object_set_new(ch, "status", json_string("valid"));
		json_object_set_new(ch, "validated", json_string(when));
		json_object_set_new(authz, "status", json_string("valid"));
	} else {
		json_object_set_new(ch, "status", json_string("invalid"));
		json_object_set_new(ch, "error", json_pack("{s:s+,s:s,s:i}", "type", ACME_ERR,
			problem, "detail", detail, "status", 400));
		json_object_set_new(authz, "status", json_string("invalid"));
		char q[1024];

		ar_info("event=challenge.refused account=%s authz=%s reason=%s", r->account_id,
			aid, ar_log_q(q, sizeof(q), detail));
	}
}

/* Rounds of the commit step when only the order changed under it. */
#define CHALL_COMMIT_ROUNDS	4

/*
 * One attempt of commit_result(): @res applied to copies of *@authz and
 * @order (its status derived from @authzs, or read anew when NULL), written
 * while both are as read (@authz_text, @order_text). 1 written (*@authz
 * becomes the record as written), 0 something changed first (@changed
 * counts what), -1 with @err.
 */
static int put_result(acme_req_t *r, const char *aid, json_t **authz, const char *authz_text,
		      size_t idx, const json_t *order, const json_t *authzs,
		      const char *order_text, const chall_result_t *res, size_t *changed,
		      ar_err_t *err)
{
	const char *oid = json_string_value(json_object_get(*authz, "order"));
	const char *kinds[2] = { "authz", "order" }, *ids[2] = { aid, oid };
	const char *texts[2] = { authz_text, order_text };
	json_t *a = json_deep_copy(*authz), *od = json_deep_copy(order);
	json_t *recs[2] = { a, od };
	int rc;

	if (!a || !od) {
		ar_err_set(err, AR_ERR_NOMEM, "out of memory");
		rc = -1;
		goto out;
	}
	apply_result(r, aid, a, idx, od, res);
	if (authzs)
		order_derive(od, authzs, aid, a);
	rc = (!authzs && order_refresh_with(r, od, aid, a, err) < 0) ? -1 :
	     ca_records_put_if(r->st, kinds, ids, texts, 2, kinds, ids, recs, 2, changed, err);
	if (rc == 1) {
		json_decref(*authz);
		*authz = a;
		a = NULL;
	}
out:
	json_decref(a);
	json_decref(od);
	return rc;
}

/*
 * The commit step: the authorization and its order written in one atomic
 * step, only while the authorization is still stored as it was read
 * (@authz_text: pending) and the order as @order_text. A deactivation, or
 * another response, that came first stands: the result is dropped and the
 * authorization answered as it is. An order changed by another of its
 * authorizations is read again and the result applied once more. 1
 * committed, 0 dropped (*@authz is the authorization as it is now), -1
 * after answering the problem.
 */
static int commit_result(acme_req_t *r, const char *aid, json_t **authz, const char *authz_text,
			 size_t idx, json_t *order, json_t *authzs, char *order_text,
			 const chall_result_t *res, ar_http_resp_t *resp)
{
	json_t *now = NULL, *o = json_incref(order), *az = json_incref(authzs), *next;
	char *otext = order_text, *atext = NULL;
	ar_err_t err = { 0 };
	size_t changed = 0, round;
	int rc = -1;

	for (round = 0; round < CHALL_COMMIT_ROUNDS; round++) {
		rc = put_result(r, aid, authz, authz_text, idx, o, az, otext, res, &changed, &err);
		if (rc == 1)
			goto out;
		if (rc < 0) {
			acme_problem_from(r->ca, resp, &err);
			goto out;
		}
		/* Something changed first: read both again. */
		if (otext != order_text)
			free(otext);
		otext = NULL;
		json_decref(o);
		json_decref(az);
		o = az = NULL;
		if (ca_record_get_text(r->st, "authz", aid, &now, &atext, &err) != 1 ||
		    load_order(r, now, &next, &az, &otext, resp) < 0) {
			if (!now)
				acme_problem(r->ca, resp, 500, "serverInternal", "authorization %s "
					     "vanished", aid);
			else if (err.code)
				acme_problem_from(r->ca, resp, &err);
			rc = -1;
			goto out;
		}
		o = next;
		if (changed == 0 || strcmp(atext, authz_text)) {
			ar_info("event=challenge.result_dropped account=%s authz=%s status=%s "
				"reason=\"the authorization changed during validation\"",
				r->account_id, aid, json_string_value(json_object_get(now, "status")));
			json_decref(*authz);
			*authz = now;
			now = NULL;
			rc = 0;
			goto out;
		}
		json_decref(now);
		now = NULL;
		free(atext);
		atext = NULL;
	}
	ar_http_resp_header(resp, "Retry-After", "1");
	acme_problem(r->ca, resp, 503, "serverInternal", "the order kept changing while this "
		     "challenge was recorded; the challenge stays pending, retry");
	rc = -1;
out:
	json_decref(now);
	free(atext);
	if (otext != order_text)
		free(otext);
	json_decref(o);
	json_decref(az);
	return rc;
}

/* The challenge at "<authz id>/<index>" of @path: 0, or -1 (no such challenge). */
static int challenge_path(const char *path, char *aid, size_t size, size_t *idx)
{
	size_t n = strcspn(path, "/");
	unsigned long v;
	char *end;

	if (n == 0 || n >= size || path[n] != '/')
		return -1;
	memcpy(aid, path, n);
	aid[n] = '\0';
	v = strtoul(path + n + 1, &end, 10);
	if (*end || end == path + n + 1 || v >= MAX_CHALLENGES)
		return -1;
	*idx = (size_t)v;
	return 0;
}

static int is_status(const json_t *rec, const char *status)
{
	const char *s = json_string_value(json_object_get(rec, "status"));

	return s && !strcmp(s, status);
}

void challenge_post(acme_req_t *r, const char *path, ar_http_resp_t *resp)
{
	char aid[48], *authz_text = NULL, *order_text = NULL;
	json_t *authz = NULL, *order = NULL, *authzs = NULL, *ch;
	chall_result_t *res = NULL;
	const char *type;
	size_t idx;
	int committed;

	if (challenge_path(path, aid, sizeof(aid), &idx) < 0)
		goto notfound;
	authz = ca_record_own_text(r, "authz", aid, &authz_text, resp);
	if (!authz)
		return;
	ch = json_array_get(json_object_get(authz, "challenges"), idx);
	type = json_string_value(json_object_get(ch, "type"));
	if (!ch || !type)
		goto notfound;

	/* RFC 8555 7.5.1: POST-as-GET, or a challenge no longer pending, is answered as it is. */
	if (!r->jws.payload || !is_status(ch, "pending") || !is_status(authz, "pending")) {
		answer(r, aid, authz, idx, resp);
		goto out;
	}
	if (time(NULL) > json_integer_value(json_object_get(authz, "expires"))) {
		acme_problem(r->ca, resp, 400, "malformed", "this authorization has expired");
		goto out;
	}
	if (load_order(r, authz, &order, &authzs, &order_text, resp) < 0)
		goto out;
	res = calloc(1, sizeof(*res));
	if (!res) {
		acme_problem(r->ca, resp, 500, "serverInternal", "out of memory");
		goto out;
	}
	run_challenge(r, authz, ch, type, order, res);
	if (res->rc == CHALL_REFUSED) {
		acme_problem(r->ca, resp, strcmp(res->problem, "malformed") ? 500 : 400, res->problem,
			     "%s", res->detail);
		goto out;
	}
	if (res->rc == CHALL_RETRY_LATER) {
		ar_warn("event=challenge.verifier_unavailable account=%s authz=%s error=\"%s\"",
			r->account_id, aid, res->detail);
		ar_http_resp_header(resp, "Retry-After", "5");
		acme_problem(r->ca, resp, 503, "serverInternal", "the verifier cannot be reached; the "
			     "challenge stays pending, retry");
		goto out;
	}
	/* The nonce is spent: the challenge leaves "pending" for good. */
	committed = commit_result(r, aid, &authz, authz_text, idx, order, authzs, order_text, res,
				  resp);
	if (committed < 0)
		goto out;
	if (committed == 1)
		ca_metrics_challenge(r->ca, json_array_get(json_object_get(authz, "challenges"), idx));
	answer(r, aid, authz, idx, resp);
	goto out;
notfound:
	acme_problem(r->ca, resp, 404, "malformed", "no such challenge");
out:
	free(res);
	free(order_text);
	free(authz_text);
	json_decref(authzs);
	json_decref(order);
	json_decref(authz);
}
