//! `GET /api/v1/users`: plain listing, `q`, `search` and `filter`, with cursor paging.

use std::ops::Bound;

use serde_json::Value;

use crate::ctx::Ctx;
use crate::error::ApiError;
use crate::http::{Pager, Reply, take_page};
use crate::model::{Status, User};
use crate::scim;

const FILTER_ATTRS: &[&str] = &[
    "status",
    "lastUpdated",
    "id",
    "profile.login",
    "profile.email",
    "profile.firstName",
    "profile.lastName",
];

const CONTAINS_ATTRS: &[&str] = &[
    "profile.firstName",
    "profile.lastName",
    "profile.email",
    "profile.login",
];

fn parse_search(raw: &str, filter_mode: bool) -> Result<scim::Expr, ApiError> {
    let expr = scim::parse(raw).map_err(|e| {
        ApiError::invalid_search(&format!("{} at position {}", e.message, e.position))
    })?;
    for (attr, op) in expr.comparisons() {
        if filter_mode {
            let ok_attr = FILTER_ATTRS.contains(&attr);
            let ok_op = match op {
                Some(scim::Op::Eq) => true,
                Some(scim::Op::Gt | scim::Op::Ge | scim::Op::Lt | scim::Op::Le) => {
                    attr == "lastUpdated"
                }
                _ => false,
            };
            if !ok_attr || !ok_op {
                return Err(ApiError::invalid_search(&format!(
                    "Filtering on '{attr}' with '{}' is not supported",
                    op.map_or("pr", scim::Op::name)
                )));
            }
        } else {
            match op {
                Some(scim::Op::Ne) => {
                    return Err(ApiError::invalid_search(
                        "The 'ne' operator is not supported in search",
                    ));
                }
                Some(scim::Op::Co) if !CONTAINS_ATTRS.contains(&attr) => {
                    return Err(ApiError::invalid_search(&format!(
                        "The 'co' operator is not supported for '{attr}'"
                    )));
                }
                _ => {}
            }
        }
    }
    if filter_mode && matches!(expr, scim::Expr::Not(_)) {
        return Err(ApiError::invalid_search(
            "The 'not' operator is not supported",
        ));
    }
    Ok(expr)
}

fn starts_with_ci(value: Option<&Value>, prefix: &str) -> bool {
    value
        .and_then(Value::as_str)
        .is_some_and(|v| v.to_lowercase().starts_with(prefix))
}

/// `GET /api/v1/users`.
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
    let org = &*ctx.org;
    let base = org.base_url.as_str();
    let pager = Pager {
        base_url: base,
        req,
    };

    if let Some(q) = q {
        // `q` is a starts-with match on first name, last name or email; no paging.
        let limit = req.limit(10, 200)?;
        let prefix = q.to_lowercase();
        let found: Vec<Value> = org
            .users
            .values()
            .filter(|u| u.status != Status::Deprovisioned)
            .filter(|u| {
                ["firstName", "lastName", "email"]
                    .iter()
                    .any(|k| starts_with_ci(u.profile.get(*k), &prefix))
            })
            .take(limit)
            .map(|u| u.to_json(base, false))
            .collect();
        return Ok(Reply::ok(&Value::Array(found)).link(&pager.self_url(), "self"));
    }

    let limit = req.limit(200, 200)?;
    let expr = match (search, filter) {
        (Some(s), _) => Some((parse_search(s, false)?, true)),
        (_, Some(f)) => Some((parse_search(f, true)?, false)),
        _ => None,
    };
    let after = req.param("after").filter(|a| !a.is_empty());
    let range = match after {
        Some(a) => org
            .users
            .range::<str, _>((Bound::Excluded(a), Bound::Unbounded)),
        None => org.users.range::<str, _>(..),
    };

    // Index fast paths for the most common exact lookups.
    let direct: Option<Vec<&User>> = expr.as_ref().and_then(|(e, ignore_case)| {
        if let Some(login) = e.as_single_eq("profile.login") {
            // The index ignores case, as `search` does; `filter` compares values exactly.
            Some(
                org.user_id_by_login(login)
                    .and_then(|id| org.users.get(id))
                    .into_iter()
                    .filter(|u| *ignore_case || u.login() == login)
                    .filter(|u| after.is_none_or(|a| u.id.as_str() > a))
                    .collect(),
            )
        } else {
            e.as_single_eq("id").map(|id| {
                org.users
                    .get(id)
                    .into_iter()
                    .filter(|u| after.is_none_or(|a| u.id.as_str() > a))
                    .collect()
            })
        }
    });

    let (page, more) = match (direct, &expr) {
        (Some(users), _) => take_page(users.into_iter(), limit),
        (None, Some((e, ignore_case))) => take_page(
            range
                .map(|(_, u)| u)
                .filter(|u| e.matches(&u.to_json(base, false), *ignore_case)),
            limit,
        ),
        (None, None) => take_page(
            range
                .map(|(_, u)| u)
                .filter(|u| u.status != Status::Deprovisioned),
            limit,
        ),
    };
    let body = Value::Array(page.iter().map(|u| u.to_json(base, false)).collect());
    let mut reply = Reply::ok(&body).link(&pager.self_url(), "self");
    if more && let Some(last) = page.last() {
        reply = reply.link(&pager.next_url(&last.id, limit, &[]), "next");
    }
    Ok(reply)
}
