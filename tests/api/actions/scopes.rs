//! Each action's Okta OAuth scopes: checked against the operations okta-sim records while the
//! action runs (their requirements come from Okta's spec), shown by `GET /actions`, and the
//! actions an account can run at `GET /accounts/{name}/actions`.

use std::collections::BTreeSet;

use okta_gateway::actions::{Action, Catalog, example};
use okta_gateway::params::InputSchema;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{ACCOUNT, ACTION_KEY, ADMIN_KEY, TestApp, spawn_with_account};

/// The bodies that drive every Okta call an action makes on a healthy org: its example, its
/// dry run, and each user reference given as the user's id and as their login (a lookup).
fn variants(app: &TestApp, action: &Action, schema: &InputSchema) -> Vec<Value> {
    let mut bodies = vec![example(action)];
    for field in schema.fields() {
        if field.dry_run {
            let mut body = example(action);
            body[&field.name] = Value::Bool(true);
            bodies.push(body);
        }
        if field.user_reference {
            let named = example(action)[&field.name]
                .as_str()
                .unwrap_or_else(|| panic!("{}'s example names {}", action.name, field.name))
                .to_owned();
            let user = app
                .sim
                .handle()
                .user(&named)
                .unwrap_or_else(|| panic!("{}'s {} is a demo user", action.name, field.name));
            for key in ["/id", "/profile/login"] {
                let mut body = example(action);
                body[&field.name] = user.pointer(key).cloned().expect("id and login");
                bodies.push(body);
            }
        }
    }
    bodies
}

/// The (method, operation template) of every Okta call `action` made with these bodies.
async fn operations(
    app: &TestApp,
    action: &Action,
    bodies: Vec<Value>,
) -> BTreeSet<(String, String)> {
    let mut operations = BTreeSet::new();
    for body in bodies {
        app.sim.handle().reset(okta_sim::Seed::Demo);
        app.forget_requests();
        let response = app.action(action.name, body.clone()).await;
        assert_eq!(
            response.status, 200,
            "{} with {body}: {}",
            action.name, response.text
        );
        for request in app.sim.handle().requests() {
            let template = request.route.unwrap_or_else(|| {
                panic!(
                    "{}: {} {} matched no operation",
                    action.name, request.method, request.path
                )
            });
            operations.insert((request.method, template));
        }
    }
    operations
}

/// `body` fits the schema `openapi.yaml` documents under `components.schemas.{name}`.
#[track_caller]
fn assert_documented(body: &Value, name: &str) {
    let spec = crate::contract::spec();
    let schema = json!({
        "$ref": format!("#/components/schemas/{name}"),
        "components": spec["components"],
    });
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(&schema)
        .expect("schema");
    let errors: Vec<String> = validator.iter_errors(body).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{name}: {errors:?}");
}

fn owned(scopes: &[&str]) -> Vec<String> {
    scopes.iter().map(|s| (*s).to_owned()).collect()
}

#[tokio::test]
async fn every_actions_scopes_cover_each_okta_call_it_makes_and_each_one_is_needed() {
    let app = spawn_with_account().await;
    for (action, schema) in Catalog::new().iter() {
        let bodies = variants(&app, action, schema);
        let operations = operations(&app, action, bodies).await;
        assert!(!operations.is_empty(), "{} calls Okta", action.name);
        let declared = owned(action.scopes);
        // A user reference may need a lookup, and a refusal for the user's status reads the
        // user (details.userStatus): calls a healthy run does not always make.
        if schema.fields().iter().any(|f| f.user_reference) {
            assert!(
                okta_sim::scopes::satisfied(&[owned(&["okta.users.read"])], &declared),
                "{} takes a user reference: it needs okta.users.read",
                action.name
            );
        }
        for (method, template) in &operations {
            let required = okta_sim::scopes::required(method, template);
            assert!(
                !required.is_empty(),
                "{}: {method} {template} takes no OAuth token in Okta's spec",
                action.name
            );
            assert!(
                okta_sim::scopes::satisfied(required, &declared),
                "{}: {method} {template} needs one of {required:?}; the action declares {declared:?}",
                action.name
            );
        }
        // The fewest scopes: without any one of them, some call would be refused.
        for scope in action.scopes {
            let fewer: Vec<String> = declared.iter().filter(|s| s != scope).cloned().collect();
            assert!(
                operations.iter().any(|(m, t)| !okta_sim::scopes::satisfied(
                    okta_sim::scopes::required(m, t),
                    &fewer
                )),
                "{}: no call needs {scope} beyond {fewer:?} ({operations:?})",
                action.name
            );
        }
    }
}

#[tokio::test]
async fn the_catalog_shows_each_actions_okta_scopes() {
    let app = spawn_with_account().await;
    let response = app
        .call(Method::GET, "/actions", Some(ACTION_KEY), None)
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    let listed: Vec<(&str, &Value)> = response
        .json
        .as_array()
        .expect("an array")
        .iter()
        .map(|a| (a["name"].as_str().expect("a name"), &a["scopes"]))
        .collect();
    let defined: Vec<(&str, Value)> = Catalog::new()
        .iter()
        .map(|(action, _)| (action.name, json!(action.scopes)))
        .collect();
    assert_eq!(
        listed,
        defined.iter().map(|(n, s)| (*n, s)).collect::<Vec<_>>()
    );
    let scopes_of = |name: &str| {
        listed
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, s)| (*s).clone())
    };
    assert_eq!(scopes_of("get_user"), Some(json!(["okta.users.read"])));
    assert_eq!(scopes_of("delete_user"), Some(json!(["okta.users.manage"])));
    assert_eq!(
        scopes_of("add_user_to_group"),
        Some(json!(["okta.groups.manage", "okta.users.read"]))
    );
}

#[tokio::test]
async fn an_api_token_account_can_run_every_action_for_action_and_admin_keys() {
    let app = spawn_with_account().await;
    let path = format!("/accounts/{ACCOUNT}/actions");
    let expected: Vec<Value> = Catalog::new()
        .iter()
        .map(|(action, _)| {
            json!({
                "name": action.name,
                "label": action.label,
                "mutating": action.mutating,
                "scopes": action.scopes,
            })
        })
        .collect();
    for key in [ACTION_KEY, ADMIN_KEY] {
        let response = app.call(Method::GET, &path, Some(key), None).await;
        assert_eq!(response.status, 200, "{}", response.text);
        assert_eq!(
            response.json,
            json!({"account": ACCOUNT, "actions": expected, "unavailable": []})
        );
        assert_documented(&response.json, "AccountActions");
    }
    assert_eq!(
        app.okta_calls(),
        Vec::<String>::new(),
        "listing reads the catalog, not Okta"
    );
}

#[tokio::test]
async fn the_actions_of_an_unknown_account_or_without_a_key_are_refused() {
    let app = spawn_with_account().await;
    let response = app
        .call(
            Method::GET,
            "/accounts/nobody/actions",
            Some(ACTION_KEY),
            None,
        )
        .await;
    let error = response.assert_error("RESOURCE_NOT_FOUND", 404);
    assert_eq!(error["details"]["resource"], "account");

    let path = format!("/accounts/{ACCOUNT}/actions");
    let response = app.call(Method::GET, &path, None, None).await;
    response.assert_error("UNAUTHENTICATED", 401);
    let response = app
        .call(Method::GET, &path, Some("not-a-configured-key-000"), None)
        .await;
    response.assert_error("UNAUTHENTICATED", 401);
}
