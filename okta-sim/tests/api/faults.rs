//! Fault injection: every fault kind, matching rules and the control API.

use std::time::Duration;

use okta_sim::{Fault, FaultKind, demo};
use reqwest::Method;
use serde_json::json;

use crate::helpers::{TOKEN, read, spawn};

fn http_date_epoch(date: &str) -> i64 {
    chrono::DateTime::parse_from_rfc2822(&date.replace("GMT", "+0000"))
        .map(|d| d.timestamp())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_latency_fault_delays_then_answers_normally() {
    let t = spawn().await;
    t.handle().inject(Fault::new(
        Some("GET"),
        "/api/v1/users/me",
        FaultKind::Latency { ms: 50 },
    ));
    let resp = t.get("/api/v1/users/me").await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.json()["id"], demo::ADMIN_ID);
    let log = t.handle().requests();
    assert_eq!(log[0].fault.as_deref(), Some("latency"));
    assert_eq!(log[0].status, 200);
    assert!(t.handle().pending_faults().is_empty());
}

#[tokio::test]
async fn a_status_fault_answers_an_okta_error_without_processing() {
    let t = spawn().await;
    t.handle().inject(
        Fault::new(
            Some("POST"),
            "/api/v1/users/[^/]+/lifecycle/suspend",
            FaultKind::Status {
                status: 503,
                error_code: "E0000010".into(),
                error_summary: "Service is in read only mode".into(),
            },
        )
        .times(2),
    );
    let path = format!("/api/v1/users/{}/lifecycle/suspend", demo::JORDAN_ID);
    for _ in 0..2 {
        let resp = t.post_empty(&path).await;
        resp.assert_error(503, "E0000010", "Service is in read only mode");
        assert!(resp.header("x-okta-request-id").is_some());
        assert!(resp.header("x-rate-limit-remaining").is_some());
    }
    assert_eq!(
        t.handle().user(demo::JORDAN_ID).expect("u")["status"],
        "ACTIVE"
    );
    let third = t.post_empty(&path).await;
    assert_eq!(
        third.status, 200,
        "the fault applied to exactly two requests"
    );
}

#[tokio::test]
async fn a_fault_only_matches_its_method_and_the_whole_path() {
    let t = spawn().await;
    t.handle().inject(Fault::new(
        Some("DELETE"),
        "/api/v1/groups/.*",
        FaultKind::Html { status: 502 },
    ));
    assert_eq!(
        t.get(&format!("/api/v1/groups/{}", demo::HR_GROUP_ID))
            .await
            .status,
        200
    );
    assert_eq!(t.get("/api/v1/groups").await.status, 200);
    let resp = t
        .delete(&format!("/api/v1/groups/{}", demo::HR_GROUP_ID))
        .await;
    assert_eq!(resp.status, 502);
    assert!(t.handle().group(demo::HR_GROUP_ID).is_some());
}

#[tokio::test]
async fn a_rate_limit_fault_answers_429_with_a_near_reset() {
    let t = spawn().await;
    t.handle().inject(Fault::new(
        None,
        "/api/v1/groups",
        FaultKind::RateLimit { reset_in_secs: 1 },
    ));
    let resp = t.get("/api/v1/groups").await;
    resp.assert_error(
        429,
        "E0000047",
        "API call exceeded rate limit due to too many requests.",
    );
    assert_eq!(resp.header("x-rate-limit-remaining"), Some("0"));
    assert!(resp.header("x-rate-limit-limit").is_some());
    let reset: i64 = resp
        .header("x-rate-limit-reset")
        .and_then(|r| r.parse().ok())
        .expect("reset");
    let date = http_date_epoch(resp.header("date").expect("date"));
    assert!(
        (0..=2).contains(&(reset - date)),
        "reset {reset} vs date {date}"
    );
    assert_eq!(t.get("/api/v1/groups").await.status, 200);
}

#[tokio::test]
async fn an_html_fault_answers_a_proxy_page() {
    let t = spawn().await;
    t.handle().inject(Fault::new(
        None,
        "/api/v1/users",
        FaultKind::Html { status: 504 },
    ));
    let resp = t.get("/api/v1/users").await;
    assert_eq!(resp.status, 504);
    assert_eq!(
        resp.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(resp.text.starts_with("<html>"));
    assert!(serde_json::from_str::<serde_json::Value>(&resp.text).is_err());
}

#[tokio::test]
async fn drop_before_response_closes_the_connection_after_processing() {
    let t = spawn().await;
    t.handle().inject(Fault::new(
        Some("POST"),
        "/api/v1/groups",
        FaultKind::DropBeforeResponse,
    ));
    let result = t
        .client
        .post(t.url("/api/v1/groups"))
        .header("authorization", format!("SSWS {TOKEN}"))
        .json(&json!({"profile": {"name": "Lost Reply"}}))
        .send()
        .await;
    let err = result.expect_err("no response");
    assert!(!err.is_status());
    // The org did the work; only the answer was lost (a retry would now conflict).
    let retry = t
        .post("/api/v1/groups", json!({"profile": {"name": "Lost Reply"}}))
        .await;
    retry.assert_error(400, "E0000001", "Api validation failed: name");
    let log = t.handle().requests();
    assert_eq!(log[0].status, 0);
    assert_eq!(log[0].fault.as_deref(), Some("dropBeforeResponse"));
}

#[tokio::test]
async fn drop_mid_body_sends_headers_and_part_of_the_body() {
    let t = spawn().await;
    t.handle().inject(Fault::new(
        Some("GET"),
        "/api/v1/users",
        FaultKind::DropMidBody,
    ));
    let resp = t
        .client
        .get(t.url("/api/v1/users"))
        .header("authorization", format!("SSWS {TOKEN}"))
        .send()
        .await
        .expect("headers arrive");
    assert_eq!(resp.status().as_u16(), 200);
    let declared: usize = resp
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("content-length");
    assert!(declared > 0);
    let body = resp.bytes().await;
    assert!(body.is_err(), "the body is cut short");
    assert_eq!(
        t.get("/api/v1/users").await.status,
        200,
        "next request is fine"
    );
}

#[tokio::test]
async fn drop_mid_body_on_an_empty_body_closes_without_a_response() {
    let t = spawn().await;
    t.handle().inject(Fault::new(
        Some("PUT"),
        "/api/v1/groups/.*/users/.*",
        FaultKind::DropMidBody,
    ));
    let result = t
        .client
        .put(t.url(&format!(
            "/api/v1/groups/{}/users/{}",
            demo::HR_GROUP_ID,
            demo::JORDAN_ID
        )))
        .header("authorization", format!("SSWS {TOKEN}"))
        .header("content-length", "0")
        .send()
        .await;
    assert!(result.is_err());
    assert_eq!(t.handle().requests()[0].status, 0);
}

#[tokio::test]
async fn a_slow_body_sends_headers_first_and_the_body_later() {
    let t = spawn().await;
    t.handle().inject(
        Fault::new(
            Some("GET"),
            "/api/v1/groups",
            FaultKind::SlowBody { delay_ms: 2_000 },
        )
        .times(2),
    );
    let resp = t
        .client
        .get(t.url("/api/v1/groups"))
        .header("authorization", format!("SSWS {TOKEN}"))
        .send()
        .await
        .expect("headers arrive before the body");
    assert_eq!(resp.status().as_u16(), 200);
    let early = tokio::time::timeout(Duration::from_millis(300), resp.bytes()).await;
    assert!(early.is_err(), "the body is held back");

    let t2 = t
        .client
        .get(t.url("/api/v1/groups"))
        .header("authorization", format!("SSWS {TOKEN}"))
        .send()
        .await
        .expect("headers");
    let full = read(t2).await;
    assert_eq!(full.status, 200);
    assert_eq!(
        full.json().as_array().map(Vec::len),
        Some(2),
        "then the whole body comes"
    );
}

#[tokio::test]
async fn faults_can_be_injected_listed_and_cleared_over_the_control_api() {
    let t = spawn().await;
    let created = t
        .control(
            Method::POST,
            "/faults",
            Some(json!({"method": "GET", "path": "/api/v1/apps", "count": 3,
                        "kind": {"type": "status", "status": 500, "errorCode": "E0000009", "errorSummary": "Internal Server Error"}})),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let resp = t.get("/api/v1/apps").await;
    resp.assert_error(500, "E0000009", "Internal Server Error");
    let pending = t.control(Method::GET, "/faults", None).await.json();
    assert_eq!(pending[0]["count"], 2);
    assert_eq!(t.control(Method::DELETE, "/faults", None).await.status, 204);
    assert_eq!(t.get("/api/v1/apps").await.status, 200);
    let bad = t
        .control(
            Method::POST,
            "/faults",
            Some(json!({"path": "(", "kind": {"type": "dropMidBody"}})),
        )
        .await;
    assert_eq!(bad.status, 400);
    assert!(
        bad.json()["error"]
            .as_str()
            .is_some_and(|e| e.contains("regex"))
    );
}
