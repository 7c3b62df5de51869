/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Integration tests of the Redis store against a real redis-server started
 * by the test lab, and of the lab itself.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "lab/lab.h"
#include "radius_metrics.h"
#include "store.h"

static lab_redis_t redis;	/* one server for the whole group */
static ar_store_t *st;		/* opened by each test's setup */

/*
 *	Helpers.
 */
static ar_store_t *open_store(int grace, long maxlen, int command_ms)
{
	ar_store_opts_t o;
	ar_err_t err = { 0 };
	ar_store_t *s;

	memset(&o, 0, sizeof(o));
	o.port = redis.port;
	o.cert_grace_s = grace;
	o.event_maxlen = maxlen;
	o.command_timeout_ms = command_ms;
	s = ar_store_open(&o, &err);
	if (!s)
		fail_msg("ar_store_open: %s", err.msg);
	return s;
}

/*
 * A command on a fresh direct connection, to inspect what the store wrote
 * without going through it. Arguments end with NULL.
 */
static redisReply *raw(const char *first, ...)
{
	const char *argv[16];
	struct timeval tv = { 2, 0 };
	redisContext *c;
	redisReply *r;
	va_list ap;
	int argc = 0;

	va_start(ap, first);
	for (argv[argc] = first; argv[argc] && argc < 15; argv[++argc] = va_arg(ap, const char *))
		;
	va_end(ap);
	c = redisConnectWithTimeout("127.0.0.1", redis.port, tv);
	if (!c || c->err) {
		if (c)
			redisFree(c);
		fail_msg("direct connection to redis failed");
	}
	redisSetTimeout(c, tv);
	r = redisCommandArgv(c, argc, argv, NULL);
	redisFree(c);
	if (!r)
		fail_msg("direct command %s failed", first);
	return r;
}

#define RAW(...)	raw(__VA_ARGS__, (const char *)NULL)

static long long raw_int(redisReply *r)
{
	long long v;

	if (r->type != REDIS_REPLY_INTEGER) {
		fail_msg("expected an integer reply, got type %d (%s)", r->type,
			 r->type == REDIS_REPLY_ERROR ? r->str : "-");
	}
	v = r->integer;
	freeReplyObject(r);
	return v;
}

#define RAW_INT(...)	raw_int(raw(__VA_ARGS__, (const char *)NULL))

static void raw_expect_str(redisReply *r, const char *want)
{
	if (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS)
		fail_msg("expected \"%s\", got reply type %d", want, r->type);
	assert_string_equal(r->str, want);
	freeReplyObject(r);
}

/* A numeric field of INFO @section, e.g. "total_connections_received". */
static long long raw_info(const char *section, const char *field)
{
	redisReply *r = RAW("INFO", section);
	char needle[96];
	const char *p;
	long long v;

	if (r->type != REDIS_REPLY_STRING)
		fail_msg("INFO %s failed", section);
	snprintf(needle, sizeof(needle), "\r\n%s:", field);
	p = strstr(r->str, needle);
	if (!p)
		fail_msg("INFO %s has no %s", section, field);
	v = strtoll(p + strlen(needle), NULL, 10);
	freeReplyObject(r);
	return v;
}

#define RAW_STR(want, ...)	raw_expect_str(raw(__VA_ARGS__, (const char *)NULL), want)

#define assert_errc(err, want) do {						\
	if ((err)->code != (want))						\
		fail_msg("expected %s, got %s \"%s\"", ar_errc_name(want),	\
			 ar_errc_name((err)->code), (err)->msg);		\
} while (0)

static void posture_sample(ar_store_posture_t *p, ar_status_t status)
{
	memset(p, 0, sizeof(*p));
	p->status = status;
	snprintf(p->tv, sizeof(p->tv), "ii=2 cfg=2 ex=2 fs=2 hw=2 rt=0 st=0 sd=0");
	p->ear_iat = 1800000000;
	p->ear_exp = 1800000600;
	snprintf(p->verifier, sizeof(p->verifier), "acme-rats-verifier");
	snprintf(p->profile, sizeof(p->profile), "substation-laptop");
	p->updated_at = 1800000005;
	snprintf(p->reason, sizeof(p->reason), "EDR running; patch level current");
}

static void cert_sample(ar_store_cert_t *c, const char *device, const char *aki,
			const char *serial, int64_t not_after)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->device, sizeof(c->device), "%s", device);
	snprintf(c->aki, sizeof(c->aki), "%s", aki);
	snprintf(c->serial, sizeof(c->serial), "%s", serial);
	snprintf(c->order, sizeof(c->order), "https://ca.example/acme/order/%s", serial);
	c->not_after = not_after;
	c->status = AR_CERT_VALID;
}

static void session_sample(ar_store_session_t *ss, const char *nas_id, const char *acct)
{
	memset(ss, 0, sizeof(*ss));
	snprintf(ss->nas_ip, sizeof(ss->nas_ip), "192.0.2.7");
	snprintf(ss->nas_id, sizeof(ss->nas_id), "%s", nas_id);
	snprintf(ss->acct_session_id, sizeof(ss->acct_session_id), "%s", acct);
	snprintf(ss->calling_station_id, sizeof(ss->calling_station_id), "02-00-00-00-00-01");
	snprintf(ss->user_name, sizeof(ss->user_name), "host/pc7.example");
	snprintf(ss->serial, sizeof(ss->serial), "0a1b2c");
	ss->started = 1800000100;
	ss->updated = 1800000160;
}

static void event_sample(ar_store_event_t *ev, const char *device, const char *status)
{
	memset(ev, 0, sizeof(*ev));
	snprintf(ev->type, sizeof(ev->type), "posture");
	snprintf(ev->device, sizeof(ev->device), "%s", device);
	snprintf(ev->status, sizeof(ev->status), "%s", status);
	snprintf(ev->reason, sizeof(ev->reason), "SOC marked %s", status);
	snprintf(ev->serial, sizeof(ev->serial), "0a1b2c");
	snprintf(ev->source, sizeof(ev->source), "verifier");
}

/* 1 while @pid exists and is not a zombie. */
static int proc_alive(pid_t pid)
{
	char path[64], buf[256], *paren;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	paren = strrchr(buf, ')');
	return paren && paren[1] == ' ' && paren[2] != 'Z' && paren[2] != 'X';
}

/* 1 while @pid exists at all, zombie included. */
static int proc_exists(pid_t pid)
{
	char path[64];
	struct stat sb;

	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	return stat(path, &sb) == 0;
}

static int dir_exists(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/*
 *	Fixtures.
 */
static int group_setup(void **state)
{
	(void)state;
	if (lab_init() < 0 || lab_redis_start(&redis) < 0)
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	return lab_redis_stop(&redis);
}

static int setup(void **state)
{
	(void)state;
	if (redis.pid <= 0 && lab_redis_restart(&redis) < 0)
		return -1;
	freeReplyObject(RAW("FLUSHALL"));
	st = open_store(0, 0, 0);
	return st ? 0 : -1;
}

/* Also undoes what a failed test may have left: a stopped or killed server. */
static int teardown(void **state)
{
	redisReply *r;

	(void)state;
	ar_store_close(st);
	st = NULL;
	if (redis.pid > 0)
		kill(redis.pid, SIGCONT);
	else if (lab_redis_restart(&redis) < 0)
		return -1;
	r = RAW("ACL", "DELUSER", "acme");
	freeReplyObject(r);
	return 0;
}

/*
 *	The lab.
 */
static void test_lab_free_port_is_bindable(void **state)
{
	struct sockaddr_in sin;
	int port = lab_free_port(), fd;

	(void)state;
	assert_in_range(port, 1, 65535);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)port);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	close(fd);
}

/* Each port is claimed where every other test sees it, and handed out once. */
static void test_lab_free_port_claims(void **state)
{
	const char *base = getenv("TMPDIR");
	char claim[512];
	struct stat sb;
	int a = lab_free_port(), b = lab_free_port();

	(void)state;
	assert_in_range(a, 10000, 65535);
	assert_in_range(b, 10000, 65535);
	assert_int_not_equal(a, b);
	snprintf(claim, sizeof(claim), "%s/acmerats-ports/%d", base && *base ? base : "/tmp", a);
	assert_int_equal(stat(claim, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
}

static void test_lab_spawn_and_stop_report_status(void **state)
{
	char dir[256], log[300];
	char *sleeper[] = { (char *)"sleep", (char *)"30", NULL };
	char *failing[] = { (char *)"false", NULL };
	char *missing[] = { (char *)"/nonexistent/acme-rats-no-such-binary", NULL };
	int64_t t0;
	pid_t pid;

	(void)state;
	assert_int_equal(lab_tmpdir(dir, sizeof(dir)), 0);
	snprintf(log, sizeof(log), "%s/spawn.log", dir);

	pid = lab_spawn(sleeper, log);
	assert_true(pid > 0);
	assert_true(proc_alive(pid));
	t0 = lab_now_ms();
	assert_int_equal(lab_stop(pid, 2000), 128 + SIGTERM);
	assert_true(lab_now_ms() - t0 < 2000);
	assert_false(proc_alive(pid));

	pid = lab_spawn(failing, log);
	assert_true(pid > 0);
	t0 = lab_now_ms();
	while (proc_alive(pid) && lab_now_ms() - t0 < 2000)
		lab_sleep_ms(5);
	assert_int_equal(lab_stop(pid, 2000), 1);

	assert_int_equal(lab_spawn(missing, log), -1);

	lab_rmtree(dir);
	assert_false(dir_exists(dir));
}

/* In a forked child: start a redis, report it, then end as @how says. */
static void __attribute__((noreturn)) lab_child(int wfd, int how)
{
	lab_redis_t r;

	if (lab_redis_start(&r) < 0)
		_exit(2);
	if (write(wfd, &r, sizeof(r)) != (ssize_t)sizeof(r))
		_exit(3);
	close(wfd);
	if (how == 0)
		exit(1);		/* a failing test: atexit cleanup */
	raise(how);			/* a fatal signal: the handler, or nothing for SIGKILL */
	_exit(4);
}

static void test_lab_leaves_no_process_behind(void **state)
{
	static const int endings[] = { 0, SIGTERM, SIGINT, SIGHUP, SIGABRT, SIGKILL };
	size_t i;

	(void)state;
	/* Orphans of the dying child come to us, so we can see them die and reap them. */
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	for (i = 0; i < sizeof(endings) / sizeof(endings[0]); i++) {
		struct pollfd pfd;
		lab_redis_t child_redis;
		int fds[2], status = 0;
		int64_t deadline;
		pid_t child, w;
		ssize_t n;

		assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
		fflush(NULL);
		child = fork();
		assert_true(child >= 0);
		if (child == 0) {
			close(fds[0]);
			lab_child(fds[1], endings[i]);
		}
		close(fds[1]);
		pfd.fd = fds[0];
		pfd.events = POLLIN;
		assert_int_equal(poll(&pfd, 1, 10000), 1);
		n = read(fds[0], &child_redis, sizeof(child_redis));
		close(fds[0]);
		assert_int_equal(n, sizeof(child_redis));
		assert_true(child_redis.pid > 0);

		deadline = lab_now_ms() + 5000;
		while ((w = waitpid(child, &status, WNOHANG)) == 0 && lab_now_ms() < deadline)
			lab_sleep_ms(10);
		assert_int_equal(w, child);
		if (endings[i] == 0)
			assert_true(WIFEXITED(status));
		else
			assert_true(WIFSIGNALED(status) && WTERMSIG(status) == endings[i]);

		/*
		 * The server is gone. One orphaned by SIGKILL is ours to reap; it is
		 * reapable only once all its threads have exited, after it shows 'Z'.
		 */
		deadline = lab_now_ms() + 5000;
		while (proc_exists(child_redis.pid) && lab_now_ms() < deadline) {
			if (waitpid(child_redis.pid, NULL, WNOHANG) == child_redis.pid)
				break;
			lab_sleep_ms(10);
		}
		if (proc_exists(child_redis.pid))
			fail_msg("ending %d left redis-server %d behind", endings[i],
				 (int)child_redis.pid);

		/* Its directory is gone too, except after SIGKILL, where no code runs. */
		if (endings[i] == SIGKILL) {
			assert_true(dir_exists(child_redis.dir));
			lab_rmtree(child_redis.dir);
		}
		if (dir_exists(child_redis.dir))
			fail_msg("ending %d left %s behind", endings[i], child_redis.dir);
	}
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 0), 0);
	/* The group's own server was not touched by its children's cleanup. */
	assert_true(proc_alive(redis.pid));
}

/*
 *	Connection and generic values.
 */
static void test_store_open_rejects_bad_options(void **state)
{
	ar_store_opts_t o;
	ar_err_t err = { 0 };

	(void)state;
	memset(&o, 0, sizeof(o));
	o.port = redis.port;
	o.prefix = "acme{rats}";
	assert_null(ar_store_open(&o, &err));
	assert_errc(&err, AR_ERR_CONFIG);

	o.prefix = NULL;
	o.port = 70000;
	assert_null(ar_store_open(&o, &err));
	assert_errc(&err, AR_ERR_CONFIG);

	o.port = redis.port;
	o.username = "acme";
	assert_null(ar_store_open(&o, &err));
	assert_errc(&err, AR_ERR_CONFIG);

	o.username = NULL;
	o.command_timeout_ms = -5;
	assert_null(ar_store_open(&o, &err));
	assert_errc(&err, AR_ERR_CONFIG);
}

static void test_store_set_once_is_true_only_for_the_first_caller(void **state)
{
	ar_err_t err = { 0 };
	long long pttl;

	(void)state;
	char *val = NULL;

	assert_int_equal(ar_store_set_once(st, "nonce:abc", "1", 60000, &err), 1);
	assert_int_equal(ar_store_set_once(st, "nonce:abc", "2", 60000, &err), 0);
	assert_int_equal(ar_store_set_once(st, "nonce:abd", "1", 60000, &err), 1);
	pttl = RAW_INT("PTTL", "acmerats:nonce:abc");
	assert_in_range(pttl, 1, 60000);
	assert_int_equal(ar_store_get(st, "nonce:abc", &val, NULL, &err), 1);
	assert_string_equal(val, "1");
	free(val);
	assert_int_equal(ar_store_set_once(st, "idx:k", "acct-1", 0, &err), 1);
	assert_int_equal(RAW_INT("PTTL", "acmerats:idx:k"), -1);
	assert_int_equal(ar_store_set_once(st, "nonce:x", "1", -1, &err), -1);
	assert_int_equal(err.code, AR_ERR_MALFORMED);
}

/*
 * A deferred SET NX goes out with the next command: ahead of a read in the
 * same round trip, ahead of a write on its own; when the key existed, that
 * command reports the caller's error and a write is not sent.
 */
static void test_store_deferred_set_once(void **state)
{
	ar_err_t err = { 0 };
	char *val = NULL;
	long long pttl;

	(void)state;
	assert_int_equal(ar_store_set(st, "rec", "r1", 2, 0, &err), 0);

	/* Ahead of a read: the read answers, the key is created with its ttl. */
	assert_int_equal(ar_store_set_once_deferred(st, "nonce:d1", 60000, AR_ERR_BAD_NONCE,
						    "nonce has already been used", &err), 0);
	assert_int_equal(RAW_INT("EXISTS", "acmerats:nonce:d1"), 0);
	assert_int_equal(ar_store_get(st, "rec", &val, NULL, &err), 1);
	assert_string_equal(val, "r1");
	free(val);
	val = NULL;
	pttl = RAW_INT("PTTL", "acmerats:nonce:d1");
	assert_in_range(pttl, 1, 60000);

	/* The same key again: the read fails with the caller's error, no value. */
	assert_int_equal(ar_store_set_once_deferred(st, "nonce:d1", 60000, AR_ERR_BAD_NONCE,
						    "nonce has already been used", &err), 0);
	assert_int_equal(ar_store_get(st, "rec", &val, NULL, &err), -1);
	assert_null(val);
	assert_errc(&err, AR_ERR_BAD_NONCE);
	assert_string_equal(err.msg, "nonce has already been used");
	/* It is over: the next read is a plain one. */
	assert_int_equal(ar_store_get(st, "rec", &val, NULL, &err), 1);
	free(val);
	val = NULL;

	/* Multi-key reads too. */
	{
		const char *keys[2] = { "rec", "absent" };
		char *vals[2];

		assert_int_equal(ar_store_set_once_deferred(st, "nonce:d1", 60000, AR_ERR_BAD_NONCE,
							    "used", &err), 0);
		assert_int_equal(ar_store_get_many(st, keys, 2, vals, NULL, &err), -1);
		assert_errc(&err, AR_ERR_BAD_NONCE);
		assert_null(vals[0]);
	}

	/* Ahead of a write: created first, then the write is done ... */
	assert_int_equal(ar_store_set_once_deferred(st, "nonce:d2", 60000, AR_ERR_BAD_NONCE,
						    "used", &err), 0);
	assert_int_equal(ar_store_set(st, "rec", "r2", 2, 0, &err), 0);
	assert_int_equal(RAW_INT("EXISTS", "acmerats:nonce:d2"), 1);
	RAW_STR("r2", "GET", "acmerats:rec");
	/* ... and when the key existed, the write is not sent. */
	assert_int_equal(ar_store_set_once_deferred(st, "nonce:d2", 60000, AR_ERR_BAD_NONCE,
						    "used", &err), 0);
	assert_int_equal(ar_store_set(st, "rec", "r3", 2, 0, &err), -1);
	assert_errc(&err, AR_ERR_BAD_NONCE);
	RAW_STR("r2", "GET", "acmerats:rec");
	/* A batch likewise. */
	{
		ar_store_batch_t *b;

		assert_int_equal(ar_store_set_once_deferred(st, "nonce:d2", 60000,
							    AR_ERR_BAD_NONCE, "used", &err), 0);
		b = ar_store_batch_new(st);
		ar_store_batch_set(b, "rec", "r4", 2, 0);
		assert_int_equal(ar_store_batch_exec(b, &err), -1);
		assert_errc(&err, AR_ERR_BAD_NONCE);
		RAW_STR("r2", "GET", "acmerats:rec");
	}

	/* Settled on its own; nothing waiting settles to 0. */
	assert_int_equal(ar_store_settle(st, &err), 0);
	assert_int_equal(ar_store_set_once_deferred(st, "nonce:d3", 0, AR_ERR_BAD_NONCE, "used",
						    &err), 0);
	assert_int_equal(ar_store_settle(st, &err), 0);
	assert_int_equal(RAW_INT("PTTL", "acmerats:nonce:d3"), -1);
	assert_int_equal(ar_store_set_once_deferred(st, "nonce:d3", 0, AR_ERR_BAD_NONCE, "used",
						    &err), 0);
	assert_int_equal(ar_store_settle(st, &err), -1);
	assert_errc(&err, AR_ERR_BAD_NONCE);

	/* A second one settles the first. */
	assert_int_equal(ar_store_set_once_deferred(st, "nonce:d4", 0, AR_ERR_BAD_NONCE, "used",
						    &err), 0);
	assert_int_equal(ar_store_set_once_deferred(st, "nonce:d5", 0, AR_ERR_BAD_NONCE, "used",
						    &err), 0);
	assert_int_equal(RAW_INT("EXISTS", "acmerats:nonce:d4"), 1);
	assert_int_equal(ar_store_set_once_deferred(st, "nonce:d4", 0, AR_ERR_BAD_NONCE, "used",
						    &err), 0);
	assert_int_equal(RAW_INT("EXISTS", "acmerats:nonce:d5"), 1);
	assert_int_equal(ar_store_settle(st, &err), -1);
	assert_errc(&err, AR_ERR_BAD_NONCE);

	/* Bad arguments are refused at once; one left waiting is freed by close. */
	assert_int_equal(ar_store_set_once_deferred(st, "", 0, AR_ERR_BAD_NONCE, "used", &err), -1);
	assert_errc(&err, AR_ERR_MALFORMED);
	assert_int_equal(ar_store_set_once_deferred(st, "nonce:d6", -1, AR_ERR_BAD_NONCE, "used",
						    &err), -1);
	assert_errc(&err, AR_ERR_MALFORMED);
	assert_int_equal(ar_store_set_once_deferred(st, "nonce:d7", 0, AR_ERR_BAD_NONCE, "used",
						    &err), 0);
}

/* Writes of every kind in one transaction; a failure while queueing sends nothing. */
static void test_store_batch_writes_all_or_nothing(void **state)
{
	ar_store_posture_t p, pout;
	ar_store_cert_t c, cout;
	ar_store_batch_t *b;
	ar_err_t err = { 0 };
	int64_t na = (int64_t)time(NULL) + 3600;

	(void)state;
	posture_sample(&p, AR_STATUS_AFFIRMING);
	cert_sample(&c, "SUB-B1", "ab12", "0f", na);
	b = ar_store_batch_new(st);
	assert_non_null(b);
	assert_int_equal(ar_store_batch_set(b, "order:o1", "{}", 2, 60000), 0);
	assert_int_equal(ar_store_batch_list_push(b, "acctorders:a1", "o1", 2), 0);
	assert_int_equal(ar_store_batch_list_push(b, "acctorders:a1", "o2", 2), 0);
	assert_int_equal(ar_store_batch_list_push(b, "acctorders:a1", "o3", 2), 0);
	assert_int_equal(ar_store_batch_cert(b, &c), 0);
	assert_int_equal(ar_store_batch_posture(b, "SUB-B1", &p), 0);
	assert_int_equal(ar_store_batch_exec(b, &err), 0);

	RAW_STR("{}", "GET", "acmerats:order:o1");
	assert_in_range(RAW_INT("PTTL", "acmerats:order:o1"), 1, 60000);
	assert_int_equal(RAW_INT("LLEN", "acmerats:acctorders:a1"), 2);
	RAW_STR("o3", "LINDEX", "acmerats:acctorders:a1", "0");
	assert_int_equal(ar_store_cert_find(st, "ab12", "0f", &cout, &err), 1);
	assert_string_equal(cout.device, "SUB-B1");
	assert_int_equal(cout.not_after, na);
	assert_int_equal(RAW_INT("PTTL", "acmerats:{dev:SUB-B1}:c"), -1);
	assert_int_equal(ar_store_posture_get(st, "SUB-B1", &pout, &err), 1);
	assert_int_equal(pout.status, AR_STATUS_AFFIRMING);
	assert_int_equal(RAW_INT("SISMEMBER", "acmerats:devices", "SUB-B1"), 1);

	/* A mark changes the record queued before it in the same transaction, and
	 * only an existing one. */
	cert_sample(&c, "SUB-B1", "ab12", "1f", na);
	b = ar_store_batch_new(st);
	assert_int_equal(ar_store_batch_cert(b, &c), 0);
	assert_int_equal(ar_store_batch_cert_mark(b, "SUB-B1", "ab12", "0f", AR_CERT_SUPERSEDED,
						  -1), 0);
	assert_int_equal(ar_store_batch_cert_mark(b, "SUB-B1", "ab12", "ee", AR_CERT_REVOKED, 1),
			 0);
	assert_int_equal(ar_store_batch_exec(b, &err), 0);
	assert_int_equal(ar_store_cert_get(st, "SUB-B1", "ab12", "0f", &cout, &err), 1);
	assert_int_equal(cout.status, AR_CERT_SUPERSEDED);
	assert_int_equal(ar_store_cert_get(st, "SUB-B1", "ab12", "1f", &cout, &err), 1);
	assert_int_equal(cout.status, AR_CERT_VALID);
	assert_int_equal(RAW_INT("EXISTS", "acmerats:{dev:SUB-B1}:cert:ab12:ee"), 0);

	/* A bad record anywhere: the first error is returned, nothing is written. */
	b = ar_store_batch_new(st);
	assert_int_equal(ar_store_batch_set(b, "order:o2", "{}", 2, 0), 0);
	assert_int_equal(ar_store_batch_posture(b, "bad{id}", &p), -1);
	assert_int_equal(ar_store_batch_set(b, "order:o3", "{}", 2, 0), -1);
	assert_int_equal(ar_store_batch_exec(b, &err), -1);
	assert_errc(&err, AR_ERR_MALFORMED);
	assert_int_equal(RAW_INT("EXISTS", "acmerats:order:o2"), 0);
	assert_int_equal(RAW_INT("EXISTS", "acmerats:order:o3"), 0);

	cert_sample(&c, "SUB-B2", "ab12", "10", (int64_t)time(NULL) - 3600);
	b = ar_store_batch_new(st);
	assert_int_equal(ar_store_batch_set(b, "order:o4", "{}", 2, 0), 0);
	assert_int_equal(ar_store_batch_cert(b, &c), -1);
	assert_int_equal(ar_store_batch_exec(b, &err), -1);
	assert_errc(&err, AR_ERR_MALFORMED);
	assert_int_equal(RAW_INT("EXISTS", "acmerats:order:o4"), 0);

	/* Freed unrun, and NULL is accepted everywhere. */
	b = ar_store_batch_new(st);
	ar_store_batch_set(b, "order:o5", "{}", 2, 0);
	ar_store_batch_free(b);
	assert_int_equal(RAW_INT("EXISTS", "acmerats:order:o5"), 0);
	assert_int_equal(ar_store_batch_set(NULL, "k", "v", 1, 0), -1);
	assert_int_equal(ar_store_batch_exec(NULL, &err), -1);
	assert_errc(&err, AR_ERR_NOMEM);
	ar_store_batch_free(NULL);
}

static void test_store_set_get_roundtrip_with_timeouts(void **state)
{
	static const char bin[] = "v\0with\0nul\r\n";
	ar_err_t err = { 0 };
	char *val = NULL;
	size_t len = 0;
	long long pttl;

	(void)state;
	assert_int_equal(ar_store_ping(st, &err), 0);
	assert_int_equal(ar_store_set(st, "k1", bin, sizeof(bin) - 1, 5000, &err), 0);
	pttl = RAW_INT("PTTL", "acmerats:k1");
	assert_in_range(pttl, 1, 5000);

	assert_int_equal(ar_store_get(st, "k1", &val, &len, &err), 1);
	assert_int_equal(len, sizeof(bin) - 1);
	assert_memory_equal(val, bin, len);
	assert_int_equal(val[len], '\0');
	free(val);

	assert_int_equal(ar_store_set(st, "k2", "x", 1, 0, &err), 0);
	assert_int_equal(RAW_INT("PTTL", "acmerats:k2"), -1);

	assert_int_equal(ar_store_get(st, "absent", &val, &len, &err), 0);
	assert_null(val);
	assert_int_equal(len, 0);

	assert_int_equal(ar_store_set(st, "", "x", 1, 0, &err), -1);
	assert_errc(&err, AR_ERR_MALFORMED);
}

static void test_store_auth_with_acl_user(void **state)
{
	ar_store_opts_t o;
	ar_err_t err = { 0 };
	ar_store_t *s;
	char *val = NULL;

	(void)state;
	RAW_STR("OK", "ACL", "SETUSER", "acme", "reset", "on", ">s3cret-pw", "~acmerats:*",
		"+@all");
	memset(&o, 0, sizeof(o));
	o.port = redis.port;
	o.username = "acme";
	o.password = "wrong-pw";
	assert_null(ar_store_open(&o, &err));
	assert_errc(&err, AR_ERR_CONFIG);
	assert_null(strstr(err.msg, "wrong-pw"));

	o.password = "s3cret-pw";
	s = ar_store_open(&o, &err);
	if (!s)
		fail_msg("AUTH as acme: %s", err.msg);
	assert_int_equal(ar_store_set(s, "acl", "1", 1, 0, &err), 0);
	assert_int_equal(ar_store_get(s, "acl", &val, NULL, &err), 1);
	assert_string_equal(val, "1");
	free(val);
	ar_store_close(s);
}

/*
 *	Device ids and posture.
 */
static void test_store_rejects_device_id_with_hash_tag_chars(void **state)
{
	char long_id[AR_STORE_DEVICE_MAX + 2];
	const char *bad[] = { "dev{1}", "a{b", "a}b", "a b", "", "tab\tid", "del\x7f",
			      "caf\xc3\xa9", long_id };
	ar_store_posture_t p;
	ar_store_session_t ss;
	ar_store_cert_t c;
	ar_err_t err = { 0 };
	size_t i;

	(void)state;
	memset(long_id, 'x', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = '\0';
	posture_sample(&p, AR_STATUS_AFFIRMING);
	session_sample(&ss, "ap-1", "S1");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ar_err_clear(&err);
		assert_int_equal(ar_store_posture_put(st, bad[i], &p, &err), -1);
		assert_errc(&err, AR_ERR_MALFORMED);
		assert_int_equal(ar_store_posture_get(st, bad[i], &p, &err), -1);
		assert_int_equal(ar_store_session_put(st, bad[i], &ss, 60, &err), -1);
		assert_errc(&err, AR_ERR_MALFORMED);
		if (strlen(bad[i]) >= sizeof(c.device))
			continue;	/* does not fit the record at all */
		cert_sample(&c, "ok", "ab", "01", time(NULL) + 60);
		snprintf(c.device, sizeof(c.device), "%s", bad[i]);
		assert_int_equal(ar_store_cert_put(st, &c, &err), -1);
		assert_errc(&err, AR_ERR_MALFORMED);
	}
	assert_int_equal(RAW_INT("DBSIZE"), 0);

	/* The longest legal id, and punctuation that is not a hash tag, are fine. */
	long_id[AR_STORE_DEVICE_MAX] = '\0';
	assert_int_equal(ar_store_posture_put(st, long_id, &p, &err), 0);
	assert_int_equal(ar_store_posture_put(st, "urn:dev|sn:42", &p, &err), 0);
	assert_int_equal(RAW_INT("EXISTS", "acmerats:{dev:urn:dev|sn:42}:posture"), 1);
}

static void test_store_posture_roundtrip(void **state)
{
	ar_store_posture_t in, out;
	ar_err_t err = { 0 };
	int64_t before = (int64_t)time(NULL);

	(void)state;
	posture_sample(&in, AR_STATUS_WARNING);
	assert_int_equal(ar_store_posture_put(st, "SUB-0042", &in, &err), 0);
	assert_int_equal(ar_store_posture_get(st, "SUB-0042", &out, &err), 1);
	assert_int_equal(out.status, AR_STATUS_WARNING);
	assert_string_equal(out.tv, in.tv);
	assert_int_equal(out.ear_iat, in.ear_iat);
	assert_int_equal(out.ear_exp, in.ear_exp);
	assert_string_equal(out.verifier, in.verifier);
	assert_string_equal(out.profile, in.profile);
	assert_int_equal(out.updated_at, in.updated_at);
	assert_string_equal(out.reason, in.reason);

	/* The schema, as other tools see it. */
	RAW_STR("hash", "TYPE", "acmerats:{dev:SUB-0042}:posture");
	RAW_STR("warning", "HGET", "acmerats:{dev:SUB-0042}:posture", "st");
	RAW_STR("ii=2 cfg=2 ex=2 fs=2 hw=2 rt=0 st=0 sd=0", "HGET",
		"acmerats:{dev:SUB-0042}:posture", "tv");
	assert_int_equal(RAW_INT("SISMEMBER", "acmerats:devices", "SUB-0042"), 1);

	/* A put replaces the whole record; updated_at defaults to now. */
	memset(&in, 0, sizeof(in));
	in.status = AR_STATUS_CONTRAINDICATED;
	assert_int_equal(ar_store_posture_put(st, "SUB-0042", &in, &err), 0);
	assert_int_equal(ar_store_posture_get(st, "SUB-0042", &out, &err), 1);
	assert_int_equal(out.status, AR_STATUS_CONTRAINDICATED);
	assert_string_equal(out.reason, "");
	assert_string_equal(out.verifier, "");
	assert_in_range(out.updated_at, before, before + 5);
}

/*
 * An upgrade: a posture the previous version wrote, with long field names,
 * still decides (the module reads it at every authentication); the next
 * put rewrites it with the short names, a listpack of a fifth less.
 */
static void test_store_posture_written_by_the_previous_version_still_read(void **state)
{
	ar_store_posture_t p, got;
	ar_store_cert_t c;
	ar_err_t err = { 0 };

	(void)state;
	freeReplyObject(RAW("HSET", "acmerats:{dev:SUB-UP}:posture", "status", "contraindicated",
			    "tv", "ii=-1 cfg=0 ex=0 fs=0 hw=0 rt=0 st=0 sd=0", "ear_iat", "1800000000",
			    "ear_exp", "0", "verifier", "v1", "profile", "laptop"));
	freeReplyObject(RAW("HSET", "acmerats:{dev:SUB-UP}:posture", "updated_at", "1800000001",
			    "reason", "old"));
	assert_int_equal(ar_store_posture_get(st, "SUB-UP", &got, &err), 1);
	assert_int_equal(got.status, AR_STATUS_CONTRAINDICATED);
	assert_int_equal(got.updated_at, 1800000001);
	assert_string_equal(got.reason, "old");
	assert_int_equal(ar_store_auth_lookup(st, "SUB-UP", NULL, NULL, &got, &c, &err),
			 AR_STORE_FOUND_POSTURE);
	assert_int_equal(got.status, AR_STATUS_CONTRAINDICATED);

	posture_sample(&p, AR_STATUS_AFFIRMING);
	assert_int_equal(ar_store_posture_put(st, "SUB-UP", &p, &err), 0);
	assert_int_equal(RAW_INT("HEXISTS", "acmerats:{dev:SUB-UP}:posture", "status"), 0);
	RAW_STR("affirming", "HGET", "acmerats:{dev:SUB-UP}:posture", "st");
	RAW_STR("listpack", "OBJECT", "ENCODING", "acmerats:{dev:SUB-UP}:posture");
	assert_int_equal(ar_store_posture_get(st, "SUB-UP", &got, &err), 1);
	assert_int_equal(got.status, AR_STATUS_AFFIRMING);
}

static void test_store_posture_absent_or_corrupt(void **state)
{
	ar_store_posture_t p;
	ar_err_t err = { 0 };

	(void)state;
	assert_int_equal(ar_store_posture_get(st, "nobody", &p, &err), 0);
	assert_int_equal(p.status, AR_STATUS_NONE);

	freeReplyObject(RAW("HSET", "acmerats:{dev:bad1}:posture", "status", "excellent",
			    "updated_at", "1"));
	assert_int_equal(ar_store_posture_get(st, "bad1", &p, &err), -1);
	assert_errc(&err, AR_ERR_MALFORMED);

	freeReplyObject(RAW("HSET", "acmerats:{dev:bad2}:posture", "status", "affirming"));
	assert_int_equal(ar_store_posture_get(st, "bad2", &p, &err), -1);
	assert_errc(&err, AR_ERR_MALFORMED);

	freeReplyObject(RAW("HSET", "acmerats:{dev:bad3}:posture", "status", "affirming",
			    "updated_at", "12x"));
	assert_int_equal(ar_store_posture_get(st, "bad3", &p, &err), -1);
	assert_errc(&err, AR_ERR_MALFORMED);
}

/*
 *	Certificates.
 */
static void test_store_cert_counts_until_its_not_after(void **state)
{
	ar_store_cert_t c, got;
	ar_err_t err = { 0 };
	ar_store_t *s = open_store(1, 0, 0);
	int64_t now = (int64_t)time(NULL);
	long long pttl;

	(void)state;
	cert_sample(&c, "SUB-7", "aa01", "0c", now + 1);
	assert_int_equal(ar_store_cert_put(s, &c, &err), 0);

	/* The index expires at not_after + 1 s grace; the device's hash has no
	 * expiry (its fields count until their own not_after + grace). */
	pttl = RAW_INT("PTTL", "acmerats:sn:DA");	/* serial 0c */
	assert_in_range(pttl, 1, 2000);
	assert_int_equal(RAW_INT("PTTL", "acmerats:{dev:SUB-7}:c"), -1);

	assert_int_equal(ar_store_cert_get(s, "SUB-7", "aa01", "0c", &got, &err), 1);
	lab_sleep_ms((int)((now + 2) * 1000 - (int64_t)time(NULL) * 1000) + 1100);
	assert_int_equal(ar_store_cert_get(s, "SUB-7", "aa01", "0c", &got, &err), 0);
	assert_int_equal(ar_store_cert_find(s, "aa01", "0c", &got, &err), 0);
	assert_int_equal(RAW_INT("EXISTS", "acmerats:sn:DA"), 0);

	/* A hash with the expiry of earlier versions (its longest-lived
	 * certificate's) loses it on the next put: it would end the new one. */
	freeReplyObject(RAW("PEXPIRE", "acmerats:{dev:SUB-7}:c", "3000"));
	cert_sample(&c, "SUB-7", "aa01", "0e", (int64_t)time(NULL) + 3600);
	assert_int_equal(ar_store_cert_put(s, &c, &err), 0);
	assert_int_equal(RAW_INT("PTTL", "acmerats:{dev:SUB-7}:c"), -1);
	assert_int_equal(RAW_INT("HEXISTS", "acmerats:{dev:SUB-7}:c", "qgE.DA"), 0);	/* pruned */

	/* A certificate already past its grace is refused. */
	cert_sample(&c, "SUB-7", "aa01", "0d", (int64_t)time(NULL) - 10);
	assert_int_equal(ar_store_cert_put(s, &c, &err), -1);
	assert_errc(&err, AR_ERR_MALFORMED);
	ar_store_close(s);
}

static void test_store_cert_lookup_by_index(void **state)
{
	ar_store_cert_t c, got;
	ar_err_t err = { 0 };
	int64_t na = (int64_t)time(NULL) + 8 * 3600;

	(void)state;
	cert_sample(&c, "SUB-0042", "ABCDEF0123", "00FF10", na);
	assert_int_equal(ar_store_cert_put(st, &c, &err), 0);

	/* Stored lower-case, found whatever the case of the question. */
	RAW_STR("SUB-0042 https://ca.example/acme/order/00FF10", "GET", "acmerats:sn:AP8Q");
	assert_int_equal(RAW_INT("EXISTS", "acmerats:certidx:abcdef0123:00ff10"), 0);
	RAW_STR("listpack", "OBJECT", "ENCODING", "acmerats:{dev:SUB-0042}:c");
	assert_int_equal(RAW_INT("HEXISTS", "acmerats:{dev:SUB-0042}:c", "q83vASM.AP8Q"), 1);
	assert_int_equal(ar_store_cert_find(st, "abcdef0123", "00ff10", &got, &err), 1);
	assert_string_equal(got.device, "SUB-0042");
	assert_string_equal(got.aki, "abcdef0123");
	assert_string_equal(got.serial, "00ff10");
	assert_string_equal(got.order, c.order);
	assert_int_equal(got.not_after, na);
	assert_int_equal(got.status, AR_CERT_VALID);
	assert_int_equal(got.renew_now, 0);
	assert_int_equal(ar_store_cert_get(st, "SUB-0042", "AbCdEf0123", "00Ff10", &got, &err), 1);

	assert_int_equal(ar_store_cert_find(st, "abcdef0123", "00ff11", &got, &err), 0);
	/* The index names the serial; the AKI is the one of the certificate it leads to. */
	assert_int_equal(ar_store_cert_find(st, "abcdef0124", "00ff10", &got, &err), 0);
	assert_int_equal(ar_store_cert_find(st, "not-hex", "00ff10", &got, &err), -1);
	assert_errc(&err, AR_ERR_MALFORMED);
}

static void test_store_cert_mark_changes_existing_only(void **state)
{
	ar_store_cert_t c, got;
	ar_err_t err = { 0 };

	(void)state;
	cert_sample(&c, "SUB-1", "aa", "01", (int64_t)time(NULL) + 3600);
	assert_int_equal(ar_store_cert_put(st, &c, &err), 0);

	assert_int_equal(ar_store_cert_mark(st, "SUB-1", "aa", "01", -1, 1, &err), 1);
	assert_int_equal(ar_store_cert_get(st, "SUB-1", "aa", "01", &got, &err), 1);
	assert_int_equal(got.renew_now, 1);
	assert_int_equal(got.status, AR_CERT_VALID);

	assert_int_equal(ar_store_cert_mark(st, "SUB-1", "aa", "01", AR_CERT_SUPERSEDED, -1, &err), 1);
	assert_int_equal(ar_store_cert_get(st, "SUB-1", "aa", "01", &got, &err), 1);
	assert_int_equal(got.status, AR_CERT_SUPERSEDED);
	assert_int_equal(got.renew_now, 1);
	{
		char want[64];

		snprintf(want, sizeof(want), "%lld superseded 1", (long long)c.not_after);
		RAW_STR(want, "HGET", "acmerats:{dev:SUB-1}:c", "qg.AQ");
	}
	assert_int_equal(RAW_INT("PTTL", "acmerats:{dev:SUB-1}:c"), -1);

	assert_int_equal(ar_store_cert_mark(st, "SUB-1", "aa", "02", AR_CERT_REVOKED, 1, &err), 0);
	assert_int_equal(RAW_INT("HLEN", "acmerats:{dev:SUB-1}:c"), 1);
	assert_int_equal(ar_store_cert_mark(st, "SUB-1", "aa", "01", 7, -1, &err), -1);
	assert_errc(&err, AR_ERR_MALFORMED);
}

static void test_store_certs_of_device_newest_first(void **state)
{
	static const char *const serials[] = { "01", "02", "03" };
	static const int offsets[] = { 100, 300, 200 };
	ar_store_cert_t c, *list = NULL;
	ar_err_t err = { 0 };
	int64_t now = (int64_t)time(NULL);
	size_t i, n = 0;

	(void)state;
	for (i = 0; i < 3; i++) {
		cert_sample(&c, "SUB-9", "bb", serials[i], now + offsets[i]);
		assert_int_equal(ar_store_cert_put(st, &c, &err), 0);
	}
	assert_int_equal(ar_store_certs_of_device(st, "SUB-9", &list, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_string_equal(list[0].serial, "02");
	assert_string_equal(list[1].serial, "03");
	assert_string_equal(list[2].serial, "01");
	assert_int_equal(list[0].not_after, now + 300);
	assert_string_equal(list[2].device, "SUB-9");
	free(list);

	assert_int_equal(ar_store_certs_of_device(st, "SUB-none", &list, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_null(list);
}

/*
 * A device's certificates are one listpack hash, `c`: fields the base64url
 * of a 20-byte AKI and a 16-byte serial, values "<not_after> <status>
 * <renew_now>". Odd hex has no bytes and keeps the hex form.
 */
static void test_store_certs_one_listpack_hash_per_device(void **state)
{
	static const char aki[] = "0123456789abcdef0123456789abcdef01234567";
	static const char serial[] = "00f1e2d3c4b5a69788796a5b4c3d2e1f";
	ar_store_cert_t c, *list = NULL;
	ar_err_t err = { 0 };
	int64_t now = (int64_t)time(NULL);
	char want[64];
	size_t n = 0;

	(void)state;
	cert_sample(&c, "SUB-LP", aki, serial, now + 600);
	assert_int_equal(ar_store_cert_put(st, &c, &err), 0);
	cert_sample(&c, "SUB-LP", aki, "0a", now + 700);
	assert_int_equal(ar_store_cert_put(st, &c, &err), 0);
	RAW_STR("listpack", "OBJECT", "ENCODING", "acmerats:{dev:SUB-LP}:c");
	snprintf(want, sizeof(want), "%lld valid 0", (long long)now + 600);
	RAW_STR(want, "HGET", "acmerats:{dev:SUB-LP}:c",
		"ASNFZ4mrze8BI0VniavN7wEjRWc.APHi08S1ppeIeWpbTD0uHw");

	cert_sample(&c, "SUB-LP", "abc", "1", now + 800);
	assert_int_equal(ar_store_cert_put(st, &c, &err), 0);
	assert_int_equal(ar_store_cert_put(st, &c, &err), 0);
	assert_int_equal(RAW_INT("HLEN", "acmerats:{dev:SUB-LP}:c"), 3);
	assert_int_equal(RAW_INT("HEXISTS", "acmerats:{dev:SUB-LP}:c", "abc:1"), 1);
	assert_int_equal(ar_store_certs_of_device(st, "SUB-LP", &list, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_string_equal(list[0].aki, "abc");
	assert_string_equal(list[0].serial, "1");
	assert_string_equal(list[0].order, "https://ca.example/acme/order/1");
	assert_string_equal(list[2].serial, serial);
	free(list);
}

/*
 * An upgrade: certificates as the previous version wrote them (a hash per
 * certificate, listed in the zset `certs`, the index holding the device
 * alone) are still found by every read - the module's lookup above all, or
 * every device would be refused after the upgrade - and are moved into `c`
 * when written again.
 */
static void test_store_cert_written_by_the_previous_version_still_admits(void **state)
{
	static const char old_key[] = "acmerats:{dev:SUB-UP}:cert:c0ffee:1234";
	ar_store_posture_t p, got_p;
	ar_store_cert_t c, got, *list = NULL;
	ar_err_t err = { 0 };
	char na[24];
	size_t n = 0;

	(void)state;
	snprintf(na, sizeof(na), "%lld", (long long)time(NULL) + 3600);
	freeReplyObject(RAW("HSET", old_key, "device", "SUB-UP", "order",
			    "https://ca.example/acme/order/old", "not_after", na, "status", "valid",
			    "renew_now", "0"));
	freeReplyObject(RAW("EXPIRE", old_key, "3900"));
	freeReplyObject(RAW("ZADD", "acmerats:{dev:SUB-UP}:certs", na, "wP_u.EjQ"));
	freeReplyObject(RAW("SET", "acmerats:certidx:c0ffee:1234", "SUB-UP", "EX", "3900"));
	posture_sample(&p, AR_STATUS_AFFIRMING);
	assert_int_equal(ar_store_posture_put(st, "SUB-UP", &p, &err), 0);

	assert_int_equal(ar_store_auth_lookup(st, "SUB-UP", "c0ffee", "1234", &got_p, &got, &err),
			 AR_STORE_FOUND_POSTURE | AR_STORE_FOUND_CERT);
	assert_int_equal(got.status, AR_CERT_VALID);
	assert_int_equal(ar_store_cert_find(st, "c0ffee", "1234", &got, &err), 1);
	assert_string_equal(got.order, "https://ca.example/acme/order/old");
	assert_int_equal(ar_store_certs_of_device(st, "SUB-UP", &list, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].serial, "1234");
	free(list);
	/* A revocation reaches the old record. */
	assert_int_equal(ar_store_cert_mark(st, "SUB-UP", "c0ffee", "1234", AR_CERT_REVOKED, -1,
					    &err), 1);
	assert_int_equal(ar_store_auth_lookup(st, "SUB-UP", "c0ffee", "1234", &got_p, &got, &err),
			 AR_STORE_FOUND_POSTURE | AR_STORE_FOUND_CERT);
	assert_int_equal(got.status, AR_CERT_REVOKED);

	/* Written again: moved, nothing left in the old layout, listed once. */
	cert_sample(&c, "SUB-UP", "c0ffee", "1234", got.not_after);
	c.status = AR_CERT_REVOKED;
	assert_int_equal(ar_store_cert_put(st, &c, &err), 0);
	assert_int_equal(RAW_INT("EXISTS", old_key), 0);
	assert_int_equal(RAW_INT("EXISTS", "acmerats:{dev:SUB-UP}:certs"), 0);
	assert_int_equal(ar_store_certs_of_device(st, "SUB-UP", &list, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(list[0].status, AR_CERT_REVOKED);
	free(list);
}

/*
 * A certificate past not_after + grace no longer counts, though its field
 * outlives it in `c` (kept alive by a newer certificate): the module's
 * lookup, the index and a mark all pass it over, and the next put removes
 * it. A superseded one is reported as such.
 */
static void test_store_stale_certificate_field_does_not_admit(void **state)
{
	ar_store_posture_t got_p;
	ar_store_cert_t c, got, *list = NULL;
	ar_err_t err = { 0 };
	int64_t now = (int64_t)time(NULL);
	char stale[64];
	size_t n = 0;

	(void)state;
	cert_sample(&c, "SUB-ST", "aa", "01", now + 3600);
	assert_int_equal(ar_store_cert_put(st, &c, &err), 0);
	/* The old one: expired an hour ago (written raw: a put refuses it). */
	snprintf(stale, sizeof(stale), "%lld valid 0", (long long)now - 3600);
	freeReplyObject(RAW("HSET", "acmerats:{dev:SUB-ST}:c", "qg.AA", stale));
	freeReplyObject(RAW("SET", "acmerats:certidx:aa:00", "SUB-ST"));

	assert_int_equal(ar_store_auth_lookup(st, "SUB-ST", "aa", "00", &got_p, &got, &err), 0);
	assert_int_equal(ar_store_cert_get(st, "SUB-ST", "aa", "00", &got, &err), 0);
	assert_int_equal(ar_store_cert_find(st, "aa", "00", &got, &err), 0);
	assert_int_equal(ar_store_cert_mark(st, "SUB-ST", "aa", "00", AR_CERT_VALID, 1, &err), 0);
	RAW_STR(stale, "HGET", "acmerats:{dev:SUB-ST}:c", "qg.AA");
	assert_int_equal(ar_store_certs_of_device(st, "SUB-ST", &list, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].serial, "01");
	free(list);

	assert_int_equal(ar_store_cert_mark(st, "SUB-ST", "aa", "01", AR_CERT_SUPERSEDED, -1, &err),
			 1);
	assert_int_equal(ar_store_auth_lookup(st, "SUB-ST", "aa", "01", &got_p, &got, &err),
			 AR_STORE_FOUND_CERT);
	assert_int_equal(got.status, AR_CERT_SUPERSEDED);

	cert_sample(&c, "SUB-ST", "aa", "02", now + 7200);
	assert_int_equal(ar_store_cert_put(st, &c, &err), 0);
	assert_int_equal(RAW_INT("HEXISTS", "acmerats:{dev:SUB-ST}:c", "qg.AA"), 0);
	assert_int_equal(RAW_INT("HLEN", "acmerats:{dev:SUB-ST}:c"), 2);
	assert_int_equal(RAW_INT("PTTL", "acmerats:{dev:SUB-ST}:c"), -1);
}

/*
 * The index of device B's certificate cannot lend its order (or anything
 * else) to device A's certificate of the same AKI and serial.
 */
static void test_store_cert_index_of_device_b_not_read_into_device_a(void **state)
{
	ar_store_cert_t c, got;
	ar_err_t err = { 0 };

	(void)state;
	cert_sample(&c, "SUB-A", "aa", "05", (int64_t)time(NULL) + 3600);
	c.order[0] = '\0';
	assert_int_equal(ar_store_cert_put(st, &c, &err), 0);
	freeReplyObject(RAW("SET", "acmerats:sn:BQ", "SUB-B https://evil.example/order/x"));
	freeReplyObject(RAW("SET", "acmerats:certidx:aa:05", "SUB-B https://evil.example/order/y"));
	assert_int_equal(ar_store_cert_get(st, "SUB-A", "aa", "05", &got, &err), 1);
	assert_string_equal(got.device, "SUB-A");
	assert_string_equal(got.order, "");
	assert_int_equal(ar_store_cert_get(st, "SUB-B", "aa", "05", &got, &err), 0);
}

/*
 *	The per-authentication lookup.
 */
/*
 *	Device identity and SOC verdicts.
 */
static void fill_identity(ar_store_identity_t *id, char c, const char *account)
{
	memset(id, 0, sizeof(*id));
	memset(id->jkt, c, AR_JWK_THUMBPRINT_LEN);
	snprintf(id->jwk, sizeof(id->jwk), "{\"kty\":\"EC\",\"x\":\"%c\"}", c);
	snprintf(id->account, sizeof(id->account), "%s", account);
	snprintf(id->eab_kid, sizeof(id->eab_kid), "kid-%c", c);
}

/* Two enrolments race for one device: the first key wins, for good. */
/*
 * Forgetting a device's TPM enrolment (acme-rats-ctl reenrol): its record,
 * and the claim of its AK's Name only while that claim is the device's; a
 * record the verifier would not parse is still removed.
 */
static void test_store_tpm_forget_releases_only_its_own_claim(void **state)
{
	static const char name[] = "000b" "00112233445566778899aabbccddeeff"
				   "00112233445566778899aabbccddeeff";
	char rec[200], nkey[200];
	ar_err_t err = { 0 };

	(void)state;
	snprintf(rec, sizeof(rec), "{\"ak_pub\":\"x\",\"ak_name\":\"%s\"}", name);
	snprintf(nkey, sizeof(nkey), "acmerats:tpm:akname:%s", name);
	freeReplyObject(RAW("SET", "acmerats:tpm:{dev:SUB-T1}:ak", rec));
	freeReplyObject(RAW("SET", nkey, "SUB-T1"));
	assert_int_equal(ar_store_tpm_forget(st, "SUB-T1", &err), 1);
	assert_int_equal(RAW_INT("EXISTS", "acmerats:tpm:{dev:SUB-T1}:ak"), 0);
	assert_int_equal(RAW_INT("EXISTS", nkey), 0);
	assert_int_equal(ar_store_tpm_forget(st, "SUB-T1", &err), 0);

	/* The Name claimed by another device (a stale record): not released. */
	freeReplyObject(RAW("SET", "acmerats:tpm:{dev:SUB-T1}:ak", rec));
	freeReplyObject(RAW("SET", nkey, "SUB-T2"));
	assert_int_equal(ar_store_tpm_forget(st, "SUB-T1", &err), 1);
	RAW_STR("SUB-T2", "GET", nkey);

	/* A record that is not JSON, or names no Name in hex: removed all the same. */
	freeReplyObject(RAW("SET", "acmerats:tpm:{dev:SUB-T1}:ak", "not json"));
	assert_int_equal(ar_store_tpm_forget(st, "SUB-T1", &err), 1);
	freeReplyObject(RAW("SET", "acmerats:tpm:{dev:SUB-T1}:ak", "{\"ak_name\":\"*:../x\"}"));
	assert_int_equal(ar_store_tpm_forget(st, "SUB-T1", &err), 1);
	assert_int_equal(RAW_INT("EXISTS", "acmerats:tpm:{dev:SUB-T1}:ak"), 0);
	RAW_STR("SUB-T2", "GET", nkey);
	assert_int_equal(ar_store_tpm_forget(st, "bad id with spaces", &err), -1);
	assert_errc(&err, AR_ERR_MALFORMED);
}

static void test_store_identity_bind_is_compare_and_set(void **state)
{
	ar_store_identity_t a, b, cur;
	ar_err_t err = { 0 };

	(void)state;
	fill_identity(&a, 'A', "acct-a");
	fill_identity(&b, 'B', "acct-b");
	assert_int_equal(ar_store_identity_get(st, "ID-1", &cur, &err), 0);
	assert_int_equal(ar_store_identity_bind(st, "ID-1", &a, NULL, &err), 1);
	assert_int_equal(ar_store_identity_bind(st, "ID-1", &a, NULL, &err), 1);	/* same key */
	assert_int_equal(ar_store_identity_bind(st, "ID-1", &b, &cur, &err), 0);
	assert_string_equal(cur.jkt, a.jkt);
	assert_string_equal(cur.account, "acct-a");
	assert_int_equal(ar_store_identity_get(st, "ID-1", &cur, &err), 1);
	assert_string_equal(cur.jkt, a.jkt);
	assert_string_equal(cur.jwk, a.jwk);
	assert_true(cur.enrolled_at > 0);
	/* rollover only from the key it has now */
	assert_int_equal(ar_store_identity_rekey(st, "ID-1", b.jkt, &b, &err), 0);
	assert_int_equal(ar_store_identity_rekey(st, "ID-1", a.jkt, &b, &err), 1);
	assert_int_equal(ar_store_identity_get(st, "ID-1", &cur, &err), 1);
	assert_string_equal(cur.jkt, b.jkt);
	/* the key -> devices index follows: one key may speak for several */
	{
		ar_store_devid_t *devs = NULL;
		size_t n = 0;

		assert_int_equal(ar_store_identity_bind(st, "ID-1b", &b, NULL, &err), 1);
		assert_int_equal(ar_store_identity_devices(st, b.jkt, &devs, &n, &err), 0);
		assert_int_equal(n, 2);
		assert_string_equal(devs[0].id, "ID-1");
		assert_string_equal(devs[1].id, "ID-1b");
		free(devs);
		assert_int_equal(ar_store_identity_devices(st, a.jkt, &devs, &n, &err), 0);
		assert_int_equal(n, 0);
		assert_int_equal(ar_store_identity_del(st, "ID-1b", &err), 1);
		assert_int_equal(ar_store_identity_devices(st, b.jkt, &devs, &n, &err), 0);
		assert_int_equal(n, 1);
		free(devs);
	}
	assert_int_equal(ar_store_identity_del(st, "ID-1", &err), 1);
	assert_int_equal(ar_store_identity_del(st, "ID-1", &err), 0);
	assert_int_equal(ar_store_identity_rekey(st, "ID-1", b.jkt, &a, &err), 0);
	/* a thumbprint that is not one is refused before Redis is asked */
	a.jkt[3] = '\0';
	assert_int_equal(ar_store_identity_bind(st, "ID-1", &a, NULL, &err), -1);
	assert_int_equal(err.code, AR_ERR_MALFORMED);
}

static void test_store_verdict_roundtrip_and_clear(void **state)
{
	ar_store_verdict_t v, got;
	ar_err_t err = { 0 };

	(void)state;
	memset(&v, 0, sizeof(v));
	v.status = AR_STATUS_CONTRAINDICATED;
	snprintf(v.reason, sizeof(v.reason), "EDR alert 4711");
	snprintf(v.source, sizeof(v.source), "soc-api");
	assert_int_equal(ar_store_verdict_get(st, "ID-2", &got, &err), 0);
	assert_int_equal(ar_store_verdict_put(st, "ID-2", &v, &err), 0);
	assert_int_equal(ar_store_verdict_get(st, "ID-2", &got, &err), 1);
	assert_int_equal(got.status, AR_STATUS_CONTRAINDICATED);
	assert_string_equal(got.reason, "EDR alert 4711");
	assert_string_equal(got.source, "soc-api");
	assert_true(got.set_at > 0);
	/* a verdict is warning or contraindicated, nothing else */
	v.status = AR_STATUS_AFFIRMING;
	assert_int_equal(ar_store_verdict_put(st, "ID-2", &v, &err), -1);
	assert_int_equal(err.code, AR_ERR_MALFORMED);
	assert_int_equal(ar_store_verdict_clear(st, "ID-2", &err), 1);
	assert_int_equal(ar_store_verdict_clear(st, "ID-2", &err), 0);
	assert_int_equal(ar_store_verdict_get(st, "ID-2", &got, &err), 0);
}

static void put_verdict(const char *device, ar_status_t status, const char *reason)
{
	ar_store_verdict_t v;
	ar_err_t err = { 0 };

	memset(&v, 0, sizeof(v));
	v.status = status;
	snprintf(v.reason, sizeof(v.reason), "%s", reason);
	if (ar_store_verdict_put(st, device, &v, &err) < 0)
		fail_msg("verdict_put: %s", err.msg);
}

/* Issuance under a verdict writes nothing and says why. */
static void test_store_guarded_batch_refused_under_verdict(void **state)
{
	ar_store_batch_t *b;
	ar_err_t err = { 0 };
	char *val = NULL;

	(void)state;
	put_verdict("ID-3", AR_STATUS_WARNING, "suspicious login");
	b = ar_store_batch_new(st);
	assert_int_equal(ar_store_batch_guard_verdict(b, "ID-3"), 0);
	ar_store_batch_set(b, "guarded:ID-3", "issued", 6, 0);
	assert_int_equal(ar_store_batch_exec(b, &err), -1);
	assert_int_equal(err.code, AR_ERR_UNAUTHORIZED);
	assert_non_null(strstr(err.msg, "warning"));
	assert_non_null(strstr(err.msg, "suspicious login"));
	assert_int_equal(ar_store_get(st, "guarded:ID-3", &val, NULL, &err), 0);
	/* the connection is not left WATCHing: after a change of the verdict
	 * key an ordinary batch on it still commits */
	put_verdict("ID-3", AR_STATUS_WARNING, "still suspicious");
	b = ar_store_batch_new(st);
	ar_store_batch_set(b, "plain:ID-3", "x", 1, 0);
	assert_int_equal(ar_store_batch_exec(b, &err), 0);
	/* cleared, the same guarded batch goes through */
	assert_int_equal(ar_store_verdict_clear(st, "ID-3", &err), 1);
	b = ar_store_batch_new(st);
	assert_int_equal(ar_store_batch_guard_verdict(b, "ID-3"), 0);
	ar_store_batch_set(b, "guarded:ID-3", "issued", 6, 0);
	assert_int_equal(ar_store_batch_exec(b, &err), 0);
	assert_int_equal(ar_store_get(st, "guarded:ID-3", &val, NULL, &err), 1);
	assert_string_equal(val, "issued");
	free(val);
}

/*
 * A claim is won by one batch only, keeps the key's expiry, and is given
 * back when the verdict forbids the batch; guarded writes happen only
 * while every guard holds its value.
 */
static void test_store_claim_and_guarded_writes_are_compare_and_set(void **state)
{
	const char *guards[2] = { "rec:a", "rec:b" }, *expect[2] = { "A1", "B1" };
	const char *keys[2] = { "rec:a", "rec:b" }, *vals[2] = { "A2", "B2" };
	const size_t lens[2] = { 2, 2 };
	const int64_t ttls[2] = { 0, 60000 };
	ar_store_batch_t *b;
	ar_err_t err = { 0 };
	size_t changed = 9;
	char *val = NULL;

	(void)state;
	assert_int_equal(ar_store_set(st, "order:x", "ready", 5, 60000, &err), 0);
	b = ar_store_batch_new(st);
	assert_int_equal(ar_store_batch_claim(b, "order:x", "ready", "processing", 10), 0);
	assert_int_equal(ar_store_batch_begin(b, &err), 0);
	/* a second claim of the same transition loses */
	{
		ar_store_batch_t *b2 = ar_store_batch_new(st);

		assert_int_equal(ar_store_batch_claim(b2, "order:x", "ready", "processing", 10), 0);
		assert_int_equal(ar_store_batch_begin(b2, &err), -1);
		assert_int_equal(err.code, AR_ERR_CONFLICT);
		ar_store_batch_free(b2);
	}
	ar_store_batch_set(b, "order:x", "valid", 5, 60000);
	assert_int_equal(ar_store_batch_exec(b, &err), 0);
	assert_int_equal(ar_store_get(st, "order:x", &val, NULL, &err), 1);
	assert_string_equal(val, "valid");
	free(val);

	/* under a verdict that forbids the batch, the claim is given back */
	put_verdict("ID-9", AR_STATUS_CONTRAINDICATED, "ransomware");
	assert_int_equal(ar_store_set(st, "order:y", "ready", 5, 60000, &err), 0);
	b = ar_store_batch_new(st);
	assert_int_equal(ar_store_batch_guard_verdict(b, "ID-9"), 0);
	assert_int_equal(ar_store_batch_claim(b, "order:y", "ready", "processing", 10), 0);
	memset(&err, 0, sizeof(err));
	assert_int_equal(ar_store_batch_begin(b, &err), -1);
	assert_int_equal(err.code, AR_ERR_UNAUTHORIZED);
	ar_store_batch_free(b);
	assert_int_equal(ar_store_get(st, "order:y", &val, NULL, &err), 1);
	assert_string_equal(val, "ready");
	free(val);

	/* guarded writes */
	assert_int_equal(ar_store_set(st, "rec:a", "A1", 2, 0, &err), 0);
	assert_int_equal(ar_store_set(st, "rec:b", "Bx", 2, 0, &err), 0);
	assert_int_equal(ar_store_set_many_if(st, guards, expect, 2, keys, vals, lens, ttls, 2,
					      &changed, &err), 0);
	assert_int_equal(changed, 1);
	assert_int_equal(ar_store_get(st, "rec:a", &val, NULL, &err), 1);
	assert_string_equal(val, "A1");
	free(val);
	assert_int_equal(ar_store_set(st, "rec:b", "B1", 2, 0, &err), 0);
	assert_int_equal(ar_store_set_many_if(st, guards, expect, 2, keys, vals, lens, ttls, 2,
					      &changed, &err), 1);
	assert_int_equal(ar_store_get(st, "rec:b", &val, NULL, &err), 1);
	assert_string_equal(val, "B2");
	free(val);
}

static void raw_set(const char *key, const char *val)
{
	raw_expect_str(RAW("SET", key, val), "OK");
}

/* The generic value @key, read on a direct connection; "" when absent. */
static void stored_is(const char *key, const char *want)
{
	redisReply *r = RAW("GET", key);

	if (!*want) {
		assert_int_equal(r->type, REDIS_REPLY_NIL);
		freeReplyObject(r);
		return;
	}
	raw_expect_str(r, want);
}

/*
 * An issuance decided on records as read (an order's authorizations) must
 * not commit after one of them changed - before its begin (the read back
 * finds it), between begin and exec (the WATCH aborts it) - nor after the
 * key it claimed was changed by someone else; each refusal names what
 * changed and writes nothing, and the claim of a refused begin is given back.
 */
static void test_store_batch_refused_once_a_guarded_value_or_its_claim_changed(void **state)
{
	ar_store_batch_t *b;
	ar_err_t err = { 0 };

	(void)state;
	assert_int_equal(ar_store_set(st, "authz:g1", "valid-1", 7, 0, &err), 0);
	assert_int_equal(ar_store_set(st, "authz:g2", "valid-2", 7, 0, &err), 0);
	assert_int_equal(ar_store_set(st, "order:g", "ready", 5, 60000, &err), 0);

	/* changed before begin: begin refuses, names it, gives the claim back */
	raw_set("acmerats:authz:g2", "deactivated-2");
	b = ar_store_batch_new(st);
	assert_int_equal(ar_store_batch_guard_value(b, "authz:g1", "valid-1"), 0);
	assert_int_equal(ar_store_batch_guard_value(b, "authz:g2", "valid-2"), 0);
	assert_int_equal(ar_store_batch_claim(b, "order:g", "ready", "processing", 10), 0);
	assert_int_equal(ar_store_batch_begin(b, &err), -1);
	assert_int_equal(err.code, AR_ERR_CONFLICT);
	assert_string_equal(ar_store_batch_changed(b), "authz:g2");
	ar_store_batch_free(b);
	stored_is("acmerats:order:g", "ready");

	/* changed between begin and exec: the WATCH aborts the transaction */
	raw_set("acmerats:authz:g2", "valid-2");
	b = ar_store_batch_new(st);
	ar_store_batch_guard_value(b, "authz:g1", "valid-1");
	ar_store_batch_guard_value(b, "authz:g2", "valid-2");
	ar_store_batch_claim(b, "order:g", "ready", "processing", 10);
	memset(&err, 0, sizeof(err));
	assert_int_equal(ar_store_batch_begin(b, &err), 0);
	assert_null(ar_store_batch_changed(b));
	raw_set("acmerats:authz:g1", "deactivated-1");
	ar_store_batch_set(b, "order:g", "valid", 5, 60000);
	ar_store_batch_set(b, "cert:g", "issued", 6, 0);
	assert_int_equal(ar_store_batch_exec(b, &err), -1);
	assert_int_equal(err.code, AR_ERR_CONFLICT);
	stored_is("acmerats:cert:g", "");
	stored_is("acmerats:order:g", "processing");

	/* the claimed key changed by someone else after begin: aborted too */
	raw_set("acmerats:authz:g1", "valid-1");
	raw_set("acmerats:order:g", "ready");
	b = ar_store_batch_new(st);
	ar_store_batch_guard_value(b, "authz:g1", "valid-1");
	ar_store_batch_claim(b, "order:g", "ready", "processing", 10);
	memset(&err, 0, sizeof(err));
	assert_int_equal(ar_store_batch_begin(b, &err), 0);
	raw_set("acmerats:order:g", "invalid");
	ar_store_batch_set(b, "cert:g", "issued", 6, 0);
	assert_int_equal(ar_store_batch_exec(b, &err), -1);
	assert_int_equal(err.code, AR_ERR_CONFLICT);
	stored_is("acmerats:cert:g", "");
	stored_is("acmerats:order:g", "invalid");

	/* nothing changed: it commits, and a claim re-won by its holder holds */
	raw_set("acmerats:order:g", "ready");
	b = ar_store_batch_new(st);
	ar_store_batch_guard_value(b, "authz:g1", "valid-1");
	ar_store_batch_guard_value(b, "authz:g2", "valid-2");
	ar_store_batch_claim(b, "order:g", "ready", "processing", 10);
	memset(&err, 0, sizeof(err));
	assert_int_equal(ar_store_batch_begin(b, &err), 0);
	ar_store_batch_free(b);
	b = ar_store_batch_new(st);
	ar_store_batch_guard_value(b, "authz:g2", "valid-2");
	ar_store_batch_claim(b, "order:g", "processing", "processing", 10);
	assert_int_equal(ar_store_batch_begin(b, &err), 0);
	ar_store_batch_set(b, "order:g", "valid", 5, 60000);
	ar_store_batch_set(b, "cert:g", "issued", 6, 0);
	assert_int_equal(ar_store_batch_exec(b, &err), 0);
	stored_is("acmerats:cert:g", "issued");
	stored_is("acmerats:order:g", "valid");
	/* the connection is not left WATCHing */
	raw_set("acmerats:authz:g2", "deactivated-2");
	b = ar_store_batch_new(st);
	ar_store_batch_set(b, "plain:g", "x", 1, 0);
	assert_int_equal(ar_store_batch_exec(b, &err), 0);
}

/* A child that sets and clears a verdict as fast as it can, until killed. */
static pid_t flapping_verdict(const char *key)
{
	struct timeval tv = { 2, 0 };
	redisContext *c;
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	c = redisConnectWithTimeout("127.0.0.1", redis.port, tv);
	if (!c || c->err)
		_exit(1);
	for (;;) {
		redisReply *r = redisCommand(c, "HSET %s status warning set_at 1 reason flap", key);

		if (!r)
			_exit(1);
		freeReplyObject(r);
		r = redisCommand(c, "DEL %s", key);
		if (!r)
			_exit(1);
		freeReplyObject(r);
	}
}

/*
 * The SOC flags and clears the device while issuances run: every guarded
 * batch either commits with no verdict in between, or is refused
 * (verdict read) or aborted by Redis (verdict changed after the read) and
 * wrote nothing. The race is forced, not hoped for: the verdict changes
 * thousands of times a second, so aborted transactions must be seen.
 */
static void test_store_guarded_batch_aborts_when_verdict_changes(void **state)
{
	int committed = 0, refused = 0, conflicts = 0, i, status;
	ar_err_t err = { 0 };
	char key[64], val_key[64];
	pid_t pid;

	(void)state;
	pid = flapping_verdict("acmerats:{dev:ID-4}:verdict");
	assert_true(pid > 0);
	usleep(20000);
	for (i = 0; i < 2000 && (conflicts < 3 || committed < 3); i++) {
		ar_store_batch_t *b = ar_store_batch_new(st);
		char *val = NULL;
		int rc;

		snprintf(key, sizeof(key), "race:%d", i);
		assert_int_equal(ar_store_batch_guard_verdict(b, "ID-4"), 0);
		ar_store_batch_set(b, key, "issued", 6, 0);
		rc = ar_store_batch_exec(b, &err);
		snprintf(val_key, sizeof(val_key), "%s", key);
		if (rc == 0) {
			committed++;
			continue;
		}
		if (err.code == AR_ERR_CONFLICT)
			conflicts++;
		else if (err.code == AR_ERR_UNAUTHORIZED)
			refused++;
		else
			fail_msg("unexpected failure: %s", err.msg);
		assert_int_equal(ar_store_get(st, val_key, &val, NULL, &err), 0);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	print_message("committed %d, refused %d, aborted %d\n", committed, refused, conflicts);
	assert_true(conflicts >= 1);
	assert_true(refused >= 1);
}

static void test_store_auth_lookup_folds_the_verdict(void **state)
{
	ar_store_posture_t p;
	ar_store_cert_t c;
	ar_err_t err = { 0 };
	int rc;

	(void)state;
	memset(&p, 0, sizeof(p));
	p.status = AR_STATUS_AFFIRMING;
	snprintf(p.reason, sizeof(p.reason), "certificate issued");
	assert_int_equal(ar_store_posture_put(st, "ID-5", &p, &err), 0);
	rc = ar_store_auth_lookup(st, "ID-5", NULL, NULL, &p, &c, &err);
	assert_int_equal(rc, AR_STORE_FOUND_POSTURE);
	assert_int_equal(p.status, AR_STATUS_AFFIRMING);

	put_verdict("ID-5", AR_STATUS_CONTRAINDICATED, "EDR alert");
	rc = ar_store_auth_lookup(st, "ID-5", NULL, NULL, &p, &c, &err);
	assert_int_equal(rc, AR_STORE_FOUND_POSTURE | AR_STORE_FOUND_VERDICT);
	assert_int_equal(p.status, AR_STATUS_CONTRAINDICATED);
	assert_string_equal(p.reason, "SOC: EDR alert");

	/* the posture record gone, the verdict still decides */
	freeReplyObject(raw("DEL", "acmerats:{dev:ID-5}:posture", NULL));
	rc = ar_store_auth_lookup(st, "ID-5", NULL, NULL, &p, &c, &err);
	assert_int_equal(rc, AR_STORE_FOUND_POSTURE | AR_STORE_FOUND_VERDICT);
	assert_int_equal(p.status, AR_STATUS_CONTRAINDICATED);
	assert_true(p.updated_at > 0);

	/* a warning verdict does not improve a contraindicated appraisal */
	p.status = AR_STATUS_CONTRAINDICATED;
	snprintf(p.reason, sizeof(p.reason), "disk not encrypted");
	assert_int_equal(ar_store_posture_put(st, "ID-5", &p, &err), 0);
	put_verdict("ID-5", AR_STATUS_WARNING, "watch it");
	rc = ar_store_auth_lookup(st, "ID-5", NULL, NULL, &p, &c, &err);
	assert_int_equal(p.status, AR_STATUS_CONTRAINDICATED);
	assert_string_equal(p.reason, "disk not encrypted");
}

static void test_store_auth_lookup_reads_posture_and_cert(void **state)
{
	ar_store_posture_t p, got_p;
	ar_store_cert_t c, got_c;
	ar_err_t err = { 0 };

	(void)state;
	posture_sample(&p, AR_STATUS_AFFIRMING);
	assert_int_equal(ar_store_posture_put(st, "SUB-0042", &p, &err), 0);
	cert_sample(&c, "SUB-0042", "c0ffee", "1234", (int64_t)time(NULL) + 3600);
	assert_int_equal(ar_store_cert_put(st, &c, &err), 0);

	assert_int_equal(ar_store_auth_lookup(st, "SUB-0042", "C0FFEE", "1234", &got_p, &got_c,
					      &err), AR_STORE_FOUND_POSTURE | AR_STORE_FOUND_CERT);
	assert_int_equal(got_p.status, AR_STATUS_AFFIRMING);
	assert_string_equal(got_p.profile, "substation-laptop");
	assert_string_equal(got_c.serial, "1234");
	assert_int_equal(got_c.status, AR_CERT_VALID);

	assert_int_equal(ar_store_auth_lookup(st, "SUB-0042", "c0ffee", "9999", &got_p, &got_c,
					      &err), AR_STORE_FOUND_POSTURE);
	assert_int_equal(ar_store_auth_lookup(st, "SUB-0042", NULL, NULL, &got_p, &got_c, &err),
			 AR_STORE_FOUND_POSTURE);
	assert_int_equal(ar_store_auth_lookup(st, "SUB-other", "c0ffee", "1234", &got_p, &got_c,
					      &err), 0);
	assert_int_equal(got_p.status, AR_STATUS_NONE);
	assert_int_equal(ar_store_auth_lookup(st, "SUB-0042", "c0ffee", NULL, &got_p, &got_c,
					      &err), -1);
	assert_errc(&err, AR_ERR_MALFORMED);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* The module's budget is 20 ms per authentication; one round trip is far below. */
static void test_store_auth_lookup_fits_the_radius_budget(void **state)
{
	ar_store_posture_t p, got_p;
	ar_store_cert_t c, got_c;
	ar_err_t err = { 0 };
	int64_t t0, dt[500];
	long long calls;
	int i;

	(void)state;
	posture_sample(&p, AR_STATUS_AFFIRMING);
	assert_int_equal(ar_store_posture_put(st, "SUB-0042", &p, &err), 0);
	cert_sample(&c, "SUB-0042", "c0ffee", "1234", (int64_t)time(NULL) + 3600);
	assert_int_equal(ar_store_cert_put(st, &c, &err), 0);

	freeReplyObject(RAW("CONFIG", "RESETSTAT"));
	for (i = 0; i < 500; i++) {
		t0 = lab_now_ms();
		assert_int_equal(ar_store_auth_lookup(st, "SUB-0042", "c0ffee", "1234", &got_p,
						      &got_c, &err), 3);
		dt[i] = lab_now_ms() - t0;
	}
	/* The 99th percentile, so a scheduling hiccup on a busy machine does not count. */
	qsort(dt, 500, sizeof(dt[0]), cmp_i64);
	if (dt[494] >= 20)
		fail_msg("99th percentile lookup took %lld ms", (long long)dt[494]);

	/* Exactly three commands per lookup (posture, verdict, certificate) reached
	 * the server, in one round trip, and nothing else. */
	{
		redisReply *r = RAW("INFO", "commandstats");
		const char *line;

		assert_int_equal(r->type, REDIS_REPLY_STRING);
		line = strstr(r->str, "cmdstat_hgetall:calls=");
		assert_non_null(line);
		calls = strtoll(line + strlen("cmdstat_hgetall:calls="), NULL, 10);
		freeReplyObject(r);
	}
	assert_int_equal(calls, 1500);
}

/*
 *	Sessions.
 */
static void test_store_session_put_list_del(void **state)
{
	ar_store_session_t a, b, *list = NULL;
	ar_err_t err = { 0 };
	size_t n = 0, i;
	long long pttl;

	(void)state;
	session_sample(&a, "ap-1", "5F3A0001");
	session_sample(&b, "ap-2", "77");
	assert_int_equal(ar_store_session_put(st, "SUB-0042", &a, 60, &err), 0);
	assert_int_equal(ar_store_session_put(st, "SUB-0042", &b, 60, &err), 0);
	pttl = RAW_INT("PTTL", "acmerats:{dev:SUB-0042}:sessions");
	assert_in_range(pttl, 1, 60000);
	assert_int_equal(RAW_INT("HEXISTS", "acmerats:{dev:SUB-0042}:sessions", "ap-1|5F3A0001"), 1);

	/* An interim update refreshes the record and the key's lifetime. */
	a.updated += 300;
	assert_int_equal(ar_store_session_put(st, "SUB-0042", &a, 120, &err), 0);
	pttl = RAW_INT("PTTL", "acmerats:{dev:SUB-0042}:sessions");
	assert_in_range(pttl, 60001, 120000);

	assert_int_equal(ar_store_session_list(st, "SUB-0042", &list, &n, &err), 0);
	assert_int_equal(n, 2);
	for (i = 0; i < n; i++) {
		const ar_store_session_t *want = !strcmp(list[i].nas_id, "ap-1") ? &a : &b;

		assert_string_equal(list[i].acct_session_id, want->acct_session_id);
		assert_string_equal(list[i].nas_ip, want->nas_ip);
		assert_string_equal(list[i].calling_station_id, want->calling_station_id);
		assert_string_equal(list[i].user_name, want->user_name);
		assert_string_equal(list[i].serial, want->serial);
		assert_int_equal(list[i].started, want->started);
		assert_int_equal(list[i].updated, want->updated);
	}
	free(list);

	assert_int_equal(ar_store_session_del(st, "SUB-0042", "ap-1", "5F3A0001", &err), 1);
	assert_int_equal(ar_store_session_del(st, "SUB-0042", "ap-1", "5F3A0001", &err), 0);
	assert_int_equal(ar_store_session_list(st, "SUB-0042", &list, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].nas_id, "ap-2");
	free(list);
}

static void test_store_session_keeps_any_bytes_in_values(void **state)
{
	ar_store_session_t in, *list = NULL;
	ar_err_t err = { 0 };
	size_t n = 0;
	redisReply *r;

	(void)state;
	session_sample(&in, "ap 7=north%", "id with spaces");
	snprintf(in.user_name, sizeof(in.user_name), "Jos\xc3\xa9 = 100%% \"admin\"\t|x");
	assert_int_equal(ar_store_session_put(st, "SUB-0042", &in, 60, &err), 0);
	assert_int_equal(ar_store_session_list(st, "SUB-0042", &list, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].nas_id, in.nas_id);
	assert_string_equal(list[0].acct_session_id, in.acct_session_id);
	assert_string_equal(list[0].user_name, in.user_name);
	free(list);

	/* Two compact values: 4 and 2 space-separated words, no raw '='. */
	r = RAW("HGET", "acmerats:{dev:SUB-0042}:sessions", "ap 7=north%|id with spaces");
	assert_int_equal(r->type, REDIS_REPLY_STRING);
	assert_string_equal(r->str, "1800000160 60 192.0.2.7 0a1b2c");
	freeReplyObject(r);
	r = RAW("HGET", "acmerats:{dev:SUB-0042}:sessions", "|ap 7=north%|id with spaces");
	assert_int_equal(r->type, REDIS_REPLY_STRING);
	assert_string_equal(r->str, "02-00-00-00-00-01 Jos%C3%A9%20%3D%20100%25%20\"admin\"%09|x");
	freeReplyObject(r);
}

/*
 * A session as RADIUS accounting records it stays within Debian's
 * hash-max-listpack-value (64): the device's sessions hash is a listpack.
 */
static void test_store_session_compact_values_keep_the_hash_a_listpack(void **state)
{
	ar_store_session_t ss;
	ar_err_t err = { 0 };

	(void)state;
	session_sample(&ss, "ap-substation-07", "00000000000F4241");
	snprintf(ss.nas_ip, sizeof(ss.nas_ip), "198.51.100.254");
	snprintf(ss.user_name, sizeof(ss.user_name), "host/PRELOAD-00999999");
	snprintf(ss.serial, sizeof(ss.serial), "%032x", 0xf4241);
	assert_int_equal(ar_store_session_put(st, "PRELOAD-00999999", &ss, 60, &err), 0);
	snprintf(ss.acct_session_id, sizeof(ss.acct_session_id), "00000000000F4242");
	assert_int_equal(ar_store_session_put(st, "PRELOAD-00999999", &ss, 60, &err), 0);
	RAW_STR("listpack", "OBJECT", "ENCODING", "acmerats:{dev:PRELOAD-00999999}:sessions");
	assert_int_equal(RAW_INT("HLEN", "acmerats:{dev:PRELOAD-00999999}:sessions"), 4);
}

/*
 * An upgrade: sessions recorded as one key=value line by the previous
 * version are still listed (a Disconnect must still find them), and the
 * next Interim-Update rewrites them in the compact form.
 */
static void test_store_session_written_by_the_previous_version_still_listed(void **state)
{
	ar_store_session_t ss, *list = NULL;
	ar_err_t err = { 0 };
	size_t n = 0;

	(void)state;
	freeReplyObject(RAW("HSET", "acmerats:{dev:SUB-OLD}:sessions", "ap-1|77",
			    "nas_ip=192.0.2.9 nas_id=ap-1 acct_session_id=77 "
			    "calling_station_id=02-00-00-00-00-09 user_name=host%2Fold serial=0f "
			    "started=1800000000 updated=1800000060"));
	assert_int_equal(ar_store_session_list(st, "SUB-OLD", &list, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].nas_id, "ap-1");
	assert_string_equal(list[0].acct_session_id, "77");
	assert_string_equal(list[0].user_name, "host/old");
	assert_string_equal(list[0].calling_station_id, "02-00-00-00-00-09");
	assert_int_equal(list[0].started, 1800000000);
	assert_int_equal(list[0].updated, 1800000060);
	ss = list[0];
	free(list);

	ss.updated += 60;
	assert_int_equal(ar_store_session_put(st, "SUB-OLD", &ss, 60, &err), 0);
	RAW_STR("1800000120 120 192.0.2.9 0f", "HGET", "acmerats:{dev:SUB-OLD}:sessions", "ap-1|77");
	assert_int_equal(ar_store_session_list(st, "SUB-OLD", &list, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].user_name, "host/old");
	free(list);
	assert_int_equal(ar_store_session_del(st, "SUB-OLD", "ap-1", "77", &err), 1);
	assert_int_equal(RAW_INT("EXISTS", "acmerats:{dev:SUB-OLD}:sessions"), 0);
}

/*
 * A session recorded for device B never lands in device A's record, even
 * with the same NAS and Acct-Session-Id; and no NAS id / Acct-Session-Id
 * pair can name the second half of another session (NAS ids have no '|').
 */
static void test_store_session_of_device_b_never_written_into_device_a(void **state)
{
	ar_store_session_t a, b, *list = NULL;
	ar_err_t err = { 0 };
	size_t n = 0;

	(void)state;
	session_sample(&a, "ap-1", "S1");
	session_sample(&b, "ap-1", "S1");
	snprintf(b.user_name, sizeof(b.user_name), "host/intruder");
	assert_int_equal(ar_store_session_put(st, "SUB-A", &a, 60, &err), 0);
	assert_int_equal(ar_store_session_put(st, "SUB-B", &b, 60, &err), 0);
	assert_int_equal(ar_store_session_list(st, "SUB-A", &list, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].user_name, "host/pc7.example");
	free(list);

	/* "|ap-1" is no NAS id: it would address A's second half. */
	session_sample(&b, "|ap-1", "S1");
	assert_int_equal(ar_store_session_put(st, "SUB-A", &b, 60, &err), -1);
	assert_int_equal(err.code, AR_ERR_MALFORMED);
	session_sample(&b, "", "ap-1|S1");
	assert_int_equal(ar_store_session_put(st, "SUB-A", &b, 60, &err), -1);
	assert_int_equal(ar_store_session_list(st, "SUB-A", &list, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].user_name, "host/pc7.example");
	free(list);
}

static void test_store_session_rejects_bad_identifiers(void **state)
{
	ar_store_session_t ss;
	ar_err_t err = { 0 };

	(void)state;
	session_sample(&ss, "ap|1", "S1");
	assert_int_equal(ar_store_session_put(st, "SUB-0042", &ss, 60, &err), -1);
	assert_errc(&err, AR_ERR_MALFORMED);
	session_sample(&ss, "ap-1", "");
	assert_int_equal(ar_store_session_put(st, "SUB-0042", &ss, 60, &err), -1);
	assert_errc(&err, AR_ERR_MALFORMED);
	session_sample(&ss, "ap-1", "S1");
	assert_int_equal(ar_store_session_put(st, "SUB-0042", &ss, 0, &err), -1);
	assert_errc(&err, AR_ERR_MALFORMED);
	assert_int_equal(RAW_INT("DBSIZE"), 0);
}

static void test_store_session_key_expires_without_refresh(void **state)
{
	ar_store_session_t ss, *list = NULL;
	ar_err_t err = { 0 };
	size_t n = 0;

	(void)state;
	session_sample(&ss, "ap-1", "S1");
	assert_int_equal(ar_store_session_put(st, "SUB-0042", &ss, 1, &err), 0);
	lab_sleep_ms(1300);
	assert_int_equal(ar_store_session_list(st, "SUB-0042", &list, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_null(list);
}

static void test_store_devices_lists_every_written_device(void **state)
{
	ar_store_posture_t p;
	ar_store_cert_t c;
	ar_store_session_t ss;
	ar_store_devid_t *ids = NULL;
	ar_err_t err = { 0 };
	size_t n = 0;

	(void)state;
	assert_int_equal(ar_store_devices(st, &ids, &n, &err), 0);
	assert_int_equal(n, 0);
	posture_sample(&p, AR_STATUS_AFFIRMING);
	assert_int_equal(ar_store_posture_put(st, "dev-b", &p, &err), 0);
	cert_sample(&c, "dev-a", "aa", "01", (int64_t)time(NULL) + 60);
	assert_int_equal(ar_store_cert_put(st, &c, &err), 0);
	session_sample(&ss, "ap-1", "S1");
	assert_int_equal(ar_store_session_put(st, "dev-c", &ss, 60, &err), 0);
	assert_int_equal(ar_store_posture_put(st, "dev-b", &p, &err), 0);

	assert_int_equal(ar_store_devices(st, &ids, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_string_equal(ids[0].id, "dev-a");
	assert_string_equal(ids[1].id, "dev-b");
	assert_string_equal(ids[2].id, "dev-c");
	free(ids);
}

/*
 *	Events.
 */
static void test_store_event_group_read_ack(void **state)
{
	ar_store_event_t ev, got[8];
	ar_err_t err = { 0 };
	char ids[3][AR_STORE_EVENT_ID_MAX + 1];
	const char *ack[3] = { ids[0], ids[1], ids[2] };
	int i, n;

	(void)state;
	assert_int_equal(ar_store_event_group_create(st, "noc", NULL, &err), 1);
	assert_int_equal(ar_store_event_group_create(st, "noc", NULL, &err), 0);
	for (i = 0; i < 3; i++) {
		event_sample(&ev, "SUB-0042", i == 2 ? "contraindicated" : "warning");
		ev.ts = 1800000000 + i;
		assert_int_equal(ar_store_event_add(st, &ev, ids[i], &err), 0);
	}
	RAW_STR("stream", "TYPE", "acmerats:events");

	n = ar_store_event_read(st, "noc", "worker-1", 0, 0, got, 8, &err);
	assert_int_equal(n, 3);
	for (i = 0; i < 3; i++) {
		assert_string_equal(got[i].id, ids[i]);
		assert_string_equal(got[i].type, "posture");
		assert_string_equal(got[i].device, "SUB-0042");
		assert_string_equal(got[i].serial, "0a1b2c");
		assert_string_equal(got[i].source, "verifier");
		assert_int_equal(got[i].ts, 1800000000 + i);
	}
	assert_string_equal(got[2].status, "contraindicated");
	assert_string_equal(got[2].reason, "SOC marked contraindicated");

	/* Delivered once per group. */
	assert_int_equal(ar_store_event_read(st, "noc", "worker-2", 0, 0, got, 8, &err), 0);
	assert_int_equal(ar_store_event_ack(st, "noc", ack, 3, &err), 3);
	assert_int_equal(ar_store_event_ack(st, "noc", ack, 3, &err), 0);
	{
		redisReply *r = RAW("XPENDING", "acmerats:events", "noc");

		assert_int_equal(r->type, REDIS_REPLY_ARRAY);
		assert_int_equal(r->element[0]->integer, 0);
		freeReplyObject(r);
	}
	/* A second group sees everything from its start. */
	assert_int_equal(ar_store_event_group_create(st, "audit", "0", &err), 1);
	assert_int_equal(ar_store_event_read(st, "audit", "a1", 0, 0, got, 2, &err), 2);
}

static void test_store_event_claim_after_consumer_crash(void **state)
{
	ar_store_event_t ev, got[4], claimed[4];
	ar_err_t err = { 0 };
	char cursor[AR_STORE_EVENT_ID_MAX + 1] = "0-0";
	const char *ack[2];

	(void)state;
	assert_int_equal(ar_store_event_group_create(st, "noc", "$", &err), 1);
	event_sample(&ev, "SUB-1", "contraindicated");
	assert_int_equal(ar_store_event_add(st, &ev, NULL, &err), 0);
	event_sample(&ev, "SUB-2", "warning");
	assert_int_equal(ar_store_event_add(st, &ev, NULL, &err), 0);

	/* worker-1 reads and dies before acknowledging. */
	assert_int_equal(ar_store_event_read(st, "noc", "worker-1", 0, 0, got, 4, &err), 2);
	assert_int_equal(ar_store_event_read(st, "noc", "worker-2", 0, 0, got + 2, 2, &err), 0);

	/* Not idle long enough yet: nothing to take over. */
	assert_int_equal(ar_store_event_claim(st, "noc", "worker-2", 5000, cursor, claimed, 4,
					      &err), 0);
	lab_sleep_ms(150);
	snprintf(cursor, sizeof(cursor), "0-0");
	assert_int_equal(ar_store_event_claim(st, "noc", "worker-2", 100, cursor, claimed, 4,
					      &err), 2);
	assert_string_equal(cursor, "0-0");
	assert_string_equal(claimed[0].id, got[0].id);
	assert_string_equal(claimed[1].id, got[1].id);
	assert_string_equal(claimed[0].device, "SUB-1");
	assert_string_equal(claimed[0].status, "contraindicated");

	/* They now belong to worker-2: worker-1's pending list is empty. */
	assert_int_equal(ar_store_event_read(st, "noc", "worker-1", 1, 0, got, 4, &err), 0);
	ack[0] = claimed[0].id;
	ack[1] = claimed[1].id;
	assert_int_equal(ar_store_event_ack(st, "noc", ack, 2, &err), 2);
	assert_int_equal(ar_store_event_claim(st, "noc", "worker-3", 0, NULL, claimed, 4, &err), 0);
}

static void test_store_event_pending_survive_consumer_restart(void **state)
{
	ar_store_event_t ev, got[4];
	ar_err_t err = { 0 };
	char id[AR_STORE_EVENT_ID_MAX + 1];

	(void)state;
	assert_int_equal(ar_store_event_group_create(st, "noc", NULL, &err), 1);
	event_sample(&ev, "SUB-1", "warning");
	assert_int_equal(ar_store_event_add(st, &ev, id, &err), 0);
	assert_int_equal(ar_store_event_read(st, "noc", "worker-1", 0, 0, got, 4, &err), 1);

	/* The same consumer, restarted, gets its unacknowledged entry again. */
	assert_int_equal(ar_store_event_read(st, "noc", "worker-1", 1, 0, got, 4, &err), 1);
	assert_string_equal(got[0].id, id);
	assert_string_equal(got[0].device, "SUB-1");
	assert_int_equal(ar_store_event_read(st, "noc", "worker-1", 0, 0, got, 4, &err), 0);
}

static void test_store_event_read_blocks_bounded(void **state)
{
	ar_store_event_t got[2];
	ar_err_t err = { 0 };
	int64_t t0, dt;

	(void)state;
	assert_int_equal(ar_store_event_group_create(st, "noc", NULL, &err), 1);
	/* Longer than the 100 ms command timeout: the socket timeout follows. */
	t0 = lab_now_ms();
	assert_int_equal(ar_store_event_read(st, "noc", "w", 0, 300, got, 2, &err), 0);
	dt = lab_now_ms() - t0;
	assert_in_range(dt, 250, 1000);
	assert_int_equal(ar_store_ping(st, &err), 0);
}

static void test_store_event_recent_newest_first_and_capped(void **state)
{
	ar_store_event_t ev, got[5];
	ar_err_t err = { 0 };
	ar_store_t *s = open_store(0, 10, 0);
	char last[AR_STORE_EVENT_ID_MAX + 1];
	long long len;
	int i;

	(void)state;
	for (i = 0; i < 1000; i++) {
		event_sample(&ev, "SUB-1", "warning");
		ev.ts = i;
		assert_int_equal(ar_store_event_add(s, &ev, last, &err), 0);
	}
	/* MAXLEN ~ trims whole stream nodes: far below what was added. */
	len = RAW_INT("XLEN", "acmerats:events");
	assert_in_range(len, 10, 200);

	assert_int_equal(ar_store_event_recent(s, got, 5, &err), 5);
	assert_string_equal(got[0].id, last);
	for (i = 0; i < 5; i++)
		assert_int_equal(got[i].ts, 999 - i);
	ar_store_close(s);
}

static void test_store_event_rejects_bad_fields(void **state)
{
	ar_store_event_t ev, got[1];
	ar_err_t err = { 0 };

	(void)state;
	event_sample(&ev, "SUB-1", "warning");
	ev.type[0] = '\0';
	assert_int_equal(ar_store_event_add(st, &ev, NULL, &err), -1);
	assert_errc(&err, AR_ERR_MALFORMED);
	event_sample(&ev, "a{b}", "warning");
	assert_int_equal(ar_store_event_add(st, &ev, NULL, &err), -1);
	assert_errc(&err, AR_ERR_MALFORMED);
	assert_int_equal(ar_store_event_read(st, "no group", "w", 0, 0, got, 1, &err), -1);
	assert_errc(&err, AR_ERR_MALFORMED);
	/* A group that does not exist is Redis's error, not a crash. */
	assert_int_equal(ar_store_event_read(st, "nogroup", "w", 0, 0, got, 1, &err), -1);
	assert_errc(&err, AR_ERR_IO);
	assert_int_equal(RAW_INT("DBSIZE"), 0);
}

/*
 *	Failures of the server.
 */
static void test_store_reconnects_after_redis_restart(void **state)
{
	ar_store_posture_t p, got;
	ar_err_t err = { 0 };

	(void)state;
	RAW_STR("OK", "CONFIG", "SET", "appendfsync", "always");
	posture_sample(&p, AR_STATUS_WARNING);
	assert_int_equal(ar_store_posture_put(st, "SUB-0042", &p, &err), 0);

	assert_int_equal(lab_redis_kill(&redis), 0);
	assert_int_equal(lab_redis_restart(&redis), 0);

	/* The same store: the stale connection fails, one reconnect, the AOF kept the data. */
	assert_int_equal(ar_store_posture_get(st, "SUB-0042", &got, &err), 1);
	assert_int_equal(got.status, AR_STATUS_WARNING);
	assert_string_equal(got.reason, p.reason);
	assert_int_equal(ar_store_ping(st, &err), 0);
}

static void test_store_unavailable_fails_fast(void **state)
{
	ar_store_posture_t p;
	ar_store_opts_t o;
	ar_err_t err = { 0 };
	int64_t t0, dt;

	(void)state;
	assert_int_equal(ar_store_ping(st, &err), 0);
	assert_int_equal(lab_redis_kill(&redis), 0);

	t0 = lab_now_ms();
	assert_int_equal(ar_store_posture_get(st, "SUB-0042", &p, &err), -1);
	dt = lab_now_ms() - t0;
	assert_errc(&err, AR_ERR_UNAVAILABLE);
	assert_true(ar_store_err_is_down(&err));
	assert_in_range(dt, 0, 400);

	memset(&o, 0, sizeof(o));
	o.port = redis.port;
	t0 = lab_now_ms();
	assert_null(ar_store_open(&o, &err));
	dt = lab_now_ms() - t0;
	assert_errc(&err, AR_ERR_UNAVAILABLE);
	assert_in_range(dt, 0, 400);

	/* Calls keep failing fast while it is down, and work once it is back. */
	assert_int_equal(ar_store_ping(st, &err), -1);
	assert_errc(&err, AR_ERR_UNAVAILABLE);
	assert_int_equal(lab_redis_restart(&redis), 0);
	assert_int_equal(ar_store_ping(st, &err), 0);
}

static void test_store_command_timeout(void **state)
{
	ar_store_posture_t p;
	ar_err_t err = { 0 };
	int64_t t0, dt;
	long long conns;

	(void)state;
	assert_int_equal(ar_store_ping(st, &err), 0);
	conns = raw_info("stats", "total_connections_received");
	/* A hung server: it accepts bytes but never answers. */
	assert_int_equal(kill(redis.pid, SIGSTOP), 0);
	t0 = lab_now_ms();
	assert_int_equal(ar_store_posture_get(st, "SUB-0042", &p, &err), -1);
	dt = lab_now_ms() - t0;
	kill(redis.pid, SIGCONT);
	assert_errc(&err, AR_ERR_TIMEOUT);
	assert_true(ar_store_err_is_down(&err));
	assert_in_range(dt, 90, 250);

	/* The timed-out connection was dropped; the next call gets a fresh one. */
	assert_int_equal(ar_store_ping(st, &err), 0);
	assert_int_equal(ar_store_posture_get(st, "SUB-0042", &p, &err), 0);

	/* No second try while hung (the command may have run): one new connection, plus ours. */
	assert_int_equal(raw_info("stats", "total_connections_received") - conns, 2);
}

/* The event group's lag: what was delivered and not acknowledged, and since when. */
static void test_store_event_lag_shows_what_the_worker_has_not_acknowledged(void **state)
{
	ar_store_event_lag_t lag;
	ar_store_event_t ev, got[4];
	char ids[2][AR_STORE_EVENT_ID_MAX + 1];
	const char *ack[2] = { ids[0], ids[1] };
	ar_err_t err = { 0 };
	int64_t now = (int64_t)time(NULL) * 1000;
	int i;

	(void)state;
	assert_int_equal(ar_store_event_lag(st, "lagging", &lag, &err), 0);	/* no stream, no group */
	assert_int_equal(lag.length, 0);
	assert_int_equal(lag.pending, 0);
	for (i = 0; i < 2; i++) {
		event_sample(&ev, "SUB-0042", "contraindicated");
		assert_int_equal(ar_store_event_add(st, &ev, ids[i], &err), 0);
	}
	assert_int_equal(ar_store_event_group_create(st, "lagging", "0", &err), 1);
	assert_int_equal(ar_store_event_lag(st, "lagging", &lag, &err), 0);
	assert_int_equal(lag.length, 2);
	assert_int_equal(lag.pending, 0);	/* not delivered yet */
	assert_int_equal(ar_store_event_read(st, "lagging", "w", 0, 0, got, 4, &err), 2);
	assert_int_equal(ar_store_event_lag(st, "lagging", &lag, &err), 0);
	assert_int_equal(lag.pending, 2);
	assert_in_range(lag.oldest_ms, now - 5000, now + 5000);
	assert_int_equal(lag.oldest_ms, strtoll(ids[0], NULL, 10));
	assert_int_equal(ar_store_event_ack(st, "lagging", ack, 2, &err), 2);
	assert_int_equal(ar_store_event_lag(st, "lagging", &lag, &err), 0);
	assert_int_equal(lag.pending, 0);
	assert_int_equal(lag.oldest_ms, 0);
}

/* Flushes add up in the hash; a field this build does not know is skipped when read. */
static void test_store_metric_hash_sums_flushes_and_skips_unknown_fields(void **state)
{
	const char *f[] = { "acme_rats_radius_decisions_total|reject|cert_revoked|",
			    "acme_rats_radius_decisions_total|reject|made_up_reason|" };
	const int64_t d[] = { 2, 5 };
	ar_metrics_t *m = ar_metrics_new(ar_radius_metric_defs, AR_RM_N, NULL);
	ar_buf_t b = AR_BUF_INIT(1 << 20);
	ar_err_t err = { 0 };

	(void)state;
	assert_non_null(m);
	assert_int_equal(ar_store_metrics_add(st, "radius", f, d, 2, &err), 0);
	assert_int_equal(ar_store_metrics_add(st, "radius", f, d, 1, &err), 0);
	assert_int_equal(ar_store_metrics_add(st, "bad name", f, d, 1, &err), -1);
	assert_int_equal(ar_store_metrics_load(st, "radius", m, &err), 0);
	assert_int_equal(ar_metrics_render(m, &b), AR_OK);
	assert_non_null(strstr(b.data, "acme_rats_radius_decisions_total{outcome=\"reject\","
				       "reason=\"cert_revoked\"} 4\n"));
	assert_null(strstr(b.data, "made_up"));
	ar_buf_free(&b);
	ar_metrics_free(m);
}

/* A connection refused is counted, by kind, in the registry the options name. */
static void test_store_redis_errors_counted_by_kind(void **state)
{
	ar_metrics_t *m = ar_metrics_new(ar_store_metric_defs, AR_STORE_M_N, NULL);
	ar_buf_t b = AR_BUF_INIT(1 << 16);
	ar_store_opts_t o;
	ar_err_t err = { 0 };

	(void)state;
	memset(&o, 0, sizeof(o));
	o.port = lab_free_port();	/* nothing listens */
	o.metrics = m;
	assert_null(ar_store_open(&o, &err));
	assert_null(ar_store_open(&o, &err));
	assert_int_equal(ar_metrics_render(m, &b), AR_OK);
	assert_non_null(strstr(b.data, "acme_rats_redis_errors_total{kind=\"connect\"} 2\n"));
	assert_non_null(strstr(b.data, "acme_rats_redis_errors_total{kind=\"timeout\"} 0\n"));
	assert_non_null(strstr(b.data, "acme_rats_redis_failovers_total 0\n"));
	ar_buf_free(&b);
	ar_metrics_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lab_free_port_is_bindable),
		cmocka_unit_test(test_lab_free_port_claims),
		cmocka_unit_test(test_lab_spawn_and_stop_report_status),
		cmocka_unit_test_setup_teardown(test_lab_leaves_no_process_behind, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_open_rejects_bad_options, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_set_get_roundtrip_with_timeouts, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_store_set_once_is_true_only_for_the_first_caller,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_deferred_set_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_batch_writes_all_or_nothing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_store_auth_with_acl_user, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_rejects_device_id_with_hash_tag_chars,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_posture_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_store_posture_written_by_the_previous_version_still_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_posture_absent_or_corrupt, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_store_cert_counts_until_its_not_after, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_store_cert_lookup_by_index, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_cert_mark_changes_existing_only, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_store_certs_of_device_newest_first, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_store_certs_one_listpack_hash_per_device, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_store_cert_written_by_the_previous_version_still_admits, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_store_stale_certificate_field_does_not_admit, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_store_cert_index_of_device_b_not_read_into_device_a, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_tpm_forget_releases_only_its_own_claim, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_store_identity_bind_is_compare_and_set, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_store_verdict_roundtrip_and_clear, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_store_guarded_batch_refused_under_verdict, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_store_claim_and_guarded_writes_are_compare_and_set,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_store_batch_refused_once_a_guarded_value_or_its_claim_changed, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_store_guarded_batch_aborts_when_verdict_changes,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_auth_lookup_folds_the_verdict, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_store_auth_lookup_reads_posture_and_cert, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_store_auth_lookup_fits_the_radius_budget, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_store_session_put_list_del, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_session_keeps_any_bytes_in_values, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_store_session_compact_values_keep_the_hash_a_listpack,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_session_written_by_the_previous_version_still_listed,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_session_of_device_b_never_written_into_device_a,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_session_rejects_bad_identifiers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_store_session_key_expires_without_refresh,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_devices_lists_every_written_device, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_store_event_group_read_ack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_event_claim_after_consumer_crash, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_store_event_pending_survive_consumer_restart,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_event_read_blocks_bounded, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_store_event_recent_newest_first_and_capped,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_event_rejects_bad_fields, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_store_reconnects_after_redis_restart, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_store_unavailable_fails_fast, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_event_lag_shows_what_the_worker_has_not_acknowledged,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_metric_hash_sums_flushes_and_skips_unknown_fields,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_redis_errors_counted_by_kind, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_command_timeout, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
