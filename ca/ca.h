/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file ca.h
 * @brief acme-rats-ca: configuration, shared state and the request pipeline
 *	  every ACME endpoint goes through.
 */
#ifndef AR_CA_H
#define AR_CA_H

#include <stdint.h>

#include <jansson.h>
#include <openssl/x509.h>

#include "acme_jws.h"
#include "acme_status.h"
#include "daemon.h"
#include "ear.h"
#include "httpd.h"
#include "jwk.h"
#include "noc.h"
#include "store.h"
#include "token.h"

#define ACME_ERR "urn:ietf:params:acme:error:"
#define ACME_PATH "/acme/"
/*
 * Longest base_url accepted (checked at start), and the size of every URL
 * the CA builds from it: base_url, ACME_PATH, a resource kind and id and a
 * suffix ("/finalize", "/orders") fit with room to spare.
 */
#define CA_BASE_URL_MAX		400
#define CA_URL_MAX		600

/** Orders listed per account (the newest). */
#define ACCOUNT_ORDERS_MAX	1000
/*
 * notBefore is set this far before issuance (at most an eighth of the
 * lifetime; the lifetime unchanged), so a certificate is already valid for
 * RADIUS servers and devices whose clocks are up to a minute behind the CA's.
 */
#define CA_BACKDATE_S		60

/** The backdate of a certificate living @p lifetime_s seconds. */
static inline int64_t ca_backdate(int64_t lifetime_s)
{
	return CA_BACKDATE_S < lifetime_s / 8 ? CA_BACKDATE_S : lifetime_s / 8;
}

/** @name Configuration and state (config.c) */
/** @{ */
typedef struct ca_conf {
	daemon_server_conf_t	server;
	daemon_redis_conf_t	redis;
	daemon_log_conf_t	log;
	daemon_metrics_conf_t	metrics;
	/* [acme] */
	char		*base_url;		/**< e.g. https://ca.example:8444 */
	char		*nonce_key_file;
	int64_t		nonce_lifetime;		/**< ms */
	char		*terms_of_service;
	char		*website;
	int		eab_required;
	char		*eab_keys;		/**< JSON file: {"kid": {"hmac", "profile", "identifiers"}} */
	char		*default_profile;	/**< for accounts without EAB (or EAB without one) */
	char		*issuer_cert;		/**< PEM: the issuing CA certificate (with SKI) */
	char		*issuer_key;		/**< PEM: its private key */
	int64_t		order_lifetime;		/**< ms: orders and authorizations expire */
	int64_t		http01_port;		/**< port http-01 fetches from (80) */
	char		*dns_resolver;		/**< "ip[:port]" for dns-01 and http-01; NULL: system */
	int64_t		validation_timeout;	/**< ms, per http-01 fetch or DNS query */
	int64_t		validation_threads;	/**< threads for challenges that wait on others */
	struct ca_profile *profiles;		/**< [profile "name"] sections */
	size_t		nprofiles;
	noc_conf_t	events;			/**< [events] and [nas "name"] */
} ca_conf_t;

/** remote-attestation property hints (draft-ietf-acme-rats registry). */
enum ca_hint {
	HINT_ANY = 0,		/**< "" */
	HINT_HSM,
	HINT_MEASURED_BOOT,
	HINT_OS_PATCH_LEVEL,
	HINT_SW_MANIFEST,
	HINT_FIDO2,
	HINT_COUNT
};

/** A certificate profile: what an account may order and what is challenged. */
typedef struct ca_profile {
	char		*name;
	/* bound from [profile "name"] */
	int64_t		lifetime;		/**< ms */
	int64_t		max_lifetime;		/**< ms, the cap */
	char		*identifiers;		/**< allowed types, space-separated */
	char		*attest;		/**< hints challenged ("none", or "any os_patch_level ...") */
	char		*policy;		/**< EAR appraisal policy (JSON file) */
	char		*verifier_keys;		/**< JWK Set of trusted verifier keys */
	char		*verifier_url;		/**< base URL of the verifier (encryption key, background check) */
	char		*verifier_ca;		/**< PEM trust anchors for the verifier's TLS; NULL: system */
	char		*claims_hint;		/**< attestClaimsHint, space-separated */
	int		server_auth;		/**< EKU serverAuth as well (dns profiles) */
	int64_t		posture_fresh;		/**< ms the network takes a posture as fresh; 0: unset */
	char		*hint_claims[HINT_COUNT];	/**< hint_any, hint_hsm, ...: AR4SI claims per hint */
	/* derived */
	unsigned	types;			/**< bit per PROFILE_ID_* */
	unsigned	hints;			/**< bit per enum ca_hint */
	unsigned	hint_require[HINT_COUNT];	/**< per hint, bit per ar_tv_claim_t that must be affirming */
	ar_ear_policy_t	ear_policy;
	ar_jwks_t	*trusted;
} ca_profile_t;

#define PROFILE_ID_DNS		0x1
#define PROFILE_ID_PERMANENT	0x2

/** One External Account Binding key from the inventory. */
typedef struct ca_eab {
	char		kid[128];
	ar_jwk_t	*mac;			/**< oct key */
	const ca_profile_t *profile;		/**< NULL: the default profile */
	json_t		*identifiers;		/**< pre-authorized permanent identifiers (array) */
} ca_eab_t;

/** The CA's own metric families (metrics.c), in the order of ca_t.metric_defs. */
enum { CA_M_ISSUANCES, CA_M_CHALLENGE_FAILURES, CA_M_DISCONNECTS, CA_M_N };

typedef struct ca {
	ca_conf_t	conf;
	uint8_t		nonce_key[AR_TOKEN_KEY_LEN];
	daemon_stores_t	stores;
	char		*directory;		/**< JSON text, built once */
	X509		*issuer;		/**< issuing certificate */
	EVP_PKEY	*issuer_key;
	char		*issuer_pem;		/**< appended to every certificate chain */
	int		curl_ready;
	size_t		neab;
	ca_eab_t	*eab;
	noc_t		noc;			/**< the event worker */
	ar_metrics_t	*metrics;		/**< metric_defs: what GET /metrics shows */
	ar_metric_def_t	metric_defs[CA_M_N];
	const char	**profile_values;	/**< the profile label's values */
} ca_t;

int ca_load(ca_t *ca, const char *path, ar_err_t *err);

/** @name Metrics (metrics.c) */
/** @{ */
/** The CA's registry, its profile label from the configured profiles. */
int ca_metrics_init(ca_t *ca, ar_err_t *err);
void ca_metrics_free(ca_t *ca);
void ca_metrics_issued(ca_t *ca, const char *profile);
/** Count challenge @p ch (as written) when it is invalid, by type and error type. */
void ca_metrics_challenge(ca_t *ca, const json_t *ch);
/** daemon_spec_t.metrics_render: the CA's, the store's, the event lag, the module's. */
int ca_metrics_render(void *ctx, ar_buf_t *out);
/** @} */
void ca_free(ca_t *ca);
const ca_eab_t *ca_eab_find(const ca_t *ca, const char *kid);
/** @} */

/** @name Certificate profiles (profile.c) */
/** @{ */
const char *ca_hint_name(enum ca_hint h);
/** Registry value (or its "measured-boot" spelling) to a hint; -1 if unknown. */
int ca_hint_parse(const char *v);

/** daemon_section_t.each for [profile "name"]: bind one profile into ca_conf_t. */
int ca_profile_bind(void *base, const ar_conf_section_t *s, ar_err_t *err);
void ca_profiles_free(ca_conf_t *c);
const ca_profile_t *ca_profile_find(const ca_t *ca, const char *name);
/** The profile an account orders under: its EAB key's, else the default. */
const ca_profile_t *ca_account_profile(const ca_t *ca, const json_t *account);
/** @} */

/** @name The request pipeline and responses (acme.c) */
/** @{ */
/**
 * The record an endpoint reads first (the order, authorization or
 * certificate its URL names), read in the round trip that loads the
 * account; ca_record_own() takes it instead of asking the store again.
 */
typedef struct ca_prefetch {
	const char	*kind;			/**< NULL: nothing to read ahead */
	char		id[48];
	int		done;			/**< read: @text is the record, or NULL if absent */
	char		*text;
	size_t		len;
} ca_prefetch_t;

/** A verified ACME request, as a handler sees it. */
typedef struct acme_req {
	ca_t			*ca;
	const ar_http_req_t	*http;
	ar_store_t		*st;
	ar_acme_jws_t		jws;		/**< parsed; signature verified */
	const ar_jwk_t		*key;		/**< the key that verified it: for a kid, the
						     account's key, parsed once (valid while
						     the request runs) */
	char			url[CA_URL_MAX];	/**< absolute URL of this request */
	char			account_id[64];	/**< "" for jwk-signed requests */
	json_t			*account;	/**< account record, or NULL */
	char			*account_text;	/**< the record as read (compare-and-set), or NULL */
	ca_prefetch_t		pre;		/**< the endpoint's record, read with the account */
} acme_req_t;

/** The HTTP entry point (ar_http_handler_t). */
void ca_handle(void *ctx, const ar_http_req_t *req, ar_http_resp_t *resp);

/* Every response carries a fresh Replay-Nonce and the index Link. */
void acme_problem(ca_t *ca, ar_http_resp_t *resp, int status, const char *type,
		  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void acme_problem_from(ca_t *ca, ar_http_resp_t *resp, const ar_err_t *err);
/** 400 badSignatureAlgorithm with the accepted algorithms in "algorithms" (RFC 8555 6.2). */
void acme_problem_bad_alg(ca_t *ca, ar_http_resp_t *resp, const char *why);
void acme_json(ca_t *ca, ar_http_resp_t *resp, int status, json_t *body);
void acme_headers(ca_t *ca, ar_http_resp_t *resp);
/** @} */

/** @name Accounts (account.c) */
/** @{ */
void account_new(acme_req_t *r, ar_http_resp_t *resp);
void account_post(acme_req_t *r, const char *id, ar_http_resp_t *resp);
/** keyChange, RFC 8555 7.3.5. */
void account_key_change(acme_req_t *r, ar_http_resp_t *resp);
/**
 * Load the account named by a kid URL, and @p pre's record (may be NULL) in
 * the same round trip; @p text (may be NULL) gets the record as stored
 * (malloc'd), for a later compare-and-set. 1 found, 0 absent, -1 error.
 */
int account_load(ca_t *ca, ar_store_t *st, const char *kid, char *id, size_t idsize,
		 json_t **account, char **text, ca_prefetch_t *pre, ar_err_t *err);
/** @} */

/** @name Records in the store (record.c) */
/** @{ */
int ca_new_id(char *out, size_t size);
void ca_rfc3339(int64_t t, char *buf, size_t size);
/** "<base_url>/acme/<kind>/<id>". */
void ca_url(const ca_t *ca, const char *kind, const char *id, char *out, size_t size);
/**
 * Queue records on a write batch (the caller runs it, with other writes, in
 * one transaction). -1 only when a record cannot be serialized; a failure of
 * the batch itself is reported by ar_store_batch_exec().
 */
int ca_records_queue(ar_store_batch_t *b, const char *const *kinds, const char *const *ids,
		     json_t *const *recs, size_t n, ar_err_t *err);
/**
 * Several records in one round trip; any missing one is an error. @p text0
 * (may be NULL) gets record 0 as stored (malloc'd).
 */
int ca_records_get_text(ar_store_t *st, const char *const *kinds, const char *const *ids,
			size_t n, json_t **recs, char **text0, ar_err_t *err);
/**
 * As ca_records_get_text(); @p texts (may be NULL) gets every record as stored
 * (malloc'd each; all NULL on failure), for a later compare-and-set.
 */
int ca_records_get_texts(ar_store_t *st, const char *const *kinds, const char *const *ids,
			 size_t n, json_t **recs, char **texts, ar_err_t *err);
/**
 * Write records @p kinds/@p ids/@p recs in one atomic step only while each
 * record @p gkinds/@p gids is still stored as @p gtexts (compare-and-set
 * over several records, one round trip). 1 written; 0 nothing written,
 * @p changed (may be NULL) the index of the first guard that changed; -1
 * error.
 */
int ca_records_put_if(ar_store_t *st, const char *const *gkinds, const char *const *gids,
		      const char *const *gtexts, size_t ng, const char *const *kinds,
		      const char *const *ids, json_t *const *recs, size_t n, size_t *changed,
		      ar_err_t *err);
/** As ca_record_get(); @p text gets the record as stored (malloc'd) when found. */
int ca_record_get_text(ar_store_t *st, const char *kind, const char *id, json_t **rec,
		       char **text, ar_err_t *err);
/**
 * Records @p ids[0..n) of one kind in one round trip, each checked as
 * ca_record_get() does; @p recs[i] is NULL for a record that is absent or
 * corrupt (expired records are dropped by Redis).
 */
int ca_records_get_some(ar_store_t *st, const char *kind, const char *const *ids, size_t n,
			json_t **recs, ar_err_t *err);
/** 1 found, 0 absent (or not a plausible id), -1 error. */
int ca_record_get(ar_store_t *st, const char *kind, const char *id, json_t **rec, ar_err_t *err);
/**
 * Ask for record @p kind whose id starts @p path (up to a '/') to be read
 * with the account; nothing when the id cannot be one.
 */
void ca_record_prefetch(acme_req_t *r, const char *kind, const char *path);
/**
 * The record if it belongs to the request's account (the prefetched one
 * when it is the one asked for); else answers 404 and returns NULL.
 */
json_t *ca_record_own(acme_req_t *r, const char *kind, const char *id, ar_http_resp_t *resp);
/**
 * As ca_record_own(); @p text (may be NULL) gets the record as stored
 * (malloc'd, NULL on failure), the value a compare-and-set expects.
 */
json_t *ca_record_own_text(acme_req_t *r, const char *kind, const char *id, char **text,
			   ar_http_resp_t *resp);
/** @} */

/** @name Orders and authorizations (order.c) */
/** @{ */
void order_new(acme_req_t *r, ar_http_resp_t *resp);
void order_post(acme_req_t *r, const char *id, ar_http_resp_t *resp);
void authz_post(acme_req_t *r, const char *id, ar_http_resp_t *resp);
json_t *order_view(const ca_t *ca, const char *id, const json_t *order);
json_t *authz_view(const ca_t *ca, const char *id, const json_t *authz);

/** Recompute an order's status from its authorizations (written once). */
int order_refresh(acme_req_t *r, json_t *order, ar_err_t *err);
/**
 * Whether order @p id can no longer issue: 1 when it is invalid (as refreshed)
 * or gone, 0 when it can, -1 on a store error.
 */
int order_dead(acme_req_t *r, const char *id, ar_err_t *err);
/** As order_refresh(), with authorization @p changed_id taken from @p changed (newer). */
int order_refresh_with(acme_req_t *r, json_t *order, const char *changed_id,
		       const json_t *changed, ar_err_t *err);
/**
 * Order @p order_id and its authorizations @p authz_ids (as an authorization
 * record names them, "order_authzs") in one round trip; @p authzs gets the
 * authorization records as a JSON array, @p order_text (may be NULL) the
 * order as stored (malloc'd). AR_ERR_NOT_FOUND when a record is missing.
 */
int order_load_with_authzs(acme_req_t *r, const char *order_id, const json_t *authz_ids,
			   json_t **order, json_t **authzs, char **order_text, ar_err_t *err);
/**
 * An order's status from its authorization records @p authzs (a JSON array
 * in the order of its "authorizations"), authorization @p changed_id taken
 * from @p changed (newer), or NULL.
 */
void order_derive(json_t *order, const json_t *authzs, const char *changed_id,
		  const json_t *changed);
/** 1 when @p account's EAB inventory entry names device @p value (pre-authorized). */
int ca_eab_preauthorized(const ca_t *ca, const json_t *account, const char *value);
/** @} */

/** @name Finalization and certificates (finalize.c) */
/** @{ */
/**
 * POST to an order's finalize URL; @p stored is the order
 * record as read, which the ready -> processing transition expects.
 */
void order_finalize(acme_req_t *r, const char *id, json_t *order, const char *stored,
		    ar_http_resp_t *resp);
/** POST-as-GET of a certificate chain. */
void cert_post(acme_req_t *r, const char *id, ar_http_resp_t *resp);
/** @} */

/** @name Challenges (challenge.c) and domain validation (validate.c) */
/** @{ */
/** POST to a challenge: "<authz id>/<index>". */
void challenge_post(acme_req_t *r, const char *path, ar_http_resp_t *resp);

/*
 * Domain validation: 0 valid; -1 invalid, @problem is the ACME error type
 * (dns, connection, incorrectResponse) and @detail says why.
 */
int validate_http01(const ca_t *ca, const char *name, const char *token, const char *keyauth,
		    const char **problem, char *detail, size_t size);
int validate_dns01(const ca_t *ca, const char *name, const char *keyauth, const char **problem,
		   char *detail, size_t size);
/** Check dns_resolver at start-up. */
int validate_conf(const ca_t *ca, ar_err_t *err);
/** @} */

/** @name Revocation (revoke.c) */
/** @{ */
/** revokeCert, RFC 8555 7.6. */
void revoke_post(acme_req_t *r, const char *rest, ar_http_resp_t *resp);
/** @} */

/** @name Renewal information, RFC 9773 (ari.c) */
/** @{ */
void ari_get(ca_t *ca, const char *certid, ar_http_resp_t *resp);
/** certID = base64url(AKI) "." base64url(serial) to lower-case hex; -1 if malformed. */
int ari_certid_parse(const char *certid, char *aki, size_t akisize, char *serial,
		     size_t serialsize);
/** The certlife record of a certificate (its validity, for the renewal window). */
json_t *ari_life_record(int64_t not_before, int64_t not_after);
/** @} */

#endif
