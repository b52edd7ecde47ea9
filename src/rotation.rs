//! Online rotation of the token encryption key.
//!
//! Every gateway records its key ring (key ids only, the current one first) in the database
//! and refreshes it with a heartbeat. `okta-gateway rotate-key` re-encrypts every stored token
//! to the current key of its own ring, a few rows per transaction, while gateways serve; on
//! Postgres it refuses, changing nothing, while a gateway heard from within [`LIVE_WINDOW`]
//! lacks that key or still writes under another one. The embedded database belongs to one
//! process: there the database lock ([`secrets::lock_for_rotation`]) keeps gateways and
//! `rotate-key` apart instead.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use secrecy::ExposeSecret;

use crate::audit;
use crate::config::Config;
use crate::crypto::{KeyRing, TokenCipher};
use crate::secrets::{self, KeySource};
use crate::store::{AccountStore, Backend, KeyRingRecord};

/// How often a gateway refreshes its key ring's record.
pub const HEARTBEAT: Duration = Duration::from_secs(10);
/// A gateway heard from within this window counts as running.
pub const LIVE_WINDOW: Duration = Duration::from_secs(60);
/// Rows re-encrypted per transaction: each batch holds its rows' locks only briefly.
pub const BATCH_SIZE: u32 = 5;

/// A gateway's key ring, recorded in the database while the gateway runs.
pub struct RingPresence {
    store: Arc<dyn AccountStore>,
    process_id: String,
    heartbeat: tokio::task::JoinHandle<()>,
    withdrawn: bool,
}

impl RingPresence {
    /// Record the ring now (so `rotate-key` sees this gateway from the start) and keep the
    /// record fresh.
    pub async fn announce(
        store: Arc<dyn AccountStore>,
        ring: &KeyRing,
        label: String,
    ) -> anyhow::Result<RingPresence> {
        let record = KeyRingRecord {
            process_id: uuid::Uuid::new_v4().simple().to_string(),
            label,
            key_ids: ring.key_ids(),
            seen_secs_ago: 0,
        };
        store
            .record_key_ring(&record)
            .await
            .context("recording this gateway's key ring")?;
        let process_id = record.process_id.clone();
        let heartbeat = tokio::spawn(heartbeat(store.clone(), record));
        Ok(RingPresence {
            store,
            process_id,
            heartbeat,
            withdrawn: false,
        })
    }

    /// Remove the record: this gateway no longer writes.
    pub async fn withdraw(mut self) {
        self.heartbeat.abort();
        self.withdrawn = true;
        if let Err(err) = self.store.forget_key_ring(&self.process_id).await {
            tracing::warn!(error = %err, "could not remove this gateway's key ring record");
        }
    }
}

impl Drop for RingPresence {
    fn drop(&mut self) {
        self.heartbeat.abort();
        // Dropped without `withdraw` (a gateway built but never run): remove the record in
        // the background rather than let it look alive for a minute.
        if !self.withdrawn
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            let (store, process_id) = (self.store.clone(), self.process_id.clone());
            runtime.spawn(async move {
                let _ = store.forget_key_ring(&process_id).await;
            });
        }
    }
}

async fn heartbeat(store: Arc<dyn AccountStore>, record: KeyRingRecord) {
    let mut tick = tokio::time::interval(HEARTBEAT);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tick.tick().await;
        if let Err(err) = store.record_key_ring(&record).await {
            tracing::warn!(error = %err, "could not refresh this gateway's key ring record");
        }
    }
}

/// Why the running gateways forbid making `current` the only key, if they do.
async fn refuse_live_rings(
    store: &dyn AccountStore,
    current: &str,
) -> anyhow::Result<Option<String>> {
    let rings = store
        .live_key_rings(LIVE_WINDOW)
        .await
        .context("reading the running gateways' key rings")?;
    let problems: Vec<String> = rings
        .iter()
        .filter_map(|ring| {
            let seen = format!(
                "gateway {} (key ids {}, heard from {} s ago)",
                ring.label,
                ring.key_ids.join(", "),
                ring.seen_secs_ago.max(0)
            );
            if !ring.key_ids.iter().any(|id| id == current) {
                Some(format!("{seen} lacks key id {current}"))
            } else if ring.key_ids.first().is_some_and(|id| id != current) {
                Some(format!(
                    "{seen} still writes under key id {}: make key id {current} first in its ring",
                    ring.key_ids[0]
                ))
            } else {
                None
            }
        })
        .collect();
    Ok((!problems.is_empty()).then(|| problems.join("; ")))
}

/// `okta-gateway rotate-key`: re-encrypt every stored token to the current key of this
/// process's ring, in batches, while gateways serve.
///
/// With the embedded default's key file: when the file holds one key, a new key is generated
/// and written first, the old one kept after it; once every row is re-encrypted the file keeps
/// the new key only. A file that already holds several keys (an interrupted rotation) is
/// finished to its first key.
pub async fn rotate_key(config: &Config, store: &dyn AccountStore) -> anyhow::Result<String> {
    let mut key_id = None;
    let result = rotate(config, store, &mut key_id).await;
    // One audit row per run, naming only the key id it rotated to.
    let outcome = match &result {
        Ok(_) => audit::SUCCESS.to_owned(),
        Err(_) => "ROTATION_REFUSED".to_owned(),
    };
    let event = audit::Event {
        key_id: "-",
        account: "-",
        action: "rotate_key",
        targets: key_id
            .iter()
            .map(|id| audit::Target::id("keyId", id))
            .collect(),
        dry_run: false,
        outcome,
        okta_request_ids: &[],
        request_id: "-",
        replayed: false,
    };
    audit::record_change(store, event).await;
    result
}

/// [`rotate_key`]; `key_id` gets the key id rotated to as soon as it is known.
async fn rotate(
    config: &Config,
    store: &dyn AccountStore,
    key_id: &mut Option<String>,
) -> anyhow::Result<String> {
    let _lock = secrets::lock_for_rotation(config)?;
    let (ring, source) = secrets::key_ring(config)?;
    let (ring, new_file) = match &source {
        KeySource::File(path) if ring.keys().len() == 1 => {
            let old = secrets::read_key_file(path)?.unwrap_or_default();
            let (_, encoded) = TokenCipher::generate();
            let mut keys = vec![encoded];
            keys.extend(old);
            (secrets::ring_from_file(path, &keys)?, Some((path, keys)))
        }
        _ => (ring, None),
    };
    let current = ring.current().key_id_hex();
    *key_id = Some(current.clone());

    // Everything that can refuse comes before the first change.
    if store.backend() == Backend::Postgres
        && let Some(problem) = refuse_live_rings(store, &current).await?
    {
        bail!(
            "refusing to rotate to key id {current}: {problem}. Add the key to every gateway's TOKEN_ENCRYPTION_KEYS and make it first, then run rotate-key again. Nothing was changed"
        );
    }
    let checks = store.key_checks().await.context("reading key checks")?;
    if let Some(problem) = secrets::refuse_key_checks(&ring, &checks) {
        bail!("{problem}. Nothing was changed");
    }
    if let Some(problem) = secrets::refuse_stored_tokens(store, &ring).await? {
        bail!("{problem}. Nothing was changed");
    }

    if let Some((path, keys)) = &new_file {
        secrets::replace_secret_file(path, &joined(keys))?;
        tracing::warn!(
            path = %path.display(),
            key_id = %current,
            "new token encryption key written first in the key file; the old key stays until the rotation has finished"
        );
    }
    secrets::register_current_key(store, &ring).await?;
    let reencrypt = |row: &crate::store::AccountRecord| {
        let token = ring
            .decrypt(&row.name, &row.secret_ciphertext)
            .map_err(|e| e.to_string())?;
        ring.encrypt(&row.name, &token).map_err(|e| e.to_string())
    };
    let mut total = 0;
    loop {
        let done = store
            .reencrypt_batch(&current, BATCH_SIZE, &reencrypt)
            .await
            .with_context(|| {
                format!("re-encrypting (after {total} token(s); run rotate-key again to finish)")
            })?;
        if done == 0 {
            break;
        }
        total += done;
    }
    // Stored idempotent answers that carry credentials are sealed under the ring too: the old
    // key cannot be retired while one of them (kept up to IDEMPOTENCY_TTL_SECS) needs it.
    let reseal = |row: &crate::store::IdempotencyRecord| {
        let context = crate::idempotency::row_context(&row.caller, &row.idem_key);
        let answer = ring
            .open_answer(&context, row.body.as_deref().unwrap_or_default())
            .map_err(|e| e.to_string())?;
        ring.seal_answer(&context, &answer)
            .map_err(|e| e.to_string())
    };
    let mut answers = 0;
    loop {
        let done = store
            .reencrypt_idempotency_answers(&current, BATCH_SIZE, &reseal)
            .await
            .with_context(|| {
                format!("re-encrypting stored idempotent answers (after {answers}; run rotate-key again to finish)")
            })?;
        if done == 0 {
            break;
        }
        answers += done;
    }

    // A gateway that started during the rotation without the key could still write under an
    // old one: then the old key must stay.
    if store.backend() == Backend::Postgres
        && let Some(problem) = refuse_live_rings(store, &current).await?
    {
        bail!(
            "re-encrypted {total} account secret(s) to key id {current}, but meanwhile {problem}. Keep the old key in every ring, fix that gateway's ring, and run rotate-key again"
        );
    }
    store
        .retire_key_checks(&current)
        .await
        .context("retiring the old keys' checks")?;
    let summary = match &source {
        KeySource::File(path) => {
            let keys = secrets::read_key_file(path)?.unwrap_or_default();
            let Some(first) = keys.into_iter().next() else {
                bail!("{} lost its keys during the rotation", path.display());
            };
            secrets::replace_secret_file(path, first.expose_secret())?;
            format!(
                "re-encrypted {total} account secret(s) to key id {current}, and {answers} stored idempotent answer(s); {} now holds that key only",
                path.display()
            )
        }
        KeySource::Environment => format!(
            "re-encrypted {total} account secret(s) to key id {current}, and {answers} stored idempotent answer(s); every stored secret is under it: remove the old key(s) from every gateway's TOKEN_ENCRYPTION_KEYS"
        ),
    };
    Ok(summary)
}

fn joined(keys: &[secrecy::SecretString]) -> String {
    keys.iter()
        .map(|k| k.expose_secret())
        .collect::<Vec<_>>()
        .join("\n")
}
