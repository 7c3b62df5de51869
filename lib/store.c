/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Redis store: one synchronous hiredis connection, every command built
 * as an argument vector, every exchange pipelined (all commands written at
 * once, then all replies read) and bounded by the command timeout.
 *
 * Records are described by field tables (name, type, offset, size); one
 * table drives both the write (HSET / XADD arguments, session line) and the
 * read (HGETALL / stream entry / session line), so the two cannot drift.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "store.h"

#define DEFAULT_HOST		"127.0.0.1"
#define DEFAULT_PORT		6379
#define DEFAULT_CONNECT_MS	200
#define DEFAULT_COMMAND_MS	100
#define DEFAULT_PREFIX		"acmerats"
#define DEFAULT_EVENT_MAXLEN	100000
#define DEFAULT_CERT_GRACE	300
#define MAX_TIMEOUT_MS		60000
#define MAX_BLOCK_MS		60000
#define MAX_GENERIC_KEY		256

#define KEY_MAX		640	/* prefix + device + two hex strings + punctuation */
#define MAX_ARGS	24	/* the longest command is XADD with every event field */
#define SESSION_LINE_MAX 8192	/* every session field percent-encoded at worst */

struct ar_store {
	redisContext	*c;		/* NULL while disconnected */
	char		*host;
	int		port;
	char		*unix_path;
	char		*username;
	char		*password;
	int		connect_ms;
	int		command_ms;
	char		prefix[AR_STORE_PREFIX_MAX + 1];
	long		event_maxlen;
	int		cert_grace_s;
	char		endpoint[160];	/* for messages: "host:port" or the socket path */
	int		sigpipe_ignored;	/* the process ignored SIGPIPE when we connected */
	struct {			/* ar_store_set_once_deferred(): a SET NX waiting */
		char		*cmd;	/* RESP text; NULL when none is waiting */
		size_t		len;
		ar_errc_t	code;	/* reported when the key existed */
		char		msg[128];
	} once;
};

/* A write batch: MULTI and the queued commands, already in RESP form. */
struct ar_store_batch {
	ar_store_t	*s;
	char		*buf;
	size_t		len, cap;
	size_t		n;		/* commands in buf, MULTI included */
	ar_err_t	err;		/* the first failure while queueing */
	char		*guard;		/* ar_store_batch_guard_verdict(): key WATCHed, or NULL */
	char		*guard_dev;
	char		*claim_key;	/* ar_store_batch_claim(): the key, or NULL */
	char		*claim_expect;
	char		*claim_val;
	size_t		claim_len;
	char		*claim_name;	/* the claimed key as the caller named it */
	size_t		nvals;		/* ar_store_batch_guard_value(): values WATCHed */
	char		*val_key[AR_STORE_BATCH_GUARDS];
	char		*val_name[AR_STORE_BATCH_GUARDS];
	char		*val_expect[AR_STORE_BATCH_GUARDS];
	const char	*changed;	/* a failed begin: the key found changed, or NULL */
	int		begun;		/* ar_store_batch_begin() ran: any guard is WATCHed */
};

/*
 *	Command vectors.
 */
typedef struct cmd {
	int		argc;
	int		overflow;
	const char	*argv[MAX_ARGS];
	size_t		argvlen[MAX_ARGS];
	char		num[MAX_ARGS][24];
} cmd_t;

static void cmd_argn(cmd_t *cmd, const char *p, size_t len)
{
	if (cmd->argc >= MAX_ARGS) {
		cmd->overflow = 1;
		return;
	}
	cmd->argv[cmd->argc] = p;
	cmd->argvlen[cmd->argc] = len;
	cmd->argc++;
}

static void cmd_arg(cmd_t *cmd, const char *s)
{
	cmd_argn(cmd, s, strlen(s));
}

static void cmd_int(cmd_t *cmd, int64_t v)
{
	int n;

	if (cmd->argc >= MAX_ARGS) {
		cmd->overflow = 1;
		return;
	}
	n = snprintf(cmd->num[cmd->argc], sizeof(cmd->num[0]), "%" PRId64, v);
	cmd_argn(cmd, cmd->num[cmd->argc], (size_t)n);
}

static void cmd_start(cmd_t *cmd, const char *name)
{
	cmd->argc = 0;
	cmd->overflow = 0;
	cmd_arg(cmd, name);
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
static struct timeval ms_tv(int ms)
{
	struct timeval tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	return tv;
}

static void store_drop(ar_store_t *s)
{
	if (s->c)
		redisFree(s->c);
	s->c = NULL;
}

/* The first word of an error reply decides the error code. */
static int reply_error(const ar_store_t *s, const redisReply *r, ar_err_t *err)
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
static int reply_expect(const ar_store_t *s, const redisReply *r, int type, ar_err_t *err)
{
	if (r->type == type)
		return 0;
	if (r->type == REDIS_REPLY_ERROR)
		return reply_error(s, r, err);
	return ar_err_set(err, AR_ERR_IO, "redis %s: unexpected reply type %d", s->endpoint,
			  r->type);
}

static int reply_ok(const ar_store_t *s, const redisReply *r, ar_err_t *err)
{
	if (reply_expect(s, r, REDIS_REPLY_STATUS, err) < 0)
		return -1;
	if (strcmp(r->str, "OK") != 0)
		return ar_err_set(err, AR_ERR_IO, "redis %s: unexpected status %.64s",
				  s->endpoint, r->str);
	return 0;
}

static void replies_free(redisReply **replies, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (replies[i])
			freeReplyObject(replies[i]);
		replies[i] = NULL;
	}
}

/*
 * One exchange: @pre_n commands already in RESP form (a deferred SET NX, a
 * batch), then @n argument vectors, all written at once; then every reply
 * read, the first @pre_n into pre_r, the others into r.
 */
typedef struct xchg {
	const char	*pre;
	size_t		pre_len;
	size_t		pre_n;
	redisReply	**pre_r;
	const cmd_t	*cmds;
	size_t		n;
	redisReply	**r;
	int		extra_ms;	/* widens the socket timeout (blocking commands) */
	int		same_conn;	/* only on the open connection, never on a new one */
} xchg_t;

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
	}
	rc = 0;
out:
	if (!s->sigpipe_ignored)
		sigpipe_restore(&guard);
	if (rc < 0)
		xchg_free(x, got);
	return rc;
}

static int store_connect(ar_store_t *s, ar_err_t *err)
{
	redisContext *c;
	struct timeval ctv = ms_tv(s->connect_ms);

	if (s->unix_path)
		c = redisConnectUnixWithTimeout(s->unix_path, ctv);
	else
		c = redisConnectWithTimeout(s->host, s->port, ctv);
	if (!c)
		return ar_err_set(err, AR_ERR_NOMEM, "redis %s: out of memory", s->endpoint);
	if (c->err) {
		ar_err_set(err, AR_ERR_UNAVAILABLE, "redis %s: connect: %s", s->endpoint, c->errstr);
		redisFree(c);
		return -1;
	}
	if (redisSetTimeout(c, ms_tv(s->command_ms)) != REDIS_OK) {
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

		cmd_start(&auth, "AUTH");
		if (s->username)
			cmd_arg(&auth, s->username);
		cmd_arg(&auth, s->password);
		rc = exchange_once(s, &x, &timed_out, err);
		if (rc == 0) {
			rc = reply_ok(s, r, err);
			freeReplyObject(r);
		}
		if (rc < 0) {
			store_drop(s);
			return ar_err_prefix(err, "AUTH: ");
		}
	}
	return 0;
}

/*
 * Run one exchange. A connection that had worked before and fails now
 * (Redis restarted, idle connection reset) is re-established and the
 * commands are sent once more; a timeout is never retried.
 *
 * On success every reply is set (it may be an error reply).
 */
static int store_xchg(ar_store_t *s, const xchg_t *x, ar_err_t *err)
{
	int attempt, reused, timed_out;

	for (attempt = 0; attempt < 2; attempt++) {
		reused = s->c != NULL;
		/* A WATCH lives on its connection: a new one would run unguarded. */
		if (!s->c && x->same_conn)
			return ar_err_set(err, AR_ERR_UNAVAILABLE, "redis %s: connection lost "
					  "during a guarded transaction", s->endpoint);
		if (!s->c && store_connect(s, err) < 0)
			return -1;
		if (x->extra_ms > 0 &&
		    redisSetTimeout(s->c, ms_tv(s->command_ms + x->extra_ms)) != REDIS_OK) {
			store_drop(s);
			return ar_err_set(err, AR_ERR_IO, "redis %s: cannot set timeout", s->endpoint);
		}
		if (exchange_once(s, x, &timed_out, err) == 0) {
			if (x->extra_ms > 0 && redisSetTimeout(s->c, ms_tv(s->command_ms)) != REDIS_OK)
				store_drop(s);	/* the replies are good; reconnect next time */
			return 0;
		}
		store_drop(s);
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
	return reply_ok(s, r, err);
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
static int store_read(ar_store_t *s, const cmd_t *cmds, size_t n, redisReply **replies,
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
			replies_free(replies, n);
	}
	once_clear(s);
	return rc;
}

/* Send a deferred SET NX on its own (@n 0 above: the SET NX alone). */
static int once_settle(ar_store_t *s, ar_err_t *err)
{
	return s->once.cmd ? store_read(s, NULL, 0, NULL, err) : 0;
}

/*
 * Run @n pipelined commands that may write: a deferred SET NX goes first,
 * in a round trip of its own, so nothing is written when it fails.
 * @extra_ms widens the socket timeout for a blocking command.
 */
static int store_run(ar_store_t *s, const cmd_t *cmds, size_t n, redisReply **replies,
		     int extra_ms, ar_err_t *err)
{
	xchg_t x = { .cmds = cmds, .n = n, .r = replies, .extra_ms = extra_ms };

	if (once_settle(s, err) < 0)
		return -1;
	return store_xchg(s, &x, err);
}

/* One command, one reply. */
static redisReply *store_cmd(ar_store_t *s, const cmd_t *cmd, ar_err_t *err)
{
	redisReply *r = NULL;

	if (store_run(s, cmd, 1, &r, 0, err) < 0)
		return NULL;
	return r;
}

/* One read-only command, one reply. */
static redisReply *store_get(ar_store_t *s, const cmd_t *cmd, ar_err_t *err)
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
static int check_tx(const ar_store_t *s, redisReply **replies, size_t nq, ar_err_t *err)
{
	const redisReply *exec = replies[nq + 1];
	size_t i;

	if (reply_ok(s, replies[0], err) < 0)
		return -1;
	for (i = 1; i <= nq; i++) {
		if (replies[i]->type == REDIS_REPLY_ERROR)
			return reply_error(s, replies[i], err);
	}
	if (reply_expect(s, exec, REDIS_REPLY_ARRAY, err) < 0)
		return -1;
	if (exec->elements != nq)
		return ar_err_set(err, AR_ERR_IO, "redis %s: transaction returned %zu results",
				  s->endpoint, exec->elements);
	for (i = 0; i < nq; i++) {
		if (exec->element[i]->type == REDIS_REPLY_ERROR)
			return reply_error(s, exec->element[i], err);
	}
	return 0;
}

/*
 *	Validation and keys.
 */
static int printable_token(const char *v, size_t max, int braces_ok)
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
	if (!printable_token(device, AR_STORE_DEVICE_MAX, 0))
		return ar_err_set(err, AR_ERR_MALFORMED, "store: device id must be 1..%d printable "
				  "ASCII characters without space, '{' or '}'", AR_STORE_DEVICE_MAX);
	return 0;
}

static int name_valid(const char *v, const char *what, ar_err_t *err)
{
	if (!printable_token(v, AR_STORE_NAME_MAX, 1))
		return ar_err_set(err, AR_ERR_MALFORMED, "store: %s must be 1..%d printable ASCII "
				  "characters without space", what, AR_STORE_NAME_MAX);
	return 0;
}

/* Copy hex digits lower-cased into @out (AR_STORE_HEX_MAX + 1 bytes). */
static int hex_norm(const char *in, char *out, const char *what, ar_err_t *err)
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

static int key_fmt(char *buf, size_t size, ar_err_t *err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int key_fmt(char *buf, size_t size, ar_err_t *err, const char *fmt, ...)
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

static int dev_key(const ar_store_t *s, char *buf, size_t size, const char *device,
		   const char *suffix, ar_err_t *err)
{
	return key_fmt(buf, size, err, "%s:{dev:%s}:%s", s->prefix, device, suffix);
}

static int cert_key(const ar_store_t *s, char *buf, size_t size, const char *device,
		    const char *aki, const char *serial, ar_err_t *err)
{
	return key_fmt(buf, size, err, "%s:{dev:%s}:cert:%s:%s", s->prefix, device, aki, serial);
}

static int glob_key(const ar_store_t *s, char *buf, size_t size, const char *suffix,
		    ar_err_t *err)
{
	return key_fmt(buf, size, err, "%s:%s", s->prefix, suffix);
}

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

/*
 *	Field tables.
 */
typedef enum ftype {
	F_STR,		/* char array */
	F_INT,		/* int64_t */
	F_STATUS,	/* ar_status_t */
	F_CERT_STATUS,	/* ar_cert_status_t */
	F_BOOL,		/* int, 0 or 1 */
} ftype_t;

typedef struct field {
	const char	*name;
	ftype_t		type;
	size_t		off;
	size_t		size;	/* of the char array */
	int		required;
} field_t;

#define FIELD(_st, _m, _type, _req) \
	{ #_m, _type, offsetof(_st, _m), sizeof(((_st *)0)->_m), _req }

static const field_t posture_fields[] = {
	FIELD(ar_store_posture_t, status, F_STATUS, 1),
	FIELD(ar_store_posture_t, tv, F_STR, 0),
	FIELD(ar_store_posture_t, ear_iat, F_INT, 0),
	FIELD(ar_store_posture_t, ear_exp, F_INT, 0),
	FIELD(ar_store_posture_t, verifier, F_STR, 0),
	FIELD(ar_store_posture_t, profile, F_STR, 0),
	FIELD(ar_store_posture_t, updated_at, F_INT, 1),
	FIELD(ar_store_posture_t, reason, F_STR, 0),
};

static const field_t identity_fields[] = {
	FIELD(ar_store_identity_t, jkt, F_STR, 1),
	FIELD(ar_store_identity_t, jwk, F_STR, 1),
	FIELD(ar_store_identity_t, account, F_STR, 0),
	FIELD(ar_store_identity_t, eab_kid, F_STR, 0),
	FIELD(ar_store_identity_t, enrolled_at, F_INT, 1),
};

static const field_t verdict_fields[] = {
	FIELD(ar_store_verdict_t, status, F_STATUS, 1),
	FIELD(ar_store_verdict_t, reason, F_STR, 0),
	FIELD(ar_store_verdict_t, source, F_STR, 0),
	FIELD(ar_store_verdict_t, identity, F_STR, 0),
	FIELD(ar_store_verdict_t, set_at, F_INT, 1),
};

/* aki and serial are in the key, not in the hash. */
static const field_t cert_fields[] = {
	FIELD(ar_store_cert_t, device, F_STR, 1),
	FIELD(ar_store_cert_t, order, F_STR, 0),
	FIELD(ar_store_cert_t, not_after, F_INT, 1),
	FIELD(ar_store_cert_t, status, F_CERT_STATUS, 1),
	FIELD(ar_store_cert_t, renew_now, F_BOOL, 0),
};

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

#define NFIELDS(t)	(sizeof(t) / sizeof((t)[0]))

#define FPTR(rec, f)	((char *)(rec) + (f)->off)
#define FCPTR(rec, f)	((const char *)(rec) + (f)->off)

static const char *const cert_status_names[] = { "valid", "superseded", "revoked" };

const char *ar_cert_status_name(ar_cert_status_t st)
{
	return (unsigned)st <= AR_CERT_REVOKED ? cert_status_names[st] : "unknown";
}

int ar_cert_status_parse(const char *str, ar_cert_status_t *out)
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
static int field_str(const field_t *f, const void *rec, const char **p, size_t *len,
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
static int encode_args(cmd_t *cmd, const field_t *fields, size_t n, const void *rec,
		       ar_err_t *err)
{
	size_t i, len = 0;
	const char *p = NULL;

	for (i = 0; i < n; i++) {
		const field_t *f = &fields[i];

		cmd_arg(cmd, f->name);
		switch (f->type) {
		case F_STR:
			if (field_str(f, rec, &p, &len, err) < 0)
				return -1;
			cmd_argn(cmd, p, len);
			break;
		case F_INT:
			cmd_int(cmd, *(const int64_t *)FCPTR(rec, f));
			break;
		case F_STATUS: {
			ar_status_t st = *(const ar_status_t *)FCPTR(rec, f);

			if ((unsigned)st > AR_STATUS_CONTRAINDICATED)
				return ar_err_set(err, AR_ERR_MALFORMED, "store: bad %s", f->name);
			cmd_arg(cmd, ar_status_name(st));
			break;
		}
		case F_CERT_STATUS: {
			ar_cert_status_t st = *(const ar_cert_status_t *)FCPTR(rec, f);

			if ((unsigned)st > AR_CERT_REVOKED)
				return ar_err_set(err, AR_ERR_MALFORMED, "store: bad %s", f->name);
			cmd_arg(cmd, ar_cert_status_name(st));
			break;
		}
		case F_BOOL:
			cmd_arg(cmd, *(const int *)FCPTR(rec, f) ? "1" : "0");
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
static int field_set(const field_t *f, void *rec, const char *val, size_t len, ar_err_t *err)
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
		    ar_cert_status_parse(val, (ar_cert_status_t *)FPTR(rec, f)) < 0)
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

static const field_t *field_find(const field_t *fields, size_t n, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strlen(fields[i].name) == len && !memcmp(fields[i].name, name, len))
			return &fields[i];
	}
	return NULL;
}

static int check_required(const field_t *fields, size_t n, uint32_t seen, ar_err_t *err)
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
static int decode_pairs(const field_t *fields, size_t n, void *rec, redisReply *const *el,
			size_t count, ar_err_t *err)
{
	uint32_t seen = 0;
	size_t i;

	if (count % 2)
		return ar_err_set(err, AR_ERR_MALFORMED, "store: odd field list");
	for (i = 0; i < count; i += 2) {
		const field_t *f;

		if (el[i]->type != REDIS_REPLY_STRING || el[i + 1]->type != REDIS_REPLY_STRING)
			return ar_err_set(err, AR_ERR_MALFORMED, "store: field is not a string");
		f = field_find(fields, n, el[i]->str, el[i]->len);
		if (!f)
			continue;
		if (field_set(f, rec, el[i + 1]->str, el[i + 1]->len, err) < 0)
			return -1;
		seen |= 1u << (f - fields);
	}
	return check_required(fields, n, seen, err);
}

/*
 *	Session line: "k=v k=v ...", values percent-encoded (see store.h).
 */
/*
 * A record from an HGETALL reply: 1 found (@rec filled), 0 the hash does not
 * exist (@rec zeroed), -1 bad. @what prefixes a decoding error.
 */
static int hash_from_reply(const ar_store_t *s, const redisReply *r, const field_t *fields,
			   size_t n, void *rec, size_t size, const char *what, ar_err_t *err)
{
	memset(rec, 0, size);
	if (reply_expect(s, r, REDIS_REPLY_ARRAY, err) < 0)
		return -1;
	if (r->elements == 0)
		return 0;
	if (decode_pairs(fields, n, rec, r->element, r->elements, err) < 0)
		return ar_err_prefix(err, "%s: ", what);
	return 1;
}

static int pct_needed(unsigned char ch)
{
	return ch < '!' || ch > '~' || ch == '%' || ch == '=';
}

static int session_encode(const ar_store_session_t *ss, char *buf, size_t size, size_t *out_len,
			  ar_err_t *err)
{
	static const char hex[] = "0123456789ABCDEF";
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
		} else if (field_str(f, ss, &p, &len, err) < 0) {
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
				buf[off++] = hex[ch >> 4];
				buf[off++] = hex[ch & 15];
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

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
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
		f = field_find(session_fields, NFIELDS(session_fields), p, (size_t)(eq - p));
		for (eq++; eq < tok_end; eq++) {
			int hi, lo;

			if (vlen + 1 >= sizeof(val))
				return ar_err_set(err, AR_ERR_MALFORMED,
						  "store: session value too long");
			if (*eq != '%') {
				val[vlen++] = *eq;
				continue;
			}
			if (tok_end - eq < 3 || (hi = hexval(eq[1])) < 0 || (lo = hexval(eq[2])) < 0)
				return ar_err_set(err, AR_ERR_MALFORMED,
						  "store: bad escape in session record");
			val[vlen++] = (char)(hi << 4 | lo);
			eq += 2;
		}
		val[vlen] = '\0';
		if (f) {
			if (field_set(f, ss, val, vlen, err) < 0)
				return -1;
			seen |= 1u << (f - session_fields);
		}
		p = tok_end + 1;
	}
	return check_required(session_fields, NFIELDS(session_fields), seen, err);
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

	if (!printable_token(prefix, AR_STORE_PREFIX_MAX, 0)) {
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

	s = calloc(1, sizeof(*s));
	if (!s) {
		ar_err_set(err, AR_ERR_NOMEM, "store: out of memory");
		return NULL;
	}
	if (timeout_opt(o->connect_timeout_ms, DEFAULT_CONNECT_MS, "connect_timeout",
			&s->connect_ms, err) < 0 ||
	    timeout_opt(o->command_timeout_ms, DEFAULT_COMMAND_MS, "command_timeout",
			&s->command_ms, err) < 0)
		goto error;
	s->host = dup_opt(o->host ? o->host : DEFAULT_HOST, &nomem);
	s->port = o->port ? o->port : DEFAULT_PORT;
	s->unix_path = dup_opt(o->unix_path, &nomem);
	s->username = dup_opt(o->username, &nomem);
	s->password = dup_opt(o->password, &nomem);
	if (nomem) {
		ar_err_set(err, AR_ERR_NOMEM, "store: out of memory");
		goto error;
	}
	snprintf(s->prefix, sizeof(s->prefix), "%s", prefix);
	s->event_maxlen = o->event_maxlen ? o->event_maxlen : DEFAULT_EVENT_MAXLEN;
	s->cert_grace_s = o->cert_grace_s ? o->cert_grace_s : DEFAULT_CERT_GRACE;
	if (s->unix_path)
		snprintf(s->endpoint, sizeof(s->endpoint), "unix:%.150s", s->unix_path);
	else
		snprintf(s->endpoint, sizeof(s->endpoint), "%.140s:%d", s->host, s->port);

	if (store_connect(s, err) < 0)
		goto error;
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

	cmd_start(&cmd, "PING");
	r = store_cmd(s, &cmd, err);
	if (!r)
		return -1;
	rc = reply_expect(s, r, REDIS_REPLY_STATUS, err);
	if (rc == 0 && strcmp(r->str, "PONG") != 0)
		rc = ar_err_set(err, AR_ERR_IO, "redis %s: PING answered %.32s", s->endpoint, r->str);
	freeReplyObject(r);
	return rc;
}

/*
 *	Generic values.
 */
static int generic_key(const ar_store_t *s, const char *key, char *buf, size_t size,
		       ar_err_t *err)
{
	size_t len = key ? strnlen(key, MAX_GENERIC_KEY + 1) : 0;

	if (len == 0 || len > MAX_GENERIC_KEY)
		return ar_err_set(err, AR_ERR_MALFORMED, "store: key must be 1..%d bytes",
				  MAX_GENERIC_KEY);
	return glob_key(s, buf, size, key, err);
}

/* SET key val [NX] [PX ttl] of a generic value; @k holds the key (KEY_MAX). */
static int set_cmd(ar_store_t *s, const char *key, const char *val, size_t len, int64_t ttl_ms,
		   int nx, cmd_t *cmd, char *k, ar_err_t *err)
{
	if (generic_key(s, key, k, KEY_MAX, err) < 0)
		return -1;
	if (ttl_ms < 0)
		return ar_err_set(err, AR_ERR_MALFORMED, "store: negative ttl");
	cmd_start(cmd, "SET");
	cmd_arg(cmd, k);
	cmd_argn(cmd, val, len);
	if (nx)
		cmd_arg(cmd, "NX");
	if (ttl_ms > 0) {
		cmd_arg(cmd, "PX");
		cmd_int(cmd, ttl_ms);
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

	if (set_cmd(s, key, val, len, ttl_ms, 0, &cmd, k, err) < 0)
		return -1;
	r = store_cmd(s, &cmd, err);
	if (!r)
		return -1;
	rc = reply_ok(s, r, err);
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

	if (set_cmd(s, key, val, strlen(val), ttl_ms, 1, &cmd, k, err) < 0)
		return -1;
	r = store_cmd(s, &cmd, err);
	if (!r)
		return -1;
	rc = r->type == REDIS_REPLY_NIL ? 0 : reply_ok(s, r, err) < 0 ? -1 : 1;
	freeReplyObject(r);
	return rc;
}

/* Compare-and-set; the key keeps its expiry (KEEPTTL, Redis 6.0). */
static const char set_if_script[] =
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
	cmd_start(&cmd, "EVAL");
	cmd_arg(&cmd, set_many_if_script);
	cmd_int(&cmd, (int64_t)(nguards + n));
	for (i = 0; i < nguards + n; i++) {
		if (generic_key(s, i < nguards ? guards[i] : keys[i - nguards], k[i], KEY_MAX,
				err) < 0)
			return -1;
		cmd_arg(&cmd, k[i]);
	}
	cmd_int(&cmd, (int64_t)nguards);
	for (i = 0; i < nguards; i++)
		cmd_arg(&cmd, expect[i]);
	for (i = 0; i < n; i++) {
		if (ttl_ms[i] < 0)
			return ar_err_set(err, AR_ERR_MALFORMED, "store: negative ttl");
		cmd_argn(&cmd, vals[i], lens[i]);
		cmd_int(&cmd, ttl_ms[i]);
	}
	if (cmd.overflow)
		return ar_err_set(err, AR_ERR_MALFORMED, "store: too many guarded writes at once");
	r = store_cmd(s, &cmd, err);
	if (!r)
		return -1;
	rc = reply_expect(s, r, REDIS_REPLY_INTEGER, err) < 0 ? -1 : r->integer > 0;
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

	if (generic_key(s, key, k, sizeof(k), err) < 0)
		return -1;
	cmd_start(&cmd, "EVAL");
	cmd_arg(&cmd, set_if_script);
	cmd_arg(&cmd, "1");
	cmd_arg(&cmd, k);
	cmd_arg(&cmd, expect);
	cmd_argn(&cmd, val, len);
	r = store_cmd(s, &cmd, err);
	if (!r)
		return -1;
	rc = reply_expect(s, r, REDIS_REPLY_INTEGER, err) < 0 ? -1 : r->integer != 0;
	freeReplyObject(r);
	return rc;
}

int ar_store_set_once_deferred(ar_store_t *s, const char *key, int64_t ttl_ms, ar_errc_t code,
			       const char *msg, ar_err_t *err)
{
	char k[KEY_MAX];
	cmd_t cmd;
	int len;

	if (once_settle(s, err) < 0 || set_cmd(s, key, "1", 1, ttl_ms, 1, &cmd, k, err) < 0)
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
	return once_settle(s, err);
}

/*
 *	Write batches.
 */
static int batch_add(ar_store_batch_t *b, const cmd_t *cmd)
{
	char *text;
	int len;

	if (!b || b->err.code)
		return -1;
	if (cmd->overflow)
		return ar_err_set(&b->err, AR_ERR_IO, "store: command has too many arguments");
	/* hiredis 0.14 lacks the const; it does not write through argv */
	len = redisFormatCommandArgv(&text, cmd->argc, (const char **)cmd->argv, cmd->argvlen);
	if (len < 0)
		return ar_err_set(&b->err, AR_ERR_NOMEM, "store: out of memory");
	if (b->cap - b->len < (size_t)len) {
		size_t cap = b->cap * 2 > b->len + (size_t)len ? b->cap * 2 : b->len + (size_t)len;
		char *buf = realloc(b->buf, cap);

		if (!buf) {
			redisFreeCommand(text);
			return ar_err_set(&b->err, AR_ERR_NOMEM, "store: out of memory");
		}
		b->buf = buf;
		b->cap = cap;
	}
	memcpy(b->buf + b->len, text, (size_t)len);
	b->len += (size_t)len;
	b->n++;
	redisFreeCommand(text);
	return 0;
}

ar_store_batch_t *ar_store_batch_new(ar_store_t *s)
{
	ar_store_batch_t *b = calloc(1, sizeof(*b));
	cmd_t multi;

	if (!b)
		return NULL;
	b->s = s;
	cmd_start(&multi, "MULTI");
	batch_add(b, &multi);
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

		cmd_start(&unwatch, "UNWATCH");
		r = store_cmd(b->s, &unwatch, NULL);
		if (r)
			freeReplyObject(r);
	}
	free(b->buf);
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

	if (!b || b->err.code || set_cmd(b->s, key, val, len, ttl_ms, 0, &cmd, k, &b->err) < 0)
		return -1;
	return batch_add(b, &cmd);
}

/* LPUSH and LTRIM: the list keeps its @max newest entries. */
static int list_push_cmds(ar_store_t *s, const char *key, const char *val, long max, char *k,
			  cmd_t cmds[2], ar_err_t *err)
{
	if (generic_key(s, key, k, KEY_MAX, err) < 0)
		return -1;
	if (max < 1)
		return ar_err_set(err, AR_ERR_MALFORMED, "store: list bound must be positive");
	cmd_start(&cmds[0], "LPUSH");
	cmd_arg(&cmds[0], k);
	cmd_arg(&cmds[0], val);
	cmd_start(&cmds[1], "LTRIM");
	cmd_arg(&cmds[1], k);
	cmd_int(&cmds[1], 0);
	cmd_int(&cmds[1], max - 1);
	return 0;
}

int ar_store_batch_list_push(ar_store_batch_t *b, const char *key, const char *val, long max)
{
	char k[KEY_MAX];
	cmd_t cmds[2];

	if (!b || b->err.code || list_push_cmds(b->s, key, val, max, k, cmds, &b->err) < 0)
		return -1;
	return batch_add(b, &cmds[0]) < 0 ? -1 : batch_add(b, &cmds[1]);
}

static int verdict_from_reply(const ar_store_t *s, const redisReply *r, ar_store_verdict_t *v,
			      ar_err_t *err);

int ar_store_batch_exec(ar_store_batch_t *b, ar_err_t *err)
{
	redisReply **replies = NULL;
	cmd_t exec;
	xchg_t x;
	int rc = -1;

	if (!b)
		return ar_err_set(err, AR_ERR_NOMEM, "store: out of memory");
	cmd_start(&exec, "EXEC");
	if (batch_add(b, &exec) < 0) {
		if (err)
			*err = b->err;
		goto out;
	}
	replies = calloc(b->n, sizeof(*replies));
	if (!replies) {
		ar_err_set(err, AR_ERR_NOMEM, "store: out of memory");
		goto out;
	}
	if (once_settle(b->s, err) < 0)
		goto out;
	if (!b->begun && batch_watches(b) && ar_store_batch_begin(b, err) < 0)
		goto out;
	b->begun = 0;		/* EXEC ends the WATCH, whatever happens now */
	x = (xchg_t){ .pre = b->buf, .pre_len = b->len, .pre_n = b->n, .pre_r = replies,
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
		replies_free(replies, b->n);
		goto out;
	}
	rc = check_tx(b->s, replies, b->n - 2, err);
	replies_free(replies, b->n);
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
	    dev_key(b->s, key, sizeof(key), device, "verdict", &b->err) < 0)
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
	if (generic_key(b->s, key, k, sizeof(k), &b->err) < 0)
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
	if (generic_key(b->s, key, k, sizeof(k), &b->err) < 0)
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
	cmd_start(cmd, "EVAL");
	cmd_arg(cmd, set_if_script);
	cmd_arg(cmd, "1");
	cmd_arg(cmd, b->claim_key);
	if (back) {
		cmd_argn(cmd, b->claim_val, b->claim_len);
		cmd_arg(cmd, b->claim_expect);
	} else {
		cmd_arg(cmd, b->claim_expect);
		cmd_argn(cmd, b->claim_val, b->claim_len);
	}
}

/* A failed begin: UNWATCH, and give the claim back when it was won. */
static void batch_begin_undo(ar_store_batch_t *b, int claimed)
{
	redisReply *replies[2] = { NULL };
	cmd_t cmds[2];
	size_t n = 0;

	cmd_start(&cmds[n++], "UNWATCH");
	if (claimed)
		claim_cmd(b, &cmds[n++], 1);
	if (store_run(b->s, cmds, n, replies, 0, NULL) == 0)
		replies_free(replies, n);
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
		cmd_start(&cmds[p->n], "WATCH");
		if (b->guard)
			cmd_arg(&cmds[p->n], b->guard);
		for (i = 0; i < b->nvals; i++)
			cmd_arg(&cmds[p->n], b->val_key[i]);
		p->watch = (int)p->n++;
	}
	if (b->guard) {
		cmd_start(&cmds[p->n], "HGETALL");
		cmd_arg(&cmds[p->n], b->guard);
		p->verdict = (int)p->n++;
	}
	if (b->nvals) {
		cmd_start(&cmds[p->n], "MGET");
		for (i = 0; i < b->nvals; i++)
			cmd_arg(&cmds[p->n], b->val_key[i]);
		p->values = (int)p->n++;
	}
	if (b->claim_key) {
		claim_cmd(b, &cmds[p->n], 0);
		p->claim = (int)p->n++;
		cmd_start(&cmds[p->n], "WATCH");
		cmd_arg(&cmds[p->n], b->claim_key);
		p->claim_watch = (int)p->n++;
		cmd_start(&cmds[p->n], "GET");
		cmd_arg(&cmds[p->n], b->claim_key);
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

	if (reply_expect(b->s, r, REDIS_REPLY_ARRAY, err) < 0)
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
		if (reply_expect(b->s, replies[p->claim], REDIS_REPLY_INTEGER, err) < 0)
			return -1;
		*claimed = replies[p->claim]->integer == 1;
		if (!*claimed) {
			b->changed = b->claim_name;
			return ar_err_set(err, AR_ERR_CONFLICT, "%s changed before it could be "
					  "claimed", b->claim_key);
		}
	}
	if ((p->watch >= 0 && reply_ok(b->s, replies[p->watch], err) < 0) ||
	    (p->claim_watch >= 0 && reply_ok(b->s, replies[p->claim_watch], err) < 0))
		return -1;
	if (p->verdict >= 0) {
		got = verdict_from_reply(b->s, replies[p->verdict], &v, err);
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
	replies_free(replies, plan.n);
	if (rc < 0) {
		batch_begin_undo(b, claimed);
		return -1;
	}
	b->begun = 1;
	return 0;
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
	cmd_start(&cmd, "MGET");
	for (i = 0; i < n; i++) {
		if (generic_key(s, keys[i], k[i], sizeof(k[i]), err) < 0)
			return -1;
		cmd_arg(&cmd, k[i]);
	}
	r = store_get(s, &cmd, err);
	if (!r)
		return -1;
	if (reply_expect(s, r, REDIS_REPLY_ARRAY, err) < 0 || r->elements != n) {
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
	if (generic_key(s, key, k, sizeof(k), err) < 0)
		return -1;
	cmd_start(&cmd, "LRANGE");
	cmd_arg(&cmd, k);
	cmd_int(&cmd, 0);
	cmd_int(&cmd, max - 1);
	r = store_get(s, &cmd, err);
	if (!r)
		return -1;
	if (reply_expect(s, r, REDIS_REPLY_ARRAY, err) < 0)
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

	if (generic_key(s, key, k, sizeof(k), err) < 0)
		return -1;
	cmd_start(&cmd, "DEL");
	cmd_arg(&cmd, k);
	r = store_cmd(s, &cmd, err);
	if (!r)
		return -1;
	rc = reply_expect(s, r, REDIS_REPLY_INTEGER, err) < 0 ? -1 : r->integer > 0;
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
	if (generic_key(s, key, k, sizeof(k), err) < 0)
		return -1;
	cmd_start(&cmd, "GET");
	cmd_arg(&cmd, k);
	r = store_get(s, &cmd, err);
	if (!r)
		return -1;
	if (r->type == REDIS_REPLY_NIL) {
		rc = 0;
		goto out;
	}
	if (reply_expect(s, r, REDIS_REPLY_STRING, err) < 0)
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

/*
 *	Posture.
 */
/*
 * A posture record as commands: MULTI, DEL and HSET on the device's key,
 * EXEC, then the device added to `devices` (another slot) next to it.
 */
typedef struct replace_cmds {
	char			key[KEY_MAX], devices[KEY_MAX];
	cmd_t			cmd[5];
} replace_cmds_t;

/*
 * One device record as commands: MULTI, DEL and HSET of its hash (the
 * fields of @rec, which must outlive the commands), EXEC, then the device
 * added to `devices` (another slot) next to it.
 */
static int replace_cmds(ar_store_t *s, const char *device, const char *suffix,
			const field_t *fields, size_t n, const void *rec, replace_cmds_t *rc,
			ar_err_t *err)
{
	cmd_t *cmd = rc->cmd;

	if (ar_store_device_valid(device, err) < 0 ||
	    dev_key(s, rc->key, sizeof(rc->key), device, suffix, err) < 0 ||
	    glob_key(s, rc->devices, sizeof(rc->devices), "devices", err) < 0)
		return -1;
	cmd_start(&cmd[0], "MULTI");
	cmd_start(&cmd[1], "DEL");
	cmd_arg(&cmd[1], rc->key);
	cmd_start(&cmd[2], "HSET");
	cmd_arg(&cmd[2], rc->key);
	if (encode_args(&cmd[2], fields, n, rec, err) < 0)
		return -1;
	cmd_start(&cmd[3], "EXEC");
	cmd_start(&cmd[4], "SADD");
	cmd_arg(&cmd[4], rc->devices);
	cmd_arg(&cmd[4], device);
	return 0;
}

/* Send replace_cmds() and check every reply. */
static int replace_run(ar_store_t *s, const replace_cmds_t *rc, ar_err_t *err)
{
	redisReply *replies[5] = { NULL };
	int ret = -1;

	if (store_run(s, rc->cmd, 5, replies, 0, err) < 0)
		return -1;
	if (check_tx(s, replies, 2, err) == 0 &&
	    reply_expect(s, replies[4], REDIS_REPLY_INTEGER, err) == 0)
		ret = 0;
	replies_free(replies, 5);
	return ret;
}

int ar_store_posture_put(ar_store_t *s, const char *device, const ar_store_posture_t *p,
			 ar_err_t *err)
{
	ar_store_posture_t rec = *p;
	replace_cmds_t rc;

	if (!rec.updated_at)
		rec.updated_at = now_s();
	if (replace_cmds(s, device, "posture", posture_fields, NFIELDS(posture_fields), &rec, &rc,
			 err) < 0)
		return -1;
	return replace_run(s, &rc, err);
}

int ar_store_batch_posture(ar_store_batch_t *b, const char *device, const ar_store_posture_t *p)
{
	ar_store_posture_t rec;
	replace_cmds_t rc;

	if (!b || b->err.code)
		return -1;
	rec = *p;
	if (!rec.updated_at)
		rec.updated_at = now_s();
	if (replace_cmds(b->s, device, "posture", posture_fields, NFIELDS(posture_fields), &rec,
			 &rc, &b->err) < 0)
		return -1;
	return batch_add(b, &rc.cmd[1]) < 0 || batch_add(b, &rc.cmd[2]) < 0 ? -1
										: batch_add(b, &rc.cmd[4]);
}

/* HGETALL reply -> record; 1 found, 0 empty, -1 bad. */
static int posture_from_reply(const ar_store_t *s, const redisReply *r, ar_store_posture_t *p,
			      ar_err_t *err)
{
	int rc = hash_from_reply(s, r, posture_fields, NFIELDS(posture_fields), p, sizeof(*p),
				 "posture", err);

	if (rc == 0)
		p->status = AR_STATUS_NONE;
	return rc;
}

int ar_store_posture_get(ar_store_t *s, const char *device, ar_store_posture_t *p, ar_err_t *err)
{
	char key[KEY_MAX];
	cmd_t cmd;
	redisReply *r;
	int rc;

	if (ar_store_device_valid(device, err) < 0 ||
	    dev_key(s, key, sizeof(key), device, "posture", err) < 0)
		return -1;
	cmd_start(&cmd, "HGETALL");
	cmd_arg(&cmd, key);
	r = store_get(s, &cmd, err);
	if (!r)
		return -1;
	rc = posture_from_reply(s, r, p, err);
	freeReplyObject(r);
	return rc;
}

/*
 *	Device identity.
 */
/* KEYS[1] the identity hash; ARGV[1] the jkt to bind, ARGV[2..] its fields. */
static const char bind_script[] =
	"local cur = redis.call('HGET', KEYS[1], 'jkt') "
	"if cur then if cur == ARGV[1] then return 1 end return 0 end "
	"redis.call('HSET', KEYS[1], unpack(ARGV, 2)) return 1";

/* As bind, but only over ARGV[1], the jkt it must still have. */
static const char rekey_script[] =
	"if redis.call('HGET', KEYS[1], 'jkt') ~= ARGV[1] then return 0 end "
	"redis.call('DEL', KEYS[1]) redis.call('HSET', KEYS[1], unpack(ARGV, 2)) return 1";

/* EVAL @script 1 <identity key> @guard_jkt <fields of @id>: its integer answer. */
static int identity_eval(ar_store_t *s, const char *script, const char *device,
			 const char *guard_jkt, const ar_store_identity_t *id, ar_err_t *err)
{
	char key[KEY_MAX];
	ar_store_identity_t rec = *id;
	redisReply *r;
	cmd_t cmd;
	int rc;

	if (ar_store_device_valid(device, err) < 0 ||
	    dev_key(s, key, sizeof(key), device, "identity", err) < 0)
		return -1;
	if (strlen(rec.jkt) != AR_JWK_THUMBPRINT_LEN)
		return ar_err_set(err, AR_ERR_MALFORMED, "store: identity jkt is not a thumbprint");
	if (!rec.enrolled_at)
		rec.enrolled_at = now_s();
	cmd_start(&cmd, "EVAL");
	cmd_arg(&cmd, script);
	cmd_arg(&cmd, "1");
	cmd_arg(&cmd, key);
	cmd_arg(&cmd, guard_jkt);
	if (encode_args(&cmd, identity_fields, NFIELDS(identity_fields), &rec, err) < 0)
		return -1;
	r = store_cmd(s, &cmd, err);
	if (!r)
		return -1;
	rc = reply_expect(s, r, REDIS_REPLY_INTEGER, err) < 0 ? -1 : r->integer != 0;
	freeReplyObject(r);
	return rc;
}

/*
 * SADD or SREM @device in the set of devices a key speaks for (another
 * slot than the device's: next to, not inside, its script).
 */
static int idkey_index(ar_store_t *s, const char *op, const char *jkt, const char *device,
		       ar_err_t *err)
{
	char key[KEY_MAX];
	redisReply *r;
	cmd_t cmd;
	int rc;

	if (key_fmt(key, sizeof(key), err, "%s:idkey:%s", s->prefix, jkt) < 0)
		return -1;
	cmd_start(&cmd, op);
	cmd_arg(&cmd, key);
	cmd_arg(&cmd, device);
	r = store_cmd(s, &cmd, err);
	if (!r)
		return -1;
	rc = reply_expect(s, r, REDIS_REPLY_INTEGER, err);
	freeReplyObject(r);
	return rc;
}

int ar_store_identity_bind(ar_store_t *s, const char *device, const ar_store_identity_t *id,
			   ar_store_identity_t *current, ar_err_t *err)
{
	int rc = identity_eval(s, bind_script, device, id->jkt, id, err);

	if (rc == 1 && idkey_index(s, "SADD", id->jkt, device, err) < 0)
		return -1;
	if (rc == 0 && current && ar_store_identity_get(s, device, current, err) < 0)
		return -1;
	return rc;
}

int ar_store_identity_rekey(ar_store_t *s, const char *device, const char *old_jkt,
			    const ar_store_identity_t *id, ar_err_t *err)
{
	int rc = identity_eval(s, rekey_script, device, old_jkt, id, err);

	if (rc == 1 && (idkey_index(s, "SADD", id->jkt, device, err) < 0 ||
			idkey_index(s, "SREM", old_jkt, device, err) < 0))
		return -1;
	return rc;
}

/* HGETALL of one device hash into @rec through @from. */
static int dev_hash_get(ar_store_t *s, const char *device, const char *suffix, void *rec,
			int (*from)(const ar_store_t *, const redisReply *, void *, ar_err_t *),
			ar_err_t *err)
{
	char key[KEY_MAX];
	redisReply *r;
	cmd_t cmd;
	int rc;

	if (ar_store_device_valid(device, err) < 0 ||
	    dev_key(s, key, sizeof(key), device, suffix, err) < 0)
		return -1;
	cmd_start(&cmd, "HGETALL");
	cmd_arg(&cmd, key);
	r = store_get(s, &cmd, err);
	if (!r)
		return -1;
	rc = from(s, r, rec, err);
	freeReplyObject(r);
	return rc;
}

/* DEL of one device key: 1 removed, 0 absent. */
static int dev_key_del(ar_store_t *s, const char *device, const char *suffix, ar_err_t *err)
{
	char key[KEY_MAX];
	redisReply *r;
	cmd_t cmd;
	int rc;

	if (ar_store_device_valid(device, err) < 0 ||
	    dev_key(s, key, sizeof(key), device, suffix, err) < 0)
		return -1;
	cmd_start(&cmd, "DEL");
	cmd_arg(&cmd, key);
	r = store_cmd(s, &cmd, err);
	if (!r)
		return -1;
	rc = reply_expect(s, r, REDIS_REPLY_INTEGER, err) < 0 ? -1 : r->integer > 0;
	freeReplyObject(r);
	return rc;
}

static int identity_from_any(const ar_store_t *s, const redisReply *r, void *rec, ar_err_t *err)
{
	return hash_from_reply(s, r, identity_fields, NFIELDS(identity_fields), rec,
			       sizeof(ar_store_identity_t), "identity", err);
}

int ar_store_identity_get(ar_store_t *s, const char *device, ar_store_identity_t *id,
			  ar_err_t *err)
{
	return dev_hash_get(s, device, "identity", id, identity_from_any, err);
}

int ar_store_identity_del(ar_store_t *s, const char *device, ar_err_t *err)
{
	ar_store_identity_t id;
	int rc = ar_store_identity_get(s, device, &id, err);

	if (rc <= 0)
		return rc;
	rc = dev_key_del(s, device, "identity", err);
	if (rc >= 0 && idkey_index(s, "SREM", id.jkt, device, err) < 0)
		return -1;
	return rc;
}

/*
 *	SOC verdicts.
 */
static int verdict_from_reply(const ar_store_t *s, const redisReply *r, ar_store_verdict_t *v,
			      ar_err_t *err)
{
	int rc = hash_from_reply(s, r, verdict_fields, NFIELDS(verdict_fields), v, sizeof(*v),
				 "verdict", err);

	if (rc <= 0)
		return rc;
	if (v->status != AR_STATUS_WARNING && v->status != AR_STATUS_CONTRAINDICATED)
		return ar_err_set(err, AR_ERR_MALFORMED, "verdict: stored status is %s",
				  ar_status_name(v->status));
	return 1;
}

static int verdict_from_any(const ar_store_t *s, const redisReply *r, void *rec, ar_err_t *err)
{
	return verdict_from_reply(s, r, rec, err);
}

int ar_store_verdict_put(ar_store_t *s, const char *device, const ar_store_verdict_t *v,
			 ar_err_t *err)
{
	ar_store_verdict_t rec = *v;
	replace_cmds_t rc;

	if (v->status != AR_STATUS_WARNING && v->status != AR_STATUS_CONTRAINDICATED)
		return ar_err_set(err, AR_ERR_MALFORMED, "store: a verdict is warning or "
				  "contraindicated");
	if (!rec.set_at)
		rec.set_at = now_s();
	if (replace_cmds(s, device, "verdict", verdict_fields, NFIELDS(verdict_fields), &rec, &rc,
			 err) < 0)
		return -1;
	return replace_run(s, &rc, err);
}

int ar_store_verdict_get(ar_store_t *s, const char *device, ar_store_verdict_t *v, ar_err_t *err)
{
	return dev_hash_get(s, device, "verdict", v, verdict_from_any, err);
}

int ar_store_verdict_clear(ar_store_t *s, const char *device, ar_err_t *err)
{
	return dev_key_del(s, device, "verdict", err);
}

/*
 *	Certificates.
 */
static int cert_from_reply(const ar_store_t *s, const redisReply *r, const char *aki,
			   const char *serial, ar_store_cert_t *c, ar_err_t *err)
{
	memset(c, 0, sizeof(*c));
	if (reply_expect(s, r, REDIS_REPLY_ARRAY, err) < 0)
		return -1;
	if (r->elements == 0)
		return 0;
	if (decode_pairs(cert_fields, NFIELDS(cert_fields), c, r->element, r->elements, err) < 0)
		return ar_err_prefix(err, "certificate: ");
	snprintf(c->aki, sizeof(c->aki), "%s", aki);
	snprintf(c->serial, sizeof(c->serial), "%s", serial);
	return 1;
}

/*
 * A certificate record as commands: MULTI, the hash, its expiry, the
 * member in `certs` (pruned, same expiry), EXEC on the device's slot; then
 * the AKI+serial index and the device in `devices` next to it.
 */
typedef struct cert_cmds {
	char	key[KEY_MAX], certs[KEY_MAX], idx[KEY_MAX], devices[KEY_MAX];
	char	member[2 * AR_STORE_HEX_MAX + 2], prune[32];
	cmd_t	cmd[10];
} cert_cmds_t;

static int cert_cmds(ar_store_t *s, const ar_store_cert_t *c, cert_cmds_t *cc, ar_err_t *err)
{
	char aki[AR_STORE_HEX_MAX + 1], serial[AR_STORE_HEX_MAX + 1];
	cmd_t *cmd = cc->cmd;
	int64_t now = now_s(), expire_ms;

	if (ar_store_device_valid(c->device, err) < 0 ||
	    hex_norm(c->aki, aki, "AKI", err) < 0 ||
	    hex_norm(c->serial, serial, "serial", err) < 0 ||
	    cert_key(s, cc->key, sizeof(cc->key), c->device, aki, serial, err) < 0 ||
	    dev_key(s, cc->certs, sizeof(cc->certs), c->device, "certs", err) < 0 ||
	    key_fmt(cc->idx, sizeof(cc->idx), err, "%s:certidx:%s:%s", s->prefix, aki, serial) < 0 ||
	    glob_key(s, cc->devices, sizeof(cc->devices), "devices", err) < 0)
		return -1;
	if (c->not_after <= 0 || c->not_after > INT64_MAX / 1000 - s->cert_grace_s)
		return ar_err_set(err, AR_ERR_MALFORMED, "store: bad not_after");
	if (c->not_after + s->cert_grace_s <= now)
		return ar_err_set(err, AR_ERR_MALFORMED, "store: certificate %s expired", serial);
	expire_ms = (c->not_after + s->cert_grace_s) * 1000;
	snprintf(cc->member, sizeof(cc->member), "%s:%s", aki, serial);
	snprintf(cc->prune, sizeof(cc->prune), "(%" PRId64, now - s->cert_grace_s);

	cmd_start(&cmd[0], "MULTI");
	cmd_start(&cmd[1], "DEL");
	cmd_arg(&cmd[1], cc->key);
	cmd_start(&cmd[2], "HSET");
	cmd_arg(&cmd[2], cc->key);
	if (encode_args(&cmd[2], cert_fields, NFIELDS(cert_fields), c, err) < 0)
		return -1;
	cmd_start(&cmd[3], "PEXPIREAT");
	cmd_arg(&cmd[3], cc->key);
	cmd_int(&cmd[3], expire_ms);
	cmd_start(&cmd[4], "ZADD");
	cmd_arg(&cmd[4], cc->certs);
	cmd_int(&cmd[4], c->not_after);
	cmd_arg(&cmd[4], cc->member);
	cmd_start(&cmd[5], "ZREMRANGEBYSCORE");
	cmd_arg(&cmd[5], cc->certs);
	cmd_arg(&cmd[5], "-inf");
	cmd_arg(&cmd[5], cc->prune);
	cmd_start(&cmd[6], "PEXPIREAT");
	cmd_arg(&cmd[6], cc->certs);
	cmd_int(&cmd[6], expire_ms);
	cmd_start(&cmd[7], "EXEC");
	cmd_start(&cmd[8], "SET");
	cmd_arg(&cmd[8], cc->idx);
	cmd_arg(&cmd[8], c->device);
	cmd_arg(&cmd[8], "PXAT");
	cmd_int(&cmd[8], expire_ms);
	cmd_start(&cmd[9], "SADD");
	cmd_arg(&cmd[9], cc->devices);
	cmd_arg(&cmd[9], c->device);
	return 0;
}

int ar_store_cert_put(ar_store_t *s, const ar_store_cert_t *c, ar_err_t *err)
{
	redisReply *replies[10] = { NULL };
	cert_cmds_t cc;
	int rc = -1;

	if (cert_cmds(s, c, &cc, err) < 0 || store_run(s, cc.cmd, 10, replies, 0, err) < 0)
		return -1;
	if (check_tx(s, replies, 6, err) < 0 ||
	    reply_ok(s, replies[8], err) < 0 ||
	    reply_expect(s, replies[9], REDIS_REPLY_INTEGER, err) < 0)
		goto out;
	rc = 0;
out:
	replies_free(replies, 10);
	return rc;
}

int ar_store_batch_cert(ar_store_batch_t *b, const ar_store_cert_t *c)
{
	cert_cmds_t cc;
	size_t i;

	if (!b || b->err.code || cert_cmds(b->s, c, &cc, &b->err) < 0)
		return -1;
	for (i = 1; i < 10; i++)
		if (i != 7 && batch_add(b, &cc.cmd[i]) < 0)
			return -1;
	return 0;
}

int ar_store_cert_get(ar_store_t *s, const char *device, const char *aki_hex,
		      const char *serial_hex, ar_store_cert_t *c, ar_err_t *err)
{
	char aki[AR_STORE_HEX_MAX + 1], serial[AR_STORE_HEX_MAX + 1], key[KEY_MAX];
	cmd_t cmd;
	redisReply *r;
	int rc;

	if (ar_store_device_valid(device, err) < 0 ||
	    hex_norm(aki_hex, aki, "AKI", err) < 0 ||
	    hex_norm(serial_hex, serial, "serial", err) < 0 ||
	    cert_key(s, key, sizeof(key), device, aki, serial, err) < 0)
		return -1;
	cmd_start(&cmd, "HGETALL");
	cmd_arg(&cmd, key);
	r = store_get(s, &cmd, err);
	if (!r)
		return -1;
	rc = cert_from_reply(s, r, aki, serial, c, err);
	freeReplyObject(r);
	return rc;
}

int ar_store_cert_find(ar_store_t *s, const char *aki_hex, const char *serial_hex,
		       ar_store_cert_t *c, ar_err_t *err)
{
	char aki[AR_STORE_HEX_MAX + 1], serial[AR_STORE_HEX_MAX + 1], idx[KEY_MAX];
	char device[AR_STORE_DEVICE_MAX + 1];
	cmd_t cmd;
	redisReply *r;
	int rc = -1;

	memset(c, 0, sizeof(*c));
	if (hex_norm(aki_hex, aki, "AKI", err) < 0 ||
	    hex_norm(serial_hex, serial, "serial", err) < 0 ||
	    key_fmt(idx, sizeof(idx), err, "%s:certidx:%s:%s", s->prefix, aki, serial) < 0)
		return -1;
	cmd_start(&cmd, "GET");
	cmd_arg(&cmd, idx);
	r = store_get(s, &cmd, err);
	if (!r)
		return -1;
	if (r->type == REDIS_REPLY_NIL) {
		rc = 0;
		goto out;
	}
	if (reply_expect(s, r, REDIS_REPLY_STRING, err) < 0)
		goto out;
	if (r->len > AR_STORE_DEVICE_MAX || memchr(r->str, '\0', r->len)) {
		ar_err_set(err, AR_ERR_MALFORMED, "store: certificate index holds a bad device id");
		goto out;
	}
	memcpy(device, r->str, r->len + 1);
	rc = ar_store_cert_get(s, device, aki, serial, c, err);
out:
	freeReplyObject(r);
	return rc;
}

/* Set the given hash fields only if the hash exists; returns 1 or 0. */
static const char mark_script[] =
	"if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end "
	"redis.call('HSET', KEYS[1], unpack(ARGV)) return 1";

static int cert_mark_cmd(ar_store_t *s, const char *device, const char *aki_hex,
			 const char *serial_hex, int status, int renew_now, char *key, cmd_t *cmd,
			 ar_err_t *err)
{
	char aki[AR_STORE_HEX_MAX + 1], serial[AR_STORE_HEX_MAX + 1];

	if (ar_store_device_valid(device, err) < 0 ||
	    hex_norm(aki_hex, aki, "AKI", err) < 0 ||
	    hex_norm(serial_hex, serial, "serial", err) < 0 ||
	    cert_key(s, key, KEY_MAX, device, aki, serial, err) < 0)
		return -1;
	if (status < -1 || status > (int)AR_CERT_REVOKED || renew_now < -1 || renew_now > 1)
		return ar_err_set(err, AR_ERR_MALFORMED, "store: bad certificate mark");

	if (status < 0 && renew_now < 0) {
		cmd_start(cmd, "EXISTS");
		cmd_arg(cmd, key);
		return 0;
	}
	cmd_start(cmd, "EVAL");
	cmd_arg(cmd, mark_script);
	cmd_arg(cmd, "1");
	cmd_arg(cmd, key);
	if (status >= 0) {
		cmd_arg(cmd, "status");
		cmd_arg(cmd, ar_cert_status_name((ar_cert_status_t)status));
	}
	if (renew_now >= 0) {
		cmd_arg(cmd, "renew_now");
		cmd_arg(cmd, renew_now ? "1" : "0");
	}
	return 0;
}

int ar_store_cert_mark(ar_store_t *s, const char *device, const char *aki_hex,
		       const char *serial_hex, int status, int renew_now, ar_err_t *err)
{
	char key[KEY_MAX];
	cmd_t cmd;
	redisReply *r;
	int rc = -1;

	if (cert_mark_cmd(s, device, aki_hex, serial_hex, status, renew_now, key, &cmd, err) < 0)
		return -1;
	r = store_cmd(s, &cmd, err);
	if (!r)
		return -1;
	if (reply_expect(s, r, REDIS_REPLY_INTEGER, err) == 0)
		rc = r->integer ? 1 : 0;
	freeReplyObject(r);
	return rc;
}

int ar_store_batch_cert_mark(ar_store_batch_t *b, const char *device, const char *aki_hex,
			     const char *serial_hex, int status, int renew_now)
{
	char key[KEY_MAX];
	cmd_t cmd;

	if (!b || b->err.code ||
	    cert_mark_cmd(b->s, device, aki_hex, serial_hex, status, renew_now, key, &cmd,
			  &b->err) < 0)
		return -1;
	return batch_add(b, &cmd);
}

/* Split a `certs` member "aki:serial". */
static int member_split(const redisReply *m, char *aki, char *serial)
{
	char buf[2 * AR_STORE_HEX_MAX + 2];
	char *colon;

	if (m->type != REDIS_REPLY_STRING || m->len >= sizeof(buf))
		return -1;
	memcpy(buf, m->str, m->len + 1);
	colon = strchr(buf, ':');
	if (!colon)
		return -1;
	*colon = '\0';
	if (hex_norm(buf, aki, "AKI", NULL) < 0 || hex_norm(colon + 1, serial, "serial", NULL) < 0)
		return -1;
	return 0;
}

int ar_store_certs_of_device(ar_store_t *s, const char *device, ar_store_cert_t **out,
			     size_t *n, ar_err_t *err)
{
	char certs[KEY_MAX], key[KEY_MAX];
	char (*akis)[AR_STORE_HEX_MAX + 1] = NULL, (*serials)[AR_STORE_HEX_MAX + 1] = NULL;
	redisReply *list = NULL, **replies = NULL;
	ar_store_cert_t *res = NULL;
	cmd_t cmd, *cmds = NULL;
	size_t i, count = 0, found = 0;
	int rc = -1;

	*out = NULL;
	*n = 0;
	if (ar_store_device_valid(device, err) < 0 ||
	    dev_key(s, certs, sizeof(certs), device, "certs", err) < 0)
		return -1;
	cmd_start(&cmd, "ZREVRANGE");
	cmd_arg(&cmd, certs);
	cmd_arg(&cmd, "0");
	cmd_int(&cmd, AR_STORE_CERTS_MAX - 1);
	list = store_get(s, &cmd, err);
	if (!list)
		return -1;
	if (reply_expect(s, list, REDIS_REPLY_ARRAY, err) < 0)
		goto out;
	count = list->elements;
	if (count == 0) {
		rc = 0;
		goto out;
	}

	cmds = calloc(count, sizeof(*cmds));
	replies = calloc(count, sizeof(*replies));
	akis = calloc(count, sizeof(*akis));
	serials = calloc(count, sizeof(*serials));
	res = calloc(count, sizeof(*res));
	if (!cmds || !replies || !akis || !serials || !res) {
		ar_err_set(err, AR_ERR_NOMEM, "store: out of memory");
		goto out;
	}
	/* Each vector owns a heap copy of its key (the stack buffer is reused). */
	for (i = 0; i < count; i++) {
		char *k;

		if (member_split(list->element[i], akis[i], serials[i]) < 0) {
			ar_err_set(err, AR_ERR_MALFORMED, "store: bad member in %s", certs);
			goto out;
		}
		if (cert_key(s, key, sizeof(key), device, akis[i], serials[i], err) < 0)
			goto out;
		k = strdup(key);
		if (!k) {
			ar_err_set(err, AR_ERR_NOMEM, "store: out of memory");
			goto out;
		}
		cmd_start(&cmds[i], "HGETALL");
		cmd_arg(&cmds[i], k);
	}
	if (store_read(s, cmds, count, replies, err) < 0)
		goto out;
	for (i = 0; i < count; i++) {
		int got = cert_from_reply(s, replies[i], akis[i], serials[i], &res[found], err);

		if (got < 0)
			goto out;
		found += (size_t)got;
	}
	rc = 0;
	if (found) {
		*out = res;
		*n = found;
		res = NULL;
	}
out:
	if (cmds) {
		for (i = 0; i < count; i++) {
			if (cmds[i].argc > 1)
				free((char *)cmds[i].argv[1]);
		}
	}
	if (replies)
		replies_free(replies, count);
	free(replies);
	free(cmds);
	free(akis);
	free(serials);
	free(res);
	freeReplyObject(list);
	return rc;
}

/*
 *	The per-authentication lookup.
 */
/* The verdict stands over the posture: the worse of the two decides. */
static void verdict_fold(const ar_store_verdict_t *v, ar_store_posture_t *p, int *found)
{
	if ((*found & AR_STORE_FOUND_POSTURE) && v->status <= p->status)
		return;
	if (!(*found & AR_STORE_FOUND_POSTURE)) {
		memset(p, 0, sizeof(*p));
		p->updated_at = v->set_at;
		*found |= AR_STORE_FOUND_POSTURE;
	}
	p->status = v->status;
	/* the verdict's reason, as far as it fits after the prefix */
	snprintf(p->reason, sizeof(p->reason), "SOC: %.*s", (int)(sizeof(p->reason) - 6),
		 v->reason);
}

int ar_store_auth_lookup(ar_store_t *s, const char *device, const char *aki_hex,
			 const char *serial_hex, ar_store_posture_t *posture,
			 ar_store_cert_t *cert, ar_err_t *err)
{
	char aki[AR_STORE_HEX_MAX + 1], serial[AR_STORE_HEX_MAX + 1];
	char pkey[KEY_MAX], vkey[KEY_MAX], ckey[KEY_MAX];
	redisReply *replies[3] = { NULL };
	ar_store_verdict_t v;
	cmd_t cmds[3];
	size_t ncmds = 2;
	int rc = -1, got, found = 0;

	if (ar_store_device_valid(device, err) < 0 ||
	    dev_key(s, pkey, sizeof(pkey), device, "posture", err) < 0 ||
	    dev_key(s, vkey, sizeof(vkey), device, "verdict", err) < 0)
		return -1;
	if (aki_hex || serial_hex) {
		if (hex_norm(aki_hex, aki, "AKI", err) < 0 ||
		    hex_norm(serial_hex, serial, "serial", err) < 0 ||
		    cert_key(s, ckey, sizeof(ckey), device, aki, serial, err) < 0)
			return -1;
		ncmds = 3;
	}
	cmd_start(&cmds[0], "HGETALL");
	cmd_arg(&cmds[0], pkey);
	cmd_start(&cmds[1], "HGETALL");
	cmd_arg(&cmds[1], vkey);
	if (ncmds == 3) {
		cmd_start(&cmds[2], "HGETALL");
		cmd_arg(&cmds[2], ckey);
	}
	if (store_read(s, cmds, ncmds, replies, err) < 0)
		return -1;

	got = posture_from_reply(s, replies[0], posture, err);
	if (got < 0)
		goto out;
	if (got)
		found |= AR_STORE_FOUND_POSTURE;
	got = verdict_from_reply(s, replies[1], &v, err);
	if (got < 0)
		goto out;
	if (got) {
		found |= AR_STORE_FOUND_VERDICT;
		verdict_fold(&v, posture, &found);
	}
	if (ncmds == 3) {
		got = cert_from_reply(s, replies[2], aki, serial, cert, err);
		if (got < 0)
			goto out;
		if (got)
			found |= AR_STORE_FOUND_CERT;
	} else {
		memset(cert, 0, sizeof(*cert));
	}
	rc = found;
out:
	replies_free(replies, ncmds);
	return rc;
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
	return key_fmt(buf, size, err, "%s|%s", nas_id, acct_session_id);
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
	    dev_key(s, key, sizeof(key), device, "sessions", err) < 0 ||
	    glob_key(s, devices, sizeof(devices), "devices", err) < 0)
		return -1;
	if (ttl_s <= 0)
		return ar_err_set(err, AR_ERR_MALFORMED, "store: session ttl must be positive");
	if (strnlen(rec.nas_id, sizeof(rec.nas_id)) == sizeof(rec.nas_id) ||
	    strnlen(rec.acct_session_id, sizeof(rec.acct_session_id)) == sizeof(rec.acct_session_id))
		return ar_err_set(err, AR_ERR_MALFORMED, "store: session strings not terminated");
	if (session_field(rec.nas_id, rec.acct_session_id, field, sizeof(field), err) < 0)
		return -1;
	if (!rec.updated)
		rec.updated = now_s();
	if (session_encode(&rec, line, sizeof(line), &len, err) < 0)
		return -1;

	cmd_start(&cmds[0], "MULTI");
	cmd_start(&cmds[1], "HSET");
	cmd_arg(&cmds[1], key);
	cmd_arg(&cmds[1], field);
	cmd_argn(&cmds[1], line, len);
	cmd_start(&cmds[2], "PEXPIRE");
	cmd_arg(&cmds[2], key);
	cmd_int(&cmds[2], (int64_t)ttl_s * 1000);
	cmd_start(&cmds[3], "EXEC");
	cmd_start(&cmds[4], "SADD");
	cmd_arg(&cmds[4], devices);
	cmd_arg(&cmds[4], device);

	if (store_run(s, cmds, 5, replies, 0, err) < 0)
		return -1;
	if (check_tx(s, replies, 2, err) < 0 ||
	    reply_expect(s, replies[4], REDIS_REPLY_INTEGER, err) < 0)
		goto out;
	rc = 0;
out:
	replies_free(replies, 5);
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
	    dev_key(s, key, sizeof(key), device, "sessions", err) < 0 ||
	    session_field(nas_id, acct_session_id, field, sizeof(field), err) < 0)
		return -1;
	cmd_start(&cmd, "HDEL");
	cmd_arg(&cmd, key);
	cmd_arg(&cmd, field);
	r = store_cmd(s, &cmd, err);
	if (!r)
		return -1;
	if (reply_expect(s, r, REDIS_REPLY_INTEGER, err) == 0)
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
	    dev_key(s, key, sizeof(key), device, "sessions", err) < 0)
		return -1;
	cmd_start(&cmd, "HGETALL");
	cmd_arg(&cmd, key);
	r = store_get(s, &cmd, err);
	if (!r)
		return -1;
	if (reply_expect(s, r, REDIS_REPLY_ARRAY, err) < 0)
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

/*
 *	Devices.
 */
static int devid_cmp(const void *a, const void *b)
{
	return strcmp(((const ar_store_devid_t *)a)->id, ((const ar_store_devid_t *)b)->id);
}

/* The members of a set of device ids, sorted. */
static int device_set(ar_store_t *s, const char *key, ar_store_devid_t **out, size_t *n,
		      ar_err_t *err)
{
	ar_store_devid_t *res = NULL;
	cmd_t cmd;
	redisReply *r;
	size_t i;
	int rc = -1;

	*out = NULL;
	*n = 0;
	cmd_start(&cmd, "SMEMBERS");
	cmd_arg(&cmd, key);
	r = store_get(s, &cmd, err);
	if (!r)
		return -1;
	if (reply_expect(s, r, REDIS_REPLY_ARRAY, err) < 0)
		goto out;
	if (r->elements == 0) {
		rc = 0;
		goto out;
	}
	res = calloc(r->elements, sizeof(*res));
	if (!res) {
		ar_err_set(err, AR_ERR_NOMEM, "store: out of memory");
		goto out;
	}
	for (i = 0; i < r->elements; i++) {
		const redisReply *m = r->element[i];

		if (m->type != REDIS_REPLY_STRING || m->len > AR_STORE_DEVICE_MAX ||
		    memchr(m->str, '\0', m->len)) {
			ar_err_set(err, AR_ERR_MALFORMED, "store: bad member in %s", key);
			goto out;
		}
		memcpy(res[i].id, m->str, m->len + 1);
	}
	qsort(res, r->elements, sizeof(*res), devid_cmp);
	*out = res;
	*n = r->elements;
	res = NULL;
	rc = 0;
out:
	free(res);
	freeReplyObject(r);
	return rc;
}

int ar_store_devices(ar_store_t *s, ar_store_devid_t **out, size_t *n, ar_err_t *err)
{
	char key[KEY_MAX];

	*out = NULL;
	*n = 0;
	if (glob_key(s, key, sizeof(key), "devices", err) < 0)
		return -1;
	return device_set(s, key, out, n, err);
}

int ar_store_identity_devices(ar_store_t *s, const char *jkt, ar_store_devid_t **out, size_t *n,
			      ar_err_t *err)
{
	char key[KEY_MAX];

	*out = NULL;
	*n = 0;
	if (!jkt || strlen(jkt) != AR_JWK_THUMBPRINT_LEN)
		return ar_err_set(err, AR_ERR_MALFORMED, "store: not a key thumbprint");
	if (key_fmt(key, sizeof(key), err, "%s:idkey:%s", s->prefix, jkt) < 0)
		return -1;
	return device_set(s, key, out, n, err);
}

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

	if (glob_key(s, key, sizeof(key), "events", err) < 0 ||
	    name_valid(rec.type, "event type", err) < 0)
		return -1;
	if (rec.device[0] && ar_store_device_valid(rec.device, err) < 0)
		return -1;
	if (!rec.ts)
		rec.ts = now_s();
	cmd_start(&cmd, "XADD");
	cmd_arg(&cmd, key);
	cmd_arg(&cmd, "MAXLEN");
	cmd_arg(&cmd, "~");
	cmd_int(&cmd, s->event_maxlen);
	cmd_arg(&cmd, "*");
	if (encode_args(&cmd, event_fields, NFIELDS(event_fields), &rec, err) < 0)
		return -1;
	r = store_cmd(s, &cmd, err);
	if (!r)
		return -1;
	if (reply_expect(s, r, REDIS_REPLY_STRING, err) < 0)
		goto out;
	if (id)
		snprintf(id, AR_STORE_EVENT_ID_MAX + 1, "%s", r->str);
	rc = 0;
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
	if (glob_key(s, key, sizeof(key), "events", err) < 0 ||
	    name_valid(group, "group", err) < 0)
		return -1;
	if (!printable_token(start, AR_STORE_EVENT_ID_MAX, 0))
		return ar_err_set(err, AR_ERR_MALFORMED, "store: bad stream start id");
	cmd_start(&cmd, "XGROUP");
	cmd_arg(&cmd, "CREATE");
	cmd_arg(&cmd, key);
	cmd_arg(&cmd, group);
	cmd_arg(&cmd, start);
	cmd_arg(&cmd, "MKSTREAM");
	r = store_cmd(s, &cmd, err);
	if (!r)
		return -1;
	if (r->type == REDIS_REPLY_ERROR && !strncmp(r->str, "BUSYGROUP", 9))
		rc = 0;
	else if (reply_ok(s, r, err) == 0)
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
	if (decode_pairs(event_fields, NFIELDS(event_fields), ev, fields->element,
			 fields->elements, err) < 0)
		return ar_err_prefix(err, "event %s: ", ev->id);
	return 0;
}

/* An array of entries into @out; returns how many were written. */
static int events_from_list(const ar_store_t *s, const redisReply *list, ar_store_event_t *out,
			    size_t max, ar_err_t *err)
{
	size_t i, n = 0;

	if (reply_expect(s, list, REDIS_REPLY_ARRAY, err) < 0)
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

	if (glob_key(s, key, sizeof(key), "events", err) < 0 ||
	    name_valid(group, "group", err) < 0 ||
	    name_valid(consumer, "consumer", err) < 0)
		return -1;
	if (block_ms < 0)
		return ar_err_set(err, AR_ERR_MALFORMED, "store: negative block time");
	if (max == 0)
		return 0;
	cmd_start(&cmd, "XREADGROUP");
	cmd_arg(&cmd, "GROUP");
	cmd_arg(&cmd, group);
	cmd_arg(&cmd, consumer);
	cmd_arg(&cmd, "COUNT");
	cmd_int(&cmd, count_arg(max));
	if (!pending && block_ms > 0) {
		extra = block_ms > MAX_BLOCK_MS ? MAX_BLOCK_MS : block_ms;
		cmd_arg(&cmd, "BLOCK");
		cmd_int(&cmd, extra);
	}
	cmd_arg(&cmd, "STREAMS");
	cmd_arg(&cmd, key);
	cmd_arg(&cmd, pending ? "0" : ">");
	if (store_run(s, &cmd, 1, &r, extra, err) < 0)
		return -1;
	if (r->type == REDIS_REPLY_NIL) {
		rc = 0;
		goto out;
	}
	if (reply_expect(s, r, REDIS_REPLY_ARRAY, err) < 0)
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

	if (glob_key(s, key, sizeof(key), "events", err) < 0 ||
	    name_valid(group, "group", err) < 0)
		return -1;
	if (n == 0)
		return 0;
	if (n > INT32_MAX)
		return ar_err_set(err, AR_ERR_TOO_LARGE, "store: too many ids");
	for (i = 0; i < n; i++) {
		if (!printable_token(ids[i], AR_STORE_EVENT_ID_MAX, 0))
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
			cmd_start(c, "XACK");
			cmd_arg(c, key);
			cmd_arg(c, group);
		}
		cmd_arg(c, ids[i]);
	}
	if (store_run(s, cmds, ncmds, replies, 0, err) < 0)
		goto out;
	for (i = 0; i < ncmds; i++) {
		if (reply_expect(s, replies[i], REDIS_REPLY_INTEGER, err) < 0)
			goto out;
		acked += replies[i]->integer;
	}
	rc = (int)acked;
out:
	if (replies)
		replies_free(replies, ncmds);
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

	if (glob_key(s, key, sizeof(key), "events", err) < 0 ||
	    name_valid(group, "group", err) < 0 ||
	    name_valid(consumer, "consumer", err) < 0)
		return -1;
	if (min_idle_ms < 0)
		return ar_err_set(err, AR_ERR_MALFORMED, "store: negative idle time");
	if (!printable_token(start, AR_STORE_EVENT_ID_MAX, 0))
		return ar_err_set(err, AR_ERR_MALFORMED, "store: bad claim cursor");
	if (max == 0)
		return 0;
	cmd_start(&cmd, "XAUTOCLAIM");
	cmd_arg(&cmd, key);
	cmd_arg(&cmd, group);
	cmd_arg(&cmd, consumer);
	cmd_int(&cmd, min_idle_ms);
	cmd_arg(&cmd, start);
	cmd_arg(&cmd, "COUNT");
	cmd_int(&cmd, count_arg(max));
	r = store_cmd(s, &cmd, err);
	if (!r)
		return -1;
	/* [next-cursor, [entries], [deleted ids]] */
	if (reply_expect(s, r, REDIS_REPLY_ARRAY, err) < 0)
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

	if (glob_key(s, key, sizeof(key), "events", err) < 0)
		return -1;
	if (max == 0)
		return 0;
	cmd_start(&cmd, "XREVRANGE");
	cmd_arg(&cmd, key);
	cmd_arg(&cmd, "+");
	cmd_arg(&cmd, "-");
	cmd_arg(&cmd, "COUNT");
	cmd_int(&cmd, count_arg(max));
	r = store_get(s, &cmd, err);
	if (!r)
		return -1;
	rc = events_from_list(s, r, out, max, err);
	freeReplyObject(r);
	return rc;
}
