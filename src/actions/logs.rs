//! The System Log action.

use chrono::{Duration, Utc};

use super::paging::{AFTER, Listing, PAGED};
use super::{Action, ActionContext, ActionFuture, ResponseShape, ShapeKind};
use crate::error::FieldProblem;
use crate::okta::client::{OktaPath, OktaRequest};
use crate::params::{DefaultValue, Input, Kind, Param, parse_datetime};

pub static ACTIONS: &[&Action] = &[&GET_AUDIT_LOGS];

/// Okta refuses a `since` further back than this (E0000053).
const MAX_SINCE_DAYS: i64 = 180;

static GET_AUDIT_LOGS: Action = Action {
    name: "get_audit_logs",
    label: "Get Audit Logs",
    description: "Reads System Log events, newest first unless sortOrder is ASCENDING, optionally within a date range and matching a filter expression: one page of at most limit events, and the cursor of the next page (see paged and after). Okta keeps 90 days of events; an ASCENDING query without until polls: its empty page means caught up.",
    params: &[
        Param::new(
            "since",
            Kind::DateTime,
            "Start of the range (ISO 8601, e.g. 2026-01-01T00:00:00Z); at most 180 days back. Okta's default is 7 days before until.",
        ),
        Param::new(
            "until",
            Kind::DateTime,
            "End of the range (ISO 8601); defaults to now.",
        ),
        Param::new(
            "filter",
            Kind::String {
                min: 1,
                max: 1024,
                pattern: None,
            },
            "A filter expression, e.g. eventType eq \"user.lifecycle.create\".",
        ),
        Param::new(
            "limit",
            Kind::Integer { min: 1, max: 1000 },
            "The maximum number of events to return.",
        )
        .default(DefaultValue::Int(100)),
        Param::new(
            "sortOrder",
            Kind::Enum(&["DESCENDING", "ASCENDING"]),
            "DESCENDING: newest first. ASCENDING: oldest first; without until it is a polling query (Okta orders it by when events were stored, and its next page always exists: an empty page means you have caught up).",
        )
        .default(DefaultValue::Str("DESCENDING")),
        AFTER,
        PAGED,
    ],
    resource: "log",
    mutating: false,
    carries_credentials: false,
    check: Some(check),
    responses: &[ResponseShape {
        label: "the events",
        sample: r#"[
  {
    "actor": {"id": "00ub0oNGTSWTBKOLGLNR", "type": "User", "alternateId": "admin@example.com", "displayName": "Admin User"},
    "client": {"ipAddress": "203.0.113.42", "geographicalContext": {"city": "Bangalore", "country": "India"}},
    "eventType": "user.session.start",
    "outcome": {"result": "SUCCESS"},
    "published": "2026-05-29T08:12:00.000Z",
    "severity": "INFO",
    "target": [{"id": "00ub0oNGTSWTBKOLGLNR", "type": "User", "alternateId": "jordan.lee@example.com", "displayName": "Jordan Lee"}]
  }
]"#,
        kind: ShapeKind::Okta,
    }],
    example: r#"{"filter": "eventType eq \"group.user_membership.add\"", "limit": 10}"#,
    handler: get_audit_logs,
};

/// `GET /api/v1/logs` (NOTES.md §9): one call of up to 1000 events, Okta's maximum, so the
/// action's limit is never split.
const LOGS_LISTING: Listing = Listing {
    fixed: &["since", "until", "filter", "sortOrder"],
    query: &["since", "until", "filter", "q", "sortOrder"],
    okta_page: None,
    single_page_with: &[],
};

fn check(input: &Input) -> Vec<FieldProblem> {
    // With a cursor the range is the cursor's: a since or until sent with it is the problem.
    let fixed = LOGS_LISTING.check(input);
    if fixed.is_empty() {
        check_range(input)
    } else {
        fixed
    }
}

fn check_range(input: &Input) -> Vec<FieldProblem> {
    let since = input.str("since").and_then(parse_datetime);
    let until = input.str("until").and_then(parse_datetime);
    let mut problems = Vec::new();
    if let (Some(since), Some(until)) = (since, until)
        && since > until
    {
        problems.push(FieldProblem::new("since", "must not be after until"));
    }
    if since.is_some_and(|s| s < Utc::now() - Duration::days(MAX_SINCE_DAYS)) {
        problems.push(FieldProblem::new(
            "since",
            "must be at most 180 days before now",
        ));
    }
    problems
}

fn get_audit_logs(ctx: &ActionContext, input: Input) -> ActionFuture<'_> {
    Box::pin(async move {
        let mut request = OktaRequest::get(OktaPath::new("/api/v1/logs"), "logs");
        for name in ["since", "until", "filter"] {
            if let Some(value) = input.str(name) {
                request = request.query(name, value);
            }
        }
        // Always sent: Okta's own default is ASCENDING, which buries the newest events.
        let order = input.str("sortOrder").unwrap_or("DESCENDING");
        request = request.query("sortOrder", order);
        ctx.list_page(request, &input, &LOGS_LISTING, &GET_AUDIT_LOGS.responses[0])
            .await
    })
}
