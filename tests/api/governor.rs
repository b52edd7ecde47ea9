//! The rate-limit governor through the real server against okta-sim's windows (shortened):
//! calls wait at the reserve for the reset, are refused with the true `Retry-After` when the
//! reset comes after the deadline, a concurrency 429 freezes nothing, and three gateway
//! processes on one Postgres never run the org's budget below the reserve by more than their
//! calls in flight.

use std::time::{Duration, Instant};

use okta_sim::{Fault, FaultKind, OktaSim, RateLimits, SimConfig, demo};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{
    ACCOUNT, ACTION_KEY, Backend, TestDb, TestResponse, app, client, postgres_available,
    spawn_with_account, spawn_with_account_from,
};
use crate::process::GatewayProcess;

fn get_jordan() -> Value {
    json!({"searchBy": "id", "searchValue": demo::JORDAN_ID})
}

/// Okta's requests for one family, by status.
fn statuses(app_requests: &[okta_sim::RecordedRequest], path: &str) -> Vec<u16> {
    app_requests
        .iter()
        .filter(|r| r.path == path)
        .map(|r| r.status)
        .collect()
}

fn retry_after(response: &TestResponse) -> Option<u64> {
    response
        .headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

#[tokio::test]
async fn calls_wait_at_the_reserve_for_the_reset_and_okta_never_refuses() {
    let app = spawn_with_account().await;
    let sim = app.sim.handle();
    // 10 a window, the default reserve of 10 % keeps 1: nine calls per 2-second window.
    sim.set_rate_limits(RateLimits {
        window_secs: 2,
        ..RateLimits::uniform(10)
    });
    let started = Instant::now();
    for _ in 0..5 {
        let calls: Vec<_> = (0..4)
            .map(|_| tokio::spawn(app.action_on(ACCOUNT, "get_user", get_jordan())))
            .collect();
        for call in calls {
            let response = call.await.expect("the call");
            assert_eq!(response.status, 200, "{}", response.text);
        }
    }
    // Twenty calls at nine a window need a third window: they waited.
    assert!(started.elapsed() >= Duration::from_secs(2));
    let path = format!("/api/v1/users/{}", demo::JORDAN_ID);
    let sent = statuses(&app.okta_requests(), &path);
    assert_eq!(sent, vec![200; 20], "each call once, never refused");
    let stats = sim.rate_limit_stats();
    let family = &stats.families["user-get"];
    assert_eq!(family.refused, 0);
    assert!(
        family.lowest_remaining >= 1,
        "the reserve is kept: {stats:?}"
    );
}

#[tokio::test]
async fn a_reset_after_the_deadline_answers_429_with_the_true_retry_after() {
    // An account name of its own: the metrics recorder is shared by every test in the process.
    const GOVERNED: &str = "governed";
    let app = app(Backend::Sqlite)
        .var("ACTION_DEADLINE_MS", "3000")
        .spawn()
        .await;
    assert_eq!(app.create_account(GOVERNED).await.status, 201);
    app.forget_requests();
    let sim = app.sim.handle();
    // 5 a window: a reserve of 10 % keeps 1 (rounded up), so four calls go.
    sim.set_rate_limits(RateLimits {
        window_secs: 30,
        ..RateLimits::uniform(5)
    });
    for _ in 0..4 {
        let response = app.action_on(GOVERNED, "get_user", get_jordan()).await;
        assert_eq!(response.status, 200, "{}", response.text);
    }
    let started = Instant::now();
    let refused = app.action_on(GOVERNED, "get_user", get_jordan()).await;
    let error = refused.assert_error("API_LIMIT_REACHED", 429).clone();
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "refused at once, without waiting for a deadline it cannot meet"
    );
    let wait = retry_after(&refused).expect("Retry-After");
    assert!((25..=32).contains(&wait), "the true wait: {wait}");
    assert_eq!(error["details"]["retryAfter"], wait);
    let path = format!("/api/v1/users/{}", demo::JORDAN_ID);
    assert_eq!(statuses(&app.okta_requests(), &path), vec![200; 4]);
    assert_eq!(
        sim.rate_limit_stats().families["user-get"].lowest_remaining,
        1
    );

    // The replica's view, per family, and the metric.
    let account = app
        .admin(Method::GET, &format!("/accounts/{GOVERNED}"), None)
        .await;
    assert_eq!(account.status, 200, "{}", account.text);
    let windows = account.json["rateLimits"].as_array().expect("rateLimits");
    assert_eq!(windows.len(), 1, "{windows:?}");
    assert_eq!(windows[0]["family"], "user-get");
    assert_eq!(windows[0]["limit"], 5);
    assert_eq!(windows[0]["remaining"], 1);
    let resets_at =
        chrono::DateTime::parse_from_rfc3339(windows[0]["resetsAt"].as_str().expect("resetsAt"))
            .expect("a date-time");
    let left = resets_at.timestamp() - chrono::Utc::now().timestamp();
    assert!((20..=32).contains(&left), "resets in {left} s");
    let list = app.admin(Method::GET, "/accounts", None).await;
    assert!(
        list.json[0].get("rateLimits").is_none(),
        "only on one account"
    );
    let metrics = app.admin(Method::GET, "/metrics", None).await.text;
    assert!(
        metrics
            .lines()
            .any(|line| line.starts_with("okta_rate_limit_remaining")
                && line.contains(&format!("account=\"{GOVERNED}\""))
                && line.contains("family=\"user-get\"")
                && line.ends_with(" 1")),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_concurrency_429_backs_off_briefly_and_freezes_nothing() {
    let app = spawn_with_account().await;
    let sim = app.sim.handle();
    let path = format!("/api/v1/users/{}", demo::JORDAN_ID);
    // Its Reset points a minute ahead, but it is only a hint: the family's window is intact.
    sim.inject(Fault {
        method: Some("GET".into()),
        path: path.clone(),
        count: 1,
        kind: FaultKind::ConcurrencyLimit { reset_in_secs: 60 },
    });
    let started = Instant::now();
    let first = app.action("get_user", get_jordan()).await;
    assert_eq!(first.status, 200, "{}", first.text);
    let second = app.action("get_user", get_jordan()).await;
    assert_eq!(second.status, 200, "{}", second.text);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "no wait for the hinted reset: {:?}",
        started.elapsed()
    );
    assert_eq!(statuses(&app.okta_requests(), &path), vec![429, 200, 200]);
    let account = app
        .admin(Method::GET, &format!("/accounts/{ACCOUNT}"), None)
        .await;
    let window = &account.json["rateLimits"][0];
    assert_eq!(window["family"], "user-get");
    assert!(
        window["remaining"].as_u64().is_some_and(|n| n > 0),
        "{window}"
    );
}

#[tokio::test]
async fn an_account_sets_its_own_reserve_and_can_change_it() {
    let app = spawn_with_account_from(app(Backend::Sqlite).var("ACTION_DEADLINE_MS", "2000")).await;
    let sim = app.sim.handle();
    for bad in [json!(91), json!(-1), json!("10"), json!(2.5)] {
        let refused = app
            .admin(
                Method::PUT,
                &format!("/accounts/{ACCOUNT}"),
                Some(json!({ "rateLimitReserve": bad })),
            )
            .await;
        refused.assert_error("INVALID_FIELD_VALUE", 400);
        assert_eq!(refused.bad_fields(), vec!["rateLimitReserve"], "{bad}");
    }
    let set = app
        .admin(
            Method::PUT,
            &format!("/accounts/{ACCOUNT}"),
            Some(json!({"rateLimitReserve": 40})),
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.text);
    assert_eq!(set.json["rateLimitReserve"], 40);
    sim.set_rate_limits(RateLimits {
        window_secs: 30,
        ..RateLimits::uniform(5)
    });
    // 40 % of 5 keeps 2: three calls go, not four as with the default 10 %.
    for _ in 0..3 {
        let response = app.action("get_user", get_jordan()).await;
        assert_eq!(response.status, 200, "{}", response.text);
    }
    app.action("get_user", get_jordan())
        .await
        .assert_error("API_LIMIT_REACHED", 429);
    // Lowered to 0 %, the account may use the window to its end.
    let lowered = app
        .admin(
            Method::PUT,
            &format!("/accounts/{ACCOUNT}"),
            Some(json!({"rateLimitReserve": 0})),
        )
        .await;
    assert_eq!(lowered.status, 200, "{}", lowered.text);
    assert_eq!(
        lowered.json["domain"],
        app.sim.base_url(),
        "only the reserve changed"
    );
    for _ in 0..2 {
        let response = app.action("get_user", get_jordan()).await;
        assert_eq!(response.status, 200, "{}", response.text);
    }
    app.action("get_user", get_jordan())
        .await
        .assert_error("API_LIMIT_REACHED", 429);
    let stats = sim.rate_limit_stats();
    assert_eq!(stats.families["user-get"].lowest_remaining, 0);
    assert_eq!(stats.families["user-get"].refused, 0, "Okta never refused");
}

/// The account's own rate-limit reserve in this scenario, and what it keeps of the logs
/// family's 120.
const RESERVE_PERCENT: u32 = 15;
const LOGS_RESERVE: u32 = 18;
/// Concurrent callers per gateway process.
const DRIVERS: usize = 3;
const REPLICAS: usize = 3;

/// Three gateway processes on one Postgres drive one account at full speed for 20 seconds
/// against Okta's published limits (`/api/v1/logs`: 120 a window, windows shortened to 4 s).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_keep_the_reserve_of_one_org_without_coordinating() {
    if !postgres_available().await {
        return;
    }
    let sim = OktaSim::start(SimConfig {
        okta_rate_limits: true,
        ..SimConfig::default()
    })
    .await
    .expect("okta-sim starts");
    let handle = sim.handle();
    let db = TestDb::new(Backend::Postgres).await;
    let mut replicas = Vec::new();
    for _ in 0..REPLICAS {
        replicas.push(GatewayProcess::start(&db.url(), &[]).await);
    }
    let created = replicas[0]
        .call(
            Method::POST,
            "/accounts",
            Some(json!({"name": ACCOUNT, "domain": sim.base_url(),
                        "apiToken": SimConfig::default().token,
                        "rateLimitReserve": RESERVE_PERCENT})),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let published = handle.rate_limits();
    assert_eq!(published.limit_for("logs"), 120);
    handle.set_rate_limits(RateLimits {
        window_secs: 4,
        ..published
    });
    handle.clear_requests();

    let http = client();
    let until = Instant::now() + Duration::from_secs(20);
    let mut drivers = Vec::new();
    for replica in &replicas {
        for _ in 0..DRIVERS {
            let http = http.clone();
            let url = format!("{}/accounts/{ACCOUNT}/actions/get_audit_logs", replica.base);
            drivers.push(tokio::spawn(async move {
                let mut answers = Vec::new();
                while Instant::now() < until {
                    let response = http
                        .post(&url)
                        .bearer_auth(ACTION_KEY)
                        .json(&json!({"limit": 1}))
                        .timeout(Duration::from_secs(30))
                        .send()
                        .await
                        .expect("the gateway answers");
                    answers.push(TestResponse::read(response).await);
                }
                answers
            }));
        }
    }
    let mut answers = Vec::new();
    for driver in drivers {
        answers.extend(driver.await.expect("driver"));
    }

    let ok = answers.iter().filter(|a| a.status == 200).count();
    for answer in answers.iter().filter(|a| a.status != 200) {
        answer.assert_error("API_LIMIT_REACHED", 429);
        let wait = retry_after(answer).expect("Retry-After");
        // True: no longer than the window Okta reported.
        assert!(
            (1..=5).contains(&wait),
            "Retry-After {wait}: {}",
            answer.text
        );
    }
    // The budget was used: more than four windows' worth minus the reserve at least once.
    assert!(ok > 120, "only {ok} actions succeeded");
    let okta_429s = handle
        .requests()
        .iter()
        .filter(|r| r.path == "/api/v1/logs" && r.status == 429)
        .count();
    assert!(okta_429s <= 3, "Okta answered {okta_429s} 429s");
    let stats = handle.rate_limit_stats();
    let logs = &stats.families["logs"];
    assert!(
        logs.lowest_remaining <= LOGS_RESERVE,
        "the run never reached the reserve: {stats:?}"
    );
    let in_flight = u32::try_from(REPLICAS * DRIVERS).expect("small");
    assert!(
        logs.lowest_remaining + in_flight >= LOGS_RESERVE,
        "the budget fell to {} (reserve {LOGS_RESERVE}, {in_flight} in flight): {stats:?}",
        logs.lowest_remaining
    );
    // Each replica shows its own view of the window.
    for replica in &mut replicas {
        let account = replica
            .call(Method::GET, &format!("/accounts/{ACCOUNT}"), None)
            .await;
        assert_eq!(account.json["rateLimitReserve"], RESERVE_PERCENT);
        let windows = account.json["rateLimits"].as_array().expect("rateLimits");
        assert!(
            windows
                .iter()
                .any(|w| w["family"] == "logs" && w["limit"] == 120),
            "{windows:?}"
        );
        replica.assert_no_panic();
    }
}
