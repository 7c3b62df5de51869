/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The TPM evidence collection: decoding and encoding (see tpm_cmw.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "evidence.h"
#include "json.h"
#include "tpm_cmw.h"
#include "tpm_eventlog.h"
#include "tpm_ima.h"

void ar_tpm_cmw_clear(ar_tpm_cmw_t *c)
{
	if (!c)
		return;
	ar_cmw_clear(&c->cmw);
	free(c->ak);
	free(c->quote);
	free(c->quote_sig);
	free(c->certify);
	free(c->certify_sig);
	free(c->key_pub);
	memset(c, 0, sizeof(*c));
}

/* One base64url structure member, at most AR_TPM_MAX_STRUCT octets once decoded. */
static int structure(const char *b64, const char *what, uint8_t **out, size_t *len, ar_err_t *err)
{
	size_t n = strlen(b64);

	if (n == 0 || n > ar_b64url_enc_len(AR_TPM_MAX_STRUCT))
		return ar_err_set(err, n ? AR_ERR_TOO_LARGE : AR_ERR_MALFORMED,
				  "tpm %s: 1 to %u octets", what, AR_TPM_MAX_STRUCT);
	*out = ar_b64url_decode_alloc(b64, n, len, err);
	if (!*out)
		return ar_err_prefix(err, "tpm %s: ", what);
	return 0;
}

/* {"sha256": {"0": HEX, ...}}: indexes 0-23 in decimal, each once. */
static int pcr_values(json_t *pcrs, ar_tpm_pcrs_t *out, ar_err_t *err)
{
	json_t *bank = NULL, *v;
	json_error_t jerr;
	const char *key;
	char *end;
	long i;

	if (json_unpack_ex(pcrs, &jerr, JSON_STRICT, "{s:o}", "sha256", &bank) < 0 ||
	    !json_is_object(bank) || json_object_size(bank) == 0)
		return ar_err_set(err, AR_ERR_MALFORMED, "tpm quote.pcrs: only a non-empty "
				  "\"sha256\" bank is accepted");
	memset(out, 0, sizeof(*out));
	json_object_foreach(bank, key, v) {
		i = strtol(key, &end, 10);
		if (!*key || *end || i < 0 || i >= AR_TPM_PCR_COUNT || (key[0] == '0' && key[1]))
			return ar_err_set(err, AR_ERR_MALFORMED, "tpm quote.pcrs: \"%.8s\" is no "
					  "PCR index 0-23", key);
		if (!json_is_string(v) || json_string_length(v) != 2 * AR_TPM_SHA256_LEN ||
		    ar_tpm_pcrs_set_hex(out, (unsigned)i, json_string_value(v)) < 0)
			return ar_err_set(err, AR_ERR_MALFORMED, "tpm quote.pcrs: PCR %ld: not 64 "
					  "hex digits", i);
	}
	return 0;
}

/* The `tpm` record's JSON object. */
static int tpm_record(const ar_cmw_rec_t *rec, ar_tpm_cmw_t *c, ar_err_t *err)
{
	const char *ak, *q_attest, *q_sig, *c_attest = NULL, *c_sig = NULL, *c_pub = NULL;
	json_t *root, *pcrs, *certify = NULL;
	json_error_t jerr;
	int rc = -1;

	if (rec->len > AR_TPM_CMW_MAX_TPM)
		return ar_err_set(err, AR_ERR_TOO_LARGE, "tpm record of %zu octets exceeds %u",
				  rec->len, AR_TPM_CMW_MAX_TPM);
	root = ar_json_load((const char *)rec->value, rec->len, AR_TPM_CMW_MAX_TPM, "tpm record",
			    err);
	if (!root)
		return -1;
	if (json_unpack_ex(root, &jerr, JSON_STRICT, "{s:s, s:{s:s, s:s, s:o}, s?o}",
			   "ak", &ak, "quote", "attest", &q_attest, "sig", &q_sig, "pcrs", &pcrs,
			   "certify", &certify) < 0) {
		ar_err_set(err, AR_ERR_MALFORMED, "tpm record: %s", jerr.text);
		goto out;
	}
	if (certify && json_unpack_ex(certify, &jerr, JSON_STRICT, "{s:s, s:s, s:s}", "attest",
				      &c_attest, "sig", &c_sig, "public", &c_pub) < 0) {
		ar_err_set(err, AR_ERR_MALFORMED, "tpm record: certify: %s", jerr.text);
		goto out;
	}
	if (structure(ak, "ak", &c->ak, &c->ak_len, err) < 0 ||
	    structure(q_attest, "quote.attest", &c->quote, &c->quote_len, err) < 0 ||
	    structure(q_sig, "quote.sig", &c->quote_sig, &c->quote_sig_len, err) < 0 ||
	    pcr_values(pcrs, &c->pcrs, err) < 0)
		goto out;
	if (certify &&
	    (structure(c_attest, "certify.attest", &c->certify, &c->certify_len, err) < 0 ||
	     structure(c_sig, "certify.sig", &c->certify_sig, &c->certify_sig_len, err) < 0 ||
	     structure(c_pub, "certify.public", &c->key_pub, &c->key_pub_len, err) < 0))
		goto out;
	rc = 0;
out:
	json_decref(root);
	return rc;
}

/* Label, media type and bound of each record the collection may hold. */
static const struct item {
	const char	*label;
	const char	*type;
	size_t		max;
	int		required;
} items[] = {
	{ "tpm", AR_MT_TPM, AR_TPM_CMW_MAX_TPM, 1 },
	{ "posture", AR_MT_EVIDENCE, AR_EVIDENCE_MAX_TEXT, 1 },
	{ "bootlog", AR_MT_TCG2_LOG, AR_TCG_MAX_LOG, 0 },
	{ "ima", AR_MT_IMA_ASCII, AR_IMA_MAX_LIST, 0 },
};
#define NITEMS (sizeof(items) / sizeof(items[0]))

static const struct item *item_of(const char *label)
{
	size_t i;

	for (i = 0; i < NITEMS; i++)
		if (!strcmp(items[i].label, label))
			return &items[i];
	return NULL;
}

/* Each record: a known label, once, with its media type, ind 4 or none, within its bound. */
static int check_records(const ar_cmw_t *cmw, const ar_cmw_rec_t *found[NITEMS], ar_err_t *err)
{
	const struct item *it;
	size_t i, k;

	if (!cmw->is_collection || strcmp(cmw->collection_type, AR_TPM_CMWC_T))
		return ar_err_set(err, AR_ERR_MALFORMED, "TPM evidence must be a CMW collection "
				  "with __cmwc_t \"%s\"", AR_TPM_CMWC_T);
	for (i = 0; i < cmw->count; i++) {
		const ar_cmw_rec_t *rec = &cmw->recs[i];

		it = item_of(rec->label);
		if (!it)
			return ar_err_set(err, AR_ERR_MALFORMED, "TPM evidence: unknown record "
					  "\"%.32s\"", rec->label);
		k = (size_t)(it - items);
		if (strcmp(rec->type, it->type))
			return ar_err_set(err, AR_ERR_MALFORMED, "TPM evidence: %s must be of type "
					  "%s", it->label, it->type);
		if (rec->ind && rec->ind != AR_CMW_IND_EVIDENCE)
			return ar_err_set(err, AR_ERR_MALFORMED, "TPM evidence: %s: ind must be 4 "
					  "(evidence) or absent", it->label);
		if (rec->len > it->max)
			return ar_err_set(err, AR_ERR_TOO_LARGE, "TPM evidence: %s of %zu octets "
					  "exceeds %zu", it->label, rec->len, it->max);
		found[k] = rec;
	}
	for (k = 0; k < NITEMS; k++)
		if (items[k].required && !found[k])
			return ar_err_set(err, AR_ERR_MALFORMED, "TPM evidence lacks the %s record",
					  items[k].label);
	return 0;
}

int ar_tpm_cmw_decode(const char *text, size_t len, ar_tpm_cmw_t *out, ar_err_t *err)
{
	const ar_cmw_rec_t *found[NITEMS] = { NULL };
	json_t *json;
	int rc;

	memset(out, 0, sizeof(*out));
	json = ar_json_load(text, len, AR_TPM_CMW_MAX_TEXT, "TPM evidence", err);
	if (!json)
		return -1;
	rc = ar_cmw_decode_json(json, &out->cmw, err);
	json_decref(json);
	if (rc == 0)
		rc = check_records(&out->cmw, found, err);
	if (rc == 0)
		rc = tpm_record(found[0], out, err);
	if (rc < 0) {
		ar_tpm_cmw_clear(out);
		return -1;
	}
	out->posture = (const char *)found[1]->value;
	out->posture_len = found[1]->len;
	if (found[2]) {
		out->boot_log = found[2]->value;
		out->boot_log_len = found[2]->len;
	}
	if (found[3]) {
		out->ima_list = (const char *)found[3]->value;
		out->ima_list_len = found[3]->len;
	}
	return 0;
}

void ar_tpm_cmw_evidence(const ar_tpm_cmw_t *c, ar_tpm_evidence_t *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->quote = c->quote;
	ev->quote_len = c->quote_len;
	ev->quote_sig = c->quote_sig;
	ev->quote_sig_len = c->quote_sig_len;
	ev->pcrs = &c->pcrs;
	ev->certify = c->certify;
	ev->certify_len = c->certify_len;
	ev->certify_sig = c->certify_sig;
	ev->certify_sig_len = c->certify_sig_len;
	ev->key_pub = c->key_pub;
	ev->key_pub_len = c->key_pub_len;
	ev->boot_log = c->boot_log;
	ev->boot_log_len = c->boot_log_len;
	ev->ima_list = c->ima_list;
	ev->ima_list_len = c->ima_list_len;
}
