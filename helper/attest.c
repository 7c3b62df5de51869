/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The device attester: evidence about the running Linux system, read from its files. */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "attest.h"
#include "fileio.h"
#include "log.h"

/*
 * Lines of the files we read are handled a chunk at a time: only the first
 * LINE_MAX_READ - 1 bytes of a line are seen (and flagged as truncated), the
 * rest is skipped, so no file can make us allocate.
 */
#define LINE_MAX_READ	1024
#define STACK_DEPTH_MAX	4	/* dm devices stacked on dm devices */

typedef int (*line_fn_t)(void *ctx, const char *line, size_t len, int truncated);

/* Where the files live: "" for the running system, else the sysroot. */
typedef struct collector {
	char	root[PATH_MAX];
	int	sysroot;
} collector_t;

static int init_root(collector_t *c, const char *root, ar_err_t *err)
{
	size_t n;

	memset(c, 0, sizeof(*c));
	if (!root || !*root)
		return 0;
	n = strlen(root);
	while (n > 1 && root[n - 1] == '/')
		n--;
	if (n == 1 && root[0] == '/')
		return 0;
	if (root[0] != '/' || n >= sizeof(c->root) - 256)
		return ar_err_set(err, AR_ERR_CONFIG, "root \"%.64s\" must be an absolute path", root);
	memcpy(c->root, root, n);
	c->root[n] = '\0';
	c->sysroot = 1;
	return 0;
}

/* Absolute path of @rel ("etc/os-release") under the root; -1 if too long. */
static int path_of(const collector_t *c, const char *rel, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/%s", c->root, rel);

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

static void trim(const char **s, size_t *len)
{
	while (*len && isspace((unsigned char)**s)) {
		(*s)++;
		(*len)--;
	}
	while (*len && isspace((unsigned char)(*s)[*len - 1]))
		(*len)--;
}

/* Copy @len bytes of @s as a string; -1 if it does not fit. */
static int copy_n(char *dst, size_t size, const char *s, size_t len)
{
	if (len >= size)
		return -1;
	memcpy(dst, s, len);
	dst[len] = '\0';
	return 0;
}

/* Feed every line of @text to @fn; stops early when @fn returns non-zero. */
static int text_lines(const char *text, size_t len, line_fn_t fn, void *ctx)
{
	size_t off = 0;
	int rc = 0;

	while (off < len && !rc) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (text + off)) : len - off;
		int truncated = n >= LINE_MAX_READ;

		rc = fn(ctx, text + off, truncated ? LINE_MAX_READ - 1 : n, truncated);
		off += n + 1;
	}
	return rc;
}

/*
 * Feed every line of the file @rel under the root to @fn.
 * Returns -1 if the file cannot be opened, else what @fn last returned (0).
 */
static int file_lines(const collector_t *c, const char *rel, line_fn_t fn, void *ctx)
{
	char path[PATH_MAX], buf[LINE_MAX_READ];
	int at_start = 1, rc = 0;
	FILE *f;

	if (path_of(c, rel, path, sizeof(path)) < 0)
		return -1;
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (!rc && fgets(buf, sizeof(buf), f)) {
		size_t n = strlen(buf);
		int complete = n && buf[n - 1] == '\n';

		if (at_start) {
			int truncated = !complete && !feof(f);

			rc = fn(ctx, buf, complete ? n - 1 : n, truncated);
		}
		at_start = complete;
	}
	fclose(f);
	return rc;
}

/* First non-empty line of a small file, trimmed, skipping '#' comments. */
typedef struct first_line {
	char	*out;
	size_t	size;
	int	found;
} first_line_t;

static int first_line_cb(void *ctx, const char *line, size_t len, int truncated)
{
	first_line_t *fl = ctx;

	trim(&line, &len);
	if (truncated || !len || line[0] == '#')
		return 0;
	if (copy_n(fl->out, fl->size, line, len) < 0)
		return 1;
	fl->found = 1;
	return 1;
}

static int read_first_line(const collector_t *c, const char *rel, char *out, size_t size)
{
	first_line_t fl = { out, size, 0 };

	if (file_lines(c, rel, first_line_cb, &fl) < 0 || !fl.found)
		return -1;
	return 0;
}

/* Printable ASCII without spaces, 1..size-1 characters. */
static int is_token(const char *s, size_t maxlen)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (i >= maxlen || s[i] <= 0x20 || s[i] >= 0x7f)
			return 0;
	return i > 0;
}

/* --- /etc/os-release ------------------------------------------------------ */

/*
 * Value of a shell-style assignment (os-release(5)): unquoted, or in single
 * quotes (literal), or in double quotes where a backslash escapes $ ` " \.
 * Returns -1 for an unterminated quote, trailing garbage or no room.
 */
static int shell_value(const char *v, size_t len, char *out, size_t size)
{
	size_t i = 0, o = 0;
	int closed = 0;
	char q = 0;

	if (len && (v[0] == '"' || v[0] == '\''))
		q = v[i++];
	while (i < len) {
		char ch = v[i++];

		if (q && ch == q) {
			closed = 1;
			break;
		}
		if (!q && (ch == ' ' || ch == '\t' || ch == '"' || ch == '\'' || ch == '$' ||
			   ch == '`'))
			return -1;
		if (ch == '\\' && (!q || (q == '"' && i < len && strchr("\"\\$`", v[i])))) {
			if (i == len)
				return -1;
			ch = v[i++];
		}
		if (!ch || o + 1 >= size)
			return -1;
		out[o++] = ch;
	}
	if ((q && !closed) || i != len)
		return -1;
	out[o] = '\0';
	return 0;
}

typedef struct os_release {
	char	id[64];
	char	version_id[64];
} os_release_t;

static int os_release_cb(void *ctx, const char *line, size_t len, int truncated)
{
	os_release_t *os = ctx;
	const char *eq;
	char value[64];
	size_t klen;

	trim(&line, &len);
	if (truncated || !len || line[0] == '#')
		return 0;
	eq = memchr(line, '=', len);
	if (!eq)
		return 0;
	klen = (size_t)(eq - line);
	if (shell_value(eq + 1, len - klen - 1, value, sizeof(value)) < 0)
		return 0;
	if (klen == 2 && !memcmp(line, "ID", 2))
		memcpy(os->id, value, sizeof(value));
	else if (klen == 10 && !memcmp(line, "VERSION_ID", 10))
		memcpy(os->version_id, value, sizeof(value));
	return 0;
}

static void collect_os(const collector_t *c, ar_evidence_t *ev)
{
	os_release_t os = { "", "" };

	if (file_lines(c, "etc/os-release", os_release_cb, &os) < 0 &&
	    file_lines(c, "usr/lib/os-release", os_release_cb, &os) < 0) {
		ar_debug("event=attest.os result=unknown reason=no-os-release");
		return;
	}
	/* os-release(5): ID defaults to "linux" when the file does not set it. */
	snprintf(ev->os_id, sizeof(ev->os_id), "%s", os.id[0] ? os.id : "linux");
	snprintf(ev->os_version, sizeof(ev->os_version), "%s", os.version_id);
}

static void collect_kernel(const collector_t *c, ar_evidence_t *ev)
{
	struct utsname u;

	if (c->sysroot &&
	    read_first_line(c, "proc/sys/kernel/osrelease", ev->kernel, sizeof(ev->kernel)) == 0)
		return;
	if (uname(&u) == 0)
		snprintf(ev->kernel, sizeof(ev->kernel), "%s", u.release);
}

static void collect_hostname(const collector_t *c, ar_evidence_t *ev)
{
	char name[256];

	if (c->sysroot && read_first_line(c, "etc/hostname", name, sizeof(name)) == 0 &&
	    strlen(name) < sizeof(ev->hostname)) {
		snprintf(ev->hostname, sizeof(ev->hostname), "%s", name);
		return;
	}
	if (gethostname(name, sizeof(name)) == 0) {
		name[sizeof(name) - 1] = '\0';
		if (strlen(name) < sizeof(ev->hostname))
			snprintf(ev->hostname, sizeof(ev->hostname), "%s", name);
	}
}

static int collect_device_id(const collector_t *c, const char *configured, ar_evidence_t *ev,
			     ar_err_t *err)
{
	static const char *const sources[] = { "etc/machine-id", "var/lib/dbus/machine-id" };
	char id[64];
	size_t i;

	if (configured) {
		if (!is_token(configured, sizeof(ev->device_id) - 1))
			return ar_err_set(err, AR_ERR_CONFIG, "device id must be 1..%zu printable "
					  "characters without spaces", sizeof(ev->device_id) - 1);
		snprintf(ev->device_id, sizeof(ev->device_id), "%s", configured);
		return 0;
	}
	for (i = 0; i < sizeof(sources) / sizeof(sources[0]); i++) {
		size_t j;

		if (read_first_line(c, sources[i], id, sizeof(id)) < 0 || strlen(id) != 32)
			continue;
		for (j = 0; j < 32 && isxdigit((unsigned char)id[j]); j++)
			;
		if (j == 32) {
			snprintf(ev->device_id, sizeof(ev->device_id), "%s", id);
			return 0;
		}
	}
	return ar_err_set(err, AR_ERR_CONFIG,
			  "no device id configured and no valid /etc/machine-id under %s",
			  c->sysroot ? c->root : "/");
}

/* --- last security update --------------------------------------------------- */

/* @width decimal digits at *p into *out. */
static int digits(const char **p, const char *end, int width, int *out)
{
	int v = 0, i;

	for (i = 0; i < width; i++) {
		if (*p >= end || !isdigit((unsigned char)**p))
			return -1;
		v = v * 10 + (**p - '0');
		(*p)++;
	}
	*out = v;
	return 0;
}

/* "2026-11-01  10:22:31" (local time) -> unix seconds; -1 if malformed. */
static int64_t apt_date(const char *s, size_t len)
{
	const char *p = s, *end = s + len;
	struct tm tm;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if (digits(&p, end, 4, &tm.tm_year) < 0 || p >= end || *p++ != '-' ||
	    digits(&p, end, 2, &tm.tm_mon) < 0 || p >= end || *p++ != '-' ||
	    digits(&p, end, 2, &tm.tm_mday) < 0)
		return -1;
	if (p >= end || (*p != ' ' && *p != '\t'))
		return -1;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (digits(&p, end, 2, &tm.tm_hour) < 0 || p >= end || *p++ != ':' ||
	    digits(&p, end, 2, &tm.tm_min) < 0 || p >= end || *p++ != ':' ||
	    digits(&p, end, 2, &tm.tm_sec) < 0 || p != end)
		return -1;
	if (tm.tm_year < 1970 || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
	    tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	return t == (time_t)-1 ? -1 : (int64_t)t;
}

/* State of the apt history scan: one entry at a time. */
typedef struct apt_scan {
	int	upgraded;	/* this entry has an Upgrade: line */
	int64_t	newest;
} apt_scan_t;

static int has_prefix(const char *line, size_t len, const char *prefix, size_t plen)
{
	return len >= plen && !memcmp(line, prefix, plen);
}

static int apt_history_cb(void *ctx, const char *line, size_t len, int truncated)
{
	apt_scan_t *s = ctx;

	if (!len || has_prefix(line, len, "Start-Date:", 11)) {
		s->upgraded = 0;
	} else if (has_prefix(line, len, "Upgrade:", 8)) {
		s->upgraded = 1;
	} else if (has_prefix(line, len, "End-Date:", 9)) {
		const char *v = line + 9;
		size_t vlen = len - 9;
		int64_t t;

		trim(&v, &vlen);
		t = truncated ? -1 : apt_date(v, vlen);
		if (s->upgraded && t > s->newest)
			s->newest = t;
		s->upgraded = 0;
	}
	return 0;
}

int64_t ar_attest_apt_history_newest(const char *text, size_t len)
{
	apt_scan_t s = { 0, 0 };

	text_lines(text, len, apt_history_cb, &s);
	return s.newest;
}

static int64_t mtime_of(const collector_t *c, const char *rel)
{
	char path[PATH_MAX];
	struct stat st;

	if (path_of(c, rel, path, sizeof(path)) < 0 || stat(path, &st) < 0 ||
	    !S_ISREG(st.st_mode) || st.st_mtime <= 0)
		return 0;
	return (int64_t)st.st_mtime;
}

static void collect_patch(const collector_t *c, ar_evidence_t *ev)
{
	static const char *const logs[] = {
		"var/log/apt/history.log", "var/log/apt/history.log.1",
	};
	static const char *const stamps[] = {
		"var/lib/apt/periodic/upgrade-stamp", "var/lib/dpkg/status",
	};
	apt_scan_t s = { 0, 0 };
	size_t i;

	for (i = 0; i < sizeof(logs) / sizeof(logs[0]); i++) {
		s.upgraded = 0;
		(void)file_lines(c, logs[i], apt_history_cb, &s);
	}
	if (s.newest > 0) {
		ev->last_security_update = s.newest;
		ar_debug("event=attest.patch source=apt-history time=%lld", (long long)s.newest);
		return;
	}
	for (i = 0; i < sizeof(stamps) / sizeof(stamps[0]); i++) {
		int64_t t = mtime_of(c, stamps[i]);

		if (t > 0) {
			ev->last_security_update = t;
			ar_debug("event=attest.patch source=%s time=%lld", stamps[i], (long long)t);
			return;
		}
	}
	ar_debug("event=attest.patch result=unknown");
}

/* --- secure boot ------------------------------------------------------------ */

static int is_dir(const collector_t *c, const char *rel)
{
	char path[PATH_MAX];
	struct stat st;

	return path_of(c, rel, path, sizeof(path)) == 0 && stat(path, &st) == 0 &&
	       S_ISDIR(st.st_mode);
}

/* Non-zero if the directory exists and has at least one entry. */
static int dir_has_entries(const collector_t *c, const char *rel)
{
	char path[PATH_MAX];
	struct dirent *de;
	int found = 0;
	DIR *d;

	if (path_of(c, rel, path, sizeof(path)) < 0 || !(d = opendir(path)))
		return 0;
	while (!found && (de = readdir(d)))
		found = de->d_name[0] != '.';
	closedir(d);
	return found;
}

/* Read at most @size bytes of a small (binary) file; returns the count or -1. */
static ssize_t read_bytes(const collector_t *c, const char *rel, void *buf, size_t size)
{
	char path[PATH_MAX];
	size_t got = 0;
	ssize_t n;
	int fd;

	if (path_of(c, rel, path, sizeof(path)) < 0)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -1;
	while (got < size) {
		n = read(fd, (char *)buf + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	return (ssize_t)got;
}

static void collect_secure_boot(const collector_t *c, ar_evidence_t *ev)
{
	static const char var[] = "sys/firmware/efi/efivars/SecureBoot-" AR_EFI_GLOBAL_GUID;
	unsigned char data[16];
	ssize_t n;

	if (!is_dir(c, "sys/firmware/efi")) {
		/* Booted without UEFI: secure boot cannot be on. */
		ev->efi = 0;
		ev->secure_boot = 0;
		return;
	}
	ev->efi = 1;
	n = read_bytes(c, var, data, sizeof(data));
	if (n >= 5 && (data[4] == 0 || data[4] == 1)) {
		/* efivarfs: 4 bytes of attributes, then the variable's one data byte. */
		ev->secure_boot = data[4];
	} else if (n < 0 && dir_has_entries(c, "sys/firmware/efi/efivars")) {
		/* Variables are readable but the firmware defines no SecureBoot. */
		ev->secure_boot = 0;
	} else {
		ev->secure_boot = -1;
	}
}

/* --- disk encryption -------------------------------------------------------- */

typedef struct mount_scan {
	char	dev[256];
	int	found;
} mount_scan_t;

/* Last /proc/mounts entry for "/" wins: it is the one on top. */
static int mounts_cb(void *ctx, const char *line, size_t len, int truncated)
{
	mount_scan_t *m = ctx;
	const char *dev = line, *mp, *end = line + len;
	size_t dlen;

	if (truncated)
		return 0;
	dlen = strcspn(dev, " \t");
	if (dlen >= len)
		return 0;
	mp = dev + dlen;
	while (mp < end && (*mp == ' ' || *mp == '\t'))
		mp++;
	if (end - mp < 2 || mp[0] != '/' || (mp[1] != ' ' && mp[1] != '\t'))
		return 0;
	if (copy_n(m->dev, sizeof(m->dev), dev, dlen) == 0)
		m->found = 1;
	return 0;
}

typedef struct crypttab_scan {
	const char	*name;
	int		found;
	int		plain;
} crypttab_scan_t;

/* crypttab(5): "target source [keyfile [options]]". */
static int crypttab_cb(void *ctx, const char *line, size_t len, int truncated)
{
	crypttab_scan_t *ct = ctx;
	char buf[LINE_MAX_READ], *save = NULL, *target, *opts;

	trim(&line, &len);
	if (truncated || !len || line[0] == '#' || copy_n(buf, sizeof(buf), line, len) < 0)
		return 0;
	target = strtok_r(buf, " \t", &save);
	if (!target || strcmp(target, ct->name))
		return 0;
	ct->found = 1;
	(void)strtok_r(NULL, " \t", &save);	/* source */
	(void)strtok_r(NULL, " \t", &save);	/* key file */
	opts = strtok_r(NULL, " \t", &save);
	ct->plain = opts && strstr(opts, "plain") != NULL;
	return 1;
}

/*
 * dm uuid "CRYPT-<TYPE>-..." names the dm-crypt format; CRYPT-VERITY and
 * CRYPT-INTEGRITY are integrity targets, not encryption.
 * Returns 1 and sets @method for an encrypting target, else 0.
 */
static int crypt_uuid(const char *uuid, char *method, size_t size)
{
	static const struct {
		const char *prefix, *method;
	} types[] = {
		{ "CRYPT-LUKS1-", "luks" }, { "CRYPT-LUKS2-", "luks" },
		{ "CRYPT-LUKS-", "luks" }, { "CRYPT-PLAIN-", "plain" },
		{ "CRYPT-LOOPAES-", "loopaes" }, { "CRYPT-TCRYPT-", "tcrypt" },
		{ "CRYPT-BITLK-", "bitlk" }, { "CRYPT-FVAULT2-", "fvault2" },
	};
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (!strncmp(uuid, types[i].prefix, strlen(types[i].prefix))) {
			snprintf(method, size, "%s", types[i].method);
			return 1;
		}
	}
	return 0;
}

/*
 * Is the block device whose sysfs directory is @dir (relative to the root)
 * dm-crypt, or stacked on dm-crypt (LVM on LUKS)? 1 yes, 0 no, -1 when
 * @dir does not exist.
 */
static int crypt_in_stack(const collector_t *c, const char *dir, int depth, char *method,
			  size_t msize)
{
	char rel[PATH_MAX], uuid[160], path[PATH_MAX];
	struct dirent *de;
	int found = 0;
	DIR *d;

	if (!is_dir(c, dir))
		return -1;
	if (snprintf(rel, sizeof(rel), "%s/dm/uuid", dir) < (int)sizeof(rel) &&
	    read_first_line(c, rel, uuid, sizeof(uuid)) == 0 && crypt_uuid(uuid, method, msize))
		return 1;
	if (depth >= STACK_DEPTH_MAX ||
	    snprintf(rel, sizeof(rel), "%s/slaves", dir) >= (int)sizeof(rel) ||
	    path_of(c, rel, path, sizeof(path)) < 0 || !(d = opendir(path)))
		return 0;
	while (!found && (de = readdir(d))) {
		char sub[PATH_MAX];

		if (de->d_name[0] == '.' ||
		    snprintf(sub, sizeof(sub), "%s/%s", rel, de->d_name) >= (int)sizeof(sub))
			continue;
		found = crypt_in_stack(c, sub, depth + 1, method, msize) == 1;
	}
	closedir(d);
	return found;
}

/* sysfs directory (relative to the root) of the dm device whose dm/name is @name. */
static int dm_by_name(const collector_t *c, const char *name, char *dir, size_t size)
{
	static const char *const bases[] = { "sys/class/block", "sys/block" };
	char path[PATH_MAX], rel[PATH_MAX], dmname[160];
	struct dirent *de;
	size_t i;
	int found = 0;
	DIR *d;

	for (i = 0; !found && i < sizeof(bases) / sizeof(bases[0]); i++) {
		if (path_of(c, bases[i], path, sizeof(path)) < 0 || !(d = opendir(path)))
			continue;
		while (!found && (de = readdir(d))) {
			if (strncmp(de->d_name, "dm-", 3) ||
			    snprintf(rel, sizeof(rel), "%s/%s/dm/name", bases[i], de->d_name) >=
			    (int)sizeof(rel) ||
			    read_first_line(c, rel, dmname, sizeof(dmname)) < 0 ||
			    strcmp(dmname, name))
				continue;
			found = snprintf(dir, size, "%s/%s", bases[i], de->d_name) < (int)size;
		}
		closedir(d);
	}
	return found ? 0 : -1;
}

/*
 * On the running system the root file system's st_dev names its block
 * device directly (not for btrfs, zfs or overlay, whose st_dev is anonymous).
 */
static int root_sysdir_by_stat(const collector_t *c, char *dir, size_t size)
{
	struct stat st;

	if (c->sysroot || stat("/", &st) < 0 || major(st.st_dev) == 0)
		return -1;
	if (snprintf(dir, size, "sys/dev/block/%u:%u", major(st.st_dev), minor(st.st_dev)) >=
	    (int)size || !is_dir(c, dir))
		return -1;
	return 0;
}

static void collect_disk(const collector_t *c, ar_evidence_t *ev)
{
	mount_scan_t m = { "", 0 };
	char dir[PATH_MAX] = "", name[256] = "", method[32] = "";
	int have_dir, r;

	(void)file_lines(c, "proc/mounts", mounts_cb, &m);
	if (m.found && !strncmp(m.dev, "/dev/mapper/", 12))
		snprintf(name, sizeof(name), "%s", m.dev + 12);

	have_dir = root_sysdir_by_stat(c, dir, sizeof(dir)) == 0;
	if (!have_dir && name[0])
		have_dir = dm_by_name(c, name, dir, sizeof(dir)) == 0;
	if (!have_dir && m.found && !strncmp(m.dev, "/dev/", 5) && !strchr(m.dev + 5, '/') &&
	    strcmp(m.dev, "/dev/root"))
		have_dir = snprintf(dir, sizeof(dir), "sys/class/block/%s", m.dev + 5) <
			   (int)sizeof(dir) && is_dir(c, dir);

	r = have_dir ? crypt_in_stack(c, dir, 0, method, sizeof(method)) : -1;
	if (r < 0 && name[0]) {
		crypttab_scan_t ct = { name, 0, 0 };

		(void)file_lines(c, "etc/crypttab", crypttab_cb, &ct);
		if (ct.found) {
			r = 1;
			snprintf(method, sizeof(method), "%s", ct.plain ? "plain" : "luks");
		}
	}
	if (r < 0 && m.found && !strncmp(m.dev, "/dev/", 5) && strncmp(m.dev, "/dev/mapper/", 12) &&
	    strncmp(m.dev, "/dev/dm-", 8) && strcmp(m.dev, "/dev/root"))
		r = 0;	/* a plain partition: no dm-crypt below it */
	ev->disk_encrypted = r;
	if (r == 1)
		snprintf(ev->disk_method, sizeof(ev->disk_method), "%s", method);
	ar_debug("event=attest.disk device=%s encrypted=%d", m.found ? m.dev : "-", r);
}

/* --- EDR agent -------------------------------------------------------------- */

static void collect_edr(const collector_t *c, const char *process, ar_evidence_t *ev)
{
	char path[PATH_MAX], want[16], comm[64], rel[64];
	struct dirent *de;
	DIR *d;

	if (!process || !*process)
		return;
	snprintf(ev->edr_name, sizeof(ev->edr_name), "%s", process);
	/* The kernel keeps 15 characters of a process name (TASK_COMM_LEN). */
	snprintf(want, sizeof(want), "%s", process);
	if (path_of(c, "proc", path, sizeof(path)) < 0 || !(d = opendir(path))) {
		ev->edr_running = -1;
		return;
	}
	ev->edr_running = 0;
	while ((de = readdir(d))) {
		if (!isdigit((unsigned char)de->d_name[0]) ||
		    strspn(de->d_name, "0123456789") != strlen(de->d_name) ||
		    snprintf(rel, sizeof(rel), "proc/%s/comm", de->d_name) >= (int)sizeof(rel))
			continue;
		if (read_first_line(c, rel, comm, sizeof(comm)) == 0 && !strcmp(comm, want)) {
			ev->edr_running = 1;
			break;
		}
	}
	closedir(d);
}

/* --- key -------------------------------------------------------------------- */

static int collect_key(const ar_attest_opts_t *o, ar_evidence_t *ev, ar_err_t *err)
{
	ar_jwk_t *loaded = NULL;
	const ar_jwk_t *key = o->key;

	if (!key) {
		if (!o->key_path)
			return ar_err_set(err, AR_ERR_CONFIG, "no key configured");
		loaded = ar_jwk_load_pem(o->key_path, err);
		if (!loaded)
			return -1;
		key = loaded;
	}
	if (ar_jwk_type(key) == AR_JWK_OCT) {
		ar_jwk_free(loaded);
		return ar_err_set(err, AR_ERR_CONFIG, "the device key must be asymmetric");
	}
	snprintf(ev->key_jkt, sizeof(ev->key_jkt), "%s", ar_jwk_thumbprint(key));
	ar_jwk_free(loaded);
	if ((unsigned)o->key_storage > AR_KEY_PKCS11)
		return ar_err_set(err, AR_ERR_CONFIG, "unknown key storage class");
	ev->key_storage = o->key_storage;
	/* A file key can be copied; tpm and pkcs11 are declared, not proven. */
	ev->key_non_exportable = o->key_storage != AR_KEY_FILE;
	return 0;
}

/* --- the whole collection -------------------------------------------------- */

/* What we send must be what the verifier accepts: round-trip it. */
static int check_roundtrip(const ar_evidence_t *ev, ar_err_t *err)
{
	ar_evidence_t back;
	json_t *json = ar_evidence_to_json(ev);
	int rc;

	if (!json)
		return ar_err_set(err, AR_ERR_NOMEM, "out of memory");
	rc = ar_evidence_from_json(json, &back, err);
	json_decref(json);
	if (rc < 0)
		ar_err_prefix(err, "collected ");
	return rc;
}

int ar_attest_collect(const ar_attest_opts_t *o, const char *nonce, int64_t now,
		      ar_evidence_t *ev, ar_err_t *err)
{
	collector_t c;

	memset(ev, 0, sizeof(*ev));
	ev->disk_encrypted = -1;
	ev->edr_running = -1;
	ev->efi = -1;
	ev->secure_boot = -1;
	ev->key_non_exportable = -1;

	if (!nonce || !is_token(nonce, AR_EAR_NONCE_MAX)) {
		ar_err_set(err, AR_ERR_CONFIG, "nonce must be 1..%d printable characters",
			   AR_EAR_NONCE_MAX);
		goto error;
	}
	if (now <= 0) {
		ar_err_set(err, AR_ERR_CONFIG, "collection time must be positive");
		goto error;
	}
	if (init_root(&c, o->root, err) < 0)
		goto error;
	snprintf(ev->nonce, sizeof(ev->nonce), "%s", nonce);
	ev->collected_at = now;

	if (collect_key(o, ev, err) < 0 || collect_device_id(&c, o->device_id, ev, err) < 0)
		goto error;
	collect_os(&c, ev);
	collect_kernel(&c, ev);
	collect_hostname(&c, ev);
	collect_patch(&c, ev);
	collect_secure_boot(&c, ev);
	collect_disk(&c, ev);
	collect_edr(&c, o->edr_process, ev);

	if (o->override_path && ar_attest_apply_override_file(ev, o->override_path, err) < 0)
		goto error;
	if (check_roundtrip(ev, err) < 0)
		goto error;
	return 0;
error:
	memset(ev, 0, sizeof(*ev));
	return -1;
}
