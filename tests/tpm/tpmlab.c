/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * swtpm for tests (see tpmlab.h).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include "lab/lab.h"
#include "tpmlab.h"

static int put_file(const tpmlab_t *t, const char *name, const char *text)
{
	return tpmlab_write(t, name, text, strlen(text));
}

int tpmlab_write(const tpmlab_t *t, const char *name, const void *data, size_t len)
{
	char path[512];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/%s", t->dir, name);
	f = fopen(path, "wb");
	if (!f)
		return -1;
	ok = fwrite(data, 1, len, f) == len;
	return fclose(f) == 0 && ok ? 0 : -1;
}

uint8_t *tpmlab_read(const tpmlab_t *t, const char *name, size_t *len)
{
	char path[512];
	uint8_t *buf = NULL;
	long n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", t->dir, name);
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		} else if (buf) {
			buf[n] = 0;
			*len = (size_t)n;
		}
	}
	fclose(f);
	return buf;
}

uint8_t *tpmlab_read_public(const tpmlab_t *t, const char *name, size_t *len)
{
	size_t n;
	uint8_t *b = tpmlab_read(t, name, &n);

	if (!b || n < 2 || ((size_t)b[0] << 8 | b[1]) != n - 2) {
		free(b);
		return NULL;
	}
	memmove(b, b + 2, n - 2);
	*len = n - 2;
	return b;
}

int tpmlab_run(tpmlab_t *t, const char *fmt, ...)
{
	char cmd[2048], sh[3072], path[512];
	va_list ap;
	FILE *f;
	int st, n;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(cmd))
		return -1;
	snprintf(path, sizeof(path), "%s/commands.log", t->dir);
	f = fopen(path, "a");
	if (f) {
		fprintf(f, "$ %s\n", cmd);
		fclose(f);
	}
	n = snprintf(sh, sizeof(sh),
		     "cd '%s' && export TPM2TOOLS_TCTI='%s' && { %s; } >>commands.log 2>&1; "
		     "rc=$?; tpm2_flushcontext -t >/dev/null 2>&1; exit $rc", t->dir, t->tcti, cmd);
	if (n < 0 || (size_t)n >= sizeof(sh))
		return -1;
	st = system(sh);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int swtpm_spawn(tpmlab_t *t)
{
	char state[300], server[96], ctrl[96], log[300];
	char *argv[] = { "swtpm", "socket", "--tpm2", "--tpmstate", state, "--server", server,
			 "--ctrl", ctrl, "--flags", "not-need-init,startup-clear", NULL };

	snprintf(state, sizeof(state), "dir=%s/state", t->dir);
	snprintf(server, sizeof(server), "type=tcp,port=%d,bindaddr=127.0.0.1", t->port);
	snprintf(ctrl, sizeof(ctrl), "type=tcp,port=%d,bindaddr=127.0.0.1", t->ctrl_port);
	snprintf(log, sizeof(log), "%s/swtpm.log", t->dir);
	t->pid = lab_spawn(argv, log);
	if (t->pid < 0 || lab_wait_tcp(t->port, 10000) < 0)
		return -1;
	return 0;
}

static int bindable(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

	if (fd < 0)
		return 0;
	ok = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

/*
 * The swtpm TCTI finds the control channel at the command port + 1: claim a
 * port from the lab, and the next one the lab's way (a claim directory,
 * removed by tpmlab_stop(); stale claims expire).
 */
static int claim_ports(tpmlab_t *t)
{
	const char *base = getenv("TMPDIR");
	int i;

	for (i = 0; i < 20; i++) {
		t->port = lab_free_port();
		if (t->port < 0 || t->port >= 65535)
			return -1;
		snprintf(t->claim, sizeof(t->claim), "%s/acmerats-ports/%d",
			 base && *base ? base : "/tmp", t->port + 1);
		if (mkdir(t->claim, 0700) < 0)
			continue;
		if (bindable(t->port + 1)) {
			t->ctrl_port = t->port + 1;
			return 0;
		}
		rmdir(t->claim);
	}
	t->claim[0] = '\0';
	return -1;
}

int tpmlab_start(tpmlab_t *t)
{
	char text[2048];

	memset(t, 0, sizeof(*t));
	if (lab_tmpdir(t->dir, sizeof(t->dir)) < 0)
		return -1;
	if (claim_ports(t) < 0)
		return -1;
	snprintf(t->tcti, sizeof(t->tcti), "swtpm:host=127.0.0.1,port=%d", t->port);
	snprintf(text, sizeof(text),
		 "statedir = %s/ca\nsigningkey = %s/ca/signkey.pem\n"
		 "issuercert = %s/ca/issuercert.pem\ncertserial = %s/ca/certserial\n",
		 t->dir, t->dir, t->dir, t->dir);
	if (put_file(t, "localca.conf", text) < 0 ||
	    put_file(t, "localca.options", "--platform-manufacturer acme-rats\n"
		     "--platform-version 2.1\n--platform-model swtpm\n") < 0)
		return -1;
	snprintf(text, sizeof(text),
		 "create_certs_tool = swtpm_localca\ncreate_certs_tool_config = %s/localca.conf\n"
		 "create_certs_tool_options = %s/localca.options\nactive_pcr_banks = sha256\n",
		 t->dir, t->dir);
	if (put_file(t, "setup.conf", text) < 0)
		return -1;
	if (tpmlab_run(t, "mkdir -p state ca && swtpm_setup --tpm2 --tpmstate %s/state "
		       "--create-ek-cert --create-platform-cert --config %s/setup.conf "
		       "--pcr-banks sha256 --overwrite", t->dir, t->dir) != 0)
		return -1;
	if (swtpm_spawn(t) < 0)
		return -1;
	/* Failed authorizations of a test must not lock the TPM out. */
	return tpmlab_run(t, "tpm2_dictionarylockout -s -n 1000 -t 1 -l 1") == 0 ? 0 : -1;
}

void tpmlab_stop(tpmlab_t *t)
{
	if (t->pid <= 0)
		return;
	tpmlab_run(t, "tpm2_shutdown -c");
	tpmlab_run(t, "swtpm_ioctl --tcp 127.0.0.1:%d -s", t->ctrl_port);
	lab_stop(t->pid, 5000);
	t->pid = 0;
}

void tpmlab_release(tpmlab_t *t)
{
	tpmlab_stop(t);
	if (t->claim[0])
		rmdir(t->claim);
	t->claim[0] = '\0';
}

int tpmlab_reboot(tpmlab_t *t)
{
	tpmlab_stop(t);
	return swtpm_spawn(t);
}

int tpmlab_setup_failed(const tpmlab_t *t, const char *step)
{
	size_t n;
	char *log = (char *)tpmlab_read(t, "commands.log", &n);

	fprintf(stderr, "# setup failed: %s\n", step);
	if (log)
		fprintf(stderr, "# commands.log:\n%s\n", n > 3000 ? log + n - 3000 : log);
	free(log);
	return -1;
}
