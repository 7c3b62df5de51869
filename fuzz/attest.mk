# SPDX-License-Identifier: GPL-2.0-or-later
# Fuzz target of the device attester's verifier client (its response parsers).
FUZZ_PROGS += fuzz/fuzz_verifier_response
FUZZ_TESTS += fuzz/replay-verifier_response.test
fuzz_fuzz_verifier_response_SOURCES = fuzz/fuzz_verifier_response.c \
	common/verifier_proto.c common/verifier_proto.h $(fuzz_driver)
fuzz_fuzz_verifier_response_CPPFLAGS = $(FUZZ_CFLAGS) -I$(top_srcdir)/common
fuzz_fuzz_verifier_response_LDADD = $(FUZZ_LIBS)
fuzz_fuzz_verifier_response_LDFLAGS = $(fuzz_ldflags)
