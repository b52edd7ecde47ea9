//! User actions: create, read, update, delete and the lifecycle operations.

use reqwest::Method;
use secrecy::ExposeSecret;
use serde_json::{Map, Value, json};

use schemars::JsonSchema;
use serde::Deserialize;

use super::context::object;
use super::fields::{DryRun, Password, UserRef};
use super::{
    Action, ActionContext, ActionFuture, ActionInput, DRY_RUN_RESPONSE, Handler, ResponseShape,
    ShapeKind, sample, shape, shape_response, value,
};
use crate::error::{ApiError, ErrorStatus};
use crate::okta::client::{OktaPath, OktaRequest, Retry};
use crate::params::{EMAIL as EMAIL_ADDRESS, NON_BLANK, TRIMMED};

pub static ACTIONS: &[&Action] = &[
    &CREATE_USER,
    &GET_USER,
    &UPDATE_USER,
    &DELETE_USER,
    &ACTIVATE_USER,
    &DEACTIVATE_USER,
    &SUSPEND_USER,
    &UNSUSPEND_USER,
    &UNLOCK_USER,
    &RESET_PASSWORD,
    &EXPIRE_PASSWORD,
    &CHANGE_PASSWORD,
];

pub(super) const NOT_AN_EMAIL: &str = "must be an email address such as jordan.lee@example.com";

/// `{userId}`: the input of the lifecycle actions that take nothing else.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UserIn {
    /// The user's Okta id, or their login (resolved to the id where Okta needs one).
    #[schemars(extend("x-audit-target" = true))]
    user_id: UserRef,
}

impl ActionInput for UserIn {}

/// `{userId, sendEmail}`: a lifecycle action whose link Okta emails or the gateway returns.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UserLinkIn {
    /// The user's Okta id, or their login (resolved to the id where Okta needs one).
    #[schemars(extend("x-audit-target" = true))]
    user_id: UserRef,
    /// true: Okta emails the link to the user and the response carries no link; false: the link is returned in the response.
    #[serde(default)]
    send_email: bool,
}

impl ActionInput for UserLinkIn {}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SuspendUserIn {
    /// The user's Okta id, or their login (resolved to the id where Okta needs one).
    #[schemars(extend("x-audit-target" = true))]
    user_id: UserRef,
    #[serde(default)]
    dry_run: DryRun,
}

impl ActionInput for SuspendUserIn {}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ResetPasswordIn {
    /// The user's Okta id, or their login (resolved to the id where Okta needs one).
    #[schemars(extend("x-audit-target" = true))]
    user_id: UserRef,
    /// true: Okta emails the link to the user and the response carries no link; false: the link is returned in the response.
    #[serde(default)]
    send_email: bool,
    #[serde(default)]
    dry_run: DryRun,
}

impl ActionInput for ResetPasswordIn {}

// Okta's profile limits (UserProfile in Okta's spec). Okta trims values before checking them.
// The login's format is the org's profile-schema setting (an email address by default).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateUserIn {
    /// The user's first name.
    #[schemars(length(min = 1, max = 50), regex(pattern = NON_BLANK), extend("x-problem" = "must not be blank"))]
    first_name: String,
    /// The user's last name.
    #[schemars(length(min = 1, max = 50), regex(pattern = NON_BLANK), extend("x-problem" = "must not be blank"))]
    last_name: String,
    /// The user's primary email address.
    #[schemars(length(min = 5, max = 100), regex(pattern = EMAIL_ADDRESS), extend("x-problem" = NOT_AN_EMAIL))]
    email: String,
    /// The login, usually the email address; unique in the org.
    #[schemars(length(min = 5, max = 100), regex(pattern = TRIMMED), extend("x-problem" = "must not start or end with white space", "x-audit-target" = true))]
    login: String,
    /// The user's mobile phone number.
    #[schemars(length(min = 1, max = 100))]
    mobile_phone: Option<String>,
    /// An alternate email address.
    #[schemars(length(min = 5, max = 100), regex(pattern = EMAIL_ADDRESS), extend("x-problem" = NOT_AN_EMAIL))]
    second_email: Option<String>,
    /// Activate the user immediately. Okta's own default is true; the gateway always sends the value explicitly.
    #[serde(default)]
    activate: bool,
}

impl ActionInput for CreateUserIn {}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
enum SearchBy {
    Id,
    Login,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GetUserIn {
    /// Look the user up by their Okta id or by their login.
    search_by: SearchBy,
    /// The id or login to look up.
    search_value: UserRef,
}

impl ActionInput for GetUserIn {}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UpdateUserIn {
    /// The user's Okta id or login.
    #[schemars(extend("x-audit-target" = true))]
    user_id_or_login: UserRef,
    /// The user's first name.
    #[schemars(length(min = 1, max = 50), regex(pattern = NON_BLANK), extend("x-problem" = "must not be blank"))]
    first_name: Option<String>,
    /// The user's last name.
    #[schemars(length(min = 1, max = 50), regex(pattern = NON_BLANK), extend("x-problem" = "must not be blank"))]
    last_name: Option<String>,
    /// The user's primary email address.
    #[schemars(length(min = 5, max = 100), regex(pattern = EMAIL_ADDRESS), extend("x-problem" = NOT_AN_EMAIL))]
    email: Option<String>,
    /// The user's mobile phone number.
    #[schemars(length(min = 1, max = 100))]
    mobile_phone: Option<String>,
    /// An alternate email address.
    #[schemars(length(min = 5, max = 100), regex(pattern = EMAIL_ADDRESS), extend("x-problem" = NOT_AN_EMAIL))]
    second_email: Option<String>,
}

impl ActionInput for UpdateUserIn {}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DeleteUserIn {
    /// The user's Okta id or login.
    #[schemars(extend("x-audit-target" = true))]
    user_id_or_login: UserRef,
    /// Okta sends a deactivation email to the org's administrator (not to the user).
    #[serde(default)]
    send_email: bool,
    #[serde(default)]
    dry_run: DryRun,
}

impl ActionInput for DeleteUserIn {}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DeactivateUserIn {
    /// The user's Okta id, or their login (resolved to the id where Okta needs one).
    #[schemars(extend("x-audit-target" = true))]
    user_id: UserRef,
    #[serde(default)]
    dry_run: DryRun,
}

impl ActionInput for DeactivateUserIn {}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ChangePasswordIn {
    /// The user's Okta id, or their login (resolved to the id where Okta needs one).
    #[schemars(extend("x-audit-target" = true))]
    user_id: UserRef,
    /// The current password, as {"value": "..."}.
    old_password: Password,
    /// The new password, as {"value": "..."}.
    new_password: Password,
    #[serde(default)]
    dry_run: DryRun,
}

impl ActionInput for ChangePasswordIn {}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ExpirePasswordIn {
    /// The user's Okta id, or their login (resolved to the id where Okta needs one).
    #[schemars(extend("x-audit-target" = true))]
    user_id: UserRef,
    /// true: Okta replaces the password with a temporary one, returned here for the user to sign in with. false: the user keeps their current password and must change it at their next sign-in (a user without an Okta password cannot be expired this way).
    #[serde(default = "yes")]
    temp_password: bool,
    #[serde(default)]
    dry_run: DryRun,
}

impl ActionInput for ExpirePasswordIn {}

fn yes() -> bool {
    true
}

pub(super) const USER_SAMPLE: &str = r#"{
  "id": "00ub0oNGTSWTBKOLGLNR",
  "status": "ACTIVE",
  "created": "2024-01-15T10:30:00.000Z",
  "activated": "2024-01-15T10:35:00.000Z",
  "lastLogin": "2024-05-20T08:12:00.000Z",
  "lastUpdated": "2024-05-20T08:12:00.000Z",
  "passwordChanged": "2024-02-01T09:00:00.000Z",
  "profile": {
    "firstName": "Jordan",
    "lastName": "Lee",
    "email": "jordan.lee@example.com",
    "login": "jordan.lee@example.com",
    "mobilePhone": "+1-555-123-4567",
    "secondEmail": null
  },
  "credentials": {
    "password": {},
    "provider": {"type": "OKTA", "name": "OKTA"}
  }
}"#;

const STATUS_SAMPLE: &str = r#"{"status": 200, "message": "User successfully deactivated.", "userId": "00ub0oNGTSWTBKOLGLNR", "userStatus": "DEPROVISIONED"}"#;
const EMAIL_SENT_SAMPLE: &str = r#"{"status": 200, "message": "Activation email sent to the user.", "userId": "00ub0oNGTSWTBKOLGLNR", "operation": "activate"}"#;

static CREATE_USER: Action = Action {
    name: "create_user",
    label: "Create User",
    description: "Creates a new user in Okta, optionally activating them at once (activation without a password makes the user PROVISIONED and Okta emails them an activation link).",
    resource: "user",
    mutating: true,
    destructive: false,
    carries_credentials: false,
    scopes: &["okta.users.manage"],
    responses: &[ResponseShape {
        label: "the created user",
        sample: r#"{
  "id": "00ub0oNGTSWTBKOLGLNR",
  "status": "STAGED",
  "created": "2024-01-15T10:30:00.000Z",
  "activated": null,
  "lastLogin": null,
  "lastUpdated": "2024-01-15T10:30:00.000Z",
  "passwordChanged": null,
  "profile": {
    "firstName": "Jordan",
    "lastName": "Lee",
    "email": "jordan.lee@example.com",
    "login": "jordan.lee@example.com",
    "mobilePhone": "+1-555-123-4567",
    "secondEmail": null
  },
  "credentials": {"provider": {"type": "OKTA", "name": "OKTA"}}
}"#,
        kind: ShapeKind::Okta,
    }],
    example: r#"{"firstName": "Alex", "lastName": "Kim", "email": "alex.kim@example.com", "login": "alex.kim@example.com", "mobilePhone": "+1-555-010-2030", "activate": false}"#,
    handler: &Handler(create_user),
};

fn create_user(ctx: &ActionContext, input: CreateUserIn) -> ActionFuture<'_> {
    Box::pin(async move {
        let mut profile = Map::new();
        for (field, value) in [
            ("firstName", Some(input.first_name)),
            ("lastName", Some(input.last_name)),
            ("email", Some(input.email)),
            ("login", Some(input.login)),
            ("mobilePhone", input.mobile_phone),
            ("secondEmail", input.second_email),
        ] {
            if let Some(value) = value {
                profile.insert(field.to_owned(), json!(value));
            }
        }
        let request = OktaRequest::new(Method::POST, OktaPath::new("/api/v1/users"), "users")
            .query("activate", input.activate)
            .json(json!({ "profile": profile }));
        ctx.call_shaped(request, &CREATE_USER.responses[0]).await
    })
}

static GET_USER: Action = Action {
    name: "get_user",
    label: "Get User",
    description: "Fetches a user's full profile by Okta user id or by login.",
    resource: "user",
    mutating: false,
    destructive: false,
    carries_credentials: false,
    scopes: &["okta.users.read"],
    responses: &[ResponseShape {
        label: "the user",
        sample: USER_SAMPLE,
        kind: ShapeKind::Okta,
    }],
    example: r#"{"searchBy": "login", "searchValue": "jordan.lee@example.com"}"#,
    handler: &Handler(get_user),
};

fn get_user(ctx: &ActionContext, input: GetUserIn) -> ActionFuture<'_> {
    Box::pin(async move {
        let value = input.search_value.as_str();
        if let SearchBy::Login = input.search_by {
            let user = ctx.find_user(value).await?;
            return Ok(shape_response(user, &GET_USER.responses[0]).into());
        }
        if value.contains(['/', '?']) {
            // No Okta id contains these, and Okta cannot take them in a user path.
            return Err(ApiError::not_found("user", "No Okta user has this id."));
        }
        let request = OktaRequest::get(ctx.user_path(value)?, "users/{id}");
        ctx.call_shaped(request, &GET_USER.responses[0]).await
    })
}

static UPDATE_USER: Action = Action {
    name: "update_user",
    label: "Update User",
    description: "Updates profile fields of an existing user; only the fields given change (a partial update), all others stay as they are.",
    resource: "user",
    mutating: true,
    destructive: false,
    carries_credentials: false,
    scopes: &["okta.users.manage"],
    responses: &[ResponseShape {
        label: "the updated user",
        sample: r#"{
  "id": "00ub0oNGTSWTBKOLGLNR",
  "status": "ACTIVE",
  "created": "2024-01-15T10:30:00.000Z",
  "lastUpdated": "2024-05-29T11:00:00.000Z",
  "profile": {
    "firstName": "Jordan",
    "lastName": "Lee-Smith",
    "email": "jordan.lee@example.com",
    "login": "jordan.lee@example.com",
    "mobilePhone": "+1-555-999-8888",
    "secondEmail": "jordan.alt@example.com"
  }
}"#,
        kind: ShapeKind::Okta,
    }],
    example: r#"{"userIdOrLogin": "00ub0oNGTSWTBKOLGLNR", "lastName": "Lee-Smith", "mobilePhone": "+1-555-999-8888"}"#,
    handler: &Handler(update_user),
};

fn update_user(ctx: &ActionContext, input: UpdateUserIn) -> ActionFuture<'_> {
    value(async move {
        let mut profile = Map::new();
        for (field, value) in [
            ("firstName", input.first_name),
            ("lastName", input.last_name),
            ("email", input.email),
            ("mobilePhone", input.mobile_phone),
            ("secondEmail", input.second_email),
        ] {
            if let Some(value) = value {
                profile.insert(field.to_owned(), json!(value));
            }
        }
        if profile.is_empty() {
            return Err(ApiError::invalid_field(
                "body",
                "give at least one of firstName, lastName, email, mobilePhone, secondEmail",
            ));
        }
        let segment = ctx.user_segment(input.user_id_or_login.as_str()).await?;
        // POST is Okta's partial update; PUT would delete every profile field not sent.
        let request = OktaRequest::new(Method::POST, ctx.user_path(&segment)?, "users/{id}")
            .json(json!({ "profile": profile }));
        match ctx
            .session
            .call_json(&request)
            .await
            .and_then(|v| object(v, &request))
        {
            Ok(user) => Ok(shape_response(user, &UPDATE_USER.responses[0])),
            // A DEPROVISIONED (E0000038) or still activating (E0000112) user.
            Err(err) => Err(ctx.with_user_status(ctx.map(err), &segment).await),
        }
    })
}

static DELETE_USER: Action = Action {
    name: "delete_user",
    label: "Delete User",
    description: "Deactivates (if needed) and permanently deletes a user. Irreversible: put a confirmation step (dryRun) before it.",
    resource: "user",
    mutating: true,
    destructive: true,
    carries_credentials: false,
    scopes: &["okta.users.manage"],
    responses: &[
        ResponseShape {
            label: "the user is deleted",
            sample: r#"{"status": 204, "message": "User successfully deactivated and deleted."}"#,
            kind: ShapeKind::Wrapper,
        },
        DRY_RUN_RESPONSE,
    ],
    example: r#"{"userIdOrLogin": "priya.sharma@example.com"}"#,
    handler: &Handler(delete_user),
};

fn delete_user(ctx: &ActionContext, input: DeleteUserIn) -> ActionFuture<'_> {
    value(async move {
        let user = ctx.find_user(input.user_id_or_login.as_str()).await?;
        let id = str_field(&user, "id")?;
        let status = user
            .get("status")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if input.dry_run.on() {
            let message = if status == "DEPROVISIONED" {
                format!("Would delete user {} (already deactivated).", login(&user))
            } else {
                format!(
                    "Would deactivate and delete user {} (status {status}).",
                    login(&user)
                )
            };
            return Ok(dry_run(message, user));
        }
        let path = ctx.user_path(&id)?;
        let send_email = input.send_email;
        if status != "DEPROVISIONED" {
            // The first phase: never repeated, it may have reached Okta. Okta's email to the
            // admin hangs on the deactivation, so sendEmail goes here too.
            let deactivate = OktaRequest::new(
                Method::POST,
                path.clone().fixed("lifecycle/deactivate"),
                "users/{id}/lifecycle",
            )
            .query("sendEmail", send_email);
            if let Err(err) = ctx.session.call(&deactivate).await {
                return Err(ctx.with_user_status(ctx.map(err), &id).await);
            }
        }
        // The second phase: deleting a deactivated user twice cannot change the outcome.
        let delete = OktaRequest::new(Method::DELETE, path, "users/{id}")
            .query("sendEmail", send_email)
            .retry(Retry::Idempotent);
        match ctx.session.call(&delete).await {
            Ok(_) => {}
            Err(crate::okta::OktaError::Api { status: 404, .. }) => {}
            Err(err) => return Err(half_done_delete(ctx.map(err), &user)),
        }
        Ok(json!({"status": 204, "message": "User successfully deactivated and deleted."}))
    })
}

/// The delete phase failed after the user was deactivated: say so, and that a repeat finishes
/// the job (it then only deletes).
fn half_done_delete(mut error: ApiError, user: &Value) -> ApiError {
    error.details.user_status = Some("DEPROVISIONED".to_owned());
    let login = login(user);
    let message = if error.details.outcome_unknown == Some(true) {
        format!(
            "User {login} is deactivated (DEPROVISIONED); the answer to the delete step was lost, so the user may or may not be deleted."
        )
    } else {
        format!(
            "User {login} is deactivated (DEPROVISIONED) but not deleted: the delete step failed. {}",
            error.message.trim_end()
        )
    };
    error.with_message(message).with_how_to_fix(
        "Repeat delete_user for this user: it is already deactivated, so the repeat only deletes it and finishes the job (a user that was deleted after all is then reported as not found).",
    )
}

static ACTIVATE_USER: Action = Action {
    name: "activate_user",
    label: "Activate User",
    description: "Activates a STAGED or DEPROVISIONED user. A PROVISIONED user (activated without a password, welcome email lost) gets a new activation link instead (Okta's reactivate); `operation` says which ran. With sendEmail false the activation link is returned for the flow to share; with true Okta emails it to the user.",
    resource: "user",
    mutating: true,
    destructive: false,
    carries_credentials: true,
    scopes: &["okta.users.manage"],
    responses: &[
        ResponseShape {
            label: "sendEmail false: the activation link and token",
            sample: r#"{"activationUrl": "https://dev-12345.okta.com/welcome/XE6wE17zmphl3KqAPFxO", "activationToken": "XE6wE17zmphl3KqAPFxO", "operation": "activate"}"#,
            kind: ShapeKind::Okta,
        },
        ResponseShape {
            label: "sendEmail true: Okta emailed the link",
            sample: EMAIL_SENT_SAMPLE,
            kind: ShapeKind::Wrapper,
        },
    ],
    example: r#"{"userId": "00ustagedSAMRIVERA01", "sendEmail": false}"#,
    handler: &Handler(activate_user),
};

fn activate_user(ctx: &ActionContext, input: UserLinkIn) -> ActionFuture<'_> {
    value(async move {
        let send_email = input.send_email;
        let user = &input.user_id;
        let activate = lifecycle(ctx, user, "lifecycle/activate", Some(send_email), false).await;
        let (operation, (id, body)) = match activate {
            Ok(done) => ("activate", done),
            // Activated without a password and the welcome email lost: Okta only re-sends
            // activation to a PROVISIONED user through reactivate (NOTES.md §3).
            Err(error) if error.details.user_status.as_deref() == Some("PROVISIONED") => {
                let op = "lifecycle/reactivate";
                (
                    "reactivate",
                    lifecycle(ctx, user, op, Some(send_email), false).await?,
                )
            }
            Err(error) => return Err(error),
        };
        if send_email {
            let message = match operation {
                "activate" => "Activation email sent to the user.",
                _ => "A new activation email was sent to the user (already PROVISIONED).",
            };
            return Ok(
                json!({"status": 200, "message": message, "userId": id, "operation": operation}),
            );
        }
        let mut shaped = shape_response(body, &ACTIVATE_USER.responses[0]);
        shaped["operation"] = json!(operation);
        Ok(shaped)
    })
}

/// Deactivate, suspend, unsuspend and unlock answer `{}`; the wrapper says what happened.
struct StatusChange {
    op: &'static str,
    message: &'static str,
    user_status: &'static str,
    /// Okta refuses suspend/unsuspend in the wrong status with E0000001 (NOTES.md §3).
    e0000001_is_state: bool,
}

async fn change_status(
    ctx: &ActionContext,
    user: &UserRef,
    change: StatusChange,
) -> Result<Value, ApiError> {
    let (id, _) = lifecycle(ctx, user, change.op, None, change.e0000001_is_state).await?;
    Ok(json!({
        "status": 200,
        "message": change.message,
        "userId": id,
        "userStatus": change.user_status,
    }))
}

/// `POST /api/v1/users/{id}/{op}` for the user named by `user`, resolved to the Okta id
/// (the wrappers return it): never repeated; a refusal for the user's status gets the status
/// added. Returns the id and Okta's answer.
pub(super) async fn lifecycle(
    ctx: &ActionContext,
    user: &UserRef,
    op: &'static str,
    send_email: Option<bool>,
    e0000001_is_state: bool,
) -> Result<(String, Value), ApiError> {
    let id = ctx.user_id(user.as_str()).await?;
    let mut request = OktaRequest::new(
        Method::POST,
        ctx.user_path(&id)?.fixed(op),
        "users/{id}/lifecycle",
    );
    if let Some(send_email) = send_email {
        request = request.query("sendEmail", send_email);
    }
    match ctx
        .session
        .call_json(&request)
        .await
        .and_then(|v| object(v, &request))
    {
        Ok(body) => Ok((id, body)),
        Err(err) => Err(ctx
            .with_user_status(ctx.map_with(err, e0000001_is_state), &id)
            .await),
    }
}

static DEACTIVATE_USER: Action = Action {
    name: "deactivate_user",
    label: "Deactivate User",
    description: "Deactivates a user (status DEPROVISIONED): they lose access to every Okta app.",
    resource: "user",
    mutating: true,
    destructive: true,
    carries_credentials: false,
    scopes: &["okta.users.manage"],
    responses: &[
        ResponseShape {
            label: "the user is deactivated",
            sample: STATUS_SAMPLE,
            kind: ShapeKind::Wrapper,
        },
        DRY_RUN_RESPONSE,
    ],
    example: r#"{"userId": "00uc1pExGOQAVXZSMATP"}"#,
    handler: &Handler(deactivate_user),
};

fn deactivate_user(ctx: &ActionContext, input: DeactivateUserIn) -> ActionFuture<'_> {
    value(async move {
        if input.dry_run.on() {
            let user = ctx.find_user(input.user_id.as_str()).await?;
            let status = user
                .get("status")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if status == "DEPROVISIONED" {
                let mut error = ApiError::new(ErrorStatus::InvalidState)
                    .with_message("The user is already deactivated.");
                error.details.user_status = Some(status.to_owned());
                return Err(error);
            }
            let message = format!("Would deactivate user {} (status {status}).", login(&user));
            return Ok(dry_run(message, user));
        }
        change_status(
            ctx,
            &input.user_id,
            StatusChange {
                op: "lifecycle/deactivate",
                message: "User successfully deactivated.",
                user_status: "DEPROVISIONED",
                e0000001_is_state: false,
            },
        )
        .await
    })
}

static SUSPEND_USER: Action = Action {
    name: "suspend_user",
    label: "Suspend User",
    description: "Suspends an ACTIVE user: they cannot sign in, but their account and data are kept.",
    resource: "user",
    mutating: true,
    destructive: true,
    carries_credentials: false,
    scopes: &["okta.users.manage"],
    responses: &[
        ResponseShape {
            label: "the user is suspended",
            sample: r#"{"status": 200, "message": "User successfully suspended.", "userId": "00ub0oNGTSWTBKOLGLNR", "userStatus": "SUSPENDED"}"#,
            kind: ShapeKind::Wrapper,
        },
        DRY_RUN_RESPONSE,
    ],
    example: r#"{"userId": "00ub0oNGTSWTBKOLGLNR"}"#,
    handler: &Handler(suspend_user),
};

fn suspend_user(ctx: &ActionContext, input: SuspendUserIn) -> ActionFuture<'_> {
    value(async move {
        if input.dry_run.on() {
            let user = ctx.find_user(input.user_id.as_str()).await?;
            // Okta suspends only an ACTIVE user (NOTES.md §3).
            let status = status_in(&user, &["ACTIVE"], "Only an ACTIVE user can be suspended.")?;
            let message = format!(
                "Would suspend user {} (status {status}): they could not sign in until unsuspended.",
                login(&user)
            );
            return Ok(dry_run(message, user));
        }
        change_status(
            ctx,
            &input.user_id,
            StatusChange {
                op: "lifecycle/suspend",
                message: "User successfully suspended.",
                user_status: "SUSPENDED",
                e0000001_is_state: true,
            },
        )
        .await
    })
}

static UNSUSPEND_USER: Action = Action {
    name: "unsuspend_user",
    label: "Unsuspend User",
    description: "Restores a SUSPENDED user to ACTIVE.",
    resource: "user",
    mutating: true,
    destructive: false,
    carries_credentials: false,
    scopes: &["okta.users.manage"],
    responses: &[ResponseShape {
        label: "the user is active again",
        sample: r#"{"status": 200, "message": "User successfully unsuspended.", "userId": "00ub0oNGTSWTBKOLGLNR", "userStatus": "ACTIVE"}"#,
        kind: ShapeKind::Wrapper,
    }],
    example: r#"{"userId": "00ususpendLEEKIM0001"}"#,
    handler: &Handler(unsuspend_user),
};

fn unsuspend_user(ctx: &ActionContext, input: UserIn) -> ActionFuture<'_> {
    value(async move {
        change_status(
            ctx,
            &input.user_id,
            StatusChange {
                op: "lifecycle/unsuspend",
                message: "User successfully unsuspended.",
                user_status: "ACTIVE",
                e0000001_is_state: true,
            },
        )
        .await
    })
}

static UNLOCK_USER: Action = Action {
    name: "unlock_user",
    label: "Unlock User",
    description: "Unlocks a LOCKED_OUT user (too many failed sign-ins) so they can sign in again; also unblocks an ACTIVE user who is blocked from unknown devices.",
    resource: "user",
    mutating: true,
    destructive: false,
    carries_credentials: false,
    scopes: &["okta.users.manage"],
    responses: &[ResponseShape {
        label: "the user is unlocked",
        sample: r#"{"status": 200, "message": "User successfully unlocked.", "userId": "00ub0oNGTSWTBKOLGLNR", "userStatus": "ACTIVE"}"#,
        kind: ShapeKind::Wrapper,
    }],
    example: r#"{"userId": "00ulockedMAYACHEN001"}"#,
    handler: &Handler(unlock_user),
};

fn unlock_user(ctx: &ActionContext, input: UserIn) -> ActionFuture<'_> {
    value(async move {
        change_status(
            ctx,
            &input.user_id,
            StatusChange {
                op: "lifecycle/unlock",
                message: "User successfully unlocked.",
                user_status: "ACTIVE",
                e0000001_is_state: false,
            },
        )
        .await
    })
}

static RESET_PASSWORD: Action = Action {
    name: "reset_password",
    label: "Reset Password",
    description: "Starts a password reset (the user moves to RECOVERY). With sendEmail false the reset link is returned for an admin to share; with true Okta emails it to the user.",
    resource: "user",
    mutating: true,
    destructive: true,
    carries_credentials: true,
    scopes: &["okta.users.manage"],
    responses: &[
        ResponseShape {
            label: "sendEmail false: the reset link",
            sample: r#"{"resetPasswordUrl": "https://dev-12345.okta.com/reset_password/XE6wE17zmphl3KqAPFxO"}"#,
            kind: ShapeKind::Okta,
        },
        ResponseShape {
            label: "sendEmail true: Okta emailed the link",
            sample: r#"{"status": 200, "message": "Password reset email sent to the user.", "userId": "00ub0oNGTSWTBKOLGLNR"}"#,
            kind: ShapeKind::Wrapper,
        },
        DRY_RUN_RESPONSE,
    ],
    example: r#"{"userId": "00ub0oNGTSWTBKOLGLNR", "sendEmail": false}"#,
    handler: &Handler(reset_password),
};

fn reset_password(ctx: &ActionContext, input: ResetPasswordIn) -> ActionFuture<'_> {
    value(async move {
        let send_email = input.send_email;
        if input.dry_run.on() {
            let user = ctx.find_user(input.user_id.as_str()).await?;
            let status = status_in(&user, PASSWORD_STATUSES, NO_PASSWORD_YET)?;
            let link = if send_email {
                "Okta would email the reset link to the user"
            } else {
                "the reset link would be returned"
            };
            let message = format!(
                "Would start a password reset for user {} (status {status}, then RECOVERY); {link}.",
                login(&user)
            );
            return Ok(dry_run(message, user));
        }
        let (id, body) = lifecycle(
            ctx,
            &input.user_id,
            "lifecycle/reset_password",
            Some(send_email),
            false,
        )
        .await?;
        if send_email {
            let message = "Password reset email sent to the user.";
            Ok(json!({"status": 200, "message": message, "userId": id}))
        } else {
            Ok(shape_response(body, &RESET_PASSWORD.responses[0]))
        }
    })
}

static EXPIRE_PASSWORD: Action = Action {
    name: "expire_password",
    label: "Expire Password",
    description: "Expires the user's password at once; the user must choose a new one at their next sign-in (status PASSWORD_EXPIRED). By default Okta also replaces it with a temporary password, returned for the user to sign in with; with tempPassword false the user keeps their current password.",
    resource: "user",
    mutating: true,
    destructive: true,
    carries_credentials: true,
    scopes: &["okta.users.manage"],
    responses: &[
        ResponseShape {
            label: "tempPassword true: the temporary password",
            sample: r#"{"tempPassword": {"value": "TmpP@ssw0rd123"}}"#,
            kind: ShapeKind::Wrapper,
        },
        ResponseShape {
            label: "tempPassword false: the password is expired, the user keeps it",
            sample: r#"{"status": 200, "message": "Password expired: the user must choose a new one at their next sign-in.", "userId": "00ub0oNGTSWTBKOLGLNR", "userStatus": "PASSWORD_EXPIRED"}"#,
            kind: ShapeKind::Wrapper,
        },
        DRY_RUN_RESPONSE,
    ],
    example: r#"{"userId": "00ub0oNGTSWTBKOLGLNR"}"#,
    handler: &Handler(expire_password),
};

fn expire_password(ctx: &ActionContext, input: ExpirePasswordIn) -> ActionFuture<'_> {
    value(async move {
        if input.dry_run.on() {
            let user = ctx.find_user(input.user_id.as_str()).await?;
            let status = status_in(&user, PASSWORD_STATUSES, NO_PASSWORD_YET)?;
            let replaced = if input.temp_password {
                "replaced by a temporary password, returned here"
            } else {
                "kept, to be changed at the next sign-in"
            };
            let message = format!(
                "Would expire the password of user {} (status {status}, then PASSWORD_EXPIRED); the password would be {replaced}.",
                login(&user)
            );
            return Ok(dry_run(message, user));
        }
        if !input.temp_password {
            let op = "lifecycle/expire_password";
            let (id, user) = lifecycle(ctx, &input.user_id, op, None, false).await?;
            // Okta answers the user; its status is what it now is.
            let status = user
                .get("status")
                .and_then(Value::as_str)
                .unwrap_or("PASSWORD_EXPIRED");
            return Ok(json!({
                "status": 200,
                "message": "Password expired: the user must choose a new one at their next sign-in.",
                "userId": id,
                "userStatus": status,
            }));
        }
        let (_, body) = lifecycle(
            ctx,
            &input.user_id,
            "lifecycle/expire_password_with_temp_password",
            None,
            false,
        )
        .await?;
        // Okta answers `{"tempPassword": "…"}`; the seed's shape wraps it in `{value}`.
        let temp = match body.get("tempPassword") {
            Some(Value::String(value)) => value.clone(),
            Some(Value::Object(object)) => object
                .get("value")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            _ => {
                return Err(ApiError::new(ErrorStatus::UpstreamUnavailable)
                    .with_internal("Okta answered without a temporary password"));
            }
        };
        Ok(json!({"tempPassword": {"value": temp}}))
    })
}

static CHANGE_PASSWORD: Action = Action {
    name: "change_password",
    label: "Change Password",
    description: "Changes a user's password, checking their current one. Okta's password policy applies to the new one.",
    resource: "user",
    mutating: true,
    destructive: true,
    carries_credentials: false,
    scopes: &["okta.users.manage"],
    responses: &[
        ResponseShape {
            label: "the user's credentials (Okta never returns password values)",
            sample: r#"{"credentials": {"password": {}, "provider": {"type": "OKTA", "name": "OKTA"}}}"#,
            kind: ShapeKind::Wrapper,
        },
        DRY_RUN_RESPONSE,
    ],
    example: r#"{"userId": "00ub0oNGTSWTBKOLGLNR", "oldPassword": {"value": "Tr0ub4dor-Seed-Pass"}, "newPassword": {"value": "N3w-Str0ng-Passw0rd!"}}"#,
    handler: &Handler(change_password),
};

fn change_password(ctx: &ActionContext, input: ChangePasswordIn) -> ActionFuture<'_> {
    value(async move {
        if input.dry_run.on() {
            let user = ctx.find_user(input.user_id.as_str()).await?;
            let status = user
                .get("status")
                .and_then(Value::as_str)
                .unwrap_or_default();
            // Checking the current password would be the change itself: only the real call does.
            let message = format!(
                "Would change the password of user {} (status {status}) if the current password is right and the new one meets the password policy.",
                login(&user)
            );
            return Ok(dry_run(message, user));
        }
        let (old, new) = (input.old_password.value, input.new_password.value);
        // This path needs the user id, not a login (NOTES.md §5).
        let id = ctx.user_id(input.user_id.as_str()).await?;
        let request = OktaRequest::new(
            Method::POST,
            ctx.user_path(&id)?.fixed("credentials/change_password"),
            "users/{id}/credentials",
        )
        .json(json!({
            "oldPassword": {"value": old.expose_secret()},
            "newPassword": {"value": new.expose_secret()},
        }));
        match ctx
            .session
            .call_json(&request)
            .await
            .and_then(|v| object(v, &request))
        {
            Ok(credentials) => {
                let template = sample(&CHANGE_PASSWORD.responses[0]);
                Ok(json!({"credentials": shape(credentials, &template["credentials"])}))
            }
            Err(err) => Err(ctx.with_user_status(ctx.map(err), &id).await),
        }
    })
}

/// The statuses whose password Okta resets or expires (NOTES.md §3: not STAGED or
/// DEPROVISIONED).
const PASSWORD_STATUSES: &[&str] = &[
    "ACTIVE",
    "PROVISIONED",
    "RECOVERY",
    "LOCKED_OUT",
    "PASSWORD_EXPIRED",
    "SUSPENDED",
];
const NO_PASSWORD_YET: &str = "A STAGED or DEPROVISIONED user has no password to reset or expire.";

/// A dry run's status check: the user's status if the real call accepts it, else the
/// INVALID_STATE refusal the real call would answer.
fn status_in<'a>(user: &'a Value, allowed: &[&str], refusal: &str) -> Result<&'a str, ApiError> {
    let status = user
        .get("status")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if allowed.contains(&status) {
        return Ok(status);
    }
    let mut error = ApiError::new(ErrorStatus::InvalidState)
        .with_message(format!("{refusal} The user's status is {status}."));
    error.details.user_status = Some(status.to_owned());
    Err(error)
}

/// The dry-run preview; the target as Okta has it, without its HAL links.
pub(super) fn dry_run(message: String, target: Value) -> Value {
    json!({"dryRun": true, "message": message, "target": shape(target, &json!({}))})
}

pub(super) fn login(user: &Value) -> &str {
    user.pointer("/profile/login")
        .and_then(Value::as_str)
        .or_else(|| user.get("id").and_then(Value::as_str))
        .unwrap_or("?")
}

pub(super) fn str_field(object: &Value, key: &str) -> Result<String, ApiError> {
    object
        .get(key)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| {
            ApiError::new(ErrorStatus::UpstreamUnavailable)
                .with_internal(format!("Okta's answer lacks '{key}'"))
        })
}
