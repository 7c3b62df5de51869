/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The TPM evidence parsers on crafted input (no TPM): boot log structure
 * and bounds, IMA lines, allowlist and excludes, incremental replay, the
 * clock rule.
 */
#include "config.h"

#include <openssl/evp.h>

#include "testutil.h"
#include "tpm.h"
#include "tpm_eventlog.h"
#include "tpm_ima.h"
#include "tpm_policy.h"

#define assert_reason(r, want, err, needle) do {					\
	ar_tpm_reason_t r_ = (r);							\
	if (r_ != (want) || !strstr((err)->msg, (needle)))				\
		fail_msg("expected %s \"%s\", got %s \"%s\"", ar_tpm_reason_name(want),	\
			 (needle), ar_tpm_reason_name(r_), (err)->msg);			\
} while (0)

/* ---- boot log ---------------------------------------------------------- */

typedef struct buf {
	uint8_t	b[4096];
	size_t	n;
} buf_t;

static void put(buf_t *b, const void *d, size_t n)
{
	assert_true(b->n + n <= sizeof(b->b));
	memcpy(b->b + b->n, d, n);
	b->n += n;
}

static void put32(buf_t *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };

	put(b, x, 4);
}

static void put16(buf_t *b, uint16_t v)
{
	uint8_t x[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	put(b, x, 2);
}

/* Header announcing SHA-256 only (or SHA-1 only). */
static void header(buf_t *b, int sha256)
{
	static const uint8_t zero[20];

	put32(b, 0);
	put32(b, AR_EV_NO_ACTION);
	put(b, zero, sizeof(zero));
	put32(b, 16 + 4 + 4 + 4 + 4 + 1);
	put(b, "Spec ID Event03", 16);
	put32(b, 0);
	put(b, "\x00\x02\x00\x02", 4);
	put32(b, 1);
	put16(b, sha256 ? 0x000B : 0x0004);
	put16(b, sha256 ? 32 : 20);
	put(b, "", 1);
}

static void event(buf_t *b, uint32_t pcr, uint32_t type, const char *data)
{
	uint8_t d[32];

	EVP_Digest(data, strlen(data), d, NULL, EVP_sha256(), NULL);
	put32(b, pcr);
	put32(b, type);
	put32(b, 1);
	put16(b, 0x000B);
	put(b, d, sizeof(d));
	put32(b, (uint32_t)strlen(data));
	put(b, data, strlen(data));
}

static void extend(uint8_t pcr[32], const char *data)
{
	uint8_t d[32], cat[64];

	EVP_Digest(data, strlen(data), d, NULL, EVP_sha256(), NULL);
	memcpy(cat, pcr, 32);
	memcpy(cat + 32, d, 32);
	EVP_Digest(cat, 64, pcr, NULL, EVP_sha256(), NULL);
}

static void test_boot_log_replays_and_locality_sets_pcr0(void **state)
{
	buf_t b = { .n = 0 };
	ar_tcg_log_t log;
	ar_tpm_pcrs_t q = { .mask = 0x81 };
	ar_err_t err = { 0 };

	(void)state;
	header(&b, 1);
	put32(&b, 0);
	put32(&b, AR_EV_NO_ACTION);
	put32(&b, 1);
	put16(&b, 0x000B);
	put(&b, (uint8_t[32]){ 0 }, 32);
	put32(&b, 17);
	put(&b, "StartupLocality\0\3", 17);
	event(&b, 0, AR_EV_S_CRTM_VERSION, "crtm");
	event(&b, 7, AR_EV_SEPARATOR, "\xff\xff\xff\xff");
	assert_reason(ar_tcg_log_parse(b.b, b.n, &log, &err), AR_TPM_OK, &err, "");
	assert_int_equal(log.count, 3);
	assert_int_equal(log.extended, 0x81);
	q.v[0][31] = 3;			/* locality 3 */
	extend(q.v[0], "crtm");
	extend(q.v[7], "\xff\xff\xff\xff");
	assert_reason(ar_tcg_log_check(&log, &q, 0x81, &err), AR_TPM_OK, &err, "");
	assert_true(log.ev[2].data_bound);
	q.v[0][0] ^= 1;
	assert_reason(ar_tcg_log_check(&log, &q, 0x81, &err), AR_TPM_LOG_REPLAY_MISMATCH, &err,
		      "PCR 0");
	q.v[0][0] ^= 1;
	assert_reason(ar_tcg_log_check(&log, &q, 0x83, &err), AR_TPM_PCR_SELECTION, &err,
		      "PCR 1 must replay");
	ar_tcg_log_clear(&log);
}

static void test_boot_log_without_sha256_bank_refused(void **state)
{
	buf_t b = { .n = 0 };
	ar_tcg_log_t log;
	ar_err_t err = { 0 };

	(void)state;
	header(&b, 0);
	assert_reason(ar_tcg_log_parse(b.b, b.n, &log, &err), AR_TPM_LOG_MALFORMED, &err,
		      "no SHA-256 bank");
	ar_tcg_log_clear(&log);
}

static void test_boot_log_in_sha1_format_refused(void **state)
{
	buf_t b = { .n = 0 };
	ar_tcg_log_t log;
	ar_err_t err = { 0 };

	(void)state;
	header(&b, 1);
	memcpy(b.b + 32, "Spec ID Event02", 15);	/* a TPM 1.2 log */
	assert_reason(ar_tcg_log_parse(b.b, b.n, &log, &err), AR_TPM_LOG_MALFORMED, &err,
		      "not a crypto-agile log");
	ar_tcg_log_clear(&log);
}

static void test_boot_log_event_of_pcr_24_or_undeclared_digest_refused(void **state)
{
	buf_t b = { .n = 0 };
	ar_tcg_log_t log;
	ar_err_t err = { 0 };
	size_t at;

	(void)state;
	header(&b, 1);
	at = b.n;
	event(&b, 24, AR_EV_IPL, "x");
	assert_reason(ar_tcg_log_parse(b.b, b.n, &log, &err), AR_TPM_LOG_MALFORMED, &err,
		      "event 1: PCR index above 23");
	ar_tcg_log_clear(&log);
	b.b[at] = 8;
	b.b[at + 12] = 0x04;		/* a SHA-1 digest the header did not announce */
	assert_reason(ar_tcg_log_parse(b.b, b.n, &log, &err), AR_TPM_LOG_MALFORMED, &err,
		      "does not list");
	ar_tcg_log_clear(&log);
}

static void test_boot_log_event_data_above_bound_refused(void **state)
{
	buf_t b = { .n = 0 };
	ar_tcg_log_t log;
	ar_err_t err = { 0 };

	(void)state;
	header(&b, 1);
	event(&b, 8, AR_EV_IPL, "x");
	b.b[b.n - 5 + 2] = 0x10;	/* data size 0x100000 + 1 */
	assert_reason(ar_tcg_log_parse(b.b, b.n, &log, &err), AR_TPM_LOG_MALFORMED, &err,
		      "at most 65536");
	assert_int_equal(err.code, AR_ERR_TOO_LARGE);
	ar_tcg_log_clear(&log);
}

/* An EV_EFI_VARIABLE_DRIVER_CONFIG event of SecureBoot = @on, digest of its data or not. */
static void secure_boot_event(buf_t *b, uint8_t on, int bound)
{
	static const uint8_t guid[16] = { 0x61, 0xdf, 0xe4, 0x8b, 0xca, 0x93, 0xd2, 0x11,
					  0xaa, 0x0d, 0x00, 0xe0, 0x98, 0x03, 0x2b, 0x8c };
	uint8_t data[16 + 8 + 8 + 20 + 1] = { 0 }, d[32];
	const char *name = "SecureBoot";
	size_t k;

	memcpy(data, guid, 16);
	data[16] = 10;			/* UnicodeNameLength */
	data[24] = 1;			/* VariableDataLength */
	for (k = 0; k < 10; k++)
		data[32 + 2 * k] = (uint8_t)name[k];
	data[52] = on;
	EVP_Digest(data, sizeof(data), d, NULL, EVP_sha256(), NULL);
	d[0] ^= bound ? 0 : 1;
	put32(b, 7);
	put32(b, AR_EV_EFI_VARIABLE_DRIVER_CONFIG);
	put32(b, 1);
	put16(b, 0x000B);
	put(b, d, sizeof(d));
	put32(b, sizeof(data));
	put(b, data, sizeof(data));
}

static void test_secure_boot_state_only_from_a_bound_event(void **state)
{
	buf_t b = { .n = 0 };
	ar_tcg_log_t log;
	ar_err_t err = { 0 };
	size_t base;

	(void)state;
	header(&b, 1);
	assert_reason(ar_tcg_log_parse(b.b, b.n, &log, &err), AR_TPM_OK, &err, "");
	assert_int_equal(ar_tcg_log_secure_boot(&log, &err), -1);
	assert_err(&err, AR_ERR_NOT_FOUND, "does not measure SecureBoot");
	ar_tcg_log_clear(&log);
	base = b.n;
	secure_boot_event(&b, 1, 1);
	assert_reason(ar_tcg_log_parse(b.b, b.n, &log, &err), AR_TPM_OK, &err, "");
	assert_int_equal(ar_tcg_log_secure_boot(&log, &err), 1);
	ar_tcg_log_clear(&log);
	b.n = base;
	secure_boot_event(&b, 1, 0);	/* says "on", measured something else */
	assert_reason(ar_tcg_log_parse(b.b, b.n, &log, &err), AR_TPM_OK, &err, "");
	assert_int_equal(ar_tcg_log_secure_boot(&log, &err), -1);
	assert_err(&err, AR_ERR_MALFORMED, "not that of its data");
	ar_tcg_log_clear(&log);
	b.n = base;
	secure_boot_event(&b, 0, 1);
	assert_reason(ar_tcg_log_parse(b.b, b.n, &log, &err), AR_TPM_OK, &err, "");
	assert_int_equal(ar_tcg_log_secure_boot(&log, &err), 0);
	ar_tcg_log_clear(&log);
}

/* ---- judging the boot log (attacks on the event type and on late records) ---- */

/* One event whose SHA-256 digest is that of @measured (@data when NULL). */
static void raw_event(buf_t *b, uint32_t pcr, uint32_t type, const void *data, size_t len,
		      const void *measured, size_t mlen)
{
	uint8_t d[32];

	if (!measured) {
		measured = data;
		mlen = len;
	}
	EVP_Digest(measured, mlen, d, NULL, EVP_sha256(), NULL);
	put32(b, pcr);
	put32(b, type);
	put32(b, 1);
	put16(b, 0x000B);
	put(b, d, sizeof(d));
	put32(b, (uint32_t)len);
	put(b, data, len);
}

/* UEFI_VARIABLE_DATA of EFI global variable @name holding @v (@n octets, n <= 32). */
static size_t var_data(uint8_t out[128], const char *name, const void *v, size_t n)
{
	static const uint8_t guid[16] = { 0x61, 0xdf, 0xe4, 0x8b, 0xca, 0x93, 0xd2, 0x11,
					  0xaa, 0x0d, 0x00, 0xe0, 0x98, 0x03, 0x2b, 0x8c };
	size_t k, len = strlen(name);

	memset(out, 0, 128);
	memcpy(out, guid, 16);
	out[16] = (uint8_t)len;
	out[24] = (uint8_t)n;
	for (k = 0; k < len; k++)
		out[32 + 2 * k] = (uint8_t)name[k];
	memcpy(out + 32 + 2 * len, v, n);
	return 32 + 2 * len + n;
}

static void var_event(buf_t *b, uint32_t type, const char *name, const void *v, size_t n)
{
	uint8_t data[128];

	raw_event(b, 7, type, data, var_data(data, name, v, n), NULL, 0);
}

static void hex_of(char out[65], const void *d, size_t n)
{
	uint8_t h[32];
	size_t k;

	EVP_Digest(d, n, h, NULL, EVP_sha256(), NULL);
	for (k = 0; k < 32; k++)
		snprintf(out + 2 * k, 3, "%02x", h[k]);
}

/* A UEFI_IMAGE_LOAD_EVENT's data: binary (addresses, a UCS-2 device path). */
static const uint8_t image_load[32] = { 0x00, 0x00, 0x00, 0x7c, 0, 0, 0, 0, 0x10, 0, 0x10, 0,
					0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x04, 0x04, 0x1c, 0,
					'\\', 0, 'E', 0 };
#define PK_GOOD		"fleet PK"
#define PK_OTHER	"another PK"
#define CMDLINE_OK	"/boot/vmlinuz root=UUID=1e2b ro quiet"

/* The policy: shim in PCR 4, Secure Boot, the fleet's PK, one command line. */
static void judge_policy(ar_tpm_refpolicy_t *p, int pin7)
{
	char text[1024], shim[65], pk[65], sb[65];
	uint8_t data[128];
	ar_err_t err = { 0 };

	hex_of(shim, "shimx64.efi", 11);
	hex_of(pk, data, var_data(data, "PK", PK_GOOD, strlen(PK_GOOD)));
	hex_of(sb, data, var_data(data, "SecureBoot", "\1", 1));
	snprintf(text, sizeof(text), "quote_pcrs 0-9\nboot_pcrs 4,7,8\nboot_digest 4 %s\n"
		 "secure_boot required\nuefi_var PK %s\nkernel_cmdline " CMDLINE_OK "\n"
		 "%s%s%s%s%s", shim, pk, pin7 ? "boot_digest 7 " : "", pin7 ? sb : "",
		 pin7 ? "\nboot_digest 7 " : "", pin7 ? pk : "", pin7 ? "\n" : "");
	if (ar_tpm_refpolicy_parse(text, strlen(text), ".", p, &err) < 0)
		fail_msg("policy: %s", err.msg);
}

/* The firmware's part of a boot: PCR 7 (SecureBoot @sb, PK @pk, separator), PCR 4, PCR 8. */
static void firmware(buf_t *b, uint8_t sb, const char *pk)
{
	header(b, 1);
	var_event(b, AR_EV_EFI_VARIABLE_DRIVER_CONFIG, "SecureBoot", &sb, 1);
	var_event(b, AR_EV_EFI_VARIABLE_DRIVER_CONFIG, "PK", pk, strlen(pk));
	raw_event(b, 7, AR_EV_SEPARATOR, "\0\0\0\0", 4, NULL, 0);
	raw_event(b, 4, AR_EV_SEPARATOR, "\0\0\0\0", 4, NULL, 0);
	raw_event(b, 4, AR_EV_EFI_ACTION, "Calling EFI Application from Boot Option", 40, NULL, 0);
	raw_event(b, 4, AR_EV_EFI_BOOT_SERVICES_APPLICATION, image_load, sizeof(image_load),
		  "shimx64.efi", 11);
	raw_event(b, 8, AR_EV_IPL, "kernel_cmdline: " CMDLINE_OK, sizeof("kernel_cmdline: "
		  CMDLINE_OK), NULL, 0);
}

/* Judge @b under policy @pin7; return the vector, the reason in @why. */
static ar_tvec_t judged(const buf_t *b, int pin7, char why[512])
{
	ar_tpm_refpolicy_t p;
	ar_tcg_log_t log;
	ar_tvec_t tv;
	ar_err_t err = { 0 };

	memset(&tv, 0, sizeof(tv));
	judge_policy(&p, pin7);
	assert_reason(ar_tcg_log_parse(b->b, b->n, &log, &err), AR_TPM_OK, &err, "");
	ar_tpm_refpolicy_judge(&p, &log, &tv, why, 512);
	ar_tcg_log_clear(&log);
	ar_tpm_refpolicy_free(&p);
	return tv;
}

#define assert_judged(b, pin7, exe, conf, needle) do {					\
	char why_[512];									\
	ar_tvec_t tv_ = judged((b), (pin7), why_);					\
	if (tv_.v[AR_TV_EXECUTABLES] != (exe) || tv_.v[AR_TV_CONFIGURATION] != (conf) ||	\
	    !strstr(why_, (needle)))							\
		fail_msg("expected executables %d configuration %d \"%s\", got %d %d \"%s\"",	\
			 (exe), (conf), (needle), tv_.v[AR_TV_EXECUTABLES],		\
			 tv_.v[AR_TV_CONFIGURATION], why_);				\
} while (0)

static void test_healthy_boot_log_judged_affirming(void **state)
{
	buf_t b = { .n = 0 };

	(void)state;
	firmware(&b, 1, PK_GOOD);
	assert_judged(&b, 0, 2, 2, "");
	assert_judged(&b, 1, 2, 2, "");
}

static void test_bootkit_event_relabelled_efi_action_is_judged(void **state)
{
	buf_t b = { .n = 0 };
	size_t at;

	(void)state;
	firmware(&b, 1, PK_GOOD);
	at = b.n;
	raw_event(&b, 4, AR_EV_EFI_BOOT_SERVICES_APPLICATION, image_load, sizeof(image_load),
		  "evil-bootkit.efi", 16);
	assert_judged(&b, 0, 96, 2, "tpm_boot_digest_unknown: boot log event 7 (PCR 4, type "
		      "0x80000003)");
	b.b[at + 4] = (uint8_t)AR_EV_EFI_ACTION;	/* same digest, type 0x80000007 */
	assert_judged(&b, 0, 96, 2, "(PCR 4, type 0x80000007)");
	b.n = at;					/* and ASCII data, not its own hash */
	raw_event(&b, 4, AR_EV_EFI_ACTION, "Calling EFI Application", 23, "evil-bootkit.efi", 16);
	assert_judged(&b, 0, 96, 2, "(PCR 4, type 0x80000007)");
}

static void test_bootkit_event_relabelled_separator_is_judged(void **state)
{
	buf_t b = { .n = 0 };
	size_t at;

	(void)state;
	firmware(&b, 1, PK_GOOD);
	at = b.n;
	raw_event(&b, 4, AR_EV_SEPARATOR, image_load, sizeof(image_load), "evil-bootkit.efi", 16);
	assert_judged(&b, 0, 96, 2, "(PCR 4, type 0x4)");
	b.n = at;					/* separator data, another digest */
	raw_event(&b, 4, AR_EV_SEPARATOR, "\0\0\0\0", 4, "evil-bootkit.efi", 16);
	assert_judged(&b, 0, 96, 2, "(PCR 4, type 0x4)");
}

static void test_separator_with_other_data_is_judged(void **state)
{
	static const char *const data[] = { "\1\0\0\0", "\xff\xff\xff\xfe", "\0\0\0\0\0" };
	static const size_t len[] = { 4, 4, 5 };
	buf_t b = { .n = 0 };
	size_t at, k;

	(void)state;
	firmware(&b, 1, PK_GOOD);
	at = b.n;
	raw_event(&b, 4, AR_EV_SEPARATOR, "\xff\xff\xff\xff", 4, NULL, 0);
	assert_judged(&b, 0, 2, 2, "");			/* the two separator values pass */
	for (k = 0; k < 3; k++) {			/* digest of its data, but not 0 or ~0 */
		b.n = at;
		raw_event(&b, 4, AR_EV_SEPARATOR, data[k], len[k], NULL, 0);
		assert_judged(&b, 0, 96, 2, "(PCR 4, type 0x4)");
	}
	b.n = at;					/* an EFI action with a NUL or binary */
	raw_event(&b, 4, AR_EV_EFI_ACTION, "Exit Boot Services\0", 19, NULL, 0);
	assert_judged(&b, 0, 96, 2, "(PCR 4, type 0x80000007)");
	b.n = at;
	raw_event(&b, 4, AR_EV_EFI_ACTION, "Exit\x01", 5, NULL, 0);
	assert_judged(&b, 0, 96, 2, "(PCR 4, type 0x80000007)");
}

static void test_bootkit_event_relabelled_no_action_breaks_the_replay(void **state)
{
	buf_t b = { .n = 0 };
	ar_tcg_log_t log;
	ar_tpm_pcrs_t q = { .mask = 0x10 };
	ar_err_t err = { 0 };

	(void)state;
	header(&b, 1);
	raw_event(&b, 4, AR_EV_NO_ACTION, image_load, sizeof(image_load), "evil-bootkit.efi", 16);
	assert_reason(ar_tcg_log_parse(b.b, b.n, &log, &err), AR_TPM_OK, &err, "");
	assert_int_equal(log.extended, 0);		/* never extended */
	extend(q.v[4], "evil-bootkit.efi");		/* what the TPM really holds */
	assert_reason(ar_tcg_log_check(&log, &q, 0x10, &err), AR_TPM_LOG_REPLAY_MISMATCH, &err,
		      "PCR 4");
	ar_tcg_log_clear(&log);
}

static void test_secure_boot_event_after_separator_refused(void **state)
{
	buf_t b = { .n = 0 };
	ar_tcg_log_t log;
	ar_err_t err = { 0 };

	(void)state;
	firmware(&b, 0, PK_GOOD);
	assert_judged(&b, 0, 2, 96, "tpm_secure_boot_off");
	var_event(&b, AR_EV_EFI_VARIABLE_DRIVER_CONFIG, "SecureBoot", "\1", 1);	/* the OS's */
	assert_judged(&b, 0, 2, 96, "tpm_config_after_separator: boot log event 7 (PCR 7");
	assert_reason(ar_tcg_log_parse(b.b, b.n, &log, &err), AR_TPM_OK, &err, "");
	assert_int_equal(ar_tcg_log_secure_boot(&log, &err), -1);
	assert_err(&err, AR_ERR_MALFORMED, "follows PCR 7's separator");
	ar_tcg_log_clear(&log);
	b.n = 0;					/* even after a genuine SecureBoot=1 */
	firmware(&b, 1, PK_GOOD);
	var_event(&b, AR_EV_EFI_VARIABLE_DRIVER_CONFIG, "SecureBoot", "\1", 1);
	assert_judged(&b, 0, 2, 96, "tpm_config_after_separator");
}

static void test_appended_allowed_pk_does_not_hide_firmware_one(void **state)
{
	buf_t b = { .n = 0 };

	(void)state;
	firmware(&b, 1, PK_OTHER);
	assert_judged(&b, 0, 2, 96, "tpm_uefi_var_unknown: the PK event of PCR 7 is not one");
	var_event(&b, AR_EV_EFI_VARIABLE_DRIVER_CONFIG, "PK", PK_GOOD, strlen(PK_GOOD));
	assert_judged(&b, 0, 2, 96, "tpm_config_after_separator");
}

static void test_secure_boot_off_relabelled_and_on_appended_refused_with_pcr7_pinned(void **state)
{
	buf_t b = { .n = 0 };
	uint8_t data[128];
	size_t n;

	(void)state;
	header(&b, 1);					/* the firmware's records relabelled */
	n = var_data(data, "SecureBoot", "\0", 1);
	raw_event(&b, 7, AR_EV_EFI_ACTION, data, n, NULL, 0);
	n = var_data(data, "PK", PK_OTHER, strlen(PK_OTHER));
	raw_event(&b, 7, AR_EV_EFI_ACTION, data, n, NULL, 0);
	raw_event(&b, 7, AR_EV_SEPARATOR, "\0\0\0\0", 4, NULL, 0);
	raw_event(&b, 4, AR_EV_EFI_BOOT_SERVICES_APPLICATION, image_load, sizeof(image_load),
		  "shimx64.efi", 11);
	raw_event(&b, 8, AR_EV_IPL, "kernel_cmdline: " CMDLINE_OK, sizeof("kernel_cmdline: "
		  CMDLINE_OK), NULL, 0);
	var_event(&b, AR_EV_EFI_VARIABLE_DRIVER_CONFIG, "SecureBoot", "\1", 1);
	var_event(&b, AR_EV_EFI_VARIABLE_DRIVER_CONFIG, "PK", PK_GOOD, strlen(PK_GOOD));
	assert_judged(&b, 1, 96, 96, "tpm_boot_digest_unknown: boot log event 0 (PCR 7, type "
		      "0x80000007)");
	assert_judged(&b, 0, 2, 96, "tpm_config_after_separator");
}

static void test_appended_allowed_cmdline_does_not_hide_forbidden_one(void **state)
{
	buf_t b = { .n = 0 };
	size_t at;

	(void)state;
	header(&b, 1);
	var_event(&b, AR_EV_EFI_VARIABLE_DRIVER_CONFIG, "SecureBoot", "\1", 1);
	var_event(&b, AR_EV_EFI_VARIABLE_DRIVER_CONFIG, "PK", PK_GOOD, strlen(PK_GOOD));
	raw_event(&b, 7, AR_EV_SEPARATOR, "\0\0\0\0", 4, NULL, 0);
	raw_event(&b, 4, AR_EV_EFI_BOOT_SERVICES_APPLICATION, image_load, sizeof(image_load),
		  "shimx64.efi", 11);
	at = b.n;
	raw_event(&b, 8, AR_EV_IPL, "kernel_cmdline: " CMDLINE_OK " init=/bin/sh",
		  sizeof("kernel_cmdline: " CMDLINE_OK " init=/bin/sh"), NULL, 0);
	assert_judged(&b, 0, 2, 96, "tpm_cmdline_not_allowed");
	raw_event(&b, 8, AR_EV_IPL, "kernel_cmdline: " CMDLINE_OK, sizeof("kernel_cmdline: "
		  CMDLINE_OK), NULL, 0);		/* appended by the OS */
	assert_judged(&b, 0, 2, 96, "(boot log event 4)");
	b.b[at + 4] = (uint8_t)AR_EV_EFI_ACTION;	/* the forbidden one relabelled */
	assert_judged(&b, 0, 2, 96, "(boot log event 4)");
}

/* ---- IMA --------------------------------------------------------------- */

/* An ima-ng line for @path whose file is @content, and its extend. */
static size_t ima_file(char *out, size_t size, const char *path, const char *content,
		       uint8_t pcr10[32])
{
	uint8_t fd[32], t[600], th[32], cat[64];
	char hex[65];
	size_t n = 0, k, pl = strlen(path) + 1;

	EVP_Digest(content, strlen(content), fd, NULL, EVP_sha256(), NULL);
	for (k = 0; k < 32; k++)
		snprintf(hex + 2 * k, 3, "%02x", fd[k]);
	t[n++] = 40; t[n++] = 0; t[n++] = 0; t[n++] = 0;
	memcpy(t + n, "sha256:", 8);
	n += 8;
	memcpy(t + n, fd, 32);
	n += 32;
	t[n++] = (uint8_t)pl; t[n++] = 0; t[n++] = 0; t[n++] = 0;
	memcpy(t + n, path, pl);
	n += pl;
	EVP_Digest(t, n, th, NULL, EVP_sha256(), NULL);
	memcpy(cat, pcr10, 32);
	memcpy(cat + 32, th, 32);
	EVP_Digest(cat, 64, pcr10, NULL, EVP_sha256(), NULL);
	return (size_t)snprintf(out, size, "10 %040d ima-ng sha256:%s %s\n", 1, hex, path);
}

/* An ima-ng line for @path whose content is its own name (as the allowlist says). */
static size_t ima_line(char *out, size_t size, const char *path, uint8_t pcr10[32])
{
	return ima_file(out, size, path, path, pcr10);
}

static char *allow_line(const char *path)
{
	static char line[300];
	uint8_t fd[32];
	size_t k;

	EVP_Digest(path, strlen(path), fd, NULL, EVP_sha256(), NULL);
	for (k = 0; k < 32; k++)
		snprintf(line + 2 * k, 3, "%02x", fd[k]);
	snprintf(line + 64, sizeof(line) - 64, "  %s\n", path);
	return line;
}

static ar_ima_policy_t *policy(const char *const *paths)
{
	ar_ima_policy_t *pol = ar_ima_policy_new();
	char text[4096] = "# allowlist\n";
	size_t n = strlen(text);

	for (; *paths; paths++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s", allow_line(*paths));
	assert_non_null(pol);
	assert_int_equal(ar_ima_policy_allowlist(pol, text, n, NULL), 0);
	assert_int_equal(ar_ima_policy_exclude(pol, "/tmp/*", NULL), 0);
	return pol;
}

static void test_ima_allowed_excluded_and_incremental(void **state)
{
	static const char *const allowed[] = { "/usr/bin/a", "/usr/bin/b b", "/usr/bin/c", NULL };
	ar_ima_policy_t *pol = policy(allowed);
	ar_ima_state_t st = { 0 };
	uint8_t pcr[32] = { 0 }, at2[32];
	char list[4096];
	size_t n = 0, appraised;
	ar_err_t err = { 0 };

	(void)state;
	n += ima_line(list + n, sizeof(list) - n, "boot_aggregate", pcr);
	n += ima_line(list + n, sizeof(list) - n, "/usr/bin/a", pcr);
	n += ima_line(list + n, sizeof(list) - n, "/usr/bin/b b", pcr);	/* a space in a path */
	memcpy(at2, pcr, 32);
	n += ima_line(list + n, sizeof(list) - n, "/tmp/scratch/x", pcr);	/* excluded */
	assert_reason(ar_ima_appraise(pol, &st, 7, list, n, at2, &appraised, &err), AR_TPM_OK,
		      &err, "");
	assert_int_equal(appraised, 3);		/* the fourth came after the quote */
	assert_int_equal(st.pending, 1);
	/* The second quote of the boot costs only the new entry (no boot_aggregate again). */
	assert_reason(ar_ima_appraise(pol, &st, 7, list, n, pcr, &appraised, &err), AR_TPM_OK,
		      &err, "");
	assert_int_equal(appraised, 1);
	assert_int_equal(st.entries, 4);
	assert_int_equal(st.pending, 0);
	/* A quote of a new boot starts over from the first entry. */
	assert_reason(ar_ima_appraise(pol, &st, 8, list, n, at2, &appraised, &err), AR_TPM_OK,
		      &err, "");
	assert_int_equal(st.reset_count, 8);
	assert_int_equal(st.entries, 3);
	/* A shorter list than appraised is not the same boot's list. */
	assert_reason(ar_ima_appraise(pol, &st, 8, list, 10, at2, &appraised, &err),
		      AR_TPM_IMA_REPLAY_MISMATCH, &err, "does not extend");
	ar_ima_policy_free(pol);
}

static void test_ima_file_with_another_digest_refused(void **state)
{
	static const char *const allowed[] = { "/usr/bin/a", NULL };
	ar_ima_policy_t *pol = policy(allowed);
	ar_ima_state_t st = { 0 };
	uint8_t pcr[32] = { 0 };
	char list[1024], *d;
	size_t n;
	ar_err_t err = { 0 };

	(void)state;
	n = ima_line(list, sizeof(list), "boot_aggregate", pcr);
	n += ima_file(list + n, sizeof(list) - n, "/usr/bin/a", "a trojan", pcr);	/* another binary */
	assert_reason(ar_ima_appraise(pol, &st, 1, list, n, pcr, NULL, &err), AR_TPM_IMA_NOT_ALLOWED,
		      &err, "entry 1: /usr/bin/a measured with a digest the allowlist does not list");
	/* A line whose digest was edited no longer replays to the quoted PCR. */
	d = strstr(strchr(list, '\n'), "sha256:") + 7;
	*d = *d == '0' ? '1' : '0';
	assert_reason(ar_ima_appraise(pol, &st, 1, list, n, pcr, NULL, &err),
		      AR_TPM_IMA_REPLAY_MISMATCH, &err, "does not replay");
	ar_ima_policy_free(pol);
}

static void test_ima_entry_outside_allowlist_named(void **state)
{
	static const char *const allowed[] = { "/usr/bin/a", NULL };
	ar_ima_policy_t *pol = policy(allowed);
	ar_ima_state_t st = { 0 };
	uint8_t pcr[32] = { 0 };
	char list[1024];
	size_t n = 0;
	ar_err_t err = { 0 };

	(void)state;
	n += ima_line(list + n, sizeof(list) - n, "boot_aggregate", pcr);
	n += ima_line(list + n, sizeof(list) - n, "/usr/bin/a", pcr);
	n += ima_line(list + n, sizeof(list) - n, "/usr/bin/evil\x1b[0m", pcr);
	assert_reason(ar_ima_appraise(pol, &st, 1, list, n, pcr, NULL, &err), AR_TPM_IMA_NOT_ALLOWED,
		      &err, "entry 2: /usr/bin/evil?[0m is not in the allowlist");
	assert_false(st.valid);
	ar_ima_policy_free(pol);
}

static void test_ima_violation_and_other_templates_refused(void **state)
{
	static const char *const allowed[] = { NULL };
	ar_ima_policy_t *pol = policy(allowed);
	ar_ima_state_t st = { 0 };
	uint8_t pcr[32] = { 0 }, ff[64];
	const char violation[] = "10 0000000000000000000000000000000000000000 ima-ng "
				 "sha256:0000000000000000000000000000000000000000000000000000000000000000 /tmp/x\n";
	char list[1024];
	size_t n;
	const char sig[] = "10 1111111111111111111111111111111111111111 ima-sig sha256:"
			   "1111111111111111111111111111111111111111111111111111111111111111 /a 0302\n";
	const char bad[] = "10 11 ima-ng sha256:11 /a\n";
	ar_err_t err = { 0 };

	(void)state;
	n = ima_line(list, sizeof(list), "boot_aggregate", pcr);
	memcpy(list + n, violation, sizeof(violation));
	n += sizeof(violation) - 1;
	memset(ff, 0xff, sizeof(ff));
	memcpy(ff, pcr, 32);
	EVP_Digest(ff, 64, pcr, NULL, EVP_sha256(), NULL);	/* PCR 10 after one violation */
	assert_reason(ar_ima_appraise(pol, &st, 1, list, n, pcr, NULL, &err),
		      AR_TPM_IMA_NOT_ALLOWED, &err, "entry 1 is a violation");
	assert_reason(ar_ima_appraise(pol, &st, 1, sig, sizeof(sig) - 1, pcr, NULL, &err),
		      AR_TPM_IMA_MALFORMED, &err, "template \"ima-sig\"");
	assert_reason(ar_ima_appraise(pol, &st, 1, bad, sizeof(bad) - 1, pcr, NULL, &err),
		      AR_TPM_IMA_MALFORMED, &err, "entry 0 is not");
	assert_reason(ar_ima_appraise(pol, &st, 1, bad, sizeof(bad) - 2, pcr, NULL, &err),
		      AR_TPM_IMA_MALFORMED, &err, "unterminated");
	ar_ima_policy_free(pol);
}

/* R4-4: IMA not measuring (PCR 10 never extended): no list counts as replayed. */
static void test_ima_list_with_pcr10_unextended_refused(void **state)
{
	static const char *const allowed[] = { "/usr/bin/a", NULL };
	ar_ima_policy_t *pol = policy(allowed);
	ar_ima_state_t st = { 0 };
	uint8_t pcr[32] = { 0 }, zero[32] = { 0 };
	const char junk[] = "not an IMA line at all\n";
	char list[1024];
	size_t n, appraised = 7;
	ar_err_t err = { 0 };

	(void)state;
	n = ima_line(list, sizeof(list), "/usr/local/bin/miner", pcr);
	assert_reason(ar_ima_appraise(pol, &st, 1, list, n, zero, &appraised, &err),
		      AR_TPM_IMA_NOT_MEASURED, &err, "PCR 10 is at its reset value");
	assert_reason(ar_ima_appraise(pol, &st, 1, junk, sizeof(junk) - 1, zero, &appraised, &err),
		      AR_TPM_IMA_NOT_MEASURED, &err, "IMA measured nothing in boot 1");
	assert_reason(ar_ima_appraise(pol, &st, 1, "", 0, zero, &appraised, &err),
		      AR_TPM_IMA_NOT_MEASURED, &err, "reset value");
	/* Even an allowed list that starts right: PCR 10 does not vouch for it. */
	memset(pcr, 0, sizeof(pcr));
	n = ima_line(list, sizeof(list), "boot_aggregate", pcr);
	n += ima_line(list + n, sizeof(list) - n, "/usr/bin/a", pcr);
	assert_reason(ar_ima_appraise(pol, &st, 1, list, n, zero, &appraised, &err),
		      AR_TPM_IMA_NOT_MEASURED, &err, "reset value");
	assert_false(st.valid);
	assert_int_equal(appraised, 7);
	assert_string_equal(ar_tpm_reason_name(AR_TPM_IMA_NOT_MEASURED), "tpm_ima_not_measured");
	ar_ima_policy_free(pol);
}

/* The kernel's first entry is boot_aggregate: a boot's list must start with it. */
static void test_ima_list_without_boot_aggregate_refused(void **state)
{
	static const char *const allowed[] = { "/usr/bin/a", NULL };
	ar_ima_policy_t *pol = policy(allowed);
	ar_ima_state_t st = { 0 };
	uint8_t pcr[32] = { 0 };
	const char violation[] = "10 0000000000000000000000000000000000000000 ima-ng "
				 "sha256:0000000000000000000000000000000000000000000000000000000000000000 "
				 "boot_aggregate\n";
	uint8_t ff[64];
	char list[1024];
	size_t n;
	ar_err_t err = { 0 };

	(void)state;
	/* Only allowed entries, replaying to the quoted PCR 10, but no boot_aggregate. */
	n = ima_line(list, sizeof(list), "/usr/bin/a", pcr);
	assert_reason(ar_ima_appraise(pol, &st, 1, list, n, pcr, NULL, &err),
		      AR_TPM_IMA_NO_BOOT_AGGREGATE, &err, "entry 0 is /usr/bin/a, not boot_aggregate");
	/* boot_aggregate second. */
	n += ima_line(list + n, sizeof(list) - n, "boot_aggregate", pcr);
	assert_reason(ar_ima_appraise(pol, &st, 1, list, n, pcr, NULL, &err),
		      AR_TPM_IMA_NO_BOOT_AGGREGATE, &err, "not boot_aggregate");
	/* An empty list while PCR 10 was extended. */
	assert_reason(ar_ima_appraise(pol, &st, 1, "", 0, pcr, NULL, &err),
		      AR_TPM_IMA_NO_BOOT_AGGREGATE, &err, "empty");
	/* A violation entry named boot_aggregate. */
	memset(ff, 0, 32);
	memset(ff + 32, 0xff, 32);
	EVP_Digest(ff, 64, pcr, NULL, EVP_sha256(), NULL);
	assert_reason(ar_ima_appraise(pol, &st, 1, violation, sizeof(violation) - 1, pcr, NULL,
				      &err), AR_TPM_IMA_NO_BOOT_AGGREGATE, &err,
		      "entry 0 is a violation of boot_aggregate");
	assert_false(st.valid);
	assert_string_equal(ar_tpm_reason_name(AR_TPM_IMA_NO_BOOT_AGGREGATE),
			    "tpm_ima_no_boot_aggregate");
	ar_ima_policy_free(pol);
}

/* Entries after the quoted point are neither appraised nor counted; junk there is refused. */
static void test_ima_entries_after_the_quote_not_counted_as_appraised(void **state)
{
	static const char *const allowed[] = { "/usr/bin/a", NULL };
	ar_ima_policy_t *pol = policy(allowed);
	ar_ima_state_t st = { 0 }, before;
	uint8_t pcr[32] = { 0 }, quoted[32];
	char list[2048];
	size_t n = 0, whole, appraised;
	ar_err_t err = { 0 };

	(void)state;
	n += ima_line(list + n, sizeof(list) - n, "boot_aggregate", pcr);
	n += ima_line(list + n, sizeof(list) - n, "/usr/bin/a", pcr);
	memcpy(quoted, pcr, 32);
	n += ima_line(list + n, sizeof(list) - n, "/usr/local/bin/miner", pcr);
	n += ima_line(list + n, sizeof(list) - n, "/usr/bin/a", pcr);
	whole = n;
	assert_reason(ar_ima_appraise(pol, &st, 3, list, n, quoted, &appraised, &err), AR_TPM_OK,
		      &err, "");
	assert_int_equal(appraised, 2);
	assert_int_equal(st.entries, 2);
	assert_int_equal(st.pending, 2);		/* the miner: not appraised, not vouched for */
	/* The next quote covers the miner: refused then. */
	before = st;
	assert_reason(ar_ima_appraise(pol, &st, 3, list, n, pcr, &appraised, &err),
		      AR_TPM_IMA_NOT_ALLOWED, &err, "entry 2: /usr/local/bin/miner");
	assert_memory_equal(&before, &st, sizeof(st));
	/* Junk after the quoted point is refused, not left unread. */
	memset(&st, 0, sizeof(st));
	n = whole + (size_t)snprintf(list + whole, sizeof(list) - whole, "junk\n");
	assert_reason(ar_ima_appraise(pol, &st, 3, list, n, quoted, &appraised, &err),
		      AR_TPM_IMA_MALFORMED, &err, "entry 4 is not");
	n = whole + (size_t)snprintf(list + whole, sizeof(list) - whole, "10 half a line");
	assert_reason(ar_ima_appraise(pol, &st, 3, list, n, quoted, &appraised, &err),
		      AR_TPM_IMA_MALFORMED, &err, "after the quoted PCR 10");
	assert_false(st.valid);
	ar_ima_policy_free(pol);
}

static void test_ima_allowlist_bad_line_named(void **state)
{
	ar_ima_policy_t *pol = ar_ima_policy_new();
	const char text[] = "# ok\n"
			    "sha1:0000000000000000000000000000000000000000 */x\n"
			    "abcd /y\n";
	ar_err_t err = { 0 };

	(void)state;
	assert_int_equal(ar_ima_policy_allowlist(pol, text, sizeof(text) - 1, &err), -1);
	assert_err(&err, AR_ERR_CONFIG, "line 3");
	ar_ima_policy_free(pol);
}

/* ---- clock ------------------------------------------------------------- */

static void test_clock_rule(void **state)
{
	ar_tpm_clock_t last = { .clock = 1000, .reset_count = 5, .restart_count = 2 }, now;
	ar_err_t err = { 0 };

	(void)state;
	now = last;
	now.clock = 1001;
	assert_reason(ar_tpm_clock_check(&last, &now, &err), AR_TPM_OK, &err, "");
	now = last;
	assert_reason(ar_tpm_clock_check(&last, &now, &err), AR_TPM_CLOCK_REPLAY, &err,
		      "did not advance");
	now.restart_count = 1;
	now.clock = 99999;
	assert_reason(ar_tpm_clock_check(&last, &now, &err), AR_TPM_CLOCK_REPLAY, &err,
		      "restartCount went backwards");
	now.restart_count = 3;
	now.clock = 10;			/* a resume: clock need not exceed */
	assert_reason(ar_tpm_clock_check(&last, &now, &err), AR_TPM_OK, &err, "");
	now.reset_count = 4;
	assert_reason(ar_tpm_clock_check(&last, &now, &err), AR_TPM_CLOCK_REPLAY, &err,
		      "resetCount went backwards");
	assert_reason(ar_tpm_clock_check(NULL, &now, &err), AR_TPM_OK, &err, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_boot_log_replays_and_locality_sets_pcr0),
		cmocka_unit_test(test_boot_log_without_sha256_bank_refused),
		cmocka_unit_test(test_boot_log_in_sha1_format_refused),
		cmocka_unit_test(test_boot_log_event_of_pcr_24_or_undeclared_digest_refused),
		cmocka_unit_test(test_boot_log_event_data_above_bound_refused),
		cmocka_unit_test(test_secure_boot_state_only_from_a_bound_event),
		cmocka_unit_test(test_healthy_boot_log_judged_affirming),
		cmocka_unit_test(test_bootkit_event_relabelled_efi_action_is_judged),
		cmocka_unit_test(test_bootkit_event_relabelled_separator_is_judged),
		cmocka_unit_test(test_separator_with_other_data_is_judged),
		cmocka_unit_test(test_bootkit_event_relabelled_no_action_breaks_the_replay),
		cmocka_unit_test(test_secure_boot_event_after_separator_refused),
		cmocka_unit_test(test_appended_allowed_pk_does_not_hide_firmware_one),
		cmocka_unit_test(test_secure_boot_off_relabelled_and_on_appended_refused_with_pcr7_pinned),
		cmocka_unit_test(test_appended_allowed_cmdline_does_not_hide_forbidden_one),
		cmocka_unit_test(test_ima_allowed_excluded_and_incremental),
		cmocka_unit_test(test_ima_file_with_another_digest_refused),
		cmocka_unit_test(test_ima_entry_outside_allowlist_named),
		cmocka_unit_test(test_ima_violation_and_other_templates_refused),
		cmocka_unit_test(test_ima_list_with_pcr10_unextended_refused),
		cmocka_unit_test(test_ima_list_without_boot_aggregate_refused),
		cmocka_unit_test(test_ima_entries_after_the_quote_not_counted_as_appraised),
		cmocka_unit_test(test_ima_allowlist_bad_line_named),
		cmocka_unit_test(test_clock_rule),
	};

	return cmocka_run_group_tests_name("tpm_parse", tests, NULL, NULL);
}
