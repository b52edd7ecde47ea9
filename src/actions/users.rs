//! User actions: create, read, update, delete and the lifecycle operations.

use reqwest::Method;
use secrecy::ExposeSecret;
use serde_json::{Map, Value, json};

use super::context::object;
use super::{
    Action, ActionContext, ActionFuture, DRY_RUN, DRY_RUN_RESPONSE, ResponseShape, ShapeKind,
    sample, shape, shape_response, user_reference, value,
};
use crate::error::{ApiError, ErrorStatus};
use crate::okta::client::{OktaPath, OktaRequest, Retry};
use crate::params::{DefaultValue, EMAIL as EMAIL_ADDRESS, Input, Kind, NON_BLANK, Param, TRIMMED};

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

const fn text(name: &'static str, min: u32, max: u32, description: &'static str) -> Param {
    Param::new(
        name,
        Kind::String {
            min,
            max,
            pattern: None,
        },
        description,
    )
}

const USER_ID: Param = user_reference(
    "userId",
    "The user's Okta id, or their login (resolved to the id where Okta needs one).",
);
const SEND_EMAIL_TO_USER: Param = Param::new(
    "sendEmail",
    Kind::Boolean,
    "true: Okta emails the link to the user and the response carries no link; false: the link is returned in the response.",
)
.default(DefaultValue::Bool(false));

const fn patterned(
    name: &'static str,
    (min, max): (u32, u32),
    pattern: (&'static str, &'static str),
    description: &'static str,
) -> Param {
    Param::new(
        name,
        Kind::String {
            min,
            max,
            pattern: Some(pattern),
        },
        description,
    )
}

// Okta's profile limits (UserProfile in Okta's spec). Okta trims values before checking them.
const FIRST_NAME: Param = patterned(
    "firstName",
    (1, 50),
    (NON_BLANK, "must not be blank"),
    "The user's first name.",
);
const LAST_NAME: Param = patterned(
    "lastName",
    (1, 50),
    (NON_BLANK, "must not be blank"),
    "The user's last name.",
);
const NOT_AN_EMAIL: &str = "must be an email address such as jordan.lee@example.com";
const EMAIL: Param = patterned(
    "email",
    (5, 100),
    (EMAIL_ADDRESS, NOT_AN_EMAIL),
    "The user's primary email address.",
);
// The login's format is the org's profile-schema setting (an email address by default).
const LOGIN: Param = patterned(
    "login",
    (5, 100),
    (TRIMMED, "must not start or end with white space"),
    "The login, usually the email address; unique in the org.",
);
const MOBILE_PHONE: Param = text("mobilePhone", 1, 100, "The user's mobile phone number.");
const SECOND_EMAIL: Param = patterned(
    "secondEmail",
    (5, 100),
    (EMAIL_ADDRESS, NOT_AN_EMAIL),
    "An alternate email address.",
);
const PROFILE_FIELDS: [&str; 5] = [
    "firstName",
    "lastName",
    "email",
    "mobilePhone",
    "secondEmail",
];

const USER_SAMPLE: &str = r#"{
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
    params: &[
        FIRST_NAME.required(),
        LAST_NAME.required(),
        EMAIL.required(),
        LOGIN.required(),
        MOBILE_PHONE,
        SECOND_EMAIL,
        Param::new(
            "activate",
            Kind::Boolean,
            "Activate the user immediately. Okta's own default is true; the gateway always sends the value explicitly.",
        )
        .default(DefaultValue::Bool(false)),
    ],
    resource: "user",
    mutating: true,
    carries_credentials: false,
    check: None,
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
    handler: create_user,
};

fn create_user(ctx: &ActionContext, input: Input) -> ActionFuture<'_> {
    Box::pin(async move {
        let mut profile = Map::new();
        for field in [
            "firstName",
            "lastName",
            "email",
            "login",
            "mobilePhone",
            "secondEmail",
        ] {
            if let Some(value) = input.str(field) {
                profile.insert(field.to_owned(), json!(value));
            }
        }
        let activate = input.bool("activate").unwrap_or(false);
        let request = OktaRequest::new(Method::POST, OktaPath::new("/api/v1/users"), "users")
            .query("activate", activate)
            .json(json!({ "profile": profile }));
        ctx.call_shaped(request, &CREATE_USER.responses[0]).await
    })
}

static GET_USER: Action = Action {
    name: "get_user",
    label: "Get User",
    description: "Fetches a user's full profile by Okta user id or by login.",
    params: &[
        Param::new(
            "searchBy",
            Kind::Enum(&["id", "login"]),
            "Look the user up by their Okta id or by their login.",
        )
        .required(),
        user_reference("searchValue", "The id or login to look up."),
    ],
    resource: "user",
    mutating: false,
    carries_credentials: false,
    check: None,
    responses: &[ResponseShape {
        label: "the user",
        sample: USER_SAMPLE,
        kind: ShapeKind::Okta,
    }],
    example: r#"{"searchBy": "login", "searchValue": "jordan.lee@example.com"}"#,
    handler: get_user,
};

fn get_user(ctx: &ActionContext, input: Input) -> ActionFuture<'_> {
    Box::pin(async move {
        let value = input.str("searchValue").unwrap_or_default();
        if input.str("searchBy") == Some("login") {
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
    params: &[
        user_reference("userIdOrLogin", "The user's Okta id or login."),
        FIRST_NAME,
        LAST_NAME,
        EMAIL,
        MOBILE_PHONE,
        SECOND_EMAIL,
    ],
    resource: "user",
    mutating: true,
    carries_credentials: false,
    check: None,
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
    handler: update_user,
};

fn update_user(ctx: &ActionContext, input: Input) -> ActionFuture<'_> {
    value(async move {
        let mut profile = Map::new();
        for field in PROFILE_FIELDS {
            if let Some(value) = input.str(field) {
                profile.insert(field.to_owned(), json!(value));
            }
        }
        if profile.is_empty() {
            return Err(ApiError::invalid_field(
                "body",
                "give at least one of firstName, lastName, email, mobilePhone, secondEmail",
            ));
        }
        let reference = input.str("userIdOrLogin").unwrap_or_default();
        let segment = ctx.user_segment(reference).await?;
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
    params: &[
        user_reference("userIdOrLogin", "The user's Okta id or login."),
        Param::new(
            "sendEmail",
            Kind::Boolean,
            "Okta sends a deactivation email to the org's administrator (not to the user).",
        )
        .default(DefaultValue::Bool(false)),
        DRY_RUN,
    ],
    resource: "user",
    mutating: true,
    carries_credentials: false,
    check: None,
    responses: &[
        ResponseShape {
            label: "the user is deleted",
            sample: r#"{"status": 204, "message": "User successfully deactivated and deleted."}"#,
            kind: ShapeKind::Wrapper,
        },
        DRY_RUN_RESPONSE,
    ],
    example: r#"{"userIdOrLogin": "priya.sharma@example.com"}"#,
    handler: delete_user,
};

fn delete_user(ctx: &ActionContext, input: Input) -> ActionFuture<'_> {
    value(async move {
        let reference = input.str("userIdOrLogin").unwrap_or_default();
        let user = ctx.find_user(reference).await?;
        let id = str_field(&user, "id")?;
        let status = user
            .get("status")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if input.bool("dryRun") == Some(true) {
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
        let send_email = input.bool("sendEmail").unwrap_or(false);
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
    params: &[USER_ID, SEND_EMAIL_TO_USER],
    resource: "user",
    mutating: true,
    carries_credentials: true,
    check: None,
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
    handler: activate_user,
};

fn activate_user(ctx: &ActionContext, input: Input) -> ActionFuture<'_> {
    value(async move {
        let send_email = input.bool("sendEmail").unwrap_or(false);
        let activate = lifecycle(ctx, &input, "lifecycle/activate", Some(send_email), false).await;
        let (operation, (id, body)) = match activate {
            Ok(done) => ("activate", done),
            // Activated without a password and the welcome email lost: Okta only re-sends
            // activation to a PROVISIONED user through reactivate (NOTES.md §3).
            Err(error) if error.details.user_status.as_deref() == Some("PROVISIONED") => {
                let op = "lifecycle/reactivate";
                (
                    "reactivate",
                    lifecycle(ctx, &input, op, Some(send_email), false).await?,
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
    input: &Input,
    change: StatusChange,
) -> Result<Value, ApiError> {
    let (id, _) = lifecycle(ctx, input, change.op, None, change.e0000001_is_state).await?;
    Ok(json!({
        "status": 200,
        "message": change.message,
        "userId": id,
        "userStatus": change.user_status,
    }))
}

/// `POST /api/v1/users/{id}/{op}` for the user named by `userId`, resolved to the Okta id
/// (the wrappers return it): never repeated; a refusal for the user's status gets the status
/// added. Returns the id and Okta's answer.
async fn lifecycle(
    ctx: &ActionContext,
    input: &Input,
    op: &'static str,
    send_email: Option<bool>,
    e0000001_is_state: bool,
) -> Result<(String, Value), ApiError> {
    let id = ctx.user_id(input.str("userId").unwrap_or_default()).await?;
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
    params: &[USER_ID, DRY_RUN],
    resource: "user",
    mutating: true,
    carries_credentials: false,
    check: None,
    responses: &[
        ResponseShape {
            label: "the user is deactivated",
            sample: STATUS_SAMPLE,
            kind: ShapeKind::Wrapper,
        },
        DRY_RUN_RESPONSE,
    ],
    example: r#"{"userId": "00uc1pExGOQAVXZSMATP"}"#,
    handler: deactivate_user,
};

fn deactivate_user(ctx: &ActionContext, input: Input) -> ActionFuture<'_> {
    value(async move {
        if input.bool("dryRun") == Some(true) {
            let user = ctx
                .find_user(input.str("userId").unwrap_or_default())
                .await?;
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
            &input,
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
    params: &[USER_ID],
    resource: "user",
    mutating: true,
    carries_credentials: false,
    check: None,
    responses: &[ResponseShape {
        label: "the user is suspended",
        sample: r#"{"status": 200, "message": "User successfully suspended.", "userId": "00ub0oNGTSWTBKOLGLNR", "userStatus": "SUSPENDED"}"#,
        kind: ShapeKind::Wrapper,
    }],
    example: r#"{"userId": "00ub0oNGTSWTBKOLGLNR"}"#,
    handler: suspend_user,
};

fn suspend_user(ctx: &ActionContext, input: Input) -> ActionFuture<'_> {
    value(async move {
        change_status(
            ctx,
            &input,
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
    params: &[USER_ID],
    resource: "user",
    mutating: true,
    carries_credentials: false,
    check: None,
    responses: &[ResponseShape {
        label: "the user is active again",
        sample: r#"{"status": 200, "message": "User successfully unsuspended.", "userId": "00ub0oNGTSWTBKOLGLNR", "userStatus": "ACTIVE"}"#,
        kind: ShapeKind::Wrapper,
    }],
    example: r#"{"userId": "00ususpendLEEKIM0001"}"#,
    handler: unsuspend_user,
};

fn unsuspend_user(ctx: &ActionContext, input: Input) -> ActionFuture<'_> {
    value(async move {
        change_status(
            ctx,
            &input,
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
    params: &[USER_ID],
    resource: "user",
    mutating: true,
    carries_credentials: false,
    check: None,
    responses: &[ResponseShape {
        label: "the user is unlocked",
        sample: r#"{"status": 200, "message": "User successfully unlocked.", "userId": "00ub0oNGTSWTBKOLGLNR", "userStatus": "ACTIVE"}"#,
        kind: ShapeKind::Wrapper,
    }],
    example: r#"{"userId": "00ulockedMAYACHEN001"}"#,
    handler: unlock_user,
};

fn unlock_user(ctx: &ActionContext, input: Input) -> ActionFuture<'_> {
    value(async move {
        change_status(
            ctx,
            &input,
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
    params: &[USER_ID, SEND_EMAIL_TO_USER],
    resource: "user",
    mutating: true,
    carries_credentials: true,
    check: None,
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
    ],
    example: r#"{"userId": "00ub0oNGTSWTBKOLGLNR", "sendEmail": false}"#,
    handler: reset_password,
};

fn reset_password(ctx: &ActionContext, input: Input) -> ActionFuture<'_> {
    value(async move {
        let send_email = input.bool("sendEmail").unwrap_or(false);
        let (id, body) = lifecycle(
            ctx,
            &input,
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
    description: "Expires the user's password at once and returns a temporary password; the user must choose a new one at their next sign-in.",
    params: &[USER_ID],
    resource: "user",
    mutating: true,
    carries_credentials: true,
    check: None,
    responses: &[ResponseShape {
        label: "the temporary password",
        sample: r#"{"tempPassword": {"value": "TmpP@ssw0rd123"}}"#,
        kind: ShapeKind::Wrapper,
    }],
    example: r#"{"userId": "00ub0oNGTSWTBKOLGLNR"}"#,
    handler: expire_password,
};

fn expire_password(ctx: &ActionContext, input: Input) -> ActionFuture<'_> {
    value(async move {
        let (_, body) = lifecycle(
            ctx,
            &input,
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
    params: &[
        USER_ID,
        Param::new(
            "oldPassword",
            Kind::Password,
            "The current password, as {\"value\": \"...\"}.",
        )
        .required(),
        Param::new(
            "newPassword",
            Kind::Password,
            "The new password, as {\"value\": \"...\"}.",
        )
        .required(),
    ],
    resource: "user",
    mutating: true,
    carries_credentials: false,
    check: None,
    responses: &[ResponseShape {
        label: "the user's credentials (Okta never returns password values)",
        sample: r#"{"credentials": {"password": {}, "provider": {"type": "OKTA", "name": "OKTA"}}}"#,
        kind: ShapeKind::Wrapper,
    }],
    example: r#"{"userId": "00ub0oNGTSWTBKOLGLNR", "oldPassword": {"value": "Tr0ub4dor-Seed-Pass"}, "newPassword": {"value": "N3w-Str0ng-Passw0rd!"}}"#,
    handler: change_password,
};

fn change_password(ctx: &ActionContext, mut input: Input) -> ActionFuture<'_> {
    value(async move {
        let (Some(old), Some(new)) = (
            input.take_secret("oldPassword"),
            input.take_secret("newPassword"),
        ) else {
            return Err(ApiError::internal("validated input lacks the passwords"));
        };
        // This path needs the user id, not a login (NOTES.md §5).
        let id = ctx.user_id(input.str("userId").unwrap_or_default()).await?;
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

/// The dry-run preview; the target as Okta has it, without its HAL links.
pub(super) fn dry_run(message: String, target: Value) -> Value {
    json!({"dryRun": true, "message": message, "target": shape(target, &json!({}))})
}

fn login(user: &Value) -> &str {
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
