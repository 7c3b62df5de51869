/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file evidence_jws.h
 * @brief Signed evidence: the evidence JSON as a compact JWS signed by the
 *	  device's enrolled identity key, and its CMW wrapping for JWE.
 *
 * A device speaks only through the key it was enrolled with (the ACME
 * account key External Account Binding bound to its inventory entry, see
 * docs/security.md). Its evidence is therefore a compact JWS:
 * @code
 * protected: {"alg": "ES256", "typ": "vnd.acme-rats.evidence+jws",
 *             "kid": "<RFC 7638 thumbprint of the signing key>"}
 * payload:   the evidence JSON (evidence.h)
 * @endcode
 * sent as AR_MT_EVIDENCE_JWS, or inside a JWE (jwe.h) whose plaintext is
 * the CMW record `[AR_MT_EVIDENCE_JWS, base64url(JWS), 4]`.
 *
 * The verifying side never takes a key from the message: the header's
 * "kid" is only compared with the enrolled key's thumbprint, and the key
 * itself comes from a lookup of the device the payload names
 * (::ar_evidence_key_fn, the store's identity record in the verifier).
 * The "typ" is required: it keeps an evidence signature from being taken
 * for an ACME request or an EAR signed by the same kind of key, and back.
 */
#ifndef AR_EVIDENCE_JWS_H
#define AR_EVIDENCE_JWS_H

#include <stddef.h>

#include <jansson.h>

#include "err.h"
#include "evidence.h"
#include "jwk.h"

/** Media type of signed evidence (a compact JWS). */
#define AR_MT_EVIDENCE_JWS	"application/vnd.acme-rats.evidence+jws"
/** Its "typ" header value (RFC 7515 4.1.9: the media type without "application/"). */
#define AR_EVIDENCE_JWS_TYP	"vnd.acme-rats.evidence+jws"
/** Largest compact JWS accepted (evidence text, base64url, header, signature). */
#define AR_EVIDENCE_JWS_MAX	(AR_EVIDENCE_MAX_TEXT * 4 / 3 + 4096)
/** Largest CMW text wrapping one signed evidence. */
#define AR_EVIDENCE_CMW_MAX	(AR_EVIDENCE_JWS_MAX * 4 / 3 + 256)

/**
 * Sign @p ev with the device's identity key @p key (EC, RSA or Ed25519, private).
 *
 * @return the compact JWS (malloc'd; caller frees), or NULL with
 *	   AR_ERR_BAD_ALG (a symmetric key), AR_ERR_CRYPTO or AR_ERR_NOMEM.
 */
char *ar_evidence_sign(const ar_evidence_t *ev, const ar_jwk_t *key, ar_err_t *err);

/** As ar_evidence_sign(), over evidence JSON text as it is (tests, tools). */
char *ar_evidence_sign_text(const char *json, size_t len, const ar_jwk_t *key, ar_err_t *err);

/**
 * The enrolled identity key of @p device.
 *
 * @param[out] key	on 1, a new public key the caller frees.
 * @return 1 found, 0 the device has no enrolled identity, -1 with @p err
 *	   set (AR_ERR_UNAVAILABLE when the store cannot be reached).
 */
typedef int (*ar_evidence_key_fn)(void *ctx, const char *device, ar_jwk_t **key, ar_err_t *err);

/**
 * Verify signed evidence and decode it.
 *
 * Order: the JWS is parsed (only "alg", "typ" and "kid" in its protected
 * header; "typ" must be AR_EVIDENCE_JWS_TYP, "application/" prefix
 * allowed; "alg" asymmetric), the payload decoded as evidence, the device
 * it names looked up, and the signature checked with the enrolled key only.
 * On success @p out has identity_verified set and identity_jkt filled; on
 * failure @p out is cleared, so nothing unverified can be appraised.
 *
 * @return 0, or -1 with
 *	- AR_ERR_MALFORMED / AR_ERR_TOO_LARGE: not a signed evidence document;
 *	- AR_ERR_BAD_ALG: "alg" missing, "none", a MAC, or not the enrolled
 *	  key's;
 *	- AR_ERR_NOT_FOUND: the device named has no enrolled identity;
 *	- AR_ERR_BAD_SIGNATURE: not signed by the device's enrolled key;
 *	- whatever @p lookup failed with (AR_ERR_UNAVAILABLE).
 */
int ar_evidence_verify(const char *text, size_t len, ar_evidence_key_fn lookup, void *ctx,
		       ar_evidence_t *out, ar_err_t *err);

/**
 * The device id a compact JWS's payload claims, read without any check:
 * for naming the device in the log line of a refusal, never for a decision.
 * @return 0 with @p out filled, or -1 (@p out "").
 */
int ar_evidence_claimed_device(const char *text, size_t len, char *out, size_t size);

/**
 * The CMW record carrying signed evidence: `[AR_MT_EVIDENCE_JWS,
 * base64url(jws), AR_CMW_IND_EVIDENCE]`. Returns a new JSON array or NULL.
 */
json_t *ar_evidence_cmw_wrap(const char *jws);

/**
 * Unwrap the plaintext of an evidence JWE: one CMW record (not a
 * collection) whose type is AR_MT_EVIDENCE_JWS and whose indicator, when
 * present, is exactly AR_CMW_IND_EVIDENCE.
 *
 * @param[out] jws	the compact JWS, malloc'd and NUL-terminated.
 * @return 0, or -1 with AR_ERR_MALFORMED / AR_ERR_TOO_LARGE;
 *	   AR_ERR_UNAUTHORIZED for unsigned evidence (a bare JSON object, or a
 *	   record of AR_MT_EVIDENCE); AR_ERR_UNSUPPORTED for a record of any
 *	   other type.
 */
int ar_evidence_cmw_unwrap(const char *text, size_t len, char **jws, size_t *jws_len,
			   ar_err_t *err);

#endif
