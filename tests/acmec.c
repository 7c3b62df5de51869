/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A minimal ACME client for the integration tests (acmec.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "acmec.h"
#include "b64.h"
#include "jws.h"

int acmec_init(acmec_t *c, const char *base, const char *ca_file, const ar_jwk_t *key)
{
	httpc_req_t req = { "GET", NULL, NULL, NULL, NULL, NULL, 0 };
	httpc_resp_t r;
	char url[512];

	memset(c, 0, sizeof(*c));
	snprintf(c->base, sizeof(c->base), "%s", base);
	snprintf(c->ca_file, sizeof(c->ca_file), "%s", ca_file);
	c->key = key;
	snprintf(url, sizeof(url), "%s/directory", base);
	req.url = url;
	req.ca_file = c->ca_file;
	if (httpc(&req, &r) < 0 || r.status != 200) {
		httpc_free(&r);
		return -1;
	}
	c->dir = json_loads(r.body, 0, NULL);
	snprintf(c->nonce, sizeof(c->nonce), "%s", r.replay_nonce);
	httpc_free(&r);
	return c->dir && c->nonce[0] ? 0 : -1;
}

void acmec_free(acmec_t *c)
{
	json_decref(c->dir);
	c->dir = NULL;
}

const char *acmec_url(const acmec_t *c, const char *name)
{
	return json_string_value(json_object_get(c->dir, name));
}

json_t *acmec_eddsa_jwk(EVP_PKEY *pk)
{
	unsigned char raw[32];
	size_t len = sizeof(raw);
	char x[64];

	if (EVP_PKEY_get_raw_public_key(pk, raw, &len) != 1 || len != sizeof(raw) ||
	    ar_b64url_encode(raw, len, x, sizeof(x)) < 0)
		return NULL;
	return json_pack("{s:s,s:s,s:s}", "kty", "OKP", "crv", "Ed25519", "x", x);
}

json_t *acmec_eddsa_sign(EVP_PKEY *pk, const json_t *hdr, const char *payload)
{
	json_t *prot = hdr ? json_deep_copy(hdr) : json_object(), *jws = NULL;
	char *prot_text, *prot_b64 = NULL, *payload_b64, *input = NULL, *sig_b64 = NULL;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char sig[64];
	size_t siglen = sizeof(sig);

	if (!json_object_get(prot, "alg"))
		json_object_set_new(prot, "alg", json_string("EdDSA"));
	prot_text = json_dumps(prot, JSON_COMPACT);
	payload_b64 = ar_b64url_encode_alloc(payload, strlen(payload));
	if (prot_text)
		prot_b64 = ar_b64url_encode_alloc(prot_text, strlen(prot_text));
	if (prot_b64 && payload_b64 && asprintf(&input, "%s.%s", prot_b64, payload_b64) > 0 &&
	    EVP_DigestSignInit(ctx, NULL, NULL, NULL, pk) == 1 &&
	    EVP_DigestSign(ctx, sig, &siglen, (unsigned char *)input, strlen(input)) == 1)
		sig_b64 = ar_b64url_encode_alloc(sig, siglen);
	if (sig_b64)
		jws = json_pack("{s:s,s:s,s:s}", "protected", prot_b64, "payload", payload_b64,
				"signature", sig_b64);
	EVP_MD_CTX_free(ctx);
	free(sig_b64);
	free(input);
	free(payload_b64);
	free(prot_b64);
	free(prot_text);
	json_decref(prot);
	return jws;
}

json_t *acmec_jwk(const acmec_t *c)
{
	return c->ed25519 ? acmec_eddsa_jwk(c->ed25519) : ar_jwk_public_json(c->key);
}

void acmec_thumbprint(const acmec_t *c, char out[44])
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	json_t *jwk;
	char text[128];

	out[0] = '\0';
	if (!c->ed25519) {
		snprintf(out, 44, "%s", ar_jwk_thumbprint(c->key));
		return;
	}
	/* RFC 7638 3.2 for an OKP key (RFC 8037 2): crv, kty, x in this order. */
	jwk = acmec_eddsa_jwk(c->ed25519);
	snprintf(text, sizeof(text), "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"%s\"}",
		 json_string_value(json_object_get(jwk, "x")));
	json_decref(jwk);
	SHA256((const unsigned char *)text, strlen(text), md);
	ar_b64url_encode(md, sizeof(md), out, 44);
}

char *acmec_body(acmec_t *c, const char *url, const json_t *payload, int use_jwk,
		 const json_t *hdr_extra)
{
	json_t *hdr = json_pack("{s:s,s:s}", "nonce", c->nonce, "url", url), *jws;
	char *text = payload ? json_dumps(payload, JSON_COMPACT) : NULL, *body;

	if (use_jwk || !c->kid[0])
		json_object_set_new(hdr, "jwk", acmec_jwk(c));
	else
		json_object_set_new(hdr, "kid", json_string(c->kid));
	if (hdr_extra)
		json_object_update(hdr, (json_t *)hdr_extra);
	if (c->ed25519)
		jws = acmec_eddsa_sign(c->ed25519, hdr, text ? text : "");
	else
		jws = ar_jws_sign(hdr, text ? text : "", text ? strlen(text) : 0, c->key, NULL);
	body = jws ? json_dumps(jws, JSON_COMPACT) : NULL;
	json_decref(jws);
	json_decref(hdr);
	free(text);
	return body;
}

int acmec_send(acmec_t *c, const char *url, const char *body, const char *content_type,
	       httpc_resp_t *out)
{
	httpc_req_t req = { "POST", url, c->ca_file, content_type, NULL, body, strlen(body) };
	int rc = httpc(&req, out);

	if (out->replay_nonce[0])
		snprintf(c->nonce, sizeof(c->nonce), "%s", out->replay_nonce);
	return rc;
}

int acmec_post(acmec_t *c, const char *url, const json_t *payload, int use_jwk,
	       const json_t *hdr_extra, httpc_resp_t *out)
{
	char *body = acmec_body(c, url, payload, use_jwk, hdr_extra);
	int rc;

	if (!body)
		return -1;
	rc = acmec_send(c, url, body, "application/jose+json", out);
	free(body);
	return rc;
}
