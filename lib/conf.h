/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file conf.h
 * @brief Configuration files of every daemon: an INI-like reader and
 *	  declarative binding of sections to C structures.
 *
 * The format:
 * @code
 * # comment, or ; comment
 * log_level = info                 # root key, before any section
 *
 * [server]
 * listen  = 0.0.0.0
 * port    = 8443
 * timeout = 10s                    ; durations: 500ms 30s 5m 8h 1d
 *
 * [profile "substation"]
 * banner  = "  kept spaces, a # and a \"quote\"\n"
 * @endcode
 *
 * - `key = value`; keys match `[a-z0-9_.-]+`; whitespace around `=` and at
 *   both ends of a line is dropped.
 * - An unquoted value ends at a `#` or `;` that starts the value or follows
 *   whitespace (so `url = https://h/#frag` keeps its fragment). A value in
 *   double quotes keeps everything; inside it `\"`, `\\`, `\n` and `\t` are
 *   the only escapes.
 * - `[type]` and `[type "name"]` open a section (type as a key; name quoted
 *   like a value, not empty). Keys before the first header belong to the
 *   root section, whose type is "".
 * - A key twice in one section, or a section (same type and name) twice, is
 *   an error. Lines may end in CRLF; a leading UTF-8 byte order mark is
 *   skipped.
 *
 * Every error names the file and line: `ca.conf:12: duplicate key 'listen'
 * in [server], first at line 4`. Input is bounded by the AR_CONF_MAX_*
 * limits below (AR_ERR_TOO_LARGE beyond them).
 *
 * A parsed ::ar_conf_t is immutable; all strings it returns live until
 * ar_conf_free(). It may be read from several threads at once.
 */
#ifndef AR_CONF_H
#define AR_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/** Largest configuration text accepted, in bytes. */
#define AR_CONF_MAX_FILE	(1024 * 1024)
/** Longest line accepted, in bytes, without its line ending. */
#define AR_CONF_MAX_LINE	4096
/** Most `key = value` lines in one file. */
#define AR_CONF_MAX_KEYS	4096
/** Most section headers in one file (the root section not counted). */
#define AR_CONF_MAX_SECTIONS	1024

/** A parsed configuration file. */
typedef struct ar_conf ar_conf_t;

/** One section of an ::ar_conf_t: the root, `[type]` or `[type "name"]`. */
typedef struct ar_conf_section ar_conf_section_t;

/**
 * Read and parse a configuration file.
 *
 * @param path	file to read; it must be a regular file (a directory, FIFO or
 *		device is refused without being opened for reading). @p path
 *		is the file name in every later error message.
 * @return a new configuration (free with ar_conf_free()), or NULL with
 *	   AR_ERR_IO (missing, unreadable, not a regular file),
 *	   AR_ERR_TOO_LARGE, AR_ERR_CONFIG (syntax) or AR_ERR_NOMEM.
 */
ar_conf_t *ar_conf_load(const char *path, ar_err_t *err);

/**
 * Parse configuration text held in memory.
 *
 * @param text	@p len bytes, not necessarily NUL-terminated; not retained.
 * @param name	file name for error messages (copied); NULL gives "config".
 * @return a new configuration (free with ar_conf_free()), or NULL with
 *	   AR_ERR_CONFIG (syntax, NUL byte, duplicates), AR_ERR_TOO_LARGE
 *	   (text, a line, the number of keys or of sections above its limit)
 *	   or AR_ERR_NOMEM.
 */
ar_conf_t *ar_conf_parse(const char *text, size_t len, const char *name, ar_err_t *err);

/** Free @p conf and every string it handed out. NULL is a no-op. */
void ar_conf_free(ar_conf_t *conf);

/** File name given to ar_conf_load() or ar_conf_parse(). */
const char *ar_conf_name(const ar_conf_t *conf);

/** The root section (keys before the first header); never NULL. */
const ar_conf_section_t *ar_conf_root(const ar_conf_t *conf);

/**
 * Find a section.
 *
 * @param type	section type; "" with @p name NULL finds the root.
 * @param name	section name, or NULL for the section without a name
 *		(`[redis]` is found by ("redis", NULL), not by any name).
 * @return the section, or NULL if the file has none such.
 */
const ar_conf_section_t *ar_conf_find(const ar_conf_t *conf, const char *type,
				      const char *name);

/**
 * Iterate bracketed sections in file order. The root section is never
 * returned; use ar_conf_root() for it.
 *
 * @param prev	section returned by the previous call, or NULL to start.
 * @param type	only sections of this type, or NULL for every section.
 * @return the next matching section after @p prev, or NULL at the end.
 */
const ar_conf_section_t *ar_conf_next(const ar_conf_t *conf, const ar_conf_section_t *prev,
				      const char *type);

/** Type of @p s ("profile" for `[profile "x"]`; "" for the root). */
const char *ar_conf_section_type(const ar_conf_section_t *s);

/** Name of @p s ("x" for `[profile "x"]`), or NULL if it has none. */
const char *ar_conf_section_name(const ar_conf_section_t *s);

/** Value of @p key in @p s (unquoted, unescaped), or NULL if absent. */
const char *ar_conf_get(const ar_conf_section_t *s, const char *key);

/**
 * The @p i-th key of @p s in file order, for sections whose keys are data
 * (a table of names) rather than options.
 *
 * @param[out] key	key text (may be NULL).
 * @param[out] value	value text (may be NULL).
 * @return 0, or -1 when @p i is past the last key.
 */
int ar_conf_item(const ar_conf_section_t *s, size_t i, const char **key, const char **value);

/**
 * Line number of @p key in @p s, or of the section header when @p key is
 * NULL. 0 when the key is absent, and for the root section's header.
 */
unsigned ar_conf_line(const ar_conf_section_t *s, const char *key);

/**
 * Record an AR_ERR_CONFIG error about @p key of @p s (or about the section
 * itself when @p key is NULL), prefixed with "file:line: " like the errors
 * of the reader, so checks done by a daemon after binding read the same.
 *
 * @return always -1.
 */
int ar_conf_error(const ar_conf_section_t *s, const char *key, ar_err_t *err,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/** Value types of ::ar_conf_rule_t, with the C type each stores. */
typedef enum ar_conf_type {
	AR_CONF_STRING,		/**< `char *`, strdup'd; freed by ar_conf_unbind() */
	AR_CONF_INT,		/**< `int64_t`, decimal, optional sign */
	AR_CONF_BOOL,		/**< `int` 0 or 1, see ar_conf_parse_bool() */
	AR_CONF_DURATION,	/**< `int64_t` milliseconds, see ar_conf_parse_duration() */
	AR_CONF_SIZE,		/**< `int64_t` bytes, see ar_conf_parse_size() */
	AR_CONF_ENUM,		/**< `int` index into ar_conf_rule::choices */
} ar_conf_type_t;

#define AR_CONF_REQUIRED	0x1	/**< a missing key (and no default) is an error */
#define AR_CONF_SECRET		0x2	/**< the value never appears in error messages */

/** One option of a section, bound to the field at @p offset of a structure. */
typedef struct ar_conf_rule {
	const char		*key;		/**< key in the file; NULL ends a table */
	ar_conf_type_t		type;		/**< how the value is parsed and stored */
	size_t			offset;		/**< offsetof() the destination field */
	unsigned		flags;		/**< AR_CONF_REQUIRED, AR_CONF_SECRET */
	const char		*dflt;		/**< default, parsed like a file value; NULL = none */
	int64_t			min, max;	/**< INT/DURATION/SIZE bounds, checked when min < max */
	const char *const	*choices;	/**< ENUM: NULL-terminated, matched exactly */
} ar_conf_rule_t;

/** Terminator of an ::ar_conf_rule_t table. */
#define AR_CONF_END { NULL, 0, 0, 0, NULL, 0, 0, NULL }

/**
 * Parse the keys of @p s into the structure at @p base, one rule per key.
 *
 * First every key of @p s must be named by a rule (else "unknown key", so a
 * typo fails at start-up). Then, in table order, each rule takes the value
 * from the file, else its default; a key with neither is an error if
 * AR_CONF_REQUIRED and otherwise leaves its field untouched. DURATION and
 * SIZE bounds are in milliseconds and bytes.
 *
 * STRING fields must hold NULL or a string from an earlier bind: a new
 * value frees the old one, which makes re-binding on reload leak-free.
 *
 * @param s	section to read; NULL stands for an absent section, so only
 *		defaults apply.
 * @param rules	table ended by AR_CONF_END.
 * @return 0, or -1 with AR_ERR_CONFIG ("file:line: ..." naming the key;
 *	   values of AR_CONF_SECRET rules are never quoted) or AR_ERR_NOMEM.
 *	   On failure every STRING field of @p rules is freed and set to NULL
 *	   (as by ar_conf_unbind()); other fields may have been written.
 */
int ar_conf_bind(const ar_conf_section_t *s, const ar_conf_rule_t *rules, void *base,
		 ar_err_t *err);

/** Free the STRING fields of @p rules at @p base and set them to NULL. */
void ar_conf_unbind(const ar_conf_rule_t *rules, void *base);

/**
 * Parse a duration: digits and an optional unit `ms`, `s`, `m`, `h` or `d`
 * (lower case); no unit means seconds. "500ms", "30s", "5m", "8h", "1d", "0".
 *
 * @return 0 with the duration in milliseconds, or -1 on an empty string,
 *	   a sign, space, fraction, unknown unit or overflow of int64_t.
 */
int ar_conf_parse_duration(const char *s, int64_t *ms);

/**
 * Parse a size: digits and an optional binary multiple `k`, `m`, `g` or `t`
 * (either case): "512", "64k", "1M", "1G".
 *
 * @return 0 with the size in bytes, or -1 on an empty string, a sign,
 *	   space, fraction, unknown suffix or overflow of int64_t.
 */
int ar_conf_parse_size(const char *s, int64_t *bytes);

/**
 * Parse a boolean: yes/no, true/false, on/off, 1/0, in any case.
 *
 * @return 0 with 1 or 0 in @p out, or -1 on anything else.
 */
int ar_conf_parse_bool(const char *s, int *out);

#endif
