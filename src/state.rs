//! The state every handler shares.

use std::sync::Arc;

use crate::accounts::Accounts;
use crate::auth::ApiKeys;
use crate::config::Config;
use crate::store::AccountStore;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Arc<dyn AccountStore>,
    pub accounts: Arc<Accounts>,
    pub keys: Arc<ApiKeys>,
}
