-- Aggregates that stats read instead of the detail rows, written in the same
-- transaction as the detail rows they sum (flushes, imports, referrer folding).
--
-- counts moves to a WITHOUT ROWID table: its primary key is the row, so each
-- row is stored once instead of twice (table + key index), which halves the
-- file's growth; rows are also read in key order without a second lookup.
CREATE TABLE counts_by_key (
    slug     TEXT NOT NULL,
    day      TEXT NOT NULL,
    kind     TEXT NOT NULL,
    referrer TEXT NOT NULL,
    n        BIGINT NOT NULL,
    PRIMARY KEY (slug, day, kind, referrer)
) WITHOUT ROWID;
INSERT INTO counts_by_key (slug, day, kind, referrer, n)
    SELECT slug, day, kind, referrer, n FROM counts;
DROP TABLE counts;
ALTER TABLE counts_by_key RENAME TO counts;

-- Per tool, UTC day and kind: the sum of counts over referrers. Kept forever;
-- totals and the daily series read only this (at most 4 rows a tool-day).
CREATE TABLE daily_counts (
    slug TEXT NOT NULL,
    day  TEXT NOT NULL,
    kind TEXT NOT NULL,
    n    BIGINT NOT NULL,
    PRIMARY KEY (slug, day, kind)
) WITHOUT ROWID;
CREATE INDEX daily_counts_by_day ON daily_counts (day);

-- Per tool and referrer: impressions (badge + widget) and clicks over aligned
-- spans of 1, 4, 16 and 64 days (start = days since 1970-01-01, a multiple of
-- span). Any window of whole days is a union of at most 21 such spans (12 for a
-- typical year), so the top referrers of a year sum about 12 rows a referrer
-- instead of 366 × kinds. Bots are not referrers and are not kept here.
CREATE TABLE referrer_spans (
    slug        TEXT NOT NULL,
    span        BIGINT NOT NULL,
    start       BIGINT NOT NULL,
    referrer    TEXT NOT NULL,
    impressions BIGINT NOT NULL,
    clicks      BIGINT NOT NULL,
    PRIMARY KEY (slug, span, start, referrer)
) WITHOUT ROWID;

-- Every counts file imported, by its SHA-256: a file imported again is refused.
CREATE TABLE count_imports (
    sha256      TEXT PRIMARY KEY,
    rows        BIGINT NOT NULL,
    imported_at BIGINT NOT NULL
);

-- Referrer detail of days before folded_before (YYYY-MM-DD) has been folded
-- into "(other)"; NULL until the first fold.
CREATE TABLE referrer_fold (
    id            INTEGER PRIMARY KEY,
    folded_before TEXT
);
INSERT INTO referrer_fold (id, folded_before) VALUES (1, NULL);

-- Backfill from the detail rows already stored.
INSERT INTO daily_counts (slug, day, kind, n)
    SELECT slug, day, kind, SUM(n) FROM counts GROUP BY slug, day, kind;
INSERT INTO referrer_spans (slug, span, start, referrer, impressions, clicks)
    SELECT d.slug, s.span, d.dn - d.dn % s.span, d.referrer, SUM(d.imp), SUM(d.clk)
    FROM (
        SELECT slug, referrer,
               CAST(julianday(day) - 2440587.5 AS INTEGER) AS dn,
               CASE WHEN kind IN ('badge', 'widget') THEN n ELSE 0 END AS imp,
               CASE WHEN kind = 'click' THEN n ELSE 0 END AS clk
        FROM counts WHERE kind <> 'bot'
    ) AS d
    CROSS JOIN (SELECT 1 AS span UNION ALL SELECT 4 UNION ALL SELECT 16 UNION ALL SELECT 64) AS s
    GROUP BY d.slug, s.span, d.dn - d.dn % s.span, d.referrer;
