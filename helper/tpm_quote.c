/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One TPM attestation on the device (see tpm_quote.h): ESAPI over a TCTI.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/param_build.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_tctildr.h>

#include "fileio.h"
#include "log.h"
#include "tpm_evidence.h"
#include "tpm_quote.h"
#include "tss2key.h"

#define BOOT_LOG_PATH	"/sys/kernel/security/tpm0/binary_bios_measurements"
#define IMA_LIST_PATH	"/sys/kernel/security/ima/ascii_runtime_measurements"
#define QUOTE_TRIES	3
#define MAX_STRUCT	4096		/* as the verifier accepts (MAX_STRUCT) */
#define BOOT_LOG_MAX	(1u << 20)	/* as the verifier accepts (BOOT_LOG_MAX) */
#define IMA_LIST_MAX	(64u << 20)	/* as the verifier accepts (IMA_LIST_MAX) */
#define SHA256_LEN	32

/* The quoted PCR values (SHA-256 bank). */
typedef struct pcrs {
	uint32_t	mask;
	uint8_t		v[AR_TPM_EV_PCRS][SHA256_LEN];
} pcrs_t;

typedef struct tpm {
	TSS2_TCTI_CONTEXT	*tcti;
	ESYS_CONTEXT		*esys;
} tpm_t;

static int tpm_open(tpm_t *t, const char *conf, ar_err_t *err)
{
	memset(t, 0, sizeof(*t));
	if (Tss2_TctiLdr_Initialize(conf, &t->tcti) != TSS2_RC_SUCCESS)
		return ar_err_set(err, AR_ERR_UNAVAILABLE, "TPM: cannot open TCTI \"%.64s\"",
				  conf ? conf : "(default)");
	if (Esys_Initialize(&t->esys, t->tcti, NULL) != TSS2_RC_SUCCESS) {
		Tss2_TctiLdr_Finalize(&t->tcti);
		return ar_err_set(err, AR_ERR_UNAVAILABLE, "TPM: Esys_Initialize failed");
	}
	return 0;
}

static void tpm_close(tpm_t *t)
{
	if (t->esys)
		Esys_Finalize(&t->esys);
	if (t->tcti)
		Tss2_TctiLdr_Finalize(&t->tcti);
}

/* The ESYS_TR of persistent @p handle, or ESYS_TR_NONE. */
static ESYS_TR persistent(tpm_t *t, uint32_t handle)
{
	ESYS_TR tr = ESYS_TR_NONE;

	if (Esys_TR_FromTPMPublic(t->esys, handle, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				  &tr) != TSS2_RC_SUCCESS)
		return ESYS_TR_NONE;
	return tr;
}

/* Make persistent object @p obj (transient, flushed) at @p handle. */
static int persist(tpm_t *t, ESYS_TR obj, uint32_t handle, const char *what, ar_err_t *err)
{
	ESYS_TR kept = ESYS_TR_NONE;
	TSS2_RC rc;

	rc = Esys_EvictControl(t->esys, ESYS_TR_RH_OWNER, obj, ESYS_TR_PASSWORD, ESYS_TR_NONE,
			       ESYS_TR_NONE, handle, &kept);
	Esys_FlushContext(t->esys, obj);
	if (rc != TSS2_RC_SUCCESS)
		return ar_err_set(err, AR_ERR_IO, "TPM: EvictControl of the %s to 0x%08x: 0x%x",
				  what, handle, rc);
	Esys_TR_Close(t->esys, &kept);
	return 0;
}

/*
 * The storage root key at @p handle: the one there, else a primary of the
 * owner hierarchy from the ECC P-256 SRK template of the TCG TPM v2.0
 * Provisioning Guidance (the EK template L-2 with userWithAuth and noDA,
 * no policy), made persistent there.
 */
static ESYS_TR srk(tpm_t *t, uint32_t handle, ar_err_t *err)
{
	TPM2B_SENSITIVE_CREATE sens = { 0 };
	TPM2B_PUBLIC tmpl = { .publicArea = {
		.type = TPM2_ALG_ECC, .nameAlg = TPM2_ALG_SHA256,
		.objectAttributes = TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT |
				    TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
				    TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
				    TPMA_OBJECT_NODA,
		.parameters.eccDetail = {
			.symmetric = { .algorithm = TPM2_ALG_AES, .keyBits.aes = 128,
				       .mode.aes = TPM2_ALG_CFB },
			.scheme.scheme = TPM2_ALG_NULL, .curveID = TPM2_ECC_NIST_P256,
			.kdf.scheme = TPM2_ALG_NULL },
		.unique.ecc = { .x.size = 32, .y.size = 32 } } };
	TPM2B_DATA outside = { 0 };
	TPML_PCR_SELECTION none = { 0 };
	ESYS_TR tr = persistent(t, handle);
	TSS2_RC rc;

	if (tr != ESYS_TR_NONE)
		return tr;
	rc = Esys_CreatePrimary(t->esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE,
				ESYS_TR_NONE, &sens, &tmpl, &outside, &none, &tr, NULL, NULL, NULL,
				NULL);
	if (rc != TSS2_RC_SUCCESS) {
		ar_err_set(err, AR_ERR_IO, "TPM: CreatePrimary of the SRK: 0x%x", rc);
		return ESYS_TR_NONE;
	}
	if (persist(t, tr, handle, "SRK", err) < 0)
		return ESYS_TR_NONE;
	ar_info("event=tpm.srk_created handle=0x%08x", handle);
	tr = persistent(t, handle);
	if (tr == ESYS_TR_NONE)
		ar_err_set(err, AR_ERR_IO, "TPM: the SRK at 0x%08x cannot be read", handle);
	return tr;
}

/* The TSS2 key file of a new key under @p parent, written 0600 at @p path. */
static int write_key_file(const char *path, uint32_t parent, const TPM2B_PUBLIC *pub,
			  const TPM2B_PRIVATE *priv, ar_err_t *err)
{
	tss2key_t *k = calloc(1, sizeof(*k));
	char *pem = NULL;
	int rc = -1;

	if (!k)
		return ar_err_set(err, AR_ERR_NOMEM, "out of memory");
	k->parent = parent;
	if (Tss2_MU_TPM2B_PUBLIC_Marshal(pub, k->pub, sizeof(k->pub), &k->pub_len) !=
	    TSS2_RC_SUCCESS ||
	    Tss2_MU_TPM2B_PRIVATE_Marshal(priv, k->priv, sizeof(k->priv), &k->priv_len) !=
	    TSS2_RC_SUCCESS) {
		ar_err_set(err, AR_ERR_IO, "TPM: marshal the new key");
		goto out;
	}
	pem = tss2key_pem(k, err);
	if (pem && ar_file_write_atomic(path, pem, strlen(pem), 0600, err) == 0)
		rc = 0;
out:
	free(pem);
	OPENSSL_cleanse(k, sizeof(*k));
	free(k);
	return rc;
}

/*
 * The CSR key: an ECC P-256 signing key under the SRK, never leaving the
 * TPM, not restricted, no scheme of its own; its wrapped form to
 * c->key_file, then persistent at c->key_handle.
 */
static int create_key(tpm_t *t, const tpm_quote_conf_t *c, ar_err_t *err)
{
	TPM2B_SENSITIVE_CREATE sens = { 0 };
	TPM2B_PUBLIC tmpl = { .publicArea = {
		.type = TPM2_ALG_ECC, .nameAlg = TPM2_ALG_SHA256,
		.objectAttributes = TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_FIXEDTPM |
				    TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
				    TPMA_OBJECT_USERWITHAUTH,
		.parameters.eccDetail = {
			.symmetric.algorithm = TPM2_ALG_NULL,
			.scheme.scheme = TPM2_ALG_NULL,
			.curveID = TPM2_ECC_NIST_P256, .kdf.scheme = TPM2_ALG_NULL } } };
	uint32_t parent = c->srk_handle ? c->srk_handle : TPM_QUOTE_SRK_HANDLE;
	TPM2B_DATA outside = { 0 };
	TPML_PCR_SELECTION none = { 0 };
	TPM2B_PRIVATE *priv = NULL;
	TPM2B_PUBLIC *pub = NULL;
	ESYS_TR parent_tr, key = ESYS_TR_NONE;
	TSS2_RC rc;
	int r = -1;

	parent_tr = srk(t, parent, err);
	if (parent_tr == ESYS_TR_NONE)
		return -1;
	rc = Esys_Create(t->esys, parent_tr, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &sens,
			 &tmpl, &outside, &none, &priv, &pub, NULL, NULL, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		ar_err_set(err, AR_ERR_IO, "TPM: Create of the CSR key under 0x%08x: 0x%x", parent,
			   rc);
		goto out;
	}
	if (c->key_file && write_key_file(c->key_file, parent, pub, priv, err) < 0)
		goto out;
	rc = Esys_Load(t->esys, parent_tr, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, priv, pub,
		       &key);
	if (rc != TSS2_RC_SUCCESS) {
		ar_err_set(err, AR_ERR_IO, "TPM: Load of the CSR key: 0x%x", rc);
		goto out;
	}
	r = persist(t, key, c->key_handle, "CSR key", err);
	if (r == 0)
		ar_info("event=tpm.key_created handle=0x%08x parent=0x%08x key_file=%s",
			c->key_handle, parent, c->key_file ? c->key_file : "none");
out:
	Esys_Free(priv);
	Esys_Free(pub);
	return r;
}

/* Marshalled TPMT_PUBLIC of persistent @p tr. */
static int public_of(tpm_t *t, ESYS_TR tr, uint8_t *out, size_t size, size_t *len,
		     ar_err_t *err)
{
	TPM2B_PUBLIC *pub = NULL;
	TSS2_RC rc;

	*len = 0;
	rc = Esys_ReadPublic(t->esys, tr, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pub, NULL,
			     NULL);
	if (rc != TSS2_RC_SUCCESS)
		return ar_err_set(err, AR_ERR_IO, "TPM: ReadPublic: 0x%x", rc);
	rc = Tss2_MU_TPMT_PUBLIC_Marshal(&pub->publicArea, out, size, len);
	Esys_Free(pub);
	return rc == TSS2_RC_SUCCESS ? 0 : ar_err_set(err, AR_ERR_IO, "TPM: marshal");
}

/* The EVP_PKEY of an ECC P-256 public area. */
static EVP_PKEY *ecc_pkey(const TPMT_PUBLIC *p, ar_err_t *err)
{
	const TPMS_ECC_POINT *q = &p->unique.ecc;
	uint8_t point[1 + 2 * SHA256_LEN];
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;

	if (p->type != TPM2_ALG_ECC || p->parameters.eccDetail.curveID != TPM2_ECC_NIST_P256 ||
	    q->x.size != SHA256_LEN || q->y.size != SHA256_LEN) {
		ar_err_set(err, AR_ERR_UNSUPPORTED, "TPM: the CSR key is not ECC P-256");
		return NULL;
	}
	point[0] = 0x04;
	memcpy(point + 1, q->x.buffer, SHA256_LEN);
	memcpy(point + 1 + SHA256_LEN, q->y.buffer, SHA256_LEN);
	bld = OSSL_PARAM_BLD_new();
	if (bld && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0) &&
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point)))
		params = OSSL_PARAM_BLD_to_param(bld);
	ctx = params ? EVP_PKEY_CTX_new_from_name(NULL, "EC", "provider=default") : NULL;
	if (!ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1) {
		ar_err_set(err, AR_ERR_CRYPTO, "TPM: the CSR key's public key is unusable");
		pkey = NULL;
	}
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return pkey;
}

/*
 * The text of the key file @p path when it holds the key whose public area
 * is @p pub (the parent's handle is not checked: the TPM checks it when
 * the key is loaded), else NULL.
 */
static char *key_file_of(const char *path, const TPMT_PUBLIC *pub)
{
	uint8_t want[MAX_STRUCT], got[MAX_STRUCT];
	size_t want_len = 0, got_len = 0, len = 0, off = 0;
	tss2key_t *k = calloc(1, sizeof(*k));
	TPM2B_PUBLIC in = { 0 };
	char *text = NULL;
	ar_err_t err;
	int same = 0;

	if (k && ar_file_read(path, TSS2KEY_PEM_MAX, &text, &len, &err) == 0 &&
	    tss2key_parse(text, len, k, &err) == 0 &&
	    Tss2_MU_TPM2B_PUBLIC_Unmarshal(k->pub, k->pub_len, &off, &in) == TSS2_RC_SUCCESS &&
	    off == k->pub_len &&
	    Tss2_MU_TPMT_PUBLIC_Marshal(&in.publicArea, got, sizeof(got), &got_len) ==
	    TSS2_RC_SUCCESS &&
	    Tss2_MU_TPMT_PUBLIC_Marshal(pub, want, sizeof(want), &want_len) == TSS2_RC_SUCCESS)
		same = got_len == want_len && !memcmp(got, want, got_len);
	if (k)
		OPENSSL_cleanse(k, sizeof(*k));
	free(k);
	if (!same) {
		free(text);
		text = NULL;
	}
	return text;
}

/* Once per process: the key at the handle has no key file (made as a primary). */
static void no_key_file(const tpm_quote_conf_t *c)
{
	static int said;

	if (said++)
		return;
	ar_warn("event=tpm.key_not_wrapped handle=0x%08x key_file=%s detail=\"no TSS2 key file "
		"holds the key at the handle (made as a primary by an earlier version, or its file "
		"is lost): ACME works, EAP-TLS through tpm2-pkcs11 does not; tpm2_evictcontrol it "
		"to have a new key made under the SRK\"", c->key_handle,
		c->key_file ? c->key_file : "none");
}

int tpm_quote_key_ex(const tpm_quote_conf_t *c, EVP_PKEY **pkey, char **wrapped,
		     ar_err_t *err)
{
	TPM2B_PUBLIC *pub = NULL;
	ESYS_TR tr;
	tpm_t t;
	int rc = -1;

	if (wrapped)
		*wrapped = NULL;
	if (tpm_open(&t, c->tcti, err) < 0)
		return -1;
	tr = persistent(&t, c->key_handle);
	if (tr == ESYS_TR_NONE) {
		if (create_key(&t, c, err) < 0)
			goto out;
		tr = persistent(&t, c->key_handle);
	}
	if (tr == ESYS_TR_NONE ||
	    Esys_ReadPublic(t.esys, tr, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pub, NULL,
			    NULL) != TSS2_RC_SUCCESS) {
		ar_err_set(err, AR_ERR_IO, "TPM: the CSR key at 0x%08x cannot be read",
			   c->key_handle);
		goto out;
	}
	if (pkey) {
		*pkey = ecc_pkey(&pub->publicArea, err);
		if (!*pkey)
			goto out;
	}
	if (wrapped) {
		*wrapped = c->key_file ? key_file_of(c->key_file, &pub->publicArea) : NULL;
		if (!*wrapped)
			no_key_file(c);
	}
	rc = 0;
out:
	Esys_Free(pub);
	tpm_close(&t);
	return rc;
}

int tpm_quote_key(const tpm_quote_conf_t *c, EVP_PKEY **pkey, ar_err_t *err)
{
	return tpm_quote_key_ex(c, pkey, NULL, err);
}

/* The evidence under construction (owned buffers). */
typedef struct collected {
	uint8_t		ak[MAX_STRUCT], key_pub[MAX_STRUCT];
	size_t		ak_len, key_pub_len;
	uint8_t		quote[MAX_STRUCT], quote_sig[MAX_STRUCT];
	size_t		quote_len, quote_sig_len;
	uint8_t		certify[MAX_STRUCT], certify_sig[MAX_STRUCT];
	size_t		certify_len, certify_sig_len;
	pcrs_t	pcrs;
} collected_t;

static int keep_attest(const TPM2B_ATTEST *a, const TPMT_SIGNATURE *s, uint8_t *out,
		       size_t *len, uint8_t *sig, size_t *sig_len, ar_err_t *err)
{
	*sig_len = 0;
	if (a->size > MAX_STRUCT ||
	    Tss2_MU_TPMT_SIGNATURE_Marshal(s, sig, MAX_STRUCT, sig_len) != TSS2_RC_SUCCESS)
		return ar_err_set(err, AR_ERR_IO, "TPM: attestation too large");
	memcpy(out, a->attestationData, a->size);
	*len = a->size;
	return 0;
}

static int certify(tpm_t *t, ESYS_TR ak, ESYS_TR key, const TPM2B_DATA *qd, collected_t *e,
		   ar_err_t *err)
{
	TPMT_SIG_SCHEME scheme = { .scheme = TPM2_ALG_NULL };
	TPM2B_ATTEST *attest = NULL;
	TPMT_SIGNATURE *sig = NULL;
	TSS2_RC rc;
	int r;

	rc = Esys_Certify(t->esys, key, ak, ESYS_TR_PASSWORD, ESYS_TR_PASSWORD, ESYS_TR_NONE, qd,
			  &scheme, &attest, &sig);
	if (rc != TSS2_RC_SUCCESS)
		return ar_err_set(err, AR_ERR_IO, "TPM: Certify of the CSR key: 0x%x", rc);
	r = keep_attest(attest, sig, e->certify, &e->certify_len, e->certify_sig,
			&e->certify_sig_len, err);
	Esys_Free(attest);
	Esys_Free(sig);
	return r;
}

static void selection(uint32_t mask, TPML_PCR_SELECTION *sel)
{
	memset(sel, 0, sizeof(*sel));
	sel->count = 1;
	sel->pcrSelections[0].hash = TPM2_ALG_SHA256;
	sel->pcrSelections[0].sizeofSelect = 3;
	sel->pcrSelections[0].pcrSelect[0] = (uint8_t)mask;
	sel->pcrSelections[0].pcrSelect[1] = (uint8_t)(mask >> 8);
	sel->pcrSelections[0].pcrSelect[2] = (uint8_t)(mask >> 16);
}

/* The SHA-256 values of the PCRs in @p mask (PCR_Read gives at most 8 at a time). */
static int pcr_read(tpm_t *t, uint32_t mask, pcrs_t *out, ar_err_t *err)
{
	TPML_PCR_SELECTION sel, *got = NULL;
	TPML_DIGEST *vals = NULL;
	uint32_t left = mask, i, k;
	TSS2_RC rc;

	memset(out, 0, sizeof(*out));
	while (left) {
		selection(left, &sel);
		rc = Esys_PCR_Read(t->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &sel, NULL,
				   &got, &vals);
		if (rc != TSS2_RC_SUCCESS)
			return ar_err_set(err, AR_ERR_IO, "TPM: PCR_Read: 0x%x", rc);
		for (i = 0, k = 0; i < AR_TPM_EV_PCRS && k < vals->count; i++) {
			if (!(got->pcrSelections[0].pcrSelect[i / 8] & (1u << (i % 8))))
				continue;
			if (vals->digests[k].size != SHA256_LEN)
				break;
			memcpy(out->v[i], vals->digests[k++].buffer, SHA256_LEN);
			out->mask |= 1u << i;
			left &= ~(1u << i);
		}
		Esys_Free(got);
		Esys_Free(vals);
		if (k == 0)
			return ar_err_set(err, AR_ERR_IO, "TPM: PCR_Read returned no SHA-256 value");
	}
	return 0;
}

/* Does the quote's pcrDigest cover the values read? */
static int digest_matches(const collected_t *e)
{
	uint8_t md[SHA256_LEN];
	TPMS_ATTEST a;
	EVP_MD_CTX *ctx;
	size_t off = 0;
	unsigned i;
	int ok;

	if (Tss2_MU_TPMS_ATTEST_Unmarshal(e->quote, e->quote_len, &off, &a) != TSS2_RC_SUCCESS)
		return 0;
	ctx = EVP_MD_CTX_new();
	ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1;
	for (i = 0; ok && i < AR_TPM_EV_PCRS; i++)
		if (e->pcrs.mask & (1u << i))
			ok = EVP_DigestUpdate(ctx, e->pcrs.v[i], SHA256_LEN) == 1;
	ok = ok && EVP_DigestFinal_ex(ctx, md, NULL) == 1;
	EVP_MD_CTX_free(ctx);
	return ok && a.attested.quote.pcrDigest.size == SHA256_LEN &&
	       !memcmp(a.attested.quote.pcrDigest.buffer, md, SHA256_LEN);
}

static int quote(tpm_t *t, ESYS_TR ak, uint32_t mask, const TPM2B_DATA *qd, collected_t *e,
		 ar_err_t *err)
{
	TPMT_SIG_SCHEME scheme = { .scheme = TPM2_ALG_NULL };
	TPML_PCR_SELECTION sel;
	TPM2B_ATTEST *attest = NULL;
	TPMT_SIGNATURE *sig = NULL;
	TSS2_RC rc;
	int tries, r;

	selection(mask, &sel);
	for (tries = 0; tries < QUOTE_TRIES; tries++) {
		rc = Esys_Quote(t->esys, ak, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, qd,
				&scheme, &sel, &attest, &sig);
		if (rc != TSS2_RC_SUCCESS)
			return ar_err_set(err, AR_ERR_IO, "TPM: Quote: 0x%x", rc);
		r = keep_attest(attest, sig, e->quote, &e->quote_len, e->quote_sig,
				&e->quote_sig_len, err);
		Esys_Free(attest);
		Esys_Free(sig);
		if (r < 0 || pcr_read(t, mask, &e->pcrs, err) < 0)
			return -1;
		if (digest_matches(e))
			return 0;
	}
	return ar_err_set(err, AR_ERR_CONFLICT, "TPM: the PCRs kept changing under the quote");
}

/* A log file, when readable (NULL otherwise). */
static char *read_log(const char *path, size_t max, size_t *len)
{
	char *text = NULL;

	if (ar_file_read(path, max, &text, len, NULL) < 0)
		return NULL;
	return text;
}

static int collect(tpm_t *t, const tpm_quote_conf_t *c, const TPM2B_DATA *qd, collected_t *e,
		   ar_err_t *err)
{
	ESYS_TR ak = persistent(t, c->ak_handle), key = persistent(t, c->key_handle);

	if (ak == ESYS_TR_NONE)
		return ar_err_set(err, AR_ERR_NOT_FOUND, "TPM: no AK at 0x%08x: enrol the TPM "
				  "first", c->ak_handle);
	if (key == ESYS_TR_NONE)
		return ar_err_set(err, AR_ERR_NOT_FOUND, "TPM: no CSR key at 0x%08x",
				  c->key_handle);
	if (public_of(t, ak, e->ak, sizeof(e->ak), &e->ak_len, err) < 0 ||
	    public_of(t, key, e->key_pub, sizeof(e->key_pub), &e->key_pub_len, err) < 0 ||
	    certify(t, ak, key, qd, e, err) < 0)
		return -1;
	return quote(t, ak, c->pcr_mask, qd, e, err);
}

char *tpm_quote_evidence(const tpm_quote_conf_t *c, const char *nonce, const char *posture,
			 size_t posture_len, size_t *len, ar_err_t *err)
{
	TPM2B_DATA qd = { .size = SHA256_LEN };
	collected_t *e = calloc(1, sizeof(*e));
	char *boot = NULL, *ima = NULL, *out = NULL;
	size_t boot_len = 0, ima_len = 0;
	ar_tpm_cmw_in_t in;
	tpm_t t;

	if (!e) {
		ar_err_set(err, AR_ERR_NOMEM, "out of memory");
		return NULL;
	}
	if (ar_tpm_evidence_qd(nonce, strlen(nonce), (const uint8_t *)posture, posture_len,
				   qd.buffer, err) < 0 || tpm_open(&t, c->tcti, err) < 0) {
		free(e);
		return NULL;
	}
	if (collect(&t, c, &qd, e, err) < 0)
		goto out;
	/* Read after the quote: the verifier replays the logs up to the quoted values. */
	boot = read_log(c->boot_log ? c->boot_log : BOOT_LOG_PATH, BOOT_LOG_MAX, &boot_len);
	ima = read_log(c->ima_list ? c->ima_list : IMA_LIST_PATH, IMA_LIST_MAX, &ima_len);
	in = (ar_tpm_cmw_in_t){ .ak = e->ak, .ak_len = e->ak_len, .quote = e->quote,
				.quote_len = e->quote_len, .quote_sig = e->quote_sig,
				.quote_sig_len = e->quote_sig_len, .pcr_mask = e->pcrs.mask,
				.pcr = (const uint8_t (*)[32])e->pcrs.v,
				.certify = e->certify, .certify_len = e->certify_len,
				.certify_sig = e->certify_sig, .certify_sig_len = e->certify_sig_len,
				.key_pub = e->key_pub, .key_pub_len = e->key_pub_len,
				.posture = posture, .posture_len = posture_len,
				.boot_log = (const uint8_t *)boot, .boot_log_len = boot_len,
				.ima_list = ima, .ima_list_len = ima_len };
	out = ar_tpm_cmw_encode(&in, len, err);
out:
	tpm_close(&t);
	free(boot);
	free(ima);
	free(e);
	return out;
}
