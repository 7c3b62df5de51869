/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file lab.h
 * @brief Test lab: real servers (redis-server, later the project's daemons,
 *	  freeradius, hostapd) started on 127.0.0.1 ephemeral ports for
 *	  integration tests, and cleaned up whatever way the test ends.
 *
 * Every process started with lab_spawn() and every directory made with
 * lab_tmpdir() is registered. Registered processes are killed (their whole
 * process group) and registered directories removed:
 * - on normal exit (atexit), which also covers a failed cmocka test: cmocka
 *   runs the teardown and returns;
 * - on SIGINT, SIGTERM, SIGHUP and SIGABRT (the handler only makes
 *   async-signal-safe calls, then re-raises the signal);
 * - when the test process dies by SIGKILL or a crash nothing can catch, each
 *   child still gets SIGKILL from the kernel (PR_SET_PDEATHSIG); only its
 *   directory is then left behind.
 * Registrations belong to the process that made them: a forked test child
 * that exits does not tear down its parent's servers.
 *
 * Every wait is bounded. Functions return 0 / -1 unless stated otherwise and
 * explain a failure on stderr (as a TAP comment).
 */
#ifndef AR_LAB_H
#define AR_LAB_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/** Install the exit and signal cleanup. Call once per test process. */
int lab_init(void);

/** CLOCK_MONOTONIC in milliseconds. Async-signal-safe. */
int64_t lab_now_ms(void);

/** Sleep @p ms, resuming after signals. Async-signal-safe. */
void lab_sleep_ms(int ms);

/**
 * An unused TCP port on 127.0.0.1, below the ephemeral range and claimed for
 * this process against every other test running at the same time, or -1.
 */
int lab_free_port(void);

/**
 * Make a fresh directory `$TMPDIR/acmerats-lab.XXXXXX` (or under /tmp) and
 * register it for removal.
 */
int lab_tmpdir(char *out, size_t size);

/** Remove @p dir and everything below it (nftw, symlinks not followed). */
void lab_rmtree(const char *dir);

/**
 * Start @p argv[0] (a path, or a name looked up in PATH) with @p argv, in its
 * own process group, stdin from /dev/null, stdout and stderr appended to
 * @p log_path, no inherited descriptors, and SIGKILL on the test's death.
 *
 * @return the child's pid (registered), or -1 (also when exec failed).
 */
pid_t lab_spawn(char *const argv[], const char *log_path);

/**
 * Stop a spawned process: SIGTERM (and SIGCONT, should it be stopped) to its
 * group, up to @p timeout_ms for it to exit, then SIGKILL; reap it, kill what
 * is left of its group, and unregister it.
 *
 * @return its exit status, 128 + signal number if a signal ended it, or -1
 *	   if @p pid is not a child of this process.
 */
int lab_stop(pid_t pid, int timeout_ms);

/** Poll-connect to 127.0.0.1:@p port until it accepts, at most @p timeout_ms. */
int lab_wait_tcp(int port, int timeout_ms);

/** A redis-server of the lab. */
typedef struct lab_redis {
	pid_t	pid;		/**< 0 while not running */
	int	port;
	char	dir[256];	/**< its own directory: AOF, log */
	char	log[300];	/**< dir/redis.log */
} lab_redis_t;

/**
 * Start REDIS_SERVER_PATH on a free port with its own directory, append-only
 * file (fsync every second), no RDB snapshots, bound to 127.0.0.1, and wait
 * (at most 5 s) until PING answers PONG.
 */
int lab_redis_start(lab_redis_t *r);

/**
 * Make @p replica (started with lab_redis_start()) a replica of @p primary
 * (REPLICAOF) and wait (at most 5 s) until its link is up.
 */
int lab_redis_replicate(lab_redis_t *replica, const lab_redis_t *primary);

/** SIGKILL the server (a crash), keeping its directory for a restart. */
int lab_redis_kill(lab_redis_t *r);

/** Start it again on the same port and directory; waits until the AOF is loaded. */
int lab_redis_restart(lab_redis_t *r);

/** Stop the server (SIGTERM, then SIGKILL) and remove its directory. */
int lab_redis_stop(lab_redis_t *r);

#endif
