/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jose/b64.h>

#include "b64.h"

size_t ar_b64url_enc_len(size_t n)
{
	return n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0);
}

size_t ar_b64url_dec_max(size_t n)
{
	return n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0);
}

int ar_b64url_encode(const void *in, size_t n, char *out, size_t outsz)
{
	size_t len = ar_b64url_enc_len(n);

	if (outsz < len + 1)
		return -1;
	if (n && jose_b64_enc_buf(in, n, out, outsz) != len)
		return -1;
	out[len] = '\0';
	return 0;
}

char *ar_b64url_encode_alloc(const void *in, size_t n)
{
	size_t size = ar_b64url_enc_len(n) + 1;
	char *out = malloc(size);

	if (out && ar_b64url_encode(in, n, out, size) < 0) {
		free(out);
		out = NULL;
	}
	return out;
}

int ar_b64url_decode(const char *in, size_t n, uint8_t *out, size_t outsz,
		     size_t *outlen, ar_err_t *err)
{
	size_t len;

	*outlen = 0;
	if (n == 0)
		return 0;
	if (n % 4 == 1)
		return ar_err_set(err, AR_ERR_MALFORMED, "base64url: impossible length %zu", n);
	if (ar_b64url_dec_max(n) > outsz)
		return ar_err_set(err, AR_ERR_TOO_LARGE,
				  "base64url: %zu characters decode to more than %zu bytes", n, outsz);
	len = jose_b64_dec_buf(in, n, out, outsz);
	if (len == SIZE_MAX)
		return ar_err_set(err, AR_ERR_MALFORMED, "base64url: invalid encoding");
	*outlen = len;
	return 0;
}

uint8_t *ar_b64url_decode_alloc(const char *in, size_t n, size_t *outlen, ar_err_t *err)
{
	size_t size = ar_b64url_dec_max(n) + 1;
	uint8_t *out = malloc(size);

	if (!out) {
		ar_err_set(err, AR_ERR_NOMEM, "base64url: out of memory");
		return NULL;
	}
	if (ar_b64url_decode(in, n, out, size, outlen, err) < 0) {
		free(out);
		return NULL;
	}
	out[*outlen] = '\0';
	return out;
}
