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
	const ar_cmw_rec_t *ears[AR_CMW_MAX_RECORDS];
	ar_cmw_t cmw;
	size_t i, n;

	if (ar_cmw_decode((const char *)data, size, &cmw, NULL) < 0)
		return 0;
	for (i = 0; i < cmw.count; i++)
		(void)ar_cmw_kind_of(cmw.recs[i].type);
	(void)ar_cmw_find(&cmw, AR_CMW_EAR);
	n = ar_cmw_find_all(&cmw, AR_CMW_EAR, ears, AR_CMW_MAX_RECORDS);
	for (i = 0; i < n; i++)
		(void)ar_cmw_rec_profile_matches(ears[i], "tag:ietf.org,2026:rats/ear#03");
	ar_cmw_clear(&cmw);
	return 0;
}
