#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The shipped raddb files: `freeradius -XC` loads rlm_acme_rats with them
# beside Debian's untouched eap module and sites, refuses bad module
# settings with a message naming the option, refuses an EAP-TLS
# configuration of its own eap instance that would not run the check in the
# handshake or would let a longer chain through (naming the instance) while
# leaving Debian's public-CA eap instance alone, and raddb/install-raddb
# edits none of FreeRADIUS's files and never clobbers a locally changed one.
set -u
top=${AR_TOP_SRCDIR:-.}
build=${AR_TOP_BUILDDIR:-.}
dir=$(mktemp -d "${TMPDIR:-/tmp}/acmerats-raddb.XXXXXX")
trap 'rm -rf "$dir"' EXIT INT TERM
n=0 failed=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }

echo "1..28"
"$top/tests/fixtures/mkca" "$dir/ca" 1 1 no >/dev/null 2>&1 || { echo "Bail out! mkca failed"; exit 1; }
mk() { "$top/tests/fixtures/mkraddb" "$dir/raddb" "$top" "$build/rlm_acme_rats/.libs" 1812 1813 6379 "$dir/ca"; }
check() { freeradius -XC -d "$dir/raddb" > "$dir/xc.log" 2>&1; }

mk
if check && grep -q 'Configuration appears to be OK' "$dir/xc.log" &&
	grep -q 'rlm_acme_rats (acme_rats): Initialising connection pool' "$dir/xc.log"; then
	ok "freeradius -XC loads rlm_acme_rats with the shipped configuration"
else
	not_ok "freeradius -XC loads rlm_acme_rats with the shipped configuration" "$(tail -20 "$dir/xc.log")"
fi

# A bad value for each validated option is refused, naming the option.
bad() { # description, sed expression, expected message
	mk
	sed -i "$2" "$dir/raddb/mods-available/acme_rats"
	if check; then
		not_ok "$1" "freeradius -XC accepted it"
	elif grep -q -- "$3" "$dir/xc.log"; then
		ok "$1"
	else
		not_ok "$1" "$(tail -5 "$dir/xc.log")"
	fi
}
bad "redis_unavailable must be fail_closed or certificate_only" \
	's/redis_unavailable = certificate_only/redis_unavailable = fail_open/' \
	'expected fail_closed or certificate_only'
bad "grace below fresh is refused" 's/grace = 43200/grace = 60/' 'grace (60) >= fresh'
bad "a missing issuer_certs file is refused" \
	's|issuer_certs = .*|issuer_certs = /nonexistent/issuer.pem|' 'issuer_certs'

# The module reads its own dictionary: raddb/dictionary stays Debian's. An
# older installation that $INCLUDEs it there keeps working; a dictionary
# setting that names no readable file is refused with the path.
mk
if ! grep -q 'dictionary.acme_rats' "$dir/raddb/dictionary" && check &&
	grep -q 'Configuration appears to be OK' "$dir/xc.log"; then
	ok "the module loads dictionary.acme_rats itself, raddb/dictionary untouched"
else
	not_ok "the module loads dictionary.acme_rats itself" "$(tail -5 "$dir/xc.log")"
fi
# shellcheck disable=SC2016 # FreeRADIUS's $INCLUDE, not a shell expansion
printf '\n$INCLUDE dictionary.acme_rats\n' >>"$dir/raddb/dictionary"
if check && grep -q 'Configuration appears to be OK' "$dir/xc.log"; then
	ok "a raddb/dictionary that already includes dictionary.acme_rats still loads"
else
	not_ok "a raddb/dictionary that already includes dictionary.acme_rats still loads" "$(tail -5 "$dir/xc.log")"
fi
mk
sed -i 's|^\(\tissuer_certs = .*\)$|\tdictionary = /nonexistent/dictionary.acme_rats\n\1|' \
	"$dir/raddb/mods-available/acme_rats"
if ! check && grep -q 'Unable to check file "/nonexistent/dictionary.acme_rats"' "$dir/xc.log"; then
	ok "a dictionary setting naming a missing file is refused"
else
	not_ok "a dictionary setting naming a missing file is refused" "$(tail -5 "$dir/xc.log")"
fi

# Debian's eap module stays as shipped (public CAs in ca_file, ca_path, no
# verify_depth, no virtual_server): not ours, the server starts. Even with
# Debian's accept-all check-eap-tls enabled for it and verify_depth = 2.
mk
if cmp -s /etc/freeradius/3.0/mods-available/eap "$dir/raddb/mods-available/eap" && check &&
	grep -q 'Configuration appears to be OK' "$dir/xc.log"; then
	ok "test_stock_eap_with_public_cas_does_not_stop_the_server"
else
	not_ok "test_stock_eap_with_public_cas_does_not_stop_the_server" "$(tail -5 "$dir/xc.log")"
fi
sed -i -e '/^\ttls-config tls-common {/a\
		verify_depth = 2' -e '/^\ttls {/a\
		virtual_server = check-eap-tls' "$dir/raddb/mods-available/eap"
ln -s ../sites-available/check-eap-tls "$dir/raddb/sites-enabled/check-eap-tls"
if grep -q 'verify_depth = 2' "$dir/raddb/mods-available/eap" && check &&
	grep -q 'Configuration appears to be OK' "$dir/xc.log"; then
	ok "Debian's eap with verify_depth = 2 and its check-eap-tls enabled is not judged"
else
	not_ok "Debian's eap with verify_depth = 2 and its check-eap-tls enabled is not judged" \
		"$(tail -5 "$dir/xc.log")"
fi
# ... but an eap instance a site that calls acme_rats uses is ours, whatever
# its name: the module called in Debian's default site (the old layout)
# makes Debian's eap judged.
mk
sed -i 's/^\tremove_reply_message_if_eap$/&\n\tacme_rats/' "$dir/raddb/sites-available/default"
if grep -q '^	acme_rats$' "$dir/raddb/sites-available/default" && ! check &&
	grep -q 'acme_rats: eap eap: EAP-TLS runs no virtual server during the handshake' "$dir/xc.log"; then
	ok "test_eap_instance_of_a_site_calling_acme_rats_without_the_check_refused"
else
	not_ok "test_eap_instance_of_a_site_calling_acme_rats_without_the_check_refused" "$(tail -5 "$dir/xc.log")"
fi

# Our eap instance (acme_rats_eap) must run the check and allow no chain
# longer than verify_depth = 1: refused otherwise, naming it.
ours=$dir/raddb/mods-available/acme_rats
mk
sed -i '/^\t\tvirtual_server = acme-rats-check-eap-tls$/d' "$ours"
if ! check && grep -q 'acme_rats: eap acme_rats_eap: EAP-TLS runs no virtual server during the handshake' "$dir/xc.log"; then
	ok "test_own_eap_instance_without_virtual_server_refused_with_its_name"
else
	not_ok "test_own_eap_instance_without_virtual_server_refused_with_its_name" "$(tail -5 "$dir/xc.log")"
fi
# ... nor one that names a server without the module (Debian's accept-all
# check-eap-tls).
mk
ln -s ../sites-available/check-eap-tls "$dir/raddb/sites-enabled/check-eap-tls"
sed -i 's/^\t\tvirtual_server = acme-rats-check-eap-tls$/\t\tvirtual_server = check-eap-tls/' "$ours"
if ! check && grep -q 'acme_rats: eap acme_rats_eap: virtual_server = check-eap-tls: no such server, or it does not call acme_rats' "$dir/xc.log"; then
	ok "test_own_eap_instance_checked_by_debians_accept_all_server_refused"
else
	not_ok "test_own_eap_instance_checked_by_debians_accept_all_server_refused" "$(tail -5 "$dir/xc.log")"
fi
mk
sed -i 's/^\t\tverify_depth = 1$/\t\tverify_depth = 2/' "$ours"
if grep -q 'verify_depth = 2' "$ours" && ! check &&
	grep -q 'acme_rats: eap acme_rats_eap: verify_depth = 2 allows a CA between' "$dir/xc.log"; then
	ok "test_own_eap_instance_with_verify_depth_2_refused_with_its_name"
else
	not_ok "test_own_eap_instance_with_verify_depth_2_refused_with_its_name" "$(tail -5 "$dir/xc.log")"
fi
mk
sed -i '/^\t\tverify_depth = 1$/d' "$ours"
if ! check && grep -q 'acme_rats: eap acme_rats_eap: verify_depth = (unset, unlimited) allows a CA between' "$dir/xc.log"; then
	ok "a tls-config without verify_depth = 1 is refused"
else
	not_ok "a tls-config without verify_depth = 1 is refused" "$(tail -5 "$dir/xc.log")"
fi
# Our eap instance offers EAP-TLS only: another method there (PEAP with a
# password user in the inner tunnel, TTLS, EAP-MD5 ...) would let the
# acme-rats site accept a login without a client certificate. Refused,
# naming the instance and the method; so is another default_eap_type.
method() { # method, its section body
	mk
	sed -i "s/^\ttls {\$/\t$1 {\n$2\n\t}\n&/" "$ours"
	if grep -q "^	$1 {" "$ours" && ! check &&
		grep -q "acme_rats: eap acme_rats_eap: method $1: the eap instance of the acme-rats site offers EAP-TLS only" "$dir/xc.log"; then
		ok "test_${1}_added_to_own_eap_instance_refused_naming_instance_and_method"
	else
		not_ok "test_${1}_added_to_own_eap_instance_refused_naming_instance_and_method" "$(tail -5 "$dir/xc.log")"
	fi
}
method peap '\t\ttls = tls-acme-rats\n\t\tvirtual_server = inner-tunnel'
method ttls '\t\ttls = tls-acme-rats\n\t\tvirtual_server = inner-tunnel'
method md5 ''
method mschapv2 ''
mk
sed -i -e 's/^\tdefault_eap_type = tls$/\tdefault_eap_type = md5/' -e 's/^\ttls {$/\tmd5 {\n\t}\n&/' "$ours"
if grep -q 'default_eap_type = md5' "$ours" && ! check &&
	grep -q 'acme_rats: eap acme_rats_eap: default_eap_type = md5: the eap instance of the acme-rats site offers EAP-TLS only' "$dir/xc.log"; then
	ok "test_own_eap_instance_defaulting_to_md5_refused_with_its_name"
else
	not_ok "test_own_eap_instance_defaulting_to_md5_refused_with_its_name" "$(tail -5 "$dir/xc.log")"
fi
# The module enabled without its site (the second link forgotten).
mk
rm "$dir/raddb/sites-enabled/acme-rats"
if ! check && grep -q 'acme_rats: no eap instance with EAP-TLS runs a virtual server that calls acme_rats, nor is called by one: enable sites-available/acme-rats' "$dir/xc.log"; then
	ok "the module without its site is refused, naming sites-available/acme-rats"
else
	not_ok "the module without its site is refused, naming sites-available/acme-rats" "$(tail -5 "$dir/xc.log")"
fi
# Certificates not made yet (docs/install.md, section 5): named, with what
# each is for.
mk
rm "$dir/raddb/certs/acme-rats/server.crt"
if ! check && grep -q "acme_rats: eap acme_rats_eap: certificate_file $dir/raddb/certs/acme-rats/server.crt (the RADIUS server's certificate): No such file or directory" "$dir/xc.log"; then
	ok "a missing server certificate is refused, named"
else
	not_ok "a missing server certificate is refused, named" "$(tail -5 "$dir/xc.log")"
fi

# A second root named like the ACME-RATS root (another key, RSA) in the EAP
# trust store could sign a copy of the issuing CA showing every depth-1
# field FreeRADIUS exports: the module refuses to start, naming the file
# and the certificate, whether it sits in ca_file or, hashed, in ca_path.
dup=$dir/dupname
mkdir -p "$dup/capath" "$dup/goodpath"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$dup/root.key" 2>/dev/null
openssl x509 -x509toreq -in "$dir/ca/ca.crt" -signkey "$dup/root.key" -out "$dup/root.csr" 2>/dev/null
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\nsubjectKeyIdentifier=hash\n' > "$dup/root.cnf"
openssl x509 -req -in "$dup/root.csr" -signkey "$dup/root.key" -days 2 -extfile "$dup/root.cnf" \
	-out "$dup/root.crt" 2>/dev/null
cp "$dup/root.crt" "$dup/capath/"
cp "$dir/ca/ca.crt" "$dup/goodpath/"
openssl rehash "$dup/capath" "$dup/goodpath" 2>/dev/null
root_name=$(openssl x509 -in "$dir/ca/ca.crt" -noout -subject -nameopt compat | sed 's/^subject=//')
samename() { # description, log
	if ! check && grep -q "ca_file\|ca_path" "$dir/xc.log" &&
		grep -q "certificate \"$root_name\" (serial .*) has the name of the ACME-RATS issuing CA's issuer but did not sign it" "$dir/xc.log"; then
		ok "$1"
	else
		not_ok "$1" "$(tail -5 "$dir/xc.log")"
	fi
}
[ -s "$dup/root.crt" ] && ls "$dup/capath"/*.0 >/dev/null 2>&1 || echo "Bail out! cannot make the same-named root"
MKRADDB_TRUST_EXTRA=$dup/root.crt mk
samename "test_same_named_second_root_in_ca_file_refused_at_start"
grep -q "ca_file $dir/raddb/certs/acme-rats/trust.pem: certificate" "$dir/xc.log" ||
	not_ok "the refusal names ca_file" "$(tail -3 "$dir/xc.log")"
MKRADDB_CA_PATH=$dup/capath mk
samename "test_same_named_second_root_in_ca_path_refused_at_start"
grep -q "ca_path $dup/capath/[0-9a-f]*\.0: certificate" "$dir/xc.log" ||
	not_ok "the refusal names the ca_path file" "$(tail -3 "$dir/xc.log")"
# The ACME-RATS root itself in ca_path (Debian's ca_path = \${cadir}) is fine.
MKRADDB_CA_PATH=$dup/goodpath mk
if check && grep -q 'Configuration appears to be OK' "$dir/xc.log"; then
	ok "the ACME-RATS root in ca_path is accepted"
else
	not_ok "the ACME-RATS root in ca_path is accepted" "$(tail -5 "$dir/xc.log")"
fi
# A copy of the issuing CA's name with another key (no root of that name needed).
openssl x509 -x509toreq -in "$dir/ca/issuer.crt" -signkey "$dup/root.key" -out "$dup/sub.csr" 2>/dev/null
openssl x509 -req -in "$dup/sub.csr" -signkey "$dup/root.key" -days 2 -extfile "$dup/root.cnf" \
	-out "$dup/sub.crt" 2>/dev/null
MKRADDB_TRUST_EXTRA=$dup/sub.crt mk
if ! check && grep -q "has the name of the ACME-RATS issuing CA but another key" "$dir/xc.log"; then
	ok "test_issuing_ca_name_with_another_key_in_ca_file_refused_at_start"
else
	not_ok "test_issuing_ca_name_with_another_key_in_ca_file_refused_at_start" "$(tail -5 "$dir/xc.log")"
fi

# On Debian's stock configuration, install-raddb adds its three files and
# changes nothing of FreeRADIUS's (its accept-all check-eap-tls included).
mkdir -p "$dir/stock"
cp -a /etc/freeradius/3.0/. "$dir/stock/"
"$top/raddb/install-raddb" "$dir/stock" > "$dir/stock.log"
(cd /etc/freeradius/3.0 && find . ! -type d | sort) >"$dir/stock.before"
(cd "$dir/stock" && find . ! -type d | sort) >"$dir/stock.after"
if diff -r -x acme_rats -x acme-rats -x dictionary.acme_rats /etc/freeradius/3.0 "$dir/stock" >"$dir/stock.diff" 2>&1 &&
	[ "$(comm -13 "$dir/stock.before" "$dir/stock.after" | tr '\n' ' ')" = \
		"./dictionary.acme_rats ./mods-available/acme_rats ./sites-available/acme-rats " ]; then
	ok "install-raddb adds its files and edits none of Debian's"
else
	not_ok "install-raddb adds its files and edits none of Debian's" "$(cat "$dir/stock.log" "$dir/stock.diff")" \
		"$(comm -13 "$dir/stock.before" "$dir/stock.after")"
fi

# install-raddb: new files installed; a local change kept, the new version beside it.
mkdir -p "$dir/etc"
printf 'ATTRIBUTE\tSite-Local\t3000\tstring\n' > "$dir/etc/dictionary"
"$top/raddb/install-raddb" "$dir/etc" > "$dir/install.log"
echo "# local change" >> "$dir/etc/mods-available/acme_rats"
"$top/raddb/install-raddb" "$dir/etc" > "$dir/install2.log"
if grep -q '# local change' "$dir/etc/mods-available/acme_rats" &&
	cmp -s "$top/raddb/mods-available/acme_rats" "$dir/etc/mods-available/acme_rats.acme-rats-new" &&
	grep -q 'has local changes' "$dir/install2.log"; then
	ok "install-raddb keeps a locally changed file and puts the new one beside it"
else
	not_ok "install-raddb keeps a locally changed file" "$(cat "$dir/install2.log")"
fi
if [ "$(cat "$dir/etc/dictionary")" = "$(printf 'ATTRIBUTE\tSite-Local\t3000\tstring')" ] &&
	cmp -s "$top/raddb/sites-available/acme-rats" "$dir/etc/sites-available/acme-rats"; then
	ok "install-raddb leaves raddb/dictionary alone"
else
	not_ok "install-raddb leaves raddb/dictionary alone" "$(cat "$dir/etc/dictionary")"
fi
exit $((failed > 0))
