//! `GET /audit` (admin scope): the audit trail, newest first, filtered and paged.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::Method;
use serde_json::{Value, json};

use super::RouteSpec;
use crate::audit::{self, AuditOut};
use crate::auth::Scope;
use crate::error::{ApiError, FieldProblem};
use crate::state::AppState;
use crate::store::AuditFilter;

const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 200;
/// Longest value a text filter may have (references and names are far shorter).
const MAX_FILTER_LEN: usize = 255;

pub fn routes() -> Vec<RouteSpec> {
    vec![RouteSpec::new(
        Method::GET,
        "/audit",
        Some(Scope::Admin),
        list,
    )]
}

async fn list(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let filter = parse(&state, query.as_deref().unwrap_or(""))?;
    let mut rows = state.store.audit_page(&filter).await?;
    // One more than the page was read: whether another page follows.
    let page = filter.limit as usize - 1;
    let more = rows.len() > page;
    rows.truncate(page);
    let next_cursor = match rows.last() {
        Some(last) if more => {
            Value::String(audit::seal_cursor(&state.cursors, last.at_us, last.id))
        }
        _ => Value::Null,
    };
    let items: Vec<AuditOut> = rows.into_iter().map(AuditOut::from).collect();
    Ok(Json(json!({"items": items, "nextCursor": next_cursor})))
}

/// The filter a query string asks for, or every problem with it.
fn parse(state: &AppState, query: &str) -> Result<AuditFilter, ApiError> {
    let mut filter = AuditFilter {
        limit: DEFAULT_LIMIT,
        ..AuditFilter::default()
    };
    let mut problems = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        if seen.contains(&name.to_string()) {
            problems.push(FieldProblem::new(name.as_ref(), "must be given once"));
            continue;
        }
        seen.push(name.to_string());
        let value = value.into_owned();
        let text = |problems: &mut Vec<FieldProblem>| {
            if value.is_empty() || value.chars().count() > MAX_FILTER_LEN {
                problems.push(FieldProblem::new(
                    name.as_ref(),
                    format!("must be 1 to {MAX_FILTER_LEN} characters"),
                ));
                None
            } else {
                Some(audit::storable(&value))
            }
        };
        match name.as_ref() {
            "account" => filter.account = text(&mut problems),
            "action" => filter.action = text(&mut problems),
            "target" => filter.target = text(&mut problems),
            "key" => filter.key_id = text(&mut problems),
            "since" | "until" => match chrono::DateTime::parse_from_rfc3339(&value) {
                Ok(time) => {
                    let us = Some(time.timestamp_micros());
                    if name == "since" {
                        filter.since_us = us;
                    } else {
                        filter.until_us = us;
                    }
                }
                Err(_) => problems.push(FieldProblem::new(
                    name.as_ref(),
                    "must be an RFC 3339 date-time, e.g. 2026-12-01T14:00:00Z",
                )),
            },
            "limit" => match value.parse::<u32>() {
                Ok(limit) if (1..=MAX_LIMIT).contains(&limit) => filter.limit = limit,
                _ => problems.push(FieldProblem::new(
                    "limit",
                    format!("must be an integer from 1 to {MAX_LIMIT}"),
                )),
            },
            "after" => match audit::open_cursor(&state.cursors, &value) {
                Some(position) => filter.before = Some(position),
                None => problems.push(FieldProblem::new(
                    "after",
                    "is not a cursor this gateway issued: pass nextCursor back unchanged, or start again without after",
                )),
            },
            _ => problems.push(FieldProblem::new(name.as_ref(), "is not a known parameter")),
        }
    }
    if let (Some(since), Some(until)) = (filter.since_us, filter.until_us)
        && since >= until
    {
        problems.push(FieldProblem::new("until", "must be later than since"));
    }
    if !problems.is_empty() {
        return Err(ApiError::invalid_fields(problems));
    }
    // Read one row more than the page, to know whether another follows.
    filter.limit += 1;
    Ok(filter)
}
