/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One enrollment: the order's identifiers are the configured ones plus the
 * remote-attestation hints; each authorization is answered with the
 * challenge this device can win, the key that was attested is the key that
 * is certified, and nothing on disk changes until the new chain is in hand.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "acme.h"
#include "attest.h"
#include "cmw.h"
#include "enroll.h"
#include "evidence_jws.h"
#include "hooks.h"
#include "http01.h"
#include "jwe.h"
#include "log.h"
#include "schedule.h"
#include "tpm_quote.h"
#include "verifier_client.h"

#define ACME_ERR_ATTESTATION	"urn:ietf:params:acme:error:badAttestationStatement"
#define ARI_RETRY_AFTER_ERROR_S	600

static const char *const result_names[] = {
	[ENROLL_OK] = "ok", [ENROLL_POSTURE] = "posture-refused", [ENROLL_REFUSED] = "refused",
	[ENROLL_RETRY] = "unavailable", [ENROLL_LOCAL] = "local-error",
};

static const char *enroll_result_name(enroll_result_t r)
{
	return r <= ENROLL_LOCAL ? result_names[r] : "?";
}

/* What one attempt holds. */
typedef struct attempt {
	const helper_conf_t	*c;
	acme_client_t		acme;
	ar_jwk_t		*account_key;
	devkey_t		device_key;
	http01_t		*http01;
	int			attested;
	char			ear_status[24];	/* what the verifier said, passport model */
} attempt_t;

/* The result a failed step stands for. */
static enroll_result_t classify(const ar_err_t *err)
{
	switch (err->code) {
	case AR_ERR_UNAVAILABLE:
	case AR_ERR_TIMEOUT:
	case AR_ERR_MALFORMED:
	case AR_ERR_TOO_LARGE:
	case AR_ERR_NOT_FOUND:
	case AR_ERR_BAD_NONCE:
		return ENROLL_RETRY;
	case AR_ERR_UNAUTHORIZED:
		return ENROLL_REFUSED;
	default:
		return ENROLL_LOCAL;
	}
}

static void http_opts(const helper_conf_t *c, const char *bundle, http_opts_t *o)
{
	memset(o, 0, sizeof(*o));
	o->ca_bundle = bundle;
	o->connect_ms = (long)c->connect_timeout;
	o->total_ms = (long)c->timeout;
}

/* Evidence about this device bound to @nonce and the device key. */
static int collect(attempt_t *a, const char *nonce, ar_evidence_t *ev, ar_err_t *err)
{
	ar_attest_opts_t o;

	memset(&o, 0, sizeof(o));
	o.root = a->c->root;
	o.device_id = a->c->device_id;
	o.edr_process = a->c->edr;
	o.key = a->device_key.jwk;
	/* A TPM key is reported as one, whatever [verifier] key_storage declares. */
	o.key_storage = a->c->key_store != HELPER_KEY_FILE ? AR_KEY_TPM
							   : (ar_key_storage_t)a->c->key_storage;
	o.override_path = a->c->override;
	if (ar_attest_collect(&o, nonce, (int64_t)time(NULL), ev, err) < 0) {
		ar_err_prefix(err, "collecting evidence: ");
		err->code = AR_ERR_CONFIG;
		return -1;
	}
	ar_info("event=attest.evidence key_storage=%s non_exportable=%s",
		ar_key_storage_name(ev->key_storage), ev->key_non_exportable == 1 ? "yes" : "no");
	return 0;
}

/* key_store = tpm-certified: the TPM's AK, CSR key and evidence sources. */
static void tpm_conf(const helper_conf_t *c, tpm_quote_conf_t *q)
{
	memset(q, 0, sizeof(*q));
	q->tcti = c->tpm_tcti;
	q->ak_handle = c->tpm_ak_handle;
	q->key_handle = c->tpm_key_handle;
	q->srk_handle = c->tpm_srk_handle;
	q->pcr_mask = c->tpm_pcr_mask;
	q->boot_log = c->tpm_boot_log;
	q->ima_list = c->tpm_ima_list;
}

/*
 * TPM evidence (key_store = tpm-certified): the posture document, with the
 * AK's TPM2_Certify of the CSR key and its quote, both bound to the
 * session's nonce and the posture (docs/evidence.md), as a CMW collection.
 * The text (malloc'd), or NULL.
 */
static char *tpm_body(attempt_t *a, const ar_evidence_t *ev, const vp_session_t *s,
		      ar_err_t *err)
{
	json_t *doc = ar_evidence_to_json(ev);
	char *posture = doc ? json_dumps(doc, JSON_COMPACT) : NULL, *body;
	tpm_quote_conf_t q;
	size_t len;

	json_decref(doc);
	if (!posture) {
		ar_err_set(err, AR_ERR_NOMEM, "out of memory");
		return NULL;
	}
	tpm_conf(a->c, &q);
	body = tpm_quote_evidence(&q, s->nonce, posture, strlen(posture), &len, err);
	free(posture);
	if (!body)
		err->code = AR_ERR_CONFIG;
	return body;
}

/*
 * key_store = tpm-certified: the key at the persistent handle (made there
 * the first time, under the SRK, its TSS2 key file DIR/tpm-key.tss2.pem),
 * whose public key and wrapped form are all the helper ever holds.
 */
static int certified_key(attempt_t *a, ar_err_t *err)
{
	char key_file[1100];
	tpm_quote_conf_t q;
	EVP_PKEY *pub = NULL;

	tpm_conf(a->c, &q);
	snprintf(key_file, sizeof(key_file), "%s/" CS_TPM_KEY_FILE, a->c->dir);
	q.key_file = key_file;
	if (tpm_quote_key_ex(&q, &pub, &a->device_key.wrapped, err) < 0) {
		ar_err_prefix(err, "the TPM's CSR key: ");
		err->code = AR_ERR_CONFIG;
		return -1;
	}
	a->device_key.jwk = ar_jwk_from_pkey(pub, err);
	EVP_PKEY_free(pub);
	if (!a->device_key.jwk)
		return -1;
	a->device_key.handle = q.key_handle;
	ar_info("event=key.tpm handle=0x%08" PRIx32 " jkt=%s", q.key_handle,
		ar_jwk_thumbprint(a->device_key.jwk));
	return 0;
}

/*
 * Passport model: the verifier's EAR for the challenge's nonce, as a CMW
 * record. The evidence is signed by the account key: External Account
 * Binding enrolled it as this device's identity when the account was made.
 */
static json_t *passport(attempt_t *a, const acme_chall_t *ch, ar_err_t *err)
{
	verifier_client_t vc = { 0 };
	http_opts_t ho;
	vp_session_t s;
	ar_evidence_t ev;
	ar_ear_t ear;
	json_t *cmw = NULL;
	char *body = NULL, *jwt = NULL;

	http_opts(a->c, a->c->verifier_ca_bundle, &ho);
	if (vc_open(&vc, a->c->verifier_url, &ho, err) < 0)
		return NULL;
	if (vc_new_session(&vc, ch->freshness_nonce, &s, err) < 0) {
		ar_err_prefix(err, "verifier session: ");
		goto out;
	}
	if (collect(a, s.nonce, &ev, err) < 0)
		goto out;
	body = a->c->key_store == HELPER_KEY_TPM_CERTIFIED ? tpm_body(a, &ev, &s, err)
							   : ar_evidence_sign(&ev, a->account_key, err);
	if (!body) {
		ar_err_prefix(err, "signing evidence: ");
		goto out;
	}
	if (vc_submit(&vc, &s, a->c->key_store == HELPER_KEY_TPM_CERTIFIED ? VP_MT_CMW
			: AR_MT_EVIDENCE_JWS, body, strlen(body), &jwt, err) < 0) {
		ar_err_prefix(err, "verifier: ");
		goto out;
	}
	if (vp_ear_peek(jwt, strlen(jwt), &ear, err) < 0) {
		ar_err_prefix(err, "verifier result: ");
		goto out;
	}
	snprintf(a->ear_status, sizeof(a->ear_status), "%s", ar_status_name(ar_ear_status(&ear)));
	ar_info("event=attest.result model=passport status=%s", a->ear_status);
	cmw = ar_cmw_record(ear.profile == AR_EAR_PROFILE_IETF03 ? AR_MT_EAR_IETF : AR_MT_EAR, jwt,
			    strlen(jwt), AR_CMW_IND_RESULTS);
	if (!cmw)
		ar_err_set(err, AR_ERR_NOMEM, "out of memory");
out:
	free(jwt);
	free(body);
	vc_close(&vc);
	return cmw;
}

/*
 * The evidence as the background-check model carries it: signed by the
 * account key (the device's enrolled identity), wrapped in its CMW record,
 * encrypted to the verifier.
 */
static json_t *seal_evidence(const ar_evidence_t *ev, const ar_jwk_t *identity,
			     const ar_jwk_t *enc, ar_err_t *err)
{
	char *jws = ar_evidence_sign(ev, identity, err), *text = NULL;
	json_t *rec = jws ? ar_evidence_cmw_wrap(jws) : NULL, *jwe = NULL;

	if (!jws)
		ar_err_prefix(err, "signing evidence: ");
	else if (!rec || !(text = json_dumps(rec, JSON_COMPACT)))
		ar_err_set(err, AR_ERR_NOMEM, "out of memory");
	else
		jwe = ar_jwe_encrypt(text, strlen(text), enc, "application/cmw+json", err);
	free(text);
	json_decref(rec);
	free(jws);
	return jwe;
}

/* Background-check model: the evidence, encrypted to verifierEncryptionCredential. */
static json_t *sealed(attempt_t *a, const acme_chall_t *ch, ar_err_t *err)
{
	http_client_t *hc;
	http_opts_t ho;
	http_resp_t r;
	ar_evidence_t ev;
	ar_jwk_t *enc = NULL;
	json_t *jwe = NULL;

	if (!ch->enc_credential[0]) {
		ar_err_set(err, AR_ERR_UNAUTHORIZED, "the challenge names no "
			   "verifierEncryptionCredential: the CA does not take background-check");
		return NULL;
	}
	http_opts(a->c, a->c->verifier_ca_bundle, &ho);
	ho.max_body = AR_JWK_MAX_TEXT;
	hc = http_client_new(&ho, err);
	if (!hc)
		return NULL;
	if (http_request(hc, "GET", ch->enc_credential, NULL, NULL, 0, "application/jwk+json", &r,
			 err) < 0) {
		ar_err_prefix(err, "verifierEncryptionCredential: ");
		goto out;
	}
	if (r.status == 200)
		enc = ar_jwk_parse_text(r.body, r.len, AR_JWK_PUBLIC_ONLY, err);
	else
		ar_err_set(err, AR_ERR_UNAVAILABLE, "verifierEncryptionCredential: HTTP %ld", r.status);
	http_resp_free(&r);
	if (!enc || collect(a, ch->freshness_nonce, &ev, err) < 0)
		goto out;
	jwe = seal_evidence(&ev, a->account_key, enc, err);
	if (jwe)
		ar_info("event=attest.sealed model=background-check");
out:
	ar_jwk_free(enc);
	http_client_free(hc);
	return jwe;
}

static const acme_chall_t *find_chall(const acme_authz_t *az, const char *type)
{
	size_t i;

	for (i = 0; i < az->nchall; i++)
		if (!strcmp(az->chall[i].type, type))
			return &az->chall[i];
	return NULL;
}

/* Win one authorization. Returns an enroll_result_t. */
static enroll_result_t authorize(attempt_t *a, const char *url, ar_err_t *err)
{
	acme_authz_t az;
	const acme_chall_t *ch;
	acme_chall_t answer;
	json_t *payload = NULL;
	int attest;

	if (acme_get_authz(&a->acme, url, &az, err) < 0)
		return classify(err);
	if (az.status == ACME_VALID)
		return ENROLL_OK;
	if (az.status != ACME_PENDING) {
		ar_err_set(err, AR_ERR_UNAUTHORIZED, "authorization for %s:%s is %s", az.id.type,
			   az.id.value, acme_status_name(az.status));
		return ENROLL_REFUSED;
	}
	attest = !strcmp(az.id.type, AR_ID_ATTESTATION);
	ch = find_chall(&az, attest ? "remote-attest-01" : "http-01");
	if (!ch) {
		ar_err_set(err, AR_ERR_UNAUTHORIZED, "the CA offers no %s challenge for %s:%s",
			   attest ? "remote-attest-01" : "http-01", az.id.type, az.id.value);
		return ENROLL_REFUSED;
	}
	if (ch->status == ACME_PENDING) {
		if (attest && !ch->freshness_nonce[0]) {
			ar_err_set(err, AR_ERR_MALFORMED, "remote-attest-01 without freshness_nonce");
			return ENROLL_RETRY;
		}
		if (attest)
			payload = a->c->model == HELPER_MODEL_BACKGROUND ? sealed(a, ch, err)
									  : passport(a, ch, err);
		else if (!a->http01)
			ar_err_set(err, AR_ERR_CONFIG, "%s:%s needs http-01: set [device] "
				   "http01_listen", az.id.type, az.id.value);
		else if (http01_add(a->http01, ch->token, ar_jwk_thumbprint(a->account_key),
				    err) == 0)
			payload = json_object();
		if (!payload)
			return err->code == AR_ERR_UNAUTHORIZED ? ENROLL_REFUSED : classify(err);
		ar_info("event=challenge.answer type=%s identifier=%s:%s", ch->type, az.id.type,
			az.id.value);
		if (acme_respond(&a->acme, ch->url, payload, &answer, err) < 0) {
			json_decref(payload);
			return classify(err);
		}
		json_decref(payload);
		a->attested |= attest;
	}
	if (acme_wait_authz(&a->acme, url, (int)(a->c->validation_timeout / 1000), &az, err) < 0)
		return classify(err);
	if (az.status == ACME_VALID)
		return ENROLL_OK;
	ch = find_chall(&az, attest ? "remote-attest-01" : "http-01");
	ar_err_set(err, AR_ERR_UNAUTHORIZED, "%s for %s:%s refused: %s%s%s", ch ? ch->type : "?",
		   az.id.type, az.id.value[0] ? az.id.value : "\"\"",
		   ch && ch->error.type[0] ? ch->error.type : "", ch && ch->error.detail[0] ? ": " : "",
		   ch ? ch->error.detail : "");
	if (a->ear_status[0] && attest)
		ar_err_prefix(err, "the verifier found this device %s; ", a->ear_status);
	return attest && ch && !strcmp(ch->error.type, ACME_ERR_ATTESTATION) ? ENROLL_POSTURE
									      : ENROLL_REFUSED;
}

/* The order, won and finalized; @pem gets the chain. */
static enroll_result_t order(attempt_t *a, const cs_cert_t *current, char **pem, ar_err_t *err)
{
	char url[ACME_URL_MAX];
	unsigned char *csr = NULL;
	size_t i, csr_len;
	acme_order_t o;
	enroll_result_t rc;
	const char *replaces = current && current->certid[0] && a->acme.dir.renewal_info[0]
			       ? current->certid : NULL;

	if (acme_new_order(&a->acme, a->c->ids, a->c->nids, replaces, url, &o, err) < 0) {
		if (!replaces || !acme_problem_is(&a->acme.problem, "alreadyReplaced"))
			return classify(err);
		/* An earlier attempt replaced it already: order afresh. */
		if (acme_new_order(&a->acme, a->c->ids, a->c->nids, NULL, url, &o, err) < 0)
			return classify(err);
	}
	ar_info("event=order.created authorizations=%zu replaces=%s", o.nauthz,
		replaces ? "yes" : "no");
	for (i = 0; i < o.nauthz; i++) {
		rc = authorize(a, o.authz[i], err);
		if (rc != ENROLL_OK)
			return rc;
	}
	if (acme_get_order(&a->acme, url, &o, err) < 0)
		return classify(err);
	if (o.status != ACME_READY && o.status != ACME_VALID) {
		ar_err_set(err, AR_ERR_UNAUTHORIZED, "order is %s after its authorizations: %s %s",
			   acme_status_name(o.status), o.error.type, o.error.detail);
		return ENROLL_REFUSED;
	}
	if (o.status == ACME_READY) {
		if (a->device_key.handle ? devkey_handle_csr(&a->device_key, a->c->tpm_tcti,
							     a->c->ids, a->c->nids, &csr,
							     &csr_len, err) < 0
		    : ar_csr_make(devkey_pkey(&a->device_key), a->c->ids, a->c->nids, &csr, &csr_len,
				  err) < 0)
			return ENROLL_LOCAL;
		rc = acme_finalize(&a->acme, url, &o, csr, csr_len,
				   (int)(a->c->validation_timeout / 1000), err) < 0
		     ? classify(err) : ENROLL_OK;
		OPENSSL_free(csr);
		if (rc != ENROLL_OK)
			return rc;
	}
	return acme_download(&a->acme, o.certificate, pem, err) < 0 ? classify(err) : ENROLL_OK;
}

/* Keys, account, listener; then the order. */
static enroll_result_t attempt(attempt_t *a, const cs_cert_t *current, char **pem, ar_err_t *err)
{
	http_opts_t ho;

	if (cs_init(a->c->dir, err) < 0 || cs_check_room(a->c->dir, err) < 0 ||
	    !(a->account_key = cs_account_key(a->c->dir, a->c->account_key, err)))
		return ENROLL_LOCAL;
	if (a->c->key_store == HELPER_KEY_TPM_CERTIFIED) {
		if (certified_key(a, err) < 0)
			return ENROLL_LOCAL;
	} else {
		if (a->c->key_store == HELPER_KEY_TPM && devkey_tpm_init(a->c->tpm_tcti, err) < 0)
			return ENROLL_LOCAL;
		if (a->c->reuse_key && current && cs_live_key(a->c->dir, &a->device_key, err) < 0)
			ar_warn("event=key.reuse_failed error=\"%s\" action=new-key", err->msg);
		if (!a->device_key.jwk &&
		    devkey_generate(a->c->key_store == HELPER_KEY_TPM, &a->device_key, err) < 0)
			return ENROLL_LOCAL;
	}
	http_opts(a->c, a->c->acme_ca_bundle, &ho);
	if (acme_open(&a->acme, a->c->directory, &ho, a->account_key, err) < 0)
		return err->code == AR_ERR_CONFIG ? ENROLL_LOCAL : ENROLL_RETRY;
	if (a->acme.dir.eab_required && !a->c->eab_kid) {
		ar_err_set(err, AR_ERR_CONFIG, "the CA requires External Account Binding: set [acme] "
			   "eab_kid and eab_hmac_file");
		return ENROLL_LOCAL;
	}
	if (acme_account(&a->acme, a->c->eab_kid, a->c->eab_hmac, a->c->contact, err) < 0)
		return err->code == AR_ERR_CONFIG ? ENROLL_LOCAL : classify(err);
	if (a->c->http01_listen &&
	    !(a->http01 = http01_start(a->c->http01_addr, a->c->http01_port, err)))
		return ENROLL_LOCAL;
	return order(a, current, pem, err);
}

static void hook_common(hook_env_t *e, const helper_conf_t *c, const char *reason)
{
	char path[1100];

	hook_env_add(e, "REASON", reason);
	snprintf(path, sizeof(path), "%s/live/cert.pem", c->dir);
	hook_env_add(e, "CERT", path);
	snprintf(path, sizeof(path), "%s/live/key.pem", c->dir);
	hook_env_add(e, "KEY", path);
	snprintf(path, sizeof(path), "%s/live/chain.pem", c->dir);
	hook_env_add(e, "CHAIN", path);
	snprintf(path, sizeof(path), "%s/live/fullchain.pem", c->dir);
	hook_env_add(e, "FULLCHAIN", path);
}

static uint32_t random32(void)
{
	uint32_t r = 0;

	if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
		r = (uint32_t)time(NULL) * 2654435761u;
	return r;
}

enroll_result_t enroll_run(const helper_conf_t *c, const char *reason, cs_cert_t *cert,
			   ar_err_t *err)
{
	attempt_t a;
	cs_cert_t current;
	cs_state_t st;
	ar_err_t serr = { 0 };
	hook_env_t env = { 0 };
	enroll_result_t rc;
	char *pem = NULL, num[32];
	int have;
	int64_t now = time(NULL);

	memset(&a, 0, sizeof(a));
	a.c = c;
	if (cs_init(c->dir, err) < 0)
		return ENROLL_LOCAL;
	if (cs_state_load(c->dir, &st, &serr) < 0) {
		ar_warn("event=state.unreadable error=\"%s\"", serr.msg);
		memset(&st, 0, sizeof(st));
	}
	have = cs_live_cert(c->dir, &current, &serr);
	ar_info("event=renew.start reason=%s current=%s", reason, have == 1 ? current.serial : "none");
	rc = attempt(&a, have == 1 ? &current : NULL, &pem, err);
	if (rc == ENROLL_OK && cs_install(c->dir, &a.device_key, pem, cert, err) < 0)
		rc = ENROLL_LOCAL;
	free(pem);
	http01_stop(a.http01);
	acme_close(&a.acme);
	devkey_free(&a.device_key);
	ar_jwk_free(a.account_key);

	st.last_attempt = now;
	if (rc == ENROLL_OK) {
		st.last_success = time(NULL);
		if (a.attested)
			st.posture_at = st.last_success;
		st.failures = 0;
		st.last_error[0] = '\0';
		st.have_window = 0;
		st.ari_next_poll = st.last_success;	/* ask for the new certificate's window */
		st.draw = random32();
		ar_info("event=renew.done reason=%s serial=%s not_after=%" PRId64 " attested=%s "
			"bad_nonce_retries=%u", reason, cert->serial, cert->not_after,
			a.attested ? "yes" : "no", a.acme.bad_nonces);
	} else {
		st.failures++;
		st.last_failure = time(NULL);
		st.jitter = random32();
		snprintf(st.last_error, sizeof(st.last_error), "%s", err->msg);
		ar_error("event=renew.failed reason=%s result=%s failures=%u error=\"%s\"", reason,
			 enroll_result_name(rc), st.failures, err->msg);
	}
	if (cs_state_save(c->dir, &st, &serr) < 0)
		ar_error("event=state.save_failed error=\"%s\"", serr.msg);

	hook_common(&env, c, reason);
	if (rc == ENROLL_OK && c->post_renew) {
		hook_env_add(&env, "EVENT", "renewed");
		hook_env_add(&env, "SERIAL", cert->serial);
		snprintf(num, sizeof(num), "%" PRId64, cert->not_after);
		hook_env_add(&env, "NOT_AFTER", num);
		(void)hook_run("post_renew", c->post_renew, &env, (long)c->hook_timeout);
	} else if (rc != ENROLL_OK && c->on_failure) {
		hook_env_add(&env, "EVENT", "failure");
		hook_env_add(&env, "RESULT", enroll_result_name(rc));
		hook_env_add(&env, "ERROR", err->msg);
		snprintf(num, sizeof(num), "%u", st.failures);
		hook_env_add(&env, "FAILURES", num);
		(void)hook_run("on_failure", c->on_failure, &env, (long)c->hook_timeout);
	}
	return rc;
}

int enroll_ari_poll(const helper_conf_t *c, const cs_cert_t *cert, ar_err_t *err)
{
	acme_client_t acme;
	acme_ari_t ari;
	http_opts_t ho;
	cs_state_t st;
	long retry = -1;
	int rc = -1;
	int64_t next;

	if (cs_state_load(c->dir, &st, NULL) < 0)
		memset(&st, 0, sizeof(st));
	http_opts(c, c->acme_ca_bundle, &ho);
	if (acme_open(&acme, c->directory, &ho, NULL, err) == 0) {
		if (!cert->certid[0])
			ar_err_set(err, AR_ERR_NOT_FOUND, "the certificate has no AKI: no certID");
		else
			rc = acme_renewal_info(&acme, cert->certid, &ari, &retry, err);
	}
	acme_close(&acme);
	if (rc == 0) {
		st.have_window = 1;
		st.window_start = ari.start;
		st.window_end = ari.end;
		ar_info("event=ari.window start=%" PRId64 " end=%" PRId64 " retry_after=%ld",
			ari.start, ari.end, retry);
	} else {
		ar_warn("event=ari.failed error=\"%s\"", err->msg);
	}
	if (!acme.dir.renewal_info[0] && rc < 0 && err->code == AR_ERR_NOT_FOUND) {
		st.ari_next_poll = 0;		/* the CA has no ARI: stop asking */
	} else {
		/* After a failed poll ask again in 10 minutes (within the bounds), not 6 hours. */
		next = sched_ari_interval(rc == 0 || retry >= 0 ? retry : ARI_RETRY_AFTER_ERROR_S,
					  c->ari_poll_min / 1000, c->ari_poll_max / 1000);
		st.ari_next_poll = time(NULL) + next;
	}
	if (cs_state_save(c->dir, &st, err) < 0)
		return -1;
	return rc;
}
