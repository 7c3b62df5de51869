# SPDX-License-Identifier: GPL-2.0-or-later
# rlm_acme_rats: the FreeRADIUS 3.2 module, its raddb files and its tests.
#
# The module links libacmerats statically, compiled again here without the
# sanitizers (see frmod_nosan below) from the library's own list of sources
# (lib/*.mk): libtool builds convenience objects position-independent, so
# they can go into a shared module; the installed libacmerats.la is for the
# daemons. Only the module_t symbol is exported, and the linker drops the
# library's functions the module does not reach (--gc-sections).

# The decision (check.c): FreeRADIUS-free, shared by the module's tests, its
# fuzz target and its benchmark, which link it with libacmerats.
armod_deps_cflags = $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS) $(JOSE_CFLAGS) $(HIREDIS_CFLAGS)
armod_deps_libs = $(JOSE_LIBS) $(JANSSON_LIBS) $(OPENSSL_LIBS) $(HIREDIS_LIBS)
noinst_LTLIBRARIES += rlm_acme_rats/libarmod.la
rlm_acme_rats_libarmod_la_SOURCES = rlm_acme_rats/check.c rlm_acme_rats/check.h
rlm_acme_rats_libarmod_la_CPPFLAGS = $(AM_CPPFLAGS) $(armod_deps_cflags)
armod_libs = rlm_acme_rats/libarmod.la lib/libacmerats.la $(armod_deps_libs)

# FreeRADIUS's module directory (Debian: /usr/lib/freeradius). Override at
# install time: make install frmoddir=/usr/lib/freeradius
frmoddir = $(libdir)/freeradius

# Compile flags of an out-of-tree FreeRADIUS 3.2 module (they mirror the
# upstream in-tree build). The overlay comes in as a system include
# directory: its headers are not ours to hold to our warning flags.
FREERADIUS_MODULE_CPPFLAGS = $(FREERADIUS_CPPFLAGS:-I%=-isystem %) -DIS_MODULE=1 \
	-include freeradius/autoconf.h -include freeradius/build.h \
	-include freeradius/features.h -include freeradius/radpaths.h

# The module itself is never built with sanitizers: Debian's freeradius
# dlopen()s modules with RTLD_DEEPBIND, which the ASan runtime refuses.
# Its memory safety is checked under valgrind instead
# (tests/module/test_module_memcheck), and check.c under ASan through
# libarmod in the tests and the fuzz target.
frmod_nosan = $(filter-out -fsanitize=% -fno-sanitize-recover=% -fno-omit-frame-pointer,$(1))

if BUILD_MODULE
noinst_LTLIBRARIES += rlm_acme_rats/libarmod_nosan.la
rlm_acme_rats_libarmod_nosan_la_SOURCES = rlm_acme_rats/check.c rlm_acme_rats/check.h \
	$(lib_libacmerats_la_SOURCES)
rlm_acme_rats_libarmod_nosan_la_CPPFLAGS = $(AM_CPPFLAGS) $(armod_deps_cflags)
rlm_acme_rats_libarmod_nosan_la_CFLAGS = $(call frmod_nosan,$(AM_CFLAGS)) -ffunction-sections \
	-fdata-sections

frmod_LTLIBRARIES = rlm_acme_rats/rlm_acme_rats.la
rlm_acme_rats_rlm_acme_rats_la_SOURCES = rlm_acme_rats/rlm_acme_rats.c
rlm_acme_rats_rlm_acme_rats_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/rlm_acme_rats \
	$(FREERADIUS_MODULE_CPPFLAGS) $(armod_deps_cflags)
rlm_acme_rats_rlm_acme_rats_la_CFLAGS = $(call frmod_nosan,$(AM_CFLAGS))
rlm_acme_rats_rlm_acme_rats_la_LIBADD = rlm_acme_rats/libarmod_nosan.la $(armod_deps_libs)
rlm_acme_rats_rlm_acme_rats_la_LDFLAGS = $(call frmod_nosan,$(AM_LDFLAGS)) -module -avoid-version \
	-shared -rpath $(frmoddir) -export-symbols-regex '^rlm_acme_rats$$' -Wl,--gc-sections
endif

# ---- Tests ------------------------------------------------------------------
radtest_sources = tests/module/radtest.c tests/module/radtest.h $(ca_test_sources)

# The decision table, row by row, against a real redis-server.
check_PROGRAMS += tests/module/test_check
TESTS += tests/module/test_check
tests_module_test_check_SOURCES = tests/module/test_check.c tests/module/modfix.c \
	tests/module/modfix.h $(lab_sources)
tests_module_test_check_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/rlm_acme_rats
tests_module_test_check_LDADD = $(armod_libs) $(CMOCKA_LIBS)

if BUILD_MODULE
# The scenario matrix: real redis, acme-rats-ca, freeradius -X, eapol_test.
check_PROGRAMS += tests/module/test_module
TESTS += tests/module/test_module
tests_module_test_module_SOURCES = tests/module/test_module.c $(radtest_sources)
tests_module_test_module_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/rlm_acme_rats

# The module under valgrind memcheck inside freeradius.
check_PROGRAMS += tests/module/test_module_memcheck
TESTS += tests/module/test_module_memcheck
tests_module_test_module_memcheck_SOURCES = tests/module/test_module_memcheck.c $(radtest_sources)

# freeradius -XC with the shipped raddb; bad settings; install-raddb.
TESTS += tests/module/test_raddb.sh
endif

EXTRA_DIST += raddb tests/fixtures/mkraddb tests/fixtures/mkforgery tests/fixtures/mklongserial \
	tests/module/test_raddb.sh

# ---- raddb ------------------------------------------------------------------
# `make install` keeps a copy of the FreeRADIUS files under
# $(pkgdatadir)/raddb; `make install-raddb` places them into the live
# configuration without clobbering local changes (raddb/install-raddb):
#   make install-raddb RADDB=/etc/freeradius/3.0
RADDB = /etc/freeradius/3.0
raddbdatadir = $(pkgdatadir)
nobase_dist_raddbdata_DATA = raddb/mods-available/acme_rats raddb/sites-available/acme-rats \
	raddb/dictionary.acme_rats
raddbscriptdir = $(pkgdatadir)/raddb
dist_raddbscript_SCRIPTS = raddb/install-raddb
dist_doc_DATA += docs/module.md
dist_man5_MANS = rlm_acme_rats/rlm_acme_rats.5

install-raddb:
	$(SHELL) $(srcdir)/raddb/install-raddb $(DESTDIR)$(RADDB)
