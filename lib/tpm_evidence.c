/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TPM evidence as it travels: qualifying data and the collection's
 * encoding (see tpm_evidence.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "b64.h"
#include "cmw.h"
#include "evidence.h"
#include "hex.h"
#include "tpm_evidence.h"

#define QD_LABEL "acme-rats tpm qualifying data v1"

int ar_tpm_evidence_qd(const char *nonce, size_t nonce_len, const uint8_t *posture,
		       size_t posture_len, uint8_t out[AR_TPM_QD_LEN], ar_err_t *err)
{
	uint8_t pd[AR_TPM_QD_LEN];
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok;

	ok = md && EVP_Digest(posture ? posture : (const uint8_t *)"", posture_len, pd, NULL,
			      EVP_sha256(), NULL) == 1 &&
	     EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	     EVP_DigestUpdate(md, QD_LABEL, sizeof(QD_LABEL)) == 1 &&	/* with its NUL */
	     EVP_DigestUpdate(md, nonce, nonce_len) == 1 &&
	     EVP_DigestUpdate(md, pd, sizeof(pd)) == 1 &&
	     EVP_DigestFinal_ex(md, out, NULL) == 1;
	EVP_MD_CTX_free(md);
	if (!ok)
		return ar_err_set(err, AR_ERR_CRYPTO, "tpm: computing the qualifying data failed");
	return 0;
}

/* Encoding. */

static int set_b64(json_t *obj, const char *key, const void *d, size_t n)
{
	char *s = ar_b64url_encode_alloc(d, n);
	int rc;

	if (!s)
		return -1;
	rc = json_object_set_new(obj, key, json_string(s));
	free(s);
	return rc;
}

static json_t *pcr_json(uint32_t mask, const uint8_t (*pcr)[32])
{
	json_t *bank = json_object();
	char idx[4], hex[65];
	unsigned i;

	for (i = 0; bank && i < AR_TPM_EV_PCRS; i++) {
		if (!(mask & (1u << i)))
			continue;
		snprintf(idx, sizeof(idx), "%u", i);
		if (ar_hex_encode(pcr[i], 32, hex, sizeof(hex), NULL) < 0 ||
		    json_object_set_new(bank, idx, json_string(hex)) < 0) {
			json_decref(bank);
			return NULL;
		}
	}
	return bank ? json_pack("{s:o}", "sha256", bank) : NULL;
}

static char *tpm_json(const ar_tpm_cmw_in_t *in, size_t *len)
{
	json_t *root = json_object(), *quote = json_object(), *certify = NULL, *pcrs;
	char *text = NULL;

	if (!root || !quote)
		goto out;
	pcrs = pcr_json(in->pcr_mask, in->pcr);
	if (set_b64(root, "ak", in->ak, in->ak_len) < 0 ||
	    set_b64(quote, "attest", in->quote, in->quote_len) < 0 ||
	    set_b64(quote, "sig", in->quote_sig, in->quote_sig_len) < 0 ||
	    !pcrs || json_object_set_new(quote, "pcrs", pcrs) < 0 ||
	    json_object_set(root, "quote", quote) < 0)
		goto out;
	if (in->certify) {
		certify = json_object();
		if (!certify || set_b64(certify, "attest", in->certify, in->certify_len) < 0 ||
		    set_b64(certify, "sig", in->certify_sig, in->certify_sig_len) < 0 ||
		    set_b64(certify, "public", in->key_pub, in->key_pub_len) < 0 ||
		    json_object_set(root, "certify", certify) < 0)
			goto out;
	}
	text = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
	if (text)
		*len = strlen(text);
out:
	json_decref(certify);
	json_decref(quote);
	json_decref(root);
	return text;
}

static int add_record(json_t *coll, const char *label, const char *type, const void *d, size_t n)
{
	json_t *rec = ar_cmw_record(type, d, n, AR_CMW_IND_EVIDENCE);

	return rec && json_object_set_new(coll, label, rec) == 0 ? 0 : -1;
}

char *ar_tpm_cmw_encode(const ar_tpm_cmw_in_t *in, size_t *len, ar_err_t *err)
{
	json_t *coll = json_pack("{s:s}", "__cmwc_t", AR_TPM_CMWC_T);
	char *tpm = NULL, *text = NULL;
	size_t tpm_len = 0;

	tpm = tpm_json(in, &tpm_len);
	if (!coll || !tpm || add_record(coll, "tpm", AR_MT_TPM, tpm, tpm_len) < 0 ||
	    add_record(coll, "posture", AR_MT_EVIDENCE, in->posture, in->posture_len) < 0 ||
	    (in->boot_log && add_record(coll, "bootlog", AR_MT_TCG2_LOG, in->boot_log,
					in->boot_log_len) < 0) ||
	    (in->ima_list && add_record(coll, "ima", AR_MT_IMA_ASCII, in->ima_list,
					in->ima_list_len) < 0))
		goto out;
	text = json_dumps(coll, JSON_COMPACT);
	if (text)
		*len = strlen(text);
out:
	if (!text)
		ar_err_set(err, AR_ERR_NOMEM, "cannot encode the TPM evidence");
	free(tpm);
	json_decref(coll);
	return text;
}
