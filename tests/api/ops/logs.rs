//! Callers' values never forge a log line: a line break in a user reference, an account name
//! or a filter is escaped in both log formats the gateway writes.

use reqwest::Method;
use serde_json::json;

use std::sync::{Arc, Mutex};

use crate::helpers::{ACTION_KEY, spawn_with_account};
use okta_gateway::config::LogFormat;

/// Log output kept in memory.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const FORGED: &str = "INFO okta_gateway::audit: forged";

/// Run a scenario with the gateway's own log set-up (`telemetry::dispatch`) writing to memory,
/// on a current-thread runtime so every event lands in this dispatcher.
fn logs_of(format: LogFormat, scenario: impl AsyncFnOnce()) -> String {
    let capture = Capture::default();
    let writer = capture.clone();
    let dispatch = okta_gateway::telemetry::dispatch(
        format,
        tracing_subscriber::EnvFilter::new("info"),
        move || writer.clone(),
    );
    // See `helpers::captured_logs`: a second dispatcher makes every callsite ask this one.
    let companion = tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    {
        let _guard = tracing::dispatcher::set_default(&dispatch);
        runtime.block_on(scenario());
    }
    drop(companion);
    let bytes = capture.0.lock().expect("lock").clone();
    String::from_utf8(bytes).expect("utf-8")
}

async fn hostile_requests() {
    let app = spawn_with_account().await;
    let line_break = format!("jordan\n{FORGED}\r\n{FORGED}\u{2028}x");
    let suspended = app
        .action("suspend_user", json!({"userId": line_break}))
        .await;
    suspended.assert_error("RESOURCE_NOT_FOUND", 404);
    let filtered = app
        .action("list_groups", json!({"q": format!("Eng\n{FORGED}")}))
        .await;
    assert_eq!(filtered.status, 200, "{}", filtered.text);
    let unknown = app
        .call(
            Method::POST,
            "/accounts/a%0AINFO%20okta_gateway::audit:%20forged/actions/get_user",
            Some(ACTION_KEY),
            Some(json!({"searchBy": "id", "searchValue": "00u1"})),
        )
        .await;
    assert!(unknown.status >= 400, "{}", unknown.text);
}

fn assert_one_line_per_event(logs: &str, format: LogFormat) {
    assert!(logs.contains("forged"), "the values were logged: {logs}");
    for line in logs.lines() {
        assert!(
            !line
                .trim_start()
                .starts_with("INFO okta_gateway::audit: forged"),
            "a forged line: {line:?}"
        );
        assert!(
            !line.contains('\r') && !line.contains('\u{2028}'),
            "{line:?}"
        );
        match format {
            LogFormat::Json => {
                serde_json::from_str::<serde_json::Value>(line)
                    .unwrap_or_else(|_| panic!("not one JSON event: {line:?}"));
            }
            // Each event starts with its timestamp (or the colour code before it).
            LogFormat::Pretty => assert!(
                line.starts_with(|c: char| c.is_ascii_digit() || c == '\u{1b}'),
                "not an event's first line: {line:?}"
            ),
        }
    }
}

#[test]
fn line_breaks_in_values_never_start_a_log_line() {
    for format in [LogFormat::Pretty, LogFormat::Json] {
        let logs = logs_of(format, hostile_requests);
        assert_one_line_per_event(&logs, format);
    }
}
