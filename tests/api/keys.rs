//! Token encryption key rings: online rotation on a fleet, key checks, the database lock of
//! the embedded default, and which gateway keys each backend requires.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use okta_gateway::crypto::{TokenCipher, key_id_of};
use okta_gateway::startup::Application;
use okta_gateway::{rotation, secrets};
use okta_sim::demo;
use reqwest::Method;
use serde_json::json;

use crate::backend_tests;
use crate::helpers::{
    ACTION_KEY, ADMIN_KEY, Backend, RunningGateway, TEST_ENCRYPTION_KEY, TestApp, TestDb,
    TestResponse, app, base_vars, captured_logs, config_from, spawn_app,
};
use crate::process::GatewayProcess;
use crate::service_app_keys::{CLIENT, EC_A};

/// Keys besides the helpers' `TEST_ENCRYPTION_KEY` (base64 of 32 bytes each).
const SECOND_KEY: &str = "bmV3LWtleS1uZXcta2V5LW5ldy1rZXktbmV3LWtleSE=";
const STRANGER_KEY: &str = "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=";

fn key_id(key: &str) -> String {
    TokenCipher::from_base64(key)
        .expect("valid key")
        .key_id_hex()
}

/// The stored ciphertext of every account, by name.
async fn ciphertexts(app: &TestApp) -> BTreeMap<String, Vec<u8>> {
    let query = "SELECT name, secret_ciphertext FROM accounts";
    let rows: Vec<(String, Vec<u8>)> = if app.vars["DATABASE_URL"].starts_with("postgres") {
        let pool = sqlx::PgPool::connect(&app.db.url()).await.expect("db");
        sqlx::query_as(query).fetch_all(&pool).await.expect("rows")
    } else {
        let pool = sqlx::SqlitePool::connect(&app.db.url()).await.expect("db");
        sqlx::query_as(query).fetch_all(&pool).await.expect("rows")
    };
    rows.into_iter().collect()
}

fn key_ids(rows: &BTreeMap<String, Vec<u8>>) -> Vec<String> {
    rows.values()
        .map(|c| key_id_of(c).expect("a ciphertext of ours"))
        .collect()
}

/// Vars for a gateway on `app`'s database with this key ring.
fn with_ring(app: &TestApp, ring: &str) -> HashMap<String, String> {
    let mut vars = app.vars.clone();
    vars.remove("TOKEN_ENCRYPTION_KEY");
    vars.insert("TOKEN_ENCRYPTION_KEYS".into(), ring.into());
    vars
}

async fn get_user(client: &reqwest::Client, addr: SocketAddr, account: &str) -> TestResponse {
    let response = client
        .post(format!("http://{addr}/accounts/{account}/actions/get_user"))
        .bearer_auth(ACTION_KEY)
        .json(&json!({"searchBy": "id", "searchValue": demo::JORDAN_ID}))
        .send()
        .await
        .expect("sent");
    TestResponse::read(response).await
}

/// Run `okta-gateway rotate-key` as its own process against `app`'s database.
async fn rotate_key_command(app: &TestApp, ring: Option<&str>) -> std::process::Output {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_okta-gateway"));
    command
        .arg("rotate-key")
        .env_clear()
        .env("DATABASE_URL", &app.vars["DATABASE_URL"])
        .env("RUST_LOG", "warn");
    if let Some(ring) = ring {
        command.env("TOKEN_ENCRYPTION_KEYS", ring);
    }
    command.output().await.expect("rotate-key runs")
}

/// Gateway processes behind a stand-in load balancer: a stream of requests goes round-robin
/// to the gateways in rotation, and a gateway leaves the rotation (draining) before it stops.
struct Fleet {
    live: Arc<Mutex<Vec<SocketAddr>>>,
    gateways: Vec<Option<GatewayProcess>>,
    /// The log lines of every stopped gateway.
    logs: Vec<String>,
}

impl Fleet {
    async fn start(vars: &HashMap<String, String>, size: usize) -> Fleet {
        let mut gateways = Vec::new();
        for _ in 0..size {
            gateways.push(Some(GatewayProcess::spawn(vars).await));
        }
        let live = gateways.iter().flatten().map(|g| g.addr).collect();
        Fleet {
            live: Arc::new(Mutex::new(live)),
            gateways,
            logs: Vec::new(),
        }
    }

    async fn restart(&mut self, slot: usize, vars: &HashMap<String, String>) {
        let old = self.gateways[slot].take().expect("running");
        self.live.lock().expect("lock").retain(|a| *a != old.addr);
        // Requests already sent finish (graceful shutdown); none is sent after the drain.
        tokio::time::sleep(Duration::from_millis(300)).await;
        self.logs.extend(old.stop().await);
        let fresh = GatewayProcess::spawn(vars).await;
        self.live.lock().expect("lock").push(fresh.addr);
        self.gateways[slot] = Some(fresh);
    }

    async fn stop(mut self) -> Vec<String> {
        for gateway in self.gateways.iter_mut().filter_map(Option::take) {
            self.logs.extend(gateway.stop().await);
        }
        self.logs
    }
}

/// A stream of requests: mostly actions, and while `writes` is on, every fifth request
/// stores the token of one of the first two accounts again (so gateways write under their
/// current key throughout, and the other accounts wait for rotate-key).
/// Counts what succeeded and keeps every failure.
#[derive(Clone, Default)]
struct Stream {
    done: Arc<AtomicUsize>,
    failures: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    stopped: Arc<AtomicBool>,
    writes: Arc<AtomicBool>,
}

impl Stream {
    fn start(live: Arc<Mutex<Vec<SocketAddr>>>, accounts: Vec<String>, token: String) -> Stream {
        let stream = Stream::default();
        stream.writes.store(true, Ordering::Release);
        let this = stream.clone();
        tokio::spawn(async move {
            let client = crate::helpers::client();
            let mut turn = 0usize;
            while !this.stop.load(Ordering::Acquire) {
                let addr = {
                    let live = live.lock().expect("lock");
                    live[turn % live.len()]
                };
                let write = turn % 5 == 4 && this.writes.load(Ordering::Acquire);
                let account = &accounts[turn % if write { 2 } else { accounts.len() }];
                let request = if write {
                    client
                        .put(format!("http://{addr}/accounts/{account}"))
                        .bearer_auth(ADMIN_KEY)
                        .json(&json!({"apiToken": token}))
                } else {
                    client
                        .post(format!("http://{addr}/accounts/{account}/actions/get_user"))
                        .bearer_auth(ACTION_KEY)
                        .json(&json!({"searchBy": "id", "searchValue": demo::JORDAN_ID}))
                };
                let sent = request.send().await;
                let failure = match sent {
                    Ok(response) if response.status() == 200 => None,
                    Ok(response) => {
                        let response = TestResponse::read(response).await;
                        Some(format!("{} {}", response.status, response.text))
                    }
                    Err(err) => Some(format!("not answered: {err}")),
                };
                match failure {
                    None => {
                        this.done.fetch_add(1, Ordering::AcqRel);
                    }
                    Some(failure) => this
                        .failures
                        .lock()
                        .expect("lock")
                        .push(format!("{addr} {account}: {failure}")),
                }
                turn += 1;
            }
            this.stopped.store(true, Ordering::Release);
        });
        stream
    }

    /// Stop after the request in flight; returns every failure.
    async fn finish(&self) -> Vec<String> {
        self.stop.store(true, Ordering::Release);
        while !self.stopped.load(Ordering::Acquire) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.failures.lock().expect("lock").clone()
    }

    /// Wait until the stream has completed `count` more actions.
    async fn progress(&self, count: usize) {
        let target = self.done.load(Ordering::Acquire) + count;
        tokio::time::timeout(Duration::from_secs(30), async {
            while self.done.load(Ordering::Acquire) < target {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .expect("the stream of actions keeps flowing");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fleet_rotates_its_key_while_serving_without_a_single_failed_action() {
    if !crate::helpers::postgres_available().await {
        return;
    }
    let (old, new) = (TEST_ENCRYPTION_KEY, SECOND_KEY);
    let (old_id, new_id) = (key_id(old), key_id(new));
    let mut setup = app(Backend::Postgres).spawn().await;
    let accounts: Vec<String> = (1..=7).map(|i| format!("org_{i}")).collect();
    for name in &accounts[..6] {
        assert_eq!(setup.create_account(name).await.status, 201);
    }
    // The last connects with a service app: its private key is rotated like the tokens.
    setup
        .sim
        .handle()
        .add_oauth_client(EC_A.seed(CLIENT, &["okta.users.read"]))
        .expect("registered");
    let service_app = json!({
        "name": accounts[6],
        "domain": setup.sim.base_url(),
        "oauth": EC_A.account_oauth(CLIENT, &["okta.users.read"]),
    });
    let connected = setup
        .admin(Method::POST, "/accounts", Some(service_app))
        .await;
    assert_eq!(connected.status, 201, "{}", connected.text);
    setup.gateway.stop().await;

    let mut fleet = Fleet::start(&setup.vars, 2).await;
    let stream = Stream::start(
        fleet.live.clone(),
        accounts.clone(),
        setup.sim_token.clone(),
    );
    stream.progress(20).await;

    // The new key reaches one ring only: rotate-key is refused and changes nothing (token
    // writes paused meanwhile, so any change would be rotate-key's).
    fleet
        .restart(0, &with_ring(&setup, &format!("{old},{new}")))
        .await;
    stream.progress(20).await;
    stream.writes.store(false, Ordering::Release);
    stream.progress(10).await;
    let before = ciphertexts(&setup).await;
    let early = rotate_key_command(&setup, Some(&format!("{new},{old}"))).await;
    let stderr = String::from_utf8_lossy(&early.stderr);
    assert!(
        !early.status.success(),
        "rotate-key run too early succeeded"
    );
    assert!(
        stderr.contains(&format!("lacks key id {new_id}")),
        "{stderr}"
    );
    assert!(stderr.contains("Nothing was changed"), "{stderr}");
    assert_eq!(ciphertexts(&setup).await, before, "no row changed");
    assert!(key_ids(&before).iter().all(|id| *id == old_id));
    stream.writes.store(true, Ordering::Release);
    stream.progress(20).await;

    // 1. The new key in every ring; 2. made first everywhere.
    fleet
        .restart(1, &with_ring(&setup, &format!("{old},{new}")))
        .await;
    stream.progress(20).await;
    for slot in 0..2 {
        fleet
            .restart(slot, &with_ring(&setup, &format!("{new},{old}")))
            .await;
        stream.progress(20).await;
    }

    // 3. rotate-key, while the gateways serve (their caches see the rows change).
    let rotated = rotate_key_command(&setup, Some(&format!("{new},{old}"))).await;
    assert!(
        rotated.status.success(),
        "{}",
        String::from_utf8_lossy(&rotated.stderr)
    );
    let stdout = String::from_utf8_lossy(&rotated.stdout);
    let count: usize = stdout
        .strip_prefix("re-encrypted ")
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_default();
    assert!(
        count >= 5 && stdout.contains(&format!("account secret(s) to key id {new_id}")),
        "the five accounts the stream never writes, at least: {stdout}"
    );
    let after = ciphertexts(&setup).await;
    assert!(
        key_ids(&after).iter().all(|id| *id == new_id),
        "every row under the new key"
    );
    stream.progress(40).await;

    // 4. The old key leaves every ring.
    for slot in 0..2 {
        fleet.restart(slot, &with_ring(&setup, new)).await;
        stream.progress(20).await;
    }
    // A gateway still holding only the old key now refuses to start.
    let err = Application::build(config_from(&setup.vars))
        .await
        .err()
        .expect("the old key alone no longer starts");
    assert!(err.to_string().contains("does not open"), "{err:#}");

    let failures = stream.finish().await;
    let logs = fleet.stop().await;
    assert_eq!(failures, Vec::<String>::new());
    assert!(logs.iter().any(|l| l.contains("shutting down")));
    assert!(
        !logs.iter().any(|l| l.contains("panicked")),
        "no gateway panicked"
    );
    assert!(stream.done.load(Ordering::Acquire) >= 220);
}

/// A second gateway on the same database writes a token under a key the first lacks (the
/// procedure's first step skipped): the first answers 503, and refuses to start again.
async fn meet_a_token_under_a_missing_key(backend: Backend) -> (TestResponse, String) {
    let app = spawn_app(backend).await;
    assert_eq!(app.create_account("acme").await.status, 201);
    let newer = RunningGateway::start(config_from(&with_ring(
        &app,
        &format!("{SECOND_KEY},{TEST_ENCRYPTION_KEY}"),
    )))
    .await
    .expect("a gateway with both keys starts");
    let fresh_token = "00fresh-token-under-the-new-key";
    app.sim
        .handle()
        .add_token(fresh_token, okta_sim::AdminRole::SuperAdmin);
    let put = app
        .http
        .put(format!("http://{}/accounts/acme", newer.addr))
        .bearer_auth(ADMIN_KEY)
        .json(&json!({"apiToken": fresh_token}))
        .send()
        .await
        .expect("sent");
    assert_eq!(put.status(), 200);
    // Postgres: the change feed drops any cached copy within a second.
    tokio::time::sleep(Duration::from_millis(1300)).await;

    let refused = get_user(&app.http, app.gateway.addr, "acme").await;
    let restart = Application::build(config_from(&app.vars))
        .await
        .err()
        .expect("refuses to start");
    (refused, format!("{restart:#}"))
}

fn a_gateway_lacking_a_tokens_key_answers_503_logs_the_key_and_refuses_to_restart(
    backend: Backend,
) {
    let (logs, outcome) = captured_logs(false, || async move {
        if backend == Backend::Postgres && !crate::helpers::postgres_available().await {
            return None;
        }
        Some(meet_a_token_under_a_missing_key(backend).await)
    });
    let Some((refused, restart)) = outcome else {
        return;
    };
    let error = refused.assert_error("SERVICE_UNAVAILABLE", 503);
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("key this gateway does not hold")),
        "{}",
        refused.text
    );
    assert_eq!(error["details"]["retryAfter"], 30);
    assert_eq!(
        refused
            .headers
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("30")
    );
    let needed = key_id(SECOND_KEY);
    assert!(
        logs.lines()
            .any(|l| l.contains("request failed") && l.contains(&format!("key id {needed}"))),
        "the log names the key id the gateway needs"
    );
    assert!(
        restart.contains(&format!("1 under key id {needed}")),
        "{restart}"
    );
    for key in [SECOND_KEY, TEST_ENCRYPTION_KEY] {
        assert!(!logs.contains(key) && !restart.contains(key));
    }
}

mod missing_key {
    use super::*;

    #[test]
    fn sqlite_a_gateway_lacking_a_tokens_key_answers_503_logs_the_key_and_refuses_to_restart() {
        a_gateway_lacking_a_tokens_key_answers_503_logs_the_key_and_refuses_to_restart(
            Backend::Sqlite,
        );
    }

    #[test]
    fn postgres_a_gateway_lacking_a_tokens_key_answers_503_logs_the_key_and_refuses_to_restart() {
        a_gateway_lacking_a_tokens_key_answers_503_logs_the_key_and_refuses_to_restart(
            Backend::Postgres,
        );
    }
}

async fn a_gateway_with_other_keys_refuses_to_start_even_without_accounts(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_eq!(
        app.admin(Method::GET, "/accounts", None).await.json,
        json!([])
    );
    let stranger = with_ring(&app, STRANGER_KEY);
    let err = Application::build(config_from(&stranger))
        .await
        .err()
        .expect("refuses to start");
    let text = format!("{err:#}");
    assert!(
        text.contains(&format!(
            "does not open the database's key check for key id {}",
            key_id(TEST_ENCRYPTION_KEY)
        )),
        "{text}"
    );
    assert!(!text.contains(STRANGER_KEY) && !text.contains(TEST_ENCRYPTION_KEY));
    // The refused gateway left nothing behind: the fleet's own key still starts.
    Application::build(config_from(&app.vars))
        .await
        .expect("the fleet's key starts");
}

backend_tests!(a_gateway_with_other_keys_refuses_to_start_even_without_accounts);

#[tokio::test]
async fn rotate_key_refuses_while_a_gateway_holds_the_embedded_database() {
    let mut app = app(Backend::Sqlite)
        .without("TOKEN_ENCRYPTION_KEY")
        .spawn()
        .await;
    assert_eq!(app.create_account("acme").await.status, 201);
    let dir = app.db.data_dir().expect("dir");
    let key_file = std::fs::read_to_string(dir.join(secrets::TOKEN_KEY_FILE)).expect("key");
    let rows = ciphertexts(&app).await;

    let refused = rotate_key_command(&app, None).await;
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("a gateway is running on this database"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join(secrets::TOKEN_KEY_FILE)).expect("key"),
        key_file
    );
    assert_eq!(ciphertexts(&app).await, rows);

    // The one-shot variable of earlier versions is refused, not ignored.
    app.gateway.stop().await;
    let old_style = tokio::process::Command::new(env!("CARGO_BIN_EXE_okta-gateway"))
        .arg("rotate-key")
        .env_clear()
        .env("DATABASE_URL", app.db.url())
        .env("NEW_TOKEN_ENCRYPTION_KEY", SECOND_KEY)
        .output()
        .await
        .expect("runs");
    assert!(!old_style.status.success());
    assert!(String::from_utf8_lossy(&old_style.stderr).contains("TOKEN_ENCRYPTION_KEYS"));

    // And while rotate-key holds the database, a gateway does not start.
    let config = config_from(&app.vars);
    let held = secrets::lock_for_rotation(&config).expect("no gateway runs now");
    let err = Application::build(config.clone())
        .await
        .err()
        .expect("refuses to start");
    assert!(
        err.to_string().contains("rotate-key` is running"),
        "{err:#}"
    );
    drop(held);
    Application::build(config).await.expect("starts afterwards");
}

#[tokio::test]
async fn an_interrupted_rotation_keeps_both_keys_in_the_file_and_the_next_run_finishes_it() {
    let mut app = app(Backend::Sqlite)
        .without("TOKEN_ENCRYPTION_KEY")
        .spawn()
        .await;
    // One more account than a batch, the last one made to fail.
    let names = ["a", "b", "c", "d", "e", "f"];
    assert!(names.len() as u32 > rotation::BATCH_SIZE);
    for name in names {
        assert_eq!(app.create_account(name).await.status, 201);
    }
    app.gateway.stop().await;
    let dir = app.db.data_dir().expect("dir");
    let key_path = dir.join(secrets::TOKEN_KEY_FILE);
    let old_key = std::fs::read_to_string(&key_path).expect("key");
    let pool = sqlx::SqlitePool::connect(&app.db.url()).await.expect("db");
    sqlx::query(
        "CREATE TRIGGER fail_f BEFORE UPDATE OF secret_ciphertext ON accounts \
         WHEN NEW.name = 'f' BEGIN SELECT RAISE(ABORT, 'simulated crash'); END",
    )
    .execute(&pool)
    .await
    .expect("trigger");

    let interrupted = rotate_key_command(&app, None).await;
    assert!(!interrupted.status.success());
    let both = std::fs::read_to_string(&key_path).expect("key");
    let lines: Vec<&str> = both.lines().collect();
    assert_eq!(lines.len(), 2, "the new key first, the old one kept");
    assert_eq!(lines[1], old_key.trim());
    let new_key = lines[0].to_owned();
    let mixed = key_ids(&ciphertexts(&app).await);
    assert_eq!(
        mixed.iter().filter(|id| **id == key_id(&new_key)).count(),
        5
    );

    // Mixed rows serve: the file's ring opens both keys.
    let gateway = RunningGateway::start(config_from(&app.vars))
        .await
        .expect("starts on the mixed database");
    for name in ["a", "f"] {
        assert_eq!(get_user(&app.http, gateway.addr, name).await.status, 200);
    }
    let mut gateway = gateway;
    gateway.stop().await;

    sqlx::query("DROP TRIGGER fail_f")
        .execute(&pool)
        .await
        .expect("drop");
    let finished = rotate_key_command(&app, None).await;
    assert!(
        finished.status.success(),
        "{}",
        String::from_utf8_lossy(&finished.stderr)
    );
    assert!(String::from_utf8_lossy(&finished.stdout).contains("re-encrypted 1 account secret(s)"));
    assert_eq!(
        std::fs::read_to_string(&key_path).expect("key").trim(),
        new_key,
        "no further key was generated; the old one is gone"
    );
    let rows = key_ids(&ciphertexts(&app).await);
    assert!(rows.iter().all(|id| *id == key_id(&new_key)));
}

#[tokio::test]
async fn with_sqlite_action_keys_alone_still_get_a_generated_admin_key() {
    let db = TestDb::new(Backend::Sqlite).await;
    let mut vars = base_vars(&db.url());
    vars.remove("GATEWAY_ADMIN_KEYS");
    let gateway = RunningGateway::start(config_from(&vars))
        .await
        .expect("starts");
    let dir = db.data_dir().expect("dir");
    let admin_key =
        std::fs::read_to_string(dir.join(secrets::ADMIN_KEY_FILE)).expect("admin key generated");
    let client = crate::helpers::client();
    let listed = client
        .get(format!("http://{}/accounts", gateway.addr))
        .bearer_auth(admin_key.trim())
        .send()
        .await
        .expect("sent");
    assert_eq!(listed.status(), 200);
    let catalog = client
        .get(format!("http://{}/actions", gateway.addr))
        .bearer_auth(ACTION_KEY)
        .send()
        .await
        .expect("sent");
    assert_eq!(catalog.status(), 200, "the configured action key works");
}

#[tokio::test]
async fn with_postgres_action_keys_alone_refuse_to_start_naming_gateway_admin_keys() {
    if !crate::helpers::postgres_available().await {
        return;
    }
    let db = TestDb::new(Backend::Postgres).await;
    let mut vars = base_vars(&db.url());
    vars.remove("GATEWAY_ADMIN_KEYS");
    let err = Application::build(config_from(&vars))
        .await
        .err()
        .expect("refuses to start");
    assert!(
        err.to_string()
            .contains("GATEWAY_ADMIN_KEYS is required with Postgres"),
        "{err:#}"
    );
}
