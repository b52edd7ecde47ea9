//! Okta's error answers, as Okta sends them. How they become the gateway's public errors is
//! the actions' business (`crate::actions`), not this module's.

use serde::Deserialize;
use serde_json::Value;

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
    /// `errorCauses` as a list: Okta sometimes sends one object instead of an array.
    pub fn causes(&self) -> Vec<Value> {
        match &self.error_causes {
            Some(Value::Array(items)) => items.clone(),
            Some(Value::Null) | None => Vec::new(),
            Some(single) => vec![single.clone()],
        }
    }

    /// Okta's only way of saying "duplicate login" (or group name) is this cause text
    /// (NOTES.md §6).
    pub fn is_duplicate(&self, field: &str) -> bool {
        self.causes().iter().any(|cause| {
            cause
                .get("errorSummary")
                .and_then(Value::as_str)
                .and_then(|s| s.strip_prefix(field))
                .is_some_and(|s| s.starts_with(": An object with this field already exists"))
        })
    }

    /// Okta's type name of the resource a 404 summary names:
    /// `Not found: Resource not found: x (UserGroup)` gives `UserGroup`.
    pub fn resource_type(&self) -> Option<&str> {
        let summary = self.error_summary.as_deref()?;
        summary.trim_end().strip_suffix(')')?.rsplit('(').next()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OktaError {
    /// Okta answered with an error status and its JSON error body.
    #[error("Okta answered {status} {}", body.error_code.as_deref().unwrap_or("without an error code"))]
    Api {
        status: u16,
        body: OktaErrorBody,
        outcome_unknown: bool,
    },
    /// A 429 that could not be waited out within the retries and the deadline.
    #[error("Okta's rate limit: retry after {retry_after} s")]
    RateLimited {
        retry_after: u64,
        body: Option<OktaErrorBody>,
    },
    /// The gateway's own limit of calls in flight for this account.
    #[error("too many Okta calls in flight for this account")]
    InFlightLimit,
    /// The host answered, but not as Okta would (non-JSON body, unexpected status or shape).
    #[error("the host did not answer as Okta: {reason}")]
    NotOkta {
        reason: String,
        outcome_unknown: bool,
    },
    /// The connection failed or broke.
    #[error("could not reach Okta: {reason}")]
    Transport {
        reason: String,
        outcome_unknown: bool,
    },
    #[error("Okta did not answer in time")]
    Timeout { outcome_unknown: bool },
    /// Okta refused the service app (OAuth's `error` and `error_description`): its client,
    /// key or DPoP proof, or the scopes it asked for or lacks.
    #[error("Okta refused the service app: {error}")]
    OAuth {
        status: u16,
        refusal: OAuthRefusal,
        error: String,
        description: Option<String>,
        /// The scopes concerned, for a scope refusal.
        scopes: Vec<String>,
    },
    /// The gateway could not build the request (a bug, or input that validation should have
    /// refused).
    #[error("invalid Okta request: {0}")]
    Request(String),
}

/// What an OAuth refusal is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthRefusal {
    /// The client id, its key, the assertion or the DPoP proof.
    Client,
    /// Scopes not granted to the service app.
    Scope,
    /// Anything else Okta's authorization server answered.
    Other,
}

impl OktaError {
    /// Mark a failure after which the request may have taken effect.
    pub fn with_outcome_unknown(self) -> OktaError {
        match self {
            OktaError::Transport { reason, .. } => OktaError::Transport {
                reason,
                outcome_unknown: true,
            },
            OktaError::Timeout { .. } => OktaError::Timeout {
                outcome_unknown: true,
            },
            OktaError::NotOkta { reason, .. } => OktaError::NotOkta {
                reason,
                outcome_unknown: true,
            },
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn body(value: Value) -> OktaErrorBody {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn a_single_cause_object_reads_as_a_list_of_one() {
        let single = body(json!({"errorCauses": {"errorSummary": "x"}}));
        assert_eq!(single.causes().len(), 1);
        assert!(body(json!({"errorCauses": null})).causes().is_empty());
        assert!(body(json!({})).causes().is_empty());
    }

    #[test]
    fn the_resource_type_comes_from_the_end_of_a_404_summary() {
        let named = body(json!({"errorSummary": "Not found: Resource not found: x (UserGroup)"}));
        assert_eq!(named.resource_type(), Some("UserGroup"));
        assert_eq!(
            body(json!({"errorSummary": "Not found"})).resource_type(),
            None
        );
    }
}
