/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Loading untrusted JSON: size cap, no duplicate members, precise errors (json.h). */
#include "config.h"

#include "json.h"

json_t *ar_json_load(const char *text, size_t len, size_t max, const char *what, ar_err_t *err)
{
	json_error_t jerr;
	json_t *json;

	if (len > max) {
		ar_err_set(err, AR_ERR_TOO_LARGE, "%s of %zu bytes exceeds %zu", what, len, max);
		return NULL;
	}
	json = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json)
		ar_err_set(err, AR_ERR_MALFORMED, "%s is not valid JSON: %s", what, jerr.text);
	return json;
}
