#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Integration test (TAP): acme-rats-helper enroll / renew / status against a
# real acme-rats-ca, acme-rats-verifier and redis-server: attested issuance
# in the passport and background-check models, the files it installs, exit
# codes, an unpatched device refused with a clear message, and SIGKILL at
# each step of the file replacement leaving a working key/certificate pair.
set -u
# shellcheck source=tests/helper/lab.sh
. "$(dirname "$0")/lab.sh"

lab_start_all "identifiers = permanent-identifier
attest = any os_patch_level
lifetime = 1h"

# run_helper ARGS...: exit status in $rc, output in out/err.
run_helper() {
	"$helper" "$@" >"$work/out" 2>"$work/err"
	rc=$?
}


# 1-3: passport model
helper_conf "$work/h.conf" "$work/state"
run_helper enroll -c "$work/h.conf"
if [ "$rc" -eq 0 ] && grep -q '^installed certificate' "$work/out" && pair_matches "$work/state"
then
	ok "enroll (passport): the CA issues, key and certificate installed as a pair"
else
	not_ok "enroll (passport): the CA issues, key and certificate installed as a pair" "exit $rc"
fi
mode=$(stat -c %a "$work/state/live/key.pem" 2>/dev/null)
ext=$(openssl x509 -in "$work/state/live/cert.pem" -noout -text 2>/dev/null)
if [ "$mode" = 600 ] && grep -q 'SUB-0042' <<<"$ext" && [ -s "$work/state/live/chain.pem" ] &&
   [ "$(readlink "$work/state/live")" = gen-1 ]; then
	ok "the key is 0600, the certificate names SUB-0042, the chain is beside it"
else
	not_ok "the key is 0600, the certificate names SUB-0042, the chain is beside it" "mode $mode"
fi
serial1=$(live_serial "$work/state")
run_helper status -c "$work/h.conf"
if [ "$rc" -eq 0 ] && grep -q "^certificate   serial 0*$serial1" "$work/out" &&
   grep -q '^posture       attested' "$work/out" && grep -q '^next          ' "$work/out" &&
   grep -q '^last error    none' "$work/out"; then
	ok "status shows serial, expiry, posture age, next action and no error"
else
	not_ok "status shows serial, expiry, posture age, next action and no error" "$(cat "$work/out")"
fi

# 4-5: renew
run_helper renew -c "$work/h.conf"
if [ "$rc" -eq 0 ] && grep -q '^not due' "$work/out" && [ "$(live_serial "$work/state")" = "$serial1" ]
then
	ok "renew without --force does nothing while not due (ARI window ahead)"
else
	not_ok "renew without --force does nothing while not due (ARI window ahead)" "exit $rc"
fi
oldkey=$(openssl pkey -in "$work/state/live/key.pem" -pubout 2>/dev/null)
run_helper renew --force -c "$work/h.conf"
newkey=$(openssl pkey -in "$work/state/live/key.pem" -pubout 2>/dev/null)
if [ "$rc" -eq 0 ] && [ "$(live_serial "$work/state")" != "$serial1" ] &&
   [ "$oldkey" != "$newkey" ] && pair_matches "$work/state" && [ -d "$work/state/gen-1" ]; then
	ok "renew --force: a new certificate for a new key; the previous generation is kept"
else
	not_ok "renew --force: a new certificate for a new key; the previous generation is kept" "exit $rc"
fi

# 6: background-check model
MODEL=background-check helper_conf "$work/bg.conf" "$work/bg"
run_helper enroll -c "$work/bg.conf" -v
if [ "$rc" -eq 0 ] && pair_matches "$work/bg" && grep -q 'model=background-check' "$work/err"; then
	ok "enroll (background-check): evidence sealed to the verifier, relayed by the CA"
else
	not_ok "enroll (background-check): evidence sealed to the verifier, relayed by the CA" "exit $rc"
fi

# 7-8: an unpatched device
echo '{"patch": {"last_security_update": 1600000000}}' >"$work/unpatched.json"
OVERRIDE=$work/unpatched.json helper_conf "$work/bad.conf" "$work/bad"
run_helper enroll -c "$work/bad.conf"
if [ "$rc" -eq 2 ] && grep -q 'refused for the device.s posture' "$work/err" &&
   grep -q 'contraindicated' "$work/err" && [ ! -e "$work/bad/live" ]; then
	ok "an unpatched device is refused (exit 2) with the verifier's verdict in the message"
else
	not_ok "an unpatched device is refused (exit 2) with the verifier's verdict in the message" "exit $rc"
fi
run_helper status -c "$work/bad.conf"
if [ "$rc" -eq 1 ] && grep -q '^last error    .*contraindicated.*(1 failed attempt' "$work/out" &&
   grep -q 'backoff' "$work/out"; then
	ok "status of the refused device: no certificate, the error, a backoff before the next try"
else
	not_ok "status of the refused device: no certificate, the error, a backoff before the next try" "$(cat "$work/out")"
fi

# 9-10: exit codes for configuration and an unreachable CA
printf '[acme]\ndirectory = https://127.0.0.1:1/directory\n[device]\nidentifiers = bogus:x\n' \
	>"$work/typo.conf"
run_helper enroll -c "$work/typo.conf"
if [ "$rc" -eq 3 ] && grep -q 'not dns or permanent-identifier' "$work/err"; then
	ok "a configuration error exits 3 and names the problem"
else
	not_ok "a configuration error exits 3 and names the problem" "exit $rc"
fi
sed "s|^directory = .*|directory = https://127.0.0.1:$(free_port)/directory|" "$work/h.conf" \
	>"$work/down.conf"
run_helper renew --force -c "$work/down.conf"
if [ "$rc" -eq 4 ] && pair_matches "$work/state" && grep -q 'try again later' "$work/err"; then
	ok "an unreachable CA exits 4 and the installed pair stays"
else
	not_ok "an unreachable CA exits 4 and the installed pair stays" "exit $rc"
fi

# 11-13: SIGKILL at each step of the replacement
crash_ok=1
crash_detail=
for step in 1 2 3 4 5 6 7; do
	before=$(live_serial "$work/state")
	# (in a subshell, so bash does not report the kill)
	rc=$(ACME_RATS_HELPER_CRASH_AT=$step "$crash_helper" renew --force -c "$work/h.conf" \
		>/dev/null 2>&1; echo $?)
	after=$(live_serial "$work/state")
	if [ "$rc" -ne 137 ] || ! pair_matches "$work/state" ||
	   ! openssl verify -CAfile "$work/ca/ca.crt" -untrusted "$work/state/live/chain.pem" \
		"$work/state/live/cert.pem" >/dev/null 2>&1; then
		crash_ok=0
		crash_detail="$crash_detail step $step: exit $rc;"
	fi
	# Before the link is switched the old pair stays; after it, the new one is live.
	if { [ "$step" -le 6 ] && [ "$after" != "$before" ]; } ||
	   { [ "$step" -eq 7 ] && [ "$after" = "$before" ]; }; then
		crash_ok=0
		crash_detail="$crash_detail step $step: serial $before -> $after;"
	fi
done
if [ "$crash_ok" -eq 1 ]; then
	ok "SIGKILL at each of the 7 steps leaves a valid, matching key/certificate pair"
else
	not_ok "SIGKILL at each of the 7 steps leaves a valid, matching key/certificate pair" "$crash_detail"
fi
run_helper renew --force -c "$work/h.conf"
gens=$(find "$work/state" -maxdepth 1 -name 'gen-*' | wc -l)
if [ "$rc" -eq 0 ] && pair_matches "$work/state" && [ "$gens" -eq 2 ] &&
   [ ! -e "$work/state/live.tmp" ]; then
	ok "after the crashes a renewal succeeds and leftovers are cleaned (2 generations)"
else
	not_ok "after the crashes a renewal succeeds and leftovers are cleaned (2 generations)" "exit $rc, $gens generations"
fi
run_helper status -c "$work/h.conf"
check "status after the crashes: a valid certificate (exit 0)" [ "$rc" -eq 0 ]

# 14: reuse_key
helper_conf "$work/reuse.conf" "$work/state"
sed -i 's/^\[device\]$/[device]\nreuse_key = yes/' "$work/reuse.conf"
k1=$(openssl pkey -in "$work/state/live/key.pem" -pubout 2>/dev/null)
run_helper renew --force -c "$work/reuse.conf"
k2=$(openssl pkey -in "$work/state/live/key.pem" -pubout 2>/dev/null)
if [ "$rc" -eq 0 ] && [ "$k1" = "$k2" ] && pair_matches "$work/state"; then
	ok "reuse_key = yes renews for the same key (attested again)"
else
	not_ok "reuse_key = yes renews for the same key (attested again)" "exit $rc"
fi

# 15: the sample configuration in the tree is valid
sed -e "s|^eab_hmac_file = .*|eab_hmac_file = $work/eab.hmac|" \
    -e "s|^dir = .*|dir = $work/sample|" "$top_src/helper/acme-rats-helper.conf" >"$work/sample.conf"
run_helper status -c "$work/sample.conf"
if [ "$rc" -eq 1 ] && grep -q '^certificate   none' "$work/out"; then
	ok "the sample configuration (helper/acme-rats-helper.conf) loads"
else
	not_ok "the sample configuration (helper/acme-rats-helper.conf) loads" "exit $rc" "$(cat "$work/err")"
fi
finish
