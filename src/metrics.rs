//! Prometheus metrics: the recorder, installed once per process, and the names the gateway
//! records. `GET /metrics` (admin scope) renders them.
//!
//! - `gateway_http_requests_total{method,route,action,status}` and
//!   `gateway_http_request_duration_seconds{route,action}`: every request.
//! - `gateway_requests_shed_total{reason}`: requests refused at the door (capacity, timeout).
//! - `okta_requests_total{account,family,status}` and
//!   `okta_request_duration_seconds{account,family}`: every call to Okta (`status` 0: no answer).
//! - `okta_retries_total{account,family,reason}`: repeated calls (rate_limit, concurrency,
//!   server_error, connection, user_in_transition).
//! - `okta_rate_limited_total{account,family}`: 429s received from Okta.
//! - `okta_calls_shed_total{account}`: calls refused by the per-account in-flight limit.
//! - `okta_rate_limit_remaining{account,family}`: the governor's view of each rate-limit
//!   window (the last `X-Rate-Limit-Remaining`, less this process's calls since).
//! - `okta_calls_held_total{account,family}`: calls held at the reserve until a window reset.
//! - `okta_access_tokens_total{account,outcome}`: a service app's token requests (`issued`,
//!   `refused` by Okta's authorization server, `failed` without its answer); one per token,
//!   whatever DPoP's refusals and nonce cost on the wire.
//!
//! `family` is one of Okta's rate-limit buckets (`crate::okta::governor::Family`), a fixed set.
//! - `gateway_audit_write_failures_total`: audit rows that could not be written (the answer
//!   was sent without its row; see [`crate::audit`]).
//!
//! `account` is a stored account's name, or `-` for the token check of an account being
//! created (a failed create leaves no series behind).

use std::collections::HashSet;
use std::sync::{LazyLock, OnceLock};

use metrics::SharedString;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Latency buckets, in seconds: fine below a millisecond (the gateway's own cost), coarse up
/// to Okta's timeouts.
const BUCKETS: [f64; 16] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// How often histogram samples are folded into their buckets. The recorder keeps every sample
/// until upkeep runs: without it a rarely scraped gateway grows without bound.
const UPKEEP_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);

/// HTTP status codes as label values, made once: labels on the hot path allocate nothing.
static STATUS_LABELS: LazyLock<Vec<String>> =
    LazyLock::new(|| (0..600).map(|code: u16| code.to_string()).collect());

/// A status code as a label value (`0`: no answer).
pub fn status_label(status: u16) -> SharedString {
    match STATUS_LABELS.get(usize::from(status)) {
        Some(text) => SharedString::const_str(text.as_str()),
        None => SharedString::from(status.to_string()),
    }
}

/// A request method as a label value.
pub fn method_label(method: &http::Method) -> SharedString {
    match *method {
        http::Method::GET => SharedString::const_str("GET"),
        http::Method::POST => SharedString::const_str("POST"),
        http::Method::PUT => SharedString::const_str("PUT"),
        http::Method::DELETE => SharedString::const_str("DELETE"),
        http::Method::PATCH => SharedString::const_str("PATCH"),
        http::Method::HEAD => SharedString::const_str("HEAD"),
        http::Method::OPTIONS => SharedString::const_str("OPTIONS"),
        ref other => SharedString::from(other.to_string()),
    }
}

/// The process-wide recorder's handle; installs the recorder on first use.
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &BUCKETS)
            .expect("the bucket list is not empty");
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        // Another recorder may exist (a host process); then these metrics stay local.
        let _ = metrics::set_global_recorder(recorder);
        let upkeep = handle.clone();
        // A plain thread: the recorder is process-wide, independent of any runtime.
        let started = std::thread::Builder::new()
            .name("metrics-upkeep".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(UPKEEP_INTERVAL);
                    upkeep.run_upkeep();
                }
            });
        if let Err(err) = started {
            tracing::warn!(error = %err, "no metrics upkeep thread: histograms drain only when scraped");
        }
        handle
    })
}

/// The Prometheus text exposition of every metric, leaving out the series of accounts that
/// are not in `accounts` when it is given (deleted ones: the exporter cannot drop a series).
/// Series labelled `account="-"` (checks for accounts not stored yet) are kept.
pub fn render(accounts: Option<&HashSet<String>>) -> String {
    let handle = handle();
    handle.run_upkeep();
    let text = handle.render();
    let Some(accounts) = accounts else {
        return text;
    };
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let account = line
            .split_once("account=\"")
            .and_then(|(_, rest)| rest.split_once('"'))
            .map(|(value, _)| value);
        if account.is_none_or(|name| name == "-" || accounts.contains(name)) {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}
