/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TPM reference values: the policy file and its judgement of a replayed
 * boot log (see tpm_policy.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "tpm_policy.h"

#define LINE_MAX_LEN	4096
#define CMDLINE_PREFIX	"kernel_cmdline: "

/* 64 hex digits into @p d. */
static int hex32(const char *s, uint8_t d[AR_TPM_SHA256_LEN])
{
	ar_tpm_pcrs_t tmp;

	if (ar_tpm_pcrs_set_hex(&tmp, 0, s) < 0)
		return -1;
	memcpy(d, tmp.v[0], AR_TPM_SHA256_LEN);
	return 0;
}

/* "0-9,14" into a mask. */
static int pcr_list(const char *s, uint32_t *mask)
{
	char *end;
	long a, b;

	*mask = 0;
	for (;;) {
		a = strtol(s, &end, 10);
		if (end == s || a < 0 || a >= AR_TPM_PCR_COUNT)
			return -1;
		b = a;
		if (*end == '-') {
			s = end + 1;
			b = strtol(s, &end, 10);
			if (end == s || b < a || b >= AR_TPM_PCR_COUNT)
				return -1;
		}
		for (; a <= b; a++)
			*mask |= 1u << a;
		if (*end == '\0')
			return 0;
		if (*end != ',')
			return -1;
		s = end + 1;
	}
}

typedef struct parse {
	ar_tpm_refpolicy_t	*p;
	const char		*dir;
	unsigned		line;
	ar_err_t		*err;
} parse_t;

static int bad(parse_t *ps, const char *what)
{
	return ar_err_set(ps->err, AR_ERR_CONFIG, "line %u: %s", ps->line, what);
}

static int kw_quote_pcrs(parse_t *ps, char *v)
{
	return pcr_list(v, &ps->p->base.quote_mask) < 0 ? bad(ps, "quote_pcrs: a list like 0-10,14")
						       : 0;
}

static int kw_boot_pcrs(parse_t *ps, char *v)
{
	return pcr_list(v, &ps->p->base.boot_mask) < 0 ? bad(ps, "boot_pcrs: a list like 0-9,14")
						      : 0;
}

static int kw_boot_digest(parse_t *ps, char *v)
{
	ar_tpm_pol_digest_t *d;
	char *end;
	long pcr = strtol(v, &end, 10);

	if (end == v || *end != ' ' || pcr < 0 || pcr >= AR_TPM_PCR_COUNT)
		return bad(ps, "boot_digest: PCR and 64 hex digits");
	if (ps->p->ndigests == AR_TPM_POL_MAX_DIGESTS)
		return bad(ps, "too many boot_digest lines");
	d = &ps->p->digests[ps->p->ndigests];
	d->pcr = (uint32_t)pcr;
	while (*end == ' ')
		end++;
	if (hex32(end, d->d) < 0)
		return bad(ps, "boot_digest: PCR and 64 hex digits");
	ps->p->ndigests++;
	ps->p->digest_mask |= 1u << pcr;
	return 0;
}

static int kw_uefi_var(parse_t *ps, char *v)
{
	ar_tpm_pol_digest_t *d;
	char *sp = strchr(v, ' ');

	if (!sp || (size_t)(sp - v) >= sizeof(d->var) || sp == v)
		return bad(ps, "uefi_var: variable name and 64 hex digits");
	if (ps->p->nvars == AR_TPM_POL_MAX_VARS)
		return bad(ps, "too many uefi_var lines");
	d = &ps->p->vars[ps->p->nvars];
	memcpy(d->var, v, (size_t)(sp - v));
	d->var[sp - v] = '\0';
	d->pcr = 7;
	while (*sp == ' ')
		sp++;
	if (hex32(sp, d->d) < 0)
		return bad(ps, "uefi_var: variable name and 64 hex digits");
	ps->p->nvars++;
	return 0;
}

static int kw_secure_boot(parse_t *ps, char *v)
{
	if (!strcmp(v, "required"))
		ps->p->secure_boot = 1;
	else if (!strcmp(v, "ignore"))
		ps->p->secure_boot = 0;
	else
		return bad(ps, "secure_boot: required or ignore");
	return 0;
}

static int kw_cmdline(parse_t *ps, char *v)
{
	if (ps->p->ncmdlines == AR_TPM_POL_MAX_CMDLINES)
		return bad(ps, "too many kernel_cmdline lines");
	if (strlen(v) >= AR_TPM_POL_CMDLINE_MAX)
		return bad(ps, "kernel_cmdline too long");
	memcpy(ps->p->cmdlines[ps->p->ncmdlines++], v, strlen(v) + 1);
	return 0;
}

static int ima_policy(parse_t *ps)
{
	if (!ps->p->ima) {
		ps->p->ima = ar_ima_policy_new();
		if (!ps->p->ima)
			return ar_err_set(ps->err, AR_ERR_NOMEM, "out of memory");
		ps->p->base.ima = ps->p->ima;
	}
	return 0;
}

static int kw_ima_allowlist(parse_t *ps, char *v)
{
	char path[1024], *text;
	size_t len;
	int rc;

	if (ima_policy(ps) < 0)
		return -1;
	if (snprintf(path, sizeof(path), "%s%s%s", v[0] == '/' ? "" : ps->dir,
		     v[0] == '/' ? "" : "/", v) >= (int)sizeof(path))
		return bad(ps, "ima_allowlist: path too long");
	if (ar_file_read(path, AR_IMA_MAX_LIST, &text, &len, ps->err) < 0)
		return ar_err_prefix(ps->err, "line %u: ima_allowlist: ", ps->line);
	rc = ar_ima_policy_allowlist(ps->p->ima, text, len, ps->err);
	free(text);
	return rc < 0 ? ar_err_prefix(ps->err, "line %u: %s: ", ps->line, path) : 0;
}

static int kw_ima_exclude(parse_t *ps, char *v)
{
	if (ima_policy(ps) < 0)
		return -1;
	return ar_ima_policy_exclude(ps->p->ima, v, ps->err) < 0 ?
		ar_err_prefix(ps->err, "line %u: ", ps->line) : 0;
}

static const struct keyword {
	const char	*name;
	int		(*fn)(parse_t *ps, char *value);
} keywords[] = {
	{ "quote_pcrs", kw_quote_pcrs },
	{ "boot_pcrs", kw_boot_pcrs },
	{ "boot_digest", kw_boot_digest },
	{ "secure_boot", kw_secure_boot },
	{ "uefi_var", kw_uefi_var },
	{ "kernel_cmdline", kw_cmdline },
	{ "ima_allowlist", kw_ima_allowlist },
	{ "ima_exclude", kw_ima_exclude },
};

static int one_line(parse_t *ps, char *line)
{
	char *v;
	size_t i, n;

	while (*line == ' ' || *line == '\t')
		line++;
	n = strlen(line);
	while (n && (line[n - 1] == ' ' || line[n - 1] == '\t' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (!*line || *line == '#')
		return 0;
	v = strchr(line, ' ');
	if (!v)
		return bad(ps, "a keyword and its value");
	*v++ = '\0';
	while (*v == ' ')
		v++;
	for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (!strcmp(keywords[i].name, line))
			return keywords[i].fn(ps, v);
	return ar_err_set(ps->err, AR_ERR_CONFIG, "line %u: unknown keyword \"%.32s\"", ps->line,
			  line);
}

/* Every check has the PCRs it reads replayed, and those quoted. */
static int consistent(const ar_tpm_refpolicy_t *p, ar_err_t *err)
{
	uint32_t need = p->digest_mask;

	if (p->secure_boot || p->nvars)
		need |= 1u << 7;
	if (p->ncmdlines)
		need |= 1u << 8;
	if (!p->base.quote_mask)
		return ar_err_set(err, AR_ERR_CONFIG, "quote_pcrs is required");
	if ((p->base.boot_mask & need) != need)
		return ar_err_set(err, AR_ERR_CONFIG, "boot_pcrs must include PCRs 0x%06x, which "
				  "the checks read", need);
	if ((p->base.quote_mask & p->base.boot_mask) != p->base.boot_mask)
		return ar_err_set(err, AR_ERR_CONFIG, "boot_pcrs must be within quote_pcrs");
	if (p->ima && !(p->base.quote_mask & (1u << AR_IMA_PCR)))
		return ar_err_set(err, AR_ERR_CONFIG, "an IMA policy needs PCR 10 in quote_pcrs");
	if (p->ima && (p->base.boot_mask & (1u << AR_IMA_PCR)))
		return ar_err_set(err, AR_ERR_CONFIG, "PCR 10 is IMA's, not in boot_pcrs");
	return 0;
}

int ar_tpm_refpolicy_parse(const char *text, size_t len, const char *dir,
			   ar_tpm_refpolicy_t *p, ar_err_t *err)
{
	parse_t ps = { .p = p, .dir = dir, .line = 0, .err = err };
	char line[LINE_MAX_LEN];
	size_t i = 0, n;

	memset(p, 0, sizeof(*p));
	while (i < len) {
		const char *nl = memchr(text + i, '\n', len - i);

		n = nl ? (size_t)(nl - text - i) : len - i;
		ps.line++;
		if (n >= sizeof(line))
			return bad(&ps, "line too long");
		memcpy(line, text + i, n);
		line[n] = '\0';
		if (memchr(line, '\0', n))
			return bad(&ps, "NUL in the file");
		if (one_line(&ps, line) < 0)
			return -1;
		i += n + 1;
	}
	return consistent(p, err);
}

int ar_tpm_refpolicy_load(const char *path, ar_tpm_refpolicy_t *p, ar_err_t *err)
{
	char dir[1024], *text, *slash;
	size_t len;
	int rc;

	memset(p, 0, sizeof(*p));
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	if (ar_file_read(path, 1 << 20, &text, &len, err) < 0)
		return -1;
	rc = ar_tpm_refpolicy_parse(text, len, dir, p, err);
	free(text);
	return rc < 0 ? ar_err_prefix(err, "%s: ", path) : 0;
}

void ar_tpm_refpolicy_free(ar_tpm_refpolicy_t *p)
{
	if (!p)
		return;
	ar_ima_policy_free(p->ima);
	p->ima = NULL;
	p->base.ima = NULL;
}

/* Judgement. */

static int digest_allowed(const ar_tpm_refpolicy_t *p, const ar_tcg_event_t *ev)
{
	size_t i;

	for (i = 0; i < p->ndigests; i++)
		if (p->digests[i].pcr == ev->pcr && !memcmp(p->digests[i].d, ev->sha256, 32))
			return 1;
	return 0;
}

static int boot_chain(const ar_tpm_refpolicy_t *p, const ar_tcg_log_t *log, char *reason,
		      size_t size)
{
	const ar_tcg_event_t *ev;
	char hex[2 * AR_TPM_SHA256_LEN + 1];
	size_t i, k;

	for (i = 0; i < log->count; i++) {
		ev = &log->ev[i];
		if (!(p->digest_mask & (1u << ev->pcr)) || ar_tcg_event_benign(ev) ||
		    digest_allowed(p, ev))
			continue;
		for (k = 0; k < AR_TPM_SHA256_LEN; k++)
			snprintf(hex + 2 * k, 3, "%02x", ev->sha256[k]);
		snprintf(reason, size, "tpm_boot_digest_unknown: boot log event %zu (PCR %u, type "
			 "0x%x) has digest %s, which the reference values do not allow", i,
			 ev->pcr, ev->type, hex);
		return -1;
	}
	return 0;
}

/* Is @p ev a PCR 7 EV_EFI_VARIABLE_DRIVER_CONFIG event of variable @p name? */
static int var_event(const ar_tcg_event_t *ev, const char *name)
{
	ar_uefi_var_t var;

	return ev->pcr == 7 && ev->type == AR_EV_EFI_VARIABLE_DRIVER_CONFIG &&
	       ar_uefi_var_decode(ev, &var, NULL) == 0 && ar_uefi_var_name_is(&var, name);
}

/* Does the policy allow @p ev as variable @p name? */
static int var_allowed(const ar_tpm_refpolicy_t *p, const char *name, const ar_tcg_event_t *ev)
{
	size_t k;

	for (k = 0; ev->data_bound && k < p->nvars; k++)
		if (!strcmp(p->vars[k].var, name) &&
		    !memcmp(p->vars[k].d, ev->sha256, AR_TPM_SHA256_LEN))
			return 1;
	return 0;
}

/* Every event of each uefi_var before PCR 7's separator @p sep is allowed, and there is one. */
static int uefi_vars(const ar_tpm_refpolicy_t *p, const ar_tcg_log_t *log, size_t sep,
		     char *reason, size_t size)
{
	const char *why;
	size_t i, k, seen;

	for (i = 0; i < p->nvars; i++) {
		why = NULL;
		for (k = seen = 0; k < sep && !why; k++) {
			if (!var_event(&log->ev[k], p->vars[i].var))
				continue;
			seen++;
			if (!var_allowed(p, p->vars[i].var, &log->ev[k]))
				why = "not one the reference values allow";
		}
		if (!why && !seen)
			why = "missing";
		if (why) {
			snprintf(reason, size, "tpm_uefi_var_unknown: the %s event of PCR 7 is %s",
				 p->vars[i].var, why);
			return -1;
		}
	}
	return 0;
}

/* Is @p ev a command line grub measured into PCR 8 ("kernel_cmdline: ...")? */
static int is_cmdline(const ar_tcg_event_t *ev)
{
	size_t n = strlen(CMDLINE_PREFIX);

	return ev->pcr == 8 && ev->data_len > n && !memcmp(ev->data, CMDLINE_PREFIX, n);
}

static int cmdline_allowed(const ar_tpm_refpolicy_t *p, const ar_tcg_event_t *ev)
{
	size_t i, n = strlen(CMDLINE_PREFIX), len = ev->data_len - n;
	const char *s = (const char *)ev->data + n;

	if (ev->type != AR_EV_IPL || !ev->data_bound)
		return 0;
	if (len && s[len - 1] == '\0')
		len--;
	for (i = 0; i < p->ncmdlines; i++)
		if (strlen(p->cmdlines[i]) == len && !memcmp(p->cmdlines[i], s, len))
			return 1;
	return 0;
}

/* Every command line measured into PCR 8 is allowed (not only the last), and there is one. */
static int cmdline(const ar_tpm_refpolicy_t *p, const ar_tcg_log_t *log, char *reason,
		   size_t size)
{
	size_t i, seen = 0;

	for (i = 0; i < log->count; i++) {
		if (log->ev[i].pcr == 8 && log->ev[i].type == AR_EV_IPL && !log->ev[i].data_bound) {
			snprintf(reason, size, "tpm_cmdline_not_allowed: boot log event %zu of PCR 8 "
				 "has a digest that is not that of its data", i);
			return -1;
		}
		if (!is_cmdline(&log->ev[i]))
			continue;
		seen++;
		if (!cmdline_allowed(p, &log->ev[i])) {
			snprintf(reason, size, "tpm_cmdline_not_allowed: the kernel command line "
				 "measured into PCR 8 (boot log event %zu) is not one the reference "
				 "values allow", i);
			return -1;
		}
	}
	if (seen)
		return 0;
	snprintf(reason, size, "tpm_cmdline_not_allowed: no kernel command line was measured "
		 "into PCR 8");
	return -1;
}

/* The UEFI configuration of PCR 7 counts only before its separator; none after it. */
static int pcr7_handover(const ar_tcg_log_t *log, size_t sep, char *reason, size_t size)
{
	size_t i;

	if (sep == log->count) {
		snprintf(reason, size, "tpm_config_after_separator: PCR 7 has no EV_SEPARATOR "
			 "(00000000 or FFFFFFFF, digest of its data): the firmware's configuration "
			 "cannot be told from records extended after boot");
		return -1;
	}
	for (i = sep + 1; i < log->count; i++)
		if (log->ev[i].pcr == 7 && log->ev[i].type == AR_EV_EFI_VARIABLE_DRIVER_CONFIG) {
			snprintf(reason, size, "tpm_config_after_separator: boot log event %zu "
				 "(PCR 7, EV_EFI_VARIABLE_DRIVER_CONFIG) follows PCR 7's separator "
				 "(event %zu): UEFI configuration measured after the firmware handed "
				 "over", i, sep);
			return -1;
		}
	return 0;
}

static int configuration(const ar_tpm_refpolicy_t *p, const ar_tcg_log_t *log, char *reason,
			 size_t size)
{
	size_t sep = ar_tcg_log_pcr7_separator(log);
	ar_err_t err = { 0 };
	int sb;

	if ((p->secure_boot || p->nvars) && pcr7_handover(log, sep, reason, size) < 0)
		return -1;
	if (p->secure_boot) {
		sb = ar_tcg_log_secure_boot(log, &err);
		if (sb != 1) {
			snprintf(reason, size, "tpm_secure_boot_off: %s", sb == 0 ?
				 "the firmware measured SecureBoot = 0 into PCR 7" : err.msg);
			return -1;
		}
	}
	if (uefi_vars(p, log, sep, reason, size) < 0)
		return -1;
	return p->ncmdlines ? cmdline(p, log, reason, size) : 0;
}

void ar_tpm_refpolicy_judge(const ar_tpm_refpolicy_t *p, const ar_tcg_log_t *log,
			    ar_tvec_t *tv, char *reason, size_t size)
{
	char why[512] = "";

	reason[0] = '\0';
	tv->v[AR_TV_EXECUTABLES] = 0;
	if (p->ndigests)
		tv->v[AR_TV_EXECUTABLES] = boot_chain(p, log, why, sizeof(why)) < 0 ? 96 : 2;
	if (why[0])
		snprintf(reason, size, "%s", why);
	why[0] = '\0';
	tv->v[AR_TV_CONFIGURATION] = 0;
	if (p->secure_boot || p->nvars || p->ncmdlines)
		tv->v[AR_TV_CONFIGURATION] = configuration(p, log, why, sizeof(why)) < 0 ? 96 : 2;
	if (why[0] && !reason[0])
		snprintf(reason, size, "%s", why);
}
