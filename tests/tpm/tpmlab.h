/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file tpmlab.h
 * @brief A software TPM (swtpm) for tests: manufactured by swtpm_setup with
 *	  an EK certificate from a private local CA, served on a free
 *	  127.0.0.1 port, driven by tpm2-tools and tests/tpm/tpm_gen.
 */
#ifndef AR_TPMLAB_H
#define AR_TPMLAB_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct tpmlab {
	char	dir[256];	/**< working directory (state, CA, outputs) */
	int	port;		/**< TPM command port; ctrl_port the control channel */
	int	ctrl_port;
	pid_t	pid;
	char	tcti[64];	/**< tctildr configuration, "swtpm:host=...,port=..." */
	char	claim[300];	/**< the lab claim of ctrl_port */
} tpmlab_t;

/** Manufacture a TPM (EK certificate) and start it. 0 or -1. */
int tpmlab_start(tpmlab_t *t);

/** Reboot: TPM2_Shutdown(CLEAR), stop, start again (Startup(CLEAR), a TPM Reset:
 * resetCount + 1, PCRs reset). */
int tpmlab_reboot(tpmlab_t *t);

/** TPM2_Shutdown(CLEAR) and stop the TPM. */
void tpmlab_stop(tpmlab_t *t);

/** Stop the TPM and release its ports. */
void tpmlab_release(tpmlab_t *t);

/**
 * Run a shell command (printf-style) in t->dir with TPM2TOOLS_TCTI set,
 * output appended to t->dir/commands.log, then flush transient objects
 * (no resource manager in between). Returns the command's exit status.
 */
int tpmlab_run(tpmlab_t *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** Read t->dir/@p name whole (malloc'd, caller frees) or NULL. */
uint8_t *tpmlab_read(const tpmlab_t *t, const char *name, size_t *len);

/** Write @p len octets to t->dir/@p name. 0 or -1. */
int tpmlab_write(const tpmlab_t *t, const char *name, const void *data, size_t len);

/**
 * Read a TPM2B_PUBLIC file (tpm2_create -u, tpm2_createak -u) and return
 * its TPMT_PUBLIC (the size prefix checked and removed), malloc'd, or NULL.
 */
uint8_t *tpmlab_read_public(const tpmlab_t *t, const char *name, size_t *len);

/**
 * A failed setup @p step of a test: say so on stderr with the end of
 * t->dir/commands.log (what the TPM tools said). Returns -1.
 */
int tpmlab_setup_failed(const tpmlab_t *t, const char *step);

#endif
