/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The console's JSON views (devices, one device with its history, live
 * sessions by NAS) and its actions (a SOC verdict, a disconnect), each
 * action allowed by role and logged with the acting user. The actions are
 * acme-rats-ctl's (fleet_ops.h): the verdict through the verifier's SOC
 * API, the disconnect through the NOC event worker.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "console.h"
#include "ear.h"
#include "log.h"
#include "verdict.h"

#define DEVICES_PREFIX	"/api/devices/"
#define HISTORY_RECENT	500	/* stream entries searched for a device's history */
#define HISTORY_MAX	50
#define REASON_MAX	140	/* + " (console user NAME)": within the SOC API's 200 */

static ar_store_t *store(console_t *c, ar_http_resp_t *resp)
{
	ar_err_t err = { 0 };
	ar_store_t *st = daemon_store(&c->stores, &err);

	if (!st) {
		ar_warn("event=console.store_unavailable error=\"%s\"", err.msg);
		ar_http_resp_header(resp, "Retry-After", "5");
		ar_http_resp_problem(resp, 503, CONSOLE_PROBLEM "unavailable",
				     "the store cannot be reached; retry");
	}
	return st;
}

static void store_failed(ar_http_resp_t *resp, const ar_err_t *err)
{
	ar_warn("event=console.store_failed error=\"%s\"", err->msg);
	ar_http_resp_problem(resp, 503, CONSOLE_PROBLEM "unavailable", "the store failed: %s",
			     err->msg);
}

static json_t *cert_json(const ar_store_cert_t *k)
{
	return json_pack("{s:s,s:s,s:I,s:s,s:b}", "serial", k->serial, "aki", k->aki,
			 "not_after", (json_int_t)k->not_after, "status",
			 ar_cert_status_name(k->status), "renew_now", k->renew_now);
}

static json_t *session_json(const char *device, const ar_store_session_t *s)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I}", "device", device, "nas_id",
			 s->nas_id, "nas_ip", s->nas_ip, "acct_session_id", s->acct_session_id,
			 "calling_station_id", s->calling_station_id, "user_name", s->user_name,
			 "serial", s->serial, "started", (json_int_t)s->started, "updated",
			 (json_int_t)s->updated);
}

/* The valid certificate that expires last, or NULL. */
static const ar_store_cert_t *current_cert(const ar_store_cert_t *certs, size_t n)
{
	const ar_store_cert_t *best = NULL;
	size_t i;

	for (i = 0; i < n; i++)
		if (certs[i].status == AR_CERT_VALID && (!best || certs[i].not_after > best->not_after))
			best = &certs[i];
	return best;
}

/* When the helper renews at the latest: now when ARI says "renew now". */
static json_t *next_renewal(const console_t *c, const ar_store_cert_t *k)
{
	int64_t now = time(NULL), at;

	if (!k)
		return json_null();
	at = k->renew_now ? now : k->not_after - c->conf.renew_before / 1000;
	return json_integer(at < now ? now : at);
}

/* One row of the device list. */
static json_t *device_row(console_t *c, ar_store_t *st, const char *id, ar_err_t *err)
{
	ar_store_posture_t p;
	ar_store_verdict_t vd;
	ar_store_cert_t *certs = NULL;
	ar_store_session_t *ss = NULL;
	const ar_store_cert_t *cur;
	size_t nc = 0, ns = 0;
	json_t *row = NULL;
	int hp, hv;

	hp = ar_store_posture_get(st, id, &p, err);
	hv = hp < 0 ? -1 : ar_store_verdict_get(st, id, &vd, err);
	if (hv < 0 || ar_store_certs_of_device(st, id, &certs, &nc, err) < 0 ||
	    ar_store_session_list(st, id, &ss, &ns, err) < 0)
		goto out;
	cur = current_cert(certs, nc);
	row = json_pack("{s:s,s:o,s:o,s:o,s:o,s:b,s:i}", "device", id,
			"posture", hp ? ar_posture_json(&p) : json_null(),
			"verdict", hv ? ar_verdict_json(&vd) : json_null(),
			"certificate", cur ? cert_json(cur) : json_null(),
			"next_renewal", next_renewal(c, cur),
			"renew_now", cur && cur->renew_now, "sessions", (int)ns);
	if (!row)
		ar_err_set(err, AR_ERR_NOMEM, "out of memory");
out:
	free(certs);
	free(ss);
	return row;
}

static int cmp_devid(const void *a, const void *b)
{
	return strcmp(((const ar_store_devid_t *)a)->id, ((const ar_store_devid_t *)b)->id);
}

/* The store and its devices' ids in order; NULL when the problem is answered already. */
static ar_store_t *device_ids(console_t *c, ar_http_resp_t *resp, ar_store_devid_t **ids,
			      size_t *n)
{
	ar_store_t *st = store(c, resp);
	ar_err_t err = { 0 };

	*ids = NULL;
	*n = 0;
	if (!st)
		return NULL;
	if (ar_store_devices(st, ids, n, &err) < 0) {
		store_failed(resp, &err);
		return NULL;
	}
	qsort(*ids, *n, sizeof(**ids), cmp_devid);
	return st;
}

static void api_devices(console_t *c, ar_http_resp_t *resp)
{
	ar_store_devid_t *ids;
	ar_err_t err = { 0 };
	json_t *list, *row;
	ar_store_t *st;
	size_t n, i;

	st = device_ids(c, resp, &ids, &n);
	if (!st)
		return;
	list = json_array();
	for (i = 0; i < n; i++) {
		row = device_row(c, st, ids[i].id, &err);
		if (!row) {
			json_decref(list);
			free(ids);
			store_failed(resp, &err);
			return;
		}
		json_array_append_new(list, row);
	}
	free(ids);
	ar_http_resp_json(resp, 200, "application/json", json_pack("{s:o,s:I}", "devices", list,
								     "now", (json_int_t)time(NULL)));
}

/* The device's events among the stream's recent ones, newest first. */
static json_t *history(ar_store_t *st, const char *device, ar_err_t *err)
{
	ar_store_event_t *recent = calloc(HISTORY_RECENT, sizeof(*recent));
	json_t *list = json_array();
	int n, i;

	if (!recent || !list) {
		free(recent);
		json_decref(list);
		ar_err_set(err, AR_ERR_NOMEM, "out of memory");
		return NULL;
	}
	n = ar_store_event_recent(st, recent, HISTORY_RECENT, err);
	for (i = 0; i < n && json_array_size(list) < HISTORY_MAX; i++)
		if (!strcmp(recent[i].device, device))
			json_array_append_new(list, console_event_json(&recent[i]));
	free(recent);
	if (n < 0) {
		json_decref(list);
		return NULL;
	}
	return list;
}

static void api_device(console_t *c, const char *id, ar_http_resp_t *resp)
{
	ar_store_t *st = store(c, resp);
	ar_store_identity_t ident;
	ar_store_cert_t *certs = NULL;
	ar_store_session_t *ss = NULL;
	ar_err_t err = { 0 };
	json_t *row = NULL, *certs_j, *ss_j, *hist = NULL;
	size_t nc = 0, ns = 0, i;
	int enrolled;

	if (!st)
		return;
	if (ar_store_device_valid(id, &err) < 0) {
		ar_http_resp_problem(resp, 400, CONSOLE_PROBLEM "malformed", "%s", err.msg);
		return;
	}
	row = device_row(c, st, id, &err);
	enrolled = row ? ar_store_identity_get(st, id, &ident, &err) : -1;
	if (enrolled < 0 || ar_store_certs_of_device(st, id, &certs, &nc, &err) < 0 ||
	    ar_store_session_list(st, id, &ss, &ns, &err) < 0 || !(hist = history(st, id, &err))) {
		store_failed(resp, &err);
		goto out;
	}
	if (!enrolled && json_is_null(json_object_get(row, "posture")) && !nc &&
	    !json_array_size(hist)) {
		ar_http_resp_problem(resp, 404, CONSOLE_PROBLEM "unknownDevice",
				     "nothing is recorded on this device");
		goto out;
	}
	certs_j = json_array();
	ss_j = json_array();
	for (i = 0; i < nc; i++)
		json_array_append_new(certs_j, cert_json(&certs[i]));
	for (i = 0; i < ns; i++)
		json_array_append_new(ss_j, session_json(id, &ss[i]));
	json_object_set_new(row, "identity", enrolled ? json_pack("{s:s,s:s,s:I}", "jkt", ident.jkt,
				"eab_kid", ident.eab_kid, "enrolled_at",
				(json_int_t)ident.enrolled_at) : json_null());
	json_object_set_new(row, "certificates", certs_j);
	json_object_set_new(row, "live_sessions", ss_j);
	json_object_set_new(row, "history", hist);
	hist = NULL;
	json_object_set_new(row, "now", json_integer(time(NULL)));
	ar_http_resp_json(resp, 200, "application/json", row);
	row = NULL;
out:
	json_decref(row);
	json_decref(hist);
	free(certs);
	free(ss);
}

/* Live sessions of every device, grouped by NAS. */
static void api_sessions(console_t *c, ar_http_resp_t *resp)
{
	ar_store_devid_t *ids;
	ar_err_t err = { 0 };
	json_t *by_nas, *out, *nas, *val;
	const char *key;
	ar_store_t *st;
	size_t n, i, k;

	st = device_ids(c, resp, &ids, &n);
	if (!st)
		return;
	by_nas = json_object();
	for (i = 0; i < n; i++) {
		ar_store_session_t *ss = NULL;
		size_t ns = 0;

		if (ar_store_session_list(st, ids[i].id, &ss, &ns, &err) < 0) {
			free(ids);
			json_decref(by_nas);
			store_failed(resp, &err);
			return;
		}
		for (k = 0; k < ns; k++) {
			nas = json_object_get(by_nas, ss[k].nas_id);
			if (!nas) {
				nas = json_pack("{s:s,s:s,s:[]}", "nas_id", ss[k].nas_id, "nas_ip",
						ss[k].nas_ip, "sessions");
				json_object_set_new(by_nas, ss[k].nas_id, nas);
			}
			json_array_append_new(json_object_get(nas, "sessions"),
					      session_json(ids[i].id, &ss[k]));
		}
		free(ss);
	}
	free(ids);
	out = json_array();
	json_object_foreach(by_nas, key, val)
		json_array_append(out, val);
	json_decref(by_nas);
	ar_http_resp_json(resp, 200, "application/json", json_pack("{s:o}", "nas", out));
}

static int reason_ok(const char *reason, ar_http_resp_t *resp)
{
	size_t n = strlen(reason), i;

	for (i = 0; i < n; i++)
		if ((unsigned char)reason[i] < 0x20) {
			n = 0;
			break;
		}
	if (n < 1 || n > REASON_MAX) {
		ar_http_resp_problem(resp, 400, CONSOLE_PROBLEM "malformed",
				     "reason must be 1..%d printable characters", REASON_MAX);
		return 0;
	}
	return 1;
}

static void denied(const console_session_t *s, const char *action, const char *device,
		   ar_http_resp_t *resp)
{
	char qdev[160];

	ar_warn("event=console.denied user=%s role=%s action=%s device=%s", s->user,
		cu_role_name(s->role), action, ar_log_q(qdev, sizeof(qdev), device));
	ar_http_resp_problem(resp, 403, CONSOLE_PROBLEM "forbidden",
			     "the %s role may not %s", cu_role_name(s->role), action);
}

/* The SOC's verdict (role soc): the same SOC API call as acme-rats-ctl flag. */
static void api_verdict(console_t *c, const console_session_t *s, const char *id,
			const ar_http_req_t *req, ar_http_resp_t *resp)
{
	const char *status = NULL, *reason = NULL, *body;
	char why[REASON_MAX + CU_NAME_MAX + 32], qdev[160], qwhy[400];
	char *answer = NULL;
	ar_err_t err = { 0 };
	json_t *json;
	size_t len;
	int rc;

	if (!cu_may_flag(s->role)) {
		denied(s, "flag or clear", id, resp);
		return;
	}
	body = ar_http_body(req, &len);
	if (ar_verdict_body_parse(body, len, &json, &status, &reason, &err) < 0) {
		ar_http_resp_problem(resp, 400, CONSOLE_PROBLEM "malformed", "%s", err.msg);
		goto out;
	}
	if (!reason_ok(reason, resp))
		goto out;
	/* The SOC API call waits on the verifier: not on an HTTP thread. */
	if (ar_http_resp_defer(req, resp) == 0)
		goto out;
	snprintf(why, sizeof(why), "%s (console user %s)", reason, s->user);
	rc = ops_set_verdict(&c->conf.soc, id, status, why, &answer, &err);
	ar_log(rc == 0 ? AR_LOG_INFO : AR_LOG_WARN, "event=console.%s user=%s role=%s device=%s "
	       "status=%s reason=%s result=%s%s%s", strcmp(status, "affirming") ? "flag" : "clear",
	       s->user, cu_role_name(s->role), ar_log_q(qdev, sizeof(qdev), id), status,
	       ar_log_q(qwhy, sizeof(qwhy), reason), rc == 0 ? "ok" : "failed",
	       rc == 0 ? "" : " error=", rc == 0 ? "" : err.msg);
	if (rc == 0)
		ar_http_resp_text(resp, 200, "application/json", answer, strlen(answer));
	else if (err.code == AR_ERR_MALFORMED)
		ar_http_resp_problem(resp, 400, CONSOLE_PROBLEM "malformed", "%s", err.msg);
	else
		ar_http_resp_problem(resp, 502, CONSOLE_PROBLEM "socApi", "%s", err.msg);
	free(answer);
out:
	json_decref(json);
}

/* A disconnect (role noc): the same event as acme-rats-ctl disconnect. */
static void api_disconnect(console_t *c, const console_session_t *s, const char *id,
			   const ar_http_req_t *req, ar_http_resp_t *resp)
{
	const char *reason = NULL, *body;
	char source[AR_STORE_NAME_MAX + 1], evid[AR_STORE_EVENT_ID_MAX + 1], qdev[160], qwhy[400];
	ar_err_t err = { 0 };
	json_error_t jerr;
	ar_store_t *st;
	json_t *json;
	size_t len;

	if (!cu_may_disconnect(s->role)) {
		denied(s, "disconnect", id, resp);
		return;
	}
	body = ar_http_body(req, &len);
	json = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json || json_unpack_ex(json, &jerr, JSON_STRICT, "{s:s}", "reason", &reason) < 0) {
		ar_http_resp_problem(resp, 400, CONSOLE_PROBLEM "malformed",
				     "body must be {\"reason\": ...}: %s", jerr.text);
		goto out;
	}
	if (!reason_ok(reason, resp) || !(st = store(c, resp)))
		goto out;
	snprintf(source, sizeof(source), "console/%s", s->user);
	if (ops_request_disconnect(st, id, reason, source, evid, &err) < 0) {
		ar_warn("event=console.disconnect user=%s device=%s result=failed error=\"%s\"",
			s->user, ar_log_q(qdev, sizeof(qdev), id), err.msg);
		if (err.code == AR_ERR_MALFORMED)
			ar_http_resp_problem(resp, 400, CONSOLE_PROBLEM "malformed", "%s", err.msg);
		else
			store_failed(resp, &err);
		goto out;
	}
	ar_info("event=console.disconnect user=%s role=%s device=%s reason=%s result=requested "
		"event_id=%s", s->user, cu_role_name(s->role), ar_log_q(qdev, sizeof(qdev), id),
		ar_log_q(qwhy, sizeof(qwhy), reason), evid);
	ar_http_resp_json(resp, 202, "application/json", json_pack("{s:s,s:s}", "device", id,
								     "event", evid));
out:
	json_decref(json);
}

/* "<id>" or "<id>/<action>" after /api/devices/. */
static void device_route(console_t *c, const console_session_t *s, const char *rest, int post,
			 const ar_http_req_t *req, ar_http_resp_t *resp)
{
	const char *slash = strchr(rest, '/');
	char id[AR_STORE_DEVICE_MAX + 1];
	size_t n = slash ? (size_t)(slash - rest) : strlen(rest);

	if (n == 0 || n >= sizeof(id)) {
		ar_http_resp_problem(resp, 404, CONSOLE_PROBLEM "notFound", "no such resource");
		return;
	}
	memcpy(id, rest, n);
	id[n] = '\0';
	if (!slash && !post)
		api_device(c, id, resp);
	else if (slash && post && !strcmp(slash, "/verdict"))
		api_verdict(c, s, id, req, resp);
	else if (slash && post && !strcmp(slash, "/disconnect"))
		api_disconnect(c, s, id, req, resp);
	else
		ar_http_resp_problem(resp, 404, CONSOLE_PROBLEM "notFound", "no such resource");
}

void console_api(console_t *c, const console_session_t *s, const ar_http_req_t *req,
		 ar_http_resp_t *resp)
{
	const char *path = ar_http_path(req);
	int post = !strcmp(ar_http_method(req), "POST");

	if (!post && !strcmp(path, "/api/me"))
		ar_http_resp_json(resp, 200, "application/json", console_me_json(s));
	else if (!post && !strcmp(path, "/api/devices"))
		api_devices(c, resp);
	else if (!post && !strcmp(path, "/api/sessions"))
		api_sessions(c, resp);
	else if (!strncmp(path, DEVICES_PREFIX, strlen(DEVICES_PREFIX)))
		device_route(c, s, path + strlen(DEVICES_PREFIX), post, req, resp);
	else
		ar_http_resp_problem(resp, 404, CONSOLE_PROBLEM "notFound", "no such resource");
}
