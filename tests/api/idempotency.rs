//! Idempotency keys on mutating actions: replays, mismatches, requests in progress, abandoned
//! claims, expiry, sealed credential answers, per-caller scope and replicas sharing keys.

use std::time::Duration;

use okta_gateway::auth::key_hash;
use okta_gateway::crypto::{TokenCipher, key_id_of};
use okta_gateway::idempotency::request_hash;
use okta_sim::demo::JORDAN_ID;
use okta_sim::{Fault, FaultKind};
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::{
    ACCOUNT, ACTION_KEY, ADMIN_KEY, Backend, RunningGateway, TEST_ENCRYPTION_KEY, TestApp, TestDb,
    TestResponse, app, client, config_from, spawn_with_account_from,
};

backend_tests![
    a_repeat_with_the_same_key_replays_the_answer_without_calling_okta,
    the_same_key_with_another_request_is_refused_with_422,
    a_repeat_while_the_first_runs_gets_409_with_retry_after,
    a_claim_abandoned_mid_action_answers_outcome_unknown_once_its_lease_passed,
    an_outcome_unknown_answer_is_stored_as_such,
    a_retry_later_answer_gives_the_key_back,
    a_key_expires_after_its_ttl_and_is_swept,
    answers_with_credentials_are_stored_sealed_and_replayed,
    rotate_key_reseals_stored_answers_under_the_new_key,
    two_callers_with_the_same_key_do_not_see_each_others_answers,
    a_bad_key_is_refused_before_okta_is_called,
];

fn new_user(login: &str) -> Value {
    json!({"firstName": "Idem", "lastName": "Potent", "email": login, "login": login, "activate": false})
}

async fn keyed(
    app: &TestApp,
    base: &str,
    key_of_caller: &str,
    idempotency_key: &str,
    action: &str,
    body: &Value,
) -> TestResponse {
    let response = app
        .http
        .post(format!("{base}/accounts/{ACCOUNT}/actions/{action}"))
        .bearer_auth(key_of_caller)
        .header("Idempotency-Key", idempotency_key)
        .json(body)
        .send()
        .await
        .expect("request sent");
    TestResponse::read(response).await
}

async fn with_key(app: &TestApp, key: &str, action: &str, body: &Value) -> TestResponse {
    keyed(app, &app.base, ACTION_KEY, key, action, body).await
}

fn replayed(response: &TestResponse) -> Option<&str> {
    response
        .headers
        .get("idempotent-replayed")
        .and_then(|v| v.to_str().ok())
}

/// The stored rows, straight from the database: (state, body, encrypted).
async fn stored_rows(db: &TestDb) -> Vec<(String, Vec<u8>, bool)> {
    let query = "SELECT state, body, encrypted FROM idempotency_keys ORDER BY created_at";
    let rows: Vec<(String, Option<Vec<u8>>, bool)> = match db {
        TestDb::Sqlite(_) => {
            let pool = sqlx::SqlitePool::connect(&db.url()).await.expect("sqlite");
            let rows = sqlx::query_as(query).fetch_all(&pool).await.expect("rows");
            pool.close().await;
            rows
        }
        TestDb::Postgres { .. } => {
            let pool = sqlx::PgPool::connect(&db.url()).await.expect("postgres");
            let rows = sqlx::query_as(query).fetch_all(&pool).await.expect("rows");
            pool.close().await;
            rows
        }
    };
    rows.into_iter()
        .map(|(state, body, encrypted)| (state, body.unwrap_or_default(), encrypted))
        .collect()
}

/// Write a claim as a gateway that died mid-action would have left it.
async fn write_running_claim(db: &TestDb, key: &str, action: &str, body: &Value, lease_until: i64) {
    let now = chrono::Utc::now().timestamp_millis();
    let caller = key_hash(ACTION_KEY).0;
    let hash = request_hash(ACCOUNT, action, body);
    let expires = now + 86_400_000;
    match db {
        TestDb::Sqlite(_) => {
            let pool = sqlx::SqlitePool::connect(&db.url()).await.expect("sqlite");
            sqlx::query(
                "INSERT INTO idempotency_keys \
                 (caller, idem_key, request_hash, claim_id, state, lease_until, expires_at) \
                 VALUES (?, ?, ?, 'dead-claim', 'running', ?, ?)",
            )
            .bind(&caller)
            .bind(key)
            .bind(&hash)
            .bind(lease_until)
            .bind(expires)
            .execute(&pool)
            .await
            .expect("insert");
            pool.close().await;
        }
        TestDb::Postgres { .. } => {
            let pool = sqlx::PgPool::connect(&db.url()).await.expect("postgres");
            sqlx::query(
                "INSERT INTO idempotency_keys \
                 (caller, idem_key, request_hash, claim_id, state, lease_until, expires_at) \
                 VALUES ($1, $2, $3, 'dead-claim', 'running', $4, $5)",
            )
            .bind(&caller)
            .bind(key)
            .bind(&hash)
            .bind(lease_until)
            .bind(expires)
            .execute(&pool)
            .await
            .expect("insert");
            pool.close().await;
        }
    }
}

fn user_creates(app: &TestApp) -> usize {
    app.okta_calls()
        .iter()
        .filter(|c| c.starts_with("POST /api/v1/users?") || *c == "POST /api/v1/users")
        .count()
}

async fn a_repeat_with_the_same_key_replays_the_answer_without_calling_okta(backend: Backend) {
    let app = spawn_with_account_from(app(backend)).await;
    let body = new_user("idem.replay@example.com");

    let first = with_key(&app, "create-idem-1", "create_user", &body).await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(replayed(&first), None);
    assert_eq!(user_creates(&app), 1);

    // The same request with its keys in another order is the same request.
    let reordered: Value = serde_json::from_str(
        r#"{"activate": false, "login": "idem.replay@example.com", "lastName": "Potent",
            "email": "idem.replay@example.com", "firstName": "Idem"}"#,
    )
    .expect("json");
    let again = with_key(&app, "create-idem-1", "create_user", &reordered).await;
    assert_eq!(again.status, first.status);
    assert_eq!(again.json, first.json);
    assert_eq!(replayed(&again), Some("true"));
    assert_eq!(
        again.headers.get("content-type"),
        first.headers.get("content-type")
    );
    assert_ne!(
        again.headers.get("x-request-id"),
        first.headers.get("x-request-id"),
        "a replay is a request of its own"
    );
    assert_eq!(user_creates(&app), 1, "no second create reached Okta");

    // Without a key, nothing is replayed: Okta refuses the duplicate login.
    let unkeyed = app.action("create_user", body).await;
    unkeyed.assert_error("DUPLICATE_USER", 409);
    assert_eq!(user_creates(&app), 2);
}

async fn the_same_key_with_another_request_is_refused_with_422(backend: Backend) {
    let app = spawn_with_account_from(app(backend)).await;
    let first = with_key(
        &app,
        "k-422",
        "create_user",
        &new_user("idem.a@example.com"),
    )
    .await;
    assert_eq!(first.status, 200, "{}", first.text);
    app.forget_requests();

    let other_body = with_key(
        &app,
        "k-422",
        "create_user",
        &new_user("idem.b@example.com"),
    )
    .await;
    let error = other_body.assert_error("IDEMPOTENCY_KEY_REUSED", 422);
    assert_eq!(error["code"], 9116);
    let other_action = with_key(&app, "k-422", "suspend_user", &json!({"userId": JORDAN_ID})).await;
    other_action.assert_error("IDEMPOTENCY_KEY_REUSED", 422);
    assert!(app.okta_calls().is_empty(), "{:?}", app.okta_calls());
}

async fn a_repeat_while_the_first_runs_gets_409_with_retry_after(backend: Backend) {
    let app = spawn_with_account_from(app(backend)).await;
    app.sim.handle().inject(Fault::new(
        Some("POST"),
        "/api/v1/users",
        FaultKind::Latency { ms: 1500 },
    ));
    let body = new_user("idem.slow@example.com");
    let first = {
        let request = app
            .http
            .post(app.url(&format!("/accounts/{ACCOUNT}/actions/create_user")))
            .bearer_auth(ACTION_KEY)
            .header("Idempotency-Key", "slow-1")
            .json(&body);
        tokio::spawn(async move { TestResponse::read(request.send().await.expect("sent")).await })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;

    let during = with_key(&app, "slow-1", "create_user", &body).await;
    let error = during.assert_error("IDEMPOTENCY_IN_PROGRESS", 409);
    assert_eq!(error["code"], 9117);
    let retry_after: u64 = during.headers["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=5).contains(&retry_after), "{retry_after}");
    assert_eq!(error["details"]["retryAfter"], retry_after);

    let first = first.await.expect("first request");
    assert_eq!(first.status, 200, "{}", first.text);
    let after = with_key(&app, "slow-1", "create_user", &body).await;
    assert_eq!(after.json, first.json);
    assert_eq!(replayed(&after), Some("true"));
    assert_eq!(user_creates(&app), 1);
}

async fn a_claim_abandoned_mid_action_answers_outcome_unknown_once_its_lease_passed(
    backend: Backend,
) {
    let app = spawn_with_account_from(app(backend)).await;
    let now = chrono::Utc::now().timestamp_millis();
    let body = new_user("idem.crashed@example.com");
    // One claim whose gateway died a minute ago, one whose lease still runs.
    write_running_claim(&app.db, "crashed", "create_user", &body, now - 60_000).await;
    write_running_claim(&app.db, "leased", "create_user", &body, now + 60_000).await;

    let response = with_key(&app, "crashed", "create_user", &body).await;
    let error = response.assert_error("UPSTREAM_TIMEOUT", 504);
    assert_eq!(error["details"]["outcomeUnknown"], true);
    assert_eq!(replayed(&response), Some("true"));
    let again = with_key(&app, "crashed", "create_user", &body).await;
    assert_eq!(again.json["error"]["message"], error["message"]);
    assert_eq!(again.json["error"]["details"], error["details"]);

    let leased = with_key(&app, "leased", "create_user", &body).await;
    leased.assert_error("IDEMPOTENCY_IN_PROGRESS", 409);
    assert!(app.okta_calls().is_empty(), "{:?}", app.okta_calls());
}

async fn an_outcome_unknown_answer_is_stored_as_such(backend: Backend) {
    // Okta holds the create past the action's deadline: whether it happened is unknown.
    let app = spawn_with_account_from(
        app(backend)
            .var("ACTION_DEADLINE_MS", "300")
            .var("OKTA_REQUEST_TIMEOUT_MS", "250")
            .var("REQUEST_TIMEOUT_MS", "2000"),
    )
    .await;
    app.sim.handle().inject(Fault::new(
        Some("POST"),
        "/api/v1/users",
        FaultKind::Latency { ms: 1000 },
    ));
    let body = new_user("idem.unknown@example.com");
    let first = with_key(&app, "unknown-1", "create_user", &body).await;
    let error = first.assert_error("UPSTREAM_TIMEOUT", 504).clone();
    assert_eq!(error["details"]["outcomeUnknown"], true, "{}", first.text);
    let calls = app.okta_calls().len();

    let again = with_key(&app, "unknown-1", "create_user", &body).await;
    again.assert_error("UPSTREAM_TIMEOUT", 504);
    assert_eq!(again.json["error"]["details"], error["details"]);
    assert_eq!(again.json["error"]["message"], error["message"]);
    assert_eq!(replayed(&again), Some("true"));
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(app.okta_calls().len(), calls, "no second create");
}

async fn a_retry_later_answer_gives_the_key_back(backend: Backend) {
    let app = spawn_with_account_from(app(backend)).await;
    // Okta keeps answering 429 until the gateway's rate-limit retries are spent. The window
    // resets within a second, so the governor lets the repeat through once it has.
    app.sim.handle().inject(
        Fault::new(
            Some("POST"),
            "/api/v1/users/.*/lifecycle/suspend",
            FaultKind::RateLimit { reset_in_secs: 1 },
        )
        .times(10),
    );
    let body = json!({"userId": JORDAN_ID});
    let limited = with_key(&app, "suspend-1", "suspend_user", &body).await;
    limited.assert_error("API_LIMIT_REACHED", 429);
    let limited_calls = app.okta_calls().len();
    app.sim.handle().clear_faults();
    tokio::time::sleep(Duration::from_millis(1100)).await;

    // Okta changed nothing: the retry runs instead of replaying "try again later".
    let retried = with_key(&app, "suspend-1", "suspend_user", &body).await;
    assert_eq!(retried.status, 200, "{}", retried.text);
    assert_eq!(replayed(&retried), None);
    let replay = with_key(&app, "suspend-1", "suspend_user", &body).await;
    assert_eq!(replay.json, retried.json);
    assert_eq!(replayed(&replay), Some("true"));
    let suspends = app
        .okta_calls()
        .iter()
        .filter(|c| c.contains("/lifecycle/suspend"))
        .count();
    assert_eq!(suspends, limited_calls + 1, "{:?}", app.okta_calls());
}

async fn a_key_expires_after_its_ttl_and_is_swept(backend: Backend) {
    let app = spawn_with_account_from(app(backend).var("IDEMPOTENCY_TTL_SECS", "1")).await;
    let body = new_user("idem.ttl@example.com");
    let first = with_key(&app, "ttl-1", "create_user", &body).await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(stored_rows(&app.db).await.len(), 1);

    let mut swept = false;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if stored_rows(&app.db).await.is_empty() {
            swept = true;
            break;
        }
    }
    assert!(swept, "the background task removes the expired key");

    // The key is free again: this request runs (and Okta refuses the existing login).
    let again = with_key(&app, "ttl-1", "create_user", &body).await;
    again.assert_error("DUPLICATE_USER", 409);
    assert_eq!(replayed(&again), None);
    assert_eq!(user_creates(&app), 2);
}

async fn answers_with_credentials_are_stored_sealed_and_replayed(backend: Backend) {
    let app = spawn_with_account_from(app(backend)).await;
    let body = json!({"userId": JORDAN_ID});
    let first = with_key(&app, "expire-1", "expire_password", &body).await;
    assert_eq!(first.status, 200, "{}", first.text);
    let temp = first.json["tempPassword"]["value"]
        .as_str()
        .expect("a temporary password")
        .to_owned();
    assert_eq!(first.headers["cache-control"], "no-store");

    let rows = stored_rows(&app.db).await;
    assert_eq!(rows.len(), 1);
    let (state, stored, encrypted) = &rows[0];
    let stored = String::from_utf8_lossy(stored);
    assert_eq!(state, "done");
    assert!(encrypted);
    assert!(!stored.contains(&temp), "the temporary password is sealed");
    assert!(!stored.contains("tempPassword"));

    let again = with_key(&app, "expire-1", "expire_password", &body).await;
    assert_eq!(again.json, first.json);
    assert_eq!(again.headers["cache-control"], "no-store");
    assert_eq!(replayed(&again), Some("true"));
    let expires = app
        .okta_calls()
        .iter()
        .filter(|c| c.contains("expire_password"))
        .count();
    assert_eq!(expires, 1);
}

async fn rotate_key_reseals_stored_answers_under_the_new_key(backend: Backend) {
    let mut app = spawn_with_account_from(app(backend)).await;
    let body = json!({"userId": JORDAN_ID});
    let first = with_key(&app, "rotate-1", "expire_password", &body).await;
    assert_eq!(first.status, 200, "{}", first.text);
    app.gateway.stop().await;

    let new_key = "cnJycnJycnJycnJycnJycnJycnJycnJycnJycnJycnI=";
    let rotated = tokio::process::Command::new(env!("CARGO_BIN_EXE_okta-gateway"))
        .arg("rotate-key")
        .env_clear()
        .env("DATABASE_URL", &app.vars["DATABASE_URL"])
        .env(
            "TOKEN_ENCRYPTION_KEYS",
            format!("{new_key},{TEST_ENCRYPTION_KEY}"),
        )
        .env("RUST_LOG", "warn")
        .output()
        .await
        .expect("rotate-key runs");
    let stdout = String::from_utf8_lossy(&rotated.stdout);
    assert!(
        rotated.status.success(),
        "{}",
        String::from_utf8_lossy(&rotated.stderr)
    );
    assert!(stdout.contains("1 stored idempotent answer(s)"), "{stdout}");
    let new_id = TokenCipher::from_base64(new_key).expect("key").key_id_hex();
    let rows = stored_rows(&app.db).await;
    assert_eq!(key_id_of(&rows[0].1), Some(new_id));

    // A gateway holding only the new key still replays the answer.
    let mut vars = app.vars.clone();
    vars.remove("TOKEN_ENCRYPTION_KEY");
    vars.insert("TOKEN_ENCRYPTION_KEYS".into(), new_key.into());
    let gateway = RunningGateway::start(config_from(&vars))
        .await
        .expect("starts with the new key only");
    let again = keyed(
        &app,
        &format!("http://{}", gateway.addr),
        ACTION_KEY,
        "rotate-1",
        "expire_password",
        &body,
    )
    .await;
    assert_eq!(again.json, first.json);
    assert_eq!(replayed(&again), Some("true"));
}

async fn two_callers_with_the_same_key_do_not_see_each_others_answers(backend: Backend) {
    let app = spawn_with_account_from(app(backend)).await;
    let body = json!({"userId": JORDAN_ID});
    let mine = keyed(
        &app,
        &app.base,
        ACTION_KEY,
        "shared",
        "expire_password",
        &body,
    )
    .await;
    let theirs = keyed(
        &app,
        &app.base,
        ADMIN_KEY,
        "shared",
        "expire_password",
        &body,
    )
    .await;
    assert_eq!(mine.status, 200, "{}", mine.text);
    assert_eq!(theirs.status, 200, "{}", theirs.text);
    assert_eq!(replayed(&theirs), None);
    assert_ne!(
        mine.json["tempPassword"], theirs.json["tempPassword"],
        "the other caller's request ran on its own"
    );
    // Each caller replays its own answer.
    let mine_again = keyed(
        &app,
        &app.base,
        ACTION_KEY,
        "shared",
        "expire_password",
        &body,
    )
    .await;
    assert_eq!(mine_again.json, mine.json);
    let theirs_again = keyed(
        &app,
        &app.base,
        ADMIN_KEY,
        "shared",
        "expire_password",
        &body,
    )
    .await;
    assert_eq!(theirs_again.json, theirs.json);
}

async fn a_bad_key_is_refused_before_okta_is_called(backend: Backend) {
    let app = spawn_with_account_from(app(backend)).await;
    let body = json!({"userId": JORDAN_ID});
    for bad in [String::new(), "x".repeat(256)] {
        let response = with_key(&app, &bad, "suspend_user", &body).await;
        response.assert_error("INVALID_FIELD_VALUE", 400);
        assert_eq!(response.bad_fields(), ["Idempotency-Key"]);
    }
    let response = app
        .http
        .post(app.url(&format!("/accounts/{ACCOUNT}/actions/suspend_user")))
        .bearer_auth(ACTION_KEY)
        .header("Idempotency-Key", "a")
        .header("Idempotency-Key", "b")
        .json(&body)
        .send()
        .await
        .expect("sent");
    TestResponse::read(response)
        .await
        .assert_error("INVALID_FIELD_VALUE", 400);
    assert!(app.okta_calls().is_empty(), "{:?}", app.okta_calls());
    // Read actions ignore the key.
    let read = with_key(
        &app,
        "",
        "get_user",
        &json!({"searchBy": "id", "searchValue": JORDAN_ID}),
    )
    .await;
    assert_eq!(read.status, 200, "{}", read.text);
}

/// Two gateways on one Postgres database: a key claimed through one is honoured by the other,
/// and a race between them runs the action once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_on_postgres_share_keys() {
    if !crate::helpers::postgres_available().await {
        return;
    }
    let app = spawn_with_account_from(app(Backend::Postgres)).await;
    let replica = RunningGateway::start(config_from(&app.vars))
        .await
        .expect("second gateway starts");
    let other = format!("http://{}", replica.addr);

    let body = new_user("idem.replicas@example.com");
    let first = keyed(&app, &app.base, ACTION_KEY, "rep-1", "create_user", &body).await;
    assert_eq!(first.status, 200, "{}", first.text);
    let there = keyed(&app, &other, ACTION_KEY, "rep-1", "create_user", &body).await;
    assert_eq!(there.json, first.json);
    assert_eq!(replayed(&there), Some("true"));
    assert_eq!(user_creates(&app), 1);

    // Both replicas at once, Okta slow: exactly one create runs.
    app.sim.handle().inject(Fault::new(
        Some("POST"),
        "/api/v1/users",
        FaultKind::Latency { ms: 800 },
    ));
    app.forget_requests();
    let race = new_user("idem.race@example.com");
    let http = client();
    let send = |base: String| {
        let request = http
            .post(format!("{base}/accounts/{ACCOUNT}/actions/create_user"))
            .bearer_auth(ACTION_KEY)
            .header("Idempotency-Key", "race-1")
            .json(&race);
        tokio::spawn(async move { TestResponse::read(request.send().await.expect("sent")).await })
    };
    let (a, b) = (send(app.base.clone()), send(other.clone()));
    let (a, b) = (a.await.expect("a"), b.await.expect("b"));
    let mut statuses = [a.status, b.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409], "{} / {}", a.text, b.text);
    assert_eq!(user_creates(&app), 1, "{:?}", app.okta_calls());
    let settled = keyed(&app, &other, ACTION_KEY, "race-1", "create_user", &race).await;
    assert_eq!(settled.status, 200);
    assert_eq!(replayed(&settled), Some("true"));
}
