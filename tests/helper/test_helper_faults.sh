#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Integration test (TAP): acme-rats-helper on a full and on a read-only
# disk, against a real acme-rats-ca, acme-rats-verifier and redis-server.
# The helper's directory is a small tmpfs in a private mount namespace:
# - a disk that fills while the certificate is being ordered: the install
#   fails part way with ENOSPC naming the file; `live` still names the old
#   key and certificate, matching, the chain verifies, nothing of the new
#   generation nor a temporary file is left, `status` shows the old
#   certificate and the error; with room again `renew` succeeds;
# - a full disk or a read-only directory is found before anything is
#   ordered (a certificate the device cannot install would still supersede
#   its current one at the CA): the renewal fails at once naming the
#   directory and errno, the CA is not asked; once writable, `renew` succeeds;
# - the verifier stopped, then killed, while the helper attests: the renewal
#   gives up within its connect bound and nothing changes; restarted, it works;
# - `run` on a full disk backs off (backoff_min apart, the CA never asked)
#   instead of hammering, and enrolls by itself once there is room.
set -u
# The tmpfs lives and dies with a mount namespace of the test's own.
if [ -z "${AR_FAULTS_NS:-}" ]; then
	unshare --mount true 2>/dev/null || { echo "Bail out! unshare --mount: must run as root"; exit 1; }
	AR_FAULTS_NS=1 exec unshare --mount --propagation private -- "$BASH" "$0" "$@"
fi
# shellcheck source=tests/helper/lab.sh
. "$(dirname "$0")/lab.sh"

disk=$work/disk
mkdir "$disk"
mount -t tmpfs -o size=512k,mode=0700 acmerats-faults "$disk" || bail "cannot mount a tmpfs"
trap 'umount -l "$disk" 2>/dev/null; lab_cleanup' EXIT

lab_start_all "identifiers = permanent-identifier
attest = any os_patch_level"
vpid=${lab_pids[1]}
grep -q verifier.conf "/proc/$vpid/cmdline" || bail "no verifier process at lab_pids[1]"
state=$disk/state
helper_conf "$work/h.conf" "$state"

# fill_disk PAGES: leave exactly PAGES 4 KiB pages of the tmpfs free.
fill_disk() {
	rm -f "$disk/filler"
	dd if=/dev/zero of="$disk/filler" bs=4k 2>/dev/null
	[ "$1" -eq 0 ] || truncate -s "-$(($1 * 4))K" "$disk/filler"
}

# The installed files, as they were: what `intact` compares against.
snapshot() {
	old_serial=$(live_serial "$state")
	old_sums=$(cd "$state/live" && sha256sum key.pem cert.pem chain.pem fullchain.pem)
	old_files=$(cd "$state" && ls -A)
}

# The old key, certificate and chain are live, unchanged, matching and valid;
# the directory holds the same names as before (no new generation, no
# temporary file, no probe).
intact() {
	[ "$(live_serial "$state")" = "$old_serial" ] && pair_matches "$state" &&
	[ "$(cd "$state/live" && sha256sum key.pem cert.pem chain.pem fullchain.pem)" = "$old_sums" ] &&
	openssl verify -CAfile "$work/ca/ca.crt" -untrusted "$state/live/chain.pem" \
		-purpose sslclient "$state/live/cert.pem" >/dev/null 2>&1 &&
	[ "$(cd "$state" && ls -A)" = "$old_files" ]
}

# status_shows SERIAL [TEXT]: `status` exits 0 with that certificate (and TEXT).
status_shows() {
	"$helper" status -c "$work/h.conf" >"$work/status" 2>&1 &&
	grep -q "^certificate   serial $1\$" "$work/status" &&
	{ [ -z "${2:-}" ] || grep -qF "$2" "$work/status"; }
}

# renew_ok: a forced renewal succeeds and installs a new, matching certificate.
# shellcheck disable=SC2317 # called through wait_for
renew_ok() {
	"$helper" renew --force -c "$work/h.conf" >"$work/out" 2>"$work/err" &&
	[ "$(live_serial "$state")" != "$old_serial" ] && pair_matches "$state" &&
	! find "$state" -name '*.tmp*' -o -name .room | grep -q .
}

"$helper" enroll -c "$work/h.conf" >"$work/out" 2>"$work/err" || bail "enroll failed"
snapshot
# The same device, waiting up to 10 s for the verifier's TLS handshake.
sed 's/^connect_timeout = 2s$/connect_timeout = 10s/' "$work/h.conf" >"$work/patient.conf"

# log_times EVENTS FILE: the time (unix s.ms) of each line of FILE whose
# event matches the extended regex EVENTS.
log_times() {
	grep -E "event=($1) " "$2" | sed 's/^ts=\([^ ]*\) .*/\1/' |
		while read -r t; do date -d "$t" +%s.%3N; done
}

# 1-4: the disk fills while the order runs. The verifier is stopped, so the
# helper waits for it with its order created; then 2 pages are left (key
# and certificate fit, the chain does not) and the verifier goes on.
kill -STOP "$vpid"
"$helper" renew --force -v -c "$work/patient.conf" >"$work/out" 2>"$work/err" &
rpid=$!
wait_for 100 grep -q 'event=order.created' "$work/err"
ordered=$?
fill_disk 2
kill -CONT "$vpid"
wait "$rpid"
rc=$?
if [ "$ordered" -eq 0 ] && [ "$rc" -eq 3 ] &&
   grep -q "renew: failed: $state/gen-[0-9]*/[a-z]*\.pem: write: No space left on device" "$work/err"; then
	ok "disk full during the install: exit 3, the file and ENOSPC named"
else
	not_ok "disk full during the install: exit 3, the file and ENOSPC named" "rc $rc"
fi
check "disk full during the install: the old key/cert/chain live, matching, valid; nothing left over" intact
check "disk full during the install: status shows the old certificate and the error" \
	status_shows "$old_serial" "No space left on device"
rm -f "$disk/filler"
check "disk full during the install: with room again, renew installs a new certificate" renew_ok

# 5-6: the verifier stops (then dies) while the helper asks it for its
# passport: the renewal gives up within connect_timeout (2 s, the TLS
# handshake included), exit 4, nothing on disk changes; restarted, renew works.
snapshot
kill -STOP "$vpid"
"$helper" renew --force -v -c "$work/h.conf" >"$work/out" 2>"$work/err"
rc=$?
took=$(log_times 'order.created|renew.failed' "$work/err" |
	awk 'NR == 1 { a = $1 } NR == 2 { printf "%d", ($1 - a) * 1000; exit }')
kill -KILL "$vpid"
wait "$vpid" 2>/dev/null
if [ "$rc" -eq 4 ] && [ "${took:-0}" -ge 1900 ] && [ "$took" -le 4000 ] &&
   grep -q "not completed, try again later: verifier session: .*$vport" "$work/err" && intact; then
	ok "verifier stopped mid-attestation: exit 4, $took ms after the order, the old certificate intact"
else
	not_ok "verifier stopped mid-attestation: exit 4 within the connect bound, the old certificate intact" \
		"rc $rc after $took ms"
fi
lab_bg "$work/verifier.log" "$top_build/verifier/acme-rats-verifier" -c "$work/v/verifier.conf"
vpid=$!
wait_tcp "$vport" 50 || bail "acme-rats-verifier did not restart"
check "verifier killed and restarted: renew succeeds" renew_ok

# 7-9: full before the renewal starts: refused before anything is ordered.
snapshot
fill_disk 0
"$helper" renew --force -v -c "$work/h.conf" >"$work/out" 2>"$work/err"
rc=$?
if [ "$rc" -eq 3 ] &&
   grep -q "renew: failed: $state: cannot store a new certificate (32 KiB needed): No space left on device" \
	"$work/err" && ! grep -q 'event=order.created' "$work/err"; then
	ok "disk full: refused before ordering, exit 3, the directory and ENOSPC named"
else
	not_ok "disk full: refused before ordering, exit 3, the directory and ENOSPC named" "rc $rc"
fi
if intact && status_shows "$old_serial"; then
	ok "disk full: the old certificate is intact and shown by status"
else
	not_ok "disk full: the old certificate is intact and shown by status"
fi
rm -f "$disk/filler"
check "disk full: with room again, renew succeeds" renew_ok

# 10-12: the directory remounted read-only.
snapshot
mount -o remount,ro "$disk" || bail "cannot remount the tmpfs read-only"
"$helper" renew --force -v -c "$work/h.conf" >"$work/out" 2>"$work/err"
rc=$?
if [ "$rc" -eq 3 ] &&
   grep -q "renew: failed: $state: cannot store a new certificate: Read-only file system" "$work/err" &&
   grep -q 'event=state.save_failed .*Read-only file system' "$work/err" &&
   ! grep -q 'event=order.created' "$work/err"; then
	ok "read-only: refused before ordering, exit 3, the directory and EROFS named"
else
	not_ok "read-only: refused before ordering, exit 3, the directory and EROFS named" "rc $rc"
fi
if intact && status_shows "$old_serial"; then
	ok "read-only: the old certificate is intact and shown by status"
else
	not_ok "read-only: the old certificate is intact and shown by status"
fi
mount -o remount,rw "$disk" || bail "cannot remount the tmpfs read-write"
check "read-only: writable again, renew succeeds" renew_ok

# 13-15: the daemon, with no certificate yet, on a full disk: it backs off
# and never reaches the CA; once there is room it enrolls by itself.
helper_conf "$work/d.conf" "$disk/d" "[schedule]
backoff_min = 2s
backoff_max = 4s"
fill_disk 0
start_daemon "$work/d.conf" "$work/d.log"
# Three failed attempts; each waits out backoff_min (2 s, counted in whole
# seconds, so at least 1 s) - without the backoff they would follow each
# other at once.
# shellcheck disable=SC2317 # called through wait_for
failed() { [ "$(grep -c "$1" "$work/d.log")" -ge 3 ]; }
wait_for 300 failed 'event=renew.failed .*result=local-error .*No space left on device'
got=$?
gaps=$(log_times renew.start "$work/d.log" | awk 'NR > 1 { printf "%.1f ", $1 - prev } { prev = $1 }')
if [ "$got" -eq 0 ] && awk -v g="$gaps" 'BEGIN { n = split(g, a, " "); if (n < 2) exit 1
	for (i = 1; i <= n; i++) if (a[i] < 0.9) exit 1 }' &&
   ! grep -q 'event=order.created' "$work/d.log"; then
	ok "run on a full disk: failed attempts spaced $gaps s, the CA never asked"
else
	not_ok "run on a full disk: failed attempts spaced >= 1 s, the CA never asked" "gaps: $gaps"
fi
check "run on a full disk: says why (state cannot be saved)" \
	grep -q 'event=state.save_failed .*No space left on device' "$work/d.log"
rm -f "$disk/filler"
if wait_for 100 test -e "$disk/d/live/cert.pem" && pair_matches "$disk/d" &&
   grep -q 'event=renew.done' "$work/d.log" && kill -0 "$hpid" 2>/dev/null; then
	ok "run: with room again it enrolls by itself"
else
	not_ok "run: with room again it enrolls by itself"
fi
kill -TERM "$hpid"
wait "$hpid" 2>/dev/null
finish
