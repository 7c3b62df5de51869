/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The CA's metrics (GET /metrics, docs/operations.md "Metrics"): its own
 * counters (issuances by profile, challenge failures, disconnect results),
 * the store's (Redis errors, failovers), and what it reads from Redis at
 * each scrape: the event worker's lag, and the RADIUS module's decision
 * counters that every FreeRADIUS server adds to Redis.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ca.h"
#include "log.h"
#include "radius_metrics.h"

static const char *const chall_types[] = { "remote-attest-01", "http-01", "dns-01", "other",
					   NULL };
/* The ACME error types a challenge ends with (RFC 8555 6.7, remote-attest-01). */
static const char *const chall_reasons[] = {
	"badAttestationStatement", "incorrectResponse", "connection", "dns", "tls",
	"unauthorized", "rejectedIdentifier", "malformed", "serverInternal", "other", NULL
};
static const char *const dm_results[] = { "ack", "nak", "timeout", "no_nas", "other", NULL };

int ca_metrics_init(ca_t *ca, ar_err_t *err)
{
	ca_conf_t *c = &ca->conf;
	size_t i;

	ca->profile_values = calloc(c->nprofiles + 2, sizeof(*ca->profile_values));
	if (!ca->profile_values)
		return ar_err_set(err, AR_ERR_NOMEM, "out of memory");
	for (i = 0; i < c->nprofiles; i++)
		ca->profile_values[i] = c->profiles[i].name;
	ca->profile_values[c->nprofiles] = "other";
	ca->metric_defs[CA_M_ISSUANCES] = (ar_metric_def_t){
		"acme_rats_issuances_total", AR_METRIC_COUNTER,
		"Certificates issued, by certificate profile.",
		{ "profile" }, { ca->profile_values }, NULL, 0 };
	ca->metric_defs[CA_M_CHALLENGE_FAILURES] = (ar_metric_def_t){
		"acme_rats_challenge_failures_total", AR_METRIC_COUNTER,
		"Challenges that became invalid, by challenge type and ACME error type.",
		{ "type", "reason" }, { chall_types, chall_reasons }, NULL, 0 };
	ca->metric_defs[CA_M_DISCONNECTS] = (ar_metric_def_t){
		"acme_rats_disconnects_total", AR_METRIC_COUNTER,
		"RADIUS Disconnect-Requests the event worker sent, by result: ack, nak (the "
		"NAS refused), timeout (no answer after every try), no_nas (no [nas] section).",
		{ "result" }, { dm_results }, NULL, 0 };
	ca->metrics = ar_metrics_new(ca->metric_defs, CA_M_N, err);
	return ca->metrics ? 0 : -1;
}

void ca_metrics_free(ca_t *ca)
{
	ar_metrics_free(ca->metrics);
	ca->metrics = NULL;
	free(ca->profile_values);
	ca->profile_values = NULL;
}

void ca_metrics_issued(ca_t *ca, const char *profile)
{
	ar_metrics_inc(ca->metrics, CA_M_ISSUANCES,
		       ar_metrics_label(ca->metrics, CA_M_ISSUANCES, 0, profile), 0);
}

void ca_metrics_challenge(ca_t *ca, const json_t *ch)
{
	const char *type = json_string_value(json_object_get(ch, "type"));
	const char *reason = json_string_value(json_object_get(json_object_get(ch, "error"), "type"));
	size_t plen = strlen(ACME_ERR);

	if (!json_is_string(json_object_get(ch, "status")) ||
	    strcmp(json_string_value(json_object_get(ch, "status")), "invalid"))
		return;
	if (reason && !strncmp(reason, ACME_ERR, plen))
		reason += plen;
	ar_metrics_inc(ca->metrics, CA_M_CHALLENGE_FAILURES,
		       ar_metrics_label(ca->metrics, CA_M_CHALLENGE_FAILURES, 0, type),
		       ar_metrics_label(ca->metrics, CA_M_CHALLENGE_FAILURES, 1, reason));
}

/* The event worker's lag, read now; 0 when Redis did not answer. */
static int render_lag(ca_t *ca, ar_store_t *st, ar_buf_t *out, ar_err_t *err)
{
	ar_store_event_lag_t lag;
	struct timespec now;
	double age = 0;

	if (!st || ar_store_event_lag(st, ca->conf.events.group, &lag, err) < 0)
		return -1;
	clock_gettime(CLOCK_REALTIME, &now);
	if (lag.oldest_ms > 0) {
		age = ((double)now.tv_sec * 1000 + (double)now.tv_nsec / 1e6 - (double)lag.oldest_ms) /
		      1000;
		if (age < 0)
			age = 0;
	}
	if (ar_prom_family(out, "acme_rats_events_stream_length", AR_METRIC_GAUGE,
			   "Entries in the event stream (XLEN).") != AR_OK ||
	    ar_prom_sample(out, "acme_rats_events_stream_length", NULL, 0, (double)lag.length) != AR_OK ||
	    ar_prom_family(out, "acme_rats_events_pending", AR_METRIC_GAUGE,
			   "Events delivered to the event worker's consumer group and not yet "
			   "acknowledged (XPENDING).") != AR_OK ||
	    ar_prom_sample(out, "acme_rats_events_pending", NULL, 0, (double)lag.pending) != AR_OK ||
	    ar_prom_family(out, "acme_rats_events_oldest_pending_age_seconds", AR_METRIC_GAUGE,
			   "Age of the oldest event not yet acknowledged by the event worker; 0 "
			   "when none is pending.") != AR_OK ||
	    ar_prom_sample(out, "acme_rats_events_oldest_pending_age_seconds", NULL, 0, age) != AR_OK)
		return -2;
	return 0;
}

/* The module's counters, as the RADIUS servers added them to Redis. */
static int render_radius(ar_store_t *st, ar_buf_t *out, ar_err_t *err)
{
	ar_metrics_t *m = ar_metrics_new(ar_radius_metric_defs, AR_RM_N, NULL);
	int rc = -1;

	if (!m)
		return -2;
	if (st && ar_store_metrics_load(st, AR_RADIUS_METRICS_NAME, m, err) == 0)
		rc = ar_metrics_render(m, out) == AR_OK ? 0 : -2;
	ar_metrics_free(m);
	return rc;
}

int ca_metrics_render(void *ctx, ar_buf_t *out)
{
	ca_t *ca = ctx;
	ar_err_t err = { 0 };
	ar_store_t *st = daemon_store(&ca->stores, &err);
	int lag, radius;

	if (ar_metrics_render(ca->metrics, out) != AR_OK)
		return -1;
	lag = render_lag(ca, st, out, &err);
	radius = render_radius(st, out, &err);
	if (lag == -2 || radius == -2)
		return -1;
	/* After the reads above, so that their failures are counted. */
	if (ar_metrics_render(ca->stores.metrics, out) != AR_OK ||
	    ar_prom_family(out, "acme_rats_redis_up", AR_METRIC_GAUGE,
			   "1 when this scrape's reads from Redis succeeded, else 0.") != AR_OK ||
	    ar_prom_sample(out, "acme_rats_redis_up", NULL, 0, lag == 0 && radius == 0) != AR_OK)
		return -1;
	if (lag < 0 || radius < 0)
		ar_warn("event=metrics.redis_unavailable error=\"%s\"", err.code ? err.msg :
			"a read from Redis failed");
	return 0;
}
