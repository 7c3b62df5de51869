/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * RADIUS Disconnect-Request and the checks on its reply (RFC 5176, RFC 2865
 * packet format, RFC 3579 Message-Authenticator). See radius.h.
 */
#include "config.h"

#include <arpa/inet.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "radius.h"

#define HDR_LEN		20
#define ATTR_MAX	253

enum {
	A_USER_NAME = 1,
	A_NAS_IP_ADDRESS = 4,
	A_CALLING_STATION_ID = 31,
	A_NAS_IDENTIFIER = 32,
	A_ACCT_SESSION_ID = 44,
	A_EVENT_TIMESTAMP = 55,
	A_MESSAGE_AUTHENTICATOR = 80,
	A_ERROR_CAUSE = 101,
};

/* MD5(packet with @auth in the authenticator field | secret). */
static int packet_md5(const uint8_t *pkt, size_t len, const uint8_t *auth, const char *secret,
		      uint8_t out[AR_RADIUS_AUTH_LEN])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned int n = 0;
	int ok;

	ok = md && EVP_DigestInit_ex(md, EVP_md5(), NULL) == 1 &&
	     EVP_DigestUpdate(md, pkt, 4) == 1 &&
	     EVP_DigestUpdate(md, auth, AR_RADIUS_AUTH_LEN) == 1 &&
	     EVP_DigestUpdate(md, pkt + HDR_LEN, len - HDR_LEN) == 1 &&
	     EVP_DigestUpdate(md, secret, strlen(secret)) == 1 &&
	     EVP_DigestFinal_ex(md, out, &n) == 1 && n == AR_RADIUS_AUTH_LEN;
	EVP_MD_CTX_free(md);
	return ok ? 0 : -1;
}

/* HMAC-MD5 of the packet as it stands (Message-Authenticator value zeroed by the caller). */
static int packet_hmac(const uint8_t *pkt, size_t len, const char *secret,
		       uint8_t out[AR_RADIUS_AUTH_LEN])
{
	size_t n = 0;

	return EVP_Q_mac(NULL, "HMAC", NULL, "MD5", NULL, secret, strlen(secret), pkt, len, out,
			 AR_RADIUS_AUTH_LEN, &n) && n == AR_RADIUS_AUTH_LEN ? 0 : -1;
}

static int put_attr(uint8_t *pkt, size_t *len, int type, const void *val, size_t n)
{
	if (n == 0 || n > ATTR_MAX || *len + 2 + n > AR_RADIUS_MAX)
		return -1;
	pkt[*len] = (uint8_t)type;
	pkt[*len + 1] = (uint8_t)(n + 2);
	memcpy(pkt + *len + 2, val, n);
	*len += 2 + n;
	return 0;
}

static int put_str(uint8_t *pkt, size_t *len, int type, const char *s)
{
	return !s || !*s ? 0 : put_attr(pkt, len, type, s, strlen(s));
}

int ar_dm_build(const ar_dm_request_t *rq, uint8_t id, const char *secret, uint8_t *out,
		uint8_t auth[AR_RADIUS_AUTH_LEN], ar_err_t *err)
{
	static const uint8_t zero[AR_RADIUS_AUTH_LEN];
	uint8_t ts[4], ip[4], *ma;
	uint32_t t = (uint32_t)(rq->event_timestamp ? rq->event_timestamp : time(NULL));
	size_t len = HDR_LEN;

	if (!secret || !*secret || strlen(secret) > AR_RADIUS_SECRET_MAX)
		return ar_err_set(err, AR_ERR_MALFORMED, "RADIUS: the shared secret is empty or "
				  "longer than %d bytes", AR_RADIUS_SECRET_MAX);
	if (!(rq->user_name && *rq->user_name) && !(rq->acct_session_id && *rq->acct_session_id) &&
	    !(rq->calling_station_id && *rq->calling_station_id))
		return ar_err_set(err, AR_ERR_MALFORMED, "RADIUS: no attribute identifies the session");
	if (rq->nas_ip && *rq->nas_ip && inet_pton(AF_INET, rq->nas_ip, ip) != 1)
		return ar_err_set(err, AR_ERR_MALFORMED, "RADIUS: NAS-IP-Address %.64s is not IPv4",
				  rq->nas_ip);
	memset(out, 0, HDR_LEN);
	out[0] = AR_RADIUS_DISCONNECT_REQUEST;
	out[1] = id;
	ts[0] = (uint8_t)(t >> 24);
	ts[1] = (uint8_t)(t >> 16);
	ts[2] = (uint8_t)(t >> 8);
	ts[3] = (uint8_t)t;
	if (put_str(out, &len, A_USER_NAME, rq->user_name) < 0 ||
	    (rq->nas_ip && *rq->nas_ip && put_attr(out, &len, A_NAS_IP_ADDRESS, ip, 4) < 0) ||
	    put_str(out, &len, A_NAS_IDENTIFIER, rq->nas_id) < 0 ||
	    put_str(out, &len, A_ACCT_SESSION_ID, rq->acct_session_id) < 0 ||
	    put_str(out, &len, A_CALLING_STATION_ID, rq->calling_station_id) < 0 ||
	    put_attr(out, &len, A_EVENT_TIMESTAMP, ts, 4) < 0 ||
	    put_attr(out, &len, A_MESSAGE_AUTHENTICATOR, zero, AR_RADIUS_AUTH_LEN) < 0)
		return ar_err_set(err, AR_ERR_MALFORMED, "RADIUS: an attribute is longer than %d "
				  "bytes", ATTR_MAX);
	out[2] = (uint8_t)(len >> 8);
	out[3] = (uint8_t)len;
	ma = out + len - AR_RADIUS_AUTH_LEN;
	/* RFC 5176 3.2: Message-Authenticator over the packet with a zero authenticator. */
	if (packet_hmac(out, len, secret, ma) < 0 || packet_md5(out, len, zero, secret, auth) < 0)
		return ar_err_set(err, AR_ERR_CRYPTO, "RADIUS: MD5 unavailable");
	memcpy(out + 4, auth, AR_RADIUS_AUTH_LEN);
	return (int)len;
}

int ar_dm_parse_reply(const uint8_t *buf, size_t len, uint8_t id,
		      const uint8_t auth[AR_RADIUS_AUTH_LEN], const char *secret,
		      ar_dm_reply_t *out, ar_err_t *err)
{
	uint8_t copy[AR_RADIUS_MAX], want[AR_RADIUS_AUTH_LEN];
	size_t plen, off, ma_off = 0;

	memset(out, 0, sizeof(*out));
	if (len < HDR_LEN || len > AR_RADIUS_MAX)
		return ar_err_set(err, AR_ERR_MALFORMED, "RADIUS: %zu bytes is no packet", len);
	plen = (size_t)buf[2] << 8 | buf[3];
	if (plen < HDR_LEN || plen > len)
		return ar_err_set(err, AR_ERR_MALFORMED, "RADIUS: length field %zu, datagram %zu",
				  plen, len);
	if (buf[0] != AR_RADIUS_DISCONNECT_ACK && buf[0] != AR_RADIUS_DISCONNECT_NAK)
		return ar_err_set(err, AR_ERR_MALFORMED, "RADIUS: code %u is not a Disconnect-ACK/NAK",
				  buf[0]);
	if (buf[1] != id)
		return ar_err_set(err, AR_ERR_MALFORMED, "RADIUS: identifier %u, expected %u", buf[1],
				  id);
	for (off = HDR_LEN; off < plen; off += buf[off + 1]) {
		if (plen - off < 2 || buf[off + 1] < 2 || buf[off + 1] > plen - off)
			return ar_err_set(err, AR_ERR_MALFORMED, "RADIUS: attribute at %zu overruns "
					  "the packet", off);
		if (buf[off] == A_MESSAGE_AUTHENTICATOR) {
			if (buf[off + 1] != 2 + AR_RADIUS_AUTH_LEN || ma_off)
				return ar_err_set(err, AR_ERR_MALFORMED, "RADIUS: bad "
						  "Message-Authenticator");
			ma_off = off + 2;
		} else if (buf[off] == A_ERROR_CAUSE) {
			if (buf[off + 1] != 6)
				return ar_err_set(err, AR_ERR_MALFORMED, "RADIUS: bad Error-Cause");
			out->error_cause = (uint32_t)buf[off + 2] << 24 | (uint32_t)buf[off + 3] << 16 |
					   (uint32_t)buf[off + 4] << 8 | buf[off + 5];
		}
	}
	if (packet_md5(buf, plen, auth, secret, want) < 0)
		return ar_err_set(err, AR_ERR_CRYPTO, "RADIUS: MD5 unavailable");
	if (CRYPTO_memcmp(want, buf + 4, AR_RADIUS_AUTH_LEN))
		return ar_err_set(err, AR_ERR_BAD_SIGNATURE, "RADIUS: Response Authenticator does "
				  "not verify (wrong shared secret, or forged)");
	if (ma_off) {	/* RFC 3579 3.2: computed with the Request Authenticator in place */
		memcpy(copy, buf, plen);
		memcpy(copy + 4, auth, AR_RADIUS_AUTH_LEN);
		memset(copy + ma_off, 0, AR_RADIUS_AUTH_LEN);
		if (packet_hmac(copy, plen, secret, want) < 0)
			return ar_err_set(err, AR_ERR_CRYPTO, "RADIUS: HMAC-MD5 unavailable");
		if (CRYPTO_memcmp(want, buf + ma_off, AR_RADIUS_AUTH_LEN))
			return ar_err_set(err, AR_ERR_BAD_SIGNATURE, "RADIUS: Message-Authenticator "
					  "does not verify");
	}
	out->ack = buf[0] == AR_RADIUS_DISCONNECT_ACK;
	return 0;
}

const char *ar_dm_error_cause_name(uint32_t cause)
{
	static const struct {
		uint32_t	code;
		const char	*name;
	} names[] = {
		{ 201, "Residual-Session-Context-Removed" },
		{ 202, "Invalid-EAP-Packet" },
		{ 401, "Unsupported-Attribute" },
		{ 402, "Missing-Attribute" },
		{ 403, "NAS-Identification-Mismatch" },
		{ 404, "Invalid-Request" },
		{ 405, "Unsupported-Service" },
		{ 406, "Unsupported-Extension" },
		{ 407, "Invalid-Attribute-Value" },
		{ 501, "Administratively-Prohibited" },
		{ 502, "Request-Not-Routable" },
		{ 503, "Session-Context-Not-Found" },
		{ 504, "Session-Context-Not-Removable" },
		{ 505, "Other-Proxy-Processing-Error" },
		{ 506, "Resources-Unavailable" },
		{ 507, "Request-Initiated" },
		{ 508, "Multiple-Session-Selection-Unsupported" },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].code == cause)
			return names[i].name;
	return "unknown";
}
