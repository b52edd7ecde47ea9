//! Group-to-app assignments: `/api/v1/apps/{appId}/groups…` and `/api/v1/groups/{id}/apps`,
//! their priority, paging, and their effect on the app's users (scope GROUP).

use okta_sim::{AppSeed, UserSeed, demo};
use serde_json::{Value, json};

use crate::helpers::{TestSim, assert_okta_ts, spawn};

fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .filter_map(|i| i["id"].as_str().map(str::to_string))
        .collect()
}

/// The app's users as the API lists them: (user id, scope).
async fn app_users(t: &TestSim, app: &str) -> Vec<(String, String)> {
    let (items, _) = t
        .collect_pages(&format!("/api/v1/apps/{app}/users?limit=500"))
        .await;
    items
        .iter()
        .map(|u| {
            (
                u["id"].as_str().unwrap_or_default().to_string(),
                u["scope"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn sorted(mut pairs: Vec<(String, String)>) -> Vec<(String, String)> {
    pairs.sort();
    pairs
}

fn pair(id: &str, scope: &str) -> (String, String) {
    (id.to_string(), scope.to_string())
}

#[tokio::test]
async fn the_demo_org_assigns_hr_team_to_the_helpdesk_portal() {
    let t = spawn().await;
    let resp = t
        .get(&format!("/api/v1/apps/{}/groups", demo::OIDC_APP_ID))
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text);
    let list = resp.json();
    assert_eq!(ids(list.as_array().unwrap()), [demo::HR_GROUP_ID]);
    let a = &list[0];
    assert_eq!(a["priority"], 0);
    assert_eq!(a["lastUpdated"], "2024-05-10T07:30:00.000Z");
    assert_eq!(a["profile"], json!({}));
    let base = t.base();
    assert_eq!(
        a["_links"],
        json!({
            "app": {"href": format!("{base}/api/v1/apps/{}", demo::OIDC_APP_ID)},
            "self": {"href": format!("{base}/api/v1/apps/{}/groups/{}", demo::OIDC_APP_ID, demo::HR_GROUP_ID)},
            "group": {"href": format!("{base}/api/v1/groups/{}", demo::HR_GROUP_ID)}
        })
    );
    // HR Team has no members: nobody got the app through it.
    assert!(app_users(&t, demo::OIDC_APP_ID).await.is_empty());
    let apps = t
        .get(&format!("/api/v1/groups/{}/apps", demo::HR_GROUP_ID))
        .await;
    assert_eq!(apps.status, 200);
    assert_eq!(ids(apps.json().as_array().unwrap()), [demo::OIDC_APP_ID]);
    assert_eq!(apps.json()[0]["label"], "Helpdesk Portal");
    let stats = t
        .get(&format!(
            "/api/v1/groups/{}?expand=stats",
            demo::HR_GROUP_ID
        ))
        .await
        .json();
    assert_eq!(stats["_embedded"]["stats"]["appsCount"], 1);
    assert!(
        t.get(&format!(
            "/api/v1/groups/{}/apps",
            demo::ENGINEERING_GROUP_ID
        ))
        .await
        .json()
        .as_array()
        .unwrap()
        .is_empty()
    );
}

#[tokio::test]
async fn assigning_a_group_gives_its_members_the_app_with_scope_group_and_direct_ones_stay_user() {
    let t = spawn().await;
    let (saml, eng) = (demo::SAML_APP_ID, demo::ENGINEERING_GROUP_ID);
    // Jordan is assigned to the SAML app directly; Priya is not.
    assert_eq!(app_users(&t, saml).await, [pair(demo::JORDAN_ID, "USER")]);
    let resp = t
        .put(
            &format!("/api/v1/apps/{saml}/groups/{eng}"),
            Some(json!({"priority": 3, "profile": {"department": "Engineering"}})),
        )
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text);
    let a = resp.json();
    assert_eq!(a["id"], eng);
    assert_eq!(a["priority"], 3);
    assert_eq!(a["profile"], json!({"department": "Engineering"}));
    assert_okta_ts(&a["lastUpdated"]);
    assert_eq!(
        t.get(&format!("/api/v1/apps/{saml}/groups/{eng}"))
            .await
            .json(),
        a,
        "GET answers what PUT stored"
    );
    assert_eq!(
        sorted(app_users(&t, saml).await),
        sorted(vec![
            pair(demo::JORDAN_ID, "USER"),
            pair(demo::PRIYA_ID, "GROUP")
        ])
    );
    let priya = t
        .get(&format!("/api/v1/apps/{saml}/users/{}", demo::PRIYA_ID))
        .await
        .json();
    assert_eq!(priya["scope"], "GROUP");
    assert_eq!(priya["credentials"]["userName"], demo::PRIYA_LOGIN);
    assert!(
        t.get(&format!(
            "/api/v1/apps?filter=user.id%20eq%20%22{}%22",
            demo::PRIYA_ID
        ))
        .await
        .json()
        .as_array()
        .unwrap()
        .iter()
        .any(|app| app["id"] == saml),
        "the app is the member's now"
    );
    assert!(
        t.get(&format!("/api/v1/apps?filter=group.id%20eq%20%22{eng}%22"))
            .await
            .json()
            .as_array()
            .is_some_and(|apps| ids(apps) == [saml])
    );

    // A member added later gets the app; one removed loses it.
    let ann = t
        .handle()
        .seed_user(UserSeed::new("ann@example.com", "Ann", "Lee"));
    let ann_id = ann["id"].as_str().unwrap();
    let put = t
        .put(&format!("/api/v1/groups/{eng}/users/{ann_id}"), None)
        .await;
    assert_eq!(put.status, 204);
    assert!(app_users(&t, saml).await.contains(&pair(ann_id, "GROUP")));
    let removed = t
        .delete(&format!("/api/v1/groups/{eng}/users/{ann_id}"))
        .await;
    assert_eq!(removed.status, 204);
    assert!(!app_users(&t, saml).await.iter().any(|(id, _)| id == ann_id));
    t.handle().verify_indexes().unwrap();
}

#[tokio::test]
async fn unassigning_a_group_removes_only_the_app_users_no_other_assignment_holds() {
    let t = spawn().await;
    let h = t.handle();
    let (saml, eng) = (demo::SAML_APP_ID, demo::ENGINEERING_GROUP_ID);
    // Priya is in a second assigned group, so she keeps the app; Jordan keeps his direct one.
    let other = h.seed_group("Backend", None);
    let other_id = other["id"].as_str().unwrap();
    assert!(h.add_member(other_id, demo::PRIYA_ID));
    let ann = h.seed_user(UserSeed::new("ann@example.com", "Ann", "Lee"));
    let ann_id = ann["id"].as_str().unwrap();
    assert!(h.add_member(eng, ann_id));
    assert!(h.assign_group(saml, eng, None));
    assert!(h.assign_group(saml, other_id, None));

    let resp = t.delete(&format!("/api/v1/apps/{saml}/groups/{eng}")).await;
    assert_eq!(resp.status, 204, "{}", resp.text);
    assert_eq!(resp.text, "");
    assert_eq!(
        sorted(app_users(&t, saml).await),
        sorted(vec![
            pair(demo::JORDAN_ID, "USER"),
            pair(demo::PRIYA_ID, "GROUP")
        ]),
        "Ann had the app only through Engineering"
    );
    t.get(&format!("/api/v1/apps/{saml}/groups/{eng}"))
        .await
        .assert_error(
            404,
            "E0000007",
            &format!("Not found: Resource not found: {eng} (ApplicationGroupAssignment)"),
        );
    t.delete(&format!("/api/v1/apps/{saml}/groups/{eng}"))
        .await
        .assert_error(
            404,
            "E0000007",
            &format!("Not found: Resource not found: {eng} (ApplicationGroupAssignment)"),
        );
    let events: Vec<String> = h
        .log_events()
        .iter()
        .filter_map(|e| e["eventType"].as_str().map(str::to_string))
        .collect();
    assert_eq!(
        events.last().map(String::as_str),
        Some("group.application_assignment.remove")
    );
    h.verify_indexes().unwrap();
}

#[tokio::test]
async fn a_user_the_app_reaches_through_a_group_cannot_be_unassigned_directly() {
    let t = spawn().await;
    let h = t.handle();
    let (saml, eng) = (demo::SAML_APP_ID, demo::ENGINEERING_GROUP_ID);
    assert!(h.assign_group(saml, eng, Some(0)));
    for user in [demo::PRIYA_ID, demo::JORDAN_ID] {
        let resp = t.delete(&format!("/api/v1/apps/{saml}/users/{user}")).await;
        resp.assert_error(
            403,
            "E0000046",
            "Deactivate application for user forbidden.",
        );
        assert_eq!(
            resp.causes(),
            [
                "The application cannot be unassigned from the user while their group memberships grant them access"
            ]
        );
    }
    assert_eq!(h.app_user_ids(saml).len(), 2);
}

#[tokio::test]
async fn a_direct_assignment_of_a_group_member_makes_the_app_user_theirs() {
    let t = spawn().await;
    let h = t.handle();
    assert!(h.assign_group(demo::OIDC_APP_ID, demo::ENGINEERING_GROUP_ID, None));
    let resp = t
        .post(
            &format!("/api/v1/apps/{}/users", demo::OIDC_APP_ID),
            json!({"id": demo::PRIYA_ID, "scope": "USER"}),
        )
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text);
    assert_eq!(resp.json()["scope"], "USER");
    let again = t
        .post(
            &format!("/api/v1/apps/{}/users", demo::OIDC_APP_ID),
            json!({"id": demo::PRIYA_ID}),
        )
        .await;
    again.assert_error(
        409,
        "E0000062",
        "The specified user is already assigned to the application.",
    );
    // Unassigning the group leaves her direct assignment.
    assert_eq!(
        t.delete(&format!(
            "/api/v1/apps/{}/groups/{}",
            demo::OIDC_APP_ID,
            demo::ENGINEERING_GROUP_ID
        ))
        .await
        .status,
        204
    );
    assert_eq!(
        app_users(&t, demo::OIDC_APP_ID).await,
        [pair(demo::PRIYA_ID, "USER")]
    );
    h.verify_indexes().unwrap();
}

#[tokio::test]
async fn put_replaces_an_assignment_and_priority_defaults_after_the_apps_other_groups() {
    let t = spawn().await;
    let oidc = demo::OIDC_APP_ID;
    // HR Team holds priority 0; a new assignment without one comes next.
    let eng = t
        .put(
            &format!("/api/v1/apps/{oidc}/groups/{}", demo::ENGINEERING_GROUP_ID),
            Some(json!({})),
        )
        .await;
    assert_eq!(eng.status, 200, "{}", eng.text);
    assert_eq!(eng.json()["priority"], 1);
    // PUT again replaces the profile and keeps the priority when none is sent.
    let path = format!("/api/v1/apps/{oidc}/groups/{}", demo::HR_GROUP_ID);
    let first = t
        .put(&path, Some(json!({"priority": 7, "profile": {"a": "1"}})))
        .await;
    assert_eq!(first.json()["priority"], 7);
    let replaced = t.put(&path, Some(json!({"profile": {"b": "2"}}))).await;
    assert_eq!(replaced.status, 200);
    assert_eq!(replaced.json()["priority"], 7);
    assert_eq!(replaced.json()["profile"], json!({"b": "2"}));
    for bad in [
        json!({"priority": -1}),
        json!({"priority": 2_147_483_648_i64}),
        json!({"priority": 1.5}),
    ] {
        let resp = t.put(&path, Some(bad.clone())).await;
        resp.assert_error(400, "E0000001", "Api validation failed: priority");
    }
    t.put(&path, Some(json!({"priority": "high"})))
        .await
        .assert_error(400, "E0000003", "The request body was not well-formed.");
    assert_eq!(
        t.get(&path).await.json()["priority"],
        7,
        "refusals change nothing"
    );
}

#[tokio::test]
async fn unknown_apps_and_groups_are_not_found() {
    let t = spawn().await;
    let (app, group) = ("0oaNOTANAPP000000000", "00gNOTAGROUP00000000");
    let app_missing = format!("Not found: Resource not found: {app} (AppInstance)");
    let group_missing = format!("Not found: Resource not found: {group} (UserGroup)");
    t.get(&format!("/api/v1/apps/{app}/groups"))
        .await
        .assert_error(404, "E0000007", &app_missing);
    t.get(&format!("/api/v1/apps/{app}/groups/{}", demo::HR_GROUP_ID))
        .await
        .assert_error(404, "E0000007", &app_missing);
    t.put(
        &format!("/api/v1/apps/{app}/groups/{}", demo::HR_GROUP_ID),
        Some(json!({})),
    )
    .await
    .assert_error(404, "E0000007", &app_missing);
    t.put(
        &format!("/api/v1/apps/{}/groups/{group}", demo::SAML_APP_ID),
        Some(json!({})),
    )
    .await
    .assert_error(404, "E0000007", &group_missing);
    t.delete(&format!("/api/v1/apps/{app}/groups/{}", demo::HR_GROUP_ID))
        .await
        .assert_error(404, "E0000007", &app_missing);
    t.get(&format!("/api/v1/groups/{group}/apps"))
        .await
        .assert_error(404, "E0000007", &group_missing);
    assert!(t.handle().app_group_ids(demo::SAML_APP_ID).is_empty());
}

#[tokio::test]
async fn deleting_a_group_removes_its_assignments_and_the_app_users_they_gave() {
    let t = spawn().await;
    let h = t.handle();
    let group = h.seed_group("Sales", None);
    let gid = group["id"].as_str().unwrap();
    assert!(h.add_member(gid, demo::PRIYA_ID));
    assert!(h.assign_group(demo::SWA_APP_ID, gid, None));
    assert_eq!(h.app_user_ids(demo::SWA_APP_ID), [demo::PRIYA_ID]);
    assert_eq!(t.delete(&format!("/api/v1/groups/{gid}")).await.status, 204);
    assert!(h.app_group_ids(demo::SWA_APP_ID).is_empty());
    assert!(h.app_user_ids(demo::SWA_APP_ID).is_empty());
    h.verify_indexes().unwrap();
}

#[tokio::test]
async fn a_deactivated_member_loses_the_app_and_gets_it_back_when_reactivated() {
    let t = spawn().await;
    let h = t.handle();
    h.set_transition(std::time::Duration::ZERO);
    assert!(h.assign_group(demo::SWA_APP_ID, demo::ENGINEERING_GROUP_ID, None));
    let deactivate = format!("/api/v1/users/{}/lifecycle/deactivate", demo::PRIYA_ID);
    assert_eq!(t.post_empty(&deactivate).await.status, 200);
    assert_eq!(h.app_user_ids(demo::SWA_APP_ID), [demo::JORDAN_ID]);
    let activate = format!(
        "/api/v1/users/{}/lifecycle/activate?sendEmail=false",
        demo::PRIYA_ID
    );
    assert_eq!(t.post_empty(&activate).await.status, 200);
    assert_eq!(
        sorted(app_users(&t, demo::SWA_APP_ID).await),
        sorted(vec![
            pair(demo::JORDAN_ID, "GROUP"),
            pair(demo::PRIYA_ID, "GROUP")
        ])
    );
    h.verify_indexes().unwrap();
}

#[tokio::test]
async fn every_assignment_list_pages_by_cursor_to_the_last_page() {
    let t = spawn().await;
    let h = t.handle();
    let group = h.seed_group("Everyone In Sales", None);
    let gid = group["id"].as_str().unwrap().to_string();
    let mut app_ids = Vec::new();
    for i in 0..45 {
        let app = h.seed_app(AppSeed::new(&format!("Sales Tool {i:02}"), "BOOKMARK"));
        let aid = app["id"].as_str().unwrap().to_string();
        assert!(h.assign_group(&aid, &gid, None));
        app_ids.push(aid);
    }
    let mut groups = vec![demo::HR_GROUP_ID.to_string()];
    for i in 0..44 {
        let g = h.seed_group(&format!("Support Tier {i:02}"), None);
        let g = g["id"].as_str().unwrap().to_string();
        assert!(h.assign_group(demo::OIDC_APP_ID, &g, None));
        groups.push(g);
    }
    app_ids.sort();
    groups.sort();

    let (apps, pages) = t
        .collect_pages(&format!("/api/v1/groups/{gid}/apps?limit=20"))
        .await;
    assert_eq!(pages, 3);
    assert_eq!(ids(&apps), app_ids, "each app once, in id order");
    let first = t.get(&format!("/api/v1/groups/{gid}/apps")).await;
    assert_eq!(
        first.json().as_array().unwrap().len(),
        20,
        "Okta's default limit"
    );
    assert_eq!(
        first.next_link(),
        Some(format!(
            "{}/api/v1/groups/{gid}/apps?after={}&limit=20",
            t.base(),
            app_ids[19]
        ))
    );

    let (assignments, pages) = t
        .collect_pages(&format!(
            "/api/v1/apps/{}/groups?limit=20",
            demo::OIDC_APP_ID
        ))
        .await;
    assert_eq!(pages, 3);
    assert_eq!(ids(&assignments), groups);
    let priorities: Vec<i64> = assignments
        .iter()
        .filter_map(|a| a["priority"].as_i64())
        .collect();
    let mut distinct = priorities.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(
        distinct,
        (0..45).collect::<Vec<i64>>(),
        "each new group comes next"
    );
    let support = t
        .get(&format!(
            "/api/v1/apps/{}/groups?q=support%20tier%200&expand=group",
            demo::OIDC_APP_ID
        ))
        .await
        .json();
    assert_eq!(support.as_array().unwrap().len(), 10);
    assert!(
        support[0]["_embedded"]["group"]["profile"]["name"]
            .as_str()
            .is_some_and(|n| n.starts_with("Support Tier 0"))
    );
}

#[tokio::test]
async fn help_desk_admins_read_assignments_but_do_not_change_them() {
    let t = spawn().await;
    t.handle()
        .add_token("help-desk", okta_sim::AdminRole::HelpDeskAdmin);
    let path = format!(
        "/api/v1/apps/{}/groups/{}",
        demo::SAML_APP_ID,
        demo::ENGINEERING_GROUP_ID
    );
    let put = t
        .call_as(
            Some("help-desk"),
            reqwest::Method::PUT,
            &path,
            Some(json!({})),
        )
        .await;
    put.assert_error(
        403,
        "E0000006",
        "You do not have permission to perform the requested action",
    );
    let list = t
        .call_as(
            Some("help-desk"),
            reqwest::Method::GET,
            &format!("/api/v1/groups/{}/apps", demo::HR_GROUP_ID),
            None,
        )
        .await;
    assert_eq!(list.status, 200);
    assert!(t.handle().app_group_ids(demo::SAML_APP_ID).is_empty());
}
