/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file radius_metrics.h
 * @brief The RADIUS module's metric families: decisions by outcome and
 *	  reason, check latency. Counted in the module (rlm_acme_rats), summed
 *	  in Redis, exported by acme-rats-ca's /metrics and acme-rats-ctl.
 *
 * One list of reasons, in one place: the module sets a reason code with
 * every decision (beside its free-text reason), and the exporters render
 * the same names.
 */
#ifndef AR_RADIUS_METRICS_H
#define AR_RADIUS_METRICS_H

#include "metrics.h"

/** Why the module decided as it did: the reason label's values, in order. */
typedef enum ar_radius_reason {
	AR_RR_POSTURE_FRESH = 0,	/**< accept */
	AR_RR_POSTURE_STALE,		/**< quarantine: posture age above fresh */
	AR_RR_POSTURE_WARNING,		/**< quarantine: status warning */
	AR_RR_POSTURE_EXPIRED,		/**< reject: posture age above grace */
	AR_RR_CONTRAINDICATED,		/**< reject: posture or SOC verdict contraindicated */
	AR_RR_NO_APPRAISAL,		/**< reject: posture status none */
	AR_RR_CERT_UNKNOWN,		/**< reject: no certificate record */
	AR_RR_CERT_OTHER_DEVICE,	/**< reject: the record names another device */
	AR_RR_CERT_SUPERSEDED,		/**< reject */
	AR_RR_CERT_REVOKED,		/**< reject */
	AR_RR_SERIAL_UNUSABLE,		/**< reject: no serial exported (over 31 octets) */
	AR_RR_NOT_ACME_RATS,		/**< pass or reject: issuer is no ACME-RATS CA */
	AR_RR_ISSUER_UNVERIFIED,	/**< reject: chain, AKI or issuer name do not agree */
	AR_RR_CERT_UNPARSABLE,		/**< reject: serial, AKI or validity unreadable */
	AR_RR_EXTENSION_MISSING,	/**< reject */
	AR_RR_EXTENSION_INVALID,	/**< reject */
	AR_RR_LIFETIME_EXCEEDED,	/**< reject: above max_cert_lifetime */
	AR_RR_OUTSIDE_VALIDITY,		/**< reject: expired or not yet valid */
	AR_RR_DEVICE_UNUSABLE,		/**< reject: no or bad device id in the extension */
	AR_RR_STORE_UNREADABLE,		/**< reject: a Redis record that does not parse */
	AR_RR_STORE_UNAVAILABLE,	/**< reject: Redis down and fail_closed */
	AR_RR_NO_CERTIFICATE,		/**< reject: resumed EAP-TLS without certificate attributes */
	AR_RR_NOT_CHECKED,		/**< reject: post-auth saw a certificate check-eap-tls did not */
	AR_RR_OTHER,			/**< the catch-all */
	AR_RR_N
} ar_radius_reason_t;

/** The label value of @p r ("posture_fresh", ...). */
const char *ar_radius_reason_name(ar_radius_reason_t r);

/** The families, in the order of ar_radius_metric_defs. */
enum {
	AR_RM_DECISIONS,	/**< acme_rats_radius_decisions_total{outcome,reason} */
	AR_RM_DEGRADED,		/**< acme_rats_radius_degraded_decisions_total */
	AR_RM_LATENCY,		/**< acme_rats_radius_check_latency_seconds */
	AR_RM_N
};

extern const ar_metric_def_t ar_radius_metric_defs[AR_RM_N];

/** The Redis hash the module's counters are summed in (ar_store_metrics_add()). */
#define AR_RADIUS_METRICS_NAME	"radius"

#endif
