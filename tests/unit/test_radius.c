/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Disconnect-Request encoding and Disconnect-ACK/NAK checking (lib/radius.c),
 * against the RFC 5176 / RFC 3579 formulas computed here independently with
 * OpenSSL, and every way a reply can be wrong.
 */
#include "config.h"

#include <openssl/evp.h>

#include "testutil.h"
#include "radius.h"

#define SECRET "s3cr3t-das"

/* MD5(pkt[0..4) | auth | pkt[20..len) | secret) */
static void md5_auth(const uint8_t *pkt, size_t len, const uint8_t *auth, uint8_t out[16])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	assert_int_equal(EVP_DigestInit_ex(md, EVP_md5(), NULL), 1);
	EVP_DigestUpdate(md, pkt, 4);
	EVP_DigestUpdate(md, auth, 16);
	EVP_DigestUpdate(md, pkt + 20, len - 20);
	EVP_DigestUpdate(md, SECRET, strlen(SECRET));
	assert_int_equal(EVP_DigestFinal_ex(md, out, NULL), 1);
	EVP_MD_CTX_free(md);
}

static void hmac_md5(const uint8_t *pkt, size_t len, uint8_t out[16])
{
	size_t n;

	assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, "MD5", NULL, SECRET, strlen(SECRET), pkt, len,
				  out, 16, &n));
}

/* Offset of the first attribute of @type, or 0. */
static size_t find_attr(const uint8_t *pkt, size_t len, int type)
{
	size_t off;

	for (off = 20; off + 2 <= len; off += pkt[off + 1])
		if (pkt[off] == type)
			return off;
	return 0;
}

static void test_request_layout_and_authenticators(void **state)
{
	ar_dm_request_t rq = { .user_name = "SUB-0042", .nas_ip = "192.0.2.7", .nas_id = "ap-7",
			       .acct_session_id = "0000002A", .calling_station_id = "02-00-00-00-00-07",
			       .event_timestamp = 1795000000 };
	uint8_t pkt[AR_RADIUS_MAX], auth[16], copy[AR_RADIUS_MAX], want[16];
	static const uint8_t zero[16];
	size_t ma, ts;
	int len;

	(void)state;
	len = ar_dm_build(&rq, 0x5a, SECRET, pkt, auth, NULL);
	assert_true(len > 20);
	assert_int_equal(pkt[0], AR_RADIUS_DISCONNECT_REQUEST);
	assert_int_equal(pkt[1], 0x5a);
	assert_int_equal(pkt[2] << 8 | pkt[3], len);
	assert_memory_equal(pkt + 4, auth, 16);
	/* Request Authenticator: as Accounting-Request, over a zero authenticator. */
	md5_auth(pkt, (size_t)len, zero, want);
	assert_memory_equal(auth, want, 16);
	/* Message-Authenticator: HMAC-MD5 with the authenticator and itself zeroed. */
	ma = find_attr(pkt, (size_t)len, 80);
	assert_true(ma > 0);
	assert_int_equal(pkt[ma + 1], 18);
	memcpy(copy, pkt, (size_t)len);
	memset(copy + 4, 0, 16);
	memset(copy + ma + 2, 0, 16);
	hmac_md5(copy, (size_t)len, want);
	assert_memory_equal(pkt + ma + 2, want, 16);
	ts = find_attr(pkt, (size_t)len, 55);
	assert_true(ts > 0);
	assert_int_equal((uint32_t)pkt[ts + 2] << 24 | (uint32_t)pkt[ts + 3] << 16 |
			 (uint32_t)pkt[ts + 4] << 8 | pkt[ts + 5], 1795000000);
	assert_true(find_attr(pkt, (size_t)len, 4) > 0);
	assert_memory_equal(pkt + find_attr(pkt, (size_t)len, 4) + 2, "\xc0\x00\x02\x07", 4);
	assert_true(find_attr(pkt, (size_t)len, 44) > 0);
	assert_true(find_attr(pkt, (size_t)len, 31) > 0);
	assert_true(find_attr(pkt, (size_t)len, 32) > 0);
	assert_true(find_attr(pkt, (size_t)len, 1) > 0);
}

static void test_request_refusals(void **state)
{
	uint8_t pkt[AR_RADIUS_MAX], auth[16];
	char long_id[300];
	ar_dm_request_t rq = { .acct_session_id = "x" };
	ar_err_t err = { 0 };

	(void)state;
	assert_int_equal(ar_dm_build(&rq, 1, "", pkt, auth, &err), -1);
	ar_dm_request_t none = { .nas_id = "ap-7" };
	assert_int_equal(ar_dm_build(&none, 1, SECRET, pkt, auth, &err), -1);
	assert_non_null(strstr(err.msg, "identifies"));
	rq.nas_ip = "not-an-address";
	assert_int_equal(ar_dm_build(&rq, 1, SECRET, pkt, auth, &err), -1);
	rq.nas_ip = NULL;
	memset(long_id, 'a', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = '\0';
	rq.acct_session_id = long_id;
	assert_int_equal(ar_dm_build(&rq, 1, SECRET, pkt, auth, &err), -1);
}

/* A reply as a DAS makes it: @code, @id, optional Error-Cause and Message-Authenticator. */
static size_t reply(uint8_t *out, int code, uint8_t id, const uint8_t req[16], uint32_t cause,
		    int with_ma)
{
	size_t len = 20;
	uint8_t copy[64], sum[16];

	out[0] = (uint8_t)code;
	out[1] = id;
	if (cause) {
		out[len] = 101;
		out[len + 1] = 6;
		out[len + 2] = (uint8_t)(cause >> 24);
		out[len + 3] = (uint8_t)(cause >> 16);
		out[len + 4] = (uint8_t)(cause >> 8);
		out[len + 5] = (uint8_t)cause;
		len += 6;
	}
	if (with_ma) {
		out[len] = 80;
		out[len + 1] = 18;
		memset(out + len + 2, 0, 16);
		len += 18;
	}
	out[2] = (uint8_t)(len >> 8);
	out[3] = (uint8_t)len;
	if (with_ma) {
		memcpy(copy, out, len);
		memcpy(copy + 4, req, 16);
		hmac_md5(copy, len, sum);
		memcpy(out + len - 16, sum, 16);
	}
	md5_auth(out, len, req, sum);
	memcpy(out + 4, sum, 16);
	return len;
}

static void test_replies(void **state)
{
	uint8_t req[16], pkt[128];
	ar_dm_reply_t r;
	ar_err_t err = { 0 };
	size_t len;

	(void)state;
	memset(req, 0x42, sizeof(req));
	len = reply(pkt, AR_RADIUS_DISCONNECT_ACK, 7, req, 0, 1);
	assert_int_equal(ar_dm_parse_reply(pkt, len, 7, req, SECRET, &r, &err), 0);
	assert_int_equal(r.ack, 1);
	assert_int_equal(r.error_cause, 0);
	len = reply(pkt, AR_RADIUS_DISCONNECT_NAK, 7, req, 503, 0);
	assert_int_equal(ar_dm_parse_reply(pkt, len, 7, req, SECRET, &r, &err), 0);
	assert_int_equal(r.ack, 0);
	assert_int_equal(r.error_cause, 503);
	assert_string_equal(ar_dm_error_cause_name(r.error_cause), "Session-Context-Not-Found");
	assert_string_equal(ar_dm_error_cause_name(9999), "unknown");

	/* Another request's identifier. */
	assert_int_equal(ar_dm_parse_reply(pkt, len, 8, req, SECRET, &r, &err), -1);
	assert_int_equal(err.code, AR_ERR_MALFORMED);
	/* Another shared secret (a forged Disconnect-ACK). */
	assert_int_equal(ar_dm_parse_reply(pkt, len, 7, req, "guess", &r, &err), -1);
	assert_int_equal(err.code, AR_ERR_BAD_SIGNATURE);
	/* The reply to another request (authenticator). */
	req[0] ^= 1;
	assert_int_equal(ar_dm_parse_reply(pkt, len, 7, req, SECRET, &r, &err), -1);
	assert_int_equal(err.code, AR_ERR_BAD_SIGNATURE);
	req[0] ^= 1;
	/* A Message-Authenticator that does not verify (Response Authenticator redone). */
	len = reply(pkt, AR_RADIUS_DISCONNECT_ACK, 7, req, 0, 1);
	pkt[len - 1] ^= 1;
	{
		uint8_t sum[16];

		md5_auth(pkt, len, req, sum);
		memcpy(pkt + 4, sum, 16);
	}
	assert_int_equal(ar_dm_parse_reply(pkt, len, 7, req, SECRET, &r, &err), -1);
	assert_int_equal(err.code, AR_ERR_BAD_SIGNATURE);
	assert_non_null(strstr(err.msg, "Message-Authenticator"));
	/* Not an ACK/NAK; short; length field beyond the datagram; attribute overrun. */
	len = reply(pkt, 2, 7, req, 0, 0);
	assert_int_equal(ar_dm_parse_reply(pkt, len, 7, req, SECRET, &r, &err), -1);
	assert_int_equal(ar_dm_parse_reply(pkt, 19, 7, req, SECRET, &r, &err), -1);
	len = reply(pkt, AR_RADIUS_DISCONNECT_NAK, 7, req, 503, 0);
	assert_int_equal(ar_dm_parse_reply(pkt, len - 1, 7, req, SECRET, &r, &err), -1);
	pkt[21] = 40;
	assert_int_equal(ar_dm_parse_reply(pkt, len, 7, req, SECRET, &r, &err), -1);
	assert_int_equal(err.code, AR_ERR_MALFORMED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_layout_and_authenticators),
		cmocka_unit_test(test_request_refusals),
		cmocka_unit_test(test_replies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
