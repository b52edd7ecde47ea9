//! HTTP-level behaviour: 411, malformed bodies, unknown paths, wrong methods, `%2F`.

use std::io::{Read, Write};

use okta_sim::demo;
use reqwest::Method;
use serde_json::json;

use crate::helpers::{TOKEN, spawn};

/// Sends raw bytes and returns everything the server answered until it closed or paused.
fn raw_exchange(addr: std::net::SocketAddr, request: &str) -> String {
    let mut stream = std::net::TcpStream::connect(addr).expect("connects");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .expect("timeout set");
    stream.write_all(request.as_bytes()).expect("written");
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&buf);
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let len = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if body.len() >= len {
                        break;
                    }
                }
            }
            Err(_) => break,
        }
    }
    String::from_utf8_lossy(&buf).into_owned()
}

#[tokio::test]
async fn a_body_less_post_without_content_length_gets_411() {
    let t = spawn().await;
    let addr = t.sim.addr();
    let request = format!(
        "POST /api/v1/users/{}/lifecycle/suspend HTTP/1.1\r\nHost: localhost\r\nAuthorization: SSWS {TOKEN}\r\nConnection: close\r\n\r\n",
        demo::JORDAN_ID
    );
    let answer = tokio::task::spawn_blocking(move || raw_exchange(addr, &request))
        .await
        .expect("joined");
    assert!(
        answer.starts_with("HTTP/1.1 411 Length Required"),
        "{answer}"
    );
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("content-type: text/html")
    );
    assert!(answer.to_ascii_lowercase().contains("x-okta-request-id:"));
    assert!(answer.contains("<h1>411 Length Required</h1>"));
    assert_eq!(
        t.handle().user(demo::JORDAN_ID).expect("exists")["status"],
        "ACTIVE",
        "the request never reached the org"
    );
}

#[tokio::test]
async fn a_body_less_put_without_content_length_gets_411_but_content_length_zero_works() {
    let t = spawn().await;
    let addr = t.sim.addr();
    let path = format!(
        "/api/v1/groups/{}/users/{}",
        demo::HR_GROUP_ID,
        demo::JORDAN_ID
    );
    let bare = format!(
        "PUT {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: SSWS {TOKEN}\r\nConnection: close\r\n\r\n"
    );
    let with_length = format!(
        "PUT {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: SSWS {TOKEN}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    let (a, b) = tokio::task::spawn_blocking(move || {
        (raw_exchange(addr, &bare), raw_exchange(addr, &with_length))
    })
    .await
    .expect("joined");
    assert!(a.starts_with("HTTP/1.1 411"), "{a}");
    assert!(b.starts_with("HTTP/1.1 204"), "{b}");
    assert_eq!(
        t.handle().group_member_ids(demo::HR_GROUP_ID),
        vec![demo::JORDAN_ID.to_string()]
    );
}

#[tokio::test]
async fn a_chunked_body_needs_no_content_length() {
    let t = spawn().await;
    let addr = t.sim.addr();
    let body = r#"{"profile":{"name":"Chunked"}}"#;
    let request = format!(
        "POST /api/v1/groups HTTP/1.1\r\nHost: localhost\r\nAuthorization: SSWS {TOKEN}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n{body}\r\n0\r\n\r\n",
        body.len()
    );
    let answer = tokio::task::spawn_blocking(move || raw_exchange(addr, &request))
        .await
        .expect("joined");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"name\":\"Chunked\""));
}

#[tokio::test]
async fn malformed_json_gets_400_e0000003() {
    let t = spawn().await;
    let resp = crate::helpers::read(
        t.client
            .post(t.url("/api/v1/users"))
            .header("authorization", format!("SSWS {TOKEN}"))
            .header("content-type", "application/json")
            .body("{\"profile\": ")
            .send()
            .await
            .expect("sent"),
    )
    .await;
    resp.assert_error(400, "E0000003", "The request body was not well-formed.");
}

#[tokio::test]
async fn a_create_with_an_empty_or_non_object_body_gets_400_e0000003() {
    let t = spawn().await;
    let empty = t.call(Method::POST, "/api/v1/groups", None).await;
    empty.assert_error(400, "E0000003", "The request body was not well-formed.");
    let array = t.post("/api/v1/groups", json!([1, 2])).await;
    array.assert_error(400, "E0000003", "The request body was not well-formed.");
    let wrong_type = t.post("/api/v1/users", json!({"profile": "x"})).await;
    wrong_type.assert_error(400, "E0000003", "The request body was not well-formed.");
}

#[tokio::test]
async fn a_non_json_body_gets_400_e0000021() {
    let t = spawn().await;
    let resp = crate::helpers::read(
        t.client
            .post(t.url("/api/v1/groups"))
            .header("authorization", format!("SSWS {TOKEN}"))
            .header("content-type", "text/plain")
            .body("name=x")
            .send()
            .await
            .expect("sent"),
    )
    .await;
    resp.assert_error(
        400,
        "E0000021",
        "Bad request.  Accept and/or Content-Type headers likely do not match supported values.",
    );
}

#[tokio::test]
async fn an_unknown_api_path_gets_404_e0000008() {
    let t = spawn().await;
    let resp = t.get("/api/v1/widgets").await;
    resp.assert_error(404, "E0000008", "The requested path was not found");
    let deeper = t.get("/api/v1/users/x/lifecycle/explode").await;
    assert_eq!(deeper.status, 404);
}

#[tokio::test]
async fn a_path_outside_the_api_gets_an_html_404() {
    let t = spawn().await;
    let resp = t.get("/welcome/abc").await;
    assert_eq!(resp.status, 404);
    assert!(
        resp.header("content-type")
            .is_some_and(|c| c.starts_with("text/html"))
    );
}

#[tokio::test]
async fn a_known_path_with_the_wrong_method_gets_405_e0000022() {
    let t = spawn().await;
    let resp = t
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{}", demo::JORDAN_ID),
            Some(json!({})),
        )
        .await;
    resp.assert_error(
        405,
        "E0000022",
        "The endpoint does not support the provided HTTP method",
    );
    assert_eq!(resp.header("allow"), Some("GET, POST, PUT, DELETE"));
    let logs = t.call(Method::DELETE, "/api/v1/logs", None).await;
    assert_eq!(logs.status, 405);
}

#[tokio::test]
async fn an_encoded_slash_in_a_user_segment_gets_405() {
    let t = spawn().await;
    t.handle()
        .seed_user(okta_sim::UserSeed::new("a/b@example.com", "Slash", "Login"));
    let resp = t.get("/api/v1/users/a%2Fb%40example.com").await;
    resp.assert_error(
        405,
        "E0000022",
        "The endpoint does not support the provided HTTP method",
    );
    let lower = t
        .post_empty("/api/v1/users/a%2fb@example.com/lifecycle/suspend")
        .await;
    assert_eq!(lower.status, 405);
    // The same user is reachable through a search, as Okta advises.
    let found = t
        .get("/api/v1/users?search=profile.login%20eq%20%22a%2Fb%40example.com%22")
        .await;
    assert_eq!(found.status, 200);
    assert_eq!(found.json()[0]["profile"]["login"], "a/b@example.com");
}

#[tokio::test]
async fn a_trailing_slash_reaches_the_same_endpoint() {
    let t = spawn().await;
    let resp = t.get("/api/v1/groups/").await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.json().as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn bad_boolean_or_integer_parameters_get_400_e0000001() {
    let t = spawn().await;
    let resp = t
        .post(
            "/api/v1/users?activate=maybe",
            json!({"profile": {"firstName": "A", "lastName": "B", "email": "ab@example.com", "login": "ab@example.com"}}),
        )
        .await;
    resp.assert_error(400, "E0000001", "Api validation failed: activate");
    let limit = t.get("/api/v1/users?limit=ten").await;
    limit.assert_error(400, "E0000001", "Api validation failed: limit");
}
