//! SSWS authentication, read-only tokens, token rotation and the headers on every response.

use okta_sim::{AdminRole, SimConfig, demo};
use reqwest::Method;
use serde_json::json;

use crate::helpers::{spawn, spawn_with};

#[tokio::test]
async fn a_request_without_a_token_gets_401_e0000011() {
    let t = spawn().await;
    let resp = t.call_as(None, Method::GET, "/api/v1/users/me", None).await;
    resp.assert_error(401, "E0000011", "Invalid token provided");
    assert_eq!(resp.causes(), Vec::<String>::new());
}

#[tokio::test]
async fn a_wrong_token_gets_401_e0000011() {
    let t = spawn().await;
    let resp = t
        .call_as(Some("not-the-token"), Method::GET, "/api/v1/users", None)
        .await;
    resp.assert_error(401, "E0000011", "Invalid token provided");
}

#[tokio::test]
async fn a_bearer_token_is_not_an_ssws_token() {
    let t = spawn().await;
    let resp = t
        .client
        .get(t.url("/api/v1/users/me"))
        .header("authorization", format!("Bearer {}", t.token))
        .send()
        .await
        .expect("sent");
    let resp = crate::helpers::read(resp).await;
    resp.assert_error(401, "E0000011", "Invalid token provided");
}

#[tokio::test]
async fn a_token_glued_to_the_scheme_is_accepted_as_okta_sdk_python_sends_it() {
    let t = spawn().await;
    let resp = t
        .client
        .get(t.url("/api/v1/users/me"))
        .header("authorization", format!("SSWS{}", t.token))
        .send()
        .await
        .expect("sent");
    let resp = crate::helpers::read(resp).await;
    assert_eq!(resp.status, 200, "{}", resp.text);
    assert_eq!(resp.json()["id"], demo::ADMIN_ID);
    let logged = t.handle().requests().pop().expect("recorded");
    assert_eq!(
        logged.token_label.as_deref(),
        Some(okta_sim::token_label(&t.token).as_str())
    );
}

#[tokio::test]
async fn users_me_returns_the_admin_behind_the_token() {
    let t = spawn().await;
    let resp = t.get("/api/v1/users/me").await;
    assert_eq!(resp.status, 200);
    let me = resp.json();
    assert_eq!(me["id"], demo::ADMIN_ID);
    assert_eq!(me["profile"]["login"], demo::ADMIN_LOGIN);
    assert_eq!(
        resp.header("content-type"),
        Some("application/json;charset=UTF-8")
    );
}

#[tokio::test]
async fn a_read_only_admin_token_can_read_but_not_write() {
    let t = spawn_with(SimConfig {
        extra_tokens: vec![("reader".into(), AdminRole::ReadOnlyAdmin)],
        ..SimConfig::default()
    })
    .await;
    let read = t
        .call_as(Some("reader"), Method::GET, "/api/v1/groups", None)
        .await;
    assert_eq!(read.status, 200);
    let write = t
        .call_as(
            Some("reader"),
            Method::POST,
            "/api/v1/groups",
            Some(json!({"profile": {"name": "Nope"}})),
        )
        .await;
    write.assert_error(
        403,
        "E0000006",
        "You do not have permission to perform the requested action",
    );
    let delete = t
        .call_as(
            Some("reader"),
            Method::DELETE,
            &format!("/api/v1/users/{}", demo::JORDAN_ID),
            None,
        )
        .await;
    assert_eq!(delete.status, 403);
    assert_eq!(
        t.handle().user(demo::JORDAN_ID).expect("still there")["status"],
        "ACTIVE"
    );
}

#[tokio::test]
async fn tokens_can_be_added_and_revoked_at_run_time() {
    let t = spawn().await;
    let h = t.handle();
    let before = t
        .call_as(Some("rotated"), Method::GET, "/api/v1/users/me", None)
        .await;
    assert_eq!(before.status, 401);
    h.add_token("rotated", AdminRole::SuperAdmin);
    let during = t
        .call_as(Some("rotated"), Method::GET, "/api/v1/users/me", None)
        .await;
    assert_eq!(during.status, 200);
    h.remove_token("rotated");
    let after = t
        .call_as(Some("rotated"), Method::GET, "/api/v1/users/me", None)
        .await;
    after.assert_error(401, "E0000011", "Invalid token provided");
    h.add_token("ro2", AdminRole::ReadOnlyAdmin);
    let ro = t
        .call_as(
            Some("ro2"),
            Method::POST,
            "/api/v1/users/me/lifecycle/suspend",
            None,
        )
        .await;
    assert_eq!(ro.status, 403);
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_a_date() {
    let t = spawn().await;
    let responses = [
        t.get("/api/v1/users/me").await,
        t.call_as(None, Method::GET, "/api/v1/users/me", None).await,
        t.get("/api/v1/nowhere").await,
        t.get("/not-api").await,
        t.control(Method::GET, "/health", None).await,
        t.delete("/api/v1/groups/00gdoesnotexist000000").await,
    ];
    let mut ids = std::collections::HashSet::new();
    for r in &responses {
        let id = r.header("x-okta-request-id").expect("request id");
        assert!(!id.is_empty());
        ids.insert(id.to_string());
        assert!(r.header("date").is_some_and(|d| d.ends_with(" GMT")));
    }
    assert_eq!(ids.len(), responses.len(), "request ids are unique");
}
