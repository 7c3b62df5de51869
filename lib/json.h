/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file json.h
 * @brief Loading untrusted JSON: size cap, duplicate members refused, and an
 *	  error that names what was being read.
 */
#ifndef AR_JSON_H
#define AR_JSON_H

#include <stddef.h>

#include <jansson.h>

#include "err.h"

/**
 * Parse @p len bytes of JSON text (an object or an array).
 *
 * @param max	longest text accepted.
 * @param what	name of the input for messages ("CMW", "evidence", ...).
 * @return a new reference, or NULL with AR_ERR_TOO_LARGE ("<what> of N bytes
 *	   exceeds M") or AR_ERR_MALFORMED ("<what> is not valid JSON: ...",
 *	   duplicate members included).
 */
json_t *ar_json_load(const char *text, size_t len, size_t max, const char *what, ar_err_t *err);

#endif
