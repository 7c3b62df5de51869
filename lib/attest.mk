# SPDX-License-Identifier: GPL-2.0-or-later
# The device attester: evidence collection on Linux (see docs/evidence.md).
lib_libacmerats_la_SOURCES += lib/attest.c lib/attest.h
pkginclude_HEADERS += lib/attest.h
