# SPDX-License-Identifier: GPL-2.0-or-later
# Certificates: the attestation extension, CSR checks and issuance.
lib_libacmerats_la_SOURCES += lib/certext.c lib/certext.h
pkginclude_HEADERS += lib/certext.h
lib_libacmerats_la_SOURCES += lib/x509.c lib/x509_csr.c lib/x509.h lib/x509_int.h
pkginclude_HEADERS += lib/x509.h
