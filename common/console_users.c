/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The web console's users file and password hashes (console_users.h). */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "b64.h"
#include "buf.h"
#include "console_users.h"
#include "fileio.h"

#define SALT_LEN	16
#define KEY_LEN		32
#define LN_DEFAULT	15	/* N = 32768, r = 8: 32 MiB, tens of ms */
#define LN_MIN		10
#define LN_MAX		20
#define FILE_MAX	(CU_USERS_MAX * (CU_NAME_MAX + CU_HASH_MAX + 16))

static const char *const role_names[] = {
	[CU_VIEWER] = "viewer", [CU_NOC] = "noc", [CU_SOC] = "soc", [CU_ADMIN] = "admin",
};

const char *cu_role_name(cu_role_t r)
{
	return (unsigned)r < sizeof(role_names) / sizeof(role_names[0]) ? role_names[r] : "?";
}

int cu_role_parse(const char *s, cu_role_t *out)
{
	size_t i;

	for (i = 0; i < sizeof(role_names) / sizeof(role_names[0]); i++) {
		if (!strcmp(s, role_names[i])) {
			*out = (cu_role_t)i;
			return 0;
		}
	}
	return -1;
}

int cu_may_flag(cu_role_t r)
{
	return r == CU_SOC || r == CU_ADMIN;
}

int cu_may_disconnect(cu_role_t r)
{
	return r == CU_NOC || r == CU_ADMIN;
}

int cu_name_valid(const char *name, ar_err_t *err)
{
	size_t n = strlen(name), i;

	if (n < 1 || n > CU_NAME_MAX)
		return ar_err_set(err, AR_ERR_MALFORMED, "a user name has 1 to %d characters",
				  CU_NAME_MAX);
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return ar_err_set(err, AR_ERR_MALFORMED, "a user name has only letters, "
					  "digits, '.', '_' and '-'");
	}
	return 0;
}

static int scrypt(const char *password, const uint8_t *salt, size_t salt_len, unsigned ln,
		  unsigned r, unsigned p, uint8_t *key, size_t key_len)
{
	uint64_t n = (uint64_t)1 << ln, maxmem = (uint64_t)256 << 20;
	uint32_t r32 = r, p32 = p;
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "SCRYPT", NULL);
	EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, (void *)password,
						  strlen(password)),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, salt_len),
		OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
		OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r32),
		OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p32),
		OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
		OSSL_PARAM_construct_end(),
	};
	int rc = ctx && EVP_KDF_derive(ctx, key, key_len, params) == 1 ? 0 : -1;

	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return rc;
}

int cu_hash(const char *password, char *out, size_t size, ar_err_t *err)
{
	uint8_t salt[SALT_LEN], key[KEY_LEN];
	char s64[32], k64[48];
	int rc = -1;

	if (strlen(password) > CU_PASSWORD_MAX)
		return ar_err_set(err, AR_ERR_TOO_LARGE, "a password has at most %d bytes",
				  CU_PASSWORD_MAX);
	if (RAND_bytes(salt, sizeof(salt)) != 1 ||
	    scrypt(password, salt, sizeof(salt), LN_DEFAULT, 8, 1, key, sizeof(key)) < 0) {
		ar_err_set(err, AR_ERR_CRYPTO, "scrypt failed");
		goto out;
	}
	ar_b64url_encode(salt, sizeof(salt), s64, sizeof(s64));
	ar_b64url_encode(key, sizeof(key), k64, sizeof(k64));
	if ((size_t)snprintf(out, size, "$scrypt$ln=%d,r=8,p=1$%s$%s", LN_DEFAULT, s64, k64) >= size) {
		ar_err_set(err, AR_ERR_TOO_LARGE, "hash buffer too small");
		goto out;
	}
	rc = 0;
out:
	OPENSSL_cleanse(key, sizeof(key));
	return rc;
}

int cu_verify(const char *password, const char *encoded)
{
	uint8_t salt[SALT_LEN * 2], want[KEY_LEN * 2], got[KEY_LEN * 2];
	char s64[64], k64[96];
	unsigned ln, r, p;
	size_t salt_len, key_len;
	int rc;

	if (strlen(password) > CU_PASSWORD_MAX ||
	    sscanf(encoded, "$scrypt$ln=%u,r=%u,p=%u$%63[A-Za-z0-9_-]$%95[A-Za-z0-9_-]", &ln, &r,
		   &p, s64, k64) != 5 ||
	    ln < LN_MIN || ln > LN_MAX || r < 1 || r > 32 || p < 1 || p > 4 ||
	    ar_b64url_decode(s64, strlen(s64), salt, sizeof(salt), &salt_len, NULL) < 0 ||
	    ar_b64url_decode(k64, strlen(k64), want, sizeof(want), &key_len, NULL) < 0 ||
	    salt_len < 8 || key_len < 16)
		return -1;
	if (scrypt(password, salt, salt_len, ln, r, p, got, key_len) < 0)
		return -1;
	rc = CRYPTO_memcmp(got, want, key_len) == 0;
	OPENSSL_cleanse(got, sizeof(got));
	return rc;
}

/* One "name:role:hash" line (NUL-terminated, no newline) into @u. */
static int parse_line(char *line, cu_user_t *u, ar_err_t *err)
{
	char *role = strchr(line, ':'), *hash = role ? strchr(role + 1, ':') : NULL;

	if (!hash)
		return ar_err_set(err, AR_ERR_MALFORMED, "not name:role:hash");
	*role++ = '\0';
	*hash++ = '\0';
	if (cu_name_valid(line, err) < 0)
		return -1;
	if (cu_role_parse(role, &u->role) < 0)
		return ar_err_set(err, AR_ERR_MALFORMED, "role must be viewer, noc, soc or admin");
	if (strlen(hash) > CU_HASH_MAX || strncmp(hash, "$scrypt$", 8))
		return ar_err_set(err, AR_ERR_MALFORMED, "the hash is not an scrypt hash");
	snprintf(u->name, sizeof(u->name), "%s", line);
	snprintf(u->hash, sizeof(u->hash), "%s", hash);
	return 0;
}

int cu_parse(const char *text, size_t len, cu_user_t **users, size_t *n, ar_err_t *err)
{
	char *copy = malloc(len + 1), *line, *next;
	size_t lineno = 0;
	int rc = -1;

	*users = calloc(CU_USERS_MAX, sizeof(**users));
	*n = 0;
	if (!copy || !*users) {
		ar_err_set(err, AR_ERR_NOMEM, "out of memory");
		goto out;
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	if (strlen(copy) != len) {
		ar_err_set(err, AR_ERR_MALFORMED, "a NUL byte in the users file");
		goto out;
	}
	for (line = copy; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		line[strcspn(line, "\r")] = '\0';
		if (!*line || *line == '#')
			continue;
		if (*n == CU_USERS_MAX) {
			ar_err_set(err, AR_ERR_TOO_LARGE, "more than %d users", CU_USERS_MAX);
			goto out;
		}
		if (parse_line(line, &(*users)[*n], err) < 0) {
			ar_err_prefix(err, "line %zu: ", lineno);
			goto out;
		}
		(*n)++;
	}
	rc = 0;
out:
	free(copy);
	if (rc < 0) {
		free(*users);
		*users = NULL;
		*n = 0;
	}
	return rc;
}

int cu_load(const char *path, cu_user_t **users, size_t *n, ar_err_t *err)
{
	char *text = NULL;
	size_t len;
	int rc;

	*users = NULL;
	*n = 0;
	if (ar_file_read(path, FILE_MAX, &text, &len, err) < 0)
		return -1;
	rc = cu_parse(text, len, users, n, err);
	if (rc < 0)
		ar_err_prefix(err, "%s: ", path);
	free(text);
	return rc;
}

int cu_add(const char *path, const char *name, cu_role_t role, const char *password,
	   ar_err_t *err)
{
	cu_user_t *users = NULL;
	char hash[CU_HASH_MAX + 1];
	ar_buf_t out;
	size_t n = 0, i;
	struct stat sb;
	int rc = -1, found = 0;

	if (cu_name_valid(name, err) < 0 || cu_hash(password, hash, sizeof(hash), err) < 0)
		return -1;
	if (stat(path, &sb) == 0 && cu_load(path, &users, &n, err) < 0)
		return -1;
	ar_buf_init(&out, FILE_MAX);
	if (ar_buf_printf(&out, "# acme-rats-console users: name:role:hash "
			  "(acme-rats-ctl console-user add)\n") != AR_OK)
		goto nomem;
	for (i = 0; i < n; i++) {
		if (!strcmp(users[i].name, name)) {
			users[i].role = role;
			snprintf(users[i].hash, sizeof(users[i].hash), "%s", hash);
			found = 1;
		}
		if (ar_buf_printf(&out, "%s:%s:%s\n", users[i].name, cu_role_name(users[i].role),
				  users[i].hash) != AR_OK)
			goto nomem;
	}
	if (!found && ar_buf_printf(&out, "%s:%s:%s\n", name, cu_role_name(role), hash) != AR_OK)
		goto nomem;
	rc = ar_file_write_atomic(path, out.data, out.len, 0600, err);
	goto out;
nomem:
	ar_err_set(err, AR_ERR_NOMEM, "out of memory");
out:
	ar_buf_free(&out);
	free(users);
	return rc;
}
