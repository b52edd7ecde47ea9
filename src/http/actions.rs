//! `POST /accounts/{name}/actions/{action}` (one literal route per action), the catalog at
//! `GET /actions`, and `POST /accounts/{name}/test`.

use axum::Extension;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use super::RouteSpec;
use super::edge::ActionLog;
use super::extract::JsonBody;
use crate::accounts::AccountOut;
use crate::actions::{ACTIONS, Action, ActionContext, NEXT_CURSOR_HEADER, Output};
use crate::auth::{Caller, Scope};
use crate::error::{ApiError, ErrorDetails, ErrorStatus};
use crate::params::InputSchema;
use crate::state::AppState;

pub fn routes() -> Vec<RouteSpec> {
    let mut routes = vec![
        RouteSpec::new(Method::GET, "/actions", Some(Scope::Action), catalog),
        RouteSpec::new(
            Method::POST,
            "/accounts/{name}/test",
            Some(Scope::Admin),
            test_account,
        ),
    ];
    for action in ACTIONS.iter().copied() {
        routes.push(RouteSpec::new(
            Method::POST,
            format!("/accounts/{{name}}/actions/{}", action.name),
            Some(Scope::Action),
            move |state: State<AppState>,
                  name: Path<String>,
                  caller: Extension<Caller>,
                  body: JsonBody| run(state, action, name, caller, body),
        ));
    }
    routes
}

/// The catalog, rendered once.
async fn catalog(State(state): State<AppState>) -> Response {
    (
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        state.catalog_json.clone(),
    )
        .into_response()
}

/// Re-check an account's stored token against Okta, recording the outcome.
async fn test_account(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<AccountOut>, ApiError> {
    Ok(Json(state.accounts.test(&name).await?))
}

async fn run(
    State(state): State<AppState>,
    action: &'static Action,
    Path(name): Path<String>,
    Extension(caller): Extension<Caller>,
    JsonBody(body): JsonBody,
) -> Response {
    let mut log = ActionLog {
        account: name,
        action: action.name,
        okta_request_ids: Vec::new(),
    };
    let mut response = perform(&state, action, &caller, body, &mut log, Via::Http)
        .await
        .map_or_else(IntoResponse::into_response, |output| {
            respond(action, output)
        });
    response.extensions_mut().insert(log);
    response
}

/// Which surface an action call came through, for the audit line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Http,
    Mcp,
}

impl Via {
    fn as_str(self) -> &'static str {
        match self {
            Via::Http => "http",
            Via::Mcp => "mcp",
        }
    }
}

/// Run one action for `caller` on the account `log.account`: validate the input, call Okta,
/// write the audit line of a mutating action. Both `POST /accounts/{name}/actions/{action}`
/// and the MCP tools call this, so an action behaves the same on both.
pub async fn perform(
    state: &AppState,
    action: &'static Action,
    caller: &Caller,
    body: Value,
    log: &mut ActionLog,
    via: Via,
) -> Result<Output, ApiError> {
    let name = log.account.as_str();
    let (_, schema) = state
        .catalog
        .get(action.name)
        .ok_or_else(|| ApiError::internal("an action route without a catalog entry"))?;
    let input = schema.check(body).map_err(ApiError::invalid_fields)?;
    let targets = targets(schema, &input);
    let ready = action.handler.prepare(input)?;
    let connection = state.accounts.connection(name).await?;
    let session = state.okta.session(connection);
    let context = ActionContext::new(session, action, state.cursors.clone());
    let outcome = ready(&context).await;
    log.okta_request_ids = context.session.request_ids();

    if let Err(error) = &outcome
        && error.status == ErrorStatus::AuthenticationFailure
        && error.details.okta.is_some()
    {
        state.accounts.record_rejection(name, error).await;
    }
    if action.mutating {
        let result = match &outcome {
            Ok(_) => "success",
            Err(error) => error.status.as_str(),
        };
        tracing::info!(
            target: "okta_gateway::audit",
            key = %caller.key_hash,
            account = %name,
            action = action.name,
            targets = %targets,
            okta_request_ids = %log.okta_request_ids.join(","),
            outcome = result,
            via = via.as_str(),
            "action"
        );
    }
    outcome
}

/// An action's HTTP answer: the body, its next-page header and its cache policy.
fn respond(action: &Action, output: Output) -> Response {
    let (body, next_cursor) = output.into_parts();
    let mut response = (
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        body,
    )
        .into_response();
    // A list's next page, in both response forms; absent on the last page.
    if let Some(cursor) = next_cursor.and_then(|c| HeaderValue::from_str(&c).ok()) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(NEXT_CURSOR_HEADER), cursor);
    }
    if action.carries_credentials {
        response
            .headers_mut()
            .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// The ids and logins an action targets (its fields marked as audit targets), for the audit
/// line; create_user's target has no id yet: its login names it.
fn targets(schema: &InputSchema, input: &Map<String, Value>) -> String {
    schema
        .fields()
        .iter()
        .filter(|field| field.audit_target)
        .filter_map(|field| {
            let value = input.get(&field.name)?.as_str()?;
            Some(format!("{}={value}", field.name))
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Unknown paths: an unknown action under an account's actions is UNKNOWN_ACTION (for a
/// caller with a valid key), everything else ROUTE_NOT_FOUND.
pub async fn unknown_route(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> ApiError {
    let segments: Vec<&str> = uri.path().trim_start_matches('/').split('/').collect();
    if let ["accounts", _, "actions", _] = segments.as_slice() {
        let header = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok());
        if let Err(error) = state.keys.authenticate(header) {
            return error;
        }
        if method != Method::POST {
            return ApiError::new(ErrorStatus::MethodNotAllowed);
        }
        return ApiError::new(ErrorStatus::UnknownAction).with_details(ErrorDetails {
            valid_actions: Some(state.catalog.names()),
            ..ErrorDetails::default()
        });
    }
    ApiError::new(ErrorStatus::RouteNotFound)
}

/// The catalog as JSON bytes, for [`AppState`].
pub fn catalog_bytes(catalog: &crate::actions::Catalog) -> Bytes {
    Bytes::from(serde_json::to_vec(&catalog.describe()).unwrap_or_default())
}
