/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file hconf.h
 * @brief acme-rats-helper.conf: what the device enrolls as, where, and when
 *	  it renews (docs/helper.md has the reference).
 */
#ifndef AR_HELPER_HCONF_H
#define AR_HELPER_HCONF_H

#include <stdint.h>

#include "daemon.h"
#include "err.h"
#include "evidence.h"
#include "x509.h"

#define HELPER_DEFAULT_CONFIG	SYSCONFDIR "/acme-rats-helper/acme-rats-helper.conf"
#define HELPER_MAX_HINTS	6

/** How the device proves its posture in remote-attest-01. */
typedef enum helper_model {
	HELPER_MODEL_PASSPORT = 0,	/**< EAR from the verifier, posted to the CA */
	HELPER_MODEL_BACKGROUND,	/**< evidence encrypted to the verifier, relayed by the CA */
} helper_model_t;

/** Where the device key lives. */
typedef enum helper_key_store {
	HELPER_KEY_FILE = 0,		/**< PEM file, 0600 */
	HELPER_KEY_TPM,			/**< in the TPM, through the tpm2 OpenSSL provider */
	HELPER_KEY_TPM_CERTIFIED,	/**< the TPM key at tpm_key_handle, TPM2_Certify'd by the
					     AK at tpm_ak_handle; TPM evidence (quote + certify) */
} helper_key_store_t;

typedef struct helper_conf {
	/* [acme] */
	char		*directory;
	char		*account_key;		/**< NULL: dir/account.key */
	char		*acme_ca_bundle;
	char		*eab_kid;
	char		*eab_hmac_file;
	char		*contact;
	int64_t		connect_timeout;	/**< ms */
	int64_t		timeout;		/**< ms */
	int64_t		validation_timeout;	/**< ms, waiting for challenges and issuance */
	/* [device] */
	char		*identifiers;		/**< "type:value ..." */
	char		*attest;		/**< hints, or "none" */
	int		model;			/**< helper_model_t */
	char		*dir;			/**< state and certificate directory */
	int		reuse_key;
	int		key_store;		/**< helper_key_store_t */
	char		*tpm_tcti;		/**< TPM2OPENSSL_TCTI, or NULL */
	char		*tpm_ak;		/**< tpm-certified: the AK's persistent handle */
	char		*tpm_key;		/**< tpm-certified: the CSR key's persistent handle */
	char		*tpm_srk;		/**< tpm-certified: the SRK's persistent handle */
	char		*tpm_pcrs;		/**< tpm-certified: quoted PCRs, a bit mask */
	char		*tpm_boot_log;		/**< tpm-certified: NULL for the kernel's */
	char		*tpm_ima_list;		/**< tpm-certified: NULL for the kernel's */
	char		*http01_listen;		/**< "address:port", or NULL */
	/* [verifier] */
	char		*verifier_url;
	char		*verifier_ca_bundle;
	char		*device_id;
	char		*edr;
	char		*root;
	char		*override;
	int		key_storage;		/**< ar_key_storage_t */
	/* [schedule] */
	int64_t		fresh;			/**< ms; 0: no posture limit */
	int64_t		fresh_margin;		/**< ms */
	int64_t		ari_poll_min;		/**< ms */
	int64_t		ari_poll_max;		/**< ms */
	int64_t		backoff_min;		/**< ms */
	int64_t		backoff_max;		/**< ms */
	/* [hooks] */
	char		*post_renew;
	char		*on_failure;
	int64_t		hook_timeout;		/**< ms */
	/* [log] */
	daemon_log_conf_t log;

	/* Derived by helper_conf_load(). */
	size_t		nids;
	ar_identifier_t	ids[AR_CSR_MAX_IDS];	/**< main identifiers, then the hints */
	char		eab_hmac[256];		/**< from eab_hmac_file; secret */
	char		http01_addr[64];
	int		http01_port;
	uint32_t	tpm_ak_handle;		/**< parsed tpm_ak */
	uint32_t	tpm_key_handle;		/**< parsed tpm_key */
	uint32_t	tpm_srk_handle;		/**< parsed tpm_srk */
	uint32_t	tpm_pcr_mask;		/**< parsed tpm_pcrs */
} helper_conf_t;

/** Load and check @p path; on failure @p err names file and line. */
int helper_conf_load(const char *path, helper_conf_t *c, ar_err_t *err);
void helper_conf_free(helper_conf_t *c);

#endif
