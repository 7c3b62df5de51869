#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Integration test (TAP): the acme-rats-helper daemon (`run`) against a real
# acme-rats-ca, acme-rats-verifier and redis-server:
# - with 1-minute certificates it renews inside the ARI window, by itself,
#   and runs the post_renew hook with the new certificate's facts;
# - SIGUSR1 renews now, SIGHUP reloads the configuration;
# - a SOC "contraindicated" then "affirming" verdict makes it renew at once
#   through ARI (the CA's NOC event worker marks the certificate renew-now);
# - an unpatched device is refused, the on_failure hook runs, and the
#   retries back off instead of hammering the CA.
# The timing assertions allow generous slack; nothing waits unbounded.
set -u
# shellcheck source=tests/helper/lab.sh
. "$(dirname "$0")/lab.sh"

# The CA runs its NOC event worker: a SOC "contraindicated" marks the
# device's certificates "renew now" (no NAS here, so no disconnects).
printf '[events]\nworker = yes\ndisconnect = no\nreclaim_after = 5s\n' >"$work/events.conf"
LAB_CA_EXTRA=$work/events.conf lab_start_all "identifiers = permanent-identifier
attest = any os_patch_level
lifetime = 1m"


hook_conf() {
	# shellcheck disable=SC2016 # the hooks' shell expands these, not this one
	printf '[hooks]\npost_renew = echo "renewed $ACME_RATS_SERIAL $ACME_RATS_REASON $ACME_RATS_CERT" >>%s\non_failure = echo "failed $ACME_RATS_RESULT $ACME_RATS_FAILURES" >>%s\ntimeout = 5s\n' \
		"$work/hooks.out" "$work/hooks.out"
}

# 1-2: renewal on schedule (1-minute certificates: ARI window 20 s..40 s)
helper_conf "$work/h.conf" "$work/state" "$(hook_conf)
[schedule]
ari_poll_min = 1s"
start_daemon "$work/h.conf" "$work/helper.log"
if wait_for 150 test -e "$work/state/live/cert.pem" && pair_matches "$work/state"; then
	ok "run: enrolls at start when there is no certificate"
else
	not_ok "run: enrolls at start when there is no certificate"
fi
first=$(live_serial "$work/state")
start=$(date +%s)
# shellcheck disable=SC2317 # called through wait_for
renewed() { [ -e "$work/state/live/cert.pem" ] && [ "$(live_serial "$work/state")" != "$first" ]; }
# The hook runs just after the new pair is live: wait for its line too.
if wait_for 600 renewed && grep -q 'event=ari.window' "$work/helper.log" &&
   grep -q 'event=renew.start reason=ari-window' "$work/helper.log" &&
   wait_for 50 grep -q "^renewed $(live_serial "$work/state") ari-window $work/state/live/cert.pem" \
	"$work/hooks.out"; then
	ok "run: renews inside the ARI window ($(($(date +%s) - start)) s) and calls post_renew"
else
	not_ok "run: renews inside the ARI window and calls post_renew" "$(cat "$work/hooks.out" 2>/dev/null)"
fi

# 3: idle, the daemon is one process in its small image: the monitor,
# mapping the C library and no libcurl or OpenSSL, same pid as started
# shellcheck disable=SC2317 # called through wait_for
idle_small() {
	[ "$(readlink "/proc/$hpid/exe")" = "$(readlink -f "$ACME_RATS_HELPER_MONITOR")" ] &&
		! grep -qE 'libcurl|libcrypto|libjose' "/proc/$hpid/maps"
}
# and after its actions it holds the standard streams and the configuration only
# shellcheck disable=SC2012 # descriptor numbers, nothing to mangle
fds() { ls "/proc/$hpid/fd" | sort -n | tr '\n' ' '; }
if wait_for 100 idle_small && [ -z "$(pgrep -P "$hpid")" ] && [ "$(fds)" = "0 1 2 4 " ]; then
	ok "run: idle it is one process, the monitor image ($(awk '/^VmRSS/ { print $2 }' "/proc/$hpid/status") kB resident), without libcurl or OpenSSL, descriptors $(fds)"
else
	not_ok "run: idle it is one process, the monitor image, without libcurl or OpenSSL, descriptors 0 1 2 4" \
		"$(readlink "/proc/$hpid/exe"); children: $(pgrep -P "$hpid" | tr '\n' ' '); descriptors: $(fds)"
fi

# 4: SIGUSR1
before=$(live_serial "$work/state")
kill -USR1 "$hpid"
# shellcheck disable=SC2317 # called through wait_for
changed() { [ "$(live_serial "$work/state")" != "$before" ]; }
if wait_for 100 changed && wait_for 20 grep -q " forced " "$work/hooks.out"; then
	ok "run: SIGUSR1 renews now"
else
	not_ok "run: SIGUSR1 renews now"
fi

# 5: SIGHUP with a broken file keeps the old configuration; a good one is taken
cp "$work/h.conf" "$work/h.conf.good"
echo 'typo_key = 1' >>"$work/h.conf"
kill -HUP "$hpid"
wait_for 50 grep -q 'event=config.reload_failed' "$work/helper.log"
r1=$?
cp "$work/h.conf.good" "$work/h.conf"
kill -HUP "$hpid"
if [ "$r1" -eq 0 ] && wait_for 50 grep -q 'event=config.reloaded' "$work/helper.log" &&
   kill -0 "$hpid" 2>/dev/null; then
	ok "run: SIGHUP reloads; a broken file is refused and the daemon keeps running"
else
	not_ok "run: SIGHUP reloads; a broken file is refused and the daemon keeps running"
fi
kill -TERM "$hpid"
wait "$hpid"
check "run: SIGTERM stops it (exit 0)" [ $? -eq 0 ]

# 7: the SOC flags the device, then clears it: the CA's event worker marks
# the certificate renew-now, ARI says so, the daemon renews
helper_conf "$work/soc.conf" "$work/soc" "$(hook_conf)
[schedule]
ari_poll_min = 1s
ari_poll_max = 2s"
# A fresh certificate: its ARI window opens 20 s after issuance, so a renewal
# within a few seconds of the flag can only be ARI's "renew now".
"$helper" enroll -c "$work/soc.conf" >/dev/null 2>&1 || bail "enroll failed"
start_daemon "$work/soc.conf" "$work/soc.log"
wait_for 50 grep -q 'event=schedule next=ari-poll' "$work/soc.log"
soc_before=$(live_serial "$work/soc")
{ soc_flag contraindicated && soc_flag affirming; } || bail "the SOC API refused the verdicts"
t0=$(date +%s)
# shellcheck disable=SC2317 # called through wait_for
soc_changed() { [ "$(live_serial "$work/soc")" != "$soc_before" ]; }
if wait_for 100 soc_changed && grep -q 'reason=ari-renew-now' "$work/soc.log" &&
   pair_matches "$work/soc"; then
	ok "run: SOC contraindicated then affirming -> ARI renew-now -> renewed in $(($(date +%s) - t0)) s"
else
	not_ok "run: SOC contraindicated then affirming -> ARI renew-now -> renewed"
fi
kill -TERM "$hpid"
wait "$hpid" 2>/dev/null

# 8-9: an unpatched device is refused and backs off
echo '{"patch": {"last_security_update": 1600000000}}' >"$work/unpatched.json"
: >"$work/hooks.out"
OVERRIDE=$work/unpatched.json helper_conf "$work/bad.conf" "$work/bad" "$(hook_conf)
[schedule]
backoff_min = 2s
backoff_max = 4s"
start_daemon "$work/bad.conf" "$work/bad.log"
sleep 9
kill -TERM "$hpid"
wait "$hpid" 2>/dev/null
fails=$(grep -c 'event=renew.failed .*result=posture-refused' "$work/bad.log")
if [ "$fails" -ge 3 ] && [ "$fails" -le 5 ] && grep -q 'contraindicated' "$work/bad.log" &&
   grep -q '^failed posture-refused 1$' "$work/hooks.out" && [ ! -e "$work/bad/live" ]; then
	ok "run: an unpatched device is refused, on_failure runs, $fails attempts in 9 s"
else
	not_ok "run: an unpatched device is refused, on_failure runs, 3..5 attempts in 9 s" "$fails attempts"
fi
# Each wait is a backoff draw: base 2 s then 4 s, a draw in [base/2, base] of
# whole seconds, plus the attempt itself; never back to back. (The doubling
# and the jitter bounds are proven exactly in test_helper_unit.)
gaps=$(grep 'event=renew.start' "$work/bad.log" | sed 's/^ts=\([^ ]*\) .*/\1/' |
	while read -r t; do date -d "$t" +%s.%N; done |
	awk 'NR > 1 { printf "%.1f ", $1 - prev } { prev = $1 }')
count=$(sed -n 's/.*"failures": \([0-9]*\).*/\1/p' "$work/bad/state.json")
if awk -v g="$gaps" 'BEGIN { n = split(g, a, " "); if (n < 2) exit 1
	for (i = 1; i <= n; i++) if (a[i] < 0.9 || a[i] > 6) exit 1 }' &&
   [ "$count" = "$fails" ]; then
	ok "run: refused attempts are spaced by the backoff ($gaps s) and counted ($count)"
else
	not_ok "run: refused attempts are spaced by the backoff and counted" "gaps: $gaps, count $count"
fi
finish
