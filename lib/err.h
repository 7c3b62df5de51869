/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file err.h
 * @brief Error codes and the error record every libacmerats call fills in.
 *
 * Functions that can fail return 0 on success and -1 on failure; when the
 * caller passes a non-NULL ::ar_err_t, it receives a code (what kind of
 * failure, so the ACME layer can pick a problem type) and a one-line,
 * human-readable message that never contains secret material.
 */
#ifndef AR_ERR_H
#define AR_ERR_H

#include <stddef.h>

/** Kinds of failure. Stable: the ACME and RADIUS layers map these. */
typedef enum ar_errc {
	AR_OK = 0,
	AR_ERR_MALFORMED,	/**< syntax or structure of untrusted input is wrong */
	AR_ERR_BAD_ALG,		/**< algorithm missing, "none", or not allowed here */
	AR_ERR_BAD_SIGNATURE,	/**< signature or MAC did not verify */
	AR_ERR_UNSUPPORTED,	/**< well-formed but not supported (e.g. unknown crit) */
	AR_ERR_TOO_LARGE,	/**< input above a size or depth limit */
	AR_ERR_NOT_FOUND,	/**< requested item does not exist */
	AR_ERR_IO,		/**< file, socket or process I/O failed */
	AR_ERR_TIMEOUT,		/**< a bounded wait ran out */
	AR_ERR_NOMEM,		/**< allocation failed */
	AR_ERR_CRYPTO,		/**< a crypto library call failed internally */
	AR_ERR_CONFIG,		/**< configuration invalid */
	AR_ERR_UNAVAILABLE,	/**< a dependency (Redis, verifier) is unreachable */
	AR_ERR_BAD_NONCE,	/**< anti-replay nonce missing, malformed or not valid */
	AR_ERR_UNAUTHORIZED,	/**< signer or URL not entitled to this request */
	AR_ERR_CONFLICT,	/**< a compare-and-set lost: the state changed meanwhile */
	AR_ERR_BAD_KEY,		/**< a well-formed key refused: its type, curve or size is
				     not accepted, or it is no valid key of its kind (RSA
				     exponent, EC point off the curve, Ed25519 point of
				     small order) */
	AR_ERR_UNREPLICATED,	/**< a write the primary made but too few replicas confirmed
				     in time: not acknowledged, yet it may survive */
} ar_errc_t;

/** Error record. Zero-initialise before use or let ar_err_clear() do it. */
typedef struct ar_err {
	ar_errc_t	code;
	char		msg[256];
} ar_err_t;

/**
 * Record an error. @p err may be NULL (the error is then discarded).
 *
 * @return always -1, so callers can write `return ar_err_set(...);`.
 */
int ar_err_set(ar_err_t *err, ar_errc_t code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/** Prefix an already recorded message with context ("jwk: " ...). Returns -1. */
int ar_err_prefix(ar_err_t *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/** Reset @p err to AR_OK with an empty message. */
void ar_err_clear(ar_err_t *err);

/** Stable lower-case name of a code ("malformed", "bad_alg", ...). */
const char *ar_errc_name(ar_errc_t code);

#endif
