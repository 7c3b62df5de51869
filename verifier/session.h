/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file session.h
 * @brief Challenge-response sessions without server state.
 *
 * A session id carries its nonce and expiry, authenticated with an HMAC key
 * every verifier replica shares: any replica can take the evidence of a
 * session another one opened, a restart loses nothing, and there is no table
 * to exhaust. A session may be answered more than once before it expires;
 * each answer is an EAR bound to the same nonce, and the relying party
 * (the CA) accepts a nonce once.
 */
#ifndef AR_VERIFIER_SESSION_H
#define AR_VERIFIER_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "token.h"

#define SESSION_NONCE_MIN	8
#define SESSION_NONCE_MAX	64
#define SESSION_KEY_LEN		AR_TOKEN_KEY_LEN
#define SESSION_ID_MAX		160

typedef struct session {
	uint8_t		nonce[SESSION_NONCE_MAX];
	size_t		nonce_len;
	int64_t		expiry;		/**< unix seconds */
} session_t;

/** Encode @p s into a URL-safe id authenticated with @p key. */
int session_encode(const session_t *s, const uint8_t key[SESSION_KEY_LEN], char *id, size_t size);

/**
 * Decode and authenticate an id; fails (-1) for anything forged, truncated
 * or malformed. Expiry is the caller's check.
 */
int session_decode(const char *id, const uint8_t key[SESSION_KEY_LEN], session_t *s);

#endif
