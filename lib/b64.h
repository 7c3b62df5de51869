/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file b64.h
 * @brief base64url without padding (RFC 7515 section 2, RFC 4648 section 5).
 *
 * Decoding is strict: padding, characters outside the URL-safe alphabet,
 * impossible lengths and non-zero trailing bits are all rejected, so every
 * byte string has exactly one accepted encoding.
 */
#ifndef AR_B64_H
#define AR_B64_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/** Length of the encoding of @p n bytes, without the terminating NUL. */
size_t ar_b64url_enc_len(size_t n);

/** Upper bound of the decoded length of @p n encoded characters. */
size_t ar_b64url_dec_max(size_t n);

/**
 * Encode @p n bytes into @p out (NUL-terminated).
 *
 * @return 0, or -1 if @p outsz < ar_b64url_enc_len(n) + 1.
 */
int ar_b64url_encode(const void *in, size_t n, char *out, size_t outsz);

/** Encode into a new malloc'd string (caller frees). NULL on allocation failure. */
char *ar_b64url_encode_alloc(const void *in, size_t n);

/**
 * Decode @p n characters of @p in into @p out.
 *
 * @param[out] outlen	bytes written.
 * @return 0, or -1 with AR_ERR_MALFORMED (bad encoding) or AR_ERR_TOO_LARGE
 *	   (does not fit @p outsz).
 */
int ar_b64url_decode(const char *in, size_t n, uint8_t *out, size_t outsz,
		     size_t *outlen, ar_err_t *err);

/**
 * Decode into a new malloc'd buffer (caller frees), NUL-terminated for
 * convenience (the NUL is not counted in @p outlen).
 *
 * @return the buffer, or NULL with AR_ERR_MALFORMED or AR_ERR_NOMEM.
 */
uint8_t *ar_b64url_decode_alloc(const char *in, size_t n, size_t *outlen, ar_err_t *err);

/** Longest input ar_b64_decode_lenient() takes. */
#define AR_B64_LENIENT_MAX	256

/**
 * Decode base64url or standard base64, padded or not: for values peers
 * spell either way (Veraison writes nonces in standard base64, ACME in
 * base64url). Still strict on everything else (alphabet per position,
 * length, trailing bits).
 *
 * @return 0, or -1 with AR_ERR_MALFORMED or AR_ERR_TOO_LARGE (input over
 *	   AR_B64_LENIENT_MAX characters or output over @p outsz).
 */
int ar_b64_decode_lenient(const char *in, uint8_t *out, size_t outsz, size_t *outlen,
			  ar_err_t *err);

#endif
