/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: the TPM evidence collection a device sends (CMW collection,
 * the `tpm` record's JSON, its base64url structures and PCR values), then
 * the structures it carries as the appraisal would decode them.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "tpm_cmw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ar_tpm_cmw_t c;
	ar_tpm_key_t key;
	TPMS_ATTEST attest;
	ar_err_t err;

	if (ar_tpm_cmw_decode((const char *)data, size, &c, &err) == 0) {
		if (ar_tpm_key_decode(c.ak, c.ak_len, &key, &err) == AR_TPM_OK)
			ar_tpm_key_clear(&key);
		(void)ar_tpm_attest_decode(c.quote, c.quote_len, TPM2_ST_ATTEST_QUOTE, &attest, &err);
		if (c.key_pub && ar_tpm_key_decode(c.key_pub, c.key_pub_len, &key, &err) == AR_TPM_OK)
			ar_tpm_key_clear(&key);
	}
	ar_tpm_cmw_clear(&c);
	return 0;
}
