/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * IMA ima-ng measurement list: parse, replay into PCR 10 (SHA-256 bank),
 * appraise against an allowlist with excludes, incrementally.
 */
#include "config.h"

#include <fnmatch.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "hex.h"
#include "tpm_ima.h"

typedef struct allow {
	char	*path;
	char	*digest;	/* "alg:hex", lower case */
} allow_t;

struct ar_ima_policy {
	allow_t		*allow;
	size_t		nallow, cap;
	char		*exclude[AR_IMA_MAX_EXCLUDES];
	size_t		nexclude;
	EVP_MD		*sha256;
};

ar_ima_policy_t *ar_ima_policy_new(void)
{
	ar_ima_policy_t *pol = calloc(1, sizeof(*pol));

	if (!pol)
		return NULL;
	pol->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (!pol->sha256) {
		free(pol);
		return NULL;
	}
	return pol;
}

void ar_ima_policy_free(ar_ima_policy_t *pol)
{
	size_t i;

	if (!pol)
		return;
	for (i = 0; i < pol->nallow; i++) {
		free(pol->allow[i].path);
		free(pol->allow[i].digest);
	}
	for (i = 0; i < pol->nexclude; i++)
		free(pol->exclude[i]);
	free(pol->allow);
	EVP_MD_free(pol->sha256);
	free(pol);
}

static const struct {
	const char	*name;
	size_t		size;
} algs[] = {
	{ "md5", 16 }, { "sha1", 20 }, { "sha256", 32 }, { "sha384", 48 }, { "sha512", 64 },
	{ "sm3", 32 },
};

static size_t alg_size(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (strlen(algs[i].name) == len && memcmp(algs[i].name, name, len) == 0)
			return algs[i].size;
	return 0;
}

static const char *alg_of_hexlen(size_t n)
{
	switch (n) {
	case 40: return "sha1";
	case 64: return "sha256";
	case 96: return "sha384";
	case 128: return "sha512";
	default: return NULL;
	}
}

static int is_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ar_hex_digit((unsigned char)s[i]) < 0)
			return 0;
	return 1;
}

static int allow_cmp(const void *a, const void *b)
{
	const allow_t *x = a, *y = b;
	int c = strcmp(x->path, y->path);

	return c ? c : strcmp(x->digest, y->digest);
}

/* "alg:hex" in lower case from @alg and @n hex digits at @hex. */
static char *digest_str(const char *alg, size_t alg_len, const char *hex, size_t n)
{
	char *s = malloc(alg_len + 1 + n + 1);
	size_t i;

	if (!s)
		return NULL;
	memcpy(s, alg, alg_len);
	s[alg_len] = ':';
	for (i = 0; i < n; i++)
		s[alg_len + 1 + i] = (char)(hex[i] >= 'A' && hex[i] <= 'F' ? hex[i] - 'A' + 'a' : hex[i]);
	s[alg_len + 1 + n] = '\0';
	return s;
}

static int allow_add(ar_ima_policy_t *pol, char *path, char *digest)
{
	if (pol->nallow == pol->cap) {
		size_t cap = pol->cap ? 2 * pol->cap : 256;
		allow_t *n = realloc(pol->allow, cap * sizeof(*n));

		if (!n)
			return -1;
		pol->allow = n;
		pol->cap = cap;
	}
	pol->allow[pol->nallow].path = path;
	pol->allow[pol->nallow].digest = digest;
	pol->nallow++;
	return 0;
}

/* One allowlist line (no newline): "[alg:]HEX  PATH" or "[alg:]HEX *PATH". */
static int allow_line(ar_ima_policy_t *pol, const char *s, size_t n, size_t lineno, ar_err_t *err)
{
	const char *sp = memchr(s, ' ', n), *colon, *hex, *alg, *path;
	size_t hex_len, alg_len, path_len;
	char *p = NULL, *d = NULL;

	if (!sp || (size_t)(sp - s) + 2 > n || (sp[1] != ' ' && sp[1] != '*'))
		goto bad;
	colon = memchr(s, ':', (size_t)(sp - s));
	if (colon) {
		alg = s;
		alg_len = (size_t)(colon - s);
		hex = colon + 1;
	} else {
		hex = s;
		alg = alg_of_hexlen((size_t)(sp - s));
		alg_len = alg ? strlen(alg) : 0;
	}
	hex_len = (size_t)(sp - hex);
	if (!alg || alg_size(alg, alg_len) * 2 != hex_len || !is_hex(hex, hex_len))
		goto bad;
	path = sp + 2;
	path_len = n - (size_t)(path - s);
	if (path_len == 0 || path_len > 4096 || memchr(path, '\0', path_len))
		goto bad;
	p = strndup(path, path_len);
	d = digest_str(alg, alg_len, hex, hex_len);
	if (!p || !d || allow_add(pol, p, d) < 0) {
		free(p);
		free(d);
		return ar_err_set(err, AR_ERR_NOMEM, "ima allowlist: out of memory");
	}
	return 0;
bad:
	return ar_err_set(err, AR_ERR_CONFIG, "ima allowlist line %zu: not \"DIGEST  PATH\"", lineno);
}

int ar_ima_policy_allowlist(ar_ima_policy_t *pol, const char *text, size_t len, ar_err_t *err)
{
	size_t off = 0, lineno = 0;

	while (off < len) {
		const char *s = text + off, *nl = memchr(s, '\n', len - off);
		size_t n = nl ? (size_t)(nl - s) : len - off;

		lineno++;
		off += n + (nl ? 1 : 0);
		if (n && s[n - 1] == '\r')
			n--;
		if (n == 0 || s[0] == '#')
			continue;
		if (allow_line(pol, s, n, lineno, err) < 0)
			return -1;
	}
	if (pol->nallow)
		qsort(pol->allow, pol->nallow, sizeof(*pol->allow), allow_cmp);
	return 0;
}

int ar_ima_policy_exclude(ar_ima_policy_t *pol, const char *glob, ar_err_t *err)
{
	if (pol->nexclude == AR_IMA_MAX_EXCLUDES)
		return ar_err_set(err, AR_ERR_CONFIG, "ima policy: more than %u excludes",
				  AR_IMA_MAX_EXCLUDES);
	if (!*glob || strlen(glob) > 4096)
		return ar_err_set(err, AR_ERR_CONFIG, "ima policy: empty or overlong exclude");
	pol->exclude[pol->nexclude] = strdup(glob);
	if (!pol->exclude[pol->nexclude])
		return ar_err_set(err, AR_ERR_NOMEM, "ima policy: out of memory");
	pol->nexclude++;
	return 0;
}

/* One parsed ima-ng line; pointers into the list. */
typedef struct entry {
	const char	*tmpl_hash;	/* hex */
	size_t		tmpl_hash_len;
	const char	*alg;		/* of the file data hash */
	size_t		alg_len;
	uint8_t		digest[64];
	size_t		digest_len;
	const char	*hex;		/* "alg:hex" as written */
	size_t		hex_len;
	const char	*path;
	size_t		path_len;
	int		violation;
} entry_t;

/* Next space-separated field of [*s, end), at least one octet. */
static int field(const char **s, const char *end, const char **f, size_t *n)
{
	const char *sp = memchr(*s, ' ', (size_t)(end - *s));

	if (!sp || sp == *s)
		return -1;
	*f = *s;
	*n = (size_t)(sp - *s);
	*s = sp + 1;
	return 0;
}

static int all_zero_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != '0')
			return 0;
	return 1;
}

static ar_tpm_reason_t line_parse(const char *s, size_t n, uint64_t index, entry_t *e, ar_err_t *err)
{
	const char *end = s + n, *f, *colon;
	size_t fl;

	memset(e, 0, sizeof(*e));
	if (field(&s, end, &f, &fl) < 0 || fl != 2 || memcmp(f, "10", 2) != 0)
		goto bad;
	if (field(&s, end, &e->tmpl_hash, &e->tmpl_hash_len) < 0 ||
	    (e->tmpl_hash_len != 40 && e->tmpl_hash_len != 64) ||
	    !is_hex(e->tmpl_hash, e->tmpl_hash_len))
		goto bad;
	if (field(&s, end, &f, &fl) < 0)
		goto bad;
	if (fl != 6 || memcmp(f, "ima-ng", 6) != 0)
		return ar_tpm_fail(err, AR_TPM_IMA_MALFORMED, AR_ERR_UNSUPPORTED,
				   "entry %llu: template \"%.*s\" (only ima-ng is read)",
				   (unsigned long long)index, (int)(fl > 32 ? 32 : fl), f);
	if (field(&s, end, &e->hex, &e->hex_len) < 0)
		goto bad;
	colon = memchr(e->hex, ':', e->hex_len);
	if (!colon)
		goto bad;
	e->alg = e->hex;
	e->alg_len = (size_t)(colon - e->hex);
	e->digest_len = alg_size(e->alg, e->alg_len);
	if (!e->digest_len || e->hex_len - e->alg_len - 1 != 2 * e->digest_len ||
	    ar_hex_decode(colon + 1, 2 * e->digest_len, e->digest, sizeof(e->digest)) < 0)
		goto bad;
	e->path = s;
	e->path_len = (size_t)(end - s);
	if (e->path_len == 0 || memchr(e->path, '\0', e->path_len))
		goto bad;
	e->violation = all_zero_hex(e->tmpl_hash, e->tmpl_hash_len);
	return AR_TPM_OK;
bad:
	return ar_tpm_fail(err, AR_TPM_IMA_MALFORMED, AR_ERR_MALFORMED,
			   "entry %llu is not \"10 HASH ima-ng ALG:DIGEST PATH\"",
			   (unsigned long long)index);
}

static void le32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
	b[2] = (uint8_t)(v >> 16);
	b[3] = (uint8_t)(v >> 24);
}

/* SHA-256 of the entry's ima-ng template data: d-ng then n-ng. */
static int template_hash(const ar_ima_policy_t *pol, EVP_MD_CTX *md, const entry_t *e,
			 uint8_t out[AR_TPM_SHA256_LEN])
{
	uint8_t len[4], sep[2] = { ':', 0 };
	static const uint8_t nul = 0;

	if (e->violation) {
		memset(out, 0xff, AR_TPM_SHA256_LEN);
		return 0;
	}
	if (EVP_DigestInit_ex(md, pol->sha256, NULL) != 1)
		return -1;
	le32(len, (uint32_t)(e->alg_len + 2 + e->digest_len));
	if (EVP_DigestUpdate(md, len, 4) != 1 || EVP_DigestUpdate(md, e->alg, e->alg_len) != 1 ||
	    EVP_DigestUpdate(md, sep, 2) != 1 || EVP_DigestUpdate(md, e->digest, e->digest_len) != 1)
		return -1;
	le32(len, (uint32_t)(e->path_len + 1));
	if (EVP_DigestUpdate(md, len, 4) != 1 || EVP_DigestUpdate(md, e->path, e->path_len) != 1 ||
	    EVP_DigestUpdate(md, &nul, 1) != 1)
		return -1;
	return EVP_DigestFinal_ex(md, out, NULL) == 1 ? 0 : -1;
}

static int extend(const ar_ima_policy_t *pol, EVP_MD_CTX *md, uint8_t pcr[AR_TPM_SHA256_LEN],
		  const uint8_t d[AR_TPM_SHA256_LEN])
{
	return EVP_DigestInit_ex(md, pol->sha256, NULL) == 1 &&
	       EVP_DigestUpdate(md, pcr, AR_TPM_SHA256_LEN) == 1 &&
	       EVP_DigestUpdate(md, d, AR_TPM_SHA256_LEN) == 1 &&
	       EVP_DigestFinal_ex(md, pcr, NULL) == 1 ? 0 : -1;
}

static const allow_t *allow_find(const ar_ima_policy_t *pol, const char *path, size_t len)
{
	size_t lo = 0, hi = pol->nallow;

	while (lo < hi) {		/* first entry whose path is >= path */
		size_t mid = lo + (hi - lo) / 2;
		const char *p = pol->allow[mid].path;
		size_t pl = strlen(p);
		int c = memcmp(p, path, pl < len ? pl : len);

		if (c < 0 || (c == 0 && pl < len))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < pol->nallow && strlen(pol->allow[lo].path) == len &&
	    memcmp(pol->allow[lo].path, path, len) == 0)
		return &pol->allow[lo];
	return NULL;
}

static int excluded(const ar_ima_policy_t *pol, const char *path)
{
	size_t i;

	for (i = 0; i < pol->nexclude; i++)
		if (fnmatch(pol->exclude[i], path, 0) == 0)
			return 1;
	return 0;
}

/* A path fit for a log line: printable ASCII, at most 96 octets shown. */
static void show_path(const entry_t *e, char *out, size_t size)
{
	size_t i, n = e->path_len < size - 4 ? e->path_len : size - 4;

	for (i = 0; i < n; i++)
		out[i] = e->path[i] >= 0x20 && e->path[i] < 0x7f ? e->path[i] : '?';
	if (n < e->path_len) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
}

static int is_boot_aggregate(const entry_t *e)
{
	return e->path_len == 14 && memcmp(e->path, "boot_aggregate", 14) == 0;
}

static ar_tpm_reason_t entry_appraise(const ar_ima_policy_t *pol, const entry_t *e, uint64_t index,
				      ar_err_t *err)
{
	char path[100], *z;
	const allow_t *a;
	size_t i;

	show_path(e, path, sizeof(path));
	if (e->violation)
		return ar_tpm_fail(err, AR_TPM_IMA_NOT_ALLOWED, AR_ERR_UNAUTHORIZED,
				   "entry %llu is a violation (%s was measured while open for "
				   "write, or written while open for measurement)",
				   (unsigned long long)index, path);
	if (is_boot_aggregate(e)) {
		if (index == 0)
			return AR_TPM_OK;
		return ar_tpm_fail(err, AR_TPM_IMA_MALFORMED, AR_ERR_MALFORMED,
				   "entry %llu: boot_aggregate other than first", (unsigned long long)index);
	}
	a = allow_find(pol, e->path, e->path_len);
	for (i = 0; a && a + i < pol->allow + pol->nallow && strlen(a[i].path) == e->path_len &&
		    memcmp(a[i].path, e->path, e->path_len) == 0; i++)
		if (strlen(a[i].digest) == e->hex_len &&
		    strncasecmp(a[i].digest, e->hex, e->hex_len) == 0)
			return AR_TPM_OK;
	z = strndup(e->path, e->path_len);
	if (!z)
		return ar_tpm_fail(err, AR_TPM_INTERNAL, AR_ERR_NOMEM, "out of memory");
	i = excluded(pol, z);
	free(z);
	if (i)
		return AR_TPM_OK;
	if (a)
		return ar_tpm_fail(err, AR_TPM_IMA_NOT_ALLOWED, AR_ERR_UNAUTHORIZED,
				   "entry %llu: %s measured with a digest the allowlist does not "
				   "list for it", (unsigned long long)index, path);
	return ar_tpm_fail(err, AR_TPM_IMA_NOT_ALLOWED, AR_ERR_UNAUTHORIZED,
			   "entry %llu: %s is not in the allowlist", (unsigned long long)index, path);
}

/* Work state of one appraisal. */
typedef struct run {
	const ar_ima_policy_t	*pol;
	ar_ima_state_t		cur;		/* replay position */
	EVP_MD_CTX		*md;
	ar_tpm_reason_t		first_bad;	/* first refused entry since the last match */
	ar_err_t		bad_err;
} run_t;

/* Replay and appraise one line at run->cur.offset of @n octets (no newline). */
static ar_tpm_reason_t step(run_t *run, const char *s, size_t n, ar_err_t *err)
{
	uint8_t th[AR_TPM_SHA256_LEN];
	entry_t e;
	ar_tpm_reason_t r;

	r = line_parse(s, n, run->cur.entries, &e, err);
	if (r != AR_TPM_OK)
		return r;
	if (run->cur.entries == 0 && (e.violation || !is_boot_aggregate(&e))) {
		char path[100];

		show_path(&e, path, sizeof(path));
		return ar_tpm_fail(err, AR_TPM_IMA_NO_BOOT_AGGREGATE, AR_ERR_UNAUTHORIZED,
				   "entry 0 is %s%s, not boot_aggregate: the list does not start "
				   "where the kernel's IMA starts measuring",
				   e.violation ? "a violation of " : "", path);
	}
	if (template_hash(run->pol, run->md, &e, th) < 0 || extend(run->pol, run->md, run->cur.pcr10, th) < 0)
		return ar_tpm_fail(err, AR_TPM_INTERNAL, AR_ERR_CRYPTO, "hashing failed");
	if (e.tmpl_hash_len == 64 && !e.violation) {	/* a SHA-256 list: its column must agree */
		uint8_t col[AR_TPM_SHA256_LEN];

		if (ar_hex_decode(e.tmpl_hash, e.tmpl_hash_len, col, sizeof(col)) < 0 ||
		    memcmp(col, th, sizeof(th)) != 0)
			return ar_tpm_fail(err, AR_TPM_IMA_MALFORMED, AR_ERR_MALFORMED,
					   "entry %llu: template hash is not that of the entry",
					   (unsigned long long)run->cur.entries);
	}
	if (run->first_bad == AR_TPM_OK) {
		ar_err_clear(&run->bad_err);
		run->first_bad = entry_appraise(run->pol, &e, run->cur.entries, &run->bad_err);
		if (run->first_bad == AR_TPM_IMA_MALFORMED || run->first_bad == AR_TPM_INTERNAL) {
			if (err)
				*err = run->bad_err;
			return run->first_bad;
		}
	}
	run->cur.entries++;
	return AR_TPM_OK;
}

/*
 * The entries after the quoted point (measured after the quote): not
 * appraised now, only counted, and each must be a whole ima-ng line.
 */
static ar_tpm_reason_t tail(const run_t *run, const char *list, size_t len, uint64_t *pending,
			    ar_err_t *err)
{
	uint64_t off = run->cur.offset, index = run->cur.entries;
	entry_t e;

	*pending = 0;
	while (off < len) {
		const char *s = list + off, *nl;
		size_t n = len - off;
		ar_tpm_reason_t r;

		if (*pending == AR_IMA_MAX_ENTRIES)
			return ar_tpm_fail(err, AR_TPM_IMA_MALFORMED, AR_ERR_TOO_LARGE,
					   "more than %u entries after the quoted PCR 10",
					   AR_IMA_MAX_ENTRIES);
		nl = memchr(s, '\n', n > AR_IMA_MAX_LINE ? AR_IMA_MAX_LINE + 1 : n);
		if (!nl)
			return ar_tpm_fail(err, AR_TPM_IMA_MALFORMED, AR_ERR_MALFORMED,
					   "entry %llu (after the quoted PCR 10) is unterminated or "
					   "longer than %u octets", (unsigned long long)index,
					   AR_IMA_MAX_LINE);
		r = line_parse(s, (size_t)(nl - s), index, &e, err);
		if (r != AR_TPM_OK)
			return r;
		off += (uint64_t)(nl - s) + 1;
		index++;
		(*pending)++;
	}
	return AR_TPM_OK;
}

static ar_tpm_reason_t matched(run_t *run, ar_ima_state_t *st, const char *list, size_t len,
			       size_t *appraised, ar_err_t *err)
{
	ar_tpm_reason_t r;

	if (run->first_bad != AR_TPM_OK) {
		if (err)
			*err = run->bad_err;
		return run->first_bad;
	}
	r = tail(run, list, len, &run->cur.pending, err);
	if (r != AR_TPM_OK)
		return r;
	if (appraised)
		*appraised = (size_t)(run->cur.entries - (st->valid ? st->entries : 0));
	*st = run->cur;
	return AR_TPM_OK;
}

static const uint8_t reset_pcr10[AR_TPM_SHA256_LEN];	/* PCR 10 after a TPM reset */

ar_tpm_reason_t ar_ima_appraise(const ar_ima_policy_t *pol, ar_ima_state_t *st,
				uint32_t reset_count, const char *list, size_t len,
				const uint8_t pcr10[AR_TPM_SHA256_LEN], size_t *appraised,
				ar_err_t *err)
{
	run_t run = { .pol = pol };
	ar_tpm_reason_t r = AR_TPM_OK;
	uint64_t limit;

	if (len > AR_IMA_MAX_LIST)
		return ar_tpm_fail(err, AR_TPM_IMA_MALFORMED, AR_ERR_TOO_LARGE,
				   "the list has %zu octets (at most %u)", len, AR_IMA_MAX_LIST);
	if (CRYPTO_memcmp(pcr10, reset_pcr10, AR_TPM_SHA256_LEN) == 0)
		return ar_tpm_fail(err, AR_TPM_IMA_NOT_MEASURED, AR_ERR_UNAUTHORIZED,
				   "the quoted PCR 10 is at its reset value: IMA measured nothing "
				   "in boot %u (the list sent has %zu octets)", reset_count, len);
	if (!st->valid || st->reset_count != reset_count) {
		memset(st, 0, sizeof(*st));
		st->reset_count = reset_count;
	}
	run.cur = *st;
	run.cur.valid = 1;
	if (run.cur.offset > len || (run.cur.offset > 0 && list[run.cur.offset - 1] != '\n'))
		return ar_tpm_fail(err, AR_TPM_IMA_REPLAY_MISMATCH, AR_ERR_MALFORMED,
				   "the list does not extend the %llu entries appraised before "
				   "in boot %u", (unsigned long long)st->entries, reset_count);
	run.md = EVP_MD_CTX_new();
	if (!run.md)
		return ar_tpm_fail(err, AR_TPM_INTERNAL, AR_ERR_NOMEM, "out of memory");
	limit = run.cur.entries + AR_IMA_MAX_ENTRIES;
	for (;;) {
		const char *s = list + run.cur.offset, *nl;
		size_t n;

		/* Not before boot_aggregate is replayed (PCR 10 is not at its reset value). */
		if (run.cur.entries > 0 &&
		    CRYPTO_memcmp(run.cur.pcr10, pcr10, AR_TPM_SHA256_LEN) == 0) {
			r = matched(&run, st, list, len, appraised, err);
			break;
		}
		if (run.cur.offset == len && run.cur.entries == 0) {
			r = ar_tpm_fail(err, AR_TPM_IMA_NO_BOOT_AGGREGATE, AR_ERR_UNAUTHORIZED,
					"the list of boot %u is empty, yet the quoted PCR 10 is "
					"extended: boot_aggregate is missing", reset_count);
			break;
		}
		if (run.cur.offset == len) {
			r = ar_tpm_fail(err, AR_TPM_IMA_REPLAY_MISMATCH, AR_ERR_BAD_SIGNATURE,
					"the list (%llu entries) does not replay to the quoted PCR 10",
					(unsigned long long)run.cur.entries);
			break;
		}
		if (run.cur.entries == limit) {
			r = ar_tpm_fail(err, AR_TPM_IMA_MALFORMED, AR_ERR_TOO_LARGE,
					"more than %u new entries", AR_IMA_MAX_ENTRIES);
			break;
		}
		n = len - run.cur.offset;
		nl = memchr(s, '\n', n > AR_IMA_MAX_LINE ? AR_IMA_MAX_LINE + 1 : n);
		if (!nl) {
			r = ar_tpm_fail(err, AR_TPM_IMA_MALFORMED, AR_ERR_MALFORMED,
					"entry %llu is unterminated or longer than %u octets",
					(unsigned long long)run.cur.entries, AR_IMA_MAX_LINE);
			break;
		}
		r = step(&run, s, (size_t)(nl - s), err);
		if (r != AR_TPM_OK)
			break;
		run.cur.offset += (uint64_t)(nl - s) + 1;
	}
	EVP_MD_CTX_free(run.md);
	return r;
}
