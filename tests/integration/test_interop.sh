#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Interoperability (TAP): ACME clients nobody here wrote - certbot and lego
# from Debian - obtain certificates from acme-rats-ca for dns identifiers,
# over real HTTPS, with the CA validating http-01 against the clients' own
# standalone servers and dns-01 against a real DNS server
# (pebble-challtestsrv, which resolves every name to 127.0.0.1 and serves
# the TXT records lego's exec hook sets). Both with and without External
# Account Binding; both renew (a second order by the same account), certbot
# also revokes.
set -u
lab_name=interop
# shellcheck source=tests/lab/lab.sh
. "${AR_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab/lab.sh"

ca_bin=$top_build/ca/acme-rats-ca
for tool in certbot lego pebble-challtestsrv redis-server openssl curl; do
	command -v "$tool" >/dev/null || bail "$tool is missing: run scripts/setup"
done
[ -x "$ca_bin" ] || bail "acme-rats-ca is not built"

# shellcheck disable=SC2119 # no extra redis-server arguments
lab_redis
{ dns_port=$(free_port) && mgmt_port=$(free_port) && http_port=$(free_port); } || bail "no free port"
lab_bg "$work/challtestsrv.log" pebble-challtestsrv -dns01 "127.0.0.1:$dns_port" -http01 '' \
	-https01 '' -tlsalpn01 '' -management "127.0.0.1:$mgmt_port" -defaultIPv4 127.0.0.1 \
	-defaultIPv6 ''
wait_tcp "$mgmt_port" 50 || bail "pebble-challtestsrv did not start"

printf '[profile "web"]\nidentifiers = dns\nattest = none\nserver_auth = yes\nlifetime = 8h\n' \
	>"$work/web.conf"

# start_ca NAME EAB_REQUIRED: a CA in $work/NAME; sets $ca_url and $ca_dir.
start_ca() {
	local port
	port=$(free_port) || bail "no free port"
	ca_dir=$work/$1
	MKCA_EXTRA=$work/web.conf MKCA_DEFAULT_PROFILE=web \
	MKCA_ACME_EXTRA="http01_port = $http_port
dns_resolver = 127.0.0.1:$dns_port
validation_timeout = 5s" \
		"$top_src/tests/fixtures/mkca" "$ca_dir" "$port" "$redis_port" "$2" >/dev/null ||
		bail "mkca failed"
	lab_bg "$work/$1.log" "$ca_bin" -c "$ca_dir/ca.conf"
	wait_tcp "$port" 50 || bail "acme-rats-ca ($1) did not start"
	ca_url=https://127.0.0.1:$port/directory
}

# issued_for CERT NAME: the leaf names NAME, is a TLS server certificate and
# chains to the test root through the issuing CA.
issued_for() {
	local leaf=$work/leaf.pem
	openssl x509 -in "$1" -out "$leaf" 2>/dev/null &&
	openssl x509 -in "$leaf" -noout -checkhost "$2" | grep -q 'does match' &&
	openssl x509 -in "$leaf" -noout -ext extendedKeyUsage | grep -q 'TLS Web Server' &&
	openssl verify -CAfile "$ca_dir/ca.crt" -untrusted "$ca_dir/issuer.crt" "$leaf" >/dev/null
}

eab_hmac() {
	sed -n "s/.*\"$1\": {\"hmac\": \"\([^\"]*\)\".*/\1/p" "$ca_dir/eab.json"
}

# certbot with its state in $work/certbot-TAG.
certbot_run() {
	local tag=$1
	shift
	REQUESTS_CA_BUNDLE=$ca_dir/ca.crt timeout 90 certbot --non-interactive \
		--config-dir "$work/certbot-$tag/etc" --work-dir "$work/certbot-$tag/work" \
		--logs-dir "$work/certbot-$tag/logs" --server "$ca_url" "$@" \
		>"$work/certbot.out" 2>&1
}

certbot_certonly() {
	local tag=$1 name=$2
	shift 2
	certbot_run "$tag" certonly --standalone --agree-tos --register-unsafely-without-email \
		--http-01-address 127.0.0.1 --http-01-port "$http_port" -d "$name" "$@"
}

# lego_cmd TAG COMMAND [COMMAND OPTIONS] -- [GLOBAL OPTIONS]: lego with its state in
# $work/lego-TAG.
lego_cmd() {
	local tag=$1 cmd=$2 copts=()
	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do copts+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	LEGO_CA_CERTIFICATES=$ca_dir/ca.crt timeout 90 lego --server "$ca_url" --accept-tos \
		--email "noc@substation.example" --path "$work/lego-$tag" "$@" "$cmd" "${copts[@]}" \
		>"$work/lego.out" 2>&1
}

lego_run() {
	local tag=$1
	shift
	lego_cmd "$tag" run -- "$@"
}

serial_of() {
	openssl x509 -in "$1" -noout -serial 2>/dev/null
}

lab_logs="$lab_logs $work/certbot.out $work/lego.out"

# --- without External Account Binding ---------------------------------------
start_ca open no

name=www.substation-7.example
if certbot_certonly open "$name" &&
   issued_for "$work/certbot-open/etc/live/$name/fullchain.pem" "$name"; then
	ok "certbot: http-01, RSA key, certificate for $name"
else
	not_ok "certbot: http-01, RSA key, certificate for $name"
fi

if certbot_run open revoke --cert-path "$work/certbot-open/etc/live/$name/cert.pem" \
	--reason keycompromise --no-delete-after-revoke &&
   grep -q 'event=certificate.revoked' "$work/open.log"; then
	ok "certbot: revokeCert is accepted and logged"
else
	not_ok "certbot: revokeCert is accepted and logged"
fi

name=ecdsa.substation-7.example
if certbot_certonly open "$name" --key-type ecdsa &&
   issued_for "$work/certbot-open/etc/live/$name/fullchain.pem" "$name"; then
	ok "certbot: http-01, ECDSA key, same account"
else
	not_ok "certbot: http-01, ECDSA key, same account"
fi

name=lego.substation-7.example
if lego_run open --domains "$name" --http --http.port "127.0.0.1:$http_port" &&
   issued_for "$work/lego-open/certificates/$name.crt" "$name"; then
	ok "lego: http-01, P-256 key, certificate for $name"
else
	not_ok "lego: http-01, P-256 key, certificate for $name"
fi

# Renewal: a new order and finalize for the same name by the same account.
before=$(serial_of "$work/lego-open/certificates/$name.crt")
if lego_cmd open renew --days 100000 --no-random-sleep -- --domains "$name" --http \
	--http.port "127.0.0.1:$http_port" &&
   issued_for "$work/lego-open/certificates/$name.crt" "$name" &&
   [ -n "$before" ] && [ "$(serial_of "$work/lego-open/certificates/$name.crt")" != "$before" ]; then
	ok "lego: renew issues a new certificate for $name"
else
	not_ok "lego: renew issues a new certificate for $name"
fi

name=ecdsa.substation-7.example
before=$(serial_of "$work/certbot-open/etc/live/$name/cert.pem")
if certbot_run open renew --force-renewal --no-random-sleep-on-renew --cert-name "$name" \
	--standalone --http-01-address 127.0.0.1 --http-01-port "$http_port" &&
   issued_for "$work/certbot-open/etc/live/$name/fullchain.pem" "$name" &&
   [ -n "$before" ] && [ "$(serial_of "$work/certbot-open/etc/live/$name/cert.pem")" != "$before" ]
then
	ok "certbot: renew issues a new certificate for $name"
else
	not_ok "certbot: renew issues a new certificate for $name"
fi

# lego's exec provider: present/cleanup the TXT record on the test DNS server.
cat >"$work/txt-hook" <<HOOK
#!/bin/sh
case "\$1" in
present) path=set-txt; body="{\"host\":\"\$2\",\"value\":\"\$3\"}" ;;
cleanup) path=clear-txt; body="{\"host\":\"\$2\"}" ;;
*) exit 0 ;;
esac
exec curl -sf -X POST -d "\$body" "http://127.0.0.1:$mgmt_port/\$path"
HOOK
chmod +x "$work/txt-hook"
name=dns01.substation-7.example
if EXEC_PATH=$work/txt-hook EXEC_PROPAGATION_TIMEOUT=10 EXEC_POLLING_INTERVAL=1 \
   lego_run open --domains "$name" --dns exec --dns.disable-cp &&
   issued_for "$work/lego-open/certificates/$name.crt" "$name" &&
   grep -q "name=$name type=dns-01" "$work/open.log"; then
	ok "lego: dns-01 through the test DNS server"
else
	not_ok "lego: dns-01 through the test DNS server"
fi

# --- with External Account Binding required ---------------------------------
start_ca eab yes

name=eab.substation-7.example
if ! certbot_certonly noeab "$name" && grep -qi 'external account' "$work/certbot.out"; then
	ok "certbot without EAB is refused (externalAccountRequired)"
else
	not_ok "certbot without EAB is refused (externalAccountRequired)"
fi

if certbot_certonly eab "$name" --eab-kid kid-substation-1 \
	--eab-hmac-key="$(eab_hmac kid-substation-1)" &&
   issued_for "$work/certbot-eab/etc/live/$name/fullchain.pem" "$name" &&
   grep -q 'eab=kid-substation-1' "$work/eab.log"; then
	ok "certbot with EAB: account bound to kid-substation-1, certificate issued"
else
	not_ok "certbot with EAB: account bound to kid-substation-1, certificate issued"
fi

name=lego-eab.substation-7.example
if lego_run eab --eab --kid kid-substation-2 --hmac="$(eab_hmac kid-substation-2)" \
	--domains "$name" --http --http.port "127.0.0.1:$http_port" &&
   issued_for "$work/lego-eab/certificates/$name.crt" "$name"; then
	ok "lego with EAB: certificate issued"
else
	not_ok "lego with EAB: certificate issued"
fi

# An EAB key binds one account: a second account with kid-substation-2 is refused.
if ! lego_run eab2 --eab --kid kid-substation-2 --hmac="$(eab_hmac kid-substation-2)" \
	--domains "$name" --http --http.port "127.0.0.1:$http_port"; then
	ok "lego: a used EAB key cannot bind a second account"
else
	not_ok "lego: a used EAB key cannot bind a second account"
fi

lab_done
