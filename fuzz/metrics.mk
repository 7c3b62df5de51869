# SPDX-License-Identifier: GPL-2.0-or-later
# Fuzz target of metric cell names read back from Redis.
FUZZ_PROGS += fuzz/fuzz_metrics
FUZZ_TESTS += fuzz/replay-metrics.test
fuzz_fuzz_metrics_SOURCES = fuzz/fuzz_metrics.c $(fuzz_driver)
fuzz_fuzz_metrics_CPPFLAGS = $(FUZZ_CFLAGS)
fuzz_fuzz_metrics_LDADD = $(FUZZ_LIBS)
fuzz_fuzz_metrics_LDFLAGS = $(fuzz_ldflags)
