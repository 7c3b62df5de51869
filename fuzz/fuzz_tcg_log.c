/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: the TCG2 crypto-agile boot log, its replay, the comparison
 * with quoted PCRs and the UEFI variables its events carry.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "tpm_eventlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ar_tcg_log_t log;
	ar_tpm_pcrs_t pcrs;
	ar_uefi_var_t var;
	ar_err_t err;
	size_t i;

	if (ar_tcg_log_parse(data, size, &log, &err) == AR_TPM_OK) {
		memset(&pcrs, 0, sizeof(pcrs));
		pcrs.mask = 0x0043ff;
		(void)ar_tcg_log_check(&log, &pcrs, 0x0043ff, &err);
		(void)ar_tcg_log_secure_boot(&log, &err);
		(void)ar_tcg_log_pcr7_separator(&log);
		for (i = 0; i < log.count; i++) {
			(void)ar_tcg_event_benign(&log.ev[i]);
			if (ar_uefi_var_decode(&log.ev[i], &var, &err) == 0)
				(void)ar_uefi_var_name_is(&var, "SecureBoot");
		}
	}
	ar_tcg_log_clear(&log);
	return 0;
}
