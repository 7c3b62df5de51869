/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The store under Redis Sentinel, against real processes: a primary, two
 * replicas and three sentinels (redis-server --sentinel) on 127.0.0.1.
 * The primary is found through the sentinels and believed only when ROLE
 * says master; a failover (forced, then the primary killed) moves the
 * writes to the new primary, and a write acknowledged by a replica before
 * the kill survives it.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "lab/lab.h"
#include "store.h"

#define NODES		3
#define MASTER		"site"
#define READY_MS	20000	/* sentinels and replicas settled */
#define FAILOVER_MS	20000	/* bound of a failover in the tests */

static struct {
	char	dir[256];
	int	rport[NODES];
	pid_t	rpid[NODES];
	int	sport[NODES];
	pid_t	spid[NODES];
	char	sentinels[128];
} t;

/* One command to 127.0.0.1:@port; the reply, or NULL. */
static redisReply *cmd(int port, const char *fmt, ...)
{
	struct timeval tv = { 2, 0 };
	redisContext *c = redisConnectWithTimeout("127.0.0.1", port, tv);
	redisReply *r = NULL;
	va_list ap;

	if (c && !c->err) {
		redisSetTimeout(c, tv);
		va_start(ap, fmt);
		r = redisvCommand(c, fmt, ap);
		va_end(ap);
	}
	if (c)
		redisFree(c);
	return r;
}

static pid_t spawn_redis(int i, int replica_of)
{
	char port[16], dir[300], log[300], master[16];
	char *argv[24];
	int n = 0;

	snprintf(port, sizeof(port), "%d", t.rport[i]);
	snprintf(dir, sizeof(dir), "%s/r%d", t.dir, i);
	snprintf(log, sizeof(log), "%s/r%d.log", t.dir, i);
	snprintf(master, sizeof(master), "%d", replica_of);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -1;
	argv[n++] = (char *)REDIS_SERVER_PATH;
	argv[n++] = (char *)"--port";
	argv[n++] = port;
	argv[n++] = (char *)"--bind";
	argv[n++] = (char *)"127.0.0.1";
	argv[n++] = (char *)"--dir";
	argv[n++] = dir;
	argv[n++] = (char *)"--save";
	argv[n++] = (char *)"";
	argv[n++] = (char *)"--appendonly";
	argv[n++] = (char *)"no";
	argv[n++] = (char *)"--repl-diskless-sync-delay";
	argv[n++] = (char *)"0";
	argv[n++] = (char *)"--daemonize";
	argv[n++] = (char *)"no";
	if (replica_of) {
		argv[n++] = (char *)"--replicaof";
		argv[n++] = (char *)"127.0.0.1";
		argv[n++] = master;
	}
	argv[n] = NULL;
	return lab_spawn(argv, log);
}

static pid_t spawn_sentinel(int i)
{
	char conf[300], log[300], text[1024];
	char *argv[] = { (char *)REDIS_SERVER_PATH, conf, (char *)"--sentinel", NULL };
	FILE *f;

	snprintf(conf, sizeof(conf), "%s/s%d.conf", t.dir, i);
	snprintf(log, sizeof(log), "%s/s%d.log", t.dir, i);
	snprintf(text, sizeof(text), "port %d\nbind 127.0.0.1\ndaemonize no\ndir %s\n"
		 "sentinel monitor " MASTER " 127.0.0.1 %d 2\n"
		 "sentinel down-after-milliseconds " MASTER " 1000\n"
		 "sentinel failover-timeout " MASTER " 5000\n", t.sport[i], t.dir, t.rport[0]);
	f = fopen(conf, "w");	/* a sentinel rewrites its file: never share one */
	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		return -1;
	return lab_spawn(argv, log);
}

/* Every sentinel sees both replicas linked and the two other sentinels. */
static int settled(void)
{
	int i, ok = 1;

	for (i = 0; i < NODES && ok; i++) {
		redisReply *r = cmd(t.sport[i], "SENTINEL replicas " MASTER);
		redisReply *p = cmd(t.sport[i], "SENTINEL sentinels " MASTER);
		size_t k, linked = 0;

		for (k = 0; r && r->type == REDIS_REPLY_ARRAY && k < r->elements; k++) {
			redisReply *e = r->element[k];
			size_t j;

			for (j = 0; j + 1 < e->elements; j += 2)
				if (!strcmp(e->element[j]->str, "master-link-status") &&
				    !strcmp(e->element[j + 1]->str, "ok"))
					linked++;
		}
		ok = linked == NODES - 1 && p && p->type == REDIS_REPLY_ARRAY &&
		     p->elements == NODES - 1;
		if (r)
			freeReplyObject(r);
		if (p)
			freeReplyObject(p);
	}
	return ok;
}

/* The port the sentinels name as the primary now (first sentinel), or -1. */
static int named_primary(void)
{
	redisReply *r = cmd(t.sport[0], "SENTINEL get-master-addr-by-name " MASTER);
	int port = -1;

	if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2)
		port = (int)strtol(r->element[1]->str, NULL, 10);
	if (r)
		freeReplyObject(r);
	return port;
}

static int role_is(int port, const char *role)
{
	redisReply *r = cmd(port, "ROLE");
	int yes = r && r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
		  !strcmp(r->element[0]->str, role);

	if (r)
		freeReplyObject(r);
	return yes;
}

static int group_setup(void **state)
{
	int64_t deadline;
	int i;

	(void)state;
	if (lab_init() < 0 || lab_tmpdir(t.dir, sizeof(t.dir)) < 0)
		return -1;
	for (i = 0; i < NODES; i++) {
		t.rport[i] = lab_free_port();
		t.sport[i] = lab_free_port();
	}
	for (i = 0; i < NODES; i++)
		if ((t.rpid[i] = spawn_redis(i, i ? t.rport[0] : 0)) < 0 ||
		    lab_wait_tcp(t.rport[i], 5000) < 0)
			return -1;
	for (i = 0; i < NODES; i++)
		if ((t.spid[i] = spawn_sentinel(i)) < 0 || lab_wait_tcp(t.sport[i], 5000) < 0)
			return -1;
	snprintf(t.sentinels, sizeof(t.sentinels), "127.0.0.1:%d, 127.0.0.1:%d,127.0.0.1:%d",
		 t.sport[0], t.sport[1], t.sport[2]);
	deadline = lab_now_ms() + READY_MS;
	while (!settled()) {
		if (lab_now_ms() > deadline) {
			fprintf(stderr, "# sentinels did not settle within %d ms\n", READY_MS);
			return -1;
		}
		lab_sleep_ms(100);
	}
	fprintf(stderr, "# lab: primary 127.0.0.1:%d, replicas :%d :%d, sentinels %s\n",
		t.rport[0], t.rport[1], t.rport[2], t.sentinels);
	return 0;
}

static int group_teardown(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < NODES; i++) {
		if (t.spid[i] > 0)
			lab_stop(t.spid[i], 2000);
		if (t.rpid[i] > 0)
			lab_stop(t.rpid[i], 2000);
	}
	lab_rmtree(t.dir);
	return 0;
}

static ar_store_t *open_site(const char *sentinels, const char *master, ar_err_t *err)
{
	ar_store_opts_t o = { .sentinels = sentinels, .master_name = master,
			      .connect_timeout_ms = 500, .command_timeout_ms = 1000 };

	return ar_store_open(&o, err);
}

static int put(ar_store_t *st, const char *reason, ar_err_t *err)
{
	ar_store_posture_t p = { .status = AR_STATUS_AFFIRMING, .ear_iat = time(NULL) };

	snprintf(p.reason, sizeof(p.reason), "%s", reason);
	return ar_store_posture_put(st, "SITE-0001", &p, err);
}

static void assert_reason(ar_store_t *st, const char *reason)
{
	ar_store_posture_t p;
	ar_err_t err = { 0 };

	assert_int_equal(ar_store_posture_get(st, "SITE-0001", &p, &err), 1);
	assert_string_equal(p.reason, reason);
}

static void test_sentinel_list_and_master_name_are_checked(void **state)
{
	static const char *const bad[] = {
		"127.0.0.1", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:80x", ":26379",
		"[::1]26379", "a:1,b:2,c:3,d:4,e:5,f:6,g:7,h:8,i:9", "", " , ",
	};
	ar_err_t err = { 0 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		assert_null(open_site(bad[i], MASTER, &err));
		if (err.code != AR_ERR_CONFIG)
			fail_msg("\"%s\": %d %s", bad[i], err.code, err.msg);
	}
	memset(&err, 0, sizeof(err));
	assert_null(open_site(t.sentinels, NULL, &err));
	assert_int_equal(err.code, AR_ERR_CONFIG);
	assert_non_null(strstr(err.msg, "master name"));
}

static void test_primary_found_through_the_sentinels(void **state)
{
	ar_err_t err = { 0 };
	ar_store_t *st = open_site(t.sentinels, MASTER, &err);
	redisReply *r;

	(void)state;
	if (!st)
		fail_msg("%s", err.msg);
	assert_int_equal(put(st, "first", &err), 0);
	assert_reason(st, "first");
	/* written on the primary itself */
	r = cmd(t.rport[0], "DBSIZE");
	assert_non_null(r);
	assert_true(r->integer >= 1);
	freeReplyObject(r);
	ar_store_close(st);
}

static void test_unknown_master_name_is_unavailable_within_the_connect_timeout(void **state)
{
	ar_err_t err = { 0 };
	int64_t t0 = lab_now_ms();

	(void)state;
	assert_null(open_site(t.sentinels, "no-such-site", &err));
	assert_int_equal(err.code, AR_ERR_UNAVAILABLE);
	assert_non_null(strstr(err.msg, "no-such-site"));
	assert_true(lab_now_ms() - t0 < 500 + 250);
}

/* A sentinel that names @port to whoever asks, for the next test. */
typedef struct liar {
	int	fd, port, answer_port, answered;
} liar_t;

static void *liar_main(void *arg)
{
	liar_t *l = arg;
	char buf[512], reply[128];
	int c, n;

	n = snprintf(reply, sizeof(reply), "*2\r\n$9\r\n127.0.0.1\r\n$%d\r\n%d\r\n",
		     (int)snprintf(buf, sizeof(buf), "%d", l->answer_port), l->answer_port);
	while ((c = accept(l->fd, NULL, NULL)) >= 0) {
		if (read(c, buf, sizeof(buf)) > 0 && write(c, reply, (size_t)n) == n)
			l->answered++;
		close(c);
	}
	return NULL;
}

static void liar_start(liar_t *l, int answer_port, pthread_t *th)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);

	memset(l, 0, sizeof(*l));
	l->answer_port = answer_port;
	l->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(l->fd >= 0);
	assert_int_equal(bind(l->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(l->fd, 8), 0);
	assert_int_equal(getsockname(l->fd, (struct sockaddr *)&a, &len), 0);
	l->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(th, NULL, liar_main, l), 0);
}

static void liar_stop(liar_t *l, pthread_t th)
{
	shutdown(l->fd, SHUT_RDWR);
	close(l->fd);
	pthread_join(th, NULL);
}

/*
 * A sentinel that names a replica as the primary (stale, or hostile) is
 * not believed: ROLE says slave. With a true sentinel after it, the store
 * writes on the primary; with it alone, it does not open.
 */
static void test_sentinel_naming_a_replica_is_not_believed(void **state)
{
	char list[160];
	ar_err_t err = { 0 };
	ar_store_t *st;
	pthread_t th;
	liar_t l;

	(void)state;
	liar_start(&l, t.rport[1], &th);
	snprintf(list, sizeof(list), "127.0.0.1:%d", l.port);
	st = open_site(list, MASTER, &err);
	assert_null(st);
	assert_int_equal(err.code, AR_ERR_UNAVAILABLE);
	assert_non_null(strstr(err.msg, "not (yet) master"));

	snprintf(list, sizeof(list), "127.0.0.1:%d,127.0.0.1:%d", l.port, t.sport[0]);
	memset(&err, 0, sizeof(err));
	st = open_site(list, MASTER, &err);
	if (!st)
		fail_msg("%s", err.msg);
	assert_int_equal(put(st, "not on the replica", &err), 0);
	assert_true(role_is(named_primary(), "master"));
	assert_reason(st, "not on the replica");
	assert_true(l.answered >= 2);
	ar_store_close(st);
	liar_stop(&l, th);
}

/* Wait until the sentinels name another primary than @old and it is master. */
static int await_failover(int old)
{
	int64_t deadline = lab_now_ms() + FAILOVER_MS;
	int now;

	for (;;) {
		now = named_primary();
		if (now > 0 && now != old && role_is(now, "master"))
			return now;
		if (lab_now_ms() > deadline)
			return -1;
		lab_sleep_ms(50);
	}
}

/*
 * SENTINEL FAILOVER: the old primary becomes a replica. A store opened
 * before writes again without an error: its connection was cut, or the
 * old node answered READONLY and the write went again to the new primary.
 */
static void test_forced_failover_moves_the_writes_to_the_new_primary(void **state)
{
	ar_err_t err = { 0 };
	ar_store_t *st = open_site(t.sentinels, MASTER, &err);
	int old = named_primary(), now;
	redisReply *r;

	(void)state;
	if (!st)
		fail_msg("%s", err.msg);
	assert_int_equal(put(st, "before the failover", &err), 0);
	r = cmd(t.sport[1], "SENTINEL FAILOVER " MASTER);
	assert_non_null(r);
	assert_int_equal(r->type, REDIS_REPLY_STATUS);
	freeReplyObject(r);
	now = await_failover(old);
	assert_true(now > 0);
	while (!role_is(old, "slave"))
		lab_sleep_ms(50);
	memset(&err, 0, sizeof(err));
	if (put(st, "after the failover", &err) < 0)
		fail_msg("%s", err.msg);
	assert_reason(st, "after the failover");
	ar_store_close(st);
	/* on the new primary itself */
	{
		ar_store_opts_t o = { .host = "127.0.0.1", .port = now };

		st = ar_store_open(&o, &err);
		assert_non_null(st);
		assert_reason(st, "after the failover");
		ar_store_close(st);
	}
}

static int index_of(int port)
{
	int i;

	for (i = 0; i < NODES; i++)
		if (t.rport[i] == port)
			return i;
	return -1;
}

/*
 * SIGKILL of the primary. A write a replica acknowledged (WAIT) before the
 * kill is there after it; the store's writes fail (unavailable, never a
 * wrong answer) until the sentinels promote a replica, then succeed there.
 */
static void test_primary_killed_writes_resume_on_the_promoted_replica(void **state)
{
	ar_err_t err = { 0 };
	ar_store_t *st = open_site(t.sentinels, MASTER, &err);
	int old = named_primary(), victim = index_of(old), now, failures = 0;
	int64_t t0, took;
	redisReply *r;

	(void)state;
	if (!st)
		fail_msg("%s", err.msg);
	assert_true(victim >= 0);
	{
		struct timeval tv = { 2, 0 };
		redisContext *c = redisConnectWithTimeout("127.0.0.1", old, tv);

		assert_true(c && !c->err);
		r = redisCommand(c, "SET acmerats:kept acknowledged");
		freeReplyObject(r);
		r = redisCommand(c, "WAIT 1 2000");
		assert_true(r && r->type == REDIS_REPLY_INTEGER && r->integer >= 1);
		freeReplyObject(r);
		redisFree(c);
	}
	assert_int_equal(put(st, "before the kill", &err), 0);
	kill(t.rpid[victim], SIGKILL);
	lab_stop(t.rpid[victim], 1000);
	t.rpid[victim] = 0;
	t0 = lab_now_ms();
	for (;;) {
		memset(&err, 0, sizeof(err));
		if (put(st, "after the kill", &err) == 0)
			break;
		assert_true(err.code == AR_ERR_UNAVAILABLE || err.code == AR_ERR_TIMEOUT);
		failures++;
		if (lab_now_ms() - t0 > FAILOVER_MS)
			fail_msg("no primary %d ms after the kill: %s", FAILOVER_MS, err.msg);
		lab_sleep_ms(50);
	}
	took = lab_now_ms() - t0;
	now = await_failover(old);	/* every sentinel learns it, the first maybe later */
	fprintf(stderr, "# writes resumed %lld ms after SIGKILL of the primary (%d refused "
		"meanwhile), new primary :%d\n", (long long)took, failures, now);
	assert_int_not_equal(now, old);
	assert_reason(st, "after the kill");
	r = cmd(now, "GET acmerats:kept");
	assert_non_null(r);
	assert_int_equal(r->type, REDIS_REPLY_STRING);
	assert_string_equal(r->str, "acknowledged");
	freeReplyObject(r);
	ar_store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sentinel_list_and_master_name_are_checked),
		cmocka_unit_test(test_primary_found_through_the_sentinels),
		cmocka_unit_test(test_unknown_master_name_is_unavailable_within_the_connect_timeout),
		cmocka_unit_test(test_sentinel_naming_a_replica_is_not_believed),
		cmocka_unit_test(test_forced_failover_moves_the_writes_to_the_new_primary),
		cmocka_unit_test(test_primary_killed_writes_resume_on_the_promoted_replica),
	};

	return cmocka_run_group_tests_name("store_sentinel", tests, group_setup, group_teardown);
}
