/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TPM enrolment against a real swtpm: its EK certificate (from NV, issued by
 * swtpm_setup's local CA) verified to that CA's root, and credentials made
 * by ar_tpm_make_credential() activated by the TPM itself
 * (tpm2_activatecredential with the EK's policy session) - for an RSA and an
 * ECC EK - and each way an enrolment must fail.
 */
#include "config.h"

#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "testutil.h"
#include "lab/lab.h"
#include "tpm.h"
#include "tpm_enroll.h"
#include "tpmlab.h"

static tpmlab_t tpm;
static char roots[600], inter[600];

static void key_of(const char *file, ar_tpm_key_t *k)
{
	ar_err_t err = { 0 };
	size_t n;
	uint8_t *pub = tpmlab_read_public(&tpm, file, &n);

	assert_non_null(pub);
	if (ar_tpm_key_decode(pub, n, k, &err) != AR_TPM_OK)
		fail_msg("%s: %s", file, err.msg);
	free(pub);
}

/* The tpm2-tools credential file: magic, version, TPM2B_ID_OBJECT, TPM2B_ENCRYPTED_SECRET. */
static void write_credential(const char *name, const uint8_t *blob, size_t blob_len,
			     const uint8_t *enc, size_t enc_len)
{
	uint8_t buf[8 + 2 * AR_TPM_CRED_BLOB_MAX];
	static const uint8_t head[8] = { 0xba, 0xdc, 0xc0, 0xde, 0, 0, 0, 1 };

	memcpy(buf, head, 8);
	memcpy(buf + 8, blob, blob_len);
	memcpy(buf + 8 + blob_len, enc, enc_len);
	assert_int_equal(tpmlab_write(&tpm, name, buf, 8 + blob_len + enc_len), 0);
}

/*
 * Make a credential for the Name of @name_of's key with EK @ek_file, let the
 * TPM activate it with the EK context @ek_ctx and AK context @ak_ctx.
 * Returns the TPM tools' exit status; on 0, the secret must be ours.
 */
static int activate(const char *ek_file, const char *ek_ctx, const char *name_of,
		    const char *ak_ctx)
{
	uint8_t secret[AR_TPM_CRED_SECRET_LEN], blob[AR_TPM_CRED_BLOB_MAX];
	uint8_t enc[AR_TPM_CRED_BLOB_MAX], *got;
	size_t blob_len, enc_len, n;
	ar_tpm_key_t ek = { 0 }, ak = { 0 };
	ar_err_t err = { 0 };
	int rc;

	key_of(ek_file, &ek);
	key_of(name_of, &ak);
	assert_int_equal(ar_tpm_ek_check(&ek, &err), AR_TPM_OK);
	memset(secret, 0x3c, sizeof(secret));
	secret[0] = (uint8_t)ek.pub.type;
	if (ar_tpm_make_credential(&ek, ak.name, ak.name_len, secret, blob, &blob_len, enc,
				   &enc_len, &err) != AR_TPM_OK)
		fail_msg("make credential: %s", err.msg);
	write_credential("cred.in", blob, blob_len, enc, enc_len);
	rc = tpmlab_run(&tpm, "rm -f cred.out; tpm2_startauthsession --policy-session -S s.ctx "
			"&& tpm2_policysecret -S s.ctx -c e && tpm2_activatecredential -c %s "
			"-C %s -i cred.in -o cred.out -P session:s.ctx; rc=$?; "
			"tpm2_flushcontext s.ctx; test $rc -eq 0", ak_ctx, ek_ctx);
	if (rc == 0) {
		got = tpmlab_read(&tpm, "cred.out", &n);
		assert_non_null(got);
		assert_int_equal(n, sizeof(secret));
		assert_memory_equal(got, secret, n);
		free(got);
	}
	ar_tpm_key_clear(&ek);
	ar_tpm_key_clear(&ak);
	return rc;
}

static void test_credential_activated_by_the_tpm_with_an_rsa_ek(void **state)
{
	(void)state;
	assert_int_equal(activate("ek.pub", "ek.ctx", "ak.pub", "ak.ctx"), 0);
}

static void test_credential_activated_by_the_tpm_with_an_ecc_ek(void **state)
{
	(void)state;
	assert_int_equal(activate("ekecc.pub", "ekecc.ctx", "akecc.pub", "akecc.ctx"), 0);
}

static void test_credential_for_another_ak_name_not_activated(void **state)
{
	size_t n;
	char *log;

	(void)state;
	/* Bound to the Name of another AK, presented with this one: the TPM refuses
	 * (TPM_RC_INTEGRITY: the outer HMAC covers the Name). */
	assert_int_not_equal(activate("ek.pub", "ek.ctx", "ak2.pub", "ak.ctx"), 0);
	log = (char *)tpmlab_read(&tpm, "commands.log", &n);
	assert_non_null(log);
	assert_non_null(strstr(log + (n > 600 ? n - 600 : 0), "integrity"));
	free(log);
}

/* The check @check of the key in @file (a TPM2B_PUBLIC in the TPM's directory). */
static ar_tpm_reason_t check_key(const char *file,
				 ar_tpm_reason_t (*check)(const ar_tpm_key_t *, ar_err_t *),
				 ar_err_t *err)
{
	ar_tpm_key_t k = { 0 };
	ar_tpm_reason_t r;

	key_of(file, &k);
	r = check(&k, err);
	ar_tpm_key_clear(&k);
	return r;
}

/*
 * The swtpm's EK certificate (with @pad zero octets after it) verified
 * against the roots in @root_file and the intermediates in @inter_file,
 * for the key in @key_file.
 */
static ar_tpm_reason_t verify_ek_cert(const char *root_file, const char *inter_file,
				      const char *key_file, size_t pad, ar_err_t *err)
{
	ar_tpm_ek_trust_t *t;
	ar_tpm_key_t ek = { 0 };
	ar_tpm_reason_t r;
	uint8_t *der;
	size_t n;

	t = ar_tpm_ek_trust_load(root_file, inter_file, err);
	if (!t)
		fail_msg("trust: %s", err->msg);
	der = tpmlab_read(&tpm, "ekcert.der", &n);
	assert_non_null(der);
	der = realloc(der, n + pad);
	assert_non_null(der);
	memset(der + n, 0, pad);
	key_of(key_file, &ek);
	r = ar_tpm_ek_cert_verify(t, der, n + pad, &ek, time(NULL), err);
	free(der);
	ar_tpm_key_clear(&ek);
	ar_tpm_ek_trust_free(t);
	return r;
}

static void test_ek_certificate_chains_to_the_swtpm_root(void **state)
{
	ar_tpm_ek_trust_t *t;
	ar_err_t err = { 0 };

	(void)state;
	t = ar_tpm_ek_trust_load(roots, inter, &err);
	if (!t)
		fail_msg("trust: %s", err.msg);
	assert_int_equal(ar_tpm_ek_trust_roots(t), 1);
	ar_tpm_ek_trust_free(t);
	if (verify_ek_cert(roots, inter, "ek.pub", 0, &err) != AR_TPM_OK)
		fail_msg("EK certificate: %s", err.msg);
	/* Padded: not one DER certificate. */
	assert_int_equal(verify_ek_cert(roots, inter, "ek.pub", 1, &err), AR_TPM_MALFORMED);
}

static void test_ek_certificate_from_untrusted_root_refused(void **state)
{
	char other[700];
	ar_err_t err = { 0 };

	(void)state;
	/* Another CA's root, and even the swtpm CA's intermediate offered as a chain. */
	assert_int_equal(tpmlab_run(&tpm, "openssl req -x509 -newkey ec -pkeyopt "
				    "ec_paramgen_curve:P-256 -nodes -keyout other.key -out other.pem "
				    "-days 2 -subj /CN=other-tpm-vendor 2>/dev/null"), 0);
	snprintf(other, sizeof(other), "%s/other.pem", tpm.dir);
	assert_int_equal(verify_ek_cert(other, inter, "ek.pub", 0, &err), AR_TPM_EK_UNTRUSTED);
	assert_err(&err, AR_ERR_UNAUTHORIZED, "tpm_ek_untrusted");
	/* The intermediate alone is no root either. */
	assert_int_equal(verify_ek_cert(inter, NULL, "ek.pub", 0, &err), AR_TPM_EK_UNTRUSTED);
}

static void test_ek_public_not_matching_certificate_refused(void **state)
{
	ar_err_t err = { 0 };

	(void)state;
	/* A storage key of the endorsement hierarchy: an EK-like key, not the certified one. */
	assert_int_equal(check_key("ekother.pub", ar_tpm_ek_check, &err), AR_TPM_OK);
	assert_int_equal(verify_ek_cert(roots, inter, "ekother.pub", 0, &err), AR_TPM_EK_MISMATCH);
	assert_err(&err, AR_ERR_UNAUTHORIZED, "tpm_ek_mismatch");
}

static void test_signing_key_offered_as_ek_refused(void **state)
{
	ar_err_t err = { 0 };

	(void)state;
	assert_int_equal(check_key("ak.pub", ar_tpm_ek_check, &err), AR_TPM_UNSUPPORTED);
}

static void test_ak_not_restricted_refused(void **state)
{
	ar_err_t err = { 0 };

	(void)state;
	assert_int_equal(check_key("unrestricted.pub", ar_tpm_ak_check, &err),
			 AR_TPM_AK_NOT_RESTRICTED);
}

static void test_kdfa_known_answer(void **state)
{
	/* KDFa(SHA-256, key 0x00..0x1f, "STORAGE", "abc", -, 256), recomputed with the
	 * definition's single HMAC block: HMAC(key, 00000001 || "STORAGE\0" || "abc" || 00000100). */
	uint8_t key[32], out[32], want[32], msg[4 + 8 + 3 + 4];
	unsigned int n = 0;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)i;
	memcpy(msg, "\0\0\0\1STORAGE\0abc\0\0\1\0", sizeof(msg));
	assert_non_null(HMAC(EVP_sha256(), key, sizeof(key), msg, sizeof(msg), want, &n));
	assert_int_equal(ar_tpm_kdfa(key, sizeof(key), "STORAGE", (const uint8_t *)"abc", 3, NULL,
				     0, 256, out), 0);
	assert_memory_equal(out, want, 32);
	/* 128 bits: the first half of the same block. */
	assert_int_equal(ar_tpm_kdfa(key, sizeof(key), "STORAGE", (const uint8_t *)"abc", 3, NULL,
				     0, 128, out), 0);
	assert_memory_not_equal(out, want, 16);	/* bits is part of the input */
}

/* With AR_TPM_SEEDS=DIR: DIR/tpm_ek/NAME = u16be len, EK public, u16be len, AK public, cert. */
static void seed(const char *name, const char *ek_file, const char *ak_file, const char *cert)
{
	const char *dir = getenv("AR_TPM_SEEDS");
	uint8_t *ek, *ak, *der = NULL;
	size_t el, al, dl = 0;
	char path[1024];
	FILE *f;

	if (!dir)
		return;
	ek = tpmlab_read_public(&tpm, ek_file, &el);
	ak = tpmlab_read_public(&tpm, ak_file, &al);
	if (cert)
		der = tpmlab_read(&tpm, cert, &dl);
	snprintf(path, sizeof(path), "%s/tpm_ek/%s", dir, name);
	f = ek && ak ? fopen(path, "wb") : NULL;
	if (f) {
		fputc((int)(el >> 8), f);
		fputc((int)(el & 0xff), f);
		fwrite(ek, 1, el, f);
		fputc((int)(al >> 8), f);
		fputc((int)(al & 0xff), f);
		fwrite(ak, 1, al, f);
		if (der)
			fwrite(der, 1, dl, f);
		fclose(f);
	}
	free(ek);
	free(ak);
	free(der);
}

static int group_setup(void **state)
{
	(void)state;
	if (lab_init() < 0 || tpmlab_start(&tpm) < 0)
		return tpmlab_setup_failed(&tpm, "swtpm");
	snprintf(roots, sizeof(roots), "%s/ca/swtpm-localca-rootca-cert.pem", tpm.dir);
	snprintf(inter, sizeof(inter), "%s/ca/issuercert.pem", tpm.dir);
	if (tpmlab_run(&tpm, "tpm2_nvread 0x01c00002 -o ekcert.der") != 0)
		return tpmlab_setup_failed(&tpm, "EK certificate");
	/* One object at a time: no resource manager, tpmlab_run() flushes after each. */
	if (tpmlab_run(&tpm, "tpm2_createek -c ek.ctx -G rsa -u ek.pub") != 0 ||
	    tpmlab_run(&tpm, "tpm2_createak -C ek.ctx -c ak.ctx -G ecc -g sha256 -s ecdsa "
		       "-u ak.pub") != 0 ||
	    tpmlab_run(&tpm, "tpm2_createak -C ek.ctx -c ak2.ctx -G ecc -g sha256 -s ecdsa "
		       "-u ak2.pub") != 0)
		return tpmlab_setup_failed(&tpm, "RSA EK and AKs");
	if (tpmlab_run(&tpm, "tpm2_createek -c ekecc.ctx -G ecc -u ekecc.pub") != 0 ||
	    tpmlab_run(&tpm, "tpm2_createak -C ekecc.ctx -c akecc.ctx -G ecc -g sha256 -s ecdsa "
		       "-u akecc.pub") != 0)
		return tpmlab_setup_failed(&tpm, "ECC EK and AK");
	if (tpmlab_run(&tpm, "tpm2_createprimary -C e -G rsa2048 -c ekother.ctx "
		       "&& tpm2_readpublic -c ekother.ctx -o ekother.pub") != 0 ||
	    tpmlab_run(&tpm, "tpm2_createprimary -C o -G ecc -c srk.ctx") != 0 ||
	    tpmlab_run(&tpm, "tpm2_create -C srk.ctx -G ecc256:ecdsa-sha256 -u unrestricted.pub "
		       "-r unrestricted.priv") != 0)
		return tpmlab_setup_failed(&tpm, "other keys");
	seed("seed-rsa-ek-certificate", "ek.pub", "ak.pub", "ekcert.der");
	seed("seed-ecc-ek-no-certificate", "ekecc.pub", "akecc.pub", NULL);
	seed("seed-unrestricted-ak", "ekother.pub", "unrestricted.pub", "ekcert.der");
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	tpmlab_release(&tpm);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kdfa_known_answer),
		cmocka_unit_test(test_credential_activated_by_the_tpm_with_an_rsa_ek),
		cmocka_unit_test(test_credential_activated_by_the_tpm_with_an_ecc_ek),
		cmocka_unit_test(test_credential_for_another_ak_name_not_activated),
		cmocka_unit_test(test_ek_certificate_chains_to_the_swtpm_root),
		cmocka_unit_test(test_ek_certificate_from_untrusted_root_refused),
		cmocka_unit_test(test_ek_public_not_matching_certificate_refused),
		cmocka_unit_test(test_signing_key_offered_as_ek_refused),
		cmocka_unit_test(test_ak_not_restricted_refused),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
