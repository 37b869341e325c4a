#!/usr/bin/env bash
# The consume endpoint under wrk on loopback, next to what an app would
# write instead and to a bare hyper server.
#
#   bash benches/http.sh
#
# A: `bench_server authlink`, the consume endpoint mounted with
#    `Endpoints::router` (verify, in-memory replay cache, client binding,
#    whitelist, fresh session cookie, 303 to the target).
# H: `bench_server handmade`, a hand-written link login on the same axum and
#    tower-sessions: base64 decode, one truncated HMAC-SHA256 over a token as
#    long as A's, expiry, `cycle_id`, `insert`, the same 303 and headers.
# B: `bench_server bare`, plain hyper answering the same 303 with the same
#    headers and a fresh session id in the same cookie.
#
# The sides run in turn, A H B A H B ..., each for SECONDS_PER_RUN seconds
# against a freshly started server. Every request A and H get is a real
# login: before each round new lists of distinct links are issued (A's
# bound to 127.0.0.1, where wrk connects from), and benches/http.lua sends
# each one once; B gets A's paths. A run fails, and so does the script, if
# any response is not the 303 to the target with a Set-Cookie, if wrk
# reports a socket error, or if a list ran out (raise MAX_RATE then).
#
# wrk and the server share the machine's cores: the figures are for the
# pair, not for the server alone. Nothing is pinned.
#
# Settings (environment): ROUNDS (4), SECONDS_PER_RUN (10), WRK_THREADS (1),
# WRK_CONNECTIONS (32), MAX_RATE (200000, an upper bound on requests per
# second that sizes each list of links).
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-4}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}
WRK_THREADS=${WRK_THREADS:-1}
WRK_CONNECTIONS=${WRK_CONNECTIONS:-32}
MAX_RATE=${MAX_RATE:-200000}
# A's requests per second over H's (issue 19: the crate costs no more than
# the login it replaces while doing what that one skips).
TARGET_RATIO=0.97
# Where every link leads (bench_server's TARGET).
LINK_TARGET=/account/settings/emails

fail() {
    echo "http.sh: $*" >&2
    exit 1
}

command -v wrk >/dev/null || fail "needs wrk (apt-get install wrk)"

work=$(mktemp -d)
server_pid=
stop_server() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=
    fi
}
cleanup() {
    stop_server
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== building bench_server (release)"
bin=$(cargo bench --quiet --no-run --bench bench_server --message-format=json \
    | grep -o '"executable":"[^"]*bench_server[^"]*"' | cut -d'"' -f4)
[ -x "$bin" ] || fail "cannot find the bench_server binary"

AUTHLINK_SECRET=$(head -c 32 /dev/urandom | base64 -w0)
export AUTHLINK_SECRET
links_per_round=$((MAX_RATE * SECONDS_PER_RUN))

# Starts `bench_server $1` and sets server_pid and server_addr.
start_server() {
    local out="$work/$1.out"
    "$bin" "$1" >"$out" 2>"$work/$1.err" &
    server_pid=$!
    server_addr=
    for _ in $(seq 100); do
        server_addr=$(sed -n 's/^listening on //p' "$out")
        [ -n "$server_addr" ] && return 0
        kill -0 "$server_pid" 2>/dev/null || fail "bench_server $1 exited: $(cat "$work/$1.err")"
        sleep 0.1
    done
    fail "bench_server $1 did not start within 10 s"
}

# Runs wrk against a fresh `bench_server $1` with the links in file $3; sets
# rps, and cpu_us (the server's CPU time per request, in microseconds). Runs
# in this shell (never in a command substitution), so the EXIT trap sees
# server_pid.
measure() {
    local side=$1 round=$2 links=$3 log="$work/wrk-$1-$2.txt"
    start_server "$side"
    timeout $((SECONDS_PER_RUN + 60)) \
        wrk -t "$WRK_THREADS" -c "$WRK_CONNECTIONS" -d "${SECONDS_PER_RUN}s" --timeout 5s \
        -s benches/http.lua "http://$server_addr" -- "$links" "$LINK_TARGET" "$WRK_THREADS" \
        >"$log" 2>&1 || {
        cat "$log" >&2
        fail "wrk failed against $side (round $round)"
    }
    # The server's CPU time (user + system, in clock ticks) over its life.
    local ticks
    ticks=$(awk '{ print $14 + $15 }' "/proc/$server_pid/stat")
    stop_server
    local result
    result=$(grep '^RESULT ' "$log") || {
        cat "$log" >&2
        fail "wrk printed no result against $side (round $round)"
    }
    field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$result"; }
    local requests good bad exhausted errors
    requests=$(field requests) good=$(field good) bad=$(field bad)
    exhausted=$(field exhausted) errors=$(field errors)
    if [ "$exhausted" != 0 ]; then
        fail "$side ran out of links in round $round ($exhausted requests past $links_per_round): raise MAX_RATE"
    fi
    if [ "$bad" != 0 ] || [ "$errors" != 0 ] || [ "$good" != "$requests" ] || [ "$requests" = 0 ]; then
        cat "$log" >&2
        fail "$side: $bad bad responses, $errors socket errors, $good good of $requests (round $round)"
    fi
    rps=$(field rps)
    cpu_us=$(awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" -v n="$requests" \
        'BEGIN { printf "%.2f", t / hz * 1e6 / n }')
}

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "== $ROUNDS rounds of ${SECONDS_PER_RUN} s per side, wrk -t $WRK_THREADS -c $WRK_CONNECTIONS," \
    "$links_per_round links per round"
ours=() ours_cpu=()
hand=() hand_cpu=()
bare=() bare_cpu=()
for round in $(seq "$ROUNDS"); do
    "$bin" links "$links_per_round" >"$work/links"
    "$bin" handmade-links "$links_per_round" >"$work/handmade-links"
    measure authlink "$round" "$work/links"
    ours+=("$rps") ours_cpu+=("$cpu_us")
    measure handmade "$round" "$work/handmade-links"
    hand+=("$rps") hand_cpu+=("$cpu_us")
    measure bare "$round" "$work/links"
    bare+=("$rps") bare_cpu+=("$cpu_us")
    printf 'round %d: authlink %.0f req/s (%s us CPU each), hand-written %.0f (%s us), bare %.0f (%s us)\n' \
        "$round" "${ours[-1]}" "${ours_cpu[-1]}" "${hand[-1]}" "${hand_cpu[-1]}" \
        "${bare[-1]}" "${bare_cpu[-1]}"
done

ours_median=$(printf '%s\n' "${ours[@]}" | median)
hand_median=$(printf '%s\n' "${hand[@]}" | median)
bare_median=$(printf '%s\n' "${bare[@]}" | median)
ratio=$(awk -v a="$ours_median" -v b="$hand_median" 'BEGIN { printf "%.3f", a / b }')
bare_ratio=$(awk -v a="$ours_median" -v b="$bare_median" 'BEGIN { printf "%.3f", a / b }')
ours_cpu_median=$(printf '%s\n' "${ours_cpu[@]}" | median)
hand_cpu_median=$(printf '%s\n' "${hand_cpu[@]}" | median)
bare_cpu_median=$(printf '%s\n' "${bare_cpu[@]}" | median)
met=$(awk -v r="$ratio" -v t="$TARGET_RATIO" 'BEGIN { print (r >= t) ? "met" : "NOT met" }')

echo
echo "| side | median req/s | server CPU µs/request (median) | authlink over it | target | |"
echo "| --- | ---: | ---: | ---: | ---: | --- |"
printf '| authlink consume endpoint | %.0f | %s | – | – | |\n' "$ours_median" "$ours_cpu_median"
printf '| hand-written axum + tower-sessions login | %.0f | %s | %s | >= %s | %s |\n' \
    "$hand_median" "$hand_cpu_median" "$ratio" "$TARGET_RATIO" "$met"
printf '| bare hyper 303 | %.0f | %s | %s | – | |\n' "$bare_median" "$bare_cpu_median" "$bare_ratio"
echo
echo "every request a distinct link used once; all responses 303 with Set-Cookie;" \
    "wrk and the servers share $(nproc) cores"
