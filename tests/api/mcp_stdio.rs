//! `okta-gateway mcp --stdio` as a desktop client launches it: the built binary, JSON-RPC
//! lines on its stdin and stdout, bridged to a test gateway's `/mcp`.

use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use okta_gateway::actions::{Catalog, example};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout};

use crate::helpers::{ACCOUNT, ACTION_KEY, spawn_with_account};

/// The bridge process, its stdin and stdout as a client holds them.
struct Bridge {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Lines<BufReader<ChildStdout>>,
}

impl Bridge {
    /// `okta-gateway mcp <args>` with only `env` in its environment.
    fn spawn(args: &[&str], env: &[(&str, &str)]) -> Bridge {
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_okta-gateway"))
            .arg("mcp")
            .args(args)
            .env_clear()
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the bridge starts");
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().expect("stdout")).lines();
        Bridge {
            child,
            stdin,
            stdout,
        }
    }

    async fn send(&mut self, message: Value) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin
            .write_all(format!("{message}\n").as_bytes())
            .await
            .expect("written");
        stdin.flush().await.expect("flushed");
    }

    /// The next line on stdout: every one must be a JSON-RPC message.
    async fn receive(&mut self) -> Value {
        let line = tokio::time::timeout(Duration::from_secs(20), self.stdout.next_line())
            .await
            .expect("a message in time")
            .expect("stdout readable")
            .expect("stdout open");
        let message: Value = serde_json::from_str(&line)
            .unwrap_or_else(|err| panic!("stdout carries only JSON-RPC ({err}): {line}"));
        assert_eq!(message["jsonrpc"], "2.0", "{message}");
        message
    }

    /// Close stdin (the client quits); the exit status, what is left on stdout, and stderr.
    async fn finish(mut self) -> (ExitStatus, String, String) {
        drop(self.stdin.take());
        let status = tokio::time::timeout(Duration::from_secs(20), self.child.wait())
            .await
            .expect("the bridge exits in time")
            .expect("exit status");
        let mut rest = Vec::new();
        while let Ok(Some(line)) = self.stdout.next_line().await {
            rest.push(line);
        }
        let mut stderr = String::new();
        if let Some(mut pipe) = self.child.stderr.take() {
            pipe.read_to_string(&mut stderr).await.expect("stderr");
        }
        (status, rest.join("\n"), stderr)
    }
}

fn initialize() -> Value {
    json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                   "clientInfo": {"name": "a-desktop-client", "version": "1.0.0"}},
    })
}

#[tokio::test]
async fn the_stdio_bridge_carries_a_session_to_the_gateway_and_its_list_changes_back() {
    let app = spawn_with_account().await;
    let mut bridge = Bridge::spawn(
        &["--stdio", "--url", &app.base],
        &[("OKTA_GATEWAY_KEY", ACTION_KEY)],
    );

    bridge.send(initialize()).await;
    let initialized = bridge.receive().await;
    assert_eq!(initialized["id"], 1, "{initialized}");
    assert_eq!(initialized["result"]["serverInfo"]["name"], "okta-gateway");
    assert_eq!(initialized["result"]["protocolVersion"], "2025-06-18");
    assert_eq!(
        initialized["result"]["capabilities"]["tools"]["listChanged"],
        true
    );

    // Sent back to back, as clients do: the notification must reach the gateway first.
    bridge
        .send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        .await;
    bridge
        .send(json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}))
        .await;
    let listed = bridge.receive().await;
    assert_eq!(listed["id"], 2, "{listed}");
    let tools = listed["result"]["tools"].as_array().expect("tools");
    assert_eq!(tools.len(), Catalog::new().names().len(), "an action key");
    let get_user = tools
        .iter()
        .find(|t| t["name"] == "get_user")
        .expect("get_user is listed");
    assert_eq!(
        get_user["inputSchema"]["properties"]["account"]["enum"],
        json!([ACCOUNT])
    );

    let mut arguments = example(Catalog::new().get("get_user").expect("get_user").0);
    arguments["account"] = json!(ACCOUNT);
    bridge
        .send(json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
                     "params": {"name": "get_user", "arguments": arguments.clone()}}))
        .await;
    let called = bridge.receive().await;
    assert_eq!(called["id"], 3, "{called}");
    assert_eq!(called["result"]["isError"], false, "{called}");
    let mut body = arguments;
    body.as_object_mut().expect("object").remove("account");
    let http = app.action("get_user", body).await;
    assert_eq!(http.status, 200, "{}", http.text);
    assert_eq!(called["result"]["structuredContent"], http.json);

    let created = app.create_account("beta").await;
    assert_eq!(created.status, 201, "{}", created.text);
    let changed = bridge.receive().await;
    assert_eq!(
        changed,
        json!({"jsonrpc": "2.0", "method": "notifications/tools/list_changed"})
    );

    let (status, rest, stderr) = bridge.finish().await;
    assert!(status.success(), "exited with {status}: {stderr}");
    assert_eq!(rest, "", "nothing more on stdout");
    assert!(!stderr.contains(ACTION_KEY), "the key leaked: {stderr}");
}

#[tokio::test]
async fn without_a_key_the_bridge_says_where_to_put_one_and_fails() {
    let bridge = Bridge::spawn(&["--stdio", "--url", "http://127.0.0.1:9"], &[]);
    let (status, stdout, stderr) = bridge.finish().await;
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert_eq!(stdout, "", "stdout is the protocol's alone");
    assert!(
        stderr.contains("no gateway key: set OKTA_GATEWAY_KEY or pass --key-file <path>"),
        "{stderr}"
    );
}

#[tokio::test]
async fn a_key_on_the_command_line_is_refused_without_echoing_it() {
    let bridge = Bridge::spawn(
        &[
            "--stdio",
            "--url",
            "http://127.0.0.1:9",
            "--key",
            "a-key-everyone-can-see-with-ps",
        ],
        &[("OKTA_GATEWAY_KEY", ACTION_KEY)],
    );
    let (status, stdout, stderr) = bridge.finish().await;
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert_eq!(stdout, "");
    assert!(stderr.contains("--key is refused"), "{stderr}");
    assert!(
        !stderr.contains("a-key-everyone-can-see-with-ps"),
        "{stderr}"
    );
}

#[tokio::test]
async fn a_key_the_gateway_refuses_answers_initialize_with_an_error_and_fails() {
    let app = spawn_with_account().await;
    let dir = tempfile::tempdir().expect("temporary directory");
    let key_file = dir.path().join("key");
    std::fs::write(&key_file, "not-a-configured-key-0123\n").expect("written");
    let mut bridge = Bridge::spawn(
        &[
            "--stdio",
            "--url",
            &app.base,
            "--key-file",
            key_file.to_str().expect("a UTF-8 path"),
        ],
        &[],
    );

    bridge.send(initialize()).await;
    let answer = bridge.receive().await;
    assert_eq!(answer["id"], 1, "{answer}");
    let message = answer["error"]["message"].as_str().expect("an error");
    assert!(message.contains("401"), "{message}");

    let (status, _, stderr) = bridge.finish().await;
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("UNAUTHENTICATED"), "{stderr}");
    assert!(!stderr.contains("not-a-configured-key-0123"), "{stderr}");
}
