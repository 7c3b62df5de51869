/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Evidence for integration tests: a Debian 12 device with a file key.
 */
#ifndef AR_TEST_EVFIX_H
#define AR_TEST_EVFIX_H

#include <stdint.h>

#include "jwk.h"

/* Evidence JSON (caller frees) for @device bound to @nonce and @key, last
 * security update at @patched; disk, EDR and secure boot unknown. */
char *evfix_json(const char *nonce, const char *device, const ar_jwk_t *key, int64_t patched);

#endif
