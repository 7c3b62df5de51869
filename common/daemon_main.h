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

#include "buf.h"
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
	/** Optional: [metrics] as load() bound it, and the text exposition of
	 *  the daemon's metrics for GET /metrics (0, or -1 on failure). */
	const daemon_metrics_conf_t *metrics;
	int			(*metrics_render)(void *ctx, ar_buf_t *out);
} daemon_spec_t;

/** What stands in front of a daemon's handler: GET /metrics (daemon_metrics.c). */
typedef struct daemon_front {
	const daemon_spec_t	*spec;
	char			token[256];	/**< bearer token, "" when none */
	int			on_main;	/**< /metrics on the service's listener */
	int			own;		/**< /metrics on a listener of its own */
	char			host[64];
	int			port;
	ar_httpd_t		*listener;
} daemon_front_t;

/** Read [metrics] (its token file) and decide where /metrics is served. */
int daemon_metrics_setup(daemon_front_t *f, const daemon_spec_t *spec, ar_err_t *err);
/** The service listener's handler and problem callback (ctx: the front). */
void daemon_front_handler(void *ctx, const ar_http_req_t *req, ar_http_resp_t *resp);
void daemon_front_problem(void *ctx, ar_http_resp_t *resp, int status, ar_http_fault_t fault,
			  const char *detail);
/** Start the metrics listener, if [metrics] listen asks for one (TLS as @p service). */
int daemon_metrics_start(daemon_front_t *f, const ar_httpd_opts_t *service, ar_err_t *err);
void daemon_metrics_stop(daemon_front_t *f);

/**
 * The whole life of an HTTPS daemon: options (-c, --check-config, -h, -V),
 * configuration, logging, signals, serving until SIGTERM/SIGINT, release.
 * Returns the process exit status.
 */
int daemon_main(int argc, char **argv, const daemon_spec_t *spec);

#endif
