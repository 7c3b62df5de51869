/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Write batches: MULTI, the queued commands and EXEC in one round trip;
 * a batch may be conditional (the SOC's verdict, values as read, a claimed
 * key), each guard WATCHed and read back in the batch's begin round trip.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

/*
 *	Write batches.
 */
int store_batch_add(ar_store_batch_t *b, const cmd_t *cmd)
{
	char *text;
	int len;
	ar_errc_t rc;

	if (!b || b->err.code)
		return -1;
	if (cmd->overflow)
		return ar_err_set(&b->err, AR_ERR_IO, "store: command has too many arguments");
	/* hiredis 0.14 lacks the const; it does not write through argv */
	len = redisFormatCommandArgv(&text, cmd->argc, (const char **)cmd->argv, cmd->argvlen);
	if (len < 0)
		return ar_err_set(&b->err, AR_ERR_NOMEM, "store: out of memory");
	rc = ar_buf_append(&b->buf, text, (size_t)len);
	redisFreeCommand(text);
	if (rc != AR_OK)
		return ar_err_set(&b->err, rc, "store: %s", rc == AR_ERR_NOMEM ? "out of memory" :
				  "batch too large");
	b->n++;
	return 0;
}

ar_store_batch_t *ar_store_batch_new(ar_store_t *s)
{
	ar_store_batch_t *b = calloc(1, sizeof(*b));
	cmd_t multi;

	if (!b)
		return NULL;
	b->s = s;
	ar_buf_init(&b->buf, AR_BUF_UNBOUNDED);
	store_cmd_start(&multi, "MULTI");
	store_batch_add(b, &multi);
	return b;
}

/* Anything the batch's begin WATCHes. */
static int batch_watches(const ar_store_batch_t *b)
{
	return b->guard || b->claim_key || b->nvals;
}

void ar_store_batch_free(ar_store_batch_t *b)
{
	size_t i;

	if (!b)
		return;
	if (b->begun && batch_watches(b)) {	/* begun, never sent: release the WATCH */
		cmd_t unwatch;
		redisReply *r;

		store_cmd_start(&unwatch, "UNWATCH");
		r = store_cmd(b->s, &unwatch, NULL);
		if (r)
			freeReplyObject(r);
	}
	ar_buf_free(&b->buf);
	free(b->guard);
	free(b->guard_dev);
	free(b->claim_key);
	free(b->claim_expect);
	free(b->claim_val);
	free(b->claim_name);
	for (i = 0; i < b->nvals; i++) {
		free(b->val_key[i]);
		free(b->val_name[i]);
		free(b->val_expect[i]);
	}
	free(b);
}

int ar_store_batch_set(ar_store_batch_t *b, const char *key, const char *val, size_t len,
		       int64_t ttl_ms)
{
	char k[KEY_MAX];
	cmd_t cmd;

	if (!b || b->err.code || store_set_cmd(b->s, key, val, len, ttl_ms, 0, &cmd, k, &b->err) < 0)
		return -1;
	return store_batch_add(b, &cmd);
}

/* LPUSH and LTRIM: the list keeps its @max newest entries. */
static int list_push_cmds(ar_store_t *s, const char *key, const char *val, long max, char *k,
			  cmd_t cmds[2], ar_err_t *err)
{
	if (store_generic_key(s, key, k, KEY_MAX, err) < 0)
		return -1;
	if (max < 1)
		return ar_err_set(err, AR_ERR_MALFORMED, "store: list bound must be positive");
	store_cmd_start(&cmds[0], "LPUSH");
	store_cmd_arg(&cmds[0], k);
	store_cmd_arg(&cmds[0], val);
	store_cmd_start(&cmds[1], "LTRIM");
	store_cmd_arg(&cmds[1], k);
	store_cmd_int(&cmds[1], 0);
	store_cmd_int(&cmds[1], max - 1);
	return 0;
}

int ar_store_batch_list_push(ar_store_batch_t *b, const char *key, const char *val, long max)
{
	char k[KEY_MAX];
	cmd_t cmds[2];

	if (!b || b->err.code || list_push_cmds(b->s, key, val, max, k, cmds, &b->err) < 0)
		return -1;
	return store_batch_add(b, &cmds[0]) < 0 ? -1 : store_batch_add(b, &cmds[1]);
}

int ar_store_batch_exec(ar_store_batch_t *b, ar_err_t *err)
{
	redisReply **replies = NULL;
	cmd_t exec;
	xchg_t x;
	int rc = -1;

	if (!b)
		return ar_err_set(err, AR_ERR_NOMEM, "store: out of memory");
	store_cmd_start(&exec, "EXEC");
	if (store_batch_add(b, &exec) < 0) {
		if (err)
			*err = b->err;
		goto out;
	}
	replies = calloc(b->n, sizeof(*replies));
	if (!replies) {
		ar_err_set(err, AR_ERR_NOMEM, "store: out of memory");
		goto out;
	}
	if (store_once_settle(b->s, err) < 0)
		goto out;
	if (!b->begun && batch_watches(b) && ar_store_batch_begin(b, err) < 0)
		goto out;
	b->begun = 0;		/* EXEC ends the WATCH, whatever happens now */
	x = (xchg_t){ .pre = b->buf.data, .pre_len = b->buf.len, .pre_n = b->n, .pre_r = replies,
		      .same_conn = batch_watches(b) };
	if (store_xchg(b->s, &x, err) < 0)
		goto out;
	if (batch_watches(b) && replies[b->n - 1]->type == REDIS_REPLY_NIL) {
		/* EXEC aborted: a WATCHed key changed after it was read */
		if (b->guard)
			ar_err_set(err, AR_ERR_CONFLICT, "the SOC's verdict on %s%s changed during "
				   "the transaction", b->guard_dev, b->nvals || b->claim_key ?
				   ", or a record the transaction depends on," : "");
		else
			ar_err_set(err, AR_ERR_CONFLICT, "a record the transaction depends on "
				   "changed during the transaction");
		store_replies_free(replies, b->n);
		goto out;
	}
	rc = store_check_tx(b->s, replies, b->n - 2, err);
	store_replies_free(replies, b->n);
	if (rc == 0 && b->durable)	/* after EXEC: the WATCH is over */
		rc = store_durable(b->s, err);
out:
	free(replies);
	ar_store_batch_free(b);
	return rc;
}

int ar_store_batch_guard_verdict(ar_store_batch_t *b, const char *device)
{
	char key[KEY_MAX];

	if (!b || b->err.code)
		return -1;
	if (b->guard)
		return ar_err_set(&b->err, AR_ERR_MALFORMED, "store: one guard per batch");
	if (ar_store_device_valid(device, &b->err) < 0 ||
	    store_dev_key(b->s, key, sizeof(key), device, "verdict", &b->err) < 0)
		return -1;
	b->guard = strdup(key);
	b->guard_dev = strdup(device);
	if (!b->guard || !b->guard_dev)
		return ar_err_set(&b->err, AR_ERR_NOMEM, "store: out of memory");
	return 0;
}

int ar_store_batch_claim(ar_store_batch_t *b, const char *key, const char *expect,
			 const char *val, size_t len)
{
	char k[KEY_MAX];

	if (!b || b->err.code)
		return -1;
	if (b->claim_key)
		return ar_err_set(&b->err, AR_ERR_MALFORMED, "store: one claim per batch");
	if (store_generic_key(b->s, key, k, sizeof(k), &b->err) < 0)
		return -1;
	b->claim_key = strdup(k);
	b->claim_name = strdup(key);
	b->claim_expect = strdup(expect);
	b->claim_val = malloc(len + 1);
	if (!b->claim_key || !b->claim_name || !b->claim_expect || !b->claim_val)
		return ar_err_set(&b->err, AR_ERR_NOMEM, "store: out of memory");
	memcpy(b->claim_val, val, len);
	b->claim_val[len] = '\0';
	b->claim_len = len;
	return 0;
}

int ar_store_batch_guard_value(ar_store_batch_t *b, const char *key, const char *expect)
{
	char k[KEY_MAX];
	size_t i;

	if (!b || b->err.code)
		return -1;
	if (b->nvals == AR_STORE_BATCH_GUARDS)
		return ar_err_set(&b->err, AR_ERR_MALFORMED, "store: at most %d guarded values "
				  "per batch", AR_STORE_BATCH_GUARDS);
	if (!expect)
		return ar_err_set(&b->err, AR_ERR_MALFORMED, "store: a guarded value needs its "
				  "expected text");
	if (store_generic_key(b->s, key, k, sizeof(k), &b->err) < 0)
		return -1;
	i = b->nvals++;
	b->val_key[i] = strdup(k);
	b->val_name[i] = strdup(key);
	b->val_expect[i] = strdup(expect);
	if (!b->val_key[i] || !b->val_name[i] || !b->val_expect[i])
		return ar_err_set(&b->err, AR_ERR_NOMEM, "store: out of memory");
	return 0;
}

const char *ar_store_batch_changed(const ar_store_batch_t *b)
{
	return b ? b->changed : NULL;
}

/* The claim's compare-and-set, @back: from the claimed value to the expected one. */
static void claim_cmd(const ar_store_batch_t *b, cmd_t *cmd, int back)
{
	store_cmd_start(cmd, "EVAL");
	store_cmd_arg(cmd, store_set_if_script);
	store_cmd_arg(cmd, "1");
	store_cmd_arg(cmd, b->claim_key);
	if (back) {
		store_cmd_argn(cmd, b->claim_val, b->claim_len);
		store_cmd_arg(cmd, b->claim_expect);
	} else {
		store_cmd_arg(cmd, b->claim_expect);
		store_cmd_argn(cmd, b->claim_val, b->claim_len);
	}
}

/* A failed begin: UNWATCH, and give the claim back when it was won. */
static void batch_begin_undo(ar_store_batch_t *b, int claimed)
{
	redisReply *replies[2] = { NULL };
	cmd_t cmds[2];
	size_t n = 0;

	store_cmd_start(&cmds[n++], "UNWATCH");
	if (claimed)
		claim_cmd(b, &cmds[n++], 1);
	if (store_run(b->s, cmds, n, replies, 0, NULL) == 0)
		store_replies_free(replies, n);
}

/*
 * The commands of a begin, in one pipeline, and where each one's reply
 * sits (-1: not sent): WATCH the verdict and the guarded values, read
 * them; claim; WATCH the claimed key and read it back. A key is WATCHed
 * before it is read, so whatever changes it after the read aborts the
 * EXEC; the claimed key only after the claim (a WATCHed key written by its
 * own connection would abort it too).
 */
typedef struct begin_plan {
	int		watch, verdict, values, claim, claim_watch, claim_read;
	size_t		n;
} begin_plan_t;

#define BEGIN_CMDS	6
_Static_assert(MAX_ARGS >= AR_STORE_BATCH_GUARDS + 2, "WATCH of the verdict and every guard");

static void begin_cmds(const ar_store_batch_t *b, cmd_t *cmds, begin_plan_t *p)
{
	size_t i;

	*p = (begin_plan_t){ -1, -1, -1, -1, -1, -1, 0 };
	if (b->guard || b->nvals) {
		store_cmd_start(&cmds[p->n], "WATCH");
		if (b->guard)
			store_cmd_arg(&cmds[p->n], b->guard);
		for (i = 0; i < b->nvals; i++)
			store_cmd_arg(&cmds[p->n], b->val_key[i]);
		p->watch = (int)p->n++;
	}
	if (b->guard) {
		store_cmd_start(&cmds[p->n], "HGETALL");
		store_cmd_arg(&cmds[p->n], b->guard);
		p->verdict = (int)p->n++;
	}
	if (b->nvals) {
		store_cmd_start(&cmds[p->n], "MGET");
		for (i = 0; i < b->nvals; i++)
			store_cmd_arg(&cmds[p->n], b->val_key[i]);
		p->values = (int)p->n++;
	}
	if (b->claim_key) {
		claim_cmd(b, &cmds[p->n], 0);
		p->claim = (int)p->n++;
		store_cmd_start(&cmds[p->n], "WATCH");
		store_cmd_arg(&cmds[p->n], b->claim_key);
		p->claim_watch = (int)p->n++;
		store_cmd_start(&cmds[p->n], "GET");
		store_cmd_arg(&cmds[p->n], b->claim_key);
		p->claim_read = (int)p->n++;
	}
}

/* 1 when reply @r is the string @want (@len bytes). */
static int reply_is(const redisReply *r, const char *want, size_t len)
{
	return r->type == REDIS_REPLY_STRING && r->len == len && !memcmp(r->str, want, len);
}

/* The guarded values, read after their WATCH, are as the caller expects. */
static int begin_check_values(ar_store_batch_t *b, const redisReply *r, ar_err_t *err)
{
	size_t i;

	if (store_reply_expect(b->s, r, REDIS_REPLY_ARRAY, err) < 0)
		return -1;
	if (r->elements != b->nvals)
		return ar_err_set(err, AR_ERR_IO, "redis %s: MGET returned %zu values",
				  b->s->endpoint, r->elements);
	for (i = 0; i < b->nvals; i++)
		if (!reply_is(r->element[i], b->val_expect[i], strlen(b->val_expect[i]))) {
			b->changed = b->val_name[i];
			return ar_err_set(err, AR_ERR_CONFLICT, "%s changed since it was read",
					  b->val_key[i]);
		}
	return 0;
}

/* The replies of begin_cmds() (@claimed: the claim was won). */
static int begin_check(ar_store_batch_t *b, const begin_plan_t *p, redisReply **replies,
		       int *claimed, ar_err_t *err)
{
	ar_store_verdict_t v;
	int got;

	if (p->claim >= 0) {
		if (store_reply_expect(b->s, replies[p->claim], REDIS_REPLY_INTEGER, err) < 0)
			return -1;
		*claimed = replies[p->claim]->integer == 1;
		if (!*claimed) {
			b->changed = b->claim_name;
			return ar_err_set(err, AR_ERR_CONFLICT, "%s changed before it could be "
					  "claimed", b->claim_key);
		}
	}
	if ((p->watch >= 0 && store_reply_ok(b->s, replies[p->watch], err) < 0) ||
	    (p->claim_watch >= 0 && store_reply_ok(b->s, replies[p->claim_watch], err) < 0))
		return -1;
	if (p->verdict >= 0) {
		got = store_verdict_from_reply(b->s, replies[p->verdict], &v, err);
		if (got < 0)
			return -1;
		if (got > 0)
			return ar_err_set(err, AR_ERR_UNAUTHORIZED, "the SOC's verdict on %s is %s "
					  "(%s)", b->guard_dev, ar_status_name(v.status), v.reason);
	}
	if (p->values >= 0 && begin_check_values(b, replies[p->values], err) < 0)
		return -1;
	if (p->claim_read >= 0 && !reply_is(replies[p->claim_read], b->claim_val, b->claim_len)) {
		b->changed = b->claim_name;
		return ar_err_set(err, AR_ERR_CONFLICT, "%s changed after it was claimed",
				  b->claim_key);
	}
	return 0;
}

int ar_store_batch_begin(ar_store_batch_t *b, ar_err_t *err)
{
	redisReply *replies[BEGIN_CMDS] = { NULL };
	cmd_t cmds[BEGIN_CMDS];
	begin_plan_t plan;
	int rc, claimed = 0;

	if (!b)
		return ar_err_set(err, AR_ERR_NOMEM, "store: out of memory");
	if (b->err.code) {
		if (err)
			*err = b->err;
		return -1;
	}
	if (b->begun)
		return ar_err_set(err, AR_ERR_MALFORMED, "store: batch begun twice");
	b->changed = NULL;
	begin_cmds(b, cmds, &plan);
	if (plan.n == 0) {
		b->begun = 1;
		return 0;
	}
	if (store_run(b->s, cmds, plan.n, replies, 0, err) < 0)
		return -1;	/* the connection, and any WATCH, is gone */
	rc = begin_check(b, &plan, replies, &claimed, err);
	store_replies_free(replies, plan.n);
	if (rc < 0) {
		batch_begin_undo(b, claimed);
		return -1;
	}
	b->begun = 1;
	return 0;
}
