//! Shaping Okta's objects into the seed's response bodies, and the JSON Schema of each
//! action's success body (derived from the same samples, so the contract and the behaviour
//! agree).

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use super::{Action, ResponseShape, ShapeKind, sample};
use crate::params::InputSchema;

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

/// An action's success body: built by the gateway, Okta's JSON shaped as text, or one page of
/// a list.
#[derive(Debug)]
pub enum Output {
    Value(Value),
    /// JSON text written by [`shape_raw`] from pieces of Okta's answer that were parsed as
    /// they were read, so it is not parsed again.
    Raw(String),
    Page(Page),
}

/// One page of a list action.
#[derive(Debug)]
pub struct Page {
    /// The shaped items, as JSON text (an array written by [`RawList`]).
    pub items: String,
    /// The cursor of the next page; `None` on the last one.
    pub next_cursor: Option<String>,
    /// Whether the caller asked for `{items, nextCursor}` rather than the bare array.
    pub paged: bool,
}

impl From<Value> for Output {
    fn from(value: Value) -> Self {
        Output::Value(value)
    }
}

impl Output {
    /// The JSON text of the body (a list's items for a page).
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Output::Value(value) => value.to_string().into(),
            Output::Raw(text) => text.as_str().into(),
            Output::Page(page) => page.items.as_str().into(),
        }
    }

    /// The JSON text of the body, and for a list the cursor of its next page.
    pub fn into_parts(self) -> (String, Option<String>) {
        match self {
            Output::Value(value) => (value.to_string(), None),
            Output::Raw(text) => (text, None),
            Output::Page(page) if page.paged => {
                let next = Value::from(page.next_cursor.clone()).to_string();
                let body = format!(r#"{{"items":{},"nextCursor":{next}}}"#, page.items);
                (body, page.next_cursor)
            }
            Output::Page(page) => (page.items, page.next_cursor),
        }
    }
}

/// Like [`shape_response`], on Okta's body as it came: only the objects whose keys the sample
/// names are parsed (into borrowed pieces), everything else is copied through as text. No
/// intermediate `Value`, `_links` is dropped unread, and each byte of the body is parsed once
/// (a nested object the sample names, once more), so the text written is valid JSON without
/// a check of its own.
pub fn shape_raw(body: &[u8], response: &ResponseShape) -> Result<String, serde_json::Error> {
    let mut out = String::with_capacity(body.len());
    match template(response) {
        Value::Array(templates) => {
            let items: Vec<&RawValue> = serde_json::from_slice(body)?;
            let mut list = RawList::new(&mut out);
            for item in items {
                list.push(item, templates.first(), response.kind)?;
            }
            list.finish();
        }
        template => {
            let text = std::str::from_utf8(body).map_err(serde::de::Error::custom)?;
            if !matches!(template, Value::Object(_)) || response.kind == ShapeKind::Wrapper {
                // Copied through whole: parsed here, once, to stay sure it is JSON.
                serde_json::from_str::<serde::de::IgnoredAny>(text)?;
            }
            write_shaped(&mut out, text, template, response.kind, true)?
        }
    }
    Ok(out)
}

/// A JSON array of shaped Okta objects, written as it grows (for lists that span pages).
pub struct RawList<'a> {
    out: &'a mut String,
    len: usize,
}

impl<'a> RawList<'a> {
    pub fn new(out: &'a mut String) -> Self {
        out.push('[');
        RawList { out, len: 0 }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Append one element shaped like the list sample's first element.
    pub fn push(
        &mut self,
        item: &RawValue,
        template: Option<&Value>,
        kind: ShapeKind,
    ) -> Result<(), serde_json::Error> {
        if self.len > 0 {
            self.out.push(',');
        }
        self.len += 1;
        write_shaped(
            self.out,
            item.get(),
            template.unwrap_or(&Value::Null),
            kind,
            true,
        )
    }

    pub fn finish(self) {
        self.out.push(']');
    }
}

/// The element template of a list response.
pub fn element_template(response: &ResponseShape) -> Option<&'static Value> {
    match template(response) {
        Value::Array(templates) => templates.first(),
        _ => None,
    }
}

/// Writes `json` shaped like `template`: parsed when the template names its keys, otherwise
/// copied through, so then it must be JSON already parsed.
fn write_shaped(
    out: &mut String,
    json: &str,
    template: &Value,
    kind: ShapeKind,
    top: bool,
) -> Result<(), serde_json::Error> {
    let (Value::Object(template), false) = (template, kind == ShapeKind::Wrapper) else {
        out.push_str(json.trim());
        return Ok(());
    };
    if !json.trim_start().starts_with('{') {
        // Relaying a list or a scalar where Okta sends an object would pass off a broken
        // answer as success.
        return Err(serde::de::Error::custom(
            "the answer is not the JSON object the action expects",
        ));
    }
    let members: BTreeMap<Cow<'_, str>, &RawValue> = serde_json::from_str(json)?;
    let deep = kind == ShapeKind::Okta;
    out.push('{');
    let mut first = true;
    let mut key = |out: &mut String, name: &str| {
        if !first {
            out.push(',');
        }
        first = false;
        write_key(out, name);
    };
    for (name, value) in &members {
        if top && name == "_links" {
            continue;
        }
        key(out, name);
        match template.get(name.as_ref()) {
            Some(nested @ Value::Object(_)) if deep => {
                write_shaped(out, value.get(), nested, kind, false)?
            }
            _ => out.push_str(value.get()),
        }
    }
    for name in template.keys() {
        if !members.contains_key(name.as_str()) {
            key(out, name);
            out.push_str("null");
        }
    }
    out.push('}');
    Ok(())
}

fn write_key(out: &mut String, name: &str) {
    if name.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push('"');
        out.push_str(name);
        out.push_str("\":");
    } else {
        out.push_str(&Value::from(name).to_string());
        out.push(':');
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

/// Every response's parsed sample, parsed once. Looked up by where the sample text is
/// (hashing the text itself costs as much as an action's own work), and by the text when a
/// copy of a `const` shape put it elsewhere.
struct Templates {
    by_place: HashMap<(usize, usize), &'static Value>,
    by_text: HashMap<&'static str, &'static Value>,
}

static TEMPLATES: LazyLock<Templates> = LazyLock::new(|| {
    let mut templates = Templates {
        by_place: HashMap::new(),
        by_text: HashMap::new(),
    };
    for response in super::ACTIONS.iter().flat_map(|action| action.responses) {
        let parsed: &'static Value = templates
            .by_text
            .get(response.sample)
            .copied()
            .unwrap_or_else(|| Box::leak(Box::new(sample(response))));
        templates.by_text.insert(response.sample, parsed);
        templates.by_place.insert(place(response), parsed);
    }
    templates
});

fn place(response: &ResponseShape) -> (usize, usize) {
    (response.sample.as_ptr() as usize, response.sample.len())
}

fn template(response: &ResponseShape) -> &'static Value {
    static EMPTY: Value = Value::Null;
    let templates = &*TEMPLATES;
    templates
        .by_place
        .get(&place(response))
        .or_else(|| templates.by_text.get(response.sample))
        .copied()
        .unwrap_or(&EMPTY)
}

/// The JSON Schema of an action's success body: one schema per response shape (`oneOf` when
/// there are several).
pub fn response_schema(action: &Action, input: &InputSchema) -> Value {
    let mut schemas: Vec<Value> = action.responses.iter().map(shape_schema).collect();
    // A list action that takes `paged` answers its list either bare or inside a page.
    if input.fields().iter().any(|field| field.paged)
        && let Some(list) = schemas.first().cloned()
    {
        schemas.push(json!({
            "type": "object",
            "description": format!("with paged: {}, and the cursor of the next page", response_label(action)),
            "required": ["items", "nextCursor"],
            "properties": {
                "items": list,
                "nextCursor": {
                    "type": ["string", "null"],
                    "description": "Pass it as after to read the next page; null on the last page."
                },
            },
            "additionalProperties": false,
        }));
    }
    if schemas.len() == 1 {
        schemas.remove(0)
    } else {
        json!({ "oneOf": schemas })
    }
}

fn response_label(action: &Action) -> &'static str {
    action.responses.first().map_or("the items", |r| r.label)
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
    fn raw_shaping_gives_what_value_shaping_gives() {
        for action in super::super::ACTIONS.iter() {
            for response in action.responses {
                if response.kind == ShapeKind::Wrapper {
                    continue;
                }
                let mut okta = sample(response);
                // Okta's answer: links to drop, a key to fill, an extra key to keep.
                let add = |v: &mut Value| {
                    if let Value::Object(o) = v {
                        o.insert("_links".into(), json!({"self": {"href": "x"}}));
                        o.insert("extra \"key\"".into(), json!([1, {"a": null}]));
                        let first = o.keys().find(|k| *k != "_links").cloned();
                        if let Some(first) = first {
                            o.remove(&first);
                        }
                    }
                };
                match &mut okta {
                    Value::Array(items) => items.iter_mut().for_each(add),
                    other => add(other),
                }
                let bytes = serde_json::to_vec(&okta).unwrap();
                let raw = shape_raw(&bytes, response).unwrap();
                let raw: Value = serde_json::from_str(&raw).unwrap();
                assert_eq!(raw, shape_response(okta, response), "{}", action.name);
            }
        }
    }

    #[test]
    fn raw_shaping_refuses_whatever_is_not_json_since_its_output_is_not_checked_again() {
        let get_user = crate::actions::ACTIONS
            .iter()
            .find(|action| action.name == "get_user")
            .expect("get_user");
        let object = &get_user.responses[0];
        assert_eq!(object.kind, ShapeKind::Okta);
        for response in [object, &crate::actions::DRY_RUN_RESPONSE] {
            for body in [
                r#"{"id": "x", "profile": {"login": "l"#,
                r#"{"id": "x"} trailing"#,
                r#"{"id": "x", "profile": {"login": l}}"#,
                r#"{"id": "x", "extra": [1, }"#,
            ] {
                assert!(
                    shape_raw(body.as_bytes(), response).is_err(),
                    "{}: {body}",
                    response.label
                );
            }
            let shaped = shape_raw(b" {\"id\": \"x\", \"profile\": {}} \n", response).unwrap();
            serde_json::from_str::<Value>(&shaped).expect("valid JSON");
        }
        assert!(
            shape_raw(b"[1, 2]", object).is_err(),
            "a list where an object is due"
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
