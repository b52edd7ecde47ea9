//! The request log: raw paths and queries, token labels, what is and is not recorded.

use okta_sim::{demo, token_label};
use reqwest::Method;
use serde_json::json;

use crate::helpers::{TOKEN, spawn};

#[tokio::test]
async fn requests_are_recorded_raw_with_the_token_replaced_by_its_label() {
    let t = spawn().await;
    t.post(
        "/api/v1/users?activate=false",
        json!({"profile": {"firstName": "A", "lastName": "B", "email": "ab@example.com", "login": "ab@example.com"}}),
    )
    .await;
    t.get("/api/v1/users/a%2Fb%40example.com").await;
    t.get("/api/v1/users?search=profile.login%20eq%20%22x%2By%22")
        .await;
    let log = t.handle().requests();
    assert_eq!(log.len(), 3);

    let create = &log[0];
    assert_eq!(create.method, "POST");
    assert_eq!(create.path, "/api/v1/users");
    assert_eq!(create.query.as_deref(), Some("activate=false"));
    assert_eq!(create.status, 200);
    assert_eq!(create.route.as_deref(), Some("/api/v1/users"));
    assert_eq!(
        create.token_label.as_deref(),
        Some(token_label(TOKEN).as_str())
    );
    assert!(
        create
            .body
            .as_deref()
            .is_some_and(|b| b.contains("ab@example.com"))
    );
    assert!(
        create
            .response_body
            .as_deref()
            .is_some_and(|b| b.contains("\"STAGED\""))
    );
    let auth = create
        .headers
        .iter()
        .find(|(k, _)| k == "authorization")
        .map(|(_, v)| v.clone());
    assert_eq!(auth, Some(format!("SSWS {}", token_label(TOKEN))));
    assert!(
        create
            .headers
            .iter()
            .all(|(k, v)| k == &k.to_lowercase() && !v.contains(TOKEN))
    );

    let slash = &log[1];
    assert_eq!(slash.path, "/api/v1/users/a%2Fb%40example.com");
    assert_eq!(slash.status, 405);
    assert_eq!(slash.route.as_deref(), Some("/api/v1/users/{id}"));

    let search = &log[2];
    assert_eq!(
        search.query.as_deref(),
        Some("search=profile.login%20eq%20%22x%2By%22")
    );
    assert_eq!(search.body, None);
}

#[tokio::test]
async fn different_tokens_get_different_labels_and_bad_tokens_are_recorded() {
    let t = spawn().await;
    t.handle()
        .add_token("second-token", okta_sim::AdminRole::SuperAdmin);
    t.call_as(Some("second-token"), Method::GET, "/api/v1/users/me", None)
        .await;
    t.call_as(Some("wrong"), Method::GET, "/api/v1/users/me", None)
        .await;
    t.call_as(None, Method::GET, "/api/v1/users/me", None).await;
    let log = t.handle().requests();
    assert_eq!(log[0].token_label, Some(token_label("second-token")));
    assert_eq!(log[1].token_label, Some(token_label("wrong")));
    assert_eq!(log[1].status, 401);
    assert_eq!(log[2].token_label, None);
    assert_ne!(token_label("second-token"), token_label(TOKEN));
}

#[tokio::test]
async fn control_routes_are_not_recorded_and_the_log_can_be_cleared() {
    let t = spawn().await;
    t.control(Method::GET, "/health", None).await;
    t.get(&format!("/api/v1/groups/{}", demo::HR_GROUP_ID))
        .await;
    let over_http = t.control(Method::GET, "/requests", None).await.json();
    assert_eq!(over_http.as_array().map(Vec::len), Some(1));
    assert_eq!(over_http[0]["route"], "/api/v1/groups/{groupId}");
    assert_eq!(over_http[0]["tokenLabel"], token_label(TOKEN));
    assert!(over_http[0]["requestId"].is_string());
    assert_eq!(
        t.control(Method::DELETE, "/requests", None).await.status,
        204
    );
    assert!(t.handle().requests().is_empty());
    t.get("/api/v1/groups").await;
    t.handle().clear_requests();
    assert!(t.handle().requests().is_empty());
}

#[tokio::test]
async fn the_recorded_request_id_matches_the_response_header() {
    let t = spawn().await;
    let resp = t.get("/api/v1/users/me").await;
    let log = t.handle().requests();
    assert_eq!(
        Some(log[0].request_id.as_str()),
        resp.header("x-okta-request-id")
    );
    assert_eq!(
        log[0].response_content_type.as_deref(),
        Some("application/json;charset=UTF-8")
    );
}
