#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Integration test (TAP): the device key in a TPM. A software TPM (swtpm)
# stands in for the chip; acme-rats-helper makes the key in it through the
# tpm2 OpenSSL provider, attests it as a TPM key, has acme-rats-ca certify
# it, and stores only the TPM's blob of it. Real redis-server, verifier, CA.
set -u
# shellcheck source=tests/helper/lab.sh
. "$(dirname "$0")/lab.sh"

command -v swtpm >/dev/null || bail "swtpm not installed (scripts/setup)"
[ -n "$(find /usr/lib -name 'tpm2.so' -path '*ossl-modules*' 2>/dev/null | head -n 1)" ] ||
	bail "the tpm2 OpenSSL provider is not installed (tpm2-openssl, scripts/setup)"

# The swtpm TCTI finds the control channel at the server port + 1.
for _ in 1 2 3 4 5; do
	tport=$(free_port) || bail "no free port"
	cport_tpm=$((tport + 1))
	(exec 3<>"/dev/tcp/127.0.0.1/$cport_tpm") 2>/dev/null || break
done
mkdir -p "$work/tpm"
lab_bg "$work/swtpm.log" swtpm socket --tpm2 --tpmstate "dir=$work/tpm" \
	--server "type=tcp,port=$tport,bindaddr=127.0.0.1" \
	--ctrl "type=tcp,port=$cport_tpm,bindaddr=127.0.0.1" --flags not-need-init,startup-clear
wait_tcp "$tport" 50 || bail "swtpm did not start"
export TPM2OPENSSL_TCTI="swtpm:host=127.0.0.1,port=$tport"

lab_start_all "identifiers = permanent-identifier
attest = any os_patch_level
lifetime = 1h"

helper_conf "$work/t.conf" "$work/state"
sed -i "s/^\\[device\\]\$/[device]\\nkey_store = tpm\\ntpm_tcti = $TPM2OPENSSL_TCTI/" "$work/t.conf"

# The public key in the TPM blob $1/live/key.pem is the certificate's.
tpm_pair_matches() {
	local a b
	a=$(openssl pkey -provider tpm2 -provider default -in "$1/live/key.pem" -pubout 2>/dev/null) ||
		return 1
	b=$(openssl x509 -in "$1/live/cert.pem" -noout -pubkey 2>/dev/null) || return 1
	[ -n "$a" ] && [ "$a" = "$b" ]
}

"$helper" enroll -c "$work/t.conf" -v >"$work/out" 2>"$work/err"
rc=$?
if [ "$rc" -eq 0 ] && grep -q 'BEGIN TSS2 PRIVATE KEY' "$work/state/live/key.pem" &&
   ! grep -q 'BEGIN PRIVATE KEY' "$work/state/live/key.pem" && tpm_pair_matches "$work/state"
then
	ok "enroll with key_store = tpm: the key is made in the TPM, only its blob is stored"
else
	not_ok "enroll with key_store = tpm: the key is made in the TPM, only its blob is stored" "exit $rc"
fi
# Declared, not proven (no TPM key attestation yet): no storage-opaque claim.
if grep -q 'event=attest.evidence key_storage=tpm non_exportable=yes' "$work/err" &&
   grep -q 'event=appraisal device=SUB-0042 status=affirming tv=".* st=0 ' "$work/verifier.log"
then
	ok "the evidence declares a non-exportable TPM key; affirming, but no storage-opaque claim"
else
	not_ok "the evidence declares a non-exportable TPM key; affirming, but no storage-opaque claim"
fi

# reuse_key: the blob is loaded back into the TPM and certified again.
k1=$(openssl pkey -provider tpm2 -provider default -in "$work/state/live/key.pem" -pubout 2>/dev/null)
sed -i 's/^\[device\]$/[device]\nreuse_key = yes/' "$work/t.conf"
"$helper" renew --force -c "$work/t.conf" >"$work/out" 2>"$work/err"
rc=$?
k2=$(openssl pkey -provider tpm2 -provider default -in "$work/state/live/key.pem" -pubout 2>/dev/null)
if [ "$rc" -eq 0 ] && [ -n "$k1" ] && [ "$k1" = "$k2" ] && tpm_pair_matches "$work/state" &&
   [ "$(readlink "$work/state/live")" = gen-2 ]; then
	ok "reuse_key with a TPM key: the stored blob is loaded into the TPM and certified again"
else
	not_ok "reuse_key with a TPM key: the stored blob is loaded into the TPM and certified again" "exit $rc"
fi
finish
