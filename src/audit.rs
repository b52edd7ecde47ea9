//! The audit trail: one row per mutating action (HTTP or MCP) and per account change
//! (connect, update, delete, key rotation), kept in the database for `AUDIT_RETENTION_DAYS`
//! and read with `GET /audit`.
//!
//! A row names the gateway key (its short hash), the account, the action, its targets (as
//! given, with the ids and logins the action resolved), whether it was a dry run, the outcome
//! (`success`, the error status, or `outcomeUnknown`), Okta's request ids, the gateway's
//! request id, and whether the answer was a stored one replayed for a repeated
//! `Idempotency-Key` (no Okta call then). Never a secret: targets are references, never field values that carry
//! credentials. The row is written before the answer is sent; a failed write is logged at
//! error level and counted in `gateway_audit_write_failures_total`, and the answer still goes
//! out.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::actions::{ResolvedUser, looks_like_user_id};
use crate::crypto::CursorSigner;
use crate::error::ApiError;
use crate::params::InputSchema;
use crate::store::{AccountStore, AuditRecord, NewAuditEntry};

/// The longest a row write may hold an answer back: past it the answer goes out and the
/// failure is counted.
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
/// How often rows past the retention are deleted.
const RETENTION_SWEEP: Duration = Duration::from_secs(3600);
/// Names the `GET /audit` cursor's signature (distinct from the list actions' cursors).
const CURSOR_LABEL: &[u8] = b"okta-gateway/audit-cursor/v1";

/// The outcome of a successful action or change.
pub const SUCCESS: &str = "success";
/// The outcome of an action whose effect is unknown (Okta may or may not have acted).
pub const OUTCOME_UNKNOWN: &str = "outcomeUnknown";

/// What an action or change targets: the reference as the caller gave it, and what it
/// resolved to when the action looked it up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Target {
    /// The input field (or, for account changes, `account` / `keyId`).
    pub field: String,
    /// The value as given.
    #[serde(rename = "ref")]
    pub reference: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login: Option<String>,
}

impl Target {
    /// A target known by one id (a key id, a group or app id).
    pub fn id(field: &str, id: &str) -> Target {
        Target {
            field: field.to_owned(),
            reference: id.to_owned(),
            id: Some(id.to_owned()),
            login: None,
        }
    }
}

/// One event to record.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    /// The gateway key's short hash (`-` when no key was used: the command line).
    pub key_id: &'a str,
    /// `-` when the change concerns no single account (key rotation).
    pub account: &'a str,
    pub action: &'a str,
    pub targets: Vec<Target>,
    pub dry_run: bool,
    pub outcome: String,
    pub okta_request_ids: &'a [String],
    pub request_id: &'a str,
    /// The answer was a stored one, repeated for an idempotency key: Okta was not called.
    pub replayed: bool,
}

/// The outcome of `result` as the row and the audit line give it.
pub fn outcome<T>(result: &Result<T, ApiError>) -> String {
    match result {
        Ok(_) => SUCCESS.to_owned(),
        Err(error) if error.details.outcome_unknown == Some(true) => OUTCOME_UNKNOWN.to_owned(),
        Err(error) => error.status.as_str().to_owned(),
    }
}

/// The audit targets of an action's input (its fields marked `x-audit-target`) and whether it
/// is a dry run, read before the input goes to the handler.
#[derive(Debug, Clone)]
pub struct ActionInput {
    /// `(field, value, is a user reference)`.
    given: Vec<(String, String, bool)>,
    pub dry_run: bool,
}

impl ActionInput {
    pub fn read(schema: &InputSchema, input: &Map<String, Value>) -> ActionInput {
        let fields = schema.fields();
        let given = fields
            .iter()
            .filter(|field| field.audit_target)
            .filter_map(|field| {
                let value = input.get(&field.name)?.as_str()?;
                Some((field.name.clone(), value.to_owned(), field.user_reference))
            })
            .collect();
        let dry_run = fields
            .iter()
            .filter(|field| field.dry_run)
            .any(|field| input.get(&field.name).and_then(Value::as_bool) == Some(true));
        ActionInput { given, dry_run }
    }

    /// The targets for the audit line, as `field=value` pairs.
    pub fn line(&self) -> String {
        self.given
            .iter()
            .map(|(field, value, _)| format!("{field}={value}"))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The targets, with what the action resolved: a user looked up by login gets its id, one
    /// looked up by id its login.
    pub fn targets(&self, resolved: &[ResolvedUser]) -> Vec<Target> {
        self.given
            .iter()
            .map(|(field, value, user_reference)| {
                let found = resolved
                    .iter()
                    .find(|user| &user.reference == value || &user.id == value);
                let (id, login) = match found {
                    Some(user) => (Some(user.id.clone()), user.login.clone()),
                    None if looks_like_okta_id(value) => (Some(value.clone()), None),
                    // A login that was not looked up (create_user's new login, or an action
                    // that passes logins to Okta as they are).
                    None if *user_reference || field == "login" => (None, Some(value.clone())),
                    None => (None, None),
                };
                Target {
                    field: field.clone(),
                    reference: value.clone(),
                    id,
                    login,
                }
            })
            .collect()
    }
}

/// The user an answer describes (a created user: Okta's user object, with its id and login).
pub fn created_user(body: &str) -> Option<ResolvedUser> {
    // Only a user object's answer: cheap to rule out the others before parsing.
    if !body.contains("\"login\"") {
        return None;
    }
    let user: Value = serde_json::from_str(body).ok()?;
    let id = user.get("id")?.as_str()?;
    let login = user.pointer("/profile/login")?.as_str()?;
    looks_like_user_id(id).then(|| ResolvedUser {
        reference: login.to_owned(),
        id: id.to_owned(),
        login: Some(login.to_owned()),
    })
}

/// Okta's ids: 20 letters and digits, starting with `0` (users `00u`, groups `00g`, apps
/// `0oa`, factors and the like).
fn looks_like_okta_id(value: &str) -> bool {
    looks_like_user_id(value)
        || (value.len() == 20
            && value.starts_with('0')
            && value.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// Record a mutating action: the audit line, then its row.
pub async fn record_action(
    store: &dyn AccountStore,
    event: Event<'_>,
    line_targets: &str,
    via: &str,
) {
    tracing::info!(
        target: "okta_gateway::audit",
        key = %event.key_id,
        account = %event.account,
        action = event.action,
        targets = %line_targets,
        dry_run = event.dry_run,
        okta_request_ids = %event.okta_request_ids.join(","),
        outcome = %event.outcome,
        replayed = event.replayed,
        via,
        "action"
    );
    write(store, &event).await;
}

/// Record an account change or a key rotation (their own log lines say what happened).
pub async fn record_change(store: &dyn AccountStore, event: Event<'_>) {
    write(store, &event).await;
}

async fn write(store: &dyn AccountStore, event: &Event<'_>) {
    let mut references: Vec<String> = event
        .targets
        .iter()
        .flat_map(|t| [Some(&t.reference), t.id.as_ref(), t.login.as_ref()])
        .flatten()
        .map(String::as_str)
        .map(storable)
        .collect();
    references.sort();
    references.dedup();
    let entry = NewAuditEntry {
        at_us: Utc::now().timestamp_micros(),
        key_id: storable(event.key_id),
        account: storable(event.account),
        action: storable(event.action),
        // JSON escapes NUL itself.
        targets: serde_json::to_string(&event.targets).unwrap_or_else(|_| "[]".to_owned()),
        references,
        dry_run: event.dry_run,
        outcome: event.outcome.clone(),
        okta_request_ids: event.okta_request_ids.join(","),
        request_id: storable(event.request_id),
        replayed: event.replayed,
    };
    let failure = match tokio::time::timeout(WRITE_TIMEOUT, store.append_audit(&entry)).await {
        Ok(Ok(())) => return,
        Ok(Err(err)) => err.to_string(),
        Err(_) => "the database did not answer in time".to_owned(),
    };
    metrics::counter!("gateway_audit_write_failures_total").increment(1);
    tracing::error!(
        target: "okta_gateway::audit",
        error = %failure,
        key = %event.key_id,
        account = %event.account,
        action = event.action,
        outcome = %event.outcome,
        request_id = %event.request_id,
        "AUDIT ROW NOT WRITTEN: the action's answer was sent without its audit row"
    );
}

/// `text` as both databases can store it: Postgres text refuses NUL, so NUL becomes U+FFFD
/// (in rows, and in `GET /audit`'s filters so they still match).
pub fn storable(text: &str) -> String {
    text.replace('\0', "\u{FFFD}")
}

/// One row as `GET /audit` shows it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditOut {
    /// RFC 3339, microseconds, UTC.
    pub time: String,
    pub key: String,
    pub account: String,
    pub action: String,
    pub targets: Vec<Target>,
    pub dry_run: bool,
    pub outcome: String,
    pub okta_request_ids: Vec<String>,
    pub request_id: String,
    pub replayed: bool,
}

impl From<AuditRecord> for AuditOut {
    fn from(row: AuditRecord) -> Self {
        let time = chrono::DateTime::from_timestamp_micros(row.at_us)
            .unwrap_or_default()
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        AuditOut {
            time,
            key: row.key_id,
            account: row.account,
            action: row.action,
            targets: serde_json::from_str(&row.targets).unwrap_or_default(),
            dry_run: row.dry_run,
            outcome: row.outcome,
            okta_request_ids: row
                .okta_request_ids
                .split(',')
                .filter(|id| !id.is_empty())
                .map(str::to_owned)
                .collect(),
            request_id: row.request_id,
            replayed: row.replayed,
        }
    }
}

/// The cursor of the page after the row `(at_us, id)`.
pub fn seal_cursor(signer: &CursorSigner, at_us: i64, id: i64) -> String {
    let body = format!("{at_us}.{id}");
    let tag = signer.sign(&[CURSOR_LABEL, body.as_bytes()]);
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(body),
        URL_SAFE_NO_PAD.encode(tag)
    )
}

/// The `(at_us, id)` a cursor this gateway issued carries.
pub fn open_cursor(signer: &CursorSigner, cursor: &str) -> Option<(i64, i64)> {
    let (body, tag) = cursor.split_once('.')?;
    let body = URL_SAFE_NO_PAD.decode(body).ok()?;
    let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
    if !signer.verify(&[CURSOR_LABEL, &body], &tag) {
        return None;
    }
    let (at, id) = std::str::from_utf8(&body).ok()?.split_once('.')?;
    Some((at.parse().ok()?, id.parse().ok()?))
}

/// Deletes rows older than `retention` now and every hour, until dropped.
pub struct Retention(tokio::task::JoinHandle<()>);

impl Retention {
    pub fn start(store: Arc<dyn AccountStore>, retention: Duration) -> Retention {
        Retention(tokio::spawn(async move {
            let mut tick = tokio::time::interval(RETENTION_SWEEP);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let cutoff = Utc::now().timestamp_micros()
                    - i64::try_from(retention.as_micros()).unwrap_or(i64::MAX);
                match store.prune_audit(cutoff).await {
                    Ok(0) => {}
                    Ok(deleted) => tracing::info!(deleted, "audit rows past retention deleted"),
                    Err(err) => tracing::warn!(error = %err, "could not delete old audit rows"),
                }
            }
        }))
    }
}

impl Drop for Retention {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::TokenCipher;

    #[test]
    fn cursors_open_only_unaltered_and_under_the_same_keys() {
        let (cipher, _) = TokenCipher::generate();
        let signer = cipher.cursor_signer();
        let cursor = seal_cursor(&signer, 1_764_590_400_000_000, 42);
        assert_eq!(
            open_cursor(&signer, &cursor),
            Some((1_764_590_400_000_000, 42))
        );
        let (other, _) = TokenCipher::generate();
        assert_eq!(open_cursor(&other.cursor_signer(), &cursor), None);
        let (body, tag) = cursor.split_once('.').expect("two parts");
        let forged = format!("{}.{tag}", URL_SAFE_NO_PAD.encode("1.1"));
        assert_eq!(open_cursor(&signer, &forged), None);
        assert_eq!(open_cursor(&signer, body), None);
        assert_eq!(open_cursor(&signer, "not a cursor"), None);
    }

    #[test]
    fn a_created_user_is_read_from_a_user_object_only() {
        let user =
            r#"{"id": "00ub0oNGTSWTBKOLGLNR", "profile": {"login": "jordan.lee@example.com"}}"#;
        assert_eq!(
            created_user(user),
            Some(ResolvedUser {
                reference: "jordan.lee@example.com".into(),
                id: "00ub0oNGTSWTBKOLGLNR".into(),
                login: Some("jordan.lee@example.com".into()),
            })
        );
        assert_eq!(
            created_user(r#"{"status": 200, "userId": "00ub0oNGTSWTBKOLGLNR"}"#),
            None
        );
        assert_eq!(
            created_user(r#"{"id": "00g1emaKYZTWRYYRRTSK", "profile": {"login": "x"}}"#),
            None
        );
    }

    #[test]
    fn nul_is_stored_as_the_replacement_character() {
        assert_eq!(storable("a\0b"), "a\u{FFFD}b");
        assert_eq!(storable("plain"), "plain");
    }
}
