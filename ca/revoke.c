/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * revokeCert (RFC 8555 7.6). Certificates here are short-lived and carry
 * noRevAvail, so there is no CRL or OCSP: revocation marks the certificate
 * record revoked, which the RADIUS module refuses at the next
 * authentication, and announces it on the event stream, where the NOC's
 * event worker disconnects the device's live sessions.
 *
 * Who may revoke: the account that ordered the certificate (kid), or anyone
 * holding the certificate's key (jwk = the certificate's public key).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "b64.h"
#include "ca.h"
#include "jwk.h"
#include "log.h"
#include "x509.h"

#define CERT_MAX_DER	16384

/* The order's account, read from the order URL the certificate record holds. */
static int ordered_by(acme_req_t *r, const char *order_url, char *account, size_t size,
		      ar_err_t *err)
{
	char prefix[600];
	const char *id;
	json_t *order;
	size_t n;
	int rc;

	ca_url(r->ca, "order", "", prefix, sizeof(prefix));
	n = strlen(prefix);
	if (strncmp(order_url, prefix, n))
		return 0;
	id = order_url + n;
	rc = ca_record_get(r->st, "order", id, &order, err);
	if (rc == 1) {
		snprintf(account, size, "%s", json_string_value(json_object_get(order, "account")));
		json_decref(order);
	}
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

void revoke_post(acme_req_t *r, const char *rest, ar_http_resp_t *resp)
{
	const char *b64 = json_string_value(json_object_get(r->jws.payload, "certificate"));
	const json_t *reason = json_object_get(r->jws.payload, "reason");
	char aki[AR_CERT_HEX_MAX], serial[AR_CERT_HEX_MAX], owner[64] = "";
	const unsigned char *p;
	ar_store_cert_t rec;
	ar_store_event_t ev;
	ar_err_t err = { 0 };
	X509 *cert = NULL;
	uint8_t *der = NULL;
	size_t len;
	int rc;

	(void)rest;
	if (!b64 || strlen(b64) > ar_b64url_enc_len(CERT_MAX_DER)) {
		acme_problem(r->ca, resp, 400, "malformed", "revokeCert needs {\"certificate\": "
			     "base64url DER}");
		return;
	}
	if (reason && (!json_is_integer(reason) || json_integer_value(reason) < 0 ||
		       json_integer_value(reason) > 10 || json_integer_value(reason) == 7)) {
		acme_problem(r->ca, resp, 400, "badRevocationReason", "reason must be an RFC 5280 "
			     "CRLReason code");
		return;
	}
	der = ar_b64url_decode_alloc(b64, strlen(b64), &len, &err);
	p = der;
	cert = der ? d2i_X509(NULL, &p, (long)len) : NULL;
	if (!cert || p != der + len || ar_cert_ids(cert, aki, sizeof(aki), serial, sizeof(serial),
						   &err) < 0) {
		acme_problem(r->ca, resp, 400, "malformed", "certificate is not DER X.509");
		goto out;
	}
	rc = ar_store_cert_find(r->st, aki, serial, &rec, &err);
	if (rc == 1 && r->jws.kid)
		rc = ordered_by(r, rec.order, owner, sizeof(owner), &err);
	if (rc < 0) {
		acme_problem_from(r->ca, resp, &err);
		goto out;
	}
	/* Not ours, or not yours: the same answer, nothing to learn from probing. */
	if (rc == 0 || (r->jws.kid ? strcmp(owner, r->account_id) != 0
				   : !signed_by_cert_key(r, cert))) {
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
	memset(&ev, 0, sizeof(ev));
	snprintf(ev.type, sizeof(ev.type), "revoked");
	snprintf(ev.device, sizeof(ev.device), "%s", rec.device);
	snprintf(ev.serial, sizeof(ev.serial), "%s", serial);
	snprintf(ev.reason, sizeof(ev.reason), "revokeCert by %s, reason %lld",
		 r->jws.kid ? "account" : "certificate key",
		 reason ? (long long)json_integer_value(reason) : 0LL);
	snprintf(ev.source, sizeof(ev.source), "ca");
	if (ar_store_event_add(r->st, &ev, NULL, &err) < 0)
		ar_warn("event=revoke.event_failed serial=%s error=\"%s\"", serial, err.msg);
	ar_info("event=certificate.revoked device=%s serial=%s by=%s", rec.device, serial,
		r->jws.kid ? r->account_id : "certificate-key");
	ar_http_resp_text(resp, 200, "", "", 0);
	acme_headers(r->ca, resp);
out:
	X509_free(cert);
	free(der);
}
