#!/usr/bin/env bash
# Load benchmark: server CPU per request for a badge, against the floor and the peers.
#
#   benches/load.sh                     # from the repository root
#   DURATION=10 ROUNDS=3 THREADS=1 CONNECTIONS=32 benches/load.sh
#
# Builds the release binary and the `bare_floor` example (honours CARGO_TARGET_DIR,
# default ./target) and starts, on 127.0.0.1:
#   A      this service with a temporary SQLite store and the sample verdicts, counting on
#          (--count-limit-per-minute 0, so one wrk client is never rate-limited);
#   B      the same binary with --counting false (badges served, nothing recorded);
#   floor  a bare axum 0.8 server (examples/bare_floor.rs: `axum::serve`, no layers)
#          answering /healthz "ok" and /badge with A's own cached SVG as a static body;
#   peers  badge-maker and badgen behind bare node:http (benches/peers/server.js), when
#          Node and npm are present (installed into a temporary copy with `npm install`;
#          PEERS_DIR=/path reuses an installed copy; SKIP_PEERS=1 leaves them out).
# Each run drives one URL with `wrk -t$THREADS -c$CONNECTIONS` for DURATION seconds after
# a WARMUP, and reads the serving process's utime + stime from /proc/PID/stat before and
# after: CPU per request = that CPU time / requests answered. Every round runs every
# URL once, in an order rotated from round to round so that drift on a shared machine
# favours none; the summary gives the median of each figure over the rounds and the
# ratios computed within each round.
#
# Runs: floor_ok, floor_svg, healthz (A), svg (A, counted), svg_304 (A, counted, with the
# badge's ETag in If-None-Match: a repeat view), png (A, counted, scale 2), svg_off (B),
# svg_bot (A, crawler User-Agent: tallied as a bot), badge_maker, badgen.
#
# After each counted run it checks that the stats' badge_impressions grew by exactly
# what the server answered (its own request counter), and prints wrk's count beside:
# wrk stops with up to CONNECTIONS requests in flight, which the server has already
# answered and counted, so 0 <= impressions - wrk_requests <= CONNECTIONS.
#
# Only same-run ratios mean anything: wrk and the servers share this machine's cores.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
THREADS=${THREADS:-1}
CONNECTIONS=${CONNECTIONS:-32}
ROUNDS=${ROUNDS:-3}
SLUG=${SLUG:-smolvlm-3b}
PEERS_SRC=$ROOT/benches/peers
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

echo "building the release server and the floor (CARGO_TARGET_DIR=$TARGET_DIR)…" >&2
CARGO_TARGET_DIR=$TARGET_DIR cargo build --release --quiet --bin verdict-badges --example bare_floor
BIN=$TARGET_DIR/release/verdict-badges
FLOOR=$TARGET_DIR/release/examples/bare_floor
[ -x "$BIN" ] || die "no binary at $BIN"
[ -x "$FLOOR" ] || die "no binary at $FLOOR"

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
    VERDICT_BADGES_ADMIN_TOKEN=$ADMIN VERDICT_BADGES_LOG=warn "$BIN" serve --demo \
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
A=http://127.0.0.1:$PORT_A
B=http://127.0.0.1:$PORT_B

# The floor serves A's own badge, byte for byte, as a static body.
curl -fsS -A "$FIREFOX" -D "$WORK/svg.head" -o "$WORK/badge.svg" "$A/api/badge/$SLUG"
ETAG=$(awk 'tolower($1) == "etag:" {sub(/\r$/, "", $2); print $2}' "$WORK/svg.head")
[ -n "$ETAG" ] || die "the badge has no ETag"
PORT_floor=$(free_port)
"$FLOOR" "127.0.0.1:$PORT_floor" "$WORK/badge.svg" >"$WORK/floor.log" 2>&1 &
PID_floor=$!
PIDS+=("$PID_floor")
wait_ready "http://127.0.0.1:$PORT_floor/healthz" "$PID_floor"
F=http://127.0.0.1:$PORT_floor

PEERS=0
if [ -z "${SKIP_PEERS:-}" ] && command -v node >/dev/null; then
    if [ -n "${PEERS_DIR:-}" ] && [ -d "$PEERS_DIR/node_modules" ]; then
        PEERS_RUN=$PEERS_DIR
    elif command -v npm >/dev/null; then
        PEERS_RUN=$WORK/peers
        mkdir -p "$PEERS_RUN"
        cp "$PEERS_SRC/server.js" "$PEERS_SRC/package.json" "$PEERS_RUN/"
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
[ "$PEERS" = 1 ] || echo "note: Node or npm is not available; peers skipped" >&2

# --- measuring ---------------------------------------------------------------
cpu_ticks() { # PID -> utime + stime of the process, in clock ticks
    awk '{print $14 + $15}' "/proc/$1/stat"
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
answered() { # PORT -> badge requests answered (200 and 304)
    echo $(($(metric "$1" 'verdict_badges_http_requests_total{route="/api/badge/{file}",status="200"}') + \
        $(metric "$1" 'verdict_badges_http_requests_total{route="/api/badge/{file}",status="304"}')))
}

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

declare -A RPS REQS CPU SERIES
FAILED=0
COUNTS=()

run() { # LABEL PID URL USER-AGENT [counted] [extra header]
    local label=$1 pid=$2 url=$3 agent=$4 counted=${5:-} extra=${6:-X-Bench: 1}
    local out=$WORK/$1.txt t0 t1 s0 a0
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -H "User-Agent: $agent" -H "$extra" "$url" >/dev/null
    if [ -n "$counted" ]; then
        s0=$(settled "$PORT_A")
        a0=$(answered "$PORT_A")
    fi
    t0=$(cpu_ticks "$pid")
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" -H "User-Agent: $agent" -H "$extra" "$url" >"$out"
    t1=$(cpu_ticks "$pid")
    if grep -q 'Socket errors' "$out"; then
        echo "warning: $label: $(grep 'Socket errors' "$out" | tr -s ' ')" >&2
    fi
    REQS[$label]=$(awk '/requests in/ {print $1}' "$out")
    RPS[$label]=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$out")
    # Server CPU per request, in microseconds.
    CPU[$label]=$(awk -v d=$((t1 - t0)) -v hz="$CLK_TCK" -v n="${REQS[$label]}" \
        'BEGIN {printf "%.1f", d * 1000000 / hz / n}')
    SERIES[$label]="${SERIES[$label]:-} ${CPU[$label]}"
    printf '  %-12s %8s req/s  server CPU %6s µs/request\n' "$label" "${RPS[$label]}" "${CPU[$label]}" >&2
    if [ -n "$counted" ]; then
        # Every answered badge counted once: the stats grew by what the server answered.
        local s1 a1
        s1=$(settled "$PORT_A")
        a1=$(answered "$PORT_A")
        local got=$((s1 - s0)) answered=$((a1 - a0)) wrk_n=${REQS[$label]} verdict=exact
        [ "$got" = "$answered" ] || verdict=MISMATCH
        local extra_n=$((got - wrk_n))
        [ "$extra_n" -ge 0 ] && [ "$extra_n" -le "$CONNECTIONS" ] || verdict="$verdict, OUT OF BOUNDS"
        COUNTS+=("$label: badge_impressions +$got; server answered +$answered; wrk reported $wrk_n; in flight when wrk stopped: $extra_n (≤ $CONNECTIONS) — $verdict")
        [ "$verdict" = exact ] || FAILED=1
    fi
}

run_one() { # LABEL
    case $1 in
    floor_ok) run floor_ok "$PID_floor" "$F/healthz" "$FIREFOX" ;;
    floor_svg) run floor_svg "$PID_floor" "$F/badge" "$FIREFOX" ;;
    healthz) run healthz "$PID_A" "$A/healthz" "$FIREFOX" ;;
    svg) run svg "$PID_A" "$A/api/badge/$SLUG" "$FIREFOX" counted ;;
    svg_304) run svg_304 "$PID_A" "$A/api/badge/$SLUG" "$FIREFOX" counted "If-None-Match: $ETAG" ;;
    png) run png "$PID_A" "$A/api/badge/$SLUG.png" "$FIREFOX" counted ;;
    svg_off) run svg_off "$PID_B" "$B/api/badge/$SLUG" "$FIREFOX" ;;
    svg_bot) run svg_bot "$PID_A" "$A/api/badge/$SLUG" "$CRAWLER" ;;
    badge_maker) run badge_maker "$PID_maker" "http://127.0.0.1:$PORT_maker/badge/ShipOrSkip/Ship%204-0" "$FIREFOX" ;;
    badgen) run badgen "$PID_badgen" "http://127.0.0.1:$PORT_badgen/badge/ShipOrSkip/Ship%204-0" "$FIREFOX" ;;
    esac
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
median() { tr ' ' '\n' | grep . | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(rustc --version)" >&2
echo "load: wrk $(wrk -v 2>&1 | awk 'NR==1 {print $2}') -t$THREADS -c$CONNECTIONS -d${DURATION}s (after ${WARMUP}s warm-up), same cores as the servers" >&2
echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (with uncommitted changes)')" >&2

LABELS=(floor_ok floor_svg healthz svg svg_304 png svg_off svg_bot)
[ "$PEERS" = 1 ] && LABELS+=(badge_maker badgen)
# label:numerator/denominator:target
RATIOS=(
    "svg/healthz:svg:healthz:≤ 1.25"
    "png/healthz:png:healthz:≤ 1.5"
    "svg/floor_svg:svg:floor_svg:≤ 1.5"
    "healthz/floor_ok:healthz:floor_ok:(as close to 1 as the limits allow)"
    "svg_304/svg:svg_304:svg:(info)"
    "svg/svg_off:svg:svg_off:(counting's cost)"
    "svg_bot/svg:svg_bot:svg:(info)"
)
[ "$PEERS" = 1 ] && RATIOS+=("badge_maker/svg:badge_maker:svg:(info)" "badgen/svg:badgen:svg:(info)")
declare -A RSERIES

for round in $(seq 1 "$ROUNDS"); do
    COUNTS=()
    # Rotate the order: round r starts at label r-1.
    n=${#LABELS[@]}
    order=()
    for i in $(seq 0 $((n - 1))); do order+=("${LABELS[$(((i + round - 1) % n))]}"); done
    echo "round $round: ${order[*]}" >&2
    for l in "${order[@]}"; do run_one "$l"; done

    echo
    echo "## Round $round (order: ${order[*]})"
    echo
    echo "| run | requests/s | server CPU (µs/request) |"
    echo "|---|---:|---:|"
    for l in "${LABELS[@]}"; do echo "| $l | ${RPS[$l]} | ${CPU[$l]} |"; done
    echo
    for r in "${RATIOS[@]}"; do
        IFS=: read -r name num den _ <<<"$r"
        RSERIES[$name]="${RSERIES[$name]:-} $(ratio "${CPU[$num]}" "${CPU[$den]}")"
    done
    echo "Exact counting under load:"
    for line in "${COUNTS[@]}"; do echo "- $line"; done
done

echo
echo "## Server CPU per request, median of $ROUNDS rounds (µs)"
echo
echo "| run | median | each round |"
echo "|---|---:|---|"
for l in "${LABELS[@]}"; do
    echo "| $l | $(echo "${SERIES[$l]}" | median) | ${SERIES[$l]# } |"
done
echo
echo "| ratio of CPU per request (within each round) | median | each round | target |"
echo "|---|---:|---|---|"
for r in "${RATIOS[@]}"; do
    IFS=: read -r name _ _ target <<<"$r"
    echo "| $name | $(echo "${RSERIES[$name]}" | median) | ${RSERIES[$name]# } | $target |"
done

[ "$FAILED" = 0 ] || die "counting under load was not exact (see above)"
