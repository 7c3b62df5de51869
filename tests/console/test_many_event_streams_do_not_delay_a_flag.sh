#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A viewer's event streams cannot starve the SOC's actions (TAP), against a
# real redis-server, acme-rats-verifier and acme-rats-console (8 workers,
# streams_max 6, 2 streams per session, 4 per user, stream_hold 6s). Each
# answer of the event stream holds a worker until there is news or
# stream_hold passes; without a bound, enough of them queue ahead of a flag
# and delay it by a stream_hold or more.
#
#   - a third stream of one session ends the session's oldest at once; a
#     fifth stream of one user (over several sessions) ends the user's oldest;
#   - with every stream slot taken, a new stream is refused 429 with
#     Retry-After, and answers without holding a worker;
#   - while one viewer (several sessions) and several viewers keep the event
#     stream busy from many connections, SOC flags through the console each
#     complete in well under stream_hold;
#   - streams_max not below workers is refused at start.
set -u
lab_name=console-streams
# shellcheck source=tests/lab/lab.sh
. "${AR_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lab/lab.sh"
# shellcheck source=tests/console/console-lab.sh
. "$top_src/tests/console/console-lab.sh"

command -v curl >/dev/null || bail "curl is missing: run scripts/setup"
# shellcheck disable=SC2119 # no extra redis-server arguments
lab_redis
lab_verifier
console_workers=8
console_stream_hold=6s
hold_ms=6000
console_extra='streams_max = 6
streams_per_session = 2
streams_per_user = 4'
console_up
lab_ctl_conf "$work/ctl.conf"

dev=SUB-0042
origin=$console_url
"$ctl" -c "$work/ctl.conf" flag "$dev" affirming --reason seed >/dev/null ||
	bail "acme-rats-ctl flag cannot reach the verifier"
for u in viewer2 viewer3; do
	echo "$console_pw" | "$ctl" --users "$work/console/users" console-user add "$u" viewer \
		>/dev/null || bail "acme-rats-ctl console-user add $u failed"
done

# login USER JAR: a session of USER in cookie jar JAR; its CSRF token in $csrf.
login() {
	csrf=$(curl -s --cacert "$console_ca" -c "$work/$2" -H "Origin: $origin" \
		-H 'Content-Type: application/json' \
		--data "{\"user\":\"$1\",\"password\":\"$console_pw\"}" "$console_url/api/login" |
		sed -n 's/.*"csrf":"\([^"]*\)".*/\1/p')
	[ -n "$csrf" ] || bail "$1 cannot log in"
}

# hold JAR NAME [LAST-ID]: in the background, one event stream answer that
# waits for news after LAST-ID (default: the newest); when it is over,
# $work/s.NAME holds "<status> <seconds>" and $work/s.NAME.body its body.
hold() {
	curl -s --cacert "$console_ca" -b "$work/$1" -H "Last-Event-ID: ${3:-$newest}" \
		-D "$work/s.$2.h" -o "$work/s.$2.body" -w '%{http_code} %{time_total}\n' \
		--max-time 20 "$console_url/api/events" >"$work/s.$2.tmp" 2>/dev/null
	mv "$work/s.$2.tmp" "$work/s.$2"
}
over() { [ -s "$work/s.$1" ]; }
running() { [ ! -e "$work/s.$1" ]; }
status_of() { cut -d' ' -f1 "$work/s.$1"; }

# The newest entry of the stream: a stream after it waits for news.
login viewer1 jar.a
curl -s --cacert "$console_ca" -b "$work/jar.a" -o "$work/first" --max-time 10 \
	"$console_url/api/events"
newest=$(sed -n 's/^id: //p' "$work/first" | tail -1)
[ -n "$newest" ] || bail "the event stream gives no id"

# --- per session: the third stream ends the oldest ----------------------------------
holders=()
hold jar.a a1 &
holders+=($!)
sleep 0.5
hold jar.a a2 &
holders+=($!)
sleep 0.5
both_wait() { running a1 && running a2; }
check "two streams of one session both wait for news" both_wait
hold jar.a a3 &
holders+=($!)
wait_for 20 over a1
session_oldest_ended() { [ "$(status_of a1)" = 200 ] && running a2 && running a3; }
check "a third stream of the session ends its oldest at once (200, well before stream_hold)" \
	session_oldest_ended
check "the ended stream tells the browser to come back later" \
	grep -q '^: ended: a newer stream of this session or user took its place' "$work/s.a1.body"
check "the console logs the ended stream with the user and the cap" \
	grep -q 'event=console.stream_ended user=viewer1 reason=streams_per_session' \
	"$work/console.log"

# --- per user: a fifth stream over other sessions ends the user's oldest -------------
login viewer1 jar.b
login viewer1 jar.c
hold jar.b b1 &
holders+=($!)
sleep 0.3
hold jar.b b2 &
holders+=($!)
sleep 0.5
four_wait() { running a2 && running a3 && running b1 && running b2; }
check "the user holds four streams in two sessions" four_wait
hold jar.c c1 &
holders+=($!)
wait_for 20 over a2
user_oldest_ended() {
	[ "$(status_of a2)" = 200 ] && running a3 && running b1 && running b2 && running c1
}
check "a fifth stream of the user (a third session) ends the user's oldest" user_oldest_ended
check "the console logs it as the user's cap" \
	grep -q 'event=console.stream_ended user=viewer1 reason=streams_per_user' "$work/console.log"

# --- global: every slot taken, a new stream is refused 429 at once -------------------
login viewer2 jar.v2
hold jar.v2 v2a &
holders+=($!)
sleep 0.3
hold jar.v2 v2b &
holders+=($!)
sleep 0.5
login viewer3 jar.v3
t0=$(date +%s%3N)
hold jar.v3 v3a
t1=$(date +%s%3N)
check "with all 6 stream slots taken a new stream is refused (429)" [ "$(status_of v3a)" = 429 ]
check "the refusal comes at once, holding no worker" [ $((t1 - t0)) -lt 1500 ]
check "the refusal says when to retry (Retry-After)" grep -qi '^retry-after: 5' "$work/s.v3a.h"
check "the refusal is a tooManyStreams problem" \
	grep -q 'urn:acme-rats:console:error:tooManyStreams' "$work/s.v3a.body"
check "the refusal is logged" grep -q 'event=console.stream_refused user=viewer3 reason=streams_max' \
	"$work/console.log"

# --- a SOC flag while the streams are busy, from one viewer and from several ----------
login soc1 jar.soc
soc_csrf=$csrf
# flood JAR NAME: keeps an event stream open from one connection until $work/stop,
# as a browser does: the next answer after the last id it got, a second later
# when refused or ended.
flood() {
	local last=$newest id
	while [ ! -e "$work/stop" ]; do
		rm -f "$work/s.$2"
		hold "$1" "$2" "$last"
		id=$(sed -n 's/^id: //p' "$work/s.$2.body" | tail -1)
		[ -n "$id" ] && last=$id
		if [ "$(status_of "$2")" != 200 ] || grep -q '^: ended' "$work/s.$2.body"; then
			sleep 1
		fi
	done
}
# flag STATUS: a SOC flag through the console; its time (ms, curl's) in $t.
flag() {
	local out
	out=$(curl -s --cacert "$console_ca" -b "$work/jar.soc" -H "X-CSRF-Token: $soc_csrf" \
		-H "Origin: $origin" -H 'Content-Type: application/json' -o "$work/flag.body" \
		-w '%{http_code} %{time_total}' --max-time 30 \
		--data "{\"status\":\"$1\",\"reason\":\"flag under stream load\"}" \
		"$console_url/api/devices/$dev/verdict")
	code=${out%% *}
	t=$(awk '{ printf "%d", $2 * 1000 }' <<<"$out")
}
flag warning
echo "# a SOC flag without stream load: $code in $t ms"
flooders=()
for j in a a b b c c v2 v2 v3 v3; do
	flood "jar.$j" "f$j${#flooders[@]}" &
	flooders+=($!)
done
sleep 3
worst=0
flags_ok=1
for st in contraindicated warning contraindicated; do
	flag "$st"
	echo "# a SOC flag under stream load: $code in $t ms"
	[ "$t" -gt "$worst" ] && worst=$t
	[ "$code" = 200 ] || flags_ok=0
	sleep 1
done
touch "$work/stop"
check "three SOC flags while 10 connections of 5 sessions keep event streams open succeed" \
	[ "$flags_ok" = 1 ]
check "many event streams do not delay a flag: each within 2000 ms (stream_hold ${hold_ms} ms)" \
	[ "$worst" -lt 2000 ]
verdict_of() { "$ctl" -c "$work/ctl.conf" --json device "$dev" 2>/dev/null |
	/usr/bin/python3 -c 'import json,sys; print((json.load(sys.stdin)["verdict"] or {}).get("status"))'; }
check "the flags went through: the verdict is contraindicated" [ "$(verdict_of)" = contraindicated ]
for p in "${flooders[@]}" "${holders[@]}"; do wait "$p"; done

# --- configuration: streams_max must leave workers to the actions ----------------------
sed -e 's/^streams_max = 6$/streams_max = 8/' "$work/console/console.conf" >"$work/bad.conf"
too_many_streams() {
	! "$top_build/console/acme-rats-console" -c "$work/bad.conf" --check-config \
		>"$work/bad.out" 2>&1 &&
		grep -q "streams_max (8) must be below workers (8)" "$work/bad.out"
}
check "streams_max not below workers is refused at start" too_many_streams

lab_done
