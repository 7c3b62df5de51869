/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file http.h
 * @brief The helper's one HTTPS client (libcurl): every request the helper
 *	  makes goes through here, with the same limits.
 *
 * Only https:// URLs are allowed and the server certificate and host name
 * are always verified (against @c ca_bundle, else the system store).
 * Redirects are not followed. Each request is bounded by a connect timeout,
 * a total timeout and a response body cap.
 */
#ifndef AR_COMMON_HTTP_H
#define AR_COMMON_HTTP_H

#include <stddef.h>

#include "err.h"

#define HTTP_URL_MAX		2048
#define HTTP_DEFAULT_CONNECT_MS	10000
#define HTTP_DEFAULT_TOTAL_MS	30000
#define HTTP_DEFAULT_MAX_BODY	(256 * 1024)

typedef struct http_opts {
	const char	*ca_bundle;	/**< PEM trust anchors; NULL: the system store */
	long		connect_ms;	/**< connect timeout; 0: the default */
	long		total_ms;	/**< whole-request timeout; 0: the default */
	size_t		max_body;	/**< response body cap; 0: the default */
} http_opts_t;

/** A response. Release with http_resp_free(). */
typedef struct http_resp {
	long	status;
	char	content_type[160];	/**< "" when absent or too long */
	char	location[HTTP_URL_MAX];	/**< "" when absent */
	int	location_too_long;
	char	replay_nonce[128];	/**< ACME Replay-Nonce; "" when absent or too long */
	long	retry_after;		/**< Retry-After in seconds from now; -1 when absent */
	char	*body;			/**< NUL-terminated, never NULL after success */
	size_t	len;
} http_resp_t;

typedef struct http_client http_client_t;

/** Global library set-up; call once from main() before threads. */
int http_global_init(ar_err_t *err);
void http_global_cleanup(void);

/** A client (one connection cache). @p o is copied. NULL on failure. */
http_client_t *http_client_new(const http_opts_t *o, ar_err_t *err);
void http_client_free(http_client_t *c);

/**
 * Perform one request.
 *
 * @param method	"GET" or "POST".
 * @param ctype		request Content-Type (POST), or NULL.
 * @param accept	Accept header value, or NULL.
 * @return 0 when a response arrived (any status), or -1 with
 *	   AR_ERR_UNAVAILABLE (resolve, connect, TLS failure), AR_ERR_TIMEOUT,
 *	   AR_ERR_TOO_LARGE (body above the cap) or AR_ERR_CONFIG (URL not
 *	   https, unreadable CA bundle).
 */
int http_request(http_client_t *c, const char *method, const char *url, const char *ctype,
		 const void *body, size_t len, const char *accept, http_resp_t *out,
		 ar_err_t *err);

/** As http_request(), with an Authorization header value (e.g. "Bearer ..."), or NULL. */
int http_request_auth(http_client_t *c, const char *method, const char *url, const char *ctype,
		      const void *body, size_t len, const char *accept, const char *authorization,
		      http_resp_t *out, ar_err_t *err);

void http_resp_free(http_resp_t *r);

#endif
