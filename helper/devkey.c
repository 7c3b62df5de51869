/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The device key: a PEM file, or a key that never leaves the TPM (devkey.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/encoder.h>
#include <openssl/pem.h>
#include <openssl/provider.h>
#include <openssl/store.h>
#include <openssl/x509.h>

#include "devkey.h"
#include "fileio.h"

#define TSS2_PEM	"-----BEGIN TSS2 PRIVATE KEY-----"

int devkey_tpm_init(const char *tcti, ar_err_t *err)
{
	static OSSL_PROVIDER *tpm2, *dflt;

	if (tpm2)
		return 0;
	if (tcti && setenv("TPM2OPENSSL_TCTI", tcti, 1) < 0)
		return ar_err_set(err, AR_ERR_NOMEM, "out of memory");
	/* Loading one provider explicitly turns off the default's autoload. */
	dflt = OSSL_PROVIDER_load(NULL, "default");
	tpm2 = dflt ? OSSL_PROVIDER_load(NULL, "tpm2") : NULL;
	if (!tpm2)
		return ar_err_set(err, AR_ERR_CONFIG, "the tpm2 OpenSSL provider cannot be loaded "
				  "(package tpm2-openssl; TPM2OPENSSL_TCTI / [device] tpm_tcti)");
	return 0;
}

/* The public JWK of a TPM key: its SubjectPublicKeyInfo, re-read by the default provider. */
static ar_jwk_t *public_jwk(EVP_PKEY *pkey, ar_err_t *err)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	int len = i2d_PUBKEY(pkey, &der);
	EVP_PKEY *pub;
	ar_jwk_t *jwk;

	if (len <= 0) {
		ar_err_set(err, AR_ERR_CRYPTO, "TPM key: no public key");
		return NULL;
	}
	p = der;
	pub = d2i_PUBKEY(NULL, &p, len);
	OPENSSL_free(der);
	if (!pub) {
		ar_err_set(err, AR_ERR_CRYPTO, "TPM key: unreadable public key");
		return NULL;
	}
	jwk = ar_jwk_from_pkey(pub, err);
	EVP_PKEY_free(pub);
	return jwk;
}

int devkey_generate(int tpm, devkey_t *k, ar_err_t *err)
{
	memset(k, 0, sizeof(*k));
	if (!tpm) {
		k->jwk = ar_jwk_generate("ES256", err);
		return k->jwk ? 0 : -1;
	}
	k->tpm = EVP_PKEY_Q_keygen(NULL, "provider=tpm2", "EC", "P-256");
	if (!k->tpm)
		return ar_err_set(err, AR_ERR_CRYPTO, "the TPM cannot make a P-256 key");
	k->jwk = public_jwk(k->tpm, err);
	if (!k->jwk) {
		devkey_free(k);
		return -1;
	}
	return 0;
}

static int load_tpm(const char *path, devkey_t *k, ar_err_t *err)
{
	OSSL_STORE_CTX *st = OSSL_STORE_open_ex(path, NULL, "?provider=tpm2", NULL, NULL, NULL,
						NULL, NULL);
	OSSL_STORE_INFO *info;

	while (st && !k->tpm && !OSSL_STORE_eof(st)) {
		info = OSSL_STORE_load(st);
		if (info && OSSL_STORE_INFO_get_type(info) == OSSL_STORE_INFO_PKEY)
			k->tpm = OSSL_STORE_INFO_get1_PKEY(info);
		OSSL_STORE_INFO_free(info);
		if (!info)
			break;
	}
	OSSL_STORE_close(st);
	if (!k->tpm)
		return ar_err_set(err, AR_ERR_CRYPTO, "%s: the TPM cannot load this key", path);
	k->jwk = public_jwk(k->tpm, err);
	return k->jwk ? 0 : -1;
}

int devkey_load(const char *path, devkey_t *k, ar_err_t *err)
{
	char *text;
	size_t len;
	int tpm;

	memset(k, 0, sizeof(*k));
	if (ar_file_read(path, 64 * 1024, &text, &len, err) < 0)
		return -1;
	tpm = strstr(text, TSS2_PEM) != NULL;
	OPENSSL_cleanse(text, len);
	free(text);
	if (tpm) {
		if (devkey_tpm_init(NULL, err) < 0 || load_tpm(path, k, err) < 0) {
			devkey_free(k);
			return -1;
		}
		return 0;
	}
	k->jwk = ar_jwk_load_pem(path, err);
	return k->jwk ? 0 : -1;
}

EVP_PKEY *devkey_pkey(const devkey_t *k)
{
	return k->tpm ? k->tpm : ar_jwk_pkey(k->jwk);
}

char *devkey_pem(const devkey_t *k, ar_err_t *err)
{
	OSSL_ENCODER_CTX *ctx;
	unsigned char *out = NULL;
	size_t len = 0;
	char *pem = NULL;

	if (!k->tpm)
		return ar_jwk_to_pem(k->jwk, 1, err);
	ctx = OSSL_ENCODER_CTX_new_for_pkey(k->tpm, OSSL_KEYMGMT_SELECT_ALL, "PEM", NULL,
					    "provider=tpm2");
	if (ctx && OSSL_ENCODER_to_data(ctx, &out, &len) == 1 && (pem = malloc(len + 1))) {
		memcpy(pem, out, len);
		pem[len] = '\0';
	}
	OSSL_ENCODER_CTX_free(ctx);
	OPENSSL_free(out);
	if (!pem)
		ar_err_set(err, AR_ERR_CRYPTO, "cannot encode the TPM key blob");
	return pem;
}

void devkey_free(devkey_t *k)
{
	ar_jwk_free(k->jwk);
	EVP_PKEY_free(k->tpm);
	memset(k, 0, sizeof(*k));
}
