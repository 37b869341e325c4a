#!/usr/bin/env bash
# Soak test: two demo nodes (release build) on one redis-server, minutes of
# sustained create + consume load, with Redis killed and restarted once and
# one node killed and restarted once during the run.
#
#   bash benches/soak.sh
#
# The load generator and judge is benches/soak_load.rs (a `[[bench]]` with
# no harness, so it builds with the crate's dev-dependencies and stays out
# of the published examples). Many clients each create a link on one node
# (taking turns) and open it SOAK_OPENS times on every node at once. At the
# end it checks, against the outage windows this script records and the
# nodes' memory it samples (VmRSS from /proc every 2 s):
#   - no link logged in more than once (303s to the target, per link);
#   - every link that saw no outage logged in exactly once;
#   - no 5xx and no failed connection, except 503s and failed connections
#     during an outage (a window ends 5 s after the service is back), and
#     500s within 2 s of Redis being killed, counted apart: a sign-in in
#     flight then can find Redis gone after its session was stored, when
#     the session layer (tower-sessions) saves it again after the handler;
#   - after SOAK_WARMUP seconds from a node's (re)start, its resident
#     memory stays within 10 % of its level (the median of its first 5
#     samples after warm-up);
# and prints the p50/p99 latency of consume. Exits non-zero when any check
# fails. Everything listens on 127.0.0.1 only, and every process the script
# starts is stopped when it ends, also on failure or Ctrl-C.
#
# Redis keeps an append-only file with `appendfsync always`, as a Redis that
# must keep "used" markers across a restart has to: without it a restart
# forgets which links were used.
#
# Settings (environment): SOAK_SECONDS (240), SOAK_CLIENTS (32), SOAK_RATE
# (links a second, 100), SOAK_OPENS (opens of each link on each node, 2),
# SOAK_WARMUP (45 s); SOAK_KEEP=1 keeps the logs and samples; SOAK_PLOT
# (target/soak-memory.png) is where the memory curve is drawn, with gnuplot
# when it is installed (apt-get install gnuplot-nox).
set -euo pipefail
cd "$(dirname "$0")/.."

export SOAK_SECONDS=${SOAK_SECONDS:-240}
export SOAK_CLIENTS=${SOAK_CLIENTS:-32}
export SOAK_RATE=${SOAK_RATE:-100}
export SOAK_OPENS=${SOAK_OPENS:-2}
export SOAK_WARMUP=${SOAK_WARMUP:-45}
FEATURES=tower-sessions,redis,limit,metrics

fail() {
    echo "soak.sh: $*" >&2
    exit 1
}

for tool in redis-server redis-cli curl; do
    command -v "$tool" >/dev/null || fail "needs $tool (apt-get install redis-server curl)"
done
[ "$SOAK_SECONDS" -ge 60 ] || fail "SOAK_SECONDS must be at least 60"

work=$(mktemp -d)
mkdir -p "$work/redis"
bg_pids=()
cleanup() {
    local pid
    for pid in "${bg_pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for file in "$work"/*.pid; do
        [ -e "$file" ] || continue
        pid=$(cat "$file")
        kill -9 "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    if [ -n "${SOAK_KEEP:-}" ]; then
        echo "soak.sh: logs kept in $work" >&2
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== building the demo and the load generator (release)"
cargo build --release --quiet --example demo --features "$FEATURES"
load=$(cargo bench --quiet --no-run --bench soak_load --features "$FEATURES" \
    --message-format=json | grep -o '"executable":"[^"]*soak_load[^"]*"' | cut -d'"' -f4)
[ -x "$load" ] || fail "cannot find the soak_load binary"
demo="${CARGO_TARGET_DIR:-target}/release/examples/demo"

now_ms() { date +%s%3N; }

free_port() {
    local port
    while :; do
        port=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return
        fi
    done
}

# Starts Redis on $redis_port with its data in $work/redis; waits for PING.
start_redis() {
    redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$work/redis" \
        --save '' --appendonly yes --appendfsync always \
        --daemonize no >>"$work/redis.log" 2>&1 &
    echo $! >"$work/redis.pid"
    for _ in $(seq 100); do
        redis-cli -p "$redis_port" ping 2>/dev/null | grep -q PONG && return 0
        sleep 0.1
    done
    return 1
}

# Starts node $1 on its port; waits until it answers.
start_node() {
    local n=$1 port=${node_ports[$1]}
    AUTHLINK_DEMO_ADDR="127.0.0.1:$port" "$demo" >>"$work/node$n.log" 2>&1 &
    echo $! >"$work/node$n.pid"
    for _ in $(seq 200); do
        curl -s -o /dev/null "http://127.0.0.1:$port/" && return 0
        sleep 0.05
    done
    return 1
}

redis_port=
for _ in 1 2 3 4 5; do
    redis_port=$(free_port)
    start_redis && break
    redis_port=
done
[ -n "$redis_port" ] || fail "redis-server did not start: $(tail -5 "$work/redis.log")"

export AUTHLINK_SECRET
AUTHLINK_SECRET=$(head -c 32 /dev/urandom | base64)
export AUTHLINK_REDIS_URL="redis://127.0.0.1:$redis_port/"
# The soak's two API users create far more links than a person would: the
# limiter runs (in Redis) with a rate no client reaches.
export AUTHLINK_LINKS_PER_MINUTE=100000000
export AUTHLINK_TTL_SECONDS=60

node_ports=()
for n in 0 1; do
    node_ports[n]=$(free_port)
    start_node "$n" || fail "node$n did not start: $(tail -5 "$work/node$n.log")"
done
echo "== redis on 127.0.0.1:$redis_port, nodes on 127.0.0.1:${node_ports[0]} and 127.0.0.1:${node_ports[1]}"

: >"$work/faults"

# Memory of both nodes, every 2 s, as `ms node pid rss_kb`.
(
    while :; do
        for n in 0 1; do
            pid=$(cat "$work/node$n.pid" 2>/dev/null) || continue
            rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null) || continue
            [ -n "$rss" ] && echo "$(now_ms) node$n $pid $rss"
        done
        sleep 2
    done
) >"$work/rss" &
bg_pids+=($!)

# The faults: Redis killed at 35 % of the run and started again 8 s later;
# node1 killed at 60 % and started again 3 s later. Each outage window is
# recorded as `what start_ms end_ms`, its end when the service answers again.
(
    set +e
    sleep $((SOAK_SECONDS * 35 / 100))
    start=$(now_ms)
    kill -9 "$(cat "$work/redis.pid")"
    echo "   $(date +%T) redis killed" >&2
    sleep 8
    start_redis || echo "soak.sh: redis did not come back" >&2
    echo "redis $start $(now_ms)" >>"$work/faults"
    echo "   $(date +%T) redis back" >&2
    sleep $((SOAK_SECONDS * 25 / 100 - 8))
    start=$(now_ms)
    kill -9 "$(cat "$work/node1.pid")"
    echo "   $(date +%T) node1 killed" >&2
    sleep 3
    start_node 1 || echo "soak.sh: node1 did not come back" >&2
    echo "node1 $start $(now_ms)" >>"$work/faults"
    echo "   $(date +%T) node1 back" >&2
) &
bg_pids+=($!)

echo "== loading for $SOAK_SECONDS s ($SOAK_CLIENTS clients, $SOAK_RATE links/s, $SOAK_OPENS opens per link per node)"
status=0
SOAK_NODES="http://127.0.0.1:${node_ports[0]},http://127.0.0.1:${node_ports[1]}" \
    SOAK_FAULTS="$work/faults" SOAK_RSS="$work/rss" \
    timeout $((SOAK_SECONDS + 120)) "$load" || status=$?

plot_memory() {
    local plot=${SOAK_PLOT:-target/soak-memory.png}
    if ! command -v gnuplot >/dev/null; then
        echo "soak.sh: no gnuplot, memory curve not drawn (samples: SOAK_KEEP=1)" >&2
        return 0
    fi
    mkdir -p "$(dirname "$plot")"
    # One series per node process (a restarted node is a new one), in MiB
    # over seconds since the first sample; the faults as vertical lines.
    local first
    first=$(awk 'NR == 1 { print $1 }' "$work/rss")
    awk -v t0="$first" -v dir="$work" \
        '{ printf "%.1f %.2f\n", ($1 - t0) / 1000, $4 / 1024 > (dir "/series-" $2 "-" $3) }' "$work/rss"
    local series="" file label
    for file in "$work"/series-*; do
        label=${file##*/series-}
        series+="${series:+, }'$file' using 1:2 with lines linewidth 2 title '${label/-/ pid }'"
    done
    local arrows=""
    while read -r what start _end; do
        arrows+="set arrow from $(((start - first) / 1000)), graph 0 to $(((start - first) / 1000)), graph 1 nohead dashtype 2 linecolor rgb 'gray';"
        arrows+="set label '$what killed' at $(((start - first) / 1000)), graph 0.97 offset 0.5,0 font ',9';"
    done <"$work/faults"
    gnuplot <<GNUPLOT
set terminal pngcairo size 900,420 font ',10'
set output '$plot'
set title 'Resident memory of the two demo nodes over the soak (${SOAK_SECONDS} s, ${SOAK_RATE} links/s)'
set xlabel 'seconds since start'
set ylabel 'RSS (MiB)'
set yrange [0:*]
set key bottom right
set grid
set arrow from ${SOAK_WARMUP}, graph 0 to ${SOAK_WARMUP}, graph 1 nohead dashtype 3 linecolor rgb 'black'
set label 'warm-up ends' at ${SOAK_WARMUP}, graph 0.05 offset 0.5,0 font ',9'
$arrows
plot $series
GNUPLOT
    echo "== memory curve: $plot"
}
plot_memory || echo "soak.sh: drawing the memory curve failed" >&2

errors=$(cat "$work"/node*.log | grep -ci "panicked" || true)
if [ "$errors" != 0 ]; then
    echo "soak.sh: a node panicked:" >&2
    grep -i -A3 "panicked" "$work"/node*.log >&2
    status=1
fi
if [ "$status" != 0 ]; then
    echo "soak: FAILED (exit $status)"
    exit "$status"
fi
echo "soak: passed"
