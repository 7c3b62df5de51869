/* SPDX-License-Identifier: GPL-2.0-or-later */
/* JSON Web Encryption of evidence: ECDH-ES+A256KW with A256GCM (jwe.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jose/jose.h>

#include "b64.h"
#include "json.h"
#include "jwe.h"

json_t *ar_jwe_encrypt(const void *pt, size_t len, const ar_jwk_t *recipient,
		       const char *cty, ar_err_t *err)
{
	json_t *jwe, *pub = NULL;

	if (ar_jwk_type(recipient) != AR_JWK_EC) {
		ar_err_set(err, AR_ERR_UNSUPPORTED, "evidence is encrypted to EC keys only");
		return NULL;
	}
	jwe = json_pack("{s:{s:s,s:s}}", "protected", "alg", AR_JWE_ALG, "enc", AR_JWE_ENC);
	pub = ar_jwk_public_json(recipient);
	if (!jwe || !pub || (cty && json_object_set_new(json_object_get(jwe, "protected"),
							 "cty", json_string(cty)) < 0)) {
		ar_err_set(err, AR_ERR_NOMEM, "out of memory");
		goto error;
	}
	if (!jose_jwe_enc(NULL, jwe, NULL, pub, pt, len)) {
		ar_err_set(err, AR_ERR_CRYPTO, "encryption failed");
		goto error;
	}
	json_decref(pub);
	return jwe;
error:
	json_decref(pub);
	json_decref(jwe);
	return NULL;
}

/* The profile's header values, wherever (protected or per-recipient) they sit. */
static int check_profile(const json_t *jwe, ar_err_t *err)
{
	static const char *const allowed[] = {
		"protected", "header", "encrypted_key", "iv", "ciphertext", "tag", "aad",
	};
	const json_t *hdr;
	const char *key, *alg, *enc;
	json_t *v;
	size_t i;
	int rc = -1;

	if (!json_is_object(jwe))
		return ar_err_set(err, AR_ERR_MALFORMED, "JWE is not a JSON object");
	json_object_foreach((json_t *)jwe, key, v) {
		for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
			if (!strcmp(key, allowed[i]))
				break;
		if (i == sizeof(allowed) / sizeof(allowed[0]))
			return ar_err_set(err, AR_ERR_MALFORMED,
					  "unexpected JWE member \"%.32s\" (flattened form only)", key);
	}
	if (!json_is_string(json_object_get(jwe, "protected")) ||
	    !json_is_string(json_object_get(jwe, "ciphertext")) ||
	    !json_is_string(json_object_get(jwe, "iv")) ||
	    !json_is_string(json_object_get(jwe, "tag")) ||
	    !json_is_string(json_object_get(jwe, "encrypted_key")))
		return ar_err_set(err, AR_ERR_MALFORMED,
				  "JWE needs protected, encrypted_key, iv, ciphertext and tag");

	/* Flattened form: the recipient members sit beside the shared ones. */
	hdr = jose_jwe_hdr(jwe, jwe);
	if (!json_is_object(hdr))
		return ar_err_set(err, AR_ERR_MALFORMED, "JWE header is not a JSON object");
	alg = json_string_value(json_object_get(hdr, "alg"));
	enc = json_string_value(json_object_get(hdr, "enc"));
	if (!alg || strcmp(alg, AR_JWE_ALG) || !enc || strcmp(enc, AR_JWE_ENC))
		ar_err_set(err, AR_ERR_BAD_ALG, "JWE must use alg %s and enc %s", AR_JWE_ALG,
			   AR_JWE_ENC);
	else if (json_object_get(hdr, "zip"))
		ar_err_set(err, AR_ERR_BAD_ALG, "compressed JWE (\"zip\") is not accepted");
	else if (json_object_get(hdr, "crit"))
		ar_err_set(err, AR_ERR_UNSUPPORTED, "JWE \"crit\" parameters are not understood");
	else if (!json_is_object(json_object_get(hdr, "epk")))
		ar_err_set(err, AR_ERR_MALFORMED, "JWE header has no \"epk\"");
	else
		rc = 0;
	json_decref((json_t *)hdr);
	return rc;
}

int ar_jwe_decrypt(const json_t *jwe, const ar_jwk_t *key, size_t max,
		   uint8_t **pt, size_t *ptlen, ar_err_t *err)
{
	const json_t *ct;
	uint8_t *out;
	size_t len = 0;

	*pt = NULL;
	*ptlen = 0;
	if (check_profile(jwe, err) < 0)
		return -1;
	if (!ar_jwk_is_private(key) || ar_jwk_type(key) != AR_JWK_EC)
		return ar_err_set(err, AR_ERR_CRYPTO, "decryption needs the EC private key");
	ct = json_object_get(jwe, "ciphertext");
	if (ar_b64url_dec_max(json_string_length(ct)) > max)
		return ar_err_set(err, AR_ERR_TOO_LARGE, "JWE plaintext would exceed %zu bytes", max);

	out = jose_jwe_dec(NULL, jwe, NULL, ar_jwk_json(key), &len);
	if (!out)
		return ar_err_set(err, AR_ERR_BAD_SIGNATURE,
				  "JWE does not decrypt with this key (wrong key or tampered)");
	*pt = malloc(len + 1);
	if (!*pt) {
		OPENSSL_cleanse(out, len);
		free(out);
		return ar_err_set(err, AR_ERR_NOMEM, "out of memory");
	}
	memcpy(*pt, out, len);
	(*pt)[len] = '\0';
	*ptlen = len;
	OPENSSL_cleanse(out, len);
	free(out);
	return 0;
}

int ar_jwe_decrypt_text(const char *text, size_t len, const ar_jwk_t *key, size_t max,
			uint8_t **pt, size_t *ptlen, ar_err_t *err)
{
	json_t *jwe;
	int rc;

	*pt = NULL;
	*ptlen = 0;
	/* base64url grows the plaintext by 4/3; the rest is headers. */
	jwe = ar_json_load(text, len, 2 * max + 4096, "JWE", err);
	if (!jwe)
		return -1;
	rc = ar_jwe_decrypt(jwe, key, max, pt, ptlen, err);
	json_decref(jwe);
	return rc;
}
