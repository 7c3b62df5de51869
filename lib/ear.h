/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file ear.h
 * @brief EAT Attestation Results (draft-fv-rats-ear / draft-ietf-rats-ear)
 *	  and their appraisal against a policy (AR4SI trust tiers).
 *
 * An EAR is a JWT signed by a verifier (ES256 or ES384) whose claims say,
 * per named submodule, a status and a trustworthiness vector. Two claim
 * spellings exist (see ::ar_ear_profile); both are read, the configured one
 * is written. This project's profile adds RFC 7800 `cnf.jkt` (the RFC 7638
 * thumbprint of the key the device will certify) and uses `sub` for the
 * device identity the verifier appraised.
 */
#ifndef AR_EAR_H
#define AR_EAR_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"
#include "jwk.h"

#define AR_EAR_MAX_TEXT		16384
#define AR_EAR_MAX_SUBMODS	8
#define AR_EAR_NAME_MAX		64
#define AR_EAR_NONCE_MAX	128
#define AR_EAR_ID_MAX		128

/** Claim spellings. */
typedef enum ar_ear_profile {
	AR_EAR_PROFILE_VERAISON = 0,	/**< "ear.status", eat_profile tag:github.com,2023:veraison/ear */
	AR_EAR_PROFILE_IETF03,		/**< "ear_status", eat_profile tag:ietf.org,2026:rats/ear#03 */
} ar_ear_profile_t;

#define AR_EAR_PROFILE_VERAISON_TAG	"tag:github.com,2023:veraison/ear"
#define AR_EAR_PROFILE_IETF03_TAG	"tag:ietf.org,2026:rats/ear#03"

/**
 * Status, ordered from best to worst. "none" (no claim, or a verifier that
 * could not appraise) ranks below warning: it gives no assurance at all.
 */
typedef enum ar_status {
	AR_STATUS_AFFIRMING = 0,
	AR_STATUS_WARNING,
	AR_STATUS_NONE,
	AR_STATUS_CONTRAINDICATED,
} ar_status_t;

/** The eight AR4SI trustworthiness claims, in vector order. */
typedef enum ar_tv_claim {
	AR_TV_INSTANCE_IDENTITY = 0,
	AR_TV_CONFIGURATION,
	AR_TV_EXECUTABLES,
	AR_TV_FILE_SYSTEM,
	AR_TV_HARDWARE,
	AR_TV_RUNTIME_OPAQUE,
	AR_TV_STORAGE_OPAQUE,
	AR_TV_SOURCED_DATA,
	AR_TV_COUNT
} ar_tv_claim_t;

/** A trustworthiness vector; 0 means "no claim". */
typedef struct ar_tvec {
	int8_t	v[AR_TV_COUNT];
} ar_tvec_t;

typedef struct ar_ear_submod {
	char		name[AR_EAR_NAME_MAX];
	ar_status_t	status;		/**< as the verifier declared it */
	ar_tvec_t	tv;
	char		policy_id[AR_EAR_ID_MAX];
} ar_ear_submod_t;

/** A decoded EAR. Plain data: no pointers, nothing to free. */
typedef struct ar_ear {
	ar_ear_profile_t profile;
	int64_t		iat;
	int64_t		exp;				/**< 0 when absent */
	char		nonce[AR_EAR_NONCE_MAX + 1];	/**< eat_nonce, "" when absent */
	char		verifier_developer[AR_EAR_ID_MAX];
	char		verifier_build[AR_EAR_ID_MAX];
	char		jkt[AR_JWK_THUMBPRINT_LEN + 1];	/**< cnf.jkt, "" when absent */
	char		subject[AR_EAR_ID_MAX];		/**< sub, "" when absent */
	char		kid[AR_EAR_ID_MAX];		/**< signing key id */
	size_t		nsubmods;
	ar_ear_submod_t	submods[AR_EAR_MAX_SUBMODS];
} ar_ear_t;

/** "affirming", "warning", "none", "contraindicated". */
const char *ar_status_name(ar_status_t s);
int ar_status_parse(const char *s, ar_status_t *out);

/** Hyphenated AR4SI name of a claim ("instance-identity", ...). */
const char *ar_tv_claim_name(ar_tv_claim_t c);
/** Accepts hyphens or underscores. Returns -1 if unknown. */
int ar_tv_claim_parse(const char *name, ar_tv_claim_t *out);

/**
 * AR4SI tier of one claim value (draft-ietf-rats-ar4si): 2..31 and -2..-32
 * affirming, 32..95 and -33..-96 warning, 96..127 and -97..-128
 * contraindicated (negative values are non-standard reasons in the same
 * tier), -1 and 1 the "none" tier (the verifier could not tell, or failed).
 *
 * @return -1 for 0 (no claim, which is also the value of an absent claim),
 *	   otherwise an ::ar_status_t (AR_STATUS_NONE for -1 and 1).
 */
int ar_tv_tier(int value);

/**
 * Rank of a claim value from best to worst, for comparing claims across
 * submodules: affirming < no claim (0) < warning < none tier (-1, 1) <
 * contraindicated. A claim that a submodule does not make is not affirmed
 * for the whole attester, so 0 ranks below affirming.
 */
int ar_tv_rank(int value);

/**
 * Fold @p other into @p acc claim by claim, keeping in each position the
 * worse value by ar_tv_rank() (on a tie, the value already in @p acc).
 */
void ar_tvec_worsen(ar_tvec_t *acc, const ar_tvec_t *other);

/**
 * The worst vector over all submodules of @p ear, claim by claim (see
 * ar_tvec_worsen()); all zeros when there are no submodules. This, with
 * ar_ear_status(), is what an EAR says of the attester as a whole.
 */
void ar_ear_worst_tvec(const ar_ear_t *ear, ar_tvec_t *out);

/** Worst status over the submodule's declared status and its vector. */
ar_status_t ar_ear_submod_status(const ar_ear_submod_t *sm);

/** Worst status over all submodules (AR_STATUS_NONE when there are none). */
ar_status_t ar_ear_status(const ar_ear_t *ear);

/** Compact text of a vector: "ii=2 cfg=2 ex=2 fs=2 hw=2 rt=0 st=0 sd=0". */
void ar_tvec_format(const ar_tvec_t *tv, char *buf, size_t size);

/**
 * The claims a vector makes, in the same text without the zeros (AR4SI 0:
 * no claim): "ii=2 cfg=2 ex=2"; "" when it makes none. The posture record
 * keeps this form (a shorter value in every device's hash).
 */
void ar_tvec_format_claims(const ar_tvec_t *tv, char *buf, size_t size);

/**
 * Verify an EAR JWT against trusted verifier keys and decode its claims.
 *
 * The key is chosen by the header's "kid"; without a kid the set must hold
 * exactly one key. Only ES256 and ES384 are accepted.
 *
 * @return 0, or -1 with AR_ERR_MALFORMED, AR_ERR_TOO_LARGE, AR_ERR_BAD_ALG,
 *	   AR_ERR_NOT_FOUND (kid not trusted) or AR_ERR_BAD_SIGNATURE.
 */
int ar_ear_verify(const char *jwt, size_t len, const ar_jwks_t *trusted, ar_ear_t *out,
		  ar_err_t *err);

/** Decode the claims of an already verified EAR payload (exposed for tests). */
int ar_ear_parse_claims(const json_t *claims, ar_ear_t *out, ar_err_t *err);

/**
 * Sign an EAR as a compact JWT with the verifier's private key, claims
 * spelled as @p ear->profile says. Returns a malloc'd string or NULL.
 */
char *ar_ear_sign(const ar_ear_t *ear, const ar_jwk_t *key, ar_err_t *err);

/** Appraisal policy (see docs/ear.md for its JSON form). */
typedef struct ar_ear_policy {
	ar_status_t	min_status;		/**< affirming, or warning to accept warnings */
	int64_t		max_age;		/**< seconds since iat */
	int64_t		skew;			/**< tolerated clock skew, seconds */
	int		claim_min[AR_TV_COUNT];	/**< required tier per claim, -1 = none */
	size_t		nrequired;
	char		required_submods[AR_EAR_MAX_SUBMODS][AR_EAR_NAME_MAX];
	size_t		nverifiers;
	char		verifiers[8][AR_EAR_ID_MAX];	/**< allowed verifier developers; none = any */
	int		require_key_binding;
} ar_ear_policy_t;

/** Defaults: affirming, max age 600 s, skew 300 s, key binding required. */
void ar_ear_policy_init(ar_ear_policy_t *p);

/** Read a policy from JSON; unknown members are errors. */
int ar_ear_policy_from_json(const json_t *json, ar_ear_policy_t *p, ar_err_t *err);

/** What the relying party expects of this particular result. */
typedef struct ar_ear_expect {
	int64_t		now;		/**< unix seconds */
	const char	*nonce;		/**< freshness nonce issued, or NULL */
	const char	*jkt;		/**< thumbprint of the key to certify, or NULL */
} ar_ear_expect_t;

/** Outcome of an appraisal. */
typedef enum ar_verdict {
	AR_VERDICT_AFFIRMING = 0,
	AR_VERDICT_WARNING,
	AR_VERDICT_CONTRAINDICATED,
	AR_VERDICT_INVALID,
} ar_verdict_t;

typedef struct ar_appraisal {
	ar_verdict_t	verdict;
	int		acceptable;	/**< meets the policy's minimum and claim tiers */
	char		reason[256];	/**< human-readable, names the first failing check */
} ar_appraisal_t;

const char *ar_verdict_name(ar_verdict_t v);

/**
 * Appraise a verified EAR: time (iat/exp with skew, max age), nonce,
 * verifier, required submodules, key binding, then the status and the
 * per-claim tiers. Fills @p out; never fails.
 */
void ar_ear_appraise(const ar_ear_t *ear, const ar_ear_policy_t *p, const ar_ear_expect_t *x,
		     ar_appraisal_t *out);

/**
 * Compare two nonces as byte strings, each encoded in base64url or standard
 * base64, padded or not (Veraison uses standard base64, ACME base64url).
 * Returns 1 when equal, 0 otherwise (also when either does not decode).
 */
int ar_nonce_equal(const char *a, const char *b);

#endif
