//! `DELETE /api/v1/users/{userId}/sessions` (revokeUserSessions): ends a user's Okta
//! sessions and, as the query asks, the OAuth tokens issued to them and their remembered
//! devices.

use crate::ctx::{Ctx, resolve_id};
use crate::error::{ApiError, Resource};
use crate::http::Reply;
use crate::model::Status;

/// `DELETE /api/v1/users/{userId}/sessions`: 204, also when there was nothing to end.
pub(crate) fn revoke(ctx: &mut Ctx, key: &str) -> Result<Reply, ApiError> {
    let oauth_tokens = ctx.req.bool_param("oauthTokens", false)?;
    // The spec's default is Identity Engine's; Classic Engine's is false (README "Choices").
    let forget_devices = ctx.req.bool_param("forgetDevices", true)?;
    let id = resolve_id(ctx.org, key)?;
    let user = ctx
        .org
        .users
        .get(&id)
        .ok_or_else(|| ApiError::not_found(Resource::User, key))?;
    // Deactivation already ended everything; a guess (README "Choices").
    if user.status == Status::Deprovisioned {
        return Err(ApiError::wrong_status());
    }
    let target = user.as_target();
    end_sessions(ctx, &id);
    let mut state = ctx.org.sessions.remove(&id).unwrap_or_default();
    if oauth_tokens {
        state.oauth_tokens = 0;
    }
    if forget_devices {
        state.remembered_devices = 0;
    }
    if !state.is_empty() {
        ctx.org.sessions.insert(id, state);
    }
    ctx.log("user.session.clear", "Clear user session", vec![target]);
    Ok(Reply::no_content())
}

/// Ends a user's Okta sessions (their OAuth tokens and remembered devices stay), logging
/// one `user.session.end` for each, as Okta does; for `revokeSessions=true` and
/// deactivation too.
pub(crate) fn end_sessions(ctx: &mut Ctx, id: &str) {
    let Some(state) = ctx.org.sessions.get_mut(id) else {
        return;
    };
    let ended = std::mem::take(&mut state.sessions);
    if state.is_empty() {
        ctx.org.sessions.remove(id);
    }
    let Some(target) = ctx.user_target(id) else {
        return;
    };
    for _ in &ended {
        ctx.log(
            "user.session.end",
            "User logout from Okta",
            vec![target.clone()],
        );
    }
}
