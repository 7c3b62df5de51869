/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file nonce.h
 * @brief ACME Replay-Nonces (RFC 8555 6.5): issued without state, used once.
 *
 * A nonce is a token (lib/token.h) sealing its issue time and 8 random
 * bytes under a key the CA replicas share. Checking one takes no lookup:
 * the MAC proves the CA made it, the time bounds its life. Single use is
 * one Redis `SET NX EX` on the nonce at the moment it is spent, so a nonce
 * is spent once across all replicas, and the record expires with the nonce.
 */
#ifndef AR_CA_NONCE_H
#define AR_CA_NONCE_H

#include <stdint.h>

#include "err.h"
#include "store.h"
#include "token.h"

#define NONCE_TEXT_MAX	64

/** Make a nonce issued at @p now_ms. */
int nonce_issue(const uint8_t key[AR_TOKEN_KEY_LEN], int64_t now_ms, char *out, size_t size);

/**
 * Check a nonce: authentic and issued within @p lifetime_ms before @p now_ms
 * (and not in the future). Does not spend it.
 * @return 0, or -1 with AR_ERR_BAD_NONCE.
 */
int nonce_check(const uint8_t key[AR_TOKEN_KEY_LEN], const char *nonce, int64_t now_ms,
		int64_t lifetime_ms, ar_err_t *err);

/**
 * Spend a nonce that passed nonce_check(), with the store's next command
 * (ar_store_set_once_deferred()): that command - the endpoint's first read,
 * which shares its round trip, or the write it precedes - fails with
 * AR_ERR_BAD_NONCE when the nonce was used before. ar_store_settle() spends
 * it when the endpoint did not touch the store.
 */
int nonce_spend(ar_store_t *st, const char *nonce, int64_t lifetime_ms, ar_err_t *err);

#endif
