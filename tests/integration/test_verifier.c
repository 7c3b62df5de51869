/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * acme-rats-verifier end to end: a real redis-server and the real daemon on
 * 127.0.0.1 over HTTPS, driven as a device and as the SOC would drive it.
 */
#include "config.h"

#include <spawn.h>
#include <sys/wait.h>
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
#include "fileio.h"
#include "jwe.h"
#include "store.h"

extern char **environ;

static struct {
	lab_redis_t	redis;
	char		dir[256];
	char		ca[300];
	char		base[128];
	char		token[128];
	int		port;
	pid_t		pid;
	ar_jwk_t	*device_key;
	ar_jwks_t	*trusted;
	ar_store_t	*store;
} t;

static int run(char *const argv[])
{
	pid_t pid;
	int status;

	if (posix_spawn(&pid, argv[0], NULL, NULL, argv, environ) != 0)
		return -1;
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static const char *top(const char *var)
{
	const char *v = getenv(var);

	return v ? v : ".";
}

static int request(const char *method, const char *path, const char *ct, const char *bearer,
		   const char *body, httpc_resp_t *out)
{
	httpc_req_t req = { method, NULL, t.ca, ct, bearer, body, body ? strlen(body) : 0 };
	char url[512];

	snprintf(url, sizeof(url), "%s%s", t.base, path);
	req.url = url;
	return httpc(&req, out);
}

static int setup(void **state)
{
	char script[512], conf[300], log[300], bin[512], port[16], rport[16], tokpath[300];
	char *tok;
	size_t len;
	json_t *set;
	ar_store_opts_t so = { .host = "127.0.0.1" };

	(void)state;
	if (lab_init() < 0 || lab_redis_start(&t.redis) < 0 ||
	    lab_tmpdir(t.dir, sizeof(t.dir)) < 0)
		return -1;
	t.port = lab_free_port();
	snprintf(port, sizeof(port), "%d", t.port);
	snprintf(rport, sizeof(rport), "%d", t.redis.port);
	snprintf(script, sizeof(script), "%s/tests/fixtures/mkverifier", top("AR_TOP_SRCDIR"));
	{
		char *argv[] = { script, t.dir, port, rport, NULL };

		if (run(argv) != 0)
			return -1;
	}
	snprintf(conf, sizeof(conf), "%s/verifier.conf", t.dir);
	snprintf(log, sizeof(log), "%s/verifier.log", t.dir);
	snprintf(bin, sizeof(bin), "%s/verifier/acme-rats-verifier", top("AR_TOP_BUILDDIR"));
	{
		char *argv[] = { bin, "-c", conf, NULL };

		t.pid = lab_spawn(argv, log);
	}
	if (t.pid <= 0 || lab_wait_tcp(t.port, 5000) < 0)
		return -1;
	snprintf(t.ca, sizeof(t.ca), "%s/ca.crt", t.dir);
	snprintf(t.base, sizeof(t.base), "https://127.0.0.1:%d", t.port);
	snprintf(tokpath, sizeof(tokpath), "%s/soc-token", t.dir);
	if (ar_file_read(tokpath, 256, &tok, &len, NULL) < 0)
		return -1;
	tok[strcspn(tok, "\n")] = '\0';
	snprintf(t.token, sizeof(t.token), "%s", tok);
	free(tok);

	t.device_key = ar_jwk_generate("ES256", NULL);
	{
		httpc_resp_t r;

		if (request("GET", "/challenge-response/v1/keys", NULL, NULL, NULL, &r) < 0 ||
		    r.status != 200)
			return -1;
		set = json_loads(r.body, 0, NULL);
		t.trusted = ar_jwks_parse(set, AR_JWK_PUBLIC_ONLY, NULL);
		json_decref(set);
		httpc_free(&r);
	}
	so.port = t.redis.port;
	t.store = ar_store_open(&so, NULL);
	return t.device_key && t.trusted && t.store ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	if (t.pid > 0)
		lab_stop(t.pid, 3000);
	ar_store_close(t.store);
	ar_jwks_free(t.trusted);
	ar_jwk_free(t.device_key);
	lab_redis_stop(&t.redis);
	lab_rmtree(t.dir);
	return 0;
}

/* Open a session; returns its path and nonce. */
static void new_session(const char *query, char *path, size_t psize, char *nonce, size_t nsize)
{
	char url[256];
	httpc_resp_t r;
	json_t *j;

	snprintf(url, sizeof(url), "/challenge-response/v1/newSession%s", query ? query : "");
	assert_int_equal(request("POST", url, NULL, NULL, "", &r), 0);
	assert_int_equal(r.status, 201);
	assert_memory_equal(r.location, "/challenge-response/v1/session/", 31);
	j = json_loads(r.body, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "state")), "waiting");
	assert_true(strlen(r.location) < psize);
	memcpy(path, r.location, strlen(r.location) + 1);
	snprintf(nonce, nsize, "%s", json_string_value(json_object_get(j, "nonce")));
	json_decref(j);
	httpc_free(&r);
}

/* Post evidence, expect 200 and a CMW with an EAR that verifies; decode it. */
static void attest(const char *path, const char *ct, const char *body, ar_ear_t *ear)
{
	const ar_cmw_rec_t *rec;
	ar_err_t err = { 0 };
	httpc_resp_t r;
	ar_cmw_t cmw;

	assert_int_equal(request("POST", path, ct, NULL, body, &r), 0);
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

static void test_new_session_returns_random_nonce_and_location(void **state)
{
	char p1[512], p2[512], n1[128], n2[128];
	uint8_t raw[64];
	size_t len;

	(void)state;
	new_session(NULL, p1, sizeof(p1), n1, sizeof(n1));
	new_session(NULL, p2, sizeof(p2), n2, sizeof(n2));
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
	new_session("?nonce=3q2%2B7wAAAAAAAAAAAAAAAQ%3D%3D", path, sizeof(path), nonce, sizeof(nonce));
	assert_string_equal(nonce, "3q2-7wAAAAAAAAAAAAAAAQ");
	assert_int_equal(request("POST", "/challenge-response/v1/newSession?nonce=AAAA", NULL, NULL,
				 "", &r), 0);
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
	new_session(NULL, path, sizeof(path), nonce, sizeof(nonce));
	body = evfix_json(nonce, "SUB-0001", t.device_key, time(NULL) - 5 * 86400);
	attest(path, AR_MT_EVIDENCE, body, &ear);
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
	new_session(NULL, path, sizeof(path), nonce, sizeof(nonce));
	body = evfix_json(nonce, "SUB-0002", t.device_key, time(NULL) - 120 * 86400);
	attest(path, AR_MT_EVIDENCE, body, &ear);
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
	new_session(NULL, path, sizeof(path), nonce, sizeof(nonce));
	body = evfix_json(nonce, "SUB-0003", t.device_key, time(NULL) - 70 * 86400);
	attest(path, AR_MT_EVIDENCE, body, &ear);
	free(body);
	assert_int_equal(ar_ear_status(&ear), AR_STATUS_WARNING);
}

static void test_encrypted_evidence_is_accepted(void **state)
{
	char path[512], nonce[128], *body, *jwe_text;
	ar_jwk_t *enc;
	httpc_resp_t r;
	json_t *jwe;
	ar_ear_t ear;

	(void)state;
	assert_int_equal(request("GET", "/challenge-response/v1/encryption-key", NULL, NULL, NULL, &r), 0);
	assert_int_equal(r.status, 200);
	enc = ar_jwk_parse_text(r.body, r.len, AR_JWK_PUBLIC_ONLY, NULL);
	assert_non_null(enc);
	httpc_free(&r);

	new_session(NULL, path, sizeof(path), nonce, sizeof(nonce));
	body = evfix_json(nonce, "SUB-0004", t.device_key, time(NULL) - 86400);
	jwe = ar_jwe_encrypt(body, strlen(body), enc, AR_MT_EVIDENCE, NULL);
	jwe_text = json_dumps(jwe, JSON_COMPACT);
	attest(path, "application/jose+json", jwe_text, &ear);
	assert_int_equal(ar_ear_status(&ear), AR_STATUS_AFFIRMING);
	assert_string_equal(ear.subject, "SUB-0004");
	free(jwe_text);
	json_decref(jwe);
	free(body);
	ar_jwk_free(enc);
}

static void expect_problem(const char *method, const char *path, const char *ct,
			   const char *bearer, const char *body, long status, const char *needle)
{
	httpc_resp_t r;

	assert_int_equal(request(method, path, ct, bearer, body, &r), 0);
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
	new_session(NULL, path, sizeof(path), nonce, sizeof(nonce));
	body = evfix_json("AAAAAAAAAAAAAAAAAAAAAA", "SUB-0005", t.device_key, time(NULL));
	expect_problem("POST", path, AR_MT_EVIDENCE, NULL, body, 400, "does not match the session");
	free(body);
}

static void test_forged_or_unknown_session_is_refused(void **state)
{
	char path[512], nonce[128], *body;

	(void)state;
	new_session(NULL, path, sizeof(path), nonce, sizeof(nonce));
	body = evfix_json(nonce, "SUB-0006", t.device_key, time(NULL));
	path[strlen(path) - 3] = path[strlen(path) - 3] == 'A' ? 'B' : 'A';
	expect_problem("POST", path, AR_MT_EVIDENCE, NULL, body, 404, "unknownSession");
	expect_problem("POST", "/challenge-response/v1/session/nonsense", AR_MT_EVIDENCE, NULL, body,
		       404, "unknownSession");
	free(body);
}

static void test_bad_media_type_malformed_and_oversized_bodies(void **state)
{
	char path[512], nonce[128], *big;

	(void)state;
	new_session(NULL, path, sizeof(path), nonce, sizeof(nonce));
	expect_problem("POST", path, "text/plain", NULL, "{}", 415, "unsupportedMediaType");
	expect_problem("POST", path, AR_MT_EVIDENCE, NULL, "{\"nonce\":1}", 400, "badEvidence");
	expect_problem("POST", path, "application/jose+json", NULL, "{}", 400, "encrypted evidence");
	big = malloc(40 * 1024 + 1);
	assert_non_null(big);
	memset(big, ' ', 40 * 1024);
	big[40 * 1024] = '\0';
	expect_problem("POST", path, AR_MT_EVIDENCE, NULL, big, 413, "exceeds");
	free(big);
	expect_problem("GET", "/challenge-response/v1/newSession", NULL, NULL, NULL, 405,
		       "methodNotAllowed");
	expect_problem("GET", "/nowhere", NULL, NULL, NULL, 404, "notFound");
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
	assert_int_equal(request("POST", "/soc/v1/devices/SUB-0001/posture", "application/json",
				 t.token, body, &r), 0);
	if (r.status != 200)
		fail_msg("status %ld: %s", r.status, r.body);
	assert_non_null(strstr(r.body, "\"contraindicated\""));
	httpc_free(&r);
	assert_int_equal(ar_store_posture_get(t.store, "SUB-0001", &p, NULL), 1);
	assert_int_equal(p.status, AR_STATUS_CONTRAINDICATED);
	assert_non_null(strstr(p.reason, "EDR alert 4711"));
	assert_non_null(strstr(p.tv, "ex=2"));	/* the appraisal's vector stays */
	assert_true(ar_store_event_recent(t.store, ev, 2, NULL) >= 1);
	assert_string_equal(ev[0].type, "soc_flag");
	assert_string_equal(ev[0].status, "contraindicated");

	assert_int_equal(request("GET", "/soc/v1/devices/SUB-0001/posture", NULL, t.token, NULL, &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "EDR alert 4711"));
	httpc_free(&r);
}

/* Attest SUB-0077 as a healthy device; the EAR's status. */
static ar_status_t healthy_appraisal(void)
{
	char path[512], nonce[128], *body;
	ar_ear_t ear;

	new_session(NULL, path, sizeof(path), nonce, sizeof(nonce));
	body = evfix_json(nonce, "SUB-0077", t.device_key, time(NULL) - 5 * 86400);
	attest(path, AR_MT_EVIDENCE, body, &ear);
	free(body);
	return ar_ear_status(&ear);
}

static void soc_verdict(const char *status)
{
	char body[160];
	httpc_resp_t r;

	snprintf(body, sizeof(body), "{\"status\":\"%s\",\"reason\":\"case 88\"}", status);
	assert_int_equal(request("POST", "/soc/v1/devices/SUB-0077/posture", "application/json",
				 t.token, body, &r), 0);
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
	expect_problem("POST", "/soc/v1/devices/SUB-0001/posture", "application/json", t.token,
		       "{\"status\":\"great\",\"reason\":\"x\"}", 400, "status must be");
	expect_problem("POST", "/soc/v1/devices/SUB-0001/posture", "application/json", t.token,
		       "{\"status\":\"warning\"}", 400, "malformed");
	expect_problem("POST", "/soc/v1/devices/%7Bx%7D/posture", "application/json", t.token,
		       "{\"status\":\"warning\",\"reason\":\"x\"}", 400, "");
	expect_problem("GET", "/soc/v1/devices/NEVER-SEEN/posture", NULL, t.token, NULL, 404,
		       "unknownDevice");
}

static void test_check_config_reports_errors(void **state)
{
	char bin[512], conf[300];
	char *argv[] = { bin, "-c", conf, "--check-config", NULL };

	(void)state;
	snprintf(bin, sizeof(bin), "%s/verifier/acme-rats-verifier", top("AR_TOP_BUILDDIR"));
	snprintf(conf, sizeof(conf), "%s/verifier.conf", t.dir);
	assert_int_equal(run(argv), 0);
	snprintf(conf, sizeof(conf), "%s/missing.conf", t.dir);
	assert_int_not_equal(run(argv), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_session_returns_random_nonce_and_location),
		cmocka_unit_test(test_new_session_takes_relying_party_nonce),
		cmocka_unit_test(test_healthy_device_gets_affirming_ear_bound_to_nonce_and_key),
		cmocka_unit_test(test_unpatched_device_is_contraindicated),
		cmocka_unit_test(test_lapsing_patch_level_is_warning),
		cmocka_unit_test(test_encrypted_evidence_is_accepted),
		cmocka_unit_test(test_evidence_for_another_nonce_is_refused),
		cmocka_unit_test(test_forged_or_unknown_session_is_refused),
		cmocka_unit_test(test_bad_media_type_malformed_and_oversized_bodies),
		cmocka_unit_test(test_soc_api_requires_the_bearer_token),
		cmocka_unit_test(test_soc_flag_writes_posture_and_stream),
		cmocka_unit_test(test_soc_rejects_bad_verdicts_and_device_ids),
		cmocka_unit_test(test_soc_verdict_stands_over_new_appraisals),
		cmocka_unit_test(test_check_config_reports_errors),
	};

	return cmocka_run_group_tests_name("verifier", tests, setup, teardown);
}
