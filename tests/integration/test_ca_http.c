/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * acme-rats-ca, the HTTP layer under attack: request smuggling through
 * contradictory framing fields, bodies above max_body announced with or
 * without the body, and a flood of idle connections from one address - the
 * real daemon over HTTPS (raw TLS requests no HTTP library would send), a
 * real redis-server.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testutil.h"
#include "lab/lab.h"
#include "catest.h"
#include "fileio.h"
#include "httpc.h"
#include "tlsraw.h"

/* docs/verifier.md: the default of [server] max_connections_per_ip. */
#define DEFAULT_PER_IP	256
/* [server] max_body, default. */
#define MAX_BODY	(64 * 1024)

static struct {
	lab_redis_t	redis;
	ca_proc_t	ca;
} t;

static int group_setup(void **state)
{
	(void)state;
	if (lab_init() < 0 || lab_redis_start(&t.redis) < 0 ||
	    catest_start_ca(&t.ca, t.redis.port, "no") < 0)
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	catest_stop_ca(&t.ca);
	lab_redis_stop(&t.redis);
	return 0;
}

/*
 * One request on a fresh connection: @head (the request line and header
 * fields, without the empty line), then @body. The whole answer, up to the
 * server closing or 3 s, goes to @resp; *@ms is the time from the end of
 * the header section to the server closing.
 */
static void exchange(const char *head, const void *body, size_t len, int sndbuf, char *resp,
		     size_t cap, long *ms, int *closed)
{
	char text[2048];
	tlsraw_t c;
	int64_t t0;
	snprintf(text, sizeof(text), "%s\r\n", head);
	assert_int_equal(tlsraw_connect(&c, t.ca.port, t.ca.cafile, sndbuf), 0);
	assert_int_equal(tlsraw_write(&c, text, strlen(text)), strlen(text));
	t0 = lab_now_ms();
	if (len)
		assert_int_equal(tlsraw_write(&c, body, len), len);
	tlsraw_read(&c, resp, cap, 3000, closed);
	if (ms)
		*ms = (long)(lab_now_ms() - t0);
	tlsraw_close(&c);
}

/*
 * @resp is the CA's ACME problem of @status and @type whose detail holds
 * @detail, with a Replay-Nonce and the index Link like every CA answer, and
 * the connection was closed after it (the request's body is never read).
 */
static void expect_refusal(const char *resp, int closed, int status, const char *type,
			   const char *detail)
{
	char v[512], urn[128];

	if (tlsraw_status(resp) != status)
		fail_msg("want %d, got: %.600s", status, resp);
	assert_non_null(tlsraw_header(resp, "Content-Type", v, sizeof(v)));
	assert_string_equal(v, "application/problem+json");
	snprintf(urn, sizeof(urn), "\"urn:ietf:params:acme:error:%s\"", type);
	if (!strstr(tlsraw_body(resp), urn) || !strstr(tlsraw_body(resp), detail))
		fail_msg("want %s with \"%s\", got: %.600s", urn, detail, tlsraw_body(resp));
	assert_non_null(tlsraw_header(resp, "Replay-Nonce", v, sizeof(v)));
	assert_true(strlen(v) > 20);
	assert_non_null(tlsraw_header(resp, "Link", v, sizeof(v)));
	assert_non_null(strstr(v, "/directory>;rel=\"index\""));
	assert_non_null(tlsraw_header(resp, "Connection", v, sizeof(v)));
	assert_string_equal(v, "close");
	assert_true(closed);
}

#define POST_HEAD "POST /acme/new-order HTTP/1.1\r\nHost: 127.0.0.1\r\n" \
	"Content-Type: application/jose+json\r\n"

/*
 * CL.CL: two Content-Length fields. libmicrohttpd frames by the first, a
 * proxy in front might by the last: what one reads as the body the other
 * reads as the next request. Refused from the header section (the handler
 * would have said the JWS is not JSON), also when the second value is not
 * a number at all, and a blank before the colon hides no second one.
 */
static void test_request_smuggling_with_two_content_lengths_refused(void **state)
{
	static const struct {
		const char	*fields;
		const char	*detail;
	} cases[] = {
		{ "Content-Length: 5\r\nContent-Length: 7\r\n", "Content-Length fields disagree" },
		{ "Content-Length: 7\r\nContent-Length: 5\r\n", "Content-Length fields disagree" },
		{ "Content-Length: 5\r\nContent-Length: +5\r\n", "is not a plain decimal" },
		{ "Content-Length: 5\r\nContent-Length: -1\r\n", "is not a plain decimal" },
		{ "Content-Length: 5\r\nContent-Length: 0x10\r\n", "is not a plain decimal" },
		{ "Content-Length: 5\r\nContent-Length: 5, 7\r\n", "is not a plain decimal" },
		{ "Content-Length: 5\r\nContent-Length : 7\r\n", "is not a token" },
	};
	static const char smuggled[] = "abcdeGET /directory HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
	char head[512], resp[8192];
	size_t i;
	int closed;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(head, sizeof(head), POST_HEAD "%s", cases[i].fields);
		exchange(head, smuggled, strlen(smuggled), 0, resp, sizeof(resp), NULL, &closed);
		expect_refusal(resp, closed, 400, "malformed", cases[i].detail);
		/* One answer: the smuggled request behind it is never read. */
		assert_null(strstr(tlsraw_body(resp), "HTTP/1.1"));
	}
}

/*
 * TE.CL and CL.TE: Transfer-Encoding with Content-Length (RFC 9112 6.3),
 * and codings libmicrohttpd would not read as chunked.
 */
static void test_request_smuggling_with_transfer_encoding_refused(void **state)
{
	static const struct {
		const char	*fields;
		const char	*detail;
	} cases[] = {
		{ "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n", "Transfer-Encoding and Content-Length" },
		{ "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n", "Transfer-Encoding and Content-Length" },
		{ "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", "more than one Transfer-Encoding" },
		{ "Transfer-Encoding: gzip, chunked\r\n", "is not supported" },
		{ "Transfer-Encoding: chunked, identity\r\n", "is not supported" },
		{ "Transfer-Encoding: xchunked\r\n", "is not supported" },
	};
	char head[512], resp[8192];
	size_t i;
	int closed;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(head, sizeof(head), POST_HEAD "%s", cases[i].fields);
		exchange(head, "5\r\nabcde\r\n0\r\n\r\n", 15, 0, resp, sizeof(resp), NULL, &closed);
		expect_refusal(resp, closed, 400, "malformed", cases[i].detail);
	}
	/* HTTP/1.0 knows no Transfer-Encoding (RFC 9112 6.1). */
	exchange("POST /acme/new-order HTTP/1.0\r\nContent-Type: application/jose+json\r\n"
		 "Transfer-Encoding: chunked\r\n", "5\r\nabcde\r\n0\r\n\r\n", 15, 0, resp,
		 sizeof(resp), NULL, &closed);
	expect_refusal(resp, closed, 400, "malformed", "HTTP/1.0");
}

/*
 * obs-fold (RFC 9112 5.2): libmicrohttpd 0.9.75 glues the continuation line
 * onto the field's name and frames by what that makes ("Content-Len: 61"
 * CRLF " gth" becomes a Content-Length), where a proxy in front unfolds it
 * into another field or another length: any fold is refused, with the
 * smuggled request behind it never read.
 */
static void test_request_smuggling_by_a_folded_framing_field_refused(void **state)
{
	static const char *const cases[] = {
		"Content-Length: 0\r\n 61\r\n",
		"Content-Length: 3\r\n 0\r\n",
		"Content-Length: 3\r\n\t0\r\n",
		"Transfer-Encoding:\r\n chunked\r\nContent-Length: 5\r\n",
		"Content-Length: 5\r\nTransfer-Encoding:\r\n chunked\r\n",
		/* a fold that completes a framing field's name, or folds another field */
		"Content-Len: 61\r\n gth\r\n",
		"Content-Len: 61\r\n\tgth\r\n",
		"Transfer-Encodin: chunked\r\n g\r\n",
		"X-A: 1\r\n 2\r\nContent-Length: 0\r\n",
	};
	static const char smuggled[] = "0\r\n\r\nGET /directory HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
	char head[512], resp[8192];
	size_t i;
	int closed;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(head, sizeof(head), POST_HEAD "%s", cases[i]);
		exchange(head, smuggled, strlen(smuggled), 0, resp, sizeof(resp), NULL, &closed);
		expect_refusal(resp, closed, 400, "malformed", "folded");
		assert_null(strstr(tlsraw_body(resp), "HTTP/1.1"));
	}
}

/*
 * A lone Content-Length that is not a plain decimal: libmicrohttpd refuses
 * it with its own 400 before the CA sees the request (docs/ca.md lists
 * these answers); what counts is that the request is refused and the
 * connection closed.
 */
static void test_lone_content_length_not_plain_decimal_refused(void **state)
{
	static const char *const values[] = { "-1", "+5", "0x10", "5, 5", "1 2" };
	char head[512], resp[8192];
	size_t i;
	int closed;

	(void)state;
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		snprintf(head, sizeof(head), POST_HEAD "Content-Length: %s\r\n", values[i]);
		exchange(head, "abcde", 5, 0, resp, sizeof(resp), NULL, &closed);
		if (tlsraw_status(resp) != 400)
			fail_msg("Content-Length: %s: want 400, got: %.300s", values[i], resp);
		assert_true(closed);
	}
}

/* RFC 9112 3.2: exactly one Host in HTTP/1.1 (two could name two sites). */
static void test_request_with_two_hosts_or_none_refused(void **state)
{
	char resp[8192];
	int closed;

	(void)state;
	exchange("GET /directory HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\n", NULL, 0, 0,
		 resp, sizeof(resp), NULL, &closed);
	expect_refusal(resp, closed, 400, "malformed", "more than one Host");
	exchange("GET /directory HTTP/1.1\r\n", NULL, 0, 0, resp, sizeof(resp), NULL, &closed);
	expect_refusal(resp, closed, 400, "malformed", "no Host");
}

/*
 * A client announces a body over max_body and sends none: the 413 comes
 * from the header section at once, not after the idle timeout (5 s in the
 * test configuration) waiting for a body that never comes.
 */
static void test_oversize_announced_body_answered_at_once(void **state)
{
	char resp[8192];
	long ms;
	int closed;

	(void)state;
	exchange(POST_HEAD "Content-Length: 70000\r\n", NULL, 0, 0, resp, sizeof(resp), &ms, &closed);
	expect_refusal(resp, closed, 413, "malformed", "exceeds 65536 bytes");
	if (ms > 1000)
		fail_msg("the 413 took %ld ms", ms);
	/* With Expect: 100-continue the client is told before it sends. */
	exchange(POST_HEAD "Content-Length: 70000\r\nExpect: 100-continue\r\n", NULL, 0, 0, resp,
		 sizeof(resp), &ms, &closed);
	expect_refusal(resp, closed, 413, "malformed", "exceeds");
	assert_true(ms <= 1000);
}

/*
 * A client that sends its whole oversize body before reading still reads
 * the 413: the server answers from the header section and then keeps
 * reading (and dropping) what comes until the client is done, instead of
 * closing into a reset that would destroy the answer. The 1 MiB body goes
 * through a 4 KiB send buffer, so most of it is still on its way when the
 * server has answered.
 */
static void test_oversize_body_sent_whole_still_reads_the_413(void **state)
{
	static const size_t sizes[] = { 70000, 1024 * 1024 };
	char resp[8192], head[256], *body;
	size_t i, n;
	tlsraw_t c;
	int closed;

	(void)state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		body = malloc(sizes[i]);
		assert_non_null(body);
		memset(body, 'a', sizes[i]);
		snprintf(head, sizeof(head), POST_HEAD "Content-Length: %zu\r\n\r\n", sizes[i]);
		assert_int_equal(tlsraw_connect(&c, t.ca.port, t.ca.cafile, 4096), 0);
		assert_int_equal(tlsraw_write(&c, head, strlen(head)), strlen(head));
		lab_sleep_ms(100);		/* the server has answered by now */
		n = tlsraw_write(&c, body, sizes[i]);
		if (n != sizes[i])
			fail_msg("%zu-byte body: the connection failed after %zu bytes", sizes[i], n);
		tlsraw_read(&c, resp, sizeof(resp), 3000, &closed);
		tlsraw_close(&c);
		free(body);
		expect_refusal(resp, closed, 413, "malformed", "exceeds 65536 bytes");
	}
}

/*
 * A chunked body says nothing of its size in advance: it is read up to
 * max_body, the rest dropped, and answered 413 with the CA's problem; a
 * chunked body that never ends is cut off (closed) 1 MiB past max_body.
 */
static void test_oversize_chunked_body_refused(void **state)
{
	static const char chunk_head[] = "4000\r\n";	/* 16 KiB chunks */
	char resp[8192], *chunk;
	size_t i, n = 0x4000;
	tlsraw_t c;
	int closed;

	(void)state;
	chunk = malloc(n + 2);
	assert_non_null(chunk);
	memset(chunk, 'a', n);
	memcpy(chunk + n, "\r\n", 2);
	assert_int_equal(tlsraw_connect(&c, t.ca.port, t.ca.cafile, 0), 0);
	assert_int_equal(tlsraw_write(&c, POST_HEAD "Transfer-Encoding: chunked\r\n\r\n",
				      strlen(POST_HEAD "Transfer-Encoding: chunked\r\n\r\n")),
			 strlen(POST_HEAD "Transfer-Encoding: chunked\r\n\r\n"));
	for (i = 0; i < 6; i++) {	/* 96 KiB */
		tlsraw_write(&c, chunk_head, 6);
		tlsraw_write(&c, chunk, n + 2);
	}
	tlsraw_write(&c, "0\r\n\r\n", 5);
	tlsraw_read(&c, resp, sizeof(resp), 3000, &closed);
	tlsraw_close(&c);
	if (tlsraw_status(resp) != 413 || !strstr(resp, "urn:ietf:params:acme:error:malformed") ||
	    !strstr(resp, "Replay-Nonce: "))
		fail_msg("want a 413 problem, got: %.600s", resp);

	/*
	 * Endless: the server closes after max_body + 1 MiB. The 4 KiB send
	 * buffer keeps the client from getting far ahead of the server.
	 */
	assert_int_equal(tlsraw_connect(&c, t.ca.port, t.ca.cafile, 4096), 0);
	tlsraw_write(&c, POST_HEAD "Transfer-Encoding: chunked\r\n\r\n",
		     strlen(POST_HEAD "Transfer-Encoding: chunked\r\n\r\n"));
	for (i = 0; i < 512; i++) {	/* 8 MiB */
		if (tlsraw_write(&c, chunk_head, 6) != 6 || tlsraw_write(&c, chunk, n + 2) != n + 2)
			break;
	}
	tlsraw_close(&c);
	free(chunk);
	if (i == 512 || i * n > MAX_BODY + 3 * 1024 * 1024)
		fail_msg("an endless chunked body was taken for %zu bytes", i * n);
}

/* The CA's [server] max_connections_per_ip, from its listening line. */
static long per_ip_limit(void)
{
	char path[300], *log, *at;
	size_t len;
	long v = -1;

	snprintf(path, sizeof(path), "%s/ca.log", t.ca.dir);
	if (ar_file_read(path, 1 << 20, &log, &len, NULL) < 0)
		return -1;
	at = strstr(log, "max_connections_per_ip=");
	if (at)
		v = strtol(at + strlen("max_connections_per_ip="), NULL, 10);
	free(log);
	return v;
}

static int tcp_open(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)t.ca.port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* 1 when the server has closed @fd (end of file or reset) within @ms. */
static int closed_by_server(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;

	return poll(&p, 1, ms) == 1 && recv(fd, &c, 1, MSG_DONTWAIT) <= 0 &&
	       errno != EAGAIN;
}

/*
 * 1,030 idle connections from one address once held every connection slot
 * until the idle timeout. With the default per-address limit, connections
 * past it are closed at once, those within it stay, and a request from the
 * same address is served promptly once it is under the limit again.
 */
static void test_connection_flood_from_one_address_limited(void **state)
{
	enum { EXTRA = 8 };
	int fds[DEFAULT_PER_IP + EXTRA], i, refused = 0, open_ones = 0;
	httpc_req_t req = { "GET", NULL, t.ca.cafile, NULL, NULL, NULL, 0 };
	char url[300];
	httpc_resp_t r;
	int64_t t0;
	long ms;

	(void)state;
	assert_int_equal(per_ip_limit(), DEFAULT_PER_IP);
	for (i = 0; i < DEFAULT_PER_IP; i++) {
		fds[i] = tcp_open();
		assert_true(fds[i] >= 0);
	}
	lab_sleep_ms(200);		/* all accepted and counted */
	for (i = DEFAULT_PER_IP; i < DEFAULT_PER_IP + EXTRA; i++) {
		fds[i] = tcp_open();
		assert_true(fds[i] >= 0);	/* the kernel completes the handshake */
	}
	for (i = DEFAULT_PER_IP; i < DEFAULT_PER_IP + EXTRA; i++)
		refused += closed_by_server(fds[i], 1000);
	for (i = 0; i < DEFAULT_PER_IP; i++)
		open_ones += !closed_by_server(fds[i], 0);
	if (refused != EXTRA || open_ones != DEFAULT_PER_IP)
		fail_msg("past the limit %d of %d refused; within it %d of %d still open", refused,
			 EXTRA, open_ones, DEFAULT_PER_IP);

	/* Under the limit again: served at once, not after the idle timeout. */
	close(fds[0]);
	close(fds[1]);
	lab_sleep_ms(100);
	snprintf(url, sizeof(url), "%s/directory", t.ca.base);
	req.url = url;
	t0 = lab_now_ms();
	assert_int_equal(httpc(&req, &r), 0);
	ms = (long)(lab_now_ms() - t0);
	assert_int_equal(r.status, 200);
	httpc_free(&r);
	if (ms > 1500)
		fail_msg("the request within the limit took %ld ms", ms);
	for (i = 2; i < DEFAULT_PER_IP + EXTRA; i++)
		close(fds[i]);
}

/*
 * Slow-loris: a client that sends its header section, or its body, a byte
 * at a time never lets the idle timeout expire. The request must be in
 * within [server] timeout (the header section from the connection's start,
 * the body from the end of the headers): a CA with timeout = 2s cuts both
 * at about 2 s, whatever the trickle.
 */
static void test_slow_loris_cut_at_the_request_timeout(void **state)
{
	static const char *const heads[] = {
		"GET /directory HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ",
		POST_HEAD "Content-Length: 100\r\n\r\n",
	};
	ca_proc_t slow;
	char buf[4096];
	size_t i;

	(void)state;
	setenv("MKCA_SERVER_TIMEOUT", "2s", 1);
	assert_int_equal(catest_start_ca(&slow, t.redis.port, "no"), 0);
	unsetenv("MKCA_SERVER_TIMEOUT");
	for (i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		int64_t t0, took;
		int closed = 0;
		tlsraw_t c;

		assert_int_equal(tlsraw_connect(&c, slow.port, slow.cafile, 0), 0);
		t0 = lab_now_ms();
		assert_int_equal(tlsraw_write(&c, heads[i], strlen(heads[i])), strlen(heads[i]));
		while (!closed && lab_now_ms() - t0 < 8000) {
			if (tlsraw_write(&c, "a", 1) != 1)
				break;
			tlsraw_read(&c, buf, sizeof(buf), 250, &closed);
			if (buf[0])
				fprintf(stderr, "# got: %.200s\n", buf);
		}
		took = lab_now_ms() - t0;
		tlsraw_close(&c);
		fprintf(stderr, "# trickle %zu cut after %lld ms\n", i, (long long)took);
		assert_true(took >= 1500);
		assert_true(took < 4000);
	}
	catest_stop_ca(&slow);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_smuggling_with_two_content_lengths_refused),
		cmocka_unit_test(test_request_smuggling_with_transfer_encoding_refused),
		cmocka_unit_test(test_request_smuggling_by_a_folded_framing_field_refused),
		cmocka_unit_test(test_lone_content_length_not_plain_decimal_refused),
		cmocka_unit_test(test_request_with_two_hosts_or_none_refused),
		cmocka_unit_test(test_oversize_announced_body_answered_at_once),
		cmocka_unit_test(test_oversize_body_sent_whole_still_reads_the_413),
		cmocka_unit_test(test_oversize_chunked_body_refused),
		cmocka_unit_test(test_connection_flood_from_one_address_limited),
		cmocka_unit_test(test_slow_loris_cut_at_the_request_timeout),
	};

	return cmocka_run_group_tests_name("ca_http", tests, group_setup, group_teardown);
}
