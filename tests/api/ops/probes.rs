//! The probes answer from a saturated gateway: they bypass the concurrency limit and the load
//! shedder that refuse everything else.

use std::time::Duration;

use okta_sim::{Fault, FaultKind};
use reqwest::Method;

use crate::helpers::{Backend, app};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saturated_gateway_still_answers_its_probes() {
    let app = app(Backend::Sqlite)
        .var("MAX_CONCURRENT_REQUESTS", "1")
        .spawn()
        .await;
    app.sim.handle().inject(Fault {
        method: Some("GET".into()),
        path: "/api/v1/users/me".into(),
        count: 1,
        kind: FaultKind::Latency { ms: 1500 },
    });
    // The one slot is taken by a create waiting on Okta.
    let slow = app.create_account("acme");
    let probes = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let shed = app.admin(Method::GET, "/accounts", None).await;
        let health = app.call(Method::GET, "/healthz", None, None).await;
        let ready = app.call(Method::GET, "/readyz", None, None).await;
        (shed, health, ready)
    };
    let (slow, (shed, health, ready)) = tokio::join!(slow, probes);

    assert_eq!(slow.status, 201, "{}", slow.text);
    shed.assert_error("SERVICE_UNAVAILABLE", 503);
    assert!(shed.headers.contains_key("retry-after"));
    assert_eq!(health.status, 200, "{}", health.text);
    assert_eq!(ready.status, 200, "{}", ready.text);
    // Still enveloped and tagged like every other answer.
    assert!(health.headers.contains_key("x-request-id"));
    let wrong_method = app.call(Method::POST, "/healthz", None, None).await;
    wrong_method.assert_error("METHOD_NOT_ALLOWED", 405);
}
