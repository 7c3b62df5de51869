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

#include "daemon.h"
#include "ear.h"
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
	/* [soc] */
	char		*soc_token_file;
} verifier_conf_t;

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
void soc_posture(verifier_t *v, const char *device, const ar_http_req_t *req, ar_http_resp_t *resp);

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
