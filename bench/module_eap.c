/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rlm_acme_rats under parallel EAP-TLS load: full authentications through a
 * real freeradius (`-f -l stdout`: normal logging, no debug output) on the
 * raddb install-raddb makes of Debian's configuration (tests/fixtures/mkraddb,
 * the module's shipped settings, redis.timeout included), so every
 * authentication runs the check in check-eap-tls. CLIENTS eapol_test loops
 * run in parallel for SECONDS; rounds with the module and without it (the
 * same Debian configuration, no acme-rats lines) alternate.
 *
 * Per round: authentications/s, the server's CPU time per authentication
 * (/proc/PID/stat: the clients dominate wall-clock rate on a small machine;
 * the server's CPU shows the module's share), its peak and final resident
 * memory; with the module, from the server's log: the check's latency in
 * check-eap-tls (latency_us of each decision line), degraded decisions and
 * session records not written. At the end, over all rounds: the medians of
 * the CPU per authentication with and without the module and their ratio,
 * and the check's latency quantiles.
 *
 *   [MODULE_EAP_PIN=1] bench/module_eap [CLIENTS] [SECONDS] [ROUNDS]
 *
 * With MODULE_EAP_PIN=1 the server side (freeradius and redis-server, all
 * their threads) runs on core 0 and the clients on core 1: the clients then
 * stand in for supplicants and access points on machines of their own, and
 * the check's latency is the server's, not the time the clients' handshake
 * crypto keeps the server's threads from a core. The lines then say
 * pinned=1.
 *
 * With AR_RAD_CALLGRIND=PREFIX freeradius runs under callgrind, counting
 * from "Ready to process requests" on, into PREFIX.PID: its instructions
 * per authentication with and without the module, exact on a busy machine
 * (callgrind_annotate PREFIX.PID; divide by the round's authentications).
 *
 * Needs AR_TOP_SRCDIR and AR_TOP_BUILDDIR like the tests (bench/module.sh
 * sets them). Exits 1 when an authentication failed, or a decision was
 * degraded or a session record lost.
 */
#include "config.h"

#include <dirent.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "benchutil.h"
#include "fileio.h"
#include "module/radtest.h"

static int pinned;

/* Every thread of process @pid (0: this one) on @cpu only. */
static void pin(pid_t pid, int cpu)
{
	char path[64];
	struct dirent *d;
	cpu_set_t set;
	DIR *dir;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (!pid) {
		if (sched_setaffinity(0, sizeof(set), &set) < 0)
			perror("module_eap: sched_setaffinity");
		return;
	}
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	dir = opendir(path);
	if (!dir) {
		perror(path);
		return;
	}
	while ((d = readdir(dir)))
		if (d->d_name[0] != '.' &&
		    sched_setaffinity((pid_t)strtol(d->d_name, NULL, 10), sizeof(set), &set) < 0)
			perror("module_eap: sched_setaffinity");
	closedir(dir);
}

/* One client: authenticate in a loop until @deadline_ms; exit status = successes (capped). */
static int client(enroll_env_t *e, const rad_proc_t *rad, const char *cert, int id,
		  int64_t deadline_ms, const char *result_path)
{
	static char out[1 << 15];
	char sess[64];
	long ok = 0, fail = 0;
	FILE *f;

	/*
	 * The clients stand in for supplicants and access points on other
	 * machines: on this one they yield the CPU to the server side
	 * (freeradius, redis-server), or the check's latency would measure
	 * how long eapol_test's handshake crypto keeps them from running.
	 */
	if (setpriority(PRIO_PROCESS, 0, 19) < 0)
		perror("module_eap: setpriority");
	if (pinned)
		pin(0, 1);
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

/* What the module logged in one round. */
typedef struct module_log {
	long		decisions, degraded, not_recorded, retried, warnings;
} module_log_t;

/* The decision lines of @log: latencies into @lat, counts into @ml. */
static void read_module_log(const char *log, bu_samples_t *lat, module_log_t *ml)
{
	const char *p;

	for (p = log; (p = strstr(p, "acme_rats: decision ")); p++) {
		const char *l = strstr(p, " latency_us="), *nl = strchr(p, '\n');

		ml->decisions++;
		if (l && (!nl || l < nl))
			bu_samples_add(lat, strtod(l + 12, NULL) / 1e6);
		if ((p = strstr(p, " degraded=yes")) && (!nl || p < nl))
			ml->degraded++;
		if (!nl)
			break;
		p = nl;
	}
	for (p = log; (p = strstr(p, "not recorded")); p++)
		ml->not_recorded++;
	for (p = log; (p = strstr(p, "recorded on retry")); p++)
		ml->retried++;
	for (p = log; (p = strstr(p, "degraded decisions=")); p++)
		ml->warnings++;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n ? (n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2) : 0;
}

static int round_run(enroll_env_t *e, const char *cert, int with_module, int clients, int seconds,
		     double *cpu_per_auth, bu_samples_t *lat, module_log_t *total)
{
	static const char *without[] = { "MKRADDB_MODULE=no", NULL };
	static const char *with[] = { "MKRADDB_REDIS_TIMEOUT=shipped", NULL };
	module_log_t ml = { 0 };
	rad_proc_t rad;
	double c0, c1;
	long ok = 0, fail = 0, hwm = -1, rss = -1;
	int64_t t0, deadline;
	char path[340];
	pid_t pids[64];
	int i;

	if (rad_start(&rad, e, with_module ? with : without, NULL, 1) < 0)
		return -1;
	free(rad_log_since(&rad, NULL, 0));
	if (pinned) {
		pin(rad.pid, 0);
		pin(e->redis.pid, 0);
	}
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
	lab_sleep_ms(300);	/* the last lines of the log */
	{
		char *log = rad_log_since(&rad, NULL, 0);
		const char *keep = getenv("MODULE_EAP_LOG");	/* a copy of the server's log */
		bu_samples_t round_lat = { 0 };

		if (keep && with_module)
			(void)ar_file_write_atomic(keep, log, strlen(log), 0600, NULL);
		read_module_log(log, &round_lat, &ml);
		free(log);
		bu_samples_merge(lat, &round_lat);
		bu_samples_free(&round_lat);
	}
	rad_stop(&rad);
	*cpu_per_auth = ok ? (c1 - c0) * 1e3 / (double)ok : 0.0;
	printf("module=%s clients=%d seconds=%.1f auths=%ld failed=%ld auths_per_s=%.1f "
	       "server_cpu_ms_per_auth=%.3f%s", with_module ? "on" : "off", clients, t0 / 1e3, ok,
	       fail, ok * 1e3 / (double)t0, *cpu_per_auth, pinned ? " pinned=1" : "");
	if (with_module)
		printf(" decisions=%ld degraded=%ld sessions_not_recorded=%ld sessions_retried=%ld",
		       ml.decisions, ml.degraded, ml.not_recorded, ml.retried);
	printf("\ndaemon_rss bench=module daemon=freeradius at=module-%s hwm_kb=%ld rss_kb=%ld\n",
	       with_module ? "on" : "off", hwm, rss);
	fflush(stdout);
	total->decisions += ml.decisions;
	total->degraded += ml.degraded;
	total->not_recorded += ml.not_recorded;
	total->retried += ml.retried;
	total->warnings += ml.warnings;
	if (with_module && ml.decisions != ok)
		fprintf(stderr, "module_eap: %ld authentications but %ld decision lines\n", ok, ml.decisions);
	return fail || (with_module && ml.decisions != ok) ? -1 : 0;
}

int main(int argc, char **argv)
{
	int clients = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 4;
	int seconds = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 10;
	int rounds = argc > 3 ? (int)strtol(argv[3], NULL, 10) : 2, r, rc = 0;
	double on[10], off[10], mon, moff;
	bu_samples_t lat = { 0 };
	module_log_t total = { 0 };
	char cert[300];
	enroll_env_t e;
	X509 *x;

	pinned = getenv("MODULE_EAP_PIN") && !strcmp(getenv("MODULE_EAP_PIN"), "1");
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
		rc |= round_run(&e, cert, 1, clients, seconds, &on[r], &lat, &total);
		rc |= round_run(&e, cert, 0, clients, seconds, &off[r], &lat, &total);
	}
	enroll_teardown(&e);
	mon = median(on, rounds);
	moff = median(off, rounds);
	printf("module_eap_cpu clients=%d rounds=%d seconds=%d cpu_ms_per_auth_on_median=%.3f "
	       "cpu_ms_per_auth_off_median=%.3f ratio=%.3f%s\n", clients, rounds, seconds, mon, moff,
	       moff > 0 ? mon / moff : 0.0, pinned ? " pinned=1" : "");
	printf("module_eap_check_us clients=%d p50=%.1f p99=%.1f p999=%.1f max=%.1f decisions=%ld "
	       "degraded=%ld sessions_not_recorded=%ld sessions_retried=%ld degraded_warnings=%ld%s\n",
	       clients, bu_samples_quantile(&lat, 0.5) * 1e6, bu_samples_quantile(&lat, 0.99) * 1e6,
	       bu_samples_quantile(&lat, 0.999) * 1e6, bu_samples_quantile(&lat, 1) * 1e6,
	       total.decisions, total.degraded, total.not_recorded, total.retried, total.warnings,
	       pinned ? " pinned=1" : "");
	bu_samples_free(&lat);
	return rc || total.degraded || total.not_recorded ? 1 : 0;
}
