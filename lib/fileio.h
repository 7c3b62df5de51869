/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file fileio.h
 * @brief Bounded file reads and atomic, durable file replacement.
 */
#ifndef AR_FILEIO_H
#define AR_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

#include "err.h"

/**
 * Read a whole regular file of at most @p max bytes.
 *
 * @param[out] buf	malloc'd contents, NUL-terminated (caller frees).
 * @param[out] len	bytes read (the NUL is not counted).
 * @return 0, or -1 with AR_ERR_IO (cannot open/read, not a regular file)
 *	   or AR_ERR_TOO_LARGE.
 */
int ar_file_read(const char *path, size_t max, char **buf, size_t *len, ar_err_t *err);

/**
 * Replace @p path with @p len bytes atomically: write a temporary file in
 * the same directory created with @p mode (so a key is never readable by
 * others, not even for an instant), fsync it, rename it over @p path and
 * fsync the directory. A crash at any point leaves either the old or the new
 * file, never a partial one.
 *
 * @return 0, or -1 with AR_ERR_IO (message names the failing step).
 */
int ar_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
			 ar_err_t *err);

#endif
