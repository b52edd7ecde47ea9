//! Request body extraction with the gateway's own rejections: 415 for a non-JSON content
//! type, 413 over the body limit, 400 for malformed JSON; all in the JSON error envelope.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use serde_json::Value;

use crate::error::{ApiError, ErrorStatus};

/// Request bodies above this are refused with 413 PAYLOAD_TOO_LARGE.
pub const BODY_LIMIT: usize = 64 * 1024;

/// A JSON request body, parsed but not yet validated (validation lists every bad field, which
/// typed deserialisation cannot).
pub struct JsonBody(pub Value);

fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if !is_json(content_type) {
            return Err(ApiError::new(ErrorStatus::UnsupportedMediaType));
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(ErrorStatus::PayloadTooLarge)
                } else {
                    ApiError::invalid_field("body", "could not be read")
                        .with_internal(rejection.body_text())
                }
            })?;
        let value: Value = serde_json::from_slice(&bytes).map_err(|err| {
            ApiError::invalid_field(
                "body",
                &format!(
                    "is not valid JSON (line {}, column {})",
                    err.line(),
                    err.column()
                ),
            )
        })?;
        Ok(JsonBody(value))
    }
}

#[cfg(test)]
mod tests {
    use super::is_json;

    #[test]
    fn json_content_types_are_recognised() {
        assert!(is_json("application/json"));
        assert!(is_json("Application/JSON; charset=utf-8"));
        assert!(is_json("application/merge-patch+json"));
        assert!(!is_json("text/plain"));
        assert!(!is_json(""));
        assert!(!is_json("application/x-www-form-urlencoded"));
    }
}
