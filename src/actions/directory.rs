//! Directory reads a help-desk flow starts with: list the org's users, find a user by email,
//! and say which groups and apps a user has.

use serde_json::Value;

use schemars::JsonSchema;
use serde::Deserialize;

use super::context::PAGE_SIZE;
use super::fields::{Cursor, Paged, UserRef};
use super::paging::{Listing, PageRequest, cursor_conflicts};
use super::users::{NOT_AN_EMAIL, USER_SAMPLE};
use super::{
    Action, ActionContext, ActionFuture, ActionInput, Handler, ResponseShape, ShapeKind,
    shape_response, value,
};
use crate::error::{ApiError, ErrorDetails, ErrorStatus, FieldProblem, UserMatch};
use crate::okta::OktaError;
use crate::okta::client::{OktaPath, OktaRequest};
use crate::params::{EMAIL as EMAIL_ADDRESS, NON_BLANK};

pub static ACTIONS: &[&Action] = &[
    &LIST_USERS,
    &FIND_USER_BY_EMAIL,
    &LIST_USER_GROUPS,
    &LIST_USER_APPS,
];

fn default_users_limit() -> i64 {
    50
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ListUsersIn {
    /// Only users whose first name, last name or email starts with this text (Okta answers one page only, without DEPROVISIONED users). Send at most one of q, search and filter, and never q with after.
    #[schemars(length(min = 1, max = 255))]
    q: Option<String>,
    /// An Okta search expression, e.g. status eq "LOCKED_OUT" or profile.lastName sw "Le" (eq, sw, co, gt, lt and more on most properties; values are not case-sensitive; DEPROVISIONED users included). Okta's search index may lag a change by a second or so. Send at most one of q, search and filter.
    #[schemars(length(min = 1, max = 2048), regex(pattern = NON_BLANK), extend("x-problem" = "must not be blank"))]
    search: Option<String>,
    /// An Okta filter expression on status, lastUpdated, id, profile.login, profile.email, profile.firstName or profile.lastName, e.g. status eq "SUSPENDED" (eq, and/or; gt, ge, lt, le on lastUpdated only; values are case-sensitive; DEPROVISIONED users included). Send at most one of q, search and filter.
    #[schemars(length(min = 1, max = 2048), regex(pattern = NON_BLANK), extend("x-problem" = "must not be blank"))]
    filter: Option<String>,
    /// The maximum number of users to return.
    #[serde(default = "default_users_limit")]
    #[schemars(range(min = 1, max = 200))]
    limit: i64,
    after: Option<Cursor>,
    #[serde(default)]
    paged: Paged,
}

impl ActionInput for ListUsersIn {
    fn check(&self) -> Vec<FieldProblem> {
        let queries = [
            ("q", self.q.is_some()),
            ("search", self.search.is_some()),
            ("filter", self.filter.is_some()),
        ];
        let fixed = cursor_conflicts(self.after.is_some(), &queries);
        if !fixed.is_empty() {
            return fixed;
        }
        // Okta refuses any two of them (E0000033): each one after the first is named.
        let mut given = queries
            .iter()
            .filter(|(_, given)| *given)
            .map(|(name, _)| *name);
        let Some(first) = given.next() else {
            return Vec::new();
        };
        given
            .map(|name| {
                FieldProblem::new(
                    name,
                    format!(
                        "cannot be sent with {first}: Okta takes only one of q, search and filter"
                    ),
                )
            })
            .collect()
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FindUserByEmailIn {
    /// The user's primary email address (profile.email). Okta compares it exactly as stored, case included.
    #[schemars(length(min = 5, max = 100), regex(pattern = EMAIL_ADDRESS), extend("x-problem" = NOT_AN_EMAIL))]
    email: String,
}

impl ActionInput for FindUserByEmailIn {}

/// `{userId}` of the reads about one user.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UserResourcesIn {
    /// The user's Okta id, or their login (resolved to the id with one lookup).
    #[schemars(extend("x-audit-target" = true))]
    user_id: UserRef,
}

impl ActionInput for UserResourcesIn {}

static LIST_USERS: Action = Action {
    name: "list_users",
    label: "List Users",
    description: "Lists the org's users: every user but DEPROVISIONED ones, or those whose name or email starts with q, or those an Okta search or filter expression matches (these include DEPROVISIONED users). One page of at most limit users, and the cursor of the next page (see paged and after); with q, Okta answers one page only. Send at most one of q, search and filter.",
    resource: "user",
    mutating: false,
    destructive: false,
    carries_credentials: false,
    scopes: &["okta.users.read"],
    responses: &[ResponseShape {
        label: "the users",
        sample: r#"[
  {
    "id": "00ulockedMAYACHEN001",
    "status": "LOCKED_OUT",
    "created": "2024-04-02T09:00:00.000Z",
    "activated": "2024-04-02T09:05:00.000Z",
    "statusChanged": "2024-04-02T09:05:00.000Z",
    "lastLogin": null,
    "lastUpdated": "2024-04-02T09:05:00.000Z",
    "passwordChanged": "2024-04-02T09:05:00.000Z",
    "profile": {"firstName": "Maya", "lastName": "Chen", "email": "maya.chen@example.com", "login": "maya.chen@example.com"}
  }
]"#,
        kind: ShapeKind::Okta,
    }],
    example: r#"{"search": "status eq \"LOCKED_OUT\"", "limit": 20}"#,
    handler: &Handler(list_users),
};

/// `GET /api/v1/users` (NOTES.md §5, §8): pages of at most 200; `q` never pages.
const USERS_LISTING: Listing = Listing {
    query: &["q", "search", "filter", "sortBy", "sortOrder"],
    okta_page: Some(PAGE_SIZE),
    single_page_with: &["q"],
};

fn list_users(ctx: &ActionContext, input: ListUsersIn) -> ActionFuture<'_> {
    Box::pin(async move {
        let mut request = OktaRequest::get(OktaPath::new("/api/v1/users"), "users");
        for (name, value) in [
            ("q", input.q.as_deref()),
            ("search", input.search.as_deref()),
            ("filter", input.filter.as_deref()),
        ] {
            if let Some(value) = value {
                request = request.query(name, value);
            }
        }
        let page = PageRequest {
            limit: input.limit,
            after: input.after.as_ref().map(Cursor::as_str),
            paged: input.paged.on(),
        };
        ctx.list_page(request, page, &USERS_LISTING, &LIST_USERS.responses[0])
            .await
    })
}

/// The most users a conflict lists; Okta is asked for one more, to tell "more than that".
const MAX_MATCHES: usize = 10;

const USER_SHAPE: ResponseShape = ResponseShape {
    label: "the user",
    sample: USER_SAMPLE,
    kind: ShapeKind::Okta,
};

pub(super) static FIND_USER_BY_EMAIL: Action = Action {
    name: "find_user_by_email",
    label: "Find User by Email",
    description: "Finds the one user whose primary email (profile.email) is this address, with Okta's filter (always up to date, unlike search; it compares the address exactly as stored, case included). No such user: 404 RESOURCE_NOT_FOUND. Several users share the address: 409 CONFLICT, with their ids and logins (at most 10) in details.matches.",
    resource: "user",
    mutating: false,
    destructive: false,
    carries_credentials: false,
    scopes: &["okta.users.read"],
    responses: &[USER_SHAPE],
    example: r#"{"email": "jordan.lee@example.com"}"#,
    handler: &Handler(find_user_by_email),
};

/// `value` as a string literal of an Okta filter expression (NOTES.md §5).
fn filter_string(value: &str) -> String {
    format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}

fn find_user_by_email(ctx: &ActionContext, input: FindUserByEmailIn) -> ActionFuture<'_> {
    value(async move {
        let request = OktaRequest::get(OktaPath::new("/api/v1/users"), "users")
            .query(
                "filter",
                format!("profile.email eq {}", filter_string(&input.email)),
            )
            .query("limit", MAX_MATCHES + 1);
        let mut users = match ctx.session.call_json(&request).await {
            Ok(Value::Array(users)) => users,
            Ok(_) => {
                return Err(ctx.map(OktaError::NotOkta {
                    reason: "a user filter answered without a list".into(),
                    outcome_unknown: false,
                }));
            }
            Err(err) => return Err(ctx.map(err)),
        };
        match users.len() {
            0 => Err(ApiError::not_found(
                "user",
                "Okta has no user with this email address.",
            )),
            1 => Ok(shape_response(users.swap_remove(0), &USER_SHAPE)),
            found => Err(several_users(&users, found)),
        }
    })
}

/// 409 CONFLICT naming the users that share an email address.
fn several_users(users: &[Value], found: usize) -> ApiError {
    let text = |user: &Value, pointer: &str| {
        user.pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let matches = users
        .iter()
        .take(MAX_MATCHES)
        .map(|user| UserMatch {
            id: text(user, "/id"),
            login: text(user, "/profile/login"),
        })
        .collect();
    let message = if found > MAX_MATCHES {
        format!("More than {MAX_MATCHES} users have this email address.")
    } else {
        format!("{found} users have this email address.")
    };
    ApiError::new(ErrorStatus::Conflict)
        .with_message(message)
        .with_how_to_fix(
            "Pick the user from details.matches and use their id or login in the next action.",
        )
        .with_details(ErrorDetails {
            matches: Some(matches),
            ..ErrorDetails::default()
        })
}

static LIST_USER_GROUPS: Action = Action {
    name: "list_user_groups",
    label: "List User Groups",
    description: "Lists every group the user is a member of (any type: Okta groups, groups imported from a directory, Everyone). Okta does not page this list: every group comes in one answer.",
    resource: "user",
    mutating: false,
    destructive: false,
    carries_credentials: false,
    scopes: &["okta.users.read"],
    responses: &[ResponseShape {
        label: "the user's groups",
        sample: r#"[
  {
    "id": "00g1emaKYZTWRYYRRTSK",
    "created": "2024-01-15T10:30:00.000Z",
    "lastUpdated": "2024-05-20T08:00:00.000Z",
    "lastMembershipUpdated": "2024-05-18T14:22:00.000Z",
    "type": "OKTA_GROUP",
    "profile": {"name": "Engineering Team", "description": "All engineering department employees"}
  }
]"#,
        kind: ShapeKind::Okta,
    }],
    example: r#"{"userId": "jordan.lee@example.com"}"#,
    handler: &Handler(list_user_groups),
};

/// `/api/v1/users/{id}/{what}` for the user a reference names, resolved to the id.
async fn user_list(
    ctx: &ActionContext,
    user: &UserRef,
    what: &'static str,
    family: &'static str,
) -> Result<OktaRequest, ApiError> {
    let id = ctx.user_id(user.as_str()).await?;
    Ok(OktaRequest::get(ctx.user_path(&id)?.fixed(what), family))
}

fn list_user_groups(ctx: &ActionContext, input: UserResourcesIn) -> ActionFuture<'_> {
    Box::pin(async move {
        let request = user_list(ctx, &input.user_id, "groups", "users/{id}/groups").await?;
        ctx.call_shaped(request, &LIST_USER_GROUPS.responses[0])
            .await
    })
}

static LIST_USER_APPS: Action = Action {
    name: "list_user_apps",
    label: "List User Apps",
    description: "Lists the user's app links: one per active application the user is assigned to, directly or through a group, with its label, dashboard link, app name and application id (appInstanceId). Okta does not page this list: every link comes in one answer.",
    resource: "user",
    mutating: false,
    destructive: false,
    carries_credentials: false,
    scopes: &["okta.users.read"],
    responses: &[ResponseShape {
        label: "the user's app links",
        sample: r#"[
  {
    "id": "aucoSjqfuY1LvepSPnMv",
    "label": "Company Intranet",
    "linkUrl": "https://dev-12345.okta.com/home/bookmark/0oa1bkmrkDEMOAPP0001/aln1simAPPLINK0000",
    "logoUrl": "https://dev-12345.okta.com/assets/img/logos/default.png",
    "appName": "bookmark",
    "appInstanceId": "0oa1bkmrkDEMOAPP0001",
    "appAssignmentId": "0uabCRa6n1HGUcJR3zAT",
    "credentialsSetup": false,
    "hidden": false,
    "sortOrder": 0
  }
]"#,
        kind: ShapeKind::Okta,
    }],
    example: r#"{"userId": "00ub0oNGTSWTBKOLGLNR"}"#,
    handler: &Handler(list_user_apps),
};

fn list_user_apps(ctx: &ActionContext, input: UserResourcesIn) -> ActionFuture<'_> {
    Box::pin(async move {
        let request = user_list(ctx, &input.user_id, "appLinks", "users/{id}/appLinks").await?;
        ctx.call_shaped(request, &LIST_USER_APPS.responses[0]).await
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_string_escapes_backslashes_then_quotes() {
        assert_eq!(filter_string("a@b.c"), r#""a@b.c""#);
        assert_eq!(filter_string(r#"o"neil\x@b.c"#), r#""o\"neil\\x@b.c""#);
        assert_eq!(filter_string(r#"a\"@b.c"#), r#""a\\\"@b.c""#);
    }
}
