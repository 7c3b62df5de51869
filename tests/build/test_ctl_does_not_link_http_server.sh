#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Test (TAP): acme-rats-ctl reads its configuration through common/daemon.c
# without the HTTP server, so it does not load libmicrohttpd: an operator's
# CLI carries no network server code. ldd through libtool sees the real
# binary, with the libraries it would load.
set -u

lab_name=links
# shellcheck source=tests/lab/lab.sh
. "${AR_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab/lab.sh"
libtool=$top_build/libtool
command -v ldd >/dev/null || bail "ldd is missing"
for p in tools/acme-rats-ctl ca/acme-rats-ca; do
	[ -x "$top_build/$p" ] || bail "$p is not built"
done

loads() {
	"$libtool" --mode=execute ldd "$top_build/$1" >"$work/ldd" 2>&1 ||
		bail "ldd $1 failed: $(head -n 3 "$work/ldd")"
	grep -q 'libmicrohttpd' "$work/ldd"
}

if loads tools/acme-rats-ctl; then
	not_ok "acme-rats-ctl does not load libmicrohttpd" "$(grep libmicrohttpd "$work/ldd")"
else
	ok "acme-rats-ctl does not load libmicrohttpd"
fi
# The same check sees libmicrohttpd where it belongs: it can fail.
if loads ca/acme-rats-ca; then
	ok "acme-rats-ca loads libmicrohttpd, so the check above can see it"
else
	not_ok "acme-rats-ca loads libmicrohttpd, so the check above can see it"
fi
lab_done
