/* SPDX-License-Identifier: GPL-2.0-or-later */
/* RATS Conceptual Message Wrappers, JSON forms (cmw.h). */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "b64.h"
#include "cmw.h"
#include "json.h"

/* Compare a media type's "type/subtype" with @want, ignoring case and spaces. */
static int base_type_is(const char *mt, const char *want)
{
	size_t n = strcspn(mt, ";");

	while (n && isspace((unsigned char)mt[n - 1]))
		n--;
	return n == strlen(want) && !strncasecmp(mt, want, n);
}

/* Value of parameter @name (quotes removed) into @out; 0 if found. */
static int media_param(const char *mt, const char *name, char *out, size_t size)
{
	const char *p = strchr(mt, ';');
	size_t nlen = strlen(name);

	while (p) {
		const char *end;
		size_t vlen;

		p++;
		while (isspace((unsigned char)*p))
			p++;
		end = strchr(p, ';');
		if (!strncasecmp(p, name, nlen) && p[nlen] == '=') {
			p += nlen + 1;
			vlen = end ? (size_t)(end - p) : strlen(p);
			while (vlen && isspace((unsigned char)p[vlen - 1]))
				vlen--;
			if (vlen >= 2 && p[0] == '"' && p[vlen - 1] == '"') {
				p++;
				vlen -= 2;
			}
			if (vlen >= size)
				return -1;
			memcpy(out, p, vlen);
			out[vlen] = '\0';
			return 0;
		}
		p = end;
	}
	return -1;
}

ar_cmw_kind_t ar_cmw_kind_of(const char *mt)
{
	char profile[128];

	if (!mt)
		return AR_CMW_UNKNOWN;
	if (base_type_is(mt, "application/eat+jwt")) {
		if (media_param(mt, "eat_profile", profile, sizeof(profile)) < 0)
			return AR_CMW_UNKNOWN;
		if (!strcmp(profile, "tag:github.com,2023:veraison/ear") ||
		    !strcmp(profile, "tag:ietf.org,2026:rats/ear#03"))
			return AR_CMW_EAR;
		return AR_CMW_UNKNOWN;
	}
	if (base_type_is(mt, AR_MT_EVIDENCE))
		return AR_CMW_EVIDENCE;
	return AR_CMW_UNKNOWN;
}

void ar_cmw_clear(ar_cmw_t *cmw)
{
	size_t i;

	for (i = 0; i < cmw->count; i++)
		free(cmw->recs[i].value);
	memset(cmw, 0, sizeof(*cmw));
}

/*
 * A media type names each parameter once: a second eat_profile must not
 * let one reader see one profile and another reader the other.
 */
static int params_unique(const char *mt)
{
	const char *p, *q;

	for (p = strchr(mt, ';'); p; p = strchr(p + 1, ';')) {
		const char *name = p + 1 + strspn(p + 1, " \t");
		size_t n = strcspn(name, "=;");

		if (name[n] != '=')
			continue;
		for (q = strchr(name, ';'); q; q = strchr(q + 1, ';')) {
			const char *other = q + 1 + strspn(q + 1, " \t");

			if (!strncasecmp(other, name, n) && other[n] == '=')
				return 0;
		}
	}
	return 1;
}

/*
 * RFC 9999 4.1: ind says what the value is; when present (@present, even
 * as 0) it must not contradict the type.
 */
static int check_ind(const ar_cmw_rec_t *rec, int present, const char *where, ar_err_t *err)
{
	if (!present)
		return 0;
	if (rec->kind == AR_CMW_EAR && !(rec->ind & AR_CMW_IND_RESULTS))
		return ar_err_set(err, AR_ERR_MALFORMED, "CMW %s: its indicator (ind %u) lacks the "
				  "attestation-results bit (8) its type (an attestation result) "
				  "calls for", where, rec->ind);
	if (rec->kind == AR_CMW_EVIDENCE && !(rec->ind & AR_CMW_IND_EVIDENCE))
		return ar_err_set(err, AR_ERR_MALFORMED, "CMW %s: its indicator (ind %u) lacks the "
				  "evidence bit (4) its type (evidence) calls for", where, rec->ind);
	return 0;
}

static int decode_record(const json_t *arr, const char *label, ar_cmw_t *out, ar_err_t *err)
{
	const json_t *type = json_array_get(arr, 0), *value = json_array_get(arr, 1);
	const json_t *ind = json_array_get(arr, 2);
	const char *where = *label ? label : "record";
	ar_cmw_rec_t *rec;
	json_int_t indv = 0;

	if (json_array_size(arr) < 2 || json_array_size(arr) > 3)
		return ar_err_set(err, AR_ERR_MALFORMED, "CMW %s: a record has 2 or 3 members", where);
	if (json_is_integer(type))
		return ar_err_set(err, AR_ERR_MALFORMED,
				  "CMW %s: CoAP content-format types are not accepted", where);
	if (!json_is_string(type) || json_string_length(type) == 0 ||
	    json_string_length(type) >= AR_CMW_MAX_TYPE)
		return ar_err_set(err, AR_ERR_MALFORMED,
				  "CMW %s: type must be a media type of 1..%d characters", where,
				  AR_CMW_MAX_TYPE - 1);
	if (!json_is_string(value))
		return ar_err_set(err, AR_ERR_MALFORMED, "CMW %s: value must be a base64url string",
				  where);
	if (!params_unique(json_string_value(type)))
		return ar_err_set(err, AR_ERR_MALFORMED, "CMW %s: the media type names a parameter "
				  "twice", where);
	if (ind) {
		indv = json_is_integer(ind) ? json_integer_value(ind) : -1;
		if (indv < 0 || indv > 31)
			return ar_err_set(err, AR_ERR_MALFORMED,
					  "CMW %s: ind must be an integer in 0..31", where);
	}
	if (out->count == AR_CMW_MAX_RECORDS)
		return ar_err_set(err, AR_ERR_TOO_LARGE, "CMW holds more than %d records",
				  AR_CMW_MAX_RECORDS);

	rec = &out->recs[out->count];
	rec->value = ar_b64url_decode_alloc(json_string_value(value), json_string_length(value),
					    &rec->len, err);
	if (!rec->value)
		return ar_err_prefix(err, "CMW %s: value: ", where);
	out->count++;
	memcpy(rec->type, json_string_value(type), json_string_length(type) + 1);
	snprintf(rec->label, sizeof(rec->label), "%s", label);
	rec->ind = (unsigned)indv;
	if (media_param(rec->type, "eat_profile", rec->eat_profile, sizeof(rec->eat_profile)) < 0)
		rec->eat_profile[0] = '\0';
	rec->kind = ar_cmw_kind_of(rec->type);
	/* A bare EAT type: the indicator says whether it is a result. */
	if (rec->kind == AR_CMW_UNKNOWN && !rec->eat_profile[0] &&
	    base_type_is(rec->type, "application/eat+jwt") && (rec->ind & AR_CMW_IND_RESULTS))
		rec->kind = AR_CMW_EAR;
	return check_ind(rec, ind != NULL, where, err);
}

static int decode_value(const json_t *v, const char *label, int depth, ar_cmw_t *out,
			ar_err_t *err);

static int decode_collection(const json_t *obj, const char *label, int depth, ar_cmw_t *out,
			     ar_err_t *err)
{
	char sub[AR_CMW_MAX_LABEL];
	const char *key;
	json_t *v;
	size_t members = 0;

	if (depth > AR_CMW_MAX_DEPTH)
		return ar_err_set(err, AR_ERR_TOO_LARGE, "CMW collections nest deeper than %d",
				  AR_CMW_MAX_DEPTH);
	json_object_foreach((json_t *)obj, key, v) {
		if (!strcmp(key, "__cmwc_t")) {
			if (!json_is_string(v) || json_string_length(v) >= AR_CMW_MAX_TYPE)
				return ar_err_set(err, AR_ERR_MALFORMED,
						  "CMW __cmwc_t must be a string");
			if (depth == 1)
				memcpy(out->collection_type, json_string_value(v),
				       json_string_length(v) + 1);
			continue;
		}
		if (*key == '\0' || strchr(key, '.'))
			return ar_err_set(err, AR_ERR_MALFORMED,
					  "CMW label \"%.32s\" must be non-empty and without '.'", key);
		if (snprintf(sub, sizeof(sub), "%s%s%s", label, *label ? "." : "", key) >=
		    (int)sizeof(sub))
			return ar_err_set(err, AR_ERR_MALFORMED, "CMW label too long");
		if (decode_value(v, sub, depth + 1, out, err) < 0)
			return -1;
		members++;
	}
	if (members == 0)
		return ar_err_set(err, AR_ERR_MALFORMED, "CMW collection %s is empty",
				  *label ? label : "(top)");
	return 0;
}

static int decode_value(const json_t *v, const char *label, int depth, ar_cmw_t *out,
			ar_err_t *err)
{
	if (json_is_array(v))
		return decode_record(v, label, out, err);
	if (json_is_object(v))
		return decode_collection(v, label, depth, out, err);
	return ar_err_set(err, AR_ERR_MALFORMED,
			  "CMW %s: expected a record (array) or a collection (object)",
			  *label ? label : "(top)");
}

int ar_cmw_decode_json(const json_t *json, ar_cmw_t *out, ar_err_t *err)
{
	memset(out, 0, sizeof(*out));
	out->is_collection = json_is_object(json);
	if (decode_value(json, "", 1, out, err) < 0) {
		ar_cmw_clear(out);
		return -1;
	}
	return 0;
}

int ar_cmw_decode(const char *text, size_t len, ar_cmw_t *out, ar_err_t *err)
{
	json_t *json;
	int rc;

	memset(out, 0, sizeof(*out));
	json = ar_json_load(text, len, AR_CMW_MAX_TEXT, "CMW", err);
	if (!json)
		return -1;
	rc = ar_cmw_decode_json(json, out, err);
	json_decref(json);
	return rc;
}

const ar_cmw_rec_t *ar_cmw_find(const ar_cmw_t *cmw, ar_cmw_kind_t kind)
{
	size_t i;

	for (i = 0; i < cmw->count; i++)
		if (cmw->recs[i].kind == kind)
			return &cmw->recs[i];
	return NULL;
}

size_t ar_cmw_find_all(const ar_cmw_t *cmw, ar_cmw_kind_t kind, const ar_cmw_rec_t **out,
		       size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < cmw->count; i++) {
		if (cmw->recs[i].kind != kind)
			continue;
		if (n < max)
			out[n] = &cmw->recs[i];
		n++;
	}
	return n;
}

int ar_cmw_rec_profile_matches(const ar_cmw_rec_t *rec, const char *eat_profile)
{
	return !rec->eat_profile[0] || (eat_profile && !strcmp(rec->eat_profile, eat_profile));
}

json_t *ar_cmw_record(const char *type, const void *value, size_t len, unsigned ind)
{
	char *b64 = ar_b64url_encode_alloc(value, len);
	json_t *rec = NULL;

	if (!b64)
		return NULL;
	if (ind)
		rec = json_pack("[s,s,I]", type, b64, (json_int_t)ind);
	else
		rec = json_pack("[s,s]", type, b64);
	free(b64);
	return rec;
}
