#!/usr/bin/env bash
# Silent connections against the release server at its default connection cap.
#
#   benches/silent_connections.sh            # from the repository root
#   SILENT=12000 benches/silent_connections.sh
#
# Builds the release binary (honours CARGO_TARGET_DIR, default ./target), starts it on
# 127.0.0.1 with a temporary SQLite store and the default --max-connections (10,000),
# then, from a separate Python process:
#   1. opens SILENT TCP connections that never send a byte;
#   2. asks GET /healthz on a fresh connection and times the answer;
#   3. watches every silent connection until the server closes it, and reports when
#      the last one closed, counted from when it was opened.
# The server is expected to answer (2) at once, closing the longest-idle connections
# to admit the new client, and to close every silent one by its idle deadline (10 s).
#
# Needs a file-descriptor limit above SILENT (raised with ulimit -n where the hard
# limit allows) for each of the two processes.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
SILENT=${SILENT:-12000}
WORK=$(mktemp -d /tmp/verdict-silent.XXXXXX)
SERVER_PID=

cleanup() {
    if [ -n "$SERVER_PID" ]; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 100); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ulimit -n "$(( SILENT + 4096 ))" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
echo "file-descriptor limit: $(ulimit -n)"

cargo build --release --quiet
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$TARGET_DIR/release/verdict-badges" --database-url "sqlite://$WORK/vb.db" serve \
    --listen "127.0.0.1:$PORT" --demo >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
    sleep 0.1
done

overflows() { nstat -az TcpExtListenOverflows 2>/dev/null | awk '/ListenOverflows/ {print $2}'; }
server_side() { ss -Htn state established "( sport = :$PORT )" | wc -l; }
OVERFLOWS_BEFORE=$(overflows)

python3 - "$PORT" "$SILENT" <<'PY'
import resource, selectors, socket, sys, time

port, silent = int(sys.argv[1]), int(sys.argv[2])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, silent + 1024), hard))

opened_at = {}
sel = selectors.DefaultSelector()
started = time.monotonic()
# Non-blocking connects, all at once: the silent connections are open together well
# within the server's 10 s idle deadline.
pending = set()


def settle(timeout):
    for key, _ in sel.select(timeout=timeout):
        s = key.fileobj
        if s in pending:
            pending.discard(s)
            opened_at[s] = time.monotonic()
            sel.modify(s, selectors.EVENT_READ)


# In bursts of 1,000 (a pause of 50 ms between): faster than any client could need, and
# within what the listener's accept queue holds.
for i in range(silent):
    s = socket.socket()
    s.setblocking(False)
    s.connect_ex(("127.0.0.1", port))
    pending.add(s)
    sel.register(s, selectors.EVENT_WRITE)
    if i % 1000 == 999:
        settle(0.05)
while pending and time.monotonic() - started < 30:
    settle(1)
print(f"opened {len(opened_at)} silent connections in {time.monotonic() - started:.2f} s")

asked = time.monotonic()
fresh = socket.create_connection(("127.0.0.1", port), timeout=30)
fresh.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
answer = fresh.recv(64)
waited = time.monotonic() - asked
fresh.close()
status = answer.split(b"\r\n")[0].decode()
print(f"fresh /healthz: {status} in {waited * 1000:.1f} ms")

closed, slowest = 0, 0.0
deadline = time.monotonic() + 30
while opened_at and time.monotonic() < deadline:
    for key, _ in sel.select(timeout=0.1):
        s = key.fileobj
        if s not in opened_at:
            continue
        try:
            data = s.recv(4096)
        except (ConnectionResetError, BlockingIOError) as e:
            if isinstance(e, BlockingIOError):
                continue
            data = b""
        if data:
            continue
        slowest = max(slowest, time.monotonic() - opened_at.pop(s))
        sel.unregister(s)
        s.close()
        closed += 1
print(f"closed by the server: {closed} of {silent}; the last {slowest:.2f} s after it was opened")
if opened_at:
    # A connect the kernel completed while the listener's accept queue was full is
    # dropped on the server's side (tcp_abort_on_overflow=0): the client believes it
    # open, the server never had it. The server-side count below tells them apart.
    print(f"open on the client's side only after 30 s: {len(opened_at)}")
PY
echo "connections the server still holds: $(server_side)"
echo "connects dropped by the kernel's full accept queue: $(( $(overflows) - OVERFLOWS_BEFORE ))"
echo "\"at the connection cap\" warnings in the server log: $(grep -c 'at the connection cap' "$WORK/server.log" || true)"
