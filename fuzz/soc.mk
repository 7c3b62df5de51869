# SPDX-License-Identifier: GPL-2.0-or-later
# Fuzz target of the SIEM alert mapping rules (lib/alert.c).
FUZZ_PROGS += fuzz/fuzz_alert
FUZZ_TESTS += fuzz/replay-alert.test
fuzz_fuzz_alert_SOURCES = fuzz/fuzz_alert.c $(fuzz_driver)
fuzz_fuzz_alert_CPPFLAGS = $(FUZZ_CFLAGS)
fuzz_fuzz_alert_LDADD = $(FUZZ_LIBS)
fuzz_fuzz_alert_LDFLAGS = $(fuzz_ldflags)
