/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file daemon.h
 * @brief What every acme-rats daemon shares: the [server], [redis] and [log]
 *	  configuration sections, secret files and per-thread Redis
 *	  connections. Free of the HTTP server (that is daemon_main.h).
 */
#ifndef AR_DAEMON_H
#define AR_DAEMON_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "err.h"
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
	char		*sentinels;		/**< "host:port,...": the primary by Sentinel */
	char		*master_name;
	char		*sentinel_password_file;
	char		*min_replicas_ack;	/**< "auto" or 0..AR_STORE_ACK_MAX */
	int64_t		replica_ack_timeout;	/**< ms */
	int		on_replica_timeout;	/**< 0 refuse, 1 accept */
} daemon_redis_conf_t;

/**
 * [metrics]: the Prometheus scrape endpoint GET /metrics. Served on the
 * service's own listener when @c token_file is set (the scraper sends
 * "Authorization: Bearer <token>"), and on a listener of its own when
 * @c listen is set ("host:port"; the token too when set, and a listen
 * address other than loopback needs one). Neither: no /metrics.
 */
typedef struct daemon_metrics_conf {
	char		*listen;
	char		*token_file;
} daemon_metrics_conf_t;

/** [log]. */
typedef struct daemon_log_conf {
	int		level;		/**< ar_log_level_t */
} daemon_log_conf_t;

extern const ar_conf_rule_t daemon_server_rules[];
extern const ar_conf_rule_t daemon_redis_rules[];
extern const ar_conf_rule_t daemon_log_rules[];
extern const ar_conf_rule_t daemon_metrics_rules[];

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

/** Redis connections, one per thread, opened on first use. */
typedef struct daemon_stores {
	ar_store_opts_t	opts;
	char		password[256];
	char		sentinel_password[256];
	pthread_key_t	key;
	int		key_made;
	ar_metrics_t	*metrics;	/**< ar_store_metric_defs: Redis errors, failovers */
} daemon_stores_t;

int daemon_stores_init(daemon_stores_t *s, const daemon_redis_conf_t *c, ar_err_t *err);
ar_store_t *daemon_store(daemon_stores_t *s, ar_err_t *err);
void daemon_stores_free(daemon_stores_t *s);

#endif
