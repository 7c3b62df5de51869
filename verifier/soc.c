/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SOC API: an analyst (or the SOC's tooling) marks a device affirming,
 * warning or contraindicated with a reason. The verdict overrides the last
 * appraisal in the posture record and is announced on the event stream,
 * where the NOC's event worker acts on it.
 *
 *   POST /soc/v1/devices/<id>/posture   Authorization: Bearer <token>
 *	{"status": "contraindicated", "reason": "EDR alert 4711"}
 *   GET  /soc/v1/devices/<id>/posture   the current posture record
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>

#include "log.h"
#include "verifier.h"

/* Constant-time check of "Authorization: Bearer <token>". */
static int authorized(const verifier_t *v, const ar_http_req_t *req)
{
	const char *auth = ar_http_header(req, "Authorization");
	size_t want = strlen(v->soc_token);

	if (!auth || !want || strncasecmp(auth, "Bearer ", 7))
		return 0;
	auth += 7;
	return strlen(auth) == want && CRYPTO_memcmp(auth, v->soc_token, want) == 0;
}

static json_t *posture_json(const char *device, const ar_store_posture_t *p)
{
	return json_pack("{s:s,s:s,s:s,s:I,s:I,s:s,s:s,s:I,s:s}", "device", device,
			 "status", ar_status_name(p->status), "trust_vector", p->tv, "ear_iat", (json_int_t)p->ear_iat,
			 "ear_exp", (json_int_t)p->ear_exp, "verifier", p->verifier,
			 "profile", p->profile, "updated_at", (json_int_t)p->updated_at,
			 "reason", p->reason);
}

static void soc_get(ar_store_t *st, const char *device, ar_http_resp_t *resp)
{
	ar_store_posture_t p;
	ar_err_t err = { 0 };
	int rc = ar_store_posture_get(st, device, &p, &err);

	if (rc < 0)
		ar_http_resp_problem(resp, 503, VERIFIER_PROBLEM "unavailable", "%s", err.msg);
	else if (rc == 0)
		ar_http_resp_problem(resp, 404, VERIFIER_PROBLEM "unknownDevice",
				     "no posture recorded for this device");
	else
		ar_http_resp_json(resp, 200, "application/json", posture_json(device, &p));
}

static int set_verdict(ar_store_t *st, const char *device, ar_store_posture_t *p, ar_status_t s,
		       const char *reason, ar_err_t *err)
{
	p->status = s;
	p->updated_at = 0;
	snprintf(p->reason, sizeof(p->reason), SOC_REASON_PREFIX "%s", reason);
	if (ar_store_posture_put(st, device, p, err) < 0)
		return -1;
	return verifier_event(st, "soc_flag", device, s, reason, err);
}

int soc_verdict_caps(ar_store_t *st, const char *device, ar_status_t *status, char *reason,
		     size_t size)
{
	ar_store_posture_t p;

	if (!st || ar_store_posture_get(st, device, &p, NULL) != 1 ||
	    strncmp(p.reason, SOC_REASON_PREFIX, strlen(SOC_REASON_PREFIX)) || p.status <= *status)
		return 0;
	*status = p.status;
	snprintf(reason, size, "%s", p.reason);	/* keeps the prefix: the verdict keeps standing */
	return 1;
}

static void soc_set(ar_store_t *st, const char *device, const ar_http_req_t *req,
		    ar_http_resp_t *resp)
{
	const char *status = NULL, *reason = NULL, *body;
	char qdev[160], qreason[300];
	ar_store_posture_t p;
	ar_err_t err = { 0 };
	json_error_t jerr;
	ar_status_t s;

	memset(&p, 0, sizeof(p));
	json_t *json;
	size_t len;

	body = ar_http_body(req, &len);
	json = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json || json_unpack_ex(json, &jerr, JSON_STRICT, "{s:s, s:s}", "status", &status,
				    "reason", &reason) < 0) {
		ar_http_resp_problem(resp, 400, VERIFIER_PROBLEM "malformed",
				     "body must be {\"status\": ..., \"reason\": ...}: %s", jerr.text);
		goto out;
	}
	if (ar_status_parse(status, &s) < 0 || s == AR_STATUS_NONE) {
		ar_http_resp_problem(resp, 400, VERIFIER_PROBLEM "malformed",
				     "status must be affirming, warning or contraindicated");
		goto out;
	}
	if (!*reason || strlen(reason) >= sizeof(p.reason)) {
		ar_http_resp_problem(resp, 400, VERIFIER_PROBLEM "malformed",
				     "reason must be 1..%zu characters", sizeof(p.reason) - 1);
		goto out;
	}
	/* The verdict replaces the status; the last appraisal's vector stays. */
	if (ar_store_posture_get(st, device, &p, &err) < 0 || set_verdict(st, device, &p, s, reason,
									  &err) < 0) {
		ar_warn("event=soc.flag_failed device=%s status=%s error=\"%s\"",
			ar_log_q(qdev, sizeof(qdev), device), status, err.msg);
		ar_http_resp_problem(resp, err.code == AR_ERR_MALFORMED ? 400 : 503,
				     VERIFIER_PROBLEM "unavailable", "%s", err.msg);
		goto out;
	}
	ar_info("event=soc.flag device=%s status=%s reason=%s peer=%s",
		ar_log_q(qdev, sizeof(qdev), device), status,
		ar_log_q(qreason, sizeof(qreason), reason), ar_http_peer(req));
	if (ar_store_posture_get(st, device, &p, &err) > 0)
		ar_http_resp_json(resp, 200, "application/json", posture_json(device, &p));
	else
		ar_http_resp_json(resp, 200, "application/json",
				  json_pack("{s:s,s:s,s:s}", "device", device, "status", status,
					    "reason", reason));
out:
	json_decref(json);
}

void soc_posture(verifier_t *v, const char *device, const ar_http_req_t *req, ar_http_resp_t *resp)
{
	const char *method = ar_http_method(req);
	ar_err_t err = { 0 };
	ar_store_t *st;

	if (!authorized(v, req)) {
		ar_http_resp_header(resp, "WWW-Authenticate", "Bearer realm=\"acme-rats-soc\"");
		ar_http_resp_problem(resp, 401, VERIFIER_PROBLEM "unauthorized",
				     "a valid SOC bearer token is required");
		ar_warn("event=soc.denied peer=%s", ar_http_peer(req));
		return;
	}
	if (strcmp(method, "GET") && strcmp(method, "POST")) {
		ar_http_resp_header(resp, "Allow", "GET, POST");
		ar_http_resp_problem(resp, 405, VERIFIER_PROBLEM "methodNotAllowed",
				     "method not allowed");
		return;
	}
	st = daemon_store(&v->stores, &err);
	if (!st) {
		ar_warn("event=soc.store_unavailable error=\"%s\"", err.msg);
		ar_http_resp_problem(resp, 503, VERIFIER_PROBLEM "unavailable", "%s", err.msg);
		return;
	}
	if (!strcmp(method, "GET"))
		soc_get(st, device, resp);
	else
		soc_set(st, device, req, resp);
}
