/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file metrics.h
 * @brief Counters, gauges and histograms with bounded label sets, and their
 *	  Prometheus text exposition (format 0.0.4).
 *
 * A registry is made once from a table of definitions (the caller's enum
 * indexes it) and is then written by any number of threads without a lock:
 * every cell is a C11 atomic updated with relaxed ordering, one
 * read-modify-write per update, no system call. Labels take their values
 * from a fixed, NULL-terminated list per label; a value outside the list
 * counts under the list's last entry (by convention "other"), so that no
 * input can grow the number of series.
 *
 * Histogram buckets are fixed upper bounds; observations and sums are kept
 * as integers in millionths (a latency in seconds keeps microseconds), so
 * that a cell's change is an integer that can be added elsewhere (HINCRBY,
 * see ar_metrics_cell_name()).
 *
 * @code
 *	static const char *const outcomes[] = { "ok", "failed", "other", NULL };
 *	static const double lat[] = { 0.001, 0.01, 0.1, 1 };
 *	static const ar_metric_def_t defs[] = {
 *		[M_REQ] = { "x_requests_total", AR_METRIC_COUNTER, "Requests.",
 *			    { "outcome" }, { outcomes } },
 *		[M_LAT] = { "x_latency_seconds", AR_METRIC_HISTOGRAM, "Latency.",
 *			    { NULL }, { NULL }, lat, 4 },
 *	};
 *	m = ar_metrics_new(defs, 2, &err);
 *	ar_metrics_inc(m, M_REQ, ar_metrics_label(m, M_REQ, 0, "ok"), 0);
 *	ar_metrics_observe(m, M_LAT, 0, 0, 0.004);
 *	ar_metrics_render(m, &buf);
 * @endcode
 */
#ifndef AR_METRICS_H
#define AR_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

/** Labels a metric may have. */
#define AR_METRIC_LABELS	2

/** Longest name of a cell (ar_metrics_cell_name()), NUL included. */
#define AR_METRIC_CELL_MAX	192

typedef enum ar_metric_type {
	AR_METRIC_COUNTER,	/**< monotonic; the name ends in _total */
	AR_METRIC_GAUGE,	/**< a value set from time to time */
	AR_METRIC_HISTOGRAM,	/**< _bucket{le=...}, _sum, _count */
} ar_metric_type_t;

/** One metric family. Everything it points to must outlive the registry. */
typedef struct ar_metric_def {
	const char		*name;		/**< [a-zA-Z_:][a-zA-Z0-9_:]* */
	ar_metric_type_t	type;
	const char		*help;		/**< one line; escaped on output */
	const char		*label[AR_METRIC_LABELS];	/**< names; NULL: unused (label[1] needs label[0]) */
	const char *const	*values[AR_METRIC_LABELS];	/**< each label's values, NULL-terminated */
	const double		*buckets;	/**< histogram: ascending finite upper bounds */
	size_t			nbuckets;
} ar_metric_def_t;

typedef struct ar_metrics ar_metrics_t;

/**
 * A registry of @p n families, all at zero.
 * @return the registry (ar_metrics_free()), or NULL with AR_ERR_CONFIG
 *	   naming the definition at fault (a bad name, a counter not ending in
 *	   _total, a label "le" on a histogram, buckets not ascending, an
 *	   empty value list) or AR_ERR_NOMEM.
 */
ar_metrics_t *ar_metrics_new(const ar_metric_def_t *defs, size_t n, ar_err_t *err);

void ar_metrics_free(ar_metrics_t *m);

/**
 * Index of @p value among the values of label @p dim of family @p id; a
 * value not in the list (or NULL) gives the last index (the catch-all).
 */
size_t ar_metrics_label(const ar_metrics_t *m, size_t id, unsigned dim, const char *value);

/** Counter @p id, series (@p l0, @p l1), plus @p n. Out-of-range indexes count under the last value. */
void ar_metrics_add(ar_metrics_t *m, size_t id, size_t l0, size_t l1, uint64_t n);

#define ar_metrics_inc(m, id, l0, l1)	ar_metrics_add((m), (id), (l0), (l1), 1)

/** Gauge @p id, series (@p l0, @p l1), set to @p v (kept to a millionth). */
void ar_metrics_set(ar_metrics_t *m, size_t id, size_t l0, size_t l1, double v);

/** Histogram @p id, series (@p l0, @p l1): one observation of @p v (>= 0; negative counts as 0). */
void ar_metrics_observe(ar_metrics_t *m, size_t id, size_t l0, size_t l1, double v);

/**
 * Append the text exposition of every family (HELP and TYPE lines, then
 * each series) to @p out. Families with two labels show only their series
 * that are not zero; the others show every series, zeros included.
 * @return AR_OK, or the error of ar_buf_append().
 */
ar_errc_t ar_metrics_render(const ar_metrics_t *m, ar_buf_t *out);

/*
 * Moving counts elsewhere (the RADIUS module's counters summed in Redis):
 * every counter and histogram is a list of integer cells, each with a
 * stable text name; gauges have none.
 */

/** How many cells the registry has (counters and histograms). */
size_t ar_metrics_ncells(const ar_metrics_t *m);

/** Copy the cells' current values into @p out (ar_metrics_ncells() entries). */
void ar_metrics_snapshot(const ar_metrics_t *m, uint64_t *out);

/**
 * Name of cell @p i: "<family>|<value0>|<value1>|<part>", a missing label's
 * value empty, part "" for a counter, "b<k>" for histogram bucket k (its own
 * count, not cumulative; k = nbuckets is +Inf), "sum" or "count".
 * @return 0, or -1 when @p i is out of range or @p size too small.
 */
int ar_metrics_cell_name(const ar_metrics_t *m, size_t i, char *out, size_t size);

/**
 * Add @p n to the cell named @p name (as ar_metrics_cell_name() writes it).
 * @return 0, or -1 with AR_ERR_MALFORMED when no cell has that name (a
 *	   family, label value or part this registry does not know).
 */
int ar_metrics_cell_add(ar_metrics_t *m, const char *name, uint64_t n, ar_err_t *err);

/*
 * Writing families that are not in a registry (values read elsewhere).
 */

/** "# HELP name help\n# TYPE name type\n", the help escaped. */
ar_errc_t ar_prom_family(ar_buf_t *out, const char *name, ar_metric_type_t type, const char *help);

/**
 * One sample line: @p name, then {k="v",...} from @p nlabels pairs of
 * @p labels (name, value, name, value...; values escaped), then @p value.
 */
ar_errc_t ar_prom_sample(ar_buf_t *out, const char *name, const char *const *labels,
			 size_t nlabels, double value);

/** Append @p v escaped as a label value (backslash, double quote, newline). */
ar_errc_t ar_prom_escape_label(ar_buf_t *out, const char *v);

#endif
