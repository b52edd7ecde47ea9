-- Connected Okta accounts. The API token is stored only as AES-GCM ciphertext.
CREATE TABLE accounts (
    name             TEXT NOT NULL,
    domain           TEXT NOT NULL,
    token_ciphertext BYTEA NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    last_verified_at TIMESTAMPTZ,
    last_error       TEXT,
    CONSTRAINT accounts_pkey PRIMARY KEY (name),
    CONSTRAINT accounts_name_format CHECK (name ~ '^[a-z0-9_]{1,64}$')
);
