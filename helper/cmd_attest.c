/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `acme-rats-helper attest`: the passport model. Open a session with the
 * verifier, collect evidence bound to its nonce, sign it with the device's
 * identity (the ACME account key External Account Binding enrolled), send
 * it (optionally encrypted to the verifier's key, in its CMW record), and
 * keep the attestation result (EAR) the verifier signs.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attest.h"
#include "b64.h"
#include "cmw.h"
#include "ear.h"
#include "evidence.h"
#include "evidence_jws.h"
#include "fileio.h"
#include "helper.h"
#include "jwe.h"
#include "jwk.h"
#include "log.h"
#include "tpm_evidence.h"
#include "tpm_quote.h"
#include "verifier_client.h"

/* The account key `acme-rats-helper run` enrols with, in its default state directory. */
#define DEFAULT_ACCOUNT_KEY	"/var/lib/acme-rats-helper/account.key"

/* Nonces we ask the verifier to use: 8..64 bytes, as it accepts. */
#define NONCE_MIN_BYTES	8
#define NONCE_MAX_BYTES	64

typedef struct attest_args {
	const char	*verifier;
	const char	*ca_bundle;
	const char	*key_path;
	const char	*account_key;
	const char	*device_id;
	const char	*edr;
	const char	*override;
	const char	*root;
	const char	*nonce;
	const char	*trust_jwks;
	const char	*output;
	ar_key_storage_t key_storage;
	int		encrypt;
	long		connect_ms;
	long		total_ms;
	int		verbose;
	/* TPM evidence (--tpm): the TPM's AK signs, the CSR key is the TPM's. */
	tpm_quote_conf_t tpm;
	int		use_tpm;
} attest_args_t;

enum {
	OPT_VERIFIER = 256, OPT_CA_BUNDLE, OPT_KEY, OPT_KEY_STORAGE, OPT_DEVICE_ID, OPT_EDR,
	OPT_OVERRIDE, OPT_ROOT, OPT_NONCE, OPT_ENCRYPT, OPT_TRUST_JWKS, OPT_OUTPUT,
	OPT_CONNECT_TIMEOUT, OPT_TIMEOUT, OPT_ACCOUNT_KEY, OPT_TPM, OPT_TPM_AK, OPT_TPM_KEY,
	OPT_TPM_PCRS, OPT_BOOT_LOG, OPT_IMA_LIST,
};

/* The AK's handle unless --tpm-ak: where `acme-rats-helper tpm-enroll` keeps it. */
#define DEFAULT_TPM_AK	0x81010010u

static const struct option options[] = {
	{ "verifier",		required_argument, NULL, OPT_VERIFIER },
	{ "ca-bundle",		required_argument, NULL, OPT_CA_BUNDLE },
	{ "key",		required_argument, NULL, OPT_KEY },
	{ "account-key",	required_argument, NULL, OPT_ACCOUNT_KEY },
	{ "key-storage",	required_argument, NULL, OPT_KEY_STORAGE },
	{ "device-id",		required_argument, NULL, OPT_DEVICE_ID },
	{ "edr",		required_argument, NULL, OPT_EDR },
	{ "override",		required_argument, NULL, OPT_OVERRIDE },
	{ "root",		required_argument, NULL, OPT_ROOT },
	{ "nonce",		required_argument, NULL, OPT_NONCE },
	{ "encrypt",		no_argument,	   NULL, OPT_ENCRYPT },
	{ "trust-jwks",		required_argument, NULL, OPT_TRUST_JWKS },
	{ "output",		required_argument, NULL, OPT_OUTPUT },
	{ "connect-timeout",	required_argument, NULL, OPT_CONNECT_TIMEOUT },
	{ "timeout",		required_argument, NULL, OPT_TIMEOUT },
	{ "tpm",		required_argument, NULL, OPT_TPM },
	{ "tpm-ak",		required_argument, NULL, OPT_TPM_AK },
	{ "tpm-key",		required_argument, NULL, OPT_TPM_KEY },
	{ "tpm-pcrs",		required_argument, NULL, OPT_TPM_PCRS },
	{ "boot-log",		required_argument, NULL, OPT_BOOT_LOG },
	{ "ima-list",		required_argument, NULL, OPT_IMA_LIST },
	{ "verbose",		no_argument,	   NULL, 'v' },
	{ "help",		no_argument,	   NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

void cmd_attest_usage(FILE *f)
{
	fputs("usage: acme-rats-helper attest --verifier URL --key FILE [options]\n"
	      "\n"
	      "Collect evidence about this device, have the verifier appraise it, and\n"
	      "keep the attestation result (EAR JWT) it signs.\n"
	      "\n"
	      "  --verifier URL          verifier base URL (https only)\n"
	      "  --ca-bundle FILE        PEM CA certificates to trust for the verifier\n"
	      "  --key FILE              PEM key the certificate will be issued for\n"
	      "  --account-key FILE      PEM key that signs the evidence: the ACME account key\n"
	      "                          this device was enrolled with (default\n"
	      "                          " DEFAULT_ACCOUNT_KEY ")\n"
	      "  --key-storage CLASS     declared key store: file (default), tpm, pkcs11\n"
	      "  --device-id ID          device identity (default: /etc/machine-id)\n"
	      "  --edr NAME              process name of the EDR agent to report on\n"
	      "  --override FILE         JSON file whose members replace collected values\n"
	      "  --root DIR              collect from the system tree under DIR (default /)\n"
	      "  --nonce B64URL          ask the verifier to use this nonce (8..64 bytes)\n"
	      "  --encrypt               encrypt the signed evidence to the verifier's key (JWE)\n"
	      "  --trust-jwks FILE       verify the EAR's signature against these keys\n"
	      "  --output FILE           write the EAR JWT here (default: standard output)\n"
	      "  --connect-timeout SEC   connect timeout (default 10)\n"
	      "  --timeout SEC           timeout of each request (default 30)\n"
	      "  --tpm TCTI              TPM evidence instead: quote and key certification by\n"
	      "                          the enrolled AK (e.g. device:/dev/tpmrm0); --key and\n"
	      "                          --account-key are not used, the CSR key is the TPM's\n"
	      "  --tpm-ak HANDLE         persistent handle of the AK (default 0x81010010)\n"
	      "  --tpm-key HANDLE        persistent handle of the CSR key, made when absent\n"
	      "                          (default 0x81010020)\n"
	      "  --tpm-pcrs MASK         PCRs to quote, as the verifier's policy names them\n"
	      "                          (hex mask, default 0x47ff: 0-10, 14)\n"
	      "  --boot-log FILE         UEFI event log (default the kernel's securityfs file)\n"
	      "  --ima-list FILE         IMA list (default the kernel's securityfs file)\n"
	      "  -v, --verbose           log each step to standard error (twice: debug)\n"
	      "  -h, --help              this text\n"
	      "\n"
	      "Exit status: 0 affirming, 1 warning, 2 contraindicated or none,\n"
	      "3 usage or configuration error, 4 verifier unreachable or protocol error.\n",
	      f);
}

static int check_nonce(const char *nonce)
{
	uint8_t buf[NONCE_MAX_BYTES];
	size_t n;

	if (strlen(nonce) > ar_b64url_enc_len(NONCE_MAX_BYTES) ||
	    ar_b64url_decode(nonce, strlen(nonce), buf, sizeof(buf), &n, NULL) < 0 ||
	    n < NONCE_MIN_BYTES) {
		fprintf(stderr, "acme-rats-helper attest: --nonce must be base64url of %d..%d bytes\n",
			NONCE_MIN_BYTES, NONCE_MAX_BYTES);
		return -1;
	}
	return 0;
}

static int parse_args(int argc, char **argv, attest_args_t *a)
{
	int c;

	memset(a, 0, sizeof(*a));
	a->key_storage = AR_KEY_FILE;
	a->account_key = DEFAULT_ACCOUNT_KEY;
	a->tpm.ak_handle = DEFAULT_TPM_AK;
	a->tpm.key_handle = TPM_QUOTE_KEY_HANDLE;
	a->tpm.pcr_mask = TPM_QUOTE_PCRS;
	optind = 1;
	while ((c = getopt_long(argc, argv, "vh", options, NULL)) != -1) {
		switch (c) {
		case OPT_VERIFIER:	a->verifier = optarg; break;
		case OPT_CA_BUNDLE:	a->ca_bundle = optarg; break;
		case OPT_KEY:		a->key_path = optarg; break;
		case OPT_ACCOUNT_KEY:	a->account_key = optarg; break;
		case OPT_DEVICE_ID:	a->device_id = optarg; break;
		case OPT_EDR:		a->edr = optarg; break;
		case OPT_OVERRIDE:	a->override = optarg; break;
		case OPT_ROOT:		a->root = optarg; break;
		case OPT_NONCE:		a->nonce = optarg; break;
		case OPT_ENCRYPT:	a->encrypt = 1; break;
		case OPT_TRUST_JWKS:	a->trust_jwks = optarg; break;
		case OPT_OUTPUT:	a->output = optarg; break;
		case 'v':		a->verbose++; break;
		case OPT_TPM:		a->tpm.tcti = optarg; a->use_tpm = 1; break;
		case OPT_BOOT_LOG:	a->tpm.boot_log = optarg; break;
		case OPT_IMA_LIST:	a->tpm.ima_list = optarg; break;
		case OPT_TPM_AK:
			if (helper_opt_u32("attest", "--tpm-ak", optarg, 1, UINT32_MAX,
					   &a->tpm.ak_handle) < 0)
				return HELPER_EXIT_USAGE;
			break;
		case OPT_TPM_KEY:
			if (helper_opt_u32("attest", "--tpm-key", optarg, 1, UINT32_MAX,
					   &a->tpm.key_handle) < 0)
				return HELPER_EXIT_USAGE;
			break;
		case OPT_TPM_PCRS:
			if (helper_opt_u32("attest", "--tpm-pcrs", optarg, 1, UINT32_MAX,
					   &a->tpm.pcr_mask) < 0)
				return HELPER_EXIT_USAGE;
			break;
		case OPT_KEY_STORAGE:
			if (ar_key_storage_parse(optarg, &a->key_storage) < 0) {
				fprintf(stderr, "acme-rats-helper attest: --key-storage must be file, "
					"tpm or pkcs11\n");
				return HELPER_EXIT_USAGE;
			}
			break;
		case OPT_CONNECT_TIMEOUT:
			if (helper_opt_seconds("attest", "--connect-timeout", optarg,
					       &a->connect_ms) < 0)
				return HELPER_EXIT_USAGE;
			break;
		case OPT_TIMEOUT:
			if (helper_opt_seconds("attest", "--timeout", optarg, &a->total_ms) < 0)
				return HELPER_EXIT_USAGE;
			break;
		case 'h':
			cmd_attest_usage(stdout);
			return -1;
		default:
			cmd_attest_usage(stderr);
			return HELPER_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "acme-rats-helper attest: unexpected argument \"%s\"\n", argv[optind]);
		return HELPER_EXIT_USAGE;
	}
	if (!a->verifier || (!a->key_path && !a->use_tpm)) {
		fprintf(stderr, "acme-rats-helper attest: --verifier and --key (or --tpm) are "
			"required\n");
		cmd_attest_usage(stderr);
		return HELPER_EXIT_USAGE;
	}
	if (a->edr && (!*a->edr || strlen(a->edr) >= sizeof(((ar_evidence_t *)0)->edr_name))) {
		fprintf(stderr, "acme-rats-helper attest: --edr must be 1..63 characters\n");
		return HELPER_EXIT_USAGE;
	}
	if (a->nonce && check_nonce(a->nonce) < 0)
		return HELPER_EXIT_USAGE;
	if (a->use_tpm && a->encrypt) {
		/* The verifier unseals signed JSON evidence only (docs/evidence.md). */
		fprintf(stderr, "acme-rats-helper attest: --tpm evidence is not sent encrypted "
			"(--encrypt)\n");
		return HELPER_EXIT_USAGE;
	}
	return 0;
}

static int fail(int code, const char *what, const ar_err_t *err)
{
	fprintf(stderr, "acme-rats-helper attest: %s: %s\n", what, err->msg);
	return code;
}

/*
 * TPM evidence (--tpm): the posture document, and the TPM's certification of
 * the CSR key and quote bound to it and to the session's nonce.
 */
static int tpm_body(const attest_args_t *a, const ar_evidence_t *ev, const vp_session_t *s,
		    char **body, const char **ctype)
{
	json_t *doc = ar_evidence_to_json(ev);
	char *posture = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	ar_err_t err = { 0 };
	size_t len;

	json_decref(doc);
	if (!posture) {
		fprintf(stderr, "acme-rats-helper attest: out of memory\n");
		return HELPER_EXIT_USAGE;
	}
	*body = tpm_quote_evidence(&a->tpm, s->nonce, posture, strlen(posture), &len, &err);
	free(posture);
	if (!*body)
		return fail(HELPER_EXIT_USAGE, "TPM evidence", &err);
	*ctype = "application/cmw+json";
	return 0;
}

/*
 * Evidence as the body to post: the JWS @identity signs, or a JWE of its
 * CMW record. Returns an exit code.
 */
static int make_body(verifier_client_t *vc, const attest_args_t *a, const ar_evidence_t *ev,
		     const vp_session_t *s, const ar_jwk_t *identity, char **body,
		     const char **ctype)
{
	ar_err_t err = { 0 };
	json_t *rec, *jwe;
	ar_jwk_t *key;
	char *jws, *text;

	*body = NULL;
	if (a->use_tpm)
		return tpm_body(a, ev, s, body, ctype);
	jws = ar_evidence_sign(ev, identity, &err);
	if (!jws)
		return fail(HELPER_EXIT_USAGE, "signing evidence", &err);
	if (!a->encrypt) {
		*body = jws;
		*ctype = AR_MT_EVIDENCE_JWS;
		return 0;
	}
	rec = ar_evidence_cmw_wrap(jws);
	text = rec ? json_dumps(rec, JSON_COMPACT) : NULL;
	json_decref(rec);
	free(jws);
	if (!text) {
		fprintf(stderr, "acme-rats-helper attest: out of memory\n");
		return HELPER_EXIT_USAGE;
	}
	key = vc_encryption_key(vc, &err);
	if (!key) {
		free(text);
		return fail(HELPER_EXIT_PROTOCOL, "verifier encryption key", &err);
	}
	jwe = ar_jwe_encrypt(text, strlen(text), key, "application/cmw+json", &err);
	ar_jwk_free(key);
	free(text);
	if (!jwe)
		return fail(HELPER_EXIT_USAGE, "encrypting evidence", &err);
	*body = json_dumps(jwe, JSON_COMPACT);
	json_decref(jwe);
	if (!*body) {
		fprintf(stderr, "acme-rats-helper attest: out of memory\n");
		return HELPER_EXIT_USAGE;
	}
	*ctype = VP_MT_JOSE;
	return 0;
}

/*
 * Decode the EAR (verified when trust anchors are given) and check it is
 * the answer to our evidence. Returns 0 or an exit code.
 */
static int check_ear(const char *jwt, const ar_jwks_t *trusted, const vp_session_t *s,
		     const ar_evidence_t *ev, ar_ear_t *ear)
{
	ar_err_t err = { 0 };

	if (trusted ? ar_ear_verify(jwt, strlen(jwt), trusted, ear, &err) < 0
		    : vp_ear_peek(jwt, strlen(jwt), ear, &err) < 0)
		return fail(HELPER_EXIT_PROTOCOL, "attestation result", &err);
	if (!ar_nonce_equal(ear->nonce, s->nonce)) {
		fprintf(stderr, "acme-rats-helper attest: attestation result is not bound to the "
			"session's nonce\n");
		return HELPER_EXIT_PROTOCOL;
	}
	if (ear->jkt[0] && strcmp(ear->jkt, ev->key_jkt)) {
		fprintf(stderr, "acme-rats-helper attest: attestation result is bound to another "
			"key (cnf.jkt)\n");
		return HELPER_EXIT_PROTOCOL;
	}
	return 0;
}

static const char *yes_no(int v)
{
	return v < 0 ? "unknown" : v ? "yes" : "no";
}

static void print_summary(FILE *f, const verifier_client_t *vc, const vp_session_t *s,
			  const ar_evidence_t *ev, const ar_ear_t *ear, int verified)
{
	char tv[96], when[32] = "unknown";
	struct tm tm;
	time_t t = (time_t)ev->last_security_update;
	size_t i;

	if (t && gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(f, "verifier    %s\n", vc->base);
	fprintf(f, "session     expires %s\n", s->expiry[0] ? s->expiry : "(not said)");
	fprintf(f, "nonce       %s\n", s->nonce);
	fprintf(f, "device      %s%s%s%s\n", ev->device_id, ev->hostname[0] ? " (" : "",
		ev->hostname, ev->hostname[0] ? ")" : "");
	fprintf(f, "os          %s %s, kernel %s\n", ev->os_id[0] ? ev->os_id : "unknown",
		ev->os_version, ev->kernel[0] ? ev->kernel : "unknown");
	fprintf(f, "posture     updated %s; disk encrypted %s; EDR %s %s; secure boot %s\n",
		when, yes_no(ev->disk_encrypted), ev->edr_name[0] ? ev->edr_name : "(none)",
		ev->edr_name[0] ? (ev->edr_running == 1 ? "running" : "not running") : "",
		yes_no(ev->secure_boot));
	fprintf(f, "key         %s, jkt %s\n", ar_key_storage_name(ev->key_storage), ev->key_jkt);
	fprintf(f, "result      %s%s%s, verifier %s\n",
		verified ? "signature verified" : "signature NOT verified (no --trust-jwks)",
		ear->kid[0] ? ", kid " : "", ear->kid,
		ear->verifier_developer[0] ? ear->verifier_developer : "(unnamed)");
	if (!ear->jkt[0])
		fprintf(f, "            warning: the result does not bind a key (no cnf.jkt)\n");
	for (i = 0; i < ear->nsubmods; i++) {
		const ar_ear_submod_t *sm = &ear->submods[i];

		ar_tvec_format(&sm->tv, tv, sizeof(tv));
		fprintf(f, "submodule   %-10s %-15s %s\n", sm->name,
			ar_status_name(ar_ear_submod_status(sm)), tv);
	}
	fprintf(f, "status      %s\n", ar_status_name(ar_ear_status(ear)));
}

static int exit_for(ar_status_t st)
{
	switch (st) {
	case AR_STATUS_AFFIRMING:
		return HELPER_EXIT_AFFIRMING;
	case AR_STATUS_WARNING:
		return HELPER_EXIT_WARNING;
	case AR_STATUS_NONE:
	case AR_STATUS_CONTRAINDICATED:
	default:
		return HELPER_EXIT_CONTRAINDICATED;
	}
}

/* Store the EAR; returns 0 or an exit code. */
static int write_ear(const char *output, const char *jwt)
{
	ar_err_t err = { 0 };
	size_t len = strlen(jwt);
	char *line = malloc(len + 2);
	int rc = 0;

	if (!line) {
		fprintf(stderr, "acme-rats-helper attest: out of memory\n");
		return HELPER_EXIT_USAGE;
	}
	memcpy(line, jwt, len);
	line[len] = '\n';
	line[len + 1] = '\0';
	if (output) {
		if (ar_file_write_atomic(output, line, len + 1, 0600, &err) < 0)
			rc = fail(HELPER_EXIT_USAGE, "writing the result", &err);
	} else if (fwrite(line, 1, len + 1, stdout) != len + 1 || fflush(stdout) != 0) {
		fprintf(stderr, "acme-rats-helper attest: writing the result: %s\n", strerror(errno));
		rc = HELPER_EXIT_USAGE;
	}
	free(line);
	return rc;
}

/* The evidence key, the identity key and the trusted EAR keys; 0 or an exit code. */
static int load_keys(const attest_args_t *a, ar_jwk_t **key, ar_jwk_t **identity,
		     ar_jwks_t **trusted)
{
	ar_err_t err = { 0 };
	EVP_PKEY *pub = NULL;

	if (a->use_tpm) {
		/* The CSR key is the TPM's (made once); the AK, not a file key, signs. */
		if (tpm_quote_key(&a->tpm, &pub, &err) < 0)
			return fail(HELPER_EXIT_USAGE, "--tpm-key", &err);
		*key = ar_jwk_from_pkey(pub, &err);
		EVP_PKEY_free(pub);
		if (!*key)
			return fail(HELPER_EXIT_USAGE, "--tpm-key", &err);
		if (a->trust_jwks &&
		    !(*trusted = ar_jwks_load(a->trust_jwks, AR_JWK_PUBLIC_ONLY, &err)))
			return fail(HELPER_EXIT_USAGE, "--trust-jwks", &err);
		return 0;
	}
	*key = ar_jwk_load_pem(a->key_path, &err);
	if (!*key)
		return fail(HELPER_EXIT_USAGE, "--key", &err);
	*identity = ar_jwk_load_pem(a->account_key, &err);
	if (!*identity)
		return fail(HELPER_EXIT_USAGE, "--account-key", &err);
	if (a->trust_jwks && !(*trusted = ar_jwks_load(a->trust_jwks, AR_JWK_PUBLIC_ONLY, &err)))
		return fail(HELPER_EXIT_USAGE, "--trust-jwks", &err);
	return 0;
}

/* The device's evidence for session @s, signed by @key; 0 or an exit code. */
static int collect(const attest_args_t *a, const ar_jwk_t *key, const vp_session_t *s,
		   ar_evidence_t *ev)
{
	ar_attest_opts_t o;
	ar_err_t err = { 0 };

	memset(&o, 0, sizeof(o));
	o.root = a->root;
	o.device_id = a->device_id;
	o.edr_process = a->edr;
	o.key = key;
	o.key_storage = a->use_tpm ? AR_KEY_TPM : a->key_storage;
	o.override_path = a->override;
	if (ar_attest_collect(&o, s->nonce, (int64_t)time(NULL), ev, &err) < 0)
		return fail(HELPER_EXIT_USAGE, "collecting evidence", &err);
	return 0;
}

int cmd_attest(int argc, char **argv)
{
	verifier_client_t vc = { 0 };
	attest_args_t a;
	ar_evidence_t ev;
	vp_session_t s;
	ar_ear_t ear;
	ar_jwk_t *key = NULL, *identity = NULL;
	ar_jwks_t *trusted = NULL;
	ar_err_t err = { 0 };
	http_opts_t hopts;
	const char *ctype;
	char *body = NULL, *jwt = NULL;
	int rc;

	rc = parse_args(argc, argv, &a);
	if (rc)
		return rc < 0 ? 0 : rc;
	if (a.verbose)
		ar_log_setup("acme-rats-helper", a.verbose > 1 ? AR_LOG_DEBUG : AR_LOG_INFO, 2);

	rc = load_keys(&a, &key, &identity, &trusted);
	if (rc)
		goto out;
	rc = HELPER_EXIT_USAGE;
	memset(&hopts, 0, sizeof(hopts));
	hopts.ca_bundle = a.ca_bundle;
	hopts.connect_ms = a.connect_ms;
	hopts.total_ms = a.total_ms;
	if (vc_open(&vc, a.verifier, &hopts, &err) < 0) {
		fail(rc, "--verifier", &err);
		goto out;
	}

	if (vc_new_session(&vc, a.nonce, &s, &err) < 0) {
		rc = fail(err.code == AR_ERR_CONFIG ? HELPER_EXIT_USAGE : HELPER_EXIT_PROTOCOL,
			  "opening a session", &err);
		goto out;
	}
	ctype = a.use_tpm ? "application/cmw+json" : a.encrypt ? VP_MT_JOSE : AR_MT_EVIDENCE_JWS;
	if (!vp_session_accepts(&s, ctype)) {
		fprintf(stderr, "acme-rats-helper attest: the verifier does not accept %s\n", ctype);
		rc = HELPER_EXIT_PROTOCOL;
		goto out;
	}

	rc = collect(&a, key, &s, &ev);
	if (rc)
		goto out;
	rc = make_body(&vc, &a, &ev, &s, identity, &body, &ctype);
	if (rc)
		goto out;
	if (vc_submit(&vc, &s, ctype, body, strlen(body), &jwt, &err) < 0) {
		rc = fail(HELPER_EXIT_PROTOCOL, "submitting evidence", &err);
		goto out;
	}
	rc = check_ear(jwt, trusted, &s, &ev, &ear);
	if (rc)
		goto out;

	print_summary(a.output ? stdout : stderr, &vc, &s, &ev, &ear, trusted != NULL);
	rc = write_ear(a.output, jwt);
	if (rc == 0)
		rc = exit_for(ar_ear_status(&ear));
	ar_info("event=attest.done status=%s exit=%d", ar_status_name(ar_ear_status(&ear)), rc);
out:
	free(jwt);
	free(body);
	vc_close(&vc);
	ar_jwks_free(trusted);
	ar_jwk_free(identity);
	ar_jwk_free(key);
	return rc;
}
