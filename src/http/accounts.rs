//! `/accounts`: connecting, listing, updating and removing Okta accounts (admin scope).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};

use super::RouteSpec;
use super::extract::JsonBody;
use crate::accounts::AccountOut;
use crate::auth::Scope;
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

async fn create(
    State(state): State<AppState>,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<AccountOut>), ApiError> {
    let account = state.accounts.create(body).await?;
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
    JsonBody(body): JsonBody,
) -> Result<Json<AccountOut>, ApiError> {
    let account = state.accounts.update(&name, body).await?;
    tracing::info!(account = %account.name, domain = %account.domain, "account updated");
    Ok(Json(account))
}

async fn remove(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.accounts.delete(&name).await?;
    tracing::info!(account = %name, "account deleted");
    Ok(StatusCode::NO_CONTENT)
}
