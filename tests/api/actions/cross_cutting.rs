//! Rules every action keeps, checked by looping over the catalog so a new action is covered
//! the day it is added. (Every example succeeding against the demo org is checked, with its
//! response against the contract, in `tests/api/contract.rs`.)

use okta_gateway::actions::{Action, Catalog, example};
use okta_gateway::params::InputSchema;
use serde_json::Value;

use crate::helpers::{TestApp, captured_logs, spawn_with_account};

use super::support::{assert_refused, audit_lines};

/// A fresh demo org with an empty request log, for the next action.
fn fresh_org(app: &TestApp) {
    app.sim.handle().reset(okta_sim::Seed::Demo);
    app.forget_requests();
}

/// The names of the fields of `schema` that `rule` picks.
fn fields_where(
    schema: &InputSchema,
    rule: impl Fn(&okta_gateway::params::FieldRule) -> bool,
) -> Vec<String> {
    schema
        .fields()
        .iter()
        .filter(|f| rule(f))
        .map(|f| f.name.clone())
        .collect()
}

#[tokio::test]
async fn every_user_reference_accepts_a_login_and_an_id() {
    let app = spawn_with_account().await;
    let mut checked = 0;
    for (action, schema) in Catalog::new().iter() {
        for field in fields_where(schema, |f| f.user_reference) {
            fresh_org(&app);
            let body = example(action);
            let named = body[&field]
                .as_str()
                .unwrap_or_else(|| panic!("{}'s example names {field}", action.name));
            let user = app
                .sim
                .handle()
                .user(named)
                .unwrap_or_else(|| panic!("{}'s {field} is a demo user", action.name));
            let id = user["id"].as_str().expect("an id").to_owned();
            let login = user["profile"]["login"]
                .as_str()
                .expect("a login")
                .to_owned();
            let mut sent = Vec::new();
            for reference in [&id, &login] {
                fresh_org(&app);
                let mut body = body.clone();
                body[&field] = Value::String(reference.clone());
                let response = app.action(action.name, body).await;
                assert_eq!(
                    response.status, 200,
                    "{} with {field}={reference}: {}",
                    action.name, response.text
                );
                if let Some(answered) = response.json.get("userId") {
                    assert_eq!(answered, id.as_str(), "{}: the resolved id", action.name);
                }
                sent.push(calls(&app));
            }
            assert_same_calls_after_resolving(action, &login, &id, &sent[0], &sent[1]);
            checked += 1;
        }
    }
    assert!(checked > 0, "the catalog has user references");
}

/// Each Okta call as method, path and body.
fn calls(app: &TestApp) -> Vec<(String, String)> {
    app.sim
        .handle()
        .requests()
        .into_iter()
        .map(|r| {
            (
                format!("{} {}", r.method, r.path),
                r.body.unwrap_or_default(),
            )
        })
        .collect()
}

/// With a login, an action makes the calls it makes with the id: either after one lookup of
/// the login (then the id), or with the login in place of the id where Okta takes a login.
#[track_caller]
fn assert_same_calls_after_resolving(
    action: &Action,
    login: &str,
    id: &str,
    by_id: &[(String, String)],
    by_login: &[(String, String)],
) {
    assert!(
        login
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "@.-".contains(c)),
        "{login}: only '@' needs encoding in these logins"
    );
    let encoded = login.replace('@', "%40");
    let mut by_login = by_login.to_vec();
    if by_login.len() == by_id.len() + 1 {
        let lookup = by_login.remove(0);
        assert_eq!(
            lookup.0,
            format!("GET /api/v1/users/{encoded}"),
            "{}: one lookup of the login first",
            action.name
        );
    }
    let mut by_login: Vec<(String, String)> = by_login
        .into_iter()
        .map(|(call, body)| (call.replace(&encoded, id), body))
        .collect();
    // An action may make its calls concurrently (diagnose_user): compared in any order.
    let mut by_id = by_id.to_vec();
    by_login.sort();
    by_id.sort();
    assert_eq!(by_login, by_id, "{}: calls by login vs by id", action.name);
}

#[tokio::test]
async fn every_dry_run_action_makes_no_write() {
    let app = spawn_with_account().await;
    let mut checked = 0;
    for (action, schema) in Catalog::new().iter() {
        for field in fields_where(schema, |f| f.dry_run) {
            fresh_org(&app);
            let mut body = example(action);
            body[&field] = Value::Bool(true);
            let response = app.action(action.name, body).await;
            assert_eq!(response.status, 200, "{}: {}", action.name, response.text);
            assert_eq!(
                response.json["dryRun"], true,
                "{}: {}",
                action.name, response.text
            );
            let calls = app.okta_calls();
            assert!(
                calls.iter().all(|call| call.starts_with("GET ")),
                "{}'s dry run only reads: {calls:?}",
                action.name
            );
            checked += 1;
        }
    }
    assert!(checked > 0, "the catalog has dry-run actions");
}

#[tokio::test]
async fn every_action_refuses_an_unknown_field() {
    let app = spawn_with_account().await;
    for (action, _) in Catalog::new().iter() {
        fresh_org(&app);
        let mut body = example(action);
        body["notAField"] = Value::Bool(true);
        let response = app.action(action.name, body).await;
        assert_refused(&app, &response, &["notAField"]);
        assert_eq!(
            response.json["error"]["details"]["fields"][0]["problem"], "is not a known parameter",
            "{}: {}",
            action.name, response.text
        );
    }
}

#[test]
fn every_mutating_action_writes_one_audit_line() {
    let actions: Vec<&'static Action> = Catalog::new().iter().map(|(a, _)| a).collect();
    let (logs, ()) = captured_logs(true, || async {
        let app = spawn_with_account().await;
        for action in &actions {
            fresh_org(&app);
            let response = app.action(action.name, example(action)).await;
            assert_eq!(response.status, 200, "{}: {}", action.name, response.text);
        }
    });
    let lines = audit_lines(&logs);
    for action in &actions {
        let written: Vec<&Value> = lines
            .iter()
            .filter(|line| line["action"] == action.name)
            .collect();
        if action.mutating {
            assert_eq!(
                written.len(),
                1,
                "{} writes one audit line: {written:#?}",
                action.name
            );
            assert_eq!(written[0]["outcome"], "success", "{:#?}", written[0]);
        } else {
            assert!(
                written.is_empty(),
                "{} reads only: {written:#?}",
                action.name
            );
        }
    }
}
