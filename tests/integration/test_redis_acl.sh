#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Integration test (TAP): every component works with only its own Redis ACL
# user from the shipped redis/users.acl, and nothing more.
#
# A real redis-server loads a copy of the shipped ACL file (the default user
# off), with the password hashes put in as docs/operations.md tells
# operators to. acme-rats-verifier, acme-rats-ca (with its NOC event worker),
# acme-rats-ctl and rlm_acme_rats inside freeradius each log in as their own
# user and run a whole loop: attested enrollment by acme-rats-helper
# (passport model), EAP-TLS admission by eapol_test with the session
# recorded, accounting (Interim-Update, Stop), acme-rats-ctl
# devices/device/events, a SOC flag through the verifier, the worker's
# Disconnect-Request to a real Dynamic Authorization Server and its "renew
# now" mark, the rejection that follows, a quarantine with the module's
# re-attest event, and an operator disconnect. Redis's ACL LOG and the
# components' logs must show no refusal. Then each user is refused what it
# must not do: the module and acme-rats-ctl writing posture or certificate
# records, the verifier touching certificate records, anyone FLUSHALL /
# CONFIG / KEYS / SCAN; a username without a password is a configuration
# error; a wrong password is refused and the daemon says so, without any
# password in any log.
set -u
# shellcheck source=tests/helper/lab.sh
. "${AR_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/helper/lab.sh"
# shellcheck source=tests/e2e/lab8021x.sh
. "$top_src/tests/e2e/lab8021x.sh"	# site_ca_extra (worker + NAS), site_radius

users="acme-rats-ca acme-rats-verifier rlm_acme_rats acme-rats-ctl"
dev=SUB-0042
serial=

# The ACL file as an operator renders it: one password file per user, its
# SHA-256 in place of the placeholder (docs/operations.md, "Redis users").
# The lab adds an administrator of its own to look at Redis's side.
acl_render() {
	local u h
	cp "$top_src/redis/users.acl" "$work/users.acl"
	for u in $users; do
		(umask 077 && openssl rand -hex 24 >"$work/redis-$u.pass")
		h=$(head -n1 "$work/redis-$u.pass" | tr -d '\r\n' | sha256sum | cut -d' ' -f1)
		sed -i "s/#@sha256:$u@/#$h/" "$work/users.acl"
	done
	admin_pass=$(openssl rand -hex 24)
	echo "user lab-admin on >$admin_pass ~* &* +@all" >>"$work/users.acl"
}

# as USER|lab-admin REDIS-COMMAND...: redis-cli as that user (the password
# through the environment, never on a command line).
as() {
	local u=$1 pw
	shift
	if [ "$u" = lab-admin ]; then pw=$admin_pass; else pw=$(cat "$work/redis-$u.pass"); fi
	REDISCLI_AUTH=$pw redis-cli -p "$redis_port" --user "$u" "$@" 2>&1
}

# redis_conf USER: the [redis] lines of a daemon logging in as USER.
redis_conf() {
	printf 'username = %s\npassword_file = %s\n' "$1" "$work/redis-$1.pass"
}

ctl_run() {
	"$ctl" -c "$work/ctl.conf" "$@" >"$work/out" 2>"$work/err"
}

# acct STATUS SESSION: one Accounting-Request for the device from
# ap-substation-7 with the Class the module hands out; 0 when answered.
acct() {
	printf 'Acct-Status-Type = %s\nUser-Name = "%s"\nNAS-IP-Address = 127.0.0.1\nNAS-Identifier = "ap-substation-7"\nAcct-Session-Id = "%s"\nClass = "acme-rats:%s:%s"\n' \
		"$1" "$dev" "$2" "$dev" "$serial" >"$work/acct.txt"
	radclient -r 1 -t 5 -f "$work/acct.txt" "127.0.0.1:$acct_port" acct "$site_secret" \
		>"$work/radclient.out" 2>&1 && grep -q 'Received Accounting-Response' "$work/radclient.out"
}

# eap SESSION: one EAP-TLS authentication with the helper's certificate from
# NAS ap-substation-7 (known to the worker's [nas] table); exit status of
# eapol_test (0: Access-Accept).
eap() {
	cat >"$work/eapol.conf" <<CONF
network={
	key_mgmt=WPA-EAP
	eap=TLS
	identity="$dev"
	ca_cert="$work/ca/ca.crt"
	client_cert="$dev_state/live/cert.pem"
	private_key="$dev_state/live/key.pem"
	eapol_flags=0
}
CONF
	eapol_test -c "$work/eapol.conf" -a 127.0.0.1 -p "$auth_port" -s "$site_secret" -t 10 \
		-N32:s:ap-substation-7 "-N44:s:$1" >"$work/eapol.out" 2>&1
}

# The module's last decision line for the device.
last_decision() {
	grep "decision device=$dev" "$work/radius.log" | tail -n1
}

# --- the lab, every component as its own user ---------------------------------

acl_render
lab_redis --aclfile "$work/users.acl"
lab_logs="$lab_logs $work/das.log $work/radius.log"

reply=$(redis-cli -p "$redis_port" PING 2>&1)
if grep -q NOAUTH <<<"$reply"; then
	ok "the default user is off: a client that does not log in is refused (NOAUTH)"
else
	not_ok "the default user is off: a client that does not log in is refused (NOAUTH)" "$reply"
fi

# The verifier also takes SIEM alerts (alert index, alert ids) and writes the
# stream to syslog (its own consumer group) as acme-rats-verifier.
(umask 077 && openssl rand -hex 24 >"$work/alert.token")
cat >"$work/alert-rules.json" <<'JSON'
{"alert_id": ["id"], "device": [{"path": "host", "by": "hostname"}, {"path": "device", "by": "device"}],
 "reason": ["why"], "verdict": {"value": "warning"}}
JSON
MKVERIFIER_EXTRA=$(printf '[alert_source "acl"]\nauth = bearer\nsecret_file = %s\nrules = %s\n[syslog]\nenabled = yes\npath = %s\n' \
	"$work/alert.token" "$work/alert-rules.json" "$work/no-syslog.sock") \
MKVERIFIER_REDIS_EXTRA=$(redis_conf acme-rats-verifier) lab_verifier

site_ca_extra >"$work/ca-extra.conf"	# [events] worker + [nas "ap-substation-7"]
"$top_src/tests/fixtures/mkdas" "$work/das" "$das_port" "$(cat "$work/das.secret")" ||
	bail "tests/fixtures/mkdas failed"
lab_bg "$work/das.log" freeradius -X -d "$work/das"
wait_for 100 grep -q 'Ready to process requests' "$work/das.log" || bail "the DAS did not start"

MKCA_REDIS_EXTRA=$(redis_conf acme-rats-ca) LAB_CA_EXTRA=$work/ca-extra.conf lab_ca \
	"identifiers = permanent-identifier
attest = any os_patch_level
lifetime = 1h"
wait_for 50 grep -q 'event=noc.started' "$work/ca.log" || bail "the NOC event worker did not start"

# The module in freeradius, as rlm_acme_rats (redis { username password_file }).
site_radius MKRADDB_REDIS_USERNAME=rlm_acme_rats \
	MKRADDB_REDIS_PASSWORD_FILE="$work/redis-rlm_acme_rats.pass"

lab_ctl_conf "$work/ctl.conf" "$(redis_conf acme-rats-ctl)"

# --- the loop ---------------------------------------------------------------------

# Enrollment: verifier (posture, event) and CA (account, order, authorization,
# nonce, certificate, posture and certificate records) each with its own user.
device_tree "$work/device" 3
helper_conf "$work/helper.conf" "$dev_state"
if "$helper" enroll -c "$work/helper.conf" >"$work/out" 2>"$work/err" && pair_matches "$dev_state"
then
	ok "attested enrollment (passport): verifier and CA with their own users"
	serial=$(live_serial "$dev_state")
else
	not_ok "attested enrollment (passport): verifier and CA with their own users" \
		"$(tail -n3 "$work/err")"
fi

# Admission: the module reads posture and certificate, records the session.
if eap acl-1 && last_decision | grep -q 'outcome=accept' && ! last_decision | grep -q degraded
then
	ok "EAP-TLS admitted: the module read posture and certificate as rlm_acme_rats (not degraded)"
else
	not_ok "EAP-TLS admitted: the module read posture and certificate as rlm_acme_rats" \
		"$(last_decision)" "$(tail -n2 "$work/eapol.out")"
fi

# Accounting: the module's other write paths (the Class it handed out).
if acct Interim-Update acl-2 && ctl_run --json device "$dev" &&
   grep -q '"acct_session_id": "acl-1"' "$work/out" &&
   grep -q '"acct_session_id": "acl-2"' "$work/out" &&
   grep -q "\"serial\": \"0*$serial\"" "$work/out" && grep -q '"status": "affirming"' "$work/out"
then
	ok "acme-rats-ctl device: posture, certificate and both sessions (post-auth, accounting)"
else
	not_ok "acme-rats-ctl device: posture, certificate and both sessions (post-auth, accounting)" \
		"$(cat "$work/out" "$work/err" "$work/radclient.out" | tail -n 12)"
fi
if acct Stop acl-2 && ctl_run --json device "$dev" && ! grep -q '"acl-2"' "$work/out" &&
   grep -q '"acl-1"' "$work/out"; then
	ok "Accounting-Stop: the module removes that session"
else
	not_ok "Accounting-Stop: the module removes that session" "$(cat "$work/radclient.out")"
fi
ctl_run devices
check "acme-rats-ctl devices lists the device as acme-rats-ctl" grep -q "^$dev " "$work/out"

# The SOC's flag through the verifier; the worker consumes it: Disconnect-ACK
# from the DAS for the session, the session gone, the certificate "renew now".
ctl_run flag "$dev" contraindicated --reason "acl test"
flag_rc=$?
worker_done() {
	ctl_run --json device "$dev" &&
		grep -q '"renew_now": true' "$work/out" && ! grep -q acct_session_id "$work/out"
}
if [ "$flag_rc" -eq 0 ] && wait_for 100 worker_done &&
   grep -q "event=noc.disconnect device=$dev session=acl-1 .*result=ack" "$work/ca.log"; then
	ok "SOC flag through the verifier; the worker disconnects the session and marks renew-now"
else
	not_ok "SOC flag through the verifier; the worker disconnects the session and marks renew-now" \
		"flag exit $flag_rc" "$(cat "$work/err" "$work/out" | tail -n 12)"
fi

if ! eap acl-3 && last_decision | grep -q 'outcome=reject' && ! last_decision | grep -q degraded
then
	ok "the flagged device is rejected: the module read the verdict as rlm_acme_rats"
else
	not_ok "the flagged device is rejected: the module read the verdict as rlm_acme_rats" \
		"$(last_decision)"
fi

# A warning verdict: the module quarantines and announces a re-attestation
# (its event write), which the worker handles.
ctl_run flag "$dev" warning --reason "acl test, quarantine"
if eap acl-4 && last_decision | grep -q 'outcome=quarantine' && ! last_decision | grep -q degraded &&
   wait_for 50 grep -q "event=noc.handled .*type=reattest device=$dev" "$work/ca.log"; then
	ok "quarantine: the module's re-attest event reaches the worker"
else
	not_ok "quarantine: the module's re-attest event reaches the worker" "$(last_decision)"
fi

# A SIEM alert for the device, as acme-rats-verifier: the index lookup, the
# alert id claimed once, the verdict; its syslog writer reads its group.
alert_post() {
	curl -s --cacert "$work/v/ca.crt" -H "Authorization: Bearer $(cat "$work/alert.token")" \
		-H 'Content-Type: application/json' --data-binary \
		"{\"id\": \"acl-alert-1\", \"host\": \"no-such-host\", \"device\": \"$dev\", \"why\": \"acl\"}" \
		"$vurl/soc/alerts?source=acl" >"$work/out" 2>"$work/err"
}
syslog_group_reads() {
	as lab-admin XINFO GROUPS acmerats:events | grep -qx syslog
}
if alert_post && grep -q "\"device\":\"$dev\"" "$work/out" && grep -q '"duplicate":false' "$work/out" &&
   alert_post && grep -q '"duplicate":true' "$work/out" &&
   wait_for 50 syslog_group_reads
then
	ok "a SIEM alert flags the device once, and the syslog writer reads its group, as acme-rats-verifier"
else
	not_ok "a SIEM alert flags the device once, and the syslog writer reads its group, as acme-rats-verifier" \
		"$(cat "$work/out" "$work/err" | tail -n 4)"
fi

ctl_run disconnect "$dev" --reason "acl test"
disc_rc=$?
ctl_run events --count 50
if [ "$disc_rc" -eq 0 ] && grep -q 'contraindicated' "$work/out" && grep -q 'reattest' "$work/out" &&
   wait_for 50 grep -q "event=noc.disconnect device=$dev session=acl-4 .*result=ack" "$work/ca.log"
then
	ok "acme-rats-ctl disconnect and events; the worker disconnects the quarantined session"
else
	not_ok "acme-rats-ctl disconnect and events; the worker disconnects the quarantined session" \
		"$(cat "$work/out" "$work/err" | tail -n 8)"
fi

# TPM: a second verifier on the same Redis, as acme-rats-verifier, with the
# laptop's TPM (swtpm, EK certificate from its local CA) trusted and PCR 16
# quoted (no boot chain to judge): the AK enrolled (credential activation),
# then a quote with a key certification appraised - the registry written,
# read and its clock record advanced. (The first verifier stays without
# [tpm]: with it, software evidence is at most warning.)
tdir=$work/tpm
lab_swtpm "$tdir"
tcti=$swtpm_tcti
echo 'quote_pcrs 16' >"$work/tpm-policy.conf"
tvport=$(free_port) || bail "no free port"
MKVERIFIER_VERIFIER_EXTRA="tpm_policy = $work/tpm-policy.conf" \
MKVERIFIER_EXTRA=$(printf '[tpm]\nek_roots = %s\nek_intermediates = %s\n' \
	"$tdir/ca/swtpm-localca-rootca-cert.pem" "$tdir/ca/issuercert.pem") \
MKVERIFIER_REDIS_EXTRA=$(redis_conf acme-rats-verifier) \
	"$top_src/tests/fixtures/mkverifier" "$work/vt" "$tvport" "$redis_port" >/dev/null 2>&1 ||
	bail "tests/fixtures/mkverifier failed"
lab_bg "$work/verifier-tpm.log" "${lab_launch[@]}" "$top_build/verifier/acme-rats-verifier" \
	-c "$work/vt/verifier.conf"
wait_tcp "$tvport" 50 || bail "the TPM verifier did not start"
sed -e "s|^\\[device\\]\$|[device]\\ntpm_tcti = $tcti|" -e "s|^url = .*|url = https://127.0.0.1:$tvport|" \
	-e "s|^ca_bundle = $work/v/ca.crt|ca_bundle = $work/vt/ca.crt|" "$work/helper.conf" >"$work/tpm.conf"
"$helper" tpm-enroll -c "$work/tpm.conf" --state-dir "$dev_state" >"$work/out" 2>"$work/err"
enroll_rc=$?
"$helper" attest --verifier "https://127.0.0.1:$tvport" --ca-bundle "$work/vt/ca.crt" \
	--device-id "$dev" --tpm "$tcti" --tpm-pcrs 0x10000 --boot-log "$work/none" \
	--ima-list "$work/none" --output "$work/tpm.ear" >"$work/out" 2>>"$work/err"
attest_rc=$?
if [ "$enroll_rc" -eq 0 ] && [ "$attest_rc" -le 1 ] && [ -s "$work/tpm.ear" ] &&
   grep -q "event=appraisal device=$dev .*evidence=tpm" "$work/verifier-tpm.log" &&
   [ "$(as lab-admin EXISTS "acmerats:tpm:{dev:$dev}:ak")" = 1 ]; then
	ok "TPM: the AK enrolled and a quote appraised, the registry kept as acme-rats-verifier"
else
	not_ok "TPM: the AK enrolled and a quote appraised, the registry kept as acme-rats-verifier" \
		"tpm-enroll exit $enroll_rc, attest exit $attest_rc: $(tail -n 3 "$work/err")"
fi

pending=$(as lab-admin XPENDING acmerats:events noc | head -n1)
check "the consumer group has nothing pending (every event acknowledged)" [ "$pending" = 0 ]

# Nothing any component did was refused: Redis's own record, then the logs.
acl_log=$(as lab-admin ACL LOG)
if [ -z "$acl_log" ]; then
	ok "Redis's ACL LOG is empty: no command of any component was refused"
else
	not_ok "Redis's ACL LOG is empty: no command of any component was refused" \
		"$(tr '\n' ' ' <<<"$acl_log" | cut -c1-400)"
fi
if ! grep -l 'NOPERM\|NOAUTH\|WRONGPASS' "$work"/*.log "$work/err" >"$work/noperm" 2>/dev/null
then
	ok "no NOPERM, NOAUTH or WRONGPASS in the verifier's, CA's, module's or ctl's output"
else
	not_ok "no NOPERM, NOAUTH or WRONGPASS in the verifier's, CA's, module's or ctl's output" \
		"$(cat "$work/noperm")"
fi

# --- least privilege: what each user must not do -------------------------------

# refused USER COMMAND...: Redis answers NOPERM.
refused() {
	as "$@" | grep -q '^NOPERM'
}
posture="acmerats:{dev:$dev}:posture"
# A device's certificates: one hash, a field per certificate (lib/store_cert.c).
cert="acmerats:{dev:$dev}:c"
field=$(as lab-admin HKEYS "$cert" | head -n1)
[ -n "$field" ] || bail "no certificate record for $dev"
for u in rlm_acme_rats acme-rats-ctl; do
	if refused "$u" HSET "$posture" st affirming && refused "$u" HSET "$cert" "$field" 1 &&
	   refused "$u" DEL "$cert" && refused "$u" HSET "acmerats:{dev:$dev}:cert:aa:01" x 1 &&
	   refused "$u" HSET "acmerats:{dev:$dev}:certs" x 1; then
		ok "$u cannot write a posture or certificate record (NOPERM)"
	else
		not_ok "$u cannot write a posture or certificate record (NOPERM)" \
			"$(as "$u" HSET "$posture" st affirming)"
	fi
done
if refused acme-rats-verifier HSET "$cert" "$field" 1 && refused acme-rats-verifier DEL "$cert" &&
   refused acme-rats-verifier HGETALL "$cert" && refused acme-rats-verifier GET acmerats:eab:x; then
	ok "acme-rats-verifier cannot touch certificate or ACME records (NOPERM)"
else
	not_ok "acme-rats-verifier cannot touch certificate or ACME records (NOPERM)" \
		"$(as acme-rats-verifier HSET "$cert" "$field" 1)"
fi
ak="acmerats:tpm:{dev:$dev}:ak"
if refused rlm_acme_rats SET "$ak" x && refused acme-rats-ctl SET "$ak" x &&
   refused acme-rats-ca SET "$ak" x && refused acme-rats-ca GET "$ak" &&
   refused rlm_acme_rats GET "$ak"; then
	ok "only the verifier reads or writes the TPM registry (NOPERM for the module, ctl, CA)"
else
	not_ok "only the verifier reads or writes the TPM registry (NOPERM for the module, ctl, CA)" \
		"$(as acme-rats-ctl SET "$ak" x)"
fi
if [ "$(as lab-admin HGET "$posture" st)" = warning ] &&
   [ "$(as lab-admin HGET "$cert" "$field" | cut -d' ' -f3)" = 1 ]; then
	ok "the refused writes changed nothing (posture warning, certificate renew-now)"
else
	not_ok "the refused writes changed nothing" "$(as lab-admin HGETALL "$posture")"
fi

# The identity and the SOC's verdict: only the CA binds identities, only the
# verifier's SOC API writes verdicts, only the NOC's tool forgets an identity.
identity="acmerats:{dev:$dev}:identity"
verdict="acmerats:{dev:$dev}:verdict"
if [ "$(as lab-admin HGET "$identity" jkt | wc -c)" -gt 40 ] &&
   refused rlm_acme_rats HSET "$identity" jkt x && refused acme-rats-verifier HSET "$identity" jkt x &&
   refused acme-rats-verifier DEL "$identity" && refused acme-rats-ctl HSET "$identity" jkt x; then
	ok "the enrolment bound $dev's identity; the module, verifier and ctl cannot write it (NOPERM)"
else
	not_ok "the enrolment bound $dev's identity; the module, verifier and ctl cannot write it" \
		"$(as lab-admin HGETALL "$identity" | tr '\n' ' ' | cut -c1-200)"
fi
if refused acme-rats-ca HSET "$verdict" status affirming && refused acme-rats-ca DEL "$verdict" &&
   refused rlm_acme_rats HSET "$verdict" status affirming && refused rlm_acme_rats DEL "$verdict" &&
   refused acme-rats-ctl DEL "$verdict" && refused acme-rats-ctl DEL acmerats:events &&
   refused acme-rats-ctl SREM acmerats:devices "$dev"; then
	ok "nobody but the verifier writes a verdict; ctl deletes no stream or set beyond identities (NOPERM)"
else
	not_ok "nobody but the verifier writes a verdict; ctl deletes no stream or set beyond identities" \
		"$(as acme-rats-ca HSET "$verdict" status affirming)"
fi
akname=$(as lab-admin KEYS 'acmerats:tpm:akname:*')
if [ -n "$akname" ] && ctl_run reenrol "$dev" --reason "acl test: laptop replaced" &&
   [ "$(as lab-admin EXISTS "$identity")" = 0 ] && [ "$(as lab-admin EXISTS "$ak")" = 0 ] &&
   [ "$(as lab-admin EXISTS "$akname")" = 0 ] && grep -q 'TPM enrolment forgotten' "$work/out"; then
	ok "acme-rats-ctl reenrol forgets the identity and the TPM enrolment as acme-rats-ctl"
else
	not_ok "acme-rats-ctl reenrol forgets the identity and the TPM enrolment as acme-rats-ctl" \
		"$(cat "$work/err")"
fi

admin_ok=1
admin_detail=
for u in $users; do
	for c in FLUSHALL FLUSHDB "CONFIG GET maxmemory" "KEYS *" "SCAN 0" "ACL LIST" \
		 "PUBLISH acmerats x" "SCRIPT FLUSH" "GET otherapp:secret"; do
		read -ra words <<<"$c"	# (no globbing of the *)
		if ! refused "$u" "${words[@]}"; then
			admin_ok=0
			admin_detail="$admin_detail $u:$c;"
		fi
	done
done
if [ "$admin_ok" -eq 1 ] && [ "$(as lab-admin DBSIZE)" -gt 0 ]; then
	ok "no component user may FLUSHALL/FLUSHDB, CONFIG, KEYS, SCAN, ACL, PUBLISH, SCRIPT or read outside acmerats:"
else
	not_ok "no component user may FLUSHALL/FLUSHDB, CONFIG, KEYS, SCAN, ACL, PUBLISH, SCRIPT or read outside acmerats:" \
		"allowed:$admin_detail"
fi
# (redis-cli prints the log flat: a field name, then its value, one a line)
as lab-admin ACL LOG 200 | grep -A1 -x username | grep -v -x -- 'username\|--' | sort -u \
	>"$work/denied"
if [ "$(tr '\n' ' ' <"$work/denied")" = "acme-rats-ca acme-rats-ctl acme-rats-verifier rlm_acme_rats " ]
then
	ok "Redis's ACL LOG names each of the four users for the refusals"
else
	not_ok "Redis's ACL LOG names each of the four users for the refusals" "$(cat "$work/denied")"
fi

# --- configuration mistakes, refused before anything connects -------------------

# bad_module SED MESSAGE: freeradius -XC refuses the module's changed settings.
bad_module() {
	rm -rf "$work/raddb-bad"
	cp -a "$work/raddb" "$work/raddb-bad"
	sed -i "$1" "$work/raddb-bad/mods-available/acme_rats"
	! freeradius -XC -d "$work/raddb-bad" >"$work/xc.log" 2>&1 && grep -q -- "$2" "$work/xc.log"
}
cp "$work/redis-rlm_acme_rats.pass" "$work/world.pass"
chmod 644 "$work/world.pass"
if bad_module '/password_file = /d' 'username "rlm_acme_rats" needs a password' &&
   bad_module 's|^\([[:space:]]*\)#password = .*|\1password = "x"|' \
	'set password or password_file, not both' &&
   bad_module "s|password_file = .*|password_file = $work/world.pass|" 'is readable by others'; then
	ok "the module refuses a username without password, password and password_file, a readable file"
else
	not_ok "the module refuses a username without password, password and password_file, a readable file" \
		"$(grep -i 'redis' "$work/xc.log" | tail -n 3)"
fi
grep -v '^password_file' "$work/ctl.conf" >"$work/nopass.conf"
"$ctl" -c "$work/nopass.conf" devices >"$work/out" 2>"$work/err"
rc=$?
if [ "$rc" -eq 1 ] && grep -q 'username acme-rats-ctl needs password_file' "$work/err"; then
	ok "a daemon's [redis] username without password_file is a configuration error"
else
	not_ok "a daemon's [redis] username without password_file is a configuration error" \
		"exit $rc" "$(cat "$work/err")"
fi

# --- wrong passwords ------------------------------------------------------------

reply=$(REDISCLI_AUTH=wrong-password redis-cli -p "$redis_port" --user acme-rats-ca PING 2>&1)
check "a wrong password is refused (WRONGPASS)" grep -q WRONGPASS <<<"$reply"

(umask 077 && echo not-the-password >"$work/wrong.pass")
sed "s|^password_file = .*|password_file = $work/wrong.pass|" "$work/ctl.conf" >"$work/wrong.conf"
"$ctl" -c "$work/wrong.conf" devices >"$work/out" 2>"$work/err"
rc=$?
if [ "$rc" -eq 1 ] && grep -q 'AUTH: redis 127.0.0.1:[0-9]*: WRONGPASS' "$work/err" &&
   ! grep -q not-the-password "$work/err"; then
	ok "acme-rats-ctl with a wrong password exits 1 naming AUTH and WRONGPASS, not the password"
else
	not_ok "acme-rats-ctl with a wrong password exits 1 naming AUTH and WRONGPASS" \
		"exit $rc" "$(cat "$work/err")"
fi

# A password changed on Redis's side only (a rotation half done): the
# daemon's next connection is refused, and it says so.
rotate() {
	as lab-admin ACL SETUSER "$1" resetpass ">$(openssl rand -hex 24)" >/dev/null
	as lab-admin CLIENT KILL USER "$1" >/dev/null
}
rotate acme-rats-verifier
ctl_run flag "$dev" affirming --reason "acl test, wrong password"
flag_rc=$?
if [ "$flag_rc" -eq 1 ] && grep -q 'answered 503' "$work/err" &&
   wait_for 20 grep -q 'event=soc\.[a-z_]* .*AUTH: redis .*WRONGPASS' "$work/verifier.log"; then
	ok "the verifier refused by Redis answers 503 and logs AUTH ... WRONGPASS"
else
	not_ok "the verifier refused by Redis answers 503 and logs AUTH ... WRONGPASS" \
		"flag exit $flag_rc" "$(tail -n3 "$work/verifier.log")"
fi

# The CA: an internal error for the ACME client (no Redis details in it),
# the cause in the CA's log. (Any well-formed certID makes ARI ask Redis.)
rotate acme-rats-ca
ri=$(curl -sf --cacert "$work/ca/ca.crt" "https://127.0.0.1:$cport/directory" |
	sed -n 's/.*"renewalInfo": *"\([^"]*\)".*/\1/p')
curl -s --cacert "$work/ca/ca.crt" -o "$work/out" -w '%{http_code}' "$ri/AAAA.AAAA" >"$work/err"
if [ "$(cat "$work/err")" = 500 ] && grep -q 'serverInternal' "$work/out" &&
   ! grep -qi 'redis\|WRONGPASS' "$work/out" &&
   grep -q 'event=acme.internal_error error="AUTH: redis .*WRONGPASS' "$work/ca.log"; then
	ok "the CA refused by Redis answers 500 serverInternal (no Redis details) and logs the cause"
else
	not_ok "the CA refused by Redis answers 500 serverInternal (no Redis details) and logs the cause" \
		"HTTP $(cat "$work/err")" "$(cat "$work/out")"
fi

leaked=
for u in $users; do
	grep -rqF -- "$(cat "$work/redis-$u.pass")" "$work"/*.log "$work/out" "$work/err" \
		"$work/eapol.out" && leaked="$leaked $u"
done
grep -qF -- "$admin_pass" "$work"/*.log && leaked="$leaked lab-admin"
if [ -z "$leaked" ]; then
	ok "no Redis password appears in any log or output"
else
	not_ok "no Redis password appears in any log or output" "leaked:$leaked"
fi

lab_done
