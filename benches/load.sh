#!/usr/bin/env bash
# Load benchmark: the release server under wrk, next to the peers (badge-maker, badgen).
#
#   benches/load.sh                     # from the repository root
#   DURATION=10 THREADS=2 CONNECTIONS=64 ROUNDS=3 benches/load.sh
#
# Builds the release binary (honours CARGO_TARGET_DIR, default ./target), starts two
# servers on 127.0.0.1 with temporary SQLite stores and the sample verdicts:
#   A: counting on  (--count-limit-per-minute 0, so one client is never rate-limited)
#   B: counting off (--counting false: the same binary, badges served, nothing recorded)
# and drives each endpoint with wrk for DURATION seconds (after a 2 s warm-up), ROUNDS
# times (on/off pairs back to back, their order swapped every round; medians at the end):
#   /healthz (the ceiling), /api/badge/SLUG (SVG), /api/badge/SLUG.png (PNG, scale 2),
#   and on A the SVG again with a crawler User-Agent (the bot path: tallied as a bot).
# With Node present, the peers from /work/shared/peers run in the same round
# (installed into a temporary copy; PEERS_DIR=/path reuses an installed copy).
#
# After each counted run it checks that the stats' badge_impressions grew by exactly
# what the server answered (its own request counter), and prints wrk's count beside:
# wrk stops with up to CONNECTIONS requests in flight, which the server has already
# answered and counted, so 0 <= impressions - wrk_requests <= CONNECTIONS.
#
# Only same-run ratios mean anything: wrk and the server share this machine's cores.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-64}
ROUNDS=${ROUNDS:-3}
SLUG=${SLUG:-smolvlm-3b}
PEERS_SRC=${PEERS_SRC:-$ROOT/../shared/peers}
FIREFOX='Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0'
CRAWLER='curl/8.0.1'
ADMIN="load-bench-$(date +%s%N)"
CLK_TCK=$(getconf CLK_TCK)

WORK=$(mktemp -d /tmp/verdict-load.XXXXXX)
PIDS=()

cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        # Bounded: a graceful stop flushes counts; after 10 s it is killed.
        for _ in $(seq 1 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
# A signal (Ctrl-C, a closed pipe) ends the script through the EXIT trap too.
trap 'exit 130' INT TERM HUP PIPE

die() {
    echo "load.sh: $*" >&2
    exit 1
}

# --- tools -------------------------------------------------------------------
if ! command -v wrk >/dev/null; then
    if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
        echo "installing wrk (apt-get)…" >&2
        timeout 300 apt-get update -qq >/dev/null
        timeout 300 apt-get install -y -qq wrk >/dev/null
    fi
    command -v wrk >/dev/null || die "wrk is missing: apt-get install wrk"
fi

echo "building the release server (CARGO_TARGET_DIR=$TARGET_DIR)…" >&2
CARGO_TARGET_DIR=$TARGET_DIR cargo build --release --quiet
BIN=$TARGET_DIR/release/verdict-badges
[ -x "$BIN" ] || die "no binary at $BIN"

free_port() {
    local p
    for _ in $(seq 1 200); do
        p=$((20000 + RANDOM % 20000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    die "no free port"
}

wait_ready() { # URL PID
    for _ in $(seq 1 300); do
        curl -fsS -o /dev/null --max-time 1 "$1" 2>/dev/null && return 0
        kill -0 "$2" 2>/dev/null || die "server $2 exited (see its log)"
        sleep 0.1
    done
    die "$1 not ready after 30 s"
}

# --- servers -----------------------------------------------------------------
start_ours() { # NAME COUNTING -> sets PORT_<NAME>, PID_<NAME>
    local name=$1 counting=$2 port
    port=$(free_port)
    VERDICT_BADGES_ADMIN_TOKEN=$ADMIN RUST_LOG=warn "$BIN" serve --demo \
        --listen "127.0.0.1:$port" \
        --database-url "sqlite://$WORK/$name.db" \
        --count-limit-per-minute 0 \
        --counting "$counting" \
        >"$WORK/$name.log" 2>&1 &
    local pid=$!
    PIDS+=("$pid")
    wait_ready "http://127.0.0.1:$port/readyz" "$pid"
    printf -v "PORT_$name" %s "$port"
    printf -v "PID_$name" %s "$pid"
}

start_ours A true
start_ours B false

PEERS=0
if command -v node >/dev/null; then
    if [ -n "${PEERS_DIR:-}" ] && [ -d "$PEERS_DIR/node_modules" ]; then
        PEERS_RUN=$PEERS_DIR
    elif [ -f "$PEERS_SRC/server.js" ] && command -v npm >/dev/null; then
        PEERS_RUN=$WORK/peers
        cp -r "$PEERS_SRC" "$PEERS_RUN"
        rm -rf "$PEERS_RUN/node_modules"
        echo "installing the peers (npm install in $PEERS_RUN)…" >&2
        (cd "$PEERS_RUN" && timeout 300 npm install --no-audit --no-fund --silent >/dev/null 2>&1) ||
            PEERS_RUN=
    else
        PEERS_RUN=
    fi
    if [ -n "$PEERS_RUN" ]; then
        for which in maker badgen; do
            port=$(free_port)
            node "$PEERS_RUN/server.js" "$port" "$which" >"$WORK/$which.log" 2>&1 &
            pid=$!
            PIDS+=("$pid")
            wait_ready "http://127.0.0.1:$port/badge/ShipOrSkip/Ship%204-0" "$pid"
            printf -v "PORT_$which" %s "$port"
            printf -v "PID_$which" %s "$pid"
        done
        PEERS=1
    fi
fi
[ "$PEERS" = 1 ] || echo "note: Node or the peers are not available; peers skipped" >&2

# --- measuring ---------------------------------------------------------------
cpu_ticks() { # PID -> utime + stime of the process, in clock ticks
    awk '{print $14 + $15}' "/proc/$1/stat"
}

to_us() { # wrk latency (850.00us, 1.20ms, 1.01s) -> microseconds
    awk -v v="$1" 'BEGIN {
        n = v + 0
        if (v ~ /us$/) m = 1; else if (v ~ /ms$/) m = 1000; else if (v ~ /s$/) m = 1000000; else m = 1
        printf "%.0f", n * m }'
}

metric() { # PORT NAME-WITH-LABELS -> value (0 when absent)
    curl -fsS --max-time 5 "http://127.0.0.1:$1/metrics" |
        awk -v k="$2" '$1 == k {v = $2} END {printf "%d", v + 0}'
}

impressions() { # PORT -> totals.badge_impressions of SLUG over the last two days
    curl -fsS --max-time 5 -H "Authorization: Bearer $ADMIN" \
        "http://127.0.0.1:$1/api/stats/$SLUG?days=2" |
        sed -n 's/.*"totals":{[^}]*"badge_impressions":\([0-9]*\).*/\1/p'
}

RECORDED='verdict_badges_tally_recorded_total{name="badge"}'
ANSWERED='verdict_badges_http_requests_total{route="/api/badge/{file}",status="200"}'

settled() { # PORT -> badge_impressions once every recorded load is in the store (bounded)
    local want got
    for _ in $(seq 1 100); do
        want=$(metric "$1" "$RECORDED")
        got=$(impressions "$1")
        [ "${got:-x}" = "$want" ] && {
            echo "$got"
            return 0
        }
        sleep 0.2
    done
    die "stats did not reach the recorded count ($got vs $want) in 20 s"
}

declare -A RPS P50 P99 REQS CPU
FAILED=0

run() { # LABEL PID URL USER-AGENT [counted]
    local label=$1 pid=$2 url=$3 agent=$4 counted=${5:-} out=$WORK/$1.txt t0 t1 s0 a0
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -H "User-Agent: $agent" "$url" >/dev/null
    if [ -n "$counted" ]; then
        s0=$(settled "$PORT_A")
        a0=$(metric "$PORT_A" "$ANSWERED")
    fi
    t0=$(cpu_ticks "$pid")
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "User-Agent: $agent" "$url" >"$out"
    t1=$(cpu_ticks "$pid")
    if grep -q 'Non-2xx\|Socket errors' "$out"; then
        echo "warning: $label: $(grep 'Non-2xx\|Socket errors' "$out" | tr -s ' ')" >&2
    fi
    REQS[$label]=$(awk '/requests in/ {print $1}' "$out")
    RPS[$label]=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$out")
    P50[$label]=$(to_us "$(awk '$1 == "50%" {print $2}' "$out")")
    P99[$label]=$(to_us "$(awk '$1 == "99%" {print $2}' "$out")")
    # Server CPU per request, in microseconds (the server's own share of the cores).
    CPU[$label]=$(awk -v d=$((t1 - t0)) -v hz="$CLK_TCK" -v n="${REQS[$label]}" \
        'BEGIN {printf "%.1f", d * 1000000 / hz / n}')
    printf '  %-14s %9s req/s  p50 %6s us  p99 %6s us  server CPU %5s us/req\n' \
        "$label" "${RPS[$label]}" "${P50[$label]}" "${P99[$label]}" "${CPU[$label]}" >&2
    if [ -n "$counted" ]; then
        # Every answered badge counted once: the stats grew by what the server answered.
        local s1 a1
        s1=$(settled "$PORT_A")
        a1=$(metric "$PORT_A" "$ANSWERED")
        local got=$((s1 - s0)) answered=$((a1 - a0)) wrk_n=${REQS[$label]} verdict=exact
        [ "$got" = "$answered" ] || verdict=MISMATCH
        local extra=$((got - wrk_n))
        [ "$extra" -ge 0 ] && [ "$extra" -le "$CONNECTIONS" ] || verdict="$verdict, OUT OF BOUNDS"
        printf '  %-14s badge_impressions +%d, server answered +%d, wrk reported %d (%s)\n' \
            "$label" "$got" "$answered" "$wrk_n" "$verdict" >&2
        COUNTS+=("$label: badge_impressions +$got; server answered +$got/$answered; wrk reported $wrk_n completed; in flight when wrk stopped: $extra (≤ $CONNECTIONS) — $verdict")
        [ "$verdict" = exact ] || FAILED=1
    fi
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(rustc --version)" >&2
echo "load: wrk $(wrk -v 2>&1 | awk 'NR==1 {print $2}') -t$THREADS -c$CONNECTIONS -d${DURATION}s (after ${WARMUP}s warm-up), same cores as the servers" >&2

A=http://127.0.0.1:$PORT_A
B=http://127.0.0.1:$PORT_B
declare -A SERIES # ratio name -> its value in each round
RATIO_NAMES=()
ratio_row() { # NAME A B TARGET
    local v
    v=$(ratio "$2" "$3")
    [ -n "${SERIES[$1]+x}" ] || RATIO_NAMES+=("$1")
    SERIES[$1]="${SERIES[$1]:-} $v"
    TARGETS[$1]=$4
    echo "| $1 | $v | $4 |"
}
declare -A TARGETS
median() { tr ' ' '\n' | grep . | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

for round in $(seq 1 "$ROUNDS"); do
    COUNTS=()
    echo "round $round" >&2
    # Each pair runs back to back, on then off in odd rounds and off then on in even
    # ones, so that drift on a shared machine does not favour one side.
    if [ $((round % 2)) = 1 ]; then
        run healthz_on "$PID_A" "$A/healthz" "$FIREFOX"
        run svg_on "$PID_A" "$A/api/badge/$SLUG" "$FIREFOX" counted
        run svg_off "$PID_B" "$B/api/badge/$SLUG" "$FIREFOX"
        run png_on "$PID_A" "$A/api/badge/$SLUG.png" "$FIREFOX" counted
        run png_off "$PID_B" "$B/api/badge/$SLUG.png" "$FIREFOX"
        run healthz_off "$PID_B" "$B/healthz" "$FIREFOX"
    else
        run healthz_off "$PID_B" "$B/healthz" "$FIREFOX"
        run svg_off "$PID_B" "$B/api/badge/$SLUG" "$FIREFOX"
        run svg_on "$PID_A" "$A/api/badge/$SLUG" "$FIREFOX" counted
        run png_off "$PID_B" "$B/api/badge/$SLUG.png" "$FIREFOX"
        run png_on "$PID_A" "$A/api/badge/$SLUG.png" "$FIREFOX" counted
        run healthz_on "$PID_A" "$A/healthz" "$FIREFOX"
    fi
    run svg_bot "$PID_A" "$A/api/badge/$SLUG" "$CRAWLER"
    if [ "$PEERS" = 1 ]; then
        run badge_maker "$PID_maker" "http://127.0.0.1:$PORT_maker/badge/ShipOrSkip/Ship%204-0" "$FIREFOX"
        run badgen "$PID_badgen" "http://127.0.0.1:$PORT_badgen/badge/ShipOrSkip/Ship%204-0" "$FIREFOX"
    fi

    echo
    echo "## Round $round: requests/s (wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s), latency, server CPU per request"
    echo
    echo "| run | requests/s | p50 (µs) | p99 (µs) | server CPU (µs/request) |"
    echo "|---|---:|---:|---:|---:|"
    labels=(healthz_on svg_on png_on svg_bot healthz_off svg_off png_off)
    [ "$PEERS" = 1 ] && labels+=(badge_maker badgen)
    for l in "${labels[@]}"; do
        echo "| $l | ${RPS[$l]} | ${P50[$l]} | ${P99[$l]} | ${CPU[$l]} |"
    done
    echo
    echo "| ratio of requests/s (same run) | value | target |"
    echo "|---|---:|---|"
    ratio_row "SVG counting on / healthz (server A)" "${RPS[svg_on]}" "${RPS[healthz_on]}" "≥ 0.85"
    ratio_row "PNG counting on / healthz (server A)" "${RPS[png_on]}" "${RPS[healthz_on]}" "≥ 0.85"
    ratio_row "SVG counting off / healthz (server B)" "${RPS[svg_off]}" "${RPS[healthz_off]}" "≥ 0.85"
    ratio_row "PNG counting off / healthz (server B)" "${RPS[png_off]}" "${RPS[healthz_off]}" "≥ 0.85"
    ratio_row "SVG counting on / off" "${RPS[svg_on]}" "${RPS[svg_off]}" "≥ 0.95"
    ratio_row "PNG counting on / off" "${RPS[png_on]}" "${RPS[png_off]}" "≥ 0.95"
    ratio_row "SVG bot path / SVG counted" "${RPS[svg_bot]}" "${RPS[svg_on]}" "(info)"
    if [ "$PEERS" = 1 ]; then
        ratio_row "SVG counting on / badge-maker" "${RPS[svg_on]}" "${RPS[badge_maker]}" "≥ 10"
        ratio_row "SVG counting on / badgen" "${RPS[svg_on]}" "${RPS[badgen]}" "≥ 4"
        ratio_row "PNG counting on / badge-maker (SVG)" "${RPS[png_on]}" "${RPS[badge_maker]}" "(info)"
        ratio_row "PNG counting on / badgen (SVG)" "${RPS[png_on]}" "${RPS[badgen]}" "(info)"
    fi
    echo
    echo "Exact counting under load:"
    for line in "${COUNTS[@]}"; do echo "- $line"; done
done

if [ "$ROUNDS" -gt 1 ]; then
    echo
    echo "## Median over $ROUNDS rounds"
    echo
    echo "| ratio of requests/s | median | each round | target |"
    echo "|---|---:|---|---|"
    for name in "${RATIO_NAMES[@]}"; do
        echo "| $name | $(echo "${SERIES[$name]}" | median) | ${SERIES[$name]# } | ${TARGETS[$name]} |"
    done
fi

[ "$FAILED" = 0 ] || die "counting under load was not exact (see above)"
