//! Liveness and readiness probes; no authentication.

use std::collections::HashSet;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::Method;
use serde_json::{Value, json};

use super::RouteSpec;
use crate::auth::Scope;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::StoreError;

pub fn routes() -> Vec<RouteSpec> {
    vec![
        RouteSpec::new(Method::GET, "/healthz", None, healthz),
        RouteSpec::new(Method::GET, "/readyz", None, readyz),
        RouteSpec::new(Method::GET, "/openapi.yaml", None, openapi),
        RouteSpec::new(Method::GET, "/metrics", Some(Scope::Admin), metrics),
    ]
}

/// Prometheus metrics (admin scope: they name accounts and routes), for stored accounts only.
/// While the database is down every series is shown: metrics matter most then.
async fn metrics(
    State(state): State<AppState>,
) -> ([(axum::http::HeaderName, &'static str); 1], String) {
    let accounts = state.store.list().await.ok().map(|accounts| {
        accounts
            .into_iter()
            .map(|account| account.name)
            .collect::<HashSet<_>>()
    });
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        crate::metrics::render(accounts.as_ref()),
    )
}

/// The public contract; it holds no secrets.
async fn openapi() -> ([(axum::http::HeaderName, &'static str); 1], &'static str) {
    (
        [(axum::http::header::CONTENT_TYPE, "application/yaml")],
        include_str!("../../openapi.yaml"),
    )
}

/// The process is alive.
async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// How long `/readyz` waits for the database: the probe runs outside the request timeout.
const READY_TIMEOUT: Duration = Duration::from_secs(3);

/// The process can serve: its database answers (and, for SQLite, is still the file at its
/// path).
async fn readyz(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    match tokio::time::timeout(READY_TIMEOUT, state.store.ping()).await {
        Ok(Ok(())) => Ok(Json(json!({"status": "ready"}))),
        Ok(Err(err)) => Err(err.into()),
        Err(_) => Err(StoreError::Stalled.into()),
    }
}
