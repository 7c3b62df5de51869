/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The "TSS2 PRIVATE KEY" file (tss2key.h), through OpenSSL's ASN.1
 * templates, in the layout of tpm2-tss-engine and tpm2-openssl.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/asn1t.h>
#include <openssl/bio.h>
#include <openssl/objects.h>
#include <openssl/pem.h>

#include "tss2key.h"

#define TSS2KEY_PEM_NAME	"TSS2 PRIVATE KEY"
#define TSS2KEY_OID		"2.23.133.10.1.3"

typedef struct AR_TSS2KEY {
	ASN1_OBJECT		*type;
	ASN1_BOOLEAN		empty_auth;
	ASN1_INTEGER		*parent;
	ASN1_OCTET_STRING	*pubkey;
	ASN1_OCTET_STRING	*privkey;
} AR_TSS2KEY;

DECLARE_ASN1_FUNCTIONS(AR_TSS2KEY)

ASN1_SEQUENCE(AR_TSS2KEY) = {
	ASN1_SIMPLE(AR_TSS2KEY, type, ASN1_OBJECT),
	ASN1_EXP_OPT(AR_TSS2KEY, empty_auth, ASN1_BOOLEAN, 0),
	ASN1_SIMPLE(AR_TSS2KEY, parent, ASN1_INTEGER),
	ASN1_SIMPLE(AR_TSS2KEY, pubkey, ASN1_OCTET_STRING),
	ASN1_SIMPLE(AR_TSS2KEY, privkey, ASN1_OCTET_STRING)
} ASN1_SEQUENCE_END(AR_TSS2KEY)

IMPLEMENT_ASN1_FUNCTIONS(AR_TSS2KEY)

char *tss2key_pem(const tss2key_t *k, ar_err_t *err)
{
	AR_TSS2KEY *a = AR_TSS2KEY_new();
	unsigned char *der = NULL;
	BIO *bio = NULL;
	BUF_MEM *mem = NULL;
	char *pem = NULL;
	int len = -1;

	if (a && (a->type = OBJ_txt2obj(TSS2KEY_OID, 1)) &&
	    ASN1_INTEGER_set_uint64(a->parent, k->parent) == 1 &&
	    ASN1_OCTET_STRING_set(a->pubkey, k->pub, (int)k->pub_len) == 1 &&
	    ASN1_OCTET_STRING_set(a->privkey, k->priv, (int)k->priv_len) == 1) {
		a->empty_auth = 1;
		len = i2d_AR_TSS2KEY(a, &der);
	}
	bio = len > 0 ? BIO_new(BIO_s_mem()) : NULL;
	if (bio && PEM_write_bio(bio, TSS2KEY_PEM_NAME, "", der, len) > 0 &&
	    BIO_get_mem_ptr(bio, &mem) == 1 && (pem = malloc(mem->length + 1))) {
		memcpy(pem, mem->data, mem->length);
		pem[mem->length] = '\0';
	}
	if (!pem)
		ar_err_set(err, AR_ERR_CRYPTO, "cannot encode the TSS2 key file");
	BIO_free(bio);
	OPENSSL_free(der);
	AR_TSS2KEY_free(a);
	return pem;
}

static int part(const ASN1_OCTET_STRING *s, const char *what, uint8_t *out, size_t *len,
		ar_err_t *err)
{
	int n = ASN1_STRING_length(s);

	if (n <= 0 || (size_t)n > TSS2KEY_PART_MAX)
		return ar_err_set(err, AR_ERR_MALFORMED, "TSS2 key file: %s of %d octets (1..%d)",
				  what, n, TSS2KEY_PART_MAX);
	memcpy(out, ASN1_STRING_get0_data(s), (size_t)n);
	*len = (size_t)n;
	return 0;
}

/* The DER of the one PEM block, which must be a TSS2 key file's (OPENSSL_free). */
static unsigned char *pem_block(const char *pem, size_t len, long *der_len, ar_err_t *err)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	char *name = NULL, *header = NULL;
	unsigned char *der = NULL;

	if (!bio || PEM_read_bio(bio, &name, &header, &der, der_len) != 1) {
		ar_err_set(err, AR_ERR_MALFORMED, "TSS2 key file: no PEM block");
	} else if (strcmp(name, TSS2KEY_PEM_NAME)) {
		ar_err_set(err, AR_ERR_MALFORMED, "TSS2 key file: a \"%.32s\" PEM block", name);
		OPENSSL_free(der);
		der = NULL;
	}
	OPENSSL_free(name);
	OPENSSL_free(header);
	BIO_free(bio);
	return der;
}

int tss2key_parse(const char *pem, size_t len, tss2key_t *k, ar_err_t *err)
{
	const unsigned char *p;
	unsigned char *der;
	AR_TSS2KEY *a = NULL;
	ASN1_OBJECT *oid = NULL;
	uint64_t parent = 0;
	long der_len = 0;
	int rc = -1;

	memset(k, 0, sizeof(*k));
	if (len > TSS2KEY_PEM_MAX)
		return ar_err_set(err, AR_ERR_TOO_LARGE, "TSS2 key file: over %d octets",
				  TSS2KEY_PEM_MAX);
	der = pem_block(pem, len, &der_len, err);
	if (!der)
		return -1;
	p = der;
	a = d2i_AR_TSS2KEY(NULL, &p, der_len);
	oid = OBJ_txt2obj(TSS2KEY_OID, 1);
	if (!a || p != der + der_len) {
		ar_err_set(err, AR_ERR_MALFORMED, "TSS2 key file: not a TPMKey SEQUENCE");
		goto out;
	}
	if (!oid || OBJ_cmp(a->type, oid)) {
		ar_err_set(err, AR_ERR_MALFORMED, "TSS2 key file: not a loadable key (OID %s)",
			   TSS2KEY_OID);
		goto out;
	}
	if (ASN1_INTEGER_get_uint64(&parent, a->parent) != 1 || parent > 0xffffffffu) {
		ar_err_set(err, AR_ERR_MALFORMED, "TSS2 key file: the parent is not a handle");
		goto out;
	}
	k->parent = (uint32_t)parent;
	k->empty_auth = a->empty_auth > 0;
	if (part(a->pubkey, "TPM2B_PUBLIC", k->pub, &k->pub_len, err) < 0 ||
	    part(a->privkey, "TPM2B_PRIVATE", k->priv, &k->priv_len, err) < 0)
		goto out;
	rc = 0;
out:
	ASN1_OBJECT_free(oid);
	AR_TSS2KEY_free(a);
	OPENSSL_free(der);
	return rc;
}
