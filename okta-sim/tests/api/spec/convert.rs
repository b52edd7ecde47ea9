//! OpenAPI 3.0 schema objects → JSON Schema 2020-12, for validating *responses*.
//!
//! OpenAPI 3.0.3 schemas are "an extended subset" of JSON Schema draft 5. A JSON Schema
//! validator given them as they are would silently mis-validate, so each difference is
//! converted here:
//!
//! * `nullable: true` → `null` added to `type` (and to `enum` when there is one); a nullable
//!   schema without `type` becomes `anyOf: [{type: null}, …]`.
//! * `$ref` → `#/$defs/Name`, and its siblings are dropped: in OpenAPI 3.0 "this object cannot
//!   be extended with additional properties and any properties added SHALL be ignored".
//! * `discriminator` (the spec is Okta's `oneOfInheritance` variant): a schema with a
//!   discriminator mapping validates the base properties and then, per mapped value,
//!   `if {prop: const v} then {$ref: Target}`. A mapped target's `allOf` names its parent;
//!   that reference goes to `Parent__base` (the parent without its discriminator), otherwise
//!   parent → child → parent would recurse forever. Where the discriminator sits beside a
//!   `oneOf`/`anyOf` of the mapped targets (the polymorphic response bodies), the union is
//!   replaced by the dispatch and the property must hold one of the mapped values; `oneOf`
//!   itself cannot be kept because the subtypes overlap (an Okta Verify TOTP factor is also a
//!   valid `UserFactorToken`), which is exactly why the spec names a discriminator.
//! * `writeOnly: true` (password `value`, recovery `answer`) → the `false` schema, and the
//!   property is dropped from `required`: OpenAPI says such a property "SHOULD NOT be sent as
//!   part of the response", so the simulator must never echo a secret. This is stricter than
//!   the spec's wording, on purpose.
//! * `readOnly` stays meaningless for responses (readOnly properties may be required there).
//! * `format`: `date-time` and `email` are asserted (Okta's `2024-01-02T03:04:05.000Z` is
//!   RFC 3339); `int32`/`int64` become `minimum`/`maximum` bounds; every other format
//!   (`password`, `double`, and free-text ones such as "ISO 8601 compliant timestamp") is an
//!   annotation only, because JSON Schema has no definition for it.
//! * boolean `exclusiveMinimum`/`exclusiveMaximum` (draft 4 style) → the numeric form.
//! * `example`, `x-*` extensions, `externalDocs`, `xml`, `readOnly`, `writeOnly`,
//!   `discriminator` and `nullable` are removed once interpreted.
//!
//! Nothing else is relaxed here: `additionalProperties` stays as the spec says (absent means
//! allowed, as in both OpenAPI and JSON Schema), and `enum`, `required`, lengths and patterns
//! are asserted as written. Relaxations of *which* responses are checked live in
//! `allowlist.rs`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

const SCHEMA_REF: &str = "#/components/schemas/";

/// The suffix of a discriminator owner without its dispatch (what its subtypes extend).
pub const BASE_SUFFIX: &str = "__base";

/// Where a schema sits, for the parent-reference rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum At {
    /// The root of a component schema.
    Root,
    /// A direct member of a component root's `allOf` (where a subtype names its parent).
    RootAllOf,
    /// Anywhere else (also response bodies).
    Nested,
}

/// Converts schemas that may `$ref` into the spec's `components.schemas`.
pub struct Converter {
    /// Subtype name → the discriminator owners whose mapping names it.
    parents: BTreeMap<String, BTreeSet<String>>,
}

fn ref_name(r: &str) -> Option<&str> {
    r.strip_prefix(SCHEMA_REF)
}

fn discriminator(node: &Map<String, Value>) -> Option<(&str, &Map<String, Value>)> {
    let d = node.get("discriminator")?.as_object()?;
    let prop = d.get("propertyName")?.as_str()?;
    let mapping = d.get("mapping")?.as_object()?;
    Some((prop, mapping))
}

impl Converter {
    pub fn new(schemas: &Map<String, Value>) -> Self {
        let mut parents: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (name, schema) in schemas {
            if let Some((_, mapping)) = schema.as_object().and_then(discriminator) {
                for target in mapping.values().filter_map(Value::as_str) {
                    if let Some(t) = ref_name(target) {
                        parents
                            .entry(t.to_string())
                            .or_default()
                            .insert(name.clone());
                    }
                }
            }
        }
        Converter { parents }
    }

    /// `$defs` for every component schema (plus `Name__base` for discriminator owners).
    pub fn defs(&self, schemas: &Map<String, Value>) -> Map<String, Value> {
        let mut defs = Map::new();
        for (name, schema) in schemas {
            defs.insert(name.clone(), self.schema(schema, Some(name), At::Root));
            if let Some(obj) = schema.as_object()
                && discriminator(obj).is_some()
            {
                let mut base = obj.clone();
                base.remove("discriminator");
                base.remove("oneOf");
                base.remove("anyOf");
                defs.insert(
                    format!("{name}{BASE_SUFFIX}"),
                    self.schema(&Value::Object(base), Some(name), At::Root),
                );
            }
        }
        defs
    }

    /// Converts one schema; `owner` is the component being converted, if any.
    pub fn schema(&self, node: &Value, owner: Option<&str>, at: At) -> Value {
        let Some(obj) = node.as_object() else {
            return node.clone();
        };
        if let Some(r) = obj.get("$ref").and_then(Value::as_str) {
            let Some(name) = ref_name(r) else {
                panic!("unsupported $ref {r}");
            };
            let is_parent = at == At::RootAllOf
                && owner.is_some_and(|o| self.parents.get(o).is_some_and(|p| p.contains(name)));
            let target = if is_parent {
                format!("{name}{BASE_SUFFIX}")
            } else {
                name.to_string()
            };
            return json!({ "$ref": format!("#/$defs/{target}") });
        }

        let write_only: BTreeSet<&str> = obj
            .get("properties")
            .and_then(Value::as_object)
            .map(|props| {
                props
                    .iter()
                    .filter(|(_, p)| p.get("writeOnly") == Some(&Value::Bool(true)))
                    .map(|(k, _)| k.as_str())
                    .collect()
            })
            .unwrap_or_default();

        let mut out = Map::new();
        for (key, value) in obj {
            match key.as_str() {
                "properties" => {
                    let props = value.as_object().map(|props| {
                        props
                            .iter()
                            .map(|(k, p)| {
                                let converted = if write_only.contains(k.as_str()) {
                                    Value::Bool(false)
                                } else {
                                    self.schema(p, owner, At::Nested)
                                };
                                (k.clone(), converted)
                            })
                            .collect::<Map<_, _>>()
                    });
                    out.insert(key.clone(), props.map(Value::Object).unwrap_or_default());
                }
                "required" => {
                    let kept: Vec<Value> = value
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter(|r| r.as_str().is_none_or(|r| !write_only.contains(r)))
                        .cloned()
                        .collect();
                    if !kept.is_empty() {
                        out.insert(key.clone(), Value::Array(kept));
                    }
                }
                "items" | "not" => {
                    out.insert(key.clone(), self.schema(value, owner, At::Nested));
                }
                "additionalProperties" => {
                    out.insert(key.clone(), self.schema(value, owner, At::Nested));
                }
                "allOf" => {
                    let member = if at == At::Root {
                        At::RootAllOf
                    } else {
                        At::Nested
                    };
                    let items = value
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|s| self.schema(s, owner, member))
                        .collect();
                    out.insert(key.clone(), Value::Array(items));
                }
                "oneOf" | "anyOf" => {
                    let items = value
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|s| self.schema(s, owner, At::Nested))
                        .collect();
                    out.insert(key.clone(), Value::Array(items));
                }
                "format" => {
                    out.insert(key.clone(), value.clone());
                    match value.as_str() {
                        Some("int32") => {
                            out.insert("minimum".into(), json!(i32::MIN));
                            out.insert("maximum".into(), json!(i32::MAX));
                        }
                        Some("int64") => {
                            out.insert("minimum".into(), json!(i64::MIN));
                            out.insert("maximum".into(), json!(i64::MAX));
                        }
                        _ => {}
                    }
                }
                "exclusiveMinimum" | "exclusiveMaximum" if value.is_boolean() => {
                    let bound = if key == "exclusiveMinimum" {
                        "minimum"
                    } else {
                        "maximum"
                    };
                    if value == &Value::Bool(true)
                        && let Some(b) = obj.get(bound)
                    {
                        out.insert(key.clone(), b.clone());
                    }
                }
                "nullable" | "discriminator" | "example" | "externalDocs" | "xml" | "readOnly"
                | "writeOnly" => {}
                k if k.starts_with("x-") => {}
                _ => {
                    out.insert(key.clone(), value.clone());
                }
            }
        }
        // A boolean exclusive bound replaced `minimum`/`maximum`; drop the inclusive one.
        for (exclusive, bound) in [
            ("exclusiveMinimum", "minimum"),
            ("exclusiveMaximum", "maximum"),
        ] {
            if obj.get(exclusive) == Some(&Value::Bool(true)) {
                out.remove(bound);
            }
        }

        if let Some((prop, mapping)) = discriminator(obj) {
            let dispatch = dispatch(prop, mapping);
            let union = obj.contains_key("oneOf") || obj.contains_key("anyOf");
            out.remove("oneOf");
            out.remove("anyOf");
            let mut all_of = out
                .remove("allOf")
                .and_then(|v| v.as_array().cloned())
                .unwrap_or_default();
            all_of.extend(dispatch);
            if union {
                // The body is one of the mapped subtypes: the discriminator must name one.
                let values: Vec<Value> = mapping.keys().map(|k| json!(k)).collect();
                all_of.push(json!({
                    "required": [prop],
                    "properties": { prop: { "enum": values } }
                }));
            }
            out.insert("allOf".into(), Value::Array(all_of));
        }

        if obj.get("nullable") == Some(&Value::Bool(true)) {
            return nullable(out);
        }
        Value::Object(out)
    }
}

/// `if {prop: const v} then {$ref: Target}` for every mapped value.
fn dispatch(prop: &str, mapping: &Map<String, Value>) -> Vec<Value> {
    mapping
        .iter()
        .filter_map(|(value, target)| {
            let name = ref_name(target.as_str()?)?;
            Some(json!({
                "if": { "required": [prop], "properties": { prop: { "const": value } } },
                "then": { "$ref": format!("#/$defs/{name}") }
            }))
        })
        .collect()
}

fn nullable(mut out: Map<String, Value>) -> Value {
    match out.get("type").cloned() {
        Some(Value::String(t)) => {
            out.insert("type".into(), json!([t, "null"]));
        }
        Some(Value::Array(mut ts)) => {
            if !ts.contains(&json!("null")) {
                ts.push(json!("null"));
            }
            out.insert("type".into(), Value::Array(ts));
        }
        _ => return json!({ "anyOf": [{ "type": "null" }, Value::Object(out)] }),
    }
    if let Some(Value::Array(values)) = out.get_mut("enum")
        && !values.contains(&Value::Null)
    {
        values.push(Value::Null);
    }
    Value::Object(out)
}
