/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Load generator for acme-rats-verifier: each thread is one device
 * (BENCH-<pid>-<n>), enrolled first with an identity key of its own in the
 * verifier's Redis, as the CA does at EAB newAccount; it keeps one HTTPS
 * connection alive and repeats newSession + signed evidence (one
 * appraisal) for a bounded time. Prints appraisals/s and latency
 * percentiles of the pair (the device's evidence signature included).
 *
 *   bench/verifier_load BASE_URL CA_FILE THREADS SECONDS REDIS_PORT
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "benchutil.h"
#include "cmw.h"
#include "evidence.h"
#include "evidence_jws.h"
#include "jwk.h"
#include "store.h"

struct worker {
	pthread_t	tid;
	const char	*base, *ca;
	double		deadline;
	const char	*jkt;
	ar_jwk_t	*identity;	/* the device's enrolled identity key */
	char		device[32];
	unsigned long	done, failed;
	bu_samples_t	lat;		/* seconds per appraisal */
};

struct buf {
	char	data[16384];
	size_t	len;
	char	location[512];
};

static size_t collect(char *p, size_t size, size_t n, void *ctx)
{
	struct buf *b = ctx;
	size_t len = size * n;

	if (b->len + len >= sizeof(b->data))
		return 0;
	memcpy(b->data + b->len, p, len);
	b->len += len;
	b->data[b->len] = '\0';
	return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *ctx)
{
	struct buf *b = ctx;
	size_t len = size * n, v;

	if (len > 10 && !strncasecmp(p, "Location: ", 10)) {
		v = strcspn(p + 10, "\r\n");
		if (v < sizeof(b->location)) {
			memcpy(b->location, p + 10, v);
			b->location[v] = '\0';
		}
	}
	return len;
}

static long post(CURL *c, const char *url, const char *ct, const char *body, struct buf *out)
{
	struct curl_slist *h = NULL;
	char line[128];
	long status = 0;

	out->len = 0;
	out->data[0] = '\0';
	out->location[0] = '\0';
	snprintf(line, sizeof(line), "Content-Type: %s", ct);
	h = curl_slist_append(h, line);
	h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	return status;
}

static void *run(void *arg)
{
	struct worker *w = arg;
	char url[512], loc[512], nonce[128];
	ar_evidence_t ev;
	struct buf b;
	CURL *c = curl_easy_init();

	curl_easy_setopt(c, CURLOPT_CAINFO, w->ca);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	memset(&ev, 0, sizeof(ev));
	snprintf(ev.device_id, sizeof(ev.device_id), "%s", w->device);
	snprintf(ev.os_id, sizeof(ev.os_id), "debian");
	snprintf(ev.os_version, sizeof(ev.os_version), "12");
	ev.disk_encrypted = ev.edr_running = ev.efi = ev.secure_boot = -1;
	ev.key_non_exportable = 0;
	snprintf(ev.key_jkt, sizeof(ev.key_jkt), "%s", w->jkt);

	while (bu_now() < w->deadline) {
		double t0 = bu_now();
		char *body;
		const char *p;

		snprintf(url, sizeof(url), "%s/challenge-response/v1/newSession", w->base);
		if (post(c, url, "application/json", "", &b) != 201 ||
		    !(p = strstr(b.data, "\"nonce\":\""))) {
			w->failed++;
			continue;
		}
		snprintf(loc, sizeof(loc), "%s%s", w->base, b.location);
		p += 9;
		snprintf(nonce, sizeof(nonce), "%.*s", (int)strcspn(p, "\""), p);
		snprintf(ev.nonce, sizeof(ev.nonce), "%s", nonce);
		ev.collected_at = time(NULL);
		ev.last_security_update = ev.collected_at - 86400;
		body = ar_evidence_sign(&ev, w->identity, NULL);
		if (body && post(c, loc, AR_MT_EVIDENCE_JWS, body, &b) == 200) {
			w->done++;
			bu_samples_add(&w->lat, bu_now() - t0);
		} else {
			w->failed++;
		}
		free(body);
	}
	curl_easy_cleanup(c);
	return NULL;
}

/* Bind @w's device to its identity key in the store, as the CA does at EAB newAccount. */
static int enrol(ar_store_t *st, struct worker *w)
{
	ar_store_identity_t id;
	json_t *pub = ar_jwk_public_json(w->identity);
	char *text = pub ? json_dumps(pub, JSON_COMPACT) : NULL;
	ar_err_t err = { 0 };
	int rc = -1;

	memset(&id, 0, sizeof(id));
	if (text && strlen(text) < sizeof(id.jwk)) {
		snprintf(id.jkt, sizeof(id.jkt), "%s", ar_jwk_thumbprint(w->identity));
		memcpy(id.jwk, text, strlen(text) + 1);
		snprintf(id.eab_kid, sizeof(id.eab_kid), "bench");
		rc = ar_store_identity_bind(st, w->device, &id, NULL, &err) == 1 ? 0 : -1;
	}
	if (rc < 0)
		fprintf(stderr, "verifier_load: cannot enrol %s: %s\n", w->device,
			err.msg[0] ? err.msg : "bound to another key");
	free(text);
	json_decref(pub);
	return rc;
}

int main(int argc, char **argv)
{
	unsigned long done = 0, failed = 0;
	struct worker *w;
	ar_store_opts_t so = { .host = "127.0.0.1" };
	ar_store_t *st;
	ar_jwk_t *key;
	bu_samples_t all = { 0 };
	double t0, el;
	size_t i;
	long threads;
	double secs;

	if (argc != 6) {
		fprintf(stderr, "usage: verifier_load BASE_URL CA_FILE THREADS SECONDS REDIS_PORT\n");
		return 2;
	}
	threads = strtol(argv[3], NULL, 10);
	secs = strtod(argv[4], NULL);
	so.port = (int)strtol(argv[5], NULL, 10);
	if (threads < 1 || threads > 256 || secs <= 0 || secs > 300 || so.port < 1 ||
	    so.port > 65535)
		return 2;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	key = ar_jwk_generate("ES256", NULL);
	w = calloc((size_t)threads, sizeof(*w));
	st = ar_store_open(&so, NULL);
	if (!key || !w || !st)
		return 1;
	for (i = 0; i < (size_t)threads; i++) {
		/* Devices of this run only: an earlier run's are enrolled with other keys. */
		snprintf(w[i].device, sizeof(w[i].device), "BENCH-%ld-%zu", (long)getpid(), i);
		w[i].identity = ar_jwk_generate("ES256", NULL);
		if (!w[i].identity || enrol(st, &w[i]) < 0)
			return 1;
	}
	ar_store_close(st);
	t0 = bu_now();
	for (i = 0; i < (size_t)threads; i++) {
		w[i].base = argv[1];
		w[i].ca = argv[2];
		w[i].deadline = t0 + secs;
		w[i].jkt = ar_jwk_thumbprint(key);
		pthread_create(&w[i].tid, NULL, run, &w[i]);
	}
	for (i = 0; i < (size_t)threads; i++) {
		pthread_join(w[i].tid, NULL);
		done += w[i].done;
		failed += w[i].failed;
		bu_samples_merge(&all, &w[i].lat);
		bu_samples_free(&w[i].lat);
		ar_jwk_free(w[i].identity);
	}
	el = bu_now() - t0;
	printf("verifier_appraisals_per_s=%.0f threads=%ld appraisals=%lu failed=%lu seconds=%.1f "
	       "p50_ms=%.2f p99_ms=%.2f\n", (double)done / el, threads, done, failed, el,
	       bu_samples_quantile(&all, 0.50) * 1000, bu_samples_quantile(&all, 0.99) * 1000);
	bu_samples_free(&all);
	free(w);
	ar_jwk_free(key);
	curl_global_cleanup();
	return failed && !done;
}
