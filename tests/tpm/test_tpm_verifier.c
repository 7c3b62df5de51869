/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TPM attestation through acme-rats-verifier: a real swtpm (tests/tpm/tpmlab)
 * whose PCRs carry a generated measured boot and IMA list (tpm_gen), a real
 * redis-server holding the AK registry, and the real daemon over HTTPS. A
 * healthy device gets an EAR with the vector its evidence proves; each
 * attack is refused with its reason.
 *
 * With AR_TPM_SEEDS=DIR set, the healthy collection is also written as a
 * fuzz seed (DIR/tpm_cmw/seed-swtpm).
 */
#include "config.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "lab/lab.h"
#include "httpc.h"
#include "evfix.h"
#include "evidence_jws.h"
#include "cmw.h"
#include "ear.h"
#include "fileio.h"
#include "jwk.h"
#include "store.h"
#include "tpm.h"
#include "tpm_cmw.h"
#include "tpm_eventlog.h"
#include "tpm_registry.h"
#include "tpmlab.h"
#include "tpm_quote.h"
#include "tss2key.h"
#include "vtest.h"

#define AK		"0x81010002"	/* enrolled for DEVICE */
#define AK_B		"0x81010003"	/* enrolled for DEVICE_B */
#define AK_FREE		"0x81010004"	/* enrolled for nobody */
#define SRK		"0x81000001"
#define KEY		"0x81000010"	/* the CSR key */
#define PCRS		"0,1,2,3,4,5,6,7,8,9,10,14"
#define DEVICE		"SUB-TPM-1"
#define DEVICE_B	"SUB-TPM-2"
#define DEVICE_NONE	"SUB-TPM-3"
#define KERNEL		"vmlinuz-6.1.0-26-amd64"

static struct {
	tpmlab_t	tpm;
	lab_redis_t	redis;
	vtest_t		v;
	char		gen[512];
	int		boot;		/* files of the current boot are boot<N>.log, ima<N>.list */
	ar_jwks_t	*trusted;
	ar_store_t	*store;
	char		key_jkt[AR_JWK_THUMBPRINT_LEN + 1];
} t;

/* A boot of the device: measured boot and IMA extended (after a TPM reset unless first). */
static int boot(const char *kernel, int secure_boot, const char *intruder)
{
	if (t.boot && tpmlab_reboot(&t.tpm) < 0)
		return -1;
	t.boot++;
	if (tpmlab_run(&t.tpm, "'%s' boot '%s' boot%d.log --kernel %s --secureboot %d", t.gen,
		       t.tpm.tcti, t.boot, kernel, secure_boot) != 0 ||
	    tpmlab_run(&t.tpm, "'%s' ima '%s' ima%d.list allow%d.txt 0 40 %s%s", t.gen, t.tpm.tcti,
		       t.boot, t.boot, intruder ? "--intruder " : "", intruder ? intruder : "") != 0)
		return -1;
	return 0;
}

static void hex(char *out, const uint8_t *d, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++)
		snprintf(out + 2 * k, 3, "%02x", d[k]);
}

/* Reference values of the healthy boot (boot1.log): PCR 4's applications, db, dbx, cmdline. */
static int write_policy(void)
{
	char path[600], line[200], h[65];
	ar_tcg_log_t log;
	ar_uefi_var_t var;
	uint8_t *b;
	size_t n, i;
	FILE *f;

	b = tpmlab_read(&t.tpm, "boot1.log", &n);
	if (!b || ar_tcg_log_parse(b, n, &log, NULL) != AR_TPM_OK)
		return -1;
	snprintf(path, sizeof(path), "%s/tpm-policy.conf", t.v.dir);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "# test reference values\nquote_pcrs 0-10,14\nboot_pcrs 0-9,14\n"
		"secure_boot required\nkernel_cmdline /boot/" KERNEL " root=UUID=1e2b ro quiet\n"
		"ima_allowlist %s/allow1.txt\nima_exclude /var/log/*\n", t.tpm.dir);
	for (i = 0; i < log.count; i++) {
		const ar_tcg_event_t *ev = &log.ev[i];

		hex(h, ev->sha256, 32);
		line[0] = '\0';
		if (ev->pcr == 4 && ev->type == AR_EV_EFI_BOOT_SERVICES_APPLICATION)
			snprintf(line, sizeof(line), "boot_digest 4 %s\n", h);
		else if (ev->pcr == 7 && ev->type == AR_EV_EFI_VARIABLE_DRIVER_CONFIG &&
			 ar_uefi_var_decode(ev, &var, NULL) == 0 &&
			 (ar_uefi_var_name_is(&var, "db") || ar_uefi_var_name_is(&var, "dbx")))
			snprintf(line, sizeof(line), "uefi_var %s %s\n",
				 ar_uefi_var_name_is(&var, "db") ? "db" : "dbx", h);
		fputs(line, f);
	}
	ar_tcg_log_clear(&log);
	free(b);
	return fclose(f);
}

/* mkverifier's configuration, with the TPM policy and room for the evidence. */
static int configure(void)
{
	char path[300], *text, out[8192];
	const char *v, *mb;
	size_t len;
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "%s/verifier.conf", t.v.dir);
	if (ar_file_read(path, 8000, &text, &len, NULL) < 0)
		return -1;
	v = strstr(text, "[verifier]\n");
	mb = strstr(text, "max_body = 32k\n");
	if (!v || !mb || mb > v) {
		free(text);
		return -1;
	}
	n = snprintf(out, sizeof(out), "%.*smax_body = 1024k\n%.*s[verifier]\ntpm_policy = %s/"
		     "tpm-policy.conf\n%s", (int)(mb - text), text, (int)(v - mb - 15), mb + 15,
		     t.v.dir, v + 11);
	free(text);
	f = fopen(path, "w");
	if (!f || n < 0 || (size_t)n >= sizeof(out))
		return -1;
	fwrite(out, 1, (size_t)n, f);
	return fclose(f);
}

static int enroll(const char *device, const char *pub_file)
{
	ar_tpm_enrolled_t e;
	ar_tpm_key_t k;
	size_t n;
	uint8_t *pub = tpmlab_read_public(&t.tpm, pub_file, &n);
	int rc = -1;

	if (!pub || n > sizeof(e.ak_pub) || ar_tpm_key_decode(pub, n, &k, NULL) != AR_TPM_OK) {
		free(pub);
		return -1;
	}
	memset(&e, 0, sizeof(e));
	memcpy(e.ak_pub, pub, n);
	e.ak_pub_len = n;
	memcpy(e.ak_name, k.name, k.name_len);
	e.ak_name_len = k.name_len;
	e.ek_source = AR_TPM_EK_CERT;
	if (ar_tpm_registry_put(t.store, device, &e, 0, NULL) == AR_TPM_OK)
		rc = 0;
	ar_tpm_key_clear(&k);
	free(pub);
	return rc;
}

static int device_keys(void)
{
	ar_tpm_key_t k;
	size_t n;
	uint8_t *pub;

	if (tpmlab_run(&t.tpm, "tpm2_createek -c ek.ctx -G ecc -u ek.pub") != 0)
		return -1;
	if (tpmlab_run(&t.tpm, "tpm2_createak -C ek.ctx -c ak.ctx -G ecc -g sha256 -s ecdsa -u ak.pub "
		       "&& tpm2_evictcontrol -C o -c ak.ctx " AK) != 0 ||
	    tpmlab_run(&t.tpm, "tpm2_createak -C ek.ctx -c akb.ctx -G ecc -g sha256 -s ecdsa -u akb.pub "
		       "&& tpm2_evictcontrol -C o -c akb.ctx " AK_B) != 0 ||
	    tpmlab_run(&t.tpm, "tpm2_createak -C ek.ctx -c akf.ctx -G ecc -g sha256 -s ecdsa -u akf.pub "
		       "&& tpm2_evictcontrol -C o -c akf.ctx " AK_FREE) != 0 ||
	    tpmlab_run(&t.tpm, "tpm2_createprimary -C o -c srk.ctx -G ecc "
		       "&& tpm2_evictcontrol -C o -c srk.ctx " SRK) != 0 ||
	    tpmlab_run(&t.tpm, "tpm2_create -C " SRK " -G ecc256:ecdsa-sha256 -a "
		       "'sign|fixedtpm|fixedparent|sensitivedataorigin|userwithauth' -u key.pub "
		       "-r key.priv && tpm2_load -C " SRK " -u key.pub -r key.priv -c key.ctx "
		       "&& tpm2_evictcontrol -C o -c key.ctx " KEY) != 0)
		return -1;
	pub = tpmlab_read_public(&t.tpm, "key.pub", &n);
	if (!pub || ar_tpm_key_decode(pub, n, &k, NULL) != AR_TPM_OK) {
		free(pub);
		return -1;
	}
	n = (size_t)ar_jwk_pkey_thumbprint(k.pkey, t.key_jkt, NULL);
	ar_tpm_key_clear(&k);
	free(pub);
	return (int)n;
}

static int start_verifier(void)
{
	if (vtest_make(&t.v, t.redis.port) < 0 || write_policy() < 0 || configure() < 0 ||
	    vtest_start(&t.v) < 0)
		return -1;
	t.trusted = vtest_keys(&t.v);
	return t.trusted ? 0 : -1;
}

static int setup(void **state)
{
	ar_store_opts_t so = { .host = "127.0.0.1" };

	(void)state;
	if (lab_init() < 0 || lab_redis_start(&t.redis) < 0 ||
	    lab_tmpdir(t.v.dir, sizeof(t.v.dir)) < 0 || tpmlab_start(&t.tpm) < 0)
		return tpmlab_setup_failed(&t.tpm, "redis, swtpm");
	snprintf(t.gen, sizeof(t.gen), "%s/tests/tpm/tpm_gen", vtest_top("AR_TOP_BUILDDIR"));
	if (boot(KERNEL, 1, NULL) < 0)
		return tpmlab_setup_failed(&t.tpm, "boot");
	if (device_keys() < 0)
		return tpmlab_setup_failed(&t.tpm, "keys");
	so.port = t.redis.port;
	t.store = ar_store_open(&so, NULL);
	if (!t.store || enroll(DEVICE, "ak.pub") < 0 || enroll(DEVICE_B, "akb.pub") < 0)
		return tpmlab_setup_failed(&t.tpm, "enrolment");
	if (start_verifier() < 0)
		return tpmlab_setup_failed(&t.tpm, "verifier");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vtest_stop(&t.v);
	tpmlab_release(&t.tpm);
	ar_store_close(t.store);
	ar_jwks_free(t.trusted);
	lab_redis_stop(&t.redis);
	lab_rmtree(t.v.dir);
	return 0;
}

/* Open a session (with @p nonce given, or a fresh one); its path and nonce. */
static void new_session(const char *given, char *path, size_t psize, char *nonce, size_t nsize)
{
	char query[160];

	snprintf(query, sizeof(query), "?nonce=%s", given ? given : "");
	vtest_new_session(&t.v, given ? query : NULL, path, psize, nonce, nsize);
}

/* What the device's attester does; the knobs are the attacks. */
typedef struct attempt {
	const char	*device;	/* posture device.id */
	const char	*nonce;		/* posture nonce */
	const char	*qd_nonce;	/* nonce in the qualifying data (NULL: nonce) */
	const char	*ak;		/* the AK that signs */
	const char	*ak_pub;	/* the AK public area sent */
	const char	*jkt;		/* posture key.jkt (NULL: the certified key's) */
} attempt_t;

static char *posture_of(const attempt_t *a)
{
	json_t *j = json_pack("{s:s,s:I,s:{s:s},s:{s:s,s:s},s:{s:s,s:b,s:s}}", "nonce", a->nonce,
			      "collected_at", (json_int_t)time(NULL), "device", "id", a->device,
			      "os", "id", "debian", "version_id", "12", "key", "storage", "tpm",
			      "non_exportable", 1, "jkt", a->jkt ? a->jkt : t.key_jkt);
	char *s = json_dumps(j, JSON_COMPACT);

	json_decref(j);
	return s;
}

/* Quote, certify, logs: the collection, as the helper would send it (malloc'd). */
static char *collect(const attempt_t *a, size_t *len)
{
	char *posture = posture_of(a), *out, h[65], name[64];
	const char *qn = a->qd_nonce ? a->qd_nonce : a->nonce;
	uint8_t qd[32], *q, *qs, *c, *cs, *kp, *akp, *vals, *bl;
	size_t ql, qsl, cl, csl, kpl, akpl, vl, bll, il, i, k;
	char *ima;
	ar_tpm_pcrs_t pcrs = { .mask = 0 };
	ar_tpm_cmw_in_t in;

	assert_non_null(posture);
	assert_int_equal(ar_tpm_qualifying_data(qn, strlen(qn), (const uint8_t *)posture,
						strlen(posture), qd, NULL), 0);
	hex(h, qd, 32);
	assert_int_equal(tpmlab_run(&t.tpm, "tpm2_quote -c %s -l sha256:" PCRS " -q %s -m q.msg "
				    "-s q.sig -g sha256 && tpm2_pcrread -o q.pcrs sha256:" PCRS,
				    a->ak, h), 0);
	assert_int_equal(tpmlab_run(&t.tpm, "'%s' certify '%s' %s " KEY " %s c.attest c.sig", t.gen,
				    t.tpm.tcti, a->ak, h), 0);
	q = tpmlab_read(&t.tpm, "q.msg", &ql);
	qs = tpmlab_read(&t.tpm, "q.sig", &qsl);
	c = tpmlab_read(&t.tpm, "c.attest", &cl);
	cs = tpmlab_read(&t.tpm, "c.sig", &csl);
	kp = tpmlab_read_public(&t.tpm, "key.pub", &kpl);
	akp = tpmlab_read_public(&t.tpm, a->ak_pub, &akpl);
	vals = tpmlab_read(&t.tpm, "q.pcrs", &vl);
	snprintf(name, sizeof(name), "boot%d.log", t.boot);
	bl = tpmlab_read(&t.tpm, name, &bll);
	snprintf(name, sizeof(name), "ima%d.list", t.boot);
	ima = (char *)tpmlab_read(&t.tpm, name, &il);
	assert_true(q && qs && c && cs && kp && akp && vals && bl && ima);
	assert_int_equal(vl, 12 * 32);
	for (i = 0, k = 0; i < AR_TPM_PCR_COUNT; i++)
		if (0x47ffu & (1u << i)) {
			memcpy(pcrs.v[i], vals + 32 * k++, 32);
			pcrs.mask |= 1u << i;
		}
	in = (ar_tpm_cmw_in_t){ .ak = akp, .ak_len = akpl, .quote = q, .quote_len = ql,
				.quote_sig = qs, .quote_sig_len = qsl, .pcr_mask = pcrs.mask,
				.pcr = (const uint8_t (*)[32])pcrs.v, .certify = c,
				.certify_len = cl, .certify_sig = cs, .certify_sig_len = csl,
				.key_pub = kp, .key_pub_len = kpl, .posture = posture,
				.posture_len = strlen(posture), .boot_log = bl, .boot_log_len = bll,
				.ima_list = ima, .ima_list_len = il };
	out = ar_tpm_cmw_encode(&in, len, NULL);
	assert_non_null(out);
	free(q); free(qs); free(c); free(cs); free(kp); free(akp); free(vals); free(bl);
	free(ima); free(posture);
	return out;
}

/* POST the collection; the status and the body (caller frees). */
static long post(const char *path, const char *body, size_t len, char **text)
{
	httpc_resp_t r;
	long st;

	assert_int_equal(vtest_request_len(&t.v, "POST", path, "application/cmw+json", NULL, body, len,
					   &r), 0);
	st = r.status;
	*text = strdup(r.body ? r.body : "");
	httpc_free(&r);
	return st;
}

static void ear_of(const char *body, ar_ear_t *ear)
{
	const ar_cmw_rec_t *rec;
	ar_err_t err = { 0 };
	ar_cmw_t cmw;

	assert_int_equal(ar_cmw_decode(body, strlen(body), &cmw, &err), 0);
	rec = ar_cmw_find(&cmw, AR_CMW_EAR);
	assert_non_null(rec);
	if (ar_ear_verify((const char *)rec->value, rec->len, t.trusted, ear, &err) < 0)
		fail_msg("EAR does not verify: %s", err.msg);
	ar_cmw_clear(&cmw);
}

/* One attestation of @device by @ak in a fresh session; the HTTP status, body in @text. */
static long attest(const attempt_t *base, char **text)
{
	char path[256], nonce[160], *body;
	attempt_t a = *base;
	size_t len;
	long st;

	new_session(NULL, path, sizeof(path), nonce, sizeof(nonce));
	a.nonce = nonce;
	body = collect(&a, &len);
	st = post(path, body, len, text);
	free(body);
	return st;
}

static const attempt_t healthy = { .device = DEVICE, .ak = AK, .ak_pub = "ak.pub" };

static void assert_posture_reason(const char *device, const char *needle)
{
	ar_store_posture_t p;

	assert_int_equal(ar_store_posture_get(t.store, device, &p, NULL), 1);
	if (!strstr(p.reason, needle))
		fail_msg("posture reason \"%s\" lacks \"%s\"", p.reason, needle);
}

static void test_tpm_attestation_to_ear_with_expected_vector(void **state)
{
	char *text, path[256], nonce[160], *body, *seeds = getenv("AR_TPM_SEEDS");
	attempt_t a = healthy;
	ar_ear_t ear;
	size_t len;
	long st;

	(void)state;
	new_session(NULL, path, sizeof(path), nonce, sizeof(nonce));
	a.nonce = nonce;
	body = collect(&a, &len);
	st = post(path, body, len, &text);
	if (st != 200)
		fail_msg("status %ld: %s", st, text);
	ear_of(text, &ear);
	assert_string_equal(ear.nonce, nonce);
	assert_string_equal(ear.subject, DEVICE);
	assert_string_equal(ear.jkt, t.key_jkt);	/* cnf.jkt: the certified key */
	assert_int_equal(ear.nsubmods, 1);
	assert_int_equal(ar_ear_status(&ear), AR_STATUS_AFFIRMING);
	assert_int_equal(ear.submods[0].tv.v[AR_TV_INSTANCE_IDENTITY], 2);
	assert_int_equal(ear.submods[0].tv.v[AR_TV_HARDWARE], 2);
	assert_int_equal(ear.submods[0].tv.v[AR_TV_EXECUTABLES], 2);
	assert_int_equal(ear.submods[0].tv.v[AR_TV_CONFIGURATION], 2);
	assert_int_equal(ear.submods[0].tv.v[AR_TV_FILE_SYSTEM], 2);
	assert_int_equal(ear.submods[0].tv.v[AR_TV_STORAGE_OPAQUE], 2);
	assert_int_equal(ear.submods[0].tv.v[AR_TV_RUNTIME_OPAQUE], 0);
	assert_int_equal(ear.submods[0].tv.v[AR_TV_SOURCED_DATA], 0);
	if (seeds) {
		char dir[600], file[700];

		snprintf(dir, sizeof(dir), "%s/tpm_cmw", seeds);
		if (mkdir(dir, 0755) == 0 || errno == EEXIST) {
			snprintf(file, sizeof(file), "%s/seed-swtpm", dir);
			FILE *f = fopen(file, "wb");

			if (f) {
				fwrite(body, 1, len, f);
				fclose(f);
			}
		}
	}
	free(body);
	free(text);
}

/*
 * The helper's own collection (ESAPI): its CSR key made (a child of the
 * SRK, with its TSS2 key file), certified and quoted.
 */
static void test_helper_tpm_evidence_appraised_affirming(void **state)
{
	char path[256], nonce[160], boot_log[400], ima_list[400], key_file[400];
	char jkt[AR_JWK_THUMBPRINT_LEN + 1];
	tpm_quote_conf_t c = { .tcti = t.tpm.tcti, .ak_handle = 0x81010002u,
			       .key_handle = TPM_QUOTE_KEY_HANDLE, .pcr_mask = TPM_QUOTE_PCRS,
			       .boot_log = boot_log, .ima_list = ima_list, .key_file = key_file };
	attempt_t a = healthy;
	EVP_PKEY *pkey = NULL;
	ar_err_t err = { 0 };
	char *posture, *body, *text, *wrapped = NULL, *again = NULL;
	tss2key_t k;
	ar_ear_t ear;
	size_t len;
	long st;

	(void)state;
	snprintf(boot_log, sizeof(boot_log), "%s/boot%d.log", t.tpm.dir, t.boot);
	snprintf(ima_list, sizeof(ima_list), "%s/ima%d.list", t.tpm.dir, t.boot);
	snprintf(key_file, sizeof(key_file), "%s/key.tss2.pem", t.tpm.dir);
	if (tpm_quote_key_ex(&c, &pkey, &wrapped, &err) < 0)
		fail_msg("%s", err.msg);
	/* Made under the SRK at its default handle, with emptyAuth. */
	assert_non_null(wrapped);
	assert_int_equal(tss2key_parse(wrapped, strlen(wrapped), &k, &err), 0);
	assert_int_equal(k.parent, TPM_QUOTE_SRK_HANDLE);
	assert_true(k.empty_auth);
	assert_int_equal(ar_jwk_pkey_thumbprint(pkey, jkt, NULL), 0);
	assert_string_not_equal(jkt, t.key_jkt);
	new_session(NULL, path, sizeof(path), nonce, sizeof(nonce));
	a.nonce = nonce;
	a.jkt = jkt;
	posture = posture_of(&a);
	body = tpm_quote_evidence(&c, nonce, posture, strlen(posture), &len, &err);
	if (!body)
		fail_msg("%s", err.msg);
	st = post(path, body, len, &text);
	if (st != 200)
		fail_msg("status %ld: %s", st, text);
	ear_of(text, &ear);
	assert_string_equal(ear.jkt, jkt);
	assert_int_equal(ar_ear_status(&ear), AR_STATUS_AFFIRMING);
	assert_int_equal(ear.submods[0].tv.v[AR_TV_STORAGE_OPAQUE], 2);
	/* The same key next time: made once, kept. */
	EVP_PKEY_free(pkey);
	pkey = NULL;
	assert_int_equal(tpm_quote_key_ex(&c, &pkey, &again, &err), 0);
	assert_int_equal(ar_jwk_pkey_thumbprint(pkey, jkt, NULL), 0);
	assert_string_equal(ear.jkt, jkt);
	assert_non_null(again);
	assert_string_equal(again, wrapped);
	EVP_PKEY_free(pkey);
	free(wrapped);
	free(again);
	free(posture);
	free(body);
	free(text);
}

/* The same through the command a device runs: acme-rats-helper attest --tpm. */
static void test_helper_attest_tpm_command_affirming(void **state)
{
	char bin[512], url[160], boot_log[400], ima_list[400], ear_file[400], *argv[32];
	char *jwt;
	size_t len;
	ar_ear_t ear;
	int n = 0;

	(void)state;
	snprintf(bin, sizeof(bin), "%s/helper/acme-rats-helper", vtest_top("AR_TOP_BUILDDIR"));
	snprintf(url, sizeof(url), "%s", t.v.base);
	snprintf(boot_log, sizeof(boot_log), "%s/boot%d.log", t.tpm.dir, t.boot);
	snprintf(ima_list, sizeof(ima_list), "%s/ima%d.list", t.tpm.dir, t.boot);
	snprintf(ear_file, sizeof(ear_file), "%s/helper.ear", t.v.dir);
	argv[n++] = bin;
	argv[n++] = "attest";
	argv[n++] = "--verifier";
	argv[n++] = url;
	argv[n++] = "--ca-bundle";
	argv[n++] = t.v.ca;
	argv[n++] = "--tpm";
	argv[n++] = t.tpm.tcti;
	argv[n++] = "--tpm-ak";
	argv[n++] = AK;
	argv[n++] = "--device-id";
	argv[n++] = DEVICE;
	argv[n++] = "--boot-log";
	argv[n++] = boot_log;
	argv[n++] = "--ima-list";
	argv[n++] = ima_list;
	argv[n++] = "--output";
	argv[n++] = ear_file;
	argv[n] = NULL;
	assert_int_equal(vtest_run(argv), 0);	/* exit 0: affirming */
	assert_int_equal(ar_file_read(ear_file, 16384, &jwt, &len, NULL), 0);
	while (len && (jwt[len - 1] == '\n'))
		jwt[--len] = '\0';
	if (ar_ear_verify(jwt, len, t.trusted, &ear, NULL) < 0)
		fail_msg("the helper's EAR does not verify");
	assert_int_equal(ear.submods[0].tv.v[AR_TV_STORAGE_OPAQUE], 2);
	assert_int_equal(ear.submods[0].tv.v[AR_TV_INSTANCE_IDENTITY], 2);
	assert_string_equal(ear.subject, DEVICE);
	free(jwt);
}

static void test_quote_with_another_nonce_refused(void **state)
{
	attempt_t a = healthy;
	char *text;

	(void)state;
	a.qd_nonce = "another-nonce-than-the-session-s";
	assert_int_equal(attest(&a, &text), 400);
	assert_non_null(strstr(text, "badNonce"));
	assert_non_null(strstr(text, "tpm_nonce_mismatch"));
	free(text);
}

static void test_replayed_quote_refused(void **state)
{
	char path[256], nonce[160], *body, *text;
	attempt_t a = healthy;
	size_t len;

	(void)state;
	new_session(NULL, path, sizeof(path), nonce, sizeof(nonce));
	a.nonce = nonce;
	body = collect(&a, &len);
	assert_int_equal(post(path, body, len, &text), 200);
	free(text);
	/* The same quote again, into its own session. */
	assert_int_equal(post(path, body, len, &text), 400);
	assert_non_null(strstr(text, "tpm_clock_replay"));
	free(text);
	free(body);
}

static void test_ak_not_enrolled_refused(void **state)
{
	attempt_t a = { .device = DEVICE_NONE, .ak = AK_FREE, .ak_pub = "akf.pub" };
	char *text;

	(void)state;
	assert_int_equal(attest(&a, &text), 403);
	assert_non_null(strstr(text, "tpm_ak_not_enrolled"));
	assert_non_null(strstr(text, DEVICE_NONE));
	free(text);
}

static void test_ak_enrolled_for_another_device_refused(void **state)
{
	/* DEVICE_B's evidence, signed with DEVICE's AK (which it says is its own). */
	attempt_t a = { .device = DEVICE_B, .ak = AK, .ak_pub = "ak.pub" };
	char *text;

	(void)state;
	assert_int_equal(attest(&a, &text), 403);
	assert_non_null(strstr(text, "tpm_ak_other_device"));
	assert_non_null(strstr(text, "enrolled for device " DEVICE ","));
	free(text);
}

static void test_signature_by_another_ak_refused(void **state)
{
	/* DEVICE's evidence, its enrolled AK's public area sent, signed by another AK. */
	attempt_t a = { .device = DEVICE, .ak = AK_FREE, .ak_pub = "ak.pub" };
	ar_store_posture_t before, after;
	ar_ear_t ear;
	char *text;

	(void)state;
	assert_int_equal(ar_store_posture_get(t.store, DEVICE, &before, NULL), 1);
	assert_int_equal(attest(&a, &text), 200);
	ear_of(text, &ear);
	assert_int_equal(ear.submods[0].tv.v[AR_TV_INSTANCE_IDENTITY], 99);
	assert_int_equal(ar_ear_status(&ear), AR_STATUS_CONTRAINDICATED);
	/* Nobody proved to be the device: its posture record is untouched. */
	assert_int_equal(ar_store_posture_get(t.store, DEVICE, &after, NULL), 1);
	assert_int_equal(before.updated_at, after.updated_at);
	assert_string_equal(before.reason, after.reason);
	free(text);
}

static void test_posture_key_not_certified_key_refused(void **state)
{
	attempt_t a = healthy;
	char *text;

	(void)state;
	a.jkt = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";
	assert_int_equal(attest(&a, &text), 400);
	assert_non_null(strstr(text, "not the thumbprint of the certified key"));
	free(text);
}

/* A quote of this boot kept back, replayed after the next boot: resetCount went back. */
static void test_reset_count_backwards_refused(void **state)
{
	static const char kept_nonce[] = "a2VwdC1iYWNrLW5vbmNlLTEyMzQ";
	char path[256], nonce[160], *old, *text;
	attempt_t a = healthy;
	size_t len;

	(void)state;
	a.nonce = kept_nonce;
	old = collect(&a, &len);
	assert_int_equal(boot(KERNEL, 1, NULL), 0);
	assert_int_equal(attest(&healthy, &text), 200);	/* the new boot's clock recorded */
	free(text);
	new_session(kept_nonce, path, sizeof(path), nonce, sizeof(nonce));
	assert_string_equal(nonce, kept_nonce);
	assert_int_equal(post(path, old, len, &text), 400);
	assert_non_null(strstr(text, "tpm_clock_replay"));
	free(text);
	free(old);
}

static void test_unknown_boot_digest_contraindicated(void **state)
{
	ar_ear_t ear;
	char *text;

	(void)state;
	assert_int_equal(boot("vmlinuz-6.1.0-99-evil", 1, NULL), 0);
	assert_int_equal(attest(&healthy, &text), 200);
	ear_of(text, &ear);
	assert_int_equal(ear.submods[0].tv.v[AR_TV_EXECUTABLES], 96);
	assert_int_equal(ar_ear_status(&ear), AR_STATUS_CONTRAINDICATED);
	assert_posture_reason(DEVICE, "tpm_boot_digest_unknown");
	free(text);
}

static void test_secure_boot_off_refused(void **state)
{
	ar_ear_t ear;
	char *text;

	(void)state;
	assert_int_equal(boot(KERNEL, 0, NULL), 0);
	assert_int_equal(attest(&healthy, &text), 200);
	ear_of(text, &ear);
	assert_int_equal(ear.submods[0].tv.v[AR_TV_CONFIGURATION], 96);
	assert_int_equal(ear.submods[0].tv.v[AR_TV_EXECUTABLES], 2);
	assert_int_equal(ar_ear_status(&ear), AR_STATUS_CONTRAINDICATED);
	assert_posture_reason(DEVICE, "tpm_secure_boot_off");
	free(text);
}

static void test_ima_entry_outside_allowlist_refused(void **state)
{
	ar_ear_t ear;
	char *text;

	(void)state;
	assert_int_equal(boot(KERNEL, 1, "/usr/local/bin/miner"), 0);
	assert_int_equal(attest(&healthy, &text), 200);
	ear_of(text, &ear);
	assert_int_equal(ear.submods[0].tv.v[AR_TV_FILE_SYSTEM], 96);
	assert_int_equal(ear.submods[0].tv.v[AR_TV_EXECUTABLES], 96);
	assert_int_equal(ar_ear_status(&ear), AR_STATUS_CONTRAINDICATED);
	assert_posture_reason(DEVICE, "/usr/local/bin/miner");
	free(text);
}

/*
 * R4-4: a boot in which IMA measured nothing (PCR 10 at its reset value) with a list naming
 * only a miner: not "replayed and allowed" but contraindicated, file-system 96.
 */
static void test_ima_list_with_pcr10_unextended_refused(void **state)
{
	static const char miner[] = "10 0a5e8c2d1f0b6a3e9c7d4b2a1f0e9d8c7b6a5f4e ima-ng sha256:"
				    "1e2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f809 "
				    "/usr/local/bin/miner\n";
	char name[32], *text;
	ar_ear_t ear;

	(void)state;
	assert_int_equal(tpmlab_reboot(&t.tpm), 0);
	t.boot++;
	assert_int_equal(tpmlab_run(&t.tpm, "'%s' boot '%s' boot%d.log --kernel %s --secureboot 1",
				    t.gen, t.tpm.tcti, t.boot, KERNEL), 0);
	snprintf(name, sizeof(name), "ima%d.list", t.boot);	/* PCR 10 never extended */
	assert_int_equal(tpmlab_write(&t.tpm, name, miner, sizeof(miner) - 1), 0);
	assert_int_equal(attest(&healthy, &text), 200);
	ear_of(text, &ear);
	assert_int_equal(ear.submods[0].tv.v[AR_TV_FILE_SYSTEM], 96);
	assert_int_equal(ar_ear_status(&ear), AR_STATUS_CONTRAINDICATED);
	assert_posture_reason(DEVICE, "tpm_ima_not_measured");
	free(text);
}

/* A device without a TPM in the same fleet: its signed JSON evidence is warning at most. */
static void test_software_evidence_at_most_warning(void **state)
{
	char path[256], nonce[160], *jws;
	ar_jwk_t *identity = ar_jwk_generate("ES256", NULL), *key = ar_jwk_generate("ES256", NULL);
	httpc_resp_t r;
	ar_ear_t ear;
	int i;

	(void)state;
	assert_non_null(identity);
	assert_non_null(key);
	assert_int_equal(evfix_enroll(t.store, "SUB-SOFT-1", identity), 1);
	new_session(NULL, path, sizeof(path), nonce, sizeof(nonce));
	jws = evfix_signed(nonce, "SUB-SOFT-1", key, time(NULL) - 86400, identity);
	assert_non_null(jws);
	assert_int_equal(vtest_request(&t.v, "POST", path, AR_MT_EVIDENCE_JWS, NULL, jws, &r), 0);
	if (r.status != 200)
		fail_msg("status %ld: %s", r.status, r.body);
	ear_of(r.body, &ear);
	assert_int_equal(ar_ear_status(&ear), AR_STATUS_WARNING);
	assert_int_equal(ear.submods[0].tv.v[AR_TV_INSTANCE_IDENTITY], 32);
	for (i = 0; i < AR_TV_COUNT; i++)
		assert_true(ar_tv_tier(ear.submods[0].tv.v[i]) != AR_STATUS_AFFIRMING);
	assert_posture_reason("SUB-SOFT-1", "software evidence: at most warning");
	httpc_free(&r);
	free(jws);
	ar_jwk_free(identity);
	ar_jwk_free(key);
}

/*
 * A TPM-enrolled device (root on it holds the software identity key too)
 * steps down to signed JSON evidence to hide what its TPM would show:
 * refused, and its posture record untouched.
 */
static void test_software_evidence_from_tpm_enrolled_device_refused(void **state)
{
	char path[256], nonce[160], *jws;
	ar_jwk_t *identity = ar_jwk_generate("ES256", NULL), *key = ar_jwk_generate("ES256", NULL);
	ar_store_posture_t before, after;
	int had;
	httpc_resp_t r;

	(void)state;
	assert_non_null(identity);
	assert_non_null(key);
	assert_int_equal(evfix_enroll(t.store, DEVICE_B, identity), 1);
	had = ar_store_posture_get(t.store, DEVICE_B, &before, NULL);
	new_session(NULL, path, sizeof(path), nonce, sizeof(nonce));
	jws = evfix_signed(nonce, DEVICE_B, key, time(NULL) - 86400, identity);
	assert_non_null(jws);
	assert_int_equal(vtest_request(&t.v, "POST", path, AR_MT_EVIDENCE_JWS, NULL, jws, &r), 0);
	assert_int_equal(r.status, 403);
	assert_non_null(strstr(r.body, "urn:acme-rats:verifier:error:tpmRequired"));
	assert_non_null(strstr(r.body, DEVICE_B));
	assert_int_equal(ar_store_posture_get(t.store, DEVICE_B, &after, NULL), had);
	if (had == 1)
		assert_int_equal(before.updated_at, after.updated_at);
	httpc_free(&r);
	free(jws);
	ar_jwk_free(identity);
	ar_jwk_free(key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tpm_attestation_to_ear_with_expected_vector),
		cmocka_unit_test(test_helper_tpm_evidence_appraised_affirming),
		cmocka_unit_test(test_helper_attest_tpm_command_affirming),
		cmocka_unit_test(test_quote_with_another_nonce_refused),
		cmocka_unit_test(test_replayed_quote_refused),
		cmocka_unit_test(test_ak_not_enrolled_refused),
		cmocka_unit_test(test_ak_enrolled_for_another_device_refused),
		cmocka_unit_test(test_signature_by_another_ak_refused),
		cmocka_unit_test(test_posture_key_not_certified_key_refused),
		cmocka_unit_test(test_reset_count_backwards_refused),
		cmocka_unit_test(test_unknown_boot_digest_contraindicated),
		cmocka_unit_test(test_secure_boot_off_refused),
		cmocka_unit_test(test_ima_entry_outside_allowlist_refused),
		cmocka_unit_test(test_ima_list_with_pcr10_unextended_refused),
		cmocka_unit_test(test_software_evidence_at_most_warning),
		cmocka_unit_test(test_software_evidence_from_tpm_enrolled_device_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
