//! Responses the simulator sends although the spec's operation does not list their status.
//!
//! The spec describes each operation's own outcomes; Okta's front door, authentication and
//! routing answer some requests before any operation runs, and a few operation outcomes are
//! documented only in Okta's error-code catalogue. Each rule below says which, and what the
//! body must be: a JSON error body is still validated against the spec's `Error` schema and
//! must carry one of the rule's codes. An exchange that no rule covers fails the test;
//! nothing is skipped silently. `conformance::the_allowlist_is_narrow` pins the rules.

use okta_sim::RecordedRequest;

/// What an allowed response must look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    /// Okta's error envelope (spec `Error`) with one of these codes (any code when empty).
    OktaError(&'static [&'static str]),
    /// An HTML page (`text/html`).
    Html,
    /// Nothing reached the client (the test dropped the connection on purpose).
    None,
    /// JSON valid against this component schema of the spec.
    Schema(&'static str),
    /// No body at all.
    Empty,
    /// OAuth JSON (RFC 6749 §5): a token response on 200, else exactly
    /// `{"error", "error_description"}`.
    OAuth,
}

/// One allowlist rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub name: &'static str,
    pub body: Body,
}

/// Operations whose query parameters Okta validates (limit, search, filter, q, expand…)
/// although the spec lists no 400 for them.
const LIST_OPERATIONS: &[&str] = &[
    "/api/v1/users",
    "/api/v1/groups",
    "/api/v1/groups/{groupId}/users",
    "/api/v1/apps",
    "/api/v1/apps/{appId}/users",
    "/api/v1/apps/{appId}/groups",
    "/api/v1/groups/{groupId}/apps",
    "/api/v1/users/{id}/groups",
];

/// Operations that change one user, which Okta refuses with 409 E0000112 while the user's
/// activation (or an asynchronous deactivation or delete) is still running.
const USER_CHANGES: &[&str] = &[
    "/api/v1/users/{id}",
    "/api/v1/users/{id}/lifecycle/activate",
    "/api/v1/users/{id}/lifecycle/reactivate",
    "/api/v1/users/{id}/lifecycle/deactivate",
    "/api/v1/users/{id}/lifecycle/suspend",
    "/api/v1/users/{id}/lifecycle/unsuspend",
    "/api/v1/users/{id}/lifecycle/unlock",
    "/api/v1/users/{id}/lifecycle/reset_password",
    "/api/v1/users/{id}/lifecycle/expire_password",
    "/api/v1/users/{id}/lifecycle/expire_password_with_temp_password",
    "/api/v1/users/{id}/lifecycle/reset_factors",
    "/api/v1/users/{userId}/credentials/change_password",
];

/// Whether the request presented an OAuth access token (`Bearer` or `DPoP` scheme).
fn sent_access_token(rec: &RecordedRequest) -> bool {
    rec.headers.iter().any(|(name, value)| {
        name == "authorization" && {
            let scheme = value.split(' ').next().unwrap_or_default();
            scheme.eq_ignore_ascii_case("Bearer") || scheme.eq_ignore_ascii_case("DPoP")
        }
    })
}

/// A rule that replaces the operation's declared response for a request variant the
/// current spec no longer describes (checked before the spec's own response).
pub fn variant_for(rec: &RecordedRequest) -> Option<Rule> {
    // The org authorization server's token endpoint is not part of the Management API
    // spec; its answers follow RFC 6749 §5 (Okta's own OAuth reference: `error` and
    // `error_description`). The front door's 411 is judged by the general rule.
    if rec.path == "/oauth2/v1/token" && rec.fault.is_none() && rec.status != 411 {
        return Some(Rule {
            name: "oauth-token-endpoint",
            body: Body::OAuth,
        });
    }
    // An access token refused by the API comes with a `WWW-Authenticate` challenge: a 403
    // `insufficient_scope` has no body (okta-sdk-golang#145); a DPoP proof refused (400
    // `invalid_dpop_proof`, okta-sdk-python#541) or a nonce asked for (401 `use_dpop_nonce`,
    // RFC 9449 §9) carries an OAuth error, which okta-sdk-python reads. An invalid or expired
    // token keeps the 401 E0000011 body and is judged by `invalid-token`.
    if sent_access_token(rec) && rec.fault.is_none() {
        let oauth_error = rec
            .response_body
            .as_deref()
            .and_then(|b| serde_json::from_str::<serde_json::Value>(b).ok())
            .is_some_and(|v| v.get("error").is_some());
        match (rec.status, rec.response_body.is_none()) {
            (403, true) => {
                return Some(Rule {
                    name: "oauth-insufficient-scope",
                    body: Body::Empty,
                });
            }
            (400 | 401, false) if oauth_error => {
                return Some(Rule {
                    name: "oauth-dpop-challenge",
                    body: Body::OAuth,
                });
            }
            _ => {}
        }
    }
    let query = rec.query.as_deref().unwrap_or_default();
    // `POST …/lifecycle/expire_password?tempPassword=true` answers `{"tempPassword": "…"}`
    // (Okta's legacy Users reference and okta-sdk-test-server's recordings). The current
    // spec moved that answer to `expire_password_with_temp_password`; the body must match
    // that operation's schema, `tempPassword`.
    let temp = query
        .split('&')
        .any(|pair| pair.eq_ignore_ascii_case("tempPassword=true"));
    (rec.method == "POST"
        && rec.route.as_deref() == Some("/api/v1/users/{id}/lifecycle/expire_password")
        && rec.status == 200
        && rec.fault.is_none()
        && temp)
        .then_some(Rule {
            name: "legacy-expire-password-temp-password",
            body: Body::Schema("tempPassword"),
        })
}

/// The rule covering an exchange whose status the matched operation does not list
/// (`has_operation` is false when the method is not served on that path, or no path
/// matched).
pub fn rule_for(rec: &RecordedRequest, has_operation: bool) -> Option<Rule> {
    let route = rec.route.as_deref();
    let write = matches!(rec.method.as_str(), "POST" | "PUT");
    let rule = |name, body| Some(Rule { name, body });
    match (rec.fault.as_deref(), rec.status) {
        // Injected by a test's fault, not produced by the simulator's Okta behaviour: an
        // Okta-shaped error with the status the test chose (500 E0000009, 503 E0000010…).
        (Some("status"), _) => rule("injected-okta-error", Body::OktaError(&[])),
        // Injected: an HTML page from a proxy in front of Okta (502/504…).
        (Some("html"), _) => rule("injected-proxy-html", Body::Html),
        // Injected: the connection was cut before a byte of response (status 0 in the log).
        (Some("dropBeforeResponse" | "dropMidBody"), 0) => rule("dropped-connection", Body::None),

        // Okta's front door answers a body-less POST/PUT without Content-Length with an
        // HTML 411 before any operation runs ("Content-Length: 0 is required", Okta's core
        // API reference, HTTP verbs). The spec describes operations, not the front door.
        (None, 411) if write => rule("length-required", Body::Html),

        // Every operation requires the `apiToken` scheme; a missing or unknown SSWS token is
        // refused with 401 E0000011 before routing (the spec defines this very response as
        // `components/responses/ErrorInvalidToken401`, but these operations do not list it).
        (None, 401) => rule("invalid-token", Body::OktaError(&["E0000011"])),

        // No operation exists for an unknown path: Okta answers 404 E0000008 under /api/v1
        // (after authentication), and an HTML 404 from the web tier outside it.
        (None, 404) if route.is_none() && rec.path.starts_with("/api/v1") => {
            rule("path-not-found", Body::OktaError(&["E0000008"]))
        }
        (None, 404) if route.is_none() => rule("outside-the-api", Body::Html),

        // A known path with a method it does not serve, or a user path segment holding an
        // encoded `/` (which Okta cannot route: "Logins with a `/` character can only be
        // fetched by id", getUser; okta-sdk-nodejs#430 reports the 405): 405 E0000022.
        (None, 405) if route.is_some() => {
            rule("method-not-allowed", Body::OktaError(&["E0000022"]))
        }

        // Query validation on list operations: a bad `limit`/boolean (E0000001), an unusable
        // `search`/`filter` (E0000031, "Invalid search criteria") and `q` with `filter`
        // (E0000033) are 400s in Okta's error-code catalogue; the spec lists 400 only where
        // it validates a request body.
        (None, 400) if has_operation && route.is_some_and(|r| LIST_OPERATIONS.contains(&r)) => {
            rule(
                "list-query-validation",
                Body::OktaError(&["E0000001", "E0000031", "E0000033"]),
            )
        }

        // A change to a user who is still being activated (or asynchronously deactivated or
        // deleted): 409 E0000112 "Cannot update this user because they are still being
        // activated." (Okta's error-code catalogue; the spec's user operations list no 409).
        (None, 409)
            if has_operation
                && rec.method != "GET"
                && route.is_some_and(|r| USER_CHANGES.contains(&r)) =>
        {
            rule("user-in-transition", Body::OktaError(&["E0000112"]))
        }

        // reset_password without its required `sendEmail` query parameter: 400 E0000028, the
        // spec's own `ErrorMissingRequiredParameter400` answer (resetPassword lists no 400).
        (None, 400)
            if has_operation && route == Some("/api/v1/users/{id}/lifecycle/reset_password") =>
        {
            rule("missing-required-parameter", Body::OktaError(&["E0000028"]))
        }

        // Membership changes of the built-in `Everyone` group: 400 E0000060 "Unsupported
        // operation." (Okta's error-code catalogue; terraform-provider-okta#903 reports it for
        // Everyone). The spec's assign/unassign operations list no 400.
        (None, 400)
            if has_operation && route == Some("/api/v1/groups/{groupId}/users/{userId}") =>
        {
            rule("built-in-group-membership", Body::OktaError(&["E0000060"]))
        }

        // A request body that is not JSON (E0000003) or not sent as JSON (E0000021) is
        // refused before the operation validates anything, on any operation taking a body.
        (None, 400) if has_operation && write => {
            rule("body-not-json", Body::OktaError(&["E0000003", "E0000021"]))
        }

        // Assigning a user who is already assigned: 409 E0000062 "The specified user is
        // already assigned to the application." (Okta's error-code catalogue); the spec's
        // assignUserToApplication lists no 409.
        (None, 409) if has_operation && route == Some("/api/v1/apps/{appId}/users") && write => {
            rule("app-user-already-assigned", Body::OktaError(&["E0000062"]))
        }
        _ => None,
    }
}
