//! Request input checking. An input's JSON Schema comes either from a typed input (the
//! actions: generated from the struct with `schemars`, see `actions::fields`) or from a
//! declared `Param` list (the accounts API); either way it is validated with the `jsonschema`
//! crate, compiled once, and published in the catalog and `openapi.yaml`. Validation reports
//! every bad field at once and never quotes a value, since values may be secrets.

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset};
use secrecy::SecretString;
use serde_json::{Map, Value, json};

use crate::error::FieldProblem;

/// The JSON type and constraints of one parameter.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// A string of `min..=max` characters, optionally matching `pattern` (whose failure is
    /// reported with `problem`).
    String {
        min: u32,
        max: u32,
        pattern: Option<(&'static str, &'static str)>,
    },
    /// A credential string (printable ASCII, no spaces); kept as a secret from parsing on.
    Secret {
        max: u32,
    },
    /// A password object `{"value": "…"}`; the value is kept as a secret.
    Password,
    Boolean,
    Integer {
        min: i64,
        max: i64,
    },
    /// An Okta id or login: a path segment of an Okta URL, so never blank, `.` or `..`. A
    /// user reference is never `me` either: Okta reads it as the API token's owner.
    Reference {
        max: u32,
        user: bool,
    },
    Enum(&'static [&'static str]),
    /// An ISO 8601 date-time with an offset, e.g. `2026-01-01T00:00:00Z`.
    DateTime,
    /// A JSON object of string values.
    StringMap,
    /// An OAuth 2.0 service app `{clientId, privateKey, keyId?, scopes}`; the private key (a
    /// PEM, or a private JWK as an object or its text) is kept as a secret from parsing on.
    ServiceApp,
}

/// What each member of a [`Kind::ServiceApp`] must be, for field problems.
const SERVICE_APP_MEMBERS: &[(&str, &str)] = &[
    (
        "clientId",
        "must be the service app's client id: 1 to 255 printable characters without spaces",
    ),
    (
        "privateKey",
        "must be a PEM private key (PKCS#8, RSA or EC P-256) or a private JWK, at most 16384 characters",
    ),
    (
        "keyId",
        "must be the key's id (kid) in the app's JWKS: 1 to 255 printable characters without spaces",
    ),
    (
        "scopes",
        "must be a list of 1 to 64 distinct Okta scopes, such as okta.users.read",
    ),
];

/// White space, named in full for regex patterns: what Unicode, ECMAScript and Python each
/// count as white space (they differ on U+001C..U+001F, U+0085 and U+FEFF), so that every
/// engine reading the contract agrees with the gateway and with Okta's trimming.
macro_rules! white_space {
    () => {
        r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
    };
}

/// Text that is not blank: at least one character that is not white space.
pub const NON_BLANK: &str = concat!("[^", white_space!(), "]");

/// An email address: no white space, one `@`, and a domain of dot-separated labels (Okta
/// applies its own, stricter rules on top).
pub const EMAIL: &str = concat!(
    "^[^",
    white_space!(),
    "@]+@[^",
    white_space!(),
    "@.]+(\\.[^",
    white_space!(),
    "@.]+)+$"
);

/// Text with no white space at either end (Okta trims such values, and the trimmed value must
/// still meet the length limits).
pub const TRIMMED: &str = concat!(
    "^[^",
    white_space!(),
    "]([\\s\\S]*[^",
    white_space!(),
    "])?$"
);

/// A parameter's default, applied when it is absent or `null`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DefaultValue {
    Bool(bool),
    Int(i64),
    Str(&'static str),
}

impl DefaultValue {
    pub fn to_json(self) -> Value {
        match self {
            DefaultValue::Bool(b) => json!(b),
            DefaultValue::Int(i) => json!(i),
            DefaultValue::Str(s) => json!(s),
        }
    }
}

/// One request parameter.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
    pub default: Option<DefaultValue>,
    pub description: &'static str,
    /// Replaces the kind's own wording of what a valid value looks like.
    pub problem_text: Option<&'static str>,
}

impl Param {
    pub const fn new(name: &'static str, kind: Kind, description: &'static str) -> Param {
        Param {
            name,
            kind,
            required: false,
            default: None,
            description,
            problem_text: None,
        }
    }

    /// Report a refused value with this text instead of the kind's.
    pub const fn problem_text(mut self, text: &'static str) -> Param {
        self.problem_text = Some(text);
        self
    }

    pub const fn required(mut self) -> Param {
        self.required = true;
        self
    }

    pub const fn default(mut self, value: DefaultValue) -> Param {
        self.default = Some(value);
        self
    }

    /// The JSON Schema of this parameter's value.
    pub fn value_schema(&self) -> Value {
        let mut schema = match self.kind {
            Kind::String { min, max, pattern } => {
                let mut s = json!({"type": "string", "minLength": min, "maxLength": max});
                if let Some((regex, _)) = pattern {
                    s["pattern"] = json!(regex);
                }
                s
            }
            Kind::Secret { max } => {
                json!({"type": "string", "minLength": 1, "maxLength": max, "pattern": "^[!-~]+$", "writeOnly": true})
            }
            Kind::Password => json!({
                "type": "object",
                "additionalProperties": false,
                "required": ["value"],
                "properties": {"value": {"type": "string", "minLength": 1, "maxLength": 256}},
                "writeOnly": true
            }),
            Kind::Reference { max, user: false } => json!({
                "type": "string",
                "minLength": 1,
                "maxLength": max,
                "pattern": NON_BLANK,
                "not": {"enum": [".", ".."]}
            }),
            Kind::Reference { max, user: true } => json!({
                "type": "string",
                "minLength": 1,
                "maxLength": max,
                "pattern": NON_BLANK,
                "not": {"anyOf": [{"enum": [".", ".."]}, {"pattern": "^[Mm][Ee]$"}]}
            }),
            Kind::Boolean => json!({"type": "boolean"}),
            Kind::Integer { min, max } => {
                json!({"type": "integer", "minimum": min, "maximum": max})
            }
            Kind::Enum(values) => json!({"type": "string", "enum": values}),
            Kind::DateTime => json!({"type": "string", "format": "date-time", "maxLength": 64}),
            Kind::StringMap => json!({
                "type": "object",
                "additionalProperties": {"type": "string", "maxLength": 1024},
                "maxProperties": 20
            }),
            Kind::ServiceApp => json!({
                "type": "object",
                "additionalProperties": false,
                "required": ["clientId", "privateKey", "scopes"],
                "properties": {
                    "clientId": {
                        "type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$",
                        "description": "The service app's client id (Applications > the app > General)."
                    },
                    "privateKey": {
                        "type": ["string", "object"], "minLength": 1, "maxLength": 16384,
                        "writeOnly": true,
                        "description": "The private key whose public key is in the app's JWKS: a PEM (PKCS#8, RSA of 2048 bits or more, or EC P-256) or a private JWK. Stored encrypted, never returned."
                    },
                    "keyId": {
                        "type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$",
                        "description": "The key's id (kid) in the app's JWKS; default: a JWK's own kid, else none."
                    },
                    "scopes": {
                        "type": "array", "minItems": 1, "maxItems": 64, "uniqueItems": true,
                        "items": {"type": "string", "maxLength": 128, "pattern": "^okta(\\.[A-Za-z]+)+$"},
                        "description": "The Okta scopes to request, granted to the app (Okta API Scopes tab). Actions needing others are refused."
                    }
                }
            }),
        };
        if !self.description.is_empty() {
            schema["description"] = json!(self.description);
        }
        if let Some(default) = self.default {
            schema["default"] = default.to_json();
        }
        schema
    }

    /// What a valid value looks like, as a field problem.
    pub fn expectation(&self) -> String {
        if let Some(text) = self.problem_text {
            return text.to_owned();
        }
        match self.kind {
            Kind::String {
                pattern: Some((_, problem)),
                ..
            } => problem.to_owned(),
            Kind::String { min, max, .. } => {
                format!("must be a string of {min} to {max} characters")
            }
            Kind::Secret { max } => format!(
                "must be a string of 1 to {max} printable characters without spaces or control characters"
            ),
            Kind::Reference { .. } => "must be an Okta id or login".to_owned(),
            Kind::Password => {
                "must be an object {\"value\": \"...\"} with a non-empty string value".to_owned()
            }
            Kind::Boolean => "must be true or false".to_owned(),
            Kind::Integer { min, max } => format!("must be an integer from {min} to {max}"),
            Kind::Enum(values) => format!("must be one of: {}", values.join(", ")),
            Kind::DateTime => {
                "must be an ISO 8601 date-time with a time zone, such as 2026-01-01T00:00:00Z"
                    .to_owned()
            }
            Kind::StringMap => "must be an object of string values".to_owned(),
            Kind::ServiceApp => {
                "must be an object {clientId, privateKey, keyId?, scopes}".to_owned()
            }
        }
    }

    /// How a refused value of this parameter is reported.
    fn rule(&self) -> FieldRule {
        let length = match self.kind {
            Kind::String { min, max, .. } => Some(length_problem(min.into(), max.into())),
            Kind::Reference { max, .. } => Some(length_problem(1, max.into())),
            _ => None,
        };
        FieldRule {
            name: self.name.to_owned(),
            required: self.required,
            expectation: self.expectation(),
            length,
            user_reference: matches!(self.kind, Kind::Reference { user: true, .. }),
            integer: matches!(self.kind, Kind::Integer { .. }),
            date_time: matches!(self.kind, Kind::DateTime),
            audit_target: false,
            dry_run: false,
            paged: false,
            members: match self.kind {
                Kind::ServiceApp => SERVICE_APP_MEMBERS,
                _ => &[],
            },
        }
    }

    fn is_secret(&self) -> bool {
        matches!(
            self.kind,
            Kind::Secret { .. } | Kind::Password | Kind::ServiceApp
        )
    }
}

fn length_problem(min: u64, max: u64) -> String {
    format!("must be a string of {min} to {max} characters")
}

const NOT_ME: &str =
    "must be a user's Okta id or login, not 'me' (Okta's alias for the API token's owner)";

/// How one field's refused values are reported, and what the gateway knows of it.
#[derive(Debug, Clone)]
pub struct FieldRule {
    pub name: String,
    pub required: bool,
    /// What a valid value looks like, as a field problem.
    pub expectation: String,
    /// The problem for a string of the wrong type or length, when its pattern has its own.
    length: Option<String>,
    /// A user reference, which is never `me`.
    pub user_reference: bool,
    integer: bool,
    date_time: bool,
    /// The field names what a mutating action acts on: it goes in the audit line.
    pub audit_target: bool,
    /// The field is `dryRun`.
    pub dry_run: bool,
    /// The field is `paged`, which list actions take.
    pub paged: bool,
    /// An object field's members and what each must be, so a problem names the member.
    members: &'static [(&'static str, &'static str)],
}

impl FieldRule {
    /// The problem to report when the schema keyword `failed` refused `value`: a pattern's
    /// own wording when the pattern failed, the plain expectation for a wrong type or length.
    fn problem(&self, failed: &jsonschema::error::ValidationErrorKind, value: &Value) -> String {
        use jsonschema::error::ValidationErrorKind::{Not, Pattern};
        if self.user_reference && value.as_str().is_some_and(|v| v.eq_ignore_ascii_case("me")) {
            return NOT_ME.to_owned();
        }
        match &self.length {
            Some(length) if !matches!(failed, Pattern { .. } | Not { .. }) => length.clone(),
            _ => self.expectation.clone(),
        }
    }

    /// The rule of a property generated from a type: the gateway's `x-` keywords are taken
    /// out of `schema` (they are not part of the published contract), the rest is read.
    fn from_schema(name: &str, required: bool, schema: &mut Map<String, Value>) -> FieldRule {
        let flag = |schema: &mut Map<String, Value>, key: &str| {
            schema.remove(key).is_some_and(|v| v == Value::Bool(true))
        };
        let user_reference = flag(schema, X_USER_REFERENCE);
        let audit_target = flag(schema, X_AUDIT_TARGET);
        let dry_run = flag(schema, X_DRY_RUN);
        let paged = flag(schema, X_PAGED);
        let explicit = schema
            .remove(X_PROBLEM)
            .and_then(|v| v.as_str().map(str::to_owned));
        let ty = schema
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let bound = |key: &str| schema.get(key).and_then(Value::as_i64);
        let date_time = schema.get("format").and_then(Value::as_str) == Some("date-time");
        let length = match (ty, bound("minLength"), bound("maxLength")) {
            ("string", Some(min), Some(max)) if !schema.contains_key("enum") => {
                Some(length_problem(min.unsigned_abs(), max.unsigned_abs()))
            }
            _ => None,
        };
        let derived = || match ty {
            _ if date_time => {
                "must be an ISO 8601 date-time with a time zone, such as 2026-01-01T00:00:00Z"
                    .to_owned()
            }
            "string" => match schema.get("enum").and_then(Value::as_array) {
                Some(values) => {
                    let values: Vec<&str> = values.iter().filter_map(Value::as_str).collect();
                    format!("must be one of: {}", values.join(", "))
                }
                None => length.clone().unwrap_or_else(|| "is invalid".to_owned()),
            },
            "boolean" => "must be true or false".to_owned(),
            "integer" => format!(
                "must be an integer from {} to {}",
                bound("minimum").unwrap_or(i64::MIN),
                bound("maximum").unwrap_or(i64::MAX)
            ),
            "object" => "must be an object of string values".to_owned(),
            _ => "is invalid".to_owned(),
        };
        FieldRule {
            name: name.to_owned(),
            required,
            expectation: explicit.unwrap_or_else(derived),
            length,
            user_reference,
            integer: ty == "integer",
            date_time,
            audit_target,
            dry_run,
            paged,
            members: &[],
        }
    }

    /// The problem of a refused member (`oauth.scopes`), when the field names its members.
    fn member_problem(&self, field: &str) -> Option<FieldProblem> {
        let member = field.split('.').nth(1)?;
        let (name, problem) = self.members.iter().find(|(name, _)| *name == member)?;
        Some(FieldProblem::new(format!("{}.{name}", self.name), *problem))
    }
}

/// The gateway's keywords in a generated field schema, read and removed by [`InputSchema`].
/// The field's refusal text.
pub const X_PROBLEM: &str = "x-problem";
/// The field is a user reference (refuses `me`).
pub const X_USER_REFERENCE: &str = "x-user-reference";
/// The field names the target of a mutating action, for the audit line.
pub const X_AUDIT_TARGET: &str = "x-audit-target";
/// The field is `dryRun`: the action can preview instead of acting.
pub const X_DRY_RUN: &str = "x-dry-run";
/// The field is `paged`: the action lists, one page at a time.
pub const X_PAGED: &str = "x-paged";

/// A compiled input: its JSON Schema and validator, built once, and how each field's problems
/// are reported.
pub struct InputSchema {
    fields: Vec<FieldRule>,
    /// Each field's schema as published in the catalog (without the `null` of "absent").
    values: Map<String, Value>,
    params: &'static [Param],
    json: Value,
    validator: jsonschema::Validator,
}

impl std::fmt::Debug for InputSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InputSchema")
            .field("json", &self.json)
            .finish_non_exhaustive()
    }
}

impl InputSchema {
    pub fn new(params: &'static [Param]) -> InputSchema {
        let fields = params.iter().map(Param::rule).collect();
        let values = params
            .iter()
            .map(|p| (p.name.to_owned(), p.value_schema()))
            .collect();
        InputSchema::compile(fields, values, params)
    }

    /// The schema of a typed input: generated from its type (doc comments as descriptions,
    /// fields in declaration order), with the gateway's `x-` keywords read into field rules.
    pub fn of<T: schemars::JsonSchema + serde::de::DeserializeOwned>() -> InputSchema {
        let generator = schemars::generate::SchemaSettings::draft2020_12()
            .with(|settings| settings.inline_subschemas = true)
            .into_generator();
        let root = generator.into_root_schema_for::<T>().to_value();
        let required: Vec<&str> = root["required"]
            .as_array()
            .map(|names| names.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut fields = Vec::new();
        let mut values = Map::new();
        for name in serde_aux::serde_introspection::serde_introspect::<T>() {
            let mut schema = match root["properties"].get(*name) {
                Some(Value::Object(schema)) => without_null(schema.clone()),
                _ => Map::new(),
            };
            if schema.get("type").and_then(Value::as_str) == Some("integer") {
                // Rust's integer width is not part of the contract.
                schema.remove("format");
            }
            fields.push(FieldRule::from_schema(
                name,
                required.contains(name),
                &mut schema,
            ));
            values.insert((*name).to_owned(), Value::Object(schema));
        }
        InputSchema::compile(fields, values, &[])
    }

    fn compile(
        fields: Vec<FieldRule>,
        values: Map<String, Value>,
        params: &'static [Param],
    ) -> InputSchema {
        let json = object_schema(&fields, &values);
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .build(&json)
            .expect("input definitions produce a valid JSON Schema");
        InputSchema {
            fields,
            values,
            params,
            json,
            validator,
        }
    }

    /// The fields, in declaration order.
    pub fn fields(&self) -> &[FieldRule] {
        &self.fields
    }

    /// A field's schema as the catalog publishes it (no `null`).
    pub fn value_schema(&self, name: &str) -> Option<&Value> {
        self.values.get(name)
    }

    /// The request body's JSON Schema (an object with these properties, nothing else).
    pub fn json_schema(&self) -> &Value {
        &self.json
    }

    /// Validate a request body, returning every problem at once: the object with `null`s of
    /// optional fields dropped and whole floats made integers, ready to deserialize.
    pub fn check(&self, body: Value) -> Result<Map<String, Value>, Vec<FieldProblem>> {
        let Value::Object(mut object) = body else {
            return Err(vec![FieldProblem::new("body", "must be a JSON object")]);
        };
        // `null` means absent for optional fields.
        object.retain(|key, value| {
            !(value.is_null() && self.field(key).is_some_and(|f| !f.required))
        });
        let instance = Value::Object(object);
        let mut problems: Vec<FieldProblem> = Vec::new();
        let mut push = |problem: FieldProblem| {
            // One problem per field, even when several keywords refused its value.
            if !problems.iter().any(|p| p.field == problem.field) {
                problems.push(problem);
            }
        };
        for error in self.validator.iter_errors(&instance) {
            match error.kind() {
                jsonschema::error::ValidationErrorKind::Required { property } => {
                    let name = property.as_str().unwrap_or_default().to_owned();
                    let prefix = pointer_to_field(error.instance_path().as_str());
                    let field = if prefix.is_empty() {
                        name
                    } else {
                        format!("{prefix}.{name}")
                    };
                    push(FieldProblem::new(field, "is required"));
                }
                jsonschema::error::ValidationErrorKind::AdditionalProperties { unexpected }
                    if error.instance_path().as_str().is_empty() =>
                {
                    for name in unexpected {
                        push(FieldProblem::new(name.clone(), "is not a known parameter"));
                    }
                }
                kind => {
                    let field = pointer_to_field(error.instance_path().as_str());
                    let top = field.split('.').next().unwrap_or_default();
                    let rule = self.field(top);
                    if let Some(problem) = rule.and_then(|rule| rule.member_problem(&field)) {
                        push(problem);
                        continue;
                    }
                    let problem = rule
                        .map(|rule| rule.problem(kind, error.instance()))
                        .unwrap_or_else(|| "is invalid".to_owned());
                    push(FieldProblem::new(top.to_owned(), problem));
                }
            }
        }
        let Value::Object(mut values) = instance else {
            unreachable!("validated as an object above")
        };
        for rule in &self.fields {
            let Some(value) = values.get_mut(&rule.name) else {
                continue;
            };
            // JSON Schema (and so the contract) counts 5.0 as the integer 5: hand the
            // handlers an integer. Fractions were refused by the schema above.
            if rule.integer
                && let Some(integer) = integral(value)
            {
                *value = Value::from(integer);
            }
            // A check JSON Schema does not express: a real date.
            if rule.date_time && value.as_str().is_some_and(|s| parse_datetime(s).is_none()) {
                push(FieldProblem::new(
                    rule.name.clone(),
                    rule.expectation.clone(),
                ));
            }
        }
        if !problems.is_empty() {
            problems.sort_by_key(|p| self.position(&p.field));
            return Err(problems);
        }
        Ok(values)
    }

    /// Validate a request body against a parameter list, returning every problem at once.
    pub fn validate(&self, body: Value) -> Result<Input, Vec<FieldProblem>> {
        let mut values = self.check(body)?;
        let mut secrets = HashMap::new();
        for param in self.params {
            if param.is_secret() {
                if let Some(value) = values.remove(param.name) {
                    let (text, rest) = secret_of(param.kind, value);
                    if let Some(rest) = rest {
                        values.insert(param.name.to_owned(), rest);
                    }
                    secrets.insert(param.name, SecretString::from(text));
                }
            } else if let (None, Some(default)) = (values.get(param.name), param.default) {
                values.insert(param.name.to_owned(), default.to_json());
            }
        }
        Ok(Input { values, secrets })
    }

    fn field(&self, name: &str) -> Option<&FieldRule> {
        self.fields.iter().find(|f| f.name == name)
    }

    fn position(&self, field: &str) -> usize {
        let top = field.split('.').next().unwrap_or_default();
        self.fields
            .iter()
            .position(|f| f.name == top)
            .unwrap_or(self.fields.len())
    }
}

/// A validated secret parameter's secret text, and what of it is not secret: a password's
/// `value`; a service app's private key (a JWK object as its JSON text), the rest of the app
/// staying an ordinary value.
fn secret_of(kind: Kind, value: Value) -> (String, Option<Value>) {
    let text = |value: Option<Value>| match value {
        Some(Value::String(s)) => s,
        Some(object @ Value::Object(_)) => object.to_string(),
        _ => String::new(),
    };
    match (kind, value) {
        (Kind::Password, Value::Object(mut o)) => (text(o.remove("value")), None),
        (Kind::ServiceApp, Value::Object(mut o)) => {
            let key = text(o.remove("privateKey"));
            (key, Some(Value::Object(o)))
        }
        (_, Value::String(s)) => (s, None),
        _ => (String::new(), None),
    }
}

fn object_schema(fields: &[FieldRule], values: &Map<String, Value>) -> Value {
    let properties: Map<String, Value> = fields
        .iter()
        .map(|field| {
            let mut schema = values
                .get(&field.name)
                .cloned()
                .unwrap_or_else(|| json!({}));
            if !field.required {
                // `null` is accepted as "absent" for optional fields.
                if let Some(ty) = schema.get("type").cloned() {
                    schema["type"] = json!([ty, "null"]);
                }
                if let Some(Value::Array(values)) = schema.get_mut("enum") {
                    values.push(Value::Null);
                }
            }
            (field.name.clone(), schema)
        })
        .collect();
    let required: Vec<&str> = fields
        .iter()
        .filter(|f| f.required)
        .map(|f| f.name.as_str())
        .collect();
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": required,
        "properties": properties,
    })
}

/// A generated field schema without the `null` that `Option` adds: the gateway adds it back
/// to every optional field, whatever its Rust type.
fn without_null(mut schema: Map<String, Value>) -> Map<String, Value> {
    if let Some(Value::Array(types)) = schema.get("type") {
        let types: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
        let single = match types.as_slice() {
            [one] => one.clone(),
            _ => Value::Array(types),
        };
        schema.insert("type".to_owned(), single);
    }
    if let Some(Value::Array(values)) = schema.get_mut("enum") {
        values.retain(|v| !v.is_null());
    }
    schema
}

/// A float with no fractional part, as the integer it is (`None` for anything else).
fn integral(value: &Value) -> Option<i64> {
    if value.is_i64() || value.is_u64() {
        return None;
    }
    let float = value.as_f64()?;
    // i64::MAX as f64 rounds up to 2^63, which is out of range; 2^53 keeps every value exact.
    const EXACT: f64 = 9_007_199_254_740_992.0;
    (float.fract() == 0.0 && float.abs() <= EXACT).then_some(float as i64)
}

fn pointer_to_field(pointer: &str) -> String {
    pointer
        .trim_start_matches('/')
        .split('/')
        .map(|part| part.replace("~1", "/").replace("~0", "~"))
        .collect::<Vec<_>>()
        .join(".")
}

/// Parse an ISO 8601 date-time with a zone (RFC 3339 profile).
pub fn parse_datetime(value: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(value).ok()
}

/// Validated input: plain values with defaults applied, and secrets kept apart.
#[derive(Debug)]
pub struct Input {
    values: Map<String, Value>,
    secrets: HashMap<&'static str, SecretString>,
}

impl Input {
    pub fn str(&self, name: &str) -> Option<&str> {
        self.values.get(name).and_then(Value::as_str)
    }

    pub fn bool(&self, name: &str) -> Option<bool> {
        self.values.get(name).and_then(Value::as_bool)
    }

    pub fn int(&self, name: &str) -> Option<i64> {
        self.values.get(name).and_then(Value::as_i64)
    }

    pub fn take_secret(&mut self, name: &str) -> Option<SecretString> {
        self.secrets.remove(name)
    }

    /// An object parameter (a service app without its private key).
    pub fn object(&self, name: &str) -> Option<&Map<String, Value>> {
        self.values.get(name).and_then(Value::as_object)
    }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    static PARAMS: [Param; 6] = [
        Param::new(
            "name",
            Kind::String {
                min: 1,
                max: 64,
                pattern: Some(("^[a-z0-9_]+$", "must be lowercase")),
            },
            "",
        )
        .required(),
        Param::new("token", Kind::Secret { max: 64 }, "").required(),
        Param::new("limit", Kind::Integer { min: 1, max: 1000 }, "")
            .default(DefaultValue::Int(200)),
        Param::new("flag", Kind::Boolean, "").default(DefaultValue::Bool(false)),
        Param::new("since", Kind::DateTime, ""),
        Param::new("password", Kind::Password, ""),
    ];

    fn schema() -> InputSchema {
        InputSchema::new(&PARAMS)
    }

    #[test]
    fn valid_input_gets_defaults_and_keeps_secrets_apart() {
        let mut input = schema()
            .validate(json!({"name": "acme", "token": "s3cr3t", "since": null, "password": {"value": "pw"}}))
            .unwrap();
        assert_eq!(input.str("name"), Some("acme"));
        assert_eq!(input.bool("flag"), Some(false));
        assert_eq!(input.str("since"), None);
        assert_eq!(
            input.take_secret("token").unwrap().expose_secret(),
            "s3cr3t"
        );
        assert_eq!(input.take_secret("password").unwrap().expose_secret(), "pw");
        assert!(!format!("{input:?}").contains("s3cr3t"));
    }

    #[test]
    fn every_problem_is_listed_at_once_in_parameter_order() {
        let problems = schema()
            .validate(json!({
                "name": "Bad Name", "limit": "5", "flag": 1, "extra": true,
                "since": "yesterday", "password": {"value": ""}
            }))
            .unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "name", "token", "limit", "flag", "since", "password", "extra"
            ]
        );
        assert_eq!(problems[0].problem, "must be lowercase");
        assert_eq!(problems[1].problem, "is required");
        assert_eq!(problems[6].problem, "is not a known parameter");
    }

    #[test]
    fn integral_floats_are_integers_as_in_json_schema() {
        let input = schema()
            .check(json!({"name": "a", "token": "t", "limit": 5.0}))
            .unwrap();
        assert_eq!(input["limit"], json!(5));
    }

    #[test]
    fn integers_are_whole_and_bounded() {
        for limit in [
            json!(5.5),
            json!(0),
            json!(1001),
            json!(1001.0),
            json!(true),
        ] {
            let problems = schema()
                .validate(json!({"name": "a", "token": "t", "limit": limit}))
                .unwrap_err();
            assert_eq!(problems.len(), 1, "{limit}");
            assert_eq!(problems[0].field, "limit");
        }
    }

    #[test]
    fn problems_never_quote_the_value() {
        let problems = schema()
            .validate(json!({"name": "a", "token": "has space secret"}))
            .unwrap_err();
        assert_eq!(problems[0].field, "token");
        assert!(!problems[0].problem.contains("secret"));
    }

    #[test]
    fn a_non_object_body_is_one_problem() {
        let problems = schema().validate(json!([1, 2])).unwrap_err();
        assert_eq!(
            problems,
            vec![FieldProblem::new("body", "must be a JSON object")]
        );
    }
}
