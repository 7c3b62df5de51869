#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Test (TAP): the kill -9 hook of the certificate replacement
# (ACME_RATS_HELPER_CRASH_AT) is in the test build of the helper only. An
# installed helper that honoured it could be made to die half-way through a
# renewal by anyone who can set its environment.
set -u

lab_name=crashhook
# shellcheck source=tests/lab/lab.sh
. "${AR_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab/lab.sh"
libtool=$top_build/libtool
[ -x "$top_build/helper/acme-rats-helper" ] || bail "acme-rats-helper is not built"
[ -x "$top_build/tests/helper/acme-rats-helper-crash" ] || bail "the test build of the helper is not built"

# hook_count PROGRAM: how many times the binary (not libtool's wrapper) holds the name.
hook_count() {
	"$libtool" --mode=execute grep -c -a ACME_RATS_HELPER_CRASH_AT "$1"
}

n=$(hook_count "$top_build/helper/acme-rats-helper")
if [ "$n" -eq 0 ]; then
	ok "the helper that is installed does not contain ACME_RATS_HELPER_CRASH_AT"
else
	not_ok "the helper that is installed does not contain ACME_RATS_HELPER_CRASH_AT" "grep -c: $n"
fi

# The same search finds the hook where it is compiled in: the check can fail.
n=$(hook_count "$top_build/tests/helper/acme-rats-helper-crash")
if [ "$n" -gt 0 ]; then
	ok "the test build contains the hook, so the search above can find it"
else
	not_ok "the test build contains the hook, so the search above can find it" "grep -c: $n"
fi
lab_done
