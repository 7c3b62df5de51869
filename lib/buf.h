/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file buf.h
 * @brief A growable byte buffer with a cap: the one way the code base grows
 *	  a buffer (HTTP bodies, files read to EOF, pipelined Redis commands).
 *
 * The bytes are always NUL-terminated once the buffer holds memory, so a
 * text can be handed on as a C string. Growth doubles the allocation
 * (amortised O(1) appends), never past the cap, and every size computation
 * is checked for overflow.
 *
 * @code
 *	ar_buf_t b = AR_BUF_INIT(64 * 1024);
 *
 *	if (ar_buf_append(&b, data, n) != AR_OK || ar_buf_printf(&b, "%d", i) != AR_OK)
 *		goto error;
 *	text = ar_buf_steal(&b, &len);
 * @endcode
 */
#ifndef AR_BUF_H
#define AR_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/** A buffer. Initialise with AR_BUF_INIT() or ar_buf_init(); release with ar_buf_free(). */
typedef struct ar_buf {
	char	*data;	/**< NULL until memory is reserved; then NUL-terminated */
	size_t	len;	/**< bytes held, without the NUL */
	size_t	cap;	/**< bytes allocated, the NUL included */
	size_t	max;	/**< most bytes it may hold, without the NUL */
} ar_buf_t;

/** The cap of a buffer bounded only by memory (and a size_t). */
#define AR_BUF_UNBOUNDED	SIZE_MAX

/** Static initialiser of an empty buffer holding at most @p max bytes. */
#define AR_BUF_INIT(max)	{ NULL, 0, 0, (max) }

/** An empty buffer holding at most @p max bytes (AR_BUF_UNBOUNDED: no cap). */
void ar_buf_init(ar_buf_t *b, size_t max);

/**
 * Make room for @p n more bytes (and the NUL) without a further allocation.
 *
 * @return AR_OK; AR_ERR_TOO_LARGE when len + @p n would pass the cap (or
 *	   overflow a size_t); AR_ERR_NOMEM. The buffer is unchanged on failure.
 */
ar_errc_t ar_buf_reserve(ar_buf_t *b, size_t n);

/**
 * Append @p n bytes from @p p (which may be NULL when @p n is 0).
 *
 * @return as ar_buf_reserve(); nothing is appended on failure.
 */
ar_errc_t ar_buf_append(ar_buf_t *b, const void *p, size_t n);

/**
 * Append the text of @p fmt formatted as by printf (without its NUL).
 *
 * @return as ar_buf_reserve(), or AR_ERR_MALFORMED when vsnprintf fails;
 *	   nothing is appended on failure.
 */
ar_errc_t ar_buf_printf(ar_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** ar_buf_printf() with a va_list. */
ar_errc_t ar_buf_vprintf(ar_buf_t *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/**
 * Take the bytes out: the caller owns the returned memory (free()), which
 * is NUL-terminated; an empty buffer yields an allocated "". The buffer is
 * left empty, holding no memory, with its cap.
 *
 * @param[out] len	bytes returned, without the NUL (may be NULL).
 * @return the bytes, or NULL when the buffer held none and "" could not be
 *	   allocated (*len is then 0).
 */
char *ar_buf_steal(ar_buf_t *b, size_t *len);

/** Forget the bytes but keep the memory (len 0, data "" when allocated). */
void ar_buf_reset(ar_buf_t *b);

/** Release the memory; the buffer is empty again, with its cap. */
void ar_buf_free(ar_buf_t *b);

#endif
