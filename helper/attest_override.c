/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The attester's overrides: a JSON document of evidence fields that replace
 * what was read from the system (a test bench, or a field the device
 * cannot read itself). Every field is checked as strictly as a collected
 * one, and the evidence is checked whole afterwards by ar_attest_collect().
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest.h"
#include "fileio.h"

static int ov_str(const json_t *v, char *dst, size_t size, const char *what, int nullable,
		  ar_err_t *err)
{
	const char *s;

	if (!v)
		return 0;
	if (json_is_null(v) && nullable) {
		dst[0] = '\0';
		return 0;
	}
	if (!json_is_string(v))
		return ar_err_set(err, AR_ERR_MALFORMED, "override \"%s\" must be a string%s", what,
				  nullable ? " or null" : "");
	s = json_string_value(v);
	if (json_string_length(v) != strlen(s) || strlen(s) >= size)
		return ar_err_set(err, AR_ERR_MALFORMED,
				  "override \"%s\" must be at most %zu characters", what, size - 1);
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

static int ov_bool(const json_t *v, int *dst, const char *what, ar_err_t *err)
{
	if (!v)
		return 0;
	if (json_is_null(v))
		*dst = -1;
	else if (json_is_boolean(v))
		*dst = json_is_true(v);
	else
		return ar_err_set(err, AR_ERR_MALFORMED, "override \"%s\" must be true, false or null",
				  what);
	return 0;
}

/* Unix seconds up to the year 9999; null means unknown (0) when allowed. */
static int ov_time(const json_t *v, int64_t *dst, const char *what, int nullable, ar_err_t *err)
{
	json_int_t t;

	if (!v)
		return 0;
	if (json_is_null(v) && nullable) {
		*dst = 0;
		return 0;
	}
	t = json_is_integer(v) ? json_integer_value(v) : -1;
	if (t <= 0 || t > 253402300799LL)
		return ar_err_set(err, AR_ERR_MALFORMED,
				  "override \"%s\" must be a positive time in unix seconds%s", what,
				  nullable ? " or null" : "");
	*dst = t;
	return 0;
}

static int ov_unpack(json_t *obj, const char *section, ar_err_t *err, const char *fmt, ...)
{
	json_error_t jerr;
	va_list ap;
	int rc;

	if (!obj)
		return 0;
	va_start(ap, fmt);
	rc = json_vunpack_ex(obj, &jerr, JSON_STRICT, fmt, ap);
	va_end(ap);
	if (rc < 0)
		return ar_err_set(err, AR_ERR_MALFORMED, "override \"%s\": %s", section, jerr.text);
	return 0;
}

static int apply_overrides(ar_evidence_t *ev, json_t *doc, ar_err_t *err)
{
	json_t *nonce = NULL, *collected = NULL, *dev = NULL, *os = NULL, *patch = NULL;
	json_t *disk = NULL, *edr = NULL, *sb = NULL, *key = NULL;
	json_t *dev_id = NULL, *host = NULL, *os_id = NULL, *os_ver = NULL, *kernel = NULL;
	json_t *last = NULL, *enc = NULL, *method = NULL, *edr_name = NULL, *running = NULL;
	json_t *efi = NULL, *enabled = NULL, *storage = NULL, *nonexp = NULL, *jkt = NULL;
	char storage_name[16] = "";
	json_error_t jerr;

	if (json_unpack_ex(doc, &jerr, JSON_STRICT, "{s?o,s?o,s?o,s?o,s?o,s?o,s?o,s?o,s?o}",
			   "nonce", &nonce, "collected_at", &collected, "device", &dev, "os", &os,
			   "patch", &patch, "disk_encryption", &disk, "edr", &edr,
			   "secure_boot", &sb, "key", &key) < 0)
		return ar_err_set(err, AR_ERR_MALFORMED, "override: %s", jerr.text);
	if (ov_unpack(dev, "device", err, "{s?o,s?o}", "id", &dev_id, "hostname", &host) < 0 ||
	    ov_unpack(os, "os", err, "{s?o,s?o,s?o}", "id", &os_id, "version_id", &os_ver,
		      "kernel", &kernel) < 0 ||
	    ov_unpack(patch, "patch", err, "{s?o}", "last_security_update", &last) < 0 ||
	    ov_unpack(disk, "disk_encryption", err, "{s?o,s?o}", "root_encrypted", &enc,
		      "method", &method) < 0 ||
	    ov_unpack(edr, "edr", err, "{s?o,s?o}", "name", &edr_name, "running", &running) < 0 ||
	    ov_unpack(sb, "secure_boot", err, "{s?o,s?o}", "efi", &efi, "enabled", &enabled) < 0 ||
	    ov_unpack(key, "key", err, "{s?o,s?o,s?o}", "storage", &storage,
		      "non_exportable", &nonexp, "jkt", &jkt) < 0)
		return -1;

	if (ov_str(nonce, ev->nonce, sizeof(ev->nonce), "nonce", 0, err) < 0 ||
	    ov_time(collected, &ev->collected_at, "collected_at", 0, err) < 0 ||
	    ov_str(dev_id, ev->device_id, sizeof(ev->device_id), "device.id", 0, err) < 0 ||
	    ov_str(host, ev->hostname, sizeof(ev->hostname), "device.hostname", 1, err) < 0 ||
	    ov_str(os_id, ev->os_id, sizeof(ev->os_id), "os.id", 0, err) < 0 ||
	    ov_str(os_ver, ev->os_version, sizeof(ev->os_version), "os.version_id", 0, err) < 0 ||
	    ov_str(kernel, ev->kernel, sizeof(ev->kernel), "os.kernel", 1, err) < 0 ||
	    ov_time(last, &ev->last_security_update, "patch.last_security_update", 1, err) < 0 ||
	    ov_bool(enc, &ev->disk_encrypted, "disk_encryption.root_encrypted", err) < 0 ||
	    ov_str(method, ev->disk_method, sizeof(ev->disk_method), "disk_encryption.method", 1,
		   err) < 0 ||
	    ov_str(edr_name, ev->edr_name, sizeof(ev->edr_name), "edr.name", 1, err) < 0 ||
	    ov_bool(running, &ev->edr_running, "edr.running", err) < 0 ||
	    ov_bool(efi, &ev->efi, "secure_boot.efi", err) < 0 ||
	    ov_bool(enabled, &ev->secure_boot, "secure_boot.enabled", err) < 0 ||
	    ov_str(storage, storage_name, sizeof(storage_name), "key.storage", 0, err) < 0 ||
	    ov_bool(nonexp, &ev->key_non_exportable, "key.non_exportable", err) < 0 ||
	    ov_str(jkt, ev->key_jkt, sizeof(ev->key_jkt), "key.jkt", 0, err) < 0)
		return -1;
	if (storage && ar_key_storage_parse(storage_name, &ev->key_storage) < 0)
		return ar_err_set(err, AR_ERR_MALFORMED,
				  "override \"key.storage\" must be file, tpm or pkcs11");
	if (!ev->nonce[0] || !ev->device_id[0])
		return ar_err_set(err, AR_ERR_MALFORMED,
				  "override: \"nonce\" and \"device.id\" cannot be empty");
	if (jkt && strlen(ev->key_jkt) != AR_JWK_THUMBPRINT_LEN)
		return ar_err_set(err, AR_ERR_MALFORMED,
				  "override \"key.jkt\" must be a SHA-256 JWK thumbprint");
	return 0;
}

int ar_attest_apply_overrides(ar_evidence_t *ev, const char *text, size_t len, ar_err_t *err)
{
	ar_evidence_t tmp = *ev;
	json_error_t jerr;
	json_t *doc;
	int rc;

	if (len > AR_ATTEST_OVERRIDE_MAX)
		return ar_err_set(err, AR_ERR_TOO_LARGE, "override of %zu bytes exceeds %d", len,
				  AR_ATTEST_OVERRIDE_MAX);
	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc)
		return ar_err_set(err, AR_ERR_MALFORMED, "override is not valid JSON: %s (line %d)",
				  jerr.text, jerr.line);
	if (!json_is_object(doc)) {
		json_decref(doc);
		return ar_err_set(err, AR_ERR_MALFORMED, "override must be a JSON object");
	}
	rc = apply_overrides(&tmp, doc, err);
	json_decref(doc);
	if (rc == 0)
		*ev = tmp;
	return rc;
}

int ar_attest_apply_override_file(ar_evidence_t *ev, const char *path, ar_err_t *err)
{
	char *text;
	size_t len;
	int rc;

	if (ar_file_read(path, AR_ATTEST_OVERRIDE_MAX, &text, &len, err) < 0)
		return -1;
	rc = ar_attest_apply_overrides(ev, text, len, err);
	free(text);
	if (rc < 0)
		ar_err_prefix(err, "%s: ", path);
	return rc;
}

