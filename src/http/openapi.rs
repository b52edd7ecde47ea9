//! The actions' part of `openapi.yaml`, generated from the catalog: one literal path per
//! action with its request and response schemas. The contract test regenerates it and
//! compares it with the committed file (`UPDATE_OPENAPI=1` rewrites it).

use serde_json::{Map, Value, json};

use crate::actions::{Action, Catalog, example, response_schema};
use crate::params::InputSchema;

/// The generated region of `paths`.
pub const PATHS_BEGIN: &str =
    "  # --- generated: action paths (do not edit; see src/http/openapi.rs) ---";
pub const PATHS_END: &str = "  # --- end of generated action paths ---";
/// The generated region of `components.schemas`.
pub const SCHEMAS_BEGIN: &str =
    "    # --- generated: action schemas (do not edit; see src/http/openapi.rs) ---";
pub const SCHEMAS_END: &str = "    # --- end of generated action schemas ---";

/// `create_user` → `CreateUser`.
pub fn pascal(name: &str) -> String {
    name.split('_')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_uppercase().chain(chars).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

pub fn action_path(action: &Action) -> String {
    format!("/accounts/{{name}}/actions/{}", action.name)
}

/// Every action's path item, keyed by path. `response_examples` gives each action's example
/// success body (taken from a real response).
pub fn paths(catalog: &Catalog, response_examples: &Map<String, Value>) -> Map<String, Value> {
    catalog
        .iter()
        .map(|(action, input)| {
            let item = operation(action, input, response_examples.get(action.name));
            (action_path(action), json!({ "post": item }))
        })
        .collect()
}

fn operation(action: &Action, input: &InputSchema, response_example: Option<&Value>) -> Value {
    let name = pascal(action.name);
    let mut success = json!({
        "description": action
            .responses
            .iter()
            .map(|r| r.label)
            .collect::<Vec<_>>()
            .join("; or "),
        "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{name}Output")}}},
    });
    if let Some(example) = response_example {
        success["content"]["application/json"]["example"] = example.clone();
    }
    if action.carries_credentials {
        success["headers"] = json!({
            "Cache-Control": {
                "description": "no-store: the body carries a credential.",
                "schema": {"type": "string", "enum": ["no-store"]}
            }
        });
    }
    if input.fields().iter().any(|field| field.paged) {
        success["headers"] = json!({
            "X-Next-Cursor": {
                "description": "The cursor of the next page: pass it as after. Absent on the last page (README, Paging).",
                "schema": {"type": "string"}
            }
        });
    }
    let mut responses = json!({
        "200": success,
        "400": {"$ref": "#/components/responses/InvalidFieldValue"},
        "401": {"$ref": "#/components/responses/Unauthorized"},
        "403": {"$ref": "#/components/responses/Forbidden"},
        "404": {"$ref": "#/components/responses/ActionNotFound"},
        "413": {"$ref": "#/components/responses/PayloadTooLarge"},
        "415": {"$ref": "#/components/responses/UnsupportedMediaType"},
        "429": {"$ref": "#/components/responses/ApiLimitReached"},
        "500": {"$ref": "#/components/responses/InternalError"},
        "502": {"$ref": "#/components/responses/UpstreamUnavailable"},
        "503": {"$ref": "#/components/responses/ServiceUnavailable"},
        "504": {"$ref": "#/components/responses/UpstreamTimeout"},
    });
    if action.mutating {
        responses["409"] = json!({"$ref": "#/components/responses/ActionConflict"});
    }
    json!({
        "tags": ["actions"],
        "operationId": action.name,
        "summary": action.label,
        "description": action.description,
        "security": [{"actionKey": []}, {"adminKey": []}],
        "parameters": [{"$ref": "#/components/parameters/AccountName"}],
        "requestBody": {
            "required": true,
            "content": {"application/json": {
                "schema": {"$ref": format!("#/components/schemas/{name}Input")},
                "example": example(action),
            }},
        },
        "responses": responses,
    })
}

/// Every action's `…Input` and `…Output` schema.
pub fn schemas(catalog: &Catalog) -> Map<String, Value> {
    let mut schemas = Map::new();
    for (action, input) in catalog.iter() {
        let name = pascal(action.name);
        schemas.insert(format!("{name}Input"), input.json_schema().clone());
        schemas.insert(format!("{name}Output"), response_schema(action, input));
    }
    schemas
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_names_become_pascal_case() {
        assert_eq!(pascal("create_user"), "CreateUser");
        assert_eq!(pascal("unassign_app_from_user"), "UnassignAppFromUser");
    }
}
