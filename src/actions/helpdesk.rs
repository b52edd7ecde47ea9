//! Help-desk actions for "why can't this person sign in?": the failed sign-ins in the System
//! Log (get_login_failures), and one call that gathers a user's status, factors, recent
//! failures, groups and apps and names the catalog actions that would fix what it finds
//! (diagnose_user).

use std::collections::BTreeMap;

use chrono::{Duration, SecondsFormat, Utc};
use reqwest::header::HeaderMap;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::context::looks_like_user_id;
use super::fields::{DateTimeText, UserRef};
use super::{Action, ActionContext, ActionFuture, ActionInput, Handler, ResponseShape, ShapeKind};
use crate::error::{ApiError, ErrorStatus, FieldProblem};
use crate::okta::OktaError;
use crate::okta::client::{OktaPath, OktaRequest};
use crate::params::parse_datetime;

pub static ACTIONS: &[&Action] = &[&GET_LOGIN_FAILURES, &DIAGNOSE_USER];

/// The System Log events of signing in (Okta's event-type catalogue): the session, the MFA
/// step, identity verification and the sign-on policy's verdict.
const SIGNIN_EVENT_TYPES: [&str; 4] = [
    "user.session.start",
    "user.authentication.auth_via_mfa",
    "user.authentication.verify",
    "policy.evaluate_sign_on",
];

/// Okta refuses a `since` further back than this (E0000053).
const MAX_SINCE_DAYS: i64 = 180;

/// diagnose_user looks this far back for failures.
const DIAGNOSIS_HOURS: i64 = 24;
/// diagnose_user reads up to this many failures (to count them and see where they come
/// from) and shows the newest few.
const DIAGNOSIS_FAILURES_READ: i64 = 100;
const DIAGNOSIS_FAILURES_SHOWN: usize = 10;
/// This many failures from one address within the window is worth saying.
const MANY_FROM_ONE_IP: usize = 5;

fn default_limit() -> i64 {
    20
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LoginFailuresIn {
    /// Only this user's failures: their Okta id or login (an event matches on its actor's id or on the login typed, since a failed sign-in often carries only the login). Every user's failures when absent.
    #[schemars(extend("x-audit-target" = true))]
    user_id: Option<UserRef>,
    /// Start of the range (ISO 8601, e.g. 2026-01-01T00:00:00Z); default 24 hours ago; at most 180 days back and not in the future.
    since: Option<DateTimeText>,
    /// The maximum number of failures to return, newest first.
    #[serde(default = "default_limit")]
    #[schemars(range(min = 1, max = 100))]
    limit: i64,
}

impl ActionInput for LoginFailuresIn {
    fn check(&self) -> Vec<FieldProblem> {
        let since = self.since.as_ref().and_then(|s| parse_datetime(s.as_str()));
        let now = Utc::now();
        let mut problems = Vec::new();
        if since.is_some_and(|s| s > now) {
            problems.push(FieldProblem::new("since", "must not be in the future"));
        }
        if since.is_some_and(|s| s < now - Duration::days(MAX_SINCE_DAYS)) {
            problems.push(FieldProblem::new(
                "since",
                "must be at most 180 days before now",
            ));
        }
        problems
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DiagnoseIn {
    /// The user's Okta id, or their login.
    #[schemars(extend("x-audit-target" = true))]
    user_id: UserRef,
}

impl ActionInput for DiagnoseIn {}

static GET_LOGIN_FAILURES: Action = Action {
    name: "get_login_failures",
    label: "Get Login Failures",
    description: "Lists failed sign-ins from the System Log, newest first: sessions, MFA and identity verifications that failed and sign-on policy denials (outcome FAILURE or DENY), for one user or for everyone, since a time (default the last 24 hours). Each entry gives the time, the user (userId is null when the login typed names nobody), the event type, Okta's reason, and the client's IP address, city and country. One call, at most limit entries; it does not page.",
    resource: "user",
    mutating: false,
    destructive: false,
    carries_credentials: false,
    scopes: &["okta.logs.read", "okta.users.read"],
    responses: &[ResponseShape {
        label: "the failed sign-ins, newest first (every key present; null where Okta's event has no value)",
        sample: r#"[
  {"time": "2026-12-01T12:50:10.797Z", "userId": "00ulockedMAYACHEN001", "login": "maya.chen@example.com", "eventType": "user.session.start", "result": "FAILURE", "reason": "LOCKED_OUT", "ipAddress": "203.0.113.9", "city": "Lisbon", "country": "Portugal"},
  {"time": "2026-12-01T12:35:10.797Z", "userId": "00ulockedMAYACHEN001", "login": "maya.chen@example.com", "eventType": "user.session.start", "result": "FAILURE", "reason": "INVALID_CREDENTIALS", "ipAddress": "203.0.113.9", "city": "Lisbon", "country": "Portugal"}
]"#,
        kind: ShapeKind::Okta,
    }],
    example: r#"{"userId": "maya.chen@example.com", "limit": 10}"#,
    handler: &Handler(get_login_failures),
};

static DIAGNOSE_USER: Action = Action {
    name: "diagnose_user",
    label: "Diagnose User",
    description: "Answers \"why can't this user sign in?\" in one call: the user's status (and transitioningToStatus while an operation runs), lastLogin, passwordChanged, their MFA factors (type, provider, status), failed sign-ins of the last 24 hours (count of up to 100, the newest 10 shown), how many groups and apps they have (capped is true when Okta's answer was only its first page), and suggestions: {action, reason, parameters} naming the catalog action to run with its parameters, or action null where there is only something to say. The rules: LOCKED_OUT: unlock_user. SUSPENDED: unsuspend_user. PROVISIONED: activate_user (sends a new activation link). STAGED: activate_user. RECOVERY or PASSWORD_EXPIRED: reset_password. DEPROVISIONED: no action (said so: reactivating is an administrator's decision). While an operation still runs (transitioningToStatus), no action instead of the status's (said so: try again in a few minutes). No ACTIVE factor while a failure concerns MFA: reset_factor for each factor stuck in PENDING_ACTIVATION, otherwise enroll_factor (Google Authenticator). At least 5 failures from one IP address: said so, no action. Okta is asked for the user, factors, System Log, groups and apps at once; a part Okta fails to answer is null and its error is in partial (the part's name to the error envelope), while the rest still answers. It does not page.",
    resource: "user",
    mutating: false,
    destructive: false,
    carries_credentials: false,
    scopes: &["okta.users.read", "okta.logs.read"],
    responses: &[ResponseShape {
        label: "the diagnosis (every key present; a part Okta could not answer is null and named in partial)",
        sample: r#"{
  "userId": "00ulockedMAYACHEN001",
  "login": "maya.chen@example.com",
  "status": "LOCKED_OUT",
  "transitioningToStatus": null,
  "statusChanged": "2024-04-02T09:05:00.000Z",
  "lastLogin": "2026-11-29T08:02:11.000Z",
  "passwordChanged": "2024-04-02T09:05:00.000Z",
  "factors": [
    {"id": "mblK5w7rJfKtCOSE2fta", "factorType": "sms", "provider": "OKTA", "status": "PENDING_ACTIVATION"}
  ],
  "recentFailures": {
    "count": 6,
    "capped": false,
    "latest": [
      {"time": "2026-12-01T12:50:10.797Z", "userId": "00ulockedMAYACHEN001", "login": "maya.chen@example.com", "eventType": "user.session.start", "result": "FAILURE", "reason": "LOCKED_OUT", "ipAddress": "203.0.113.9", "city": "Lisbon", "country": "Portugal"},
      {"time": "2026-12-01T12:35:10.797Z", "userId": "00ulockedMAYACHEN001", "login": "maya.chen@example.com", "eventType": "user.session.start", "result": "FAILURE", "reason": "INVALID_CREDENTIALS", "ipAddress": "203.0.113.9", "city": "Lisbon", "country": "Portugal"},
      {"time": "2026-12-01T12:16:10.797Z", "userId": "00ulockedMAYACHEN001", "login": "maya.chen@example.com", "eventType": "user.authentication.auth_via_mfa", "result": "FAILURE", "reason": "INVALID_CREDENTIALS", "ipAddress": "203.0.113.9", "city": "Lisbon", "country": "Portugal"},
      {"time": "2026-12-01T11:54:10.797Z", "userId": "00ulockedMAYACHEN001", "login": "maya.chen@example.com", "eventType": "user.session.start", "result": "FAILURE", "reason": "INVALID_CREDENTIALS", "ipAddress": "203.0.113.9", "city": "Lisbon", "country": "Portugal"},
      {"time": "2026-12-01T11:36:10.797Z", "userId": "00ulockedMAYACHEN001", "login": "maya.chen@example.com", "eventType": "user.session.start", "result": "FAILURE", "reason": "INVALID_CREDENTIALS", "ipAddress": "203.0.113.9", "city": "Lisbon", "country": "Portugal"},
      {"time": "2026-12-01T11:21:10.797Z", "userId": "00ulockedMAYACHEN001", "login": "maya.chen@example.com", "eventType": "user.session.start", "result": "FAILURE", "reason": "INVALID_CREDENTIALS", "ipAddress": "203.0.113.9", "city": "Lisbon", "country": "Portugal"}
    ]
  },
  "groups": {"count": 0, "capped": false},
  "apps": {"count": 0, "capped": false},
  "suggestions": [
    {"action": "unlock_user", "reason": "The user is locked out (too many failed sign-ins): unlock them.", "parameters": {"userId": "00ulockedMAYACHEN001"}},
    {"action": "reset_factor", "reason": "The user has no ACTIVE factor and a recent failure concerns MFA; their sms factor was enrolled but never activated: reset it so they can enroll it again.", "parameters": {"userId": "00ulockedMAYACHEN001", "factorId": "mblK5w7rJfKtCOSE2fta"}},
    {"action": null, "reason": "6 failed sign-ins in the last 24 hours came from 203.0.113.9 (Lisbon, Portugal): if that is not the user, someone else may be trying their account. No action is suggested.", "parameters": null}
  ],
  "partial": {}
}"#,
        kind: ShapeKind::OktaTop,
    }],
    example: r#"{"userId": "maya.chen@example.com"}"#,
    handler: &Handler(diagnose_user),
};

/// The user a failure search is about: matched on the actor's id or on the login typed.
struct Person<'a> {
    id: &'a str,
    login: &'a str,
}

/// A string as a quoted literal of an Okta filter expression.
fn quoted(value: &str) -> String {
    format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The System Log filter for failed sign-ins, of one person or of everyone.
fn failures_filter(person: Option<&Person<'_>>) -> String {
    let any_of = |field: &str, values: &[&str]| {
        let terms: Vec<String> = values
            .iter()
            .map(|value| format!("{field} eq {}", quoted(value)))
            .collect();
        format!("({})", terms.join(" or "))
    };
    let mut filter = format!(
        "{} and {}",
        any_of("eventType", &SIGNIN_EVENT_TYPES),
        any_of("outcome.result", &["FAILURE", "DENY"])
    );
    if let Some(person) = person {
        filter.push_str(&format!(
            " and (actor.id eq {} or actor.alternateId eq {})",
            quoted(person.id),
            quoted(person.login)
        ));
    }
    filter
}

/// One failed sign-in as the flow gets it, from Okta's event.
fn failure_entry(event: &Value) -> Value {
    let actor = &event["actor"];
    // Okta logs a login that names nobody under the actor id "unknown".
    let user_id = actor["id"].as_str().filter(|id| *id != "unknown");
    let place = &event["client"]["geographicalContext"];
    json!({
        "time": event["published"],
        "userId": user_id,
        "login": actor["alternateId"],
        "eventType": event["eventType"],
        "result": event["outcome"]["result"],
        "reason": event["outcome"]["reason"],
        "ipAddress": event["client"]["ipAddress"],
        "city": place["city"],
        "country": place["country"],
    })
}

fn not_okta(ctx: &ActionContext, reason: impl Into<String>) -> ApiError {
    ctx.map(OktaError::NotOkta {
        reason: reason.into(),
        outcome_unknown: false,
    })
}

/// `GET` a list and return its items and whether Okta said there is more (a next link).
async fn get_list(
    ctx: &ActionContext,
    request: OktaRequest,
) -> Result<(Vec<Value>, bool), ApiError> {
    let answer = ctx.call(request).await?;
    let items: Vec<Value> = serde_json::from_slice(&answer.body)
        .map_err(|err| not_okta(ctx, format!("Okta's answer is not a JSON list: {err}")))?;
    Ok((items, has_next(&answer.headers)))
}

/// Whether Okta's `Link` headers include `rel="next"`.
fn has_next(headers: &HeaderMap) -> bool {
    headers
        .get_all("link")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|link| {
            link.split(';').skip(1).any(|param| {
                param
                    .trim()
                    .strip_prefix("rel=")
                    .is_some_and(|rel| rel.trim_matches('"').split(' ').any(|r| r == "next"))
            })
        })
}

/// The failed sign-ins since `since`, newest first, at most `limit`.
async fn read_failures(
    ctx: &ActionContext,
    since: &str,
    limit: i64,
    person: Option<&Person<'_>>,
) -> Result<Vec<Value>, ApiError> {
    let request = OktaRequest::get(OktaPath::new("/api/v1/logs"), "logs")
        .query("since", since)
        .query("filter", failures_filter(person))
        // Okta's default is ASCENDING, a polling query that starts with the oldest events.
        .query("sortOrder", "DESCENDING")
        .query("limit", limit);
    let (events, _) = get_list(ctx, request).await?;
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    if events.len() > limit {
        return Err(not_okta(
            ctx,
            format!("Okta answered {} events to limit={limit}", events.len()),
        ));
    }
    Ok(events.iter().map(failure_entry).collect())
}

fn user_text(user: &Value, pointer: &str) -> Result<String, ApiError> {
    user.pointer(pointer)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| {
            ApiError::new(ErrorStatus::UpstreamUnavailable)
                .with_internal(format!("Okta's user lacks {pointer}"))
        })
}

fn get_login_failures(ctx: &ActionContext, input: LoginFailuresIn) -> ActionFuture<'_> {
    super::value(async move {
        let since = match &input.since {
            Some(since) => since.as_str().to_owned(),
            None => ago(Duration::days(1)),
        };
        // The id and the login both: an event may carry either.
        let user = match &input.user_id {
            Some(reference) => Some(ctx.find_user(reference.as_str()).await?),
            None => None,
        };
        let identity = match &user {
            Some(user) => Some((user_text(user, "/id")?, user_text(user, "/profile/login")?)),
            None => None,
        };
        let person = identity.as_ref().map(|(id, login)| Person { id, login });
        let failures = read_failures(ctx, &since, input.limit, person.as_ref()).await?;
        Ok(Value::Array(failures))
    })
}

/// A time this long before now, as Okta's query parameters take it.
fn ago(span: Duration) -> String {
    (Utc::now() - span).to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The diagnosis's parts besides the user: each its value, or the error Okta gave for it.
struct Parts {
    failures: Result<Vec<Value>, ApiError>,
    factors: Result<Vec<Value>, ApiError>,
    groups: Result<(Vec<Value>, bool), ApiError>,
    apps: Result<(Vec<Value>, bool), ApiError>,
}

async fn read_factors(ctx: &ActionContext, user_id: &str) -> Result<Vec<Value>, ApiError> {
    let path = ctx.user_path(user_id)?.fixed("factors");
    let (factors, _) = get_list(ctx, OktaRequest::get(path, "users/{id}/factors")).await?;
    Ok(factors
        .iter()
        .map(|factor| {
            json!({
                "id": factor["id"],
                "factorType": factor["factorType"],
                "provider": factor["provider"],
                "status": factor["status"],
            })
        })
        .collect())
}

async fn read_user_list(
    ctx: &ActionContext,
    user_id: &str,
    part: &'static str,
    family: &'static str,
) -> Result<(Vec<Value>, bool), ApiError> {
    let path = ctx.user_path(user_id)?.fixed(part);
    get_list(ctx, OktaRequest::get(path, family)).await
}

fn diagnose_user(ctx: &ActionContext, input: DiagnoseIn) -> ActionFuture<'_> {
    super::value(async move {
        let reference = input.user_id.as_str();
        let since = ago(Duration::hours(DIAGNOSIS_HOURS));
        let failures_of = |user: Value| {
            let since = since.clone();
            async move {
                let id = user_text(&user, "/id")?;
                let login = user_text(&user, "/profile/login")?;
                let person = Person {
                    id: &id,
                    login: &login,
                };
                let failures =
                    read_failures(ctx, &since, DIAGNOSIS_FAILURES_READ, Some(&person)).await;
                Ok::<_, ApiError>((user, failures))
            }
        };
        // Every call at once; with a login, the user's id comes first (factors need it).
        let (user, parts) = if looks_like_user_id(reference) {
            let (first, factors, groups, apps) = tokio::join!(
                async { failures_of(ctx.find_user(reference).await?).await },
                read_factors(ctx, reference),
                read_user_list(ctx, reference, "groups", "users/{id}/groups"),
                read_user_list(ctx, reference, "appLinks", "users/{id}/appLinks"),
            );
            let (user, failures) = first?;
            let parts = Parts {
                failures,
                factors,
                groups,
                apps,
            };
            (user, parts)
        } else {
            let user = ctx.find_user(reference).await?;
            let id = user_text(&user, "/id")?;
            let (first, factors, groups, apps) = tokio::join!(
                failures_of(user),
                read_factors(ctx, &id),
                read_user_list(ctx, &id, "groups", "users/{id}/groups"),
                read_user_list(ctx, &id, "appLinks", "users/{id}/appLinks"),
            );
            let (user, failures) = first?;
            let parts = Parts {
                failures,
                factors,
                groups,
                apps,
            };
            (user, parts)
        };
        diagnosis(ctx, &user, parts)
    })
}

fn count((items, more): &(Vec<Value>, bool)) -> Value {
    json!({"count": items.len(), "capped": more})
}

fn diagnosis(ctx: &ActionContext, user: &Value, parts: Parts) -> Result<Value, ApiError> {
    let id = user_text(user, "/id")?;
    let mut partial = Map::new();
    let mut keep = |name: &str, error: &ApiError| {
        tracing::warn!(
            account = ctx.session.account(),
            part = name,
            status = error.status.as_str(),
            cause = error.internal_cause().unwrap_or_default(),
            "a part of the diagnosis failed"
        );
        let mut envelope = error.body("");
        // The response's own X-Request-Id is the request id.
        if let Some(error) = envelope["error"].as_object_mut() {
            error.remove("requestId");
        }
        partial.insert(name.to_owned(), envelope);
    };
    let mut part = |name: &str, result: Result<Value, &ApiError>| match result {
        Ok(value) => value,
        Err(error) => {
            keep(name, error);
            Value::Null
        }
    };
    let failures = parts.failures.as_ref();
    let factors = parts.factors.as_ref();
    let recent = part(
        "recentFailures",
        failures.map(|failures| {
            json!({
                "count": failures.len(),
                "capped": failures.len() as i64 >= DIAGNOSIS_FAILURES_READ,
                "latest": &failures[..failures.len().min(DIAGNOSIS_FAILURES_SHOWN)],
            })
        }),
    );
    let factor_list = part("factors", factors.map(|factors| json!(factors)));
    let groups = part("groups", parts.groups.as_ref().map(count));
    let apps = part("apps", parts.apps.as_ref().map(count));
    let suggestions = suggest(user, &id, factors.ok(), failures.ok());
    Ok(json!({
        "userId": id,
        "login": user.pointer("/profile/login"),
        "status": user["status"],
        "transitioningToStatus": user["transitioningToStatus"],
        "statusChanged": user["statusChanged"],
        "lastLogin": user["lastLogin"],
        "passwordChanged": user["passwordChanged"],
        "factors": factor_list,
        "recentFailures": recent,
        "groups": groups,
        "apps": apps,
        "suggestions": suggestions,
        "partial": partial,
    }))
}

fn suggestion(action: &str, reason: impl Into<String>, parameters: Value) -> Value {
    json!({"action": action, "reason": reason.into(), "parameters": parameters})
}

fn remark(reason: impl Into<String>) -> Value {
    json!({"action": null, "reason": reason.into(), "parameters": null})
}

/// Whether a failed sign-in is about MFA: the MFA step failed, or Okta's reason names it.
fn concerns_mfa(failure: &Value) -> bool {
    let reason = failure["reason"]
        .as_str()
        .unwrap_or_default()
        .to_lowercase();
    failure["eventType"] == "user.authentication.auth_via_mfa"
        || reason.contains("mfa")
        || reason.contains("factor")
}

/// The rule table of the catalog entry, in its order.
fn suggest(
    user: &Value,
    id: &str,
    factors: Option<&Vec<Value>>,
    failures: Option<&Vec<Value>>,
) -> Vec<Value> {
    let mut out = Vec::new();
    let status = user["status"].as_str().unwrap_or_default();
    if let Some(next) = user["transitioningToStatus"].as_str() {
        // Okta refuses every lifecycle change until the running one ends.
        out.push(remark(format!(
            "An operation on the user is still running ({status} becoming {next}): Okta refuses changes until it ends; try again in a few minutes."
        )));
    } else {
        out.extend(status_rule(status, id));
    }
    if let (Some(factors), Some(failures)) = (factors, failures) {
        let active = factors.iter().any(|f| f["status"] == "ACTIVE");
        if !active && failures.iter().any(concerns_mfa) {
            let pending: Vec<&Value> = factors
                .iter()
                .filter(|f| f["status"] == "PENDING_ACTIVATION")
                .collect();
            for factor in &pending {
                let kind = factor["factorType"].as_str().unwrap_or("MFA");
                out.push(suggestion(
                    "reset_factor",
                    format!("The user has no ACTIVE factor and a recent failure concerns MFA; their {kind} factor was enrolled but never activated: reset it so they can enroll it again."),
                    json!({"userId": id, "factorId": factor["id"]}),
                ));
            }
            if pending.is_empty() {
                out.push(suggestion(
                    "enroll_factor",
                    "The user has no ACTIVE factor and a recent failure concerns MFA: enroll one (Google Authenticator here; any factor type the org allows will do).",
                    json!({"userId": id, "factorType": "token:software:totp", "provider": "GOOGLE"}),
                ));
            }
        }
    }
    if let Some(failures) = failures {
        out.extend(busiest_address(failures));
    }
    out
}

/// The suggestion for the user's status, if it has one.
fn status_rule(status: &str, id: &str) -> Option<Value> {
    let user_only = json!({"userId": id});
    let with_email = json!({"userId": id, "sendEmail": true});
    match status {
        "LOCKED_OUT" => Some(suggestion(
            "unlock_user",
            "The user is locked out (too many failed sign-ins): unlock them.",
            user_only,
        )),
        "SUSPENDED" => Some(suggestion(
            "unsuspend_user",
            "The user is suspended: unsuspend them to restore access.",
            user_only,
        )),
        "PROVISIONED" => Some(suggestion(
            "activate_user",
            "The user was activated without a password and never finished activation: send them a new activation link.",
            with_email,
        )),
        "STAGED" => Some(suggestion(
            "activate_user",
            "The user was created but never activated: activate them (Okta emails the activation link).",
            with_email,
        )),
        status @ ("RECOVERY" | "PASSWORD_EXPIRED") => Some(suggestion(
            "reset_password",
            format!(
                "The user's status is {status}: they must set a new password; send them a reset link."
            ),
            with_email,
        )),
        "DEPROVISIONED" => Some(remark(
            "The user is deactivated (DEPROVISIONED): no help-desk action restores access; reactivating them is an administrator's decision.",
        )),
        _ => None,
    }
}

/// A remark when many failures came from one IP address (the busiest one).
fn busiest_address(failures: &[Value]) -> Option<Value> {
    let mut by_ip: BTreeMap<&str, Vec<&Value>> = BTreeMap::new();
    for failure in failures {
        if let Some(ip) = failure["ipAddress"].as_str() {
            by_ip.entry(ip).or_default().push(failure);
        }
    }
    let (ip, from_ip) = by_ip.into_iter().max_by_key(|(_, f)| f.len())?;
    if from_ip.len() < MANY_FROM_ONE_IP {
        return None;
    }
    let place: Vec<&str> = ["city", "country"]
        .iter()
        .filter_map(|key| from_ip[0][*key].as_str())
        .collect();
    let place = if place.is_empty() {
        String::new()
    } else {
        format!(" ({})", place.join(", "))
    };
    Some(remark(format!(
        "{} failed sign-ins in the last {DIAGNOSIS_HOURS} hours came from {ip}{place}: if that is not the user, someone else may be trying their account. No action is suggested.",
        from_ip.len()
    )))
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    #[test]
    fn the_filter_names_every_signin_event_both_failures_and_the_person_quoted() {
        let person = Person {
            id: "00u1",
            login: "a\"b\\c@example.com",
        };
        assert_eq!(
            failures_filter(Some(&person)),
            r#"(eventType eq "user.session.start" or eventType eq "user.authentication.auth_via_mfa" or eventType eq "user.authentication.verify" or eventType eq "policy.evaluate_sign_on") and (outcome.result eq "FAILURE" or outcome.result eq "DENY") and (actor.id eq "00u1" or actor.alternateId eq "a\"b\\c@example.com")"#
        );
        assert!(!failures_filter(None).contains("actor"));
    }

    #[test]
    fn a_next_link_is_told_from_other_links() {
        let mut headers = HeaderMap::new();
        headers.append(
            "link",
            HeaderValue::from_static("<https://x.okta.com/api/v1/users/00u1/groups>; rel=\"self\""),
        );
        assert!(!has_next(&headers));
        headers.append(
            "link",
            HeaderValue::from_static(
                "<https://x.okta.com/api/v1/users/00u1/groups?after=00g2&limit=200>; rel=\"next\"",
            ),
        );
        assert!(has_next(&headers));
    }

    #[test]
    fn an_unknown_actor_has_no_user_id() {
        let event = json!({
            "actor": {"id": "unknown", "alternateId": "typo@example.com"},
            "eventType": "user.session.start",
            "outcome": {"result": "FAILURE", "reason": "VERIFICATION_ERROR"},
            "client": {"ipAddress": "203.0.113.9"},
            "published": "2026-12-01T12:00:00.000Z",
        });
        let entry = failure_entry(&event);
        assert_eq!(entry["userId"], Value::Null);
        assert_eq!(entry["login"], "typo@example.com");
        assert_eq!(entry["city"], Value::Null);
        assert_eq!(entry["reason"], "VERIFICATION_ERROR");
    }
}
