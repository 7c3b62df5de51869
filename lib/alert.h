/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file alert.h
 * @brief SIEM alerts: mapping rules that pick, from an alert's JSON, the
 *	  device it is about, the SOC verdict it asks for, its reason and its id.
 *
 * A rule set is JSON (docs/verifier.md, "SIEM alerts"):
 * @code
 * {"alert_id": ["id"],
 *  "device":   [{"path": "agent.name", "by": "hostname"},
 *               {"path": "agent.ip", "by": "ip"}],
 *  "reason":   ["rule.description"],
 *  "verdict":  {"path": "rule.level",
 *               "levels": [{"min": 12, "verdict": "contraindicated"},
 *                          {"min": 7, "verdict": "warning"}]}}
 * @endcode
 * `alert_id`, `reason`: paths tried in order, the first that holds a string
 * or a number wins. `device`: candidates in order, each a path and what
 * the value names (`device`: the device id itself, `hostname`, `ip`); the
 * caller looks them up in its inventory. `verdict` is one of
 * `{"value": V}` (every alert asks for V), `{"path": P, "map": {"x": V}}`
 * (a string value looked up, case-insensitively) or `{"path": P,
 * "levels": [{"min": N, "verdict": V}, ...]}` (a number, first level it
 * reaches, in order). V is `contraindicated`, `warning`, `affirming`,
 * `flag` (contraindicated) or `clear` (affirming).
 *
 * A path is dotted keys with optional array indexes, `host.ip[0]`; a key
 * may itself contain dots (Elastic's flattened `kibana.alert.severity`), the
 * longest key present wins. Paths are at most AR_ALERT_PATH_MAX bytes and
 * AR_ALERT_PATH_SEGS segments. Two rule sets are built in: "wazuh" and
 * "elastic".
 */
#ifndef AR_ALERT_H
#define AR_ALERT_H

#include <stddef.h>

#include "ear.h"
#include "err.h"

#define AR_ALERT_BODY_MAX	(256 * 1024)	/**< largest alert document mapped */
#define AR_ALERT_DEPTH_MAX	32		/**< deepest nesting accepted */
#define AR_ALERT_PATH_MAX	127
#define AR_ALERT_PATH_SEGS	12
#define AR_ALERT_PATHS_MAX	4		/**< paths per field, device candidates */
#define AR_ALERT_MAP_MAX	16		/**< entries of a map or levels list */
#define AR_ALERT_ID_MAX		127		/**< an alert id, bytes */
#define AR_ALERT_VALUE_MAX	127		/**< a device reference, bytes */
#define AR_ALERT_REASON_MAX	160		/**< a reason, bytes (longer ones are cut) */

/** What a device reference names. */
typedef enum ar_alert_by {
	AR_ALERT_BY_DEVICE = 0,		/**< the device id */
	AR_ALERT_BY_HOSTNAME,		/**< the host name the device attested with */
	AR_ALERT_BY_IP,			/**< an address the device attested from */
} ar_alert_by_t;

/** "device", "hostname", "ip". */
const char *ar_alert_by_name(ar_alert_by_t by);

typedef struct ar_alert_rules ar_alert_rules_t;

/** One device reference the alert carries. */
typedef struct ar_alert_ref {
	ar_alert_by_t	by;
	char		value[AR_ALERT_VALUE_MAX + 1];	/**< printable ASCII, no space */
} ar_alert_ref_t;

/** What the rules picked from one alert. */
typedef struct ar_alert {
	char		id[AR_ALERT_ID_MAX + 1];
	ar_status_t	status;		/**< AR_STATUS_AFFIRMING clears a verdict */
	char		reason[AR_ALERT_REASON_MAX + 1];	/**< printable, control bytes replaced */
	size_t		nrefs;
	ar_alert_ref_t	refs[AR_ALERT_PATHS_MAX];	/**< in the rules' order */
} ar_alert_t;

/**
 * Parse a rule set from JSON text. Unknown members, bad paths and verdict
 * words are AR_ERR_CONFIG errors naming them.
 * @return a rule set (ar_alert_rules_free()), or NULL.
 */
ar_alert_rules_t *ar_alert_rules_parse(const char *text, size_t len, ar_err_t *err);

/** A built-in rule set ("wazuh", "elastic") by name, else the JSON file at @p name. */
ar_alert_rules_t *ar_alert_rules_load(const char *name, ar_err_t *err);

/** NULL is fine. */
void ar_alert_rules_free(ar_alert_rules_t *r);

/**
 * Map an alert. @p body is untrusted: at most AR_ALERT_BODY_MAX bytes of
 * one JSON object, nested at most AR_ALERT_DEPTH_MAX deep.
 *
 * @return 0 with @p out filled (at least one device reference, an id and a
 *	   verdict); -1 with AR_ERR_MALFORMED or AR_ERR_TOO_LARGE (not such a
 *	   document), or AR_ERR_NOT_FOUND: the rules miss (no path holds an
 *	   id, a device reference or a value that maps to a verdict; the
 *	   message says which).
 */
int ar_alert_map(const ar_alert_rules_t *r, const char *body, size_t len, ar_alert_t *out,
		 ar_err_t *err);

#endif
