/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Challenge-response sessions without server state (session.h). */
#include "config.h"

#include <string.h>

#include "session.h"
#include "token.h"

/* Token data: nonce length (1), nonce, expiry (8, big-endian). */
int session_encode(const session_t *s, const uint8_t key[SESSION_KEY_LEN], char *id, size_t size)
{
	uint8_t raw[1 + SESSION_NONCE_MAX + 8];
	size_t off = 0;
	int i;

	if (s->nonce_len < SESSION_NONCE_MIN || s->nonce_len > SESSION_NONCE_MAX || s->expiry < 0)
		return -1;
	raw[off++] = (uint8_t)s->nonce_len;
	memcpy(raw + off, s->nonce, s->nonce_len);
	off += s->nonce_len;
	for (i = 7; i >= 0; i--)
		raw[off++] = (uint8_t)((uint64_t)s->expiry >> (i * 8));
	return ar_token_seal(key, raw, off, id, size);
}

int session_decode(const char *id, const uint8_t key[SESSION_KEY_LEN], session_t *s)
{
	uint8_t raw[1 + SESSION_NONCE_MAX + 8];
	uint64_t expiry = 0;
	size_t len, i;

	memset(s, 0, sizeof(*s));
	if (strlen(id) > SESSION_ID_MAX || ar_token_open(key, id, raw, sizeof(raw), &len) < 0 ||
	    len < 1)
		return -1;
	s->nonce_len = raw[0];
	if (s->nonce_len < SESSION_NONCE_MIN || s->nonce_len > SESSION_NONCE_MAX ||
	    len != 1 + s->nonce_len + 8)
		return -1;
	memcpy(s->nonce, raw + 1, s->nonce_len);
	for (i = 0; i < 8; i++)
		expiry = expiry << 8 | raw[1 + s->nonce_len + i];
	if (expiry > INT64_MAX)
		return -1;
	s->expiry = (int64_t)expiry;
	return 0;
}
