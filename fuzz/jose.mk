# SPDX-License-Identifier: GPL-2.0-or-later
# Fuzz targets of the JOSE core.
FUZZ_PROGS += fuzz/fuzz_jws fuzz/fuzz_jwk fuzz/fuzz_jwe fuzz/fuzz_acme_jws
FUZZ_TESTS += fuzz/replay-jws.test fuzz/replay-jwk.test fuzz/replay-jwe.test \
	fuzz/replay-acme_jws.test

fuzz_fuzz_jws_SOURCES = fuzz/fuzz_jws.c $(fuzz_driver)
fuzz_fuzz_jws_CPPFLAGS = $(FUZZ_CFLAGS)
fuzz_fuzz_jws_LDADD = $(FUZZ_LIBS)
fuzz_fuzz_jws_LDFLAGS = $(fuzz_ldflags)
fuzz_fuzz_jwk_SOURCES = fuzz/fuzz_jwk.c $(fuzz_driver)
fuzz_fuzz_jwk_CPPFLAGS = $(FUZZ_CFLAGS)
fuzz_fuzz_jwk_LDADD = $(FUZZ_LIBS)
fuzz_fuzz_jwk_LDFLAGS = $(fuzz_ldflags)
fuzz_fuzz_jwe_SOURCES = fuzz/fuzz_jwe.c $(fuzz_driver)
fuzz_fuzz_jwe_CPPFLAGS = $(FUZZ_CFLAGS)
fuzz_fuzz_jwe_LDADD = $(FUZZ_LIBS)
fuzz_fuzz_jwe_LDFLAGS = $(fuzz_ldflags)
fuzz_fuzz_acme_jws_SOURCES = fuzz/fuzz_acme_jws.c $(fuzz_driver)
fuzz_fuzz_acme_jws_CPPFLAGS = $(FUZZ_CFLAGS)
fuzz_fuzz_acme_jws_LDADD = $(FUZZ_LIBS)
fuzz_fuzz_acme_jws_LDFLAGS = $(fuzz_ldflags)

# Seed generator: `make -C BUILDDIR fuzz/mkseeds && fuzz/mkseeds SRCDIR/fuzz/corpus`.
EXTRA_PROGRAMS += fuzz/mkseeds
fuzz_mkseeds_SOURCES = fuzz/mkseeds.c fuzz/evidence_key.h
fuzz_mkseeds_CPPFLAGS = $(FUZZ_CFLAGS)
fuzz_mkseeds_LDADD = $(FUZZ_LIBS)
CLEANFILES += fuzz/mkseeds

# Attestation formats.
FUZZ_PROGS += fuzz/fuzz_cmw fuzz/fuzz_ear
FUZZ_TESTS += fuzz/replay-cmw.test fuzz/replay-ear.test
fuzz_fuzz_cmw_SOURCES = fuzz/fuzz_cmw.c $(fuzz_driver)
fuzz_fuzz_cmw_CPPFLAGS = $(FUZZ_CFLAGS)
fuzz_fuzz_cmw_LDADD = $(FUZZ_LIBS)
fuzz_fuzz_cmw_LDFLAGS = $(fuzz_ldflags)
fuzz_fuzz_ear_SOURCES = fuzz/fuzz_ear.c $(fuzz_driver)
fuzz_fuzz_ear_CPPFLAGS = $(FUZZ_CFLAGS)
fuzz_fuzz_ear_LDADD = $(FUZZ_LIBS)
fuzz_fuzz_ear_LDFLAGS = $(fuzz_ldflags)
FUZZ_PROGS += fuzz/fuzz_evidence
FUZZ_TESTS += fuzz/replay-evidence.test
fuzz_fuzz_evidence_SOURCES = fuzz/fuzz_evidence.c $(fuzz_driver)
fuzz_fuzz_evidence_CPPFLAGS = $(FUZZ_CFLAGS)
fuzz_fuzz_evidence_LDADD = $(FUZZ_LIBS)
fuzz_fuzz_evidence_LDFLAGS = $(fuzz_ldflags)
FUZZ_PROGS += fuzz/fuzz_evidence_jws
FUZZ_TESTS += fuzz/replay-evidence_jws.test
fuzz_fuzz_evidence_jws_SOURCES = fuzz/fuzz_evidence_jws.c fuzz/evidence_key.h $(fuzz_driver)
fuzz_fuzz_evidence_jws_CPPFLAGS = $(FUZZ_CFLAGS)
fuzz_fuzz_evidence_jws_LDADD = $(FUZZ_LIBS)
fuzz_fuzz_evidence_jws_LDFLAGS = $(fuzz_ldflags)
