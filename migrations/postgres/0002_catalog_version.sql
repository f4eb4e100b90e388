-- Bumped by every verdict write, in the same transaction. Each instance polls it
-- and drops its cached verdicts when it moves, so a write through one instance
-- is served by all of them within one poll interval.
CREATE TABLE catalog_version (
    id      INTEGER PRIMARY KEY,
    version BIGINT NOT NULL
);
INSERT INTO catalog_version (id, version) VALUES (1, 0);
