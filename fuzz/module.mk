# SPDX-License-Identifier: GPL-2.0-or-later
# Fuzz targets of the module parsers.
FUZZ_PROGS += fuzz/fuzz_module
FUZZ_TESTS += fuzz/replay-module.test
fuzz_fuzz_module_SOURCES = fuzz/fuzz_module.c $(fuzz_driver)
fuzz_fuzz_module_CPPFLAGS = $(FUZZ_CFLAGS) -I$(top_srcdir)/rlm_acme_rats
fuzz_fuzz_module_LDADD = $(armod_libs)
fuzz_fuzz_module_LDFLAGS = $(fuzz_ldflags)
