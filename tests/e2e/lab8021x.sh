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
#
# LAB_TPM=1 (the demo) gives the device a TPM 2.0 (site_tpm_* below): swtpm
# manufactured with an EK certificate from its local CA, a measured boot and
# an IMA list extended into its PCRs (tests/tpm/tpm_gen), tpm2-abrmd in front
# of it (the helper and the supplicant share it), the verifier with the EK
# root and a reference policy naming the approved boot, and the EAP-TLS key
# in the TPM: the helper attests with TPM evidence (key_store =
# tpm-certified) and wpa_supplicant signs through PKCS#11 (tpm2-pkcs11).
# Without it (tests/e2e/test_8021x.sh) nothing of this is set up.

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
# With the TPM, the key is the token's object (PKCS#11 engine, tpm2-pkcs11).
site_device() {
	local key="private_key=\"$dev_state/live/key.pem\"" global=''
	if [ "$site_tpm" = 1 ]; then
		global="pkcs11_engine_path=$(find /usr/lib -path '*engines-3/pkcs11.so' | head -n 1)
pkcs11_module_path=$(find /usr/lib -name libtpm2_pkcs11.so | head -n 1)"
		key="private_key=\"pkcs11:token=laptop;object=eap-tls;type=private\"
	pin=\"$tpm_pin\""
	fi
	mkdir -p "$work/wpa"
	cat >"$work/wpa_supplicant.conf" <<CONF
ctrl_interface=$work/wpa
ap_scan=0
$global
network={
	key_mgmt=IEEE8021X
	eap=TLS
	identity="SUB-0042"
	ca_cert="$work/ca/ca.crt"
	client_cert="$dev_state/live/cert.pem"
	$key
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

# --- the device's TPM (LAB_TPM=1) ------------------------------------------------
site_tpm=${LAB_TPM:-0}
tpm_dir=$work/tpm
tpm_gen=$top_build/tests/tpm/tpm_gen
tpm_ak=0x81010010		# the AK (tpm-enroll makes it)
tpm_key=0x81010020		# the EAP-TLS key, certified by the AK
tpm_pin=laptop-pin-$$		# the PKCS#11 token's user PIN (a lab value)
tpm_tcti=tabrmd:bus_type=session
approved_kernel=vmlinuz-6.1.0-26-amd64

# Manufacture the TPM (EK certificate from swtpm's local CA, as tests/tpm/tpmlab.c),
# serve it, put tpm2-abrmd in front of it on a private D-Bus, boot it.
site_tpm_up() {
	local tool
	for tool in swtpm swtpm_setup swtpm_ioctl tpm2_pcrread tpm2_eventlog tpm2-abrmd \
		dbus-daemon tpm2_ptool; do
		command -v "$tool" >/dev/null || bail "$tool is missing: run scripts/setup"
	done
	[ -x "$tpm_gen" ] || bail "$tpm_gen is missing: make tests/tpm/tpm_gen"
	mkdir -p "$tpm_dir/pkcs11"
	lab_swtpm "$tpm_dir"
	tpm_direct=$swtpm_tcti
	# The helper and the supplicant's PKCS#11 module both use the TPM:
	# tpm2-abrmd serves them both over one connection to swtpm.
	lab_bg "$work/dbus.log" dbus-daemon --session --nofork --address="unix:path=$tpm_dir/bus"
	wait_for 50 test -S "$tpm_dir/bus" || bail "dbus-daemon did not start"
	export DBUS_SESSION_BUS_ADDRESS=unix:path=$tpm_dir/bus
	export TPM2TOOLS_TCTI=$tpm_tcti TPM2_PKCS11_TCTI=$tpm_tcti TPM2_PKCS11_STORE=$tpm_dir/pkcs11
	site_tpm_rm
	site_tpm_measure "$approved_kernel"
	site_tpm_token
}

# tpm2-abrmd, the resource manager, on the lab's D-Bus.
site_tpm_rm() {
	lab_bg "$work/abrmd.log" tpm2-abrmd --session --allow-root --tcti="$tpm_direct"
	abrmd_pid=$!
	wait_for 50 tpm2_getrandom 4 -o /dev/null || bail "tpm2-abrmd did not start"
}

# site_tpm_measure KERNEL: what the firmware, shim, grub and IMA measure when
# the laptop boots KERNEL: a TCG2 boot log and an IMA list, extended into the PCRs.
site_tpm_measure() {
	rm -f "$tpm_dir/boot.log" "$tpm_dir/ima.list" "$tpm_dir/allow.txt"
	if ! "$tpm_gen" boot "$tpm_tcti" "$tpm_dir/boot.log" --kernel "$1" >>"$work/tpm_gen.log" 2>&1 ||
	   ! "$tpm_gen" ima "$tpm_tcti" "$tpm_dir/ima.list" "$tpm_dir/allow.txt" 0 40 \
		>>"$work/tpm_gen.log" 2>&1; then
		bail "tests/tpm/tpm_gen failed: $(tail -n 2 "$work/tpm_gen.log")"
	fi
	# The first (approved) boot's files are the reference image's.
	[ -e "$tpm_dir/ima-allowlist.txt" ] || mv "$tpm_dir/allow.txt" "$tpm_dir/ima-allowlist.txt"
	[ -e "$tpm_dir/approved-boot.log" ] || cp "$tpm_dir/boot.log" "$tpm_dir/approved-boot.log"
}

# site_tpm_reboot KERNEL: the laptop reboots into KERNEL: TPM2_Shutdown, a
# TPM reset (swtpm_ioctl --init, TPM2_Startup(CLEAR): PCRs back to their
# initial values, resetCount + 1), then the boot is measured again.
site_tpm_reboot() {
	kill -TERM "$abrmd_pid" 2>/dev/null
	wait "$abrmd_pid" 2>/dev/null
	TPM2TOOLS_TCTI=$tpm_direct tpm2_shutdown -c >/dev/null 2>&1
	if ! swtpm_ioctl --tcp "127.0.0.1:$((tport + 1))" -i >/dev/null 2>&1 ||
	   ! TPM2TOOLS_TCTI=$tpm_direct tpm2_startup -c >/dev/null 2>&1; then
		bail "the TPM did not reset"
	fi
	site_tpm_rm
	site_tpm_measure "$1"
}

# The EAP-TLS key: a signing key (not restricted; fixedTPM, fixedParent,
# sensitiveDataOrigin, as the verifier requires of a certified key) under the
# PKCS#11 token's primary, persistent at $tpm_key for the helper, which
# TPM2_Certify's it by the AK and has the CSR signed there; its blob is
# linked into the token for wpa_supplicant before it starts. (On a laptop
# the helper makes the key under its SRK and its post_renew hook
# acme-rats-tpm-pkcs11-link links it, as tests/tpm/test_eaptls_with_tpm_key.sh
# does; here the token must hold the key before the supplicant's first
# start, so the lab makes it, the helper finds it at the handle and says
# once that it has no key file of its own. A file key with TPM evidence is
# no option: the helper sends TPM evidence only with key_store =
# tpm-certified, and the verifier refuses software evidence from a
# TPM-enrolled device.)
site_tpm_token() {
	local parent
	{
		tpm2_ptool init &&
			tpm2_ptool addtoken --pid=1 --label=laptop --userpin="$tpm_pin" --sopin="so-$tpm_pin"
	} >>"$work/pkcs11.log" 2>&1 || bail "tpm2_ptool init/addtoken failed"
	parent=$(tpm2_getcap handles-persistent 2>/dev/null | sed -n 's/^- \(0x81[0-9a-fA-F]*\)$/\1/p' |
		head -n 1)
	[ -n "$parent" ] || bail "no persistent primary for the PKCS#11 token"
	(cd "$tpm_dir" && tpm2_create -C "$parent" -G ecc256 \
		-a 'sign|fixedtpm|fixedparent|sensitivedataorigin|userwithauth' -u key.pub -r key.priv &&
		tpm2_load -C "$parent" -u key.pub -r key.priv -c key.ctx &&
		tpm2_evictcontrol -C o -c key.ctx "$tpm_key" &&
		tpm2_ptool link --label=laptop --userpin="$tpm_pin" --key-label=eap-tls key.pub key.priv) \
		>>"$work/pkcs11.log" 2>&1 || bail "the EAP-TLS key in the TPM: $(tail -n 2 "$work/pkcs11.log")"
}

# The TPM reference values of the approved image, from its boot log
# (tpm2_eventlog, as on a reference device): the PCR 4 applications (shim,
# grub, the kernel), Secure Boot, the kernel command line, the IMA allowlist.
site_tpm_policy() {
	{
		echo "# the approved laptop image (tests/e2e/lab8021x.sh)"
		echo "quote_pcrs 0-10,14"
		echo "boot_pcrs 0-9,14"
		tpm2_eventlog "$tpm_dir/approved-boot.log" 2>/dev/null | awk '
			/^- EventNum/ { pcr = ""; type = "" }
			/^  PCRIndex:/ { pcr = $2 }
			/^  EventType:/ { type = $2 }
			/AlgorithmId: sha256/ { getline; gsub(/"/, "", $2)
				if (pcr == 4 && type == "EV_EFI_BOOT_SERVICES_APPLICATION")
					print "boot_digest 4 " $2 }'
		echo "secure_boot required"
		echo "kernel_cmdline /boot/$approved_kernel root=UUID=1e2b ro quiet"
		echo "ima_allowlist $tpm_dir/ima-allowlist.txt"
		echo "ima_exclude /var/log/*"
	} >"$work/v/tpm-policy.conf"
	[ "$(grep -c '^boot_digest 4 ' "$work/v/tpm-policy.conf")" -eq 3 ] ||
		bail "no boot digests in the approved boot log"
}

# The verifier (as lab_verifier) with the TPM: the EK root, the reference policy.
site_tpm_verifier() {
	vport=$(free_port) || bail "no free port"
	"$top_src/tests/fixtures/mkverifier" "$work/v" "$vport" "$redis_port" >/dev/null 2>&1 ||
		bail "tests/fixtures/mkverifier failed"
	site_tpm_policy
	sed -i -e 's/^max_body = 32k$/max_body = 256k/' \
		-e "s|^\\[verifier\\]\$|[verifier]\\ntpm_policy = $work/v/tpm-policy.conf|" \
		"$work/v/verifier.conf"
	printf '\n[tpm]\nek_roots = %s\nek_intermediates = %s\n' \
		"$tpm_dir/ca/swtpm-localca-rootca-cert.pem" "$tpm_dir/ca/issuercert.pem" \
		>>"$work/v/verifier.conf"
	lab_bg "$work/verifier.log" "${lab_launch[@]}" "$top_build/verifier/acme-rats-verifier" \
		-c "$work/v/verifier.conf"
	wait_tcp "$vport" 50 || bail "acme-rats-verifier did not start"
	vurl=https://127.0.0.1:$vport
	curl -sf --cacert "$work/v/ca.crt" -o "$work/v/keys.jwks" \
		"$vurl/challenge-response/v1/keys" || bail "cannot fetch the verifier's keys"
}

# The helper's [device] lines for TPM evidence: the certificate's key is the
# TPM's ($tpm_key), quoted with the boot log and IMA list of the current boot.
site_tpm_device_conf() {
	cat <<CONF
key_store = tpm-certified
tpm_tcti = $tpm_tcti
tpm_ak_handle = $tpm_ak
tpm_key_handle = $tpm_key
tpm_pcrs = 0x47ff
tpm_boot_log = $tpm_dir/boot.log
tpm_ima_list = $tpm_dir/ima.list
CONF
}

# tpm_pcrs_short I...: "PCR 0 = 1a2b3c4d5e6f..." for each index (SHA-256 bank), as the TPM has them.
tpm_pcrs_short() {
	local list
	list=$(IFS=,; echo "$*")
	tpm2_pcrread "sha256:$list" 2>/dev/null | awk '/^ *[0-9]+ *: *0x/ { gsub(/ /, ""); split($0, f, ":")
		printf "PCR %s = %s...\n", f[1], tolower(substr(f[2], 3, 12)) }'
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
	if [ "$site_tpm" = 1 ]; then
		# as lab_start_all, with the laptop's TPM and the verifier that knows its maker
		site_tpm_up
		# shellcheck disable=SC2119 # lab_redis: no extra redis-server arguments
		lab_redis
		site_tpm_verifier
		LAB_CA_EXTRA=$work/ca-extra.conf lab_ca "lifetime = 10m
attest = any os_patch_level
posture_fresh = ${fresh}s"
		device_tree "$work/device" 3
	else
		LAB_CA_EXTRA=$work/ca-extra.conf lab_start_all "lifetime = 10m
attest = any os_patch_level
posture_fresh = ${fresh}s"
	fi
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
	if [ "$site_tpm" = 1 ]; then
		# Its first contact, before its TPM is enrolled: software evidence.
		cp "$work/helper.conf" "$work/helper-soft.conf"
		site_tpm_device_conf >"$work/tpm-device.conf"
		sed -i "/^\[device\]\$/r $work/tpm-device.conf" "$work/helper.conf"
	fi
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
	acks_before=$(log_count 'nas=ap-substation-7 result=ack' "$work/ca.log")
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
	"$helper" enroll -c "$work/helper.conf" >"$work/out" 2>"$work/err" && site_key_matches
	local rc=$?
	step_ms=$(( $(ms) - t0 ))
	return $rc
}

# The live certificate is for the device's key: the file's, or the TPM's.
site_key_matches() {
	local tpm_pub
	[ "$site_tpm" = 1 ] || { pair_matches "$dev_state"; return; }
	tpm_pub=$(tpm2_readpublic -c "$tpm_key" -f pem -o "$work/tpmkey.pub.pem" >/dev/null 2>&1 &&
		openssl pkey -pubin -in "$work/tpmkey.pub.pem" -pubout 2>/dev/null)
	[ -n "$tpm_pub" ] &&
		[ "$tpm_pub" = "$(openssl x509 -in "$dev_state/live/cert.pem" -noout -pubkey 2>/dev/null)" ]
}

# The laptop's first contact (LAB_TPM=1): its account is made (EAB: the
# account key becomes its identity), but its software evidence is at most
# warning on this network: no certificate. Returns 0 when it was refused so.
step_software_refused() {
	local t0
	t0=$(ms)
	"$helper" enroll -c "$work/helper-soft.conf" >"$work/out-soft" 2>"$work/err-soft"
	local rc=$?
	step_ms=$(( $(ms) - t0 ))
	[ $rc -ne 0 ] && [ ! -e "$dev_state/live" ] &&
		grep -q 'software evidence: at most warning' "$work/verifier.log"
}

# The TPM's AK is enrolled for SUB-0042: EK certificate, credential activation.
step_tpm_enroll() {
	local t0
	t0=$(ms)
	"$helper" tpm-enroll -c "$work/helper.conf" --state-dir "$dev_state" >"$work/out-tpm" \
		2>"$work/err-tpm"
	local rc=$?
	step_ms=$(( $(ms) - t0 ))
	return $rc
}

# The verifier's last appraisal of SUB-0042 (its verifier.log line).
last_appraisal() { grep 'event=appraisal device=SUB-0042 ' "$work/verifier.log" | tail -n 1; }
appraisals() { log_count 'event=appraisal device=SUB-0042 ' "$work/verifier.log"; }

# step_reboot KERNEL: the laptop shuts down (helper, supplicant), boots KERNEL,
# and its helper re-attests at once (renew --force); the supplicant comes up
# after it. Returns the helper's exit status; its words in $work/err-boot.
step_reboot() {
	local t0 rc
	t0=$(ms)
	helper_stop
	kill -TERM "$supp_pid" 2>/dev/null
	wait "$supp_pid" 2>/dev/null
	site_tpm_reboot "$1"
	"$helper" renew --force -c "$work/helper.conf" >"$work/out-boot" 2>"$work/err-boot"
	rc=$?
	step_ms=$(( $(ms) - t0 ))
	return $rc
}

# The supplicant starts again; the module decides OUTCOME on its first
# authentication. The NAS may still be dropping the port of a rejected
# station: the supplicant starts over (EAPOL-Start) until it is heard.
step_supplicant_up() {
	local before t0 i
	before=$(decisions)
	t0=$(ms)
	site_device
	for i in 1 2 3 4 5 6 7; do
		wait_for 30 decided_more "$before" && break
		[ "$i" -lt 7 ] && dev_cli reauthenticate >/dev/null
	done
	decided_more "$before" && last_outcome_is "$1"
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
	acks_before=$(log_count 'nas=ap-substation-7 result=ack' "$work/ca.log")
	"$ctl" -c "$work/ctl.conf" flag SUB-0042 "$1" --reason "$2" >/dev/null
}

# The NOC worker's Disconnect-Request is acknowledged, the NAS drops the station.
step_disconnected() {
	wait_for 50 more_lines 'nas=ap-substation-7 result=ack' "$work/ca.log" "${acks_before:-0}" &&
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
