# SPDX-License-Identifier: GPL-2.0-or-later
# Fuzz target of the HTTP layer shared by the daemons: the request framing check.
FUZZ_PROGS += fuzz/fuzz_http_framing
FUZZ_TESTS += fuzz/replay-http_framing.test
fuzz_fuzz_http_framing_SOURCES = fuzz/fuzz_http_framing.c common/http_framing.c \
	common/http_framing.h $(fuzz_driver)
fuzz_fuzz_http_framing_CPPFLAGS = $(FUZZ_CFLAGS) -I$(top_srcdir)/common
fuzz_fuzz_http_framing_LDADD = $(FUZZ_LIBS)
fuzz_fuzz_http_framing_LDFLAGS = $(fuzz_ldflags)
