//! The control API under `/__sim/…`: reset and seed data, set statuses, inject faults,
//! read the request log, manage tokens, OAuth service apps and rate limits, and inspect state
//! without auth.
//!
//! Control routes need no token, are never faulted or rate limited, and are not recorded.
//! Errors are `{"error": "…"}` with 400 or 404. Every route maps onto a [`SimHandle`]
//! method, so in-process tests and external tools see the same behaviour.

use std::time::Duration;

use bytes::Bytes;
use http::{Method, StatusCode};
use percent_encoding::percent_decode_str;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::config::{RateLimits, Seed};
use crate::faults::Fault;
use crate::handle::{GroupSeed, SimHandle, UserSeed};
use crate::http::Reply;
use crate::model::{AppSeed, SignIn, Status};
use crate::oauth::OAuthClientSeed;
use crate::roles::AdminRole;
use crate::signins::SigninSeed;

/// A refused control request: status and message (kept small so `Result`s stay cheap).
struct Fail(StatusCode, String);

impl From<Fail> for Reply {
    fn from(Fail(status, message): Fail) -> Reply {
        Reply::json(status, &json!({ "error": message }))
    }
}

fn error(status: StatusCode, message: impl Into<String>) -> Fail {
    Fail(status, message.into())
}

fn bad_request(message: impl Into<String>) -> Fail {
    error(StatusCode::BAD_REQUEST, message)
}

fn not_found(what: &str) -> Fail {
    error(StatusCode::NOT_FOUND, format!("{what} not found"))
}

fn parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, Fail> {
    serde_json::from_slice(body).map_err(|e| bad_request(format!("invalid JSON body: {e}")))
}

fn parse_or_default<T: DeserializeOwned + Default>(body: &Bytes) -> Result<T, Fail> {
    if body.iter().all(u8::is_ascii_whitespace) {
        Ok(T::default())
    } else {
        parse(body)
    }
}

#[derive(Deserialize, Default)]
struct AppGroupIn {
    #[serde(default)]
    priority: Option<i64>,
}

#[derive(Deserialize, Default)]
struct ResetIn {
    #[serde(default)]
    seed: Option<Seed>,
}

#[derive(Deserialize)]
struct BulkIn {
    count: usize,
}

#[derive(Deserialize)]
struct StatusIn {
    status: String,
}

/// Unknown fields are refused so a caller still sending the old `readOnly` flag learns
/// that it no longer exists instead of getting a super admin token.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TokenIn {
    token: String,
    #[serde(default)]
    role: AdminRole,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct LifecycleIn {
    transition_ms: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MasteredIn {
    source: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeviceBlockIn {
    blocked: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ThrottleIn {
    factor_resend_secs: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct OAuthSettingsIn {
    #[serde(default)]
    access_token_lifetime_secs: Option<u64>,
    #[serde(default)]
    api_requires_dpop_nonce: Option<bool>,
}

fn oauth_settings(sim: &SimHandle) -> Value {
    json!({
        "accessTokenLifetimeSecs": sim.access_token_lifetime().as_secs(),
        "apiRequiresDpopNonce": sim.api_requires_dpop_nonce(),
    })
}

#[derive(Deserialize)]
struct TokenOut {
    token: String,
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Handles one control request.
pub(crate) fn handle(
    sim: &SimHandle,
    method: &Method,
    raw_path: &str,
    _query: Option<&str>,
    body: &Bytes,
) -> Reply {
    let segments: Vec<String> = raw_path
        .trim_end_matches('/')
        .split('/')
        .skip(2)
        .map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
        .collect();
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    route(sim, method, &segs, body).unwrap_or_else(Reply::from)
}

fn route(sim: &SimHandle, method: &Method, segs: &[&str], body: &Bytes) -> Result<Reply, Fail> {
    let ok = |v: Value| Ok(Reply::ok(&v));
    match (method.as_str(), segs) {
        ("GET", ["health"]) => ok(json!({ "ok": true, "baseUrl": sim.base_url() })),
        ("POST", ["reset"]) => {
            let input: ResetIn = parse_or_default(body)?;
            let seed = input.seed.unwrap_or_default();
            sim.reset(seed);
            ok(json!({ "seed": seed }))
        }
        ("POST", ["users"]) => {
            let seed: UserSeed = parse(body)?;
            sim.try_seed_user(seed)
                .map(|u| Reply::ok(&u))
                .map_err(|e| bad_request(e.0))
        }
        ("POST", ["users", "bulk"]) => {
            let input: BulkIn = parse(body)?;
            if input.count > 1_000_000 {
                return Err(bad_request("count must be at most 1000000"));
            }
            sim.seed_users(input.count);
            ok(json!({ "created": input.count }))
        }
        ("GET", ["users", key]) => sim
            .user(key)
            .map(|u| Reply::ok(&u))
            .ok_or_else(|| not_found("user")),
        ("PUT", ["users", key, "status"]) => {
            let input: StatusIn = parse(body)?;
            if Status::parse(&input.status).is_none() {
                return Err(bad_request(format!("unknown status '{}'", input.status)));
            }
            if !sim.set_user_status(key, &input.status) {
                return Err(not_found("user"));
            }
            sim.user(key)
                .map(|u| Reply::ok(&u))
                .ok_or_else(|| not_found("user"))
        }
        ("PUT", ["users", key, "mastered"]) => {
            let input: MasteredIn = parse(body)?;
            let source = input.source.as_deref().map(str::trim);
            if source.is_some_and(str::is_empty) {
                return Err(bad_request("source must not be empty (null clears it)"));
            }
            if !sim.set_mastered(key, source) {
                return Err(not_found("user"));
            }
            sim.user(key)
                .map(|u| Reply::ok(&u))
                .ok_or_else(|| not_found("user"))
        }
        ("PUT", ["users", key, "device-block"]) => {
            let input: DeviceBlockIn = parse(body)?;
            if !sim.set_unknown_device_block(key, input.blocked) {
                return Err(not_found("user"));
            }
            ok(json!({ "blocked": input.blocked }))
        }
        ("GET", ["users", key, "factors"]) => {
            let id = sim
                .user(key)
                .and_then(|u| u["id"].as_str().map(str::to_string))
                .ok_or_else(|| not_found("user"))?;
            ok(Value::Array(sim.factors(&id)))
        }
        ("POST", ["users", key, "sessions"]) => {
            let sign_in: SignIn = parse_or_default(body)?;
            if sim.user(key).is_none() {
                return Err(not_found("user"));
            }
            sim.start_session(key, sign_in)
                .map(|state| Reply::json(StatusCode::CREATED, &state))
                .map_err(|e| bad_request(e.0))
        }
        ("GET", ["users", key, "sessions"]) => sim
            .sessions(key)
            .map(|state| Reply::ok(&state))
            .ok_or_else(|| not_found("user")),
        ("POST", ["groups"]) => {
            let input: GroupSeed = parse(body)?;
            sim.try_seed_group_with(input)
                .map(|g| Reply::ok(&g))
                .map_err(|e| bad_request(e.0))
        }
        ("GET", ["groups", id]) => sim
            .group(id)
            .map(|g| Reply::ok(&g))
            .ok_or_else(|| not_found("group")),
        ("GET", ["groups", id, "members"]) => {
            if sim.group(id).is_none() {
                return Err(not_found("group"));
            }
            ok(json!(sim.group_member_ids(id)))
        }
        ("PUT", ["groups", gid, "users", uid]) => {
            if sim.group(gid).is_none() {
                return Err(not_found("group"));
            }
            let user_id = sim
                .user(uid)
                .and_then(|u| u["id"].as_str().map(str::to_string))
                .ok_or_else(|| not_found("user"))?;
            sim.add_member(gid, &user_id);
            Ok(Reply::no_content())
        }
        ("POST", ["apps"]) => {
            let seed: AppSeed = parse(body)?;
            sim.try_seed_app(seed)
                .map(|a| Reply::ok(&a))
                .map_err(|e| bad_request(e.0))
        }
        ("GET", ["apps", id, "users"]) => ok(json!(sim.app_user_ids(id))),
        ("GET", ["apps", id, "groups"]) => ok(json!(sim.app_group_ids(id))),
        ("PUT", ["apps", aid, "groups", gid]) => {
            let input: AppGroupIn = parse_or_default(body)?;
            if sim.assign_group(aid, gid, input.priority) {
                Ok(Reply::no_content())
            } else {
                Err(not_found("app or group"))
            }
        }
        ("GET", ["logs"]) => ok(Value::Array(sim.log_events())),
        ("POST", ["signins"]) => {
            let seed: SigninSeed = parse(body)?;
            sim.record_signin(seed)
                .map(|event| Reply::ok(&event))
                .map_err(|e| bad_request(e.0))
        }
        ("POST", ["faults"]) => {
            let fault: Fault = parse(body)?;
            sim.try_inject(fault.clone())
                .map_err(|e| bad_request(e.0))?;
            Ok(Reply::json(StatusCode::CREATED, &json!(fault)))
        }
        ("GET", ["faults"]) => ok(json!(sim.pending_faults())),
        ("DELETE", ["faults"]) => {
            sim.clear_faults();
            Ok(Reply::no_content())
        }
        ("GET", ["requests"]) => ok(json!(sim.requests())),
        ("DELETE", ["requests"]) => {
            sim.clear_requests();
            Ok(Reply::no_content())
        }
        ("POST", ["tokens"]) => {
            let input: TokenIn = parse(body)?;
            if input.token.trim().is_empty() {
                return Err(bad_request("token must not be empty"));
            }
            sim.add_token(&input.token, input.role);
            ok(json!({ "tokenLabel": crate::auth::token_label(&input.token), "role": input.role }))
        }
        ("DELETE", ["tokens"]) => {
            let input: TokenOut = parse(body)?;
            sim.remove_token(&input.token);
            Ok(Reply::no_content())
        }
        ("POST", ["oauth-clients"]) => {
            let seed: OAuthClientSeed = parse(body)?;
            sim.add_oauth_client(seed)
                .map(|c| Reply::ok(&c))
                .map_err(|e| bad_request(e.0))
        }
        ("GET", ["oauth-clients", id]) => sim
            .oauth_client(id)
            .map(|c| Reply::ok(&c))
            .ok_or_else(|| not_found("OAuth client")),
        ("DELETE", ["oauth-clients", id]) => {
            if !sim.remove_oauth_client(id) {
                return Err(not_found("OAuth client"));
            }
            Ok(Reply::no_content())
        }
        ("DELETE", ["oauth-tokens"]) => {
            sim.revoke_access_tokens();
            Ok(Reply::no_content())
        }
        ("GET", ["oauth"]) => ok(oauth_settings(sim)),
        ("PUT", ["oauth"]) => {
            let input: OAuthSettingsIn = parse(body)?;
            if let Some(secs) = input.access_token_lifetime_secs {
                if !(1..=86_400).contains(&secs) {
                    return Err(bad_request(
                        "accessTokenLifetimeSecs must be between 1 and 86400",
                    ));
                }
                sim.set_access_token_lifetime(Duration::from_secs(secs));
            }
            if let Some(required) = input.api_requires_dpop_nonce {
                sim.set_api_requires_dpop_nonce(required);
            }
            ok(oauth_settings(sim))
        }
        ("POST", ["oauth", "dpop-nonce"]) => ok(json!({ "nonce": sim.rotate_dpop_nonce() })),
        ("GET", ["lifecycle"]) => ok(json!({ "transitionMs": millis(sim.transition()) })),
        ("PUT", ["lifecycle"]) => {
            let input: LifecycleIn = parse(body)?;
            if input.transition_ms > 3_600_000 {
                return Err(bad_request("transitionMs must be at most 3600000"));
            }
            sim.set_transition(Duration::from_millis(input.transition_ms));
            ok(json!({ "transitionMs": input.transition_ms }))
        }
        ("GET", ["throttle"]) => {
            ok(json!({ "factorResendSecs": sim.factor_resend_throttle().as_secs() }))
        }
        ("PUT", ["throttle"]) => {
            let input: ThrottleIn = parse(body)?;
            if input.factor_resend_secs > 86_400 {
                return Err(bad_request("factorResendSecs must be at most 86400"));
            }
            sim.set_factor_resend_throttle(Duration::from_secs(input.factor_resend_secs));
            ok(json!({ "factorResendSecs": input.factor_resend_secs }))
        }
        ("GET", ["rate-limits"]) => ok(json!(sim.rate_limits())),
        ("GET", ["rate-limits", "stats"]) => ok(json!(sim.rate_limit_stats())),
        ("PUT", ["rate-limits"]) => {
            let limits: RateLimits = parse(body)?;
            if limits.window_secs == 0 {
                return Err(bad_request("windowSecs must be at least 1"));
            }
            sim.set_rate_limits(limits.clone());
            ok(json!(limits))
        }
        ("GET", ["indexes"]) => match sim.verify_indexes() {
            Ok(()) => ok(json!({ "ok": true })),
            Err(e) => Err(error(StatusCode::INTERNAL_SERVER_ERROR, e)),
        },
        _ => Err(error(
            StatusCode::NOT_FOUND,
            "unknown control route (see okta-sim/README.md)",
        )),
    }
}
