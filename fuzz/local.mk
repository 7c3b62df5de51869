# SPDX-License-Identifier: GPL-2.0-or-later
# Fuzz targets: one per parser of untrusted input, each in fuzz/fuzz_X.c with
# its seed corpus in fuzz/corpus/X/. With --enable-fuzzing they link
# libFuzzer; otherwise the replay driver runs each corpus in `make check`.
# A fragment adds a target X with:
#   FUZZ_PROGS += fuzz/fuzz_X
#   fuzz_fuzz_X_SOURCES = fuzz/fuzz_X.c $(fuzz_driver)
#   fuzz_fuzz_X_CPPFLAGS = $(FUZZ_CFLAGS)
#   fuzz_fuzz_X_LDADD = $(FUZZ_LIBS)
#   fuzz_fuzz_X_LDFLAGS = $(fuzz_ldflags)
#   FUZZ_TESTS += fuzz/replay-X.test

FUZZ_CFLAGS = $(AM_CPPFLAGS) $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS) $(JOSE_CFLAGS) \
	$(HIREDIS_CFLAGS)
FUZZ_LIBS = lib/libacmerats.la $(JOSE_LIBS) $(JANSSON_LIBS) $(OPENSSL_LIBS) \
	$(HIREDIS_LIBS)
FUZZ_PROGS =
FUZZ_TESTS =

if FUZZING
fuzz_driver =
fuzz_ldflags = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
else
fuzz_driver = fuzz/replay.c
fuzz_ldflags = $(AM_LDFLAGS)
endif

include fuzz/jose.mk
include fuzz/conf.mk
include fuzz/attest.mk
include fuzz/x509.mk
include fuzz/helper.mk
include fuzz/module.mk
include fuzz/ca.mk
include fuzz/httpd.mk
include fuzz/tpm.mk
include fuzz/soc.mk
include fuzz/metrics.mk

if FUZZING
noinst_PROGRAMS += $(FUZZ_PROGS)

# Every target for FUZZ_SECONDS from its seeds (part of scripts/test).
FUZZ_SECONDS = 30
# Targets run at a time (each libFuzzer process is one thread).
FUZZ_JOBS = 1
fuzz-smoke: $(FUZZ_PROGS)
	$(SHELL) $(top_srcdir)/fuzz/run --seconds $(FUZZ_SECONDS) --jobs $(FUZZ_JOBS) $(FUZZ_PROGS:%=$(abs_builddir)/%)
else
fuzz-smoke:
	@echo "fuzz-smoke needs a fuzzing build: ./configure CC=clang --enable-fuzzing" >&2; exit 1
check_PROGRAMS += $(FUZZ_PROGS)
TESTS += $(FUZZ_TESTS)
endif

# fuzz/replay-X.test: generated wrapper that replays fuzz/corpus/X.
fuzz/replay-%.test: Makefile
	$(AM_V_GEN)mkdir -p fuzz && \
	{ echo '#!/bin/sh'; \
	  echo 'exec "$(abs_top_builddir)/fuzz/fuzz_$*" "$(abs_top_srcdir)/fuzz/corpus/$*"'; \
	} >$@ && chmod +x $@
CLEANFILES += $(FUZZ_TESTS)

EXTRA_DIST += fuzz/corpus fuzz/dict fuzz/run
