/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Replica acknowledgement: after a write that must not be lost, WAIT on
 * the connection that made it until enough replicas confirm it, and
 * decide what a shortfall means (refuse, or accept with one log line per
 * episode). "auto" asks the primary once per connection (ROLE) whether it
 * has a replica.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "store_int.h"

#define ACK_RECHECK_MS	10000

/* Whether the ROLE reply @r is a master's with at least one connected replica. */
static int role_has_replica(const redisReply *r)
{
	return r->type == REDIS_REPLY_ARRAY && r->elements >= 3 &&
	       r->element[0]->type == REDIS_REPLY_STRING && !strcmp(r->element[0]->str, "master") &&
	       r->element[2]->type == REDIS_REPLY_ARRAY && r->element[2]->elements > 0;
}

/*
 * "auto": 1 under Sentinel (replicas are the point of it) or once the
 * primary was seen with a replica (it stays so: a replica that went away
 * is a shortfall to report, not a reason to stop asking); else ROLE, on a
 * new connection and again every ACK_RECHECK_MS while no replica is seen
 * (one added later is noticed without a restart).
 */
static int ack_auto(ar_store_t *s, ar_err_t *err)
{
	xchg_t x;
	cmd_t role;
	redisReply *r = NULL;

	if (s->sentinel.n || s->ack.seen)
		return 1;
	if (s->ack.checked_at && ar_mono_ms() - s->ack.checked_at < ACK_RECHECK_MS)
		return 0;
	store_cmd_start(&role, "ROLE");
	x = (xchg_t){ .cmds = &role, .n = 1, .r = &r, .same_conn = 1 };
	if (store_xchg(s, &x, err) < 0)
		return -1;
	if (r->type == REDIS_REPLY_ERROR) {
		store_reply_error(s, r, err);
		freeReplyObject(r);
		return -1;
	}
	s->ack.checked_at = ar_mono_ms();
	s->ack.seen = role_has_replica(r);
	freeReplyObject(r);
	if (s->ack.seen)
		ar_info("event=redis.replica_ack endpoint=%s min_replicas_ack=auto replicas=1 "
			"reason=\"the primary has a replica\"", s->endpoint);
	return s->ack.seen;
}

/* A shortfall of @got replicas (@why: the cause when WAIT did not answer). */
static int ack_short(ar_store_t *s, int need, long long got, const char *why, ar_err_t *err)
{
	if (!s->ack.short_)
		ar_log(s->ack.accept ? AR_LOG_ERROR : AR_LOG_WARN,
		       "event=redis.replica_ack_timeout endpoint=%s confirmed=%lld wanted=%d "
		       "timeout_ms=%d action=%s%s%s%s", s->endpoint, got, need, s->ack.timeout_ms,
		       s->ack.accept ? "accept" : "refuse", why ? " error=\"" : "", why ? why : "",
		       why ? "\"" : "");
	s->ack.short_ = 1;
	store_sentinel_recheck(s);	/* a primary the sentinels no longer name? */
	if (s->ack.accept)
		return 0;
	return ar_err_set(err, AR_ERR_UNREPLICATED, "redis %s: written on the primary, but %lld "
			  "of %d replicas confirmed it within %d ms%s%.80s; not acknowledged (it "
			  "may still appear, e.g. after a failover)", s->endpoint, got, need,
			  s->ack.timeout_ms, why ? ": " : "", why ? why : "");
}

int store_durable(ar_store_t *s, ar_err_t *err)
{
	redisReply *r = NULL;
	ar_err_t why = { 0 };
	cmd_t wait;
	xchg_t x;
	int need = s->ack.want;
	long long got;

	if (need == AR_STORE_ACK_AUTO)
		need = ack_auto(s, &why);
	if (need < 0)
		return ar_err_set(err, why.code, "%s", why.msg);
	if (need == 0)
		return 0;
	store_cmd_start(&wait, "WAIT");
	store_cmd_int(&wait, need);
	store_cmd_int(&wait, s->ack.timeout_ms);
	x = (xchg_t){ .cmds = &wait, .n = 1, .r = &r, .extra_ms = s->ack.timeout_ms,
		      .same_conn = 1 };
	if (store_xchg(s, &x, &why) < 0)
		return ack_short(s, need, 0, why.msg, err);
	if (r->type != REDIS_REPLY_INTEGER) {
		/* NOPERM (the ACL lacks +wait): a configuration error, never accepted */
		store_reply_expect(s, r, REDIS_REPLY_INTEGER, err);
		freeReplyObject(r);
		return ar_err_prefix(err, "WAIT: ");
	}
	got = r->integer;
	freeReplyObject(r);
	if (got < need)
		return ack_short(s, need, got, NULL, err);
	if (s->ack.short_)
		ar_info("event=redis.replica_ack_ok endpoint=%s confirmed=%lld wanted=%d", s->endpoint,
			got, need);
	s->ack.short_ = 0;
	return 0;
}
