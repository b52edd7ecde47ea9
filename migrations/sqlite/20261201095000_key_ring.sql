-- One key check per token encryption key in use: a fixed text sealed under the key. A gateway
-- whose key ring cannot open every one holds different keys from the rest and refuses to
-- start, even while no account is stored.
CREATE TABLE key_checks (
    key_id      TEXT NOT NULL,
    check_value BLOB NOT NULL,
    created_at  INTEGER NOT NULL DEFAULT (unixepoch()),
    CONSTRAINT key_checks_pkey PRIMARY KEY (key_id)
);

-- The key ring of every running gateway (key ids only, the current one first), refreshed by a
-- heartbeat. Times are Unix seconds by SQLite's clock.
CREATE TABLE gateway_key_rings (
    process_id TEXT NOT NULL,
    label      TEXT NOT NULL,
    key_ids    TEXT NOT NULL,
    started_at INTEGER NOT NULL DEFAULT (unixepoch()),
    seen_at    INTEGER NOT NULL DEFAULT (unixepoch()),
    CONSTRAINT gateway_key_rings_pkey PRIMARY KEY (process_id)
);
