//! Secrets never reach a response body or a log line, at any log level.

use std::io::Write;
use std::sync::{Arc, Mutex};

use base64::Engine;
use reqwest::Method;
use serde_json::json;

use crate::helpers::{ADMIN_KEY, Backend, app};

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every form in which a secret could leak.
fn forms(secret: &str) -> Vec<String> {
    vec![
        secret.to_owned(),
        base64::engine::general_purpose::STANDARD.encode(secret),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret),
        percent_encoding::utf8_percent_encode(secret, percent_encoding::NON_ALPHANUMERIC)
            .to_string(),
        // Only the part after the fixed prefix, in case a value is truncated or split.
        secret[4..].to_owned(),
    ]
}

async fn secrets_never_appear_in_logs_or_bodies(backend: Backend) {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    // Current-thread runtime: the server, the simulator and the client all log on this thread.
    let _guard = tracing::subscriber::set_default(subscriber);

    let token = "00Leak+Tok/en=Secret~Value-1";
    let new_token = "00Leak+Rotated/Secret=Value-2";
    let wrong_token = "00Leak+Wrong/Secret=Value-3";
    let app = app(backend).spawn().await;
    app.sim.handle().add_token(token, false);
    app.sim.handle().add_token(new_token, false);
    let domain = app.sim.base_url();

    let mut bodies = Vec::new();
    let mut drive = |response: crate::helpers::TestResponse| {
        bodies.push(format!("{:?} {}", response.headers, response.text));
        response.status
    };
    let create = json!({"name": "acme", "domain": domain, "apiToken": token});
    assert_eq!(
        drive(
            app.admin(Method::POST, "/accounts", Some(create.clone()))
                .await
        ),
        201
    );
    assert_eq!(
        drive(app.admin(Method::POST, "/accounts", Some(create)).await),
        409
    );
    let wrong = json!({"name": "wrong", "domain": domain, "apiToken": wrong_token});
    assert_eq!(
        drive(app.admin(Method::POST, "/accounts", Some(wrong)).await),
        401
    );
    let not_okta = json!({"name": "elsewhere", "domain": app.base, "apiToken": token});
    assert_eq!(
        drive(app.admin(Method::POST, "/accounts", Some(not_okta)).await),
        502
    );
    let invalid =
        json!({"name": "Bad Name", "domain": "https://x.evil.io", "apiToken": format!("{token} ")});
    assert_eq!(
        drive(app.admin(Method::POST, "/accounts", Some(invalid)).await),
        400
    );
    let update = json!({"apiToken": new_token});
    assert_eq!(
        drive(app.admin(Method::PUT, "/accounts/acme", Some(update)).await),
        200
    );
    let bad_update = json!({"apiToken": wrong_token});
    assert_eq!(
        drive(
            app.admin(Method::PUT, "/accounts/acme", Some(bad_update))
                .await
        ),
        401
    );
    assert_eq!(drive(app.admin(Method::GET, "/accounts", None).await), 200);
    assert_eq!(
        drive(app.admin(Method::GET, "/accounts/acme", None).await),
        200
    );
    assert_eq!(
        drive(
            app.call(Method::GET, "/accounts", Some("bad-key-0123456789"), None)
                .await
        ),
        401
    );

    drop(app);
    let logs = String::from_utf8(capture.0.lock().expect("lock").clone()).expect("utf-8");
    assert!(logs.contains("TRACE"), "the capture holds TRACE output");
    assert!(
        logs.contains("account connected"),
        "the capture holds the gateway's own lines"
    );
    for secret in [token, new_token, wrong_token, ADMIN_KEY] {
        for form in forms(secret) {
            assert!(!logs.contains(&form), "a log line contains {form:?}");
            for body in &bodies {
                assert!(!body.contains(&form), "a response contains {form:?}");
            }
        }
    }
}

// Not `backend_tests!`: this needs a current-thread runtime (see above).
mod sqlite {
    #[test]
    fn secrets_never_appear_in_logs_or_bodies() {
        super::run(super::Backend::Sqlite);
    }
}

mod postgres {
    #[test]
    fn secrets_never_appear_in_logs_or_bodies() {
        super::run(super::Backend::Postgres);
    }
}

fn run(backend: Backend) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        if backend == Backend::Postgres && !crate::helpers::postgres_available().await {
            return;
        }
        secrets_never_appear_in_logs_or_bodies(backend).await;
    });
}
