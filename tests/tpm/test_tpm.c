/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TPM 2.0 evidence against a real swtpm: quotes and key certifications made
 * by tpm2-tools and ESAPI (tests/tpm/tpm_gen), a generated measured-boot log
 * and IMA list extended into the TPM's PCRs, and each attack the verifier
 * must refuse, with its reason.
 *
 * With AR_TPM_SEEDS=DIR set, the evidence of the healthy device is also
 * written as fuzz seeds (DIR/{tpm_struct,tcg_log,ima_list}/seed-*).
 */
#include "config.h"

#include <errno.h>
#include <sys/stat.h>

#include <openssl/evp.h>

#include "testutil.h"
#include "lab/lab.h"
#include "jwk.h"
#include "tpm.h"
#include "tpm_appraise.h"
#include "tpm_eventlog.h"
#include "tpm_ima.h"
#include "tpmlab.h"

#define AK_ECC		"0x81010002"
#define AK_OTHER	"0x81010003"
#define AK_RSASSA	"0x81010004"
#define AK_RSAPSS	"0x81010005"
#define SRK		"0x81000001"
#define KEY		"0x81000010"
#define KEY_OTHER	"0x81000011"
#define KEY_EXPORTABLE	"0x81000012"
#define KEY_RESTRICTED	"0x81000013"

/* PCRs quoted: 0-9 and 14 (boot log), 10 (IMA). */
#define QUOTED_PCRS	"0,1,2,3,4,5,6,7,8,9,10,14"
#define QUOTED_MASK	0x47ffu
#define BOOT_MASK	0x43ffu

static tpmlab_t tpm;
static char gen[512];
static const char nonce[] = "q1XvVb3m0aAkF8JHxqI2ZA";
static const char posture[] = "{\"os\":{\"id\":\"debian\",\"version_id\":\"12\"}}";
static uint8_t qd[AR_TPM_SHA256_LEN];

/* The evidence of one quote, as the device would send it. */
typedef struct quote {
	uint8_t		*attest, *sig;
	size_t		attest_len, sig_len;
	ar_tpm_pcrs_t	pcrs;
} quote_t;

static void quote_free(quote_t *q)
{
	free(q->attest);
	free(q->sig);
	memset(q, 0, sizeof(*q));
}

static void hex(char *out, const uint8_t *d, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++)
		snprintf(out + 2 * k, 3, "%02x", d[k]);
}

static void seed_write(const char *dir, const char *target, const char *name, const void *d,
		       size_t n)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, target);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return;
	snprintf(path, sizeof(path), "%s/%s/%s", dir, target, name);
	f = fopen(path, "wb");
	if (f) {
		fwrite(d, 1, n, f);
		fclose(f);
	}
}

/* tpm_struct seed: u16be len, TPMT_PUBLIC, u16be len, TPMS_ATTEST, TPMT_SIGNATURE. */
static void seed_struct(const char *name, const char *pub_file, const uint8_t *attest,
			size_t attest_len, const uint8_t *sig, size_t sig_len)
{
	const char *dir = getenv("AR_TPM_SEEDS");
	uint8_t buf[4096];
	size_t n, off = 0;
	uint8_t *pub;

	if (!dir)
		return;
	pub = tpmlab_read_public(&tpm, pub_file, &n);
	if (!pub || 4 + n + attest_len + sig_len > sizeof(buf)) {
		free(pub);
		return;
	}
	buf[off++] = (uint8_t)(n >> 8);
	buf[off++] = (uint8_t)n;
	memcpy(buf + off, pub, n);
	off += n;
	buf[off++] = (uint8_t)(attest_len >> 8);
	buf[off++] = (uint8_t)attest_len;
	memcpy(buf + off, attest, attest_len);
	off += attest_len;
	memcpy(buf + off, sig, sig_len);
	off += sig_len;
	seed_write(dir, "tpm_struct", name, buf, off);
	free(pub);
}

/* TPM2_Quote by @ak over the quoted PCRs with @q_data, and the PCR values. */
static void quote(const char *ak, const uint8_t q_data[AR_TPM_SHA256_LEN], quote_t *q)
{
	const char *scheme = strcmp(ak, AK_RSAPSS) == 0 ? "--scheme rsapss" : "";
	char h[2 * AR_TPM_SHA256_LEN + 1];
	uint8_t *vals;
	size_t n, k, i;

	memset(q, 0, sizeof(*q));
	hex(h, q_data, AR_TPM_SHA256_LEN);
	if (tpmlab_run(&tpm, "tpm2_quote -c %s -l sha256:" QUOTED_PCRS " -q %s -m q.msg -s q.sig "
		       "-g sha256 %s && tpm2_pcrread -o q.pcrs sha256:" QUOTED_PCRS, ak, h, scheme) != 0) {
		tpmlab_setup_failed(&tpm, "tpm2_quote");
		fail();
	}
	q->attest = tpmlab_read(&tpm, "q.msg", &q->attest_len);
	q->sig = tpmlab_read(&tpm, "q.sig", &q->sig_len);
	vals = tpmlab_read(&tpm, "q.pcrs", &n);
	assert_non_null(q->attest);
	assert_non_null(q->sig);
	assert_non_null(vals);
	assert_int_equal(n, 12 * AR_TPM_SHA256_LEN);
	for (i = 0, k = 0; i < AR_TPM_PCR_COUNT; i++)
		if (QUOTED_MASK & (1u << i))
			memcpy(q->pcrs.v[i], vals + AR_TPM_SHA256_LEN * k++, AR_TPM_SHA256_LEN);
	q->pcrs.mask = QUOTED_MASK;
	free(vals);
}

static void key_load(const char *file, ar_tpm_key_t *key)
{
	size_t n;
	uint8_t *pub = tpmlab_read_public(&tpm, file, &n);
	ar_err_t err = { 0 };

	assert_non_null(pub);
	if (ar_tpm_key_decode(pub, n, key, &err) != AR_TPM_OK)
		fail_msg("%s: %s", file, err.msg);
	free(pub);
}

static ar_tpm_reason_t verify_quote(const char *ak_pub, const quote_t *q, const uint8_t *q_data,
				    ar_tpm_clock_t *clock, ar_err_t *err)
{
	ar_tpm_key_t ak;
	ar_tpm_reason_t r;

	key_load(ak_pub, &ak);
	r = ar_tpm_quote_verify(&ak, q->attest, q->attest_len, q->sig, q->sig_len, q_data,
				&q->pcrs, clock, err);
	ar_tpm_key_clear(&ak);
	return r;
}

/* TPM2_Certify of @key by @ak with the verifier's qualifying data. */
static ar_tpm_reason_t certify(const char *ak, const char *ak_pub, const char *key,
			       const char *key_pub, ar_tpm_key_t *certified, ar_err_t *err)
{
	char h[2 * AR_TPM_SHA256_LEN + 1];
	uint8_t *attest, *sig, *pub;
	size_t attest_len, sig_len, pub_len;
	ar_tpm_key_t akk;
	ar_tpm_reason_t r;

	hex(h, qd, sizeof(qd));
	assert_int_equal(tpmlab_run(&tpm, "'%s' certify '%s' %s %s %s c.attest c.sig", gen, tpm.tcti,
				    ak, key, h), 0);
	attest = tpmlab_read(&tpm, "c.attest", &attest_len);
	sig = tpmlab_read(&tpm, "c.sig", &sig_len);
	pub = tpmlab_read_public(&tpm, key_pub, &pub_len);
	assert_non_null(attest);
	assert_non_null(sig);
	assert_non_null(pub);
	if (strcmp(key, KEY) == 0 && strcmp(ak, AK_ECC) == 0)
		seed_struct("seed-certify-ecdsa", ak_pub, attest, attest_len, sig, sig_len);
	key_load(ak_pub, &akk);
	r = ar_tpm_certify_verify(&akk, attest, attest_len, sig, sig_len, qd, pub, pub_len,
				  certified, err);
	ar_tpm_key_clear(&akk);
	free(attest);
	free(sig);
	free(pub);
	return r;
}

#define assert_reason(r, want, err, needle) do {					\
	ar_tpm_reason_t r_ = (r);							\
	if (r_ != (want) || !strstr((err)->msg, (needle)))				\
		fail_msg("expected %s \"%s\", got %s \"%s\"", ar_tpm_reason_name(want),	\
			 (needle), ar_tpm_reason_name(r_), (err)->msg);			\
} while (0)

static int setup(void **state)
{
	const char *top = getenv("AR_TOP_BUILDDIR");

	(void)state;
	if (lab_init() < 0 || tpmlab_start(&tpm) < 0)
		return tpmlab_setup_failed(&tpm, "swtpm");
	snprintf(gen, sizeof(gen), "%s/tests/tpm/tpm_gen", top ? top : ".");
	if (ar_tpm_qualifying_data(nonce, strlen(nonce), (const uint8_t *)posture, strlen(posture),
				   qd, NULL) < 0)
		return -1;
	/* The device: measured boot and IMA extended into its PCRs. */
	if (tpmlab_run(&tpm, "'%s' boot '%s' boot.log", gen, tpm.tcti) != 0 ||
	    tpmlab_run(&tpm, "'%s' ima '%s' ima.list allow.txt 0 40", gen, tpm.tcti) != 0)
		return tpmlab_setup_failed(&tpm, "boot log and IMA list");
	/* Its keys: EK, AKs (ECDSA, RSASSA, RSA-PSS, another), an SRK and keys under it. */
	if (tpmlab_run(&tpm, "tpm2_createek -c ek.ctx -G ecc -u ek.pub") != 0 ||
	    tpmlab_run(&tpm, "tpm2_createak -C ek.ctx -c ak.ctx -G ecc -g sha256 -s ecdsa -u ak.pub "
		       "&& tpm2_evictcontrol -C o -c ak.ctx " AK_ECC) != 0 ||
	    tpmlab_run(&tpm, "tpm2_createak -C ek.ctx -c ak2.ctx -G ecc -g sha256 -s ecdsa -u ak2.pub "
		       "&& tpm2_evictcontrol -C o -c ak2.ctx " AK_OTHER) != 0 ||
	    tpmlab_run(&tpm, "tpm2_createak -C ek.ctx -c akr.ctx -G rsa -g sha256 -s rsassa -u akr.pub "
		       "&& tpm2_evictcontrol -C o -c akr.ctx " AK_RSASSA) != 0 ||
	    tpmlab_run(&tpm, "tpm2_createak -C ek.ctx -c akp.ctx -G rsa -g sha256 -s rsapss -u akp.pub "
		       "&& tpm2_evictcontrol -C o -c akp.ctx " AK_RSAPSS) != 0 ||
	    tpmlab_run(&tpm, "tpm2_createprimary -C o -c srk.ctx -G ecc "
		       "&& tpm2_evictcontrol -C o -c srk.ctx " SRK) != 0)
		return tpmlab_setup_failed(&tpm, "EK, AKs and SRK");
	if (tpmlab_run(&tpm, "tpm2_create -C " SRK " -G ecc256:ecdsa-sha256 -a "
		       "'sign|fixedtpm|fixedparent|sensitivedataorigin|userwithauth' -u key.pub -r key.priv "
		       "&& tpm2_load -C " SRK " -u key.pub -r key.priv -c key.ctx "
		       "&& tpm2_evictcontrol -C o -c key.ctx " KEY) != 0 ||
	    tpmlab_run(&tpm, "tpm2_create -C " SRK " -G ecc256:ecdsa-sha256 -a "
		       "'sign|fixedtpm|fixedparent|sensitivedataorigin|userwithauth' -u key2.pub -r key2.priv "
		       "&& tpm2_load -C " SRK " -u key2.pub -r key2.priv -c key2.ctx "
		       "&& tpm2_evictcontrol -C o -c key2.ctx " KEY_OTHER) != 0 ||
	    tpmlab_run(&tpm, "tpm2_create -C " SRK " -G ecc256:ecdsa-sha256 -a "
		       "'sign|sensitivedataorigin|userwithauth' -u keyx.pub -r keyx.priv "
		       "&& tpm2_load -C " SRK " -u keyx.pub -r keyx.priv -c keyx.ctx "
		       "&& tpm2_evictcontrol -C o -c keyx.ctx " KEY_EXPORTABLE) != 0 ||
	    tpmlab_run(&tpm, "tpm2_create -C " SRK " -G ecc256:ecdsa-sha256:null -a "
		       "'restricted|sign|fixedtpm|fixedparent|sensitivedataorigin|userwithauth' "
		       "-u keyr.pub -r keyr.priv && tpm2_load -C " SRK " -u keyr.pub -r keyr.priv "
		       "-c keyr.ctx && tpm2_evictcontrol -C o -c keyr.ctx " KEY_RESTRICTED) != 0)
		return tpmlab_setup_failed(&tpm, "keys");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tpmlab_release(&tpm);
	return 0;
}

static ar_ima_policy_t *ima_policy(void)
{
	size_t n;
	char *allow = (char *)tpmlab_read(&tpm, "allow.txt", &n);
	ar_ima_policy_t *pol = ar_ima_policy_new();
	ar_err_t err = { 0 };

	assert_non_null(allow);
	assert_non_null(pol);
	if (ar_ima_policy_allowlist(pol, allow, n, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(ar_ima_policy_exclude(pol, "/var/log/*", &err), 0);
	free(allow);
	return pol;
}

/* The device's IMA replay state across the tests (one boot). */
static ar_ima_state_t ima_state;

static void test_quote_certify_boot_log_and_ima_of_a_healthy_device_accepted(void **state)
{
	quote_t q;
	ar_tpm_clock_t clock;
	ar_tcg_log_t log;
	ar_tpm_key_t key;
	ar_uefi_var_t var;
	ar_ima_policy_t *pol;
	char jkt[AR_JWK_THUMBPRINT_LEN + 1];
	uint8_t *boot;
	char *list;
	size_t boot_len, list_len, i, appraised = 0;
	ar_err_t err = { 0 };

	(void)state;
	quote(AK_ECC, qd, &q);
	assert_reason(verify_quote("ak.pub", &q, qd, &clock, &err), AR_TPM_OK, &err, "");
	assert_reason(ar_tpm_clock_check(NULL, &clock, &err), AR_TPM_OK, &err, "");
	assert_true(clock.reset_count < 10);

	boot = tpmlab_read(&tpm, "boot.log", &boot_len);
	assert_non_null(boot);
	assert_reason(ar_tcg_log_parse(boot, boot_len, &log, &err), AR_TPM_OK, &err, "");
	assert_true(log.count >= 55);
	assert_reason(ar_tcg_log_check(&log, &q.pcrs, BOOT_MASK, &err), AR_TPM_OK, &err, "");
	for (i = 0; i < log.count; i++)
		if (log.ev[i].pcr == 7 && log.ev[i].type == AR_EV_EFI_VARIABLE_DRIVER_CONFIG &&
		    ar_uefi_var_decode(&log.ev[i], &var, NULL) == 0 && ar_uefi_var_name_is(&var, "dbx"))
			assert_true(log.ev[i].data_bound);
	assert_int_equal(ar_tcg_log_secure_boot(&log, &err), 1);

	pol = ima_policy();
	list = (char *)tpmlab_read(&tpm, "ima.list", &list_len);
	assert_non_null(list);
	assert_reason(ar_ima_appraise(pol, &ima_state, clock.reset_count, list, list_len,
				      q.pcrs.v[10], &appraised, &err), AR_TPM_OK, &err, "");
	assert_int_equal(appraised, 41);	/* boot_aggregate and 40 files */
	assert_int_equal(ima_state.offset, list_len);

	assert_reason(certify(AK_ECC, "ak.pub", KEY, "key.pub", &key, &err), AR_TPM_OK, &err, "");
	assert_int_equal(ar_jwk_pkey_thumbprint(key.pkey, jkt, &err), 0);
	assert_int_equal(strlen(jkt), AR_JWK_THUMBPRINT_LEN);

	if (getenv("AR_TPM_SEEDS")) {
		uint8_t *pre = malloc(AR_TPM_SHA256_LEN + list_len);

		seed_struct("seed-quote-ecdsa", "ak.pub", q.attest, q.attest_len, q.sig, q.sig_len);
		seed_write(getenv("AR_TPM_SEEDS"), "tcg_log", "seed-boot", boot, boot_len);
		memcpy(pre, q.pcrs.v[10], AR_TPM_SHA256_LEN);
		memcpy(pre + AR_TPM_SHA256_LEN, list, list_len);
		seed_write(getenv("AR_TPM_SEEDS"), "ima_list", "seed-list", pre,
			   AR_TPM_SHA256_LEN + list_len);
		free(pre);
	}
	ar_tpm_key_clear(&key);
	ar_ima_policy_free(pol);
	ar_tcg_log_clear(&log);
	free(boot);
	free(list);
	quote_free(&q);
}

/* Everything at once, as the verifier will call it: a replay changes nothing. */
static void test_whole_evidence_appraised_and_a_replay_changes_no_state(void **state)
{
	ar_tpm_device_state_t dev = { 0 }, before;
	ar_tpm_policy_t pol = { .quote_mask = QUOTED_MASK, .boot_mask = BOOT_MASK };
	ar_tpm_evidence_t ev;
	ar_tpm_result_t res;
	ar_tpm_key_t ak;
	quote_t q, q2;
	uint8_t *c_attest, *c_sig, *key_pub, *boot;
	char *list;
	size_t c_attest_len, c_sig_len, key_pub_len, boot_len, list_len;
	char h[2 * AR_TPM_SHA256_LEN + 1];
	ar_err_t err = { 0 };

	(void)state;
	pol.ima = ima_policy();
	hex(h, qd, sizeof(qd));
	assert_int_equal(tpmlab_run(&tpm, "'%s' certify '%s' " AK_ECC " " KEY " %s c.attest c.sig",
				    gen, tpm.tcti, h), 0);
	quote(AK_ECC, qd, &q);
	c_attest = tpmlab_read(&tpm, "c.attest", &c_attest_len);
	c_sig = tpmlab_read(&tpm, "c.sig", &c_sig_len);
	key_pub = tpmlab_read_public(&tpm, "key.pub", &key_pub_len);
	boot = tpmlab_read(&tpm, "boot.log", &boot_len);
	list = (char *)tpmlab_read(&tpm, "ima.list", &list_len);
	assert_true(c_attest && c_sig && key_pub && boot && list);
	ev = (ar_tpm_evidence_t){
		.quote = q.attest, .quote_len = q.attest_len, .quote_sig = q.sig,
		.quote_sig_len = q.sig_len, .pcrs = &q.pcrs,
		.certify = c_attest, .certify_len = c_attest_len, .certify_sig = c_sig,
		.certify_sig_len = c_sig_len, .key_pub = key_pub, .key_pub_len = key_pub_len,
		.boot_log = boot, .boot_log_len = boot_len, .ima_list = list, .ima_list_len = list_len,
	};
	key_load("ak.pub", &ak);
	assert_reason(ar_tpm_appraise(&pol, &ak, &ev, qd, &dev, &res, &err), AR_TPM_OK, &err, "");
	assert_non_null(res.key.pkey);
	assert_true(res.log.count >= 55);
	assert_true(res.ima_appraised >= 41);
	assert_true(dev.seen && dev.ima.valid);
	ar_tpm_result_clear(&res);

	/* The same evidence again: a replay, and the state stays as it was. */
	before = dev;
	assert_reason(ar_tpm_appraise(&pol, &ak, &ev, qd, &dev, &res, &err), AR_TPM_CLOCK_REPLAY,
		      &err, "did not advance");
	assert_memory_equal(&before, &dev, sizeof(dev));
	assert_null(res.key.pkey);

	/* A fresh quote of the same boot: nothing new in the IMA list. */
	quote(AK_ECC, qd, &q2);
	ev.quote = q2.attest;
	ev.quote_len = q2.attest_len;
	ev.quote_sig = q2.sig;
	ev.quote_sig_len = q2.sig_len;
	ev.pcrs = &q2.pcrs;
	assert_reason(ar_tpm_appraise(&pol, &ak, &ev, qd, &dev, &res, &err), AR_TPM_OK, &err, "");
	assert_int_equal(res.ima_appraised, 0);
	ar_tpm_result_clear(&res);

	/* Without the boot log the policy requires. */
	ev.boot_log = NULL;
	assert_reason(ar_tpm_appraise(&pol, &ak, &ev, qd, &dev, &res, &err), AR_TPM_MALFORMED, &err,
		      "lacks the boot log");
	ar_tpm_key_clear(&ak);
	ar_ima_policy_free((ar_ima_policy_t *)pol.ima);
	free(c_attest);
	free(c_sig);
	free(key_pub);
	free(boot);
	free(list);
	quote_free(&q);
	quote_free(&q2);
}

static void test_quotes_by_rsassa_and_rsapss_aks_accepted(void **state)
{
	quote_t q;
	ar_err_t err = { 0 };

	(void)state;
	quote(AK_RSASSA, qd, &q);
	assert_reason(verify_quote("akr.pub", &q, qd, NULL, &err), AR_TPM_OK, &err, "");
	seed_struct("seed-quote-rsassa", "akr.pub", q.attest, q.attest_len, q.sig, q.sig_len);
	quote_free(&q);
	quote(AK_RSAPSS, qd, &q);
	assert_reason(verify_quote("akp.pub", &q, qd, NULL, &err), AR_TPM_OK, &err, "");
	seed_struct("seed-quote-rsapss", "akp.pub", q.attest, q.attest_len, q.sig, q.sig_len);
	quote_free(&q);
}

static void test_quote_with_another_nonce_refused(void **state)
{
	uint8_t other[AR_TPM_SHA256_LEN];
	quote_t q;
	ar_err_t err = { 0 };

	(void)state;
	assert_int_equal(ar_tpm_qualifying_data("another-nonce", 13, (const uint8_t *)posture,
						strlen(posture), other, NULL), 0);
	quote(AK_ECC, other, &q);
	assert_reason(verify_quote("ak.pub", &q, qd, NULL, &err), AR_TPM_NONCE_MISMATCH, &err,
		      "extraData");
	assert_int_equal(err.code, AR_ERR_BAD_NONCE);
	quote_free(&q);
}

static void test_quote_binding_another_posture_refused(void **state)
{
	uint8_t other[AR_TPM_SHA256_LEN];
	quote_t q;
	ar_err_t err = { 0 };

	(void)state;
	assert_int_equal(ar_tpm_qualifying_data(nonce, strlen(nonce), (const uint8_t *)"{}", 2,
						other, NULL), 0);
	quote(AK_ECC, other, &q);
	assert_reason(verify_quote("ak.pub", &q, qd, NULL, &err), AR_TPM_NONCE_MISMATCH, &err,
		      "posture");
	quote_free(&q);
}

static void test_replayed_quote_refused(void **state)
{
	quote_t q1, q2;
	ar_tpm_clock_t c1, c2;
	ar_err_t err = { 0 };

	(void)state;
	quote(AK_ECC, qd, &q1);
	assert_reason(verify_quote("ak.pub", &q1, qd, &c1, &err), AR_TPM_OK, &err, "");
	lab_sleep_ms(20);
	quote(AK_ECC, qd, &q2);
	assert_reason(verify_quote("ak.pub", &q2, qd, &c2, &err), AR_TPM_OK, &err, "");
	assert_reason(ar_tpm_clock_check(&c1, &c2, &err), AR_TPM_OK, &err, "");
	/* The same quote again: its clock did not advance past the last one seen. */
	assert_reason(ar_tpm_clock_check(&c2, &c2, &err), AR_TPM_CLOCK_REPLAY, &err,
		      "did not advance");
	assert_reason(ar_tpm_clock_check(&c2, &c1, &err), AR_TPM_CLOCK_REPLAY, &err,
		      "a replayed quote");
	quote_free(&q1);
	quote_free(&q2);
}

static void test_pcr_values_not_matching_the_digest_refused(void **state)
{
	quote_t q;
	ar_err_t err = { 0 };

	(void)state;
	quote(AK_ECC, qd, &q);
	q.pcrs.v[4][0] ^= 1;		/* the device reports another boot loader PCR */
	assert_reason(verify_quote("ak.pub", &q, qd, NULL, &err), AR_TPM_PCR_DIGEST_MISMATCH, &err,
		      "do not hash to the quoted PCR digest");
	quote_free(&q);
}

static void test_quote_of_other_pcrs_than_reported_refused(void **state)
{
	quote_t q;
	ar_err_t err = { 0 };

	(void)state;
	quote(AK_ECC, qd, &q);
	q.pcrs.mask &= ~(1u << 10);	/* the values reported leave PCR 10 out */
	assert_reason(verify_quote("ak.pub", &q, qd, NULL, &err), AR_TPM_PCR_SELECTION, &err,
		      "selects PCRs 0x0047ff");
	quote_free(&q);
}

static void test_boot_log_that_does_not_replay_refused(void **state)
{
	quote_t q;
	ar_tcg_log_t log;
	uint8_t *boot;
	size_t n;
	ar_err_t err = { 0 };

	(void)state;
	/* A log of another kernel than the one measured into the TPM. */
	assert_int_equal(tpmlab_run(&tpm, "'%s' boot - other.log --kernel vmlinuz-6.1.0-99-evil", gen), 0);
	quote(AK_ECC, qd, &q);
	assert_reason(verify_quote("ak.pub", &q, qd, NULL, &err), AR_TPM_OK, &err, "");
	boot = tpmlab_read(&tpm, "other.log", &n);
	assert_non_null(boot);
	assert_reason(ar_tcg_log_parse(boot, n, &log, &err), AR_TPM_OK, &err, "");
	assert_reason(ar_tcg_log_check(&log, &q.pcrs, BOOT_MASK, &err), AR_TPM_LOG_REPLAY_MISMATCH,
		      &err, "PCR 4");
	ar_tcg_log_clear(&log);
	free(boot);
	/* The real log with one digest changed. */
	boot = tpmlab_read(&tpm, "boot.log", &n);
	assert_non_null(boot);
	boot[n - 20] ^= 0x40;		/* the last event's data (40 octets, PCR 5) */
	assert_reason(ar_tcg_log_parse(boot, n, &log, &err), AR_TPM_OK, &err, "");
	assert_true(!log.ev[log.count - 1].data_bound);
	ar_tcg_log_clear(&log);
	boot[n - 20] ^= 0x40;
	boot[n - 50] ^= 0x01;		/* its SHA-256 digest (octets n-76 to n-45) */
	assert_reason(ar_tcg_log_parse(boot, n, &log, &err), AR_TPM_OK, &err, "");
	assert_reason(ar_tcg_log_check(&log, &q.pcrs, BOOT_MASK, &err), AR_TPM_LOG_REPLAY_MISMATCH,
		      &err, "PCR 5");
	ar_tcg_log_clear(&log);
	/* Truncated in its last event. */
	assert_reason(ar_tcg_log_parse(boot, n - 3, &log, &err), AR_TPM_LOG_MALFORMED, &err,
		      "truncated");
	ar_tcg_log_clear(&log);
	free(boot);
	quote_free(&q);
}

static void test_certify_of_an_exportable_key_refused(void **state)
{
	ar_tpm_key_t key;
	ar_err_t err = { 0 };

	(void)state;
	assert_reason(certify(AK_ECC, "ak.pub", KEY_EXPORTABLE, "keyx.pub", &key, &err),
		      AR_TPM_KEY_EXPORTABLE, &err, "fixedTPM clear");
	assert_null(key.pkey);
}

static void test_certify_of_a_restricted_key_refused(void **state)
{
	ar_tpm_key_t key;
	ar_err_t err = { 0 };

	(void)state;
	assert_reason(certify(AK_ECC, "ak.pub", KEY_RESTRICTED, "keyr.pub", &key, &err),
		      AR_TPM_KEY_RESTRICTED, &err, "restricted");
}

static void test_certified_name_not_matching_the_public_area_refused(void **state)
{
	ar_tpm_key_t key;
	ar_err_t err = { 0 };

	(void)state;
	/* KEY certified, the public area of KEY_OTHER presented as the certified key. */
	assert_reason(certify(AK_ECC, "ak.pub", KEY, "key2.pub", &key, &err), AR_TPM_NAME_MISMATCH,
		      &err, "certified Name");
}

static void test_quote_signed_by_another_ak_refused(void **state)
{
	quote_t q;
	ar_err_t err = { 0 };

	(void)state;
	quote(AK_OTHER, qd, &q);
	assert_reason(verify_quote("ak.pub", &q, qd, NULL, &err), AR_TPM_BAD_SIGNATURE, &err,
		      "does not verify");
	assert_int_equal(err.code, AR_ERR_BAD_SIGNATURE);
	quote_free(&q);
}

static void test_certify_signed_by_another_ak_refused(void **state)
{
	ar_tpm_key_t key;
	ar_err_t err = { 0 };

	(void)state;
	assert_reason(certify(AK_OTHER, "ak.pub", KEY, "key.pub", &key, &err), AR_TPM_BAD_SIGNATURE,
		      &err, "does not verify");
}

static void test_forged_quote_signed_by_an_unrestricted_key_refused(void **state)
{
	quote_t q;
	ar_err_t err = { 0 };
	uint8_t *forged;
	size_t n;

	(void)state;
	/* An unrestricted key signs anything, a TPMS_ATTEST the device wrote too. */
	quote(AK_ECC, qd, &q);
	forged = q.attest;
	forged[q.attest_len - 1] ^= 0xff;	/* another PCR digest */
	assert_int_equal(tpmlab_write(&tpm, "forged.msg", forged, q.attest_len), 0);
	assert_int_equal(tpmlab_run(&tpm, "tpm2_sign -c " KEY " -g sha256 -o forged.sig forged.msg"), 0);
	free(q.sig);
	q.sig = tpmlab_read(&tpm, "forged.sig", &n);
	q.sig_len = n;
	assert_non_null(q.sig);
	assert_reason(verify_quote("key.pub", &q, qd, NULL, &err), AR_TPM_AK_NOT_RESTRICTED, &err,
		      "not those of an attestation key");
	quote_free(&q);
}

static void test_truncated_or_padded_attest_refused(void **state)
{
	quote_t q;
	uint8_t *padded;
	ar_err_t err = { 0 };

	(void)state;
	quote(AK_ECC, qd, &q);
	q.attest_len--;
	assert_reason(verify_quote("ak.pub", &q, qd, NULL, &err), AR_TPM_MALFORMED, &err,
		      "does not decode");
	q.attest_len++;
	padded = realloc(q.attest, q.attest_len + 1);
	assert_non_null(padded);
	q.attest = padded;
	q.attest[q.attest_len++] = 0;
	assert_reason(verify_quote("ak.pub", &q, qd, NULL, &err), AR_TPM_MALFORMED, &err,
		      "1 trailing octets");
	quote_free(&q);
}

static void test_quote_presented_as_a_certify_refused(void **state)
{
	quote_t q;
	ar_tpm_key_t ak, key;
	size_t n;
	uint8_t *pub = tpmlab_read_public(&tpm, "key.pub", &n);
	ar_err_t err = { 0 };

	(void)state;
	assert_non_null(pub);
	quote(AK_ECC, qd, &q);
	key_load("ak.pub", &ak);
	assert_reason(ar_tpm_certify_verify(&ak, q.attest, q.attest_len, q.sig, q.sig_len, qd, pub, n,
					    &key, &err), AR_TPM_WRONG_TYPE, &err, "(certify)");
	ar_tpm_key_clear(&ak);
	free(pub);
	quote_free(&q);
}

static void test_second_quote_of_the_same_boot_appraises_only_new_entries(void **state)
{
	ar_ima_policy_t *pol;
	ar_tpm_clock_t clock;
	ar_ima_state_t before = ima_state;
	quote_t q;
	char *list, *digit;
	size_t n, appraised = 0;
	ar_err_t err = { 0 };

	(void)state;
	assert_true(ima_state.valid);
	/* 20 more files and a log file (excluded) are measured since the last quote. */
	assert_int_equal(tpmlab_run(&tpm, "'%s' ima '%s' ima.list allow.txt 40 20 --intruder "
				    "/var/log/app.log", gen, tpm.tcti), 0);
	pol = ima_policy();
	quote(AK_ECC, qd, &q);
	assert_reason(verify_quote("ak.pub", &q, qd, &clock, &err), AR_TPM_OK, &err, "");
	list = (char *)tpmlab_read(&tpm, "ima.list", &n);
	assert_non_null(list);
	assert_reason(ar_ima_appraise(pol, &ima_state, clock.reset_count, list, n, q.pcrs.v[10],
				      &appraised, &err), AR_TPM_OK, &err, "");
	assert_int_equal(appraised, 21);
	assert_int_equal(ima_state.entries, before.entries + 21);
	/* The same list with an entry of the part appraised before changed is not re-read. */
	digit = strstr(strchr(list, '\n'), "sha256:") + 7;	/* entry 1's file digest */
	*digit = *digit == 'a' ? 'b' : 'a';
	before = ima_state;
	assert_reason(ar_ima_appraise(pol, &ima_state, clock.reset_count, list, n, q.pcrs.v[10],
				      &appraised, &err), AR_TPM_OK, &err, "");
	assert_int_equal(appraised, 0);
	/* From scratch, the changed entry no longer replays to PCR 10. */
	memset(&before, 0, sizeof(before));
	assert_reason(ar_ima_appraise(pol, &before, clock.reset_count, list, n, q.pcrs.v[10],
				      &appraised, &err), AR_TPM_IMA_REPLAY_MISMATCH, &err,
		      "does not replay to the quoted PCR 10");
	free(list);
	ar_ima_policy_free(pol);
	quote_free(&q);
}

static void test_ima_entry_outside_the_allowlist_refused(void **state)
{
	ar_ima_policy_t *pol;
	ar_tpm_clock_t clock;
	ar_ima_state_t before = ima_state;
	quote_t q;
	char *list;
	size_t n, appraised = 0;
	ar_err_t err = { 0 };

	(void)state;
	assert_int_equal(tpmlab_run(&tpm, "'%s' ima '%s' ima.list allow.txt 60 3 --intruder "
				    "/usr/local/bin/miner", gen, tpm.tcti), 0);
	pol = ima_policy();
	quote(AK_ECC, qd, &q);
	assert_reason(verify_quote("ak.pub", &q, qd, &clock, &err), AR_TPM_OK, &err, "");
	list = (char *)tpmlab_read(&tpm, "ima.list", &n);
	assert_non_null(list);
	assert_reason(ar_ima_appraise(pol, &ima_state, clock.reset_count, list, n, q.pcrs.v[10],
				      &appraised, &err), AR_TPM_IMA_NOT_ALLOWED, &err,
		      "/usr/local/bin/miner is not in the allowlist");
	assert_memory_equal(&before, &ima_state, sizeof(before));	/* nothing advanced */
	free(list);
	ar_ima_policy_free(pol);
	quote_free(&q);
}

/* Last: the TPM reboots, and the quotes of the boot before are replays. */
static void test_quote_of_an_earlier_boot_refused(void **state)
{
	quote_t q1, q2;
	ar_tpm_clock_t c1, c2;
	ar_err_t err = { 0 };

	(void)state;
	quote(AK_ECC, qd, &q1);
	assert_reason(verify_quote("ak.pub", &q1, qd, &c1, &err), AR_TPM_OK, &err, "");
	assert_int_equal(tpmlab_reboot(&tpm), 0);
	quote(AK_ECC, qd, &q2);
	assert_reason(verify_quote("ak.pub", &q2, qd, &c2, &err), AR_TPM_OK, &err, "");
	assert_int_equal(c2.reset_count, c1.reset_count + 1);
	assert_reason(ar_tpm_clock_check(&c1, &c2, &err), AR_TPM_OK, &err, "");
	assert_reason(ar_tpm_clock_check(&c2, &c1, &err), AR_TPM_CLOCK_REPLAY, &err,
		      "resetCount went backwards");
	quote_free(&q1);
	quote_free(&q2);
}

/* After the reboot: firmware with Secure Boot off, and the quote proves it. */
static void test_secure_boot_off_seen_in_the_quoted_boot_log(void **state)
{
	quote_t q;
	ar_tcg_log_t log;
	uint8_t *boot;
	size_t n;
	ar_err_t err = { 0 };

	(void)state;
	assert_int_equal(tpmlab_run(&tpm, "'%s' boot '%s' sb-off.log --secureboot 0", gen, tpm.tcti), 0);
	quote(AK_ECC, qd, &q);
	assert_reason(verify_quote("ak.pub", &q, qd, NULL, &err), AR_TPM_OK, &err, "");
	boot = tpmlab_read(&tpm, "sb-off.log", &n);
	assert_non_null(boot);
	assert_reason(ar_tcg_log_parse(boot, n, &log, &err), AR_TPM_OK, &err, "");
	assert_reason(ar_tcg_log_check(&log, &q.pcrs, BOOT_MASK, &err), AR_TPM_OK, &err, "");
	assert_int_equal(ar_tcg_log_secure_boot(&log, &err), 0);
	ar_tcg_log_clear(&log);
	/* The healthy device's log (Secure Boot on) does not replay to this boot's PCR 7. */
	free(boot);
	boot = tpmlab_read(&tpm, "boot.log", &n);
	assert_non_null(boot);
	assert_reason(ar_tcg_log_parse(boot, n, &log, &err), AR_TPM_OK, &err, "");
	assert_reason(ar_tcg_log_check(&log, &q.pcrs, BOOT_MASK, &err), AR_TPM_LOG_REPLAY_MISMATCH,
		      &err, "PCR 7");
	ar_tcg_log_clear(&log);
	free(boot);
	quote_free(&q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quote_certify_boot_log_and_ima_of_a_healthy_device_accepted),
		cmocka_unit_test(test_whole_evidence_appraised_and_a_replay_changes_no_state),
		cmocka_unit_test(test_quotes_by_rsassa_and_rsapss_aks_accepted),
		cmocka_unit_test(test_quote_with_another_nonce_refused),
		cmocka_unit_test(test_quote_binding_another_posture_refused),
		cmocka_unit_test(test_replayed_quote_refused),
		cmocka_unit_test(test_pcr_values_not_matching_the_digest_refused),
		cmocka_unit_test(test_quote_of_other_pcrs_than_reported_refused),
		cmocka_unit_test(test_boot_log_that_does_not_replay_refused),
		cmocka_unit_test(test_certify_of_an_exportable_key_refused),
		cmocka_unit_test(test_certify_of_a_restricted_key_refused),
		cmocka_unit_test(test_certified_name_not_matching_the_public_area_refused),
		cmocka_unit_test(test_quote_signed_by_another_ak_refused),
		cmocka_unit_test(test_certify_signed_by_another_ak_refused),
		cmocka_unit_test(test_forged_quote_signed_by_an_unrestricted_key_refused),
		cmocka_unit_test(test_truncated_or_padded_attest_refused),
		cmocka_unit_test(test_quote_presented_as_a_certify_refused),
		cmocka_unit_test(test_second_quote_of_the_same_boot_appraises_only_new_entries),
		cmocka_unit_test(test_ima_entry_outside_the_allowlist_refused),
		cmocka_unit_test(test_quote_of_an_earlier_boot_refused),
		cmocka_unit_test(test_secure_boot_off_seen_in_the_quoted_boot_log),
	};

	return cmocka_run_group_tests_name("tpm", tests, setup, teardown);
}
