/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Device evidence and its appraisal against reference values (evidence.h). */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evidence.h"
#include "json.h"

/* Claim values written for each tier (AR4SI ranges: 2-31, 32-95, 96-127). */
#define TV_AFFIRMING		2
#define TV_WARNING		32
#define TV_CONTRAINDICATED	96

static const char *const storage_names[] = {
	[AR_KEY_FILE] = "file",
	[AR_KEY_TPM] = "tpm",
	[AR_KEY_PKCS11] = "pkcs11",
};

const char *ar_key_storage_name(ar_key_storage_t s)
{
	return (unsigned)s <= AR_KEY_PKCS11 ? storage_names[s] : "unknown";
}

int ar_key_storage_parse(const char *s, ar_key_storage_t *out)
{
	size_t i;

	for (i = 0; s && i < sizeof(storage_names) / sizeof(storage_names[0]); i++) {
		if (!strcmp(s, storage_names[i])) {
			*out = (ar_key_storage_t)i;
			return 0;
		}
	}
	return -1;
}

static int copy(char *dst, size_t size, const char *src, const char *what, ar_err_t *err)
{
	size_t n = src ? strlen(src) : 0;

	if (n >= size)
		return ar_err_set(err, AR_ERR_MALFORMED, "evidence \"%s\" longer than %zu characters",
				  what, size - 1);
	memcpy(dst, src ? src : "", n + 1);
	return 0;
}

int ar_evidence_from_json(const json_t *json, ar_evidence_t *ev, ar_err_t *err)
{
	const char *nonce, *dev_id, *host = NULL, *os_id, *os_ver, *kernel = NULL;
	const char *method = NULL, *edr = NULL, *storage, *jkt;
	json_int_t collected, patched = 0;
	int disk = -1, edr_run = -1, efi = -1, sb = -1, nonexp = -1;
	json_error_t jerr;

	memset(ev, 0, sizeof(*ev));
	if (json_unpack_ex((json_t *)json, &jerr, JSON_STRICT,
			   "{s:s, s:I, s:{s:s, s?s}, s:{s:s, s:s, s?s}, s?{s:I},"
			   " s?{s:b, s?s}, s?{s?s, s:b}, s?{s:b, s:b}, s:{s:s, s?b, s:s}}",
			   "nonce", &nonce, "collected_at", &collected,
			   "device", "id", &dev_id, "hostname", &host,
			   "os", "id", &os_id, "version_id", &os_ver, "kernel", &kernel,
			   "patch", "last_security_update", &patched,
			   "disk_encryption", "root_encrypted", &disk, "method", &method,
			   "edr", "name", &edr, "running", &edr_run,
			   "secure_boot", "efi", &efi, "enabled", &sb,
			   "key", "storage", &storage, "non_exportable", &nonexp, "jkt", &jkt) < 0)
		return ar_err_set(err, AR_ERR_MALFORMED, "evidence: %s", jerr.text);

	if (collected <= 0 || patched < 0)
		return ar_err_set(err, AR_ERR_MALFORMED, "evidence: times must be positive");
	if (!*dev_id)
		return ar_err_set(err, AR_ERR_MALFORMED, "evidence: empty device id");
	if (strlen(jkt) != AR_JWK_THUMBPRINT_LEN)
		return ar_err_set(err, AR_ERR_MALFORMED,
				  "evidence: key \"jkt\" must be a SHA-256 JWK thumbprint");
	if (ar_key_storage_parse(storage, &ev->key_storage) < 0)
		return ar_err_set(err, AR_ERR_MALFORMED,
				  "evidence: key storage \"%.16s\" is not file, tpm or pkcs11", storage);
	if (copy(ev->nonce, sizeof(ev->nonce), nonce, "nonce", err) < 0 ||
	    copy(ev->device_id, sizeof(ev->device_id), dev_id, "device.id", err) < 0 ||
	    copy(ev->hostname, sizeof(ev->hostname), host, "device.hostname", err) < 0 ||
	    copy(ev->os_id, sizeof(ev->os_id), os_id, "os.id", err) < 0 ||
	    copy(ev->os_version, sizeof(ev->os_version), os_ver, "os.version_id", err) < 0 ||
	    copy(ev->kernel, sizeof(ev->kernel), kernel, "os.kernel", err) < 0 ||
	    copy(ev->disk_method, sizeof(ev->disk_method), method, "disk_encryption.method", err) < 0 ||
	    copy(ev->edr_name, sizeof(ev->edr_name), edr, "edr.name", err) < 0 ||
	    copy(ev->key_jkt, sizeof(ev->key_jkt), jkt, "key.jkt", err) < 0)
		return -1;
	ev->collected_at = collected;
	ev->last_security_update = patched;
	ev->disk_encrypted = disk;
	ev->edr_running = edr_run;
	ev->efi = efi;
	ev->secure_boot = sb;
	ev->key_non_exportable = nonexp;
	return 0;
}

int ar_evidence_parse(const char *text, size_t len, ar_evidence_t *ev, ar_err_t *err)
{
	json_t *json;
	int rc;

	memset(ev, 0, sizeof(*ev));
	json = ar_json_load(text, len, AR_EVIDENCE_MAX_TEXT, "evidence", err);
	if (!json)
		return -1;
	rc = ar_evidence_from_json(json, ev, err);
	json_decref(json);
	return rc;
}

/* Add a member to @obj unless the value is unknown. */
static void put_bool(json_t *obj, const char *k, int v)
{
	if (v >= 0)
		json_object_set_new(obj, k, json_boolean(v));
}

static void put_str(json_t *obj, const char *k, const char *v)
{
	if (v[0])
		json_object_set_new(obj, k, json_string(v));
}

json_t *ar_evidence_to_json(const ar_evidence_t *ev)
{
	json_t *root, *dev, *os, *disk, *edr, *sb, *key;

	root = json_pack("{s:s,s:I}", "nonce", ev->nonce, "collected_at",
			 (json_int_t)ev->collected_at);
	dev = json_pack("{s:s}", "id", ev->device_id);
	os = json_pack("{s:s,s:s}", "id", ev->os_id, "version_id", ev->os_version);
	key = json_pack("{s:s,s:s}", "storage", ar_key_storage_name(ev->key_storage),
			"jkt", ev->key_jkt);
	disk = json_object();
	edr = json_object();
	sb = json_object();
	if (!root || !dev || !os || !key || !disk || !edr || !sb) {
		json_decref(root);
		json_decref(dev);
		json_decref(os);
		json_decref(key);
		json_decref(disk);
		json_decref(edr);
		json_decref(sb);
		return NULL;
	}
	put_str(dev, "hostname", ev->hostname);
	put_str(os, "kernel", ev->kernel);
	put_bool(key, "non_exportable", ev->key_non_exportable);
	json_object_set_new(root, "device", dev);
	json_object_set_new(root, "os", os);
	json_object_set_new(root, "key", key);
	if (ev->last_security_update)
		json_object_set_new(root, "patch", json_pack("{s:I}", "last_security_update",
							     (json_int_t)ev->last_security_update));
	if (ev->disk_encrypted >= 0) {
		put_bool(disk, "root_encrypted", ev->disk_encrypted);
		put_str(disk, "method", ev->disk_method);
		json_object_set_new(root, "disk_encryption", disk);
	} else {
		json_decref(disk);
	}
	if (ev->edr_running >= 0) {
		put_str(edr, "name", ev->edr_name);
		put_bool(edr, "running", ev->edr_running);
		json_object_set_new(root, "edr", edr);
	} else {
		json_decref(edr);
	}
	if (ev->efi >= 0 && ev->secure_boot >= 0) {
		put_bool(sb, "efi", ev->efi);
		put_bool(sb, "enabled", ev->secure_boot);
		json_object_set_new(root, "secure_boot", sb);
	} else {
		json_decref(sb);
	}
	return root;
}

/* Numeric value of one dotted component, or -1 if it is not all digits. */
static long component(const char *s, size_t len)
{
	long v = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]) || v > 100000000)
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int ar_version_cmp(const char *a, const char *b)
{
	while (*a || *b) {
		size_t la = strcspn(a, "."), lb = strcspn(b, ".");
		long va = component(a, la), vb = component(b, lb);

		if (va >= 0 && vb >= 0) {
			if (va != vb)
				return va < vb ? -1 : 1;
		} else {
			int c = strncmp(a, b, la > lb ? la : lb);

			if (c)
				return c < 0 ? -1 : 1;
		}
		a += la + (a[la] == '.');
		b += lb + (b[lb] == '.');
	}
	return 0;
}

void ar_refpolicy_init(ar_refpolicy_t *p)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "default");
	p->nos = 1;
	snprintf(p->os[0].id, sizeof(p->os[0].id), "debian");
	snprintf(p->os[0].min_version, sizeof(p->os[0].min_version), "12");
	p->max_patch_age = 90 * 86400;
	p->patch_warn_age = 60 * 86400;
	p->patch_severity = AR_STATUS_CONTRAINDICATED;
	p->require_disk_encryption = 1;
	p->disk_severity = AR_STATUS_CONTRAINDICATED;
	p->edr_severity = AR_STATUS_CONTRAINDICATED;
	p->key_storage_allowed = (1u << AR_KEY_FILE) | (1u << AR_KEY_TPM) | (1u << AR_KEY_PKCS11);
	p->key_severity = AR_STATUS_CONTRAINDICATED;
	p->secure_boot_severity = AR_STATUS_WARNING;
	p->max_evidence_age = 300;
}

static int severity(const char *s, ar_status_t *out, const char *what, ar_err_t *err)
{
	if (!s)
		return 0;
	if (ar_status_parse(s, out) < 0 ||
	    (*out != AR_STATUS_WARNING && *out != AR_STATUS_CONTRAINDICATED))
		return ar_err_set(err, AR_ERR_CONFIG,
				  "reference policy: \"%s\" must be warning or contraindicated", what);
	return 0;
}

/* A reference policy's "os": 1..8 {"id", "min_version"} objects. */
static int policy_os(const json_t *os, ar_refpolicy_t *p, ar_err_t *err)
{
	json_error_t jerr;
	size_t i;

	if (!json_is_array(os) || json_array_size(os) == 0 || json_array_size(os) > 8)
		return ar_err_set(err, AR_ERR_CONFIG, "reference policy: \"os\" must list 1..8 "
				  "{\"id\", \"min_version\"} objects");
	p->nos = json_array_size(os);
	for (i = 0; i < p->nos; i++) {
		const char *id, *minv = "0";

		if (json_unpack_ex(json_array_get(os, i), &jerr, JSON_STRICT, "{s:s, s?s}", "id", &id,
				   "min_version", &minv) < 0 ||
		    copy(p->os[i].id, sizeof(p->os[i].id), id, "os.id", err) < 0 ||
		    copy(p->os[i].min_version, sizeof(p->os[i].min_version), minv, "os.min_version",
			 err) < 0)
			return ar_err_set(err, AR_ERR_CONFIG, "reference policy: os[%zu] invalid", i);
	}
	return 0;
}

/* A reference policy's "key_storage": the storages allowed, as a bit set. */
static int policy_key_storage(const json_t *stores, ar_refpolicy_t *p, ar_err_t *err)
{
	size_t i;

	if (!json_is_array(stores) || json_array_size(stores) == 0)
		return ar_err_set(err, AR_ERR_CONFIG, "key_storage must list file/tpm/pkcs11");
	p->key_storage_allowed = 0;
	for (i = 0; i < json_array_size(stores); i++) {
		ar_key_storage_t s;

		if (ar_key_storage_parse(json_string_value(json_array_get(stores, i)), &s) < 0)
			return ar_err_set(err, AR_ERR_CONFIG,
					  "key_storage[%zu] must be file, tpm or pkcs11", i);
		p->key_storage_allowed |= 1u << s;
	}
	return 0;
}

int ar_refpolicy_from_json(const char *name, const json_t *json, ar_refpolicy_t *p,
			   ar_err_t *err)
{
	const char *psev = NULL, *dsev = NULL, *esev = NULL, *ksev = NULL, *ssev = NULL;
	const char *edr = NULL;
	json_t *os = NULL, *stores = NULL;
	json_int_t max_days = -1, warn_days = -1, ev_age = -1;
	int disk = -1, nonexp = -1, sb = -1;
	json_error_t jerr;

	ar_refpolicy_init(p);
	if (snprintf(p->name, sizeof(p->name), "%s", name) >= (int)sizeof(p->name))
		return ar_err_set(err, AR_ERR_CONFIG, "reference policy name too long");
	if (json_unpack_ex((json_t *)json, &jerr, JSON_STRICT,
			   "{s?o, s?I, s?I, s?s, s?b, s?s, s?s, s?s, s?o, s?b, s?s, s?b, s?s, s?I}",
			   "os", &os, "max_patch_age_days", &max_days,
			   "patch_warning_days", &warn_days, "patch_severity", &psev,
			   "require_disk_encryption", &disk, "disk_severity", &dsev,
			   "edr_process", &edr, "edr_severity", &esev,
			   "key_storage", &stores, "require_non_exportable_key", &nonexp,
			   "key_severity", &ksev, "require_secure_boot", &sb,
			   "secure_boot_severity", &ssev, "max_evidence_age", &ev_age) < 0)
		return ar_err_set(err, AR_ERR_CONFIG, "reference policy \"%s\": %s", name, jerr.text);

	if (os && policy_os(os, p, err) < 0)
		return -1;
	if (max_days != -1) {
		if (max_days < 0 || max_days > 3650)
			return ar_err_set(err, AR_ERR_CONFIG, "max_patch_age_days must be 0..3650");
		p->max_patch_age = max_days * 86400;
		p->patch_warn_age = p->max_patch_age;
	}
	if (warn_days != -1) {
		if (warn_days < 0 || warn_days * 86400 > p->max_patch_age)
			return ar_err_set(err, AR_ERR_CONFIG,
					  "patch_warning_days must be 0..max_patch_age_days");
		p->patch_warn_age = warn_days * 86400;
	}
	if (ev_age != -1) {
		if (ev_age <= 0 || ev_age > 86400)
			return ar_err_set(err, AR_ERR_CONFIG, "max_evidence_age must be 1..86400 s");
		p->max_evidence_age = ev_age;
	}
	if (disk != -1)
		p->require_disk_encryption = disk;
	if (nonexp != -1)
		p->require_non_exportable = nonexp;
	if (sb != -1)
		p->require_secure_boot = sb;
	if (edr && copy(p->edr_name, sizeof(p->edr_name), edr, "edr_process", err) < 0)
		return -1;
	if (stores && policy_key_storage(stores, p, err) < 0)
		return -1;
	if (severity(psev, &p->patch_severity, "patch_severity", err) < 0 ||
	    severity(dsev, &p->disk_severity, "disk_severity", err) < 0 ||
	    severity(esev, &p->edr_severity, "edr_severity", err) < 0 ||
	    severity(ksev, &p->key_severity, "key_severity", err) < 0 ||
	    severity(ssev, &p->secure_boot_severity, "secure_boot_severity", err) < 0)
		return -1;
	return 0;
}

static int8_t tier_value(ar_status_t s)
{
	return s == AR_STATUS_AFFIRMING ? TV_AFFIRMING
	     : s == AR_STATUS_WARNING ? TV_WARNING : TV_CONTRAINDICATED;
}

/* Append "; what" to the reason. */
static void note(char *reason, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void note(char *reason, size_t size, const char *fmt, ...)
{
	size_t len = strnlen(reason, size);
	va_list ap;

	if (len + 3 >= size)
		return;
	if (len) {
		memcpy(reason + len, "; ", 3);
		len += 2;
	}
	va_start(ap, fmt);
	vsnprintf(reason + len, size - len, fmt, ap);
	va_end(ap);
}

static int os_approved(const ar_evidence_t *ev, const ar_refpolicy_t *p)
{
	size_t i;

	for (i = 0; i < p->nos; i++)
		if (!strcmp(ev->os_id, p->os[i].id) &&
		    ar_version_cmp(ev->os_version, p->os[i].min_version) >= 0)
			return 1;
	return 0;
}

/* The worse of two claim values: no claim < affirming < warning < contraindicated. */
static int8_t worse(int8_t a, int8_t b)
{
	int ta = a ? ar_tv_tier(a) : -1, tb = b ? ar_tv_tier(b) : -1;

	return tb > ta ? b : a;
}

/* configuration: the operating system release and how recently it was patched. */
static int8_t appraise_configuration(const ar_evidence_t *ev, const ar_refpolicy_t *p,
				     int64_t now, char *reason, size_t size)
{
	int64_t age;

	if (!os_approved(ev, p)) {
		note(reason, size, "operating system %s %s is not approved", ev->os_id, ev->os_version);
		return TV_CONTRAINDICATED;
	}
	if (!p->max_patch_age)
		return TV_AFFIRMING;
	if (!ev->last_security_update) {
		note(reason, size, "time of the last security update unknown");
		return tier_value(p->patch_severity);
	}
	age = now - ev->last_security_update;
	if (age > p->max_patch_age) {
		note(reason, size, "last security update %lld days ago (limit %lld)",
		     (long long)(age / 86400), (long long)(p->max_patch_age / 86400));
		return tier_value(p->patch_severity);
	}
	if (age > p->patch_warn_age) {
		note(reason, size, "last security update %lld days ago (warning after %lld)",
		     (long long)(age / 86400), (long long)(p->patch_warn_age / 86400));
		return TV_WARNING;
	}
	return TV_AFFIRMING;
}

/* executables: boot integrity (secure boot) and the EDR agent at run time. */
static int8_t appraise_executables(const ar_evidence_t *ev, const ar_refpolicy_t *p,
				   char *reason, size_t size)
{
	int8_t boot = 0, runtime = 0;

	if (ev->secure_boot == 1) {
		boot = TV_AFFIRMING;
	} else if (p->require_secure_boot) {
		note(reason, size, "secure boot %s", ev->secure_boot == 0 ? "disabled" : "unknown");
		boot = tier_value(p->secure_boot_severity);
	}
	if (p->edr_name[0]) {
		if (ev->edr_running == 1 && !strcmp(ev->edr_name, p->edr_name)) {
			runtime = TV_AFFIRMING;
		} else {
			note(reason, size, "endpoint agent %s not running", p->edr_name);
			runtime = tier_value(p->edr_severity);
		}
	}
	return worse(boot, runtime);
}

/* Does the policy ask for a key that only hardware can hold? */
static int wants_hardware_key(const ar_refpolicy_t *p)
{
	return p->require_non_exportable || !(p->key_storage_allowed & (1u << AR_KEY_FILE));
}

/*
 * storage-opaque: where the key to be certified is kept, and the disk it
 * may sit on. Affirming needs a key proven to be in hardware (key_attested,
 * TPM key certification); a key store the device only declares is no
 * proof, and an encrypted disk alone is not key storage: a policy that
 * asks for a hardware key gets warning at best, one that does not gets no
 * claim. A failed requirement gets its severity.
 */
static int8_t appraise_key_storage(const ar_evidence_t *ev, const ar_refpolicy_t *p,
				   char *reason, size_t size)
{
	int8_t tv = 0;

	if (!(p->key_storage_allowed & (1u << ev->key_storage))) {
		note(reason, size, "key storage %s is not allowed", ar_key_storage_name(ev->key_storage));
		tv = worse(tv, tier_value(p->key_severity));
	}
	if (p->require_non_exportable && ev->key_non_exportable != 1) {
		note(reason, size, "key is exportable");
		tv = worse(tv, tier_value(p->key_severity));
	}
	if (p->require_disk_encryption && ev->disk_encrypted != 1) {
		note(reason, size, "disk %s", ev->disk_encrypted == 0 ? "not encrypted"
								     : "encryption unknown");
		tv = worse(tv, tier_value(p->disk_severity));
	}
	if (tv)
		return tv;
	if (ev->key_attested)
		return TV_AFFIRMING;
	if (wants_hardware_key(p)) {
		note(reason, size, "key storage %s is declared, not proven (no key attestation)",
		     ar_key_storage_name(ev->key_storage));
		return TV_WARNING;
	}
	return 0;
}

int ar_evidence_check_time(const ar_evidence_t *ev, const ar_refpolicy_t *p, int64_t now,
			   char *why, size_t size)
{
	if (ev->collected_at > now + AR_EVIDENCE_MAX_AHEAD) {
		snprintf(why, size, "evidence collected_at is %lld s ahead of the verifier's clock "
			 "(tolerance %d s): check the device's clock",
			 (long long)(ev->collected_at - now), AR_EVIDENCE_MAX_AHEAD);
		return -1;
	}
	if (now - ev->collected_at > p->max_evidence_age) {
		snprintf(why, size, "evidence collected_at is %lld s behind the verifier's clock "
			 "(max_evidence_age %lld s): stale evidence, or the device's clock is behind",
			 (long long)(now - ev->collected_at), (long long)p->max_evidence_age);
		return -1;
	}
	return 0;
}

void ar_evidence_appraise(const ar_evidence_t *ev, const ar_refpolicy_t *p, int64_t now,
			  ar_ear_submod_t *out, char *reason, size_t size)
{
	int8_t *tv = out->tv.v;

	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "device");
	snprintf(out->policy_id, sizeof(out->policy_id), "acme-rats:%s", p->name);
	if (size)
		reason[0] = '\0';

	if (ar_evidence_check_time(ev, p, now, reason, size) < 0) {
		out->status = AR_STATUS_NONE;
		return;
	}

	/* Each check feeds one claim (docs/verifier.md, "What each claim means"). */
	tv[AR_TV_INSTANCE_IDENTITY] = ev->identity_verified ? TV_AFFIRMING : 0;
	tv[AR_TV_CONFIGURATION] = appraise_configuration(ev, p, now, reason, size);
	tv[AR_TV_EXECUTABLES] = appraise_executables(ev, p, reason, size);
	tv[AR_TV_STORAGE_OPAQUE] = appraise_key_storage(ev, p, reason, size);

	out->status = AR_STATUS_AFFIRMING;
	out->status = ar_ear_submod_status(out);
	if (size && !reason[0])
		snprintf(reason, size, "all checks passed");
}
