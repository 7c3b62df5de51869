/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rlm_acme_rats: full EAP-TLS authentications per second through a real
 * freeradius (`-f -l stdout`: normal logging, no debug output) with parallel
 * eapol_test clients, with the module enabled and disabled in the same run,
 * alternating, plus the server's CPU time per authentication from
 * /proc/PID/stat (the client side dominates wall-clock rate on a small
 * machine; the CPU figure shows the module's share), and the server's peak
 * and final resident memory in each round (VmHWM, VmRSS).
 *
 *   bench/module_eap [CLIENTS] [SECONDS] [ROUNDS]
 *
 * Needs AR_TOP_SRCDIR and AR_TOP_BUILDDIR like the tests (bench/module.sh
 * sets them).
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "benchutil.h"
#include "module/radtest.h"

/* One client: authenticate in a loop until @deadline_ms; exit status = successes (capped). */
static int client(enroll_env_t *e, const rad_proc_t *rad, const char *cert, int id,
		  int64_t deadline_ms, const char *result_path)
{
	static char out[1 << 15];
	char sess[64];
	long ok = 0, fail = 0;
	FILE *f;

	snprintf(e->dir + strlen(e->dir), sizeof(e->dir) - strlen(e->dir), "/c%d", id);
	mkdir(e->dir, 0700);
	while (lab_now_ms() < deadline_ms) {
		snprintf(sess, sizeof(sess), "bench-%d-%ld", id, ok + fail);
		if (rad_eap(rad, e, cert, sess, NULL, out, sizeof(out)) == 0)
			ok++;
		else
			fail++;
	}
	f = fopen(result_path, "w");
	if (f) {
		fprintf(f, "%ld %ld\n", ok, fail);
		fclose(f);
	}
	return 0;
}

static int round_run(enroll_env_t *e, const char *cert, int with_module, int clients, int seconds)
{
	static const char *without[] = { "MKRADDB_MODULE=no", NULL };
	rad_proc_t rad;
	double c0, c1;
	long ok = 0, fail = 0, hwm = -1, rss = -1;
	int64_t t0, deadline;
	char path[340];
	pid_t pids[64];
	int i;

	if (rad_start(&rad, e, with_module ? NULL : without, NULL, 1) < 0)
		return -1;
	c0 = bu_proc_cpu(rad.pid);
	t0 = lab_now_ms();
	deadline = t0 + seconds * 1000LL;
	for (i = 0; i < clients; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			snprintf(path, sizeof(path), "%s/result-%d", e->dir, i);
			_exit(client(e, &rad, cert, i, deadline, path));
		}
	}
	for (i = 0; i < clients; i++)	/* only the clients: the lab's servers are children too */
		if (pids[i] > 0)
			waitpid(pids[i], NULL, 0);
	t0 = lab_now_ms() - t0;
	c1 = bu_proc_cpu(rad.pid);
	bu_proc_mem(rad.pid, &hwm, &rss);
	for (i = 0; i < clients; i++) {
		long a = 0, b = 0;
		FILE *f;

		snprintf(path, sizeof(path), "%s/result-%d", e->dir, i);
		f = fopen(path, "r");
		if (f && fscanf(f, "%ld %ld", &a, &b) == 2) {
			ok += a;
			fail += b;
		}
		if (f)
			fclose(f);
	}
	rad_stop(&rad);
	printf("module=%s clients=%d seconds=%.1f auths=%ld failed=%ld auths_per_s=%.1f "
	       "server_cpu_ms_per_auth=%.3f\n", with_module ? "on" : "off", clients, t0 / 1e3, ok, fail,
	       ok * 1e3 / (double)t0, ok ? (c1 - c0) * 1e3 / (double)ok : 0.0);
	printf("daemon_rss bench=module daemon=freeradius at=module-%s hwm_kb=%ld rss_kb=%ld\n",
	       with_module ? "on" : "off", hwm, rss);
	fflush(stdout);
	return fail ? -1 : 0;
}

int main(int argc, char **argv)
{
	int clients = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 4;
	int seconds = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 10;
	int rounds = argc > 3 ? (int)strtol(argv[3], NULL, 10) : 2, r, rc = 0;
	char cert[300];
	enroll_env_t e;
	X509 *x;

	if (clients < 1 || clients > 64 || seconds < 1 || seconds > 600 || rounds < 1 || rounds > 10)
		return 2;
	if (enroll_setup(&e) < 0)
		return 1;
	snprintf(cert, sizeof(cert), "%s/device.pem", e.dir);
	x = enroll_cert(&e, "SUB-0042", time(NULL), NULL, cert);
	if (!x) {
		enroll_teardown(&e);
		return 1;
	}
	X509_free(x);
	for (r = 0; r < rounds; r++) {
		rc |= round_run(&e, cert, 1, clients, seconds);
		rc |= round_run(&e, cert, 0, clients, seconds);
	}
	enroll_teardown(&e);
	return rc ? 1 : 0;
}
