/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The NOC event worker of acme-rats-ca against real peers: a real
 * redis-server carries the event stream and the session records, and a
 * real FreeRADIUS plays the NAS's Dynamic Authorization Server (RFC 5176),
 * checking our Request Authenticator and Message-Authenticator as any DAS
 * does. Covered: contraindicated -> Disconnect-Request to each session's
 * NAS (ACK and NAK Session-Context-Not-Found remove the session, other
 * NAKs, a wrong secret, an unknown NAS keep it), certificates marked renew
 * now; quarantine (reattest) -> renew now only; an event written while the
 * CA was down, and one it was acting on when it was killed, are both acted
 * on after the restart (at least once).
 */
#include "config.h"

#include <signal.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <unistd.h>

#include "testutil.h"
#include "lab/lab.h"
#include "catest.h"
#include "fileio.h"
#include "store.h"

static struct {
	lab_redis_t	redis;
	ca_proc_t	ca;
	pid_t		verifier;
	char		ctl_conf[300];
	pid_t		das;
	int		das_port;
	int		metrics_port;	/* the CA's metrics listener */
	char		dir[256];
	ar_store_t	*st;
} t;

#define SECRET	"das-secret-7f3a"

static int write_file(const char *name, const char *text, char *path, size_t size)
{
	snprintf(path, size, "%s/%s", t.dir, name);
	return ar_file_write_atomic(path, text, strlen(text), 0600, NULL);
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

/* The verifier, for the SOC API that acme-rats-ctl flag speaks to; and ctl.conf. */
static int start_verifier(void)
{
	char script[512], dir[300], port[16], rport[16], bin[512], conf[320], log[320], text[1200];
	int p = lab_free_port();

	snprintf(script, sizeof(script), "%s/tests/fixtures/mkverifier", catest_top("AR_TOP_SRCDIR"));
	snprintf(dir, sizeof(dir), "%s/verifier", t.dir);
	snprintf(port, sizeof(port), "%d", p);
	snprintf(rport, sizeof(rport), "%d", t.redis.port);
	{
		char *argv[] = { script, dir, port, rport, NULL };

		if (catest_run(argv) != 0)
			return -1;
	}
	snprintf(bin, sizeof(bin), "%s/verifier/acme-rats-verifier", catest_top("AR_TOP_BUILDDIR"));
	snprintf(conf, sizeof(conf), "%s/verifier.conf", dir);
	snprintf(log, sizeof(log), "%s/verifier.log", t.dir);
	{
		char *argv[] = { bin, "-c", conf, NULL };

		t.verifier = lab_spawn(argv, log);
	}
	if (t.verifier < 0 || lab_wait_tcp(p, 5000) < 0)
		return -1;
	snprintf(text, sizeof(text), "[redis]\nhost = 127.0.0.1\nport = %d\n\n[soc]\n"
		 "verifier_url = https://127.0.0.1:%d\ntoken_file = %s/soc-token\n"
		 "verifier_ca = %s/ca.crt\n", t.redis.port, p, dir, dir);
	return write_file("ctl.conf", text, t.ctl_conf, sizeof(t.ctl_conf));
}

/* Run acme-rats-ctl with @args (NULL-terminated); its exit status, output in @out. */
static int ctl(char *out, size_t size, ...)
{
	char bin[512], log[320], *argv[12], *text = NULL;
	va_list ap;
	size_t n = 0, len;
	int status, i = 0;
	pid_t pid;

	snprintf(bin, sizeof(bin), "%s/tools/acme-rats-ctl", catest_top("AR_TOP_BUILDDIR"));
	snprintf(log, sizeof(log), "%s/ctl.out", t.dir);
	unlink(log);
	argv[i++] = bin;
	argv[i++] = "-c";
	argv[i++] = t.ctl_conf;
	va_start(ap, size);
	while (i < 11 && (argv[i] = va_arg(ap, char *)) != NULL)
		i++;
	va_end(ap);
	argv[i] = NULL;
	pid = lab_spawn(argv, log);
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	out[0] = '\0';
	if (ar_file_read(log, size - 1, &text, &len, NULL) == 0) {
		n = len < size - 1 ? len : size - 1;
		memcpy(out, text, n);
		out[n] = '\0';
	}
	free(text);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int group_setup(void **state)
{
	char extra[1400], good[300], bad[300], path[300], script[512], port[16];
	ar_store_opts_t so = { .host = "127.0.0.1" };

	(void)state;
	if (lab_init() < 0 || lab_redis_start(&t.redis) < 0 || lab_tmpdir(t.dir, sizeof(t.dir)) < 0)
		return -1;
	t.das_port = lab_free_port();
	snprintf(port, sizeof(port), "%d", t.das_port);
	snprintf(script, sizeof(script), "%s/tests/fixtures/mkdas", catest_top("AR_TOP_SRCDIR"));
	snprintf(path, sizeof(path), "%s/das", t.dir);
	{
		char *argv[] = { script, path, port, SECRET, NULL };
		char *fr[] = { "/usr/sbin/freeradius", "-X", "-f", "-d", path, NULL };
		char log[320];

		snprintf(log, sizeof(log), "%s/das.log", t.dir);
		if (catest_run(argv) != 0)
			return -1;
		t.das = lab_spawn(fr, log);
		if (t.das < 0 || wait_for_text(log, "Ready to process requests", 10000) < 0)
			return -1;
	}
	if (write_file("das.secret", SECRET "\n", good, sizeof(good)) < 0 ||
	    write_file("wrong.secret", "not-the-secret\n", bad, sizeof(bad)) < 0)
		return -1;
	/* ap-7 is the DAS; ap-8 has the wrong secret; ap-9's DAS port is closed. */
	snprintf(extra, sizeof(extra),
		 "[events]\nworker = yes\ngroup = noc\nconsumer = ca-test\nreclaim_after = 2s\n\n"
		 "[nas \"ap-7\"]\naddress = 127.0.0.1\ndas_port = %d\nsecret_file = %s\n"
		 "nas_identifier = ap-7\ntimeout = 300ms\nretries = 1\n\n"
		 "[nas \"ap-8\"]\naddress = 127.0.0.1\ndas_port = %d\nsecret_file = %s\n"
		 "nas_identifier = ap-8\ntimeout = 300ms\nretries = 1\n\n"
		 "[nas \"ap-9\"]\naddress = 127.0.0.1\ndas_port = %d\nsecret_file = %s\n"
		 "nas_identifier = ap-9\ntimeout = 300ms\nretries = 0\n\n"
		 "[metrics]\nlisten = 127.0.0.1:%d\n",
		 t.das_port, good, t.das_port, bad, lab_free_port(), good,
		 t.metrics_port = lab_free_port());
	if (write_file("events.conf", extra, path, sizeof(path)) < 0)
		return -1;
	setenv("MKCA_EXTRA", path, 1);
	if (catest_start_ca(&t.ca, t.redis.port, "no") < 0 || start_verifier() < 0)
		return -1;
	so.port = t.redis.port;
	t.st = ar_store_open(&so, NULL);
	/* The worker has created its group once it logs that it started. */
	snprintf(path, sizeof(path), "%s/ca.log", t.ca.dir);
	return t.st && wait_for_text(path, "event=noc.started", 5000) == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	ar_store_close(t.st);
	catest_stop_ca(&t.ca);
	if (t.verifier > 0)
		lab_stop(t.verifier, 3000);
	if (t.das > 0)
		lab_stop(t.das, 3000);
	lab_redis_stop(&t.redis);
	lab_rmtree(t.dir);
	return 0;
}

static void session(const char *device, const char *nas_id, const char *id, const char *serial)
{
	ar_store_session_t ss;

	memset(&ss, 0, sizeof(ss));
	snprintf(ss.nas_ip, sizeof(ss.nas_ip), "127.0.0.1");
	snprintf(ss.nas_id, sizeof(ss.nas_id), "%s", nas_id);
	snprintf(ss.acct_session_id, sizeof(ss.acct_session_id), "%s", id);
	snprintf(ss.calling_station_id, sizeof(ss.calling_station_id), "02-00-00-00-00-07");
	snprintf(ss.user_name, sizeof(ss.user_name), "%s", device);
	snprintf(ss.serial, sizeof(ss.serial), "%s", serial);
	ss.started = time(NULL);
	assert_int_equal(ar_store_session_put(t.st, device, &ss, 3600, NULL), 0);
}

static void certificate(const char *device, const char *serial)
{
	ar_store_cert_t c;

	memset(&c, 0, sizeof(c));
	snprintf(c.device, sizeof(c.device), "%s", device);
	snprintf(c.aki, sizeof(c.aki), "0123456789abcdef0123456789abcdef01234567");
	snprintf(c.serial, sizeof(c.serial), "%s", serial);
	snprintf(c.order, sizeof(c.order), "https://ca.test/acme/order/x");
	c.not_after = time(NULL) + 8 * 3600;
	assert_int_equal(ar_store_cert_put(t.st, &c, NULL), 0);
}

static void event(const char *type, const char *device, const char *status, const char *serial)
{
	ar_store_event_t ev;

	memset(&ev, 0, sizeof(ev));
	snprintf(ev.type, sizeof(ev.type), "%s", type);
	snprintf(ev.device, sizeof(ev.device), "%s", device);
	snprintf(ev.status, sizeof(ev.status), "%s", status);
	snprintf(ev.serial, sizeof(ev.serial), "%s", serial);
	snprintf(ev.reason, sizeof(ev.reason), "test");
	snprintf(ev.source, sizeof(ev.source), "soc-test");
	assert_int_equal(ar_store_event_add(t.st, &ev, NULL, NULL), 0);
}

static int has_session(const char *device, const char *id)
{
	ar_store_session_t *list = NULL;
	size_t n = 0, i;
	int found = 0;

	assert_int_equal(ar_store_session_list(t.st, device, &list, &n, NULL), 0);
	for (i = 0; i < n; i++)
		found |= !strcmp(list[i].acct_session_id, id);
	free(list);
	return found;
}

static int renew_now_of(const char *device, const char *serial)
{
	ar_store_cert_t c;

	assert_int_equal(ar_store_cert_get(t.st, device, "0123456789abcdef0123456789abcdef01234567",
					   serial, &c, NULL), 1);
	return c.renew_now;
}

static void ca_log(char *path, size_t size)
{
	snprintf(path, size, "%s/ca.log", t.ca.dir);
}

/* The CA's metrics listener (loopback, no token): the value of @series, 0 when absent. */
static double metric(const char *series)
{
	httpc_req_t req = { "GET", NULL, t.ca.cafile, NULL, NULL, NULL, 0 };
	char url[128];
	httpc_resp_t r;
	const char *p;
	double v = 0;
	size_t n = strlen(series);

	snprintf(url, sizeof(url), "https://127.0.0.1:%d/metrics", t.metrics_port);
	req.url = url;
	assert_int_equal(httpc(&req, &r), 0);
	assert_int_equal(r.status, 200);
	for (p = r.body; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, series, n) && p[n] == ' ')
			v = strtod(p + n + 1, NULL);
	httpc_free(&r);
	return v;
}

static void test_contraindicated_disconnects_every_session(void **state)
{
	static const char *const results[] = { "ack", "nak", "timeout", "no_nas" };
	static const double want[] = { 1, 2, 2, 1 };
	double before[4];
	char log[300], series[96];
	int64_t t0;
	size_t i;

	(void)state;
	for (i = 0; i < 4; i++) {
		snprintf(series, sizeof(series), "acme_rats_disconnects_total{result=\"%s\"}",
			 results[i]);
		before[i] = metric(series);
	}
	certificate("SUB-0042", "0a01");
	certificate("SUB-0042", "0a02");
	session("SUB-0042", "ap-7", "sess-a", "0a01");	/* ACK */
	session("SUB-0042", "ap-7", "gone", "0a01");	/* NAK Session-Context-Not-Found */
	session("SUB-0042", "ap-7", "stuck", "0a01");	/* NAK Session-Context-Not-Removable */
	session("SUB-0042", "ap-8", "sess-b", "0a02");	/* wrong secret: no answer */
	session("SUB-0042", "ap-9", "sess-c", "0a02");	/* nothing listens */
	session("SUB-0042", "ap-unknown", "sess-d", "0a02");	/* no [nas] for it */
	t0 = lab_now_ms();
	event("soc_flag", "SUB-0042", "contraindicated", "");
	ca_log(log, sizeof(log));
	assert_int_equal(wait_for_text(log, "event=noc.handled", 8000), 0);
	printf("# soc flag -> event handled: %lld ms (ap-8 waits 2 x 300 ms)\n",
	       (long long)(lab_now_ms() - t0));
	assert_false(has_session("SUB-0042", "sess-a"));
	assert_false(has_session("SUB-0042", "gone"));
	assert_true(has_session("SUB-0042", "stuck"));
	assert_true(has_session("SUB-0042", "sess-b"));
	assert_true(has_session("SUB-0042", "sess-c"));
	assert_true(has_session("SUB-0042", "sess-d"));
	assert_int_equal(renew_now_of("SUB-0042", "0a01"), 1);
	assert_int_equal(renew_now_of("SUB-0042", "0a02"), 1);
	assert_int_equal(wait_for_text(log, "session=sess-a nas=ap-7 result=ack", 100), 0);
	assert_int_equal(wait_for_text(log, "result=nak cause=Session-Context-Not-Removable", 100), 0);
	assert_int_equal(wait_for_text(log, "session=sess-b nas=ap-8 result=failed", 100), 0);
	assert_int_equal(wait_for_text(log, "session=sess-d nas_ip=127.0.0.1 nas_id=ap-unknown "
				       "result=no_nas", 100), 0);
	assert_int_equal(wait_for_text(log, "disconnected=2 failed=4 renew_now=2", 100), 0);
	/* Counted by result: ack, NAKs (gone, stuck), no answer (ap-8, ap-9), no [nas]
	 * (added once the event is handled: give it a moment). */
	for (i = 0; i < 4; i++) {
		int64_t end = lab_now_ms() + 2000;

		snprintf(series, sizeof(series), "acme_rats_disconnects_total{result=\"%s\"}",
			 results[i]);
		while (metric(series) != before[i] + want[i] && lab_now_ms() < end)
			lab_sleep_ms(50);
		if (metric(series) != before[i] + want[i])
			fail_msg("%s: %g before, %g after, want +%g", series, before[i], metric(series),
				 want[i]);
	}
	assert_true(metric("acme_rats_events_pending") == 0);
	assert_true(metric("acme_rats_redis_up") == 1);
	/* The DAS saw what a NAS needs to find the session. */
	snprintf(log, sizeof(log), "%s/das.log", t.dir);
	assert_int_equal(wait_for_text(log, "Acct-Session-Id = \"sess-a\"", 100), 0);
	assert_int_equal(wait_for_text(log, "Event-Timestamp = ", 100), 0);
	assert_int_equal(wait_for_text(log, "Calling-Station-Id = \"02-00-00-00-00-07\"", 100), 0);
}

static void test_quarantine_marks_renew_now_without_disconnecting(void **state)
{
	char log[300];

	(void)state;
	certificate("SUB-0043", "0b01");
	certificate("SUB-0043", "0b02");
	session("SUB-0043", "ap-7", "sess-q", "0b01");
	event("reattest", "SUB-0043", "warning", "0b01");
	ca_log(log, sizeof(log));
	assert_int_equal(wait_for_text(log, "type=reattest device=SUB-0043", 5000), 0);
	assert_int_equal(renew_now_of("SUB-0043", "0b01"), 1);
	assert_int_equal(renew_now_of("SUB-0043", "0b02"), 0);	/* only the certificate seen */
	assert_true(has_session("SUB-0043", "sess-q"));
}

static void test_events_survive_a_crash_of_the_worker(void **state)
{
	char log[300];
	int64_t end;

	(void)state;
	ca_log(log, sizeof(log));
	/* Killed while acting: the silent ap-8 keeps the worker busy 2 x 300 ms. */
	certificate("SUB-0044", "0c01");
	session("SUB-0044", "ap-8", "sess-slow", "0c01");
	session("SUB-0044", "ap-7", "sess-late", "0c01");
	event("soc_flag", "SUB-0044", "contraindicated", "");
	lab_sleep_ms(150);
	assert_int_equal(kill(t.ca.pid, SIGKILL), 0);
	lab_stop(t.ca.pid, 3000);
	assert_int_equal(wait_for_text(log, "type=soc_flag device=SUB-0044", 0), -1);
	/* Written while no worker runs. */
	certificate("SUB-0045", "0d01");
	session("SUB-0045", "ap-7", "sess-down", "0d01");
	event("soc_flag", "SUB-0045", "contraindicated", "");
	assert_int_equal(catest_restart_ca(&t.ca), 0);
	end = lab_now_ms() + 8000;
	while ((has_session("SUB-0044", "sess-late") || has_session("SUB-0045", "sess-down")) &&
	       lab_now_ms() < end)
		lab_sleep_ms(50);
	assert_false(has_session("SUB-0044", "sess-late"));
	assert_false(has_session("SUB-0045", "sess-down"));
	assert_int_equal(renew_now_of("SUB-0045", "0d01"), 1);
	/* The interrupted event was taken up again and finished. */
	assert_int_equal(wait_for_text(log, "type=soc_flag device=SUB-0044", 3000), 0);
}

/* The operator's view and actions: acme-rats-ctl over Redis, the SOC API and the worker. */
static void test_ctl_views_and_actions(void **state)
{
	char out[16384], log[300];
	json_t *j;
	size_t i;
	int found = 0;

	(void)state;
	certificate("SUB-0046", "0e01");
	session("SUB-0046", "ap-7", "sess-ctl", "0e01");
	session("SUB-0046", "ap-7", "sess-soc", "0e01");

	assert_int_equal(ctl(out, sizeof(out), "--json", "devices", NULL), 0);
	j = json_loads(out, 0, NULL);
	assert_true(json_is_array(j));
	for (i = 0; i < json_array_size(j); i++) {
		json_t *d = json_array_get(j, i);

		if (!strcmp(json_string_value(json_object_get(d, "device")), "SUB-0046")) {
			found = 1;
			assert_int_equal(json_integer_value(json_object_get(d, "sessions")), 2);
		}
	}
	assert_true(found);
	json_decref(j);
	assert_int_equal(ctl(out, sizeof(out), "devices", NULL), 0);
	assert_non_null(strstr(out, "DEVICE"));
	assert_non_null(strstr(out, "SUB-0046"));

	/* The module's counters and the event lag, in a format promtool takes. */
	assert_int_equal(ctl(out, sizeof(out), "metrics", NULL), 0);
	assert_non_null(strstr(out, "# TYPE acme_rats_radius_decisions_total counter\n"));
	assert_non_null(strstr(out, "acme_rats_radius_check_latency_seconds_bucket{le=\"+Inf\"} "));
	assert_non_null(strstr(out, "\nacme_rats_events_stream_length "));
	{
		char prom[320];
		char *argv[] = { "/bin/sh", "-c", "promtool check metrics < \"$1\"", "sh", prom, NULL };

		snprintf(prom, sizeof(prom), "%s/ctl-metrics.prom", t.dir);
		assert_int_equal(ar_file_write_atomic(prom, out, strlen(out), 0600, NULL), 0);
		assert_int_equal(catest_run(argv), 0);
	}

	assert_int_equal(ctl(out, sizeof(out), "device", "SUB-0043", NULL), 0);
	assert_non_null(strstr(out, "CERTIFICATES"));
	assert_non_null(strstr(out, "0b01"));
	assert_non_null(strstr(out, "reattest"));		/* its last events */
	assert_int_equal(ctl(out, sizeof(out), "device", "NO-SUCH-DEVICE", NULL), 1);
	assert_int_equal(ctl(out, sizeof(out), "device", "bad device{", NULL), 2);
	assert_int_equal(ctl(out, sizeof(out), "flag", "SUB-0046", "purple", "--reason", "x", NULL), 2);

	/* disconnect: the worker acts on the operator's request. */
	assert_int_equal(ctl(out, sizeof(out), "disconnect", "SUB-0046", "--reason",
			     "maintenance", NULL), 0);
	ca_log(log, sizeof(log));
	assert_int_equal(wait_for_text(log, "type=disconnect device=SUB-0046", 5000), 0);
	assert_false(has_session("SUB-0046", "sess-ctl"));

	/* flag: SOC API -> soc_flag event -> worker -> Disconnect-Request. */
	session("SUB-0046", "ap-7", "sess-soc", "0e01");
	assert_int_equal(ctl(out, sizeof(out), "flag", "SUB-0046", "contraindicated", "--reason",
			     "EDR alert 4711", NULL), 0);
	assert_int_equal(wait_for_text(log, "type=soc_flag device=SUB-0046 status=contraindicated",
				       5000), 0);
	assert_false(has_session("SUB-0046", "sess-soc"));
	assert_int_equal(renew_now_of("SUB-0046", "0e01"), 1);
	assert_int_equal(ctl(out, sizeof(out), "--json", "device", "SUB-0046", NULL), 0);
	j = json_loads(out, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "posture"),
								"status")), "contraindicated");
	json_decref(j);
	assert_int_equal(ctl(out, sizeof(out), "events", "--count", "50", NULL), 0);
	assert_non_null(strstr(out, "EDR alert 4711"));
}

/* Redis dies and comes back: the worker reconnects by itself and acts on what follows. */
static void test_worker_survives_a_redis_restart(void **state)
{
	char log[300];

	(void)state;
	assert_int_equal(lab_redis_kill(&t.redis), 0);
	lab_sleep_ms(1500);			/* the worker notices and backs off */
	assert_int_equal(lab_redis_restart(&t.redis), 0);
	certificate("SUB-0047", "0f01");
	session("SUB-0047", "ap-7", "sess-after", "0f01");
	event("soc_flag", "SUB-0047", "contraindicated", "");
	ca_log(log, sizeof(log));
	assert_int_equal(wait_for_text(log, "type=soc_flag device=SUB-0047", 10000), 0);
	assert_false(has_session("SUB-0047", "sess-after"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_contraindicated_disconnects_every_session),
		cmocka_unit_test(test_quarantine_marks_renew_now_without_disconnecting),
		cmocka_unit_test(test_events_survive_a_crash_of_the_worker),
		cmocka_unit_test(test_ctl_views_and_actions),
		cmocka_unit_test(test_worker_survives_a_redis_restart),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
