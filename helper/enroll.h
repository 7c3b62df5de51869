/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file enroll.h
 * @brief One enrollment or renewal, start to finish: account, order,
 *	  challenges (remote-attest-01 in either model, http-01), finalize
 *	  with a CSR for the attested key, download, atomic install, hooks;
 *	  and the renewal-information poll. Shared by every command.
 */
#ifndef AR_HELPER_ENROLL_H
#define AR_HELPER_ENROLL_H

#include "acme_msg.h"
#include "certstore.h"
#include "hconf.h"

/** How an attempt ended; each maps to an exit code and a retry policy. */
typedef enum enroll_result {
	ENROLL_OK = 0,
	ENROLL_POSTURE,		/**< refused for the device's posture (attestation rejected) */
	ENROLL_REFUSED,		/**< the CA refused for another reason (account, identifiers, CSR) */
	ENROLL_RETRY,		/**< CA or verifier unreachable, busy or not speaking the protocol */
	ENROLL_LOCAL,		/**< configuration, key or file problem on this device */
} enroll_result_t;

/**
 * Run one attempt and record it in state.json (success resets the
 * failure count and the posture clock; failure counts and keeps the
 * message). Runs post_renew after an install, on_failure after a failure.
 *
 * @param reason	why ("enroll", "forced", "ari-renew-now", ...), for logs and hooks.
 * @param[out] cert	the installed certificate on success.
 */
enroll_result_t enroll_run(const helper_conf_t *c, const char *reason, cs_cert_t *cert,
			   ar_err_t *err);

/**
 * Ask the CA for the renewal window of @p cert and store it in state.json
 * with the time of the next poll.
 * @return 0, or -1 (the state is still updated with a retry time).
 */
int enroll_ari_poll(const helper_conf_t *c, const cs_cert_t *cert, ar_err_t *err);

#endif
