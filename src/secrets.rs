//! Key material: the token encryption key and the gateway's bearer keys.
//!
//! With the embedded default (SQLite) and nothing configured, both are generated once into the
//! data directory (mode 0600) so the service runs out of the box. With Postgres, both must be
//! configured: several processes must share them, and a generated file would not be shared.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};

use crate::auth::ApiKeys;
use crate::config::Config;
use crate::crypto::TokenCipher;
use crate::store::AccountStore;

pub const TOKEN_KEY_FILE: &str = "token-encryption.key";
pub const ADMIN_KEY_FILE: &str = "admin.key";

/// Where the token encryption key came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    Environment,
    File(PathBuf),
}

/// Write a new secret file readable only by its owner; never overwrites.
fn write_secret_file(path: &Path, contents: &str) -> anyhow::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(contents.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()?;
    Ok(())
}

fn read_secret_file(path: &Path) -> anyhow::Result<Option<SecretString>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(SecretString::from(text.trim().to_owned()))),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(err).with_context(|| format!("reading {}", path.display())),
    }
}

fn data_dir(config: &Config) -> anyhow::Result<PathBuf> {
    let dir = config
        .data_dir()
        .context("the embedded database has no data directory")?;
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

/// The current token cipher: from `TOKEN_ENCRYPTION_KEY`, else (embedded default only) from
/// the key file, generated on first start.
pub fn token_cipher(config: &Config) -> anyhow::Result<(TokenCipher, KeySource)> {
    if let Some(key) = &config.token_encryption_key {
        let cipher =
            TokenCipher::from_base64(key.expose_secret()).context("TOKEN_ENCRYPTION_KEY")?;
        return Ok((cipher, KeySource::Environment));
    }
    if config.is_postgres() {
        bail!(
            "TOKEN_ENCRYPTION_KEY is required with Postgres (base64 of 32 random bytes, e.g. `openssl rand -base64 32`)"
        );
    }
    let path = data_dir(config)?.join(TOKEN_KEY_FILE);
    if let Some(key) = read_secret_file(&path)? {
        let cipher = TokenCipher::from_base64(key.expose_secret())
            .with_context(|| format!("{} does not hold a valid key", path.display()))?;
        return Ok((cipher, KeySource::File(path)));
    }
    let (cipher, encoded) = TokenCipher::generate();
    write_secret_file(&path, encoded.expose_secret())?;
    tracing::warn!(
        path = %path.display(),
        "generated a token encryption key; back it up: losing it loses every stored Okta token"
    );
    Ok((cipher, KeySource::File(path)))
}

/// Check that the key opens every stored token, so a wrong key fails at start-up rather than
/// on the first action. Also completes a key-file rotation interrupted after its commit.
pub async fn check_stored_tokens(
    store: &dyn AccountStore,
    cipher: TokenCipher,
    source: &KeySource,
) -> anyhow::Result<TokenCipher> {
    let rows = store.list().await.context("reading stored accounts")?;
    let opens = |cipher: &TokenCipher| {
        rows.iter()
            .all(|row| cipher.decrypt(&row.name, &row.token_ciphertext).is_ok())
    };
    if opens(&cipher) {
        return Ok(cipher);
    }
    if let KeySource::File(path) = source {
        let pending = pending_key_path(path);
        if let Some(key) = read_secret_file(&pending)?
            && let Ok(next) = TokenCipher::from_base64(key.expose_secret())
            && opens(&next)
        {
            std::fs::rename(&pending, path).context("completing an interrupted key rotation")?;
            tracing::warn!(path = %path.display(), "completed an interrupted key rotation");
            return Ok(next);
        }
    }
    bail!(
        "the token encryption key (key id {}) does not open the stored Okta tokens; start with the key they were written with",
        cipher.key_id_hex()
    )
}

fn pending_key_path(path: &Path) -> PathBuf {
    path.with_extension("key.new")
}

/// The gateway's bearer keys. With the embedded default and none configured, an admin key is
/// generated into the data directory and printed once to stderr.
pub fn api_keys(config: &Config) -> anyhow::Result<ApiKeys> {
    if !config.admin_keys.is_empty() || !config.api_keys.is_empty() {
        return Ok(ApiKeys::new(&config.admin_keys, &config.api_keys));
    }
    if config.is_postgres() {
        bail!("GATEWAY_ADMIN_KEYS (and usually GATEWAY_API_KEYS) are required with Postgres");
    }
    let path = data_dir(config)?.join(ADMIN_KEY_FILE);
    let key = match read_secret_file(&path)? {
        Some(key) => key,
        None => {
            let mut bytes = [0u8; 32];
            rand::rng().fill_bytes(&mut bytes);
            let key = format!("okgw_admin_{}", URL_SAFE_NO_PAD.encode(bytes));
            write_secret_file(&path, &key)?;
            // Straight to stderr, not through the log pipeline: logs may be shipped elsewhere.
            eprintln!(
                "okta-gateway: generated an admin key (saved in {}):\n\n    {key}\n\nUse it as 'Authorization: Bearer <key>'. Set GATEWAY_ADMIN_KEYS to use your own keys.",
                path.display()
            );
            SecretString::from(key)
        }
    };
    if key.expose_secret().len() < crate::config::MIN_KEY_LEN {
        bail!("{} holds a key that is too short", path.display());
    }
    Ok(ApiKeys::new(&[key], &[]))
}

/// Re-encrypt every stored token under a new key, in one transaction.
///
/// The new key comes from `NEW_TOKEN_ENCRYPTION_KEY`; with the embedded default's key file and
/// no new key given, one is generated and the file replaced once the transaction commits.
pub async fn rotate_key(
    config: &Config,
    store: &dyn AccountStore,
    new_key: Option<SecretString>,
) -> anyhow::Result<String> {
    let (current, source) = token_cipher(config)?;
    let current = check_stored_tokens(store, current, &source).await?;
    let (next, pending) = match (new_key, &source) {
        (Some(key), _) => (
            TokenCipher::from_base64(key.expose_secret()).context("NEW_TOKEN_ENCRYPTION_KEY")?,
            None,
        ),
        (None, KeySource::File(path)) => {
            let (next, encoded) = TokenCipher::generate();
            let pending = pending_key_path(path);
            // A stale file from an earlier failed attempt holds a key that opens nothing.
            let _ = std::fs::remove_file(&pending);
            write_secret_file(&pending, encoded.expose_secret())?;
            (next, Some((pending, path.clone())))
        }
        (None, KeySource::Environment) => {
            bail!("set NEW_TOKEN_ENCRYPTION_KEY to the new key (base64 of 32 random bytes)")
        }
    };
    let count = store
        .reencrypt_all(&|row| {
            let token = current
                .decrypt(&row.name, &row.token_ciphertext)
                .map_err(|e| e.to_string())?;
            next.encrypt(&row.name, &token).map_err(|e| e.to_string())
        })
        .await?;
    let summary = match pending {
        Some((pending, path)) => {
            std::fs::rename(&pending, &path).context("installing the new key file")?;
            format!(
                "re-encrypted {count} account token(s) under key id {}; {} now holds the new key",
                next.key_id_hex(),
                path.display()
            )
        }
        None => format!(
            "re-encrypted {count} account token(s) under key id {}; set TOKEN_ENCRYPTION_KEY to the new key before restarting",
            next.key_id_hex()
        ),
    };
    Ok(summary)
}
