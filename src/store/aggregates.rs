//! Aggregates over the count rows, and the reads that use them.
//!
//! Two tables sum the detail rows of `counts` (one row per tool, day, kind and
//! referrer host) and are written in the same transaction as the rows they sum:
//!
//! - `daily_counts`: per tool, day and kind. Totals and the daily series of a
//!   window read at most 4 rows a day.
//! - `referrer_spans`: per tool and referrer, impressions and clicks over aligned
//!   spans of 1, 4, 16 and 64 days ([`SPANS`]). A window of whole days is cut into
//!   the fewest aligned spans ([`window_spans`]: at most 21 for a year, 12 for most),
//!   so the top referrers of a year add up about 12 rows a referrer, in SQL, with a
//!   limit, whatever the history holds.
//!
//! Monthly rollups were measured against this: whole months plus the partial months
//! at either end read from daily detail cost a year's read 11 month rows plus up to
//! ~31 days of detail a referrer, 4–6 times as many rows as these spans.

use super::counts::{count_value, day_text, parse_count, parse_day};
use super::{Backend, Store, StoreResult};
use crate::counts::{CountRow, Kind};
use crate::verdict::Slug;
use sqlx::{AnyConnection, Row};
use time::Date;

/// Lengths of the referrer spans, in days, longest first. Each is a multiple of the
/// next, and every span starts on a multiple of its length (days since 1970-01-01).
pub const SPANS: [i64; 4] = [64, 16, 4, 1];

/// Julian day number of 1970-01-01.
const UNIX_EPOCH_JULIAN_DAY: i64 = 2_440_588;

/// Days since 1970-01-01.
pub fn day_number(day: Date) -> i64 {
    i64::from(day.to_julian_day()) - UNIX_EPOCH_JULIAN_DAY
}

/// First day of the `span`-day block holding `day`, as a day number.
pub fn span_start(day: Date, span: i64) -> i64 {
    let n = day_number(day);
    n - n.rem_euclid(span)
}

/// A run of consecutive spans of one length: starts from `first` to `last`, inclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpanRun {
    /// Span length in days.
    pub span: i64,
    /// Start (day number) of the first span of the run.
    pub first: i64,
    /// Start (day number) of the last span of the run.
    pub last: i64,
}

/// The fewest aligned spans that cover `from..=to` exactly, as runs of one length.
///
/// Greedy from the left: at each day, the longest span that starts there and ends
/// within the window. Lengths rise towards the middle and fall towards the end, so
/// spans of one length come in at most two runs.
pub fn window_spans(from: Date, to: Date) -> Vec<SpanRun> {
    let (mut p, end) = (day_number(from), day_number(to));
    let mut runs: Vec<SpanRun> = Vec::new();
    while p <= end {
        let span = SPANS
            .into_iter()
            .find(|&s| p.rem_euclid(s) == 0 && p + s - 1 <= end)
            .expect("a one-day span always fits");
        match runs.last_mut() {
            Some(run) if run.span == span && run.last + span == p => run.last = p,
            _ => runs.push(SpanRun {
                span,
                first: p,
                last: p,
            }),
        }
        p += span;
    }
    runs
}

/// One day's sums of a tool, by kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DayTotals {
    /// The UTC day.
    pub day: Date,
    /// Badge impressions.
    pub badge: u64,
    /// Widget impressions.
    pub widget: u64,
    /// Clicks.
    pub click: u64,
    /// Bot requests.
    pub bot: u64,
}

/// One referrer's sums over a window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReferrerTotals {
    /// Host, `(direct)` or `(other)`.
    pub referrer: String,
    /// Badge and widget impressions.
    pub impressions: u64,
    /// Clicks.
    pub clicks: u64,
}

/// What the stats of a window are made of, read in one statement (one snapshot).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WindowCounts {
    /// Days that have counts, oldest first (days without are absent).
    pub days: Vec<DayTotals>,
    /// The top referrers, most impressions first, then most clicks, then by host.
    pub referrers: Vec<ReferrerTotals>,
}

/// The per-day pivot of `daily_counts` for `$1` (slug), `$2..=$3` (days).
const DAILY_SQL: &str = "SELECT 'day' AS part, day AS label, \
     CAST(SUM(CASE WHEN kind = 'badge' THEN n ELSE 0 END) AS BIGINT) AS a, \
     CAST(SUM(CASE WHEN kind = 'widget' THEN n ELSE 0 END) AS BIGINT) AS b, \
     CAST(SUM(CASE WHEN kind = 'click' THEN n ELSE 0 END) AS BIGINT) AS c, \
     CAST(SUM(CASE WHEN kind = 'bot' THEN n ELSE 0 END) AS BIGINT) AS d \
     FROM daily_counts WHERE slug = $1 AND day >= $2 AND day <= $3 GROUP BY day";

impl Store {
    /// Days and top referrers of one tool over `from..=to`, summed in SQL from the
    /// aggregates: one statement, so days and referrers come from one snapshot. Hosts
    /// tied on counts order bytewise on both stores (PostgreSQL's count tables are
    /// `COLLATE "C"`), so the cut at `top` is the same everywhere.
    pub async fn window_counts(
        &self,
        slug: &Slug,
        from: Date,
        to: Date,
        top: usize,
    ) -> StoreResult<WindowCounts> {
        let runs = window_spans(from, to);
        let mut parts = Vec::with_capacity(runs.len());
        for i in 0..runs.len() {
            let p = 4 + i * 3;
            parts.push(format!(
                "SELECT referrer, impressions, clicks FROM referrer_spans \
                 WHERE slug = $1 AND span = ${} AND start >= ${} AND start <= ${}",
                p,
                p + 1,
                p + 2
            ));
        }
        let limit = 4 + runs.len() * 3;
        let sql = format!(
            "{DAILY_SQL} UNION ALL SELECT * FROM (\
             SELECT 'referrer' AS part, referrer AS label, \
             CAST(SUM(impressions) AS BIGINT) AS a, CAST(SUM(clicks) AS BIGINT) AS b, \
             CAST(0 AS BIGINT) AS c, CAST(0 AS BIGINT) AS d \
             FROM ({}) AS w GROUP BY referrer HAVING SUM(impressions) + SUM(clicks) > 0 \
             ORDER BY a DESC, b DESC, referrer LIMIT ${limit}) AS top",
            parts.join(" UNION ALL ")
        );
        let mut query = sqlx::query(&sql)
            .bind(slug.as_str())
            .bind(day_text(from))
            .bind(day_text(to));
        for run in &runs {
            query = query.bind(run.span).bind(run.first).bind(run.last);
        }
        let query = query.bind(i64::try_from(top).unwrap_or(i64::MAX));
        let rows = match self.backend() {
            Backend::Sqlite => query.fetch_all(&self.pool()).await?,
            // PostgreSQL plans this as a parallel query, and starting its workers costs
            // more than the whole answer: 25 ms instead of 8 for a 200-site year, worse
            // on a busy machine. Read it without, in a transaction of its own that
            // writes nothing and is rolled back.
            Backend::Postgres => {
                let mut tx = self.pool().begin().await?;
                sqlx::query("SET LOCAL max_parallel_workers_per_gather = 0")
                    .execute(&mut *tx)
                    .await?;
                let rows = query.fetch_all(&mut *tx).await?;
                tx.rollback().await?;
                rows
            }
        };
        let mut out = WindowCounts::default();
        for row in rows {
            let part: String = row.get(0);
            let label: String = row.get(1);
            let [a, b, c, d] = [2, 3, 4, 5].map(|i| row.get::<i64, _>(i));
            if part == "day" {
                out.days.push(DayTotals {
                    day: parse_day(label)?,
                    badge: parse_count(a)?,
                    widget: parse_count(b)?,
                    click: parse_count(c)?,
                    bot: parse_count(d)?,
                });
            } else {
                out.referrers.push(ReferrerTotals {
                    referrer: label,
                    impressions: parse_count(a)?,
                    clicks: parse_count(b)?,
                });
            }
        }
        // UNION ALL promises no order: put both parts in theirs (≤ 366 + top rows).
        out.days.sort_by_key(|d| d.day);
        out.referrers.sort_by(|x, y| {
            (y.impressions, y.clicks)
                .cmp(&(x.impressions, x.clicks))
                .then_with(|| x.referrer.cmp(&y.referrer))
        });
        Ok(out)
    }

    /// Days of one tool over `from..=to` that have counts, oldest first.
    pub async fn daily_totals(
        &self,
        slug: &Slug,
        from: Date,
        to: Date,
    ) -> StoreResult<Vec<DayTotals>> {
        let rows = sqlx::query(&format!("{DAILY_SQL} ORDER BY day"))
            .bind(slug.as_str())
            .bind(day_text(from))
            .bind(day_text(to))
            .fetch_all(&self.pool())
            .await?;
        rows.into_iter()
            .map(|row| {
                Ok(DayTotals {
                    day: parse_day(row.get(1))?,
                    badge: parse_count(row.get(2))?,
                    widget: parse_count(row.get(3))?,
                    click: parse_count(row.get(4))?,
                    bot: parse_count(row.get(5))?,
                })
            })
            .collect()
    }
}

/// Adds the sums of `rows` (coalesced, sorted) to both aggregate tables.
///
/// Keys are written in sorted order, table after table, as the detail rows are:
/// concurrent writers then take row locks in one order and cannot deadlock.
///
/// The sums are made as they are written, a statement's rows at a time, not gathered
/// first: a flush of a busy minute holds tens of thousands of keys, and maps of every
/// sum were the largest thing a flush allocated (7 MB at the heap's peak with 10,000
/// tools, BENCHMARKS.md "Fourth pass").
///
/// The sums are made twice, once to count them (the statements' sizes depend on how
/// many there are) and once to write them: a few sorts of one tool's rows each, off the
/// request path, for memory that stays one tool's and one statement's.
pub(super) async fn add(conn: &mut AnyConnection, rows: &[CountRow]) -> StoreResult<()> {
    let params = Params::of(conn);
    let mut daily = daily_sums(rows);
    for size in statement_sizes(daily_sums(rows).count(), ROWS_PER_STATEMENT) {
        let sql = upsert_sql(
            params,
            "daily_counts (slug, day, kind, n)",
            4,
            size,
            "(slug, day, kind) DO UPDATE SET n = daily_counts.n + excluded.n",
        );
        let mut query = sqlx::query(&sql);
        for ((slug, day, kind), n) in daily.by_ref().take(size) {
            query = query
                .bind(slug)
                .bind(day_text(day))
                .bind(kind.as_str())
                .bind(count_value(n)?);
        }
        query.execute(&mut *conn).await?;
    }
    let mut spans = span_sums(rows);
    for size in statement_sizes(span_sums(rows).count(), ROWS_PER_STATEMENT) {
        let sql = upsert_sql(
            params,
            "referrer_spans (slug, span, start, referrer, impressions, clicks)",
            6,
            size,
            "(slug, span, start, referrer) DO UPDATE SET \
             impressions = referrer_spans.impressions + excluded.impressions, \
             clicks = referrer_spans.clicks + excluded.clicks",
        );
        let mut query = sqlx::query(&sql);
        for ((slug, span, start, referrer), (imp, clk)) in spans.by_ref().take(size) {
            query = query
                .bind(slug)
                .bind(span)
                .bind(start)
                .bind(referrer)
                .bind(count_value(imp)?)
                .bind(count_value(clk)?);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// A `daily_counts` key: tool, day, kind.
type DailyKey<'a> = (&'a str, Date, Kind);
/// A `referrer_spans` key: tool, span length, span start, referrer.
type SpanKey<'a> = (&'a str, i64, i64, &'a str);

/// One tool's `referrer_spans` key (span length, start, referrer) with its sums.
type ToolSpan<'a> = ((i64, i64, &'a str), (u64, u64));

/// The `daily_counts` sums of sorted rows, in key order. A daily key is a prefix of a
/// row's key, so the rows it sums are adjacent.
fn daily_sums(rows: &[CountRow]) -> impl Iterator<Item = (DailyKey<'_>, u64)> {
    rows.chunk_by(|a, b| (&a.slug, a.day, a.kind) == (&b.slug, b.day, b.kind))
        .map(|same| {
            let first = &same[0];
            let n = same.iter().map(|row| row.n).sum();
            ((first.slug.as_str(), first.day, first.kind), n)
        })
}

/// The `referrer_spans` sums (impressions, clicks) of sorted rows, in key order: one
/// tool's rows at a time, since the tool leads both keys. Bot loads are in neither sum.
fn span_sums(rows: &[CountRow]) -> impl Iterator<Item = (SpanKey<'_>, (u64, u64))> {
    rows.chunk_by(|a, b| a.slug == b.slug).flat_map(|tool| {
        // (span, start, referrer) with (impressions, clicks), for this tool.
        let mut sums: Vec<ToolSpan> = Vec::new();
        for row in tool {
            let (imp, clk) = match row.kind {
                Kind::Badge | Kind::Widget => (row.n, 0),
                Kind::Click => (0, row.n),
                Kind::Bot => continue,
            };
            for span in SPANS {
                let key = (span, span_start(row.day, span), row.referrer.as_str());
                sums.push((key, (imp, clk)));
            }
        }
        sums.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        sums.dedup_by(|later, kept| {
            let same = later.0 == kept.0;
            if same {
                kept.1.0 += later.1.0;
                kept.1.1 += later.1.1;
            }
            same
        });
        let slug = tool[0].slug.as_str();
        sums.into_iter()
            .map(move |((span, start, referrer), sums)| ((slug, span, start, referrer), sums))
    })
}

/// Most rows per aggregate `INSERT`: 256 rows of 6 values stay far below both backends'
/// parameter limits. A power of two (see [`statement_chunks`]).
const ROWS_PER_STATEMENT: usize = 256;

/// `rows` cut into statements of a few fixed sizes ([`statement_sizes`]).
pub(super) fn statement_chunks<T>(rows: &[T], most: usize) -> impl Iterator<Item = &[T]> {
    let mut rest = rows;
    statement_sizes(rows.len(), most).map(move |size| {
        let (chunk, tail) = rest.split_at(size);
        rest = tail;
        chunk
    })
}

/// The sizes of the statements that write `rows` rows: as many of `most` rows as fit,
/// then the rest in falling powers of two (`most` is one), so at most one statement of
/// each smaller size.
///
/// Every connection keeps each statement it has prepared (sqlx's statement cache), and a
/// many-row `INSERT` differs with its row count. Cut by `chunks`, a flush's last
/// statement had any length from 1 to `most`, so the cache filled with up to a hundred
/// statements a connection that were rarely run again (most of SQLite's 15.7 MB in the
/// heap profile, BENCHMARKS.md) and each flush prepared new ones. With these sizes a
/// connection prepares at most log2(`most`) + 1 statements per table, once.
pub(super) fn statement_sizes(rows: usize, most: usize) -> impl Iterator<Item = usize> {
    debug_assert!(most.is_power_of_two());
    let mut rest = rows;
    std::iter::from_fn(move || {
        if rest == 0 {
            return None;
        }
        // The largest power of two not above what is left, capped at `most`.
        let size = most.min(1 << rest.ilog2());
        rest -= size;
        Some(size)
    })
}

/// How the parameters of a many-row statement are written.
///
/// SQLite finds a named parameter (`$N`) by a linear search of the statement's names,
/// and sqlx asks for each parameter's name at every execution: quadratic in the
/// parameters of a statement, 43 µs a row for a 500-row insert of 6 values. `?`
/// parameters bind by position. PostgreSQL has only `$N`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Params {
    /// `$1, $2, …` (PostgreSQL).
    Numbered,
    /// `?, ?, …` (SQLite).
    Positional,
}

impl Params {
    /// The style the connection's database binds fastest.
    pub(super) fn of(conn: &AnyConnection) -> Params {
        if conn.backend_name().eq_ignore_ascii_case("sqlite") {
            Params::Positional
        } else {
            Params::Numbered
        }
    }
}

/// `INSERT INTO {table} VALUES (…), … ON CONFLICT {conflict}` for `rows` rows of
/// `width` values.
pub(super) fn upsert_sql(
    params: Params,
    table: &str,
    width: usize,
    rows: usize,
    conflict: &str,
) -> String {
    let mut sql = insert_sql(params, table, width, rows);
    sql.push_str(" ON CONFLICT ");
    sql.push_str(conflict);
    sql
}

/// `INSERT INTO {table} VALUES (…), …` for `rows` rows of `width` values.
pub(super) fn insert_sql(params: Params, table: &str, width: usize, rows: usize) -> String {
    use std::fmt::Write as _;
    let mut sql = format!("INSERT INTO {table} VALUES ");
    for i in 0..rows {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for j in 0..width {
            if j > 0 {
                sql.push_str(", ");
            }
            match params {
                Params::Numbered => {
                    let _ = write!(sql, "${}", i * width + j + 1);
                }
                Params::Positional => sql.push('?'),
            }
        }
        sql.push(')');
    }
    sql
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use time::macros::date;

    #[test]
    fn day_numbers_count_from_1970() {
        assert_eq!(day_number(date!(1970 - 01 - 01)), 0);
        assert_eq!(day_number(date!(1970 - 02 - 01)), 31);
        assert_eq!(span_start(date!(1970 - 01 - 06), 4), 4);
        assert_eq!(span_start(date!(1969 - 12 - 31), 4), -4);
    }

    /// Every day of the window is covered once, by aligned spans only.
    fn assert_exact_cover(from: Date, to: Date) -> usize {
        let runs = window_spans(from, to);
        let mut next = day_number(from);
        let mut spans = 0;
        for run in &runs {
            assert!(SPANS.contains(&run.span));
            let mut s = run.first;
            while s <= run.last {
                assert_eq!(s, next, "{from}..{to}: {runs:?}");
                assert_eq!(s.rem_euclid(run.span), 0);
                next = s + run.span;
                s += run.span;
                spans += 1;
            }
        }
        assert_eq!(next, day_number(to) + 1, "{from}..{to}: {runs:?}");
        spans
    }

    #[test]
    fn windows_are_cut_into_few_aligned_spans() {
        let mut most = 0;
        let mut day = date!(2026 - 01 - 01);
        for _ in 0..400 {
            for len in [1, 2, 7, 30, 90, 366] {
                let to = day + time::Duration::days(len - 1);
                let spans = assert_exact_cover(day, to);
                if len == 366 {
                    most = most.max(spans);
                }
                assert!(window_spans(day, to).len() <= 2 * SPANS.len());
            }
            day = day.next_day().unwrap();
        }
        assert!(most <= 21, "a year took {most} spans");
    }

    /// A flush batch as the tally drains one: sorted, each key once, every kind, tools
    /// with one referrer and with many, days either side of span boundaries.
    fn batch() -> Vec<CountRow> {
        let mut rows = Vec::new();
        let mut day = date!(2026 - 02 - 25);
        for tool in 0..40u64 {
            let slug = Slug::parse(&format!("tool-{tool}")).unwrap();
            for d in 0..(1 + tool % 9) {
                for (k, kind) in Kind::ALL.into_iter().enumerate() {
                    for referrer in 0..(tool % 4) {
                        rows.push(CountRow {
                            slug: slug.clone(),
                            day: day + time::Duration::days(d as i64 * 3),
                            kind,
                            referrer: format!("site-{referrer}.example"),
                            n: 1 + (tool * 7 + d * 3 + k as u64 + referrer) % 11,
                        });
                    }
                }
            }
            day = day.next_day().unwrap();
        }
        rows.sort();
        rows
    }

    #[test]
    fn sums_are_made_in_key_order_as_maps_of_every_key_would_make_them() {
        let rows = batch();
        assert!(rows.windows(2).all(|w| !w[0].same_key(&w[1])));
        let mut daily: BTreeMap<DailyKey, u64> = BTreeMap::new();
        let mut spans: BTreeMap<SpanKey, (u64, u64)> = BTreeMap::new();
        for row in &rows {
            *daily
                .entry((row.slug.as_str(), row.day, row.kind))
                .or_default() += row.n;
            let (imp, clk) = match row.kind {
                Kind::Badge | Kind::Widget => (row.n, 0),
                Kind::Click => (0, row.n),
                Kind::Bot => continue,
            };
            for span in SPANS {
                let key = (
                    row.slug.as_str(),
                    span,
                    span_start(row.day, span),
                    row.referrer.as_str(),
                );
                let sums = spans.entry(key).or_default();
                sums.0 += imp;
                sums.1 += clk;
            }
        }
        assert!(spans.len() > 500, "{} span keys", spans.len());
        assert_eq!(
            daily_sums(&rows).collect::<Vec<_>>(),
            daily.into_iter().collect::<Vec<_>>()
        );
        assert_eq!(
            span_sums(&rows).collect::<Vec<_>>(),
            spans.into_iter().collect::<Vec<_>>()
        );
    }

    #[test]
    fn statements_come_in_few_sizes_and_cover_every_row_in_order() {
        let mut sizes = std::collections::BTreeSet::new();
        for n in 0..1_000usize {
            let rows: Vec<usize> = (0..n).collect();
            let chunks: Vec<&[usize]> = statement_chunks(&rows, 64).collect();
            assert_eq!(chunks.concat(), rows, "{n} rows");
            for (i, chunk) in chunks.iter().enumerate() {
                assert!(chunk.len().is_power_of_two() && chunk.len() <= 64);
                // Full statements first, then each smaller size at most once, falling.
                if let Some(next) = chunks.get(i + 1) {
                    assert!(next.len() < chunk.len() || chunk.len() == 64, "{n} rows");
                }
            }
            sizes.extend(chunks.iter().map(|c| c.len()));
        }
        assert_eq!(
            sizes.into_iter().collect::<Vec<_>>(),
            [1, 2, 4, 8, 16, 32, 64]
        );
    }

    #[test]
    fn upserts_number_their_parameters() {
        assert_eq!(
            upsert_sql(Params::Numbered, "t (a, b)", 2, 2, "(a) DO NOTHING"),
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4) ON CONFLICT (a) DO NOTHING"
        );
        assert_eq!(
            insert_sql(Params::Positional, "t (a, b)", 2, 2),
            "INSERT INTO t (a, b) VALUES (?, ?), (?, ?)"
        );
    }
}
