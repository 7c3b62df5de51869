/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SIEM alert -> Disconnect at the NAS, timed: for each of N devices (each
 * with an enrolled identity, as EAB enrolment leaves it) it records a live
 * session at NAS "ap-bench", then POSTs one Wazuh-shaped alert (a unique
 * id, rule.level 12, agent.name the device id) to the verifier's
 * /soc/alerts, HMAC-signed as a Wazuh integration signs it, over a new
 * TLS connection (the integration runs curl once per alert), and waits
 * until the session record is gone - which acme-rats-ca's event worker
 * does only after the NAS (a real Dynamic Authorization Server)
 * acknowledged the Disconnect-Request. The time from the POST's first
 * byte (the TCP connect) to that moment is the alert -> disconnect
 * latency; the 1 ms poll adds at most 1 ms. The time to the verifier's
 * answer is reported too.
 *
 *   soc_alert REDIS_PORT VERIFIER_PORT CA_FILE SECRET_FILE COUNT
 *
 * The verifier must have [alert_source "bench"] with that secret and a
 * rules file naming the device by "agent.name" ("by": "device").
 * Prints one key=value line: alerts, p50/p99/max in ms, failures, goal.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "benchutil.h"
#include "hclient.h"
#include "hex.h"
#include "jwk.h"
#include "store.h"

#define WAIT_S		5.0
#define GOAL_P99_MS	50.0
#define SECRET_MAX	256

static int has_sessions(ar_store_t *st, const char *device)
{
	ar_store_session_t *list = NULL;
	size_t n = 0;
	int rc = ar_store_session_list(st, device, &list, &n, NULL);

	free(list);
	return rc < 0 ? -1 : n > 0;
}

/* The first line of @p path, at most SECRET_MAX bytes. */
static int read_secret(const char *path, char *out, size_t size)
{
	FILE *f = fopen(path, "r");
	int rc = -1;

	if (!f)
		return -1;
	if (fgets(out, (int)size, f)) {
		out[strcspn(out, "\r\n")] = '\0';
		rc = out[0] ? 0 : -1;
	}
	fclose(f);
	return rc;
}

/* Bind @p device to a fresh ES256 key, as the CA does at EAB enrolment. */
static int enrol(ar_store_t *st, const char *device)
{
	ar_jwk_t *key = ar_jwk_generate("ES256", NULL);
	ar_store_identity_t id;
	json_t *j = NULL;
	char *pub = NULL;
	int rc = -1;

	if (!key)
		goto out;
	j = ar_jwk_public_json(key);
	pub = j ? json_dumps(j, JSON_COMPACT) : NULL;
	if (!pub)
		goto out;
	memset(&id, 0, sizeof(id));
	snprintf(id.jkt, sizeof(id.jkt), "%s", ar_jwk_thumbprint(key));
	snprintf(id.jwk, sizeof(id.jwk), "%s", pub);
	snprintf(id.eab_kid, sizeof(id.eab_kid), "kid-%s", device);
	rc = ar_store_identity_bind(st, device, &id, NULL, NULL) == 1 ? 0 : -1;
out:
	free(pub);
	json_decref(j);
	ar_jwk_free(key);
	return rc;
}

/* "sha256=<hex>" of HMAC-SHA256(@p secret, "<source>.<ts>.<body>"). */
static int sign(const char *secret, const char *source, const char *ts, const char *body,
		char *hdr, size_t size)
{
	unsigned char md[32];
	char hex[65], *msg;
	size_t n = 0, sl = strlen(source), tl = strlen(ts), bl = strlen(body);
	int rc = -1;

	msg = malloc(sl + tl + bl + 3);
	if (!msg)
		return -1;
	memcpy(msg, source, sl);
	msg[sl] = '.';
	memcpy(msg + sl + 1, ts, tl);
	msg[sl + 1 + tl] = '.';
	memcpy(msg + sl + tl + 2, body, bl + 1);
	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, secret, strlen(secret),
		      (unsigned char *)msg, sl + tl + 2 + bl, md, sizeof(md), &n) &&
	    n == sizeof(md) && ar_hex_encode(md, sizeof(md), hex, sizeof(hex), NULL) >= 0) {
		snprintf(hdr, size, "X-Acme-Rats-Signature: sha256=%s", hex);
		rc = 0;
	}
	free(msg);
	return rc;
}

static void put_session(ar_store_session_t *ss, const char *device, int i)
{
	memset(ss, 0, sizeof(*ss));
	snprintf(ss->nas_ip, sizeof(ss->nas_ip), "127.0.0.1");
	snprintf(ss->nas_id, sizeof(ss->nas_id), "ap-bench");
	snprintf(ss->acct_session_id, sizeof(ss->acct_session_id), "A%06d", i);
	snprintf(ss->calling_station_id, sizeof(ss->calling_station_id), "02-00-00-01-%02X-%02X",
		 (i >> 8) & 0xff, i & 0xff);
	snprintf(ss->user_name, sizeof(ss->user_name), "%s", device);
	ss->started = time(NULL);
}

/*
 * One alert: 0 when the verifier accepted it and the session went away
 * within WAIT_S (@p total and @p post set, in seconds), -1 otherwise.
 */
static int one_alert(ar_store_t *st, const char *url, const char *ca_file, const char *secret,
		     int i, double *total, double *post)
{
	char device[64], body[1024], ts[24], tsh[64], sigh[96];
	const char *headers[] = { tsh, sigh, NULL };
	ar_store_session_t ss;
	http_resp_t r = { 0 };
	ar_err_t err = { 0 };
	time_t now = time(NULL);
	struct tm tm;
	char iso[32];
	hc_t *c;
	double t0;
	int rc = -1;

	snprintf(device, sizeof(device), "BENCH-A%06d", i);
	put_session(&ss, device, i);
	if (ar_store_session_put(st, device, &ss, 600, NULL) < 0)
		return -1;
	gmtime_r(&now, &tm);
	strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%S.000+0000", &tm);
	snprintf(body, sizeof(body),
		 "{\"timestamp\":\"%s\",\"rule\":{\"level\":12,\"description\":\"bench: "
		 "malware detected on %s\",\"id\":\"52502\",\"groups\":[\"bench\"]},"
		 "\"agent\":{\"id\":\"%03d\",\"name\":\"%s\",\"ip\":\"127.0.0.1\"},"
		 "\"manager\":{\"name\":\"bench\"},\"id\":\"%lld.%u%06d\",\"location\":\"bench\"}",
		 iso, device, i % 1000, device, (long long)now, (unsigned)getpid(), i);
	snprintf(ts, sizeof(ts), "%lld", (long long)now);
	snprintf(tsh, sizeof(tsh), "X-Acme-Rats-Timestamp: %s", ts);
	if (sign(secret, "bench", ts, body, sigh, sizeof(sigh)) < 0)
		return -1;
	c = hc_new(ca_file, 5000, &err);
	if (!c) {
		fprintf(stderr, "soc_alert: %s\n", err.msg);
		return -1;
	}
	t0 = bu_now();
	if (hc_request_headers(c, "POST", url, headers, "application/json", body, strlen(body), &r,
			       &err) < 0) {
		fprintf(stderr, "soc_alert: alert %d: %s\n", i, err.msg);
		goto out;
	}
	*post = bu_now() - t0;
	if (r.status != 200) {
		fprintf(stderr, "soc_alert: alert %d: HTTP %ld %.300s\n", i, r.status, r.body);
		goto out;
	}
	while (bu_now() - t0 < WAIT_S) {
		if (has_sessions(st, device) == 0) {
			*total = bu_now() - t0;
			rc = 0;
			break;
		}
		usleep(1000);
	}
	if (rc < 0)
		fprintf(stderr, "soc_alert: alert %d: session of %s still there after %.0f s\n", i,
			device, WAIT_S);
out:
	http_resp_free(&r);
	hc_free(c);
	return rc;
}

int main(int argc, char **argv)
{
	ar_store_opts_t so = { .host = "127.0.0.1" };
	bu_samples_t lat = { 0 }, post = { 0 };
	char secret[SECRET_MAX + 2], url[128];
	const char *ca_file = NULL;
	int count = 0, vport = 0, i, failed = 0;
	ar_store_t *st;
	double p99;

	if (argc == 6) {
		so.port = (int)strtol(argv[1], NULL, 10);
		vport = (int)strtol(argv[2], NULL, 10);
		ca_file = argv[3];
		count = (int)strtol(argv[5], NULL, 10);
	}
	if (argc != 6 || so.port <= 0 || vport <= 0 || vport > 65535 || count <= 0 ||
	    count > 100000) {
		fprintf(stderr, "usage: soc_alert REDIS_PORT VERIFIER_PORT CA_FILE SECRET_FILE COUNT\n");
		return 2;
	}
	if (read_secret(argv[4], secret, sizeof(secret)) < 0) {
		fprintf(stderr, "soc_alert: cannot read a secret from %s\n", argv[4]);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/soc/alerts?source=bench", vport);
	st = ar_store_open(&so, NULL);
	if (!st) {
		fprintf(stderr, "soc_alert: no Redis on port %d\n", so.port);
		return 1;
	}
	for (i = 0; i < count; i++) {
		char device[64];

		snprintf(device, sizeof(device), "BENCH-A%06d", i);
		if (enrol(st, device) < 0) {
			fprintf(stderr, "soc_alert: cannot enrol %s\n", device);
			ar_store_close(st);
			return 1;
		}
	}
	for (i = 0; i < count; i++) {
		double total = 0, p = 0;

		if (one_alert(st, url, ca_file, secret, i, &total, &p) < 0) {
			failed++;
			continue;
		}
		bu_samples_add(&lat, total);
		bu_samples_add(&post, p);
	}
	p99 = 1000 * bu_samples_quantile(&lat, 0.99);
	printf("alerts=%d disconnected=%zu failed=%d p50_ms=%.1f p99_ms=%.1f max_ms=%.1f "
	       "post_p50_ms=%.1f post_p99_ms=%.1f conn=new goal_p99_ms=%.0f goal=%s\n", count, lat.n,
	       failed, 1000 * bu_samples_quantile(&lat, 0.50), p99,
	       1000 * bu_samples_quantile(&lat, 1.0), 1000 * bu_samples_quantile(&post, 0.50),
	       1000 * bu_samples_quantile(&post, 0.99), GOAL_P99_MS,
	       !failed && lat.n && p99 <= GOAL_P99_MS ? "met" : "missed");
	bu_samples_free(&lat);
	bu_samples_free(&post);
	ar_store_close(st);
	return failed ? 1 : 0;
}
