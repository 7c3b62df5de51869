/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The NOC event worker across CA replicas: two acme-rats-ca processes are
 * consumers of one group on a real redis-server. The one holding pending
 * events - it read them and is waiting on a NAS that acted but did not
 * answer - is SIGKILLed; the other claims them after reclaim_after and
 * sends the Disconnects. A Dynamic Authorization Server in this test (UDP,
 * RFC 5176: it checks each Request Authenticator with the shared secret
 * and answers with a proper Response Authenticator) counts the
 * Disconnect-Requests per session: every flagged device gets at least
 * one, and the one sent twice is answered NAK Session-Context-Not-Found,
 * which the worker takes as "gone" (session removed, no error).
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <hiredis/hiredis.h>
#include <openssl/evp.h>

#include "testutil.h"
#include "lab/lab.h"
#include "catest.h"
#include "fileio.h"
#include "store.h"

#define SECRET		"das-secret-replicas"
#define DEVICES		4
#define RECLAIM_MS	4000
#define A_SESSION_CONTEXT_NOT_FOUND	503

/* The DAS: while @answer is 0 it acts on a request but the reply is "lost". */
typedef struct das {
	int		fd, port;
	volatile int	stop, answer;
	pthread_mutex_t	lock;
	char		session[DEVICES][32];	/* Acct-Session-Id seen */
	int		requests[DEVICES];	/* Disconnect-Requests per session */
	int		gone[DEVICES];		/* the NAS ended the session */
	int		bad;			/* not a valid Disconnect-Request */
	int		naks;
} das_t;

static struct {
	lab_redis_t	redis;
	ca_proc_t	a, b;
	char		dir[256];
	ar_store_t	*st;
	das_t		das;
	pthread_t	das_th;
} t;

static int md5(const uint8_t *const *parts, const size_t *lens, size_t n, uint8_t out[16])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned len = 16;
	int ok = ctx && EVP_DigestInit_ex(ctx, EVP_md5(), NULL) == 1;
	size_t i;

	for (i = 0; ok && i < n; i++)
		ok = EVP_DigestUpdate(ctx, parts[i], lens[i]) == 1;
	ok = ok && EVP_DigestFinal_ex(ctx, out, &len) == 1;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -1;
}

/* RFC 5176 3.5 / RFC 2866 3: the Request Authenticator of @pkt is right. */
static int request_auth_ok(const uint8_t *pkt, size_t len)
{
	static const uint8_t zero[16];
	const uint8_t *parts[4] = { pkt, zero, pkt + 20, (const uint8_t *)SECRET };
	size_t lens[4] = { 4, 16, len - 20, strlen(SECRET) };
	uint8_t want[16];

	return md5(parts, lens, 4, want) == 0 && !memcmp(want, pkt + 4, 16);
}

/* The slot of Acct-Session-Id (attribute 44) in @pkt, made on first sight; -1 if none. */
static int session_slot(das_t *d, const uint8_t *pkt, size_t len)
{
	size_t off = 20;
	int i;

	while (off + 2 <= len && pkt[off + 1] >= 2 && off + pkt[off + 1] <= len) {
		if (pkt[off] == 44 && pkt[off + 1] - 2 < 32) {
			char id[32];

			memcpy(id, pkt + off + 2, pkt[off + 1] - 2u);
			id[pkt[off + 1] - 2] = '\0';
			for (i = 0; i < DEVICES && d->session[i][0]; i++)
				if (!strcmp(d->session[i], id))
					return i;
			if (i < DEVICES) {
				snprintf(d->session[i], sizeof(d->session[i]), "%s", id);
				return i;
			}
			return -1;
		}
		off += pkt[off + 1];
	}
	return -1;
}

/* Disconnect-ACK, or NAK with Error-Cause @cause, to request @req. */
static size_t das_reply(const uint8_t *req, int ack, uint32_t cause, uint8_t *out)
{
	const uint8_t *parts[3];
	size_t lens[3], len = 20;

	out[0] = ack ? 41 : 42;
	out[1] = req[1];
	if (!ack) {
		out[20] = 101;
		out[21] = 6;
		out[22] = (uint8_t)(cause >> 24);
		out[23] = (uint8_t)(cause >> 16);
		out[24] = (uint8_t)(cause >> 8);
		out[25] = (uint8_t)cause;
		len += 6;
	}
	out[2] = (uint8_t)(len >> 8);
	out[3] = (uint8_t)len;
	memcpy(out + 4, req + 4, 16);	/* the Request Authenticator, for the hash */
	parts[0] = out;
	lens[0] = len;
	parts[1] = (const uint8_t *)SECRET;
	lens[1] = strlen(SECRET);
	assert_int_equal(md5(parts, lens, 2, out + 4), 0);
	return len;
}

static void *das_main(void *arg)
{
	das_t *d = arg;
	uint8_t in[4096], out[64];

	while (!d->stop) {
		struct pollfd p = { .fd = d->fd, .events = POLLIN };
		struct sockaddr_in from;
		socklen_t flen = sizeof(from);
		ssize_t n;
		int slot, ack = 1;

		if (poll(&p, 1, 100) <= 0)
			continue;
		n = recvfrom(d->fd, in, sizeof(in), 0, (struct sockaddr *)&from, &flen);
		if (n < 20)
			continue;
		pthread_mutex_lock(&d->lock);
		if (in[0] != 40 || ((size_t)in[2] << 8 | in[3]) != (size_t)n ||
		    !request_auth_ok(in, (size_t)n) || (slot = session_slot(d, in, (size_t)n)) < 0) {
			d->bad++;
			pthread_mutex_unlock(&d->lock);
			continue;
		}
		d->requests[slot]++;
		if (d->gone[slot])
			ack = 0;	/* already ended: Session-Context-Not-Found */
		d->gone[slot] = 1;
		d->naks += !ack;
		if (d->answer) {
			size_t len = das_reply(in, ack, A_SESSION_CONTEXT_NOT_FOUND, out);

			sendto(d->fd, out, len, 0, (struct sockaddr *)&from, flen);
		}
		pthread_mutex_unlock(&d->lock);
	}
	return NULL;
}

static int das_start(das_t *d)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);

	memset(d, 0, sizeof(*d));
	pthread_mutex_init(&d->lock, NULL);
	d->fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (d->fd < 0 || bind(d->fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(d->fd, (struct sockaddr *)&a, &len) < 0)
		return -1;
	d->port = ntohs(a.sin_port);
	return pthread_create(&t.das_th, NULL, das_main, d) == 0 ? 0 : -1;
}

static int das_total(das_t *d)
{
	int i, n = 0;

	pthread_mutex_lock(&d->lock);
	for (i = 0; i < DEVICES; i++)
		n += d->requests[i];
	pthread_mutex_unlock(&d->lock);
	return n;
}

/* Wait until @file contains @needle; 0 found, -1 not within @ms. */
static int wait_for_text(const char *file, const char *needle, int ms)
{
	int64_t end = lab_now_ms() + ms;

	do {
		char *text = NULL;
		size_t len;
		int found = ar_file_read(file, 1 << 22, &text, &len, NULL) == 0 &&
			    strstr(text, needle) != NULL;

		free(text);
		if (found)
			return 0;
		lab_sleep_ms(20);
	} while (lab_now_ms() < end);
	return -1;
}

static int count_text(const char *file, const char *needle)
{
	char *text = NULL;
	const char *p;
	size_t len;
	int n = 0;

	if (ar_file_read(file, 1 << 22, &text, &len, NULL) < 0)
		return -1;
	for (p = text; (p = strstr(p, needle)) != NULL; p++)
		n++;
	free(text);
	return n;
}

/* XPENDING of the group: entries pending in all, and for consumer @name. */
static void pending(const char *name, long long *all, long long *of)
{
	struct timeval tv = { 2, 0 };
	redisContext *c = redisConnectWithTimeout("127.0.0.1", t.redis.port, tv);
	redisReply *r;
	size_t i;

	assert_true(c && !c->err);
	r = redisCommand(c, "XPENDING acmerats:events noc");
	assert_true(r && r->type == REDIS_REPLY_ARRAY && r->elements == 4);
	*all = r->element[0]->integer;
	*of = 0;
	for (i = 0; r->element[3]->type == REDIS_REPLY_ARRAY && i < r->element[3]->elements; i++) {
		redisReply *e = r->element[3]->element[i];

		if (!strcmp(e->element[0]->str, name))
			*of = strtoll(e->element[1]->str, NULL, 10);
	}
	freeReplyObject(r);
	redisFree(c);
}

static int group_setup(void **state)
{
	char extra[1024], secret[300], conf[300];
	ar_store_opts_t so = { .host = "127.0.0.1" };

	(void)state;
	if (lab_init() < 0 || lab_redis_start(&t.redis) < 0 || lab_tmpdir(t.dir, sizeof(t.dir)) < 0 ||
	    das_start(&t.das) < 0)
		return -1;
	snprintf(secret, sizeof(secret), "%s/das.secret", t.dir);
	if (ar_file_write_atomic(secret, SECRET "\n", strlen(SECRET) + 1, 0600, NULL) < 0)
		return -1;
	/* No consumer name: each replica is "<host>:<port>". The NAS may keep a
	 * worker waiting 20 s for an answer that does not come. */
	snprintf(extra, sizeof(extra),
		 "[events]\nworker = yes\ngroup = noc\nreclaim_after = %ds\n\n"
		 "[nas \"ap-1\"]\naddress = 127.0.0.1\ndas_port = %d\nsecret_file = %s\n"
		 "nas_identifier = ap-1\ntimeout = 20s\nretries = 0\n",
		 RECLAIM_MS / 1000, t.das.port, secret);
	snprintf(conf, sizeof(conf), "%s/events.conf", t.dir);
	if (ar_file_write_atomic(conf, extra, strlen(extra), 0600, NULL) < 0)
		return -1;
	setenv("MKCA_EXTRA", conf, 1);
	so.port = t.redis.port;
	t.st = ar_store_open(&so, NULL);
	return t.st ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	ar_store_close(t.st);
	catest_stop_ca(&t.b);	/* the replica's directory; @a's files after it */
	catest_stop_ca(&t.a);
	t.das.stop = 1;
	pthread_join(t.das_th, NULL);
	close(t.das.fd);
	lab_redis_stop(&t.redis);
	lab_rmtree(t.dir);
	return 0;
}

static void flag(const char *device)
{
	ar_store_session_t ss;
	ar_store_event_t ev;

	memset(&ss, 0, sizeof(ss));
	snprintf(ss.nas_ip, sizeof(ss.nas_ip), "127.0.0.1");
	snprintf(ss.nas_id, sizeof(ss.nas_id), "ap-1");
	snprintf(ss.acct_session_id, sizeof(ss.acct_session_id), "S-%s", device);
	snprintf(ss.user_name, sizeof(ss.user_name), "host/%s", device);
	ss.started = time(NULL);
	assert_int_equal(ar_store_session_put(t.st, device, &ss, 3600, NULL), 0);
	memset(&ev, 0, sizeof(ev));
	snprintf(ev.type, sizeof(ev.type), "soc_flag");
	snprintf(ev.device, sizeof(ev.device), "%s", device);
	snprintf(ev.status, sizeof(ev.status), "contraindicated");
	snprintf(ev.reason, sizeof(ev.reason), "EDR alert");
	snprintf(ev.source, sizeof(ev.source), "soc-test");
	assert_int_equal(ar_store_event_add(t.st, &ev, NULL, NULL), 0);
}

static size_t sessions_left(void)
{
	char dev[16];
	size_t left = 0, n;
	int i;

	for (i = 0; i < DEVICES; i++) {
		ar_store_session_t *list = NULL;

		snprintf(dev, sizeof(dev), "FLAG-%04d", i);
		n = 0;
		assert_int_equal(ar_store_session_list(t.st, dev, &list, &n, NULL), 0);
		left += n;
		free(list);
	}
	return left;
}

static void test_events_of_killed_ca_replica_claimed_and_sent_once_or_more(void **state)
{
	char dev[16], log_a[300], log_b[300], consumer_a[96], host[64] = "";
	long long all, of_a;
	int64_t t0, end;
	int i, total, dups = 0;

	(void)state;
	assert_int_equal(ar_store_event_group_create(t.st, "noc", "$", NULL), 1);
	for (i = 0; i < DEVICES; i++) {
		snprintf(dev, sizeof(dev), "FLAG-%04d", i);
		flag(dev);
	}
	/* Replica A reads them all in one batch and is kept waiting by the NAS. */
	assert_int_equal(catest_start_ca(&t.a, t.redis.port, "no"), 0);
	snprintf(log_a, sizeof(log_a), "%s/ca.log", t.a.dir);
	gethostname(host, sizeof(host) - 1);
	snprintf(consumer_a, sizeof(consumer_a), "%s:%d", host, t.a.port);
	end = lab_now_ms() + 10000;
	while (das_total(&t.das) < 1 && lab_now_ms() < end)
		lab_sleep_ms(20);
	assert_int_equal(das_total(&t.das), 1);
	pending(consumer_a, &all, &of_a);
	assert_int_equal(all, DEVICES);
	assert_int_equal(of_a, DEVICES);	/* A holds every event, acknowledged none */

	/* Replica B joins the group; then A dies with the events in hand. */
	assert_int_equal(catest_start_replica(&t.b, &t.a, 0), 0);
	snprintf(log_b, sizeof(log_b), "%s/ca.log", t.b.dir);
	assert_int_equal(wait_for_text(log_b, "event=noc.started", 5000), 0);
	assert_int_equal(kill(t.a.pid, SIGKILL), 0);
	lab_stop(t.a.pid, 3000);
	t.a.pid = 0;
	t0 = lab_now_ms();
	t.das.answer = 1;

	end = t0 + RECLAIM_MS + 15000;
	do {
		pending(consumer_a, &all, &of_a);
		if (all == 0 && sessions_left() == 0)
			break;
		lab_sleep_ms(100);
	} while (lab_now_ms() < end);
	assert_int_equal(all, 0);
	assert_int_equal(sessions_left(), 0);

	pthread_mutex_lock(&t.das.lock);
	total = 0;
	for (i = 0; i < DEVICES; i++) {
		if (t.das.requests[i] < 1)
			fail_msg("session %d got no Disconnect-Request", i);
		total += t.das.requests[i];
		dups += t.das.requests[i] - 1;
	}
	assert_int_equal(t.das.bad, 0);
	assert_int_equal(t.das.naks, dups);
	pthread_mutex_unlock(&t.das.lock);
	fprintf(stderr, "# %d devices, %d Disconnect-Requests, %d sent twice; B took over %lld ms "
		"after SIGKILL of A (reclaim_after %d ms)\n", DEVICES, total, dups,
		(long long)(lab_now_ms() - t0), RECLAIM_MS);
	/* the one A sent (the NAS acted, its answer lost) went again: harmless */
	assert_true(dups >= 1);
	assert_true(count_text(log_b, "cause=Session-Context-Not-Found") >= 1);
	assert_int_equal(count_text(log_b, "result=failed"), 0);
	assert_int_equal(count_text(log_b, "event=noc.store_failed"), 0);
	assert_int_equal(count_text(log_b, "type=soc_flag device=FLAG-"), DEVICES);
	assert_int_equal(count_text(log_a, "event=noc.handled"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_events_of_killed_ca_replica_claimed_and_sent_once_or_more),
	};

	return cmocka_run_group_tests_name("ca_noc_replicas", tests, group_setup, group_teardown);
}
