/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file tpm_quote.h
 * @brief The device side of one TPM attestation, through ESAPI: the CSR
 *	  key the TPM holds, TPM2_Certify of it and TPM2_Quote of the PCRs the
 *	  verifier's policy names, both by the enrolled AK and both with the
 *	  qualifying data of the verifier's nonce and the posture document
 *	  (docs/evidence.md), and the event logs, as the CMW collection of
 *	  verifier/tpm_cmw.h.
 *
 * Only acme-rats-helper (and its tests) link this (tss2-esys,
 * tss2-tctildr); libacmerats and the FreeRADIUS module do not.
 */
#ifndef AR_HELPER_TPM_QUOTE_H
#define AR_HELPER_TPM_QUOTE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "err.h"

/** Default persistent handle of the CSR key the helper creates. */
#define TPM_QUOTE_KEY_HANDLE	0x81010020u
/** Default persistent handle of the storage root key (SRK) it is made under. */
#define TPM_QUOTE_SRK_HANDLE	0x81000001u
/** Default quoted PCRs: the boot chain (0-9, 14) and IMA (10). */
#define TPM_QUOTE_PCRS		0x47ffu

typedef struct tpm_quote_conf {
	const char	*tcti;		/**< tctildr configuration ("device:/dev/tpmrm0") */
	uint32_t	ak_handle;	/**< the enrolled AK, persistent */
	uint32_t	key_handle;	/**< the CSR key, persistent (made when absent) */
	uint32_t	srk_handle;	/**< its parent, persistent (made when absent); 0: the default */
	const char	*key_file;	/**< the CSR key's TSS2 key file (tss2key.h), or NULL */
	uint32_t	pcr_mask;	/**< PCRs to quote (SHA-256 bank) */
	const char	*boot_log;	/**< NULL: /sys/kernel/security/tpm0/binary_bios_measurements */
	const char	*ima_list;	/**< NULL: /sys/kernel/security/ima/ascii_runtime_measurements */
} tpm_quote_conf_t;

/**
 * The CSR key at @p c->key_handle: read it if it is there, else create it
 * and make it persistent there. It is an ordinary child of the storage
 * root key at @p c->srk_handle (ECC P-256, sign,
 * fixedTPM, fixedParent, sensitiveDataOrigin, userWithAuth, not restricted,
 * no scheme of its own: each signature names ECDSA; tpm2-pkcs11 refuses a
 * key with one); the SRK is made there first, from the ECC template of the
 * TCG provisioning guidance, when the handle is empty. A new key's wrapped
 * form goes to @p c->key_file (0600, when not NULL) before the key is made
 * persistent. The tpm2 OpenSSL provider signs the CSR with it
 * (`handle:0x81010020`); tpm2_ptool links the key file into a PKCS#11
 * token.
 *
 * @param pkey	if not NULL, receives its public key (caller frees).
 * @return 0, or -1 with @p err set.
 */
int tpm_quote_key(const tpm_quote_conf_t *c, EVP_PKEY **pkey, ar_err_t *err);

/**
 * tpm_quote_key(), and the key's wrapped form.
 *
 * @param wrapped if not NULL, receives the text of @p c->key_file when it
 *		 holds the key at the handle (malloc'd), else NULL: a key
 *		 made by an earlier version (a primary) or whose file is lost
 *		 has no wrapped form (logged once per process).
 */
int tpm_quote_key_ex(const tpm_quote_conf_t *c, EVP_PKEY **pkey, char **wrapped,
		     ar_err_t *err);

/**
 * Collect the evidence of one attestation for the verifier's @p nonce
 * (the characters of its string as it issued it) and the posture document
 * @p posture (its exact octets): TPM2_Certify of the CSR key and TPM2_Quote
 * (read PCRs matching the quote's digest: retried when an extend came in
 * between), the boot log and the IMA list when readable.
 *
 * @return the collection's JSON text (malloc'd; @p len its length), or
 *	   NULL with @p err set.
 */
char *tpm_quote_evidence(const tpm_quote_conf_t *c, const char *nonce, const char *posture,
			 size_t posture_len, size_t *len, ar_err_t *err);

#endif
