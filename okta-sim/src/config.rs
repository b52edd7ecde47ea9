//! How a simulator is configured: tokens, seed data and rate limits.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::roles::AdminRole;

/// Which data a fresh (or reset) org contains.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Seed {
    /// The deterministic demo org: the admin, Jordan Lee, Priya Sharma, two groups, four apps,
    /// Jordan's factors and a few log events (see the README for every id).
    #[default]
    Demo,
    /// Only the admin user and the apps.
    Empty,
    /// A busy org: the demo org plus enough users, groups (the built-in `Everyone`, APP_GROUPs,
    /// OKTA_GROUPs with custom attributes) and 90 days of System Log events that ordering
    /// and paging bugs show (see [`crate::large`]).
    Large,
}

impl std::str::FromStr for Seed {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "demo" => Ok(Seed::Demo),
            "empty" => Ok(Seed::Empty),
            "large" => Ok(Seed::Large),
            other => Err(format!(
                "unknown seed '{other}' (expected demo, empty or large)"
            )),
        }
    }
}

/// Rate-limit settings. Limits are per endpoint family and per window (60 s in Okta), plus
/// a cap on simultaneous `/api/v1` requests.
///
/// Family names: `users` (GET/POST /api/v1/users), `user-get` (GET /api/v1/users/{id}),
/// `user-write` (POST/PUT/DELETE /api/v1/users/{id}), `groups` (/api/v1/groups),
/// `group` (/api/v1/groups/{id}), `apps` (/api/v1/apps and its sub-paths), `app`
/// (/api/v1/apps/{id}), `logs` (/api/v1/logs) and `other` (everything else under /api/v1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RateLimits {
    /// Requests per window for a family; families not listed use `default_limit`.
    #[serde(default)]
    pub per_family: BTreeMap<String, u32>,
    /// Requests per window for families not in `per_family`.
    pub default_limit: u32,
    /// Simultaneous in-flight `/api/v1` requests before a concurrency 429.
    pub concurrency: u32,
    /// Window length in seconds (Okta: 60).
    pub window_secs: u64,
}

impl RateLimits {
    /// Limits so high that tests, fuzzers and benchmarks never reach them.
    pub fn generous() -> Self {
        RateLimits {
            per_family: BTreeMap::new(),
            default_limit: 10_000_000,
            concurrency: 10_000,
            window_secs: 60,
        }
    }

    /// Okta's published per-minute limits for a Workforce org (NOTES §7) and its
    /// concurrency limit of 75.
    pub fn okta() -> Self {
        let per_family = [
            ("users", 600),
            ("user-get", 2000),
            ("user-write", 600),
            ("groups", 500),
            ("group", 1000),
            ("apps", 100),
            ("app", 500),
            ("logs", 120),
            ("other", 1200),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        RateLimits {
            per_family,
            default_limit: 1200,
            concurrency: 75,
            window_secs: 60,
        }
    }

    /// The same limit for every family (handy for 429 tests: `RateLimits::uniform(3)`).
    pub fn uniform(limit: u32) -> Self {
        RateLimits {
            per_family: BTreeMap::new(),
            default_limit: limit,
            concurrency: 10_000,
            window_secs: 60,
        }
    }

    /// The limit for a family.
    pub fn limit_for(&self, family: &str) -> u32 {
        self.per_family
            .get(family)
            .copied()
            .unwrap_or(self.default_limit)
    }
}

/// How long an activation stays in progress by default (strict, as a real org).
pub const DEFAULT_TRANSITION: Duration = Duration::from_millis(100);
/// Okta's SMS and voice-call resend throttle.
pub const DEFAULT_FACTOR_RESEND_THROTTLE: Duration = Duration::from_secs(30);

/// Configuration of one simulator.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// The admin SSWS token (its owner is a SUPER_ADMIN).
    pub token: String,
    /// More accepted tokens, each with its owner's role (calls outside the role get 403
    /// E0000006).
    pub extra_tokens: Vec<(String, AdminRole)>,
    /// Use Okta's published rate limits instead of generous ones.
    pub okta_rate_limits: bool,
    /// Initial data.
    pub seed: Seed,
    /// Explicit rate limits; overrides `okta_rate_limits` when set.
    pub rate_limits: Option<RateLimits>,
    /// The base URL used in links and activation URLs; defaults to `http://{bound address}`.
    pub public_url: Option<String>,
    /// How many requests the request log keeps (oldest dropped first).
    pub request_log_capacity: usize,
    /// How long an activation (and a `Prefer: respond-async` deactivation or delete) stays
    /// in progress, showing `transitioningToStatus`; zero makes them synchronous.
    pub transition: Duration,
    /// Okta's resend throttle: a second SMS (or voice call) to the same user within this
    /// time gets 429 E0000109 (E0000133).
    pub factor_resend_throttle: Duration,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            token: "sim-admin-token".to_string(),
            extra_tokens: Vec::new(),
            okta_rate_limits: false,
            seed: Seed::Demo,
            rate_limits: None,
            public_url: None,
            request_log_capacity: 100_000,
            transition: DEFAULT_TRANSITION,
            factor_resend_throttle: DEFAULT_FACTOR_RESEND_THROTTLE,
        }
    }
}

impl SimConfig {
    /// The rate limits this configuration asks for.
    pub fn effective_rate_limits(&self) -> RateLimits {
        match (&self.rate_limits, self.okta_rate_limits) {
            (Some(limits), _) => limits.clone(),
            (None, true) => RateLimits::okta(),
            (None, false) => RateLimits::generous(),
        }
    }
}
