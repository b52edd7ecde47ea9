//! Session actions: end a user's Okta sessions (and, on request, their OAuth tokens and
//! remembered devices).

use reqwest::Method;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use super::fields::{DryRun, UserRef};
use super::users::{dry_run, login};
use super::{
    Action, ActionContext, ActionFuture, ActionInput, DRY_RUN_RESPONSE, Handler, ResponseShape,
    ShapeKind, value,
};
use crate::error::{ApiError, ErrorStatus};
use crate::okta::client::{OktaRequest, Retry};

pub static ACTIONS: &[&Action] = &[&CLEAR_USER_SESSIONS];

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ClearUserSessionsIn {
    /// The user's Okta id, or their login (resolved to the id with one lookup).
    #[schemars(extend("x-audit-target" = true))]
    user_id: UserRef,
    /// Also revoke the OpenID Connect and OAuth access and refresh tokens issued to the user, so apps that signed them in through Okta must do so again.
    #[serde(default, rename = "revokeOAuthTokens")]
    revoke_oauth_tokens: bool,
    /// Also forget the devices on which the user chose not to be asked for MFA again, so every device asks again. Sent to Okta either way, since Okta's own default differs by engine (Identity Engine forgets them, Classic Engine keeps them).
    #[serde(default)]
    forget_devices: bool,
    #[serde(default)]
    dry_run: DryRun,
}

impl ActionInput for ClearUserSessionsIn {}

static CLEAR_USER_SESSIONS: Action = Action {
    name: "clear_user_sessions",
    label: "Clear User Sessions",
    description: "Ends every Okta session of a user, who must then sign in again on every device (for a lost or stolen device, or a suspected account takeover). Optionally also revokes the OAuth tokens issued to them and forgets their remembered devices. Sessions that apps keep themselves are not ended. Okta refuses it for a deactivated user (deactivation already ended everything).",
    resource: "user",
    mutating: true,
    destructive: true,
    carries_credentials: false,
    scopes: &["okta.users.manage"],
    responses: &[
        ResponseShape {
            label: "the sessions are ended",
            sample: r#"{"status": 204, "message": "Every Okta session of the user was ended; they must sign in again.", "userId": "00ub0oNGTSWTBKOLGLNR", "oauthTokensRevoked": false, "devicesForgotten": false}"#,
            kind: ShapeKind::Wrapper,
        },
        DRY_RUN_RESPONSE,
    ],
    example: r#"{"userId": "jordan.lee@example.com", "revokeOAuthTokens": true}"#,
    handler: &Handler(clear_user_sessions),
};

fn clear_user_sessions(ctx: &ActionContext, input: ClearUserSessionsIn) -> ActionFuture<'_> {
    value(async move {
        let (tokens, devices) = (input.revoke_oauth_tokens, input.forget_devices);
        let mut also = String::new();
        if tokens {
            also.push_str(" Their OAuth tokens were revoked.");
        }
        if devices {
            also.push_str(" Their remembered devices were forgotten.");
        }
        if input.dry_run.on() {
            let user = ctx.find_user(input.user_id.as_str()).await?;
            let status = user
                .get("status")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if status == "DEPROVISIONED" {
                let mut error = ApiError::new(ErrorStatus::InvalidState).with_message(
                    "The user is deactivated: Okta has already ended their sessions.",
                );
                error.details.user_status = Some(status.to_owned());
                return Err(error);
            }
            let message = format!(
                "Would end every Okta session of user {} (status {status}).{}",
                login(&user),
                also.replace(" were ", " would be ")
            );
            return Ok(dry_run(message, user));
        }
        let id = ctx.user_id(input.user_id.as_str()).await?;
        // Ending sessions twice ends them once: safe to repeat.
        let request = OktaRequest::new(
            Method::DELETE,
            ctx.user_path(&id)?.fixed("sessions"),
            "users/{id}/sessions",
        )
        .query("oauthTokens", tokens)
        .query("forgetDevices", devices)
        .retry(Retry::Idempotent);
        ctx.call_for_user(request, &id).await?;
        Ok(json!({
            "status": 204,
            "message": format!("Every Okta session of the user was ended; they must sign in again.{also}"),
            "userId": id,
            "oauthTokensRevoked": tokens,
            "devicesForgotten": devices,
        }))
    })
}
