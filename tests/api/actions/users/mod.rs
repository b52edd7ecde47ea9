//! The twelve user actions against okta-sim: for each, the success case and the errors it can
//! meet, asserting the gateway's status and body and exactly what Okta received (method, raw
//! path, query, body and number of calls). Also: how user references (ids and logins) reach
//! Okta's paths, that credentials never reach a log line, and the audit line of mutating
//! actions.

use okta_sim::demo::{JORDAN_ID, JORDAN_LOGIN, JORDAN_PASSWORD, PRIYA_ID, PRIYA_LOGIN};
use okta_sim::{Fault, FaultKind, RecordedRequest, UserSeed};
use serde_json::{Value, json};

use crate::helpers::{
    ACTION_KEY, Backend, TestApp, TestResponse, app as app_builder, captured_logs,
    spawn_with_account, spawn_with_account_from,
};

mod create;
mod delete;
mod dry_runs;
mod lifecycle;
mod logs;
mod passwords;
mod read_update;
mod references;
mod token;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// Jordan's login as it appears in an Okta path: one segment, `@` percent-encoded.
const JORDAN_LOGIN_SEGMENT: &str = "jordan.lee%40example.com";

/// The keys of the seed's user sample (get_user, create_user).
const USER_KEYS: [&str; 9] = [
    "id",
    "status",
    "created",
    "activated",
    "lastLogin",
    "lastUpdated",
    "passwordChanged",
    "profile",
    "credentials",
];
const PROFILE_KEYS: [&str; 6] = [
    "firstName",
    "lastName",
    "email",
    "login",
    "mobilePhone",
    "secondEmail",
];

fn user_path(reference: &str) -> String {
    format!("/api/v1/users/{reference}")
}

/// What okta-sim received since the last `forget_requests`.
fn sent(app: &TestApp) -> Vec<RecordedRequest> {
    app.sim.handle().requests()
}

/// The JSON body of a recorded request (`Value::Null` when it had none).
fn sent_json(request: &RecordedRequest) -> Value {
    request
        .body
        .as_deref()
        .filter(|b| !b.is_empty())
        .map(|b| serde_json::from_str(b).expect("the gateway sends JSON bodies"))
        .unwrap_or(Value::Null)
}

/// The JSON Okta answered to a recorded request.
fn answered_json(request: &RecordedRequest) -> Value {
    serde_json::from_str(request.response_body.as_deref().unwrap_or("null"))
        .expect("okta-sim answers JSON")
}

/// Add a user to the simulator; returns its id.
fn seed(app: &TestApp, login: &str, status: &str) -> String {
    let user = app
        .sim
        .handle()
        .seed_user(UserSeed::new(login, "Sam", "Doe").status(status));
    user["id"]
        .as_str()
        .unwrap_or_else(|| panic!("seeding {login}: {user}"))
        .to_owned()
}

fn seed_with_password(app: &TestApp, login: &str, password: &str) -> String {
    let user = app
        .sim
        .handle()
        .seed_user(UserSeed::new(login, "Sam", "Doe").password(password));
    user["id"].as_str().expect("seeded").to_owned()
}

/// A user's status as the simulator has it.
fn status_in_okta(app: &TestApp, reference: &str) -> String {
    app.sim
        .handle()
        .user(reference)
        .and_then(|u| u["status"].as_str().map(str::to_owned))
        .unwrap_or_else(|| panic!("{reference} exists in okta-sim"))
}

/// The status once Okta's asynchronous activation has finished (okta-sim shows
/// `transitioningToStatus` for a short while, as a real org does).
async fn settled_status_in_okta(app: &TestApp, reference: &str) -> String {
    for _ in 0..100 {
        let transitioning = app
            .sim
            .handle()
            .user(reference)
            .is_some_and(|u| u.get("transitioningToStatus").is_some());
        if !transitioning {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    status_in_okta(app, reference)
}

/// Assert a 200 JSON answer and return its body.
#[track_caller]
fn ok(response: &TestResponse) -> &Value {
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(
        response
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/json"),
    );
    &response.json
}

/// An object's keys, sorted.
fn keys(body: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = body
        .as_object()
        .expect("a JSON object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

fn cache_control(response: &TestResponse) -> Option<&str> {
    response
        .headers
        .get("cache-control")
        .and_then(|v| v.to_str().ok())
}

/// An Okta user shaped as the seed's sample: no `_links`, every sampled key present.
#[track_caller]
fn assert_user_shape(body: &Value, keys: &[&str]) {
    let object = body.as_object().expect("a JSON object");
    assert!(!object.contains_key("_links"), "_links removed: {body}");
    for key in keys {
        assert!(object.contains_key(*key), "{key} missing in {body}");
    }
    let profile = body["profile"].as_object().expect("a profile");
    for key in PROFILE_KEYS {
        assert!(profile.contains_key(key), "profile.{key} missing in {body}");
    }
}

/// The INVALID_STATE answer of a refused lifecycle operation, with the user's status.
#[track_caller]
fn assert_invalid_state(response: &TestResponse, user_status: &str, okta_code: &str) {
    let error = response.assert_error("INVALID_STATE", 409);
    assert_eq!(error["code"], 9110);
    assert_eq!(error["details"]["userStatus"], user_status, "{error}");
    assert_eq!(error["details"]["okta"]["errorCode"], okta_code, "{error}");
    assert!(
        error["message"]
            .as_str()
            .unwrap_or_default()
            .ends_with(&format!("The user's status is {user_status}.")),
        "{error}"
    );
}

/// The RESOURCE_NOT_FOUND answer for a user.
/// [`assert_invalid_state`], after Okta refused `refused_call` and the gateway read the user's
/// status once.
#[track_caller]
fn assert_invalid_state_after(
    app: &TestApp,
    response: &TestResponse,
    user_status: &str,
    okta_code: &str,
    refused_call: String,
    user: &str,
) {
    assert_invalid_state(response, user_status, okta_code);
    assert_eq!(
        app.okta_calls(),
        [refused_call, format!("GET {}", user_path(user))]
    );
}

/// `create_user` for Ann Ito (ann.ito@example.com) with this login.
async fn create_ann(app: &TestApp, login: &str) -> TestResponse {
    app.action(
        "create_user",
        json!({"firstName": "Ann", "lastName": "Ito", "email": "ann.ito@example.com", "login": login}),
    )
    .await
}

#[track_caller]
fn assert_user_not_found(response: &TestResponse) -> &Value {
    let error = response.assert_error("RESOURCE_NOT_FOUND", 404);
    assert_eq!(error["code"], 8002, "{error}");
    assert_eq!(error["details"]["resource"], "user", "{error}");
    error
}
