/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ACME Replay-Nonces: sealed tokens, each spent once across the replicas (nonce.h). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/rand.h>

#include "nonce.h"

/* Token data: issue time in ms (8 bytes, big-endian) and 8 random bytes. */
#define NONCE_DATA	16

int nonce_issue(const uint8_t key[AR_TOKEN_KEY_LEN], int64_t now_ms, char *out, size_t size)
{
	uint8_t data[NONCE_DATA];
	int i;

	for (i = 0; i < 8; i++)
		data[i] = (uint8_t)((uint64_t)now_ms >> ((7 - i) * 8));
	if (RAND_bytes(data + 8, 8) != 1)
		return -1;
	return ar_token_seal(key, data, sizeof(data), out, size);
}

int nonce_check(const uint8_t key[AR_TOKEN_KEY_LEN], const char *nonce, int64_t now_ms,
		int64_t lifetime_ms, ar_err_t *err)
{
	uint8_t data[NONCE_DATA];
	uint64_t issued = 0;
	size_t len, i;

	if (strlen(nonce) >= NONCE_TEXT_MAX || ar_token_open(key, nonce, data, sizeof(data), &len) < 0 ||
	    len != NONCE_DATA)
		return ar_err_set(err, AR_ERR_BAD_NONCE, "nonce was not issued by this server");
	for (i = 0; i < 8; i++)
		issued = issued << 8 | data[i];
	if ((int64_t)issued > now_ms + 1000 || now_ms - (int64_t)issued > lifetime_ms)
		return ar_err_set(err, AR_ERR_BAD_NONCE, "nonce has expired");
	return 0;
}

int nonce_spend(ar_store_t *st, const char *nonce, int64_t lifetime_ms, ar_err_t *err)
{
	char key[NONCE_TEXT_MAX + 16];

	snprintf(key, sizeof(key), "nonce:%s", nonce);
	/* Outlive the nonce's own lifetime so a spent nonce never comes back. */
	return ar_store_set_once_deferred(st, key, lifetime_ms + 60000, AR_ERR_BAD_NONCE,
					  "nonce has already been used", err);
}
