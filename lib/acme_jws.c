/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ACME request envelopes and External Account Binding (acme_jws.h). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "acme_jws.h"

void ar_acme_jws_clear(ar_acme_jws_t *req)
{
	ar_jws_clear(&req->jws);
	ar_jwk_free(req->jwk);
	json_decref(req->payload);
	memset(req, 0, sizeof(*req));
}

/* A nonce is a non-empty base64url token of bounded length (RFC 8555 6.5.1). */
static int nonce_well_formed(const char *nonce)
{
	size_t i, len = strlen(nonce);

	if (len == 0 || len > AR_ACME_MAX_NONCE)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)nonce[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

static int check_key_reference(ar_acme_jws_t *out, ar_acme_keyref_t keyref, ar_err_t *err)
{
	const json_t *jwk = json_object_get(out->jws.header, "jwk");
	const json_t *kid = json_object_get(out->jws.header, "kid");

	if (jwk && kid)
		return ar_err_set(err, AR_ERR_MALFORMED,
				  "protected header must not carry both \"jwk\" and \"kid\"");
	if (!jwk && !kid)
		return ar_err_set(err, AR_ERR_MALFORMED,
				  "protected header needs \"jwk\" or \"kid\"");
	if (kid) {
		if (keyref == AR_ACME_KEY_JWK)
			return ar_err_set(err, AR_ERR_MALFORMED,
					  "this request must be signed with \"jwk\", not \"kid\"");
		out->kid = json_string_value(kid);
		if (!out->kid || !*out->kid)
			return ar_err_set(err, AR_ERR_MALFORMED, "\"kid\" must be an account URL");
		return 0;
	}
	if (keyref == AR_ACME_KEY_KID)
		return ar_err_set(err, AR_ERR_MALFORMED,
				  "this request must be signed by an account (\"kid\"), not \"jwk\"");
	out->jwk = ar_jwk_parse(jwk, AR_JWK_PUBLIC_ONLY, err);
	if (!out->jwk)
		return ar_err_prefix(err, "\"jwk\": ");
	return 0;
}

int ar_acme_jws_parse(const char *body, size_t len, const char *url,
		      ar_acme_keyref_t keyref, ar_acme_jws_t *out, ar_err_t *err)
{
	json_error_t jerr;
	const json_t *v;

	memset(out, 0, sizeof(*out));
	if (ar_jws_parse_flat(body, len, AR_ACME_MAX_BODY, &out->jws, err) < 0)
		return -1;
	if (!(AR_ALGS_ASYMMETRIC & AR_ALG_BIT(out->jws.alg))) {
		ar_err_set(err, AR_ERR_BAD_ALG, "algorithm %s is not allowed for account keys",
			   ar_alg_name(out->jws.alg));
		goto error;
	}

	v = json_object_get(out->jws.header, "nonce");
	out->nonce = json_string_value(v);
	if (!out->nonce || !nonce_well_formed(out->nonce)) {
		ar_err_set(err, AR_ERR_BAD_NONCE, v ? "\"nonce\" is not a well-formed nonce"
						    : "protected header has no \"nonce\"");
		goto error;
	}
	v = json_object_get(out->jws.header, "url");
	out->url = json_string_value(v);
	if (!out->url) {
		ar_err_set(err, AR_ERR_MALFORMED, "protected header has no \"url\"");
		goto error;
	}
	if (url && strcmp(out->url, url)) {
		ar_err_set(err, AR_ERR_UNAUTHORIZED,
			   "\"url\" in the protected header does not match the request URL");
		goto error;
	}
	if (check_key_reference(out, keyref, err) < 0)
		goto error;

	out->post_as_get = out->jws.payload_len == 0;
	if (!out->post_as_get) {
		out->payload = json_loadb((const char *)out->jws.payload, out->jws.payload_len,
					  JSON_REJECT_DUPLICATES, &jerr);
		/* Arrays too: a remote-attest-01 response is a CMW record. */
		if (!json_is_object(out->payload) && !json_is_array(out->payload)) {
			ar_err_set(err, AR_ERR_MALFORMED, "payload is not a JSON object or array%s%s",
				   out->payload ? "" : ": ", out->payload ? "" : jerr.text);
			goto error;
		}
	}
	return 0;
error:
	ar_acme_jws_clear(out);
	return -1;
}

int ar_acme_jws_verify(const ar_acme_jws_t *req, const ar_jwk_t *key, ar_err_t *err)
{
	return ar_jws_verify(&req->jws, key, AR_ALGS_ASYMMETRIC, err);
}

int ar_acme_eab_check(const json_t *eab, const ar_jwk_t *account_key, const char *url,
		      const ar_jwk_t *mac_key, char *eab_kid, size_t eab_kid_size,
		      ar_err_t *err)
{
	ar_jwk_t *inner = NULL;
	const char *kid, *eab_url;
	ar_jws_t jws;
	int rc = -1;

	if (ar_jws_parse_json(eab, &jws, err) < 0)
		return ar_err_prefix(err, "externalAccountBinding: ");
	if (jws.alg != AR_ALG_HS256) {
		ar_err_set(err, AR_ERR_BAD_ALG, "externalAccountBinding: algorithm %s is not HS256",
			   ar_alg_name(jws.alg));
		goto out;
	}
	if (json_object_get(jws.header, "nonce")) {
		ar_err_set(err, AR_ERR_MALFORMED, "externalAccountBinding must not carry a nonce");
		goto out;
	}
	kid = ar_jws_header_str(&jws, "kid");
	eab_url = ar_jws_header_str(&jws, "url");
	if (!kid || !*kid || !eab_url) {
		ar_err_set(err, AR_ERR_MALFORMED, "externalAccountBinding needs \"kid\" and \"url\"");
		goto out;
	}
	if (snprintf(eab_kid, eab_kid_size, "%s", kid) >= (int)eab_kid_size) {
		ar_err_set(err, AR_ERR_MALFORMED, "externalAccountBinding \"kid\" is too long");
		goto out;
	}
	if (strcmp(eab_url, url)) {
		ar_err_set(err, AR_ERR_UNAUTHORIZED,
			   "externalAccountBinding \"url\" is not the newAccount URL");
		goto out;
	}
	inner = ar_jwk_parse_text((const char *)jws.payload, jws.payload_len,
				  AR_JWK_PUBLIC_ONLY, err);
	if (!inner) {
		/* A key this library refuses is not the account key it took. */
		if (err && err->code == AR_ERR_BAD_KEY)
			err->code = AR_ERR_UNAUTHORIZED;
		ar_err_prefix(err, "externalAccountBinding payload: ");
		goto out;
	}
	if (!ar_jwk_same_public(inner, account_key)) {
		ar_err_set(err, AR_ERR_UNAUTHORIZED,
			   "externalAccountBinding binds another key than the account key");
		goto out;
	}
	if (mac_key && ar_jws_verify(&jws, mac_key, AR_ALGS_EAB, err) < 0) {
		ar_err_prefix(err, "externalAccountBinding: ");
		goto out;
	}
	rc = 0;
out:
	ar_jwk_free(inner);
	ar_jws_clear(&jws);
	return rc;
}

json_t *ar_acme_eab_sign(const ar_jwk_t *account_key, const char *eab_kid,
			 const ar_jwk_t *mac_key, const char *url, ar_err_t *err)
{
	json_t *pub = ar_jwk_public_json(account_key), *hdr, *jws = NULL;
	char *text = NULL;

	hdr = json_pack("{s:s,s:s,s:s}", "alg", "HS256", "kid", eab_kid, "url", url);
	if (pub)
		text = json_dumps(pub, JSON_COMPACT | JSON_SORT_KEYS);
	if (!hdr || !text)
		ar_err_set(err, AR_ERR_NOMEM, "out of memory");
	else
		jws = ar_jws_sign(hdr, text, strlen(text), mac_key, err);
	free(text);
	json_decref(pub);
	json_decref(hdr);
	return jws;
}
