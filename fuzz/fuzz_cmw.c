/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: CMW decoding (record and collection forms) and media-type
 * classification of every record found.
 */
#include "config.h"

#include <stdint.h>

#include "cmw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ar_cmw_t cmw;
	size_t i;

	if (ar_cmw_decode((const char *)data, size, &cmw, NULL) < 0)
		return 0;
	for (i = 0; i < cmw.count; i++)
		(void)ar_cmw_kind_of(cmw.recs[i].type);
	(void)ar_cmw_find(&cmw, AR_CMW_EAR);
	ar_cmw_clear(&cmw);
	return 0;
}
