-- Aggregates that stats read instead of the detail rows, written in the same
-- transaction as the detail rows they sum (flushes, imports, referrer folding).
--
-- Every text key of the count tables compares bytewise (COLLATE "C"), as in SQLite:
-- whatever the database's locale, rows and referrers sort alike on both stores, so
-- the top-N cut and an export's order are the same, and key order is index order.
ALTER TABLE counts
    ALTER COLUMN slug TYPE TEXT COLLATE "C",
    ALTER COLUMN day TYPE TEXT COLLATE "C",
    ALTER COLUMN kind TYPE TEXT COLLATE "C",
    ALTER COLUMN referrer TYPE TEXT COLLATE "C";

-- Per tool, UTC day and kind: the sum of counts over referrers. Kept forever;
-- totals and the daily series read only this (at most 4 rows a tool-day).
CREATE TABLE daily_counts (
    slug TEXT COLLATE "C" NOT NULL,
    day  TEXT COLLATE "C" NOT NULL,
    kind TEXT COLLATE "C" NOT NULL,
    n    BIGINT NOT NULL,
    PRIMARY KEY (slug, day, kind)
);
CREATE INDEX daily_counts_by_day ON daily_counts (day);

-- Per tool and referrer: impressions (badge + widget) and clicks over aligned
-- spans of 1, 4, 16 and 64 days (start = days since 1970-01-01, a multiple of
-- span). Any window of whole days is a union of at most 21 such spans (12 for a
-- typical year), so the top referrers of a year sum about 12 rows a referrer
-- instead of 366 × kinds. Bots are not referrers and are not kept here.
CREATE TABLE referrer_spans (
    slug        TEXT COLLATE "C" NOT NULL,
    span        BIGINT NOT NULL,
    start       BIGINT NOT NULL,
    referrer    TEXT COLLATE "C" NOT NULL,
    impressions BIGINT NOT NULL,
    clicks      BIGINT NOT NULL,
    PRIMARY KEY (slug, span, start, referrer)
);

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
    folded_before TEXT COLLATE "C"
);
INSERT INTO referrer_fold (id, folded_before) VALUES (1, NULL);

-- Backfill from the detail rows already stored.
INSERT INTO daily_counts (slug, day, kind, n)
    SELECT slug, day, kind, SUM(n) FROM counts GROUP BY slug, day, kind;
INSERT INTO referrer_spans (slug, span, start, referrer, impressions, clicks)
    SELECT d.slug, s.span, d.dn - d.dn % s.span, d.referrer, SUM(d.imp), SUM(d.clk)
    FROM (
        SELECT slug, referrer,
               (day::date - DATE '1970-01-01')::BIGINT AS dn,
               CASE WHEN kind IN ('badge', 'widget') THEN n ELSE 0 END AS imp,
               CASE WHEN kind = 'click' THEN n ELSE 0 END AS clk
        FROM counts WHERE kind <> 'bot'
    ) AS d
    CROSS JOIN (VALUES (1::BIGINT), (4), (16), (64)) AS s (span)
    GROUP BY d.slug, s.span, d.dn - d.dn % s.span, d.referrer;
