-- Marks the rows of answers repeated for an idempotency key (no Okta call was made), so a
-- flow's retries show in the trail.
ALTER TABLE audit_entries ADD COLUMN replayed BOOLEAN NOT NULL DEFAULT FALSE;
