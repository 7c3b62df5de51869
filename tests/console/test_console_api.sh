#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The console's API without a browser (TAP), against a real redis-server,
# acme-rats-verifier and acme-rats-console: what a stolen page, a forged
# request or a user of the wrong role can and cannot do.
#
#   - no session: 401; a wrong password: 401; five wrong passwords lock the
#     user out (429), even with the right one next, and refused attempts under
#     other names do not push the lock-out out of the table; one user holds at
#     most 16 sessions (a new login ends the oldest);
#   - the session cookie is HttpOnly, Secure, SameSite=Strict; every answer
#     carries the Content-Security-Policy (no inline script) and refuses
#     framing; API JSON is never cached;
#   - a viewer cannot flag (403), a NOC user cannot flag, a SOC user cannot
#     disconnect - and the store shows nothing changed;
#   - a SOC action without the CSRF token, with a wrong one, from another
#     Origin or none, or from a forged Host with an Origin to match: 403,
#     nothing changed; a wildcard listener needs [console] origin; two
#     Origin lines (own first, another second) or two X-CSRF-Token lines: 403;
#   - a concurrent burst of 40 logins of one user (39 wrong, the right one
#     last) checks at most login_failures passwords;
#   - a session whose user is removed from the users file or given a new
#     password ends at its next request (401); a demoted user's session has
#     the new role at once;
#   - the SOC user flags: the verifier's verdict names the console user, the
#     console logs the user; the NOC user's disconnect is an event whose
#     source is the console user; the event stream (SSE) carries both;
#   - after logout the cookie is worthless.
set -u
lab_name=console-api
# shellcheck source=tests/lab/lab.sh
. "${AR_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab/lab.sh"
# shellcheck source=tests/console/console-lab.sh
. "$top_src/tests/console/console-lab.sh"

command -v curl >/dev/null || bail "curl is missing: run scripts/setup"
# shellcheck disable=SC2119 # no extra redis-server arguments
lab_redis
lab_verifier
console_up
lab_ctl_conf "$work/ctl.conf"

dev=SUB-0042
origin=$console_url

# req METHOD PATH [BODY [CURL ARGS...]]: status in $st, headers in $work/h, body in $work/b.
req() {
	local method=$1 path=$2 body=${3:-}
	shift 3 2>/dev/null || shift $#
	local data=()
	[ -n "$body" ] && data=(-H 'Content-Type: application/json' --data "$body")
	st=$(curl -s --cacert "$console_ca" -X "$method" -D "$work/h" -o "$work/b" \
		-w '%{http_code}' "${data[@]}" "$@" "$console_url$path")
}

# login USER PASSWORD [CURL ARGS...]: cookie jar $work/jar.USER, CSRF token in $csrf.
login() {
	req POST /api/login "{\"user\":\"$1\",\"password\":\"$2\"}" -H "Origin: $origin" \
		-c "$work/jar.$1" "${@:3}"
	csrf=$(sed -n 's/.*"csrf":"\([^"]*\)".*/\1/p' "$work/b")
}

# as USER METHOD PATH BODY [CURL ARGS...]: a request in USER's session, with its CSRF token and Origin.
as() {
	local u=$1
	shift
	req "$1" "$2" "${3:-}" -b "$work/jar.$u" -H "X-CSRF-Token: ${tok[$u]}" -H "Origin: $origin" \
		"${@:4}"
}

# batch_request PATH BODY [HEADER...]: one POST of a curl config file (stdout);
# batch FILE: its requests in one curl, over one kept-alive connection, each
# answer's status a line of $work/batch. (One curl per request spends the
# test's time in TLS handshakes and process starts, not in the console.)
batch_request() {
	local h
	printf 'url = "%s%s"\noutput = /dev/null\nwrite-out = "%%{http_code}\\n"\n' "$console_url" "$1"
	printf 'cacert = "%s"\nheader = "Origin: %s"\nheader = "Content-Type: application/json"\n' \
		"$console_ca" "$origin"
	for h in "${@:3}"; do printf 'header = "%s"\n' "$h"; done
	printf 'data = "%s"\nnext\n' "$2"
}
batch() { curl -s -K "$1" >"$work/batch"; }
cookie_of() { awk '!/^#/ || /^#HttpOnly_/ {if (NF >= 7) printf "%s=%s; ", $6, $7}' "$work/jar.$1"; }

verdict_of() { "$ctl" -c "$work/ctl.conf" --json device "$dev" 2>/dev/null |
	/usr/bin/python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["verdict"], separators=(",", ":")))'; }
events_json() { "$ctl" -c "$work/ctl.conf" --json events --count 50; }

# A device the store knows of: the SOC API records its posture.
"$ctl" -c "$work/ctl.conf" flag "$dev" affirming --reason seed >/dev/null ||
	bail "acme-rats-ctl flag cannot reach the verifier"

no() { ! "$@"; }

# --- no session, wrong password -------------------------------------
req GET /api/devices ""
check "no session: GET /api/devices is 401" [ "$st" = 401 ]
req GET /api/events ""
check "no session: the event stream is 401" [ "$st" = 401 ]
login soc1 "wrong-$console_pw"
check "a wrong password is refused (401)" [ "$st" = 401 ]
check "the refusal sets no cookie" no grep -qi '^set-cookie' "$work/h"
req POST /api/login "{\"user\":\"soc1\",\"password\":\"$console_pw\"}" -H "Origin: https://evil.example"
check "a login posted from another Origin is refused (403)" [ "$st" = 403 ]

# --- logins, cookie attributes, headers -----------------------------------------
declare -A tok
for u in soc1 noc1; do
	login "$u" "$console_pw"
	[ "$st" = 200 ] || bail "$u cannot log in ($st): $(cat "$work/b")"
	tok[$u]=$csrf
done
cookie=$(grep -i '^set-cookie:' "$work/h" | tr -d '\r')
check "the session cookie is HttpOnly" grep -q 'HttpOnly' <<<"$cookie"
check "the session cookie is Secure" grep -q 'Secure' <<<"$cookie"
check "the session cookie is SameSite=Strict" grep -q 'SameSite=Strict' <<<"$cookie"
check "the CSRF token is 43 characters" [ ${#csrf} = 43 ]
# A user added while the console runs.
echo "$console_pw" | "$ctl" --users "$work/console/users" console-user add viewer2 viewer >/dev/null
login viewer2 "$console_pw"
check "a user added while the console runs can log in" [ "$st" = 200 ]
tok[viewer2]=$csrf

req GET / ""
check "the page carries a Content-Security-Policy without inline script" \
	grep -qi "^content-security-policy: default-src 'none'; script-src 'self';" "$work/h"
check "the page refuses framing (X-Frame-Options: DENY)" grep -qi '^x-frame-options: DENY' "$work/h"
check "the page has no inline script" no grep -qi '<script>' "$work/b"
as soc1 GET /api/devices
check "a SOC user sees the devices (200)" [ "$st" = 200 ]
check "the device list names $dev" grep -q "\"device\":\"$dev\"" "$work/b"
check "API JSON is not cached (Cache-Control: no-store)" grep -qi '^cache-control: no-store' "$work/h"
check "API JSON carries the CSP too" grep -qi '^content-security-policy:' "$work/h"

# --- roles ----------------------------------------------------------------------
flag='{"status":"contraindicated","reason":"EDR alert 4711"}'
as viewer2 POST "/api/devices/$dev/verdict" "$flag"
check "a viewer cannot flag (403)" [ "$st" = 403 ]
as noc1 POST "/api/devices/$dev/verdict" "$flag"
check "a NOC user cannot flag (403)" [ "$st" = 403 ]
check "after both refusals the device has no verdict" [ "$(verdict_of)" = null ]
as viewer2 POST "/api/devices/$dev/disconnect" '{"reason":"x"}'
check "a viewer cannot disconnect (403)" [ "$st" = 403 ]
as soc1 POST "/api/devices/$dev/disconnect" '{"reason":"x"}'
check "a SOC user cannot disconnect (403)" [ "$st" = 403 ]
check "the refusals wrote no disconnect event" no grep -q '"source":"console/' <(events_json)
check "each refusal is logged with the user" grep -q 'event=console.denied user=soc1 role=soc action=disconnect' "$work/console.log"

# --- CSRF -----------------------------------------------------------------------
req POST "/api/devices/$dev/verdict" "$flag" -b "$work/jar.soc1" -H "Origin: $origin"
check "a SOC action without the CSRF token is refused (403)" [ "$st" = 403 ]
req POST "/api/devices/$dev/verdict" "$flag" -b "$work/jar.soc1" -H "Origin: $origin" \
	-H "X-CSRF-Token: ${tok[noc1]}"
check "a SOC action with another session's CSRF token is refused (403)" [ "$st" = 403 ]
req POST "/api/devices/$dev/verdict" "$flag" -b "$work/jar.soc1" -H "X-CSRF-Token: ${tok[soc1]}"
check "a SOC action without an Origin is refused (403)" [ "$st" = 403 ]
req POST "/api/devices/$dev/verdict" "$flag" -b "$work/jar.soc1" -H "X-CSRF-Token: ${tok[soc1]}" \
	-H "Origin: https://evil.example"
check "a SOC action from another Origin is refused (403)" [ "$st" = 403 ]
# The Host header is the sender's word: a forged one with an Origin to match
# it must not pass for the console's own origin.
# (the cookie by hand: curl matches its jar against the Host header)
soc1_cookie=$(awk '$6 == "ar_console" { print $7 }' "$work/jar.soc1")
req POST "/api/devices/$dev/verdict" "$flag" -H "Cookie: ar_console=$soc1_cookie" \
	-H "X-CSRF-Token: ${tok[soc1]}" -H "Host: evil.example" -H "Origin: https://evil.example"
check "a CSRF with a forged Host and an Origin to match it is refused (403)" [ "$st" = 403 ]
check "it is refused for its Origin, the session and token being good" \
	grep -q 'event=console.csrf_refused user=soc1 reason=origin' <(tail -n 3 "$work/console.log")
req POST /api/login "{\"user\":\"soc1\",\"password\":\"$console_pw\"}" \
	-H "Host: evil.example:$console_port" -H "Origin: https://evil.example:$console_port"
check "a login with a forged Host and an Origin to match it is refused (403)" [ "$st" = 403 ]
# Origin is not a list field (RFC 6454 7.1): the first of two must not pass for the whole.
req POST "/api/devices/$dev/verdict" "$flag" -b "$work/jar.soc1" -H "X-CSRF-Token: ${tok[soc1]}" \
	-H "Origin: $origin" -H "Origin: https://evil.example"
check "test_two_origin_lines_own_first_refused: a SOC action with two Origin lines is refused (403)" \
	[ "$st" = 403 ]
req POST /api/login "{\"user\":\"soc1\",\"password\":\"$console_pw\"}" -H "Origin: $origin" \
	-H "Origin: https://evil.example"
check "test_two_origin_lines_on_login_refused: a login with two Origin lines is refused (403)" \
	[ "$st" = 403 ]
req POST "/api/devices/$dev/verdict" "$flag" -b "$work/jar.soc1" -H "Origin: $origin" \
	-H "X-CSRF-Token: ${tok[soc1]}" -H "X-CSRF-Token: ${tok[noc1]}"
check "test_two_csrf_token_lines_refused: a SOC action with two X-CSRF-Token lines is refused (403)" \
	[ "$st" = 403 ]
check "after the forged requests the device has no verdict" [ "$(verdict_of)" = null ]
long=$(printf 'x%.0s' $(seq 1 141))
as soc1 POST "/api/devices/$dev/verdict" "{\"status\":\"warning\",\"reason\":\"$long\"}"
check "a reason over 140 characters is refused (400)" [ "$st" = 400 ]
as soc1 POST "/api/devices/$dev/verdict" '{"status":"warning","reason":"a\nb"}'
check "a reason with a control character is refused (400)" [ "$st" = 400 ]
as soc1 POST "/api/devices/$dev/verdict" '{"status":"revoked","reason":"x"}'
check "an unknown status is refused (400)" [ "$st" = 400 ]
check "after the refused requests the device has no verdict" [ "$(verdict_of)" = null ]

# --- the actions themselves -------------------------------------------------------
as soc1 POST "/api/devices/$dev/verdict" "$flag"
check "the SOC user flags $dev (200)" [ "$st" = 200 ]
flagged() {
	local v
	v=$(verdict_of)
	grep -q '"status":"contraindicated"' <<<"$v" &&
		grep -q '"reason":"EDR alert 4711 (console user soc1)"' <<<"$v"
}
check "the verdict is contraindicated and names the console user" flagged
check "the console logs the flag with the user" \
	grep -q "event=console.flag user=soc1 role=soc device=$dev status=contraindicated" "$work/console.log"
as noc1 POST "/api/devices/$dev/disconnect" '{"reason":"rogue session"}'
check "the NOC user requests a disconnect (202)" [ "$st" = 202 ]
check "the disconnect event's source is the console user" grep -q '"source":"console/noc1"' <(events_json)
check "the console logs the disconnect with the user" \
	grep -q "event=console.disconnect user=noc1 role=noc device=$dev" "$work/console.log"
as soc1 GET /api/events "" --max-time 10
check "the event stream is text/event-stream" grep -qi '^content-type: text/event-stream' "$work/h"
check "the event stream carries the flag" grep -q '"type":"soc_flag"' "$work/b"
check "the event stream carries the console's disconnect" grep -q '"source":"console/noc1"' "$work/b"
last=$(sed -n 's/^id: //p' "$work/b" | tail -1)
as soc1 GET /api/events "" --max-time 10 -H "Last-Event-ID: $last"
check "a reconnect with Last-Event-ID gets nothing old" no grep -q '^data: {"id"' "$work/b"
as soc1 POST "/api/devices/$dev/verdict" '{"status":"affirming","reason":"case closed"}'
cleared() { [ "$st" = 200 ] && [ "$(verdict_of)" = null ]; }
check "the SOC user clears $dev (200)" cleared

# --- a concurrent burst checks at most login_failures passwords ----------------------
# 40 logins of one user at once, each from its own address (the per-address
# limit is not what stops them), 39 wrong and the right one last: the lock
# must count the checks under way, not only the failures already settled.
echo "$console_pw" | "$ctl" --users "$work/console/users" console-user add burst1 soc >/dev/null
burst_pids=()
for i in $(seq 1 40); do
	pw="wrong-$i"
	[ "$i" = 40 ] && pw=$console_pw
	curl -s --cacert "$console_ca" --interface "127.0.0.$((100 + i))" -o /dev/null \
		-w '%{http_code}\n' -H "Origin: $origin" -H 'Content-Type: application/json' \
		--data "{\"user\":\"burst1\",\"password\":\"$pw\"}" "$console_url/api/login" \
		>"$work/burst.$i" &
	burst_pids+=($!)
done
wait "${burst_pids[@]}"	# not the lab's daemons
cat "$work/burst."* >"$work/burst"
checked=$(grep -c -v '^429$' "$work/burst")
logged=$(grep -c -E 'event=console.login result=(denied|ok) user=burst1 ' "$work/console.log")
echo "# burst: $checked answers other than 429, $logged password checks logged" \
	"($(sort "$work/burst" | uniq -c | tr -s ' \n' ' '))"
check "test_concurrent_login_burst_checks_at_most_login_failures: at most 5 answers are not 429" \
	[ "$checked" -le 5 ]
check "the console logs at most 5 password checks of the burst" [ "$logged" -le 5 ]
check "the burst's right password, sent last, does not log in" no grep -q '^200$' "$work/burst"
check "the burst was refused, not lost (40 answers, some 429)" \
	[ "$(grep -c -E '^(401|429)$' "$work/burst")" = 40 ]

# --- one user cannot fill the session table: the 17th login ends the first ---------
for i in $(seq 1 17); do
	req POST /api/login "{\"user\":\"viewer1\",\"password\":\"$console_pw\"}" \
		-H "Origin: $origin" -c "$work/jar.v$i"
	[ "$st" = 200 ] || break
done
check "17 logins of one user all succeed (no 503)" [ "$st" = 200 ]
req GET /api/me "" -b "$work/jar.v1"
check "the user's oldest session ended (401), 16 at the most" [ "$st" = 401 ]
req GET /api/me "" -b "$work/jar.v17"
check "the newest session works" [ "$st" = 200 ]

# --- lock-out: per user name and per client address (this address is spent too) ---
for _ in 1 2 3 4 5; do login viewer1 "guess-$RANDOM"; done
login viewer1 "$console_pw"
check "after 5 wrong passwords the right one is refused too (429)" [ "$st" = 429 ]
check "the lock-out is logged" grep -q 'event=console.login result=limited user=viewer1' \
	"$work/console.log"
still() { as noc1 GET /api/me "" && [ "$st" = 200 ]; }
check "a session opened before the lock-out still works" still
# Refused attempts under 600 other names (cheap: no scrypt) must not push the
# lock-out of the table.
for i in $(seq 1 600); do
	batch_request "/api/login" "{\\\"user\\\":\\\"junk$i\\\",\\\"password\\\":\\\"x\\\"}"
done >"$work/junk.curl"
batch "$work/junk.curl"
check "the 600 logins under other names were refused, none answered otherwise" \
	[ "$(grep -c -E '^(401|429)$' "$work/batch")" = 600 ]
login viewer1 "$console_pw"
check "600 refused logins under other names do not lift the lock-out (429)" [ "$st" = 429 ]

# --- the live stream misses nothing in a burst; a forged id holds no worker ---------
as soc1 GET /api/events "" --max-time 10
mark=$(sed -n 's/^id: //p' "$work/b" | tail -1)
"$ctl" -c "$work/ctl.conf" flag "$dev" warning --reason "burst marker" >/dev/null
for _ in $(seq 1 250); do
	batch_request "/api/devices/$dev/disconnect" '{\"reason\":\"burst\"}' \
		"Cookie: $(cookie_of noc1)" "X-CSRF-Token: ${tok[noc1]}"
done >"$work/disconnects.curl"
batch "$work/disconnects.curl"
check "250 disconnects requested through the console (each 202)" \
	[ "$(grep -c '^202$' "$work/batch")" = 250 ]
as soc1 GET /api/events "" --max-time 10 -H "Last-Event-ID: $mark"
check "250 events after it, the stream still delivers the one after Last-Event-ID first" \
	grep -q 'burst marker' "$work/b"
t0=$(date +%s%3N)
as soc1 GET /api/events "" --max-time 10 -H "Last-Event-ID: 99999999999999-0"
quick() { [ $(($(date +%s%3N) - t0)) -lt 2000 ] && grep -q '^id: ' "$work/b"; }
check "a Last-Event-ID from the future is answered at once, from the newest events" quick

# --- no origin to derive: a wildcard listener without [console] origin ----------------
sed -e 's/^listen = 127.0.0.1$/listen = 0.0.0.0/' "$work/console/console.conf" >"$work/wild.conf"
no_origin() {
	! "$top_build/console/acme-rats-console" -c "$work/wild.conf" --check-config \
		>"$work/wild.out" 2>&1 &&
		grep -q 'origin is required when \[server\] listen is a wildcard' "$work/wild.out"
}
check "a wildcard listener without [console] origin is refused at start" no_origin
sed -e 's|^\[console\]$|[console]\norigin = https://noc.example.net:8445|' "$work/wild.conf" \
	>"$work/wild-origin.conf"
check "with origin set, the wildcard listener starts" \
	"$top_build/console/acme-rats-console" -c "$work/wild-origin.conf" --check-config

# --- a session does not outlive its user, its password or its role -----------------
users=$work/console/users
verdict_before=$(verdict_of)
for u in revgone revpw revrole; do
	echo "$console_pw" | "$ctl" --users "$users" console-user add "$u" soc >/dev/null
	login "$u" "$console_pw" --interface 127.0.0.2	# 127.0.0.1 is locked out above
	[ "$st" = 200 ] || bail "$u cannot log in ($st): $(cat "$work/b")"
	tok[$u]=$csrf
done
grep -v '^revgone:' "$users" >"$users.new" && mv "$users.new" "$users"
as revgone GET /api/me
check "test_session_of_removed_user_ended: after the user's removal its session is refused (401)" \
	[ "$st" = 401 ]
as revgone POST "/api/devices/$dev/verdict" "$flag"
check "the removed user cannot flag (401)" [ "$st" = 401 ]
check "the end of the session is logged" \
	grep -q 'event=console.session_ended user=revgone reason=user_removed' "$work/console.log"
echo "new-$console_pw" | "$ctl" --users "$users" console-user add revpw soc >/dev/null
as revpw POST "/api/devices/$dev/verdict" "$flag"
check "test_session_after_password_change_ended: the old session cannot flag (401)" [ "$st" = 401 ]
check "the end of the session is logged as a password change" \
	grep -q 'event=console.session_ended user=revpw reason=password_changed' "$work/console.log"
login revpw "new-$console_pw" --interface 127.0.0.2
check "the new password logs in" [ "$st" = 200 ]
# A demotion by hand (same hash): the session stays, with the new role at once.
sed 's/^revrole:soc:/revrole:viewer:/' "$users" >"$users.new" && mv "$users.new" "$users"
as revrole POST "/api/devices/$dev/verdict" "$flag"
check "test_demoted_user_session_cannot_flag: the demoted SOC user cannot flag (403)" [ "$st" = 403 ]
as revrole GET /api/me
check "/api/me gives the new role" grep -q '"role":"viewer"' "$work/b"
check "the role change is logged" \
	grep -q 'event=console.role_changed user=revrole from=soc to=viewer' "$work/console.log"
check "after the revocations the device's verdict is unchanged" [ "$(verdict_of)" = "$verdict_before" ]

# --- logout -----------------------------------------------------------------------
as soc1 POST /api/logout ""
check "logout (200)" [ "$st" = 200 ]
as soc1 GET /api/devices
check "after logout the old cookie is refused (401)" [ "$st" = 401 ]

lab_done
