//! okta-sim: an in-memory Okta org that speaks the Okta Management API.
//!
//! The gateway's tests, demos and benchmarks run against this simulator instead of a real
//! Okta org, so it follows Okta's official spec and the project's research notes
//! (`NOTES.md`): status codes, error bodies, lifecycle rules, paging, rate-limit headers
//! and the System Log. Start it in-process with [`OktaSim::start`] or run the `okta-sim`
//! binary; drive its state directly with a [`SimHandle`] or over HTTP under `/__sim/…`.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use okta_sim::{OktaSim, SimConfig};
//! let sim = OktaSim::start(SimConfig::default()).await?;
//! let url = format!("{}/api/v1/users/me", sim.base_url());
//! // GET `url` with `Authorization: SSWS sim-admin-token` returns the admin user.
//! # let _ = url; Ok(()) }
//! ```

mod apps;
mod auth;
mod config;
mod control;
mod ctx;
mod error;
mod factors;
mod faults;
mod groups;
mod handle;
mod http;
mod logs;
mod model;
mod oauth;
mod org;
mod ratelimit;
mod roles;
mod route;
mod router;
mod scim;
pub mod scopes;
mod seed;
mod server;
mod sessions;
mod shared;
mod signins;
mod sim;
mod users;
mod util;

pub use auth::token_label;
pub use config::{DEFAULT_FACTOR_RESEND_THROTTLE, DEFAULT_TRANSITION, RateLimits, Seed, SimConfig};
pub use faults::{Fault, FaultError, FaultKind, RecordedRequest};
pub use handle::{GroupSeed, SeedError, SimHandle, UserSeed};
pub use model::{AppSeed, SIM_PASSCODE, SignIn};
pub use oauth::{DEFAULT_ACCESS_TOKEN_LIFETIME, OAuthClientSeed};
pub use ratelimit::{FamilyStats, RateLimitStats};
pub use roles::AdminRole;
pub use router::implemented_operations;
pub use signins::{Geolocation, SIGNIN_EVENT_TYPES, SigninSeed};
pub use sim::OktaSim;

/// Counts and ids of the large seed (`Seed::Large`), which also holds the whole demo org.
pub mod large {
    pub use crate::seed::large::{
        ACTIVE_USERS, APP_GROUP_ID, APP_GROUP_NAME, APP_GROUPS, COST_CENTER_GROUP_ID,
        COST_CENTER_GROUP_NAME, EVERYONE_GROUP_ID, GROUPS, LOG_DAYS, LOG_EVENTS, USERS,
    };
}

/// Ids, logins and passwords of the demo seed.
pub mod demo {
    pub use crate::seed::{
        ADMIN_ID, ADMIN_LOGIN, ADMIN_PASSWORD, BOOKMARK_APP_ID, ENGINEERING_GROUP_ID, HR_GROUP_ID,
        JORDAN_ID, JORDAN_LOGIN, JORDAN_PASSWORD, JORDAN_SMS_FACTOR_ID, JORDAN_TOTP_FACTOR_ID,
        LEE_ID, LEE_LOGIN, MAYA_ID, MAYA_LOGIN, OIDC_APP_ID, OTHER_PASSWORD, PRIYA_ID, PRIYA_LOGIN,
        SAM_ID, SAM_LOGIN, SAML_APP_ID, SWA_APP_ID,
    };
}
