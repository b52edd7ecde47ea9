//! Start-up, key material, key rotation, shutdown, load shedding and database outages.

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use okta_gateway::startup::Application;
use okta_gateway::{rotation, secrets};
use okta_sim::{Fault, FaultKind};
use reqwest::Method;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::backend_tests;
use crate::helpers::{
    ADMIN_KEY, Backend, DbProxy, RunningGateway, TEST_ENCRYPTION_KEY, TestDb, TestResponse, app,
    base_vars, config_from, postgres_addr, spawn_app,
};
use crate::process::GatewayProcess;

#[tokio::test]
async fn the_embedded_default_generates_its_keys_once_with_private_files() {
    let db = TestDb::new(Backend::Sqlite).await;
    let mut vars = base_vars(&db.url());
    vars.remove("GATEWAY_ADMIN_KEYS");
    vars.remove("GATEWAY_API_KEYS");
    vars.remove("TOKEN_ENCRYPTION_KEY");
    let mut gateway = RunningGateway::start(config_from(&vars))
        .await
        .expect("starts");
    let dir = db.data_dir().expect("sqlite data dir");
    let admin_key = std::fs::read_to_string(dir.join(secrets::ADMIN_KEY_FILE)).expect("admin key");
    let token_key = std::fs::read_to_string(dir.join(secrets::TOKEN_KEY_FILE)).expect("token key");
    for file in [secrets::ADMIN_KEY_FILE, secrets::TOKEN_KEY_FILE] {
        let mode = std::fs::metadata(dir.join(file))
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{file}");
    }
    let client = crate::helpers::client();
    let url = format!("http://{}/accounts", gateway.addr);
    let listed = client
        .get(&url)
        .bearer_auth(admin_key.trim())
        .send()
        .await
        .expect("sent");
    assert_eq!(listed.status(), 200);
    gateway.stop().await;

    // A second start reuses both files.
    let gateway = RunningGateway::start(config_from(&vars))
        .await
        .expect("restarts");
    let again = client
        .get(format!("http://{}/accounts", gateway.addr))
        .bearer_auth(admin_key.trim())
        .send()
        .await
        .expect("sent");
    assert_eq!(again.status(), 200);
    assert_eq!(
        std::fs::read_to_string(dir.join(secrets::TOKEN_KEY_FILE)).expect("token key"),
        token_key
    );
}

#[tokio::test]
async fn postgres_refuses_to_start_without_configured_keys() {
    if !crate::helpers::postgres_available().await {
        return;
    }
    let db = TestDb::new(Backend::Postgres).await;
    for missing in [
        vec!["TOKEN_ENCRYPTION_KEY"],
        vec!["GATEWAY_ADMIN_KEYS", "GATEWAY_API_KEYS"],
    ] {
        let mut vars = base_vars(&db.url());
        for var in &missing {
            vars.remove(*var);
        }
        let err = Application::build(config_from(&vars))
            .await
            .err()
            .expect("refuses to start");
        assert!(err.to_string().contains(missing[0]), "{err:#}");
    }
}

async fn a_wrong_encryption_key_fails_start_up(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_eq!(app.create_account("acme").await.status, 201);
    let mut vars = app.vars.clone();
    vars.insert(
        "TOKEN_ENCRYPTION_KEY".into(),
        "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=".into(),
    );
    let err = Application::build(config_from(&vars))
        .await
        .err()
        .expect("refuses to start");
    assert!(
        err.to_string()
            .contains("does not open the stored Okta tokens"),
        "{err:#}"
    );
}

async fn swapped_ciphertexts_fail_start_up(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_eq!(app.create_account("one").await.status, 201);
    assert_eq!(app.create_account("two").await.status, 201);
    let swap = "UPDATE accounts SET secret_ciphertext = \
                (SELECT secret_ciphertext FROM accounts WHERE name = 'two') WHERE name = 'one'";
    match backend {
        Backend::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&app.db.url()).await.expect("db");
            sqlx::query(swap).execute(&pool).await.expect("swap");
        }
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(&app.db.url()).await.expect("db");
            sqlx::query(swap).execute(&pool).await.expect("swap");
        }
    }
    assert!(Application::build(config_from(&app.vars)).await.is_err());
}

async fn rotating_the_key_re_encrypts_every_token(backend: Backend) {
    let mut app = spawn_app(backend).await;
    assert_eq!(app.create_account("one").await.status, 201);
    assert_eq!(app.create_account("two").await.status, 201);
    app.gateway.stop().await;
    let new_key = "bmV3LWtleS1uZXcta2V5LW5ldy1rZXktbmV3LWtleSE=";
    let mut vars = app.vars.clone();
    vars.remove("TOKEN_ENCRYPTION_KEY");
    vars.insert(
        "TOKEN_ENCRYPTION_KEYS".into(),
        format!("{new_key},{TEST_ENCRYPTION_KEY}"),
    );
    let config = config_from(&vars);
    let store = okta_gateway::store::connect(&config.database_url, 2)
        .await
        .expect("store");
    let summary = rotation::rotate_key(&config, store.as_ref())
        .await
        .expect("rotates");
    assert!(
        summary.contains("re-encrypted 2 account secret(s)"),
        "{summary}"
    );

    assert!(
        Application::build(config_from(&app.vars)).await.is_err(),
        "old key no longer opens"
    );
    vars.remove("TOKEN_ENCRYPTION_KEYS");
    vars.insert("TOKEN_ENCRYPTION_KEY".into(), new_key.into());
    let rotated = Application::build(config_from(&vars))
        .await
        .expect("new key opens");
    let connection = rotated
        .state()
        .accounts
        .connection("two")
        .await
        .expect("decrypts");
    use secrecy::ExposeSecret;
    let okta_gateway::okta::Credentials::ApiToken(token) = &connection.credentials else {
        panic!("an API-token account");
    };
    assert_eq!(token.expose_secret(), app.sim_token);
}

#[tokio::test]
async fn the_rotate_key_command_replaces_the_generated_key_file() {
    let mut app = app(Backend::Sqlite)
        .without("TOKEN_ENCRYPTION_KEY")
        .spawn()
        .await;
    assert_eq!(app.create_account("acme").await.status, 201);
    app.gateway.stop().await;
    let dir = app.db.data_dir().expect("dir");
    let before = std::fs::read_to_string(dir.join(secrets::TOKEN_KEY_FILE)).expect("key");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_okta-gateway"))
        .arg("rotate-key")
        .env_clear()
        .env("DATABASE_URL", app.db.url())
        .env("GATEWAY_ADMIN_KEYS", ADMIN_KEY)
        .env("RUST_LOG", "warn")
        .output()
        .expect("runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("re-encrypted 1 account secret(s)"),
        "{stdout}"
    );
    let after = std::fs::read_to_string(dir.join(secrets::TOKEN_KEY_FILE)).expect("key");
    assert_ne!(before, after);
    assert_eq!(
        after.lines().count(),
        1,
        "the old key is gone once finished"
    );
    let mode = std::fs::metadata(dir.join(secrets::TOKEN_KEY_FILE))
        .expect("meta")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let restarted = Application::build(config_from(&app.vars))
        .await
        .expect("new key file opens");
    assert!(restarted.state().accounts.connection("acme").await.is_ok());
}

#[tokio::test]
async fn the_migrate_command_prepares_an_empty_database() {
    let db = TestDb::new(Backend::Sqlite).await;
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_okta-gateway"))
        .arg("migrate")
        .env_clear()
        .env("DATABASE_URL", db.url())
        .output()
        .expect("runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let pool = sqlx::SqlitePool::connect(&db.url()).await.expect("db");
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts")
        .fetch_one(&pool)
        .await
        .expect("table exists");
    assert_eq!(count, 0);
}

#[tokio::test]
async fn invalid_configuration_fails_fast_naming_the_variable() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_okta-gateway"))
        .env_clear()
        .env("BIND_ADDR", "not-an-address")
        .output()
        .expect("runs");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("BIND_ADDR"));
}

async fn in_flight_requests_complete_on_shutdown(backend: Backend) {
    let mut app = spawn_app(backend).await;
    app.sim.handle().inject(Fault {
        method: Some("GET".into()),
        path: "/api/v1/users/me".into(),
        count: 1,
        kind: FaultKind::Latency { ms: 700 },
    });
    let request = app
        .http
        .post(app.url("/accounts"))
        .bearer_auth(ADMIN_KEY)
        .json(&app.account_body("acme"))
        .send();
    let pending = async move { TestResponse::read(request.await.expect("answered")).await };
    let stop = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        app.gateway.stop().await;
    };
    let (response, ()) = tokio::join!(pending, stop);
    assert_eq!(response.status, 201, "{}", response.text);
}

async fn requests_past_the_concurrency_limit_are_shed(backend: Backend) {
    let app = app(backend)
        .var("MAX_CONCURRENT_REQUESTS", "1")
        .spawn()
        .await;
    app.sim.handle().inject(Fault {
        method: Some("GET".into()),
        path: "/api/v1/users/me".into(),
        count: 1,
        kind: FaultKind::Latency { ms: 800 },
    });
    let slow = app.create_account("acme");
    let shed = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        app.admin(Method::GET, "/accounts", None).await
    };
    let (slow, shed) = tokio::join!(slow, shed);
    assert_eq!(slow.status, 201);
    assert_eq!(shed.assert_error("SERVICE_UNAVAILABLE", 503)["code"], 9107);
}

async fn slow_request_headers_are_cut_off(backend: Backend) {
    let app = app(backend)
        .var("HEADER_READ_TIMEOUT_MS", "300")
        .spawn()
        .await;
    let mut stream = tokio::net::TcpStream::connect(app.gateway.addr)
        .await
        .expect("connect");
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("write");
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "the server closed the connection");
    assert!(!String::from_utf8_lossy(&buf).contains("200 OK"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_outage_answers_503_and_recovers_without_a_restart() {
    if !crate::helpers::postgres_available().await {
        return;
    }
    let proxy = DbProxy::start(postgres_addr()).await;
    let app = app(Backend::Postgres).db_through(proxy.port).spawn().await;
    assert_eq!(app.create_account("acme").await.status, 201);

    proxy.cut();
    let down = app.admin(Method::GET, "/accounts", None).await;
    assert_eq!(down.assert_error("SERVICE_UNAVAILABLE", 503)["code"], 9107);
    let ready = app.call(Method::GET, "/readyz", None, None).await;
    ready.assert_error("SERVICE_UNAVAILABLE", 503);
    assert_eq!(
        app.call(Method::GET, "/healthz", None, None).await.status,
        200
    );

    proxy.restore();
    let up = app.admin(Method::GET, "/accounts", None).await;
    assert_eq!(up.status, 200, "{}", up.text);
    assert_eq!(up.json.as_array().map(Vec::len), Some(1));
    assert_eq!(
        app.call(Method::GET, "/readyz", None, None).await.status,
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_gateway_processes_sharing_postgres_hold_the_account_cap() {
    if !crate::helpers::postgres_available().await {
        return;
    }
    let db = TestDb::new(Backend::Postgres).await;
    // Migrate once up front; both processes then start against the same schema.
    okta_gateway::store::connect(&db.url(), 1)
        .await
        .expect("migrated");
    let url = db.url();
    let (a, b) = tokio::join!(
        GatewayProcess::start(&url, &[]),
        GatewayProcess::start(&url, &[])
    );
    let sim = okta_sim::OktaSim::start(okta_sim::SimConfig::default())
        .await
        .expect("sim");
    let client = crate::helpers::client();
    for round in 0..5 {
        let creates = (0..30).map(|i| {
            let base = if i % 2 == 0 { &a.base } else { &b.base };
            let request = client
                .post(format!("{base}/accounts"))
                .bearer_auth(ADMIN_KEY)
                .json(&json!({
                    "name": format!("r{round}_p{i}"),
                    "domain": sim.base_url(),
                    "apiToken": okta_sim::SimConfig::default().token,
                }))
                .send();
            async move { TestResponse::read(request.await.expect("sent")).await }
        });
        let responses = futures::future::join_all(creates).await;
        let created = responses.iter().filter(|r| r.status == 201).count();
        let refused = responses
            .iter()
            .filter(|r| r.status == 409 && r.json["error"]["status"] == "ACCOUNT_LIMIT_REACHED")
            .count();
        assert_eq!((created, refused), (15, 15), "round {round}");
        let list = TestResponse::read(
            client
                .get(format!("{}/accounts", a.base))
                .bearer_auth(ADMIN_KEY)
                .send()
                .await
                .expect("sent"),
        )
        .await;
        for account in list.json.as_array().expect("array") {
            let name = account["name"].as_str().expect("name");
            let deleted = client
                .delete(format!("{}/accounts/{name}", b.base))
                .bearer_auth(ADMIN_KEY)
                .send()
                .await
                .expect("sent");
            assert_eq!(deleted.status(), 204);
        }
    }
    drop((a.child, b.child));
}

backend_tests!(
    a_wrong_encryption_key_fails_start_up,
    swapped_ciphertexts_fail_start_up,
    rotating_the_key_re_encrypts_every_token,
    in_flight_requests_complete_on_shutdown,
    requests_past_the_concurrency_limit_are_shed,
    slow_request_headers_are_cut_off,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_healthcheck_command_reports_readiness() {
    let app = spawn_app(Backend::Sqlite).await;
    let run = |addr: String| {
        std::process::Command::new(env!("CARGO_BIN_EXE_okta-gateway"))
            .arg("healthcheck")
            .env_clear()
            .env("BIND_ADDR", addr)
            .output()
            .expect("runs")
    };
    let ready = run(app.gateway.addr.to_string());
    assert!(
        ready.status.success(),
        "{}",
        String::from_utf8_lossy(&ready.stderr)
    );
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    assert!(!run(format!("127.0.0.1:{port}")).status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_carry_the_request_context_and_no_secrets() {
    let db = TestDb::new(Backend::Sqlite).await;
    let gateway = GatewayProcess::start(&db.url(), &[]).await;
    let sim = okta_sim::OktaSim::start(okta_sim::SimConfig::default())
        .await
        .expect("sim");
    let token = okta_sim::SimConfig::default().token;
    let client = crate::helpers::client();
    let created = client
        .post(format!("{}/accounts", gateway.base))
        .bearer_auth(ADMIN_KEY)
        .header("x-request-id", "flow-7.node-3")
        .json(&json!({"name": "acme", "domain": sim.base_url(), "apiToken": token}))
        .send()
        .await
        .expect("sent");
    assert_eq!(created.status(), 201);
    let suspended = client
        .post(format!(
            "{}/accounts/acme/actions/suspend_user",
            gateway.base
        ))
        .bearer_auth(crate::helpers::ACTION_KEY)
        .json(&json!({"userId": okta_sim::demo::JORDAN_ID}))
        .send()
        .await
        .expect("sent");
    assert_eq!(suspended.status(), 200);
    let okta_request_id = sim
        .handle()
        .requests()
        .pop()
        .map(|r| r.request_id)
        .expect("okta-sim's request id");
    // Let the log lines arrive.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let log: Vec<serde_json::Value> = gateway
        .log()
        .iter()
        .map(|line| {
            serde_json::from_str(line)
                .unwrap_or_else(|_| panic!("a log line that is not JSON: {line}"))
        })
        .collect();

    let request = log
        .iter()
        .find(|e| e["message"] == "request" && e["route"] == "/accounts")
        .expect("the create's request line");
    assert_eq!(request["span"]["request_id"], "flow-7.node-3", "{request}");
    assert_eq!(request["status"], 201);
    assert_eq!(request["method"], "POST");
    assert!(request["latency_ms"].is_number());
    assert_eq!(
        request["key"],
        okta_gateway::auth::key_hash(ADMIN_KEY).0,
        "keys appear only as their hash"
    );
    let action = log
        .iter()
        .find(|e| e["message"] == "request" && e["action"] == "suspend_user")
        .expect("the action's request line");
    assert_eq!(action["account"], "acme");
    assert_eq!(action["okta_request_id"], okta_request_id);
    assert_eq!(action["status"], 200);
    let audit = log
        .iter()
        .find(|e| e["target"] == "okta_gateway::audit")
        .expect("the audit line");
    assert_eq!(audit["outcome"], "success");
    assert_eq!(audit["okta_request_ids"], okta_request_id);

    let text = serde_json::to_string(&log).expect("json");
    for secret in [token.as_str(), ADMIN_KEY, crate::helpers::ACTION_KEY] {
        assert!(!text.contains(secret), "a log line holds a secret");
    }
    drop(gateway.child);
}
