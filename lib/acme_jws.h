/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file acme_jws.h
 * @brief ACME request envelopes (RFC 8555 6.2) and External Account Binding
 *	  (RFC 8555 7.3.4).
 *
 * Every ACME POST is a flattened JWS whose protected header carries "alg",
 * "nonce", "url" and exactly one of "jwk" (newAccount, revokeCert by
 * certificate key) or "kid" (the account URL). ar_acme_jws_parse() checks
 * all of that and returns precise error codes the server maps to problem
 * types: AR_ERR_MALFORMED -> malformed, AR_ERR_BAD_ALG ->
 * badSignatureAlgorithm, AR_ERR_BAD_KEY -> badPublicKey (a "jwk" of a type,
 * curve or size not accepted, or not a valid key), AR_ERR_BAD_NONCE ->
 * badNonce, AR_ERR_UNAUTHORIZED -> unauthorized (URL mismatch),
 * AR_ERR_TOO_LARGE -> malformed (HTTP 413).
 * Whether the nonce is fresh and the kid names an account is the server's
 * business; this layer only checks form.
 */
#ifndef AR_ACME_JWS_H
#define AR_ACME_JWS_H

#include <stddef.h>

#include "jwk.h"
#include "jws.h"

/** Largest ACME request body accepted (a CSR with many SANs fits easily). */
#define AR_ACME_MAX_BODY	(64 * 1024)
/** Longest nonce we accept in a request. */
#define AR_ACME_MAX_NONCE	128

/** Which key reference an endpoint requires. */
typedef enum ar_acme_keyref {
	AR_ACME_KEY_KID = 1,	/**< "kid": requests by an existing account */
	AR_ACME_KEY_JWK,	/**< "jwk": newAccount */
	AR_ACME_KEY_EITHER,	/**< revokeCert: account or certificate key */
} ar_acme_keyref_t;

/** A parsed ACME request. Release with ar_acme_jws_clear(). */
typedef struct ar_acme_jws {
	ar_jws_t	jws;
	const char	*nonce;		/**< borrowed from jws.header */
	const char	*url;		/**< borrowed from jws.header */
	const char	*kid;		/**< borrowed; NULL when jwk is used */
	ar_jwk_t	*jwk;		/**< owned; NULL when kid is used */
	int		post_as_get;	/**< payload is the empty string */
	json_t		*payload;	/**< parsed JSON payload (an object, or an array
					     such as a CMW record), NULL for POST-as-GET */
} ar_acme_jws_t;

/**
 * Parse and check an ACME request body.
 *
 * @param url		the absolute URL the request was sent to; the header's
 *			"url" must equal it (AR_ERR_UNAUTHORIZED otherwise).
 * @param keyref	what the endpoint requires.
 * @return 0, or -1 with the error codes listed in the file comment. The
 *	   signature is NOT verified: call ar_acme_jws_verify() with the
 *	   account key once it is known.
 */
int ar_acme_jws_parse(const char *body, size_t len, const char *url,
		      ar_acme_keyref_t keyref, ar_acme_jws_t *out, ar_err_t *err);

/** Verify the request's signature with @p key (the account key or out->jwk). */
int ar_acme_jws_verify(const ar_acme_jws_t *req, const ar_jwk_t *key, ar_err_t *err);

void ar_acme_jws_clear(ar_acme_jws_t *req);

/**
 * Check an External Account Binding (RFC 8555 7.3.4): a flattened JWS,
 * alg HS256, protected "kid" = @p eab_kid, "url" = @p url (the newAccount
 * URL), no "nonce", payload = the account's public JWK, MAC by @p mac_key.
 *
 * @param eab		the "externalAccountBinding" member of the payload.
 * @param eab_kid	out: borrowed kid from the EAB header, so the caller can
 *			look up the key (may be called with @p mac_key NULL to
 *			learn the kid first; then only the form is checked).
 * @return 0, or -1 with AR_ERR_MALFORMED, AR_ERR_BAD_ALG, AR_ERR_UNAUTHORIZED
 *	   (URL or account key mismatch) or AR_ERR_BAD_SIGNATURE.
 */
int ar_acme_eab_check(const json_t *eab, const ar_jwk_t *account_key, const char *url,
		      const ar_jwk_t *mac_key, char *eab_kid, size_t eab_kid_size,
		      ar_err_t *err);

/**
 * Build an EAB JWS for a client: HS256 over @p account_key's public JWK with
 * @p mac_key, protected {"alg","kid","url"}. Returns a new JSON object.
 */
json_t *ar_acme_eab_sign(const ar_jwk_t *account_key, const char *eab_kid,
			 const ar_jwk_t *mac_key, const char *url, ar_err_t *err);

#endif
