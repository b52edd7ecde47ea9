//! Who can use which application: list the org's applications and an application's users,
//! list the applications assigned to a group, and assign or unassign a group to an
//! application (its members then get the application with scope GROUP).

use reqwest::Method;
use serde_json::{Value, json};

use schemars::JsonSchema;
use serde::Deserialize;

use super::apps::app_path;
use super::context::PAGE_SIZE;
use super::fields::{Cursor, DryRun, Paged, Reference};
use super::groups::{BY_PATH_LISTING, group_path};
use super::paging::{Listing, PageRequest, cursor_conflicts};
use super::users::dry_run;
use super::{
    Action, ActionContext, ActionFuture, ActionInput, DRY_RUN_RESPONSE, Handler, ResponseShape,
    ShapeKind, shape_response, value,
};
use crate::error::{ApiError, ErrorStatus, FieldProblem};
use crate::okta::client::{OktaPath, OktaRequest, Retry};
use crate::params::NON_BLANK;

pub static ACTIONS: &[&Action] = &[
    &LIST_APPLICATIONS,
    &LIST_APP_USERS,
    &LIST_GROUP_APPS,
    &ASSIGN_GROUP_TO_APP,
    &UNASSIGN_GROUP_FROM_APP,
];

fn default_applications_limit() -> i64 {
    50
}

fn default_page_limit() -> i64 {
    PAGE_SIZE
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ListApplicationsIn {
    /// Only applications whose label or name starts with this text.
    #[schemars(length(min = 1, max = 255), regex(pattern = NON_BLANK), extend("x-problem" = "must not be blank"))]
    q: Option<String>,
    /// An Okta filter expression on id, status or name, e.g. `status eq "ACTIVE"` (Okta refuses other attributes with E0000031).
    #[schemars(length(min = 1, max = 1024), regex(pattern = NON_BLANK), extend("x-problem" = "must not be blank"))]
    filter: Option<String>,
    /// The maximum number of applications to return.
    #[serde(default = "default_applications_limit")]
    #[schemars(range(min = 1, max = 200))]
    limit: i64,
    after: Option<Cursor>,
    #[serde(default)]
    paged: Paged,
}

impl ActionInput for ListApplicationsIn {
    fn check(&self) -> Vec<FieldProblem> {
        cursor_conflicts(
            self.after.is_some(),
            &[("q", self.q.is_some()), ("filter", self.filter.is_some())],
        )
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AppUsersIn {
    /// The application whose users to list.
    #[schemars(extend("x-audit-target" = true))]
    app_id: Reference,
    /// The maximum number of application users to return.
    #[serde(default = "default_page_limit")]
    #[schemars(range(min = 1, max = 1000))]
    limit: i64,
    after: Option<Cursor>,
    #[serde(default)]
    paged: Paged,
}

impl ActionInput for AppUsersIn {}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GroupAppsIn {
    /// The group whose applications to list.
    #[schemars(extend("x-audit-target" = true))]
    group_id: Reference,
    /// The maximum number of applications to return.
    #[serde(default = "default_page_limit")]
    #[schemars(range(min = 1, max = 1000))]
    limit: i64,
    after: Option<Cursor>,
    #[serde(default)]
    paged: Paged,
}

impl ActionInput for GroupAppsIn {}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AssignGroupIn {
    /// The application's Okta id.
    #[schemars(extend("x-audit-target" = true))]
    app_id: Reference,
    /// The group's Okta id.
    #[schemars(extend("x-audit-target" = true))]
    group_id: Reference,
    /// Which group's application profile applies to a user in several of the application's groups (0 is the highest). Okta puts a new assignment after the application's other groups when it is left out.
    #[schemars(range(min = 0, max = 2147483647))]
    priority: Option<i64>,
}

impl ActionInput for AssignGroupIn {}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UnassignGroupIn {
    /// The application's Okta id.
    #[schemars(extend("x-audit-target" = true))]
    app_id: Reference,
    /// The group's Okta id.
    #[schemars(extend("x-audit-target" = true))]
    group_id: Reference,
    #[serde(default)]
    dry_run: DryRun,
}

impl ActionInput for UnassignGroupIn {}

/// `GET /api/v1/apps`: its next links carry the first page's `q` and `filter`.
const APPS_LISTING: Listing = Listing {
    query: &["q", "filter"],
    okta_page: Some(PAGE_SIZE),
    single_page_with: &[],
};

/// Applications as Okta lists them (only the top-level keys are common to every sign-on mode).
const APPS_SHAPE: ResponseShape = ResponseShape {
    label: "the applications",
    sample: r#"[
  {
    "id": "0oa1bkmrkDEMOAPP0001",
    "name": "bookmark",
    "label": "Company Intranet",
    "status": "ACTIVE",
    "created": "2023-06-02T08:00:00.000Z",
    "lastUpdated": "2023-06-02T08:00:00.000Z",
    "signOnMode": "BOOKMARK",
    "settings": {"app": {"requestIntegration": false, "url": "https://intranet.example.com/"}}
  },
  {
    "id": "0oa2oidcDEMOAPP00002",
    "name": "oidc_client",
    "label": "Helpdesk Portal",
    "status": "ACTIVE",
    "created": "2023-07-10T12:00:00.000Z",
    "lastUpdated": "2024-02-01T12:00:00.000Z",
    "signOnMode": "OPENID_CONNECT",
    "settings": {"oauthClient": {"client_uri": "https://helpdesk.example.com", "application_type": "web"}}
  }
]"#,
    kind: ShapeKind::OktaTop,
};

const ASSIGNMENT_SAMPLE: &str = r#"{
  "id": "00g1emaKYZTWRYYRRTSK",
  "lastUpdated": "2024-06-03T13:52:07.000Z",
  "priority": 1,
  "profile": {}
}"#;

fn app_group_path(
    ctx: &ActionContext,
    app: &Reference,
    group: &Reference,
) -> Result<OktaPath, ApiError> {
    app_path(ctx, app)?
        .fixed("groups")
        .value(group.as_str())
        .map_err(|e| ctx.map(e))
}

fn page<'a>(limit: i64, after: Option<&'a Cursor>, paged: &Paged) -> PageRequest<'a> {
    PageRequest {
        limit,
        after: after.map(Cursor::as_str),
        paged: paged.on(),
    }
}

static LIST_APPLICATIONS: Action = Action {
    name: "list_applications",
    label: "List Applications",
    description: "Lists the org's applications, optionally those whose label or name starts with q or that match an Okta filter (id, status or name, e.g. status eq \"ACTIVE\"): one page of at most limit applications, and the cursor of the next page (see paged and after).",
    resource: "application",
    mutating: false,
    destructive: false,
    carries_credentials: false,
    scopes: &["okta.apps.read"],
    responses: &[APPS_SHAPE],
    example: r#"{"filter": "status eq \"ACTIVE\"", "limit": 20}"#,
    handler: &Handler(list_applications),
};

fn list_applications(ctx: &ActionContext, input: ListApplicationsIn) -> ActionFuture<'_> {
    Box::pin(async move {
        let mut request = OktaRequest::get(OktaPath::new("/api/v1/apps"), "apps");
        if let Some(q) = &input.q {
            request = request.query("q", q);
        }
        if let Some(filter) = &input.filter {
            request = request.query("filter", filter);
        }
        let page = page(input.limit, input.after.as_ref(), &input.paged);
        ctx.list_page(request, page, &APPS_LISTING, &APPS_SHAPE)
            .await
    })
}

static LIST_APP_USERS: Action = Action {
    name: "list_app_users",
    label: "List App Users",
    description: "Lists the users assigned to an application, directly (scope USER) or through one of their groups (scope GROUP): one page of at most limit users (following Okta's pages), and the cursor of the next page (see paged and after).",
    resource: "application",
    mutating: false,
    destructive: false,
    carries_credentials: false,
    scopes: &["okta.apps.read"],
    responses: &[ResponseShape {
        label: "the application's users (its assignments)",
        sample: r#"[
  {
    "id": "00ub0oNGTSWTBKOLGLNR",
    "externalId": null,
    "created": "2024-01-16T09:00:00.000Z",
    "lastUpdated": "2024-01-16T09:00:00.000Z",
    "scope": "USER",
    "status": "ACTIVE",
    "statusChanged": "2024-01-16T09:00:00.000Z",
    "passwordChanged": null,
    "syncState": "DISABLED",
    "credentials": {"userName": "jordan.lee@example.com"},
    "profile": {}
  },
  {
    "id": "00uc1pExGOQAVXZSMATP",
    "externalId": null,
    "created": "2024-06-03T13:52:07.000Z",
    "lastUpdated": "2024-06-03T13:52:07.000Z",
    "scope": "GROUP",
    "status": "ACTIVE",
    "statusChanged": "2024-06-03T13:52:07.000Z",
    "passwordChanged": null,
    "syncState": "DISABLED",
    "credentials": {"userName": "priya.sharma@example.com"},
    "profile": {}
  }
]"#,
        kind: ShapeKind::Okta,
    }],
    example: r#"{"appId": "0oa1bkmrkDEMOAPP0001", "limit": 50}"#,
    handler: &Handler(list_app_users),
};

fn list_app_users(ctx: &ActionContext, input: AppUsersIn) -> ActionFuture<'_> {
    Box::pin(async move {
        let path = app_path(ctx, &input.app_id)?.fixed("users");
        let request = OktaRequest::get(path, "apps/{id}/users");
        let page = page(input.limit, input.after.as_ref(), &input.paged);
        ctx.list_page(
            request,
            page,
            &BY_PATH_LISTING,
            &LIST_APP_USERS.responses[0],
        )
        .await
    })
}

static LIST_GROUP_APPS: Action = Action {
    name: "list_group_apps",
    label: "List Group Apps",
    description: "Lists the applications assigned to a group (which its members get with scope GROUP): one page of at most limit applications (following Okta's pages), and the cursor of the next page (see paged and after).",
    resource: "group",
    mutating: false,
    destructive: false,
    carries_credentials: false,
    scopes: &["okta.groups.read"],
    responses: &[ResponseShape {
        label: "the group's applications",
        ..APPS_SHAPE
    }],
    example: r#"{"groupId": "00g2xyzABCTWRYYRRXYZ", "limit": 50}"#,
    handler: &Handler(list_group_apps),
};

fn list_group_apps(ctx: &ActionContext, input: GroupAppsIn) -> ActionFuture<'_> {
    Box::pin(async move {
        let path = group_path(ctx, &input.group_id)?.fixed("apps");
        let request = OktaRequest::get(path, "groups/{id}/apps");
        let page = page(input.limit, input.after.as_ref(), &input.paged);
        ctx.list_page(
            request,
            page,
            &BY_PATH_LISTING,
            &LIST_GROUP_APPS.responses[0],
        )
        .await
    })
}

static ASSIGN_GROUP_TO_APP: Action = Action {
    name: "assign_group_to_app",
    label: "Assign Group to App",
    description: "Assigns an application to a group: each member, and each later member, gets the application (scope GROUP; a direct assignment stays USER). Okta's call replaces an existing assignment's priority and profile, so the gateway reads it first and answers 409 CONFLICT when the group is already assigned.",
    resource: "application",
    mutating: true,
    destructive: false,
    carries_credentials: false,
    scopes: &["okta.apps.manage"],
    responses: &[ResponseShape {
        label: "the group assignment",
        sample: ASSIGNMENT_SAMPLE,
        kind: ShapeKind::Okta,
    }],
    example: r#"{"appId": "0oa2oidcDEMOAPP00002", "groupId": "00g1emaKYZTWRYYRRTSK", "priority": 1}"#,
    handler: &Handler(assign_group_to_app),
};

fn assign_group_to_app(ctx: &ActionContext, input: AssignGroupIn) -> ActionFuture<'_> {
    value(async move {
        let path = app_group_path(ctx, &input.app_id, &input.group_id)?;
        match ctx
            .call_json(OktaRequest::get(path.clone(), "apps/{id}/groups/{id}"))
            .await
        {
            Ok(existing) => return Err(already_assigned(&input, &existing)),
            // An unknown application: nothing to assign to.
            Err(error) if error.details.resource.as_deref() == Some("application") => {
                return Err(error);
            }
            // Not assigned (or no such group, which the PUT names): assign it.
            Err(error) if error.status == ErrorStatus::ResourceNotFound => {}
            Err(error) => return Err(error),
        }
        let body = match input.priority {
            Some(priority) => json!({"priority": priority}),
            None => json!({}),
        };
        // Repeating the PUT after a lost answer stores the same assignment again.
        let request = OktaRequest::new(Method::PUT, path, "apps/{id}/groups/{id}")
            .json(body)
            .retry(Retry::Idempotent);
        let assignment = ctx.call_json(request).await?;
        Ok(shape_response(
            assignment,
            &ASSIGN_GROUP_TO_APP.responses[0],
        ))
    })
}

fn already_assigned(input: &AssignGroupIn, existing: &Value) -> ApiError {
    let priority = existing
        .get("priority")
        .map_or_else(|| "unknown".to_owned(), Value::to_string);
    let mut error = ApiError::new(ErrorStatus::Conflict)
        .with_message(format!(
            "Group {} is already assigned to application {} (priority {priority}); assigning it again would replace that assignment's priority and profile.",
            input.group_id.as_str(),
            input.app_id.as_str(),
        ))
        .with_how_to_fix(
            "Keep the existing assignment, or unassign the group (unassign_group_from_app) and assign it again.",
        );
    error.details.conflict = Some("The group is already assigned to this application.".to_owned());
    error
}

static UNASSIGN_GROUP_FROM_APP: Action = Action {
    name: "unassign_group_from_app",
    label: "Unassign Group from App",
    description: "Removes a group's assignment to an application: members who have the application only through this group lose it (and its profile); direct assignments and other groups' stay.",
    resource: "application",
    mutating: true,
    destructive: true,
    carries_credentials: false,
    scopes: &["okta.apps.manage"],
    responses: &[
        ResponseShape {
            label: "the group is unassigned",
            sample: r#"{"status": 204, "message": "Group successfully unassigned from application.", "groupId": "00g2xyzABCTWRYYRRXYZ", "appId": "0oa2oidcDEMOAPP00002"}"#,
            kind: ShapeKind::Wrapper,
        },
        DRY_RUN_RESPONSE,
    ],
    example: r#"{"appId": "0oa2oidcDEMOAPP00002", "groupId": "00g2xyzABCTWRYYRRXYZ"}"#,
    handler: &Handler(unassign_group_from_app),
};

fn unassign_group_from_app(ctx: &ActionContext, input: UnassignGroupIn) -> ActionFuture<'_> {
    value(async move {
        let path = app_group_path(ctx, &input.app_id, &input.group_id)?;
        let (app_id, group_id) = (input.app_id.as_str(), input.group_id.as_str());
        if input.dry_run.on() {
            let assignment = ctx
                .call_json(OktaRequest::get(path, "apps/{id}/groups/{id}"))
                .await?;
            let message = format!(
                "Would unassign group {group_id} from application {app_id}: members who have it only through this group lose it."
            );
            return Ok(dry_run(message, assignment));
        }
        let request = OktaRequest::new(Method::DELETE, path, "apps/{id}/groups/{id}")
            .retry(Retry::Idempotent);
        ctx.call(request).await?;
        Ok(json!({
            "status": 204,
            "message": "Group successfully unassigned from application.",
            "groupId": group_id,
            "appId": app_id,
        }))
    })
}
