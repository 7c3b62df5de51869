/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file cmw.h
 * @brief RATS Conceptual Message Wrapper (CMW, RFC 9999, formerly
 *	  draft-ietf-rats-msg-wrap), JSON forms.
 *
 * Record form: `[type, value, ind?]` with @c type a media type string,
 * @c value the unpadded base64url of the wrapped bytes, @c ind an optional
 * bitmask of what the value is (ar_cmw_ind). Collection form: a JSON object
 * mapping labels to records or nested collections, with an optional
 * `"__cmwc_t"` naming the collection type.
 *
 * Decoding flattens a collection into a list of labelled records ("a.b" for
 * nested labels) and is bounded: total size, nesting depth, number of
 * records, label and type lengths. CBOR forms are not accepted.
 *
 * A record's `ind`, when present, must agree with what its media type says
 * it is: a record typed as an attestation result needs the
 * attestation-results bit (8), one typed as our evidence the evidence bit
 * (4); a record that contradicts itself is malformed. An
 * `application/eat+jwt` record without an `eat_profile` parameter is taken
 * as an attestation result only when its `ind` says so.
 */
#ifndef AR_CMW_H
#define AR_CMW_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"

/** Indicator bits (the `ind` member). */
enum ar_cmw_ind {
	AR_CMW_IND_REFERENCE	= 1,
	AR_CMW_IND_ENDORSEMENTS	= 2,
	AR_CMW_IND_EVIDENCE	= 4,
	AR_CMW_IND_RESULTS	= 8,
	AR_CMW_IND_POLICY	= 16,
};

/** EAR media type, Veraison profile (dotted claim names). */
#define AR_MT_EAR \
	"application/eat+jwt; eat_profile=\"tag:github.com,2023:veraison/ear\""
/** EAR media type, draft-ietf-rats-ear-03 profile (underscored claim names). */
#define AR_MT_EAR_IETF \
	"application/eat+jwt; eat_profile=\"tag:ietf.org,2026:rats/ear#03\""
/** Evidence collected by acme-rats-helper (JSON, see docs/evidence.md). */
#define AR_MT_EVIDENCE		"application/vnd.acme-rats.evidence+json"

#define AR_CMW_MAX_TEXT		(256 * 1024)
#define AR_CMW_MAX_DEPTH	4
#define AR_CMW_MAX_RECORDS	16
#define AR_CMW_MAX_TYPE		160
#define AR_CMW_MAX_LABEL	128

/** What a record's media type says it carries. */
typedef enum ar_cmw_kind {
	AR_CMW_UNKNOWN = 0,
	AR_CMW_EAR,		/**< an EAT Attestation Result JWT (either profile) */
	AR_CMW_EVIDENCE,	/**< our evidence JSON */
} ar_cmw_kind_t;

/** One record. */
typedef struct ar_cmw_rec {
	char		label[AR_CMW_MAX_LABEL];	/**< "" for a bare record */
	char		type[AR_CMW_MAX_TYPE];
	ar_cmw_kind_t	kind;
	uint8_t		*value;				/**< decoded, NUL-terminated */
	size_t		len;
	unsigned	ind;				/**< 0 when absent */
	char		eat_profile[AR_CMW_MAX_TYPE];	/**< the type's eat_profile parameter, "" when absent */
} ar_cmw_rec_t;

/** A decoded CMW. Release with ar_cmw_clear(). */
typedef struct ar_cmw {
	char		collection_type[AR_CMW_MAX_TYPE];	/**< "__cmwc_t" or "" */
	int		is_collection;
	size_t		count;
	ar_cmw_rec_t	recs[AR_CMW_MAX_RECORDS];
} ar_cmw_t;

/**
 * Classify a media type. Matching is on the type/subtype (case-insensitive)
 * and, for EAT, the eat_profile parameter; other parameters are ignored.
 */
ar_cmw_kind_t ar_cmw_kind_of(const char *media_type);

/**
 * Decode a CMW in JSON (record or collection).
 *
 * @return 0, or -1 with AR_ERR_MALFORMED (with the offending label) or
 *	   AR_ERR_TOO_LARGE. @p out is cleared on failure.
 */
int ar_cmw_decode(const char *text, size_t len, ar_cmw_t *out, ar_err_t *err);

/** As ar_cmw_decode(), from a parsed JSON value. */
int ar_cmw_decode_json(const json_t *json, ar_cmw_t *out, ar_err_t *err);

/**
 * First record of the given kind, or NULL. A relying party that appraises
 * attestation results wants ar_cmw_find_all(): a collection may hold
 * several, and reading the first would ignore the others.
 */
const ar_cmw_rec_t *ar_cmw_find(const ar_cmw_t *cmw, ar_cmw_kind_t kind);

/**
 * Every record of the given kind, in document order: up to @p max pointers
 * (into @p cmw) in @p out. @return how many records of that kind there are
 * (which may exceed @p max).
 */
size_t ar_cmw_find_all(const ar_cmw_t *cmw, ar_cmw_kind_t kind, const ar_cmw_rec_t **out,
		       size_t max);

/**
 * Does the record's type agree with the eat_profile an EAT claims inside
 * it? 1 when the type has no eat_profile parameter or names @p eat_profile,
 * 0 otherwise (the wrapper says one profile and the token another).
 */
int ar_cmw_rec_profile_matches(const ar_cmw_rec_t *rec, const char *eat_profile);

void ar_cmw_clear(ar_cmw_t *cmw);

/**
 * Encode a record `[type, base64url(value), ind]` (ind omitted when 0).
 * @return a new JSON array, or NULL.
 */
json_t *ar_cmw_record(const char *type, const void *value, size_t len, unsigned ind);

#endif
