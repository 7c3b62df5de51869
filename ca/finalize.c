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
 *
 * The transaction is as conditional on the order's authorizations, each
 * as this request read it (ar_store_batch_guard_value()), and on the order
 * still being the one this request moved to processing: an authorization
 * deactivated before the commit (RFC 8555 7.5.2) aborts it and nothing is
 * issued; one deactivated after it leaves the certificate issued.
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
		ar_tvec_format_claims(&tv, posture.tv, sizeof(posture.tv));
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
 * be finalized claims it (alreadyReplaced for any other that is not
 * invalid: a claim whose order failed and went invalid, or is gone, is
 * taken over by compare-and-set); the old certificate is then superseded,
 * which the RADIUS servers see at once. 1 claimed (now or by this same
 * order before), 0 replaced by another order, -1 error.
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
	if (rc == 0 && ar_store_get(r->st, key, &owner, NULL, err) == 1) {
		if (!strcmp(owner, order_id))
			rc = 1;		/* this order, finalized again after a failure */
		else if ((rc = order_dead(r, owner, err)) == 1)
			rc = ar_store_set_if(r->st, key, owner, order_id, strlen(order_id), err);
		if (rc == 1 && strcmp(owner, order_id))
			ar_info("event=replacement.taken_over order=%s from=%s", order_id, owner);
	}
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

/* One finalize request, from its checks to its commit. */
typedef struct issuance {
	acme_req_t		*r;
	const char		*id;		/* the order's */
	json_t			*order;
	const char		*stored;	/* the order as read: ready */
	char			*processing;	/* the order as claimed: processing */
	const ca_profile_t	*prof;
	ar_identifier_t		ids[AR_CSR_MAX_IDS];
	size_t			nids;
	const ar_identifier_t	*device;
	size_t			nauthz;		/* the order's authorizations, */
	const char		*authz_id[AR_STORE_BATCH_GUARDS];
	char			*authz_text[AR_STORE_BATCH_GUARDS];	/* as read */
	char			changed[128];	/* a begin that lost: the key it found changed */
	ar_csr_t		*req;
	ar_csr_info_t		info;
	ar_certext_t		ext;
	int			has_ext;
	ar_issue_params_t	params;
	X509			*cert;
	char			cid[32];
	char			serial[AR_CERT_HEX_MAX];
	json_t			*rec;		/* cert:<cid> */
	json_t			*life;		/* certlife:<aki>:<serial> */
	char			life_id[2 * AR_CERT_HEX_MAX + 2];
} issuance_t;

/*
 * A finalize that crashed mid-way leaves its order "processing"; after this
 * long another finalize may take it over (signing and the transaction take
 * milliseconds).
 */
#define FINALIZE_STALE_S	300

/*
 * The issuance, begun: the order moved from @from to @is->processing
 * (compare-and-set) in the round trip that reads the SOC's verdict on the
 * device and every authorization of the order, and WATCHes them and the
 * order: the batch returned, filled after signing, commits only while the
 * verdict allows it, each authorization is as this request read it and the
 * order is still the one it claimed. A finalize that finds the order or
 * an authorization changed gets AR_ERR_CONFLICT (@is->changed names it).
 */
static ar_store_batch_t *begin_issuance(issuance_t *is, const char *from, ar_err_t *err)
{
	ar_store_batch_t *b = ar_store_batch_new(is->r->st);
	char key[96];
	size_t i;

	is->changed[0] = '\0';
	if (!b) {
		ar_err_set(err, AR_ERR_NOMEM, "out of memory");
		return NULL;
	}
	/* a failure while queueing fails begin */
	ar_store_batch_guard_verdict(b, is->device->value);
	for (i = 0; i < is->nauthz; i++) {
		snprintf(key, sizeof(key), "authz:%s", is->authz_id[i]);
		ar_store_batch_guard_value(b, key, is->authz_text[i]);
	}
	snprintf(key, sizeof(key), "order:%s", is->id);
	ar_store_batch_claim(b, key, from, is->processing, strlen(is->processing));
	if (ar_store_batch_begin(b, err) < 0) {
		if (ar_store_batch_changed(b))
			snprintf(is->changed, sizeof(is->changed), "%s", ar_store_batch_changed(b));
		ar_store_batch_free(b);
		return NULL;
	}
	return b;
}

/*
 * Give a processing order back (ready) after a failed issuance - unless it
 * changed meanwhile (an authorization deactivated made it invalid).
 */
static void release_order(acme_req_t *r, const char *order_id, const char *stored,
			  const char *processing)
{
	ar_err_t err = { 0 };
	char key[96];
	int rc;

	snprintf(key, sizeof(key), "order:%s", order_id);
	rc = ar_store_set_if(r->st, key, processing, stored, strlen(stored), &err);
	if (rc == 0)
		ar_info("event=order.release_skipped order=%s reason=\"the order changed\"",
			order_id);
	else if (rc < 0)
		ar_error("event=order.release_failed order=%s error=\"%s\"", order_id, err.msg);
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
	char q[2 * sizeof(err->msg) + 3];

	switch (err->code) {
	case AR_ERR_UNAUTHORIZED:	/* the SOC holds the device */
		ar_warn("event=issue.refused order=%s account=%s device=%s reason=%s", order_id,
			r->account_id, device, ar_log_q(q, sizeof(q), err->msg));
		acme_problem(r->ca, resp, 403, "unauthorized", "%s; no certificate is issued until "
			     "the SOC clears it", err->msg);
		break;
	case AR_ERR_CONFLICT:		/* changed twice while we issued */
		ar_warn("event=issue.conflict order=%s device=%s", order_id, device);
		ar_http_resp_header(resp, "Retry-After", "1");
		acme_problem(r->ca, resp, 503, "serverInternal", "the SOC's verdict on %s, or the "
			     "order, changed twice during issuance; nothing was issued, retry",
			     device);
		break;
	case AR_ERR_UNREPLICATED:	/* [redis] on_replica_timeout = refuse */
		ar_warn("event=issue.unreplicated order=%s device=%s error=\"%s\"", order_id,
			device, err->msg);
		ar_http_resp_header(resp, "Retry-After", "1");
		acme_problem(r->ca, resp, 503, "serverInternal", "the certificate was issued and "
			     "recorded, but too few replicas of the state store confirmed the record "
			     "in time, so the issuance is not acknowledged; the order may still turn "
			     "valid (e.g. after a failover): poll the order");
		break;
	default:
		acme_problem_from(r->ca, resp, err);
	}
}

/* 1 when the CSR's key is the account's own key (the key that signed this request). */
static int csr_key_is_account_key(const acme_req_t *r, const ar_csr_info_t *info)
{
	return r->key && !strcmp(ar_jwk_thumbprint(r->key), info->jkt);
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
 * 1 when the order's attestation says its key is certified in hardware:
 * storage-opaque affirming in what its EARs say of the device as a whole
 * (acme-rats-verifier affirms it only for a key TPM2_Certify'd by the
 * device's enrolled AK, whose thumbprint it signs as cnf.jkt).
 */
static int order_key_certified(const json_t *order)
{
	const json_t *tv = json_object_get(json_object_get(order, "attestation"), "tv");
	const json_t *v = json_array_get(tv, AR_TV_STORAGE_OPAQUE);

	return json_is_integer(v) &&
	       ar_tv_tier((int)json_integer_value(v)) == AR_STATUS_AFFIRMING;
}

/*
 * The CSR key against the key the attestation bound (cnf.jkt, as the
 * verifier signed it, recorded on the order by the challenge): 0, or -1
 * after answering badCSR.
 */
static int csr_key_is_bound_key(acme_req_t *r, const json_t *order, const ca_profile_t *prof,
				const ar_csr_info_t *info, ar_http_resp_t *resp)
{
	const char *jkt = json_string_value(json_object_get(order, "jkt"));
	int certified = order_key_certified(order);

	if (certified && !jkt) {
		acme_problem(r->ca, resp, 400, "badCSR", "the attestation result says the key is "
			     "certified in hardware (storage-opaque affirming) but binds no key "
			     "(cnf.jkt): no CSR key can be shown to be the certified one");
		return -1;
	}
	if (certified && strcmp(jkt, info->jkt)) {
		acme_problem(r->ca, resp, 400, "badCSR", "the CSR key (thumbprint %.43s) is not the "
			     "TPM-certified key the attestation result bound (cnf.jkt %.43s): "
			     "storage-opaque affirms only that key, so only it may be certified",
			     info->jkt, jkt);
		return -1;
	}
	if ((prof->hints && !jkt) || (jkt && strcmp(jkt, info->jkt))) {
		acme_problem(r->ca, resp, 400, "badCSR", "the CSR key is not the key the attestation "
			     "bound (cnf.jkt)");
		return -1;
	}
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
	if (csr_key_is_bound_key(r, order, prof, info, resp) < 0)
		goto refuse;
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

/*
 * The order's authorizations, each kept as stored (the texts its commit is
 * conditional on), and the order's status derived from them. 0, or -1
 * with @err set.
 */
static int finalize_authzs(issuance_t *is, json_t **authzs, ar_err_t *err)
{
	const json_t *ids = json_object_get(is->order, "authorizations");
	const char *kinds[AR_STORE_BATCH_GUARDS];
	json_t *recs[AR_STORE_BATCH_GUARDS];
	size_t i, n = json_array_size(ids);

	if (n == 0 || n > AR_STORE_BATCH_GUARDS)
		return ar_err_set(err, AR_ERR_IO, "order record corrupt: %zu authorizations", n);
	for (i = 0; i < n; i++) {
		kinds[i] = "authz";
		is->authz_id[i] = json_string_value(json_array_get(ids, i));
	}
	if (ca_records_get_texts(is->r->st, kinds, is->authz_id, n, recs, is->authz_text, err) < 0)
		return -1;
	is->nauthz = n;
	*authzs = json_array();
	for (i = 0; i < n; i++)
		if (json_array_append_new(*authzs, recs[i]) < 0)
			return ar_err_set(err, AR_ERR_NOMEM, "out of memory");
	order_derive(is->order, *authzs, NULL, NULL);
	return 0;
}

/*
 * Every authorization is valid and unexpired (RFC 8555 7.4: a certificate
 * only for identifiers the account is authorized for) - also for an order
 * a stopped finalize left processing, whose status does not follow its
 * authorizations. 1, or 0 after answering orderNotReady.
 */
static int authorized(issuance_t *is, const json_t *authzs, ar_http_resp_t *resp)
{
	int64_t now = time(NULL);
	acme_status_t st;
	size_t i;

	for (i = 0; i < is->nauthz; i++) {
		const json_t *a = json_array_get(authzs, i);

		if (acme_status_of(a, &st) < 0)
			st = ACME_INVALID;
		if (st == ACME_VALID && now > json_integer_value(json_object_get(a, "expires")))
			st = ACME_EXPIRED;
		if (st == ACME_VALID)
			continue;
		acme_problem(is->r->ca, resp, 403, "orderNotReady", "authorization %s of this order "
			     "is %s; nothing is issued", is->authz_id[i], acme_status_name(st));
		return 0;
	}
	return 1;
}

/*
 * The validate step: the order is ready, the profile and issuer are there,
 * the CSR is acceptable, the certificate it replaces is not replaced by
 * another order. 0, or -1 after answering the problem.
 */
static int finalize_validate(issuance_t *is, ar_http_resp_t *resp)
{
	acme_req_t *r = is->r;
	ar_err_t err = { 0 };
	json_t *authzs = NULL;
	int ok;

	is->prof = ca_profile_find(r->ca, json_string_value(json_object_get(is->order, "profile")));
	if (finalize_authzs(is, &authzs, &err) < 0) {
		json_decref(authzs);
		acme_problem_from(r->ca, resp, &err);
		return -1;
	}
	ok = finalizable(r, is->order, resp) && authorized(is, authzs, resp);
	json_decref(authzs);
	if (!ok)
		return -1;
	if (!is->prof || !r->ca->issuer || !is->stored) {
		acme_problem(r->ca, resp, 500, "serverInternal", "no issuing certificate configured");
		return -1;
	}
	is->req = finalize_csr(r, is->order, is->prof, is->ids, &is->nids, &is->info, resp);
	if (!is->req)
		return -1;
	is->device = order_device(is->ids, is->nids);
	switch (claim_replaced(r, is->id, is->order, &err)) {
	case 0:
		acme_problem(r->ca, resp, 409, "alreadyReplaced", "another order already replaced "
			     "the certificate this order names in \"replaces\"");
		return -1;
	case -1:
		acme_problem_from(r->ca, resp, &err);
		return -1;
	}
	is->has_ext = attestation_ext(r->ca, is->id, is->order, is->ids, is->nids, &is->ext);
	if (is->has_ext < 0) {
		acme_problem(r->ca, resp, 500, "serverInternal", "order attestation record corrupt");
		return -1;
	}
	return 0;
}

/*
 * The build step: the certificate signed, its chain, certificate and
 * renewal records; the order turned valid in memory. 0, or -1 after
 * answering the problem.
 */
static int finalize_build(issuance_t *is, ar_http_resp_t *resp)
{
	ar_issue_params_t *p = &is->params;
	const ca_profile_t *prof = is->prof;
	ar_err_t err = { 0 };
	char aki[AR_CERT_HEX_MAX], *chain = NULL;
	int64_t nb;

	memset(p, 0, sizeof(*p));
	p->issuer_key = is->r->ca->issuer_key;
	p->issuer_cert = is->r->ca->issuer;
	p->not_before = time(NULL);
	p->lifetime_s = (prof->lifetime < prof->max_lifetime ? prof->lifetime
							     : prof->max_lifetime) / 1000;
	p->backdate_s = ca_backdate(p->lifetime_s);
	p->server_auth = prof->server_auth;
	p->attestation = is->has_ext ? &is->ext : NULL;
	is->cert = ar_issue_cert(is->req, &is->info, p, &err);
	chain = is->cert ? pem_chain(is->r->ca, is->cert) : NULL;
	if (!chain || ca_new_id(is->cid, sizeof(is->cid)) < 0 ||
	    ar_cert_ids(is->cert, aki, sizeof(aki), is->serial, sizeof(is->serial), &err) < 0) {
		ar_error("event=issue.failed order=%s error=\"%s\"", is->id, err.msg);
		acme_problem(is->r->ca, resp, 500, "serverInternal", "certificate issuance failed");
		free(chain);
		return -1;
	}
	nb = p->not_before - p->backdate_s;
	is->rec = json_pack("{s:s,s:s,s:s,s:I}", "account", is->r->account_id, "order", is->id,
			    "chain", chain, "not_after", (json_int_t)(nb + p->lifetime_s));
	free(chain);
	snprintf(is->life_id, sizeof(is->life_id), "%s:%s", aki, is->serial);
	is->life = ari_life_record(nb, nb + p->lifetime_s);
	if (!is->rec || !is->life) {
		acme_problem(is->r->ca, resp, 500, "serverInternal", "out of memory");
		return -1;
	}
	json_object_set_new(is->order, "status", json_string("valid"));
	json_object_set_new(is->order, "certificate", json_string(is->cid));
	json_object_del(is->order, "processing_since");
	return 0;
}

/*
 * A begin that found the order or one of its authorizations changed since
 * this request read them (@is->changed): nothing was issued. Answered, as
 * RFC 8555 7.4 answers a finalize of an order that is not ready, with
 * orderNotReady and what the order is now (one more read, on this path
 * only): an authorization deactivated first made it invalid.
 */
static void refuse_changed(issuance_t *is, ar_http_resp_t *resp)
{
	const char *status = NULL;
	ar_err_t err = { 0 };
	json_t *now = NULL;

	if (ca_record_get(is->r->st, "order", is->id, &now, &err) == 1 &&
	    order_refresh(is->r, now, &err) == 0)
		status = json_string_value(json_object_get(now, "status"));
	if (!status)
		status = "changed";
	ar_info("event=issue.withdrawn order=%s account=%s changed=%s order_status=%s", is->id,
		is->r->account_id, is->changed, status);
	if (!strncmp(is->changed, "authz:", 6))
		acme_problem(is->r->ca, resp, 403, "orderNotReady", "authorization %s of this order "
			     "changed while its certificate was being issued; the order is %s and "
			     "nothing was issued", is->changed + 6, status);
	else if (!strcmp(status, "processing"))
		acme_problem(is->r->ca, resp, 403, "orderNotReady", "the order is processing: its "
			     "certificate is being issued by another finalize request");
	else
		acme_problem(is->r->ca, resp, 403, "orderNotReady", "the order changed while its "
			     "certificate was being issued; it is %s and nothing was issued", status);
	json_decref(now);
}

/*
 * The commit step: one transaction - the certificate and posture records,
 * the old certificate superseded, the chain, its renewal record and the
 * valid order; the device is admitted and the order done, or neither - run
 * only if the SOC's verdict, every authorization of the order and the
 * order itself are as they were when it moved to processing. A change
 * meanwhile aborts it; it is begun once more (the order stays this
 * request's) and tried again, unless the order or an authorization changed
 * (deactivated): then nothing is issued. Takes @b. 0, or -1 after
 * answering the problem.
 */
static int finalize_commit(issuance_t *is, ar_store_batch_t *b, ar_http_resp_t *resp)
{
	const char *kinds[3] = { "cert", "certlife", "order" };
	const char *rids[3] = { is->cid, is->life_id, is->id };
	json_t *recs[3] = { is->rec, is->life, is->order };
	ar_err_t err = { 0 };
	int attempt, rc = -1;

	for (attempt = 0; attempt < 2; attempt++) {
		memset(&err, 0, sizeof(err));
		if (attempt > 0 && !(b = begin_issuance(is, is->processing, &err)))
			break;
		rc = commit_issuance(is->r, b, is->cert, is->id, is->order, is->device, kinds, rids,
				     recs, 3, &err);
		b = NULL;
		if (rc == 0 || err.code != AR_ERR_CONFLICT)
			break;
	}
	if (rc < 0 && is->changed[0])
		refuse_changed(is, resp);
	else if (rc < 0)
		refuse_issuance(is->r, is->id, is->device->value, &err, resp);
	return rc;
}

void order_finalize(acme_req_t *r, const char *id, json_t *order, const char *stored,
		    ar_http_resp_t *resp)
{
	issuance_t *is = calloc(1, sizeof(*is));
	ar_store_batch_t *b = NULL;
	ar_err_t err = { 0 };
	const json_t *rep;
	int held = 0;
	size_t i;

	if (!is) {
		acme_problem(r->ca, resp, 500, "serverInternal", "out of memory");
		return;
	}
	is->r = r;
	is->id = id;
	is->order = order;
	is->stored = stored;
	if (finalize_validate(is, resp) < 0)
		goto out;
	/*
	 * The commit step, begun: ready -> processing, won by one finalize
	 * only, in the round trip that reads the SOC's verdict and the
	 * authorizations; the others get orderNotReady. Nothing is signed
	 * before.
	 */
	is->processing = processing_text(order);
	b = is->processing ? begin_issuance(is, stored, &err) : NULL;
	if (!b) {
		if (!is->processing)
			acme_problem(r->ca, resp, 500, "serverInternal", "out of memory");
		else if (is->changed[0])
			refuse_changed(is, resp);
		else
			refuse_issuance(r, id, is->device->value, &err, resp);
		goto out;
	}
	held = 1;
	if (finalize_build(is, resp) < 0)
		goto out;
	if (finalize_commit(is, b, resp) < 0) {
		b = NULL;
		goto out;
	}
	b = NULL;
	held = 0;
	if ((rep = json_object_get(order, "replaces")))
		ar_info("event=certificate.superseded device=%s serial=%s",
			json_string_value(json_object_get(rep, "device")),
			json_string_value(json_object_get(rep, "serial")));
	ar_info("event=certificate.issued order=%s account=%s device=%s serial=%s lifetime_s=%lld "
		"attested=%s profile=%s", id, r->account_id, is->device->value, is->serial,
		(long long)is->params.lifetime_s, is->has_ext ? ar_status_name(is->ext.status) : "no",
		is->prof->name);
	ca_metrics_issued(r->ca, is->prof->name);
	acme_json(r->ca, resp, 200, order_view(r->ca, id, order));
out:
	ar_store_batch_free(b);
	if (held)
		release_order(r, id, stored, is->processing);
	free(is->processing);
	for (i = 0; i < is->nauthz; i++)
		free(is->authz_text[i]);
	json_decref(is->life);
	json_decref(is->rec);
	X509_free(is->cert);
	ar_csr_free(is->req);
	free(is);
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
