//! Okta-style rate limiting: a fixed window per endpoint family plus a concurrency cap.
//!
//! Every `/api/v1` response carries `X-Rate-Limit-Limit`, `X-Rate-Limit-Remaining` and
//! `X-Rate-Limit-Reset` (UTC epoch seconds at which the window ends). A concurrency 429
//! reports `0` for the first two headers, as Okta documents.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use http::{HeaderMap, HeaderValue};
use serde::Serialize;

use crate::config::RateLimits;

/// The headers' values for one response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RateHeaders {
    pub limit: u32,
    pub remaining: u32,
    pub reset: i64,
}

impl RateHeaders {
    pub fn apply(&self, headers: &mut HeaderMap) {
        headers.insert("x-rate-limit-limit", HeaderValue::from(self.limit));
        headers.insert("x-rate-limit-remaining", HeaderValue::from(self.remaining));
        headers.insert("x-rate-limit-reset", HeaderValue::from(self.reset));
    }
}

/// A notable crossing Okta reports in the System Log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RateEvent {
    Warning,
    Violation,
}

/// The outcome of counting one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Decision {
    pub allowed: bool,
    pub headers: RateHeaders,
    pub event: Option<RateEvent>,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    start: i64,
    used: u32,
    warned: bool,
    violated: bool,
}

/// What clients did to the limits since they were last set: how low each family's budget
/// went and how many requests were refused (for tests that must not exhaust the org).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RateLimitStats {
    pub families: BTreeMap<String, FamilyStats>,
    /// Concurrency 429s (`X-Rate-Limit-Limit: 0`).
    pub concurrency_refused: u32,
}

/// One family's record since the limits were last set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FamilyStats {
    pub limit: u32,
    /// The lowest `X-Rate-Limit-Remaining` any answer in any window reported.
    pub lowest_remaining: u32,
    /// Requests allowed.
    pub allowed: u32,
    /// Window 429s.
    pub refused: u32,
}

/// Per-family fixed windows.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    limits: RateLimits,
    windows: HashMap<String, Window>,
    stats: RateLimitStats,
}

impl RateLimiter {
    pub fn new(limits: RateLimits) -> Self {
        RateLimiter {
            limits,
            windows: HashMap::new(),
            stats: RateLimitStats::default(),
        }
    }

    pub fn limits(&self) -> &RateLimits {
        &self.limits
    }

    /// Replaces the limits and starts fresh windows.
    pub fn set_limits(&mut self, limits: RateLimits) {
        self.limits = limits;
        self.windows.clear();
        self.stats = RateLimitStats::default();
    }

    pub fn stats(&self) -> RateLimitStats {
        self.stats.clone()
    }

    /// Counts a concurrency 429.
    pub fn concurrency_refused(&mut self) {
        self.stats.concurrency_refused += 1;
    }

    fn family_stats(&mut self, family: &str, limit: u32) -> &mut FamilyStats {
        self.stats
            .families
            .entry(family.to_string())
            .or_insert(FamilyStats {
                limit,
                lowest_remaining: limit,
                allowed: 0,
                refused: 0,
            })
    }

    fn window(&mut self, family: &str, now: i64) -> &mut Window {
        let len = i64::try_from(self.limits.window_secs.max(1)).unwrap_or(60);
        let w = self.windows.entry(family.to_string()).or_insert(Window {
            start: now,
            used: 0,
            warned: false,
            violated: false,
        });
        if now >= w.start.saturating_add(len) {
            *w = Window {
                start: now,
                used: 0,
                warned: false,
                violated: false,
            };
        }
        w
    }

    /// Counts one request against `family` at `now` (epoch seconds).
    pub fn check(&mut self, family: &str, now: i64) -> Decision {
        let limit = self.limits.limit_for(family);
        let len = i64::try_from(self.limits.window_secs.max(1)).unwrap_or(60);
        let w = self.window(family, now);
        let reset = w.start.saturating_add(len);
        if w.used >= limit {
            let event = (!w.violated).then_some(RateEvent::Violation);
            w.violated = true;
            let stats = self.family_stats(family, limit);
            stats.refused += 1;
            stats.lowest_remaining = 0;
            return Decision {
                allowed: false,
                headers: RateHeaders {
                    limit,
                    remaining: 0,
                    reset,
                },
                event,
            };
        }
        w.used += 1;
        // Okta warns at 60 % of the limit (Enterprise and One App orgs).
        let event = if !w.warned && u64::from(w.used) * 10 >= u64::from(limit) * 6 && limit >= 10 {
            w.warned = true;
            Some(RateEvent::Warning)
        } else {
            None
        };
        let remaining = limit - w.used;
        let stats = self.family_stats(family, limit);
        stats.allowed += 1;
        stats.lowest_remaining = stats.lowest_remaining.min(remaining);
        Decision {
            allowed: true,
            headers: RateHeaders {
                limit,
                remaining,
                reset,
            },
            event,
        }
    }

    /// The current headers for `family` without counting a request (for 401s).
    pub fn peek(&mut self, family: &str, now: i64) -> RateHeaders {
        let limit = self.limits.limit_for(family);
        let len = i64::try_from(self.limits.window_secs.max(1)).unwrap_or(60);
        let w = self.window(family, now);
        RateHeaders {
            limit,
            remaining: limit.saturating_sub(w.used),
            reset: w.start.saturating_add(len),
        }
    }
}

/// Counts in-flight `/api/v1` requests; the guard releases its slot when dropped.
#[derive(Debug, Default, Clone)]
pub(crate) struct Concurrency {
    in_flight: Arc<AtomicU32>,
}

/// One occupied concurrency slot.
#[derive(Debug)]
pub(crate) struct Slot {
    in_flight: Arc<AtomicU32>,
    /// How many requests were in flight including this one.
    pub level: u32,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Concurrency {
    pub fn enter(&self) -> Slot {
        let level = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        Slot {
            in_flight: Arc::clone(&self.in_flight),
            level,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_allows_the_limit_then_refuses_until_it_resets() {
        let mut rl = RateLimiter::new(RateLimits::uniform(2));
        let a = rl.check("users", 1000);
        assert!(a.allowed);
        assert_eq!(a.headers.remaining, 1);
        assert_eq!(a.headers.reset, 1060);
        assert!(rl.check("users", 1001).allowed);
        let refused = rl.check("users", 1002);
        assert!(!refused.allowed);
        assert_eq!(refused.event, Some(RateEvent::Violation));
        assert_eq!(rl.check("users", 1003).event, None);
        assert!(rl.check("groups", 1003).allowed, "families are independent");
        assert!(rl.check("users", 1060).allowed, "a new window starts");
        let users = rl.stats().families["users"];
        assert_eq!(
            (users.lowest_remaining, users.allowed, users.refused),
            (0, 3, 2)
        );
        rl.set_limits(RateLimits::uniform(2));
        assert_eq!(rl.stats(), RateLimitStats::default());
    }

    #[test]
    fn okta_limits_follow_the_published_table() {
        let okta = RateLimits::okta();
        assert_eq!(okta.limit_for("logs"), 120);
        assert_eq!(okta.limit_for("user-get"), 2000);
        assert_eq!(okta.limit_for("apps"), 100);
        assert_eq!(okta.concurrency, 75);
    }

    #[test]
    fn slots_are_released_on_drop() {
        let c = Concurrency::default();
        let a = c.enter();
        let b = c.enter();
        assert_eq!(b.level, 2);
        drop(a);
        drop(b);
        assert_eq!(c.enter().level, 1);
    }
}
