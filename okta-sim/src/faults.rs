//! Fault injection and the request log.
//!
//! A [`Fault`] applies to the next `count` requests whose method (if given) and raw path
//! (an anchored regex) match. Every `/api/v1` request — faulted or not — is appended to the
//! request log as a [`RecordedRequest`], with the token replaced by its label. Control
//! routes (`/__sim/…`) are neither faulted nor recorded.
//!
//! Setting `OKTA_SIM_CAPTURE_FILE` appends every recorded exchange as one JSON line to that
//! file, so a later test can validate every response the simulator produced against the spec.

use std::collections::VecDeque;
use std::io::Write;

use regex::Regex;
use serde::{Deserialize, Serialize};

/// What an injected fault does to a matching request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum FaultKind {
    /// Wait `ms` milliseconds, then answer normally.
    Latency { ms: u64 },
    /// Answer with this status and an Okta error body (the request is not processed).
    Status {
        status: u16,
        error_code: String,
        error_summary: String,
    },
    /// Answer 429 E0000047 with `X-Rate-Limit-Remaining: 0` and
    /// `X-Rate-Limit-Reset = now + reset_in_secs` (the request is not processed).
    RateLimit { reset_in_secs: u64 },
    /// Answer Okta's concurrency 429: E0000047 with `X-Rate-Limit-Limit: 0`,
    /// `X-Rate-Limit-Remaining: 0` and `X-Rate-Limit-Reset = now + reset_in_secs` (only a
    /// hint; the request is not processed).
    ConcurrencyLimit { reset_in_secs: u64 },
    /// Process the request, then close the connection without sending any response.
    DropBeforeResponse,
    /// Process the request, send the status, headers and part of the body, then close.
    DropMidBody,
    /// Answer with an HTML page and this status, as a proxy would (not processed).
    Html { status: u16 },
    /// Process the request and send the headers, then hold the body for `delay_ms`.
    SlowBody { delay_ms: u64 },
}

impl FaultKind {
    /// A short name for the request log.
    pub fn name(&self) -> &'static str {
        match self {
            FaultKind::Latency { .. } => "latency",
            FaultKind::Status { .. } => "status",
            FaultKind::RateLimit { .. } => "rateLimit",
            FaultKind::ConcurrencyLimit { .. } => "concurrencyLimit",
            FaultKind::DropBeforeResponse => "dropBeforeResponse",
            FaultKind::DropMidBody => "dropMidBody",
            FaultKind::Html { .. } => "html",
            FaultKind::SlowBody { .. } => "slowBody",
        }
    }
}

fn one() -> u32 {
    1
}

/// A fault for the next `count` requests matching `method` and `path`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fault {
    /// HTTP method to match (case-insensitive); `None` matches any.
    #[serde(default)]
    pub method: Option<String>,
    /// Regex matched against the whole raw (still percent-encoded) path.
    pub path: String,
    /// How many matching requests the fault applies to.
    #[serde(default = "one")]
    pub count: u32,
    /// What happens.
    pub kind: FaultKind,
}

impl Fault {
    /// A fault for the next matching request.
    pub fn new(method: Option<&str>, path: &str, kind: FaultKind) -> Self {
        Fault {
            method: method.map(str::to_string),
            path: path.to_string(),
            count: 1,
            kind,
        }
    }

    /// The same fault for `count` requests.
    pub fn times(mut self, count: u32) -> Self {
        self.count = count;
        self
    }
}

/// Why a fault was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultError(pub String);

impl std::fmt::Display for FaultError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FaultError {}

#[derive(Debug)]
struct ActiveFault {
    fault: Fault,
    regex: Regex,
    remaining: u32,
}

/// Pending faults, oldest first; the first matching one wins.
#[derive(Debug, Default)]
pub(crate) struct FaultQueue {
    faults: Vec<ActiveFault>,
}

impl FaultQueue {
    pub fn add(&mut self, fault: Fault) -> Result<(), FaultError> {
        if fault.count == 0 {
            return Err(FaultError("count must be at least 1".into()));
        }
        let regex = Regex::new(&format!("^(?:{})$", fault.path))
            .map_err(|e| FaultError(format!("invalid path regex: {e}")))?;
        if let FaultKind::Status { status, .. } | FaultKind::Html { status } = &fault.kind
            && !(100..=999).contains(status)
        {
            return Err(FaultError(format!("invalid HTTP status {status}")));
        }
        let remaining = fault.count;
        self.faults.push(ActiveFault {
            fault,
            regex,
            remaining,
        });
        Ok(())
    }

    /// Consumes one use of the first fault matching this request.
    pub fn take(&mut self, method: &str, raw_path: &str) -> Option<FaultKind> {
        let index = self.faults.iter().position(|f| {
            f.fault
                .method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(method))
                && f.regex.is_match(raw_path)
        })?;
        let entry = &mut self.faults[index];
        let kind = entry.fault.kind.clone();
        entry.remaining = entry.remaining.saturating_sub(1);
        if entry.remaining == 0 {
            self.faults.remove(index);
        }
        Some(kind)
    }

    /// The pending faults with their remaining counts.
    pub fn pending(&self) -> Vec<Fault> {
        self.faults
            .iter()
            .map(|f| Fault {
                count: f.remaining,
                ..f.fault.clone()
            })
            .collect()
    }

    pub fn clear(&mut self) {
        self.faults.clear();
    }
}

/// One request as the simulator received it, and what it answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordedRequest {
    /// HTTP method.
    pub method: String,
    /// Raw path, still percent-encoded, as received.
    pub path: String,
    /// Raw query string, if any.
    pub query: Option<String>,
    /// Headers with lower-case names; `authorization` shows `SSWS <token_label>` (or
    /// `Bearer …`/`DPoP …` with the access token's label).
    pub headers: Vec<(String, String)>,
    /// Label of the SSWS token or OAuth access token sent (valid or not).
    pub token_label: Option<String>,
    /// Request body (lossy UTF-8), `None` when empty.
    pub body: Option<String>,
    /// Status sent; `0` when the connection was dropped before any response.
    pub status: u16,
    /// The matched endpoint template, e.g. `/api/v1/users/{id}/lifecycle/suspend`.
    pub route: Option<String>,
    /// The response body as produced (lossy UTF-8), `None` when empty.
    pub response_body: Option<String>,
    /// The response `Content-Type`.
    pub response_content_type: Option<String>,
    /// The `X-Okta-Request-Id` of the response.
    pub request_id: String,
    /// The injected fault applied to this request, if any.
    pub fault: Option<String>,
}

/// The bounded request log, plus the optional capture file.
#[derive(Debug)]
pub(crate) struct RequestLog {
    entries: VecDeque<RecordedRequest>,
    capacity: usize,
    capture: Option<std::fs::File>,
}

impl RequestLog {
    pub fn new(capacity: usize) -> Self {
        let capture = std::env::var_os("OKTA_SIM_CAPTURE_FILE").and_then(|path| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .ok()
        });
        RequestLog {
            entries: VecDeque::new(),
            capacity: capacity.max(1),
            capture,
        }
    }

    pub fn push(&mut self, entry: RecordedRequest) {
        if let Some(file) = self.capture.as_mut()
            && let Ok(mut line) = serde_json::to_vec(&entry)
        {
            line.push(b'\n');
            // Capture is best effort: a full disk must not fail the request.
            let _ = file.write_all(&line);
        }
        if self.entries.len() >= self.capacity {
            self.entries.pop_front();
        }
        self.entries.push_back(entry);
    }

    pub fn all(&self) -> Vec<RecordedRequest> {
        self.entries.iter().cloned().collect()
    }

    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fault_applies_to_count_matching_requests_then_expires() {
        let mut q = FaultQueue::default();
        q.add(Fault::new(Some("get"), "/api/v1/users/.*", FaultKind::DropMidBody).times(2))
            .expect("valid");
        assert_eq!(q.take("POST", "/api/v1/users/x"), None);
        assert_eq!(q.take("GET", "/api/v1/users"), None, "anchored");
        assert_eq!(
            q.take("GET", "/api/v1/users/x"),
            Some(FaultKind::DropMidBody)
        );
        assert_eq!(q.pending()[0].count, 1);
        assert_eq!(
            q.take("GET", "/api/v1/users/y"),
            Some(FaultKind::DropMidBody)
        );
        assert_eq!(q.take("GET", "/api/v1/users/z"), None);
    }

    #[test]
    fn bad_faults_are_refused() {
        let mut q = FaultQueue::default();
        assert!(
            q.add(Fault::new(None, "(", FaultKind::DropMidBody))
                .is_err()
        );
        assert!(
            q.add(Fault::new(None, ".*", FaultKind::Html { status: 7 }))
                .is_err()
        );
        assert!(
            q.add(Fault::new(None, ".*", FaultKind::DropMidBody).times(0))
                .is_err()
        );
    }

    #[test]
    fn faults_serialize_in_camel_case() {
        let f = Fault::new(
            None,
            "/x",
            FaultKind::Status {
                status: 503,
                error_code: "E0000010".into(),
                error_summary: "read only".into(),
            },
        );
        let json = serde_json::to_value(&f).expect("serializes");
        assert_eq!(json["kind"]["type"], "status");
        assert_eq!(json["kind"]["errorCode"], "E0000010");
        let back: Fault = serde_json::from_value(serde_json::json!({
            "path": "/x", "kind": {"type": "rateLimit", "resetInSecs": 1}
        }))
        .expect("deserializes");
        assert_eq!(back.count, 1);
        assert_eq!(back.kind, FaultKind::RateLimit { reset_in_secs: 1 });
    }
}
