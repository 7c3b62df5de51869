/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file token.h
 * @brief Self-authenticating tokens: base64url(data || HMAC-SHA256(key,
 *	  data)[0..16]).
 *
 * Servers hand these out instead of keeping state (verifier session ids,
 * ACME Replay-Nonces): any replica that shares the key can check a token,
 * and a restart forgets nothing. The data is authenticated, not encrypted.
 */
#ifndef AR_TOKEN_H
#define AR_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#define AR_TOKEN_KEY_LEN	32
#define AR_TOKEN_MAC_LEN	16
#define AR_TOKEN_DATA_MAX	128

/**
 * Seal @p len bytes (at most AR_TOKEN_DATA_MAX) into @p out (NUL-terminated).
 * @return 0, or -1 if @p out is too small or the MAC fails.
 */
int ar_token_seal(const uint8_t key[AR_TOKEN_KEY_LEN], const uint8_t *data, size_t len,
		  char *out, size_t outsz);

/**
 * Check a token and recover its data. Constant-time MAC comparison.
 * @return 0, or -1 for anything forged, truncated, malformed or too long.
 */
int ar_token_open(const uint8_t key[AR_TOKEN_KEY_LEN], const char *token, uint8_t *data,
		  size_t datasz, size_t *len);

#endif
