/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TPMS_ATTEST: quotes and key certifications, their qualifying data, the
 * PCR digest and the TPM clock.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <tss2/tss2_mu.h>

#include "hex.h"
#include "tpm.h"
#include "tpm_evidence.h"

static const char *const reason_names[] = {
	[AR_TPM_OK] = "tpm_ok",
	[AR_TPM_MALFORMED] = "tpm_malformed",
	[AR_TPM_NOT_GENERATED] = "tpm_not_generated",
	[AR_TPM_WRONG_TYPE] = "tpm_wrong_type",
	[AR_TPM_UNSUPPORTED] = "tpm_unsupported",
	[AR_TPM_BAD_SIGNATURE] = "tpm_bad_signature",
	[AR_TPM_AK_NOT_RESTRICTED] = "tpm_ak_not_restricted",
	[AR_TPM_NONCE_MISMATCH] = "tpm_nonce_mismatch",
	[AR_TPM_PCR_SELECTION] = "tpm_pcr_selection",
	[AR_TPM_PCR_DIGEST_MISMATCH] = "tpm_pcr_digest_mismatch",
	[AR_TPM_CLOCK_REPLAY] = "tpm_clock_replay",
	[AR_TPM_NAME_MISMATCH] = "tpm_name_mismatch",
	[AR_TPM_KEY_EXPORTABLE] = "tpm_key_exportable",
	[AR_TPM_KEY_RESTRICTED] = "tpm_key_restricted",
	[AR_TPM_LOG_MALFORMED] = "tpm_log_malformed",
	[AR_TPM_LOG_REPLAY_MISMATCH] = "tpm_log_replay_mismatch",
	[AR_TPM_IMA_MALFORMED] = "tpm_ima_malformed",
	[AR_TPM_IMA_REPLAY_MISMATCH] = "tpm_ima_replay_mismatch",
	[AR_TPM_IMA_NOT_ALLOWED] = "tpm_ima_not_allowed",
	[AR_TPM_IMA_NOT_MEASURED] = "tpm_ima_not_measured",
	[AR_TPM_IMA_NO_BOOT_AGGREGATE] = "tpm_ima_no_boot_aggregate",
	[AR_TPM_AK_NOT_ENROLLED] = "tpm_ak_not_enrolled",
	[AR_TPM_AK_OTHER_DEVICE] = "tpm_ak_other_device",
	[AR_TPM_AK_ALREADY_ENROLLED] = "tpm_ak_already_enrolled",
	[AR_TPM_EK_UNTRUSTED] = "tpm_ek_untrusted",
	[AR_TPM_EK_MISMATCH] = "tpm_ek_mismatch",
	[AR_TPM_EK_NOT_REGISTERED] = "tpm_ek_not_registered",
	[AR_TPM_ACTIVATION_FAILED] = "tpm_activation_failed",
	[AR_TPM_CHALLENGE_UNKNOWN] = "tpm_challenge_unknown",
	[AR_TPM_INTERNAL] = "tpm_internal",
};

const char *ar_tpm_reason_name(ar_tpm_reason_t reason)
{
	if ((size_t)reason < sizeof(reason_names) / sizeof(reason_names[0]) && reason_names[reason])
		return reason_names[reason];
	return "tpm_unknown";
}

ar_tpm_reason_t ar_tpm_fail(ar_err_t *err, ar_tpm_reason_t reason, ar_errc_t code,
			    const char *fmt, ...)
{
	char msg[sizeof(err->msg)];
	va_list ap;

	if (err) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		ar_err_set(err, code, "%s: %s", ar_tpm_reason_name(reason), msg);
	}
	return reason;
}

int ar_tpm_qualifying_data(const char *nonce, size_t nonce_len, const uint8_t *posture,
			   size_t posture_len, uint8_t out[AR_TPM_SHA256_LEN], ar_err_t *err)
{
	return ar_tpm_evidence_qd(nonce, nonce_len, posture, posture_len, out, err);
}

ar_tpm_reason_t ar_tpm_attest_decode(const uint8_t *buf, size_t len, TPMI_ST_ATTEST type,
				     TPMS_ATTEST *out, ar_err_t *err)
{
	size_t off = 0;

	memset(out, 0, sizeof(*out));
	if (len > AR_TPM_MAX_STRUCT)
		return ar_tpm_fail(err, AR_TPM_MALFORMED, AR_ERR_TOO_LARGE,
				   "TPMS_ATTEST of %zu octets (at most %d)", len, AR_TPM_MAX_STRUCT);
	if (Tss2_MU_TPMS_ATTEST_Unmarshal(buf, len, &off, out) != TSS2_RC_SUCCESS)
		return ar_tpm_fail(err, AR_TPM_MALFORMED, AR_ERR_MALFORMED,
				   "TPMS_ATTEST of %zu octets does not decode (truncated or invalid)", len);
	if (off != len)
		return ar_tpm_fail(err, AR_TPM_MALFORMED, AR_ERR_MALFORMED,
				   "TPMS_ATTEST has %zu trailing octets after %zu", len - off, off);
	if (out->magic != TPM2_GENERATED_VALUE)
		return ar_tpm_fail(err, AR_TPM_NOT_GENERATED, AR_ERR_MALFORMED,
				   "TPMS_ATTEST magic 0x%08x is not TPM_GENERATED_VALUE", out->magic);
	if (out->type != type)
		return ar_tpm_fail(err, AR_TPM_WRONG_TYPE, AR_ERR_MALFORMED,
				   "TPMS_ATTEST type 0x%04x where 0x%04x (%s) is expected", out->type,
				   type, type == TPM2_ST_ATTEST_QUOTE ? "quote" :
				   type == TPM2_ST_ATTEST_CERTIFY ? "certify" : "other");
	return AR_TPM_OK;
}

static ar_tpm_reason_t extra_data_check(const TPMS_ATTEST *a, const uint8_t qd[AR_TPM_SHA256_LEN],
					ar_err_t *err)
{
	if (a->extraData.size != AR_TPM_SHA256_LEN ||
	    CRYPTO_memcmp(a->extraData.buffer, qd, AR_TPM_SHA256_LEN) != 0)
		return ar_tpm_fail(err, AR_TPM_NONCE_MISMATCH, AR_ERR_BAD_NONCE,
				   "extraData (%u octets) is not the qualifying data of this "
				   "verifier's nonce and posture", a->extraData.size);
	return AR_TPM_OK;
}

/* Decode, check the signing key and the signature, then the qualifying data. */
static ar_tpm_reason_t attest_verify(const ar_tpm_key_t *ak, const uint8_t *attest,
				     size_t attest_len, const uint8_t *sig, size_t sig_len,
				     TPMI_ST_ATTEST type, const uint8_t qd[AR_TPM_SHA256_LEN],
				     TPMS_ATTEST *a, ar_err_t *err)
{
	ar_tpm_reason_t r;

	r = ar_tpm_attest_decode(attest, attest_len, type, a, err);
	if (r == AR_TPM_OK)
		r = ar_tpm_ak_check(ak, err);
	if (r == AR_TPM_OK)
		r = ar_tpm_signature_verify(ak, attest, attest_len, sig, sig_len, err);
	if (r == AR_TPM_OK)
		r = extra_data_check(a, qd, err);
	return r;
}

/* The quote must select exactly @mask in one SHA-256 bank. */
static ar_tpm_reason_t pcr_selection_check(const TPML_PCR_SELECTION *sel, uint32_t mask,
					   ar_err_t *err)
{
	const TPMS_PCR_SELECTION *s = &sel->pcrSelections[0];
	uint32_t got = 0;
	unsigned i;

	if (sel->count != 1 || s->hash != TPM2_ALG_SHA256)
		return ar_tpm_fail(err, AR_TPM_PCR_SELECTION, AR_ERR_UNSUPPORTED,
				   "the quote selects %u bank(s), first 0x%04x; exactly the SHA-256 bank "
				   "is required", sel->count, sel->count ? s->hash : 0);
	for (i = 0; i < s->sizeofSelect && i < TPM2_PCR_SELECT_MAX; i++) {
		if (i >= AR_TPM_PCR_COUNT / 8) {
			if (s->pcrSelect[i])
				return ar_tpm_fail(err, AR_TPM_PCR_SELECTION, AR_ERR_UNSUPPORTED,
						   "the quote selects PCRs above 23");
			continue;
		}
		got |= (uint32_t)s->pcrSelect[i] << (8 * i);
	}
	if (got != mask)
		return ar_tpm_fail(err, AR_TPM_PCR_SELECTION, AR_ERR_MALFORMED,
				   "the quote selects PCRs 0x%06x, the reported values are of 0x%06x",
				   got, mask);
	return AR_TPM_OK;
}

static ar_tpm_reason_t pcr_digest_check(const TPMS_QUOTE_INFO *q, const ar_tpm_pcrs_t *pcrs,
					ar_err_t *err)
{
	uint8_t d[AR_TPM_SHA256_LEN];
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned i;
	int ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1;

	for (i = 0; ok && i < AR_TPM_PCR_COUNT; i++)
		if (pcrs->mask & (1u << i))
			ok = EVP_DigestUpdate(md, pcrs->v[i], AR_TPM_SHA256_LEN) == 1;
	ok = ok && EVP_DigestFinal_ex(md, d, NULL) == 1;
	EVP_MD_CTX_free(md);
	if (!ok)
		return ar_tpm_fail(err, AR_TPM_INTERNAL, AR_ERR_CRYPTO, "hashing the PCR values failed");
	if (q->pcrDigest.size != sizeof(d) || CRYPTO_memcmp(q->pcrDigest.buffer, d, sizeof(d)) != 0)
		return ar_tpm_fail(err, AR_TPM_PCR_DIGEST_MISMATCH, AR_ERR_BAD_SIGNATURE,
				   "the reported PCR values do not hash to the quoted PCR digest");
	return AR_TPM_OK;
}

ar_tpm_reason_t ar_tpm_quote_verify(const ar_tpm_key_t *ak, const uint8_t *attest,
				    size_t attest_len, const uint8_t *sig, size_t sig_len,
				    const uint8_t qd[AR_TPM_SHA256_LEN],
				    const ar_tpm_pcrs_t *pcrs, ar_tpm_clock_t *clock,
				    ar_err_t *err)
{
	TPMS_ATTEST a;
	ar_tpm_reason_t r;

	r = attest_verify(ak, attest, attest_len, sig, sig_len, TPM2_ST_ATTEST_QUOTE, qd, &a, err);
	if (r == AR_TPM_OK)
		r = pcr_selection_check(&a.attested.quote.pcrSelect, pcrs->mask, err);
	if (r == AR_TPM_OK)
		r = pcr_digest_check(&a.attested.quote, pcrs, err);
	if (r == AR_TPM_OK && clock) {
		clock->clock = a.clockInfo.clock;
		clock->reset_count = a.clockInfo.resetCount;
		clock->restart_count = a.clockInfo.restartCount;
		clock->safe = a.clockInfo.safe == TPM2_YES;
	}
	return r;
}

static ar_tpm_reason_t certified_attrs_check(const ar_tpm_key_t *key, ar_err_t *err)
{
	TPMA_OBJECT a = key->pub.objectAttributes;

	if (!(a & TPMA_OBJECT_FIXEDTPM) || !(a & TPMA_OBJECT_FIXEDPARENT) ||
	    !(a & TPMA_OBJECT_SENSITIVEDATAORIGIN))
		return ar_tpm_fail(err, AR_TPM_KEY_EXPORTABLE, AR_ERR_BAD_KEY,
				   "the certified key can leave the TPM (attributes 0x%08x: fixedTPM %s, "
				   "fixedParent %s, sensitiveDataOrigin %s)", a,
				   a & TPMA_OBJECT_FIXEDTPM ? "set" : "clear",
				   a & TPMA_OBJECT_FIXEDPARENT ? "set" : "clear",
				   a & TPMA_OBJECT_SENSITIVEDATAORIGIN ? "set" : "clear");
	if (a & TPMA_OBJECT_RESTRICTED)
		return ar_tpm_fail(err, AR_TPM_KEY_RESTRICTED, AR_ERR_BAD_KEY,
				   "the certified key is restricted (attributes 0x%08x): an "
				   "attestation or storage key cannot be a certificate key", a);
	if (!(a & TPMA_OBJECT_SIGN_ENCRYPT) || (a & TPMA_OBJECT_DECRYPT))
		return ar_tpm_fail(err, AR_TPM_KEY_RESTRICTED, AR_ERR_BAD_KEY,
				   "the certified key is not a signing-only key (attributes 0x%08x)", a);
	return AR_TPM_OK;
}

ar_tpm_reason_t ar_tpm_certify_verify(const ar_tpm_key_t *ak, const uint8_t *attest,
				      size_t attest_len, const uint8_t *sig, size_t sig_len,
				      const uint8_t qd[AR_TPM_SHA256_LEN],
				      const uint8_t *key_pub, size_t key_pub_len,
				      ar_tpm_key_t *certified, ar_err_t *err)
{
	TPMS_ATTEST a;
	const TPM2B_NAME *name;
	ar_tpm_reason_t r;

	memset(certified, 0, sizeof(*certified));
	r = attest_verify(ak, attest, attest_len, sig, sig_len, TPM2_ST_ATTEST_CERTIFY, qd, &a, err);
	if (r == AR_TPM_OK)
		r = ar_tpm_key_decode(key_pub, key_pub_len, certified, err);
	if (r != AR_TPM_OK)
		return r;
	name = &a.attested.certify.name;
	if (name->size != certified->name_len ||
	    memcmp(name->name, certified->name, certified->name_len) != 0)
		r = ar_tpm_fail(err, AR_TPM_NAME_MISMATCH, AR_ERR_BAD_KEY,
				"the certified Name (%u octets) is not the Name of the public area "
				"presented", name->size);
	if (r == AR_TPM_OK)
		r = certified_attrs_check(certified, err);
	if (r != AR_TPM_OK)
		ar_tpm_key_clear(certified);
	return r;
}

ar_tpm_reason_t ar_tpm_clock_check(const ar_tpm_clock_t *last, const ar_tpm_clock_t *now,
				   ar_err_t *err)
{
	if (!last)
		return AR_TPM_OK;
	if (now->reset_count != last->reset_count) {
		if (now->reset_count > last->reset_count)
			return AR_TPM_OK;
		return ar_tpm_fail(err, AR_TPM_CLOCK_REPLAY, AR_ERR_BAD_NONCE,
				   "resetCount went backwards (%u after %u): a quote of an earlier boot",
				   now->reset_count, last->reset_count);
	}
	if (now->restart_count != last->restart_count) {
		if (now->restart_count > last->restart_count)
			return AR_TPM_OK;
		return ar_tpm_fail(err, AR_TPM_CLOCK_REPLAY, AR_ERR_BAD_NONCE,
				   "restartCount went backwards (%u after %u) within boot %u",
				   now->restart_count, last->restart_count, now->reset_count);
	}
	if (now->clock <= last->clock)
		return ar_tpm_fail(err, AR_TPM_CLOCK_REPLAY, AR_ERR_BAD_NONCE,
				   "the TPM clock did not advance (%llu after %llu) within boot %u: "
				   "a replayed quote", (unsigned long long)now->clock,
				   (unsigned long long)last->clock, now->reset_count);
	return AR_TPM_OK;
}

int ar_tpm_pcrs_set_hex(ar_tpm_pcrs_t *pcrs, unsigned i, const char *hex)
{
	if (i >= AR_TPM_PCR_COUNT || strlen(hex) != 2 * AR_TPM_SHA256_LEN ||
	    ar_hex_decode(hex, 2 * AR_TPM_SHA256_LEN, pcrs->v[i], sizeof(pcrs->v[i])) < 0)
		return -1;
	pcrs->mask |= 1u << i;
	return 0;
}
