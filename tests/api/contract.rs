//! `openapi.yaml` and the server agree: routes, methods, key scopes, request schemas and the
//! error table.

use std::collections::BTreeSet;

use okta_gateway::accounts::{CREATE_PARAMS, UPDATE_PARAMS};
use okta_gateway::auth::Scope;
use okta_gateway::error::ErrorStatus;
use okta_gateway::http::route_table;
use okta_gateway::params::InputSchema;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Backend, spawn_app};

pub fn spec() -> Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml"))
        .expect("openapi.yaml");
    serde_norway::from_str(&text).expect("openapi.yaml is YAML")
}

/// Follow a local `$ref` (`#/components/...`).
pub fn resolve<'a>(spec: &'a Value, node: &'a Value) -> &'a Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let pointer = reference.trim_start_matches('#');
            resolve(
                spec,
                spec.pointer(pointer)
                    .unwrap_or_else(|| panic!("dangling {reference}")),
            )
        }
        None => node,
    }
}

const METHODS: [&str; 5] = ["get", "post", "put", "delete", "patch"];

#[test]
fn every_route_is_documented_and_every_documented_operation_is_routed() {
    let spec = spec();
    let documented: BTreeSet<(String, String)> = spec["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, item)| {
            METHODS
                .iter()
                .filter(|m| item.get(**m).is_some())
                .map(move |m| (m.to_uppercase(), path.clone()))
        })
        .collect();
    let routed: BTreeSet<(String, String)> = route_table()
        .iter()
        .map(|r| (r.method.to_string(), r.path.clone()))
        .collect();
    assert_eq!(documented, routed);
}

#[test]
fn every_operation_documents_the_key_scope_it_needs() {
    let spec = spec();
    for route in route_table() {
        let operation = &spec["paths"][route.path.as_str()][route.method.as_str().to_lowercase()];
        let expected = match route.scope {
            None => json!([]),
            Some(Scope::Admin) => json!([{"adminKey": []}]),
            Some(Scope::Action) => json!([{"actionKey": []}, {"adminKey": []}]),
        };
        assert_eq!(
            operation["security"], expected,
            "{} {}",
            route.method, route.path
        );
        if route.scope.is_some() {
            assert!(
                operation["responses"].get("401").is_some(),
                "{} {}",
                route.method,
                route.path
            );
        }
    }
}

#[test]
fn account_request_schemas_match_their_definitions() {
    let spec = spec();
    let cases: [(&str, &'static [okta_gateway::params::Param]); 2] = [
        ("/accounts", &CREATE_PARAMS),
        ("/accounts/{name}", &UPDATE_PARAMS),
    ];
    for (operation, params) in cases {
        let method = if operation == "/accounts" {
            "post"
        } else {
            "put"
        };
        let body = &spec["paths"][operation][method]["requestBody"]["content"]["application/json"]
            ["schema"];
        assert_eq!(
            resolve(&spec, body),
            InputSchema::new(params).json_schema(),
            "{method} {operation}"
        );
    }
}

#[test]
fn the_error_table_is_documented() {
    let spec = spec();
    let documented: Vec<&str> = spec["components"]["schemas"]["Error"]["properties"]["error"]
        ["properties"]["status"]["enum"]
        .as_array()
        .expect("enum")
        .iter()
        .map(|v| v.as_str().expect("string"))
        .collect();
    let table: Vec<&str> = ErrorStatus::ALL.iter().map(|s| s.as_str()).collect();
    assert_eq!(documented, table);
    let codes = spec["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]
        ["description"]
        .as_str()
        .expect("code table");
    for status in ErrorStatus::ALL {
        assert!(
            codes.contains(&format!("{} {}", status.default_code(), status.as_str())),
            "{} is missing from the code table",
            status.as_str()
        );
    }
}

#[tokio::test]
async fn the_spec_is_served_as_it_is_committed() {
    let app = spawn_app(Backend::Sqlite).await;
    let served = app.call(Method::GET, "/openapi.yaml", None, None).await;
    assert_eq!(served.status, 200);
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml"))
        .expect("openapi.yaml");
    assert_eq!(served.text, committed);
}
