/* SPDX-License-Identifier: GPL-2.0-or-later */
/* JSON Web Signatures, flattened and compact, with explicit algorithm policy (jws.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <jose/jose.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>

#include "b64.h"
#include "json.h"
#include "jws.h"

/* How each algorithm turns the signing input into a signature (RFC 7518 3, RFC 8037 3.1). */
static const struct alg {
	const char	*name;
	size_t		ecdsa_half;	/* ECDSA: bytes of R and of S in JOSE's R || S */
	int		oneshot;	/* EdDSA: the whole input in one call, no streaming */
} algs[] = {
	[AR_ALG_ES256] = { "ES256", 32, 0 },
	[AR_ALG_ES384] = { "ES384", 48, 0 },
	[AR_ALG_RS256] = { "RS256", 0, 0 },
	[AR_ALG_HS256] = { "HS256", 0, 0 },
	[AR_ALG_EDDSA] = { "EdDSA", 0, 1 },
};

#define NALGS	(sizeof(algs) / sizeof(algs[0]))

ar_alg_t ar_alg_from_name(const char *name)
{
	size_t i;

	if (!name)
		return AR_ALG_UNKNOWN;
	for (i = 1; i < NALGS; i++)
		if (!strcmp(name, algs[i].name))
			return (ar_alg_t)i;
	return AR_ALG_UNKNOWN;
}

const char *ar_alg_name(ar_alg_t alg)
{
	if (alg <= AR_ALG_UNKNOWN || (size_t)alg >= NALGS)
		return "unknown";
	return algs[alg].name;
}

void ar_jws_clear(ar_jws_t *jws)
{
	json_decref(jws->header);
	json_decref(jws->jose);
	free(jws->payload);
	free(jws->sig);
	memset(jws, 0, sizeof(*jws));
}

/* "crit" (RFC 7515 4.1.11): we implement no extension, so any is refused. */
static int check_crit(const json_t *header, ar_err_t *err)
{
	const json_t *crit = json_object_get(header, "crit");
	const json_t *v;

	if (!crit)
		return 0;
	if (!json_is_array(crit) || json_array_size(crit) == 0)
		return ar_err_set(err, AR_ERR_MALFORMED, "\"crit\" must be a non-empty array");
	v = json_array_get(crit, 0);
	if (!json_is_string(v))
		return ar_err_set(err, AR_ERR_MALFORMED, "\"crit\" must list header names");
	return ar_err_set(err, AR_ERR_UNSUPPORTED,
			  "critical header parameter \"%.64s\" is not understood",
			  json_string_value(v));
}

/* Decode and check the protected header; fills out->header and out->alg. */
static int parse_header(const char *b64, size_t len, ar_jws_t *out, ar_err_t *err)
{
	json_error_t jerr;
	const char *alg;
	uint8_t *raw;
	size_t rawlen;

	if (len == 0)
		return ar_err_set(err, AR_ERR_MALFORMED, "empty protected header");
	if (ar_b64url_dec_max(len) > AR_JWS_MAX_HEADER)
		return ar_err_set(err, AR_ERR_TOO_LARGE, "protected header exceeds %d bytes",
				  AR_JWS_MAX_HEADER);
	raw = ar_b64url_decode_alloc(b64, len, &rawlen, err);
	if (!raw)
		return ar_err_prefix(err, "protected header: ");
	out->header = json_loadb((const char *)raw, rawlen, JSON_REJECT_DUPLICATES, &jerr);
	free(raw);
	if (!json_is_object(out->header))
		return ar_err_set(err, AR_ERR_MALFORMED, "protected header is not a JSON object%s%s",
				  out->header ? "" : ": ", out->header ? "" : jerr.text);

	alg = json_string_value(json_object_get(out->header, "alg"));
	if (!alg)
		return ar_err_set(err, AR_ERR_BAD_ALG, "protected header has no \"alg\"");
	out->alg = ar_alg_from_name(alg);
	if (out->alg == AR_ALG_UNKNOWN)
		return ar_err_set(err, AR_ERR_BAD_ALG, "algorithm \"%.32s\" is not supported", alg);
	return check_crit(out->header, err);
}

/* Shared tail of both serializations: the three base64url parts. */
static int parse_parts(const char *prot, size_t prot_len, const char *payload, size_t payload_len,
		       const char *sig, size_t sig_len, ar_jws_t *out, ar_err_t *err)
{
	if (parse_header(prot, prot_len, out, err) < 0)
		return -1;
	out->payload = ar_b64url_decode_alloc(payload, payload_len, &out->payload_len, err);
	if (!out->payload)
		return ar_err_prefix(err, "payload: ");
	if (sig_len == 0)
		return ar_err_set(err, AR_ERR_MALFORMED, "empty signature");
	if (sig_len > 1400)
		return ar_err_set(err, AR_ERR_MALFORMED, "signature too long");
	out->sig = ar_b64url_decode_alloc(sig, sig_len, &out->sig_len, err);
	if (!out->sig)
		return ar_err_prefix(err, "signature: ");
	out->jose = json_pack("{s:s%,s:s%,s:s%}", "protected", prot, prot_len,
			      "payload", payload, payload_len, "signature", sig, sig_len);
	if (!out->jose)
		return ar_err_set(err, AR_ERR_NOMEM, "out of memory");
	return 0;
}

int ar_jws_parse_json(const json_t *obj, ar_jws_t *out, ar_err_t *err)
{
	const json_t *prot, *payload, *sig;
	const char *key;
	json_t *v;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(obj))
		return ar_err_set(err, AR_ERR_MALFORMED, "JWS is not a JSON object");
	json_object_foreach((json_t *)obj, key, v) {
		if (strcmp(key, "protected") && strcmp(key, "payload") && strcmp(key, "signature"))
			return ar_err_set(err, AR_ERR_MALFORMED,
					  "unexpected JWS member \"%.32s\" (flattened form with "
					  "protected, payload and signature only)", key);
	}
	prot = json_object_get(obj, "protected");
	payload = json_object_get(obj, "payload");
	sig = json_object_get(obj, "signature");
	if (!json_is_string(prot) || !json_is_string(payload) || !json_is_string(sig))
		return ar_err_set(err, AR_ERR_MALFORMED,
				  "JWS needs string members protected, payload and signature");
	if (parse_parts(json_string_value(prot), json_string_length(prot),
			json_string_value(payload), json_string_length(payload),
			json_string_value(sig), json_string_length(sig), out, err) < 0) {
		ar_jws_clear(out);
		return -1;
	}
	return 0;
}

int ar_jws_parse_flat(const char *body, size_t len, size_t max, ar_jws_t *out, ar_err_t *err)
{
	json_t *obj;
	int rc;

	memset(out, 0, sizeof(*out));
	obj = ar_json_load(body, len, max, "JWS", err);
	if (!obj)
		return -1;
	rc = ar_jws_parse_json(obj, out, err);
	json_decref(obj);
	return rc;
}

int ar_jws_parse_compact(const char *text, size_t len, size_t max, ar_jws_t *out, ar_err_t *err)
{
	const char *dot1, *dot2;

	memset(out, 0, sizeof(*out));
	if (len > max)
		return ar_err_set(err, AR_ERR_TOO_LARGE, "JWS of %zu bytes exceeds %zu", len, max);
	dot1 = memchr(text, '.', len);
	dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - text)) : NULL;
	if (!dot2 || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - text)))
		return ar_err_set(err, AR_ERR_MALFORMED, "compact JWS must have exactly three parts");
	if (parse_parts(text, (size_t)(dot1 - text), dot1 + 1, (size_t)(dot2 - dot1 - 1),
			dot2 + 1, len - (size_t)(dot2 + 1 - text), out, err) < 0) {
		ar_jws_clear(out);
		return -1;
	}
	return 0;
}

const char *ar_jws_header_str(const ar_jws_t *jws, const char *name)
{
	return json_string_value(json_object_get(jws->header, name));
}

/* JOSE's raw R || S (RFC 7518 3.4) to the DER OpenSSL verifies. */
static unsigned char *ecdsa_der(const uint8_t *sig, size_t len, size_t half, int *der_len)
{
	ECDSA_SIG *es = NULL;
	BIGNUM *r = NULL, *s = NULL;
	unsigned char *der = NULL;

	if (len != 2 * half)
		return NULL;
	es = ECDSA_SIG_new();
	r = BN_bin2bn(sig, (int)half, NULL);
	s = BN_bin2bn(sig + half, (int)half, NULL);
	if (!es || !r || !s || !ECDSA_SIG_set0(es, r, s)) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(es);
		return NULL;
	}
	*der_len = i2d_ECDSA_SIG(es, &der);
	ECDSA_SIG_free(es);
	return *der_len > 0 ? der : NULL;
}

/*
 * The signing input "<protected>.<payload>" in one buffer, for EdDSA,
 * which OpenSSL signs and verifies in one call only (caller frees).
 */
static char *signing_input(const char *prot, size_t prot_len, const char *payload,
			   size_t payload_len, size_t *len)
{
	char *in = malloc(prot_len + 1 + payload_len);

	if (in) {
		memcpy(in, prot, prot_len);
		in[prot_len] = '.';
		memcpy(in + prot_len + 1, payload, payload_len);
		*len = prot_len + 1 + payload_len;
	}
	return in;
}

/* Verify with @ctx, a copy of the key's prepared context. */
static int verify_input(EVP_MD_CTX *ctx, const struct alg *a, const char *prot, size_t prot_len,
			const char *payload, size_t payload_len, const unsigned char *sig,
			size_t siglen)
{
	size_t len;
	char *in;
	int ok;

	if (!a->oneshot)
		return EVP_DigestVerifyUpdate(ctx, prot, prot_len) == 1 &&
		       EVP_DigestVerifyUpdate(ctx, ".", 1) == 1 &&
		       EVP_DigestVerifyUpdate(ctx, payload, payload_len) == 1 &&
		       EVP_DigestVerifyFinal(ctx, sig, siglen) == 1;
	in = signing_input(prot, prot_len, payload, payload_len, &len);
	ok = in && EVP_DigestVerify(ctx, sig, siglen, (const unsigned char *)in, len) == 1;
	free(in);
	return ok;
}

/*
 * Verify with the key's prepared context. libjose's jose_jws_ver() would
 * rebuild and re-validate the key from its JWK on every call, which costs
 * as much again as the verification itself.
 */
static int verify_evp(const ar_jws_t *jws, const ar_jwk_t *key, ar_err_t *err)
{
	const json_t *prot = json_object_get(jws->jose, "protected");
	const json_t *payload = json_object_get(jws->jose, "payload");
	const struct alg *a = &algs[jws->alg];
	const unsigned char *sig = jws->sig;
	unsigned char *der = NULL;
	EVP_MD_CTX *ctx;
	size_t siglen = jws->sig_len;
	int ok = 0, der_len = 0;

	if (a->ecdsa_half) {
		der = ecdsa_der(jws->sig, jws->sig_len, a->ecdsa_half, &der_len);
		if (!der)
			return ar_err_set(err, AR_ERR_BAD_SIGNATURE, "signature does not verify");
		sig = der;
		siglen = (size_t)der_len;
	}
	ctx = EVP_MD_CTX_new();
	if (ctx && EVP_MD_CTX_copy_ex(ctx, ar_jwk_verify_ctx(key)) == 1)
		ok = verify_input(ctx, a, json_string_value(prot), json_string_length(prot),
				  json_string_value(payload), json_string_length(payload), sig,
				  siglen);
	EVP_MD_CTX_free(ctx);
	OPENSSL_free(der);
	return ok ? 0 : ar_err_set(err, AR_ERR_BAD_SIGNATURE, "signature does not verify");
}

int ar_jws_verify(const ar_jws_t *jws, const ar_jwk_t *key, unsigned allowed, ar_err_t *err)
{
	if (jws->alg == AR_ALG_UNKNOWN || !(allowed & AR_ALG_BIT(jws->alg)))
		return ar_err_set(err, AR_ERR_BAD_ALG, "algorithm %s is not allowed here",
				  ar_alg_name(jws->alg));
	if (strcmp(ar_jwk_alg(key), ar_alg_name(jws->alg)))
		return ar_err_set(err, AR_ERR_BAD_ALG, "algorithm %s does not fit a %s key",
				  ar_alg_name(jws->alg), ar_jwk_alg(key));
	if (ar_jwk_pkey(key))
		return verify_evp(jws, key, err);
	if (!jose_jws_ver(NULL, jws->jose, NULL, ar_jwk_json(key), false))
		return ar_err_set(err, AR_ERR_BAD_SIGNATURE, "signature does not verify");
	return 0;
}

/* OpenSSL's DER ECDSA signature to JOSE's raw R || S of @half bytes each. */
static int ecdsa_raw(const unsigned char *der, size_t len, size_t half, uint8_t *out)
{
	ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &der, (long)len);
	const BIGNUM *r, *s;
	int ok;

	if (!es)
		return -1;
	ECDSA_SIG_get0(es, &r, &s);
	ok = BN_bn2binpad(r, out, (int)half) == (int)half &&
	     BN_bn2binpad(s, out + half, (int)half) == (int)half;
	ECDSA_SIG_free(es);
	return ok ? 0 : -1;
}

/* Sign with @ctx, a copy of the key's prepared context; OPENSSL_malloc'd signature. */
static unsigned char *sign_input(EVP_MD_CTX *ctx, const struct alg *a, const char *prot,
				 const char *payload, size_t *siglen)
{
	unsigned char *sig = NULL;
	size_t len;
	char *in = NULL;

	if (a->oneshot) {
		in = signing_input(prot, strlen(prot), payload, strlen(payload), &len);
		if (in && EVP_DigestSign(ctx, NULL, siglen, (unsigned char *)in, len) == 1 &&
		    (sig = OPENSSL_malloc(*siglen)) &&
		    EVP_DigestSign(ctx, sig, siglen, (unsigned char *)in, len) != 1) {
			OPENSSL_free(sig);
			sig = NULL;
		}
		free(in);
		return sig;
	}
	if (EVP_DigestSignUpdate(ctx, prot, strlen(prot)) == 1 &&
	    EVP_DigestSignUpdate(ctx, ".", 1) == 1 &&
	    EVP_DigestSignUpdate(ctx, payload, strlen(payload)) == 1 &&
	    EVP_DigestSignFinal(ctx, NULL, siglen) == 1 && (sig = OPENSSL_malloc(*siglen)) &&
	    EVP_DigestSignFinal(ctx, sig, siglen) != 1) {
		OPENSSL_free(sig);
		sig = NULL;
	}
	return sig;
}

/*
 * Sign "<protected>.<payload>" (both base64url) with the key's OpenSSL key,
 * from a copy of its prepared context (an EVP_DigestSignInit() per
 * signature fetches the algorithms again); returns the base64url
 * signature. libjose's jose_jws_sig() would rebuild and re-validate the
 * key from its JWK on every call, which costs more than the signature
 * itself.
 */
static char *sign_evp(const ar_jwk_t *key, const char *prot, const char *payload)
{
	const struct alg *a = &algs[ar_alg_from_name(ar_jwk_alg(key))];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *sig = NULL;
	uint8_t raw[96];
	size_t siglen = 0;
	char *out = NULL;

	if (ctx && ar_jwk_sign_ctx(key) && EVP_MD_CTX_copy_ex(ctx, ar_jwk_sign_ctx(key)) == 1)
		sig = sign_input(ctx, a, prot, payload, &siglen);
	if (sig && !a->ecdsa_half)
		out = ar_b64url_encode_alloc(sig, siglen);
	else if (sig && ecdsa_raw(sig, siglen, a->ecdsa_half, raw) == 0)
		out = ar_b64url_encode_alloc(raw, 2 * a->ecdsa_half);
	OPENSSL_free(sig);
	EVP_MD_CTX_free(ctx);
	return out;
}

/* The flattened JWS, signed through sign_evp(); @prot gets "alg". */
static json_t *sign_flat(json_t *prot, const char *payload_b64, const ar_jwk_t *key,
			 ar_err_t *err)
{
	char *text = json_dumps(prot, JSON_COMPACT), *prot_b64 = NULL, *sig = NULL;
	json_t *jws = NULL;

	prot_b64 = text ? ar_b64url_encode_alloc(text, strlen(text)) : NULL;
	sig = prot_b64 ? sign_evp(key, prot_b64, payload_b64) : NULL;
	if (sig)
		jws = json_pack("{s:s,s:s,s:s}", "protected", prot_b64, "payload", payload_b64,
				"signature", sig);
	if (!jws)
		ar_err_set(err, sig || !prot_b64 ? AR_ERR_NOMEM : AR_ERR_CRYPTO,
			   sig || !prot_b64 ? "out of memory" : "signing failed");
	free(sig);
	free(prot_b64);
	free(text);
	return jws;
}

json_t *ar_jws_sign(const json_t *header, const void *payload, size_t len,
		    const ar_jwk_t *key, ar_err_t *err)
{
	json_t *prot = NULL, *sig = NULL, *jws = NULL;
	const char *alg;
	char *b64 = NULL;

	if (!ar_jwk_is_private(key)) {
		ar_err_set(err, AR_ERR_CRYPTO, "signing needs a private key");
		return NULL;
	}
	prot = header ? json_deep_copy(header) : json_object();
	b64 = ar_b64url_encode_alloc(payload, len);
	if (!prot || !b64)
		goto nomem;
	if (!json_object_get(prot, "alg") &&
	    json_object_set_new(prot, "alg", json_string(ar_jwk_alg(key))) < 0)
		goto nomem;
	/* EC, RSA and Ed25519 keys sign with their prepared OpenSSL key; an
	 * "alg" the caller forced on the key (tests of refusals) goes through
	 * libjose. */
	alg = json_string_value(json_object_get(prot, "alg"));
	if (ar_jwk_pkey(key) && alg && !strcmp(alg, ar_jwk_alg(key))) {
		jws = sign_flat(prot, b64, key, err);
		goto out;
	}
	sig = json_pack("{s:O}", "protected", prot);
	jws = json_pack("{s:s}", "payload", b64);
	if (!sig || !jws)
		goto nomem;
	if (!jose_jws_sig(NULL, jws, sig, ar_jwk_json(key))) {
		ar_err_set(err, AR_ERR_CRYPTO, "signing failed");
		json_decref(jws);
		jws = NULL;
	}
	goto out;
nomem:
	ar_err_set(err, AR_ERR_NOMEM, "out of memory");
	json_decref(jws);
	jws = NULL;
out:
	json_decref(prot);
	json_decref(sig);
	free(b64);
	return jws;
}

char *ar_jws_sign_compact(const json_t *header, const void *payload, size_t len,
			  const ar_jwk_t *key, ar_err_t *err)
{
	json_t *jws = ar_jws_sign(header, payload, len, key, err);
	char *out = NULL;

	if (!jws)
		return NULL;
	if (asprintf(&out, "%s.%s.%s",
		     json_string_value(json_object_get(jws, "protected")),
		     json_string_value(json_object_get(jws, "payload")),
		     json_string_value(json_object_get(jws, "signature"))) < 0) {
		ar_err_set(err, AR_ERR_NOMEM, "out of memory");
		out = NULL;
	}
	json_decref(jws);
	return out;
}
