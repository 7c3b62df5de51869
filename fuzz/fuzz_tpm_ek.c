/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: what a device sends to enrol its TPM, as the verifier
 * checks it. Input: u16be length, the EK's TPMT_PUBLIC; u16be length, the
 * AK's TPMT_PUBLIC; the rest the EK certificate (DER). The EK is decoded
 * and checked, its certificate verified to a root made at start, and a
 * credential made for the AK's Name.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "tpm.h"
#include "tpm_enroll.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ar_tpm_ek_trust_t *trust;

static int part(const uint8_t **data, size_t *size, const uint8_t **p, size_t *n)
{
	if (*size < 2)
		return -1;
	*n = (size_t)(*data)[0] << 8 | (*data)[1];
	if (*size - 2 < *n)
		return -1;
	*p = *data + 2;
	*data += 2 + *n;
	*size -= 2 + *n;
	return 0;
}

/* A self-signed root in a temporary file, loaded as the trust store. */
static ar_tpm_ek_trust_t *make_trust(void)
{
	char path[] = "/tmp/fuzz-ek-root.XXXXXX";
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	ar_tpm_ek_trust_t *t = NULL;
	FILE *f = NULL;
	int fd = mkstemp(path);

	if (fd < 0 || !key || !x)
		goto out;
	f = fdopen(fd, "w");
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)"fuzz EK root", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_set_pubkey(x, key);
	if (f && X509_sign(x, key, EVP_sha256()) > 0 && PEM_write_X509(f, x) == 1 &&
	    fflush(f) == 0)
		t = ar_tpm_ek_trust_load(path, NULL, NULL);
out:
	if (f)
		fclose(f);
	else if (fd >= 0)
		close(fd);
	if (fd >= 0)
		unlink(path);
	X509_free(x);
	EVP_PKEY_free(key);
	return t;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t secret[AR_TPM_CRED_SECRET_LEN] = { 1 };
	uint8_t blob[AR_TPM_CRED_BLOB_MAX], enc[AR_TPM_CRED_BLOB_MAX];
	const uint8_t *ekp, *akp;
	size_t ek_len, ak_len, bl, el;
	ar_tpm_key_t ek, ak;
	ar_err_t err;

	if (!trust && !(trust = make_trust()))
		abort();
	if (part(&data, &size, &ekp, &ek_len) < 0 || part(&data, &size, &akp, &ak_len) < 0)
		return 0;
	if (ar_tpm_key_decode(ekp, ek_len, &ek, &err) != AR_TPM_OK)
		return 0;
	if (ar_tpm_key_decode(akp, ak_len, &ak, &err) == AR_TPM_OK) {
		(void)ar_tpm_ak_check(&ak, &err);
		if (ar_tpm_ek_check(&ek, &err) == AR_TPM_OK)
			(void)ar_tpm_make_credential(&ek, ak.name, ak.name_len, secret, blob, &bl,
						     enc, &el, &err);
		ar_tpm_key_clear(&ak);
	}
	(void)ar_tpm_ek_cert_verify(trust, data, size, &ek, 1700000000, &err);
	ar_tpm_key_clear(&ek);
	return 0;
}
