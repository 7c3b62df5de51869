/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file jws.h
 * @brief JSON Web Signatures (RFC 7515): flattened JSON and compact forms.
 *
 * Parsing is strict and policy is explicit: a caller states which algorithms
 * a given use accepts (an account key never signs with a MAC, an EAB inner
 * JWS only with one), "none" is never accepted, duplicate JSON members are
 * rejected, and any "crit" header parameter is refused because this library
 * implements no extension that would need one. Signature arithmetic is
 * OpenSSL's (libjose's for a MAC): ECDSA and RSA through a digest that
 * streams the signing input, EdDSA (RFC 8037, Ed25519) over the whole
 * input at once.
 */
#ifndef AR_JWS_H
#define AR_JWS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"
#include "jwk.h"

/** Signature algorithms known to this library. */
typedef enum ar_alg {
	AR_ALG_UNKNOWN = 0,
	AR_ALG_ES256,
	AR_ALG_ES384,
	AR_ALG_RS256,
	AR_ALG_HS256,
	AR_ALG_EDDSA,		/**< "EdDSA" with an Ed25519 key (RFC 8037 3.1) */
} ar_alg_t;

#define AR_ALG_BIT(a)		(1u << (a))
/** Algorithms an ACME account key or a device identity key may sign with. */
#define AR_ALGS_ASYMMETRIC	(AR_ALG_BIT(AR_ALG_ES256) | AR_ALG_BIT(AR_ALG_ES384) | \
				 AR_ALG_BIT(AR_ALG_RS256) | AR_ALG_BIT(AR_ALG_EDDSA))
/** Algorithms of the External Account Binding inner JWS. */
#define AR_ALGS_EAB		AR_ALG_BIT(AR_ALG_HS256)

/** Upper bound of a protected header's decoded size. */
#define AR_JWS_MAX_HEADER	8192

/** A parsed JWS. Fields are owned by the structure; release with ar_jws_clear(). */
typedef struct ar_jws {
	json_t		*header;	/**< decoded protected header (object) */
	uint8_t		*payload;	/**< decoded payload, NUL-terminated */
	size_t		payload_len;	/**< payload length without the NUL */
	ar_alg_t	alg;		/**< from the protected header */
	json_t		*jose;		/**< flattened form as libjose reads it */
	uint8_t		*sig;		/**< decoded signature */
	size_t		sig_len;
} ar_jws_t;

/** "ES256" -> AR_ALG_ES256; AR_ALG_UNKNOWN for anything else, "none" included. */
ar_alg_t ar_alg_from_name(const char *name);
const char *ar_alg_name(ar_alg_t alg);

/**
 * Parse a flattened JSON serialization: an object with exactly "protected",
 * "payload" and "signature" (no unprotected "header", no "signatures").
 *
 * @param max	reject bodies longer than this (AR_ERR_TOO_LARGE).
 * @return 0, or -1 with AR_ERR_MALFORMED, AR_ERR_TOO_LARGE, AR_ERR_BAD_ALG
 *	   (missing, "none" or unknown alg) or AR_ERR_UNSUPPORTED (crit).
 *	   On failure @p out is left cleared.
 */
int ar_jws_parse_flat(const char *body, size_t len, size_t max, ar_jws_t *out, ar_err_t *err);

/** As ar_jws_parse_flat(), from an already parsed JSON object. */
int ar_jws_parse_json(const json_t *obj, ar_jws_t *out, ar_err_t *err);

/** Parse a compact serialization "header.payload.signature" (e.g. a JWT). */
int ar_jws_parse_compact(const char *text, size_t len, size_t max, ar_jws_t *out, ar_err_t *err);

/**
 * Verify the signature with @p key.
 *
 * @param allowed	AR_ALG_BIT() mask of acceptable algorithms.
 * @return 0, or -1 with AR_ERR_BAD_ALG (alg not allowed or not matching the
 *	   key type/curve) or AR_ERR_BAD_SIGNATURE.
 */
int ar_jws_verify(const ar_jws_t *jws, const ar_jwk_t *key, unsigned allowed, ar_err_t *err);

/** Borrowed string member of the protected header, or NULL. */
const char *ar_jws_header_str(const ar_jws_t *jws, const char *name);

void ar_jws_clear(ar_jws_t *jws);

/**
 * Sign @p payload into a flattened JWS.
 *
 * @param header	protected header members (not consumed; may be NULL);
 *			"alg" is set from the key when absent.
 * @return a new JSON object {"protected","payload","signature"}, or NULL.
 */
json_t *ar_jws_sign(const json_t *header, const void *payload, size_t len,
		    const ar_jwk_t *key, ar_err_t *err);

/** Sign into a compact serialization; returns a malloc'd string or NULL. */
char *ar_jws_sign_compact(const json_t *header, const void *payload, size_t len,
			  const ar_jwk_t *key, ar_err_t *err);

#endif
