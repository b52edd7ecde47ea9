//! The state every handler shares.

use std::sync::Arc;

use axum::body::Bytes;

use crate::accounts::Accounts;
use crate::actions::Catalog;
use crate::auth::ApiKeys;
use crate::config::Config;
use crate::crypto::CursorSigner;
use crate::idempotency::Idempotency;
use crate::okta::OktaClient;
use crate::store::AccountStore;

/// Cloned for every request (axum's `State`), so one reference count rather than one per
/// part.
#[derive(Clone)]
pub struct AppState(Arc<Parts>);

impl AppState {
    pub fn new(parts: Parts) -> AppState {
        AppState(Arc::new(parts))
    }
}

impl std::ops::Deref for AppState {
    type Target = Parts;

    fn deref(&self) -> &Parts {
        &self.0
    }
}

pub struct Parts {
    pub config: Arc<Config>,
    pub store: Arc<dyn AccountStore>,
    pub accounts: Arc<Accounts>,
    pub keys: Arc<ApiKeys>,
    pub okta: OktaClient,
    pub catalog: Arc<Catalog>,
    /// Signs the list actions' paging cursors.
    pub cursors: CursorSigner,
    /// `GET /actions`, rendered once.
    pub catalog_json: Bytes,
    /// Stored answers of requests with an `Idempotency-Key`.
    pub idempotency: Arc<Idempotency>,
}
