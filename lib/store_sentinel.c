/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The primary found through Redis Sentinel (hiredis 0.14 has no Sentinel
 * support). A connection asks the sentinels in turn for the address of the
 * master name, connects there and believes it only when ROLE says master;
 * the whole resolution is bounded by connect_timeout. store.h, "Redis
 * Sentinel", is the contract.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "store_int.h"

/* A pause after a sentinel's answer that was no primary: 10-40 ms. */
#define PAUSE_MIN_MS	10
#define PAUSE_SPAN_MS	30
/* Most a re-check after an unconfirmed write waits for a sentinel. */
#define RECHECK_MS	250

/* A TCP port in decimal, 1..65535; -1 otherwise. */
static int port_of(const char *p, size_t len)
{
	int v = 0;
	size_t i;

	if (len == 0 || len > 5)
		return -1;
	for (i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v >= 1 && v <= 65535 ? v : -1;
}

/* One "host:port" (an IPv6 address in brackets), @len bytes at @p. */
static int parse_one(const char *p, size_t len, char *host, size_t size, int *port)
{
	const char *h = p, *colon;
	size_t hlen;

	if (len > 0 && p[0] == '[') {
		const char *close = memchr(p, ']', len);

		if (!close || close + 1 >= p + len || close[1] != ':')
			return -1;
		h = p + 1;
		hlen = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = len ? memrchr(p, ':', len) : NULL;
		if (!colon)
			return -1;
		hlen = (size_t)(colon - p);
	}
	if (hlen == 0 || hlen >= size)
		return -1;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	*port = port_of(colon + 1, len - (size_t)(colon + 1 - p));
	return store_printable(host, size - 1, 0) && *port > 0 ? 0 : -1;
}

int store_sentinel_parse(ar_store_t *s, const char *list, ar_err_t *err)
{
	const char *p = list;

	s->sentinel.n = 0;
	while (*p) {
		size_t len = strcspn(p, ","), i = s->sentinel.n;
		const char *q = p;

		while (len > 0 && *q == ' ') {
			q++;
			len--;
		}
		while (len > 0 && q[len - 1] == ' ')
			len--;
		if (i == AR_STORE_SENTINELS_MAX)
			return ar_err_set(err, AR_ERR_CONFIG, "store: at most %d sentinels",
					  AR_STORE_SENTINELS_MAX);
		if (parse_one(q, len, s->sentinel.at[i].host, sizeof(s->sentinel.at[i].host),
			      &s->sentinel.at[i].port) < 0)
			return ar_err_set(err, AR_ERR_CONFIG, "store: sentinel %zu of \"%.64s\" is not "
					  "host:port", i + 1, list);
		s->sentinel.n++;
		p += strcspn(p, ",");
		if (*p == ',')
			p++;
	}
	if (s->sentinel.n == 0)
		return ar_err_set(err, AR_ERR_CONFIG, "store: sentinels lists no host:port");
	s->sentinel.seed = (unsigned)ar_mono_ms() ^ (unsigned)getpid();
	return 0;
}

/* A command on @c; NULL with @err for no answer or an error reply. */
static redisReply *ask(const ar_store_t *s, redisContext *c, const char *what, int argc,
		       const char **argv, ar_err_t *err)
{
	redisReply *r = redisCommandArgv(c, argc, argv, NULL);

	if (!r) {
		ar_err_set(err, AR_ERR_UNAVAILABLE, "redis %s: %s: %s", s->endpoint, what,
			   c->err ? c->errstr : "no reply");
	} else if (r->type == REDIS_REPLY_ERROR) {
		ar_err_set(err, AR_ERR_UNAVAILABLE, "redis %s: %s: %.160s", s->endpoint, what,
			   r->str);
		freeReplyObject(r);
		r = NULL;
	}
	return r;
}

/*
 * What sentinel @i says the primary of the master name is, asked within
 * @ms. 0 with @host and @port, -1 with @err (unreachable, refused, names
 * none).
 */
static int primary_of(ar_store_t *s, size_t i, int ms, char *host, size_t size, int *port,
		      ar_err_t *err)
{
	const char *get[] = { "SENTINEL", "get-master-addr-by-name", s->sentinel.master };
	const char *auth[] = { "AUTH", s->sentinel.password };
	redisContext *c;
	redisReply *r;
	int rc = -1;

	snprintf(s->endpoint, sizeof(s->endpoint), "sentinel %.63s:%d", s->sentinel.at[i].host,
		 s->sentinel.at[i].port);
	c = redisConnectWithTimeout(s->sentinel.at[i].host, s->sentinel.at[i].port,
				    store_ms_tv(ms));
	if (!c)
		return ar_err_set(err, AR_ERR_NOMEM, "redis %s: out of memory", s->endpoint);
	if (c->err) {
		ar_err_set(err, AR_ERR_UNAVAILABLE, "redis %s: connect: %s", s->endpoint,
			   c->errstr);
		goto out;
	}
	if (redisSetTimeout(c, store_ms_tv(ms)) != REDIS_OK) {
		ar_err_set(err, AR_ERR_IO, "redis %s: %s", s->endpoint, c->errstr);
		goto out;
	}
	if (s->sentinel.password) {
		if (!(r = ask(s, c, "AUTH", 2, auth, err)))
			goto out;
		freeReplyObject(r);
	}
	if (!(r = ask(s, c, "get-master-addr-by-name", 3, get, err)))
		goto out;
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_STRING || r->element[1]->type != REDIS_REPLY_STRING)
		ar_err_set(err, AR_ERR_UNAVAILABLE, "redis %s: knows no master \"%.63s\"",
			   s->endpoint, s->sentinel.master);
	else if (r->element[0]->len == 0 || r->element[0]->len >= size ||
		 !store_printable(r->element[0]->str, size - 1, 0) ||
		 (*port = port_of(r->element[1]->str, r->element[1]->len)) < 0)
		ar_err_set(err, AR_ERR_UNAVAILABLE, "redis %s: unusable address for \"%.63s\"",
			   s->endpoint, s->sentinel.master);
	else
		rc = 0;
	if (rc == 0)
		memcpy(host, r->element[0]->str, r->element[0]->len + 1);
	freeReplyObject(r);
out:
	redisFree(c);
	return rc;
}

/* Whether the node on the open connection says ROLE master; -1 with @err. */
static int is_master(ar_store_t *s, ar_err_t *err)
{
	const char *role[] = { "ROLE" };
	redisReply *r = ask(s, s->c, "ROLE", 1, role, err);
	int rc;

	if (!r)
		return -1;
	rc = r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
	     r->element[0]->type == REDIS_REPLY_STRING && !strcmp(r->element[0]->str, "master");
	freeReplyObject(r);
	if (!rc)
		ar_err_set(err, AR_ERR_UNAVAILABLE, "redis %s: named primary of \"%.63s\" but is "
			   "not (yet) master", s->endpoint, s->sentinel.master);
	return rc;
}

/* A jittered pause, cut short at @deadline. */
static void pause_until(ar_store_t *s, int64_t deadline)
{
	int64_t ms = PAUSE_MIN_MS + rand_r(&s->sentinel.seed) % (PAUSE_SPAN_MS + 1), left;
	struct timespec ts;

	left = deadline - ar_mono_ms();
	if (ms > left)
		ms = left;
	if (ms <= 0)
		return;
	ts.tv_sec = 0;
	ts.tv_nsec = ms * 1000000;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int store_sentinel_connect(ar_store_t *s, ar_err_t *err)
{
	int64_t deadline = ar_mono_ms() + s->connect_ms;
	char host[64], addr[80];
	size_t k, i;
	int port = 0, left;

	for (k = 0; k < 2 * s->sentinel.n; k++) {
		i = (s->sentinel.next + k) % s->sentinel.n;
		left = (int)(deadline - ar_mono_ms());
		if (left <= 0)
			break;
		memset(err, 0, sizeof(*err));
		if (primary_of(s, i, left, host, sizeof(host), &port, err) < 0)
			continue;	/* the next sentinel, at once */
		left = (int)(deadline - ar_mono_ms());
		snprintf(s->endpoint, sizeof(s->endpoint), "%.63s@%.63s:%d", s->sentinel.master, host,
			 port);
		if (left > 0 && store_connect_to(s, host, port, left, err) == 0) {
			if (is_master(s, err) == 1) {
				s->sentinel.next = i;
				snprintf(addr, sizeof(addr), "%s:%d", host, port);
				if (strcmp(addr, s->sentinel.primary)) {
					if (s->sentinel.primary[0] && s->metrics)
						ar_metrics_inc(s->metrics, AR_STORE_M_FAILOVERS, 0, 0);
					if (s->sentinel.primary[0])
						ar_info("event=redis.primary master=%s address=%s "
							"previous=%s", s->sentinel.master, addr,
							s->sentinel.primary);
					snprintf(s->sentinel.primary, sizeof(s->sentinel.primary),
						 "%s", addr);
				}
				return 0;
			}
			store_drop(s);
		}
		/* named a primary that is down or not master: a failover under way */
		pause_until(s, deadline);
	}
	if (!err->code)
		ar_err_set(err, AR_ERR_TIMEOUT, "redis sentinel: no answer for \"%.63s\" within %d ms",
			   s->sentinel.master, s->connect_ms);
	snprintf(s->endpoint, sizeof(s->endpoint), "%.63s@sentinels", s->sentinel.master);
	return ar_err_prefix(err, "no primary confirmed: ");
}

void store_sentinel_recheck(ar_store_t *s)
{
	char endpoint[sizeof(s->endpoint)], host[64], addr[80];
	ar_err_t err = { 0 };
	int port = 0;

	if (!s->sentinel.n || !s->c || !s->sentinel.primary[0])
		return;
	memcpy(endpoint, s->endpoint, sizeof(endpoint));
	if (primary_of(s, s->sentinel.next, s->connect_ms < RECHECK_MS ? s->connect_ms : RECHECK_MS,
		       host, sizeof(host), &port, &err) == 0) {
		snprintf(addr, sizeof(addr), "%s:%d", host, port);
		memcpy(s->endpoint, endpoint, sizeof(endpoint));
		if (strcmp(addr, s->sentinel.primary) != 0) {
			ar_warn("event=redis.primary_stale master=%s address=%s sentinels_name=%s",
				s->sentinel.master, s->sentinel.primary, addr);
			store_drop(s);
		}
		return;
	}
	memcpy(s->endpoint, endpoint, sizeof(endpoint));
}
