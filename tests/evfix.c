/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Evidence fixtures for the integration tests (evfix.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "evfix.h"
#include "evidence.h"
#include "evidence_jws.h"
#include "jwe.h"

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

char *evfix_signed(const char *nonce, const char *device, const ar_jwk_t *key, int64_t patched,
		   const ar_jwk_t *identity)
{
	char *text = evfix_json(nonce, device, key, patched), *jws;

	jws = text ? ar_evidence_sign_text(text, strlen(text), identity, NULL) : NULL;
	free(text);
	return jws;
}

char *evfix_sealed(const char *nonce, const char *device, const ar_jwk_t *key, int64_t patched,
		   const ar_jwk_t *identity, const ar_jwk_t *enc)
{
	char *jws = evfix_signed(nonce, device, key, patched, identity), *cmw = NULL, *out = NULL;
	json_t *rec = jws ? ar_evidence_cmw_wrap(jws) : NULL, *jwe = NULL;

	cmw = rec ? json_dumps(rec, JSON_COMPACT) : NULL;
	jwe = cmw ? ar_jwe_encrypt(cmw, strlen(cmw), enc, "application/cmw+json", NULL) : NULL;
	out = jwe ? json_dumps(jwe, JSON_COMPACT) : NULL;
	json_decref(jwe);
	json_decref(rec);
	free(cmw);
	free(jws);
	return out;
}

int evfix_enroll(ar_store_t *st, const char *device, const ar_jwk_t *identity)
{
	ar_store_identity_t id;
	json_t *pub = ar_jwk_public_json(identity);
	char *text = pub ? json_dumps(pub, JSON_COMPACT) : NULL;
	int rc = -1;

	memset(&id, 0, sizeof(id));
	if (text && strlen(text) < sizeof(id.jwk)) {
		snprintf(id.jkt, sizeof(id.jkt), "%s", ar_jwk_thumbprint(identity));
		memcpy(id.jwk, text, strlen(text) + 1);
		snprintf(id.eab_kid, sizeof(id.eab_kid), "kid-test");
		rc = ar_store_identity_bind(st, device, &id, NULL, NULL);
	}
	free(text);
	json_decref(pub);
	return rc;
}
