/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Self-authenticating tokens: data and a truncated HMAC-SHA256 (token.h). */
#include "config.h"

#include <pthread.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "b64.h"
#include "token.h"

#define RAW_MAX	(AR_TOKEN_DATA_MAX + AR_TOKEN_MAC_LEN)

/*
 * HMAC-SHA256 keyed once per key: a one-shot MAC fetches the algorithm
 * and the digest and sets the key up on every call, which costs more
 * than hashing a token. A process uses a key or two (the CA's nonce key,
 * the verifier's session key); each MAC starts from a copy of the keyed
 * context. Past KEYED_MAX keys, contexts are made per call.
 */
#define KEYED_MAX	4

static struct {
	uint8_t		key[AR_TOKEN_KEY_LEN];
	EVP_MAC_CTX	*ctx;
} keyed[KEYED_MAX];
static size_t nkeyed;
static pthread_rwlock_t keyed_lock = PTHREAD_RWLOCK_INITIALIZER;

static EVP_MAC_CTX *keyed_new(const uint8_t key[AR_TOKEN_KEY_LEN])
{
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = m ? EVP_MAC_CTX_new(m) : NULL;

	EVP_MAC_free(m);
	if (ctx && !EVP_MAC_init(ctx, key, AR_TOKEN_KEY_LEN, params)) {
		EVP_MAC_CTX_free(ctx);
		ctx = NULL;
	}
	return ctx;
}

/* A context keyed with @key, ready for the data; the caller frees it. */
static EVP_MAC_CTX *keyed_copy(const uint8_t key[AR_TOKEN_KEY_LEN])
{
	EVP_MAC_CTX *copy = NULL, *fresh;
	int found = 0;
	size_t i;

	pthread_rwlock_rdlock(&keyed_lock);
	for (i = 0; i < nkeyed && !found; i++)
		if (!memcmp(keyed[i].key, key, AR_TOKEN_KEY_LEN)) {
			copy = EVP_MAC_CTX_dup(keyed[i].ctx);
			found = 1;
		}
	pthread_rwlock_unlock(&keyed_lock);
	if (found)
		return copy;
	fresh = keyed_new(key);
	if (!fresh)
		return NULL;
	pthread_rwlock_wrlock(&keyed_lock);
	for (i = 0; i < nkeyed; i++)
		if (!memcmp(keyed[i].key, key, AR_TOKEN_KEY_LEN))
			break;
	if (i == nkeyed && nkeyed < KEYED_MAX) {	/* another thread may have won */
		memcpy(keyed[nkeyed].key, key, AR_TOKEN_KEY_LEN);
		keyed[nkeyed++].ctx = fresh;
		copy = EVP_MAC_CTX_dup(fresh);
	} else {
		copy = fresh;				/* not kept: used once */
	}
	pthread_rwlock_unlock(&keyed_lock);
	return copy;
}

static int mac(const uint8_t key[AR_TOKEN_KEY_LEN], const uint8_t *data, size_t len,
	       uint8_t out[AR_TOKEN_MAC_LEN])
{
	EVP_MAC_CTX *ctx = keyed_copy(key);
	uint8_t full[32];
	size_t n = 0;
	int ok;

	ok = ctx && EVP_MAC_update(ctx, data, len) && EVP_MAC_final(ctx, full, &n, sizeof(full)) &&
	     n == sizeof(full);
	EVP_MAC_CTX_free(ctx);
	if (!ok)
		return -1;
	memcpy(out, full, AR_TOKEN_MAC_LEN);
	OPENSSL_cleanse(full, sizeof(full));
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
