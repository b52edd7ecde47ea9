//! Okta's error answers and their one mapping onto the gateway's public error table.

use serde::Deserialize;
use serde_json::Value;

use crate::error::{ApiError, ErrorDetails, ErrorStatus, OktaErrorDetails};

/// Okta's error body. Every member is optional: some endpoints leave some out (NOTES.md §6).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OktaErrorBody {
    pub error_code: Option<String>,
    pub error_summary: Option<String>,
    pub error_id: Option<String>,
    #[serde(default)]
    pub error_causes: Option<Value>,
}

impl OktaErrorBody {
    fn causes(&self) -> Vec<Value> {
        match &self.error_causes {
            Some(Value::Array(items)) => items.clone(),
            Some(Value::Null) | None => Vec::new(),
            Some(single) => vec![single.clone()],
        }
    }

    pub fn details(&self) -> OktaErrorDetails {
        OktaErrorDetails {
            error_code: self.error_code.clone(),
            error_summary: self.error_summary.clone(),
            error_id: self.error_id.clone(),
            error_causes: self.causes(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OktaError {
    /// Okta answered with an error status and (possibly) its JSON error body.
    #[error("Okta answered {status} {}", body.error_code.as_deref().unwrap_or("without an error code"))]
    Api {
        status: u16,
        body: OktaErrorBody,
        retry_after: Option<u64>,
    },
    /// The host answered, but not as Okta would (non-JSON body, unexpected status or shape).
    #[error("the host did not answer as Okta: {0}")]
    NotOkta(String),
    /// The connection failed or broke.
    #[error("could not reach Okta: {0}")]
    Transport(String),
    #[error("Okta did not answer in time")]
    Timeout,
}

/// Map an Okta failure to the public error: by errorCode first, then by HTTP class.
pub fn to_api_error(err: OktaError) -> ApiError {
    match err {
        OktaError::Api {
            status,
            body,
            retry_after,
        } => {
            let public = match body.error_code.as_deref() {
                Some("E0000004" | "E0000005" | "E0000011") => ErrorStatus::AuthenticationFailure,
                Some("E0000006" | "E0000075") => ErrorStatus::ResourceAccessDenied,
                Some("E0000007" | "E0000008") => ErrorStatus::ResourceNotFound,
                Some("E0000047" | "E0000109") => ErrorStatus::ApiLimitReached,
                Some(
                    "E0000001" | "E0000003" | "E0000014" | "E0000028" | "E0000031" | "E0000033"
                    | "E0000053" | "E0000068" | "E0000098",
                ) => ErrorStatus::InvalidFieldValue,
                Some(
                    "E0000016" | "E0000017" | "E0000032" | "E0000035" | "E0000038" | "E0000112",
                ) => ErrorStatus::InvalidState,
                _ => match status {
                    401 => ErrorStatus::AuthenticationFailure,
                    403 => ErrorStatus::ResourceAccessDenied,
                    404 => ErrorStatus::ResourceNotFound,
                    429 => ErrorStatus::ApiLimitReached,
                    400..=499 => ErrorStatus::InvalidFieldValue,
                    _ => ErrorStatus::UpstreamUnavailable,
                },
            };
            let mut error = ApiError::new(public);
            if let Some(summary) = &body.error_summary {
                error = error.with_message(format!("Okta: {summary}"));
            }
            error.with_details(ErrorDetails {
                retry_after: retry_after.filter(|_| public == ErrorStatus::ApiLimitReached),
                okta: Some(body.details()),
                ..ErrorDetails::default()
            })
        }
        OktaError::NotOkta(reason) => {
            ApiError::new(ErrorStatus::UpstreamUnavailable).with_internal(reason)
        }
        OktaError::Transport(reason) => ApiError::new(ErrorStatus::UpstreamUnavailable)
            .with_message("Okta could not be reached.")
            .with_internal(reason),
        OktaError::Timeout => ApiError::new(ErrorStatus::UpstreamTimeout),
    }
}
