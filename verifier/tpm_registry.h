/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file tpm_registry.h
 * @brief The AK registry: the one attestation key each device is enrolled
 *	  with (after credential activation), in Redis.
 *
 * A device enrolled with its TPM has exactly one AK. The verifier believes a
 * quote or a key certification of that device only when the AK that signed
 * it is the registered one, and only when its clock comes after the last
 * one the verifier accepted from it (ar_tpm_registry_clock_advance()).
 *
 * @section tpm_registry_keys Keys (generic values below the store's prefix)
 *
 * | key | content |
 * |---|---|
 * | `tpm:{dev:ID}:ak` | the device's record, one JSON object (below) |
 * | `tpm:akname:HEX` | the device id whose AK has the Name HEX (lower-case hex of nameAlg \|\| digest) |
 *
 * The record: `{"ak_pub": base64url TPMT_PUBLIC, "ak_name": hex Name,
 * "ek": hex SHA-256 of the EK certificate (DER) or, without one, of the EK's
 * TPMT_PUBLIC, "ek_source": "cert" | "pub", "enrolled_at": unix seconds,
 * "clock_set": bool, "reset_count", "restart_count", "clock": the last
 * clockInfo accepted}`.
 *
 * @section tpm_registry_atomic Atomicity
 *
 * Every change is a compare-and-set: the Name index is claimed first with
 * SET NX (first device wins, for good), the device record is created with
 * SET NX or replaced only while it still holds the text that was read. A
 * put that fails after claiming the Name leaves the Name naming the same
 * device, which only that device's retry can use. The two keys live in
 * different hash slots; no step needs both in one transaction.
 *
 * @section tpm_registry_errors Results
 *
 * Each call returns an ::ar_tpm_reason_t; AR_TPM_INTERNAL means the store
 * failed, and @p err then carries the store's code (AR_ERR_UNAVAILABLE,
 * AR_ERR_TIMEOUT: see ar_store_err_is_down(); AR_ERR_CONFLICT: the record
 * kept changing under concurrent writers; AR_ERR_MALFORMED: a bad device id
 * or a stored record that does not parse).
 */
#ifndef AR_TPM_REGISTRY_H
#define AR_TPM_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "tpm.h"

/** Longest AK TPMT_PUBLIC the registry keeps (an RSA 4096 key is about 550). */
#define AR_TPM_REG_PUB_MAX	1024
/** Longest Name: nameAlg (2) and a SHA-512 digest. */
#define AR_TPM_REG_NAME_MAX	66

/** Where the EK identity of a record comes from. */
typedef enum ar_tpm_ek_source {
	AR_TPM_EK_CERT = 0,	/**< the EK certificate, verified to a trusted root */
	AR_TPM_EK_PUB,		/**< an EK public area the operator registered */
} ar_tpm_ek_source_t;

/** One device's enrolled AK. */
typedef struct ar_tpm_enrolled {
	uint8_t			ak_pub[AR_TPM_REG_PUB_MAX];	/**< marshalled TPMT_PUBLIC */
	size_t			ak_pub_len;
	uint8_t			ak_name[AR_TPM_REG_NAME_MAX];	/**< nameAlg || H(ak_pub) */
	size_t			ak_name_len;
	uint8_t			ek[AR_TPM_SHA256_LEN];		/**< SHA-256 of the EK cert or EK public */
	ar_tpm_ek_source_t	ek_source;
	int64_t			enrolled_at;			/**< unix seconds */
	int			clock_set;			/**< @c clock holds a clock accepted */
	ar_tpm_clock_t		clock;				/**< the last accepted (safe unused) */
} ar_tpm_enrolled_t;

/** Options of ar_tpm_registry_put(). */
#define AR_TPM_REG_REENROLL	1	/**< replace the device's other AK (else refused) */

/**
 * Register @p e as @p device's AK: what credential activation concluded.
 *
 * - The AK's Name must be free or already name @p device; a Name enrolled
 *   for another device is AR_TPM_AK_OTHER_DEVICE (nothing written).
 * - A device with no AK gets @p e. A device already enrolled with this
 *   same AK (same Name) keeps its record (its clock included): AR_TPM_OK.
 * - A device enrolled with another AK is AR_TPM_AK_ALREADY_ENROLLED
 *   (nothing written, the Name claimed by this call released again) unless
 *   @p flags has AR_TPM_REG_REENROLL: then the record is replaced, its clock
 *   starts afresh, and the old AK's Name is released.
 *
 * @p e's clock fields are ignored: a new record starts with none.
 * @p e->enrolled_at 0 means now.
 */
ar_tpm_reason_t ar_tpm_registry_put(ar_store_t *s, const char *device,
				    const ar_tpm_enrolled_t *e, unsigned flags, ar_err_t *err);

/**
 * Read @p device's record into @p out: AR_TPM_OK, AR_TPM_AK_NOT_ENROLLED
 * (no record; @p out zeroed), or AR_TPM_INTERNAL (store failure, or a record
 * that does not parse: AR_ERR_MALFORMED).
 */
ar_tpm_reason_t ar_tpm_registry_get(ar_store_t *s, const char *device, ar_tpm_enrolled_t *out,
				    ar_err_t *err);

/**
 * Which device the AK Name @p name is enrolled for.
 *
 * @param device	receives the device id (AR_STORE_DEVICE_MAX + 1 bytes).
 * @return AR_TPM_OK, AR_TPM_AK_NOT_ENROLLED (nobody), AR_TPM_INTERNAL.
 */
ar_tpm_reason_t ar_tpm_registry_owner(ar_store_t *s, const uint8_t *name, size_t name_len,
				      char device[AR_STORE_DEVICE_MAX + 1], ar_err_t *err);

/**
 * Record that @p device's AK (Name @p name) produced evidence at @p now,
 * refusing a clock that does not come after the last one accepted
 * (ar_tpm_clock_check(): a larger resetCount, or the same and a larger
 * restartCount, or both the same and a larger clock).
 *
 * Compare-and-set: the new clock is stored only while the record is still
 * the one the check read (retried a few times when another quote of the
 * same device advanced it meanwhile, so of two concurrent quotes with the
 * same clock only one is accepted).
 *
 * @return AR_TPM_OK (stored), AR_TPM_CLOCK_REPLAY (not after the last:
 *	   nothing stored), AR_TPM_AK_NOT_ENROLLED (no record, or the device is
 *	   enrolled with another AK), AR_TPM_INTERNAL.
 */
ar_tpm_reason_t ar_tpm_registry_clock_advance(ar_store_t *s, const char *device,
					      const uint8_t *name, size_t name_len,
					      const ar_tpm_clock_t *now, ar_err_t *err);

/**
 * Remove @p device's record and release its AK's Name (an operator's
 * de-enrolment; the software identity, if any, is untouched).
 * @return AR_TPM_OK (also when nothing was enrolled), AR_TPM_INTERNAL.
 */
ar_tpm_reason_t ar_tpm_registry_del(ar_store_t *s, const char *device, ar_err_t *err);

#endif
