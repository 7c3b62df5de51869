/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file certext.h
 * @brief The acme-rats attestation extension of issued certificates.
 *
 * Every certificate the CA issues against an attestation result carries a
 * small, non-critical X.509v3 extension that records which ACME order it
 * came from and what the verifier said about the device when the order was
 * won. RADIUS servers read it at each EAP-TLS authentication. FreeRADIUS 3.2
 * hands a module only the raw extnValue of an unknown extension, through a
 * dictionary attribute, and silently truncates it to 510 bytes; the
 * encoding is therefore kept compact and the decoder rejects anything
 * larger. The ASN.1 module and the size budget are in docs/cert-extension.md.
 *
 * The decoder is strict: it accepts exactly one DER encoding of each value
 * and fails with a message naming the offending field.
 */
#ifndef AR_CERTEXT_H
#define AR_CERTEXT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "ear.h"
#include "err.h"

/**
 * Object identifier of the extension: a project arc under the IANA
 * private-enterprise arc. This is a placeholder; a deployment that
 * registers its own Private Enterprise Number changes it here, and only
 * here (and in the RADIUS dictionary entry named after it).
 *
 * The OID is deliberately never registered with OBJ_create(): FreeRADIUS
 * names the attribute after OpenSSL's text form of the OID, and a process
 * that gave it a short name would rename the attribute.
 */
#define AR_CERTEXT_OID		"1.3.6.1.4.1.59371.1.1"

/** The only version this code writes and reads. */
#define AR_CERTEXT_VERSION	1

/** Largest extnValue accepted: FreeRADIUS truncates longer values. */
#define AR_CERTEXT_MAX_DER	510

/** Field bounds, in bytes (without the terminating NUL). */
#define AR_CERTEXT_URL_MAX	255
#define AR_CERTEXT_VERIFIER_MAX	64
#define AR_CERTEXT_PROFILE_MAX	64
#define AR_CERTEXT_DEVICE_MAX	128

/**
 * Decoded extension. Plain data: no pointers, nothing to free. Strings are
 * NUL-terminated; @c device_id is "" when the optional field is absent.
 */
typedef struct ar_certext {
	char		order_url[AR_CERTEXT_URL_MAX + 1];	/**< ACME order URL (printable ASCII) */
	char		verifier[AR_CERTEXT_VERIFIER_MAX + 1];	/**< ear.verifier-id developer (UTF-8) */
	ar_status_t	status;					/**< EAR status the order was won with */
	ar_tvec_t	tv;					/**< trustworthiness vector, AR4SI order */
	int64_t		ear_iat;				/**< iat of that EAR, unix seconds */
	char		profile[AR_CERTEXT_PROFILE_MAX + 1];	/**< posture profile name (UTF-8) */
	char		device_id[AR_CERTEXT_DEVICE_MAX + 1];	/**< device identity, "" = absent */
} ar_certext_t;

/**
 * DER-encode the extension value (the SEQUENCE that becomes extnValue).
 *
 * The input is validated with the same rules the decoder applies, so
 * whatever this function writes, ar_certext_decode() accepts.
 *
 * @param in	fields; @c ear_iat must be in years 0000-9999 and >= 0.
 * @param der	receives a buffer allocated with OPENSSL_malloc(); the
 *		caller frees it with OPENSSL_free().
 * @param len	receives its length (never above AR_CERTEXT_MAX_DER).
 * @return 0, or -1 with AR_ERR_MALFORMED (a field out of bounds),
 *	   AR_ERR_TOO_LARGE or AR_ERR_NOMEM.
 */
int ar_certext_encode(const ar_certext_t *in, unsigned char **der, size_t *len, ar_err_t *err);

/**
 * Decode an extension value strictly.
 *
 * Rejected, each with its own message: more than AR_CERTEXT_MAX_DER bytes
 * (AR_ERR_TOO_LARGE), anything that is not a DER AcmeRatsAttestation
 * SEQUENCE, trailing bytes, a non-canonical encoding, a version other than
 * AR_CERTEXT_VERSION (AR_ERR_UNSUPPORTED), an unknown status, a
 * trustVector of another length than 8, empty or over-long strings, an
 * order URL with characters outside printable ASCII, UTF-8 strings that are
 * not valid UTF-8 or contain control characters, and a time that is not
 * of the form YYYYMMDDHHMMSSZ.
 *
 * @param der	the extnValue contents; untrusted.
 * @param out	filled on success; unspecified on failure.
 * @return 0, or -1 with AR_ERR_MALFORMED, AR_ERR_UNSUPPORTED or
 *	   AR_ERR_TOO_LARGE.
 */
int ar_certext_decode(const unsigned char *der, size_t len, ar_certext_t *out, ar_err_t *err);

/**
 * Build the non-critical X509_EXTENSION carrying @p in.
 *
 * @return a new extension (free with X509_EXTENSION_free()), or NULL with
 *	   the errors of ar_certext_encode().
 */
X509_EXTENSION *ar_certext_to_extension(const ar_certext_t *in, ar_err_t *err);

/**
 * Find and decode the extension in a certificate.
 *
 * @return 1 when present and valid (@p out filled), 0 when absent, -1 when
 *	   present but malformed, critical, or present more than once
 *	   (@p err says why).
 */
int ar_certext_from_cert(const X509 *cert, ar_certext_t *out, ar_err_t *err);

#endif
