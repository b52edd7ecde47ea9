//! Routing and the checks every `/api/v1` request passes, in Okta's order:
//! 411 (body-less POST/PUT without `Content-Length`), 401 E0000011 (SSWS token, or an OAuth
//! access token and its DPoP proof), concurrency and per-family rate limits (429 E0000047),
//! 403 `insufficient_scope` (an access token without the operation's scopes), 403 E0000006
//! (read-only token writing), 404 E0000008 (unknown path) / 405 E0000022 (known path, wrong
//! method, or an encoded `/` in a user segment), 400 E0000021 (non-JSON body), then the
//! endpoint itself. `POST /oauth2/v1/token` goes to the authorization server (`oauth`).
//!
//! Every route is a template in Okta's spec spelling (`/api/v1/users/{id}/lifecycle/suspend`)
//! so the request log can name the operation each response belongs to.

use chrono::Utc;
use http::{HeaderValue, Method, StatusCode, header};
use percent_encoding::percent_decode_str;
use serde_json::json;

use crate::auth::Credential;
use crate::ctx::Ctx;
use crate::error::{ApiError, Resource};
use crate::http::{ApiRequest, Reply, html_page};
use crate::model::{NewEvent, Target};
use crate::oauth::{self, Challenge, Principal};
use crate::ratelimit::{RateEvent, RateHeaders};
use crate::roles::AdminRole;
use crate::route::Route;
use crate::shared::{Shared, lock};
use crate::{apps, factors, groups, logs, scopes, sessions, users};

struct Entry {
    method: Method,
    template: &'static str,
    route: Route,
}

macro_rules! entry {
    ($m:ident, $t:expr, $r:expr) => {
        Entry {
            method: Method::$m,
            template: $t,
            route: $r,
        }
    };
}

/// Literal templates come before parameterised ones that could also match.
fn table() -> &'static [Entry] {
    use Route::*;
    static TABLE: std::sync::OnceLock<Vec<Entry>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        vec![
            entry!(GET, "/api/v1/users", ListUsers),
            entry!(POST, "/api/v1/users", CreateUser),
            entry!(GET, "/api/v1/users/{id}", GetUser),
            entry!(POST, "/api/v1/users/{id}", UpdateUser),
            entry!(PUT, "/api/v1/users/{id}", ReplaceUser),
            entry!(DELETE, "/api/v1/users/{id}", DeleteUser),
            entry!(
                POST,
                "/api/v1/users/{id}/lifecycle/activate",
                UserLifecycle("activate")
            ),
            entry!(
                POST,
                "/api/v1/users/{id}/lifecycle/reactivate",
                UserLifecycle("reactivate")
            ),
            entry!(
                POST,
                "/api/v1/users/{id}/lifecycle/deactivate",
                UserLifecycle("deactivate")
            ),
            entry!(
                POST,
                "/api/v1/users/{id}/lifecycle/suspend",
                UserLifecycle("suspend")
            ),
            entry!(
                POST,
                "/api/v1/users/{id}/lifecycle/unsuspend",
                UserLifecycle("unsuspend")
            ),
            entry!(
                POST,
                "/api/v1/users/{id}/lifecycle/unlock",
                UserLifecycle("unlock")
            ),
            entry!(
                POST,
                "/api/v1/users/{id}/lifecycle/reset_password",
                UserLifecycle("reset_password")
            ),
            entry!(
                POST,
                "/api/v1/users/{id}/lifecycle/expire_password",
                UserLifecycle("expire_password")
            ),
            entry!(
                POST,
                "/api/v1/users/{id}/lifecycle/expire_password_with_temp_password",
                UserLifecycle("expire_password_with_temp_password")
            ),
            entry!(
                POST,
                "/api/v1/users/{id}/lifecycle/reset_factors",
                UserLifecycle("reset_factors")
            ),
            entry!(
                POST,
                "/api/v1/users/{userId}/credentials/change_password",
                ChangePassword
            ),
            entry!(GET, "/api/v1/users/{id}/groups", UserGroups),
            entry!(GET, "/api/v1/users/{id}/appLinks", UserAppLinks),
            entry!(
                DELETE,
                "/api/v1/users/{userId}/sessions",
                RevokeUserSessions
            ),
            entry!(
                GET,
                "/api/v1/users/{userId}/factors/questions",
                FactorQuestions
            ),
            entry!(GET, "/api/v1/users/{userId}/factors", ListFactors),
            entry!(POST, "/api/v1/users/{userId}/factors", EnrollFactor),
            entry!(GET, "/api/v1/users/{userId}/factors/{factorId}", GetFactor),
            entry!(
                DELETE,
                "/api/v1/users/{userId}/factors/{factorId}",
                DeleteFactor
            ),
            entry!(
                POST,
                "/api/v1/users/{userId}/factors/{factorId}/lifecycle/activate",
                ActivateFactor
            ),
            entry!(GET, "/api/v1/groups", ListGroups),
            entry!(POST, "/api/v1/groups", CreateGroup),
            entry!(GET, "/api/v1/groups/{groupId}", GetGroup),
            entry!(PUT, "/api/v1/groups/{groupId}", ReplaceGroup),
            entry!(DELETE, "/api/v1/groups/{groupId}", DeleteGroup),
            entry!(GET, "/api/v1/groups/{groupId}/apps", ListGroupApps),
            entry!(GET, "/api/v1/groups/{groupId}/users", ListGroupUsers),
            entry!(PUT, "/api/v1/groups/{groupId}/users/{userId}", AddGroupUser),
            entry!(
                DELETE,
                "/api/v1/groups/{groupId}/users/{userId}",
                RemoveGroupUser
            ),
            entry!(GET, "/api/v1/apps", ListApps),
            entry!(GET, "/api/v1/apps/{appId}", GetApp),
            entry!(GET, "/api/v1/apps/{appId}/users", ListAppUsers),
            entry!(POST, "/api/v1/apps/{appId}/users", AssignAppUser),
            entry!(GET, "/api/v1/apps/{appId}/users/{userId}", GetAppUser),
            entry!(
                DELETE,
                "/api/v1/apps/{appId}/users/{userId}",
                UnassignAppUser
            ),
            entry!(GET, "/api/v1/apps/{appId}/groups", ListAppGroups),
            entry!(GET, "/api/v1/apps/{appId}/groups/{groupId}", GetAppGroup),
            entry!(PUT, "/api/v1/apps/{appId}/groups/{groupId}", AssignAppGroup),
            entry!(
                DELETE,
                "/api/v1/apps/{appId}/groups/{groupId}",
                UnassignAppGroup
            ),
            entry!(GET, "/api/v1/logs", ListLogs),
            entry!(GET, "/api/v1/org", GetOrg),
        ]
    })
}

/// Every operation the simulator serves, as (method, Okta spec path template), in table
/// order. The spec-conformance tests check this list against the vendored spec subset.
pub fn implemented_operations() -> Vec<(&'static str, &'static str)> {
    table()
        .iter()
        .map(|e| (e.method.as_str(), e.template))
        .collect()
}

/// The outcome of matching a path against the table.
#[derive(Debug)]
pub(crate) enum Resolution {
    /// A route with its raw (still encoded) path parameters.
    Found(Route, &'static str, Vec<String>),
    /// The path exists for other methods.
    WrongMethod(&'static str, Vec<Method>),
    NotFound,
}

fn matches(template: &str, segments: &[&str]) -> Option<Vec<String>> {
    let parts: Vec<&str> = template.split('/').collect();
    if parts.len() != segments.len() {
        return None;
    }
    let mut params = Vec::new();
    for (t, s) in parts.iter().zip(segments) {
        if t.starts_with('{') {
            if s.is_empty() {
                return None;
            }
            params.push((*s).to_string());
        } else if t != s {
            return None;
        }
    }
    Some(params)
}

/// Matches a method and raw path.
pub(crate) fn resolve(method: &Method, raw_path: &str) -> Resolution {
    let trimmed = if raw_path.len() > 1 {
        raw_path.trim_end_matches('/')
    } else {
        raw_path
    };
    let segments: Vec<&str> = trimmed.split('/').collect();
    let mut allowed = Vec::new();
    let mut template = None;
    for e in table() {
        if let Some(params) = matches(e.template, &segments) {
            if e.method == method {
                return Resolution::Found(e.route, e.template, params);
            }
            template.get_or_insert(e.template);
            allowed.push(e.method.clone());
        }
    }
    match template {
        Some(t) => Resolution::WrongMethod(t, allowed),
        None => Resolution::NotFound,
    }
}

/// The rate-limit family of a request (NOTES §7).
pub(crate) fn family(method: &Method, template: Option<&str>) -> &'static str {
    match template {
        Some("/api/v1/users") => "users",
        Some("/api/v1/users/{id}") if method == Method::GET => "user-get",
        Some("/api/v1/users/{id}") => "user-write",
        Some("/api/v1/groups") => "groups",
        Some("/api/v1/groups/{groupId}") => "group",
        Some("/api/v1/apps/{appId}") => "app",
        Some(t) if t.starts_with("/api/v1/apps") => "apps",
        Some("/api/v1/logs") => "logs",
        _ => "other",
    }
}

fn decode(raw: &str) -> String {
    percent_decode_str(raw).decode_utf8_lossy().into_owned()
}

fn epoch_now() -> i64 {
    Utc::now().timestamp()
}

/// Who is calling: an SSWS token's admin, or a service app through its access token.
struct Caller {
    /// `None` for a service app that holds no admin role.
    role: Option<AdminRole>,
    /// The SSWS token's id, or the service app's client id (shown in log events).
    token_id: String,
    oauth: Option<Principal>,
}

/// The `scope` a challenge names: the operation's first OAuth requirement.
fn scope_attribute(method: &Method, template: Option<&str>) -> Option<String> {
    let first = scopes::required(method.as_str(), template?).first()?;
    Some(first.join(" "))
}

/// Answers one `/api/v1` (or other non-control) request. `concurrency` is the number of
/// requests in flight including this one. Returns the reply and the matched template.
pub(crate) fn process(
    shared: &Shared,
    req: &ApiRequest,
    concurrency: u32,
) -> (Reply, Option<&'static str>) {
    let token_endpoint = req.raw_path == oauth::TOKEN_PATH;
    if !(token_endpoint || req.raw_path == "/api/v1" || req.raw_path.starts_with("/api/v1/")) {
        return (
            Reply::html(StatusCode::NOT_FOUND, html_page(StatusCode::NOT_FOUND)),
            None,
        );
    }
    let resolution = resolve(&req.method, &req.raw_path);
    let template = match &resolution {
        Resolution::Found(_, t, _) | Resolution::WrongMethod(t, _) => Some(*t),
        Resolution::NotFound => None,
    };

    // The front door answers a body-less POST/PUT without Content-Length before Okta sees it.
    if (req.method == Method::POST || req.method == Method::PUT)
        && !req.headers.contains_key(header::CONTENT_LENGTH)
        && !req.headers.contains_key(header::TRANSFER_ENCODING)
    {
        let status = StatusCode::LENGTH_REQUIRED;
        return (Reply::html(status, html_page(status)), template);
    }
    if token_endpoint {
        let reply = oauth::token(&mut lock(&shared.oauth), req, &shared.base_url);
        return (reply, None);
    }

    let fam = family(&req.method, template);
    let found = match &resolution {
        Resolution::Found(_, t, _) => Some(*t),
        _ => None,
    };
    let caller = match Credential::parse(req.header("authorization")) {
        Some(Credential::Ssws(token)) => lock(&shared.tokens).lookup(token).map(|info| Caller {
            role: Some(info.role),
            token_id: info.token_id.clone(),
            oauth: None,
        }),
        Some(credential) => {
            let outcome =
                oauth::authenticate(&mut lock(&shared.oauth), req, credential, &shared.base_url);
            match outcome {
                Ok(principal) => Some(Caller {
                    role: principal.role,
                    token_id: principal.client_id.clone(),
                    oauth: Some(principal),
                }),
                Err(challenge) => {
                    let scope = scope_attribute(&req.method, found);
                    let reply = challenge.reply(&shared.base_url, scope.as_deref(), &req.raw_path);
                    let headers = lock(&shared.limiter).peek(fam, epoch_now());
                    return (with_rate(reply, headers), template);
                }
            }
        }
        None => None,
    };
    let Some(caller) = caller else {
        let headers = lock(&shared.limiter).peek(fam, epoch_now());
        return (
            with_rate(ApiError::invalid_token().into(), headers),
            template,
        );
    };

    let limits_concurrency = lock(&shared.limiter).limits().concurrency;
    if concurrency > limits_concurrency {
        lock(&shared.limiter).concurrency_refused();
        let headers = RateHeaders {
            limit: 0,
            remaining: 0,
            reset: epoch_now() + 1,
        };
        return (
            with_rate(ApiError::rate_limited().into(), headers),
            template,
        );
    }
    let decision = lock(&shared.limiter).check(fam, epoch_now());
    if let Some(event) = decision.event {
        let mut org = lock(&shared.org);
        let actor = org.users.get(&org.admin_id).map(|u| u.as_target());
        let (event_type, display) = match event {
            RateEvent::Warning => ("system.org.rate_limit.warning", "Rate limit warning"),
            RateEvent::Violation => ("system.org.rate_limit.violation", "Rate limit violation"),
        };
        let target = Target::new(fam, "RateLimit", fam, &format!("{fam} rate limit"));
        let meta = crate::ctx::request_meta(req, &caller.token_id);
        org.logs.append_event(NewEvent {
            event_type,
            display,
            actor,
            targets: vec![target],
            meta: Some(&meta),
            published: None,
            uuid: None,
            severity: "WARN",
            client: None,
        });
    }
    if !decision.allowed {
        return (
            with_rate(ApiError::rate_limited().into(), decision.headers),
            template,
        );
    }
    let reply = match authorised(shared, req, &caller, resolution) {
        Ok(reply) => reply,
        Err(err) => err.into(),
    };
    (with_rate(reply, decision.headers), template)
}

fn with_rate(mut reply: Reply, headers: RateHeaders) -> Reply {
    headers.apply(&mut reply.headers);
    reply
}

fn authorised(
    shared: &Shared,
    req: &ApiRequest,
    caller: &Caller,
    resolution: Resolution,
) -> Result<Reply, ApiError> {
    let token_id = caller.token_id.as_str();
    if let (Some(principal), Resolution::Found(_, template, params)) = (&caller.oauth, &resolution)
    {
        let needed = scopes::required(req.method.as_str(), template);
        if !scopes::satisfied(needed, &principal.scopes) {
            let scope = scope_attribute(&req.method, Some(*template));
            return Ok(Challenge::insufficient_scope(principal.dpop).reply(
                &shared.base_url,
                scope.as_deref(),
                &req.raw_path,
            ));
        }
        // A service app has no user of its own: `me` names nobody.
        if template.starts_with("/api/v1/users/{") && params.first().is_some_and(|p| p == "me") {
            return Err(ApiError::not_found(Resource::User, "me"));
        }
    }
    // A service app without an admin role may call nothing.
    let Some(role) = caller.role else {
        return Err(ApiError::access_denied());
    };
    let writes = !matches!(req.method, Method::GET | Method::HEAD);
    // A read-only admin's write is refused before routing, whatever the path.
    if role == AdminRole::ReadOnlyAdmin && writes {
        return Err(ApiError::access_denied());
    }
    let (route, template, raw_params) = match resolution {
        Resolution::Found(route, template, params) => (route, template, params),
        Resolution::WrongMethod(_, allowed) => {
            let mut reply: Reply = ApiError::method_not_allowed().into();
            let allow = allowed
                .iter()
                .map(Method::as_str)
                .collect::<Vec<_>>()
                .join(", ");
            if let Ok(v) = HeaderValue::from_str(&allow) {
                reply.headers.insert(header::ALLOW, v);
            }
            return Ok(reply);
        }
        Resolution::NotFound => return Err(ApiError::path_not_found()),
    };
    if !role.permits(route) {
        return Err(ApiError::access_denied());
    }
    // A `/` inside a user segment (sent as %2F) cannot be routed by Okta: 405 (NOTES §5).
    if template.starts_with("/api/v1/users/{")
        && raw_params
            .first()
            .is_some_and(|p| p.to_ascii_lowercase().contains("%2f"))
    {
        return Err(ApiError::method_not_allowed());
    }
    if matches!(req.method, Method::POST | Method::PUT)
        && !req.body.is_empty()
        && let Some(ct) = req.header("content-type")
        && !ct.to_ascii_lowercase().contains("json")
    {
        return Err(ApiError::unsupported_media_type());
    }
    let params: Vec<String> = raw_params.iter().map(|p| decode(p)).collect();
    let p = |i: usize| params.get(i).map(String::as_str).unwrap_or_default();
    let settings = *lock(&shared.settings);
    let mut org = lock(&shared.org);
    org.settle();
    // Only a super admin changes another administrator (here: the org's admin user).
    if writes
        && !role.may_change_admins()
        && template.starts_with("/api/v1/users/{")
        && params.first().is_some_and(|key| {
            key == "me" || org.find_user(key).is_some_and(|id| id == org.admin_id)
        })
    {
        return Err(ApiError::access_denied());
    }
    let mut ctx = Ctx {
        org: &mut org,
        req,
        token_id,
        settings,
    };
    use Route::*;
    match route {
        ListUsers => users::list(&mut ctx),
        CreateUser => users::create(&mut ctx),
        GetUser => users::get(&mut ctx, p(0)),
        UpdateUser => users::update(&mut ctx, p(0), false),
        ReplaceUser => users::update(&mut ctx, p(0), true),
        DeleteUser => users::delete(&mut ctx, p(0)),
        UserLifecycle(op) => users::lifecycle(&mut ctx, p(0), op),
        ChangePassword => users::change_password(&mut ctx, p(0)),
        UserGroups => users::groups(&mut ctx, p(0)),
        RevokeUserSessions => sessions::revoke(&mut ctx, p(0)),
        UserAppLinks => apps::app_links(&mut ctx, p(0)),
        ListFactors => factors::list(&mut ctx, p(0)),
        EnrollFactor => factors::enroll(&mut ctx, p(0)),
        FactorQuestions => factors::questions(&mut ctx, p(0)),
        GetFactor => factors::get(&mut ctx, p(0), p(1)),
        DeleteFactor => factors::delete(&mut ctx, p(0), p(1)),
        ActivateFactor => factors::activate(&mut ctx, p(0), p(1)),
        ListGroups => groups::list(&mut ctx),
        CreateGroup => groups::create(&mut ctx),
        GetGroup => groups::get(&mut ctx, p(0)),
        ReplaceGroup => groups::replace(&mut ctx, p(0)),
        DeleteGroup => groups::delete(&mut ctx, p(0)),
        ListGroupUsers => groups::members(&mut ctx, p(0)),
        AddGroupUser => groups::add_member(&mut ctx, p(0), p(1)),
        RemoveGroupUser => groups::remove_member(&mut ctx, p(0), p(1)),
        ListApps => apps::list(&mut ctx),
        GetApp => apps::get(&mut ctx, p(0)),
        ListAppUsers => apps::list_users(&mut ctx, p(0)),
        AssignAppUser => apps::assign(&mut ctx, p(0)),
        GetAppUser => apps::get_user(&mut ctx, p(0), p(1)),
        UnassignAppUser => apps::unassign(&mut ctx, p(0), p(1)),
        ListAppGroups => apps::list_groups(&mut ctx, p(0)),
        GetAppGroup => apps::get_group(&mut ctx, p(0), p(1)),
        AssignAppGroup => apps::assign_group(&mut ctx, p(0), p(1)),
        UnassignAppGroup => apps::unassign_group(&mut ctx, p(0), p(1)),
        ListGroupApps => apps::list_for_group(&mut ctx, p(0)),
        ListLogs => logs::list(&mut ctx),
        GetOrg => Ok(org_settings(&ctx)),
    }
}

/// `GET /api/v1/org`: enough of `OrgSetting` to show which org a token belongs to.
fn org_settings(ctx: &Ctx) -> Reply {
    let base = ctx.base();
    Reply::ok(&json!({
        "id": "00o1simORGSETTING000",
        "subdomain": "okta-sim",
        "companyName": "Okta Simulator",
        "status": "ACTIVE",
        "created": "2023-06-01T08:00:00.000Z",
        "lastUpdated": "2023-06-01T08:00:00.000Z",
        "website": "https://www.example.com",
        "_links": {
            "contacts": {"href": format!("{base}/api/v1/org/contacts")},
            "preferences": {"href": format!("{base}/api/v1/org/preferences")}
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_resolve_with_their_raw_parameters() {
        match resolve(&Method::POST, "/api/v1/users/a%2Fb/lifecycle/suspend") {
            Resolution::Found(Route::UserLifecycle("suspend"), t, params) => {
                assert_eq!(t, "/api/v1/users/{id}/lifecycle/suspend");
                assert_eq!(params, vec!["a%2Fb".to_string()]);
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(matches!(
            resolve(&Method::GET, "/api/v1/users/x/factors/questions"),
            Resolution::Found(Route::FactorQuestions, _, _)
        ));
        assert!(matches!(
            resolve(&Method::PATCH, "/api/v1/users/x"),
            Resolution::WrongMethod("/api/v1/users/{id}", _)
        ));
        assert!(matches!(
            resolve(&Method::GET, "/api/v1/nothing"),
            Resolution::NotFound
        ));
        assert!(matches!(
            resolve(&Method::GET, "/api/v1/users/"),
            Resolution::Found(Route::ListUsers, _, _)
        ));
    }

    #[test]
    fn families_follow_okta_s_table() {
        assert_eq!(family(&Method::GET, Some("/api/v1/users/{id}")), "user-get");
        assert_eq!(
            family(&Method::DELETE, Some("/api/v1/users/{id}")),
            "user-write"
        );
        assert_eq!(
            family(&Method::GET, Some("/api/v1/apps/{appId}/users")),
            "apps"
        );
        assert_eq!(family(&Method::GET, Some("/api/v1/logs")), "logs");
        assert_eq!(family(&Method::GET, None), "other");
    }
}
