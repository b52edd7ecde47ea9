//! Shaping Okta's objects into the seed's response bodies, and the JSON Schema of each
//! action's success body (derived from the same samples, so the contract and the behaviour
//! agree).

use std::collections::HashMap;
use std::sync::LazyLock;

use serde_json::{Map, Value, json};

use super::{Action, ResponseShape, ShapeKind, sample};

/// Okta's object (or list of objects) as the flow expects it: top-level `_links` removed (HAL
/// links point into the Okta API, not the gateway), and every key of the response's sample
/// present, null where Okta left it out. Extra Okta keys are kept. Works in place on the
/// parsed value: no re-serialisation.
pub fn shape_response(value: Value, response: &ResponseShape) -> Value {
    let deep = match response.kind {
        ShapeKind::Okta => true,
        ShapeKind::OktaTop => false,
        ShapeKind::Wrapper => return value,
    };
    let template = template(response);
    match (value, template) {
        (Value::Array(items), Value::Array(templates)) => {
            let template = templates.first().unwrap_or(&Value::Null);
            Value::Array(
                items
                    .into_iter()
                    .map(|item| shape_with(item, template, deep))
                    .collect(),
            )
        }
        (value, template) => shape_with(value, template, deep),
    }
}

/// Remove top-level `_links` and fill in the template's keys.
pub fn shape(value: Value, template: &Value) -> Value {
    shape_with(value, template, true)
}

fn shape_with(mut value: Value, template: &Value, deep: bool) -> Value {
    if let Value::Object(object) = &mut value {
        object.remove("_links");
        if let Value::Object(template) = template {
            fill(object, template, deep);
        }
    }
    value
}

fn fill(object: &mut Map<String, Value>, template: &Map<String, Value>, deep: bool) {
    for (key, inner) in template {
        match (object.get_mut(key), inner) {
            (None, _) => {
                object.insert(key.clone(), Value::Null);
            }
            (Some(Value::Object(nested)), Value::Object(inner)) if deep => {
                fill(nested, inner, deep)
            }
            _ => {}
        }
    }
}

/// Every response's parsed sample, parsed once (keyed by the sample text).
static TEMPLATES: LazyLock<HashMap<&'static str, Value>> = LazyLock::new(|| {
    super::ACTIONS
        .iter()
        .flat_map(|action| action.responses)
        .map(|response| (response.sample, sample(response)))
        .collect()
});

fn template(response: &ResponseShape) -> &'static Value {
    static EMPTY: Value = Value::Null;
    TEMPLATES.get(response.sample).unwrap_or(&EMPTY)
}

/// The JSON Schema of an action's success body: one schema per response shape (`oneOf` when
/// there are several).
pub fn response_schema(action: &Action) -> Value {
    let mut schemas: Vec<Value> = action.responses.iter().map(shape_schema).collect();
    if schemas.len() == 1 {
        schemas.remove(0)
    } else {
        json!({ "oneOf": schemas })
    }
}

fn shape_schema(response: &ResponseShape) -> Value {
    let mode = match response.kind {
        ShapeKind::Okta => Mode::Okta,
        ShapeKind::OktaTop => Mode::OktaTop,
        ShapeKind::Wrapper => Mode::Exact,
    };
    let mut schema = infer(&sample(response), mode);
    schema["description"] = json!(response.label);
    schema
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// The gateway's own body: exactly these keys and types.
    Exact,
    /// An Okta object the gateway shaped: every sampled key present (maybe null), extras kept.
    Okta,
    /// Like `Okta` at the top level; nested objects vary (by sign-on mode, factor type).
    OktaTop,
    /// An Okta object inside a wrapper (a dry run's target): any keys.
    Loose,
}

/// Infer a schema from a sample.
fn infer(value: &Value, mode: Mode) -> Value {
    match value {
        Value::Object(object) => {
            let child = |inner: &Value| match mode {
                Mode::Exact if inner.is_object() || inner.is_array() => Mode::Loose,
                Mode::OktaTop => Mode::Loose,
                other => other,
            };
            let properties: Map<String, Value> = object
                .iter()
                .map(|(key, inner)| {
                    let schema = infer(inner, child(inner));
                    (
                        key.clone(),
                        if mode == Mode::Exact {
                            schema
                        } else {
                            nullable(schema)
                        },
                    )
                })
                .collect();
            let required: Vec<&String> = match mode {
                Mode::Loose => Vec::new(),
                _ => object.keys().collect(),
            };
            json!({
                "type": "object",
                "required": required,
                "properties": properties,
                "additionalProperties": mode != Mode::Exact,
            })
        }
        Value::Array(items) => match items.first() {
            // Elements of an Okta list are shaped like the list's first sample.
            Some(first) => json!({"type": "array", "items": infer(first, mode)}),
            None => json!({"type": "array"}),
        },
        Value::String(_) => json!({"type": "string"}),
        Value::Bool(true) if mode == Mode::Exact => json!({"const": true}),
        Value::Bool(_) => json!({"type": "boolean"}),
        Value::Number(n) if n.is_i64() || n.is_u64() => json!({"type": "integer"}),
        Value::Number(_) => json!({"type": "number"}),
        // A null sample says nothing about the type.
        Value::Null => json!({}),
    }
}

fn nullable(mut schema: Value) -> Value {
    if let Some(ty) = schema.get("type").cloned() {
        schema["type"] = json!([ty, "null"]);
    }
    schema
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shaping_drops_links_fills_missing_keys_and_keeps_extra_ones() {
        let template =
            json!({"id": "x", "activated": null, "profile": {"login": "l", "secondEmail": null}});
        let okta = json!({
            "id": "00u1", "status": "ACTIVE", "_links": {"self": {}},
            "profile": {"login": "a@b.c", "nickName": "A"}
        });
        assert_eq!(
            shape(okta, &template),
            json!({
                "id": "00u1", "status": "ACTIVE", "activated": null,
                "profile": {"login": "a@b.c", "nickName": "A", "secondEmail": null}
            })
        );
    }

    #[test]
    fn nested_links_are_kept() {
        let template = json!({"_embedded": {}});
        let okta = json!({"_embedded": {"activation": {"_links": {"qrcode": {}}}}});
        assert_eq!(shape(okta.clone(), &template), okta);
    }

    #[test]
    fn okta_schemas_are_lenient_and_wrapper_schemas_exact() {
        let okta = infer(&json!({"id": "x", "n": 1}), Mode::Okta);
        assert_eq!(okta["additionalProperties"], true);
        assert_eq!(okta["properties"]["id"]["type"], json!(["string", "null"]));
        let wrapper = infer(
            &json!({"status": 204, "message": "m", "target": {"id": "x"}}),
            Mode::Exact,
        );
        assert_eq!(wrapper["additionalProperties"], false);
        assert_eq!(wrapper["properties"]["status"]["type"], "integer");
        assert_eq!(wrapper["properties"]["target"]["required"], json!([]));
    }
}
