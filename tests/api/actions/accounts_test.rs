//! `POST /accounts/{name}/test`, and how Okta's verdict on a stored token (during a test or an
//! action) is kept on the account as `lastVerifiedAt` and `lastError`.

use chrono::{DateTime, Utc};
use okta_sim::demo::JORDAN_ID;
use okta_sim::{Fault, FaultKind};
use reqwest::Method;
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::{ACCOUNT, ACTION_KEY, Backend, TestApp, TestResponse, app};

async fn with_account(backend: Backend) -> TestApp {
    let app = app(backend).spawn().await;
    let created = app.create_account(ACCOUNT).await;
    assert_eq!(created.status, 201, "{}", created.text);
    app.forget_requests();
    app
}

async fn account(app: &TestApp) -> TestResponse {
    let account = app
        .admin(Method::GET, &format!("/accounts/{ACCOUNT}"), None)
        .await;
    assert_eq!(account.status, 200, "{}", account.text);
    account
}

async fn test_account(app: &TestApp) -> TestResponse {
    app.admin(Method::POST, &format!("/accounts/{ACCOUNT}/test"), None)
        .await
}

fn verified_at(account: &Value) -> DateTime<Utc> {
    account["lastVerifiedAt"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("lastVerifiedAt in {account}"))
}

async fn testing_a_healthy_account_checks_the_token_once_and_updates_last_verified_at(
    backend: Backend,
) {
    let app = with_account(backend).await;
    let before = account(&app).await;

    let response = test_account(&app).await;

    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.json["name"], ACCOUNT);
    assert_eq!(response.json["lastError"], Value::Null);
    assert!(verified_at(&response.json) > verified_at(&before.json));
    assert!(!response.text.contains(&app.sim_token));
    assert_eq!(app.okta_calls(), ["GET /api/v1/users/me"]);
    assert_eq!(account(&app).await.json, response.json);
}

async fn a_token_revoked_during_an_action_is_recorded_and_a_test_after_restoring_it_clears_it(
    backend: Backend,
) {
    let app = with_account(backend).await;
    let before = account(&app).await;
    app.sim.handle().remove_token(&app.sim_token);

    let refused = app
        .action(
            "get_user",
            json!({"searchBy": "id", "searchValue": JORDAN_ID}),
        )
        .await;

    let error = refused.assert_error("AUTHENTICATION_FAILURE", 401);
    assert_eq!(error["code"], 8002);
    assert_eq!(error["details"]["okta"]["errorCode"], "E0000011");
    let marked = account(&app).await;
    let last_error = marked.json["lastError"].as_str().expect("lastError is set");
    assert!(
        last_error.contains("AUTHENTICATION_FAILURE") && last_error.contains("E0000011"),
        "{last_error}"
    );
    assert!(!marked.text.contains(&app.sim_token));
    assert_eq!(
        marked.json["lastVerifiedAt"], before.json["lastVerifiedAt"],
        "a refusal is not a verification"
    );

    app.sim
        .handle()
        .add_token(&app.sim_token, okta_sim::AdminRole::SuperAdmin);
    app.forget_requests();
    let tested = test_account(&app).await;

    assert_eq!(tested.status, 200, "{}", tested.text);
    assert_eq!(tested.json["lastError"], Value::Null);
    assert!(verified_at(&tested.json) > verified_at(&before.json));
    assert_eq!(app.okta_calls(), ["GET /api/v1/users/me"]);
    assert_eq!(account(&app).await.json, tested.json);
}

async fn testing_an_account_with_a_revoked_token_answers_401_and_records_the_error(
    backend: Backend,
) {
    let app = with_account(backend).await;
    let before = account(&app).await;
    app.sim.handle().remove_token(&app.sim_token);

    let response = test_account(&app).await;

    let error = response.assert_error("AUTHENTICATION_FAILURE", 401);
    assert_eq!(error["details"]["okta"]["errorCode"], "E0000011");
    let after = account(&app).await;
    let last_error = after.json["lastError"].as_str().expect("lastError is set");
    assert!(last_error.contains("E0000011"), "{last_error}");
    assert!(!after.text.contains(&app.sim_token));
    assert_eq!(after.json["lastVerifiedAt"], before.json["lastVerifiedAt"]);
    assert_eq!(app.okta_calls(), ["GET /api/v1/users/me"]);
}

async fn testing_an_account_whose_org_keeps_failing_answers_502_and_records_the_error(
    backend: Backend,
) {
    let app = with_account(backend).await;
    app.sim.handle().inject(
        Fault::new(
            Some("GET"),
            "/api/v1/users/me",
            FaultKind::Status {
                status: 500,
                error_code: "E0000009".to_owned(),
                error_summary: "Internal Server Error".to_owned(),
            },
        )
        .times(10),
    );

    let response = test_account(&app).await;

    let error = response.assert_error("UPSTREAM_UNAVAILABLE", 502);
    assert_eq!(error["details"]["okta"]["errorCode"], "E0000009");
    assert_eq!(app.okta_calls().len(), 3, "a read is retried, bounded");
    let after = account(&app).await;
    assert!(
        after.json["lastError"]
            .as_str()
            .is_some_and(|e| e.contains("UPSTREAM_UNAVAILABLE")),
        "{}",
        after.text
    );
}

async fn testing_an_account_needs_an_admin_key(backend: Backend) {
    let app = with_account(backend).await;

    let response = app
        .call(
            Method::POST,
            &format!("/accounts/{ACCOUNT}/test"),
            Some(ACTION_KEY),
            None,
        )
        .await;

    response.assert_error("FORBIDDEN_SCOPE", 403);
    assert!(app.okta_calls().is_empty());
}

async fn testing_or_acting_on_an_unknown_account_is_not_found(backend: Backend) {
    let app = with_account(backend).await;

    let tested = app.admin(Method::POST, "/accounts/nobody/test", None).await;
    let acted = app
        .action_on(
            "nobody",
            "get_user",
            json!({"searchBy": "id", "searchValue": JORDAN_ID}),
        )
        .await;

    for response in [tested, acted] {
        let error = response.assert_error("RESOURCE_NOT_FOUND", 404);
        assert_eq!(error["code"], 8003);
        assert_eq!(error["details"]["resource"], "account");
    }
    assert!(app.okta_calls().is_empty());
}

backend_tests!(
    testing_a_healthy_account_checks_the_token_once_and_updates_last_verified_at,
    a_token_revoked_during_an_action_is_recorded_and_a_test_after_restoring_it_clears_it,
    testing_an_account_with_a_revoked_token_answers_401_and_records_the_error,
    testing_an_account_whose_org_keeps_failing_answers_502_and_records_the_error,
    testing_an_account_needs_an_admin_key,
    testing_or_acting_on_an_unknown_account_is_not_found,
);
