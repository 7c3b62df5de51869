#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The SOC -> NOC loop on a real wired 802.1X site (TAP): wpa_supplicant as
# the device in its own network namespace, hostapd as the NAS (with its
# Dynamic Authorization Server), freeradius with rlm_acme_rats,
# acme-rats-ca with its NOC event worker, acme-rats-verifier, redis-server,
# and acme-rats-helper keeping the device's certificate.
#
#   a. the device enrolls with attestation, authenticates, its session is
#      recorded;
#   b. the SOC flags it contraindicated: the NAS gets a Disconnect-Request,
#      acknowledges, drops the station and stops accounting; the next
#      authentication is rejected; the device, with the same (flagged) key,
#      tries to enrol under another identifier of its inventory entry and
#      the CA issues nothing;
#   c. the SOC clears it (affirming): the helper hears "renew now" through
#      ARI, re-attests, renews, its hook re-authenticates: access is back;
#   d. the posture goes stale (helper stopped): the Access-Accept carries the
#      quarantine VLAN; the helper, started again, re-attests and renews,
#      and the next authentication is accepted with the normal VLAN.
#
# Each step is asserted and timed. Needs root (namespaces).
set -u
# shellcheck source=tests/helper/lab.sh
. "${AR_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/helper/lab.sh"
# shellcheck source=tests/e2e/lab8021x.sh
. "$top_src/tests/e2e/lab8021x.sh"
trap 'site_cleanup; lab_cleanup' EXIT

site_up

# --- a. enroll, authenticate, session recorded --------------------------------
step_enroll || bail "a. helper enroll failed: $(cat "$work/err")"
ok "a. helper enrolls with attestation ($step_ms ms)"
if step_connect; then
	ok "a. the supplicant authenticates: station authorized, module accepts ($step_ms ms)"
else
	not_ok "a. the supplicant authenticates" "$(last_decision)"
fi
check "a. the live session is recorded in Redis (acme-rats-ctl device)" wait_for 50 sessions_at_least 1
helper_start

# --- b. SOC flags contraindicated -> Disconnect -> rejected -------------------
step_flag contraindicated "EDR alert 4711" || bail "acme-rats-ctl flag failed"
if step_disconnected; then
	ok "b. SOC flag -> Disconnect-ACK from the NAS, station unauthorized ($step_ms ms)"
else
	not_ok "b. SOC flag -> Disconnect-ACK, station unauthorized" "$(grep noc. "$work/ca.log" | tail -3)"
fi
check "b. the NAS sends Accounting-Stop" wait_for 30 grep -q 'Acct-Status-Type = Stop' "$work/radius.log"
if step_reauth reject && station_is unauthorized; then
	ok "b. re-authentication is rejected ($step_ms ms): $(last_decision | grep -o 'reason="[^"]*"')"
else
	not_ok "b. re-authentication is rejected" "$(last_decision)"
fi

if step_enroll_as SUB-0043 && grep -q 'contraindicated' "$work/err-as"; then
	ok "b. the flagged device enrolling as SUB-0043 with its key is refused ($step_ms ms)"
else
	not_ok "b. the flagged device enrolling as SUB-0043 is refused" "$(tail -3 "$work/err-as")"
fi

# --- c. SOC clears it -> ARI renew now -> renewed -> access back --------------
serial=$(live_serial "$dev_state")
step_flag affirming "case closed" || bail "acme-rats-ctl flag failed"
if step_renewed_admitted "$serial" "$flag_t0"; then
	ok "c. SOC affirming -> helper renews through ARI, hook re-authenticates, accepted ($step_ms ms)"
else
	not_ok "c. SOC affirming -> renewed and accepted" "$(tail -3 "$work/helper.log")" "$(last_decision)"
fi

# --- d. posture stale -> quarantine VLAN -> re-attest -> normal VLAN -----------
step_lapse || bail "d. the posture did not age"
if step_quarantined; then
	ok "d. stale posture -> Access-Accept with the quarantine VLAN (seen by hostapd)"
else
	not_ok "d. stale posture -> quarantine VLAN" "$(last_decision)"
fi
serial=$(live_serial "$dev_state")
t0=$(ms)
helper_start
if step_renewed_admitted "$serial" "$t0"; then
	ok "d. helper re-attests and renews, next authentication accepted ($step_ms ms)"
else
	not_ok "d. helper re-attests, renews, accepted" "$(tail -3 "$work/helper.log")" "$(last_decision)"
fi

lab_done
