/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file tss2key.h
 * @brief The "TSS2 PRIVATE KEY" file of a TPM key: the TPM-wrapped form
 *	  that tpm2-tss-engine, tpm2-openssl and `tpm2_ptool link` load under
 *	  its parent. Only the TPM that made it can use it.
 *
 * @code
 * TPMKey ::= SEQUENCE {
 *	type		OBJECT IDENTIFIER,	-- 2.23.133.10.1.3 (loadable key)
 *	emptyAuth	[0] EXPLICIT BOOLEAN OPTIONAL,
 *	parent		INTEGER,		-- the parent's persistent handle
 *	pubkey		OCTET STRING,		-- marshalled TPM2B_PUBLIC
 *	privkey		OCTET STRING }		-- marshalled TPM2B_PRIVATE
 * @endcode
 * as DER inside `-----BEGIN TSS2 PRIVATE KEY-----` PEM.
 */
#ifndef AR_HELPER_TSS2KEY_H
#define AR_HELPER_TSS2KEY_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/** Largest marshalled TPM2B_PUBLIC or TPM2B_PRIVATE a key file may carry. */
#define TSS2KEY_PART_MAX	1024
/** Largest key file (PEM text) accepted. */
#define TSS2KEY_PEM_MAX		8192

/** A key file's contents. */
typedef struct tss2key {
	uint32_t	parent;				/**< the parent's handle */
	int		empty_auth;			/**< 1 when emptyAuth is TRUE */
	uint8_t		pub[TSS2KEY_PART_MAX];		/**< marshalled TPM2B_PUBLIC */
	size_t		pub_len;
	uint8_t		priv[TSS2KEY_PART_MAX];		/**< marshalled TPM2B_PRIVATE */
	size_t		priv_len;
} tss2key_t;

/**
 * The PEM text of @p k, with emptyAuth TRUE (the key has no password).
 *
 * @return the text (malloc'd, NUL-terminated), or NULL with @p err set.
 */
char *tss2key_pem(const tss2key_t *k, ar_err_t *err);

/**
 * Parse the PEM text @p pem (@p len octets; at most TSS2KEY_PEM_MAX) of a
 * key file: one "TSS2 PRIVATE KEY" block whose DER is the SEQUENCE above,
 * with the loadable-key OID, a parent in 0..0xffffffff and both parts
 * non-empty and at most TSS2KEY_PART_MAX octets.
 *
 * @return 0, or -1 with @p err set (AR_ERR_MALFORMED, AR_ERR_TOO_LARGE).
 */
int tss2key_parse(const char *pem, size_t len, tss2key_t *k, ar_err_t *err);

#endif
