/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of whole-file reads with a cap and atomic replacement (lib/fileio.c). */
#include "config.h"

#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "fileio.h"

static char dir[] = "/tmp/acmerats-fileio.XXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char path[128];

	(void)state;
	snprintf(path, sizeof(path), "%s/f", dir);
	unlink(path);
	return rmdir(dir);
}

static void write_n(const char *path, size_t n)
{
	char *data = malloc(n + 1);

	assert_non_null(data);
	memset(data, 'x', n);
	assert_int_equal(ar_file_write_atomic(path, data, n, 0600, NULL), 0);
	free(data);
}

static void test_file_read_takes_whole_procfs_file_that_reports_size_zero(void **state)
{
	size_t len, flen = 0;
	char *buf, chunk[4096];
	FILE *f;

	(void)state;
	/* procfs reports st_size 0; the whole file must still be read. */
	f = fopen("/proc/self/smaps", "r");
	assert_non_null(f);
	while (!feof(f))
		flen += fread(chunk, 1, sizeof(chunk), f);
	fclose(f);
	assert_true(flen > 4096);
	assert_int_equal(ar_file_read("/proc/self/smaps", 1 << 24, &buf, &len, NULL), 0);
	assert_true(len > 4096);
	assert_int_equal(buf[len], '\0');
	free(buf);
}

static void test_file_read_enforces_the_cap_exactly(void **state)
{
	char path[128], *buf;
	ar_err_t err = { 0 };
	size_t len;

	(void)state;
	snprintf(path, sizeof(path), "%s/f", dir);
	write_n(path, 1000);
	assert_int_equal(ar_file_read(path, 1000, &buf, &len, &err), 0);
	assert_int_equal(len, 1000);
	free(buf);
	assert_int_equal(ar_file_read(path, 999, &buf, &len, &err), -1);
	assert_int_equal(err.code, AR_ERR_TOO_LARGE);
	assert_null(buf);
	assert_int_equal(ar_file_read("/proc/self/smaps", 100, &buf, &len, &err), -1);
	assert_int_equal(err.code, AR_ERR_TOO_LARGE);
}

static void test_file_read_refuses_directories_and_missing_files(void **state)
{
	ar_err_t err = { 0 };
	size_t len;
	char *buf;

	(void)state;
	assert_int_equal(ar_file_read(dir, 100, &buf, &len, &err), -1);
	assert_err(&err, AR_ERR_IO, "not a regular file");
	assert_int_equal(ar_file_read("/nonexistent/x", 100, &buf, &len, &err), -1);
	assert_err(&err, AR_ERR_IO, "No such file");
}

static void test_atomic_write_replaces_and_sets_mode(void **state)
{
	char path[128], *buf;
	struct stat st;
	size_t len;

	(void)state;
	snprintf(path, sizeof(path), "%s/f", dir);
	assert_int_equal(ar_file_write_atomic(path, "old", 3, 0644, NULL), 0);
	assert_int_equal(ar_file_write_atomic(path, "new!", 4, 0600, NULL), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(ar_file_read(path, 100, &buf, &len, NULL), 0);
	assert_string_equal(buf, "new!");
	free(buf);
}

static void test_atomic_write_into_missing_directory_fails_cleanly(void **state)
{
	ar_err_t err = { 0 };

	(void)state;
	assert_int_equal(ar_file_write_atomic("/nonexistent/dir/f", "x", 1, 0600, &err), -1);
	assert_err(&err, AR_ERR_IO, "create temporary file");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_read_takes_whole_procfs_file_that_reports_size_zero),
		cmocka_unit_test(test_file_read_enforces_the_cap_exactly),
		cmocka_unit_test(test_file_read_refuses_directories_and_missing_files),
		cmocka_unit_test(test_atomic_write_replaces_and_sets_mode),
		cmocka_unit_test(test_atomic_write_into_missing_directory_fails_cleanly),
	};

	return cmocka_run_group_tests_name("fileio", tests, setup, teardown);
}
