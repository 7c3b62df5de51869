/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TCG PC Client crypto-agile event log: parse, bound, replay (SHA-256).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "tpm_eventlog.h"

/* A read cursor over untrusted octets. */
typedef struct cur {
	const uint8_t	*p;
	size_t		left;
} cur_t;

static int take(cur_t *c, size_t n, const uint8_t **out)
{
	if (c->left < n)
		return -1;
	*out = c->p;
	c->p += n;
	c->left -= n;
	return 0;
}

static int u32le(cur_t *c, uint32_t *v)
{
	const uint8_t *b;

	if (take(c, 4, &b) < 0)
		return -1;
	*v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	return 0;
}

static int u16le(cur_t *c, uint16_t *v)
{
	const uint8_t *b;

	if (take(c, 2, &b) < 0)
		return -1;
	*v = (uint16_t)(b[0] | b[1] << 8);
	return 0;
}

static int u8(cur_t *c, uint8_t *v)
{
	const uint8_t *b;

	if (take(c, 1, &b) < 0)
		return -1;
	*v = b[0];
	return 0;
}

#define TPM_ALG_SHA256 0x000B
static const uint8_t spec_id_sig[16] = "Spec ID Event03";	/* with its NUL */
static const uint8_t locality_sig[16] = "StartupLocality";

typedef struct alg {
	uint16_t	id;
	uint16_t	size;
} alg_t;

typedef struct parser {
	cur_t		c;
	alg_t		algs[AR_TCG_MAX_ALGS];
	uint32_t	nalgs;
	size_t		cap;
	int		pcr0_extended;
	EVP_MD_CTX	*md;
	ar_tcg_log_t	*log;
} parser_t;

static ar_tpm_reason_t bad(ar_err_t *err, const char *what, size_t index)
{
	return ar_tpm_fail(err, AR_TPM_LOG_MALFORMED, AR_ERR_MALFORMED,
			   "event %zu: %s", index, what);
}

/* The TCG_EfiSpecIdEvent inside the first (SHA-1 format) event. */
static ar_tpm_reason_t spec_id_parse(parser_t *ps, const uint8_t *data, uint32_t len, ar_err_t *err)
{
	cur_t c = { data, len };
	const uint8_t *sig, *vendor;
	uint32_t platform_class, i, j;
	uint8_t minor, major, errata, uintn, vendor_len;
	int have_sha256 = 0;

	if (take(&c, 16, &sig) < 0 || memcmp(sig, spec_id_sig, 16) != 0)
		return bad(err, "the first event is not a \"Spec ID Event03\" header "
			   "(not a crypto-agile log)", 0);
	if (u32le(&c, &platform_class) < 0 || u8(&c, &minor) < 0 || u8(&c, &major) < 0 ||
	    u8(&c, &errata) < 0 || u8(&c, &uintn) < 0 || u32le(&c, &ps->nalgs) < 0)
		return bad(err, "Spec ID header truncated", 0);
	if (major != 2)
		return bad(err, "Spec ID header of a specification other than 2.0", 0);
	if (ps->nalgs == 0 || ps->nalgs > AR_TCG_MAX_ALGS)
		return bad(err, "Spec ID header announces 0 or more than 8 digest algorithms", 0);
	for (i = 0; i < ps->nalgs; i++) {
		if (u16le(&c, &ps->algs[i].id) < 0 || u16le(&c, &ps->algs[i].size) < 0)
			return bad(err, "Spec ID header truncated in its algorithm list", 0);
		if (ps->algs[i].size == 0 || ps->algs[i].size > EVP_MAX_MD_SIZE)
			return bad(err, "Spec ID header gives a digest size of 0 or above 64", 0);
		for (j = 0; j < i; j++)
			if (ps->algs[j].id == ps->algs[i].id)
				return bad(err, "Spec ID header lists an algorithm twice", 0);
		if (ps->algs[i].id == TPM_ALG_SHA256) {
			if (ps->algs[i].size != AR_TPM_SHA256_LEN)
				return bad(err, "Spec ID header gives SHA-256 a size other than 32", 0);
			have_sha256 = 1;
		}
	}
	if (u8(&c, &vendor_len) < 0 || take(&c, vendor_len, &vendor) < 0 || c.left != 0)
		return bad(err, "Spec ID header vendor information does not fill the event", 0);
	(void)platform_class;
	(void)minor;
	(void)errata;
	(void)uintn;
	if (!have_sha256)
		return ar_tpm_fail(err, AR_TPM_LOG_MALFORMED, AR_ERR_UNSUPPORTED,
				   "the log has no SHA-256 bank (the only one replayed)");
	return AR_TPM_OK;
}

/* TCG_PCR_EVENT: pcrIndex, eventType, SHA-1 digest, eventSize, event. */
static ar_tpm_reason_t header_parse(parser_t *ps, ar_err_t *err)
{
	uint32_t pcr, type, size;
	const uint8_t *digest, *data;

	if (u32le(&ps->c, &pcr) < 0 || u32le(&ps->c, &type) < 0 || take(&ps->c, 20, &digest) < 0 ||
	    u32le(&ps->c, &size) < 0)
		return bad(err, "log header truncated", 0);
	if (type != AR_EV_NO_ACTION || pcr != 0)
		return bad(err, "the first event is not an EV_NO_ACTION of PCR 0", 0);
	if (size > AR_TCG_MAX_EVENT_DATA || take(&ps->c, size, &data) < 0)
		return bad(err, "log header event data truncated or too large", 0);
	(void)digest;
	return spec_id_parse(ps, data, size, err);
}

static const alg_t *alg_find(const parser_t *ps, uint16_t id)
{
	uint32_t i;

	for (i = 0; i < ps->nalgs; i++)
		if (ps->algs[i].id == id)
			return &ps->algs[i];
	return NULL;
}

/* TPML_DIGEST_VALUES of one event: keep the SHA-256 digest. */
static ar_tpm_reason_t digests_parse(parser_t *ps, ar_tcg_event_t *ev, size_t index, ar_err_t *err)
{
	uint32_t count, i, seen = 0;
	int have = 0;

	if (u32le(&ps->c, &count) < 0)
		return bad(err, "truncated before its digest count", index);
	if (count == 0 || count > ps->nalgs)
		return bad(err, "digest count is 0 or above the algorithms the header lists", index);
	for (i = 0; i < count; i++) {
		uint16_t id;
		const alg_t *a;
		const uint8_t *d;

		if (u16le(&ps->c, &id) < 0)
			return bad(err, "truncated in its digests", index);
		a = alg_find(ps, id);
		if (!a)
			return bad(err, "digest of an algorithm the header does not list", index);
		if (seen & (1u << (a - ps->algs)))
			return bad(err, "two digests of one algorithm", index);
		seen |= 1u << (a - ps->algs);
		if (take(&ps->c, a->size, &d) < 0)
			return bad(err, "truncated in its digests", index);
		if (id == TPM_ALG_SHA256) {
			memcpy(ev->sha256, d, AR_TPM_SHA256_LEN);
			have = 1;
		}
	}
	if (!have)
		return bad(err, "no SHA-256 digest", index);
	return AR_TPM_OK;
}

static int extend(EVP_MD_CTX *md, uint8_t pcr[AR_TPM_SHA256_LEN], const uint8_t d[AR_TPM_SHA256_LEN])
{
	return EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	       EVP_DigestUpdate(md, pcr, AR_TPM_SHA256_LEN) == 1 &&
	       EVP_DigestUpdate(md, d, AR_TPM_SHA256_LEN) == 1 &&
	       EVP_DigestFinal_ex(md, pcr, NULL) == 1 ? 0 : -1;
}

/* EV_NO_ACTION: nothing extended; StartupLocality sets PCR 0's start. */
static ar_tpm_reason_t no_action(parser_t *ps, const ar_tcg_event_t *ev, size_t index, ar_err_t *err)
{
	if (ev->data_len < 16 || memcmp(ev->data, locality_sig, 16) != 0)
		return AR_TPM_OK;
	if (ev->pcr != 0 || ev->data_len != 17 || ps->pcr0_extended)
		return bad(err, "StartupLocality event not of PCR 0, not 17 octets, or after "
			   "PCR 0 was extended", index);
	memset(ps->log->pcr[0], 0, AR_TPM_SHA256_LEN);
	ps->log->pcr[0][AR_TPM_SHA256_LEN - 1] = ev->data[16];
	return AR_TPM_OK;
}

static ar_tpm_reason_t event_parse(parser_t *ps, size_t index, ar_err_t *err)
{
	ar_tcg_log_t *log = ps->log;
	ar_tcg_event_t *ev;
	uint8_t d[AR_TPM_SHA256_LEN];
	const uint8_t *data;
	ar_tpm_reason_t r;

	if (log->count == AR_TCG_MAX_EVENTS)
		return ar_tpm_fail(err, AR_TPM_LOG_MALFORMED, AR_ERR_TOO_LARGE,
				   "the log has more than %u events", AR_TCG_MAX_EVENTS);
	if (log->count == ps->cap) {
		size_t cap = ps->cap ? 2 * ps->cap : 64;
		ar_tcg_event_t *n = realloc(log->ev, cap * sizeof(*n));

		if (!n)
			return ar_tpm_fail(err, AR_TPM_INTERNAL, AR_ERR_NOMEM, "out of memory");
		log->ev = n;
		ps->cap = cap;
	}
	ev = &log->ev[log->count];
	memset(ev, 0, sizeof(*ev));
	if (u32le(&ps->c, &ev->pcr) < 0 || u32le(&ps->c, &ev->type) < 0)
		return bad(err, "truncated", index);
	if (ev->pcr >= AR_TPM_PCR_COUNT)
		return bad(err, "PCR index above 23", index);
	r = digests_parse(ps, ev, index, err);
	if (r != AR_TPM_OK)
		return r;
	if (u32le(&ps->c, &ev->data_len) < 0)
		return bad(err, "truncated before its data size", index);
	if (ev->data_len > AR_TCG_MAX_EVENT_DATA)
		return ar_tpm_fail(err, AR_TPM_LOG_MALFORMED, AR_ERR_TOO_LARGE,
				   "event %zu: %u octets of data (at most %u)", index, ev->data_len,
				   AR_TCG_MAX_EVENT_DATA);
	if (take(&ps->c, ev->data_len, &data) < 0)
		return bad(err, "data truncated", index);
	ev->data = data;
	if (EVP_Digest(data, ev->data_len, d, NULL, EVP_sha256(), NULL) != 1)
		return ar_tpm_fail(err, AR_TPM_INTERNAL, AR_ERR_CRYPTO, "hashing failed");
	ev->data_bound = memcmp(d, ev->sha256, sizeof(d)) == 0;
	log->count++;
	if (ev->type == AR_EV_NO_ACTION)
		return no_action(ps, ev, index, err);
	if (extend(ps->md, log->pcr[ev->pcr], ev->sha256) < 0)
		return ar_tpm_fail(err, AR_TPM_INTERNAL, AR_ERR_CRYPTO, "hashing failed");
	log->extended |= 1u << ev->pcr;
	if (ev->pcr == 0)
		ps->pcr0_extended = 1;
	return AR_TPM_OK;
}

ar_tpm_reason_t ar_tcg_log_parse(const uint8_t *buf, size_t len, ar_tcg_log_t *log,
				 ar_err_t *err)
{
	parser_t ps = { .c = { buf, len }, .log = log };
	ar_tpm_reason_t r;
	size_t index = 1;
	unsigned i;

	memset(log, 0, sizeof(*log));
	for (i = 17; i <= 22; i++)		/* the DRTM PCRs reset to all ones */
		memset(log->pcr[i], 0xff, AR_TPM_SHA256_LEN);
	if (len > AR_TCG_MAX_LOG)
		return ar_tpm_fail(err, AR_TPM_LOG_MALFORMED, AR_ERR_TOO_LARGE,
				   "the log has %zu octets (at most %u)", len, AR_TCG_MAX_LOG);
	ps.md = EVP_MD_CTX_new();
	if (!ps.md)
		return ar_tpm_fail(err, AR_TPM_INTERNAL, AR_ERR_NOMEM, "out of memory");
	r = header_parse(&ps, err);
	while (r == AR_TPM_OK && ps.c.left > 0)
		r = event_parse(&ps, index++, err);
	EVP_MD_CTX_free(ps.md);
	return r;
}

void ar_tcg_log_clear(ar_tcg_log_t *log)
{
	if (!log)
		return;
	free(log->ev);
	memset(log, 0, sizeof(*log));
}

ar_tpm_reason_t ar_tcg_log_check(const ar_tcg_log_t *log, const ar_tpm_pcrs_t *quoted,
				 uint32_t mask, ar_err_t *err)
{
	unsigned i;

	for (i = 0; i < AR_TPM_PCR_COUNT; i++) {
		if (!(mask & (1u << i)))
			continue;
		if (!(quoted->mask & (1u << i)))
			return ar_tpm_fail(err, AR_TPM_PCR_SELECTION, AR_ERR_MALFORMED,
					   "PCR %u must replay from the boot log but is not quoted", i);
		if (CRYPTO_memcmp(log->pcr[i], quoted->v[i], AR_TPM_SHA256_LEN) != 0)
			return ar_tpm_fail(err, AR_TPM_LOG_REPLAY_MISMATCH, AR_ERR_BAD_SIGNATURE,
					   "the boot log replays PCR %u to another value than quoted "
					   "(%s by the log)", i,
					   log->extended & (1u << i) ? "extended" : "never extended");
	}
	return AR_TPM_OK;
}

int ar_uefi_var_decode(const ar_tcg_event_t *ev, ar_uefi_var_t *var, ar_err_t *err)
{
	cur_t c = { ev->data, ev->data_len };
	const uint8_t *b;
	uint64_t n[2];
	int k;

	memset(var, 0, sizeof(*var));
	if (take(&c, 16, &var->guid) < 0)
		goto bad;
	for (k = 0; k < 2; k++) {
		uint32_t lo, hi;

		if (u32le(&c, &lo) < 0 || u32le(&c, &hi) < 0)
			goto bad;
		n[k] = (uint64_t)hi << 32 | lo;
	}
	var->name_chars = n[0];
	var->data_len = n[1];
	if (n[0] > c.left / 2 || take(&c, (size_t)n[0] * 2, &b) < 0)
		goto bad;
	var->name = b;
	if (n[1] != c.left || take(&c, (size_t)n[1], &var->data) < 0)
		goto bad;
	return 0;
bad:
	return ar_err_set(err, AR_ERR_MALFORMED, "UEFI_VARIABLE_DATA of %u octets does not decode",
			  ev->data_len);
}

int ar_uefi_var_name_is(const ar_uefi_var_t *var, const char *ascii)
{
	size_t i, len = strlen(ascii);

	if (var->name_chars != len)
		return 0;
	for (i = 0; i < len; i++)
		if (var->name[2 * i] != (uint8_t)ascii[i] || var->name[2 * i + 1] != 0)
			return 0;
	return 1;
}

/* 8be4df61-93ca-11d2-aa0d-00e098032b8c, as UEFI lays a GUID out. */
static const uint8_t efi_global_variable[16] = {
	0x61, 0xdf, 0xe4, 0x8b, 0xca, 0x93, 0xd2, 0x11, 0xaa, 0x0d, 0x00, 0xe0, 0x98, 0x03, 0x2b, 0x8c };

int ar_tcg_event_benign(const ar_tcg_event_t *ev)
{
	uint32_t i;

	if (ev->type == AR_EV_NO_ACTION)
		return 1;
	if (!ev->data_bound)
		return 0;
	if (ev->type == AR_EV_SEPARATOR)
		return ev->data_len == 4 &&
		       (!memcmp(ev->data, "\0\0\0\0", 4) || !memcmp(ev->data, "\xff\xff\xff\xff", 4));
	if (ev->type != AR_EV_EFI_ACTION || ev->data_len == 0)
		return 0;
	for (i = 0; i < ev->data_len; i++)
		if (ev->data[i] < 0x20 || ev->data[i] > 0x7e)
			return 0;
	return 1;
}

size_t ar_tcg_log_pcr7_separator(const ar_tcg_log_t *log)
{
	size_t i;

	for (i = 0; i < log->count; i++)
		if (log->ev[i].pcr == 7 && log->ev[i].type == AR_EV_SEPARATOR &&
		    ar_tcg_event_benign(&log->ev[i]))
			return i;
	return log->count;
}

/* One SecureBoot event: 1, 0, or -1 with @p err. */
static int secure_boot_value(const ar_tcg_event_t *ev, size_t index, ar_err_t *err)
{
	ar_uefi_var_t var;

	if (!ev->data_bound)
		return ar_err_set(err, AR_ERR_MALFORMED, "the SecureBoot event (boot log event "
				  "%zu) has a digest that is not that of its data", index);
	if (ar_uefi_var_decode(ev, &var, err) < 0)
		return -1;
	if (var.data_len != 1 || var.data[0] > 1)
		return ar_err_set(err, AR_ERR_MALFORMED, "SecureBoot holds %llu octets, not 0 or 1",
				  (unsigned long long)var.data_len);
	return var.data[0];
}

int ar_tcg_log_secure_boot(const ar_tcg_log_t *log, ar_err_t *err)
{
	size_t i, sep = ar_tcg_log_pcr7_separator(log);
	ar_uefi_var_t var;
	int state = -1, v;

	for (i = 0; i < log->count; i++) {
		const ar_tcg_event_t *ev = &log->ev[i];

		if (ev->pcr != 7 || ev->type != AR_EV_EFI_VARIABLE_DRIVER_CONFIG ||
		    ar_uefi_var_decode(ev, &var, NULL) < 0 ||
		    memcmp(var.guid, efi_global_variable, 16) != 0 ||
		    !ar_uefi_var_name_is(&var, "SecureBoot"))
			continue;
		if (i > sep)
			return ar_err_set(err, AR_ERR_MALFORMED, "a SecureBoot event (boot log event "
					  "%zu) follows PCR 7's separator: measured after the "
					  "firmware handed over", i);
		v = secure_boot_value(ev, i, err);
		if (v < 0)
			return -1;
		state = state == -1 ? v : state && v;
	}
	if (state == -1)
		return ar_err_set(err, AR_ERR_NOT_FOUND, "the boot log does not measure SecureBoot");
	return state;
}
