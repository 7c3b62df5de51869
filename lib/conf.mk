# SPDX-License-Identifier: GPL-2.0-or-later
# Configuration files of every daemon: reader and declarative binding.
lib_libacmerats_la_SOURCES += lib/conf.c lib/conf.h
pkginclude_HEADERS += lib/conf.h
