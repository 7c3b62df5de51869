/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The growable buffer: doubling growth bounded by a cap, overflow-checked
 * sizes, and a NUL always after the bytes.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

#define MIN_ALLOC	64

void ar_buf_init(ar_buf_t *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

/* The most bytes @b may hold: its cap, and room for the NUL in a size_t. */
static size_t buf_limit(const ar_buf_t *b)
{
	return b->max < SIZE_MAX - 1 ? b->max : SIZE_MAX - 1;
}

ar_errc_t ar_buf_reserve(ar_buf_t *b, size_t n)
{
	size_t limit = buf_limit(b), need, cap;
	char *grown;

	if (n > limit - b->len)
		return AR_ERR_TOO_LARGE;
	need = b->len + n + 1;		/* <= limit + 1: cannot overflow */
	if (need <= b->cap)
		return AR_OK;
	cap = b->cap < MIN_ALLOC ? MIN_ALLOC : b->cap;
	while (cap < need)
		cap = cap > (limit + 1) / 2 ? limit + 1 : cap * 2;
	if (cap > limit + 1)
		cap = limit + 1;
	grown = realloc(b->data, cap);
	if (!grown)
		return AR_ERR_NOMEM;
	if (!b->data)
		grown[0] = '\0';
	b->data = grown;
	b->cap = cap;
	return AR_OK;
}

ar_errc_t ar_buf_append(ar_buf_t *b, const void *p, size_t n)
{
	ar_errc_t rc = ar_buf_reserve(b, n);

	if (rc != AR_OK)
		return rc;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return AR_OK;
}

ar_errc_t ar_buf_vprintf(ar_buf_t *b, const char *fmt, va_list ap)
{
	va_list again;
	ar_errc_t rc;
	int n;

	va_copy(again, ap);
	n = vsnprintf(NULL, 0, fmt, again);
	va_end(again);
	if (n < 0)
		return AR_ERR_MALFORMED;
	rc = ar_buf_reserve(b, (size_t)n);
	if (rc != AR_OK)
		return rc;
	/* room for n bytes and the NUL: vsnprintf writes them all */
	if (vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap) != n) {
		b->data[b->len] = '\0';
		return AR_ERR_MALFORMED;
	}
	b->len += (size_t)n;
	return AR_OK;
}

ar_errc_t ar_buf_printf(ar_buf_t *b, const char *fmt, ...)
{
	va_list ap;
	ar_errc_t rc;

	va_start(ap, fmt);
	rc = ar_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

char *ar_buf_steal(ar_buf_t *b, size_t *len)
{
	char *data = b->data;

	if (len)
		*len = data ? b->len : 0;
	if (!data)
		data = calloc(1, 1);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	return data;
}

void ar_buf_reset(ar_buf_t *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void ar_buf_free(ar_buf_t *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}
