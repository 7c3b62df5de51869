/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file event_syslog.h
 * @brief One event of the stream as one RFC 5424 syslog message, its MSG a
 *	  JSON object or a CEF record (docs/events.md describes every field).
 *
 * @code
 * <132>1 2026-12-07T15:09:32.123Z radius-1 acme-rats 4711 soc_flag - {"schema":...}
 * @endcode
 * The header's TIMESTAMP is the stream entry's time (its id's milliseconds),
 * HOSTNAME the writer's host, APP-NAME and PROCID the writer's, MSGID the
 * event type; STRUCTURED-DATA is the NILVALUE. Every field is copied from
 * the stream entry and nothing else: the stream holds no secrets, so
 * neither does the line.
 */
#ifndef AR_EVENT_SYSLOG_H
#define AR_EVENT_SYSLOG_H

#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "store.h"

/** The MSG part. */
typedef enum ar_syslog_format {
	AR_SYSLOG_JSON = 0,		/**< one JSON object (the default) */
	AR_SYSLOG_CEF,			/**< ArcSight Common Event Format, version 0 */
} ar_syslog_format_t;

/** Longest message written (RFC 5424 receivers must take 480 bytes, most take 8k). */
#define AR_SYSLOG_LINE_MAX	4096

typedef struct ar_syslog_opts {
	int			facility;	/**< 0..23, e.g. 16 for local0 */
	const char		*hostname;	/**< "" or NULL: "-" */
	const char		*app_name;	/**< NULL: "acme-rats" */
	long			procid;		/**< <= 0: "-" */
	ar_syslog_format_t	format;
	const char		*version;	/**< product version in the CEF header */
} ar_syslog_opts_t;

/** Facility number of a name ("local0".."local7", "daemon", "auth", "authpriv", "user"), or -1. */
int ar_syslog_facility(const char *name);

/** Severity (RFC 5424, 0..7) of an event: from its status. */
int ar_syslog_severity(const ar_store_event_t *ev);

/**
 * Format @p ev into @p out (appended; at most AR_SYSLOG_LINE_MAX bytes,
 * longer free-text fields are cut), without a trailing newline.
 *
 * @return 0, or -1 (AR_ERR_NOMEM, AR_ERR_TOO_LARGE).
 */
int ar_event_syslog(const ar_syslog_opts_t *o, const ar_store_event_t *ev, ar_buf_t *out,
		    ar_err_t *err);

#endif
