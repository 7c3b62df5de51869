/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file tpm_eventlog.h
 * @brief The UEFI measured-boot log (TCG PC Client crypto-agile format) and
 *	  its replay into the SHA-256 PCR bank.
 *
 * The log is what Linux exposes as
 * /sys/kernel/security/tpm0/binary_bios_measurements: one TCG_PCR_EVENT
 * (SHA-1 format) carrying the "Spec ID Event03" header, then
 * TCG_PCR_EVENT2 records, all little-endian. Every event but EV_NO_ACTION
 * is extended into its PCR; the replayed values are compared with the
 * quoted ones. A log is untrusted input: it is bounded (AR_TCG_MAX_*),
 * and what it says is believed only for PCRs whose replay matches a quote.
 */
#ifndef AR_TPM_EVENTLOG_H
#define AR_TPM_EVENTLOG_H

#include <stddef.h>
#include <stdint.h>

#include "tpm.h"

#define AR_TCG_MAX_LOG		(1u << 20)	/**< octets in a log */
#define AR_TCG_MAX_EVENTS	4096u		/**< events in a log */
#define AR_TCG_MAX_EVENT_DATA	(64u << 10)	/**< octets of one event's data */
#define AR_TCG_MAX_ALGS		8u		/**< digest algorithms in the header */

/* Event types (TCG PC Client Platform Firmware Profile, 10.4.1). */
#define AR_EV_PREBOOT_CERT			0x00000000u
#define AR_EV_POST_CODE				0x00000001u
#define AR_EV_NO_ACTION				0x00000003u
#define AR_EV_SEPARATOR				0x00000004u
#define AR_EV_ACTION				0x00000005u
#define AR_EV_S_CRTM_VERSION			0x00000008u
#define AR_EV_IPL				0x0000000Du
#define AR_EV_EFI_VARIABLE_DRIVER_CONFIG	0x80000001u
#define AR_EV_EFI_VARIABLE_BOOT			0x80000002u
#define AR_EV_EFI_BOOT_SERVICES_APPLICATION	0x80000003u
#define AR_EV_EFI_ACTION			0x80000007u
#define AR_EV_EFI_VARIABLE_AUTHORITY		0x800000E0u

/** One event, SHA-256 digest only; @c data points into the caller's buffer. */
typedef struct ar_tcg_event {
	uint32_t	pcr;
	uint32_t	type;
	uint8_t		sha256[AR_TPM_SHA256_LEN];
	const uint8_t	*data;
	uint32_t	data_len;
	int		data_bound;	/**< sha256 == SHA-256(data) */
} ar_tcg_event_t;

/** A parsed log and its SHA-256 replay. */
typedef struct ar_tcg_log {
	ar_tcg_event_t	*ev;		/**< owned array of @c count events (header excluded) */
	size_t		count;
	uint32_t	extended;	/**< bit i set: some event extended PCR i */
	uint8_t		pcr[AR_TPM_PCR_COUNT][AR_TPM_SHA256_LEN]; /**< replayed values */
} ar_tcg_log_t;

/**
 * Parse @p buf (@p len octets, at most AR_TCG_MAX_LOG) and replay it.
 * The header must announce SHA-256; every event must carry a SHA-256
 * digest and only algorithms the header announced; PCR indexes are 0-23.
 * A StartupLocality EV_NO_ACTION event sets PCR 0's initial value.
 * Each event's @c data_bound tells whether its SHA-256 digest is that of
 * its data: only then may a policy believe what the data says (for
 * EV_SEPARATOR, EV_EFI_VARIABLE_DRIVER_CONFIG and EV_EFI_ACTION the
 * specification makes it so; an application's digest is that of its
 * image, not of the device path the event carries).
 *
 * @p log borrows @p buf (its events point into it): keep @p buf alive as
 * long as @p log. Release with ar_tcg_log_clear(), also after a failure.
 */
ar_tpm_reason_t ar_tcg_log_parse(const uint8_t *buf, size_t len, ar_tcg_log_t *log,
				 ar_err_t *err);

/** Release what ar_tcg_log_parse() allocated. */
void ar_tcg_log_clear(ar_tcg_log_t *log);

/**
 * Check that every PCR in @p mask replays to its quoted value in @p quoted
 * (which must report each of them). PCRs the log never extended replay to
 * their reset value.
 */
ar_tpm_reason_t ar_tcg_log_check(const ar_tcg_log_t *log, const ar_tpm_pcrs_t *quoted,
				 uint32_t mask, ar_err_t *err);

/**
 * A UEFI_VARIABLE_DATA event (EV_EFI_VARIABLE_*), decoded: the variable's
 * GUID, its name as UCS-2 code units, its data. Pointers borrow the event.
 */
typedef struct ar_uefi_var {
	const uint8_t	*guid;		/**< 16 octets */
	const uint8_t	*name;		/**< name_chars UCS-2LE code units */
	uint64_t	name_chars;
	const uint8_t	*data;
	uint64_t	data_len;
} ar_uefi_var_t;

/** Decode @p ev's data as UEFI_VARIABLE_DATA (every octet used). 0 or -1. */
int ar_uefi_var_decode(const ar_tcg_event_t *ev, ar_uefi_var_t *var, ar_err_t *err);

/** Does @p var's name equal the ASCII string @p ascii? */
int ar_uefi_var_name_is(const ar_uefi_var_t *var, const char *ascii);

/**
 * Is @p ev a record the replay may leave unjudged: an EV_NO_ACTION (never
 * extended, so a measured event relabelled so breaks the replay), an
 * EV_SEPARATOR whose data is exactly 00000000 or FFFFFFFF, or an
 * EV_EFI_ACTION whose data is printable ASCII (no NUL, no binary), the last
 * two with a SHA-256 digest that is the hash of their data? The event type
 * is not measured: anything else must be judged as a measured component.
 */
int ar_tcg_event_benign(const ar_tcg_event_t *ev);

/**
 * The index of PCR 7's first EV_SEPARATOR that ar_tcg_event_benign()
 * accepts (the firmware's hand-over: UEFI variable configuration events of
 * PCR 7 count only before it), or log->count when PCR 7 has none.
 */
size_t ar_tcg_log_pcr7_separator(const ar_tcg_log_t *log);

/**
 * The Secure Boot state the firmware measured: every
 * EV_EFI_VARIABLE_DRIVER_CONFIG event of PCR 7 for the EFI global variable
 * SecureBoot before PCR 7's separator (ar_tcg_log_pcr7_separator()), each
 * believed only when its digest is that of its data; enabled only when
 * every one says 1. A SecureBoot event after the separator was measured by
 * the OS, not the firmware, and makes the state unknown.
 *
 * @return 1 (enabled), 0 (disabled: a variable's data is 0), or -1 with
 *	   @p err saying why the state is unknown (no such event, one after
 *	   the separator, an event whose digest is not that of its data,
 *	   malformed data). Only meaningful once PCR 7 replayed to the quote
 *	   (ar_tcg_log_check()).
 */
int ar_tcg_log_secure_boot(const ar_tcg_log_t *log, ar_err_t *err);

#endif
