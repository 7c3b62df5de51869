/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file radius.h
 * @brief RADIUS Dynamic Authorization (RFC 5176): the Disconnect-Request the
 *	  NOC sends to a NAS, and the checks on its Disconnect-ACK/NAK.
 *
 * Request: code 40, the session's identifying attributes, Event-Timestamp
 * and Message-Authenticator (HMAC-MD5 over the packet with a zero
 * authenticator, RFC 5176 3.2), then the Request Authenticator
 * MD5(code | id | length | 16 zero octets | attributes | secret), as for
 * Accounting-Request (RFC 2866 3).
 *
 * Reply: code 41 (ACK) or 42 (NAK) with the request's identifier, a
 * Response Authenticator MD5(code | id | length | Request Authenticator |
 * attributes | secret), and, when present, a valid Message-Authenticator
 * computed with the Request Authenticator in place. Anything else is not a
 * reply to this request and is ignored by the caller (a forged or stray
 * datagram must not count as an answer).
 */
#ifndef AR_RADIUS_H
#define AR_RADIUS_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define AR_RADIUS_MAX		4096	/**< RFC 2865 3: largest packet */
#define AR_RADIUS_AUTH_LEN	16
#define AR_RADIUS_SECRET_MAX	128

#define AR_RADIUS_DISCONNECT_REQUEST	40
#define AR_RADIUS_DISCONNECT_ACK	41
#define AR_RADIUS_DISCONNECT_NAK	42

/** What identifies the session; NULL or "" members are left out. */
typedef struct ar_dm_request {
	const char	*user_name;
	const char	*nas_ip;		/**< textual IPv4 (NAS-IP-Address) */
	const char	*nas_id;		/**< NAS-Identifier */
	const char	*acct_session_id;
	const char	*calling_station_id;
	int64_t		event_timestamp;	/**< unix seconds; 0: now */
} ar_dm_request_t;

/**
 * Encode a Disconnect-Request.
 *
 * @param[out] out	at least AR_RADIUS_MAX bytes.
 * @param[out] auth	its Request Authenticator, needed to check the reply.
 * @return the packet length, or -1 with AR_ERR_MALFORMED (a value longer
 *	   than 253 bytes, a bad NAS-IP-Address, an empty secret, no
 *	   identifying attribute) or AR_ERR_CRYPTO.
 */
int ar_dm_build(const ar_dm_request_t *rq, uint8_t id, const char *secret, uint8_t *out,
		uint8_t auth[AR_RADIUS_AUTH_LEN], ar_err_t *err);

/** A checked reply. */
typedef struct ar_dm_reply {
	int		ack;		/**< 1 Disconnect-ACK, 0 Disconnect-NAK */
	uint32_t	error_cause;	/**< RFC 5176 3.5 Error-Cause, 0 when absent */
} ar_dm_reply_t;

/**
 * Check that @p buf is the reply to the request with @p id and @p auth.
 *
 * @return 0, or -1 with AR_ERR_MALFORMED (not a well-formed ACK/NAK, another
 *	   identifier) or AR_ERR_BAD_SIGNATURE (authenticator or
 *	   Message-Authenticator wrong: not from a holder of the secret).
 */
int ar_dm_parse_reply(const uint8_t *buf, size_t len, uint8_t id,
		      const uint8_t auth[AR_RADIUS_AUTH_LEN], const char *secret,
		      ar_dm_reply_t *out, ar_err_t *err);

/** RFC 5176 3.5 name of an Error-Cause ("Session-Context-Not-Found"...), or "unknown". */
const char *ar_dm_error_cause_name(uint32_t cause);

#endif
