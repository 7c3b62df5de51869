/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file acme.h
 * @brief The helper's ACME client (RFC 8555) over common/http.h: one
 *	  connection kept alive, every request signed with the account key,
 *	  the Replay-Nonce chain kept, badNonce retried.
 *
 * Failures are reported through ::ar_err_t with these codes:
 * AR_ERR_UNAVAILABLE / AR_ERR_TIMEOUT (CA unreachable, or it answered 5xx
 * or 429: try later), AR_ERR_UNAUTHORIZED (the CA refused: a 4xx problem
 * document; @c problem holds its type and detail), AR_ERR_MALFORMED /
 * AR_ERR_TOO_LARGE (the CA's answer is not ACME), AR_ERR_CONFIG (bad URL or
 * CA bundle).
 */
#ifndef AR_HELPER_ACME_H
#define AR_HELPER_ACME_H

#include <jansson.h>

#include "acme_msg.h"
#include "http.h"
#include "jwk.h"

/** badNonce answers retried per request before giving up. */
#define ACME_BADNONCE_RETRIES	16

typedef struct acme_client {
	http_client_t	*http;
	acme_dir_t	dir;
	char		nonce[128];
	char		kid[ACME_URL_MAX];	/**< account URL, "" before acme_account() */
	const ar_jwk_t	*key;			/**< account key (borrowed) */
	acme_problem_t	problem;		/**< last problem document received */
	long		retry_after;		/**< Retry-After of the last answer, -1 if none */
	unsigned	bad_nonces;		/**< badNonce answers retried so far (all requests) */
} acme_client_t;

/** Read the directory. @p key is the account key, kept borrowed. */
int acme_open(acme_client_t *c, const char *directory, const http_opts_t *o,
	      const ar_jwk_t *key, ar_err_t *err);
void acme_close(acme_client_t *c);

/**
 * Find or create the account of the key (newAccount), with an External
 * Account Binding when @p eab_kid is given (@p eab_hmac: base64url key).
 * Sets @c kid.
 */
int acme_account(acme_client_t *c, const char *eab_kid, const char *eab_hmac,
		 const char *contact, ar_err_t *err);

/** newOrder for @p ids; @p replaces: RFC 9773 certID or NULL. */
int acme_new_order(acme_client_t *c, const ar_identifier_t *ids, size_t n, const char *replaces,
		   char *order_url, acme_order_t *o, ar_err_t *err);

int acme_get_order(acme_client_t *c, const char *url, acme_order_t *o, ar_err_t *err);
int acme_get_authz(acme_client_t *c, const char *url, acme_authz_t *a, ar_err_t *err);

/** Answer a challenge with @p payload ({} for http-01; a CMW or JWE for remote-attest-01). */
int acme_respond(acme_client_t *c, const char *url, const json_t *payload, acme_chall_t *ch,
		 ar_err_t *err);

/**
 * Poll an authorization until it leaves "pending", honouring Retry-After
 * (between 1 and @p max_wait_s seconds per wait), for at most @p deadline_s
 * seconds in all. AR_ERR_TIMEOUT when it stays pending.
 */
int acme_wait_authz(acme_client_t *c, const char *url, int deadline_s, acme_authz_t *a,
		    ar_err_t *err);

/** Finalize with a DER CSR and poll the order until valid or invalid. */
int acme_finalize(acme_client_t *c, const char *order_url, acme_order_t *o,
		  const unsigned char *csr, size_t csr_len, int deadline_s, ar_err_t *err);

/** Download the certificate chain (PEM, malloc'd, caller frees). */
int acme_download(acme_client_t *c, const char *url, char **pem, ar_err_t *err);

/**
 * RFC 9773: GET renewalInfo/<certID>. @p retry_after receives the answer's
 * Retry-After in seconds (-1 when absent). AR_ERR_NOT_FOUND when the
 * directory has no renewalInfo or the CA does not know the certificate.
 */
int acme_renewal_info(acme_client_t *c, const char *certid, acme_ari_t *ari, long *retry_after,
		      ar_err_t *err);

#endif
