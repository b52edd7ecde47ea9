//! Applications and app assignments: `/api/v1/apps…`, and a user's app links
//! (`/api/v1/users/{id}/appLinks`).
//!
//! Apps are seeded (there is no create endpoint); their JSON follows the spec's examples
//! for each sign-on mode. Assignments (`AppUser`) are direct (`scope: USER`) and keyed by
//! user id; listing pages with an `after` cursor (the user id).

use std::ops::Bound;

use serde_json::{Map, Value, json};

use crate::ctx::Ctx;
use crate::ctx::resolve_id;
use crate::error::{ApiError, Resource};
use crate::http::take_page;
use crate::http::{Pager, Reply};
use crate::model::{App, AppUser, Status, takes_passwords};
use crate::org::Org;
use crate::scim;
use crate::util;

fn find_app<'a>(ctx: &'a Ctx, id: &str) -> Result<&'a App, ApiError> {
    ctx.org
        .apps
        .get(id)
        .ok_or_else(|| ApiError::not_found(Resource::AppInstance, id))
}

/// `GET /api/v1/apps`.
pub(crate) fn list(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let req = ctx.req;
    let limit = req.limit(200, 200)?;
    let org = &*ctx.org;
    let base = org.base_url.as_str();
    let q = req
        .param("q")
        .filter(|s| !s.is_empty())
        .map(str::to_lowercase);
    let filter = match req.param("filter").filter(|s| !s.trim().is_empty()) {
        Some(f) => {
            let expr = scim::parse(f).map_err(|e| {
                ApiError::invalid_search(&format!("{} at position {}", e.message, e.position))
            })?;
            for (attr, op) in expr.comparisons() {
                if !matches!(attr, "id" | "status" | "name" | "user.id" | "group.id")
                    || op != Some(scim::Op::Eq)
                {
                    return Err(ApiError::invalid_search(&format!(
                        "Filtering on '{attr}' is not supported"
                    )));
                }
            }
            Some(expr)
        }
        None => None,
    };
    let after = req.param("after").filter(|a| !a.is_empty());
    let range = match after {
        Some(a) => org
            .apps
            .range::<str, _>((Bound::Excluded(a), Bound::Unbounded)),
        None => org.apps.range::<str, _>(..),
    };
    let (page, more) = take_page(
        range.map(|(_, a)| a).filter(|a| {
            q.as_ref().is_none_or(|q| {
                a.label.to_lowercase().starts_with(q) || a.name.to_lowercase().starts_with(q)
            }) && filter.as_ref().is_none_or(|f| {
                // `user.id` matches apps the user is assigned to.
                let mut doc = a.to_json(base);
                if let Some(map) = doc.as_object_mut() {
                    map.insert(
                        "user".into(),
                        Value::Array(a.users.keys().map(|u| json!({"id": u})).collect()),
                    );
                }
                f.matches(&doc, false)
            })
        }),
        limit,
    );
    let pager = Pager {
        base_url: base,
        req,
    };
    let body = Value::Array(page.iter().map(|a| a.to_json(base)).collect());
    let mut reply = Reply::ok(&body).link(&pager.self_url(), "self");
    if let (true, Some(last)) = (more, page.last()) {
        reply = reply.link(&pager.next_url(&last.id, limit, &[]), "next");
    }
    Ok(reply)
}

/// `GET /api/v1/apps/{id}` (optionally `expand=user/{userId}`).
pub(crate) fn get(ctx: &mut Ctx, id: &str) -> Result<Reply, ApiError> {
    let app = find_app(ctx, id)?;
    let base = ctx.org.base_url.as_str();
    let mut json = app.to_json(base);
    if let Some(uid) = ctx
        .req
        .param("expand")
        .and_then(|e| e.strip_prefix("user/"))
    {
        let assignment = app
            .users
            .get(uid)
            .ok_or_else(|| ApiError::not_found(Resource::AppUser, uid))?;
        if let Some(map) = json.as_object_mut() {
            map.insert(
                "_embedded".into(),
                json!({"user": assignment.to_json(base, id)}),
            );
        }
    }
    Ok(Reply::ok(&json))
}

fn expand_user(ctx: &Ctx) -> bool {
    ctx.req.param("expand") == Some("user")
}

fn app_user_json(ctx: &Ctx, app_id: &str, au: &AppUser, expand: bool) -> Value {
    let base = ctx.org.base_url.as_str();
    let mut v = au.to_json(base, app_id);
    if expand && let (Some(map), Some(user)) = (v.as_object_mut(), ctx.org.users.get(&au.user_id)) {
        map.insert(
            "_embedded".into(),
            json!({"user": user.to_json(base, false)}),
        );
    }
    v
}

/// `GET /api/v1/apps/{id}/users`.
pub(crate) fn list_users(ctx: &mut Ctx, app_id: &str) -> Result<Reply, ApiError> {
    let req = ctx.req;
    let limit = match req.int_param("limit")? {
        Some(n) if !(1..=500).contains(&n) => {
            return Err(ApiError::validation(
                "limit",
                vec!["limit: must be between 1 and 500".into()],
            ));
        }
        Some(n) => usize::try_from(n).unwrap_or(50),
        None => 50,
    };
    let expand = expand_user(ctx);
    let app = find_app(ctx, app_id)?;
    let q = req
        .param("q")
        .filter(|s| !s.is_empty())
        .map(str::to_lowercase);
    let after = req.param("after").filter(|a| !a.is_empty());
    let range = match after {
        Some(a) => app
            .users
            .range::<str, _>((Bound::Excluded(a), Bound::Unbounded)),
        None => app.users.range::<str, _>(..),
    };
    let org = &*ctx.org;
    let (page, more) = take_page(
        range.map(|(_, au)| au).filter(|au| {
            q.as_ref().is_none_or(|q| {
                let user_name = au
                    .credentials
                    .get("userName")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_lowercase();
                user_name.starts_with(q)
                    || org.users.get(&au.user_id).is_some_and(|u| {
                        ["firstName", "lastName", "email"].iter().any(|k| {
                            u.profile
                                .get(*k)
                                .and_then(Value::as_str)
                                .is_some_and(|v| v.to_lowercase().starts_with(q))
                        })
                    })
            })
        }),
        limit,
    );
    let body = Value::Array(
        page.iter()
            .map(|au| app_user_json(ctx, app_id, au, expand))
            .collect(),
    );
    let pager = Pager {
        base_url: &ctx.org.base_url,
        req,
    };
    let mut reply = Reply::ok(&body).link(&pager.self_url(), "self");
    if let (true, Some(last)) = (more, page.last()) {
        reply = reply.link(&pager.next_url(&last.user_id, limit, &[]), "next");
    }
    Ok(reply)
}

/// `GET /api/v1/apps/{appId}/users/{userId}`.
pub(crate) fn get_user(ctx: &mut Ctx, app_id: &str, uid: &str) -> Result<Reply, ApiError> {
    let expand = expand_user(ctx);
    let app = find_app(ctx, app_id)?;
    let au = app
        .users
        .get(uid)
        .ok_or_else(|| ApiError::not_found(Resource::AppUser, uid))?;
    Ok(Reply::ok(&app_user_json(ctx, app_id, au, expand)))
}

/// `POST /api/v1/apps/{appId}/users`.
pub(crate) fn assign(ctx: &mut Ctx, app_id: &str) -> Result<Reply, ApiError> {
    let mode = find_app(ctx, app_id)?.sign_on_mode.clone();
    let body = ctx.req.json_object()?;
    let uid = match body.get("id") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
        None | Some(Value::Null) | Some(Value::String(_)) => {
            return Err(ApiError::validation(
                "id",
                vec!["id: The field cannot be left blank".into()],
            ));
        }
        Some(_) => return Err(ApiError::malformed_body()),
    };
    let scope = match body.get("scope") {
        None | Some(Value::Null) => "USER".to_string(),
        Some(Value::String(s)) if s == "USER" || s == "GROUP" => s.clone(),
        Some(_) => {
            return Err(ApiError::validation(
                "scope",
                vec!["scope: must be USER or GROUP".into()],
            ));
        }
    };
    let mut credentials = match body.get("credentials") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err(ApiError::malformed_body()),
    };
    let profile = match body.get("profile") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err(ApiError::malformed_body()),
    };
    let uid = resolve_id(ctx.org, &uid)?;
    let user = ctx
        .org
        .users
        .get(&uid)
        .ok_or_else(|| ApiError::not_found(Resource::User, &uid))?;
    if user.status == Status::Deprovisioned {
        return Err(ApiError::wrong_status());
    }
    let login = user.login().to_string();
    let has_password = credentials.get("password").is_some_and(|p| !p.is_null());
    if has_password && !takes_passwords(&mode) {
        return Err(ApiError::credentials_not_allowed());
    }
    if let Some(name) = credentials.get("userName") {
        match name.as_str() {
            Some(n) if !n.is_empty() && n.chars().count() <= 100 => {}
            _ => {
                return Err(ApiError::validation(
                    "userName",
                    vec!["credentials.userName: must be between 1 and 100 characters".into()],
                ));
            }
        }
    } else {
        credentials.insert("userName".into(), json!(login));
    }
    let now = util::now();
    let password_changed = if has_password {
        // Passwords are write-only: only an empty object says one is set.
        credentials.insert("password".into(), json!({}));
        Some(now)
    } else {
        credentials.remove("password");
        None
    };
    if find_app(ctx, app_id)?.users.contains_key(&uid) {
        return Err(ApiError::already_assigned());
    }
    let app_user = AppUser {
        user_id: uid.clone(),
        created: now,
        last_updated: now,
        scope,
        status: "ACTIVE".into(),
        status_changed: now,
        password_changed,
        credentials,
        profile,
    };
    let json = app_user.to_json(&ctx.org.base_url, app_id);
    if !ctx.org.assign_app(app_id, app_user) {
        return Err(ApiError::already_assigned());
    }
    let targets = [
        ctx.user_target(&uid),
        ctx.org.apps.get(app_id).map(App::as_target),
    ]
    .into_iter()
    .flatten()
    .collect();
    ctx.log(
        "application.user_membership.add",
        "Add user to application membership",
        targets,
    );
    Ok(Reply::ok(&json))
}

/// `DELETE /api/v1/apps/{appId}/users/{userId}`.
pub(crate) fn unassign(ctx: &mut Ctx, app_id: &str, uid: &str) -> Result<Reply, ApiError> {
    ctx.req.bool_param("sendEmail", false)?;
    find_app(ctx, app_id)?;
    if ctx.org.unassign_app(app_id, uid).is_none() {
        return Err(ApiError::not_found(Resource::AppUser, uid));
    }
    let targets = [
        ctx.user_target(uid),
        ctx.org.apps.get(app_id).map(App::as_target),
    ]
    .into_iter()
    .flatten()
    .collect();
    ctx.log(
        "application.user_membership.remove",
        "Remove users application membership",
        targets,
    );
    Ok(Reply::no_content())
}

/// The apps a user is assigned to, each with the assignment that gives it access, in app id
/// order: what the user's app links list. Every assignment the org records for the user
/// counts, whatever its scope (a group's assignment gives its members theirs).
pub(crate) fn assignments_of<'a>(org: &'a Org, user_id: &str) -> Vec<(&'a App, &'a AppUser)> {
    org.apps_of(user_id)
        .iter()
        .filter_map(|app_id| org.apps.get(app_id))
        .filter_map(|app| app.users.get(user_id).map(|assignment| (app, assignment)))
        .collect()
}

/// `GET /api/v1/users/{id}/appLinks`: one link per ACTIVE app the user is assigned to (an
/// INACTIVE app shows no link on the dashboard), not paged.
pub(crate) fn app_links(ctx: &mut Ctx, key: &str) -> Result<Reply, ApiError> {
    let uid = resolve_id(ctx.org, key)?;
    let org = &*ctx.org;
    let base = org.base_url.as_str();
    let links: Vec<Value> = assignments_of(org, &uid)
        .into_iter()
        .filter(|(app, _)| app.status == "ACTIVE")
        .enumerate()
        .map(|(sort_order, (app, assignment))| app_link(base, app, assignment, sort_order))
        .collect();
    Ok(Reply::ok(&Value::Array(links)))
}

/// One `AssignedAppLink`. Its `id` and `appAssignmentId` are derived from the app and the user,
/// so the same link keeps its ids from call to call.
fn app_link(base: &str, app: &App, assignment: &AppUser, sort_order: usize) -> Value {
    let key = format!("{}/{}", app.id, assignment.user_id);
    json!({
        "id": util::derived_id("auc", &format!("app-link/{key}")),
        "label": app.label,
        "linkUrl": app.link_url(base),
        "logoUrl": App::logo_url(base),
        "appName": app.name,
        "appInstanceId": app.id,
        "appAssignmentId": util::derived_id("0ua", &format!("app-assignment/{key}")),
        // Set up: the user's password for an app that stores one is known.
        "credentialsSetup": assignment.password_changed.is_some(),
        "hidden": false,
        "sortOrder": sort_order,
    })
}
