# SPDX-License-Identifier: GPL-2.0-or-later
# JOSE core: base64url, hex, JWK, JWS, JWE, ACME request envelopes; file helpers
# and the growable buffer.
lib_libacmerats_la_SOURCES += \
	lib/b64.c lib/b64.h \
	lib/hex.c lib/hex.h \
	lib/json.c lib/json.h \
	lib/token.c lib/token.h \
	lib/buf.c lib/buf.h \
	lib/fileio.c lib/fileio.h \
	lib/jwk.c lib/jwks.c lib/jwk.h \
	lib/jws.c lib/jws.h \
	lib/jwe.c lib/jwe.h \
	lib/acme_jws.c lib/acme_jws.h
pkginclude_HEADERS += lib/b64.h lib/hex.h lib/json.h lib/token.h lib/buf.h lib/fileio.h lib/jwk.h lib/jws.h lib/jwe.h lib/acme_jws.h

# Attestation formats: CMW and EAT Attestation Results.
lib_libacmerats_la_SOURCES += lib/cmw.c lib/cmw.h lib/ear.c lib/ear.h lib/evidence.c lib/evidence.h \
	lib/evidence_jws.c lib/evidence_jws.h
pkginclude_HEADERS += lib/cmw.h lib/ear.h lib/evidence.h lib/evidence_jws.h
