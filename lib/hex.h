/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file hex.h
 * @brief Hex encoding of bytes: the one encoder and decoder of the code
 *	  base (key identifiers and serials as FreeRADIUS prints them, ARI
 *	  CertIDs, percent-encoding).
 */
#ifndef AR_HEX_H
#define AR_HEX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

/** Room for the hex of @p n bytes and the NUL. */
#define AR_HEX_SIZE(n)	(2 * (n) + 1)

/**
 * Lower-case hex of @p n bytes at @p in into @p out, NUL-terminated.
 *
 * @param size	bytes at @p out: at least AR_HEX_SIZE(@p n).
 * @return 0, or -1 with AR_ERR_TOO_LARGE when @p out is too small (it is
 *	   then left untouched).
 */
int ar_hex_encode(const void *in, size_t n, char *out, size_t size, ar_err_t *err);

/** As ar_hex_encode(), with upper-case digits (percent-encoding, RFC 3986 2.1). */
int ar_hex_encode_upper(const void *in, size_t n, char *out, size_t size, ar_err_t *err);

/** The value of one hex digit (either case), or -1. */
int ar_hex_digit(int c);

/**
 * The bytes of @p len hex digits (either case) at @p in into @p out.
 *
 * @return the number of bytes (@p len / 2), or -1 when @p len is odd, a
 *	   character is no hex digit, or the bytes need more than @p size;
 *	   @p out may then hold part of the result.
 */
ssize_t ar_hex_decode(const char *in, size_t len, uint8_t *out, size_t size);

#endif
