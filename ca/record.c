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

/* Each element of array @a is a string (@what names it for the error). */
static int all_strings(const json_t *a, const char *kind, const char *what, ar_err_t *err)
{
	size_t i;

	for (i = 0; i < json_array_size(a); i++)
		if (!json_is_string(json_array_get(a, i)))
			return ar_err_set(err, AR_ERR_IO, "%s record corrupt: %s[%zu] is not a string",
					  kind, what, i);
	return 0;
}

/* An identifier object {"type": s, "value": s}. */
static int identifier_ok(json_t *id, const char *kind, ar_err_t *err)
{
	json_error_t jerr;
	const char *type, *value;

	if (json_unpack_ex(id, &jerr, 0, "{s:s, s:s}", "type", &type, "value", &value) < 0)
		return ar_err_set(err, AR_ERR_IO, "%s record corrupt: identifier: %s", kind,
				  jerr.text);
	return 0;
}

/*
 * The shape of a stored order, authorization or certificate record, checked
 * once when it is read: the members the CA decides on are present with
 * their types and the status is an ACME status. A record that is not is
 * corrupt (AR_ERR_IO: serverInternal and a log line), never dereferenced.
 */
static int record_check(const char *kind, json_t *rec, ar_err_t *err)
{
	json_t *ids = NULL, *authzs = NULL, *id = NULL, *chs = NULL, *c;
	const char *account, *status = NULL, *order, *chain, *type, *cstatus;
	json_int_t expires;
	json_error_t jerr;
	acme_status_t st;
	size_t i;
	int rc = 0;

	if (!strcmp(kind, "order"))
		rc = json_unpack_ex(rec, &jerr, 0, "{s:s, s:s, s:I, s:o, s:o}", "account", &account,
				    "status", &status, "expires", &expires, "identifiers", &ids,
				    "authorizations", &authzs);
	else if (!strcmp(kind, "authz"))
		rc = json_unpack_ex(rec, &jerr, 0, "{s:s, s:s, s:s, s:I, s:o, s:o}", "account",
				    &account, "order", &order, "status", &status, "expires", &expires,
				    "identifier", &id, "challenges", &chs);
	else if (!strcmp(kind, "cert"))
		rc = json_unpack_ex(rec, &jerr, 0, "{s:s, s:s, s:s}", "account", &account, "order",
				    &order, "chain", &chain);
	else
		return 0;
	if (rc < 0)
		return ar_err_set(err, AR_ERR_IO, "%s record corrupt: %s", kind, jerr.text);
	if (status && acme_status_parse(status, &st) < 0)
		return ar_err_set(err, AR_ERR_IO, "%s record corrupt: status \"%.32s\" is not an "
				  "ACME status", kind, status);
	if (ids || authzs) {
		if (!json_is_array(ids) || !json_array_size(ids) || !json_is_array(authzs) ||
		    !json_array_size(authzs))
			return ar_err_set(err, AR_ERR_IO, "%s record corrupt: identifiers and "
					  "authorizations must be non-empty arrays", kind);
		for (i = 0; i < json_array_size(ids); i++)
			if (identifier_ok(json_array_get(ids, i), kind, err) < 0)
				return -1;
		return all_strings(authzs, kind, "authorizations", err);
	}
	if (id) {
		if (identifier_ok(id, kind, err) < 0)
			return -1;
		if (!json_is_array(chs))
			return ar_err_set(err, AR_ERR_IO, "%s record corrupt: challenges is not an "
					  "array", kind);
		json_array_foreach(chs, i, c) {
			if (json_unpack_ex(c, &jerr, 0, "{s:s, s:s}", "type", &type, "status",
					   &cstatus) < 0)
				return ar_err_set(err, AR_ERR_IO, "%s record corrupt: challenge %zu: %s",
						  kind, i, jerr.text);
			if (acme_status_parse(cstatus, &st) < 0)
				return ar_err_set(err, AR_ERR_IO, "%s record corrupt: challenge %zu "
						  "status \"%.32s\"", kind, i, cstatus);
		}
	}
	return 0;
}

/* A stored record, parsed and its shape checked; NULL with @err set. */
static json_t *record_load(const char *kind, const char *text, size_t len, ar_err_t *err)
{
	json_t *rec = ar_json_load(text, len, RECORD_MAX, kind, err);

	if (rec && record_check(kind, rec, err) < 0) {
		json_decref(rec);
		return NULL;
	}
	return rec;
}

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

/*
 * Records outlive what they describe by a day (an order or authorization
 * its "expires", a certificate its "not_after"), then Redis drops them.
 */
#define RECORD_RETAIN_S	86400

static int64_t record_ttl_ms(const json_t *rec)
{
	json_int_t until = json_integer_value(json_object_get(rec, "expires"));

	if (!until)
		until = json_integer_value(json_object_get(rec, "not_after"));
	if (!until)
		return 0;
	until += RECORD_RETAIN_S - (json_int_t)time(NULL);
	return until > 0 ? (int64_t)until * 1000 : 1000;
}

int ca_records_queue(ar_store_batch_t *b, const char *const *kinds, const char *const *ids,
		     json_t *const *recs, size_t n, ar_err_t *err)
{
	char key[96], *text;
	size_t i;

	if (!b)
		return ar_err_set(err, AR_ERR_NOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		text = json_dumps(recs[i], JSON_COMPACT | JSON_SORT_KEYS);
		if (!text)
			return ar_err_set(err, AR_ERR_NOMEM, "out of memory");
		snprintf(key, sizeof(key), "%s:%s", kinds[i], ids[i]);
		ar_store_batch_set(b, key, text, strlen(text), record_ttl_ms(recs[i]));
		free(text);
	}
	return 0;
}

static int plausible_id(const char *id)
{
	return strlen(id) > 0 && strlen(id) <= 43 && strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		"abcdefghijklmnopqrstuvwxyz0123456789-_") == strlen(id);
}

int ca_records_get_some(ar_store_t *st, const char *kind, const char *const *ids, size_t n,
			json_t **recs, ar_err_t *err)
{
	char keys[AR_STORE_BATCH_MAX][96], *texts[AR_STORE_BATCH_MAX];
	const char *kp[AR_STORE_BATCH_MAX];
	size_t lens[AR_STORE_BATCH_MAX], i, m = 0;
	ar_err_t skip;

	if (n > AR_STORE_BATCH_MAX)
		return ar_err_set(err, AR_ERR_MALFORMED, "at most %d records at once",
				  AR_STORE_BATCH_MAX);
	for (i = 0; i < n; i++) {
		recs[i] = NULL;
		if (!plausible_id(ids[i]))
			continue;
		snprintf(keys[m], sizeof(keys[m]), "%s:%s", kind, ids[i]);
		kp[m] = keys[m];
		m++;
	}
	if (m == 0)
		return 0;
	if (ar_store_get_many(st, kp, m, texts, lens, err) < 0)
		return -1;
	for (i = 0, m = 0; i < n; i++) {
		if (!plausible_id(ids[i]))
			continue;
		if (texts[m])
			recs[i] = record_load(kind, texts[m], lens[m], &skip);
		free(texts[m++]);
	}
	return 0;
}

int ca_records_get_texts(ar_store_t *st, const char *const *kinds, const char *const *ids,
			 size_t n, json_t **recs, char **texts, ar_err_t *err)
{
	char keys[AR_STORE_BATCH_MAX][96], *got[AR_STORE_BATCH_MAX];
	const char *kp[AR_STORE_BATCH_MAX] = { NULL };
	size_t lens[AR_STORE_BATCH_MAX], i;
	int rc = 0;

	if (n == 0 || n > AR_STORE_BATCH_MAX)
		return ar_err_set(err, AR_ERR_MALFORMED, "1..%d records at once", AR_STORE_BATCH_MAX);
	for (i = 0; i < n; i++) {
		recs[i] = NULL;
		if (texts)
			texts[i] = NULL;
		if (!plausible_id(ids[i]))
			return ar_err_set(err, AR_ERR_MALFORMED, "%s record id corrupt", kinds[i]);
		snprintf(keys[i], sizeof(keys[i]), "%s:%s", kinds[i], ids[i]);
		kp[i] = keys[i];
	}
	if (ar_store_get_many(st, kp, n, got, lens, err) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (!got[i]) {
			rc = ar_err_set(err, AR_ERR_NOT_FOUND, "%s record %s missing", kinds[i], ids[i]);
		} else if (rc == 0 && !(recs[i] = record_load(kinds[i], got[i], lens[i], err))) {
			rc = -1;
		}
		if (texts)
			texts[i] = got[i];
		else
			free(got[i]);
	}
	if (rc < 0) {
		for (i = 0; i < n; i++) {
			json_decref(recs[i]);
			recs[i] = NULL;
			if (texts) {
				free(texts[i]);
				texts[i] = NULL;
			}
		}
	}
	return rc;
}

int ca_records_get_text(ar_store_t *st, const char *const *kinds, const char *const *ids,
			size_t n, json_t **recs, char **text0, ar_err_t *err)
{
	char *texts[AR_STORE_BATCH_MAX];
	size_t i;
	int rc;

	if (text0)
		*text0 = NULL;
	rc = ca_records_get_texts(st, kinds, ids, n, recs, text0 ? texts : NULL, err);
	if (rc < 0 || !text0)
		return rc;
	*text0 = texts[0];
	for (i = 1; i < n; i++)
		free(texts[i]);
	return 0;
}

/*
 * A record read as @text (NULL: absent): 1, 0 or -1 as ca_record_get().
 * The text is handed to @keep when it is not NULL, else freed.
 */
static int record_parse(const char *kind, char *text, size_t len, json_t **rec, char **keep,
			ar_err_t *err)
{
	*rec = text ? record_load(kind, text, len, err) : NULL;
	if (keep && *rec)
		*keep = text;
	else
		free(text);
	return !text ? 0 : *rec ? 1 : -1;
}

static int record_get_text(ar_store_t *st, const char *kind, const char *id, json_t **rec,
			   char **keep, ar_err_t *err)
{
	char key[96], *text;
	size_t len;
	int rc;

	*rec = NULL;
	if (!plausible_id(id))
		return 0;
	snprintf(key, sizeof(key), "%s:%s", kind, id);
	rc = ar_store_get(st, key, &text, &len, err);
	if (rc <= 0)
		return rc;
	return record_parse(kind, text, len, rec, keep, err);
}

/* 1 found, 0 absent (or not a plausible id), -1 error. */
int ca_record_get(ar_store_t *st, const char *kind, const char *id, json_t **rec,
		      ar_err_t *err)
{
	return record_get_text(st, kind, id, rec, NULL, err);
}

int ca_record_get_text(ar_store_t *st, const char *kind, const char *id, json_t **rec,
		       char **text, ar_err_t *err)
{
	*text = NULL;
	return record_get_text(st, kind, id, rec, text, err);
}

int ca_records_put_if(ar_store_t *st, const char *const *gkinds, const char *const *gids,
		      const char *const *gtexts, size_t ng, const char *const *kinds,
		      const char *const *ids, json_t *const *recs, size_t n, size_t *changed,
		      ar_err_t *err)
{
	char gk[AR_STORE_GUARDED_MAX][96], wk[AR_STORE_GUARDED_MAX][96];
	char *texts[AR_STORE_GUARDED_MAX] = { NULL };
	const char *gkp[AR_STORE_GUARDED_MAX], *wkp[AR_STORE_GUARDED_MAX];
	const char *vals[AR_STORE_GUARDED_MAX];
	size_t lens[AR_STORE_GUARDED_MAX], i;
	int64_t ttls[AR_STORE_GUARDED_MAX];
	int rc = -1;

	if (ng == 0 || n == 0 || ng > AR_STORE_GUARDED_MAX || n > AR_STORE_GUARDED_MAX)
		return ar_err_set(err, AR_ERR_MALFORMED, "1..%d guarded records at once",
				  AR_STORE_GUARDED_MAX);
	for (i = 0; i < ng; i++) {
		snprintf(gk[i], sizeof(gk[i]), "%s:%s", gkinds[i], gids[i]);
		gkp[i] = gk[i];
	}
	for (i = 0; i < n; i++) {
		texts[i] = json_dumps(recs[i], JSON_COMPACT | JSON_SORT_KEYS);
		if (!texts[i]) {
			ar_err_set(err, AR_ERR_NOMEM, "out of memory");
			goto out;
		}
		snprintf(wk[i], sizeof(wk[i]), "%s:%s", kinds[i], ids[i]);
		wkp[i] = wk[i];
		vals[i] = texts[i];
		lens[i] = strlen(texts[i]);
		ttls[i] = record_ttl_ms(recs[i]);
	}
	rc = ar_store_set_many_if(st, gkp, gtexts, ng, wkp, vals, lens, ttls, n, changed, err);
out:
	for (i = 0; i < n; i++)
		free(texts[i]);
	return rc;
}

void ca_record_prefetch(acme_req_t *r, const char *kind, const char *path)
{
	size_t n = strcspn(path, "/");

	if (n >= sizeof(r->pre.id))
		return;
	memcpy(r->pre.id, path, n);
	r->pre.id[n] = '\0';
	if (plausible_id(r->pre.id))
		r->pre.kind = kind;
}

json_t *ca_record_own_text(acme_req_t *r, const char *kind, const char *id, char **text,
			   ar_http_resp_t *resp)
{
	ar_err_t err = { 0 };
	json_t *rec;
	int rc;

	if (text)
		*text = NULL;
	if (r->pre.done && !strcmp(r->pre.kind, kind) && !strcmp(r->pre.id, id)) {
		r->pre.done = 0;
		rc = record_parse(kind, r->pre.text, r->pre.len, &rec, text, &err);
		r->pre.text = NULL;
	} else {
		rc = record_get_text(r->st, kind, id, &rec, text, &err);
	}

	if (rc < 0) {
		acme_problem_from(r->ca, resp, &err);
		return NULL;
	}
	if (rc == 0 || !json_is_string(json_object_get(rec, "account")) ||
	    strcmp(json_string_value(json_object_get(rec, "account")), r->account_id)) {
		/* Another account's resource looks absent: nothing to learn from probing. */
		acme_problem(r->ca, resp, 404, "malformed", "no such %s", kind);
		json_decref(rec);
		if (text) {
			free(*text);
			*text = NULL;
		}
		return NULL;
	}
	return rec;
}

/* Load a record of this account, or answer with the problem. */
json_t *ca_record_own(acme_req_t *r, const char *kind, const char *id, ar_http_resp_t *resp)
{
	return ca_record_own_text(r, kind, id, NULL, resp);
}
