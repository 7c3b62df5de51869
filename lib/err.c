/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Filling in the error record, and the names of its codes (err.h). */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

int ar_err_set(ar_err_t *err, ar_errc_t code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -1;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int ar_err_prefix(ar_err_t *err, const char *fmt, ...)
{
	char prefix[128];
	size_t plen, mlen;
	va_list ap;

	if (!err)
		return -1;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);

	plen = strlen(prefix);
	mlen = strnlen(err->msg, sizeof(err->msg) - 1);
	if (plen + mlen > sizeof(err->msg) - 1)
		mlen = sizeof(err->msg) - 1 - plen;
	memmove(err->msg + plen, err->msg, mlen);
	memcpy(err->msg, prefix, plen);
	err->msg[plen + mlen] = '\0';
	return -1;
}

void ar_err_clear(ar_err_t *err)
{
	if (!err)
		return;
	err->code = AR_OK;
	err->msg[0] = '\0';
}

const char *ar_errc_name(ar_errc_t code)
{
	switch (code) {
	case AR_OK:			return "ok";
	case AR_ERR_MALFORMED:		return "malformed";
	case AR_ERR_BAD_ALG:		return "bad_alg";
	case AR_ERR_BAD_SIGNATURE:	return "bad_signature";
	case AR_ERR_UNSUPPORTED:	return "unsupported";
	case AR_ERR_TOO_LARGE:		return "too_large";
	case AR_ERR_NOT_FOUND:		return "not_found";
	case AR_ERR_IO:			return "io";
	case AR_ERR_TIMEOUT:		return "timeout";
	case AR_ERR_NOMEM:		return "nomem";
	case AR_ERR_CRYPTO:		return "crypto";
	case AR_ERR_CONFIG:		return "config";
	case AR_ERR_UNAVAILABLE:	return "unavailable";
	case AR_ERR_BAD_NONCE:		return "bad_nonce";
	case AR_ERR_UNAUTHORIZED:	return "unauthorized";
	case AR_ERR_CONFLICT:		return "conflict";
	case AR_ERR_BAD_KEY:		return "bad_key";
	case AR_ERR_UNREPLICATED:	return "unreplicated";
	}
	return "unknown";
}
