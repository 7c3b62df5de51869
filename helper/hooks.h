/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file hooks.h
 * @brief The operator's commands run after a renewal (post_renew) or a
 *	  failed attempt (on_failure), through /bin/sh -c, with the facts in
 *	  ACME_RATS_* environment variables and a bounded run time.
 */
#ifndef AR_HELPER_HOOKS_H
#define AR_HELPER_HOOKS_H

#define HOOK_MAX_VARS	12

/** NAME=value strings for the hook's environment. */
typedef struct hook_env {
	int	n;
	char	var[HOOK_MAX_VARS][512];
} hook_env_t;

/** Add ACME_RATS_<name>=<value> (truncated to fit). */
void hook_env_add(hook_env_t *e, const char *name, const char *value);

/**
 * Run @p command with the process environment plus @p e; kill it after
 * @p timeout_ms. Returns its exit status, 128 + signal, or -1 when it could
 * not be started (each case is logged).
 */
int hook_run(const char *what, const char *command, const hook_env_t *e, long timeout_ms);

#endif
