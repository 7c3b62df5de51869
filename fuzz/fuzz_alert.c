/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: SIEM alert mapping (lib/alert.h). The first byte picks the
 * rules: Wazuh's or Elastic's built-in set mapping the rest as an alert,
 * or the rest parsed as a rule set that then maps itself. What a mapping
 * returns must hold the contract: an id, a device reference of printable
 * characters, a reason without control bytes.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const ar_alert_t *a)
{
	size_t i;
	const char *p;

	if (!a->id[0] || !a->nrefs || a->nrefs > AR_ALERT_PATHS_MAX || !a->reason[0])
		abort();
	for (i = 0; i < a->nrefs; i++)
		for (p = a->refs[i].value; *p; p++)
			if (*p <= ' ' || *p > '~')
				abort();
	for (p = a->reason; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			abort();
	if (a->status != AR_STATUS_AFFIRMING && a->status != AR_STATUS_WARNING &&
	    a->status != AR_STATUS_CONTRAINDICATED)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static ar_alert_rules_t *wazuh, *elastic;
	ar_alert_rules_t *own = NULL, *r;
	const char *text = (const char *)data + 1;
	ar_alert_t a;

	if (!wazuh)
		wazuh = ar_alert_rules_load("wazuh", NULL);
	if (!elastic)
		elastic = ar_alert_rules_load("elastic", NULL);
	if (!wazuh || !elastic)
		abort();
	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		r = wazuh;
		break;
	case 1:
		r = elastic;
		break;
	default:
		r = own = ar_alert_rules_parse(text, size - 1, NULL);
		break;
	}
	if (r && ar_alert_map(r, text, size - 1, &a, NULL) == 0)
		check(&a);
	ar_alert_rules_free(own);
	return 0;
}
