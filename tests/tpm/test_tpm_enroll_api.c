/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TPM enrolment end to end: a real swtpm (the device's TPM, driven with
 * tpm2-tools), a real redis-server and the real acme-rats-verifier over
 * HTTPS with the swtpm local CA's root as its EK trust store. Each attack
 * on enrolment is refused with its own problem type, and changes nothing.
 */
#include "config.h"

#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "lab/lab.h"
#include "evfix.h"
#include "httpc.h"
#include "b64.h"
#include "fileio.h"
#include "jws.h"
#include "store.h"
#include "tpm.h"
#include "tpm_registry.h"
#include "tpmlab.h"
#include "vtest.h"

#define PROBLEM	"urn:acme-rats:verifier:error:"

static struct {
	lab_redis_t	redis;
	tpmlab_t	tpm;
	vtest_t		v;
	ar_jwk_t	*identity;	/* the devices' enrolled software identity */
	ar_store_t	*store;
	char		*ek_pub, *ek_cert, *ak_pub, *ak2_pub, *ak3_pub, *unrestricted_pub, *other_ek_pub;
	char		*ecc_ek_pub, *ecc_ak_pub;
} t;

/* A file of the TPM's directory in base64url; TPM2B_PUBLIC files lose their size. */
static char *b64_of(const char *file, int public_area)
{
	size_t n;
	uint8_t *d = public_area ? tpmlab_read_public(&t.tpm, file, &n) :
		     tpmlab_read(&t.tpm, file, &n);
	char *b;

	if (!d)
		return NULL;
	b = ar_b64url_encode_alloc(d, n);
	free(d);
	return b;
}

/* POST @body of type @ct to the verifier's @path. */
static int post(const char *path, const char *ct, const char *body, httpc_resp_t *out)
{
	return vtest_request(&t.v, "POST", path, ct, NULL, body, out);
}

/* The enrolment request of @device, signed by @key. */
static char *enroll_body(const char *device, const char *ak, const char *ek, const char *cert,
			 const ar_jwk_t *key)
{
	json_t *p = json_pack("{s:s, s:s, s:s}", "device", device, "ak_pub", ak, "ek_pub", ek);
	char *text, *jws;

	if (cert)
		json_object_set_new(p, "ek_cert", json_string(cert));
	text = json_dumps(p, JSON_COMPACT);
	jws = ar_jws_sign_compact(NULL, text, strlen(text), key, NULL);
	free(text);
	json_decref(p);
	assert_non_null(jws);
	return jws;
}

/* POST /tpm/v1/enroll; on 201 the challenge's members, else the problem. */
static json_t *enroll(const char *device, const char *ak, const char *ek, const char *cert,
		      long want)
{
	char *body = enroll_body(device, ak, ek, cert, t.identity);
	httpc_resp_t r;
	json_t *o;

	assert_int_equal(post("/tpm/v1/enroll", "application/jose", body, &r), 0);
	free(body);
	if (r.status != want)
		fail_msg("enroll %s: want %ld, got %ld %s", device, want, r.status, r.body);
	o = json_loads(r.body, 0, NULL);
	httpc_free(&r);
	assert_non_null(o);
	return o;
}

static void assert_problem(const json_t *o, const char *type, const char *detail)
{
	const char *ty = json_string_value(json_object_get(o, "type"));
	const char *de = json_string_value(json_object_get(o, "detail"));
	char want[160];

	snprintf(want, sizeof(want), PROBLEM "%s", type);
	if (!ty || strcmp(ty, want) || !de || !strstr(de, detail))
		fail_msg("want %s \"%s\", got %s \"%s\"", want, detail, ty ? ty : "-",
			 de ? de : "-");
}

/*
 * The device's part: write the challenge as a tpm2-tools credential file
 * and activate it with the AK context @ak_ctx under the EK @ek_ctx. The
 * activated secret in base64url (malloc'd), or NULL when the TPM refused.
 */
static char *activate_on_tpm(const json_t *chal, const char *ek_ctx, const char *ak_ctx)
{
	const char *blob = json_string_value(json_object_get(chal, "credential_blob"));
	const char *enc = json_string_value(json_object_get(chal, "encrypted_secret"));
	uint8_t file[4096] = { 0xba, 0xdc, 0xc0, 0xde, 0, 0, 0, 1 };
	size_t n1 = 0, n2 = 0, n;
	uint8_t *secret;
	char *b;

	assert_non_null(blob);
	assert_non_null(enc);
	assert_int_equal(ar_b64url_decode(blob, strlen(blob), file + 8, 2048, &n1, NULL), 0);
	assert_int_equal(ar_b64url_decode(enc, strlen(enc), file + 8 + n1, 2040 - n1, &n2, NULL), 0);
	assert_int_equal(tpmlab_write(&t.tpm, "cred.in", file, 8 + n1 + n2), 0);
	if (tpmlab_run(&t.tpm, "rm -f cred.out; tpm2_startauthsession --policy-session -S s.ctx "
		       "&& tpm2_policysecret -S s.ctx -c e && tpm2_activatecredential -c %s -C %s "
		       "-i cred.in -o cred.out -P session:s.ctx; rc=$?; tpm2_flushcontext s.ctx; "
		       "test $rc -eq 0", ak_ctx, ek_ctx) != 0)
		return NULL;
	secret = tpmlab_read(&t.tpm, "cred.out", &n);
	assert_non_null(secret);
	b = ar_b64url_encode_alloc(secret, n);
	free(secret);
	return b;
}

/* POST /tpm/v1/activate with @secret for @chal's challenge. */
static json_t *activate(const json_t *chal, const char *secret, long want)
{
	const char *id = json_string_value(json_object_get(chal, "challenge"));
	json_t *req = json_pack("{s:s, s:s}", "challenge", id ? id : "", "secret", secret);
	char *body = json_dumps(req, JSON_COMPACT);
	httpc_resp_t r;
	json_t *o;

	assert_int_equal(post("/tpm/v1/activate", "application/json", body, &r), 0);
	if (r.status != want)
		fail_msg("activate: want %ld, got %ld %s", want, r.status, r.body);
	o = json_loads(r.body, 0, NULL);
	httpc_free(&r);
	free(body);
	json_decref(req);
	assert_non_null(o);
	return o;
}

static void assert_not_enrolled(const char *device)
{
	ar_tpm_enrolled_t e;

	assert_int_equal(ar_tpm_registry_get(t.store, device, &e, NULL), AR_TPM_AK_NOT_ENROLLED);
}

/* @device, enrolled with t.identity, offers @ak and @ek (@cert): refused with
 * @status and the problem @type naming @detail, and nothing is enrolled. */
static void enroll_refused(const char *device, const char *ak, const char *ek, const char *cert,
			   long status, const char *type, const char *detail)
{
	json_t *p;

	assert_int_equal(evfix_enroll(t.store, device, t.identity), 1);
	p = enroll(device, ak, ek, cert, status);
	assert_problem(p, type, detail);
	json_decref(p);
	assert_not_enrolled(device);
}

static void test_tpm_enrolment_end_to_end(void **state)
{
	json_t *chal, *res;
	ar_tpm_enrolled_t e;
	char *secret;

	(void)state;
	assert_int_equal(evfix_enroll(t.store, "LAPTOP-1", t.identity), 1);
	chal = enroll("LAPTOP-1", t.ak_pub, t.ek_pub, t.ek_cert, 201);
	assert_non_null(json_object_get(chal, "expires"));
	secret = activate_on_tpm(chal, "ek.ctx", "ak.ctx");
	assert_non_null(secret);
	assert_not_enrolled("LAPTOP-1");	/* nothing before the activation */
	res = activate(chal, secret, 200);
	assert_string_equal(json_string_value(json_object_get(res, "device")), "LAPTOP-1");
	assert_string_equal(json_string_value(json_object_get(res, "ek_source")), "cert");
	assert_int_equal(ar_tpm_registry_get(t.store, "LAPTOP-1", &e, NULL), AR_TPM_OK);
	assert_int_equal(e.ek_source, AR_TPM_EK_CERT);
	assert_int_equal(e.clock_set, 0);
	json_decref(res);
	json_decref(chal);
	free(secret);
}

static void test_tpm_enrolment_with_an_ecc_ek_and_a_registered_ek_public(void **state)
{
	json_t *chal, *res;
	char *secret;

	(void)state;
	/* No certificate for this EK: only its registered public area lets it in. */
	assert_int_equal(evfix_enroll(t.store, "GW-ECC", t.identity), 1);
	chal = enroll("GW-ECC", t.ecc_ak_pub, t.ecc_ek_pub, NULL, 201);
	secret = activate_on_tpm(chal, "ekecc.ctx", "akecc.ctx");
	assert_non_null(secret);
	res = activate(chal, secret, 200);
	assert_string_equal(json_string_value(json_object_get(res, "ek_source")), "pub");
	json_decref(res);
	json_decref(chal);
	free(secret);
}

static void test_ek_public_without_certificate_not_registered_refused(void **state)
{
	(void)state;
	enroll_refused("LAPTOP-NOCERT", t.ak2_pub, t.ek_pub, NULL, 403, "ekNotRegistered",
		       "tpm_ek_not_registered");
}

static void test_ek_certificate_from_untrusted_root_refused(void **state)
{
	char *cert;

	(void)state;
	/* A certificate for the same EK key, issued by a CA the verifier does not trust. */
	assert_int_equal(tpmlab_run(&t.tpm, "openssl req -x509 -newkey ec -pkeyopt "
				    "ec_paramgen_curve:P-256 -nodes -keyout rogue.key -out rogue.pem "
				    "-days 2 -subj /CN=rogue-tpm-vendor 2>/dev/null && "
				    "openssl x509 -inform DER -in ekcert.der -pubkey -noout > ek.pem && "
				    "openssl x509 -new -force_pubkey ek.pem -subj /CN=ek -CA rogue.pem "
				    "-CAkey rogue.key -days 2 -outform DER -out rogue-ek.der "
				    "2>/dev/null || openssl x509 -inform DER -in ekcert.der -CA rogue.pem "
				    "-CAkey rogue.key -days 2 -outform DER -out rogue-ek.der"), 0);
	cert = b64_of("rogue-ek.der", 0);
	assert_non_null(cert);
	enroll_refused("LAPTOP-ROGUE", t.ak2_pub, t.ek_pub, cert, 403, "ekUntrusted",
		       "does not chain to a trusted EK root");
	free(cert);
}

static void test_ek_public_not_matching_certificate_refused(void **state)
{
	(void)state;
	/* The genuine certificate, beside an EK-like key of the same TPM that it does not certify. */
	enroll_refused("LAPTOP-SWAP", t.ak2_pub, t.other_ek_pub, t.ek_cert, 400, "ekMismatch",
		       "not the key of the EK certificate");
}

static void test_ak_not_restricted_refused(void **state)
{
	(void)state;
	enroll_refused("LAPTOP-UNR", t.unrestricted_pub, t.ek_pub, t.ek_cert, 400, "akNotRestricted",
		       "tpm_ak_not_restricted");
}

static void test_activation_with_wrong_secret_refused(void **state)
{
	json_t *chal, *p;
	char *secret;

	(void)state;
	assert_int_equal(evfix_enroll(t.store, "LAPTOP-WRONG", t.identity), 1);
	chal = enroll("LAPTOP-WRONG", t.ak2_pub, t.ek_pub, t.ek_cert, 201);
	/* 32 octets the TPM did not release: what a device without this EK can send. */
	secret = ar_b64url_encode_alloc("0123456789abcdef0123456789abcdef", 32);
	p = activate(chal, secret, 403);
	assert_problem(p, "activationFailed", "tpm_activation_failed");
	json_decref(p);
	assert_not_enrolled("LAPTOP-WRONG");
	/* The challenge is spent: the right answer afterwards no longer counts. */
	free(secret);
	secret = activate_on_tpm(chal, "ek.ctx", "ak2.ctx");
	assert_non_null(secret);
	p = activate(chal, secret, 404);
	assert_problem(p, "unknownChallenge", "tpm_challenge_unknown");
	json_decref(p);
	assert_not_enrolled("LAPTOP-WRONG");
	json_decref(chal);
	free(secret);
}

static void test_activation_replayed_refused(void **state)
{
	json_t *chal, *res, *p;
	char *secret;

	(void)state;
	assert_int_equal(evfix_enroll(t.store, "LAPTOP-REPLAY", t.identity), 1);
	chal = enroll("LAPTOP-REPLAY", t.ak2_pub, t.ek_pub, t.ek_cert, 201);
	secret = activate_on_tpm(chal, "ek.ctx", "ak2.ctx");
	assert_non_null(secret);
	res = activate(chal, secret, 200);
	json_decref(res);
	/* The same activation again (captured on the wire): one-shot. */
	p = activate(chal, secret, 404);
	assert_problem(p, "unknownChallenge", "already answered");
	json_decref(p);
	json_decref(chal);
	free(secret);
}

/*
 * The holder of a stolen device asks for a challenge with the device's
 * identity key and keeps it; the NOC re-enrols the device (acme-rats-ctl
 * reenrol: identity and TPM enrolment forgotten). The held challenge,
 * answered afterwards by the device's own TPM, enrols nothing: the identity
 * that asked is no longer the device's.
 */
static void test_challenge_held_across_an_operator_reenrol_refused(void **state)
{
	json_t *chal, *p;
	ar_err_t err = { 0 };
	char *secret;

	(void)state;
	assert_int_equal(evfix_enroll(t.store, "LAPTOP-STOLEN", t.identity), 1);
	chal = enroll("LAPTOP-STOLEN", t.ak3_pub, t.ek_pub, t.ek_cert, 201);
	secret = activate_on_tpm(chal, "ek.ctx", "ak3.ctx");
	assert_non_null(secret);
	assert_int_equal(ar_store_identity_del(t.store, "LAPTOP-STOLEN", &err), 1);
	assert_true(ar_store_tpm_forget(t.store, "LAPTOP-STOLEN", &err) >= 0);
	p = activate(chal, secret, 403);
	assert_problem(p, "unenrolledDevice", "no longer the device's");
	json_decref(p);
	assert_not_enrolled("LAPTOP-STOLEN");
	json_decref(chal);
	free(secret);
}

static void test_ak_enrolled_for_another_device_refused(void **state)
{
	(void)state;
	/* LAPTOP-1's AK (enrolled above), offered for another device. */
	enroll_refused("LAPTOP-THIEF", t.ak_pub, t.ek_pub, t.ek_cert, 409,
		       "akEnrolledForAnotherDevice", "enrolled for another device");
}

static void test_device_enrolled_with_another_ak_refused(void **state)
{
	json_t *p;

	(void)state;
	/* LAPTOP-1 again with another AK: re-enrolment is off ([tpm] reenrol = no). */
	p = enroll("LAPTOP-1", t.ak3_pub, t.ek_pub, t.ek_cert, 409);
	assert_problem(p, "deviceEnrolledWithAnotherAk", "enrolled with another AK");
	json_decref(p);
}

static void test_enrolment_not_signed_by_the_device_identity_refused(void **state)
{
	ar_jwk_t *other = ar_jwk_generate("ES256", NULL);
	char *body;
	httpc_resp_t r;

	(void)state;
	assert_int_equal(evfix_enroll(t.store, "LAPTOP-SIG", t.identity), 1);
	body = enroll_body("LAPTOP-SIG", t.ak2_pub, t.ek_pub, t.ek_cert, other);
	assert_int_equal(post("/tpm/v1/enroll", "application/jose", body, &r), 0);
	assert_int_equal(r.status, 401);
	assert_non_null(strstr(r.body, PROBLEM "unauthorized"));
	httpc_free(&r);
	free(body);
	/* A device nobody enrolled. */
	body = enroll_body("LAPTOP-NOBODY", t.ak2_pub, t.ek_pub, t.ek_cert, other);
	assert_int_equal(post("/tpm/v1/enroll", "application/jose", body, &r), 0);
	assert_int_equal(r.status, 403);
	assert_non_null(strstr(r.body, PROBLEM "unenrolledDevice"));
	httpc_free(&r);
	free(body);
	ar_jwk_free(other);
	assert_not_enrolled("LAPTOP-SIG");
}

static void test_malformed_and_oversized_enrolment_refused(void **state)
{
	char big[20000];
	httpc_resp_t r;
	json_t *p;

	(void)state;
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(post("/tpm/v1/enroll", "application/jose", big, &r), 0);
	assert_true(r.status == 413 || r.status == 400);
	httpc_free(&r);
	assert_int_equal(post("/tpm/v1/enroll", "application/json", "{}", &r), 0);
	assert_int_equal(r.status, 415);
	httpc_free(&r);
	assert_int_equal(post("/tpm/v1/activate", "application/json",
				 "{\"challenge\":\"x\",\"secret\":\"AA\"}", &r), 0);
	assert_int_equal(r.status, 400);
	httpc_free(&r);
	/* A public area with a byte too many. */
	{
		size_t n;
		uint8_t *d = tpmlab_read_public(&t.tpm, "ak2.pub", &n), *d2 = realloc(d, n + 1);
		char *b;

		assert_non_null(d2);
		d2[n] = 0;
		b = ar_b64url_encode_alloc(d2, n + 1);
		free(d2);
		assert_int_equal(evfix_enroll(t.store, "LAPTOP-PAD", t.identity), 1);
		p = enroll("LAPTOP-PAD", b, t.ek_pub, t.ek_cert, 400);
		assert_problem(p, "badTpmStructure", "trailing");
		json_decref(p);
		free(b);
	}
}

/* acme-rats-helper tpm-enroll against the verifier and the swtpm; its exit status. */
static int helper_enroll(const char *device)
{
	char bin[512], key[300];
	char *pem;

	snprintf(key, sizeof(key), "%s/account.key", t.v.dir);
	pem = ar_jwk_to_pem(t.identity, 1, NULL);
	assert_non_null(pem);
	assert_int_equal(ar_file_write_atomic(key, pem, strlen(pem), 0600, NULL), 0);
	free(pem);
	snprintf(bin, sizeof(bin), "%s/helper/acme-rats-helper", vtest_top("AR_TOP_BUILDDIR"));
	{
		char *argv[] = { bin, "tpm-enroll", "--verifier", t.v.base, "--ca-bundle", t.v.ca,
				 "--account-key", key, "--device-id", (char *)device, "--tcti",
				 t.tpm.tcti, "--state-dir", t.v.dir, "--ak-handle", "0x81010020",
				 NULL };

		return vtest_run(argv);
	}
}

static void test_helper_tpm_enroll_end_to_end(void **state)
{
	ar_tpm_enrolled_t e;
	char path[300];
	uint8_t *pub;
	size_t n;

	(void)state;
	assert_int_equal(evfix_enroll(t.store, "HELPER-1", t.identity), 1);
	assert_int_equal(helper_enroll("HELPER-1"), 0);
	assert_int_equal(ar_tpm_registry_get(t.store, "HELPER-1", &e, NULL), AR_TPM_OK);
	assert_int_equal(e.ek_source, AR_TPM_EK_CERT);
	/* The AK the helper keeps is the one registered. */
	snprintf(path, sizeof(path), "%s/tpm-ak.pub", t.v.dir);
	assert_int_equal(ar_file_read(path, 4096, (char **)&pub, &n, NULL), 0);
	assert_int_equal(n, e.ak_pub_len);
	assert_memory_equal(pub, e.ak_pub, n);
	free(pub);
	/* Again: the same persistent AK, enrolled already: accepted, nothing changes. */
	assert_int_equal(helper_enroll("HELPER-1"), 0);
	/* The same AK for another device: refused (exit 5). */
	assert_int_equal(evfix_enroll(t.store, "HELPER-2", t.identity), 1);
	assert_int_equal(helper_enroll("HELPER-2"), 5);
	assert_not_enrolled("HELPER-2");
}

static int setup(void **state)
{
	ar_store_opts_t so = { .host = "127.0.0.1" };
	char text[2048];

	(void)state;
	if (lab_init() < 0 || lab_redis_start(&t.redis) < 0 ||
	    lab_tmpdir(t.v.dir, sizeof(t.v.dir)) < 0)
		return -1;
	if (tpmlab_start(&t.tpm) < 0)
		return tpmlab_setup_failed(&t.tpm, "swtpm");
	/* The device's keys, one object at a time (no resource manager). */
	if (tpmlab_run(&t.tpm, "tpm2_nvread 0x01c00002 -o ekcert.der") != 0 ||
	    tpmlab_run(&t.tpm, "tpm2_createek -c ek.ctx -G rsa -u ek.pub") != 0 ||
	    tpmlab_run(&t.tpm, "tpm2_createak -C ek.ctx -c ak.ctx -G ecc -g sha256 -s ecdsa "
		       "-u ak.pub") != 0 ||
	    tpmlab_run(&t.tpm, "tpm2_createak -C ek.ctx -c ak2.ctx -G ecc -g sha256 -s ecdsa "
		       "-u ak2.pub") != 0 ||
	    tpmlab_run(&t.tpm, "tpm2_createak -C ek.ctx -c ak3.ctx -G ecc -g sha256 -s ecdsa "
		       "-u ak3.pub") != 0 ||
	    tpmlab_run(&t.tpm, "tpm2_createek -c ekecc.ctx -G ecc -u ekecc.pub") != 0 ||
	    tpmlab_run(&t.tpm, "tpm2_createak -C ekecc.ctx -c akecc.ctx -G ecc -g sha256 "
		       "-s ecdsa -u akecc.pub") != 0 ||
	    tpmlab_run(&t.tpm, "tpm2_createprimary -C e -G rsa2048 -c ekother.ctx "
		       "&& tpm2_readpublic -c ekother.ctx -o ekother.pub") != 0 ||
	    tpmlab_run(&t.tpm, "tpm2_createprimary -C o -G ecc -c srk.ctx") != 0 ||
	    tpmlab_run(&t.tpm, "tpm2_create -C srk.ctx -G ecc256:ecdsa-sha256 -u unrestricted.pub "
		       "-r unrestricted.priv") != 0 ||
	    tpmlab_run(&t.tpm, "dd if=ekecc.pub of=ekecc.tpmt bs=1 skip=2 2>/dev/null && "
		       "sha256sum ekecc.tpmt | cut -c1-64 > ek-registered.txt") != 0)
		return tpmlab_setup_failed(&t.tpm, "device keys");
	t.ek_pub = b64_of("ek.pub", 1);
	t.ek_cert = b64_of("ekcert.der", 0);
	t.ak_pub = b64_of("ak.pub", 1);
	t.ak2_pub = b64_of("ak2.pub", 1);
	t.ak3_pub = b64_of("ak3.pub", 1);
	t.unrestricted_pub = b64_of("unrestricted.pub", 1);
	t.other_ek_pub = b64_of("ekother.pub", 1);
	t.ecc_ek_pub = b64_of("ekecc.pub", 1);
	t.ecc_ak_pub = b64_of("akecc.pub", 1);

	/* The verifier, trusting the swtpm local CA's root for EK certificates. */
	snprintf(text, sizeof(text), "\n[tpm]\nek_roots = %s/ca/swtpm-localca-rootca-cert.pem\n"
		 "ek_intermediates = %s/ca/issuercert.pem\nek_registered = %s/ek-registered.txt\n"
		 "challenge_ttl = 30s\n", t.tpm.dir, t.tpm.dir, t.tpm.dir);
	if (vtest_make(&t.v, t.redis.port) < 0 || vtest_append(t.v.conf, text) < 0 ||
	    vtest_start(&t.v) < 0)
		return -1;
	t.identity = ar_jwk_generate("ES256", NULL);
	so.port = t.redis.port;
	t.store = ar_store_open(&so, NULL);
	return t.identity && t.store && t.ek_pub && t.ek_cert && t.ak_pub && t.ak2_pub && t.ak3_pub &&
	       t.unrestricted_pub && t.other_ek_pub && t.ecc_ek_pub && t.ecc_ak_pub ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	vtest_stop(&t.v);
	tpmlab_release(&t.tpm);
	ar_store_close(t.store);
	ar_jwk_free(t.identity);
	free(t.ek_pub);
	free(t.ek_cert);
	free(t.ak_pub);
	free(t.ak2_pub);
	free(t.ak3_pub);
	free(t.unrestricted_pub);
	free(t.other_ek_pub);
	free(t.ecc_ek_pub);
	free(t.ecc_ak_pub);
	lab_redis_stop(&t.redis);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tpm_enrolment_end_to_end),
		cmocka_unit_test(test_tpm_enrolment_with_an_ecc_ek_and_a_registered_ek_public),
		cmocka_unit_test(test_ek_public_without_certificate_not_registered_refused),
		cmocka_unit_test(test_ek_certificate_from_untrusted_root_refused),
		cmocka_unit_test(test_ek_public_not_matching_certificate_refused),
		cmocka_unit_test(test_ak_not_restricted_refused),
		cmocka_unit_test(test_activation_with_wrong_secret_refused),
		cmocka_unit_test(test_activation_replayed_refused),
		cmocka_unit_test(test_challenge_held_across_an_operator_reenrol_refused),
		cmocka_unit_test(test_ak_enrolled_for_another_device_refused),
		cmocka_unit_test(test_device_enrolled_with_another_ak_refused),
		cmocka_unit_test(test_enrolment_not_signed_by_the_device_identity_refused),
		cmocka_unit_test(test_malformed_and_oversized_enrolment_refused),
		cmocka_unit_test(test_helper_tpm_enroll_end_to_end),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
