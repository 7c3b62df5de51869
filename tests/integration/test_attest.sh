#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Integration test (TAP): `acme-rats-helper attest` against a real
# acme-rats-verifier and redis-server on 127.0.0.1 ephemeral ports, with
# device trees generated here: healthy, aging, unpatched, and the failure
# paths (untrusted TLS certificate, verifier down, bad override, a verifier
# problem document). Everything started is stopped by PID, and the work
# directory removed, however the test ends.
set -u

lab_name=attest
# shellcheck source=tests/lab/lab.sh
. "${AR_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab/lab.sh"
helper=$top_build/helper/acme-rats-helper
verifier=$top_build/verifier/acme-rats-verifier
for tool in redis-server openssl curl base64; do
	command -v "$tool" >/dev/null || bail "$tool is missing: run scripts/setup"
done
{ [ -x "$helper" ] && [ -x "$verifier" ]; } || bail "acme-rats-helper and acme-rats-verifier are not built"
lab_logs="$lab_logs $work/out $work/err"

# --- the lab: redis-server and the verifier -------------------------------
# shellcheck disable=SC2119 # no extra redis-server arguments
lab_redis
lab_verifier
url=$vurl
ca=$work/v/ca.crt

for k in device account other; do
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/$k.key" \
		2>/dev/null || bail "openssl cannot make a key"
done

b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }

# enrol DEVICE KEYFILE: bind DEVICE to the P-256 key's public JWK in Redis, as
# the CA does when External Account Binding creates the device's account.
enrol() {
	local xy x y jwk jkt
	xy=$(openssl pkey -in "$2" -pubout -outform DER 2>/dev/null | tail -c 64 | xxd -p -c 64)
	x=$(printf '%s' "${xy:0:64}" | xxd -r -p | b64url)
	y=$(printf '%s' "${xy:64:64}" | xxd -r -p | b64url)
	jwk="{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"$x\",\"y\":\"$y\"}"
	jkt=$(printf '%s' "$jwk" | openssl dgst -sha256 -binary | b64url)
	redis-cli -p "$redis_port" HSET "acmerats:{dev:$1}:identity" jkt "$jkt" jwk "$jwk" \
		account "" eab_kid kid-test enrolled_at "$(date +%s)" >/dev/null ||
		bail "cannot enrol $1"
}
enrol SUB-0042 "$work/account.key"

# --- device trees ----------------------------------------------------------
# tree DIR DAYS: a Debian 12 device whose last upgrade was DAYS days ago.
tree() {
	local d=$1 end
	end=$(date -d "-$2 days" '+%Y-%m-%d  %H:%M:%S')
	mkdir -p "$d/etc" "$d/var/log/apt" "$d/proc/sys/kernel" "$d/proc/412" \
		"$d/sys/class/block/dm-0/dm" "$d/sys/firmware/efi/efivars"
	printf 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n' \
		>"$d/etc/os-release"
	echo 4f1c2a9d5e6b7a8c9d0e1f2a3b4c5d6e >"$d/etc/machine-id"
	echo inspector-7 >"$d/etc/hostname"
	echo 6.1.0-26-amd64 >"$d/proc/sys/kernel/osrelease"
	echo falcon-sensor >"$d/proc/412/comm"
	echo '/dev/mapper/root / ext4 rw,relatime 0 0' >"$d/proc/mounts"
	echo root >"$d/sys/class/block/dm-0/dm/name"
	echo CRYPT-LUKS2-0f1e2d3c4b5a69788796a5b4c3d2e1f0-root >"$d/sys/class/block/dm-0/dm/uuid"
	printf '\x06\x00\x00\x00\x01' \
		>"$d/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"
	printf '\nStart-Date: %s\nCommandline: apt-get -y upgrade\nUpgrade: libssl3:amd64 (3.0.15-1~deb12u1, 3.0.16-1~deb12u1)\nEnd-Date: %s\n' \
		"$end" "$end" >"$d/var/log/apt/history.log"
}
tree "$work/healthy" 3
tree "$work/aging" 70

# attest ARGS...: run the helper; exit status in $rc, output in out/err.
attest() {
	"$helper" attest --verifier "$url" --ca-bundle "$ca" --key "$work/device.key" \
		--account-key "$work/account.key" --device-id SUB-0042 --edr falcon-sensor "$@" \
		>"$work/out" 2>"$work/err"
	rc=$?
}

# Claims of the JWT in file $1, as JSON text.
claims() {
	local p
	p=$(cut -d. -f2 <"$1" | tr -- '-_' '+/' | tr -d '\n')
	case $((${#p} % 4)) in
	2) p="$p==" ;;
	3) p="$p=" ;;
	esac
	printf '%s' "$p" | base64 -d 2>/dev/null
}


# 1
attest --root "$work/healthy" --trust-jwks "$work/v/keys.jwks" --output "$work/ear.jwt"
if [ "$rc" -eq 0 ] && grep -q '^status      affirming' "$work/out" &&
   grep -q 'signature verified' "$work/out" && [ -s "$work/ear.jwt" ]; then
	ok "a healthy device gets an affirming, verified result (exit 0)"
else
	not_ok "a healthy device gets an affirming, verified result (exit 0)" "exit $rc"
fi

# 2
nonce=$(openssl rand 32 | base64 -w0 | tr '+/' '-_' | tr -d '=')
jkt_line=$(grep '^key ' "$work/out")
attest --root "$work/healthy" --nonce "$nonce" --output "$work/ear2.jwt"
c=$(claims "$work/ear2.jwt")
if [ "$rc" -eq 0 ] && grep -q "\"eat_nonce\":\"$nonce\"" <<<"$c" &&
   grep -q "\"jkt\":\"${jkt_line##* }\"" <<<"$c"; then
	ok "the result carries the nonce asked for and the key's thumbprint"
else
	not_ok "the result carries the nonce asked for and the key's thumbprint" "exit $rc" "$c"
fi

# 3
echo '{"patch": {"last_security_update": 1600000000}}' >"$work/unpatched.json"
attest --root "$work/healthy" --override "$work/unpatched.json" --trust-jwks "$work/v/keys.jwks" \
	--output "$work/ear3.jwt"
if [ "$rc" -eq 2 ] && grep -q '^status      contraindicated' "$work/out"; then
	ok "an unpatched device (override) is contraindicated (exit 2)"
else
	not_ok "an unpatched device (override) is contraindicated (exit 2)" "exit $rc"
fi

# 4
attest --root "$work/aging" --trust-jwks "$work/v/keys.jwks" --output "$work/ear4.jwt"
if [ "$rc" -eq 1 ] && grep -q '^status      warning' "$work/out"; then
	ok "a device 70 days after its last upgrade gets a warning (exit 1)"
else
	not_ok "a device 70 days after its last upgrade gets a warning (exit 1)" "exit $rc"
fi

# 5
attest --root "$work/healthy" --encrypt --trust-jwks "$work/v/keys.jwks"
if [ "$rc" -eq 0 ] && [ "$(cut -d. -f1 <"$work/out" | head -c 2)" = "ey" ] &&
   grep -q '^status      affirming' "$work/err"; then
	ok "evidence encrypted to the verifier's key is appraised; the EAR goes to stdout"
else
	not_ok "evidence encrypted to the verifier's key is appraised; the EAR goes to stdout" \
		"exit $rc"
fi

# 6
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
	-subj "/CN=other CA" -keyout "$work/other.key" -out "$work/other.crt" 2>/dev/null
"$helper" attest --verifier "$url" --ca-bundle "$work/other.crt" --key "$work/device.key" \
	--account-key "$work/account.key" --root "$work/healthy" >"$work/out" 2>"$work/err"
rc=$?
if [ "$rc" -eq 4 ] && [ ! -s "$work/out" ]; then
	ok "a verifier whose certificate the CA bundle does not vouch for is refused (exit 4)"
else
	not_ok "a verifier whose certificate the CA bundle does not vouch for is refused (exit 4)" \
		"exit $rc"
fi

# 7
dead=$(free_port)
"$helper" attest --verifier "https://127.0.0.1:$dead" --ca-bundle "$ca" \
	--key "$work/device.key" --account-key "$work/account.key" --root "$work/healthy" \
	--connect-timeout 2 \
	>"$work/out" 2>"$work/err"
rc=$?
if [ "$rc" -eq 4 ]; then
	ok "an unreachable verifier is exit 4"
else
	not_ok "an unreachable verifier is exit 4" "exit $rc"
fi

# 8
echo '{"edr": {"running": "maybe"}}' >"$work/bad.json"
attest --root "$work/healthy" --override "$work/bad.json"
if [ "$rc" -eq 3 ] && grep -q 'edr.running' "$work/err"; then
	ok "a malformed override file is a configuration error (exit 3)"
else
	not_ok "a malformed override file is a configuration error (exit 3)" "exit $rc"
fi

# 9
echo '{"nonce": "AAAAAAAAAAAAAAAAAAAAAA"}' >"$work/wrong-nonce.json"
attest --root "$work/healthy" --override "$work/wrong-nonce.json"
if [ "$rc" -eq 4 ] && grep -q 'nonce does not match' "$work/err"; then
	ok "the verifier's problem detail is shown (evidence for another nonce, exit 4)"
else
	not_ok "the verifier's problem detail is shown (evidence for another nonce, exit 4)" \
		"exit $rc"
fi

# 10
attest --root "$work/healthy" --account-key "$work/other.key"
if [ "$rc" -eq 4 ] && grep -q 'not by the key the device is enrolled with' "$work/err"; then
	ok "evidence signed by another key than the device's enrolled one is refused (exit 4)"
else
	not_ok "evidence signed by another key than the device's enrolled one is refused (exit 4)" \
		"exit $rc" "$(cat "$work/err")"
fi

# 11
attest --root "$work/healthy" --device-id SUB-0666 --encrypt
if [ "$rc" -eq 4 ] && grep -q 'SUB-0666 has no enrolled identity key' "$work/err" &&
   grep -q 'event=evidence.refused device=SUB-0666 reason=unenrolled' "$work/verifier.log"; then
	ok "evidence for a device with no enrolled identity is refused and logged (exit 4)"
else
	not_ok "evidence for a device with no enrolled identity is refused and logged (exit 4)" \
		"exit $rc" "$(cat "$work/err")"
fi

lab_done
