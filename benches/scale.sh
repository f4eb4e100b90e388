#!/usr/bin/env bash
# Stats at scale: owners' reads against a production-sized history, on SQLite and on
# PostgreSQL, through the release server over HTTP.
#
#   benches/scale.sh                        # from the repository root; both stores
#   STORES=sqlite benches/scale.sh          # one store
#   SITES=1000 TOOLS=10000 RUNS=21 benches/scale.sh
#   PG_URL=postgres://postgres@127.0.0.1:5432/test benches/scale.sh
#
# The data set (generated here, imported with `verdict-badges counts import`):
#   - one popular tool, smolvlm-3b, on SITES sites (default 1,000) every day for a
#     year (366 days ending today): a badge, a widget and a click row per site and day,
#     plus direct loads and bots: ≈ 1.1 M rows;
#   - TOOLS other tools (default 10,000), each on 3 sites for the last 30 days: 5 rows
#     a day, 150 rows a tool, ≈ 1.5 M rows.
# The expected totals and top referrer are computed while generating, and every
# answer timed is checked against them first.
#
# Reported per store: import rows/s (as `counts import` prints it), the median of
# RUNS sequential requests for the popular tool's year (JSON and CSV) and month, and a
# small tool's month; the server's RSS before and after 40 concurrent year-long reads
# (20 at a time); and the storage each table takes (SQLite: dbstat; PostgreSQL:
# pg_total_relation_size), with bytes per row.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
SITES=${SITES:-1000}
TOOLS=${TOOLS:-10000}
RUNS=${RUNS:-21}
STORES=${STORES:-sqlite postgres}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/test}
TOKEN=scale-benchmark-admin-token-0123456789

WORK=$(mktemp -d /tmp/verdict-scale.XXXXXX)
PID=
SCHEMA=
cleanup() {
    if [ -n "$PID" ]; then
        kill -TERM "$PID" 2>/dev/null || true
        for _ in $(seq 1 100); do
            kill -0 "$PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$PID" 2>/dev/null || true
    fi
    if [ -n "$SCHEMA" ]; then
        psql -q "$PG_URL" -c "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

die() {
    echo "scale.sh: $*" >&2
    exit 1
}
for tool in curl jq awk; do
    command -v "$tool" >/dev/null || die "needs $tool"
done

echo "building the release binary (CARGO_TARGET_DIR=$TARGET_DIR)…" >&2
CARGO_TARGET_DIR=$TARGET_DIR cargo build --release --quiet
BIN=$TARGET_DIR/release/verdict-badges

# --- the data set -----------------------------------------------------------------
TODAY=$(date -u +%F)
echo "generating the data set ($SITES sites × 366 days, $TOOLS tools × 30 days)…" >&2
awk -v sites="$SITES" -v tools="$TOOLS" -v today="$TODAY" -v expect="$WORK/expected.json" '
function day(off,   cmd, d) { # the date off days before today
    cmd = "date -u -d \"" today " - " off " days\" +%F"; cmd | getline d; close(cmd); return d }
BEGIN {
    print "slug,date,kind,referrer,count"
    for (o = 365; o >= 0; o--) {
        d = day(o)
        for (s = 0; s < sites; s++) {
            host = sprintf("site%04d.example.com", s)
            b = 1 + (s * 7 + o * 13) % 97 + (s == 617 ? 40 : 0)
            w = 1 + (s * 3 + o * 5) % 41
            c = 1 + (s + o) % 9
            printf "smolvlm-3b,%s,badge,%s,%d\nsmolvlm-3b,%s,widget,%s,%d\nsmolvlm-3b,%s,click,%s,%d\n", d, host, b, d, host, w, d, host, c
            yb += b; yw += w; yc += c; imp[host] += b + w
            if (o < 30) { mb += b; mw += w; mc += c }
        }
        printf "smolvlm-3b,%s,badge,(direct),%d\nsmolvlm-3b,%s,bot,(direct),%d\n", d, 20 + o % 30, d, 50 + o % 7
        yb += 20 + o % 30; ybot += 50 + o % 7; imp["(direct)"] += 20 + o % 30
        if (o < 30) { mb += 20 + o % 30; mbot += 50 + o % 7 }
        if (o < 30) days30[o] = d
    }
    for (t = 1; t <= tools; t++) {
        slug = sprintf("tool-%05d", t)
        for (o = 29; o >= 0; o--) {
            d = days30[o]
            printf "%s,%s,badge,a.example,%d\n%s,%s,badge,b.example,%d\n%s,%s,badge,c.example,%d\n", slug, d, 1 + (t + o) % 13, slug, d, 1 + t % 5, slug, d, 2
            printf "%s,%s,widget,a.example,%d\n%s,%s,click,a.example,%d\n", slug, d, 1 + o % 3, slug, d, 1
            if (t == 1) { sb += 1 + (t + o) % 13 + 1 + t % 5 + 2; sw += 1 + o % 3; sc += 1 }
        }
    }
    for (h in imp) if (imp[h] > top || (imp[h] == top && h < tophost)) { top = imp[h]; tophost = h }
    printf "{\"year\":{\"badge_impressions\":%d,\"widget_impressions\":%d,\"clicks\":%d,\"bot_requests\":%d},", yb, yw, yc, ybot > expect
    printf "\"month\":{\"badge_impressions\":%d,\"widget_impressions\":%d,\"clicks\":%d,\"bot_requests\":%d},", mb, mw, mc, mbot > expect
    printf "\"top\":{\"host\":\"%s\",\"impressions\":%d},", tophost, top > expect
    printf "\"small\":{\"badge_impressions\":%d,\"widget_impressions\":%d,\"clicks\":%d,\"bot_requests\":0}}\n", sb, sw, sc > expect
}' >"$WORK/counts.csv"
ROWS=$(($(wc -l <"$WORK/counts.csv") - 1))
echo "  $ROWS rows, $(($(stat -c %s "$WORK/counts.csv") / 1048576)) MiB; expected: $(cat "$WORK/expected.json")" >&2

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

rss() { awk '$1 == "VmRSS:" {printf "%.1f", $2 / 1024}' "/proc/$PID/status"; }

# Median, in ms, of RUNS sequential GETs of PATH (after 2 warm-up requests).
median_ms() { # PATH
    local url=$BASE$1
    for _ in 1 2; do curl -fsS -o /dev/null -H "Authorization: Bearer $TOKEN" "$url"; done
    for _ in $(seq 1 "$RUNS"); do
        curl -fsS -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $TOKEN" "$url"
    done | sort -n | awk '{t[NR] = $1} END {printf "%.1f", t[int((NR + 1) / 2)] * 1000}'
}

check() { # PATH JQ-FILTER-ON-ANSWER EXPECTED-JQ-FILTER NAME
    local got want
    got=$(curl -fsS -H "Authorization: Bearer $TOKEN" "$BASE$1" | jq -c "$2")
    want=$(jq -c "$3" "$WORK/expected.json")
    [ "$got" = "$want" ] || die "$4: got $got, want $want"
    echo "  $4 exact: $got" >&2
}

declare -a TABLE STORAGE
run_store() { # sqlite|postgres
    local store=$1 url
    case $store in
    sqlite) url="sqlite://$WORK/scale.db" ;;
    postgres)
        command -v psql >/dev/null || die "needs psql for PostgreSQL"
        SCHEMA=vb_scale_$$
        psql -q "$PG_URL" -c "DROP SCHEMA IF EXISTS $SCHEMA CASCADE; CREATE SCHEMA $SCHEMA" >/dev/null
        url="$PG_URL?options%5Bsearch_path%5D=$SCHEMA"
        ;;
    esac
    echo "== $store: importing…" >&2
    local out cpu
    out=$(/usr/bin/time -o "$WORK/time" -f '%U %S' "$BIN" --database-url "$url" counts import "$WORK/counts.csv")
    echo "  $out" >&2
    local rate
    rate=$(echo "$out" | sed -E 's/.*\(([0-9]+) rows\/s\).*/\1/')
    # The importer's own CPU time (user + system): what the rate would be with a
    # core to itself; the database's CPU (PostgreSQL runs apart) is not in it.
    cpu=$(awk -v rows="$ROWS" '{printf "%.0f", rows / ($1 + $2)}' "$WORK/time")
    # A second import of the same file is refused and changes nothing.
    if "$BIN" --database-url "$url" counts import "$WORK/counts.csv" >/dev/null 2>"$WORK/again.err"; then
        die "a second import of the same file was accepted"
    fi
    echo "  second import refused: $(tail -1 "$WORK/again.err")" >&2
    if [ "$store" = postgres ]; then
        # What autovacuum does shortly after a bulk load, done now: statistics for the
        # planner and the visibility map for index-only scans.
        psql -q "$PG_URL" -c "VACUUM ANALYZE $SCHEMA.counts, $SCHEMA.daily_counts, $SCHEMA.referrer_spans" >/dev/null
    fi

    PORT=$(free_port)
    BASE=http://127.0.0.1:$PORT
    VERDICT_BADGES_ADMIN_TOKEN=$TOKEN VERDICT_BADGES_LOG=warn "$BIN" --database-url "$url" serve \
        --listen "127.0.0.1:$PORT" >"$WORK/server.log" 2>&1 &
    PID=$!
    for i in $(seq 1 300); do
        curl -fsS -o /dev/null --max-time 1 "$BASE/readyz" 2>/dev/null && break
        kill -0 "$PID" 2>/dev/null || die "the server exited: $(cat "$WORK/server.log")"
        [ "$i" = 300 ] && die "not ready after 30 s"
        sleep 0.1
    done

    check "/api/stats/smolvlm-3b?days=366" .totals .year "popular year totals"
    check "/api/stats/smolvlm-3b?days=366" '.referrers[0] | {host, impressions}' .top "popular year top referrer"
    check "/api/stats/smolvlm-3b?days=30" .totals .month "popular month totals"
    check "/api/stats/tool-00001?days=30" .totals .small "small tool month totals"
    local csv_days
    csv_days=$(curl -fsS -H "Authorization: Bearer $TOKEN" "$BASE/api/stats/smolvlm-3b.csv?days=366" | wc -l)
    [ "$csv_days" = 367 ] || die "the year's CSV has $csv_days lines"

    local year month small csv
    year=$(median_ms "/api/stats/smolvlm-3b?days=366")
    month=$(median_ms "/api/stats/smolvlm-3b?days=30")
    small=$(median_ms "/api/stats/tool-05000?days=30")
    csv=$(median_ms "/api/stats/smolvlm-3b.csv?days=366")

    local before after cfg=$WORK/urls.cfg
    before=$(rss)
    for _ in $(seq 1 40); do
        printf 'url = "%s/api/stats/smolvlm-3b?days=366"\noutput = "/dev/null"\n' "$BASE"
    done >"$cfg"
    timeout 300 curl -sS -Z --parallel-max 20 -H "Authorization: Bearer $TOKEN" \
        -w '%{http_code}\n' -K "$cfg" 2>/dev/null | awk '$1 != 200 {bad++} END {if (bad) exit 1}' ||
        die "a concurrent read failed"
    after=$(rss)
    TABLE+=("| $store | $rate ($cpu per CPU-s of the importer) | $year | $month | $small | $csv | $before → $after (+$(awk -v a="$before" -v b="$after" 'BEGIN {printf "%.1f", b - a}')) |")

    kill -TERM "$PID"
    wait "$PID" 2>/dev/null || true
    PID=

    case $store in
    sqlite)
        if command -v sqlite3 >/dev/null; then
            while IFS='|' read -r name bytes rows; do
                STORAGE+=("| sqlite | $name | $rows | $((bytes / 1048576)) | $(awk -v b="$bytes" -v r="$rows" 'BEGIN {printf "%.0f", r ? b / r : 0}') |")
            done < <(sqlite3 "$WORK/scale.db" "
                SELECT 'counts', (SELECT SUM(pgsize) FROM dbstat WHERE name = 'counts'), (SELECT COUNT(*) FROM counts)
                UNION ALL SELECT 'daily_counts', (SELECT SUM(pgsize) FROM dbstat WHERE name IN ('daily_counts', 'daily_counts_by_day')), (SELECT COUNT(*) FROM daily_counts)
                UNION ALL SELECT 'referrer_spans', (SELECT SUM(pgsize) FROM dbstat WHERE name = 'referrer_spans'), (SELECT COUNT(*) FROM referrer_spans)")
        fi
        rm -f "$WORK"/scale.db*
        ;;
    postgres)
        while IFS='|' read -r name bytes rows; do
            STORAGE+=("| postgres | $name | $rows | $((bytes / 1048576)) | $(awk -v b="$bytes" -v r="$rows" 'BEGIN {printf "%.0f", r ? b / r : 0}') |")
        done < <(psql -qAt "$PG_URL" -c "
            SELECT 'counts', pg_total_relation_size('$SCHEMA.counts'), (SELECT COUNT(*) FROM $SCHEMA.counts)
            UNION ALL SELECT 'daily_counts', pg_total_relation_size('$SCHEMA.daily_counts'), (SELECT COUNT(*) FROM $SCHEMA.daily_counts)
            UNION ALL SELECT 'referrer_spans', pg_total_relation_size('$SCHEMA.referrer_spans'), (SELECT COUNT(*) FROM $SCHEMA.referrer_spans)")
        psql -q "$PG_URL" -c "DROP SCHEMA $SCHEMA CASCADE" >/dev/null
        SCHEMA=
        ;;
    esac
}

for store in $STORES; do
    run_store "$store"
done

echo
echo "## Stats at scale: $ROWS rows ($SITES-site popular tool for a year, $TOOLS tools × 30 days), medians of $RUNS requests"
echo
echo "| store | import (rows/s) | popular year JSON (ms) | popular month JSON (ms) | small tool month JSON (ms) | popular year CSV (ms) | RSS, 40 concurrent year reads (MiB) |"
echo "|---|---:|---:|---:|---:|---:|---|"
for r in "${TABLE[@]}"; do echo "$r"; done
echo
echo "| store | table | rows | MiB | bytes/row |"
echo "|---|---|---:|---:|---:|"
for r in "${STORAGE[@]}"; do echo "$r"; done
