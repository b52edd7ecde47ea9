//! Hostile and broken upstreams: answers past the size cap, answers not shaped as the action
//! expects, nesting no Okta object has, and a body that drips in.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use super::{Answer, FakeOkta, GatewayProcess};
use crate::helpers::{Backend, TestDb, TestResponse};

const USER: &str = r#"{"id":"00u1","status":"ACTIVE","profile":{"login":"a@example.com"}}"#;

fn get_user() -> Value {
    json!({"searchBy": "id", "searchValue": "00u1aaaaaaaaaaaaaaaa"})
}

fn list_groups() -> Value {
    json!({"q": "Eng"})
}

/// A gateway process with one account ("fake") on `fake`, short Okta timeouts, and `vars`.
async fn gateway(db: &TestDb, fake: &FakeOkta, vars: &[(&str, &str)]) -> GatewayProcess {
    let mut all = vec![
        ("OKTA_REQUEST_TIMEOUT_MS", "1000"),
        ("ACTION_DEADLINE_MS", "2000"),
        ("REQUEST_TIMEOUT_MS", "4000"),
    ];
    all.extend_from_slice(vars);
    let gateway = GatewayProcess::start(&db.url(), &all).await;
    gateway.connect_unverified("fake", &fake.base_url()).await;
    gateway
}

async fn action(gateway: &GatewayProcess, action: &str, body: Value) -> TestResponse {
    gateway
        .call(
            Method::POST,
            &format!("/accounts/fake/actions/{action}"),
            Some(body),
        )
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_past_the_size_cap_is_a_502_without_reading_the_rest() {
    let db = TestDb::new(Backend::Sqlite).await;
    let fake = FakeOkta::start(Answer::Json(USER.to_owned())).await;
    let mut gateway = gateway(&db, &fake, &[]).await;
    let before = gateway.count_accounts().await;
    const HUNDRED_MB: u64 = 100 * 1024 * 1024;
    // Declared by Content-Length, and undeclared (the length only shows as it streams).
    for declared in [true, false] {
        fake.answer(Answer::Huge {
            len: HUNDRED_MB,
            declared,
        });
        let connections = fake.connections.load(Ordering::SeqCst);
        let started = Instant::now();

        let response = action(&gateway, "get_user", get_user()).await;

        response.assert_error("UPSTREAM_UNAVAILABLE", 502);
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "declared: {declared}"
        );
        assert_eq!(
            fake.connections.load(Ordering::SeqCst) - connections,
            1,
            "a too-large answer is not fetched again"
        );
        // Give the fake time to notice the closed connection, then check how much it got out.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let sent = fake.sent.load(Ordering::SeqCst);
        assert!(
            sent < 40 * 1024 * 1024,
            "declared: {declared}: the gateway kept reading ({sent} bytes sent)"
        );
    }
    assert_eq!(gateway.count_accounts().await, before);
    gateway.assert_no_panic();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_size_cap_is_configurable() {
    let db = TestDb::new(Backend::Sqlite).await;
    let padding = "x".repeat(4096);
    let big_user = format!(r#"{{"id":"00u1","status":"ACTIVE","profile":{{"note":"{padding}"}}}}"#);
    let fake = FakeOkta::start(Answer::Json(big_user)).await;
    let mut gateway = gateway(&db, &fake, &[("OKTA_MAX_RESPONSE_BYTES", "2048")]).await;

    action(&gateway, "get_user", get_user())
        .await
        .assert_error("UPSTREAM_UNAVAILABLE", 502);
    fake.answer(Answer::Json(USER.to_owned()));
    let small = action(&gateway, "get_user", get_user()).await;
    assert_eq!(small.status, 200, "{}", small.text);
    gateway.assert_no_panic();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_not_shaped_as_the_action_expects_are_502_never_success() {
    let db = TestDb::new(Backend::Sqlite).await;
    let fake = FakeOkta::start(Answer::Json(USER.to_owned())).await;
    let mut gateway = gateway(&db, &fake, &[]).await;
    let before = gateway.count_accounts().await;
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let deep_object = format!(
        r#"{{"id":"00u1","profile":{}{}}}"#,
        "{\"a\":".repeat(100) + "1",
        "}".repeat(100)
    );
    let cases = [
        ("get_user", get_user(), "null".to_owned()),
        ("get_user", get_user(), "42".to_owned()),
        ("get_user", get_user(), "\"00u1\"".to_owned()),
        ("get_user", get_user(), format!("[{USER}]")),
        ("get_user", get_user(), deep.clone()),
        ("get_user", get_user(), deep_object),
        // A login search answers a list: an object there is not Okta either.
        (
            "get_user",
            json!({"searchBy": "login", "searchValue": "a/b@example.com"}),
            USER.to_owned(),
        ),
        ("list_groups", list_groups(), "null".to_owned()),
        ("list_groups", list_groups(), USER.to_owned()),
        ("list_groups", list_groups(), "[1, 2]".to_owned()),
        ("list_groups", list_groups(), format!("[{USER}, null]")),
        ("list_groups", list_groups(), "[[]]".to_owned()),
        ("list_groups", list_groups(), deep),
    ];
    for (name, body, answer) in cases {
        fake.answer(Answer::Json(answer.clone()));

        let response = action(&gateway, name, body).await;

        let shown: String = answer.chars().take(40).collect();
        assert_eq!(response.status, 502, "{name} on {shown}: {}", response.text);
        response.assert_error("UPSTREAM_UNAVAILABLE", 502);
    }
    // The same gateway still relays Okta-shaped answers.
    fake.answer(Answer::Json(USER.to_owned()));
    assert_eq!(action(&gateway, "get_user", get_user()).await.status, 200);
    fake.answer(Answer::Json(format!("[{USER}]")));
    let groups = action(&gateway, "list_groups", list_groups()).await;
    assert_eq!(groups.status, 200, "{}", groups.text);
    assert_eq!(gateway.count_accounts().await, before);
    gateway.assert_no_panic();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_drips_in_answers_504_at_the_okta_timeout() {
    let db = TestDb::new(Backend::Sqlite).await;
    let fake = FakeOkta::start(Answer::Drip {
        every: Duration::from_millis(200),
    })
    .await;
    let mut gateway = gateway(&db, &fake, &[]).await;
    let started = Instant::now();

    let response = action(&gateway, "get_user", get_user()).await;

    response.assert_error("UPSTREAM_TIMEOUT", 504);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "answered at the deadline: {:?}",
        started.elapsed()
    );
    assert_eq!(gateway.count_accounts().await, 1);
    gateway.assert_no_panic();
}
