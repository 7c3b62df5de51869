/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The event stream: posture and certificate events appended with XADD
 * (trimmed to about event_maxlen entries), read by consumer groups,
 * acknowledged, reclaimed from idle consumers.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

#define MAX_BLOCK_MS		60000

/* The id is the entry's, not a field; type may be missing from trimmed entries. */
static const field_t event_fields[] = {
	FIELD(ar_store_event_t, type, F_STR, 0),
	FIELD(ar_store_event_t, device, F_STR, 0),
	FIELD(ar_store_event_t, status, F_STR, 0),
	FIELD(ar_store_event_t, reason, F_STR, 0),
	FIELD(ar_store_event_t, serial, F_STR, 0),
	FIELD(ar_store_event_t, ts, F_INT, 0),
	FIELD(ar_store_event_t, source, F_STR, 0),
};

/*
 *	Event stream.
 */
int ar_store_event_add(ar_store_t *s, const ar_store_event_t *ev, char *id, ar_err_t *err)
{
	char key[KEY_MAX];
	ar_store_event_t rec = *ev;
	cmd_t cmd;
	redisReply *r;
	int rc = -1;

	if (store_glob_key(s, key, sizeof(key), "events", err) < 0 ||
	    store_name_valid(rec.type, "event type", err) < 0)
		return -1;
	if (rec.device[0] && ar_store_device_valid(rec.device, err) < 0)
		return -1;
	if (!rec.ts)
		rec.ts = store_now();
	store_cmd_start(&cmd, "XADD");
	store_cmd_arg(&cmd, key);
	store_cmd_arg(&cmd, "MAXLEN");
	store_cmd_arg(&cmd, "~");
	store_cmd_int(&cmd, s->event_maxlen);
	store_cmd_arg(&cmd, "*");
	if (store_encode_args(&cmd, event_fields, NFIELDS(event_fields), &rec, err) < 0)
		return -1;
	r = store_cmd(s, &cmd, err);
	if (!r)
		return -1;
	if (store_reply_expect(s, r, REDIS_REPLY_STRING, err) < 0)
		goto out;
	if (id)
		snprintf(id, AR_STORE_EVENT_ID_MAX + 1, "%s", r->str);
	rc = store_durable(s, err);
out:
	freeReplyObject(r);
	return rc;
}

int ar_store_event_group_create(ar_store_t *s, const char *group, const char *start,
				ar_err_t *err)
{
	char key[KEY_MAX];
	cmd_t cmd;
	redisReply *r;
	int rc = -1;

	if (!start)
		start = "$";
	if (store_glob_key(s, key, sizeof(key), "events", err) < 0 ||
	    store_name_valid(group, "group", err) < 0)
		return -1;
	if (!store_printable(start, AR_STORE_EVENT_ID_MAX, 0))
		return ar_err_set(err, AR_ERR_MALFORMED, "store: bad stream start id");
	store_cmd_start(&cmd, "XGROUP");
	store_cmd_arg(&cmd, "CREATE");
	store_cmd_arg(&cmd, key);
	store_cmd_arg(&cmd, group);
	store_cmd_arg(&cmd, start);
	store_cmd_arg(&cmd, "MKSTREAM");
	r = store_cmd(s, &cmd, err);
	if (!r)
		return -1;
	if (r->type == REDIS_REPLY_ERROR && !strncmp(r->str, "BUSYGROUP", 9))
		rc = 0;
	else if (store_reply_ok(s, r, err) == 0)
		rc = 1;
	freeReplyObject(r);
	return rc;
}

/* One stream entry [id, [field, value, ...] | nil] into @ev. */
static int event_from_entry(const redisReply *e, ar_store_event_t *ev, ar_err_t *err)
{
	const redisReply *id, *fields;

	memset(ev, 0, sizeof(*ev));
	if (e->type != REDIS_REPLY_ARRAY || e->elements != 2)
		return ar_err_set(err, AR_ERR_MALFORMED, "store: bad stream entry");
	id = e->element[0];
	fields = e->element[1];
	if (id->type != REDIS_REPLY_STRING || id->len > AR_STORE_EVENT_ID_MAX)
		return ar_err_set(err, AR_ERR_MALFORMED, "store: bad stream entry id");
	memcpy(ev->id, id->str, id->len + 1);
	if (fields->type == REDIS_REPLY_NIL)	/* trimmed away while pending */
		return 0;
	if (fields->type != REDIS_REPLY_ARRAY)
		return ar_err_set(err, AR_ERR_MALFORMED, "store: bad stream entry fields");
	if (store_decode_pairs(event_fields, NFIELDS(event_fields), ev, fields->element,
			       fields->elements, err) < 0)
		return ar_err_prefix(err, "event %s: ", ev->id);
	return 0;
}

/* An array of entries into @out; returns how many were written. */
static int events_from_list(const ar_store_t *s, const redisReply *list, ar_store_event_t *out,
			    size_t max, ar_err_t *err)
{
	size_t i, n = 0;

	if (store_reply_expect(s, list, REDIS_REPLY_ARRAY, err) < 0)
		return -1;
	for (i = 0; i < list->elements && n < max; i++) {
		if (list->element[i]->type == REDIS_REPLY_NIL)
			continue;
		if (event_from_entry(list->element[i], &out[n], err) < 0)
			return -1;
		n++;
	}
	return (int)n;
}

static int64_t count_arg(size_t max)
{
	return max > 10000 ? 10000 : (int64_t)max;
}

int ar_store_event_read(ar_store_t *s, const char *group, const char *consumer, int pending,
			int block_ms, ar_store_event_t *out, size_t max, ar_err_t *err)
{
	char key[KEY_MAX];
	cmd_t cmd;
	redisReply *r = NULL;
	int rc = -1, extra = 0;

	if (store_glob_key(s, key, sizeof(key), "events", err) < 0 ||
	    store_name_valid(group, "group", err) < 0 ||
	    store_name_valid(consumer, "consumer", err) < 0)
		return -1;
	if (block_ms < 0)
		return ar_err_set(err, AR_ERR_MALFORMED, "store: negative block time");
	if (max == 0)
		return 0;
	store_cmd_start(&cmd, "XREADGROUP");
	store_cmd_arg(&cmd, "GROUP");
	store_cmd_arg(&cmd, group);
	store_cmd_arg(&cmd, consumer);
	store_cmd_arg(&cmd, "COUNT");
	store_cmd_int(&cmd, count_arg(max));
	if (!pending && block_ms > 0) {
		extra = block_ms > MAX_BLOCK_MS ? MAX_BLOCK_MS : block_ms;
		store_cmd_arg(&cmd, "BLOCK");
		store_cmd_int(&cmd, extra);
	}
	store_cmd_arg(&cmd, "STREAMS");
	store_cmd_arg(&cmd, key);
	store_cmd_arg(&cmd, pending ? "0" : ">");
	if (store_run(s, &cmd, 1, &r, extra, err) < 0)
		return -1;
	if (r->type == REDIS_REPLY_NIL) {
		rc = 0;
		goto out;
	}
	if (store_reply_expect(s, r, REDIS_REPLY_ARRAY, err) < 0)
		goto out;
	if (r->elements == 0) {
		rc = 0;
		goto out;
	}
	/* [[stream, [entries]]] */
	if (r->element[0]->type != REDIS_REPLY_ARRAY || r->element[0]->elements != 2) {
		ar_err_set(err, AR_ERR_MALFORMED, "store: bad XREADGROUP reply");
		goto out;
	}
	rc = events_from_list(s, r->element[0]->element[1], out, max, err);
out:
	freeReplyObject(r);
	return rc;
}

int ar_store_event_ack(ar_store_t *s, const char *group, const char *const *ids, size_t n,
		       ar_err_t *err)
{
	enum { PER_CMD = MAX_ARGS - 3 };
	char key[KEY_MAX];
	redisReply **replies = NULL;
	cmd_t *cmds = NULL;
	size_t i, ncmds;
	long long acked = 0;
	int rc = -1;

	if (store_glob_key(s, key, sizeof(key), "events", err) < 0 ||
	    store_name_valid(group, "group", err) < 0)
		return -1;
	if (n == 0)
		return 0;
	if (n > INT32_MAX)
		return ar_err_set(err, AR_ERR_TOO_LARGE, "store: too many ids");
	for (i = 0; i < n; i++) {
		if (!store_printable(ids[i], AR_STORE_EVENT_ID_MAX, 0))
			return ar_err_set(err, AR_ERR_MALFORMED, "store: bad stream entry id");
	}
	ncmds = (n + PER_CMD - 1) / PER_CMD;
	cmds = calloc(ncmds, sizeof(*cmds));
	replies = calloc(ncmds, sizeof(*replies));
	if (!cmds || !replies) {
		ar_err_set(err, AR_ERR_NOMEM, "store: out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		cmd_t *c = &cmds[i / PER_CMD];

		if (i % PER_CMD == 0) {
			store_cmd_start(c, "XACK");
			store_cmd_arg(c, key);
			store_cmd_arg(c, group);
		}
		store_cmd_arg(c, ids[i]);
	}
	if (store_run(s, cmds, ncmds, replies, 0, err) < 0)
		goto out;
	for (i = 0; i < ncmds; i++) {
		if (store_reply_expect(s, replies[i], REDIS_REPLY_INTEGER, err) < 0)
			goto out;
		acked += replies[i]->integer;
	}
	rc = (int)acked;
out:
	if (replies)
		store_replies_free(replies, ncmds);
	free(replies);
	free(cmds);
	return rc;
}

int ar_store_event_claim(ar_store_t *s, const char *group, const char *consumer,
			 int64_t min_idle_ms, char *cursor, ar_store_event_t *out, size_t max,
			 ar_err_t *err)
{
	char key[KEY_MAX];
	const char *start = cursor && cursor[0] ? cursor : "0-0";
	const redisReply *next;
	cmd_t cmd;
	redisReply *r;
	int rc = -1;

	if (store_glob_key(s, key, sizeof(key), "events", err) < 0 ||
	    store_name_valid(group, "group", err) < 0 ||
	    store_name_valid(consumer, "consumer", err) < 0)
		return -1;
	if (min_idle_ms < 0)
		return ar_err_set(err, AR_ERR_MALFORMED, "store: negative idle time");
	if (!store_printable(start, AR_STORE_EVENT_ID_MAX, 0))
		return ar_err_set(err, AR_ERR_MALFORMED, "store: bad claim cursor");
	if (max == 0)
		return 0;
	store_cmd_start(&cmd, "XAUTOCLAIM");
	store_cmd_arg(&cmd, key);
	store_cmd_arg(&cmd, group);
	store_cmd_arg(&cmd, consumer);
	store_cmd_int(&cmd, min_idle_ms);
	store_cmd_arg(&cmd, start);
	store_cmd_arg(&cmd, "COUNT");
	store_cmd_int(&cmd, count_arg(max));
	r = store_cmd(s, &cmd, err);
	if (!r)
		return -1;
	/* [next-cursor, [entries], [deleted ids]] */
	if (store_reply_expect(s, r, REDIS_REPLY_ARRAY, err) < 0)
		goto out;
	if (r->elements < 2 || r->element[0]->type != REDIS_REPLY_STRING ||
	    r->element[0]->len > AR_STORE_EVENT_ID_MAX) {
		ar_err_set(err, AR_ERR_MALFORMED, "store: bad XAUTOCLAIM reply");
		goto out;
	}
	next = r->element[0];
	rc = events_from_list(s, r->element[1], out, max, err);
	if (rc >= 0 && cursor)
		memcpy(cursor, next->str, next->len + 1);
out:
	freeReplyObject(r);
	return rc;
}

int ar_store_event_recent(ar_store_t *s, ar_store_event_t *out, size_t max, ar_err_t *err)
{
	char key[KEY_MAX];
	cmd_t cmd;
	redisReply *r;
	int rc;

	if (store_glob_key(s, key, sizeof(key), "events", err) < 0)
		return -1;
	if (max == 0)
		return 0;
	store_cmd_start(&cmd, "XREVRANGE");
	store_cmd_arg(&cmd, key);
	store_cmd_arg(&cmd, "+");
	store_cmd_arg(&cmd, "-");
	store_cmd_arg(&cmd, "COUNT");
	store_cmd_int(&cmd, count_arg(max));
	r = store_get(s, &cmd, err);
	if (!r)
		return -1;
	rc = events_from_list(s, r, out, max, err);
	freeReplyObject(r);
	return rc;
}

int ar_store_event_after(ar_store_t *s, const char *after, ar_store_event_t *out, size_t max,
			 ar_err_t *err)
{
	char key[KEY_MAX], start[AR_STORE_EVENT_ID_MAX + 2];
	cmd_t cmd;
	redisReply *r;
	size_t i;
	int rc;

	if (store_glob_key(s, key, sizeof(key), "events", err) < 0)
		return -1;
	for (i = 0; after[i]; i++) {
		if (!((after[i] >= '0' && after[i] <= '9') || after[i] == '-') ||
		    i >= AR_STORE_EVENT_ID_MAX)
			return ar_err_set(err, AR_ERR_MALFORMED, "store: bad stream id");
	}
	if (i == 0)
		return ar_err_set(err, AR_ERR_MALFORMED, "store: bad stream id");
	if (max == 0)
		return 0;
	snprintf(start, sizeof(start), "(%s", after);
	store_cmd_start(&cmd, "XRANGE");
	store_cmd_arg(&cmd, key);
	store_cmd_arg(&cmd, start);
	store_cmd_arg(&cmd, "+");
	store_cmd_arg(&cmd, "COUNT");
	store_cmd_int(&cmd, count_arg(max));
	r = store_get(s, &cmd, err);
	if (!r)
		return -1;
	rc = events_from_list(s, r, out, max, err);
	freeReplyObject(r);
	return rc;
}
