//! The one public error type, the public error table, and the only conversion of errors into
//! HTTP responses.
//!
//! Handlers and layers return [`ApiError`]; its `IntoResponse` only attaches the error to the
//! response, and the edge middleware ([`crate::http::edge`]) renders the envelope, because only
//! the edge knows the request id that every error body carries.
//!
//! Okta's errors are mapped onto this table next to the actions (`actions::okta_errors`),
//! which know each call's context; the Okta client itself knows nothing of this table.

use std::sync::Arc;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::crypto::CryptoError;
use crate::store::StoreError;

/// Declares the error statuses and `ErrorStatus::ALL` from one list, so no status can be
/// missing from the table's iteration.
macro_rules! error_statuses {
    ($($status:ident),* $(,)?) => {
        /// Every error status the gateway can answer with: the seed's table plus the
        /// gateway's own (codes 91xx).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorStatus {
            $($status),*
        }

        impl ErrorStatus {
            /// Every status, in the table's order.
            pub const ALL: &[ErrorStatus] = &[$(ErrorStatus::$status),*];
        }
    };
}

error_statuses![
    InvalidFieldValue,
    AuthenticationFailure,
    ResourceNotFound,
    DuplicateUser,
    ResourceAccessDenied,
    ApiLimitReached,
    DuplicateAccount,
    AccountLimitReached,
    Unauthenticated,
    ForbiddenScope,
    UnknownAction,
    PayloadTooLarge,
    ServiceUnavailable,
    UpstreamUnavailable,
    UpstreamTimeout,
    InvalidState,
    RouteNotFound,
    MethodNotAllowed,
    UnsupportedMediaType,
    Conflict,
    ProfileMasteredElsewhere,
    InternalError,
    IdempotencyKeyReused,
    IdempotencyInProgress,
];

/// The public error table: status string, numeric code, HTTP status, default message and
/// how-to-fix text.
struct TableRow {
    name: &'static str,
    code: u16,
    http: StatusCode,
    message: &'static str,
    how_to_fix: &'static str,
}

impl ErrorStatus {
    fn row(self) -> TableRow {
        use ErrorStatus::*;
        let (name, code, http, message, how_to_fix) = match self {
            InvalidFieldValue => (
                "INVALID_FIELD_VALUE",
                8001,
                StatusCode::BAD_REQUEST,
                "One or more parameters are missing, the wrong type, or incorrectly formatted.",
                "Check that all required fields are present and values are valid.",
            ),
            AuthenticationFailure => (
                "AUTHENTICATION_FAILURE",
                8002,
                StatusCode::UNAUTHORIZED,
                "The API token is invalid, expired, or missing.",
                "Regenerate the API token in Okta under Security > API > Tokens and update it in the connected account (PUT /accounts/{name}).",
            ),
            ResourceNotFound => (
                "RESOURCE_NOT_FOUND",
                8003,
                StatusCode::NOT_FOUND,
                "The specified resource does not exist.",
                "Verify that the ID or login value is correct and the resource exists in Okta.",
            ),
            DuplicateUser => (
                "DUPLICATE_USER",
                8003,
                StatusCode::CONFLICT,
                "A user already exists with the provided login.",
                "Check for an existing account with the same login before creating a new one.",
            ),
            ResourceAccessDenied => (
                "RESOURCE_ACCESS_DENIED",
                9001,
                StatusCode::FORBIDDEN,
                "The API token does not have permission to perform this action.",
                "Check the token's admin scope in the Okta Admin Console under Security > API.",
            ),
            ApiLimitReached => (
                "API_LIMIT_REACHED",
                9002,
                StatusCode::TOO_MANY_REQUESTS,
                "The Okta API rate limit has been reached.",
                "Reduce the frequency of requests or implement retry logic with backoff in your agent flow.",
            ),
            DuplicateAccount => (
                "DUPLICATE_ACCOUNT",
                9101,
                StatusCode::CONFLICT,
                "An account with this name is already connected.",
                "Choose another account name, or update the existing account with PUT /accounts/{name}.",
            ),
            AccountLimitReached => (
                "ACCOUNT_LIMIT_REACHED",
                9102,
                StatusCode::CONFLICT,
                "The maximum of 15 connected accounts has been reached.",
                "Delete an account you no longer use before connecting another one.",
            ),
            Unauthenticated => (
                "UNAUTHENTICATED",
                9103,
                StatusCode::UNAUTHORIZED,
                "A valid gateway key is required.",
                "Send the header 'Authorization: Bearer <key>' with a key configured in GATEWAY_ADMIN_KEYS or GATEWAY_API_KEYS.",
            ),
            ForbiddenScope => (
                "FORBIDDEN_SCOPE",
                9104,
                StatusCode::FORBIDDEN,
                "This key is not allowed to use this endpoint.",
                "Account management and metrics need an admin key (GATEWAY_ADMIN_KEYS); actions accept action or admin keys.",
            ),
            UnknownAction => (
                "UNKNOWN_ACTION",
                9105,
                StatusCode::NOT_FOUND,
                "There is no action with this name.",
                "Use one of the actions listed in details.validActions (GET /actions describes them).",
            ),
            PayloadTooLarge => (
                "PAYLOAD_TOO_LARGE",
                9106,
                StatusCode::PAYLOAD_TOO_LARGE,
                "The request body is larger than 64 KiB.",
                "Send a smaller JSON body.",
            ),
            ServiceUnavailable => (
                "SERVICE_UNAVAILABLE",
                9107,
                StatusCode::SERVICE_UNAVAILABLE,
                "The gateway cannot serve this request right now.",
                "Retry after a short wait; if it persists, check the gateway's database and load.",
            ),
            UpstreamUnavailable => (
                "UPSTREAM_UNAVAILABLE",
                9108,
                StatusCode::BAD_GATEWAY,
                "Okta did not answer as expected.",
                "Check the account's domain and Okta's status page, then retry.",
            ),
            UpstreamTimeout => (
                "UPSTREAM_TIMEOUT",
                9109,
                StatusCode::GATEWAY_TIMEOUT,
                "Okta did not answer in time.",
                "Retry later; if the action changes data, check its outcome in Okta before repeating it.",
            ),
            InvalidState => (
                "INVALID_STATE",
                9110,
                StatusCode::CONFLICT,
                "The operation is not allowed in the resource's current state.",
                "Check details.userStatus and use an action that is valid for that status.",
            ),
            RouteNotFound => (
                "ROUTE_NOT_FOUND",
                9111,
                StatusCode::NOT_FOUND,
                "There is no endpoint at this path.",
                "Check the path against openapi.yaml.",
            ),
            MethodNotAllowed => (
                "METHOD_NOT_ALLOWED",
                9112,
                StatusCode::METHOD_NOT_ALLOWED,
                "This endpoint does not support this HTTP method.",
                "Check the method against openapi.yaml.",
            ),
            UnsupportedMediaType => (
                "UNSUPPORTED_MEDIA_TYPE",
                9113,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "The request body must be JSON.",
                "Send the header 'Content-Type: application/json' with a JSON body.",
            ),
            Conflict => (
                "CONFLICT",
                9114,
                StatusCode::CONFLICT,
                "What the request would create already exists.",
                "See details.conflict: use the existing object, or choose another name.",
            ),
            ProfileMasteredElsewhere => (
                "PROFILE_MASTERED_ELSEWHERE",
                9115,
                StatusCode::FORBIDDEN,
                "The user's profile is mastered by another system (such as Active Directory or an HR source), so Okta refuses this change.",
                "Make the change in the source system that masters the user; Okta picks it up at the next import.",
            ),
            InternalError => (
                "INTERNAL_ERROR",
                9199,
                StatusCode::INTERNAL_SERVER_ERROR,
                "The gateway failed unexpectedly.",
                "Retry later and report the requestId to the operator if it persists.",
            ),
            IdempotencyKeyReused => (
                "IDEMPOTENCY_KEY_REUSED",
                9116,
                StatusCode::UNPROCESSABLE_ENTITY,
                "This Idempotency-Key was already used for a different request.",
                "Use a new Idempotency-Key for each distinct request; repeat a request only with its exact account, action and body.",
            ),
            IdempotencyInProgress => (
                "IDEMPOTENCY_IN_PROGRESS",
                9117,
                StatusCode::CONFLICT,
                "A request with this Idempotency-Key is still running.",
                "Wait for the seconds in Retry-After, then repeat the request with the same key to get its answer.",
            ),
        };
        TableRow {
            name,
            code,
            http,
            message,
            how_to_fix,
        }
    }

    /// The status string callers branch on, e.g. `INVALID_FIELD_VALUE`.
    pub fn as_str(self) -> &'static str {
        self.row().name
    }

    /// The numeric code; RESOURCE_NOT_FOUND uses 8002 for users (see [`ApiError::not_found`]).
    pub fn default_code(self) -> u16 {
        self.row().code
    }

    pub fn http_status(self) -> StatusCode {
        self.row().http
    }

    pub fn default_message(self) -> &'static str {
        self.row().message
    }

    pub fn how_to_fix(self) -> &'static str {
        self.row().how_to_fix
    }
}

/// One bad input field and what is wrong with it. Problems never quote the value, which may
/// be a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldProblem {
    pub field: String,
    pub problem: String,
}

impl FieldProblem {
    pub fn new(field: impl Into<String>, problem: impl Into<String>) -> Self {
        FieldProblem {
            field: field.into(),
            problem: problem.into(),
        }
    }
}

/// Okta's own error fields, passed through so a flow can see what Okta said.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OktaErrorDetails {
    pub error_code: Option<String>,
    pub error_summary: Option<String>,
    pub error_id: Option<String>,
    pub error_causes: Vec<Value>,
}

/// One of the users an ambiguous lookup found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserMatch {
    pub id: String,
    pub login: String,
}

/// The `details` object of an error body; absent members are left out. Read back when an
/// idempotent error answer is replayed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ErrorDetails {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<FieldProblem>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_actions: Option<Vec<String>>,
    /// What already exists, for CONFLICT.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conflict: Option<String>,
    /// For CONFLICT from a lookup that must find one user: the users it found (at most 10).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matches: Option<Vec<UserMatch>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome_unknown: Option<bool>,
    /// For RESOURCE_ACCESS_DENIED before any Okta call: the Okta scopes the action needs that
    /// the account's service app was not granted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing_scopes: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub okta: Option<OktaErrorDetails>,
}

impl ErrorDetails {
    fn is_empty(&self) -> bool {
        *self == ErrorDetails::default()
    }
}

/// The gateway's public error: a status from the table, a message and details. An optional
/// internal cause is logged (with the request id) for 5xx errors and never sent to the caller.
#[derive(Debug)]
pub struct ApiError {
    pub status: ErrorStatus,
    pub code: u16,
    pub message: String,
    /// Boxed: errors travel in `Result`s everywhere and should stay small.
    pub details: Box<ErrorDetails>,
    /// Replaces the table's how-to-fix text where the situation needs its own advice.
    how_to_fix: Option<String>,
    internal: Option<String>,
}

impl ApiError {
    pub fn new(status: ErrorStatus) -> Self {
        ApiError {
            status,
            code: status.default_code(),
            message: status.default_message().to_owned(),
            details: Box::default(),
            how_to_fix: None,
            internal: None,
        }
    }

    pub fn with_how_to_fix(mut self, how_to_fix: impl Into<String>) -> Self {
        self.how_to_fix = Some(how_to_fix.into());
        self
    }

    pub fn how_to_fix(&self) -> &str {
        self.how_to_fix
            .as_deref()
            .unwrap_or_else(|| self.status.how_to_fix())
    }

    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self
    }

    pub fn with_details(mut self, details: ErrorDetails) -> Self {
        self.details = Box::new(details);
        self
    }

    /// Attach a cause for the server log only.
    pub fn with_internal(mut self, cause: impl std::fmt::Display) -> Self {
        self.internal = Some(cause.to_string());
        self
    }

    pub fn internal_cause(&self) -> Option<&str> {
        self.internal.as_deref()
    }

    /// 400 INVALID_FIELD_VALUE listing every bad field.
    pub fn invalid_fields(fields: Vec<FieldProblem>) -> Self {
        let message = match fields.as_slice() {
            [one] => format!("Invalid value for '{}': {}.", one.field, one.problem),
            _ => format!("{} parameters are invalid.", fields.len()),
        };
        ApiError::new(ErrorStatus::InvalidFieldValue)
            .with_message(message)
            .with_details(ErrorDetails {
                fields: Some(fields),
                ..ErrorDetails::default()
            })
    }

    pub fn invalid_field(field: &str, problem: &str) -> Self {
        ApiError::invalid_fields(vec![FieldProblem::new(field, problem)])
    }

    /// 404 RESOURCE_NOT_FOUND; code 8002 for a user (the seed's range 8002–8003), 8003 otherwise.
    pub fn not_found(resource: &str, message: impl Into<String>) -> Self {
        let mut err = ApiError::new(ErrorStatus::ResourceNotFound)
            .with_message(message)
            .with_details(ErrorDetails {
                resource: Some(resource.to_owned()),
                ..ErrorDetails::default()
            });
        if resource == "user" {
            err.code = 8002;
        }
        err
    }

    /// 403 RESOURCE_ACCESS_DENIED, before any Okta call: the account's service app was not
    /// granted these Okta scopes, which `action` needs.
    pub fn missing_scopes(action: &str, scopes: &[&str]) -> Self {
        let list = scopes.join(", ");
        let (noun, them) = match scopes {
            [_] => ("scope", "it"),
            _ => ("scopes", "them"),
        };
        ApiError::new(ErrorStatus::ResourceAccessDenied)
            .with_message(format!(
                "{action} needs the Okta {noun} {list}, which the account's service app was not granted."
            ))
            .with_how_to_fix(format!(
                "Grant {list} to the service app in the Okta Admin Console (Applications > Applications > the app > Okta API Scopes tab), then add {them} to the account's scopes (PUT /accounts/{{name}})."
            ))
            .with_details(ErrorDetails {
                missing_scopes: Some(scopes.iter().map(|s| (*s).to_owned()).collect()),
                ..ErrorDetails::default()
            })
    }

    pub fn account_not_found(name: &str) -> Self {
        ApiError::not_found("account", format!("No connected account named '{name}'."))
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        ApiError::new(ErrorStatus::InternalError).with_internal(cause)
    }

    pub fn http_status(&self) -> StatusCode {
        self.status.http_status()
    }

    /// The JSON envelope, given the request id the edge assigned.
    pub fn body(&self, request_id: &str) -> Value {
        let mut error = json!({
            "status": self.status.as_str(),
            "code": self.code,
            "httpStatus": self.status.http_status().as_u16(),
            "message": self.message,
            "howToFix": self.how_to_fix(),
            "requestId": request_id,
        });
        if !self.details.is_empty() {
            error["details"] = serde_json::to_value(&*self.details).unwrap_or_else(|_| json!({}));
        }
        json!({ "error": error })
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.status.as_str(), self.message)
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = self.http_status().into_response();
        if let Some(secs) = self.details.retry_after
            && let Ok(value) = HeaderValue::from_str(&secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response.extensions_mut().insert(Arc::new(self));
        response
    }
}

/// `Retry-After` for a database that cannot serve: long enough for a restart or a failover to
/// begin, short enough for a flow's retry loop.
const DATABASE_RETRY_AFTER_SECS: u64 = 5;

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::DuplicateName => ApiError::new(ErrorStatus::DuplicateAccount),
            StoreError::LimitReached { cap } => ApiError::new(ErrorStatus::AccountLimitReached)
                .with_message(format!(
                    "The maximum of {cap} connected accounts has been reached."
                )),
            StoreError::Unavailable(_) | StoreError::Stalled | StoreError::FileReplaced(_) => {
                let mut error = ApiError::new(ErrorStatus::ServiceUnavailable)
                    .with_message("The gateway's database is unavailable.")
                    .with_internal(err);
                error.details.retry_after = Some(DATABASE_RETRY_AFTER_SECS);
                error
            }
            other => ApiError::internal(other),
        }
    }
}

/// Seconds a caller is asked to wait when this gateway lacks the key of an account's token:
/// typically a key rotation whose new key has not reached this gateway yet.
const MISSING_KEY_RETRY_AFTER: u64 = 30;

impl From<CryptoError> for ApiError {
    fn from(err: CryptoError) -> Self {
        match err {
            // The key id goes to the log only; the caller learns what to do.
            CryptoError::UnknownKey { key_id } => ApiError::new(ErrorStatus::ServiceUnavailable)
                .with_message(
                    "The account's token is encrypted under a key this gateway does not hold (a key rotation may be under way).",
                )
                .with_details(ErrorDetails {
                    retry_after: Some(MISSING_KEY_RETRY_AFTER),
                    ..ErrorDetails::default()
                })
                .with_internal(format!(
                    "the stored token is under key id {key_id}, which this gateway's key ring lacks: add that key to its TOKEN_ENCRYPTION_KEYS"
                )),
            other => ApiError::internal(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_maps_to_its_code_and_http_status() {
        let expected: [(ErrorStatus, &str, u16, u16); 24] = [
            (
                ErrorStatus::InvalidFieldValue,
                "INVALID_FIELD_VALUE",
                8001,
                400,
            ),
            (
                ErrorStatus::AuthenticationFailure,
                "AUTHENTICATION_FAILURE",
                8002,
                401,
            ),
            (
                ErrorStatus::ResourceNotFound,
                "RESOURCE_NOT_FOUND",
                8003,
                404,
            ),
            (ErrorStatus::DuplicateUser, "DUPLICATE_USER", 8003, 409),
            (
                ErrorStatus::ResourceAccessDenied,
                "RESOURCE_ACCESS_DENIED",
                9001,
                403,
            ),
            (ErrorStatus::ApiLimitReached, "API_LIMIT_REACHED", 9002, 429),
            (
                ErrorStatus::DuplicateAccount,
                "DUPLICATE_ACCOUNT",
                9101,
                409,
            ),
            (
                ErrorStatus::AccountLimitReached,
                "ACCOUNT_LIMIT_REACHED",
                9102,
                409,
            ),
            (ErrorStatus::Unauthenticated, "UNAUTHENTICATED", 9103, 401),
            (ErrorStatus::ForbiddenScope, "FORBIDDEN_SCOPE", 9104, 403),
            (ErrorStatus::UnknownAction, "UNKNOWN_ACTION", 9105, 404),
            (ErrorStatus::PayloadTooLarge, "PAYLOAD_TOO_LARGE", 9106, 413),
            (
                ErrorStatus::ServiceUnavailable,
                "SERVICE_UNAVAILABLE",
                9107,
                503,
            ),
            (
                ErrorStatus::UpstreamUnavailable,
                "UPSTREAM_UNAVAILABLE",
                9108,
                502,
            ),
            (ErrorStatus::UpstreamTimeout, "UPSTREAM_TIMEOUT", 9109, 504),
            (ErrorStatus::InvalidState, "INVALID_STATE", 9110, 409),
            (ErrorStatus::RouteNotFound, "ROUTE_NOT_FOUND", 9111, 404),
            (
                ErrorStatus::MethodNotAllowed,
                "METHOD_NOT_ALLOWED",
                9112,
                405,
            ),
            (
                ErrorStatus::UnsupportedMediaType,
                "UNSUPPORTED_MEDIA_TYPE",
                9113,
                415,
            ),
            (ErrorStatus::Conflict, "CONFLICT", 9114, 409),
            (
                ErrorStatus::ProfileMasteredElsewhere,
                "PROFILE_MASTERED_ELSEWHERE",
                9115,
                403,
            ),
            (ErrorStatus::InternalError, "INTERNAL_ERROR", 9199, 500),
            (
                ErrorStatus::IdempotencyKeyReused,
                "IDEMPOTENCY_KEY_REUSED",
                9116,
                422,
            ),
            (
                ErrorStatus::IdempotencyInProgress,
                "IDEMPOTENCY_IN_PROGRESS",
                9117,
                409,
            ),
        ];
        assert_eq!(expected.len(), ErrorStatus::ALL.len());
        for (status, name, code, http) in expected {
            assert_eq!(status.as_str(), name);
            assert_eq!(status.default_code(), code, "{name}");
            assert_eq!(status.http_status().as_u16(), http, "{name}");
            assert!(!status.how_to_fix().is_empty(), "{name}");
        }
    }

    #[test]
    fn a_token_under_a_missing_key_is_unavailable_and_names_the_key_only_in_the_log() {
        let err = ApiError::from(CryptoError::UnknownKey {
            key_id: "0badf00d".into(),
        });
        assert_eq!(err.status, ErrorStatus::ServiceUnavailable);
        assert_eq!(err.details.retry_after, Some(MISSING_KEY_RETRY_AFTER));
        assert!(err.internal_cause().is_some_and(|c| c.contains("0badf00d")));
        assert!(!err.body("r").to_string().contains("0badf00d"));
        let corrupt = ApiError::from(CryptoError::Corrupt);
        assert_eq!(corrupt.status, ErrorStatus::InternalError);
    }

    #[test]
    fn a_missing_scope_refusal_names_the_scopes_and_where_to_grant_them() {
        let body = ApiError::missing_scopes("delete_user", &["okta.users.manage"]).body("r");
        let error = &body["error"];
        assert_eq!(error["status"], "RESOURCE_ACCESS_DENIED");
        assert_eq!(error["code"], 9001);
        assert_eq!(error["httpStatus"], 403);
        assert_eq!(
            error["message"],
            "delete_user needs the Okta scope okta.users.manage, which the account's service app was not granted."
        );
        assert!(
            error["howToFix"]
                .as_str()
                .is_some_and(|fix| fix.starts_with("Grant okta.users.manage ")
                    && fix.contains("Okta API Scopes tab")),
            "{error}"
        );
        assert_eq!(
            error["details"],
            json!({"missingScopes": ["okta.users.manage"]})
        );
        let two = ApiError::missing_scopes(
            "add_user_to_group",
            &["okta.groups.manage", "okta.users.read"],
        );
        assert!(two.message.starts_with(
            "add_user_to_group needs the Okta scopes okta.groups.manage, okta.users.read,"
        ));
        assert!(two.how_to_fix().contains("add them to"));
    }

    #[test]
    fn a_user_not_found_uses_code_8002_and_others_8003() {
        assert_eq!(ApiError::not_found("user", "x").code, 8002);
        assert_eq!(ApiError::not_found("group", "x").code, 8003);
        assert_eq!(ApiError::account_not_found("x").code, 8003);
    }

    #[test]
    fn the_body_carries_every_envelope_member_and_only_present_details() {
        let body = ApiError::invalid_field("name", "is required").body("req-1");
        let error = &body["error"];
        assert_eq!(error["status"], "INVALID_FIELD_VALUE");
        assert_eq!(error["code"], 8001);
        assert_eq!(error["httpStatus"], 400);
        assert_eq!(error["requestId"], "req-1");
        assert_eq!(
            error["details"],
            json!({"fields": [{"field": "name", "problem": "is required"}]})
        );
        let plain = ApiError::new(ErrorStatus::RouteNotFound).body("r");
        assert!(plain["error"].get("details").is_none());
    }
}
