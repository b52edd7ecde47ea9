//! Idempotency keys: safe retries of mutating actions.
//!
//! The first request with an `Idempotency-Key` claims the key in the database (atomically, so
//! replicas sharing a Postgres database agree on one winner), runs, and stores its final
//! answer with a hash of the request; a repeat with the same key and request gets that answer
//! again with `Idempotent-Replayed: true` and no Okta call. Keys are scoped per gateway key. A
//! claim holds a lease (the request's hard limit plus a margin): a claim whose process died
//! mid-action is settled, once its lease has passed, as `outcomeUnknown`. Answers of actions
//! that carry credentials are stored sealed under the token key ring.
//!
//! Callers (the HTTP action route with the key from its header, MCP tool calls with the key
//! from `_meta`) go through [`Idempotency::run`], giving it the action's future; the run
//! answers an [`Answer`] (or an error) that each surface renders its own way.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::actions::{Action, NEXT_CURSOR_HEADER};
use crate::crypto::KeyRing;
use crate::error::{ApiError, ErrorDetails, ErrorStatus};
use crate::store::{AccountStore, IdempotencyAnswer, IdempotencyClaim, IdempotencyRecord};

/// The request header that carries the key.
pub const KEY_HEADER: &str = "idempotency-key";
/// The member of an MCP tool call's `_meta` that carries the key.
pub const META_KEY: &str = "idempotencyKey";
/// Set in an MCP tool result's `_meta` when the result is a replay.
pub const META_REPLAYED: &str = "idempotentReplayed";
/// Set on a replayed answer.
pub const REPLAYED_HEADER: &str = "idempotent-replayed";
/// The longest key accepted.
pub const MAX_KEY_LEN: usize = 255;
/// Past the request's hard limit: the time a claim's holder gets to store its answer.
const LEASE_MARGIN: Duration = Duration::from_secs(5);
/// The most a caller is asked to wait for a running first request before asking again.
const MAX_IN_PROGRESS_RETRY_AFTER: u64 = 5;
/// How often expired keys are deleted, at most (more often under a shorter TTL).
const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// Stores and replays answers; one per gateway.
pub struct Idempotency {
    store: Arc<dyn AccountStore>,
    ring: KeyRing,
    ttl: Duration,
    lease: Duration,
}

/// What identifies one keyed request.
pub struct KeyedRequest<'a> {
    /// The gateway key's hash: the key's scope.
    pub caller: &'a str,
    pub key: String,
    pub account: &'a str,
    pub action: &'static Action,
    /// The body as received, before validation.
    pub body: &'a Value,
    /// This request's id, for the stored copy of an error envelope.
    pub request_id: &'a str,
}

/// A final answer: what a keyed request's first run answered and its repeats get again.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: StatusCode,
    /// The headers a replay repeats: `Content-Type`, `X-Next-Cursor`, `Retry-After`,
    /// `Cache-Control`.
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        let mut response = Response::new(Body::from(self.body));
        *response.status_mut() = self.status;
        *response.headers_mut() = self.headers;
        response
    }
}

/// What a request under a key gets.
#[derive(Debug)]
pub struct Keyed {
    /// The action's answer or error, a stored one repeated, or the key's refusal.
    pub result: Result<Answer, ApiError>,
    /// The result is a stored answer repeated: Okta was not called.
    pub replayed: bool,
}

impl Keyed {
    /// A result that involved no stored answer.
    pub fn fresh(result: Result<Answer, ApiError>) -> Keyed {
        Keyed {
            result,
            replayed: false,
        }
    }
}

/// The `Idempotency-Key` of a request, if it sent one: 1 to 255 printable ASCII characters.
pub fn key_from_headers(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let mut values = headers.get_all(KEY_HEADER).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    let invalid = || {
        ApiError::invalid_field(
            "Idempotency-Key",
            "must be one header of 1 to 255 printable ASCII characters",
        )
    };
    if values.next().is_some() || !valid_key(value.as_bytes()) {
        return Err(invalid());
    }
    Ok(Some(String::from_utf8_lossy(value.as_bytes()).into_owned()))
}

/// The key an MCP tool call's `_meta` carries as `idempotencyKey`, if any: a string under the
/// header's rules.
pub fn key_from_meta(meta: &Map<String, Value>) -> Result<Option<String>, ApiError> {
    match meta.get(META_KEY) {
        None => Ok(None),
        Some(Value::String(key)) if valid_key(key.as_bytes()) => Ok(Some(key.clone())),
        Some(_) => Err(ApiError::invalid_field(
            "_meta.idempotencyKey",
            "must be a string of 1 to 255 printable ASCII characters",
        )),
    }
}

fn valid_key(bytes: &[u8]) -> bool {
    !bytes.is_empty()
        && bytes.len() <= MAX_KEY_LEN
        && bytes.iter().all(|b| (0x20..=0x7e).contains(b))
}

impl Idempotency {
    /// `request_timeout` bounds a request: a claim older than it plus a margin was abandoned.
    pub fn new(
        store: Arc<dyn AccountStore>,
        ring: KeyRing,
        ttl: Duration,
        request_timeout: Duration,
    ) -> Idempotency {
        Idempotency {
            store,
            ring,
            ttl,
            lease: request_timeout + LEASE_MARGIN,
        }
    }

    /// Run `action` at most once per key: claim the key, or answer from what the key holds.
    pub async fn run(
        &self,
        request: KeyedRequest<'_>,
        action: impl Future<Output = Result<Answer, ApiError>>,
    ) -> Keyed {
        let hash = request_hash(request.account, request.action.name, request.body);
        let claim = match self.claim(&request, &hash).await {
            Ok(Claimed::Won(claim)) => claim,
            Ok(Claimed::Stored(result)) => {
                return Keyed {
                    result,
                    replayed: true,
                };
            }
            Err(error) => return Keyed::fresh(Err(error)),
        };
        let mut guard = ClaimGuard {
            store: self.store.clone(),
            claim_id: Some(claim.claim_id.clone()),
        };
        let result = action.await;
        let result = self.settle(&request, &claim, result).await;
        guard.claim_id = None;
        Keyed::fresh(result)
    }

    async fn claim(&self, request: &KeyedRequest<'_>, hash: &str) -> Result<Claimed, ApiError> {
        // A few rounds: a row may expire, be released or be settled between our reads.
        for _ in 0..3 {
            let now = now_ms();
            let claim = IdempotencyClaim {
                caller: request.caller.to_owned(),
                key: request.key.clone(),
                request_hash: hash.to_owned(),
                claim_id: uuid::Uuid::new_v4().simple().to_string(),
                lease_until: now + millis(self.lease),
                expires_at: now + millis(self.ttl),
            };
            if self.store.claim_idempotency_key(&claim, now).await? {
                return Ok(Claimed::Won(claim));
            }
            let Some(record) = self
                .store
                .idempotency_key(request.caller, &request.key)
                .await?
            else {
                continue;
            };
            if record.expires_at <= now {
                continue;
            }
            if let Some(held) = self.held_by(&record, hash, now) {
                return held.map(Claimed::Stored);
            }
            // The holder died mid-action: nobody knows whether Okta made the change.
            let answer = error_answer(&abandoned(), request.request_id);
            self.store
                .finish_idempotency_key(&record.claim_id, &answer, Some(now))
                .await?;
        }
        Err(ApiError::new(ErrorStatus::ServiceUnavailable)
            .with_message("The Idempotency-Key changed hands too often to be claimed.")
            .with_details(ErrorDetails {
                retry_after: Some(1),
                ..ErrorDetails::default()
            }))
    }

    /// What the key already holds for this request, without claiming it: its stored answer
    /// (a replay), or the refusal a run would get (another request; still running). `None`
    /// when a run would claim the key. For a caller that must not do something else first
    /// (ask a user, show a preview) when the request already ran.
    pub async fn held(&self, request: &KeyedRequest<'_>) -> Option<Keyed> {
        let hash = request_hash(request.account, request.action.name, request.body);
        let now = now_ms();
        let record = match self
            .store
            .idempotency_key(request.caller, &request.key)
            .await
        {
            Ok(Some(record)) if record.expires_at > now => record,
            Ok(_) => return None,
            Err(err) => return Some(Keyed::fresh(Err(err.into()))),
        };
        Some(match self.held_by(&record, &hash, now)? {
            Ok(result) => Keyed {
                result,
                replayed: true,
            },
            Err(refusal) => Keyed::fresh(Err(refusal)),
        })
    }

    /// What an unexpired `record` answers a request hashing to `hash`: the stored answer, or a
    /// refusal; `None` when its holder died and its lease passed.
    fn held_by(
        &self,
        record: &IdempotencyRecord,
        hash: &str,
        now: i64,
    ) -> Option<Result<Result<Answer, ApiError>, ApiError>> {
        if record.request_hash != hash {
            return Some(Err(ApiError::new(ErrorStatus::IdempotencyKeyReused)));
        }
        if record.state == "done" {
            return Some(self.replay(record));
        }
        if record.lease_until > now {
            let wait = u64::try_from(record.lease_until - now)
                .unwrap_or(0)
                .div_ceil(1000);
            return Some(Err(ApiError::new(ErrorStatus::IdempotencyInProgress)
                .with_details(ErrorDetails {
                    retry_after: Some(wait.clamp(1, MAX_IN_PROGRESS_RETRY_AFTER)),
                    ..ErrorDetails::default()
                })));
        }
        None
    }

    /// Store the action's final answer (or give the key back when the answer only says
    /// "try again later"), and pass the answer on.
    async fn settle(
        &self,
        request: &KeyedRequest<'_>,
        claim: &IdempotencyClaim,
        result: Result<Answer, ApiError>,
    ) -> Result<Answer, ApiError> {
        let mut answer = match &result {
            Err(error) if retry_later(error) => {
                if let Err(err) = self.store.release_idempotency_key(&claim.claim_id).await {
                    tracing::warn!(error = %err, "could not release an idempotency key");
                }
                return result;
            }
            Err(error) => error_answer(error, request.request_id),
            Ok(answer) => IdempotencyAnswer {
                status: i32::from(answer.status.as_u16()),
                headers: kept_headers(&answer.headers),
                body: answer.body.to_vec(),
                encrypted: false,
            },
        };
        if request.action.carries_credentials {
            match self
                .ring
                .seal_answer(&row_context(&claim.caller, &claim.key), &answer.body)
            {
                Ok(sealed) => {
                    answer.body = sealed;
                    answer.encrypted = true;
                }
                Err(err) => {
                    // Never store a secret in plain text: leave the claim to its lease.
                    tracing::error!(error = %err, "could not seal an idempotent answer");
                    return result;
                }
            }
        }
        match self
            .store
            .finish_idempotency_key(&claim.claim_id, &answer, None)
            .await
        {
            Ok(true) => {}
            Ok(false) => tracing::warn!("an idempotency key's claim ended before its answer"),
            Err(err) => tracing::error!(error = %err, "could not store an idempotent answer"),
        }
        result
    }

    /// The stored answer or error, as given the first time (an error envelope is rebuilt, so it
    /// gets this request's id); the outer error when it cannot be read.
    fn replay(&self, record: &IdempotencyRecord) -> Result<Result<Answer, ApiError>, ApiError> {
        let stored = record.body.clone().unwrap_or_default();
        let body = if record.encrypted {
            self.ring
                .open_answer(&row_context(&record.caller, &record.idem_key), &stored)?
        } else {
            stored
        };
        let status = record
            .status
            .and_then(|s| u16::try_from(s).ok())
            .and_then(|s| StatusCode::from_u16(s).ok())
            .ok_or_else(|| ApiError::internal("a stored idempotent answer without a status"))?;
        if !status.is_success() {
            return Ok(Err(stored_error(&body)?));
        }
        let stored: Map<String, Value> = record
            .headers
            .as_deref()
            .and_then(|h| serde_json::from_str(h).ok())
            .unwrap_or_default();
        let mut headers = HeaderMap::new();
        for (name, value) in stored {
            if let (Ok(name), Some(Ok(value))) = (
                HeaderName::try_from(name),
                value.as_str().map(HeaderValue::from_str),
            ) {
                headers.insert(name, value);
            }
        }
        Ok(Ok(Answer {
            status,
            headers,
            body: Bytes::from(body),
        }))
    }

    /// Delete expired keys every so often, for as long as the returned task runs.
    pub fn spawn_sweeper(self: &Arc<Self>) -> Sweeper {
        let this = self.clone();
        let every = self.ttl.min(SWEEP_EVERY);
        Sweeper(tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                match this.store.purge_idempotency_keys(now_ms()).await {
                    Ok(0) => {}
                    Ok(n) => tracing::debug!(removed = n, "expired idempotency keys removed"),
                    Err(err) => {
                        tracing::warn!(error = %err, "could not remove expired idempotency keys")
                    }
                }
            }
        }))
    }
}

/// The sweeper task; stops when dropped.
pub struct Sweeper(tokio::task::JoinHandle<()>);

impl Drop for Sweeper {
    fn drop(&mut self) {
        self.0.abort();
    }
}

enum Claimed {
    Won(IdempotencyClaim),
    /// The key's stored answer or error.
    Stored(Result<Answer, ApiError>),
}

/// Settles a claim whose action was dropped before it answered (the request timed out or
/// the client went away mid-action): its outcome is unknown, and so is stored.
struct ClaimGuard {
    store: Arc<dyn AccountStore>,
    /// `None` once settled.
    claim_id: Option<String>,
}

impl Drop for ClaimGuard {
    fn drop(&mut self) {
        let Some(claim_id) = self.claim_id.take() else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let store = self.store.clone();
        runtime.spawn(async move {
            let answer = error_answer(&abandoned(), "-");
            if let Err(err) = store.finish_idempotency_key(&claim_id, &answer, None).await {
                tracing::warn!(error = %err, "could not settle an interrupted idempotency key");
            }
        });
    }
}

/// Answers that ask the caller to try again later and say nothing reached Okta: the key is
/// given back, so the retry runs instead of replaying "try again later".
fn retry_later(error: &ApiError) -> bool {
    matches!(
        error.status,
        ErrorStatus::ApiLimitReached
            | ErrorStatus::ServiceUnavailable
            | ErrorStatus::UpstreamUnavailable
            | ErrorStatus::UpstreamTimeout
    ) && error.details.outcome_unknown != Some(true)
}

/// The answer for a claim abandoned mid-action.
fn abandoned() -> ApiError {
    ApiError::new(ErrorStatus::UpstreamTimeout)
        .with_message(
            "The first request with this Idempotency-Key stopped before it answered. It may have reached Okta: check the outcome before repeating it.",
        )
        .with_how_to_fix(
            "Check in Okta whether the change was made; repeat it only with a new Idempotency-Key.",
        )
        .with_details(ErrorDetails {
            outcome_unknown: Some(true),
            ..ErrorDetails::default()
        })
}

fn error_answer(error: &ApiError, request_id: &str) -> IdempotencyAnswer {
    IdempotencyAnswer {
        status: i32::from(error.http_status().as_u16()),
        headers: "{}".to_owned(),
        body: serde_json::to_vec(&error.body(request_id)).unwrap_or_default(),
        encrypted: false,
    }
}

/// The error a stored envelope describes, rebuilt so the edge renders it with this request's id.
fn stored_error(body: &[u8]) -> Result<ApiError, ApiError> {
    let corrupt = || ApiError::internal("a stored idempotent error that cannot be read");
    let envelope: Value = serde_json::from_slice(body).map_err(|_| corrupt())?;
    let error = &envelope["error"];
    let status = ErrorStatus::ALL
        .iter()
        .copied()
        .find(|s| Some(s.as_str()) == error["status"].as_str())
        .ok_or_else(corrupt)?;
    let mut rebuilt = ApiError::new(status);
    if let Some(code) = error["code"].as_u64().and_then(|c| u16::try_from(c).ok()) {
        rebuilt.code = code;
    }
    if let Some(message) = error["message"].as_str() {
        rebuilt.message = message.to_owned();
    }
    if let Some(how_to_fix) = error["howToFix"].as_str()
        && how_to_fix != status.how_to_fix()
    {
        rebuilt = rebuilt.with_how_to_fix(how_to_fix);
    }
    if let Some(details) = error.get("details") {
        rebuilt.details = Box::new(serde_json::from_value(details.clone()).map_err(|_| corrupt())?);
    }
    Ok(rebuilt)
}

/// The headers a replay repeats, as a JSON object.
fn kept_headers(headers: &HeaderMap) -> String {
    let kept: Map<String, Value> = [
        CONTENT_TYPE,
        HeaderName::from_static(NEXT_CURSOR_HEADER),
        RETRY_AFTER,
        CACHE_CONTROL,
    ]
    .iter()
    .filter_map(|name| {
        let value = headers.get(name)?.to_str().ok()?;
        Some((name.as_str().to_owned(), Value::from(value)))
    })
    .collect();
    Value::Object(kept).to_string()
}

/// What a sealed answer is bound to.
pub fn row_context(caller: &str, key: &str) -> String {
    format!("{caller}\0{key}")
}

/// Hex SHA-256 of the account, the action and the body with its object keys sorted.
pub fn request_hash(account: &str, action: &str, body: &Value) -> String {
    let mut canonical = Vec::new();
    write_canonical(body, &mut canonical);
    let mut hasher = Sha256::new();
    for part in [account.as_bytes(), action.as_bytes(), &canonical] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    crate::crypto::hex(&hasher.finalize())
}

fn write_canonical(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push(b'{');
            for (index, (key, value)) in entries.into_iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(Value::from(key.as_str()).to_string().as_bytes());
                out.push(b':');
                write_canonical(value, out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        scalar => out.extend_from_slice(scalar.to_string().as_bytes()),
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX / 4)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_request_hash_ignores_key_order_and_sees_every_part() {
        let a = request_hash(
            "acme",
            "create_user",
            &json!({"a": 1, "b": {"x": [1, 2], "y": null}}),
        );
        let b = request_hash(
            "acme",
            "create_user",
            &json!({"b": {"y": null, "x": [1, 2]}, "a": 1}),
        );
        assert_eq!(a, b);
        assert_ne!(
            a,
            request_hash(
                "acme2",
                "create_user",
                &json!({"a": 1, "b": {"x": [1, 2], "y": null}})
            )
        );
        assert_ne!(
            a,
            request_hash(
                "acme",
                "delete_user",
                &json!({"a": 1, "b": {"x": [1, 2], "y": null}})
            )
        );
        assert_ne!(
            a,
            request_hash(
                "acme",
                "create_user",
                &json!({"a": 1, "b": {"x": [2, 1], "y": null}})
            )
        );
    }

    #[test]
    fn keys_must_be_one_header_of_printable_ascii() {
        let with = |values: &[&[u8]]| {
            let mut headers = HeaderMap::new();
            for value in values {
                headers.append(KEY_HEADER, HeaderValue::from_bytes(value).expect("value"));
            }
            key_from_headers(&headers)
        };
        assert_eq!(with(&[]).expect("none"), None);
        assert_eq!(with(&[b"k-1 2"]).expect("ok").as_deref(), Some("k-1 2"));
        assert!(with(&[&[b'a'; 255]]).is_ok());
        assert!(with(&[&[b'a'; 256]]).is_err());
        assert!(with(&[b""]).is_err());
        assert!(with(&[b"caf\xc3\xa9"]).is_err());
        assert!(with(&[b"a", b"b"]).is_err());
    }

    #[test]
    fn an_mcp_key_follows_the_headers_rules() {
        let with = |value: Value| {
            let mut meta = Map::new();
            meta.insert(META_KEY.to_owned(), value);
            key_from_meta(&meta)
        };
        assert_eq!(key_from_meta(&Map::new()).expect("none"), None);
        assert_eq!(with(json!("k-1 2")).expect("ok").as_deref(), Some("k-1 2"));
        assert!(with(json!("a".repeat(255))).is_ok());
        assert!(with(json!("a".repeat(256))).is_err());
        assert!(with(json!("")).is_err());
        assert!(with(json!("café")).is_err());
        assert!(with(json!(42)).is_err());
        assert!(with(Value::Null).is_err());
    }

    #[test]
    fn a_stored_error_is_rebuilt_whole() {
        let mut error = ApiError::new(ErrorStatus::UpstreamTimeout).with_message("m");
        error.details.outcome_unknown = Some(true);
        let rebuilt = stored_error(&error_answer(&error, "r1").body).expect("readable");
        assert_eq!(rebuilt.body("r2"), error.body("r2"));
        let abandoned = abandoned();
        let rebuilt = stored_error(&error_answer(&abandoned, "r1").body).expect("readable");
        assert_eq!(rebuilt.body("r2"), abandoned.body("r2"));
    }
}
