/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The device side of one TPM attestation with swtpm, as acme-rats-helper
 * does it (helper/tpm_quote.c, ESAPI over the swtpm TCTI): TPM2_Certify of
 * the CSR key by the AK, TPM2_Quote of the boot and IMA PCRs (0-10, 14),
 * the PCRs read, the 60-event boot log and the 1,000-entry IMA list read
 * and the CMW collection built. The TPM is manufactured, its PCRs
 * extended (tests/tpm/tpm_gen), its AK and CSR key made before the clock
 * starts; each timed run is one tpm_quote_evidence() call with a new
 * nonce, TCTI set-up and ESAPI context included (the helper opens one per
 * attestation).
 *
 *   bench/tpm_device [RUNS]	from the build directory (or with $AR_TOP_BUILDDIR set);
 *				prints "tpm_device runs=N p50_ms=.. p99_ms=.. max_ms=.. bytes=.."
 *				(needs tests/tpm/tpm_gen: make tests/tpm/tpm_gen bench/tpm_device)
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lab/lab.h"
#include "tpm_quote.h"
#include "tpm/tpmlab.h"

#define AK_HANDLE	0x81010010u

static tpmlab_t tpm;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void die(const char *what)
{
	fprintf(stderr, "tpm_device: %s failed (see %s/commands.log)\n", what, tpm.dir);
	tpmlab_release(&tpm);
	exit(1);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	char gen[PATH_MAX + 32], cwd[PATH_MAX], boot_log[512], ima_list[512], nonce[64];
	const char *top = getenv("AR_TOP_BUILDDIR");
	int runs = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 200;
	tpm_quote_conf_t c = { .ak_handle = AK_HANDLE, .key_handle = TPM_QUOTE_KEY_HANDLE,
			       .pcr_mask = TPM_QUOTE_PCRS, .boot_log = boot_log,
			       .ima_list = ima_list };
	static const char posture[] = "{\"os\":\"debian 12\",\"patched\":true}";
	ar_err_t err = { 0 };
	size_t len = 0;
	double *ms;
	int i;

	if (runs < 1 || runs > 100000) {
		fprintf(stderr, "usage: tpm_device [RUNS (1-100000)]\n");
		return 2;
	}
	setenv("TSS2_LOG", "all+none", 0);	/* the CSR key's first look-up "fails" by design */
	ms = calloc((size_t)runs, sizeof(*ms));
	snprintf(gen, sizeof(gen), "%s/tests/tpm/tpm_gen", top ? top : getcwd(cwd, sizeof(cwd)));
	if (!ms || lab_init() < 0 || tpmlab_start(&tpm) < 0)
		die("swtpm");
	snprintf(boot_log, sizeof(boot_log), "%s/boot.log", tpm.dir);
	snprintf(ima_list, sizeof(ima_list), "%s/ima.list", tpm.dir);
	c.tcti = tpm.tcti;
	if (tpmlab_run(&tpm, "'%s' boot '%s' boot.log", gen, tpm.tcti) != 0 ||
	    tpmlab_run(&tpm, "'%s' ima '%s' ima.list allow.txt 0 999", gen, tpm.tcti) != 0)
		die("tpm_gen");
	if (tpmlab_run(&tpm, "tpm2_createek -c ek.ctx -G ecc -u ek.pub") != 0 ||
	    tpmlab_run(&tpm, "tpm2_createak -C ek.ctx -c ak.ctx -G ecc -g sha256 -s ecdsa -u ak.pub "
		       "&& tpm2_evictcontrol -C o -c ak.ctx 0x%x", AK_HANDLE) != 0)
		die("AK creation");
	if (tpm_quote_key(&c, NULL, &err) < 0) {
		fprintf(stderr, "tpm_device: %s\n", err.msg);
		die("CSR key creation");
	}
	for (i = 0; i < runs; i++) {
		double t0;
		char *body;

		snprintf(nonce, sizeof(nonce), "bench-nonce-%08d", i);
		t0 = now_ms();
		body = tpm_quote_evidence(&c, nonce, posture, sizeof(posture) - 1, &len, &err);
		ms[i] = now_ms() - t0;
		if (!body) {
			fprintf(stderr, "tpm_device: run %d: %s\n", i, err.msg);
			die("attestation");
		}
		free(body);
	}
	qsort(ms, (size_t)runs, sizeof(*ms), cmp_double);
	printf("tpm_device runs=%d p50_ms=%.1f p99_ms=%.1f max_ms=%.1f bytes=%zu\n", runs,
	       ms[runs / 2], ms[(size_t)((runs - 1) * 0.99)], ms[runs - 1], len);
	free(ms);
	tpmlab_release(&tpm);
	return 0;
}
