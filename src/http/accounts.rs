//! `/accounts`: connecting, listing, updating and removing Okta accounts (admin scope). Each
//! change, refused or done, writes an audit row.

use axum::Extension;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};

use super::RouteSpec;
use super::edge::RequestId;
use super::extract::JsonBody;
use crate::accounts::AccountOut;
use crate::audit::{self, Target};
use crate::auth::{Caller, Scope};
use crate::error::ApiError;
use crate::state::AppState;

pub fn routes() -> Vec<RouteSpec> {
    let admin = Some(Scope::Admin);
    vec![
        RouteSpec::new(Method::GET, "/accounts", admin, list),
        RouteSpec::new(Method::POST, "/accounts", admin, create),
        RouteSpec::new(Method::GET, "/accounts/{name}", admin, show),
        RouteSpec::new(Method::PUT, "/accounts/{name}", admin, update),
        RouteSpec::new(Method::DELETE, "/accounts/{name}", admin, remove),
    ]
}

/// Record an account change: its row names the account (never the token).
async fn audit_change<T>(
    state: &AppState,
    caller: &Caller,
    request_id: &str,
    action: &str,
    account: &str,
    result: &Result<T, ApiError>,
) {
    let event = audit::Event {
        key_id: &caller.key_hash.0,
        account,
        action,
        targets: vec![Target::id("account", account)],
        dry_run: false,
        outcome: audit::outcome(result),
        okta_request_ids: &[],
        request_id,
        replayed: false,
    };
    audit::record_change(state.store.as_ref(), event).await;
}

async fn create(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<AccountOut>), ApiError> {
    // The name as asked for, so a refused connect is recorded too (only a string: a name that
    // is not one is refused before any account is touched).
    let name = body
        .get("name")
        .and_then(serde_json::Value::as_str)
        .unwrap_or("-")
        .chars()
        .take(64)
        .collect::<String>();
    let result = state.accounts.create(body).await;
    let account = result.as_ref().map_or(name.as_str(), |a| a.name.as_str());
    audit_change(
        &state,
        &caller,
        &request_id,
        "connect_account",
        account,
        &result,
    )
    .await;
    let account = result?;
    tracing::info!(account = %account.name, domain = %account.domain, "account connected");
    Ok((StatusCode::CREATED, Json(account)))
}

async fn list(State(state): State<AppState>) -> Result<Json<Vec<AccountOut>>, ApiError> {
    Ok(Json(state.accounts.list().await?))
}

async fn show(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<AccountOut>, ApiError> {
    Ok(Json(state.accounts.get(&name).await?))
}

async fn update(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Extension(caller): Extension<Caller>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    JsonBody(body): JsonBody,
) -> Result<Json<AccountOut>, ApiError> {
    let result = state.accounts.update(&name, body).await;
    audit_change(
        &state,
        &caller,
        &request_id,
        "update_account",
        &name,
        &result,
    )
    .await;
    let account = result?;
    tracing::info!(account = %account.name, domain = %account.domain, "account updated");
    Ok(Json(account))
}

async fn remove(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Extension(caller): Extension<Caller>,
    Extension(RequestId(request_id)): Extension<RequestId>,
) -> Result<StatusCode, ApiError> {
    let result = state.accounts.delete(&name).await;
    audit_change(
        &state,
        &caller,
        &request_id,
        "delete_account",
        &name,
        &result,
    )
    .await;
    result?;
    tracing::info!(account = %name, "account deleted");
    Ok(StatusCode::NO_CONTENT)
}
