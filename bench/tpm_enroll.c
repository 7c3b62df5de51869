/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TPM enrolment time, credential activation included: `acme-rats-helper
 * tpm-enroll` against a real swtpm and the real verifier (over HTTPS, with
 * a real redis-server), N times for one device. Each run reads the EK
 * certificate from NV, creates the EK, reads the persistent AK, makes the
 * two calls and lets the TPM activate the credential; the first run also
 * creates the AK and is reported apart.
 *
 *   bench/tpm_enroll [RUNS]	prints one key=value line (default 20 runs;
 *				needs verifier/acme-rats-verifier and
 *				helper/acme-rats-helper built)
 */
#include "config.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "benchutil.h"
#include "evfix.h"
#include "fileio.h"
#include "jwk.h"
#include "lab/lab.h"
#include "store.h"
#include "tpm/tpmlab.h"

extern char **environ;

static int run(char *const argv[], int quiet)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status, rc;

	posix_spawn_file_actions_init(&fa);
	if (quiet)
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static const char *top(const char *var)
{
	const char *v = getenv(var);

	return v ? v : ".";
}

int main(int argc, char **argv)
{
	char dir[256], script[512], conf[300], log[300], bin[512], helper[512], port[16];
	char rport[16], base[128], ca[300], key[300], text[1024], *pem;
	ar_store_opts_t so = { .host = "127.0.0.1" };
	bu_samples_t samples = { 0 };
	lab_redis_t redis;
	tpmlab_t tpm;
	ar_store_t *st;
	ar_jwk_t *identity;
	double t0, first;
	int runs = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 20, i, vport;
	pid_t vpid;
	FILE *f;

	if (runs < 1 || runs > 10000 || lab_init() < 0 || lab_redis_start(&redis) < 0 ||
	    lab_tmpdir(dir, sizeof(dir)) < 0 || tpmlab_start(&tpm) < 0) {
		fprintf(stderr, "tpm_enroll: lab set-up failed\n");
		return 1;
	}
	vport = lab_free_port();
	snprintf(port, sizeof(port), "%d", vport);
	snprintf(rport, sizeof(rport), "%d", redis.port);
	snprintf(script, sizeof(script), "%s/tests/fixtures/mkverifier", top("AR_TOP_SRCDIR"));
	{
		char *av[] = { script, dir, port, rport, NULL };

		if (run(av, 0) != 0)
			return 1;
	}
	snprintf(conf, sizeof(conf), "%s/verifier.conf", dir);
	snprintf(text, sizeof(text), "\n[tpm]\nek_roots = %s/ca/swtpm-localca-rootca-cert.pem\n"
		 "ek_intermediates = %s/ca/issuercert.pem\n", tpm.dir, tpm.dir);
	f = fopen(conf, "a");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		return 1;
	snprintf(log, sizeof(log), "%s/verifier.log", dir);
	snprintf(bin, sizeof(bin), "%s/verifier/acme-rats-verifier", top("AR_TOP_BUILDDIR"));
	{
		char *av[] = { bin, "-c", conf, NULL };

		vpid = lab_spawn(av, log);
	}
	if (vpid <= 0 || lab_wait_tcp(vport, 5000) < 0) {
		fprintf(stderr, "tpm_enroll: the verifier did not start (%s)\n", log);
		return 1;
	}
	so.port = redis.port;
	st = ar_store_open(&so, NULL);
	identity = ar_jwk_generate("ES256", NULL);
	pem = identity ? ar_jwk_to_pem(identity, 1, NULL) : NULL;
	snprintf(key, sizeof(key), "%s/account.key", dir);
	if (!st || !pem || evfix_enroll(st, "BENCH-1", identity) != 1 ||
	    ar_file_write_atomic(key, pem, strlen(pem), 0600, NULL) < 0)
		return 1;
	snprintf(base, sizeof(base), "https://127.0.0.1:%d", vport);
	snprintf(ca, sizeof(ca), "%s/ca.crt", dir);
	snprintf(helper, sizeof(helper), "%s/helper/acme-rats-helper", top("AR_TOP_BUILDDIR"));
	for (i = 0; i <= runs; i++) {
		char *av[] = { helper, "tpm-enroll", "--verifier", base, "--ca-bundle", ca,
			       "--account-key", key, "--device-id", "BENCH-1", "--tcti", tpm.tcti,
			       "--state-dir", dir, NULL };

		t0 = bu_now();
		if (run(av, 1) != 0) {
			fprintf(stderr, "tpm_enroll: run %d failed\n", i);
			return 1;
		}
		if (i == 0)
			first = (bu_now() - t0) * 1000;
		else
			bu_samples_add(&samples, (bu_now() - t0) * 1000);
	}
	printf("tpm_enroll runs=%d first_ms=%.1f p50_ms=%.1f p99_ms=%.1f\n", runs, first,
	       bu_samples_quantile(&samples, 0.5), bu_samples_quantile(&samples, 0.99));
	bu_samples_free(&samples);
	free(pem);
	ar_jwk_free(identity);
	ar_store_close(st);
	lab_stop(vpid, 3000);
	tpmlab_release(&tpm);
	lab_redis_stop(&redis);
	return 0;
}
