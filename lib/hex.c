/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Hex encoding of bytes, lower- or upper-case, and its decoding. */
#include "config.h"

#include <limits.h>
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

int ar_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

ssize_t ar_hex_decode(const char *in, size_t len, uint8_t *out, size_t size)
{
	size_t i;

	if (len % 2 || len / 2 > size || len / 2 > SSIZE_MAX)
		return -1;
	for (i = 0; i < len / 2; i++) {
		int hi = ar_hex_digit((unsigned char)in[2 * i]);
		int lo = ar_hex_digit((unsigned char)in[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (ssize_t)(len / 2);
}
