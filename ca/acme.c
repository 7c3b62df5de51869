/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ACME request pipeline (RFC 8555 6): every POST is checked here, in one
 * place and one order, before an endpoint sees it:
 *
 *   Content-Type application/jose+json
 *   -> route (which key reference the endpoint needs)
 *   -> envelope: flattened JWS, alg, nonce, url = this URL, jwk xor kid
 *   -> nonce authentic and unexpired (no lookup)
 *   -> nonce spent (one SET NX in Redis), account named by kid exists and
 *      is valid, and the record the endpoint's URL names: one round trip
 *   -> signature by the account key (or the jwk)
 *   -> endpoint
 *
 * The nonce's SET NX waits for the store's next command: the account read
 * (with the endpoint's record) for kid-signed requests, else the endpoint's
 * first read or write, or it is sent after an endpoint that did not touch
 * the store. A reused nonce is badNonce whatever the endpoint did, and is
 * found before the signature costs a verification.
 *
 * Every response carries a fresh Replay-Nonce and the directory Link.
 */
#include "config.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ca.h"
#include "log.h"
#include "nonce.h"

typedef void (*acme_post_fn)(acme_req_t *r, const char *rest, ar_http_resp_t *resp);

static void post_new_account(acme_req_t *r, const char *rest, ar_http_resp_t *resp)
{
	(void)rest;
	account_new(r, resp);
}


static void post_key_change(acme_req_t *r, const char *rest, ar_http_resp_t *resp)
{
	(void)rest;
	account_key_change(r, resp);
}

static void post_new_order(acme_req_t *r, const char *rest, ar_http_resp_t *resp)
{
	(void)rest;
	order_new(r, resp);
}

/* RFC 8555 7.2: newNonce read with POST-as-GET (signed by an account). */
static void post_new_nonce(acme_req_t *r, const char *rest, ar_http_resp_t *resp)
{
	(void)rest;
	if (r->jws.payload) {
		acme_problem(r->ca, resp, 400, "malformed", "newNonce is read with POST-as-GET");
		return;
	}
	ar_http_resp_text(resp, 200, "", "", 0);
	acme_headers(r->ca, resp);
}

/* The directory read with POST-as-GET (RFC 8555 6.3 allows it for any resource). */
static void post_directory(acme_req_t *r, const char *rest, ar_http_resp_t *resp)
{
	(void)rest;
	if (r->jws.payload) {
		acme_problem(r->ca, resp, 400, "malformed", "the directory is read with POST-as-GET");
		return;
	}
	ar_http_resp_text(resp, 200, "application/json", r->ca->directory,
			  strlen(r->ca->directory));
	acme_headers(r->ca, resp);
}

static const struct route {
	const char		*path;		/* below ACME_PATH */
	int			prefix;		/* path is a prefix; the rest goes to the handler */
	ar_acme_keyref_t	keyref;
	int			array_ok;	/* payload may be an array (a CMW record) */
	int			waits;		/* an object payload waits on other servers */
	const char		*record;	/* read with the account: kind, id from the rest */
	acme_post_fn		post;
} routes[] = {
	{ "new-account", 0, AR_ACME_KEY_JWK, 0, 0, NULL, post_new_account },
	{ "acct/", 1, AR_ACME_KEY_KID, 0, 0, NULL, account_post },
	{ "key-change", 0, AR_ACME_KEY_KID, 0, 0, NULL, post_key_change },
	{ "new-order", 0, AR_ACME_KEY_KID, 0, 0, NULL, post_new_order },
	{ "order/", 1, AR_ACME_KEY_KID, 0, 0, "order", order_post },
	{ "authz/", 1, AR_ACME_KEY_KID, 0, 0, "authz", authz_post },
	/* {} starts http-01 or dns-01, a JWE is relayed to the verifier; a
	 * passport (a CMW array) is checked here and now. */
	{ "chall/", 1, AR_ACME_KEY_KID, 1, 1, "authz", challenge_post },
	{ "cert/", 1, AR_ACME_KEY_KID, 0, 0, "cert", cert_post },
	{ "revoke-cert", 0, AR_ACME_KEY_EITHER, 0, 0, NULL, revoke_post },
	{ "new-nonce", 0, AR_ACME_KEY_KID, 0, 0, NULL, post_new_nonce },
};

/* POST-as-GET of the directory (outside ACME_PATH). */
static const struct route directory_route = {
	"directory", 0, AR_ACME_KEY_KID, 0, 0, NULL, post_directory
};

/* The signature algorithms accepted for account keys (RFC 8555 6.2 "algorithms"). */
static const char *const account_algs[] = { "ES256", "ES384", "RS256", "EdDSA" };

/*
 * Account keys, parsed once: an account signs every request with the same
 * key, and parsing and validating it costs more than the signature check.
 * Process-wide (the HTTP threads share it), lives as long as the process.
 */
#define ACCOUNT_KEY_SLOTS	8192

static ar_jwk_cache_t *account_keys;
static pthread_once_t account_keys_once = PTHREAD_ONCE_INIT;

static void account_keys_init(void)
{
	account_keys = ar_jwk_cache_new(ACCOUNT_KEY_SLOTS);
}

static ar_jwk_t *account_key(const json_t *jwk, ar_err_t *err)
{
	pthread_once(&account_keys_once, account_keys_init);
	if (!account_keys)
		return ar_jwk_parse(jwk, AR_JWK_PUBLIC_ONLY, err);
	return ar_jwk_cache_parse(account_keys, jwk, AR_JWK_PUBLIC_ONLY, err);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void acme_headers(ca_t *ca, ar_http_resp_t *resp)
{
	char nonce[NONCE_TEXT_MAX], link[CA_URL_MAX];

	if (nonce_issue(ca->nonce_key, now_ms(), nonce, sizeof(nonce)) == 0)
		ar_http_resp_header(resp, "Replay-Nonce", nonce);
	snprintf(link, sizeof(link), "<%s/directory>;rel=\"index\"", ca->conf.base_url);
	ar_http_resp_header(resp, "Link", link);
}

void acme_json(ca_t *ca, ar_http_resp_t *resp, int status, json_t *body)
{
	ar_http_resp_json(resp, status, "application/json", body);
	acme_headers(ca, resp);
}

void acme_problem(ca_t *ca, ar_http_resp_t *resp, int status, const char *type,
		  const char *fmt, ...)
{
	char detail[512], urn[96];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	snprintf(urn, sizeof(urn), ACME_ERR "%s", type);
	ar_http_resp_problem(resp, status, urn, "%s", detail);
	acme_headers(ca, resp);
	ar_debug("event=acme.problem type=%s status=%d", type, status);
}

void acme_problem_bad_alg(ca_t *ca, ar_http_resp_t *resp, const char *why)
{
	json_t *doc, *algs = json_array();
	size_t i;

	acme_problem(ca, resp, 400, "badSignatureAlgorithm", "%s (accepted: ES256, ES384, RS256, "
		     "EdDSA)", why);
	for (i = 0; algs && i < sizeof(account_algs) / sizeof(account_algs[0]); i++)
		json_array_append_new(algs, json_string(account_algs[i]));
	doc = json_loadb(resp->body, resp->len, 0, NULL);
	if (doc && algs) {	/* RFC 8555 6.2: the problem lists them in "algorithms" */
		json_object_set_new(doc, "algorithms", algs);
		algs = NULL;
		ar_http_resp_json(resp, 400, "application/problem+json", doc);
	} else {
		json_decref(doc);
	}
	json_decref(algs);
}

/* One place maps library errors to ACME problem types and HTTP status. */
void acme_problem_from(ca_t *ca, ar_http_resp_t *resp, const ar_err_t *err)
{
	switch (err->code) {
	case AR_ERR_BAD_NONCE:
		acme_problem(ca, resp, 400, "badNonce", "%s", err->msg);
		break;
	case AR_ERR_BAD_ALG:
		acme_problem_bad_alg(ca, resp, err->msg);
		break;
	case AR_ERR_UNAUTHORIZED:
		acme_problem(ca, resp, 403, "unauthorized", "%s", err->msg);
		break;
	case AR_ERR_BAD_KEY:	/* RFC 8555 6.7: a key this CA does not take */
		acme_problem(ca, resp, 400, "badPublicKey", "%s", err->msg);
		break;
	case AR_ERR_TOO_LARGE:
		acme_problem(ca, resp, 413, "malformed", "%s", err->msg);
		break;
	case AR_ERR_UNAVAILABLE:
	case AR_ERR_TIMEOUT:
		ar_warn("event=acme.unavailable error=\"%s\"", err->msg);
		ar_http_resp_header(resp, "Retry-After", "1");
		acme_problem(ca, resp, 503, "serverInternal", "state store unavailable, retry");
		break;
	case AR_ERR_UNREPLICATED:	/* on_replica_timeout = refuse */
		ar_warn("event=acme.unreplicated error=\"%s\"", err->msg);
		ar_http_resp_header(resp, "Retry-After", "1");
		acme_problem(ca, resp, 503, "serverInternal", "the change was written but too few "
			     "replicas of the state store confirmed it in time, so it is not "
			     "acknowledged; it may still take effect (e.g. after a failover): read "
			     "the resource again before retrying");
		break;
	case AR_ERR_NOMEM:
	case AR_ERR_CRYPTO:
	case AR_ERR_IO:
	case AR_ERR_CONFIG:	/* also Redis refusing our credentials or ACL */
		ar_error("event=acme.internal_error error=\"%s\"", err->msg);
		acme_problem(ca, resp, 500, "serverInternal", "internal error");
		break;
	default:	/* malformed, bad signature, unsupported, not found */
		acme_problem(ca, resp, 400, "malformed", "%s", err->msg);
		break;
	}
}

static const struct route *find_route(const char *path, const char **rest)
{
	size_t i;

	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		size_t n = strlen(routes[i].path);

		if (routes[i].prefix ? !strncmp(path, routes[i].path, n) && path[n]
				     : !strcmp(path, routes[i].path)) {
			*rest = path + n;
			return &routes[i];
		}
	}
	return NULL;
}

/* Who signs: the account named by kid (loaded, must be valid) or the jwk. */
static int signer_key(acme_req_t *r, ar_jwk_t **owned, const ar_jwk_t **key,
		      ar_http_resp_t *resp)
{
	ar_err_t err = { 0 };
	acme_status_t st;
	int rc;

	*owned = NULL;
	if (!r->jws.kid) {
		*key = r->jws.jwk;
		return 0;
	}
	rc = account_load(r->ca, r->st, r->jws.kid, r->account_id, sizeof(r->account_id),
			  &r->account, &r->account_text, &r->pre, &err);
	if (rc < 0) {
		acme_problem_from(r->ca, resp, &err);
		return -1;
	}
	if (rc == 0) {
		acme_problem(r->ca, resp, 400, "accountDoesNotExist", "no account at this \"kid\"");
		return -1;
	}
	if (acme_status_of(r->account, &st) < 0) {
		ar_error("event=account.corrupt account=%s error=\"status missing or unknown\"",
			 r->account_id);
		acme_problem(r->ca, resp, 500, "serverInternal", "account record unusable");
		return -1;
	}
	if (st != ACME_VALID) {	/* RFC 8555 7.3.6: 401 for a deactivated account */
		acme_problem(r->ca, resp, 401, "unauthorized", "account is not valid (%s)",
			     acme_status_name(st));
		return -1;
	}
	*owned = account_key(json_object_get(r->account, "key"), &err);
	if (!*owned) {
		ar_error("event=account.corrupt account=%s error=\"%s\"", r->account_id, err.msg);
		acme_problem(r->ca, resp, 500, "serverInternal", "account record unusable");
		return -1;
	}
	*key = *owned;
	return 0;
}

/*
 * The pipeline for a POST to @path (the request's path below the base URL)
 * that @route serves; @rest is what follows the route's prefix.
 */
static void acme_post_route(ca_t *ca, const ar_http_req_t *http, const char *path,
			    const struct route *route, const char *rest, ar_http_resp_t *resp)
{
	acme_req_t r = { .ca = ca, .http = http };
	const ar_jwk_t *key = NULL;
	ar_jwk_t *account_key = NULL;
	ar_err_t err = { 0 };
	const char *body;
	size_t len;

	if (!ar_http_content_type_is(http, "application/jose+json")) {
		acme_problem(ca, resp, 415, "malformed", "Content-Type must be application/jose+json");
		return;
	}
	if ((size_t)snprintf(r.url, sizeof(r.url), "%s%s", ca->conf.base_url, path) >=
	    sizeof(r.url)) {
		acme_problem(ca, resp, 404, "malformed", "no such resource");
		return;
	}
	body = ar_http_body(http, &len);
	if (ar_acme_jws_parse(body, len, r.url, route->keyref, &r.jws, &err) < 0 ||
	    nonce_check(ca->nonce_key, r.jws.nonce, now_ms(), ca->conf.nonce_lifetime, &err) < 0) {
		acme_problem_from(ca, resp, &err);
		goto out;
	}
	if (json_is_array(r.jws.payload) && !route->array_ok) {
		acme_problem(ca, resp, 400, "malformed", "payload must be a JSON object");
		goto out;
	}
	/* Validation that fetches, resolves or asks the verifier runs on a
	 * worker thread, called again from the start: nothing is spent yet. */
	if (route->waits && json_is_object(r.jws.payload) && ar_http_resp_defer(http, resp) == 0)
		goto out;
	r.st = daemon_store(&ca->stores, &err);
	if (!r.st || nonce_spend(r.st, r.jws.nonce, ca->conf.nonce_lifetime, &err) < 0) {
		acme_problem_from(ca, resp, &err);
		goto out;
	}
	if (route->record)
		ca_record_prefetch(&r, route->record, rest);
	if (signer_key(&r, &account_key, &key, resp) == 0) {
		r.key = key;
		if (ar_acme_jws_verify(&r.jws, key, &err) < 0)
			acme_problem_from(ca, resp, &err);
		else
			route->post(&r, rest, resp);
	}
	if (ar_store_settle(r.st, &err) < 0) {
		resp->nheaders = 0;
		acme_problem_from(ca, resp, &err);
	}
out:
	free(r.pre.text);
	ar_jwk_free(account_key);
	json_decref(r.account);
	free(r.account_text);
	ar_acme_jws_clear(&r.jws);
}

static void acme_post(ca_t *ca, const ar_http_req_t *http, const char *path,
		      ar_http_resp_t *resp)
{
	const char *rest = "";
	const struct route *route = find_route(path + strlen(ACME_PATH), &rest);

	if (!ar_http_content_type_is(http, "application/jose+json")) {
		acme_problem(ca, resp, 415, "malformed", "Content-Type must be application/jose+json");
		return;
	}
	if (!route) {
		acme_problem(ca, resp, 404, "malformed", "no such resource");
		return;
	}
	acme_post_route(ca, http, path, route, rest, resp);
}

#define RENEWAL_INFO	"renewal-info/"

void ca_handle(void *ctx, const ar_http_req_t *req, ar_http_resp_t *resp)
{
	ca_t *ca = ctx;
	const char *path = ar_http_path(req), *method = ar_http_method(req);

	if (!strcmp(path, "/directory")) {
		if (!strcmp(method, "POST")) {
			acme_post_route(ca, req, path, &directory_route, "", resp);
			return;
		}
		if (strcmp(method, "GET")) {
			ar_http_resp_header(resp, "Allow", "GET, POST");
			acme_problem(ca, resp, 405, "malformed", "the directory is read with GET (or "
				     "POST-as-GET)");
			return;
		}
		ar_http_resp_text(resp, 200, "application/json", ca->directory, strlen(ca->directory));
		acme_headers(ca, resp);
		return;
	}
	if (!strncmp(path, ACME_PATH, strlen(ACME_PATH))) {
		const char *sub = path + strlen(ACME_PATH);

		if (!strncmp(sub, RENEWAL_INFO, strlen(RENEWAL_INFO)) && !strcmp(method, "GET")) {
			ari_get(ca, sub + strlen(RENEWAL_INFO), resp);
			return;
		}
		if (!strcmp(sub, "new-nonce") && (!strcmp(method, "HEAD") || !strcmp(method, "GET"))) {
			/* RFC 8555 7.2: 200 for HEAD, 204 for GET. */
			ar_http_resp_text(resp, strcmp(method, "HEAD") ? 204 : 200, "", "", 0);
			acme_headers(ca, resp);
			return;
		}
		if (!strcmp(method, "POST")) {
			acme_post(ca, req, path, resp);
			return;
		}
		ar_http_resp_header(resp, "Allow", "POST");
		acme_problem(ca, resp, 405, "malformed",
			     "ACME resources are read with POST-as-GET (RFC 8555 6.3)");
		return;
	}
	acme_problem(ca, resp, 404, "malformed", "no such resource");
}
