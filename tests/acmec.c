/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acmec.h"
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

char *acmec_body(acmec_t *c, const char *url, const json_t *payload, int use_jwk,
		 const json_t *hdr_extra)
{
	json_t *hdr = json_pack("{s:s,s:s}", "nonce", c->nonce, "url", url), *jws;
	char *text = payload ? json_dumps(payload, JSON_COMPACT) : NULL, *body;

	if (use_jwk || !c->kid[0])
		json_object_set_new(hdr, "jwk", ar_jwk_public_json(c->key));
	else
		json_object_set_new(hdr, "kid", json_string(c->kid));
	if (hdr_extra)
		json_object_update(hdr, (json_t *)hdr_extra);
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
