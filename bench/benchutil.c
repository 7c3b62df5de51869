/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The load generators' shared clock, latency percentiles and CPU accounting (benchutil.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "benchutil.h"

double bu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int reserve(bu_samples_t *s, size_t more)
{
	size_t cap = s->cap ? s->cap : 1024;
	double *grown;

	if (s->n + more <= s->cap)
		return 0;
	while (cap < s->n + more)
		cap *= 2;
	grown = realloc(s->v, cap * sizeof(*grown));
	if (!grown)
		return -1;
	s->v = grown;
	s->cap = cap;
	return 0;
}

int bu_samples_add(bu_samples_t *s, double x)
{
	if (reserve(s, 1) < 0)
		return -1;
	s->v[s->n++] = x;
	return 0;
}

int bu_samples_merge(bu_samples_t *dst, const bu_samples_t *src)
{
	if (!src->n)
		return 0;
	if (reserve(dst, src->n) < 0)
		return -1;
	memcpy(dst->v + dst->n, src->v, src->n * sizeof(*src->v));
	dst->n += src->n;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double bu_samples_quantile(bu_samples_t *s, double q)
{
	size_t i;

	if (!s->n)
		return 0;
	qsort(s->v, s->n, sizeof(*s->v), cmp_double);
	i = (size_t)(q * (double)s->n);
	return s->v[i < s->n ? i : s->n - 1];
}

void bu_samples_free(bu_samples_t *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* The whole (small) text of a /proc file, NUL-terminated; -1 when unreadable. */
static int read_proc(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return -1;
	n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = '\0';
	return n ? 0 : -1;
}

double bu_proc_cpu(pid_t pid)
{
	unsigned long long utime, stime;
	char path[64], buf[1024];
	const char *p;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/stat");
	/* Fields after the command name, which may hold spaces: state is the
	 * 3rd field, utime the 14th and stime the 15th. */
	if (read_proc(path, buf, sizeof(buf)) < 0 || !(p = strrchr(buf, ')')) ||
	    sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
		   &utime, &stime) != 2)
		return -1;
	return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

int bu_proc_mem(pid_t pid, long *hwm_kb, long *rss_kb)
{
	char path[64], buf[4096];
	const char *hwm, *rss;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/status");
	if (read_proc(path, buf, sizeof(buf)) < 0 || !(hwm = strstr(buf, "\nVmHWM:")) ||
	    !(rss = strstr(buf, "\nVmRSS:")) || sscanf(hwm, "\nVmHWM: %ld kB", hwm_kb) != 1 ||
	    sscanf(rss, "\nVmRSS: %ld kB", rss_kb) != 1)
		return -1;
	return 0;
}

double bu_machine_busy(void)
{
	unsigned long long user, nice, sys, idle, iowait, irq, softirq, steal;
	char buf[4096];

	if (read_proc("/proc/stat", buf, sizeof(buf)) < 0 ||
	    sscanf(buf, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &user, &nice, &sys, &idle,
		   &iowait, &irq, &softirq, &steal) != 8)
		return -1;
	return (double)(user + nice + sys + irq + softirq + steal) / (double)sysconf(_SC_CLK_TCK);
}

double bu_loadavg(void)
{
	char buf[128];
	double l;

	if (read_proc("/proc/loadavg", buf, sizeof(buf)) < 0 || sscanf(buf, "%lf", &l) != 1)
		return -1;
	return l;
}
