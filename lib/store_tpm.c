/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The verifier's TPM AK registry as other programs meet it: its key names
 * and forgetting a device's enrolment (acme-rats-ctl reenrol). The records
 * themselves are read and written by the verifier (verifier/tpm_registry.c).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "store.h"

/* The hex of a TPM Name: algorithm (2 bytes) and digest, at most 66 bytes. */
#define NAME_HEX_MAX	132

int ar_store_tpm_record_key(const char *device, char *key, size_t size, ar_err_t *err)
{
	int n;

	if (ar_store_device_valid(device, err) < 0)
		return -1;
	n = snprintf(key, size, "tpm:{dev:%s}:ak", device);
	if (n < 0 || (size_t)n >= size)
		return ar_err_set(err, AR_ERR_MALFORMED, "tpm registry: key too long");
	return 0;
}

int ar_store_tpm_name_key(const char *name_hex, char *key, size_t size, ar_err_t *err)
{
	size_t len = strlen(name_hex);
	int n;

	if (len < 2 * (2 + 20) || len > NAME_HEX_MAX || len % 2 ||
	    strspn(name_hex, "0123456789abcdef") != len)
		return ar_err_set(err, AR_ERR_MALFORMED, "tpm registry: not a Name in lower-case hex");
	n = snprintf(key, size, "tpm:akname:%s", name_hex);
	if (n < 0 || (size_t)n >= size)
		return ar_err_set(err, AR_ERR_MALFORMED, "tpm registry: key too long");
	return 0;
}

/* The AK Name (hex) a record names, into @hex; -1 when it names none. */
static int record_name(const char *text, size_t len, char *hex, size_t size)
{
	json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	const char *name = NULL;
	int rc = -1;

	if (o && json_unpack(o, "{s:s}", "ak_name", &name) == 0 && strlen(name) < size) {
		memcpy(hex, name, strlen(name) + 1);
		rc = 0;
	}
	json_decref(o);
	return rc;
}

int ar_store_tpm_forget(ar_store_t *s, const char *device, ar_err_t *err)
{
	char key[300], nkey[300], hex[NAME_HEX_MAX + 1];
	char *text = NULL, *owner = NULL;
	size_t len = 0;
	int rc, named;

	if (ar_store_tpm_record_key(device, key, sizeof(key), err) < 0)
		return -1;
	rc = ar_store_get(s, key, &text, &len, err);
	if (rc <= 0)
		return rc;
	/* The record first: a Name left claimed still names only this device. */
	named = record_name(text, len, hex, sizeof(hex)) == 0 &&
		ar_store_tpm_name_key(hex, nkey, sizeof(nkey), NULL) == 0;
	free(text);
	if (ar_store_del(s, key, err) < 0)
		return -1;
	if (named) {
		rc = ar_store_get(s, nkey, &owner, NULL, err);
		if (rc == 1 && !strcmp(owner, device))
			rc = ar_store_del(s, nkey, err);
		free(owner);
		if (rc < 0)
			return -1;
	}
	return 1;
}
