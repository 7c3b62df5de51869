/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: the IMA ima-ng list, replayed and appraised against a small
 * allowlist, twice (the second time incrementally from the first's state).
 * Input: 32 octets of quoted PCR 10, then the list.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "tpm_ima.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char allowlist[] =
	"# fuzz allowlist\n"
	"ee4b1b1ab8d7b2cb0a5c9a0b01a8a9c42aa7b5d1a0a1b4a6f0c4cf07e2b3d9a1  /usr/bin/bash\n"
	"sha1:0123456789abcdef0123456789abcdef01234567 */usr/lib/x.so\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static ar_ima_policy_t *pol;
	ar_ima_state_t st = { 0 };
	size_t n;
	ar_err_t err;

	if (!pol) {
		pol = ar_ima_policy_new();
		if (!pol || ar_ima_policy_allowlist(pol, allowlist, sizeof(allowlist) - 1, NULL) < 0 ||
		    ar_ima_policy_exclude(pol, "/tmp/*", NULL) < 0)
			return 0;
	}
	if (size < AR_TPM_SHA256_LEN)
		return 0;
	if (ar_ima_appraise(pol, &st, 1, (const char *)data + 32, size - 32, data, &n, &err) == AR_TPM_OK)
		(void)ar_ima_appraise(pol, &st, 1, (const char *)data + 32, size - 32, data, &n, &err);
	return 0;
}
