//! `POST /api/v1/users/{id}/lifecycle/{op}`: the status machine of NOTES §3.

use serde_json::{Value, json};

use super::crud::{deactivate_user, respond_async};
use super::{single, user_mut};
use crate::ctx::Ctx;
use crate::ctx::{ensure_settled, resolve};
use crate::error::{ApiError, Resource};
use crate::http::Reply;
use crate::model::{Pending, Status};
use crate::util;

fn activation_body(base: &str) -> Value {
    let token = util::random_alnum(20);
    json!({
        "activationUrl": format!("{base}/welcome/{token}"),
        "activationToken": token,
    })
}

/// `POST /api/v1/users/{id}/lifecycle/{op}`.
pub(crate) fn lifecycle(ctx: &mut Ctx, key: &str, op: &str) -> Result<Reply, ApiError> {
    let id = resolve(ctx.org, key)?;
    let base = ctx.org.base_url.clone();
    let user = ctx
        .org
        .users
        .get(&id)
        .ok_or_else(|| ApiError::not_found(Resource::User, key))?;
    ensure_settled(user)?;
    let status = user.status;
    // A directory owns the password of the users it masters: Okta cannot set one. Expiring
    // it without a temporary password is allowed: Okta expires it in the directory too
    // (expirePassword in the spec).
    let sets_password = match op {
        "reset_password" | "expire_password_with_temp_password" => true,
        "expire_password" => ctx.req.bool_param("tempPassword", false)?,
        _ => false,
    };
    if user.password_in_directory() && sets_password {
        return Err(ApiError::mastered_elsewhere());
    }
    let directory_password = user.password_in_directory();
    match op {
        "activate" => {
            let send_email = ctx.req.bool_param("sendEmail", true)?;
            match status {
                Status::Staged | Status::Deprovisioned => {}
                Status::Active => return Err(ApiError::already_active()),
                _ => return Err(ApiError::wrong_status()),
            }
            let user = user_mut(ctx.org, &id)?;
            let next = if user.password.is_some() {
                Status::Active
            } else {
                Status::Provisioned
            };
            let target = user.as_target();
            // Activation is asynchronous: `transitioningToStatus` until it completes.
            ctx.org
                .begin_transition(&id, Pending::Status(next), ctx.settings.transition);
            ctx.log(
                "user.lifecycle.activate",
                "Activate Okta user",
                vec![target],
            );
            Ok(if send_email {
                Reply::empty_object()
            } else {
                Reply::ok(&activation_body(&base))
            })
        }
        "reactivate" => {
            let send_email = ctx.req.bool_param("sendEmail", false)?;
            if !matches!(status, Status::Provisioned | Status::Recovery) {
                return Err(ApiError::wrong_status());
            }
            let target = user_mut(ctx.org, &id)?.as_target();
            ctx.log(
                "user.lifecycle.reactivate",
                "Reactivate Okta user",
                vec![target],
            );
            Ok(if send_email {
                Reply::empty_object()
            } else {
                Reply::ok(&activation_body(&base))
            })
        }
        "deactivate" => {
            ctx.req.bool_param("sendEmail", false)?;
            if status == Status::Deprovisioned {
                return Err(ApiError::wrong_status());
            }
            deactivate_user(ctx, &id, respond_async(ctx));
            Ok(Reply::empty_object())
        }
        "suspend" => {
            if status != Status::Active {
                return Err(ApiError::precondition(
                    "Cannot suspend a user that is not active",
                ));
            }
            simple_transition(
                ctx,
                &id,
                Status::Suspended,
                "user.lifecycle.suspend",
                "Suspend Okta user",
            )
        }
        "unsuspend" => {
            if status != Status::Suspended {
                return Err(ApiError::precondition(
                    "Cannot unsuspend a user that is not suspended",
                ));
            }
            simple_transition(
                ctx,
                &id,
                Status::Active,
                "user.lifecycle.unsuspend",
                "Unsuspend Okta user",
            )
        }
        "unlock" => {
            // LOCKED_OUT, or ACTIVE but blocked from unknown devices; only Okta-sourced
            // users ("doesn't support directory-sourced accounts", unlockUser).
            let blocked = status == Status::Active && user.unknown_device_block;
            if !(status == Status::LockedOut || blocked) || user.password_in_directory() {
                return Err(ApiError::unlock_not_allowed());
            }
            if let Some(user) = ctx.org.users.get_mut(&id) {
                user.unknown_device_block = false;
            }
            simple_transition(
                ctx,
                &id,
                Status::Active,
                "user.account.unlock",
                "Unlock user account",
            )
        }
        "reset_password" => {
            // `sendEmail` is required by the spec (the legacy default of true is gone).
            if ctx.req.param("sendEmail").is_none_or(str::is_empty) {
                return Err(ApiError::missing_parameter());
            }
            let send_email = ctx.req.bool_param("sendEmail", true)?;
            let revoke_sessions = ctx.req.bool_param("revokeSessions", false)?;
            if !matches!(
                status,
                Status::Provisioned
                    | Status::Active
                    | Status::Recovery
                    | Status::LockedOut
                    | Status::PasswordExpired
            ) {
                return Err(ApiError::wrong_status());
            }
            let user = user_mut(ctx.org, &id)?;
            user.set_status(Status::Recovery);
            let target = user.as_target();
            ctx.log(
                "user.account.reset_password",
                "Reset user password",
                vec![target],
            );
            if revoke_sessions {
                crate::sessions::end_sessions(ctx, &id);
            }
            Ok(if send_email {
                Reply::empty_object()
            } else {
                let token = util::random_alnum(20);
                Reply::ok(&json!({ "resetPasswordUrl": format!("{base}/reset_password/{token}") }))
            })
        }
        "expire_password" | "expire_password_with_temp_password" => {
            let temp = op == "expire_password_with_temp_password"
                || ctx.req.bool_param("tempPassword", false)?;
            let revoke_sessions = ctx.req.bool_param("revokeSessions", false)?;
            if !matches!(
                status,
                Status::Active | Status::Recovery | Status::LockedOut | Status::PasswordExpired
            ) {
                return Err(ApiError::wrong_status());
            }
            let user = user_mut(ctx.org, &id)?;
            if user.password.is_none() && !directory_password && !temp {
                return Err(ApiError::wrong_status());
            }
            let temp_password = temp.then(|| {
                // Okta's temporary passwords are 8 mixed-case alphanumerics.
                let mut pw = util::random_alnum(6);
                pw.push('a');
                pw.push('7');
                pw
            });
            if let Some(pw) = &temp_password {
                user.set_password(pw);
            }
            user.set_status(Status::PasswordExpired);
            let target = user.as_target();
            ctx.log(
                "user.account.expire_password",
                "Expire user password",
                vec![target],
            );
            if revoke_sessions {
                crate::sessions::end_sessions(ctx, &id);
            }
            match temp_password {
                Some(pw) => Ok(Reply::ok(&json!({ "tempPassword": pw }))),
                None => single(ctx.org, &id),
            }
        }
        "reset_factors" => crate::factors::reset_all(ctx, &id),
        _ => Err(ApiError::path_not_found()),
    }
}

fn simple_transition(
    ctx: &mut Ctx,
    id: &str,
    to: Status,
    event: &str,
    display: &str,
) -> Result<Reply, ApiError> {
    let user = user_mut(ctx.org, id)?;
    user.set_status(to);
    let target = user.as_target();
    ctx.log(event, display, vec![target]);
    Ok(Reply::empty_object())
}
