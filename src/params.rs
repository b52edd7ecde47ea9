//! Declarative request parameters. One definition per endpoint or action gives the JSON Schema
//! (validated with the `jsonschema` crate, and published in the catalog and `openapi.yaml`) and
//! typed access to the validated input. Validation reports every bad field at once and never
//! quotes a value, since values may be secrets.

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
}

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
        }
    }

    /// The problem to report when the schema keyword `failed` refused `value`: a pattern's
    /// own wording when the pattern failed, the plain expectation for a wrong type or length.
    pub fn problem(
        &self,
        failed: &jsonschema::error::ValidationErrorKind,
        value: &Value,
    ) -> String {
        use jsonschema::error::ValidationErrorKind::{Not, Pattern};
        let pattern_failed = matches!(failed, Pattern { .. } | Not { .. });
        match self.kind {
            Kind::Reference { user: true, .. }
                if value.as_str().is_some_and(|v| v.eq_ignore_ascii_case("me")) =>
            {
                "must be a user's Okta id or login, not 'me' (Okta's alias for the API token's owner)"
                    .to_owned()
            }
            Kind::String { min, max, .. } if !pattern_failed => {
                format!("must be a string of {min} to {max} characters")
            }
            Kind::Reference { max, .. } if !pattern_failed => {
                format!("must be a string of 1 to {max} characters")
            }
            _ => self.expectation(),
        }
    }

    fn is_secret(&self) -> bool {
        matches!(self.kind, Kind::Secret { .. } | Kind::Password)
    }
}

/// A compiled parameter list: its JSON Schema and validator, built once.
pub struct InputSchema {
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
        let json = object_schema(params);
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .build(&json)
            .expect("parameter definitions produce a valid JSON Schema");
        InputSchema {
            params,
            json,
            validator,
        }
    }

    pub fn params(&self) -> &'static [Param] {
        self.params
    }

    /// The request body's JSON Schema (an object with these properties, nothing else).
    pub fn json_schema(&self) -> &Value {
        &self.json
    }

    /// Validate a request body, returning every problem at once.
    pub fn validate(&self, body: Value) -> Result<Input, Vec<FieldProblem>> {
        let Value::Object(mut object) = body else {
            return Err(vec![FieldProblem::new("body", "must be a JSON object")]);
        };
        // `null` means absent for optional parameters.
        object.retain(|key, value| {
            !(value.is_null() && self.param(key).is_some_and(|p| !p.required))
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
                    let problem = self
                        .param(top)
                        .map(|param| param.problem(kind, error.instance()))
                        .unwrap_or_else(|| "is invalid".to_owned());
                    push(FieldProblem::new(top.to_owned(), problem));
                }
            }
        }
        let Value::Object(mut values) = instance else {
            unreachable!("validated as an object above")
        };
        for param in self.params {
            let Some(value) = values.get_mut(param.name) else {
                continue;
            };
            match param.kind {
                // JSON Schema (and so the contract) counts 5.0 as the integer 5: hand the
                // handlers an integer. Fractions were refused by the schema above.
                Kind::Integer { .. } => {
                    if let Some(integer) = integral(value) {
                        *value = Value::from(integer);
                    }
                }
                // A check JSON Schema does not express: a real date.
                Kind::DateTime if value.as_str().is_some_and(|s| parse_datetime(s).is_none()) => {
                    push(FieldProblem::new(param.name, param.expectation()));
                }
                _ => {}
            }
        }
        if !problems.is_empty() {
            problems.sort_by_key(|p| self.position(&p.field));
            return Err(problems);
        }
        let mut secrets = HashMap::new();
        let mut defaulted = Vec::new();
        for param in self.params {
            if param.is_secret() {
                if let Some(value) = values.remove(param.name) {
                    let text = match value {
                        Value::String(s) => s,
                        Value::Object(mut o) => match o.remove("value") {
                            Some(Value::String(s)) => s,
                            _ => String::new(),
                        },
                        _ => String::new(),
                    };
                    secrets.insert(param.name, SecretString::from(text));
                }
            } else if let (None, Some(default)) = (values.get(param.name), param.default) {
                values.insert(param.name.to_owned(), default.to_json());
                defaulted.push(param.name);
            }
        }
        Ok(Input {
            values,
            secrets,
            defaulted,
        })
    }

    fn param(&self, name: &str) -> Option<&'static Param> {
        self.params.iter().find(|p| p.name == name)
    }

    fn position(&self, field: &str) -> usize {
        let top = field.split('.').next().unwrap_or_default();
        self.params
            .iter()
            .position(|p| p.name == top)
            .unwrap_or(self.params.len())
    }
}

fn object_schema(params: &[Param]) -> Value {
    let properties: Map<String, Value> = params
        .iter()
        .map(|p| {
            let mut schema = p.value_schema();
            if !p.required {
                // `null` is accepted as "absent" for optional parameters.
                if let Some(ty) = schema.get("type").cloned() {
                    schema["type"] = json!([ty, "null"]);
                }
                if let Some(Value::Array(values)) = schema.get_mut("enum") {
                    values.push(Value::Null);
                }
            }
            (p.name.to_owned(), schema)
        })
        .collect();
    let required: Vec<&str> = params
        .iter()
        .filter(|p| p.required)
        .map(|p| p.name)
        .collect();
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": required,
        "properties": properties,
    })
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
    /// The parameters whose value is their default, not the caller's.
    defaulted: Vec<&'static str>,
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

    pub fn object(&self, name: &str) -> Option<&Map<String, Value>> {
        self.values.get(name).and_then(Value::as_object)
    }

    pub fn has(&self, name: &str) -> bool {
        self.values.contains_key(name) || self.secrets.contains_key(name)
    }

    /// Whether the caller sent this parameter (a default does not count).
    pub fn given(&self, name: &str) -> bool {
        self.has(name) && !self.defaulted.contains(&name)
    }

    pub fn take_secret(&mut self, name: &str) -> Option<SecretString> {
        self.secrets.remove(name)
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
        assert_eq!(input.int("limit"), Some(200));
        assert_eq!(input.bool("flag"), Some(false));
        assert!(input.given("name") && !input.given("limit") && !input.given("flag"));
        assert!(!input.has("since"));
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
            .validate(json!({"name": "a", "token": "t", "limit": 5.0}))
            .unwrap();
        assert_eq!(input.int("limit"), Some(5));
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
