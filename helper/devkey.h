/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file devkey.h
 * @brief The device key the certificate is issued for: a PEM file key, or
 *	  a key that never leaves the TPM (tpm2 OpenSSL provider; its file is a
 *	  "TSS2 PRIVATE KEY" blob only that TPM can load).
 */
#ifndef AR_HELPER_DEVKEY_H
#define AR_HELPER_DEVKEY_H

#include <stdint.h>

#include <openssl/evp.h>

#include "err.h"
#include "jwk.h"
#include "x509.h"

typedef struct devkey {
	ar_jwk_t	*jwk;	/**< private JWK (file key) or public JWK (TPM key) */
	EVP_PKEY	*tpm;	/**< the TPM key, NULL for a file key */
	uint32_t	handle;	/**< a TPM key at this persistent handle (tpm-certified);
				     @c jwk is its public key, @c tpm stays NULL */
	char		*wrapped; /**< with @c handle: its TSS2 key file's text (the
				       TPM-wrapped key under the SRK), or NULL */
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

/**
 * The CSR for @p ids, signed inside the TPM by the persistent key at
 * @p k->handle through the tpm2 OpenSSL provider (`handle:0x81010020`)
 * in an OpenSSL library context of its own, which is freed before the
 * return: the provider holds a TPM connection while it is loaded, and a
 * swtpm serves one connection at a time (call it after the ESAPI work).
 * The key the TPM signs with must be @p k->jwk, else nothing is signed.
 *
 * @param tcti	TPM2OPENSSL_TCTI when not NULL.
 * @return 0 (@p der, OPENSSL_malloc'd, and @p len set), or -1 with @p err.
 */
int devkey_handle_csr(const devkey_t *k, const char *tcti, const ar_identifier_t *ids, size_t n,
		      unsigned char **der, size_t *len, ar_err_t *err);

/**
 * The key file's text (PKCS#8 PEM, or the TSS2 PEM blob; for a key at a
 * persistent handle, which has no blob, its OpenSSL store URI and public
 * key); caller cleanses and frees.
 */
char *devkey_pem(const devkey_t *k, ar_err_t *err);

void devkey_free(devkey_t *k);

#endif
