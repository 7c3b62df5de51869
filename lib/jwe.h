/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file jwe.h
 * @brief JSON Web Encryption (RFC 7516) for attestation evidence.
 *
 * One profile only: key agreement ECDH-ES+A256KW to the recipient's EC key,
 * content encryption A256GCM, flattened JSON serialization. Everything else
 * (other algorithms, "zip", general serialization with several recipients)
 * is refused on decryption.
 */
#ifndef AR_JWE_H
#define AR_JWE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"
#include "jwk.h"

#define AR_JWE_ALG	"ECDH-ES+A256KW"
#define AR_JWE_ENC	"A256GCM"

/**
 * Encrypt @p len bytes to @p recipient (an EC public key).
 *
 * @param cty	optional content type for the protected header (e.g. the
 *		CMW media type), or NULL.
 * @return a new flattened JWE object, or NULL.
 */
json_t *ar_jwe_encrypt(const void *pt, size_t len, const ar_jwk_t *recipient,
		       const char *cty, ar_err_t *err);

/**
 * Decrypt a flattened JWE with the private key @p key.
 *
 * @param max		largest plaintext accepted (AR_ERR_TOO_LARGE beyond).
 * @param[out] pt	malloc'd plaintext, NUL-terminated (caller frees).
 * @return 0, or -1 with AR_ERR_MALFORMED, AR_ERR_BAD_ALG (alg/enc not the
 *	   profile's, or zip), AR_ERR_TOO_LARGE, or AR_ERR_BAD_SIGNATURE
 *	   (authentication failed: wrong key or tampered data).
 */
int ar_jwe_decrypt(const json_t *jwe, const ar_jwk_t *key, size_t max,
		   uint8_t **pt, size_t *ptlen, ar_err_t *err);

/** As ar_jwe_decrypt(), from JSON text (duplicate members rejected). */
int ar_jwe_decrypt_text(const char *text, size_t len, const ar_jwk_t *key, size_t max,
			uint8_t **pt, size_t *ptlen, ar_err_t *err);

#endif
