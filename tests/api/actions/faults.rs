//! The Okta client under okta-sim's faults: rate limits waited out and bounded, 5xx and broken
//! connections retried only where a repeat cannot change the outcome, POSTs never repeated
//! once they may have reached Okta (`outcomeUnknown`), the deadline over a whole action, the
//! in-flight limit per account, and every failure answered in the JSON envelope.
//!
//! Timeouts are kept short through the environment; assertions are on what Okta received and
//! what the gateway answered, never on elapsed time except to show an answer came at once.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use okta_sim::demo::{HR_GROUP_ID, JORDAN_ID, OIDC_APP_ID};
use okta_sim::{Fault, FaultKind, UserSeed};
use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{
    ACCOUNT, Backend, TestApp, TestAppBuilder, TestResponse, app, sent_headers, spawn_with_account,
    spawn_with_account_from,
};

/// An app whose action deadline and per-attempt Okta timeout are short.
fn fast(deadline_ms: u64, okta_timeout_ms: u64) -> TestAppBuilder {
    app(Backend::Sqlite)
        .var("ACTION_DEADLINE_MS", &deadline_ms.to_string())
        .var("REQUEST_TIMEOUT_MS", &(deadline_ms + 2000).to_string())
        .var("OKTA_REQUEST_TIMEOUT_MS", &okta_timeout_ms.to_string())
}

fn inject(app: &TestApp, method: &str, path: &str, kind: FaultKind, count: u32) {
    app.sim
        .handle()
        .inject(Fault::new(Some(method), path, kind).times(count));
}

fn okta_error(status: u16, code: &str) -> FaultKind {
    FaultKind::Status {
        status,
        error_code: code.to_owned(),
        error_summary: "Internal Server Error".to_owned(),
    }
}

const USER_PATH: &str = "/api/v1/users/[^/]+";

fn get_jordan() -> Value {
    json!({"searchBy": "id", "searchValue": JORDAN_ID})
}

fn new_user(login: &str) -> Value {
    json!({"firstName": "Casey", "lastName": "Fault", "email": login, "login": login})
}

/// A POST that may take effect in Okta: the action, its input, the fault path of its one
/// Okta call, and how to see in the simulator that it took effect.
struct Post {
    action: &'static str,
    body: Value,
    path: &'static str,
    took_effect: fn(&TestApp) -> bool,
}

fn posts() -> [Post; 3] {
    [
        Post {
            action: "create_user",
            body: new_user("casey.fault@example.com"),
            path: "/api/v1/users",
            took_effect: |app| app.sim.handle().user("casey.fault@example.com").is_some(),
        },
        Post {
            action: "enroll_factor",
            body: json!({
                "userId": JORDAN_ID,
                "factorType": "question",
                "provider": "OKTA",
                "profile": {"question": "disliked_food", "answer": "mayonnaise"},
            }),
            path: "/api/v1/users/[^/]+/factors",
            took_effect: |app| {
                app.sim
                    .handle()
                    .factors(JORDAN_ID)
                    .iter()
                    .any(|f| f["factorType"] == "question")
            },
        },
        Post {
            action: "assign_app_to_user",
            body: json!({"appId": OIDC_APP_ID, "userId": JORDAN_ID}),
            path: "/api/v1/apps/[^/]+/users",
            took_effect: |app| {
                app.sim
                    .handle()
                    .app_user_ids(OIDC_APP_ID)
                    .contains(&JORDAN_ID.to_owned())
            },
        },
    ]
}

/// The action sent its POST exactly once and says the outcome is unknown.
#[track_caller]
fn assert_sent_once_outcome_unknown(
    app: &TestApp,
    post: &Post,
    response: &TestResponse,
    status: &str,
    http: u16,
) {
    let error = response.assert_error(status, http);
    assert_eq!(
        error["details"]["outcomeUnknown"], true,
        "{}: {}",
        post.action, response.text
    );
    let calls = app.okta_calls();
    assert_eq!(calls.len(), 1, "{}: {calls:?}", post.action);
    assert!(calls[0].starts_with("POST "), "{}: {calls:?}", post.action);
}

fn assert_retry_after(response: &TestResponse, error: &Value) -> u64 {
    let retry_after = error["details"]["retryAfter"]
        .as_u64()
        .unwrap_or_else(|| panic!("details.retryAfter in {}", response.text));
    assert!(retry_after >= 1);
    assert_eq!(
        response
            .headers
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some(retry_after.to_string().as_str()),
        "the Retry-After header says the same"
    );
    retry_after
}

// ---------------------------------------------------------------------------------------------
// 429

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limit_storm_is_retried_twice_with_oktas_retry_headers_then_answers_429() {
    let app = spawn_with_account_from(fast(5000, 1000)).await;
    // The reset is "now": the client still waits its minimum of a second before each retry.
    inject(
        &app,
        "GET",
        USER_PATH,
        FaultKind::RateLimit { reset_in_secs: 0 },
        10,
    );

    let response = app.action("get_user", get_jordan()).await;

    let error = response.assert_error("API_LIMIT_REACHED", 429);
    assert_retry_after(&response, error);
    assert_eq!(error["details"]["okta"]["errorCode"], "E0000047");
    let sent = app.okta_requests();
    assert_eq!(
        sent.len(),
        3,
        "one attempt, two retries: {:?}",
        app.okta_calls()
    );
    for request in &sent {
        assert_eq!(request.path, format!("/api/v1/users/{JORDAN_ID}"));
        assert_eq!(request.status, 429);
    }
    assert!(sent_headers(&sent[0], "x-okta-retry-for").is_empty());
    assert!(sent_headers(&sent[0], "x-okta-retry-count").is_empty());
    for (n, retry) in sent[1..].iter().enumerate() {
        assert_eq!(
            sent_headers(retry, "x-okta-retry-for"),
            [sent[0].request_id.as_str()],
            "a retry names the first 429"
        );
        assert_eq!(
            sent_headers(retry, "x-okta-retry-count"),
            [(n + 1).to_string()]
        );
    }
    assert_eq!(
        app.sim.handle().pending_faults()[0].count,
        7,
        "the storm goes on; the gateway stopped"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_single_rate_limit_is_waited_out_and_the_action_succeeds() {
    let app = spawn_with_account_from(fast(5000, 1000)).await;
    inject(
        &app,
        "GET",
        USER_PATH,
        FaultKind::RateLimit { reset_in_secs: 1 },
        1,
    );

    let response = app.action("get_user", get_jordan()).await;

    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.json["id"], JORDAN_ID);
    let sent = app.okta_requests();
    assert_eq!(
        sent.iter().map(|r| r.status).collect::<Vec<_>>(),
        [429, 200]
    );
    assert_eq!(
        sent_headers(&sent[1], "x-okta-retry-for"),
        [sent[0].request_id.as_str()]
    );
    assert_eq!(sent_headers(&sent[1], "x-okta-retry-count"), ["1"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limit_whose_reset_passes_the_deadline_is_answered_at_once() {
    let app = spawn_with_account_from(fast(2000, 1000)).await;
    inject(
        &app,
        "GET",
        USER_PATH,
        FaultKind::RateLimit { reset_in_secs: 10 },
        1,
    );

    let started = Instant::now();
    let response = app.action("get_user", get_jordan()).await;
    let elapsed = started.elapsed();

    let error = response.assert_error("API_LIMIT_REACHED", 429);
    let retry_after = assert_retry_after(&response, error);
    // Reset − Date + 1, with Okta's Date possibly a second later than the reset was computed.
    assert!((10..=11).contains(&retry_after), "{retry_after}");
    assert_eq!(error["details"]["okta"]["errorCode"], "E0000047");
    assert_eq!(app.okta_calls().len(), 1);
    assert!(
        elapsed < Duration::from_millis(1500),
        "answered at once, not after waiting: {elapsed:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_reports_the_real_wait_until_oktas_reset_capped_at_an_hour() {
    let app = spawn_with_account_from(fast(2000, 1000)).await;
    // One account per case: the governor remembers each account's exhausted window.
    for (account, reset_in_secs, expected) in [
        ("capped_a", 600, 600..=601),
        ("capped_b", 86_400, 3600..=3600),
    ] {
        assert_eq!(app.create_account(account).await.status, 201);
        app.forget_requests();
        inject(
            &app,
            "GET",
            USER_PATH,
            FaultKind::RateLimit { reset_in_secs },
            1,
        );
        let response = app.action_on(account, "get_user", get_jordan()).await;
        let error = response.assert_error("API_LIMIT_REACHED", 429);
        let retry_after = assert_retry_after(&response, error);
        assert!(
            expected.contains(&retry_after),
            "{reset_in_secs}: {retry_after}"
        );
        // The window is known to be empty: the next call is refused without reaching Okta.
        let again = app.action_on(account, "get_user", get_jordan()).await;
        let error = again.assert_error("API_LIMIT_REACHED", 429);
        assert!(expected.contains(&assert_retry_after(&again, error)));
        assert_eq!(app.okta_calls().len(), 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_create_user_is_retried_because_okta_did_not_process_it() {
    let app = spawn_with_account_from(fast(5000, 1000)).await;
    inject(
        &app,
        "POST",
        "/api/v1/users",
        FaultKind::RateLimit { reset_in_secs: 0 },
        1,
    );

    let response = app
        .action("create_user", new_user("rate.limited@example.com"))
        .await;

    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.json["status"], "STAGED");
    let sent = app.okta_requests();
    assert_eq!(
        app.okta_calls(),
        ["POST /api/v1/users?activate=false"; 2],
        "the 429 and its retry"
    );
    assert_eq!(sent[0].status, 429);
    assert_eq!(sent[1].body, sent[0].body, "the same body is sent again");
    assert_eq!(
        sent_headers(&sent[1], "x-okta-retry-for"),
        [sent[0].request_id.as_str()]
    );
    assert_eq!(sent_headers(&sent[1], "x-okta-retry-count"), ["1"]);
}

// ---------------------------------------------------------------------------------------------
// 5xx and broken connections on reads: retried, bounded

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_5xx_on_get_user_is_retried_until_it_succeeds() {
    let app = spawn_with_account_from(fast(3000, 1000)).await;
    inject(&app, "GET", USER_PATH, okta_error(500, "E0000009"), 2);

    let response = app.action("get_user", get_jordan()).await;

    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.json["id"], JORDAN_ID);
    assert_eq!(
        app.okta_requests()
            .iter()
            .map(|r| r.status)
            .collect::<Vec<_>>(),
        [500, 500, 200]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_5xx_on_a_later_list_groups_page_is_retried_and_every_group_is_returned() {
    let app = spawn_with_account_from(fast(3000, 1000)).await;
    for n in 0..250 {
        app.sim
            .handle()
            .seed_group(&format!("Fault group {n:03}"), None);
    }
    // A fault that does nothing takes the first page, so the 503s land on the second.
    inject(
        &app,
        "GET",
        "/api/v1/groups",
        FaultKind::Latency { ms: 0 },
        1,
    );
    inject(
        &app,
        "GET",
        "/api/v1/groups",
        okta_error(503, "E0000010"),
        2,
    );

    let response = app.action("list_groups", json!({"limit": 300})).await;

    assert_eq!(response.status, 200, "{}", response.text);
    let groups = response.json.as_array().expect("an array");
    assert_eq!(groups.len(), 252, "the demo seed's two and the 250 added");
    let mut ids: Vec<&str> = groups.iter().filter_map(|g| g["id"].as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 252, "no page twice");
    let sent = app.okta_requests();
    assert_eq!(
        sent.iter().map(|r| r.status).collect::<Vec<_>>(),
        [200, 503, 503, 200]
    );
    assert_eq!(sent[0].query.as_deref(), Some("limit=200"));
    let second = sent[1].query.clone().expect("a query");
    assert!(
        second.starts_with("after=") && second.ends_with("&limit=100"),
        "{second}"
    );
    assert!(
        sent[2..]
            .iter()
            .all(|r| r.query.as_deref() == Some(&second)),
        "the retries ask for the same page"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_persistent_5xx_on_a_read_answers_502_with_oktas_error_after_three_attempts() {
    let app = spawn_with_account_from(fast(3000, 1000)).await;
    inject(&app, "GET", USER_PATH, okta_error(500, "E0000009"), 10);

    let response = app.action("get_user", get_jordan()).await;

    let error = response.assert_error("UPSTREAM_UNAVAILABLE", 502);
    let okta = &error["details"]["okta"];
    assert_eq!(okta["errorCode"], "E0000009");
    assert_eq!(okta["errorSummary"], "Internal Server Error");
    assert!(
        okta["errorId"]
            .as_str()
            .is_some_and(|id| id.starts_with("oae"))
    );
    assert!(
        error["details"].get("outcomeUnknown").is_none(),
        "a read changes nothing"
    );
    assert_eq!(app.okta_calls().len(), 3, "1 attempt + 2 retries");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_connections_on_a_read_are_retried() {
    let app = spawn_with_account_from(fast(3000, 1000)).await;
    inject(&app, "GET", USER_PATH, FaultKind::DropBeforeResponse, 1);
    inject(&app, "GET", USER_PATH, FaultKind::DropMidBody, 1);

    let response = app.action("get_user", get_jordan()).await;

    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.json["id"], JORDAN_ID);
    let faults: Vec<Option<String>> = app.okta_requests().into_iter().map(|r| r.fault).collect();
    assert_eq!(
        faults,
        [
            Some("dropBeforeResponse".to_owned()),
            Some("dropMidBody".to_owned()),
            None
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_that_times_out_is_retried() {
    let app = spawn_with_account_from(fast(3000, 300)).await;
    inject(
        &app,
        "GET",
        USER_PATH,
        FaultKind::SlowBody { delay_ms: 1500 },
        1,
    );

    let response = app.action("get_user", get_jordan()).await;

    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(app.okta_calls().len(), 2);
}

// ---------------------------------------------------------------------------------------------
// Writes that may have reached Okta: sent once, outcome unknown

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_5xx_on_a_post_is_not_repeated_and_the_outcome_is_unknown() {
    let app = spawn_with_account_from(fast(3000, 1000)).await;
    for post in posts() {
        inject(&app, "POST", post.path, okta_error(500, "E0000009"), 5);

        let response = app.action(post.action, post.body.clone()).await;

        assert_sent_once_outcome_unknown(&app, &post, &response, "UPSTREAM_UNAVAILABLE", 502);
        let error = &response.json["error"];
        assert_eq!(error["details"]["okta"]["errorCode"], "E0000009");
        assert!(
            error["message"]
                .as_str()
                .is_some_and(|m| m.contains("check the outcome")),
            "{}",
            response.text
        );
        app.sim.handle().clear_faults();
        app.forget_requests();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_that_times_out_is_not_repeated_and_the_outcome_is_unknown() {
    let app = spawn_with_account_from(fast(3000, 300)).await;
    for post in posts() {
        // Okta processes the request; its answer comes after the gateway stopped waiting.
        inject(
            &app,
            "POST",
            post.path,
            FaultKind::SlowBody { delay_ms: 1500 },
            5,
        );

        let response = app.action(post.action, post.body.clone()).await;

        assert_sent_once_outcome_unknown(&app, &post, &response, "UPSTREAM_TIMEOUT", 504);
        assert!((post.took_effect)(&app), "{} took effect", post.action);
        app.sim.handle().clear_faults();
        app.forget_requests();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_user_delayed_past_the_okta_timeout_is_not_repeated() {
    let app = spawn_with_account_from(fast(3000, 300)).await;
    inject(
        &app,
        "POST",
        "/api/v1/users",
        FaultKind::Latency { ms: 800 },
        5,
    );

    let response = app
        .action("create_user", new_user("slow.okta@example.com"))
        .await;

    let error = response.assert_error("UPSTREAM_TIMEOUT", 504);
    assert_eq!(error["details"]["outcomeUnknown"], true);
    // okta-sim takes a fault when a request arrives, but abandons (and does not record) a
    // delayed request whose client went away: the fault's count says how many arrived.
    assert_eq!(
        app.sim.handle().pending_faults()[0].count,
        4,
        "one attempt, no second"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_dropped_mid_body_on_a_post_is_not_repeated() {
    let app = spawn_with_account_from(fast(3000, 1000)).await;
    for post in posts() {
        inject(&app, "POST", post.path, FaultKind::DropMidBody, 5);

        let response = app.action(post.action, post.body.clone()).await;

        assert_sent_once_outcome_unknown(&app, &post, &response, "UPSTREAM_UNAVAILABLE", 502);
        assert!((post.took_effect)(&app), "{} took effect", post.action);
        app.sim.handle().clear_faults();
        app.forget_requests();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_dropped_before_any_response_on_a_post_is_not_repeated() {
    let app = spawn_with_account_from(fast(3000, 1000)).await;
    for post in posts() {
        // The request reached Okta, which processed it; no byte of the answer came back.
        inject(&app, "POST", post.path, FaultKind::DropBeforeResponse, 5);

        let response = app.action(post.action, post.body.clone()).await;

        assert_sent_once_outcome_unknown(&app, &post, &response, "UPSTREAM_UNAVAILABLE", 502);
        assert!((post.took_effect)(&app), "{} took effect", post.action);
        app.sim.handle().clear_faults();
        app.forget_requests();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_org_is_a_502_whose_outcome_is_known() {
    let app = spawn_with_account_from(fast(3000, 1000)).await;
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let created = app
        .admin(
            Method::POST,
            "/accounts",
            Some(json!({
                "name": "down",
                "domain": format!("http://127.0.0.1:{closed}"),
                "apiToken": app.sim_token,
                "verify": false,
            })),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);

    let response = app
        .action_on("down", "create_user", new_user("never.sent@example.com"))
        .await;

    let error = response.assert_error("UPSTREAM_UNAVAILABLE", 502);
    assert!(
        error["details"].get("outcomeUnknown").is_none(),
        "nothing was sent: {}",
        response.text
    );
    assert!(app.okta_calls().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connect_timeout_on_a_post_is_a_502_whose_outcome_is_known() {
    let app = spawn_with_account_from(fast(3000, 1000).var("OKTA_CONNECT_TIMEOUT_MS", "200")).await;
    // A listener that never accepts: once its queue is full, connecting hangs.
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket
        .bind("127.0.0.1:0".parse().expect("addr"))
        .expect("bind");
    let addr = socket.local_addr().expect("addr");
    let _listener = socket.listen(1).expect("listen");
    let mut queued = Vec::new();
    while let Ok(Ok(stream)) = tokio::time::timeout(
        Duration::from_millis(200),
        tokio::net::TcpStream::connect(addr),
    )
    .await
    {
        queued.push(stream);
        assert!(queued.len() < 64, "the accept queue never filled");
    }
    let created = app
        .admin(
            Method::POST,
            "/accounts",
            Some(json!({
                "name": "hanging",
                "domain": format!("http://{addr}"),
                "apiToken": app.sim_token,
                "verify": false,
            })),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);

    let response = app
        .action_on(
            "hanging",
            "create_user",
            new_user("never.connected@example.com"),
        )
        .await;

    let error = response.assert_error("UPSTREAM_UNAVAILABLE", 502);
    assert!(
        error["details"].get("outcomeUnknown").is_none(),
        "the connection was never made: {}",
        response.text
    );
    assert!(app.okta_calls().is_empty());
}

// ---------------------------------------------------------------------------------------------
// delete_user: a failure between its two phases

fn seed_deletable(app: &TestApp) -> String {
    let user =
        app.sim
            .handle()
            .seed_user(UserSeed::new("dana.delete@example.com", "Dana", "Delete"));
    user["id"].as_str().expect("a seeded user").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_5xx_on_delete_users_second_phase_is_retried_and_the_user_is_deleted() {
    let app = spawn_with_account_from(fast(3000, 1000)).await;
    let id = seed_deletable(&app);
    inject(&app, "DELETE", USER_PATH, okta_error(500, "E0000009"), 1);

    let response = app
        .action("delete_user", json!({"userIdOrLogin": id}))
        .await;

    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.json["status"], 204);
    assert_eq!(
        app.okta_calls(),
        [
            format!("GET /api/v1/users/{id}"),
            format!("POST /api/v1/users/{id}/lifecycle/deactivate?sendEmail=false"),
            format!("DELETE /api/v1/users/{id}?sendEmail=false"),
            format!("DELETE /api/v1/users/{id}?sendEmail=false"),
        ]
    );
    assert!(app.sim.handle().user(&id).is_none(), "deleted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_delete_that_finds_nothing_after_a_lost_answer_counts_as_done() {
    let app = spawn_with_account_from(fast(3000, 1000)).await;
    // okta-sim deletes the group, then drops the connection before answering.
    let path = format!("/api/v1/groups/{HR_GROUP_ID}");
    inject(&app, "DELETE", &path, FaultKind::DropMidBody, 1);

    let response = app
        .action("delete_group", json!({"groupId": HR_GROUP_ID}))
        .await;

    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(
        response.json,
        json!({"status": 204, "message": "Group successfully deleted."})
    );
    assert_eq!(
        app.okta_calls(),
        [format!("DELETE {path}"), format!("DELETE {path}")]
    );
    assert!(app.sim.handle().group(HR_GROUP_ID).is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_between_delete_users_phases_is_completed_by_a_repeat() {
    let app = spawn_with_account_from(fast(3000, 1000)).await;
    let id = seed_deletable(&app);
    inject(&app, "DELETE", USER_PATH, okta_error(500, "E0000009"), 3);

    let failed = app
        .action("delete_user", json!({"userIdOrLogin": id}))
        .await;

    let error = failed.assert_error("UPSTREAM_UNAVAILABLE", 502);
    assert_eq!(error["details"]["okta"]["errorCode"], "E0000009");
    assert_half_done(error);
    assert!(
        error["details"].get("outcomeUnknown").is_none(),
        "Okta answered"
    );
    assert_eq!(
        app.okta_calls(),
        [
            format!("GET /api/v1/users/{id}"),
            format!("POST /api/v1/users/{id}/lifecycle/deactivate?sendEmail=false"),
            format!("DELETE /api/v1/users/{id}?sendEmail=false"),
            format!("DELETE /api/v1/users/{id}?sendEmail=false"),
            format!("DELETE /api/v1/users/{id}?sendEmail=false"),
        ],
        "the deactivation once, the delete retried twice"
    );
    let user = app.sim.handle().user(&id).expect("not deleted yet");
    assert_eq!(user["status"], "DEPROVISIONED");

    app.forget_requests();
    let repeated = app
        .action("delete_user", json!({"userIdOrLogin": id}))
        .await;

    assert_eq!(repeated.status, 200, "{}", repeated.text);
    assert_eq!(
        app.okta_calls(),
        [
            format!("GET /api/v1/users/{id}"),
            format!("DELETE /api/v1/users/{id}?sendEmail=false"),
        ],
        "already deactivated: the delete only"
    );
    assert!(app.sim.handle().user(&id).is_none(), "deleted");
}

/// A delete_user whose delete phase failed after the deactivation says so, and how to finish.
#[track_caller]
fn assert_half_done(error: &Value) {
    assert_eq!(error["details"]["userStatus"], "DEPROVISIONED");
    let message = error["message"].as_str().unwrap_or_default();
    assert!(message.contains("deactivated (DEPROVISIONED)"), "{message}");
    let how_to_fix = error["howToFix"].as_str().unwrap_or_default();
    assert!(how_to_fix.starts_with("Repeat delete_user"), "{how_to_fix}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delete_phase_refused_after_the_deactivation_says_the_user_is_deactivated_not_deleted() {
    let app = spawn_with_account_from(fast(3000, 1000)).await;
    let id = seed_deletable(&app);
    inject(&app, "DELETE", USER_PATH, okta_error(403, "E0000006"), 1);

    let failed = app
        .action("delete_user", json!({"userIdOrLogin": id}))
        .await;

    let error = failed.assert_error("RESOURCE_ACCESS_DENIED", 403);
    assert_half_done(error);
    assert!(
        error["message"]
            .as_str()
            .unwrap_or_default()
            .contains("but not deleted")
    );
    let user = app.sim.handle().user(&id).expect("not deleted");
    assert_eq!(user["status"], "DEPROVISIONED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delete_phase_whose_answers_are_lost_is_outcome_unknown_with_the_user_deactivated() {
    let app = spawn_with_account_from(fast(3000, 1000)).await;
    let id = seed_deletable(&app);
    // Every attempt of the delete is answered by a dropped connection before any byte; the
    // first one is processed, so the user is gone although no answer said so.
    inject(&app, "DELETE", USER_PATH, FaultKind::DropBeforeResponse, 3);

    let failed = app
        .action("delete_user", json!({"userIdOrLogin": id}))
        .await;

    let error = failed.assert_error("UPSTREAM_UNAVAILABLE", 502);
    assert_eq!(error["details"]["outcomeUnknown"], true);
    assert_half_done(error);
    assert!(
        error["message"]
            .as_str()
            .unwrap_or_default()
            .contains("may or may not be deleted")
    );
}

// ---------------------------------------------------------------------------------------------
// Answers that are not Okta's, and slow ones

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn html_answers_are_a_502_in_the_json_envelope() {
    let app = spawn_with_account_from(fast(3000, 1000)).await;
    // (action, input, method, fault path, HTML status, Okta calls, outcome unknown)
    let cases = [
        ("get_user", get_jordan(), "GET", USER_PATH, 200, 1, false),
        ("get_user", get_jordan(), "GET", USER_PATH, 404, 1, false),
        ("get_user", get_jordan(), "GET", USER_PATH, 502, 3, false),
        (
            "create_user",
            new_user("html.ok@example.com"),
            "POST",
            "/api/v1/users",
            200,
            1,
            true,
        ),
        (
            "create_user",
            new_user("html.error@example.com"),
            "POST",
            "/api/v1/users",
            500,
            1,
            true,
        ),
        // A 4xx page is a refusal in front of Okta: nothing happened.
        (
            "create_user",
            new_user("html.refused@example.com"),
            "POST",
            "/api/v1/users",
            411,
            1,
            false,
        ),
    ];
    for (action, body, method, path, status, calls, unknown) in cases {
        inject(&app, method, path, FaultKind::Html { status }, 5);

        let response = app.action(action, body).await;

        let error = response.assert_error("UPSTREAM_UNAVAILABLE", 502);
        assert!(!response.text.contains('<'), "no HTML: {}", response.text);
        assert_eq!(
            app.okta_calls().len(),
            calls,
            "{action} on HTML {status}: {:?}",
            app.okta_calls()
        );
        assert_eq!(
            error["details"]["outcomeUnknown"] == true,
            unknown,
            "{action} on HTML {status}: {}",
            response.text
        );
        app.sim.handle().clear_faults();
        app.forget_requests();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_slower_than_the_action_deadline_answers_504() {
    // Each attempt may take 5 s; the whole action only 1 s.
    let app = spawn_with_account_from(fast(1000, 5000)).await;
    for (action, body, method, path, unknown) in [
        ("get_user", get_jordan(), "GET", USER_PATH, false),
        (
            "create_user",
            new_user("slow.body@example.com"),
            "POST",
            "/api/v1/users",
            true,
        ),
    ] {
        inject(
            &app,
            method,
            path,
            FaultKind::SlowBody { delay_ms: 10_000 },
            5,
        );

        let started = Instant::now();
        let response = app.action(action, body).await;
        let elapsed = started.elapsed();

        let error = response.assert_error("UPSTREAM_TIMEOUT", 504);
        assert_eq!(
            error["details"]["outcomeUnknown"] == true,
            unknown,
            "{action}: {}",
            response.text
        );
        assert_eq!(app.okta_calls().len(), 1, "{action}: no time left to retry");
        assert!(
            elapsed < Duration::from_secs(3),
            "{action}: answered at the deadline, not with the body: {elapsed:?}"
        );
        app.sim.handle().clear_faults();
        app.forget_requests();
    }
}

// ---------------------------------------------------------------------------------------------
// Okta's refusals through real calls

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_token_may_read_but_writing_is_resource_access_denied() {
    let app = app(Backend::Sqlite).spawn().await;
    let read_only = "00sim-read-only-token-for-faults";
    app.sim
        .handle()
        .add_token(read_only, okta_sim::AdminRole::ReadOnlyAdmin);
    let mut account = app.account_body(ACCOUNT);
    account["apiToken"] = json!(read_only);
    let created = app.admin(Method::POST, "/accounts", Some(account)).await;
    assert_eq!(created.status, 201, "{}", created.text);
    app.forget_requests();

    let read = app.action("get_user", get_jordan()).await;
    assert_eq!(read.status, 200, "{}", read.text);
    let write = app
        .action("create_user", new_user("not.allowed@example.com"))
        .await;

    let error = write.assert_error("RESOURCE_ACCESS_DENIED", 403);
    assert_eq!(error["code"], 9001);
    assert_eq!(error["details"]["okta"]["errorCode"], "E0000006");
    assert_eq!(
        app.okta_calls(),
        [
            format!("GET /api/v1/users/{JORDAN_ID}"),
            "POST /api/v1/users?activate=false".to_owned(),
        ]
    );
    let account = app
        .admin(Method::GET, &format!("/accounts/{ACCOUNT}"), None)
        .await;
    assert_eq!(
        account.json["lastError"],
        Value::Null,
        "a missing permission is not a bad token"
    );
}

// ---------------------------------------------------------------------------------------------
// The in-flight limit per account, and the deadline over a whole action

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_past_the_in_flight_limit_wait_in_a_bounded_queue_without_touching_another_account() {
    let app = spawn_with_account_from(
        fast(5000, 4000)
            .var("OKTA_MAX_IN_FLIGHT_PER_ACCOUNT", "2")
            .var("OKTA_QUEUE_PER_ACCOUNT", "2"),
    )
    .await;
    assert_eq!(app.create_account("beta").await.status, 201);
    app.forget_requests();
    // The first two calls to reach Okta are held there; the account's limit is then full, two
    // more calls wait for a slot and the last two find the queue full.
    inject(&app, "GET", USER_PATH, FaultKind::Latency { ms: 1500 }, 2);

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    for _ in 0..6 {
        let call = app.action_on(ACCOUNT, "get_user", get_jordan());
        let tx = tx.clone();
        tokio::spawn(async move {
            let _ = tx.send(call.await);
        });
    }
    let shed = [
        rx.recv().await.expect("an answer"),
        rx.recv().await.expect("an answer"),
    ];
    let other = app
        .action_on("beta", "get_group", json!({"groupId": HR_GROUP_ID}))
        .await;
    let still_held = rx.try_recv().is_err();
    let mut served = Vec::new();
    for _ in 0..4 {
        served.push(rx.recv().await.expect("an answer"));
    }

    for response in &shed {
        let error = response.assert_error("API_LIMIT_REACHED", 429);
        assert_eq!(error["details"]["retryAfter"], 1);
        assert_eq!(response.headers.get("retry-after").unwrap(), "1");
        assert!(error["details"].get("okta").is_none(), "the gateway's own");
    }
    assert_eq!(other.status, 200, "{}", other.text);
    assert!(
        still_held,
        "the other account was served while acme's limit was full"
    );
    for response in &served {
        assert_eq!(response.status, 200, "{}", response.text);
    }
    let calls = app.okta_calls();
    assert_eq!(
        calls.len(),
        5,
        "the shed calls never reached Okta: {calls:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_64_reads_on_one_account_all_succeed_with_the_default_limit() {
    let app = spawn_with_account().await;
    // Each call is held briefly at Okta, so the burst really meets the limit of 20.
    inject(&app, "GET", USER_PATH, FaultKind::Latency { ms: 100 }, 64);
    let calls: Vec<_> = (0..64)
        .map(|_| tokio::spawn(app.action_on(ACCOUNT, "get_user", get_jordan())))
        .collect();
    for call in calls {
        let response = call.await.expect("the task");
        assert_eq!(response.status, 200, "{}", response.text);
    }
    assert_eq!(app.okta_calls().len(), 64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deadline_covers_every_page_of_an_action() {
    // Each page answers well within the per-attempt timeout; three of them do not fit in 1 s.
    let app = spawn_with_account_from(fast(1000, 900)).await;
    let group = app.sim.handle().seed_group("Big Team", None);
    let group_id = group["id"].as_str().expect("a group").to_owned();
    for n in 0..450 {
        let user = app.sim.handle().seed_user(UserSeed::new(
            &format!("member.{n}@example.com"),
            "Member",
            "Paged",
        ));
        let id = user["id"].as_str().expect("a user");
        assert!(app.sim.handle().add_member(&group_id, id));
    }
    inject(
        &app,
        "GET",
        "/api/v1/groups/[^/]+/users",
        FaultKind::Latency { ms: 400 },
        10,
    );

    let started = Instant::now();
    let response = app
        .action(
            "get_pending_approvals",
            json!({"groupId": group_id, "limit": 1000}),
        )
        .await;
    let elapsed = started.elapsed();

    let error = response.assert_error("UPSTREAM_TIMEOUT", 504);
    assert!(error["details"].get("outcomeUnknown").is_none());
    assert!(
        elapsed < Duration::from_millis(2500),
        "about the deadline: {elapsed:?}"
    );
    let calls = app.okta_calls();
    assert!(
        calls
            .first()
            .is_some_and(|c| c == &format!("GET /api/v1/groups/{group_id}/users?limit=200")),
        "{calls:?}"
    );
    assert!(calls.len() <= 3, "no page after the deadline: {calls:?}");
}

// ---------------------------------------------------------------------------------------------
// What every call carries

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_okta_call_carries_the_token_json_headers_and_the_gateways_user_agent() {
    let app = spawn_with_account().await;
    let authorization = format!("SSWS {}", okta_sim::token_label(&app.sim_token));
    let user_agent = format!("okta-gateway/{}", env!("CARGO_PKG_VERSION"));

    let created = app
        .action("create_user", new_user("headers.check@example.com"))
        .await;
    assert_eq!(created.status, 200, "{}", created.text);
    assert_eq!(app.action("get_user", get_jordan()).await.status, 200);
    assert_eq!(
        app.action("suspend_user", json!({"userId": JORDAN_ID}))
            .await
            .status,
        200
    );
    assert_eq!(
        app.action(
            "add_user_to_group",
            json!({"groupId": HR_GROUP_ID, "userId": JORDAN_ID})
        )
        .await
        .status,
        200
    );

    let sent = app.okta_requests();
    assert_eq!(sent.len(), 4, "{:?}", app.okta_calls());
    for request in &sent {
        let call = format!("{} {}", request.method, request.path);
        assert_eq!(
            sent_headers(request, "authorization"),
            [authorization.as_str()],
            "{call}"
        );
        assert_eq!(
            sent_headers(request, "accept"),
            ["application/json"],
            "{call}"
        );
        assert_eq!(
            sent_headers(request, "content-type"),
            ["application/json"],
            "{call}"
        );
        assert_eq!(
            sent_headers(request, "user-agent"),
            [user_agent.as_str()],
            "{call}"
        );
    }
    let with_body = &sent[0];
    let body = with_body.body.as_deref().expect("create_user's body");
    assert_eq!(
        sent_headers(with_body, "content-length"),
        [body.len().to_string()]
    );
    for body_less in &sent[2..] {
        let call = format!("{} {}", body_less.method, body_less.path);
        assert_eq!(
            sent_headers(body_less, "content-length"),
            ["0"],
            "{call}: Okta answers 411 without it"
        );
        assert!(
            sent_headers(body_less, "transfer-encoding").is_empty(),
            "{call}"
        );
        assert_eq!(body_less.body, None, "{call}");
        assert_ne!(body_less.status, 411, "{call}");
    }
    assert_eq!(sent[2].method, "POST");
    assert_eq!(sent[3].method, "PUT");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_from_the_org_is_not_followed() {
    // okta-sim's faults cannot send a Location header: a one-line server on loopback does.
    let app = spawn_with_account_from(fast(3000, 1000)).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let location = format!("{}/api/v1/users/{JORDAN_ID}", app.sim.base_url());
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            let mut request = Vec::new();
            let mut buffer = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match socket.read(&mut buffer).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buffer[..n]),
                }
            }
            let answer = format!(
                "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            let _ = socket.write_all(answer.as_bytes()).await;
            let _ = socket.shutdown().await;
        }
    });
    let created = app
        .admin(
            Method::POST,
            "/accounts",
            Some(json!({
                "name": "moved",
                "domain": format!("http://127.0.0.1:{port}"),
                "apiToken": app.sim_token,
                "verify": false,
            })),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);

    let read = app.action_on("moved", "get_user", get_jordan()).await;
    let write = app
        .action_on("moved", "create_user", new_user("moved.user@example.com"))
        .await;

    let error = read.assert_error("UPSTREAM_UNAVAILABLE", 502);
    assert!(error["details"].get("outcomeUnknown").is_none());
    // Whatever answered the POST may have acted on it.
    let error = write.assert_error("UPSTREAM_UNAVAILABLE", 502);
    assert_eq!(error["details"]["outcomeUnknown"], true, "{}", write.text);
    assert_eq!(
        seen.load(Ordering::SeqCst),
        2,
        "one call each, not repeated"
    );
    assert!(
        app.okta_calls().is_empty(),
        "the token never went to the redirect's target"
    );
}

// ---------------------------------------------------------------------------------------------
// The egress proxy

/// A forward proxy on loopback: records the first request line of each connection, then
/// relays the connection to the host that line names (okta-sim takes absolute-form targets).
async fn recording_proxy() -> (String, Arc<Mutex<Vec<String>>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let record = record.clone();
            tokio::spawn(async move {
                let mut head = vec![0u8; 8192];
                let Ok(n) = client.read(&mut head).await else {
                    return;
                };
                let line = String::from_utf8_lossy(&head[..n])
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                record.lock().expect("lock").push(line.clone());
                let target = line.split(' ').nth(1).and_then(|t| url::Url::parse(t).ok());
                let Some(addr) = target.and_then(|t| {
                    Some(format!("{}:{}", t.host_str()?, t.port_or_known_default()?))
                }) else {
                    return;
                };
                let Ok(mut server) = tokio::net::TcpStream::connect(addr).await else {
                    return;
                };
                if server.write_all(&head[..n]).await.is_ok() {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                }
            });
        }
    });
    (url, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn okta_is_reached_through_the_configured_egress_proxy() {
    let (proxy, seen) = recording_proxy().await;
    let app = spawn_with_account_from(
        crate::helpers::app(crate::helpers::Backend::Sqlite).var("HTTP_PROXY", &proxy),
    )
    .await;

    let response = app.action("get_user", get_jordan()).await;

    assert_eq!(response.status, 200, "{}", response.text);
    // Each connection's first request, in the absolute form a forward proxy receives (the
    // token check at account creation opens it; the action reuses the kept-alive connection).
    let lines = seen.lock().expect("lock").clone();
    assert!(!lines.is_empty(), "nothing went through the proxy");
    let prefix = format!("GET {}/api/v1/users/", app.sim.base_url());
    assert!(lines.iter().all(|l| l.starts_with(&prefix)), "{lines:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_proxy_hosts_are_reached_directly() {
    let (proxy, seen) = recording_proxy().await;
    let app = spawn_with_account_from(
        crate::helpers::app(crate::helpers::Backend::Sqlite)
            .var("HTTP_PROXY", &proxy)
            .var("NO_PROXY", "127.0.0.1,localhost"),
    )
    .await;

    let response = app.action("get_user", get_jordan()).await;

    assert_eq!(response.status, 200, "{}", response.text);
    assert!(seen.lock().expect("lock").is_empty());
}
