-- An account connects with an API token or an OAuth 2.0 service app. Either way its secret
-- (the token, or the app's private key) is the one AES-GCM ciphertext column, so key rotation
-- re-encrypts both alike. A service app's client id, key id and granted scopes are not secret.
ALTER TABLE accounts RENAME COLUMN token_ciphertext TO secret_ciphertext;
ALTER TABLE accounts ADD COLUMN oauth_client_id TEXT;
ALTER TABLE accounts ADD COLUMN oauth_key_id TEXT;
-- Space-separated, as OAuth writes scopes; set exactly when oauth_client_id is.
ALTER TABLE accounts ADD COLUMN oauth_scopes TEXT;
