/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The RADIUS module's metric families (radius_metrics.h). */
#include "config.h"

#include "radius_metrics.h"

static const char *const reasons[AR_RR_N + 1] = {
	[AR_RR_POSTURE_FRESH] = "posture_fresh",
	[AR_RR_POSTURE_STALE] = "posture_stale",
	[AR_RR_POSTURE_WARNING] = "posture_warning",
	[AR_RR_POSTURE_EXPIRED] = "posture_expired",
	[AR_RR_CONTRAINDICATED] = "contraindicated",
	[AR_RR_NO_APPRAISAL] = "no_appraisal",
	[AR_RR_CERT_UNKNOWN] = "cert_unknown",
	[AR_RR_CERT_OTHER_DEVICE] = "cert_other_device",
	[AR_RR_CERT_SUPERSEDED] = "cert_superseded",
	[AR_RR_CERT_REVOKED] = "cert_revoked",
	[AR_RR_SERIAL_UNUSABLE] = "serial_unusable",
	[AR_RR_NOT_ACME_RATS] = "not_acme_rats",
	[AR_RR_ISSUER_UNVERIFIED] = "issuer_unverified",
	[AR_RR_CERT_UNPARSABLE] = "cert_unparsable",
	[AR_RR_EXTENSION_MISSING] = "extension_missing",
	[AR_RR_EXTENSION_INVALID] = "extension_invalid",
	[AR_RR_LIFETIME_EXCEEDED] = "lifetime_exceeded",
	[AR_RR_OUTSIDE_VALIDITY] = "outside_validity",
	[AR_RR_DEVICE_UNUSABLE] = "device_unusable",
	[AR_RR_STORE_UNREADABLE] = "store_unreadable",
	[AR_RR_STORE_UNAVAILABLE] = "store_unavailable",
	[AR_RR_NO_CERTIFICATE] = "no_certificate",
	[AR_RR_NOT_CHECKED] = "not_checked",
	[AR_RR_OTHER] = "other",
	[AR_RR_N] = NULL,
};

/* In the order of armod_decision_t (rlm_acme_rats/check.h), then the catch-all. */
static const char *const outcomes[] = { "accept", "quarantine", "reject", "pass", "other", NULL };

/* 100 us to 1 s: a check is one Redis round trip on a LAN. */
static const double latency_buckets[] = {
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1
};

const ar_metric_def_t ar_radius_metric_defs[AR_RM_N] = {
	[AR_RM_DECISIONS] = { "acme_rats_radius_decisions_total", AR_METRIC_COUNTER,
		"Admission decisions of rlm_acme_rats, by outcome and reason, summed over every "
		"RADIUS server that flushed its counters to Redis.",
		{ "outcome", "reason" }, { outcomes, reasons }, NULL, 0 },
	[AR_RM_DEGRADED] = { "acme_rats_radius_degraded_decisions_total", AR_METRIC_COUNTER,
		"Decisions taken from the certificate extension alone because Redis was "
		"unavailable (redis_unavailable = certificate_only).", { NULL }, { NULL }, NULL, 0 },
	[AR_RM_LATENCY] = { "acme_rats_radius_check_latency_seconds", AR_METRIC_HISTOGRAM,
		"Time of the module's certificate check in check-eap-tls, Redis lookup included.",
		{ NULL }, { NULL }, latency_buckets,
		sizeof(latency_buckets) / sizeof(latency_buckets[0]) },
};

const char *ar_radius_reason_name(ar_radius_reason_t r)
{
	return r >= 0 && r < AR_RR_N ? reasons[r] : reasons[AR_RR_OTHER];
}
