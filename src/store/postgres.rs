//! Postgres, for deployments with several gateway processes.
//!
//! The account cap is a cross-process invariant: a create takes a transaction-scoped advisory
//! lock before counting, so concurrent creates (from any process) are serialised and a 16th
//! account can never slip in under READ COMMITTED.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::{PgListener, PgPoolOptions};
use sqlx::{PgPool, Row};

use super::{
    AccountChanges, AccountRecord, AccountStore, AuditFilter, AuditRecord, Backend, ChangeFeed,
    ChangeListener, HEARTBEAT, IdempotencyAnswer, IdempotencyClaim, IdempotencyRecord,
    KeyCheckAccept, KeyCheckRecord, KeyRingRecord, NewAccount, NewAuditEntry, Reencrypt,
    ReencryptAnswer, StoreError, StoredSecret, audit_query, join_key_ids, now_ms, split_key_ids,
};

/// The channel the accounts trigger notifies (see migrations/postgres).
pub const CHANGES_CHANNEL: &str = "okta_gateway_accounts";

/// Advisory lock key for account writes that must see a stable count ("okta-gw" as bytes).
const ACCOUNTS_LOCK_KEY: i64 = 0x006f_6b74_612d_6777;
/// Advisory lock key for registering key checks ("okta-kc" as bytes).
const KEY_CHECKS_LOCK_KEY: i64 = 0x006f_6b74_612d_6b63;

pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    pub async fn connect(url: &str, pool_size: u32) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(pool_size)
            // Short, so a database outage turns into a prompt 503 rather than a hung request.
            .acquire_timeout(Duration::from_secs(3))
            .connect(url)
            .await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        Ok(PostgresStore { pool })
    }
}

/// Follow the change feed into `listener`, reconnecting forever; and prove the feed is alive
/// with heartbeats.
fn watch(pool: PgPool, listener: Arc<dyn ChangeListener>) {
    let process = uuid::Uuid::new_v4().simple().to_string();
    tokio::spawn(listen(pool.clone(), listener, process.clone()));
    tokio::spawn(heartbeat(pool, process));
}

async fn listen(pool: PgPool, changes: Arc<dyn ChangeListener>, process: String) {
    let own_heartbeat = format!("hb:{process}:");
    loop {
        if let Ok(mut listener) = PgListener::connect_with(&pool).await
            && listener.listen(CHANGES_CHANNEL).await.is_ok()
        {
            listener.eager_reconnect(false);
            // Changes made while nobody listened were missed. (Losing the feed needs no
            // clearing: the heartbeats stop, and the cache stops being trusted within the
            // staleness bound, so cached accounts serve through a brief outage.)
            changes.missed_changes();
            // `Ok(None)`: the connection was lost; anything else but a notification: an error.
            while let Ok(Some(notification)) = listener.try_recv().await {
                let payload = notification.payload();
                if let Some(sent) = payload.strip_prefix(&own_heartbeat) {
                    if let Ok(sent) = sent.parse() {
                        changes.heard_heartbeat(sent);
                    }
                } else if !payload.starts_with("hb:") {
                    changes.changed(payload);
                }
            }
            tracing::warn!("lost the account change feed; reconnecting");
        }
        tokio::time::sleep(HEARTBEAT).await;
    }
}

async fn heartbeat(pool: PgPool, process: String) {
    let mut tick = tokio::time::interval(HEARTBEAT);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        // Taken before sending: the heartbeat vouches only for changes committed before it.
        let sent = now_ms();
        let _ = sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANGES_CHANNEL)
            .bind(format!("hb:{process}:{sent}"))
            .execute(&pool)
            .await;
    }
}

#[async_trait]
impl AccountStore for PostgresStore {
    async fn create(&self, new: NewAccount, cap: u32) -> Result<AccountRecord, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(ACCOUNTS_LOCK_KEY)
            .execute(&mut *tx)
            .await?;
        let exists = sqlx::query("SELECT 1 FROM accounts WHERE name = $1")
            .bind(&new.name)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_some() {
            return Err(StoreError::DuplicateName);
        }
        let count: i64 = sqlx::query("SELECT COUNT(*) FROM accounts")
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        if count >= i64::from(cap) {
            return Err(StoreError::LimitReached { cap });
        }
        let now = Utc::now();
        let record = sqlx::query_as::<_, AccountRecord>(
            concat!("INSERT INTO accounts (name, domain, secret_ciphertext, created_at, updated_at, last_verified_at, \
                 rate_limit_reserve, oauth_client_id, oauth_key_id, oauth_scopes) \
             VALUES ($1, $2, $3, $4, $4, $5, $6, $7, $8, $9) \
             RETURNING ", account_columns!()),
        )
        .bind(&new.name)
        .bind(&new.domain)
        .bind(&new.secret.ciphertext)
        .bind(now)
        .bind(new.verified_at)
        .bind(new.rate_limit_reserve)
        .bind(new.secret.client_id())
        .bind(new.secret.key_id())
        .bind(new.secret.scopes())
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(record)
    }

    async fn list(&self) -> Result<Vec<AccountRecord>, StoreError> {
        Ok(sqlx::query_as::<_, AccountRecord>(concat!(
            "SELECT ",
            account_columns!(),
            " FROM accounts ORDER BY name"
        ))
        .fetch_all(&self.pool)
        .await?)
    }

    async fn get(&self, name: &str) -> Result<Option<AccountRecord>, StoreError> {
        Ok(sqlx::query_as::<_, AccountRecord>(concat!(
            "SELECT ",
            account_columns!(),
            " FROM accounts WHERE name = $1"
        ))
        .bind(name)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn update(
        &self,
        name: &str,
        changes: AccountChanges,
    ) -> Result<Option<AccountRecord>, StoreError> {
        Ok(sqlx::query_as::<_, AccountRecord>(concat!(
            "UPDATE accounts SET \
                 domain = COALESCE($1, domain), \
                 secret_ciphertext = COALESCE($2, secret_ciphertext), \
                 last_verified_at = COALESCE($3, last_verified_at), \
                 last_error = CASE WHEN $3 IS NULL THEN last_error END, \
                 updated_at = $4, \
                 rate_limit_reserve = COALESCE($6, rate_limit_reserve), \
                 oauth_client_id = CASE WHEN $2 IS NULL THEN oauth_client_id ELSE $7 END, \
                 oauth_key_id = CASE WHEN $2 IS NULL THEN oauth_key_id ELSE $8 END, \
                 oauth_scopes = CASE WHEN $2 IS NULL THEN oauth_scopes ELSE $9 END \
             WHERE name = $5 \
             RETURNING ",
            account_columns!()
        ))
        .bind(changes.domain)
        .bind(changes.secret.as_ref().map(|s| s.ciphertext.as_slice()))
        .bind(changes.verified_at)
        .bind(Utc::now())
        .bind(name)
        .bind(changes.rate_limit_reserve)
        .bind(changes.secret.as_ref().and_then(StoredSecret::client_id))
        .bind(changes.secret.as_ref().and_then(StoredSecret::key_id))
        .bind(changes.secret.as_ref().and_then(StoredSecret::scopes))
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn delete(&self, name: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM accounts WHERE name = $1")
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn record_check(
        &self,
        name: &str,
        at: DateTime<Utc>,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        let query = match error {
            None => sqlx::query(
                "UPDATE accounts SET last_verified_at = $1, last_error = NULL WHERE name = $2",
            )
            .bind(at)
            .bind(name),
            Some(err) => sqlx::query("UPDATE accounts SET last_error = $1 WHERE name = $2")
                .bind(err)
                .bind(name),
        };
        query.execute(&self.pool).await?;
        Ok(())
    }

    async fn reencrypt_batch(
        &self,
        key_id: &str,
        limit: u32,
        f: Reencrypt<'_>,
    ) -> Result<usize, StoreError> {
        let mut tx = self.pool.begin().await?;
        // Row locks only: gateways keep serving (and writing other rows) meanwhile, and a
        // concurrent update of a locked row waits for this short transaction.
        let rows = sqlx::query_as::<_, AccountRecord>(concat!(
            "SELECT ",
            account_columns!(),
            " FROM accounts \
             WHERE encode(substring(secret_ciphertext from 2 for 4), 'hex') <> $1 \
             ORDER BY name LIMIT $2 FOR UPDATE"
        ))
        .bind(key_id)
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await?;
        for row in &rows {
            let sealed = f(row).map_err(|reason| StoreError::Reencrypt {
                account: row.name.clone(),
                reason,
            })?;
            sqlx::query("UPDATE accounts SET secret_ciphertext = $1 WHERE name = $2")
                .bind(sealed)
                .bind(&row.name)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(rows.len())
    }

    async fn key_checks(&self) -> Result<Vec<KeyCheckRecord>, StoreError> {
        Ok(sqlx::query_as::<_, KeyCheckRecord>(
            "SELECT key_id, check_value FROM key_checks ORDER BY created_at, key_id",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    async fn register_key_check(
        &self,
        new: KeyCheckRecord,
        accept: KeyCheckAccept<'_>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(KEY_CHECKS_LOCK_KEY)
            .execute(&mut *tx)
            .await?;
        let stored = sqlx::query_as::<_, KeyCheckRecord>(
            "SELECT key_id, check_value FROM key_checks ORDER BY created_at, key_id",
        )
        .fetch_all(&mut *tx)
        .await?;
        accept(&stored).map_err(StoreError::KeyCheckRefused)?;
        sqlx::query(
            "INSERT INTO key_checks (key_id, check_value) VALUES ($1, $2) \
             ON CONFLICT (key_id) DO NOTHING",
        )
        .bind(&new.key_id)
        .bind(&new.check_value)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn retire_key_checks(&self, keep: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM key_checks WHERE key_id <> $1")
            .bind(keep)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn record_key_ring(&self, ring: &KeyRingRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO gateway_key_rings (process_id, label, key_ids) VALUES ($1, $2, $3) \
             ON CONFLICT (process_id) DO UPDATE \
             SET label = EXCLUDED.label, key_ids = EXCLUDED.key_ids, seen_at = now()",
        )
        .bind(&ring.process_id)
        .bind(&ring.label)
        .bind(join_key_ids(&ring.key_ids))
        .execute(&self.pool)
        .await?;
        // Rings of processes that died without saying goodbye, long irrelevant.
        sqlx::query("DELETE FROM gateway_key_rings WHERE seen_at < now() - interval '1 day'")
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn forget_key_ring(&self, process_id: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM gateway_key_rings WHERE process_id = $1")
            .bind(process_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn live_key_rings(&self, window: Duration) -> Result<Vec<KeyRingRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT process_id, label, key_ids, \
                    CAST(EXTRACT(EPOCH FROM now() - seen_at) AS BIGINT) AS seen_secs_ago \
             FROM gateway_key_rings \
             WHERE seen_at > now() - make_interval(secs => $1) \
             ORDER BY started_at, process_id",
        )
        .bind(window.as_secs_f64())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(KeyRingRecord {
                    process_id: row.try_get("process_id")?,
                    label: row.try_get("label")?,
                    key_ids: split_key_ids(row.try_get("key_ids")?),
                    seen_secs_ago: row.try_get("seen_secs_ago")?,
                })
            })
            .collect()
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    fn change_feed(&self) -> ChangeFeed {
        ChangeFeed::Heartbeats
    }

    fn watch_changes(&self, listener: Arc<dyn ChangeListener>) {
        watch(self.pool.clone(), listener);
    }

    // idempotency keys
    async fn claim_idempotency_key(
        &self,
        claim: &IdempotencyClaim,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        // An expired row no longer holds its key; the primary key then picks one winner.
        sqlx::query(
            "DELETE FROM idempotency_keys WHERE caller = $1 AND idem_key = $2 AND expires_at <= $3",
        )
        .bind(&claim.caller)
        .bind(&claim.key)
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        let done = sqlx::query(
            "INSERT INTO idempotency_keys \
             (caller, idem_key, request_hash, claim_id, state, lease_until, expires_at) \
             VALUES ($1, $2, $3, $4, 'running', $5, $6) \
             ON CONFLICT (caller, idem_key) DO NOTHING",
        )
        .bind(&claim.caller)
        .bind(&claim.key)
        .bind(&claim.request_hash)
        .bind(&claim.claim_id)
        .bind(claim.lease_until)
        .bind(claim.expires_at)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn idempotency_key(
        &self,
        caller: &str,
        key: &str,
    ) -> Result<Option<IdempotencyRecord>, StoreError> {
        Ok(sqlx::query_as::<_, IdempotencyRecord>(concat!(
            "SELECT ",
            idempotency_columns!(),
            " FROM idempotency_keys WHERE caller = $1 AND idem_key = $2"
        ))
        .bind(caller)
        .bind(key)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn finish_idempotency_key(
        &self,
        claim_id: &str,
        answer: &IdempotencyAnswer,
        lease_passed_at: Option<i64>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE idempotency_keys SET state = 'done', status = $1, headers = $2, \
             body = $3, encrypted = $4, updated_at = now() \
             WHERE claim_id = $5 AND state = 'running' \
             AND ($6 IS NULL OR lease_until < $6)",
        )
        .bind(answer.status)
        .bind(&answer.headers)
        .bind(&answer.body)
        .bind(answer.encrypted)
        .bind(claim_id)
        .bind(lease_passed_at)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn release_idempotency_key(&self, claim_id: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM idempotency_keys WHERE claim_id = $1 AND state = 'running'")
            .bind(claim_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn purge_idempotency_keys(&self, now_ms: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM idempotency_keys WHERE expires_at <= $1")
            .bind(now_ms)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    async fn reencrypt_idempotency_answers(
        &self,
        key_id: &str,
        limit: u32,
        f: ReencryptAnswer<'_>,
    ) -> Result<usize, StoreError> {
        let mut tx = self.pool.begin().await?;
        let rows = sqlx::query_as::<_, IdempotencyRecord>(concat!(
            "SELECT ",
            idempotency_columns!(),
            " FROM idempotency_keys WHERE encrypted = TRUE AND state = 'done' \
             AND encode(substring(body from 2 for 4), 'hex') <> $1 ORDER BY claim_id LIMIT $2 FOR UPDATE"
        ))
        .bind(key_id)
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await?;
        for row in &rows {
            let sealed = f(row).map_err(|reason| StoreError::Reencrypt {
                account: format!("(a stored idempotent answer of key {})", row.caller),
                reason,
            })?;
            sqlx::query("UPDATE idempotency_keys SET body = $1 WHERE claim_id = $2")
                .bind(sealed)
                .bind(&row.claim_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(rows.len())
    }

    // audit trail
    async fn append_audit(&self, entry: &NewAuditEntry) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO audit_entries (at_us, key_id, account, action, targets, dry_run, \
             outcome, okta_request_ids, request_id, replayed) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(entry.at_us)
        .bind(&entry.key_id)
        .bind(&entry.account)
        .bind(&entry.action)
        .bind(&entry.targets)
        .bind(entry.dry_run)
        .bind(&entry.outcome)
        .bind(&entry.okta_request_ids)
        .bind(&entry.request_id)
        .bind(entry.replayed)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        for reference in &entry.references {
            sqlx::query("INSERT INTO audit_targets (entry_id, reference) VALUES ($1, $2)")
                .bind(id)
                .bind(reference)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn audit_page(&self, filter: &AuditFilter) -> Result<Vec<AuditRecord>, StoreError> {
        let mut query = audit_query::<sqlx::Postgres>(filter);
        Ok(query
            .build_query_as::<AuditRecord>()
            .fetch_all(&self.pool)
            .await?)
    }

    async fn prune_audit(&self, before_us: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM audit_entries WHERE at_us < $1")
            .bind(before_us)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}
