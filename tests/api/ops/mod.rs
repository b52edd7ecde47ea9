//! The operational fault suite (issue 10): database faults, probes under load, hostile
//! upstreams, forged log lines, per-account state, protocol errors and DNS for extra hosts.
//! Faults are real: a gateway process, a TCP proxy in front of Postgres, a SQLite file locked
//! and removed, a fake Okta on loopback. Every case is bounded to a few seconds.

mod accounts;
mod database;
mod dns;
mod logs;
mod probes;
mod protocol;
mod upstream;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::helpers::{ADMIN_KEY, TestResponse, base_vars, client};

/// A gateway as its own OS process, its JSON log kept for the panic check.
pub struct GatewayProcess {
    child: tokio::process::Child,
    pub base: String,
    log: Arc<Mutex<Vec<String>>>,
    http: reqwest::Client,
}

impl GatewayProcess {
    /// Start the gateway binary on `db_url` with the test environment plus `vars`.
    pub async fn start(db_url: &str, vars: &[(&str, &str)]) -> GatewayProcess {
        use tokio::io::AsyncBufReadExt;
        let mut env: HashMap<String, String> = base_vars(db_url);
        for (key, value) in vars {
            env.insert((*key).to_owned(), (*value).to_owned());
        }
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_okta-gateway"))
            .env_clear()
            .envs(env)
            .env("LOG_FORMAT", "json")
            .env("RUST_LOG", "info")
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("gateway process starts");
        let mut lines = tokio::io::BufReader::new(child.stderr.take().expect("stderr")).lines();
        let log: Arc<Mutex<Vec<String>>> = Arc::default();
        let addr = tokio::time::timeout(Duration::from_secs(20), async {
            while let Ok(Some(line)) = lines.next_line().await {
                log.lock().expect("lock").push(line.clone());
                if let Ok(event) = serde_json::from_str::<Value>(&line)
                    && event["message"] == "okta-gateway listening"
                {
                    return event["addr"].as_str().expect("addr").to_owned();
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
            base: format!("http://{addr}"),
            log,
            http: client(),
        }
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

/// Assert a 503 SERVICE_UNAVAILABLE with a `Retry-After` header.
#[track_caller]
pub fn assert_unavailable(response: &TestResponse) {
    response.assert_error("SERVICE_UNAVAILABLE", 503);
    let retry_after = response
        .headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    assert!(
        retry_after.is_some_and(|secs| secs >= 1),
        "Retry-After on {}",
        response.text
    );
}

/// What the fake Okta answers to every request.
#[derive(Clone)]
pub enum Answer {
    /// 200 with this JSON text.
    Json(String),
    /// 200 with a declared body of `len` bytes, streamed as fast as the reader takes it.
    Huge { len: u64, declared: bool },
    /// 200 with headers at once, then one byte of the body every `every`.
    Drip { every: Duration },
}

/// A fake Okta on loopback (plain HTTP/1.1, one answer per connection).
pub struct FakeOkta {
    pub addr: SocketAddr,
    /// Body bytes written so far, over every connection.
    pub sent: Arc<AtomicU64>,
    pub connections: Arc<AtomicUsize>,
    answer: Arc<Mutex<Answer>>,
}

impl FakeOkta {
    pub async fn start(answer: Answer) -> FakeOkta {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("binds");
        let addr = listener.local_addr().expect("addr");
        let sent = Arc::new(AtomicU64::new(0));
        let connections = Arc::new(AtomicUsize::new(0));
        let answer = Arc::new(Mutex::new(answer));
        let (sent2, connections2, answer2) = (sent.clone(), connections.clone(), answer.clone());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                connections2.fetch_add(1, Ordering::SeqCst);
                let answer = answer2.lock().expect("lock").clone();
                tokio::spawn(serve(stream, answer, sent2.clone()));
            }
        });
        FakeOkta {
            addr,
            sent,
            connections,
            answer,
        }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn answer(&self, answer: Answer) {
        *self.answer.lock().expect("lock") = answer;
        self.sent.store(0, Ordering::SeqCst);
    }
}

async fn serve(mut stream: TcpStream, answer: Answer, sent: Arc<AtomicU64>) {
    // Read the request head (the gateway's requests to Okta here carry no body).
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 65_536 {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    match answer {
        Answer::Json(text) => {
            let response = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
                text.len()
            );
            let _ = stream.write_all(response.as_bytes()).await;
            sent.fetch_add(text.len() as u64, Ordering::SeqCst);
        }
        Answer::Huge { len, declared } => {
            let length = if declared {
                format!("content-length: {len}\r\n")
            } else {
                String::new()
            };
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n{length}connection: close\r\n\r\n"
            );
            if stream.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            // `[` and then spaces: valid JSON so far, never finished.
            let chunk = vec![b' '; 64 * 1024];
            let _ = stream.write_all(b"[").await;
            let mut written = 1u64;
            while written < len {
                if stream.write_all(&chunk).await.is_err() {
                    break;
                }
                written += chunk.len() as u64;
                sent.fetch_add(chunk.len() as u64, Ordering::SeqCst);
            }
        }
        Answer::Drip { every } => {
            let body = br#"{"id":"00u1","status":"ACTIVE","profile":{}}"#;
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                body.len()
            );
            if stream.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            for byte in body {
                tokio::time::sleep(every).await;
                if stream.write_all(&[*byte]).await.is_err() {
                    return;
                }
                sent.fetch_add(1, Ordering::SeqCst);
            }
        }
    }
}
