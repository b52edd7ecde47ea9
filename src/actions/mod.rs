//! The action catalog: each action's parameters, description, Okta calls and response shape,
//! defined once. The router, `GET /actions` and the OpenAPI contract all read these
//! definitions.

mod app_access;
mod apps;
mod context;
mod directory;
mod factors;
pub mod fields;
mod groups;
mod helpdesk;
mod logs;
mod okta_errors;
mod paging;
mod scopes;
mod sessions;
mod shape;
mod users;

use std::collections::HashMap;
use std::sync::LazyLock;

use futures::future::BoxFuture;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

pub use context::{ActionContext, ResolvedUser, looks_like_user_id};
pub use paging::NEXT_CURSOR_HEADER;
pub use scopes::{check_scopes, missing_scopes};
pub use shape::{
    Output, Page, RawList, element_template, response_schema, shape, shape_raw, shape_response,
};

use crate::error::{ApiError, FieldProblem};
use crate::params::{FieldRule, InputSchema};

/// The future an action's handler returns.
pub type ActionFuture<'a> = BoxFuture<'a, Result<Output, ApiError>>;
/// A handler whose body is a value the gateway builds.
pub fn value<'a>(
    body: impl Future<Output = Result<Value, ApiError>> + Send + 'a,
) -> ActionFuture<'a> {
    Box::pin(async move { body.await.map(Output::Value) })
}

/// An action's input: a struct whose JSON Schema is generated from its definition (doc
/// comments as descriptions; see `fields` for the shared field types) and checked before it
/// is deserialized.
pub trait ActionInput: DeserializeOwned + schemars::JsonSchema + Send + 'static {
    /// Rules across fields that the JSON Schema cannot express, run before any Okta call.
    fn check(&self) -> Vec<FieldProblem> {
        Vec::new()
    }
}

/// An action's handler: its Okta calls and response, given its typed input.
pub struct Handler<I>(pub for<'a> fn(&'a ActionContext, I) -> ActionFuture<'a>);

/// A handler ready to run, its input validated and deserialized.
pub type Ready = Box<dyn for<'a> FnOnce(&'a ActionContext) -> ActionFuture<'a> + Send>;

/// A handler with its input type erased, so the catalog can hold every action.
pub trait Run: Sync {
    /// The input's schema, compiled.
    fn schema(&self) -> InputSchema;
    /// Deserialize input that passed the schema and run the input's own checks.
    fn prepare(&self, input: Map<String, Value>) -> Result<Ready, ApiError>;
}

impl<I: ActionInput> Run for Handler<I> {
    fn schema(&self) -> InputSchema {
        InputSchema::of::<I>()
    }

    fn prepare(&self, input: Map<String, Value>) -> Result<Ready, ApiError> {
        let input: I = serde_json::from_value(Value::Object(input)).map_err(|err| {
            ApiError::internal(format!("input passed its schema but not its type: {err}"))
        })?;
        let problems = input.check();
        if !problems.is_empty() {
            return Err(ApiError::invalid_fields(problems));
        }
        let handler = self.0;
        Ok(Box::new(move |ctx| handler(ctx, input)))
    }
}

/// One possible success body of an action.
#[derive(Debug, Clone, Copy)]
pub struct ResponseShape {
    /// What this body is, e.g. "the created user" or "the dry-run preview".
    pub label: &'static str,
    /// A sample body (JSON). For an Okta object it is also the template of keys that are
    /// always present (null where Okta omits them); a wrapper's sample is its exact shape.
    pub sample: &'static str,
    pub kind: ShapeKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShapeKind {
    /// An Okta object (or a list of them) passed through: extra keys may appear, any member
    /// may be null.
    Okta,
    /// Like `Okta`, but only the top-level keys are guaranteed: nested objects differ by kind
    /// (an app's settings by sign-on mode, a factor's profile by factor type).
    OktaTop,
    /// The gateway's own body: exactly these keys and types.
    Wrapper,
}

/// One action of the catalog.
pub struct Action {
    pub name: &'static str,
    pub label: &'static str,
    pub description: &'static str,
    /// The resource a 404 refers to when Okta's answer does not say.
    pub resource: &'static str,
    /// Whether the action changes anything in Okta (it then writes an audit log line).
    pub mutating: bool,
    /// Whether the action removes access or data (deletes, deactivations, resets, removals):
    /// it takes `dryRun`, and MCP clients see it as destructive and confirm it first.
    pub destructive: bool,
    /// Whether a success body can carry a credential (activation token, reset URL, temporary
    /// password, TOTP secret): such responses get `Cache-Control: no-store`.
    pub carries_credentials: bool,
    /// The Okta OAuth scopes a service app needs for every Okta call the action can make
    /// (login lookups and dry-run reads included), the fewest that do: a `.manage` scope also
    /// grants its `.read`. From the `security` of those operations in Okta's spec.
    pub scopes: &'static [&'static str],
    pub responses: &'static [ResponseShape],
    /// A request body (JSON) that succeeds against the simulator's demo org.
    pub example: &'static str,
    /// Its typed input and handler.
    pub handler: &'static dyn Run,
}

impl std::fmt::Debug for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Action")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// The dry-run preview every `dryRun` action returns.
pub const DRY_RUN_RESPONSE: ResponseShape = ResponseShape {
    label: "dry run: what the action would do, with the target as Okta has it",
    sample: r#"{"dryRun": true, "message": "Would deactivate user jordan.lee@example.com (status ACTIVE).", "target": {"id": "00ub0oNGTSWTBKOLGLNR", "status": "ACTIVE"}}"#,
    kind: ShapeKind::Wrapper,
};

/// Whether a read action answers 409 CONFLICT when what it looks up is ambiguous
/// (`details.matches`); mutating actions answer 409 for their own reasons.
pub fn answers_ambiguous_match(action: &Action) -> bool {
    std::ptr::eq(action, &directory::FIND_USER_BY_EMAIL)
}

/// Every action, in the catalog's (and the README's) order: each resource's actions together.
pub static ACTIONS: LazyLock<Vec<&'static Action>> = LazyLock::new(|| {
    [
        users::ACTIONS,
        sessions::ACTIONS,
        directory::ACTIONS,
        groups::ACTIONS,
        apps::ACTIONS,
        app_access::ACTIONS,
        factors::ACTIONS,
        logs::ACTIONS,
        groups::PENDING_APPROVALS,
        helpdesk::ACTIONS,
    ]
    .into_iter()
    .flatten()
    .copied()
    .collect()
});

/// The catalog, with each action's compiled input schema, built once.
pub struct Catalog {
    entries: Vec<(&'static Action, InputSchema)>,
    by_name: HashMap<&'static str, usize>,
}

impl Catalog {
    pub fn new() -> Catalog {
        let entries: Vec<(&'static Action, InputSchema)> = ACTIONS
            .iter()
            .map(|action| (*action, action.handler.schema()))
            .collect();
        let by_name = entries
            .iter()
            .enumerate()
            .map(|(i, (action, _))| (action.name, i))
            .collect();
        Catalog { entries, by_name }
    }

    pub fn get(&self, name: &str) -> Option<(&'static Action, &InputSchema)> {
        self.by_name
            .get(name)
            .map(|&i| (self.entries[i].0, &self.entries[i].1))
    }

    pub fn iter(&self) -> impl Iterator<Item = (&'static Action, &InputSchema)> {
        self.entries
            .iter()
            .map(|(action, schema)| (*action, schema))
    }

    pub fn names(&self) -> Vec<String> {
        self.entries
            .iter()
            .map(|(action, _)| action.name.to_owned())
            .collect()
    }

    /// `GET /actions`: what a flow builder needs to render each action's node form.
    pub fn describe(&self) -> Value {
        Value::Array(
            self.iter()
                .map(|(action, schema)| {
                    json!({
                        "name": action.name,
                        "label": action.label,
                        "description": action.description,
                        "mutating": action.mutating,
                        "scopes": action.scopes,
                        "parameters": schema.fields().iter().map(|f| describe_field(schema, f)).collect::<Vec<_>>(),
                        "exampleRequest": example(action),
                        "sampleResponse": sample(&action.responses[0]),
                    })
                })
                .collect(),
        )
    }
}

impl Default for Catalog {
    fn default() -> Self {
        Catalog::new()
    }
}

pub fn example(action: &Action) -> Value {
    serde_json::from_str(action.example).expect("action examples are valid JSON")
}

pub fn sample(response: &ResponseShape) -> Value {
    serde_json::from_str(response.sample).expect("action samples are valid JSON")
}

fn describe_field(schema: &InputSchema, field: &FieldRule) -> Value {
    let value = schema
        .value_schema(&field.name)
        .cloned()
        .unwrap_or_else(|| json!({}));
    let ty = match value
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default()
    {
        "object" if value.get("writeOnly") == Some(&Value::Bool(true)) => "password",
        "string" if value.get("format").and_then(Value::as_str) == Some("date-time") => "date-time",
        ty => ty,
    };
    let mut described = json!({
        "name": field.name,
        "type": ty,
        "required": field.required,
        "description": value.get("description").cloned().unwrap_or_else(|| json!("")),
    });
    for key in ["default", "enum"] {
        if let Some(v) = value.get(key) {
            described[key] = v.clone();
        }
    }
    if ty == "integer" {
        for key in ["minimum", "maximum"] {
            if let Some(v) = value.get(key) {
                described[key] = v.clone();
            }
        }
    }
    described["schema"] = value;
    described
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_name_is_unique() {
        let catalog = Catalog::new();
        let mut names = catalog.names();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), catalog.names().len());
    }

    #[test]
    fn every_sample_is_valid_json_matching_its_own_schema() {
        for (action, input) in Catalog::new().iter() {
            assert!(!action.responses.is_empty(), "{}", action.name);
            let schema = response_schema(action, input);
            let validator = jsonschema::options()
                .with_draft(jsonschema::Draft::Draft202012)
                .build(&schema)
                .unwrap_or_else(|e| panic!("{}: {e}", action.name));
            for response in action.responses {
                let body = sample(response);
                let errors: Vec<String> = validator
                    .iter_errors(&body)
                    .map(|e| e.to_string())
                    .collect();
                assert!(errors.is_empty(), "{}: {errors:?}", action.name);
            }
        }
    }

    #[test]
    fn every_example_request_is_valid_input() {
        let catalog = Catalog::new();
        for (action, schema) in catalog.iter() {
            let input = schema
                .check(example(action))
                .unwrap_or_else(|problems| panic!("{}: {problems:?}", action.name));
            if let Err(error) = action.handler.prepare(input) {
                panic!("{}: {error:?}", action.name);
            }
        }
    }

    #[test]
    fn every_list_action_takes_limit_after_and_paged_together() {
        let mut lists = Vec::new();
        for (action, input) in Catalog::new().iter() {
            let names: Vec<&str> = input.fields().iter().map(|f| f.name.as_str()).collect();
            let paging = ["limit", "after", "paged"].map(|name| names.contains(&name));
            // A limit alone is a one-call action's cap (get_login_failures), not paging.
            if paging[1] || paging[2] {
                assert_eq!(paging, [true; 3], "{}", action.name);
                assert!(
                    input.fields().iter().any(|f| f.paged),
                    "{}: paged is the shared field type",
                    action.name
                );
                lists.push(action.name);
            }
        }
        assert_eq!(
            lists,
            [
                "list_users",
                "list_groups",
                "list_group_members",
                "list_applications",
                "list_app_users",
                "list_group_apps",
                "get_audit_logs",
                "get_pending_approvals"
            ]
        );
    }

    #[test]
    fn every_description_and_parameter_is_documented() {
        for (action, input) in Catalog::new().iter() {
            assert!(!action.label.is_empty() && !action.description.is_empty());
            for field in input.fields() {
                let description = input
                    .value_schema(&field.name)
                    .and_then(|schema| schema.get("description"))
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                assert!(!description.is_empty(), "{}.{}", action.name, field.name);
            }
        }
    }

    #[test]
    fn every_destructive_action_is_mutating_and_takes_dry_run() {
        let mut destructive = Vec::new();
        for (action, input) in Catalog::new().iter() {
            if !action.destructive {
                continue;
            }
            assert!(action.mutating, "{}", action.name);
            assert!(
                input.fields().iter().any(|f| f.dry_run),
                "{}: a destructive action takes the shared dryRun field",
                action.name
            );
            assert!(
                action
                    .responses
                    .iter()
                    .any(|r| sample(r)["dryRun"] == json!(true)),
                "{}: the dry-run preview is one of its responses",
                action.name
            );
            destructive.push(action.name);
        }
        assert_eq!(
            destructive,
            [
                "delete_user",
                "deactivate_user",
                "suspend_user",
                "reset_password",
                "expire_password",
                "change_password",
                "clear_user_sessions",
                "delete_group",
                "remove_user_from_group",
                "unassign_app_from_user",
                "unassign_group_from_app",
                "reset_factor",
                "reset_all_factors",
            ]
        );
    }

    #[test]
    fn the_gateways_own_keywords_never_reach_the_published_schema() {
        for (action, input) in Catalog::new().iter() {
            let text = input.json_schema().to_string();
            assert!(!text.contains("\"x-"), "{}: {text}", action.name);
        }
    }
}
