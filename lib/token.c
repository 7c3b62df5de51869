/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "b64.h"
#include "token.h"

#define RAW_MAX	(AR_TOKEN_DATA_MAX + AR_TOKEN_MAC_LEN)

static int mac(const uint8_t key[AR_TOKEN_KEY_LEN], const uint8_t *data, size_t len,
	       uint8_t out[AR_TOKEN_MAC_LEN])
{
	uint8_t full[32];
	size_t n = 0;

	if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, AR_TOKEN_KEY_LEN, data, len,
		       full, sizeof(full), &n) || n != sizeof(full))
		return -1;
	memcpy(out, full, AR_TOKEN_MAC_LEN);
	return 0;
}

int ar_token_seal(const uint8_t key[AR_TOKEN_KEY_LEN], const uint8_t *data, size_t len,
		  char *out, size_t outsz)
{
	uint8_t raw[RAW_MAX];

	if (len > AR_TOKEN_DATA_MAX)
		return -1;
	memcpy(raw, data, len);
	if (mac(key, raw, len, raw + len) < 0)
		return -1;
	return ar_b64url_encode(raw, len + AR_TOKEN_MAC_LEN, out, outsz);
}

int ar_token_open(const uint8_t key[AR_TOKEN_KEY_LEN], const char *token, uint8_t *data,
		  size_t datasz, size_t *len)
{
	uint8_t raw[RAW_MAX], want[AR_TOKEN_MAC_LEN];
	size_t n, tlen = strlen(token);

	*len = 0;
	if (tlen > ar_b64url_enc_len(RAW_MAX) ||
	    ar_b64url_decode(token, tlen, raw, sizeof(raw), &n, NULL) < 0 ||
	    n < AR_TOKEN_MAC_LEN || n - AR_TOKEN_MAC_LEN > datasz)
		return -1;
	n -= AR_TOKEN_MAC_LEN;
	if (mac(key, raw, n, want) < 0 || CRYPTO_memcmp(want, raw + n, AR_TOKEN_MAC_LEN) != 0)
		return -1;
	memcpy(data, raw, n);
	*len = n;
	return 0;
}
