//! Account state: `lastError` survives a PUT that verified nothing, and per-account state
//! (metric series) exists only for stored accounts.

use okta_sim::{Fault, FaultKind};
use reqwest::Method;
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::{ACCOUNT, Backend, TestApp, app, spawn_with_account_from};

async fn account(app: &TestApp) -> Value {
    let shown = app
        .admin(Method::GET, &format!("/accounts/{ACCOUNT}"), None)
        .await;
    assert_eq!(shown.status, 200, "{}", shown.text);
    shown.json
}

backend_tests!(only_a_verified_put_clears_last_error);

async fn only_a_verified_put_clears_last_error(backend: Backend) {
    let app = spawn_with_account_from(app(backend)).await;
    app.sim.handle().remove_token(&app.sim_token);
    let tested = app
        .admin(Method::POST, &format!("/accounts/{ACCOUNT}/test"), None)
        .await;
    tested.assert_error("AUTHENTICATION_FAILURE", 401);
    let failed = account(&app).await;
    assert!(failed["lastError"].is_string(), "{failed}");
    let path = format!("/accounts/{ACCOUNT}");

    // The same domain again, and a token stored without a check: nothing was verified.
    for body in [
        json!({"domain": app.sim.base_url()}),
        json!({"apiToken": app.sim_token, "verify": false}),
    ] {
        let put = app.admin(Method::PUT, &path, Some(body.clone())).await;
        assert_eq!(put.status, 200, "{}", put.text);
        assert_eq!(put.json["lastError"], failed["lastError"], "after {body}");
        assert_eq!(put.json["lastVerifiedAt"], failed["lastVerifiedAt"]);
        assert_eq!(account(&app).await["lastError"], failed["lastError"]);
    }

    app.sim
        .handle()
        .add_token(&app.sim_token, okta_sim::AdminRole::SuperAdmin);
    let verified = app
        .admin(Method::PUT, &path, Some(json!({"apiToken": app.sim_token})))
        .await;
    assert_eq!(verified.status, 200, "{}", verified.text);
    assert_eq!(verified.json["lastError"], Value::Null);
}

/// The account names that label series in `/metrics`.
async fn metric_accounts(app: &TestApp) -> Vec<String> {
    let metrics = app.admin(Method::GET, "/metrics", None).await;
    assert_eq!(metrics.status, 200);
    let mut names: Vec<String> = metrics
        .text
        .lines()
        .filter_map(|line| line.split_once("account=\"")?.1.split_once('"'))
        .map(|(name, _)| name.to_owned())
        .collect();
    names.sort();
    names.dedup();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_creates_and_deleted_accounts_leave_no_metric_series() {
    let app = app(Backend::Sqlite).spawn().await;
    // Refused by Okta, and an org that fails: neither is stored.
    let mut refused = app.account_body("refused_name");
    refused["apiToken"] = json!("00wrong-token-0123456789");
    let response = app.admin(Method::POST, "/accounts", Some(refused)).await;
    response.assert_error("AUTHENTICATION_FAILURE", 401);
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
        .times(3),
    );
    app.create_account("failing_name")
        .await
        .assert_error("UPSTREAM_UNAVAILABLE", 502);

    let names = metric_accounts(&app).await;
    assert!(
        !names.iter().any(|n| n.ends_with("_name")),
        "series for accounts never stored: {names:?}"
    );
    assert!(
        names.contains(&"-".to_owned()),
        "checks count as '-': {names:?}"
    );

    assert_eq!(app.create_account("kept").await.status, 201);
    assert_eq!(app.create_account("gone").await.status, 201);
    for name in ["kept", "gone"] {
        let user = app
            .action_on(
                name,
                "get_user",
                json!({"searchBy": "login", "searchValue": "jordan.lee@example.com"}),
            )
            .await;
        assert_eq!(user.status, 200, "{}", user.text);
    }
    assert_eq!(metric_accounts(&app).await, ["-", "gone", "kept"]);

    let deleted = app.admin(Method::DELETE, "/accounts/gone", None).await;
    assert_eq!(deleted.status, 204);
    assert_eq!(metric_accounts(&app).await, ["-", "kept"]);
}
