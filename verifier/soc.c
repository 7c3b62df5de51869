/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SOC API: an analyst (or the SOC's tooling) gives a device a verdict -
 * warning or contraindicated, with a reason - or clears it (affirming).
 *
 *   POST /soc/v1/devices/<id>/posture   Authorization: Bearer <token>
 *	{"status": "contraindicated", "reason": "EDR alert 4711"}
 *   GET  /soc/v1/devices/<id>/posture   the posture record and the verdict
 *
 * The verdict is a record of its own (store.h, "SOC verdicts"): only this
 * API writes it; appraisals, re-enrolment and issuance never do. It is the
 * key's, not the name's: it is set on every device the flagged device's
 * enrolled identity key speaks for, so the device cannot come back under
 * another identifier of its inventory entry. It stands until the SOC
 * clears it. The posture record also takes the verdict's status, and the
 * event stream announces it, where the NOC's event worker acts on it.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>

#include "log.h"
#include "verdict.h"
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

/* The posture record with the standing verdict ("verdict": null when none). */
static void soc_get(ar_store_t *st, const char *device, ar_http_resp_t *resp)
{
	ar_store_posture_t p;
	ar_store_verdict_t vd;
	ar_err_t err = { 0 };
	json_t *body, *posture = NULL;
	int rc, rv;

	rc = ar_store_posture_get(st, device, &p, &err);
	rv = rc < 0 ? -1 : ar_store_verdict_get(st, device, &vd, &err);
	if (rc < 0 || rv < 0) {
		ar_http_resp_problem(resp, 503, VERIFIER_PROBLEM "unavailable", "%s", err.msg);
		return;
	}
	if (rc == 0 && rv == 0) {
		ar_http_resp_problem(resp, 404, VERIFIER_PROBLEM "unknownDevice",
				     "no posture or verdict recorded for this device");
		return;
	}
	body = json_pack("{s:s}", "device", device);
	if (body && rc) {
		posture = ar_posture_json(&p);	/* a new reference: update() does not take it */
		if (!posture || json_object_update(body, posture) < 0) {
			json_decref(body);
			body = NULL;
		}
		json_decref(posture);
	}
	if (body)
		json_object_set_new(body, "verdict", rv ? ar_verdict_json(&vd) : json_null());
	ar_http_resp_json(resp, 200, "application/json", body);
}

/*
 * The devices a verdict on @device covers: @device, and every other device
 * its enrolled identity key speaks for. @jkt gets that key's thumbprint
 * ("" when the device is not enrolled). *list is malloc'd.
 */
static int verdict_scope(ar_store_t *st, const char *device, char *jkt, size_t jkt_size,
			 ar_store_devid_t **list, size_t *n, ar_err_t *err)
{
	ar_store_identity_t id;
	ar_store_devid_t *all = NULL;
	size_t i, count = 0;
	int rc = ar_store_identity_get(st, device, &id, err);

	*list = NULL;
	*n = 0;
	jkt[0] = '\0';
	if (rc < 0)
		return -1;
	if (rc == 1) {
		snprintf(jkt, jkt_size, "%s", id.jkt);
		if (ar_store_identity_devices(st, id.jkt, &all, &count, err) < 0)
			return -1;
	}
	/* the device itself first, whether or not the index lists it */
	*list = calloc(count + 1, sizeof(**list));
	if (!*list) {
		free(all);
		return ar_err_set(err, AR_ERR_NOMEM, "out of memory");
	}
	snprintf((*list)[0].id, sizeof((*list)[0].id), "%s", device);
	*n = 1;
	for (i = 0; i < count; i++)
		if (strcmp(all[i].id, device))
			(*list)[(*n)++] = all[i];
	free(all);
	return 0;
}

/* Verdict, posture status and event of one device. */
static int apply_verdict(ar_store_t *st, const char *device, ar_status_t s, const char *reason,
			 const char *jkt, const char *via, ar_err_t *err)
{
	ar_store_verdict_t vd;
	ar_store_posture_t p;
	char why[AR_STORE_REASON_MAX + 1];
	int rc;

	memset(&vd, 0, sizeof(vd));
	if (via)
		snprintf(why, sizeof(why), "%.150s (identity shared with %.64s)", reason, via);
	else
		snprintf(why, sizeof(why), "%s", reason);
	if (s == AR_STATUS_AFFIRMING) {
		rc = ar_store_verdict_clear(st, device, err);
	} else {
		vd.status = s;
		snprintf(vd.reason, sizeof(vd.reason), "%s", why);
		snprintf(vd.source, sizeof(vd.source), "soc-api");
		snprintf(vd.identity, sizeof(vd.identity), "%s", jkt);
		rc = ar_store_verdict_put(st, device, &vd, err);
	}
	if (rc < 0)
		return -1;
	/* The posture record shows it too: the NOC's view and older readers. */
	if (ar_store_posture_get(st, device, &p, err) < 0)
		return -1;
	p.status = s;
	p.updated_at = 0;
	snprintf(p.reason, sizeof(p.reason), AR_VERDICT_REASON_PREFIX "%.240s", why);
	if (ar_store_posture_put(st, device, &p, err) < 0)
		return -1;
	return verifier_event(st, s == AR_STATUS_AFFIRMING ? "soc_clear" : "soc_flag", device, s,
			      why, err);
}

int soc_set_verdict(ar_store_t *st, const char *device, ar_status_t s, const char *reason,
		    size_t *covered, ar_err_t *err)
{
	ar_store_devid_t *list = NULL;
	char jkt[AR_JWK_THUMBPRINT_LEN + 1];
	size_t n = 0, i;
	int rc = 0;

	*covered = 0;
	if (verdict_scope(st, device, jkt, sizeof(jkt), &list, &n, err) < 0)
		return -1;
	for (i = 0; i < n && rc == 0; i++) {
		rc = apply_verdict(st, list[i].id, s, reason, jkt, i ? device : NULL, err);
		if (rc == 0)
			(*covered)++;
	}
	free(list);
	return rc;
}

int soc_verdict_caps(ar_store_t *st, const char *device, ar_status_t *status, char *reason,
		     size_t size)
{
	ar_store_verdict_t vd;
	int rc = st ? ar_store_verdict_get(st, device, &vd, NULL) : -1;

	if (rc < 0)
		return -1;
	return rc == 1 && ar_verdict_caps(&vd, status, reason, size);
}

static void soc_set(ar_store_t *st, const char *device, const ar_http_req_t *req,
		    ar_http_resp_t *resp)
{
	const char *status = NULL, *reason = NULL, *body;
	char qdev[160], qreason[300];
	ar_err_t err = { 0 };
	ar_status_t s;
	json_t *json;
	size_t len, covered = 0;

	body = ar_http_body(req, &len);
	if (ar_verdict_body_parse(body, len, &json, &status, &reason, &err) < 0) {
		ar_http_resp_problem(resp, 400, VERIFIER_PROBLEM "malformed", "%s", err.msg);
		goto out;
	}
	if (ar_status_parse(status, &s) < 0 || s == AR_STATUS_NONE) {
		ar_http_resp_problem(resp, 400, VERIFIER_PROBLEM "malformed",
				     "status must be affirming, warning or contraindicated");
		goto out;
	}
	if (!*reason || strlen(reason) > 200) {
		ar_http_resp_problem(resp, 400, VERIFIER_PROBLEM "malformed",
				     "reason must be 1..200 characters");
		goto out;
	}
	if (soc_set_verdict(st, device, s, reason, &covered, &err) < 0) {
		ar_warn("event=soc.flag_failed device=%s status=%s devices_done=%zu error=\"%s\"",
			ar_log_q(qdev, sizeof(qdev), device), status, covered, err.msg);
		ar_http_resp_problem(resp, err.code == AR_ERR_MALFORMED ? 400 : 503,
				     VERIFIER_PROBLEM "unavailable", "%s", err.msg);
		goto out;
	}
	ar_info("event=soc.%s device=%s status=%s devices=%zu reason=%s peer=%s",
		s == AR_STATUS_AFFIRMING ? "clear" : "flag", ar_log_q(qdev, sizeof(qdev), device),
		status, covered, ar_log_q(qreason, sizeof(qreason), reason), ar_http_peer(req));
	soc_get(st, device, resp);
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
