//! The System Log store: events as appended, with their actors and targets (queried by `logs`).

use std::collections::VecDeque;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::util;

/// Events kept before the oldest are dropped (Okta keeps 90 days; memory is the limit here).
const CAPACITY: usize = 200_000;

/// An actor or target of an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    pub id: String,
    pub kind: String,
    pub alternate_id: String,
    pub display_name: String,
}

impl Target {
    pub fn new(id: &str, kind: &str, alternate_id: &str, display_name: &str) -> Self {
        Target {
            id: id.to_string(),
            kind: kind.to_string(),
            alternate_id: alternate_id.to_string(),
            display_name: display_name.to_string(),
        }
    }

    fn json(&self) -> Value {
        json!({
            "id": self.id,
            "type": self.kind,
            "alternateId": self.alternate_id,
            "displayName": self.display_name,
        })
    }
}

/// What the log needs to know about the HTTP request that caused an event.
#[derive(Debug, Clone)]
pub(crate) struct RequestMeta {
    pub request_id: String,
    pub ip: String,
    pub user_agent: String,
    pub uri: String,
    pub path: String,
    pub token_id: String,
}

/// Everything about a new event; `published`/`uuid` are fixed only by the demo seed.
#[derive(Debug, Clone)]
pub(crate) struct NewEvent<'a> {
    pub event_type: &'a str,
    pub display: &'a str,
    pub actor: Option<Target>,
    pub targets: Vec<Target>,
    pub meta: Option<&'a RequestMeta>,
    pub published: Option<DateTime<Utc>>,
    pub uuid: Option<String>,
    pub severity: &'a str,
    pub client: Option<Value>,
}

/// One event as kept: its sequence number, time and JSON form.
#[derive(Debug, Clone)]
pub(crate) struct StoredEvent {
    pub seq: u64,
    pub published: DateTime<Utc>,
    pub json: Value,
}

impl StoredEvent {
    pub fn cursor(&self) -> String {
        format!("{}_{}", self.published.timestamp_millis(), self.seq)
    }

    pub fn key(&self) -> (i64, u64) {
        (self.published.timestamp_millis(), self.seq)
    }
}

/// The events, in append (persistence) order.
#[derive(Debug, Default)]
pub(crate) struct LogStore {
    pub events: VecDeque<StoredEvent>,
    next_seq: u64,
}

impl LogStore {
    /// Appends an event performed through the API.
    pub fn append(
        &mut self,
        event_type: &str,
        display: &str,
        actor: Option<Target>,
        targets: Vec<Target>,
        meta: Option<&RequestMeta>,
        published: Option<DateTime<Utc>>,
    ) {
        self.append_event(NewEvent {
            event_type,
            display,
            actor,
            targets,
            meta,
            published,
            uuid: None,
            severity: "INFO",
            client: None,
        });
    }

    pub fn append_event(&mut self, e: NewEvent<'_>) {
        let published = e.published.unwrap_or_else(util::now);
        let uuid = e
            .uuid
            .unwrap_or_else(|| uuid::Uuid::new_v4().hyphenated().to_string());
        let actor = e.actor.unwrap_or_else(|| {
            Target::new(
                "unknown",
                "SystemPrincipal",
                "system@okta.com",
                "Okta System",
            )
        });
        let (client, transaction, debug, request) = match e.meta {
            Some(m) => (
                json!({
                    "userAgent": {"rawUserAgent": m.user_agent, "os": "Unknown", "browser": "UNKNOWN"},
                    "device": "Unknown",
                    "ipAddress": m.ip,
                }),
                json!({"type": "WEB", "id": m.request_id, "detail": {"requestApiTokenId": m.token_id}}),
                json!({"debugData": {"requestId": m.request_id, "requestUri": m.path, "url": m.uri}}),
                json!({"ipChain": [{"ip": m.ip, "version": if m.ip.contains(':') { "V6" } else { "V4" }}]}),
            ),
            None => (
                json!({}),
                json!({"type": "JOB", "id": util::random_alnum(27), "detail": {}}),
                json!({"debugData": {}}),
                json!({"ipChain": []}),
            ),
        };
        let event = json!({
            "actor": actor.json(),
            "client": e.client.unwrap_or(client),
            "authenticationContext": {"authenticationStep": 0, "externalSessionId": "unknown"},
            "displayMessage": e.display,
            "eventType": e.event_type,
            "outcome": {"result": "SUCCESS"},
            "published": util::ts(&published),
            "securityContext": {},
            "severity": e.severity,
            "debugContext": debug,
            "transaction": transaction,
            "uuid": uuid,
            "version": "0",
            "request": request,
            "target": e.targets.iter().map(Target::json).collect::<Vec<_>>(),
        });
        self.push(published, event);
    }

    /// Appends an event built whole by the caller (a sign-in's actor, client and outcome
    /// are not an API request's).
    pub fn push(&mut self, published: DateTime<Utc>, event: Value) {
        self.next_seq += 1;
        if self.events.len() >= CAPACITY {
            self.events.pop_front();
        }
        self.events.push_back(StoredEvent {
            seq: self.next_seq,
            published,
            json: event,
        });
    }

    /// Every event in append order.
    pub fn all(&self) -> Vec<Value> {
        self.events.iter().map(|e| e.json.clone()).collect()
    }

    pub fn last_cursor(&self) -> String {
        self.events
            .back()
            .map(StoredEvent::cursor)
            .unwrap_or_else(|| format!("{}_{}", util::now().timestamp_millis(), self.next_seq))
    }
}
