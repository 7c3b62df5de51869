/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The device's TPM for enrolment (tpm_dev.h), through ESAPI.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_tctildr.h>

#include "tpm_dev.h"

#define NV_CHUNK	512

/* PolicySecret(TPM_RH_ENDORSEMENT) with SHA-256: the TCG EK templates' authPolicy. */
static const uint8_t ek_policy[32] = {
	0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xb3, 0xf8, 0x1a, 0x90, 0xcc, 0x8d, 0x46, 0xa5, 0xd7, 0x24,
	0xfd, 0x52, 0xd7, 0x6e, 0x06, 0x52, 0x0b, 0x64, 0xf2, 0xa1, 0xda, 0x1b, 0x33, 0x14, 0x69, 0xaa,
};

static int tss_fail(ar_err_t *err, ar_errc_t code, const char *what, TSS2_RC rc)
{
	return ar_err_set(err, code, "tpm: %s failed: TSS2_RC 0x%x", what, rc);
}

int tpm_dev_open(tpm_dev_t *d, const char *tcti, ar_err_t *err)
{
	TSS2_RC rc;

	memset(d, 0, sizeof(*d));
	d->ek = d->ak = ESYS_TR_NONE;
	rc = Tss2_TctiLdr_Initialize(tcti, &d->tcti);
	if (rc != TSS2_RC_SUCCESS)
		return tss_fail(err, AR_ERR_UNAVAILABLE, "TCTI", rc);
	rc = Esys_Initialize(&d->esys, d->tcti, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		Tss2_TctiLdr_Finalize(&d->tcti);
		return tss_fail(err, AR_ERR_UNAVAILABLE, "ESAPI", rc);
	}
	return 0;
}

void tpm_dev_close(tpm_dev_t *d)
{
	if (d->esys && d->ek != ESYS_TR_NONE)
		Esys_FlushContext(d->esys, d->ek);
	if (d->esys)
		Esys_Finalize(&d->esys);
	if (d->tcti)
		Tss2_TctiLdr_Finalize(&d->tcti);
	memset(d, 0, sizeof(*d));
}

int tpm_dev_nv_read(tpm_dev_t *d, uint32_t index, uint8_t **out, size_t *len, ar_err_t *err)
{
	TPM2B_NV_PUBLIC *pub = NULL;
	TPM2B_MAX_NV_BUFFER *data = NULL;
	ESYS_TR nv = ESYS_TR_NONE;
	uint16_t size, off = 0, n;
	uint8_t *buf = NULL;
	TSS2_RC rc;
	int ret = -1;

	*out = NULL;
	rc = Esys_TR_FromTPMPublic(d->esys, index, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &nv);
	if (rc != TSS2_RC_SUCCESS)
		return 0;	/* no such index */
	rc = Esys_NV_ReadPublic(d->esys, nv, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pub, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		tss_fail(err, AR_ERR_IO, "NV_ReadPublic", rc);
		goto out;
	}
	size = pub->nvPublic.dataSize;
	if (size == 0 || size > TPM_DEV_CERT_MAX) {
		ar_err_set(err, AR_ERR_TOO_LARGE, "tpm: NV index 0x%08x holds %u octets", index, size);
		goto out;
	}
	buf = malloc(size);
	if (!buf) {
		ar_err_set(err, AR_ERR_NOMEM, "out of memory");
		goto out;
	}
	while (off < size) {
		n = size - off > NV_CHUNK ? NV_CHUNK : size - off;
		rc = Esys_NV_Read(d->esys, nv, nv, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, n, off,
				  &data);
		if (rc != TSS2_RC_SUCCESS || data->size != n) {
			tss_fail(err, AR_ERR_IO, "NV_Read", rc);
			goto out;
		}
		memcpy(buf + off, data->buffer, n);
		off += n;
		Esys_Free(data);
		data = NULL;
	}
	*out = buf;
	*len = size;
	buf = NULL;
	ret = 1;
out:
	Esys_Free(data);
	Esys_Free(pub);
	free(buf);
	if (nv != ESYS_TR_NONE)
		Esys_TR_Close(d->esys, &nv);
	return ret;
}

static int marshal_public(const TPM2B_PUBLIC *p, uint8_t *pub, size_t *pub_len, ar_err_t *err)
{
	size_t off = 0;

	if (Tss2_MU_TPMT_PUBLIC_Marshal(&p->publicArea, pub, 1024, &off) != TSS2_RC_SUCCESS)
		return ar_err_set(err, AR_ERR_TOO_LARGE, "tpm: public area too large");
	*pub_len = off;
	return 0;
}

static void ek_template(uint16_t type, TPM2B_PUBLIC *t)
{
	TPMT_PUBLIC *p = &t->publicArea;
	TPMT_SYM_DEF_OBJECT aes = {
		.algorithm = TPM2_ALG_AES, .keyBits.aes = 128, .mode.aes = TPM2_ALG_CFB,
	};

	memset(t, 0, sizeof(*t));
	p->type = type;
	p->nameAlg = TPM2_ALG_SHA256;
	p->objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
			      TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_ADMINWITHPOLICY |
			      TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;
	p->authPolicy.size = sizeof(ek_policy);
	memcpy(p->authPolicy.buffer, ek_policy, sizeof(ek_policy));
	if (type == TPM2_ALG_RSA) {
		p->parameters.rsaDetail.symmetric = aes;
		p->parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
		p->parameters.rsaDetail.keyBits = 2048;
		p->unique.rsa.size = 256;
	} else {
		p->parameters.eccDetail.symmetric = aes;
		p->parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
		p->parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
		p->parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
		p->unique.ecc.x.size = 32;
		p->unique.ecc.y.size = 32;
	}
}

int tpm_dev_ek(tpm_dev_t *d, uint16_t type, uint8_t *pub, size_t *pub_len, ar_err_t *err)
{
	TPM2B_SENSITIVE_CREATE sens = { 0 };
	TPM2B_DATA outside = { 0 };
	TPML_PCR_SELECTION pcrs = { 0 };
	TPM2B_PUBLIC tmpl, *out = NULL;
	TSS2_RC rc;
	int ret;

	ek_template(type, &tmpl);
	rc = Esys_CreatePrimary(d->esys, ESYS_TR_RH_ENDORSEMENT, ESYS_TR_PASSWORD, ESYS_TR_NONE,
				ESYS_TR_NONE, &sens, &tmpl, &outside, &pcrs, &d->ek, &out, NULL, NULL,
				NULL);
	if (rc != TSS2_RC_SUCCESS)
		return tss_fail(err, AR_ERR_IO, "CreatePrimary (EK)", rc);
	ret = marshal_public(out, pub, pub_len, err);
	Esys_Free(out);
	return ret;
}

static void ak_template(TPM2B_PUBLIC *t)
{
	TPMT_PUBLIC *p = &t->publicArea;

	memset(t, 0, sizeof(*t));
	p->type = TPM2_ALG_ECC;
	p->nameAlg = TPM2_ALG_SHA256;
	p->objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
			      TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
			      TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT;
	p->parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
	p->parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
	p->parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
	p->parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
	p->parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
}

int tpm_dev_ak(tpm_dev_t *d, uint32_t handle, uint8_t *pub, size_t *pub_len, ar_err_t *err)
{
	TPM2B_SENSITIVE_CREATE sens = { 0 };
	TPM2B_DATA outside = { 0 };
	TPML_PCR_SELECTION pcrs = { 0 };
	TPM2B_PUBLIC tmpl, *out = NULL;
	ESYS_TR tr = ESYS_TR_NONE;
	TSS2_RC rc;
	int ret = -1;

	rc = Esys_TR_FromTPMPublic(d->esys, handle, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				   &d->ak);
	if (rc == TSS2_RC_SUCCESS) {
		rc = Esys_ReadPublic(d->esys, d->ak, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &out,
				     NULL, NULL);
		if (rc != TSS2_RC_SUCCESS)
			return tss_fail(err, AR_ERR_IO, "ReadPublic (AK)", rc);
		ret = marshal_public(out, pub, pub_len, err);
		Esys_Free(out);
		return ret;
	}
	ak_template(&tmpl);
	rc = Esys_CreatePrimary(d->esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE,
				ESYS_TR_NONE, &sens, &tmpl, &outside, &pcrs, &tr, &out, NULL, NULL,
				NULL);
	if (rc != TSS2_RC_SUCCESS)
		return tss_fail(err, AR_ERR_IO, "CreatePrimary (AK)", rc);
	rc = Esys_EvictControl(d->esys, ESYS_TR_RH_OWNER, tr, ESYS_TR_PASSWORD, ESYS_TR_NONE,
			       ESYS_TR_NONE, handle, &d->ak);
	if (rc != TSS2_RC_SUCCESS) {
		tss_fail(err, AR_ERR_IO, "EvictControl (AK)", rc);
		goto out;
	}
	ret = marshal_public(out, pub, pub_len, err);
out:
	Esys_FlushContext(d->esys, tr);
	Esys_Free(out);
	return ret;
}

int tpm_dev_activate(tpm_dev_t *d, const uint8_t *blob, size_t blob_len, const uint8_t *secret,
		     size_t secret_len, uint8_t out[64], size_t *out_len, ar_err_t *err)
{
	TPMT_SYM_DEF sym = { .algorithm = TPM2_ALG_NULL };
	TPM2B_ID_OBJECT id = { 0 };
	TPM2B_ENCRYPTED_SECRET enc = { 0 };
	TPM2B_DIGEST *cert = NULL;
	ESYS_TR session = ESYS_TR_NONE;
	size_t off = 0;
	TSS2_RC rc;
	int ret = -1;

	if (Tss2_MU_TPM2B_ID_OBJECT_Unmarshal(blob, blob_len, &off, &id) != TSS2_RC_SUCCESS ||
	    off != blob_len)
		return ar_err_set(err, AR_ERR_MALFORMED, "tpm: the credential blob does not decode");
	off = 0;
	if (Tss2_MU_TPM2B_ENCRYPTED_SECRET_Unmarshal(secret, secret_len, &off, &enc) !=
	    TSS2_RC_SUCCESS || off != secret_len)
		return ar_err_set(err, AR_ERR_MALFORMED, "tpm: the encrypted secret does not decode");
	rc = Esys_StartAuthSession(d->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				   ESYS_TR_NONE, NULL, TPM2_SE_POLICY, &sym, TPM2_ALG_SHA256,
				   &session);
	if (rc != TSS2_RC_SUCCESS)
		return tss_fail(err, AR_ERR_IO, "StartAuthSession", rc);
	/* Kept after the command, so that one flush below ends it on every path. */
	Esys_TRSess_SetAttributes(d->esys, session, TPMA_SESSION_CONTINUESESSION,
				  TPMA_SESSION_CONTINUESESSION);
	rc = Esys_PolicySecret(d->esys, ESYS_TR_RH_ENDORSEMENT, session, ESYS_TR_PASSWORD,
			       ESYS_TR_NONE, ESYS_TR_NONE, NULL, NULL, NULL, 0, NULL, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		tss_fail(err, AR_ERR_IO, "PolicySecret", rc);
		goto out;
	}
	rc = Esys_ActivateCredential(d->esys, d->ak, d->ek, ESYS_TR_PASSWORD, session, ESYS_TR_NONE,
				     &id, &enc, &cert);
	if (rc != TSS2_RC_SUCCESS) {
		tss_fail(err, AR_ERR_UNAUTHORIZED, "ActivateCredential", rc);
		goto out;
	}
	if (cert->size > 64) {
		ar_err_set(err, AR_ERR_TOO_LARGE, "tpm: activated secret too long");
		goto out;
	}
	memcpy(out, cert->buffer, cert->size);
	*out_len = cert->size;
	ret = 0;
out:
	if (cert)
		OPENSSL_cleanse(cert->buffer, cert->size);
	Esys_Free(cert);
	Esys_FlushContext(d->esys, session);
	return ret;
}
