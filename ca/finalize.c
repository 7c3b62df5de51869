/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Finalization and certificates (RFC 8555 7.4, 7.4.2).
 *
 * A ready order is finalized with a CSR that must name exactly the order's
 * identifiers and whose key must be the one the attestation bound (cnf.jkt):
 * a device cannot win the challenge with one key and certify another. Nor
 * may it certify its ACME account key, which signs requests, not TLS
 * handshakes. The certificate lives as long as the profile says, carries
 * RFC 9608 noRevAvail and the attestation extension, and is recorded
 * (certificate and posture) for the RADIUS servers that will see it.
 *
 * Issuance is one Redis transaction guarded by the device's SOC verdict
 * (ar_store_batch_guard_verdict()): while the SOC holds the device at
 * warning or contraindicated nothing is issued, whatever the challenges
 * said when they were won, and a verdict set while the transaction is
 * under way aborts it. The CA reads the verdict, never writes it: the
 * posture record it writes is what this order's attestation said, a
 * separate record the SOC's verdict stands over.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/pem.h>

#include "b64.h"
#include "ca.h"
#include "log.h"
#include "x509.h"

/* The order's certificate identifiers (remote-attestation adds none). */
static size_t order_identifiers(const json_t *order, ar_identifier_t *ids, size_t max)
{
	const json_t *list = json_object_get(order, "identifiers");
	size_t i, n = 0;

	for (i = 0; i < json_array_size(list) && n < max; i++) {
		const json_t *id = json_array_get(list, i);
		const char *type = json_string_value(json_object_get(id, "type"));

		if (!strcmp(type, AR_ID_ATTESTATION))
			continue;
		snprintf(ids[n].type, sizeof(ids[n].type), "%s", type);
		snprintf(ids[n].value, sizeof(ids[n].value), "%s",
			 json_string_value(json_object_get(id, "value")));
		n++;
	}
	return n;
}

/*
 * The device a certificate is filed under (its records, the SOC verdict
 * that guards it): the order's permanent-identifier, else its first name.
 */
static const ar_identifier_t *order_device(const ar_identifier_t *ids, size_t nids)
{
	size_t i;

	for (i = 0; i < nids; i++)
		if (!strcmp(ids[i].type, AR_ID_PERMANENT))
			return &ids[i];
	return &ids[0];
}

/* The attestation extension from what the order's challenges recorded. */
static int attestation_ext(const ca_t *ca, const char *order_id, const json_t *order,
			   const ar_identifier_t *ids, size_t nids, ar_certext_t *ext)
{
	const json_t *att = json_object_get(order, "attestation"), *tv;
	size_t i;

	if (!att)
		return 0;
	memset(ext, 0, sizeof(*ext));
	ca_url(ca, "order", order_id, ext->order_url, sizeof(ext->order_url));
	snprintf(ext->verifier, sizeof(ext->verifier), "%s",
		 json_string_value(json_object_get(att, "verifier")));
	if (ar_status_parse(json_string_value(json_object_get(att, "status")), &ext->status) < 0)
		return -1;
	tv = json_object_get(att, "tv");
	for (i = 0; i < AR_TV_COUNT; i++)
		ext->tv.v[i] = (int8_t)json_integer_value(json_array_get(tv, i));
	ext->ear_iat = json_integer_value(json_object_get(att, "iat"));
	snprintf(ext->profile, sizeof(ext->profile), "%s",
		 json_string_value(json_object_get(order, "profile")));
	for (i = 0; i < nids; i++)
		if (!strcmp(ids[i].type, AR_ID_PERMANENT) && strlen(ids[i].value) < sizeof(ext->device_id)) {
			memcpy(ext->device_id, ids[i].value, strlen(ids[i].value) + 1);
			break;
		}
	return 1;
}

/* Certificate and posture records, for the module and the NOC, queued on @p b. */
static int queue_certificate(acme_req_t *r, ar_store_batch_t *b, X509 *cert, const char *order_id,
			     const json_t *order, const ar_identifier_t *device, ar_err_t *err)
{
	const json_t *att = json_object_get(order, "attestation");
	ar_store_posture_t posture;
	ar_store_cert_t rec;
	const ASN1_TIME *na = X509_get0_notAfter(cert);
	struct tm tm;

	memset(&rec, 0, sizeof(rec));
	if (strlen(device->value) >= sizeof(rec.device))
		return ar_err_set(err, AR_ERR_MALFORMED, "device identifier too long for the store");
	memcpy(rec.device, device->value, strlen(device->value) + 1);
	if (ar_cert_ids(cert, rec.aki, sizeof(rec.aki), rec.serial, sizeof(rec.serial), err) < 0 ||
	    ASN1_TIME_to_tm(na, &tm) != 1)
		return -1;
	rec.not_after = (int64_t)timegm(&tm);
	ca_url(r->ca, "order", order_id, rec.order, sizeof(rec.order));
	rec.status = AR_CERT_VALID;
	ar_store_batch_cert(b, &rec);
	if (!att)
		return 0;
	memset(&posture, 0, sizeof(posture));
	if (ar_status_parse(json_string_value(json_object_get(att, "status")), &posture.status) < 0)
		return ar_err_set(err, AR_ERR_MALFORMED, "order attestation record corrupt");
	{
		ar_tvec_t tv;
		size_t i;

		for (i = 0; i < AR_TV_COUNT; i++)
			tv.v[i] = (int8_t)json_integer_value(json_array_get(json_object_get(att, "tv"), i));
		ar_tvec_format(&tv, posture.tv, sizeof(posture.tv));
	}
	posture.ear_iat = json_integer_value(json_object_get(att, "iat"));
	snprintf(posture.verifier, sizeof(posture.verifier), "%s",
		 json_string_value(json_object_get(att, "verifier")));
	snprintf(posture.profile, sizeof(posture.profile), "%s",
		 json_string_value(json_object_get(order, "profile")));
	snprintf(posture.reason, sizeof(posture.reason), "certificate issued for order %s", order_id);
	ar_store_batch_posture(b, device->value, &posture);
	return 0;
}

/*
 * RFC 9773 7: the order replaced an earlier certificate. The first order to
 * be finalized claims it (alreadyReplaced for any other); the old
 * certificate is then superseded, which the RADIUS servers see at once.
 * 1 claimed (now or by this same order before), 0 replaced by another
 * order, -1 error.
 */
static int claim_replaced(acme_req_t *r, const char *order_id, const json_t *order, ar_err_t *err)
{
	const json_t *rep = json_object_get(order, "replaces");
	char key[300], *owner = NULL;
	int rc;

	if (!rep)
		return 1;
	snprintf(key, sizeof(key), "replaced:%s:%s", json_string_value(json_object_get(rep, "aki")),
		 json_string_value(json_object_get(rep, "serial")));
	rc = ar_store_set_once(r->st, key, order_id, 0, err);
	if (rc == 0 && ar_store_get(r->st, key, &owner, NULL, err) == 1)
		rc = !strcmp(owner, order_id);	/* this order, finalized again after a failure */
	free(owner);
	return rc;
}

static void queue_supersede(ar_store_batch_t *b, const json_t *order)
{
	const json_t *rep = json_object_get(order, "replaces");

	if (!rep)
		return;
	ar_store_batch_cert_mark(b, json_string_value(json_object_get(rep, "device")),
				 json_string_value(json_object_get(rep, "aki")),
				 json_string_value(json_object_get(rep, "serial")), AR_CERT_SUPERSEDED,
				 -1);
}

/*
 * A finalize that crashed mid-way leaves its order "processing"; after this
 * long another finalize may take it over (signing and the transaction take
 * milliseconds).
 */
#define FINALIZE_STALE_S	300

/*
 * The issuance, begun: the order moved ready -> processing (@stored ->
 * @processing, compare-and-set) in the round trip that reads the SOC's
 * verdict on @device and WATCHes it. A finalize that loses the move gets
 * AR_ERR_CONFLICT; the batch is returned to be filled after signing.
 */
static ar_store_batch_t *begin_issuance(acme_req_t *r, const char *order_id, const char *stored,
					const char *processing, const ar_identifier_t *device,
					ar_err_t *err)
{
	ar_store_batch_t *b = ar_store_batch_new(r->st);
	char key[96];

	if (!b) {
		ar_err_set(err, AR_ERR_NOMEM, "out of memory");
		return NULL;
	}
	snprintf(key, sizeof(key), "order:%s", order_id);
	ar_store_batch_guard_verdict(b, device->value);	/* a failure here fails begin */
	ar_store_batch_claim(b, key, stored, processing, strlen(processing));
	if (ar_store_batch_begin(b, err) < 0) {
		ar_store_batch_free(b);
		return NULL;
	}
	return b;
}

/* Give a processing order back (ready) after a failed issuance. */
static void release_order(acme_req_t *r, const char *order_id, const char *stored,
			  const char *processing)
{
	ar_err_t err = { 0 };
	char key[96];

	snprintf(key, sizeof(key), "order:%s", order_id);
	if (ar_store_set_if(r->st, key, processing, stored, strlen(stored), &err) != 1)
		ar_error("event=order.release_failed order=%s error=\"%s\"", order_id,
			 err.msg[0] ? err.msg : "the order changed");
}

/*
 * The issuance transaction on begun batch @b: the certificate and posture
 * records, the old certificate superseded, the chain, its renewal record
 * and the valid order (@kinds/@ids/@recs), on condition that the SOC's
 * verdict on the device, read when @b was begun, did not change since.
 */
static int commit_issuance(acme_req_t *r, ar_store_batch_t *b, X509 *cert, const char *order_id,
			   const json_t *order, const ar_identifier_t *device,
			   const char *const *kinds, const char *const *ids, json_t *const *recs,
			   size_t n, ar_err_t *err)
{
	if (queue_certificate(r, b, cert, order_id, order, device, err) < 0 ||
	    ca_records_queue(b, kinds, ids, recs, n, err) < 0) {
		ar_store_batch_free(b);
		return -1;
	}
	queue_supersede(b, order);
	return ar_store_batch_exec(b, err);
}

/* Answer a failed issuance transaction. */
static void refuse_issuance(acme_req_t *r, const char *order_id, const char *device,
			    const ar_err_t *err, ar_http_resp_t *resp)
{
	switch (err->code) {
	case AR_ERR_UNAUTHORIZED:	/* the SOC holds the device */
		ar_warn("event=issue.refused order=%s account=%s device=%s reason=\"%s\"", order_id,
			r->account_id, device, err->msg);
		acme_problem(r->ca, resp, 403, "unauthorized", "%s; no certificate is issued until "
			     "the SOC clears it", err->msg);
		break;
	case AR_ERR_CONFLICT:		/* the verdict changed twice while we issued */
		ar_warn("event=issue.conflict order=%s device=%s", order_id, device);
		ar_http_resp_header(resp, "Retry-After", "1");
		acme_problem(r->ca, resp, 503, "serverInternal", "the SOC's verdict on %s changed "
			     "during issuance; nothing was issued, retry", device);
		break;
	default:
		acme_problem_from(r->ca, resp, err);
	}
}

/* 1 when the CSR's key is the account's own key. */
static int csr_key_is_account_key(const acme_req_t *r, const ar_csr_info_t *info)
{
	ar_jwk_t *key = ar_jwk_parse(json_object_get(r->account, "key"), AR_JWK_PUBLIC_ONLY, NULL);
	int same = key && !strcmp(ar_jwk_thumbprint(key), info->jkt);

	ar_jwk_free(key);
	return same;
}

static char *pem_chain(const ca_t *ca, X509 *cert)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *out = NULL;
	long len;

	if (bio && PEM_write_bio_X509(bio, cert) == 1 &&
	    BIO_write(bio, ca->issuer_pem, (int)strlen(ca->issuer_pem)) > 0) {
		len = BIO_get_mem_data(bio, &data);
		out = malloc((size_t)len + 1);
		if (out) {
			memcpy(out, data, (size_t)len);
			out[len] = '\0';
		}
	}
	BIO_free(bio);
	return out;
}

static ar_csr_t *read_csr(acme_req_t *r, ar_csr_info_t *info, ar_http_resp_t *resp)
{
	const char *b64 = json_string_value(json_object_get(r->jws.payload, "csr"));
	ar_err_t err = { 0 };
	ar_csr_t *req;
	uint8_t *der;
	size_t len;

	if (!b64) {
		acme_problem(r->ca, resp, 400, "malformed", "finalize needs {\"csr\": base64url DER}");
		return NULL;
	}
	if (strlen(b64) > ar_b64url_enc_len(AR_CSR_MAX_DER)) {
		acme_problem(r->ca, resp, 400, "badCSR", "CSR larger than %d bytes", AR_CSR_MAX_DER);
		return NULL;
	}
	der = ar_b64url_decode_alloc(b64, strlen(b64), &len, &err);
	req = der ? ar_csr_parse_der(der, len, &err) : NULL;
	free(der);
	if (!req || ar_csr_check(req, info, &err) < 0) {
		acme_problem(r->ca, resp, 400, "badCSR", "%s", err.msg);
		ar_csr_free(req);
		return NULL;
	}
	return req;
}

/*
 * 1 when the order may be finalized now: ready, or processing by a
 * finalize that stopped more than FINALIZE_STALE_S ago. Else answers
 * orderNotReady (RFC 8555 7.4) and returns 0.
 */
static int finalizable(acme_req_t *r, const json_t *order, ar_http_resp_t *resp)
{
	const char *status = json_string_value(json_object_get(order, "status"));
	json_int_t since = json_integer_value(json_object_get(order, "processing_since"));

	if (status && !strcmp(status, "ready"))
		return 1;
	if (status && !strcmp(status, "processing") && since > 0 &&
	    (json_int_t)time(NULL) - since > FINALIZE_STALE_S)
		return 1;
	if (status && !strcmp(status, "processing"))
		acme_problem(r->ca, resp, 403, "orderNotReady", "the order is processing: its "
			     "certificate is being issued by an earlier finalize request");
	else
		acme_problem(r->ca, resp, 403, "orderNotReady", "the order is %s, not ready",
			     status ? status : "corrupt");
	return 0;
}

/*
 * The validate step: the CSR names exactly the order's identifiers, with a
 * key of its own (not the account's) that is the key the attestation bound.
 * The CSR, or NULL after answering the problem.
 */
static ar_csr_t *finalize_csr(acme_req_t *r, const json_t *order, const ca_profile_t *prof,
			      ar_identifier_t *ids, size_t *nids, ar_csr_info_t *info,
			      ar_http_resp_t *resp)
{
	const char *jkt = json_string_value(json_object_get(order, "jkt"));
	ar_csr_t *req = read_csr(r, info, resp);
	char why[256];

	if (!req)
		return NULL;
	*nids = order_identifiers(order, ids, AR_CSR_MAX_IDS);
	if (*nids == 0) {
		acme_problem(r->ca, resp, 500, "serverInternal", "order record corrupt");
		goto refuse;
	}
	if (!ar_csr_identifiers_match(info, ids, *nids, why, sizeof(why))) {
		acme_problem(r->ca, resp, 400, "badCSR", "%s", why);
		goto refuse;
	}
	if (csr_key_is_account_key(r, info)) {
		acme_problem(r->ca, resp, 400, "badCSR", "the CSR key is this account's ACME key; "
			     "certify a key of its own");
		goto refuse;
	}
	if ((prof->hints && !jkt) || (jkt && strcmp(jkt, info->jkt))) {
		acme_problem(r->ca, resp, 400, "badCSR", "the CSR key is not the key the attestation "
			     "bound (cnf.jkt)");
		goto refuse;
	}
	return req;
refuse:
	ar_csr_free(req);
	return NULL;
}

/* The order as it is stored while its certificate is issued (malloc'd), or NULL. */
static char *processing_text(const json_t *order)
{
	json_t *p = json_deep_copy(order);
	char *text = NULL;

	if (p && json_object_set_new(p, "status", json_string("processing")) == 0 &&
	    json_object_set_new(p, "processing_since", json_integer((json_int_t)time(NULL))) == 0)
		text = json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(p);
	return text;
}

void order_finalize(acme_req_t *r, const char *id, json_t *order, const char *stored,
		    ar_http_resp_t *resp)
{
	const ca_profile_t *prof = ca_profile_find(r->ca, json_string_value(json_object_get(order,
										  "profile")));
	ar_identifier_t ids[AR_CSR_MAX_IDS];
	const ar_identifier_t *device;
	ar_issue_params_t params;
	ar_certext_t ext;
	ar_csr_info_t info;
	ar_err_t err = { 0 };
	ar_csr_t *req = NULL;
	ar_store_batch_t *b = NULL;
	X509 *cert = NULL;
	char cid[32], *chain = NULL, *processing = NULL, serial[AR_CERT_HEX_MAX];
	char aki[AR_CERT_HEX_MAX], life_id[2 * AR_CERT_HEX_MAX + 2];
	json_t *rec = NULL, *life = NULL;
	const json_t *rep;
	size_t nids;
	int has_ext, held = 0;

	if (order_refresh(r, order, &err) < 0) {
		acme_problem_from(r->ca, resp, &err);
		return;
	}
	if (!finalizable(r, order, resp))
		return;
	if (!prof || !r->ca->issuer || !stored) {
		acme_problem(r->ca, resp, 500, "serverInternal", "no issuing certificate configured");
		return;
	}
	req = finalize_csr(r, order, prof, ids, &nids, &info, resp);
	if (!req)
		return;
	device = order_device(ids, nids);
	switch (claim_replaced(r, id, order, &err)) {
	case 0:
		acme_problem(r->ca, resp, 409, "alreadyReplaced", "another order already replaced "
			     "the certificate this order names in \"replaces\"");
		goto out;
	case -1:
		acme_problem_from(r->ca, resp, &err);
		goto out;
	}
	has_ext = attestation_ext(r->ca, id, order, ids, nids, &ext);
	if (has_ext < 0) {
		acme_problem(r->ca, resp, 500, "serverInternal", "order attestation record corrupt");
		goto out;
	}

	/*
	 * The commit step, begun: ready -> processing, won by one finalize
	 * only, in the round trip that reads the SOC's verdict; the others
	 * get orderNotReady. Nothing is signed before.
	 */
	processing = processing_text(order);
	b = processing ? begin_issuance(r, id, stored, processing, device, &err) : NULL;
	if (!b) {
		if (!processing)
			acme_problem(r->ca, resp, 500, "serverInternal", "out of memory");
		else if (err.code == AR_ERR_CONFLICT)
			acme_problem(r->ca, resp, 403, "orderNotReady", "the order is processing: "
				     "its certificate is being issued by another finalize request");
		else
			refuse_issuance(r, id, device->value, &err, resp);
		goto out;
	}
	held = 1;

	memset(&params, 0, sizeof(params));
	params.issuer_key = r->ca->issuer_key;
	params.issuer_cert = r->ca->issuer;
	params.not_before = time(NULL);
	params.lifetime_s = (prof->lifetime < prof->max_lifetime ? prof->lifetime
								  : prof->max_lifetime) / 1000;
	params.backdate_s = ca_backdate(params.lifetime_s);
	params.server_auth = prof->server_auth;
	params.attestation = has_ext ? &ext : NULL;
	cert = ar_issue_cert(req, &info, &params, &err);
	chain = cert ? pem_chain(r->ca, cert) : NULL;
	if (!chain || ca_new_id(cid, sizeof(cid)) < 0) {
		ar_error("event=issue.failed order=%s error=\"%s\"", id, err.msg);
		acme_problem(r->ca, resp, 500, "serverInternal", "certificate issuance failed");
		goto out;
	}
	rec = json_pack("{s:s,s:s,s:s,s:I}", "account", r->account_id, "order", id, "chain", chain,
			"not_after", (json_int_t)(params.not_before - params.backdate_s +
						  params.lifetime_s));
	ar_cert_ids(cert, aki, sizeof(aki), serial, sizeof(serial), NULL);
	snprintf(life_id, sizeof(life_id), "%s:%s", aki, serial);
	life = ari_life_record(params.not_before - params.backdate_s,
			       params.not_before - params.backdate_s + params.lifetime_s);
	/*
	 * One transaction: the certificate and posture records, the old
	 * certificate superseded, the chain, its renewal record and the valid
	 * order - the device is admitted and the order done, or neither - run
	 * only if the SOC's verdict read with the move to processing still
	 * stands; a verdict changed meanwhile aborts the transaction, which is
	 * begun once more (the order stays this request's) and tried again.
	 */
	json_object_set_new(order, "status", json_string("valid"));
	json_object_set_new(order, "certificate", json_string(cid));
	json_object_del(order, "processing_since");
	{
		const char *kinds[3] = { "cert", "certlife", "order" }, *rids[3] = { cid, life_id, id };
		json_t *recs[3] = { rec, life, order };
		int attempt, rc = -1;

		if (!rec || !life)
			ar_err_set(&err, AR_ERR_NOMEM, "out of memory");
		for (attempt = 0; rec && life && attempt < 2; attempt++) {
			memset(&err, 0, sizeof(err));
			if (attempt > 0)
				b = begin_issuance(r, id, processing, processing, device, &err);
			rc = b ? commit_issuance(r, b, cert, id, order, device, kinds, rids, recs, 3,
						 &err) : -1;
			b = NULL;
			if (rc == 0 || err.code != AR_ERR_CONFLICT)
				break;
		}
		if (rc < 0) {
			refuse_issuance(r, id, device->value, &err, resp);
			goto out;
		}
		held = 0;
	}
	if ((rep = json_object_get(order, "replaces")))
		ar_info("event=certificate.superseded device=%s serial=%s",
			json_string_value(json_object_get(rep, "device")),
			json_string_value(json_object_get(rep, "serial")));
	ar_info("event=certificate.issued order=%s account=%s device=%s serial=%s lifetime_s=%lld "
		"attested=%s profile=%s", id, r->account_id, device->value, serial,
		(long long)params.lifetime_s, has_ext ? ar_status_name(ext.status) : "no", prof->name);
	acme_json(r->ca, resp, 200, order_view(r->ca, id, order));
out:
	ar_store_batch_free(b);
	if (held)
		release_order(r, id, stored, processing);
	free(processing);
	json_decref(life);
	json_decref(rec);
	free(chain);
	X509_free(cert);
	ar_csr_free(req);
}

void cert_post(acme_req_t *r, const char *id, ar_http_resp_t *resp)
{
	const char *chain;
	json_t *rec;

	if (r->jws.payload) {
		acme_problem(r->ca, resp, 400, "malformed", "certificates are read with POST-as-GET");
		return;
	}
	rec = ca_record_own(r, "cert", id, resp);
	if (!rec)
		return;
	chain = json_string_value(json_object_get(rec, "chain"));
	ar_http_resp_text(resp, 200, "application/pem-certificate-chain", chain, strlen(chain));
	acme_headers(r->ca, resp);
	json_decref(rec);
}
