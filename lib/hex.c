/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Hex encoding of bytes, lower- or upper-case. */
#include "config.h"

#include <stdint.h>

#include "hex.h"

static int encode(const void *in, size_t n, char *out, size_t size, const char *digits,
		  ar_err_t *err)
{
	const uint8_t *b = in;
	size_t i;

	if (n > (SIZE_MAX - 1) / 2 || size < AR_HEX_SIZE(n))
		return ar_err_set(err, AR_ERR_TOO_LARGE, "buffer too small for %zu bytes of hex", n);
	for (i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 0x0f];
	}
	out[2 * n] = '\0';
	return 0;
}

int ar_hex_encode(const void *in, size_t n, char *out, size_t size, ar_err_t *err)
{
	return encode(in, n, out, size, "0123456789abcdef", err);
}

int ar_hex_encode_upper(const void *in, size_t n, char *out, size_t size, ar_err_t *err)
{
	return encode(in, n, out, size, "0123456789ABCDEF", err);
}
