/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared includes and small helpers for the cmocka tests.
 */
#ifndef AR_TESTUTIL_H
#define AR_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"

/* Assert that a failing call reported @code and a message containing @needle. */
#define assert_err(err, want_code, needle) do {					\
	if ((err)->code != (want_code) || !strstr((err)->msg, (needle)))	\
		fail_msg("expected %s \"%s\", got %s \"%s\"",			\
			 ar_errc_name(want_code), (needle),			\
			 ar_errc_name((err)->code), (err)->msg);		\
} while (0)

#endif
