#!/usr/bin/env bash
# Instructions per request of a server, counted by callgrind: repeatable even on a busy
# machine, where CPU time is not. Kernel time (syscalls) is not counted.
#
#   benches/callgrind.sh URL [REQUESTS] -- SERVER-COMMAND...
#   benches/callgrind.sh http://127.0.0.1:8099/badge 3000 -- target/release/examples/bare_floor 127.0.0.1:8099 badge.svg
#
# Starts SERVER-COMMAND under `valgrind --tool=callgrind` with instrumentation off, warms
# URL up with 300 requests, then switches instrumentation on, sends exactly REQUESTS
# requests over one kept-alive connection (curl), dumps the counts and prints
# instructions per request; TOP=N also prints the N most expensive functions (inclusive).
# OUT=/path names the callgrind files (the measured dump is OUT.1).
# HEADERS="Name: value" adds a request header (curl -H syntax; one header).
# SETTLE=S waits S seconds after the warm-up before counting: a PNG asked for twice is
# re-encoded in the background (Zopfli, ~0.2 s natively, tens of times that under
# valgrind), and that work must not land in the measured requests. 30 s is enough.
set -euo pipefail

URL=$1
shift
REQUESTS=3000
if [ "${1:-}" != "--" ]; then
    REQUESTS=$1
    shift
fi
[ "${1:-}" = "--" ] || {
    echo "usage: $0 URL [REQUESTS] -- SERVER-COMMAND..." >&2
    exit 2
}
shift
OUT=${OUT:-$(mktemp /tmp/callgrind.XXXXXX)}
FIREFOX='Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0'
HEADERS=${HEADERS:-X-Bench: 1}

valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$OUT" \
    --dump-instr=no --separate-threads=no "$@" >/tmp/callgrind-server.$$.log 2>&1 &
PID=$!
cleanup() {
    kill -TERM "$PID" 2>/dev/null || true
    for _ in $(seq 1 100); do
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$PID" 2>/dev/null || true
    rm -f /tmp/callgrind-server.$$.log "$CFG"
}
CFG=$(mktemp /tmp/callgrind-urls.XXXXXX)
trap cleanup EXIT

for i in $(seq 1 600); do
    curl -fsS -o /dev/null --max-time 2 "$URL" 2>/dev/null && break
    kill -0 "$PID" 2>/dev/null || {
        cat /tmp/callgrind-server.$$.log >&2
        exit 1
    }
    [ "$i" = 600 ] && {
        echo "not ready after 60 s" >&2
        exit 1
    }
    sleep 0.1
done

# curl sends the same URL N times over one kept-alive connection.
requests() { # N
    awk -v n="$1" -v u="$URL" 'BEGIN { for (i = 0; i < n; i++) printf "url = \"%s\"\noutput = \"/dev/null\"\n", u }' >"$CFG"
    curl -sS -A "$FIREFOX" -H "$HEADERS" -K "$CFG"
}
requests 300 # warm-up: caches, lazily built state, allocator pools
sleep "${SETTLE:-0}"
callgrind_control -i on "$PID" >/dev/null
requests "$REQUESTS"
callgrind_control -d "$PID" >/dev/null
FILE=$OUT.1
for _ in $(seq 1 100); do
    [ -s "$FILE" ] && break
    sleep 0.1
done
TOTAL=$(callgrind_annotate "$FILE" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
echo "instructions per request: $((TOTAL / REQUESTS)) ($TOTAL over $REQUESTS requests; $FILE)"
if [ -n "${TOP:-}" ]; then
    callgrind_annotate --inclusive=yes "$FILE" 2>/dev/null | sed -n '1,/^-- Auto/p' | head -"$TOP"
fi
