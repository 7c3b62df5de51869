/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The AK registry (tpm_registry.h): one JSON record per device and a Name
 * index, both generic values of the store, changed only by SET NX and
 * compare-and-set.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "b64.h"
#include "hex.h"
#include "json.h"
#include "tpm_registry.h"

#define REG_KEY_MAX	300
#define REG_TEXT_MAX	4096	/* a record's JSON: the public area in base64url and a few numbers */
#define REG_CAS_TRIES	4

static int rec_key(const char *device, char *key, size_t size, ar_err_t *err)
{
	return ar_store_tpm_record_key(device, key, size, err);
}

static int name_key(const uint8_t *name, size_t name_len, char *key, size_t size, ar_err_t *err)
{
	char hex[2 * AR_TPM_REG_NAME_MAX + 1];

	if (name_len < 2 + 20 || name_len > AR_TPM_REG_NAME_MAX)
		return ar_err_set(err, AR_ERR_MALFORMED, "tpm registry: a Name of %zu bytes",
				  name_len);
	if (ar_hex_encode(name, name_len, hex, sizeof(hex), err) < 0)
		return -1;
	return ar_store_tpm_name_key(hex, key, size, err);
}

static ar_tpm_reason_t store_fail(ar_err_t *err, const char *what)
{
	if (err) {
		ar_errc_t code = err->code ? err->code : AR_ERR_IO;
		char msg[sizeof(err->msg)];

		snprintf(msg, sizeof(msg), "%s", err->msg);
		ar_tpm_fail(err, AR_TPM_INTERNAL, code, "tpm registry: %s: %s", what, msg);
	}
	return AR_TPM_INTERNAL;
}

/* The record as JSON text (malloc'd) or NULL. */
static char *rec_encode(const ar_tpm_enrolled_t *e, ar_err_t *err)
{
	char name[2 * AR_TPM_REG_NAME_MAX + 1], ek[2 * AR_TPM_SHA256_LEN + 1];
	char *pub = NULL, *text = NULL;
	json_t *o = NULL;

	if (ar_hex_encode(e->ak_name, e->ak_name_len, name, sizeof(name), err) < 0 ||
	    ar_hex_encode(e->ek, sizeof(e->ek), ek, sizeof(ek), err) < 0)
		return NULL;
	pub = ar_b64url_encode_alloc(e->ak_pub, e->ak_pub_len);
	if (!pub)
		goto nomem;
	o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:b, s:I, s:I, s:I}",
		      "ak_pub", pub, "ak_name", name, "ek", ek,
		      "ek_source", e->ek_source == AR_TPM_EK_PUB ? "pub" : "cert",
		      "enrolled_at", (json_int_t)e->enrolled_at, "clock_set", e->clock_set,
		      "reset_count", (json_int_t)e->clock.reset_count,
		      "restart_count", (json_int_t)e->clock.restart_count,
		      "clock", (json_int_t)(e->clock.clock & INT64_MAX));
	if (!o)
		goto nomem;
	text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	if (!text)
		goto nomem;
	goto out;
nomem:
	ar_err_set(err, AR_ERR_NOMEM, "tpm registry: out of memory");
out:
	json_decref(o);
	free(pub);
	return text;
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Lower-case hex (as rec_encode() writes it) into at most @max bytes. */
static int hex_decode(const char *hex, uint8_t *out, size_t max, size_t *len)
{
	size_t n = strlen(hex), i;

	if (n % 2 || n / 2 > max)
		return -1;
	for (i = 0; i < n / 2; i++) {
		int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*len = n / 2;
	return 0;
}

static int rec_decode(const char *text, size_t len, ar_tpm_enrolled_t *e, ar_err_t *err)
{
	const char *pub, *name, *ek, *source;
	json_int_t at, reset, restart, clock;
	json_error_t je;
	size_t ek_len;
	json_t *o;
	int set, rc = -1;

	memset(e, 0, sizeof(*e));
	o = ar_json_load(text, len, REG_TEXT_MAX, "tpm registry record", err);
	if (!o)
		return -1;
	if (json_unpack_ex(o, &je, JSON_STRICT, "{s:s, s:s, s:s, s:s, s:I, s:b, s:I, s:I, s:I}",
			   "ak_pub", &pub, "ak_name", &name, "ek", &ek, "ek_source", &source,
			   "enrolled_at", &at, "clock_set", &set, "reset_count", &reset,
			   "restart_count", &restart, "clock", &clock) < 0) {
		ar_err_set(err, AR_ERR_MALFORMED, "tpm registry record: %s", je.text);
		goto out;
	}
	if (ar_b64url_decode(pub, strlen(pub), e->ak_pub, sizeof(e->ak_pub), &e->ak_pub_len,
			     err) < 0 ||
	    hex_decode(name, e->ak_name, sizeof(e->ak_name), &e->ak_name_len) < 0 ||
	    hex_decode(ek, e->ek, sizeof(e->ek), &ek_len) < 0 || ek_len != sizeof(e->ek) ||
	    reset < 0 || reset > UINT32_MAX || restart < 0 || restart > UINT32_MAX || clock < 0 ||
	    (strcmp(source, "cert") && strcmp(source, "pub"))) {
		ar_err_set(err, AR_ERR_MALFORMED, "tpm registry record: a field out of range");
		goto out;
	}
	e->ek_source = strcmp(source, "pub") ? AR_TPM_EK_CERT : AR_TPM_EK_PUB;
	e->enrolled_at = at;
	e->clock_set = set;
	e->clock.reset_count = (uint32_t)reset;
	e->clock.restart_count = (uint32_t)restart;
	e->clock.clock = (uint64_t)clock;
	rc = 0;
out:
	json_decref(o);
	return rc;
}

/* Read the record text (*text NULL when absent). 0 or -1. */
static int rec_read(ar_store_t *s, const char *key, char **text, size_t *len, ar_err_t *err)
{
	return ar_store_get(s, key, text, len, err) < 0 ? -1 : 0;
}

ar_tpm_reason_t ar_tpm_registry_get(ar_store_t *s, const char *device, ar_tpm_enrolled_t *out,
				    ar_err_t *err)
{
	char key[REG_KEY_MAX], *text = NULL;
	size_t len = 0;
	ar_tpm_reason_t r;

	memset(out, 0, sizeof(*out));
	if (rec_key(device, key, sizeof(key), err) < 0 || rec_read(s, key, &text, &len, err) < 0)
		return store_fail(err, "read");
	if (!text)
		return ar_tpm_fail(err, AR_TPM_AK_NOT_ENROLLED, AR_ERR_NOT_FOUND,
				   "device %s has no enrolled AK", device);
	r = rec_decode(text, len, out, err) < 0 ? store_fail(err, device) : AR_TPM_OK;
	free(text);
	return r;
}

ar_tpm_reason_t ar_tpm_registry_owner(ar_store_t *s, const uint8_t *name, size_t name_len,
				      char device[AR_STORE_DEVICE_MAX + 1], ar_err_t *err)
{
	char key[REG_KEY_MAX], *dev = NULL;
	size_t len = 0;
	int rc;

	device[0] = '\0';
	if (name_key(name, name_len, key, sizeof(key), err) < 0)
		return store_fail(err, "owner");
	rc = ar_store_get(s, key, &dev, &len, err);
	if (rc < 0)
		return store_fail(err, "owner");
	if (rc == 0)
		return ar_tpm_fail(err, AR_TPM_AK_NOT_ENROLLED, AR_ERR_NOT_FOUND,
				   "the AK is enrolled for no device");
	if (len > AR_STORE_DEVICE_MAX) {
		free(dev);
		return store_fail(err, "owner: a device id too long");
	}
	memcpy(device, dev, len + 1);
	free(dev);
	return AR_TPM_OK;
}

/*
 * Claim the Name for @device: 1 claimed now, 0 already ours, or a refusal
 * (AR_TPM_AK_OTHER_DEVICE) / failure through @r.
 */
static int name_claim(ar_store_t *s, const char *nkey, const char *device, ar_tpm_reason_t *r,
		      ar_err_t *err)
{
	char *owner = NULL;
	int rc;

	rc = ar_store_set_once(s, nkey, device, 0, err);
	if (rc != 0) {
		if (rc < 0)
			*r = store_fail(err, "claim the AK Name");
		return rc;
	}
	rc = ar_store_get(s, nkey, &owner, NULL, err);
	if (rc < 0) {
		*r = store_fail(err, "read the AK Name");
		return -1;
	}
	if (rc == 1 && !strcmp(owner, device)) {
		free(owner);
		return 0;
	}
	*r = ar_tpm_fail(err, AR_TPM_AK_OTHER_DEVICE, AR_ERR_CONFLICT,
			 "this AK is enrolled for another device");
	free(owner);
	return -1;
}

/* Release the Name @nkey if it still names @device. */
static void name_release(ar_store_t *s, const char *nkey, const char *device)
{
	char *owner = NULL;
	ar_err_t e = { 0 };

	if (ar_store_get(s, nkey, &owner, NULL, &e) == 1 && !strcmp(owner, device))
		ar_store_del(s, nkey, &e);
	free(owner);
}

/* Replace or create the record; 1 written, 0 it changed meanwhile, -1 error. */
static int rec_write(ar_store_t *s, const char *key, const char *old, const char *text,
		     ar_err_t *err)
{
	if (!old)
		return ar_store_set_once(s, key, text, 0, err);
	return ar_store_set_if(s, key, old, text, strlen(text), err);
}

ar_tpm_reason_t ar_tpm_registry_put(ar_store_t *s, const char *device,
				    const ar_tpm_enrolled_t *e, unsigned flags, ar_err_t *err)
{
	char key[REG_KEY_MAX], nkey[REG_KEY_MAX], onkey[REG_KEY_MAX];
	char *old = NULL, *text = NULL;
	ar_tpm_enrolled_t rec, cur;
	ar_tpm_reason_t r = AR_TPM_INTERNAL;
	int claimed, tries, rc;
	size_t len;

	if (rec_key(device, key, sizeof(key), err) < 0 ||
	    name_key(e->ak_name, e->ak_name_len, nkey, sizeof(nkey), err) < 0)
		return store_fail(err, "put");
	if (e->ak_pub_len == 0 || e->ak_pub_len > sizeof(e->ak_pub))
		return ar_tpm_fail(err, AR_TPM_MALFORMED, AR_ERR_MALFORMED,
				   "tpm registry: an AK public area of %zu bytes", e->ak_pub_len);
	rec = *e;
	rec.clock_set = 0;
	memset(&rec.clock, 0, sizeof(rec.clock));
	if (!rec.enrolled_at)
		rec.enrolled_at = (int64_t)time(NULL);
	text = rec_encode(&rec, err);
	if (!text)
		return store_fail(err, "encode");
	claimed = name_claim(s, nkey, device, &r, err);
	if (claimed < 0)
		goto out;
	for (tries = 0; tries < REG_CAS_TRIES; tries++) {
		free(old);
		old = NULL;
		if (rec_read(s, key, &old, &len, err) < 0) {
			r = store_fail(err, "read");
			goto out;
		}
		if (old) {
			if (rec_decode(old, len, &cur, err) < 0) {
				r = store_fail(err, device);
				goto out;
			}
			if (cur.ak_name_len == rec.ak_name_len &&
			    !memcmp(cur.ak_name, rec.ak_name, rec.ak_name_len)) {
				r = AR_TPM_OK;	/* enrolled with this AK already */
				goto out;
			}
			if (!(flags & AR_TPM_REG_REENROLL)) {
				r = ar_tpm_fail(err, AR_TPM_AK_ALREADY_ENROLLED, AR_ERR_CONFLICT,
						"device %s is enrolled with another AK", device);
				goto out;
			}
		}
		rc = rec_write(s, key, old, text, err);
		if (rc < 0) {
			r = store_fail(err, "write");
			goto out;
		}
		if (rc == 1) {
			if (old && name_key(cur.ak_name, cur.ak_name_len, onkey, sizeof(onkey),
					    NULL) == 0)
				name_release(s, onkey, device);
			r = AR_TPM_OK;
			goto out;
		}
	}
	ar_err_set(err, AR_ERR_CONFLICT, "the record kept changing");
	r = store_fail(err, device);
out:
	if (r != AR_TPM_OK && claimed == 1)
		name_release(s, nkey, device);
	free(old);
	free(text);
	return r;
}

ar_tpm_reason_t ar_tpm_registry_clock_advance(ar_store_t *s, const char *device,
					      const uint8_t *name, size_t name_len,
					      const ar_tpm_clock_t *now, ar_err_t *err)
{
	char key[REG_KEY_MAX], *old = NULL, *text = NULL;
	ar_tpm_enrolled_t cur;
	ar_tpm_reason_t r = AR_TPM_INTERNAL;
	int tries, rc;
	size_t len;

	if (rec_key(device, key, sizeof(key), err) < 0)
		return store_fail(err, "clock");
	for (tries = 0; tries < REG_CAS_TRIES; tries++) {
		free(old);
		free(text);
		old = text = NULL;
		if (rec_read(s, key, &old, &len, err) < 0) {
			r = store_fail(err, "read");
			goto out;
		}
		if (!old) {
			r = ar_tpm_fail(err, AR_TPM_AK_NOT_ENROLLED, AR_ERR_NOT_FOUND,
					"device %s has no enrolled AK", device);
			goto out;
		}
		if (rec_decode(old, len, &cur, err) < 0) {
			r = store_fail(err, device);
			goto out;
		}
		if (cur.ak_name_len != name_len || memcmp(cur.ak_name, name, name_len)) {
			r = ar_tpm_fail(err, AR_TPM_AK_NOT_ENROLLED, AR_ERR_UNAUTHORIZED,
					"device %s is enrolled with another AK", device);
			goto out;
		}
		r = ar_tpm_clock_check(cur.clock_set ? &cur.clock : NULL, now, err);
		if (r != AR_TPM_OK)
			goto out;
		cur.clock = *now;
		cur.clock.safe = 0;
		cur.clock_set = 1;
		text = rec_encode(&cur, err);
		if (!text) {
			r = store_fail(err, "encode");
			goto out;
		}
		rc = ar_store_set_if(s, key, old, text, strlen(text), err);
		if (rc < 0) {
			r = store_fail(err, "write");
			goto out;
		}
		if (rc == 1) {
			r = AR_TPM_OK;
			goto out;
		}
	}
	ar_err_set(err, AR_ERR_CONFLICT, "the record kept changing");
	r = store_fail(err, device);
out:
	free(old);
	free(text);
	return r;
}

ar_tpm_reason_t ar_tpm_registry_del(ar_store_t *s, const char *device, ar_err_t *err)
{
	if (ar_store_tpm_forget(s, device, err) < 0)
		return store_fail(err, "delete");
	return AR_TPM_OK;
}
