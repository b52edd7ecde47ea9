//! find_user_by_email: one filter call; exactly one user, none (404) or several (409).

use okta_sim::UserSeed;
use okta_sim::demo::{JORDAN_ID, JORDAN_LOGIN};
use serde_json::{Value, json};

use super::super::support::{assert_refused, assert_seed_keys, received};
use super::{answered, sample_of, shaped_like};
use crate::helpers::{TestApp, spawn_with_account};

/// Okta's query for an address, as the gateway must encode it.
fn filter_query(encoded_address: &str) -> String {
    format!("GET /api/v1/users?filter=profile.email+eq+%22{encoded_address}%22&limit=11")
}

/// Seeds `n` users sharing one email address; returns their ids in Okta's (id) order.
fn seed_sharing(app: &TestApp, email: &str, n: usize) -> Vec<String> {
    let mut ids: Vec<String> = (0..n)
        .map(|k| {
            let user = app.sim.handle().seed_user(UserSeed {
                email: email.to_owned(),
                ..UserSeed::new(&format!("shared.{k}@example.com"), "Shared", "Inbox")
            });
            user["id"].as_str().expect("seeded").to_owned()
        })
        .collect();
    ids.sort();
    ids
}

/// The contract's 409 body schema for find_user_by_email, its components alongside.
fn documented_conflict() -> jsonschema::Validator {
    let spec = crate::contract::spec();
    let operation = &spec["paths"]["/accounts/{name}/actions/find_user_by_email"]["post"];
    let response = crate::contract::resolve(&spec, &operation["responses"]["409"]);
    let mut schema = response["content"]["application/json"]["schema"].clone();
    schema["components"] = spec["components"].clone();
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(&schema)
        .expect("the contract's error schema")
}

#[tokio::test]
async fn an_address_one_user_has_answers_that_user_shaped_like_get_user() {
    let app = spawn_with_account().await;
    let response = app
        .action("find_user_by_email", json!({"email": JORDAN_LOGIN}))
        .await;

    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(app.okta_calls(), [filter_query("jordan.lee%40example.com")]);
    let okta = answered(&received(&app)[0]);
    let sample = sample_of("get_user");
    assert_eq!(response.json, shaped_like(&okta[0], &sample));
    assert_seed_keys(&response.json, &sample, true);
    assert_eq!(response.json["id"], JORDAN_ID);
}

#[tokio::test]
async fn an_address_nobody_has_is_resource_not_found_and_okta_compares_case_exactly() {
    let app = spawn_with_account().await;
    for (email, encoded) in [
        ("nobody@example.com", "nobody%40example.com"),
        ("Jordan.Lee@example.com", "Jordan.Lee%40example.com"),
    ] {
        app.forget_requests();
        let response = app
            .action("find_user_by_email", json!({"email": email}))
            .await;
        let error = response.assert_error("RESOURCE_NOT_FOUND", 404);
        assert_eq!(error["code"], 8002);
        assert_eq!(error["details"]["resource"], "user");
        assert_eq!(
            error["message"],
            "Okta has no user with this email address."
        );
        assert_eq!(app.okta_calls(), [filter_query(encoded)]);
    }
}

#[tokio::test]
async fn an_address_several_users_share_is_a_conflict_listing_them() {
    let app = spawn_with_account().await;
    let ids = seed_sharing(&app, "helpdesk@example.com", 3);
    app.forget_requests();
    let response = app
        .action(
            "find_user_by_email",
            json!({"email": "helpdesk@example.com"}),
        )
        .await;

    let error = response.assert_error("CONFLICT", 409);
    assert_eq!(error["code"], 9114);
    assert_eq!(error["message"], "3 users have this email address.");
    assert_eq!(
        error["howToFix"],
        "Pick the user from details.matches and use their id or login in the next action."
    );
    let logins: Vec<Value> = received(&app)
        .first()
        .map(answered)
        .and_then(|okta| okta.as_array().cloned())
        .expect("Okta's list")
        .iter()
        .map(|user| json!({"id": user["id"], "login": user["profile"]["login"]}))
        .collect();
    assert_eq!(error["details"]["matches"], Value::Array(logins));
    let listed: Vec<&str> = error["details"]["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, ids);
    assert_eq!(app.okta_calls(), [filter_query("helpdesk%40example.com")]);
    let errors: Vec<String> = documented_conflict()
        .iter_errors(&response.json)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "the documented 409: {errors:?}");
}

#[tokio::test]
async fn more_than_ten_users_on_one_address_are_listed_ten_from_one_call() {
    let app = spawn_with_account().await;
    let ids = seed_sharing(&app, "team@example.com", 14);
    app.forget_requests();
    let response = app
        .action("find_user_by_email", json!({"email": "team@example.com"}))
        .await;

    let error = response.assert_error("CONFLICT", 409);
    assert_eq!(
        error["message"],
        "More than 10 users have this email address."
    );
    let matches = error["details"]["matches"].as_array().expect("matches");
    let listed: Vec<&str> = matches.iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(listed, ids[..10]);
    assert!(
        matches
            .iter()
            .all(|m| m["login"].as_str().unwrap().starts_with("shared."))
    );
    assert_eq!(app.okta_calls(), [filter_query("team%40example.com")]);
}

#[tokio::test]
async fn quotes_and_backslashes_in_an_address_are_escaped_inside_oktas_string() {
    let app = spawn_with_account().await;
    // A quoted local part: the only place an email address may hold `"` and `\`.
    let email = r#""o\"neil\\x"@example.com"#;
    let odd = app.sim.handle().seed_user(UserSeed {
        email: email.to_owned(),
        ..UserSeed::new("pat.oneil@example.com", "Pat", "O'Neil")
    });
    app.forget_requests();
    let response = app
        .action("find_user_by_email", json!({"email": email}))
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.json["id"], odd["id"]);
    assert_eq!(response.json["profile"]["email"], email);
    // profile.email eq "\"o\\\"neil\\\\x\"@example.com"
    assert_eq!(
        app.okta_calls(),
        [filter_query(
            "%5C%22o%5C%5C%5C%22neil%5C%5C%5C%5Cx%5C%22%40example.com"
        )]
    );

    // A quote cannot end Okta's string early and widen the filter: the whole address is
    // compared, and nobody has it.
    app.forget_requests();
    let response = app
        .action(
            "find_user_by_email",
            json!({"email": r#"jordan.lee@example.com""#}),
        )
        .await;
    response.assert_error("RESOURCE_NOT_FOUND", 404);
    assert_eq!(
        app.okta_calls(),
        [filter_query("jordan.lee%40example.com%5C%22")]
    );
}

#[tokio::test]
async fn an_address_that_is_no_email_is_refused_before_any_call() {
    let app = spawn_with_account().await;
    for email in [
        json!("jordan"),
        json!(""),
        json!("a b@example.com"),
        json!(5),
    ] {
        let response = app
            .action("find_user_by_email", json!({"email": email}))
            .await;
        assert_refused(&app, &response, &["email"]);
    }
    let response = app.action("find_user_by_email", json!({})).await;
    assert_refused(&app, &response, &["email"]);
}
