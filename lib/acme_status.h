/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file acme_status.h
 * @brief The status of an ACME object (RFC 8555 7.1.6), one enum for the
 *	  server and the client.
 *
 * Accounts are valid, deactivated or revoked; orders pending, ready,
 * processing, valid or invalid; authorizations pending, valid, invalid,
 * deactivated, expired or revoked; challenges pending, processing, valid
 * or invalid. Code switches over the enum; the strings appear only where
 * JSON is read or written.
 */
#ifndef AR_ACME_STATUS_H
#define AR_ACME_STATUS_H

#include <jansson.h>

typedef enum acme_status {
	ACME_PENDING = 0,
	ACME_READY,
	ACME_PROCESSING,
	ACME_VALID,
	ACME_INVALID,
	ACME_DEACTIVATED,
	ACME_EXPIRED,
	ACME_REVOKED,
	ACME_STATUS_COUNT
} acme_status_t;

/** The RFC 8555 name of @p s ("pending", ...); "?" for a value out of range. */
const char *acme_status_name(acme_status_t s);

/**
 * The status named @p name (NULL is accepted).
 * @return 0 and @p out set, or -1 when @p name is not a status.
 */
int acme_status_parse(const char *name, acme_status_t *out);

/**
 * The "status" member of JSON object @p obj.
 * @return 0 and @p out set, or -1 when it is missing, not a string or not
 *	   a status.
 */
int acme_status_of(const json_t *obj, acme_status_t *out);

#endif
