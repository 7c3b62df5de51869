#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# acme-rats-helper under valgrind memcheck (TAP): enroll in both attestation
# models, renew, status and a refused (unpatched) device, against a real
# acme-rats-ca, acme-rats-verifier and redis-server. Each run must end with
# zero memcheck errors and no definitely lost memory. In a sanitizer build
# the binary carries AddressSanitizer, which excludes valgrind: the same
# runs then happen without valgrind and ASan/LSan do the checking (an
# error makes the helper exit with their status).
set -u
# shellcheck source=tests/helper/lab.sh
. "$(dirname "$0")/lab.sh"
command -v valgrind >/dev/null || bail "valgrind is missing: run scripts/setup"

lab_start_all "identifiers = permanent-identifier
attest = any os_patch_level
lifetime = 1h"

bin=$helper
[ -x "$top_build/helper/.libs/acme-rats-helper" ] && bin=$top_build/helper/.libs/acme-rats-helper
export LD_LIBRARY_PATH=$top_build/lib/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
if ldd "$bin" 2>/dev/null | grep -q libasan; then
	checker=()
	what="AddressSanitizer"
else
	checker=(valgrind --quiet --error-exitcode=99 --leak-check=full
		 --errors-for-leak-kinds=definite --show-leak-kinds=definite
		 --suppressions=/dev/null)
	what="valgrind memcheck"
fi

# checked EXPECTED_EXIT WHAT ARGS...: one helper run under the checker.
checked() {
	local want=$1 name=$2 rc
	shift 2
	"${checker[@]}" "$bin" "$@" >"$work/out" 2>"$work/err"
	rc=$?
	if [ "$rc" -eq "$want" ] && ! grep -qE 'ERROR SUMMARY: [1-9]|definitely lost: [1-9]|ERROR: (Address|Leak)Sanitizer' "$work/err"; then
		ok "$name: exit $rc, no errors under $what"
	else
		not_ok "$name under $what (exit $rc, expected $want)" "$(grep -E 'ERROR|lost|Invalid|uninit' "$work/err" | head -5)"
	fi
}

helper_conf "$work/h.conf" "$work/state"
checked 0 "enroll, passport model" enroll -c "$work/h.conf"
checked 0 "renew --force" renew --force -c "$work/h.conf"
checked 0 "status" status -c "$work/h.conf"
MODEL=background-check helper_conf "$work/bg.conf" "$work/state-bg"
checked 0 "enroll, background-check model" enroll -c "$work/bg.conf"
echo '{"patch": {"last_security_update": 1600000000}}' >"$work/unpatched.json"
OVERRIDE=$work/unpatched.json helper_conf "$work/bad.conf" "$work/state-bad"
checked 2 "an unpatched device is refused" enroll -c "$work/bad.conf"

finish
