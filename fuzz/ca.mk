# SPDX-License-Identifier: GPL-2.0-or-later
# Fuzz targets of the ca parsers.
FUZZ_PROGS += fuzz/fuzz_dm_reply
FUZZ_TESTS += fuzz/replay-dm_reply.test
fuzz_fuzz_dm_reply_SOURCES = fuzz/fuzz_dm_reply.c $(fuzz_driver)
fuzz_fuzz_dm_reply_CPPFLAGS = $(FUZZ_CFLAGS)
fuzz_fuzz_dm_reply_LDADD = $(FUZZ_LIBS)
fuzz_fuzz_dm_reply_LDFLAGS = $(fuzz_ldflags)
