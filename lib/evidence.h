/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file evidence.h
 * @brief Device evidence (media type AR_MT_EVIDENCE) and its appraisal
 *	  against a reference-value policy into an EAR submodule.
 *
 * Evidence is what the attester on the device reports, bound to the
 * verifier's or the relying party's nonce:
 * @code
 * {"nonce": "...", "collected_at": 1800000000,
 *  "device": {"id": "SUB-0042", "hostname": "inspector-7"},
 *  "os": {"id": "debian", "version_id": "12", "kernel": "6.1.0-26-amd64"},
 *  "patch": {"last_security_update": 1799000000},
 *  "disk_encryption": {"root_encrypted": true, "method": "luks"},
 *  "edr": {"name": "falcon-sensor", "running": true},
 *  "secure_boot": {"efi": true, "enabled": true},
 *  "key": {"storage": "file", "non_exportable": false, "jkt": "<RFC 7638 thumbprint>"}}
 * @endcode
 * The reference-value policy (one profile, see docs/verifier.md) says which
 * operating systems are approved, how old the last security update may be,
 * and what is required of disk encryption, the EDR agent, the key store and
 * secure boot, each with the tier a failure earns (warning or
 * contraindicated). Each check feeds one AR4SI trustworthiness claim, and
 * no claim is affirming beyond what was proven (see ar_evidence_appraise()).
 * Evidence reaches the verifier signed (evidence_jws.h).
 */
#ifndef AR_EVIDENCE_H
#define AR_EVIDENCE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ear.h"
#include "err.h"

#define AR_EVIDENCE_MAX_TEXT	(32 * 1024)
#define AR_EV_STR		128

typedef enum ar_key_storage {
	AR_KEY_FILE = 0,
	AR_KEY_TPM,
	AR_KEY_PKCS11,
} ar_key_storage_t;

/** Decoded evidence. Plain data. Booleans are -1 when not reported. */
typedef struct ar_evidence {
	char		nonce[AR_EAR_NONCE_MAX + 1];
	int64_t		collected_at;
	char		device_id[AR_EV_STR];
	char		hostname[AR_EV_STR];
	char		os_id[64];
	char		os_version[64];
	char		kernel[AR_EV_STR];
	int64_t		last_security_update;	/**< unix seconds; 0 unknown */
	int		disk_encrypted;
	char		disk_method[32];
	char		edr_name[64];
	int		edr_running;
	int		efi;
	int		secure_boot;
	ar_key_storage_t key_storage;
	int		key_non_exportable;
	char		key_jkt[AR_JWK_THUMBPRINT_LEN + 1];
	/* What the verifier proved, never read from the document (parsing
	 * clears them): the appraisal affirms only what is set here. */
	int		identity_verified;	/**< signed by the device's enrolled identity key
						     (ar_evidence_verify(), evidence_jws.h) */
	char		identity_jkt[AR_JWK_THUMBPRINT_LEN + 1]; /**< that key's thumbprint */
	int		key_attested;		/**< key.jkt proven non-exportable in hardware
						     (TPM key certification); nothing sets it yet */
} ar_evidence_t;

const char *ar_key_storage_name(ar_key_storage_t s);
int ar_key_storage_parse(const char *s, ar_key_storage_t *out);

/** Parse evidence JSON; unknown top-level members are rejected. */
int ar_evidence_parse(const char *text, size_t len, ar_evidence_t *out, ar_err_t *err);
int ar_evidence_from_json(const json_t *json, ar_evidence_t *out, ar_err_t *err);

/** Serialize to a new JSON object (members that are unknown are omitted). */
json_t *ar_evidence_to_json(const ar_evidence_t *ev);

/** One approved OS: id and minimum version (dotted numeric compare). */
typedef struct ar_os_ref {
	char	id[64];
	char	min_version[64];
} ar_os_ref_t;

/** Reference values of one profile. */
typedef struct ar_refpolicy {
	char		name[64];
	size_t		nos;
	ar_os_ref_t	os[8];
	int64_t		max_patch_age;		/**< seconds; 0 = not checked */
	int64_t		patch_warn_age;		/**< older than this: warning; 0 = same as max */
	ar_status_t	patch_severity;		/**< tier when older than max */
	int		require_disk_encryption;
	ar_status_t	disk_severity;
	char		edr_name[64];		/**< "" = no EDR required */
	ar_status_t	edr_severity;
	unsigned	key_storage_allowed;	/**< bit per ar_key_storage_t */
	int		require_non_exportable;
	ar_status_t	key_severity;
	int		require_secure_boot;
	ar_status_t	secure_boot_severity;
	int64_t		max_evidence_age;	/**< collected_at must be this recent */
} ar_refpolicy_t;

/** Defaults: Debian >= 12, 90-day patch age (warning at 60), EDR not required,
 *  disk encryption required (contraindicated), any key store, evidence <= 300 s. */
void ar_refpolicy_init(ar_refpolicy_t *p);

/** Read one profile from JSON; unknown members are errors. */
int ar_refpolicy_from_json(const char *name, const json_t *json, ar_refpolicy_t *p,
			   ar_err_t *err);

/** How far ahead of the verifier's clock evidence may say it was collected. */
#define AR_EVIDENCE_MAX_AHEAD	300

/**
 * Was @p ev collected within [now - max_evidence_age, now +
 * AR_EVIDENCE_MAX_AHEAD]? The nonce proves freshness; this bounds the
 * device's claim about time, and names the clock skew when it is off.
 *
 * @return 0, or -1 with @p why set (e.g. "evidence collected_at is 600 s
 *	   ahead of the verifier's clock (tolerance 300 s): check the device's
 *	   clock").
 */
int ar_evidence_check_time(const ar_evidence_t *ev, const ar_refpolicy_t *p, int64_t now,
			   char *why, size_t size);

/**
 * Appraise evidence into one EAR submodule (status + trustworthiness
 * vector) and a short reason naming every check that did not pass.
 *
 * Claims (values 2 affirming, 32 warning, 96 contraindicated, 0 no claim;
 * a failed check gets its policy severity; docs/verifier.md has the table):
 * - instance-identity: 2 when @p ev->identity_verified, else 0;
 * - configuration: approved OS release and security-update age;
 * - executables: secure boot (boot integrity) and the EDR agent (run time);
 * - storage-opaque: the key store (allowed class, non-exportable) and disk
 *   encryption when required; 2 only with @p ev->key_attested; a declared
 *   hardware key under a policy that wants one is 32; otherwise 0;
 * - file-system, hardware, runtime-opaque, sourced-data: 0 (nothing in the
 *   evidence proves them).
 * The status is the worst tier of the vector.
 *
 * @param now	unix seconds.
 */
void ar_evidence_appraise(const ar_evidence_t *ev, const ar_refpolicy_t *p, int64_t now,
			  ar_ear_submod_t *out, char *reason, size_t reason_size);

/** Compare dotted numeric versions ("22.04" < "24.04", "12" >= "12.0"). */
int ar_version_cmp(const char *a, const char *b);

#endif
