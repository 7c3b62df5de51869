/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What certificate issuance (x509.c) takes from the CSR code (x509_csr.c),
 * which keeps the PKCS#10 and RFC 4043 ASN.1 templates to itself. Hidden
 * from the shared library's symbols.
 */
#ifndef ACME_RATS_X509_INT_H
#define ACME_RATS_X509_INT_H

#include <openssl/x509v3.h>

#include "x509.h"

#pragma GCC visibility push(hidden)

/* An otherName of type RFC 4043 PermanentIdentifier with @value; NULL: no memory. */
GENERAL_NAME *x509_permanent_id_name(const char *value);

/* Copy @csr's subjectPublicKeyInfo into @x as it was encoded; 0 or -1. */
int x509_csr_copy_pubkey(X509 *x, const ar_csr_t *csr);

/* 1 when ar_csr_check() accepted @csr (its key is made), else 0. */
int x509_csr_checked(const ar_csr_t *csr);

#pragma GCC visibility pop

#endif
