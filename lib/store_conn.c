/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The store's connection: command vectors, the pipelined exchange (every
 * command written at once, then every reply read, bounded by the command
 * timeout), reconnection, the deferred SET NX that rides ahead of the next
 * read, and opening and closing a store.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "store_int.h"

#define DEFAULT_HOST		"127.0.0.1"
#define DEFAULT_PORT		6379
#define DEFAULT_CONNECT_MS	200
#define DEFAULT_COMMAND_MS	100
#define DEFAULT_PREFIX		"acmerats"
#define DEFAULT_EVENT_MAXLEN	100000
#define DEFAULT_CERT_GRACE	300
#define DEFAULT_ACK_MS		500
#define MAX_TIMEOUT_MS		60000

/*
 *	Command vectors.
 */
void store_cmd_argn(cmd_t *cmd, const char *p, size_t len)
{
	if (cmd->argc >= MAX_ARGS) {
		cmd->overflow = 1;
		return;
	}
	cmd->argv[cmd->argc] = p;
	cmd->argvlen[cmd->argc] = len;
	cmd->argc++;
}

void store_cmd_arg(cmd_t *cmd, const char *s)
{
	store_cmd_argn(cmd, s, strlen(s));
}

void store_cmd_int(cmd_t *cmd, int64_t v)
{
	int n;

	if (cmd->argc >= MAX_ARGS) {
		cmd->overflow = 1;
		return;
	}
	n = snprintf(cmd->num[cmd->argc], sizeof(cmd->num[0]), "%" PRId64, v);
	store_cmd_argn(cmd, cmd->num[cmd->argc], (size_t)n);
}

void store_cmd_start(cmd_t *cmd, const char *name)
{
	cmd->argc = 0;
	cmd->overflow = 0;
	store_cmd_arg(cmd, name);
}

/*
 *	SIGPIPE: hiredis writes with write(2); a peer that closed the socket
 *	would raise SIGPIPE. Block it around an exchange and swallow the one we
 *	caused, leaving any that was already pending.
 */
typedef struct sigpipe_guard {
	sigset_t	old;
	int		was_pending;
} sigpipe_guard_t;

static void sigpipe_block(sigpipe_guard_t *g)
{
	sigset_t set, pend;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, &g->old);
	g->was_pending = sigpending(&pend) == 0 && sigismember(&pend, SIGPIPE);
}

static void sigpipe_restore(sigpipe_guard_t *g)
{
	static const struct timespec zero = { 0, 0 };
	sigset_t set, pend;
	int saved = errno;

	if (!g->was_pending && sigpending(&pend) == 0 && sigismember(&pend, SIGPIPE)) {
		sigemptyset(&set);
		sigaddset(&set, SIGPIPE);
		while (sigtimedwait(&set, NULL, &zero) < 0 && errno == EINTR)
			;
	}
	pthread_sigmask(SIG_SETMASK, &g->old, NULL);
	errno = saved;
}

/*
 *	Connection and exchange.
 */
struct timeval store_ms_tv(int ms)
{
	struct timeval tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	return tv;
}

void store_drop(ar_store_t *s)
{
	if (s->c)
		redisFree(s->c);
	s->c = NULL;
	s->role_lost = 0;
	s->ack.checked_at = 0;
}

/*
 * Whether reply @r says its node is no usable primary now: it ran none of
 * the commands sent with it (a replica refuses every write, a loading or
 * cut-off node every command).
 */
static int role_lost(const redisReply *r)
{
	static const char *const words[] = { "READONLY ", "LOADING ", "MASTERDOWN " };
	size_t i;

	if (r->type != REDIS_REPLY_ERROR || !r->str)
		return 0;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (!strncmp(r->str, words[i], strlen(words[i])))
			return 1;
	return 0;
}

/* The first word of an error reply decides the error code. */
int store_reply_error(const ar_store_t *s, const redisReply *r, ar_err_t *err)
{
	static const struct {
		const char	*word;
		ar_errc_t	code;
	} map[] = {
		{ "LOADING",	AR_ERR_UNAVAILABLE },
		{ "MASTERDOWN",	AR_ERR_UNAVAILABLE },
		{ "READONLY",	AR_ERR_UNAVAILABLE },
		{ "BUSY",	AR_ERR_UNAVAILABLE },
		{ "TRYAGAIN",	AR_ERR_UNAVAILABLE },
		{ "CLUSTERDOWN", AR_ERR_UNAVAILABLE },
		/* Redis refused our credentials or the ACL lacks a permission:
		 * the deployment's configuration, not the caller's request. */
		{ "NOAUTH",	AR_ERR_CONFIG },
		{ "WRONGPASS",	AR_ERR_CONFIG },
		{ "NOPERM",	AR_ERR_CONFIG },
	};
	size_t i, wlen = strcspn(r->str, " ");

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (wlen == strlen(map[i].word) && !strncmp(r->str, map[i].word, wlen))
			return ar_err_set(err, map[i].code, "redis %s: %.160s", s->endpoint,
					  r->str);
	}
	return ar_err_set(err, AR_ERR_IO, "redis %s: %.160s", s->endpoint, r->str);
}

/* Fail unless @r has type @type; error replies keep their own code. */
int store_reply_expect(const ar_store_t *s, const redisReply *r, int type, ar_err_t *err)
{
	if (r->type == type)
		return 0;
	if (r->type == REDIS_REPLY_ERROR)
		return store_reply_error(s, r, err);
	return ar_err_set(err, AR_ERR_IO, "redis %s: unexpected reply type %d", s->endpoint,
			  r->type);
}

int store_reply_ok(const ar_store_t *s, const redisReply *r, ar_err_t *err)
{
	if (store_reply_expect(s, r, REDIS_REPLY_STATUS, err) < 0)
		return -1;
	if (strcmp(r->str, "OK") != 0)
		return ar_err_set(err, AR_ERR_IO, "redis %s: unexpected status %.64s",
				  s->endpoint, r->str);
	return 0;
}

void store_replies_free(redisReply **replies, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (replies[i])
			freeReplyObject(replies[i]);
		replies[i] = NULL;
	}
}

static redisReply **xchg_slot(const xchg_t *x, size_t i)
{
	return i < x->pre_n ? &x->pre_r[i] : &x->r[i - x->pre_n];
}

static void xchg_free(const xchg_t *x, size_t got)
{
	size_t i;

	for (i = 0; i < got; i++) {
		redisReply **slot = xchg_slot(x, i);

		if (*slot)
			freeReplyObject(*slot);
		*slot = NULL;
	}
}

/*
 * On an I/O failure the replies read so far are freed and *timed_out says
 * whether the socket timeout expired (as opposed to the connection failing).
 */
static int exchange_once(ar_store_t *s, const xchg_t *x, int *timed_out, ar_err_t *err)
{
	sigpipe_guard_t guard;
	size_t i, got = 0, total = x->pre_n + x->n;
	int rc = -1, saved;

	*timed_out = 0;
	if (x->pre_n && redisAppendFormattedCommand(s->c, x->pre, x->pre_len) != REDIS_OK)
		return ar_err_set(err, AR_ERR_NOMEM, "store: cannot queue command");
	for (i = 0; i < x->n; i++) {
		if (x->cmds[i].overflow)
			return ar_err_set(err, AR_ERR_IO, "store: command has too many arguments");
		/* hiredis 0.14 lacks the const; it does not write through argv */
		if (redisAppendCommandArgv(s->c, x->cmds[i].argc, (const char **)x->cmds[i].argv,
					   x->cmds[i].argvlen) != REDIS_OK)
			return ar_err_set(err, AR_ERR_NOMEM, "store: cannot queue command");
	}

	/* A process that ignores SIGPIPE needs no guard: four system calls
	 * less per exchange. */
	if (!s->sigpipe_ignored)
		sigpipe_block(&guard);
	for (got = 0; got < total; got++) {
		void *r = NULL;

		errno = 0;
		if (redisGetReply(s->c, &r) != REDIS_OK || !r) {
			saved = errno;
			if (s->c->err == REDIS_ERR_IO && (saved == EAGAIN || saved == EWOULDBLOCK))
				*timed_out = 1;
			if (*timed_out)
				ar_err_set(err, AR_ERR_TIMEOUT, "redis %s: no answer within %d ms",
					   s->endpoint, s->command_ms);
			else
				ar_err_set(err, AR_ERR_UNAVAILABLE, "redis %s: %s", s->endpoint,
					   s->c->err ? s->c->errstr : "no reply");
			goto out;
		}
		*xchg_slot(x, got) = r;
		if (role_lost(r))
			s->role_lost = 1;
	}
	rc = 0;
out:
	if (!s->sigpipe_ignored)
		sigpipe_restore(&guard);
	if (rc < 0)
		xchg_free(x, got);
	return rc;
}

/*
 * Connect to @host:@port (NULL host: the Unix socket), within @timeout_ms,
 * and AUTH. The endpoint of messages is the caller's to set.
 */
int store_connect_to(ar_store_t *s, const char *host, int port, int timeout_ms, ar_err_t *err)
{
	redisContext *c;
	struct timeval ctv = store_ms_tv(timeout_ms);

	if (!host)
		c = redisConnectUnixWithTimeout(s->unix_path, ctv);
	else
		c = redisConnectWithTimeout(host, port, ctv);
	if (!c)
		return ar_err_set(err, AR_ERR_NOMEM, "redis %s: out of memory", s->endpoint);
	if (c->err) {
		ar_err_set(err, AR_ERR_UNAVAILABLE, "redis %s: connect: %s", s->endpoint, c->errstr);
		redisFree(c);
		return -1;
	}
	if (redisSetTimeout(c, store_ms_tv(s->command_ms)) != REDIS_OK) {
		ar_err_set(err, AR_ERR_IO, "redis %s: %s", s->endpoint, c->errstr);
		redisFree(c);
		return -1;
	}
	s->c = c;
	{
		struct sigaction sa;

		s->sigpipe_ignored = sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN;
	}

	if (s->password) {
		cmd_t auth;
		redisReply *r = NULL;
		int timed_out, rc;
		xchg_t x = { .cmds = &auth, .n = 1, .r = &r };

		store_cmd_start(&auth, "AUTH");
		if (s->username)
			store_cmd_arg(&auth, s->username);
		store_cmd_arg(&auth, s->password);
		rc = exchange_once(s, &x, &timed_out, err);
		if (rc == 0) {
			rc = store_reply_ok(s, r, err);
			freeReplyObject(r);
		}
		if (rc < 0) {
			store_drop(s);
			return ar_err_prefix(err, "AUTH: ");
		}
	}
	return 0;
}

static const char *const error_kinds[] = { "connect", "timeout", "io", "role", NULL };

const ar_metric_def_t ar_store_metric_defs[AR_STORE_M_N] = {
	[AR_STORE_M_ERRORS] = { "acme_rats_redis_errors_total", AR_METRIC_COUNTER,
		"Redis exchanges that failed, by kind: connect (no connection, or no primary "
		"confirmed), timeout, io (connection lost or reset), role (the node was no "
		"writable primary).", { "kind" }, { error_kinds }, NULL, 0 },
	[AR_STORE_M_FAILOVERS] = { "acme_rats_redis_failovers_total", AR_METRIC_COUNTER,
		"Connections that found a new Redis primary through Sentinel (event=redis.primary).",
		{ NULL }, { NULL }, NULL, 0 },
};

void store_count_error(ar_store_t *s, const char *kind)
{
	if (s->metrics)
		ar_metrics_inc(s->metrics, AR_STORE_M_ERRORS,
			       ar_metrics_label(s->metrics, AR_STORE_M_ERRORS, 0, kind), 0);
}

static int store_connect(ar_store_t *s, ar_err_t *err)
{
	if (s->sentinel.n)
		return store_sentinel_connect(s, err);
	return store_connect_to(s, s->unix_path ? NULL : s->host, s->port, s->connect_ms, err);
}

/*
 * Run one exchange. A connection that had worked before and fails now
 * (Redis restarted, idle connection reset) is re-established and the
 * commands are sent once more; a timeout is never retried.
 *
 * On success every reply is set (it may be an error reply).
 */
int store_xchg(ar_store_t *s, const xchg_t *x, ar_err_t *err)
{
	int attempt, reused, timed_out;

	for (attempt = 0; attempt < 2; attempt++) {
		reused = s->c != NULL;
		/* A WATCH lives on its connection: a new one would run unguarded. */
		if (!s->c && x->same_conn)
			return ar_err_set(err, AR_ERR_UNAVAILABLE, "redis %s: connection lost "
					  "during a guarded transaction", s->endpoint);
		if (!s->c && store_connect(s, err) < 0) {
			store_count_error(s, "connect");
			return -1;
		}
		if (x->extra_ms > 0 &&
		    redisSetTimeout(s->c, store_ms_tv(s->command_ms + x->extra_ms)) != REDIS_OK) {
			store_drop(s);
			return ar_err_set(err, AR_ERR_IO, "redis %s: cannot set timeout", s->endpoint);
		}
		if (exchange_once(s, x, &timed_out, err) == 0) {
			if (s->role_lost) {
				/* A demoted or loading node ran none of it: drop it, and
				 * under Sentinel send it all once more to the primary. */
				store_count_error(s, "role");
				store_drop(s);
				if (s->sentinel.n && !x->same_conn && attempt == 0) {
					xchg_free(x, x->pre_n + x->n);
					continue;
				}
				return 0;
			}
			if (x->extra_ms > 0 && redisSetTimeout(s->c, store_ms_tv(s->command_ms)) != REDIS_OK)
				store_drop(s);	/* the replies are good; reconnect next time */
			return 0;
		}
		store_drop(s);
		store_count_error(s, timed_out ? "timeout" : "io");
		if (timed_out || !reused || x->same_conn)
			return -1;
	}
	return -1;
}

/*
 * The reply to a deferred SET NX decides it: OK created by us, nil there
 * before (reported with the caller's error). It is over either way.
 */
static int once_result(ar_store_t *s, redisReply *r, ar_err_t *err)
{
	if (r->type == REDIS_REPLY_NIL)
		return ar_err_set(err, s->once.code, "%s", s->once.msg);
	return store_reply_ok(s, r, err);
}

static void once_clear(ar_store_t *s)
{
	if (s->once.cmd)
		redisFreeCommand(s->once.cmd);
	s->once.cmd = NULL;
}

/*
 * Run @n pipelined commands that only read: a deferred SET NX travels in
 * the same round trip, ahead of them, and when it fails their replies are
 * dropped and its error returned.
 */
int store_read(ar_store_t *s, const cmd_t *cmds, size_t n, redisReply **replies,
	       ar_err_t *err)
{
	redisReply *cr = NULL;
	xchg_t x = { .cmds = cmds, .n = n, .r = replies };
	int rc;

	if (!s->once.cmd)
		return store_xchg(s, &x, err);
	x.pre = s->once.cmd;
	x.pre_len = s->once.len;
	x.pre_n = 1;
	x.pre_r = &cr;
	rc = store_xchg(s, &x, err);
	if (rc == 0) {
		rc = once_result(s, cr, err);
		freeReplyObject(cr);
		if (rc < 0)
			store_replies_free(replies, n);
	}
	once_clear(s);
	return rc;
}

/* Send a deferred SET NX on its own (@n 0 above: the SET NX alone). */
int store_once_settle(ar_store_t *s, ar_err_t *err)
{
	return s->once.cmd ? store_read(s, NULL, 0, NULL, err) : 0;
}

/*
 * Run @n pipelined commands that may write: a deferred SET NX goes first,
 * in a round trip of its own, so nothing is written when it fails.
 * @extra_ms widens the socket timeout for a blocking command.
 */
int store_run(ar_store_t *s, const cmd_t *cmds, size_t n, redisReply **replies,
	      int extra_ms, ar_err_t *err)
{
	xchg_t x = { .cmds = cmds, .n = n, .r = replies, .extra_ms = extra_ms };

	if (store_once_settle(s, err) < 0)
		return -1;
	return store_xchg(s, &x, err);
}

/* One command, one reply. */
redisReply *store_cmd(ar_store_t *s, const cmd_t *cmd, ar_err_t *err)
{
	redisReply *r = NULL;

	if (store_run(s, cmd, 1, &r, 0, err) < 0)
		return NULL;
	return r;
}

/* One read-only command, one reply. */
redisReply *store_get(ar_store_t *s, const cmd_t *cmd, ar_err_t *err)
{
	redisReply *r = NULL;

	if (store_read(s, cmd, 1, &r, err) < 0)
		return NULL;
	return r;
}

/*
 * Check the replies of MULTI, @nq queued commands, EXEC starting at
 * replies[0]: every command must have been queued and executed without an
 * error reply.
 */
int store_check_tx(const ar_store_t *s, redisReply **replies, size_t nq, ar_err_t *err)
{
	const redisReply *exec = replies[nq + 1];
	size_t i;

	if (store_reply_ok(s, replies[0], err) < 0)
		return -1;
	for (i = 1; i <= nq; i++) {
		if (replies[i]->type == REDIS_REPLY_ERROR)
			return store_reply_error(s, replies[i], err);
	}
	if (store_reply_expect(s, exec, REDIS_REPLY_ARRAY, err) < 0)
		return -1;
	if (exec->elements != nq)
		return ar_err_set(err, AR_ERR_IO, "redis %s: transaction returned %zu results",
				  s->endpoint, exec->elements);
	for (i = 0; i < nq; i++) {
		if (exec->element[i]->type == REDIS_REPLY_ERROR)
			return store_reply_error(s, exec->element[i], err);
	}
	return 0;
}

/*
 *	Open and close.
 */
static char *dup_opt(const char *v, int *failed)
{
	char *d;

	if (!v)
		return NULL;
	d = strdup(v);
	if (!d)
		*failed = 1;
	return d;
}

static int timeout_opt(int v, int def, const char *what, int *out, ar_err_t *err)
{
	if (v < 0 || v > MAX_TIMEOUT_MS)
		return ar_err_set(err, AR_ERR_CONFIG, "store: %s must be 0..%d ms", what,
				  MAX_TIMEOUT_MS);
	*out = v ? v : def;
	return 0;
}

ar_store_t *ar_store_open(const ar_store_opts_t *opts, ar_err_t *err)
{
	static const ar_store_opts_t defaults;
	const ar_store_opts_t *o = opts ? opts : &defaults;
	const char *prefix = o->prefix ? o->prefix : DEFAULT_PREFIX;
	ar_store_t *s;
	int nomem = 0;

	if (!store_printable(prefix, AR_STORE_PREFIX_MAX, 0)) {
		ar_err_set(err, AR_ERR_CONFIG, "store: prefix must be 1..%d printable ASCII "
			   "characters without space, '{' or '}'", AR_STORE_PREFIX_MAX);
		return NULL;
	}
	if (!o->unix_path && (o->port < 0 || o->port > 65535)) {
		ar_err_set(err, AR_ERR_CONFIG, "store: port %d out of range", o->port);
		return NULL;
	}
	if (o->event_maxlen < 0 || o->cert_grace_s < 0) {
		ar_err_set(err, AR_ERR_CONFIG, "store: event_maxlen and cert_grace_s must not be "
			   "negative");
		return NULL;
	}
	if (o->username && !o->password) {
		ar_err_set(err, AR_ERR_CONFIG, "store: a username needs a password");
		return NULL;
	}
	if (o->min_replicas_ack < AR_STORE_ACK_AUTO || o->min_replicas_ack > AR_STORE_ACK_MAX) {
		ar_err_set(err, AR_ERR_CONFIG, "store: min_replicas_ack must be auto or 0..%d",
			   AR_STORE_ACK_MAX);
		return NULL;
	}
	if (o->sentinels && !store_printable(o->master_name, AR_STORE_NAME_MAX, 0)) {
		ar_err_set(err, AR_ERR_CONFIG, "store: sentinels need a master name (1..%d "
			   "printable characters)", AR_STORE_NAME_MAX);
		return NULL;
	}

	s = calloc(1, sizeof(*s));
	if (!s) {
		ar_err_set(err, AR_ERR_NOMEM, "store: out of memory");
		return NULL;
	}
	if (timeout_opt(o->connect_timeout_ms, DEFAULT_CONNECT_MS, "connect_timeout",
			&s->connect_ms, err) < 0 ||
	    timeout_opt(o->command_timeout_ms, DEFAULT_COMMAND_MS, "command_timeout",
			&s->command_ms, err) < 0 ||
	    timeout_opt(o->replica_ack_timeout_ms, DEFAULT_ACK_MS, "replica_ack_timeout",
			&s->ack.timeout_ms, err) < 0)
		goto error;
	s->ack.want = o->min_replicas_ack;
	s->ack.accept = o->replica_timeout_accept != 0;
	s->host = dup_opt(o->host ? o->host : DEFAULT_HOST, &nomem);
	s->port = o->port ? o->port : DEFAULT_PORT;
	s->unix_path = dup_opt(o->unix_path, &nomem);
	s->username = dup_opt(o->username, &nomem);
	s->password = dup_opt(o->password, &nomem);
	if (o->sentinels) {
		s->sentinel.master = dup_opt(o->master_name, &nomem);
		s->sentinel.password = dup_opt(o->sentinel_password, &nomem);
		if (!nomem && store_sentinel_parse(s, o->sentinels, err) < 0)
			goto error;
	}
	if (nomem) {
		ar_err_set(err, AR_ERR_NOMEM, "store: out of memory");
		goto error;
	}
	snprintf(s->prefix, sizeof(s->prefix), "%s", prefix);
	s->event_maxlen = o->event_maxlen ? o->event_maxlen : DEFAULT_EVENT_MAXLEN;
	s->cert_grace_s = o->cert_grace_s ? o->cert_grace_s : DEFAULT_CERT_GRACE;
	s->metrics = o->metrics;
	if (s->sentinel.n)
		snprintf(s->endpoint, sizeof(s->endpoint), "%.63s@sentinels", s->sentinel.master);
	else if (s->unix_path)
		snprintf(s->endpoint, sizeof(s->endpoint), "unix:%.150s", s->unix_path);
	else
		snprintf(s->endpoint, sizeof(s->endpoint), "%.140s:%d", s->host, s->port);

	if (store_connect(s, err) < 0) {
		store_count_error(s, "connect");
		goto error;
	}
	return s;
error:
	ar_store_close(s);
	return NULL;
}

void ar_store_close(ar_store_t *s)
{
	if (!s)
		return;
	store_drop(s);
	once_clear(s);
	if (s->password)
		explicit_bzero(s->password, strlen(s->password));
	if (s->sentinel.password)
		explicit_bzero(s->sentinel.password, strlen(s->sentinel.password));
	free(s->sentinel.master);
	free(s->sentinel.password);
	free(s->host);
	free(s->unix_path);
	free(s->username);
	free(s->password);
	free(s);
}

int ar_store_err_is_down(const ar_err_t *err)
{
	return err && (err->code == AR_ERR_UNAVAILABLE || err->code == AR_ERR_TIMEOUT);
}

int ar_store_ping(ar_store_t *s, ar_err_t *err)
{
	cmd_t cmd;
	redisReply *r;
	int rc;

	store_cmd_start(&cmd, "PING");
	r = store_cmd(s, &cmd, err);
	if (!r)
		return -1;
	rc = store_reply_expect(s, r, REDIS_REPLY_STATUS, err);
	if (rc == 0 && strcmp(r->str, "PONG") != 0)
		rc = ar_err_set(err, AR_ERR_IO, "redis %s: PING answered %.32s", s->endpoint, r->str);
	freeReplyObject(r);
	return rc;
}

