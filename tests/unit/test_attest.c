/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The device attester: evidence collection against fake system trees that
 * each test builds under a fresh temporary directory.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "attest.h"
#include "cmw.h"
#include "fileio.h"
#include "verifier_proto.h"

#define NOW		1800000000
#define NONCE		"q1XvVb3m0aAkF8JHxqI2ZA"
#define MACHINE_ID	"4f1c2a9d5e6b7a8c9d0e1f2a3b4c5d6e"
#define SB_VAR		"sys/firmware/efi/efivars/SecureBoot-" AR_EFI_GLOBAL_GUID

static ar_jwk_t *device_key;

/* One fake root per test. */
typedef struct tree {
	char	root[64];
} tree_t;

static int group_setup(void **state)
{
	(void)state;
	/* apt's history is local time; make it UTC for the expected values. */
	setenv("TZ", "UTC0", 1);
	tzset();
	device_key = ar_jwk_generate("ES256", NULL);
	return device_key ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	ar_jwk_free(device_key);
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int tree_setup(void **state)
{
	tree_t *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	snprintf(t->root, sizeof(t->root), "/tmp/ar-attest-XXXXXX");
	if (!mkdtemp(t->root)) {
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

static int tree_teardown(void **state)
{
	tree_t *t = *state;

	nftw(t->root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(t);
	return 0;
}

/* mkdir -p of the parent directories of @rel under the tree. */
static void mkparents(const tree_t *t, const char *rel)
{
	char path[512];
	char *p;

	snprintf(path, sizeof(path), "%s/%s", t->root, rel);
	for (p = path + strlen(t->root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			fail_msg("mkdir %s: %s", path, strerror(errno));
		*p = '/';
	}
}

static void put_bytes(const tree_t *t, const char *rel, const void *data, size_t len)
{
	char path[512];
	ar_err_t err = { 0 };

	mkparents(t, rel);
	snprintf(path, sizeof(path), "%s/%s", t->root, rel);
	if (ar_file_write_atomic(path, data, len, 0644, &err) < 0)
		fail_msg("%s", err.msg);
}

static void put(const tree_t *t, const char *rel, const char *text)
{
	put_bytes(t, rel, text, strlen(text));
}

static void mkdirs(const tree_t *t, const char *rel)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "%s/.keep", rel);
	mkparents(t, buf);
}

static void set_mtime(const tree_t *t, const char *rel, time_t when)
{
	struct timeval tv[2] = { { when, 0 }, { when, 0 } };
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", t->root, rel);
	assert_int_equal(utimes(path, tv), 0);
}

static void link_at(const tree_t *t, const char *target, const char *rel)
{
	char path[512];

	mkparents(t, rel);
	snprintf(path, sizeof(path), "%s/%s", t->root, rel);
	assert_int_equal(symlink(target, path), 0);
}

static ar_attest_opts_t opts_for(const tree_t *t)
{
	ar_attest_opts_t o;

	memset(&o, 0, sizeof(o));
	o.root = t->root;
	o.key = device_key;
	o.key_storage = AR_KEY_FILE;
	return o;
}

/* Collect from the tree with a machine id in place. */
static void collect(const tree_t *t, const ar_attest_opts_t *o, ar_evidence_t *ev)
{
	ar_err_t err = { 0 };
	char path[512];

	snprintf(path, sizeof(path), "%s/etc/machine-id", t->root);
	if (access(path, F_OK) < 0)
		put(t, "etc/machine-id", MACHINE_ID "\n");
	if (ar_attest_collect(o, NONCE, NOW, ev, &err) < 0)
		fail_msg("collect: %s", err.msg);
}

static void collect_default(const tree_t *t, ar_evidence_t *ev)
{
	ar_attest_opts_t o = opts_for(t);

	collect(t, &o, ev);
}

/* --- os-release --------------------------------------------------------- */

static void test_os_release_quoted_values_are_unquoted(void **state)
{
	const tree_t *t = *state;
	ar_evidence_t ev;

	put(t, "etc/os-release",
	    "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"
	    "# a comment\n"
	    "NAME=\"Debian GNU/Linux\"\n"
	    "VERSION_ID=\"12\"\n"
	    "ID='debian'\n"
	    "HOME_URL=\"https://www.debian.org/\"\n");
	collect_default(t, &ev);
	assert_string_equal(ev.os_id, "debian");
	assert_string_equal(ev.os_version, "12");
}

static void test_os_release_unquoted_and_escaped_values(void **state)
{
	const tree_t *t = *state;
	ar_evidence_t ev;

	put(t, "etc/os-release", "ID=ubuntu\nVERSION_ID=\"24.\\\"04\"\nID_LIKE=debian\n");
	collect_default(t, &ev);
	assert_string_equal(ev.os_id, "ubuntu");
	assert_string_equal(ev.os_version, "24.\"04");

	/* A broken assignment is ignored; the valid one stands. */
	put(t, "etc/os-release", "VERSION_ID=22.04\nID=\"fedora\nVERSION_ID=1 2\nID=arch\n");
	collect_default(t, &ev);
	assert_string_equal(ev.os_id, "arch");
	assert_string_equal(ev.os_version, "22.04");
}

static void test_os_release_missing_leaves_os_unknown(void **state)
{
	const tree_t *t = *state;
	ar_evidence_t ev;

	collect_default(t, &ev);
	assert_string_equal(ev.os_id, "");
	assert_string_equal(ev.os_version, "");

	/* /usr/lib/os-release is the fallback; ID defaults to "linux". */
	put(t, "usr/lib/os-release", "NAME=Linux\nVERSION_ID=7\n");
	collect_default(t, &ev);
	assert_string_equal(ev.os_id, "linux");
	assert_string_equal(ev.os_version, "7");
}

static void test_kernel_and_hostname_come_from_the_sysroot(void **state)
{
	const tree_t *t = *state;
	ar_evidence_t ev;

	put(t, "proc/sys/kernel/osrelease", "6.1.0-26-amd64\n");
	put(t, "etc/hostname", "# set by the installer\ninspector-7\n");
	collect_default(t, &ev);
	assert_string_equal(ev.kernel, "6.1.0-26-amd64");
	assert_string_equal(ev.hostname, "inspector-7");
}

/* --- last security update ------------------------------------------------ */

#define ENTRY(start, what, end) \
	"\nStart-Date: " start "\nCommandline: apt-get -y upgrade\n" what "\nEnd-Date: " end "\n"

static void test_apt_history_newest_upgrade_end_date_wins(void **state)
{
	const tree_t *t = *state;
	ar_evidence_t ev;

	put(t, "var/log/apt/history.log",
	    ENTRY("2026-10-01  09:00:00", "Upgrade: libssl3:amd64 (3.0.11-1~deb12u1, 3.0.11-1~deb12u2)",
		  "2026-10-01  09:00:40")
	    ENTRY("2026-11-01  10:22:01", "Upgrade: openssh-server:amd64 (1:9.2p1-2+deb12u2, "
		  "1:9.2p1-2+deb12u3)", "2026-11-01  10:22:31")
	    ENTRY("2026-12-24  18:00:00", "Install: cowsay:amd64 (3.03+dfsg2-8)",
		  "2026-12-24  18:00:05"));
	/* The rotated log is older; an entry there does not win. */
	put(t, "var/log/apt/history.log.1",
	    ENTRY("2026-09-01  00:00:00", "Upgrade: bash:amd64 (5.2.15-2, 5.2.15-2+b2)",
		  "2026-09-01  00:00:10"));
	collect_default(t, &ev);
	/* 2026-11-01T10:22:31Z; the later Install-only entry does not count. */
	assert_int_equal(ev.last_security_update, 1793528551);
}

static void test_apt_history_rotated_log_counts(void **state)
{
	const tree_t *t = *state;
	ar_evidence_t ev;

	put(t, "var/log/apt/history.log",
	    ENTRY("2026-12-24  18:00:00", "Remove: cowsay:amd64 (3.03+dfsg2-8)",
		  "2026-12-24  18:00:05"));
	put(t, "var/log/apt/history.log.1",
	    ENTRY("2026-11-01  10:22:01", "Upgrade: libc6:amd64 (2.36-9+deb12u7, 2.36-9+deb12u8)",
		  "2026-11-01  10:22:31"));
	collect_default(t, &ev);
	assert_int_equal(ev.last_security_update, 1793528551);
}

static void test_apt_history_ignores_malformed_lines(void **state)
{
	static const char text[] =
		"garbage without a colon\n"
		"Start-Date: 2026-11-01  10:00:00\n"
		"Upgrade: a:amd64 (1, 2)\n"
		"End-Date: 2026-13-01  10:00:00\n"		/* no month 13 */
		"\n"
		"Start-Date: 2026-11-02  10:00:00\n"
		"Upgrade: b:amd64 (1, 2)\n"
		"End-Date: 2026-11-02 10:00\n"			/* no seconds */
		"\n"
		"Upgrade: c:amd64 (1, 2)\n"
		"End-Date: 2026-11-03  10:00:00 trailing\n"
		"\n"
		"Start-Date: 2026-11-04  10:00:00\n"
		"Upgrade: d:amd64 (1, 2)\n"
		"\n"						/* interrupted: no End-Date */
		"End-Date: 2026-11-05  10:00:00\n"		/* belongs to no upgrade */
		"Start-Date: 2025-01-01  00:00:00\n"
		"Upgrade: e:amd64 (1, 2)\n"
		"End-Date: 2025-01-01  00:00:09";		/* valid, no final newline */

	(void)state;
	assert_int_equal(ar_attest_apt_history_newest(text, sizeof(text) - 1), 1735689609);
	assert_int_equal(ar_attest_apt_history_newest("", 0), 0);
	assert_int_equal(ar_attest_apt_history_newest("End-Date:", 9), 0);
}

static void test_apt_history_accepts_very_long_upgrade_lines(void **state)
{
	const tree_t *t = *state;
	size_t n = 200000, off = 0;
	ar_evidence_t ev;
	char *text = malloc(n + 200);

	assert_non_null(text);
	off += (size_t)snprintf(text, n, "Start-Date: 2026-11-01  10:22:01\nUpgrade: ");
	while (off < n - 40)
		off += (size_t)snprintf(text + off, n - off, "pkg%zu:amd64 (1, 2), ", off);
	snprintf(text + off, 200, "\nEnd-Date: 2026-11-01  10:22:31\n");
	put(t, "var/log/apt/history.log", text);
	free(text);
	collect_default(t, &ev);
	assert_int_equal(ev.last_security_update, 1793528551);
}

static void test_patch_falls_back_to_upgrade_stamp_then_dpkg_status(void **state)
{
	const tree_t *t = *state;
	ar_evidence_t ev;

	collect_default(t, &ev);
	assert_int_equal(ev.last_security_update, 0);

	put(t, "var/lib/dpkg/status", "Package: base-files\n");
	set_mtime(t, "var/lib/dpkg/status", 1790000000);
	collect_default(t, &ev);
	assert_int_equal(ev.last_security_update, 1790000000);

	put(t, "var/lib/apt/periodic/upgrade-stamp", "");
	set_mtime(t, "var/lib/apt/periodic/upgrade-stamp", 1795000000);
	put(t, "var/log/apt/history.log",
	    ENTRY("2026-12-24  18:00:00", "Install: cowsay:amd64 (3.03+dfsg2-8)",
		  "2026-12-24  18:00:05"));
	collect_default(t, &ev);
	assert_int_equal(ev.last_security_update, 1795000000);
}

/* --- secure boot --------------------------------------------------------- */

static void test_secure_boot_enabled_from_efivar(void **state)
{
	static const unsigned char on[] = { 0x06, 0x00, 0x00, 0x00, 0x01 };
	const tree_t *t = *state;
	ar_evidence_t ev;

	put_bytes(t, SB_VAR, on, sizeof(on));
	collect_default(t, &ev);
	assert_int_equal(ev.efi, 1);
	assert_int_equal(ev.secure_boot, 1);
}

static void test_secure_boot_disabled_from_efivar(void **state)
{
	static const unsigned char off[] = { 0x06, 0x00, 0x00, 0x00, 0x00 };
	const tree_t *t = *state;
	ar_evidence_t ev;

	put_bytes(t, SB_VAR, off, sizeof(off));
	collect_default(t, &ev);
	assert_int_equal(ev.efi, 1);
	assert_int_equal(ev.secure_boot, 0);
}

static void test_secure_boot_off_without_efi_unknown_without_efivar(void **state)
{
	static const unsigned char junk[] = { 0x06, 0x00, 0x00, 0x00, 0x07 };
	const tree_t *t = *state;
	ar_evidence_t ev;

	/* Legacy BIOS boot. */
	collect_default(t, &ev);
	assert_int_equal(ev.efi, 0);
	assert_int_equal(ev.secure_boot, 0);

	/* UEFI, but efivarfs is not mounted: unknown. */
	mkdirs(t, "sys/firmware/efi/efivars");
	collect_default(t, &ev);
	assert_int_equal(ev.efi, 1);
	assert_int_equal(ev.secure_boot, -1);

	/* Variables readable, none named SecureBoot: the firmware has none. */
	put(t, "sys/firmware/efi/efivars/BootOrder-" AR_EFI_GLOBAL_GUID, "\x07");
	collect_default(t, &ev);
	assert_int_equal(ev.secure_boot, 0);

	/* A value other than 0 or 1 is not understood. */
	put_bytes(t, SB_VAR, junk, sizeof(junk));
	collect_default(t, &ev);
	assert_int_equal(ev.secure_boot, -1);
}

/* --- EDR agent ------------------------------------------------------------ */

static void test_edr_running_when_a_process_has_its_name(void **state)
{
	const tree_t *t = *state;
	ar_attest_opts_t o = opts_for(t);
	ar_evidence_t ev;

	put(t, "proc/1/comm", "systemd\n");
	put(t, "proc/812/comm", "falcon-sensor\n");
	put(t, "proc/self/comm", "falcon-sensor\n");	/* not a pid: ignored */
	o.edr_process = "falcon-sensor";
	collect(t, &o, &ev);
	assert_int_equal(ev.edr_running, 1);
	assert_string_equal(ev.edr_name, "falcon-sensor");

	/* The kernel keeps 15 characters of a name. */
	put(t, "proc/900/comm", "sentinel-agent-\n");
	o.edr_process = "sentinel-agent-daemon";
	collect(t, &o, &ev);
	assert_int_equal(ev.edr_running, 1);
}

static void test_edr_not_running_and_not_reported_when_unconfigured(void **state)
{
	const tree_t *t = *state;
	ar_attest_opts_t o = opts_for(t);
	ar_evidence_t ev;

	put(t, "proc/1/comm", "systemd\n");
	put(t, "proc/812/comm", "falcon-sensorX\n");
	o.edr_process = "falcon-sensor";
	collect(t, &o, &ev);
	assert_int_equal(ev.edr_running, 0);

	o.edr_process = NULL;
	collect(t, &o, &ev);
	assert_int_equal(ev.edr_running, -1);
	assert_string_equal(ev.edr_name, "");
}

/* --- disk encryption ------------------------------------------------------- */

static void test_disk_encrypted_via_dm_uuid(void **state)
{
	const tree_t *t = *state;
	ar_evidence_t ev;

	put(t, "proc/mounts", "sysfs /sys sysfs rw 0 0\n"
	    "/dev/mapper/root / ext4 rw,relatime 0 0\n"
	    "tmpfs /run tmpfs rw 0 0\n");
	put(t, "sys/class/block/dm-0/dm/name", "root\n");
	put(t, "sys/class/block/dm-0/dm/uuid", "CRYPT-LUKS2-0f1e2d3c4b5a69788796a5b4c3d2e1f0-root\n");
	collect_default(t, &ev);
	assert_int_equal(ev.disk_encrypted, 1);
	assert_string_equal(ev.disk_method, "luks");
}

static void test_disk_encrypted_via_lvm_on_luks(void **state)
{
	const tree_t *t = *state;
	ar_evidence_t ev;

	put(t, "proc/mounts", "/dev/mapper/vg0-root / ext4 rw 0 0\n");
	put(t, "sys/block/dm-1/dm/name", "vg0-root\n");
	put(t, "sys/block/dm-1/dm/uuid", "LVM-abcdef\n");
	put(t, "sys/block/dm-0/dm/name", "nvme0n1p3_crypt\n");
	put(t, "sys/block/dm-0/dm/uuid", "CRYPT-PLAIN-nvme0n1p3_crypt\n");
	link_at(t, "../../dm-0", "sys/block/dm-1/slaves/dm-0");
	collect_default(t, &ev);
	assert_int_equal(ev.disk_encrypted, 1);
	assert_string_equal(ev.disk_method, "plain");
}

static void test_disk_dm_verity_is_not_encryption(void **state)
{
	const tree_t *t = *state;
	ar_evidence_t ev;

	put(t, "proc/mounts", "/dev/dm-0 / ext4 ro 0 0\n");
	put(t, "sys/class/block/dm-0/dm/uuid", "CRYPT-VERITY-1234-root\n");
	mkdirs(t, "sys/class/block/dm-0/slaves");
	collect_default(t, &ev);
	assert_int_equal(ev.disk_encrypted, 0);
	assert_string_equal(ev.disk_method, "");
}

static void test_disk_encrypted_via_crypttab(void **state)
{
	const tree_t *t = *state;
	ar_evidence_t ev;

	put(t, "proc/mounts", "/dev/mapper/sda2_crypt / ext4 rw 0 0\n");
	put(t, "etc/crypttab", "# <target> <source> <key file> <options>\n"
	    "swap_crypt /dev/sda3 /dev/urandom swap,cipher=aes-xts-plain64\n"
	    "sda2_crypt UUID=0b6c1f0e-5a4d-4e0b-9a34-7a7d2e1c9f11 none luks,discard\n");
	collect_default(t, &ev);
	assert_int_equal(ev.disk_encrypted, 1);
	assert_string_equal(ev.disk_method, "luks");

	/* Not listed: unknown. */
	put(t, "etc/crypttab", "home_crypt /dev/sda4 none luks\n");
	collect_default(t, &ev);
	assert_int_equal(ev.disk_encrypted, -1);
}

static void test_disk_plain_partition_and_unknown_roots(void **state)
{
	const tree_t *t = *state;
	ar_evidence_t ev;

	put(t, "proc/mounts", "/dev/nvme0n1p2 / ext4 rw 0 0\n");
	collect_default(t, &ev);
	assert_int_equal(ev.disk_encrypted, 0);

	put(t, "proc/mounts", "overlay / overlay rw,lowerdir=/a,upperdir=/b 0 0\n");
	collect_default(t, &ev);
	assert_int_equal(ev.disk_encrypted, -1);

	/* The last mount of "/" is the one in effect. */
	put(t, "proc/mounts", "/dev/sda1 / ext4 rw 0 0\n/dev/mapper/root / ext4 rw 0 0\n");
	collect_default(t, &ev);
	assert_int_equal(ev.disk_encrypted, -1);

	put(t, "proc/mounts", "");
	collect_default(t, &ev);
	assert_int_equal(ev.disk_encrypted, -1);
}

/* --- key and device identity ----------------------------------------------- */

static void test_key_thumbprint_matches_jwk_thumbprint(void **state)
{
	const tree_t *t = *state;
	ar_attest_opts_t o = opts_for(t);
	ar_err_t err = { 0 };
	ar_evidence_t ev;
	char path[512];
	char *pem;

	pem = ar_jwk_to_pem(device_key, 1, &err);
	assert_non_null(pem);
	put(t, "key.pem", pem);
	free(pem);
	snprintf(path, sizeof(path), "%s/key.pem", t->root);
	o.key = NULL;
	o.key_path = path;
	collect(t, &o, &ev);
	assert_string_equal(ev.key_jkt, ar_jwk_thumbprint(device_key));
	assert_int_equal(ev.key_storage, AR_KEY_FILE);
	assert_int_equal(ev.key_non_exportable, 0);

	/* Hardware classes are declared by configuration (public key file). */
	pem = ar_jwk_to_pem(device_key, 0, &err);
	assert_non_null(pem);
	put(t, "key.pem", pem);
	free(pem);
	o.key_storage = AR_KEY_TPM;
	collect(t, &o, &ev);
	assert_string_equal(ev.key_jkt, ar_jwk_thumbprint(device_key));
	assert_int_equal(ev.key_storage, AR_KEY_TPM);
	assert_int_equal(ev.key_non_exportable, 1);
}

static void test_missing_key_or_bad_nonce_fails(void **state)
{
	const tree_t *t = *state;
	ar_attest_opts_t o = opts_for(t);
	ar_err_t err = { 0 };
	ar_evidence_t ev;
	char path[512];

	put(t, "etc/machine-id", MACHINE_ID "\n");
	snprintf(path, sizeof(path), "%s/absent.pem", t->root);
	o.key = NULL;
	o.key_path = path;
	assert_int_equal(ar_attest_collect(&o, NONCE, NOW, &ev, &err), -1);
	assert_err(&err, AR_ERR_IO, "absent.pem");
	assert_string_equal(ev.device_id, "");

	o.key_path = NULL;
	assert_int_equal(ar_attest_collect(&o, NONCE, NOW, &ev, &err), -1);
	assert_err(&err, AR_ERR_CONFIG, "no key");

	o = opts_for(t);
	assert_int_equal(ar_attest_collect(&o, "two words", NOW, &ev, &err), -1);
	assert_err(&err, AR_ERR_CONFIG, "nonce");
	assert_int_equal(ar_attest_collect(&o, "", NOW, &ev, &err), -1);
	assert_err(&err, AR_ERR_CONFIG, "nonce");
}

static void test_device_id_from_machine_id_unless_configured(void **state)
{
	const tree_t *t = *state;
	ar_attest_opts_t o = opts_for(t);
	ar_err_t err = { 0 };
	ar_evidence_t ev;

	collect(t, &o, &ev);
	assert_string_equal(ev.device_id, MACHINE_ID);

	o.device_id = "SUB-0042";
	collect(t, &o, &ev);
	assert_string_equal(ev.device_id, "SUB-0042");

	o.device_id = "asset tag";
	assert_int_equal(ar_attest_collect(&o, NONCE, NOW, &ev, &err), -1);
	assert_err(&err, AR_ERR_CONFIG, "device id");

	/* A machine id that is not 32 hex digits is not an identity. */
	o.device_id = NULL;
	put(t, "etc/machine-id", "uninitialized\n");
	assert_int_equal(ar_attest_collect(&o, NONCE, NOW, &ev, &err), -1);
	assert_err(&err, AR_ERR_CONFIG, "machine-id");
	put(t, "var/lib/dbus/machine-id", MACHINE_ID "\n");
	collect(t, &o, &ev);
	assert_string_equal(ev.device_id, MACHINE_ID);
}

/* --- overrides ------------------------------------------------------------- */

static void test_overrides_replace_collected_values(void **state)
{
	const tree_t *t = *state;
	ar_attest_opts_t o = opts_for(t);
	ar_evidence_t ev;
	char path[512];

	put(t, "proc/1/comm", "falcon-sensor\n");
	put(t, "etc/os-release", "ID=debian\nVERSION_ID=12\n");
	put(t, "override.json",
	    "{\"patch\": {\"last_security_update\": 1600000000},"
	    " \"edr\": {\"running\": false},"
	    " \"os\": {\"version_id\": \"10\"},"
	    " \"secure_boot\": {\"efi\": true, \"enabled\": null},"
	    " \"disk_encryption\": {\"root_encrypted\": true, \"method\": \"luks\"}}");
	snprintf(path, sizeof(path), "%s/override.json", t->root);
	o.edr_process = "falcon-sensor";
	o.override_path = path;
	collect(t, &o, &ev);
	assert_int_equal(ev.last_security_update, 1600000000);
	assert_int_equal(ev.edr_running, 0);
	assert_string_equal(ev.edr_name, "falcon-sensor");
	assert_string_equal(ev.os_id, "debian");
	assert_string_equal(ev.os_version, "10");
	assert_int_equal(ev.efi, 1);
	assert_int_equal(ev.secure_boot, -1);
	assert_int_equal(ev.disk_encrypted, 1);
	assert_string_equal(ev.disk_method, "luks");
	assert_string_equal(ev.nonce, NONCE);
}

static void test_overrides_reject_malformed_documents(void **state)
{
	static const char *const bad[] = {
		"",
		"[]",
		"{\"patch\": {\"last_security_update\": \"yesterday\"}}",
		"{\"patch\": {\"last_security_update\": -5}}",
		"{\"edr\": {\"running\": 1}}",
		"{\"edr\": {\"runing\": false}}",
		"{\"firmware\": {}}",
		"{\"edr\": true}",
		"{\"key\": {\"storage\": \"floppy\"}}",
		"{\"key\": {\"jkt\": \"short\"}}",
		"{\"device\": {\"id\": \"\"}}",
		"{\"nonce\": null}",
		"{\"os\": {\"id\": \"debian\", \"id\": \"ubuntu\"}}",
		"{\"os\": {\"kernel\": \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}}",
		"{\"os\": {\"id\": \"deb\\u0000ian\"}}",
	};
	const tree_t *t = *state;
	ar_evidence_t ev, before;
	ar_err_t err = { 0 };
	size_t i;

	collect_default(t, &ev);
	before = ev;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (ar_attest_apply_overrides(&ev, bad[i], strlen(bad[i]), &err) == 0)
			fail_msg("accepted override %zu: %s", i, bad[i]);
		assert_int_equal(err.code, AR_ERR_MALFORMED);
		assert_memory_equal(&ev, &before, sizeof(ev));
	}
}

static void test_malformed_override_file_fails_collection(void **state)
{
	const tree_t *t = *state;
	ar_attest_opts_t o = opts_for(t);
	ar_err_t err = { 0 };
	ar_evidence_t ev;
	char path[512];

	put(t, "etc/machine-id", MACHINE_ID "\n");
	put(t, "override.json", "{\"edr\": {\"running\": \"no\"}}");
	snprintf(path, sizeof(path), "%s/override.json", t->root);
	o.override_path = path;
	assert_int_equal(ar_attest_collect(&o, NONCE, NOW, &ev, &err), -1);
	assert_err(&err, AR_ERR_MALFORMED, "edr.running");
	assert_non_null(strstr(err.msg, "override.json"));

	snprintf(path, sizeof(path), "%s/missing.json", t->root);
	assert_int_equal(ar_attest_collect(&o, NONCE, NOW, &ev, &err), -1);
	assert_err(&err, AR_ERR_IO, "missing.json");
}

/* --- the whole document ------------------------------------------------------ */

static void test_collected_evidence_is_what_the_verifier_parses(void **state)
{
	static const unsigned char on[] = { 0x06, 0x00, 0x00, 0x00, 0x01 };
	const tree_t *t = *state;
	ar_attest_opts_t o = opts_for(t);
	ar_evidence_t ev, back;
	ar_err_t err = { 0 };
	json_t *json;
	char *text;

	put(t, "etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n");
	put(t, "proc/sys/kernel/osrelease", "6.1.0-26-amd64\n");
	put(t, "etc/hostname", "inspector-7\n");
	put(t, "proc/mounts", "/dev/dm-0 / ext4 rw 0 0\n");
	put(t, "sys/class/block/dm-0/dm/uuid", "CRYPT-LUKS2-00-root\n");
	put(t, "proc/4242/comm", "falcon-sensor\n");
	put_bytes(t, SB_VAR, on, sizeof(on));
	put(t, "var/log/apt/history.log",
	    ENTRY("2026-11-01  10:22:01", "Upgrade: libc6:amd64 (1, 2)", "2026-11-01  10:22:31"));
	o.edr_process = "falcon-sensor";
	o.device_id = "SUB-0042";
	collect(t, &o, &ev);

	json = ar_evidence_to_json(&ev);
	assert_non_null(json);
	text = json_dumps(json, JSON_COMPACT);
	json_decref(json);
	assert_non_null(text);
	assert_int_equal(ar_evidence_parse(text, strlen(text), &back, &err), 0);
	free(text);
	assert_memory_equal(&ev, &back, sizeof(ev));
	assert_int_equal(back.collected_at, NOW);
	assert_string_equal(back.nonce, NONCE);
	assert_string_equal(back.device_id, "SUB-0042");
	assert_string_equal(back.hostname, "inspector-7");
	assert_string_equal(back.kernel, "6.1.0-26-amd64");
	assert_int_equal(back.last_security_update, 1793528551);
	assert_int_equal(back.disk_encrypted, 1);
	assert_int_equal(back.edr_running, 1);
	assert_int_equal(back.secure_boot, 1);
}


/* --- the helper's parsers of verifier responses ------------------------------ */

#define BASE	"https://verifier.test:8443"

static void test_session_response_is_parsed(void **state)
{
	static const char body[] =
		"{\"nonce\": \"" NONCE "\", \"expiry\": \"2026-11-23T09:10:00Z\","
		" \"accept\": [\"application/vnd.acme-rats.evidence+json\", \"application/jose+json\"],"
		" \"state\": \"waiting\", \"extension\": {\"ignored\": true}}";
	static const char veraison[] = "{\"nonce\": \"q1XvVb3m0aAkF8JHxqI2ZA==\"}";
	vp_session_t s;
	ar_err_t err = { 0 };

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_int_equal(vp_parse_session(body, sizeof(body) - 1, &s, &err), 0);
	assert_string_equal(s.nonce, NONCE);
	assert_string_equal(s.expiry, "2026-11-23T09:10:00Z");
	assert_int_equal(s.naccept, 2);
	assert_true(vp_session_accepts(&s, AR_MT_EVIDENCE));
	assert_true(vp_session_accepts(&s, "Application/JOSE+JSON; charset=utf-8"));
	assert_false(vp_session_accepts(&s, "application/json"));

	/* Standard base64 (as Veraison writes nonces); no accept list: anything goes. */
	assert_int_equal(vp_parse_session(veraison, sizeof(veraison) - 1, &s, &err), 0);
	assert_string_equal(s.nonce, "q1XvVb3m0aAkF8JHxqI2ZA==");
	assert_string_equal(s.expiry, "");
	assert_true(vp_session_accepts(&s, AR_MT_EVIDENCE));
}

static void test_session_response_rejects_what_it_cannot_use(void **state)
{
	static const char *const bad[] = {
		"",
		"[]",
		"{}",
		"{\"nonce\": 5}",
		"{\"nonce\": \"\"}",
		"{\"nonce\": \"has space\"}",
		"{\"nonce\": \"abc===\"}",
		"{\"nonce\": \"" NONCE "\", \"state\": \"complete\"}",
		"{\"nonce\": \"" NONCE "\", \"accept\": \"application/jose+json\"}",
		"{\"nonce\": \"" NONCE "\", \"accept\": [7]}",
		"{\"nonce\": \"" NONCE "\", \"expiry\": \"tomorrow at noon\"}",
		"{\"nonce\": \"" NONCE "\", \"nonce\": \"" NONCE "\"}",
		"{\"nonce\": \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}",
	};
	vp_session_t s;
	ar_err_t err = { 0 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (vp_parse_session(bad[i], strlen(bad[i]), &s, &err) == 0)
			fail_msg("accepted session %zu: %s", i, bad[i]);
		assert_int_equal(err.code, AR_ERR_MALFORMED);
	}
}

static void test_session_location_stays_on_the_verifier_origin(void **state)
{
	static const char *const bad[] = {
		"",
		"session/abc",
		"//evil.test/challenge-response/v1/session/abc",
		"https://evil.test/challenge-response/v1/session/abc",
		"https://verifier.test:8443.evil.test/session/abc",
		"https://verifier.test:8444/session/abc",
		"http://verifier.test:8443/session/abc",
		"/challenge-response/v1/session/a b",
		"/challenge-response/v1/session/abc#frag",
	};
	char url[VP_URL_MAX];
	ar_err_t err = { 0 };
	size_t i;

	(void)state;
	assert_int_equal(vp_resolve_location(BASE "/soc", "/challenge-response/v1/session/abc",
					     url, sizeof(url), &err), 0);
	assert_string_equal(url, BASE "/challenge-response/v1/session/abc");
	assert_int_equal(vp_resolve_location(BASE, BASE "/challenge-response/v1/session/x?y=1",
					     url, sizeof(url), &err), 0);
	assert_string_equal(url, BASE "/challenge-response/v1/session/x?y=1");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (vp_resolve_location(BASE, bad[i], url, sizeof(url), &err) == 0)
			fail_msg("accepted Location %zu: %s", i, bad[i]);
		assert_int_equal(err.code, AR_ERR_MALFORMED);
	}
}

static void test_verifier_url_is_https_and_normalised(void **state)
{
	static const char *const bad[] = {
		"http://verifier.test", "https://", "verifier.test:8443", "https://u:p@verifier.test",
		"https://verifier.test/?x=1", "https://verifier.test/#top", "https://verifier .test",
	};
	char url[VP_BASE_MAX];
	ar_err_t err = { 0 };
	size_t i;

	(void)state;
	assert_int_equal(vp_base_url(BASE "//", url, sizeof(url), &err), 0);
	assert_string_equal(url, BASE);
	assert_int_equal(vp_base_url("HTTPS://verifier.test/soc/", url, sizeof(url), &err), 0);
	assert_string_equal(url, "HTTPS://verifier.test/soc");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (vp_base_url(bad[i], url, sizeof(url), &err) == 0)
			fail_msg("accepted verifier URL %s", bad[i]);
		assert_int_equal(err.code, AR_ERR_CONFIG);
	}
}

/* A signed EAR for NONCE, bound to the device key, wrapped as the verifier does. */
static char *signed_ear(ar_jwk_t *vkey, ar_status_t status)
{
	ar_ear_t ear;

	memset(&ear, 0, sizeof(ear));
	ear.iat = NOW;
	snprintf(ear.nonce, sizeof(ear.nonce), "%s", NONCE);
	snprintf(ear.verifier_developer, sizeof(ear.verifier_developer), "acme-rats");
	snprintf(ear.jkt, sizeof(ear.jkt), "%s", ar_jwk_thumbprint(device_key));
	ear.nsubmods = 1;
	snprintf(ear.submods[0].name, sizeof(ear.submods[0].name), "device");
	ear.submods[0].status = status;
	ear.submods[0].tv.v[AR_TV_INSTANCE_IDENTITY] = 2;
	ear.submods[0].tv.v[AR_TV_EXECUTABLES] = status == AR_STATUS_AFFIRMING ? 2 : 96;
	return ar_ear_sign(&ear, vkey, NULL);
}

static char *cmw_text(const char *type, const char *value, unsigned ind)
{
	json_t *rec = ar_cmw_record(type, value, strlen(value), ind);
	char *text = rec ? json_dumps(rec, JSON_COMPACT) : NULL;

	json_decref(rec);
	assert_non_null(text);
	return text;
}

static void test_result_cmw_yields_the_ear(void **state)
{
	ar_jwk_t *vkey = ar_jwk_generate("ES256", NULL);
	char *ear_jwt, *body, *jwt = NULL, coll[8192];
	ar_err_t err = { 0 };
	ar_ear_t ear;

	(void)state;
	assert_non_null(vkey);
	ear_jwt = signed_ear(vkey, AR_STATUS_CONTRAINDICATED);
	assert_non_null(ear_jwt);

	body = cmw_text(AR_MT_EAR, ear_jwt, AR_CMW_IND_RESULTS);
	assert_int_equal(vp_parse_result("application/cmw+json", body, strlen(body), &jwt, &err), 0);
	assert_string_equal(jwt, ear_jwt);
	assert_int_equal(vp_ear_peek(jwt, strlen(jwt), &ear, &err), 0);
	assert_string_equal(ear.nonce, NONCE);
	assert_string_equal(ear.jkt, ar_jwk_thumbprint(device_key));
	assert_int_equal(ear.nsubmods, 1);
	assert_int_equal(ar_ear_status(&ear), AR_STATUS_CONTRAINDICATED);
	free(jwt);

	/* The collection form works too. */
	snprintf(coll, sizeof(coll), "{\"__cmwc_t\": \"tag:acme-rats,2026:result\", \"ear\": %s}", body);
	assert_int_equal(vp_parse_result("application/cmw+json; charset=utf-8", coll, strlen(coll),
					 &jwt, &err), 0);
	assert_string_equal(jwt, ear_jwt);
	free(jwt);
	free(body);
	free(ear_jwt);
	ar_jwk_free(vkey);
}

static void test_result_without_an_ear_is_rejected(void **state)
{
	char *body, *jwt = NULL;
	ar_err_t err = { 0 };

	(void)state;
	body = cmw_text(AR_MT_EAR, "aaa.bbb.ccc", 0);
	assert_int_equal(vp_parse_result("application/json", body, strlen(body), &jwt, &err), -1);
	assert_err(&err, AR_ERR_MALFORMED, "Content-Type");
	assert_null(jwt);
	free(body);

	body = cmw_text(AR_MT_EVIDENCE, "{}", AR_CMW_IND_EVIDENCE);
	assert_int_equal(vp_parse_result(VP_MT_CMW, body, strlen(body), &jwt, &err), -1);
	assert_err(&err, AR_ERR_NOT_FOUND, "EAR");
	free(body);

	body = cmw_text(AR_MT_EAR, "aaa.bbb.ccc", AR_CMW_IND_EVIDENCE);
	assert_int_equal(vp_parse_result(VP_MT_CMW, body, strlen(body), &jwt, &err), -1);
	assert_err(&err, AR_ERR_MALFORMED, "indicator");
	free(body);

	body = cmw_text(AR_MT_EAR, "not a jwt", AR_CMW_IND_RESULTS);
	assert_int_equal(vp_parse_result(VP_MT_CMW, body, strlen(body), &jwt, &err), -1);
	assert_err(&err, AR_ERR_MALFORMED, "compact JWT");
	free(body);

	/* Two results in one answer: refused, not the first taken. */
	{
		char *one = cmw_text(AR_MT_EAR, "aaa.bbb.ccc", AR_CMW_IND_RESULTS), two[1024];

		snprintf(two, sizeof(two), "{\"a\": %s, \"b\": %s}", one, one);
		assert_int_equal(vp_parse_result(VP_MT_CMW, two, strlen(two), &jwt, &err), -1);
		assert_err(&err, AR_ERR_MALFORMED, "2 attestation results");
		assert_null(jwt);
		free(one);
	}

	assert_int_equal(vp_parse_result(VP_MT_CMW, "[1,2", 4, &jwt, &err), -1);
	assert_int_equal(err.code, AR_ERR_MALFORMED);
	assert_int_equal(vp_ear_peek("aaa.bbb.ccc", 11, &(ar_ear_t){ 0 }, &err), -1);
}

static void test_problem_text_shows_detail_and_hides_control_characters(void **state)
{
	static const char problem[] =
		"{\"type\": \"urn:acme-rats:verifier:error:badEvidence\","
		" \"detail\": \"nonce does not match\\u001b[2J the session\"}";
	char text[256];

	(void)state;
	vp_problem_text("application/problem+json", problem, sizeof(problem) - 1, text,
			sizeof(text));
	assert_string_equal(text, "nonce does not match?[2J the session "
			    "[urn:acme-rats:verifier:error:badEvidence]");
	vp_problem_text("text/html", "<html>", 6, text, sizeof(text));
	assert_string_equal(text, "no problem document (Content-Type \"text/html\")");
	vp_problem_text("application/problem+json", "{\"detail\": 5}", 13, text, 16);
	assert_int_equal(strlen(text), 15);
}

#define TREE_TEST(f)	cmocka_unit_test_setup_teardown(f, tree_setup, tree_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TREE_TEST(test_os_release_quoted_values_are_unquoted),
		TREE_TEST(test_os_release_unquoted_and_escaped_values),
		TREE_TEST(test_os_release_missing_leaves_os_unknown),
		TREE_TEST(test_kernel_and_hostname_come_from_the_sysroot),
		TREE_TEST(test_apt_history_newest_upgrade_end_date_wins),
		TREE_TEST(test_apt_history_rotated_log_counts),
		cmocka_unit_test(test_apt_history_ignores_malformed_lines),
		TREE_TEST(test_apt_history_accepts_very_long_upgrade_lines),
		TREE_TEST(test_patch_falls_back_to_upgrade_stamp_then_dpkg_status),
		TREE_TEST(test_secure_boot_enabled_from_efivar),
		TREE_TEST(test_secure_boot_disabled_from_efivar),
		TREE_TEST(test_secure_boot_off_without_efi_unknown_without_efivar),
		TREE_TEST(test_edr_running_when_a_process_has_its_name),
		TREE_TEST(test_edr_not_running_and_not_reported_when_unconfigured),
		TREE_TEST(test_disk_encrypted_via_dm_uuid),
		TREE_TEST(test_disk_encrypted_via_lvm_on_luks),
		TREE_TEST(test_disk_dm_verity_is_not_encryption),
		TREE_TEST(test_disk_encrypted_via_crypttab),
		TREE_TEST(test_disk_plain_partition_and_unknown_roots),
		TREE_TEST(test_key_thumbprint_matches_jwk_thumbprint),
		TREE_TEST(test_missing_key_or_bad_nonce_fails),
		TREE_TEST(test_device_id_from_machine_id_unless_configured),
		TREE_TEST(test_overrides_replace_collected_values),
		TREE_TEST(test_overrides_reject_malformed_documents),
		TREE_TEST(test_malformed_override_file_fails_collection),
		TREE_TEST(test_collected_evidence_is_what_the_verifier_parses),
		cmocka_unit_test(test_session_response_is_parsed),
		cmocka_unit_test(test_session_response_rejects_what_it_cannot_use),
		cmocka_unit_test(test_session_location_stays_on_the_verifier_origin),
		cmocka_unit_test(test_verifier_url_is_https_and_normalised),
		cmocka_unit_test(test_result_cmw_yields_the_ear),
		cmocka_unit_test(test_result_without_an_ear_is_rejected),
		cmocka_unit_test(test_problem_text_shows_detail_and_hides_control_characters),
	};

	return cmocka_run_group_tests_name("attest", tests, group_setup, group_teardown);
}
