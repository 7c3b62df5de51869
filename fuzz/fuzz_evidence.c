/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: evidence JSON from a device, appraised against a strict
 * reference policy; then, read as a reference policy itself.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>

#include "evidence.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ar_ear_submod_t sm;
	ar_evidence_t ev;
	ar_refpolicy_t p;
	char reason[256];
	json_t *json;

	ar_refpolicy_init(&p);
	p.require_secure_boot = 1;
	snprintf(p.edr_name, sizeof(p.edr_name), "edr");
	if (ar_evidence_parse((const char *)data, size, &ev, NULL) == 0)
		ar_evidence_appraise(&ev, &p, 1800000000, &sm, reason, sizeof(reason));
	json = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (json)
		(void)ar_refpolicy_from_json("fuzz", json, &p, NULL);
	json_decref(json);
	return 0;
}
