#!/usr/bin/env bash
# Memory benchmark: resident memory of the release server with 10,000 tools, every
# variant of each requested once.
#
#   benches/rss.sh                          # from the repository root
#   TOOLS=10000 PARALLEL=8 RENDER_CACHE_MB=64 benches/rss.sh   # a larger render cache
#   MALLOC_ARENA_MAX=2 benches/rss.sh       # the server inherits the environment
#   HEAPTRACK=/tmp/heap TOOLS=2000 benches/rss.sh   # a heap profile (heaptrack) of the run
#   BIN=/path/to/verdict-badges benches/rss.sh      # measure that binary, build nothing
#
# "Every variant" of a tool means the 12 badges the contract's parameters can name
# at the default and the two common scales:
#   SVG  card|compact × light|dark                     (4)
#   PNG  card|compact × light|dark × scale 1|2         (8)
# i.e. 120,000 distinct badges for 10,000 tools, each requested once by a browser
# User-Agent (so each load is also counted). The render cache is bounded by bytes
# (--render-cache-mb, default 40): what does not fit is evicted, not kept.
#
# Generates the verdicts, imports them with `verdict-badges import`, starts the
# release server on 127.0.0.1 with a temporary SQLite store, drives it with curl,
# and reads VmRSS / VmHWM from /proc/PID/status at each stage.
#
# With HEAPTRACK=PREFIX the server runs under heaptrack (Debian package `heaptrack`),
# which writes PREFIX.zst; `heaptrack_print PREFIX.zst` then says which call sites held
# the most memory at the peak. Resident figures of such a run include heaptrack's own.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
TOOLS=${TOOLS:-10000}
PARALLEL=${PARALLEL:-8}
RENDER_CACHE_MB=${RENDER_CACHE_MB:-40} # the server's default
FORMATS=${FORMATS:-svg png} # "svg" alone for a quick look
FIREFOX='Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0'

WORK=$(mktemp -d /tmp/verdict-rss.XXXXXX)
PID=
cleanup() {
    if [ -n "$PID" ]; then
        kill -TERM "$PID" 2>/dev/null || true
        for _ in $(seq 1 100); do
            kill -0 "$PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
# A signal (Ctrl-C, a closed pipe) ends the script through the EXIT trap too.
trap 'exit 130' INT TERM HUP PIPE

die() {
    echo "rss.sh: $*" >&2
    exit 1
}

if [ -n "${BIN:-}" ]; then
    echo "measuring $BIN (not rebuilt)" >&2
else
    echo "building the release server (CARGO_TARGET_DIR=$TARGET_DIR)…" >&2
    CARGO_TARGET_DIR=$TARGET_DIR cargo build --release --quiet
    BIN=$TARGET_DIR/release/verdict-badges
fi
DB="sqlite://$WORK/rss.db"

# --- 10,000 verdicts, varied in length like the samples ----------------------
awk -v n="$TOOLS" 'BEGIN {
    split("Developer Tools|Productivity|Design|Writing|Research|Video|Audio|Data & Analytics", cat, "|")
    split("Builder|Skeptic|Futurist|Founder|Creator", role, "|")
    split("Free|Freemium|$20/mo|Free tier, then $0.002 per 1K tokens|Open source (MIT)|Enterprise: contact sales", price, "|")
    printf "["
    for (i = 1; i <= n; i++) {
        ship = i % 6; skip = (i * 7) % 5; if (ship + skip == 0) ship = 1
        call = ship >= skip ? "ship" : "skip"
        printf "%s{\"slug\":\"tool-%05d\",\"name\":\"Tool %d %s\",", (i > 1 ? "," : ""), i, i, substr("Pro Studio Max Lite Cloud Agent Copilot", 1 + (i % 5) * 4, 3 + (i % 17))
        printf "\"tagline\":\"Generated tool number %d for the memory benchmark, %s\",", i, substr("with a tagline of varying length to look like the real catalogue entries", 1, 10 + (i % 60))
        printf "\"category\":\"%s\",\"verdict\":\"%s\",", cat[1 + i % 8], call
        printf "\"panel\":{\"ship\":%d,\"skip\":%d},\"community\":{\"ship\":%d,\"skip\":%d},", ship, skip, (i * 13) % 50, (i * 3) % 20
        printf "\"pricing\":\"%s\",\"reviews\":[", price[1 + i % 6]
        for (r = 1; r <= ship + skip && r <= 5; r++) {
            printf "%s{\"role\":\"%s\",\"verdict\":\"%s\"", (r > 1 ? "," : ""), role[r], (r <= ship ? "ship" : "skip")
            if ((i + r) % 4) printf ",\"score\":%d", (i * r * 37) % 101
            printf "}"
        }
        printf "],\"updated_at\":\"2026-11-%02dT09:00:00Z\"}", 1 + i % 28
    }
    printf "]\n"
}' >"$WORK/verdicts.json"
echo "importing $TOOLS verdicts…" >&2
"$BIN" --database-url "$DB" import "$WORK/verdicts.json" >/dev/null

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
PORT=$(free_port)
BASE=http://127.0.0.1:$PORT

WRAP=()
[ -n "${HEAPTRACK:-}" ] && WRAP=(heaptrack -o "$HEAPTRACK")
VERDICT_BADGES_LOG=warn "${WRAP[@]}" "$BIN" serve --listen "127.0.0.1:$PORT" --database-url "$DB" \
    --count-limit-per-minute 0 --render-cache-mb "$RENDER_CACHE_MB" >"$WORK/server.log" 2>&1 &
PID=$!
for i in $(seq 1 300); do
    curl -fsS -o /dev/null --max-time 1 "$BASE/readyz" 2>/dev/null && break
    kill -0 "$PID" 2>/dev/null || die "the server exited: $(cat "$WORK/server.log")"
    [ "$i" = 300 ] && die "not ready after 30 s"
    sleep 0.1
done
# Under heaptrack, $! is heaptrack's script: measure (and stop) the server itself.
[ -n "${HEAPTRACK:-}" ] && PID=$(pgrep -n -f -- "serve --listen 127.0.0.1:$PORT")

status() { awk -v k="$1:" '$1 == k {printf "%.1f", $2 / 1024}' "/proc/$PID/status"; }
metric() { curl -fsS --max-time 5 "$BASE/metrics" | awk -v k="$1" '$1 == k {v = $2} END {printf "%d", v + 0}'; }

declare -a ROWS
stage() { # NAME
    local cache
    cache=$(metric verdict_badges_render_cache_bytes | awk '{printf "%.1f", $1 / 1048576}')
    ROWS+=("| $1 | $(status VmRSS) | $(status RssAnon) | $(status RssFile) | $(status VmHWM) | $cache | $(awk '$1 == "Threads:" {print $2}' "/proc/$PID/status") |")
    printf '  %-34s VmRSS %7s MiB (anonymous %s, file %s)  VmHWM %7s MiB\n' "$1" "$(status VmRSS)" \
        "$(status RssAnon)" "$(status RssFile)" "$(status VmHWM)" >&2
}

# One pass over every tool for one variant: returns the bytes served.
pass() { # SUFFIX QUERY
    local suffix=$1 query=$2 cfg=$WORK/urls.cfg
    awk -v n="$TOOLS" -v base="$BASE" -v s="$suffix" -v q="$query" 'BEGIN {
        for (i = 1; i <= n; i++) printf "url = \"%s/api/badge/tool-%05d%s?%s\"\noutput = \"/dev/null\"\n", base, i, s, q }' >"$cfg"
    # (curl's parallel progress meter ignores -s: its stderr goes to a file.)
    timeout 600 curl -sS -Z --parallel-max "$PARALLEL" -A "$FIREFOX" -w '%{http_code} %{size_download}\n' \
        -K "$cfg" 2>"$WORK/curl.err" |
        awk '$1 != 200 {bad++} {bytes += $2; n++} END {
            if (bad) { print "non-200 answers: " bad > "/dev/stderr"; exit 1 }
            printf "%d %d\n", n, bytes }'
}

stage "started (catalog empty)"
TOTAL=0
BYTES=0
for fmt in $FORMATS; do
    for style in card compact; do
        for theme in light dark; do
            if [ "$fmt" = svg ]; then
                read -r n b < <(pass "" "style=$style&theme=$theme")
                TOTAL=$((TOTAL + n)) BYTES=$((BYTES + b))
            else
                for scale in 1 2; do
                    read -r n b < <(pass ".png" "style=$style&theme=$theme&scale=$scale")
                    TOTAL=$((TOTAL + n)) BYTES=$((BYTES + b))
                done
            fi
        done
    done
    stage "after every $fmt variant"
done
# A second pass over the SVGs: the steady state once the cache has churned.
for style in card compact; do
    for theme in light dark; do
        read -r n b < <(pass "" "style=$style&theme=$theme")
    done
done
stage "after a second SVG pass"

RECORDED=$(metric 'verdict_badges_tally_recorded_total{name="badge"}')
HITS=$(metric 'verdict_badges_render_cache_total{name="hit"}')
MISSES=$(metric 'verdict_badges_render_cache_total{name="miss"}')
[ "$RECORDED" -ge "$TOTAL" ] || die "only $RECORDED of $TOTAL loads were counted"

echo
echo "## Memory: $TOOLS tools, every variant once ($FORMATS) ($TOTAL badges, $((BYTES / 1048576)) MiB of images served), render cache $RENDER_CACHE_MB MiB${MALLOC_ARENA_MAX:+, MALLOC_ARENA_MAX=$MALLOC_ARENA_MAX}"
echo
echo "| stage | VmRSS (MiB) | of it anonymous | of it file pages (the binary) | VmHWM, peak (MiB) | render cache (MiB) | threads |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for r in "${ROWS[@]}"; do echo "$r"; done
echo
echo "render cache: $MISSES misses, $HITS hits; badge loads counted: $RECORDED; target: VmRSS ≤ 100 MB (95.4 MiB)"
