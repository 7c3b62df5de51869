/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The operator's post_renew and on_failure commands, with ACME_RATS_* facts (hooks.h). */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "hooks.h"
#include "log.h"

extern char **environ;

#define MAX_ENV	256

void hook_env_add(hook_env_t *e, const char *name, const char *value)
{
	if (e->n == HOOK_MAX_VARS)
		return;
	snprintf(e->var[e->n], sizeof(e->var[0]), "ACME_RATS_%s=%s", name, value ? value : "");
	e->n++;
}

int hook_run(const char *what, const char *command, const hook_env_t *e, long timeout_ms)
{
	char *envp[MAX_ENV + HOOK_MAX_VARS + 1], *argv[] = { "/bin/sh", "-c", (char *)command, NULL };
	int64_t until = ar_mono_ms() + timeout_ms;
	posix_spawnattr_t attr;
	sigset_t none;
	size_t n = 0, i;
	pid_t pid, w;
	int status, rc;

	for (i = 0; environ[i] && n < MAX_ENV; i++)
		if (strncmp(environ[i], "ACME_RATS_", 10))
			envp[n++] = environ[i];
	for (i = 0; i < (size_t)e->n; i++)
		envp[n++] = (char *)e->var[i];
	envp[n] = NULL;
	/* The daemon holds its signals blocked; the hook starts with none. */
	sigemptyset(&none);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
	rc = posix_spawn(&pid, "/bin/sh", NULL, &attr, argv, envp);
	posix_spawnattr_destroy(&attr);
	if (rc) {
		ar_error("event=hook.failed hook=%s error=\"%s\"", what, strerror(rc));
		return -1;
	}
	for (;;) {
		w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			ar_error("event=hook.failed hook=%s error=\"%s\"", what, strerror(errno));
			return -1;
		}
		if (ar_mono_ms() >= until) {
			kill(pid, SIGKILL);
			(void)waitpid(pid, &status, 0);
			ar_error("event=hook.timeout hook=%s timeout_ms=%ld", what, timeout_ms);
			return 128 + SIGKILL;
		}
		usleep(20000);
	}
	rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	if (rc)
		ar_warn("event=hook.done hook=%s exit=%d", what, rc);
	else
		ar_info("event=hook.done hook=%s exit=0", what);
	return rc;
}
