//! What the account's Okta token may do.

use super::*;

// ---------------------------------------------------------------------------------------------
// The account's token
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_revoked_token_is_an_authentication_failure() {
    let app = spawn_with_account().await;
    app.sim.handle().remove_token(&app.sim_token);
    let response = app
        .action(
            "get_user",
            json!({"searchBy": "id", "searchValue": JORDAN_ID}),
        )
        .await;

    let error = response.assert_error("AUTHENTICATION_FAILURE", 401);
    assert_eq!(error["code"], 8002);
    assert_eq!(error["details"]["okta"]["errorCode"], "E0000011");
    assert_eq!(app.okta_calls(), [format!("GET {}", user_path(JORDAN_ID))]);
    assert!(!response.text.contains(&app.sim_token));
}

#[tokio::test]
async fn a_read_only_token_cannot_change_a_user() {
    let app = spawn_with_account().await;
    let token = "00readonly-token-for-users";
    app.sim
        .handle()
        .add_token(token, okta_sim::AdminRole::ReadOnlyAdmin);
    let account = json!({"name": "readonly", "domain": app.sim.base_url(), "apiToken": token});
    let created = app
        .admin(reqwest::Method::POST, "/accounts", Some(account))
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    app.forget_requests();

    let response = app
        .call(
            reqwest::Method::POST,
            "/accounts/readonly/actions/suspend_user",
            Some(ACTION_KEY),
            Some(json!({"userId": JORDAN_ID})),
        )
        .await;

    let error = response.assert_error("RESOURCE_ACCESS_DENIED", 403);
    assert_eq!(error["code"], 9001);
    assert_eq!(error["details"]["okta"]["errorCode"], "E0000006");
    // Not a state refusal: no extra read of the user.
    assert_eq!(
        app.okta_calls(),
        [format!("POST {}/lifecycle/suspend", user_path(JORDAN_ID))]
    );
    assert_eq!(status_in_okta(&app, JORDAN_ID), "ACTIVE");
}

#[tokio::test]
async fn a_user_action_on_an_unknown_account_is_refused_before_okta() {
    let app = spawn_with_account().await;
    let response = app
        .call(
            reqwest::Method::POST,
            "/accounts/nosuch/actions/get_user",
            Some(ACTION_KEY),
            Some(json!({"searchBy": "id", "searchValue": JORDAN_ID})),
        )
        .await;

    let error = response.assert_error("RESOURCE_NOT_FOUND", 404);
    assert_eq!(error["details"]["resource"], "account");
    assert!(app.okta_calls().is_empty());
}
