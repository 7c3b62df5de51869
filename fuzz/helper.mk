# SPDX-License-Identifier: GPL-2.0-or-later
# Fuzz targets of the helper parsers: the ACME server responses of acme-rats-helper,
# and the TSS2 key file of its TPM key.
FUZZ_PROGS += fuzz/fuzz_acme_response
FUZZ_TESTS += fuzz/replay-acme_response.test
fuzz_fuzz_acme_response_SOURCES = fuzz/fuzz_acme_response.c \
	helper/acme_msg.c helper/acme_msg.h $(fuzz_driver)
fuzz_fuzz_acme_response_CPPFLAGS = $(FUZZ_CFLAGS) -I$(top_srcdir)/helper
fuzz_fuzz_acme_response_LDADD = $(FUZZ_LIBS)
fuzz_fuzz_acme_response_LDFLAGS = $(fuzz_ldflags)

# The TSS2 key file of the helper's TPM key (helper/tss2key.h).
FUZZ_PROGS += fuzz/fuzz_tss2key
FUZZ_TESTS += fuzz/replay-tss2key.test
fuzz_fuzz_tss2key_SOURCES = fuzz/fuzz_tss2key.c helper/tss2key.c helper/tss2key.h \
	$(fuzz_driver)
fuzz_fuzz_tss2key_CPPFLAGS = $(FUZZ_CFLAGS) -I$(top_srcdir)/helper
fuzz_fuzz_tss2key_LDADD = $(FUZZ_LIBS)
fuzz_fuzz_tss2key_LDFLAGS = $(fuzz_ldflags)
