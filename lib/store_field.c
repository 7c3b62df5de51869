/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Validation of the names the store is given, the key schema (see
 * store.h), and the field tables: one table per record drives both its
 * write (HSET / XADD arguments, session line) and its read (HGETALL,
 * stream entry, session line), so the two cannot drift.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_int.h"

/*
 *	Validation and keys.
 */
int store_printable(const char *v, size_t max, int braces_ok)
{
	size_t i, len;

	if (!v)
		return 0;
	len = strnlen(v, max + 1);
	if (len == 0 || len > max)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)v[i];

		if (ch < '!' || ch > '~')
			return 0;
		if (!braces_ok && (ch == '{' || ch == '}'))
			return 0;
	}
	return 1;
}

int ar_store_device_valid(const char *device, ar_err_t *err)
{
	if (!store_printable(device, AR_STORE_DEVICE_MAX, 0))
		return ar_err_set(err, AR_ERR_MALFORMED, "store: device id must be 1..%d printable "
				  "ASCII characters without space, '{' or '}'", AR_STORE_DEVICE_MAX);
	return 0;
}

int store_name_valid(const char *v, const char *what, ar_err_t *err)
{
	if (!store_printable(v, AR_STORE_NAME_MAX, 1))
		return ar_err_set(err, AR_ERR_MALFORMED, "store: %s must be 1..%d printable ASCII "
				  "characters without space", what, AR_STORE_NAME_MAX);
	return 0;
}

/* Copy hex digits lower-cased into @out (AR_STORE_HEX_MAX + 1 bytes). */
int store_hex_norm(const char *in, char *out, const char *what, ar_err_t *err)
{
	size_t i, len = in ? strnlen(in, AR_STORE_HEX_MAX + 1) : 0;

	if (len == 0 || len > AR_STORE_HEX_MAX)
		goto bad;
	for (i = 0; i < len; i++) {
		char ch = in[i];

		if (ch >= 'A' && ch <= 'F')
			ch = (char)(ch - 'A' + 'a');
		else if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
			goto bad;
		out[i] = ch;
	}
	out[len] = '\0';
	return 0;
bad:
	return ar_err_set(err, AR_ERR_MALFORMED, "store: %s must be 1..%d hex digits", what,
			  AR_STORE_HEX_MAX);
}

int store_key_fmt(char *buf, size_t size, ar_err_t *err, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size)
		return ar_err_set(err, AR_ERR_MALFORMED, "store: key too long");
	return 0;
}

int store_dev_key(const ar_store_t *s, char *buf, size_t size, const char *device,
		  const char *suffix, ar_err_t *err)
{
	return store_key_fmt(buf, size, err, "%s:{dev:%s}:%s", s->prefix, device, suffix);
}

int store_cert_key(const ar_store_t *s, char *buf, size_t size, const char *device,
		   const char *aki, const char *serial, ar_err_t *err)
{
	return store_key_fmt(buf, size, err, "%s:{dev:%s}:cert:%s:%s", s->prefix, device, aki, serial);
}

int store_glob_key(const ar_store_t *s, char *buf, size_t size, const char *suffix,
		   ar_err_t *err)
{
	return store_key_fmt(buf, size, err, "%s:%s", s->prefix, suffix);
}

int64_t store_now(void)
{
	return (int64_t)time(NULL);
}

/*
 *	Field tables.
 */
static const char *const cert_status_names[] = { "valid", "superseded", "revoked" };

const char *ar_cert_status_name(ar_cert_status_t st)
{
	return (unsigned)st <= AR_CERT_REVOKED ? cert_status_names[st] : "unknown";
}

/* The inverse of ar_cert_status_name(); -1 for any other word. */
static int cert_status_parse(const char *str, ar_cert_status_t *out)
{
	size_t i;

	for (i = 0; str && i < NFIELDS(cert_status_names); i++) {
		if (!strcmp(str, cert_status_names[i])) {
			*out = (ar_cert_status_t)i;
			return 0;
		}
	}
	return -1;
}

/* A string member must be NUL-terminated inside its array. */
int store_field_str(const field_t *f, const void *rec, const char **p, size_t *len,
		    ar_err_t *err)
{
	*p = FCPTR(rec, f);
	*len = strnlen(*p, f->size);
	if (*len == f->size)
		return ar_err_set(err, AR_ERR_MALFORMED, "store: field %s is not terminated",
				  f->name);
	if (f->required && *len == 0)
		return ar_err_set(err, AR_ERR_MALFORMED, "store: field %s is required", f->name);
	return 0;
}

/* Append "name value" for each field of @rec to @cmd. */
int store_encode_args(cmd_t *cmd, const field_t *fields, size_t n, const void *rec,
		      ar_err_t *err)
{
	return store_encode_args_sparse(cmd, fields, n, rec, 0, err);
}

/* An optional field that reads back the same when absent: 0, or "". */
static int field_empty(const field_t *f, const void *rec)
{
	if (f->required)
		return 0;
	if (f->type == F_INT)
		return *(const int64_t *)FCPTR(rec, f) == 0;
	if (f->type == F_STR)
		return FCPTR(rec, f)[0] == '\0';
	return 0;
}

/* As store_encode_args(); with @sparse, optional fields that are 0 or "" are left out. */
int store_encode_args_sparse(cmd_t *cmd, const field_t *fields, size_t n, const void *rec,
			     int sparse, ar_err_t *err)
{
	size_t i, len = 0;
	const char *p = NULL;

	for (i = 0; i < n; i++) {
		const field_t *f = &fields[i];

		if (sparse && field_empty(f, rec))
			continue;

		store_cmd_arg(cmd, f->name);
		switch (f->type) {
		case F_STR:
			if (store_field_str(f, rec, &p, &len, err) < 0)
				return -1;
			store_cmd_argn(cmd, p, len);
			break;
		case F_INT:
			store_cmd_int(cmd, *(const int64_t *)FCPTR(rec, f));
			break;
		case F_STATUS: {
			ar_status_t st = *(const ar_status_t *)FCPTR(rec, f);

			if ((unsigned)st > AR_STATUS_CONTRAINDICATED)
				return ar_err_set(err, AR_ERR_MALFORMED, "store: bad %s", f->name);
			store_cmd_arg(cmd, ar_status_name(st));
			break;
		}
		case F_CERT_STATUS: {
			ar_cert_status_t st = *(const ar_cert_status_t *)FCPTR(rec, f);

			if ((unsigned)st > AR_CERT_REVOKED)
				return ar_err_set(err, AR_ERR_MALFORMED, "store: bad %s", f->name);
			store_cmd_arg(cmd, ar_cert_status_name(st));
			break;
		}
		case F_BOOL:
			store_cmd_arg(cmd, *(const int *)FCPTR(rec, f) ? "1" : "0");
			break;
		}
	}
	return 0;
}

static int parse_i64(const char *p, size_t len, int64_t *out)
{
	char buf[24], *end;
	long long v;

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, p, len);
	buf[len] = '\0';
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (errno || *end != '\0')
		return -1;
	*out = (int64_t)v;
	return 0;
}

/* Set one field of @rec from @len bytes at @val (NUL-terminated at val[len]). */
int store_field_set(const field_t *f, void *rec, const char *val, size_t len, ar_err_t *err)
{
	int64_t v;

	switch (f->type) {
	case F_STR:
		if (len >= f->size || memchr(val, '\0', len))
			goto bad;
		memcpy(FPTR(rec, f), val, len);
		FPTR(rec, f)[len] = '\0';
		return 0;
	case F_INT:
		if (parse_i64(val, len, &v) < 0)
			goto bad;
		*(int64_t *)FPTR(rec, f) = v;
		return 0;
	case F_STATUS:
		if (strlen(val) != len || ar_status_parse(val, (ar_status_t *)FPTR(rec, f)) < 0)
			goto bad;
		return 0;
	case F_CERT_STATUS:
		if (strlen(val) != len ||
		    cert_status_parse(val, (ar_cert_status_t *)FPTR(rec, f)) < 0)
			goto bad;
		return 0;
	case F_BOOL:
		if (len != 1 || (val[0] != '0' && val[0] != '1'))
			goto bad;
		*(int *)FPTR(rec, f) = val[0] == '1';
		return 0;
	}
bad:
	return ar_err_set(err, AR_ERR_MALFORMED, "store: stored field %s is not valid", f->name);
}

const field_t *store_field_find(const field_t *fields, size_t n, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strlen(fields[i].name) == len && !memcmp(fields[i].name, name, len))
			return &fields[i];
	}
	return NULL;
}

int store_check_required(const field_t *fields, size_t n, uint32_t seen, ar_err_t *err)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (fields[i].required && !(seen & (1u << i)))
			return ar_err_set(err, AR_ERR_MALFORMED, "store: stored record lacks %s",
					  fields[i].name);
	}
	return 0;
}

/*
 * Fill @rec from a flat name/value reply array (HGETALL, stream entry).
 * Unknown names are ignored so a newer writer does not break an older reader.
 */
int store_decode_pairs(const field_t *fields, size_t n, void *rec, redisReply *const *el,
		       size_t count, ar_err_t *err)
{
	return store_decode_pairs_alias(fields, NULL, n, rec, el, count, err);
}

/* As store_decode_pairs(), a name also found in @alias[i] (NULL: none) naming fields[i]. */
int store_decode_pairs_alias(const field_t *fields, const field_t *alias, size_t n, void *rec,
			     redisReply *const *el, size_t count, ar_err_t *err)
{
	uint32_t seen = 0;
	size_t i;

	if (count % 2)
		return ar_err_set(err, AR_ERR_MALFORMED, "store: odd field list");
	for (i = 0; i < count; i += 2) {
		const field_t *f;

		if (el[i]->type != REDIS_REPLY_STRING || el[i + 1]->type != REDIS_REPLY_STRING)
			return ar_err_set(err, AR_ERR_MALFORMED, "store: field is not a string");
		f = store_field_find(fields, n, el[i]->str, el[i]->len);
		if (!f && alias) {
			f = store_field_find(alias, n, el[i]->str, el[i]->len);
			if (f)
				f = &fields[f - alias];
		}
		if (!f)
			continue;
		if (store_field_set(f, rec, el[i + 1]->str, el[i + 1]->len, err) < 0)
			return -1;
		seen |= 1u << (f - fields);
	}
	return store_check_required(fields, n, seen, err);
}

/*
 * A record from an HGETALL reply: 1 found (@rec filled), 0 the hash does not
 * exist (@rec zeroed), -1 bad. @what prefixes a decoding error.
 */
int store_hash_from_reply(const ar_store_t *s, const redisReply *r, const field_t *fields,
			  size_t n, void *rec, size_t size, const char *what, ar_err_t *err)
{
	memset(rec, 0, size);
	if (store_reply_expect(s, r, REDIS_REPLY_ARRAY, err) < 0)
		return -1;
	if (r->elements == 0)
		return 0;
	if (store_decode_pairs(fields, n, rec, r->element, r->elements, err) < 0)
		return ar_err_prefix(err, "%s: ", what);
	return 1;
}
