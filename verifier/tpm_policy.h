/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file tpm_policy.h
 * @brief Reference values for TPM evidence (the verifier's `tpm_policy`
 *	  file, docs/verifier.md "TPM reference values") and the AR4SI
 *	  claims a replayed boot log earns against them.
 *
 * The file is line based: a keyword and its value per line, `#` starts a
 * comment line. acme-rats-verifier installs a commented example
 * (verifier/tpm-policy.conf):
 *
 *     quote_pcrs 0-10,14
 *     boot_pcrs 0-9,14
 *     boot_digest 4 <sha256 hex>     allowed digest of an event of PCR 4
 *     secure_boot required
 *     uefi_var dbx <sha256 hex>      allowed digest of the dbx event of PCR 7
 *     kernel_cmdline /boot/vmlinuz-6.1.0-26-amd64 root=UUID=1e2b ro quiet
 *     ima_allowlist allowlist.txt    sha256sum(1) lines; relative to the file
 *     ima_exclude /var/log/<glob>
 */
#ifndef AR_TPM_POLICY_H
#define AR_TPM_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "ear.h"
#include "tpm_appraise.h"

#define AR_TPM_POL_MAX_DIGESTS	256	/**< boot_digest lines */
#define AR_TPM_POL_MAX_VARS	64	/**< uefi_var lines */
#define AR_TPM_POL_MAX_CMDLINES	16	/**< kernel_cmdline lines */
#define AR_TPM_POL_CMDLINE_MAX	1024	/**< characters of one command line */

/** An allowed event digest of a PCR, or of a UEFI variable's event. */
typedef struct ar_tpm_pol_digest {
	uint32_t	pcr;
	char		var[32];	/**< uefi_var: the variable's name */
	uint8_t		d[AR_TPM_SHA256_LEN];
} ar_tpm_pol_digest_t;

/** One loaded policy; immutable once loaded (share it across threads). */
typedef struct ar_tpm_refpolicy {
	ar_tpm_policy_t		base;		/**< quote_mask, boot_mask, ima (tpm_appraise.h) */
	ar_ima_policy_t		*ima;		/**< owned; base.ima points here */
	uint32_t		digest_mask;	/**< PCRs checked event by event */
	size_t			ndigests;
	ar_tpm_pol_digest_t	digests[AR_TPM_POL_MAX_DIGESTS];
	size_t			nvars;
	ar_tpm_pol_digest_t	vars[AR_TPM_POL_MAX_VARS];
	int			secure_boot;	/**< 1: Secure Boot must be on */
	size_t			ncmdlines;
	char			cmdlines[AR_TPM_POL_MAX_CMDLINES][AR_TPM_POL_CMDLINE_MAX];
} ar_tpm_refpolicy_t;

/**
 * Parse policy text. @p dir resolves relative `ima_allowlist` paths.
 * A check that needs a PCR (boot digests of PCR N, Secure Boot and
 * uefi_var of PCR 7, the command line of PCR 8) requires that PCR in
 * boot_pcrs, and boot_pcrs within quote_pcrs.
 *
 * @return 0, or -1 with AR_ERR_CONFIG naming the line. Release with
 *	   ar_tpm_refpolicy_free() either way.
 */
int ar_tpm_refpolicy_parse(const char *text, size_t len, const char *dir,
			   ar_tpm_refpolicy_t *p, ar_err_t *err);

/** Read and parse the file @p path (at most 1 MiB). */
int ar_tpm_refpolicy_load(const char *path, ar_tpm_refpolicy_t *p, ar_err_t *err);

/** Release what the parse allocated (not @p p itself). */
void ar_tpm_refpolicy_free(ar_tpm_refpolicy_t *p);

/**
 * Judge a boot log that replayed to the quote against the reference values:
 *
 * - executables: 96 when an event of a PCR with boot_digest lines has a
 *   digest none of them allows (only what ar_tcg_event_benign() accepts is
 *   excepted: EV_NO_ACTION, a separator of 00000000/FFFFFFFF and an ASCII
 *   EV_EFI_ACTION, each digest that of its data); 2 when every such PCR
 *   passed and the policy has one; else 0;
 * - configuration: 96 when Secure Boot is required and any SecureBoot
 *   event before PCR 7's separator is off (or none, or unknown), a
 *   uefi_var's PCR 7 event before the separator has a digest the policy
 *   does not allow (or is missing), PCR 7 has no separator or an
 *   EV_EFI_VARIABLE_DRIVER_CONFIG event after it (when Secure Boot or a
 *   uefi_var is checked), or any command line measured into PCR 8 matches
 *   no kernel_cmdline (or there is none); 2 when the policy checks any of
 *   them and all passed; else 0.
 *
 * @p tv's other claims are not touched. @p reason receives the first
 * failure, "" when none.
 */
void ar_tpm_refpolicy_judge(const ar_tpm_refpolicy_t *p, const ar_tcg_log_t *log,
			    ar_tvec_t *tv, char *reason, size_t size);

#endif
