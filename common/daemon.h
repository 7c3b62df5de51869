/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file daemon.h
 * @brief What every acme-rats daemon shares: the [server], [redis] and [log]
 *	  configuration sections, secret files, per-thread Redis connections,
 *	  and the signal loop.
 */
#ifndef AR_DAEMON_H
#define AR_DAEMON_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "err.h"
#include "httpd.h"
#include "store.h"

/** [server]: the HTTPS listener. */
typedef struct daemon_server_conf {
	char		*listen;
	int64_t		port;
	char		*tls_cert;
	char		*tls_key;
	int64_t		threads;
	int64_t		max_connections;
	int64_t		max_per_ip;	/**< per client address; 0 = no limit */
	int64_t		timeout;	/**< ms */
	int64_t		max_body;	/**< bytes */
} daemon_server_conf_t;

/** [redis]: the shared store. */
typedef struct daemon_redis_conf {
	char		*host;
	int64_t		port;
	char		*unix_socket;
	char		*username;
	char		*password_file;
	int64_t		connect_timeout;	/**< ms */
	int64_t		command_timeout;	/**< ms */
} daemon_redis_conf_t;

/** [log]. */
typedef struct daemon_log_conf {
	int		level;		/**< ar_log_level_t */
} daemon_log_conf_t;

extern const ar_conf_rule_t daemon_server_rules[];
extern const ar_conf_rule_t daemon_redis_rules[];
extern const ar_conf_rule_t daemon_log_rules[];

/**
 * A configuration section. Unnamed sections ([redis]) are bound into the
 * struct at @c offset of the base; named ones ([profile "x"], any number)
 * are handed to @c each, which binds them itself.
 */
typedef struct daemon_section {
	const char		*name;
	const ar_conf_rule_t	*rules;
	size_t			offset;
	int			(*each)(void *base, const ar_conf_section_t *s, ar_err_t *err);
} daemon_section_t;

/**
 * Load @p path and bind every listed section (absent ones get defaults).
 * Unknown sections, names on unnamed sections and root keys are errors.
 */
int daemon_conf_load(const char *path, const daemon_section_t *sections, size_t n, void *base,
		     ar_err_t *err);
void daemon_conf_free(const daemon_section_t *sections, size_t n, void *base);

/** First line of a secret file that others cannot read. */
int daemon_read_secret(const char *path, char *out, size_t size, ar_err_t *err);

/** A 32-byte key from a file of 64 hex digits, or random when @p path is NULL. */
int daemon_read_key(const char *path, uint8_t key[32], ar_err_t *err);

/** Listener options from [server], with the service's problem documents. */
void daemon_httpd_opts(const daemon_server_conf_t *c, ar_http_problem_t problem,
		       ar_httpd_opts_t *o);

/** Redis connections, one per thread, opened on first use. */
typedef struct daemon_stores {
	ar_store_opts_t	opts;
	char		password[256];
	pthread_key_t	key;
	int		key_made;
} daemon_stores_t;

int daemon_stores_init(daemon_stores_t *s, const daemon_redis_conf_t *c, ar_err_t *err);
ar_store_t *daemon_store(daemon_stores_t *s, ar_err_t *err);
void daemon_stores_free(daemon_stores_t *s);

/**
 * Block SIGTERM/SIGINT/SIGHUP in every thread to come, ignore SIGPIPE.
 * Call before starting threads.
 */
void daemon_signals_block(void);

/** Wait for SIGTERM or SIGINT (SIGHUP is logged and ignored); returns it. */
int daemon_wait(void);

/** What daemon_main() needs to know of a daemon. */
typedef struct daemon_spec {
	const char		*name;		/**< program name, e.g. "acme-rats-ca" */
	const char		*config;	/**< default configuration path */
	/** Optional: the service's problem documents for the answers the HTTP
	 *  layer gives itself (400 framing, 413, 500, 503). */
	ar_http_problem_t	problem;
	void			*ctx;		/**< the daemon's state, passed back */
	/** Load configuration and keys; on failure @p err names file and line. */
	int			(*load)(void *ctx, const char *path, ar_err_t *err);
	/** Where load() puts the [server] and [log] sections. */
	const daemon_server_conf_t *server;
	const daemon_log_conf_t	*log;
	/** Optional: threads for requests handed over by ar_http_resp_defer(). */
	const int64_t		*workers;
	/** One line of key=value facts for the start-up and --check-config lines. */
	void			(*describe)(void *ctx, char *buf, size_t size);
	ar_http_handler_t	handler;
	/** Optional: background work started once the listener runs, stopped before it stops. */
	int			(*start)(void *ctx, ar_err_t *err);
	void			(*stop)(void *ctx);
	void			(*release)(void *ctx);
} daemon_spec_t;

/**
 * The whole life of an HTTPS daemon: options (-c, --check-config, -h, -V),
 * configuration, logging, signals, serving until SIGTERM/SIGINT, release.
 * Returns the process exit status.
 */
int daemon_main(int argc, char **argv, const daemon_spec_t *spec);

#endif
