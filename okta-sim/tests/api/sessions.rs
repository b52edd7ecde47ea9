//! `DELETE /api/v1/users/{userId}/sessions` and the sign-ins that leave sessions behind
//! (`POST /__sim/users/{id}/sessions`).

use okta_sim::{AdminRole, SignIn, demo};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestSim, spawn, spawn_synchronous};

fn sessions_path(user: &str, query: &str) -> String {
    format!("/api/v1/users/{user}/sessions{query}")
}

/// Jordan signs in twice: three OAuth tokens, one remembered device.
async fn jordan_signs_in_twice(t: &TestSim) {
    let first = t
        .control(
            Method::POST,
            &format!("/users/{}/sessions", demo::JORDAN_LOGIN),
            Some(json!({"oauthTokens": 2, "rememberDevice": true})),
        )
        .await;
    assert_eq!(first.status, 201, "{}", first.text);
    let second = t
        .control(
            Method::POST,
            &format!("/users/{}/sessions", demo::JORDAN_ID),
            Some(json!({"oauthTokens": 1})),
        )
        .await;
    let state = second.json();
    assert_eq!(state["oauthTokens"], 3);
    assert_eq!(state["rememberedDevices"], 1);
    let sessions = state["sessions"].as_array().expect("sessions");
    assert_eq!(sessions.len(), 2);
    assert!(
        sessions
            .iter()
            .all(|s| s["id"].as_str().is_some_and(|id| id.starts_with("102")))
    );
}

fn events_for(t: &TestSim, event_type: &str, user: &str) -> usize {
    t.handle()
        .log_events()
        .iter()
        .filter(|e| e["eventType"] == event_type && e["target"][0]["id"] == user)
        .count()
}

fn state(t: &TestSim, user: &str) -> Value {
    t.handle().sessions(user).expect("user exists")
}

#[tokio::test]
async fn clearing_sessions_ends_every_session_and_logs_it() {
    let t = spawn().await;
    jordan_signs_in_twice(&t).await;
    let resp = t
        .delete(&sessions_path(
            demo::JORDAN_ID,
            "?oauthTokens=false&forgetDevices=false",
        ))
        .await;
    assert_eq!(resp.status, 204, "{}", resp.text);
    assert!(resp.text.is_empty());
    assert_eq!(
        state(&t, demo::JORDAN_ID),
        json!({"sessions": [], "oauthTokens": 3, "rememberedDevices": 1})
    );
    assert_eq!(events_for(&t, "user.session.end", demo::JORDAN_ID), 2);
    assert_eq!(events_for(&t, "user.session.clear", demo::JORDAN_ID), 1);
    let clear = t
        .handle()
        .log_events()
        .into_iter()
        .rfind(|e| e["eventType"] == "user.session.clear")
        .expect("event");
    assert_eq!(clear["actor"]["id"], demo::ADMIN_ID);
    assert_eq!(clear["outcome"]["result"], "SUCCESS");
}

#[tokio::test]
async fn oauth_tokens_and_remembered_devices_go_only_when_asked() {
    let t = spawn().await;
    jordan_signs_in_twice(&t).await;
    let tokens = t
        .delete(&sessions_path(
            demo::JORDAN_ID,
            "?oauthTokens=true&forgetDevices=false",
        ))
        .await;
    assert_eq!(tokens.status, 204);
    assert_eq!(
        state(&t, demo::JORDAN_ID),
        json!({"sessions": [], "oauthTokens": 0, "rememberedDevices": 1})
    );
    let devices = t
        .delete(&sessions_path(
            demo::JORDAN_ID,
            "?oauthTokens=false&forgetDevices=true",
        ))
        .await;
    assert_eq!(devices.status, 204);
    assert_eq!(
        state(&t, demo::JORDAN_ID),
        json!({"sessions": [], "oauthTokens": 0, "rememberedDevices": 0})
    );
}

#[tokio::test]
async fn without_parameters_tokens_stay_and_devices_are_forgotten_as_the_spec_defaults() {
    let t = spawn().await;
    jordan_signs_in_twice(&t).await;
    let resp = t.delete(&sessions_path(demo::JORDAN_ID, "")).await;
    assert_eq!(resp.status, 204);
    assert_eq!(
        state(&t, demo::JORDAN_ID),
        json!({"sessions": [], "oauthTokens": 3, "rememberedDevices": 0})
    );
}

#[tokio::test]
async fn a_user_without_sessions_is_cleared_all_the_same() {
    let t = spawn().await;
    let resp = t
        .delete(&sessions_path(demo::PRIYA_ID, "?oauthTokens=true"))
        .await;
    assert_eq!(resp.status, 204);
    assert_eq!(events_for(&t, "user.session.clear", demo::PRIYA_ID), 1);
    assert_eq!(events_for(&t, "user.session.end", demo::PRIYA_ID), 0);
}

#[tokio::test]
async fn unknown_users_logins_and_deactivated_users_are_refused() {
    let t = spawn_synchronous().await;
    t.delete(&sessions_path("00unknownUSER0000000", ""))
        .await
        .assert_error(
            404,
            "E0000007",
            "Not found: Resource not found: 00unknownUSER0000000 (User)",
        );
    // The path takes the user id, as the other `{userId}` paths here do.
    let by_login = t.delete(&sessions_path(demo::JORDAN_LOGIN, "")).await;
    assert_eq!(by_login.status, 404);
    let deactivate = t
        .post_empty(&format!(
            "/api/v1/users/{}/lifecycle/deactivate",
            demo::PRIYA_ID
        ))
        .await;
    assert_eq!(deactivate.status, 200);
    t.delete(&sessions_path(demo::PRIYA_ID, ""))
        .await
        .assert_error(
            403,
            "E0000038",
            "This operation is not allowed in the user's current status.",
        );
    assert_eq!(events_for(&t, "user.session.clear", demo::PRIYA_ID), 0);
}

#[tokio::test]
async fn deactivation_and_revoke_sessions_end_sessions_too() {
    let t = spawn_synchronous().await;
    let h = t.handle();
    let sign_in = SignIn {
        oauth_tokens: 1,
        remember_device: true,
    };
    h.start_session(demo::JORDAN_ID, sign_in).expect("signs in");
    let reset = t
        .post_empty(&format!(
            "/api/v1/users/{}/lifecycle/reset_password?sendEmail=true&revokeSessions=true",
            demo::JORDAN_ID
        ))
        .await;
    assert_eq!(reset.status, 200);
    // revokeSessions ends the sessions only.
    assert_eq!(
        state(&t, demo::JORDAN_ID),
        json!({"sessions": [], "oauthTokens": 1, "rememberedDevices": 1})
    );
    h.start_session(demo::PRIYA_ID, sign_in).expect("signs in");
    t.post_empty(&format!(
        "/api/v1/users/{}/lifecycle/deactivate",
        demo::PRIYA_ID
    ))
    .await;
    assert_eq!(
        state(&t, demo::PRIYA_ID),
        json!({"sessions": [], "oauthTokens": 0, "rememberedDevices": 0})
    );
    assert_eq!(events_for(&t, "user.session.end", demo::PRIYA_ID), 1);
    assert!(h.verify_indexes().is_ok());
}

#[tokio::test]
async fn help_desk_admins_clear_sessions_and_read_only_admins_do_not() {
    let t = spawn().await;
    t.handle().add_token("help-desk", AdminRole::HelpDeskAdmin);
    t.handle().add_token("auditor", AdminRole::ReadOnlyAdmin);
    let path = sessions_path(demo::JORDAN_ID, "?oauthTokens=false&forgetDevices=false");
    let help_desk = t
        .call_as(Some("help-desk"), Method::DELETE, &path, None)
        .await;
    assert_eq!(help_desk.status, 204, "{}", help_desk.text);
    let auditor = t
        .call_as(Some("auditor"), Method::DELETE, &path, None)
        .await;
    auditor.assert_error(
        403,
        "E0000006",
        "You do not have permission to perform the requested action",
    );
    // Only a super admin signs another administrator out.
    let admin = t
        .call_as(
            Some("help-desk"),
            Method::DELETE,
            &sessions_path(demo::ADMIN_ID, ""),
            None,
        )
        .await;
    assert_eq!(admin.status, 403);
}

#[tokio::test]
async fn only_activated_users_sign_in_and_unknown_ones_are_not_found() {
    let t = spawn().await;
    let staged = t
        .control(
            Method::POST,
            &format!("/users/{}/sessions", demo::SAM_ID),
            None,
        )
        .await;
    assert_eq!(staged.status, 400);
    assert_eq!(
        staged.json(),
        json!({"error": "a STAGED user cannot sign in"})
    );
    let unknown = t
        .control(Method::POST, "/users/nobody@example.com/sessions", None)
        .await;
    assert_eq!(unknown.status, 404);
    let bad = t
        .control(
            Method::POST,
            &format!("/users/{}/sessions", demo::JORDAN_ID),
            Some(json!({"tokens": 1})),
        )
        .await;
    assert_eq!(bad.status, 400);
    let read = t
        .control(
            Method::GET,
            &format!("/users/{}/sessions", demo::MAYA_LOGIN),
            None,
        )
        .await;
    assert_eq!(
        read.json(),
        json!({"sessions": [], "oauthTokens": 0, "rememberedDevices": 0})
    );
}
