//! The in-memory account cache: actions find an account's host and decrypted token without a
//! database round-trip. It sits above the store, which only sees ciphertext: the store reports
//! row changes ([`ChangeListener`]) and knows nothing of what is cached.
//!
//! Invalidation: every change this process makes drops the entry at once. With Postgres, other
//! processes' changes arrive through LISTEN/NOTIFY (a trigger notifies on every row change),
//! and the cache is only trusted while it is provably listening: each process notifies a
//! heartbeat every [`HEARTBEAT`], and the cache serves entries only until one second after the
//! send time of the last heartbeat it heard back. Notifications arrive in commit order, so
//! hearing a heartbeat means every earlier change was heard too; a change is therefore never
//! ignored for more than [`MAX_STALENESS`], whether the listener is connected, reconnecting,
//! or cut off without noticing. While the database is briefly down, cached accounts keep
//! working until that bound.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use crate::okta::Connection;
use crate::store::{AccountStore, ChangeFeed, ChangeListener, HEARTBEAT, now_ms};

/// How long a change may go unseen.
pub const MAX_STALENESS: Duration = Duration::from_secs(1);
// A heartbeat must arrive well within the staleness bound, or the cache is rarely trusted.
const _: () = assert!(HEARTBEAT.as_millis() * 2 < MAX_STALENESS.as_millis());

/// When the cache may be trusted.
enum Trust {
    /// One process owns the database (the embedded SQLite default): local invalidation is
    /// complete.
    Always,
    /// Trusted until this instant (ms since origin), pushed forward by heard heartbeats.
    Until(AtomicU64),
}

pub struct AccountCache {
    entries: RwLock<HashMap<String, Arc<Connection>>>,
    /// Bumped by every invalidation; a read that started before one is not cached.
    generation: AtomicU64,
    trust: Trust,
}

impl AccountCache {
    /// A cache of `store`'s accounts, kept consistent with its change feed (which, for a
    /// store other processes write, starts flowing now).
    pub fn over(store: &dyn AccountStore) -> Arc<AccountCache> {
        let cache = match store.change_feed() {
            ChangeFeed::OnlyThisProcess => AccountCache::local(),
            ChangeFeed::Heartbeats => AccountCache::shared(),
        };
        store.watch_changes(cache.clone());
        cache
    }

    /// A cache for a database only this process writes.
    pub fn local() -> Arc<AccountCache> {
        Arc::new(AccountCache::new(Trust::Always))
    }

    /// A cache kept fresh by a change feed with heartbeats; untrusted until the first one.
    pub fn shared() -> Arc<AccountCache> {
        Arc::new(AccountCache::new(Trust::Until(AtomicU64::new(0))))
    }

    fn new(trust: Trust) -> AccountCache {
        AccountCache {
            entries: RwLock::default(),
            generation: AtomicU64::new(0),
            trust,
        }
    }

    fn trusted(&self) -> bool {
        match &self.trust {
            Trust::Always => true,
            Trust::Until(until) => now_ms() < until.load(Ordering::Acquire),
        }
    }

    /// A cached account, if the cache can be trusted right now.
    pub fn get(&self, name: &str) -> Option<Arc<Connection>> {
        if !self.trusted() {
            return None;
        }
        self.entries
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(name)
            .cloned()
    }

    /// The generation to pass to [`AccountCache::insert`] after reading from the database.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Cache an account read at `generation`, unless something changed since.
    pub fn insert(&self, generation: u64, connection: Arc<Connection>) {
        let mut entries = self
            .entries
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if self.generation.load(Ordering::Acquire) == generation {
            entries.insert(connection.name.to_string(), connection);
        }
    }

    pub fn invalidate(&self, name: &str) {
        let mut entries = self
            .entries
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.remove(name);
    }

    /// Forget everything (the change feed may have missed notifications).
    pub fn clear(&self) {
        let mut entries = self
            .entries
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.clear();
    }
}

impl ChangeListener for AccountCache {
    fn changed(&self, name: &str) {
        self.invalidate(name);
    }

    fn missed_changes(&self) {
        self.clear();
    }

    fn heard_heartbeat(&self, sent_ms: u64) {
        if let Trust::Until(until) = &self.trust {
            until.fetch_max(sent_ms + MAX_STALENESS.as_millis() as u64, Ordering::AcqRel);
        }
    }
}

#[cfg(test)]
mod tests {
    use secrecy::SecretString;

    use super::*;
    use crate::okta::{Credentials, OktaDomain};

    fn connection(name: &str) -> Arc<Connection> {
        Arc::new(Connection::new(
            Arc::from(name),
            OktaDomain::from_stored("https://dev-1.okta.com".into()),
            Credentials::ApiToken(SecretString::from("t".to_owned())),
        ))
    }

    #[test]
    fn a_local_cache_serves_until_invalidated() {
        let cache = AccountCache::local();
        cache.insert(cache.generation(), connection("acme"));
        assert!(cache.get("acme").is_some());
        cache.invalidate("acme");
        assert!(cache.get("acme").is_none());
    }

    #[test]
    fn a_read_that_raced_an_invalidation_is_not_cached() {
        let cache = AccountCache::local();
        let generation = cache.generation();
        cache.invalidate("acme");
        cache.insert(generation, connection("acme"));
        assert!(cache.get("acme").is_none());
    }

    #[test]
    fn a_shared_cache_is_trusted_only_after_a_recent_heartbeat() {
        let cache = AccountCache::shared();
        cache.insert(cache.generation(), connection("acme"));
        assert!(cache.get("acme").is_none(), "no heartbeat heard yet");
        cache.heard_heartbeat(now_ms());
        assert!(cache.get("acme").is_some());
    }
}
