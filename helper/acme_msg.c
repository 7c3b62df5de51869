/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Parsers of the ACME server responses the helper reads, without I/O (acme_msg.h). */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "acme_msg.h"
#include "json.h"

#define ACME_ERR_PREFIX	"urn:ietf:params:acme:error:"

static int parse_status(const json_t *j, const char *what, acme_status_t *out, ar_err_t *err)
{
	if (acme_status_parse(json_string_value(j), out) == 0)
		return 0;
	return ar_err_set(err, AR_ERR_MALFORMED, "%s: \"status\" is missing or unknown", what);
}

/* Copy an optional string member; -1 when it is not a string or too long. */
static int copy_str(const json_t *obj, const char *key, char *out, size_t size, const char *what,
		    ar_err_t *err)
{
	const json_t *j = json_object_get(obj, key);
	const char *s;

	out[0] = '\0';
	if (!j)
		return 0;
	s = json_string_value(j);
	if (!s)
		return ar_err_set(err, AR_ERR_MALFORMED, "%s: \"%s\" is not a string", what, key);
	if (strlen(s) >= size)
		return ar_err_set(err, AR_ERR_TOO_LARGE, "%s: \"%s\" is longer than %zu bytes", what,
				  key, size - 1);
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

/* As copy_str() for a URL, which must be https when present. */
static int copy_url(const json_t *obj, const char *key, int required, char *out,
		    const char *what, ar_err_t *err)
{
	if (copy_str(obj, key, out, ACME_URL_MAX, what, err) < 0)
		return -1;
	if (!out[0])
		return required ? ar_err_set(err, AR_ERR_MALFORMED, "%s: \"%s\" is missing", what, key)
				: 0;
	if (strncasecmp(out, "https://", 8))
		return ar_err_set(err, AR_ERR_MALFORMED, "%s: \"%s\" is not an https URL", what, key);
	return 0;
}

static json_t *load_object(const char *body, size_t len, const char *what, ar_err_t *err)
{
	json_t *j = ar_json_load(body, len, ACME_MAX_BODY, what, err);

	if (j && !json_is_object(j)) {
		json_decref(j);
		ar_err_set(err, AR_ERR_MALFORMED, "%s is not a JSON object", what);
		return NULL;
	}
	return j;
}

int acme_parse_directory(const char *body, size_t len, acme_dir_t *d, ar_err_t *err)
{
	json_t *j = load_object(body, len, "directory", err), *meta;
	int rc = -1;

	memset(d, 0, sizeof(*d));
	if (!j)
		return -1;
	if (copy_url(j, "newNonce", 1, d->new_nonce, "directory", err) < 0 ||
	    copy_url(j, "newAccount", 1, d->new_account, "directory", err) < 0 ||
	    copy_url(j, "newOrder", 1, d->new_order, "directory", err) < 0 ||
	    copy_url(j, "revokeCert", 0, d->revoke_cert, "directory", err) < 0 ||
	    copy_url(j, "renewalInfo", 0, d->renewal_info, "directory", err) < 0)
		goto out;
	meta = json_object_get(j, "meta");
	if (meta && !json_is_object(meta)) {
		ar_err_set(err, AR_ERR_MALFORMED, "directory: \"meta\" is not an object");
		goto out;
	}
	d->eab_required = json_is_true(json_object_get(meta, "externalAccountRequired"));
	rc = 0;
out:
	json_decref(j);
	return rc;
}

/* The "error" member of an order or challenge, when present. */
static int parse_error_member(const json_t *obj, acme_problem_t *p, const char *what,
			      ar_err_t *err)
{
	const json_t *e = json_object_get(obj, "error");

	memset(p, 0, sizeof(*p));
	if (!e)
		return 0;
	if (!json_is_object(e))
		return ar_err_set(err, AR_ERR_MALFORMED, "%s: \"error\" is not an object", what);
	if (copy_str(e, "type", p->type, sizeof(p->type), what, err) < 0)
		return -1;
	/* A detail longer than the buffer is cut, not refused: it is only shown. */
	snprintf(p->detail, sizeof(p->detail), "%s",
		 json_string_value(json_object_get(e, "detail")) ?: "");
	if (!p->type[0])
		snprintf(p->type, sizeof(p->type), "(none)");
	return 0;
}

int acme_parse_order(const char *body, size_t len, acme_order_t *o, ar_err_t *err)
{
	json_t *j = load_object(body, len, "order", err), *auths;
	size_t i;
	int rc = -1;

	memset(o, 0, sizeof(*o));
	if (!j)
		return -1;
	if (parse_status(json_object_get(j, "status"), "order", &o->status, err) < 0 ||
	    copy_url(j, "finalize", 1, o->finalize, "order", err) < 0 ||
	    copy_url(j, "certificate", 0, o->certificate, "order", err) < 0 ||
	    parse_error_member(j, &o->error, "order", err) < 0)
		goto out;
	auths = json_object_get(j, "authorizations");
	if (!json_is_array(auths) || json_array_size(auths) == 0) {
		ar_err_set(err, AR_ERR_MALFORMED, "order: \"authorizations\" is not a non-empty array");
		goto out;
	}
	if (json_array_size(auths) > ACME_MAX_AUTHZ) {
		ar_err_set(err, AR_ERR_TOO_LARGE, "order: more than %d authorizations", ACME_MAX_AUTHZ);
		goto out;
	}
	for (i = 0; i < json_array_size(auths); i++) {
		const char *u = json_string_value(json_array_get(auths, i));

		if (!u || strlen(u) >= ACME_URL_MAX || strncasecmp(u, "https://", 8)) {
			ar_err_set(err, AR_ERR_MALFORMED, "order: authorization %zu is not an https URL",
				   i);
			goto out;
		}
		memcpy(o->authz[i], u, strlen(u) + 1);
	}
	o->nauthz = i;
	if (o->status == ACME_VALID && !o->certificate[0]) {
		ar_err_set(err, AR_ERR_MALFORMED, "order: valid without \"certificate\"");
		goto out;
	}
	rc = 0;
out:
	json_decref(j);
	return rc;
}

static int chall_from_json(const json_t *j, acme_chall_t *c, ar_err_t *err)
{
	memset(c, 0, sizeof(*c));
	if (!json_is_object(j))
		return ar_err_set(err, AR_ERR_MALFORMED, "challenge is not an object");
	if (copy_str(j, "type", c->type, sizeof(c->type), "challenge", err) < 0)
		return -1;
	if (!c->type[0])
		return ar_err_set(err, AR_ERR_MALFORMED, "challenge: \"type\" is missing");
	if (parse_status(json_object_get(j, "status"), "challenge", &c->status, err) < 0 ||
	    copy_url(j, "url", 1, c->url, "challenge", err) < 0 ||
	    copy_str(j, "token", c->token, sizeof(c->token), "challenge", err) < 0 ||
	    copy_str(j, "freshness_nonce", c->freshness_nonce, sizeof(c->freshness_nonce),
		     "challenge", err) < 0 ||
	    copy_url(j, "verifierEncryptionCredential", 0, c->enc_credential, "challenge",
		     err) < 0 ||
	    parse_error_member(j, &c->error, "challenge", err) < 0)
		return -1;
	return 0;
}

int acme_parse_chall(const char *body, size_t len, acme_chall_t *c, ar_err_t *err)
{
	json_t *j = load_object(body, len, "challenge", err);
	int rc;

	if (!j) {
		memset(c, 0, sizeof(*c));
		return -1;
	}
	rc = chall_from_json(j, c, err);
	json_decref(j);
	return rc;
}

int acme_parse_authz(const char *body, size_t len, acme_authz_t *a, ar_err_t *err)
{
	json_t *j = load_object(body, len, "authorization", err), *id, *chs;
	size_t i, n = 0;
	int rc = -1;

	memset(a, 0, sizeof(*a));
	if (!j)
		return -1;
	if (parse_status(json_object_get(j, "status"), "authorization", &a->status, err) < 0)
		goto out;
	id = json_object_get(j, "identifier");
	if (!json_is_object(id)) {
		ar_err_set(err, AR_ERR_MALFORMED, "authorization: \"identifier\" is not an object");
		goto out;
	}
	if (copy_str(id, "type", a->id.type, sizeof(a->id.type), "identifier", err) < 0 ||
	    copy_str(id, "value", a->id.value, sizeof(a->id.value), "identifier", err) < 0)
		goto out;
	if (!a->id.type[0]) {
		ar_err_set(err, AR_ERR_MALFORMED, "authorization: identifier without \"type\"");
		goto out;
	}
	chs = json_object_get(j, "challenges");
	if (!json_is_array(chs)) {
		ar_err_set(err, AR_ERR_MALFORMED, "authorization: \"challenges\" is not an array");
		goto out;
	}
	for (i = 0; i < json_array_size(chs); i++) {
		if (n == ACME_MAX_CHALL) {
			ar_err_set(err, AR_ERR_TOO_LARGE, "authorization: more than %d challenges",
				   ACME_MAX_CHALL);
			goto out;
		}
		if (chall_from_json(json_array_get(chs, i), &a->chall[n], err) < 0)
			goto out;
		n++;
	}
	a->nchall = n;
	rc = 0;
out:
	json_decref(j);
	return rc;
}

int acme_parse_time(const char *s, int64_t *out)
{
	struct tm tm;
	int y, mo, d, h, mi, sec, off = 0, n = 0, oh, om;
	const char *p;
	time_t t;

	if (!s || sscanf(s, "%4d-%2d-%2d%*1[Tt]%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 ||
	    n != 19)
		return -1;
	p = s + n;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if ((*p == '+' || *p == '-') && isdigit((unsigned char)p[1]) &&
		   isdigit((unsigned char)p[2]) && p[3] == ':' && isdigit((unsigned char)p[4]) &&
		   isdigit((unsigned char)p[5])) {
		oh = (p[1] - '0') * 10 + (p[2] - '0');
		om = (p[4] - '0') * 10 + (p[5] - '0');
		if (oh > 23 || om > 59)
			return -1;
		off = (oh * 60 + om) * 60 * (*p == '-' ? -1 : 1);
		p += 6;
	} else {
		return -1;
	}
	if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 || y < 1970)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	*out = (int64_t)t - off;
	return 0;
}

int acme_parse_ari(const char *body, size_t len, acme_ari_t *ari, ar_err_t *err)
{
	json_t *j = load_object(body, len, "renewal information", err);
	const char *start = NULL, *end = NULL;
	json_error_t je;
	int rc = -1;

	memset(ari, 0, sizeof(*ari));
	if (!j)
		return -1;
	if (json_unpack_ex(j, &je, 0, "{s:{s:s,s:s}}", "suggestedWindow", "start", &start, "end",
			   &end) < 0) {
		ar_err_set(err, AR_ERR_MALFORMED, "renewal information: %s", je.text);
		goto out;
	}
	if (acme_parse_time(start, &ari->start) < 0 || acme_parse_time(end, &ari->end) < 0) {
		ar_err_set(err, AR_ERR_MALFORMED, "renewal information: window is not RFC 3339");
		goto out;
	}
	if (ari->end < ari->start) {
		ar_err_set(err, AR_ERR_MALFORMED, "renewal information: window ends before it starts");
		goto out;
	}
	rc = 0;
out:
	json_decref(j);
	return rc;
}

void acme_parse_problem(const char *body, size_t len, long status, acme_problem_t *p)
{
	json_t *j = load_object(body, len, "problem document", NULL);
	json_t *wrap = j ? json_pack("{s:O}", "error", j) : NULL;

	if (!wrap || parse_error_member(wrap, p, "problem", NULL) < 0) {
		memset(p, 0, sizeof(*p));
		snprintf(p->detail, sizeof(p->detail), "HTTP %ld without a problem document", status);
	}
	p->status = status;
	json_decref(wrap);
	json_decref(j);
}

int acme_problem_is(const acme_problem_t *p, const char *name)
{
	size_t n = strlen(ACME_ERR_PREFIX);

	return !strncmp(p->type, ACME_ERR_PREFIX, n) && !strcmp(p->type + n, name);
}
