/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test generator: a realistic UEFI measured-boot log (TCG2 crypto-agile,
 * SHA-1 and SHA-256 banks) and an IMA ima-ng measurement list, and the PCR
 * extends that make a TPM's SHA-256 bank match them (ESAPI).
 *
 *   tpm_gen boot TCTI LOG [--kernel NAME] [--secureboot 0|1]
 *	writes LOG: Spec ID header, StartupLocality, CRTM and firmware in
 *	PCR 0, boot variables in PCR 1, SecureBoot/PK/KEK/db/dbx in PCR 7,
 *	shim, grub and the kernel NAME (default vmlinuz-6.1.0-26-amd64) as
 *	EV_EFI_BOOT_SERVICES_APPLICATION in PCR 4, the db certificate in PCR 7,
 *	grub commands and the kernel command line in PCR 8, files in PCR 9,
 *	MOK variables in PCR 14, separators in PCRs 0-7; about 60 events.
 *   tpm_gen ima TCTI LIST ALLOWLIST FIRST COUNT [--intruder PATH]
 *	appends COUNT entries (/usr/bin/tool-FIRST ...) to LIST (and a
 *	boot_aggregate first when FIRST is 0), their sha256sum lines to
 *	ALLOWLIST, and an entry for PATH that the allowlist does not list.
 *
 *   tpm_gen certify TCTI AK KEY QUALIFYING-HEX ATTEST SIG
 *	TPM2_Certify of the persistent key KEY by the persistent AK (handles,
 *	0x81...) with the qualifying data given (tpm2_certify 5.4 cannot pass
 *	any); writes the TPMS_ATTEST and the TPMT_SIGNATURE.
 *
 * TCTI is a tctildr configuration (swtpm:host=127.0.0.1,port=N) or `-` to
 * write the files only.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_tctildr.h>

#include "buf.h"

#define SHA1_LEN 20
#define SHA256_LEN 32

static ESYS_CONTEXT *esys;
static TSS2_TCTI_CONTEXT *tcti;
static uint8_t pcr[24][SHA256_LEN];	/* our own replay (boot_aggregate) */

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("tpm_gen: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static void tpm_open(const char *conf)
{
	if (strcmp(conf, "-") == 0)
		return;
	if (Tss2_TctiLdr_Initialize(conf, &tcti) != TSS2_RC_SUCCESS)
		die("cannot open TCTI %s", conf);
	if (Esys_Initialize(&esys, tcti, NULL) != TSS2_RC_SUCCESS)
		die("Esys_Initialize failed");
}

static void tpm_close(void)
{
	if (esys)
		Esys_Finalize(&esys);
	if (tcti)
		Tss2_TctiLdr_Finalize(&tcti);
}

static void sha(const EVP_MD *md, const void *d, size_t n, uint8_t *out)
{
	if (EVP_Digest(d, n, out, NULL, md, NULL) != 1)
		die("hashing failed");
}

/* Extend PCR i of the SHA-256 bank, in the TPM and in our replay. */
static void extend(unsigned i, const uint8_t d[SHA256_LEN])
{
	uint8_t buf[2 * SHA256_LEN];
	TPML_DIGEST_VALUES v = { .count = 1 };
	TSS2_RC rc;

	memcpy(buf, pcr[i], SHA256_LEN);
	memcpy(buf + SHA256_LEN, d, SHA256_LEN);
	sha(EVP_sha256(), buf, sizeof(buf), pcr[i]);
	if (!esys)
		return;
	v.digests[0].hashAlg = TPM2_ALG_SHA256;
	memcpy(v.digests[0].digest.sha256, d, SHA256_LEN);
	rc = Esys_PCR_Extend(esys, ESYS_TR_PCR0 + i, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &v);
	if (rc != TSS2_RC_SUCCESS)
		die("PCR_Extend(%u) failed: 0x%x", i, rc);
}

/* The output, grown through ar_buf; its bytes as the TPM structures take them. */
typedef ar_buf_t buf_t;
#define BUF_INIT	AR_BUF_INIT(AR_BUF_UNBOUNDED)
#define BYTES(b)	((const uint8_t *)(b).data)

static void put(buf_t *b, const void *d, size_t n)
{
	if (ar_buf_append(b, d, n) != AR_OK)
		die("out of memory");
}

static void put32(buf_t *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };

	put(b, x, 4);
}

static void put16(buf_t *b, uint16_t v)
{
	uint8_t x[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	put(b, x, 2);
}

static void put64(buf_t *b, uint64_t v)
{
	put32(b, (uint32_t)v);
	put32(b, (uint32_t)(v >> 32));
}

/* One TCG_PCR_EVENT2 whose digest is that of @measured (or of @data). */
static void event(buf_t *log, uint32_t i, uint32_t type, const void *data, size_t len,
		  const void *measured, size_t mlen)
{
	uint8_t d1[SHA1_LEN], d256[SHA256_LEN];

	if (!measured) {
		measured = data;
		mlen = len;
	}
	sha(EVP_sha1(), measured, mlen, d1);
	sha(EVP_sha256(), measured, mlen, d256);
	put32(log, i);
	put32(log, type);
	put32(log, 2);
	put16(log, 0x0004);
	put(log, d1, sizeof(d1));
	put16(log, 0x000B);
	put(log, d256, sizeof(d256));
	put32(log, (uint32_t)len);
	put(log, data, len);
	if (type != 0x3)
		extend(i, d256);
}

static void spec_id(buf_t *log)
{
	buf_t ev = BUF_INIT;
	uint8_t zero[SHA1_LEN] = { 0 };

	put(&ev, "Spec ID Event03", 16);
	put32(&ev, 0);			/* platformClass: client */
	put(&ev, "\x00\x02\x00\x02", 4);	/* minor 0, major 2, errata 0, uintnSize 2 (64-bit) */
	put32(&ev, 2);
	put16(&ev, 0x0004);
	put16(&ev, SHA1_LEN);
	put16(&ev, 0x000B);
	put16(&ev, SHA256_LEN);
	put(&ev, "", 1);		/* vendorInfoSize 0 */
	put32(log, 0);
	put32(log, 0x3);
	put(log, zero, sizeof(zero));
	put32(log, (uint32_t)ev.len);
	put(log, BYTES(ev), ev.len);
	ar_buf_free(&ev);
}

static const uint8_t efi_global[16] = {	/* 8be4df61-93ca-11d2-aa0d-00e098032b8c */
	0x61, 0xdf, 0xe4, 0x8b, 0xca, 0x93, 0xd2, 0x11, 0xaa, 0x0d, 0x00, 0xe0, 0x98, 0x03, 0x2b, 0x8c };
static const uint8_t efi_image_security[16] = {	/* d719b2cb-3d3a-4596-a3bc-dad00e67656f */
	0xcb, 0xb2, 0x19, 0xd7, 0x3a, 0x3d, 0x96, 0x45, 0xa3, 0xbc, 0xda, 0xd0, 0x0e, 0x67, 0x65, 0x6f };
static const uint8_t shim_lock[16] = {	/* 605dab50-e046-4300-abb6-3dd810dd8b23 */
	0x50, 0xab, 0x5d, 0x60, 0x46, 0xe0, 0x00, 0x43, 0xab, 0xb6, 0x3d, 0xd8, 0x10, 0xdd, 0x8b, 0x23 };

/* UEFI_VARIABLE_DATA: GUID, name length, data length, UCS-2 name, data. */
static void uefi_var(buf_t *log, uint32_t i, uint32_t type, const uint8_t guid[16],
		     const char *name, const void *data, size_t len)
{
	buf_t ev = BUF_INIT;
	size_t k, n = strlen(name);

	put(&ev, guid, 16);
	put64(&ev, n);
	put64(&ev, len);
	for (k = 0; k < n; k++)
		put16(&ev, (uint8_t)name[k]);
	put(&ev, data, len);
	event(log, i, type, BYTES(ev), ev.len, NULL, 0);
	ar_buf_free(&ev);
}

/* A pseudo EFI_SIGNATURE_LIST of @n X.509 entries named @tag. */
static void sig_list(buf_t *out, const char *tag, unsigned n)
{
	unsigned k;
	uint8_t cert[600];

	for (k = 0; k < n; k++) {
		memset(cert, 0, sizeof(cert));
		snprintf((char *)cert, sizeof(cert), "0\x82 certificate %s %u", tag, k);
		put(out, "\xa1\x59\xc0\xa5\xe4\x94\xa7\x4a\x87\xb5\xab\x15\x5c\x2b\xf0\x72", 16);
		put32(out, 28 + 16 + sizeof(cert));
		put32(out, 0);
		put32(out, 16 + sizeof(cert));
		put(out, "\xbd\x9a\xfa\x77\x59\x03\x32\x4d\xbd\x60\x28\xf4\xe7\x8f\x78\x4b", 16);
		put(out, cert, sizeof(cert));
	}
}

/* UEFI_IMAGE_LOAD_EVENT of an application; its digest is the image's. */
static void application(buf_t *log, const char *path, const char *image)
{
	buf_t ev = BUF_INIT;
	size_t k, n = strlen(path);

	put64(&ev, 0x7c000000);
	put64(&ev, 0x100000 + n);
	put64(&ev, 0);
	put64(&ev, 4 + 2 * (n + 1) + 4);
	put(&ev, "\x04\x04", 2);	/* media device path, file path */
	put16(&ev, (uint16_t)(4 + 2 * (n + 1)));
	for (k = 0; k <= n; k++)
		put16(&ev, (uint8_t)path[k]);
	put(&ev, "\x7f\xff\x04\x00", 4);	/* end of device path */
	event(log, 4, 0x80000003, BYTES(ev), ev.len, image, strlen(image));
	ar_buf_free(&ev);
}

static void ipl(buf_t *log, uint32_t i, const char *text)
{
	event(log, i, 0xD, text, strlen(text) + 1, NULL, 0);
}

static void write_file(const char *path, const char *mode, const void *d, size_t n)
{
	FILE *f = fopen(path, mode);

	if (!f || fwrite(d, 1, n, f) != n || fclose(f) != 0)
		die("cannot write %s", path);
}

static int cmd_boot(int argc, char **argv)
{
	const char *kernel = "vmlinuz-6.1.0-26-amd64";
	uint8_t sb = 1, sep[4] = { 0 };
	buf_t log = BUF_INIT, list = BUF_INIT;
	char line[256];
	int k;
	uint32_t i;

	for (k = 2; k + 1 < argc; k += 2) {
		if (strcmp(argv[k], "--kernel") == 0)
			kernel = argv[k + 1];
		else if (strcmp(argv[k], "--secureboot") == 0)
			sb = argv[k + 1][0] == '1';
		else
			die("unknown option %s", argv[k]);
	}
	spec_id(&log);
	event(&log, 0, 0x3, "StartupLocality\0\0", 17, NULL, 0);
	event(&log, 0, 0x8, "1\0.\0000\0.\0000\0\0", 12, NULL, 0);	/* S-CRTM version "1.0.0" */
	for (k = 0; k < 4; k++) {
		snprintf(line, sizeof(line), "firmware volume %d", k);
		event(&log, 0, 0x80000008, "\0\0\x82\xff\0\0\0\0\0\0\x14\0\0\0\0\0", 16, line, strlen(line));
	}
	uefi_var(&log, 7, 0x80000001, efi_global, "SecureBoot", &sb, 1);
	sig_list(&list, "PK", 1);
	uefi_var(&log, 7, 0x80000001, efi_global, "PK", BYTES(list), list.len);
	ar_buf_reset(&list);
	sig_list(&list, "KEK", 2);
	uefi_var(&log, 7, 0x80000001, efi_global, "KEK", BYTES(list), list.len);
	ar_buf_reset(&list);
	sig_list(&list, "db", 3);
	uefi_var(&log, 7, 0x80000001, efi_image_security, "db", BYTES(list), list.len);
	ar_buf_reset(&list);
	sig_list(&list, "dbx", 2);
	uefi_var(&log, 7, 0x80000001, efi_image_security, "dbx", BYTES(list), list.len);
	for (i = 0; i <= 7; i++)
		event(&log, i, 0x4, sep, sizeof(sep), NULL, 0);
	uefi_var(&log, 1, 0x80000002, efi_global, "BootOrder", "\0\0\1\0", 4);
	uefi_var(&log, 1, 0x80000002, efi_global, "Boot0000", "debian\0", 7);
	uefi_var(&log, 1, 0x80000002, efi_global, "Boot0001", "pxe\0", 4);
	event(&log, 4, 0x80000007, "Calling EFI Application from Boot Option", 40, NULL, 0);
	application(&log, "\\EFI\\debian\\shimx64.efi", "shimx64.efi 15.7-1");
	ar_buf_reset(&list);
	sig_list(&list, "db-signer", 1);
	uefi_var(&log, 7, 0x800000E0, efi_image_security, "db", BYTES(list), list.len);
	event(&log, 14, 0xD, "MokList\0", 8, "mok", 3);
	event(&log, 14, 0xD, "MokListX\0", 9, "mokx", 4);
	uefi_var(&log, 7, 0x800000E0, shim_lock, "MokListTrusted", "\1", 1);
	event(&log, 14, 0xD, "MokListTrusted\0", 15, "\1", 1);
	application(&log, "\\EFI\\debian\\grubx64.efi", "grubx64.efi 2.06-13");
	ipl(&log, 9, "(hd0,gpt1)/EFI/debian/grub.cfg");
	for (k = 0; k < 20; k++) {
		snprintf(line, sizeof(line), "grub_cmd: set timeout_style=menu %d", k);
		ipl(&log, 8, line);
	}
	snprintf(line, sizeof(line), "grub_cmd: linux /boot/%s root=UUID=1e2b ro quiet", kernel);
	ipl(&log, 8, line);
	snprintf(line, sizeof(line), "/boot/%s", kernel);
	event(&log, 9, 0xD, line, strlen(line) + 1, kernel, strlen(kernel));
	snprintf(line, sizeof(line), "kernel_cmdline: /boot/%s root=UUID=1e2b ro quiet", kernel);
	ipl(&log, 8, line);
	ipl(&log, 8, "grub_cmd: initrd /boot/initrd.img-6.1.0-26-amd64");
	event(&log, 9, 0xD, "/boot/initrd.img-6.1.0-26-amd64", 32, "initrd", 6);
	application(&log, "\\vmlinuz", kernel);
	event(&log, 5, 0x80000007, "Exit Boot Services Invocation", 29, NULL, 0);
	event(&log, 5, 0x80000007, "Exit Boot Services Returned with Success", 40, NULL, 0);
	write_file(argv[1], "wb", BYTES(log), log.len);
	ar_buf_free(&log);
	ar_buf_free(&list);
	return 0;
}

static void hex(char *out, const uint8_t *d, size_t n)
{
	size_t k;

	for (k = 0; k < n; k++)
		snprintf(out + 2 * k, 3, "%02x", d[k]);
}

/* One ima-ng entry: template data d-ng || n-ng, extended into PCR 10. */
static void ima_entry(buf_t *list, const char *path, const uint8_t fd[SHA256_LEN])
{
	buf_t t = BUF_INIT;
	uint8_t th1[SHA1_LEN], th256[SHA256_LEN];
	char h1[2 * SHA1_LEN + 1], hd[2 * SHA256_LEN + 1], line[4200];
	int n;

	put32(&t, 7 + 1 + SHA256_LEN);
	put(&t, "sha256:", 8);
	put(&t, fd, SHA256_LEN);
	put32(&t, (uint32_t)strlen(path) + 1);
	put(&t, path, strlen(path) + 1);
	sha(EVP_sha1(), BYTES(t), t.len, th1);
	sha(EVP_sha256(), BYTES(t), t.len, th256);
	extend(10, th256);
	hex(h1, th1, sizeof(th1));
	hex(hd, fd, SHA256_LEN);
	n = snprintf(line, sizeof(line), "10 %s ima-ng sha256:%s %s\n", h1, hd, path);
	put(list, line, (size_t)n);
	ar_buf_free(&t);
}

static int cmd_ima(int argc, char **argv)
{
	buf_t list = BUF_INIT, allow = BUF_INIT;
	const char *intruder = NULL;
	unsigned long first, count, k;
	uint8_t fd[SHA256_LEN];
	char path[256], hd[2 * SHA256_LEN + 1], line[400];
	int n;

	if (argc < 5)
		die("usage: tpm_gen ima TCTI LIST ALLOWLIST FIRST COUNT [--intruder PATH]");
	first = strtoul(argv[3], NULL, 10);
	count = strtoul(argv[4], NULL, 10);
	if (argc == 7 && strcmp(argv[5], "--intruder") == 0)
		intruder = argv[6];
	if (first == 0) {
		uint8_t agg[SHA256_LEN];

		sha(EVP_sha256(), pcr, 10 * SHA256_LEN, agg);
		ima_entry(&list, "boot_aggregate", agg);
	}
	for (k = first; k < first + count; k++) {
		snprintf(path, sizeof(path), k % 3 ? "/usr/bin/tool-%lu" : "/usr/lib/x86_64-linux-gnu/lib%lu.so.1", k);
		sha(EVP_sha256(), path, strlen(path), fd);
		ima_entry(&list, path, fd);
		hex(hd, fd, sizeof(fd));
		n = snprintf(line, sizeof(line), "%s  %s\n", hd, path);
		put(&allow, line, (size_t)n);
	}
	if (intruder) {
		sha(EVP_sha256(), intruder, strlen(intruder), fd);
		ima_entry(&list, intruder, fd);
	}
	write_file(argv[1], "ab", BYTES(list), list.len);
	write_file(argv[2], "ab", BYTES(allow), allow.len);
	ar_buf_free(&list);
	ar_buf_free(&allow);
	return 0;
}

static ESYS_TR persistent(const char *handle)
{
	ESYS_TR tr;
	TPM2_HANDLE h = (TPM2_HANDLE)strtoul(handle, NULL, 16);

	if (Esys_TR_FromTPMPublic(esys, h, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &tr) != TSS2_RC_SUCCESS)
		die("no persistent object %s", handle);
	return tr;
}

static int cmd_certify(int argc, char **argv)
{
	TPM2B_DATA qd = { 0 };
	TPMT_SIG_SCHEME scheme = { .scheme = TPM2_ALG_NULL };
	TPM2B_ATTEST *attest = NULL;
	TPMT_SIGNATURE *sig = NULL;
	uint8_t out[1024];
	size_t k, off = 0;
	TSS2_RC rc;

	if (argc != 6 || !esys)
		die("usage: tpm_gen certify TCTI AK KEY QUALIFYING-HEX ATTEST SIG");
	for (k = 0; argv[3][2 * k] && argv[3][2 * k + 1] && k < sizeof(qd.buffer); k++) {
		char b[3] = { argv[3][2 * k], argv[3][2 * k + 1], 0 };

		qd.buffer[k] = (uint8_t)strtoul(b, NULL, 16);
	}
	qd.size = (UINT16)k;
	rc = Esys_Certify(esys, persistent(argv[2]), persistent(argv[1]), ESYS_TR_PASSWORD,
			  ESYS_TR_PASSWORD, ESYS_TR_NONE, &qd, &scheme, &attest, &sig);
	if (rc != TSS2_RC_SUCCESS)
		die("TPM2_Certify failed: 0x%x", rc);
	write_file(argv[4], "wb", attest->attestationData, attest->size);
	if (Tss2_MU_TPMT_SIGNATURE_Marshal(sig, out, sizeof(out), &off) != TSS2_RC_SUCCESS)
		die("marshalling the signature failed");
	write_file(argv[5], "wb", out, off);
	Esys_Free(attest);
	Esys_Free(sig);
	return 0;
}

int main(int argc, char **argv)
{
	int rc;

	if (argc < 4)
		die("usage: tpm_gen boot|ima|certify TCTI ...");
	tpm_open(argv[2]);
	if (strcmp(argv[1], "boot") == 0)
		rc = cmd_boot(argc - 2, argv + 2);
	else if (strcmp(argv[1], "ima") == 0)
		rc = cmd_ima(argc - 2, argv + 2);
	else if (strcmp(argv[1], "certify") == 0)
		rc = cmd_certify(argc - 2, argv + 2);
	else
		die("unknown command %s", argv[1]);
	tpm_close();
	return rc;
}
