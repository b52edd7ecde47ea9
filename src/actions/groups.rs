//! Group actions: create, read, update, delete, list, and membership.

use reqwest::Method;
use serde_json::{Value, json};

use super::context::PAGE_SIZE;
use super::paging::{AFTER, Listing, PAGED};
use super::users::dry_run;
use super::{
    Action, ActionContext, ActionFuture, DRY_RUN, DRY_RUN_RESPONSE, ResponseShape, ShapeKind,
    reference, shape, shape_response, user_reference, value,
};
use crate::error::{ApiError, FieldProblem};
use crate::okta::client::{OktaPath, OktaRequest, Retry};
use crate::params::{DefaultValue, Input, Kind, NON_BLANK, Param};

pub static ACTIONS: &[&Action] = &[
    &CREATE_GROUP,
    &GET_GROUP,
    &UPDATE_GROUP,
    &DELETE_GROUP,
    &LIST_GROUPS,
    &ADD_USER_TO_GROUP,
    &REMOVE_USER_FROM_GROUP,
];

/// The seed lists Get Pending Approvals last, after the log action.
pub static PENDING_APPROVALS: &[&Action] = &[&GET_PENDING_APPROVALS];

const GROUP_ID: Param = reference("groupId", "The group's Okta id.");
const MEMBER_ID: Param = user_reference(
    "userId",
    "The user's Okta id, or their login (resolved to the id with one lookup).",
);
const NAME: Param = Param::new(
    "name",
    Kind::String {
        min: 1,
        max: 255,
        pattern: Some((NON_BLANK, "must not be blank")),
    },
    "The group's name.",
);
const DESCRIPTION: Param = Param::new(
    "description",
    Kind::String {
        min: 0,
        max: 1024,
        pattern: None,
    },
    "What the group is for.",
);
const fn limit(default: i64, description: &'static str) -> Param {
    Param::new("limit", Kind::Integer { min: 1, max: 1000 }, description)
        .default(DefaultValue::Int(default))
}

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

fn group_path(ctx: &ActionContext, input: &Input) -> Result<OktaPath, ApiError> {
    OktaPath::new("/api/v1/groups")
        .value(input.str("groupId").unwrap_or_default())
        .map_err(|e| ctx.map(e))
}

fn shaped_group(group: Value) -> Value {
    shape_response(group, &GROUP_SHAPE)
}

static CREATE_GROUP: Action = Action {
    name: "create_group",
    label: "Create Group",
    description: "Creates an Okta group (type OKTA_GROUP) with a name and an optional description.",
    params: &[NAME.required(), DESCRIPTION],
    resource: "group",
    mutating: true,
    carries_credentials: false,
    check: None,
    responses: &[GROUP_SHAPE],
    example: r#"{"name": "Engineering Team - Backend", "description": "Backend engineering team members"}"#,
    handler: create_group,
};

fn create_group(ctx: &ActionContext, input: Input) -> ActionFuture<'_> {
    Box::pin(async move {
        let mut profile = json!({"name": input.str("name").unwrap_or_default()});
        if let Some(description) = input.str("description") {
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
    params: &[GROUP_ID],
    resource: "group",
    mutating: false,
    carries_credentials: false,
    check: None,
    responses: &[GROUP_SHAPE],
    example: r#"{"groupId": "00g1emaKYZTWRYYRRTSK"}"#,
    handler: get_group,
};

fn get_group(ctx: &ActionContext, input: Input) -> ActionFuture<'_> {
    Box::pin(async move {
        let request = OktaRequest::get(group_path(ctx, &input)?, "groups/{id}");
        ctx.call_shaped(request, &GROUP_SHAPE).await
    })
}

static UPDATE_GROUP: Action = Action {
    name: "update_group",
    label: "Update Group",
    description: "Renames a group and/or changes its description. Okta replaces the whole profile, so the gateway reads the group first and sends back every other attribute (an omitted description and custom attributes such as costCenter keep their values).",
    params: &[GROUP_ID, NAME.required(), DESCRIPTION],
    resource: "group",
    mutating: true,
    carries_credentials: false,
    check: None,
    responses: &[GROUP_SHAPE],
    example: r#"{"groupId": "00g1emaKYZTWRYYRRTSK", "name": "Engineering Team - Backend", "description": "Backend engineering team members"}"#,
    handler: update_group,
};

fn update_group(ctx: &ActionContext, input: Input) -> ActionFuture<'_> {
    value(async move {
        let path = group_path(ctx, &input)?;
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
        profile.insert(
            "name".to_owned(),
            json!(input.str("name").unwrap_or_default()),
        );
        if let Some(description) = input.str("description") {
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
    params: &[GROUP_ID, DRY_RUN],
    resource: "group",
    mutating: true,
    carries_credentials: false,
    check: None,
    responses: &[
        ResponseShape {
            label: "the group is deleted",
            sample: r#"{"status": 204, "message": "Group successfully deleted."}"#,
            kind: ShapeKind::Wrapper,
        },
        DRY_RUN_RESPONSE,
    ],
    example: r#"{"groupId": "00g2xyzABCTWRYYRRXYZ"}"#,
    handler: delete_group,
};

fn delete_group(ctx: &ActionContext, input: Input) -> ActionFuture<'_> {
    value(async move {
        let path = group_path(ctx, &input)?;
        if input.bool("dryRun") == Some(true) {
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
    params: &[
        Param::new(
            "q",
            Kind::String {
                min: 1,
                max: 255,
                pattern: None,
            },
            "Only groups whose name starts with this text.",
        ),
        limit(200, "The maximum number of groups to return."),
        AFTER,
        PAGED,
    ],
    resource: "group",
    mutating: false,
    carries_credentials: false,
    check: Some(check_list_groups),
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
    handler: list_groups,
};

/// `GET /api/v1/groups` (NOTES.md §2.17): `q` cannot page, so with it one call asks for all.
const GROUPS_LISTING: Listing = Listing {
    fixed: &["q"],
    query: &["q", "search", "filter", "expand", "sortBy", "sortOrder"],
    okta_page: Some(PAGE_SIZE),
    single_page_with: &["q"],
};

fn check_list_groups(input: &Input) -> Vec<FieldProblem> {
    GROUPS_LISTING.check(input)
}

fn list_groups(ctx: &ActionContext, input: Input) -> ActionFuture<'_> {
    Box::pin(async move {
        let mut request = OktaRequest::get(OktaPath::new("/api/v1/groups"), "groups");
        if let Some(q) = input.str("q") {
            request = request.query("q", q);
        }
        ctx.list_page(request, &input, &GROUPS_LISTING, &LIST_GROUPS.responses[0])
            .await
    })
}

static ADD_USER_TO_GROUP: Action = Action {
    name: "add_user_to_group",
    label: "Add User to Group",
    description: "Adds a user to a group (OKTA_GROUP only). Adding a member again changes nothing.",
    params: &[GROUP_ID, MEMBER_ID],
    resource: "group",
    mutating: true,
    carries_credentials: false,
    check: None,
    responses: &[ResponseShape {
        label: "the user is a member",
        sample: r#"{"status": 204, "message": "User successfully added to group.", "userId": "00ub0oNGTSWTBKOLGLNR", "groupId": "00g1emaKYZTWRYYRRTSK"}"#,
        kind: ShapeKind::Wrapper,
    }],
    example: r#"{"groupId": "00g2xyzABCTWRYYRRXYZ", "userId": "00ub0oNGTSWTBKOLGLNR"}"#,
    handler: add_user_to_group,
};

fn membership_path(
    ctx: &ActionContext,
    input: &Input,
    user_id: &str,
) -> Result<OktaPath, ApiError> {
    group_path(ctx, input)?
        .fixed("users")
        .value(user_id)
        .map_err(|e| ctx.map(e))
}

fn add_user_to_group(ctx: &ActionContext, input: Input) -> ActionFuture<'_> {
    value(async move {
        let user_id = ctx.user_id(input.str("userId").unwrap_or_default()).await?;
        // A membership PUT can be repeated without changing the outcome.
        let request = OktaRequest::new(
            Method::PUT,
            membership_path(ctx, &input, &user_id)?,
            "groups/{id}/users",
        )
        .retry(Retry::Idempotent);
        ctx.call(request).await?;
        Ok(json!({
            "status": 204,
            "message": "User successfully added to group.",
            "userId": user_id,
            "groupId": input.str("groupId").unwrap_or_default(),
        }))
    })
}

static REMOVE_USER_FROM_GROUP: Action = Action {
    name: "remove_user_from_group",
    label: "Remove User from Group",
    description: "Removes a user from a group; the user account itself is not affected.",
    params: &[GROUP_ID, MEMBER_ID, DRY_RUN],
    resource: "group",
    mutating: true,
    carries_credentials: false,
    check: None,
    responses: &[
        ResponseShape {
            label: "the user is no longer a member",
            sample: r#"{"status": 204, "message": "User successfully removed from group.", "userId": "00ub0oNGTSWTBKOLGLNR", "groupId": "00g1emaKYZTWRYYRRTSK"}"#,
            kind: ShapeKind::Wrapper,
        },
        DRY_RUN_RESPONSE,
    ],
    example: r#"{"groupId": "00g1emaKYZTWRYYRRTSK", "userId": "00ub0oNGTSWTBKOLGLNR"}"#,
    handler: remove_user_from_group,
};

fn remove_user_from_group(ctx: &ActionContext, input: Input) -> ActionFuture<'_> {
    value(async move {
        let reference = input.str("userId").unwrap_or_default();
        let group_id = input.str("groupId").unwrap_or_default();
        if input.bool("dryRun") == Some(true) {
            let group = ctx
                .call_json(OktaRequest::get(group_path(ctx, &input)?, "groups/{id}"))
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
            membership_path(ctx, &input, &user_id)?,
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

static GET_PENDING_APPROVALS: Action = Action {
    name: "get_pending_approvals",
    label: "Get Pending Approvals",
    description: "Lists the users in a group (useful when a group is an approval queue): one page of at most limit users (following Okta's pages), and the cursor of the next page (see paged and after).",
    params: &[
        reference("groupId", "The group whose members to list."),
        limit(200, "The maximum number of users to return."),
        AFTER,
        PAGED,
    ],
    resource: "group",
    mutating: false,
    carries_credentials: false,
    check: Some(check_pending_approvals),
    responses: &[ResponseShape {
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
    }],
    example: r#"{"groupId": "00g1emaKYZTWRYYRRTSK", "limit": 50}"#,
    handler: get_pending_approvals,
};

/// `GET /api/v1/groups/{id}/users`: only `after` and `limit`; the group is in the path, which
/// the cursor is bound to.
const MEMBERS_LISTING: Listing = Listing {
    fixed: &[],
    query: &[],
    okta_page: Some(PAGE_SIZE),
    single_page_with: &[],
};

fn check_pending_approvals(input: &Input) -> Vec<FieldProblem> {
    MEMBERS_LISTING.check(input)
}

fn get_pending_approvals(ctx: &ActionContext, input: Input) -> ActionFuture<'_> {
    Box::pin(async move {
        let path = group_path(ctx, &input)?.fixed("users");
        let request = OktaRequest::get(path, "groups/{id}/users");
        ctx.list_page(
            request,
            &input,
            &MEMBERS_LISTING,
            &GET_PENDING_APPROVALS.responses[0],
        )
        .await
    })
}
