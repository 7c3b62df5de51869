/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * revokeCert (RFC 8555 7.6). Certificates here are short-lived and carry
 * noRevAvail, so there is no CRL or OCSP: revocation marks the certificate
 * record revoked, which the RADIUS module refuses at the next
 * authentication, and announces it on the event stream, where the NOC's
 * event worker disconnects the device's live sessions.
 *
 * Who may revoke (RFC 8555 7.6): the account that ordered the certificate
 * (kid), another account holding valid authorizations for every identifier
 * in it (kid), or anyone holding the certificate's key (jwk = the
 * certificate's public key).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "b64.h"
#include "ca.h"
#include "jwk.h"
#include "log.h"
#include "x509.h"

#define CERT_MAX_DER	16384

/* Orders of the requesting account searched for authorizations (the newest). */
#define REVOKE_ORDERS_SCAN	230

/* The certificate's order, read from the order URL its record holds. */
static int certificate_order(acme_req_t *r, const char *order_url, json_t **order, ar_err_t *err)
{
	char prefix[CA_URL_MAX];
	size_t n;

	*order = NULL;
	ca_url(r->ca, "order", "", prefix, sizeof(prefix));
	n = strlen(prefix);
	if (strncmp(order_url, prefix, n))
		return 0;
	return ca_record_get(r->st, "order", order_url + n, order, err);
}

/* Authorization @a of the requester: valid, unexpired, for dns name @name. */
static int authorizes(const json_t *a, const char *name, int64_t now)
{
	const json_t *id = json_object_get(a, "identifier");
	const char *type = json_string_value(json_object_get(id, "type"));
	const char *value = json_string_value(json_object_get(id, "value"));
	acme_status_t st;

	return a && type && value && !strcmp(type, "dns") && !strcmp(value, name) &&
	       acme_status_of(a, &st) == 0 && st == ACME_VALID &&
	       json_integer_value(json_object_get(a, "expires")) >= now;
}

/* Mark in @found the dns names of @names that order @o's authorizations cover. */
static int cover_names(acme_req_t *r, const json_t *o, const char *const *names, size_t n,
		       int *found, ar_err_t *err)
{
	const json_t *ids = json_object_get(o, "authorizations");
	const char *idv[AR_STORE_BATCH_MAX];
	json_t *authzs[AR_STORE_BATCH_MAX];
	size_t i, j, m = json_array_size(ids) < AR_STORE_BATCH_MAX ? json_array_size(ids)
								     : AR_STORE_BATCH_MAX;
	int64_t now = time(NULL);

	for (i = 0; i < m; i++)
		idv[i] = json_string_value(json_array_get(ids, i));
	if (ca_records_get_some(r->st, "authz", idv, m, authzs, err) < 0)
		return -1;
	for (i = 0; i < m; i++) {
		for (j = 0; j < n; j++)
			if (!found[j] && authorizes(authzs[i], names[j], now))
				found[j] = 1;
		json_decref(authzs[i]);
	}
	return 0;
}

/*
 * RFC 8555 7.6: another account may revoke a certificate when it holds
 * valid authorizations for every identifier in it. dns names: a valid,
 * unexpired authorization among the requester's newest orders. Device
 * identifiers (permanent-identifier): the requester's EAB inventory entry
 * pre-authorizes the device - which an enrolment allows for one account
 * only (docs/ca.md, "Revocation"). 1 authorized, 0 not, -1 error.
 */
static int holds_authorizations(acme_req_t *r, const json_t *order, ar_err_t *err)
{
	const char *names[AR_CSR_MAX_IDS];
	char key[96], **oids = NULL;
	int found[AR_CSR_MAX_IDS] = { 0 }, rc = 0;
	const json_t *id;
	size_t i, n = 0, nids = 0, k;

	json_array_foreach(json_object_get(order, "identifiers"), i, id) {
		const char *type = json_string_value(json_object_get(id, "type"));
		const char *value = json_string_value(json_object_get(id, "value"));

		if (!strcmp(type, "permanent-identifier") &&
		    !ca_eab_preauthorized(r->ca, r->account, value))
			return 0;
		if (!strcmp(type, "dns")) {
			if (n == AR_CSR_MAX_IDS)
				return 0;
			names[n++] = value;
		}
	}
	if (n == 0)
		return 1;
	snprintf(key, sizeof(key), "acctorders:%s", r->account_id);
	if (ar_store_list_get(r->st, key, REVOKE_ORDERS_SCAN, &oids, &nids, err) < 0)
		return -1;
	for (k = 0; k < nids && rc == 0; k += AR_STORE_BATCH_MAX) {
		json_t *orders[AR_STORE_BATCH_MAX];
		size_t m = nids - k < AR_STORE_BATCH_MAX ? nids - k : AR_STORE_BATCH_MAX, j;

		if (ca_records_get_some(r->st, "order", (const char *const *)oids + k, m, orders,
					err) < 0) {
			rc = -1;
			break;
		}
		for (j = 0; j < m; j++) {
			if (rc == 0 && orders[j] && cover_names(r, orders[j], names, n, found, err) < 0)
				rc = -1;
			json_decref(orders[j]);
		}
		for (j = 0; rc == 0 && j < n && found[j]; j++)
			;
		if (rc == 0 && j == n)
			rc = 1;
	}
	ar_store_list_free(oids, nids);
	return rc;
}

/* The request is signed by the certificate's own key. */
static int signed_by_cert_key(const acme_req_t *r, X509 *cert)
{
	EVP_PKEY *pkey = X509_get0_pubkey(cert);
	ar_jwk_t *key;
	int same;

	if (!r->jws.jwk || !pkey)
		return 0;
	key = ar_jwk_from_pkey(pkey, NULL);
	same = key && ar_jwk_same_public(key, r->jws.jwk);
	ar_jwk_free(key);
	return same;
}

/* @cert names the issuing certificate as its issuer and carries its signature. */
static int issued_here(const ca_t *ca, X509 *cert)
{
	EVP_PKEY *key = ca->issuer ? X509_get0_pubkey(ca->issuer) : NULL;

	return key && X509_check_issued(ca->issuer, cert) == X509_V_OK &&
	       X509_verify(cert, key) == 1;
}

/*
 * The request's certificate, DER in base64url, and its optional reason (an
 * RFC 5280 CRLReason code). NULL after answering the problem.
 */
static X509 *revoke_request(acme_req_t *r, const json_t **reason, ar_http_resp_t *resp)
{
	const char *b64 = json_string_value(json_object_get(r->jws.payload, "certificate"));
	const unsigned char *p;
	ar_err_t err = { 0 };
	X509 *cert = NULL;
	uint8_t *der;
	size_t len;

	*reason = json_object_get(r->jws.payload, "reason");
	if (!b64 || strlen(b64) > ar_b64url_enc_len(CERT_MAX_DER)) {
		acme_problem(r->ca, resp, 400, "malformed", "revokeCert needs {\"certificate\": "
			     "base64url DER}");
		return NULL;
	}
	if (*reason && (!json_is_integer(*reason) || json_integer_value(*reason) < 0 ||
			json_integer_value(*reason) > 10 || json_integer_value(*reason) == 7)) {
		acme_problem(r->ca, resp, 400, "badRevocationReason", "reason must be an RFC 5280 "
			     "CRLReason code: 0 unspecified, 1 keyCompromise, 2 cACompromise, 3 "
			     "affiliationChanged, 4 superseded, 5 cessationOfOperation, 6 "
			     "certificateHold, 8 removeFromCRL, 9 privilegeWithdrawn, 10 "
			     "aACompromise");
		return NULL;
	}
	der = ar_b64url_decode_alloc(b64, strlen(b64), &len, &err);
	p = der;
	cert = der ? d2i_X509(NULL, &p, (long)len) : NULL;
	if (cert && p != der + len) {
		X509_free(cert);
		cert = NULL;
	}
	free(der);
	if (!cert)
		acme_problem(r->ca, resp, 400, "malformed", "certificate is not DER X.509");
	return cert;
}

/*
 * Whether this requester may revoke @cert, found as @rec: the ordering
 * account, an account holding valid authorizations for every identifier
 * in it, or (signed with a jwk) the certificate's own key. 1 yes, 0 no
 * (not ours, or not yours: one answer), -1 with @err.
 */
static int may_revoke(acme_req_t *r, X509 *cert, const char *aki, const char *serial,
		      ar_store_cert_t *rec, ar_err_t *err)
{
	json_t *order = NULL;
	int rc, authorized = 0;

	rc = ar_store_cert_find(r->st, aki, serial, rec, err);
	if (rc == 1 && r->jws.kid)
		rc = certificate_order(r, rec->order, &order, err);
	if (rc == 1 && r->jws.kid) {
		const char *owner = json_string_value(json_object_get(order, "account"));

		if (owner && !strcmp(owner, r->account_id))
			authorized = 1;
		else	/* another account: its authorizations */
			authorized = holds_authorizations(r, order, err);
	} else if (rc == 1) {
		authorized = signed_by_cert_key(r, cert);
	}
	json_decref(order);
	return rc < 0 || authorized < 0 ? -1 : rc == 1 && authorized;
}

/* The revocation on the event stream (the RADIUS servers act on it) and in the log. */
static void revoke_announce(acme_req_t *r, const ar_store_cert_t *rec, const char *serial,
			    const json_t *reason)
{
	ar_store_event_t ev;
	ar_err_t err = { 0 };

	memset(&ev, 0, sizeof(ev));
	snprintf(ev.type, sizeof(ev.type), "revoked");
	snprintf(ev.device, sizeof(ev.device), "%s", rec->device);
	snprintf(ev.serial, sizeof(ev.serial), "%s", serial);
	snprintf(ev.reason, sizeof(ev.reason), "revokeCert by %s, reason %lld",
		 r->jws.kid ? "account" : "certificate key",
		 reason ? (long long)json_integer_value(reason) : 0LL);
	snprintf(ev.source, sizeof(ev.source), "ca");
	if (ar_store_event_add(r->st, &ev, NULL, &err) < 0)
		ar_warn("event=revoke.event_failed serial=%s error=\"%s\"", serial, err.msg);
	ar_info("event=certificate.revoked device=%s serial=%s by=%s", rec->device, serial,
		r->jws.kid ? r->account_id : "certificate-key");
}

void revoke_post(acme_req_t *r, const char *rest, ar_http_resp_t *resp)
{
	char aki[AR_CERT_HEX_MAX], serial[AR_CERT_HEX_MAX];
	const json_t *reason;
	ar_store_cert_t rec;
	ar_err_t err = { 0 };
	X509 *cert;
	int rc;

	(void)rest;
	cert = revoke_request(r, &reason, resp);
	if (!cert)
		return;
	if (ar_cert_ids(cert, aki, sizeof(aki), serial, sizeof(serial), &err) < 0) {
		acme_problem(r->ca, resp, 400, "malformed", "certificate is not DER X.509");
		goto out;
	}
	/*
	 * Only a certificate this CA signed: the serial, issuer name and AKI
	 * of a device's certificate are public (every EAP-TLS handshake shows
	 * them), so a copy with the attacker's key would otherwise find the
	 * device's record and pass as "signed by the certificate's key".
	 */
	if (!issued_here(r->ca, cert)) {
		ar_info("event=revoke.refused reason=\"not issued by this CA\" serial=%s", serial);
		acme_problem(r->ca, resp, 403, "unauthorized", "this certificate cannot be revoked "
			     "by this requester");
		goto out;
	}
	rc = may_revoke(r, cert, aki, serial, &rec, &err);
	if (rc < 0) {
		acme_problem_from(r->ca, resp, &err);
		goto out;
	}
	/* Not ours, or not yours: the same answer, nothing to learn from probing. */
	if (rc == 0) {
		acme_problem(r->ca, resp, 403, "unauthorized", "this certificate cannot be revoked "
			     "by this requester");
		goto out;
	}
	if (rec.status == AR_CERT_REVOKED) {
		acme_problem(r->ca, resp, 400, "alreadyRevoked", "the certificate is already revoked");
		goto out;
	}
	if (ar_store_cert_mark(r->st, rec.device, aki, serial, AR_CERT_REVOKED, 1, &err) < 0) {
		acme_problem_from(r->ca, resp, &err);
		goto out;
	}
	revoke_announce(r, &rec, serial, reason);
	ar_http_resp_text(resp, 200, "", "", 0);
	acme_headers(r->ca, resp);
out:
	X509_free(cert);
}
