/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file tpm_enroll.h
 * @brief TPM enrolment on the verifier: the EK trust store, and credential
 *	  activation (TPM2_MakeCredential done in software).
 *
 * Enrolment proves two things before an AK is registered
 * (tpm_registry.h): the EK belongs to a genuine TPM (its certificate chains
 * to a manufacturer root of the trust store, and its key is the EK public
 * area the device sent), and the AK lives in that same TPM (the device
 * recovers a secret that only the TPM holding the EK's private key can
 * release, and releases it only for an object whose Name is the AK's).
 *
 * Pure functions over bytes, OpenSSL EVP and libtss2-mu; nothing here
 * talks to a TPM or to Redis.
 */
#ifndef AR_TPM_ENROLL_H
#define AR_TPM_ENROLL_H

#include <stddef.h>
#include <stdint.h>

#include "tpm.h"

/** Longest EK certificate accepted (DER). TCG NV indices hold at most about 2 KiB. */
#define AR_TPM_EK_CERT_MAX	4096
/** Size of the secret credential activation binds to the AK Name. */
#define AR_TPM_CRED_SECRET_LEN	32
/** Longest marshalled TPM2B_ID_OBJECT / TPM2B_ENCRYPTED_SECRET made here. */
#define AR_TPM_CRED_BLOB_MAX	1024

/** The EK certificate roots (and intermediates) the verifier trusts. */
typedef struct ar_tpm_ek_trust ar_tpm_ek_trust_t;

/**
 * Load the EK trust store.
 *
 * @param roots		a file of PEM certificates, or a directory whose
 *			regular files each hold PEM or DER certificates: the
 *			manufacturers' roots (self-signed; a chain must end in
 *			one of them).
 * @param intermediates	a file of PEM certificates (or NULL / ""): CA
 *			certificates a chain may pass through. Not trusted by
 *			themselves.
 * @return a store to free with ar_tpm_ek_trust_free(), or NULL with
 *	   AR_ERR_CONFIG (unreadable, not a certificate, no root at all).
 */
ar_tpm_ek_trust_t *ar_tpm_ek_trust_load(const char *roots, const char *intermediates,
					ar_err_t *err);

/** Free a trust store; NULL is fine. */
void ar_tpm_ek_trust_free(ar_tpm_ek_trust_t *t);

/** Number of roots loaded. */
size_t ar_tpm_ek_trust_roots(const ar_tpm_ek_trust_t *t);

/**
 * Check an EK public area: a restricted decryption key that never leaves
 * the TPM (restricted, decrypt, fixedTPM, fixedParent, sensitiveDataOrigin;
 * not sign) with an AES-128 CFB symmetric scheme and nameAlg SHA-256: the
 * key TPM2_ActivateCredential can use.
 */
ar_tpm_reason_t ar_tpm_ek_check(const ar_tpm_key_t *ek, ar_err_t *err);

/**
 * Verify an EK certificate (DER, as read from the TPM's NV index) with
 * X509_verify_cert to a root of @p t at time @p now, and check that its
 * public key is @p ek's.
 *
 * No X.509 purpose is asked of the chain: OpenSSL's purposes (TLS, S/MIME,
 * code signing, ...) do not know a TCG EK certificate, whose extended key
 * usage, when present, is tcg-kp-EKCertificate (2.23.133.8.1). Instead: if
 * the leaf has an extended key usage it must contain 2.23.133.8.1. Critical
 * extensions OpenSSL does not know fail the chain (as they must).
 *
 * @return AR_TPM_OK; AR_TPM_MALFORMED (not a DER certificate, trailing
 *	   octets, over AR_TPM_EK_CERT_MAX); AR_TPM_EK_UNTRUSTED (no chain to a
 *	   root, expired, bad signature, wrong extended key usage);
 *	   AR_TPM_EK_MISMATCH (its key is not @p ek's).
 */
ar_tpm_reason_t ar_tpm_ek_cert_verify(const ar_tpm_ek_trust_t *t, const uint8_t *der,
				      size_t len, const ar_tpm_key_t *ek, int64_t now,
				      ar_err_t *err);

/** SHA-256 of @p len octets (the registry's EK identity). 0 or -1. */
int ar_tpm_sha256(const uint8_t *in, size_t len, uint8_t out[AR_TPM_SHA256_LEN]);

/**
 * TPM2_MakeCredential in software (TPM 2.0 Part 1, "Credential
 * Protection"; Part 3, MakeCredential): protect @p secret for the object
 * named @p name so that only TPM2_ActivateCredential with the private part
 * of @p ek (an EK that passed ar_tpm_ek_check()) and that object releases
 * it.
 *
 * - seed: RSA EK: random, nameAlg-digest long, RSA-OAEP (nameAlg, label
 *   "IDENTITY") encrypted to the EK; ECC EK: from a fresh ephemeral key's
 *   ECDH with the EK, KDFe(nameAlg, Z, "IDENTITY", ephemeral x, EK x), and
 *   the ephemeral point is the encrypted secret.
 * - symmetric key KDFa(nameAlg, seed, "STORAGE", name, -, 128) encrypts the
 *   TPM2B_DIGEST of @p secret with AES-128-CFB (zero IV); HMAC key
 *   KDFa(nameAlg, seed, "INTEGRITY", -, -, digest bits) over
 *   encIdentity || name.
 *
 * @param blob		receives the marshalled TPM2B_ID_OBJECT (size included).
 * @param enc_secret	receives the marshalled TPM2B_ENCRYPTED_SECRET.
 * @return AR_TPM_OK, AR_TPM_UNSUPPORTED (EK type or nameAlg), AR_TPM_INTERNAL.
 */
ar_tpm_reason_t ar_tpm_make_credential(const ar_tpm_key_t *ek, const uint8_t *name,
				       size_t name_len,
				       const uint8_t secret[AR_TPM_CRED_SECRET_LEN],
				       uint8_t *blob, size_t *blob_len, uint8_t *enc_secret,
				       size_t *enc_secret_len, ar_err_t *err);

/**
 * KDFa (TPM 2.0 Part 1, 11.4.10.2) with SHA-256: @p bits / 8 octets of
 * HMAC-SHA-256(key, i || label || 0 || context_u || context_v || bits) for
 * i = 1, 2, ... Exposed for the tests' known answers. 0 or -1.
 */
int ar_tpm_kdfa(const uint8_t *key, size_t key_len, const char *label, const uint8_t *context_u,
		size_t u_len, const uint8_t *context_v, size_t v_len, uint32_t bits, uint8_t *out);

#endif
