//! The `okta-sim` binary: prints its base URL and serves until killed.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::helpers::client;

/// Kills the child even if an assertion fails.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_binary_prints_its_base_url_and_serves_the_api() {
    let child = Command::new(env!("CARGO_BIN_EXE_okta-sim"))
        .args([
            "--port",
            "0",
            "--token",
            "bin-token",
            "--extra-token",
            "bin-reader:READ_ONLY_ADMIN",
            "--seed",
            "empty",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");
    let mut child = Child(child);
    let stdout = child.0.stdout.take().expect("stdout");
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).map(|_| line)
    })
    .await
    .expect("joined")
    .expect("a line");
    let url = line.trim().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert!(!url.ends_with('/'));
    let port: u16 = url
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port");
    assert_ne!(port, 0);

    let c = client();
    let me = c
        .get(format!("{url}/api/v1/users/me"))
        .header("authorization", "SSWS bin-token")
        .send()
        .await
        .expect("sent");
    assert_eq!(me.status().as_u16(), 200);
    let groups = c
        .get(format!("{url}/api/v1/groups"))
        .header("authorization", "SSWS bin-reader")
        .send()
        .await
        .expect("sent");
    assert_eq!(groups.text().await.expect("body"), "[]", "empty seed");
    let write = c
        .post(format!("{url}/api/v1/groups"))
        .header("authorization", "SSWS bin-reader")
        .json(&serde_json::json!({"profile": {"name": "x"}}))
        .send()
        .await
        .expect("sent");
    assert_eq!(write.status().as_u16(), 403);
}

#[tokio::test]
async fn the_binary_refuses_to_start_without_a_token() {
    let output = Command::new(env!("CARGO_BIN_EXE_okta-sim"))
        .args(["--port", "0"])
        .env_remove("OKTA_SIM_TOKEN")
        .output()
        .expect("runs");
    assert!(!output.status.success());
    assert!(output.stdout.is_empty());
}
