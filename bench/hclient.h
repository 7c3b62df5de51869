/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file hclient.h
 * @brief The load generators' HTTPS client: one keep-alive HTTP/1.1
 *	  connection over OpenSSL, blocking, one write per request.
 *
 * A load generator shares the machine with the server it measures, so
 * every syscall and copy it saves is CPU the server gets. This client does
 * only what the generators need: https:// URLs on one host and port,
 * Content-Length or chunked bodies, the ACME response headers, the server
 * certificate verified against a CA file (host name or IP address), a
 * timeout on every read and write, a cap on the body. A connection the
 * server closed while idle is reopened once, transparently. The program
 * ignores SIGPIPE (a write to a closed connection is an error, not a signal).
 */
#ifndef AR_BENCH_HCLIENT_H
#define AR_BENCH_HCLIENT_H

#include <stddef.h>

#include "err.h"
#include "http.h"	/* http_resp_t, released with http_resp_free() */

typedef struct hc hc_t;

/** A client trusting the PEM certificates in @p ca_file. NULL on failure (@p err says why). */
hc_t *hc_new(const char *ca_file, long timeout_ms, ar_err_t *err);
void hc_free(hc_t *c);

/**
 * One request: @p method "GET", "HEAD" or "POST" (with @p ctype and @p body).
 * 0 when a response arrived (any status), -1 with @p err on a transport
 * error (the connection is closed, the next request opens a new one).
 */
int hc_request(hc_t *c, const char *method, const char *url, const char *ctype, const void *body,
	       size_t len, http_resp_t *out, ar_err_t *err);

/**
 * As hc_request(), with @p headers: NULL or a NULL-terminated list of
 * complete header lines ("Name: value", no CR LF), sent as given.
 */
int hc_request_headers(hc_t *c, const char *method, const char *url, const char *const *headers,
		       const char *ctype, const void *body, size_t len, http_resp_t *out,
		       ar_err_t *err);

#endif
