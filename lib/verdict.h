/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file verdict.h
 * @brief The SOC's verdict over a device's posture: the one rule that
 *	  combines them, and the JSON both the SOC API and acme-rats-ctl show.
 *
 * A verdict (ar_store_verdict_t) is written by the SOC only; a posture
 * (ar_store_posture_t) by every appraisal. What stands is the worse of the
 * two, and when the verdict is the worse one its reason is shown with the
 * prefix AR_VERDICT_REASON_PREFIX, so that an operator reading a decision
 * sees that the SOC, not the device's evidence, set it.
 */
#ifndef AR_VERDICT_H
#define AR_VERDICT_H

#include <stddef.h>

#include <jansson.h>

#include "store.h"

/** Prefix of a reason that comes from the SOC's verdict. */
#define AR_VERDICT_REASON_PREFIX	"SOC: "

/**
 * The worse-of rule: when verdict @p v is worse than @p *status, @p
 * *status becomes the verdict's and @p reason (of @p size bytes) its
 * reason after AR_VERDICT_REASON_PREFIX, cut to fit.
 * @return 1 when the verdict was the worse, 0 when @p *status stands.
 */
int ar_verdict_caps(const ar_store_verdict_t *v, ar_status_t *status, char *reason, size_t size);

/**
 * {"status", "reason", "source", "identity", "set_at"}: a new reference,
 * NULL when out of memory.
 */
json_t *ar_verdict_json(const ar_store_verdict_t *v);

/**
 * {"status", "trust_vector", "ear_iat", "ear_exp", "verifier", "profile",
 * "updated_at", "reason"}: a new reference, NULL when out of memory.
 */
json_t *ar_posture_json(const ar_store_posture_t *p);

/**
 * The body of a request that sets a verdict: {"status": ..., "reason": ...},
 * both members strings, no other member, no duplicate (the SOC API and the
 * console). The values are not checked here.
 *
 * @param json	 on success the parsed object, which holds @p status and
 *		 @p reason (the caller json_decref()s it); NULL on failure.
 * @return 0, or -1 with AR_ERR_MALFORMED and a detail for a problem document.
 */
int ar_verdict_body_parse(const void *body, size_t len, json_t **json, const char **status,
			  const char **reason, ar_err_t *err);

#endif
