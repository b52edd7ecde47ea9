//! Requests hyper refuses before the router: it answers them itself, with an empty body and
//! no request id (README, "Errors"), and closes the connection. These pin that behaviour.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{Backend, spawn_app};

async fn raw(addr: std::net::SocketAddr, request: &[u8]) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream.write_all(request).await.expect("write");
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer))
        .await
        .expect("the connection is closed")
        .expect("read");
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_hyper_refuses_get_a_bare_status_and_a_closed_connection() {
    let app = spawn_app(Backend::Sqlite).await;
    let mut too_many = String::from("GET /healthz HTTP/1.1\r\nHost: x\r\n");
    for i in 0..101 {
        too_many.push_str(&format!("X-Header-{i}: v\r\n"));
    }
    too_many.push_str("\r\n");
    let duplicate_length = b"POST /accounts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}";

    for (request, status) in [(too_many.as_bytes(), "431"), (&duplicate_length[..], "400")] {
        let answer = raw(app.gateway.addr, request).await;
        let status_line = answer.lines().next().unwrap_or_default();
        assert!(
            status_line.starts_with(&format!("HTTP/1.1 {status}")),
            "{answer}"
        );
        assert!(!answer.contains("x-request-id"), "{answer}");
        assert!(answer.ends_with("\r\n\r\n"), "no body: {answer}");
    }
    // The gateway is unharmed.
    let ok = raw(
        app.gateway.addr,
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
}
