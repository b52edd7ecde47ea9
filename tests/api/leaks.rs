//! Secrets never reach a response body or a log line, at any log level.

use base64::Engine;
use reqwest::Method;
use serde_json::json;

use crate::helpers::{ADMIN_KEY, Backend, RunningGateway, app, captured_logs, config_from};
use crate::service_app_keys::{CLIENT, Key, RSA_A, RSA_B};

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

/// Drives success and error paths; returns every response (headers and body) as text, and the
/// service app's credentials that crossed the wire (access tokens, client assertions, DPoP
/// proofs).
async fn drive_account_api(backend: Backend) -> (Vec<String>, Vec<String>) {
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

    // A service app with DPoP: connected, refused, used, and its app removed in Okta.
    app.sim
        .handle()
        .add_oauth_client(RSA_A.seed(CLIENT, &["okta.users.read"]).require_dpop())
        .expect("registered");
    let service_app = |name: &str, key: &Key| json!({"name": name, "domain": domain, "oauth": key.account_oauth(CLIENT, &["okta.users.read"])});
    assert_eq!(
        drive(
            app.admin(Method::POST, "/accounts", Some(service_app("svc", &RSA_A)))
                .await
        ),
        201
    );
    assert_eq!(
        drive(
            app.admin(
                Method::POST,
                "/accounts",
                Some(service_app("other", &RSA_B))
            )
            .await
        ),
        401
    );
    let mut garbled = service_app("garbled", &RSA_A);
    garbled["oauth"]["privateKey"] = json!(RSA_A.pem.replacen("MII", "MIJ", 1));
    assert_eq!(
        drive(app.admin(Method::POST, "/accounts", Some(garbled)).await),
        400
    );
    let read = || {
        app.call(
            Method::POST,
            "/accounts/svc/actions/get_user",
            Some(crate::helpers::ACTION_KEY),
            Some(json!({"searchBy": "login", "searchValue": "admin@example.com"})),
        )
    };
    assert_eq!(drive(read().await), 200);
    assert!(app.sim.handle().remove_oauth_client(CLIENT));
    app.sim.handle().revoke_access_tokens();
    assert_eq!(drive(read().await), 401);
    assert_eq!(
        drive(app.admin(Method::GET, "/accounts/svc", None).await),
        200
    );

    let mut wire = Vec::new();
    for request in app.sim.handle().requests() {
        wire.extend(
            crate::helpers::sent_headers(&request, "dpop")
                .into_iter()
                .map(str::to_owned),
        );
        if request.path != "/oauth2/v1/token" {
            continue;
        }
        let form = url::form_urlencoded::parse(request.body.as_deref().unwrap_or("").as_bytes());
        wire.extend(
            form.filter(|(k, _)| k == "client_assertion")
                .map(|(_, v)| v.into_owned()),
        );
        let answer: serde_json::Value =
            serde_json::from_str(request.response_body.as_deref().unwrap_or("{}"))
                .unwrap_or_default();
        if let Some(token) = answer["access_token"].as_str() {
            wire.push(token.to_owned());
        }
    }
    assert!(
        wire.len() >= 5,
        "tokens, assertions and proofs were seen: {wire:?}"
    );
    (bodies, wire)
}

fn secrets_never_appear_in_logs_or_bodies(backend: Backend) {
    let (logs, bodies) = captured_logs(false, || async move {
        if backend == Backend::Postgres && !crate::helpers::postgres_available().await {
            return None;
        }
        Some(drive_account_api(backend).await)
    });
    let Some((bodies, wire)) = bodies else {
        return;
    };
    assert!(logs.contains("TRACE"), "the capture holds TRACE output");
    assert!(
        logs.contains("account connected"),
        "the capture holds the gateway's own lines"
    );
    // The private keys, line by line (a PEM's body is base64 in 64-character lines).
    let key_lines = [&RSA_A, &RSA_B]
        .into_iter()
        .flat_map(|key| key.pem.lines())
        .filter(|line| !line.starts_with("-----") && line.len() > 16)
        .map(str::to_owned);
    let secrets: Vec<String> = [TOKEN, NEW_TOKEN, WRONG_TOKEN, ADMIN_KEY]
        .into_iter()
        .map(str::to_owned)
        .chain(key_lines)
        .chain(wire)
        .collect();
    for secret in &secrets {
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

/// Token encryption keys: in the environment (one or a ring), in the generated key file, and
/// through start-up refusals, a 503 for a missing key, configuration errors and a rotation.
async fn drive_key_paths() -> (Vec<String>, String) {
    use okta_gateway::config::Config;
    use okta_gateway::startup::Application;

    let mut texts = Vec::new();
    let app = app(Backend::Sqlite)
        .var("TOKEN_ENCRYPTION_KEYS", RING_KEYS[0])
        .without("TOKEN_ENCRYPTION_KEY")
        .spawn()
        .await;
    assert_eq!(app.create_account("acme").await.status, 201);
    let mut newer_vars = app.vars.clone();
    newer_vars.insert(
        "TOKEN_ENCRYPTION_KEYS".into(),
        format!("{},{}", RING_KEYS[1], RING_KEYS[0]),
    );
    let mut newer = RunningGateway::start(config_from(&newer_vars))
        .await
        .expect("starts");
    app.sim
        .handle()
        .add_token(NEW_TOKEN, okta_sim::AdminRole::SuperAdmin);
    let put = app
        .http
        .put(format!("http://{}/accounts/acme", newer.addr))
        .bearer_auth(ADMIN_KEY)
        .json(&json!({"apiToken": NEW_TOKEN}))
        .send()
        .await
        .expect("sent");
    assert_eq!(put.status(), 200);
    let missing = app
        .action("get_user", json!({"searchBy": "id", "searchValue": "x"}))
        .await;
    assert_eq!(missing.status, 503);
    texts.push(format!("{:?} {}", missing.headers, missing.text));

    let mut stranger = app.vars.clone();
    stranger.insert("TOKEN_ENCRYPTION_KEYS".into(), RING_KEYS[2].into());
    let refused = Application::build(config_from(&stranger)).await.err();
    texts.push(format!("{:#}", refused.expect("refused")));
    let bad_ring = format!("{},{},not-a-key", RING_KEYS[1], RING_KEYS[0]);
    let config_error = Config::from_lookup(|k| match k {
        "TOKEN_ENCRYPTION_KEYS" => Some(bad_ring.clone()),
        _ => None,
    })
    .err();
    texts.push(config_error.expect("invalid").to_string());

    let mut app = app;
    app.gateway.stop().await;
    newer.stop().await;
    let config = config_from(&newer_vars);
    let store = okta_gateway::store::connect(&config.database_url, 1)
        .await
        .expect("store");
    let summary = okta_gateway::rotation::rotate_key(&config, store.as_ref())
        .await
        .expect("rotates");
    texts.push(summary);

    // The embedded default's generated key file, rotated by the command's code path.
    let generated = crate::helpers::app(Backend::Sqlite)
        .without("TOKEN_ENCRYPTION_KEY")
        .spawn()
        .await;
    assert_eq!(generated.create_account("acme").await.status, 201);
    let file = generated
        .db
        .data_dir()
        .expect("dir")
        .join(okta_gateway::secrets::TOKEN_KEY_FILE);
    let mut file_keys = std::fs::read_to_string(&file).expect("key file");
    let mut generated = generated;
    generated.gateway.stop().await;
    let config = config_from(&generated.vars);
    let store = okta_gateway::store::connect(&config.database_url, 1)
        .await
        .expect("store");
    texts.push(
        okta_gateway::rotation::rotate_key(&config, store.as_ref())
            .await
            .expect("rotates the file"),
    );
    file_keys.push_str(&std::fs::read_to_string(&file).expect("key file"));
    (texts, file_keys)
}

/// Three keys for a ring (base64 of 32 bytes each).
const RING_KEYS: [&str; 3] = [
    "S2V5LW9uZS1rZXktb25lLWtleS1vbmUta2V5LW9uZSE=",
    "S2V5LXR3by1rZXktdHdvLWtleS10d28ta2V5LXR3byE=",
    "S2V5LXRocmVlLWtleS10aHJlZS1rZXktdGhyZWUta2U=",
];

#[test]
fn token_encryption_keys_never_appear_in_logs_or_errors() {
    let (logs, (texts, file_keys)) = captured_logs(false, drive_key_paths);
    assert!(
        logs.contains("key id"),
        "the capture holds the key-related lines"
    );
    let mut secrets: Vec<String> = RING_KEYS.iter().map(|k| k.to_string()).collect();
    secrets.extend(file_keys.lines().map(str::to_owned));
    assert_eq!(secrets.len(), 5, "two generated keys from the file");
    for secret in &secrets {
        for form in forms(secret) {
            assert!(!logs.contains(&form), "a log line contains {form:?}");
            for text in &texts {
                assert!(
                    !text.contains(&form),
                    "an error or answer contains {form:?}"
                );
            }
        }
    }
}
