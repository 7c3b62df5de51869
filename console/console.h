/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file console.h
 * @brief acme-rats-console: the NOC/SOC web console. Configuration, the
 *	  state its handlers share, and its parts: login sessions (auth.c),
 *	  the JSON views and actions (api.c), the event stream (events.c).
 */
#ifndef AR_CONSOLE_H
#define AR_CONSOLE_H

#include <pthread.h>
#include <stdint.h>
#include <sys/stat.h>

#include "console_users.h"
#include "daemon.h"
#include "fleet_ops.h"
#include "httpd.h"
#include "store.h"

/** Problem type prefix of the console's errors. */
#define CONSOLE_PROBLEM "urn:acme-rats:console:error:"

#define CONSOLE_COOKIE		"ar_console"
#define CONSOLE_SESSIONS_MAX	1024
#define CONSOLE_SESSIONS_PER_USER	16	/* a new login ends the user's oldest beyond this */
#define CONSOLE_TOKEN_LEN	43	/**< base64url of 32 random bytes */
#define CONSOLE_LIMITS_MAX	512

/** Settings, as bound from console.conf (docs/console.md). */
typedef struct console_conf {
	daemon_server_conf_t	server;
	daemon_redis_conf_t	redis;
	daemon_log_conf_t	log;
	ops_soc_conf_t		soc;
	/* [console] */
	char		*users_file;
	char		*www_dir;
	char		*origin;		/**< e.g. "https://noc.example.net:8443" */
	int64_t		session_ttl;		/**< ms, from login */
	int64_t		idle_timeout;		/**< ms, since the last request */
	int64_t		login_failures;		/**< per user and per address, per window */
	int64_t		login_window;		/**< ms */
	int64_t		stream_hold;		/**< ms an event stream request waits for news */
	int64_t		renew_before;		/**< ms before notAfter the helper renews at the latest */
	int64_t		workers;		/**< threads for the event streams and SOC calls */
	int64_t		streams_per_session;	/**< a new stream beyond it ends the oldest */
	int64_t		streams_per_user;	/**< a new stream beyond it ends the oldest */
	int64_t		streams_max;		/**< all streams; below workers (0: 3/4 of them) */
} console_conf_t;

/** One logged-in user. */
typedef struct console_session {
	char		token[CONSOLE_TOKEN_LEN + 1];	/**< the cookie; "" = free slot */
	char		csrf[CONSOLE_TOKEN_LEN + 1];	/**< the X-CSRF-Token header */
	char		user[CU_NAME_MAX + 1];
	cu_role_t	role;				/**< the users file's, as of the last request */
	char		hash[CU_HASH_MAX + 1];		/**< the password hash it logged in with */
	uint64_t	id;				/**< names the session in the stream table */
	int64_t		created_ms, last_ms;
} console_session_t;

/**
 * One event stream answer that holds (or waits for) a worker. A slot is
 * taken on the HTTP thread before the request is queued and given back
 * when the worker is done with it, so the slots in use bound the workers
 * streams can hold. Keyed by the request, which is the same object on the
 * HTTP thread and on the worker.
 */
typedef struct console_stream {
	const void	*req;			/**< NULL = free */
	uint64_t	session;
	char		user[CU_NAME_MAX + 1];
	int64_t		started_ms;
	int		ended;			/**< displaced by a newer one: answer now */
} console_stream_t;

/**
 * Failed logins of one user name or one client address, in the current
 * window, and the attempts whose password is being checked right now: an
 * attempt is reserved before its scrypt and settled after it, so
 * concurrent attempts cannot all pass the check before any has failed.
 */
typedef struct console_limit {
	char		key[80];
	int64_t		since_ms;
	int64_t		failures;
	int64_t		inflight;
} console_limit_t;

/** A static file, read once at start. */
typedef struct console_file {
	const char	*name;
	const char	*type;
	char		*body;
	size_t		len;
} console_file_t;

typedef struct console {
	console_conf_t		conf;
	daemon_stores_t		stores;
	console_file_t		files[3];
	char			dummy_hash[CU_HASH_MAX + 1];	/**< for unknown users */

	pthread_mutex_t		lock;			/**< sessions and limits */
	console_session_t	*sessions;
	console_limit_t		*limits;
	uint64_t		next_session_id;
	console_stream_t	*streams;		/**< conf.streams_max slots */

	pthread_mutex_t		users_lock;		/**< the users table below */
	cu_user_t		*users;			/**< the users file as last read */
	size_t			nusers;
	struct stat		users_st;		/**< its status then (0: not read) */
} console_t;

/** Load configuration and the static files; on error @p err names the file. */
int console_load(console_t *c, const char *path, ar_err_t *err);
void console_free(console_t *c);

/** The HTTP entry point (ar_http_handler_t). */
void console_handle(void *ctx, const ar_http_req_t *req, ar_http_resp_t *resp);

/* auth.c */
void console_login(console_t *c, const ar_http_req_t *req, ar_http_resp_t *resp);
void console_logout(console_t *c, const ar_http_req_t *req, ar_http_resp_t *resp);
/**
 * The session of the request's cookie, copied into @p out, or 0 after
 * answering 401. For a state-changing request (@p change), also the
 * Origin check and the X-CSRF-Token header (403 when either fails).
 */
int console_session(console_t *c, const ar_http_req_t *req, int change, console_session_t *out,
		    ar_http_resp_t *resp);
/** {"user", "role", "csrf", "may_flag", "may_disconnect"} of a session. */
json_t *console_me_json(const console_session_t *s);
/** Whether the request's Origin header is the console's own. */
int console_origin_ok(const console_t *c, const ar_http_req_t *req);

/* api.c */
void console_api(console_t *c, const console_session_t *s, const ar_http_req_t *req,
		 ar_http_resp_t *resp);

/* events.c */
void console_events(console_t *c, const ar_http_req_t *req, ar_http_resp_t *resp);
/** "<ms>-<seq>" stream ids in order: <0, 0, >0. */
int console_id_cmp(const char *a, const char *b);
json_t *console_event_json(const ar_store_event_t *e);

/** The security headers every answer carries (CSP, frame options...). */
void console_secure_headers(ar_http_resp_t *resp);

#endif
