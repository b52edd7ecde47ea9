//! The one mapping from Okta's errors onto the gateway's public error table. It lives with the
//! actions because it needs their context (the action's resource, which Okta codes mean a
//! state error there); `crate::okta` itself knows nothing of the public table.

use crate::error::{ApiError, ErrorStatus, OktaErrorDetails};
use crate::okta::{OAuthRefusal, OktaError, OktaErrorBody};

/// What the mapping needs to know about the call that failed.
#[derive(Debug, Clone, Copy)]
pub struct ErrorContext {
    /// The action's main resource, for a 404 whose summary names none.
    pub resource: &'static str,
    /// Okta refuses suspend/unsuspend in the wrong status with E0000001 (NOTES.md §3).
    pub e0000001_is_state: bool,
}

impl Default for ErrorContext {
    fn default() -> Self {
        ErrorContext {
            resource: "resource",
            e0000001_is_state: false,
        }
    }
}

/// Map an Okta failure to the public error: by errorCode first, then by HTTP class.
pub fn to_api_error(err: OktaError, context: ErrorContext) -> ApiError {
    let (error, outcome_unknown) = match err {
        OktaError::Api {
            status,
            body,
            outcome_unknown,
        } => (map_api(status, &body, context), outcome_unknown),
        OktaError::RateLimited { retry_after, body } => {
            let mut error = ApiError::new(ErrorStatus::ApiLimitReached);
            error.details.retry_after = Some(retry_after);
            error.details.okta = body.as_ref().map(details);
            (error, false)
        }
        OktaError::InFlightLimit => {
            let mut error = ApiError::new(ErrorStatus::ApiLimitReached).with_message(
                "Too many Okta calls are in flight for this account; the gateway keeps room for the org's other admins.",
            );
            error.details.retry_after = Some(1);
            (error, false)
        }
        OktaError::NotOkta {
            reason,
            outcome_unknown,
        } => (
            ApiError::new(ErrorStatus::UpstreamUnavailable).with_internal(reason),
            outcome_unknown,
        ),
        OktaError::Transport {
            reason,
            outcome_unknown,
        } => (
            ApiError::new(ErrorStatus::UpstreamUnavailable)
                .with_message("Okta could not be reached.")
                .with_internal(reason),
            outcome_unknown,
        ),
        OktaError::Timeout { outcome_unknown } => {
            (ApiError::new(ErrorStatus::UpstreamTimeout), outcome_unknown)
        }
        OktaError::Request(reason) => (ApiError::internal(reason), false),
        OktaError::OAuth {
            status,
            refusal,
            error,
            description,
            scopes,
        } => (
            map_oauth(status, refusal, &error, description, &scopes),
            false,
        ),
    };
    if outcome_unknown {
        let mut error = error;
        error.details.outcome_unknown = Some(true);
        error
            .message
            .push_str(" The request may have reached Okta: check the outcome before repeating it.");
        return error;
    }
    error
}

fn map_api(status: u16, body: &OktaErrorBody, context: ErrorContext) -> ApiError {
    let code = body.error_code.as_deref();
    let conflict = match code {
        Some("E0000062") => Some("The user is already assigned to this application."),
        Some("E0000001") if context.resource == "group" && body.is_duplicate("name") => {
            Some("A group with this name already exists.")
        }
        _ => None,
    };
    let public = match code {
        _ if conflict.is_some() => ErrorStatus::Conflict,
        Some("E0000001") if body.is_duplicate("login") => ErrorStatus::DuplicateUser,
        Some("E0000001") if context.e0000001_is_state => ErrorStatus::InvalidState,
        Some(
            "E0000001" | "E0000003" | "E0000014" | "E0000028" | "E0000031" | "E0000033"
            | "E0000053" | "E0000068" | "E0000098",
        ) => ErrorStatus::InvalidFieldValue,
        Some("E0000004" | "E0000005" | "E0000011") => ErrorStatus::AuthenticationFailure,
        Some("E0000006" | "E0000075") => ErrorStatus::ResourceAccessDenied,
        Some("E0000023") => ErrorStatus::ProfileMasteredElsewhere,
        Some("E0000007" | "E0000008") => ErrorStatus::ResourceNotFound,
        Some("E0000047" | "E0000109" | "E0000133") => ErrorStatus::ApiLimitReached,
        Some("E0000016" | "E0000017" | "E0000032" | "E0000035" | "E0000038" | "E0000112") => {
            ErrorStatus::InvalidState
        }
        _ => match status {
            401 => ErrorStatus::AuthenticationFailure,
            403 => ErrorStatus::ResourceAccessDenied,
            404 => ErrorStatus::ResourceNotFound,
            409 => ErrorStatus::InvalidState,
            429 => ErrorStatus::ApiLimitReached,
            400..=499 => ErrorStatus::InvalidFieldValue,
            _ => ErrorStatus::UpstreamUnavailable,
        },
    };
    let message = body
        .error_summary
        .as_deref()
        .map(|summary| format!("Okta: {summary}"));
    let mut error = if public == ErrorStatus::ResourceNotFound {
        let resource = body
            .resource_type()
            .and_then(public_resource)
            .unwrap_or(context.resource);
        ApiError::not_found(
            resource,
            message.unwrap_or_else(|| format!("The {resource} does not exist.")),
        )
    } else {
        let error = ApiError::new(public);
        match message {
            Some(message) => error.with_message(message),
            None => error,
        }
    };
    if public == ErrorStatus::ApiLimitReached {
        // A 429 answered here was not waited out (factor resend throttles, E0000109 and
        // E0000133, last 30 seconds).
        error.details.retry_after = Some(30);
    }
    error.details.conflict = conflict.map(str::to_owned);
    error.details.okta = Some(details(body));
    error
}

/// A service app's refusal: its client, key or proof is an authentication failure; a scope it
/// was not granted is an access denial naming the scope.
fn map_oauth(
    status: u16,
    refusal: OAuthRefusal,
    error: &str,
    description: Option<String>,
    scopes: &[String],
) -> ApiError {
    let said = description.unwrap_or_else(|| error.to_owned());
    match refusal {
        OAuthRefusal::Client => ApiError::new(ErrorStatus::AuthenticationFailure)
            .with_message(format!("Okta refused the service app: {said}"))
            .with_how_to_fix(
                "Check the service app in Okta's Admin Console (Applications > Applications > the app): \
                 the client id, client authentication 'Public key / Private key' with the account's \
                 public key (and key id) in its key set, and whether it requires DPoP; then update \
                 the account's oauth settings.",
            ),
        OAuthRefusal::Scope => {
            let named = if scopes.is_empty() {
                "the scopes this call needs".to_owned()
            } else {
                scopes.join(" ")
            };
            ApiError::new(ErrorStatus::ResourceAccessDenied)
                .with_message(format!(
                    "The service app has not been granted {named} (Okta: {said})"
                ))
                .with_how_to_fix(format!(
                    "Grant {named} on the service app's 'Okta API Scopes' tab in Okta's Admin \
                     Console, and list them in the account's oauth scopes."
                ))
        }
        OAuthRefusal::Other => ApiError::new(ErrorStatus::UpstreamUnavailable)
            .with_internal(format!("the token endpoint answered {status} {error}")),
    }
}

/// Okta's error fields as the public envelope passes them through.
fn details(body: &OktaErrorBody) -> OktaErrorDetails {
    OktaErrorDetails {
        error_code: body.error_code.clone(),
        error_summary: body.error_summary.clone(),
        error_id: body.error_id.clone(),
        error_causes: body.causes(),
    }
}

/// The public name of a resource Okta names by its type in a 404 summary.
fn public_resource(okta_type: &str) -> Option<&'static str> {
    Some(match okta_type {
        "User" => "user",
        "UserGroup" | "Group" => "group",
        "AppInstance" | "Application" | "App" => "application",
        "UserFactor" | "Factor" => "factor",
        "AppUser" | "ApplicationGroupAssignment" => "assignment",
        _ => return None,
    })
}

/// Outside an action (the account routes' token check) there is no action context.
impl From<OktaError> for ApiError {
    fn from(err: OktaError) -> Self {
        to_api_error(err, ErrorContext::default())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn api(status: u16, body: Value) -> OktaError {
        OktaError::Api {
            status,
            body: serde_json::from_value(body).unwrap(),
            outcome_unknown: false,
        }
    }

    fn map(err: OktaError) -> ApiError {
        to_api_error(err, ErrorContext::default())
    }

    #[test]
    fn error_codes_map_to_the_public_table() {
        let cases = [
            ("E0000001", 400, ErrorStatus::InvalidFieldValue),
            ("E0000003", 400, ErrorStatus::InvalidFieldValue),
            ("E0000014", 403, ErrorStatus::InvalidFieldValue),
            ("E0000028", 400, ErrorStatus::InvalidFieldValue),
            ("E0000031", 400, ErrorStatus::InvalidFieldValue),
            ("E0000033", 400, ErrorStatus::InvalidFieldValue),
            ("E0000053", 400, ErrorStatus::InvalidFieldValue),
            ("E0000068", 403, ErrorStatus::InvalidFieldValue),
            ("E0000098", 400, ErrorStatus::InvalidFieldValue),
            ("E0000004", 401, ErrorStatus::AuthenticationFailure),
            ("E0000005", 403, ErrorStatus::AuthenticationFailure),
            ("E0000011", 401, ErrorStatus::AuthenticationFailure),
            ("E0000006", 403, ErrorStatus::ResourceAccessDenied),
            ("E0000075", 403, ErrorStatus::ResourceAccessDenied),
            ("E0000007", 404, ErrorStatus::ResourceNotFound),
            ("E0000008", 404, ErrorStatus::ResourceNotFound),
            ("E0000047", 429, ErrorStatus::ApiLimitReached),
            ("E0000109", 429, ErrorStatus::ApiLimitReached),
            ("E0000133", 429, ErrorStatus::ApiLimitReached),
            ("E0000023", 403, ErrorStatus::ProfileMasteredElsewhere),
            ("E0000062", 409, ErrorStatus::Conflict),
            ("E0000016", 403, ErrorStatus::InvalidState),
            ("E0000017", 403, ErrorStatus::InvalidState),
            ("E0000032", 403, ErrorStatus::InvalidState),
            ("E0000035", 403, ErrorStatus::InvalidState),
            ("E0000038", 403, ErrorStatus::InvalidState),
            ("E0000112", 409, ErrorStatus::InvalidState),
            ("E0000009", 500, ErrorStatus::UpstreamUnavailable),
            ("E0000010", 503, ErrorStatus::UpstreamUnavailable),
            ("E9999999", 403, ErrorStatus::ResourceAccessDenied),
            ("E9999999", 418, ErrorStatus::InvalidFieldValue),
        ];
        for (code, status, expected) in cases {
            let error = map(api(
                status,
                json!({"errorCode": code, "errorSummary": "s", "errorId": "oae1"}),
            ));
            assert_eq!(error.status, expected, "{code} {status}");
            let okta = error.details.okta.as_ref().unwrap();
            assert_eq!(okta.error_code.as_deref(), Some(code));
            assert_eq!(okta.error_id.as_deref(), Some("oae1"));
        }
    }

    #[test]
    fn a_duplicate_login_is_a_duplicate_user() {
        let error = map(api(
            400,
            json!({"errorCode": "E0000001", "errorSummary": "Api validation failed: login",
                   "errorCauses": [{"errorSummary": "login: An object with this field already exists in the current organization"}]}),
        ));
        assert_eq!(error.status, ErrorStatus::DuplicateUser);
        assert_eq!(error.http_status().as_u16(), 409);
        assert_eq!(error.details.okta.as_ref().unwrap().error_causes.len(), 1);
    }

    #[test]
    fn a_duplicate_group_name_is_a_conflict_saying_what_exists() {
        let body = json!({"errorCode": "E0000001", "errorSummary": "Api validation failed: name",
               "errorCauses": [{"errorSummary": "name: An object with this field already exists in the current organization"}]});
        let group = ErrorContext {
            resource: "group",
            e0000001_is_state: false,
        };
        let error = to_api_error(api(400, body.clone()), group);
        assert_eq!(error.status, ErrorStatus::Conflict);
        assert_eq!(error.http_status().as_u16(), 409);
        assert_eq!(
            error.details.conflict.as_deref(),
            Some("A group with this name already exists.")
        );
        // The same cause on another resource is not a group conflict.
        assert_eq!(map(api(400, body)).status, ErrorStatus::InvalidFieldValue);
        let assigned = map(api(409, json!({"errorCode": "E0000062"})));
        assert_eq!(
            assigned.details.conflict.as_deref(),
            Some("The user is already assigned to this application.")
        );
    }

    #[test]
    fn e0000001_is_a_state_error_where_the_context_says_so() {
        let context = ErrorContext {
            resource: "user",
            e0000001_is_state: true,
        };
        let error = to_api_error(api(400, json!({"errorCode": "E0000001"})), context);
        assert_eq!(error.status, ErrorStatus::InvalidState);
    }

    #[test]
    fn not_found_names_the_resource_from_okta_or_the_action() {
        let user = map(api(
            404,
            json!({"errorCode": "E0000007", "errorSummary": "Not found: Resource not found: x (User)"}),
        ));
        assert_eq!(user.details.resource.as_deref(), Some("user"));
        assert_eq!(user.code, 8002);
        let group = map(api(
            404,
            json!({"errorCode": "E0000007", "errorSummary": "Not found: Resource not found: x (UserGroup)"}),
        ));
        assert_eq!(group.details.resource.as_deref(), Some("group"));
        assert_eq!(group.code, 8003);
        let group_assignment = map(api(
            404,
            json!({"errorCode": "E0000007", "errorSummary": "Not found: Resource not found: x (ApplicationGroupAssignment)"}),
        ));
        assert_eq!(
            group_assignment.details.resource.as_deref(),
            Some("assignment")
        );
        let fallback = to_api_error(
            api(
                404,
                json!({"errorCode": "E0000007", "errorSummary": "Not found"}),
            ),
            ErrorContext {
                resource: "factor",
                e0000001_is_state: false,
            },
        );
        assert_eq!(fallback.details.resource.as_deref(), Some("factor"));
    }

    #[test]
    fn transport_failures_and_timeouts_say_whether_the_outcome_is_unknown() {
        let timeout = map(OktaError::Timeout {
            outcome_unknown: true,
        });
        assert_eq!(timeout.status, ErrorStatus::UpstreamTimeout);
        assert_eq!(timeout.details.outcome_unknown, Some(true));
        let reset = map(OktaError::Transport {
            reason: "reset".into(),
            outcome_unknown: false,
        });
        assert_eq!(reset.status, ErrorStatus::UpstreamUnavailable);
        assert_eq!(reset.details.outcome_unknown, None);
        let html = map(OktaError::NotOkta {
            reason: "html".into(),
            outcome_unknown: true,
        });
        assert_eq!(html.details.outcome_unknown, Some(true));
        let limited = map(OktaError::RateLimited {
            retry_after: 7,
            body: None,
        });
        assert_eq!(limited.status, ErrorStatus::ApiLimitReached);
        assert_eq!(limited.details.retry_after, Some(7));
        let shed = map(OktaError::InFlightLimit);
        assert_eq!(shed.status, ErrorStatus::ApiLimitReached);
    }
}
