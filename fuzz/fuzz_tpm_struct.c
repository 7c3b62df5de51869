/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: the TPM structures of a quote or a key certification.
 * Input: u16be length, TPMT_PUBLIC; u16be length, TPMS_ATTEST; the rest a
 * TPMT_SIGNATURE. The public area is decoded (key, Name), then used as the
 * AK of a quote and of a certification (and as the certified key).
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "tpm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int part(const uint8_t **data, size_t *size, const uint8_t **p, size_t *n)
{
	if (*size < 2)
		return -1;
	*n = (size_t)(*data)[0] << 8 | (*data)[1];
	if (*size - 2 < *n)
		return -1;
	*p = *data + 2;
	*data += 2 + *n;
	*size -= 2 + *n;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *pub, *attest;
	size_t pub_len, attest_len;
	uint8_t qd[AR_TPM_SHA256_LEN];
	ar_tpm_key_t ak, certified;
	ar_tpm_pcrs_t pcrs;
	ar_tpm_clock_t clock, last = { 0 };
	TPMS_ATTEST a;
	ar_err_t err;

	if (part(&data, &size, &pub, &pub_len) < 0 || part(&data, &size, &attest, &attest_len) < 0)
		return 0;
	(void)ar_tpm_attest_decode(attest, attest_len, TPM2_ST_ATTEST_QUOTE, &a, &err);
	(void)ar_tpm_attest_decode(attest, attest_len, TPM2_ST_ATTEST_CERTIFY, &a, &err);
	if (ar_tpm_key_decode(pub, pub_len, &ak, &err) != AR_TPM_OK)
		return 0;
	(void)ar_tpm_ak_check(&ak, &err);
	(void)ar_tpm_signature_verify(&ak, attest, attest_len, data, size, &err);
	memset(qd, 0, sizeof(qd));
	if (attest_len >= 2 + 4 + 2 + 32)	/* take the expected qualifying data from the input */
		memcpy(qd, attest + attest_len - 32, 32);
	memset(&pcrs, 0, sizeof(pcrs));
	pcrs.mask = 0x0004ff;
	if (ar_tpm_quote_verify(&ak, attest, attest_len, data, size, qd, &pcrs, &clock, &err) == AR_TPM_OK)
		(void)ar_tpm_clock_check(&last, &clock, &err);
	if (ar_tpm_certify_verify(&ak, attest, attest_len, data, size, qd, pub, pub_len, &certified,
				  &err) == AR_TPM_OK)
		ar_tpm_key_clear(&certified);
	ar_tpm_key_clear(&ak);
	return 0;
}
