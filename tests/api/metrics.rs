//! `GET /metrics`: Prometheus text, admin scope, counting requests and Okta calls.

use okta_sim::{Fault, FaultKind, demo};
use reqwest::Method;
use serde_json::json;

use crate::helpers::{ACTION_KEY, Backend, spawn_app};

/// The value of the first sample line starting with `prefix` (metric name and labels).
fn sample(text: &str, metric: &str, labels: &[&str]) -> Option<f64> {
    text.lines()
        .filter(|line| line.starts_with(metric) && !line.starts_with('#'))
        .find(|line| labels.iter().all(|label| line.contains(label)))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
}

#[tokio::test]
async fn metrics_need_an_admin_key() {
    let app = spawn_app(Backend::Sqlite).await;
    app.call(Method::GET, "/metrics", None, None)
        .await
        .assert_error("UNAUTHENTICATED", 401);
    app.call(Method::GET, "/metrics", Some(ACTION_KEY), None)
        .await
        .assert_error("FORBIDDEN_SCOPE", 403);
    let ok = app.admin(Method::GET, "/metrics", None).await;
    assert_eq!(ok.status, 200);
    assert!(
        ok.headers["content-type"]
            .to_str()
            .is_ok_and(|v| v.starts_with("text/plain"))
    );
}

#[tokio::test]
async fn metrics_count_requests_okta_calls_retries_and_rate_limits() {
    let app = spawn_app(Backend::Sqlite).await;
    // The registry is process-wide: a unique account name keeps this test's samples apart.
    let account = format!(
        "metrics_{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    assert_eq!(app.create_account(&account).await.status, 201);
    app.sim.handle().inject(Fault {
        method: Some("GET".into()),
        path: format!("/api/v1/users/{}", demo::JORDAN_ID),
        count: 1,
        kind: FaultKind::RateLimit { reset_in_secs: 1 },
    });
    let response = app
        .call(
            Method::POST,
            &format!("/accounts/{account}/actions/get_user"),
            Some(ACTION_KEY),
            Some(json!({"searchBy": "id", "searchValue": demo::JORDAN_ID})),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text);

    let text = app.admin(Method::GET, "/metrics", None).await.text;
    let account_label = format!("account=\"{account}\"");
    assert!(
        sample(
            &text,
            "gateway_http_requests_total",
            &["action=\"get_user\"", "status=\"200\""]
        )
        .is_some_and(|n| n >= 1.0),
        "{text}"
    );
    assert!(
        sample(
            &text,
            "gateway_http_request_duration_seconds_bucket",
            &["action=\"get_user\""]
        )
        .is_some()
    );
    assert_eq!(
        sample(
            &text,
            "okta_requests_total",
            &[&account_label, "status=\"429\""]
        ),
        Some(1.0)
    );
    // The create's verification (`GET /users/me`, Okta's user-get family) counts for no
    // stored account yet ("-"), then only the GET after its rate-limit retry for the account.
    assert!(
        sample(
            &text,
            "okta_requests_total",
            &["account=\"-\"", "family=\"user-get\"", "status=\"200\""]
        )
        .is_some_and(|n| n >= 1.0)
    );
    assert_eq!(
        sample(
            &text,
            "okta_requests_total",
            &[&account_label, "family=\"user-get\"", "status=\"200\""]
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(&text, "okta_rate_limited_total", &[&account_label]),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &text,
            "okta_retries_total",
            &[&account_label, "reason=\"rate_limit\""]
        ),
        Some(1.0)
    );
    assert!(sample(&text, "okta_rate_limit_remaining", &[&account_label]).is_some());
    assert!(
        sample(
            &text,
            "okta_request_duration_seconds_count",
            &[&account_label]
        )
        .is_some()
    );
}

#[tokio::test]
async fn requests_are_counted_by_method_so_operations_sharing_a_route_are_told_apart() {
    let app = spawn_app(Backend::Sqlite).await;
    assert_eq!(app.create_account("by_method").await.status, 201);
    assert_eq!(
        app.admin(Method::GET, "/accounts/by_method", None)
            .await
            .status,
        200
    );
    assert_eq!(
        app.admin(Method::DELETE, "/accounts/by_method", None)
            .await
            .status,
        204
    );

    let text = app.admin(Method::GET, "/metrics", None).await.text;
    for (method, status) in [("GET", "200"), ("DELETE", "204")] {
        assert!(
            sample(
                &text,
                "gateway_http_requests_total",
                &[
                    &format!("method=\"{method}\""),
                    "route=\"/accounts/{name}\"",
                    &format!("status=\"{status}\""),
                ]
            )
            .is_some_and(|n| n >= 1.0),
            "{method} {status}: {text}"
        );
    }
}
