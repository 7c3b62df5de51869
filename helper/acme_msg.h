/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file acme_msg.h
 * @brief The ACME (RFC 8555, RFC 9773, draft-ietf-acme-rats) server
 *	  responses the helper reads: directory, order, authorization with its
 *	  challenges, renewal information and problem documents.
 *
 * Pure parsers, no I/O: every body is untrusted, loaded with ar_json_load()
 * (size cap, duplicate members refused) and checked member by member; URLs
 * must be https and fit ACME_URL_MAX, strings their buffers, lists their
 * caps. Unknown members are ignored, as RFC 8555 asks of clients. Each
 * parser returns 0, or -1 with AR_ERR_MALFORMED or AR_ERR_TOO_LARGE and a
 * message naming the member.
 */
#ifndef AR_HELPER_ACME_MSG_H
#define AR_HELPER_ACME_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "acme_status.h"
#include "ear.h"
#include "err.h"
#include "x509.h"

#define ACME_URL_MAX		1024
#define ACME_MAX_BODY		(64 * 1024)	/**< largest JSON response read */
#define ACME_MAX_AUTHZ		8
#define ACME_MAX_CHALL		6
#define ACME_TOKEN_MAX		128

/* Status of an order, authorization or challenge: acme_status_t (lib/acme_status.h). */

/** A problem document (RFC 7807), type without the ACME urn prefix kept whole. */
typedef struct acme_problem {
	char	type[128];	/**< "" when the answer had none */
	char	detail[256];
	long	status;		/**< HTTP status it came with */
} acme_problem_t;

/** The directory (RFC 8555 7.1.1), plus RFC 9773's renewalInfo. */
typedef struct acme_dir {
	char	new_nonce[ACME_URL_MAX];
	char	new_account[ACME_URL_MAX];
	char	new_order[ACME_URL_MAX];
	char	revoke_cert[ACME_URL_MAX];
	char	renewal_info[ACME_URL_MAX];	/**< "" when the server has no ARI */
	int	eab_required;
} acme_dir_t;

typedef struct acme_order {
	acme_status_t	status;
	size_t		nauthz;
	char		authz[ACME_MAX_AUTHZ][ACME_URL_MAX];
	char		finalize[ACME_URL_MAX];
	char		certificate[ACME_URL_MAX];	/**< "" until valid */
	acme_problem_t	error;				/**< type "" when none */
} acme_order_t;

typedef struct acme_chall {
	char		type[32];
	char		url[ACME_URL_MAX];
	acme_status_t	status;
	char		token[ACME_TOKEN_MAX + 1];		/**< "" when absent */
	char		freshness_nonce[AR_EAR_NONCE_MAX + 1];	/**< remote-attest-01 */
	char		enc_credential[ACME_URL_MAX];		/**< verifierEncryptionCredential */
	acme_problem_t	error;
} acme_chall_t;

typedef struct acme_authz {
	acme_status_t	status;
	ar_identifier_t	id;
	size_t		nchall;
	acme_chall_t	chall[ACME_MAX_CHALL];
} acme_authz_t;

/** RFC 9773 renewal information: the suggested window, unix seconds. */
typedef struct acme_ari {
	int64_t	start;
	int64_t	end;
} acme_ari_t;

int acme_parse_directory(const char *body, size_t len, acme_dir_t *d, ar_err_t *err);
int acme_parse_order(const char *body, size_t len, acme_order_t *o, ar_err_t *err);
int acme_parse_authz(const char *body, size_t len, acme_authz_t *a, ar_err_t *err);
int acme_parse_chall(const char *body, size_t len, acme_chall_t *c, ar_err_t *err);
int acme_parse_ari(const char *body, size_t len, acme_ari_t *ari, ar_err_t *err);

/**
 * Read a problem document. Never fails: a body that is not one leaves
 * @c type empty and says so in @c detail.
 */
void acme_parse_problem(const char *body, size_t len, long status, acme_problem_t *p);

/** True if @p p is the ACME error @p name ("badNonce", ...). */
int acme_problem_is(const acme_problem_t *p, const char *name);

/**
 * Parse an RFC 3339 date-time ("2026-11-23T10:00:00Z", fractions and
 * numeric offsets allowed). Returns 0 with unix seconds, or -1.
 */
int acme_parse_time(const char *s, int64_t *out);

#endif
