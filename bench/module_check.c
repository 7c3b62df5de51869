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
 * Redis path, "module_check_cert_only_us ..." for the path without Redis and
 * "module_post_auth_us ..." for the check plus the session record (post-auth
 * after an accept).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lab/lab.h"
#include "module/modfix.h"

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

/*
 * @with_session: also record the session, as post-auth does after an
 * accept (what one authentication costs the module: this plus one more
 * check in check-eap-tls).
 */
static int run(const char *label, const armod_policy_t *pol, const armod_cert_t *cert,
	       ar_store_t *st, long n, armod_decision_t want, int with_session)
{
	ar_store_session_t ss = { .nas_ip = "192.0.2.7", .nas_id = "ap-substation-7",
				  .acct_session_id = "5F3A0001", .calling_station_id = "02-00-00-00-00-01",
				  .user_name = "SUB-0042", .serial = MODFIX_SERIAL };
	int64_t *lat = calloc((size_t)n, sizeof(*lat));
	armod_result_t r;
	long i;

	if (!lat)
		return -1;
	for (i = -n / 10; i < n; i++) {		/* the first tenth warms up */
		int64_t t0 = now_ns();

		armod_check(pol, cert, st, time(NULL), &r, NULL);
		if (with_session && ar_store_session_put(st, r.device, &ss, 7200, NULL) < 0)
			r.decision = ARMOD_REJECT;
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
	ar_store_opts_t so = { .host = "127.0.0.1", .command_timeout_ms = 20 };
	lab_redis_t redis;
	ar_store_t *st;
	modfix_t f;
	int rc = 1;

	if (n < 1000 || n > 10000000)
		n = 20000;
	if (lab_init() < 0 || lab_redis_start(&redis) < 0 || modfix_init(&f, time(NULL)) < 0)
		return 1;
	so.port = redis.port;
	st = ar_store_open(&so, NULL);
	if (st && modfix_records(&f, st) == 0 &&
	    run("module_check_us", &f.pol, &f.cert, st, n, ARMOD_ACCEPT, 0) == 0 &&
	    run("module_check_cert_only_us", &f.pol, &f.cert, NULL, n, ARMOD_ACCEPT, 0) == 0 &&
	    run("module_post_auth_us", &f.pol, &f.cert, st, n, ARMOD_ACCEPT, 1) == 0)
		rc = 0;
	modfix_free(&f);
	ar_store_close(st);
	lab_redis_stop(&redis);
	return rc;
}
