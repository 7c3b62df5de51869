/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file console_users.h
 * @brief The web console's local users: a file of "name:role:hash" lines,
 *	  the password hash scrypt (OpenSSL EVP_KDF), written by
 *	  `acme-rats-ctl console-user add` and read by acme-rats-console.
 *
 * Hash format: "$scrypt$ln=L,r=R,p=P$SALT$KEY", SALT (16 bytes) and KEY
 * (32 bytes) base64url; N = 2^L.
 */
#ifndef AR_CONSOLE_USERS_H
#define AR_CONSOLE_USERS_H

#include <stddef.h>

#include "err.h"

#define CU_NAME_MAX	32	/**< [A-Za-z0-9._-], 1..32 */
#define CU_HASH_MAX	160
#define CU_PASSWORD_MAX	1024
#define CU_USERS_MAX	1024

/** Roles, each allowed what the one before is, plus its own actions. */
typedef enum cu_role {
	CU_VIEWER,	/**< looks only */
	CU_NOC,		/**< disconnects sessions */
	CU_SOC,		/**< flags and clears devices */
	CU_ADMIN,	/**< both */
} cu_role_t;

typedef struct cu_user {
	char		name[CU_NAME_MAX + 1];
	cu_role_t	role;
	char		hash[CU_HASH_MAX + 1];
} cu_user_t;

/** "viewer", "noc", "soc", "admin". */
const char *cu_role_name(cu_role_t r);
/** 0 and @p out, or -1 for an unknown name. */
int cu_role_parse(const char *s, cu_role_t *out);
/** Whether @p r may flag/clear (SOC) or disconnect (NOC). */
int cu_may_flag(cu_role_t r);
int cu_may_disconnect(cu_role_t r);

/** 0 when @p name is a valid user name, else -1 with AR_ERR_MALFORMED. */
int cu_name_valid(const char *name, ar_err_t *err);

/** Hash @p password with a fresh salt into @p out (CU_HASH_MAX + 1 bytes). */
int cu_hash(const char *password, char *out, size_t size, ar_err_t *err);

/**
 * Check @p password against @p encoded in constant time.
 * @return 1 match, 0 no match, -1 when @p encoded is not a hash of ours.
 */
int cu_verify(const char *password, const char *encoded);

/**
 * Parse the text of a users file (@p len bytes; at most CU_USERS_MAX
 * lines; '#' comments). *users is malloc'd. A malformed line is an error
 * naming its line; nothing is returned then.
 */
int cu_parse(const char *text, size_t len, cu_user_t **users, size_t *n, ar_err_t *err);

/**
 * Load a users file (at most CU_USERS_MAX lines; '#' comments). *users is
 * malloc'd. A malformed line is an error naming its line.
 */
int cu_load(const char *path, cu_user_t **users, size_t *n, ar_err_t *err);

/**
 * Add @p name with @p role and @p password to the users file at @p path
 * (created 0600 when absent), or give an existing user a new role and
 * password. The file is replaced atomically.
 */
int cu_add(const char *path, const char *name, cu_role_t role, const char *password,
	   ar_err_t *err);

#endif
