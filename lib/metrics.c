/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Counters, gauges and histograms on relaxed atomics, and the Prometheus
 * text exposition format 0.0.4. */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

/* Values kept in millionths: gauges, observations, histogram sums. */
#define MICRO	1000000.0

typedef struct family {
	const ar_metric_def_t	*def;
	size_t			nv[AR_METRIC_LABELS];	/* values per label; 1 when unused */
	size_t			nseries;
	size_t			stride;		/* cells per series */
	size_t			first;		/* its first cell */
} family_t;

struct ar_metrics {
	family_t		*f;
	size_t			n;
	_Atomic uint64_t	*cells;
	size_t			ncells;
};

static int name_ok(const char *s, int colon_ok)
{
	size_t i;

	if (!s || !*s || strlen(s) > 96)
		return 0;
	for (i = 0; s[i]; i++) {
		char c = s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
		    (colon_ok && c == ':') || (i > 0 && c >= '0' && c <= '9'))
			continue;
		return 0;
	}
	return 1;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !strcmp(s + n - k, suffix);
}

/* Values of one label: 1..64 of them, each non-empty without '|' (cell names). */
static size_t count_values(const char *const *v)
{
	size_t n;

	for (n = 0; v && v[n]; n++)
		if (!*v[n] || strchr(v[n], '|') || strlen(v[n]) > 48 || n >= 64)
			return 0;
	return n;
}

static int family_init(family_t *f, const ar_metric_def_t *d, ar_err_t *err)
{
	unsigned k;

	memset(f, 0, sizeof(*f));
	f->def = d;
	if (!name_ok(d->name, 1) || !d->help)
		return ar_err_set(err, AR_ERR_CONFIG, "metric \"%.96s\": invalid name or no help",
				  d->name ? d->name : "");
	if (d->type == AR_METRIC_COUNTER && !ends_with(d->name, "_total"))
		return ar_err_set(err, AR_ERR_CONFIG, "metric %s: a counter's name ends in _total",
				  d->name);
	for (k = 0; k < AR_METRIC_LABELS; k++) {
		f->nv[k] = 1;
		if (!d->label[k])
			continue;
		if ((k > 0 && !d->label[k - 1]) || !name_ok(d->label[k], 0) ||
		    !strncmp(d->label[k], "__", 2) ||
		    (d->type == AR_METRIC_HISTOGRAM && !strcmp(d->label[k], "le")) ||
		    !(f->nv[k] = count_values(d->values[k])))
			return ar_err_set(err, AR_ERR_CONFIG, "metric %s: label %u invalid or without "
					  "values", d->name, k);
	}
	f->stride = 1;
	if (d->type == AR_METRIC_HISTOGRAM) {
		size_t i;

		if (!d->buckets || !d->nbuckets || d->nbuckets > 64)
			return ar_err_set(err, AR_ERR_CONFIG, "metric %s: 1..64 buckets", d->name);
		for (i = 0; i < d->nbuckets; i++)
			if (!isfinite(d->buckets[i]) || (i && d->buckets[i] <= d->buckets[i - 1]))
				return ar_err_set(err, AR_ERR_CONFIG, "metric %s: buckets must be "
						  "finite and ascending", d->name);
		f->stride = d->nbuckets + 3;	/* buckets, +Inf, sum, count */
	}
	f->nseries = f->nv[0] * f->nv[1];
	return 0;
}

ar_metrics_t *ar_metrics_new(const ar_metric_def_t *defs, size_t n, ar_err_t *err)
{
	ar_metrics_t *m = calloc(1, sizeof(*m));
	size_t i;

	if (!m || !(m->f = calloc(n ? n : 1, sizeof(*m->f)))) {
		ar_err_set(err, AR_ERR_NOMEM, "metrics: out of memory");
		goto error;
	}
	m->n = n;
	for (i = 0; i < n; i++) {
		if (family_init(&m->f[i], &defs[i], err) < 0)
			goto error;
		m->f[i].first = m->ncells;
		m->ncells += m->f[i].nseries * m->f[i].stride;
	}
	m->cells = calloc(m->ncells ? m->ncells : 1, sizeof(*m->cells));
	if (!m->cells) {
		ar_err_set(err, AR_ERR_NOMEM, "metrics: out of memory");
		goto error;
	}
	for (i = 0; i < m->ncells; i++)
		atomic_init(&m->cells[i], 0);
	return m;
error:
	ar_metrics_free(m);
	return NULL;
}

void ar_metrics_free(ar_metrics_t *m)
{
	if (!m)
		return;
	free(m->cells);
	free(m->f);
	free(m);
}

size_t ar_metrics_label(const ar_metrics_t *m, size_t id, unsigned dim, const char *value)
{
	const family_t *f;
	size_t i;

	if (id >= m->n || dim >= AR_METRIC_LABELS)
		return 0;
	f = &m->f[id];
	if (!f->def->label[dim])
		return 0;
	for (i = 0; value && i + 1 < f->nv[dim]; i++)
		if (!strcmp(f->def->values[dim][i], value))
			return i;
	return f->nv[dim] - 1;
}

/* The first cell of series (@l0, @l1) of family @id, or NULL if @id is not of @type. */
static _Atomic uint64_t *series(ar_metrics_t *m, size_t id, ar_metric_type_t type, size_t l0,
				size_t l1)
{
	const family_t *f;

	if (!m || id >= m->n || m->f[id].def->type != type)
		return NULL;
	f = &m->f[id];
	if (l0 >= f->nv[0])
		l0 = f->nv[0] - 1;
	if (l1 >= f->nv[1])
		l1 = f->nv[1] - 1;
	return &m->cells[f->first + (l0 * f->nv[1] + l1) * f->stride];
}

void ar_metrics_add(ar_metrics_t *m, size_t id, size_t l0, size_t l1, uint64_t n)
{
	_Atomic uint64_t *c = series(m, id, AR_METRIC_COUNTER, l0, l1);

	if (c)
		atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static uint64_t to_micro(double v)
{
	if (!(v > 0))
		return 0;
	if (v >= (double)INT64_MAX / MICRO)
		return (uint64_t)INT64_MAX;
	return (uint64_t)(v * MICRO + 0.5);
}

void ar_metrics_set(ar_metrics_t *m, size_t id, size_t l0, size_t l1, double v)
{
	_Atomic uint64_t *c = series(m, id, AR_METRIC_GAUGE, l0, l1);
	int64_t iv;

	if (!c)
		return;
	if (!(v == v))
		v = 0;
	if (v >= (double)INT64_MAX / MICRO)
		iv = INT64_MAX;
	else if (v <= (double)INT64_MIN / MICRO)
		iv = INT64_MIN;
	else
		iv = (int64_t)(v * MICRO + (v < 0 ? -0.5 : 0.5));
	atomic_store_explicit(c, (uint64_t)iv, memory_order_relaxed);
}

void ar_metrics_observe(ar_metrics_t *m, size_t id, size_t l0, size_t l1, double v)
{
	_Atomic uint64_t *c = series(m, id, AR_METRIC_HISTOGRAM, l0, l1);
	const ar_metric_def_t *d;
	size_t b;

	if (!c)
		return;
	d = m->f[id].def;
	for (b = 0; b < d->nbuckets && !(v <= d->buckets[b]); b++)
		;
	atomic_fetch_add_explicit(&c[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&c[d->nbuckets + 1], to_micro(v), memory_order_relaxed);
	atomic_fetch_add_explicit(&c[d->nbuckets + 2], 1, memory_order_relaxed);
}

/* ---- Exposition ---------------------------------------------------------- */

static ar_errc_t escape(ar_buf_t *out, const char *v, int quote)
{
	const char *p;
	ar_errc_t rc = AR_OK;

	for (p = v; *p && rc == AR_OK; p++) {
		if (*p == '\\')
			rc = ar_buf_append(out, "\\\\", 2);
		else if (*p == '\n')
			rc = ar_buf_append(out, "\\n", 2);
		else if (quote && *p == '"')
			rc = ar_buf_append(out, "\\\"", 2);
		else
			rc = ar_buf_append(out, p, 1);
	}
	return rc;
}

ar_errc_t ar_prom_escape_label(ar_buf_t *out, const char *v)
{
	return escape(out, v ? v : "", 1);
}

static const char *type_name(ar_metric_type_t t)
{
	switch (t) {
	case AR_METRIC_COUNTER:		return "counter";
	case AR_METRIC_GAUGE:		return "gauge";
	case AR_METRIC_HISTOGRAM:	return "histogram";
	}
	return "untyped";
}

ar_errc_t ar_prom_family(ar_buf_t *out, const char *name, ar_metric_type_t type, const char *help)
{
	ar_errc_t rc;

	if ((rc = ar_buf_printf(out, "# HELP %s ", name)) != AR_OK ||
	    (rc = escape(out, help ? help : "", 0)) != AR_OK)
		return rc;
	return ar_buf_printf(out, "\n# TYPE %s %s\n", name, type_name(type));
}

/* A value in millionths as a decimal without trailing zeros: 1.5, 0.000125, -3. */
static ar_errc_t put_micro(ar_buf_t *out, int64_t v)
{
	uint64_t a = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	char frac[8];
	int n;

	if (a % 1000000 == 0)
		return ar_buf_printf(out, "%s%" PRIu64, v < 0 ? "-" : "", a / 1000000);
	snprintf(frac, sizeof(frac), "%06" PRIu64, a % 1000000);
	for (n = 6; n > 0 && frac[n - 1] == '0'; n--)
		frac[n - 1] = '\0';
	return ar_buf_printf(out, "%s%" PRIu64 ".%s", v < 0 ? "-" : "", a / 1000000, frac);
}

/* "{a="x",b="y"" (no closing brace), from the series' label values, or "" */
static ar_errc_t put_labels(ar_buf_t *out, const ar_metric_def_t *d, size_t l0, size_t l1,
			    int more)
{
	size_t idx[AR_METRIC_LABELS] = { l0, l1 };
	ar_errc_t rc = AR_OK;
	unsigned k;

	for (k = 0; k < AR_METRIC_LABELS && d->label[k] && rc == AR_OK; k++) {
		if ((rc = ar_buf_printf(out, "%s%s=\"", k ? "," : "{", d->label[k])) != AR_OK ||
		    (rc = escape(out, d->values[k][idx[k]], 1)) != AR_OK)
			break;
		rc = ar_buf_append(out, "\"", 1);
	}
	if (rc == AR_OK && !d->label[0] && more)
		rc = ar_buf_append(out, "{", 1);
	else if (rc == AR_OK && d->label[0] && more)
		rc = ar_buf_append(out, ",", 1);
	return rc;
}

static ar_errc_t put_close(ar_buf_t *out, const ar_metric_def_t *d)
{
	return d->label[0] ? ar_buf_append(out, "}", 1) : AR_OK;
}

static uint64_t load(const _Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

static ar_errc_t render_histogram(ar_buf_t *out, const ar_metric_def_t *d, size_t l0, size_t l1,
				  const _Atomic uint64_t *c)
{
	uint64_t cum = 0, count = load(&c[d->nbuckets + 2]);
	ar_errc_t rc = AR_OK;
	size_t b;

	for (b = 0; b <= d->nbuckets && rc == AR_OK; b++) {
		cum += load(&c[b]);
		if (b == d->nbuckets && cum < count)
			cum = count;	/* an observation between the two loads */
		if ((rc = ar_buf_printf(out, "%s_bucket", d->name)) != AR_OK ||
		    (rc = put_labels(out, d, l0, l1, 1)) != AR_OK)
			break;
		if (b < d->nbuckets)
			rc = ar_buf_printf(out, "le=\"%.9g\"} %" PRIu64 "\n", d->buckets[b], cum);
		else
			rc = ar_buf_printf(out, "le=\"+Inf\"} %" PRIu64 "\n", cum);
	}
	if (rc == AR_OK && (rc = ar_buf_printf(out, "%s_sum", d->name)) == AR_OK &&
	    (rc = put_labels(out, d, l0, l1, 0)) == AR_OK && (rc = put_close(out, d)) == AR_OK &&
	    (rc = ar_buf_append(out, " ", 1)) == AR_OK &&
	    (rc = put_micro(out, (int64_t)load(&c[d->nbuckets + 1]))) == AR_OK &&
	    (rc = ar_buf_printf(out, "\n%s_count", d->name)) == AR_OK &&
	    (rc = put_labels(out, d, l0, l1, 0)) == AR_OK && (rc = put_close(out, d)) == AR_OK)
		rc = ar_buf_printf(out, " %" PRIu64 "\n", cum);
	return rc;
}

static int series_zero(const _Atomic uint64_t *c, size_t stride)
{
	size_t i;

	for (i = 0; i < stride; i++)
		if (load(&c[i]))
			return 0;
	return 1;
}

static ar_errc_t render_family(const ar_metrics_t *m, const family_t *f, ar_buf_t *out)
{
	const ar_metric_def_t *d = f->def;
	ar_errc_t rc = ar_prom_family(out, d->name, d->type, d->help);
	size_t l0, l1;

	for (l0 = 0; l0 < f->nv[0] && rc == AR_OK; l0++) {
		for (l1 = 0; l1 < f->nv[1] && rc == AR_OK; l1++) {
			const _Atomic uint64_t *c = &m->cells[f->first + (l0 * f->nv[1] + l1) * f->stride];

			if (d->label[1] && series_zero(c, f->stride))
				continue;
			if (d->type == AR_METRIC_HISTOGRAM) {
				rc = render_histogram(out, d, l0, l1, c);
				continue;
			}
			if ((rc = ar_buf_append(out, d->name, strlen(d->name))) != AR_OK ||
			    (rc = put_labels(out, d, l0, l1, 0)) != AR_OK ||
			    (rc = put_close(out, d)) != AR_OK)
				break;
			if (d->type == AR_METRIC_GAUGE) {
				if ((rc = ar_buf_append(out, " ", 1)) == AR_OK &&
				    (rc = put_micro(out, (int64_t)load(c))) == AR_OK)
					rc = ar_buf_append(out, "\n", 1);
			} else {
				rc = ar_buf_printf(out, " %" PRIu64 "\n", load(c));
			}
		}
	}
	return rc;
}

ar_errc_t ar_metrics_render(const ar_metrics_t *m, ar_buf_t *out)
{
	ar_errc_t rc = AR_OK;
	size_t i;

	for (i = 0; i < m->n && rc == AR_OK; i++)
		rc = render_family(m, &m->f[i], out);
	return rc;
}

ar_errc_t ar_prom_sample(ar_buf_t *out, const char *name, const char *const *labels,
			 size_t nlabels, double value)
{
	ar_errc_t rc = ar_buf_append(out, name, strlen(name));
	size_t i;

	for (i = 0; i < nlabels && rc == AR_OK; i++) {
		if ((rc = ar_buf_printf(out, "%s%s=\"", i ? "," : "{", labels[2 * i])) != AR_OK ||
		    (rc = escape(out, labels[2 * i + 1], 1)) != AR_OK)
			break;
		rc = ar_buf_append(out, "\"", 1);
	}
	if (rc == AR_OK && nlabels)
		rc = ar_buf_append(out, "}", 1);
	if (rc != AR_OK)
		return rc;
	if (isnan(value))
		return ar_buf_printf(out, " NaN\n");
	if (isinf(value))
		return ar_buf_printf(out, " %sInf\n", value < 0 ? "-" : "+");
	if (value > -9e15 && value < 9e15 && value == (double)(int64_t)value)
		return ar_buf_printf(out, " %" PRId64 "\n", (int64_t)value);
	return ar_buf_printf(out, " %.17g\n", value);
}

/* ---- Cells --------------------------------------------------------------- */

size_t ar_metrics_ncells(const ar_metrics_t *m)
{
	return m->ncells;
}

void ar_metrics_snapshot(const ar_metrics_t *m, uint64_t *out)
{
	size_t i;

	for (i = 0; i < m->ncells; i++)
		out[i] = load(&m->cells[i]);
}

/* The family of cell @i, or NULL. */
static const family_t *family_of(const ar_metrics_t *m, size_t i)
{
	size_t k;

	for (k = 0; k < m->n; k++)
		if (i >= m->f[k].first && i < m->f[k].first + m->f[k].nseries * m->f[k].stride)
			return &m->f[k];
	return NULL;
}

int ar_metrics_cell_name(const ar_metrics_t *m, size_t i, char *out, size_t size)
{
	const family_t *f = family_of(m, i);
	const ar_metric_def_t *d;
	size_t rel, s, part, l0, l1;
	char pname[24];
	int n;

	if (!f || f->def->type == AR_METRIC_GAUGE)
		return -1;
	d = f->def;
	rel = i - f->first;
	s = rel / f->stride;
	part = rel % f->stride;
	l0 = s / f->nv[1];
	l1 = s % f->nv[1];
	if (d->type == AR_METRIC_COUNTER)
		pname[0] = '\0';
	else if (part <= d->nbuckets)
		snprintf(pname, sizeof(pname), "b%zu", part);
	else
		snprintf(pname, sizeof(pname), "%s", part == d->nbuckets + 1 ? "sum" : "count");
	n = snprintf(out, size, "%s|%s|%s|%s", d->name, d->label[0] ? d->values[0][l0] : "",
		     d->label[1] ? d->values[1][l1] : "", pname);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* Index of @v (length @n) among label @k's values; SIZE_MAX when absent. */
static size_t value_index(const family_t *f, unsigned k, const char *v, size_t n)
{
	size_t i;

	if (!f->def->label[k])
		return n == 0 ? 0 : SIZE_MAX;
	for (i = 0; i < f->nv[k]; i++)
		if (strlen(f->def->values[k][i]) == n && !memcmp(f->def->values[k][i], v, n))
			return i;
	return SIZE_MAX;
}

/* Cell of part text @p (e.g. "b3", "sum") in a series of @f; SIZE_MAX when none. */
static size_t part_index(const family_t *f, const char *p)
{
	const ar_metric_def_t *d = f->def;
	char *end;
	unsigned long b;

	if (d->type == AR_METRIC_COUNTER)
		return *p ? SIZE_MAX : 0;
	if (!strcmp(p, "sum"))
		return d->nbuckets + 1;
	if (!strcmp(p, "count"))
		return d->nbuckets + 2;
	if (p[0] != 'b' || p[1] < '0' || p[1] > '9')
		return SIZE_MAX;
	b = strtoul(p + 1, &end, 10);
	return *end || b > d->nbuckets ? SIZE_MAX : (size_t)b;
}

int ar_metrics_cell_add(ar_metrics_t *m, const char *name, uint64_t n, ar_err_t *err)
{
	const char *bar[3], *p = name;
	size_t k, l0, l1, part;
	const family_t *f = NULL;

	for (k = 0; k < 3; k++) {
		bar[k] = p ? strchr(p, '|') : NULL;
		if (!bar[k])
			goto bad;
		p = bar[k] + 1;
	}
	for (k = 0; k < m->n && !f; k++)
		if (strlen(m->f[k].def->name) == (size_t)(bar[0] - name) &&
		    !memcmp(m->f[k].def->name, name, (size_t)(bar[0] - name)) &&
		    m->f[k].def->type != AR_METRIC_GAUGE)
			f = &m->f[k];
	if (!f)
		goto bad;
	l0 = value_index(f, 0, bar[0] + 1, (size_t)(bar[1] - bar[0] - 1));
	l1 = value_index(f, 1, bar[1] + 1, (size_t)(bar[2] - bar[1] - 1));
	part = part_index(f, bar[2] + 1);
	if (l0 == SIZE_MAX || l1 == SIZE_MAX || part == SIZE_MAX)
		goto bad;
	atomic_fetch_add_explicit(&m->cells[f->first + (l0 * f->nv[1] + l1) * f->stride + part], n,
				  memory_order_relaxed);
	return 0;
bad:
	return ar_err_set(err, AR_ERR_MALFORMED, "metrics: no cell \"%.80s\"", name ? name : "");
}
