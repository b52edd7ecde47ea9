//! The accounts API, on both backends.

use reqwest::Method;
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::{Backend, spawn_app};

async fn creating_an_account_returns_it_without_the_token(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut body = app.account_body("acme_prod");
    body["domain"] = json!(format!("{}/", app.sim.base_url()));
    let response = app.admin(Method::POST, "/accounts", Some(body)).await;
    assert_eq!(response.status, 201, "{}", response.text);
    let account = &response.json;
    assert_eq!(account["name"], "acme_prod");
    assert_eq!(account["domain"], app.sim.base_url(), "stored normalised");
    assert!(
        account["createdAt"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
    assert!(account["updatedAt"].is_string());
    assert!(account["lastVerifiedAt"].is_string());
    assert_eq!(account["lastError"], Value::Null);
    assert!(account.get("apiToken").is_none());
    assert!(!response.text.contains(&app.sim_token));
}

async fn an_account_is_verified_against_okta_before_it_is_stored(backend: Backend) {
    let app = spawn_app(backend).await;
    app.sim.handle().clear_requests();
    assert_eq!(app.create_account("acme").await.status, 201);
    let requests = app.sim.handle().requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].method, "GET");
    assert_eq!(requests[0].path, "/api/v1/users/me");
    assert_eq!(
        requests[0].token_label.as_deref(),
        Some(okta_sim::token_label(&app.sim_token).as_str())
    );
}

async fn a_rejected_token_is_not_stored(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut body = app.account_body("acme");
    body["apiToken"] = json!("00not-the-right-token");
    let response = app.admin(Method::POST, "/accounts", Some(body)).await;
    let error = response.assert_error("AUTHENTICATION_FAILURE", 401);
    assert_eq!(error["code"], 8002);
    assert_eq!(error["details"]["okta"]["errorCode"], "E0000011");
    let list = app.admin(Method::GET, "/accounts", None).await;
    assert_eq!(list.json, json!([]));
}

async fn a_host_that_does_not_answer_as_okta_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    // The gateway itself answers, but not as Okta; a closed port does not answer at all.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    for domain in [app.base.clone(), format!("http://127.0.0.1:{closed}")] {
        let mut body = app.account_body("acme");
        body["domain"] = json!(domain);
        let response = app.admin(Method::POST, "/accounts", Some(body)).await;
        response.assert_error("UPSTREAM_UNAVAILABLE", 502);
    }
    let list = app.admin(Method::GET, "/accounts", None).await;
    assert_eq!(list.json, json!([]));
}

async fn verify_false_skips_the_check(backend: Backend) {
    let app = spawn_app(backend).await;
    app.sim.handle().clear_requests();
    let mut body = app.account_body("acme");
    body["apiToken"] = json!("00unchecked-token");
    body["verify"] = json!(false);
    let response = app.admin(Method::POST, "/accounts", Some(body)).await;
    assert_eq!(response.status, 201, "{}", response.text);
    assert_eq!(response.json["lastVerifiedAt"], Value::Null);
    assert!(app.sim.handle().requests().is_empty());
}

async fn invalid_fields_are_all_listed_before_any_okta_call(backend: Backend) {
    let app = spawn_app(backend).await;
    app.sim.handle().clear_requests();
    let body = json!({
        "name": "Acme-Prod",
        "domain": "https://dev-1.okta.com.evil.io",
        "apiToken": "has a space",
        "verify": "yes",
        "color": "blue"
    });
    let response = app.admin(Method::POST, "/accounts", Some(body)).await;
    let error = response.assert_error("INVALID_FIELD_VALUE", 400);
    assert_eq!(error["code"], 8001);
    assert_eq!(
        response.bad_fields(),
        ["name", "apiToken", "verify", "color"],
        "{}",
        response.text
    );
    assert!(
        !response.text.contains("has a space"),
        "values are never echoed"
    );
    assert!(app.sim.handle().requests().is_empty());

    let missing = app.admin(Method::POST, "/accounts", Some(json!({}))).await;
    missing.assert_error("INVALID_FIELD_VALUE", 400);
    assert_eq!(
        missing.bad_fields(),
        ["name", "domain", "apiToken", "oauth"]
    );
}

async fn domains_outside_okta_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    for domain in [
        "https://dev-1.okta.com.evil.io",
        "https://evilokta.com",
        "https://dev-1-admin.okta.com",
        "https://10.0.0.1",
        "https://dev-1.okta.com:8443",
        "https://dev-1.okta.com/path",
        "http://10.0.0.1:8080",
        "file:///etc/passwd",
    ] {
        let mut body = app.account_body("acme");
        body["domain"] = json!(domain);
        body["verify"] = json!(false);
        let response = app.admin(Method::POST, "/accounts", Some(body)).await;
        response.assert_error("INVALID_FIELD_VALUE", 400);
        assert_eq!(response.bad_fields(), ["domain"], "{domain}");
    }
}

async fn a_second_account_with_the_same_name_is_a_duplicate(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_eq!(app.create_account("acme").await.status, 201);
    let response = app.create_account("acme").await;
    let error = response.assert_error("DUPLICATE_ACCOUNT", 409);
    assert_eq!(error["code"], 9101);
}

async fn creating_a_sixteenth_account_is_rejected(backend: Backend) {
    let app = spawn_app(backend).await;
    for i in 0..15 {
        let response = app.create_account(&format!("acct_{i}")).await;
        assert_eq!(response.status, 201, "{}", response.text);
    }
    let response = app.create_account("acct_15").await;
    let error = response.assert_error("ACCOUNT_LIMIT_REACHED", 409);
    assert_eq!(error["code"], 9102);
    let list = app.admin(Method::GET, "/accounts", None).await;
    assert_eq!(list.json.as_array().map(Vec::len), Some(15));
}

async fn thirty_parallel_creates_give_exactly_fifteen_accounts(backend: Backend) {
    let app = spawn_app(backend).await;
    let app = &app;
    for round in 0..5 {
        let creates =
            (0..30).map(|i| async move { app.create_account(&format!("r{round}_acct_{i}")).await });
        let responses = futures::future::join_all(creates).await;
        let created = responses.iter().filter(|r| r.status == 201).count();
        let refused = responses
            .iter()
            .filter(|r| r.status == 409 && r.json["error"]["status"] == "ACCOUNT_LIMIT_REACHED")
            .count();
        assert_eq!(
            (created, refused),
            (15, 15),
            "round {round}: {:?}",
            responses.iter().map(|r| &r.text).collect::<Vec<_>>()
        );
        let list = app.admin(Method::GET, "/accounts", None).await;
        let names: Vec<String> = list
            .json
            .as_array()
            .expect("array")
            .iter()
            .map(|a| a["name"].as_str().expect("name").to_owned())
            .collect();
        assert_eq!(names.len(), 15);
        for name in names {
            let deleted = app
                .admin(Method::DELETE, &format!("/accounts/{name}"), None)
                .await;
            assert_eq!(deleted.status, 204);
        }
    }
}

async fn accounts_can_be_listed_read_updated_and_deleted(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_eq!(app.create_account("beta").await.status, 201);
    assert_eq!(app.create_account("alpha").await.status, 201);

    let list = app.admin(Method::GET, "/accounts", None).await;
    assert_eq!(list.status, 200);
    let names: Vec<&str> = list
        .json
        .as_array()
        .expect("array")
        .iter()
        .map(|a| a["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["alpha", "beta"]);
    assert!(!list.text.contains(&app.sim_token));

    let one = app.admin(Method::GET, "/accounts/alpha", None).await;
    assert_eq!(one.status, 200);
    assert_eq!(one.json["name"], "alpha");
    assert_eq!(one.json["domain"], app.sim.base_url());

    let new_token = "00rotated-token-for-alpha";
    app.sim
        .handle()
        .add_token(new_token, okta_sim::AdminRole::SuperAdmin);
    let updated = app
        .admin(
            Method::PUT,
            "/accounts/alpha",
            Some(json!({"apiToken": new_token})),
        )
        .await;
    assert_eq!(updated.status, 200, "{}", updated.text);
    assert!(!updated.text.contains(new_token));
    assert_ne!(updated.json["updatedAt"], one.json["updatedAt"]);
    let last = app
        .sim
        .handle()
        .requests()
        .pop()
        .expect("a verification call");
    assert_eq!(last.path, "/api/v1/users/me");
    assert_eq!(
        last.token_label.as_deref(),
        Some(okta_sim::token_label(new_token).as_str())
    );

    let deleted = app.admin(Method::DELETE, "/accounts/alpha", None).await;
    assert_eq!(deleted.status, 204);
    assert!(deleted.text.is_empty());
    let gone = app.admin(Method::GET, "/accounts/alpha", None).await;
    let error = gone.assert_error("RESOURCE_NOT_FOUND", 404);
    assert_eq!(error["code"], 8003);
    assert_eq!(error["details"]["resource"], "account");
}

async fn unknown_accounts_are_not_found_for_every_method(backend: Backend) {
    let app = spawn_app(backend).await;
    for (method, body) in [
        (Method::GET, None),
        (Method::PUT, Some(json!({"apiToken": "00x"}))),
        (Method::DELETE, None),
    ] {
        let response = app.admin(method.clone(), "/accounts/nobody", body).await;
        let error = response.assert_error("RESOURCE_NOT_FOUND", 404);
        assert_eq!(error["details"]["resource"], "account", "{method}");
    }
}

async fn an_update_needs_a_domain_or_a_token(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_eq!(app.create_account("acme").await.status, 201);
    let response = app
        .admin(
            Method::PUT,
            "/accounts/acme",
            Some(json!({"verify": false})),
        )
        .await;
    response.assert_error("INVALID_FIELD_VALUE", 400);
    assert_eq!(
        response.bad_fields(),
        ["domain", "apiToken", "oauth", "rateLimitReserve"]
    );
}

async fn a_new_domain_requires_a_new_token(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_eq!(app.create_account("acme").await.status, 201);
    let other = okta_sim::OktaSim::start(okta_sim::SimConfig::default())
        .await
        .expect("second sim");
    let response = app
        .admin(
            Method::PUT,
            "/accounts/acme",
            Some(json!({"domain": other.base_url()})),
        )
        .await;
    response.assert_error("INVALID_FIELD_VALUE", 400);
    assert_eq!(response.bad_fields(), ["apiToken", "oauth"]);
    assert!(
        other.handle().requests().is_empty(),
        "the stored token never went to the new host"
    );

    // The same domain (normalised) is not a change.
    let same = app
        .admin(
            Method::PUT,
            "/accounts/acme",
            Some(json!({"domain": format!("{}/", app.sim.base_url())})),
        )
        .await;
    assert_eq!(same.status, 200, "{}", same.text);

    let moved = app
        .admin(
            Method::PUT,
            "/accounts/acme",
            Some(json!({"domain": other.base_url(), "apiToken": okta_sim::SimConfig::default().token})),
        )
        .await;
    assert_eq!(moved.status, 200, "{}", moved.text);
    assert_eq!(moved.json["domain"], other.base_url());
    assert_eq!(other.handle().requests().len(), 1);
}

async fn a_rejected_new_token_leaves_the_account_unchanged(backend: Backend) {
    let app = spawn_app(backend).await;
    let created = app.create_account("acme").await;
    let response = app
        .admin(
            Method::PUT,
            "/accounts/acme",
            Some(json!({"apiToken": "00wrong-token"})),
        )
        .await;
    response.assert_error("AUTHENTICATION_FAILURE", 401);
    let now = app.admin(Method::GET, "/accounts/acme", None).await;
    assert_eq!(now.json["updatedAt"], created.json["updatedAt"]);
}

async fn tokens_are_encrypted_at_rest(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_eq!(app.create_account("acme").await.status, 201);
    let stored: Vec<u8> = match backend {
        Backend::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&app.db.url())
                .await
                .expect("sqlite");
            sqlx::query_scalar("SELECT secret_ciphertext FROM accounts WHERE name = 'acme'")
                .fetch_one(&pool)
                .await
                .expect("row")
        }
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(&app.db.url())
                .await
                .expect("postgres");
            sqlx::query_scalar("SELECT secret_ciphertext FROM accounts WHERE name = 'acme'")
                .fetch_one(&pool)
                .await
                .expect("row")
        }
    };
    let token = app.sim_token.as_bytes();
    assert!(stored.len() > token.len());
    assert!(!stored.windows(token.len()).any(|w| w == token));
    assert_eq!(stored[0], 1, "versioned ciphertext");
}

backend_tests!(
    creating_an_account_returns_it_without_the_token,
    an_account_is_verified_against_okta_before_it_is_stored,
    a_rejected_token_is_not_stored,
    a_host_that_does_not_answer_as_okta_is_refused,
    verify_false_skips_the_check,
    invalid_fields_are_all_listed_before_any_okta_call,
    domains_outside_okta_are_refused,
    a_second_account_with_the_same_name_is_a_duplicate,
    creating_a_sixteenth_account_is_rejected,
    thirty_parallel_creates_give_exactly_fifteen_accounts,
    accounts_can_be_listed_read_updated_and_deleted,
    unknown_accounts_are_not_found_for_every_method,
    an_update_needs_a_domain_or_a_token,
    a_new_domain_requires_a_new_token,
    a_rejected_new_token_leaves_the_account_unchanged,
    tokens_are_encrypted_at_rest,
);
