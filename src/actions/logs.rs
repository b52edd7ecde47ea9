//! The System Log action.

use chrono::{Duration, Utc};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::fields::{Cursor, DateTimeText, Paged};
use super::paging::{Listing, PageRequest, cursor_conflicts};
use super::{Action, ActionContext, ActionFuture, ActionInput, Handler, ResponseShape, ShapeKind};
use crate::error::FieldProblem;
use crate::okta::client::{OktaPath, OktaRequest};
use crate::params::parse_datetime;

pub static ACTIONS: &[&Action] = &[&GET_AUDIT_LOGS];

/// Okta refuses a `since` further back than this (E0000053).
const MAX_SINCE_DAYS: i64 = 180;

fn default_limit() -> i64 {
    100
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
enum SortOrder {
    Descending,
    Ascending,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AuditLogsIn {
    /// Start of the range (ISO 8601, e.g. 2026-01-01T00:00:00Z); at most 180 days back. Okta's default is 7 days before until.
    since: Option<DateTimeText>,
    /// End of the range (ISO 8601); defaults to now.
    until: Option<DateTimeText>,
    /// A filter expression, e.g. eventType eq "user.lifecycle.create".
    #[schemars(length(min = 1, max = 1024))]
    filter: Option<String>,
    /// The maximum number of events to return.
    #[serde(default = "default_limit")]
    #[schemars(range(min = 1, max = 1000))]
    limit: i64,
    /// DESCENDING: newest first. ASCENDING: oldest first; without until it is a polling query (Okta orders it by when events were stored, and its next page always exists: an empty page means you have caught up).
    #[schemars(extend("default" = "DESCENDING"))]
    sort_order: Option<SortOrder>,
    after: Option<Cursor>,
    #[serde(default)]
    paged: Paged,
}

impl ActionInput for AuditLogsIn {
    fn check(&self) -> Vec<FieldProblem> {
        // With a cursor the range is the cursor's: a since or until sent with it is the problem.
        let fixed = cursor_conflicts(
            self.after.is_some(),
            &[
                ("since", self.since.is_some()),
                ("until", self.until.is_some()),
                ("filter", self.filter.is_some()),
                ("sortOrder", self.sort_order.is_some()),
            ],
        );
        if fixed.is_empty() {
            check_range(self)
        } else {
            fixed
        }
    }
}

static GET_AUDIT_LOGS: Action = Action {
    name: "get_audit_logs",
    label: "Get Audit Logs",
    description: "Reads System Log events, newest first unless sortOrder is ASCENDING, optionally within a date range and matching a filter expression: one page of at most limit events, and the cursor of the next page (see paged and after). Okta keeps 90 days of events; an ASCENDING query without until polls: its empty page means caught up.",
    resource: "log",
    mutating: false,
    destructive: false,
    carries_credentials: false,
    scopes: &["okta.logs.read"],
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
    handler: &Handler(get_audit_logs),
};

/// `GET /api/v1/logs` (NOTES.md §9): one call of up to 1000 events, Okta's maximum, so the
/// action's limit is never split.
const LOGS_LISTING: Listing = Listing {
    query: &["since", "until", "filter", "q", "sortOrder"],
    okta_page: None,
    single_page_with: &[],
};

fn check_range(input: &AuditLogsIn) -> Vec<FieldProblem> {
    let since = input
        .since
        .as_ref()
        .and_then(|s| parse_datetime(s.as_str()));
    let until = input
        .until
        .as_ref()
        .and_then(|u| parse_datetime(u.as_str()));
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

fn get_audit_logs(ctx: &ActionContext, input: AuditLogsIn) -> ActionFuture<'_> {
    Box::pin(async move {
        let mut request = OktaRequest::get(OktaPath::new("/api/v1/logs"), "logs");
        for (name, value) in [
            ("since", input.since.as_ref().map(DateTimeText::as_str)),
            ("until", input.until.as_ref().map(DateTimeText::as_str)),
            ("filter", input.filter.as_deref()),
        ] {
            if let Some(value) = value {
                request = request.query(name, value);
            }
        }
        // Always sent: Okta's own default is ASCENDING, which buries the newest events.
        let order = match input.sort_order.unwrap_or(SortOrder::Descending) {
            SortOrder::Descending => "DESCENDING",
            SortOrder::Ascending => "ASCENDING",
        };
        request = request.query("sortOrder", order);
        let page = PageRequest {
            limit: input.limit,
            after: input.after.as_ref().map(Cursor::as_str),
            paged: input.paged.on(),
        };
        ctx.list_page(request, page, &LOGS_LISTING, &GET_AUDIT_LOGS.responses[0])
            .await
    })
}
