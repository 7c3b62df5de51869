/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file httpd.h
 * @brief The HTTPS front of the daemons: libmicrohttpd with TLS, an epoll
 *	  thread pool and bounded requests, behind one handler callback.
 *
 * The handler sees a complete request (method, path, query, headers, body
 * already read and capped) and fills a response; it never touches
 * libmicrohttpd. Enforced here, before the handler runs:
 *
 * - framing (http_framing.h): a request whose body length readers could
 *   disagree on (two Content-Lengths, Transfer-Encoding with Content-Length,
 *   a Content-Length that is not a plain decimal...) is answered 400 from
 *   its header section, its body unread;
 * - body size: a Content-Length above max_body is answered 413 from the
 *   header section too; a chunked body is read up to max_body, then dropped
 *   up to 1 MiB more and answered 413, or the connection is closed;
 * - a connection answered before its body was read is closed with a
 *   lingering close (linger.h), so that a client still sending reads the
 *   answer instead of a reset;
 * - a request's deadline: the TLS handshake and header section within
 *   timeout_s of the connection's start (or of the previous answer), the
 *   body within timeout_s more, however slowly its bytes come (deadline.h);
 * - connection count, connections per client address, idle connection
 *   timeout (slow clients are dropped), memory per connection (64 KiB: a
 *   larger request line or header section gets libmicrohttpd's own 414 or
 *   431).
 *
 * The answers this layer gives itself are the service's problem documents
 * (ar_http_problem_t). The ones libmicrohttpd gives before any of this runs
 * (a request line or header section it cannot parse) are its own.
 */
#ifndef AR_HTTPD_H
#define AR_HTTPD_H

#include <stddef.h>

#include <jansson.h>

#include "err.h"

typedef struct ar_httpd ar_httpd_t;
typedef struct ar_http_req ar_http_req_t;

/** Response being built by a handler. */
typedef struct ar_http_resp {
	int		status;
	char		*body;		/**< malloc'd; owned by the response */
	size_t		len;
	char		content_type[96];
	size_t		nheaders;
	struct {
		char	name[48];
		char	value[512];
	} headers[8];
} ar_http_resp_t;

typedef void (*ar_http_handler_t)(void *ctx, const ar_http_req_t *req, ar_http_resp_t *resp);

/** What the HTTP layer refuses, or fails at, by itself. */
typedef enum ar_http_fault {
	AR_HTTP_MALFORMED,	/**< 400: framing or header fields (http_framing.h) */
	AR_HTTP_TOO_LARGE,	/**< 413: body above max_body */
	AR_HTTP_INTERNAL,	/**< 500: the handler gave no answer */
	AR_HTTP_UNAVAILABLE,	/**< 503: the server is stopping */
} ar_http_fault_t;

/**
 * Words an answer the HTTP layer gives itself the way the service words its
 * own: fills @p resp with a problem document of @p status whose type is the
 * service's for @p fault, with @p detail, and the headers every answer of
 * the service carries (the CA's Replay-Nonce and index Link). Called on an
 * HTTP thread with the handler's ctx.
 */
typedef void (*ar_http_problem_t)(void *ctx, ar_http_resp_t *resp, int status,
				  ar_http_fault_t fault, const char *detail);

typedef struct ar_httpd_opts {
	const char	*address;	/**< IPv4 or IPv6 literal, default 127.0.0.1 */
	int		port;		/**< 0 = ephemeral (see ar_httpd_port) */
	const char	*cert_file;	/**< PEM certificate chain (required) */
	const char	*key_file;	/**< PEM private key (required) */
	unsigned	threads;	/**< epoll threads; 0: ar_httpd_threads(0) */
	unsigned	workers;	/**< threads for ar_http_resp_defer(); 0: none */
	unsigned	max_connections;	/**< default 1024 */
	unsigned	max_per_ip;	/**< connections per client address; 0 = unlimited */
	unsigned	timeout_s;	/**< idle connection timeout, default 10 */
	size_t		max_body;	/**< default 64 KiB */
	/** Optional; without it, "about:blank" problem documents. */
	ar_http_problem_t problem;
} ar_httpd_opts_t;

/** Start serving; returns NULL with AR_ERR_IO/AR_ERR_CONFIG on failure. */
ar_httpd_t *ar_httpd_start(const ar_httpd_opts_t *opts, ar_http_handler_t handler, void *ctx,
			   ar_err_t *err);

/** The HTTP threads for @p configured: itself, or for 0 twice the online cores (4 to 64). */
unsigned ar_httpd_threads(unsigned configured);

/** The bound port (useful with port 0). */
int ar_httpd_port(const ar_httpd_t *h);

/** Stop accepting, finish, free. */
void ar_httpd_stop(ar_httpd_t *h);

/* Request accessors. */
const char *ar_http_method(const ar_http_req_t *req);
/** Path without the query string, e.g. "/challenge-response/v1/newSession". */
const char *ar_http_path(const ar_http_req_t *req);
const char *ar_http_header(const ar_http_req_t *req, const char *name);
/**
 * How many field lines named @p name (case-insensitive) the request has:
 * ar_http_header() gives the first one only, so a check on a field that is
 * no list (Origin, a token) refuses a request that sends it twice.
 */
size_t ar_http_header_count(const ar_http_req_t *req, const char *name);
const char *ar_http_query(const ar_http_req_t *req, const char *name);
const char *ar_http_body(const ar_http_req_t *req, size_t *len);
/** Peer address as text ("127.0.0.1"). */
const char *ar_http_peer(const ar_http_req_t *req);

/**
 * Media type of the request without parameters equals @p type
 * (case-insensitive).
 */
int ar_http_content_type_is(const ar_http_req_t *req, const char *type);

/**
 * Answer on a worker thread: for a request that will wait on other servers
 * (an HTTP fetch, a DNS query), so that it never holds one of the HTTP
 * threads and the connections they serve. The handler returns at once,
 * leaving @p resp otherwise untouched; its connection is suspended and the
 * handler is called again for the same request on one of opts.workers
 * threads, whose answer is sent.
 * @return 0, or -1 when there are no workers or this already runs on one:
 *	   the handler answers itself.
 */
int ar_http_resp_defer(const ar_http_req_t *req, ar_http_resp_t *resp);

/* Response helpers. Each replaces any body set before. */
void ar_http_resp_header(ar_http_resp_t *resp, const char *name, const char *value);
/** JSON body (@p body is consumed). */
void ar_http_resp_json(ar_http_resp_t *resp, int status, const char *content_type, json_t *body);
/** Raw body (copied). */
void ar_http_resp_text(ar_http_resp_t *resp, int status, const char *content_type,
		       const char *body, size_t len);
/** RFC 7807 problem document: {"type": type, "detail": detail, "status": status}. */
void ar_http_resp_problem(ar_http_resp_t *resp, int status, const char *type,
			  const char *detail_fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
