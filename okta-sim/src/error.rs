//! Okta's error envelope and every error the simulator answers with.
//!
//! Okta errors always carry `errorCode`, `errorSummary`, `errorLink` (the code again), a random
//! `errorId` (`oae…`) and `errorCauses` (a possibly empty list of `{errorSummary}`), with
//! `Content-Type: application/json` (no charset, unlike success bodies). The constructors
//! below are the single place where codes, statuses and summaries are paired, so handlers
//! never spell an error code themselves.

use http::StatusCode;
use serde_json::json;

use crate::util;

/// Okta's error envelope for any code (also used for injected faults).
pub(crate) fn error_body(code: &str, summary: &str, causes: &[String]) -> serde_json::Value {
    json!({
        "errorCode": code,
        "errorSummary": summary,
        "errorLink": code,
        "errorId": util::error_id(),
        "errorCauses": causes
            .iter()
            .map(|c| json!({ "errorSummary": c }))
            .collect::<Vec<_>>(),
    })
}

/// An Okta API error: HTTP status, `E00000xx` code, summary and causes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub summary: String,
    pub causes: Vec<String>,
}

/// Which kind of object a 404 refers to; Okta names it in the summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resource {
    User,
    UserGroup,
    AppInstance,
    AppUser,
    ApplicationGroupAssignment,
    UserFactor,
}

impl Resource {
    fn okta_name(self) -> &'static str {
        match self {
            Resource::User => "User",
            Resource::UserGroup => "UserGroup",
            Resource::AppInstance => "AppInstance",
            Resource::AppUser => "AppUser",
            Resource::ApplicationGroupAssignment => "ApplicationGroupAssignment",
            Resource::UserFactor => "UserFactor",
        }
    }
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, summary: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            summary: summary.into(),
            causes: Vec::new(),
        }
    }

    pub fn with_cause(mut self, cause: impl Into<String>) -> Self {
        self.causes.push(cause.into());
        self
    }

    /// The JSON body Okta sends for this error (a fresh `errorId` every time).
    pub fn body(&self) -> serde_json::Value {
        error_body(self.code, &self.summary, &self.causes)
    }

    // ---- 400 ----

    /// E0000001 `Api validation failed: <field>` with one cause per problem.
    pub fn validation(field: &str, causes: Vec<String>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code: "E0000001",
            summary: format!("Api validation failed: {field}"),
            causes,
        }
    }

    /// E0000001 with a bespoke summary (precondition failures such as suspend/unsuspend).
    pub fn precondition(summary: &str) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "E0000001", summary)
    }

    /// E0000003: the body is not JSON or does not have the expected shape.
    pub fn malformed_body() -> Self {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "E0000003",
            "The request body was not well-formed.",
        )
    }

    /// E0000021: a body was sent with a non-JSON media type.
    pub fn unsupported_media_type() -> Self {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "E0000021",
            "Bad request.  Accept and/or Content-Type headers likely do not match supported values.",
        )
    }

    /// E0000031: an unusable `search`/`filter` expression on users or groups.
    pub fn invalid_search(detail: &str) -> Self {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "E0000031",
            "Invalid search criteria.",
        )
        .with_cause(detail.to_string())
    }

    /// E0000033: `q`, `search` and `filter` are mutually exclusive.
    pub fn search_and_filter() -> Self {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "E0000033",
            "Bad request. Can't specify a search query and filter in the same request.",
        )
    }

    /// E0000053: a System Log parameter or SCIM filter Okta rejects.
    pub fn log_query(summary: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "E0000053", summary)
    }

    /// E0000098: an sms/call factor with an unusable phone number.
    pub fn invalid_phone() -> Self {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "E0000098",
            "This phone number is invalid.",
        )
    }

    /// E0000060: an operation Okta does not support on this object (membership changes of
    /// the built-in `Everyone` group).
    pub fn unsupported_operation() -> Self {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "E0000060",
            "Unsupported operation.",
        )
    }

    /// E0000041: credentials on an app whose scheme takes none.
    pub fn credentials_not_allowed() -> Self {
        let text = "Credentials should not be set on this resource based on the scheme.";
        ApiError::new(StatusCode::BAD_REQUEST, "E0000041", text).with_cause(text)
    }

    // ---- 401 / 403 ----

    /// E0000011: missing, unknown or revoked SSWS token.
    pub fn invalid_token() -> Self {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "E0000011",
            "Invalid token provided",
        )
    }

    /// E0000006: the token may not perform this action (read-only token writing).
    pub fn access_denied() -> Self {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "E0000006",
            "You do not have permission to perform the requested action",
        )
    }

    /// E0000046: a user's app assignment cannot be removed while one of their groups is
    /// assigned to the app (Okta's text, as terraform-provider-okta#120 reports it).
    pub fn unassign_granted_by_group() -> Self {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "E0000046",
            "Deactivate application for user forbidden.",
        )
        .with_cause(
            "The application cannot be unassigned from the user while their group memberships grant them access",
        )
    }

    /// E0000014: change_password with a wrong old password or a weak new one.
    pub fn credentials_update_failed(cause: impl Into<String>) -> Self {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "E0000014",
            "Update of credentials failed",
        )
        .with_cause(cause)
    }

    /// E0000016: activate on a user who is already ACTIVE.
    pub fn already_active() -> Self {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "E0000016",
            "Activation failed because the user is already active",
        )
    }

    /// E0000023: a change to what another profile source (Active Directory, an HR system)
    /// masters. The summary has no final period in Okta's answers
    /// (oktadev/okta-node-express-example#4).
    pub fn mastered_elsewhere() -> Self {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "E0000023",
            "Operation failed because user profile is mastered under another system",
        )
    }

    /// E0000028: a required query parameter is missing (the spec's
    /// `ErrorMissingRequiredParameter400` example).
    pub fn missing_parameter() -> Self {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "E0000028",
            "The request is missing a required parameter.",
        )
    }

    /// E0000109: a second SMS to the same user within the resend window.
    pub fn sms_recently_sent() -> Self {
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "E0000109",
            "An SMS message was recently sent. Please wait 30 seconds before trying again.",
        )
    }

    /// E0000133: a second voice call to the same user within the resend window.
    pub fn call_recently_made() -> Self {
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "E0000133",
            "A phone call was recently made. Please wait 30 seconds before trying again.",
        )
    }

    /// E0000032: unlock on a user who is not LOCKED_OUT.
    pub fn unlock_not_allowed() -> Self {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "E0000032",
            "Unlock is not allowed for this user.",
        )
    }

    /// E0000035: change_password on a user without a password or in the wrong status.
    pub fn change_password_not_allowed() -> Self {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "E0000035",
            "Change password not allowed on specified user.",
        )
    }

    /// E0000038: any other lifecycle operation illegal in the user's current status.
    pub fn wrong_status() -> Self {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "E0000038",
            "This operation is not allowed in the user's current status.",
        )
    }

    /// E0000068: a wrong factor activation passcode.
    pub fn invalid_passcode() -> Self {
        ApiError::new(StatusCode::FORBIDDEN, "E0000068", "Invalid Passcode/Answer")
            .with_cause("Your passcode doesn't match our records. Please try again.")
    }

    // ---- 404 / 405 / 409 / 429 ----

    /// E0000007 `Not found: Resource not found: <input> (<Type>)`.
    pub fn not_found(resource: Resource, input: &str) -> Self {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "E0000007",
            format!(
                "Not found: Resource not found: {input} ({})",
                resource.okta_name()
            ),
        )
    }

    /// E0000008: a path under `/api/v1` that no endpoint serves.
    pub fn path_not_found() -> Self {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "E0000008",
            "The requested path was not found",
        )
    }

    /// E0000022 with 405: the path exists but not for this method (or a `/` in a user segment).
    pub fn method_not_allowed() -> Self {
        ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "E0000022",
            "The endpoint does not support the provided HTTP method",
        )
    }

    /// E0000062: the user already has an assignment to this app.
    pub fn already_assigned() -> Self {
        ApiError::new(
            StatusCode::CONFLICT,
            "E0000062",
            "The specified user is already assigned to the application.",
        )
    }

    /// E0000112: a change to a user whose activation (or asynchronous deactivation or
    /// delete) is still in progress.
    pub fn user_in_transition() -> Self {
        ApiError::new(
            StatusCode::CONFLICT,
            "E0000112",
            "Cannot update this user because they are still being activated. Please try again in a few minutes.",
        )
    }

    /// E0000047: rate limit exhausted.
    pub fn rate_limited() -> Self {
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "E0000047",
            "API call exceeded rate limit due to too many requests.",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_body_has_every_okta_field() {
        let body = ApiError::not_found(Resource::User, "nobody").body();
        assert_eq!(body["errorCode"], "E0000007");
        assert_eq!(body["errorLink"], "E0000007");
        assert_eq!(
            body["errorSummary"],
            "Not found: Resource not found: nobody (User)"
        );
        assert!(
            body["errorId"]
                .as_str()
                .is_some_and(|s| s.starts_with("oae"))
        );
        assert_eq!(body["errorCauses"], serde_json::json!([]));
    }

    #[test]
    fn every_constructor_pairs_code_and_status_as_okta_does() {
        let cases = [
            (ApiError::malformed_body(), 400, "E0000003"),
            (ApiError::validation("login", vec![]), 400, "E0000001"),
            (ApiError::invalid_token(), 401, "E0000011"),
            (ApiError::access_denied(), 403, "E0000006"),
            (ApiError::credentials_update_failed("x"), 403, "E0000014"),
            (ApiError::already_active(), 403, "E0000016"),
            (ApiError::unlock_not_allowed(), 403, "E0000032"),
            (ApiError::change_password_not_allowed(), 403, "E0000035"),
            (ApiError::wrong_status(), 403, "E0000038"),
            (ApiError::invalid_passcode(), 403, "E0000068"),
            (ApiError::path_not_found(), 404, "E0000008"),
            (ApiError::method_not_allowed(), 405, "E0000022"),
            (ApiError::already_assigned(), 409, "E0000062"),
            (ApiError::rate_limited(), 429, "E0000047"),
            (ApiError::user_in_transition(), 409, "E0000112"),
            (ApiError::mastered_elsewhere(), 403, "E0000023"),
            (ApiError::missing_parameter(), 400, "E0000028"),
            (ApiError::sms_recently_sent(), 429, "E0000109"),
            (ApiError::call_recently_made(), 429, "E0000133"),
            (ApiError::log_query("x"), 400, "E0000053"),
            (ApiError::invalid_search("x"), 400, "E0000031"),
            (ApiError::search_and_filter(), 400, "E0000033"),
            (ApiError::invalid_phone(), 400, "E0000098"),
            (ApiError::credentials_not_allowed(), 400, "E0000041"),
            (ApiError::unsupported_operation(), 400, "E0000060"),
            (ApiError::unsupported_media_type(), 400, "E0000021"),
        ];
        for (err, status, code) in cases {
            assert_eq!(err.status.as_u16(), status, "{code}");
            assert_eq!(err.code, code);
        }
    }
}
