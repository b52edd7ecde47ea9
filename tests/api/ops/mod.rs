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

pub use crate::process::GatewayProcess;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::helpers::TestResponse;

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
