/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The verifier API's URLs and response parsers, without I/O (verifier_proto.h). */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "json.h"
#include "jws.h"
#include "verifier_proto.h"

/* Largest body of a newSession answer or a problem document we parse. */
#define VP_MAX_JSON	(64 * 1024)

/* Length of the type/subtype part of a media type, without parameters. */
static size_t base_type_len(const char *mt)
{
	size_t n = strcspn(mt, ";");

	while (n && isspace((unsigned char)mt[n - 1]))
		n--;
	return n;
}

int vp_media_type_is(const char *mt, const char *want)
{
	size_t n;

	if (!mt || !want)
		return 0;
	n = base_type_len(mt);
	return n && n == base_type_len(want) && !strncasecmp(mt, want, n);
}

/* Printable ASCII without spaces. */
static int url_chars_ok(const char *s)
{
	for (; *s; s++)
		if (*s <= 0x20 || *s >= 0x7f)
			return 0;
	return 1;
}

/* Length of "https://authority" at the start of @url, or 0 if it has none. */
static size_t origin_len(const char *url)
{
	size_t n;

	if (strncasecmp(url, "https://", 8))
		return 0;
	n = strcspn(url + 8, "/?#");
	return n ? 8 + n : 0;
}

int vp_base_url(const char *verifier, char *out, size_t size, ar_err_t *err)
{
	size_t n, olen;

	if (!verifier || strlen(verifier) >= VP_BASE_MAX || !url_chars_ok(verifier))
		return ar_err_set(err, AR_ERR_CONFIG,
				  "verifier URL must be printable and under %d characters", VP_BASE_MAX);
	olen = origin_len(verifier);
	if (!olen)
		return ar_err_set(err, AR_ERR_CONFIG, "verifier URL \"%.128s\" must be https://HOST[:PORT][/PATH]",
				  verifier);
	if (memchr(verifier, '@', olen))
		return ar_err_set(err, AR_ERR_CONFIG, "verifier URL must not carry user information");
	if (strpbrk(verifier, "?#"))
		return ar_err_set(err, AR_ERR_CONFIG, "verifier URL must not have a query or fragment");
	n = strlen(verifier);
	while (n > olen && verifier[n - 1] == '/')
		n--;
	if (n >= size)
		return ar_err_set(err, AR_ERR_CONFIG, "verifier URL too long");
	memcpy(out, verifier, n);
	out[n] = '\0';
	return 0;
}

int vp_resolve_location(const char *base, const char *location, char *out, size_t size,
			ar_err_t *err)
{
	size_t olen = origin_len(base), llen;
	int n;

	if (!location || !*location)
		return ar_err_set(err, AR_ERR_MALFORMED, "verifier sent no session Location");
	llen = strlen(location);
	if (llen >= VP_URL_MAX || !url_chars_ok(location) || strchr(location, '#'))
		return ar_err_set(err, AR_ERR_MALFORMED, "verifier sent an invalid session Location");
	if (location[0] == '/' && location[1] != '/') {
		n = snprintf(out, size, "%.*s%s", (int)olen, base, location);
	} else if (origin_len(location) == olen && !strncasecmp(location, base, olen) &&
		   location[olen] == '/') {
		n = snprintf(out, size, "%s", location);
	} else {
		return ar_err_set(err, AR_ERR_MALFORMED,
				  "session Location is not on the verifier's origin");
	}
	if (!olen || n < 0 || (size_t)n >= size)
		return ar_err_set(err, AR_ERR_MALFORMED, "session URL too long");
	return 0;
}

/* base64 or base64url characters (with optional padding), 1..max long. */
static int nonce_ok(const char *s, size_t max)
{
	size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/");
	size_t pad = strspn(s + n, "=");

	return n > 0 && pad <= 2 && s[n + pad] == '\0' && n + pad <= max;
}

int vp_parse_session(const char *body, size_t len, vp_session_t *s, ar_err_t *err)
{
	const char *nonce, *expiry = NULL, *state = NULL;
	json_t *doc, *accept = NULL, *v;
	json_error_t jerr;
	size_t i;
	int rc = -1;

	s->nonce[0] = '\0';
	s->expiry[0] = '\0';
	s->naccept = 0;
	doc = ar_json_load(body, len, VP_MAX_JSON, "session", err);
	if (!doc)
		return -1;
	if (json_unpack_ex(doc, &jerr, 0, "{s:s, s?s, s?o, s?s}", "nonce", &nonce,
			   "expiry", &expiry, "accept", &accept, "state", &state) < 0) {
		ar_err_set(err, AR_ERR_MALFORMED, "session: %s", jerr.text);
		goto out;
	}
	if (!nonce_ok(nonce, AR_EAR_NONCE_MAX)) {
		ar_err_set(err, AR_ERR_MALFORMED, "session nonce is not base64 of at most %d characters",
			   AR_EAR_NONCE_MAX);
		goto out;
	}
	if (state && strcmp(state, "waiting")) {
		ar_err_set(err, AR_ERR_MALFORMED, "session state is \"%.32s\", not \"waiting\"", state);
		goto out;
	}
	if (expiry && (strlen(expiry) >= sizeof(s->expiry) || !url_chars_ok(expiry))) {
		ar_err_set(err, AR_ERR_MALFORMED, "session expiry is not an RFC 3339 time");
		goto out;
	}
	if (accept && !json_is_array(accept)) {
		ar_err_set(err, AR_ERR_MALFORMED, "session \"accept\" is not an array");
		goto out;
	}
	json_array_foreach(accept, i, v) {
		const char *mt = json_string_value(v);

		if (!mt || strlen(mt) >= AR_CMW_MAX_TYPE) {
			ar_err_set(err, AR_ERR_MALFORMED, "session accept[%zu] is not a media type", i);
			goto out;
		}
		if (s->naccept < VP_MAX_ACCEPT)
			snprintf(s->accept[s->naccept++], AR_CMW_MAX_TYPE, "%s", mt);
	}
	snprintf(s->nonce, sizeof(s->nonce), "%s", nonce);
	snprintf(s->expiry, sizeof(s->expiry), "%s", expiry ? expiry : "");
	rc = 0;
out:
	json_decref(doc);
	if (rc < 0)
		s->naccept = 0;
	return rc;
}

int vp_session_accepts(const vp_session_t *s, const char *media_type)
{
	size_t i;

	if (!s->naccept)
		return 1;
	for (i = 0; i < s->naccept; i++)
		if (vp_media_type_is(s->accept[i], media_type))
			return 1;
	return 0;
}

/* header.payload.signature, base64url characters only. */
static int is_compact_jws(const uint8_t *v, size_t len)
{
	size_t i, dots = 0;

	for (i = 0; i < len; i++) {
		if (v[i] == '.')
			dots++;
		else if (!isalnum(v[i]) && v[i] != '-' && v[i] != '_')
			return 0;
	}
	return dots == 2;
}

int vp_parse_result(const char *ctype, const char *body, size_t len, char **jwt,
		    ar_err_t *err)
{
	const ar_cmw_rec_t *rec;
	ar_cmw_t cmw;
	int rc = -1;

	*jwt = NULL;
	if (!vp_media_type_is(ctype, VP_MT_CMW))
		return ar_err_set(err, AR_ERR_MALFORMED, "result has Content-Type \"%.64s\", not %s",
				  ctype ? ctype : "", VP_MT_CMW);
	if (ar_cmw_decode(body, len, &cmw, err) < 0)
		return ar_err_prefix(err, "result: ");
	rec = ar_cmw_find(&cmw, AR_CMW_EAR);
	if (!rec) {
		ar_err_set(err, AR_ERR_NOT_FOUND, "result holds no attestation result (EAR) record");
		goto out;
	}
	/* One session, one result: never read the first and ignore the others. */
	if (ar_cmw_find_all(&cmw, AR_CMW_EAR, NULL, 0) > 1) {
		ar_err_set(err, AR_ERR_MALFORMED, "result holds %zu attestation results, a session "
			   "has one", ar_cmw_find_all(&cmw, AR_CMW_EAR, NULL, 0));
		goto out;
	}
	if (rec->ind && !(rec->ind & AR_CMW_IND_RESULTS)) {
		ar_err_set(err, AR_ERR_MALFORMED, "EAR record's indicator %u lacks attestation results",
			   rec->ind);
		goto out;
	}
	if (rec->len > AR_EAR_MAX_TEXT || !is_compact_jws(rec->value, rec->len)) {
		ar_err_set(err, AR_ERR_MALFORMED, "EAR record does not hold a compact JWT");
		goto out;
	}
	*jwt = strndup((const char *)rec->value, rec->len);
	if (!*jwt) {
		ar_err_set(err, AR_ERR_NOMEM, "out of memory");
		goto out;
	}
	rc = 0;
out:
	ar_cmw_clear(&cmw);
	return rc;
}

/* Copy @s to @out, replacing control characters, truncating to fit. */
static void printable(const char *s, char *out, size_t size)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < size; i++)
		out[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
	if (size)
		out[i] = '\0';
}

void vp_problem_text(const char *ctype, const char *body, size_t len, char *out, size_t size)
{
	const char *type = NULL, *detail = NULL;
	json_t *doc = NULL;
	char line[512];

	if (vp_media_type_is(ctype, VP_MT_PROBLEM) && len <= VP_MAX_JSON)
		doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	if (doc && json_unpack(doc, "{s?s, s?s}", "type", &type, "detail", &detail) == 0 &&
	    (type || detail))
		snprintf(line, sizeof(line), "%s%s%s%s", detail ? detail : "(no detail)",
			 type ? " [" : "", type ? type : "", type ? "]" : "");
	else
		snprintf(line, sizeof(line), "no problem document (Content-Type \"%.64s\")",
			 ctype ? ctype : "");
	json_decref(doc);
	printable(line, out, size);
}

int vp_ear_peek(const char *jwt, size_t len, ar_ear_t *out, ar_err_t *err)
{
	json_error_t jerr;
	json_t *claims;
	ar_jws_t jws;
	const char *kid;
	int rc;

	memset(out, 0, sizeof(*out));
	if (ar_jws_parse_compact(jwt, len, AR_EAR_MAX_TEXT, &jws, err) < 0)
		return ar_err_prefix(err, "EAR: ");
	claims = json_loadb((const char *)jws.payload, jws.payload_len, JSON_REJECT_DUPLICATES,
			    &jerr);
	if (!claims) {
		ar_jws_clear(&jws);
		return ar_err_set(err, AR_ERR_MALFORMED, "EAR claims are not JSON: %s", jerr.text);
	}
	rc = ar_ear_parse_claims(claims, out, err);
	kid = ar_jws_header_str(&jws, "kid");
	if (rc == 0 && kid)
		snprintf(out->kid, sizeof(out->kid), "%s", kid);
	json_decref(claims);
	ar_jws_clear(&jws);
	return rc;
}
