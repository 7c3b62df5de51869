/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file tpm_evidence.h
 * @brief TPM evidence as it travels (docs/evidence.md, "TPM evidence
 *	  format"): the qualifying data the device passes to TPM2_Quote and
 *	  TPM2_Certify, and the CMW collection that carries the TPM's
 *	  structures, the logs and the posture document.
 *
 * Pure encoding, no TPM library: the helper encodes with it, the verifier
 * (verifier/tpm_cmw.h, which links libtss2) decodes and checks.
 */
#ifndef AR_TPM_EVIDENCE_H
#define AR_TPM_EVIDENCE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/** Collection type (`__cmwc_t`). */
#define AR_TPM_CMWC_T		"tag:acme-rats.org,2026:tpm-evidence"
/** Media types of the collection's records (the posture: AR_MT_EVIDENCE). */
#define AR_MT_TPM		"application/vnd.acme-rats.tpm+json"
#define AR_MT_TCG2_LOG		"application/vnd.acme-rats.tcg2-log"
#define AR_MT_IMA_ASCII		"application/vnd.acme-rats.ima-ascii"

/** Octets of the qualifying data (SHA-256). */
#define AR_TPM_QD_LEN		32
/** PCRs of a bank. */
#define AR_TPM_EV_PCRS		24

/**
 * The qualifying data of TPM2_Quote and TPM2_Certify:
 *
 *     SHA-256("acme-rats tpm qualifying data v1" || 0x00 || nonce ||
 *             SHA-256(posture))
 *
 * @p nonce: the verifier's nonce as it issued it (the characters of the
 * string, not decoded); @p posture: the posture JSON exactly as sent (NULL
 * with @p posture_len 0: the digest of the empty string).
 *
 * @return 0, or -1 (AR_ERR_CRYPTO).
 */
int ar_tpm_evidence_qd(const char *nonce, size_t nonce_len, const uint8_t *posture,
		       size_t posture_len, uint8_t out[AR_TPM_QD_LEN], ar_err_t *err);

/** What the device collected, to encode (all borrowed). */
typedef struct ar_tpm_cmw_in {
	const uint8_t	*ak, *quote, *quote_sig;	/**< TPMT_PUBLIC, TPMS_ATTEST, TPMT_SIGNATURE */
	size_t		ak_len, quote_len, quote_sig_len;
	uint32_t	pcr_mask;			/**< the quoted PCRs */
	const uint8_t	(*pcr)[32];			/**< SHA-256 values, indexed by PCR (24) */
	const uint8_t	*certify, *certify_sig, *key_pub;	/**< NULL: no certification */
	size_t		certify_len, certify_sig_len, key_pub_len;
	const char	*posture;
	size_t		posture_len;
	const uint8_t	*boot_log;			/**< NULL: left out */
	size_t		boot_log_len;
	const char	*ima_list;			/**< NULL: left out */
	size_t		ima_list_len;
} ar_tpm_cmw_in_t;

/**
 * Encode the collection: a new JSON text (malloc'd, NUL-terminated,
 * @p len its length), or NULL with @p err set.
 */
char *ar_tpm_cmw_encode(const ar_tpm_cmw_in_t *in, size_t *len, ar_err_t *err);

#endif
