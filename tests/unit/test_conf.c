/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the configuration-file reader and its binding. */
#include "config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "conf.h"

/* Parse NUL-terminated @text as "t.conf"; the test fails if it does not parse. */
static ar_conf_t *parse_ok(const char *text)
{
	ar_err_t err = { 0 };
	ar_conf_t *conf = ar_conf_parse(text, strlen(text), "t.conf", &err);

	if (!conf)
		fail_msg("parse failed: %s", err.msg);
	return conf;
}

/* Parse @len bytes that must fail with @code and a message containing @needle. */
static void parse_fails_len(const char *text, size_t len, ar_errc_t code, const char *needle)
{
	ar_err_t err = { 0 };
	ar_conf_t *conf = ar_conf_parse(text, len, "t.conf", &err);

	if (conf) {
		ar_conf_free(conf);
		fail_msg("parsed, expected \"%s\"", needle);
	}
	assert_err(&err, code, needle);
}

static void parse_fails(const char *text, ar_errc_t code, const char *needle)
{
	parse_fails_len(text, strlen(text), code, needle);
}

/* Text of @count lines "<before><i><after>" (caller frees). */
static char *many_lines(const char *before, const char *after, unsigned count)
{
	size_t cap = (size_t)count * 48 + 1, off = 0;
	char *buf = malloc(cap);
	unsigned i;
	int n;

	assert_non_null(buf);
	buf[0] = '\0';
	for (i = 0; i < count; i++) {
		n = snprintf(buf + off, cap - off, "%s%u%s", before, i, after);
		assert_true(n > 0 && (size_t)n < cap - off);
		off += (size_t)n;
	}
	return buf;
}

/* A temporary path under $TMPDIR (or /tmp) for @tmpl "name.XXXXXX". */
static void temp_path(char *buf, size_t size, const char *tmpl)
{
	const char *dir = getenv("TMPDIR");

	if (!dir || !dir[0])
		dir = "/tmp";
	assert_true(snprintf(buf, size, "%s/%s", dir, tmpl) < (int)size);
}

/* ---- Syntax ------------------------------------------------------------- */

static void test_conf_reads_root_keys_and_sections(void **state)
{
	ar_conf_t *conf = parse_ok("log_level = info\n"
				   "pid.file=/run/x.pid\n"
				   "[server]\n"
				   "listen = 0.0.0.0\n"
				   "port = 8443\n"
				   "[redis]\n"
				   "port = 6379\n");
	const ar_conf_section_t *root = ar_conf_root(conf), *server, *redis;

	(void)state;
	assert_non_null(root);
	assert_string_equal(ar_conf_section_type(root), "");
	assert_null(ar_conf_section_name(root));
	assert_string_equal(ar_conf_get(root, "log_level"), "info");
	assert_string_equal(ar_conf_get(root, "pid.file"), "/run/x.pid");
	assert_null(ar_conf_get(root, "listen"));

	server = ar_conf_find(conf, "server", NULL);
	redis = ar_conf_find(conf, "redis", NULL);
	assert_non_null(server);
	assert_non_null(redis);
	assert_string_equal(ar_conf_get(server, "listen"), "0.0.0.0");
	assert_string_equal(ar_conf_get(server, "port"), "8443");
	assert_string_equal(ar_conf_get(redis, "port"), "6379");
	assert_null(ar_conf_get(redis, "listen"));
	assert_ptr_equal(ar_conf_find(conf, "", NULL), root);
	assert_null(ar_conf_find(conf, "nas", NULL));
	assert_int_equal(ar_conf_line(server, NULL), 3);
	assert_int_equal(ar_conf_line(server, "port"), 5);
	assert_int_equal(ar_conf_line(server, "absent"), 0);
	assert_string_equal(ar_conf_name(conf), "t.conf");
	ar_conf_free(conf);
}

static void test_conf_named_and_unnamed_sections_are_distinct(void **state)
{
	ar_conf_t *conf = parse_ok("[profile]\n"
				   "a = unnamed\n"
				   "[profile \"substation\"]\n"
				   "a = named\n"
				   "[ nas   \"ap 1\" ]\n"
				   "a = spaced\n");
	const ar_conf_section_t *s;

	(void)state;
	s = ar_conf_find(conf, "profile", NULL);
	assert_non_null(s);
	assert_null(ar_conf_section_name(s));
	assert_string_equal(ar_conf_get(s, "a"), "unnamed");
	s = ar_conf_find(conf, "profile", "substation");
	assert_non_null(s);
	assert_string_equal(ar_conf_section_type(s), "profile");
	assert_string_equal(ar_conf_section_name(s), "substation");
	assert_string_equal(ar_conf_get(s, "a"), "named");
	s = ar_conf_find(conf, "nas", "ap 1");
	assert_non_null(s);
	assert_string_equal(ar_conf_get(s, "a"), "spaced");
	assert_null(ar_conf_find(conf, "nas", NULL));
	assert_null(ar_conf_find(conf, "profile", "other"));
	ar_conf_free(conf);
}

static void test_conf_quoted_values_keep_spaces_comment_chars_and_escapes(void **state)
{
	ar_conf_t *conf = parse_ok("banner = \"  two spaces # not a comment ; nor this  \"\n"
				   "esc = \"q\\\"b\\\\n\\nt\\t.\"   # trailing comment\n"
				   "empty = \"\"\n"
				   "bare =\n"
				   "inner = a \"b\" c\n"
				   "[nas \"a]b \\\"c\\\"\"] ; comment\n"
				   "k = v\n");
	const ar_conf_section_t *root = ar_conf_root(conf), *s;

	(void)state;
	assert_string_equal(ar_conf_get(root, "banner"), "  two spaces # not a comment ; nor this  ");
	assert_string_equal(ar_conf_get(root, "esc"), "q\"b\\n\nt\t.");
	assert_string_equal(ar_conf_get(root, "empty"), "");
	assert_string_equal(ar_conf_get(root, "bare"), "");
	assert_string_equal(ar_conf_get(root, "inner"), "a \"b\" c");
	s = ar_conf_find(conf, "nas", "a]b \"c\"");
	assert_non_null(s);
	assert_string_equal(ar_conf_get(s, "k"), "v");
	ar_conf_free(conf);
}

static void test_conf_ignores_comments_and_blank_lines(void **state)
{
	ar_conf_t *conf = parse_ok("# full-line comment\n"
				   "   ; indented comment\n"
				   "\n"
				   "\t \n"
				   "url = https://h.example/acme#frag  # comment\n"
				   "pass = a;b#c\n"
				   "tabbed\t=\tvalue\t; comment\n"
				   "nothing = # only a comment\n"
				   "[log] # section comment\n"
				   "level = debug\n");
	const ar_conf_section_t *root = ar_conf_root(conf);

	(void)state;
	assert_string_equal(ar_conf_get(root, "url"), "https://h.example/acme#frag");
	assert_string_equal(ar_conf_get(root, "pass"), "a;b#c");
	assert_string_equal(ar_conf_get(root, "tabbed"), "value");
	assert_string_equal(ar_conf_get(root, "nothing"), "");
	assert_string_equal(ar_conf_get(ar_conf_find(conf, "log", NULL), "level"), "debug");
	assert_int_equal(ar_conf_line(ar_conf_find(conf, "log", NULL), "level"), 10);
	ar_conf_free(conf);
}

static void test_conf_accepts_crlf_bom_and_missing_final_newline(void **state)
{
	ar_conf_t *conf = parse_ok("\xef\xbb\xbf" "a = 1\r\n[s]\r\nb = \"x \"\r\nc = 3");
	const ar_conf_section_t *s;

	(void)state;
	assert_string_equal(ar_conf_get(ar_conf_root(conf), "a"), "1");
	s = ar_conf_find(conf, "s", NULL);
	assert_non_null(s);
	assert_string_equal(ar_conf_get(s, "b"), "x ");
	assert_string_equal(ar_conf_get(s, "c"), "3");
	assert_int_equal(ar_conf_line(s, "c"), 4);
	ar_conf_free(conf);
}

static void test_conf_empty_text_has_an_empty_root(void **state)
{
	ar_conf_t *conf = parse_ok("");
	const char *key = NULL;

	(void)state;
	assert_non_null(ar_conf_root(conf));
	assert_int_equal(ar_conf_item(ar_conf_root(conf), 0, &key, NULL), -1);
	assert_null(ar_conf_next(conf, NULL, NULL));
	ar_conf_free(conf);
}

static void test_conf_next_iterates_sections_of_a_type_in_file_order(void **state)
{
	ar_conf_t *conf = parse_ok("top = 1\n"
				   "[nas \"ap1\"]\n"
				   "[redis]\n"
				   "[nas \"ap3\"]\n"
				   "[nas]\n"
				   "[nas \"ap2\"]\n");
	const char *want[] = { "ap1", "ap3", NULL, "ap2" };
	const ar_conf_section_t *s;
	size_t n = 0;

	(void)state;
	for (s = ar_conf_next(conf, NULL, "nas"); s; s = ar_conf_next(conf, s, "nas")) {
		assert_true(n < 4);
		assert_string_equal(ar_conf_section_type(s), "nas");
		if (want[n])
			assert_string_equal(ar_conf_section_name(s), want[n]);
		else
			assert_null(ar_conf_section_name(s));
		n++;
	}
	assert_int_equal(n, 4);

	/* Every type, root excluded. */
	n = 0;
	for (s = ar_conf_next(conf, NULL, NULL); s; s = ar_conf_next(conf, s, NULL))
		n++;
	assert_int_equal(n, 5);
	assert_null(ar_conf_next(conf, NULL, "profile"));
	ar_conf_free(conf);
}

static void test_conf_item_walks_keys_in_file_order(void **state)
{
	ar_conf_t *conf = parse_ok("[ref \"fw\"]\nzeta = 1\nalpha = 2\nmid = 3\n[other]\nx = 9\n");
	const ar_conf_section_t *s = ar_conf_find(conf, "ref", "fw");
	const char *want[] = { "zeta", "alpha", "mid" };
	const char *key, *value;
	size_t i;

	(void)state;
	for (i = 0; ar_conf_item(s, i, &key, &value) == 0; i++) {
		assert_true(i < 3);
		assert_string_equal(key, want[i]);
		assert_ptr_equal(ar_conf_get(s, key), value);
	}
	assert_int_equal(i, 3);
	ar_conf_free(conf);
}

/* ---- Syntax errors ------------------------------------------------------ */

static void test_conf_rejects_duplicate_key(void **state)
{
	(void)state;
	parse_fails("[server]\nlisten = a\nport = 1\n\nlisten = b\n", AR_ERR_CONFIG,
		    "t.conf:5: duplicate key 'listen' in [server], first at line 2");
	parse_fails("a = 1\na = 1\n", AR_ERR_CONFIG, "t.conf:2: duplicate key 'a' at top level");
	parse_fails("[nas \"ap1\"]\nk = 1\nk = 2\n", AR_ERR_CONFIG,
		    "t.conf:3: duplicate key 'k' in [nas \"ap1\"]");
}

static void test_conf_same_key_in_different_sections_is_allowed(void **state)
{
	ar_conf_t *conf = parse_ok("port = 1\n[a]\nport = 2\n[a \"x\"]\nport = 3\n");

	(void)state;
	assert_string_equal(ar_conf_get(ar_conf_root(conf), "port"), "1");
	assert_string_equal(ar_conf_get(ar_conf_find(conf, "a", NULL), "port"), "2");
	assert_string_equal(ar_conf_get(ar_conf_find(conf, "a", "x"), "port"), "3");
	ar_conf_free(conf);
}

static void test_conf_rejects_duplicate_section(void **state)
{
	(void)state;
	parse_fails("[redis]\n[server]\n[redis]\n", AR_ERR_CONFIG,
		    "t.conf:3: duplicate section [redis], first at line 1");
	parse_fails("[nas \"ap1\"]\n[nas \"ap2\"]\n\n[nas \"ap1\"]\n", AR_ERR_CONFIG,
		    "t.conf:4: duplicate section [nas \"ap1\"], first at line 1");
}

static void test_conf_rejects_line_without_key_and_equals(void **state)
{
	(void)state;
	parse_fails("a = 1\n\njust words\n", AR_ERR_CONFIG, "t.conf:3: expected 'key = value'");
	parse_fails("Listen = x\n", AR_ERR_CONFIG, "t.conf:1: expected 'key = value'");
	parse_fails("= x\n", AR_ERR_CONFIG, "t.conf:1: expected 'key = value'");
	parse_fails("key value\n", AR_ERR_CONFIG, "t.conf:1: expected 'key = value'");
	parse_fails("k\xc3\xa9y = 1\n", AR_ERR_CONFIG, "t.conf:1: expected 'key = value'");
}

static void test_conf_rejects_unterminated_quote_and_bad_escape(void **state)
{
	(void)state;
	parse_fails("a = 1\nb = \"open\n", AR_ERR_CONFIG, "t.conf:2: unterminated quoted value");
	parse_fails("b = \"ends in backslash\\\"\n", AR_ERR_CONFIG,
		    "t.conf:1: unterminated quoted value");
	parse_fails("b = \"bad \\q escape\"\n", AR_ERR_CONFIG,
		    "t.conf:1: invalid escape '\\q' in quoted value");
	parse_fails("b = \"x\" y\n", AR_ERR_CONFIG, "t.conf:1: unexpected text after quoted value");
	parse_fails("[nas \"ap1]\n", AR_ERR_CONFIG, "t.conf:1: unterminated quoted section name");
}

static void test_conf_rejects_malformed_section_headers(void **state)
{
	(void)state;
	parse_fails("[]\n", AR_ERR_CONFIG, "t.conf:1: expected '[type]'");
	parse_fails("\n[server\n", AR_ERR_CONFIG, "t.conf:2: expected '[type]'");
	parse_fails("[nas ap1]\n", AR_ERR_CONFIG, "t.conf:1: expected '[type]'");
	parse_fails("[nas\"ap1\"]\n", AR_ERR_CONFIG, "t.conf:1: expected '[type]'");
	parse_fails("[Server]\n", AR_ERR_CONFIG, "t.conf:1: expected '[type]'");
	parse_fails("[nas \"\"]\n", AR_ERR_CONFIG, "t.conf:1: empty section name");
	parse_fails("[server] x\n", AR_ERR_CONFIG, "t.conf:1: unexpected text after section header");
}

/* ---- Limits ------------------------------------------------------------- */

static void test_conf_rejects_line_longer_than_limit(void **state)
{
	char *text = malloc(AR_CONF_MAX_LINE + 16);
	ar_conf_t *conf;
	size_t len;

	(void)state;
	assert_non_null(text);
	/* "v = " and padding up to exactly the limit parses... */
	memcpy(text, "k = ", 4);
	memset(text + 4, 'x', AR_CONF_MAX_LINE - 4);
	memcpy(text + AR_CONF_MAX_LINE, "\r\n", 2);
	len = AR_CONF_MAX_LINE + 2;
	conf = ar_conf_parse(text, len, "t.conf", NULL);
	assert_non_null(conf);
	assert_int_equal(strlen(ar_conf_get(ar_conf_root(conf), "k")), AR_CONF_MAX_LINE - 4);
	ar_conf_free(conf);
	/* ...one byte more does not, and the error names the line. */
	memcpy(text, "a = 1\n", 6);
	memset(text + 6, 'x', AR_CONF_MAX_LINE + 1);
	parse_fails_len(text, 6 + AR_CONF_MAX_LINE + 1, AR_ERR_TOO_LARGE,
			"t.conf:2: line longer than 4096 bytes");
	free(text);
}

static void test_conf_rejects_nul_byte(void **state)
{
	static const char text[] = "a = 1\n# comment\nb = x\0y\n";

	(void)state;
	parse_fails_len(text, sizeof(text) - 1, AR_ERR_CONFIG, "t.conf:3: NUL byte");
	parse_fails_len("# a\0", 4, AR_ERR_CONFIG, "t.conf:1: NUL byte");
}

static void test_conf_rejects_too_many_keys(void **state)
{
	char *text = many_lines("k", " = v\n", AR_CONF_MAX_KEYS);
	char *more = many_lines("k", " = v\n", AR_CONF_MAX_KEYS + 1);
	ar_conf_t *conf;

	(void)state;
	conf = parse_ok(text);
	assert_string_equal(ar_conf_get(ar_conf_root(conf), "k4095"), "v");
	ar_conf_free(conf);
	parse_fails(more, AR_ERR_TOO_LARGE, "t.conf:4097: more than 4096 keys");
	free(text);
	free(more);
}

static void test_conf_rejects_too_many_sections(void **state)
{
	char *text = many_lines("[s", "]\n", AR_CONF_MAX_SECTIONS);
	char *more = many_lines("[s", "]\n", AR_CONF_MAX_SECTIONS + 1);
	ar_conf_t *conf;

	(void)state;
	conf = parse_ok(text);
	assert_non_null(ar_conf_find(conf, "s1023", NULL));
	ar_conf_free(conf);
	parse_fails(more, AR_ERR_TOO_LARGE, "t.conf:1025: more than 1024 sections");
	free(text);
	free(more);
}

static void test_conf_rejects_text_over_one_mebibyte(void **state)
{
	size_t len = AR_CONF_MAX_FILE + 1;
	char *text = malloc(len);

	(void)state;
	assert_non_null(text);
	memset(text, '\n', len);
	parse_fails_len(text, len, AR_ERR_TOO_LARGE, "t.conf: 1048577 bytes, limit 1048576");
	free(text);
}

/* ---- Values ------------------------------------------------------------- */

static void test_conf_parse_duration_accepts_units(void **state)
{
	int64_t ms = -1;

	(void)state;
	assert_int_equal(ar_conf_parse_duration("500ms", &ms), 0);
	assert_int_equal(ms, 500);
	assert_int_equal(ar_conf_parse_duration("30s", &ms), 0);
	assert_int_equal(ms, 30000);
	assert_int_equal(ar_conf_parse_duration("30", &ms), 0);
	assert_int_equal(ms, 30000);
	assert_int_equal(ar_conf_parse_duration("5m", &ms), 0);
	assert_int_equal(ms, 300000);
	assert_int_equal(ar_conf_parse_duration("8h", &ms), 0);
	assert_int_equal(ms, 28800000);
	assert_int_equal(ar_conf_parse_duration("1d", &ms), 0);
	assert_int_equal(ms, 86400000);
	assert_int_equal(ar_conf_parse_duration("0", &ms), 0);
	assert_int_equal(ms, 0);
	assert_int_equal(ar_conf_parse_duration("9223372036854775807ms", &ms), 0);
	assert_true(ms == INT64_MAX);
}

static void test_conf_parse_duration_rejects_garbage_negative_and_overflow(void **state)
{
	static const char *const bad[] = {
		"", "s", "-1s", "+1s", " 1s", "1 s", "1.5h", "1sec", "1S", "1w", "10ss",
		"0x10", "9223372036854775808ms", "9223372036854775807s", "106751991167301d",
		"99999999999999999999999",
	};
	int64_t ms = 42;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (ar_conf_parse_duration(bad[i], &ms) == 0)
			fail_msg("accepted duration \"%s\"", bad[i]);
	}
	assert_int_equal(ms, 42);
	assert_int_equal(ar_conf_parse_duration(NULL, &ms), -1);
}

static void test_conf_parse_size_accepts_binary_multiples(void **state)
{
	int64_t n = -1;

	(void)state;
	assert_int_equal(ar_conf_parse_size("512", &n), 0);
	assert_int_equal(n, 512);
	assert_int_equal(ar_conf_parse_size("64k", &n), 0);
	assert_int_equal(n, 65536);
	assert_int_equal(ar_conf_parse_size("64K", &n), 0);
	assert_int_equal(n, 65536);
	assert_int_equal(ar_conf_parse_size("1M", &n), 0);
	assert_int_equal(n, 1048576);
	assert_int_equal(ar_conf_parse_size("1g", &n), 0);
	assert_int_equal(n, 1073741824);
	assert_int_equal(ar_conf_parse_size("2T", &n), 0);
	assert_true(n == 2LL << 40);
	assert_int_equal(ar_conf_parse_size("8388607T", &n), 0);
	assert_true(n == 8388607LL << 40);
}

static void test_conf_parse_size_rejects_garbage_negative_and_overflow(void **state)
{
	static const char *const bad[] = {
		"", "k", "-1", "+1", " 1", "1 k", "1.5M", "1kb", "1KiB", "1x", "8388608T",
		"9223372036854775808", "9007199254740992k",
	};
	int64_t n = 42;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (ar_conf_parse_size(bad[i], &n) == 0)
			fail_msg("accepted size \"%s\"", bad[i]);
	}
	assert_int_equal(n, 42);
}

static void test_conf_parse_bool_accepts_six_spellings_in_any_case(void **state)
{
	static const char *const yes[] = { "yes", "YES", "true", "True", "on", "1" };
	static const char *const no[] = { "no", "No", "false", "FALSE", "off", "0" };
	static const char *const bad[] = { "", "y", "n", "2", "yess", "enabled", " yes" };
	size_t i;
	int v;

	(void)state;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		v = -1;
		assert_int_equal(ar_conf_parse_bool(yes[i], &v), 0);
		assert_int_equal(v, 1);
		v = -1;
		assert_int_equal(ar_conf_parse_bool(no[i], &v), 0);
		assert_int_equal(v, 0);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ar_conf_parse_bool(bad[i], &v) == 0)
			fail_msg("accepted boolean \"%s\"", bad[i]);
}

/* ---- Binding ------------------------------------------------------------ */

struct server_conf {
	char	*listen;
	char	*secret;
	int64_t	port;
	int64_t	offset;
	int	tls;
	int64_t	timeout;
	int64_t	max_body;
	int	mode;
	int64_t	untouched;
};

static const char *const modes[] = { "strict", "permissive", "audit", NULL };

#define OFF(f) offsetof(struct server_conf, f)

static const ar_conf_rule_t server_rules[] = {
	{ "listen", AR_CONF_STRING, OFF(listen), 0, "127.0.0.1", 0, 0, NULL },
	{ "secret", AR_CONF_STRING, OFF(secret), AR_CONF_SECRET, NULL, 0, 0, NULL },
	{ "port", AR_CONF_INT, OFF(port), 0, "8443", 1, 65535, NULL },
	{ "offset", AR_CONF_INT, OFF(offset), 0, "0", 0, 0, NULL },
	{ "tls", AR_CONF_BOOL, OFF(tls), 0, "yes", 0, 0, NULL },
	{ "timeout", AR_CONF_DURATION, OFF(timeout), 0, "10s", 1000, 300000, NULL },
	{ "max_body", AR_CONF_SIZE, OFF(max_body), 0, "64k", 1024, 1048576, NULL },
	{ "mode", AR_CONF_ENUM, OFF(mode), 0, "strict", 0, 0, modes },
	{ "untouched", AR_CONF_INT, OFF(untouched), 0, NULL, 0, 0, NULL },
	AR_CONF_END
};

/* Bind [server] of @text into @out, returning what ar_conf_bind() returned. */
static int bind_server(const char *text, struct server_conf *out, ar_err_t *err)
{
	ar_conf_t *conf = parse_ok(text);
	int rc;

	rc = ar_conf_bind(ar_conf_find(conf, "server", NULL), server_rules, out, err);
	ar_conf_free(conf);
	return rc;
}

static void bind_server_fails(const char *text, const char *needle)
{
	struct server_conf c = { 0 };
	ar_err_t err = { 0 };

	if (bind_server(text, &c, &err) == 0) {
		ar_conf_unbind(server_rules, &c);
		fail_msg("bound, expected \"%s\"", needle);
	}
	assert_err(&err, AR_ERR_CONFIG, needle);
	assert_null(c.listen);
	assert_null(c.secret);
}

static void test_conf_bind_applies_defaults_for_absent_keys(void **state)
{
	struct server_conf c = { .untouched = 77 };
	ar_err_t err = { 0 };

	(void)state;
	assert_int_equal(bind_server("[server]\n", &c, &err), 0);
	assert_string_equal(c.listen, "127.0.0.1");
	assert_null(c.secret);
	assert_int_equal(c.port, 8443);
	assert_int_equal(c.tls, 1);
	assert_int_equal(c.timeout, 10000);
	assert_int_equal(c.max_body, 65536);
	assert_int_equal(c.mode, 0);
	assert_int_equal(c.untouched, 77);
	ar_conf_unbind(server_rules, &c);
	assert_null(c.listen);
}

static void test_conf_bind_stores_each_type_from_the_file(void **state)
{
	struct server_conf c = { 0 };
	ar_err_t err = { 0 };

	(void)state;
	assert_int_equal(bind_server("[server]\n"
				     "listen = \" ::1 \"\n"
				     "secret = s3cr3t\n"
				     "port = 65535\n"
				     "offset = -9223372036854775808\n"
				     "tls = off\n"
				     "timeout = 250000ms\n"
				     "max_body = 1M\n"
				     "mode = audit\n"
				     "untouched = +12\n", &c, &err), 0);
	assert_string_equal(c.listen, " ::1 ");
	assert_string_equal(c.secret, "s3cr3t");
	assert_int_equal(c.port, 65535);
	assert_true(c.offset == INT64_MIN);
	assert_int_equal(c.tls, 0);
	assert_int_equal(c.timeout, 250000);
	assert_int_equal(c.max_body, 1048576);
	assert_int_equal(c.mode, 2);
	assert_int_equal(c.untouched, 12);
	ar_conf_unbind(server_rules, &c);
	assert_null(c.listen);
	assert_null(c.secret);
}

static void test_conf_bind_rebinding_replaces_strings_without_leaking(void **state)
{
	struct server_conf c = { 0 };
	ar_err_t err = { 0 };

	(void)state;
	assert_int_equal(bind_server("[server]\nlisten = a\nsecret = x\n", &c, &err), 0);
	assert_int_equal(bind_server("[server]\nlisten = b\n", &c, &err), 0);
	assert_string_equal(c.listen, "b");
	assert_string_equal(c.secret, "x");	/* absent, no default: kept */
	ar_conf_unbind(server_rules, &c);
}

static void test_conf_bind_rejects_missing_required_key(void **state)
{
	static const ar_conf_rule_t rules[] = {
		{ "url", AR_CONF_STRING, 0, AR_CONF_REQUIRED, NULL, 0, 0, NULL },
		AR_CONF_END
	};
	ar_conf_t *conf = parse_ok("a = 1\n\n[redis \"main\"]\n");
	ar_err_t err = { 0 };
	char *url = NULL;

	(void)state;
	assert_int_equal(ar_conf_bind(ar_conf_find(conf, "redis", "main"), rules, &url, &err), -1);
	assert_err(&err, AR_ERR_CONFIG, "t.conf:3: missing required key 'url' in [redis \"main\"]");
	assert_null(url);
	/* An absent section (NULL) still reports the key. */
	assert_int_equal(ar_conf_bind(NULL, rules, &url, &err), -1);
	assert_err(&err, AR_ERR_CONFIG, "missing required key 'url'");
	ar_conf_free(conf);
}

static void test_conf_bind_null_section_applies_defaults(void **state)
{
	struct server_conf c = { 0 };
	ar_err_t err = { 0 };

	(void)state;
	assert_int_equal(ar_conf_bind(NULL, server_rules, &c, &err), 0);
	assert_string_equal(c.listen, "127.0.0.1");
	assert_int_equal(c.port, 8443);
	ar_conf_unbind(server_rules, &c);
}

static void test_conf_bind_rejects_unknown_key(void **state)
{
	(void)state;
	bind_server_fails("[server]\nlisten = x\n\nlsiten = y\n",
			  "t.conf:4: unknown key 'lsiten' in [server]");
}

static void test_conf_bind_rejects_unknown_root_key(void **state)
{
	static const ar_conf_rule_t none[] = { AR_CONF_END };
	ar_conf_t *conf = parse_ok("\nstray = 1\n[server]\n");
	ar_err_t err = { 0 };
	int dummy = 0;

	(void)state;
	assert_int_equal(ar_conf_bind(ar_conf_root(conf), none, &dummy, &err), -1);
	assert_err(&err, AR_ERR_CONFIG, "t.conf:2: unknown key 'stray' at top level");
	ar_conf_free(conf);
}

static void test_conf_bind_enum_rejects_value_outside_choices(void **state)
{
	(void)state;
	bind_server_fails("[server]\n\nmode = Strict\n",
			  "t.conf:3: invalid value 'Strict' for 'mode' in [server]: expected "
			  "one of strict, permissive, audit");
}

static void test_conf_bind_enforces_ranges(void **state)
{
	struct server_conf c = { 0 };
	ar_err_t err = { 0 };

	(void)state;
	bind_server_fails("[server]\nport = 0\n",
			  "t.conf:2: value '0' for 'port' in [server] is outside 1..65535");
	bind_server_fails("[server]\nport = 65536\n", "t.conf:2: value '65536' for 'port'");
	bind_server_fails("[server]\ntimeout = 301s\n",
			  "t.conf:2: value '301s' for 'timeout' in [server] is outside "
			  "1000..300000 ms");
	bind_server_fails("[server]\nmax_body = 2M\n", "is outside 1024..1048576 bytes");
	/* Bounds themselves are inside; min == max means unchecked. */
	assert_int_equal(bind_server("[server]\nport = 1\ntimeout = 5m\nmax_body = 1k\n"
				     "offset = 9223372036854775807\n", &c, &err), 0);
	assert_int_equal(c.port, 1);
	assert_int_equal(c.timeout, 300000);
	assert_int_equal(c.max_body, 1024);
	assert_true(c.offset == INT64_MAX);
	ar_conf_unbind(server_rules, &c);
}

static void test_conf_bind_rejects_malformed_numbers(void **state)
{
	(void)state;
	bind_server_fails("[server]\nport = 80x\n",
			  "t.conf:2: invalid value '80x' for 'port' in [server]: expected a "
			  "decimal integer");
	bind_server_fails("[server]\noffset = 9223372036854775808\n", "invalid value");
	bind_server_fails("[server]\nport = \" 80\"\n", "invalid value ' 80'");
	bind_server_fails("[server]\nport =\n", "invalid value ''");
	bind_server_fails("[server]\ntls = maybe\n", "invalid value 'maybe' for 'tls'");
	bind_server_fails("[server]\ntimeout = 10 s\n", "invalid value '10 s' for 'timeout'");
	bind_server_fails("[server]\nmax_body = -1\n", "invalid value '-1' for 'max_body'");
}

static void test_conf_bind_never_echoes_secret_values(void **state)
{
	static const ar_conf_rule_t rules[] = {
		{ "token", AR_CONF_INT, 0, AR_CONF_SECRET, NULL, 0, 0, NULL },
		{ "pin", AR_CONF_INT, sizeof(int64_t), AR_CONF_SECRET, NULL, 1, 9999, NULL },
		AR_CONF_END
	};
	int64_t out[2] = { 0, 0 };
	ar_conf_t *conf;
	ar_err_t err = { 0 };

	(void)state;
	conf = parse_ok("[s]\ntoken = hunter2-SECRET\n");
	assert_int_equal(ar_conf_bind(ar_conf_find(conf, "s", NULL), rules, out, &err), -1);
	assert_err(&err, AR_ERR_CONFIG, "t.conf:2: invalid value for 'token' in [s]");
	assert_null(strstr(err.msg, "hunter2"));
	ar_conf_free(conf);

	conf = parse_ok("[s]\npin = 31337\n");
	assert_int_equal(ar_conf_bind(ar_conf_find(conf, "s", NULL), rules, out, &err), -1);
	assert_err(&err, AR_ERR_CONFIG, "t.conf:2: value for 'pin' in [s] is outside 1..9999");
	assert_null(strstr(err.msg, "31337"));
	ar_conf_free(conf);
}

static void test_conf_bind_failure_frees_strings_already_bound(void **state)
{
	struct server_conf c = { 0 };
	ar_err_t err = { 0 };

	(void)state;
	/* listen and secret are bound before port fails; nothing may leak. */
	assert_int_equal(bind_server("[server]\nlisten = x\nsecret = y\nport = -1\n", &c, &err),
			 -1);
	assert_err(&err, AR_ERR_CONFIG, "t.conf:4:");
	assert_null(c.listen);
	assert_null(c.secret);
}

static void test_conf_bind_rejects_invalid_default(void **state)
{
	static const ar_conf_rule_t rules[] = {
		{ "port", AR_CONF_INT, 0, 0, "eighty", 0, 0, NULL },
		AR_CONF_END
	};
	ar_conf_t *conf = parse_ok("[s]\n");
	ar_err_t err = { 0 };
	int64_t port = 0;

	(void)state;
	assert_int_equal(ar_conf_bind(ar_conf_find(conf, "s", NULL), rules, &port, &err), -1);
	assert_err(&err, AR_ERR_CONFIG, "t.conf: invalid default 'eighty' for 'port' in [s]");
	ar_conf_free(conf);
}

static void test_conf_error_cites_key_line_or_section_line(void **state)
{
	ar_conf_t *conf = parse_ok("\n[server]\nlisten = nowhere\n");
	const ar_conf_section_t *s = ar_conf_find(conf, "server", NULL);
	ar_err_t err = { 0 };

	(void)state;
	assert_int_equal(ar_conf_error(s, "listen", &err, "bad address '%s'", "nowhere"), -1);
	assert_err(&err, AR_ERR_CONFIG, "t.conf:3: bad address 'nowhere'");
	assert_int_equal(ar_conf_error(s, "port", &err, "port needed"), -1);
	assert_err(&err, AR_ERR_CONFIG, "t.conf:2: port needed");
	ar_conf_free(conf);
}

/* ---- Files -------------------------------------------------------------- */

static void test_conf_load_reports_missing_file(void **state)
{
	ar_err_t err = { 0 };

	(void)state;
	assert_null(ar_conf_load("/nonexistent/acme-rats/ca.conf", &err));
	assert_err(&err, AR_ERR_IO, "/nonexistent/acme-rats/ca.conf: No such file");
}

static void test_conf_load_rejects_directory_and_fifo(void **state)
{
	char dir[512], fifo[600];
	ar_err_t err = { 0 };

	(void)state;
	temp_path(dir, sizeof(dir), "test_conf.XXXXXX");
	assert_non_null(mkdtemp(dir));
	assert_null(ar_conf_load(dir, &err));
	assert_err(&err, AR_ERR_IO, "not a regular file");

	/* A FIFO is refused without blocking on open (the alarm ends a hang). */
	assert_true(snprintf(fifo, sizeof(fifo), "%s/fifo", dir) < (int)sizeof(fifo));
	assert_int_equal(mkfifo(fifo, 0600), 0);
	ar_err_clear(&err);
	alarm(10);
	assert_null(ar_conf_load(fifo, &err));
	alarm(0);
	assert_err(&err, AR_ERR_IO, "not a regular file");
	assert_int_equal(unlink(fifo), 0);
	assert_int_equal(rmdir(dir), 0);
}

static void test_conf_load_rejects_file_over_one_mebibyte(void **state)
{
	char path[512];
	ar_err_t err = { 0 };
	int fd;

	(void)state;
	temp_path(path, sizeof(path), "test_conf.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, AR_CONF_MAX_FILE + 1), 0);
	assert_int_equal(close(fd), 0);
	assert_null(ar_conf_load(path, &err));
	assert_err(&err, AR_ERR_TOO_LARGE, path);
	assert_int_equal(unlink(path), 0);
}

static void test_conf_load_reads_real_file_and_names_it_in_errors(void **state)
{
	static const char good[] = "[server]\nport = 8443\n";
	static const char bad[] = "[server]\nport = 1\nport = 2\n";
	char path[512], want[600];
	ar_conf_t *conf;
	ar_err_t err = { 0 };
	int fd;

	(void)state;
	temp_path(path, sizeof(path), "test_conf.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, good, sizeof(good) - 1), (ssize_t)(sizeof(good) - 1));
	assert_int_equal(close(fd), 0);
	conf = ar_conf_load(path, &err);
	assert_non_null(conf);
	assert_string_equal(ar_conf_name(conf), path);
	assert_string_equal(ar_conf_get(ar_conf_find(conf, "server", NULL), "port"), "8443");
	ar_conf_free(conf);

	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, bad, sizeof(bad) - 1), (ssize_t)(sizeof(bad) - 1));
	assert_int_equal(close(fd), 0);
	assert_null(ar_conf_load(path, &err));
	assert_true(snprintf(want, sizeof(want), "%s:3: duplicate key 'port'", path) <
		    (int)sizeof(want));
	assert_err(&err, AR_ERR_CONFIG, want);
	assert_int_equal(unlink(path), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf_reads_root_keys_and_sections),
		cmocka_unit_test(test_conf_named_and_unnamed_sections_are_distinct),
		cmocka_unit_test(test_conf_quoted_values_keep_spaces_comment_chars_and_escapes),
		cmocka_unit_test(test_conf_ignores_comments_and_blank_lines),
		cmocka_unit_test(test_conf_accepts_crlf_bom_and_missing_final_newline),
		cmocka_unit_test(test_conf_empty_text_has_an_empty_root),
		cmocka_unit_test(test_conf_next_iterates_sections_of_a_type_in_file_order),
		cmocka_unit_test(test_conf_item_walks_keys_in_file_order),
		cmocka_unit_test(test_conf_rejects_duplicate_key),
		cmocka_unit_test(test_conf_same_key_in_different_sections_is_allowed),
		cmocka_unit_test(test_conf_rejects_duplicate_section),
		cmocka_unit_test(test_conf_rejects_line_without_key_and_equals),
		cmocka_unit_test(test_conf_rejects_unterminated_quote_and_bad_escape),
		cmocka_unit_test(test_conf_rejects_malformed_section_headers),
		cmocka_unit_test(test_conf_rejects_line_longer_than_limit),
		cmocka_unit_test(test_conf_rejects_nul_byte),
		cmocka_unit_test(test_conf_rejects_too_many_keys),
		cmocka_unit_test(test_conf_rejects_too_many_sections),
		cmocka_unit_test(test_conf_rejects_text_over_one_mebibyte),
		cmocka_unit_test(test_conf_parse_duration_accepts_units),
		cmocka_unit_test(test_conf_parse_duration_rejects_garbage_negative_and_overflow),
		cmocka_unit_test(test_conf_parse_size_accepts_binary_multiples),
		cmocka_unit_test(test_conf_parse_size_rejects_garbage_negative_and_overflow),
		cmocka_unit_test(test_conf_parse_bool_accepts_six_spellings_in_any_case),
		cmocka_unit_test(test_conf_bind_applies_defaults_for_absent_keys),
		cmocka_unit_test(test_conf_bind_stores_each_type_from_the_file),
		cmocka_unit_test(test_conf_bind_rebinding_replaces_strings_without_leaking),
		cmocka_unit_test(test_conf_bind_rejects_missing_required_key),
		cmocka_unit_test(test_conf_bind_null_section_applies_defaults),
		cmocka_unit_test(test_conf_bind_rejects_unknown_key),
		cmocka_unit_test(test_conf_bind_rejects_unknown_root_key),
		cmocka_unit_test(test_conf_bind_enum_rejects_value_outside_choices),
		cmocka_unit_test(test_conf_bind_enforces_ranges),
		cmocka_unit_test(test_conf_bind_rejects_malformed_numbers),
		cmocka_unit_test(test_conf_bind_never_echoes_secret_values),
		cmocka_unit_test(test_conf_bind_failure_frees_strings_already_bound),
		cmocka_unit_test(test_conf_bind_rejects_invalid_default),
		cmocka_unit_test(test_conf_error_cites_key_line_or_section_line),
		cmocka_unit_test(test_conf_load_reports_missing_file),
		cmocka_unit_test(test_conf_load_rejects_directory_and_fifo),
		cmocka_unit_test(test_conf_load_rejects_file_over_one_mebibyte),
		cmocka_unit_test(test_conf_load_reads_real_file_and_names_it_in_errors),
	};

	return cmocka_run_group_tests_name("conf", tests, NULL, NULL);
}
