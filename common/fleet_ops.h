/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file fleet_ops.h
 * @brief The SOC and NOC actions on a device, one code path for every
 *	  front end (acme-rats-ctl, the web console): the SOC's verdict
 *	  through the verifier's SOC API, a disconnect through the NOC event
 *	  worker.
 */
#ifndef AR_FLEET_OPS_H
#define AR_FLEET_OPS_H

#include "conf.h"
#include "err.h"
#include "store.h"

/** [soc]: how to reach the verifier's SOC API. */
typedef struct ops_soc_conf {
	char	*verifier_url;	/**< the verifier's base URL */
	char	*token_file;	/**< the SOC bearer token */
	char	*verifier_ca;	/**< PEM trust anchors of its TLS */
} ops_soc_conf_t;

/** The [soc] section's rules, bound into an ::ops_soc_conf_t. */
extern const ar_conf_rule_t ops_soc_rules[];

/**
 * Give @p device the SOC's verdict @p status ("affirming" clears it,
 * "warning", "contraindicated") with @p reason, through the SOC API, which
 * records it and announces it on the event stream.
 * @param answer on success, the API's JSON answer (malloc'd), or NULL.
 * @return 0; -1 with @p err: AR_ERR_CONFIG (no [soc]), AR_ERR_MALFORMED
 *	   (a status or device the API would refuse), AR_ERR_IO (transport),
 *	   AR_ERR_UNAUTHORIZED / AR_ERR_UNAVAILABLE (the API refused: its
 *	   status and detail in the message).
 */
int ops_set_verdict(const ops_soc_conf_t *c, const char *device, const char *status,
		    const char *reason, char **answer, ar_err_t *err);

/**
 * Ask the NOC event worker (which holds the NAS secrets) to disconnect the
 * live sessions of @p device: one "disconnect" event from @p source.
 * @param id the event's id (AR_STORE_EVENT_ID_MAX + 1 bytes), or NULL.
 * @return 0, or -1 with @p err.
 */
int ops_request_disconnect(ar_store_t *st, const char *device, const char *reason,
			   const char *source, char *id, ar_err_t *err);

#endif
