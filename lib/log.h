/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file log.h
 * @brief One greppable key=value line per event, for every daemon.
 *
 * A line looks like
 * @code
 * ts=2026-11-23T08:31:18.123Z level=info prog=acme-rats-ca event=order.created order=Hk3... ids=2
 * @endcode
 * The caller writes `event=...` followed by its own key=value pairs through a
 * printf-style format; the logger prepends timestamp, level and program name,
 * replaces control characters so one call always yields exactly one line, and
 * emits the line with a single write(2) (safe across threads and processes
 * sharing a descriptor). Quote values that may hold spaces with ar_log_q().
 * Never pass secrets (keys, tokens, HMACs, full nonces) to the logger.
 */
#ifndef AR_LOG_H
#define AR_LOG_H

#include <stddef.h>

typedef enum ar_log_level {
	AR_LOG_DEBUG = 0,
	AR_LOG_INFO,
	AR_LOG_WARN,
	AR_LOG_ERROR,
} ar_log_level_t;

/** Receives each finished line (without the trailing newline). */
typedef void (*ar_log_sink_t)(void *ctx, ar_log_level_t level, const char *line);

/**
 * Configure the process logger. Call once at start-up, before threads.
 *
 * @param prog	program name for the `prog=` field (copied).
 * @param min	lines below this level are dropped.
 * @param fd	descriptor lines go to (2 for stderr) when no sink is set.
 */
void ar_log_setup(const char *prog, ar_log_level_t min, int fd);

/** Route lines to @p sink instead of the descriptor (NULL restores it). */
void ar_log_set_sink(ar_log_sink_t sink, void *ctx);

/** Parse "debug", "info", "warn"/"warning", "error". Returns -1 if unknown. */
int ar_log_level_parse(const char *s, ar_log_level_t *out);

/** True if a line at @p level would be emitted. */
int ar_log_enabled(ar_log_level_t level);

/** Emit one line. @p fmt should start with "event=<name>". */
void ar_log(ar_log_level_t level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/**
 * Render @p value for a key=value line: as is when it has no space, quote,
 * equals sign or control character, else in double quotes with `"` and `\`
 * escaped. NULL renders as `-`. The result is truncated to fit @p size.
 *
 * @return @p buf.
 */
const char *ar_log_q(char *buf, size_t size, const char *value);

#define ar_debug(...)	do { if (ar_log_enabled(AR_LOG_DEBUG)) ar_log(AR_LOG_DEBUG, __VA_ARGS__); } while (0)
#define ar_info(...)	ar_log(AR_LOG_INFO, __VA_ARGS__)
#define ar_warn(...)	ar_log(AR_LOG_WARN, __VA_ARGS__)
#define ar_error(...)	ar_log(AR_LOG_ERROR, __VA_ARGS__)

#endif
