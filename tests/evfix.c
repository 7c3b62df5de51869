/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "evfix.h"
#include "evidence.h"

char *evfix_json(const char *nonce, const char *device, const ar_jwk_t *key, int64_t patched)
{
	ar_evidence_t ev;
	json_t *j;
	char *text;

	memset(&ev, 0, sizeof(ev));
	snprintf(ev.nonce, sizeof(ev.nonce), "%s", nonce);
	ev.collected_at = time(NULL);
	snprintf(ev.device_id, sizeof(ev.device_id), "%s", device);
	snprintf(ev.os_id, sizeof(ev.os_id), "debian");
	snprintf(ev.os_version, sizeof(ev.os_version), "12");
	ev.last_security_update = patched;
	ev.disk_encrypted = ev.edr_running = ev.efi = ev.secure_boot = -1;
	ev.key_non_exportable = 0;
	ev.key_storage = AR_KEY_FILE;
	snprintf(ev.key_jkt, sizeof(ev.key_jkt), "%s", ar_jwk_thumbprint(key));
	j = ar_evidence_to_json(&ev);
	text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return text;
}
