/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `acme-rats-helper run`: the daemon. One thread, one timer: compute the
 * next action (schedule.h) from the certificate and state.json, sleep in
 * sigtimedwait() until it is due or a signal arrives, act, repeat.
 * SIGHUP reloads the configuration, SIGUSR1 renews now, SIGTERM/SIGINT
 * stop. Nothing polls: an idle helper sleeps in one system call.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "enroll.h"
#include "helper.h"
#include "log.h"
#include "schedule.h"

/* Longest single sleep: the clock is looked at again at least this often. */
#define MAX_SLEEP_S	3600
/* Sleeps at least this long are worth trimming memory for. */
#define IDLE_TRIM_S	30

static const struct option options[] = {
	{ "config",	required_argument, NULL, 'c' },
	{ "verbose",	no_argument,	   NULL, 'v' },
	{ "help",	no_argument,	   NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

void cmd_run_usage(FILE *f)
{
	fputs("usage: acme-rats-helper run [-c FILE] [-v]\n"
	      "\n"
	      "Keep a fresh, attested certificate installed: enroll if there is none,\n"
	      "renew in the CA's renewal window (or at 2/3 of the lifetime), before the\n"
	      "posture reaches the network's freshness limit, and at once when the CA\n"
	      "says so. Runs in the foreground; logs to standard error.\n"
	      "Signals: SIGHUP reloads the configuration, SIGUSR1 renews now,\n"
	      "SIGTERM/SIGINT stop.\n\n"
	      "  -c, --config FILE       configuration (default " HELPER_DEFAULT_CONFIG ")\n"
	      "  -v, --verbose           log at info level (twice: debug) whatever [log] says\n"
	      "  -h, --help              this text\n"
	      "\nExit status: 0 stopped by a signal, 3 configuration error.\n", f);
}

/* Before a long sleep: give the heap an enrollment freed back to the kernel. */
static void idle_trim(void)
{
	malloc_trim(0);
}

/* Decide, record the decision for `status`, and return it. */
static void decide(const helper_conf_t *c, sched_out_t *out)
{
	cs_state_t st;
	cs_cert_t cert;
	sched_in_t in;
	ar_err_t err = { 0 };
	int have = cs_live_cert(c->dir, &cert, &err);

	if (have < 0)
		ar_error("event=cert.unreadable error=\"%s\"", err.msg);
	if (cs_state_load(c->dir, &st, &err) < 0) {
		ar_warn("event=state.unreadable error=\"%s\"", err.msg);
		memset(&st, 0, sizeof(st));
	}
	helper_sched_input(c, &st, &cert, have == 1, time(NULL), &in);
	sched_next(&in, out);
	if (strcmp(st.next_action, sched_action_name(out->action)) || st.next_at != out->at) {
		snprintf(st.next_action, sizeof(st.next_action), "%s", sched_action_name(out->action));
		st.next_at = out->at;
		snprintf(st.next_reason, sizeof(st.next_reason), "%s", out->reason);
		if (cs_state_save(c->dir, &st, &err) < 0)
			ar_error("event=state.save_failed error=\"%s\"", err.msg);
		ar_info("event=schedule next=%s at=%" PRId64 " in_s=%" PRId64 " reason=%s",
			sched_action_name(out->action), out->at, out->at - in.now, out->reason);
	}
}

/* Returns 0, or -1 when the action failed. */
static int act(const helper_conf_t *c, const sched_out_t *out)
{
	ar_err_t err = { 0 };
	cs_cert_t cert;

	if (out->action == SCHED_ARI_POLL)
		return cs_live_cert(c->dir, &cert, &err) == 1 ? enroll_ari_poll(c, &cert, &err) : -1;
	return enroll_run(c, out->reason, &cert, &err) == ENROLL_OK ? 0 : -1;
}

static void reload(const char *path, int verbose, helper_conf_t *c)
{
	helper_conf_t fresh;
	ar_err_t err = { 0 };

	if (helper_conf_load(path, &fresh, &err) < 0) {
		ar_error("event=config.reload_failed error=\"%s\" keeping=previous", err.msg);
		return;
	}
	helper_conf_free(c);
	*c = fresh;
	if (!verbose)
		ar_log_setup("acme-rats-helper", (ar_log_level_t)c->log.level, 2);
	ar_info("event=config.reloaded path=%s", path);
}

int cmd_run(int argc, char **argv)
{
	const char *path = HELPER_DEFAULT_CONFIG;
	helper_conf_t conf;
	sigset_t set;
	sched_out_t out;
	struct timespec ts;
	int64_t wait_s, not_before = 0;
	int verbose = 0, ch, sig, rc;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:vh", options, NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			cmd_run_usage(stdout);
			return 0;
		default:
			cmd_run_usage(stderr);
			return HELPER_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cmd_run_usage(stderr);
		return HELPER_EXIT_USAGE;
	}
	if ((rc = helper_load("run", path, verbose, &conf)))
		return rc;
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	ar_info("event=start version=%s config=%s dir=%s", PACKAGE_VERSION, path, conf.dir);
	for (;;) {
		decide(&conf, &out);
		wait_s = out.at - (int64_t)time(NULL);
		/*
		 * The backoff lives in state.json; should it not be written (a
		 * full disk), a failed action still waits backoff_min here.
		 */
		if (wait_s <= 0 && (int64_t)time(NULL) < not_before)
			wait_s = not_before - (int64_t)time(NULL);
		if (wait_s <= 0) {
			not_before = act(&conf, &out) < 0 ? (int64_t)time(NULL) + conf.backoff_min / 1000 : 0;
			continue;
		}
		if (wait_s >= IDLE_TRIM_S)
			idle_trim();
		ts.tv_sec = wait_s > MAX_SLEEP_S ? MAX_SLEEP_S : (time_t)wait_s;
		ts.tv_nsec = 0;
		sig = sigtimedwait(&set, NULL, &ts);
		if (sig < 0) {
			if (errno != EAGAIN && errno != EINTR)
				ar_error("event=wait.failed error=\"%s\"", strerror(errno));
			continue;
		}
		if (sig == SIGTERM || sig == SIGINT)
			break;
		if (sig == SIGHUP) {
			reload(path, verbose, &conf);
		} else if (sig == SIGUSR1) {
			ar_info("event=signal signal=USR1 action=renew");
			out.action = SCHED_RENEW;
			out.reason = "forced";
			(void)act(&conf, &out);
		}
	}
	ar_info("event=stop signal=%d", sig);
	helper_conf_free(&conf);
	return 0;
}
