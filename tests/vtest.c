/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A real acme-rats-verifier for integration tests (vtest.h). */
#include "config.h"

#include <spawn.h>
#include <sys/wait.h>

#include "testutil.h"
#include "lab/lab.h"
#include "fileio.h"
#include "vtest.h"

extern char **environ;

const char *vtest_top(const char *var)
{
	const char *v = getenv(var);

	return v ? v : ".";
}

int vtest_run(char *const argv[])
{
	pid_t pid;
	int status;

	if (posix_spawn(&pid, argv[0], NULL, NULL, argv, environ) != 0 ||
	    waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int vtest_append(const char *path, const char *text)
{
	FILE *f = fopen(path, "a");
	int rc;

	if (!f)
		return -1;
	rc = fputs(text, f) < 0 ? -1 : 0;
	return fclose(f) == 0 ? rc : -1;
}

int vtest_make(vtest_t *v, int redis_port)
{
	char script[512], port[16], rport[16];

	v->port = lab_free_port();
	snprintf(port, sizeof(port), "%d", v->port);
	snprintf(rport, sizeof(rport), "%d", redis_port);
	snprintf(script, sizeof(script), "%s/tests/fixtures/mkverifier", vtest_top("AR_TOP_SRCDIR"));
	snprintf(v->conf, sizeof(v->conf), "%s/verifier.conf", v->dir);
	snprintf(v->log, sizeof(v->log), "%s/verifier.log", v->dir);
	snprintf(v->ca, sizeof(v->ca), "%s/ca.crt", v->dir);
	snprintf(v->base, sizeof(v->base), "https://127.0.0.1:%d", v->port);
	{
		char *argv[] = { script, v->dir, port, rport, NULL };

		return vtest_run(argv) == 0 ? 0 : -1;
	}
}

/* The end of the verifier's log on stderr, "# "-prefixed. */
static void log_tail(const vtest_t *v)
{
	char *text = NULL, *line, *save = NULL;
	size_t len;

	if (ar_file_read(v->log, 16 * 1024 * 1024, &text, &len, NULL) < 0)
		return;
	fprintf(stderr, "# the end of %s:\n", v->log);
	for (line = strtok_r(len > 12000 ? text + len - 12000 : text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		fprintf(stderr, "# %s\n", line);
	free(text);
}

int vtest_start(vtest_t *v)
{
	char bin[512], path[300], *tok;
	size_t len;

	snprintf(bin, sizeof(bin), "%s/verifier/acme-rats-verifier", vtest_top("AR_TOP_BUILDDIR"));
	{
		char *argv[] = { bin, "-c", v->conf, NULL };

		v->pid = lab_spawn(argv, v->log);
	}
	if (v->pid <= 0 || lab_wait_tcp(v->port, 5000) < 0) {
		log_tail(v);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/soc-token", v->dir);
	if (ar_file_read(path, 256, &tok, &len, NULL) < 0)
		return -1;
	tok[strcspn(tok, "\n")] = '\0';
	snprintf(v->token, sizeof(v->token), "%s", tok);
	free(tok);
	return 0;
}

int vtest_stop(vtest_t *v)
{
	int rc;

	if (v->pid <= 0)
		return 0;
	rc = lab_stop(v->pid, 3000);
	v->pid = 0;
	if (rc == 0)
		return 0;
	fprintf(stderr, "# acme-rats-verifier exited with %d\n", rc);
	log_tail(v);
	return -1;
}

int vtest_request_len(const vtest_t *v, const char *method, const char *path, const char *ct,
		      const char *bearer, const void *body, size_t len, httpc_resp_t *out)
{
	httpc_req_t req = { method, NULL, v->ca, ct, bearer, body, len };
	char url[512];

	snprintf(url, sizeof(url), "%s%s", v->base, path);
	req.url = url;
	return httpc(&req, out);
}

int vtest_request(const vtest_t *v, const char *method, const char *path, const char *ct,
		  const char *bearer, const char *body, httpc_resp_t *out)
{
	return vtest_request_len(v, method, path, ct, bearer, body, body ? strlen(body) : 0, out);
}

ar_jwks_t *vtest_keys(const vtest_t *v)
{
	ar_jwks_t *keys = NULL;
	httpc_resp_t r;
	json_t *set;

	if (vtest_request(v, "GET", "/challenge-response/v1/keys", NULL, NULL, NULL, &r) < 0)
		return NULL;
	if (r.status == 200) {
		set = json_loads(r.body, 0, NULL);
		keys = ar_jwks_parse(set, AR_JWK_PUBLIC_ONLY, NULL);
		json_decref(set);
	}
	httpc_free(&r);
	return keys;
}

void vtest_new_session(const vtest_t *v, const char *query, char *path, size_t psize, char *nonce,
		       size_t nsize)
{
	char url[256];
	httpc_resp_t r;
	json_t *j;

	snprintf(url, sizeof(url), "/challenge-response/v1/newSession%s", query ? query : "");
	assert_int_equal(vtest_request(v, "POST", url, NULL, NULL, "", &r), 0);
	assert_int_equal(r.status, 201);
	assert_memory_equal(r.location, "/challenge-response/v1/session/", 31);
	j = json_loads(r.body, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "state")), "waiting");
	assert_true(strlen(r.location) < psize);
	memcpy(path, r.location, strlen(r.location) + 1);
	snprintf(nonce, nsize, "%s", json_string_value(json_object_get(j, "nonce")));
	json_decref(j);
	httpc_free(&r);
}

int vtest_logged(const vtest_t *v, const char *a, const char *b, const char *c)
{
	char *text, *line, *save = NULL;
	size_t len;
	int found = 0;

	if (ar_file_read(v->log, 16 * 1024 * 1024, &text, &len, NULL) < 0)
		return 0;
	for (line = strtok_r(text, "\n", &save); line && !found; line = strtok_r(NULL, "\n", &save))
		found = strstr(line, a) && strstr(line, b) && strstr(line, c);
	free(text);
	return found;
}
