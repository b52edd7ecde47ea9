//! Key material: the token encryption key ring and the gateway's bearer keys, and the start-up
//! checks that the ring fits the database.
//!
//! With the embedded default (SQLite) and nothing configured, both are generated once into the
//! data directory (mode 0600) so the service runs out of the box. With Postgres, both must be
//! configured: several processes must share them, and a generated file would not be shared.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions, TryLockError};
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
use crate::crypto::{CryptoError, KeyRing, TokenCipher};
use crate::store::{AccountStore, KeyCheckRecord, StoreError};

pub const TOKEN_KEY_FILE: &str = "token-encryption.key";
pub const ADMIN_KEY_FILE: &str = "admin.key";

/// Where the token key ring came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    Environment,
    /// The embedded default's key file: one base64 key a line, the current one first.
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

/// Replace a secret file in one step (a crash leaves the old or the new file, never a mix).
pub(crate) fn replace_secret_file(path: &Path, contents: &str) -> anyhow::Result<()> {
    let temporary = path.with_extension("key.tmp");
    // A leftover from a crash holds nothing that is not in `path` or about to be written.
    let _ = std::fs::remove_file(&temporary);
    write_secret_file(&temporary, contents)?;
    std::fs::rename(&temporary, path).with_context(|| format!("replacing {}", path.display()))?;
    if let Some(dir) = path.parent() {
        File::open(dir)
            .and_then(|dir| dir.sync_all())
            .with_context(|| format!("syncing {}", dir.display()))?;
    }
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

/// The keys of a key file, one a line (blank lines ignored), the current one first.
pub(crate) fn read_key_file(path: &Path) -> anyhow::Result<Option<Vec<SecretString>>> {
    let Some(text) = read_secret_file(path)? else {
        return Ok(None);
    };
    Ok(Some(
        text.expose_secret()
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .map(|line| SecretString::from(line.to_owned()))
            .collect(),
    ))
}

pub(crate) fn ring_from_file(path: &Path, keys: &[SecretString]) -> anyhow::Result<KeyRing> {
    // Never quote the file's content: only the line at fault.
    KeyRing::from_base64(keys.iter().map(|k| k.expose_secret())).map_err(|(line, err)| {
        let problem = match err {
            CryptoError::InvalidKey => "is not base64 of 32 bytes".to_owned(),
            other => other.to_string(),
        };
        anyhow::anyhow!("{}: key {line} {problem}", path.display())
    })
}

/// The token key ring: from `TOKEN_ENCRYPTION_KEYS` / `TOKEN_ENCRYPTION_KEY`, else (embedded
/// default only) from the key file, generated on first start.
pub fn key_ring(config: &Config) -> anyhow::Result<(KeyRing, KeySource)> {
    if let Some(ring) = &config.token_encryption_keys {
        return Ok((ring.clone(), KeySource::Environment));
    }
    if config.is_postgres() {
        bail!(
            "TOKEN_ENCRYPTION_KEYS (or TOKEN_ENCRYPTION_KEY) is required with Postgres (base64 of 32 random bytes, e.g. `openssl rand -base64 32`)"
        );
    }
    let path = data_dir(config)?.join(TOKEN_KEY_FILE);
    match read_key_file(&path)? {
        Some(keys) if !keys.is_empty() => {
            let ring = ring_from_file(&path, &keys)?;
            Ok((ring, KeySource::File(path)))
        }
        Some(_) => bail!("{} holds no key", path.display()),
        None => {
            let (cipher, encoded) = TokenCipher::generate();
            write_secret_file(&path, encoded.expose_secret())?;
            tracing::warn!(
                path = %path.display(),
                "generated a token encryption key; back it up: losing it loses every stored Okta token"
            );
            let ring = KeyRing::new(vec![cipher]).context("a generated key forms a ring")?;
            Ok((ring, KeySource::File(path)))
        }
    }
}

/// Why `ring` may not use a database holding these key checks, if it may not: it must open
/// every one (each stands for a key some gateway writes or wrote with).
pub(crate) fn refuse_key_checks(ring: &KeyRing, stored: &[KeyCheckRecord]) -> Option<String> {
    let foreign: Vec<&str> = stored
        .iter()
        .filter(|check| {
            !ring
                .get(&check.key_id)
                .is_some_and(|key| key.opens_key_check(&check.check_value))
        })
        .map(|check| check.key_id.as_str())
        .collect();
    (!foreign.is_empty()).then(|| {
        format!(
            "the token encryption key ring (key ids {}) does not open the database's key check for key id {}: this gateway holds other keys than the gateways that use this database; start it with their keys (TOKEN_ENCRYPTION_KEYS, or the key file)",
            ring.key_ids().join(", "),
            foreign.join(", "),
        )
    })
}

/// Why `ring` does not open every stored token, if it does not.
pub(crate) async fn refuse_stored_tokens(
    store: &dyn AccountStore,
    ring: &KeyRing,
) -> anyhow::Result<Option<String>> {
    let rows = store.list().await.context("reading stored accounts")?;
    let mut lacking: BTreeMap<String, usize> = BTreeMap::new();
    for row in &rows {
        match ring.decrypt(&row.name, &row.secret_ciphertext) {
            Ok(_) => {}
            Err(CryptoError::UnknownKey { key_id }) => *lacking.entry(key_id).or_default() += 1,
            Err(_) => {
                return Ok(Some(format!(
                    "the stored Okta token of account '{}' does not open: it is malformed or was not written for this account",
                    row.name
                )));
            }
        }
    }
    if lacking.is_empty() {
        return Ok(None);
    }
    let under: Vec<String> = lacking
        .iter()
        .map(|(key_id, count)| format!("{count} under key id {key_id}"))
        .collect();
    Ok(Some(format!(
        "the token encryption key ring (key ids {}) does not open the stored Okta tokens ({}): start with a ring that holds those keys (TOKEN_ENCRYPTION_KEYS, or the key file)",
        ring.key_ids().join(", "),
        under.join(", "),
    )))
}

/// The start-up check: the ring opens every stored token and every key check, so a gateway
/// with the wrong keys stops at once rather than failing actions (or writing tokens the rest
/// of the fleet cannot read). Then the current key's check is stored, if it is not yet.
pub async fn check_key_ring(store: &dyn AccountStore, ring: &KeyRing) -> anyhow::Result<()> {
    if let Some(problem) = refuse_stored_tokens(store, ring).await? {
        bail!(problem);
    }
    register_current_key(store, ring).await
}

/// Store the current key's check, unless the ring fails the stored ones (checked under the
/// same lock, so two first starts with different keys cannot both pass).
pub(crate) async fn register_current_key(
    store: &dyn AccountStore,
    ring: &KeyRing,
) -> anyhow::Result<()> {
    let new = KeyCheckRecord {
        key_id: ring.current().key_id_hex(),
        check_value: ring.current().key_check().context("sealing a key check")?,
    };
    let accept = |stored: &[KeyCheckRecord]| match refuse_key_checks(ring, stored) {
        Some(problem) => Err(problem),
        None => Ok(()),
    };
    match store.register_key_check(new, &accept).await {
        Ok(()) => Ok(()),
        Err(StoreError::KeyCheckRefused(problem)) => bail!(problem),
        Err(err) => Err(err).context("checking the database's key checks"),
    }
}

/// An advisory lock (`flock`) on a file next to the embedded database, held while a process
/// uses the database: gateways hold it shared, `rotate-key` exclusively. The kernel drops it
/// when the process ends, however it ends, so it cannot go stale.
#[derive(Debug)]
pub struct DatabaseLock {
    _file: File,
}

/// The lock file of the embedded database `db`.
pub fn lock_path(db: &Path) -> PathBuf {
    let mut name = db.file_name().unwrap_or_default().to_os_string();
    name.push("-gateway.lock");
    db.with_file_name(name)
}

fn open_lock(config: &Config) -> anyhow::Result<Option<(File, PathBuf)>> {
    let Some(db) = config.sqlite_path() else {
        return Ok(None);
    };
    if db.as_os_str().is_empty() || db.to_string_lossy().starts_with(':') {
        // In memory: no other process can reach it.
        return Ok(None);
    }
    let path = lock_path(&db);
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    Ok(Some((file, path)))
}

/// For a gateway on the embedded database: a shared lock, refused while `rotate-key` runs.
pub fn lock_for_gateway(config: &Config) -> anyhow::Result<Option<DatabaseLock>> {
    let Some((file, path)) = open_lock(config)? else {
        return Ok(None);
    };
    match file.try_lock_shared() {
        Ok(()) => Ok(Some(DatabaseLock { _file: file })),
        Err(TryLockError::WouldBlock) => bail!(
            "`okta-gateway rotate-key` is running on this database (it holds {}); start the gateway when it has finished",
            path.display()
        ),
        Err(TryLockError::Error(err)) => Err(err).context(format!("locking {}", path.display())),
    }
}

/// For `rotate-key` on the embedded database: an exclusive lock, refused while a gateway runs.
pub fn lock_for_rotation(config: &Config) -> anyhow::Result<Option<DatabaseLock>> {
    let Some((file, path)) = open_lock(config)? else {
        return Ok(None);
    };
    match file.try_lock() {
        Ok(()) => Ok(Some(DatabaseLock { _file: file })),
        Err(TryLockError::WouldBlock) => bail!(
            "a gateway is running on this database (it holds {}): the embedded database belongs to one process, so stop the gateway, run rotate-key, then start it again. Nothing was changed",
            path.display()
        ),
        Err(TryLockError::Error(err)) => Err(err).context(format!("locking {}", path.display())),
    }
}

/// The gateway's bearer keys. With the embedded default and no admin key configured, an admin
/// key is generated into the data directory and printed once to stderr (action keys alone do
/// not leave the gateway without an administrator).
pub fn api_keys(config: &Config) -> anyhow::Result<ApiKeys> {
    if !config.admin_keys.is_empty() {
        return Ok(ApiKeys::new(&config.admin_keys, &config.api_keys));
    }
    if config.is_postgres() {
        bail!(
            "GATEWAY_ADMIN_KEYS is required with Postgres (comma-separated, each at least {} printable characters); GATEWAY_API_KEYS alone leaves no key to manage accounts",
            crate::config::MIN_KEY_LEN
        );
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
    Ok(ApiKeys::new(&[key], &config.api_keys))
}
