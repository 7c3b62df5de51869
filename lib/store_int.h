/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the pieces of the store share, and nothing outside lib/store_*.c
 * may include: the handle and batch structures, command vectors, the
 * pipelined exchange, the key schema and the field tables.
 *
 *   store_conn.c     connection, command vectors, pipelined exchange, open/close
 *   store_sentinel.c the primary found through Redis Sentinel
 *   store_field.c    validation, keys, field tables (record <-> HSET/HGETALL)
 *   store_value.c    generic values (the CA's accounts, orders, authorizations)
 *   store_batch.c    write batches: MULTI/EXEC, guards, claims
 *   store_device.c   posture, device identity, SOC verdicts, device sets
 *   store_cert.c     certificates and the per-authentication lookup
 *   store_session.c  RADIUS sessions
 *   store_event.c    the event stream
 *
 * The functions below have external linkage only so that these files can
 * share them: they are hidden from the shared library's symbol table and
 * carry the store_ prefix, which nothing outside the store uses.
 */
#ifndef ACME_RATS_STORE_INT_H
#define ACME_RATS_STORE_INT_H

#include <stddef.h>
#include <stdint.h>

#include <hiredis/hiredis.h>

#include "buf.h"
#include "store.h"

#pragma GCC visibility push(hidden)

#define KEY_MAX		640	/* prefix + device + two hex strings + punctuation */
#define MAX_ARGS	24	/* the longest command is XADD with every event field */

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
	int		role_lost;	/* a reply said this node is no usable primary */
	ar_metrics_t	*metrics;	/* ar_store_opts_t::metrics, or NULL */
	struct {			/* Redis Sentinel (store_sentinel.c); n = 0: not used */
		struct {
			char	host[64];
			int	port;
		}		at[AR_STORE_SENTINELS_MAX];
		size_t		n;
		size_t		next;	/* the one to ask first: the last that answered */
		char		*master;
		char		*password;
		char		primary[80];	/* "host:port" last confirmed, "" none yet */
		unsigned	seed;	/* jitter */
	} sentinel;
	struct {			/* replica acknowledgement (store_durable()) */
		int		want;	/* AR_STORE_ACK_AUTO, 0 or N */
		int		timeout_ms;
		int		accept;	/* a shortfall succeeds, logged */
		int		seen;	/* auto: a replica was seen connected */
		int64_t		checked_at;	/* auto: ROLE last asked (ar_mono_ms), 0 never
						   on this connection */
		int		short_;	/* in a shortfall episode (logged once) */
	} ack;
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
	ar_buf_t	buf;
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
	int		durable;	/* holds a record replicas must confirm */
};

/*
 *	Command vectors (store_conn.c): arguments point into caller memory,
 *	which must outlive the exchange; integers are formatted into num[].
 */
typedef struct cmd {
	int		argc;
	int		overflow;
	const char	*argv[MAX_ARGS];
	size_t		argvlen[MAX_ARGS];
	char		num[MAX_ARGS][24];
} cmd_t;

void store_cmd_start(cmd_t *cmd, const char *name);
void store_cmd_arg(cmd_t *cmd, const char *s);
void store_cmd_argn(cmd_t *cmd, const char *p, size_t len);
void store_cmd_int(cmd_t *cmd, int64_t v);

/*
 *	Replies (store_conn.c). Each returns 0 or -1 with @err set.
 */
int store_reply_error(const ar_store_t *s, const redisReply *r, ar_err_t *err);
int store_reply_expect(const ar_store_t *s, const redisReply *r, int type, ar_err_t *err);
int store_reply_ok(const ar_store_t *s, const redisReply *r, ar_err_t *err);
void store_replies_free(redisReply **replies, size_t n);
int store_check_tx(const ar_store_t *s, redisReply **replies, size_t nq, ar_err_t *err);

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

int store_xchg(ar_store_t *s, const xchg_t *x, ar_err_t *err);
struct timeval store_ms_tv(int ms);
/* Count a Redis error of @kind ("connect", "timeout", "io", "role") in s->metrics. */
void store_count_error(ar_store_t *s, const char *kind);
int store_connect_to(ar_store_t *s, const char *host, int port, int timeout_ms, ar_err_t *err);
void store_drop(ar_store_t *s);

/*
 *	Redis Sentinel (store_sentinel.c).
 */
int store_sentinel_parse(ar_store_t *s, const char *list, ar_err_t *err);
int store_sentinel_connect(ar_store_t *s, ar_err_t *err);
/*
 * After a write the replicas did not confirm: ask a sentinel whether the
 * node this store writes to is still the primary it names; when it names
 * another (a second failover left this one a primary nobody replicates),
 * drop the connection so that the next call finds the primary again.
 */
void store_sentinel_recheck(ar_store_t *s);
int store_read(ar_store_t *s, const cmd_t *cmds, size_t n, redisReply **replies,
	       ar_err_t *err);
int store_run(ar_store_t *s, const cmd_t *cmds, size_t n, redisReply **replies,
	      int extra_ms, ar_err_t *err);
redisReply *store_cmd(ar_store_t *s, const cmd_t *cmd, ar_err_t *err);
redisReply *store_get(ar_store_t *s, const cmd_t *cmd, ar_err_t *err);
int store_once_settle(ar_store_t *s, ar_err_t *err);
int store_durable(ar_store_t *s, ar_err_t *err);

/*
 *	Validation and keys (store_field.c).
 */
int store_printable(const char *v, size_t max, int braces_ok);
int store_name_valid(const char *v, const char *what, ar_err_t *err);
int store_hex_norm(const char *in, char *out, const char *what, ar_err_t *err);
int store_key_fmt(char *buf, size_t size, ar_err_t *err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int store_dev_key(const ar_store_t *s, char *buf, size_t size, const char *device,
		  const char *suffix, ar_err_t *err);
int store_cert_key(const ar_store_t *s, char *buf, size_t size, const char *device,
		   const char *aki, const char *serial, ar_err_t *err);
int store_glob_key(const ar_store_t *s, char *buf, size_t size, const char *suffix,
		   ar_err_t *err);
int64_t store_now(void);

/*
 *	Field tables (store_field.c); each record's table lives beside it.
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

#define NFIELDS(t)	(sizeof(t) / sizeof((t)[0]))

#define FPTR(rec, f)	((char *)(rec) + (f)->off)
#define FCPTR(rec, f)	((const char *)(rec) + (f)->off)

int store_field_str(const field_t *f, const void *rec, const char **p, size_t *len,
		    ar_err_t *err);
int store_encode_args(cmd_t *cmd, const field_t *fields, size_t n, const void *rec,
		      ar_err_t *err);
int store_encode_args_sparse(cmd_t *cmd, const field_t *fields, size_t n, const void *rec,
			     int sparse, ar_err_t *err);
int store_field_set(const field_t *f, void *rec, const char *val, size_t len, ar_err_t *err);
const field_t *store_field_find(const field_t *fields, size_t n, const char *name, size_t len);
int store_check_required(const field_t *fields, size_t n, uint32_t seen, ar_err_t *err);
int store_decode_pairs(const field_t *fields, size_t n, void *rec, redisReply *const *el,
		       size_t count, ar_err_t *err);
int store_decode_pairs_alias(const field_t *fields, const field_t *alias, size_t n, void *rec,
			     redisReply *const *el, size_t count, ar_err_t *err);
int store_hash_from_reply(const ar_store_t *s, const redisReply *r, const field_t *fields,
			  size_t n, void *rec, size_t size, const char *what, ar_err_t *err);

/*
 *	Generic values (store_value.c).
 */
extern const char store_set_if_script[];
int store_generic_key(const ar_store_t *s, const char *key, char *buf, size_t size,
		      ar_err_t *err);
int store_set_cmd(ar_store_t *s, const char *key, const char *val, size_t len, int64_t ttl_ms,
		  int nx, cmd_t *cmd, char *k, ar_err_t *err);

/*
 *	Batches (store_batch.c) and the records read inside a begin or a lookup
 *	(store_device.c).
 */
int store_batch_add(ar_store_batch_t *b, const cmd_t *cmd);
int store_posture_from_reply(const ar_store_t *s, const redisReply *r, ar_store_posture_t *p,
			     ar_err_t *err);
int store_verdict_from_reply(const ar_store_t *s, const redisReply *r, ar_store_verdict_t *v,
			     ar_err_t *err);

#pragma GCC visibility pop

#endif
