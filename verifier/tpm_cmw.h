/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file tpm_cmw.h
 * @brief The TPM evidence a device sends for one attestation: a CMW
 *	  collection (RFC 9999, JSON form) of the TPM's signed structures,
 *	  the boot log, the IMA list and the posture document.
 *
 * @code
 * {"__cmwc_t": "tag:acme-rats.org,2026:tpm-evidence",
 *  "tpm":     ["application/vnd.acme-rats.tpm+json", "<base64url>", 4],
 *  "posture": ["application/vnd.acme-rats.evidence+json", "<base64url>", 4],
 *  "bootlog": ["application/vnd.acme-rats.tcg2-log", "<base64url>", 4],
 *  "ima":     ["application/vnd.acme-rats.ima-ascii", "<base64url>", 4]}
 * @endcode
 *
 * The `tpm` record's value is a JSON object (docs/evidence.md, "TPM
 * evidence format"):
 * @code
 * {"ak": "<base64url TPMT_PUBLIC of the AK>",
 *  "quote": {"attest": "<base64url TPMS_ATTEST>", "sig": "<base64url TPMT_SIGNATURE>",
 *            "pcrs": {"sha256": {"0": "<64 hex digits>", ...}}},
 *  "certify": {"attest": "...", "sig": "...", "public": "<base64url TPMT_PUBLIC>"}}
 * @endcode
 * `certify`, `bootlog` and `ima` are optional here; the verifier's policy
 * decides what it requires. Everything is untrusted input: sizes are
 * bounded and unknown members are refused. Decoding checks the form
 * only; tpm_appraise.h checks what the TPM signed. The encoder and the
 * media types are libacmerats' (tpm_evidence.h): the helper encodes.
 */
#ifndef AR_TPM_CMW_H
#define AR_TPM_CMW_H

#include <stddef.h>
#include <stdint.h>

#include "cmw.h"
#include "tpm_appraise.h"
#include "tpm_evidence.h"

/** Bound on the collection's JSON text (the verifier's max_body bounds it first). */
#define AR_TPM_CMW_MAX_TEXT	(16u << 20)
/** Bound on the `tpm` record's JSON. */
#define AR_TPM_CMW_MAX_TPM	(32u << 10)

/** A decoded collection. Release with ar_tpm_cmw_clear(). */
typedef struct ar_tpm_cmw {
	ar_cmw_t	cmw;			/**< owns the records' values */
	uint8_t		*ak, *quote, *quote_sig;	/**< owned */
	size_t		ak_len, quote_len, quote_sig_len;
	uint8_t		*certify, *certify_sig, *key_pub;	/**< owned; NULL without certify */
	size_t		certify_len, certify_sig_len, key_pub_len;
	ar_tpm_pcrs_t	pcrs;			/**< the reported SHA-256 PCR values */
	const char	*posture;		/**< borrowed from @c cmw; NUL-terminated */
	size_t		posture_len;
	const uint8_t	*boot_log;		/**< borrowed; NULL when absent */
	size_t		boot_log_len;
	const char	*ima_list;		/**< borrowed; NULL when absent */
	size_t		ima_list_len;
} ar_tpm_cmw_t;

/**
 * Decode @p text (@p len octets, at most AR_TPM_CMW_MAX_TEXT).
 *
 * Requires: a collection whose `__cmwc_t` is AR_TPM_CMWC_T; records `tpm`
 * and `posture` (and optionally `bootlog`, `ima`) with their media types,
 * `ind` absent or 4, and no other label; the `tpm` object as documented,
 * each structure at most AR_TPM_MAX_STRUCT octets, PCR indexes 0-23, each
 * value 64 hex digits.
 *
 * @return 0, or -1 with AR_ERR_MALFORMED or AR_ERR_TOO_LARGE naming the
 *	   member at fault. @p out holds nothing to release on failure.
 */
int ar_tpm_cmw_decode(const char *text, size_t len, ar_tpm_cmw_t *out, ar_err_t *err);

/** Release what ar_tpm_cmw_decode() allocated (NULL or zeroed allowed). */
void ar_tpm_cmw_clear(ar_tpm_cmw_t *c);

/** The appraisal input over @p c (borrows @p c: keep it alive). */
void ar_tpm_cmw_evidence(const ar_tpm_cmw_t *c, ar_tpm_evidence_t *ev);

#endif
