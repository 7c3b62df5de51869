/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test lab: spawn, watch and always clean up real servers.
 *
 * The registry of processes and directories is a pair of fixed arrays. The
 * normal code changes them only with the fatal signals blocked, so the
 * signal handler never sees a half-written entry; the handler itself only
 * calls kill, waitpid, nanosleep, clock_gettime, openat, getdents64,
 * unlinkat, close and sigaction (all async-signal-safe system calls).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#include "lab.h"

#define LAB_MAX_PROCS		64
#define LAB_MAX_DIRS		64
#define LAB_PATH_MAX		512
#define LAB_REDIS_WAIT_MS	5000
#define LAB_KILL_WAIT_MS	5000
#define LAB_RMTREE_DEPTH	16

static const int fatal_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGABRT };
#define NFATAL	(sizeof(fatal_signals) / sizeof(fatal_signals[0]))

/* A registration belongs to the process that made it (forked tests). */
static struct {
	pid_t	pid;
	pid_t	owner;
} procs[LAB_MAX_PROCS];

static struct {
	int	used;
	pid_t	owner;
	char	path[LAB_PATH_MAX];
} dirs[LAB_MAX_DIRS];

static int lab_ready;

/*
 *	Time and signals.
 */
int64_t lab_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void lab_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void block_fatal(sigset_t *old)
{
	sigset_t set;
	size_t i;

	sigemptyset(&set);
	for (i = 0; i < NFATAL; i++)
		sigaddset(&set, fatal_signals[i]);
	sigprocmask(SIG_BLOCK, &set, old);
}

static void restore_mask(const sigset_t *old)
{
	sigprocmask(SIG_SETMASK, old, NULL);
}

/* Signal a spawned process's group, or the process alone if it has none. */
static void signal_group(pid_t pid, int sig)
{
	if (kill(-pid, sig) < 0)
		kill(pid, sig);
}

/*
 *	Registry.
 */
static int reg_proc(pid_t pid)
{
	sigset_t old;
	size_t i;
	int rc = -1;

	block_fatal(&old);
	for (i = 0; i < LAB_MAX_PROCS; i++) {
		if (procs[i].pid == 0) {
			procs[i].owner = getpid();
			procs[i].pid = pid;
			rc = 0;
			break;
		}
	}
	restore_mask(&old);
	return rc;
}

static void unreg_proc(pid_t pid)
{
	sigset_t old;
	size_t i;

	block_fatal(&old);
	for (i = 0; i < LAB_MAX_PROCS; i++) {
		if (procs[i].pid == pid && procs[i].owner == getpid())
			procs[i].pid = 0;
	}
	restore_mask(&old);
}

static int reg_dir(const char *path)
{
	sigset_t old;
	size_t i, len = strlen(path);
	int rc = -1;

	if (len >= LAB_PATH_MAX)
		return -1;
	block_fatal(&old);
	for (i = 0; i < LAB_MAX_DIRS; i++) {
		if (!dirs[i].used) {
			memcpy(dirs[i].path, path, len + 1);
			dirs[i].owner = getpid();
			dirs[i].used = 1;
			rc = 0;
			break;
		}
	}
	restore_mask(&old);
	return rc;
}

static void unreg_dir(const char *path)
{
	sigset_t old;
	size_t i;

	block_fatal(&old);
	for (i = 0; i < LAB_MAX_DIRS; i++) {
		if (dirs[i].used && dirs[i].owner == getpid() && !strcmp(dirs[i].path, path))
			dirs[i].used = 0;
	}
	restore_mask(&old);
}

/*
 *	Cleanup from a signal handler: async-signal-safe calls only.
 */

/* Remove @name below @dfd, recursing at most LAB_RMTREE_DEPTH levels. */
static void rm_at(int dfd, const char *name, int depth)
{
	char buf[2048] __attribute__((aligned(8)));
	int fd, pass;

	if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT)
		return;
	if (depth >= LAB_RMTREE_DEPTH)
		return;
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	/* Removing entries while reading may skip some: read again until empty. */
	for (pass = 0; pass < 8; pass++) {
		int removed = 0;
		ssize_t n;

		lseek(fd, 0, SEEK_SET);
		while ((n = getdents64(fd, buf, sizeof(buf))) > 0) {
			ssize_t off = 0;

			while (off < n) {
				struct dirent64 *d = (struct dirent64 *)(void *)(buf + off);

				off += d->d_reclen;
				if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
					continue;
				rm_at(fd, d->d_name, depth + 1);
				removed = 1;
			}
		}
		if (!removed)
			break;
	}
	close(fd);
	unlinkat(dfd, name, AT_REMOVEDIR);
}

/* SIGKILL every own process group and reap the leaders, bounded. */
static void kill_all_now(void)
{
	pid_t self = getpid();
	int64_t deadline;
	size_t i;

	for (i = 0; i < LAB_MAX_PROCS; i++) {
		if (procs[i].pid > 0 && procs[i].owner == self) {
			kill(-procs[i].pid, SIGKILL);
			kill(procs[i].pid, SIGKILL);
		}
	}
	deadline = lab_now_ms() + LAB_KILL_WAIT_MS;
	for (i = 0; i < LAB_MAX_PROCS; i++) {
		pid_t pid = procs[i].pid;

		if (pid <= 0 || procs[i].owner != self)
			continue;
		for (;;) {
			pid_t w = waitpid(pid, NULL, WNOHANG);

			if (w == pid || (w < 0 && errno != EINTR) || lab_now_ms() > deadline)
				break;
			lab_sleep_ms(5);
		}
		procs[i].pid = 0;
	}
}

static void remove_dirs_now(void)
{
	pid_t self = getpid();
	size_t i;

	for (i = 0; i < LAB_MAX_DIRS; i++) {
		if (dirs[i].used && dirs[i].owner == self) {
			rm_at(AT_FDCWD, dirs[i].path, 0);
			dirs[i].used = 0;
		}
	}
}

static void on_fatal_signal(int sig)
{
	struct sigaction dfl;
	int saved = errno;

	kill_all_now();
	remove_dirs_now();
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	sigaction(sig, &dfl, NULL);
	raise(sig);	/* blocked until we return, then the default action */
	errno = saved;
}

/*
 *	Cleanup at exit.
 */
static void lab_atexit(void)
{
	pid_t self = getpid();
	size_t i;

	for (i = 0; i < LAB_MAX_PROCS; i++) {
		if (procs[i].pid > 0 && procs[i].owner == self)
			lab_stop(procs[i].pid, 2000);
	}
	for (i = 0; i < LAB_MAX_DIRS; i++) {
		if (dirs[i].used && dirs[i].owner == self) {
			char path[LAB_PATH_MAX];

			memcpy(path, dirs[i].path, sizeof(path));
			lab_rmtree(path);
		}
	}
}

int lab_init(void)
{
	struct sigaction sa;
	size_t i;

	if (lab_ready)
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fatal_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < NFATAL; i++)
		sigaddset(&sa.sa_mask, fatal_signals[i]);
	for (i = 0; i < NFATAL; i++) {
		if (sigaction(fatal_signals[i], &sa, NULL) < 0) {
			fprintf(stderr, "# lab: sigaction: %s\n", strerror(errno));
			return -1;
		}
	}
	if (atexit(lab_atexit) != 0) {
		fprintf(stderr, "# lab: atexit failed\n");
		return -1;
	}
	lab_ready = 1;
	return 0;
}

/*
 *	Ports and directories.
 */
static uint32_t lab_random(void)
{
	uint32_t r;

	if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
		r = (uint32_t)getpid() * 2654435761u ^ (uint32_t)lab_now_ms();
	return r;
}

/* Can a listener bind 127.0.0.1:@p port now (as the daemons do, reusing addresses)? */
static int port_bindable(int port)
{
	struct sockaddr_in sin;
	int fd, one = 1, ok;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)port);
	ok = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0 &&
	     bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0;
	close(fd);
	return ok;
}

/*
 * A port below the kernel's ephemeral range (no outgoing connection takes it
 * as its local port before the daemon binds it), claimed for this process by
 * making the directory $TMPDIR/acmerats-ports/<port>. mkdir is atomic, so no
 * other test - C or shell (tests/lab/lab.sh), of this build or another one
 * running at the same time - is handed the same port. The claim is removed at
 * exit with the lab's directories; one a killed test left is taken back after
 * an hour.
 */
int lab_free_port(void)
{
	char dir[LAB_PATH_MAX - 16], claim[LAB_PATH_MAX];
	const char *base = getenv("TMPDIR");
	unsigned lo = 32768, hi;
	struct stat st;
	FILE *f;
	int i;

	if (!base || !*base)
		base = "/tmp";
	if (snprintf(dir, sizeof(dir), "%s/acmerats-ports", base) >= (int)sizeof(dir))
		return -1;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -1;
	f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
	if (f) {
		if (fscanf(f, "%u %u", &lo, &hi) != 2 || lo <= 12000 || lo > 65535)
			lo = 32768;
		fclose(f);
	}
	for (i = 0; i < 400; i++) {
		unsigned port = 10000 + lab_random() % (lo - 10000);

		snprintf(claim, sizeof(claim), "%s/%u", dir, port & 0xffff);
		if (mkdir(claim, 0700) < 0) {
			if (errno != EEXIST || stat(claim, &st) < 0 || time(NULL) - st.st_mtime < 3600 ||
			    rmdir(claim) < 0 || mkdir(claim, 0700) < 0)
				continue;
		}
		if (!port_bindable((int)port) || reg_dir(claim) < 0) {
			rmdir(claim);
			continue;
		}
		return (int)port;
	}
	return -1;
}

int lab_tmpdir(char *out, size_t size)
{
	const char *base = getenv("TMPDIR");
	int n;

	if (!base || !*base)
		base = "/tmp";
	n = snprintf(out, size, "%s/acmerats-lab.XXXXXX", base);
	if (n < 0 || (size_t)n >= size || (size_t)n >= LAB_PATH_MAX) {
		fprintf(stderr, "# lab: temporary directory name too long under %s\n", base);
		return -1;
	}
	if (!mkdtemp(out)) {
		fprintf(stderr, "# lab: mkdtemp %s: %s\n", out, strerror(errno));
		return -1;
	}
	if (reg_dir(out) < 0) {
		fprintf(stderr, "# lab: too many directories\n");
		rmdir(out);
		return -1;
	}
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if ((flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT)
		fprintf(stderr, "# lab: remove %s: %s\n", path, strerror(errno));
	return 0;
}

void lab_rmtree(const char *dir)
{
	if (!dir || !*dir)
		return;
	if (nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS) < 0 && errno != ENOENT)
		fprintf(stderr, "# lab: walk %s: %s\n", dir, strerror(errno));
	unreg_dir(dir);
}

/*
 *	Processes.
 */
static void mark_fds_cloexec(void)
{
	struct rlimit rl;
	int fd, max = 1024;

#ifdef CLOSE_RANGE_CLOEXEC
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return;
#endif
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		max = rl.rlim_cur > 65536 ? 65536 : (int)rl.rlim_cur;
	for (fd = 3; fd < max; fd++)
		fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* In the child, between fork and exec: report failure through @errfd. */
static void __attribute__((noreturn))
child_exec(char *const argv[], const char *log_path, pid_t parent, int errfd)
{
	struct sigaction dfl;
	sigset_t none;
	int sig, fd, e;

	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	for (sig = 1; sig < NSIG; sig++)
		sigaction(sig, &dfl, NULL);	/* also undoes an inherited SIG_IGN */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	setpgid(0, 0);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		goto fail;
	if (getppid() != parent)	/* the test died before prctl took effect */
		_exit(127);

	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || dup2(fd, 0) < 0)
		goto fail;
	fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
		goto fail;
	mark_fds_cloexec();
	execvp(argv[0], argv);
fail:
	e = errno;
	if (write(errfd, &e, sizeof(e)) < 0)
		_exit(126);
	_exit(127);
}

pid_t lab_spawn(char *const argv[], const char *log_path)
{
	struct pollfd pfd;
	sigset_t old;
	pid_t pid, parent = getpid();
	int pipefd[2], e = 0;
	ssize_t n = 0;

	if (!argv || !argv[0] || !log_path)
		return -1;
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		fprintf(stderr, "# lab: pipe: %s\n", strerror(errno));
		return -1;
	}
	fflush(NULL);	/* no buffered output duplicated by the child */
	block_fatal(&old);
	pid = fork();
	if (pid == 0)
		child_exec(argv, log_path, parent, pipefd[1]);
	if (pid > 0) {
		setpgid(pid, pid);	/* also here: no race with a signal to -pid */
		if (reg_proc(pid) < 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			fprintf(stderr, "# lab: too many processes\n");
			pid = -1;
		}
	} else {
		fprintf(stderr, "# lab: fork: %s\n", strerror(errno));
	}
	restore_mask(&old);
	close(pipefd[1]);
	if (pid < 0) {
		close(pipefd[0]);
		return -1;
	}

	/* The pipe closes at exec (success) or carries errno (failure). */
	pfd.fd = pipefd[0];
	pfd.events = POLLIN;
	if (poll(&pfd, 1, LAB_KILL_WAIT_MS) > 0) {
		do {
			n = read(pipefd[0], &e, sizeof(e));
		} while (n < 0 && errno == EINTR);
	}
	close(pipefd[0]);
	if (n == (ssize_t)sizeof(e)) {
		fprintf(stderr, "# lab: cannot run %s: %s\n", argv[0], strerror(e));
		lab_stop(pid, 1000);
		return -1;
	}
	return pid;
}

/* Wait until @pid has exited, leaving it unreaped: 1 exited, 0 timeout, -1 not ours. */
static int wait_exit(pid_t pid, int timeout_ms)
{
	int64_t deadline = lab_now_ms() + (timeout_ms > 0 ? timeout_ms : 0);

	for (;;) {
		siginfo_t si;

		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (si.si_pid == pid)
			return 1;
		if (lab_now_ms() >= deadline)
			return 0;
		lab_sleep_ms(5);
	}
}

static int decode_status(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return -1;
}

int lab_stop(pid_t pid, int timeout_ms)
{
	int exited, st = 0;
	pid_t w;

	if (pid <= 0)
		return -1;
	signal_group(pid, SIGTERM);
	signal_group(pid, SIGCONT);
	exited = wait_exit(pid, timeout_ms);
	if (exited < 0) {
		unreg_proc(pid);
		return -1;
	}
	/* The leader is unreaped, so its group id still names only its group. */
	signal_group(pid, SIGKILL);
	if (!exited && wait_exit(pid, LAB_KILL_WAIT_MS) != 1) {
		fprintf(stderr, "# lab: pid %d survives SIGKILL\n", (int)pid);
		return -1;
	}
	do {
		w = waitpid(pid, &st, 0);
	} while (w < 0 && errno == EINTR);
	unreg_proc(pid);
	return w == pid ? decode_status(st) : -1;
}

int lab_wait_tcp(int port, int timeout_ms)
{
	struct sockaddr_in sin;
	int64_t deadline = lab_now_ms() + timeout_ms;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)port);
	for (;;) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		int ok;

		if (fd < 0)
			return -1;
		ok = connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0;
		close(fd);
		if (ok)
			return 0;
		if (lab_now_ms() >= deadline) {
			fprintf(stderr, "# lab: nothing accepts on 127.0.0.1:%d after %d ms\n", port,
				timeout_ms);
			return -1;
		}
		lab_sleep_ms(10);
	}
}

/*
 *	redis-server.
 */

/* One PING over a fresh connection: 0 when the answer is +PONG. */
static int redis_pong(int port, int timeout_ms)
{
	static const char ping[] = "*1\r\n$4\r\nPING\r\n";
	struct sockaddr_in sin;
	struct pollfd pfd;
	char buf[64];
	ssize_t n;
	int fd, rc = -1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)port);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		goto out;
	if (send(fd, ping, sizeof(ping) - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof(ping) - 1))
		goto out;
	pfd.fd = fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, timeout_ms) <= 0)
		goto out;
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	if (n >= 5 && !memcmp(buf, "+PONG", 5))
		rc = 0;
out:
	close(fd);
	return rc;
}

static void redis_log_tail(const lab_redis_t *r)
{
	char line[512];
	FILE *f = fopen(r->log, "r");
	long size;

	if (!f)
		return;
	if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) > 4096)
		fseek(f, size - 4096, SEEK_SET);
	else
		fseek(f, 0, SEEK_SET);
	fprintf(stderr, "# lab: tail of %s:\n", r->log);
	while (fgets(line, sizeof(line), f))
		fprintf(stderr, "#   %s", line);
	fclose(f);
}

/* Spawn redis-server for @r and wait until it answers (AOF loaded). */
static int redis_launch(lab_redis_t *r)
{
	char port[16];
	char *argv[] = {
		(char *)REDIS_SERVER_PATH,
		(char *)"--port", port,
		(char *)"--bind", (char *)"127.0.0.1",
		(char *)"--dir", r->dir,
		(char *)"--appendonly", (char *)"yes",
		(char *)"--appendfsync", (char *)"everysec",
		(char *)"--save", (char *)"",
		(char *)"--daemonize", (char *)"no",
		(char *)"--protected-mode", (char *)"yes",
		/* A replica's first sync at once, not after Redis's default 5 s. */
		(char *)"--repl-diskless-sync-delay", (char *)"0",
		NULL
	};
	int64_t deadline;

	snprintf(port, sizeof(port), "%d", r->port);
	r->pid = lab_spawn(argv, r->log);
	if (r->pid < 0) {
		r->pid = 0;
		return -1;
	}
	deadline = lab_now_ms() + LAB_REDIS_WAIT_MS;
	for (;;) {
		int gone = wait_exit(r->pid, 0);

		if (gone != 0) {
			fprintf(stderr, "# lab: redis-server on port %d exited at start\n", r->port);
			lab_stop(r->pid, 0);
			r->pid = 0;
			return -1;
		}
		if (redis_pong(r->port, 200) == 0) {
			fprintf(stderr, "# lab: redis-server pid %d on 127.0.0.1:%d in %s\n",
				(int)r->pid, r->port, r->dir);
			return 0;
		}
		if (lab_now_ms() >= deadline) {
			fprintf(stderr, "# lab: redis-server on port %d: no PONG within %d ms\n",
				r->port, LAB_REDIS_WAIT_MS);
			lab_stop(r->pid, 1000);
			r->pid = 0;
			return -1;
		}
		lab_sleep_ms(20);
	}
}

int lab_redis_start(lab_redis_t *r)
{
	int attempt, n;

	memset(r, 0, sizeof(*r));
	if (lab_tmpdir(r->dir, sizeof(r->dir)) < 0)
		return -1;
	n = snprintf(r->log, sizeof(r->log), "%s/redis.log", r->dir);
	if (n < 0 || (size_t)n >= sizeof(r->log))
		goto fail;
	/* A port can be taken between lab_free_port() and bind: try another. */
	for (attempt = 0; attempt < 3; attempt++) {
		r->port = lab_free_port();
		if (r->port < 0)
			goto fail;
		if (redis_launch(r) == 0)
			return 0;
	}
fail:
	redis_log_tail(r);
	lab_rmtree(r->dir);
	memset(r, 0, sizeof(*r));
	return -1;
}

/* One command (RESP text @cmd) over a fresh connection; the start of the answer in @buf. */
static int redis_raw(int port, const char *cmd, char *buf, size_t size, int timeout_ms)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				   .sin_port = htons((uint16_t)port) };
	struct pollfd pfd;
	size_t got = 0;
	ssize_t n;
	int fd, rc = -1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    send(fd, cmd, strlen(cmd), MSG_NOSIGNAL) != (ssize_t)strlen(cmd))
		goto out;
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (got + 1 < size && poll(&pfd, 1, got ? 50 : timeout_ms) > 0 &&
	       (n = recv(fd, buf + got, size - 1 - got, 0)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	rc = got ? 0 : -1;
out:
	close(fd);
	return rc;
}

int lab_redis_replicate(lab_redis_t *replica, const lab_redis_t *primary)
{
	char cmd[128], buf[4096], port[16];
	int64_t deadline = lab_now_ms() + LAB_REDIS_WAIT_MS;

	/* Redis 7 waits repl-diskless-sync-delay (5 s) for more replicas first. */
	if (redis_raw(primary->port,
		      "*4\r\n$6\r\nCONFIG\r\n$3\r\nSET\r\n$24\r\nrepl-diskless-sync-delay\r\n"
		      "$1\r\n0\r\n", buf, sizeof(buf), 1000) < 0 || strncmp(buf, "+OK", 3))
		return -1;
	snprintf(port, sizeof(port), "%d", primary->port);
	snprintf(cmd, sizeof(cmd), "*3\r\n$9\r\nREPLICAOF\r\n$9\r\n127.0.0.1\r\n$%zu\r\n%s\r\n",
		 strlen(port), port);
	if (redis_raw(replica->port, cmd, buf, sizeof(buf), 1000) < 0 || strncmp(buf, "+OK", 3))
		return -1;
	while (lab_now_ms() < deadline) {
		if (redis_raw(replica->port, "*2\r\n$4\r\nINFO\r\n$11\r\nreplication\r\n", buf,
			      sizeof(buf), 1000) == 0 && strstr(buf, "master_link_status:up"))
			return 0;
		lab_sleep_ms(50);
	}
	fprintf(stderr, "# lab: replica :%d not linked to :%d within %d ms\n", replica->port,
		primary->port, LAB_REDIS_WAIT_MS);
	return -1;
}

int lab_redis_kill(lab_redis_t *r)
{
	int st = 0, exited;
	pid_t w;

	if (r->pid <= 0)
		return -1;
	signal_group(r->pid, SIGKILL);
	exited = wait_exit(r->pid, LAB_KILL_WAIT_MS);
	if (exited != 1) {
		fprintf(stderr, "# lab: redis-server %d did not die\n", (int)r->pid);
		return -1;
	}
	do {
		w = waitpid(r->pid, &st, 0);
	} while (w < 0 && errno == EINTR);
	unreg_proc(r->pid);
	r->pid = 0;
	return 0;
}

int lab_redis_restart(lab_redis_t *r)
{
	if (!r->dir[0] || r->port <= 0)
		return -1;
	if (r->pid > 0 && lab_redis_kill(r) < 0)
		return -1;
	if (redis_launch(r) < 0) {
		redis_log_tail(r);
		return -1;
	}
	return 0;
}

int lab_redis_stop(lab_redis_t *r)
{
	int rc = 0;

	if (r->pid > 0 && lab_stop(r->pid, 2000) < 0)
		rc = -1;
	r->pid = 0;
	if (r->dir[0])
		lab_rmtree(r->dir);
	r->dir[0] = '\0';
	return rc;
}
