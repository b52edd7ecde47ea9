//! Create, read, update and delete users; change passwords; list a user's groups.

use serde_json::Value;

use super::validate::{
    PASSWORD_REQUIREMENTS, fill_base_profile, object_field, password_problem, password_value,
    profile_causes, recovery_question, validation_error,
};
use super::{single, user_mut};
use crate::ctx::Ctx;
use crate::ctx::{duplicate_login, ensure_settled, resolve, resolve_id};
use crate::error::{ApiError, Resource};
use crate::http::Reply;
use crate::model::{Pending, Status, User};
use crate::util;

/// `POST /api/v1/users`.
pub(crate) fn create(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let req = ctx.req;
    let activate = req.bool_param("activate", true)?;
    req.bool_param("provider", false)?;
    let next_login = req.param("nextLogin").filter(|v| !v.is_empty());
    let body = req.json_object()?;
    let mut profile = object_field(&body, "profile")?.cloned().unwrap_or_default();
    let creds = object_field(&body, "credentials")?;
    let password = password_value(creds)?;
    let question = recovery_question(creds)?;
    let group_ids: Vec<String> = match body.get("groupIds") {
        None | Some(Value::Null) => vec![],
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(ApiError::malformed_body)?,
        Some(_) => return Err(ApiError::malformed_body()),
    };

    let causes = profile_causes(&profile)?;
    if !causes.is_empty() {
        return Err(validation_error(causes));
    }
    let login = profile
        .get("login")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .trim()
        .to_string();
    profile.insert("login".into(), Value::String(login.clone()));
    if ctx.org.login_taken(&login, None) {
        return Err(duplicate_login());
    }
    if let Some(pw) = &password
        && let Some(cause) = password_problem(pw, &login)
    {
        return Err(ApiError::validation("password", vec![cause]));
    }
    if group_ids.len() > 100 {
        return Err(ApiError::new(
            http::StatusCode::BAD_REQUEST,
            "E0000093",
            "Target count limit exceeded",
        )
        .with_cause("The number of group targets is too large"));
    }
    for gid in &group_ids {
        if !ctx.org.groups.contains_key(gid) {
            return Err(ApiError::validation(
                "groupIds",
                vec![format!("groupIds: Group {gid} does not exist")],
            ));
        }
    }
    let expire_now = match next_login {
        None => false,
        Some("changePassword") => {
            if !activate {
                let text = "Could not create user. To create a user and expire their password immediately, `activate` must be true.";
                return Err(
                    ApiError::new(http::StatusCode::BAD_REQUEST, "E0000125", text).with_cause(text),
                );
            }
            if password.is_none() {
                let text = "Could not create user. To create a user and expire their password immediately, a password must be specified.";
                return Err(
                    ApiError::new(http::StatusCode::BAD_REQUEST, "E0000124", text).with_cause(text),
                );
            }
            true
        }
        Some(other) => {
            return Err(ApiError::validation(
                "nextLogin",
                vec![format!("nextLogin: '{other}' is not a valid value")],
            ));
        }
    };

    fill_base_profile(&mut profile);
    let mut user = User::new(util::new_id("00u"), Status::Staged, profile);
    if let Some(pw) = &password {
        user.set_password(pw);
    }
    user.recovery_question = question;
    if activate {
        let status = match (&password, expire_now) {
            (Some(_), true) => Status::PasswordExpired,
            (Some(_), false) => Status::Active,
            (None, _) => Status::Provisioned,
        };
        user.set_status(status);
        if status == Status::PasswordExpired {
            user.activated = user.status_changed;
        }
    }
    let id = user.id.clone();
    let target = user.as_target();
    ctx.org.insert_user(user).map_err(|_| duplicate_login())?;
    ctx.log(
        "user.lifecycle.create",
        "Create Okta user",
        vec![target.clone()],
    );
    if activate {
        ctx.log(
            "user.lifecycle.activate",
            "Activate Okta user",
            vec![target.clone()],
        );
    }
    for gid in group_ids {
        if ctx.org.add_member(&gid, &id) {
            let group = ctx.org.groups.get(&gid).map(|g| g.as_target());
            ctx.log(
                "group.user_membership.add",
                "Add user to group membership",
                std::iter::once(target.clone()).chain(group).collect(),
            );
        }
    }
    single(ctx.org, &id)
}

/// `GET /api/v1/users/{id}`.
pub(crate) fn get(ctx: &mut Ctx, key: &str) -> Result<Reply, ApiError> {
    let id = resolve(ctx.org, key)?;
    single(ctx.org, &id)
}

/// `POST` (partial) or `PUT` (full replace) `/api/v1/users/{id}`.
pub(crate) fn update(ctx: &mut Ctx, key: &str, replace: bool) -> Result<Reply, ApiError> {
    let id = resolve(ctx.org, key)?;
    let body = ctx.req.json_object()?;
    let user = ctx
        .org
        .users
        .get(&id)
        .ok_or_else(|| ApiError::not_found(Resource::User, key))?;
    ensure_settled(user)?;
    if user.status == Status::Deprovisioned {
        return Err(ApiError::wrong_status());
    }
    let old_login = user.login().to_string();
    let new_profile_in = object_field(&body, "profile")?;
    let creds = object_field(&body, "credentials")?;
    let password = password_value(creds)?;
    let question = recovery_question(creds)?;

    let mut profile = if replace {
        new_profile_in
            .cloned()
            .unwrap_or_else(|| user.profile.clone())
    } else {
        let mut merged = user.profile.clone();
        if let Some(changes) = new_profile_in {
            for (k, v) in changes {
                merged.insert(k.clone(), v.clone());
            }
        }
        merged
    };
    let causes = profile_causes(&profile)?;
    if !causes.is_empty() {
        return Err(validation_error(causes));
    }
    let new_login = profile
        .get("login")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .trim()
        .to_string();
    profile.insert("login".into(), Value::String(new_login.clone()));
    if ctx.org.login_taken(&new_login, Some(&id)) {
        return Err(duplicate_login());
    }
    if let Some(pw) = &password
        && let Some(cause) = password_problem(pw, &new_login)
    {
        return Err(ApiError::validation("password", vec![cause]));
    }
    fill_base_profile(&mut profile);
    if let Some(user) = ctx.org.users.get(&id) {
        // The source system owns the profile (and a directory the password too).
        if user.mastered_by.is_some() && user.profile != profile {
            return Err(ApiError::mastered_elsewhere());
        }
        if password.is_some() && user.password_in_directory() {
            return Err(ApiError::mastered_elsewhere());
        }
    }
    ctx.org
        .change_login(&id, &old_login, &new_login)
        .map_err(|_| duplicate_login())?;
    let user = user_mut(ctx.org, &id)?;
    let profile_changed = user.profile != profile;
    user.profile = profile;
    user.last_updated = util::now();
    if let Some(pw) = &password {
        user.set_password(pw);
    }
    if question.is_some() {
        user.recovery_question = question;
    }
    let target = user.as_target();
    if profile_changed {
        ctx.log(
            "user.account.update_profile",
            "Update user profile for Okta",
            vec![target.clone()],
        );
    }
    if password.is_some() {
        ctx.log(
            "user.account.update_password",
            "Update password for Okta user",
            vec![target],
        );
    }
    single(ctx.org, &id)
}

/// Whether the request asks for asynchronous processing (`Prefer: respond-async`).
pub(super) fn respond_async(ctx: &Ctx) -> bool {
    ctx.req.header("prefer").is_some_and(|p| {
        p.split(',')
            .any(|v| v.trim().eq_ignore_ascii_case("respond-async"))
    })
}

/// `DELETE /api/v1/users/{id}`: the first call deactivates, the second deletes; with
/// `Prefer: respond-async` either runs asynchronously.
pub(crate) fn delete(ctx: &mut Ctx, key: &str) -> Result<Reply, ApiError> {
    ctx.req.bool_param("sendEmail", false)?;
    let id = resolve(ctx.org, key)?;
    let asynchronous = respond_async(ctx);
    let user = user_mut(ctx.org, &id)?;
    ensure_settled(user)?;
    if user.status != Status::Deprovisioned {
        deactivate_user(ctx, &id, asynchronous);
        return Ok(Reply::no_content());
    }
    let target = user.as_target();
    let wait = if asynchronous {
        ctx.settings.transition
    } else {
        std::time::Duration::ZERO
    };
    ctx.org.begin_transition(&id, Pending::Delete, wait);
    ctx.log(
        "user.lifecycle.delete.initiated",
        "Delete Okta user initiated",
        vec![target.clone()],
    );
    ctx.log(
        "user.lifecycle.delete.completed",
        "Delete Okta user completed",
        vec![target],
    );
    Ok(Reply::no_content())
}

/// Deactivates a user; `asynchronous` (`Prefer: respond-async`) leaves the status change
/// in progress for the transition time (app assignments go at once either way).
pub(super) fn deactivate_user(ctx: &mut Ctx, id: &str, asynchronous: bool) {
    let Some(target) = ctx.org.users.get(id).map(User::as_target) else {
        return;
    };
    let wait = if asynchronous {
        ctx.settings.transition
    } else {
        std::time::Duration::ZERO
    };
    ctx.org
        .begin_transition(id, Pending::Status(Status::Deprovisioned), wait);
    ctx.log(
        "user.lifecycle.deactivate",
        "Deactivate Okta user",
        vec![target.clone()],
    );
    // A deactivated user is signed out everywhere: sessions, OAuth tokens, devices.
    crate::sessions::end_sessions(ctx, id);
    ctx.org.sessions.remove(id);
    // Deactivation deprovisions the user from every app (group memberships stay).
    for app_id in ctx.org.apps_of(id) {
        if ctx.org.unassign_app(&app_id, id).is_some() {
            let app = ctx.org.apps.get(&app_id).map(|a| a.as_target());
            ctx.log(
                "application.user_membership.remove",
                "Remove users application membership",
                std::iter::once(target.clone()).chain(app).collect(),
            );
        }
    }
}

/// `POST /api/v1/users/{userId}/credentials/change_password`.
pub(crate) fn change_password(ctx: &mut Ctx, key: &str) -> Result<Reply, ApiError> {
    let id = resolve_id(ctx.org, key)?;
    ctx.req.bool_param("strict", false)?;
    let body = ctx.req.json_object()?;
    let value = |field: &str| -> Result<Option<String>, ApiError> {
        match object_field(&body, field)? {
            None => Ok(None),
            Some(obj) => match obj.get("value") {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(ApiError::malformed_body()),
            },
        }
    };
    let old = value("oldPassword")?;
    let new = value("newPassword")?;
    let user = user_mut(ctx.org, &id)?;
    ensure_settled(user)?;
    if user.password_in_directory() {
        return Err(ApiError::mastered_elsewhere());
    }
    let Some(current) = user.password.clone() else {
        return Err(ApiError::change_password_not_allowed());
    };
    if !matches!(
        user.status,
        Status::Staged | Status::Active | Status::PasswordExpired | Status::Recovery
    ) {
        return Err(ApiError::change_password_not_allowed());
    }
    if old.as_deref() != Some(current.as_str()) {
        return Err(ApiError::credentials_update_failed(
            "oldPassword: The credentials provided were incorrect.",
        ));
    }
    let Some(new) = new else {
        return Err(ApiError::credentials_update_failed(format!(
            "password: {PASSWORD_REQUIREMENTS}"
        )));
    };
    if new == current {
        return Err(ApiError::credentials_update_failed(
            "password: Password has been used too recently",
        ));
    }
    if let Some(cause) = password_problem(&new, user.login()) {
        return Err(ApiError::credentials_update_failed(cause));
    }
    user.set_password(&new);
    if matches!(user.status, Status::Recovery | Status::PasswordExpired) {
        user.set_status(Status::Active);
    }
    let creds = user.credentials_json();
    let target = user.as_target();
    ctx.log(
        "user.account.update_password",
        "Update password for Okta user",
        vec![target],
    );
    Ok(Reply::ok(&creds))
}

/// `GET /api/v1/users/{userId}/groups`.
pub(crate) fn groups(ctx: &mut Ctx, key: &str) -> Result<Reply, ApiError> {
    let id = resolve_id(ctx.org, key)?;
    let base = ctx.org.base_url.clone();
    let groups: Vec<Value> = ctx
        .org
        .groups_of(&id)
        .iter()
        .filter_map(|gid| ctx.org.groups.get(gid))
        .map(|g| g.to_json(&base, None))
        .collect();
    Ok(Reply::ok(&Value::Array(groups)))
}
