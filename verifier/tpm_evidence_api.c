/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TPM evidence posted to a session (application/cmw+json, tpm_cmw.h):
 *
 *  1. decode the collection and the posture document; the posture's nonce
 *     is the session's;
 *  2. the device's enrolled AK (tpm_registry.h): none, or the AK sent
 *     being enrolled for another device, is refused (403) by name;
 *  3. ar_tpm_appraise() with the enrolled AK, the qualifying data of the
 *     session's nonce and the posture, the AK's last clock and the device's
 *     IMA position: a failed signature is an EAR whose instance-identity is
 *     99 (not recorded: nobody proved to be the device); other failures are
 *     problems, and change nothing;
 *  4. the clock advanced in the registry by compare-and-set, the nonce spent;
 *  5. the reference values (tpm_policy.h) over the replayed boot log, and
 *     the AR4SI vector, into a recorded, signed EAR whose cnf.jkt is the
 *     certified key's thumbprint.
 *
 * IMA positions are kept in this process's memory (tpm_ima_cache): a cache
 * only. A replica or a restart without it replays the device's list from
 * its start, which costs time, never correctness; the clock, which is what
 * stops replays, is in Redis.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "b64.h"
#include "log.h"
#include "tpm_cmw.h"
#include "tpm_policy.h"
#include "tpm_registry.h"
#include "verifier.h"

#define CACHE_SLOTS	1024

typedef struct cache_slot {
	char		device[AR_STORE_DEVICE_MAX + 1];
	uint8_t		ak_name[AR_TPM_REG_NAME_MAX];
	size_t		ak_name_len;
	ar_ima_state_t	ima;
} cache_slot_t;

struct tpm_ima_cache {
	pthread_mutex_t	lock;
	cache_slot_t	slot[CACHE_SLOTS];
};

static size_t slot_of(const char *device)
{
	uint32_t h = 2166136261u;

	for (; *device; device++)
		h = (h ^ (uint8_t)*device) * 16777619u;
	return h % CACHE_SLOTS;
}

static void cache_get(struct tpm_ima_cache *c, const char *device, const ar_tpm_enrolled_t *e,
		      ar_ima_state_t *out)
{
	cache_slot_t *s = &c->slot[slot_of(device)];

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&c->lock);
	if (!strcmp(s->device, device) && s->ak_name_len == e->ak_name_len &&
	    !memcmp(s->ak_name, e->ak_name, e->ak_name_len))
		*out = s->ima;
	pthread_mutex_unlock(&c->lock);
}

static void cache_put(struct tpm_ima_cache *c, const char *device, const ar_tpm_enrolled_t *e,
		      const ar_ima_state_t *st)
{
	cache_slot_t *s = &c->slot[slot_of(device)];

	pthread_mutex_lock(&c->lock);
	snprintf(s->device, sizeof(s->device), "%s", device);
	memcpy(s->ak_name, e->ak_name, e->ak_name_len);
	s->ak_name_len = e->ak_name_len;
	s->ima = *st;
	pthread_mutex_unlock(&c->lock);
}

int tpm_evidence_load(verifier_t *v, ar_err_t *err)
{
	if (!v->conf.tpm_policy)
		return 0;
	v->tpm = calloc(1, sizeof(*v->tpm));
	v->ima_cache = calloc(1, sizeof(*v->ima_cache));
	if (!v->tpm || !v->ima_cache)
		return ar_err_set(err, AR_ERR_NOMEM, "out of memory");
	pthread_mutex_init(&v->ima_cache->lock, NULL);
	return ar_tpm_refpolicy_load(v->conf.tpm_policy, v->tpm, err);
}

void tpm_evidence_free(verifier_t *v)
{
	if (v->tpm)
		ar_tpm_refpolicy_free(v->tpm);
	free(v->tpm);
	if (v->ima_cache)
		pthread_mutex_destroy(&v->ima_cache->lock);
	free(v->ima_cache);
	v->tpm = NULL;
	v->ima_cache = NULL;
}

void tpm_cap_software(ar_ear_submod_t *sm, char *reason, size_t size)
{
	size_t i, n;
	int capped = 0;

	for (i = 0; i < AR_TV_COUNT; i++)
		if (ar_tv_tier(sm->tv.v[i]) == AR_STATUS_AFFIRMING) {
			sm->tv.v[i] = 32;
			capped = 1;
		}
	sm->status = ar_ear_submod_status(sm);
	n = strlen(reason);
	if (capped && n + 1 < size)
		snprintf(reason + n, size - n, "%ssoftware evidence: at most warning (no TPM)",
			 n ? "; " : "");
}

/* The AK registry cannot be read: 503, fail closed. */
static void registry_down(ar_http_resp_t *resp, const ar_err_t *err)
{
	ar_warn("event=evidence.store_unavailable error=\"%s\"", err->msg);
	ar_http_resp_header(resp, "Retry-After", "5");
	ar_http_resp_problem(resp, 503, VERIFIER_PROBLEM "unavailable", "%s",
			     "the AK registry cannot be reached; retry");
}

int tpm_software_allowed(verifier_t *v, const char *device, ar_http_resp_t *resp)
{
	ar_tpm_enrolled_t enrolled;
	ar_err_t err = { 0 };
	ar_store_t *st;

	st = daemon_store(&v->stores, &err);
	switch (st ? ar_tpm_registry_get(st, device, &enrolled, &err) : AR_TPM_INTERNAL) {
	case AR_TPM_AK_NOT_ENROLLED:
		return 0;
	case AR_TPM_OK:
		verifier_refused(device, "tpm-required", "software evidence from a TPM-enrolled device");
		ar_http_resp_problem(resp, 403, VERIFIER_PROBLEM "tpmRequired",
				     "device %s enrolled a TPM attestation key: it attests with TPM "
				     "evidence (application/cmw+json), signed JSON evidence is refused",
				     device);
		return -1;
	default:
		registry_down(resp, &err);
		return -1;
	}
}

/* One request's state. */
typedef struct tpm_req {
	verifier_t		*v;
	ar_http_resp_t		*resp;
	ar_store_t		*st;
	ar_tpm_cmw_t		cmw;
	ar_evidence_t		ev;		/* the posture, and what was proven */
	char			nonce[2 * SESSION_NONCE_MAX];
	ar_tpm_enrolled_t	enrolled;
	ar_tpm_key_t		ak;
	ar_tpm_result_t		res;
	ar_tpm_device_state_t	state;
} tpm_req_t;

static void refuse(tpm_req_t *t, int status, const char *type, const char *why,
		   const char *detail)
{
	char full[96];

	snprintf(full, sizeof(full), VERIFIER_PROBLEM "%s", type);
	verifier_refused(t->ev.device_id, why, detail);
	ar_http_resp_problem(t->resp, status, full, "%s", detail);
}

/* Steps 1: the collection, the posture, the nonce. */
static int decode(tpm_req_t *t, const session_t *s, const ar_http_req_t *req)
{
	ar_err_t err = { 0 };
	const char *body;
	size_t blen;

	body = ar_http_body(req, &blen);
	if (ar_tpm_cmw_decode(body, blen, &t->cmw, &err) < 0) {
		refuse(t, err.code == AR_ERR_TOO_LARGE ? 413 : 400, "badEvidence", "malformed",
		       err.msg);
		return -1;
	}
	if (ar_evidence_parse(t->cmw.posture, t->cmw.posture_len, &t->ev, &err) < 0) {
		ar_err_prefix(&err, "posture: ");
		refuse(t, 400, "badEvidence", "malformed", err.msg);
		return -1;
	}
	ar_b64url_encode(s->nonce, s->nonce_len, t->nonce, sizeof(t->nonce));
	if (!ar_nonce_equal(t->ev.nonce, t->nonce)) {
		refuse(t, 400, "badNonce", "nonce", "posture nonce does not match the session nonce");
		return -1;
	}
	return 0;
}

/* The AK the device sent is enrolled for someone else: name the refusal. */
static int other_owner(tpm_req_t *t, char owner[AR_STORE_DEVICE_MAX + 1])
{
	ar_tpm_key_t sent;
	ar_err_t err = { 0 };
	ar_tpm_reason_t r;

	if (ar_tpm_key_decode(t->cmw.ak, t->cmw.ak_len, &sent, &err) != AR_TPM_OK)
		return 0;
	r = ar_tpm_registry_owner(t->st, sent.name, sent.name_len, owner, &err);
	ar_tpm_key_clear(&sent);
	return r == AR_TPM_OK && strcmp(owner, t->ev.device_id) != 0;
}

/* Step 2: the enrolled AK. */
static int enrolled_ak(tpm_req_t *t)
{
	char owner[AR_STORE_DEVICE_MAX + 1], d[400];
	ar_err_t err = { 0 };
	ar_tpm_reason_t r;

	t->st = daemon_store(&t->v->stores, &err);
	if (!t->st) {
		registry_down(t->resp, &err);
		return -1;
	}
	if (ar_store_device_valid(t->ev.device_id, &err) < 0) {
		refuse(t, 400, "badEvidence", "malformed", err.msg);
		return -1;
	}
	r = ar_tpm_registry_get(t->st, t->ev.device_id, &t->enrolled, &err);
	if (r == AR_TPM_INTERNAL) {
		registry_down(t->resp, &err);
		return -1;
	}
	if (other_owner(t, owner)) {
		snprintf(d, sizeof(d), "tpm_ak_other_device: the AK that signed is enrolled for "
			 "device %.128s, not %.128s", owner, t->ev.device_id);
		refuse(t, 403, "unenrolledDevice", "ak-other-device", d);
		return -1;
	}
	if (r == AR_TPM_AK_NOT_ENROLLED) {
		snprintf(d, sizeof(d), "tpm_ak_not_enrolled: device %.128s has no enrolled AK: "
			 "enrol its TPM first", t->ev.device_id);
		refuse(t, 403, "unenrolledDevice", "ak-not-enrolled", d);
		return -1;
	}
	if (ar_tpm_key_decode(t->enrolled.ak_pub, t->enrolled.ak_pub_len, &t->ak, &err) !=
	    AR_TPM_OK) {
		ar_error("event=tpm.registry_bad_ak device=%.64s error=\"%s\"", t->ev.device_id,
			 err.msg);
		ar_http_resp_problem(t->resp, 500, VERIFIER_PROBLEM "internal", "%s",
				     "the device's enrolled AK cannot be read");
		return -1;
	}
	return 0;
}

/* Map a refused appraisal; returns 1 when an EAR should still be signed (IMA, signature). */
static int appraisal_refused(tpm_req_t *t, ar_tpm_reason_t r, const ar_err_t *err,
			     ar_ear_submod_t *sm)
{
	switch (r) {
	case AR_TPM_BAD_SIGNATURE:
	case AR_TPM_NOT_GENERATED:
	case AR_TPM_AK_NOT_RESTRICTED:
		sm->tv.v[AR_TV_INSTANCE_IDENTITY] = 99;
		return 1;
	case AR_TPM_IMA_NOT_ALLOWED:
		sm->tv.v[AR_TV_INSTANCE_IDENTITY] = 2;
		sm->tv.v[AR_TV_EXECUTABLES] = 96;
		sm->tv.v[AR_TV_FILE_SYSTEM] = 96;
		return 1;
	case AR_TPM_IMA_NOT_MEASURED:
	case AR_TPM_IMA_NO_BOOT_AGGREGATE:
		/* The quote verified, but the runtime was not measured from the boot on. */
		sm->tv.v[AR_TV_INSTANCE_IDENTITY] = 2;
		sm->tv.v[AR_TV_FILE_SYSTEM] = 96;
		return 1;
	case AR_TPM_NONCE_MISMATCH:
		refuse(t, 400, "badNonce", "nonce", err->msg);
		return 0;
	case AR_TPM_CLOCK_REPLAY:
		refuse(t, 400, "badEvidence", "replay", err->msg);
		return 0;
	case AR_TPM_INTERNAL:
		ar_error("event=tpm.appraise_failed error=\"%s\"", err->msg);
		ar_http_resp_problem(t->resp, 500, VERIFIER_PROBLEM "internal", "%s",
				     "cannot appraise the TPM evidence");
		return 0;
	default:
		refuse(t, 400, "badEvidence", ar_tpm_reason_name(r), err->msg);
		return 0;
	}
}

/* Step 3 and 4: the appraisal, the clock, the nonce. 1: appraised, 0: EAR of a failure, -1: answered. */
static int appraise(tpm_req_t *t, ar_ear_submod_t *sm, char *reason, size_t size)
{
	uint8_t qd[AR_TPM_SHA256_LEN];
	ar_tpm_evidence_t tev;
	ar_err_t err = { 0 };
	ar_tpm_reason_t r;

	if (ar_tpm_qualifying_data(t->nonce, strlen(t->nonce), (const uint8_t *)t->cmw.posture,
				   t->cmw.posture_len, qd, &err) < 0) {
		ar_http_resp_problem(t->resp, 500, VERIFIER_PROBLEM "internal", "%s", err.msg);
		return -1;
	}
	ar_tpm_cmw_evidence(&t->cmw, &tev);
	t->state.seen = t->enrolled.clock_set;
	t->state.clock = t->enrolled.clock;
	cache_get(t->v->ima_cache, t->ev.device_id, &t->enrolled, &t->state.ima);
	r = ar_tpm_appraise(&t->v->tpm->base, &t->ak, &tev, qd, &t->state, &t->res, &err);
	if (r != AR_TPM_OK) {
		snprintf(reason, size, "%s", err.msg);
		return appraisal_refused(t, r, &err, sm) ? 0 : -1;
	}
	r = ar_tpm_registry_clock_advance(t->st, t->ev.device_id, t->enrolled.ak_name,
					  t->enrolled.ak_name_len, &t->res.clock, &err);
	if (r == AR_TPM_INTERNAL) {
		registry_down(t->resp, &err);
		return -1;
	}
	if (r != AR_TPM_OK) {
		refuse(t, r == AR_TPM_CLOCK_REPLAY ? 400 : 403,
		       r == AR_TPM_CLOCK_REPLAY ? "badEvidence" : "unenrolledDevice",
		       ar_tpm_reason_name(r), err.msg);
		return -1;
	}
	if (verifier_spend_nonce(t->v, &t->ev, t->resp) < 0)
		return -1;
	cache_put(t->v->ima_cache, t->ev.device_id, &t->enrolled, &t->state.ima);
	return 1;
}

/* Step 5: the vector of an accepted appraisal; -1 after answering. */
static int judge(tpm_req_t *t, ar_ear_submod_t *sm, char *reason, size_t size)
{
	char jkt[AR_JWK_THUMBPRINT_LEN + 1];
	ar_err_t err = { 0 };
	ar_tvec_t *tv = &sm->tv;

	tv->v[AR_TV_INSTANCE_IDENTITY] = 2;
	tv->v[AR_TV_HARDWARE] = t->enrolled.ek_source == AR_TPM_EK_CERT ? 2 : 0;
	ar_tpm_refpolicy_judge(t->v->tpm, &t->res.log, tv, reason, size);
	/* The IMA list replayed from boot_aggregate and every entry allowed (else no appraisal). */
	if (t->v->tpm->ima) {
		tv->v[AR_TV_FILE_SYSTEM] = 2;
		if (t->res.ima_pending) {	/* measured after the quote: said, not vouched for */
			size_t n = strlen(reason);

			snprintf(reason + n, size - n, "%sima: %llu entries after the quoted PCR 10 "
				 "not appraised yet", n ? "; " : "",
				 (unsigned long long)t->res.ima_pending);
		}
	}
	if (t->res.key.pkey) {
		if (ar_jwk_pkey_thumbprint(t->res.key.pkey, jkt, &err) < 0) {
			ar_http_resp_problem(t->resp, 500, VERIFIER_PROBLEM "internal", "%s", err.msg);
			return -1;
		}
		if (strcmp(jkt, t->ev.key_jkt)) {
			refuse(t, 400, "badEvidence", "key", "posture key.jkt is not the thumbprint "
			       "of the certified key");
			return -1;
		}
		tv->v[AR_TV_STORAGE_OPAQUE] = 2;
		t->ev.key_attested = 1;
	}
	return 0;
}

static void answer(tpm_req_t *t, ar_ear_submod_t *sm, const char *reason, int record)
{
	char tv[96], dev[160], r[AR_STORE_REASON_MAX + 1], rq[2 * AR_STORE_REASON_MAX + 3];
	int64_t now = time(NULL);
	ar_err_t err = { 0 };
	char *jwt = NULL;
	json_t *cmw;

	snprintf(r, sizeof(r), "%s", reason);
	sm->status = ar_ear_submod_status(sm);
	if (record && soc_verdict_caps(t->st, t->ev.device_id, &sm->status, r, sizeof(r)) < 0) {
		ar_http_resp_header(t->resp, "Retry-After", "5");
		ar_http_resp_problem(t->resp, 503, VERIFIER_PROBLEM "unavailable", "%s",
				     "the SOC's verdict on the device cannot be read; retry");
		return;
	}
	cmw = verifier_issue_ear(t->v, &t->ev, t->nonce, sm, now, &jwt, &err);
	if (!cmw) {
		ar_error("event=ear.sign_failed error=\"%s\"", err.msg);
		ar_http_resp_problem(t->resp, 500, VERIFIER_PROBLEM "internal", "%s",
				     "cannot sign the attestation result");
		free(jwt);
		return;
	}
	ar_tvec_format(&sm->tv, tv, sizeof(tv));
	ar_info("event=appraisal device=%s status=%s tv=\"%s\" evidence=tpm recorded=%d "
		"nonce=%.8s... reason=%s", ar_log_q(dev, sizeof(dev), t->ev.device_id),
		ar_status_name(sm->status), tv, record, t->nonce, ar_log_q(rq, sizeof(rq), r));
	verifier_metrics_appraisal(t->v, sm->status);
	if (record)
		verifier_record_posture(t->v, &t->ev, sm, now, r);
	free(jwt);
	ar_http_resp_json(t->resp, 200, "application/cmw+json", cmw);
}

void tpm_evidence(verifier_t *v, const session_t *s, const ar_http_req_t *req,
		  ar_http_resp_t *resp)
{
	char reason[512] = "";
	ar_ear_submod_t sm;
	tpm_req_t *t;
	int rc;

	if (!v->tpm) {
		ar_http_resp_problem(resp, 415, VERIFIER_PROBLEM "unsupportedMediaType", "%s",
				     "this verifier appraises no TPM evidence (no tpm_policy)");
		return;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		ar_http_resp_problem(resp, 500, VERIFIER_PROBLEM "internal", "%s", "out of memory");
		return;
	}
	t->v = v;
	t->resp = resp;
	memset(&sm, 0, sizeof(sm));
	snprintf(sm.name, sizeof(sm.name), "device");
	snprintf(sm.policy_id, sizeof(sm.policy_id), "tpm");
	if (decode(t, s, req) < 0 || enrolled_ak(t) < 0)
		goto out;
	rc = appraise(t, &sm, reason, sizeof(reason));
	if (rc < 0)
		goto out;
	if (rc == 0) {
		/* Signature failures are not the device's word: nothing recorded. */
		answer(t, &sm, reason, sm.tv.v[AR_TV_INSTANCE_IDENTITY] != 99);
		goto out;
	}
	if (judge(t, &sm, reason, sizeof(reason)) == 0)
		answer(t, &sm, reason[0] ? reason : "tpm evidence appraised", 1);
out:
	ar_tpm_result_clear(&t->res);
	ar_tpm_key_clear(&t->ak);
	ar_tpm_cmw_clear(&t->cmw);
	free(t);
}
