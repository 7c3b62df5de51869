/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file x509.h
 * @brief Certificate signing requests and short-lived certificate issuance.
 *
 * The ACME finalize step hands the CA a CSR (base64url DER). This unit
 * parses it with a size cap, checks its self-signature and key, extracts
 * the key's RFC 7638 thumbprint (to compare with the attestation result's
 * `cnf.jkt`) and the identifiers it requests, compares those with the
 * order, and issues the certificate: a random 128-bit serial, an exact
 * lifetime, client authentication, RFC 9608 noRevAvail and, when given,
 * the attestation extension of certext.h. Errors carry messages meant for
 * an ACME `badCSR` problem detail.
 *
 * It also derives the identifiers other parts use to name a certificate:
 * the AKI and serial in hex (as FreeRADIUS prints them) and the RFC 9773
 * ARI certificate identifier.
 */
#ifndef AR_X509_H
#define AR_X509_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "certext.h"
#include "err.h"
#include "jwk.h"

/** Largest DER CSR accepted. */
#define AR_CSR_MAX_DER		16384

/** Most identifiers a CSR (and so a certificate) may carry. */
#define AR_CSR_MAX_IDS		16

/** Longest identifier value, in bytes (a DNS name is at most 253). */
#define AR_ID_VALUE_MAX		255

/** Longest value that also fits in a subject commonName (RFC 5280 ub-common-name). */
#define AR_CN_MAX		64

/** Identifier types, spelled as in ACME orders. */
#define AR_ID_DNS		"dns"
#define AR_ID_PERMANENT		"permanent-identifier"
#define AR_ID_ATTESTATION	"remote-attestation"

/** Longest identifier type name, in bytes. */
#define AR_ID_TYPE_MAX		31

/** An ACME identifier: a type and a value, both NUL-terminated. */
typedef struct ar_identifier {
	char	type[AR_ID_TYPE_MAX + 1];	/**< "dns", "permanent-identifier", ... */
	char	value[AR_ID_VALUE_MAX + 1];
} ar_identifier_t;

/** What a checked CSR asks for. Plain data: nothing to free. */
typedef struct ar_csr_info {
	char		jkt[AR_JWK_THUMBPRINT_LEN + 1];	/**< RFC 7638 thumbprint of the CSR key */
	ar_jwk_type_t	key_type;			/**< AR_JWK_EC or AR_JWK_RSA */
	int		key_bits;			/**< 256, 384, or the RSA modulus size */
	char		cn[AR_CN_MAX + 1];		/**< subject commonName, "" if none */
	size_t		nids;
	/**
	 * Requested identifiers, without duplicates: the DNS names and
	 * permanent identifiers of the subjectAltName, in CSR order, then
	 * the commonName as a "dns" identifier if no SAN has its value
	 * (RFC 8555 section 7.4 lets a DNS name appear in the CN only).
	 * DNS names are lower-cased.
	 */
	ar_identifier_t	ids[AR_CSR_MAX_IDS];
} ar_csr_info_t;

/** A parsed PKCS#10 certificate signing request (opaque). */
typedef struct ar_csr ar_csr_t;

/**
 * Parse a DER CSR.
 *
 * Only the structure is decoded here; the key is decoded, and the
 * signature checked, by ar_csr_check(). The signed part keeps its
 * received encoding.
 *
 * @param der	untrusted bytes (ACME's base64url, already decoded).
 * @return a new request (free with ar_csr_free()), or NULL with
 *	   AR_ERR_TOO_LARGE (over AR_CSR_MAX_DER), AR_ERR_MALFORMED (not a
 *	   CSR, or trailing bytes) or AR_ERR_NOMEM.
 */
ar_csr_t *ar_csr_parse_der(const unsigned char *der, size_t len, ar_err_t *err);

/** Free a CSR; NULL is ignored. */
void ar_csr_free(ar_csr_t *csr);

/**
 * Check a CSR and extract what it requests.
 *
 * Checks, in order: version 1 (value 0); the key is EC P-256, EC P-384
 * (a named curve and a point on it) or RSA (rsaEncryption) of 2048 to 8192
 * bits; the self-signature verifies with that key; at
 * most one commonName, of 1..AR_CN_MAX bytes; at most one extensionRequest
 * attribute and in it at most one subjectAltName, holding only dNSName and id-on-permanentIdentifier (RFC 4043)
 * otherNames with an identifierValue; valid DNS names (letters, digits,
 * '-', '.', a leading "*." label) and printable-ASCII permanent
 * identifiers of at most AR_CERTEXT_DEVICE_MAX bytes; at least one and at
 * most AR_CSR_MAX_IDS identifiers.
 *
 * @param info	filled on success.
 * @return 0 (the CSR is then ready for ar_issue_cert()), or -1 with
 *	   AR_ERR_MALFORMED, AR_ERR_UNSUPPORTED (key type or
 *	   size, SAN type), AR_ERR_BAD_SIGNATURE, AR_ERR_TOO_LARGE or
 *	   AR_ERR_NOMEM; the message suits an ACME badCSR detail.
 */
int ar_csr_check(ar_csr_t *csr, ar_csr_info_t *info, ar_err_t *err);

/**
 * Compare a CSR's identifiers with an order's.
 *
 * The order's identifiers of type "remote-attestation" are ignored; the
 * rest must equal the CSR's identifiers as a set (DNS names compared
 * without regard to case), and the CSR's commonName, if any, must be the
 * value of one of them.
 *
 * @param why	receives the first mismatch, e.g. "CSR lacks dns:a.example
 *		of the order"; may be NULL.
 * @return 1 when they match, 0 otherwise.
 */
int ar_csr_identifiers_match(const ar_csr_info_t *info, const ar_identifier_t *ids, size_t n,
			     char *why, size_t whysize);

/**
 * Make a CSR for @p key (a client's side of finalize): no subject but,
 * when the first identifier fits AR_CN_MAX, a commonName of its value; a
 * subjectAltName of every identifier (dNSName, or otherName
 * id-on-permanentIdentifier with an identifierValue; "remote-attestation"
 * identifiers are skipped); signed with SHA-256 (SHA-384 for P-384).
 *
 * @param[out] der	malloc'd DER (caller frees with OPENSSL_free()).
 * @return 0, or -1 with AR_ERR_MALFORMED (no identifier to name, unknown
 *	   type), AR_ERR_CRYPTO or AR_ERR_NOMEM.
 */
int ar_csr_make(EVP_PKEY *key, const ar_identifier_t *ids, size_t n, unsigned char **der,
		size_t *len, ar_err_t *err);

/**
 * As ar_csr_make(), signing through the OpenSSL library context @p lib
 * (NULL: the default one): the context that loaded @p key's provider,
 * e.g. a tpm2 provider loaded only for this signature.
 */
int ar_csr_make_ex(EVP_PKEY *key, OSSL_LIB_CTX *lib, const ar_identifier_t *ids, size_t n,
		   unsigned char **der, size_t *len, ar_err_t *err);

/** Longest lifetime ar_issue_cert() accepts (RFC 9608 short-lived certificates are far below). */
#define AR_CERT_MAX_LIFETIME	(397 * 86400)

/** Issuance parameters. */
typedef struct ar_issue_params {
	EVP_PKEY		*issuer_key;	/**< CA private key (EC P-256/P-384 or RSA) */
	X509			*issuer_cert;	/**< CA certificate; must carry a subjectKeyIdentifier */
	int64_t			not_before;	/**< unix seconds, usually now */
	int64_t			backdate_s;	/**< notBefore = not_before - backdate_s (>= 0; 0 usual) */
	int64_t			lifetime_s;	/**< notAfter - notBefore, 1..AR_CERT_MAX_LIFETIME */
	int			server_auth;	/**< also add EKU serverAuth */
	const ar_certext_t	*attestation;	/**< attestation extension, or NULL */
} ar_issue_params_t;

/**
 * Issue a certificate for a CSR that passed ar_csr_check(), with the
 * @p info that check filled.
 *
 * The certificate has: a positive 16-byte random serial (first bit clear,
 * first byte non-zero); notBefore = not_before - backdate_s and notAfter =
 * notBefore + lifetime_s; the issuer's subject as issuer; subject CN = the
 * first identifier's value when it fits AR_CN_MAX, else an empty subject
 * and a critical subjectAltName; the CSR's key; subjectAltName with every
 * identifier (dNSName, or otherName id-on-permanentIdentifier with an
 * identifierValue); basicConstraints CA:FALSE and keyUsage
 * digitalSignature (+ keyEncipherment for RSA keys), both critical; EKU
 * clientAuth (+ serverAuth); SKI (SHA-1 of the public key, RFC 5280
 * 4.2.1.2 method 1); AKI = the issuer's SKI; RFC 9608 noRevAvail
 * (non-critical); the attestation extension when given. Nothing of the
 * CSR is copied but its key and the identifiers in @p info. Signed with
 * SHA-384 for a P-384 issuer key, SHA-256 otherwise.
 *
 * The key is copied as the CSR encodes it, not decoded again (with OpenSSL
 * 3.0 that would cost a third of the issuance): X509_get0_pubkey() of the
 * result is NULL. Encode it (i2d, PEM) and parse that for a decoded view.
 *
 * @return a new certificate (free with X509_free()), or NULL with
 *	   AR_ERR_CONFIG (a CSR not checked, issuer key does not match its
 *	   certificate, issuer without SKI, bad lifetime), the errors of ar_certext_encode(),
 *	   AR_ERR_CRYPTO or AR_ERR_NOMEM.
 */
X509 *ar_issue_cert(const ar_csr_t *csr, const ar_csr_info_t *info, const ar_issue_params_t *p,
		    ar_err_t *err);

/** Room for the hex of a key identifier or serial of up to 32 bytes, plus NUL. */
#define AR_CERT_HEX_MAX		(2 * 32 + 1)

/**
 * Lower-case hex of the authorityKeyIdentifier keyIdentifier and of the
 * serial number's DER content octets (a leading 00 is kept when the first
 * magnitude byte has its high bit set).
 *
 * FreeRADIUS 3.2 sets TLS-Client-Cert-Serial to "%02x" of each byte of
 * the serial's magnitude (ASN1_INTEGER data, src/main/tls.c). The two
 * agree for every serial whose first byte is below 0x80 - all serials of
 * ar_issue_cert() - and differ only by that leading "00" otherwise.
 *
 * @param aki_hex	may be NULL; else at least 2 * length + 1 bytes.
 * @param serial_hex	may be NULL; likewise.
 * @return 0, or -1 with AR_ERR_NOT_FOUND (no AKI keyIdentifier),
 *	   AR_ERR_MALFORMED (negative serial) or AR_ERR_TOO_LARGE (buffer).
 */
int ar_cert_ids(X509 *cert, char *aki_hex, size_t akisize, char *serial_hex,
		size_t serialsize, ar_err_t *err);

/**
 * RFC 9773 (ACME Renewal Information) certificate identifier:
 * base64url(AKI keyIdentifier) "." base64url(serial DER content octets).
 *
 * @return 0, or -1 with the errors of ar_cert_ids().
 */
int ar_cert_ari_id(X509 *cert, char *out, size_t outsize, ar_err_t *err);

#endif
