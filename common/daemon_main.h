/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file daemon_main.h
 * @brief The HTTPS daemons' main(): options, configuration, the listener
 *	  (httpd.h), signals and shutdown, around a daemon's callbacks.
 */
#ifndef AR_DAEMON_MAIN_H
#define AR_DAEMON_MAIN_H

#include <stddef.h>
#include <stdint.h>

#include "daemon.h"
#include "err.h"
#include "httpd.h"

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
