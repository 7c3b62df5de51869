# SPDX-License-Identifier: GPL-2.0-or-later
# The Redis store: posture, certificates, sessions, devices, event stream, and
# the SOC's verdict over a posture (verdict.c: the worse-of rule and their JSON).
# The module compiles the same list into its convenience library.
store_sources = lib/store.h lib/store_int.h lib/store_conn.c lib/store_sentinel.c lib/store_ack.c lib/store_field.c \
	lib/store_value.c lib/store_batch.c lib/store_device.c lib/store_cert.c \
	lib/store_session.c lib/store_event.c lib/store_metrics.c lib/store_tpm.c lib/verdict.c lib/verdict.h
lib_libacmerats_la_SOURCES += $(store_sources)
pkginclude_HEADERS += lib/store.h lib/verdict.h

# RADIUS Dynamic Authorization (Disconnect-Request), for the NOC's event worker.
lib_libacmerats_la_SOURCES += lib/radius.c lib/radius.h
pkginclude_HEADERS += lib/radius.h
