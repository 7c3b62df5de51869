/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file http_framing.h
 * @brief Where a request's body ends: agreed on by every reader, or the
 *	  request is refused before it is read (RFC 9112 6.3).
 *
 * libmicrohttpd 0.9.75 frames a request by its first Transfer-Encoding
 * field, else by its first Content-Length field, and lets every other one
 * through to the application. A proxy in front may pick another field and
 * take the rest of the body for the next request (request smuggling). The
 * checker sees each header field as received and refuses, as malformed
 * (400):
 *
 * - a Content-Length that is not a plain decimal (1*DIGIT: no sign, no
 *   blank, no hexadecimal, no list), or two with different values;
 * - Transfer-Encoding together with Content-Length, in an HTTP/1.0 request,
 *   in more than one field, or other than exactly the one coding "chunked";
 * - a field name that is not a token (such as "Content-Length " with a blank
 *   before the colon), a field value holding CR, LF or NUL (RFC 9110 5);
 * - a name that extends Content-Length's or Transfer-Encoding's: how
 *   libmicrohttpd 0.9.75 hands over such a field folded onto a continuation
 *   line (obs-fold, RFC 9112 5.2);
 * - an HTTP/1.1 request without Host, or with more than one (RFC 9112 3.2);
 *
 * and, when nothing is malformed, a Content-Length above the body limit as
 * too large (413). The first refusal stands; its @c detail says what and
 * why, quoting at most a few printable characters of the value.
 *
 * Pure code over bytes (libFuzzer target: fuzz/fuzz_http_framing.c).
 */
#ifndef AR_HTTP_FRAMING_H
#define AR_HTTP_FRAMING_H

#include <stddef.h>
#include <stdint.h>

/** What the header fields say of the body. */
typedef enum ar_framing {
	AR_FRAMING_OK = 0,		/**< one length, or chunked, within the limit */
	AR_FRAMING_MALFORMED,		/**< 400: readers could disagree */
	AR_FRAMING_TOO_LARGE,		/**< 413: Content-Length above the limit */
} ar_framing_t;

/** The state of one request's check; fill with ar_http_framing_init(). */
typedef struct ar_http_framing {
	ar_framing_t	verdict;
	char		detail[200];	/**< why, when not AR_FRAMING_OK */
	int		http10;		/**< HTTP/1.0: no Host needed, no Transfer-Encoding */
	unsigned	ncl;		/**< Content-Length fields (saturating) */
	unsigned	nte;		/**< Transfer-Encoding fields */
	unsigned	nhost;		/**< Host fields */
	uint64_t	length;		/**< the Content-Length; UINT64_MAX past 2^64-1 */
} ar_http_framing_t;

/**
 * Start checking a request of @p version ("HTTP/1.1", "HTTP/1.0"; NULL is
 * taken as HTTP/1.1).
 */
void ar_http_framing_init(ar_http_framing_t *f, const char *version);

/**
 * One header field as received: @p name without the colon, @p value
 * without the blanks that follow the colon. Lengths are explicit; the
 * bytes need not be NUL-terminated and may hold any byte.
 * @return 0 to go on, -1 once the request is malformed (the remaining
 *	   fields need not be fed).
 */
int ar_http_framing_field(ar_http_framing_t *f, const char *name, size_t name_len,
			  const char *value, size_t value_len);

/**
 * Field @p name was folded onto a continuation line (obs-fold): whoever
 * hands the fields over saw it (the caller of this module, from how
 * libmicrohttpd laid the field out). Refused as malformed. @return -1.
 */
int ar_http_framing_folded(ar_http_framing_t *f, const char *name, size_t name_len);

/**
 * After the last field: the verdict, with @p max_body the largest body
 * taken. Checks that need every field (Transfer-Encoding with
 * Content-Length, Host) run here.
 */
ar_framing_t ar_http_framing_end(ar_http_framing_t *f, uint64_t max_body);

#endif
