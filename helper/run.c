/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `acme-rats-helper run`: the daemon, one process in two images.
 *
 * `run` checks the configuration and execs acme-rats-helper-monitor
 * (helper/monitor.c, monitor.h), which links the C library alone and
 * sleeps until an action is due. Then it execs `run --once --resume`, this
 * file's worker: compute the next action (schedule.h) from the certificate
 * and state.json, act while one is due, record the decision for `status`,
 * and exec the monitor again with the time of the next action. An idle
 * helper is the monitor asleep in one system call, holding neither
 * libcurl nor OpenSSL.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "enroll.h"
#include "helper.h"
#include "log.h"
#include "monitor.h"
#include "schedule.h"

/* Actions one worker round takes at most (an ARI poll, then the renewal it asks for...). */
#define ONCE_MAX_ACTIONS	4
/* Words the monitor passes through the worker, and the worker adds. */
#define MAX_WORDS		12

enum { OPT_ONCE = 256, OPT_FORCE, OPT_CHECK, OPT_RESUME };

static const struct option options[] = {
	{ "config",	required_argument, NULL, 'c' },
	{ "verbose",	no_argument,	   NULL, 'v' },
	{ "help",	no_argument,	   NULL, 'h' },
	{ "once",	no_argument,	   NULL, OPT_ONCE },
	{ "force",	no_argument,	   NULL, OPT_FORCE },
	{ "check",	no_argument,	   NULL, OPT_CHECK },
	{ "resume",	no_argument,	   NULL, OPT_RESUME },
	{ NULL, 0, NULL, 0 },
};

void cmd_run_usage(FILE *f)
{
	fputs("usage: acme-rats-helper run [-c FILE] [-v] [--once [--force] | --check]\n"
	      "\n"
	      "Keep a fresh, attested certificate installed: enroll if there is none,\n"
	      "renew in the CA's renewal window (or at 2/3 of the lifetime), before the\n"
	      "posture reaches the network's freshness limit, and at once when the CA\n"
	      "says so. Runs in the foreground; logs to standard error.\n"
	      "Signals: SIGHUP reloads the configuration, SIGUSR1 renews now,\n"
	      "SIGTERM/SIGINT stop.\n\n"
	      "  -c, --config FILE       configuration (default " HELPER_DEFAULT_CONFIG ")\n"
	      "  -v, --verbose           log at info level (twice: debug) whatever [log] says\n"
	      "      --once              do what is due now, then exit (from a timer; the\n"
	      "                          daemon runs this for each of its actions)\n"
	      "      --force             with --once: renew now\n"
	      "      --check             load the configuration, then exit\n"
	      "  -h, --help              this text\n"
	      "\nExit status: 0 stopped by a signal (--once: done, whatever the action's\n"
	      "result; see `status`), 3 configuration error.\n", f);
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

/*
 * Act while something is due, then return the decision that is not: the
 * next action and its time. A failed action that could not record its
 * backoff (a full disk) still waits backoff_min.
 */
static void run_once(const helper_conf_t *c, int force, sched_out_t *out)
{
	int64_t not_before = 0;
	int acted = 0;

	if (force) {
		out->action = SCHED_RENEW;
		out->reason = "forced";
		if (act(c, out) < 0)
			not_before = (int64_t)time(NULL) + c->backoff_min / 1000;
		acted++;
	}
	for (;;) {
		decide(c, out);
		if (out->at > (int64_t)time(NULL))
			return;
		if (out->at < not_before || acted >= ONCE_MAX_ACTIONS) {
			out->at = not_before > out->at ? not_before : (int64_t)time(NULL) + 1;
			return;
		}
		if (act(c, out) < 0)
			not_before = (int64_t)time(NULL) + c->backoff_min / 1000;
		acted++;
	}
}

/*
 * SIGTERM while the worker acts: stop now. The file replacement is
 * crash-safe, and the monitor would only have stopped after the action.
 */
static void stop_now(int sig)
{
	(void)sig;
	_exit(0);
}

static void take_stop_signals(void)
{
	struct sigaction sa;
	sigset_t set;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = stop_now;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

/* The monitor's descriptors: closed to hooks, open again across exec(). */
static void monitor_fds(int keep)
{
	int fd;

	for (fd = MONITOR_FD_CONF; fd <= MONITOR_FD_NEWCONF; fd++)
		(void)fcntl(fd, F_SETFD, keep ? 0 : FD_CLOEXEC);
}

/*
 * Exec the monitor with @p words and then @p result (NULL-terminated);
 * returns only on failure.
 */
static int exec_monitor(char **words, int nwords, const char *const *result)
{
	const char *monitor = getenv("ACME_RATS_HELPER_MONITOR");
	const char *argv[2 * MAX_WORDS + 2];
	sigset_t stop;
	int i, n = 0;

	if (!monitor || !*monitor)
		monitor = MONITOR_PATH;
	argv[n++] = "acme-rats-helper-monitor";
	for (i = 0; i < nwords && i < MAX_WORDS; i++)
		argv[n++] = words[i];
	for (i = 0; result[i] && i < MAX_WORDS; i++)
		argv[n++] = result[i];
	argv[n] = NULL;
	monitor_fds(1);
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigprocmask(SIG_BLOCK, &stop, NULL);
	execv(monitor, (char *const *)argv);
	ar_error("event=monitor.exec_failed path=%s error=\"%s\"", monitor, strerror(errno));
	return HELPER_EXIT_USAGE;
}

/* `run` itself: hand over to the monitor with a snapshot of @p path. */
static int start_monitor(const char *path, int verbose, const helper_conf_t *c)
{
	char self[PATH_MAX], worker[PATH_MAX + 8], config[PATH_MAX + 8], level[32], verb[32];
	char *words[] = { worker, config, level, verb, "load=1" };
	const char *none[] = { NULL };
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0) {
		ar_error("event=start.failed error=\"/proc/self/exe: %s\"", strerror(errno));
		return HELPER_EXIT_USAGE;
	}
	self[n] = '\0';
	if (strlen(path) >= PATH_MAX) {
		ar_error("event=start.failed error=\"configuration path too long\"");
		return HELPER_EXIT_USAGE;
	}
	snprintf(worker, sizeof(worker), "worker=%s", self);
	snprintf(config, sizeof(config), "config=%s", path);
	snprintf(level, sizeof(level), "level=%d", c->log.level);
	snprintf(verb, sizeof(verb), "verbose=%d", verbose > 2 ? 2 : verbose);
	ar_info("event=start version=%s config=%s dir=%s", PACKAGE_VERSION, path, c->dir);
	return exec_monitor(words, 5, none);
}

int cmd_run(int argc, char **argv)
{
	const char *path = HELPER_DEFAULT_CONFIG;
	helper_conf_t conf;
	sched_out_t out;
	char next[32], level[32];
	int verbose = 0, once = 0, force = 0, check = 0, resume = 0, ch, rc;

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
		case OPT_ONCE:
			once = 1;
			break;
		case OPT_FORCE:
			force = 1;
			break;
		case OPT_CHECK:
			check = 1;
			break;
		case OPT_RESUME:
			resume = 1;
			break;
		default:
			cmd_run_usage(stderr);
			return HELPER_EXIT_USAGE;
		}
	}
	if ((optind < argc && !resume) || (resume && (!(once || check) || argc - optind > MAX_WORDS)) ||
	    (force && !once) || (check && once)) {
		cmd_run_usage(stderr);
		return HELPER_EXIT_USAGE;
	}
	if (resume) {
		take_stop_signals();
		monitor_fds(0);
	}
	if ((rc = helper_load("run", path, verbose, &conf))) {
		if (resume) {
			const char *failed[] = { check ? "checked=failed" : "failed=1", NULL };

			return exec_monitor(argv + optind, argc - optind, failed);
		}
		return rc;
	}
	if (check) {
		const char *ok[] = { "checked=ok", level, NULL };

		snprintf(level, sizeof(level), "level=%d", conf.log.level);
		helper_conf_free(&conf);
		return resume ? exec_monitor(argv + optind, argc - optind, ok) : 0;
	}
	if (!once) {
		rc = start_monitor(path, verbose, &conf);
		helper_conf_free(&conf);
		return rc;
	}
	run_once(&conf, force, &out);
	helper_conf_free(&conf);
	if (resume) {
		const char *result[] = { next, NULL };

		snprintf(next, sizeof(next), "next=%" PRId64, out.at);
		return exec_monitor(argv + optind, argc - optind, result);
	}
	return 0;
}
