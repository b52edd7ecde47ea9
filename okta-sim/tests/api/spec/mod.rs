//! Every response the simulator produces, checked against Okta's own spec.
//!
//! The spec is the vendored subset `okta-sim/spec/okta-management-subset.json` (see
//! `okta-sim/spec/SOURCE.md`), compiled into this test binary: the tests never read
//! `../shared`. An exchange (a [`RecordedRequest`]: method, route template, status, body)
//! passes when
//!
//! * its (method, path template) is one spec operation and the status is one of that
//!   operation's responses: a JSON body must validate against the response schema (converted
//!   from OpenAPI 3.0 by [`convert`]) and be sent as `application/json`; a response the spec
//!   declares without content must have no body (or Okta's `{}`, see [`body_for_empty`]); or
//! * an explicit rule of [`allowlist`] covers it (for example 411 or 405, which the spec does
//!   not list); a JSON error body is then still validated against the spec's `Error` schema.
//!
//! The integration-test harness ([`crate::helpers::TestSim`]) runs [`check_all`] over every
//! recorded exchange when a test's simulator goes away, so the whole suite is validated.

pub mod allowlist;
pub mod convert;
pub mod patches;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

use jsonschema::Validator;
use okta_sim::RecordedRequest;
use serde_json::{Map, Value, json};

use convert::{At, Converter};

/// The vendored subset, as committed.
pub const SUBSET: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/spec/okta-management-subset.json"
));

/// The provenance note written by `extract.py` (it records the subset's sha256).
pub const SOURCE_NOTE: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/spec/SOURCE.md"));

/// The parsed spec with its schemas converted, and compiled validators.
pub struct Spec {
    pub doc: Value,
    converter: Converter,
    defs: Map<String, Value>,
    validators: Mutex<HashMap<String, Arc<Validator>>>,
}

/// How an exchange was accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Matched `operationId` and one of its listed statuses (body validated, if any).
    Spec { operation: String, status: u16 },
    /// Covered by an allowlist rule (named), body validated against `Error` when JSON.
    Allowed { rule: &'static str },
}

/// The spec with [`patches`] applied, parsed once per test binary.
pub fn spec() -> &'static Spec {
    static SPEC: OnceLock<Spec> = OnceLock::new();
    SPEC.get_or_init(|| Spec::build(true))
}

impl Spec {
    /// Parses the subset and converts its schemas; `patched` applies [`patches::PATCHES`].
    pub fn build(patched: bool) -> Spec {
        let mut doc: Value = serde_json::from_str(SUBSET).expect("the vendored subset is JSON");
        if patched {
            patches::apply(&mut doc);
        }
        let schemas = doc["components"]["schemas"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        let converter = Converter::new(&schemas);
        let defs = converter.defs(&schemas);
        Spec {
            doc,
            converter,
            defs,
            validators: Mutex::new(HashMap::new()),
        }
    }
}

/// A JSON pointer lookup on the spec document (`#/components/responses/X`).
fn resolve<'a>(doc: &'a Value, node: &'a Value) -> &'a Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(r) => doc
            .pointer(r.trim_start_matches('#'))
            .unwrap_or_else(|| panic!("dangling $ref {r}")),
        None => node,
    }
}

impl Spec {
    /// The operation object for a method (any case) and path template.
    pub fn operation(&self, method: &str, template: &str) -> Option<&Value> {
        self.doc["paths"]
            .get(template)?
            .get(method.to_ascii_lowercase())
    }

    /// Every (METHOD, template) → operationId in the subset.
    pub fn operations(&self) -> BTreeMap<(String, String), String> {
        let mut ops = BTreeMap::new();
        for (template, item) in self.doc["paths"].as_object().into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                if method == "parameters" {
                    continue;
                }
                let id = op["operationId"].as_str().unwrap_or_default().to_string();
                ops.insert((method.to_ascii_uppercase(), template.clone()), id);
            }
        }
        ops
    }

    /// The operation with this `operationId`.
    pub fn operation_by_id(&self, id: &str) -> Option<&Value> {
        self.doc["paths"]
            .as_object()?
            .values()
            .filter_map(Value::as_object)
            .flat_map(|item| item.values())
            .find(|op| op["operationId"] == id)
    }

    /// The JSON schema and the named example values of an operation's response.
    pub fn response_examples(&self, id: &str, status: u16) -> (Value, Vec<(String, Value)>) {
        let op = self
            .operation_by_id(id)
            .unwrap_or_else(|| panic!("no operation {id}"));
        let response = self
            .response(op, status)
            .unwrap_or_else(|| panic!("{id} has no {status}"));
        let content = &response["content"]["application/json"];
        let examples = content["examples"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(name, ex)| (name.clone(), resolve(&self.doc, ex)["value"].clone()))
            .collect();
        (content["schema"].clone(), examples)
    }

    /// The response object an operation declares for a status (resolving `$ref`).
    pub fn response<'a>(&'a self, op: &'a Value, status: u16) -> Option<&'a Value> {
        let r = op["responses"].get(status.to_string())?;
        Some(resolve(&self.doc, r))
    }

    /// A validator for an (already OpenAPI) schema, compiled once per distinct schema.
    pub fn validator(&self, schema: &Value) -> Arc<Validator> {
        let key = schema.to_string();
        if let Some(v) = lock(&self.validators).get(&key) {
            return Arc::clone(v);
        }
        let mut root = match self.converter.schema(schema, None, At::Nested) {
            Value::Object(m) => m,
            other => {
                let mut m = Map::new();
                m.insert("allOf".into(), json!([other]));
                m
            }
        };
        root.insert(
            "$schema".into(),
            json!("https://json-schema.org/draft/2020-12/schema"),
        );
        root.insert("$defs".into(), Value::Object(self.defs.clone()));
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .build(&Value::Object(root))
            .unwrap_or_else(|e| panic!("converted schema does not compile: {e}"));
        let validator = Arc::new(validator);
        lock(&self.validators).insert(key, Arc::clone(&validator));
        validator
    }

    /// Validates a JSON value against a spec schema; `Err` lists every violation.
    pub fn validate(&self, schema: &Value, instance: &Value) -> Result<(), Vec<String>> {
        let validator = self.validator(schema);
        let errors: Vec<String> = validator
            .iter_errors(instance)
            .map(|e| format!("at '{}': {e}", e.instance_path()))
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// Validates against a named component schema (`User`, `Group`, `UserFactor`, `Error`…).
    pub fn validate_component(&self, name: &str, instance: &Value) -> Result<(), Vec<String>> {
        self.validate(
            &json!({ "$ref": format!("#/components/schemas/{name}") }),
            instance,
        )
    }

    /// Checks one exchange.
    pub fn check(&self, rec: &RecordedRequest) -> Result<Verdict, String> {
        let describe = || {
            format!(
                "{} {}{} → {} ({}) body {}",
                rec.method,
                rec.path,
                rec.query
                    .as_deref()
                    .map(|q| format!("?{q}"))
                    .unwrap_or_default(),
                rec.status,
                rec.route.as_deref().unwrap_or("no route"),
                rec.response_body
                    .as_deref()
                    .map(|b| b.chars().take(600).collect::<String>())
                    .unwrap_or_else(|| "(empty)".into()),
            )
        };
        if let Some(rule) = allowlist::variant_for(rec) {
            self.check_allowed(rec, &rule)
                .map_err(|e| format!("allowlist rule '{}': {e}\n  {}", rule.name, describe()))?;
            return Ok(Verdict::Allowed { rule: rule.name });
        }
        let op = rec
            .route
            .as_deref()
            .and_then(|t| self.operation(&rec.method, t));
        let declared = op.and_then(|op| self.response(op, rec.status));
        // An injected non-429 fault is the test's answer, not the simulator's: never match it
        // to the spec even if the operation happens to list that status.
        let injected = matches!(rec.fault.as_deref(), Some("status" | "html"));
        if let (Some(op), Some(response), false) = (op, declared, injected) {
            self.check_declared(rec, response)
                .map_err(|e| format!("{}: {e}\n  {}", op["operationId"], describe()))?;
            return Ok(Verdict::Spec {
                operation: op["operationId"].as_str().unwrap_or_default().to_string(),
                status: rec.status,
            });
        }
        let Some(rule) = allowlist::rule_for(rec, op.is_some()) else {
            return Err(format!(
                "no spec response and no allowlist rule for {} {} status {}\n  {}",
                rec.method,
                rec.route.as_deref().unwrap_or("(unrouted)"),
                rec.status,
                describe()
            ));
        };
        self.check_allowed(rec, &rule)
            .map_err(|e| format!("allowlist rule '{}': {e}\n  {}", rule.name, describe()))?;
        Ok(Verdict::Allowed { rule: rule.name })
    }

    fn check_declared(&self, rec: &RecordedRequest, response: &Value) -> Result<(), String> {
        let schema = response
            .get("content")
            .and_then(|c| c.get("application/json"))
            .and_then(|c| c.get("schema"));
        let Some(schema) = schema else {
            return body_for_empty(rec);
        };
        let ct = rec.response_content_type.as_deref().unwrap_or_default();
        if !ct.starts_with("application/json") {
            return Err(format!(
                "content type '{ct}', the spec says application/json"
            ));
        }
        let body = rec.response_body.as_deref().unwrap_or_default();
        let value: Value =
            serde_json::from_str(body).map_err(|e| format!("body is not JSON ({e})"))?;
        self.validate(schema, &value)
            .map_err(|errors| format!("schema violations:\n    {}", errors.join("\n    ")))
    }

    fn check_allowed(&self, rec: &RecordedRequest, rule: &allowlist::Rule) -> Result<(), String> {
        match rule.body {
            allowlist::Body::Html => {
                let ct = rec.response_content_type.as_deref().unwrap_or_default();
                if ct.starts_with("text/html") {
                    Ok(())
                } else {
                    Err(format!("expected an HTML page, got '{ct}'"))
                }
            }
            allowlist::Body::None => Ok(()),
            allowlist::Body::Empty => match rec.response_body.as_deref() {
                None => Ok(()),
                Some(body) => Err(format!("expected no body, got {body}")),
            },
            allowlist::Body::OAuth => oauth_body(rec),
            allowlist::Body::Schema(name) => {
                let body = rec.response_body.as_deref().unwrap_or_default();
                let value: Value =
                    serde_json::from_str(body).map_err(|e| format!("body is not JSON ({e})"))?;
                self.validate_component(name, &value).map_err(|errors| {
                    format!("{name} schema violations:\n    {}", errors.join("\n    "))
                })
            }
            allowlist::Body::OktaError(codes) => {
                let ct = rec.response_content_type.as_deref().unwrap_or_default();
                if !ct.starts_with("application/json") {
                    return Err(format!("content type '{ct}' for an Okta error"));
                }
                let body = rec.response_body.as_deref().unwrap_or_default();
                let value: Value =
                    serde_json::from_str(body).map_err(|e| format!("error body not JSON ({e})"))?;
                self.validate_component("Error", &value).map_err(|errors| {
                    format!("Error schema violations:\n    {}", errors.join("\n    "))
                })?;
                let code = value["errorCode"].as_str().unwrap_or_default();
                if !codes.is_empty() && !codes.contains(&code) {
                    return Err(format!("errorCode {code} is not one of {codes:?}"));
                }
                Ok(())
            }
        }
    }
}

/// An OAuth answer: a token response on 200, an OAuth error otherwise.
fn oauth_body(rec: &RecordedRequest) -> Result<(), String> {
    let ct = rec.response_content_type.as_deref().unwrap_or_default();
    if !ct.starts_with("application/json") {
        return Err(format!("content type '{ct}' for an OAuth answer"));
    }
    let body = rec.response_body.as_deref().unwrap_or_default();
    let value: Value = serde_json::from_str(body).map_err(|e| format!("body is not JSON ({e})"))?;
    let object = value.as_object().ok_or("the body is not a JSON object")?;
    let text = |name: &str| {
        object
            .get(name)
            .and_then(Value::as_str)
            .is_some_and(|s| !s.is_empty())
    };
    if rec.status == 200 {
        let token_type = object.get("token_type").and_then(Value::as_str);
        if text("access_token")
            && text("scope")
            && matches!(token_type, Some("Bearer" | "DPoP"))
            && object.get("expires_in").is_some_and(Value::is_u64)
            && object.len() == 4
        {
            return Ok(());
        }
        return Err("not a token response (access_token, token_type, expires_in, scope)".into());
    }
    if text("error") && text("error_description") && object.len() == 2 {
        Ok(())
    } else {
        Err("not an OAuth error ({error, error_description})".into())
    }
}

/// A response the spec declares without content (`content: {}` or none).
///
/// 204s must be empty. For the 200s of `deactivate`, `suspend`, `unsuspend`, `unlock` and
/// `reset_factors` the spec also declares no content, but Okta sends the empty JSON object
/// `{}` (okta-sdk-test-server's recordings, and the legacy reference: "Returns an empty
/// object"); so a 200 may carry exactly `{}` as JSON, and nothing else.
fn body_for_empty(rec: &RecordedRequest) -> Result<(), String> {
    match rec.response_body.as_deref() {
        None => Ok(()),
        Some(body) if rec.status == 200 => {
            let value: Value =
                serde_json::from_str(body).map_err(|e| format!("body is not JSON ({e})"))?;
            if value == json!({}) {
                Ok(())
            } else {
                Err(format!(
                    "the spec declares no body; only {{}} is tolerated, got {body}"
                ))
            }
        }
        Some(body) => Err(format!("the spec declares no body, got {body}")),
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Checks every exchange; returns the verdicts, or every failure in one message.
pub fn check_all(requests: &[RecordedRequest]) -> Result<Vec<Verdict>, String> {
    let spec = spec();
    let mut verdicts = Vec::new();
    let mut failures = Vec::new();
    for rec in requests {
        match spec.check(rec) {
            Ok(v) => verdicts.push(v),
            Err(e) => failures.push(e),
        }
    }
    if failures.is_empty() {
        Ok(verdicts)
    } else {
        Err(format!(
            "{} of {} responses do not conform to Okta's spec:\n{}",
            failures.len(),
            requests.len(),
            failures.join("\n")
        ))
    }
}
