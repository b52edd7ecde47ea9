//! Groups and memberships: `/api/v1/groups…` and `/api/v1/users/{id}/groups`.
//!
//! Three types exist, as in Okta: `OKTA_GROUP` (created through the API; its profile may carry
//! custom attributes and `PUT` replaces the whole profile), `APP_GROUP` (imported from an app
//! such as Active Directory: its profile and memberships are the import's, so the API refuses
//! to change them with 403 E0000006) and `BUILT_IN` (`Everyone`, holding every user: 403
//! E0000006 for profile changes and deletion, 400 E0000060 "Unsupported operation." for
//! membership changes). Names are unique (case-insensitive). Listing with `q` is a
//! starts-with on the name and does not page; `search`/`filter` and plain listing page with
//! an `after` cursor (a group id).

use std::ops::Bound;

use serde_json::{Map, Value, json};

use crate::ctx::Ctx;
use crate::ctx::{conflict_error, resolve_id};
use crate::error::{ApiError, Resource};
use crate::http::take_page;
use crate::http::{Pager, Reply};
use crate::model::{Group, GroupType};
use crate::scim;
use crate::util;

/// Validates `{"profile": {"name", "description"?}}` and returns the new profile.
fn profile_from_body(ctx: &Ctx) -> Result<Map<String, Value>, ApiError> {
    let body = ctx.req.json_object()?;
    let profile = match body.get("profile") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(p)) => p.clone(),
        Some(_) => return Err(ApiError::malformed_body()),
    };
    for key in ["name", "description"] {
        if profile
            .get(key)
            .is_some_and(|v| !(v.is_string() || v.is_null()))
        {
            return Err(ApiError::malformed_body());
        }
    }
    // Custom attributes of the group profile schema are scalars here (Okta's schema also
    // allows arrays of scalars; nothing in this project needs them).
    if let Some((key, _)) = profile.iter().find(|(_, v)| v.is_object() || v.is_array()) {
        return Err(ApiError::validation(
            key,
            vec![format!(
                "{key}: Property must be a string, number or boolean"
            )],
        ));
    }
    let name = profile
        .get("name")
        .and_then(Value::as_str)
        .map(str::trim)
        .unwrap_or_default();
    if name.is_empty() {
        return Err(ApiError::validation(
            "name",
            vec!["name: The field cannot be left blank".into()],
        ));
    }
    if name.chars().count() > 255 {
        return Err(ApiError::validation(
            "name",
            vec!["name: The field is too long".into()],
        ));
    }
    let mut out = profile.clone();
    out.insert("name".into(), json!(name));
    Ok(out)
}

fn find(ctx: &Ctx, id: &str) -> Result<GroupType, ApiError> {
    ctx.org
        .groups
        .get(id)
        .map(|g| g.group_type)
        .ok_or_else(|| ApiError::not_found(Resource::UserGroup, id))
}

/// Only OKTA_GROUP profiles can be changed through the API ("You only can modify profiles
/// for groups of the `OKTA_GROUP` type", replaceGroup).
fn profile_editable(t: GroupType) -> Result<(), ApiError> {
    match t {
        GroupType::Okta => Ok(()),
        GroupType::App | GroupType::BuiltIn => Err(ApiError::access_denied()),
    }
}

/// Only OKTA_GROUP memberships can be changed through the API: an APP_GROUP's belong to its
/// import (403 E0000006, even for a super admin: terraform-provider-okta#118), and
/// `Everyone`'s to Okta itself ("Unsupported operation.", terraform-provider-okta#903).
fn membership_editable(t: GroupType) -> Result<(), ApiError> {
    match t {
        GroupType::Okta => Ok(()),
        GroupType::App => Err(ApiError::access_denied()),
        GroupType::BuiltIn => Err(ApiError::unsupported_operation()),
    }
}

fn expand_stats(ctx: &Ctx) -> bool {
    ctx.req
        .param("expand")
        .is_some_and(|e| e.split(',').any(|p| p.trim() == "stats"))
}

/// `POST /api/v1/groups`.
pub(crate) fn create(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let profile = profile_from_body(ctx)?;
    let mut group = Group::new(util::new_id("00g"), "", None);
    group.profile = profile;
    let id = group.id.clone();
    let target = group.as_target();
    ctx.org.insert_group(group).map_err(conflict_error)?;
    ctx.log("group.lifecycle.create", "Create okta group", vec![target]);
    let base = ctx.org.base_url.clone();
    let json = ctx
        .org
        .groups
        .get(&id)
        .map(|g| g.to_json(&base, None))
        .unwrap_or(Value::Null);
    Ok(Reply::ok(&json))
}

/// `GET /api/v1/groups/{id}`.
pub(crate) fn get(ctx: &mut Ctx, id: &str) -> Result<Reply, ApiError> {
    let stats = expand_stats(ctx);
    let group = ctx
        .org
        .groups
        .get(id)
        .ok_or_else(|| ApiError::not_found(Resource::UserGroup, id))?;
    let apps = stats.then(|| ctx.org.apps_of_group(id).len());
    Ok(Reply::ok(&group.to_json(&ctx.org.base_url, apps)))
}

/// `PUT /api/v1/groups/{id}`: a full replace of the profile.
pub(crate) fn replace(ctx: &mut Ctx, id: &str) -> Result<Reply, ApiError> {
    profile_editable(find(ctx, id)?)?;
    let profile = profile_from_body(ctx)?;
    let new_name = profile
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let old_name = ctx
        .org
        .groups
        .get(id)
        .map(|g| g.name().to_string())
        .unwrap_or_default();
    ctx.org
        .rename_group(id, &old_name, &new_name)
        .map_err(conflict_error)?;
    let base = ctx.org.base_url.clone();
    let Some(group) = ctx.org.groups.get_mut(id) else {
        return Err(ApiError::not_found(Resource::UserGroup, id));
    };
    group.profile = profile;
    group.last_updated = util::now();
    let json = group.to_json(&base, None);
    let target = group.as_target();
    ctx.log("group.profile.update", "Update group profile", vec![target]);
    Ok(Reply::ok(&json))
}

/// `DELETE /api/v1/groups/{id}`.
pub(crate) fn delete(ctx: &mut Ctx, id: &str) -> Result<Reply, ApiError> {
    // OKTA_GROUPs and APP_GROUPs can be deleted (deleteGroup); the built-in group cannot.
    if find(ctx, id)? == GroupType::BuiltIn {
        return Err(ApiError::access_denied());
    }
    let group = ctx
        .org
        .remove_group(id)
        .ok_or_else(|| ApiError::not_found(Resource::UserGroup, id))?;
    ctx.log(
        "group.lifecycle.delete",
        "Delete okta group",
        vec![group.as_target()],
    );
    Ok(Reply::no_content())
}

const FILTER_ATTRS: &[&str] = &["id", "type", "lastUpdated", "lastMembershipUpdated"];

/// `GET /api/v1/groups`.
pub(crate) fn list(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let req = ctx.req;
    let q = req.param("q").filter(|s| !s.is_empty());
    let search = req.param("search").filter(|s| !s.trim().is_empty());
    let filter = req.param("filter").filter(|s| !s.trim().is_empty());
    if [q.is_some(), search.is_some(), filter.is_some()]
        .iter()
        .filter(|b| **b)
        .count()
        > 1
    {
        return Err(ApiError::search_and_filter());
    }
    let stats = expand_stats(ctx);
    let org = &*ctx.org;
    let base = org.base_url.as_str();
    let pager = Pager {
        base_url: base,
        req,
    };
    if let Some(q) = q {
        // `q` cannot page: a starts-with on the name, default limit 300, no next link.
        let limit = req.limit(300, 10_000)?;
        let prefix = q.to_lowercase();
        let mut found: Vec<&Group> = org
            .groups
            .values()
            .filter(|g| g.name().to_lowercase().starts_with(&prefix))
            .collect();
        found.sort_by_key(|g| g.name().to_lowercase());
        let body: Vec<Value> = found
            .into_iter()
            .take(limit)
            .map(|g| g.to_json(base, stats.then(|| org.apps_of_group(&g.id).len())))
            .collect();
        return Ok(Reply::ok(&Value::Array(body)).link(&pager.self_url(), "self"));
    }
    let limit = req.limit(10_000, 10_000)?;
    let expr = match (search, filter) {
        (Some(s), _) => Some((parse(s, None)?, true)),
        (_, Some(f)) => Some((parse(f, Some(FILTER_ATTRS))?, false)),
        _ => None,
    };
    let after = req.param("after").filter(|a| !a.is_empty());
    let range = match after {
        Some(a) => org
            .groups
            .range::<str, _>((Bound::Excluded(a), Bound::Unbounded)),
        None => org.groups.range::<str, _>(..),
    };
    let (page, more) = take_page(
        range.map(|(_, g)| g).filter(|g| {
            expr.as_ref()
                .is_none_or(|(e, ci)| e.matches(&g.to_json(base, None), *ci))
        }),
        limit,
    );
    let body = Value::Array(
        page.iter()
            .map(|g| g.to_json(base, stats.then(|| org.apps_of_group(&g.id).len())))
            .collect(),
    );
    let mut reply = Reply::ok(&body).link(&pager.self_url(), "self");
    if let (true, Some(last)) = (more, page.last()) {
        reply = reply.link(&pager.next_url(&last.id, limit, &[]), "next");
    }
    Ok(reply)
}

fn parse(raw: &str, allowed: Option<&[&str]>) -> Result<scim::Expr, ApiError> {
    let expr = scim::parse(raw).map_err(|e| {
        ApiError::invalid_search(&format!("{} at position {}", e.message, e.position))
    })?;
    if let Some(allowed) = allowed {
        for (attr, _) in expr.comparisons() {
            if !allowed.contains(&attr) {
                return Err(ApiError::invalid_search(&format!(
                    "Filtering on '{attr}' is not supported"
                )));
            }
        }
    }
    Ok(expr)
}

/// `GET /api/v1/groups/{id}/users`.
pub(crate) fn members(ctx: &mut Ctx, id: &str) -> Result<Reply, ApiError> {
    let req = ctx.req;
    let limit = req.limit(1000, 10_000)?;
    let org = &*ctx.org;
    let group = org
        .groups
        .get(id)
        .ok_or_else(|| ApiError::not_found(Resource::UserGroup, id))?;
    let base = org.base_url.as_str();
    let after = req.param("after").filter(|a| !a.is_empty());
    let range = match after {
        Some(a) => group
            .members
            .range::<str, _>((Bound::Excluded(a), Bound::Unbounded)),
        None => group.members.range::<str, _>(..),
    };
    let (page, more) = take_page(range.filter_map(|uid| org.users.get(uid)), limit);
    let pager = Pager {
        base_url: base,
        req,
    };
    let body = Value::Array(page.iter().map(|u| u.to_json(base, false)).collect());
    let mut reply = Reply::ok(&body).link(&pager.self_url(), "self");
    if let (true, Some(last)) = (more, page.last()) {
        reply = reply.link(&pager.next_url(&last.id, limit, &[]), "next");
    }
    Ok(reply)
}

/// `PUT /api/v1/groups/{groupId}/users/{userId}`.
pub(crate) fn add_member(ctx: &mut Ctx, gid: &str, uid_key: &str) -> Result<Reply, ApiError> {
    membership_editable(find(ctx, gid)?)?;
    let uid = resolve_id(ctx.org, uid_key)?;
    if ctx.org.add_member(gid, &uid) {
        let targets = [
            ctx.user_target(&uid),
            ctx.org.groups.get(gid).map(Group::as_target),
        ]
        .into_iter()
        .flatten()
        .collect();
        ctx.log(
            "group.user_membership.add",
            "Add user to group membership",
            targets,
        );
    }
    Ok(Reply::no_content())
}

/// `DELETE /api/v1/groups/{groupId}/users/{userId}`.
pub(crate) fn remove_member(ctx: &mut Ctx, gid: &str, uid_key: &str) -> Result<Reply, ApiError> {
    membership_editable(find(ctx, gid)?)?;
    let uid = resolve_id(ctx.org, uid_key)?;
    if ctx.org.remove_member(gid, &uid) {
        let targets = [
            ctx.user_target(&uid),
            ctx.org.groups.get(gid).map(Group::as_target),
        ]
        .into_iter()
        .flatten()
        .collect();
        ctx.log(
            "group.user_membership.remove",
            "Remove user from group membership",
            targets,
        );
    }
    Ok(Reply::no_content())
}
