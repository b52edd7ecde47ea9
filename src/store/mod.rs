//! Persistence of connected accounts: a small trait with a SQLite and a Postgres
//! implementation, picked by `DATABASE_URL`.
//!
//! The store only sees ciphertext; encryption happens in [`crate::accounts`].

/// The columns of [`AccountRecord`], in `SELECT` and `RETURNING` lists (a macro, so queries
/// stay `&'static str` through `concat!`).
macro_rules! account_columns {
    () => {
        "name, domain, secret_ciphertext, created_at, updated_at, last_verified_at, last_error, \
         rate_limit_reserve, oauth_client_id, oauth_key_id, oauth_scopes"
    };
}

/// The columns of [`IdempotencyRecord`] (idempotency keys).
macro_rules! idempotency_columns {
    () => {
        "caller, idem_key, request_hash, claim_id, state, lease_until, expires_at, status, \
         headers, body, encrypted"
    };
}

mod postgres;
mod sqlite;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

/// One stored account row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccountRecord {
    pub name: String,
    pub domain: String,
    pub secret_ciphertext: Vec<u8>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_verified_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// Percent of each rate-limit window kept for the org's admins; `None`: the default.
    pub rate_limit_reserve: Option<i16>,
    /// Set for a service app (then `secret_ciphertext` holds its private key).
    pub oauth_client_id: Option<String>,
    pub oauth_key_id: Option<String>,
    /// Space-separated.
    pub oauth_scopes: Option<String>,
}

impl AccountRecord {
    /// The service app's settings that are not secret; `None` for an API token.
    pub fn oauth(&self) -> Option<OAuthColumns> {
        Some(OAuthColumns {
            client_id: self.oauth_client_id.clone()?,
            key_id: self.oauth_key_id.clone(),
            scopes: self
                .oauth_scopes
                .as_deref()
                .unwrap_or_default()
                .split(' ')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        })
    }
}

/// A service app's settings that are not secret, stored beside its encrypted private key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthColumns {
    pub client_id: String,
    pub key_id: Option<String>,
    pub scopes: Vec<String>,
}

/// An account's encrypted secret and what kind of secret it is.
#[derive(Debug, Clone)]
pub struct StoredSecret {
    pub ciphertext: Vec<u8>,
    /// `None`: the secret is an API token.
    pub oauth: Option<OAuthColumns>,
}

impl StoredSecret {
    fn client_id(&self) -> Option<&str> {
        self.oauth.as_ref().map(|o| o.client_id.as_str())
    }

    fn key_id(&self) -> Option<&str> {
        self.oauth.as_ref().and_then(|o| o.key_id.as_deref())
    }

    fn scopes(&self) -> Option<String> {
        self.oauth.as_ref().map(|o| o.scopes.join(" "))
    }
}

/// A new account, already validated and encrypted.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub name: String,
    pub domain: String,
    pub secret: StoredSecret,
    pub verified_at: Option<DateTime<Utc>>,
    pub rate_limit_reserve: Option<i16>,
}

/// Changes to an account; `None` leaves a column as it is.
#[derive(Debug, Clone, Default)]
pub struct AccountChanges {
    pub domain: Option<String>,
    /// A new secret replaces the old one and its kind (a token becomes a service app or back).
    pub secret: Option<StoredSecret>,
    pub verified_at: Option<DateTime<Utc>>,
    pub rate_limit_reserve: Option<i16>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("an account with this name already exists")]
    DuplicateName,
    #[error("the account limit of {cap} is reached")]
    LimitReached { cap: u32 },
    #[error("the database is unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),
    /// The database did not answer in time (a stalled connection).
    #[error("the database did not answer in time")]
    Stalled,
    /// The SQLite file at the configured path is no longer the file the gateway opened
    /// (removed or replaced): writes through the open handle would be lost.
    #[error("the database file was removed or replaced: {0}")]
    FileReplaced(String),
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("re-encryption failed for account '{account}': {reason}")]
    Reencrypt { account: String, reason: String },
    /// The caller's key ring does not fit the stored key checks (start-up only).
    #[error("{0}")]
    KeyCheckRefused(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        if is_connection_error(&err) {
            StoreError::Unavailable(err)
        } else if let Some(db) = err.as_database_error()
            && db.kind() == sqlx::error::ErrorKind::UniqueViolation
            && db.constraint().is_none_or(|c| c == "accounts_pkey")
        {
            // SQLite reports no constraint name; the accounts table has one unique key.
            StoreError::DuplicateName
        } else {
            StoreError::Database(err)
        }
    }
}

/// Errors that mean "the database cannot be reached right now" rather than "this query is
/// wrong": they become 503 SERVICE_UNAVAILABLE and the pool recovers on its own.
fn is_connection_error(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(db) => {
            if let Some(sqlite) = db.try_downcast_ref::<sqlx::sqlite::SqliteError>() {
                return sqlite_unavailable(sqlite);
            }
            // Postgres class 08 (connection exception), 53 (insufficient resources, e.g. too
            // many connections), 57P (operator intervention, e.g. admin shutdown) and 3D000
            // (the database was dropped) are the server's state, not the query's fault.
            db.code().is_some_and(|c| {
                c.starts_with("08") || c.starts_with("53") || c.starts_with("57P") || c == "3D000"
            })
        }
        _ => false,
    }
}

/// SQLite's primary codes for a database that cannot be used right now: BUSY (5) and LOCKED
/// (6) past the busy timeout, IOERR (10), CANTOPEN (14); and READONLY_DBMOVED (1032), the file
/// was removed or renamed under the open handle.
fn sqlite_unavailable(err: &sqlx::sqlite::SqliteError) -> bool {
    use sqlx::error::DatabaseError;
    err.code()
        .and_then(|code| code.parse::<i32>().ok())
        .is_some_and(|code| matches!(code & 0xff, 5 | 6 | 10 | 14) || code == 1032)
}

/// Re-encrypts one row during key rotation: given the row, returns its new ciphertext.
pub type Reencrypt<'a> = &'a (dyn Fn(&AccountRecord) -> Result<Vec<u8>, String> + Sync);

/// A stored key check: which key a key id stands for (see [`crate::crypto`]).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KeyCheckRecord {
    /// Hex, as [`crate::crypto::TokenCipher::key_id_hex`] writes it.
    pub key_id: String,
    pub check_value: Vec<u8>,
}

/// Approves the stored key checks (or says why not) before a new one is added.
pub type KeyCheckAccept<'a> = &'a (dyn Fn(&[KeyCheckRecord]) -> Result<(), String> + Sync);

/// A gateway process's key ring, as its heartbeat records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRingRecord {
    /// Unique per process start.
    pub process_id: String,
    /// For operators: address, process id and host.
    pub label: String,
    /// Hex key ids, the current one first.
    pub key_ids: Vec<String>,
    /// Seconds since the last heartbeat, by the database's clock.
    pub seen_secs_ago: i64,
}

/// How `key_ids` are kept in one column.
fn join_key_ids(key_ids: &[String]) -> String {
    key_ids.join(",")
}

fn split_key_ids(joined: &str) -> Vec<String> {
    joined
        .split(',')
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
        .collect()
}

#[async_trait]
pub trait AccountStore: Send + Sync + 'static {
    /// Insert in one transaction that checks the name and the cap, serialised across
    /// processes so the cap holds under concurrency.
    async fn create(&self, new: NewAccount, cap: u32) -> Result<AccountRecord, StoreError>;
    async fn list(&self) -> Result<Vec<AccountRecord>, StoreError>;
    async fn get(&self, name: &str) -> Result<Option<AccountRecord>, StoreError>;
    async fn update(
        &self,
        name: &str,
        changes: AccountChanges,
    ) -> Result<Option<AccountRecord>, StoreError>;
    async fn delete(&self, name: &str) -> Result<bool, StoreError>;
    /// Record the outcome of a token check: success sets `last_verified_at` and clears
    /// `last_error`; failure sets `last_error`.
    async fn record_check(
        &self,
        name: &str,
        at: DateTime<Utc>,
        error: Option<&str>,
    ) -> Result<(), StoreError>;
    /// Re-encrypt, in one transaction, up to `limit` rows whose token is under another key
    /// than `key_id`; returns how many it re-encrypted (0: none is left).
    async fn reencrypt_batch(
        &self,
        key_id: &str,
        limit: u32,
        f: Reencrypt<'_>,
    ) -> Result<usize, StoreError>;
    async fn key_checks(&self) -> Result<Vec<KeyCheckRecord>, StoreError>;
    /// Serialised across processes: read the key checks, let `accept` approve them, then add
    /// `new` unless its key id is stored already. A refusal changes nothing and comes back as
    /// [`StoreError::KeyCheckRefused`].
    async fn register_key_check(
        &self,
        new: KeyCheckRecord,
        accept: KeyCheckAccept<'_>,
    ) -> Result<(), StoreError>;
    /// Delete every key check except `keep`'s (keys retired by a finished rotation).
    async fn retire_key_checks(&self, keep: &str) -> Result<(), StoreError>;
    /// Insert or refresh (heartbeat) a gateway's key ring; `seen_secs_ago` is ignored.
    async fn record_key_ring(&self, ring: &KeyRingRecord) -> Result<(), StoreError>;
    async fn forget_key_ring(&self, process_id: &str) -> Result<(), StoreError>;
    /// The key rings heard from within `window`.
    async fn live_key_rings(&self, window: Duration) -> Result<Vec<KeyRingRecord>, StoreError>;
    /// Cheap round-trip for readiness.
    async fn ping(&self) -> Result<(), StoreError>;
    fn backend(&self) -> Backend;
    /// Whether other processes may change the rows behind this process's back.
    fn change_feed(&self) -> ChangeFeed;
    /// Report other processes' account changes to `listener` from now on, with heartbeats
    /// that prove the feed alive ([`ChangeFeed::Heartbeats`]); nothing to report for
    /// [`ChangeFeed::OnlyThisProcess`].
    fn watch_changes(&self, listener: Arc<dyn ChangeListener>);

    // idempotency keys
    /// Claim `claim.key` for `claim.caller` unless a live row holds it (a row past its
    /// expiry is replaced); atomic across processes. `true`: this claim won.
    async fn claim_idempotency_key(
        &self,
        claim: &IdempotencyClaim,
        now_ms: i64,
    ) -> Result<bool, StoreError>;
    async fn idempotency_key(
        &self,
        caller: &str,
        key: &str,
    ) -> Result<Option<IdempotencyRecord>, StoreError>;
    /// Store the final answer of the running claim `claim_id`; with `lease_passed_at`, only
    /// if its lease ended before then (taking over an abandoned claim). `false`: the claim
    /// is no longer running (finished, taken over or expired).
    async fn finish_idempotency_key(
        &self,
        claim_id: &str,
        answer: &IdempotencyAnswer,
        lease_passed_at: Option<i64>,
    ) -> Result<bool, StoreError>;
    /// Give up the running claim `claim_id`, so a repeat runs afresh.
    async fn release_idempotency_key(&self, claim_id: &str) -> Result<(), StoreError>;
    /// Delete the keys expired at `now_ms`; returns how many.
    async fn purge_idempotency_keys(&self, now_ms: i64) -> Result<u64, StoreError>;
    /// Like [`AccountStore::reencrypt_batch`], for the encrypted stored answers.
    async fn reencrypt_idempotency_answers(
        &self,
        key_id: &str,
        limit: u32,
        f: ReencryptAnswer<'_>,
    ) -> Result<usize, StoreError>;

    // audit trail
    /// Append one audit row with the references its targets go by, in one transaction.
    async fn append_audit(&self, entry: &NewAuditEntry) -> Result<(), StoreError>;
    /// The rows `filter` selects, newest first, at most `filter.limit`.
    async fn audit_page(&self, filter: &AuditFilter) -> Result<Vec<AuditRecord>, StoreError>;
    /// Delete the rows written before `before_us`; returns how many.
    async fn prune_audit(&self, before_us: i64) -> Result<u64, StoreError>;
}

/// One audit row to write (see [`crate::audit`]).
#[derive(Debug, Clone)]
pub struct NewAuditEntry {
    /// Unix microseconds.
    pub at_us: i64,
    pub key_id: String,
    pub account: String,
    pub action: String,
    /// The targets as JSON text.
    pub targets: String,
    /// Every reference the targets go by, each once, for the target filter.
    pub references: Vec<String>,
    pub dry_run: bool,
    pub outcome: String,
    /// Comma-separated.
    pub okta_request_ids: String,
    pub request_id: String,
    /// A stored answer repeated for an idempotency key.
    pub replayed: bool,
}

/// One stored audit row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditRecord {
    pub id: i64,
    pub at_us: i64,
    pub key_id: String,
    pub account: String,
    pub action: String,
    pub targets: String,
    pub dry_run: bool,
    pub outcome: String,
    pub okta_request_ids: String,
    pub request_id: String,
    pub replayed: bool,
}

/// Which audit rows to read: every given filter must match.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub account: Option<String>,
    pub action: Option<String>,
    /// Any reference of a target (as given, id or login).
    pub target: Option<String>,
    pub key_id: Option<String>,
    /// Unix microseconds, inclusive.
    pub since_us: Option<i64>,
    /// Unix microseconds, exclusive.
    pub until_us: Option<i64>,
    /// Rows strictly older than this `(at_us, id)`: the keyset cursor.
    pub before: Option<(i64, i64)>,
    pub limit: u32,
}

/// The columns of [`AuditRecord`].
const AUDIT_COLUMNS: &str = "id, at_us, key_id, account, action, targets, dry_run, outcome, \
     okta_request_ids, request_id, replayed";

/// The `SELECT` of [`AccountStore::audit_page`] for `filter`, on either backend (placeholders
/// are the builder's).
fn audit_query<DB: sqlx::Database>(filter: &AuditFilter) -> sqlx::QueryBuilder<DB>
where
    DB::Arguments: Default,
    String: for<'t> sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    i64: for<'t> sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    let mut query = sqlx::QueryBuilder::new(format!(
        "SELECT {AUDIT_COLUMNS} FROM audit_entries WHERE 1 = 1"
    ));
    let columns = [
        ("account", &filter.account),
        ("action", &filter.action),
        ("key_id", &filter.key_id),
    ];
    for (column, value) in columns {
        if let Some(value) = value {
            query
                .push(format!(" AND {column} = "))
                .push_bind(value.clone());
        }
    }
    if let Some(target) = &filter.target {
        query
            .push(" AND id IN (SELECT entry_id FROM audit_targets WHERE reference = ")
            .push_bind(target.clone())
            .push(")");
    }
    if let Some(since) = filter.since_us {
        query.push(" AND at_us >= ").push_bind(since);
    }
    if let Some(until) = filter.until_us {
        query.push(" AND at_us < ").push_bind(until);
    }
    if let Some((at, id)) = filter.before {
        query
            .push(" AND (at_us < ")
            .push_bind(at)
            .push(" OR (at_us = ")
            .push_bind(at)
            .push(" AND id < ")
            .push_bind(id)
            .push("))");
    }
    query
        .push(" ORDER BY at_us DESC, id DESC LIMIT ")
        .push_bind(i64::from(filter.limit));
    query
}

// idempotency keys

/// A new claim on an idempotency key (times in Unix milliseconds).
#[derive(Debug, Clone)]
pub struct IdempotencyClaim {
    /// The gateway key's hash: keys are scoped per caller.
    pub caller: String,
    pub key: String,
    /// Hex SHA-256 of the request (account, action, canonical body).
    pub request_hash: String,
    /// Unique per claim: only its holder may finish or release it.
    pub claim_id: String,
    pub lease_until: i64,
    pub expires_at: i64,
}

/// A stored idempotency key, running or done.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct IdempotencyRecord {
    pub caller: String,
    pub idem_key: String,
    pub request_hash: String,
    pub claim_id: String,
    /// `running` or `done`.
    pub state: String,
    pub lease_until: i64,
    pub expires_at: i64,
    pub status: Option<i32>,
    /// JSON object of the replayed headers.
    pub headers: Option<String>,
    pub body: Option<Vec<u8>>,
    pub encrypted: bool,
}

/// The final answer stored for a key.
#[derive(Debug, Clone)]
pub struct IdempotencyAnswer {
    pub status: i32,
    pub headers: String,
    /// Ciphertext when `encrypted`.
    pub body: Vec<u8>,
    pub encrypted: bool,
}

/// Re-encrypts one stored answer during key rotation: returns its new ciphertext.
pub type ReencryptAnswer<'a> = &'a (dyn Fn(&IdempotencyRecord) -> Result<Vec<u8>, String> + Sync);

/// How a store's rows change besides through this process's own calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeFeed {
    /// Only this process writes the database (the embedded SQLite default): the changes it
    /// makes itself are all there are.
    OnlyThisProcess,
    /// Other processes write too; their changes arrive through
    /// [`AccountStore::watch_changes`], vouched for by a heartbeat every [`HEARTBEAT`].
    Heartbeats,
}

/// Where a store reports account changes; whatever keeps state derived from the rows (the
/// account cache) listens. Notifications arrive in commit order.
pub trait ChangeListener: Send + Sync + 'static {
    /// The account `name` was created, changed or deleted.
    fn changed(&self, name: &str);
    /// Changes may have been missed (the feed connected or reconnected).
    fn missed_changes(&self);
    /// This process heard back its own heartbeat sent at `sent_ms` (by [`now_ms`]): every
    /// change committed before then has been reported.
    fn heard_heartbeat(&self, sent_ms: u64);
}

/// How often each process proves its change feed alive.
pub const HEARTBEAT: Duration = Duration::from_millis(200);

static ORIGIN: std::sync::LazyLock<std::time::Instant> =
    std::sync::LazyLock::new(std::time::Instant::now);

/// Milliseconds since this process's clock origin: the clock heartbeats are stamped with.
pub fn now_ms() -> u64 {
    ORIGIN.elapsed().as_millis() as u64
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// How long a SQLite write waits for another writer's lock before it answers 503.
pub const DEFAULT_BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

/// Connect to the database named by `url` and run its migrations.
pub async fn connect(url: &str, pool_size: u32) -> Result<Arc<dyn AccountStore>, StoreError> {
    connect_with(url, pool_size, DEFAULT_BUSY_TIMEOUT).await
}

/// [`connect`], with SQLite's busy timeout.
pub async fn connect_with(
    url: &str,
    pool_size: u32,
    busy_timeout: std::time::Duration,
) -> Result<Arc<dyn AccountStore>, StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PostgresStore::connect(url, pool_size).await?))
    } else {
        Ok(Arc::new(SqliteStore::connect(url, busy_timeout).await?))
    }
}
