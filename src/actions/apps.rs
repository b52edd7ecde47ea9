//! Application actions: read an app, assign it to a user, unassign it.

use reqwest::Method;
use serde_json::json;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::fields::{DryRun, Reference, UserRef};
use super::users::dry_run;
use super::{
    Action, ActionContext, ActionFuture, ActionInput, DRY_RUN_RESPONSE, Handler, ResponseShape,
    ShapeKind, shape_response, value,
};
use crate::error::ApiError;
use crate::okta::client::{OktaPath, OktaRequest, Retry};

pub static ACTIONS: &[&Action] = &[
    &GET_APPLICATION,
    &ASSIGN_APP_TO_USER,
    &UNASSIGN_APP_FROM_USER,
];

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AppIn {
    /// The application's Okta id.
    #[schemars(extend("x-audit-target" = true))]
    app_id: Reference,
}

impl ActionInput for AppIn {}

/// The only kind of assignment this action makes.
#[derive(Debug, Default, Deserialize, Serialize, JsonSchema)]
enum AssignmentScope {
    #[default]
    #[serde(rename = "USER")]
    User,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AssignAppIn {
    /// The application's Okta id.
    #[schemars(extend("x-audit-target" = true))]
    app_id: Reference,
    /// The user's Okta id, or their login (resolved to the id with one lookup).
    #[schemars(extend("x-audit-target" = true))]
    user_id: UserRef,
    /// USER, a direct assignment (the only kind this action makes). GROUP assignments come from assigning the application to a group (group-to-app assignment), not from this action.
    #[serde(default)]
    #[schemars(extend("x-problem" = "must be USER: GROUP assignments come from a group-to-app assignment (assign the application to one of the user's groups); this action only makes direct USER assignments"))]
    scope: AssignmentScope,
}

impl ActionInput for AssignAppIn {}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UnassignAppIn {
    /// The application's Okta id.
    #[schemars(extend("x-audit-target" = true))]
    app_id: Reference,
    /// The user's Okta id, or their login (resolved to the id with one lookup).
    #[schemars(extend("x-audit-target" = true))]
    user_id: UserRef,
    #[serde(default)]
    dry_run: DryRun,
}

impl ActionInput for UnassignAppIn {}

pub(super) fn app_path(ctx: &ActionContext, app: &Reference) -> Result<OktaPath, ApiError> {
    OktaPath::new("/api/v1/apps")
        .value(app.as_str())
        .map_err(|e| ctx.map(e))
}

fn app_user_path(
    ctx: &ActionContext,
    app: &Reference,
    user_id: &str,
) -> Result<OktaPath, ApiError> {
    app_path(ctx, app)?
        .fixed("users")
        .value(user_id)
        .map_err(|e| ctx.map(e))
}

static GET_APPLICATION: Action = Action {
    name: "get_application",
    label: "Get Application",
    description: "Fetches an application by its Okta id: name, label, status, sign-on mode and settings.",
    resource: "application",
    mutating: false,
    destructive: false,
    carries_credentials: false,
    scopes: &["okta.apps.read"],
    responses: &[ResponseShape {
        label: "the application (its settings differ by sign-on mode)",
        sample: r#"{
  "id": "0oabkvBLDEKCNXBMBWKR",
  "name": "template_saml_2_0",
  "label": "Sample SAML App",
  "status": "ACTIVE",
  "created": "2023-06-01T08:00:00.000Z",
  "lastUpdated": "2024-05-15T10:00:00.000Z",
  "signOnMode": "SAML_2_0",
  "settings": {
    "app": {
      "audienceRestriction": "https://www.example.com/audience",
      "postBackURL": "https://www.example.com/sso/saml"
    }
  }
}"#,
        kind: ShapeKind::OktaTop,
    }],
    example: r#"{"appId": "0oabkvBLDEKCNXBMBWKR"}"#,
    handler: &Handler(get_application),
};

fn get_application(ctx: &ActionContext, input: AppIn) -> ActionFuture<'_> {
    Box::pin(async move {
        let request = OktaRequest::get(app_path(ctx, &input.app_id)?, "apps/{id}");
        ctx.call_shaped(request, &GET_APPLICATION.responses[0])
            .await
    })
}

static ASSIGN_APP_TO_USER: Action = Action {
    name: "assign_app_to_user",
    label: "Assign App to User",
    description: "Assigns an application to a user, granting them access to it.",
    resource: "application",
    mutating: true,
    destructive: false,
    carries_credentials: false,
    scopes: &["okta.apps.manage", "okta.users.read"],
    responses: &[ResponseShape {
        label: "the application user (the assignment)",
        sample: r#"{
  "id": "00ub0oNGTSWTBKOLGLNR",
  "externalId": null,
  "created": "2024-05-29T11:00:00.000Z",
  "lastUpdated": "2024-05-29T11:00:00.000Z",
  "scope": "USER",
  "status": "ACTIVE",
  "syncState": "DISABLED",
  "credentials": {"userName": "jordan.lee@example.com"}
}"#,
        kind: ShapeKind::Okta,
    }],
    example: r#"{"appId": "0oabkvBLDEKCNXBMBWKR", "userId": "00uc1pExGOQAVXZSMATP", "scope": "USER"}"#,
    handler: &Handler(assign_app_to_user),
};

fn assign_app_to_user(ctx: &ActionContext, input: AssignAppIn) -> ActionFuture<'_> {
    value(async move {
        let user_id = ctx.user_id(input.user_id.as_str()).await?;
        let path = app_path(ctx, &input.app_id)?.fixed("users");
        let request = OktaRequest::new(Method::POST, path, "apps/{id}/users").json(json!({
            "id": user_id,
            "scope": input.scope,
        }));
        let app_user = ctx.call_json_for_user(request, &user_id).await?;
        Ok(shape_response(app_user, &ASSIGN_APP_TO_USER.responses[0]))
    })
}

static UNASSIGN_APP_FROM_USER: Action = Action {
    name: "unassign_app_from_user",
    label: "Unassign App from User",
    description: "Removes an application from a user, revoking their access; the app's profile for the user is lost.",
    resource: "application",
    mutating: true,
    destructive: true,
    carries_credentials: false,
    scopes: &["okta.apps.manage", "okta.users.read"],
    responses: &[
        ResponseShape {
            label: "the application is unassigned",
            sample: r#"{"status": 204, "message": "Application successfully unassigned from user.", "userId": "00ub0oNGTSWTBKOLGLNR", "appId": "0oabkvBLDEKCNXBMBWKR"}"#,
            kind: ShapeKind::Wrapper,
        },
        DRY_RUN_RESPONSE,
    ],
    example: r#"{"appId": "0oabkvBLDEKCNXBMBWKR", "userId": "00ub0oNGTSWTBKOLGLNR"}"#,
    handler: &Handler(unassign_app_from_user),
};

fn unassign_app_from_user(ctx: &ActionContext, input: UnassignAppIn) -> ActionFuture<'_> {
    value(async move {
        let user_id = ctx.user_id(input.user_id.as_str()).await?;
        let path = app_user_path(ctx, &input.app_id, &user_id)?;
        if input.dry_run.on() {
            let assignment = ctx
                .call_json(OktaRequest::get(path, "apps/{id}/users"))
                .await?;
            let message = format!(
                "Would unassign application {} from user {user_id}.",
                input.app_id.as_str()
            );
            return Ok(dry_run(message, assignment));
        }
        let request =
            OktaRequest::new(Method::DELETE, path, "apps/{id}/users").retry(Retry::Idempotent);
        ctx.call(request).await?;
        Ok(json!({
            "status": 204,
            "message": "Application successfully unassigned from user.",
            "userId": user_id,
            "appId": input.app_id.as_str(),
        }))
    })
}
