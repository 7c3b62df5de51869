/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file verifier.h
 * @brief acme-rats-verifier: configuration and the state its handlers share.
 */
#ifndef AR_VERIFIER_H
#define AR_VERIFIER_H

#include <pthread.h>
#include <stdint.h>

#include <jansson.h>

#include "alert.h"
#include "daemon.h"
#include "ear.h"
#include "event_syslog.h"
#include "evidence.h"
#include "httpd.h"
#include "jwk.h"
#include "session.h"
#include "store.h"

/** Settings, as bound from the configuration file (see docs/verifier.md). */
typedef struct verifier_conf {
	daemon_server_conf_t	server;
	daemon_redis_conf_t	redis;
	daemon_log_conf_t	log;
	daemon_metrics_conf_t	metrics;
	/* [verifier] */
	char		*signing_key;
	char		*signing_kid;
	char		*encryption_key;
	char		*developer;
	char		*build;
	int		ear_profile;		/**< ar_ear_profile_t */
	char		*reference_values;
	char		*policy;
	int64_t		session_ttl;		/**< ms */
	int64_t		ear_ttl;		/**< ms; 0 = no exp claim */
	char		*session_key_file;
	char		*tpm_policy;		/**< TPM reference values (tpm_policy.h); NULL: no TPM evidence */
	/* [soc] */
	char		*soc_token_file;
	int		alert_index_ip;		/**< index the address evidence came from */
	int64_t		alert_index_ttl;	/**< ms: life of the address index entries */
	/* [syslog] */
	int		syslog_enabled;
	char		*syslog_path;
	int		syslog_format;		/**< ar_syslog_format_t */
	char		*syslog_facility;
	char		*syslog_app_name;
	char		*syslog_group;
	char		*syslog_consumer;
	int64_t		syslog_reclaim_after;	/**< ms */
	struct alert_source *alert_sources;	/**< [alert_source "name"] sections */
	size_t		nalert_sources;
	/* [tpm] */
	char		*tpm_ek_roots;
	char		*tpm_ek_intermediates;
	char		*tpm_ek_registered;
	int64_t		tpm_challenge_ttl;	/**< ms */
	int		tpm_reenrol;
} verifier_conf_t;

/** [alert_source "name"]: a SIEM that may POST /soc/alerts (alerts.c). */
typedef struct alert_source {
	char		*name;
	int		auth;			/**< ALERT_AUTH_HMAC or ALERT_AUTH_BEARER */
	char		*secret_file;		/**< HMAC key or bearer token (0600) */
	char		*rules;			/**< "wazuh", "elastic" or a rules file */
	int64_t		max_skew;		/**< ms: HMAC timestamp window */
	int64_t		rate;			/**< alerts per minute, sustained */
	int64_t		burst;			/**< alerts at once */
	int64_t		dedup_ttl;		/**< ms: an alert id is remembered this long */
	int64_t		max_body;		/**< bytes */
	char		secret[256];
	ar_alert_rules_t *compiled;
	/* token bucket, under the lock */
	pthread_mutex_t	lock;
	double		tokens;
	int64_t		refilled_ms;
} alert_source_t;

#define ALERT_AUTH_HMAC		0
#define ALERT_AUTH_BEARER	1

/** The [syslog] writer thread (syslog_out.c). */
typedef struct syslog_out {
	pthread_t		thread;
	int			running;
	volatile int		stop;
	ar_syslog_opts_t	opts;
	char			host[256];
	int			fd;		/**< connected to [syslog] path, or -1 */
	ar_buf_t		line;
} syslog_out_t;

struct ar_tpm_ek_trust;

/** Everything a request handler reads; immutable once serving starts. */
typedef struct verifier {
	verifier_conf_t	conf;
	ar_jwk_t	*signing_key;
	ar_jwk_t	*encryption_key;
	char		*jwks_text;		/**< public signing keys, served as is */
	char		*enc_jwk_text;		/**< public encryption key, served as is */
	ar_refpolicy_t	policy;
	uint8_t		session_key[SESSION_KEY_LEN];
	char		soc_token[256];
	daemon_stores_t	stores;			/**< Redis, one connection per thread */
	struct ar_tpm_refpolicy *tpm;		/**< loaded tpm_policy, or NULL */
	struct tpm_ima_cache *ima_cache;	/**< per-device IMA replay positions (tpm_evidence_api.c) */
	syslog_out_t	syslog;
	struct ar_tpm_ek_trust *ek_trust;	/**< [tpm] ek_roots, or NULL */
	uint8_t		(*ek_registered)[32];	/**< [tpm] ek_registered: SHA-256 of EK publics */
	size_t		n_ek_registered;
	ar_metrics_t	*metrics;		/**< VERIFIER_M_* (metrics.c) */
} verifier_t;

/** The verifier's metric families (metrics.c). */
enum { VERIFIER_M_APPRAISALS, VERIFIER_M_N };

int verifier_metrics_init(verifier_t *v, ar_err_t *err);
/** One appraisal answered with an EAR of @p status. */
void verifier_metrics_appraisal(verifier_t *v, ar_status_t status);
/** daemon_spec_t.metrics_render. */
int verifier_metrics_render(void *ctx, ar_buf_t *out);

/** Load configuration and keys; on error @p err says which file and line. */
int verifier_load(verifier_t *v, const char *path, ar_err_t *err);
void verifier_free(verifier_t *v);

/** The HTTP entry point (ar_http_handler_t). */
void verifier_handle(void *ctx, const ar_http_req_t *req, ar_http_resp_t *resp);

/** Append one event to the stream (type, device, status, reason, source). */
int verifier_event(ar_store_t *st, const char *type, const char *device, ar_status_t status,
		   const char *reason, ar_err_t *err);

/* Route handlers. */
/** POST /tpm/v1/enroll: a credential-activation challenge for a device's AK (tpm_api.c). */
void tpm_enroll(verifier_t *v, const ar_http_req_t *req, ar_http_resp_t *resp);
/** POST /tpm/v1/activate: the activated secret; registers the AK (tpm_api.c). */
void tpm_activate(verifier_t *v, const ar_http_req_t *req, ar_http_resp_t *resp);
/** Load the [tpm] trust store and registered EKs; 0 or -1. */
int tpm_api_load(verifier_t *v, ar_err_t *err);
void tpm_api_free(verifier_t *v);
void soc_posture(verifier_t *v, const char *device, const ar_http_req_t *req, ar_http_resp_t *resp);
/** POST /soc/alerts: a SIEM webhook (alerts.c). */
void soc_alert(verifier_t *v, const ar_http_req_t *req, ar_http_resp_t *resp);

/**
 * The SOC's verdict on @p device and on every device its enrolled identity
 * key speaks for: verdict record, posture status, one event each. The one
 * code path of the SOC API, acme-rats-ctl flag and SIEM alerts.
 * @p covered counts the devices done.
 */
int soc_set_verdict(ar_store_t *st, const char *device, ar_status_t s, const char *reason,
		    size_t *covered, ar_err_t *err);

/** daemon_section_t.each for [alert_source "name"]; @p base is the verifier_conf_t. */
int alert_source_bind(void *base, const ar_conf_section_t *s, ar_err_t *err);
/** Load the rule sets and secrets of the bound sources. */
int alert_sources_load(verifier_t *v, ar_err_t *err);
void alert_sources_free(verifier_t *v);

/**
 * Index @p device under the host name its signed evidence gave and the
 * address it came from, for SIEM alerts that name a device that way.
 * Called only for evidence signed by the device's enrolled identity key.
 */
void alert_index_device(verifier_t *v, ar_store_t *st, const char *device, const char *hostname,
			const char *peer);

extern const ar_conf_rule_t syslog_rules[];
/** Start and stop the [syslog] writer (a consumer group on the event stream). */
int syslog_out_start(verifier_t *v, ar_err_t *err);
void syslog_out_stop(verifier_t *v);

/**
 * TPM evidence (tpm_cmw.h) posted to session @p s: appraised against the
 * device's enrolled AK and the TPM reference values into an EAR (tpm_evidence_api.c).
 */
void tpm_evidence(verifier_t *v, const session_t *s, const ar_http_req_t *req,
		  ar_http_resp_t *resp);

/**
 * A verifier that appraises TPM evidence holds signed JSON evidence (the
 * operating system's word) to a lower-assurance profile: every affirming
 * claim becomes warning (32), and the reason says so. A mixed fleet keeps
 * working; the relying party's profile decides whether it admits warnings.
 */
void tpm_cap_software(ar_ear_submod_t *sm, char *reason, size_t size);

/**
 * A device with an enrolled AK attests with its TPM or not at all: signed
 * JSON evidence from it is a downgrade (the operating system's word where
 * the chip's was promised). Returns 0 when @p device has no AK (its software
 * evidence is appraised, then capped), or -1 with the problem written to
 * @p resp: 403 tpmRequired for an enrolled device, 503 when the AK
 * registry cannot be read (fail closed).
 */
int tpm_software_allowed(verifier_t *v, const char *device, ar_http_resp_t *resp);

/** Load the TPM reference values named by tpm_policy (none: 0, v->tpm NULL). */
int tpm_evidence_load(verifier_t *v, ar_err_t *err);
/** Release what tpm_evidence_load() made. */
void tpm_evidence_free(verifier_t *v);

/* Shared by the evidence paths (api.c). */
/** One log line per refused evidence. */
void verifier_refused(const char *device, const char *why, const char *detail);
/** Spend @p ev's nonce for its device once; 0, or -1 after answering. */
int verifier_spend_nonce(verifier_t *v, const ar_evidence_t *ev, ar_http_resp_t *resp);
/** Sign the EAR of one submodule for @p ev (cnf.jkt = ev->key_jkt) as a CMW record. */
json_t *verifier_issue_ear(verifier_t *v, const ar_evidence_t *ev, const char *nonce,
			   const ar_ear_submod_t *sm, int64_t now, char **jwt_out, ar_err_t *err);
/** Record the appraisal: the posture record and one event. */
void verifier_record_posture(verifier_t *v, const ar_evidence_t *ev, const ar_ear_submod_t *sm,
			     int64_t now, const char *reason);

/**
 * A SOC verdict stands until the SOC changes it: an appraisal that comes
 * out better than the device's standing verdict (warning, contraindicated)
 * is lowered to it, and @p reason becomes the verdict's ("SOC: ..."), so
 * the recorded posture still carries it. Returns 1 when it lowered, 0 when
 * not, -1 when the verdict cannot be read (the caller must not sign).
 */
int soc_verdict_caps(ar_store_t *st, const char *device, ar_status_t *status, char *reason,
		     size_t size);

/** Problem type prefix of the verifier's own errors. */
#define VERIFIER_PROBLEM "urn:acme-rats:verifier:error:"

#endif
