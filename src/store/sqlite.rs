//! The embedded default: SQLite in WAL mode.
//!
//! Writers that must see a consistent count (create) take the write lock up front with
//! `BEGIN IMMEDIATE`, so two creates can never both count 14 and insert; waiting writers queue
//! on SQLite's busy timeout instead of failing with "database is locked".

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};

use super::{
    AccountChanges, AccountRecord, AccountStore, AuditFilter, AuditRecord, Backend, ChangeFeed,
    ChangeListener, IdempotencyAnswer, IdempotencyClaim, IdempotencyRecord, KeyCheckAccept,
    KeyCheckRecord, KeyRingRecord, NewAccount, NewAuditEntry, Reencrypt, ReencryptAnswer,
    StoreError, StoredSecret, audit_query, join_key_ids, split_key_ids,
};

pub struct SqliteStore {
    pool: SqlitePool,
    /// The opened file's path and (device, inode); `None` for an in-memory database.
    file: Option<(PathBuf, (u64, u64))>,
}

fn identity(path: &Path) -> std::io::Result<(u64, u64)> {
    std::fs::metadata(path).map(|m| (m.dev(), m.ino()))
}

impl SqliteStore {
    pub async fn connect(url: &str, busy_timeout: Duration) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(StoreError::Database)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(busy_timeout);
        if let Some(dir) = options.get_filename().parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Unavailable(e.into()))?;
        }
        let path = options.get_filename().to_path_buf();
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            // Past the busy timeout: a write waiting on the lock fails as busy, not as a
            // pool timeout.
            .acquire_timeout(busy_timeout + Duration::from_secs(5))
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        // The pool holds the file open from here on, so this is the file every write goes to.
        let file = identity(&path).ok().map(|id| (path, id));
        Ok(SqliteStore { pool, file })
    }

    /// A removed or replaced file keeps working through the open handle, but what is written
    /// there is gone at the next start: refuse instead of reporting it stored.
    fn check_file(&self) -> Result<(), StoreError> {
        let Some((path, opened)) = &self.file else {
            return Ok(());
        };
        match identity(path) {
            Ok(current) if current == *opened => Ok(()),
            Ok(_) => Err(StoreError::FileReplaced(format!(
                "{} is another file than the one opened",
                path.display()
            ))),
            Err(err) => Err(StoreError::FileReplaced(format!(
                "{}: {err}",
                path.display()
            ))),
        }
    }
}

#[async_trait]
impl AccountStore for SqliteStore {
    async fn create(&self, new: NewAccount, cap: u32) -> Result<AccountRecord, StoreError> {
        self.check_file()?;
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let exists = sqlx::query("SELECT 1 FROM accounts WHERE name = ?")
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
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
             RETURNING ", account_columns!()),
        )
        .bind(&new.name)
        .bind(&new.domain)
        .bind(&new.secret.ciphertext)
        .bind(now)
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
            " FROM accounts WHERE name = ?"
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
        self.check_file()?;
        // Only a verified change clears the last check's error and records the time; an
        // unverified one keeps both (the stored token may be the one that failed).
        Ok(sqlx::query_as::<_, AccountRecord>(concat!(
            "UPDATE accounts SET \
                 domain = COALESCE(?1, domain), \
                 secret_ciphertext = COALESCE(?2, secret_ciphertext), \
                 last_verified_at = COALESCE(?3, last_verified_at), \
                 last_error = CASE WHEN ?3 IS NULL THEN last_error END, \
                 updated_at = ?4, \
                 rate_limit_reserve = COALESCE(?6, rate_limit_reserve), \
                 oauth_client_id = CASE WHEN ?2 IS NULL THEN oauth_client_id ELSE ?7 END, \
                 oauth_key_id = CASE WHEN ?2 IS NULL THEN oauth_key_id ELSE ?8 END, \
                 oauth_scopes = CASE WHEN ?2 IS NULL THEN oauth_scopes ELSE ?9 END \
             WHERE name = ?5 \
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
        self.check_file()?;
        let done = sqlx::query("DELETE FROM accounts WHERE name = ?")
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
        self.check_file()?;
        let query = match error {
            None => sqlx::query(
                "UPDATE accounts SET last_verified_at = ?, last_error = NULL WHERE name = ?",
            )
            .bind(at)
            .bind(name),
            Some(err) => sqlx::query("UPDATE accounts SET last_error = ? WHERE name = ?")
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
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let rows = sqlx::query_as::<_, AccountRecord>(concat!(
            "SELECT ",
            account_columns!(),
            " FROM accounts WHERE lower(hex(substr(secret_ciphertext, 2, 4))) <> ? \
             ORDER BY name LIMIT ?"
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
            sqlx::query("UPDATE accounts SET secret_ciphertext = ? WHERE name = ?")
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
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let stored = sqlx::query_as::<_, KeyCheckRecord>(
            "SELECT key_id, check_value FROM key_checks ORDER BY created_at, key_id",
        )
        .fetch_all(&mut *tx)
        .await?;
        accept(&stored).map_err(StoreError::KeyCheckRefused)?;
        sqlx::query(
            "INSERT INTO key_checks (key_id, check_value) VALUES (?, ?) \
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
        sqlx::query("DELETE FROM key_checks WHERE key_id <> ?")
            .bind(keep)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn record_key_ring(&self, ring: &KeyRingRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO gateway_key_rings (process_id, label, key_ids) VALUES (?, ?, ?) \
             ON CONFLICT (process_id) DO UPDATE \
             SET label = excluded.label, key_ids = excluded.key_ids, seen_at = unixepoch()",
        )
        .bind(&ring.process_id)
        .bind(&ring.label)
        .bind(join_key_ids(&ring.key_ids))
        .execute(&self.pool)
        .await?;
        sqlx::query("DELETE FROM gateway_key_rings WHERE seen_at < unixepoch() - 86400")
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn forget_key_ring(&self, process_id: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM gateway_key_rings WHERE process_id = ?")
            .bind(process_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn live_key_rings(&self, window: Duration) -> Result<Vec<KeyRingRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT process_id, label, key_ids, unixepoch() - seen_at AS seen_secs_ago \
             FROM gateway_key_rings WHERE seen_at > unixepoch() - ? \
             ORDER BY started_at, process_id",
        )
        .bind(window.as_secs() as i64)
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
        self.check_file()?;
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    fn change_feed(&self) -> ChangeFeed {
        // The embedded database belongs to this process: its own changes are all there are.
        ChangeFeed::OnlyThisProcess
    }

    fn watch_changes(&self, _listener: std::sync::Arc<dyn ChangeListener>) {}

    // idempotency keys
    async fn claim_idempotency_key(
        &self,
        claim: &IdempotencyClaim,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        self.check_file()?;
        // An expired row no longer holds its key; the primary key then picks one winner.
        sqlx::query(
            "DELETE FROM idempotency_keys WHERE caller = ? AND idem_key = ? AND expires_at <= ?",
        )
        .bind(&claim.caller)
        .bind(&claim.key)
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        let done = sqlx::query(
            "INSERT INTO idempotency_keys \
             (caller, idem_key, request_hash, claim_id, state, lease_until, expires_at) \
             VALUES (?, ?, ?, ?, 'running', ?, ?) \
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
            " FROM idempotency_keys WHERE caller = ? AND idem_key = ?"
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
        self.check_file()?;
        let done = sqlx::query(
            "UPDATE idempotency_keys SET state = 'done', status = ?1, headers = ?2, \
             body = ?3, encrypted = ?4, updated_at = unixepoch() \
             WHERE claim_id = ?5 AND state = 'running' \
             AND (?6 IS NULL OR lease_until < ?6)",
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
        sqlx::query("DELETE FROM idempotency_keys WHERE claim_id = ? AND state = 'running'")
            .bind(claim_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn purge_idempotency_keys(&self, now_ms: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM idempotency_keys WHERE expires_at <= ?")
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
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let rows = sqlx::query_as::<_, IdempotencyRecord>(concat!(
            "SELECT ",
            idempotency_columns!(),
            " FROM idempotency_keys WHERE encrypted = 1 AND state = 'done' \
             AND lower(hex(substr(body, 2, 4))) <> ? ORDER BY claim_id LIMIT ?"
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
            sqlx::query("UPDATE idempotency_keys SET body = ? WHERE claim_id = ?")
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
        self.check_file()?;
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let id: i64 = sqlx::query(
            "INSERT INTO audit_entries (at_us, key_id, account, action, targets, dry_run, \
             outcome, okta_request_ids, request_id, replayed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
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
            sqlx::query("INSERT INTO audit_targets (entry_id, reference) VALUES (?, ?)")
                .bind(id)
                .bind(reference)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn audit_page(&self, filter: &AuditFilter) -> Result<Vec<AuditRecord>, StoreError> {
        let mut query = audit_query::<sqlx::Sqlite>(filter);
        Ok(query
            .build_query_as::<AuditRecord>()
            .fetch_all(&self.pool)
            .await?)
    }

    async fn prune_audit(&self, before_us: i64) -> Result<u64, StoreError> {
        self.check_file()?;
        let done = sqlx::query("DELETE FROM audit_entries WHERE at_us < ?")
            .bind(before_us)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}
