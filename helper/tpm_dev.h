/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file tpm_dev.h
 * @brief The device's TPM 2.0 for enrolment, through ESAPI over a TCTI:
 *	  the EK certificate from NV, the EK (TCG default templates), a
 *	  persistent attestation key, and TPM2_ActivateCredential.
 *
 * Only acme-rats-helper links this (tss2-esys, tss2-tctildr); libacmerats,
 * libhelper and the FreeRADIUS module do not.
 */
#ifndef AR_HELPER_TPM_DEV_H
#define AR_HELPER_TPM_DEV_H

#include <stddef.h>
#include <stdint.h>

#include <tss2/tss2_esys.h>

#include "err.h"

/** TCG EK certificate NV indices. */
#define TPM_DEV_EK_CERT_RSA	0x01c00002
#define TPM_DEV_EK_CERT_ECC	0x01c0000a
/** The persistent handle the AK is kept at, unless configured otherwise. */
#define TPM_DEV_AK_HANDLE	0x81010010
/** Longest EK certificate read. */
#define TPM_DEV_CERT_MAX	4096

typedef struct tpm_dev {
	TSS2_TCTI_CONTEXT	*tcti;
	ESYS_CONTEXT		*esys;
	ESYS_TR			ek;		/**< ESYS_TR_NONE until tpm_dev_ek() */
	ESYS_TR			ak;
} tpm_dev_t;

/** Connect through @p tcti ("device:/dev/tpmrm0", "swtpm:host=...,port=..."). 0 or -1. */
int tpm_dev_open(tpm_dev_t *d, const char *tcti, ar_err_t *err);

/** Flush the transient EK and disconnect. */
void tpm_dev_close(tpm_dev_t *d);

/**
 * Read NV index @p index whole (index authorization, empty).
 * @return 1 read (@p out malloc'd), 0 no such index, -1 error.
 */
int tpm_dev_nv_read(tpm_dev_t *d, uint32_t index, uint8_t **out, size_t *len, ar_err_t *err);

/**
 * Create the EK of @p type (TPM2_ALG_RSA: RSA 2048, TPM2_ALG_ECC: NIST
 * P-256) from the TCG default template, as a transient object, and return
 * its marshalled TPMT_PUBLIC in @p pub (at least 1024 octets).
 */
int tpm_dev_ek(tpm_dev_t *d, uint16_t type, uint8_t *pub, size_t *pub_len, ar_err_t *err);

/**
 * The attestation key at persistent @p handle: read it if it is there,
 * else create it (a primary of the owner hierarchy: ECC P-256, ECDSA with
 * SHA-256, restricted, sign, fixedTPM, fixedParent, sensitiveDataOrigin,
 * userWithAuth) and make it persistent there. Its marshalled TPMT_PUBLIC in
 * @p pub (at least 1024 octets).
 */
int tpm_dev_ak(tpm_dev_t *d, uint32_t handle, uint8_t *pub, size_t *pub_len, ar_err_t *err);

/**
 * TPM2_ActivateCredential of @p blob (marshalled TPM2B_ID_OBJECT) and
 * @p secret (marshalled TPM2B_ENCRYPTED_SECRET) with the AK and the EK
 * (in a policy session: PolicySecret of the endorsement hierarchy).
 * @p out (64 octets) receives the secret. 0, or -1 (the TPM refused: the
 * credential is not for this AK and EK, AR_ERR_UNAUTHORIZED).
 */
int tpm_dev_activate(tpm_dev_t *d, const uint8_t *blob, size_t blob_len, const uint8_t *secret,
		     size_t secret_len, uint8_t out[64], size_t *out_len, ar_err_t *err);

#endif
