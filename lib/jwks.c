/* SPDX-License-Identifier: GPL-2.0-or-later */
/* JWK Sets (RFC 7517 5): parsed, loaded from a file, looked up by kid. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "json.h"
#include "jwk.h"

#define JWKS_MAX_TEXT	(256 * 1024)
#define JWKS_MAX_KEYS	64

struct ar_jwks {
	ar_jwk_t	**keys;
	size_t		count;
};

ar_jwks_t *ar_jwks_parse(const json_t *json, unsigned flags, ar_err_t *err)
{
	const json_t *keys = json_object_get(json, "keys");
	ar_jwks_t *set;
	size_t i, j;

	if (!json_is_array(keys)) {
		ar_err_set(err, AR_ERR_MALFORMED, "JWK set needs a \"keys\" array");
		return NULL;
	}
	if (json_array_size(keys) > JWKS_MAX_KEYS) {
		ar_err_set(err, AR_ERR_TOO_LARGE, "JWK set holds more than %d keys", JWKS_MAX_KEYS);
		return NULL;
	}
	set = calloc(1, sizeof(*set));
	if (set)
		set->keys = calloc(json_array_size(keys) + 1, sizeof(*set->keys));
	if (!set || !set->keys) {
		ar_err_set(err, AR_ERR_NOMEM, "out of memory");
		goto error;
	}
	for (i = 0; i < json_array_size(keys); i++) {
		set->keys[i] = ar_jwk_parse(json_array_get(keys, i), flags, err);
		if (!set->keys[i]) {
			ar_err_prefix(err, "key %zu: ", i);
			goto error;
		}
		set->count++;
		for (j = 0; j < i; j++) {
			const char *a = ar_jwk_kid(set->keys[i]), *b = ar_jwk_kid(set->keys[j]);

			if (a && b && !strcmp(a, b)) {
				ar_err_set(err, AR_ERR_MALFORMED, "key %zu: duplicate kid \"%.64s\"", i, a);
				goto error;
			}
		}
	}
	return set;
error:
	ar_jwks_free(set);
	return NULL;
}

ar_jwks_t *ar_jwks_load(const char *path, unsigned flags, ar_err_t *err)
{
	json_error_t jerr;
	ar_jwks_t *set;
	json_t *json;
	size_t len;
	char *text;

	if (ar_file_read(path, JWKS_MAX_TEXT, &text, &len, err) < 0)
		return NULL;
	json = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	OPENSSL_cleanse(text, len);
	free(text);
	if (!json) {
		ar_err_set(err, AR_ERR_MALFORMED, "%s:%d: %s", path, jerr.line, jerr.text);
		return NULL;
	}
	set = ar_jwks_parse(json, flags, err);
	json_decref(json);
	if (!set)
		ar_err_prefix(err, "%s: ", path);
	return set;
}

void ar_jwks_free(ar_jwks_t *set)
{
	size_t i;

	if (!set)
		return;
	for (i = 0; i < set->count; i++)
		ar_jwk_free(set->keys[i]);
	free(set->keys);
	free(set);
}

size_t ar_jwks_count(const ar_jwks_t *set)
{
	return set->count;
}

const ar_jwk_t *ar_jwks_get(const ar_jwks_t *set, size_t i)
{
	return i < set->count ? set->keys[i] : NULL;
}

const ar_jwk_t *ar_jwks_find(const ar_jwks_t *set, const char *kid)
{
	size_t i;

	if (!kid)
		return NULL;
	for (i = 0; i < set->count; i++) {
		const char *k = ar_jwk_kid(set->keys[i]);

		if (k && !strcmp(k, kid))
			return set->keys[i];
	}
	return NULL;
}
