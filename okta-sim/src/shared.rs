//! The state one simulator's server and handles share: one `Mutex` per concern (org data,
//! tokens, OAuth service apps, faults, request log, rate limiter). Locks are only taken inside synchronous code
//! and never held across an `.await`.

use std::sync::{Mutex, MutexGuard};

use crate::auth::Tokens;
use crate::faults::{FaultQueue, RequestLog};
use crate::oauth::OAuthState;
use crate::org::{Org, Settings};
use crate::ratelimit::{Concurrency, RateLimiter};

/// Locks a mutex, recovering the data if a previous holder panicked (the state stays usable).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Everything the server and the handle share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub org: Mutex<Org>,
    pub tokens: Mutex<Tokens>,
    pub oauth: Mutex<OAuthState>,
    pub faults: Mutex<FaultQueue>,
    pub requests: Mutex<RequestLog>,
    pub limiter: Mutex<RateLimiter>,
    pub settings: Mutex<Settings>,
    pub concurrency: Concurrency,
    pub base_url: String,
}
