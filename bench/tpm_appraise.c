/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TPM evidence appraisal on one core: a quote and a key certification by
 * an ECDSA P-256 AK, a 60-event boot log and a 1,000-entry IMA list, made
 * by a real swtpm (tests/tpm/tpm_gen, tpm2-tools) before the clock starts.
 *
 * One appraisal: quote (signature, nonce, PCR digest, clock), certify
 * (signature, Name, attributes, the key's thumbprint), the boot log parsed
 * and replayed to PCRs 0-9 and 14, the IMA list replayed to PCR 10 and
 * appraised against its allowlist. "full" appraises the whole IMA list
 * (a device's first quote of a boot); "incremental" starts from the state
 * the previous quote of the boot left, with 10 new entries. The AK is
 * decoded once (the verifier keeps the enrolled AK); the certified key is
 * decoded every time. The raw ECDSA P-256 verify rate is measured in the
 * same run, for comparison.
 *
 *   bench/tpm_appraise [SECONDS]	prints key=value lines (needs tests/tpm/tpm_gen built:
 *					make tests/tpm/tpm_gen bench/tpm_appraise)
 */
#include "config.h"

#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/ec.h>
#include <openssl/evp.h>

#include "jwk.h"
#include "lab/lab.h"
#include "tpm_appraise.h"
#include "tpm/tpmlab.h"

#define PCRS	"0,1,2,3,4,5,6,7,8,9,10,14"
#define MASK	0x47ffu
#define BOOT	0x43ffu

typedef struct blob {
	uint8_t	*p;
	size_t	n;
} blob_t;

typedef struct fixture {
	ar_tpm_key_t	ak;
	blob_t		q_attest, q_sig, q2_attest, q2_sig, c_attest, c_sig, key_pub, boot, ima1, ima2;
	ar_tpm_pcrs_t	pcrs1, pcrs2;
	uint8_t		qd[AR_TPM_SHA256_LEN];
	ar_ima_policy_t	*pol;
} fixture_t;

static tpmlab_t tpm;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "tpm_appraise: %s failed (see %s/commands.log)\n", what, tpm.dir);
	exit(1);
}

static void slurp(const char *name, blob_t *b)
{
	b->p = tpmlab_read(&tpm, name, &b->n);
	if (!b->p)
		die(name);
}

static void read_pcrs(ar_tpm_pcrs_t *pcrs)
{
	blob_t v;
	unsigned i, k = 0;

	slurp("q.pcrs", &v);
	if (v.n != 12 * AR_TPM_SHA256_LEN)
		die("tpm2_pcrread");
	memset(pcrs, 0, sizeof(*pcrs));
	for (i = 0; i < AR_TPM_PCR_COUNT; i++)
		if (MASK & (1u << i))
			memcpy(pcrs->v[i], v.p + AR_TPM_SHA256_LEN * k++, AR_TPM_SHA256_LEN);
	pcrs->mask = MASK;
	free(v.p);
}

static void quote(const char *hex)
{
	if (tpmlab_run(&tpm, "tpm2_quote -c 0x81010002 -l sha256:" PCRS " -q %s -m q.msg -s q.sig "
		       "-g sha256 && tpm2_pcrread -o q.pcrs sha256:" PCRS, hex) != 0)
		die("tpm2_quote");
}

static void fixture_make(fixture_t *f, const char *gen)
{
	char hex[2 * AR_TPM_SHA256_LEN + 1];
	blob_t b;
	size_t k;

	ar_tpm_qualifying_data("bench-nonce", 11, (const uint8_t *)"{}", 2, f->qd, NULL);
	for (k = 0; k < sizeof(f->qd); k++)
		snprintf(hex + 2 * k, 3, "%02x", f->qd[k]);
	if (lab_init() < 0 || tpmlab_start(&tpm) < 0)
		die("swtpm");
	if (tpmlab_run(&tpm, "'%s' boot '%s' boot.log", gen, tpm.tcti) != 0 ||
	    tpmlab_run(&tpm, "'%s' ima '%s' ima.list allow.txt 0 999", gen, tpm.tcti) != 0)
		die("tpm_gen");
	if (tpmlab_run(&tpm, "tpm2_createek -c ek.ctx -G ecc -u ek.pub") != 0 ||
	    tpmlab_run(&tpm, "tpm2_createak -C ek.ctx -c ak.ctx -G ecc -g sha256 -s ecdsa -u ak.pub "
		       "&& tpm2_evictcontrol -C o -c ak.ctx 0x81010002") != 0 ||
	    tpmlab_run(&tpm, "tpm2_createprimary -C o -c srk.ctx -G ecc && tpm2_evictcontrol -C o "
		       "-c srk.ctx 0x81000001") != 0 ||
	    tpmlab_run(&tpm, "tpm2_create -C 0x81000001 -G ecc256:ecdsa-sha256 -a "
		       "'sign|fixedtpm|fixedparent|sensitivedataorigin|userwithauth' -u key.pub -r key.priv "
		       "&& tpm2_load -C 0x81000001 -u key.pub -r key.priv -c key.ctx "
		       "&& tpm2_evictcontrol -C o -c key.ctx 0x81000010") != 0)
		die("key creation");
	quote(hex);
	slurp("q.msg", &f->q_attest);
	slurp("q.sig", &f->q_sig);
	read_pcrs(&f->pcrs1);
	slurp("ima.list", &f->ima1);
	if (tpmlab_run(&tpm, "'%s' certify '%s' 0x81010002 0x81000010 %s c.attest c.sig", gen,
		       tpm.tcti, hex) != 0)
		die("certify");
	slurp("c.attest", &f->c_attest);
	slurp("c.sig", &f->c_sig);
	f->key_pub.p = tpmlab_read_public(&tpm, "key.pub", &f->key_pub.n);
	slurp("boot.log", &f->boot);
	if (tpmlab_run(&tpm, "'%s' ima '%s' ima.list allow.txt 999 10", gen, tpm.tcti) != 0)
		die("tpm_gen ima");
	quote(hex);
	slurp("q.msg", &f->q2_attest);
	slurp("q.sig", &f->q2_sig);
	read_pcrs(&f->pcrs2);
	slurp("ima.list", &f->ima2);
	f->pol = ar_ima_policy_new();
	slurp("allow.txt", &b);
	if (!f->key_pub.p || !f->pol || ar_ima_policy_allowlist(f->pol, (char *)b.p, b.n, NULL) < 0)
		die("allowlist");
	free(b.p);
	b.p = tpmlab_read_public(&tpm, "ak.pub", &b.n);
	if (!b.p || ar_tpm_key_decode(b.p, b.n, &f->ak, NULL) != AR_TPM_OK)
		die("AK");
	free(b.p);
	tpmlab_release(&tpm);
}

/* One appraisal of quote 1 or 2 from the device state @st (ar_tpm_appraise()). */
static int appraise(const fixture_t *f, int second, ar_tpm_device_state_t *st, ar_err_t *err)
{
	const ar_tpm_policy_t pol = { .quote_mask = MASK, .boot_mask = BOOT, .ima = f->pol };
	const blob_t *attest = second ? &f->q2_attest : &f->q_attest;
	const blob_t *sig = second ? &f->q2_sig : &f->q_sig;
	const blob_t *ima = second ? &f->ima2 : &f->ima1;
	const ar_tpm_evidence_t ev = {
		.quote = attest->p, .quote_len = attest->n, .quote_sig = sig->p, .quote_sig_len = sig->n,
		.pcrs = second ? &f->pcrs2 : &f->pcrs1,
		.certify = f->c_attest.p, .certify_len = f->c_attest.n, .certify_sig = f->c_sig.p,
		.certify_sig_len = f->c_sig.n, .key_pub = f->key_pub.p, .key_pub_len = f->key_pub.n,
		.boot_log = f->boot.p, .boot_log_len = f->boot.n,
		.ima_list = (const char *)ima->p, .ima_list_len = ima->n,
	};
	char jkt[AR_JWK_THUMBPRINT_LEN + 1];
	ar_tpm_result_t res;
	int ok;

	if (ar_tpm_appraise(&pol, &f->ak, &ev, f->qd, st, &res, err) != AR_TPM_OK)
		return -1;
	ok = ar_jwk_pkey_thumbprint(res.key.pkey, jkt, err) == 0;
	ar_tpm_result_clear(&res);
	return ok ? 0 : -1;
}

static double rate_full(const fixture_t *f, double seconds)
{
	double t0 = now_s(), el;
	unsigned long n = 0;
	ar_err_t err = { 0 };

	do {
		ar_tpm_device_state_t st = { 0 };

		if (appraise(f, 0, &st, &err) < 0) {
			fprintf(stderr, "tpm_appraise: refused: %s\n", err.msg);
			exit(1);
		}
		n++;
	} while ((el = now_s() - t0) < seconds);
	return (double)n / el;
}

static double rate_incremental(const fixture_t *f, double seconds)
{
	ar_tpm_device_state_t first = { 0 };
	double t0, el;
	unsigned long n = 0;
	ar_err_t err = { 0 };

	if (appraise(f, 0, &first, &err) < 0) {
		fprintf(stderr, "tpm_appraise: refused: %s\n", err.msg);
		exit(1);
	}
	t0 = now_s();
	do {
		ar_tpm_device_state_t st = first;

		if (appraise(f, 1, &st, &err) < 0 || st.ima.entries != first.ima.entries + 10) {
			fprintf(stderr, "tpm_appraise: incremental refused: %s\n", err.msg);
			exit(1);
		}
		n++;
	} while ((el = now_s() - t0) < seconds);
	return (double)n / el;
}

static double rate_ecdsa(double seconds)
{
	EVP_PKEY *pkey = EVP_EC_gen("P-256");
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t sig[80], msg[145] = { 0xff, 'T', 'C', 'G' };
	size_t sig_len = sizeof(sig);
	double t0, el;
	unsigned long n = 0;

	if (!pkey || !md || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pkey) != 1 ||
	    EVP_DigestSign(md, sig, &sig_len, msg, sizeof(msg)) != 1)
		return 0;
	t0 = now_s();
	do {
		EVP_MD_CTX_reset(md);
		if (EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pkey) != 1 ||
		    EVP_DigestVerify(md, sig, sig_len, msg, sizeof(msg)) != 1)
			return 0;
		n++;
	} while ((el = now_s() - t0) < seconds);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pkey);
	return (double)n / el;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? strtod(argv[1], NULL) : 3.0;
	char self[PATH_MAX], gen[PATH_MAX + 64];
	fixture_t f;
	ar_tcg_log_t log;

	if (seconds <= 0 || seconds > 600)
		seconds = 3.0;
	/* tests/tpm/tpm_gen of this build: $AR_TOP_BUILDDIR, else beside bench/ (or bench/.libs/) */
	if (getenv("AR_TOP_BUILDDIR")) {
		snprintf(gen, sizeof(gen), "%s/tests/tpm/tpm_gen", getenv("AR_TOP_BUILDDIR"));
	} else {
		char *dir;

		if (!realpath(argv[0], self))
			return 1;
		dir = dirname(self);
		snprintf(gen, sizeof(gen), "%s/../%stests/tpm/tpm_gen", dir,
			 strstr(dir, "/.libs") ? "../" : "");
	}
	memset(&f, 0, sizeof(f));
	fixture_make(&f, gen);
	if (ar_tcg_log_parse(f.boot.p, f.boot.n, &log, NULL) != AR_TPM_OK)
		return 1;
	printf("tpm_boot_log_events=%zu\n", log.count);
	ar_tcg_log_clear(&log);
	printf("tpm_ima_entries=%d\n", 1000);
	printf("tpm_appraise_full_per_s=%.0f\n", rate_full(&f, seconds));
	printf("tpm_appraise_incremental_per_s=%.0f\n", rate_incremental(&f, seconds));
	printf("ecdsa_p256_verify_per_s=%.0f\n", rate_ecdsa(seconds));
	return 0;
}
