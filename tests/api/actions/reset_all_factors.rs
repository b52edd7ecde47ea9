//! reset_all_factors against okta-sim: the one POST Okta received, every factor gone, the
//! refusals, login resolution and a dry run that lists the factors and removes none.

use okta_sim::UserSeed;
use okta_sim::demo::{
    JORDAN_ID, JORDAN_LOGIN, JORDAN_SMS_FACTOR_ID, JORDAN_TOTP_FACTOR_ID, PRIYA_ID,
};
use serde_json::json;

use super::support::{assert_not_found, received};
use crate::helpers::spawn_with_account;

fn reset_call(id: &str) -> String {
    format!("POST /api/v1/users/{id}/lifecycle/reset_factors")
}

const DONE: &str =
    "Every MFA factor of the user was reset: they enroll again at their next sign-in.";

#[tokio::test]
async fn resetting_all_factors_by_id_removes_every_factor_and_keeps_the_status() {
    let app = spawn_with_account().await;
    let response = app
        .action("reset_all_factors", json!({"userId": JORDAN_ID}))
        .await;

    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(
        response.json,
        json!({"status": 200, "message": DONE, "userId": JORDAN_ID})
    );
    assert_eq!(app.okta_calls(), [reset_call(JORDAN_ID)]);
    assert_eq!(received(&app)[0].body, None, "Okta's reset takes no body");
    let handle = app.sim.handle();
    assert!(handle.factors(JORDAN_ID).is_empty());
    assert_eq!(handle.user(JORDAN_ID).expect("Jordan")["status"], "ACTIVE");
    assert!(handle.log_events().iter().any(
        |e| e["eventType"] == "user.mfa.factor.reset_all" && e["target"][0]["id"] == JORDAN_ID
    ));
}

#[tokio::test]
async fn resetting_all_factors_by_login_resolves_the_id_first() {
    let app = spawn_with_account().await;
    let response = app
        .action("reset_all_factors", json!({"userId": JORDAN_LOGIN}))
        .await;

    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.json["userId"], JORDAN_ID);
    assert_eq!(
        app.okta_calls(),
        [
            "GET /api/v1/users/jordan.lee%40example.com".to_owned(),
            reset_call(JORDAN_ID),
        ]
    );
    assert!(app.sim.handle().factors(JORDAN_ID).is_empty());
}

#[tokio::test]
async fn resetting_the_factors_of_an_unknown_user_is_a_user_not_found() {
    let app = spawn_with_account().await;
    let unknown = "00uNOSUCHUSER0000000";
    let response = app
        .action("reset_all_factors", json!({"userId": unknown}))
        .await;
    assert_not_found(
        &response,
        "user",
        "Not found: Resource not found: 00uNOSUCHUSER0000000 (User)",
    );
    assert_eq!(app.okta_calls(), [reset_call(unknown)]);
}

#[tokio::test]
async fn okta_refuses_to_reset_the_factors_of_a_deactivated_user() {
    let app = spawn_with_account().await;
    let user = app
        .sim
        .handle()
        .seed_user(UserSeed::new("gone@example.com", "Gone", "Away").status("DEPROVISIONED"));
    let id = user["id"].as_str().expect("seeded").to_owned();
    app.forget_requests();
    let response = app.action("reset_all_factors", json!({"userId": id})).await;

    let error = response.assert_error("INVALID_STATE", 409);
    assert_eq!(error["details"]["userStatus"], "DEPROVISIONED");
    assert_eq!(error["details"]["okta"]["errorCode"], "E0000038");
    assert_eq!(
        app.okta_calls(),
        [reset_call(&id), format!("GET /api/v1/users/{id}")]
    );

    app.forget_requests();
    let dry = app
        .action("reset_all_factors", json!({"userId": id, "dryRun": true}))
        .await;
    let error = dry.assert_error("INVALID_STATE", 409);
    assert_eq!(error["details"]["userStatus"], "DEPROVISIONED");
    assert_eq!(app.okta_calls(), [format!("GET /api/v1/users/{id}")]);
}

#[tokio::test]
async fn a_dry_run_lists_the_factors_and_removes_none() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "reset_all_factors",
            json!({"userId": JORDAN_LOGIN, "dryRun": true}),
        )
        .await;

    assert_eq!(response.status, 200, "{}", response.text);
    let body = &response.json;
    assert_eq!(body["dryRun"], true);
    assert_eq!(
        body["message"],
        "Would reset 2 MFA factors of user jordan.lee@example.com (status ACTIVE): token:software:totp (GOOGLE), sms (OKTA)."
    );
    assert_eq!(body["target"]["id"], JORDAN_ID);
    assert!(body["target"].get("_links").is_none());
    assert_eq!(
        body["factors"],
        json!([
            {"id": JORDAN_TOTP_FACTOR_ID, "factorType": "token:software:totp", "provider": "GOOGLE", "status": "ACTIVE"},
            {"id": JORDAN_SMS_FACTOR_ID, "factorType": "sms", "provider": "OKTA", "status": "ACTIVE"},
        ])
    );
    assert_eq!(
        app.okta_calls(),
        [
            "GET /api/v1/users/jordan.lee%40example.com".to_owned(),
            format!("GET /api/v1/users/{JORDAN_ID}/factors"),
        ]
    );
    assert_eq!(app.sim.handle().factors(JORDAN_ID).len(), 2);
}

#[tokio::test]
async fn a_dry_run_for_a_user_without_factors_says_nothing_would_change() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "reset_all_factors",
            json!({"userId": PRIYA_ID, "dryRun": true}),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(
        response.json["message"],
        "User priya.sharma@example.com (status ACTIVE) has no MFA factor: resetting would change nothing."
    );
    assert_eq!(response.json["factors"], json!([]));
}
