# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# shellcheck disable=SC2154 # sourced after tests/helper/lab.sh, which sets work, top_src, top_build, redis_port, vurl, hpid, helper
#
# A real wired 802.1X site on one machine, for the end-to-end tests and the
# demo (sourced by bash after tests/helper/lab.sh, which brings redis-server,
# acme-rats-verifier and acme-rats-ca):
#
#   the device   wpa_supplicant (wired driver) in a network namespace this
#                script creates, on one end of a veth pair, with the
#                certificate acme-rats-helper keeps in $dev_state/live/
#   the NAS      hostapd (wired driver) on the other end, NAS-Identifier
#                ap-substation-7, RADIUS to FreeRADIUS on loopback, and its
#                Dynamic Authorization Server for Disconnect-Requests
#   RADIUS       freeradius -X with rlm_acme_rats and the shipped raddb files
#                (tests/fixtures/mkraddb)
#
# Everything is torn down by PID and by name, also on failure or signal.
# Needs root (namespaces, veth) - the README's commands run as root.

site_tag=ar$$
site_ns=${site_tag}dev
site_nas_if=${site_tag}n
site_dev_if=${site_tag}d
site_dev_mac=02:00:5e:00:53:07
site_nas_mac=02:00:5e:00:53:01
site_secret=testing123		# the loopback client of Debian's clients.conf
das_secret=das-lab-$$

site_cleanup() {
	# E2E_KEEP=DIR keeps a copy of every log and file of the run, for a post-mortem.
	[ -z "${E2E_KEEP:-}" ] || cp -a "$work" "$E2E_KEEP" 2>/dev/null
	[ -n "${hostapd_pid:-}" ] && kill -TERM "$hostapd_pid" 2>/dev/null
	[ -n "${supp_pid:-}" ] && kill -TERM "$supp_pid" 2>/dev/null
	ip netns pids "$site_ns" 2>/dev/null | xargs -r kill -TERM 2>/dev/null
	ip link del "$site_nas_if" 2>/dev/null
	ip netns del "$site_ns" 2>/dev/null
	return 0
}

# The NOC event worker and the NAS it may disconnect: CA configuration text.
site_ca_extra() {
	das_port=$(free_port)
	printf '%s\n' "$das_secret" >"$work/das.secret"
	chmod 600 "$work/das.secret"
	cat <<CONF

[events]
worker = yes
consumer = lab
reclaim_after = 5s

[nas "ap-substation-7"]
address = 127.0.0.1
das_port = $das_port
secret_file = $work/das.secret
nas_identifier = ap-substation-7
timeout = 500ms
retries = 2
CONF
}

# site_radius [MKRADDB_VAR=value ...]: freeradius with the module.
site_radius() {
	auth_port=$(free_port)
	acct_port=$(free_port)
	env "$@" "$top_src/tests/fixtures/mkraddb" "$work/raddb" "$top_src" \
		"$top_build/rlm_acme_rats/.libs" "$auth_port" "$acct_port" "$redis_port" "$work/ca" \
		>/dev/null || bail "tests/fixtures/mkraddb failed"
	freeradius -X -d "$work/raddb" >>"$work/radius.log" 2>&1 &
	radius_pid=$!
	lab_pids+=("$radius_pid")
	wait_for 100 grep -q 'Ready to process requests' "$work/radius.log" ||
		bail "freeradius did not start"
}

# The veth pair, the device's namespace, hostapd as the NAS.
site_nas() {
	ip netns add "$site_ns" || bail "cannot create network namespace $site_ns"
	ip link add "$site_nas_if" address "$site_nas_mac" type veth \
		peer name "$site_dev_if" address "$site_dev_mac" || bail "cannot create veth pair"
	ip link set "$site_dev_if" netns "$site_ns"
	ip link set "$site_nas_if" up
	ip netns exec "$site_ns" ip link set "$site_dev_if" up
	ip netns exec "$site_ns" ip link set lo up
	mkdir -p "$work/hostapd"
	cat >"$work/hostapd.conf" <<CONF
interface=$site_nas_if
driver=wired
ctrl_interface=$work/hostapd
ieee8021x=1
eapol_version=2
use_pae_group_addr=1
eap_reauth_period=0
own_ip_addr=127.0.0.1
nas_identifier=ap-substation-7
auth_server_addr=127.0.0.1
auth_server_port=$auth_port
auth_server_shared_secret=$site_secret
acct_server_addr=127.0.0.1
acct_server_port=$acct_port
acct_server_shared_secret=$site_secret
radius_das_port=$das_port
radius_das_client=127.0.0.1 $das_secret
radius_das_require_event_timestamp=1
radius_das_require_message_authenticator=1
dynamic_vlan=0
CONF
	hostapd -dd "$work/hostapd.conf" >>"$work/hostapd.log" 2>&1 &
	hostapd_pid=$!
	lab_pids+=("$hostapd_pid")
	wait_for 50 test -S "$work/hostapd/$site_nas_if" || bail "hostapd did not start"
}

# The device: wpa_supplicant presenting the helper's live certificate.
site_device() {
	mkdir -p "$work/wpa"
	cat >"$work/wpa_supplicant.conf" <<CONF
ctrl_interface=$work/wpa
ap_scan=0
network={
	key_mgmt=IEEE8021X
	eap=TLS
	identity="SUB-0042"
	ca_cert="$work/ca/ca.crt"
	client_cert="$dev_state/live/cert.pem"
	private_key="$dev_state/live/key.pem"
	eapol_flags=0
}
CONF
	ip netns exec "$site_ns" wpa_supplicant -D wired -i "$site_dev_if" \
		-c "$work/wpa_supplicant.conf" -dd >>"$work/wpa_supplicant.log" 2>&1 &
	supp_pid=$!
	lab_pids+=("$supp_pid")
	wait_for 50 test -S "$work/wpa/$site_dev_if" || bail "wpa_supplicant did not start"
}

# wpa_cli against the device (its control socket is a file: no namespace needed).
dev_cli() {
	wpa_cli -p "$work/wpa" -i "$site_dev_if" "$@"
}

# The station's state at the NAS: "authorized" or "unauthorized".
nas_station() {
	if hostapd_cli -p "$work/hostapd" -i "$site_nas_if" sta "$site_dev_mac" 2>/dev/null |
		grep -q '\[AUTHORIZED\]'; then
		echo authorized
	else
		echo unauthorized
	fi
}

# Count of lines matching $1 in a log (to wait for the next one).
log_count() {
	grep -c -- "$1" "$2" 2>/dev/null || true
}

# --- the whole site, and the steps of the scenario ------------------------------
# Shared by tests/e2e/test_8021x.sh (asserts each step) and
# tests/e2e/substation-demo (narrates it). Each step_* returns 0 when what it
# waited for happened, and leaves its duration in $step_ms.

ctl=$top_build/tools/acme-rats-ctl
fresh=${fresh:-20}		# seconds a posture stays fresh on this network
dev_state=$work/state

site_checks() {
	[ "$(id -u)" = 0 ] || bail "the 802.1X site needs root (network namespaces)"
	local tool
	for tool in hostapd hostapd_cli wpa_supplicant wpa_cli freeradius ip redis-server openssl; do
		command -v "$tool" >/dev/null || bail "$tool is missing: run scripts/setup"
	done
}

# Redis, verifier, CA with its event worker, FreeRADIUS with the module, the
# NAS, acme-rats-ctl's and the helper's configuration. Posture is fresh for
# $fresh s on the network (the module's fresh and the CA's posture_fresh agree).
site_up() {
	site_checks
	site_ca_extra >"$work/ca-extra.conf"
	siem_source
	LAB_CA_EXTRA=$work/ca-extra.conf lab_start_all "lifetime = 10m
attest = any os_patch_level
posture_fresh = ${fresh}s"
	site_radius MKRADDB_FRESH="$fresh" MKRADDB_GRACE=600
	site_nas
	lab_ctl_conf "$work/ctl.conf"
	# The hook makes the supplicant start over with the new certificate
	# ("reconfigure": a fresh TLS handshake, no resumption of the old one).
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
}

# The SOC's SIEM (Wazuh) as an alert source of the verifier: HMAC-signed
# webhooks; its agents are named by device id (docs/verifier.md).
siem_source() {
	(umask 077 && openssl rand -hex 32 >"$work/siem.secret")
	cat >"$work/siem-rules.json" <<'JSON'
{"alert_id": ["id"], "device": [{"path": "agent.name", "by": "device"}],
 "reason": ["rule.description"],
 "verdict": {"path": "rule.level", "levels": [{"min": 12, "verdict": "contraindicated"},
                                              {"min": 7, "verdict": "warning"}]}}
JSON
	export MKVERIFIER_EXTRA="[alert_source \"wazuh\"]
auth = hmac
secret_file = $work/siem.secret
rules = $work/siem-rules.json"
}

# step_siem_alert LEVEL DESCRIPTION: Wazuh posts an alert about SUB-0042,
# signed as its integration script does (source "." timestamp "." body, HMAC-SHA256).
step_siem_alert() {
	local ts body sig
	flag_t0=$(ms)
	ts=$(date +%s)
	body=$(printf '{"id": "%s.%s", "timestamp": "%s", "rule": {"level": %d, "description": "%s", "id": "52502"}, "agent": {"id": "042", "name": "SUB-0042"}, "location": "/var/log/syslog"}' \
		"$ts" "$RANDOM" "$(date -u +%Y-%m-%dT%H:%M:%S.000+0000)" "$1" "$2")
	sig=$(printf 'wazuh.%s.%s' "$ts" "$body" | openssl dgst -sha256 -hmac "$(cat "$work/siem.secret")" -r | cut -d' ' -f1)
	curl -sS --fail --max-time 10 --cacert "$work/v/ca.crt" -H 'Content-Type: application/json' \
		-H "X-Acme-Rats-Timestamp: $ts" -H "X-Acme-Rats-Signature: sha256=$sig" \
		--data-binary "$body" "$vurl/soc/alerts?source=wazuh" >"$work/siem-answer.json"
}

ms() { date +%s%3N; }
# Authentications the module decided so far, and the last one.
decisions() { log_count 'acme_rats: decision device=SUB-0042' "$work/radius.log"; }
last_decision() { grep 'acme_rats: decision device=SUB-0042' "$work/radius.log" | tail -1; }
# (wait_for runs a command again and again: these look afresh each time)
decided_more() { [ "$(decisions)" -gt "$1" ]; }
station_is() { [ "$(nas_station)" = "$1" ]; }
serial_not() { [ "$(live_serial "$dev_state")" != "$1" ]; }
last_outcome_is() { last_decision | grep -q "outcome=$1 "; }
more_lines() { [ "$(log_count "$1" "$2")" -gt "$3" ]; }
session_count() { "$ctl" -c "$work/ctl.conf" --json device SUB-0042 | grep -c '"acct_session_id"'; }
sessions_at_least() { [ "$(session_count)" -ge "$1" ]; }
old_enough() { [ $(( $(date +%s) - $1 )) -gt "$2" ]; }

helper_start() { start_daemon "$work/helper.conf" "$work/helper.log"; }
alive() { kill -0 "$1" 2>/dev/null; }
helper_stop() {
	kill -TERM "$hpid" 2>/dev/null
	# It must stop within its hook timeout; a hang would be a failure of its own.
	# shellcheck disable=SC2016 # eval expands it at each try
	if ! wait_for 80 eval '! alive $hpid'; then
		echo "# acme-rats-helper did not stop on SIGTERM within 8 s" >&2
		kill -KILL "$hpid" 2>/dev/null
	fi
	wait "$hpid" 2>/dev/null
	return 0
}

step_enroll() {
	local t0
	t0=$(ms)
	"$helper" enroll -c "$work/helper.conf" >"$work/out" 2>"$work/err" && pair_matches "$dev_state"
	local rc=$?
	step_ms=$(( $(ms) - t0 ))
	return $rc
}

# step_enroll_as ID: the laptop, with its own account key (its enrolled
# identity), tries to enroll under another identifier of its inventory entry.
# Succeeds (returns 0) only when the CA refused; the helper's words in $work/err-as.
step_enroll_as() {
	local t0 conf=$work/helper-as.conf
	t0=$(ms)
	helper_conf "$conf" "$work/state-as"
	sed -i "s/SUB-0042/$1/g" "$conf"
	"$helper" enroll -c "$conf" >"$work/out-as" 2>"$work/err-as"
	local rc=$?
	step_ms=$(( $(ms) - t0 ))
	[ $rc -ne 0 ] && [ ! -e "$work/state-as/live/cert.pem" ]
}

# The device comes up: first authentication, accepted.
step_connect() {
	local t0
	t0=$(ms)
	site_device
	wait_for 150 station_is authorized && wait_for 20 last_outcome_is accept
	local rc=$?
	step_ms=$(( $(ms) - t0 ))
	return $rc
}

# step_flag STATUS REASON: the SOC's verdict through acme-rats-ctl.
step_flag() {
	flag_t0=$(ms)
	"$ctl" -c "$work/ctl.conf" flag SUB-0042 "$1" --reason "$2" >/dev/null
}

# The NOC worker's Disconnect-Request is acknowledged, the NAS drops the station.
step_disconnected() {
	wait_for 50 grep -q 'nas=ap-substation-7 result=ack' "$work/ca.log" &&
		wait_for 20 station_is unauthorized
	local rc=$?
	step_ms=$(( $(ms) - flag_t0 ))
	return $rc
}

# step_reauth OUTCOME: the device authenticates again; the module decides OUTCOME.
step_reauth() {
	local before t0
	before=$(decisions)
	t0=$(ms)
	dev_cli reauthenticate >/dev/null
	wait_for 80 decided_more "$before" && last_outcome_is "$1"
	local rc=$?
	step_ms=$(( $(ms) - t0 ))
	return $rc
}

# The helper renewed the certificate and the supplicant is back on with it.
# $1: the serial before; the clock runs from $2 (ms).
step_renewed_admitted() {
	wait_for 300 serial_not "$1" && wait_for 200 station_is authorized &&
		wait_for 20 last_outcome_is accept
	local rc=$?
	# shellcheck disable=SC2034 # the callers read it (tests/e2e/test_8021x.sh, bench/lapse.sh)
	step_ms=$(( $(ms) - $2 ))
	return $rc
}

# The posture lapses while the helper is not running: wait until the live
# certificate's attestation is older than the network's fresh limit.
step_lapse() {
	local iat
	helper_stop
	iat=$(stat -c %Y "$dev_state/live/cert.pem")
	wait_for $(( (fresh + 10) * 10 )) old_enough "$iat" $((fresh + 1))
}

# A re-authentication is accepted into the quarantine VLAN, which hostapd receives.
step_quarantined() {
	local vlans
	vlans=$(log_count 'Tunnel-Private-Group-Id' "$work/hostapd.log")
	step_reauth quarantine &&
		wait_for 20 more_lines 'Tunnel-Private-Group-Id' "$work/hostapd.log" "$vlans"
}
