//! Liveness and readiness probes; no authentication.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde_json::{Value, json};

use crate::error::{ApiError, ErrorStatus};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
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
