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
#      authentication is rejected;
#   c. the SOC clears it (affirming): the helper hears "renew now" through
#      ARI, re-attests, renews, its hook re-authenticates: access is back;
#   d. the posture goes stale (helper stopped): the Access-Accept carries the
#      quarantine VLAN; the helper, started again, re-attests and renews,
#      and the next authentication is accepted with the normal VLAN.
#
# Each step is asserted and timed. Needs root (namespaces).
set -u
. "${AR_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/helper/lab.sh"
. "$top_src/tests/e2e/lab8021x.sh"
trap 'site_cleanup; lab_cleanup' EXIT
ctl=$top_build/tools/acme-rats-ctl
fresh=20

[ "$(id -u)" = 0 ] || bail "the 802.1X lab needs root (network namespaces)"
for tool in hostapd hostapd_cli wpa_supplicant wpa_cli freeradius ip; do
	command -v "$tool" >/dev/null || bail "$tool is missing: run scripts/setup"
done

# The site: posture is fresh for $fresh s on the network (module and CA agree).
site_ca_extra >"$work/ca-extra.conf"
LAB_CA_EXTRA=$work/ca-extra.conf lab_start_all "lifetime = 10m
attest = any os_patch_level
posture_fresh = ${fresh}s"
site_radius MKRADDB_FRESH=$fresh MKRADDB_GRACE=600
site_nas
cat >"$work/ctl.conf" <<CONF
[redis]
host = 127.0.0.1
port = $rport
[soc]
verifier_url = $vurl
token_file = $work/v/soc-token
verifier_ca = $work/v/ca.crt
CONF

dev_state=$work/state
helper_conf "$work/helper.conf" "$dev_state" "[schedule]
fresh = ${fresh}s
fresh_margin = 8s
ari_poll_min = 1s
ari_poll_max = 2s
backoff_min = 1s
backoff_max = 3s

[hooks]
post_renew = wpa_cli -p $work/wpa -i $site_dev_if reconfigure
timeout = 5s"

# Authentications decided so far by the module, and the last one.
decisions() { log_count 'acme_rats: decision device=SUB-0042' "$work/radius.log"; }
last_decision() { grep 'acme_rats: decision device=SUB-0042' "$work/radius.log" | tail -1; }
# wait_decision N TENTHS: until the module decided more than N times.
decided_more() { [ "$(decisions)" -gt "$1" ]; }
wait_decision() { wait_for "$2" decided_more "$1"; }
# (wait_for runs a command again and again: these look afresh each time)
station_is() { [ "$(nas_station)" = "$1" ]; }
serial_not() { [ "$(live_serial "$dev_state")" != "$1" ]; }
last_outcome_is() { last_decision | grep -q "outcome=$1 "; }
more_lines() { [ "$(log_count "$1" "$2")" -gt "$3" ]; }
sessions_at_least() { [ "$(session_count)" -ge "$1" ]; }
old_enough() { [ $(( $(date +%s) - $1 )) -gt "$2" ]; }
ms() { date +%s%3N; }

# --- a. enroll, authenticate, session recorded --------------------------------
t0=$(ms)
if "$helper" enroll -c "$work/helper.conf" >"$work/out" 2>"$work/err" && pair_matches "$dev_state"; then
	ok "a. helper enrolls with attestation ($(( $(ms) - t0 )) ms)"
else
	bail "a. helper enroll failed: $(cat "$work/err")"
fi
t0=$(ms)
site_device
if wait_for 100 station_is authorized && last_outcome_is accept; then
	ok "a. the supplicant authenticates: station authorized, module accepts ($(( $(ms) - t0 )) ms)"
else
	not_ok "a. the supplicant authenticates" "$(last_decision)" \
		"$(hostapd_cli -p "$work/hostapd" -i "$site_nas_if" sta "$site_dev_mac" 2>&1)"
fi
session_count() { "$ctl" -c "$work/ctl.conf" --json device SUB-0042 | grep -c '"acct_session_id"'; }
if wait_for 50 sessions_at_least 1; then
	ok "a. the live session is recorded in Redis (acme-rats-ctl device)"
else
	not_ok "a. the live session is recorded in Redis"
fi
start_daemon "$work/helper.conf" "$work/helper.log"

# --- b. SOC flags contraindicated -> Disconnect -> rejected -------------------
nd=$(decisions)
t0=$(ms)
"$ctl" -c "$work/ctl.conf" flag SUB-0042 contraindicated --reason "EDR alert 4711" >/dev/null ||
	bail "acme-rats-ctl flag failed"
if wait_for 50 grep -q 'nas=ap-substation-7 result=ack' "$work/ca.log" &&
   wait_for 20 station_is unauthorized; then
	ok "b. SOC flag -> Disconnect-ACK from the NAS, station unauthorized ($(( $(ms) - t0 )) ms)"
else
	not_ok "b. SOC flag -> Disconnect-ACK, station unauthorized" "$(grep noc. "$work/ca.log" | tail -3)"
fi
if wait_for 30 grep -q 'Acct-Status-Type = Stop' "$work/radius.log"; then
	ok "b. the NAS sends Accounting-Stop"
else
	not_ok "b. the NAS sends Accounting-Stop"
fi
dev_cli reauthenticate >/dev/null
if wait_decision "$nd" 50 && last_outcome_is reject && station_is unauthorized; then
	ok "b. re-authentication is rejected: $(last_decision | sed 's/.*outcome=/outcome=/' | cut -c1-60)"
else
	not_ok "b. re-authentication is rejected" "$(last_decision)"
fi

# --- c. SOC clears it -> ARI renew now -> renewed -> access back --------------
serial=$(live_serial "$dev_state")
t0=$(ms)
"$ctl" -c "$work/ctl.conf" flag SUB-0042 affirming --reason "case closed" >/dev/null ||
	bail "acme-rats-ctl flag failed"
if wait_for 200 serial_not "$serial" && wait_for 100 station_is authorized &&
   wait_for 20 last_outcome_is accept; then
	ok "c. SOC affirming -> helper renews through ARI, hook re-authenticates, accepted ($(( $(ms) - t0 )) ms)"
else
	not_ok "c. SOC affirming -> renewed and accepted" "$(tail -3 "$work/helper.log")" "$(last_decision)"
fi

# --- d. posture stale -> quarantine VLAN -> re-attest -> normal VLAN -----------
kill -TERM "$hpid" 2>/dev/null
wait "$hpid" 2>/dev/null
iat=$(stat -c %Y "$dev_state/live/cert.pem")
wait_for 400 old_enough "$iat" $((fresh + 1))
nd=$(decisions)
vlans=$(log_count 'Tunnel-Private-Group-Id' "$work/hostapd.log")
dev_cli reauthenticate >/dev/null
if wait_decision "$nd" 50 && last_outcome_is quarantine &&
   wait_for 20 more_lines 'Tunnel-Private-Group-Id' "$work/hostapd.log" "$vlans"; then
	ok "d. stale posture -> Access-Accept with the quarantine VLAN (seen by hostapd)"
else
	not_ok "d. stale posture -> quarantine VLAN" "$(last_decision)"
fi
serial=$(live_serial "$dev_state")
t0=$(ms)
start_daemon "$work/helper.conf" "$work/helper.log"
if wait_for 200 serial_not "$serial" && wait_for 100 last_outcome_is accept; then
	ok "d. helper re-attests and renews, next authentication accepted ($(( $(ms) - t0 )) ms)"
else
	not_ok "d. helper re-attests, renews, accepted" "$(tail -3 "$work/helper.log")" "$(last_decision)"
fi

echo "1..$n"
[ "$failed" -eq 0 ]
