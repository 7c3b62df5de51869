# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# shellcheck disable=SC2154,SC2034 # sourced after tests/helper/lab.sh and tests/e2e/lab8021x.sh; its variables are read by the scripts that source it
#
# A site with no single point of failure, on one machine (sourced by the
# tests in tests/site/ and by bench/ha.sh, after tests/helper/lab.sh and
# tests/e2e/lab8021x.sh):
#
#   ha_redis          3 redis-server (1 primary, 2 replicas, AOF) and 3
#                     sentinels (redis-server --sentinel), master "acme-rats";
#                     sets $redis_port (the first primary), $ha_redis_conf
#                     (the [redis] lines naming the sentinels)
#   ha_ca PROFILE     2 acme-rats-ca replicas sharing one configuration
#                     (base_url = haproxy's address) and haproxy in front
#                     (haproxy/acme-rats-ca.cfg, addresses rewritten);
#                     $cport is haproxy's port, so helper_conf goes through it
#   ha_radius N ...   freeradius number N (1 or 2) with the module
#   ha_nas            hostapd with radius 1 as primary and 2 as secondary
#                     auth/accounting server, and its DAS for both CA replicas
#
# Without ha_redis, everything uses the single redis-server of lab_redis.

ha_master=acme-rats
ha_redis_conf=""
ha_rport=()
ha_rpid=()
ha_sport=()
ha_spid=()

ms() { date +%s%3N; }

# SIGKILL a process this shell started, and reap it quietly.
kill9() {
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

# The pid of the process lab_bg started last.
last_pid() { echo "${lab_pids[${#lab_pids[@]}-1]}"; }

ha_redis_node() {
	local i=$1
	shift
	mkdir -p "$work/r$i"
	lab_bg "$work/r$i.log" redis-server --port "${ha_rport[$i]}" --bind 127.0.0.1 \
		--dir "$work/r$i" --save '' --appendonly yes --appendfsync everysec \
		--repl-diskless-sync-delay 0 --daemonize no "$@"
	ha_rpid[i]=$(last_pid)
}

# Every sentinel sees 2 replicas with their link up and 2 other sentinels.
ha_settled() {
	local i s
	for i in 0 1 2; do
		s=$(redis-cli -p "${ha_sport[$i]}" SENTINEL replicas "$ha_master" 2>/dev/null |
			grep -c '^master-link-status$' || true)
		[ "$(redis-cli -p "${ha_sport[$i]}" SENTINEL replicas "$ha_master" 2>/dev/null |
			grep -A1 '^master-link-status$' | grep -c '^ok$')" -eq 2 ] || return 1
		[ "$s" -eq 2 ] || return 1
		[ "$(redis-cli -p "${ha_sport[$i]}" SENTINEL sentinels "$ha_master" 2>/dev/null |
			grep -c '^runid$')" -eq 2 ] || return 1
	done
}

ha_redis() {
	local i
	for i in 0 1 2; do
		ha_rport[i]=$(free_port) || bail "no free port"
		ha_sport[i]=$(free_port) || bail "no free port"
	done
	ha_redis_node 0
	wait_tcp "${ha_rport[0]}" 50 || bail "redis-server did not start"
	ha_redis_node 1 --replicaof 127.0.0.1 "${ha_rport[0]}"
	ha_redis_node 2 --replicaof 127.0.0.1 "${ha_rport[0]}"
	for i in 0 1 2; do
		mkdir -p "$work/s$i"
		# a sentinel rewrites its file: one each, never shared
		cat >"$work/s$i.conf" <<CONF
port ${ha_sport[$i]}
bind 127.0.0.1
daemonize no
dir $work/s$i
sentinel monitor $ha_master 127.0.0.1 ${ha_rport[0]} 2
sentinel down-after-milliseconds $ha_master 1000
sentinel failover-timeout $ha_master 5000
CONF
		lab_bg "$work/s$i.log" redis-server "$work/s$i.conf" --sentinel
		ha_spid[i]=$(last_pid)
	done
	wait_for 300 ha_settled || bail "the sentinels did not settle within 30 s"
	redis_port=${ha_rport[0]}
	ha_redis_conf="sentinels = 127.0.0.1:${ha_sport[0]},127.0.0.1:${ha_sport[1]},127.0.0.1:${ha_sport[2]}
master_name = $ha_master"
}

# The port the first sentinel answering names as the primary.
ha_primary_port() {
	local i
	for i in 0 1 2; do
		redis-cli -p "${ha_sport[$i]}" SENTINEL get-master-addr-by-name "$ha_master" \
			2>/dev/null | sed -n 2p && return 0
	done
}

# The index (0..2) of the node on port $1.
ha_node_of() {
	local i
	for i in 0 1 2; do
		[ "${ha_rport[$i]}" = "$1" ] && echo "$i" && return 0
	done
	return 1
}

# redis-cli against the current primary.
ha_cli() { redis-cli -p "$(ha_primary_port)" "$@"; }

# --- the CA replicas behind haproxy -----------------------------------------------

ha_ca_pid=()
ha_ca_port=()

# ha_ca_start I: replica I (1 or 2) from $work/ca/caI.conf.
ha_ca_start() {
	lab_bg "$work/ca$1.log" "${lab_launch[@]}" "$top_build/ca/acme-rats-ca" -c "$work/ca/ca$1.conf"
	ha_ca_pid[$1]=$(last_pid)
	wait_tcp "${ha_ca_port[$1]}" 50 || bail "acme-rats-ca replica $1 did not start"
}

# ha_ca PROFILE_BODY: [profile "substation"] as lab_ca has it, plus
# $LAB_CA_EXTRA (more sections); two replicas and haproxy.
ha_ca() {
	local i
	cport=$(free_port) || bail "no free port"
	ha_ca_port[1]=$(free_port) || bail "no free port"
	ha_ca_port[2]=$(free_port) || bail "no free port"
	echo '{"min_status": "affirming", "max_age": 300, "require_key_binding": true}' \
		>"$work/policy.json"
	{
		echo '[profile "substation"]'
		printf '%s\n' "$1"
		echo "policy = $work/policy.json"
		echo "verifier_keys = $work/v/keys.jwks"
		echo "verifier_url = $vurl"
		echo "verifier_ca = $work/v/ca.crt"
		[ -z "${LAB_CA_EXTRA:-}" ] || cat "$LAB_CA_EXTRA"
	} >"$work/profiles.conf"
	MKCA_EXTRA=$work/profiles.conf MKCA_EAB_PROFILE=substation MKCA_REDIS_EXTRA=$ha_redis_conf \
		"$top_src/tests/fixtures/mkca" "$work/ca" "${ha_ca_port[1]}" "$redis_port" yes \
		>/dev/null 2>&1 || bail "tests/fixtures/mkca failed"
	# more EAB keys (or anything else) before the replicas start
	! declare -F ha_ca_prepare >/dev/null || ha_ca_prepare
	# One ACME URL: every replica names haproxy's address in its URLs.
	sed -i -e "s|^base_url = .*|base_url = https://127.0.0.1:$cport|" \
		-e "s|^terms_of_service = .*|terms_of_service = https://127.0.0.1:$cport/terms|" \
		"$work/ca/ca.conf"
	for i in 1 2; do
		sed -e "0,/^port = .*/s//port = ${ha_ca_port[$i]}/" \
			-e "s/^consumer = .*/consumer = ca$i/" "$work/ca/ca.conf" >"$work/ca/ca$i.conf"
		ha_ca_start "$i"
	done
	sed -n 's/.*"kid-substation-1": {"hmac": "\([^"]*\)".*/\1/p' "$work/ca/eab.json" \
		>"$work/eab.hmac"
	[ -s "$work/eab.hmac" ] || bail "no EAB key for kid-substation-1"
	chmod 600 "$work/eab.hmac"
	ha_haproxy
}

# haproxy from the shipped configuration, on this run's addresses.
ha_haproxy() {
	command -v haproxy >/dev/null || bail "haproxy is missing: run scripts/setup"
	sed -e "s|^\tbind 0.0.0.0:443|\tbind 127.0.0.1:$cport|" \
		-e "s|ca-file /etc/acme-rats/ca-tls-root.crt|ca-file $work/ca/ca.crt|" \
		-e "s|^\tserver ca1 .*|\tserver ca1 127.0.0.1:${ha_ca_port[1]}|" \
		-e "s|^\tserver ca2 .*|\tserver ca2 127.0.0.1:${ha_ca_port[2]}|" \
		-e "s|^\t# stats socket .*|\tstats socket $work/haproxy.sock mode 600 level admin|" \
		"$top_src/haproxy/acme-rats-ca.cfg" >"$work/haproxy.cfg"
	haproxy -c -f "$work/haproxy.cfg" >"$work/haproxy-check.log" 2>&1 ||
		bail "haproxy -c refuses the configuration: $(tail -3 "$work/haproxy-check.log")"
	lab_bg "$work/haproxy.log" haproxy -db -f "$work/haproxy.cfg"
	ha_haproxy_pid=$(last_pid)
	wait_tcp "$cport" 50 || bail "haproxy did not start"
	wait_for 50 curl -sf --cacert "$work/ca/ca.crt" -o /dev/null \
		"https://127.0.0.1:$cport/directory" || bail "no directory through haproxy"
}

# --- two FreeRADIUS servers, hostapd with both ---------------------------------------

ha_auth_port=()
ha_acct_port=()
ha_radius_pid=()

# ha_radius N [MKRADDB_VAR=value ...]: freeradius N with the module, Redis
# through the sentinels when ha_redis ran. Its log: $work/radiusN.log.
ha_radius() {
	local n=$1 conf
	shift
	ha_auth_port[n]=$(free_port) || bail "no free port"
	ha_acct_port[n]=$(free_port) || bail "no free port"
	env "$@" "$top_src/tests/fixtures/mkraddb" "$work/raddb$n" "$top_src" \
		"$top_build/rlm_acme_rats/.libs" "${ha_auth_port[$n]}" "${ha_acct_port[$n]}" \
		"$redis_port" "$work/ca" >/dev/null || bail "tests/fixtures/mkraddb failed"
	conf=$work/raddb$n/mods-available/acme_rats
	if [ -n "$ha_redis_conf" ]; then
		sed -i -e "s|^\([[:space:]]*\)#sentinels = .*|\1sentinels = \"127.0.0.1:${ha_sport[0]},127.0.0.1:${ha_sport[1]},127.0.0.1:${ha_sport[2]}\"|" \
			-e "s|^\([[:space:]]*\)#master_name = .*|\1master_name = \"$ha_master\"|" "$conf"
		grep -q "^[[:space:]]*master_name = \"$ha_master\"" "$conf" ||
			bail "cannot name the sentinels in $conf"
	fi
	lab_bg "$work/radius$n.log" freeradius -X -d "$work/raddb$n"
	ha_radius_pid[n]=$(last_pid)
	wait_for 100 grep -q 'Ready to process requests' "$work/radius$n.log" ||
		bail "freeradius $n did not start"
}

# The veth pair, the device's namespace, hostapd as the NAS with two
# RADIUS servers: radius 1 first (primary), radius 2 after it (secondary).
ha_nas() {
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
auth_server_port=${ha_auth_port[1]}
auth_server_shared_secret=$site_secret
acct_server_addr=127.0.0.1
acct_server_port=${ha_acct_port[1]}
acct_server_shared_secret=$site_secret
auth_server_addr=127.0.0.1
auth_server_port=${ha_auth_port[2]}
auth_server_shared_secret=$site_secret
acct_server_addr=127.0.0.1
acct_server_port=${ha_acct_port[2]}
acct_server_shared_secret=$site_secret
radius_retry_primary_interval=${HA_RETRY_PRIMARY:-600}
radius_das_port=$das_port
radius_das_client=127.0.0.1 $das_secret
radius_das_require_event_timestamp=1
radius_das_require_message_authenticator=1
dynamic_vlan=0
CONF
	hostapd -dd -t "$work/hostapd.conf" >>"$work/hostapd.log" 2>&1 &
	hostapd_pid=$!
	lab_pids+=("$hostapd_pid")
	wait_for 50 test -S "$work/hostapd/$site_nas_if" || bail "hostapd did not start"
}

# Decisions of the module for the laptop in radius N's log, and its accepts.
ha_decisions() { log_count 'acme_rats: decision device=SUB-0042' "$work/radius$1.log"; }
ha_accepts() { log_count 'acme_rats: decision device=SUB-0042 .*outcome=accept ' "$work/radius$1.log"; }
ha_rejects() { log_count 'acme_rats: decision device=SUB-0042 .*outcome=reject ' "$work/radius$1.log"; }
ha_decided_more() { [ "$(ha_decisions "$1")" -gt "$2" ]; }

# acme-rats-ctl's configuration (Redis through the sentinels when there are some).
ha_ctl_conf() {
	{
		echo '[redis]'
		if [ -n "$ha_redis_conf" ]; then
			printf '%s\n' "$ha_redis_conf"
		else
			printf 'host = 127.0.0.1\nport = %s\n' "$redis_port"
		fi
		echo '[soc]'
		echo "verifier_url = $vurl"
		echo "token_file = $work/v/soc-token"
		echo "verifier_ca = $work/v/ca.crt"
	} >"$work/ctl.conf"
}
