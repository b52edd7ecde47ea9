//! clear_user_sessions against okta-sim: the DELETE Okta received (both query parameters,
//! always), what it ended, the refusals, login resolution and a dry run that writes nothing.

use okta_sim::demo::{JORDAN_ID, JORDAN_LOGIN};
use okta_sim::{SignIn, UserSeed};
use serde_json::{Value, json};

use super::support::assert_not_found;
use crate::helpers::{TestApp, TestResponse, spawn_with_account};

fn sessions_call(id: &str, tokens: bool, devices: bool) -> String {
    format!("DELETE /api/v1/users/{id}/sessions?oauthTokens={tokens}&forgetDevices={devices}")
}

/// Jordan signed in on two devices: three OAuth tokens, one device remembered.
fn jordan_signed_in(app: &TestApp) {
    let handle = app.sim.handle();
    let phone = SignIn {
        oauth_tokens: 2,
        remember_device: true,
    };
    let laptop = SignIn {
        oauth_tokens: 1,
        remember_device: false,
    };
    handle.start_session(JORDAN_ID, phone).expect("signs in");
    handle.start_session(JORDAN_ID, laptop).expect("signs in");
}

/// Jordan's sessions, tokens and remembered devices as okta-sim has them.
fn jordan_in_okta(app: &TestApp) -> (usize, u64, u64) {
    let state = app.sim.handle().sessions(JORDAN_ID).expect("Jordan exists");
    (
        state["sessions"].as_array().map_or(0, Vec::len),
        state["oauthTokens"].as_u64().unwrap_or_default(),
        state["rememberedDevices"].as_u64().unwrap_or_default(),
    )
}

fn deactivated_user(app: &TestApp) -> String {
    let user = app
        .sim
        .handle()
        .seed_user(UserSeed::new("gone@example.com", "Gone", "Away").status("DEPROVISIONED"));
    app.forget_requests();
    user["id"].as_str().expect("seeded").to_owned()
}

#[track_caller]
fn assert_deactivated_refusal(response: &TestResponse) -> &Value {
    let error = response.assert_error("INVALID_STATE", 409);
    assert_eq!(error["details"]["userStatus"], "DEPROVISIONED", "{error}");
    error
}

#[tokio::test]
async fn clearing_sessions_sends_both_parameters_and_ends_every_session() {
    let app = spawn_with_account().await;
    jordan_signed_in(&app);
    let response = app
        .action("clear_user_sessions", json!({"userId": JORDAN_ID}))
        .await;

    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(
        response.json,
        json!({
            "status": 204,
            "message": "Every Okta session of the user was ended; they must sign in again.",
            "userId": JORDAN_ID,
            "oauthTokensRevoked": false,
            "devicesForgotten": false,
        })
    );
    // forgetDevices=false is sent although it is the gateway's default: Okta's own default
    // (true on Identity Engine) would have forgotten the device.
    assert_eq!(app.okta_calls(), [sessions_call(JORDAN_ID, false, false)]);
    assert_eq!(jordan_in_okta(&app), (0, 3, 1));
    let events = app.sim.handle().log_events();
    let cleared: Vec<&Value> = events
        .iter()
        .filter(|e| e["eventType"] == "user.session.clear")
        .collect();
    assert_eq!(cleared.len(), 1);
    assert_eq!(cleared[0]["target"][0]["id"], JORDAN_ID);
}

#[tokio::test]
async fn clearing_sessions_by_login_resolves_the_id_and_revokes_tokens_and_devices() {
    let app = spawn_with_account().await;
    jordan_signed_in(&app);
    let response = app
        .action(
            "clear_user_sessions",
            json!({"userId": JORDAN_LOGIN, "revokeOAuthTokens": true, "forgetDevices": true}),
        )
        .await;

    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.json["userId"], JORDAN_ID);
    assert_eq!(response.json["oauthTokensRevoked"], true);
    assert_eq!(response.json["devicesForgotten"], true);
    assert_eq!(
        response.json["message"],
        "Every Okta session of the user was ended; they must sign in again. Their OAuth tokens were revoked. Their remembered devices were forgotten."
    );
    assert_eq!(
        app.okta_calls(),
        [
            "GET /api/v1/users/jordan.lee%40example.com".to_owned(),
            sessions_call(JORDAN_ID, true, true),
        ]
    );
    assert_eq!(jordan_in_okta(&app), (0, 0, 0));
}

#[tokio::test]
async fn clearing_the_sessions_of_an_unknown_user_is_a_user_not_found() {
    let app = spawn_with_account().await;
    let unknown = "00uNOSUCHUSER0000000";
    let response = app
        .action("clear_user_sessions", json!({"userId": unknown}))
        .await;
    assert_not_found(
        &response,
        "user",
        "Not found: Resource not found: 00uNOSUCHUSER0000000 (User)",
    );
    assert_eq!(app.okta_calls(), [sessions_call(unknown, false, false)]);

    app.forget_requests();
    let response = app
        .action(
            "clear_user_sessions",
            json!({"userId": "nobody@example.com", "dryRun": true}),
        )
        .await;
    response.assert_error("RESOURCE_NOT_FOUND", 404);
    assert_eq!(app.okta_calls(), ["GET /api/v1/users/nobody%40example.com"]);
}

#[tokio::test]
async fn okta_refuses_to_clear_the_sessions_of_a_deactivated_user() {
    let app = spawn_with_account().await;
    let id = deactivated_user(&app);
    let response = app
        .action(
            "clear_user_sessions",
            json!({"userId": id, "revokeOAuthTokens": true}),
        )
        .await;

    let error = assert_deactivated_refusal(&response);
    assert_eq!(error["details"]["okta"]["errorCode"], "E0000038");
    // The refusal, then one read for the user's status.
    assert_eq!(
        app.okta_calls(),
        [
            sessions_call(&id, true, false),
            format!("GET /api/v1/users/{id}"),
        ]
    );
}

#[tokio::test]
async fn a_dry_run_reads_the_user_and_ends_nothing() {
    let app = spawn_with_account().await;
    jordan_signed_in(&app);
    let response = app
        .action(
            "clear_user_sessions",
            json!({"userId": JORDAN_LOGIN, "revokeOAuthTokens": true, "dryRun": true}),
        )
        .await;

    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.json["dryRun"], true);
    assert_eq!(
        response.json["message"],
        "Would end every Okta session of user jordan.lee@example.com (status ACTIVE). Their OAuth tokens would be revoked."
    );
    assert_eq!(response.json["target"]["id"], JORDAN_ID);
    assert!(response.json["target"].get("_links").is_none());
    assert_eq!(
        app.okta_calls(),
        ["GET /api/v1/users/jordan.lee%40example.com"]
    );
    assert_eq!(jordan_in_okta(&app), (2, 3, 1));
    assert!(
        !app.sim
            .handle()
            .log_events()
            .iter()
            .any(|e| e["eventType"] == "user.session.clear")
    );
}

#[tokio::test]
async fn a_dry_run_for_a_deactivated_user_is_refused_as_okta_would() {
    let app = spawn_with_account().await;
    let id = deactivated_user(&app);
    let response = app
        .action("clear_user_sessions", json!({"userId": id, "dryRun": true}))
        .await;
    assert_deactivated_refusal(&response);
    assert_eq!(app.okta_calls(), [format!("GET /api/v1/users/{id}")]);
}
