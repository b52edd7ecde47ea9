-- Idempotency keys: the first request with a key claims it (the primary key decides who won),
-- runs, and stores its final answer; repeats get that answer. Scoped per gateway key
-- (`caller` is its hash). Times are Unix milliseconds. `body` is AES-GCM ciphertext under the
-- token key ring when `encrypted` (answers that carry credentials).
CREATE TABLE idempotency_keys (
    caller        TEXT NOT NULL,
    idem_key      TEXT NOT NULL,
    request_hash  TEXT NOT NULL,
    claim_id      TEXT NOT NULL,
    state         TEXT NOT NULL,
    lease_until   INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    status        INTEGER,
    headers       TEXT,
    body          BLOB,
    encrypted     INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL DEFAULT (unixepoch()),
    updated_at    INTEGER NOT NULL DEFAULT (unixepoch()),
    CONSTRAINT idempotency_keys_pkey PRIMARY KEY (caller, idem_key),
    CONSTRAINT idempotency_keys_state CHECK (state IN ('running', 'done'))
);

CREATE INDEX idempotency_keys_expires_at ON idempotency_keys (expires_at);
