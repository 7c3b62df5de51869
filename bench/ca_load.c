/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Load generator for ACME servers: acme-rats-ca (attested or plain
 * issuance) and pebble (plain issuance, the peer measured beside it).
 *
 * Each thread holds one account (created before timing) and one keep-alive
 * HTTPS connection, and repeats whole issuances for a bounded time:
 * newOrder, every authorization (POST-as-GET), the challenge response,
 * polls while the server is still working, finalize, polls, certificate
 * download. The device keys and their CSRs are made before timing: key
 * generation is the device's cost, not the CA's. In attested mode the
 * generator also plays the verifier: it signs each EAR (eat_nonce = the
 * challenge's freshness_nonce, cnf.jkt = the CSR key's thumbprint) with a
 * key the CA's profile pins; the verifier's own throughput is measured by
 * bench/verifier.sh.
 *
 *   ca_load [options] attested|plain|pebble DIRECTORY_URL CA_FILE
 *   ca_load jwks KEY_PEM KID	print the JWK Set the CA pins for KEY_PEM
 *   ca_load preload REDIS_PORT N [FROM]	devices FROM..N-1 with posture, certificate and session records
 *
 * Prints one line of key=value figures: issuances/s, latency percentiles
 * of the whole issuance and of each request type, and where the CPU went
 * (this generator, the processes named with --cpu, everything else).
 */
#include "config.h"

#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "acme_jws.h"
#include "b64.h"
#include "benchutil.h"
#include "cmw.h"
#include "ear.h"
#include "fileio.h"
#include "hclient.h"
#include "jws.h"
#include "store.h"
#include "x509.h"

#define URL_MAX		HTTP_URL_MAX
#define MAX_THREADS	1024
#define MAX_WATCH	4
#define POLL_LIMIT_S	10.0

/*
 * nonce: GET newNonce in a loop over the same keep-alive HTTPS, no JWS and
 * no store - the floor one request of an issuance stands on.
 */
enum mode { MODE_ATTESTED, MODE_PLAIN, MODE_PEBBLE, MODE_NONCE };

static const char *const mode_names[] = { "attested", "plain", "pebble", "nonce" };

/* Request types, each with its own latency figures. */
enum req { REQ_NEW_ORDER, REQ_AUTHZ, REQ_CHALLENGE, REQ_POLL, REQ_FINALIZE, REQ_CERT, REQ_NONCE,
	   REQ_COUNT };

static const char *const req_names[REQ_COUNT] = {
	"new_order", "authz", "challenge", "poll", "finalize", "cert", "nonce",
};

/* A device key made before timing: its CSR and the RFC 7638 thumbprint. */
typedef struct device_key {
	char	*csr;				/* base64url DER */
	char	jkt[AR_JWK_THUMBPRINT_LEN + 1];
	char	name[AR_ID_VALUE_MAX + 1];	/* the identifier the CSR names */
} device_key_t;

typedef struct watch {
	const char	*name;
	pid_t		pid;
	double		cpu0;
} watch_t;

typedef struct cfg {
	enum mode	mode;
	const char	*dir_url;
	const char	*ca_file;
	long		threads;
	double		seconds;
	long		pool;			/* device keys per thread */
	json_t		*eab;			/* EAB inventory, NULL for pebble */
	const char	*eab_prefix;
	long		eab_first;
	ar_jwk_t	*verifier;		/* EAR signing key (attested) */
	pthread_barrier_t ready, go;
	int		abort;
	double		deadline;
	watch_t		watch[MAX_WATCH];
	size_t		nwatch;
	long		pause_ms;		/* between two issuances of a thread */
	FILE		*serials;		/* each certificate received: its serial */
} cfg_t;

typedef struct worker {
	pthread_t	tid;
	cfg_t		*cfg;
	long		index;
	hc_t		*http;
	ar_jwk_t	*key;			/* account key */
	char		account[URL_MAX];
	char		nonce[128];
	char		new_nonce[URL_MAX];
	char		new_account[URL_MAX];
	char		new_order[URL_MAX];
	char		device[AR_EAR_ID_MAX];	/* permanent identifier (acme-rats-ca) */
	device_key_t	*pool;
	size_t		npool, next;
	int		ready;
	unsigned long	done, failed, retries, requests, reused;
	double		last_done;		/* when the last certificate arrived */
	bu_samples_t	lat[REQ_COUNT];
	bu_samples_t	issuance;
} worker_t;

static atomic_int reports;

/* The first few failures go to stderr, the rest are only counted. */
static void report(const worker_t *w, const char *what, const char *fmt, const char *detail)
{
	if (atomic_fetch_add(&reports, 1) < 8)
		fprintf(stderr, "ca_load: thread %ld: %s: %s %.300s\n", w->index, what, fmt, detail);
}

static int json_str(const json_t *o, const char *name, char *out, size_t size)
{
	const char *v = json_string_value(json_object_get(o, name));

	if (!v || strlen(v) >= size)
		return -1;
	memcpy(out, v, strlen(v) + 1);
	return 0;
}

/* The flattened JWS of @payload ("" for POST-as-GET) for @url. */
static char *signed_body(worker_t *w, const char *url, const char *payload, int use_jwk)
{
	json_t *hdr = json_pack("{s:s,s:s}", "nonce", w->nonce, "url", url), *jws = NULL;
	char *body = NULL;

	if (hdr && json_object_set_new(hdr, use_jwk ? "jwk" : "kid",
				       use_jwk ? ar_jwk_public_json(w->key) : json_string(w->account)) == 0)
		jws = ar_jws_sign(hdr, payload, strlen(payload), w->key, NULL);
	if (jws)
		body = json_dumps(jws, JSON_COMPACT);
	json_decref(jws);
	json_decref(hdr);
	return body;
}

/*
 * Sign and POST @payload (NULL: POST-as-GET), keep the nonce chain going,
 * retry on badNonce (RFC 8555 6.5). Latency goes to @type (-1: none).
 */
static int post(worker_t *w, int type, const char *url, const json_t *payload, int use_jwk,
		http_resp_t *out)
{
	char *text = payload ? json_dumps(payload, JSON_COMPACT) : NULL;
	int attempt, rc = -1;

	for (attempt = 0; attempt < 3; attempt++) {
		char *body = signed_body(w, url, text ? text : "", use_jwk);
		ar_err_t err = { 0 };
		double t0 = bu_now();

		if (!body || (payload && !text)) {
			free(body);
			report(w, url, "cannot sign", "");
			break;
		}
		rc = hc_request(w->http, "POST", url, "application/jose+json", body, strlen(body), out,
				&err);
		free(body);
		if (rc < 0) {
			report(w, url, "transport:", err.msg);
			break;
		}
		w->requests++;
		if (type >= 0)
			bu_samples_add(&w->lat[type], bu_now() - t0);
		if (out->replay_nonce[0])
			snprintf(w->nonce, sizeof(w->nonce), "%s", out->replay_nonce);
		if (out->status != 400 || !strstr(out->body, ":badNonce\"") || attempt == 2)
			break;
		w->retries++;
		http_resp_free(out);
	}
	free(text);
	return rc;
}

/* The response's JSON if it has status @want, else NULL (reported). The caller frees @r. */
static json_t *expect(worker_t *w, const char *what, http_resp_t *r, long want)
{
	json_t *j = NULL;

	if (r->status == want)
		j = json_loadb(r->body, r->len, 0, NULL);
	if (!j) {
		char status[32];

		snprintf(status, sizeof(status), "HTTP %ld", r->status);
		report(w, what, status, r->body);
	}
	return j;
}

static const char *status_of(const json_t *j)
{
	const char *s = json_string_value(json_object_get(j, "status"));

	return s ? s : "";
}

/* POST-as-GET @url until its status is @want (backing off 0, 1, 2, 4 .. 32 ms). */
static json_t *poll_until(worker_t *w, const char *url, const char *want)
{
	double start = bu_now();
	useconds_t pause = 0;
	http_resp_t r;
	json_t *j;

	while (bu_now() - start < POLL_LIMIT_S) {
		if (pause)
			usleep(pause);
		pause = pause ? (pause < 32000 ? pause * 2 : pause) : 1000;
		if (post(w, REQ_POLL, url, NULL, 0, &r) < 0)
			return NULL;
		j = expect(w, "poll", &r, 200);
		http_resp_free(&r);
		if (!j)
			return NULL;
		if (!strcmp(status_of(j), want))
			return j;
		if (!strcmp(status_of(j), "invalid")) {
			char *text = json_dumps(j, JSON_COMPACT);

			report(w, "poll", "invalid:", text ? text : "");
			free(text);
			json_decref(j);
			return NULL;
		}
		json_decref(j);
	}
	report(w, "poll", "timed out:", url);
	return NULL;
}

/* The attestation result the verifier would give this device: a CMW with the EAR. */
static json_t *passport(const worker_t *w, const char *nonce, const device_key_t *dk)
{
	ar_ear_t ear;
	json_t *cmw = NULL;
	char *jwt;

	memset(&ear, 0, sizeof(ear));
	ear.iat = time(NULL);
	snprintf(ear.nonce, sizeof(ear.nonce), "%s", nonce);
	snprintf(ear.verifier_developer, sizeof(ear.verifier_developer), "bench-ca-load");
	snprintf(ear.jkt, sizeof(ear.jkt), "%s", dk->jkt);
	snprintf(ear.subject, sizeof(ear.subject), "%s", w->device);
	ear.nsubmods = 1;
	snprintf(ear.submods[0].name, sizeof(ear.submods[0].name), "device");
	ear.submods[0].tv.v[AR_TV_INSTANCE_IDENTITY] = 2;
	ear.submods[0].tv.v[AR_TV_CONFIGURATION] = 2;
	ear.submods[0].tv.v[AR_TV_EXECUTABLES] = 2;
	jwt = ar_ear_sign(&ear, w->cfg->verifier, NULL);
	if (jwt)
		cmw = ar_cmw_record(AR_MT_EAR, jwt, strlen(jwt), AR_CMW_IND_RESULTS);
	free(jwt);
	return cmw;
}

/* Read one authorization and, when pending, win its challenge. */
static int authorize(worker_t *w, const char *url, const device_key_t *dk)
{
	const char *want = w->cfg->mode == MODE_ATTESTED ? "remote-attest-01" : "http-01";
	json_t *a = NULL, *c = NULL, *payload = NULL, *chs;
	char curl[URL_MAX], nonce[AR_EAR_NONCE_MAX + 1] = "";
	http_resp_t r;
	size_t i;
	int rc = -1;

	if (post(w, REQ_AUTHZ, url, NULL, 0, &r) < 0)
		return -1;
	a = expect(w, "authz", &r, 200);
	http_resp_free(&r);
	if (!a)
		return -1;
	if (!strcmp(status_of(a), "valid")) {
		rc = 0;
		goto out;
	}
	chs = json_object_get(a, "challenges");
	for (i = 0; i < json_array_size(chs); i++)
		if (!strcmp(json_string_value(json_object_get(json_array_get(chs, i), "type")), want))
			break;
	if (i == json_array_size(chs) ||
	    json_str(json_array_get(chs, i), "url", curl, sizeof(curl)) < 0) {
		report(w, "authz", "no challenge of type", want);
		goto out;
	}
	if (w->cfg->mode == MODE_ATTESTED &&
	    json_str(json_array_get(chs, i), "freshness_nonce", nonce, sizeof(nonce)) < 0) {
		report(w, "authz", "no freshness_nonce", "");
		goto out;
	}
	payload = w->cfg->mode == MODE_ATTESTED ? passport(w, nonce, dk) : json_object();
	if (!payload || post(w, REQ_CHALLENGE, curl, payload, 0, &r) < 0)
		goto out;
	c = expect(w, "challenge", &r, 200);
	http_resp_free(&r);
	if (!c)
		goto out;
	if (!strcmp(status_of(c), "valid")) {
		rc = 0;
	} else if (strcmp(status_of(c), "invalid")) {
		json_t *done = poll_until(w, url, "valid");	/* the server validates later */

		rc = done ? 0 : -1;
		json_decref(done);
	} else {
		report(w, "challenge", "invalid:", json_string_value(json_object_get(
			json_object_get(c, "error"), "detail")));
	}
out:
	json_decref(payload);
	json_decref(c);
	json_decref(a);
	return rc;
}

static json_t *identifiers(const worker_t *w, const device_key_t *dk)
{
	switch (w->cfg->mode) {
	case MODE_ATTESTED:
		return json_pack("[{s:s,s:s},{s:s,s:s}]", "type", AR_ID_PERMANENT, "value", w->device,
				 "type", AR_ID_ATTESTATION, "value", "");
	case MODE_PLAIN:
		return json_pack("[{s:s,s:s}]", "type", AR_ID_PERMANENT, "value", w->device);
	case MODE_PEBBLE:
	case MODE_NONCE:		/* issues nothing */
		break;
	}
	return json_pack("[{s:s,s:s}]", "type", AR_ID_DNS, "value", dk->name);
}

/* One whole issuance; 0 when the certificate arrived. */
/*
 * Append when (Unix ms), the device and the serial of the leaf of @pem
 * (lower-case hex, as the CA names it in Redis) to the --serials file: the
 * certificates the client saw issued.
 */
static void log_serial(worker_t *w, const char *pem, size_t len)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	BIGNUM *bn = x ? ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL) : NULL;
	char *hex = bn ? BN_bn2hex(bn) : NULL, *p;

	if (hex) {
		for (p = hex; *p; p++)
			if (*p >= 'A' && *p <= 'F')
				*p = (char)(*p - 'A' + 'a');
		struct timespec now;

		clock_gettime(CLOCK_REALTIME, &now);
		fprintf(w->cfg->serials, "%lld %s %s\n",
			(long long)now.tv_sec * 1000 + now.tv_nsec / 1000000, w->device, hex);
		fflush(w->cfg->serials);
	} else {
		report(w, "certificate", "no serial in", pem);
	}
	OPENSSL_free(hex);
	BN_free(bn);
	X509_free(x);
	BIO_free(bio);
}

static int issue(worker_t *w)
{
	const device_key_t *dk = &w->pool[w->next % w->npool];
	json_t *p = NULL, *order = NULL, *auths;
	char order_url[URL_MAX], url[URL_MAX];
	http_resp_t r;
	size_t i;
	int rc = -1;

	if (++w->next > w->npool)
		w->reused++;
	p = json_pack("{s:o}", "identifiers", identifiers(w, dk));
	if (!p || post(w, REQ_NEW_ORDER, w->new_order, p, 0, &r) < 0)
		goto out;
	snprintf(order_url, sizeof(order_url), "%s", r.location);
	order = expect(w, "newOrder", &r, 201);
	http_resp_free(&r);
	if (!order || !order_url[0])
		goto out;
	auths = json_object_get(order, "authorizations");
	for (i = 0; i < json_array_size(auths); i++) {
		const char *authz = json_string_value(json_array_get(auths, i));

		if (!authz || authorize(w, authz, dk) < 0)
			goto out;
	}

	json_decref(p);
	p = json_pack("{s:s}", "csr", dk->csr);
	if (!p || json_str(order, "finalize", url, sizeof(url)) < 0 ||
	    post(w, REQ_FINALIZE, url, p, 0, &r) < 0)
		goto out;
	json_decref(order);
	order = expect(w, "finalize", &r, 200);
	http_resp_free(&r);
	if (order && strcmp(status_of(order), "valid")) {	/* processing: issued later */
		json_decref(order);
		order = poll_until(w, order_url, "valid");
	}
	if (!order || json_str(order, "certificate", url, sizeof(url)) < 0 ||
	    post(w, REQ_CERT, url, NULL, 0, &r) < 0)
		goto out;
	if (r.status == 200 && strstr(r.body, "-----BEGIN CERTIFICATE-----")) {
		rc = 0;
		if (w->cfg->serials)
			log_serial(w, r.body, r.len);
	} else
		report(w, "certificate", "unexpected answer", r.body);
	http_resp_free(&r);
out:
	json_decref(order);
	json_decref(p);
	return rc;
}

/* Device keys and CSRs, made before timing. */
static int make_pool(worker_t *w)
{
	ar_identifier_t id;
	ar_err_t err = { 0 };
	size_t i;

	w->pool = calloc(w->npool, sizeof(*w->pool));
	if (!w->pool)
		return -1;
	for (i = 0; i < w->npool; i++) {
		EVP_PKEY *k = EVP_EC_gen("P-256");
		ar_jwk_t *jwk = k ? ar_jwk_from_pkey(k, &err) : NULL;
		unsigned char *der = NULL;
		size_t len;
		int rc = -1;

		memset(&id, 0, sizeof(id));
		if (w->cfg->mode == MODE_PEBBLE) {
			snprintf(id.type, sizeof(id.type), AR_ID_DNS);
			snprintf(id.value, sizeof(id.value), "k%zu-t%ld.bench.example.com", i, w->index);
		} else {
			snprintf(id.type, sizeof(id.type), AR_ID_PERMANENT);
			snprintf(id.value, sizeof(id.value), "%s", w->device);
		}
		if (jwk && ar_csr_make(k, &id, 1, &der, &len, &err) == 0 &&
		    (w->pool[i].csr = ar_b64url_encode_alloc(der, len)) != NULL) {
			snprintf(w->pool[i].jkt, sizeof(w->pool[i].jkt), "%s", ar_jwk_thumbprint(jwk));
			snprintf(w->pool[i].name, sizeof(w->pool[i].name), "%s", id.value);
			rc = 0;
		}
		OPENSSL_free(der);
		ar_jwk_free(jwk);
		EVP_PKEY_free(k);
		if (rc < 0) {
			report(w, "device key", "cannot make:", err.msg);
			return -1;
		}
	}
	return 0;
}

static int get(worker_t *w, const char *url, http_resp_t *r)
{
	ar_err_t err = { 0 };

	if (hc_request(w->http, "GET", url, NULL, NULL, 0, r, &err) < 0) {
		report(w, url, "transport:", err.msg);
		return -1;
	}
	return 0;
}

/* Directory, first nonce, the account (with EAB for acme-rats-ca). */
static int open_account(worker_t *w)
{
	const cfg_t *cfg = w->cfg;
	json_t *dir, *p = json_pack("{s:b}", "termsOfServiceAgreed", 1);
	http_resp_t r;
	int rc = -1, attempt;

	if (!p)
		goto out;
	/* Hundreds of TLS handshakes at once may overrun a loaded server: retry. */
	for (attempt = 0; get(w, cfg->dir_url, &r) < 0; attempt++) {
		if (attempt == 4)
			goto out;
		sleep(1);
	}
	dir = expect(w, "directory", &r, 200);
	http_resp_free(&r);
	if (!dir)
		goto out;
	rc = json_str(dir, "newNonce", w->new_nonce, sizeof(w->new_nonce)) |
	     json_str(dir, "newAccount", w->new_account, sizeof(w->new_account)) |
	     json_str(dir, "newOrder", w->new_order, sizeof(w->new_order));
	json_decref(dir);
	if (rc < 0 || get(w, w->new_nonce, &r) < 0)
		goto fail;
	snprintf(w->nonce, sizeof(w->nonce), "%s", r.replay_nonce);
	http_resp_free(&r);
	w->key = ar_jwk_generate("ES256", NULL);
	if (!w->key || !w->nonce[0])
		goto fail;
	if (cfg->eab) {
		char kid[128];
		const json_t *entry;
		const char *device;
		json_t *hmac;
		ar_jwk_t *mac;

		snprintf(kid, sizeof(kid), "%s%ld", cfg->eab_prefix, cfg->eab_first + w->index);
		entry = json_object_get(cfg->eab, kid);
		device = json_string_value(json_array_get(json_object_get(entry, "identifiers"), 0));
		if (!device || strlen(device) >= sizeof(w->device)) {
			report(w, "EAB inventory", "no device identifier for", kid);
			goto fail;
		}
		memcpy(w->device, device, strlen(device) + 1);
		hmac = json_pack("{s:s,s:O}", "kty", "oct", "k", json_object_get(entry, "hmac"));
		mac = hmac ? ar_jwk_parse(hmac, AR_JWK_ALLOW_OCT, NULL) : NULL;
		json_decref(hmac);
		if (!mac) {
			report(w, "EAB inventory", "no usable hmac for", kid);
			goto fail;
		}
		json_object_set_new(p, "externalAccountBinding",
				    ar_acme_eab_sign(w->key, kid, mac, w->new_account, NULL));
		ar_jwk_free(mac);
	}
	/* A loaded server may answer 503 with Retry-After: a client tries again. */
	for (attempt = 0; attempt < 5; attempt++) {
		if (post(w, -1, w->new_account, p, 1, &r) < 0)
			goto fail;
		if (r.status != 503)
			break;
		http_resp_free(&r);
		sleep(1);
	}
	rc = -1;
	if ((r.status == 201 || r.status == 200) && r.location[0]) {
		snprintf(w->account, sizeof(w->account), "%s", r.location);
		rc = 0;
	} else {
		report(w, "newAccount", "refused:", r.body);
	}
	http_resp_free(&r);
	goto out;
fail:
	rc = -1;
out:
	json_decref(p);
	return rc;
}

/* One GET newNonce: a fresh Replay-Nonce, nothing else. */
static int fetch_nonce(worker_t *w)
{
	double t0 = bu_now();
	http_resp_t r;
	int rc = -1;

	if (get(w, w->new_nonce, &r) < 0)
		return -1;
	w->requests++;
	bu_samples_add(&w->lat[REQ_NONCE], bu_now() - t0);
	if ((r.status == 200 || r.status == 204) && r.replay_nonce[0] &&
	    strcmp(r.replay_nonce, w->nonce)) {
		snprintf(w->nonce, sizeof(w->nonce), "%s", r.replay_nonce);
		rc = 0;
	} else {
		report(w, "newNonce", "no fresh Replay-Nonce:", r.body);
	}
	http_resp_free(&r);
	return rc;
}

/* The directory and a first nonce, all the nonce mode needs. */
static int open_directory(worker_t *w)
{
	http_resp_t r;
	json_t *dir;
	int rc;

	if (get(w, w->cfg->dir_url, &r) < 0)
		return -1;
	dir = expect(w, "directory", &r, 200);
	http_resp_free(&r);
	rc = dir ? json_str(dir, "newNonce", w->new_nonce, sizeof(w->new_nonce)) : -1;
	json_decref(dir);
	if (rc < 0 || fetch_nonce(w) < 0)
		return -1;
	w->requests = 0;			/* the timed loop's alone */
	return 0;
}

static void *run(void *arg)
{
	worker_t *w = arg;
	cfg_t *cfg = w->cfg;
	ar_err_t err = { 0 };

	w->http = hc_new(cfg->ca_file, 10000, &err);
	if (!w->http)
		report(w, cfg->ca_file, "no HTTPS client:", err.msg);
	if (cfg->mode == MODE_NONCE)
		w->ready = w->http && open_directory(w) == 0;
	else
		w->ready = w->http && open_account(w) == 0 && make_pool(w) == 0;
	pthread_barrier_wait(&cfg->ready);
	pthread_barrier_wait(&cfg->go);
	while (!cfg->abort && bu_now() < cfg->deadline) {
		double t0 = bu_now();

		if ((cfg->mode == MODE_NONCE ? fetch_nonce(w) : issue(w)) == 0) {
			w->done++;
			w->last_done = bu_now();
			bu_samples_add(&w->issuance, w->last_done - t0);
		} else {
			w->failed++;
		}
		if (cfg->pause_ms)
			usleep((useconds_t)cfg->pause_ms * 1000);
	}
	return NULL;
}

/* The JWK Set with the public part of @pem under @kid, for the CA's verifier_keys. */
static int print_jwks(const char *pem, const char *kid)
{
	ar_err_t err = { 0 };
	ar_jwk_t *k = ar_jwk_load_pem(pem, &err);
	json_t *pub, *set;
	char *text;

	if (!k) {
		fprintf(stderr, "ca_load: %s: %s\n", pem, err.msg);
		return 1;
	}
	pub = ar_jwk_public_json(k);
	json_object_set_new(pub, "kid", json_string(kid));
	set = json_pack("{s:[o]}", "keys", pub);
	text = set ? json_dumps(set, JSON_INDENT(2)) : NULL;
	if (text)
		printf("%s\n", text);
	free(text);
	json_decref(set);
	ar_jwk_free(k);
	return text ? 0 : 1;
}

/* The verifier's EAR signing key with its kid. */
static ar_jwk_t *load_verifier(const char *pem, const char *kid)
{
	ar_err_t err = { 0 };
	ar_jwk_t *k = ar_jwk_load_pem(pem, &err), *with_kid = NULL;
	json_t *j;

	if (!k) {
		fprintf(stderr, "ca_load: %s: %s\n", pem, err.msg);
		return NULL;
	}
	j = json_deep_copy(ar_jwk_json(k));
	if (j && json_object_set_new(j, "kid", json_string(kid)) == 0)
		with_kid = ar_jwk_parse(j, 0, &err);
	json_decref(j);
	ar_jwk_free(k);
	return with_kid;
}

/* @s as a number in lo..hi, else lo - 1. */
static long num(const char *s, long lo, long hi)
{
	char *end;
	long v = strtol(s, &end, 10);

	return *s && !*end && v >= lo && v <= hi ? v : lo - 1;
}

/*
 * Fill Redis with @n devices (PRELOAD-<i>), each with a posture record and
 * a certificate record as the CA writes them and one live session as the
 * module records it, through the store's own functions: how the CA and the
 * module scale with the fleet, and what a device costs in Redis.
 */
#define PRELOAD_THREADS	8

typedef struct preload {
	pthread_t	tid;
	int		port;
	long		first, step, n;
	int		rc;
} preload_t;

static void *preload_run(void *arg)
{
	preload_t *p = arg;
	ar_store_opts_t o = { .host = "127.0.0.1", .port = p->port, .command_timeout_ms = 5000 };
	ar_store_posture_t posture = { .status = AR_STATUS_AFFIRMING, .ear_iat = time(NULL) };
	ar_store_cert_t cert = { .status = AR_CERT_VALID, .not_after = time(NULL) + 8 * 3600 };
	ar_store_session_t session = { .nas_ip = "192.0.2.7", .nas_id = "ap-substation-07",
				       .started = time(NULL) };
	ar_err_t err = { 0 };
	ar_store_t *st = ar_store_open(&o, &err);
	char device[64];
	long i;

	/* As acme-rats-verifier writes it with its defaults (ear_ttl 8 h). */
	snprintf(posture.tv, sizeof(posture.tv), "ii=2 cfg=2 ex=2");
	snprintf(posture.verifier, sizeof(posture.verifier), "acme-rats-verifier");
	snprintf(posture.profile, sizeof(posture.profile), "default");
	posture.ear_exp = posture.ear_iat + 8 * 3600;
	snprintf(cert.aki, sizeof(cert.aki), "%040x", 0x5eed);
	for (i = p->first; st && i < p->n; i += p->step) {
		snprintf(device, sizeof(device), "PRELOAD-%08ld", i);
		snprintf(cert.device, sizeof(cert.device), "%s", device);
		snprintf(cert.serial, sizeof(cert.serial), "%032lx", (unsigned long)i + 1);
		snprintf(session.acct_session_id, sizeof(session.acct_session_id), "%016lX",
			 (unsigned long)i + 1);
		snprintf(session.calling_station_id, sizeof(session.calling_station_id),
			 "02-00-%02lX-%02lX-%02lX-%02lX", (unsigned long)(i >> 24) & 0xff,
			 (unsigned long)(i >> 16) & 0xff, (unsigned long)(i >> 8) & 0xff,
			 (unsigned long)i & 0xff);
		snprintf(session.user_name, sizeof(session.user_name), "host/%s", device);
		snprintf(session.serial, sizeof(session.serial), "%s", cert.serial);
		if (ar_store_posture_put(st, device, &posture, &err) < 0 ||
		    ar_store_cert_put(st, &cert, &err) < 0 ||
		    ar_store_session_put(st, device, &session, 7200, &err) < 0)
			break;
	}
	p->rc = st && i >= p->n ? 0 : -1;
	if (p->rc < 0)
		fprintf(stderr, "ca_load: preload: %s\n", err.msg);
	ar_store_close(st);
	return NULL;
}

static int preload(const char *port, const char *count, const char *from)
{
	preload_t p[PRELOAD_THREADS];
	long n = num(count, 1, 10000000), rport = num(port, 1, 65535);
	long first = from ? num(from, 0, 10000000) : 0;
	double t0 = bu_now();
	int i, rc = 0;

	if (n < 1 || rport < 1 || first < 0) {
		fprintf(stderr, "ca_load: preload REDIS_PORT N [FROM] (N up to 10000000)\n");
		return 2;
	}
	for (i = 0; i < PRELOAD_THREADS; i++) {
		p[i] = (preload_t){ .port = (int)rport, .first = first + i, .step = PRELOAD_THREADS,
				    .n = n };
		if (pthread_create(&p[i].tid, NULL, preload_run, &p[i]))
			return 1;
	}
	for (i = 0; i < PRELOAD_THREADS; i++) {
		pthread_join(p[i].tid, NULL);
		rc |= p[i].rc;
	}
	if (rc == 0)
		printf("preloaded_devices=%ld written=%ld seconds=%.1f\n", n, n > first ? n - first : 0,
		       bu_now() - t0);
	return rc ? 1 : 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: ca_load [options] attested|plain|pebble|nonce DIRECTORY_URL CA_FILE\n"
		"       ca_load jwks KEY_PEM KID\n"
		"       ca_load preload REDIS_PORT N [FROM]\n"
		"  -t, --threads N          client threads, one account each (1)\n"
		"  -d, --seconds S          timed run (10)\n"
		"  -k, --pool N             device keys+CSRs made per thread before timing (256)\n"
		"  -e, --eab FILE           EAB inventory (acme-rats-ca modes)\n"
		"  -p, --eab-prefix P       thread i uses EAB key id P<first+i> (bench-)\n"
		"  -f, --eab-first N        (0)\n"
		"  -v, --verifier-key PEM   EAR signing key the CA's profile pins (attested)\n"
		"  -i, --verifier-kid KID   its kid (bench-verifier)\n"
		"  -c, --cpu NAME=PID       also report the CPU PID uses while timed (up to 4)\n"
		"  -w, --pause MS           wait MS after each issuance of a thread (0)\n"
		"  -s, --serials FILE       append \"UNIX_MS DEVICE SERIAL\" per certificate received\n");
}

static int parse_args(int argc, char **argv, cfg_t *cfg, const char **eab_file,
		      const char **vkey, const char **vkid)
{
	static const struct option opts[] = {
		{ "threads", required_argument, NULL, 't' },
		{ "seconds", required_argument, NULL, 'd' },
		{ "pool", required_argument, NULL, 'k' },
		{ "eab", required_argument, NULL, 'e' },
		{ "eab-prefix", required_argument, NULL, 'p' },
		{ "eab-first", required_argument, NULL, 'f' },
		{ "verifier-key", required_argument, NULL, 'v' },
		{ "verifier-kid", required_argument, NULL, 'i' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "pause", required_argument, NULL, 'w' },
		{ "serials", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "t:d:k:e:p:f:v:i:c:w:s:", opts, NULL)) != -1) {
		switch (ch) {
		case 't':
			cfg->threads = num(optarg, 1, MAX_THREADS);
			break;
		case 'd':
			cfg->seconds = (double)num(optarg, 1, 3600);
			break;
		case 'k':
			cfg->pool = num(optarg, 1, 1000000);
			break;
		case 'e':
			*eab_file = optarg;
			break;
		case 'p':
			cfg->eab_prefix = optarg;
			break;
		case 'f':
			cfg->eab_first = num(optarg, 0, 1000000);
			break;
		case 'v':
			*vkey = optarg;
			break;
		case 'i':
			*vkid = optarg;
			break;
		case 'w':
			cfg->pause_ms = num(optarg, 0, 60000);
			break;
		case 's':
			if (cfg->serials)
				fclose(cfg->serials);
			cfg->serials = fopen(optarg, "a");
			if (!cfg->serials)
				return -1;
			break;
		case 'c': {
			char *eq = strchr(optarg, '=');
			long pid = eq ? num(eq + 1, 1, 1L << 30) : 0;

			if (!eq || pid < 1 || cfg->nwatch == MAX_WATCH)
				return -1;
			*eq = '\0';
			cfg->watch[cfg->nwatch].name = optarg;
			cfg->watch[cfg->nwatch++].pid = (pid_t)pid;
			break;
		}
		default:
			return -1;
		}
	}
	if (argc - optind != 3 || cfg->threads < 1 || cfg->seconds < 1 || cfg->pool < 1 ||
	    cfg->eab_first < 0)
		return -1;
	for (cfg->mode = MODE_ATTESTED; cfg->mode <= MODE_NONCE; cfg->mode++)
		if (!strcmp(argv[optind], mode_names[cfg->mode]))
			break;
	if (cfg->mode > MODE_NONCE)
		return -1;
	cfg->dir_url = argv[optind + 1];
	cfg->ca_file = argv[optind + 2];
	return 0;
}

static int load_inputs(cfg_t *cfg, const char *eab_file, const char *vkey, const char *vkid)
{
	ar_err_t err = { 0 };
	char *text;
	size_t len;

	if (cfg->mode == MODE_ATTESTED || cfg->mode == MODE_PLAIN) {
		if (!eab_file || ar_file_read(eab_file, 1 << 24, &text, &len, &err) < 0) {
			fprintf(stderr, "ca_load: the acme-rats-ca modes need --eab FILE %s\n", err.msg);
			return -1;
		}
		cfg->eab = json_loadb(text, len, 0, NULL);
		free(text);
		if (!json_is_object(cfg->eab)) {
			fprintf(stderr, "ca_load: %s: not a JSON object\n", eab_file);
			return -1;
		}
	}
	if (cfg->mode == MODE_ATTESTED) {
		cfg->verifier = vkey ? load_verifier(vkey, vkid) : NULL;
		if (!cfg->verifier) {
			fprintf(stderr, "ca_load: attested mode needs --verifier-key PEM\n");
			return -1;
		}
	}
	return 0;
}

static void print_summary(cfg_t *cfg, worker_t *w, double t0, double elapsed, double cpu_self,
			  double busy, double load)
{
	unsigned long done = 0, failed = 0, retries = 0, requests = 0, reused = 0;
	double last = t0;
	bu_samples_t all = { 0 }, per[REQ_COUNT];
	double cpu_named = 0;
	long i;
	size_t k;

	memset(per, 0, sizeof(per));
	for (i = 0; i < cfg->threads; i++) {
		done += w[i].done;
		failed += w[i].failed;
		retries += w[i].retries;
		requests += w[i].requests;
		reused += w[i].reused;
		if (w[i].last_done > last)
			last = w[i].last_done;
		bu_samples_merge(&all, &w[i].issuance);
		for (k = 0; k < REQ_COUNT; k++)
			bu_samples_merge(&per[k], &w[i].lat[k]);
	}
	/*
	 * pebble 2.x can wedge its whole store under concurrent load (a lock
	 * order inversion between the store and an authorization): every
	 * request then waits forever. Its rate is taken over the time it
	 * answered, which favours the peer, and the stall is reported.
	 * acme-rats-ca is always measured over the whole run.
	 */
	if (cfg->mode == MODE_PEBBLE && failed && last - t0 < elapsed - 1) {
		printf("ca_issuances_per_s=%.0f stalled_s=%.1f ",
		       done ? (double)done / (last - t0) : 0, elapsed - (last - t0));
	} else {
		printf("%s=%.0f ", cfg->mode == MODE_NONCE ? "ca_requests_per_s" : "ca_issuances_per_s",
		       (double)done / elapsed);
	}
	printf("server=%s mode=%s threads=%ld issuances=%lu failed=%lu "
	       "seconds=%.1f p50_ms=%.2f p99_ms=%.2f requests_per_issuance=%.2f bad_nonce_retries=%lu "
	       "keys_reused=%lu last_issuance_s=%.1f loadavg=%.2f cpu_loadgen=%.2f",
	       cfg->mode == MODE_PEBBLE ? "pebble" : "acme-rats-ca",
	       mode_names[cfg->mode], cfg->threads, done, failed, elapsed,
	       bu_samples_quantile(&all, 0.50) * 1000, bu_samples_quantile(&all, 0.99) * 1000,
	       done ? (double)requests / (double)done : 0, retries, reused, last - t0, load,
	       cpu_self / elapsed);
	for (k = 0; k < cfg->nwatch; k++) {
		double c = bu_proc_cpu(cfg->watch[k].pid) - cfg->watch[k].cpu0;

		cpu_named += c;
		printf(" cpu_%s=%.2f", cfg->watch[k].name, c / elapsed);
	}
	/* Everything else the machine did meanwhile (other builds and tests). */
	printf(" cpu_other=%.2f", (busy - cpu_self - cpu_named) / elapsed);
	for (k = 0; k < REQ_COUNT; k++)
		if (per[k].n)
			printf(" %s_n=%zu %s_p50_ms=%.2f %s_p99_ms=%.2f", req_names[k], per[k].n,
			       req_names[k], bu_samples_quantile(&per[k], 0.50) * 1000, req_names[k],
			       bu_samples_quantile(&per[k], 0.99) * 1000);
	printf("\n");
	bu_samples_free(&all);
	for (k = 0; k < REQ_COUNT; k++)
		bu_samples_free(&per[k]);
}

static void free_worker(worker_t *w)
{
	size_t k;

	for (k = 0; k < w->npool && w->pool; k++)
		free(w->pool[k].csr);
	free(w->pool);
	for (k = 0; k < REQ_COUNT; k++)
		bu_samples_free(&w->lat[k]);
	bu_samples_free(&w->issuance);
	hc_free(w->http);
	ar_jwk_free(w->key);
}

int main(int argc, char **argv)
{
	cfg_t cfg = { .threads = 1, .seconds = 10, .pool = 256, .eab_prefix = "bench-" };
	const char *eab_file = NULL, *vkey = NULL, *vkid = "bench-verifier";
	double t0, cpu0, busy0, load, elapsed;
	worker_t *w = NULL;
	long i, ready = 0;
	int rc = 1;
	size_t k;

	if (argc == 4 && !strcmp(argv[1], "jwks"))
		return print_jwks(argv[2], argv[3]);
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "preload"))
		return preload(argv[2], argv[3], argc == 5 ? argv[4] : NULL);
	if (parse_args(argc, argv, &cfg, &eab_file, &vkey, &vkid) < 0) {
		usage();
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);		/* hclient.h: a closed connection is an error */
	if (load_inputs(&cfg, eab_file, vkey, vkid) < 0)
		goto out;
	w = calloc((size_t)cfg.threads, sizeof(*w));
	if (!w || pthread_barrier_init(&cfg.ready, NULL, (unsigned)cfg.threads + 1) ||
	    pthread_barrier_init(&cfg.go, NULL, (unsigned)cfg.threads + 1))
		goto out;
	for (i = 0; i < cfg.threads; i++) {
		w[i].cfg = &cfg;
		w[i].index = i;
		w[i].npool = (size_t)cfg.pool;
		if (pthread_create(&w[i].tid, NULL, run, &w[i])) {
			fprintf(stderr, "ca_load: cannot start thread %ld\n", i);
			exit(1);
		}
	}
	pthread_barrier_wait(&cfg.ready);
	for (i = 0; i < cfg.threads; i++)
		ready += w[i].ready;
	cfg.abort = ready != cfg.threads;
	load = bu_loadavg();
	for (k = 0; k < cfg.nwatch; k++)
		cfg.watch[k].cpu0 = bu_proc_cpu(cfg.watch[k].pid);
	cpu0 = bu_proc_cpu(0);
	busy0 = bu_machine_busy();
	t0 = bu_now();
	cfg.deadline = t0 + cfg.seconds;
	pthread_barrier_wait(&cfg.go);
	for (i = 0; i < cfg.threads; i++)
		pthread_join(w[i].tid, NULL);
	elapsed = bu_now() - t0;
	if (cfg.abort) {
		fprintf(stderr, "ca_load: %ld of %ld threads could not set up\n", cfg.threads - ready,
			cfg.threads);
		goto out;
	}
	print_summary(&cfg, w, t0, elapsed, bu_proc_cpu(0) - cpu0, bu_machine_busy() - busy0, load);
	rc = 0;
	for (i = 0; i < cfg.threads; i++)
		rc |= w[i].failed && !w[i].done;
out:
	for (i = 0; w && i < cfg.threads; i++)
		free_worker(&w[i]);
	free(w);
	json_decref(cfg.eab);
	ar_jwk_free(cfg.verifier);
	if (cfg.serials)
		fclose(cfg.serials);
	return rc;
}
