/* SPDX-License-Identifier: GPL-2.0-or-later */
/* key=value log lines (log.h). */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define AR_LOG_LINE_MAX	2048

/* Process-wide logger settings: written once by ar_log_setup() at start-up. */
static struct {
	char		prog[48];
	ar_log_level_t	min;
	int		fd;
	ar_log_sink_t	sink;
	void		*sink_ctx;
} logger = { "acme-rats", AR_LOG_INFO, 2, NULL, NULL };

static const char *const level_names[] = {
	[AR_LOG_DEBUG] = "debug",
	[AR_LOG_INFO] = "info",
	[AR_LOG_WARN] = "warn",
	[AR_LOG_ERROR] = "error",
};

void ar_log_setup(const char *prog, ar_log_level_t min, int fd)
{
	snprintf(logger.prog, sizeof(logger.prog), "%s", prog ? prog : "acme-rats");
	logger.min = min;
	logger.fd = fd;
}

void ar_log_set_sink(ar_log_sink_t sink, void *ctx)
{
	logger.sink = sink;
	logger.sink_ctx = ctx;
}

int ar_log_level_parse(const char *s, ar_log_level_t *out)
{
	if (!s)
		return -1;
	if (!strcasecmp(s, "debug"))
		*out = AR_LOG_DEBUG;
	else if (!strcasecmp(s, "info"))
		*out = AR_LOG_INFO;
	else if (!strcasecmp(s, "warn") || !strcasecmp(s, "warning"))
		*out = AR_LOG_WARN;
	else if (!strcasecmp(s, "error"))
		*out = AR_LOG_ERROR;
	else
		return -1;
	return 0;
}

int ar_log_enabled(ar_log_level_t level)
{
	return level >= logger.min;
}

/* Replace bytes that would break the one-line contract. */
static void sanitize(char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f)
			*s = '?';
	}
}

void ar_log(ar_log_level_t level, const char *fmt, ...)
{
	char line[AR_LOG_LINE_MAX];
	struct timeval tv;
	struct tm tm;
	va_list ap;
	size_t len;
	int n;

	if (level < logger.min || level > AR_LOG_ERROR)
		return;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	n = snprintf(line, sizeof(line),
		     "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s prog=%s ",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		     tm.tm_min, tm.tm_sec, (long)(tv.tv_usec / 1000),
		     level_names[level], logger.prog);
	if (n < 0)
		return;
	len = (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;

	va_start(ap, fmt);
	n = vsnprintf(line + len, sizeof(line) - len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	sanitize(line + len);
	len = strlen(line);

	if (logger.sink) {
		logger.sink(logger.sink_ctx, level, line);
		return;
	}

	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2;
	line[len++] = '\n';
	while (write(logger.fd, line, len) < 0 && errno == EINTR)
		;
}

const char *ar_log_q(char *buf, size_t size, const char *value)
{
	size_t o = 0;
	int quote = 0;
	const char *p;

	if (!size)
		return buf;
	if (!value) {
		snprintf(buf, size, "-");
		return buf;
	}
	if (!*value)
		quote = 1;
	for (p = value; *p && !quote; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= 0x20 || c == '"' || c == '=' || c == '\\' || c == 0x7f)
			quote = 1;
	}
	if (!quote) {
		snprintf(buf, size, "%s", value);
		return buf;
	}

	if (size < 3) {
		buf[0] = '\0';
		return buf;
	}
	buf[o++] = '"';
	for (p = value; *p && o + 3 < size; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			buf[o++] = '?';
		} else {
			buf[o++] = (char)c;
		}
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}
