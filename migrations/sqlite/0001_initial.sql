-- Verdicts, as the contract's JSON record (validated again when read).
CREATE TABLE verdicts (
    slug       TEXT PRIMARY KEY,
    record     TEXT NOT NULL,
    written_at BIGINT NOT NULL
);

-- One row per tool, UTC day, kind (badge, widget, click, bot) and referrer host.
-- Flushes add to n; they never overwrite it.
CREATE TABLE counts (
    slug     TEXT NOT NULL,
    day      TEXT NOT NULL,
    kind     TEXT NOT NULL,
    referrer TEXT NOT NULL,
    n        BIGINT NOT NULL,
    PRIMARY KEY (slug, day, kind, referrer)
);

-- Every applied flush batch, keyed by the instance that sent it and its sequence
-- number, written in the same transaction as its counts: a batch retried after
-- an unacknowledged commit is recognised and not counted twice.
CREATE TABLE flush_log (
    instance   TEXT NOT NULL,
    seq        BIGINT NOT NULL,
    applied_at BIGINT NOT NULL,
    PRIMARY KEY (instance, seq)
);

-- Stats keys, stored only as SHA-256 hashes.
CREATE TABLE stats_keys (
    key_hash   TEXT PRIMARY KEY,
    slug       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX stats_keys_by_slug ON stats_keys (slug);
