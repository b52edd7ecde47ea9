//! The edge of every request: request id, the error envelope, and one log line per request.
//!
//! Errors travel as an [`ApiError`] response extension; this is where they become the JSON
//! envelope, because this is where the request id is known. Any error response that was not
//! made by the gateway (a framework rejection, a panic) is wrapped in the same envelope.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use metrics::SharedString;
use tracing::Instrument;

use crate::auth::KeyHash;
use crate::error::{ApiError, ErrorStatus};

pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The request id, available to handlers as a request extension.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// The matched route template, carried on the response for the log line and metrics.
#[derive(Debug, Clone)]
pub struct Route(pub Arc<str>);

/// What an action did, carried on the response for the log line and metrics.
#[derive(Debug, Clone)]
pub struct ActionLog {
    pub account: String,
    pub action: &'static str,
    pub okta_request_ids: Vec<String>,
}

/// Accept a caller's request id only if it is short and printable; otherwise make one.
fn request_id(request: &Request) -> String {
    request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|id| !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_owned)
        // 128 random bits from the thread-local generator: unique, and no system call.
        .unwrap_or_else(|| format!("{:032x}", rand::random::<u128>()))
}

pub async fn edge(mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = request_id(&request);
    request.extensions_mut().insert(RequestId(id.clone()));
    let method = request.method().clone();
    let span = tracing::info_span!("request", request_id = %id);
    let mut response = next.run(request).instrument(span.clone()).await;

    let error = response
        .extensions_mut()
        .remove::<Arc<ApiError>>()
        .or_else(|| foreign_error(&response).map(Arc::new));
    if let Some(error) = &error {
        render(&mut response, error, &id);
    }
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID.clone(), value);
    }

    let tagged = response.extensions().get::<Route>().map(|r| r.0.clone());
    let route = tagged.as_deref().unwrap_or("-");
    let route_label = tagged
        .clone()
        .map_or(SharedString::const_str("-"), SharedString::from);
    let key = response
        .extensions()
        .get::<KeyHash>()
        .map_or("-", |k| k.0.as_str());
    let action = response.extensions().get::<ActionLog>();
    let (account, action_name, okta_request_id) = match action {
        Some(log) => (
            log.account.as_str(),
            log.action,
            log.okta_request_ids.join(","),
        ),
        None => ("-", "-", String::new()),
    };
    let status = response.status().as_u16();
    let elapsed = started.elapsed();
    let labels = [
        ("route", route_label.clone()),
        ("action", SharedString::const_str(action_name)),
    ];
    metrics::counter!(
        "gateway_http_requests_total",
        &[
            ("method", crate::metrics::method_label(&method)),
            ("route", route_label),
            ("action", SharedString::const_str(action_name)),
            ("status", crate::metrics::status_label(status)),
        ]
    )
    .increment(1);
    metrics::histogram!("gateway_http_request_duration_seconds", &labels)
        .record(elapsed.as_secs_f64());
    let latency_ms = elapsed.as_secs_f64() * 1000.0;
    span.in_scope(|| {
        if let Some(cause) = error.as_ref().and_then(|e| e.internal_cause()) {
            if status >= 500 {
                tracing::error!(%method, route, status, cause, "request failed");
            } else {
                tracing::warn!(%method, route, status, cause, "request refused");
            }
        }
        tracing::info!(
            %method,
            route,
            status,
            latency_ms,
            key,
            account,
            action = action_name,
            okta_request_id,
            "request"
        );
    });
    response
}

fn render(response: &mut Response, error: &ApiError, request_id: &str) {
    let body = serde_json::to_vec(&error.body(request_id)).unwrap_or_default();
    *response.status_mut() = error.http_status();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.remove(CONTENT_LENGTH);
    *response.body_mut() = Body::from(body);
}

/// An error response that did not come from [`ApiError`]: wrap it so no caller ever sees a
/// plain-text error.
fn foreign_error(response: &Response) -> Option<ApiError> {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return None;
    }
    let status = match status {
        StatusCode::NOT_FOUND => ErrorStatus::RouteNotFound,
        StatusCode::METHOD_NOT_ALLOWED => ErrorStatus::MethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => ErrorStatus::PayloadTooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorStatus::UnsupportedMediaType,
        StatusCode::UNAUTHORIZED => ErrorStatus::Unauthenticated,
        StatusCode::SERVICE_UNAVAILABLE | StatusCode::REQUEST_TIMEOUT => {
            ErrorStatus::ServiceUnavailable
        }
        s if s.is_client_error() => ErrorStatus::InvalidFieldValue,
        _ => ErrorStatus::InternalError,
    };
    Some(ApiError::new(status).with_internal("framework error response"))
}

/// Per-route middleware: tag the response with its route template (shared, not copied).
pub async fn tag_route(State(route): State<Arc<str>>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    response.extensions_mut().insert(Route(route));
    response
}
