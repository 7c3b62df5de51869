/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "b64.h"
#include "session.h"

#define MAC_LEN		16
#define RAW_MAX		(1 + SESSION_NONCE_MAX + 8 + MAC_LEN)

/* HMAC-SHA256 of @data, truncated to MAC_LEN. */
static int mac(const uint8_t key[SESSION_KEY_LEN], const uint8_t *data, size_t len,
	       uint8_t out[MAC_LEN])
{
	uint8_t full[32];
	size_t n = 0;

	if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, SESSION_KEY_LEN, data, len,
		       full, sizeof(full), &n) || n != sizeof(full))
		return -1;
	memcpy(out, full, MAC_LEN);
	return 0;
}

int session_encode(const session_t *s, const uint8_t key[SESSION_KEY_LEN], char *id, size_t size)
{
	uint8_t raw[RAW_MAX];
	size_t off = 0;
	int i;

	if (s->nonce_len < SESSION_NONCE_MIN || s->nonce_len > SESSION_NONCE_MAX || s->expiry < 0)
		return -1;
	raw[off++] = (uint8_t)s->nonce_len;
	memcpy(raw + off, s->nonce, s->nonce_len);
	off += s->nonce_len;
	for (i = 7; i >= 0; i--)
		raw[off++] = (uint8_t)((uint64_t)s->expiry >> (i * 8));
	if (mac(key, raw, off, raw + off) < 0)
		return -1;
	off += MAC_LEN;
	return ar_b64url_encode(raw, off, id, size);
}

int session_decode(const char *id, const uint8_t key[SESSION_KEY_LEN], session_t *s)
{
	uint8_t raw[RAW_MAX], want[MAC_LEN];
	size_t len, body, i;
	uint64_t expiry = 0;

	memset(s, 0, sizeof(*s));
	if (strlen(id) > SESSION_ID_MAX ||
	    ar_b64url_decode(id, strlen(id), raw, sizeof(raw), &len, NULL) < 0 || len < 1)
		return -1;
	s->nonce_len = raw[0];
	if (s->nonce_len < SESSION_NONCE_MIN || s->nonce_len > SESSION_NONCE_MAX ||
	    len != 1 + s->nonce_len + 8 + MAC_LEN)
		return -1;
	body = 1 + s->nonce_len + 8;
	if (mac(key, raw, body, want) < 0 || CRYPTO_memcmp(want, raw + body, MAC_LEN) != 0)
		return -1;
	memcpy(s->nonce, raw + 1, s->nonce_len);
	for (i = 0; i < 8; i++)
		expiry = expiry << 8 | raw[1 + s->nonce_len + i];
	if (expiry > INT64_MAX)
		return -1;
	s->expiry = (int64_t)expiry;
	return 0;
}
