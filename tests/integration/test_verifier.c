/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * acme-rats-verifier end to end: a real redis-server and the real daemon on
 * 127.0.0.1 over HTTPS, driven as a device and as the SOC would drive it,
 * and as callers that have no right to speak for a device.
 */
#include "config.h"

#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "lab/lab.h"
#include "evfix.h"
#include "httpc.h"
#include "b64.h"
#include "cmw.h"
#include "ear.h"
#include "evidence.h"
#include "evidence_jws.h"
#include "fileio.h"
#include "jwe.h"
#include "jws.h"
#include "store.h"
#include "tlsraw.h"
#include "vtest.h"

static struct {
	lab_redis_t	redis;
	vtest_t		v;
	lab_redis_t	replica;	/* min_replicas_ack = auto: the verifier waits for it */
	ar_jwk_t	*device_key;
	ar_jwk_t	*identity;	/* the enrolled identity of the SUB-* devices */
	ar_jwks_t	*trusted;
	ar_store_t	*store;
} t;

static int setup(void **state)
{
	ar_store_opts_t so = { .host = "127.0.0.1" };

	(void)state;
	if (lab_init() < 0 || lab_redis_start(&t.redis) < 0 || lab_redis_start(&t.replica) < 0 ||
	    lab_redis_replicate(&t.replica, &t.redis) < 0 ||
	    lab_tmpdir(t.v.dir, sizeof(t.v.dir)) < 0 || vtest_make(&t.v, t.redis.port) < 0 ||
	    vtest_start(&t.v) < 0)
		return -1;
	t.device_key = ar_jwk_generate("ES256", NULL);
	t.identity = ar_jwk_generate("ES256", NULL);
	t.trusted = vtest_keys(&t.v);
	so.port = t.redis.port;
	t.store = ar_store_open(&so, NULL);
	return t.device_key && t.identity && t.trusted && t.store ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	vtest_stop(&t.v);
	ar_store_close(t.store);
	ar_jwks_free(t.trusted);
	ar_jwk_free(t.device_key);
	ar_jwk_free(t.identity);
	lab_redis_stop(&t.replica);
	lab_redis_stop(&t.redis);
	lab_rmtree(t.v.dir);
	return 0;
}

/* Post evidence, expect 200 and a CMW with an EAR that verifies; decode it. */
static void attest(const char *path, const char *ct, const char *body, ar_ear_t *ear)
{
	const ar_cmw_rec_t *rec;
	ar_err_t err = { 0 };
	httpc_resp_t r;
	ar_cmw_t cmw;

	assert_int_equal(vtest_request(&t.v, "POST", path, ct, NULL, body, &r), 0);
	if (r.status != 200)
		fail_msg("status %ld: %s", r.status, r.body);
	assert_string_equal(r.content_type, "application/cmw+json");
	assert_int_equal(ar_cmw_decode(r.body, r.len, &cmw, &err), 0);
	rec = ar_cmw_find(&cmw, AR_CMW_EAR);
	assert_non_null(rec);
	assert_int_equal(rec->ind, AR_CMW_IND_RESULTS);
	if (ar_ear_verify((const char *)rec->value, rec->len, t.trusted, ear, &err) < 0)
		fail_msg("EAR does not verify: %s", err.msg);
	assert_string_equal(ear->kid, "test-verifier-1");
	ar_cmw_clear(&cmw);
	httpc_free(&r);
}

/* Evidence for @device, enrolled with t.identity (enrolled here if it is not), signed by it. */
static char *evidence(const char *nonce, const char *device, int64_t patched)
{
	char *jws;

	assert_int_equal(evfix_enroll(t.store, device, t.identity), 1);
	jws = evfix_signed(nonce, device, t.device_key, patched, t.identity);
	assert_non_null(jws);
	return jws;
}

static ar_jwk_t *encryption_key(void)
{
	httpc_resp_t r;
	ar_jwk_t *enc;

	assert_int_equal(vtest_request(&t.v, "GET", "/challenge-response/v1/encryption-key", NULL,
				       NULL, NULL, &r), 0);
	assert_int_equal(r.status, 200);
	enc = ar_jwk_parse_text(r.body, r.len, AR_JWK_PUBLIC_ONLY, NULL);
	assert_non_null(enc);
	httpc_free(&r);
	return enc;
}

/* What an attacker must not change: the device's posture record and the stream. */
typedef struct snapshot {
	int			have;
	ar_store_posture_t	posture;
	char			last_event[AR_STORE_EVENT_ID_MAX + 1];
} snapshot_t;

static void snap(const char *device, snapshot_t *sn)
{
	ar_store_event_t ev;
	int n;

	memset(sn, 0, sizeof(*sn));
	sn->have = ar_store_posture_get(t.store, device, &sn->posture, NULL);
	assert_true(sn->have >= 0);
	n = ar_store_event_recent(t.store, &ev, 1, NULL);
	assert_true(n >= 0);
	if (n == 1)
		snprintf(sn->last_event, sizeof(sn->last_event), "%s", ev.id);
}

static void assert_unchanged(const char *device, const snapshot_t *before)
{
	snapshot_t now;

	snap(device, &now);
	assert_int_equal(now.have, before->have);
	assert_memory_equal(&now.posture, &before->posture, sizeof(now.posture));
	assert_string_equal(now.last_event, before->last_event);
}

static void test_new_session_returns_random_nonce_and_location(void **state)
{
	char p1[512], p2[512], n1[128], n2[128];
	uint8_t raw[64];
	size_t len;

	(void)state;
	vtest_new_session(&t.v, NULL, p1, sizeof(p1), n1, sizeof(n1));
	vtest_new_session(&t.v, NULL, p2, sizeof(p2), n2, sizeof(n2));
	assert_string_not_equal(n1, n2);
	assert_string_not_equal(p1, p2);
	assert_int_equal(ar_b64url_decode(n1, strlen(n1), raw, sizeof(raw), &len, NULL), 0);
	assert_int_equal(len, 32);
}

static void test_new_session_takes_relying_party_nonce(void **state)
{
	char path[512], nonce[128];
	httpc_resp_t r;

	(void)state;
	/* Standard base64 in, base64url out: the same 16 bytes. */
	vtest_new_session(&t.v, "?nonce=3q2%2B7wAAAAAAAAAAAAAAAQ%3D%3D", path, sizeof(path), nonce,
			  sizeof(nonce));
	assert_string_equal(nonce, "3q2-7wAAAAAAAAAAAAAAAQ");
	assert_int_equal(vtest_request(&t.v, "POST", "/challenge-response/v1/newSession?nonce=AAAA",
				       NULL, NULL, "", &r), 0);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(r.body, "badNonce"));
	httpc_free(&r);
}

static void test_healthy_device_gets_affirming_ear_bound_to_nonce_and_key(void **state)
{
	char path[512], nonce[128], *body;
	ar_store_posture_t p;
	ar_store_event_t ev[4];
	ar_ear_t ear;

	(void)state;
	vtest_new_session(&t.v, NULL, path, sizeof(path), nonce, sizeof(nonce));
	body = evidence(nonce, "SUB-0001", time(NULL) - 5 * 86400);
	attest(path, AR_MT_EVIDENCE_JWS, body, &ear);
	free(body);
	assert_true(ar_nonce_equal(ear.nonce, nonce));
	assert_string_equal(ear.jkt, ar_jwk_thumbprint(t.device_key));
	assert_string_equal(ear.subject, "SUB-0001");
	assert_int_equal(ar_ear_status(&ear), AR_STATUS_AFFIRMING);
	assert_true(ear.exp > ear.iat);

	assert_int_equal(ar_store_posture_get(t.store, "SUB-0001", &p, NULL), 1);
	assert_int_equal(p.status, AR_STATUS_AFFIRMING);
	assert_string_equal(p.profile, "substation");
	assert_true(ar_store_event_recent(t.store, ev, 4, NULL) >= 1);
	assert_string_equal(ev[0].type, "appraisal");
	assert_string_equal(ev[0].device, "SUB-0001");
}

static void test_unpatched_device_is_contraindicated(void **state)
{
	char path[512], nonce[128], *body;
	ar_store_posture_t p;
	ar_ear_t ear;

	(void)state;
	vtest_new_session(&t.v, NULL, path, sizeof(path), nonce, sizeof(nonce));
	body = evidence(nonce, "SUB-0002", time(NULL) - 120 * 86400);
	attest(path, AR_MT_EVIDENCE_JWS, body, &ear);
	free(body);
	assert_int_equal(ar_ear_status(&ear), AR_STATUS_CONTRAINDICATED);
	assert_int_equal(ar_store_posture_get(t.store, "SUB-0002", &p, NULL), 1);
	assert_int_equal(p.status, AR_STATUS_CONTRAINDICATED);
	assert_non_null(strstr(p.reason, "120 days ago"));
}

static void test_lapsing_patch_level_is_warning(void **state)
{
	char path[512], nonce[128], *body;
	ar_ear_t ear;

	(void)state;
	vtest_new_session(&t.v, NULL, path, sizeof(path), nonce, sizeof(nonce));
	body = evidence(nonce, "SUB-0003", time(NULL) - 70 * 86400);
	attest(path, AR_MT_EVIDENCE_JWS, body, &ear);
	free(body);
	assert_int_equal(ar_ear_status(&ear), AR_STATUS_WARNING);
}

static void expect_problem(const char *method, const char *path, const char *ct,
			   const char *bearer, const char *body, long status, const char *needle)
{
	httpc_resp_t r;

	assert_int_equal(vtest_request(&t.v, method, path, ct, bearer, body, &r), 0);
	if (r.status != status || !strstr(r.body, needle))
		fail_msg("%s %s: want %ld \"%s\", got %ld %s", method, path, status, needle,
			 r.status, r.body);
	if (status >= 400)
		assert_string_equal(r.content_type, "application/problem+json");
	httpc_free(&r);
}

static void test_evidence_for_another_nonce_is_refused(void **state)
{
	char path[512], nonce[128], *body;

	(void)state;
	vtest_new_session(&t.v, NULL, path, sizeof(path), nonce, sizeof(nonce));
	body = evidence("AAAAAAAAAAAAAAAAAAAAAA", "SUB-0005", time(NULL));
	expect_problem("POST", path, AR_MT_EVIDENCE_JWS, NULL, body, 400, "does not match the session");
	free(body);
}

static void test_forged_or_unknown_session_is_refused(void **state)
{
	char path[512], nonce[128], *body;

	(void)state;
	vtest_new_session(&t.v, NULL, path, sizeof(path), nonce, sizeof(nonce));
	body = evidence(nonce, "SUB-0006", time(NULL));
	path[strlen(path) - 3] = path[strlen(path) - 3] == 'A' ? 'B' : 'A';
	expect_problem("POST", path, AR_MT_EVIDENCE_JWS, NULL, body, 404, "unknownSession");
	expect_problem("POST", "/challenge-response/v1/session/nonsense", AR_MT_EVIDENCE_JWS, NULL,
		       body, 404, "unknownSession");
	free(body);
}

static void test_bad_media_type_malformed_and_oversized_bodies(void **state)
{
	char path[512], nonce[128], *big;

	(void)state;
	vtest_new_session(&t.v, NULL, path, sizeof(path), nonce, sizeof(nonce));
	expect_problem("POST", path, "text/plain", NULL, "{}", 415, "unsupportedMediaType");
	expect_problem("POST", path, AR_MT_EVIDENCE_JWS, NULL, "{\"nonce\":1}", 400, "badEvidence");
	expect_problem("POST", path, "application/jose+json", NULL, "{}", 400, "encrypted evidence");
	big = malloc(40 * 1024 + 1);
	assert_non_null(big);
	memset(big, ' ', 40 * 1024);
	big[40 * 1024] = '\0';
	expect_problem("POST", path, AR_MT_EVIDENCE_JWS, NULL, big, 413, "exceeds");
	free(big);
	expect_problem("GET", "/challenge-response/v1/newSession", NULL, NULL, NULL, 405,
		       "methodNotAllowed");
	expect_problem("GET", "/nowhere", NULL, NULL, NULL, 404, "notFound");
}

/*
 * One raw request on a fresh connection (@head without the empty line, then
 * @body); the answer up to the server closing, in @resp; *@ms the time
 * from the end of the header section to the close.
 */
static void raw_exchange(const char *head, const char *body, char *resp, size_t cap, long *ms)
{
	char text[1024];
	tlsraw_t c;
	int64_t t0;
	int closed;

	snprintf(text, sizeof(text), "%s\r\n", head);
	assert_int_equal(tlsraw_connect(&c, t.v.port, t.v.ca, 0), 0);
	assert_int_equal(tlsraw_write(&c, text, strlen(text)), strlen(text));
	t0 = lab_now_ms();
	assert_int_equal(tlsraw_write(&c, body, strlen(body)), strlen(body));
	tlsraw_read(&c, resp, cap, 3000, &closed);
	*ms = (long)(lab_now_ms() - t0);
	tlsraw_close(&c);
	assert_true(closed);
}

/*
 * Request smuggling (two Content-Lengths, Transfer-Encoding with
 * Content-Length) and a body announced over max_body are refused from the
 * header section, as the verifier's own problems, the 413 without waiting
 * for a body that never comes.
 */
static void test_request_smuggling_and_oversize_refused_from_the_headers(void **state)
{
	static const char head[] = "POST /challenge-response/v1/newSession HTTP/1.1\r\n"
				   "Host: 127.0.0.1\r\n";
	char req[512], resp[4096], v[128];
	long ms;

	(void)state;
	snprintf(req, sizeof(req), "%sContent-Length: 0\r\nContent-Length: 40\r\n", head);
	raw_exchange(req, "POST /challenge-response/v1/newSession HTTP/1.1\r\n\r\n", resp,
		     sizeof(resp), &ms);
	assert_int_equal(tlsraw_status(resp), 400);
	assert_non_null(strstr(tlsraw_body(resp), "\"urn:acme-rats:verifier:error:malformed\""));
	assert_non_null(strstr(tlsraw_body(resp), "Content-Length fields disagree"));
	assert_non_null(tlsraw_header(resp, "Content-Type", v, sizeof(v)));
	assert_string_equal(v, "application/problem+json");
	assert_null(strstr(tlsraw_body(resp), "HTTP/1.1"));	/* one answer only */

	snprintf(req, sizeof(req), "%sTransfer-Encoding: chunked\r\nContent-Length: 3\r\n", head);
	raw_exchange(req, "0\r\n\r\n", resp, sizeof(resp), &ms);
	assert_int_equal(tlsraw_status(resp), 400);
	assert_non_null(strstr(tlsraw_body(resp), "Transfer-Encoding and Content-Length"));

	snprintf(req, sizeof(req), "%sContent-Length: 70000\r\n", head);
	raw_exchange(req, "", resp, sizeof(resp), &ms);
	assert_int_equal(tlsraw_status(resp), 413);
	assert_non_null(strstr(tlsraw_body(resp), "\"urn:acme-rats:verifier:error:tooLarge\""));
	if (ms > 1000)
		fail_msg("the 413 took %ld ms", ms);
}

static void test_soc_api_requires_the_bearer_token(void **state)
{
	const char *body = "{\"status\":\"contraindicated\",\"reason\":\"x\"}";

	(void)state;
	expect_problem("POST", "/soc/v1/devices/SUB-0001/posture", "application/json", NULL, body,
		       401, "bearer token");
	expect_problem("POST", "/soc/v1/devices/SUB-0001/posture", "application/json",
		       "not-the-token", body, 401, "bearer token");
}

static void test_soc_flag_writes_posture_and_stream(void **state)
{
	const char *body = "{\"status\":\"contraindicated\",\"reason\":\"EDR alert 4711\"}";
	ar_store_posture_t p;
	ar_store_event_t ev[2];
	httpc_resp_t r;

	(void)state;
	assert_int_equal(vtest_request(&t.v, "POST", "/soc/v1/devices/SUB-0001/posture", "application/json",
				       t.v.token, body, &r), 0);
	if (r.status != 200)
		fail_msg("status %ld: %s", r.status, r.body);
	assert_non_null(strstr(r.body, "\"contraindicated\""));
	httpc_free(&r);
	assert_int_equal(ar_store_posture_get(t.store, "SUB-0001", &p, NULL), 1);
	assert_int_equal(p.status, AR_STATUS_CONTRAINDICATED);
	assert_non_null(strstr(p.reason, "EDR alert 4711"));
	assert_non_null(strstr(p.tv, "ii=2 cfg=2"));	/* the appraisal's vector stays */
	assert_true(ar_store_event_recent(t.store, ev, 2, NULL) >= 1);
	assert_string_equal(ev[0].type, "soc_flag");
	assert_string_equal(ev[0].status, "contraindicated");

	assert_int_equal(vtest_request(&t.v, "GET", "/soc/v1/devices/SUB-0001/posture", NULL,
				       t.v.token, NULL, &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "EDR alert 4711"));
	httpc_free(&r);
}

/*
 * A SOC verdict is confirmed only once a replica has it (the default,
 * auto, found the replica): with the replica stopped the SOC API answers
 * 503 after replica_ack_timeout, saying the verdict is written but not
 * acknowledged (it is on the primary); with the replica back, 200.
 */
static void test_soc_verdict_acked_only_after_replica_confirms(void **state)
{
	const char *body = "{\"status\":\"contraindicated\",\"reason\":\"EDR alert 4712\"}";
	ar_store_verdict_t v;
	httpc_resp_t r;
	int64_t t0, took;

	(void)state;
	assert_int_equal(kill(t.replica.pid, SIGSTOP), 0);
	t0 = lab_now_ms();
	assert_int_equal(vtest_request(&t.v, "POST", "/soc/v1/devices/SUB-0002/posture",
				       "application/json", t.v.token, body, &r), 0);
	took = lab_now_ms() - t0;
	assert_int_equal(kill(t.replica.pid, SIGCONT), 0);
	if (r.status != 503 || !strstr(r.body, "0 of 1 replicas confirmed it within 500 ms") ||
	    !strstr(r.body, "not acknowledged"))
		fail_msg("status %ld: %s", r.status, r.body);
	httpc_free(&r);
	assert_true(took >= 500);
	assert_int_equal(ar_store_verdict_get(t.store, "SUB-0002", &v, NULL), 1);	/* written */

	assert_int_equal(vtest_request(&t.v, "POST", "/soc/v1/devices/SUB-0002/posture",
				       "application/json", t.v.token, body, &r), 0);
	if (r.status != 200)
		fail_msg("status %ld: %s", r.status, r.body);
	httpc_free(&r);
}

/* Attest SUB-0077 as a healthy device; the EAR's status. */
static ar_status_t healthy_appraisal(void)
{
	char path[512], nonce[128], *body;
	ar_ear_t ear;

	vtest_new_session(&t.v, NULL, path, sizeof(path), nonce, sizeof(nonce));
	body = evidence(nonce, "SUB-0077", time(NULL) - 5 * 86400);
	attest(path, AR_MT_EVIDENCE_JWS, body, &ear);
	free(body);
	return ar_ear_status(&ear);
}

static void soc_verdict(const char *status)
{
	char body[160];
	httpc_resp_t r;

	snprintf(body, sizeof(body), "{\"status\":\"%s\",\"reason\":\"case 88\"}", status);
	assert_int_equal(vtest_request(&t.v, "POST", "/soc/v1/devices/SUB-0077/posture", "application/json",
				       t.v.token, body, &r), 0);
	assert_int_equal(r.status, 200);
	httpc_free(&r);
}

/* A flagged device cannot attest its way back: the verdict stands until the SOC clears it. */
static void test_soc_verdict_stands_over_new_appraisals(void **state)
{
	ar_store_posture_t p;

	(void)state;
	assert_int_equal(healthy_appraisal(), AR_STATUS_AFFIRMING);
	soc_verdict("contraindicated");
	assert_int_equal(healthy_appraisal(), AR_STATUS_CONTRAINDICATED);
	assert_int_equal(healthy_appraisal(), AR_STATUS_CONTRAINDICATED);	/* and again */
	assert_int_equal(ar_store_posture_get(t.store, "SUB-0077", &p, NULL), 1);
	assert_int_equal(p.status, AR_STATUS_CONTRAINDICATED);
	assert_non_null(strstr(p.reason, "case 88"));
	soc_verdict("warning");
	assert_int_equal(healthy_appraisal(), AR_STATUS_WARNING);
	soc_verdict("affirming");
	assert_int_equal(healthy_appraisal(), AR_STATUS_AFFIRMING);
	assert_int_equal(ar_store_posture_get(t.store, "SUB-0077", &p, NULL), 1);
	assert_null(strstr(p.reason, "SOC"));		/* an appraisal again */
	assert_int_equal(healthy_appraisal(), AR_STATUS_AFFIRMING);
}

static void test_soc_rejects_bad_verdicts_and_device_ids(void **state)
{
	(void)state;
	expect_problem("POST", "/soc/v1/devices/SUB-0001/posture", "application/json", t.v.token,
		       "{\"status\":\"great\",\"reason\":\"x\"}", 400, "status must be");
	expect_problem("POST", "/soc/v1/devices/SUB-0001/posture", "application/json", t.v.token,
		       "{\"status\":\"warning\"}", 400, "malformed");
	expect_problem("POST", "/soc/v1/devices/%7Bx%7D/posture", "application/json", t.v.token,
		       "{\"status\":\"warning\",\"reason\":\"x\"}", 400, "");
	expect_problem("GET", "/soc/v1/devices/NEVER-SEEN/posture", NULL, t.v.token, NULL, 404,
		       "unknownDevice");
}

/*
 * The attack of the review: an anonymous caller posts evidence naming an
 * enrolled device (contraindicated, to have it cut off) without its key.
 * Refused, and neither the posture record nor the stream moves.
 */
static void test_anonymous_posture_write_refused(void **state)
{
	char path[512], nonce[128], *body, *jwe_text;
	snapshot_t before;
	ar_jwk_t *enc = encryption_key();
	json_t *jwe;
	ar_ear_t ear;

	(void)state;
	vtest_new_session(&t.v, NULL, path, sizeof(path), nonce, sizeof(nonce));
	body = evidence(nonce, "SUB-0100", time(NULL) - 86400);
	attest(path, AR_MT_EVIDENCE_JWS, body, &ear);
	free(body);
	assert_int_equal(ar_ear_status(&ear), AR_STATUS_AFFIRMING);
	snap("SUB-0100", &before);
	assert_int_equal(before.have, 1);
	assert_int_equal(before.posture.status, AR_STATUS_AFFIRMING);

	vtest_new_session(&t.v, NULL, path, sizeof(path), nonce, sizeof(nonce));
	body = evfix_json(nonce, "SUB-0100", t.device_key, time(NULL) - 400 * 86400);
	expect_problem("POST", path, AR_MT_EVIDENCE, NULL, body, 401,
		       "evidence must be signed by the device's enrolled identity key");
	expect_problem("POST", path, AR_MT_EVIDENCE, NULL, body, 401,
		       "urn:acme-rats:verifier:error:unauthorized");
	/* Encrypted to the verifier changes nothing: the plaintext is still unsigned. */
	jwe = ar_jwe_encrypt(body, strlen(body), enc, AR_MT_EVIDENCE, NULL);
	jwe_text = json_dumps(jwe, JSON_COMPACT);
	expect_problem("POST", path, "application/jose+json", NULL, jwe_text, 401,
		       "evidence must be signed by the device's enrolled identity key");
	assert_unchanged("SUB-0100", &before);
	assert_true(vtest_logged(&t.v, "event=evidence.refused", "device=SUB-0100", "reason=unsigned"));
	free(jwe_text);
	json_decref(jwe);
	free(body);
	ar_jwk_free(enc);
}

static void test_evidence_for_device_a_signed_by_device_b_refused(void **state)
{
	ar_jwk_t *b = ar_jwk_generate("ES256", NULL);
	char path[512], nonce[128], *body;
	snapshot_t before;

	(void)state;
	assert_int_equal(evfix_enroll(t.store, "SUB-0101", t.identity), 1);
	assert_int_equal(evfix_enroll(t.store, "SUB-0102", b), 1);
	snap("SUB-0101", &before);
	/* Device B, enrolled and holding its own key, speaks for device A. */
	vtest_new_session(&t.v, NULL, path, sizeof(path), nonce, sizeof(nonce));
	body = evfix_signed(nonce, "SUB-0101", t.device_key, time(NULL) - 400 * 86400, b);
	expect_problem("POST", path, AR_MT_EVIDENCE_JWS, NULL, body, 401,
		       "not by the key the device is enrolled with");
	expect_problem("POST", path, AR_MT_EVIDENCE_JWS, NULL, body, 401, "unauthorized");
	assert_unchanged("SUB-0101", &before);
	assert_int_equal(before.have, 0);
	assert_true(vtest_logged(&t.v, "event=evidence.refused", "device=SUB-0101", "reason=wrong-key"));
	free(body);
	ar_jwk_free(b);
}

static void test_evidence_for_unenrolled_device_refused(void **state)
{
	char path[512], nonce[128], *body;
	ar_store_identity_t id;
	snapshot_t before;

	(void)state;
	snap("SUB-0199", &before);
	assert_int_equal(ar_store_identity_get(t.store, "SUB-0199", &id, NULL), 0);
	vtest_new_session(&t.v, NULL, path, sizeof(path), nonce, sizeof(nonce));
	body = evfix_signed(nonce, "SUB-0199", t.device_key, time(NULL), t.identity);
	expect_problem("POST", path, AR_MT_EVIDENCE_JWS, NULL, body, 403, "unenrolledDevice");
	expect_problem("POST", path, AR_MT_EVIDENCE_JWS, NULL, body, 403,
		       "SUB-0199 has no enrolled identity key");
	assert_unchanged("SUB-0199", &before);
	assert_true(vtest_logged(&t.v, "event=evidence.refused", "device=SUB-0199", "reason=unenrolled"));
	free(body);
}

static void test_jwe_with_cmw_plaintext_accepted(void **state)
{
	char path[512], nonce[128], *body, *jwe_text;
	ar_jwk_t *enc = encryption_key();
	snapshot_t before;
	json_t *jwe;
	ar_ear_t ear;

	(void)state;
	assert_int_equal(evfix_enroll(t.store, "SUB-0004", t.identity), 1);
	vtest_new_session(&t.v, NULL, path, sizeof(path), nonce, sizeof(nonce));
	jwe_text = evfix_sealed(nonce, "SUB-0004", t.device_key, time(NULL) - 86400, t.identity, enc);
	assert_non_null(jwe_text);
	attest(path, "application/jose+json", jwe_text, &ear);
	assert_int_equal(ar_ear_status(&ear), AR_STATUS_AFFIRMING);
	assert_string_equal(ear.subject, "SUB-0004");
	assert_int_equal(ear.submods[0].tv.v[AR_TV_INSTANCE_IDENTITY], 2);
	free(jwe_text);

	/* The signed evidence itself as the plaintext, not in its CMW record: refused. */
	snap("SUB-0004", &before);
	vtest_new_session(&t.v, NULL, path, sizeof(path), nonce, sizeof(nonce));
	body = evidence(nonce, "SUB-0004", time(NULL));
	jwe = ar_jwe_encrypt(body, strlen(body), enc, NULL, NULL);
	jwe_text = json_dumps(jwe, JSON_COMPACT);
	expect_problem("POST", path, "application/jose+json", NULL, jwe_text, 400,
		       "must be one CMW record");
	free(jwe_text);
	json_decref(jwe);
	/* A CMW of unsigned evidence: refused as unsigned. */
	free(body);
	body = evfix_json(nonce, "SUB-0004", t.device_key, time(NULL));
	{
		json_t *rec = ar_cmw_record(AR_MT_EVIDENCE, body, strlen(body), AR_CMW_IND_EVIDENCE);
		char *cmw = json_dumps(rec, JSON_COMPACT);

		jwe = ar_jwe_encrypt(cmw, strlen(cmw), enc, "application/cmw+json", NULL);
		jwe_text = json_dumps(jwe, JSON_COMPACT);
		expect_problem("POST", path, "application/jose+json", NULL, jwe_text, 401,
			       "evidence must be signed by the device's enrolled identity key");
		free(jwe_text);
		json_decref(jwe);
		free(cmw);
		json_decref(rec);
	}
	assert_unchanged("SUB-0004", &before);
	free(body);
	ar_jwk_free(enc);
}

/* A compact JWS over @payload with @header_json, signed by @key. */
static char *sign_raw(const char *header_json, const char *payload, const ar_jwk_t *key)
{
	json_t *hdr = json_loads(header_json, 0, NULL);
	char *jws;

	assert_non_null(hdr);
	jws = ar_jws_sign_compact(hdr, payload, strlen(payload), key, NULL);
	assert_non_null(jws);
	json_decref(hdr);
	return jws;
}

static void test_signed_evidence_header_typ_required(void **state)
{
	char path[512], nonce[128], hdr[256], *body, *jws, *h64, *p64;
	snapshot_t before;
	size_t n;

	(void)state;
	assert_int_equal(evfix_enroll(t.store, "SUB-0103", t.identity), 1);
	snap("SUB-0103", &before);
	vtest_new_session(&t.v, NULL, path, sizeof(path), nonce, sizeof(nonce));
	body = evfix_json(nonce, "SUB-0103", t.device_key, time(NULL));

	/* Signed by the enrolled key, but without "typ": could be any JWS it ever signed. */
	snprintf(hdr, sizeof(hdr), "{\"kid\":\"%s\"}", ar_jwk_thumbprint(t.identity));
	jws = sign_raw(hdr, body, t.identity);
	expect_problem("POST", path, AR_MT_EVIDENCE_JWS, NULL, jws, 400, "has no \\\"typ\\\"");
	free(jws);
	snprintf(hdr, sizeof(hdr), "{\"typ\":\"JWT\",\"kid\":\"%s\"}",
		 ar_jwk_thumbprint(t.identity));
	jws = sign_raw(hdr, body, t.identity);
	expect_problem("POST", path, AR_MT_EVIDENCE_JWS, NULL, jws, 400, "badEvidence");
	free(jws);

	/* alg "none": no signature at all. */
	snprintf(hdr, sizeof(hdr), "{\"alg\":\"none\",\"typ\":\"%s\",\"kid\":\"%s\"}",
		 AR_EVIDENCE_JWS_TYP, ar_jwk_thumbprint(t.identity));
	h64 = ar_b64url_encode_alloc(hdr, strlen(hdr));
	p64 = ar_b64url_encode_alloc(body, strlen(body));
	n = strlen(h64) + strlen(p64) + 3;
	jws = malloc(n);
	snprintf(jws, n, "%s.%s.", h64, p64);
	expect_problem("POST", path, AR_MT_EVIDENCE_JWS, NULL, jws, 401,
		       "algorithm \\\"none\\\" is not supported");
	snprintf(jws, n, "%s.%s.A", h64, p64);
	expect_problem("POST", path, AR_MT_EVIDENCE_JWS, NULL, jws, 401, "unauthorized");
	assert_unchanged("SUB-0103", &before);
	assert_true(vtest_logged(&t.v, "event=evidence.refused", "device=SUB-0103", "reason=bad-alg"));
	free(jws);
	free(h64);
	free(p64);
	free(body);
}

/* @text with the first @from replaced by @to (malloc'd). */
static char *replace_once(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	char *out;

	assert_non_null(at);
	assert_true(asprintf(&out, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from)) > 0);
	return out;
}

/* A second verifier on the same store, spelling EARs as draft-ietf-rats-ear-03. */
static void test_ear03_profile_media_type(void **state)
{
	char conf[300], conf2[300], log[300], bin[512], url[512], path[1024], nonce[128];
	char *text, *body, *extra = NULL;
	const ar_cmw_rec_t *rec;
	httpc_resp_t r;
	ar_cmw_t cmw;
	ar_ear_t ear;
	size_t len;
	int port = lab_free_port();
	pid_t pid;
	json_t *j;

	(void)state;
	snprintf(conf, sizeof(conf), "%s/verifier.conf", t.v.dir);
	snprintf(conf2, sizeof(conf2), "%s/verifier-ear03.conf", t.v.dir);
	assert_int_equal(ar_file_read(conf, 64 * 1024, &text, &len, NULL), 0);
	{	/* another port, and ear_profile = ietf03 in [verifier] */
		char from[32], to[32];

		snprintf(from, sizeof(from), "port = %d\n", t.v.port);
		snprintf(to, sizeof(to), "port = %d\n", port);
		extra = replace_once(text, from, to);
		free(text);
		text = extra;
		extra = replace_once(text, "[verifier]\n", "[verifier]\near_profile = ietf03\n");
	}
	assert_int_equal(ar_file_write_atomic(conf2, extra, strlen(extra), 0600, NULL), 0);
	free(extra);
	free(text);
	snprintf(log, sizeof(log), "%s/verifier-ear03.log", t.v.dir);
	snprintf(bin, sizeof(bin), "%s/verifier/acme-rats-verifier", vtest_top("AR_TOP_BUILDDIR"));
	{
		char *argv[] = { bin, "-c", conf2, NULL };

		pid = lab_spawn(argv, log);
	}
	assert_true(pid > 0);
	assert_int_equal(lab_wait_tcp(port, 5000), 0);

	snprintf(url, sizeof(url), "https://127.0.0.1:%d/challenge-response/v1/newSession", port);
	{
		httpc_req_t req = { "POST", url, t.v.ca, NULL, NULL, "", 0 };

		assert_int_equal(httpc(&req, &r), 0);
	}
	assert_int_equal(r.status, 201);
	j = json_loads(r.body, 0, NULL);
	snprintf(nonce, sizeof(nonce), "%s", json_string_value(json_object_get(j, "nonce")));
	snprintf(path, sizeof(path), "https://127.0.0.1:%d%s", port, r.location);
	json_decref(j);
	httpc_free(&r);

	body = evidence(nonce, "SUB-0104", time(NULL) - 86400);
	{
		httpc_req_t req = { "POST", path, t.v.ca, AR_MT_EVIDENCE_JWS, NULL, body, strlen(body) };

		assert_int_equal(httpc(&req, &r), 0);
	}
	if (r.status != 200)
		fail_msg("status %ld: %s", r.status, r.body);
	assert_int_equal(ar_cmw_decode(r.body, r.len, &cmw, NULL), 0);
	rec = &cmw.recs[0];
	assert_string_equal(rec->type, AR_MT_EAR_IETF);
	assert_string_equal(rec->type,
			    "application/eat+jwt; eat_profile=\"tag:ietf.org,2026:rats/ear#03\"");
	assert_int_equal(ar_ear_verify((const char *)rec->value, rec->len, t.trusted, &ear, NULL), 0);
	assert_int_equal(ear.profile, AR_EAR_PROFILE_IETF03);
	ar_cmw_clear(&cmw);
	httpc_free(&r);
	free(body);
	lab_stop(pid, 3000);
}

/* The identity store down: no appraisal, 503, and nothing refused for the device. */
static void test_identity_store_unreachable_is_503(void **state)
{
	char path[512], nonce[128], *body;

	(void)state;
	vtest_new_session(&t.v, NULL, path, sizeof(path), nonce, sizeof(nonce));
	body = evidence(nonce, "SUB-0105", time(NULL));
	assert_int_equal(lab_redis_kill(&t.redis), 0);
	expect_problem("POST", path, AR_MT_EVIDENCE_JWS, NULL, body, 503, "unavailable");
	assert_int_equal(lab_redis_restart(&t.redis), 0);
	free(body);
}

/* A device id no device can have (a hash tag, a space) is bad evidence (400), not a 500. */
static void test_evidence_with_impossible_device_id_is_bad_evidence(void **state)
{
	static const char *const ids[] = { "SUB-01}x", "SUB 01", "SUB-01\n" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		char path[512], nonce[128], *body;

		vtest_new_session(&t.v, NULL, path, sizeof(path), nonce, sizeof(nonce));
		body = evfix_signed(nonce, ids[i], t.device_key, time(NULL) - 5 * 86400, t.identity);
		assert_non_null(body);
		expect_problem("POST", path, AR_MT_EVIDENCE_JWS, NULL, body, 400, "badEvidence");
		free(body);
	}
}

/*
 * A captured evidence JWS replayed - into its own session, or into a new
 * session opened with the same nonce - is refused (badNonce) and the
 * posture record keeps the newer appraisal.
 */
static void test_replayed_evidence_refused(void **state)
{
	char path[512], path2[512], nonce[128], nonce2[128], *old, *fresh;
	snapshot_t before;
	ar_ear_t ear;

	(void)state;
	vtest_new_session(&t.v, "?nonce=cmVwbGF5LW5vbmNlLTAx", path, sizeof(path), nonce, sizeof(nonce));
	old = evidence(nonce, "SUB-0160", time(NULL) - 400 * 86400);	/* unpatched then */
	attest(path, AR_MT_EVIDENCE_JWS, old, &ear);
	assert_int_equal(ar_ear_status(&ear), AR_STATUS_CONTRAINDICATED);
	vtest_new_session(&t.v, NULL, path2, sizeof(path2), nonce2, sizeof(nonce2));
	fresh = evidence(nonce2, "SUB-0160", time(NULL) - 86400);	/* patched since */
	attest(path2, AR_MT_EVIDENCE_JWS, fresh, &ear);
	assert_int_equal(ar_ear_status(&ear), AR_STATUS_AFFIRMING);
	snap("SUB-0160", &before);

	expect_problem("POST", path, AR_MT_EVIDENCE_JWS, NULL, old, 400, "already used");
	vtest_new_session(&t.v, "?nonce=cmVwbGF5LW5vbmNlLTAx", path, sizeof(path), nonce, sizeof(nonce));
	expect_problem("POST", path, AR_MT_EVIDENCE_JWS, NULL, old, 400, "badNonce");
	assert_unchanged("SUB-0160", &before);
	assert_true(vtest_logged(&t.v, "event=evidence.refused", "device=SUB-0160", "reason=replay"));
	free(old);
	free(fresh);
}

/* Attest @device with evidence signed by @identity; the EAR (decoded into @ear). */
static void attest_as(const char *device, const ar_jwk_t *identity, ar_ear_t *ear)
{
	char path[512], nonce[128], *body;

	vtest_new_session(&t.v, NULL, path, sizeof(path), nonce, sizeof(nonce));
	body = evfix_signed(nonce, device, t.device_key, time(NULL) - 5 * 86400, identity);
	assert_non_null(body);
	attest(path, AR_MT_EVIDENCE_JWS, body, ear);
	free(body);
}

static void soc_post(const char *device, const char *status, const char *reason)
{
	char body[200], url[160];
	httpc_resp_t r;

	snprintf(body, sizeof(body), "{\"status\":\"%s\",\"reason\":\"%s\"}", status, reason);
	snprintf(url, sizeof(url), "/soc/v1/devices/%s/posture", device);
	assert_int_equal(vtest_request(&t.v, "POST", url, "application/json", t.v.token, body, &r), 0);
	if (r.status != 200)
		fail_msg("SOC API: %ld %s", r.status, r.body);
	httpc_free(&r);
}

/*
 * The flagged device re-enrols under another identifier: its inventory
 * entry names SUB-0150 and SUB-0151, both bound to its one key. The SOC
 * flags SUB-0150; the device attests as SUB-0151 with the same key. The
 * verdict is the key's: SUB-0151 is capped at it too, while a device with
 * a key of its own (SUB-0152) is not. Clearing SUB-0150 clears both.
 */
static void test_flagged_device_reenrolling_under_another_id_refused(void **state)
{
	ar_jwk_t *k = ar_jwk_generate("ES256", NULL), *other = ar_jwk_generate("ES256", NULL);
	ar_store_verdict_t vd;
	ar_ear_t ear;

	(void)state;
	assert_int_equal(evfix_enroll(t.store, "SUB-0150", k), 1);
	assert_int_equal(evfix_enroll(t.store, "SUB-0151", k), 1);
	assert_int_equal(evfix_enroll(t.store, "SUB-0152", other), 1);
	attest_as("SUB-0151", k, &ear);
	assert_int_equal(ar_ear_status(&ear), AR_STATUS_AFFIRMING);

	soc_post("SUB-0150", "contraindicated", "EDR alert 5150");
	assert_int_equal(ar_store_verdict_get(t.store, "SUB-0151", &vd, NULL), 1);
	assert_int_equal(vd.status, AR_STATUS_CONTRAINDICATED);
	assert_non_null(strstr(vd.reason, "EDR alert 5150"));
	assert_non_null(strstr(vd.reason, "identity shared with SUB-0150"));
	assert_string_equal(vd.identity, ar_jwk_thumbprint(k));
	attest_as("SUB-0151", k, &ear);
	assert_int_equal(ar_ear_status(&ear), AR_STATUS_CONTRAINDICATED);
	assert_string_equal(ear.subject, "SUB-0151");
	/* another device's key is not flagged */
	assert_int_equal(ar_store_verdict_get(t.store, "SUB-0152", &vd, NULL), 0);
	attest_as("SUB-0152", other, &ear);
	assert_int_equal(ar_ear_status(&ear), AR_STATUS_AFFIRMING);
	/* evidence for SUB-0152 signed by the flagged key is no way round it */
	{
		char path[512], nonce[128], *body;

		vtest_new_session(&t.v, NULL, path, sizeof(path), nonce, sizeof(nonce));
		body = evfix_signed(nonce, "SUB-0152", t.device_key, time(NULL) - 5 * 86400, k);
		expect_problem("POST", path, AR_MT_EVIDENCE_JWS, NULL, body, 401, "unauthorized");
		free(body);
	}

	soc_post("SUB-0150", "affirming", "case 5150 closed");
	assert_int_equal(ar_store_verdict_get(t.store, "SUB-0150", &vd, NULL), 0);
	assert_int_equal(ar_store_verdict_get(t.store, "SUB-0151", &vd, NULL), 0);
	attest_as("SUB-0151", k, &ear);
	assert_int_equal(ar_ear_status(&ear), AR_STATUS_AFFIRMING);
	ar_jwk_free(k);
	ar_jwk_free(other);
}

static void test_check_config_reports_errors(void **state)
{
	char bin[512], conf[300];
	char *argv[] = { bin, "-c", conf, "--check-config", NULL };

	(void)state;
	snprintf(bin, sizeof(bin), "%s/verifier/acme-rats-verifier", vtest_top("AR_TOP_BUILDDIR"));
	snprintf(conf, sizeof(conf), "%s/verifier.conf", t.v.dir);
	assert_int_equal(vtest_run(argv), 0);
	snprintf(conf, sizeof(conf), "%s/missing.conf", t.v.dir);
	assert_int_not_equal(vtest_run(argv), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_session_returns_random_nonce_and_location),
		cmocka_unit_test(test_new_session_takes_relying_party_nonce),
		cmocka_unit_test(test_healthy_device_gets_affirming_ear_bound_to_nonce_and_key),
		cmocka_unit_test(test_unpatched_device_is_contraindicated),
		cmocka_unit_test(test_lapsing_patch_level_is_warning),
		cmocka_unit_test(test_anonymous_posture_write_refused),
		cmocka_unit_test(test_evidence_for_device_a_signed_by_device_b_refused),
		cmocka_unit_test(test_evidence_for_unenrolled_device_refused),
		cmocka_unit_test(test_jwe_with_cmw_plaintext_accepted),
		cmocka_unit_test(test_signed_evidence_header_typ_required),
		cmocka_unit_test(test_ear03_profile_media_type),
		cmocka_unit_test(test_evidence_for_another_nonce_is_refused),
		cmocka_unit_test(test_forged_or_unknown_session_is_refused),
		cmocka_unit_test(test_bad_media_type_malformed_and_oversized_bodies),
		cmocka_unit_test(test_request_smuggling_and_oversize_refused_from_the_headers),
		cmocka_unit_test(test_soc_api_requires_the_bearer_token),
		cmocka_unit_test(test_soc_flag_writes_posture_and_stream),
		cmocka_unit_test(test_soc_verdict_acked_only_after_replica_confirms),
		cmocka_unit_test(test_soc_rejects_bad_verdicts_and_device_ids),
		cmocka_unit_test(test_soc_verdict_stands_over_new_appraisals),
		cmocka_unit_test(test_flagged_device_reenrolling_under_another_id_refused),
		cmocka_unit_test(test_evidence_with_impossible_device_id_is_bad_evidence),
		cmocka_unit_test(test_replayed_evidence_refused),
		cmocka_unit_test(test_check_config_reports_errors),
		cmocka_unit_test(test_identity_store_unreachable_is_503),
	};

	return cmocka_run_group_tests_name("verifier", tests, setup, teardown);
}
