/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The device key: a PEM file, or a key that never leaves the TPM (devkey.h). */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
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
	if (strstr(text, "# key_uri = handle:")) {
		free(text);
		return ar_err_set(err, AR_ERR_CONFIG, "%s: the key is at a persistent TPM handle; "
				  "only key_store = tpm-certified uses it", path);
	}
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

/* The first private key at OSSL_STORE @uri in @lib, or NULL. */
static EVP_PKEY *store_key(OSSL_LIB_CTX *lib, const char *uri)
{
	OSSL_STORE_CTX *st = OSSL_STORE_open_ex(uri, lib, "?provider=tpm2", NULL, NULL, NULL, NULL,
						NULL);
	OSSL_STORE_INFO *info;
	EVP_PKEY *pkey = NULL;

	while (st && !pkey && !OSSL_STORE_eof(st)) {
		info = OSSL_STORE_load(st);
		if (!info)
			break;
		if (OSSL_STORE_INFO_get_type(info) == OSSL_STORE_INFO_PKEY)
			pkey = OSSL_STORE_INFO_get1_PKEY(info);
		OSSL_STORE_INFO_free(info);
	}
	OSSL_STORE_close(st);
	return pkey;
}

int devkey_handle_csr(const devkey_t *k, const char *tcti, const ar_identifier_t *ids, size_t n,
		      unsigned char **der, size_t *len, ar_err_t *err)
{
	OSSL_PROVIDER *dflt = NULL, *tpm2 = NULL;
	OSSL_LIB_CTX *lib = NULL;
	EVP_PKEY *pkey = NULL;
	ar_jwk_t *pub = NULL;
	char uri[32];
	int rc = -1;

	snprintf(uri, sizeof(uri), "handle:0x%08" PRIx32, k->handle);
	if (!k->handle || !k->jwk)
		return ar_err_set(err, AR_ERR_CONFIG, "no TPM key handle");
	if (tcti && setenv("TPM2OPENSSL_TCTI", tcti, 1) < 0)
		return ar_err_set(err, AR_ERR_NOMEM, "out of memory");
	lib = OSSL_LIB_CTX_new();
	dflt = lib ? OSSL_PROVIDER_load(lib, "default") : NULL;
	tpm2 = dflt ? OSSL_PROVIDER_load(lib, "tpm2") : NULL;
	if (!tpm2) {
		ar_err_set(err, AR_ERR_CONFIG, "the tpm2 OpenSSL provider cannot be loaded "
			   "(package tpm2-openssl; [device] tpm_tcti)");
		goto out;
	}
	pkey = store_key(lib, uri);
	if (!pkey) {
		ar_err_set(err, AR_ERR_CRYPTO, "%s: the tpm2 provider cannot load this key", uri);
		goto out;
	}
	pub = public_jwk(pkey, err);
	if (!pub)
		goto out;
	if (strcmp(ar_jwk_thumbprint(pub), ar_jwk_thumbprint(k->jwk))) {
		ar_err_set(err, AR_ERR_CRYPTO, "%s is not the key the TPM certified", uri);
		goto out;
	}
	rc = ar_csr_make_ex(pkey, lib, ids, n, der, len, err);
out:
	ar_jwk_free(pub);
	EVP_PKEY_free(pkey);
	if (tpm2)
		OSSL_PROVIDER_unload(tpm2);
	if (dflt)
		OSSL_PROVIDER_unload(dflt);
	OSSL_LIB_CTX_free(lib);
	return rc;
}

/* A key at a persistent handle has no blob: its store URI and public key. */
static char *handle_text(const devkey_t *k, ar_err_t *err)
{
	char *pub = ar_jwk_to_pem(k->jwk, 0, err), *text;
	size_t size;

	if (!pub)
		return NULL;
	size = strlen(pub) + 200;
	text = malloc(size);
	if (text)
		snprintf(text, size, "# The private key never leaves the TPM: it is the key at the\n"
			 "# persistent handle below (tpm2 OpenSSL provider store URI).\n"
			 "# key_uri = handle:0x%08" PRIx32 "\n%s", k->handle, pub);
	else
		ar_err_set(err, AR_ERR_NOMEM, "out of memory");
	free(pub);
	return text;
}

char *devkey_pem(const devkey_t *k, ar_err_t *err)
{
	OSSL_ENCODER_CTX *ctx;
	unsigned char *out = NULL;
	size_t len = 0;
	char *pem = NULL;

	if (k->handle)
		return handle_text(k, err);
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
	free(k->wrapped);
	memset(k, 0, sizeof(*k));
}
