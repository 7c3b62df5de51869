/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SOC integration end to end: SIEM alerts POSTed to the real verifier over
 * HTTPS (Wazuh's format signed with HMAC, Elastic's with a bearer token)
 * against a real redis-server, and the stream's events read back from the
 * syslog socket the verifier writes to (a Unix datagram socket this test
 * binds, as the receiver).
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>
#include <openssl/evp.h>

#include "testutil.h"
#include "lab/lab.h"
#include "httpc.h"
#include "b64.h"
#include "ear.h"
#include "evidence.h"
#include "evidence_jws.h"
#include "fileio.h"
#include "hex.h"
#include "jwk.h"
#include "store.h"
#include "verdict.h"
#include "vtest.h"

#define WAZUH_SECRET	"wazuh-shared-secret-0123456789abcdef"
#define ELASTIC_TOKEN	"elastic-bearer-token-0123456789abcdef"
#define FLOOD_TOKEN	"flood-bearer-token-0123456789abcdef"

static struct {
	lab_redis_t	redis;
	vtest_t		v;
	char		ctl_conf[320];
	int		sock;		/* the syslog receiver */
	ar_store_t	*store;
	redisContext	*redis_raw;
	unsigned	seq;
} t;

static int write_text(const char *name, const char *text, char *path, size_t size)
{
	snprintf(path, size, "%s/%s", t.v.dir, name);
	return ar_file_write_atomic(path, text, strlen(text), 0600, NULL);
}

/* A Unix datagram socket bound at @path: the syslog receiver. */
static int bind_receiver(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 0, .tv_usec = 200000 };
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

	if (fd < 0 || strlen(path) >= sizeof(sa.sun_path))
		return -1;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* One datagram (NUL-terminated) within the socket timeout; its length or -1. */
static ssize_t receive(int fd, char *buf, size_t size)
{
	ssize_t n = recv(fd, buf, size - 1, 0);

	if (n >= 0)
		buf[n] = '\0';
	return n;
}

/* Add a probe event until the writer (its group now exists) passes one on. */
static int wait_writer(int fd)
{
	int64_t end = lab_now_ms() + 8000;
	ar_store_event_t ev;
	char buf[4096];

	memset(&ev, 0, sizeof(ev));
	snprintf(ev.type, sizeof(ev.type), "probe");
	snprintf(ev.source, sizeof(ev.source), "test");
	while (lab_now_ms() < end) {
		if (ar_store_event_add(t.store, &ev, NULL, NULL) < 0)
			return -1;
		if (receive(fd, buf, sizeof(buf)) > 0) {
			while (receive(fd, buf, sizeof(buf)) > 0)
				;
			return 0;
		}
	}
	return -1;
}

static const char alert_conf[] =
	"\n[alert_source \"wazuh\"]\nauth = hmac\nsecret_file = %s/wazuh.secret\nrules = wazuh\n"
	"max_skew = 5m\nburst = 200\n"
	"\n[alert_source \"wazuh-edge\"]\nauth = hmac\nsecret_file = %s/wazuh.secret\n"
	"rules = wazuh\n"
	"\n[alert_source \"wazuh-short\"]\nauth = hmac\nsecret_file = %s/wazuh.secret\n"
	"rules = wazuh\nmax_skew = 30s\ndedup_ttl = 60s\n"
	"\n[alert_source \"elastic\"]\nauth = bearer\nsecret_file = %s/elastic.token\n"
	"rules = elastic\n"
	"\n[alert_source \"flood\"]\nauth = bearer\nsecret_file = %s/flood.token\nrules = wazuh\n"
	"rate = 1\nburst = 2\n"
	"\n[syslog]\nenabled = yes\npath = %s/syslog.sock\nformat = json\nfacility = local3\n"
	"app_name = acme-rats\n";

static int setup(void **state)
{
	char path[320], extra[2400];
	/* generous timeouts: the machine may be loaded (sanitizer builds) */
	ar_store_opts_t so = { .host = "127.0.0.1", .connect_timeout_ms = 3000,
			       .command_timeout_ms = 3000 };

	(void)state;
	if (lab_init() < 0 || lab_redis_start(&t.redis) < 0 ||
	    lab_tmpdir(t.v.dir, sizeof(t.v.dir)) < 0 || vtest_make(&t.v, t.redis.port) < 0)
		return -1;
	if (write_text("wazuh.secret", WAZUH_SECRET "\n", path, sizeof(path)) < 0 ||
	    write_text("elastic.token", ELASTIC_TOKEN "\n", path, sizeof(path)) < 0 ||
	    write_text("flood.token", FLOOD_TOKEN "\n", path, sizeof(path)) < 0)
		return -1;
	snprintf(extra, sizeof(extra), alert_conf, t.v.dir, t.v.dir, t.v.dir, t.v.dir, t.v.dir,
		 t.v.dir);
	if (vtest_append(t.v.conf, extra) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/syslog.sock", t.v.dir);
	t.sock = bind_receiver(path);
	if (t.sock < 0 || vtest_start(&t.v) < 0)
		return -1;
	snprintf(extra, sizeof(extra), "[redis]\nhost = 127.0.0.1\nport = %d\n\n[soc]\n"
		 "verifier_url = %s\ntoken_file = %s/soc-token\nverifier_ca = %s\n", t.redis.port,
		 t.v.base, t.v.dir, t.v.ca);
	if (write_text("ctl.conf", extra, t.ctl_conf, sizeof(t.ctl_conf)) < 0)
		return -1;
	so.port = t.redis.port;
	t.store = ar_store_open(&so, NULL);
	t.redis_raw = redisConnect("127.0.0.1", t.redis.port);
	if (!t.store || !t.redis_raw || t.redis_raw->err)
		return -1;
	return wait_writer(t.sock);
}

static int teardown(void **state)
{
	int rc = 0;

	(void)state;
	/* a clean exit: the writer thread stopped, nothing leaked (sanitizer builds) */
	rc = vtest_stop(&t.v);
	if (t.sock >= 0)
		close(t.sock);
	ar_store_close(t.store);
	if (t.redis_raw)
		redisFree(t.redis_raw);
	lab_redis_stop(&t.redis);
	lab_rmtree(t.v.dir);
	return rc;
}

/* ---- devices ---- */

/* Enrol @device with a key of its own and attest it, reporting @hostname. */
static void enrolled_device(const char *device, const char *hostname)
{
	ar_jwk_t *identity = ar_jwk_generate("ES256", NULL), *key = ar_jwk_generate("ES256", NULL);
	ar_store_identity_t id;
	char path[512], *text, *jws, *pub;
	httpc_resp_t r;
	ar_evidence_t ev;
	json_t *j;

	assert_non_null(identity);
	assert_non_null(key);
	/* as the CA binds it at EAB newAccount */
	memset(&id, 0, sizeof(id));
	j = ar_jwk_public_json(identity);
	pub = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	snprintf(id.jkt, sizeof(id.jkt), "%s", ar_jwk_thumbprint(identity));
	snprintf(id.jwk, sizeof(id.jwk), "%s", pub);
	snprintf(id.eab_kid, sizeof(id.eab_kid), "kid-%s", device);
	free(pub);
	assert_int_equal(ar_store_identity_bind(t.store, device, &id, NULL, NULL), 1);

	memset(&ev, 0, sizeof(ev));
	vtest_new_session(&t.v, NULL, path, sizeof(path), ev.nonce, sizeof(ev.nonce));
	ev.collected_at = time(NULL);
	snprintf(ev.device_id, sizeof(ev.device_id), "%s", device);
	snprintf(ev.hostname, sizeof(ev.hostname), "%s", hostname);
	snprintf(ev.os_id, sizeof(ev.os_id), "debian");
	snprintf(ev.os_version, sizeof(ev.os_version), "12");
	ev.last_security_update = time(NULL) - 86400;
	ev.disk_encrypted = ev.edr_running = ev.efi = ev.secure_boot = -1;
	ev.key_storage = AR_KEY_FILE;
	snprintf(ev.key_jkt, sizeof(ev.key_jkt), "%s", ar_jwk_thumbprint(key));
	j = ar_evidence_to_json(&ev);
	text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	jws = ar_evidence_sign_text(text, strlen(text), identity, NULL);
	assert_non_null(jws);
	assert_int_equal(vtest_request(&t.v, "POST", path, AR_MT_EVIDENCE_JWS, NULL, jws, &r), 0);
	if (r.status != 200)
		fail_msg("attest %s: %ld %s", device, r.status, r.body);
	httpc_free(&r);
	free(jws);
	free(text);
	ar_jwk_free(identity);
	ar_jwk_free(key);
}

/* ---- alerts ---- */

/* A fixture alert with some members replaced: pairs of path ("a.b") and value, NULL-ended. */
static char *alert_from(const char *fixture, ...)
{
	char path[512];
	json_error_t jerr;
	json_t *root;
	va_list ap;
	const char *k;
	char *text;

	snprintf(path, sizeof(path), "%s/tests/fixtures/alerts/%s", vtest_top("AR_TOP_SRCDIR"), fixture);
	root = json_load_file(path, 0, &jerr);
	if (!root)
		fail_msg("%s: %s", path, jerr.text);
	va_start(ap, fixture);
	while ((k = va_arg(ap, const char *)) != NULL) {
		json_t *v = va_arg(ap, json_t *), *obj = root;
		const char *dot = strchr(k, '.');

		if (dot && !json_object_get(root, k)) {	/* one level: "agent.name" */
			char first[64];

			snprintf(first, sizeof(first), "%.*s", (int)(dot - k), k);
			obj = json_object_get(root, first);
			k = dot + 1;
		}
		if (v)
			json_object_set_new(obj, k, v);
		else
			json_object_del(obj, k);
	}
	va_end(ap);
	text = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	return text;
}

/* A fresh alert id. */
static const char *fresh_id(char *buf, size_t size)
{
	snprintf(buf, size, "%lld.%u%06u", (long long)time(NULL), (unsigned)getpid(), ++t.seq);
	return buf;
}

/* HMAC-SHA256(@secret, "<source>.<ts>.<body>") as hex. */
static void hmac_hex(const char *secret, const char *source, const char *ts, const char *body,
		     char hex[65])
{
	unsigned char md[32];
	size_t n = 0, sl = strlen(source), tl = strlen(ts);
	char *msg = malloc(sl + tl + strlen(body) + 3);

	assert_non_null(msg);
	memcpy(msg, source, sl);
	msg[sl] = '.';
	memcpy(msg + sl + 1, ts, tl);
	msg[sl + 1 + tl] = '.';
	memcpy(msg + sl + tl + 2, body, strlen(body) + 1);
	assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, secret, strlen(secret),
				  (unsigned char *)msg, strlen(msg), md, sizeof(md), &n));
	assert_int_equal(ar_hex_encode(md, sizeof(md), hex, 65, NULL) >= 0, 1);
	free(msg);
}

/* POST to source @to an alert signed for source @signed_for with @secret at time @ts (0: now). */
static void post_signed_for(const char *to, const char *signed_for, const char *secret,
			    int64_t ts, const char *body, httpc_resp_t *r)
{
	char url[300], tsh[80], sigh[120], tss[24], hex[65];
	const char *headers[] = { tsh, sigh, NULL };
	httpc_req_t req = { "POST", url, t.v.ca, "application/json", NULL, body, strlen(body) };

	snprintf(url, sizeof(url), "%s/soc/alerts?source=%s", t.v.base, to);
	snprintf(tss, sizeof(tss), "%lld", (long long)(ts ? ts : time(NULL)));
	hmac_hex(secret, signed_for, tss, body, hex);
	snprintf(tsh, sizeof(tsh), "X-Acme-Rats-Timestamp: %s", tss);
	snprintf(sigh, sizeof(sigh), "X-Acme-Rats-Signature: sha256=%s", hex);
	assert_int_equal(httpc_headers(&req, headers, r), 0);
}

/* POST an alert signed for @source with @secret at time @ts (0: now). */
static void post_signed(const char *source, const char *secret, int64_t ts, const char *body,
			httpc_resp_t *r)
{
	post_signed_for(source, source, secret, ts, body, r);
}

static void post_bearer(const char *source, const char *token, const char *body, httpc_resp_t *r)
{
	char url[300];
	httpc_req_t req = { "POST", url, t.v.ca, "application/json", token, body, strlen(body) };

	snprintf(url, sizeof(url), "%s/soc/alerts?source=%s", t.v.base, source);
	assert_int_equal(httpc(&req, r), 0);
}

static void expect(const httpc_resp_t *r, long status, const char *needle)
{
	if (r->status != status || !strstr(r->body, needle))
		fail_msg("want %ld \"%s\", got %ld %s", status, needle, r->status, r->body);
	if (status >= 400)
		assert_string_equal(r->content_type, "application/problem+json");
}

/* ---- what must not change ---- */

typedef struct world {
	long long		keys;
	char			last_event[AR_STORE_EVENT_ID_MAX + 1];
	int			have_posture, have_verdict;
	ar_store_posture_t	posture;
	ar_store_verdict_t	verdict;
} world_t;

static long long dbsize(void)
{
	redisReply *r = redisCommand(t.redis_raw, "DBSIZE");
	long long n;

	assert_non_null(r);
	assert_int_equal(r->type, REDIS_REPLY_INTEGER);
	n = r->integer;
	freeReplyObject(r);
	return n;
}

static void world(const char *device, world_t *w)
{
	ar_store_event_t ev;

	memset(w, 0, sizeof(*w));
	w->keys = dbsize();
	if (ar_store_event_recent(t.store, &ev, 1, NULL) == 1)
		snprintf(w->last_event, sizeof(w->last_event), "%s", ev.id);
	w->have_posture = ar_store_posture_get(t.store, device, &w->posture, NULL);
	w->have_verdict = ar_store_verdict_get(t.store, device, &w->verdict, NULL);
}

static void assert_same_world(const char *device, const world_t *before)
{
	world_t now;

	world(device, &now);
	assert_true(now.keys == before->keys);
	assert_string_equal(now.last_event, before->last_event);
	assert_int_equal(now.have_posture, before->have_posture);
	assert_int_equal(now.have_verdict, before->have_verdict);
	assert_memory_equal(&now.posture, &before->posture, sizeof(now.posture));
	assert_memory_equal(&now.verdict, &before->verdict, sizeof(now.verdict));
}

/* The newest stream entry for @device. */
static void last_event_of(const char *device, ar_store_event_t *out)
{
	ar_store_event_t evs[64];
	int i, n = ar_store_event_recent(t.store, evs, 64, NULL);

	for (i = 0; i < n; i++) {
		if (!strcmp(evs[i].device, device)) {
			*out = evs[i];
			return;
		}
	}
	fail_msg("no event for %s", device);
}

/* Run acme-rats-ctl; its exit status. */
static int ctl(char *const args[])
{
	char bin[512], log[320], *argv[12];
	int status, i = 0;
	pid_t pid;

	snprintf(bin, sizeof(bin), "%s/tools/acme-rats-ctl", vtest_top("AR_TOP_BUILDDIR"));
	snprintf(log, sizeof(log), "%s/ctl.out", t.v.dir);
	argv[i++] = bin;
	argv[i++] = "-c";
	argv[i++] = t.ctl_conf;
	while (*args && i < 11)
		argv[i++] = *args++;
	argv[i] = NULL;
	pid = lab_spawn(argv, log);
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* ---- alerts in ---- */

static void test_wazuh_alert_flags_device_like_ctl_flag(void **state)
{
	char id[64], reason[300], *body;
	char *args[] = { "flag", "SUB-0302", "contraindicated", "--reason", "EDR alert 4711", NULL };
	ar_store_verdict_t va, vb;
	ar_store_posture_t pa, pb;
	ar_store_event_t ea, eb;
	ar_store_identity_t ida;
	httpc_resp_t r;
	json_t *j;

	(void)state;
	enrolled_device("SUB-0301", "inspector-7");
	enrolled_device("SUB-0302", "ctl-reference");
	/* the reference: the operator's command */
	assert_int_equal(ctl(args), 0);
	assert_int_equal(ar_store_verdict_get(t.store, "SUB-0302", &vb, NULL), 1);
	assert_int_equal(ar_store_posture_get(t.store, "SUB-0302", &pb, NULL), 1);
	last_event_of("SUB-0302", &eb);

	/* the SIEM: Wazuh's level-12 ClamAV alert for agent inspector-7 */
	body = alert_from("wazuh-alert.json", "id", json_string(fresh_id(id, sizeof(id))), NULL);
	post_signed("wazuh", WAZUH_SECRET, 0, body, &r);
	expect(&r, 200, "\"duplicate\":false");
	j = json_loads(r.body, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(j, "device")), "SUB-0301");
	assert_string_equal(json_string_value(json_object_get(j, "status")), "contraindicated");
	assert_string_equal(json_string_value(json_object_get(j, "alert_id")), id);
	json_decref(j);
	httpc_free(&r);
	free(body);

	/* the same verdict record, posture and event as the command made */
	assert_int_equal(ar_store_verdict_get(t.store, "SUB-0301", &va, NULL), 1);
	assert_int_equal(va.status, vb.status);
	assert_int_equal(va.status, AR_STATUS_CONTRAINDICATED);
	assert_string_equal(va.source, vb.source);
	assert_int_equal(ar_store_identity_get(t.store, "SUB-0301", &ida, NULL), 1);
	assert_string_equal(va.identity, ida.jkt);
	snprintf(reason, sizeof(reason), "wazuh alert %s: ClamAV: virus detected in "
		 "/home/inspector/Downloads/substation-report.pdf.exe", id);
	assert_string_equal(va.reason, reason);
	assert_int_equal(ar_store_posture_get(t.store, "SUB-0301", &pa, NULL), 1);
	assert_int_equal(pa.status, pb.status);
	assert_memory_equal(pa.reason, AR_VERDICT_REASON_PREFIX, strlen(AR_VERDICT_REASON_PREFIX));
	assert_memory_equal(pb.reason, AR_VERDICT_REASON_PREFIX, strlen(AR_VERDICT_REASON_PREFIX));
	last_event_of("SUB-0301", &ea);
	assert_string_equal(ea.type, eb.type);
	assert_string_equal(ea.type, "soc_flag");
	assert_string_equal(ea.status, eb.status);
	assert_string_equal(ea.source, eb.source);
	assert_string_equal(ea.reason, reason);
	assert_true(vtest_logged(&t.v, "event=alert.accepted", "source=wazuh", "device=SUB-0301"));
}

static void test_elastic_alert_flags_device(void **state)
{
	ar_store_verdict_t vd;
	ar_store_event_t ev;
	httpc_resp_t r;
	char *body;

	(void)state;
	enrolled_device("SUB-0303", "inspector-9");
	body = alert_from("elastic-alert.json", NULL);
	post_bearer("elastic", "not-the-token", body, &r);
	expect(&r, 401, "urn:acme-rats:verifier:error:unauthorized");
	httpc_free(&r);
	assert_int_equal(ar_store_verdict_get(t.store, "SUB-0303", &vd, NULL), 0);

	post_bearer("elastic", ELASTIC_TOKEN, body, &r);
	expect(&r, 200, "\"device\":\"SUB-0303\"");
	httpc_free(&r);
	free(body);
	assert_int_equal(ar_store_verdict_get(t.store, "SUB-0303", &vd, NULL), 1);
	assert_int_equal(vd.status, AR_STATUS_CONTRAINDICATED);	/* severity high */
	assert_non_null(strstr(vd.reason, "elastic alert 8c0e2f2b5d3c4e0b9a0f7a5d2e1c9b8a7f6e5d4c"));
	assert_non_null(strstr(vd.reason, "on inspector-9 created high alert"));
	last_event_of("SUB-0303", &ev);
	assert_string_equal(ev.type, "soc_flag");
	assert_string_equal(ev.status, "contraindicated");

	/* a medium alert maps to a warning, a flattened key and a nested one alike -
	 * milder than the standing verdict, it changes nothing */
	body = alert_from("elastic-alert.json", "kibana.alert.uuid", json_string("elastic-medium-1"),
			  "kibana.alert.severity", json_string("medium"), NULL);
	post_bearer("elastic", ELASTIC_TOKEN, body, &r);
	expect(&r, 200, "\"status\":\"warning\"");
	assert_non_null(strstr(r.body, "\"applied\":false"));
	assert_non_null(strstr(r.body, "\"standing\":\"contraindicated\""));
	httpc_free(&r);
	free(body);
	assert_int_equal(ar_store_verdict_get(t.store, "SUB-0303", &vd, NULL), 1);
	assert_int_equal(vd.status, AR_STATUS_CONTRAINDICATED);
}

/*
 * A compromised host can make the SIEM raise mild alerts about itself
 * (failed logins: Wazuh level 7-11). Such an alert must not lower the
 * analyst's contraindicated verdict to a warning; a warning on a device
 * with no verdict still applies.
 */
static void test_milder_alert_never_lowers_the_standing_verdict(void **state)
{
	char *args[] = { "flag", "SUB-0316", "contraindicated", "--reason", "ransomware confirmed",
			 NULL };
	char id[64], *body;
	ar_store_verdict_t vd;
	httpc_resp_t r;

	(void)state;
	enrolled_device("SUB-0316", "inspector-16");
	assert_int_equal(ctl(args), 0);
	body = alert_from("wazuh-alert.json", "id", json_string(fresh_id(id, sizeof(id))),
			  "rule.level", json_integer(7), "agent.name", json_string("inspector-16"),
			  "agent.ip", NULL, NULL);
	post_signed("wazuh", WAZUH_SECRET, 0, body, &r);
	expect(&r, 200, "\"applied\":false");
	httpc_free(&r);
	free(body);
	assert_int_equal(ar_store_verdict_get(t.store, "SUB-0316", &vd, NULL), 1);
	assert_int_equal(vd.status, AR_STATUS_CONTRAINDICATED);
	assert_non_null(strstr(vd.reason, "ransomware confirmed"));
	assert_true(vtest_logged(&t.v, "event=alert.not_applied", "device=SUB-0316",
				 "standing=contraindicated"));

	/* without a verdict the same warning applies */
	assert_int_equal(ar_store_verdict_clear(t.store, "SUB-0316", NULL), 1);
	body = alert_from("wazuh-alert.json", "id", json_string(fresh_id(id, sizeof(id))),
			  "rule.level", json_integer(7), "agent.name", json_string("inspector-16"),
			  "agent.ip", NULL, NULL);
	post_signed("wazuh", WAZUH_SECRET, 0, body, &r);
	expect(&r, 200, "\"applied\":true");
	httpc_free(&r);
	free(body);
	assert_int_equal(ar_store_verdict_get(t.store, "SUB-0316", &vd, NULL), 1);
	assert_int_equal(vd.status, AR_STATUS_WARNING);
}

/*
 * A device may report any host name, its victim's included. When a second
 * device attests with a name another holds, the name resolves to no device:
 * an alert by it is refused (409), it flags neither - never the squatter
 * in the victim's place.
 */
static void test_hostname_claimed_by_two_devices_flags_neither(void **state)
{
	char id[64], *body;
	ar_store_verdict_t vd;
	httpc_resp_t r;

	(void)state;
	enrolled_device("SUB-0317", "victim-ws");	/* the squatter, first */
	enrolled_device("SUB-0318", "victim-ws");	/* the real owner */
	body = alert_from("wazuh-alert.json", "id", json_string(fresh_id(id, sizeof(id))),
			  "agent.name", json_string("victim-ws"), "agent.ip", NULL, NULL);
	post_signed("wazuh", WAZUH_SECRET, 0, body, &r);
	expect(&r, 409, "urn:acme-rats:verifier:error:ambiguousDevice");
	httpc_free(&r);
	free(body);
	assert_int_equal(ar_store_verdict_get(t.store, "SUB-0317", &vd, NULL), 0);
	assert_int_equal(ar_store_verdict_get(t.store, "SUB-0318", &vd, NULL), 0);
	assert_true(vtest_logged(&t.v, "event=inventory.hostname_conflict", "device=SUB-0318",
				 "now=ambiguous"));
}

static void test_alert_with_bad_hmac_refused_nothing_changes(void **state)
{
	char id[64], *body;
	httpc_resp_t r;
	world_t before;

	(void)state;
	enrolled_device("SUB-0304", "inspector-4");
	body = alert_from("wazuh-alert.json", "id", json_string(fresh_id(id, sizeof(id))),
			  "agent.name", json_string("inspector-4"), NULL);
	world("SUB-0304", &before);
	post_signed("wazuh", "a-secret-the-siem-does-not-have", 0, body, &r);
	expect(&r, 401, "urn:acme-rats:verifier:error:badSignature");
	httpc_free(&r);
	assert_same_world("SUB-0304", &before);
	assert_int_equal(before.have_verdict, 0);
	assert_true(vtest_logged(&t.v, "event=alert.refused", "source=wazuh", "reason=bad-signature"));

	/* unsigned, and a body changed after signing: the same */
	{
		char url[300];
		httpc_req_t req = { "POST", url, t.v.ca, "application/json", NULL, body, strlen(body) };

		snprintf(url, sizeof(url), "%s/soc/alerts?source=wazuh", t.v.base);
		assert_int_equal(httpc(&req, &r), 0);
		expect(&r, 401, "must carry X-Acme-Rats-Timestamp");
		httpc_free(&r);
	}
	assert_same_world("SUB-0304", &before);
	free(body);
}

static void test_alert_replayed_outside_window_refused(void **state)
{
	char id[64], *body;
	httpc_resp_t r;
	world_t before;

	(void)state;
	enrolled_device("SUB-0305", "inspector-5");
	body = alert_from("wazuh-alert.json", "id", json_string(fresh_id(id, sizeof(id))),
			  "agent.name", json_string("inspector-5"), NULL);
	world("SUB-0305", &before);
	/* signed correctly, ten minutes ago: a captured request replayed */
	post_signed("wazuh", WAZUH_SECRET, time(NULL) - 600, body, &r);
	expect(&r, 401, "urn:acme-rats:verifier:error:staleAlert");
	httpc_free(&r);
	assert_same_world("SUB-0305", &before);
	assert_true(vtest_logged(&t.v, "event=alert.refused", "source=wazuh", "reason=stale"));
	/* the same alert signed now passes: the window, not the alert, refused it */
	post_signed("wazuh", WAZUH_SECRET, 0, body, &r);
	expect(&r, 200, "SUB-0305");
	httpc_free(&r);
	free(body);
}

/*
 * Sources "wazuh" and "wazuh-edge" share a secret (an operator's shortcut):
 * an alert signed for one, replayed to the other, must not verify - the
 * source's name is part of what is signed.
 */
static void test_alert_signed_for_source_a_replayed_as_source_b_refused(void **state)
{
	char id[64], *body;
	httpc_resp_t r;
	world_t before;

	(void)state;
	enrolled_device("SUB-0321", "inspector-21");
	body = alert_from("wazuh-alert.json", "id", json_string(fresh_id(id, sizeof(id))),
			  "agent.name", json_string("inspector-21"), NULL);
	world("SUB-0321", &before);
	post_signed_for("wazuh-edge", "wazuh", WAZUH_SECRET, 0, body, &r);
	expect(&r, 401, "urn:acme-rats:verifier:error:badSignature");
	httpc_free(&r);
	assert_same_world("SUB-0321", &before);
	assert_int_equal(before.have_verdict, 0);
	assert_true(vtest_logged(&t.v, "event=alert.refused", "source=wazuh-edge",
				 "reason=bad-signature"));
	/* the same request to the source it was signed for is accepted */
	post_signed_for("wazuh", "wazuh", WAZUH_SECRET, 0, body, &r);
	expect(&r, 200, "SUB-0321");
	httpc_free(&r);
	free(body);
}

/*
 * A signed alert is accepted within max_skew of its timestamp either way;
 * a dedup_ttl shorter than that window would forget the alert id while a
 * captured copy still passes the timestamp check: refused at start.
 */
static void test_dedup_ttl_shorter_than_replay_window_refused_at_start(void **state)
{
	char bin[512], conf[320], text[600];
	char *argv[] = { bin, "-c", conf, "--check-config", NULL };
	char *base = NULL;
	size_t len = 0;
	ar_err_t err = { 0 };

	(void)state;
	snprintf(bin, sizeof(bin), "%s/verifier/acme-rats-verifier", vtest_top("AR_TOP_BUILDDIR"));
	assert_int_equal(ar_file_read(t.v.conf, 1 << 20, &base, &len, &err), 0);
	snprintf(conf, sizeof(conf), "%s/dedup.conf", t.v.dir);
	assert_int_equal(ar_file_write_atomic(conf, base, len, 0600, &err), 0);
	snprintf(text, sizeof(text), "\n[alert_source \"short\"]\nauth = hmac\n"
		 "secret_file = %s/wazuh.secret\nrules = wazuh\nmax_skew = 5m\ndedup_ttl = 9m\n",
		 t.v.dir);
	assert_int_equal(vtest_append(conf, text), 0);
	assert_int_not_equal(vtest_run(argv), 0);
	/* at twice max_skew it starts */
	assert_int_equal(ar_file_write_atomic(conf, base, len, 0600, &err), 0);
	snprintf(text, sizeof(text), "\n[alert_source \"short\"]\nauth = hmac\n"
		 "secret_file = %s/wazuh.secret\nrules = wazuh\nmax_skew = 5m\ndedup_ttl = 10m\n",
		 t.v.dir);
	assert_int_equal(vtest_append(conf, text), 0);
	assert_int_equal(vtest_run(argv), 0);
	free(base);
}

/*
 * A captured alert signed 30 s ahead (the SIEM's clock, or the attacker's
 * choice) is good until 30 s + max_skew from now: its claim must outlive
 * that, even where dedup_ttl is only twice max_skew, or a replay in the
 * window's last second is a new alert that re-flags a device a person has
 * cleared meanwhile.
 */
static void test_alert_claim_outlives_its_timestamp_window(void **state)
{
	char id[64], key[200], b64[48], *body;
	unsigned char md[32];
	httpc_resp_t r;
	redisReply *rr;

	(void)state;
	enrolled_device("SUB-0330", "inspector-30");
	body = alert_from("wazuh-alert.json", "id", json_string(fresh_id(id, sizeof(id))),
			  "agent.name", json_string("inspector-30"), NULL);
	post_signed("wazuh-short", WAZUH_SECRET, time(NULL) + 30, body, &r);
	expect(&r, 200, "\"duplicate\":false");
	httpc_free(&r);
	assert_int_equal(EVP_Digest(id, strlen(id), md, NULL, EVP_sha256(), NULL), 1);
	assert_true(ar_b64url_encode(md, sizeof(md), b64, sizeof(b64)) >= 0);
	snprintf(key, sizeof(key), "acmerats:alert:wazuh-short:%s", b64);
	rr = redisCommand(t.redis_raw, "PTTL %s", key);
	assert_non_null(rr);
	assert_int_equal(rr->type, REDIS_REPLY_INTEGER);
	/* accepted until the second t + 30 s has passed: 61 s from now at least */
	if (rr->integer < 60500)
		fail_msg("the claim on the alert id lives %lld ms; the signature is good for 61 s",
			 rr->integer);
	freeReplyObject(rr);
	free(body);
}

static void test_same_alert_id_twice_is_idempotent(void **state)
{
	char id[64], *body;
	ar_store_verdict_t first, again;
	httpc_resp_t r;
	world_t after_first;

	(void)state;
	enrolled_device("SUB-0306", "inspector-6");
	body = alert_from("wazuh-alert.json", "id", json_string(fresh_id(id, sizeof(id))),
			  "agent.name", json_string("inspector-6"), NULL);
	post_signed("wazuh", WAZUH_SECRET, 0, body, &r);
	expect(&r, 200, "\"duplicate\":false");
	httpc_free(&r);
	assert_int_equal(ar_store_verdict_get(t.store, "SUB-0306", &first, NULL), 1);
	world("SUB-0306", &after_first);
	sleep(1);	/* a second verdict would carry a later set_at */
	/* the SIEM delivers it again (its retry), freshly signed */
	post_signed("wazuh", WAZUH_SECRET, 0, body, &r);
	expect(&r, 200, "\"duplicate\":true");
	httpc_free(&r);
	assert_same_world("SUB-0306", &after_first);
	assert_int_equal(ar_store_verdict_get(t.store, "SUB-0306", &again, NULL), 1);
	assert_true(again.set_at == first.set_at);
	assert_true(vtest_logged(&t.v, "event=alert.duplicate", "source=wazuh", id));
	free(body);
}

static void test_alert_for_unknown_device_4xx_nothing_changes(void **state)
{
	char id[64], *body;
	httpc_resp_t r;
	world_t before;

	(void)state;
	body = alert_from("wazuh-alert.json", "id", json_string(fresh_id(id, sizeof(id))),
			  "agent.name", json_string("nobody-knows-me"), "agent.ip",
			  json_string("192.0.2.99"), NULL);
	world("nobody-knows-me", &before);
	post_signed("wazuh", WAZUH_SECRET, 0, body, &r);
	expect(&r, 404, "urn:acme-rats:verifier:error:unknownDevice");
	assert_non_null(strstr(r.body, "hostname nobody-knows-me"));
	assert_non_null(strstr(r.body, "ip 192.0.2.99"));
	httpc_free(&r);
	assert_same_world("nobody-knows-me", &before);
	assert_true(vtest_logged(&t.v, "event=alert.refused", "reason=unknown-device", "nobody-knows-me"));

	/* A device the alert names that never attested with that name: not found
	 * either - the index comes from signed evidence, not from the alert. */
	enrolled_device("SUB-0307", "inspector-77");
	free(body);
	body = alert_from("wazuh-alert.json", "id", json_string(fresh_id(id, sizeof(id))),
			  "agent.name", json_string("SUB-0307"), "agent.ip", NULL, NULL);
	world("SUB-0307", &before);
	post_signed("wazuh", WAZUH_SECRET, 0, body, &r);
	expect(&r, 404, "unknownDevice");
	httpc_free(&r);
	assert_same_world("SUB-0307", &before);
	free(body);
}

static void test_alert_rule_miss_4xx(void **state)
{
	char id[64], *body;
	httpc_resp_t r;
	world_t before;

	(void)state;
	enrolled_device("SUB-0308", "inspector-8");
	world("SUB-0308", &before);
	/* no agent at all: nothing names a device */
	body = alert_from("wazuh-alert.json", "id", json_string(fresh_id(id, sizeof(id))),
			  "agent", NULL, NULL);
	post_signed("wazuh", WAZUH_SECRET, 0, body, &r);
	expect(&r, 422, "urn:acme-rats:verifier:error:ruleMiss");
	assert_non_null(strstr(r.body, "agent.name"));
	httpc_free(&r);
	free(body);
	/* a level-3 rule maps to no verdict */
	body = alert_from("wazuh-alert.json", "id", json_string(fresh_id(id, sizeof(id))),
			  "agent.name", json_string("inspector-8"), "rule.level", json_integer(3),
			  NULL);
	post_signed("wazuh", WAZUH_SECRET, 0, body, &r);
	expect(&r, 422, "below every level");
	httpc_free(&r);
	free(body);
	/* no alert id */
	body = alert_from("wazuh-alert.json", "agent.name", json_string("inspector-8"), "id", NULL,
			  NULL);
	post_signed("wazuh", WAZUH_SECRET, 0, body, &r);
	expect(&r, 422, "no alert id");
	httpc_free(&r);
	free(body);
	/* not JSON */
	post_signed("wazuh", WAZUH_SECRET, 0, "{\"id\": ", &r);
	expect(&r, 400, "urn:acme-rats:verifier:error:malformed");
	httpc_free(&r);
	assert_same_world("SUB-0308", &before);
	assert_true(vtest_logged(&t.v, "event=alert.refused", "source=wazuh", "reason=rule-miss"));
}

static void test_alert_source_rate_limited(void **state)
{
	char id[64], *body;
	httpc_resp_t r;
	int i;

	(void)state;
	body = alert_from("wazuh-alert.json", "id", json_string(fresh_id(id, sizeof(id))),
			  "agent.name", json_string("flood-target"), NULL);
	for (i = 0; i < 2; i++) {	/* the burst */
		post_bearer("flood", FLOOD_TOKEN, body, &r);
		expect(&r, 404, "unknownDevice");
		httpc_free(&r);
	}
	post_bearer("flood", FLOOD_TOKEN, body, &r);
	expect(&r, 429, "urn:acme-rats:verifier:error:rateLimited");
	assert_true(strtol(r.retry_after, NULL, 10) >= 1);
	httpc_free(&r);
	/* other sources have buckets of their own */
	post_bearer("elastic", ELASTIC_TOKEN, "{}", &r);
	expect(&r, 422, "ruleMiss");
	httpc_free(&r);
	assert_true(vtest_logged(&t.v, "event=alert.refused", "source=flood", "reason=rate-limited"));
	free(body);
}

/* ---- events out ---- */

/* Read lines until every id in @ids was seen (or 8 s); the lines, '\n'-joined. */
static char *collect(int fd, char ids[][AR_STORE_EVENT_ID_MAX + 1], size_t n, const char *pre,
		     const char *post)
{
	int64_t end = lab_now_ms() + 8000;
	char buf[8192], *all = calloc(1, 1);
	size_t seen = 0, len = 0, i;
	int *got = calloc(n, sizeof(int));

	assert_non_null(all);
	assert_non_null(got);
	while (seen < n && lab_now_ms() < end) {
		if (receive(fd, buf, sizeof(buf)) <= 0)
			continue;
		for (i = 0; i < n; i++) {
			char needle[400];

			snprintf(needle, sizeof(needle), "%s%s%s", pre, ids[i], post);
			if (!got[i] && strstr(buf, needle)) {
				got[i] = 1;
				seen++;
			}
		}
		all = realloc(all, len + strlen(buf) + 2);
		assert_non_null(all);
		memcpy(all + len, buf, strlen(buf));
		len += strlen(buf);
		all[len++] = '\n';
		all[len] = '\0';
	}
	for (i = 0; i < n; i++)
		if (!got[i])
			fail_msg("event %s never reached syslog; got:\n%s", ids[i], all);
	free(got);
	return all;
}

/* One RFC 5424 line with a JSON MSG: check the header and every field. */
static void check_json_line(const char *line, const char *id)
{
	int pri, version, n = 0;
	char ts[64], host[300], app[64], procid[32], msgid[40], sd[8];
	const char *schema, *jid, *time, *type, *device, *status, *reason, *serial, *source;
	json_int_t evts;
	json_error_t jerr;
	ar_store_event_t ev;
	json_t *j;

	assert_int_equal(sscanf(line, "<%d>%d %63s %299s %63s %31s %39s %7s %n", &pri, &version,
				ts, host, app, procid, msgid, sd, &n), 8);
	assert_int_equal(version, 1);
	assert_string_equal(sd, "-");
	assert_string_equal(app, "acme-rats");
	assert_true(strtol(procid, NULL, 10) > 0);
	assert_int_equal(pri / 8, 19);	/* local3 */
	assert_int_equal(strlen(ts), 24);	/* 2026-12-07T15:09:32.123Z */
	assert_int_equal(ts[10], 'T');
	assert_int_equal(ts[23], 'Z');
	j = json_loads(line + n, JSON_REJECT_DUPLICATES, &jerr);
	if (!j)
		fail_msg("MSG is not JSON (%s): %s", jerr.text, line);
	/* exactly the documented members, nothing else */
	if (json_unpack_ex(j, &jerr, JSON_STRICT,
			   "{s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:s}", "schema", &schema,
			   "id", &jid, "time", &time, "ts", &evts, "type", &type, "device", &device,
			   "status", &status, "reason", &reason, "serial", &serial, "source",
			   &source) < 0)
		fail_msg("MSG members: %s: %s", jerr.text, line);
	assert_string_equal(schema, "acme-rats-event/1");
	assert_string_equal(jid, id);
	assert_string_equal(time, ts);
	assert_string_equal(type, msgid);
	/* the fields are the stream entry's */
	{
		ar_store_event_t evs[128];
		ar_err_t err = { 0 };
		int i, k = ar_store_event_recent(t.store, evs, 128, &err);

		if (k <= 0)
			fail_msg("the stream cannot be read: %s", err.msg);
		memset(&ev, 0, sizeof(ev));
		for (i = 0; i < k; i++)
			if (!strcmp(evs[i].id, id))
				ev = evs[i];
		assert_string_equal(ev.id, id);
	}
	assert_string_equal(type, ev.type);
	assert_string_equal(device, ev.device);
	assert_string_equal(status, ev.status);
	assert_string_equal(reason, ev.reason);
	assert_string_equal(serial, ev.serial);
	assert_string_equal(source, ev.source);
	assert_true(evts == ev.ts);
	assert_int_equal(pri % 8, !strcmp(status, "contraindicated") ? 4 :
			 !strcmp(status, "warning") || !strcmp(status, "none") ? 5 : 6);
	json_decref(j);
}

static const char *line_with(const char *all, const char *needle, char *line, size_t size)
{
	const char *p = strstr(all, needle), *start, *end;

	assert_non_null(p);
	for (start = p; start > all && start[-1] != '\n'; start--)
		;
	end = strchr(p, '\n');
	snprintf(line, size, "%.*s", (int)(end - start), start);
	return line;
}

/* What producers other than the verifier write, as they write it. */
static void add_event(const char *type, const char *device, const char *status, const char *reason,
		      const char *serial, const char *source, char *id)
{
	ar_store_event_t ev;

	memset(&ev, 0, sizeof(ev));
	snprintf(ev.type, sizeof(ev.type), "%s", type);
	snprintf(ev.device, sizeof(ev.device), "%s", device);
	snprintf(ev.status, sizeof(ev.status), "%s", status);
	snprintf(ev.reason, sizeof(ev.reason), "%s", reason);
	snprintf(ev.serial, sizeof(ev.serial), "%s", serial);
	snprintf(ev.source, sizeof(ev.source), "%s", source);
	assert_int_equal(ar_store_event_add(t.store, &ev, id, NULL), 0);
}

static void test_every_event_reaches_syslog_as_rfc5424_json(void **state)
{
	char ids[6][AR_STORE_EVENT_ID_MAX + 1], line[4096], needle[400], *all;
	char *args[] = { "flag", "SUB-0310", "warning", "--reason", "patch window missed", NULL };
	ar_store_event_t evs[2];
	size_t i;

	(void)state;
	enrolled_device("SUB-0310", "inspector-10");	/* an appraisal */
	assert_int_equal(ar_store_event_recent(t.store, evs, 1, NULL), 1);
	snprintf(ids[0], sizeof(ids[0]), "%s", evs[0].id);
	assert_string_equal(evs[0].type, "appraisal");
	assert_int_equal(ctl(args), 0);			/* a SOC verdict */
	assert_int_equal(ar_store_event_recent(t.store, evs, 1, NULL), 1);
	snprintf(ids[1], sizeof(ids[1]), "%s", evs[0].id);
	assert_string_equal(evs[0].type, "soc_flag");
	/* and what the CA, the RADIUS module and acme-rats-ctl write */
	add_event("revoked", "SUB-0310", "revoked", "keyCompromise", "5f3a9c01", "ca", ids[2]);
	add_event("reattest", "SUB-0310", "warning", "posture age 9000 s above fresh 3600 s",
		  "5f3a9c02", "rlm_acme_rats", ids[3]);
	add_event("disconnect", "SUB-0310", "", "operator: \"tailgating\" \\ 3 = 4", "",
		  "acme-rats-ctl", ids[4]);
	add_event("issued", "SUB-0310", "affirming", "profile substation, 8h", "5f3a9c03", "ca",
		  ids[5]);
	all = collect(t.sock, ids, 6, "\"id\":\"", "\"");
	for (i = 0; i < 6; i++) {
		snprintf(needle, sizeof(needle), "\"id\":\"%s\"", ids[i]);
		check_json_line(line_with(all, needle, line, sizeof(line)), ids[i]);
	}
	/* one line per event: no newline inside, quotes and backslashes escaped */
	snprintf(needle, sizeof(needle), "\"id\":\"%s\"", ids[4]);
	line_with(all, needle, line, sizeof(line));
	assert_non_null(strstr(line, "\"reason\":\"operator: \\\"tailgating\\\" \\\\ 3 = 4\""));
	free(all);
}

static void test_cef_format(void **state)
{
	char path[320], *text, *p, id[AR_STORE_EVENT_ID_MAX + 1];
	char line[4096], needle[400], *all;
	char ids[1][AR_STORE_EVENT_ID_MAX + 1];
	vtest_t cef = t.v;
	size_t len;
	int fd;

	(void)state;
	/* a second verifier writing CEF for a consumer group of its own */
	cef.port = lab_free_port();
	snprintf(cef.conf, sizeof(cef.conf), "%s/cef.conf", t.v.dir);
	snprintf(cef.log, sizeof(cef.log), "%s/cef.log", t.v.dir);
	assert_int_equal(ar_file_read(t.v.conf, 1 << 20, &text, &len, NULL), 0);
	p = strstr(text, "\n[syslog]");
	assert_non_null(p);
	*p = '\0';
	{
		char port_line[40], tail[600], *q = strstr(text, "port = "), *rest;
		size_t head;

		snprintf(port_line, sizeof(port_line), "port = %d\n", t.v.port);
		assert_non_null(q);
		assert_memory_equal(q, port_line, strlen(port_line));
		head = (size_t)(q - text);
		rest = q + strlen(port_line);
		snprintf(tail, sizeof(tail), "\n[syslog]\nenabled = yes\npath = %s/cef.sock\n"
			 "format = cef\ngroup = syslog-cef\nfacility = local4\n", t.v.dir);
		snprintf(port_line, sizeof(port_line), "port = %d\n", cef.port);
		assert_int_equal(ar_file_write_atomic(cef.conf, text, head, 0600, NULL), 0);
		assert_int_equal(vtest_append(cef.conf, port_line), 0);
		assert_int_equal(vtest_append(cef.conf, rest), 0);
		assert_int_equal(vtest_append(cef.conf, tail), 0);
	}
	free(text);
	snprintf(path, sizeof(path), "%s/cef.sock", t.v.dir);
	fd = bind_receiver(path);
	assert_true(fd >= 0);
	assert_int_equal(vtest_start(&cef), 0);
	assert_int_equal(wait_writer(fd), 0);

	add_event("soc_flag", "SUB-0311", "contraindicated", "wazuh alert 17.1: a=b | c\\d",
		  "", "verifier", id);
	snprintf(ids[0], sizeof(ids[0]), "%s", id);
	all = collect(fd, ids, 1, "externalId=", " ");
	snprintf(needle, sizeof(needle), "externalId=%s ", id);
	line_with(all, needle, line, sizeof(line));
	/* <local4 * 8 + warning>1 ... soc_flag - CEF:0|vendor|product|version|class|name|severity| */
	assert_memory_equal(line, "<164>1 ", 7);
	assert_non_null(strstr(line, " acme-rats "));
	assert_non_null(strstr(line, " soc_flag - CEF:0|acme-rats|acme-rats|" PACKAGE_VERSION
			       "|soc_flag|soc_flag SUB-0311|8|rt="));
	assert_non_null(strstr(line, " cs1Label=deviceId cs1=SUB-0311 outcome=contraindicated "
			       "reason=wazuh alert 17.1: a\\=b | c\\\\d sourceServiceName=verifier"));
	assert_null(strstr(line, "cs2Label"));	/* no serial, no label */
	free(all);
	assert_int_equal(vtest_stop(&cef), 0);
	close(fd);
}

static void test_syslog_line_has_no_secret(void **state)
{
	char *args[] = { "flag", "SUB-0312", "contraindicated", "--reason", "lost laptop", NULL };
	char ids[3][AR_STORE_EVENT_ID_MAX + 1], id[64], *body, *all;
	const char *secrets[] = { WAZUH_SECRET, ELASTIC_TOKEN, FLOOD_TOKEN, t.v.token };
	ar_store_event_t ev;
	httpc_resp_t r;
	size_t i;

	(void)state;
	/* every secret the verifier holds is used in these three events */
	enrolled_device("SUB-0312", "inspector-12");
	assert_int_equal(ar_store_event_recent(t.store, &ev, 1, NULL), 1);
	snprintf(ids[0], sizeof(ids[0]), "%s", ev.id);
	assert_int_equal(ctl(args), 0);
	assert_int_equal(ar_store_event_recent(t.store, &ev, 1, NULL), 1);
	snprintf(ids[1], sizeof(ids[1]), "%s", ev.id);
	body = alert_from("wazuh-alert.json", "id", json_string(fresh_id(id, sizeof(id))),
			  "agent.name", json_string("inspector-12"), NULL);
	post_signed("wazuh", WAZUH_SECRET, 0, body, &r);
	expect(&r, 200, "SUB-0312");
	httpc_free(&r);
	free(body);
	assert_int_equal(ar_store_event_recent(t.store, &ev, 1, NULL), 1);
	snprintf(ids[2], sizeof(ids[2]), "%s", ev.id);
	all = collect(t.sock, ids, 3, "\"id\":\"", "\"");
	for (i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
		if (strstr(all, secrets[i]))
			fail_msg("secret %zu in syslog:\n%s", i, all);
	/* no JOSE object (EAR, evidence JWS, JWK) and no private key material */
	assert_null(strstr(all, "eyJ"));
	assert_null(strstr(all, "\"d\":"));
	assert_null(strstr(all, "PRIVATE"));
	assert_null(strstr(all, "sha256="));
	free(all);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wazuh_alert_flags_device_like_ctl_flag),
		cmocka_unit_test(test_elastic_alert_flags_device),
		cmocka_unit_test(test_milder_alert_never_lowers_the_standing_verdict),
		cmocka_unit_test(test_hostname_claimed_by_two_devices_flags_neither),
		cmocka_unit_test(test_alert_with_bad_hmac_refused_nothing_changes),
		cmocka_unit_test(test_alert_replayed_outside_window_refused),
		cmocka_unit_test(test_alert_signed_for_source_a_replayed_as_source_b_refused),
		cmocka_unit_test(test_dedup_ttl_shorter_than_replay_window_refused_at_start),
		cmocka_unit_test(test_alert_claim_outlives_its_timestamp_window),
		cmocka_unit_test(test_same_alert_id_twice_is_idempotent),
		cmocka_unit_test(test_alert_for_unknown_device_4xx_nothing_changes),
		cmocka_unit_test(test_alert_rule_miss_4xx),
		cmocka_unit_test(test_alert_source_rate_limited),
		cmocka_unit_test(test_every_event_reaches_syslog_as_rfc5424_json),
		cmocka_unit_test(test_cef_format),
		cmocka_unit_test(test_syslog_line_has_no_secret),
	};

	t.sock = -1;
	return cmocka_run_group_tests_name("soc_events", tests, setup, teardown);
}
