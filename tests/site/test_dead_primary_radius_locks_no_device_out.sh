#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Two FreeRADIUS servers with rlm_acme_rats for one NAS (TAP): hostapd
# names radius 1 as its primary and radius 2 as its secondary
# authentication and accounting server, and is the Dynamic Authorization
# Server of two acme-rats-ca replicas (their NOC event workers share one
# consumer group). The laptop (wpa_supplicant in its network namespace)
# holds a certificate acme-rats-helper obtained through haproxy.
#
#   a. the laptop is admitted by radius 1; the session it recorded is
#      disconnectable (acme-rats-ctl disconnect -> a worker's
#      Disconnect-Request -> hostapd drops the station);
#   b. radius 1 is SIGKILLed: hostapd fails over to radius 2, which admits
#      the laptop (the failover time is measured: hostapd 2.10 moves to the
#      next server once a request went unanswered through its retransmit
#      schedule - 3 s, then 6, 12, 24 s - none of which is configurable);
#   c. the session radius 2 recorded is disconnectable too: the SOC flags
#      the laptop contraindicated, a worker disconnects it, radius 2
#      rejects its next authentication.
# Needs root (namespaces).
set -u
# shellcheck source=tests/helper/lab.sh
. "${AR_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/helper/lab.sh"
# shellcheck source=tests/e2e/lab8021x.sh
. "$top_src/tests/e2e/lab8021x.sh"
# shellcheck source=tests/site/site.sh
. "$top_src/tests/site/site.sh"
trap 'site_cleanup; lab_cleanup' EXIT

site_checks
# shellcheck disable=SC2119 # no extra redis-server arguments
lab_redis
lab_verifier
site_ca_extra >"$work/ca-extra.conf"
LAB_CA_EXTRA=$work/ca-extra.conf ha_ca "identifiers = permanent-identifier
attest = any os_patch_level
lifetime = 1h
posture_fresh = 300s"
device_tree "$work/device" 3
ha_radius 1 MKRADDB_FRESH=300 MKRADDB_GRACE=600
ha_radius 2 MKRADDB_FRESH=300 MKRADDB_GRACE=600
ha_nas
ha_ctl_conf
helper_conf "$work/helper.conf" "$dev_state"
lab_logs="$lab_logs $work/radius1.log $work/radius2.log $work/hostapd.log $work/ca1.log $work/ca2.log"

# The NOC worker of either replica acknowledged one more Disconnect.
acks() { cat "$work/ca1.log" "$work/ca2.log" 2>/dev/null | grep -c 'nas=ap-substation-7 result=ack' || true; }
acked_more() { [ "$(acks)" -gt "$1" ]; }
# The last decision of radius N.
last_of() { grep 'acme_rats: decision device=SUB-0042' "$work/radius$1.log" | tail -1; }
accepted_by() { last_of "$1" | grep -q 'outcome=accept '; }
# The Acct-Session-Ids of the laptop's recorded sessions.
session_ids() { "$ctl" -c "$work/ctl.conf" --json device SUB-0042 | grep -o '"acct_session_id": *"[^"]*"' | sort; }
new_session_since() { [ -n "$(comm -13 <(echo "$1") <(session_ids))" ]; }

step_enroll || bail "the helper could not enroll through haproxy: $(tail -3 "$work/err")"
ok "the laptop's helper enrolls through haproxy ($step_ms ms)"

# --- a. radius 1 (primary) admits, its session is disconnectable ---------------
site_device
if wait_for 150 station_is authorized && wait_for 20 accepted_by 1 && [ "$(ha_decisions 2)" -eq 0 ]; then
	ok "a. the primary, radius 1, admits the laptop"
else
	not_ok "a. the primary, radius 1, admits the laptop" "$(last_of 1)" "$(last_of 2)"
fi
check "a. the session is recorded" wait_for 50 sessions_at_least 1
n=$(acks)
"$ctl" -c "$work/ctl.conf" disconnect SUB-0042 --reason "session of radius 1" >/dev/null ||
	bail "acme-rats-ctl disconnect failed"
if wait_for 50 acked_more "$n" && wait_for 20 station_is unauthorized; then
	ok "a. the session radius 1 recorded is disconnected (Disconnect-ACK, station dropped)"
else
	not_ok "a. the session radius 1 recorded is disconnected" "$(grep -h noc. "$work/ca1.log" "$work/ca2.log" | tail -3)"
fi
before=$(ha_decisions 1)
dev_cli reauthenticate >/dev/null
if wait_for 80 ha_decided_more 1 "$before" && wait_for 30 station_is authorized; then
	ok "a. re-authenticated through radius 1"
else
	not_ok "a. re-authenticated through radius 1" "$(last_of 1)"
fi

# --- b. radius 1 dies: radius 2 admits ------------------------------------------
ids=$(session_ids)
kill9 "${ha_radius_pid[1]}"
t_kill=$(ms)
dev_cli reauthenticate >/dev/null
if wait_for 1200 accepted_by 2 && wait_for 50 station_is authorized; then
	took=$(( $(ms) - t_kill ))
	ok "b. radius 1 SIGKILLed: hostapd fails over, radius 2 admits the laptop after $took ms"
	echo "# hostapd: $(grep -m1 'No response from Authentication server' "$work/hostapd.log")"
else
	not_ok "b. radius 1 SIGKILLed: radius 2 admits the laptop" "$(grep -i 'failover\|Resending' "$work/hostapd.log" | tail -3)"
fi
if [ "$(ha_rejects 2)" -eq 0 ]; then
	ok "b. no authentication of the healthy laptop was rejected"
else
	not_ok "b. no authentication of the healthy laptop was rejected" "$(last_of 2)"
fi
check "b. radius 2 recorded the new session" wait_for 50 new_session_since "$ids"

# --- c. the session of radius 2 is disconnectable ---------------------------------
n=$(acks)
step_flag contraindicated "EDR alert 4711" || bail "acme-rats-ctl flag failed"
if wait_for 50 acked_more "$n" && wait_for 20 station_is unauthorized; then
	ok "c. SOC flag: the session radius 2 recorded is disconnected ($(( $(ms) - flag_t0 )) ms)"
else
	not_ok "c. SOC flag: the session radius 2 recorded is disconnected" "$(grep -h noc. "$work/ca1.log" "$work/ca2.log" | tail -3)"
fi
before=$(ha_decisions 2)
dev_cli reauthenticate >/dev/null
if wait_for 80 ha_decided_more 2 "$before" && last_of 2 | grep -q 'outcome=reject ' &&
   station_is unauthorized; then
	ok "c. radius 2 rejects the flagged laptop"
else
	not_ok "c. radius 2 rejects the flagged laptop" "$(last_of 2)"
fi

lab_done
