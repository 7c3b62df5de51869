/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A minimal ACME client for integration tests: signs requests with the
 * library's JWS code - or, for an Ed25519 account key, with OpenSSL
 * directly, so the CA's EdDSA checks are not tested against themselves -
 * and keeps the Replay-Nonce chain going.
 */
#ifndef AR_TEST_ACMEC_H
#define AR_TEST_ACMEC_H

#include <jansson.h>
#include <openssl/evp.h>

#include "httpc.h"
#include "jwk.h"

typedef struct acmec {
	char		base[256];
	char		ca_file[300];
	char		nonce[128];
	char		kid[600];	/* account URL once known */
	const ar_jwk_t	*key;
	EVP_PKEY	*ed25519;	/* when set, the account key instead of key (not owned) */
	json_t		*dir;
} acmec_t;

/* Read the directory and a first nonce. */
int acmec_init(acmec_t *c, const char *base, const char *ca_file, const ar_jwk_t *key);
void acmec_free(acmec_t *c);

/* Directory URL of an endpoint ("newAccount", ...). */
const char *acmec_url(const acmec_t *c, const char *name);

/*
 * Sign and POST: @hdr_extra members are added to the protected header
 * (may override nonce/url/alg); @payload NULL means POST-as-GET. Uses
 * "jwk" when @use_jwk or no kid is known yet. Picks up the next nonce.
 */
int acmec_post(acmec_t *c, const char *url, const json_t *payload, int use_jwk,
	       const json_t *hdr_extra, httpc_resp_t *out);

/* The signed body acmec_post would send (caller frees), for replay tests. */
char *acmec_body(acmec_t *c, const char *url, const json_t *payload, int use_jwk,
		 const json_t *hdr_extra);

/* The public JWK of the account key (new reference). */
json_t *acmec_jwk(const acmec_t *c);

/* Its RFC 7638 thumbprint, for key authorizations. */
void acmec_thumbprint(const acmec_t *c, char out[44]);

/*
 * Ed25519 without lib/jwk.c and lib/jws.c: the RFC 8037 public JWK of
 * @pk, and a flattened JWS of @payload whose protected header is @hdr
 * plus "alg": "EdDSA" (unless @hdr has an "alg"), signed by @pk with
 * EVP_DigestSign. New references.
 */
json_t *acmec_eddsa_jwk(EVP_PKEY *pk);
json_t *acmec_eddsa_sign(EVP_PKEY *pk, const json_t *hdr, const char *payload);

/* POST an exact body. */
int acmec_send(acmec_t *c, const char *url, const char *body, const char *content_type,
	       httpc_resp_t *out);

#endif
