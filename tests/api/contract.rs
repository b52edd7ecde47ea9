//! `openapi.yaml` and the server agree: routes, methods, key scopes, request schemas and the
//! error table.

use std::collections::BTreeSet;

use okta_gateway::accounts::{CREATE_PARAMS, UPDATE_PARAMS};
use okta_gateway::auth::Scope;
use okta_gateway::error::ErrorStatus;
use okta_gateway::http::{route_table, service_endpoints};
use okta_gateway::params::InputSchema;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{ACTION_KEY, ADMIN_KEY, Backend, spawn_app};

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
    // The route table's operations and those of the endpoints a tower service serves whole
    // (/mcp); that the server really answers the latter is checked below.
    let served = service_endpoints().into_iter().flat_map(|endpoint| {
        endpoint
            .methods
            .into_iter()
            .map(move |m| (m.to_string(), endpoint.path.to_owned()))
    });
    let routed: BTreeSet<(String, String)> = route_table()
        .iter()
        .map(|r| (r.method.to_string(), r.path.clone()))
        .chain(served)
        .collect();
    assert_eq!(documented, routed);
}

#[tokio::test]
async fn every_method_of_a_service_endpoint_is_served_behind_its_key() {
    let app = spawn_app(Backend::Sqlite).await;
    let endpoints = service_endpoints();
    assert!(
        endpoints.iter().any(|e| e.path == "/mcp"),
        "/mcp is a service endpoint"
    );
    for endpoint in endpoints {
        let key = match endpoint.scope {
            Scope::Action => ACTION_KEY,
            Scope::Admin => ADMIN_KEY,
        };
        for method in endpoint.methods {
            // Served: the key check answers, not the unknown-route fallback.
            let anonymous = app.call(method.clone(), endpoint.path, None, None).await;
            anonymous.assert_error("UNAUTHENTICATED", 401);
            let allowed = app
                .call(method.clone(), endpoint.path, Some(key), None)
                .await;
            assert!(
                ![401, 403, 404, 405].contains(&allowed.status),
                "{method} {} with its key answered {}: {}",
                endpoint.path,
                allowed.status,
                allowed.text
            );
        }
        let unlisted = app.call(Method::PUT, endpoint.path, Some(key), None).await;
        unlisted.assert_error("METHOD_NOT_ALLOWED", 405);
    }
}

#[test]
fn every_operation_documents_the_key_scope_it_needs() {
    let spec = spec();
    let services = service_endpoints().into_iter().flat_map(|endpoint| {
        endpoint
            .methods
            .into_iter()
            .map(move |method| (method, endpoint.path.to_owned(), Some(endpoint.scope)))
    });
    let operations = route_table()
        .into_iter()
        .map(|r| (r.method, r.path, r.scope))
        .chain(services);
    for (method, path, scope) in operations {
        let operation = &spec["paths"][path.as_str()][method.as_str().to_lowercase()];
        let expected = match scope {
            None => json!([]),
            Some(Scope::Admin) => json!([{"adminKey": []}]),
            Some(Scope::Action) => json!([{"actionKey": []}, {"adminKey": []}]),
        };
        assert_eq!(operation["security"], expected, "{method} {path}");
        if scope.is_some() {
            assert!(
                operation["responses"].get("401").is_some(),
                "{method} {path}"
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

fn top_level_keys(value: &Value) -> Vec<String> {
    let object = match value {
        Value::Array(items) => items.first(),
        other => Some(other),
    };
    let mut keys: Vec<String> = object
        .and_then(Value::as_object)
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    keys.sort();
    keys
}

/// Every action's example request succeeds against the simulator's demo org, and its real
/// response fits the action's response schema and still looks like the documented example
/// (`src/http/openapi-examples.json`). `UPDATE_OPENAPI=1 cargo test --test api contract`
/// replaces the examples that no longer fit, and writes the regenerated `openapi.yaml`.
#[tokio::test]
async fn every_action_example_runs_and_its_real_response_fits_the_contract() {
    use okta_gateway::actions::{Catalog, example};
    use okta_gateway::http::openapi;

    let catalog = Catalog::new();
    let schemas = openapi::schemas(&catalog);
    let documented_examples: serde_json::Map<String, Value> =
        serde_json::from_str(openapi::EXAMPLES).expect("openapi-examples.json");
    let app = crate::helpers::spawn_with_account().await;
    let update = std::env::var("UPDATE_OPENAPI").is_ok_and(|v| v == "1");

    let mut examples = serde_json::Map::new();
    for (action, _) in catalog.iter() {
        app.sim.handle().reset(okta_sim::Seed::Demo);
        let response = app.action(action.name, example(action)).await;
        assert_eq!(
            response.status, 200,
            "{}'s example: {}",
            action.name, response.text
        );
        // Examples read as if from a real org.
        let real: Value = serde_json::from_str(
            &response
                .text
                .replace(&app.sim.base_url(), "https://dev-12345.okta.com"),
        )
        .expect("JSON");
        let output = &schemas[&format!("{}Output", openapi::pascal(action.name))];
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .build(output)
            .expect("schema");
        let errors: Vec<String> = validator
            .iter_errors(&real)
            .map(|e| e.to_string())
            .collect();
        assert!(
            errors.is_empty(),
            "{}'s real response breaks its schema: {errors:?}",
            action.name
        );
        let documented = documented_examples
            .get(action.name)
            .cloned()
            .unwrap_or(Value::Null);
        let still_fits =
            validator.is_valid(&documented) && top_level_keys(&documented) == top_level_keys(&real);
        // An update replaces only the examples that no longer fit (fresh ids and timestamps
        // in every other one would be noise in the diff).
        let example = if update && !still_fits {
            real
        } else {
            assert!(
                validator.is_valid(&documented),
                "{}'s documented example breaks its schema",
                action.name
            );
            assert_eq!(
                top_level_keys(&documented),
                top_level_keys(&real),
                "{}'s documented example no longer looks like a real response",
                action.name
            );
            documented
        };
        examples.insert(action.name.to_owned(), example);
    }
    if update {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/");
        let mut json = serde_json::to_string_pretty(&examples).expect("JSON");
        json.push('\n');
        std::fs::write(format!("{dir}src/http/openapi-examples.json"), json).expect("write");
        let document = openapi::document_with(&catalog, &examples).expect("document");
        std::fs::write(format!("{dir}openapi.yaml"), document).expect("write openapi.yaml");
    }
}

/// The committed `openapi.yaml` is what `okta-gateway openapi` prints, and `--check` says so;
/// a hand edit makes `--check` fail with a message saying how to regenerate it.
#[test]
fn the_committed_contract_is_the_one_the_code_prints() {
    use std::process::Command;

    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml"))
        .expect("openapi.yaml");
    let binary = env!("CARGO_BIN_EXE_okta-gateway");
    let printed = Command::new(binary).arg("openapi").output().expect("run");
    assert!(printed.status.success());
    assert!(
        String::from_utf8_lossy(&printed.stdout) == committed,
        "openapi.yaml is stale: run `cargo run -- openapi > openapi.yaml`"
    );

    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("openapi.yaml"), &committed).expect("write");
    let check = |dir: &std::path::Path| {
        Command::new(binary)
            .args(["openapi", "--check"])
            .current_dir(dir)
            .output()
            .expect("run")
    };
    assert!(check(dir.path()).status.success());
    let edited = committed.replacen("title: okta-gateway", "title: okta-gateway (edited)", 1);
    std::fs::write(dir.path().join("openapi.yaml"), edited).expect("write");
    let refused = check(dir.path());
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("openapi.yaml differs"));
}
