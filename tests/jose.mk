# SPDX-License-Identifier: GPL-2.0-or-later
# Unit tests of the JOSE core, with published vectors (tests/vectors.h).
jose_unit_tests = \
	tests/unit/test_err_log \
	tests/unit/test_b64 \
	tests/unit/test_hex \
	tests/unit/test_jwk \
	tests/unit/test_jws \
	tests/unit/test_jwe \
	tests/unit/test_acme_jws
check_PROGRAMS += $(jose_unit_tests)
TESTS += $(jose_unit_tests)


noinst_HEADERS = tests/testutil.h tests/vectors.h

# Attestation formats.
check_PROGRAMS += tests/unit/test_cmw tests/unit/test_ear
TESTS += tests/unit/test_cmw tests/unit/test_ear
check_PROGRAMS += tests/unit/test_evidence
TESTS += tests/unit/test_evidence
# The growable buffer, with lib/buf.c linked in and realloc wrapped to fail.
check_PROGRAMS += tests/unit/test_buf
TESTS += tests/unit/test_buf
tests_unit_test_buf_SOURCES = tests/unit/test_buf.c lib/buf.c
tests_unit_test_buf_LDFLAGS = -Wl,--wrap=realloc
tests_unit_test_buf_LDADD = $(CMOCKA_LIBS)
check_PROGRAMS += tests/unit/test_fileio
TESTS += tests/unit/test_fileio
check_PROGRAMS += tests/unit/test_token
TESTS += tests/unit/test_token
