#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Integration test (TAP): the certificate's key is the TPM-certified key.
# A software TPM (swtpm, manufactured with an EK certificate by its local
# CA) is the device's; acme-rats-helper enrols its AK with the verifier
# (tpm-enroll), then, with [device] key_store = tpm-certified, orders a
# certificate: the key at the persistent handle is TPM2_Certify'd by the AK
# and quoted (TPM evidence), the verifier's EAR binds that key (cnf.jkt,
# storage-opaque affirming), the CSR is signed inside the TPM through the
# tpm2 OpenSSL provider (handle:0x81010020), and acme-rats-ca issues for
# that key. No private key is ever written to disk: the key is a child of
# the SRK (0x81000001), and live/key.tss2.pem is its TPM-wrapped form. A
# key an earlier version made as a primary at the handle keeps working.
# Real redis-server, verifier, CA, swtpm.
set -u
# shellcheck source=tests/helper/lab.sh
. "$(dirname "$0")/lab.sh"

command -v tpm2_readpublic >/dev/null || bail "tpm2_readpublic not installed (scripts/setup)"
[ -n "$(find /usr/lib -name 'tpm2.so' -path '*ossl-modules*' 2>/dev/null | head -n 1)" ] ||
	bail "the tpm2 OpenSSL provider is not installed (tpm2-openssl, scripts/setup)"

# The TPM, manufactured with an EK certificate from a local CA (tests/lab/lab.sh).
tdir=$work/tpm
lab_swtpm "$tdir"
tcti=$swtpm_tcti
export TPM2TOOLS_TCTI=$tcti

# The verifier: TPM reference values (PCR 16 quoted, no boot chain to judge)
# and the swtpm local CA as the EK root.
# shellcheck disable=SC2119 # lab_redis: no extra redis-server arguments
lab_redis
lab_tpm_verifier "$tdir"
lab_ca "identifiers = permanent-identifier
attest = any
lifetime = 1h"
device_tree "$work/device" 3

helper_conf "$work/t.conf" "$work/state"
sed -i 's/^attest = any os_patch_level$/attest = any/' "$work/t.conf"

# The account (EAB) makes the account key SUB-0042's identity, which signs the AK's
# enrolment. Its software evidence alone is at most warning: no certificate.
"$helper" enroll -c "$work/t.conf" >"$work/out" 2>"$work/err"
rc=$?
if [ "$rc" -ne 0 ] && [ ! -e "$work/state/live" ] &&
   grep -q 'event=account.created .*eab=kid-substation-1' "$work/ca.log" &&
   grep -q 'software evidence: at most warning' "$work/verifier.log"; then
	ok "software evidence only: the account is made, the order refused (at most warning)"
else
	not_ok "software evidence only: the account is made, the order refused (at most warning)" \
		"exit $rc"
fi
sed -i "s|^\\[device\\]\$|[device]\\ntpm_tcti = $tcti|" "$work/t.conf"
if "$helper" tpm-enroll -c "$work/t.conf" --state-dir "$work/state" >"$work/out" 2>"$work/err"
then
	ok "tpm-enroll: the TPM's AK is enrolled for SUB-0042"
else
	not_ok "tpm-enroll: the TPM's AK is enrolled for SUB-0042" "exit $?"
fi

sed -i "s|^\\[device\\]\$|[device]\\nkey_store = tpm-certified\\ntpm_pcrs = 0x10000\\ntpm_boot_log = $work/none\\ntpm_ima_list = $work/none|" \
	"$work/t.conf"
# Configuration errors: the background-check model; a handle outside the persistent range.
sed 's/^\[device\]$/[device]\nmodel = background-check/' "$work/t.conf" >"$work/bad1.conf"
sed 's/^\[device\]$/[device]\ntpm_key_handle = 0x80000001/' "$work/t.conf" >"$work/bad2.conf"
if ! "$helper" enroll -c "$work/bad1.conf" >"$work/out" 2>"$work/err" &&
   grep -q 'key_store = tpm-certified takes model = passport' "$work/err" &&
   ! "$helper" enroll -c "$work/bad2.conf" >"$work/out" 2>"$work/err" &&
   grep -q 'tpm_key_handle: "0x80000001" is not a number in 0x81000000..0x81ffffff' "$work/err"
then
	ok "tpm-certified: background-check and a non-persistent handle are configuration errors"
else
	not_ok "tpm-certified: background-check and a non-persistent handle are configuration errors" \
		"$(tail -n1 "$work/err")"
fi

"$helper" enroll -c "$work/t.conf" -v >"$work/out" 2>"$work/err"
rc=$?
tpm2_readpublic -c 0x81010020 -f pem -o "$work/tpmkey.pub.pem" >/dev/null 2>&1
tpm_pub=$(openssl pkey -pubin -in "$work/tpmkey.pub.pem" -pubout 2>/dev/null)
cert_pub=$(openssl x509 -in "$work/state/live/cert.pem" -noout -pubkey 2>/dev/null)
if [ "$rc" -eq 0 ] && [ -n "$tpm_pub" ] && [ "$tpm_pub" = "$cert_pub" ] &&
   [ "$(readlink "$work/state/live")" = gen-1 ]; then
	ok "key_store = tpm-certified: the certificate is issued for the key at 0x81010020"
else
	not_ok "key_store = tpm-certified: the certificate is issued for the key at 0x81010020" \
		"exit $rc"
fi
if grep -q 'event=appraisal device=SUB-0042 status=affirming tv=".* st=2 .*evidence=tpm' \
	"$work/verifier.log"; then
	ok "the verifier appraised TPM evidence: the key is certified (storage-opaque 2)"
else
	not_ok "the verifier appraised TPM evidence: the key is certified (storage-opaque 2)"
fi
if ! grep -q 'PRIVATE KEY' "$work/state/live/key.pem" &&
   grep -q '^# key_uri = handle:0x81010020$' "$work/state/live/key.pem" &&
   [ "$(openssl pkey -pubin -in "$work/state/live/key.pem" -pubout 2>/dev/null)" = "$tpm_pub" ]
then
	ok "live/key.pem holds the key's handle and public key, no private key"
else
	not_ok "live/key.pem holds the key's handle and public key, no private key"
fi
# A renewal: the same key at the handle, certified again, a new certificate for it.
"$helper" renew --force -c "$work/t.conf" >"$work/out" 2>"$work/err"
rc=$?
cert_pub=$(openssl x509 -in "$work/state/live/cert.pem" -noout -pubkey 2>/dev/null)
if [ "$rc" -eq 0 ] && [ "$(readlink "$work/state/live")" = gen-2 ] && [ -n "$tpm_pub" ] &&
   [ "$tpm_pub" = "$cert_pub" ] &&
   [ "$(grep -c 'event=appraisal device=SUB-0042 status=affirming .*evidence=tpm' \
	"$work/verifier.log")" -eq 2 ]; then
	ok "renew: the key at the handle is certified and quoted again, and certified by the CA"
else
	not_ok "renew: the key at the handle is certified and quoted again, and certified by the CA" \
		"exit $rc"
fi
if [ "$(openssl asn1parse -in "$work/state/live/key.tss2.pem" 2>/dev/null |
	awk '/ INTEGER /{ sub(/.*:/, ""); print; exit }')" = 81000001 ] &&
   [ "$(stat -c %a "$work/state/live/key.tss2.pem")" = 600 ] &&
   cmp -s "$work/state/live/key.tss2.pem" "$work/state/tpm-key.tss2.pem"; then
	ok "live/key.tss2.pem: the key's TSS2 key file under the SRK at 0x81000001 (0600)"
else
	not_ok "live/key.tss2.pem: the key's TSS2 key file under the SRK at 0x81000001 (0600)"
fi
# A device whose key an earlier version made as a primary at the handle: ACME
# keeps working, without a TSS2 key file (said once).
if ! tpm2_evictcontrol -C o -c 0x81010020 >/dev/null 2>&1 ||
   ! tpm2_createprimary -C o -G ecc256:ecdsa-sha256 -a \
	'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|sign' -c "$work/old.ctx" \
	>/dev/null 2>&1 ||
   ! tpm2_evictcontrol -C o -c "$work/old.ctx" 0x81010020 >/dev/null 2>&1; then
	bail "cannot make a primary key at 0x81010020"
fi
tpm2_flushcontext -t >/dev/null 2>&1
old_pub=$(tpm2_readpublic -c 0x81010020 -f pem -o "$work/old.pub.pem" >/dev/null 2>&1 &&
	openssl pkey -pubin -in "$work/old.pub.pem" -pubout 2>/dev/null)
"$helper" renew --force -c "$work/t.conf" >"$work/out" 2>"$work/err"
rc=$?
cert_pub=$(openssl x509 -in "$work/state/live/cert.pem" -noout -pubkey 2>/dev/null)
if [ "$rc" -eq 0 ] && [ -n "$old_pub" ] && [ "$old_pub" = "$cert_pub" ] &&
   [ ! -e "$work/state/live/key.tss2.pem" ] &&
   [ "$(grep -c 'event=tpm.key_not_wrapped handle=0x81010020' "$work/err")" -eq 1 ]; then
	ok "a primary key at the handle (earlier version): renewed for it, no TSS2 key file, said once"
else
	not_ok "a primary key at the handle (earlier version): renewed for it, no TSS2 key file" \
		"exit $rc" "$(tail -n 2 "$work/err")"
fi
finish
