//! Rate-limit headers, per-family exhaustion, Okta's published limits, concurrency.

use okta_sim::{Fault, FaultKind, RateLimits, SimConfig, demo};
use reqwest::Method;

use crate::helpers::{spawn, spawn_with};

#[tokio::test]
async fn every_api_response_carries_rate_limit_headers() {
    let t = spawn().await;
    let responses = [
        t.get("/api/v1/users/me").await,
        t.get("/api/v1/groups").await,
        t.call_as(None, Method::GET, "/api/v1/users", None).await,
        t.get("/api/v1/unknown").await,
        t.get("/api/v1/users/00unobody000000000000").await,
    ];
    for r in &responses {
        for h in [
            "x-rate-limit-limit",
            "x-rate-limit-remaining",
            "x-rate-limit-reset",
        ] {
            assert!(
                r.header(h).is_some_and(|v| v.parse::<i64>().is_ok()),
                "{h} on {} {}",
                r.status,
                r.text
            );
        }
    }
}

#[tokio::test]
async fn remaining_counts_down_per_family() {
    let t = spawn_with(SimConfig {
        rate_limits: Some(RateLimits::uniform(10)),
        ..SimConfig::default()
    })
    .await;
    let a = t.get("/api/v1/groups").await;
    let b = t.get("/api/v1/groups").await;
    let other = t.get("/api/v1/apps").await;
    assert_eq!(a.header("x-rate-limit-limit"), Some("10"));
    assert_eq!(a.header("x-rate-limit-remaining"), Some("9"));
    assert_eq!(b.header("x-rate-limit-remaining"), Some("8"));
    assert_eq!(other.header("x-rate-limit-remaining"), Some("9"));
    assert_eq!(
        a.header("x-rate-limit-reset"),
        b.header("x-rate-limit-reset")
    );
}

#[tokio::test]
async fn an_exhausted_family_gets_429_e0000047_and_a_log_event() {
    let t = spawn_with(SimConfig {
        rate_limits: Some(RateLimits::uniform(3)),
        ..SimConfig::default()
    })
    .await;
    for _ in 0..3 {
        assert_eq!(t.get("/api/v1/groups").await.status, 200);
    }
    let refused = t.get("/api/v1/groups").await;
    refused.assert_error(
        429,
        "E0000047",
        "API call exceeded rate limit due to too many requests.",
    );
    assert_eq!(refused.header("x-rate-limit-remaining"), Some("0"));
    assert_eq!(refused.header("x-rate-limit-limit"), Some("3"));
    assert!(refused.header("date").is_some());
    let reset: i64 = refused
        .header("x-rate-limit-reset")
        .and_then(|v| v.parse().ok())
        .expect("reset");
    assert!(reset > chrono::Utc::now().timestamp() - 1);
    // Another family still has budget.
    assert_eq!(t.get("/api/v1/users/me").await.status, 200);
    let events = t.handle().log_events();
    let violation = events
        .iter()
        .find(|e| e["eventType"] == "system.org.rate_limit.violation")
        .expect("violation event");
    assert_eq!(violation["severity"], "WARN");
    assert_eq!(violation["target"][0]["id"], "groups");
    // Resetting the limits starts a fresh window.
    t.handle().set_rate_limits(RateLimits::uniform(3));
    assert_eq!(t.get("/api/v1/groups").await.status, 200);
}

#[tokio::test]
async fn okta_s_published_limits_are_used_on_request() {
    let t = spawn_with(SimConfig {
        okta_rate_limits: true,
        ..SimConfig::default()
    })
    .await;
    let cases = [
        ("/api/v1/users", "600"),
        ("/api/v1/users/me", "2000"),
        ("/api/v1/groups", "500"),
        ("/api/v1/apps", "100"),
        ("/api/v1/logs", "120"),
        ("/api/v1/org", "1200"),
    ];
    for (path, limit) in cases {
        let r = t.get(path).await;
        assert_eq!(r.header("x-rate-limit-limit"), Some(limit), "{path}");
    }
    let write = t
        .post_empty(&format!(
            "/api/v1/users/{}/lifecycle/suspend",
            demo::JORDAN_ID
        ))
        .await;
    assert_eq!(write.header("x-rate-limit-limit"), Some("1200"));
    let update = t
        .post(
            &format!("/api/v1/users/{}", demo::JORDAN_ID),
            serde_json::json!({"profile": {"title": "Engineer"}}),
        )
        .await;
    assert_eq!(update.header("x-rate-limit-limit"), Some("600"));
    let generous = spawn().await;
    let r = generous.get("/api/v1/logs").await;
    assert_eq!(r.header("x-rate-limit-limit"), Some("10000000"));
}

#[tokio::test]
async fn too_many_simultaneous_requests_get_a_concurrency_429() {
    let t = spawn_with(SimConfig {
        rate_limits: Some(RateLimits {
            concurrency: 1,
            ..RateLimits::generous()
        }),
        ..SimConfig::default()
    })
    .await;
    t.handle().inject(Fault::new(
        Some("GET"),
        "/api/v1/groups",
        FaultKind::Latency { ms: 1_500 },
    ));
    let slow = t.get("/api/v1/groups");
    let fast = async {
        // Let the slow request occupy the only slot first.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        t.get("/api/v1/users/me").await
    };
    let (slow, fast) = tokio::join!(slow, fast);
    assert_eq!(slow.status, 200);
    fast.assert_error(
        429,
        "E0000047",
        "API call exceeded rate limit due to too many requests.",
    );
    assert_eq!(fast.header("x-rate-limit-limit"), Some("0"));
    assert_eq!(fast.header("x-rate-limit-remaining"), Some("0"));
    assert_eq!(t.get("/api/v1/users/me").await.status, 200);
}

#[tokio::test]
async fn rate_limits_can_be_changed_over_the_control_api() {
    let t = spawn().await;
    let resp = t
        .control(
            Method::PUT,
            "/rate-limits",
            Some(serde_json::json!({"perFamily": {"logs": 1}, "defaultLimit": 1000, "concurrency": 75, "windowSecs": 60})),
        )
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text);
    assert_eq!(t.get("/api/v1/logs").await.status, 200);
    assert_eq!(t.get("/api/v1/logs").await.status, 429);
    assert_eq!(t.get("/api/v1/groups").await.status, 200);
    let current = t.control(Method::GET, "/rate-limits", None).await.json();
    assert_eq!(current["perFamily"]["logs"], 1);
}
