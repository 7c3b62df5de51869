/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "fileio.h"

/* Read @fd to EOF into @b; AR_ERR_TOO_LARGE past its cap. */
static int read_all(int fd, const char *path, ar_buf_t *b, ar_err_t *err)
{
	char chunk[4096];
	ssize_t n;

	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return ar_err_set(err, AR_ERR_IO, "%s: %s", path, strerror(errno));
		if (n == 0)
			return 0;
		switch (ar_buf_append(b, chunk, (size_t)n)) {
		case AR_OK:
			break;
		case AR_ERR_TOO_LARGE:
			return ar_err_set(err, AR_ERR_TOO_LARGE, "%s: larger than the limit of %zu "
					  "bytes", path, b->max);
		default:
			return ar_err_set(err, AR_ERR_NOMEM, "%s: out of memory", path);
		}
	}
}

int ar_file_read(const char *path, size_t max, char **buf, size_t *len, ar_err_t *err)
{
	struct stat st;
	ar_buf_t data = AR_BUF_INIT(max);
	int fd, rc = -1;

	*buf = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return ar_err_set(err, AR_ERR_IO, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0) {
		ar_err_set(err, AR_ERR_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ar_err_set(err, AR_ERR_IO, "%s: not a regular file", path);
		goto out;
	}
	if ((size_t)st.st_size > max) {
		ar_err_set(err, AR_ERR_TOO_LARGE, "%s: %lld bytes, limit %zu", path,
			   (long long)st.st_size, max);
		goto out;
	}
	/* Sizes from fstat are hints (procfs says 0, files grow): room for
	 * the size it gave, then read until EOF, growing up to the cap. */
	if (ar_buf_reserve(&data, (size_t)st.st_size) != AR_OK) {
		ar_err_set(err, AR_ERR_NOMEM, "%s: out of memory", path);
		goto out;
	}
	if (read_all(fd, path, &data, err) < 0)
		goto out;
	*buf = ar_buf_steal(&data, len);
	if (!*buf) {
		ar_err_set(err, AR_ERR_NOMEM, "%s: out of memory", path);
		goto out;
	}
	rc = 0;
out:
	ar_buf_free(&data);
	close(fd);
	return rc;
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int ar_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
			 ar_err_t *err)
{
	char tmp[PATH_MAX], dirbuf[PATH_MAX];
	const char *step;
	int fd = -1, dfd = -1, rc = -1;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= (int)sizeof(tmp) ||
	    snprintf(dirbuf, sizeof(dirbuf), "%s", path) >= (int)sizeof(dirbuf))
		return ar_err_set(err, AR_ERR_IO, "%s: path too long", path);

	step = "create temporary file";
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		tmp[0] = '\0';
		goto fail;
	}
	step = "set mode";
	if (fchmod(fd, mode) < 0)
		goto fail;
	step = "write";
	if (write_all(fd, data, len) < 0)
		goto fail;
	step = "fsync";
	if (fsync(fd) < 0)
		goto fail;
	step = "close";
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	step = "rename";
	if (rename(tmp, path) < 0)
		goto fail;
	tmp[0] = '\0';
	step = "fsync directory";
	dfd = open(dirname(dirbuf), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0)
		goto fail;
	rc = 0;
	goto out;
fail:
	ar_err_set(err, AR_ERR_IO, "%s: %s: %s", path, step, strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	if (tmp[0])
		unlink(tmp);
	return rc;
}
