# SPDX-License-Identifier: GPL-2.0-or-later
# Fuzz targets of the certificate units.
FUZZ_PROGS += fuzz/fuzz_certext
FUZZ_TESTS += fuzz/replay-certext.test
fuzz_fuzz_certext_SOURCES = fuzz/fuzz_certext.c $(fuzz_driver)
fuzz_fuzz_certext_CPPFLAGS = $(FUZZ_CFLAGS)
fuzz_fuzz_certext_LDADD = $(FUZZ_LIBS)
fuzz_fuzz_certext_LDFLAGS = $(fuzz_ldflags)
FUZZ_PROGS += fuzz/fuzz_csr
FUZZ_TESTS += fuzz/replay-csr.test
fuzz_fuzz_csr_SOURCES = fuzz/fuzz_csr.c $(fuzz_driver)
fuzz_fuzz_csr_CPPFLAGS = $(FUZZ_CFLAGS)
fuzz_fuzz_csr_LDADD = $(FUZZ_LIBS)
fuzz_fuzz_csr_LDFLAGS = $(fuzz_ldflags)
