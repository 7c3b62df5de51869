/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The helper's ACME client: request signing, the nonce chain, problem
 * documents, and the resources of one order. Waits are bounded and follow
 * the server's Retry-After within caps.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "acme.h"
#include "acme_jws.h"
#include "b64.h"
#include "jws.h"
#include "log.h"

#define MT_JOSE		"application/jose+json"
#define MT_PEM_CHAIN	"application/pem-certificate-chain"
#define MAX_CHAIN	(64 * 1024)

int acme_open(acme_client_t *c, const char *directory, const http_opts_t *o,
	      const ar_jwk_t *key, ar_err_t *err)
{
	http_opts_t ho = *o;
	http_resp_t r;
	int rc;

	memset(c, 0, sizeof(*c));
	c->key = key;
	c->retry_after = -1;
	if (!ho.max_body)
		ho.max_body = MAX_CHAIN;
	c->http = http_client_new(&ho, err);
	if (!c->http)
		return -1;
	if (http_request(c->http, "GET", directory, NULL, NULL, 0, "application/json", &r, err) < 0)
		return ar_err_prefix(err, "ACME directory: ");
	if (r.status != 200) {
		acme_parse_problem(r.body, r.len, r.status, &c->problem);
		rc = ar_err_set(err, r.status >= 500 ? AR_ERR_UNAVAILABLE : AR_ERR_MALFORMED,
				"ACME directory %.200s: HTTP %ld %s", directory, r.status,
				c->problem.detail);
	} else {
		rc = acme_parse_directory(r.body, r.len, &c->dir, err);
	}
	http_resp_free(&r);
	return rc;
}

void acme_close(acme_client_t *c)
{
	http_client_free(c->http);
	c->http = NULL;
}

static int fresh_nonce(acme_client_t *c, ar_err_t *err)
{
	http_resp_t r;
	int rc = 0;

	if (http_request(c->http, "GET", c->dir.new_nonce, NULL, NULL, 0, NULL, &r, err) < 0)
		return ar_err_prefix(err, "newNonce: ");
	if ((r.status != 200 && r.status != 204) || !r.replay_nonce[0])
		rc = ar_err_set(err, r.status >= 500 ? AR_ERR_UNAVAILABLE : AR_ERR_MALFORMED,
				"newNonce: HTTP %ld without a Replay-Nonce", r.status);
	else
		snprintf(c->nonce, sizeof(c->nonce), "%s", r.replay_nonce);
	http_resp_free(&r);
	return rc;
}

/* The signed body for @url (caller frees). */
static char *sign(acme_client_t *c, const char *url, const json_t *payload, ar_err_t *err)
{
	json_t *hdr = json_pack("{s:s,s:s}", "nonce", c->nonce, "url", url), *jws = NULL;
	char *text = payload ? json_dumps(payload, JSON_COMPACT) : NULL, *body = NULL;

	if (!hdr || (payload && !text))
		goto out;
	if (c->kid[0])
		json_object_set_new(hdr, "kid", json_string(c->kid));
	else
		json_object_set_new(hdr, "jwk", ar_jwk_public_json(c->key));
	jws = ar_jws_sign(hdr, text ? text : "", text ? strlen(text) : 0, c->key, err);
	if (jws)
		body = json_dumps(jws, JSON_COMPACT);
out:
	if (!body && err && !err->code)
		ar_err_set(err, AR_ERR_NOMEM, "out of memory");
	json_decref(jws);
	json_decref(hdr);
	free(text);
	return body;
}

/* The error for a non-2xx answer (its problem is in c->problem). */
static int refused(acme_client_t *c, const char *url, ar_err_t *err)
{
	const acme_problem_t *p = &c->problem;
	ar_errc_t code = p->status >= 500 || p->status == 429 || acme_problem_is(p, "rateLimited")
			 ? AR_ERR_UNAVAILABLE : AR_ERR_UNAUTHORIZED;
	const char *slash = strrchr(url, '/');

	return ar_err_set(err, code, "CA answered %ld %s: %s (at .../%.60s)", p->status,
			  p->type[0] ? p->type : "(no problem type)", p->detail,
			  slash ? slash + 1 : url);
}

/*
 * POST a JWS of @p payload (NULL: POST-as-GET) to @p url. A badNonce answer
 * is retried with the nonce it carried, up to ACME_BADNONCE_RETRIES times.
 * @return 0 with a 2xx answer in @p out (release with http_resp_free()),
 *	   or -1 (see the file comment).
 */
static int acme_post(acme_client_t *c, const char *url, const json_t *payload,
		     http_resp_t *out, ar_err_t *err)
{
	unsigned tries;
	char *body;
	int rc;

	memset(out, 0, sizeof(*out));
	for (tries = 0;; tries++) {
		if (!c->nonce[0] && fresh_nonce(c, err) < 0)
			return -1;
		body = sign(c, url, payload, err);
		if (!body)
			return -1;
		c->nonce[0] = '\0';	/* spent, whatever happens */
		rc = http_request(c->http, "POST", url, MT_JOSE, body, strlen(body), NULL, out, err);
		free(body);
		if (rc < 0)
			return -1;
		snprintf(c->nonce, sizeof(c->nonce), "%s", out->replay_nonce);
		c->retry_after = out->retry_after;
		if (out->status >= 200 && out->status < 300)
			return 0;
		acme_parse_problem(out->body, out->len, out->status, &c->problem);
		http_resp_free(out);
		if (!acme_problem_is(&c->problem, "badNonce") || tries >= ACME_BADNONCE_RETRIES)
			return refused(c, url, err);
		c->bad_nonces++;
		ar_debug("event=acme.bad_nonce retry=%u", tries + 1);
	}
}

int acme_account(acme_client_t *c, const char *eab_kid, const char *eab_hmac,
		 const char *contact, ar_err_t *err)
{
	json_t *p = json_pack("{s:b}", "termsOfServiceAgreed", 1), *jwk, *eab;
	ar_jwk_t *mac;
	http_resp_t r;
	int rc = -1;

	c->kid[0] = '\0';
	if (!p)
		return ar_err_set(err, AR_ERR_NOMEM, "out of memory");
	if (contact && *contact)
		json_object_set_new(p, "contact", json_pack("[s]", contact));
	if (eab_kid && *eab_kid) {
		jwk = json_pack("{s:s,s:s}", "kty", "oct", "k", eab_hmac ? eab_hmac : "");
		mac = jwk ? ar_jwk_parse(jwk, AR_JWK_ALLOW_OCT, err) : NULL;
		json_decref(jwk);
		if (!mac) {
			ar_err_prefix(err, "EAB HMAC key: ");
			err->code = AR_ERR_CONFIG;
			goto out;
		}
		eab = ar_acme_eab_sign(c->key, eab_kid, mac, c->dir.new_account, err);
		ar_jwk_free(mac);
		if (!eab)
			goto out;
		json_object_set_new(p, "externalAccountBinding", eab);
	}
	if (acme_post(c, c->dir.new_account, p, &r, err) < 0) {
		ar_err_prefix(err, "newAccount: ");
		goto out;
	}
	if (!r.location[0] || strncmp(r.location, "https://", 8) ||
	    strlen(r.location) >= sizeof(c->kid))
		ar_err_set(err, AR_ERR_MALFORMED, "newAccount: no usable account URL (Location)");
	else {
		memcpy(c->kid, r.location, strlen(r.location) + 1);
		rc = 0;
	}
	http_resp_free(&r);
out:
	json_decref(p);
	return rc;
}

int acme_new_order(acme_client_t *c, const ar_identifier_t *ids, size_t n, const char *replaces,
		   char *order_url, acme_order_t *o, ar_err_t *err)
{
	json_t *list = json_array(), *p;
	http_resp_t r;
	size_t i;
	int rc = -1;

	for (i = 0; list && i < n; i++)
		json_array_append_new(list, json_pack("{s:s,s:s}", "type", ids[i].type, "value",
						      ids[i].value));
	p = list ? json_pack("{s:o}", "identifiers", list) : NULL;
	if (!p)
		return ar_err_set(err, AR_ERR_NOMEM, "out of memory");
	if (replaces && *replaces)
		json_object_set_new(p, "replaces", json_string(replaces));
	if (acme_post(c, c->dir.new_order, p, &r, err) < 0) {
		ar_err_prefix(err, "newOrder: ");
		goto out;
	}
	if (!r.location[0] || strncmp(r.location, "https://", 8) ||
	    strlen(r.location) >= ACME_URL_MAX)
		ar_err_set(err, AR_ERR_MALFORMED, "newOrder: no usable order URL (Location)");
	else if (acme_parse_order(r.body, r.len, o, err) == 0) {
		memcpy(order_url, r.location, strlen(r.location) + 1);
		rc = 0;
	}
	http_resp_free(&r);
out:
	json_decref(p);
	return rc;
}

int acme_get_order(acme_client_t *c, const char *url, acme_order_t *o, ar_err_t *err)
{
	http_resp_t r;
	int rc;

	if (acme_post(c, url, NULL, &r, err) < 0)
		return ar_err_prefix(err, "order: ");
	rc = acme_parse_order(r.body, r.len, o, err);
	http_resp_free(&r);
	return rc;
}

int acme_get_authz(acme_client_t *c, const char *url, acme_authz_t *a, ar_err_t *err)
{
	http_resp_t r;
	int rc;

	if (acme_post(c, url, NULL, &r, err) < 0)
		return ar_err_prefix(err, "authorization: ");
	rc = acme_parse_authz(r.body, r.len, a, err);
	http_resp_free(&r);
	return rc;
}

int acme_respond(acme_client_t *c, const char *url, const json_t *payload, acme_chall_t *ch,
		 ar_err_t *err)
{
	http_resp_t r;
	int rc;

	if (acme_post(c, url, payload, &r, err) < 0)
		return ar_err_prefix(err, "challenge: ");
	rc = acme_parse_chall(r.body, r.len, ch, err);
	http_resp_free(&r);
	return rc;
}

/* How long to wait before polling again: Retry-After within [1, max]. */
static unsigned poll_delay(const acme_client_t *c, int max_wait_s)
{
	long d = c->retry_after > 0 ? c->retry_after : 1;

	return (unsigned)(d > max_wait_s ? max_wait_s : d);
}

#define POLL_MAX_WAIT_S	10

int acme_wait_authz(acme_client_t *c, const char *url, int deadline_s, acme_authz_t *a,
		    ar_err_t *err)
{
	time_t until = time(NULL) + deadline_s;

	for (;;) {
		if (acme_get_authz(c, url, a, err) < 0)
			return -1;
		if (a->status != ACME_PENDING)
			return 0;
		if (time(NULL) >= until)
			return ar_err_set(err, AR_ERR_TIMEOUT,
					  "authorization for %s:%s still pending after %d s",
					  a->id.type, a->id.value, deadline_s);
		sleep(poll_delay(c, POLL_MAX_WAIT_S));
	}
}

int acme_finalize(acme_client_t *c, const char *order_url, acme_order_t *o,
		  const unsigned char *csr, size_t csr_len, int deadline_s, ar_err_t *err)
{
	char *b64 = ar_b64url_encode_alloc(csr, csr_len);
	json_t *p = b64 ? json_pack("{s:s}", "csr", b64) : NULL;
	time_t until = time(NULL) + deadline_s;
	http_resp_t r;
	int rc = -1;

	free(b64);
	if (!p)
		return ar_err_set(err, AR_ERR_NOMEM, "out of memory");
	if (acme_post(c, o->finalize, p, &r, err) < 0) {
		json_decref(p);
		return ar_err_prefix(err, "finalize: ");
	}
	json_decref(p);
	rc = acme_parse_order(r.body, r.len, o, err);
	http_resp_free(&r);
	while (rc == 0 && (o->status == ACME_PROCESSING || o->status == ACME_READY)) {
		if (time(NULL) >= until)
			return ar_err_set(err, AR_ERR_TIMEOUT, "order still %s after %d s",
					  acme_status_name(o->status), deadline_s);
		sleep(poll_delay(c, POLL_MAX_WAIT_S));
		rc = acme_get_order(c, order_url, o, err);
	}
	if (rc == 0 && o->status != ACME_VALID)
		rc = ar_err_set(err, AR_ERR_UNAUTHORIZED, "order is %s after finalize: %s %s",
				acme_status_name(o->status), o->error.type, o->error.detail);
	return rc;
}

int acme_download(acme_client_t *c, const char *url, char **pem, ar_err_t *err)
{
	http_resp_t r;

	*pem = NULL;
	if (acme_post(c, url, NULL, &r, err) < 0)
		return ar_err_prefix(err, "certificate: ");
	if (strncasecmp(r.content_type, MT_PEM_CHAIN, strlen(MT_PEM_CHAIN)) ||
	    !strstr(r.body, "-----BEGIN CERTIFICATE-----")) {
		http_resp_free(&r);
		return ar_err_set(err, AR_ERR_MALFORMED, "certificate: not a PEM chain (%.60s)",
				  r.content_type);
	}
	*pem = r.body;		/* hand the body over */
	r.body = NULL;
	http_resp_free(&r);
	return 0;
}

int acme_renewal_info(acme_client_t *c, const char *certid, acme_ari_t *ari, long *retry_after,
		      ar_err_t *err)
{
	char url[ACME_URL_MAX + 200];
	http_resp_t r;
	int rc;

	*retry_after = -1;
	if (!c->dir.renewal_info[0])
		return ar_err_set(err, AR_ERR_NOT_FOUND, "the CA offers no renewal information");
	if (snprintf(url, sizeof(url), "%s/%s", c->dir.renewal_info, certid) >= (int)sizeof(url))
		return ar_err_set(err, AR_ERR_TOO_LARGE, "renewalInfo URL too long");
	if (http_request(c->http, "GET", url, NULL, NULL, 0, "application/json", &r, err) < 0)
		return ar_err_prefix(err, "renewalInfo: ");
	*retry_after = r.retry_after;
	if (r.status == 200) {
		rc = acme_parse_ari(r.body, r.len, ari, err);
	} else {
		acme_parse_problem(r.body, r.len, r.status, &c->problem);
		rc = ar_err_set(err, r.status == 404 ? AR_ERR_NOT_FOUND : r.status >= 500 ?
				AR_ERR_UNAVAILABLE : AR_ERR_MALFORMED, "renewalInfo: HTTP %ld %s",
				r.status, c->problem.detail);
	}
	http_resp_free(&r);
	return rc;
}
