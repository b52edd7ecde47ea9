-- The audit trail: one row per mutating action and per account change. Times are Unix
-- microseconds (UTC), as on SQLite, so one keyset cursor works on both backends. Never a secret.
CREATE TABLE audit_entries (
    id               BIGINT GENERATED ALWAYS AS IDENTITY,
    at_us            BIGINT NOT NULL,
    key_id           TEXT NOT NULL,
    account          TEXT NOT NULL,
    action           TEXT NOT NULL,
    targets          TEXT NOT NULL,
    dry_run          BOOLEAN NOT NULL,
    outcome          TEXT NOT NULL,
    okta_request_ids TEXT NOT NULL,
    request_id       TEXT NOT NULL,
    CONSTRAINT audit_entries_pkey PRIMARY KEY (id)
);
CREATE INDEX audit_entries_at ON audit_entries (at_us, id);
CREATE INDEX audit_entries_account ON audit_entries (account, at_us, id);
CREATE INDEX audit_entries_action ON audit_entries (action, at_us, id);
CREATE INDEX audit_entries_key ON audit_entries (key_id, at_us, id);

-- Every reference a row's targets go by (as given, resolved id, login), for the target filter.
CREATE TABLE audit_targets (
    entry_id  BIGINT NOT NULL,
    reference TEXT NOT NULL,
    CONSTRAINT audit_targets_pkey PRIMARY KEY (reference, entry_id),
    CONSTRAINT audit_targets_entry FOREIGN KEY (entry_id) REFERENCES audit_entries (id) ON DELETE CASCADE
);
CREATE INDEX audit_targets_entry_idx ON audit_targets (entry_id);
