#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Integration test (TAP): the supplicant signs EAP-TLS with the TPM key the
# AK certified, through Debian 12's own packages.
#
# A software TPM (swtpm, with an EK certificate from its local CA) behind
# tpm2-abrmd on a private D-Bus session bus (tpm2_ptool needs a resource
# manager). acme-rats-helper enrols the TPM's AK with acme-rats-verifier,
# then, with [device] key_store = tpm-certified, has the TPM make the CSR
# key as a child of the SRK at 0x81000001 (persistent at 0x81010020,
# TSS2 key file live/key.tss2.pem), gets it certified by the AK, quoted and
# issued by acme-rats-ca; its post_renew hook, acme-rats-tpm-pkcs11-link,
# links the key into a tpm2-pkcs11 token. eapol_test then authenticates to
# freeradius with rlm_acme_rats with private_key="pkcs11:..." through
# libengine-pkcs11-openssl: Access-Accept, the module's decision accept.
# The same eapol_test fails once the SRK is evicted (the key is the TPM's,
# no copy elsewhere). A new key (the old one evicted) on renewal: the hook
# relinks, the token holds only the new key, and the supplicant is
# accepted with the new certificate.
# Real redis-server, verifier, CA, swtpm, tpm2-abrmd, dbus-daemon,
# freeradius, eapol_test, tpm2_ptool.
set -u
# shellcheck source=tests/helper/lab.sh
. "${AR_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/helper/lab.sh"
link=$top_src/helper/acme-rats-tpm-pkcs11-link

for tool in tpm2_readpublic tpm2_evictcontrol tpm2_getcap tpm2-abrmd dbus-daemon tpm2_ptool \
	eapol_test freeradius; do
	command -v "$tool" >/dev/null || bail "$tool not installed (scripts/setup)"
done
engine=$(find /usr/lib -path '*engines-3/pkcs11.so' 2>/dev/null | head -n 1)
module=$(find /usr/lib -path '*pkcs11/libtpm2_pkcs11.so' 2>/dev/null | head -n 1)
[ -n "$engine" ] || bail "the PKCS#11 engine is not installed (libengine-pkcs11-openssl)"
[ -n "$module" ] || bail "tpm2-pkcs11 is not installed (libtpm2-pkcs11-1)"

# The TPM, manufactured with an EK certificate from a local CA.
tdir=$work/tpm
lab_swtpm "$tdir"

# The resource manager on a bus of this test's own.
export DBUS_SESSION_BUS_ADDRESS=unix:path=$work/dbus.sock
lab_bg "$work/dbus.log" dbus-daemon --config-file=/usr/share/dbus-1/session.conf --nofork \
	--address="$DBUS_SESSION_BUS_ADDRESS"
wait_for 50 test -S "$work/dbus.sock" || bail "dbus-daemon did not start"
lab_bg "$work/abrmd.log" tpm2-abrmd --allow-root --session \
	--tcti="$swtpm_tcti"
tcti=tabrmd:bus_type=session
export TPM2TOOLS_TCTI=$tcti TPM2_PKCS11_TCTI=$tcti
wait_for 50 tpm2_getcap properties-fixed >/dev/null 2>&1 || bail "tpm2-abrmd did not start"
# A clean TPM2_Shutdown before swtpm stops (an unclean stop counts as a DA
# failure), through the resource manager, which holds swtpm's one connection.
# shellcheck disable=SC2317 # called by the EXIT trap
stop_tpm() {
	tpm2_shutdown -c >/dev/null 2>&1
	swtpm_ioctl --tcp "127.0.0.1:$((tport + 1))" -s >/dev/null 2>&1
	lab_cleanup
}
trap stop_tpm EXIT

# The verifier (PCR 16 quoted, the swtpm local CA as the EK root), the CA.
# shellcheck disable=SC2119 # lab_redis: no extra redis-server arguments
lab_redis
lab_tpm_verifier "$tdir"
lab_ca "identifiers = permanent-identifier
attest = any
lifetime = 1h"
device_tree "$work/device" 3

# freeradius with the module, trusting the CA's issuer.
auth_port=$(free_port) || bail "no free port"
acct_port=$(free_port) || bail "no free port"
"$top_src/tests/fixtures/mkraddb" "$work/raddb" "$top_src" "$top_build/rlm_acme_rats/.libs" \
	"$auth_port" "$acct_port" "$redis_port" "$work/ca" >/dev/null || bail "mkraddb failed"
lab_bg "$work/radius.log" freeradius -X -d "$work/raddb"
wait_for 100 grep -q 'Ready to process requests' "$work/radius.log" || bail "freeradius did not start"

# The device: TPM-certified key, its post_renew hook links it into the token.
echo 1234 >"$work/user.pin"
echo 87654321 >"$work/so.pin"
chmod 600 "$work/user.pin" "$work/so.pin"
mkdir -m 700 "$work/p11"
helper_conf "$work/t.conf" "$work/state" "[hooks]
post_renew = $link --store $work/p11 --userpin-file $work/user.pin --sopin-file $work/so.pin"
sed -i -e 's/^attest = any os_patch_level$/attest = any/' \
	-e "s|^\\[device\\]\$|[device]\\ntpm_tcti = $tcti|" "$work/t.conf"
# The account (EAB) makes the account key SUB-0042's identity, which signs
# the AK's enrolment; its software evidence alone gets no certificate.
"$helper" enroll -c "$work/t.conf" >"$work/out" 2>"$work/err" &&
	bail "a certificate for software evidence only"
"$helper" tpm-enroll -c "$work/t.conf" --state-dir "$work/state" >"$work/out" 2>"$work/err" ||
	bail "tpm-enroll failed: $(tail -n 2 "$work/err")"
sed -i "s|^\\[device\\]\$|[device]\\nkey_store = tpm-certified\\ntpm_pcrs = 0x10000\\ntpm_boot_log = $work/none\\ntpm_ima_list = $work/none|" \
	"$work/t.conf"

# tpm_pub HANDLE: the public key (PEM) of the TPM's persistent key at HANDLE.
tpm_pub() {
	tpm2_readpublic -c "$1" -f pem -o "$work/pub.pem" >/dev/null 2>&1 &&
		openssl pkey -pubin -in "$work/pub.pem" -pubout 2>/dev/null
}
cert_pub() {
	openssl x509 -in "$work/state/live/cert.pem" -noout -pubkey 2>/dev/null
}
# The token's private key objects labelled client, as CKA_ID values.
token_keys() {
	TPM2_PKCS11_STORE=$work/p11 tpm2_ptool listobjects --label=eap 2>/dev/null | awk '
	/^- CKA_CLASS:/ { priv = ($3 == "CKO_PRIVATE_KEY") }
	/^  - / && priv { id = $2 }
	/^  CKA_LABEL: client$/ && priv { print id }'
}
# eap: one EAP-TLS authentication of SUB-0042 with the live certificate and
# the token's key; eapol_test's exit status (0: Access-Accept).
eap() {
	cat >"$work/eapol.conf" <<CONF
pkcs11_engine_path=$engine
pkcs11_module_path=$module
network={
	key_mgmt=WPA-EAP
	eap=TLS
	identity="SUB-0042"
	ca_cert="$work/ca/ca.crt"
	client_cert="$work/state/live/cert.pem"
	private_key="pkcs11:token=eap;object=client;type=private"
	pin="1234"
	eapol_flags=0
}
CONF
	TPM2_PKCS11_STORE=$work/p11 eapol_test -c "$work/eapol.conf" -a 127.0.0.1 -p "$auth_port" \
		-s testing123 -t 10 >"$work/eapol.out" 2>&1
}
ms_since() {
	echo $((($(date +%s%N) - $1) / 1000000))
}
decisions() {
	grep -c 'decision device=SUB-0042 .*outcome=accept' "$work/radius.log"
}
lab_logs="$lab_logs $work/eapol.out $work/helper.log"

# --- the key: a child of the SRK, certified, linked --------------------------
t0=$(date +%s%N)
"$helper" enroll -c "$work/t.conf" -v >"$work/out" 2>"$work/helper.log"
rc=$?
key_pub=$(tpm_pub 0x81010020)
attrs=$(tpm2_readpublic -c 0x81010020 2>/dev/null | awk '/^attributes:/ { f = 1; next } f { print $2; exit }')
parent=$(openssl asn1parse -in "$work/state/live/key.tss2.pem" 2>/dev/null |
	awk '/ INTEGER /{ sub(/.*:/, ""); print; exit }')
if [ "$rc" -eq 0 ] && [ -n "$key_pub" ] && [ "$key_pub" = "$(cert_pub)" ] &&
   [ "$parent" = 81000001 ] && tpm2_readpublic -c 0x81000001 >/dev/null 2>&1 &&
   [ "$(stat -c %a "$work/state/live/key.tss2.pem")" = 600 ] &&
   grep -q 'event=appraisal device=SUB-0042 status=affirming .*evidence=tpm' "$work/verifier.log"
then
	ok "the certificate is for the AK-certified TPM key at 0x81010020, a child of the SRK at 0x81000001 ($(ms_since "$t0") ms)"
else
	not_ok "the certificate is for the AK-certified TPM key, a child of the SRK" "exit $rc" \
		"parent=$parent" "$(tail -n 3 "$work/helper.log")"
fi
if grep -q 'sign' <<<"$attrs" && ! grep -q 'restricted' <<<"$attrs" &&
   grep -q 'fixedtpm' <<<"$attrs" && grep -q 'fixedparent' <<<"$attrs"; then
	ok "the key is an ordinary signing key that never leaves the TPM ($attrs)"
else
	not_ok "the key is an ordinary signing key that never leaves the TPM" "$attrs"
fi
first=$(token_keys)
if [ "$(wc -w <<<"$first")" -eq 1 ] && grep -q 'linked .* into token eap as client' "$work/helper.log"
then
	ok "the post_renew hook linked the key into the tpm2-pkcs11 token eap"
else
	not_ok "the post_renew hook linked the key into the tpm2-pkcs11 token eap" "objects: $first" \
		"$(grep -i 'hook\|pkcs11' "$work/helper.log" | tail -n 3)"
fi

# Run again (as every renewal with the same key does): nothing to do.
if "$link" --store "$work/p11" --key "$work/state/live/key.tss2.pem" \
	--userpin-file "$work/user.pin" >"$work/out" 2>&1 &&
   grep -q 'token eap already holds .* as client' "$work/out" && [ "$(token_keys)" = "$first" ]
then
	ok "acme-rats-tpm-pkcs11-link again with the same key: the token is left as it is"
else
	not_ok "acme-rats-tpm-pkcs11-link again with the same key: the token is left as it is" \
		"$(tail -n 3 "$work/out")"
fi

# --- EAP-TLS signed in the TPM -----------------------------------------------
t0=$(date +%s%N)
if eap && grep -q '^SUCCESS$' "$work/eapol.out" &&
   grep -q 'TLS: Using private key from engine' "$work/eapol.out" && [ "$(decisions)" -eq 1 ]; then
	ok "eapol_test signs with the TPM key through PKCS#11: Access-Accept, the module accepts SUB-0042 ($(ms_since "$t0") ms)"
else
	not_ok "eapol_test signs with the TPM key through PKCS#11: Access-Accept, module accept" \
		"$(grep -i 'error\|fail' "$work/eapol.out" | tail -n 3)"
fi

# --- without the TPM's SRK the same supplicant fails ---------------------------
tpm2_evictcontrol -C o -c 0x81000001 >/dev/null 2>&1 || bail "cannot evict the SRK"
if ! eap && ! grep -q '^SUCCESS$' "$work/eapol.out" && [ "$(decisions)" -eq 1 ]; then
	ok "the SRK evicted: the same eapol_test fails (the key exists only in the TPM)"
else
	not_ok "the SRK evicted: the same eapol_test fails" "$(tail -n 3 "$work/eapol.out")"
fi

# --- a new key: the hook relinks, the token holds the new key only ------------
tpm2_evictcontrol -C o -c 0x81010020 >/dev/null 2>&1 || bail "cannot evict the CSR key"
"$helper" renew --force -c "$work/t.conf" -v >"$work/out" 2>"$work/helper.log"
rc=$?
new_pub=$(tpm_pub 0x81010020)
second=$(token_keys)
if [ "$rc" -eq 0 ] && [ -n "$new_pub" ] && [ "$new_pub" != "$key_pub" ] &&
   [ "$new_pub" = "$(cert_pub)" ] && [ "$(wc -w <<<"$second")" -eq 1 ] &&
   [ "$second" != "$first" ] && grep -q 'event=tpm.srk_created' "$work/helper.log"; then
	ok "renewal with a new TPM key: the SRK made again, the hook relinks, the token holds only the new key"
else
	not_ok "renewal with a new TPM key: the hook relinks, the token holds only the new key" \
		"exit $rc" "objects: $first -> $second" "$(tail -n 3 "$work/helper.log")"
fi
if eap && grep -q '^SUCCESS$' "$work/eapol.out" && [ "$(decisions)" -eq 2 ]; then
	ok "eapol_test with the new certificate and the relinked key: Access-Accept, the module accepts"
else
	not_ok "eapol_test with the new certificate and the relinked key: Access-Accept" \
		"$(grep -i 'error\|fail' "$work/eapol.out" | tail -n 3)"
fi
finish
