//! The action catalog: each action's parameters, description, Okta calls and response shape,
//! defined once. The router, `GET /actions` and the OpenAPI contract all read these
//! definitions.

mod apps;
mod context;
mod factors;
mod groups;
mod logs;
mod okta_errors;
mod paging;
mod shape;
mod users;

use std::collections::HashMap;
use std::sync::LazyLock;

use futures::future::BoxFuture;
use serde_json::{Value, json};

pub use context::ActionContext;
pub use paging::NEXT_CURSOR_HEADER;
pub use shape::{
    Output, Page, RawList, element_template, response_schema, shape, shape_raw, shape_response,
};

use crate::error::ApiError;
use crate::params::{Input, InputSchema, Kind, Param};

/// The future an action's handler returns.
pub type ActionFuture<'a> = BoxFuture<'a, Result<Output, ApiError>>;
/// A handler whose body is a value the gateway builds.
pub fn value<'a>(
    body: impl Future<Output = Result<Value, ApiError>> + Send + 'a,
) -> ActionFuture<'a> {
    Box::pin(async move { body.await.map(Output::Value) })
}

/// An action's handler: its Okta calls and response, given validated input.
pub type Handler = for<'a> fn(&'a ActionContext, Input) -> ActionFuture<'a>;

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
    pub params: &'static [Param],
    /// The resource a 404 refers to when Okta's answer does not say.
    pub resource: &'static str,
    /// Whether the action changes anything in Okta (it then writes an audit log line).
    pub mutating: bool,
    /// Whether a success body can carry a credential (activation token, reset URL, temporary
    /// password, TOTP secret): such responses get `Cache-Control: no-store`.
    pub carries_credentials: bool,
    /// Checks across parameters that the JSON Schema cannot express, run before any Okta call.
    pub check: Option<fn(&Input) -> Vec<crate::error::FieldProblem>>,
    pub responses: &'static [ResponseShape],
    /// A request body (JSON) that succeeds against the simulator's demo org.
    pub example: &'static str,
    pub handler: Handler,
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

/// `dryRun`: do the same reads and checks as the real call, and no writes.
pub const DRY_RUN: Param = Param::new(
    "dryRun",
    Kind::Boolean,
    "Do the reads and checks of the real call but change nothing; answer with a preview so the flow can ask for confirmation.",
)
.default(crate::params::DefaultValue::Bool(false));

/// Every action, in the seed's order.
pub static ACTIONS: LazyLock<Vec<&'static Action>> = LazyLock::new(|| {
    [
        users::ACTIONS,
        groups::ACTIONS,
        apps::ACTIONS,
        factors::ACTIONS,
        logs::ACTIONS,
        groups::PENDING_APPROVALS,
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
            .map(|action| (*action, InputSchema::new(action.params)))
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
                .map(|(action, _)| {
                    json!({
                        "name": action.name,
                        "label": action.label,
                        "description": action.description,
                        "mutating": action.mutating,
                        "parameters": action.params.iter().map(describe_param).collect::<Vec<_>>(),
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

fn describe_param(param: &Param) -> Value {
    let (ty, values): (&str, Option<&[&str]>) = match param.kind {
        Kind::String { .. } | Kind::Secret { .. } | Kind::Reference { .. } => ("string", None),
        Kind::Password => ("password", None),
        Kind::Boolean => ("boolean", None),
        Kind::Integer { .. } => ("integer", None),
        Kind::Enum(values) => ("string", Some(values)),
        Kind::DateTime => ("date-time", None),
        Kind::StringMap => ("object", None),
    };
    let mut described = json!({
        "name": param.name,
        "type": ty,
        "required": param.required,
        "description": param.description,
        "schema": param.value_schema(),
    });
    if let Some(default) = param.default {
        described["default"] = default.to_json();
    }
    if let Some(values) = values {
        described["enum"] = json!(values);
    }
    if let Kind::Integer { min, max } = param.kind {
        described["minimum"] = json!(min);
        described["maximum"] = json!(max);
    }
    described
}

/// A reference parameter: an Okta id (or login, for users). References become path segments,
/// so `.`, `..` and blank values can never be one (NOTES.md §5): the schema refuses them with
/// the other input problems, before any Okta call.
pub const fn reference(name: &'static str, description: &'static str) -> Param {
    Param::new(
        name,
        Kind::Reference {
            max: 256,
            user: false,
        },
        description,
    )
    .required()
}

/// A user reference: an id or a login, never `me`, which Okta resolves to the API token's
/// owner (often a super admin) instead of refusing.
pub const fn user_reference(name: &'static str, description: &'static str) -> Param {
    Param::new(
        name,
        Kind::Reference {
            max: 256,
            user: true,
        },
        description,
    )
    .required()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_has_the_seeds_27_actions_with_unique_names() {
        let catalog = Catalog::new();
        assert_eq!(catalog.names().len(), 27);
        let mut names = catalog.names();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 27);
    }

    #[test]
    fn every_sample_is_valid_json_matching_its_own_schema() {
        for action in ACTIONS.iter() {
            assert!(!action.responses.is_empty(), "{}", action.name);
            let schema = response_schema(action);
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
                .validate(example(action))
                .unwrap_or_else(|problems| panic!("{}: {problems:?}", action.name));
            if let Some(check) = action.check {
                let problems = check(&input);
                assert!(problems.is_empty(), "{}: {problems:?}", action.name);
            }
        }
    }

    #[test]
    fn every_list_action_takes_limit_after_and_paged_together() {
        let mut lists = Vec::new();
        for action in ACTIONS.iter() {
            let names: Vec<&str> = action.params.iter().map(|p| p.name).collect();
            let paging = ["limit", "after", "paged"].map(|name| names.contains(&name));
            if paging.contains(&true) {
                assert_eq!(paging, [true; 3], "{}", action.name);
                assert!(
                    action.check.is_some(),
                    "{}: refuses what a cursor fixes",
                    action.name
                );
                lists.push(action.name);
            }
        }
        assert_eq!(
            lists,
            ["list_groups", "get_audit_logs", "get_pending_approvals"]
        );
    }

    #[test]
    fn every_description_and_parameter_is_documented() {
        for action in ACTIONS.iter() {
            assert!(!action.label.is_empty() && !action.description.is_empty());
            for param in action.params {
                assert!(
                    !param.description.is_empty(),
                    "{}.{}",
                    action.name,
                    param.name
                );
            }
        }
    }
}
