/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Evidence signed by the device's enrolled key, and its CMW wrapping (evidence_jws.h). */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "b64.h"
#include "cmw.h"
#include "evidence_jws.h"
#include "json.h"
#include "jws.h"

char *ar_evidence_sign_text(const char *json, size_t len, const ar_jwk_t *key, ar_err_t *err)
{
	json_t *hdr;
	char *jws;

	if (ar_jwk_type(key) == AR_JWK_OCT) {
		ar_err_set(err, AR_ERR_BAD_ALG, "evidence is signed with an EC, RSA or Ed25519 key "
			   "only");
		return NULL;
	}
	hdr = json_pack("{s:s, s:s}", "typ", AR_EVIDENCE_JWS_TYP, "kid", ar_jwk_thumbprint(key));
	if (!hdr) {
		ar_err_set(err, AR_ERR_NOMEM, "out of memory");
		return NULL;
	}
	jws = ar_jws_sign_compact(hdr, json, len, key, err);
	json_decref(hdr);
	return jws;
}

char *ar_evidence_sign(const ar_evidence_t *ev, const ar_jwk_t *key, ar_err_t *err)
{
	json_t *json = ar_evidence_to_json(ev);
	char *text = json ? json_dumps(json, JSON_COMPACT) : NULL, *jws = NULL;

	json_decref(json);
	if (!text)
		ar_err_set(err, AR_ERR_NOMEM, "out of memory");
	else
		jws = ar_evidence_sign_text(text, strlen(text), key, err);
	free(text);
	return jws;
}

/* "typ" names this very media type, with or without "application/" (RFC 7515 4.1.9). */
static int typ_is_evidence(const char *typ)
{
	static const char app[] = "application/";

	if (!strncasecmp(typ, app, sizeof(app) - 1))
		typ += sizeof(app) - 1;
	return !strcasecmp(typ, AR_EVIDENCE_JWS_TYP);
}

/* The protected header holds alg, typ and kid, nothing else. */
static int check_header(const ar_jws_t *jws, const char **kid, ar_err_t *err)
{
	const char *alg, *typ = NULL;
	json_error_t jerr;

	*kid = NULL;
	if (json_unpack_ex(jws->header, &jerr, JSON_STRICT, "{s:s, s?s, s?s}", "alg", &alg,
			   "typ", &typ, "kid", kid) < 0)
		return ar_err_set(err, AR_ERR_MALFORMED, "signed evidence header (alg, typ and kid "
				  "only): %s", jerr.text);
	if (!typ)
		return ar_err_set(err, AR_ERR_MALFORMED, "signed evidence header has no \"typ\" "
				  "(must be \"" AR_EVIDENCE_JWS_TYP "\")");
	if (!typ_is_evidence(typ))
		return ar_err_set(err, AR_ERR_MALFORMED, "signed evidence header \"typ\" is "
				  "\"%.64s\", not \"" AR_EVIDENCE_JWS_TYP "\"", typ);
	if (!*kid || strlen(*kid) != AR_JWK_THUMBPRINT_LEN)
		return ar_err_set(err, AR_ERR_MALFORMED, "signed evidence header \"kid\" must be "
				  "the RFC 7638 thumbprint of the device's identity key");
	if (!(AR_ALGS_ASYMMETRIC & AR_ALG_BIT(jws->alg)))
		return ar_err_set(err, AR_ERR_BAD_ALG, "evidence signed with %s: only ES256, ES384, "
				  "RS256 and EdDSA are allowed", ar_alg_name(jws->alg));
	return 0;
}

/* The signature, with the device's enrolled key and nothing else. */
static int check_signature(const ar_jws_t *jws, const char *kid, const ar_jwk_t *key,
			   const char *device, ar_err_t *err)
{
	if (strcmp(kid, ar_jwk_thumbprint(key)))
		return ar_err_set(err, AR_ERR_BAD_SIGNATURE, "evidence for %.64s is signed by key "
				  "%s, not by the key the device is enrolled with (%s)", device, kid,
				  ar_jwk_thumbprint(key));
	if (ar_jws_verify(jws, key, AR_ALGS_ASYMMETRIC, err) < 0) {
		if (err && err->code == AR_ERR_BAD_SIGNATURE)
			return ar_err_set(err, AR_ERR_BAD_SIGNATURE, "the signature on the evidence "
					  "for %.64s does not verify with its enrolled key", device);
		return ar_err_prefix(err, "evidence for %.64s: ", device);
	}
	return 0;
}

int ar_evidence_verify(const char *text, size_t len, ar_evidence_key_fn lookup, void *ctx,
		       ar_evidence_t *out, ar_err_t *err)
{
	ar_jwk_t *key = NULL;
	ar_jws_t jws;
	const char *kid;
	int rc = -1, found;

	memset(out, 0, sizeof(*out));
	if (ar_jws_parse_compact(text, len, AR_EVIDENCE_JWS_MAX, &jws, err) < 0) {
		if (err && err->code == AR_ERR_UNSUPPORTED)
			err->code = AR_ERR_MALFORMED;
		return ar_err_prefix(err, "signed evidence: ");
	}
	if (check_header(&jws, &kid, err) < 0)
		goto out;
	if (ar_evidence_parse((const char *)jws.payload, jws.payload_len, out, err) < 0)
		goto out;
	found = lookup(ctx, out->device_id, &key, err);
	if (found < 0)
		goto out;
	if (found == 0) {
		ar_err_set(err, AR_ERR_NOT_FOUND, "device %.64s has no enrolled identity key",
			   out->device_id);
		goto out;
	}
	if (check_signature(&jws, kid, key, out->device_id, err) < 0)
		goto out;
	out->identity_verified = 1;
	memcpy(out->identity_jkt, ar_jwk_thumbprint(key), sizeof(out->identity_jkt));
	rc = 0;
out:
	if (rc < 0)
		memset(out, 0, sizeof(*out));
	ar_jwk_free(key);
	ar_jws_clear(&jws);
	return rc;
}

int ar_evidence_claimed_device(const char *text, size_t len, char *out, size_t size)
{
	const char *dot1 = memchr(text, '.', len), *dot2;
	ar_evidence_t ev;
	uint8_t *payload;
	size_t plen;
	int rc = -1;

	if (size)
		out[0] = '\0';
	if (!dot1 || len > AR_EVIDENCE_JWS_MAX)
		return -1;
	dot2 = memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - text));
	if (!dot2)
		return -1;
	payload = ar_b64url_decode_alloc(dot1 + 1, (size_t)(dot2 - dot1 - 1), &plen, NULL);
	if (payload && ar_evidence_parse((const char *)payload, plen, &ev, NULL) == 0 &&
	    (size_t)snprintf(out, size, "%s", ev.device_id) < size)
		rc = 0;
	else if (size)
		out[0] = '\0';
	free(payload);
	return rc;
}

json_t *ar_evidence_cmw_wrap(const char *jws)
{
	return ar_cmw_record(AR_MT_EVIDENCE_JWS, jws, strlen(jws), AR_CMW_IND_EVIDENCE);
}

int ar_evidence_cmw_unwrap(const char *text, size_t len, char **jws, size_t *jws_len,
			   ar_err_t *err)
{
	const ar_cmw_rec_t *rec;
	ar_cmw_t cmw;
	json_t *json;
	int rc = -1;

	*jws = NULL;
	json = ar_json_load(text, len, AR_EVIDENCE_CMW_MAX, "evidence CMW", err);
	if (!json)
		return ar_err_prefix(err, "the plaintext must be one CMW record [\""
				     AR_MT_EVIDENCE_JWS "\", base64url(JWS), 4]: ");
	if (!json_is_array(json)) {
		/* 2: an object that looks like evidence itself (it has a nonce). */
		int object = !json_is_object(json) ? 0 : json_object_get(json, "nonce") ? 2 : 1;

		json_decref(json);
		if (object == 2)
			return ar_err_set(err, AR_ERR_UNAUTHORIZED, "the plaintext is unsigned "
					  "evidence: evidence must be signed by the device's enrolled "
					  "identity key and wrapped in the CMW record [\""
					  AR_MT_EVIDENCE_JWS "\", base64url(JWS), 4]");
		return ar_err_set(err, AR_ERR_MALFORMED, "the plaintext must be one CMW record "
				  "[\"" AR_MT_EVIDENCE_JWS "\", base64url(JWS), 4]%s",
				  object ? ", not a collection" : "");
	}
	rc = ar_cmw_decode_json(json, &cmw, err);
	json_decref(json);
	if (rc < 0)
		return -1;
	rc = -1;
	rec = &cmw.recs[0];
	if (ar_cmw_kind_of(rec->type) == AR_CMW_EVIDENCE)
		ar_err_set(err, AR_ERR_UNAUTHORIZED, "the CMW record is unsigned evidence (%.64s): "
			   "evidence must be signed by the device's enrolled identity key ("
			   AR_MT_EVIDENCE_JWS ")", rec->type);
	else if (strcasecmp(rec->type, AR_MT_EVIDENCE_JWS))
		ar_err_set(err, AR_ERR_UNSUPPORTED, "the CMW record is \"%.64s\": only signed "
			   "evidence (" AR_MT_EVIDENCE_JWS ") is accepted", rec->type);
	else if (rec->ind && rec->ind != AR_CMW_IND_EVIDENCE)
		ar_err_set(err, AR_ERR_MALFORMED, "the CMW record's ind is %u: signed evidence "
			   "is indicated by 4 (evidence) only", rec->ind);
	else if (!rec->len || memchr(rec->value, '\0', rec->len))
		ar_err_set(err, AR_ERR_MALFORMED, "the CMW record's value is not a compact JWS");
	else {
		*jws = (char *)rec->value;	/* NUL-terminated by the decoder */
		*jws_len = rec->len;
		cmw.recs[0].value = NULL;
		rc = 0;
	}
	ar_cmw_clear(&cmw);
	return rc;
}
