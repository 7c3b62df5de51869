/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file tpm_appraise.h
 * @brief One TPM evidence appraisal: the quote, the key certification, the
 *	  boot log and the IMA list of one device together, and the device's
 *	  replay state, advanced only when all of it is accepted.
 */
#ifndef AR_TPM_APPRAISE_H
#define AR_TPM_APPRAISE_H

#include "tpm.h"
#include "tpm_eventlog.h"
#include "tpm_ima.h"

/** What the verifier requires of every device of a profile. */
typedef struct ar_tpm_policy {
	uint32_t		quote_mask;	/**< PCRs the quote must cover (SHA-256 bank) */
	uint32_t		boot_mask;	/**< PCRs the boot log must replay to; within quote_mask */
	const ar_ima_policy_t	*ima;		/**< NULL: no IMA list is appraised (PCR 10 not checked) */
} ar_tpm_policy_t;

/** The evidence of one attestation; all buffers borrowed. */
typedef struct ar_tpm_evidence {
	const uint8_t	*quote, *quote_sig;	/**< TPMS_ATTEST, TPMT_SIGNATURE */
	size_t		quote_len, quote_sig_len;
	const ar_tpm_pcrs_t *pcrs;		/**< reported values; mask = policy's quote_mask */
	const uint8_t	*certify, *certify_sig;	/**< NULL: no key certification */
	size_t		certify_len, certify_sig_len;
	const uint8_t	*key_pub;		/**< certified key's TPMT_PUBLIC */
	size_t		key_pub_len;
	const uint8_t	*boot_log;		/**< required when policy boot_mask is not 0 */
	size_t		boot_log_len;
	const char	*ima_list;		/**< required when the policy has an IMA policy */
	size_t		ima_list_len;
} ar_tpm_evidence_t;

/** What the verifier keeps per device (enrolled AK) between appraisals. */
typedef struct ar_tpm_device_state {
	int		seen;		/**< 0: no quote accepted yet */
	ar_tpm_clock_t	clock;		/**< of the last quote accepted */
	ar_ima_state_t	ima;
} ar_tpm_device_state_t;

/** What an accepted appraisal established. */
typedef struct ar_tpm_result {
	ar_tpm_clock_t	clock;
	ar_tpm_key_t	key;		/**< the certified key (pkey NULL without a certification) */
	ar_tcg_log_t	log;		/**< the boot log, replayed and matched (for reference values) */
	size_t		ima_appraised;	/**< IMA entries appraised this time */
	uint64_t	ima_pending;	/**< IMA entries after the quoted PCR 10: not appraised */
} ar_tpm_result_t;

/**
 * Appraise @p ev of the device whose enrolled AK is @p ak against @p pol,
 * the qualifying data @p qd and the device's @p state: the quote
 * (ar_tpm_quote_verify()), its clock after the last accepted one
 * (ar_tpm_clock_check()), the certification (ar_tpm_certify_verify()), the
 * boot log to policy boot_mask, the IMA list to the quoted PCR 10.
 *
 * On success @p state advances (clock, IMA position) and @p res holds the
 * result (release with ar_tpm_result_clear(); the log borrows
 * @p ev->boot_log). On failure @p state is unchanged and @p res holds
 * nothing to release.
 */
ar_tpm_reason_t ar_tpm_appraise(const ar_tpm_policy_t *pol, const ar_tpm_key_t *ak,
				const ar_tpm_evidence_t *ev, const uint8_t qd[AR_TPM_SHA256_LEN],
				ar_tpm_device_state_t *state, ar_tpm_result_t *res,
				ar_err_t *err);

/** Release what ar_tpm_appraise() left in @p res. */
void ar_tpm_result_clear(ar_tpm_result_t *res);

#endif
