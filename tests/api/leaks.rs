//! Secrets never reach a response body or a log line, at any log level.

use base64::Engine;
use reqwest::Method;
use serde_json::json;

use crate::helpers::{ADMIN_KEY, Backend, app, captured_logs};

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

const TOKEN: &str = "00Leak+Tok/en=Secret~Value-1";
const NEW_TOKEN: &str = "00Leak+Rotated/Secret=Value-2";
const WRONG_TOKEN: &str = "00Leak+Wrong/Secret=Value-3";

/// Drives success and error paths; returns every response (headers and body) as text.
async fn drive_account_api(backend: Backend) -> Vec<String> {
    let app = app(backend).spawn().await;
    app.sim
        .handle()
        .add_token(TOKEN, okta_sim::AdminRole::SuperAdmin);
    app.sim
        .handle()
        .add_token(NEW_TOKEN, okta_sim::AdminRole::SuperAdmin);
    let domain = app.sim.base_url();

    let mut bodies = Vec::new();
    let mut drive = |response: crate::helpers::TestResponse| {
        bodies.push(format!("{:?} {}", response.headers, response.text));
        response.status
    };
    let create = json!({"name": "acme", "domain": domain, "apiToken": TOKEN});
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
    let wrong = json!({"name": "wrong", "domain": domain, "apiToken": WRONG_TOKEN});
    assert_eq!(
        drive(app.admin(Method::POST, "/accounts", Some(wrong)).await),
        401
    );
    let not_okta = json!({"name": "elsewhere", "domain": app.base, "apiToken": TOKEN});
    assert_eq!(
        drive(app.admin(Method::POST, "/accounts", Some(not_okta)).await),
        502
    );
    let invalid =
        json!({"name": "Bad Name", "domain": "https://x.evil.io", "apiToken": format!("{TOKEN} ")});
    assert_eq!(
        drive(app.admin(Method::POST, "/accounts", Some(invalid)).await),
        400
    );
    let update = json!({"apiToken": NEW_TOKEN});
    assert_eq!(
        drive(app.admin(Method::PUT, "/accounts/acme", Some(update)).await),
        200
    );
    let bad_update = json!({"apiToken": WRONG_TOKEN});
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

    bodies
}

fn secrets_never_appear_in_logs_or_bodies(backend: Backend) {
    let (logs, bodies) = captured_logs(false, || async move {
        if backend == Backend::Postgres && !crate::helpers::postgres_available().await {
            return None;
        }
        Some(drive_account_api(backend).await)
    });
    let Some(bodies) = bodies else {
        return;
    };
    assert!(logs.contains("TRACE"), "the capture holds TRACE output");
    assert!(
        logs.contains("account connected"),
        "the capture holds the gateway's own lines"
    );
    for secret in [TOKEN, NEW_TOKEN, WRONG_TOKEN, ADMIN_KEY] {
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
    secrets_never_appear_in_logs_or_bodies(backend);
}
