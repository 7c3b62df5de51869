/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One TPM evidence appraisal (see tpm_appraise.h).
 */
#include "config.h"

#include <string.h>

#include "tpm_appraise.h"

static ar_tpm_reason_t missing(ar_err_t *err, const char *what)
{
	return ar_tpm_fail(err, AR_TPM_MALFORMED, AR_ERR_MALFORMED, "the evidence lacks %s", what);
}

static ar_tpm_reason_t policy_check(const ar_tpm_policy_t *pol, const ar_tpm_evidence_t *ev,
				    ar_err_t *err)
{
	if (ev->pcrs->mask != pol->quote_mask)
		return ar_tpm_fail(err, AR_TPM_PCR_SELECTION, AR_ERR_MALFORMED,
				   "PCRs 0x%06x reported where the policy requires 0x%06x",
				   ev->pcrs->mask, pol->quote_mask);
	if (pol->boot_mask && !ev->boot_log)
		return missing(err, "the boot log the policy requires");
	if (pol->ima && (!ev->ima_list || !(pol->quote_mask & (1u << AR_IMA_PCR))))
		return missing(err, "the IMA list (and a quote of PCR 10) the policy requires");
	if (ev->certify && !ev->key_pub)
		return missing(err, "the certified key's public area");
	return AR_TPM_OK;
}

ar_tpm_reason_t ar_tpm_appraise(const ar_tpm_policy_t *pol, const ar_tpm_key_t *ak,
				const ar_tpm_evidence_t *ev, const uint8_t qd[AR_TPM_SHA256_LEN],
				ar_tpm_device_state_t *state, ar_tpm_result_t *res,
				ar_err_t *err)
{
	ar_ima_state_t ima = state->ima;
	ar_tpm_reason_t r;

	memset(res, 0, sizeof(*res));
	r = policy_check(pol, ev, err);
	if (r == AR_TPM_OK)
		r = ar_tpm_quote_verify(ak, ev->quote, ev->quote_len, ev->quote_sig, ev->quote_sig_len,
					qd, ev->pcrs, &res->clock, err);
	if (r == AR_TPM_OK)
		r = ar_tpm_clock_check(state->seen ? &state->clock : NULL, &res->clock, err);
	if (r == AR_TPM_OK && ev->certify)
		r = ar_tpm_certify_verify(ak, ev->certify, ev->certify_len, ev->certify_sig,
					  ev->certify_sig_len, qd, ev->key_pub, ev->key_pub_len,
					  &res->key, err);
	if (r == AR_TPM_OK && pol->boot_mask) {
		r = ar_tcg_log_parse(ev->boot_log, ev->boot_log_len, &res->log, err);
		if (r == AR_TPM_OK)
			r = ar_tcg_log_check(&res->log, ev->pcrs, pol->boot_mask, err);
	}
	if (r == AR_TPM_OK && pol->ima)
		r = ar_ima_appraise(pol->ima, &ima, res->clock.reset_count, ev->ima_list,
				    ev->ima_list_len, ev->pcrs->v[AR_IMA_PCR], &res->ima_appraised, err);
	if (r != AR_TPM_OK) {
		ar_tpm_result_clear(res);
		return r;
	}
	state->seen = 1;
	state->clock = res->clock;
	state->ima = ima;
	res->ima_pending = pol->ima ? ima.pending : 0;
	return AR_TPM_OK;
}

void ar_tpm_result_clear(ar_tpm_result_t *res)
{
	if (!res)
		return;
	ar_tpm_key_clear(&res->key);
	ar_tcg_log_clear(&res->log);
	memset(res, 0, sizeof(*res));
}
