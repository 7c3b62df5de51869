/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * acme-rats-helper-monitor: the daemon's waiting image.
 *
 * A device helper sleeps for hours between actions. Sleeping in the full
 * binary would keep libcurl, OpenSSL, libjose and the dozens of libraries
 * they pull in mapped for nothing. So the daemon is one process that
 * changes its image: `acme-rats-helper run` checks the configuration and
 * execs this program, which links the C library alone and sleeps in one
 * sigtimedwait() until an action is due; then it execs
 * `acme-rats-helper run --once` (the worker), which decides, acts, records
 * the decision for `status` and execs this program again with the time of
 * the next action. Same process, same pid, one image at a time; every
 * action starts from a clean heap.
 *
 * State crosses exec() in three ways: the arguments (key=value words; the
 * worker passes ours through and appends its result), descriptor 4 (a
 * sealed memory copy of the configuration in force, so a file broken by an
 * edit is refused at SIGHUP and the previous one stays), and the signal
 * mask (SIGHUP and SIGUSR1 stay blocked while the worker runs; those that
 * arrive meanwhile are pending here when it returns; the worker takes
 * SIGTERM and SIGINT itself and exits at once).
 *
 *   acme-rats-helper-monitor worker=PATH config=PATH level=N verbose=N
 *                            [retry=S] [next=T | failed=1 | checked=ok|failed]
 *
 * Started by acme-rats-helper itself; not meant to be run by hand.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "monitor.h"

/* Longest sleep: the worker looks at the clock and the files this often. */
#define MAX_SLEEP_S	3600
/* A worker still running after this is ended by SIGALRM (its own timeouts are far shorter). */
#define WORKER_MAX_S	1800
/* After a worker that could not decide: 5 s, doubling up to this. */
#define RETRY_MAX_S	300
/* Largest configuration file accepted. */
#define CONF_MAX	(256 * 1024)
/* Longest "key=path" word passed on. */
#define PATH_WORD	4200

typedef struct monitor {
	const char	*worker;	/* path of acme-rats-helper */
	const char	*path;		/* configuration file, as given */
	int		level;		/* configured log level */
	int		verbose;
	int64_t		next;		/* when the worker runs next */
	int64_t		retry;		/* current retry delay, seconds (0: none) */
	int		failed;		/* the worker could not decide */
	int		load;		/* first start: snapshot the configuration */
	const char	*checked;	/* result of a --check: "ok", "failed" or NULL */
	sigset_t	signals;	/* blocked; taken with sigtimedwait() */
} monitor_t;

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

static int parse_i64(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*out = (int64_t)v;
	return 0;
}

/* Read the key=value words; a later word overrides an earlier one. */
static int parse_args(int argc, char **argv, monitor_t *m)
{
	int64_t v;
	int i;

	m->next = 0;
	m->level = AR_LOG_WARN;
	for (i = 1; i < argc; i++) {
		const char *eq = strchr(argv[i], '='), *val = eq ? eq + 1 : "";
		size_t klen = eq ? (size_t)(eq - argv[i]) : strlen(argv[i]);

#define KEY(k)	(klen == sizeof(k) - 1 && !strncmp(argv[i], k, klen))
		if (KEY("worker")) {
			m->worker = val;
		} else if (KEY("config")) {
			m->path = val;
		} else if (KEY("checked")) {
			m->checked = val;
		} else if (KEY("level") && !parse_i64(val, AR_LOG_DEBUG, AR_LOG_ERROR, &v)) {
			m->level = (int)v;
		} else if (KEY("verbose") && !parse_i64(val, 0, 2, &v)) {
			m->verbose = (int)v;
		} else if (KEY("next") && !parse_i64(val, 0, INT64_MAX / 2, &v)) {
			m->next = v;
			m->failed = 0;
		} else if (KEY("retry") && !parse_i64(val, 0, RETRY_MAX_S, &v)) {
			m->retry = v;
		} else if (KEY("failed")) {
			m->failed = 1;
		} else if (KEY("load")) {
			m->load = 1;
		} else {
			return -1;
		}
#undef KEY
	}
	return m->worker && m->path ? 0 : -1;
}

static void set_level(const monitor_t *m)
{
	ar_log_setup("acme-rats-helper", m->verbose ? (m->verbose > 1 ? AR_LOG_DEBUG : AR_LOG_INFO)
						    : (ar_log_level_t)m->level, 2);
}

/* A sealed in-memory copy of @p path at descriptor @p at, or -1 (logged). */
static int conf_snapshot(const char *path, int at)
{
	char buf[8192];
	ssize_t n;
	size_t total = 0;
	int in, out, rc = -1;

	if ((in = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		ar_error("event=config.unreadable path=%s error=\"%s\"", path, strerror(errno));
		return -1;
	}
	if ((out = memfd_create("acme-rats-helper.conf", MFD_CLOEXEC | MFD_ALLOW_SEALING)) < 0) {
		ar_error("event=config.snapshot_failed error=\"%s\"", strerror(errno));
		close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || (total += (size_t)n) > CONF_MAX || write(out, buf, (size_t)n) != n) {
			ar_error("event=config.unreadable path=%s error=\"%s\"", path,
				 n < 0 ? strerror(errno) : total > CONF_MAX ? "larger than 256 KiB"
									     : "copy failed");
			goto out;
		}
	}
	/* The file may sit at @p at itself: closed before anything lands there. */
	close(in);
	in = -1;
	/* Open across exec(): dup2() onto itself would leave close-on-exec set. */
	if (fcntl(out, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) < 0 ||
	    dup2(out, at) < 0 || fcntl(at, F_SETFD, 0) < 0) {
		ar_error("event=config.snapshot_failed error=\"%s\"", strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (in >= 0)
		close(in);
	if (out != at)
		close(out);
	return rc;
}

/* Become the worker: `run --once`, or `run --check` of the new configuration. */
static void exec_worker(const monitor_t *m, int check, int force)
{
	char conf[32], worker[PATH_WORD], config[PATH_WORD], level[32], verbose[32], retry[32];
	const char *argv[20];	/* 10 options and 5 words at most */
	int i = 0;

	snprintf(conf, sizeof(conf), "/proc/self/fd/%d", check ? MONITOR_FD_NEWCONF : MONITOR_FD_CONF);
	snprintf(worker, sizeof(worker), "worker=%s", m->worker);
	snprintf(config, sizeof(config), "config=%s", m->path);
	snprintf(level, sizeof(level), "level=%d", m->level);
	snprintf(verbose, sizeof(verbose), "verbose=%d", m->verbose);
	snprintf(retry, sizeof(retry), "retry=%" PRId64, m->retry);
	argv[i++] = m->worker;
	argv[i++] = "run";
	argv[i++] = check ? "--check" : "--once";
	if (force)
		argv[i++] = "--force";
	argv[i++] = "-c";
	argv[i++] = conf;
	if (m->verbose)
		argv[i++] = "-v";
	if (m->verbose > 1)
		argv[i++] = "-v";
	argv[i++] = "--resume";
	argv[i++] = "--";
	argv[i++] = worker;
	argv[i++] = config;
	argv[i++] = level;
	argv[i++] = verbose;
	argv[i++] = retry;
	argv[i] = NULL;
	/* A hung worker ends; the file replacement is crash-safe. */
	alarm(WORKER_MAX_S);
	execv(m->worker, (char *const *)argv);
	alarm(0);
	ar_error("event=worker.exec_failed path=%s error=\"%s\"", m->worker, strerror(errno));
}

/* The worker could not decide: again in 5 s, doubling up to RETRY_MAX_S. */
static void retry_later(monitor_t *m)
{
	m->retry = m->retry ? (m->retry * 2 > RETRY_MAX_S ? RETRY_MAX_S : m->retry * 2) : 5;
	m->next = now_s() + m->retry;
	ar_warn("event=worker.retry in_s=%" PRId64, m->retry);
}

/* What the worker came back with after --check. */
static void take_check(monitor_t *m)
{
	if (!strcmp(m->checked, "ok") && dup2(MONITOR_FD_NEWCONF, MONITOR_FD_CONF) == MONITOR_FD_CONF) {
		set_level(m);
		ar_info("event=config.reloaded path=%s", m->path);
	} else {
		ar_error("event=config.reload_failed path=%s keeping=previous", m->path);
	}
	close(MONITOR_FD_NEWCONF);
	m->checked = NULL;
}

/*
 * Sleep until the worker is due. Returns the worker mode to exec (0 run,
 * 1 check a new configuration), or -1 to stop.
 */
static int wait_due(monitor_t *m, int *force)
{
	struct timespec ts = { 0, 0 };
	int64_t wait_s;
	int sig;

	for (;;) {
		wait_s = m->next - now_s();
		if (wait_s <= 0)
			return 0;
		ts.tv_sec = (time_t)(wait_s > MAX_SLEEP_S ? MAX_SLEEP_S : wait_s);
		sig = sigtimedwait(&m->signals, NULL, &ts);
		switch (sig) {
		case SIGTERM:
		case SIGINT:
			ar_info("event=stop signal=%d", sig);
			return -1;
		case SIGHUP:
			if (conf_snapshot(m->path, MONITOR_FD_NEWCONF) < 0) {
				ar_error("event=config.reload_failed path=%s keeping=previous", m->path);
				continue;
			}
			return 1;
		case SIGUSR1:
			ar_info("event=signal signal=USR1 action=renew");
			*force = 1;
			return 0;
		default:
			if (sig < 0 && errno == EAGAIN && ts.tv_sec == MAX_SLEEP_S)
				return 0;	/* an hour asleep: let the worker look at the clock */
			if (sig < 0 && errno != EAGAIN && errno != EINTR)
				ar_error("event=wait.failed error=\"%s\"", strerror(errno));
		}
	}
}

int main(int argc, char **argv)
{
	monitor_t m = { 0 };
	int mode, force = 0;

	alarm(0);
	if (parse_args(argc, argv, &m) < 0) {
		fputs("acme-rats-helper-monitor is started by `acme-rats-helper run`\n", stderr);
		return 3;
	}
	set_level(&m);
	/*
	 * Only the standard streams and our two descriptors cross the
	 * exec()s: whatever else an image left open would pile up, one set
	 * per action, over months of renewals.
	 */
	close_range(3, MONITOR_FD_CONF - 1, 0);
	close_range(MONITOR_FD_NEWCONF + (m.checked ? 1 : 0), ~0U, 0);
	sigemptyset(&m.signals);
	sigaddset(&m.signals, SIGHUP);
	sigaddset(&m.signals, SIGUSR1);
	sigaddset(&m.signals, SIGTERM);
	sigaddset(&m.signals, SIGINT);
	sigprocmask(SIG_BLOCK, &m.signals, NULL);
	if (m.load && conf_snapshot(m.path, MONITOR_FD_CONF) < 0)
		return 3;
	if (m.checked)
		take_check(&m);
	if (m.failed)
		retry_later(&m);
	else if (m.next)
		m.retry = 0;
	while ((mode = wait_due(&m, &force)) >= 0) {
		exec_worker(&m, mode == 1, force);
		/* Still here: the worker binary cannot be run. */
		retry_later(&m);
		if (mode == 1)
			close(MONITOR_FD_NEWCONF);
		force = 0;
	}
	return 0;
}
