//! Who can use which application: list_applications, list_app_users, list_group_members,
//! list_group_apps, assign_group_to_app and unassign_group_from_app, against okta-sim: the
//! gateway's answer, exactly what Okta received, and paging to the last page.

use okta_sim::demo::{
    ENGINEERING_GROUP_ID, HR_GROUP_ID, JORDAN_ID, OIDC_APP_ID, PRIYA_ID, SAML_APP_ID, SWA_APP_ID,
};
use okta_sim::large::{EVERYONE_GROUP_ID, USERS};
use okta_sim::{AppSeed, RecordedRequest, Seed};
use serde_json::{Value, json};

use super::paging::walk;
use super::support::{assert_not_found, assert_refused, json_body, received, without_links};
use crate::helpers::{TestApp, spawn_with_account};

const NO_APP: &str = "0oaNOTANAPP000000000";
const NO_GROUP: &str = "00gNOTAGROUP00000000";

/// What Okta answered to a recorded request, as JSON.
fn okta_answer(request: &RecordedRequest) -> Value {
    serde_json::from_str(request.response_body.as_deref().expect("a response body"))
        .expect("Okta answered JSON")
}

/// Okta's list as the gateway passes it on: each item without `_links`, with `fill` keys
/// Okta left out set to null.
fn without_links_each(list: Value, fill: &[&str]) -> Value {
    Value::Array(
        list.as_array()
            .expect("Okta answered a list")
            .iter()
            .map(|item| {
                let mut item = without_links(item.clone());
                for key in fill {
                    if item.get(*key).is_none() {
                        item[*key] = Value::Null;
                    }
                }
                item
            })
            .collect(),
    )
}

fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|item| item["id"].as_str().expect("an id").to_owned())
        .collect()
}

/// The decoded query of a recorded request.
fn query(request: &RecordedRequest) -> Vec<(String, String)> {
    url::form_urlencoded::parse(request.query.as_deref().unwrap_or_default().as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Seeds `n` bookmark apps labelled `{prefix} NNN`; their ids.
fn seed_apps(app: &TestApp, prefix: &str, n: usize, status: Option<&str>) -> Vec<String> {
    (0..n)
        .map(|i| {
            let mut seed = AppSeed::new(&format!("{prefix} {i:03}"), "BOOKMARK");
            seed.status = status.map(str::to_owned);
            let created = app.sim.handle().seed_app(seed);
            created["id"].as_str().expect("a seeded app").to_owned()
        })
        .collect()
}

// ---- list_applications ----

#[tokio::test]
async fn listing_applications_sends_the_filter_and_passes_oktas_apps_on_without_links() {
    let app = spawn_with_account().await;
    let inactive = seed_apps(&app, "Retired Tool", 1, Some("INACTIVE"));
    app.forget_requests();
    let response = app
        .action(
            "list_applications",
            json!({"filter": "status eq \"ACTIVE\"", "limit": 20}),
        )
        .await;

    assert_eq!(response.status, 200, "{}", response.text);
    let sent = received(&app);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].path, "/api/v1/apps");
    assert_eq!(
        query(&sent[0]),
        pairs(&[("filter", "status eq \"ACTIVE\""), ("limit", "20")])
    );
    assert_eq!(
        response.json,
        without_links_each(okta_answer(&sent[0]), &[]),
        "Okta's apps as they are, only _links removed"
    );
    let listed = ids(response.json.as_array().unwrap());
    assert_eq!(listed.len(), 4, "the demo's four active apps");
    assert!(!listed.contains(&inactive[0]));
    assert!(response.headers.get("x-next-cursor").is_none());

    app.forget_requests();
    let response = app
        .action("list_applications", json!({"q": "helpdesk"}))
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(ids(response.json.as_array().unwrap()), [OIDC_APP_ID]);
    assert_eq!(
        query(&received(&app)[0]),
        pairs(&[("q", "helpdesk"), ("limit", "50")]),
        "the default limit is 50"
    );
}

#[tokio::test]
async fn listing_applications_pages_to_the_end_keeping_the_filter() {
    let app = spawn_with_account().await;
    seed_apps(&app, "Sales Tool", 150, None);
    seed_apps(&app, "Old Tool", 30, Some("INACTIVE"));
    let all = app.action("list_applications", json!({"limit": 200})).await;
    let all_ids = ids(all.json.as_array().unwrap());
    assert_eq!(all_ids.len(), 184);

    for paged in [false, true] {
        app.forget_requests();
        let pages = walk(
            &app,
            "list_applications",
            json!({"filter": "status eq \"ACTIVE\""}),
            json!({"limit": 100}),
            paged,
        )
        .await;
        let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
        assert_eq!(sizes, [100, 54], "paged: {paged}");
        let items = pages.concat();
        assert!(items.iter().all(|a| a["status"] == "ACTIVE"));
        let active: Vec<String> = all
            .json
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["status"] == "ACTIVE")
            .map(|a| a["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(ids(&items), active, "every active app once, in order");
        let sent = received(&app);
        assert_eq!(sent.len(), 2);
        let last = pages[0].last().unwrap()["id"].as_str().unwrap();
        assert_eq!(
            query(&sent[1]),
            pairs(&[
                ("filter", "status eq \"ACTIVE\""),
                ("after", last),
                ("limit", "100")
            ]),
            "the cursor carries Okta's next link: the filter and the last app"
        );
    }
}

#[tokio::test]
async fn listing_applications_refuses_what_the_cursor_fixes_and_bad_limits() {
    let app = spawn_with_account().await;
    let first = app.action("list_applications", json!({"limit": 1})).await;
    let cursor = first
        .headers
        .get("x-next-cursor")
        .expect("more apps")
        .to_str()
        .unwrap()
        .to_owned();
    app.forget_requests();
    let response = app
        .action(
            "list_applications",
            json!({"after": cursor, "q": "x", "filter": "status eq \"ACTIVE\""}),
        )
        .await;
    assert_refused(&app, &response, &["q", "filter"]);
    for body in [
        json!({"limit": 0}),
        json!({"limit": 201}),
        json!({"limit": "10"}),
    ] {
        let response = app.action("list_applications", body).await;
        assert_refused(&app, &response, &["limit"]);
    }
    for body in [json!({"q": " "}), json!({"filter": ""})] {
        let response = app.action("list_applications", body.clone()).await;
        let field = body.as_object().unwrap().keys().next().unwrap().clone();
        assert_refused(&app, &response, &[field.as_str()]);
    }
}

#[tokio::test]
async fn a_filter_okta_does_not_support_is_its_field_error() {
    let app = spawn_with_account().await;
    let response = app
        .action("list_applications", json!({"filter": "label eq \"x\""}))
        .await;
    let error = response.assert_error("INVALID_FIELD_VALUE", 400);
    assert_eq!(error["details"]["okta"]["errorCode"], "E0000031");
    assert_eq!(app.okta_calls().len(), 1);
}

// ---- list_app_users ----

#[tokio::test]
async fn listing_an_apps_users_shows_direct_and_group_assignments() {
    let app = spawn_with_account().await;
    assert!(
        app.sim
            .handle()
            .assign_group(SAML_APP_ID, ENGINEERING_GROUP_ID, None)
    );
    let response = app
        .action("list_app_users", json!({"appId": SAML_APP_ID}))
        .await;

    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(
        app.okta_calls(),
        [format!("GET /api/v1/apps/{SAML_APP_ID}/users?limit=200")]
    );
    assert_eq!(
        response.json,
        without_links_each(okta_answer(&received(&app)[0]), &["externalId"])
    );
    let scopes: Vec<(&str, &str)> = response
        .json
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["id"].as_str().unwrap(), u["scope"].as_str().unwrap()))
        .collect();
    assert_eq!(
        scopes,
        [(JORDAN_ID, "USER"), (PRIYA_ID, "GROUP")],
        "Jordan keeps his direct assignment; Priya has the app through Engineering"
    );
}

#[tokio::test]
async fn listing_the_users_of_an_unknown_app_is_not_found() {
    let app = spawn_with_account().await;
    let response = app.action("list_app_users", json!({"appId": NO_APP})).await;
    assert_not_found(
        &response,
        "application",
        &format!("Not found: Resource not found: {NO_APP} (AppInstance)"),
    );
    assert_eq!(
        app.okta_calls(),
        [format!("GET /api/v1/apps/{NO_APP}/users?limit=200")]
    );
}

#[tokio::test]
async fn an_app_assigned_to_everyone_pages_its_users_to_the_end() {
    let app = spawn_with_account().await;
    let sim = app.sim.handle();
    sim.reset(Seed::Large);
    let direct = sim.app_user_ids(SAML_APP_ID);
    assert!(sim.assign_group(SAML_APP_ID, EVERYONE_GROUP_ID, None));
    let expected = sim.app_user_ids(SAML_APP_ID);
    assert!(
        expected.len() > USERS / 2 && expected.len() > direct.len(),
        "Everyone's members have the app: {}",
        expected.len()
    );
    app.forget_requests();

    let pages = walk(
        &app,
        "list_app_users",
        json!({}),
        json!({"appId": SAML_APP_ID, "limit": 700}),
        true,
    )
    .await;
    let items = pages.concat();
    assert_eq!(ids(&items), expected, "every app user once, in order");
    assert!(pages[..pages.len() - 1].iter().all(|p| p.len() == 700));
    for user in &items {
        let id = user["id"].as_str().unwrap();
        let scope = if direct.iter().any(|d| d == id) {
            "USER"
        } else {
            "GROUP"
        };
        assert_eq!(user["scope"], scope, "{id}");
    }
    // Okta's pages of 200: each gateway page of 700 is four calls (200, 200, 200, 100).
    let calls = app.okta_calls();
    assert_eq!(
        calls[0],
        format!("GET /api/v1/apps/{SAML_APP_ID}/users?limit=200")
    );
    assert_eq!(
        calls[3],
        format!(
            "GET /api/v1/apps/{SAML_APP_ID}/users?after={}&limit=100",
            expected[599]
        )
    );
    assert_eq!(
        calls[4],
        format!(
            "GET /api/v1/apps/{SAML_APP_ID}/users?after={}&limit=200",
            expected[699]
        )
    );
}

// ---- list_group_members ----

#[tokio::test]
async fn listing_group_members_passes_oktas_users_on_without_links() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "list_group_members",
            json!({"groupId": ENGINEERING_GROUP_ID}),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(
        app.okta_calls(),
        [format!(
            "GET /api/v1/groups/{ENGINEERING_GROUP_ID}/users?limit=200"
        )]
    );
    assert_eq!(
        response.json,
        without_links_each(okta_answer(&received(&app)[0]), &[])
    );
    assert_eq!(
        ids(response.json.as_array().unwrap()),
        [JORDAN_ID, PRIYA_ID]
    );
}

#[tokio::test]
async fn listing_the_members_of_an_unknown_group_is_not_found() {
    let app = spawn_with_account().await;
    let response = app
        .action("list_group_members", json!({"groupId": NO_GROUP}))
        .await;
    assert_not_found(
        &response,
        "group",
        &format!("Not found: Resource not found: {NO_GROUP} (UserGroup)"),
    );
}

#[tokio::test]
async fn group_members_page_to_the_end_and_keep_their_own_cursors() {
    let app = spawn_with_account().await;
    let sim = app.sim.handle();
    sim.reset(Seed::Large);
    let expected = sim.group_member_ids(EVERYONE_GROUP_ID);
    assert_eq!(expected.len(), USERS);
    let pages = walk(
        &app,
        "list_group_members",
        json!({}),
        json!({"groupId": EVERYONE_GROUP_ID, "limit": 700}),
        false,
    )
    .await;
    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, [700, 700, 600]);
    assert_eq!(ids(&pages.concat()), expected);

    // get_pending_approvals makes the same call, but its cursors are its own.
    let pending = app
        .action(
            "get_pending_approvals",
            json!({"groupId": EVERYONE_GROUP_ID, "limit": 1}),
        )
        .await;
    let cursor = pending
        .headers
        .get("x-next-cursor")
        .unwrap()
        .to_str()
        .unwrap();
    app.forget_requests();
    let response = app
        .action(
            "list_group_members",
            json!({"groupId": EVERYONE_GROUP_ID, "after": cursor}),
        )
        .await;
    assert_refused(&app, &response, &["after"]);
    assert_eq!(
        response.json["error"]["details"]["fields"][0]["problem"],
        "is a cursor of get_pending_approvals: pass it back to that action"
    );
}

// ---- list_group_apps ----

#[tokio::test]
async fn listing_a_groups_apps_passes_oktas_apps_on_without_links() {
    let app = spawn_with_account().await;
    let response = app
        .action("list_group_apps", json!({"groupId": HR_GROUP_ID}))
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(
        app.okta_calls(),
        [format!("GET /api/v1/groups/{HR_GROUP_ID}/apps?limit=200")]
    );
    assert_eq!(
        response.json,
        without_links_each(okta_answer(&received(&app)[0]), &[])
    );
    assert_eq!(ids(response.json.as_array().unwrap()), [OIDC_APP_ID]);
    assert_eq!(response.json[0]["label"], "Helpdesk Portal");

    let unknown = app
        .action("list_group_apps", json!({"groupId": NO_GROUP}))
        .await;
    assert_not_found(
        &unknown,
        "group",
        &format!("Not found: Resource not found: {NO_GROUP} (UserGroup)"),
    );
}

#[tokio::test]
async fn a_group_with_many_apps_pages_them_to_the_end() {
    let app = spawn_with_account().await;
    let sim = app.sim.handle();
    let group = sim.seed_group("Sales", None);
    let group_id = group["id"].as_str().unwrap().to_owned();
    let mut expected = seed_apps(&app, "Sales Tool", 450, None);
    for app_id in &expected {
        assert!(sim.assign_group(app_id, &group_id, None));
    }
    expected.sort();
    app.forget_requests();

    let pages = walk(
        &app,
        "list_group_apps",
        json!({}),
        json!({"groupId": group_id, "limit": 300}),
        true,
    )
    .await;
    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, [300, 150]);
    assert_eq!(ids(&pages.concat()), expected);
    assert_eq!(
        app.okta_calls(),
        [
            format!("GET /api/v1/groups/{group_id}/apps?limit=200"),
            format!(
                "GET /api/v1/groups/{group_id}/apps?after={}&limit=100",
                expected[199]
            ),
            format!(
                "GET /api/v1/groups/{group_id}/apps?after={}&limit=200",
                expected[299]
            ),
        ]
    );
}

// ---- assign_group_to_app ----

#[tokio::test]
async fn assigning_a_group_reads_the_assignment_then_puts_it() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "assign_group_to_app",
            json!({"appId": OIDC_APP_ID, "groupId": ENGINEERING_GROUP_ID, "priority": 5}),
        )
        .await;

    assert_eq!(response.status, 200, "{}", response.text);
    let path = format!("/api/v1/apps/{OIDC_APP_ID}/groups/{ENGINEERING_GROUP_ID}");
    assert_eq!(
        app.okta_calls(),
        [format!("GET {path}"), format!("PUT {path}")]
    );
    let sent = received(&app);
    assert_eq!(sent[0].status, 404, "not assigned yet");
    assert_eq!(json_body(&sent[1]), json!({"priority": 5}));
    assert_eq!(response.json, without_links(okta_answer(&sent[1])));
    assert_eq!(response.json["id"], ENGINEERING_GROUP_ID);
    assert_eq!(response.json["priority"], 5);
    assert_eq!(response.json["profile"], json!({}));
    // The members have the app now, through the group.
    assert_eq!(
        app.sim.handle().app_user_ids(OIDC_APP_ID),
        [JORDAN_ID, PRIYA_ID]
    );
}

#[tokio::test]
async fn assigning_a_group_without_priority_lets_okta_choose_it() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "assign_group_to_app",
            json!({"appId": OIDC_APP_ID, "groupId": ENGINEERING_GROUP_ID, "priority": null}),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(json_body(&received(&app)[1]), json!({}));
    assert_eq!(
        response.json["priority"], 1,
        "after HR Team's 0, as Okta numbers them"
    );
}

#[tokio::test]
async fn assigning_a_group_already_assigned_is_a_conflict_and_never_puts() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "assign_group_to_app",
            json!({"appId": OIDC_APP_ID, "groupId": HR_GROUP_ID, "priority": 9}),
        )
        .await;

    let error = response.assert_error("CONFLICT", 409);
    assert_eq!(error["code"], 9114);
    assert_eq!(
        error["details"]["conflict"],
        "The group is already assigned to this application."
    );
    assert_eq!(
        error["message"],
        format!(
            "Group {HR_GROUP_ID} is already assigned to application {OIDC_APP_ID} (priority 0); assigning it again would replace that assignment's priority and profile."
        )
    );
    assert_eq!(
        app.okta_calls(),
        [format!(
            "GET /api/v1/apps/{OIDC_APP_ID}/groups/{HR_GROUP_ID}"
        )],
        "Okta's PUT would replace the assignment: it is never sent"
    );
    let kept = app
        .action("list_group_apps", json!({"groupId": HR_GROUP_ID}))
        .await;
    assert_eq!(ids(kept.json.as_array().unwrap()), [OIDC_APP_ID]);
    let assignment = assignment_through_a_dry_run(&app, OIDC_APP_ID, HR_GROUP_ID).await;
    assert_eq!(assignment["priority"], 0, "the priority is unchanged");
}

/// The assignment as Okta has it, read through the dry run of its removal.
async fn assignment_through_a_dry_run(app: &TestApp, app_id: &str, group_id: &str) -> Value {
    let response = app
        .action(
            "unassign_group_from_app",
            json!({"appId": app_id, "groupId": group_id, "dryRun": true}),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    response.json["target"].clone()
}

#[tokio::test]
async fn assigning_a_group_to_an_unknown_app_is_not_found_without_a_put() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "assign_group_to_app",
            json!({"appId": NO_APP, "groupId": ENGINEERING_GROUP_ID}),
        )
        .await;
    assert_not_found(
        &response,
        "application",
        &format!("Not found: Resource not found: {NO_APP} (AppInstance)"),
    );
    assert_eq!(
        app.okta_calls(),
        [format!(
            "GET /api/v1/apps/{NO_APP}/groups/{ENGINEERING_GROUP_ID}"
        )]
    );
}

#[tokio::test]
async fn assigning_an_unknown_group_is_not_found_for_the_group() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "assign_group_to_app",
            json!({"appId": OIDC_APP_ID, "groupId": NO_GROUP}),
        )
        .await;
    assert_not_found(
        &response,
        "group",
        &format!("Not found: Resource not found: {NO_GROUP} (UserGroup)"),
    );
    let path = format!("/api/v1/apps/{OIDC_APP_ID}/groups/{NO_GROUP}");
    assert_eq!(
        app.okta_calls(),
        [format!("GET {path}"), format!("PUT {path}")]
    );
    assert_eq!(app.sim.handle().app_group_ids(OIDC_APP_ID), [HR_GROUP_ID]);
}

#[tokio::test]
async fn a_bad_priority_is_refused_before_any_okta_call() {
    let app = spawn_with_account().await;
    for priority in [json!(-1), json!(1.5), json!("1"), json!(2_147_483_648_i64)] {
        let response = app
            .action(
                "assign_group_to_app",
                json!({"appId": OIDC_APP_ID, "groupId": ENGINEERING_GROUP_ID, "priority": priority}),
            )
            .await;
        assert_refused(&app, &response, &["priority"]);
    }
    let response = app.action("assign_group_to_app", json!({})).await;
    assert_refused(&app, &response, &["appId", "groupId"]);
}

// ---- unassign_group_from_app ----

#[tokio::test]
async fn unassigning_a_group_deletes_the_assignment_and_its_members_app_users() {
    let app = spawn_with_account().await;
    let sim = app.sim.handle();
    assert!(sim.assign_group(SWA_APP_ID, ENGINEERING_GROUP_ID, None));
    assert_eq!(sim.app_user_ids(SWA_APP_ID), [JORDAN_ID, PRIYA_ID]);
    app.forget_requests();

    let response = app
        .action(
            "unassign_group_from_app",
            json!({"appId": SWA_APP_ID, "groupId": ENGINEERING_GROUP_ID}),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(
        response.json,
        json!({
            "status": 204,
            "message": "Group successfully unassigned from application.",
            "groupId": ENGINEERING_GROUP_ID,
            "appId": SWA_APP_ID,
        })
    );
    assert_eq!(
        app.okta_calls(),
        [format!(
            "DELETE /api/v1/apps/{SWA_APP_ID}/groups/{ENGINEERING_GROUP_ID}"
        )]
    );
    assert_eq!(received(&app)[0].body, None);
    assert!(sim.app_group_ids(SWA_APP_ID).is_empty());
    assert!(
        sim.app_user_ids(SWA_APP_ID).is_empty(),
        "the members had the app only through the group"
    );
}

#[tokio::test]
async fn a_dry_run_unassignment_only_reads_the_assignment() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "unassign_group_from_app",
            json!({"appId": OIDC_APP_ID, "groupId": HR_GROUP_ID, "dryRun": true}),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(
        app.okta_calls(),
        [format!(
            "GET /api/v1/apps/{OIDC_APP_ID}/groups/{HR_GROUP_ID}"
        )]
    );
    assert_eq!(
        response.json,
        json!({
            "dryRun": true,
            "message": format!("Would unassign group {HR_GROUP_ID} from application {OIDC_APP_ID}: members who have it only through this group lose it."),
            "target": without_links(okta_answer(&received(&app)[0])),
        })
    );
    assert_eq!(app.sim.handle().app_group_ids(OIDC_APP_ID), [HR_GROUP_ID]);
}

#[tokio::test]
async fn unassigning_a_group_that_is_not_assigned_is_not_found() {
    let app = spawn_with_account().await;
    for dry_run in [false, true] {
        app.forget_requests();
        let response = app
            .action(
                "unassign_group_from_app",
                json!({"appId": SAML_APP_ID, "groupId": ENGINEERING_GROUP_ID, "dryRun": dry_run}),
            )
            .await;
        assert_not_found(
            &response,
            "assignment",
            &format!(
                "Not found: Resource not found: {ENGINEERING_GROUP_ID} (ApplicationGroupAssignment)"
            ),
        );
        let method = if dry_run { "GET" } else { "DELETE" };
        assert_eq!(
            app.okta_calls(),
            [format!(
                "{method} /api/v1/apps/{SAML_APP_ID}/groups/{ENGINEERING_GROUP_ID}"
            )]
        );
    }
}

#[tokio::test]
async fn unassigning_from_an_unknown_app_is_not_found_for_the_application() {
    let app = spawn_with_account().await;
    for dry_run in [false, true] {
        let response = app
            .action(
                "unassign_group_from_app",
                json!({"appId": NO_APP, "groupId": HR_GROUP_ID, "dryRun": dry_run}),
            )
            .await;
        assert_not_found(
            &response,
            "application",
            &format!("Not found: Resource not found: {NO_APP} (AppInstance)"),
        );
    }
    assert_eq!(app.sim.handle().app_group_ids(OIDC_APP_ID), [HR_GROUP_ID]);
}
