//! Database faults answer 503 SERVICE_UNAVAILABLE with `Retry-After`, never 500, and nothing
//! is reported stored that is not: SQLite locked past the busy timeout or removed under the
//! gateway; Postgres refusing, resetting or stalling connections, dropped, or at its
//! connection limit (class 53).

use std::net::SocketAddr;
use std::str::FromStr;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;
use sqlx::{ConnectOptions, Connection};
use tokio::net::{TcpListener, TcpStream};

use super::{GatewayProcess, assert_unavailable};
use crate::helpers::{Backend, TestDb, postgres_addr, postgres_admin_url, postgres_available};

fn account(name: &str) -> serde_json::Value {
    json!({"name": name, "domain": "https://dev-1.okta.com",
           "apiToken": "00fake-token-0123456789", "verify": false})
}

/// Every write an admin can make, each expected to fail the same way.
async fn assert_writes_unavailable(gateway: &GatewayProcess) {
    assert_unavailable(
        &gateway
            .call(Method::POST, "/accounts", Some(account("second")))
            .await,
    );
    assert_unavailable(
        &gateway
            .call(
                Method::PUT,
                "/accounts/first",
                Some(json!({"domain": "https://dev-1.okta.com"})),
            )
            .await,
    );
    assert_unavailable(&gateway.call(Method::DELETE, "/accounts/first", None).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_file_locked_past_the_busy_timeout_answers_503() {
    let db = TestDb::new(Backend::Sqlite).await;
    let mut gateway = GatewayProcess::start(&db.url(), &[("DB_BUSY_TIMEOUT_MS", "300")]).await;
    let created = gateway
        .call(Method::POST, "/accounts", Some(account("first")))
        .await;
    assert_eq!(created.status, 201, "{}", created.text);

    // Another process's writer holds the write lock.
    let mut holder = sqlx::sqlite::SqliteConnectOptions::from_str(&db.url())
        .expect("url")
        .connect()
        .await
        .expect("second connection");
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut holder)
        .await
        .expect("lock");
    let started = Instant::now();
    assert_writes_unavailable(&gateway).await;
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(gateway.count_accounts().await, 1, "reads still work");

    sqlx::query("ROLLBACK")
        .execute(&mut holder)
        .await
        .expect("unlock");
    holder.close().await.expect("close");
    let created = gateway
        .call(Method::POST, "/accounts", Some(account("second")))
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(gateway.count_accounts().await, 2);
    gateway.assert_no_panic();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_sqlite_file_fails_writes_and_readiness_instead_of_losing_them() {
    let db = TestDb::new(Backend::Sqlite).await;
    let mut gateway = GatewayProcess::start(&db.url(), &[]).await;
    let created = gateway
        .call(Method::POST, "/accounts", Some(account("first")))
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(gateway.call(Method::GET, "/readyz", None).await.status, 200);
    let path = db.data_dir().expect("dir").join("gateway.db");

    std::fs::remove_file(&path).expect("remove the database file");

    assert_writes_unavailable(&gateway).await;
    assert_unavailable(&gateway.call(Method::GET, "/readyz", None).await);
    assert_eq!(
        gateway.call(Method::GET, "/healthz", None).await.status,
        200,
        "the process itself is alive"
    );
    assert_eq!(
        gateway.count_accounts().await,
        1,
        "nothing was added or removed"
    );

    // A different file at the path is not the opened one either.
    std::fs::write(&path, b"").expect("a new file");
    assert_writes_unavailable(&gateway).await;
    assert_unavailable(&gateway.call(Method::GET, "/readyz", None).await);
    gateway.assert_no_panic();
}

/// How the proxy in front of Postgres behaves, for open and new connections alike.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    Pass,
    /// Connections are closed (new ones before Postgres says a word).
    Refuse,
    /// Connections are reset (RST).
    Reset,
    /// Connections stay open but nothing is forwarded.
    Stall,
}

/// A TCP proxy to Postgres on 127.0.0.1 whose behaviour the test switches.
struct FaultProxy {
    port: u16,
    mode: tokio::sync::watch::Sender<Mode>,
}

impl FaultProxy {
    async fn start(upstream: SocketAddr) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("binds");
        let port = listener.local_addr().expect("addr").port();
        let (mode, watch) = tokio::sync::watch::channel(Mode::Pass);
        tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                tokio::spawn(relay(inbound, upstream, watch.clone()));
            }
        });
        FaultProxy { port, mode }
    }

    fn set(&self, mode: Mode) {
        self.mode.send_replace(mode);
    }
}

/// Forward one connection while the mode passes; then close, reset or hold it.
async fn relay(
    mut inbound: TcpStream,
    upstream: SocketAddr,
    mut mode: tokio::sync::watch::Receiver<Mode>,
) {
    let current = *mode.borrow_and_update();
    let current = if current == Mode::Pass {
        let Ok(mut outbound) = TcpStream::connect(upstream).await else {
            return;
        };
        tokio::select! {
            _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => return,
            changed = mode.changed() => match changed {
                Ok(()) => *mode.borrow(),
                Err(_) => return,
            },
        }
    } else {
        current
    };
    match current {
        Mode::Pass | Mode::Refuse => {}
        Mode::Reset => {
            let _ = inbound.set_zero_linger();
        }
        Mode::Stall => {
            // Held (with Postgres' side, if any, dropped) until the mode changes again.
            let _ = tokio::time::timeout(Duration::from_secs(30), mode.changed()).await;
        }
    }
}

/// Poll until the gateway serves again (recovery after a fault is asynchronous).
async fn until_ready(gateway: &GatewayProcess) {
    let deadline = Instant::now() + Duration::from_secs(8);
    loop {
        let ready = gateway.call(Method::GET, "/readyz", None).await;
        if ready.status == 200 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "never ready again: {}",
            ready.text
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// One Postgres fault through the proxy: writes, reads and readiness answer 503 while it
/// lasts; afterwards the gateway serves again with every account.
async fn through_a_faulty_proxy(mode: Mode) {
    if !postgres_available().await {
        return;
    }
    let db = TestDb::new(Backend::Postgres).await;
    let proxy = FaultProxy::start(postgres_addr()).await;
    let mut gateway = GatewayProcess::start(
        &db.url_via(Some(proxy.port)),
        &[
            ("DB_POOL_SIZE", "2"),
            ("ACTION_DEADLINE_MS", "1000"),
            ("REQUEST_TIMEOUT_MS", "2000"),
        ],
    )
    .await;
    let created = gateway
        .call(Method::POST, "/accounts", Some(account("first")))
        .await;
    assert_eq!(created.status, 201, "{}", created.text);

    proxy.set(mode);
    let started = Instant::now();
    assert_unavailable(
        &gateway
            .call(Method::POST, "/accounts", Some(account("second")))
            .await,
    );
    assert_unavailable(&gateway.call(Method::GET, "/readyz", None).await);
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{mode:?}: {:?}",
        started.elapsed()
    );

    proxy.set(Mode::Pass);
    until_ready(&gateway).await;
    assert_eq!(gateway.count_accounts().await, 1, "{mode:?}: nothing lost");
    gateway.assert_no_panic();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_refusing_connections_answers_503_and_loses_nothing() {
    through_a_faulty_proxy(Mode::Refuse).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_resetting_connections_answers_503_and_loses_nothing() {
    through_a_faulty_proxy(Mode::Reset).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stalling_answers_503_and_loses_nothing() {
    through_a_faulty_proxy(Mode::Stall).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_postgres_database_answers_503() {
    if !postgres_available().await {
        return;
    }
    let db = TestDb::new(Backend::Postgres).await;
    let mut gateway = GatewayProcess::start(&db.url(), &[("DB_POOL_SIZE", "2")]).await;
    let created = gateway
        .call(Method::POST, "/accounts", Some(account("first")))
        .await;
    assert_eq!(created.status, 201, "{}", created.text);

    let TestDb::Postgres { name } = &db else {
        unreachable!("a Postgres database")
    };
    let admin = sqlx::PgPool::connect(&postgres_admin_url())
        .await
        .expect("admin");
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE \"{name}\" WITH (FORCE)"
    )))
    .execute(&admin)
    .await
    .expect("drop");
    admin.close().await;

    for _ in 0..3 {
        assert_unavailable(&gateway.call(Method::GET, "/accounts", None).await);
    }
    assert_writes_unavailable(&gateway).await;
    assert_unavailable(&gateway.call(Method::GET, "/readyz", None).await);
    gateway.assert_no_panic();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_at_its_connection_limit_answers_503() {
    if !postgres_available().await {
        return;
    }
    let db = TestDb::new(Backend::Postgres).await;
    let TestDb::Postgres { name } = &db else {
        unreachable!("a Postgres database")
    };
    // A role of its own (superusers are exempt from connection limits), owning the database.
    let role = format!("{name}_role");
    let admin = sqlx::PgPool::connect(&postgres_admin_url())
        .await
        .expect("admin");
    let exec = |sql: String| {
        let admin = admin.clone();
        async move {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&admin)
                .await
                .expect("admin statement");
        }
    };
    exec(format!("CREATE ROLE \"{role}\" LOGIN")).await;
    exec(format!("ALTER DATABASE \"{name}\" OWNER TO \"{role}\"")).await;
    let mut url = url::Url::parse(&db.url()).expect("url");
    url.set_username(&role).expect("user");
    let mut gateway = GatewayProcess::start(url.as_str(), &[("DB_POOL_SIZE", "2")]).await;
    let created = gateway
        .call(Method::POST, "/accounts", Some(account("first")))
        .await;
    assert_eq!(created.status, 201, "{}", created.text);

    // The limit is reached: the role may open no connection, and its open ones are gone.
    exec(format!("ALTER ROLE \"{role}\" CONNECTION LIMIT 0")).await;
    exec(format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{role}'"
    ))
    .await;

    for _ in 0..3 {
        assert_unavailable(&gateway.call(Method::GET, "/accounts", None).await);
    }
    assert_writes_unavailable(&gateway).await;

    exec(format!("ALTER ROLE \"{role}\" CONNECTION LIMIT -1")).await;
    until_ready(&gateway).await;
    assert_eq!(gateway.count_accounts().await, 1);
    gateway.assert_no_panic();
    drop(gateway);
    exec(format!("DROP DATABASE \"{name}\" WITH (FORCE)")).await;
    exec(format!("DROP ROLE \"{role}\"")).await;
    admin.close().await;
}
