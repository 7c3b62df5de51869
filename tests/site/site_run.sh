#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# One run of the whole site under load with one fault (TAP, and one
# "# figure: ha_run ..." line of key=value figures for bench/ha.sh):
#
#   site_run.sh FAULT [SECONDS]
#
# The site: 3 redis-server (AOF) and 3 sentinels; acme-rats-verifier; 2
# acme-rats-ca behind haproxy (haproxy/acme-rats-ca.cfg), their NOC event
# workers in one consumer group; 2 freeradius with rlm_acme_rats; hostapd
# with both as primary and secondary server; the laptop (wpa_supplicant in
# its namespace, certificate from acme-rats-helper through haproxy). Every
# daemon, the module and acme-rats-ctl find the Redis primary through the
# sentinels.
#
# The load, for SECONDS (default 24), every loop bounded by the deadline:
# attested issuances through haproxy (bench/ca_load, 2 clients, each
# certificate's serial logged as the client saw it), EAP-TLS
# authentications of the healthy laptop against each freeradius
# (eapol_test loops), a write through the sentinels every 100 ms, a SOC
# verdict on a load device (acme-rats-ctl flag) every 500 ms.
#
# FAULT, HA_FAULT_AT seconds (default 6) into the load:
#   redis-kill    SIGKILL of the Redis primary
#   redis-stop    SIGSTOP of the Redis primary for 10 s (hung, not dead)
#   ca-kill       SIGKILL of one CA replica in the middle of orders
#   radius-kill   SIGKILL of freeradius 1 (hostapd's primary); the laptop
#                 must then be admitted by freeradius 2 through hostapd
#
# Asserted: no authentication of the healthy laptop rejected; writes
# succeed again (the failover time is measured); issuances complete again
# after the fault; every certificate the client received is in Redis;
# the last SOC verdict acknowledged (or a later one) is in Redis; the
# laptop is admitted through hostapd at the end (certificate records and
# verdicts are acknowledged once a replica has them: min_replicas_ack). Reported: the
# failover time, the longest gap between two issuances, orders that could
# not complete, authentications unanswered, degraded module decisions.
# Needs root (namespaces).
set -u
fault=${1:?usage: site_run.sh redis-kill|redis-stop|ca-kill|radius-kill [SECONDS]}
secs=${2:-24}
fault_at=${HA_FAULT_AT:-6}
case $fault in redis-kill|redis-stop|ca-kill|radius-kill) ;; *) echo "unknown fault $fault" >&2; exit 2 ;; esac
# shellcheck source=tests/helper/lab.sh
. "${AR_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/helper/lab.sh"
# shellcheck source=tests/e2e/lab8021x.sh
. "$top_src/tests/e2e/lab8021x.sh"
# shellcheck source=tests/site/site.sh
. "$top_src/tests/site/site.sh"
# (a primary stopped by the redis-stop fault must be able to take its SIGTERM)
trap 'kill -CONT "${ha_rpid[@]}" 2>/dev/null; site_cleanup; lab_cleanup' EXIT

site_checks
command -v haproxy >/dev/null || bail "haproxy is missing: run scripts/setup"
make -C "$top_build" -s bench/ca_load >/dev/null 2>&1 || bail "cannot build bench/ca_load"
load_threads=2

# --- the site -------------------------------------------------------------------
ha_redis
MKVERIFIER_REDIS_EXTRA=$ha_redis_conf
export MKVERIFIER_REDIS_EXTRA
lab_verifier
unset MKVERIFIER_REDIS_EXTRA

# The load's profile: the generator signs the EARs with a key the profile pins.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/load-verifier.pem" 2>/dev/null
"$top_build/bench/ca_load" jwks "$work/load-verifier.pem" bench-verifier >"$work/load-keys.json" ||
	bail "ca_load jwks failed"
site_ca_extra >"$work/ca-extra.conf"
cat >>"$work/ca-extra.conf" <<CONF

[profile "load"]
identifiers = permanent-identifier
attest = any
lifetime = 1h
policy = $work/policy.json
verifier_keys = $work/load-keys.json
CONF
# One EAB key and device per load client.
ha_ca_prepare() {
	python3 - "$work/ca/eab.json" "$load_threads" <<'PY'
import base64, json, os, sys
path, n = sys.argv[1], int(sys.argv[2])
with open(path) as f:
    inv = json.load(f)
for i in range(n):
    inv["bench-a-%d" % i] = {"hmac": base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("="),
                             "profile": "load", "identifiers": ["BENCH-A-%06d" % i]}
fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
with os.fdopen(fd, "w") as f:
    json.dump(inv, f)
os.replace(path + ".tmp", path)
PY
}
LAB_CA_EXTRA=$work/ca-extra.conf ha_ca "identifiers = permanent-identifier
attest = any os_patch_level
lifetime = 1h
posture_fresh = 300s"
device_tree "$work/device" 3
ha_radius 1 MKRADDB_FRESH=300 MKRADDB_GRACE=600 MKRADDB_REDIS_UNAVAILABLE=certificate_only
ha_radius 2 MKRADDB_FRESH=300 MKRADDB_GRACE=600 MKRADDB_REDIS_UNAVAILABLE=certificate_only
ha_nas
ha_ctl_conf
helper_conf "$work/helper.conf" "$dev_state"
lab_logs="$lab_logs $work/radius1.log $work/radius2.log $work/ca1.log $work/ca2.log $work/load.err"

step_enroll || bail "the laptop's helper could not enroll through haproxy: $(tail -3 "$work/err")"
site_device
wait_for 150 station_is authorized || bail "the laptop was not admitted before the load"
ok "the site is up: laptop enrolled through haproxy and admitted ($fault)"

# --- the load -----------------------------------------------------------------------
cat >"$work/eapol.conf" <<CONF
network={
	key_mgmt=WPA-EAP
	eap=TLS
	identity="SUB-0042"
	ca_cert="$work/ca/ca.crt"
	client_cert="$dev_state/live/cert.pem"
	private_key="$dev_state/live/key.pem"
	eapol_flags=0
}
CONF

# eap_loop N DEADLINE_MS: EAP-TLS against freeradius N until the deadline;
# one line per authentication in $work/eapN.txt: "UNIX_MS accept|reject|none".
eap_loop() {
	local n=$1 end=$2 i=0 out
	while [ "$(ms)" -lt "$end" ]; do
		i=$((i + 1))
		out=$work/eapol$n.out
		eapol_test -c "$work/eapol.conf" -a 127.0.0.1 -p "${ha_auth_port[$n]}" -s "$site_secret" \
			-t 3 -N32:s:ap-substation-7 "-N44:s:load-$n-$i" >"$out" 2>&1
		if grep -q 'Access-Accept' "$out"; then
			echo "$(ms) accept" >>"$work/eap$n.txt"
		elif grep -q 'Access-Reject' "$out"; then
			echo "$(ms) reject" >>"$work/eap$n.txt"
			cp "$out" "$work/eapol$n-reject-$i.out"
		else
			echo "$(ms) none" >>"$work/eap$n.txt"
		fi
		sleep 0.2
	done
}

# write_probe DEADLINE_MS: SET through the primary the sentinels name, every
# 100 ms; "UNIX_MS ok|fail" per attempt in $work/probe.txt.
write_probe() {
	local end=$1 p r
	while [ "$(ms)" -lt "$end" ]; do
		p=$(timeout 1 redis-cli -p "${ha_sport[0]}" SENTINEL get-master-addr-by-name "$ha_master" \
			2>/dev/null | sed -n 2p)
		r=$( [ -n "$p" ] && timeout 1 redis-cli -p "$p" SET acmerats-site-probe "$(ms)" 2>/dev/null)
		if [ "$r" = OK ]; then echo "$(ms) ok"; else echo "$(ms) fail"; fi >>"$work/probe.txt"
		sleep 0.1
	done
}

# verdict_loop DEADLINE_MS: SOC verdicts on a load device through the
# verifier's SOC API (acme-rats-ctl flag), every 500 ms; the number of each
# one acknowledged goes to $work/verdicts.txt, of each one refused to
# $work/verdicts-refused.txt.
verdict_loop() {
	local end=$1 i=0
	while [ "$(ms)" -lt "$end" ]; do
		i=$((i + 1))
		if timeout 5 "$ctl" -c "$work/ctl.conf" flag BENCH-A-000001 affirming --reason "site-$i" \
			>/dev/null 2>&1; then
			echo "$i" >>"$work/verdicts.txt"
		else
			echo "$i" >>"$work/verdicts-refused.txt"
		fi
		sleep 0.5
	done
}

t_start=$(ms)
t_end=$((t_start + secs * 1000))
"$top_build/bench/ca_load" -t "$load_threads" -d "$secs" -k 32 -w 50 -e "$work/ca/eab.json" \
	-p bench-a- -v "$work/load-verifier.pem" -i bench-verifier -s "$work/serials.txt" attested \
	"https://127.0.0.1:$cport/directory" "$work/ca/ca.crt" >"$work/load.out" 2>"$work/load.err" &
load_pid=$!
eap_loop 1 "$t_end" &
eap1_pid=$!
eap_loop 2 "$t_end" &
eap2_pid=$!
write_probe "$t_end" &
probe_pid=$!
sleep 1			# the load device exists once its first certificate is issued
verdict_loop "$t_end" &
verdict_pid=$!

sleep "$fault_at"
t_fault=$(ms)
case $fault in
redis-kill|redis-stop)
	old=$(ha_primary_port)
	i=$(ha_node_of "$old") || bail "no primary to fault"
	if [ "$fault" = redis-kill ]; then
		kill9 "${ha_rpid[$i]}"
	else
		kill -STOP "${ha_rpid[$i]}"
		( sleep 10; kill -CONT "${ha_rpid[$i]}" ) &
		cont_pid=$!
	fi
	;;
ca-kill)
	kill9 "${ha_ca_pid[1]}"
	;;
radius-kill)
	kill9 "${ha_radius_pid[1]}"
	dev_cli reauthenticate >/dev/null	# the laptop's next authentication meets the dead primary
	;;
esac
echo "# fault $fault at $((t_fault - t_start)) ms into the load"

wait "$load_pid"
load_rc=$?
wait "$eap1_pid" "$eap2_pid" "$probe_pid" "$verdict_pid"
[ -z "${cont_pid:-}" ] || wait "$cont_pid"

# --- what happened ----------------------------------------------------------------
count() { grep -c "$1" "$2" 2>/dev/null || true; }
accepted=$(( $(count ' accept$' "$work/eap1.txt") + $(count ' accept$' "$work/eap2.txt") ))
rejected=$(( $(count ' reject$' "$work/eap1.txt") + $(count ' reject$' "$work/eap2.txt") ))
unanswered=$(( $(count ' none$' "$work/eap1.txt") + $(count ' none$' "$work/eap2.txt") ))
module_rejects=$(( $(ha_rejects 1) + $(ha_rejects 2) ))
degraded=$(cat "$work/radius1.log" "$work/radius2.log" | grep 'acme_rats: decision device=SUB-0042' |
	grep -c 'degraded=yes' || true)
if [ "$rejected" -eq 0 ] && [ "$module_rejects" -eq 0 ]; then
	ok "healthy-device authentications rejected: 0 (accepted $accepted, unanswered $unanswered, degraded decisions $degraded)"
else
	not_ok "healthy-device authentications rejected: 0" "rejected=$rejected module_rejects=$module_rejects" \
		"$(cat "$work/radius1.log" "$work/radius2.log" | grep 'outcome=reject' | head -3)"
fi
# Authentications succeed after the fault, on every server still alive.
accepts_after() { awk -v t="$t_fault" '$1 > t + 3000 && $2 == "accept"' "$work/eap$1.txt" 2>/dev/null | wc -l; }
alive_servers="1 2"
[ "$fault" != radius-kill ] || alive_servers=2
for n in $alive_servers; do
	if [ "$(accepts_after "$n")" -gt 0 ]; then
		ok "freeradius $n admits the laptop after the fault ($(accepts_after "$n") accepts)"
	else
		not_ok "freeradius $n admits the laptop after the fault" "$(tail -5 "$work/eap$n.txt")"
	fi
done

# Failover time: the longest run of failed writes after the fault.
failover_ms=$(awk -v t="$t_fault" '$1 >= t { if ($2 == "fail") { if (!f) f = $1 } else if (f) { d = $1 - f; if (d > m) m = d; f = 0 } }
	END { if (f) print -1; else print m + 0 }' "$work/probe.txt")
last_probe=$(tail -1 "$work/probe.txt" | cut -d' ' -f2)
if [ "$last_probe" = ok ] && [ "$failover_ms" -ge 0 ]; then
	ok "writes through the sentinels succeed again: longest outage after the fault $failover_ms ms"
else
	not_ok "writes through the sentinels succeed again" "$(tail -3 "$work/probe.txt")"
fi

issued=$( { wc -l <"$work/serials.txt"; } 2>/dev/null || echo 0)
after=$(awk -v t="$t_fault" '$1 > t' "$work/serials.txt" 2>/dev/null | wc -l)
gap_ms=$(awk '{ if (p && $1 - p > m) m = $1 - p; p = $1 } END { print m + 0 }' \
	<(sort -n "$work/serials.txt" 2>/dev/null))
failed=$(sed -n 's/.* failed=\([0-9]*\).*/\1/p' "$work/load.out")
if [ "$after" -gt 0 ]; then
	ok "issuances through haproxy complete after the fault ($after of $issued; longest gap $gap_ms ms; orders that could not complete: ${failed:-?})"
else
	not_ok "issuances through haproxy complete after the fault" "issued=$issued load_rc=$load_rc" "$(head -3 "$work/load.err")"
fi

# Every certificate the client received has its record in Redis (a field of
# its device's hash `c`, found through the serial index `sn:<base64url>`
# written with it).
ha_cli --scan --pattern 'acmerats:sn:*' 2>/dev/null | /usr/bin/python3 -c '
import base64, sys
for key in sys.stdin.read().split():
    b64 = key.rsplit(":", 1)[1]
    print(base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4)).hex())' | sort -u >"$work/stored.txt"
missing=$(awk '{print $3}' "$work/serials.txt" 2>/dev/null | sort -u | comm -23 - "$work/stored.txt" | wc -l)
# (min_replicas_ack is auto: 1 under Sentinel, so finalize answered only
# once a replica had the record)
if [ "$missing" -eq 0 ] && [ "$issued" -gt 0 ]; then
	ok "every certificate the client received is in Redis ($issued)"
else
	not_ok "every certificate the client received is in Redis" "missing=$missing of $issued"
fi

# The last verdict the SOC saw acknowledged (or a later one) is the one in Redis.
last_acked=$(tail -1 "$work/verdicts.txt" 2>/dev/null)
refused=$( { wc -l <"$work/verdicts-refused.txt"; } 2>/dev/null || echo 0)
stored=$("$ctl" -c "$work/ctl.conf" --json device BENCH-A-000001 2>/dev/null |
	grep -o '"reason": *"site-[0-9]*"' | grep -o '[0-9]*' | tail -1)
if [ -n "$last_acked" ] && [ -n "$stored" ] && [ "$stored" -ge "$last_acked" ]; then
	verdicts_lost=0
	ok "SOC verdicts: the last one acknowledged (site-$last_acked) is in Redis ($(wc -l <"$work/verdicts.txt") acknowledged, $refused refused)"
else
	verdicts_lost=1
	not_ok "SOC verdicts: the last one acknowledged is in Redis" "acked=${last_acked:-none} stored=${stored:-none}"
fi

# The laptop, through hostapd, is admitted at the end.
before1=$(ha_decisions 1)
before2=$(ha_decisions 2)
t0=$(ms)
dev_cli reauthenticate >/dev/null
admitted() { { ha_decided_more 1 "$before1" || ha_decided_more 2 "$before2"; } && station_is authorized; }
wait_s=15
[ "$fault" != radius-kill ] || wait_s=100
if wait_for $((wait_s * 10)) admitted; then
	nas_ms=$(( $(ms) - t0 ))
	ok "the laptop is admitted through hostapd after the fault ($nas_ms ms)"
else
	nas_ms=-1
	not_ok "the laptop is admitted through hostapd after the fault" "$(grep -i 'failover' "$work/hostapd.log" | tail -2)"
fi
if [ "$fault" = radius-kill ]; then
	nas_failover=$(( $(date -d "@$(grep -m1 'No response from Authentication server' "$work/hostapd.log" |
		cut -d: -f1)" +%s%3N 2>/dev/null || echo "$t_fault") - t_fault ))
else
	nas_failover=0
fi

echo "# figure: ha_run fault=$fault seconds=$secs fault_at_s=$fault_at redis_failover_ms=$failover_ms" \
	"issuances=$issued issuances_after_fault=$after issuance_gap_ms=$gap_ms orders_failed=${failed:-0}" \
	"certs_missing=$missing auth_accepted=$accepted auth_rejected=$rejected auth_unanswered=$unanswered" \
	"degraded_decisions=$degraded verdicts_lost=$verdicts_lost verdicts_refused=$refused nas_readmit_ms=$nas_ms nas_failover_ms=$nas_failover"
lab_done
