/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SIEM alerts in: POST /soc/alerts?source=NAME, a webhook of the SOC's SIEM
 * (Wazuh, Elastic, ...), turned into the SOC's verdict on a device.
 *
 *   1. the source authenticates: an HMAC-SHA256 of
 *      "<source>.<timestamp>.<body>" under its shared secret
 *      (X-Acme-Rats-Signature: sha256=<hex>) with X-Acme-Rats-Timestamp
 *      within max_skew of our clock, or its bearer token (the listener is
 *      HTTPS only). The source's name is signed, so a signature made for
 *      one source is no good for another, even one with the same secret;
 *   2. its token bucket allows one more alert (else 429, Retry-After);
 *   3. its mapping rules (lib/alert.h) pick the alert id, the device
 *      references, the verdict and the reason;
 *   4. a reference is looked up in the inventory: a device id that is
 *      enrolled, or the host name / address index that accepted evidence
 *      wrote (alert_index_device()) - never anything the alert alone says;
 *   5. (source, alert id) is claimed once (SET NX with dedup_ttl): a
 *      second delivery answers 200 "duplicate" and changes nothing;
 *   6. the verdict goes through soc_set_verdict(), the code path of the SOC
 *      API and acme-rats-ctl flag.
 * Every refusal is a problem document and one log line, and writes nothing.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "b64.h"
#include "clock.h"
#include "hex.h"
#include "log.h"
#include "verifier.h"

#define HDR_TIMESTAMP	"X-Acme-Rats-Timestamp"
#define HDR_SIGNATURE	"X-Acme-Rats-Signature"
#define SIG_PREFIX	"sha256="
#define SOURCE_NAME_MAX	32
#define ALIAS_HOST_TTL	(30LL * 86400 * 1000)	/* a host name binding, refreshed by attestation */

static const char *const auth_names[] = { "hmac", "bearer", NULL };

#define SOFF(f) offsetof(alert_source_t, f)
static const ar_conf_rule_t source_rules[] = {
	{ "auth", AR_CONF_ENUM, SOFF(auth), 0, "hmac", 0, 0, auth_names },
	{ "secret_file", AR_CONF_STRING, SOFF(secret_file), AR_CONF_REQUIRED, NULL, 0, 0, NULL },
	{ "rules", AR_CONF_STRING, SOFF(rules), AR_CONF_REQUIRED, NULL, 0, 0, NULL },
	{ "max_skew", AR_CONF_DURATION, SOFF(max_skew), 0, "5m", 1000, 3600000, NULL },
	{ "rate", AR_CONF_INT, SOFF(rate), 0, "60", 1, 60000, NULL },
	{ "burst", AR_CONF_INT, SOFF(burst), 0, "20", 1, 10000, NULL },
	{ "dedup_ttl", AR_CONF_DURATION, SOFF(dedup_ttl), 0, "24h", 60000, 30LL * 86400000, NULL },
	{ "max_body", AR_CONF_SIZE, SOFF(max_body), 0, "64k", 1024, AR_ALERT_BODY_MAX, NULL },
	AR_CONF_END
};

int alert_source_bind(void *base, const ar_conf_section_t *s, ar_err_t *err)
{
	verifier_conf_t *c = base;
	const char *name = ar_conf_section_name(s);
	alert_source_t *grown, *a;
	size_t i;

	if (!name || !*name || strlen(name) > SOURCE_NAME_MAX || strspn(name,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != strlen(name))
		return ar_conf_error(s, NULL, err, "[alert_source \"NAME\"]: NAME must be 1..%d "
				     "letters, digits, '-' or '_'", SOURCE_NAME_MAX);
	for (i = 0; i < c->nalert_sources; i++)
		if (!strcmp(c->alert_sources[i].name, name))
			return ar_conf_error(s, NULL, err, "alert source \"%s\" defined twice", name);
	grown = realloc(c->alert_sources, (c->nalert_sources + 1) * sizeof(*grown));
	if (!grown)
		return ar_err_set(err, AR_ERR_NOMEM, "out of memory");
	c->alert_sources = grown;
	a = &c->alert_sources[c->nalert_sources];
	memset(a, 0, sizeof(*a));
	a->name = strdup(name);
	c->nalert_sources++;
	if (!a->name)
		return ar_err_set(err, AR_ERR_NOMEM, "out of memory");
	if (ar_conf_bind(s, source_rules, a, err) < 0)
		return -1;
	if (daemon_read_secret(a->secret_file, a->secret, sizeof(a->secret), err) < 0)
		return ar_conf_error(s, "secret_file", err, "%s", err->msg);
	if (a->auth == ALERT_AUTH_HMAC && strlen(a->secret) < 16)
		return ar_conf_error(s, "secret_file", err, "an HMAC secret needs at least 16 "
				     "characters");
	/* A signed alert is accepted while its timestamp is within max_skew either
	 * way, 2 * max_skew in all: its dedup entry must outlive that, or a replay
	 * after the entry expired would apply the alert twice. */
	if (a->auth == ALERT_AUTH_HMAC && a->dedup_ttl < 2 * a->max_skew)
		return ar_conf_error(s, "dedup_ttl", err, "dedup_ttl (%lld s) must be at least twice "
				     "max_skew (%lld s): a replay inside the timestamp window after "
				     "the alert id is forgotten would apply the alert twice",
				     (long long)(a->dedup_ttl / 1000), (long long)(a->max_skew / 1000));
	a->compiled = ar_alert_rules_load(a->rules, err);
	if (!a->compiled)
		return ar_conf_error(s, "rules", err, "%s", err->msg);
	return 0;
}

int alert_sources_load(verifier_t *v, ar_err_t *err)
{
	size_t i;

	for (i = 0; i < v->conf.nalert_sources; i++) {
		alert_source_t *a = &v->conf.alert_sources[i];

		if (pthread_mutex_init(&a->lock, NULL) != 0)
			return ar_err_set(err, AR_ERR_NOMEM, "cannot create a lock");
		a->tokens = (double)a->burst;
		a->refilled_ms = ar_mono_ms();
	}
	return 0;
}

void alert_sources_free(verifier_t *v)
{
	verifier_conf_t *c = &v->conf;
	size_t i;

	for (i = 0; i < c->nalert_sources; i++) {
		alert_source_t *a = &c->alert_sources[i];

		OPENSSL_cleanse(a->secret, sizeof(a->secret));
		ar_alert_rules_free(a->compiled);
		ar_conf_unbind(source_rules, a);
		free(a->name);
		if (a->refilled_ms)
			pthread_mutex_destroy(&a->lock);
	}
	free(c->alert_sources);
	c->alert_sources = NULL;
	c->nalert_sources = 0;
}

/* ---- the inventory index ---- */

static void alias_key(char *buf, size_t size, ar_alert_by_t by, const char *value)
{
	snprintf(buf, size, "alias:%s:%s", ar_alert_by_name(by), value);
}

/*
 * Host name: the first device to attest with it keeps it (refreshed while it
 * does). A second device attesting with a held name makes it ambiguous
 * (ALIAS_AMBIGUOUS): an alert by that name is then refused (409), never
 * sent to whichever device claimed it first - a device may report any name,
 * including its victim's. A device holds one name at a time: attesting with
 * another gives up the one it held.
 */
#define ALIAS_AMBIGUOUS	"*ambiguous"

static void index_hostname(ar_store_t *st, const char *device, const char *hostname)
{
	char key[200], mine[200], host[AR_ALERT_VALUE_MAX + 1], q[160];
	ar_err_t err = { 0 };
	char *held = NULL, *before = NULL;
	size_t i;
	int rc;

	if (!*hostname || strlen(hostname) > AR_ALERT_VALUE_MAX)
		return;
	for (i = 0; hostname[i]; i++) {
		if (hostname[i] <= ' ' || hostname[i] > '~')
			return;
		host[i] = (char)tolower((unsigned char)hostname[i]);
	}
	host[i] = '\0';
	snprintf(mine, sizeof(mine), "alias:devhost:%s", device);
	rc = ar_store_get(st, mine, &before, NULL, &err);
	if (rc == 1 && strcmp(before, host)) {	/* the name it held before, if still its own */
		alias_key(key, sizeof(key), AR_ALERT_BY_HOSTNAME, before);
		if (ar_store_get(st, key, &held, NULL, &err) == 1 && !strcmp(held, device))
			ar_store_del(st, key, &err);
		free(held);
		held = NULL;
	}
	alias_key(key, sizeof(key), AR_ALERT_BY_HOSTNAME, host);
	rc = rc < 0 ? -1 : ar_store_get(st, key, &held, NULL, &err);
	if (rc == 0)
		rc = ar_store_set_once(st, key, device, ALIAS_HOST_TTL, &err) < 0 ? -1 : 1;
	else if (rc == 1 && !strcmp(held, device))
		rc = ar_store_set(st, key, device, strlen(device), ALIAS_HOST_TTL, &err);
	else if (rc == 1 && strcmp(held, ALIAS_AMBIGUOUS)) {
		ar_warn("event=inventory.hostname_conflict hostname=%s device=%s held_by=%.128s "
			"now=ambiguous", ar_log_q(q, sizeof(q), host), device, held);
		rc = ar_store_set(st, key, ALIAS_AMBIGUOUS, strlen(ALIAS_AMBIGUOUS), ALIAS_HOST_TTL,
				  &err);
	}
	if (rc >= 0)
		rc = ar_store_set(st, mine, host, strlen(host), ALIAS_HOST_TTL, &err);
	if (rc < 0)
		ar_warn("event=inventory.index_failed device=%s error=\"%s\"", device, err.msg);
	free(held);
	free(before);
}

void alert_index_device(verifier_t *v, ar_store_t *st, const char *device, const char *hostname,
			const char *peer)
{
	char key[200];
	ar_err_t err = { 0 };

	if (!st || !v->conf.nalert_sources)
		return;
	index_hostname(st, device, hostname);
	/* The address the evidence came from: the last device to attest from it. */
	if (v->conf.alert_index_ip && peer && *peer && strlen(peer) <= AR_ALERT_VALUE_MAX) {
		alias_key(key, sizeof(key), AR_ALERT_BY_IP, peer);
		if (ar_store_set(st, key, device, strlen(device), v->conf.alert_index_ttl, &err) < 0)
			ar_warn("event=inventory.index_failed device=%s error=\"%s\"", device, err.msg);
	}
}

/*
 * The enrolled device a reference names: 1 found (@p device filled),
 * 0 none, 2 a host name more than one device attested with, -1 store error.
 */
static int lookup_ref(ar_store_t *st, const ar_alert_ref_t *ref, char *device, size_t size,
		      ar_err_t *err)
{
	ar_store_identity_t id;
	char key[200], *held = NULL;
	int rc;

	if (ref->by == AR_ALERT_BY_DEVICE) {
		if (ar_store_device_valid(ref->value, NULL) < 0)
			return 0;
		rc = ar_store_identity_get(st, ref->value, &id, err);
		if (rc == 1)
			snprintf(device, size, "%s", ref->value);
		return rc;
	}
	alias_key(key, sizeof(key), ref->by, ref->value);
	rc = ar_store_get(st, key, &held, NULL, err);
	if (rc == 1) {
		if (!strcmp(held, ALIAS_AMBIGUOUS))
			rc = 2;
		else if (ar_store_device_valid(held, NULL) < 0 || strlen(held) >= size)
			rc = 0;
		else
			snprintf(device, size, "%s", held);
	}
	free(held);
	return rc;
}

/* ---- authentication and rate ---- */

static alert_source_t *source_named(verifier_t *v, const char *name)
{
	size_t i;

	for (i = 0; name && i < v->conf.nalert_sources; i++)
		if (!strcmp(v->conf.alert_sources[i].name, name))
			return &v->conf.alert_sources[i];
	return NULL;
}

/* HMAC-SHA256(secret, "<source>.<timestamp>.<body>") as lower-case hex. The
 * source name has no '.' and the timestamp is digits: the string is unambiguous. */
static int sign(const alert_source_t *a, const char *ts, const char *body, size_t len,
		char hex[65])
{
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	unsigned char md[32];
	size_t mdlen = 0;
	int rc = -1;

	if (ctx && EVP_MAC_init(ctx, (const unsigned char *)a->secret, strlen(a->secret), params) &&
	    EVP_MAC_update(ctx, (const unsigned char *)a->name, strlen(a->name)) &&
	    EVP_MAC_update(ctx, (const unsigned char *)".", 1) &&
	    EVP_MAC_update(ctx, (const unsigned char *)ts, strlen(ts)) &&
	    EVP_MAC_update(ctx, (const unsigned char *)".", 1) &&
	    EVP_MAC_update(ctx, (const unsigned char *)body, len) &&
	    EVP_MAC_final(ctx, md, &mdlen, sizeof(md)) && mdlen == sizeof(md) &&
	    ar_hex_encode(md, sizeof(md), hex, 65, NULL) >= 0)
		rc = 0;
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	OPENSSL_cleanse(md, sizeof(md));
	return rc;
}

/* Why an alert was refused: its problem type, status and log word. */
typedef struct refusal {
	int		status;
	const char	*type;
	const char	*why;
	char		detail[300];
} refusal_t;

static int refuse(refusal_t *r, int status, const char *type, const char *why, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int refuse(refusal_t *r, int status, const char *type, const char *why, const char *fmt, ...)
{
	va_list ap;

	r->status = status;
	r->type = type;
	r->why = why;
	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
	va_end(ap);
	return -1;
}

/* @signed_at receives the timestamp the signature covers. */
static int check_hmac(const alert_source_t *a, const ar_http_req_t *req, long long *signed_at,
		      refusal_t *r)
{
	const char *ts = ar_http_header(req, HDR_TIMESTAMP);
	const char *sig = ar_http_header(req, HDR_SIGNATURE), *body;
	char want[65], got[65];
	long long t;
	size_t len, i;
	char *end;

	if (!ts || !sig)
		return refuse(r, 401, VERIFIER_PROBLEM "unauthorized", "unsigned",
			      "an alert from \"%s\" must carry " HDR_TIMESTAMP " and " HDR_SIGNATURE,
			      a->name);
	t = strtoll(ts, &end, 10);
	if (end == ts || *end || strlen(ts) > 12 || t <= 0 || strncasecmp(sig, SIG_PREFIX, 7) ||
	    strlen(sig + 7) != 64)
		return refuse(r, 401, VERIFIER_PROBLEM "badSignature", "bad-signature",
			      HDR_TIMESTAMP " must be unix seconds and " HDR_SIGNATURE
			      " sha256=<64 hex digits>");
	for (i = 0; i < 64; i++)
		got[i] = (char)tolower((unsigned char)sig[7 + i]);
	got[64] = '\0';
	body = ar_http_body(req, &len);
	if (sign(a, ts, body, len, want) < 0)
		return refuse(r, 500, VERIFIER_PROBLEM "internal", "internal", "HMAC failed");
	if (CRYPTO_memcmp(want, got, 64) != 0)
		return refuse(r, 401, VERIFIER_PROBLEM "badSignature", "bad-signature",
			      "the signature does not match \"%s.\", the timestamp, \".\" and the "
			      "body under the source's secret", a->name);
	/* Signed, so the timestamp is the SIEM's: a replay outside the window is stale. */
	if (llabs(t - (long long)time(NULL)) * 1000 > a->max_skew)
		return refuse(r, 401, VERIFIER_PROBLEM "staleAlert", "stale",
			      "the alert's timestamp is %lld s from the verifier's clock (window "
			      "%lld s): replayed, or the clocks disagree", t - (long long)time(NULL),
			      (long long)(a->max_skew / 1000));
	*signed_at = t;
	return 0;
}

static int check_bearer(const alert_source_t *a, const ar_http_req_t *req, refusal_t *r)
{
	const char *auth = ar_http_header(req, "Authorization");
	size_t want = strlen(a->secret);

	if (!auth || strncasecmp(auth, "Bearer ", 7) || strlen(auth + 7) != want ||
	    CRYPTO_memcmp(auth + 7, a->secret, want) != 0)
		return refuse(r, 401, VERIFIER_PROBLEM "unauthorized", "bad-token",
			      "a valid bearer token of alert source \"%s\" is required", a->name);
	return 0;
}

/* Take one token; on empty, *retry_s is when the next one is there. */
static int take_token(alert_source_t *a, int *retry_s)
{
	double per_ms = (double)a->rate / 60000.0;
	int64_t now = ar_mono_ms();
	int ok;

	pthread_mutex_lock(&a->lock);
	a->tokens += (double)(now - a->refilled_ms) * per_ms;
	if (a->tokens > (double)a->burst)
		a->tokens = (double)a->burst;
	a->refilled_ms = now;
	ok = a->tokens >= 1.0;
	if (ok)
		a->tokens -= 1.0;
	else
		*retry_s = (int)((1.0 - a->tokens) / per_ms / 1000.0) + 1;
	pthread_mutex_unlock(&a->lock);
	if (*retry_s < 1)
		*retry_s = 1;
	return ok ? 0 : -1;
}

/* ---- the handler ---- */

static void answer_refusal(const refusal_t *r, const alert_source_t *a, const char *source,
			   const ar_http_req_t *req, ar_http_resp_t *resp)
{
	char qs[80], qd[400];

	ar_info("event=alert.refused source=%s reason=%s status=%d peer=%s detail=%s",
		source ? ar_log_q(qs, sizeof(qs), source) : "-", r->why, r->status,
		ar_http_peer(req), ar_log_q(qd, sizeof(qd), r->detail));
	if (r->status == 401 && a && a->auth == ALERT_AUTH_BEARER)
		ar_http_resp_header(resp, "WWW-Authenticate", "Bearer realm=\"acme-rats-soc\"");
	ar_http_resp_problem(resp, r->status, r->type, "%s", r->detail);
}

/* The first reference that names an enrolled device. */
static int resolve_device(ar_store_t *st, const ar_alert_t *al, char *device, size_t size,
			  refusal_t *r, ar_err_t *err)
{
	char refs[300];
	size_t i, used = 0;
	int rc;

	for (i = 0; i < al->nrefs; i++) {
		rc = lookup_ref(st, &al->refs[i], device, size, err);
		if (rc == 2)
			return refuse(r, 409, VERIFIER_PROBLEM "ambiguousDevice", "ambiguous-device",
				      "more than one device attested with %s %.64s: name the device "
				      "by its id", ar_alert_by_name(al->refs[i].by),
				      al->refs[i].value);
		if (rc != 0)
			return rc < 0 ? refuse(r, 503, VERIFIER_PROBLEM "unavailable", "store",
					       "the inventory cannot be read: %s", err->msg) : 0;
		used += (size_t)snprintf(refs + used, sizeof(refs) - used, "%s%s %.64s",
					 i ? ", " : "", ar_alert_by_name(al->refs[i].by),
					 al->refs[i].value);
		if (used >= sizeof(refs))
			used = sizeof(refs) - 1;
	}
	return refuse(r, 404, VERIFIER_PROBLEM "unknownDevice", "unknown-device",
		      "no enrolled device is known by %s", used ? refs : "the alert's references");
}

/* Claim (source, alert id) once: 1 first time, 0 seen before, -1 error. */
/*
 * How long the claim on an alert id lives: dedup_ttl, and for a signed alert
 * at least until its timestamp has left the window it is accepted in (a
 * signature is good while its second is within max_skew of ours either way,
 * so until t + max_skew + 1 s; one more second for the clock's resolution).
 * A replay of a captured alert is then always a duplicate, whatever
 * dedup_ttl and however far ahead the SIEM's clock.
 */
static int64_t claim_ttl(const alert_source_t *a, long long signed_at)
{
	struct timespec now;
	long long until;

	if (!signed_at || clock_gettime(CLOCK_REALTIME, &now) < 0)
		return a->dedup_ttl;
	until = (signed_at + a->max_skew / 1000 + 2) * 1000 - ((long long)now.tv_sec * 1000 +
						       now.tv_nsec / 1000000);
	return until > a->dedup_ttl ? until : a->dedup_ttl;
}

static int claim_alert(ar_store_t *st, const alert_source_t *a, const ar_alert_t *al,
		       const char *device, int64_t ttl_ms, char *key, size_t size, ar_err_t *err)
{
	unsigned char md[32];
	char b64[48];

	if (EVP_Digest(al->id, strlen(al->id), md, NULL, EVP_sha256(), NULL) != 1 ||
	    ar_b64url_encode(md, sizeof(md), b64, sizeof(b64)) < 0)
		return ar_err_set(err, AR_ERR_CRYPTO, "SHA-256 failed");
	snprintf(key, size, "alert:%s:%s", a->name, b64);
	return ar_store_set_once(st, key, device, ttl_ms, err);
}

static void accepted(ar_http_resp_t *resp, const alert_source_t *a, const ar_alert_t *al,
		     const char *device, size_t covered, int duplicate, const char *standing)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:b, s:b}", "source", a->name,
			      "alert_id", al->id, "device", device,
			      "status", ar_status_name(al->status), "devices", (json_int_t)covered,
			      "duplicate", duplicate, "applied", !duplicate && !standing);

	if (o && standing)
		json_object_set_new(o, "standing", json_string(standing));
	ar_http_resp_json(resp, 200, "application/json", o);
}

/* How strict a verdict is: none < warning < contraindicated. */
static int strictness(ar_status_t s)
{
	return s == AR_STATUS_CONTRAINDICATED ? 2 : s == AR_STATUS_WARNING ? 1 : 0;
}

/*
 * An alert only ever makes a device's verdict stricter: it never lowers or
 * clears one, whoever set it - a person, or an earlier alert (a device that
 * can make its own SIEM raise a milder alert about it would otherwise lift
 * its quarantine). Lowering and clearing are for the SOC API, acme-rats-ctl
 * and the console. @return 1 when the alert is stricter than the standing
 * verdict (its name in @p standing otherwise), -1 on a store error.
 */
static int stricter_than_standing(ar_store_t *st, const char *device, ar_status_t s,
				  const char **standing, ar_err_t *err)
{
	ar_store_verdict_t vd;
	int rc = ar_store_verdict_get(st, device, &vd, err);

	if (rc < 0)
		return -1;
	*standing = rc == 1 ? ar_status_name(vd.status) : "none";
	return strictness(s) > strictness(rc == 1 ? vd.status : AR_STATUS_AFFIRMING);
}

/*
 * Map, resolve, claim and apply an authenticated alert (@signed_at: its
 * signed timestamp, 0 for a bearer source); -1 with @p r on refusal.
 */
static int apply_alert(verifier_t *v, alert_source_t *a, const ar_http_req_t *req,
		       long long signed_at, ar_http_resp_t *resp, refusal_t *r)
{
	char device[AR_STORE_DEVICE_MAX + 1], key[120], reason[AR_STORE_REASON_MAX + 1];
	char qr[400], qd[160], qi[160];
	ar_err_t err = { 0 };
	const char *body, *standing = NULL;
	size_t len, covered = 0;
	ar_store_t *st;
	ar_alert_t al;
	int rc;

	body = ar_http_body(req, &len);
	if ((int64_t)len > a->max_body)
		return refuse(r, 413, VERIFIER_PROBLEM "tooLarge", "too-large",
			      "alerts of \"%s\" are at most %lld bytes", a->name,
			      (long long)a->max_body);
	if (ar_alert_map(a->compiled, body, len, &al, &err) < 0)
		return err.code == AR_ERR_NOT_FOUND ?
			refuse(r, 422, VERIFIER_PROBLEM "ruleMiss", "rule-miss", "%s", err.msg) :
			refuse(r, err.code == AR_ERR_TOO_LARGE ? 413 : 400,
			       VERIFIER_PROBLEM "malformed", "malformed", "%s", err.msg);
	st = daemon_store(&v->stores, &err);
	if (!st)
		return refuse(r, 503, VERIFIER_PROBLEM "unavailable", "store", "%s", err.msg);
	if (resolve_device(st, &al, device, sizeof(device), r, &err) < 0)
		return -1;
	rc = claim_alert(st, a, &al, device, claim_ttl(a, signed_at), key, sizeof(key), &err);
	if (rc < 0)
		return refuse(r, 503, VERIFIER_PROBLEM "unavailable", "store", "%s", err.msg);
	if (rc == 0) {
		ar_info("event=alert.duplicate source=%s alert_id=%s device=%s", a->name,
			ar_log_q(qi, sizeof(qi), al.id), ar_log_q(qd, sizeof(qd), device));
		accepted(resp, a, &al, device, 0, 1, NULL);
		return 0;
	}
	rc = stricter_than_standing(st, device, al.status, &standing, &err);
	if (rc <= 0) {
		ar_err_t derr = { 0 };

		if (rc < 0) {
			ar_store_del(st, key, &derr);	/* not applied: the retry may be */
			return refuse(r, 503, VERIFIER_PROBLEM "unavailable", "store", "%s",
				      err.msg);
		}
		ar_info("event=alert.not_applied source=%s alert_id=%s device=%s status=%s "
			"standing=%s why=not-stricter", a->name, ar_log_q(qi, sizeof(qi), al.id),
			ar_log_q(qd, sizeof(qd), device), ar_status_name(al.status), standing);
		accepted(resp, a, &al, device, 0, 0, standing);
		return 0;
	}
	snprintf(reason, sizeof(reason), "%s alert %.40s: %s", a->name, al.id, al.reason);
	if (soc_set_verdict(st, device, al.status, reason, &covered, &err) < 0) {
		ar_err_t derr = { 0 };

		/* let the SIEM's retry through: the alert was not applied */
		if (!covered)
			ar_store_del(st, key, &derr);
		ar_warn("event=soc.flag_failed device=%s status=%s devices_done=%zu error=\"%s\"",
			ar_log_q(qd, sizeof(qd), device), ar_status_name(al.status), covered, err.msg);
		return refuse(r, 503, VERIFIER_PROBLEM "unavailable", "store", "%s", err.msg);
	}
	ar_info("event=alert.accepted source=%s alert_id=%s device=%s status=%s devices=%zu "
		"reason=%s peer=%s", a->name, ar_log_q(qi, sizeof(qi), al.id),
		ar_log_q(qd, sizeof(qd), device), ar_status_name(al.status), covered,
		ar_log_q(qr, sizeof(qr), reason), ar_http_peer(req));
	accepted(resp, a, &al, device, covered, 0, NULL);
	return 0;
}

void soc_alert(verifier_t *v, const ar_http_req_t *req, ar_http_resp_t *resp)
{
	const char *name = ar_http_query(req, "source");
	alert_source_t *a = source_named(v, name);
	refusal_t r = { 0 };
	long long signed_at = 0;
	char retry[16];
	int retry_s = 0;

	if (strcmp(ar_http_method(req), "POST")) {
		ar_http_resp_header(resp, "Allow", "POST");
		ar_http_resp_problem(resp, 405, VERIFIER_PROBLEM "methodNotAllowed",
				     "method not allowed");
		return;
	}
	if (!a) {
		refuse(&r, 401, VERIFIER_PROBLEM "unauthorized", "unknown-source",
		       "POST /soc/alerts?source=NAME, NAME an [alert_source] of the verifier");
		answer_refusal(&r, NULL, name, req, resp);
		return;
	}
	if ((a->auth == ALERT_AUTH_HMAC ? check_hmac(a, req, &signed_at, &r) : check_bearer(a, req, &r)) < 0) {
		answer_refusal(&r, a, a->name, req, resp);
		return;
	}
	if (take_token(a, &retry_s) < 0) {
		snprintf(retry, sizeof(retry), "%d", retry_s);
		ar_http_resp_header(resp, "Retry-After", retry);
		refuse(&r, 429, VERIFIER_PROBLEM "rateLimited", "rate-limited",
		       "alert source \"%s\" sends more than %lld alerts a minute (burst %lld): "
		       "retry in %d s", a->name, (long long)a->rate, (long long)a->burst, retry_s);
		answer_refusal(&r, a, a->name, req, resp);
		return;
	}
	if (apply_alert(v, a, req, signed_at, resp, &r) < 0)
		answer_refusal(&r, a, a->name, req, resp);
}
