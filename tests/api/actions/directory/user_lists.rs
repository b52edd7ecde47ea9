//! list_user_groups and list_user_apps: one unpaged Okta list for the user, named by id or
//! by login (resolved first).

use okta_sim::demo::{
    BOOKMARK_APP_ID, ENGINEERING_GROUP_ID, JORDAN_ID, JORDAN_LOGIN, OIDC_APP_ID, PRIYA_ID,
    SAML_APP_ID,
};
use serde_json::{Value, json};

use super::super::support::{assert_not_found, received};
use super::{answered, ids, sample_of, shaped_like};
use crate::helpers::spawn_with_account;

const JORDAN_LOGIN_SEGMENT: &str = "jordan.lee%40example.com";

fn app_ids(links: &Value) -> Vec<&str> {
    links
        .as_array()
        .expect("an array")
        .iter()
        .map(|link| link["appInstanceId"].as_str().expect("an app id"))
        .collect()
}

#[tokio::test]
async fn a_users_groups_are_okta_s_list_shaped_from_one_call_by_id() {
    let app = spawn_with_account().await;
    let response = app
        .action("list_user_groups", json!({"userId": JORDAN_ID}))
        .await;

    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(
        app.okta_calls(),
        [format!("GET /api/v1/users/{JORDAN_ID}/groups")]
    );
    let okta = answered(&received(&app)[0]);
    assert_eq!(
        response.json,
        shaped_like(&okta, &sample_of("list_user_groups"))
    );
    assert_eq!(ids(&response.json), [ENGINEERING_GROUP_ID]);
}

#[tokio::test]
async fn a_users_groups_come_all_at_once_whatever_their_number() {
    let app = spawn_with_account().await;
    let sim = app.sim.handle();
    let mut expected = vec![ENGINEERING_GROUP_ID.to_owned()];
    for k in 0..250 {
        let group = sim.seed_group(&format!("Project {k:03}"), None);
        let id = group["id"].as_str().expect("seeded").to_owned();
        assert!(sim.add_member(&id, JORDAN_ID));
        expected.push(id);
    }
    expected.sort();

    let response = app
        .action("list_user_groups", json!({"userId": JORDAN_LOGIN}))
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    let mut listed = ids(&response.json);
    listed.sort();
    assert_eq!(listed, expected);
    assert!(response.headers.get("x-next-cursor").is_none());
    // The login is resolved to the id first; Okta's list takes no limit.
    assert_eq!(
        app.okta_calls(),
        [
            format!("GET /api/v1/users/{JORDAN_LOGIN_SEGMENT}"),
            format!("GET /api/v1/users/{JORDAN_ID}/groups"),
        ]
    );
}

#[tokio::test]
async fn a_users_app_links_are_okta_s_list_from_one_call_by_id() {
    let app = spawn_with_account().await;
    let response = app
        .action("list_user_apps", json!({"userId": JORDAN_ID}))
        .await;

    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(
        app.okta_calls(),
        [format!("GET /api/v1/users/{JORDAN_ID}/appLinks")]
    );
    let okta = answered(&received(&app)[0]);
    assert_eq!(
        response.json,
        shaped_like(&okta, &sample_of("list_user_apps"))
    );
    assert_eq!(app_ids(&response.json), [BOOKMARK_APP_ID, SAML_APP_ID]);
    assert_eq!(response.json[0]["label"], "Company Intranet");
    assert_eq!(response.json[0]["appName"], "bookmark");
}

#[tokio::test]
async fn an_app_assigned_through_the_gateway_shows_among_the_users_app_links() {
    let app = spawn_with_account().await;
    let assigned = app
        .action(
            "assign_app_to_user",
            json!({"appId": OIDC_APP_ID, "userId": PRIYA_ID}),
        )
        .await;
    assert_eq!(assigned.status, 200, "{}", assigned.text);
    app.forget_requests();

    let response = app
        .action(
            "list_user_apps",
            json!({"userId": "priya.sharma@example.com"}),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(app_ids(&response.json), [BOOKMARK_APP_ID, OIDC_APP_ID]);
    assert_eq!(
        app.okta_calls(),
        [
            "GET /api/v1/users/priya.sharma%40example.com".to_owned(),
            format!("GET /api/v1/users/{PRIYA_ID}/appLinks"),
        ]
    );
}

#[tokio::test]
async fn an_unknown_user_is_resource_not_found_for_both_lists() {
    let app = spawn_with_account().await;
    for action in ["list_user_groups", "list_user_apps"] {
        app.forget_requests();
        let missing = "00unobody00000000000";
        let response = app.action(action, json!({"userId": missing})).await;
        assert_not_found(
            &response,
            "user",
            &format!("Not found: Resource not found: {missing} (User)"),
        );
        assert_eq!(app.okta_calls().len(), 1, "{action}");

        // A login Okta does not know stops at the lookup.
        app.forget_requests();
        let response = app
            .action(action, json!({"userId": "nobody@example.com"}))
            .await;
        response.assert_error("RESOURCE_NOT_FOUND", 404);
        assert_eq!(
            app.okta_calls(),
            ["GET /api/v1/users/nobody%40example.com"],
            "{action}"
        );
    }
}
