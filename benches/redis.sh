#!/usr/bin/env bash
# Consumes through the Redis replay cache against redis-benchmark's SET, on
# the same loopback redis-server.
#
#   bash benches/redis.sh
#
# The script starts its own redis-server on a free loopback port (no
# persistence), then runs, in each round and in this order:
#   A: redis-benchmark -t set -c 64: 64 connections, one SET in flight on
#      each, random keys (the comparison the target is set against),
#   B: bench_redis consume: 64 tasks consuming links verified beforehand,
#      so each operation is Authlink::consume alone (one SET NX PX),
#   C: bench_redis verify: 64 tasks each verifying a token, then consuming it,
#   D: redis-benchmark -t set -c 1 -P 64: one connection with 64 SETs in
#      flight, the shape of the cache's traffic (all tasks share one
#      multiplexed connection), for reference.
# The database is flushed before every run. Every run must succeed in full:
# redis-benchmark must leave about as many keys as it sent SETs, and each
# bench_redis run exactly one key per consume it counted (it fails by itself
# on any refused link, Redis error, or a list of links that ran out).
#
# Both clients and the server share the machine's cores. Nothing is pinned.
#
# Settings (environment): ROUNDS (4), SECONDS_PER_RUN (5, for bench_redis),
# SETS (500000) and PIPELINED_SETS (3000000), redis-benchmark's request
# counts for A and D, TASKS (64), MAX_RATE
# (400000, an upper bound on consumes per second that sizes the list of
# links).
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-4}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-5}
SETS=${SETS:-500000}
PIPELINED_SETS=${PIPELINED_SETS:-3000000}
TASKS=${TASKS:-64}
MAX_RATE=${MAX_RATE:-400000}
TARGET_RATIO=0.50

fail() {
    echo "redis.sh: $*" >&2
    exit 1
}

for tool in redis-server redis-benchmark redis-cli; do
    command -v "$tool" >/dev/null || fail "needs $tool (apt-get install redis-server)"
done

work=$(mktemp -d)
redis_pid=
cleanup() {
    if [ -n "$redis_pid" ]; then
        kill "$redis_pid" 2>/dev/null || true
        wait "$redis_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== building bench_redis (release)"
bin=$(cargo bench --quiet --no-run --features redis --bench bench_redis --message-format=json \
    | grep -o '"executable":"[^"]*bench_redis[^"]*"' | cut -d'"' -f4)
[ -x "$bin" ] || fail "cannot find the bench_redis binary"

# A port that looks free may be taken before Redis binds it: retry, and
# accept only a server that reports our process id.
started=
for _ in 1 2 3 4 5; do
    port=$((20000 + RANDOM % 40000))
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
        --maxmemory-policy noeviction --daemonize no >"$work/redis.log" 2>&1 &
    redis_pid=$!
    for _ in $(seq 100); do
        kill -0 "$redis_pid" 2>/dev/null || break
        if redis-cli -p "$port" info server 2>/dev/null | grep -q "^process_id:$redis_pid"; then
            started=yes
            break 2
        fi
        sleep 0.1
    done
    kill "$redis_pid" 2>/dev/null || true
    wait "$redis_pid" 2>/dev/null || true
    redis_pid=
done
[ -n "$started" ] || fail "redis-server did not start: $(cat "$work/redis.log")"
url="redis://127.0.0.1:$port/"

rcli() { redis-cli -p "$port" "$@"; }
flush() { [ "$(rcli flushall)" = OK ] || fail "FLUSHALL failed"; }
dbsize() { rcli dbsize; }

# redis-benchmark: $2 SETs with options $3...; sets rps, p50, p99 (milliseconds).
run_set() {
    local round=$1 sets=$2 out="$work/set-$1.csv"
    shift 2
    flush
    timeout 300 redis-benchmark -h 127.0.0.1 -p "$port" -t set -n "$sets" \
        -r 1000000000 --csv "$@" >"$out" 2>"$work/set-$round.err" || {
        cat "$work/set-$round.err" >&2
        fail "redis-benchmark $* failed (round $round)"
    }
    local row
    row=$(grep '^"SET"' "$out") || fail "redis-benchmark printed no SET row (round $round)"
    IFS=, read -r _ rps _ _ p50 _ p99 _ <<<"${row//\"/}"
    # Random keys from 10^9 collide rarely: nearly every SET made a key.
    local keys
    keys=$(dbsize)
    [ "$keys" -ge $((sets * 99 / 100)) ] || fail "redis-benchmark left $keys keys for $sets SETs (round $round)"
}

# bench_redis in mode $1; sets rps, p50, p99 (microseconds).
run_ours() {
    local mode=$1 round=$2 out="$work/$1-$2.txt"
    flush
    timeout $((SECONDS_PER_RUN + 120)) \
        "$bin" "$url" "$mode" "$SECONDS_PER_RUN" "$TASKS" "$MAX_RATE" >"$out" 2>&1 || {
        cat "$out" >&2
        fail "bench_redis $mode failed (round $round)"
    }
    local result
    result=$(grep '^RESULT ' "$out") || fail "bench_redis $mode printed no result (round $round)"
    field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$result"; }
    rps=$(field ops_per_s) p50=$(field p50_us) p99=$(field p99_us)
    local ops keys
    ops=$(field ops)
    keys=$(dbsize)
    [ "$keys" = "$ops" ] || fail "bench_redis $mode counted $ops consumes but Redis holds $keys keys (round $round)"
}

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "== redis-server $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/') on 127.0.0.1:$port;" \
    "$ROUNDS rounds: redis-benchmark $SETS SETs, bench_redis ${SECONDS_PER_RUN} s per mode, $TASKS clients"
declare -a set_rps set_p50 set_p99 con_rps con_p50 con_p99 ver_rps ver_p50 ver_p99 \
    pip_rps pip_p50 pip_p99
for round in $(seq "$ROUNDS"); do
    run_set "$round" "$SETS" -c "$TASKS"
    set_rps+=("$rps") set_p50+=("$p50") set_p99+=("$p99")
    run_ours consume "$round"
    con_rps+=("$rps") con_p50+=("$p50") con_p99+=("$p99")
    run_ours verify "$round"
    ver_rps+=("$rps") ver_p50+=("$p50") ver_p99+=("$p99")
    run_set "$round" "$PIPELINED_SETS" -c 1 -P "$TASKS"
    pip_rps+=("$rps") pip_p50+=("$p50") pip_p99+=("$p99")
    printf 'round %d: SET %.0f/s, consume %.0f/s, verify+consume %.0f/s, pipelined SET %.0f/s\n' \
        "$round" "${set_rps[-1]}" "${con_rps[-1]}" "${ver_rps[-1]}" "${pip_rps[-1]}"
done

m() { printf '%s\n' "$@" | median; }
set_m=$(m "${set_rps[@]}")
pip_m=$(m "${pip_rps[@]}")
con_m=$(m "${con_rps[@]}")
ver_m=$(m "${ver_rps[@]}")
ratio() { awk -v a="$1" -v b="$set_m" 'BEGIN { printf "%.2f", a / b }'; }
met() { awk -v r="$1" -v t="$TARGET_RATIO" 'BEGIN { print (r >= t) ? "met" : "NOT met" }'; }
ms() { awk -v v="$1" 'BEGIN { printf "%.3f", v }'; }
us_to_ms() { awk -v v="$1" 'BEGIN { printf "%.3f", v / 1000 }'; }

echo
echo "| operation ($TASKS concurrent) | median ops/s | p50 ms | p99 ms | ratio to SET -c $TASKS | target | |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | --- |"
printf '| redis-benchmark SET -c %s | %.0f | %s | %s | 1.00 | | |\n' "$TASKS" "$set_m" \
    "$(ms "$(m "${set_p50[@]}")")" "$(ms "$(m "${set_p99[@]}")")"
printf '| redis-benchmark SET -c 1 -P %s (reference) | %.0f | %s | %s | %s | | |\n' "$TASKS" "$pip_m" \
    "$(ms "$(m "${pip_p50[@]}")")" "$(ms "$(m "${pip_p99[@]}")")" "$(ratio "$pip_m")"
for side in con ver; do
    if [ $side = con ]; then name="consume (pre-verified)" median=$con_m; else name="verify + consume" median=$ver_m; fi
    p50s="${side}_p50[@]" p99s="${side}_p99[@]"
    r=$(ratio "$median")
    printf '| %s | %.0f | %s | %s | %s | >= %s | %s |\n' "$name" "$median" \
        "$(us_to_ms "$(m "${!p50s}")")" "$(us_to_ms "$(m "${!p99s}")")" "$r" "$TARGET_RATIO" "$(met "$r")"
done
awk -v c="$con_m" -v v="$ver_m" -v p="$pip_m" -v t="$TASKS" 'BEGIN {
    printf "\nagainst the pipelined reference (-c 1 -P %s): consume %.2f, verify + consume %.2f\n", t, c / p, v / p }'
echo "p50/p99: medians over the rounds; every consume a distinct link, each succeeded;" \
    "clients and server share $(nproc) cores"
