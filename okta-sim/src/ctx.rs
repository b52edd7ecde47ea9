//! The context a request handler runs in ([`Ctx`]) and what every handler shares: turning a
//! path's user key into an id, the log's view of the request, and the API errors for an
//! org's refusals (duplicate names, a user in transition).

use crate::error::{ApiError, Resource};
use crate::http::ApiRequest;
use crate::model::{RequestMeta, Target, User};
use crate::org::{Conflict, Org, Settings};

/// Everything a handler needs: the org, the request and who is calling.
pub(crate) struct Ctx<'a> {
    pub org: &'a mut Org,
    pub req: &'a ApiRequest,
    /// The token's id, shown as `transaction.detail.requestApiTokenId` in log events.
    pub token_id: &'a str,
    /// The org's timing settings (transition time, factor resend throttle).
    pub settings: Settings,
}

impl Ctx<'_> {
    pub fn base(&self) -> &str {
        &self.org.base_url
    }

    /// Appends a log event performed by the token's admin user.
    pub fn log(&mut self, event_type: &str, display: &str, targets: Vec<Target>) {
        let actor = self
            .org
            .users
            .get(&self.org.admin_id)
            .map(|u| u.as_target());
        let meta = request_meta(self.req, self.token_id);
        self.org
            .logs
            .append(event_type, display, actor, targets, Some(&meta), None);
    }

    /// The log target for a user id (if the user exists).
    pub fn user_target(&self, id: &str) -> Option<Target> {
        self.org.users.get(id).map(User::as_target)
    }
}

/// What the log needs to know about the request that caused an event.
pub(crate) fn request_meta(req: &ApiRequest, token_id: &str) -> RequestMeta {
    let uri = match &req.raw_query {
        Some(q) => format!("{}?{q}", req.raw_path),
        None => req.raw_path.clone(),
    };
    RequestMeta {
        request_id: req.request_id.clone(),
        ip: req.peer.ip().to_string(),
        user_agent: req.header("user-agent").unwrap_or("unknown").to_string(),
        uri,
        path: req.raw_path.clone(),
        token_id: token_id.to_string(),
    }
}

/// Resolves `id`, a login, a shortname or `me` (the token's admin) to a user id.
pub(crate) fn resolve(org: &Org, key: &str) -> Result<String, ApiError> {
    if key == "me" {
        return Ok(org.admin_id.clone());
    }
    org.find_user(key)
        .ok_or_else(|| ApiError::not_found(Resource::User, key))
}

/// Paths that need the user **id** (memberships, factors, change_password).
pub(crate) fn resolve_id(org: &Org, key: &str) -> Result<String, ApiError> {
    if org.users.contains_key(key) {
        Ok(key.to_string())
    } else {
        Err(ApiError::not_found(Resource::User, key))
    }
}

/// Refuses a change while an asynchronous operation is in progress (409 E0000112).
pub(crate) fn ensure_settled(user: &User) -> Result<(), ApiError> {
    match user.transition {
        Some(_) => Err(ApiError::user_in_transition()),
        None => Ok(()),
    }
}

/// A login (or id) that another user already has (400 E0000001).
pub(crate) fn duplicate_login() -> ApiError {
    ApiError::validation(
        "login",
        vec!["login: An object with this field already exists in the current organization".into()],
    )
}

/// A group name that another group already has (400 E0000001).
pub(crate) fn duplicate_name() -> ApiError {
    ApiError::validation(
        "name",
        vec!["name: An object with this field already exists in the current organization".into()],
    )
}

/// An index conflict → the API error a client would see.
pub(crate) fn conflict_error(c: Conflict) -> ApiError {
    match c {
        Conflict::Login | Conflict::Id => duplicate_login(),
        Conflict::GroupName => duplicate_name(),
    }
}
