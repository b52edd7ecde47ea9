//! The rate-limit governor: paces one process's calls from Okta's own rate-limit headers.
//!
//! Okta's limits are per org and per endpoint family, shared by every replica and every human
//! admin, and every answer reports the family's window (`X-Rate-Limit-Limit`, `-Remaining`,
//! `-Reset`). So each process keeps, per account and family, the latest window it has seen and
//! needs no coordination: when `Remaining` is down to the reserve (a share of `Limit` kept for
//! the org's admins), new calls wait for the reset, or are refused when the reset comes after
//! the action's deadline. Between answers a process counts its own calls against the window,
//! so its overshoot is bounded by its calls in flight.
//!
//! A concurrency 429 (Limit and Remaining both 0, Reset only a hint) says nothing about the
//! family's window: it is not recorded, so it never freezes a family until a reset.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::Method;
use reqwest::header::{DATE, HeaderMap};

/// Okta's rate-limit buckets for the Management API (NOTES.md §7, Okta's "Management rate
/// limits"), a fixed set so that metric labels stay bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// GET or POST `/api/v1/users`.
    Users,
    /// GET `/api/v1/users/{idOrLogin}`.
    UserGet,
    /// POST, PUT or DELETE `/api/v1/users/{id}`.
    UserWrite,
    /// `/api/v1/groups`.
    Groups,
    /// `/api/v1/groups/{id}`.
    Group,
    /// `/api/v1/apps` and its sub-paths other than `/api/v1/apps/{id}`.
    Apps,
    /// `/api/v1/apps/{id}`.
    App,
    /// `/api/v1/logs`.
    Logs,
    /// Everything else under `/api/v1`.
    Other,
}

impl Family {
    pub const ALL: [Family; 9] = [
        Family::Users,
        Family::UserGet,
        Family::UserWrite,
        Family::Groups,
        Family::Group,
        Family::Apps,
        Family::App,
        Family::Logs,
        Family::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Family::Users => "users",
            Family::UserGet => "user-get",
            Family::UserWrite => "user-write",
            Family::Groups => "groups",
            Family::Group => "group",
            Family::Apps => "apps",
            Family::App => "app",
            Family::Logs => "logs",
            Family::Other => "other",
        }
    }

    /// The bucket a call counts against, from its method and (encoded) path.
    pub fn of(method: &Method, path: &str) -> Family {
        let segments: Vec<&str> = path
            .strip_prefix("/api/v1/")
            .map(|rest| rest.split('/').collect())
            .unwrap_or_default();
        match segments.as_slice() {
            ["users"] => Family::Users,
            ["users", _] if method == Method::GET => Family::UserGet,
            ["users", _] => Family::UserWrite,
            ["groups"] => Family::Groups,
            ["groups", _] => Family::Group,
            ["apps", _] => Family::App,
            ["apps", ..] => Family::Apps,
            ["logs"] => Family::Logs,
            _ => Family::Other,
        }
    }
}

/// What one answer's rate-limit headers say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Observed {
    /// The family's window: `remaining` of `limit` calls until `reset` (epoch seconds on
    /// Okta's clock), which comes after `wait` on the local clock.
    Window {
        limit: u32,
        remaining: u32,
        reset: i64,
        wait: Duration,
    },
    /// A concurrency 429: too many calls at once, nothing about the window.
    Concurrency,
    /// No usable headers (a proxy's page, a fault).
    Nothing,
}

impl Observed {
    /// Read the headers; the wait until the reset is measured against Okta's own `Date`, not
    /// the local clock.
    pub fn from_headers(headers: &HeaderMap) -> Observed {
        let number = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<i64>().ok())
        };
        let (Some(limit), Some(remaining), Some(reset)) = (
            number("x-rate-limit-limit"),
            number("x-rate-limit-remaining"),
            number("x-rate-limit-reset"),
        ) else {
            return Observed::Nothing;
        };
        if limit == 0 && remaining == 0 {
            return Observed::Concurrency;
        }
        let (Ok(limit), Ok(remaining)) = (u32::try_from(limit), u32::try_from(remaining)) else {
            return Observed::Nothing;
        };
        let now = headers
            .get(DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| chrono::DateTime::parse_from_rfc2822(v).ok())
            .map_or_else(|| chrono::Utc::now().timestamp(), |d| d.timestamp());
        // `Date` has whole seconds: a second more, so the reset has surely passed at Okta.
        let secs = (reset - now + 1).clamp(0, MAX_WINDOW_SECS);
        Observed::Window {
            limit,
            remaining: remaining.min(limit),
            reset,
            wait: Duration::from_secs(secs as u64),
        }
    }
}

/// A bogus reset must not park an account for days: no window is taken to last longer.
const MAX_WINDOW_SECS: i64 = 3600;

/// One family's latest window as this process sees it.
#[derive(Debug, Clone, Copy)]
struct Window {
    limit: u32,
    remaining: u32,
    /// Okta's reset of the latest window seen: it orders answers that arrive out of order.
    reset: i64,
    resets_at: Instant,
    /// The longest wait to a reset seen: how long a window lasts, for the one that follows.
    period: Duration,
    /// Whether the window is this process's projection of a fresh one after a reset passed,
    /// until an answer reports the real one.
    projected: bool,
}

/// The decision for one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Go,
    /// Wait this long (the reset comes within the deadline), then ask again.
    Hold(Duration),
    /// The reset comes after the deadline: the true wait, for `Retry-After`.
    Refuse(Duration),
}

/// One family's window for display (`GET /accounts/{name}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowView {
    pub family: Family,
    pub limit: u32,
    pub remaining: u32,
    pub resets_at: chrono::DateTime<chrono::Utc>,
}

/// The windows of every account and family this process has seen.
#[derive(Debug)]
pub struct Governor {
    default_reserve_percent: u8,
    windows: Mutex<HashMap<(Arc<str>, Family), Window>>,
}

impl Governor {
    pub fn new(default_reserve_percent: u8) -> Governor {
        Governor {
            default_reserve_percent,
            windows: Mutex::default(),
        }
    }

    fn windows(&self) -> std::sync::MutexGuard<'_, HashMap<(Arc<str>, Family), Window>> {
        self.windows
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Decide for one call at `now`, `left` before the action's deadline. A call that goes is
    /// counted against the window at once, so calls in flight are accounted for.
    pub fn admit(
        &self,
        account: &str,
        family: Family,
        reserve_percent: Option<u8>,
        now: Instant,
        left: Duration,
    ) -> Admission {
        let mut windows = self.windows();
        let Some(window) = windows.get_mut(&(Arc::from(account), family)) else {
            return Admission::Go;
        };
        if now >= window.resets_at {
            // A new window has begun at Okta: assume it is whole until an answer says how
            // much of it others have used, and count this process's calls against it.
            window.remaining = window.limit;
            window.resets_at = now + window.period;
            window.projected = true;
        }
        let percent = reserve_percent.unwrap_or(self.default_reserve_percent);
        let reserve = (u64::from(window.limit) * u64::from(percent)).div_ceil(100);
        if u64::from(window.remaining) > reserve {
            window.remaining -= 1;
            return Admission::Go;
        }
        let wait = window.resets_at - now;
        if wait < left {
            Admission::Hold(wait)
        } else {
            Admission::Refuse(wait)
        }
    }

    /// Wait until a call may go, within the deadline; `Err` carries the true wait when the
    /// reset comes after it.
    pub async fn pace(
        &self,
        account: &str,
        family: Family,
        reserve_percent: Option<u8>,
        deadline: Instant,
    ) -> Result<(), Duration> {
        loop {
            let now = Instant::now();
            let left = deadline.saturating_duration_since(now);
            match self.admit(account, family, reserve_percent, now, left) {
                Admission::Go => return Ok(()),
                Admission::Hold(wait) => {
                    tracing::info!(
                        account,
                        family = family.as_str(),
                        wait_ms = wait.as_millis() as u64,
                        "Okta rate limit down to the reserve: holding the call until the reset"
                    );
                    metrics::counter!(
                        "okta_calls_held_total",
                        "account" => account.to_owned(),
                        "family" => family.as_str()
                    )
                    .increment(1);
                    tokio::time::sleep(wait).await;
                }
                Admission::Refuse(wait) => return Err(wait),
            }
        }
    }

    /// Take in an answer's headers at `now`. A window replaces the one kept when it is newer
    /// (a later reset); answers of the same window keep the lowest `Remaining`, since answers
    /// arrive out of order; an older window is ignored.
    pub fn record(&self, account: &str, family: Family, observed: Observed, now: Instant) {
        let Observed::Window {
            limit,
            remaining,
            reset,
            wait,
        } = observed
        else {
            return;
        };
        let mut windows = self.windows();
        let key = (Arc::from(account), family);
        let fresh = Window {
            limit,
            remaining,
            reset,
            resets_at: now + wait,
            period: wait.max(Duration::from_secs(1)),
            projected: false,
        };
        let window = windows.entry(key).or_insert(fresh);
        window.period = window.period.max(wait);
        if reset > window.reset {
            *window = Window {
                period: window.period,
                ..fresh
            };
        } else if reset == window.reset && !window.projected {
            window.limit = limit;
            window.remaining = window.remaining.min(remaining);
        }
        metrics::gauge!(
            "okta_rate_limit_remaining",
            "account" => account.to_owned(),
            "family" => family.as_str()
        )
        .set(f64::from(window.remaining));
    }

    /// The windows of one account, in [`Family::ALL`] order.
    pub fn view(&self, account: &str) -> Vec<WindowView> {
        let windows = self.windows();
        let now = Instant::now();
        let wall = chrono::Utc::now();
        Family::ALL
            .iter()
            .filter_map(|family| {
                let window = windows.get(&(Arc::from(account), *family))?;
                let left = window.resets_at.saturating_duration_since(now);
                Some(WindowView {
                    family: *family,
                    limit: window.limit,
                    // Passed: the next window has not been reported yet; it starts whole.
                    remaining: if now >= window.resets_at {
                        window.limit
                    } else {
                        window.remaining
                    },
                    resets_at: wall + chrono::Duration::from_std(left).unwrap_or_default(),
                })
            })
            .collect()
    }

    /// Drop a deleted account's windows.
    pub fn forget(&self, account: &str) {
        self.windows().retain(|(name, _), _| &**name != account);
    }
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    fn window(limit: u32, remaining: u32, reset: i64, wait_secs: u64) -> Observed {
        Observed::Window {
            limit,
            remaining,
            reset,
            wait: Duration::from_secs(wait_secs),
        }
    }

    fn headers(limit: &str, remaining: &str, reset: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            DATE,
            HeaderValue::from_static("Sat, 28 Nov 2026 15:00:00 GMT"),
        );
        h.insert("x-rate-limit-limit", HeaderValue::from_str(limit).unwrap());
        h.insert(
            "x-rate-limit-remaining",
            HeaderValue::from_str(remaining).unwrap(),
        );
        h.insert("x-rate-limit-reset", HeaderValue::from_str(reset).unwrap());
        h
    }

    #[test]
    fn families_follow_okta_buckets() {
        let of = |m: Method, p: &str| Family::of(&m, p).as_str();
        assert_eq!(of(Method::GET, "/api/v1/users"), "users");
        assert_eq!(of(Method::POST, "/api/v1/users"), "users");
        assert_eq!(of(Method::GET, "/api/v1/users/a%40b.io"), "user-get");
        assert_eq!(of(Method::POST, "/api/v1/users/00u1"), "user-write");
        assert_eq!(of(Method::DELETE, "/api/v1/users/00u1"), "user-write");
        assert_eq!(
            of(Method::POST, "/api/v1/users/00u1/lifecycle/suspend"),
            "other"
        );
        assert_eq!(of(Method::GET, "/api/v1/groups"), "groups");
        assert_eq!(of(Method::PUT, "/api/v1/groups/00g1"), "group");
        assert_eq!(of(Method::PUT, "/api/v1/groups/00g1/users/00u1"), "other");
        assert_eq!(of(Method::GET, "/api/v1/apps"), "apps");
        assert_eq!(of(Method::GET, "/api/v1/apps/0oa1"), "app");
        assert_eq!(of(Method::GET, "/api/v1/apps/0oa1/users"), "apps");
        assert_eq!(of(Method::GET, "/api/v1/logs"), "logs");
        assert_eq!(of(Method::GET, "/api/v1/org"), "other");
    }

    #[test]
    fn headers_read_as_a_window_against_okta_date_or_as_a_concurrency_signal() {
        let date = 1_795_878_000; // 2026-11-28T15:00:00Z
        assert_eq!(
            Observed::from_headers(&headers("600", "42", &(date + 30).to_string())),
            window(600, 42, date + 30, 31)
        );
        assert_eq!(
            Observed::from_headers(&headers("0", "0", &(date + 1).to_string())),
            Observed::Concurrency
        );
        assert_eq!(
            Observed::from_headers(&headers("600", "x", "1")),
            Observed::Nothing
        );
        assert_eq!(Observed::from_headers(&HeaderMap::new()), Observed::Nothing);
    }

    #[test]
    fn calls_go_down_to_the_reserve_then_hold_until_the_reset() {
        let governor = Governor::new(10);
        let now = Instant::now();
        let left = Duration::from_secs(25);
        assert_eq!(
            governor.admit("a", Family::Users, None, now, left),
            Admission::Go,
            "nothing known yet"
        );
        governor.record("a", Family::Users, window(100, 12, 1000, 5), now);
        assert_eq!(
            governor.admit("a", Family::Users, None, now, left),
            Admission::Go
        );
        assert_eq!(
            governor.admit("a", Family::Users, None, now, left),
            Admission::Go
        );
        // Two counted locally: 10 left, which is the reserve.
        assert_eq!(
            governor.admit("a", Family::Users, None, now, left),
            Admission::Hold(5 * SECOND)
        );
        // Another family, another account: their own windows.
        assert_eq!(
            governor.admit("a", Family::Groups, None, now, left),
            Admission::Go
        );
        assert_eq!(
            governor.admit("b", Family::Users, None, now, left),
            Admission::Go
        );
        // A per-account reserve overrides the default.
        assert_eq!(
            governor.admit("a", Family::Users, Some(5), now, left),
            Admission::Go
        );
    }

    #[test]
    fn a_reset_after_the_deadline_refuses_with_the_true_wait() {
        let governor = Governor::new(10);
        let now = Instant::now();
        governor.record("a", Family::Logs, window(120, 3, 1000, 40), now);
        assert_eq!(
            governor.admit("a", Family::Logs, None, now, Duration::from_secs(25)),
            Admission::Refuse(40 * SECOND)
        );
        assert_eq!(
            governor.admit("a", Family::Logs, None, now, Duration::from_secs(41)),
            Admission::Hold(40 * SECOND)
        );
    }

    #[test]
    fn a_concurrency_429_does_not_freeze_the_family() {
        let governor = Governor::new(10);
        let now = Instant::now();
        governor.record("a", Family::Users, window(100, 50, 1000, 30), now);
        governor.record("a", Family::Users, Observed::Concurrency, now);
        assert_eq!(
            governor.admit("a", Family::Users, None, now, SECOND),
            Admission::Go
        );
        assert_eq!(governor.view("a")[0].remaining, 49);
    }

    #[test]
    fn a_newer_window_replaces_an_older_one_and_late_answers_cannot_raise_it() {
        let governor = Governor::new(0);
        let now = Instant::now();
        governor.record("a", Family::Users, window(100, 5, 1000, 3), now);
        // An answer of the same window that left Okta earlier: the lower count stands.
        governor.record("a", Family::Users, window(100, 40, 1000, 3), now);
        assert_eq!(governor.view("a")[0].remaining, 5);
        // An answer of an older window is ignored.
        governor.record("a", Family::Users, window(100, 90, 940, 0), now);
        assert_eq!(governor.view("a")[0].remaining, 5);
        // The next window replaces it.
        governor.record("a", Family::Users, window(100, 97, 1060, 60), now);
        assert_eq!(governor.view("a")[0].remaining, 97);
        assert_eq!(governor.view("a")[0].limit, 100);
    }

    #[test]
    fn once_the_reset_passes_calls_go_and_count_against_a_fresh_window() {
        let governor = Governor::new(50);
        let now = Instant::now();
        governor.record("a", Family::Users, window(4, 0, 1000, 2), now);
        assert_eq!(
            governor.admit("a", Family::Users, None, now, Duration::from_secs(10)),
            Admission::Hold(2 * SECOND)
        );
        let later = now + 2 * SECOND;
        // A fresh window of 4 with a reserve of 2: two calls go before the next answer.
        assert_eq!(
            governor.admit("a", Family::Users, None, later, SECOND),
            Admission::Go
        );
        assert_eq!(
            governor.admit("a", Family::Users, None, later, SECOND),
            Admission::Go
        );
        assert_eq!(
            governor.admit("a", Family::Users, None, later, SECOND),
            Admission::Refuse(2 * SECOND)
        );
        // The real window arrives and replaces the projection.
        governor.record("a", Family::Users, window(4, 3, 1002, 2), later);
        assert_eq!(
            governor.admit("a", Family::Users, None, later, SECOND),
            Admission::Go
        );
    }

    #[test]
    fn forgetting_an_account_drops_its_windows() {
        let governor = Governor::new(10);
        let now = Instant::now();
        governor.record("a", Family::Users, window(100, 0, 1000, 30), now);
        governor.forget("a");
        assert!(governor.view("a").is_empty());
        assert_eq!(
            governor.admit("a", Family::Users, None, now, SECOND),
            Admission::Go
        );
    }
}
