//! An MCP session's lifetime: what it started stops with it.

use std::time::Duration;

use rmcp::ServiceExt;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;

use crate::helpers::{ACTION_KEY, captured_logs, spawn_with_account};

const STOPPED: &str = "MCP session ended: its account watch stopped";

#[test]
fn a_sessions_account_watch_stops_as_soon_as_the_session_ends() {
    let (logs, ()) = captured_logs(false, || async {
        let app = spawn_with_account().await;
        let config =
            StreamableHttpClientTransportConfig::with_uri(app.url("/mcp")).auth_header(ACTION_KEY);
        let client =
            ().serve(StreamableHttpClientTransport::from_config(config))
                .await
                .expect("the MCP handshake succeeds");
        client.list_all_tools().await.expect("tools/list");
        // Ends the session (DELETE /mcp) before returning.
        client.cancel().await.expect("the client stops");
        // Well under the 2 s between two reads of the accounts: the watch stops on the
        // session's end, not at its next poll.
        tokio::time::sleep(Duration::from_millis(500)).await;
    });
    let stopped = logs.lines().filter(|line| line.contains(STOPPED)).count();
    assert_eq!(
        stopped, 1,
        "the account watch did not stop with its session"
    );
}
