/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `acme-rats-helper tpm-enroll`: enrol the device's TPM with the verifier.
 * Read the EK certificate from NV (or, without one, send the EK public
 * only), create the EK from its TCG template and the attestation key (a
 * persistent restricted ECDSA P-256 key), ask the verifier for a
 * credential-activation challenge in a request signed by the device's
 * identity key, let the TPM activate it, and send the secret back.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "b64.h"
#include "fileio.h"
#include "hconf.h"
#include "helper.h"
#include "http.h"
#include "jws.h"
#include "log.h"
#include "tpm_dev.h"
#include "verifier_proto.h"

/* The persistent handle range (TPM2_PERSISTENT_FIRST/LAST: tss2's macros
 * shift 0x81 into an int's sign bit, which UBSan refuses). */
#define PERSISTENT_FIRST	0x81000000u
#define PERSISTENT_LAST		0x81ffffffu

#define DEFAULT_TCTI		"device:/dev/tpmrm0"
#define DEFAULT_STATE_DIR	"/var/lib/acme-rats-helper"
#define ANSWER_MAX		(64 * 1024)

typedef struct tpm_args {
	const char	*config;
	const char	*verifier;
	const char	*ca_bundle;
	const char	*account_key;
	const char	*device_id;
	const char	*tcti;
	const char	*state_dir;
	uint32_t	ak_handle;
	long		total_ms;
	helper_conf_t	conf;
	int		conf_loaded;
	char		key_path[1024];
} tpm_args_t;

enum {
	OPT_VERIFIER = 256, OPT_CA_BUNDLE, OPT_ACCOUNT_KEY, OPT_DEVICE_ID, OPT_TCTI, OPT_AK_HANDLE,
	OPT_STATE_DIR, OPT_TIMEOUT,
};

static const struct option options[] = {
	{ "config",	 required_argument, NULL, 'c' },
	{ "verifier",	 required_argument, NULL, OPT_VERIFIER },
	{ "ca-bundle",	 required_argument, NULL, OPT_CA_BUNDLE },
	{ "account-key", required_argument, NULL, OPT_ACCOUNT_KEY },
	{ "device-id",	 required_argument, NULL, OPT_DEVICE_ID },
	{ "tcti",	 required_argument, NULL, OPT_TCTI },
	{ "ak-handle",	 required_argument, NULL, OPT_AK_HANDLE },
	{ "state-dir",	 required_argument, NULL, OPT_STATE_DIR },
	{ "timeout",	 required_argument, NULL, OPT_TIMEOUT },
	{ "help",	 no_argument,	    NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

void cmd_tpm_enroll_usage(FILE *f)
{
	fputs("usage: acme-rats-helper tpm-enroll [options]\n"
	      "Enrol the TPM's attestation key with the verifier (credential activation).\n"
	      "  -c, --config FILE       take [verifier] url, ca_bundle, device_id, [attest]\n"
	      "                          tpm_tcti, account_key and dir from the configuration\n"
	      "  --verifier URL          the verifier (https://...)\n"
	      "  --ca-bundle FILE        PEM trust anchors for the verifier\n"
	      "  --account-key FILE      the device's enrolled identity key (PEM), which signs\n"
	      "                          the enrolment (default DIR/account.key)\n"
	      "  --device-id ID          the device's id\n"
	      "  --tcti TCTI             default " DEFAULT_TCTI "\n"
	      "  --ak-handle HANDLE      persistent handle of the AK (default 0x81010010)\n"
	      "  --state-dir DIR         where tpm-ak.pub is written (default " DEFAULT_STATE_DIR ")\n"
	      "  --timeout SECONDS       each HTTP request's limit (default 30)\n", f);
}

static int usage_error(const char *msg)
{
	fprintf(stderr, "acme-rats-helper tpm-enroll: %s\n", msg);
	return HELPER_EXIT_USAGE;
}

/* Command-line options over the configuration's values. 0, -1 (help) or an exit code. */
static int parse_args(int argc, char **argv, tpm_args_t *a)
{
	ar_err_t err = { 0 };
	int c;

	a->ak_handle = TPM_DEV_AK_HANDLE;
	a->total_ms = 30000;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", options, NULL)) != -1) {
		switch (c) {
		case 'c':		a->config = optarg; break;
		case OPT_VERIFIER:	a->verifier = optarg; break;
		case OPT_CA_BUNDLE:	a->ca_bundle = optarg; break;
		case OPT_ACCOUNT_KEY:	a->account_key = optarg; break;
		case OPT_DEVICE_ID:	a->device_id = optarg; break;
		case OPT_TCTI:		a->tcti = optarg; break;
		case OPT_STATE_DIR:	a->state_dir = optarg; break;
		case OPT_AK_HANDLE:
			if (helper_opt_u32("tpm-enroll", "--ak-handle", optarg, PERSISTENT_FIRST,
					   PERSISTENT_LAST, &a->ak_handle) < 0)
				return HELPER_EXIT_USAGE;
			break;
		case OPT_TIMEOUT:
			if (helper_opt_seconds("tpm-enroll", "--timeout", optarg, &a->total_ms) < 0)
				return HELPER_EXIT_USAGE;
			break;
		case 'h':
			cmd_tpm_enroll_usage(stdout);
			return -1;
		default:
			cmd_tpm_enroll_usage(stderr);
			return HELPER_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument");
	if (a->config) {
		if (helper_conf_load(a->config, &a->conf, &err) < 0) {
			fprintf(stderr, "acme-rats-helper tpm-enroll: %s\n", err.msg);
			return HELPER_EXIT_USAGE;
		}
		a->conf_loaded = 1;
		a->verifier = a->verifier ? a->verifier : a->conf.verifier_url;
		a->ca_bundle = a->ca_bundle ? a->ca_bundle : a->conf.verifier_ca_bundle;
		a->device_id = a->device_id ? a->device_id : a->conf.device_id;
		a->tcti = a->tcti ? a->tcti : a->conf.tpm_tcti;
		a->account_key = a->account_key ? a->account_key : a->conf.account_key;
		a->state_dir = a->state_dir ? a->state_dir : a->conf.dir;
	}
	a->tcti = a->tcti ? a->tcti : DEFAULT_TCTI;
	a->state_dir = a->state_dir ? a->state_dir : DEFAULT_STATE_DIR;
	if (!a->account_key) {
		snprintf(a->key_path, sizeof(a->key_path), "%s/account.key", a->state_dir);
		a->account_key = a->key_path;
	}
	if (!a->verifier || !a->device_id)
		return usage_error("the verifier URL and the device id are required "
				   "(--verifier, --device-id, or -c)");
	return 0;
}

/* What the device sends and keeps. */
typedef struct enrolment {
	uint8_t		ek_pub[1024], ak_pub[1024];
	size_t		ek_pub_len, ak_pub_len;
	uint8_t		*ek_cert;
	size_t		ek_cert_len;
} enrolment_t;

/* The EK certificate (RSA first, then ECC), the EK of its type, and the AK. */
static int tpm_collect(tpm_dev_t *d, uint32_t ak_handle, enrolment_t *e, ar_err_t *err)
{
	uint16_t type = TPM2_ALG_RSA;
	int rc;

	rc = tpm_dev_nv_read(d, TPM_DEV_EK_CERT_RSA, &e->ek_cert, &e->ek_cert_len, err);
	if (rc == 0) {
		rc = tpm_dev_nv_read(d, TPM_DEV_EK_CERT_ECC, &e->ek_cert, &e->ek_cert_len, err);
		if (rc == 1)
			type = TPM2_ALG_ECC;
	}
	if (rc < 0)
		return -1;
	ar_info("event=tpm.ek type=%s certificate=%s", type == TPM2_ALG_RSA ? "rsa" : "ecc",
		e->ek_cert ? "nv" : "none");
	if (tpm_dev_ek(d, type, e->ek_pub, &e->ek_pub_len, err) < 0 ||
	    tpm_dev_ak(d, ak_handle, e->ak_pub, &e->ak_pub_len, err) < 0)
		return -1;
	return 0;
}

/* POST @body to @path; the answer's JSON on @want, else -1 naming the problem. */
static json_t *post(http_client_t *h, const char *base, const char *path, const char *ctype,
		    const char *body, long want, ar_err_t *err)
{
	char url[VP_URL_MAX], text[256];
	http_resp_t r;
	json_t *o = NULL;

	snprintf(url, sizeof(url), "%s%s", base, path);
	if (http_request(h, "POST", url, ctype, body, strlen(body), "application/json", &r, err) < 0)
		return NULL;
	if (r.status != want) {
		vp_problem_text(r.content_type, r.body, r.len, text, sizeof(text));
		ar_err_set(err, r.status >= 500 ? AR_ERR_UNAVAILABLE : AR_ERR_UNAUTHORIZED,
			   "%s: verifier answered %ld: %s", path, r.status, text);
	} else {
		o = json_loadb(r.body, r.len, 0, NULL);
		if (!json_is_object(o)) {
			json_decref(o);
			o = NULL;
			ar_err_set(err, AR_ERR_MALFORMED, "%s: the answer is not a JSON object", path);
		}
	}
	http_resp_free(&r);
	return o;
}

/* The first call: the enrolment request signed by the identity key. */
static char *enroll_request(const tpm_args_t *a, const enrolment_t *e, const ar_jwk_t *key,
			    ar_err_t *err)
{
	char *ak = ar_b64url_encode_alloc(e->ak_pub, e->ak_pub_len);
	char *ek = ar_b64url_encode_alloc(e->ek_pub, e->ek_pub_len);
	char *cert = e->ek_cert ? ar_b64url_encode_alloc(e->ek_cert, e->ek_cert_len) : NULL;
	char *text = NULL, *jws = NULL;
	json_t *p = NULL;

	if (ak && ek && (cert || !e->ek_cert))
		p = json_pack("{s:s, s:s, s:s}", "device", a->device_id, "ak_pub", ak, "ek_pub", ek);
	if (p && cert)
		json_object_set_new(p, "ek_cert", json_string(cert));
	text = p ? json_dumps(p, JSON_COMPACT) : NULL;
	if (text)
		jws = ar_jws_sign_compact(NULL, text, strlen(text), key, err);
	else
		ar_err_set(err, AR_ERR_NOMEM, "out of memory");
	json_decref(p);
	free(text);
	free(ak);
	free(ek);
	free(cert);
	return jws;
}

/* The second call's body: the secret the TPM released. */
static char *activation(json_t *chal, tpm_dev_t *d, ar_err_t *err)
{
	const char *id = NULL, *blob = NULL, *enc = NULL;
	uint8_t b[1024], s[1024], secret[64];
	size_t bl, sl, n = 0;
	char *sb = NULL, *text = NULL;
	json_t *o;

	if (json_unpack(chal, "{s:s, s:s, s:s}", "challenge", &id, "credential_blob", &blob,
			"encrypted_secret", &enc) < 0) {
		ar_err_set(err, AR_ERR_MALFORMED, "the challenge lacks a member");
		return NULL;
	}
	if (ar_b64url_decode(blob, strlen(blob), b, sizeof(b), &bl, err) < 0 ||
	    ar_b64url_decode(enc, strlen(enc), s, sizeof(s), &sl, err) < 0 ||
	    tpm_dev_activate(d, b, bl, s, sl, secret, &n, err) < 0)
		return NULL;
	sb = ar_b64url_encode_alloc(secret, n);
	OPENSSL_cleanse(secret, sizeof(secret));
	o = sb ? json_pack("{s:s, s:s}", "challenge", id, "secret", sb) : NULL;
	text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	if (!text)
		ar_err_set(err, AR_ERR_NOMEM, "out of memory");
	json_decref(o);
	if (sb)
		OPENSSL_cleanse(sb, strlen(sb));
	free(sb);
	return text;
}

static int exit_code(const ar_err_t *err)
{
	switch (err->code) {
	case AR_ERR_UNAVAILABLE:
	case AR_ERR_TIMEOUT:
	case AR_ERR_MALFORMED:
		return HELPER_EXIT_PROTOCOL;
	case AR_ERR_UNAUTHORIZED:
		return HELPER_EXIT_REFUSED;
	default:
		return HELPER_EXIT_USAGE;
	}
}

int cmd_tpm_enroll(int argc, char **argv)
{
	tpm_args_t a;
	tpm_dev_t d = { .esys = NULL };
	enrolment_t e;
	http_opts_t ho = { .ca_bundle = NULL };
	http_client_t *h = NULL;
	ar_err_t err = { 0 };
	ar_jwk_t *key = NULL;
	json_t *chal = NULL, *res = NULL;
	char base[VP_BASE_MAX], path[1200], *body = NULL;
	int rc;

	memset(&a, 0, sizeof(a));
	memset(&e, 0, sizeof(e));
	/* ESAPI would log the probes of absent NV indices and handles as errors;
	 * failures that matter are reported with their TSS2_RC. */
	setenv("TSS2_LOG", "all+NONE", 0);
	rc = parse_args(argc, argv, &a);
	if (rc)
		goto done;
	rc = HELPER_EXIT_USAGE;
	key = ar_jwk_load_pem(a.account_key, &err);
	if (!key || vp_base_url(a.verifier, base, sizeof(base), &err) < 0)
		goto fail;
	ho.ca_bundle = a.ca_bundle;
	ho.total_ms = a.total_ms;
	ho.max_body = ANSWER_MAX;
	h = http_client_new(&ho, &err);
	if (!h || tpm_dev_open(&d, a.tcti, &err) < 0 || tpm_collect(&d, a.ak_handle, &e, &err) < 0)
		goto fail;
	body = enroll_request(&a, &e, key, &err);
	if (!body)
		goto fail;
	chal = post(h, base, "/tpm/v1/enroll", "application/jose", body, 201, &err);
	free(body);
	body = NULL;
	if (!chal || !(body = activation(chal, &d, &err)))
		goto fail;
	res = post(h, base, "/tpm/v1/activate", "application/json", body, 200, &err);
	if (!res)
		goto fail;
	snprintf(path, sizeof(path), "%s/tpm-ak.pub", a.state_dir);
	if (ar_file_write_atomic(path, e.ak_pub, e.ak_pub_len, 0600, &err) < 0)
		goto fail;
	ar_info("event=tpm.enrolled device=%s ak_name=%s ek_source=%s", a.device_id,
		json_string_value(json_object_get(res, "ak_name")),
		json_string_value(json_object_get(res, "ek_source")));
	printf("enrolled device=%s ak_name=%s\n", a.device_id,
	       json_string_value(json_object_get(res, "ak_name")));
	rc = 0;
	goto done;
fail:
	fprintf(stderr, "acme-rats-helper tpm-enroll: %s\n", err.msg);
	rc = exit_code(&err);
done:
	if (body)
		OPENSSL_cleanse(body, strlen(body));
	free(body);
	json_decref(chal);
	json_decref(res);
	free(e.ek_cert);
	tpm_dev_close(&d);
	http_client_free(h);
	ar_jwk_free(key);
	if (a.conf_loaded)
		helper_conf_free(&a.conf);
	return rc < 0 ? 0 : rc;
}
