/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file tpm_ima.h
 * @brief The Linux IMA measurement list (ascii_runtime_measurements,
 *	  template `ima-ng`), replayed into PCR 10's SHA-256 bank and
 *	  appraised against an allowlist, incrementally.
 *
 * A line is `PCR TEMPLATE-HASH ima-ng ALG:FILEDATA-HASH PATH`. The verifier
 * does not believe the template-hash column: it rebuilds each entry's
 * template data (d-ng, n-ng: length-prefixed fields) and extends PCR 10
 * with its SHA-256 (0xff.. for a violation, whose template hash is zero).
 *
 * The list only grows during a boot. ::ar_ima_state_t keeps, per device and
 * boot (the quote's resetCount), how far the list was replayed and
 * appraised and the PCR 10 value there: the next appraisal of the same boot
 * starts from there and costs only the new entries.
 */
#ifndef AR_TPM_IMA_H
#define AR_TPM_IMA_H

#include <stddef.h>
#include <stdint.h>

#include "tpm.h"

#define AR_IMA_PCR		10u		/**< the PCR IMA extends */
#define AR_IMA_MAX_LIST		(64u << 20)	/**< octets of a list */
#define AR_IMA_MAX_LINE		8192u		/**< octets of one line */
#define AR_IMA_MAX_ENTRIES	(1u << 20)	/**< new entries in one appraisal */
#define AR_IMA_MAX_EXCLUDES	256u		/**< exclude patterns of a policy */

/** An allowlist with excludes. Immutable once loaded: share it across threads. */
typedef struct ar_ima_policy ar_ima_policy_t;

/** A new, empty policy (nothing allowed), or NULL when out of memory. */
ar_ima_policy_t *ar_ima_policy_new(void);

/**
 * Add allowlist lines: `HEX  PATH` (sha256sum(1) output: the digest, two
 * spaces or a space and `*`, the path to the end of the line), where HEX
 * may be prefixed with its algorithm (`sha512:...`); without a prefix,
 * 40 digits are SHA-1, 64 SHA-256, 96 SHA-384, 128 SHA-512. Empty lines and
 * lines starting with `#` are skipped. A path may have several digests.
 *
 * @return 0, or -1 with @p err naming the first bad line.
 */
int ar_ima_policy_allowlist(ar_ima_policy_t *pol, const char *text, size_t len, ar_err_t *err);

/**
 * Exclude paths matching @p glob (fnmatch(3), no flags: `*` also matches
 * `/`) from the allowlist check; they are still replayed.
 */
int ar_ima_policy_exclude(ar_ima_policy_t *pol, const char *glob, ar_err_t *err);

/** Free @p pol (NULL allowed). */
void ar_ima_policy_free(ar_ima_policy_t *pol);

/** Replay and appraisal state of one device's list in one boot. */
typedef struct ar_ima_state {
	int		valid;		/**< 0: nothing appraised yet */
	uint32_t	reset_count;	/**< the boot (quote resetCount) it belongs to */
	uint64_t	entries;	/**< entries replayed and appraised */
	uint64_t	offset;		/**< octets of the list those entries span */
	uint8_t		pcr10[AR_TPM_SHA256_LEN]; /**< PCR 10 after them */
	uint64_t	pending;	/**< well-formed entries after them in the last list
					     (measured after the quote): not appraised yet */
} ar_ima_state_t;

/**
 * Appraise the list @p list (@p len octets, the whole list as the device
 * read it) against the quoted PCR 10 value @p pcr10 of boot
 * @p reset_count, starting where @p st stopped (from the beginning when
 * @p st is not valid or of another boot).
 *
 * A quoted PCR 10 at its reset value (all zeros) is refused
 * (#AR_TPM_IMA_NOT_MEASURED): IMA measured nothing in that boot, whatever the
 * list says. The first appraisal of a boot replays from the first entry,
 * which must be `boot_aggregate` (ima-ng, as the kernel writes it), and
 * PCR 10 must be reached by replaying at least that entry; an empty list or
 * another first entry is refused (#AR_TPM_IMA_NO_BOOT_AGGREGATE).
 * `boot_aggregate` is accepted as the first entry only.
 *
 * New entries are replayed one by one until PCR 10 equals @p pcr10; each of
 * them, up to that point, must be allowed: its path excluded, or listed
 * with its digest. A violation entry is refused. The entries after that
 * point were measured after the quote: they are not appraised (nor counted
 * in @p appraised), only checked to be whole ima-ng lines and counted in
 * @p st->pending; the next appraisal of the boot starts with them.
 *
 * On success @p st advances (the caller keeps it for this device) and
 * @p appraised, if not NULL, receives the number of entries appraised now.
 * On failure @p st is unchanged.
 */
ar_tpm_reason_t ar_ima_appraise(const ar_ima_policy_t *pol, ar_ima_state_t *st,
				uint32_t reset_count, const char *list, size_t len,
				const uint8_t pcr10[AR_TPM_SHA256_LEN], size_t *appraised,
				ar_err_t *err);

#endif
