/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file check.h
 * @brief The per-authentication decision of rlm_acme_rats, free of
 *	  FreeRADIUS: parse what the server exports about the client
 *	  certificate, look the device up in Redis, apply the decision table.
 *
 * The FreeRADIUS glue (rlm_acme_rats.c) copies the request's
 * TLS-Client-Cert-* values into an ::armod_cert_t, takes a store handle
 * from its connection pool and calls armod_check(). The fuzz target, the
 * benchmark and the unit tests call the same functions.
 *
 * Decision table (docs/module.md has the operator's version):
 * | condition | outcome |
 * |---|---|
 * | no serial (FreeRADIUS exports none of 32 octets or more) | reject |
 * | neither the verified chain nor the certificate's issuer fields name a configured ACME-RATS CA | reject, or pass when non_acme_rats = pass |
 * | the certificate claims an ACME-RATS CA (AKI or issuer name) but the chain OpenSSL verified does not run through it | reject |
 * | configured CA, but no attestation extension, or one that does not decode | reject |
 * | notAfter - notBefore above max_cert_lifetime, or expired | reject |
 * | certificate record absent, for another device, superseded or revoked | reject |
 * | posture contraindicated (or "none") | reject |
 * | posture age above grace | reject |
 * | posture age above fresh, or status warning | quarantine (+ re-attest event) |
 * | otherwise | accept |
 * | Redis down or timed out (ar_store_err_is_down()) | fail_closed: reject; certificate_only: the rows above from the extension alone, flagged degraded |
 * | a Redis record that does not parse (or any other store error) | reject, whatever redis_unavailable says |
 */
#ifndef ARMOD_CHECK_H
#define ARMOD_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "certext.h"
#include "radius_metrics.h"
#include "store.h"

/** Outcomes, in the order the glue maps them to rcodes. */
typedef enum armod_decision {
	ARMOD_ACCEPT = 0,	/**< ok: normal access */
	ARMOD_QUARANTINE,	/**< updated: quarantine VLAN, Reply-Message, re-attest event */
	ARMOD_REJECT,		/**< reject, reason in Reply-Message */
	ARMOD_PASS,		/**< noop: not an ACME-RATS certificate, let other policy decide */
} armod_decision_t;

/** "accept", "quarantine", "reject", "pass" (also the dictionary VALUE names). */
const char *armod_decision_name(armod_decision_t d);

/** Most issuing CAs a module instance trusts as ACME-RATS CAs. */
#define ARMOD_ISSUERS_MAX	16
/** Longest issuer name (X509_NAME_oneline form, as TLS-Client-Cert-Issuer). */
#define ARMOD_NAME_MAX		255

/** Longest certificate time text (GeneralizedTime, "YYYYMMDDHHMMSSZ"). */
#define ARMOD_TIME_MAX		15

/**
 * A trusted ACME-RATS issuing CA (one certificate of issuer_certs), in the
 * forms FreeRADIUS prints the certificates of a verified chain: what a
 * depth-1 certificate must show (TLS-Cert-*) to be this CA, and what a
 * leaf it issued carries (AKI, issuer name).
 */
typedef struct armod_issuer {
	char	ski[AR_STORE_HEX_MAX + 1];	/**< its subjectKeyIdentifier, lower-case hex */
	char	subject[ARMOD_NAME_MAX + 1];	/**< its subject, X509_NAME_oneline() */
	char	issuer[ARMOD_NAME_MAX + 1];	/**< its issuer, X509_NAME_oneline() */
	char	serial[AR_STORE_HEX_MAX + 1];	/**< lower-case hex of its serial's content bytes */
	char	not_before[ARMOD_TIME_MAX + 1];	/**< its notBefore as encoded (UTCTime or GeneralizedTime text) */
	char	not_after[ARMOD_TIME_MAX + 1];	/**< its notAfter likewise */
} armod_issuer_t;

/** What the operator configured. */
typedef struct armod_policy {
	int64_t		fresh_s;		/**< posture age still fully trusted */
	int64_t		grace_s;		/**< posture age still admitted to quarantine */
	int64_t		max_lifetime_s;		/**< cap on notAfter - notBefore */
	int		fail_closed;		/**< Redis down: reject instead of certificate_only */
	int		pass_non_acme;		/**< non_acme_rats = pass */
	size_t		nissuers;
	armod_issuer_t	issuers[ARMOD_ISSUERS_MAX];
} armod_policy_t;

/**
 * The client certificate as FreeRADIUS exports it (all values untrusted,
 * any may be NULL when the attribute is absent), and the certificate at
 * depth 1 of the chain OpenSSL verified (TLS-Cert-*): the CA that signed
 * the client certificate. The leaf's own issuer fields (issuer, aki) are
 * written by whoever signed it; only the depth-1 values say which
 * certificate of the trust store the signature was verified against.
 */
typedef struct armod_cert {
	const char		*serial;	/**< TLS-Client-Cert-Serial: hex of the magnitude; NULL rejects */
	const char		*valid_since;	/**< TLS-Client-Cert-Valid-Since: YYMMDDHHMMSSZ or YYYYMMDDHHMMSSZ */
	const char		*expiration;	/**< TLS-Client-Cert-Expiration: likewise */
	const char		*issuer;	/**< TLS-Client-Cert-Issuer: "/CN=..." */
	const char		*aki;		/**< ...-X509v3-Authority-Key-Identifier: "keyid:AB:CD..." or "AB:CD..." */
	const unsigned char	*ext;		/**< TLS-Client-Cert-<OID>: extnValue, or NULL */
	size_t			ext_len;
	const char		*ca_serial;	/**< TLS-Cert-Serial: hex of the content bytes */
	const char		*ca_subject;	/**< TLS-Cert-Subject */
	const char		*ca_issuer;	/**< TLS-Cert-Issuer */
	const char		*ca_valid_since; /**< TLS-Cert-Valid-Since */
	const char		*ca_expiration;	/**< TLS-Cert-Expiration */
} armod_cert_t;

/** What the check found and decided. Plain data. */
typedef struct armod_result {
	armod_decision_t decision;
	char		reason[200];			/**< one phrase, for Reply-Message and the log */
	ar_radius_reason_t code;			/**< the reason as a metric label value */
	char		device[AR_STORE_DEVICE_MAX + 1];	/**< "" when unknown */
	char		serial[AR_STORE_HEX_MAX + 1];	/**< normalised, "" when unusable */
	char		aki[AR_STORE_HEX_MAX + 1];
	ar_status_t	status;				/**< posture status the decision used */
	int		verdict;			/**< a standing SOC verdict was folded in */
	int64_t		posture_age;			/**< seconds, -1 when unknown */
	int		degraded;			/**< Redis was not usable: extension only */
	int		store_error;			/**< the store call failed (see store_msg) */
	char		store_msg[128];
} armod_result_t;

/**
 * Normalise a serial as FreeRADIUS prints it (hex of the magnitude, even
 * length, either case) to the store's form, the lower-case hex of the DER
 * content octets (ar_cert_ids()): "00" is prepended when the top bit of
 * the first byte is set. At most AR_STORE_HEX_MAX digits in the end.
 * @return 0, or -1 with AR_ERR_MALFORMED.
 */
int armod_parse_serial(const char *in, char *out, size_t size, ar_err_t *err);

/**
 * Normalise an Authority-Key-Identifier as FreeRADIUS prints it (OpenSSL's
 * X509V3_EXT_print: "keyid:" optional, colon-separated hex pairs, maybe
 * followed by a newline and DirName/serial lines, which are ignored) to
 * lower-case hex without colons.
 * @return 0, or -1 with AR_ERR_MALFORMED.
 */
int armod_parse_aki(const char *in, char *out, size_t size, ar_err_t *err);

/** UTCTime or GeneralizedTime text (Z only) to unix seconds. @return 0 or -1. */
int armod_parse_time(const char *in, int64_t *out, ar_err_t *err);

/**
 * The issuing CA of @p cert's verified chain: the certificate of
 * @p pol->issuers whose serial, subject, issuer and validity all equal
 * what FreeRADIUS reported for depth 1 (TLS-Cert-*), or NULL.
 */
const armod_issuer_t *armod_verified_issuer(const armod_policy_t *pol, const armod_cert_t *cert);

/**
 * Fill @p is from a CA certificate's fields (the module reads them from
 * issuer_certs with OpenSSL). All arguments as FreeRADIUS would print them.
 * @return 0, or -1 with AR_ERR_MALFORMED when a field does not fit.
 */
int armod_issuer_set(armod_issuer_t *is, const char *ski_hex, const char *subject,
		     const char *issuer, const char *serial_hex, const char *not_before,
		     const char *not_after, ar_err_t *err);

/**
 * The whole check. @p store may be NULL: Redis is unavailable (no pool
 * connection). @p now is unix seconds. Never fails: every problem becomes
 * a decision with a reason.
 *
 * @param ext_out	when not NULL, receives the decoded extension (zeroed
 *			when absent or malformed).
 */
void armod_check(const armod_policy_t *pol, const armod_cert_t *cert, ar_store_t *store,
		 int64_t now, armod_result_t *res, ar_certext_t *ext_out);

/** The reason armod_no_certificate() gives. */
#define ARMOD_NO_CERT_REASON	"client certificate attributes not available (TLS 1.3 session " \
				"resumption): authenticate afresh"

/**
 * The decision for an EAP-TLS handshake that reports no client certificate
 * (FreeRADIUS 3.2.1 resuming a TLS 1.3 session): reject with
 * ::ARMOD_NO_CERT_REASON. EAP-TLS always has a client certificate: its
 * absence never means "not an ACME-RATS certificate".
 */
void armod_no_certificate(armod_result_t *res);

/**
 * The decision for a request the acme-rats site was about to accept with
 * no client certificate at all (another EAP method such as PEAP, or no
 * EAP: PAP, MAC authentication added to the site): nothing the module
 * could judge, so it is not an ACME-RATS certificate - reject, or pass
 * (noop) when non_acme_rats = pass. @method names how the request
 * authenticated ("EAP-Type PEAP", "no EAP"; NULL: "no EAP"); it goes into
 * the reason, bounded.
 */
void armod_no_client_certificate(const armod_policy_t *pol, const char *method, armod_result_t *res);

/**
 * The event the module appends to the stream after a quarantine: type
 * "reattest", the device, posture status, reason, serial, source
 * "rlm_acme_rats".
 */
void armod_reattest_event(const armod_result_t *res, ar_store_event_t *ev);

/** Most bytes of the Class value armod_class_encode() writes. */
#define ARMOD_CLASS_MAX		253

/**
 * The Class attribute (RFC 2865 5.25) the module puts in an Access-Accept,
 * which the NAS echoes in accounting: "acme-rats:<device>:<serial>".
 * @return its length, or -1 when it does not fit.
 */
int armod_class_encode(const char *device, const char *serial, char *out, size_t size);

/**
 * Read a Class value back. Values of other writers are not ours: 0.
 * @return 1 and fills @p device and @p serial, 0 not ours, -1 ours but malformed.
 */
int armod_class_decode(const unsigned char *in, size_t len, char *device, size_t devsize,
		       char *serial, size_t sersize);

#endif
