# SPDX-License-Identifier: GPL-2.0-or-later
# Fuzz target of the configuration-file reader and binding.
FUZZ_PROGS += fuzz/fuzz_conf
FUZZ_TESTS += fuzz/replay-conf.test
fuzz_fuzz_conf_SOURCES = fuzz/fuzz_conf.c $(fuzz_driver)
fuzz_fuzz_conf_CPPFLAGS = $(FUZZ_CFLAGS)
fuzz_fuzz_conf_LDADD = $(FUZZ_LIBS)
fuzz_fuzz_conf_LDFLAGS = $(fuzz_ldflags)
