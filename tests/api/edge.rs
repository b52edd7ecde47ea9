//! Gateway authentication, the error envelope for every rejection, request ids and probes.

use reqwest::Method;
use serde_json::json;

use crate::backend_tests;
use crate::helpers::{ACTION_KEY, ADMIN_KEY, Backend, spawn_app};

async fn probes_need_no_key(backend: Backend) {
    let app = spawn_app(backend).await;
    let health = app.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(
        (health.status, health.json.clone()),
        (200, json!({"status": "ok"}))
    );
    let ready = app.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(
        (ready.status, ready.json.clone()),
        (200, json!({"status": "ready"}))
    );
}

async fn requests_without_a_valid_key_are_unauthenticated(backend: Backend) {
    let app = spawn_app(backend).await;
    for key in [None, Some("wrong-key-0123456789"), Some("")] {
        let response = app.call(Method::GET, "/accounts", key, None).await;
        let error = response.assert_error("UNAUTHENTICATED", 401);
        assert_eq!(error["code"], 9103);
    }
    let raw = app
        .http
        .get(app.url("/accounts"))
        .header("authorization", format!("Basic {ADMIN_KEY}"))
        .send()
        .await
        .expect("sent");
    assert_eq!(raw.status(), 401);
}

async fn an_action_key_cannot_manage_accounts(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app
        .call(Method::GET, "/accounts", Some(ACTION_KEY), None)
        .await;
    let error = response.assert_error("FORBIDDEN_SCOPE", 403);
    assert_eq!(error["code"], 9104);
    let create = app
        .call(
            Method::POST,
            "/accounts",
            Some(ACTION_KEY),
            Some(app.account_body("acme")),
        )
        .await;
    create.assert_error("FORBIDDEN_SCOPE", 403);
    let list = app.admin(Method::GET, "/accounts", None).await;
    assert_eq!(list.json, json!([]), "nothing was created");
}

async fn unknown_routes_and_methods_answer_in_the_envelope(backend: Backend) {
    let app = spawn_app(backend).await;
    let missing = app.admin(Method::GET, "/nope", None).await;
    assert_eq!(missing.assert_error("ROUTE_NOT_FOUND", 404)["code"], 9111);
    let method = app.admin(Method::PATCH, "/accounts", None).await;
    assert_eq!(method.assert_error("METHOD_NOT_ALLOWED", 405)["code"], 9112);
    let health = app.call(Method::POST, "/healthz", None, None).await;
    health.assert_error("METHOD_NOT_ALLOWED", 405);
}

async fn malformed_bodies_answer_in_the_envelope(backend: Backend) {
    let app = spawn_app(backend).await;
    let send = |content_type: &'static str, body: Vec<u8>| {
        app.http
            .post(app.url("/accounts"))
            .bearer_auth(ADMIN_KEY)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let bad_json = crate::helpers::TestResponse::read(
        send("application/json", b"{\"name\": ".to_vec())
            .await
            .expect("sent"),
    )
    .await;
    bad_json.assert_error("INVALID_FIELD_VALUE", 400);
    assert_eq!(bad_json.bad_fields(), ["body"]);

    let not_object = crate::helpers::TestResponse::read(
        send("application/json", b"[1,2]".to_vec())
            .await
            .expect("sent"),
    )
    .await;
    assert_eq!(not_object.bad_fields(), ["body"]);

    let wrong_type =
        crate::helpers::TestResponse::read(send("text/plain", b"{}".to_vec()).await.expect("sent"))
            .await;
    assert_eq!(
        wrong_type.assert_error("UNSUPPORTED_MEDIA_TYPE", 415)["code"],
        9113
    );

    let big = format!("{{\"name\": \"{}\"}}", "a".repeat(70 * 1024));
    let too_large = crate::helpers::TestResponse::read(
        send("application/json", big.into_bytes())
            .await
            .expect("sent"),
    )
    .await;
    assert_eq!(
        too_large.assert_error("PAYLOAD_TOO_LARGE", 413)["code"],
        9106
    );
}

async fn null_means_absent_for_optional_fields(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut body = app.account_body("acme");
    body["verify"] = json!(null);
    let response = app.admin(Method::POST, "/accounts", Some(body)).await;
    assert_eq!(response.status, 201, "{}", response.text);
    assert!(
        response.json["lastVerifiedAt"].is_string(),
        "verify defaulted to true"
    );
    let mut required_null = app.account_body("other");
    required_null["domain"] = json!(null);
    let refused = app
        .admin(Method::POST, "/accounts", Some(required_null))
        .await;
    assert_eq!(refused.bad_fields(), ["domain"]);
}

async fn request_ids_are_echoed_or_replaced(backend: Backend) {
    let app = spawn_app(backend).await;
    let fetch = |id: &'static str| {
        app.http
            .get(app.url("/accounts/missing"))
            .bearer_auth(ADMIN_KEY)
            .header("x-request-id", id)
            .send()
    };
    let kept =
        crate::helpers::TestResponse::read(fetch("flow-42.node-7").await.expect("sent")).await;
    assert_eq!(kept.headers["x-request-id"], "flow-42.node-7");
    assert_eq!(kept.json["error"]["requestId"], "flow-42.node-7");

    let long: &'static str = "x".repeat(200).leak();
    for bad in [long, "has space", "tab\tin"] {
        let replaced = crate::helpers::TestResponse::read(fetch(bad).await.expect("sent")).await;
        let id = replaced.headers["x-request-id"].to_str().expect("ascii");
        assert_ne!(id, bad);
        assert_eq!(id.len(), 32, "a generated uuid");
    }
    let ok = app.call(Method::GET, "/healthz", None, None).await;
    assert!(ok.headers.contains_key("x-request-id"));
}

backend_tests!(
    probes_need_no_key,
    requests_without_a_valid_key_are_unauthenticated,
    an_action_key_cannot_manage_accounts,
    unknown_routes_and_methods_answer_in_the_envelope,
    malformed_bodies_answer_in_the_envelope,
    null_means_absent_for_optional_fields,
    request_ids_are_echoed_or_replaced,
);
