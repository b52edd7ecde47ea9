//! The System Log: every mutation appends an event, and `GET /api/v1/logs` queries them.
//!
//! Query semantics follow Okta's System Log guide:
//! * a **polling** request (no `until`, ascending) is ordered by persistence (append order),
//!   has infinitely many pages, and so always carries `rel="next"`;
//! * a **bounded** request (`until` set) or a descending one is ordered by `published` and
//!   its last page has no `next`;
//! * `since` defaults to 7 days before `until` (default now), may not be more than 180 days
//!   back (400 E0000053), and may not be combined with `after`;
//! * `filter` is a SCIM expression (every operator, on any event field but `published`),
//!   `q` holds up to 10 case-insensitive keywords of at most 40 characters each,
//!   `limit` defaults to 100 and is capped at 1000.
//!
//! The `after` cursor is opaque to clients; here it is `<published millis>_<sequence>`.

use chrono::{DateTime, Duration, Utc};
use http::StatusCode;
use serde_json::Value;

use crate::ctx::Ctx;
use crate::error::ApiError;
use crate::http::{ApiRequest, Pager, Reply};
use crate::model::StoredEvent;
use crate::scim;
use crate::util;

fn date_error(field: &str) -> ApiError {
    let a = "The date format in your query is not recognized. Please enter dates using ISO8601 string format.";
    let b = "must be a valid date-time or empty.";
    ApiError::validation(&format!("'{field}': {a}. '{field}': {b}"), vec![])
        .with_cause(format!("{field}: {a}"))
        .with_cause(format!("{field}: {b}"))
}

fn parse_date(req: &ApiRequest, field: &str) -> Result<Option<DateTime<Utc>>, ApiError> {
    let Some(raw) = req.param(field) else {
        return Ok(None);
    };
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    if raw.eq_ignore_ascii_case("now") {
        return Ok(Some(util::now()));
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(Some(t.with_timezone(&Utc)));
    }
    // Okta also takes offsets without a colon (`+0000`) and dates without a zone (UTC).
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M:%S%z"] {
        if let Ok(t) = DateTime::parse_from_str(raw, fmt) {
            return Ok(Some(t.with_timezone(&Utc)));
        }
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(raw, fmt) {
            return Ok(Some(t.and_utc()));
        }
    }
    Err(date_error(field))
}

fn parse_cursor(raw: &str) -> Result<(i64, u64), ApiError> {
    let invalid = || {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "E0000029",
            "Invalid paging request. Ensure the pagination cursor has not been altered",
        )
    };
    let (millis, seq) = raw.split_once('_').ok_or_else(invalid)?;
    Ok((
        millis.parse().map_err(|_| invalid())?,
        seq.parse().map_err(|_| invalid())?,
    ))
}

/// Top-level event fields a filter may name.
const FILTER_ROOTS: &[&str] = &[
    "actor",
    "authenticationContext",
    "client",
    "debugContext",
    "displayMessage",
    "eventType",
    "legacyEventType",
    "outcome",
    "request",
    "securityContext",
    "severity",
    "target",
    "transaction",
    "uuid",
    "version",
    "event_type",
];

fn parse_filter(raw: &str) -> Result<scim::Expr, ApiError> {
    let expr = scim::parse(raw).map_err(|e| {
        ApiError::log_query(format!(
            "Invalid filter '{raw}': {} at position {}.",
            e.message, e.position
        ))
    })?;
    for (attr, _) in expr.comparisons() {
        let root = attr.split('.').next().unwrap_or(attr);
        if root == "published" {
            return Err(ApiError::log_query(
                "Invalid filter: the published field can't be used in a filter; use since, until and after.",
            ));
        }
        if !FILTER_ROOTS.contains(&root) {
            return Err(ApiError::log_query(format!("field is not valid: {attr}")));
        }
    }
    Ok(expr)
}

fn parse_keywords(raw: Option<&str>) -> Result<Vec<String>, ApiError> {
    let Some(raw) = raw else { return Ok(vec![]) };
    let words: Vec<String> = raw.split_whitespace().map(str::to_lowercase).collect();
    if words.len() > 10 {
        return Err(ApiError::validation(
            "'q': Freeform search cannot contain more than 10 items. Please use an advanced filter to query by specific fields.",
            vec![],
        ));
    }
    if words.iter().any(|w| w.chars().count() > 40) {
        return Err(ApiError::validation(
            "'q': Freeform search cannot contain items longer than 40 characters. Please shorten the items in your search or use an advanced filter to query by specific fields.",
            vec![],
        ));
    }
    Ok(words)
}

/// Does every keyword equal some value of the event, a word of it, or a hyphen-split part?
fn keywords_match(event: &Value, keywords: &[String]) -> bool {
    if keywords.is_empty() {
        return true;
    }
    let mut candidates = Vec::new();
    collect_strings(event, &mut candidates);
    keywords.iter().all(|k| candidates.iter().any(|c| c == k))
}

fn collect_strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => {
            let lower = s.to_lowercase();
            for word in lower.split_whitespace() {
                for part in word.split('-') {
                    if !part.is_empty() {
                        out.push(part.to_string());
                    }
                }
                out.push(word.to_string());
            }
            out.push(lower);
        }
        Value::Array(items) => items.iter().for_each(|i| collect_strings(i, out)),
        Value::Object(map) => map.values().for_each(|i| collect_strings(i, out)),
        _ => {}
    }
}

/// `GET /api/v1/logs`.
pub(crate) fn list(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let req = ctx.req;
    let since = parse_date(req, "since")?;
    let until = parse_date(req, "until")?;
    let after = match req.param("after") {
        Some(a) if !a.is_empty() => Some(parse_cursor(a)?),
        _ => None,
    };
    if since.is_some() && after.is_some() {
        return Err(ApiError::validation(
            "'since': since and after are mutually exclusive and can't be specified simultaneously",
            vec![],
        ));
    }
    let now = util::now();
    if let Some(s) = since
        && s < now - Duration::days(180)
    {
        return Err(ApiError::log_query(
            "Invalid parameter: The since parameter is over 180 days prior to the current day.",
        ));
    }
    let limit = match req.int_param("limit")? {
        Some(n) if n < 0 => {
            return Err(ApiError::validation(
                "limit",
                vec!["limit: must be between 0 and 1000".into()],
            ));
        }
        Some(n) => usize::try_from(n).unwrap_or(1000).min(1000),
        None => 100,
    };
    let descending = match req.param("sortOrder") {
        None | Some("") => false,
        Some(s) if s.eq_ignore_ascii_case("ASCENDING") => false,
        Some(s) if s.eq_ignore_ascii_case("DESCENDING") => true,
        Some(s) => {
            return Err(ApiError::validation(
                "sortOrder",
                vec![format!(
                    "sortOrder: '{s}' is not a valid value. Expected ASCENDING or DESCENDING"
                )],
            ));
        }
    };
    let filter = match req.param("filter") {
        Some(f) if !f.trim().is_empty() => Some(parse_filter(f)?),
        _ => None,
    };
    let keywords = parse_keywords(req.param("q"))?;
    let polling = until.is_none() && !descending;
    let until_t = until.unwrap_or(now);
    let since_t = since.unwrap_or_else(|| {
        until_t
            .checked_sub_signed(Duration::days(7))
            .unwrap_or(until_t)
    });
    let events = &ctx.org.logs.events;

    let wanted = |e: &&StoredEvent| {
        filter.as_ref().is_none_or(|f| f.matches(&e.json, false))
            && keywords_match(&e.json, &keywords)
    };
    let mut page: Vec<&StoredEvent> = Vec::new();
    let mut more = false;
    if polling {
        // Persistence order; a cursor continues after its sequence number.
        for e in events.iter().filter(|e| match after {
            Some((_, seq)) => e.seq > seq,
            None => e.published >= since_t,
        }) {
            if !wanted(&e) {
                continue;
            }
            if page.len() == limit {
                more = true;
                break;
            }
            page.push(e);
        }
    } else {
        let mut sorted: Vec<&StoredEvent> = events
            .iter()
            .filter(|e| e.published <= until_t && (after.is_some() || e.published >= since_t))
            .collect();
        sorted.sort_by_key(|e| e.key());
        if descending {
            sorted.reverse();
        }
        for e in sorted.into_iter().filter(|e| match after {
            Some(cursor) if descending => e.key() < cursor,
            Some(cursor) => e.key() > cursor,
            None => true,
        }) {
            if !wanted(&e) {
                continue;
            }
            if page.len() == limit {
                more = true;
                break;
            }
            page.push(e);
        }
    }

    let pager = Pager {
        base_url: &ctx.org.base_url,
        req,
    };
    let body = Value::Array(page.iter().map(|e| e.json.clone()).collect());
    let mut reply = Reply::ok(&body).link(&pager.self_url(), "self");
    let next_cursor = match page.last() {
        Some(last) if more || polling => Some(last.cursor()),
        // An empty polling page resumes after everything examined so far.
        None if polling => Some(match (req.param("after"), after) {
            (Some(raw), Some(_)) => raw.to_string(),
            _ => ctx.org.logs.last_cursor(),
        }),
        _ => None,
    };
    if let Some(cursor) = next_cursor {
        let next = pager.next_url(&cursor, limit, &["since"]);
        reply = reply.link(&next, "next");
    }
    Ok(reply)
}
