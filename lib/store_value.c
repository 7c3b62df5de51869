/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Generic values under the store's prefix: the CA keeps its accounts,
 * orders, authorizations and nonces in them (SET, SET NX, compare-and-set
 * scripts, MGET, bounded lists).
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

#define MAX_GENERIC_KEY		256

/*
 *	Generic values.
 */
int store_generic_key(const ar_store_t *s, const char *key, char *buf, size_t size,
		      ar_err_t *err)
{
	size_t len = key ? strnlen(key, MAX_GENERIC_KEY + 1) : 0;

	if (len == 0 || len > MAX_GENERIC_KEY)
		return ar_err_set(err, AR_ERR_MALFORMED, "store: key must be 1..%d bytes",
				  MAX_GENERIC_KEY);
	return store_glob_key(s, buf, size, key, err);
}

/* SET key val [NX] [PX ttl] of a generic value; @k holds the key (KEY_MAX). */
int store_set_cmd(ar_store_t *s, const char *key, const char *val, size_t len, int64_t ttl_ms,
		  int nx, cmd_t *cmd, char *k, ar_err_t *err)
{
	if (store_generic_key(s, key, k, KEY_MAX, err) < 0)
		return -1;
	if (ttl_ms < 0)
		return ar_err_set(err, AR_ERR_MALFORMED, "store: negative ttl");
	store_cmd_start(cmd, "SET");
	store_cmd_arg(cmd, k);
	store_cmd_argn(cmd, val, len);
	if (nx)
		store_cmd_arg(cmd, "NX");
	if (ttl_ms > 0) {
		store_cmd_arg(cmd, "PX");
		store_cmd_int(cmd, ttl_ms);
	}
	return 0;
}

int ar_store_set(ar_store_t *s, const char *key, const char *val, size_t len, int64_t ttl_ms,
		 ar_err_t *err)
{
	char k[KEY_MAX];
	cmd_t cmd;
	redisReply *r;
	int rc;

	if (store_set_cmd(s, key, val, len, ttl_ms, 0, &cmd, k, err) < 0)
		return -1;
	r = store_cmd(s, &cmd, err);
	if (!r)
		return -1;
	rc = store_reply_ok(s, r, err);
	freeReplyObject(r);
	return rc;
}

int ar_store_set_once(ar_store_t *s, const char *key, const char *val, int64_t ttl_ms,
		      ar_err_t *err)
{
	char k[KEY_MAX];
	cmd_t cmd;
	redisReply *r;
	int rc;

	if (store_set_cmd(s, key, val, strlen(val), ttl_ms, 1, &cmd, k, err) < 0)
		return -1;
	r = store_cmd(s, &cmd, err);
	if (!r)
		return -1;
	rc = r->type == REDIS_REPLY_NIL ? 0 : store_reply_ok(s, r, err) < 0 ? -1 : 1;
	freeReplyObject(r);
	return rc;
}

/* Compare-and-set; the key keeps its expiry (KEEPTTL, Redis 6.0). */
const char store_set_if_script[] =
	"if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end "
	"redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL') return 1";

/*
 * Guarded writes: KEYS[1..g] must still hold ARGV[2..g+1] (g = ARGV[1]);
 * then each further key gets its value and expiry (ms, 0: none). -i when
 * guard i changed, 1 when written.
 */
static const char set_many_if_script[] =
	"local g = tonumber(ARGV[1]) "
	"for i = 1, g do if redis.call('GET', KEYS[i]) ~= ARGV[1 + i] then return -i end end "
	"for j = 1, #KEYS - g do "
	"local a = g + 2 * j "
	"if tonumber(ARGV[a + 1]) > 0 then "
	"redis.call('SET', KEYS[g + j], ARGV[a], 'PX', ARGV[a + 1]) "
	"else redis.call('SET', KEYS[g + j], ARGV[a]) end end "
	"return 1";

int ar_store_set_many_if(ar_store_t *s, const char *const *guards, const char *const *expect,
			 size_t nguards, const char *const *keys, const char *const *vals,
			 const size_t *lens, const int64_t *ttl_ms, size_t n, size_t *changed,
			 ar_err_t *err)
{
	char k[AR_STORE_GUARDED_MAX * 2][KEY_MAX];
	redisReply *r;
	cmd_t cmd;
	size_t i;
	int rc;

	if (nguards == 0 || n == 0 || nguards > AR_STORE_GUARDED_MAX || n > AR_STORE_GUARDED_MAX)
		return ar_err_set(err, AR_ERR_MALFORMED, "store: 1..%d guards and writes",
				  AR_STORE_GUARDED_MAX);
	store_cmd_start(&cmd, "EVAL");
	store_cmd_arg(&cmd, set_many_if_script);
	store_cmd_int(&cmd, (int64_t)(nguards + n));
	for (i = 0; i < nguards + n; i++) {
		if (store_generic_key(s, i < nguards ? guards[i] : keys[i - nguards], k[i], KEY_MAX,
				      err) < 0)
			return -1;
		store_cmd_arg(&cmd, k[i]);
	}
	store_cmd_int(&cmd, (int64_t)nguards);
	for (i = 0; i < nguards; i++)
		store_cmd_arg(&cmd, expect[i]);
	for (i = 0; i < n; i++) {
		if (ttl_ms[i] < 0)
			return ar_err_set(err, AR_ERR_MALFORMED, "store: negative ttl");
		store_cmd_argn(&cmd, vals[i], lens[i]);
		store_cmd_int(&cmd, ttl_ms[i]);
	}
	if (cmd.overflow)
		return ar_err_set(err, AR_ERR_MALFORMED, "store: too many guarded writes at once");
	r = store_cmd(s, &cmd, err);
	if (!r)
		return -1;
	rc = store_reply_expect(s, r, REDIS_REPLY_INTEGER, err) < 0 ? -1 : r->integer > 0;
	if (rc == 0 && changed)
		*changed = (size_t)(-r->integer - 1);
	freeReplyObject(r);
	return rc;
}

int ar_store_set_if(ar_store_t *s, const char *key, const char *expect, const char *val,
		    size_t len, ar_err_t *err)
{
	char k[KEY_MAX];
	redisReply *r;
	cmd_t cmd;
	int rc;

	if (store_generic_key(s, key, k, sizeof(k), err) < 0)
		return -1;
	store_cmd_start(&cmd, "EVAL");
	store_cmd_arg(&cmd, store_set_if_script);
	store_cmd_arg(&cmd, "1");
	store_cmd_arg(&cmd, k);
	store_cmd_arg(&cmd, expect);
	store_cmd_argn(&cmd, val, len);
	r = store_cmd(s, &cmd, err);
	if (!r)
		return -1;
	rc = store_reply_expect(s, r, REDIS_REPLY_INTEGER, err) < 0 ? -1 : r->integer != 0;
	freeReplyObject(r);
	return rc;
}

int ar_store_set_once_deferred(ar_store_t *s, const char *key, int64_t ttl_ms, ar_errc_t code,
			       const char *msg, ar_err_t *err)
{
	char k[KEY_MAX];
	cmd_t cmd;
	int len;

	if (store_once_settle(s, err) < 0 || store_set_cmd(s, key, "1", 1, ttl_ms, 1, &cmd, k, err) < 0)
		return -1;
	len = redisFormatCommandArgv(&s->once.cmd, cmd.argc, (const char **)cmd.argv, cmd.argvlen);
	if (len < 0) {
		s->once.cmd = NULL;
		return ar_err_set(err, AR_ERR_NOMEM, "store: out of memory");
	}
	s->once.len = (size_t)len;
	s->once.code = code;
	snprintf(s->once.msg, sizeof(s->once.msg), "%s", msg);
	return 0;
}

int ar_store_settle(ar_store_t *s, ar_err_t *err)
{
	return store_once_settle(s, err);
}

int ar_store_get_many(ar_store_t *s, const char *const *keys, size_t n, char **vals, size_t *lens,
		      ar_err_t *err)
{
	char k[AR_STORE_BATCH_MAX][KEY_MAX];
	cmd_t cmd;
	redisReply *r;
	size_t i;
	int rc = -1;

	for (i = 0; i < n; i++)
		vals[i] = NULL;
	if (n == 0 || n > AR_STORE_BATCH_MAX || n + 1 > MAX_ARGS)
		return ar_err_set(err, AR_ERR_MALFORMED, "store: 1..%d keys per batch",
				  AR_STORE_BATCH_MAX < MAX_ARGS - 1 ? AR_STORE_BATCH_MAX : MAX_ARGS - 1);
	store_cmd_start(&cmd, "MGET");
	for (i = 0; i < n; i++) {
		if (store_generic_key(s, keys[i], k[i], sizeof(k[i]), err) < 0)
			return -1;
		store_cmd_arg(&cmd, k[i]);
	}
	r = store_get(s, &cmd, err);
	if (!r)
		return -1;
	if (store_reply_expect(s, r, REDIS_REPLY_ARRAY, err) < 0 || r->elements != n) {
		if (!err || !err->code)
			ar_err_set(err, AR_ERR_IO, "store: MGET answered %zu values", r->elements);
		goto out;
	}
	for (i = 0; i < n; i++) {
		const redisReply *e = r->element[i];

		if (e->type == REDIS_REPLY_NIL)
			continue;
		if (e->type != REDIS_REPLY_STRING || !(vals[i] = malloc(e->len + 1))) {
			ar_err_set(err, AR_ERR_NOMEM, "store: out of memory");
			goto out;
		}
		memcpy(vals[i], e->str, e->len);
		vals[i][e->len] = '\0';
		if (lens)
			lens[i] = e->len;
	}
	rc = 0;
out:
	if (rc < 0)
		for (i = 0; i < n; i++) {
			free(vals[i]);
			vals[i] = NULL;
		}
	freeReplyObject(r);
	return rc;
}

int ar_store_list_get(ar_store_t *s, const char *key, long max, char ***items, size_t *n,
		      ar_err_t *err)
{
	char k[KEY_MAX];
	cmd_t cmd;
	redisReply *r;
	size_t i;
	int rc = -1;

	*items = NULL;
	*n = 0;
	if (store_generic_key(s, key, k, sizeof(k), err) < 0)
		return -1;
	store_cmd_start(&cmd, "LRANGE");
	store_cmd_arg(&cmd, k);
	store_cmd_int(&cmd, 0);
	store_cmd_int(&cmd, max - 1);
	r = store_get(s, &cmd, err);
	if (!r)
		return -1;
	if (store_reply_expect(s, r, REDIS_REPLY_ARRAY, err) < 0)
		goto out;
	*items = calloc(r->elements + 1, sizeof(**items));
	if (!*items) {
		ar_err_set(err, AR_ERR_NOMEM, "store: out of memory");
		goto out;
	}
	for (i = 0; i < r->elements; i++) {
		if (r->element[i]->type != REDIS_REPLY_STRING ||
		    !((*items)[i] = strndup(r->element[i]->str, r->element[i]->len))) {
			ar_store_list_free(*items, i);
			*items = NULL;
			ar_err_set(err, AR_ERR_IO, "store: unexpected list element");
			goto out;
		}
	}
	*n = r->elements;
	rc = 0;
out:
	freeReplyObject(r);
	return rc;
}

void ar_store_list_free(char **items, size_t n)
{
	size_t i;

	for (i = 0; items && i < n; i++)
		free(items[i]);
	free(items);
}

int ar_store_del(ar_store_t *s, const char *key, ar_err_t *err)
{
	char k[KEY_MAX];
	cmd_t cmd;
	redisReply *r;
	int rc;

	if (store_generic_key(s, key, k, sizeof(k), err) < 0)
		return -1;
	store_cmd_start(&cmd, "DEL");
	store_cmd_arg(&cmd, k);
	r = store_cmd(s, &cmd, err);
	if (!r)
		return -1;
	rc = store_reply_expect(s, r, REDIS_REPLY_INTEGER, err) < 0 ? -1 : r->integer > 0;
	freeReplyObject(r);
	return rc;
}

int ar_store_get(ar_store_t *s, const char *key, char **val, size_t *len, ar_err_t *err)
{
	char k[KEY_MAX];
	cmd_t cmd;
	redisReply *r;
	int rc = -1;

	*val = NULL;
	if (len)
		*len = 0;
	if (store_generic_key(s, key, k, sizeof(k), err) < 0)
		return -1;
	store_cmd_start(&cmd, "GET");
	store_cmd_arg(&cmd, k);
	r = store_get(s, &cmd, err);
	if (!r)
		return -1;
	if (r->type == REDIS_REPLY_NIL) {
		rc = 0;
		goto out;
	}
	if (store_reply_expect(s, r, REDIS_REPLY_STRING, err) < 0)
		goto out;
	*val = malloc(r->len + 1);
	if (!*val) {
		ar_err_set(err, AR_ERR_NOMEM, "store: out of memory");
		goto out;
	}
	memcpy(*val, r->str, r->len);
	(*val)[r->len] = '\0';
	if (len)
		*len = r->len;
	rc = 1;
out:
	freeReplyObject(r);
	return rc;
}

