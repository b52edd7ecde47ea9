//! Accounts that connect with an OAuth 2.0 service app, through the real server against
//! okta-sim's authorization server: connecting with RSA and EC keys, with and without DPoP;
//! one token shared by many actions; expiry and revocation; scopes refused before Okta is
//! called; every action of the catalog on an account granted exactly its scopes.

use std::collections::BTreeSet;
use std::time::Duration;

use okta_gateway::actions::{ACTIONS, Catalog, example};
use okta_sim::RecordedRequest;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{ACCOUNT, Backend, TestApp, TestResponse, app, sent_headers};
use crate::service_app_keys::{CLIENT, EC_A, Key, RSA_A, RSA_B};

/// Every scope any action needs.
fn all_scopes() -> Vec<&'static str> {
    let scopes: BTreeSet<&'static str> = ACTIONS
        .iter()
        .flat_map(|action| action.scopes.iter().copied())
        .collect();
    scopes.into_iter().collect()
}

/// An app with the account [`ACCOUNT`] not yet connected and the service app `CLIENT`
/// registered at its okta-sim with `key`, every scope, and DPoP required or not.
async fn org_with_app(key: &Key, require_dpop: bool) -> TestApp {
    let app = app(Backend::Sqlite).spawn().await;
    let mut seed = key.seed(CLIENT, &all_scopes());
    if require_dpop {
        seed = seed.require_dpop();
    }
    app.sim.handle().add_oauth_client(seed).expect("registered");
    app
}

fn oauth_body(app: &TestApp, key: &Key, scopes: &[&str]) -> Value {
    json!({
        "name": ACCOUNT,
        "domain": app.sim.base_url(),
        "oauth": key.account_oauth(CLIENT, scopes),
    })
}

async fn connect_account(app: &TestApp, key: &Key, scopes: &[&str]) -> TestResponse {
    app.admin(
        Method::POST,
        "/accounts",
        Some(oauth_body(app, key, scopes)),
    )
    .await
}

fn token_requests(app: &TestApp) -> Vec<RecordedRequest> {
    app.okta_requests()
        .into_iter()
        .filter(|r| r.path == "/oauth2/v1/token")
        .collect()
}

fn api_requests(app: &TestApp) -> Vec<RecordedRequest> {
    app.okta_requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/api/"))
        .collect()
}

/// The `Authorization` header of get_user's Okta call, which must need no new token.
async fn next_authorization(app: &TestApp) -> String {
    app.forget_requests();
    let user = app.action("get_user", get_user_body()).await;
    assert_eq!(user.status, 200, "{}", user.text);
    assert!(token_requests(app).is_empty());
    let calls = api_requests(app);
    sent_headers(&calls[0], "authorization")[0].to_owned()
}

/// Okta refused the service app: 401 with a fix naming its settings.
#[track_caller]
fn assert_refused_app(response: &TestResponse) {
    let error = response.assert_error("AUTHENTICATION_FAILURE", 401);
    let fix = error["howToFix"].as_str().unwrap_or_default();
    assert!(fix.contains("service app"), "{error}");
}

/// An action's example request (looked up without compiling the catalog's schemas).
fn example_of(name: &str) -> Value {
    let action = ACTIONS.iter().find(|a| a.name == name).expect("an action");
    example(action)
}

fn get_user_body() -> Value {
    example_of("get_user")
}

#[tokio::test]
async fn a_service_app_connects_with_rsa_or_ec_keys_with_or_without_dpop_and_runs_actions() {
    for (key, dpop) in [
        (&RSA_A, false),
        (&RSA_A, true),
        (&EC_A, false),
        (&EC_A, true),
    ] {
        let app = org_with_app(key, dpop).await;
        let created = connect_account(&app, key, &["okta.users.read", "okta.groups.read"]).await;
        assert_eq!(
            created.status, 201,
            "{} dpop={dpop}: {}",
            key.kid, created.text
        );
        let view = &created.json;
        assert_eq!(view["authType"], "oauth");
        assert_eq!(view["clientId"], CLIENT);
        assert_eq!(
            view["scopes"],
            json!(["okta.users.read", "okta.groups.read"])
        );
        assert!(view["lastVerifiedAt"].is_string(), "{view}");
        assert!(view.get("privateKey").is_none() && view.get("oauth").is_none());
        // Connecting obtained a token and made one read its scopes allow (not users/me: a
        // service app has no user).
        let sent = app.okta_requests();
        // With DPoP: refused without a proof, then asked for a nonce, then issued.
        assert_eq!(
            token_requests(&app).len(),
            if dpop { 3 } else { 1 },
            "{sent:?}"
        );
        let probes: Vec<&RecordedRequest> = sent
            .iter()
            .filter(|r| r.path.starts_with("/api/"))
            .collect();
        assert_eq!(probes.len(), 1, "{probes:?}");
        assert_ne!(probes[0].path, "/api/v1/users/me");

        app.forget_requests();
        let user = app.action("get_user", get_user_body()).await;
        assert_eq!(user.status, 200, "{}", user.text);
        let calls = api_requests(&app);
        let authorization = sent_headers(&calls[0], "authorization");
        let scheme = if dpop { "DPoP " } else { "Bearer " };
        assert!(
            authorization.len() == 1 && authorization[0].starts_with(scheme),
            "{authorization:?}"
        );
        assert_eq!(sent_headers(&calls[0], "dpop").len(), usize::from(dpop));

        let listed = app.admin(Method::GET, "/accounts", None).await;
        assert_eq!(listed.json[0]["authType"], "oauth", "{}", listed.text);
    }
}

#[tokio::test]
async fn a_private_jwk_connects_as_an_object_or_as_its_text() {
    let app = org_with_app(&EC_A, false).await;
    let jwk = EC_A.private_jwk();
    let d = jwk["d"].as_str().expect("d").to_owned();
    for key in [jwk.clone(), Value::String(jwk.to_string())] {
        let mut body = oauth_body(&app, &EC_A, &["okta.users.read"]);
        body["oauth"]["privateKey"] = key;
        body["oauth"]
            .as_object_mut()
            .expect("object")
            .remove("keyId");
        let created = app.admin(Method::POST, "/accounts", Some(body)).await;
        assert_eq!(created.status, 201, "{}", created.text);
        assert!(!created.text.contains(&d));
        let user = app.action("get_user", get_user_body()).await;
        assert_eq!(user.status, 200, "{}", user.text);
        let removed = app
            .admin(Method::DELETE, &format!("/accounts/{ACCOUNT}"), None)
            .await;
        assert_eq!(removed.status, 204);
    }
}

#[tokio::test]
async fn connecting_refuses_bad_credentials_before_storing_anything() {
    let app = org_with_app(&RSA_A, false).await;
    let refused = |body: Value| {
        let app = &app;
        async move { app.admin(Method::POST, "/accounts", Some(body)).await }
    };

    let mut both = oauth_body(&app, &RSA_A, &["okta.users.read"]);
    both["apiToken"] = json!(app.sim_token);
    let both = refused(both).await;
    both.assert_error("INVALID_FIELD_VALUE", 400);
    assert_eq!(both.bad_fields(), ["apiToken", "oauth"]);

    let neither = refused(json!({"name": ACCOUNT, "domain": app.sim.base_url()})).await;
    neither.assert_error("INVALID_FIELD_VALUE", 400);
    assert_eq!(neither.bad_fields(), ["apiToken", "oauth"]);

    let mut not_a_key = oauth_body(&app, &RSA_A, &["okta.users.read"]);
    let garbled = RSA_A.pem.replace("MII", "XYZ");
    not_a_key["oauth"]["privateKey"] = json!(garbled);
    let not_a_key = refused(not_a_key).await;
    not_a_key.assert_error("INVALID_FIELD_VALUE", 400);
    assert_eq!(not_a_key.bad_fields(), ["oauth.privateKey"]);
    assert!(!not_a_key.text.contains("XYZ"), "{}", not_a_key.text);

    let mut members = oauth_body(&app, &RSA_A, &[]);
    members["oauth"]["clientId"] = json!("has space");
    members["oauth"]["surprise"] = json!(1);
    let members = refused(members).await;
    members.assert_error("INVALID_FIELD_VALUE", 400);
    assert_eq!(
        members.bad_fields(),
        ["oauth.clientId", "oauth.scopes", "oauth"]
    );

    let mut missing = oauth_body(&app, &RSA_A, &["okta.users.read"]);
    missing["oauth"]
        .as_object_mut()
        .expect("object")
        .remove("privateKey");
    let missing = refused(missing).await;
    assert_eq!(
        missing.bad_fields(),
        ["oauth.privateKey"],
        "{}",
        missing.text
    );

    // A key the app does not hold: Okta refuses the assertion.
    let wrong = connect_account(&app, &RSA_B, &["okta.users.read"]).await;
    assert_refused_app(&wrong);
    // A scope the app was not granted.
    app.sim
        .handle()
        .add_oauth_client(RSA_A.seed(CLIENT, &["okta.users.read"]))
        .expect("registered");
    let ungranted = connect_account(&app, &RSA_A, &["okta.groups.manage"]).await;
    let error = ungranted.assert_error("RESOURCE_ACCESS_DENIED", 403);
    assert!(
        error["message"]
            .as_str()
            .unwrap_or_default()
            .contains("okta.groups.manage")
            || error["howToFix"]
                .as_str()
                .unwrap_or_default()
                .contains("okta.groups.manage"),
        "{error}"
    );
    let listed = app.admin(Method::GET, "/accounts", None).await;
    assert_eq!(listed.json, json!([]), "nothing was stored");
}

#[tokio::test]
async fn okta_granting_fewer_scopes_than_asked_keeps_what_was_granted() {
    let app = org_with_app(&RSA_A, false).await;
    app.sim
        .handle()
        .add_oauth_client(RSA_A.seed(CLIENT, &["okta.users.read"]))
        .expect("registered");
    let created = connect_account(&app, &RSA_A, &["okta.users.read", "okta.groups.read"]).await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.json["scopes"], json!(["okta.users.read"]));

    // Unverified, the requested scopes are stored as given.
    let mut body = oauth_body(&app, &RSA_A, &["okta.users.read", "okta.logs.read"]);
    body["name"] = json!("unverified");
    body["verify"] = json!(false);
    let unverified = app.admin(Method::POST, "/accounts", Some(body)).await;
    assert_eq!(unverified.status, 201, "{}", unverified.text);
    assert_eq!(
        unverified.json["scopes"],
        json!(["okta.users.read", "okta.logs.read"])
    );
    assert!(unverified.json["lastVerifiedAt"].is_null());
}

#[tokio::test]
async fn many_concurrent_actions_share_one_token_request_and_later_ones_reuse_it() {
    // With DPoP, one token takes three requests: refused without a proof, then without a
    // nonce, then issued.
    for (key, dpop, requests) in [(&RSA_A, false, 1), (&EC_A, true, 3)] {
        let app = org_with_app(key, dpop).await;
        let created = connect_account(&app, key, &["okta.users.read"]).await;
        assert_eq!(created.status, 201, "{}", created.text);
        app.forget_requests();

        let calls: Vec<_> = (0..50)
            .map(|_| tokio::spawn(app.action_on(ACCOUNT, "get_user", get_user_body())))
            .collect();
        for call in calls {
            let response = call.await.expect("joined");
            assert_eq!(response.status, 200, "{}", response.text);
        }
        let tokens = token_requests(&app);
        assert_eq!(
            tokens.len(),
            requests,
            "one token for 50 actions (dpop={dpop})"
        );
        for _ in 0..5 {
            let response = app.action("get_user", get_user_body()).await;
            assert_eq!(response.status, 200, "{}", response.text);
        }
        assert_eq!(
            token_requests(&app).len(),
            requests,
            "later actions reuse it"
        );
        assert_eq!(api_requests(&app).len(), 55);
    }
}

#[tokio::test]
async fn an_expiring_or_revoked_token_is_replaced_and_a_removed_app_is_an_authentication_failure() {
    let app = org_with_app(&RSA_A, false).await;
    app.sim
        .handle()
        .set_access_token_lifetime(Duration::from_secs(4));
    let created = connect_account(&app, &RSA_A, &["okta.users.read"]).await;
    assert_eq!(created.status, 201, "{}", created.text);
    app.forget_requests();

    let first = app.action("get_user", get_user_body()).await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(token_requests(&app).len(), 1);
    // Past three quarters of its life the token is replaced before Okta would refuse it.
    tokio::time::sleep(Duration::from_millis(3_300)).await;
    let later = app.action("get_user", get_user_body()).await;
    assert_eq!(later.status, 200, "{}", later.text);
    assert_eq!(token_requests(&app).len(), 2);

    // Revoked at Okta: the 401 gets one new token and one repeat.
    app.sim
        .handle()
        .set_access_token_lifetime(Duration::from_secs(3600));
    app.sim.handle().revoke_access_tokens();
    app.forget_requests();
    let revoked = app.action("get_user", get_user_body()).await;
    assert_eq!(revoked.status, 200, "{}", revoked.text);
    assert_eq!(token_requests(&app).len(), 1);
    assert_eq!(
        api_requests(&app).len(),
        2,
        "the refused call and its repeat"
    );

    // The app deleted in Okta: its token stops working and no new one is issued.
    assert!(app.sim.handle().remove_oauth_client(CLIENT));
    let removed = app.action("get_user", get_user_body()).await;
    assert_refused_app(&removed);
    let account = app
        .admin(Method::GET, &format!("/accounts/{ACCOUNT}"), None)
        .await;
    assert!(account.json["lastError"].is_string(), "{}", account.text);
}

#[tokio::test]
async fn an_action_outside_the_granted_scopes_is_refused_before_any_okta_call() {
    let app = org_with_app(&RSA_A, false).await;
    let created = connect_account(&app, &RSA_A, &["okta.users.read"]).await;
    assert_eq!(created.status, 201, "{}", created.text);
    app.forget_requests();

    let delete = app.action("delete_user", example_of("delete_user")).await;
    let error = delete.assert_error("RESOURCE_ACCESS_DENIED", 403);
    assert_eq!(
        error["details"]["missingScopes"],
        json!(["okta.users.manage"])
    );
    assert!(app.okta_requests().is_empty(), "{:?}", app.okta_calls());
    // The attempt is in the audit trail, with what it named.
    let audit = app
        .admin(Method::GET, "/audit?action=delete_user", None)
        .await;
    let rows = audit.json["items"].as_array().expect("rows");
    assert_eq!(rows.len(), 1, "{}", audit.text);
    assert_eq!(rows[0]["outcome"], "RESOURCE_ACCESS_DENIED");
    assert_eq!(rows[0]["requestId"], error["requestId"]);
    assert_eq!(
        rows[0]["targets"][0]["ref"],
        example_of("delete_user")["userIdOrLogin"]
    );

    let runnable = app
        .admin(Method::GET, &format!("/accounts/{ACCOUNT}/actions"), None)
        .await;
    assert_eq!(runnable.status, 200, "{}", runnable.text);
    let names = |list: &Value| -> Vec<String> {
        list.as_array()
            .expect("list")
            .iter()
            .map(|a| a["name"].as_str().expect("name").to_owned())
            .collect()
    };
    assert!(names(&runnable.json["actions"]).contains(&"get_user".to_owned()));
    assert!(names(&runnable.json["unavailable"]).contains(&"delete_user".to_owned()));
}

#[tokio::test]
async fn an_account_switches_between_a_token_and_a_service_app() {
    let app = org_with_app(&RSA_A, false).await;
    let created = app.create_account(ACCOUNT).await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.json["authType"], "apiToken");
    assert!(created.json.get("clientId").is_none() && created.json.get("scopes").is_none());

    let path = format!("/accounts/{ACCOUNT}");
    let to_app = app
        .admin(
            Method::PUT,
            &path,
            Some(json!({"oauth": RSA_A.account_oauth(CLIENT, &["okta.users.read"])})),
        )
        .await;
    assert_eq!(to_app.status, 200, "{}", to_app.text);
    assert_eq!(to_app.json["authType"], "oauth");
    // The token the update was verified with serves the account's actions.
    assert!(next_authorization(&app).await.starts_with("Bearer "));
    // A change that gives no credentials keeps the service app whole.
    let reserve = app
        .admin(Method::PUT, &path, Some(json!({"rateLimitReserve": 20})))
        .await;
    assert_eq!(reserve.status, 200, "{}", reserve.text);
    for key in ["authType", "clientId", "scopes"] {
        assert_eq!(reserve.json[key], to_app.json[key], "{key}");
    }
    assert!(next_authorization(&app).await.starts_with("Bearer "));

    let to_token = app
        .admin(Method::PUT, &path, Some(json!({"apiToken": app.sim_token})))
        .await;
    assert_eq!(to_token.status, 200, "{}", to_token.text);
    assert_eq!(to_token.json["authType"], "apiToken");
    assert!(to_token.json.get("clientId").is_none() && to_token.json.get("scopes").is_none());
    assert!(next_authorization(&app).await.starts_with("SSWS "));

    // A new domain needs new credentials of either kind.
    let moved = app
        .admin(
            Method::PUT,
            &path,
            Some(json!({"domain": "https://other-org.okta.com"})),
        )
        .await;
    moved.assert_error("INVALID_FIELD_VALUE", 400);
    assert_eq!(moved.bad_fields(), ["apiToken", "oauth"]);
}

/// Every action runs on a service app granted exactly the scopes the catalog names for it:
/// okta-sim enforces each endpoint's scopes on the token, so a missing one would fail here.
#[tokio::test]
async fn every_action_runs_on_a_service_app_granted_only_its_scopes() {
    let app = org_with_app(&EC_A, true).await;
    let created = connect_account(&app, &EC_A, &["okta.users.read"]).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let path = format!("/accounts/{ACCOUNT}");
    for (action, schema) in Catalog::new().iter() {
        let scopes: Vec<&str> = action.scopes.to_vec();
        let updated = app
            .admin(
                Method::PUT,
                &path,
                Some(json!({"oauth": EC_A.account_oauth(CLIENT, &scopes)})),
            )
            .await;
        assert_eq!(updated.status, 200, "{}: {}", action.name, updated.text);
        assert_eq!(updated.json["scopes"], json!(scopes), "{}", action.name);
        let mut bodies = vec![example(action)];
        if let Some(dry_run) = schema.fields().iter().find(|f| f.dry_run) {
            let mut body = example(action);
            body[&dry_run.name] = json!(true);
            bodies.push(body);
        }
        for body in bodies {
            app.sim.handle().reset(okta_sim::Seed::Demo);
            let response = app.action(action.name, body.clone()).await;
            assert_eq!(
                response.status, 200,
                "{} with {body}: {}",
                action.name, response.text
            );
        }
    }
}

/// Over MCP, a tool offers only the accounts whose scopes let it run, and calling it on
/// another is refused with the HTTP API's error.
#[tokio::test]
async fn mcp_tools_offer_only_the_accounts_granted_their_scopes() {
    use crate::mcp::{call, connect, tool};

    let app = org_with_app(&RSA_A, false).await;
    assert_eq!(app.create_account("tokened").await.status, 201);
    let created = connect_account(&app, &RSA_A, &["okta.users.read"]).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let client = connect(&app, crate::helpers::ACTION_KEY).await;
    let tools = client.list_all_tools().await.expect("tools");
    let accounts =
        |name: &str| tool(&tools, name).input_schema["properties"]["account"]["enum"].clone();
    assert_eq!(accounts("get_user"), json!([ACCOUNT, "tokened"]));
    assert_eq!(accounts("delete_user"), json!(["tokened"]));

    app.forget_requests();
    let mut arguments = example_of("delete_user");
    arguments["account"] = json!(ACCOUNT);
    arguments["confirm"] = json!(true);
    let refused = call(&client, "delete_user", arguments).await;
    assert_eq!(refused.is_error, Some(true));
    let body = refused.structured_content.expect("the envelope");
    assert_eq!(body["error"]["status"], "RESOURCE_ACCESS_DENIED", "{body}");
    assert_eq!(
        body["error"]["details"]["missingScopes"],
        json!(["okta.users.manage"])
    );
    assert!(app.okta_requests().is_empty());
    client.cancel().await.expect("closed");
}

/// `/metrics` counts each token a service app's account obtains, and each Okta refuses.
#[tokio::test]
async fn metrics_count_the_tokens_issued_and_refused() {
    // A name of its own: the metrics recorder is shared by every test in the process.
    const METERED: &str = "metered";
    let app = org_with_app(&RSA_A, true).await;
    let mut body = oauth_body(&app, &RSA_A, &["okta.users.read"]);
    body["name"] = json!(METERED);
    let created = app.admin(Method::POST, "/accounts", Some(body)).await;
    assert_eq!(created.status, 201, "{}", created.text);
    for _ in 0..3 {
        let read = app.action_on(METERED, "get_user", get_user_body()).await;
        assert_eq!(read.status, 200, "{}", read.text);
    }
    assert!(app.sim.handle().remove_oauth_client(CLIENT));
    app.sim.handle().revoke_access_tokens();
    let refused = app.action_on(METERED, "get_user", get_user_body()).await;
    assert_refused_app(&refused);

    let metrics = app.admin(Method::GET, "/metrics", None).await.text;
    // One token for three actions, whatever DPoP's refusals cost on the wire.
    for (outcome, count) in [("issued", 1), ("refused", 1)] {
        let series = format!(
            "okta_access_tokens_total{{account=\"{METERED}\",outcome=\"{outcome}\"}} {count}"
        );
        assert!(
            metrics.lines().any(|l| l == series),
            "{series} in:\n{metrics}"
        );
    }
}
