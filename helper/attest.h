/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file attest.h
 * @brief The device attester: collect evidence (::ar_evidence_t) about the
 *	  running Linux system.
 *
 * Every file the collector reads is looked up under a configurable root
 * ("sysroot", default "/"), so tests and demos can point it at a prepared
 * tree. docs/evidence.md says, field by field, where each value comes from
 * and when it is reported as unknown; in short:
 *
 * | field | source |
 * |---|---|
 * | os.id, os.version_id | /etc/os-release, else /usr/lib/os-release |
 * | os.kernel | uname(2); under a sysroot /proc/sys/kernel/osrelease first |
 * | device.hostname | gethostname(2); under a sysroot /etc/hostname first |
 * | device.id | the configured id, else /etc/machine-id (/var/lib/dbus/machine-id) |
 * | patch.last_security_update | newest apt history entry with an Upgrade: line, else the mtime of apt's upgrade-stamp or of dpkg's status file |
 * | secure_boot | /sys/firmware/efi and the SecureBoot EFI variable |
 * | disk_encryption | the device mounted on / (/proc/mounts), its dm-crypt stack in /sys/block, else /etc/crypttab |
 * | edr | a process whose /proc/PID/comm is the configured name |
 * | key | RFC 7638 thumbprint of the configured key; storage class as declared |
 *
 * After collection an optional override file replaces individual values
 * (same shape as the evidence JSON, every member optional), so a demo or a
 * test can present an unpatched or compromised device.
 */
#ifndef AR_ATTEST_H
#define AR_ATTEST_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "evidence.h"
#include "jwk.h"

/** Largest override file accepted, in bytes. */
#define AR_ATTEST_OVERRIDE_MAX	(64 * 1024)

/** EFI global variable GUID, suffix of the SecureBoot efivarfs file name. */
#define AR_EFI_GLOBAL_GUID	"8be4df61-93ca-11d2-aa0d-00e098032b8c"

/** What to collect and from where. Zero-initialise, then set what applies. */
typedef struct ar_attest_opts {
	const char	*root;		/**< sysroot; NULL or "" means "/" */
	const char	*device_id;	/**< e.g. an asset tag; NULL: the machine id */
	const char	*edr_process;	/**< process name of the EDR agent; NULL: not reported */
	const char	*key_path;	/**< PEM key (private, or public for tpm/pkcs11) */
	const ar_jwk_t	*key;		/**< already loaded key; overrides @c key_path */
	ar_key_storage_t key_storage;	/**< declared storage class of the key */
	const char	*override_path;	/**< JSON override file, or NULL */
} ar_attest_opts_t;

/**
 * Collect evidence bound to @p nonce.
 *
 * Facts that cannot be established are reported as unknown (-1, 0 or "",
 * see ::ar_evidence_t); only a missing or unreadable key, no usable device
 * id, an invalid nonce or a bad override file make the call fail. The result
 * always satisfies ar_evidence_from_json() after a round trip through
 * ar_evidence_to_json().
 *
 * @param o	what to collect (not retained).
 * @param nonce	the verifier's nonce, copied as is (1..AR_EAR_NONCE_MAX
 *		printable characters).
 * @param now	unix seconds, becomes @c collected_at.
 * @param[out] out	filled on success, zeroed on failure.
 * @return 0, or -1 with AR_ERR_CONFIG (no key or device id, bad nonce),
 *	   AR_ERR_IO / AR_ERR_MALFORMED (key or override file unreadable or
 *	   invalid, the message names the file and the member).
 */
int ar_attest_collect(const ar_attest_opts_t *o, const char *nonce, int64_t now,
		      ar_evidence_t *out, ar_err_t *err);

/**
 * Replace values of @p ev with the members of an override document.
 *
 * The document is a JSON object with the members of the evidence JSON
 * (`nonce`, `collected_at`, `device`, `os`, `patch`, `disk_encryption`,
 * `edr`, `secure_boot`, `key`), each optional and each object's members
 * optional. A JSON `null` in place of a boolean, string or time makes that
 * value unknown. Unknown members, wrong types and over-long strings are
 * rejected, and @p ev is left untouched on failure.
 *
 * @return 0, or -1 with AR_ERR_MALFORMED or AR_ERR_TOO_LARGE.
 */
int ar_attest_apply_overrides(ar_evidence_t *ev, const char *text, size_t len, ar_err_t *err);

/** As ar_attest_apply_overrides(), from a file of at most AR_ATTEST_OVERRIDE_MAX bytes. */
int ar_attest_apply_override_file(ar_evidence_t *ev, const char *path, ar_err_t *err);

/**
 * Parse an apt history log (the text of /var/log/apt/history.log) and return
 * the End-Date of the newest entry that upgraded packages (has an
 * `Upgrade:` line), read as local time. Malformed lines are ignored.
 *
 * @return unix seconds, or 0 when no such entry exists.
 */
int64_t ar_attest_apt_history_newest(const char *text, size_t len);

#endif
