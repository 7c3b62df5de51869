/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ACME resources as records in the store: order:<id>, authz:<id> (JSON),
 * their ids, URLs and times.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "b64.h"
#include "ca.h"
#include "json.h"

#define RECORD_MAX	(256 * 1024)

/* Random URL-safe id of 16 bytes (22 characters). */
int ca_new_id(char *out, size_t size)
{
	uint8_t raw[16];

	return RAND_bytes(raw, sizeof(raw)) == 1 ? ar_b64url_encode(raw, sizeof(raw), out, size) : -1;
}

void ca_rfc3339(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void ca_url(const ca_t *ca, const char *kind, const char *id, char *out, size_t size)
{
	snprintf(out, size, "%s" ACME_PATH "%s/%s", ca->conf.base_url, kind, id);
}

int ca_record_put(ar_store_t *st, const char *kind, const char *id, const json_t *rec,
		      ar_err_t *err)
{
	char key[96], *text = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);
	int rc;

	if (!text)
		return ar_err_set(err, AR_ERR_NOMEM, "out of memory");
	snprintf(key, sizeof(key), "%s:%s", kind, id);
	rc = ar_store_set(st, key, text, strlen(text), 0, err);
	free(text);
	return rc;
}

/* 1 found, 0 absent (or not a plausible id), -1 error. */
int ca_record_get(ar_store_t *st, const char *kind, const char *id, json_t **rec,
		      ar_err_t *err)
{
	char key[96], *text;
	size_t len;
	int rc;

	*rec = NULL;
	if (strlen(id) == 0 || strlen(id) > 43 || strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			"abcdefghijklmnopqrstuvwxyz0123456789-_") != strlen(id))
		return 0;
	snprintf(key, sizeof(key), "%s:%s", kind, id);
	rc = ar_store_get(st, key, &text, &len, err);
	if (rc <= 0)
		return rc;
	*rec = ar_json_load(text, len, RECORD_MAX, kind, err);
	free(text);
	return *rec ? 1 : -1;
}

/* Load a record of this account, or answer with the problem. */
json_t *ca_record_own(acme_req_t *r, const char *kind, const char *id, ar_http_resp_t *resp)
{
	ar_err_t err = { 0 };
	json_t *rec;
	int rc = ca_record_get(r->st, kind, id, &rec, &err);

	if (rc < 0) {
		acme_problem_from(r->ca, resp, &err);
		return NULL;
	}
	if (rc == 0 || strcmp(json_string_value(json_object_get(rec, "account")), r->account_id)) {
		/* Another account's resource looks absent: nothing to learn from probing. */
		acme_problem(r->ca, resp, 404, "malformed", "no such %s", kind);
		json_decref(rec);
		return NULL;
	}
	return rec;
}

