/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Replay driver for fuzz targets in builds without libFuzzer: feeds every
 * file named on the command line (directories are walked one level) to
 * LLVMFuzzerTestOneInput and prints TAP, so the seed corpora and every
 * regression input run in `make check`, under the sanitizers too.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REPLAY_MAX_INPUT (1u << 20)

static int replay_file(const char *path, unsigned *n)
{
	uint8_t *buf;
	size_t len;
	FILE *f;

	f = fopen(path, "rb");
	if (!f) {
		printf("not ok %u - %s: %s\n", ++*n, path, strerror(errno));
		return -1;
	}
	buf = malloc(REPLAY_MAX_INPUT);
	if (!buf) {
		fclose(f);
		return -1;
	}
	len = fread(buf, 1, REPLAY_MAX_INPUT, f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	printf("ok %u - %s\n", ++*n, path);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int replay_dir(const char *dir, unsigned *n)
{
	char **names = NULL, **grown;
	size_t count = 0, cap = 0, i;
	struct dirent *de;
	int rc = 0;
	DIR *d;

	d = opendir(dir);
	if (!d) {
		printf("not ok %u - %s: %s\n", ++*n, dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (count == cap) {
			cap = cap ? cap * 2 : 32;
			grown = realloc(names, cap * sizeof(*names));
			if (!grown) {
				rc = -1;
				break;
			}
			names = grown;
		}
		if (asprintf(&names[count], "%s/%s", dir, de->d_name) < 0) {
			rc = -1;
			break;
		}
		count++;
	}
	closedir(d);
	if (count)
		qsort(names, count, sizeof(*names), cmp_str);
	for (i = 0; i < count; i++) {
		if (rc == 0 && replay_file(names[i], n) < 0)
			rc = -1;
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	unsigned n = 0;
	int i, rc = 0;
	struct stat st;

	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
			rc |= replay_dir(argv[i], &n);
		else
			rc |= replay_file(argv[i], &n);
	}
	if (n == 0) {
		printf("1..0 # SKIP no inputs\n");
		return 1;
	}
	printf("1..%u\n", n);
	return rc ? 1 : 0;
}
