# SPDX-License-Identifier: GPL-2.0-or-later
# The Redis store: posture, certificates, sessions, devices, event stream.
lib_libacmerats_la_SOURCES += lib/store.c lib/store.h
pkginclude_HEADERS += lib/store.h

# RADIUS Dynamic Authorization (Disconnect-Request), for the NOC's event worker.
lib_libacmerats_la_SOURCES += lib/radius.c lib/radius.h
pkginclude_HEADERS += lib/radius.h

# The SOC's verdict over a posture: the worse-of rule and their JSON.
lib_libacmerats_la_SOURCES += lib/verdict.c lib/verdict.h
pkginclude_HEADERS += lib/verdict.h
