/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The SOC and NOC actions on a device (fleet_ops.h). */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "daemon.h"
#include "ear.h"
#include "fleet_ops.h"
#include "http.h"

#define OFF(f) offsetof(ops_soc_conf_t, f)

const ar_conf_rule_t ops_soc_rules[] = {
	{ "verifier_url", AR_CONF_STRING, OFF(verifier_url), 0, NULL, 0, 0, NULL },
	{ "token_file", AR_CONF_STRING, OFF(token_file), 0, NULL, 0, 0, NULL },
	{ "verifier_ca", AR_CONF_STRING, OFF(verifier_ca), 0, NULL, 0, 0, NULL },
	AR_CONF_END
};

/* The API's answer to a verdict that was not taken, as an error. */
static int refused(const http_resp_t *r, ar_err_t *err)
{
	ar_errc_t code = r->status == 401 || r->status == 403 ? AR_ERR_UNAUTHORIZED :
			 r->status >= 400 && r->status < 500 ? AR_ERR_MALFORMED : AR_ERR_UNAVAILABLE;

	return ar_err_set(err, code, "the SOC API answered %ld: %.300s", r->status, r->body);
}

int ops_set_verdict(const ops_soc_conf_t *c, const char *device, const char *status,
		    const char *reason, char **answer, ar_err_t *err)
{
	http_opts_t o = { .ca_bundle = c->verifier_ca, .connect_ms = 3000, .total_ms = 10000 };
	char token[256], url[HTTP_URL_MAX], auth[300];
	http_client_t *hc = NULL;
	http_resp_t r = { 0 };
	json_t *body = NULL;
	char *text = NULL;
	ar_status_t s;
	int rc = -1;

	if (answer)
		*answer = NULL;
	if (ar_status_parse(status, &s) < 0 || s == AR_STATUS_NONE)
		return ar_err_set(err, AR_ERR_MALFORMED,
				  "status must be affirming, warning or contraindicated");
	if (!reason || !*reason)
		return ar_err_set(err, AR_ERR_MALFORMED, "a reason is required");
	if (ar_store_device_valid(device, err) < 0)
		return -1;
	if (!c->verifier_url || !c->token_file)
		return ar_err_set(err, AR_ERR_CONFIG, "[soc] verifier_url and token_file are needed "
				  "to flag devices");
	if (daemon_read_secret(c->token_file, token, sizeof(token), err) < 0)
		return -1;
	snprintf(url, sizeof(url), "%s/soc/v1/devices/%s/posture", c->verifier_url, device);
	snprintf(auth, sizeof(auth), "Bearer %s", token);
	body = json_pack("{s:s,s:s}", "status", status, "reason", reason);
	text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	if (!text) {
		ar_err_set(err, AR_ERR_NOMEM, "out of memory");
		goto out;
	}
	hc = http_client_new(&o, err);
	if (!hc || http_request_auth(hc, "POST", url, "application/json", text, strlen(text),
				     "application/json", auth, &r, err) < 0)
		goto out;
	if (r.status != 200 && r.status != 201 && r.status != 204) {
		refused(&r, err);
		goto out;
	}
	if (answer && !(*answer = strdup(r.body[0] ? r.body : "{}"))) {
		ar_err_set(err, AR_ERR_NOMEM, "out of memory");
		goto out;
	}
	rc = 0;
out:
	OPENSSL_cleanse(token, sizeof(token));
	OPENSSL_cleanse(auth, sizeof(auth));
	http_resp_free(&r);
	http_client_free(hc);
	free(text);
	json_decref(body);
	return rc;
}

int ops_request_disconnect(ar_store_t *st, const char *device, const char *reason,
			   const char *source, char *id, ar_err_t *err)
{
	ar_store_event_t ev;

	if (ar_store_device_valid(device, err) < 0)
		return -1;
	memset(&ev, 0, sizeof(ev));
	snprintf(ev.type, sizeof(ev.type), "disconnect");
	snprintf(ev.device, sizeof(ev.device), "%s", device);
	snprintf(ev.reason, sizeof(ev.reason), "%s", reason && *reason ? reason : "operator request");
	snprintf(ev.source, sizeof(ev.source), "%s", source);
	return ar_store_event_add(st, &ev, id, err);
}
