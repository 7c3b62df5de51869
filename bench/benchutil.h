/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file benchutil.h
 * @brief What the load generators under bench/ share: a monotonic clock,
 *	  latency samples with percentiles, and the CPU time processes and
 *	  the whole machine spent over a measured window.
 */
#ifndef AR_BENCHUTIL_H
#define AR_BENCHUTIL_H

#include <stddef.h>
#include <sys/types.h>

/** Monotonic time in seconds. */
double bu_now(void);

/** A growing list of latencies (seconds). Zero-initialise; free with bu_samples_free(). */
typedef struct bu_samples {
	double	*v;
	size_t	n;
	size_t	cap;
} bu_samples_t;

/** Append one sample; -1 when out of memory (the sample is dropped). */
int bu_samples_add(bu_samples_t *s, double x);

/** Append all of @p src to @p dst; -1 when out of memory. */
int bu_samples_merge(bu_samples_t *dst, const bu_samples_t *src);

/**
 * The @p q quantile (0..1, nearest rank) in seconds; 0 when empty.
 * Sorts the samples in place.
 */
double bu_samples_quantile(bu_samples_t *s, double q);

void bu_samples_free(bu_samples_t *s);

/**
 * CPU seconds (user + system, all threads) process @p pid has used so far,
 * from /proc/<pid>/stat; 0 means this process. -1 when unreadable.
 */
double bu_proc_cpu(pid_t pid);

/**
 * Peak and current resident memory of process @p pid (0: this process) in
 * kB: VmHWM and VmRSS of /proc/<pid>/status. -1 when unreadable (the
 * process is gone, or a kernel thread).
 */
int bu_proc_mem(pid_t pid, long *hwm_kb, long *rss_kb);

/** Busy CPU seconds of the whole machine so far, all cores (/proc/stat). */
double bu_machine_busy(void);

/** The 1-minute load average, or -1. */
double bu_loadavg(void);

#endif
