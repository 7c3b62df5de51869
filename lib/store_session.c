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
 *	Session line: "k=v k=v ...", values percent-encoded (see store.h).
 */
static int pct_needed(unsigned char ch)
{
	return ch < '!' || ch > '~' || ch == '%' || ch == '=';
}

static int session_encode(const ar_store_session_t *ss, char *buf, size_t size, size_t *out_len,
			  ar_err_t *err)
{
	size_t i, j, off = 0, len;
	const char *p;

	for (i = 0; i < NFIELDS(session_fields); i++) {
		const field_t *f = &session_fields[i];
		char num[24];
		int n;

		if (f->type == F_INT) {
			n = snprintf(num, sizeof(num), "%" PRId64, *(const int64_t *)FCPTR(ss, f));
			p = num;
			len = (size_t)n;
		} else if (store_field_str(f, ss, &p, &len, err) < 0) {
			return -1;
		}
		n = snprintf(buf + off, size - off, "%s%s=", i ? " " : "", f->name);
		if (n < 0 || (size_t)n >= size - off)
			goto too_long;
		off += (size_t)n;
		for (j = 0; j < len; j++) {
			unsigned char ch = (unsigned char)p[j];

			if (off + 4 > size)
				goto too_long;
			if (pct_needed(ch)) {
				buf[off++] = '%';
				(void)ar_hex_encode_upper(&ch, 1, buf + off, size - off, NULL);
				off += 2;
			} else {
				buf[off++] = (char)ch;
			}
		}
	}
	buf[off] = '\0';
	*out_len = off;
	return 0;
too_long:
	return ar_err_set(err, AR_ERR_TOO_LARGE, "store: session record too long");
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
	char key[KEY_MAX], devices[KEY_MAX], field[2 * AR_STORE_RADIUS_MAX + 2];
	char line[SESSION_LINE_MAX];
	ar_store_session_t rec = *ss;
	redisReply *replies[5] = { NULL };
	cmd_t cmds[5];
	size_t len = 0;
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
	if (session_field(rec.nas_id, rec.acct_session_id, field, sizeof(field), err) < 0)
		return -1;
	if (!rec.updated)
		rec.updated = store_now();
	if (session_encode(&rec, line, sizeof(line), &len, err) < 0)
		return -1;

	store_cmd_start(&cmds[0], "MULTI");
	store_cmd_start(&cmds[1], "HSET");
	store_cmd_arg(&cmds[1], key);
	store_cmd_arg(&cmds[1], field);
	store_cmd_argn(&cmds[1], line, len);
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
	char key[KEY_MAX], field[2 * AR_STORE_RADIUS_MAX + 2];
	cmd_t cmd;
	redisReply *r;
	int rc = -1;

	if (ar_store_device_valid(device, err) < 0 ||
	    store_dev_key(s, key, sizeof(key), device, "sessions", err) < 0 ||
	    session_field(nas_id, acct_session_id, field, sizeof(field), err) < 0)
		return -1;
	store_cmd_start(&cmd, "HDEL");
	store_cmd_arg(&cmd, key);
	store_cmd_arg(&cmd, field);
	r = store_cmd(s, &cmd, err);
	if (!r)
		return -1;
	if (store_reply_expect(s, r, REDIS_REPLY_INTEGER, err) == 0)
		rc = r->integer ? 1 : 0;
	freeReplyObject(r);
	return rc;
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
	for (i = 0; i < count; i++) {
		const redisReply *v = r->element[2 * i + 1];

		if (v->type != REDIS_REPLY_STRING) {
			ar_err_set(err, AR_ERR_MALFORMED, "store: session is not a string");
			goto out;
		}
		if (session_decode(v->str, v->len, &res[i], err) < 0)
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

