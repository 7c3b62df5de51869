/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Live RADIUS sessions of a device: one hash per device, one field per
 * NAS and Acct-Session-Id, each value a session line.
 */
#include "config.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "store_int.h"

#define SESSION_LINE_MAX 8192	/* every session field percent-encoded at worst */

static const field_t session_fields[] = {
	FIELD(ar_store_session_t, nas_ip, F_STR, 0),
	FIELD(ar_store_session_t, nas_id, F_STR, 1),
	FIELD(ar_store_session_t, acct_session_id, F_STR, 1),
	FIELD(ar_store_session_t, calling_station_id, F_STR, 0),
	FIELD(ar_store_session_t, user_name, F_STR, 0),
	FIELD(ar_store_session_t, serial, F_STR, 0),
	FIELD(ar_store_session_t, started, F_INT, 0),
	FIELD(ar_store_session_t, updated, F_INT, 0),
};

/*
 *	Session line: "k=v k=v ...", values percent-encoded (see store.h): the
 *	form written before the compact one below, still read.
 */
static int pct_needed(unsigned char ch)
{
	return ch < '!' || ch > '~' || ch == '%' || ch == '=';
}

static int session_decode(const char *line, size_t len, ar_store_session_t *ss, ar_err_t *err)
{
	char val[AR_STORE_RADIUS_MAX + 2];
	const char *p = line, *end = line + len;
	uint32_t seen = 0;

	memset(ss, 0, sizeof(*ss));
	while (p < end) {
		const char *tok_end = memchr(p, ' ', (size_t)(end - p));
		const char *eq;
		const field_t *f;
		size_t vlen = 0;

		if (!tok_end)
			tok_end = end;
		eq = memchr(p, '=', (size_t)(tok_end - p));
		if (!eq)
			return ar_err_set(err, AR_ERR_MALFORMED, "store: session record lacks '='");
		f = store_field_find(session_fields, NFIELDS(session_fields), p, (size_t)(eq - p));
		for (eq++; eq < tok_end; eq++) {
			int hi, lo;

			if (vlen + 1 >= sizeof(val))
				return ar_err_set(err, AR_ERR_MALFORMED,
						  "store: session value too long");
			if (*eq != '%') {
				val[vlen++] = *eq;
				continue;
			}
			if (tok_end - eq < 3 || (hi = ar_hex_digit((unsigned char)eq[1])) < 0 ||
			    (lo = ar_hex_digit((unsigned char)eq[2])) < 0)
				return ar_err_set(err, AR_ERR_MALFORMED,
						  "store: bad escape in session record");
			val[vlen++] = (char)(hi << 4 | lo);
			eq += 2;
		}
		val[vlen] = '\0';
		if (f) {
			if (store_field_set(f, ss, val, vlen, err) < 0)
				return -1;
			seen |= 1u << (f - session_fields);
		}
		p = tok_end + 1;
	}
	return store_check_required(session_fields, NFIELDS(session_fields), seen, err);
}

/*
 *	Compact form (what is written): two hash fields per session, each value
 *	short enough for Redis's listpack encoding of the device's hash
 *	(hash-max-listpack-value 64 by default) with IPv4 NAS addresses and
 *	128-bit serials:
 *	  "<nas_id>|<acct_session_id>"  = "<updated> <updated - started> <nas_ip> <serial>"
 *	  "|<nas_id>|<acct_session_id>" = "<calling_station_id> <user_name>"
 *	Strings percent-encoded as in the line above, so no value holds a space
 *	or an '='; the NAS id and Acct-Session-Id are the field's name. A first
 *	field whose value starts with "name=" is the line written before.
 */
static int pct_append(char *buf, size_t size, size_t *off, const char *p, size_t len)
{
	size_t j;

	for (j = 0; j < len; j++) {
		unsigned char ch = (unsigned char)p[j];

		if (*off + 4 > size)
			return -1;
		if (pct_needed(ch)) {
			buf[(*off)++] = '%';
			(void)ar_hex_encode_upper(&ch, 1, buf + *off, size - *off, NULL);
			*off += 2;
		} else {
			buf[(*off)++] = (char)ch;
		}
	}
	buf[*off] = '\0';
	return 0;
}

/* Percent-decode @len bytes at @p into @dst (@size bytes, NUL-terminated). */
static int pct_take(const char *p, size_t len, char *dst, size_t size, ar_err_t *err)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		int hi, lo;

		if (n + 1 >= size)
			return ar_err_set(err, AR_ERR_MALFORMED, "store: session value too long");
		if (p[i] != '%') {
			dst[n++] = p[i];
			continue;
		}
		if (len - i < 3 || (hi = ar_hex_digit((unsigned char)p[i + 1])) < 0 ||
		    (lo = ar_hex_digit((unsigned char)p[i + 2])) < 0)
			return ar_err_set(err, AR_ERR_MALFORMED, "store: bad escape in session record");
		dst[n++] = (char)(hi << 4 | lo);
		i += 2;
	}
	dst[n] = '\0';
	if (memchr(dst, '\0', n))
		return ar_err_set(err, AR_ERR_MALFORMED, "store: NUL in session value");
	return 0;
}

static int compact_encode(const ar_store_session_t *ss, char *main, size_t msize, size_t *mlen,
			  char *user, size_t usize, size_t *ulen, ar_err_t *err)
{
	int64_t age;
	size_t off;
	int n;

	if (__builtin_sub_overflow(ss->updated, ss->started, &age))
		return ar_err_set(err, AR_ERR_MALFORMED, "store: session times out of range");
	n = snprintf(main, msize, "%" PRId64 " %" PRId64 " ", ss->updated, age);
	if (n < 0 || (size_t)n >= msize)
		goto too_long;
	off = (size_t)n;
	if (pct_append(main, msize, &off, ss->nas_ip, strlen(ss->nas_ip)) < 0 || off + 2 > msize)
		goto too_long;
	main[off++] = ' ';
	if (pct_append(main, msize, &off, ss->serial, strlen(ss->serial)) < 0)
		goto too_long;
	*mlen = off;
	off = 0;
	if (pct_append(user, usize, &off, ss->calling_station_id,
		       strlen(ss->calling_station_id)) < 0 || off + 2 > usize)
		goto too_long;
	user[off++] = ' ';
	if (pct_append(user, usize, &off, ss->user_name, strlen(ss->user_name)) < 0)
		goto too_long;
	*ulen = off;
	return 0;
too_long:
	return ar_err_set(err, AR_ERR_TOO_LARGE, "store: session record too long");
}

/* Split @len bytes at @p at single spaces into exactly @n tokens. */
static int tokens(const char *p, size_t len, const char **tok, size_t *tlen, size_t n)
{
	const char *end = p + len;
	size_t i;

	for (i = 0; i < n; i++) {
		const char *sp = memchr(p, ' ', (size_t)(end - p));

		if (!sp && i + 1 < n)
			return -1;
		if (sp && i + 1 == n)
			return -1;
		tok[i] = p;
		tlen[i] = (size_t)((sp ? sp : end) - p);
		p = sp ? sp + 1 : end;
	}
	return 0;
}

/* A legacy line starts with "name=", a compact value with a number. */
static int legacy_line(const char *v, size_t len)
{
	const char *sp = memchr(v, ' ', len);
	const char *eq = memchr(v, '=', len);

	return eq && (!sp || eq < sp);
}

static int compact_decode(const char *name, size_t nlen, const redisReply *main,
			  const redisReply *user, ar_store_session_t *ss, ar_err_t *err)
{
	const char *tok[4], *bar = memchr(name, '|', nlen);
	size_t tlen[4];
	int64_t age;

	memset(ss, 0, sizeof(*ss));
	/* The name is raw bytes (a '%' in it is no escape), as session_field() made it. */
	if (!bar || bar == name || bar + 1 == name + nlen ||
	    (size_t)(bar - name) >= sizeof(ss->nas_id) ||
	    (size_t)(name + nlen - bar - 1) >= sizeof(ss->acct_session_id) ||
	    memchr(name, '\0', nlen))
		goto bad;
	memcpy(ss->nas_id, name, (size_t)(bar - name));
	ss->nas_id[bar - name] = '\0';
	memcpy(ss->acct_session_id, bar + 1, (size_t)(name + nlen - bar - 1));
	ss->acct_session_id[name + nlen - bar - 1] = '\0';
	if (tokens(main->str, main->len, tok, tlen, 4) < 0 ||
	    store_field_set(&session_fields[7], ss, tok[0], tlen[0], err) < 0 ||
	    store_field_set(&session_fields[6], ss, tok[1], tlen[1], err) < 0 ||
	    pct_take(tok[2], tlen[2], ss->nas_ip, sizeof(ss->nas_ip), err) < 0 ||
	    pct_take(tok[3], tlen[3], ss->serial, sizeof(ss->serial), err) < 0)
		goto bad;
	age = ss->started;
	if (__builtin_sub_overflow(ss->updated, age, &ss->started))
		goto bad;
	if (user) {
		if (tokens(user->str, user->len, tok, tlen, 2) < 0 ||
		    pct_take(tok[0], tlen[0], ss->calling_station_id,
			     sizeof(ss->calling_station_id), err) < 0 ||
		    pct_take(tok[1], tlen[1], ss->user_name, sizeof(ss->user_name), err) < 0)
			goto bad;
	}
	return 0;
bad:
	return ar_err_set(err, AR_ERR_MALFORMED, "store: stored session is not valid");
}

/*
 *	Sessions.
 */
static int session_field(const char *nas_id, const char *acct_session_id, char *buf,
			 size_t size, ar_err_t *err)
{
	size_t nlen = nas_id ? strnlen(nas_id, AR_STORE_RADIUS_MAX + 1) : 0;
	size_t alen = acct_session_id ? strnlen(acct_session_id, AR_STORE_RADIUS_MAX + 1) : 0;

	if (nlen == 0 || nlen > AR_STORE_RADIUS_MAX || memchr(nas_id, '|', nlen))
		return ar_err_set(err, AR_ERR_MALFORMED, "store: NAS id must be 1..%d bytes "
				  "without '|'", AR_STORE_RADIUS_MAX);
	if (alen == 0 || alen > AR_STORE_RADIUS_MAX)
		return ar_err_set(err, AR_ERR_MALFORMED, "store: Acct-Session-Id must be 1..%d "
				  "bytes", AR_STORE_RADIUS_MAX);
	return store_key_fmt(buf, size, err, "%s|%s", nas_id, acct_session_id);
}

int ar_store_session_put(ar_store_t *s, const char *device, const ar_store_session_t *ss,
			 int ttl_s, ar_err_t *err)
{
	char key[KEY_MAX], devices[KEY_MAX], field[2 * AR_STORE_RADIUS_MAX + 3];
	char line[SESSION_LINE_MAX], user[SESSION_LINE_MAX];
	ar_store_session_t rec = *ss;
	redisReply *replies[5] = { NULL };
	cmd_t cmds[5];
	size_t len = 0, ulen = 0, flen;
	int rc = -1;

	if (ar_store_device_valid(device, err) < 0 ||
	    store_dev_key(s, key, sizeof(key), device, "sessions", err) < 0 ||
	    store_glob_key(s, devices, sizeof(devices), "devices", err) < 0)
		return -1;
	if (ttl_s <= 0)
		return ar_err_set(err, AR_ERR_MALFORMED, "store: session ttl must be positive");
	if (strnlen(rec.nas_id, sizeof(rec.nas_id)) == sizeof(rec.nas_id) ||
	    strnlen(rec.acct_session_id, sizeof(rec.acct_session_id)) == sizeof(rec.acct_session_id))
		return ar_err_set(err, AR_ERR_MALFORMED, "store: session strings not terminated");
	if (session_field(rec.nas_id, rec.acct_session_id, field + 1, sizeof(field) - 1, err) < 0)
		return -1;
	field[0] = '|';
	flen = strlen(field);
	if (!rec.updated)
		rec.updated = store_now();
	if (compact_encode(&rec, line, sizeof(line), &len, user, sizeof(user), &ulen, err) < 0)
		return -1;

	store_cmd_start(&cmds[0], "MULTI");
	store_cmd_start(&cmds[1], "HSET");
	store_cmd_arg(&cmds[1], key);
	store_cmd_argn(&cmds[1], field + 1, flen - 1);
	store_cmd_argn(&cmds[1], line, len);
	store_cmd_argn(&cmds[1], field, flen);
	store_cmd_argn(&cmds[1], user, ulen);
	store_cmd_start(&cmds[2], "PEXPIRE");
	store_cmd_arg(&cmds[2], key);
	store_cmd_int(&cmds[2], (int64_t)ttl_s * 1000);
	store_cmd_start(&cmds[3], "EXEC");
	store_cmd_start(&cmds[4], "SADD");
	store_cmd_arg(&cmds[4], devices);
	store_cmd_arg(&cmds[4], device);

	if (store_run(s, cmds, 5, replies, 0, err) < 0)
		return -1;
	if (store_check_tx(s, replies, 2, err) < 0 ||
	    store_reply_expect(s, replies[4], REDIS_REPLY_INTEGER, err) < 0)
		goto out;
	rc = 0;
out:
	store_replies_free(replies, 5);
	return rc;
}

int ar_store_session_del(ar_store_t *s, const char *device, const char *nas_id,
			 const char *acct_session_id, ar_err_t *err)
{
	char key[KEY_MAX], field[2 * AR_STORE_RADIUS_MAX + 3];
	cmd_t cmd;
	redisReply *r;
	int rc = -1;

	if (ar_store_device_valid(device, err) < 0 ||
	    store_dev_key(s, key, sizeof(key), device, "sessions", err) < 0 ||
	    session_field(nas_id, acct_session_id, field + 1, sizeof(field) - 1, err) < 0)
		return -1;
	field[0] = '|';
	store_cmd_start(&cmd, "HDEL");
	store_cmd_arg(&cmd, key);
	store_cmd_arg(&cmd, field + 1);
	store_cmd_arg(&cmd, field);
	r = store_cmd(s, &cmd, err);
	if (!r)
		return -1;
	if (store_reply_expect(s, r, REDIS_REPLY_INTEGER, err) == 0)
		rc = r->integer ? 1 : 0;
	freeReplyObject(r);
	return rc;
}

/* The second half ("|" + the name) of the session named @name in HGETALL @r, or NULL. */
static const redisReply *session_half(const redisReply *r, const redisReply *name)
{
	size_t i;

	for (i = 0; i < r->elements; i += 2) {
		const redisReply *f = r->element[i];

		if (f->len == name->len + 1 && f->str[0] == '|' &&
		    !memcmp(f->str + 1, name->str, name->len))
			return r->element[i + 1];
	}
	return NULL;
}

int ar_store_session_list(ar_store_t *s, const char *device, ar_store_session_t **out,
			  size_t *n, ar_err_t *err)
{
	char key[KEY_MAX];
	ar_store_session_t *res = NULL;
	cmd_t cmd;
	redisReply *r;
	size_t i, count;
	int rc = -1;

	*out = NULL;
	*n = 0;
	if (ar_store_device_valid(device, err) < 0 ||
	    store_dev_key(s, key, sizeof(key), device, "sessions", err) < 0)
		return -1;
	store_cmd_start(&cmd, "HGETALL");
	store_cmd_arg(&cmd, key);
	r = store_get(s, &cmd, err);
	if (!r)
		return -1;
	if (store_reply_expect(s, r, REDIS_REPLY_ARRAY, err) < 0)
		goto out;
	if (r->elements % 2) {
		ar_err_set(err, AR_ERR_MALFORMED, "store: odd field list in %s", key);
		goto out;
	}
	count = r->elements / 2;
	if (count == 0) {
		rc = 0;
		goto out;
	}
	res = calloc(count, sizeof(*res));
	if (!res) {
		ar_err_set(err, AR_ERR_NOMEM, "store: out of memory");
		goto out;
	}
	for (i = 0; i < r->elements; i++) {
		if (r->element[i]->type != REDIS_REPLY_STRING) {
			ar_err_set(err, AR_ERR_MALFORMED, "store: session is not a string");
			goto out;
		}
	}
	count = 0;
	for (i = 0; i < r->elements; i += 2) {
		const redisReply *name = r->element[i], *v = r->element[i + 1];

		if (name->len > 0 && name->str[0] == '|')
			continue;	/* the second half of a compact session */
		if (legacy_line(v->str, v->len)) {
			if (session_decode(v->str, v->len, &res[count], err) < 0)
				goto out;
		} else if (compact_decode(name->str, name->len, v,
					  session_half(r, name), &res[count], err) < 0) {
			goto out;
		}
		count++;
	}
	if (count == 0) {
		rc = 0;
		goto out;
	}
	*out = res;
	*n = count;
	res = NULL;
	rc = 0;
out:
	free(res);
	freeReplyObject(r);
	return rc;
}

