/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The device's side of the verifier's challenge-response API, over HTTPS (verifier_client.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "verifier_client.h"

int vc_open(verifier_client_t *vc, const char *verifier, const http_opts_t *o, ar_err_t *err)
{
	memset(vc, 0, sizeof(*vc));
	if (vp_base_url(verifier, vc->base, sizeof(vc->base), err) < 0)
		return -1;
	vc->http = http_client_new(o, err);
	return vc->http ? 0 : -1;
}

void vc_close(verifier_client_t *vc)
{
	http_client_free(vc->http);
	vc->http = NULL;
}

/*
 * An answer other than @want: say what the verifier said. A 5xx is the
 * verifier's trouble (its Redis, a restart): try again later; 401 and 403
 * refuse the device (evidence not signed by its enrolled key, or it is not
 * enrolled); any other answer is a bad request.
 */
static int unexpected(const char *what, long want, const http_resp_t *r, ar_err_t *err)
{
	ar_errc_t code = r->status >= 500 ? AR_ERR_UNAVAILABLE
		       : r->status == 401 || r->status == 403 ? AR_ERR_UNAUTHORIZED : AR_ERR_MALFORMED;
	char text[256];

	vp_problem_text(r->content_type, r->body, r->len, text, sizeof(text));
	ar_info("event=attest.verifier_error step=%s status=%ld", what, r->status);
	return ar_err_set(err, code, "%s: verifier answered %ld (expected %ld): %s",
			  what, r->status, want, text);
}

int vc_new_session(verifier_client_t *vc, const char *nonce, vp_session_t *s, ar_err_t *err)
{
	char url[VP_URL_MAX];
	http_resp_t r;
	int n, rc = -1;

	memset(s, 0, sizeof(*s));
	if (nonce)
		n = snprintf(url, sizeof(url), "%s%s?nonce=%s", vc->base, VP_PATH_NEW_SESSION, nonce);
	else
		n = snprintf(url, sizeof(url), "%s%s", vc->base, VP_PATH_NEW_SESSION);
	if (n < 0 || (size_t)n >= sizeof(url))
		return ar_err_set(err, AR_ERR_CONFIG, "verifier URL too long");
	if (http_request(vc->http, "POST", url, NULL, "", 0, NULL, &r, err) < 0)
		return -1;
	if (r.status != 201) {
		unexpected("newSession", 201, &r, err);
		goto out;
	}
	if (r.location_too_long) {
		ar_err_set(err, AR_ERR_MALFORMED, "newSession: Location header too long");
		goto out;
	}
	if (vp_resolve_location(vc->base, r.location, s->url, sizeof(s->url), err) < 0 ||
	    vp_parse_session(r.body, r.len, s, err) < 0) {
		ar_err_prefix(err, "newSession: ");
		goto out;
	}
	if (nonce && !ar_nonce_equal(nonce, s->nonce)) {
		ar_err_set(err, AR_ERR_BAD_NONCE, "newSession: verifier did not use the nonce asked for");
		goto out;
	}
	ar_info("event=attest.session expiry=%s", s->expiry[0] ? s->expiry : "-");
	rc = 0;
out:
	http_resp_free(&r);
	return rc;
}

ar_jwk_t *vc_encryption_key(verifier_client_t *vc, ar_err_t *err)
{
	ar_jwk_t *key = NULL;
	char url[VP_URL_MAX];
	http_resp_t r;

	if (snprintf(url, sizeof(url), "%s%s", vc->base, VP_PATH_ENC_KEY) >= (int)sizeof(url)) {
		ar_err_set(err, AR_ERR_CONFIG, "verifier URL too long");
		return NULL;
	}
	if (http_request(vc->http, "GET", url, NULL, NULL, 0, VP_MT_JWK, &r, err) < 0)
		return NULL;
	if (r.status != 200) {
		unexpected("encryption-key", 200, &r, err);
		goto out;
	}
	if (!vp_media_type_is(r.content_type, VP_MT_JWK) &&
	    !vp_media_type_is(r.content_type, "application/json")) {
		ar_err_set(err, AR_ERR_MALFORMED, "encryption-key: Content-Type \"%.64s\" is not %s",
			   r.content_type, VP_MT_JWK);
		goto out;
	}
	key = ar_jwk_parse_text(r.body, r.len, AR_JWK_PUBLIC_ONLY, err);
	if (!key) {
		ar_err_prefix(err, "encryption-key: ");
		goto out;
	}
	if (ar_jwk_type(key) != AR_JWK_EC) {
		ar_jwk_free(key);
		key = NULL;
		ar_err_set(err, AR_ERR_UNSUPPORTED, "encryption-key: not an EC key");
	}
out:
	http_resp_free(&r);
	return key;
}

int vc_submit(verifier_client_t *vc, const vp_session_t *s, const char *ctype,
	      const char *body, size_t len, char **jwt, ar_err_t *err)
{
	http_resp_t r;
	int rc = -1;

	*jwt = NULL;
	if (http_request(vc->http, "POST", s->url, ctype, body, len, VP_MT_CMW, &r, err) < 0)
		return -1;
	if (r.status != 200) {
		unexpected("evidence", 200, &r, err);
		goto out;
	}
	if (vp_parse_result(r.content_type, r.body, r.len, jwt, err) < 0)
		goto out;
	ar_info("event=attest.result bytes=%zu", strlen(*jwt));
	rc = 0;
out:
	http_resp_free(&r);
	return rc;
}
