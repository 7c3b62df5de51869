#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Integration test (TAP): clocks that disagree, with libfaketime, between
# acme-rats-helper (the device), acme-rats-verifier and acme-rats-ca (all
# real, with redis-server). Each daemon reads its clock offset from a file
# (FAKETIME_TIMESTAMP_FILE), so one run moves it; the helper gets its offset
# per command. The fixtures' TLS certificates are made an hour early, as
# deployed ones would be, so that TLS is not what a skew breaks here.
# - The device's clock more than the tolerance ahead (300 s) or behind
#   (max_evidence_age, 300 s) of the verifier's: the verifier refuses the
#   evidence naming the skew, in both models; within the tolerance it passes.
# - The verifier's clock off from the CA's (the device agreeing with the
#   verifier): an EAR from beyond the CA's clock_skew or older than max_age
#   is refused with badAttestationStatement naming it; within, accepted.
# - The CA's clock ahead: notBefore is backdated 60 s, so 30 s ahead still
#   gives a certificate valid at the device's (and a RADIUS server's) time;
#   200 s ahead gives one OpenSSL refuses as not yet valid, as documented.
set -u
# shellcheck source=tests/helper/lab.sh
. "${AR_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/helper/lab.sh"

ft=$(find /usr/lib -maxdepth 3 -path '*/faketime/libfaketimeMT.so.1' 2>/dev/null | head -n 1)
[ -n "$ft" ] || bail "libfaketime is not installed (scripts/setup installs faketime)"
# ASan must come first among the libraries unless told otherwise.
faked_asan=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0

# libfaketime is loaded into our programs themselves, never into the libtool
# wrapper scripts before them: libfaketime 0.9.10 shares memory between a
# process and its children, and a shell's subshells, exiting, remove it
# under their parent - which then failed now and then ("sem_open failed").
# `libtool --mode=execute env VAR=... PROGRAM` execs the real PROGRAM.
lt_env=("$top_build/libtool" --mode=execute env)

# faked OFFSET CMD...: run CMD with its clock OFFSET seconds off ("+600", "-400").
faked() {
	local offset=$1
	shift
	"${lt_env[@]}" LD_PRELOAD="$ft" FAKETIME="$offset" FAKETIME_DONT_FAKE_MONOTONIC=1 \
		ASAN_OPTIONS="$faked_asan" "$@"
}

# The fixtures (mkca, mkverifier) are made an hour early.
mkdir -p "$work/bin"
printf '#!/bin/sh\nLD_PRELOAD=%s FAKETIME=-1h exec %s "$@"\n' "$ft" "$(command -v openssl)" \
	>"$work/bin/openssl"
chmod +x "$work/bin/openssl"

# A daemon's clock: the offset in its file, read at every call.
echo +0 >"$work/verifier.clock"
echo +0 >"$work/ca.clock"
clocked() {
	lab_launch=("${lt_env[@]}" LD_PRELOAD="$ft" FAKETIME_TIMESTAMP_FILE="$1" FAKETIME_NO_CACHE=1
		    FAKETIME_DONT_FAKE_MONOTONIC=1 ASAN_OPTIONS="$faked_asan")
	"${@:2}"
	lab_launch=()
}
real_path=$PATH
PATH=$work/bin:$PATH
# shellcheck disable=SC2119 # no extra redis-server arguments
lab_redis
clocked "$work/verifier.clock" lab_verifier
clocked "$work/ca.clock" lab_ca "identifiers = permanent-identifier
attest = any os_patch_level"
PATH=$real_path
device_tree "$work/device" 3
helper_conf "$work/h.conf" "$work/state"
MODEL=background-check helper_conf "$work/bg.conf" "$work/state"

# renew DEVICE_OFFSET [CONF]: a forced renewal at that device time; $rc, $work/err.
renew() {
	faked "$1" "$helper" renew --force -c "${2:-$work/h.conf}" >"$work/out" 2>"$work/err"
	rc=$?
}

# refused RC PATTERN: the last renewal exited RC, its error matching PATTERN
# (extended regex), and the live certificate is still $serial.
# shellcheck disable=SC2317 # called through check
refused() {
	[ "$rc" -eq "$1" ] && grep -Eq "$2" "$work/err" && [ "$(live_serial "$work/state")" = "$serial" ]
}

# renewed: the last renewal installed a new certificate, matching its key.
renewed() {
	[ "$rc" -eq 0 ] && [ "$(live_serial "$work/state")" != "$serial" ] && pair_matches "$work/state"
}

serial=none
renew +0
check "all clocks agree: enrolled (faketime in place, offset 0)" renewed
serial=$(live_serial "$work/state")

# 2-6: the device's clock against the verifier's
renew +600
check "device 600 s ahead: the verifier refuses the evidence, naming the skew (exit 4)" \
	refused 4 "verifier answered 400 .*evidence collected_at is (599|600|601) s ahead of the verifier's clock \(tolerance 300 s\): check the device's clock"
if grep -q 'event=evidence.refused device=SUB-0042 .*ahead of the verifier' "$work/verifier.log" &&
   ! grep -q 'event=appraisal .*ahead' "$work/verifier.log"; then
	ok "device ahead: logged as refused evidence, no appraisal (the posture record stays)"
else
	not_ok "device ahead: logged as refused evidence, no appraisal (the posture record stays)"
fi
renew -600
check "device 600 s behind: refused, naming the skew and max_evidence_age" \
	refused 4 "evidence collected_at is (599|600|601) s behind the verifier's clock \(max_evidence_age 300 s\)"
renew +600 "$work/bg.conf"
check "device 600 s ahead, background-check: the challenge is invalid with the verifier's reason" \
	refused 2 "badAttestationStatement: verifier: .*evidence collected_at is (599|600|601) s ahead of the verifier's clock"
renew +120
check "device 120 s ahead (within 300 s): renewed" renewed
serial=$(live_serial "$work/state")
renew -120
check "device 120 s behind (within max_evidence_age): renewed" renewed
serial=$(live_serial "$work/state")

# 7-9: the verifier's clock against the CA's (the device agrees with the verifier)
echo +600 >"$work/verifier.clock"
renew +600
check "verifier 600 s ahead of the CA: EAR from the future refused (badAttestationStatement)" \
	refused 2 "badAttestationStatement: attestation result invalid: EAR issued (599|600|601) s in the future"
echo -400 >"$work/verifier.clock"
renew -400
check "verifier 400 s behind the CA: EAR older than max_age refused" \
	refused 2 "badAttestationStatement: attestation result invalid: EAR is (399|400|401) s old, policy allows 300 s"
echo +200 >"$work/verifier.clock"
renew +200
check "verifier 200 s ahead (within clock_skew 300 s): renewed" renewed
serial=$(live_serial "$work/state")
echo +0 >"$work/verifier.clock"

# 10-11: the CA's clock ahead of the device's (and of a RADIUS server's)
verify_at() {
	openssl verify -CAfile "$work/ca/ca.crt" -untrusted "$work/state/live/chain.pem" \
		-purpose sslclient ${1:+-attime "$1"} "$work/state/live/cert.pem" 2>&1
}
echo +30 >"$work/ca.clock"
renew +0
if renewed && verify_at >/dev/null; then
	ok "CA 30 s ahead: notBefore backdated 60 s, the certificate is valid at the device's time"
else
	not_ok "CA 30 s ahead: notBefore backdated 60 s, the certificate is valid at the device's time" \
		"$(verify_at)"
fi
serial=$(live_serial "$work/state")
# (200 s: beyond the backdate, within what the CA allows the verifier's EARs)
echo +200 >"$work/ca.clock"
renew +0
if renewed && verify_at | grep -q 'certificate is not yet valid' &&
   verify_at "$(($(date +%s) + 200))" >/dev/null; then
	ok "CA 200 s ahead: the certificate is not yet valid at the device's time (valid at the CA's)"
else
	not_ok "CA 200 s ahead: the certificate is not yet valid at the device's time" "$(verify_at)"
fi
echo +0 >"$work/ca.clock"
finish
