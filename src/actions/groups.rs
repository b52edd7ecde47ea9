//! Group actions: create, read, update, delete, list, and membership.

use reqwest::Method;
use serde_json::{Value, json};

use schemars::JsonSchema;
use serde::Deserialize;

use super::context::PAGE_SIZE;
use super::fields::{Cursor, DryRun, Paged, Reference, UserRef};
use super::paging::{Listing, PageRequest, cursor_conflicts};
use super::users::dry_run;
use super::{
    Action, ActionContext, ActionFuture, ActionInput, DRY_RUN_RESPONSE, Handler, ResponseShape,
    ShapeKind, shape, shape_response, value,
};
use crate::error::{ApiError, FieldProblem};
use crate::okta::client::{OktaPath, OktaRequest, Retry};
use crate::params::NON_BLANK;

pub static ACTIONS: &[&Action] = &[
    &CREATE_GROUP,
    &GET_GROUP,
    &UPDATE_GROUP,
    &DELETE_GROUP,
    &LIST_GROUPS,
    &LIST_GROUP_MEMBERS,
    &ADD_USER_TO_GROUP,
    &REMOVE_USER_FROM_GROUP,
];

/// The seed lists Get Pending Approvals last, after the log action.
pub static PENDING_APPROVALS: &[&Action] = &[&GET_PENDING_APPROVALS];

fn default_page_limit() -> i64 {
    PAGE_SIZE
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateGroupIn {
    /// The group's name.
    #[schemars(length(min = 1, max = 255), regex(pattern = NON_BLANK), extend("x-problem" = "must not be blank"))]
    name: String,
    /// What the group is for.
    #[schemars(length(min = 0, max = 1024))]
    description: Option<String>,
}

impl ActionInput for CreateGroupIn {}

/// `{groupId}`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GroupIn {
    /// The group's Okta id.
    #[schemars(extend("x-audit-target" = true))]
    group_id: Reference,
}

impl ActionInput for GroupIn {}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UpdateGroupIn {
    /// The group's Okta id.
    #[schemars(extend("x-audit-target" = true))]
    group_id: Reference,
    /// The group's name.
    #[schemars(length(min = 1, max = 255), regex(pattern = NON_BLANK), extend("x-problem" = "must not be blank"))]
    name: String,
    /// What the group is for.
    #[schemars(length(min = 0, max = 1024))]
    description: Option<String>,
}

impl ActionInput for UpdateGroupIn {}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DeleteGroupIn {
    /// The group's Okta id.
    #[schemars(extend("x-audit-target" = true))]
    group_id: Reference,
    #[serde(default)]
    dry_run: DryRun,
}

impl ActionInput for DeleteGroupIn {}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ListGroupsIn {
    /// Only groups whose name starts with this text.
    #[schemars(length(min = 1, max = 255))]
    q: Option<String>,
    /// The maximum number of groups to return.
    #[serde(default = "default_page_limit")]
    #[schemars(range(min = 1, max = 1000))]
    limit: i64,
    after: Option<Cursor>,
    #[serde(default)]
    paged: Paged,
}

impl ActionInput for ListGroupsIn {
    fn check(&self) -> Vec<FieldProblem> {
        cursor_conflicts(self.after.is_some(), &[("q", self.q.is_some())])
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MembershipIn {
    /// The group's Okta id.
    #[schemars(extend("x-audit-target" = true))]
    group_id: Reference,
    /// The user's Okta id, or their login (resolved to the id with one lookup).
    #[schemars(extend("x-audit-target" = true))]
    user_id: UserRef,
}

impl ActionInput for MembershipIn {}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RemoveMemberIn {
    /// The group's Okta id.
    #[schemars(extend("x-audit-target" = true))]
    group_id: Reference,
    /// The user's Okta id, or their login (resolved to the id with one lookup).
    #[schemars(extend("x-audit-target" = true))]
    user_id: UserRef,
    #[serde(default)]
    dry_run: DryRun,
}

impl ActionInput for RemoveMemberIn {}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GroupMembersIn {
    /// The group whose members to list.
    #[schemars(extend("x-audit-target" = true))]
    group_id: Reference,
    /// The maximum number of users to return.
    #[serde(default = "default_page_limit")]
    #[schemars(range(min = 1, max = 1000))]
    limit: i64,
    after: Option<Cursor>,
    #[serde(default)]
    paged: Paged,
}

impl ActionInput for GroupMembersIn {}

const GROUP_SAMPLE: &str = r#"{
  "id": "00g1emaKYZTWRYYRRTSK",
  "created": "2024-01-15T10:30:00.000Z",
  "lastUpdated": "2024-05-20T08:00:00.000Z",
  "lastMembershipUpdated": "2024-05-18T14:22:00.000Z",
  "type": "OKTA_GROUP",
  "profile": {
    "name": "Engineering Team",
    "description": "All engineering department employees"
  },
  "objectClass": ["okta:user_group"]
}"#;

const GROUP_SHAPE: ResponseShape = ResponseShape {
    label: "the group",
    sample: GROUP_SAMPLE,
    kind: ShapeKind::Okta,
};

pub(super) fn group_path(ctx: &ActionContext, group: &Reference) -> Result<OktaPath, ApiError> {
    OktaPath::new("/api/v1/groups")
        .value(group.as_str())
        .map_err(|e| ctx.map(e))
}

fn shaped_group(group: Value) -> Value {
    shape_response(group, &GROUP_SHAPE)
}

static CREATE_GROUP: Action = Action {
    name: "create_group",
    label: "Create Group",
    description: "Creates an Okta group (type OKTA_GROUP) with a name and an optional description.",
    resource: "group",
    mutating: true,
    destructive: false,
    carries_credentials: false,
    scopes: &["okta.groups.manage"],
    responses: &[GROUP_SHAPE],
    example: r#"{"name": "Engineering Team - Backend", "description": "Backend engineering team members"}"#,
    handler: &Handler(create_group),
};

fn create_group(ctx: &ActionContext, input: CreateGroupIn) -> ActionFuture<'_> {
    Box::pin(async move {
        let mut profile = json!({"name": input.name});
        if let Some(description) = input.description {
            profile["description"] = json!(description);
        }
        let request = OktaRequest::new(Method::POST, OktaPath::new("/api/v1/groups"), "groups")
            .json(json!({ "profile": profile }));
        ctx.call_shaped(request, &GROUP_SHAPE).await
    })
}

static GET_GROUP: Action = Action {
    name: "get_group",
    label: "Get Group",
    description: "Fetches a group by its Okta id.",
    resource: "group",
    mutating: false,
    destructive: false,
    carries_credentials: false,
    scopes: &["okta.groups.read"],
    responses: &[GROUP_SHAPE],
    example: r#"{"groupId": "00g1emaKYZTWRYYRRTSK"}"#,
    handler: &Handler(get_group),
};

fn get_group(ctx: &ActionContext, input: GroupIn) -> ActionFuture<'_> {
    Box::pin(async move {
        let request = OktaRequest::get(group_path(ctx, &input.group_id)?, "groups/{id}");
        ctx.call_shaped(request, &GROUP_SHAPE).await
    })
}

static UPDATE_GROUP: Action = Action {
    name: "update_group",
    label: "Update Group",
    description: "Renames a group and/or changes its description. Okta replaces the whole profile, so the gateway reads the group first and sends back every other attribute (an omitted description and custom attributes such as costCenter keep their values).",
    resource: "group",
    mutating: true,
    destructive: false,
    carries_credentials: false,
    scopes: &["okta.groups.manage"],
    responses: &[GROUP_SHAPE],
    example: r#"{"groupId": "00g1emaKYZTWRYYRRTSK", "name": "Engineering Team - Backend", "description": "Backend engineering team members"}"#,
    handler: &Handler(update_group),
};

fn update_group(ctx: &ActionContext, input: UpdateGroupIn) -> ActionFuture<'_> {
    value(async move {
        let path = group_path(ctx, &input.group_id)?;
        // Okta's PUT replaces the whole profile, and group profiles are extensible: send back
        // every attribute the group has (e.g. costCenter), changing only name and description.
        let current = ctx
            .call_json(OktaRequest::get(path.clone(), "groups/{id}"))
            .await?;
        let mut profile = match current.get("profile") {
            Some(Value::Object(profile)) => profile.clone(),
            _ => {
                return Err(
                    ApiError::new(crate::error::ErrorStatus::UpstreamUnavailable)
                        .with_internal("Okta returned a group without a profile"),
                );
            }
        };
        profile.insert("name".to_owned(), json!(input.name));
        if let Some(description) = input.description {
            profile.insert("description".to_owned(), json!(description));
        }
        let request =
            OktaRequest::new(Method::PUT, path, "groups/{id}").json(json!({ "profile": profile }));
        Ok(shaped_group(ctx.call_json(request).await?))
    })
}

static DELETE_GROUP: Action = Action {
    name: "delete_group",
    label: "Delete Group",
    description: "Permanently deletes a group (its members are not deleted). Irreversible: put a confirmation step (dryRun) before it.",
    resource: "group",
    mutating: true,
    destructive: true,
    carries_credentials: false,
    scopes: &["okta.groups.manage"],
    responses: &[
        ResponseShape {
            label: "the group is deleted",
            sample: r#"{"status": 204, "message": "Group successfully deleted."}"#,
            kind: ShapeKind::Wrapper,
        },
        DRY_RUN_RESPONSE,
    ],
    example: r#"{"groupId": "00g2xyzABCTWRYYRRXYZ"}"#,
    handler: &Handler(delete_group),
};

fn delete_group(ctx: &ActionContext, input: DeleteGroupIn) -> ActionFuture<'_> {
    value(async move {
        let path = group_path(ctx, &input.group_id)?;
        if input.dry_run.on() {
            let group = ctx.call_json(OktaRequest::get(path, "groups/{id}")).await?;
            let name = group
                .pointer("/profile/name")
                .and_then(Value::as_str)
                .unwrap_or("?")
                .to_owned();
            return Ok(dry_run(format!("Would delete group {name}."), group));
        }
        let request =
            OktaRequest::new(Method::DELETE, path, "groups/{id}").retry(Retry::Idempotent);
        ctx.call(request).await?;
        Ok(json!({"status": 204, "message": "Group successfully deleted."}))
    })
}

static LIST_GROUPS: Action = Action {
    name: "list_groups",
    label: "List Groups",
    description: "Lists the org's groups, optionally only those whose name starts with q: one page of at most limit groups (following Okta's pages), and the cursor of the next page (see paged and after). With q, Okta answers one page only.",
    resource: "group",
    mutating: false,
    destructive: false,
    carries_credentials: false,
    scopes: &["okta.groups.read"],
    responses: &[ResponseShape {
        label: "the groups",
        sample: r#"[
  {
    "id": "00g1emaKYZTWRYYRRTSK",
    "created": "2024-01-15T10:30:00.000Z",
    "lastUpdated": "2024-05-20T08:00:00.000Z",
    "lastMembershipUpdated": "2024-05-18T14:22:00.000Z",
    "type": "OKTA_GROUP",
    "profile": {"name": "Engineering Team", "description": "All engineering department employees"}
  },
  {
    "id": "00g2xyzABCTWRYYRRXYZ",
    "created": "2024-02-01T09:00:00.000Z",
    "lastUpdated": "2024-05-10T07:30:00.000Z",
    "lastMembershipUpdated": "2024-05-10T07:30:00.000Z",
    "type": "OKTA_GROUP",
    "profile": {"name": "HR Team", "description": "Human resources team"}
  }
]"#,
        kind: ShapeKind::Okta,
    }],
    example: r#"{"q": "Eng", "limit": 10}"#,
    handler: &Handler(list_groups),
};

/// `GET /api/v1/groups` (NOTES.md §2.17): `q` cannot page, so with it one call asks for all.
const GROUPS_LISTING: Listing = Listing {
    query: &["q", "search", "filter", "expand", "sortBy", "sortOrder"],
    okta_page: Some(PAGE_SIZE),
    single_page_with: &["q"],
};

fn list_groups(ctx: &ActionContext, input: ListGroupsIn) -> ActionFuture<'_> {
    Box::pin(async move {
        let mut request = OktaRequest::get(OktaPath::new("/api/v1/groups"), "groups");
        if let Some(q) = &input.q {
            request = request.query("q", q);
        }
        let page = PageRequest {
            limit: input.limit,
            after: input.after.as_ref().map(Cursor::as_str),
            paged: input.paged.on(),
        };
        ctx.list_page(request, page, &GROUPS_LISTING, &LIST_GROUPS.responses[0])
            .await
    })
}

static ADD_USER_TO_GROUP: Action = Action {
    name: "add_user_to_group",
    label: "Add User to Group",
    description: "Adds a user to a group (OKTA_GROUP only). Adding a member again changes nothing.",
    resource: "group",
    mutating: true,
    destructive: false,
    carries_credentials: false,
    scopes: &["okta.groups.manage", "okta.users.read"],
    responses: &[ResponseShape {
        label: "the user is a member",
        sample: r#"{"status": 204, "message": "User successfully added to group.", "userId": "00ub0oNGTSWTBKOLGLNR", "groupId": "00g1emaKYZTWRYYRRTSK"}"#,
        kind: ShapeKind::Wrapper,
    }],
    example: r#"{"groupId": "00g2xyzABCTWRYYRRXYZ", "userId": "00ub0oNGTSWTBKOLGLNR"}"#,
    handler: &Handler(add_user_to_group),
};

fn membership_path(
    ctx: &ActionContext,
    group: &Reference,
    user_id: &str,
) -> Result<OktaPath, ApiError> {
    group_path(ctx, group)?
        .fixed("users")
        .value(user_id)
        .map_err(|e| ctx.map(e))
}

fn add_user_to_group(ctx: &ActionContext, input: MembershipIn) -> ActionFuture<'_> {
    value(async move {
        let user_id = ctx.user_id(input.user_id.as_str()).await?;
        // A membership PUT can be repeated without changing the outcome.
        let request = OktaRequest::new(
            Method::PUT,
            membership_path(ctx, &input.group_id, &user_id)?,
            "groups/{id}/users",
        )
        .retry(Retry::Idempotent);
        ctx.call(request).await?;
        Ok(json!({
            "status": 204,
            "message": "User successfully added to group.",
            "userId": user_id,
            "groupId": input.group_id.as_str(),
        }))
    })
}

static REMOVE_USER_FROM_GROUP: Action = Action {
    name: "remove_user_from_group",
    label: "Remove User from Group",
    description: "Removes a user from a group; the user account itself is not affected.",
    resource: "group",
    mutating: true,
    destructive: true,
    carries_credentials: false,
    scopes: &["okta.groups.manage", "okta.users.read"],
    responses: &[
        ResponseShape {
            label: "the user is no longer a member",
            sample: r#"{"status": 204, "message": "User successfully removed from group.", "userId": "00ub0oNGTSWTBKOLGLNR", "groupId": "00g1emaKYZTWRYYRRTSK"}"#,
            kind: ShapeKind::Wrapper,
        },
        DRY_RUN_RESPONSE,
    ],
    example: r#"{"groupId": "00g1emaKYZTWRYYRRTSK", "userId": "00ub0oNGTSWTBKOLGLNR"}"#,
    handler: &Handler(remove_user_from_group),
};

fn remove_user_from_group(ctx: &ActionContext, input: RemoveMemberIn) -> ActionFuture<'_> {
    value(async move {
        let reference = input.user_id.as_str();
        let group_id = input.group_id.as_str();
        if input.dry_run.on() {
            let group = ctx
                .call_json(OktaRequest::get(
                    group_path(ctx, &input.group_id)?,
                    "groups/{id}",
                ))
                .await?;
            let user = ctx.find_user(reference).await?;
            let name = group
                .pointer("/profile/name")
                .and_then(Value::as_str)
                .unwrap_or("?");
            let login = user
                .pointer("/profile/login")
                .and_then(Value::as_str)
                .unwrap_or("?");
            let message = format!("Would remove user {login} from group {name}.");
            return Ok(dry_run(
                message,
                json!({"group": shaped_group(group), "user": shape(user, &json!({}))}),
            ));
        }
        let user_id = ctx.user_id(reference).await?;
        let request = OktaRequest::new(
            Method::DELETE,
            membership_path(ctx, &input.group_id, &user_id)?,
            "groups/{id}/users",
        )
        .retry(Retry::Idempotent);
        ctx.call(request).await?;
        Ok(json!({
            "status": 204,
            "message": "User successfully removed from group.",
            "userId": user_id,
            "groupId": group_id,
        }))
    })
}

const MEMBERS_SHAPE: ResponseShape = ResponseShape {
    label: "the group's users",
    sample: r#"[
  {
    "id": "00ub0oNGTSWTBKOLGLNR",
    "status": "ACTIVE",
    "created": "2024-01-15T10:30:00.000Z",
    "activated": "2024-01-15T10:35:00.000Z",
    "lastLogin": "2026-05-28T09:00:00.000Z",
    "lastUpdated": "2026-05-28T09:00:00.000Z",
    "profile": {"firstName": "Jordan", "lastName": "Lee", "email": "jordan.lee@example.com", "login": "jordan.lee@example.com"}
  },
  {
    "id": "00uc1pExGOQAVXZSMATP",
    "status": "ACTIVE",
    "created": "2024-03-10T08:00:00.000Z",
    "activated": "2024-03-10T08:05:00.000Z",
    "lastLogin": "2026-05-27T11:00:00.000Z",
    "lastUpdated": "2026-05-27T11:00:00.000Z",
    "profile": {"firstName": "Priya", "lastName": "Sharma", "email": "priya.sharma@example.com", "login": "priya.sharma@example.com"}
  }
]"#,
    kind: ShapeKind::Okta,
};

static LIST_GROUP_MEMBERS: Action = Action {
    name: "list_group_members",
    label: "List Group Members",
    description: "Lists the users in a group: one page of at most limit users (following Okta's pages), and the cursor of the next page (see paged and after). get_pending_approvals is the seed's older name for the same call.",
    resource: "group",
    mutating: false,
    destructive: false,
    carries_credentials: false,
    scopes: &["okta.groups.read"],
    responses: &[MEMBERS_SHAPE],
    example: r#"{"groupId": "00g1emaKYZTWRYYRRTSK", "limit": 50}"#,
    handler: &Handler(list_group_members),
};

static GET_PENDING_APPROVALS: Action = Action {
    name: "get_pending_approvals",
    label: "Get Pending Approvals",
    description: "Lists the users in a group (useful when a group is an approval queue): one page of at most limit users (following Okta's pages), and the cursor of the next page (see paged and after).",
    resource: "group",
    mutating: false,
    destructive: false,
    carries_credentials: false,
    scopes: &["okta.groups.read"],
    responses: &[MEMBERS_SHAPE],
    example: r#"{"groupId": "00g1emaKYZTWRYYRRTSK", "limit": 50}"#,
    handler: &Handler(list_group_members),
};

/// A list under one group or app (`GET /api/v1/groups/{id}/users`, `…/apps/{id}/users`): only
/// `after` and `limit`; the id is in the path, which the cursor is bound to.
pub(super) const BY_PATH_LISTING: Listing = Listing {
    query: &[],
    okta_page: Some(PAGE_SIZE),
    single_page_with: &[],
};

/// The handler of list_group_members and of get_pending_approvals, the seed's older name for
/// it (each action's cursors stay its own: they are bound to the action that issued them).
fn list_group_members(ctx: &ActionContext, input: GroupMembersIn) -> ActionFuture<'_> {
    Box::pin(async move {
        let path = group_path(ctx, &input.group_id)?.fixed("users");
        let request = OktaRequest::get(path, "groups/{id}/users");
        let page = PageRequest {
            limit: input.limit,
            after: input.after.as_ref().map(Cursor::as_str),
            paged: input.paged.on(),
        };
        ctx.list_page(request, page, &BY_PATH_LISTING, &ctx.action.responses[0])
            .await
    })
}
