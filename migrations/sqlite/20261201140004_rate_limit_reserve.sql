-- An account's own share of each Okta rate-limit window kept for the org's admins (percent
-- of the window's limit); NULL follows OKTA_RATE_LIMIT_RESERVE_PERCENT.
ALTER TABLE accounts ADD COLUMN rate_limit_reserve INTEGER
    CONSTRAINT accounts_rate_limit_reserve_range CHECK (rate_limit_reserve BETWEEN 0 AND 90);
