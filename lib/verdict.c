/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The SOC's verdict over a posture: the worse-of rule and their JSON. */
#include "config.h"

#include <stdio.h>

#include "verdict.h"

int ar_verdict_caps(const ar_store_verdict_t *v, ar_status_t *status, char *reason, size_t size)
{
	if (v->status <= *status)
		return 0;
	*status = v->status;
	snprintf(reason, size, AR_VERDICT_REASON_PREFIX "%s", v->reason);
	return 1;
}

json_t *ar_verdict_json(const ar_store_verdict_t *v)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:I}", "status", ar_status_name(v->status), "reason",
			 v->reason, "source", v->source, "identity", v->identity, "set_at",
			 (json_int_t)v->set_at);
}

json_t *ar_posture_json(const ar_store_posture_t *p)
{
	return json_pack("{s:s,s:s,s:I,s:I,s:s,s:s,s:I,s:s}", "status", ar_status_name(p->status),
			 "trust_vector", p->tv, "ear_iat", (json_int_t)p->ear_iat,
			 "ear_exp", (json_int_t)p->ear_exp, "verifier", p->verifier,
			 "profile", p->profile, "updated_at", (json_int_t)p->updated_at,
			 "reason", p->reason);
}

int ar_verdict_body_parse(const void *body, size_t len, json_t **json, const char **status,
			  const char **reason, ar_err_t *err)
{
	json_error_t jerr;

	*status = *reason = NULL;
	*json = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (*json && json_unpack_ex(*json, &jerr, JSON_STRICT, "{s:s, s:s}", "status", status,
				    "reason", reason) == 0)
		return 0;
	json_decref(*json);
	*json = NULL;
	return ar_err_set(err, AR_ERR_MALFORMED,
			  "body must be {\"status\": ..., \"reason\": ...}: %s", jerr.text);
}
