//! A gateway binary as its own OS process, its address read from its JSON log: for what an
//! in-process server cannot show (signals, replicas sharing a database, the real start-up).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::AsyncBufReadExt;

use crate::helpers::{ADMIN_KEY, TestResponse, base_vars, client};

pub struct GatewayProcess {
    pub child: tokio::process::Child,
    pub addr: SocketAddr,
    pub base: String,
    /// Every log line it wrote, drained as it comes so the process never blocks on a full
    /// pipe.
    log: Arc<Mutex<Vec<String>>>,
    http: reqwest::Client,
}

impl GatewayProcess {
    /// Start the gateway binary with exactly these environment variables.
    pub async fn spawn(vars: &HashMap<String, String>) -> GatewayProcess {
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_okta-gateway"))
            .env_clear()
            .envs(vars)
            .env("LOG_FORMAT", "json")
            .env("RUST_LOG", "info")
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("gateway process starts");
        let mut lines = tokio::io::BufReader::new(child.stderr.take().expect("stderr")).lines();
        let log: Arc<Mutex<Vec<String>>> = Arc::default();
        let addr: SocketAddr = tokio::time::timeout(Duration::from_secs(30), async {
            while let Ok(Some(line)) = lines.next_line().await {
                log.lock().expect("lock").push(line.clone());
                if let Ok(event) = serde_json::from_str::<Value>(&line)
                    && event["message"] == "okta-gateway listening"
                {
                    return event["addr"].as_str().expect("addr").parse().expect("addr");
                }
            }
            panic!("the gateway exited before listening: {:?}", log.lock());
        })
        .await
        .expect("the gateway listens in time");
        let sink = log.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                sink.lock().expect("lock").push(line);
            }
        });
        GatewayProcess {
            child,
            addr,
            base: format!("http://{addr}"),
            log,
            http: client(),
        }
    }

    /// Start the gateway binary on `db_url` with the test environment plus `vars`.
    pub async fn start(db_url: &str, vars: &[(&str, &str)]) -> GatewayProcess {
        let mut env = base_vars(db_url);
        for (key, value) in vars {
            env.insert((*key).to_owned(), (*value).to_owned());
        }
        GatewayProcess::spawn(&env).await
    }

    /// Its log lines so far.
    pub fn log(&self) -> Vec<String> {
        self.log.lock().expect("lock").clone()
    }

    /// SIGTERM, as an orchestrator stops it, then wait for the graceful exit; its whole log.
    pub async fn stop(mut self) -> Vec<String> {
        let pid = self.child.id().expect("running").to_string();
        let sent = tokio::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .await
            .expect("kill runs");
        assert!(sent.success());
        let status = tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .expect("exits in time")
            .expect("exit status");
        assert!(status.success(), "exited with {status}");
        self.log()
    }

    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> TestResponse {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(ADMIN_KEY)
            .timeout(Duration::from_secs(10));
        if let Some(body) = body {
            request = request.json(&body);
        }
        TestResponse::read(request.send().await.expect("the gateway answers")).await
    }

    /// How many accounts the gateway lists.
    pub async fn count_accounts(&self) -> usize {
        let list = self.call(Method::GET, "/accounts", None).await;
        assert_eq!(list.status, 200, "{}", list.text);
        list.json.as_array().map_or(0, Vec::len)
    }

    /// Connect an account to `domain` without verifying its token.
    pub async fn connect_unverified(&self, name: &str, domain: &str) {
        let created = self
            .call(
                Method::POST,
                "/accounts",
                Some(json!({"name": name, "domain": domain,
                            "apiToken": "00fake-token-0123456789", "verify": false})),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.text);
    }

    /// Assert that the process is alive and never logged a panic.
    pub fn assert_no_panic(&mut self) {
        assert!(
            self.child.try_wait().expect("status").is_none(),
            "the gateway exited"
        );
        let log = self.log.lock().expect("lock");
        let panics: Vec<&String> = log
            .iter()
            .filter(|line| line.contains("panicked") || line.contains("handler panicked"))
            .collect();
        assert!(panics.is_empty(), "panics logged: {panics:?}");
    }
}
