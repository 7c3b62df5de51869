/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file parse.h
 * @brief The console's parsers of request header values a browser (or
 *	  anyone) sends: the session cookie, the event stream's Last-Event-ID.
 *	  Pure functions, fuzzed by fuzz/fuzz_console.c.
 */
#ifndef AR_CONSOLE_PARSE_H
#define AR_CONSOLE_PARSE_H

#include <stddef.h>

/**
 * The value of cookie @p name in a Cookie header ("a=1; name=v; b=2"):
 * copied into @p out when shorter than @p size, else "" (as when absent or
 * @p header is NULL).
 * @return the length copied, or 0.
 */
size_t console_cookie_value(const char *header, const char *name, char *out, size_t size);

/**
 * A stream entry id "<ms>-<seq>" (1 to 20 digits each, nothing else) into
 * @p out, or "" when @p v is NULL or anything else.
 * @return 1 when an id was copied, 0 when not.
 */
int console_event_id_parse(const char *v, char *out, size_t size);

#endif
