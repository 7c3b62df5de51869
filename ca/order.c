/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Orders and authorizations (RFC 8555 7.4, 7.5; draft-ietf-acme-rats).
 *
 * An order carries the device's real identifiers (dns, permanent-identifier)
 * plus remote-attestation identifiers whose values are property hints. The
 * account's certificate profile decides which hints are challenged, whatever
 * the client offered. Permanent identifiers come pre-authorized from the
 * EAB inventory (authorizations created valid, RFC 8555 7.4); dns names get
 * http-01 and dns-01; hints get remote-attest-01 with a fresh
 * freshness_nonce. An order is ready only when every authorization is valid.
 *
 * Records (JSON, generic store values): order:<id>, authz:<id>.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "b64.h"
#include "ca.h"
#include "json.h"
#include "log.h"

#define ORDER_MAX_IDS	16

enum id_type { ID_DNS, ID_PERMANENT, ID_ATTEST };

/* LDH host name, at least two labels, no wildcard, at most 253 characters. */
static int dns_name_ok(const char *v)
{
	size_t len = strlen(v), label = 0, labels = 1, i;
	int digits = 1;	/* the current label is all digits so far */

	if (len == 0 || len > 253 || v[0] == '.' || v[len - 1] == '.')
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c == '.') {
			if (label == 0 || v[i - 1] == '-')
				return 0;
			label = 0;
			labels++;
			digits = 1;
			continue;
		}
		if (!(isalnum(c) || (c == '-' && label > 0)) || isupper(c) || ++label > 63)
			return 0;
		digits &= isdigit(c) != 0;
	}
	/* An all-numeric last label is an address (127.0.0.1, 1.2.3.4.5), not a
	 * host name (RFC 1123 2.1): IP identifiers are another type (RFC 8738),
	 * and http-01 must not be pointed at an address without DNS. */
	return labels >= 2 && v[len - 1] != '-' && !digits;
}

int ca_eab_preauthorized(const ca_t *ca, const json_t *account, const char *value)
{
	const ca_eab_t *eab = ca_eab_find(ca, json_string_value(json_object_get(account, "eab")));
	size_t i;

	for (i = 0; eab && i < json_array_size(eab->identifiers); i++)
		if (!strcmp(json_string_value(json_array_get(eab->identifiers, i)), value))
			return 1;
	return 0;
}

/* Add a subproblem for one identifier. */
static void subproblem(json_t *subs, const char *type, const json_t *id, const char *detail)
{
	char urn[96];

	snprintf(urn, sizeof(urn), ACME_ERR "%s", type);
	json_array_append_new(subs, json_pack("{s:s,s:s,s:O}", "type", urn, "detail", detail,
					      "identifier", id));
}

/*
 * Check the requested identifiers against the profile; fill @real with the
 * certificate's identifiers and @hints with the offered attestation hints.
 * Problems go to @subs (one per identifier).
 */
static void check_identifiers(acme_req_t *r, const ca_profile_t *prof, const json_t *ids,
			      json_t *real, unsigned *hints, json_t *subs)
{
	size_t i, j;

	for (i = 0; i < json_array_size(ids); i++) {
		const json_t *id = json_array_get(ids, i);
		const char *type = json_string_value(json_object_get(id, "type"));
		const char *value = json_string_value(json_object_get(id, "value"));

		if (!json_is_object(id) || !type || !value || json_object_size(id) != 2) {
			subproblem(subs, "malformed", id, "an identifier is {\"type\", \"value\"}");
		} else if (!strcmp(type, "remote-attestation")) {
			int h = ca_hint_parse(value);

			if (h < 0)
				subproblem(subs, "unsupportedIdentifier", id,
					   "unknown remote-attestation property hint");
			else if (!prof->hints)
				subproblem(subs, "rejectedIdentifier", id,
					   "this account's certificate profile does not attest");
			else
				*hints |= 1u << h;
		} else if (!strcmp(type, "dns")) {
			if (!(prof->types & PROFILE_ID_DNS))
				subproblem(subs, "rejectedIdentifier", id,
					   "this account's profile does not issue for dns names");
			else if (!dns_name_ok(value))
				subproblem(subs, "rejectedIdentifier", id,
					   "not a lower-case host name (wildcards and IP addresses "
					   "are not issued)");
			else
				json_array_append(real, (json_t *)id);
		} else if (!strcmp(type, "permanent-identifier")) {
			if (!(prof->types & PROFILE_ID_PERMANENT))
				subproblem(subs, "rejectedIdentifier", id,
					   "this account's profile does not issue for permanent "
					   "identifiers");
			else if (!ca_eab_preauthorized(r->ca, r->account, value))
				subproblem(subs, "rejectedIdentifier", id,
					   "not in this account's device inventory");
			else
				json_array_append(real, (json_t *)id);
		} else {
			subproblem(subs, "unsupportedIdentifier", id, "identifier type not supported");
		}
		for (j = 0; j < i; j++)
			if (json_equal(json_array_get(ids, j), (json_t *)id))
				subproblem(subs, "malformed", id, "identifier listed twice");
	}
}

static json_t *challenge(const char *type, int with_nonce, const ca_profile_t *prof)
{
	uint8_t raw[32];
	char token[64], nonce[64];
	json_t *c;

	if (RAND_bytes(raw, 16) != 1 || ar_b64url_encode(raw, 16, token, sizeof(token)) < 0)
		return NULL;
	c = json_pack("{s:s,s:s,s:s}", "type", type, "token", token, "status", "pending");
	if (c && with_nonce) {
		/* 256 bits, single use, expires with the authorization. */
		if (RAND_bytes(raw, sizeof(raw)) != 1 ||
		    ar_b64url_encode(raw, sizeof(raw), nonce, sizeof(nonce)) < 0) {
			json_decref(c);
			return NULL;
		}
		json_object_set_new(c, "freshness_nonce", json_string(nonce));
		if (prof->claims_hint && *prof->claims_hint) {
			json_t *hint = json_array();
			const char *p = prof->claims_hint;

			while (*p) {
				size_t n = strcspn(p, " \t");

				if (n)
					json_array_append_new(hint, json_stringn(p, n));
				p += n + strspn(p + n, " \t");
			}
			json_object_set_new(c, "attestClaimsHint", hint);
		}
	}
	return c;
}

/* One authorization record for @id, pending with its challenges or pre-authorized. */
static json_t *authz_record(acme_req_t *r, const ca_profile_t *prof, const char *order_id,
			    json_t *id, int64_t expires, enum id_type kind)
{
	json_t *rec = json_pack("{s:s,s:s,s:O,s:I,s:s,s:[]}", "account", r->account_id,
				"order", order_id, "identifier", id, "expires", (json_int_t)expires,
				"profile", prof->name, "challenges");
	json_t *ch = json_object_get(rec, "challenges");

	if (!rec)
		return NULL;
	switch (kind) {
	case ID_PERMANENT:		/* pre-authorized through the EAB inventory */
		json_object_set_new(rec, "status", json_string("valid"));
		break;
	case ID_DNS:
		json_object_set_new(rec, "status", json_string("pending"));
		json_array_append_new(ch, challenge("http-01", 0, prof));
		json_array_append_new(ch, challenge("dns-01", 0, prof));
		break;
	case ID_ATTEST:
		json_object_set_new(rec, "status", json_string("pending"));
		json_array_append_new(ch, challenge("remote-attest-01", 1, prof));
		break;
	}
	return rec;
}

/*
 * The order's status follows its authorizations (RFC 8555 7.1.6), written
 * once: any invalid -> invalid; all valid -> ready; expired -> invalid.
 * States after "ready" (processing, valid) are the finalizer's.
 */
static acme_status_t derive_status(acme_status_t current, const acme_status_t *authz, size_t n,
				   int64_t expires, int64_t now)
{
	size_t i, valid = 0;

	if (current != ACME_PENDING && current != ACME_READY)
		return current;
	if (now > expires)
		return ACME_INVALID;
	for (i = 0; i < n; i++) {
		switch (authz[i]) {
		case ACME_VALID:
			valid++;
			break;
		case ACME_PENDING:
			break;
		default:	/* invalid, deactivated, expired, revoked */
			return ACME_INVALID;
		}
	}
	return valid == n ? ACME_READY : ACME_PENDING;
}

json_t *order_view(const ca_t *ca, const char *id, const json_t *order)
{
	char url[CA_URL_MAX], exp[32];
	json_t *view, *urls = json_array();
	size_t i;

	for (i = 0; i < json_array_size(json_object_get(order, "authorizations")); i++) {
		ca_url(ca, "authz", json_string_value(json_array_get(
			json_object_get(order, "authorizations"), i)), url, sizeof(url));
		json_array_append_new(urls, json_string(url));
	}
	ca_rfc3339(json_integer_value(json_object_get(order, "expires")), exp, sizeof(exp));
	ca_url(ca, "order", id, url, sizeof(url));
	i = strlen(url);
	snprintf(url + i, sizeof(url) - i, "/finalize");
	view = json_pack("{s:O,s:s,s:O,s:o,s:s}", "status", json_object_get(order, "status"),
			 "expires", exp, "identifiers", json_object_get(order, "identifiers"),
			 "authorizations", urls, "finalize", url);
	if (view && json_is_string(json_object_get(json_object_get(order, "replaces"), "certid")))
		json_object_set(view, "replaces", json_object_get(json_object_get(order, "replaces"),
								  "certid"));	/* RFC 9773 5 */
	if (view && json_object_get(order, "error"))
		json_object_set(view, "error", json_object_get(order, "error"));
	if (view && json_object_get(order, "certificate")) {
		ca_url(ca, "cert", json_string_value(json_object_get(order, "certificate")), url,
		       sizeof(url));
		json_object_set_new(view, "certificate", json_string(url));
	}
	return view;
}

void order_derive(json_t *order, const json_t *authzs, const char *changed_id,
		  const json_t *changed)
{
	const json_t *ids = json_object_get(order, "authorizations");
	acme_status_t st[ORDER_MAX_IDS + HINT_COUNT], cur;
	size_t i, n = json_array_size(authzs);
	int64_t now = time(NULL);

	if (n > ORDER_MAX_IDS + HINT_COUNT)
		n = ORDER_MAX_IDS + HINT_COUNT;
	if (acme_status_of(order, &cur) < 0)
		cur = ACME_INVALID;	/* records are checked when read: not reached */
	for (i = 0; i < n; i++) {
		const char *id = json_string_value(json_array_get(ids, i));
		const json_t *a = changed_id && id && !strcmp(id, changed_id) ? changed
									      : json_array_get(authzs, i);

		if (acme_status_of(a, &st[i]) < 0)
			st[i] = ACME_INVALID;
		/* A valid authorization past its expiry no longer authorizes (7.1.6). */
		if (st[i] == ACME_VALID && now > json_integer_value(json_object_get(a, "expires")))
			st[i] = ACME_EXPIRED;
	}
	json_object_set_new(order, "status", json_string(acme_status_name(derive_status(
		cur, st, n, json_integer_value(json_object_get(order, "expires")), now))));
}

/*
 * Records @p ids[0..n) in one round trip: authorizations, into the JSON
 * array @p authzs, after a first record of kind @p kind0 (into @p first)
 * when @p kind0 is not NULL.
 */
static int load_authzs(acme_req_t *r, const char *kind0, const char *const *ids, size_t n,
		       json_t **first, json_t **authzs, char **first_text, ar_err_t *err)
{
	const char *kinds[1 + ORDER_MAX_IDS + HINT_COUNT];
	json_t *recs[1 + ORDER_MAX_IDS + HINT_COUNT] = { 0 };
	size_t i;

	if (n == 0 || n > sizeof(kinds) / sizeof(kinds[0]))
		return ar_err_set(err, AR_ERR_IO, "order record corrupt");
	for (i = 0; i < n; i++)
		kinds[i] = i == 0 && kind0 ? kind0 : "authz";
	if (ca_records_get_text(r->st, kinds, ids, n, recs, kind0 ? first_text : NULL, err) < 0)
		return -1;
	*authzs = json_array();
	for (i = kind0 ? 1 : 0; i < n; i++)
		json_array_append_new(*authzs, recs[i]);
	if (kind0)
		*first = recs[0];
	return 0;
}

int order_refresh_with(acme_req_t *r, json_t *order, const char *changed_id,
		       const json_t *changed, ar_err_t *err)
{
	const json_t *ids = json_object_get(order, "authorizations");
	const char *idv[ORDER_MAX_IDS + HINT_COUNT];
	json_t *authzs = NULL;
	size_t i, n = json_array_size(ids);

	if (n == 0 || n > sizeof(idv) / sizeof(idv[0]))
		return ar_err_set(err, AR_ERR_IO, "order record corrupt");
	for (i = 0; i < n; i++)
		idv[i] = json_string_value(json_array_get(ids, i));
	if (load_authzs(r, NULL, idv, n, NULL, &authzs, NULL, err) < 0)
		return -1;
	order_derive(order, authzs, changed_id, changed);
	json_decref(authzs);
	return 0;
}

int order_load_with_authzs(acme_req_t *r, const char *order_id, const json_t *authz_ids,
			   json_t **order, json_t **authzs, char **order_text, ar_err_t *err)
{
	const char *idv[1 + ORDER_MAX_IDS + HINT_COUNT];
	size_t i, n = json_array_size(authz_ids);

	*order = *authzs = NULL;
	if (!order_id || n == 0 || n > ORDER_MAX_IDS + HINT_COUNT)
		return ar_err_set(err, AR_ERR_IO, "authorization record corrupt");
	idv[0] = order_id;
	for (i = 0; i < n; i++)
		if (!(idv[i + 1] = json_string_value(json_array_get(authz_ids, i))))
			return ar_err_set(err, AR_ERR_IO, "authorization record corrupt");
	if (load_authzs(r, "order", idv, n + 1, order, authzs, order_text, err) < 0)
		return -1;
	if (!json_equal(json_object_get(*order, "authorizations"), authz_ids)) {
		json_decref(*order);
		json_decref(*authzs);
		*order = *authzs = NULL;
		if (order_text) {
			free(*order_text);
			*order_text = NULL;
		}
		return ar_err_set(err, AR_ERR_IO, "order %s does not list the authorizations its "
				  "authorization names", order_id);
	}
	return 0;
}

int order_refresh(acme_req_t *r, json_t *order, ar_err_t *err)
{
	return order_refresh_with(r, order, NULL, NULL, err);
}

/*
 * RFC 9773 7: "replaces" names a certificate of this account that no other
 * order has replaced yet. Returns the record to keep on the order
 * ({"aki", "serial", "device"}), or NULL after answering the problem.
 */
/* 1 when @ids (the newOrder's identifiers) name @device as dns or permanent-identifier. */
static int names_device(const json_t *ids, const char *device)
{
	const json_t *id;
	size_t i;

	json_array_foreach(ids, i, id) {
		const char *type = json_string_value(json_object_get(id, "type"));
		const char *value = json_string_value(json_object_get(id, "value"));

		if (type && value && strcmp(type, "remote-attestation") && !strcmp(value, device))
			return 1;
	}
	return 0;
}

static json_t *check_replaces(acme_req_t *r, const json_t *replaces, const json_t *ids,
			      ar_http_resp_t *resp)
{
	char aki[AR_STORE_HEX_MAX + 1], serial[AR_STORE_HEX_MAX + 1], key[300], *done = NULL;
	const char *order_id;
	ar_store_cert_t cert;
	ar_err_t err = { 0 };
	json_t *old = NULL, *out = NULL;
	int rc;

	if (!json_is_string(replaces) || ari_certid_parse(json_string_value(replaces), aki,
							  sizeof(aki), serial, sizeof(serial)) < 0) {
		acme_problem(r->ca, resp, 400, "malformed", "replaces is a certID: "
			     "base64url(AKI).base64url(serial)");
		return NULL;
	}
	rc = ar_store_cert_find(r->st, aki, serial, &cert, &err);
	order_id = rc == 1 ? strrchr(cert.order, '/') : NULL;
	if (rc == 1 && order_id)
		rc = ca_record_get(r->st, "order", order_id + 1, &old, &err);
	if (rc < 0) {
		acme_problem_from(r->ca, resp, &err);
		return NULL;
	}
	if (rc == 0 || !order_id ||
	    strcmp(json_string_value(json_object_get(old, "account")), r->account_id)) {
		acme_problem(r->ca, resp, 400, "malformed", "replaces names no current certificate "
			     "of this account");
		goto out;
	}
	/*
	 * RFC 9773 5: the replacement is for the same subject. Finalizing it
	 * supersedes the old certificate, which takes its device off the
	 * network: an order may only replace a certificate of a device it names.
	 */
	if (!names_device(ids, cert.device)) {
		acme_problem(r->ca, resp, 400, "malformed", "replaces names a certificate for %s, "
			     "which this order does not name: a certificate is replaced by an order "
			     "for the same identifier", cert.device);
		goto out;
	}
	/* Replaced by an order that failed (invalid) or is gone: replaceable again. */
	snprintf(key, sizeof(key), "replaced:%s:%s", aki, serial);
	rc = ar_store_get(r->st, key, &done, NULL, &err);
	if (rc == 1)
		rc = order_dead(r, done, &err) == 1 ? 0 : rc;
	if (rc != 0) {
		if (rc < 0)
			acme_problem_from(r->ca, resp, &err);
		else
			acme_problem(r->ca, resp, 409, "alreadyReplaced", "order %s already replaced "
				     "this certificate", done);
		goto out;
	}
	out = json_pack("{s:s,s:s,s:s,s:s}", "aki", aki, "serial", serial, "device", cert.device,
			"certid", json_string_value(replaces));
out:
	free(done);
	json_decref(old);
	return out;
}

int order_dead(acme_req_t *r, const char *id, ar_err_t *err)
{
	acme_status_t st = ACME_INVALID;
	json_t *o = NULL;
	int rc = ca_record_get(r->st, "order", id, &o, err);

	if (rc == 1)
		rc = order_refresh(r, o, err) < 0 || acme_status_of(o, &st) < 0 ? -1 : 1;
	json_decref(o);
	return rc < 0 ? -1 : rc == 0 || st == ACME_INVALID;
}

/*
 * RFC 9773 7: one order at a time replaces a certificate. The new order
 * @oid claims it (SET NX, for the order's lifetime) unless an order that
 * can still be finalized holds it: 409 alreadyReplaced. An invalid or
 * vanished holder is taken over. 0, or -1 after answering the problem.
 */
static int claim_replacement(acme_req_t *r, const json_t *replaces, const char *oid,
			     int64_t lifetime_ms, ar_http_resp_t *resp)
{
	char key[300], *holder = NULL, url[CA_URL_MAX];
	ar_err_t err = { 0 };
	int rc, attempt;

	snprintf(key, sizeof(key), "replacing:%s:%s",
		 json_string_value(json_object_get(replaces, "aki")),
		 json_string_value(json_object_get(replaces, "serial")));
	for (attempt = 0; attempt < 2; attempt++) {
		rc = ar_store_set_once(r->st, key, oid, lifetime_ms, &err);
		if (rc != 0)
			break;
		rc = ar_store_get(r->st, key, &holder, NULL, &err);
		if (rc == 0)
			continue;	/* expired meanwhile: claim again */
		if (rc == 1)
			rc = order_dead(r, holder, &err);
		if (rc == 0) {
			ca_url(r->ca, "order", holder, url, sizeof(url));
			acme_problem(r->ca, resp, 409, "alreadyReplaced", "order %s already replaces "
				     "this certificate", url);
			rc = -2;
		} else if (rc == 1) {	/* the holder is invalid or gone: take over */
			rc = ar_store_set_if(r->st, key, holder, oid, strlen(oid), &err);
		}
		free(holder);
		holder = NULL;
		if (rc != 0)
			break;
	}
	if (rc == -1)
		acme_problem_from(r->ca, resp, &err);
	else if (rc == 0)
		acme_problem(r->ca, resp, 409, "alreadyReplaced", "another order is replacing this "
			     "certificate");
	return rc == 1 ? 0 : -1;
}

#define ORDER_RECS_MAX	(ORDER_MAX_IDS + HINT_COUNT + 1)	/* authorizations and the order */

/* A newOrder, from its checks to its commit. */
typedef struct new_order {
	const ca_profile_t	*prof;
	const json_t		*ids;		/* as requested */
	json_t			*real;		/* the identifiers besides remote-attestation */
	json_t			*subs;		/* subproblems */
	json_t			*replaces;	/* {"aki", "serial", "device", "certid"}, or NULL */
	unsigned		hints;
	int64_t			expires;
	char			oid[32];
	json_t			*all_ids;
	json_t			*authz_ids;
	json_t			*order;
	json_t			*recs[ORDER_RECS_MAX];
	const char		*kinds[ORDER_RECS_MAX];
	const char		*idp[ORDER_RECS_MAX];
	char			aids[ORDER_RECS_MAX][32];
	size_t			nrec;
} new_order_t;

/*
 * The validate step: a profile, 1..ORDER_MAX_IDS identifiers each
 * acceptable (one subproblem per refusal), no validity dates, a "replaces"
 * this order may claim. 0, or -1 after answering the problem.
 */
static int new_order_validate(acme_req_t *r, new_order_t *no, ar_http_resp_t *resp)
{
	const json_t *p = r->jws.payload;

	no->ids = p ? json_object_get(p, "identifiers") : NULL;
	if (!no->prof) {
		acme_problem(r->ca, resp, 403, "unauthorized", "no certificate profile for this account");
		return -1;
	}
	if (!json_is_array(no->ids) || json_array_size(no->ids) == 0 ||
	    json_array_size(no->ids) > ORDER_MAX_IDS) {
		acme_problem(r->ca, resp, 400, "malformed", "newOrder needs 1..%d identifiers",
			     ORDER_MAX_IDS);
		return -1;
	}
	if (json_object_get(p, "notBefore") || json_object_get(p, "notAfter")) {
		acme_problem(r->ca, resp, 400, "malformed", "notBefore/notAfter are not accepted: the "
			     "profile sets the lifetime");
		return -1;
	}
	if (json_object_get(p, "replaces") &&
	    !(no->replaces = check_replaces(r, json_object_get(p, "replaces"), no->ids, resp)))
		return -1;
	check_identifiers(r, no->prof, no->ids, no->real, &no->hints, no->subs);
	if (json_array_size(no->subs)) {
		json_t *first = json_array_get(no->subs, 0), *doc;
		const char *type = json_string_value(json_object_get(first, "type"));

		acme_problem(r->ca, resp, 400, type + strlen(ACME_ERR), "%s",
			     json_string_value(json_object_get(first, "detail")));
		doc = json_loadb(resp->body, resp->len, 0, NULL);
		if (doc) {	/* RFC 8555 6.7.1: one subproblem per identifier */
			json_object_set(doc, "subproblems", no->subs);
			ar_http_resp_json(resp, 400, "application/problem+json", doc);
		}
		return -1;
	}
	if (json_array_size(no->real) == 0) {
		acme_problem(r->ca, resp, 400, "rejectedIdentifier", "an order needs an identifier "
			     "besides remote-attestation");
		return -1;
	}
	return 0;
}

/*
 * The build step: an authorization per identifier and hint (the profile's
 * hints always, the client's on top), each naming all of the order's, and
 * the order. 0, or -1 (out of memory, no randomness).
 */
static int new_order_build(acme_req_t *r, new_order_t *no)
{
	acme_status_t statuses[ORDER_RECS_MAX];
	size_t i;
	int h;

	no->all_ids = json_deep_copy(no->real);
	no->authz_ids = json_array();
	if (!no->all_ids || !no->authz_ids)
		return -1;
	for (h = 0; h < HINT_COUNT; h++)
		if (no->hints & (1u << h))
			json_array_append_new(no->all_ids, json_pack("{s:s,s:s}", "type",
					      "remote-attestation", "value", ca_hint_name(h)));
	for (i = 0; i < json_array_size(no->all_ids) && no->nrec < ORDER_RECS_MAX - 1; i++) {
		json_t *id = json_array_get(no->all_ids, i);
		const char *type = json_string_value(json_object_get(id, "type"));
		enum id_type kind = !strcmp(type, "dns") ? ID_DNS :
				    !strcmp(type, "permanent-identifier") ? ID_PERMANENT : ID_ATTEST;
		size_t n = no->nrec;

		no->recs[n] = authz_record(r, no->prof, no->oid, id, no->expires, kind);
		if (!no->recs[n] || ca_new_id(no->aids[n], sizeof(no->aids[n])) < 0)
			return -1;
		if (acme_status_of(no->recs[n], &statuses[n]) < 0)
			statuses[n] = ACME_INVALID;	/* cannot happen: built above */
		no->kinds[n] = "authz";
		no->idp[n] = no->aids[n];
		json_array_append_new(no->authz_ids, json_string(no->aids[n]));
		no->nrec++;
	}
	/* Each authorization names its order's: a challenge reads them all with the order. */
	for (i = 0; i < no->nrec; i++)
		json_object_set(no->recs[i], "order_authzs", no->authz_ids);
	no->order = json_pack("{s:s,s:s,s:I,s:O,s:O,s:s}", "account", r->account_id, "status",
			      acme_status_name(derive_status(ACME_PENDING, statuses, no->nrec,
							     no->expires, time(NULL))),
			      "expires", (json_int_t)no->expires, "identifiers", no->all_ids,
			      "authorizations", no->authz_ids, "profile", no->prof->name);
	if (!no->order)
		return -1;
	if (no->replaces)
		json_object_set(no->order, "replaces", no->replaces);
	no->recs[no->nrec] = json_incref(no->order);
	no->kinds[no->nrec] = "order";
	no->idp[no->nrec] = no->oid;
	no->nrec++;
	return 0;
}

/*
 * The commit step: the authorizations, the order and the account's orders
 * list (RFC 8555 7.1.2.1) in one transaction, all or nothing.
 */
static int new_order_commit(acme_req_t *r, new_order_t *no, ar_err_t *err)
{
	ar_store_batch_t *b = ar_store_batch_new(r->st);
	char key[96];

	snprintf(key, sizeof(key), "acctorders:%s", r->account_id);
	if (ca_records_queue(b, no->kinds, no->idp, no->recs, no->nrec, err) < 0) {
		ar_store_batch_free(b);
		return -1;
	}
	ar_store_batch_list_push(b, key, no->oid, ACCOUNT_ORDERS_MAX);
	return ar_store_batch_exec(b, err);
}

void order_new(acme_req_t *r, ar_http_resp_t *resp)
{
	new_order_t *no = calloc(1, sizeof(*no));
	char url[CA_URL_MAX];
	ar_err_t err = { 0 };
	size_t i;

	if (!no) {
		acme_problem(r->ca, resp, 500, "serverInternal", "out of memory");
		return;
	}
	no->prof = ca_account_profile(r->ca, r->account);
	no->real = json_array();
	no->subs = json_array();
	no->expires = time(NULL) + r->ca->conf.order_lifetime / 1000;
	if (!no->real || !no->subs || new_order_validate(r, no, resp) < 0)
		goto out;
	/* The profile decides what is attested; offered hints it lacks are challenged too. */
	no->hints |= no->prof->hints;
	if (ca_new_id(no->oid, sizeof(no->oid)) < 0)
		goto fail;
	if (no->replaces && claim_replacement(r, no->replaces, no->oid,
					      r->ca->conf.order_lifetime, resp) < 0)
		goto out;
	if (new_order_build(r, no) < 0 || new_order_commit(r, no, &err) < 0)
		goto fail;
	ar_info("event=order.created order=%s account=%s profile=%s identifiers=%zu attested=%s",
		no->oid, r->account_id, no->prof->name, json_array_size(no->all_ids),
		no->hints ? "yes" : "no");
	ca_url(r->ca, "order", no->oid, url, sizeof(url));
	ar_http_resp_header(resp, "Location", url);
	acme_json(r->ca, resp, 201, order_view(r->ca, no->oid, no->order));
	goto out;
fail:
	if (err.code)
		acme_problem_from(r->ca, resp, &err);
	else
		acme_problem(r->ca, resp, 500, "serverInternal", "cannot create the order");
out:
	for (i = 0; i < ORDER_RECS_MAX; i++)
		json_decref(no->recs[i]);
	json_decref(no->replaces);
	json_decref(no->order);
	json_decref(no->all_ids);
	json_decref(no->authz_ids);
	json_decref(no->real);
	json_decref(no->subs);
	free(no);
}

void order_post(acme_req_t *r, const char *path, ar_http_resp_t *resp)
{
	size_t n = strcspn(path, "/");
	ar_err_t err = { 0 };
	char id[48], *stored = NULL;
	json_t *order;

	if (n == 0 || n >= sizeof(id) || (path[n] && strcmp(path + n, "/finalize"))) {
		acme_problem(r->ca, resp, 404, "malformed", "no such order resource");
		return;
	}
	memcpy(id, path, n);
	id[n] = '\0';
	if (!path[n] && r->jws.payload) {
		acme_problem(r->ca, resp, 400, "malformed", "orders are read with POST-as-GET");
		return;
	}
	order = ca_record_own_text(r, "order", id, path[n] ? &stored : NULL, resp);
	if (!order)
		return;
	if (path[n])
		order_finalize(r, id, order, stored, resp);
	else if (order_refresh(r, order, &err) < 0)
		acme_problem_from(r->ca, resp, &err);
	else
		acme_json(r->ca, resp, 200, order_view(r->ca, id, order));
	free(stored);
	json_decref(order);
}

json_t *authz_view(const ca_t *ca, const char *id, const json_t *authz)
{
	const json_t *chs = json_object_get(authz, "challenges");
	const ca_profile_t *prof = ca_profile_find(ca, json_string_value(json_object_get(authz,
											  "profile")));
	int64_t expires = json_integer_value(json_object_get(authz, "expires"));
	json_t *view, *list = json_array();
	char url[CA_URL_MAX], exp[32];
	acme_status_t status;
	size_t i;

	if (acme_status_of(authz, &status) < 0)
		status = ACME_INVALID;	/* records are checked when read: not reached */
	/* RFC 8555 7.1.6: pending or valid, past its expiry, is expired. */
	if ((status == ACME_PENDING || status == ACME_VALID) && time(NULL) > expires)
		status = ACME_EXPIRED;
	for (i = 0; i < json_array_size(chs); i++) {
		json_t *c = json_deep_copy(json_array_get(chs, i));

		snprintf(url, sizeof(url), "%s" ACME_PATH "chall/%s/%zu", ca->conf.base_url, id, i);
		json_object_set_new(c, "url", json_string(url));
		if (prof && prof->verifier_url &&
		    !strcmp(json_string_value(json_object_get(c, "type")), "remote-attest-01")) {
			snprintf(url, sizeof(url), "%s/challenge-response/v1/encryption-key",
				 prof->verifier_url);
			json_object_set_new(c, "verifierEncryptionCredential", json_string(url));
		}
		json_array_append_new(list, c);
	}
	ca_rfc3339(expires, exp, sizeof(exp));
	view = json_pack("{s:O,s:s,s:s,s:o}", "identifier", json_object_get(authz, "identifier"),
			 "status", acme_status_name(status), "expires", exp, "challenges", list);
	return view;
}

/* Rounds of a deactivation that lost to a concurrent change. */
#define DEACTIVATE_ROUNDS	4

/* The order of @authz and its authorizations (NULL for an older record), and its text. */
static int authz_order(acme_req_t *r, const json_t *authz, json_t **order, json_t **authzs,
		       char **otext, ar_err_t *err)
{
	const char *oid = json_string_value(json_object_get(authz, "order"));
	const json_t *ids = json_object_get(authz, "order_authzs");

	*order = *authzs = NULL;
	*otext = NULL;
	if (ids)
		return order_load_with_authzs(r, oid, ids, order, authzs, otext, err);
	if (ca_record_get_text(r->st, "order", oid, order, otext, err) != 1)
		return err->code ? -1 : ar_err_set(err, AR_ERR_IO, "authorization without order");
	return 0;
}

/*
 * An order whose certificate is being issued (processing) loses authorization
 * @id: it becomes invalid, with the reason as its error (RFC 8555 7.1.3,
 * 7.1.6). The finalize at work issues nothing: its commit is conditional on
 * every authorization as it read it. A valid order stays valid: its
 * certificate was issued before the deactivation, which does not revoke it.
 */
static void withdraw_processing(acme_req_t *r, json_t *order, const char *id)
{
	char url[CA_URL_MAX], detail[CA_URL_MAX + 96];
	acme_status_t st;

	if (acme_status_of(order, &st) < 0 || st != ACME_PROCESSING)
		return;
	ca_url(r->ca, "authz", id, url, sizeof(url));
	snprintf(detail, sizeof(detail), "authorization %s was deactivated before the "
		 "certificate was issued", url);
	json_object_set_new(order, "status", json_string("invalid"));
	json_object_del(order, "processing_since");
	json_object_set_new(order, "error", json_pack("{s:s+,s:s,s:i}", "type", ACME_ERR,
						      "unauthorized", "detail", detail, "status",
						      403));
}

/*
 * RFC 8555 7.5.2: pending or valid -> deactivated, for good. The
 * authorization and its order (its status derived anew: invalid; invalid
 * too while its certificate is being issued, withdraw_processing()) are
 * written in one atomic step while both are as read; one changed meanwhile
 * (a validation finishing, a finalize moving the order) is read again.
 * *@authz becomes the record as written. 0, or -1 after answering the
 * problem.
 */
static int deactivate(acme_req_t *r, const char *id, json_t **authz, char **text,
		      ar_http_resp_t *resp)
{
	const char *kinds[2] = { "authz", "order" };
	ar_err_t err = { 0 };
	int round;

	for (round = 0; round < DEACTIVATE_ROUNDS; round++) {
		json_t *order = NULL, *authzs = NULL, *a = NULL;
		acme_status_t cur = ACME_INVALID;
		char *otext = NULL;
		int rc = -1;

		if (acme_status_of(*authz, &cur) < 0 || (cur != ACME_PENDING && cur != ACME_VALID)) {
			acme_problem(r->ca, resp, 403, "unauthorized", "a %s authorization cannot be "
				     "deactivated", acme_status_name(cur));
			return -1;
		}
		/* past its expiry it is expired, whatever the record still says */
		if (time(NULL) > json_integer_value(json_object_get(*authz, "expires"))) {
			acme_problem(r->ca, resp, 403, "unauthorized", "an expired authorization "
				     "cannot be deactivated");
			return -1;
		}
		a = json_deep_copy(*authz);
		if (a && authz_order(r, a, &order, &authzs, &otext, &err) == 0) {
			const char *ids[2] = { id, json_string_value(json_object_get(a, "order")) };
			const char *texts[2] = { *text, otext };
			json_t *recs[2] = { a, order };

			json_object_set_new(a, "status", json_string("deactivated"));
			if (authzs)
				order_derive(order, authzs, id, a);
			rc = (!authzs && order_refresh_with(r, order, id, a, &err) < 0) ? -1 : 0;
			if (rc == 0) {
				withdraw_processing(r, order, id);
				rc = ca_records_put_if(r->st, kinds, ids, texts, 2, kinds, ids, recs,
						       2, NULL, &err);
			}
		} else if (!a) {
			ar_err_set(&err, AR_ERR_NOMEM, "out of memory");
		}
		json_decref(order);
		json_decref(authzs);
		free(otext);
		if (rc == 1) {
			json_decref(*authz);
			*authz = a;
			ar_info("event=authz.deactivated account=%s authz=%s", r->account_id, id);
			return 0;
		}
		json_decref(a);
		if (rc < 0)
			break;
		/* Changed meanwhile: read the authorization again. */
		json_decref(*authz);
		*authz = NULL;
		free(*text);
		*text = NULL;
		if (ca_record_get_text(r->st, "authz", id, authz, text, &err) != 1) {
			if (!err.code)
				ar_err_set(&err, AR_ERR_IO, "authorization %s vanished", id);
			break;
		}
	}
	if (err.code) {
		acme_problem_from(r->ca, resp, &err);
	} else {
		ar_http_resp_header(resp, "Retry-After", "1");
		acme_problem(r->ca, resp, 503, "serverInternal", "the authorization kept changing; "
			     "retry");
	}
	return -1;
}

void authz_post(acme_req_t *r, const char *id, ar_http_resp_t *resp)
{
	const json_t *p = r->jws.payload;
	const char *want = p ? json_string_value(json_object_get(p, "status")) : NULL;
	json_t *authz;
	char *text = NULL;

	if (p && (!want || strcmp(want, "deactivated") || json_object_size(p) != 1)) {
		acme_problem(r->ca, resp, 400, "malformed", "an authorization is read with POST-as-GET "
			     "or deactivated with {\"status\": \"deactivated\"}");
		return;
	}
	authz = ca_record_own_text(r, "authz", id, want ? &text : NULL, resp);
	if (!authz)
		return;
	if (!want || deactivate(r, id, &authz, &text, resp) == 0)
		acme_json(r->ca, resp, 200, authz_view(r->ca, id, authz));
	free(text);
	json_decref(authz);
}
