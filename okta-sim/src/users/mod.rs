//! Users: the lifecycle state machine and every `/api/v1/users` endpoint (the object itself
//! is [`crate::model::User`]).
//!
//! Status changes follow NOTES §3: each lifecycle operation is legal only from the statuses
//! listed there, and illegal ones answer as Okta does (suspend/unsuspend 400 E0000001,
//! activating an ACTIVE user 403 E0000016, unlock 403 E0000032, the rest 403 E0000038).
//! `activated`, `statusChanged`, `lastLogin` and `passwordChanged` stay null until they apply.

mod crud;
mod lifecycle;
mod list;
mod validate;

use crate::error::{ApiError, Resource};
use crate::http::Reply;
use crate::model::User;
use crate::org::Org;

pub(crate) use crud::{change_password, create, delete, get, groups, update};
pub(crate) use lifecycle::lifecycle;
pub(crate) use list::list;

pub(super) fn user_mut<'a>(org: &'a mut Org, id: &str) -> Result<&'a mut User, ApiError> {
    org.users
        .get_mut(id)
        .ok_or_else(|| ApiError::not_found(Resource::User, id))
}

pub(super) fn single(org: &Org, id: &str) -> Result<Reply, ApiError> {
    let user = org
        .users
        .get(id)
        .ok_or_else(|| ApiError::not_found(Resource::User, id))?;
    Ok(Reply::ok(&user.to_json(&org.base_url, true)).header("etag", &user.etag()))
}
