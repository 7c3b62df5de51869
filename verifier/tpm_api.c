/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TPM enrolment over HTTP (docs/verifier.md, "TPM enrolment"):
 *
 *   POST /tpm/v1/enroll    application/jose: a compact JWS by the device's
 *	enrolled identity key over {"device", "ak_pub", "ek_pub", "ek_cert"?}
 *	-> 201 {"challenge", "credential_blob", "encrypted_secret", "expires"}
 *   POST /tpm/v1/activate  application/json {"challenge", "secret"}
 *	-> 200 {"device", "ak_name", "ek_source", "enrolled_at"}
 *
 * The EK is checked first (its certificate to a trusted root and its key
 * the EK public sent, or an EK public the operator registered), the AK is a
 * restricted signing key, and a secret is protected for the AK's Name with
 * the EK (MakeCredential). A challenge is spent by the first activation
 * that names it, right or wrong; only the right secret registers the AK.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "b64.h"
#include "hex.h"
#include "json.h"
#include "jws.h"
#include "log.h"
#include "verifier.h"
#include "tpm_enroll.h"
#include "tpm_registry.h"

#define ENROLL_BODY_MAX		16384	/* a JWS over two public areas and a certificate */
#define ACTIVATE_BODY_MAX	1024
#define CHALLENGE_ID_LEN	16
#define CHALLENGE_ID_B64	22	/* its base64url */
#define CHAL_TEXT_MAX		4096

/* What a challenge holds between the two calls (a generic value, with a TTL). */
typedef struct chal {
	char			device[AR_STORE_DEVICE_MAX + 1];
	char			jkt[AR_JWK_THUMBPRINT_LEN + 1];	/* the identity that asked */
	ar_tpm_enrolled_t	e;
	uint8_t			digest[AR_TPM_SHA256_LEN];	/* SHA-256 of the secret */
} chal_t;

/* The problem type of each refusal. */
static const struct {
	ar_tpm_reason_t	reason;
	int		status;
	const char	*type;
} refusals[] = {
	{ AR_TPM_MALFORMED, 400, "badTpmStructure" },
	{ AR_TPM_UNSUPPORTED, 400, "unsupportedTpmKey" },
	{ AR_TPM_AK_NOT_RESTRICTED, 400, "akNotRestricted" },
	{ AR_TPM_EK_UNTRUSTED, 403, "ekUntrusted" },
	{ AR_TPM_EK_MISMATCH, 400, "ekMismatch" },
	{ AR_TPM_EK_NOT_REGISTERED, 403, "ekNotRegistered" },
	{ AR_TPM_AK_OTHER_DEVICE, 409, "akEnrolledForAnotherDevice" },
	{ AR_TPM_AK_ALREADY_ENROLLED, 409, "deviceEnrolledWithAnotherAk" },
	{ AR_TPM_ACTIVATION_FAILED, 403, "activationFailed" },
	{ AR_TPM_CHALLENGE_UNKNOWN, 404, "unknownChallenge" },
};

static void problem(ar_http_resp_t *resp, int status, const char *type, const char *detail)
{
	char t[96];

	snprintf(t, sizeof(t), VERIFIER_PROBLEM "%s", type);
	ar_http_resp_problem(resp, status, t, "%s", detail);
}

/* Answer a refusal (or a failure of the store) and log it. */
static void refuse(const char *device, ar_tpm_reason_t r, const ar_err_t *err,
		   ar_http_resp_t *resp)
{
	char dev[160], d[600];
	size_t i;

	ar_log_q(dev, sizeof(dev), device && *device ? device : "-");
	if (r == AR_TPM_INTERNAL) {
		ar_warn("event=tpm.enrol_failed device=%s error=%s", dev,
			ar_log_q(d, sizeof(d), err->msg));
		if (ar_store_err_is_down(err)) {
			ar_http_resp_header(resp, "Retry-After", "5");
			problem(resp, 503, "unavailable", "the enrolment store cannot be reached; retry");
		} else {
			problem(resp, 500, "internal", "the enrolment cannot be completed");
		}
		return;
	}
	ar_info("event=tpm.enrol_refused device=%s reason=%s detail=%s", dev,
		ar_tpm_reason_name(r), ar_log_q(d, sizeof(d), err->msg));
	for (i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++)
		if (refusals[i].reason == r)
			break;
	if (i == sizeof(refusals) / sizeof(refusals[0]))
		problem(resp, 400, "badTpmStructure", err->msg);
	else
		problem(resp, refusals[i].status, refusals[i].type, err->msg);
}

/* A base64url member into a fresh buffer of at most @max octets; 0 or -1. */
static int b64_member(const char *what, const char *text, size_t max, uint8_t **out,
		      size_t *len, ar_err_t *err)
{
	if (strlen(text) > ar_b64url_enc_len(max))
		return ar_err_set(err, AR_ERR_TOO_LARGE, "%s is longer than %zu octets", what, max);
	*out = ar_b64url_decode_alloc(text, strlen(text), len, err);
	if (!*out)
		return ar_err_prefix(err, "%s: ", what);
	return 0;
}

/* The enrolment request, verified with the device's identity key. */
typedef struct enroll_req {
	char		device[AR_STORE_DEVICE_MAX + 1];
	char		jkt[AR_JWK_THUMBPRINT_LEN + 1];	/* the identity key that signed it */
	uint8_t		*ak_pub, *ek_pub, *ek_cert;
	size_t		ak_pub_len, ek_pub_len, ek_cert_len;
} enroll_req_t;

static void enroll_req_free(enroll_req_t *q)
{
	free(q->ak_pub);
	free(q->ek_pub);
	free(q->ek_cert);
}

static int enroll_req_parse(const uint8_t *payload, size_t len, enroll_req_t *q, ar_err_t *err)
{
	const char *device, *ak, *ek, *cert = NULL;
	json_error_t je;
	json_t *o;
	int rc = -1;

	o = ar_json_load((const char *)payload, len, ENROLL_BODY_MAX, "enrolment request", err);
	if (!o)
		return -1;
	if (json_unpack_ex(o, &je, JSON_STRICT, "{s:s, s:s, s:s, s?s}", "device", &device,
			   "ak_pub", &ak, "ek_pub", &ek, "ek_cert", &cert) < 0) {
		ar_err_set(err, AR_ERR_MALFORMED, "enrolment request: %s", je.text);
		goto out;
	}
	if (ar_store_device_valid(device, err) < 0)
		goto out;
	snprintf(q->device, sizeof(q->device), "%s", device);
	if (b64_member("ak_pub", ak, AR_TPM_REG_PUB_MAX, &q->ak_pub, &q->ak_pub_len, err) < 0 ||
	    b64_member("ek_pub", ek, AR_TPM_MAX_STRUCT, &q->ek_pub, &q->ek_pub_len, err) < 0 ||
	    (cert && b64_member("ek_cert", cert, AR_TPM_EK_CERT_MAX, &q->ek_cert,
				&q->ek_cert_len, err) < 0))
		goto out;
	rc = 0;
out:
	json_decref(o);
	return rc;
}

/*
 * The request body: a compact JWS whose payload names the device, signed by
 * that device's enrolled identity key. 0, or -1 after answering.
 */
static int enroll_authenticate(ar_store_t *st, const ar_http_req_t *req, enroll_req_t *q,
			       ar_http_resp_t *resp)
{
	ar_store_identity_t id;
	ar_err_t err = { 0 };
	ar_jwk_t *key = NULL;
	const char *body;
	ar_jws_t jws;
	size_t blen;
	int rc = -1;

	memset(&jws, 0, sizeof(jws));
	body = ar_http_body(req, &blen);
	if (!ar_http_content_type_is(req, "application/jose")) {
		problem(resp, 415, "unsupportedMediaType", "an enrolment request is application/jose: "
			"a compact JWS by the device's enrolled identity key");
		return -1;
	}
	if (ar_jws_parse_compact(body, blen, ENROLL_BODY_MAX, &jws, &err) < 0 ||
	    enroll_req_parse(jws.payload, jws.payload_len, q, &err) < 0) {
		problem(resp, err.code == AR_ERR_TOO_LARGE ? 413 : 400, "badRequest", err.msg);
		goto out;
	}
	rc = ar_store_identity_get(st, q->device, &id, &err);
	if (rc < 0) {
		refuse(q->device, AR_TPM_INTERNAL, &err, resp);
		rc = -1;
		goto out;
	}
	key = rc == 1 ? ar_jwk_parse_text(id.jwk, strlen(id.jwk), AR_JWK_PUBLIC_ONLY, &err) : NULL;
	rc = -1;
	if (!key) {
		ar_info("event=tpm.enrol_refused device=%.64s reason=unenrolled", q->device);
		problem(resp, 403, "unenrolledDevice", "the device has no enrolled identity key "
			"to sign its TPM enrolment (External Account Binding first)");
		goto out;
	}
	if (ar_jws_verify(&jws, key, AR_ALGS_ASYMMETRIC, &err) < 0) {
		ar_info("event=tpm.enrol_refused device=%.64s reason=wrong-key", q->device);
		problem(resp, 401, "unauthorized", "the enrolment request is not signed by the "
			"device's enrolled identity key");
		goto out;
	}
	snprintf(q->jkt, sizeof(q->jkt), "%s", id.jkt);
	rc = 0;
out:
	ar_jwk_free(key);
	ar_jws_clear(&jws);
	return rc;
}

/*
 * The EK: its certificate verified to a trusted root and its key the EK
 * public sent, or (no certificate) an EK public the operator registered.
 */
static ar_tpm_reason_t check_ek(const verifier_t *v, const enroll_req_t *q, ar_tpm_key_t *ek,
				ar_tpm_enrolled_t *e, ar_err_t *err)
{
	ar_tpm_reason_t r;
	size_t i;

	r = ar_tpm_key_decode(q->ek_pub, q->ek_pub_len, ek, err);
	if (r == AR_TPM_OK)
		r = ar_tpm_ek_check(ek, err);
	if (r != AR_TPM_OK)
		return r;
	if (q->ek_cert) {
		if (!v->ek_trust)
			return ar_tpm_fail(err, AR_TPM_EK_UNTRUSTED, AR_ERR_UNAUTHORIZED,
					   "no EK roots are configured ([tpm] ek_roots)");
		r = ar_tpm_ek_cert_verify(v->ek_trust, q->ek_cert, q->ek_cert_len, ek,
					  (int64_t)time(NULL), err);
		if (r != AR_TPM_OK)
			return r;
		e->ek_source = AR_TPM_EK_CERT;
		return ar_tpm_sha256(q->ek_cert, q->ek_cert_len, e->ek) < 0 ?
		       ar_tpm_fail(err, AR_TPM_INTERNAL, AR_ERR_CRYPTO, "SHA-256 failed") : AR_TPM_OK;
	}
	e->ek_source = AR_TPM_EK_PUB;
	if (ar_tpm_sha256(q->ek_pub, q->ek_pub_len, e->ek) < 0)
		return ar_tpm_fail(err, AR_TPM_INTERNAL, AR_ERR_CRYPTO, "SHA-256 failed");
	for (i = 0; i < v->n_ek_registered; i++)
		if (CRYPTO_memcmp(v->ek_registered[i], e->ek, AR_TPM_SHA256_LEN) == 0)
			return AR_TPM_OK;
	return ar_tpm_fail(err, AR_TPM_EK_NOT_REGISTERED, AR_ERR_UNAUTHORIZED,
			   "no EK certificate was sent and this EK public is not registered "
			   "([tpm] ek_registered)");
}

/* Refuse early what the registry would refuse at activation. */
static ar_tpm_reason_t check_registry(const verifier_t *v, ar_store_t *st, const char *device,
				      const ar_tpm_key_t *ak, ar_err_t *err)
{
	char owner[AR_STORE_DEVICE_MAX + 1];
	ar_tpm_enrolled_t cur;
	ar_tpm_reason_t r;

	r = ar_tpm_registry_owner(st, ak->name, ak->name_len, owner, err);
	if (r == AR_TPM_OK && strcmp(owner, device))
		return ar_tpm_fail(err, AR_TPM_AK_OTHER_DEVICE, AR_ERR_CONFLICT,
				   "this AK is enrolled for another device");
	if (r == AR_TPM_INTERNAL)
		return r;
	r = ar_tpm_registry_get(st, device, &cur, err);
	if (r == AR_TPM_AK_NOT_ENROLLED) {
		ar_err_clear(err);
		return AR_TPM_OK;
	}
	if (r != AR_TPM_OK)
		return r;
	if (!v->conf.tpm_reenrol && (cur.ak_name_len != ak->name_len ||
				     memcmp(cur.ak_name, ak->name, ak->name_len)))
		return ar_tpm_fail(err, AR_TPM_AK_ALREADY_ENROLLED, AR_ERR_CONFLICT,
				   "device %s is enrolled with another AK", device);
	return AR_TPM_OK;
}

static int chal_put(ar_store_t *st, const char *id, const chal_t *c, int64_t ttl_ms, ar_err_t *err)
{
	char key[64], name[2 * AR_TPM_REG_NAME_MAX + 1], ek[2 * AR_TPM_SHA256_LEN + 1];
	char dg[2 * AR_TPM_SHA256_LEN + 1], *pub, *text = NULL;
	json_t *o = NULL;
	int rc = -1;

	pub = ar_b64url_encode_alloc(c->e.ak_pub, c->e.ak_pub_len);
	if (!pub || ar_hex_encode(c->e.ak_name, c->e.ak_name_len, name, sizeof(name), err) < 0 ||
	    ar_hex_encode(c->e.ek, sizeof(c->e.ek), ek, sizeof(ek), err) < 0 ||
	    ar_hex_encode(c->digest, sizeof(c->digest), dg, sizeof(dg), err) < 0)
		goto out;
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:s}", "device", c->device, "jkt", c->jkt,
		      "ak_pub", pub, "ak_name", name, "ek", ek, "ek_source", (int)c->e.ek_source,
		      "digest", dg);
	text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	if (!text) {
		ar_err_set(err, AR_ERR_NOMEM, "out of memory");
		goto out;
	}
	snprintf(key, sizeof(key), "tpm:chal:%s", id);
	rc = ar_store_set(st, key, text, strlen(text), ttl_ms, err);
out:
	json_decref(o);
	free(text);
	free(pub);
	return rc;
}

static int unhex(const char *hex, uint8_t *out, size_t max, size_t *len)
{
	size_t n = strlen(hex), i;

	if (n % 2 || n / 2 > max)
		return -1;
	for (i = 0; i < n / 2; i++) {
		unsigned v;
		char pair[3] = { hex[2 * i], hex[2 * i + 1], 0 };
		char *end;

		v = (unsigned)strtoul(pair, &end, 16);
		if (*end || !pair[0] || !pair[1])
			return -1;
		out[i] = (uint8_t)v;
	}
	*len = n / 2;
	return 0;
}

/*
 * Spend challenge @id: 1 and @c filled when this call removed it (GET, then
 * DEL: only the one request whose DEL removed the key goes on), 0 when it
 * does not exist (expired, spent, never made), -1 on a store failure.
 */
static int chal_take(ar_store_t *st, const char *id, chal_t *c, ar_err_t *err)
{
	const char *device, *jkt, *pub, *name, *ek, *dg;
	char key[64], *text = NULL;
	json_error_t je;
	json_t *o = NULL;
	size_t len, n;
	int rc, source;

	memset(c, 0, sizeof(*c));
	snprintf(key, sizeof(key), "tpm:chal:%s", id);
	rc = ar_store_get(st, key, &text, &len, err);
	if (rc <= 0)
		return rc;
	rc = ar_store_del(st, key, err);
	if (rc <= 0)
		goto out;
	rc = -1;
	o = ar_json_load(text, len, CHAL_TEXT_MAX, "challenge record", err);
	if (!o)
		goto out;
	if (json_unpack_ex(o, &je, JSON_STRICT, "{s:s, s:s, s:s, s:s, s:s, s:i, s:s}", "device",
			   &device, "jkt", &jkt, "ak_pub", &pub, "ak_name", &name, "ek", &ek,
			   "ek_source", &source, "digest", &dg) < 0 ||
	    strlen(device) >= sizeof(c->device) || strlen(jkt) >= sizeof(c->jkt) ||
	    ar_b64url_decode(pub, strlen(pub), c->e.ak_pub, sizeof(c->e.ak_pub), &c->e.ak_pub_len,
			     err) < 0 ||
	    unhex(name, c->e.ak_name, sizeof(c->e.ak_name), &c->e.ak_name_len) < 0 ||
	    unhex(ek, c->e.ek, sizeof(c->e.ek), &n) < 0 || n != sizeof(c->e.ek) ||
	    unhex(dg, c->digest, sizeof(c->digest), &n) < 0 || n != sizeof(c->digest)) {
		ar_err_set(err, AR_ERR_MALFORMED, "challenge record does not parse");
		goto out;
	}
	snprintf(c->device, sizeof(c->device), "%s", device);
	snprintf(c->jkt, sizeof(c->jkt), "%s", jkt);
	c->e.ek_source = source == AR_TPM_EK_PUB ? AR_TPM_EK_PUB : AR_TPM_EK_CERT;
	rc = 1;
out:
	json_decref(o);
	free(text);
	return rc;
}

/*
 * Whether @device's enrolled identity is still the key @jkt that asked for
 * the challenge; -1 after answering (403 when it is not, 503 unreadable).
 */
static int identity_still(ar_store_t *st, const char *device, const char *jkt,
			  ar_http_resp_t *resp)
{
	ar_store_identity_t id;
	ar_err_t err = { 0 };
	int rc = ar_store_identity_get(st, device, &id, &err);

	if (rc < 0) {
		refuse(device, AR_TPM_INTERNAL, &err, resp);
		return -1;
	}
	if (rc == 0 || strcmp(id.jkt, jkt) != 0) {
		ar_info("event=tpm.enrol_refused device=%.64s reason=identity-changed", device);
		problem(resp, 403, "unenrolledDevice", "the identity key that asked for this "
			"challenge is no longer the device's (re-enrolled since): the challenge is "
			"spent; enrol again with the device's identity key");
		return -1;
	}
	return 0;
}

static ar_store_t *store_or_503(verifier_t *v, ar_http_resp_t *resp)
{
	ar_err_t err = { 0 };
	ar_store_t *st = daemon_store(&v->stores, &err);

	if (!st) {
		ar_warn("event=tpm.store_unavailable error=\"%s\"", err.msg);
		ar_http_resp_header(resp, "Retry-After", "5");
		problem(resp, 503, "unavailable", "the enrolment store cannot be reached; retry");
	}
	return st;
}

void tpm_enroll(verifier_t *v, const ar_http_req_t *req, ar_http_resp_t *resp)
{
	uint8_t secret[AR_TPM_CRED_SECRET_LEN], idb[CHALLENGE_ID_LEN];
	uint8_t blob[AR_TPM_CRED_BLOB_MAX], enc[AR_TPM_CRED_BLOB_MAX];
	char id[2 * CHALLENGE_ID_LEN], expires[32], *b64blob = NULL, *b64enc = NULL;
	size_t blob_len = 0, enc_len = 0;
	ar_tpm_key_t ak = { 0 }, ek = { 0 };
	enroll_req_t q = { .ak_pub = NULL };
	ar_err_t err = { 0 };
	ar_tpm_reason_t r;
	ar_store_t *st;
	time_t exp;
	struct tm tm;
	chal_t c;

	memset(&c, 0, sizeof(c));
	st = store_or_503(v, resp);
	if (!st || enroll_authenticate(st, req, &q, resp) < 0)
		goto out;
	/* From here on the request is the enrolled device's own. */
	r = ar_tpm_key_decode(q.ak_pub, q.ak_pub_len, &ak, &err);
	if (r == AR_TPM_OK)
		r = ar_tpm_ak_check(&ak, &err);
	if (r == AR_TPM_OK && (ak.pub.type != TPM2_ALG_ECC && ak.pub.type != TPM2_ALG_RSA))
		r = ar_tpm_fail(&err, AR_TPM_UNSUPPORTED, AR_ERR_UNSUPPORTED, "AK type");
	if (r == AR_TPM_OK)
		r = check_ek(v, &q, &ek, &c.e, &err);
	if (r == AR_TPM_OK)
		r = check_registry(v, st, q.device, &ak, &err);
	if (r == AR_TPM_OK && (RAND_bytes(secret, sizeof(secret)) != 1 ||
			       RAND_bytes(idb, sizeof(idb)) != 1))
		r = ar_tpm_fail(&err, AR_TPM_INTERNAL, AR_ERR_CRYPTO, "no randomness");
	if (r == AR_TPM_OK)
		r = ar_tpm_make_credential(&ek, ak.name, ak.name_len, secret, blob, &blob_len, enc,
					   &enc_len, &err);
	if (r != AR_TPM_OK) {
		refuse(q.device, r, &err, resp);
		goto out;
	}
	snprintf(c.device, sizeof(c.device), "%s", q.device);
	snprintf(c.jkt, sizeof(c.jkt), "%s", q.jkt);
	memcpy(c.e.ak_pub, q.ak_pub, q.ak_pub_len);
	c.e.ak_pub_len = q.ak_pub_len;
	memcpy(c.e.ak_name, ak.name, ak.name_len);
	c.e.ak_name_len = ak.name_len;
	if (ar_tpm_sha256(secret, sizeof(secret), c.digest) < 0 ||
	    ar_b64url_encode(idb, sizeof(idb), id, sizeof(id)) < 0 ||
	    !(b64blob = ar_b64url_encode_alloc(blob, blob_len)) ||
	    !(b64enc = ar_b64url_encode_alloc(enc, enc_len))) {
		problem(resp, 500, "internal", "cannot make the challenge");
		goto out;
	}
	if (chal_put(st, id, &c, v->conf.tpm_challenge_ttl, &err) < 0) {
		refuse(q.device, AR_TPM_INTERNAL, &err, resp);
		goto out;
	}
	exp = time(NULL) + (time_t)(v->conf.tpm_challenge_ttl / 1000);
	gmtime_r(&exp, &tm);
	strftime(expires, sizeof(expires), "%Y-%m-%dT%H:%M:%SZ", &tm);
	ar_info("event=tpm.challenge device=%.64s ek_source=%s ak_type=0x%04x challenge=%.8s...",
		q.device, c.e.ek_source == AR_TPM_EK_CERT ? "cert" : "pub", ak.pub.type, id);
	ar_http_resp_json(resp, 201, "application/json",
			  json_pack("{s:s, s:s, s:s, s:s}", "challenge", id, "credential_blob",
				    b64blob, "encrypted_secret", b64enc, "expires", expires));
out:
	OPENSSL_cleanse(secret, sizeof(secret));
	free(b64blob);
	free(b64enc);
	ar_tpm_key_clear(&ak);
	ar_tpm_key_clear(&ek);
	enroll_req_free(&q);
}

void tpm_activate(verifier_t *v, const ar_http_req_t *req, ar_http_resp_t *resp)
{
	uint8_t got[64], digest[AR_TPM_SHA256_LEN];
	char name[2 * AR_TPM_REG_NAME_MAX + 1];
	const char *body, *id, *secret;
	ar_err_t err = { 0 };
	size_t blen, glen = 0;
	ar_tpm_reason_t r;
	json_error_t je;
	json_t *o = NULL;
	ar_store_t *st;
	chal_t c;
	int rc;

	body = ar_http_body(req, &blen);
	if (!ar_http_content_type_is(req, "application/json")) {
		problem(resp, 415, "unsupportedMediaType", "an activation is application/json");
		return;
	}
	o = ar_json_load(body, blen, ACTIVATE_BODY_MAX, "activation", &err);
	if (!o || json_unpack_ex(o, &je, JSON_STRICT, "{s:s, s:s}", "challenge", &id,
				 "secret", &secret) < 0 ||
	    strlen(id) != CHALLENGE_ID_B64 || strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
							  "abcdefghijklmnopqrstuvwxyz0123456789-_") != strlen(id) ||
	    ar_b64url_decode(secret, strlen(secret), got, sizeof(got), &glen, &err) < 0) {
		problem(resp, err.code == AR_ERR_TOO_LARGE ? 413 : 400, "badRequest",
			err.code ? err.msg : "an activation is {\"challenge\", \"secret\"}: the "
			"challenge id and the activated secret in base64url");
		goto out;
	}
	st = store_or_503(v, resp);
	if (!st)
		goto out;
	rc = chal_take(st, id, &c, &err);
	if (rc < 0) {
		refuse(NULL, AR_TPM_INTERNAL, &err, resp);
		goto out;
	}
	if (rc == 0) {
		ar_tpm_fail(&err, AR_TPM_CHALLENGE_UNKNOWN, AR_ERR_NOT_FOUND,
			    "no such challenge: expired, already answered, or never made; "
			    "enrol again");
		refuse(NULL, AR_TPM_CHALLENGE_UNKNOWN, &err, resp);
		goto out;
	}
	if (ar_tpm_sha256(got, glen, digest) < 0 || glen != AR_TPM_CRED_SECRET_LEN ||
	    CRYPTO_memcmp(digest, c.digest, sizeof(digest)) != 0) {
		ar_tpm_fail(&err, AR_TPM_ACTIVATION_FAILED, AR_ERR_UNAUTHORIZED,
			    "the secret is not the one the credential protected: the AK is not "
			    "beside this EK (the challenge is spent)");
		refuse(c.device, AR_TPM_ACTIVATION_FAILED, &err, resp);
		goto out;
	}
	/* The identity that asked must still be the device's: an operator's
	 * reenrol (a stolen or replaced device) between the two calls ends
	 * what its old holder started. */
	if (identity_still(st, c.device, c.jkt, resp) < 0)
		goto out;
	r = ar_tpm_registry_put(st, c.device, &c.e, v->conf.tpm_reenrol ? AR_TPM_REG_REENROLL : 0,
				&err);
	if (r != AR_TPM_OK) {
		refuse(c.device, r, &err, resp);
		goto out;
	}
	ar_hex_encode(c.e.ak_name, c.e.ak_name_len, name, sizeof(name), NULL);
	ar_info("event=tpm.enrolled device=%.64s ak_name=%s ek_source=%s", c.device, name,
		c.e.ek_source == AR_TPM_EK_CERT ? "cert" : "pub");
	if (verifier_event(st, "tpm_enrolment", c.device, AR_STATUS_AFFIRMING, "AK enrolled",
			   &err) < 0)
		ar_warn("event=tpm.event_failed device=%.64s error=\"%s\"", c.device, err.msg);
	ar_http_resp_json(resp, 200, "application/json",
			  json_pack("{s:s, s:s, s:s}", "device", c.device, "ak_name", name,
				    "ek_source", c.e.ek_source == AR_TPM_EK_CERT ? "cert" : "pub"));
out:
	OPENSSL_cleanse(got, sizeof(got));
	json_decref(o);
}

/* The [tpm] ek_registered file: one hex SHA-256 per line; '#' comments. */
static int load_registered(verifier_t *v, ar_err_t *err)
{
	FILE *f = fopen(v->conf.tpm_ek_registered, "r");
	char line[256];
	size_t n, lineno = 0;

	if (!f)
		return ar_err_set(err, AR_ERR_CONFIG, "%s: cannot open", v->conf.tpm_ek_registered);
	while (fgets(line, sizeof(line), f)) {
		uint8_t (*grown)[AR_TPM_SHA256_LEN];

		lineno++;
		line[strcspn(line, "\r\n#")] = '\0';
		n = strlen(line);
		while (n && (line[n - 1] == ' ' || line[n - 1] == '\t'))
			line[--n] = '\0';
		if (!n)
			continue;
		grown = realloc(v->ek_registered, (v->n_ek_registered + 1) * sizeof(*grown));
		if (!grown) {
			fclose(f);
			return ar_err_set(err, AR_ERR_NOMEM, "out of memory");
		}
		v->ek_registered = grown;
		if (unhex(line, v->ek_registered[v->n_ek_registered], AR_TPM_SHA256_LEN, &n) < 0 ||
		    n != AR_TPM_SHA256_LEN) {
			fclose(f);
			return ar_err_set(err, AR_ERR_CONFIG, "%s:%zu: not a hex SHA-256",
					  v->conf.tpm_ek_registered, lineno);
		}
		v->n_ek_registered++;
	}
	fclose(f);
	return 0;
}

int tpm_api_load(verifier_t *v, ar_err_t *err)
{
	if (v->conf.tpm_ek_roots) {
		v->ek_trust = ar_tpm_ek_trust_load(v->conf.tpm_ek_roots, v->conf.tpm_ek_intermediates,
						   err);
		if (!v->ek_trust)
			return -1;
	}
	if (v->conf.tpm_ek_registered && load_registered(v, err) < 0)
		return -1;
	return 0;
}

void tpm_api_free(verifier_t *v)
{
	ar_tpm_ek_trust_free(v->ek_trust);
	v->ek_trust = NULL;
	free(v->ek_registered);
	v->ek_registered = NULL;
	v->n_ek_registered = 0;
}
