/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file devkey.h
 * @brief The device key the certificate is issued for: a PEM file key, or
 *	  a key that never leaves the TPM (tpm2 OpenSSL provider; its file is a
 *	  "TSS2 PRIVATE KEY" blob only that TPM can load).
 */
#ifndef AR_HELPER_DEVKEY_H
#define AR_HELPER_DEVKEY_H

#include <openssl/evp.h>

#include "err.h"
#include "jwk.h"

typedef struct devkey {
	ar_jwk_t	*jwk;	/**< private JWK (file key) or public JWK (TPM key) */
	EVP_PKEY	*tpm;	/**< the TPM key, NULL for a file key */
} devkey_t;

/**
 * Make the tpm2 provider (and the default one) available. @p tcti, when
 * given, becomes TPM2OPENSSL_TCTI (e.g. "device:/dev/tpmrm0",
 * "swtpm:host=127.0.0.1,port=2321"). Idempotent.
 */
int devkey_tpm_init(const char *tcti, ar_err_t *err);

/** A new P-256 key, in the TPM when @p tpm (after devkey_tpm_init()). */
int devkey_generate(int tpm, devkey_t *k, ar_err_t *err);

/** Load a key file written by devkey_pem(): PEM private key or TSS2 blob. */
int devkey_load(const char *path, devkey_t *k, ar_err_t *err);

/** The key to sign the CSR with. */
EVP_PKEY *devkey_pkey(const devkey_t *k);

/** The key file's text (PKCS#8 PEM, or the TSS2 PEM blob); caller cleanses and frees. */
char *devkey_pem(const devkey_t *k, ar_err_t *err);

void devkey_free(devkey_t *k);

#endif
