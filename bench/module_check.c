/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rlm_acme_rats: latency of the per-authentication check in process, with
 * a real redis-server on loopback (the same armod_check() the module runs:
 * parse the certificate attributes, decode the attestation extension, one
 * pipelined Redis round trip for posture and certificate record, decide).
 *
 *   bench/module_check [-r REDIS_PORT | -S SENTINELS -m MASTER] [-s SAMPLES_FILE] [ITERATIONS]
 *
 * prints "module_check_us p50=.. p99=.. p999=.. max=.. iterations=N" for the
 * Redis path, "module_check_cert_only_us ..." for the path without Redis and
 * "module_post_auth_us ..." for the check plus the session record (post-auth
 * after an accept).
 *
 * -r: use the redis-server listening on 127.0.0.1:REDIS_PORT (e.g. one the
 *     CA benchmark filled with a fleet of devices) instead of starting one;
 *     the device's two records are added to it and only the Redis path is
 *     timed.
 * -S, -m: reach the primary through Redis Sentinel, as a module configured
 *     with `sentinels` and `master_name` does ("host:port[,host:port...]");
 *     like -r, only the Redis path is timed.
 * -s: write the Redis path's latencies, sorted, one per line in
 *     microseconds, to SAMPLES_FILE (for a distribution plot).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "benchutil.h"
#include "lab/lab.h"
#include "module/modfix.h"

/* The sorted samples in microseconds, one per line, written atomically. */
static int write_samples(const char *path, const bu_samples_t *s)
{
	char tmp[4096];
	size_t i;
	FILE *f;
	int rc;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp) || !(f = fopen(tmp, "w")))
		return -1;
	for (i = 0; i < s->n; i++)
		fprintf(f, "%.2f\n", s->v[i] * 1e6);
	rc = ferror(f);
	if (fclose(f) != 0 || rc || rename(tmp, path) < 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/*
 * @with_session: also record the session, as post-auth does after an
 * accept (what one authentication costs the module: this plus one more
 * check in check-eap-tls). @samples_path: where to write the sorted
 * samples, or NULL.
 */
static int run(const char *label, const armod_policy_t *pol, const armod_cert_t *cert,
	       ar_store_t *st, long n, armod_decision_t want, int with_session,
	       const char *samples_path)
{
	ar_store_session_t ss = { .nas_ip = "192.0.2.7", .nas_id = "ap-substation-7",
				  .acct_session_id = "5F3A0001", .calling_station_id = "02-00-00-00-00-01",
				  .user_name = "SUB-0042", .serial = MODFIX_SERIAL };
	bu_samples_t lat = { 0 };
	armod_result_t r;
	int rc = 0;
	long i;

	for (i = -n / 10; i < n && rc == 0; i++) {	/* the first tenth warms up */
		double t0 = bu_now();

		armod_check(pol, cert, st, time(NULL), &r, NULL);
		if (with_session && ar_store_session_put(st, r.device, &ss, 7200, NULL) < 0)
			r.decision = ARMOD_REJECT;
		if (i >= 0 && bu_samples_add(&lat, bu_now() - t0) < 0)
			rc = -1;
		if (r.decision != want) {
			fprintf(stderr, "unexpected decision %s: %s\n", armod_decision_name(r.decision),
				r.reason);
			rc = -1;
		}
	}
	if (rc == 0) {
		printf("%s p50=%.1f p99=%.1f p999=%.1f max=%.1f iterations=%ld\n", label,
		       bu_samples_quantile(&lat, 0.5) * 1e6, bu_samples_quantile(&lat, 0.99) * 1e6,
		       bu_samples_quantile(&lat, 0.999) * 1e6, bu_samples_quantile(&lat, 1) * 1e6, n);
		fflush(stdout);
	}
	if (rc == 0 && samples_path && write_samples(samples_path, &lat) < 0) {
		fprintf(stderr, "module_check: cannot write %s\n", samples_path);
		rc = -1;
	}
	bu_samples_free(&lat);
	return rc;
}

static void usage(void)
{
	fprintf(stderr, "usage: module_check [-r REDIS_PORT | -S SENTINELS -m MASTER] [-s SAMPLES_FILE]"
		" [ITERATIONS (1000..10000000)]\n");
}

int main(int argc, char **argv)
{
	ar_store_opts_t so = { .host = "127.0.0.1", .command_timeout_ms = 100 };	/* the shipped redis.timeout */
	const char *samples = NULL;
	lab_redis_t redis = { 0 };
	long n = 20000, port = 0;
	ar_store_t *st = NULL;
	ar_err_t err = { 0 };
	char *end;
	modfix_t f;
	int opt, rc = 1;

	while ((opt = getopt(argc, argv, "r:s:S:m:")) != -1) {
		switch (opt) {
		case 'r':
			port = strtol(optarg, &end, 10);
			if (*end || port < 1 || port > 65535) {
				usage();
				return 2;
			}
			break;
		case 's':
			samples = optarg;
			break;
		case 'S':
			so.sentinels = optarg;
			break;
		case 'm':
			so.master_name = optarg;
			break;
		default:
			usage();
			return 2;
		}
	}
	if (!so.sentinels != !so.master_name || (so.sentinels && port)) {
		usage();
		return 2;
	}
	if (optind < argc) {
		n = strtol(argv[optind], &end, 10);
		if (*end || n < 1000 || n > 10000000 || optind + 1 < argc) {
			usage();
			return 2;
		}
	}
	if (lab_init() < 0 || modfix_init(&f, time(NULL)) < 0)
		return 1;
	if (!port && !so.sentinels && lab_redis_start(&redis) == 0)
		port = redis.port;
	so.port = (int)port;
	if (!port && !so.sentinels)
		fprintf(stderr, "module_check: cannot start redis-server\n");
	else if (!(st = ar_store_open(&so, &err)))
		fprintf(stderr, "module_check: Redis %s: %s\n", so.sentinels ? so.sentinels : "on 127.0.0.1", err.msg);
	else if (modfix_records(&f, st) < 0)
		fprintf(stderr, "module_check: cannot write the device's records to Redis\n");
	else if (run("module_check_us", &f.pol, &f.cert, st, n, ARMOD_ACCEPT, 0, samples) == 0 &&
		 (redis.pid == 0 ||
		  (run("module_check_cert_only_us", &f.pol, &f.cert, NULL, n, ARMOD_ACCEPT, 0, NULL) == 0 &&
		   run("module_post_auth_us", &f.pol, &f.cert, st, n, ARMOD_ACCEPT, 1, NULL) == 0)))
		rc = 0;
	modfix_free(&f);
	ar_store_close(st);
	if (redis.pid)
		lab_redis_stop(&redis);
	return rc;
}
