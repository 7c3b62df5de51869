/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Challenge responses. remote-attest-01, passport model: the JWS payload is
 * a CMW carrying the EAR the device got from the verifier for this
 * challenge's freshness_nonce. Background-check model: the payload is a
 * JWE of the device's evidence to the verifier's key, which the CA relays
 * to the verifier in a session opened with the freshness_nonce. The CA accepts it only if the EAR is signed
 * by a verifier key the profile trusts and passes the profile's appraisal
 * policy with eat_nonce = freshness_nonce; the key the EAR binds (cnf.jkt)
 * is recorded on the order, and finalize will take a CSR for that key only.
 * Any failure makes the challenge invalid with badAttestationStatement and a
 * precise detail. The freshness_nonce is stored with its authorization,
 * which belongs to one account, and is spent by the first response.
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

#define MAX_CHALLENGES	8

/* The attestation the order will put into its certificate: the worst status
 * and the oldest EAR of all its remote-attest-01 responses. */
static void record_attestation(json_t *order, const ar_ear_t *ear)
{
	json_t *cur = json_object_get(order, "attestation");
	ar_status_t st = ar_ear_status(ear);
	json_t *tv = json_array();
	size_t i;

	for (i = 0; i < AR_TV_COUNT; i++)
		json_array_append_new(tv, json_integer(ear->submods[0].tv.v[i]));
	if (cur) {
		ar_status_t old;

		if (ar_status_parse(json_string_value(json_object_get(cur, "status")), &old) == 0 &&
		    old > st) {
			json_decref(tv);
			return;
		}
	}
	json_object_set_new(order, "attestation",
			    json_pack("{s:s,s:s,s:I,s:o}", "verifier", ear->verifier_developer,
				      "status", ar_status_name(st), "iat", (json_int_t)ear->iat,
				      "tv", tv));
}

/*
 * Accept an EAR for this challenge: signed by a key the profile pins, passes
 * its policy with eat_nonce = freshness_nonce, binds the order's key.
 * 0: valid (the order is updated); -1: @detail says why not.
 */
static int accept_ear(acme_req_t *r, const ca_profile_t *prof, const json_t *challenge,
		      json_t *order, const char *jwt, size_t len, const char *model,
		      char *detail, size_t size)
{
	ar_ear_expect_t expect = { .now = time(NULL), .nonce = NULL, .jkt = NULL };
	ar_err_t err = { 0 };
	ar_appraisal_t a;
	ar_ear_t ear;
	const char *bound;

	expect.nonce = json_string_value(json_object_get(challenge, "freshness_nonce"));
	if (!prof->trusted || ar_ear_verify(jwt, len, prof->trusted, &ear, &err) < 0) {
		snprintf(detail, size, "%s", prof->trusted ? err.msg : "no trusted verifier keys");
		return -1;
	}
	ar_ear_appraise(&ear, &prof->ear_policy, &expect, &a);
	if (!a.acceptable) {
		snprintf(detail, size, "attestation result %s: %s", ar_verdict_name(a.verdict), a.reason);
		return -1;
	}
	bound = json_string_value(json_object_get(order, "jkt"));
	if (ear.jkt[0] && bound && strcmp(bound, ear.jkt)) {
		snprintf(detail, size, "attestation result binds another key than this order's other "
			 "attestations");
		return -1;
	}
	if (ear.jkt[0])
		json_object_set_new(order, "jkt", json_string(ear.jkt));
	record_attestation(order, &ear);
	ar_info("event=challenge.attested account=%s order=%s model=%s verdict=%s verifier=%s "
		"jkt=%.12s...", r->account_id, json_string_value(json_object_get(order, "id")), model,
		ar_verdict_name(a.verdict), ear.verifier_developer, ear.jkt);
	return 0;
}

/* Passport model: the payload is the CMW with the verifier's EAR. */
static int attest_passport(acme_req_t *r, const ca_profile_t *prof, const json_t *challenge,
			   json_t *order, char *detail, size_t size)
{
	const ar_cmw_rec_t *rec;
	ar_err_t err = { 0 };
	ar_cmw_t cmw;
	int rc;

	if (ar_cmw_decode_json(r->jws.payload, &cmw, &err) < 0) {
		snprintf(detail, size, "response is not a CMW: %s", err.msg);
		return -1;
	}
	rec = ar_cmw_find(&cmw, AR_CMW_EAR);
	if (rec)
		rc = accept_ear(r, prof, challenge, order, (const char *)rec->value, rec->len,
				"passport", detail, size);
	else {
		snprintf(detail, size, "the CMW carries no attestation result (%s)",
			 cmw.count ? cmw.recs[0].type : "empty");
		rc = -1;
	}
	ar_cmw_clear(&cmw);
	return rc;
}

/*
 * Background-check model: the payload is evidence encrypted to the
 * verifier; relay it in a session opened with the freshness_nonce and
 * appraise the EAR that comes back. -2: the verifier could not be reached
 * (the challenge stays pending).
 */
static int attest_background(acme_req_t *r, const ca_profile_t *prof, const json_t *challenge,
			     json_t *order, char *detail, size_t size)
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
		return -2;
	}
	body = json_dumps(r->jws.payload, JSON_COMPACT);
	if (body && vc_new_session(&vc, json_string_value(json_object_get(challenge,
									  "freshness_nonce")),
				   &s, &err) == 0 &&
	    vc_submit(&vc, &s, "application/jose+json", body, strlen(body), &jwt, &err) == 0) {
		rc = accept_ear(r, prof, challenge, order, jwt, strlen(jwt), "background-check",
				detail, size);
	} else {
		snprintf(detail, size, "verifier: %s", body ? err.msg : "out of memory");
		/* Unreachable or not answering: not the device's fault, try again later. */
		rc = err.code == AR_ERR_UNAVAILABLE || err.code == AR_ERR_TIMEOUT ||
		     err.code == AR_ERR_CONFIG || !body ? -2 : -1;
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
 * is {} (RFC 8555 7.5.1); the proof is the key authorization of the
 * account's key, served by the name's web server or DNS.
 */
static int validate_domain(acme_req_t *r, const json_t *authz, const json_t *ch, const char *type,
			   const char **problem, char *detail, size_t size)
{
	const char *name = json_string_value(json_object_get(json_object_get(authz, "identifier"),
							     "value"));
	const char *token = json_string_value(json_object_get(ch, "token"));
	char keyauth[160];
	ar_err_t err = { 0 };
	ar_jwk_t *key;
	int rc;

	if (!json_is_object(r->jws.payload) || json_object_size(r->jws.payload)) {
		*problem = "malformed";
		snprintf(detail, size, "the %s response payload is {}", type);
		return -3;
	}
	key = ar_jwk_parse(json_object_get(r->account, "key"), AR_JWK_PUBLIC_ONLY, &err);
	if (!key) {
		*problem = "serverInternal";
		snprintf(detail, size, "account key unusable");
		return -3;
	}
	snprintf(keyauth, sizeof(keyauth), "%s.%s", token, ar_jwk_thumbprint(key));
	ar_jwk_free(key);
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
	char url[600], up[640];

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
 * *authzs is NULL for an older record. Answers the problem on failure.
 */
static int load_order(acme_req_t *r, const json_t *authz, json_t **order, json_t **authzs,
		      ar_http_resp_t *resp)
{
	const char *oid = json_string_value(json_object_get(authz, "order"));
	const json_t *ids = json_object_get(authz, "order_authzs");
	ar_err_t err = { 0 };
	int rc;

	*authzs = NULL;
	if (ids)
		rc = order_load_with_authzs(r, oid, ids, order, authzs, &err) < 0 ? -1 : 1;
	else
		rc = ca_record_get(r->st, "order", oid, order, &err);
	if (rc == 1)
		return 0;
	if (rc == 0 || err.code == AR_ERR_NOT_FOUND)
		acme_problem(r->ca, resp, 500, "serverInternal", "authorization without order");
	else
		acme_problem_from(r->ca, resp, &err);
	return -1;
}

void challenge_post(acme_req_t *r, const char *path, ar_http_resp_t *resp)
{
	char aid[48], detail[512];
	json_t *authz = NULL, *order = NULL, *authzs = NULL, *ch;
	const ca_profile_t *prof;
	ar_err_t err = { 0 };
	const char *type, *problem = "badAttestationStatement";
	size_t n = strcspn(path, "/");
	int background, rc;
	unsigned long idx;
	char *end;

	if (n == 0 || n >= sizeof(aid) || path[n] != '/')
		goto notfound;
	memcpy(aid, path, n);
	aid[n] = '\0';
	idx = strtoul(path + n + 1, &end, 10);
	if (*end || end == path + n + 1 || idx >= MAX_CHALLENGES)
		goto notfound;
	authz = ca_record_own(r, "authz", aid, resp);
	if (!authz)
		return;
	ch = json_array_get(json_object_get(authz, "challenges"), idx);
	if (!ch)
		goto notfound;
	type = json_string_value(json_object_get(ch, "type"));

	/* RFC 8555 7.5.1: POST-as-GET, or a challenge no longer pending, is answered as it is. */
	if (!r->jws.payload || strcmp(json_string_value(json_object_get(ch, "status")), "pending") ||
	    strcmp(json_string_value(json_object_get(authz, "status")), "pending")) {
		answer(r, aid, authz, idx, resp);
		goto out;
	}
	if (time(NULL) > json_integer_value(json_object_get(authz, "expires"))) {
		acme_problem(r->ca, resp, 400, "malformed", "this authorization has expired");
		goto out;
	}
	if (load_order(r, authz, &order, &authzs, resp) < 0)
		goto out;
	json_object_set_new(order, "id", json_string(json_string_value(json_object_get(authz,
										       "order"))));
	if (!strcmp(type, "http-01") || !strcmp(type, "dns-01")) {
		rc = validate_domain(r, authz, ch, type, &problem, detail, sizeof(detail));
		if (rc == -3) {
			acme_problem(r->ca, resp, strcmp(problem, "malformed") ? 500 : 400, problem, "%s",
				     detail);
			goto out;
		}
		goto settle;
	}
	if (strcmp(type, "remote-attest-01")) {
		acme_problem(r->ca, resp, 400, "malformed", "%s validation is not offered", type);
		goto out;
	}
	prof = ca_profile_find(r->ca, json_string_value(json_object_get(authz, "profile")));
	background = looks_like_jwe(r->jws.payload);
	if (background && prof && !prof->verifier_url) {
		acme_problem(r->ca, resp, 400, "malformed", "this profile takes attestation results "
			     "only (no verifier to relay evidence to)");
		goto out;
	}
	if (!prof) {
		acme_problem(r->ca, resp, 500, "serverInternal", "authorization without profile");
		goto out;
	}
	rc = background ? attest_background(r, prof, ch, order, detail, sizeof(detail))
			: attest_passport(r, prof, ch, order, detail, sizeof(detail));
settle:
	if (rc == -2) {
		ar_warn("event=challenge.verifier_unavailable account=%s authz=%s error=\"%s\"",
			r->account_id, aid, detail);
		ar_http_resp_header(resp, "Retry-After", "5");
		acme_problem(r->ca, resp, 503, "serverInternal", "the verifier cannot be reached; the "
			     "challenge stays pending, retry");
		goto out;
	}
	if (rc == 0) {
		char when[32];

		ca_rfc3339(time(NULL), when, sizeof(when));
		json_object_set_new(ch, "status", json_string("valid"));
		json_object_set_new(ch, "validated", json_string(when));
		json_object_set_new(authz, "status", json_string("valid"));
	} else {
		json_object_set_new(ch, "status", json_string("invalid"));
		json_object_set_new(ch, "error", json_pack("{s:s+,s:s,s:i}", "type", ACME_ERR,
			problem, "detail", detail, "status", 400));
		json_object_set_new(authz, "status", json_string("invalid"));
		ar_info("event=challenge.refused account=%s authz=%s reason=\"%s\"", r->account_id,
			aid, detail);
	}
	/* The nonce is spent: the challenge left "pending" for good. */
	json_object_del(order, "id");
	{	/* the authorization and its order in one transaction */
		const char *kinds[2] = { "authz", "order" };
		const char *ids[2] = { aid, json_string_value(json_object_get(authz, "order")) };
		json_t *recs[2] = { authz, order };

		if (authzs)
			order_derive(order, authzs, aid, authz);
		if ((!authzs && order_refresh_with(r, order, aid, authz, &err) < 0) ||
		    ca_records_put(r->st, kinds, ids, recs, 2, &err) < 0) {
			acme_problem_from(r->ca, resp, &err);
			goto out;
		}
	}
	answer(r, aid, authz, idx, resp);
	goto out;
notfound:
	acme_problem(r->ca, resp, 404, "malformed", "no such challenge");
out:
	json_decref(authzs);
	json_decref(order);
	json_decref(authz);
}
