-- Connected Okta accounts. The API token is stored only as AES-GCM ciphertext.
CREATE TABLE accounts (
    name             TEXT NOT NULL,
    domain           TEXT NOT NULL,
    token_ciphertext BLOB NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    last_verified_at TEXT,
    last_error       TEXT,
    CONSTRAINT accounts_pkey PRIMARY KEY (name),
    CONSTRAINT accounts_name_format CHECK (length(name) BETWEEN 1 AND 64 AND name NOT GLOB '*[^a-z0-9_]*')
);
