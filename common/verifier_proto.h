/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file verifier_proto.h
 * @brief The verifier's challenge-response API as the device sees it:
 *	  URLs, and parsers for every response body (no I/O here, so the
 *	  parsers can be unit-tested and fuzzed on their own).
 *
 * The exchange (after Veraison's challenge-response API):
 * @code
 * POST {verifier}/challenge-response/v1/newSession[?nonce=B64URL]
 *   -> 201, Location: /challenge-response/v1/session/SID
 *      {"nonce": "...", "expiry": "RFC 3339", "accept": [media types], "state": "waiting"}
 * GET  {verifier}/challenge-response/v1/encryption-key      (only to encrypt)
 *   -> 200 application/jwk+json, the verifier's public EC key
 * POST {session URL}  application/vnd.acme-rats.evidence+json  (or application/jose+json)
 *   -> 200 application/cmw+json  [EAR media type, base64url(EAR JWT), 8]
 * errors: application/problem+json {"type": "...", "detail": "..."}
 * @endcode
 */
#ifndef AR_COMMON_VERIFIER_PROTO_H
#define AR_COMMON_VERIFIER_PROTO_H

#include <stddef.h>

#include "cmw.h"
#include "ear.h"
#include "err.h"

#define VP_URL_MAX		2048
#define VP_BASE_MAX		1024
#define VP_MAX_ACCEPT		8

#define VP_PATH_NEW_SESSION	"/challenge-response/v1/newSession"
#define VP_PATH_ENC_KEY		"/challenge-response/v1/encryption-key"

#define VP_MT_CMW		"application/cmw+json"
#define VP_MT_PROBLEM		"application/problem+json"
#define VP_MT_JWK		"application/jwk+json"
#define VP_MT_JOSE		"application/jose+json"

/** A challenge-response session as newSession described it. */
typedef struct vp_session {
	char	url[VP_URL_MAX];		/**< absolute session URL */
	char	nonce[AR_EAR_NONCE_MAX + 1];	/**< as the verifier wrote it */
	char	expiry[64];			/**< "" when absent */
	size_t	naccept;			/**< 0: the verifier listed none */
	char	accept[VP_MAX_ACCEPT][AR_CMW_MAX_TYPE];
} vp_session_t;

/**
 * Check and normalise the verifier's base URL: https, a host, no user
 * information, query or fragment; trailing slashes removed.
 *
 * @return 0, or -1 with AR_ERR_CONFIG.
 */
int vp_base_url(const char *verifier, char *out, size_t size, ar_err_t *err);

/**
 * Resolve a Location header against the base URL. Only an absolute path
 * ("/challenge-response/v1/session/...") or an absolute URL with the same
 * origin as @p base is accepted: evidence never goes to another host.
 *
 * @return 0, or -1 with AR_ERR_MALFORMED.
 */
int vp_resolve_location(const char *base, const char *location, char *out, size_t size,
			ar_err_t *err);

/**
 * Parse a newSession response body. @c nonce is required (base64 or
 * base64url, at most AR_EAR_NONCE_MAX characters); @c expiry and @c accept
 * are optional; @c state, if present, must be "waiting". Other members are
 * ignored. @p s->url is left untouched.
 *
 * @return 0, or -1 with AR_ERR_MALFORMED or AR_ERR_TOO_LARGE.
 */
int vp_parse_session(const char *body, size_t len, vp_session_t *s, ar_err_t *err);

/** Non-zero if the session accepts @p media_type (or lists nothing). */
int vp_session_accepts(const vp_session_t *s, const char *media_type);

/**
 * Extract the EAR from an evidence response: @p ctype must be
 * application/cmw+json and the CMW must hold an EAR record (indicator, when
 * present, including attestation results) whose value is a compact JWS.
 *
 * @param[out] jwt	malloc'd NUL-terminated JWT (caller frees).
 * @return 0, or -1 with AR_ERR_MALFORMED, AR_ERR_TOO_LARGE or AR_ERR_NOT_FOUND
 *	   (no EAR record).
 */
int vp_parse_result(const char *ctype, const char *body, size_t len, char **jwt,
		    ar_err_t *err);

/**
 * One printable line describing an error response: the problem document's
 * detail and type when there is one, else a note that there is none.
 * Control characters are replaced, the text is truncated to fit @p size.
 */
void vp_problem_text(const char *ctype, const char *body, size_t len, char *out, size_t size);

/**
 * Decode an EAR's claims WITHOUT verifying its signature, for display only
 * (ar_ear_verify() is the trusted path).
 *
 * @return 0, or -1 with AR_ERR_MALFORMED or AR_ERR_TOO_LARGE.
 */
int vp_ear_peek(const char *jwt, size_t len, ar_ear_t *out, ar_err_t *err);

/** Compare the type/subtype of two media types (case-insensitive, parameters ignored). */
int vp_media_type_is(const char *mt, const char *want);

#endif
