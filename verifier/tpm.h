/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file tpm.h
 * @brief TPM 2.0 evidence: quotes and key certifications, decoded with
 *	  libtss2-mu and verified with OpenSSL EVP.
 *
 * Pure functions over bytes: nothing here talks to a TPM. The verifier
 * receives, from the device, the marshalled structures the TPM produced
 * (TPMS_ATTEST, TPMT_SIGNATURE, TPMT_PUBLIC, without TPM2B size prefixes)
 * and the SHA-256 PCR values the quote covers, and checks them against the
 * nonce it issued and the AK the device is enrolled with.
 *
 * Every check returns an ::ar_tpm_reason_t (AR_TPM_OK or why the evidence
 * is refused) and, when @p err is not NULL, fills it with an ::ar_errc_t
 * and a one-line message that starts with the reason's name
 * ("tpm_nonce_mismatch: ..."). Only this unit, the verifier, its tests and
 * fuzz targets link libtss2.
 */
#ifndef AR_TPM_H
#define AR_TPM_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <tss2/tss2_tpm2_types.h>

#include "err.h"

/** Why TPM evidence was refused. Stable: the appraisal maps these. */
typedef enum ar_tpm_reason {
	AR_TPM_OK = 0,
	AR_TPM_MALFORMED,		/**< a structure does not decode, is truncated or padded */
	AR_TPM_NOT_GENERATED,		/**< TPMS_ATTEST magic is not TPM_GENERATED_VALUE */
	AR_TPM_WRONG_TYPE,		/**< TPMS_ATTEST is not the kind expected (quote / certify) */
	AR_TPM_UNSUPPORTED,		/**< key type, curve, size, scheme or hash not accepted */
	AR_TPM_BAD_SIGNATURE,		/**< the signature does not verify with the AK */
	AR_TPM_AK_NOT_RESTRICTED,	/**< the signing key is no restricted, fixed TPM signing key */
	AR_TPM_NONCE_MISMATCH,		/**< extraData is not the expected qualifying data */
	AR_TPM_PCR_SELECTION,		/**< the quote covers other PCRs or banks than required */
	AR_TPM_PCR_DIGEST_MISMATCH,	/**< the reported PCR values do not hash to the quoted digest */
	AR_TPM_CLOCK_REPLAY,		/**< resetCount, restartCount or clock went backwards */
	AR_TPM_NAME_MISMATCH,		/**< the certified Name is not that of the public area */
	AR_TPM_KEY_EXPORTABLE,		/**< certified key lacks fixedTPM, fixedParent or sensitiveDataOrigin */
	AR_TPM_KEY_RESTRICTED,		/**< certified key is restricted (or cannot sign) */
	AR_TPM_LOG_MALFORMED,		/**< the TCG2 event log does not parse or exceeds a bound */
	AR_TPM_LOG_REPLAY_MISMATCH,	/**< the event log does not replay to a quoted PCR */
	AR_TPM_IMA_MALFORMED,		/**< the IMA list does not parse or exceeds a bound */
	AR_TPM_IMA_REPLAY_MISMATCH,	/**< the IMA list does not replay to the quoted PCR 10 */
	AR_TPM_IMA_NOT_ALLOWED,		/**< an IMA measurement outside the allowlist */
	AR_TPM_IMA_NOT_MEASURED,	/**< PCR 10 at its reset value: IMA measured nothing */
	AR_TPM_IMA_NO_BOOT_AGGREGATE,	/**< the boot's IMA list does not start with boot_aggregate */
	AR_TPM_AK_NOT_ENROLLED,		/**< the device has no enrolled AK, or another one */
	AR_TPM_AK_OTHER_DEVICE,		/**< the AK is enrolled for another device */
	AR_TPM_AK_ALREADY_ENROLLED,	/**< the device is enrolled with another AK */
	AR_TPM_EK_UNTRUSTED,		/**< the EK certificate does not chain to a trusted root */
	AR_TPM_EK_MISMATCH,		/**< the EK public area is not the certificate's key */
	AR_TPM_EK_NOT_REGISTERED,	/**< no EK certificate and the EK public is not registered */
	AR_TPM_ACTIVATION_FAILED,	/**< the activated secret is not the one the challenge bound */
	AR_TPM_CHALLENGE_UNKNOWN,	/**< no such enrolment challenge (expired or already used) */
	AR_TPM_INTERNAL,		/**< allocation or crypto library failure */
} ar_tpm_reason_t;

/** Stable name of a reason ("tpm_ok", "tpm_nonce_mismatch", ...). */
const char *ar_tpm_reason_name(ar_tpm_reason_t reason);

/** Number of PCRs in a bank this code handles (0-23). */
#define AR_TPM_PCR_COUNT 24
/** SHA-256 digest size. */
#define AR_TPM_SHA256_LEN 32
/** Bound on any marshalled structure accepted (TPMS_ATTEST, TPMT_PUBLIC, ...). */
#define AR_TPM_MAX_STRUCT 4096

/** SHA-256 bank PCR values as the device reports them for a quote. */
typedef struct ar_tpm_pcrs {
	uint32_t	mask;	/**< bit i set: PCR i is reported (and must be quoted) */
	uint8_t		v[AR_TPM_PCR_COUNT][AR_TPM_SHA256_LEN];
} ar_tpm_pcrs_t;

/** A TPM key's public area, decoded, with its Name and an EVP_PKEY. */
typedef struct ar_tpm_key {
	TPMT_PUBLIC	pub;		/**< decoded public area */
	uint8_t		name[2 + EVP_MAX_MD_SIZE]; /**< nameAlg (big-endian) || H(public) */
	size_t		name_len;
	EVP_PKEY	*pkey;		/**< owned; NULL after ar_tpm_key_clear() */
} ar_tpm_key_t;

/** The TPM's clock as a TPMS_ATTEST reports it. */
typedef struct ar_tpm_clock {
	uint64_t	clock;		/**< ms the TPM has been powered */
	uint32_t	reset_count;	/**< TPM Resets (boots) since TPM2_Clear */
	uint32_t	restart_count;	/**< restarts (resume) since the last reset */
	int		safe;		/**< no larger clock was reported before */
} ar_tpm_clock_t;

/**
 * The qualifying data the device passes to TPM2_Quote and TPM2_Certify:
 *
 *     SHA-256("acme-rats tpm qualifying data v1" || 0x00 || nonce ||
 *             SHA-256(posture))
 *
 * @p nonce: the verifier's nonce as it issued it (the characters of the
 * base64url string, not decoded); @p posture: the posture JSON exactly as
 * sent (may be NULL with @p posture_len 0: the digest of the empty string).
 *
 * @return 0, or -1 (AR_ERR_CRYPTO) if hashing failed.
 */
int ar_tpm_qualifying_data(const char *nonce, size_t nonce_len, const uint8_t *posture,
			   size_t posture_len, uint8_t out[AR_TPM_SHA256_LEN], ar_err_t *err);

/**
 * Decode a marshalled TPMT_PUBLIC (every byte consumed, the re-marshalled
 * form identical), compute its Name and make its public key an EVP_PKEY.
 * Accepted: ECC NIST P-256 and RSA 2048, 3072, 4096 bits; nameAlg SHA-256,
 * SHA-384 or SHA-512.
 *
 * On success @p key owns an EVP_PKEY: release with ar_tpm_key_clear().
 * On failure @p key holds nothing to release.
 */
ar_tpm_reason_t ar_tpm_key_decode(const uint8_t *buf, size_t len, ar_tpm_key_t *key,
				  ar_err_t *err);

/** Release what ar_tpm_key_decode() allocated; @p key may be zeroed or NULL. */
void ar_tpm_key_clear(ar_tpm_key_t *key);

/**
 * Check that @p ak is an attestation key: a restricted signing key
 * (restricted, sign, not decrypt) that never leaves the TPM (fixedTPM,
 * fixedParent, sensitiveDataOrigin). Only such a key cannot be made to sign
 * a forged TPMS_ATTEST: a restricted key refuses to sign data that starts
 * with TPM_GENERATED_VALUE.
 */
ar_tpm_reason_t ar_tpm_ak_check(const ar_tpm_key_t *ak, ar_err_t *err);

/**
 * Verify a marshalled TPMT_SIGNATURE over @p msg with @p key. Accepted
 * schemes: ECDSA with SHA-256 (P-256 key), RSASSA-PKCS1-v1_5 and RSA-PSS
 * with SHA-256 (RSA key). The signature's scheme must suit the key type.
 */
ar_tpm_reason_t ar_tpm_signature_verify(const ar_tpm_key_t *key, const uint8_t *msg,
					size_t msg_len, const uint8_t *sig, size_t sig_len,
					ar_err_t *err);

/**
 * Decode a marshalled TPMS_ATTEST: every byte consumed (a truncated or
 * padded structure is AR_TPM_MALFORMED), magic TPM_GENERATED_VALUE, type
 * @p type (TPM2_ST_ATTEST_QUOTE or TPM2_ST_ATTEST_CERTIFY).
 */
ar_tpm_reason_t ar_tpm_attest_decode(const uint8_t *buf, size_t len, TPMI_ST_ATTEST type,
				     TPMS_ATTEST *out, ar_err_t *err);

/**
 * Verify a quote: @p attest decodes as a quote (ar_tpm_attest_decode()),
 * @p ak is an attestation key (ar_tpm_ak_check()) whose @p sig verifies
 * over @p attest, extraData equals @p qd, the quote selects exactly the
 * PCRs of @p pcrs->mask in the SHA-256 bank (and nothing else), and
 * pcrDigest equals SHA-256 of the reported values in PCR order.
 *
 * @param clock	if not NULL, receives the quote's clock information (on
 *		success only), for ar_tpm_clock_check() against the last one.
 */
ar_tpm_reason_t ar_tpm_quote_verify(const ar_tpm_key_t *ak, const uint8_t *attest,
				    size_t attest_len, const uint8_t *sig, size_t sig_len,
				    const uint8_t qd[AR_TPM_SHA256_LEN],
				    const ar_tpm_pcrs_t *pcrs, ar_tpm_clock_t *clock,
				    ar_err_t *err);

/**
 * Verify a key certification: @p attest decodes as a certify, @p ak (an
 * attestation key) signed it, extraData equals @p qd, @p key_pub (the
 * certified key's marshalled TPMT_PUBLIC) decodes and its Name equals the
 * certified name, and its attributes are fixedTPM, fixedParent,
 * sensitiveDataOrigin and sign, not restricted and not decrypt.
 *
 * @param certified on success, the certified key (release with
 *		    ar_tpm_key_clear()); its EVP_PKEY's RFC 7638 thumbprint is
 *		    the EAR's cnf.jkt (ar_jwk_pkey_thumbprint()).
 */
ar_tpm_reason_t ar_tpm_certify_verify(const ar_tpm_key_t *ak, const uint8_t *attest,
				      size_t attest_len, const uint8_t *sig, size_t sig_len,
				      const uint8_t qd[AR_TPM_SHA256_LEN],
				      const uint8_t *key_pub, size_t key_pub_len,
				      ar_tpm_key_t *certified, ar_err_t *err);

/**
 * Check that @p now comes after @p last (the last clock the verifier
 * accepted from this AK): a larger resetCount (a new boot), or the same
 * resetCount and a larger restartCount, or both the same and a larger
 * clock. Anything else is a replayed or rolled-back quote
 * (AR_TPM_CLOCK_REPLAY). @p last NULL: nothing seen yet, always OK.
 */
ar_tpm_reason_t ar_tpm_clock_check(const ar_tpm_clock_t *last, const ar_tpm_clock_t *now,
				   ar_err_t *err);

/** Set PCR @p i of @p pcrs from hex (64 digits). Returns 0 or -1. */
int ar_tpm_pcrs_set_hex(ar_tpm_pcrs_t *pcrs, unsigned i, const char *hex);

/* Internal to the TPM unit: record @p reason in @p err and return it. */
ar_tpm_reason_t ar_tpm_fail(ar_err_t *err, ar_tpm_reason_t reason, ar_errc_t code,
			    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
