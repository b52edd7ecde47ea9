//! `POST /accounts/{name}/actions/{action}` (one literal route per action), the catalog at
//! `GET /actions`, the actions one account can run at `GET /accounts/{name}/actions`, and
//! `POST /accounts/{name}/test`.

use axum::Extension;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::RouteSpec;
use super::edge::{ActionLog, RequestId};
use super::extract::JsonBody;
use crate::accounts::AccountOut;
use crate::actions::{
    ACTIONS, Action, ActionContext, NEXT_CURSOR_HEADER, Output, ResolvedUser, check_scopes,
};
use crate::audit;
use crate::auth::{Caller, Scope};
use crate::error::{ApiError, ErrorDetails, ErrorStatus};
use crate::idempotency::{self, Answer, Keyed, KeyedRequest};
use crate::state::AppState;

pub fn routes() -> Vec<RouteSpec> {
    let mut routes = vec![
        RouteSpec::new(Method::GET, "/actions", Some(Scope::Action), catalog),
        RouteSpec::new(
            Method::GET,
            "/accounts/{name}/actions",
            Some(Scope::Action),
            account_actions,
        ),
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
                  request_id: Extension<RequestId>,
                  headers: HeaderMap,
                  body: JsonBody| {
                run(state, action, name, caller, request_id, headers, body)
            },
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

/// The actions this account can run, each with its Okta scopes, and those it cannot with the
/// scopes it lacks.
async fn account_actions(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let account = state.accounts.get(&name).await?;
    // API-token accounts act with their admin's rights, so no scope limits them; an OAuth
    // account passes the scopes its service app was granted.
    Ok(Json(
        state
            .catalog
            .runnable(&account.name, account.scopes.as_deref()),
    ))
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
    Extension(RequestId(request_id)): Extension<RequestId>,
    headers: HeaderMap,
    JsonBody(body): JsonBody,
) -> Response {
    let mut log = ActionLog {
        account: name.clone(),
        action: action.name,
        okta_request_ids: Vec::new(),
    };
    // Read actions change nothing: a repeat is as safe as the first, so their keys are unused.
    let key = match action.mutating {
        true => idempotency::key_from_headers(&headers),
        false => Ok(None),
    };
    let keyed = match key {
        Err(error) => Keyed::fresh(Err(error)),
        Ok(key) => {
            perform_keyed(
                &state,
                action,
                &caller,
                &request_id,
                body,
                &mut log,
                Via::Http,
                key,
            )
            .await
        }
    };
    let mut response = keyed.result.into_response();
    if keyed.replayed {
        response.headers_mut().insert(
            HeaderName::from_static(idempotency::REPLAYED_HEADER),
            HeaderValue::from_static("true"),
        );
    }
    response.extensions_mut().insert(log);
    response
}

/// [`perform`] under an idempotency key when the caller sent one: the first request with the
/// key runs, a repeat gets the stored answer (and its own audit row, marked as a replay). Both
/// `POST /accounts/{name}/actions/{action}` and the MCP tools call this, so a key works the
/// same on both, and a key sent on one surface replays on the other.
#[expect(
    clippy::too_many_arguments,
    reason = "perform's arguments, and the key"
)]
pub async fn perform_keyed(
    state: &AppState,
    action: &'static Action,
    caller: &Caller,
    request_id: &str,
    body: Value,
    log: &mut ActionLog,
    via: Via,
    key: Option<String>,
) -> Keyed {
    let Some(key) = key else {
        let outcome = perform(state, action, caller, request_id, body, log, via).await;
        return Keyed::fresh(outcome.map(|output| answer(action, output)));
    };
    let account = log.account.clone();
    let keyed = KeyedRequest {
        caller: &caller.key_hash.0,
        key,
        account: &account,
        action,
        body: &body,
        request_id,
    };
    let first = perform(state, action, caller, request_id, body.clone(), log, via);
    let keyed = state
        .idempotency
        .run(keyed, async {
            first.await.map(|output| answer(action, output))
        })
        .await;
    if keyed.replayed {
        audit_replay(state, caller, request_id, log, body, &keyed, via).await;
    }
    keyed
}

/// The audit row of a replayed answer: the outcome as stored, the targets as given (nothing
/// was looked up), no Okta request id, marked as a replay.
pub async fn audit_replay(
    state: &AppState,
    caller: &Caller,
    request_id: &str,
    log: &ActionLog,
    body: Value,
    keyed: &Keyed,
    via: Via,
) {
    // The stored answer may be the refusal of an input that never validated: no targets then.
    let audited = state
        .catalog
        .get(log.action)
        .and_then(|(_, schema)| Some(audit::ActionInput::read(schema, &schema.check(body).ok()?)));
    let created = match &keyed.result {
        Ok(answer) => audit::created_user(&String::from_utf8_lossy(&answer.body)),
        Err(_) => None,
    };
    let event = audit::Event {
        key_id: &caller.key_hash.0,
        account: &log.account,
        action: log.action,
        targets: audited
            .as_ref()
            .map(|a| a.targets(created.as_slice()))
            .unwrap_or_default(),
        dry_run: audited.as_ref().is_some_and(|a| a.dry_run),
        outcome: audit::outcome(&keyed.result),
        okta_request_ids: &[],
        request_id,
        replayed: true,
    };
    let line = audited
        .as_ref()
        .map(audit::ActionInput::line)
        .unwrap_or_default();
    audit::record_action(state.store.as_ref(), event, &line, via.as_str()).await;
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
/// write the audit line and row of a mutating action. Both `POST
/// /accounts/{name}/actions/{action}` and the MCP tools call this, so an action behaves the
/// same on both.
pub async fn perform(
    state: &AppState,
    action: &'static Action,
    caller: &Caller,
    request_id: &str,
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
    let audited = audit::ActionInput::read(schema, &input);
    let ready = action.handler.prepare(input)?;
    let connection = state.accounts.connection(name).await?;
    let record =
        async |outcome: &Result<Output, ApiError>, resolved: &[ResolvedUser], ids: &[String]| {
            let event = audit::Event {
                key_id: &caller.key_hash.0,
                account: name,
                action: action.name,
                targets: audited.targets(resolved),
                dry_run: audited.dry_run,
                outcome: audit::outcome(outcome),
                okta_request_ids: ids,
                request_id,
                replayed: false,
            };
            audit::record_action(state.store.as_ref(), event, &audited.line(), via.as_str()).await;
        };
    // API-token accounts act with their admin's rights, so no scope limits them; an OAuth
    // account passes the scopes its service app was granted. A change refused for its
    // scopes is recorded too: security wants to see what a flow tried beyond its grant.
    if let Err(refused) = check_scopes(action, connection.granted_scopes()) {
        let outcome = Err(refused);
        if action.mutating {
            record(&outcome, &[], &[]).await;
        }
        return outcome;
    }
    let service_app = connection.oauth().is_some();
    let session = state.okta.session(connection);
    let context = ActionContext::new(session, action, state.cursors.clone());
    let outcome = ready(&context).await;
    log.okta_request_ids = context.session.request_ids();

    if let Err(error) = &outcome
        && error.status == ErrorStatus::AuthenticationFailure
        // Okta's own refusal of the token, or its authorization server's of the service app.
        && (error.details.okta.is_some() || service_app)
    {
        state.accounts.record_rejection(name, error).await;
    }
    if action.mutating {
        record(
            &outcome,
            &resolved(&context, &outcome),
            &log.okta_request_ids,
        )
        .await;
    }
    outcome
}

/// An action's answer: the body, its next-page header and its cache policy.
fn answer(action: &Action, output: Output) -> Answer {
    let (body, next_cursor) = output.into_parts();
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    // A list's next page, in both response forms; absent on the last page.
    if let Some(cursor) = next_cursor.and_then(|c| HeaderValue::from_str(&c).ok()) {
        headers.insert(HeaderName::from_static(NEXT_CURSOR_HEADER), cursor);
    }
    if action.carries_credentials {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Answer {
        status: StatusCode::OK,
        headers,
        body: Bytes::from(body),
    }
}

/// The users the action looked up, and the user it created (Okta's answer names its id).
fn resolved(context: &ActionContext, outcome: &Result<Output, ApiError>) -> Vec<ResolvedUser> {
    let mut users = context.resolved_users();
    if let Ok(output) = outcome {
        users.extend(audit::created_user(&output.text()));
    }
    users
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
