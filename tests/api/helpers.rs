//! The test harness: the real server on 127.0.0.1:0 with a fresh database (a temporary SQLite
//! file or a uuid-named Postgres database) and a fresh Okta simulator.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, Once};

use okta_gateway::config::Config;
use okta_gateway::startup::Application;
use okta_sim::{OktaSim, SimConfig};
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use tokio::sync::oneshot;

pub const ADMIN_KEY: &str = "test-admin-key-0123456789";
pub const ACTION_KEY: &str = "test-action-key-0123456789";
/// A fixed token encryption key for tests (base64 of 32 bytes).
pub const TEST_ENCRYPTION_KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generate one test per backend from an `async fn name(backend: Backend)`.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if !$crate::helpers::postgres_available().await {
                        return;
                    }
                    super::$name($crate::helpers::Backend::Postgres).await
                }
            )*
        }
    };
}

/// An HTTP client for tests (reqwest is built without a rustls provider of its own).
pub fn client() -> reqwest::Client {
    okta_gateway::okta::client::install_crypto_provider();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

pub fn init_test_logs() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if std::env::var("TEST_LOG").is_ok_and(|v| v == "1") {
            tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new("debug"))
                .with_test_writer()
                .init();
        }
    });
}

/// The admin connection used to create per-test databases.
pub fn postgres_admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// Whether Postgres tests can run. Under CI an unreachable Postgres is a failure, not a skip.
pub async fn postgres_available() -> bool {
    match sqlx::PgPool::connect(&postgres_admin_url()).await {
        Ok(pool) => {
            pool.close().await;
            true
        }
        Err(err) => {
            if std::env::var_os("CI").is_some() {
                panic!("Postgres is unreachable under CI: {err}");
            }
            eprintln!("skipping a Postgres test: Postgres is unreachable ({err})");
            false
        }
    }
}

/// A fresh, empty database; removed when dropped.
pub enum TestDb {
    Sqlite(tempfile::TempDir),
    Postgres { name: String },
}

impl TestDb {
    pub async fn new(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => TestDb::Sqlite(tempfile::tempdir().expect("temp dir")),
            Backend::Postgres => {
                let name = format!("okgw_test_{}", uuid::Uuid::new_v4().simple());
                let pool = sqlx::PgPool::connect(&postgres_admin_url())
                    .await
                    .expect("Postgres admin connection");
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
                    .execute(&pool)
                    .await
                    .expect("create test database");
                pool.close().await;
                TestDb::Postgres { name }
            }
        }
    }

    /// The database URL; `port` overrides the Postgres port (to go through a proxy).
    pub fn url_via(&self, port: Option<u16>) -> String {
        match self {
            TestDb::Sqlite(dir) => format!("sqlite://{}/gateway.db", dir.path().display()),
            TestDb::Postgres { name } => {
                let admin = url::Url::parse(&postgres_admin_url()).expect("admin URL");
                let mut url = admin.clone();
                url.set_path(&format!("/{name}"));
                if let Some(port) = port {
                    url.set_port(Some(port)).expect("port");
                }
                url.to_string()
            }
        }
    }

    pub fn url(&self) -> String {
        self.url_via(None)
    }

    pub fn data_dir(&self) -> Option<std::path::PathBuf> {
        match self {
            TestDb::Sqlite(dir) => Some(dir.path().to_path_buf()),
            TestDb::Postgres { .. } => None,
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let TestDb::Postgres { name } = self {
            let name = name.clone();
            // Drop runs outside async context; use a small runtime on its own thread.
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                runtime.block_on(async move {
                    if let Ok(pool) = sqlx::PgPool::connect(&postgres_admin_url()).await {
                        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                        )))
                        .execute(&pool)
                        .await;
                        pool.close().await;
                    }
                });
            })
            .join();
        }
    }
}

/// Environment for a gateway under test: what `Config::from_lookup` reads.
pub fn base_vars(db_url: &str) -> HashMap<String, String> {
    [
        ("BIND_ADDR", "127.0.0.1:0"),
        ("DATABASE_URL", db_url),
        ("GATEWAY_ADMIN_KEYS", ADMIN_KEY),
        ("GATEWAY_API_KEYS", ACTION_KEY),
        ("TOKEN_ENCRYPTION_KEY", TEST_ENCRYPTION_KEY),
        ("OKTA_ALLOW_INSECURE_LOOPBACK", "true"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

pub fn config_from(vars: &HashMap<String, String>) -> Config {
    Config::from_lookup(|k| vars.get(k).cloned()).expect("valid test configuration")
}

/// A running gateway, stopped when dropped.
pub struct RunningGateway {
    pub addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl RunningGateway {
    pub async fn start(config: Config) -> anyhow::Result<RunningGateway> {
        let app = Application::build(config).await?;
        let addr = app.local_addr();
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until(async {
            let _ = rx.await;
        }));
        Ok(RunningGateway {
            addr,
            shutdown: Some(tx),
            server: Some(server),
        })
    }

    /// Signal shutdown and wait until the server has drained.
    pub async fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("server task").expect("server result");
        }
    }
}

impl Drop for RunningGateway {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub sim: OktaSim,
    pub sim_token: String,
    pub vars: HashMap<String, String>,
    pub gateway: RunningGateway,
    pub db: TestDb,
}

/// How to start a test app; defaults suit most tests.
pub struct TestAppBuilder {
    backend: Backend,
    vars: Vec<(String, Option<String>)>,
    db_proxy_port: Option<u16>,
}

impl TestAppBuilder {
    pub fn var(mut self, key: &str, value: &str) -> Self {
        self.vars.push((key.to_owned(), Some(value.to_owned())));
        self
    }

    pub fn without(mut self, key: &str) -> Self {
        self.vars.push((key.to_owned(), None));
        self
    }

    /// Reach Postgres through a proxy on this port (to cut the database off in tests).
    pub fn db_through(mut self, port: u16) -> Self {
        self.db_proxy_port = Some(port);
        self
    }

    pub async fn spawn(self) -> TestApp {
        init_test_logs();
        let sim_token = format!("00sim{}", uuid::Uuid::new_v4().simple());
        let sim = OktaSim::start(SimConfig {
            token: sim_token.clone(),
            ..SimConfig::default()
        })
        .await
        .expect("okta-sim starts");
        let db = TestDb::new(self.backend).await;
        let mut vars = base_vars(&db.url_via(self.db_proxy_port));
        for (key, value) in self.vars {
            match value {
                Some(value) => vars.insert(key, value),
                None => vars.remove(&key),
            };
        }
        let gateway = RunningGateway::start(config_from(&vars))
            .await
            .expect("gateway starts");
        TestApp {
            base: format!("http://{}", gateway.addr),
            http: client(),
            sim,
            sim_token,
            vars,
            gateway,
            db,
        }
    }
}

pub fn app(backend: Backend) -> TestAppBuilder {
    TestAppBuilder {
        backend,
        vars: Vec::new(),
        db_proxy_port: None,
    }
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    app(backend).spawn().await
}

/// A response, read whole.
#[derive(Debug)]
pub struct TestResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
    pub json: Value,
}

impl TestResponse {
    pub async fn read(response: reqwest::Response) -> TestResponse {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        TestResponse {
            status,
            headers,
            text,
            json,
        }
    }

    /// Assert the gateway's error envelope with this status string and HTTP status.
    #[track_caller]
    pub fn assert_error(&self, status: &str, http: u16) -> &Value {
        assert_eq!(self.status, http, "HTTP status of {}", self.text);
        let error = &self.json["error"];
        assert_eq!(error["status"], status, "error status of {}", self.text);
        assert_eq!(error["httpStatus"], http, "{}", self.text);
        for member in ["code", "message", "howToFix", "requestId"] {
            assert!(
                !error[member].is_null(),
                "{member} missing in {}",
                self.text
            );
        }
        assert_eq!(
            self.headers
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("application/json")
        );
        assert_eq!(
            error["requestId"].as_str(),
            self.headers
                .get("x-request-id")
                .and_then(|v| v.to_str().ok()),
            "the body's requestId is the response header's"
        );
        error
    }

    /// The `(field, problem)` pairs of an INVALID_FIELD_VALUE error, fields only.
    pub fn bad_fields(&self) -> Vec<String> {
        self.json["error"]["details"]["fields"]
            .as_array()
            .map(|fields| {
                fields
                    .iter()
                    .map(|f| f["field"].as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> TestResponse {
        let mut request = self.http.request(method, self.url(path));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        TestResponse::read(request.send().await.expect("request sent")).await
    }

    pub async fn admin(&self, method: Method, path: &str, body: Option<Value>) -> TestResponse {
        self.call(method, path, Some(ADMIN_KEY), body).await
    }

    /// A create body for an account on this app's simulator.
    pub fn account_body(&self, name: &str) -> Value {
        json!({"name": name, "domain": self.sim.base_url(), "apiToken": self.sim_token})
    }

    pub async fn create_account(&self, name: &str) -> TestResponse {
        self.admin(Method::POST, "/accounts", Some(self.account_body(name)))
            .await
    }
}

/// A TCP proxy to Postgres that tests can cut (closing every connection and refusing new ones)
/// and restore, without touching the shared server.
pub struct DbProxy {
    pub port: u16,
    open: Arc<Mutex<bool>>,
    connections: Arc<Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl DbProxy {
    pub async fn start(upstream: SocketAddr) -> DbProxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("proxy binds");
        let port = listener.local_addr().expect("addr").port();
        let open = Arc::new(Mutex::new(true));
        let connections: Arc<Mutex<Vec<tokio::task::AbortHandle>>> = Arc::default();
        let (open2, connections2) = (open.clone(), connections.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !*open2.lock().expect("lock") {
                    drop(inbound);
                    continue;
                }
                let task = tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                connections2.lock().expect("lock").push(task.abort_handle());
            }
        });
        DbProxy {
            port,
            open,
            connections,
        }
    }

    pub fn cut(&self) {
        *self.open.lock().expect("lock") = false;
        for connection in self.connections.lock().expect("lock").drain(..) {
            connection.abort();
        }
    }

    pub fn restore(&self) {
        *self.open.lock().expect("lock") = true;
    }
}

/// The Postgres server's address, from the admin URL.
pub fn postgres_addr() -> SocketAddr {
    let url = url::Url::parse(&postgres_admin_url()).expect("admin URL");
    let host = url.host_str().unwrap_or("127.0.0.1");
    let port = url.port().unwrap_or(5432);
    format!("{host}:{port}").parse().expect("socket address")
}

/// The account every action test uses, connected to the app's simulator.
pub const ACCOUNT: &str = "acme";

impl TestApp {
    /// Run an action on the test account with an action key.
    pub async fn action(&self, action: &str, body: Value) -> TestResponse {
        self.call(
            Method::POST,
            &format!("/accounts/{ACCOUNT}/actions/{action}"),
            Some(ACTION_KEY),
            Some(body),
        )
        .await
    }

    /// The simulator's request log since the last [`TestApp::forget_requests`], as
    /// `METHOD path?query` lines (the simplest thing to assert on).
    pub fn okta_calls(&self) -> Vec<String> {
        self.sim
            .handle()
            .requests()
            .iter()
            .map(|r| match &r.query {
                Some(query) => format!("{} {}?{query}", r.method, r.path),
                None => format!("{} {}", r.method, r.path),
            })
            .collect()
    }

    pub fn forget_requests(&self) {
        self.sim.handle().clear_requests();
    }
}

/// A SQLite-backed app with the account [`ACCOUNT`] connected to its simulator, and an empty
/// simulator request log.
pub async fn spawn_with_account() -> TestApp {
    spawn_with_account_from(app(Backend::Sqlite)).await
}

#[derive(Clone, Default)]
pub struct Capture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Run a scenario on a current-thread runtime (so the gateway, okta-sim and the client all log
/// on this thread) with every event down to TRACE captured; returns the captured text.
pub fn captured_logs<F, T>(json: bool, scenario: impl FnOnce() -> F) -> (String, T)
where
    F: std::future::Future<Output = T>,
{
    let capture = Capture::default();
    let writer = capture.clone();
    let builder = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone());
    // While a single dispatcher exists, tracing-core decides whether a callsite is wanted by
    // asking only the default dispatcher of the thread that first reaches it, and caches the
    // answer for every thread: a callsite first reached by another test (which has none) would
    // stay off here. A second, silent dispatcher makes it ask every live dispatcher.
    let companion = tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default());
    let dispatch = if json {
        tracing::Dispatch::new(builder.json().flatten_event(true).finish())
    } else {
        tracing::Dispatch::new(builder.finish())
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let result = {
        let _guard = tracing::dispatcher::set_default(&dispatch);
        runtime.block_on(scenario())
    };
    drop(companion);
    let logs = String::from_utf8(capture.0.lock().expect("lock").clone()).expect("utf-8");
    (logs, result)
}

/// Like [`spawn_with_account`], from a builder: for tests that set timeouts or limits.
pub async fn spawn_with_account_from(builder: TestAppBuilder) -> TestApp {
    let app = builder.spawn().await;
    let created = app.create_account(ACCOUNT).await;
    assert_eq!(created.status, 201, "{}", created.text);
    app.forget_requests();
    app
}

impl TestApp {
    /// Run an action on any account with an action key, as a future owning what it needs (so
    /// concurrent calls can be spawned).
    pub fn action_on(
        &self,
        account: &str,
        action: &str,
        body: Value,
    ) -> impl Future<Output = TestResponse> + Send + 'static {
        let request = self
            .http
            .post(self.url(&format!("/accounts/{account}/actions/{action}")))
            .bearer_auth(ACTION_KEY)
            .json(&body);
        async move { TestResponse::read(request.send().await.expect("request sent")).await }
    }

    /// The simulator's request log since the last [`TestApp::forget_requests`], in full.
    pub fn okta_requests(&self) -> Vec<okta_sim::RecordedRequest> {
        self.sim.handle().requests()
    }
}

/// Every value of a header okta-sim recorded on a request (names are lower-case).
pub fn sent_headers<'a>(request: &'a okta_sim::RecordedRequest, name: &str) -> Vec<&'a str> {
    request
        .headers
        .iter()
        .filter(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .collect()
}
