/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file certstore.h
 * @brief The helper's files: the certificate, chain and key it installs,
 *	  replaced as one, and its small state record.
 *
 * Layout under the configured directory:
 * @code
 * account.key            ACME account key (0600)
 * gen-N/key.pem          the device key (0600, created so before any byte),
 *                        or the TPM's blob of it
 * gen-N/key.tss2.pem     tpm-certified: the TPM key's TSS2 key file (0600),
 *                        a copy of tpm-key.tss2.pem, for tpm2_ptool link
 * gen-N/cert.pem         the certificate
 * gen-N/chain.pem        the issuer chain
 * gen-N/fullchain.pem    certificate then chain
 * live -> gen-N          what the supplicant uses: live/cert.pem, live/key.pem
 * state.json             schedule and status (atomic replacement)
 * tpm-key.tss2.pem       tpm-certified: the TSS2 key file of the key at
 *                        tpm_key_handle, written when the TPM makes it
 * @endcode
 * A new generation is written and fsynced completely before the `live`
 * symbolic link is replaced by rename(2), so whenever the process dies
 * `live` names a complete, matching key and certificate.
 */
#ifndef AR_HELPER_CERTSTORE_H
#define AR_HELPER_CERTSTORE_H

#include <stdint.h>

#include "devkey.h"
#include "err.h"
#include "jwk.h"

#define CS_SERIAL_MAX	65
/** tpm-certified: the TSS2 key file the TPM key is made with, under the directory. */
#define CS_TPM_KEY_FILE	"tpm-key.tss2.pem"
#define CS_CERTID_MAX	160

/** The installed certificate, as the schedule needs it. */
typedef struct cs_cert {
	int64_t	not_before, not_after;
	char	serial[CS_SERIAL_MAX];		/**< lower-case hex */
	char	certid[CS_CERTID_MAX];		/**< RFC 9773 certID, "" without AKI */
	char	jkt[AR_JWK_THUMBPRINT_LEN + 1];	/**< thumbprint of its key */
} cs_cert_t;

/** state.json */
typedef struct cs_state {
	int64_t		posture_at;	/**< last accepted attestation, unix s */
	int64_t		last_attempt;
	int64_t		last_success;
	int64_t		last_failure;
	unsigned	failures;
	char		last_error[256];
	int		have_window;
	int64_t		window_start, window_end;
	int64_t		ari_next_poll;
	uint32_t	draw;
	uint32_t	jitter;
	char		next_action[16];
	int64_t		next_at;
	char		next_reason[32];
} cs_state_t;

/** Steps of cs_install() at which ACME_RATS_HELPER_CRASH_AT=N SIGKILLs the process
 *  (only in the test build, compiled with AR_HELPER_CRASH_HOOK). */
#define CS_STEPS	7

/** Make the directory (0700) if needed. */
int cs_init(const char *dir, ar_err_t *err);

/** Room a new generation needs at most: five small files, a 4 KiB block each, and spare. */
#define CS_ROOM		(32 * 1024)

/**
 * Check, before ordering, that @p dir can take a new generation: writable
 * and with CS_ROOM bytes free (a probe file is allocated and removed). A
 * renewal the device could not install would still supersede its current
 * certificate at the CA. -1 with AR_ERR_IO naming the directory and errno.
 */
int cs_check_room(const char *dir, ar_err_t *err);

/**
 * The account key at @p path (NULL: dir/account.key): loaded, or generated
 * (ES256) and stored 0600. Caller frees.
 */
ar_jwk_t *cs_account_key(const char *dir, const char *path, ar_err_t *err);

/** Load the key of the live generation; -1 (AR_ERR_NOT_FOUND when none). */
int cs_live_key(const char *dir, devkey_t *key, ar_err_t *err);

/**
 * Read the live certificate. Returns 1 with @p out filled, 0 when there is
 * none, -1 on a broken one.
 */
int cs_live_cert(const char *dir, cs_cert_t *out, ar_err_t *err);

/**
 * Install a new generation: @p key (private) and the PEM chain the CA
 * returned (first certificate = the device's, the rest = the chain). The
 * certificate must carry the key. On success `live` names the new
 * generation and the one before it is kept; older ones are removed. On
 * failure (a full or read-only disk) `live` is unchanged and nothing of the
 * new generation is left behind; the error names the file and errno.
 */
int cs_install(const char *dir, const devkey_t *key, const char *chain_pem, cs_cert_t *out,
	       ar_err_t *err);

int cs_state_load(const char *dir, cs_state_t *st, ar_err_t *err);
int cs_state_save(const char *dir, const cs_state_t *st, ar_err_t *err);

#endif
