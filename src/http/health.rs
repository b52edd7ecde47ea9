//! Liveness and readiness probes; no authentication.

use axum::Json;
use axum::extract::State;
use axum::http::Method;
use serde_json::{Value, json};

use super::RouteSpec;
use crate::auth::Scope;
use crate::error::{ApiError, ErrorStatus};
use crate::state::AppState;

pub fn routes() -> Vec<RouteSpec> {
    vec![
        RouteSpec::new(Method::GET, "/healthz", None, healthz),
        RouteSpec::new(Method::GET, "/readyz", None, readyz),
        RouteSpec::new(Method::GET, "/openapi.yaml", None, openapi),
        RouteSpec::new(Method::GET, "/metrics", Some(Scope::Admin), metrics),
    ]
}

/// Prometheus metrics (admin scope: they name accounts and routes).
async fn metrics() -> ([(axum::http::HeaderName, &'static str); 1], String) {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        crate::metrics::render(),
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

/// The process can serve: its database answers.
async fn readyz(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    state.store.ping().await.map_err(|err| {
        ApiError::new(ErrorStatus::ServiceUnavailable)
            .with_message("The gateway's database is unavailable.")
            .with_internal(err)
    })?;
    Ok(Json(json!({"status": "ready"})))
}
