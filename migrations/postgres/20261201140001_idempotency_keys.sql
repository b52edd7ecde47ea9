-- Idempotency keys: the first request with a key claims it (the primary key decides who won,
-- across replicas), runs, and stores its final answer; repeats get that answer. Scoped per
-- gateway key (`caller` is its hash), so one caller never reads another's answers. Times are
-- Unix milliseconds by the gateways' clocks (leases are tens of seconds; small skew is harmless).
-- `body` is AES-GCM ciphertext under the token key ring when `encrypted` (answers that carry
-- credentials), so rotate-key re-encrypts those rows too.
CREATE TABLE idempotency_keys (
    caller        TEXT NOT NULL,
    idem_key      TEXT NOT NULL,
    request_hash  TEXT NOT NULL,
    claim_id      TEXT NOT NULL,
    state         TEXT NOT NULL,
    lease_until   BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    status        INTEGER,
    headers       TEXT,
    body          BYTEA,
    encrypted     BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT idempotency_keys_pkey PRIMARY KEY (caller, idem_key),
    CONSTRAINT idempotency_keys_state CHECK (state IN ('running', 'done'))
);

CREATE INDEX idempotency_keys_expires_at ON idempotency_keys (expires_at);
