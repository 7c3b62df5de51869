/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rlm_acme_rats: latency of the per-authentication check in process, with
 * a real redis-server on loopback (the same armod_check() the module runs:
 * parse the certificate attributes, decode the attestation extension, one
 * pipelined Redis round trip for posture and certificate record, decide).
 *
 *   bench/module_check [ITERATIONS]
 *
 * prints "module_check_us p50=.. p99=.. p999=.. max=.. iterations=N" for the
 * Redis path and "module_check_cert_only_us ..." for the path without Redis.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "lab/lab.h"

#define AKI	"00112233445566778899aabbccddeeff00112233"
#define SERIAL	"5a0b1c2d3e4f50617283940a1b2c3d4e"

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static void utc(int64_t when, char out[16])
{
	time_t tt = (time_t)when;
	struct tm tm;

	gmtime_r(&tt, &tm);
	snprintf(out, 16, "%02u%02u%02u%02u%02u%02uZ", (unsigned)tm.tm_year % 100u,
		 (unsigned)tm.tm_mon % 12u + 1u, (unsigned)tm.tm_mday % 32u, (unsigned)tm.tm_hour % 24u,
		 (unsigned)tm.tm_min % 60u, (unsigned)tm.tm_sec % 61u);
}

static int run(const char *label, const armod_policy_t *pol, const armod_cert_t *cert,
	       ar_store_t *st, long n, armod_decision_t want)
{
	int64_t *lat = calloc((size_t)n, sizeof(*lat));
	armod_result_t r;
	long i;

	if (!lat)
		return -1;
	for (i = -n / 10; i < n; i++) {		/* the first tenth warms up */
		int64_t t0 = now_ns();

		armod_check(pol, cert, st, time(NULL), &r, NULL);
		if (i >= 0)
			lat[i] = now_ns() - t0;
		if (r.decision != want) {
			fprintf(stderr, "unexpected decision %s: %s\n", armod_decision_name(r.decision),
				r.reason);
			free(lat);
			return -1;
		}
	}
	qsort(lat, (size_t)n, sizeof(*lat), cmp64);
	printf("%s p50=%.1f p99=%.1f p999=%.1f max=%.1f iterations=%ld\n", label,
	       lat[n / 2] / 1e3, lat[n * 99 / 100] / 1e3, lat[n * 999 / 1000] / 1e3, lat[n - 1] / 1e3, n);
	free(lat);
	return 0;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 20000;
	ar_certext_t ext = { .status = AR_STATUS_AFFIRMING, .tv = { { 2, 2, 2, 2, 2, 0, 0, 0 } } };
	ar_store_opts_t so = { .host = "127.0.0.1", .command_timeout_ms = 20 };
	ar_store_cert_t c = { .device = "SUB-0042", .aki = AKI, .serial = SERIAL };
	ar_store_posture_t p = { .status = AR_STATUS_AFFIRMING };
	armod_policy_t pol = { .fresh_s = 21600, .grace_s = 43200, .max_lifetime_s = 86400,
			       .nissuers = 1, .issuers = { { AKI, "/CN=acme-rats issuing CA" } } };
	char since[16], until[16];
	armod_cert_t cert = { .serial = SERIAL, .valid_since = since, .expiration = until,
			      .issuer = "/CN=acme-rats issuing CA",
			      .aki = "keyid:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33" };
	unsigned char *der = NULL;
	int64_t now = time(NULL);
	lab_redis_t redis;
	ar_store_t *st;
	size_t len;
	int rc = 1;

	if (n < 1000 || n > 10000000)
		n = 20000;
	snprintf(ext.order_url, sizeof(ext.order_url), "https://ca.example:8443/acme/order/Hk3x9Qw2");
	snprintf(ext.verifier, sizeof(ext.verifier), "acme-rats-verifier");
	snprintf(ext.profile, sizeof(ext.profile), "substation");
	snprintf(ext.device_id, sizeof(ext.device_id), "SUB-0042");
	ext.ear_iat = now - 60;
	utc(now - 60, since);
	utc(now - 60 + 8 * 3600, until);
	if (lab_init() < 0 || lab_redis_start(&redis) < 0)
		return 1;
	so.port = redis.port;
	st = ar_store_open(&so, NULL);
	c.not_after = now + 8 * 3600;
	p.ear_iat = now - 60;
	if (!st || ar_certext_encode(&ext, &der, &len, NULL) < 0 || ar_store_cert_put(st, &c, NULL) < 0 ||
	    ar_store_posture_put(st, "SUB-0042", &p, NULL) < 0)
		goto out;
	cert.ext = der;
	cert.ext_len = len;
	if (run("module_check_us", &pol, &cert, st, n, ARMOD_ACCEPT) == 0 &&
	    run("module_check_cert_only_us", &pol, &cert, NULL, n, ARMOD_ACCEPT) == 0)
		rc = 0;
out:
	OPENSSL_free(der);
	ar_store_close(st);
	lab_redis_stop(&redis);
	return rc;
}
