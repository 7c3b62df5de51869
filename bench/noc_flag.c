/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SOC flag -> Disconnect at the NAS, timed: for each of N devices it
 * records a live session at NAS "ap-bench", appends the SOC's
 * contraindicated verdict to the event stream (as the verifier does), and
 * waits until the session record is gone - which acme-rats-ca's event
 * worker does only after the NAS (a real Dynamic Authorization Server)
 * acknowledged the Disconnect-Request. The time from XADD to that moment
 * is the flag -> disconnect latency (an upper bound of "request received
 * by the NAS"; the 1 ms poll adds at most 1 ms).
 *
 *   noc_flag REDIS_PORT COUNT
 *
 * Prints one key=value line: count, p50/p99/max in ms, failures.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "benchutil.h"
#include "store.h"

#define WAIT_S	5.0

static int has_sessions(ar_store_t *st, const char *device)
{
	ar_store_session_t *list = NULL;
	size_t n = 0;
	int rc = ar_store_session_list(st, device, &list, &n, NULL);

	free(list);
	return rc < 0 ? -1 : n > 0;
}

int main(int argc, char **argv)
{
	ar_store_opts_t so = { .host = "127.0.0.1" };
	bu_samples_t lat = { 0 };
	ar_store_t *st;
	int count = 0, i, failed = 0;

	if (argc == 3) {
		so.port = (int)strtol(argv[1], NULL, 10);
		count = (int)strtol(argv[2], NULL, 10);
	}
	if (argc != 3 || so.port <= 0 || count <= 0) {
		fprintf(stderr, "usage: noc_flag REDIS_PORT COUNT\n");
		return 2;
	}
	st = ar_store_open(&so, NULL);
	if (!st) {
		fprintf(stderr, "noc_flag: no Redis on port %d\n", so.port);
		return 1;
	}
	for (i = 0; i < count; i++) {
		ar_store_session_t ss;
		ar_store_event_t ev;
		char device[64];
		double t0;
		int gone = 0;

		snprintf(device, sizeof(device), "BENCH-%06d", i);
		memset(&ss, 0, sizeof(ss));
		snprintf(ss.nas_ip, sizeof(ss.nas_ip), "127.0.0.1");
		snprintf(ss.nas_id, sizeof(ss.nas_id), "ap-bench");
		snprintf(ss.acct_session_id, sizeof(ss.acct_session_id), "S%06d", i);
		snprintf(ss.calling_station_id, sizeof(ss.calling_station_id), "02-00-00-00-%02X-%02X",
			 (i >> 8) & 0xff, i & 0xff);
		snprintf(ss.user_name, sizeof(ss.user_name), "%s", device);
		ss.started = time(NULL);
		memset(&ev, 0, sizeof(ev));
		snprintf(ev.type, sizeof(ev.type), "soc_flag");
		snprintf(ev.device, sizeof(ev.device), "%s", device);
		snprintf(ev.status, sizeof(ev.status), "contraindicated");
		snprintf(ev.reason, sizeof(ev.reason), "benchmark");
		snprintf(ev.source, sizeof(ev.source), "bench");
		if (ar_store_session_put(st, device, &ss, 600, NULL) < 0) {
			failed++;
			continue;
		}
		t0 = bu_now();
		if (ar_store_event_add(st, &ev, NULL, NULL) < 0) {
			failed++;
			continue;
		}
		while (bu_now() - t0 < WAIT_S) {
			if (has_sessions(st, device) == 0) {
				gone = 1;
				break;
			}
			usleep(1000);
		}
		if (gone)
			bu_samples_add(&lat, bu_now() - t0);
		else
			failed++;
	}
	printf("noc_flags=%d disconnected=%zu failed=%d p50_ms=%.1f p99_ms=%.1f max_ms=%.1f\n", count,
	       lat.n, failed, 1000 * bu_samples_quantile(&lat, 0.50),
	       1000 * bu_samples_quantile(&lat, 0.99), 1000 * bu_samples_quantile(&lat, 1.0));
	bu_samples_free(&lat);
	ar_store_close(st);
	return failed ? 1 : 0;
}
