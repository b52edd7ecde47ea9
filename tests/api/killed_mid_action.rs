//! A gateway process killed (SIGKILL) while a keyed create is in flight at Okta: the next
//! process on the same database holds the key for the dead claim's lease (409), then answers
//! `outcomeUnknown` for it, and Okta never sees a second create.

use std::time::{Duration, Instant};

use okta_sim::{Fault, FaultKind, OktaSim, SimConfig};
use reqwest::Method;
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::{ACCOUNT, ACTION_KEY, Backend, TestDb, TestResponse, client};
use crate::process::GatewayProcess;

backend_tests![a_key_left_by_a_killed_gateway_answers_outcome_unknown_once_its_lease_passed];

/// Short limits, so the dead claim's lease (the request timeout plus 5 s) passes in seconds;
/// the action deadline still leaves ample time to kill the process before it answers.
const LIMITS: &[(&str, &str)] = &[
    ("OKTA_REQUEST_TIMEOUT_MS", "1500"),
    ("ACTION_DEADLINE_MS", "1500"),
    ("REQUEST_TIMEOUT_MS", "2000"),
];

/// The keyed create, to the gateway at `base`.
fn create(base: &str, body: &Value) -> reqwest::RequestBuilder {
    client()
        .post(format!("{base}/accounts/{ACCOUNT}/actions/create_user"))
        .bearer_auth(ACTION_KEY)
        .header("Idempotency-Key", "killed-1")
        .json(body)
        .timeout(Duration::from_secs(10))
}

async fn create_with_key(base: &str, body: &Value) -> TestResponse {
    let response = create(base, body)
        .send()
        .await
        .expect("the gateway answers");
    TestResponse::read(response).await
}

fn user_creates(sim: &OktaSim) -> usize {
    sim.handle()
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path == "/api/v1/users")
        .count()
}

async fn a_key_left_by_a_killed_gateway_answers_outcome_unknown_once_its_lease_passed(
    backend: Backend,
) {
    let sim = OktaSim::start(SimConfig::default())
        .await
        .expect("okta-sim starts");
    let db = TestDb::new(backend).await;
    let mut first = GatewayProcess::start(&db.url(), LIMITS).await;
    let created = first
        .call(
            Method::POST,
            "/accounts",
            Some(json!({"name": ACCOUNT, "domain": sim.base_url(),
                        "apiToken": SimConfig::default().token, "verify": false})),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    // Okta makes the user, then holds its answer: the gateway dies not knowing the outcome.
    sim.handle().inject(Fault::new(
        Some("POST"),
        "/api/v1/users",
        FaultKind::SlowBody { delay_ms: 10_000 },
    ));
    let body = json!({"firstName": "Kill", "lastName": "Ed", "email": "killed@example.com",
                      "login": "killed@example.com", "activate": false});
    let in_flight = {
        let (base, body) = (first.base.clone(), body.clone());
        tokio::spawn(async move { create(&base, &body).send().await })
    };
    let waiting = Instant::now();
    while user_creates(&sim) == 0 {
        assert!(
            waiting.elapsed() < Duration::from_secs(5),
            "the create reached Okta"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    first.child.start_kill().expect("SIGKILL sent");
    first.child.wait().await.expect("the gateway died");
    assert!(
        in_flight.await.expect("task").is_err(),
        "the killed gateway never answered"
    );

    let second = GatewayProcess::start(&db.url(), LIMITS).await;
    let during = create_with_key(&second.base, &body).await;
    during.assert_error("IDEMPOTENCY_IN_PROGRESS", 409);
    assert!(
        during.headers.contains_key("retry-after"),
        "{:?}",
        during.headers
    );

    // The lease passes within the request timeout plus 5 s of the claim.
    let settled = Instant::now();
    let after = loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let answer = create_with_key(&second.base, &body).await;
        if answer.json["error"]["status"] != "IDEMPOTENCY_IN_PROGRESS" {
            break answer;
        }
        assert!(
            settled.elapsed() < Duration::from_secs(10),
            "the dead claim's lease never passed: {}",
            answer.text
        );
    };
    let error = after.assert_error("UPSTREAM_TIMEOUT", 504);
    assert_eq!(error["details"]["outcomeUnknown"], true, "{}", after.text);
    assert_eq!(after.headers["idempotent-replayed"], "true");
    let again = create_with_key(&second.base, &body).await;
    assert_eq!(
        again.json["error"]["details"], error["details"],
        "kept as such"
    );
    assert_eq!(user_creates(&sim), 1, "no second create reached Okta");
}
