/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file http01.h
 * @brief The built-in http-01 responder (RFC 8555 8.3): a plain HTTP
 *	  listener on the configured address that answers
 *	  GET /.well-known/acme-challenge/<token> with the key authorization,
 *	  and 404 to everything else. It runs only while an order is validated.
 */
#ifndef AR_HELPER_HTTP01_H
#define AR_HELPER_HTTP01_H

#include "err.h"

#define HTTP01_MAX_TOKENS	8

typedef struct http01 http01_t;

/** Listen on @p addr (IPv4 or IPv6 literal) and @p port. */
http01_t *http01_start(const char *addr, int port, ar_err_t *err);

/** Serve @p token with the key authorization "token.thumbprint". */
int http01_add(http01_t *h, const char *token, const char *thumbprint, ar_err_t *err);

void http01_stop(http01_t *h);

#endif
