/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Configuration files: one pass over a private copy of the text, which is
 * cut in place into NUL-terminated keys, values and section names (quoted
 * text only ever shrinks when unescaped), so a parsed file costs three
 * allocations besides its copy and lookups never allocate.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "conf.h"
#include "fileio.h"

typedef struct conf_pair {
	const char	*key;
	const char	*value;
	unsigned	line;
	uint32_t	hash;		/* of the key: most mismatches cost no strcmp */
} conf_pair_t;

struct ar_conf_section {
	const ar_conf_t	*conf;		/* for file name and keys */
	const char	*type;		/* "" for the root */
	const char	*name;		/* NULL if unnamed */
	unsigned	line;		/* of the header; 0 for the root */
	size_t		first;		/* keys are conf->pairs[first .. first + count) */
	size_t		count;
};

struct ar_conf {
	char			*name;		/* file name for messages */
	char			*text;		/* the file, cut into strings */
	ar_conf_section_t	*sections;	/* [0] is the root, then file order */
	size_t			nsections;
	size_t			sections_cap;
	conf_pair_t		*pairs;		/* file order; a section's keys are contiguous */
	size_t			npairs;
	size_t			pairs_cap;
};

/* One parse in progress: what an error message points at. */
typedef struct parser {
	ar_conf_t	*conf;
	unsigned	line;
	ar_err_t	*err;
} parser_t;

static int is_ws(char c)
{
	return c == ' ' || c == '\t';
}

static int is_key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
	       c == '-';
}

static char *skip_ws(char *s)
{
	while (is_ws(*s))
		s++;
	return s;
}

static size_t key_span(const char *s)
{
	size_t n = 0;

	while (is_key_char(s[n]))
		n++;
	return n;
}

/* FNV-1a: keys are short, and this only spares strcmp calls. */
static uint32_t key_hash(const char *key)
{
	uint32_t h = 2166136261u;

	while (*key)
		h = (h ^ (unsigned char)*key++) * 16777619u;
	return h;
}

/* Record "file:line: message" (just "file: " for line 0, nothing without a file). */
__attribute__((format(printf, 5, 0)))
static int conf_verr(const char *file, unsigned line, ar_err_t *err, ar_errc_t code,
		     const char *fmt, va_list ap)
{
	char msg[sizeof(err->msg)];

	if (!err)
		return -1;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (file && line)
		return ar_err_set(err, code, "%s:%u: %s", file, line, msg);
	if (file)
		return ar_err_set(err, code, "%s: %s", file, msg);
	return ar_err_set(err, code, "%s", msg);
}

__attribute__((format(printf, 3, 4)))
static int perr(parser_t *p, ar_errc_t code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_verr(p->conf->name, p->line, p->err, code, fmt, ap);
	va_end(ap);
	return -1;
}

__attribute__((format(printf, 4, 5)))
static int section_err(const ar_conf_section_t *s, unsigned line, ar_err_t *err,
		       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_verr(s ? s->conf->name : NULL, line, err, AR_ERR_CONFIG, fmt, ap);
	va_end(ap);
	return -1;
}

/* "[type]" or "[type "name"]" as written in the file. */
static const char *section_label(const ar_conf_section_t *s, char *buf, size_t size)
{
	if (s->name)
		snprintf(buf, size, "[%.64s \"%.64s\"]", s->type, s->name);
	else
		snprintf(buf, size, "[%.64s]", s->type);
	return buf;
}

/* Where a key lives, for messages: "in [server]", "at top level". */
static const char *key_place(const ar_conf_section_t *s, char *buf, size_t size)
{
	char label[160];

	if (!s)
		snprintf(buf, size, "(section absent from the file)");
	else if (!s->type[0])
		snprintf(buf, size, "at top level");
	else
		snprintf(buf, size, "in %s", section_label(s, label, sizeof(label)));
	return buf;
}

/* ---- Parsing ------------------------------------------------------------ */

static int push_section(parser_t *p, const char *type, const char *name)
{
	ar_conf_t *c = p->conf;
	ar_conf_section_t *grown;
	size_t cap;

	if (c->nsections == c->sections_cap) {
		cap = c->sections_cap ? c->sections_cap * 2 : 8;
		grown = realloc(c->sections, cap * sizeof(*grown));
		if (!grown)
			return perr(p, AR_ERR_NOMEM, "out of memory");
		c->sections = grown;
		c->sections_cap = cap;
	}
	c->sections[c->nsections++] = (ar_conf_section_t){
		.conf = c, .type = type, .name = name, .line = p->line, .first = c->npairs,
	};
	return 0;
}

static int add_section(parser_t *p, const char *type, const char *name)
{
	const ar_conf_section_t *s;
	char label[160];
	size_t i;

	for (i = 1; i < p->conf->nsections; i++) {
		s = &p->conf->sections[i];
		if (strcmp(s->type, type) || (!s->name != !name) ||
		    (name && strcmp(s->name, name)))
			continue;
		return perr(p, AR_ERR_CONFIG, "duplicate section %s, first at line %u",
			    section_label(s, label, sizeof(label)), s->line);
	}
	if (p->conf->nsections > AR_CONF_MAX_SECTIONS)
		return perr(p, AR_ERR_TOO_LARGE, "more than %d sections", AR_CONF_MAX_SECTIONS);
	return push_section(p, type, name);
}

static int add_pair(parser_t *p, const char *key, const char *value)
{
	ar_conf_t *c = p->conf;
	ar_conf_section_t *s = &c->sections[c->nsections - 1];
	uint32_t hash = key_hash(key);
	conf_pair_t *grown;
	char place[180];
	size_t i, cap;

	for (i = s->first; i < s->first + s->count; i++) {
		if (c->pairs[i].hash != hash || strcmp(c->pairs[i].key, key))
			continue;
		return perr(p, AR_ERR_CONFIG, "duplicate key '%.64s' %s, first at line %u", key,
			    key_place(s, place, sizeof(place)), c->pairs[i].line);
	}
	if (c->npairs == AR_CONF_MAX_KEYS)
		return perr(p, AR_ERR_TOO_LARGE, "more than %d keys", AR_CONF_MAX_KEYS);
	if (c->npairs == c->pairs_cap) {
		cap = c->pairs_cap ? c->pairs_cap * 2 : 32;
		grown = realloc(c->pairs, cap * sizeof(*grown));
		if (!grown)
			return perr(p, AR_ERR_NOMEM, "out of memory");
		c->pairs = grown;
		c->pairs_cap = cap;
	}
	c->pairs[c->npairs++] = (conf_pair_t){
		.key = key, .value = value, .line = p->line, .hash = hash,
	};
	s->count++;
	return 0;
}

/*
 * Decode the quoted string that starts at *pp (on its opening quote) in
 * place: the text is written from the quote onwards, which never overtakes
 * the reading position. On success *pp points past the closing quote.
 */
static int unquote(parser_t *p, char **pp, char **out, const char *what)
{
	char *r = *pp + 1, *w = *pp;
	char c;

	while ((c = *r++) != '"') {
		if (c == '\0')
			return perr(p, AR_ERR_CONFIG, "unterminated quoted %s", what);
		if (c == '\\') {
			c = *r++;
			switch (c) {
			case '"':
			case '\\':
				break;
			case 'n':
				c = '\n';
				break;
			case 't':
				c = '\t';
				break;
			case '\0':
				return perr(p, AR_ERR_CONFIG, "unterminated quoted %s", what);
			default:
				if (c > ' ' && c < 0x7f)
					return perr(p, AR_ERR_CONFIG, "invalid escape '\\%c' in "
						    "quoted %s", c, what);
				return perr(p, AR_ERR_CONFIG, "invalid escape in quoted %s", what);
			}
		}
		*w++ = c;
	}
	*w = '\0';
	*out = *pp;
	*pp = r;
	return 0;
}

/* Only whitespace or a comment may follow a quoted value or a header. */
static int at_line_end(char *s)
{
	s = skip_ws(s);
	return *s == '\0' || *s == '#' || *s == ';';
}

/* "[type]" or "[type "name"]"; @s is on the '['. */
static int parse_header(parser_t *p, char *s)
{
	char *type, *name = NULL;
	size_t tlen;

	s = skip_ws(s + 1);
	type = s;
	tlen = key_span(s);
	if (tlen == 0)
		return perr(p, AR_ERR_CONFIG, "expected '[type]' or '[type \"name\"]'");
	s += tlen;
	if (is_ws(*s)) {
		s = skip_ws(s);
		if (*s == '"') {
			if (unquote(p, &s, &name, "section name") < 0)
				return -1;
			if (!name[0])
				return perr(p, AR_ERR_CONFIG, "empty section name");
			s = skip_ws(s);
		}
	}
	if (*s != ']')
		return perr(p, AR_ERR_CONFIG, "expected '[type]' or '[type \"name\"]'");
	if (!at_line_end(s + 1))
		return perr(p, AR_ERR_CONFIG, "unexpected text after section header");
	type[tlen] = '\0';	/* whitespace or the ']', both consumed */
	return add_section(p, type, name);
}

/* "key = value"; @s is on the first character of the key. */
static int parse_pair(parser_t *p, char *s)
{
	char *key = s, *value, *end;
	size_t klen;

	klen = key_span(s);
	s = skip_ws(s + klen);
	if (klen == 0 || *s != '=')
		return perr(p, AR_ERR_CONFIG, "expected 'key = value'");
	key[klen] = '\0';	/* whitespace or the '=', both consumed */
	s = skip_ws(s + 1);
	if (*s == '"') {
		if (unquote(p, &s, &value, "value") < 0)
			return -1;
		if (!at_line_end(s))
			return perr(p, AR_ERR_CONFIG, "unexpected text after quoted value");
		return add_pair(p, key, value);
	}
	value = s;
	for (end = s; *end; end++)
		if ((*end == '#' || *end == ';') && (end == value || is_ws(end[-1])))
			break;
	while (end > value && is_ws(end[-1]))
		end--;
	*end = '\0';
	return add_pair(p, key, value);
}

static int parse_line(parser_t *p, char *s)
{
	s = skip_ws(s);
	if (*s == '\0' || *s == '#' || *s == ';')
		return 0;
	if (*s == '[')
		return parse_header(p, s);
	return parse_pair(p, s);
}

/*
 * Parse @len bytes at @text, which must have room for a NUL at text[len];
 * takes ownership of @text in every case.
 */
static ar_conf_t *parse_text(char *text, size_t len, const char *name, ar_err_t *err)
{
	parser_t p = { .err = err };
	char *line, *end, *stop = text + len;
	size_t n;

	p.conf = calloc(1, sizeof(*p.conf));
	if (!p.conf) {
		free(text);
		ar_err_set(err, AR_ERR_NOMEM, "%s: out of memory", name);
		return NULL;
	}
	p.conf->text = text;
	p.conf->name = strdup(name);
	if (!p.conf->name) {
		ar_err_set(err, AR_ERR_NOMEM, "%s: out of memory", name);
		goto error;
	}
	if (push_section(&p, "", NULL) < 0)
		goto error;

	line = text;
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
		line += 3;
	while (line < stop) {
		p.line++;
		end = memchr(line, '\n', (size_t)(stop - line));
		if (!end)
			end = stop;
		n = (size_t)(end - line);
		if (n && line[n - 1] == '\r')
			n--;
		if (n > AR_CONF_MAX_LINE) {
			perr(&p, AR_ERR_TOO_LARGE, "line longer than %d bytes", AR_CONF_MAX_LINE);
			goto error;
		}
		if (memchr(line, '\0', n)) {
			perr(&p, AR_ERR_CONFIG, "NUL byte in line");
			goto error;
		}
		line[n] = '\0';
		if (parse_line(&p, line) < 0)
			goto error;
		line = end + 1;
	}
	return p.conf;
error:
	ar_conf_free(p.conf);
	return NULL;
}

ar_conf_t *ar_conf_parse(const char *text, size_t len, const char *name, ar_err_t *err)
{
	char *copy;

	if (!name)
		name = "config";
	if (len > AR_CONF_MAX_FILE) {
		ar_err_set(err, AR_ERR_TOO_LARGE, "%s: %zu bytes, limit %d", name, len,
			   AR_CONF_MAX_FILE);
		return NULL;
	}
	copy = malloc(len + 1);
	if (!copy) {
		ar_err_set(err, AR_ERR_NOMEM, "%s: out of memory", name);
		return NULL;
	}
	if (len)
		memcpy(copy, text, len);
	copy[len] = '\0';
	return parse_text(copy, len, name, err);
}

ar_conf_t *ar_conf_load(const char *path, ar_err_t *err)
{
	struct stat st;
	char *text;
	size_t len;

	/* Checked before opening too: opening a FIFO would block. */
	if (stat(path, &st) < 0) {
		ar_err_set(err, AR_ERR_IO, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		ar_err_set(err, AR_ERR_IO, "%s: not a regular file", path);
		return NULL;
	}
	if (ar_file_read(path, AR_CONF_MAX_FILE, &text, &len, err) < 0)
		return NULL;
	return parse_text(text, len, path, err);
}

void ar_conf_free(ar_conf_t *conf)
{
	if (!conf)
		return;
	free(conf->pairs);
	free(conf->sections);
	free(conf->text);
	free(conf->name);
	free(conf);
}

/* ---- Lookup ------------------------------------------------------------- */

const char *ar_conf_name(const ar_conf_t *conf)
{
	return conf ? conf->name : NULL;
}

const ar_conf_section_t *ar_conf_root(const ar_conf_t *conf)
{
	return conf ? &conf->sections[0] : NULL;
}

const ar_conf_section_t *ar_conf_find(const ar_conf_t *conf, const char *type,
				      const char *name)
{
	const ar_conf_section_t *s;
	size_t i;

	if (!conf || !type)
		return NULL;
	for (i = 0; i < conf->nsections; i++) {
		s = &conf->sections[i];
		if (!strcmp(s->type, type) && !s->name == !name && (!name || !strcmp(s->name, name)))
			return s;
	}
	return NULL;
}

const ar_conf_section_t *ar_conf_next(const ar_conf_t *conf, const ar_conf_section_t *prev,
				      const char *type)
{
	size_t i = 1;

	if (!conf)
		return NULL;
	if (prev) {
		if (prev->conf != conf)
			return NULL;
		i = (size_t)(prev - conf->sections) + 1;
	}
	for (; i < conf->nsections; i++)
		if (!type || !strcmp(conf->sections[i].type, type))
			return &conf->sections[i];
	return NULL;
}

const char *ar_conf_section_type(const ar_conf_section_t *s)
{
	return s ? s->type : NULL;
}

const char *ar_conf_section_name(const ar_conf_section_t *s)
{
	return s ? s->name : NULL;
}

static const conf_pair_t *find_pair(const ar_conf_section_t *s, const char *key)
{
	const conf_pair_t *pair;
	uint32_t hash;
	size_t i;

	if (!s || !key)
		return NULL;
	hash = key_hash(key);
	for (i = 0; i < s->count; i++) {
		pair = &s->conf->pairs[s->first + i];
		if (pair->hash == hash && !strcmp(pair->key, key))
			return pair;
	}
	return NULL;
}

const char *ar_conf_get(const ar_conf_section_t *s, const char *key)
{
	const conf_pair_t *pair = find_pair(s, key);

	return pair ? pair->value : NULL;
}

int ar_conf_item(const ar_conf_section_t *s, size_t i, const char **key, const char **value)
{
	const conf_pair_t *pair;

	if (!s || i >= s->count)
		return -1;
	pair = &s->conf->pairs[s->first + i];
	if (key)
		*key = pair->key;
	if (value)
		*value = pair->value;
	return 0;
}

unsigned ar_conf_line(const ar_conf_section_t *s, const char *key)
{
	const conf_pair_t *pair;

	if (!s)
		return 0;
	if (!key)
		return s->line;
	pair = find_pair(s, key);
	return pair ? pair->line : 0;
}

int ar_conf_error(const ar_conf_section_t *s, const char *key, ar_err_t *err,
		  const char *fmt, ...)
{
	unsigned line = ar_conf_line(s, key);
	va_list ap;

	if (!line)
		line = ar_conf_line(s, NULL);
	va_start(ap, fmt);
	conf_verr(s ? s->conf->name : NULL, line, err, AR_ERR_CONFIG, fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- Values ------------------------------------------------------------- */

/* Leading digits of @s (no sign, no space) and what follows them. */
static int parse_count(const char *s, int64_t *n, const char **rest)
{
	long long v;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno)
		return -1;
	*n = v;
	*rest = end;
	return 0;
}

static int parse_int(const char *s, int64_t *out)
{
	long long v;
	char *end;

	if (!((*s >= '0' && *s <= '9') || *s == '-' || *s == '+'))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end)
		return -1;
	*out = v;
	return 0;
}

int ar_conf_parse_duration(const char *s, int64_t *ms)
{
	static const struct {
		const char	*unit;
		int64_t		ms;
	} units[] = {
		{ "", 1000 }, { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
		{ "d", 86400000 },
	};
	const char *unit;
	int64_t n;
	size_t i;

	if (parse_count(s, &n, &unit) < 0)
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(unit, units[i].unit))
			continue;
		if (n > INT64_MAX / units[i].ms)
			return -1;
		*ms = n * units[i].ms;
		return 0;
	}
	return -1;
}

int ar_conf_parse_size(const char *s, int64_t *bytes)
{
	const char *suffix;
	unsigned shift;
	int64_t n;

	if (parse_count(s, &n, &suffix) < 0)
		return -1;
	switch (suffix[0]) {
	case '\0':		shift = 0; break;
	case 'k': case 'K':	shift = 10; break;
	case 'm': case 'M':	shift = 20; break;
	case 'g': case 'G':	shift = 30; break;
	case 't': case 'T':	shift = 40; break;
	default:		return -1;
	}
	if (suffix[0] && suffix[1])
		return -1;
	if (n > (INT64_MAX >> shift))
		return -1;
	*bytes = n << shift;
	return 0;
}

int ar_conf_parse_bool(const char *s, int *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	if (!s)
		return -1;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = 1;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

/* ---- Binding ------------------------------------------------------------ */

/* "one of a, b, c" for an ENUM rule's error message. */
static const char *enum_choices(const ar_conf_rule_t *r, char *buf, size_t size)
{
	size_t off;
	int n, i;

	n = snprintf(buf, size, "one of");
	off = n > 0 ? (size_t)n : 0;
	for (i = 0; r->choices && r->choices[i] && off < size; i++) {
		n = snprintf(buf + off, size - off, "%s %s", i ? "," : "", r->choices[i]);
		if (n < 0)
			break;
		off += (size_t)n;
	}
	return buf;
}

/* The value @text of rule @r is not what @expect says. */
static int bad_value(const ar_conf_section_t *s, const ar_conf_rule_t *r, unsigned line,
		     const char *text, const char *expect, ar_err_t *err)
{
	char shown[80] = "", place[180];

	if (!(r->flags & AR_CONF_SECRET))
		snprintf(shown, sizeof(shown), " '%.64s'", text);
	return section_err(s, line, err, "invalid %s%s for '%s' %s: expected %s",
			   line ? "value" : "default", shown, r->key,
			   key_place(s, place, sizeof(place)), expect);
}

static int out_of_range(const ar_conf_section_t *s, const ar_conf_rule_t *r, unsigned line,
			const char *text, ar_err_t *err)
{
	char shown[80] = "", place[180];
	const char *unit = r->type == AR_CONF_DURATION ? " ms" :
			   r->type == AR_CONF_SIZE ? " bytes" : "";

	if (!(r->flags & AR_CONF_SECRET))
		snprintf(shown, sizeof(shown), " '%.64s'", text);
	return section_err(s, line, err, "%s%s for '%s' %s is outside %lld..%lld%s",
			   line ? "value" : "default", shown, r->key,
			   key_place(s, place, sizeof(place)), (long long)r->min,
			   (long long)r->max, unit);
}

static int bind_rule(const ar_conf_section_t *s, const ar_conf_rule_t *r, void *base,
		     ar_err_t *err)
{
	const conf_pair_t *pair = find_pair(s, r->key);
	const char *text = pair ? pair->value : r->dflt;
	unsigned line = pair ? pair->line : 0;
	char *field = (char *)base + r->offset;
	char place[180], expect[128];
	int64_t n;
	char *dup;
	int i;

	if (!text) {
		if (!(r->flags & AR_CONF_REQUIRED))
			return 0;
		return section_err(s, s ? s->line : 0, err, "missing required key '%s' %s",
				   r->key, key_place(s, place, sizeof(place)));
	}
	switch (r->type) {
	case AR_CONF_STRING:
		dup = strdup(text);
		if (!dup)
			return ar_err_set(err, AR_ERR_NOMEM, "out of memory");
		free(*(char **)(void *)field);
		*(char **)(void *)field = dup;
		return 0;
	case AR_CONF_BOOL:
		if (ar_conf_parse_bool(text, &i) < 0)
			return bad_value(s, r, line, text, "yes or no", err);
		*(int *)(void *)field = i;
		return 0;
	case AR_CONF_ENUM:
		for (i = 0; r->choices && r->choices[i]; i++) {
			if (!strcmp(text, r->choices[i])) {
				*(int *)(void *)field = i;
				return 0;
			}
		}
		return bad_value(s, r, line, text, enum_choices(r, expect, sizeof(expect)), err);
	case AR_CONF_INT:
		if (parse_int(text, &n) < 0)
			return bad_value(s, r, line, text, "a decimal integer", err);
		break;
	case AR_CONF_DURATION:
		if (ar_conf_parse_duration(text, &n) < 0)
			return bad_value(s, r, line, text,
					 "a duration such as 500ms, 30s, 5m, 8h or 1d", err);
		break;
	case AR_CONF_SIZE:
		if (ar_conf_parse_size(text, &n) < 0)
			return bad_value(s, r, line, text, "a size such as 512, 64k, 1M or 1G", err);
		break;
	default:
		return section_err(s, 0, err, "rule for '%s' has unknown type %d", r->key,
				   (int)r->type);
	}
	if (r->min < r->max && (n < r->min || n > r->max))
		return out_of_range(s, r, line, text, err);
	*(int64_t *)(void *)field = n;
	return 0;
}

int ar_conf_bind(const ar_conf_section_t *s, const ar_conf_rule_t *rules, void *base,
		 ar_err_t *err)
{
	const ar_conf_rule_t *r;
	const conf_pair_t *pair;
	char place[180];
	size_t i;

	for (i = 0; s && i < s->count; i++) {
		pair = &s->conf->pairs[s->first + i];
		for (r = rules; r->key && strcmp(r->key, pair->key); r++)
			;
		if (!r->key) {
			section_err(s, pair->line, err, "unknown key '%.64s' %s", pair->key,
				    key_place(s, place, sizeof(place)));
			goto error;
		}
	}
	for (r = rules; r->key; r++)
		if (bind_rule(s, r, base, err) < 0)
			goto error;
	return 0;
error:
	ar_conf_unbind(rules, base);
	return -1;
}

void ar_conf_unbind(const ar_conf_rule_t *rules, void *base)
{
	const ar_conf_rule_t *r;
	char **field;

	if (!rules || !base)
		return;
	for (r = rules; r->key; r++) {
		if (r->type != AR_CONF_STRING)
			continue;
		field = (char **)(void *)((char *)base + r->offset);
		free(*field);
		*field = NULL;
	}
}
