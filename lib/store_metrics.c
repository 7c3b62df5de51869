/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the metrics read from Redis: counters summed in a hash by several
 * processes (the RADIUS module's decisions, HINCRBY in one transaction per
 * flush), and the event worker's lag (XLEN, XPENDING of its group).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "store_int.h"

/* Most fields one flush may carry. */
#define METRICS_FLUSH_MAX	4096

static int metrics_key(const ar_store_t *s, const char *name, char *key, size_t size,
		       ar_err_t *err)
{
	if (store_name_valid(name, "metrics name", err) < 0)
		return -1;
	return store_key_fmt(key, size, err, "%s:metrics:%s", s->prefix, name);
}

int ar_store_metrics_add(ar_store_t *s, const char *name, const char *const *fields,
			 const int64_t *deltas, size_t n, ar_err_t *err)
{
	char key[KEY_MAX];
	cmd_t *cmds = NULL;
	redisReply **r = NULL;
	size_t i;
	int rc = -1;

	if (metrics_key(s, name, key, sizeof(key), err) < 0)
		return -1;
	if (n == 0)
		return 0;
	if (n > METRICS_FLUSH_MAX)
		return ar_err_set(err, AR_ERR_TOO_LARGE, "store: %zu metric fields in one flush "
				  "(at most %d)", n, METRICS_FLUSH_MAX);
	cmds = calloc(n + 2, sizeof(*cmds));
	r = calloc(n + 2, sizeof(*r));
	if (!cmds || !r) {
		ar_err_set(err, AR_ERR_NOMEM, "store: out of memory");
		goto out;
	}
	store_cmd_start(&cmds[0], "MULTI");
	for (i = 0; i < n; i++) {
		store_cmd_start(&cmds[i + 1], "HINCRBY");
		store_cmd_arg(&cmds[i + 1], key);
		store_cmd_arg(&cmds[i + 1], fields[i]);
		store_cmd_int(&cmds[i + 1], deltas[i]);
	}
	store_cmd_start(&cmds[n + 1], "EXEC");
	if (store_run(s, cmds, n + 2, r, 0, err) < 0)
		goto out;
	rc = store_check_tx(s, r, n, err);
	store_replies_free(r, n + 2);
out:
	free(r);
	free(cmds);
	return rc;
}

int ar_store_metrics_load(ar_store_t *s, const char *name, ar_metrics_t *into, ar_err_t *err)
{
	char key[KEY_MAX];
	redisReply *r;
	cmd_t cmd;
	size_t i;
	int rc = -1;

	if (metrics_key(s, name, key, sizeof(key), err) < 0)
		return -1;
	store_cmd_start(&cmd, "HGETALL");
	store_cmd_arg(&cmd, key);
	r = store_get(s, &cmd, err);
	if (!r)
		return -1;
	if (store_reply_expect(s, r, REDIS_REPLY_ARRAY, err) < 0)
		goto out;
	for (i = 0; i + 1 < r->elements; i += 2) {
		const redisReply *f = r->element[i], *v = r->element[i + 1];
		long long n;
		char *end;

		if (f->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
			continue;
		n = strtoll(v->str, &end, 10);
		if (*end || n <= 0)
			continue;
		/* A field this build does not know (another version wrote it): skipped. */
		(void)ar_metrics_cell_add(into, f->str, (uint64_t)n, NULL);
	}
	rc = 0;
out:
	freeReplyObject(r);
	return rc;
}

/* Milliseconds of a stream entry id "<ms>-<seq>", 0 when it is none. */
static int64_t id_ms(const redisReply *id)
{
	if (!id || id->type != REDIS_REPLY_STRING)
		return 0;
	return strtoll(id->str, NULL, 10);
}

int ar_store_event_lag(ar_store_t *s, const char *group, ar_store_event_lag_t *out,
		       ar_err_t *err)
{
	char key[KEY_MAX];
	redisReply *r[2] = { NULL, NULL };
	cmd_t cmds[2];
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (store_glob_key(s, key, sizeof(key), "events", err) < 0 ||
	    store_name_valid(group, "group", err) < 0)
		return -1;
	store_cmd_start(&cmds[0], "XLEN");
	store_cmd_arg(&cmds[0], key);
	store_cmd_start(&cmds[1], "XPENDING");
	store_cmd_arg(&cmds[1], key);
	store_cmd_arg(&cmds[1], group);
	if (store_read(s, cmds, 2, r, err) < 0)
		return -1;
	if (store_reply_expect(s, r[0], REDIS_REPLY_INTEGER, err) < 0)
		goto out;
	out->length = r[0]->integer;
	/* No group yet (no worker ever ran): nothing is pending. */
	if (r[1]->type == REDIS_REPLY_ERROR && !strncmp(r[1]->str, "NOGROUP", 7)) {
		rc = 0;
		goto out;
	}
	if (store_reply_expect(s, r[1], REDIS_REPLY_ARRAY, err) < 0)
		goto out;
	if (r[1]->elements < 2 || r[1]->element[0]->type != REDIS_REPLY_INTEGER) {
		ar_err_set(err, AR_ERR_MALFORMED, "store: bad XPENDING reply");
		goto out;
	}
	out->pending = r[1]->element[0]->integer;
	out->oldest_ms = out->pending ? id_ms(r[1]->element[1]) : 0;
	rc = 0;
out:
	store_replies_free(r, 2);
	return rc;
}
