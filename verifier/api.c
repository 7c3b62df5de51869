/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The challenge-response API (after Veraison's):
 *
 *   POST /challenge-response/v1/newSession[?nonce=B64|?nonceSize=N]
 *	-> 201, Location: /challenge-response/v1/session/<id>,
 *	   {"nonce", "expiry", "accept", "state": "waiting"}
 *   POST /challenge-response/v1/session/<id>    signed evidence: the JWS
 *	(application/vnd.acme-rats.evidence+jws), or a JWE whose plaintext is
 *	the CMW record wrapping it (application/jose+json), or TPM evidence:
 *	the CMW collection of tpm_cmw.h (application/cmw+json, tpm_evidence_api.c)
 *	-> 200 application/cmw+json: [EAR media type, base64url(EAR), 8]
 *	Evidence speaks for a device only when the device's enrolled identity
 *	key (the store's identity record) signed it; anything else is refused
 *	and changes nothing.
 *   GET  /challenge-response/v1/encryption-key  public JWK for evidence JWEs
 *   GET  /challenge-response/v1/keys            JWK Set of EAR signing keys
 *   POST /soc/v1/devices/<id>/posture           SOC action (soc.c)
 *   POST /soc/alerts?source=NAME                 SIEM webhook (alerts.c)
 *   POST /tpm/v1/enroll, /tpm/v1/activate       TPM enrolment (tpm_api.c)
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "b64.h"
#include "cmw.h"
#include "evidence_jws.h"
#include "jwe.h"
#include "log.h"
#include "verifier.h"

#define API_PREFIX	"/challenge-response/v1/"
#define SESSION_PREFIX	API_PREFIX "session/"
#define SOC_PREFIX	"/soc/v1/devices/"
#define TPM_PREFIX	"/tpm/v1/"
#define CT_JOSE		"application/jose+json"
#define CT_CMW		"application/cmw+json"

static void problem(ar_http_resp_t *resp, int status, const char *type, const char *detail)
{
	ar_http_resp_problem(resp, status, type, "%s", detail);
}

static void rfc3339(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The nonce the relying party supplies (base64url or base64), or a random one. */
static int session_nonce(const ar_http_req_t *req, session_t *s, ar_http_resp_t *resp)
{
	const char *given = ar_http_query(req, "nonce");
	const char *size = ar_http_query(req, "nonceSize");
	long want = 32;
	char *end;

	if (given) {
		ar_err_t err = { 0 };

		if (ar_b64_decode_lenient(given, s->nonce, sizeof(s->nonce), &s->nonce_len, &err) < 0 &&
		    err.code == AR_ERR_TOO_LARGE) {
			problem(resp, 400, VERIFIER_PROBLEM "badNonce", "nonce is too long");
			return -1;
		}
		if (err.code || s->nonce_len < SESSION_NONCE_MIN) {
			problem(resp, 400, VERIFIER_PROBLEM "badNonce",
				"nonce must be base64url of 8 to 64 bytes");
			return -1;
		}
		return 0;
	}
	if (size) {
		want = strtol(size, &end, 10);
		if (*end || want < SESSION_NONCE_MIN || want > SESSION_NONCE_MAX) {
			problem(resp, 400, VERIFIER_PROBLEM "badNonce", "nonceSize must be 8..64");
			return -1;
		}
	}
	if (RAND_bytes(s->nonce, (int)want) != 1) {
		problem(resp, 500, VERIFIER_PROBLEM "internal", "no randomness");
		return -1;
	}
	s->nonce_len = (size_t)want;
	return 0;
}

static void api_new_session(verifier_t *v, const ar_http_req_t *req,
			    ar_http_resp_t *resp)
{
	char id[SESSION_ID_MAX + 1], nonce[2 * SESSION_NONCE_MAX], expiry[32], loc[256];
	session_t s = { .nonce_len = 0 };

	if (session_nonce(req, &s, resp) < 0)
		return;
	s.expiry = time(NULL) + v->conf.session_ttl / 1000;
	if (session_encode(&s, v->session_key, id, sizeof(id)) < 0 ||
	    ar_b64url_encode(s.nonce, s.nonce_len, nonce, sizeof(nonce)) < 0) {
		problem(resp, 500, VERIFIER_PROBLEM "internal", "cannot create session");
		return;
	}
	rfc3339(s.expiry, expiry, sizeof(expiry));
	snprintf(loc, sizeof(loc), SESSION_PREFIX "%s", id);
	ar_http_resp_header(resp, "Location", loc);
	ar_http_resp_json(resp, 201, "application/vnd.veraison.challenge-response-session+json",
			  json_pack("{s:s,s:s,s:[s,s,s],s:s}", "nonce", nonce, "expiry", expiry,
				    "accept", AR_MT_EVIDENCE_JWS, CT_JOSE, CT_CMW, "state", "waiting"));
}

#define UNSIGNED_DETAIL	"evidence must be signed by the device's enrolled identity key"

/* One line per refused evidence: who it claimed to be, and why it was refused. */
void verifier_refused(const char *device, const char *why, const char *detail)
{
	char dev[160], d[600];

	ar_info("event=evidence.refused device=%s reason=%s detail=%s",
		device && *device ? ar_log_q(dev, sizeof(dev), device) : "-", why,
		ar_log_q(d, sizeof(d), detail));
}

/* Unsigned evidence: refused, naming the device it claimed to speak for. */
static void refuse_unsigned(const char *text, size_t len, ar_http_resp_t *resp)
{
	ar_evidence_t ev;

	if (ar_evidence_parse(text, len, &ev, NULL) < 0)
		ev.device_id[0] = '\0';
	verifier_refused(ev.device_id, "unsigned", UNSIGNED_DETAIL);
	problem(resp, 401, VERIFIER_PROBLEM "unauthorized", UNSIGNED_DETAIL " (send "
		AR_MT_EVIDENCE_JWS ", or a JWE of its CMW record)");
}

/* The signed evidence (a compact JWS) of a JWE to our encryption key. */
static char *unseal(verifier_t *v, const char *body, size_t blen, size_t *len,
		    ar_http_resp_t *resp)
{
	ar_err_t err = { 0 };
	uint8_t *pt;
	size_t ptlen;
	char *jws = NULL;

	if (ar_jwe_decrypt_text(body, blen, v->encryption_key, AR_EVIDENCE_CMW_MAX, &pt, &ptlen,
				&err) < 0) {
		verifier_refused(NULL, "undecryptable", err.msg);
		ar_http_resp_problem(resp, 400, VERIFIER_PROBLEM "badEvidence",
				     "encrypted evidence: %s", err.msg);
		return NULL;
	}
	if (ar_evidence_cmw_unwrap((const char *)pt, ptlen, &jws, len, &err) < 0) {
		if (err.code == AR_ERR_UNAUTHORIZED) {
			refuse_unsigned((const char *)pt, ptlen, resp);
		} else {
			verifier_refused(NULL, "malformed", err.msg);
			ar_http_resp_problem(resp, 400, VERIFIER_PROBLEM "badEvidence",
					     "encrypted evidence: %s", err.msg);
		}
	}
	free(pt);
	return jws;
}

/* The signed evidence in the body: the JWS itself, or inside a JWE. */
static char *signed_evidence(verifier_t *v, const ar_http_req_t *req, size_t *len,
			     ar_http_resp_t *resp)
{
	const char *body;
	size_t blen;
	char *jws;

	body = ar_http_body(req, &blen);
	if (ar_http_content_type_is(req, AR_MT_EVIDENCE_JWS)) {
		jws = malloc(blen + 1);
		if (!jws) {
			problem(resp, 500, VERIFIER_PROBLEM "internal", "out of memory");
			return NULL;
		}
		memcpy(jws, body, blen);
		jws[blen] = '\0';
		*len = blen;
		return jws;
	}
	if (ar_http_content_type_is(req, CT_JOSE))
		return unseal(v, body, blen, len, resp);
	if (ar_http_content_type_is(req, AR_MT_EVIDENCE)) {
		refuse_unsigned(body, blen, resp);
		return NULL;
	}
	problem(resp, 415, VERIFIER_PROBLEM "unsupportedMediaType",
		"evidence must be " AR_MT_EVIDENCE_JWS " or " CT_JOSE);
	return NULL;
}

/* The identity lookup of ar_evidence_verify(): the store's record, or why not. */
typedef struct enrolled {
	ar_store_t	*st;
	int		failed;		/* the store, not the evidence, failed */
	ar_errc_t	code;
} enrolled_t;

static int enrolled_key(void *ctx, const char *device, ar_jwk_t **key, ar_err_t *err)
{
	enrolled_t *e = ctx;
	ar_store_identity_t id;
	int rc;

	/* An id no device can have is the evidence's fault, not the store's. */
	if (ar_store_device_valid(device, err) < 0)
		return ar_err_prefix(err, "evidence device.id: ");
	e->failed = 1;
	rc = ar_store_identity_get(e->st, device, &id, err);
	if (rc < 0) {
		e->code = err ? err->code : AR_ERR_UNAVAILABLE;
		return ar_err_prefix(err, "identity of %.64s: ", device);
	}
	e->failed = 0;
	if (rc == 0)
		return 0;
	*key = ar_jwk_parse_text(id.jwk, strlen(id.jwk), AR_JWK_PUBLIC_ONLY, err);
	if (*key && strcmp(ar_jwk_thumbprint(*key), id.jkt)) {
		ar_jwk_free(*key);
		*key = NULL;
		ar_err_set(err, AR_ERR_MALFORMED, "its jwk does not have its jkt");
	}
	if (!*key) {
		e->failed = 1;
		e->code = AR_ERR_MALFORMED;
		return ar_err_prefix(err, "identity record of %.64s: ", device);
	}
	return 1;
}

/*
 * Verify the evidence against the enrolled identity of the device it
 * names. On failure the problem is answered and the refusal logged.
 */
static int authenticate(verifier_t *v, const char *jws, size_t len, ar_evidence_t *ev,
			ar_http_resp_t *resp)
{
	enrolled_t e = { .st = NULL };
	ar_err_t err = { 0 };
	char claimed[AR_EV_STR];

	e.st = daemon_store(&v->stores, &err);
	if (!e.st) {
		ar_warn("event=evidence.store_unavailable error=\"%s\"", err.msg);
		ar_http_resp_header(resp, "Retry-After", "5");
		problem(resp, 503, VERIFIER_PROBLEM "unavailable",
			"the device identity store cannot be reached; retry");
		return -1;
	}
	if (ar_evidence_verify(jws, len, enrolled_key, &e, ev, &err) == 0)
		return 0;

	/* For the log: the device the evidence claimed, when it can be read. */
	ar_evidence_claimed_device(jws, len, claimed, sizeof(claimed));
	if (e.failed) {
		int down = e.code == AR_ERR_UNAVAILABLE || e.code == AR_ERR_TIMEOUT ||
			   e.code == AR_ERR_IO;
		char dev[160];

		ar_warn("event=evidence.identity_lookup_failed device=%s error=\"%s\"",
			claimed[0] ? ar_log_q(dev, sizeof(dev), claimed) : "-",
			err.msg);
		if (down)
			ar_http_resp_header(resp, "Retry-After", "5");
		if (down)
			problem(resp, 503, VERIFIER_PROBLEM "unavailable",
				"the device identity store cannot be reached; retry");
		else
			problem(resp, 500, VERIFIER_PROBLEM "internal",
				"the device's identity record cannot be read");
		return -1;
	}
	switch (err.code) {
	case AR_ERR_NOT_FOUND:
		verifier_refused(claimed, "unenrolled", err.msg);
		ar_http_resp_problem(resp, 403, VERIFIER_PROBLEM "unenrolledDevice",
				     "%s: enrol it (External Account Binding) first", err.msg);
		break;
	case AR_ERR_BAD_SIGNATURE:
		verifier_refused(claimed, "wrong-key", err.msg);
		ar_http_resp_problem(resp, 401, VERIFIER_PROBLEM "unauthorized", "%s", err.msg);
		break;
	case AR_ERR_BAD_ALG:
		verifier_refused(claimed, "bad-alg", err.msg);
		ar_http_resp_problem(resp, 401, VERIFIER_PROBLEM "unauthorized",
				     UNSIGNED_DETAIL ": %s", err.msg);
		break;
	case AR_ERR_MALFORMED:
	case AR_ERR_TOO_LARGE:
		verifier_refused(claimed, "malformed", err.msg);
		ar_http_resp_problem(resp, err.code == AR_ERR_TOO_LARGE ? 413 : 400,
				     VERIFIER_PROBLEM "badEvidence", "%s", err.msg);
		break;
	default:
		ar_error("event=evidence.verify_failed error=\"%s\"", err.msg);
		problem(resp, 500, VERIFIER_PROBLEM "internal", "cannot verify the evidence");
		break;
	}
	return -1;
}

/*
 * Evidence is appraised once: its nonce is spent for its device (SET NX,
 * kept as long as the evidence could pass the time check), so a captured
 * evidence JWS replayed into its own session, or into a new session opened
 * with the same nonce, is refused instead of rewriting the posture record
 * with an older state. 0, or -1 after answering.
 */
int verifier_spend_nonce(verifier_t *v, const ar_evidence_t *ev, ar_http_resp_t *resp)
{
	unsigned char md[32];
	char key[80], b64[48];
	ar_err_t err = { 0 };
	ar_store_t *st = daemon_store(&v->stores, &err);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int rc = -1;

	if (ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, ev->device_id, strlen(ev->device_id) + 1) == 1 &&
	    EVP_DigestUpdate(ctx, ev->nonce, strlen(ev->nonce)) == 1 &&
	    EVP_DigestFinal_ex(ctx, md, NULL) == 1 &&
	    ar_b64url_encode(md, sizeof(md), b64, sizeof(b64)) >= 0) {
		snprintf(key, sizeof(key), "vnonce:%s", b64);
		rc = st ? ar_store_set_once(st, key, "1",
					    (v->policy.max_evidence_age + AR_EVIDENCE_MAX_AHEAD) * 1000,
					    &err) : -1;
	} else {
		ar_err_set(&err, AR_ERR_CRYPTO, "SHA-256 failed");
	}
	EVP_MD_CTX_free(ctx);
	if (rc == 1)
		return 0;
	if (rc == 0) {
		verifier_refused(ev->device_id, "replay", "this evidence nonce was already used");
		problem(resp, 400, VERIFIER_PROBLEM "badNonce", "this evidence nonce was already used "
			"by the device: attest again with a new session");
		return -1;
	}
	ar_warn("event=evidence.store_unavailable error=\"%s\"", err.msg);
	ar_http_resp_header(resp, "Retry-After", "5");
	problem(resp, 503, VERIFIER_PROBLEM "unavailable", "the evidence cannot be recorded; retry");
	return -1;
}

/* Sign the EAR for appraised evidence and wrap it in a CMW record. */
json_t *verifier_issue_ear(verifier_t *v, const ar_evidence_t *ev, const char *nonce,
			 const ar_ear_submod_t *sm, int64_t now, char **jwt_out, ar_err_t *err)
{
	ar_ear_t ear;
	json_t *cmw;

	memset(&ear, 0, sizeof(ear));
	ear.profile = (ar_ear_profile_t)v->conf.ear_profile;
	ear.iat = now;
	ear.exp = v->conf.ear_ttl ? now + v->conf.ear_ttl / 1000 : 0;
	snprintf(ear.nonce, sizeof(ear.nonce), "%s", nonce);
	snprintf(ear.verifier_developer, sizeof(ear.verifier_developer), "%s", v->conf.developer);
	snprintf(ear.verifier_build, sizeof(ear.verifier_build), "%s", v->conf.build);
	snprintf(ear.jkt, sizeof(ear.jkt), "%s", ev->key_jkt);
	snprintf(ear.subject, sizeof(ear.subject), "%s", ev->device_id);
	ear.nsubmods = 1;
	ear.submods[0] = *sm;
	*jwt_out = ar_ear_sign(&ear, v->signing_key, err);
	if (!*jwt_out)
		return NULL;
	cmw = ar_cmw_record(ear.profile == AR_EAR_PROFILE_IETF03 ? AR_MT_EAR_IETF : AR_MT_EAR,
			    *jwt_out, strlen(*jwt_out), AR_CMW_IND_RESULTS);
	if (!cmw)
		ar_err_set(err, AR_ERR_NOMEM, "out of memory");
	return cmw;
}

int verifier_event(ar_store_t *st, const char *type, const char *device, ar_status_t status,
		   const char *reason, ar_err_t *err)
{
	ar_store_event_t ev;

	memset(&ev, 0, sizeof(ev));
	snprintf(ev.type, sizeof(ev.type), "%s", type);
	snprintf(ev.device, sizeof(ev.device), "%s", device);
	snprintf(ev.status, sizeof(ev.status), "%s", ar_status_name(status));
	snprintf(ev.reason, sizeof(ev.reason), "%s", reason);
	snprintf(ev.source, sizeof(ev.source), "verifier");
	return ar_store_event_add(st, &ev, NULL, err);
}

/* Record the appraisal for the NOC: posture record and one stream entry. */
void verifier_record_posture(verifier_t *v, const ar_evidence_t *ev, const ar_ear_submod_t *sm,
			   int64_t now, const char *reason)
{
	ar_store_posture_t p;
	ar_err_t err = { 0 };
	ar_store_t *st = daemon_store(&v->stores, &err);

	memset(&p, 0, sizeof(p));
	p.status = sm->status;
	ar_tvec_format_claims(&sm->tv, p.tv, sizeof(p.tv));
	p.ear_iat = now;
	p.ear_exp = v->conf.ear_ttl ? now + v->conf.ear_ttl / 1000 : 0;
	snprintf(p.verifier, sizeof(p.verifier), "%s", v->conf.developer);
	snprintf(p.profile, sizeof(p.profile), "%s", v->policy.name);
	p.updated_at = now;
	snprintf(p.reason, sizeof(p.reason), "%s", reason);
	if (!st || ar_store_posture_put(st, ev->device_id, &p, &err) < 0 ||
	    verifier_event(st, "appraisal", ev->device_id, p.status, reason, &err) < 0)
		ar_warn("event=posture.store_failed device=%.64s error=\"%s\"", ev->device_id, err.msg);
}

static void api_evidence(verifier_t *v, const char *sid, const ar_http_req_t *req,
			 ar_http_resp_t *resp)
{
	char nonce[2 * SESSION_NONCE_MAX], reason[AR_STORE_REASON_MAX + 1], tv[96], dev[160];
	char rq[2 * AR_STORE_REASON_MAX + 3];
	int64_t now = time(NULL);
	ar_err_t err = { 0 };
	ar_ear_submod_t sm;
	ar_evidence_t ev;
	char *jws, *jwt = NULL;
	json_t *cmw;
	session_t s;
	size_t len;
	int rc;

	if (session_decode(sid, v->session_key, &s) < 0 || s.expiry < now) {
		problem(resp, 404, VERIFIER_PROBLEM "unknownSession",
			"session unknown or expired: open a new one");
		return;
	}
	if (ar_http_content_type_is(req, CT_CMW)) {
		tpm_evidence(v, &s, req, resp);
		return;
	}
	jws = signed_evidence(v, req, &len, resp);
	if (!jws)
		return;
	rc = authenticate(v, jws, len, &ev, resp);
	free(jws);
	if (rc < 0)
		return;
	/* From here on the evidence is the enrolled device's own. */
	ar_b64url_encode(s.nonce, s.nonce_len, nonce, sizeof(nonce));
	if (!ar_nonce_equal(ev.nonce, nonce)) {
		verifier_refused(ev.device_id, "nonce", "evidence nonce does not match the session nonce");
		problem(resp, 400, VERIFIER_PROBLEM "badNonce",
			"evidence nonce does not match the session nonce");
		return;
	}
	/* Evidence that cannot be placed in time is no appraisal: refused, the
	 * device's posture record untouched, the skew named. */
	if (ar_evidence_check_time(&ev, &v->policy, now, reason, sizeof(reason)) < 0) {
		verifier_refused(ev.device_id, "time", reason);
		problem(resp, 400, VERIFIER_PROBLEM "badEvidence", reason);
		return;
	}

	/* A TPM-enrolled device does not step down to the operating system's word. */
	if (v->tpm && tpm_software_allowed(v, ev.device_id, resp) < 0)
		return;
	if (verifier_spend_nonce(v, &ev, resp) < 0)
		return;

	ar_evidence_appraise(&ev, &v->policy, now, &sm, reason, sizeof(reason));
	if (v->tpm)
		tpm_cap_software(&sm, reason, sizeof(reason));
	/* A device the SOC flagged cannot attest its way back; a verdict that
	 * cannot be read is no licence to sign a better result. */
	if (soc_verdict_caps(daemon_store(&v->stores, &err), ev.device_id, &sm.status, reason,
			     sizeof(reason)) < 0) {
		ar_warn("event=evidence.verdict_unreadable device=%.64s", ev.device_id);
		ar_http_resp_header(resp, "Retry-After", "5");
		problem(resp, 503, VERIFIER_PROBLEM "unavailable",
			"the SOC's verdict on the device cannot be read; retry");
		return;
	}
	cmw = verifier_issue_ear(v, &ev, nonce, &sm, now, &jwt, &err);
	if (!cmw) {
		ar_error("event=ear.sign_failed error=\"%s\"", err.msg);
		problem(resp, 500, VERIFIER_PROBLEM "internal", "cannot sign the attestation result");
		free(jwt);
		return;
	}
	ar_tvec_format(&sm.tv, tv, sizeof(tv));
	ar_info("event=appraisal device=%s status=%s tv=\"%s\" profile=%s identity=%s "
		"nonce=%.8s... reason=%s", ar_log_q(dev, sizeof(dev), ev.device_id),
		ar_status_name(sm.status), tv, v->policy.name, ev.identity_jkt, nonce,
		ar_log_q(rq, sizeof(rq), reason));
	verifier_record_posture(v, &ev, &sm, now, reason);
	alert_index_device(v, daemon_store(&v->stores, &err), ev.device_id, ev.hostname,
			   ar_http_peer(req));
	verifier_metrics_appraisal(v, sm.status);
	free(jwt);
	ar_http_resp_json(resp, 200, "application/cmw+json", cmw);
}

void verifier_handle(void *ctx, const ar_http_req_t *req, ar_http_resp_t *resp)
{
	verifier_t *v = ctx;
	const char *path = ar_http_path(req), *method = ar_http_method(req);
	int get = !strcmp(method, "GET"), post = !strcmp(method, "POST");

	if (post && !strcmp(path, API_PREFIX "newSession")) {
		api_new_session(v, req, resp);
	} else if (post && !strncmp(path, SESSION_PREFIX, strlen(SESSION_PREFIX))) {
		api_evidence(v, path + strlen(SESSION_PREFIX), req, resp);
	} else if (get && !strcmp(path, API_PREFIX "encryption-key")) {
		ar_http_resp_text(resp, 200, "application/jwk+json", v->enc_jwk_text,
				  strlen(v->enc_jwk_text));
	} else if (get && !strcmp(path, API_PREFIX "keys")) {
		ar_http_resp_text(resp, 200, "application/jwk-set+json", v->jwks_text,
				  strlen(v->jwks_text));
	} else if (!strcmp(path, "/soc/alerts")) {
		soc_alert(v, req, resp);
	} else if (post && !strcmp(path, TPM_PREFIX "enroll")) {
		tpm_enroll(v, req, resp);
	} else if (post && !strcmp(path, TPM_PREFIX "activate")) {
		tpm_activate(v, req, resp);
	} else if (!strncmp(path, SOC_PREFIX, strlen(SOC_PREFIX))) {
		const char *dev = path + strlen(SOC_PREFIX);
		const char *slash = strchr(dev, '/');
		char id[160];

		if (!slash || strcmp(slash, "/posture") || (size_t)(slash - dev) >= sizeof(id) ||
		    slash == dev) {
			problem(resp, 404, VERIFIER_PROBLEM "notFound", "no such resource");
			return;
		}
		memcpy(id, dev, (size_t)(slash - dev));
		id[slash - dev] = '\0';
		soc_posture(v, id, req, resp);
	} else if (!strcmp(path, API_PREFIX "newSession") || !strcmp(path, API_PREFIX "keys") ||
		   !strcmp(path, API_PREFIX "encryption-key") ||
		   !strcmp(path, TPM_PREFIX "enroll") || !strcmp(path, TPM_PREFIX "activate") ||
		   !strncmp(path, SESSION_PREFIX, strlen(SESSION_PREFIX))) {
		ar_http_resp_header(resp, "Allow", get ? "POST" : "GET");
		problem(resp, 405, VERIFIER_PROBLEM "methodNotAllowed", "method not allowed");
	} else {
		problem(resp, 404, VERIFIER_PROBLEM "notFound", "no such resource");
	}
}
