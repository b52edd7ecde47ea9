//! Group actions: create, get, update, delete, list, membership and the members list
//! (get_pending_approvals), against okta-sim: the gateway's answer and what Okta received.

use okta_sim::demo::{ENGINEERING_GROUP_ID, HR_GROUP_ID, JORDAN_ID, JORDAN_LOGIN, PRIYA_ID};
use okta_sim::{OktaSim, SimConfig, UserSeed};
use reqwest::Method;
use serde_json::{Value, json};

use super::support::{
    assert_not_found, assert_refused, assert_seed_keys, header, json_body, received, without_links,
};
use crate::helpers::{
    ACCOUNT, Backend, RunningGateway, TestApp, TestDb, base_vars, config_from, spawn_with_account,
};

/// The seed's Get Group sample: every key must be present in a group the gateway returns.
fn group_sample() -> Value {
    json!({
        "id": "00g1emaKYZTWRYYRRTSK",
        "created": "2024-01-15T10:30:00.000Z",
        "lastUpdated": "2024-05-20T08:00:00.000Z",
        "lastMembershipUpdated": "2024-05-18T14:22:00.000Z",
        "type": "OKTA_GROUP",
        "profile": {"name": "Engineering Team", "description": "All engineering department employees"},
        "objectClass": ["okta:user_group"]
    })
}

/// The seed's Get Pending Approvals sample element.
fn member_sample() -> Value {
    json!({
        "id": "00ub0oNGTSWTBKOLGLNR",
        "status": "ACTIVE",
        "created": "2024-01-15T10:30:00.000Z",
        "activated": "2024-01-15T10:35:00.000Z",
        "lastLogin": "2026-05-28T09:00:00.000Z",
        "lastUpdated": "2026-05-28T09:00:00.000Z",
        "profile": {"firstName": "Jordan", "lastName": "Lee", "email": "jordan.lee@example.com", "login": "jordan.lee@example.com"}
    })
}

/// The group as okta-sim holds it, minus `_links`: what get/create/update must return.
fn sim_group(app: &TestApp, id: &str) -> Value {
    without_links(app.sim.handle().group(id).expect("the group exists"))
}

fn id_of(value: &Value) -> String {
    value["id"].as_str().expect("an id").to_owned()
}

/// Adds `n` members to a group; returns their ids in Okta's (id) order.
fn seed_members(app: &TestApp, group_id: &str, n: usize) -> Vec<String> {
    let sim = app.sim.handle();
    let mut ids: Vec<String> = (0..n)
        .map(|k| {
            let user = sim.seed_user(UserSeed::new(
                &format!("member.{k}@example.com"),
                "Member",
                &format!("No{k}"),
            ));
            let id = id_of(&user);
            assert!(sim.add_member(group_id, &id));
            id
        })
        .collect();
    ids.sort();
    ids
}

// ---- create_group ----

#[tokio::test]
async fn creating_a_group_posts_its_profile_and_returns_the_group_without_links() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "create_group",
            json!({"name": "Platform Team", "description": "Runs the platform"}),
        )
        .await;

    assert_eq!(response.status, 200, "{}", response.text);
    let sent = received(&app);
    assert_eq!(app.okta_calls(), ["POST /api/v1/groups"]);
    assert_eq!(
        json_body(&sent[0]),
        json!({"profile": {"name": "Platform Team", "description": "Runs the platform"}})
    );
    let id = id_of(&response.json);
    assert!(id.starts_with("00g"));
    assert_eq!(response.json, sim_group(&app, &id));
    assert_seed_keys(&response.json, &group_sample(), true);
    assert_eq!(response.json["type"], "OKTA_GROUP");
    assert_eq!(response.json["objectClass"], json!(["okta:user_group"]));
}

#[tokio::test]
async fn creating_a_group_without_a_description_sends_only_the_name_and_answers_null() {
    let app = spawn_with_account().await;
    let response = app
        .action("create_group", json!({"name": "No Description"}))
        .await;

    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(
        json_body(&received(&app)[0]),
        json!({"profile": {"name": "No Description"}})
    );
    assert_eq!(
        response.json["profile"],
        json!({"name": "No Description", "description": null}),
        "the seed's keys are present, null where Okta left them out"
    );
}

#[tokio::test]
async fn creating_a_group_with_a_taken_name_is_a_conflict_with_oktas_details() {
    let app = spawn_with_account().await;
    let response = app
        .action("create_group", json!({"name": "Engineering Team"}))
        .await;

    let error = response.assert_error("CONFLICT", 409);
    assert_eq!(error["code"], 9114);
    assert_eq!(
        error["details"]["conflict"],
        "A group with this name already exists."
    );
    let okta = &error["details"]["okta"];
    assert_eq!(okta["errorCode"], "E0000001");
    assert_eq!(okta["errorSummary"], "Api validation failed: name");
    assert_eq!(
        okta["errorCauses"],
        json!([{"errorSummary": "name: An object with this field already exists in the current organization"}])
    );
    assert_eq!(app.okta_calls(), ["POST /api/v1/groups"]);
}

#[tokio::test]
async fn creating_a_group_without_a_valid_name_is_refused_before_any_okta_call() {
    let app = spawn_with_account().await;
    for body in [
        json!({}),
        json!({"description": "only a description"}),
        json!({"name": ""}),
        json!({"name": 5}),
        json!({"name": null}),
        json!({"name": "x".repeat(256)}),
    ] {
        let response = app.action("create_group", body.clone()).await;
        assert_refused(&app, &response, &["name"]);
    }
}

// ---- get_group ----

#[tokio::test]
async fn getting_a_group_returns_oktas_group_without_links() {
    let app = spawn_with_account().await;
    let response = app
        .action("get_group", json!({"groupId": ENGINEERING_GROUP_ID}))
        .await;

    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(
        app.okta_calls(),
        [format!("GET /api/v1/groups/{ENGINEERING_GROUP_ID}")]
    );
    assert_eq!(response.json, sim_group(&app, ENGINEERING_GROUP_ID));
    assert_seed_keys(&response.json, &group_sample(), true);
    assert_eq!(
        response.json["profile"],
        json!({"name": "Engineering Team", "description": "All engineering department employees"})
    );
}

#[tokio::test]
async fn getting_a_group_okta_has_without_a_description_answers_description_null() {
    let app = spawn_with_account().await;
    let id = id_of(&app.sim.handle().seed_group("Bare", None));
    let response = app.action("get_group", json!({"groupId": id})).await;

    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(
        response.json["profile"],
        json!({"name": "Bare", "description": null})
    );
}

#[tokio::test]
async fn getting_an_unknown_group_is_resource_not_found_for_the_group() {
    let app = spawn_with_account().await;
    let response = app
        .action("get_group", json!({"groupId": "00gNOTAGROUP00000000"}))
        .await;

    assert_not_found(
        &response,
        "group",
        "Not found: Resource not found: 00gNOTAGROUP00000000 (UserGroup)",
    );
    assert_eq!(
        app.okta_calls(),
        ["GET /api/v1/groups/00gNOTAGROUP00000000"]
    );
}

#[tokio::test]
async fn a_group_id_is_one_encoded_path_segment() {
    let app = spawn_with_account().await;
    let response = app
        .action("get_group", json!({"groupId": "00g1/../users?x=1#y"}))
        .await;

    response.assert_error("RESOURCE_NOT_FOUND", 404);
    let sent = received(&app);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].path, "/api/v1/groups/00g1%2F..%2Fusers%3Fx%3D1%23y");
    assert_eq!(sent[0].query, None);
}

// ---- update_group ----

#[tokio::test]
async fn updating_a_group_with_a_description_reads_it_and_puts_its_whole_profile_back() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "update_group",
            json!({"groupId": ENGINEERING_GROUP_ID, "name": "Engineering Team - Backend", "description": "Backend engineering team members"}),
        )
        .await;

    assert_eq!(response.status, 200, "{}", response.text);
    let sent = received(&app);
    assert_eq!(
        app.okta_calls(),
        [
            format!("GET /api/v1/groups/{ENGINEERING_GROUP_ID}"),
            format!("PUT /api/v1/groups/{ENGINEERING_GROUP_ID}"),
        ]
    );
    assert_eq!(
        json_body(&sent[1]),
        json!({"profile": {"name": "Engineering Team - Backend", "description": "Backend engineering team members"}})
    );
    assert_eq!(response.json, sim_group(&app, ENGINEERING_GROUP_ID));
    assert_seed_keys(&response.json, &group_sample(), true);
    assert_eq!(
        response.json["profile"]["name"],
        "Engineering Team - Backend"
    );
}

#[tokio::test]
async fn updating_a_group_without_a_description_carries_the_current_one_over() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "update_group",
            json!({"groupId": HR_GROUP_ID, "name": "People Team"}),
        )
        .await;

    assert_eq!(response.status, 200, "{}", response.text);
    let sent = received(&app);
    assert_eq!(
        app.okta_calls(),
        [
            format!("GET /api/v1/groups/{HR_GROUP_ID}"),
            format!("PUT /api/v1/groups/{HR_GROUP_ID}"),
        ]
    );
    assert_eq!(
        json_body(&sent[1]),
        json!({"profile": {"name": "People Team", "description": "Human resources team"}}),
        "Okta's PUT replaces the profile: the current description must be sent again"
    );
    assert_eq!(
        response.json["profile"],
        json!({"name": "People Team", "description": "Human resources team"})
    );
    assert_eq!(
        app.sim.handle().group(HR_GROUP_ID).unwrap()["profile"]["description"],
        "Human resources team"
    );
}

#[tokio::test]
async fn updating_a_group_that_has_no_description_keeps_it_without_one() {
    let app = spawn_with_account().await;
    let id = id_of(&app.sim.handle().seed_group("Bare", None));
    let response = app
        .action("update_group", json!({"groupId": id, "name": "Still Bare"}))
        .await;

    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(
        app.okta_calls(),
        [
            format!("GET /api/v1/groups/{id}"),
            format!("PUT /api/v1/groups/{id}"),
        ]
    );
    let sent = json_body(&received(&app)[1]);
    assert_eq!(sent["profile"]["name"], "Still Bare");
    assert!(
        sent["profile"]
            .get("description")
            .is_none_or(Value::is_null),
        "no description is invented: {sent}"
    );
    assert_eq!(
        response.json["profile"],
        json!({"name": "Still Bare", "description": null})
    );
}

#[tokio::test]
async fn updating_a_group_with_a_null_description_counts_as_omitted() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "update_group",
            json!({"groupId": HR_GROUP_ID, "name": "People Team", "description": null}),
        )
        .await;

    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(
        app.okta_calls(),
        [
            format!("GET /api/v1/groups/{HR_GROUP_ID}"),
            format!("PUT /api/v1/groups/{HR_GROUP_ID}"),
        ]
    );
    assert_eq!(
        response.json["profile"]["description"],
        "Human resources team"
    );
}

#[tokio::test]
async fn updating_a_group_with_an_empty_description_clears_it() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "update_group",
            json!({"groupId": HR_GROUP_ID, "name": "HR Team", "description": ""}),
        )
        .await;

    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(
        app.okta_calls(),
        [
            format!("GET /api/v1/groups/{HR_GROUP_ID}"),
            format!("PUT /api/v1/groups/{HR_GROUP_ID}"),
        ]
    );
    assert_eq!(
        json_body(&received(&app)[1]),
        json!({"profile": {"name": "HR Team", "description": ""}})
    );
}

#[tokio::test]
async fn updating_an_unknown_group_is_not_found_and_puts_nothing() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "update_group",
            json!({"groupId": "00gNOTAGROUP00000000", "name": "Anything"}),
        )
        .await;

    assert_not_found(
        &response,
        "group",
        "Not found: Resource not found: 00gNOTAGROUP00000000 (UserGroup)",
    );
    assert_eq!(
        app.okta_calls(),
        ["GET /api/v1/groups/00gNOTAGROUP00000000"]
    );

    app.forget_requests();
    let response = app
        .action(
            "update_group",
            json!({"groupId": "00gNOTAGROUP00000000", "name": "Anything", "description": "d"}),
        )
        .await;
    response.assert_error("RESOURCE_NOT_FOUND", 404);
    assert_eq!(response.json["error"]["details"]["resource"], "group");
    assert_eq!(
        app.okta_calls(),
        ["GET /api/v1/groups/00gNOTAGROUP00000000"]
    );
}

#[tokio::test]
async fn renaming_a_group_to_a_taken_name_is_a_conflict() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "update_group",
            json!({"groupId": HR_GROUP_ID, "name": "Engineering Team", "description": "d"}),
        )
        .await;

    let error = response.assert_error("CONFLICT", 409);
    assert_eq!(
        error["details"]["conflict"],
        "A group with this name already exists."
    );
    assert_eq!(error["details"]["okta"]["errorCode"], "E0000001");
    assert_eq!(
        app.sim.handle().group(HR_GROUP_ID).unwrap()["profile"]["name"],
        "HR Team"
    );
}

#[tokio::test]
async fn updating_a_group_needs_its_id_and_a_name() {
    let app = spawn_with_account().await;
    let response = app
        .action("update_group", json!({"description": "only"}))
        .await;
    assert_refused(&app, &response, &["groupId", "name"]);
}

// ---- delete_group ----

#[tokio::test]
async fn deleting_a_group_answers_the_seed_wrapper_and_removes_it() {
    let app = spawn_with_account().await;
    let response = app
        .action("delete_group", json!({"groupId": HR_GROUP_ID}))
        .await;

    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(
        response.json,
        json!({"status": 204, "message": "Group successfully deleted."})
    );
    let sent = received(&app);
    assert_eq!(
        app.okta_calls(),
        [format!("DELETE /api/v1/groups/{HR_GROUP_ID}")]
    );
    assert_eq!(sent[0].body, None);
    assert!(app.sim.handle().group(HR_GROUP_ID).is_none());
}

#[tokio::test]
async fn a_dry_run_delete_only_reads_the_group_and_keeps_it() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "delete_group",
            json!({"groupId": ENGINEERING_GROUP_ID, "dryRun": true}),
        )
        .await;

    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(
        response.json,
        json!({
            "dryRun": true,
            "message": "Would delete group Engineering Team.",
            "target": sim_group(&app, ENGINEERING_GROUP_ID),
        })
    );
    assert_eq!(
        app.okta_calls(),
        [format!("GET /api/v1/groups/{ENGINEERING_GROUP_ID}")]
    );
    assert!(app.sim.handle().group(ENGINEERING_GROUP_ID).is_some());
}

#[tokio::test]
async fn deleting_an_unknown_group_is_not_found_with_or_without_dry_run() {
    let app = spawn_with_account().await;
    let summary = "Not found: Resource not found: 00gNOTAGROUP00000000 (UserGroup)";
    let response = app
        .action("delete_group", json!({"groupId": "00gNOTAGROUP00000000"}))
        .await;
    assert_not_found(&response, "group", summary);
    assert_eq!(
        app.okta_calls(),
        ["DELETE /api/v1/groups/00gNOTAGROUP00000000"]
    );

    app.forget_requests();
    let response = app
        .action(
            "delete_group",
            json!({"groupId": "00gNOTAGROUP00000000", "dryRun": true}),
        )
        .await;
    assert_not_found(&response, "group", summary);
    assert_eq!(
        app.okta_calls(),
        ["GET /api/v1/groups/00gNOTAGROUP00000000"]
    );
}

#[tokio::test]
async fn a_dry_run_flag_must_be_a_boolean() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "delete_group",
            json!({"groupId": HR_GROUP_ID, "dryRun": "true"}),
        )
        .await;
    assert_refused(&app, &response, &["dryRun"]);
    assert!(app.sim.handle().group(HR_GROUP_ID).is_some());
}

// ---- list_groups ----

/// Seeds groups so the org holds `total` (the demo seed has two).
fn seed_groups(app: &TestApp, total: usize) {
    let sim = app.sim.handle();
    for k in 2..total {
        let group = sim.seed_group(&format!("Seeded Group {k:04}"), Some("seeded"));
        assert!(group.get("error").is_none(), "{group}");
    }
}

/// The `after` of each recorded groups call, checked against the last id of the page before.
fn assert_cursors_follow_the_pages(app: &TestApp) {
    let sent = received(app);
    for pair in sent.windows(2) {
        let page: Value = serde_json::from_str(pair[0].response_body.as_deref().unwrap()).unwrap();
        let last = page.as_array().unwrap().last().unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let query = pair[1].query.as_deref().unwrap();
        assert!(
            query.starts_with(&format!("after={last}&limit=")),
            "the cursor of {query} is the one of the previous page's next link ({last})"
        );
    }
}

#[tokio::test]
async fn listing_groups_without_q_follows_next_links_in_pages_of_200_until_the_limit() {
    let app = spawn_with_account().await;
    seed_groups(&app, 450);
    let response = app.action("list_groups", json!({"limit": 1000})).await;

    assert_eq!(response.status, 200, "{}", response.text);
    let groups = response.json.as_array().expect("an array");
    assert_eq!(groups.len(), 450);
    let calls = app.okta_calls();
    assert_eq!(calls.len(), 3, "{calls:?}");
    assert_eq!(calls[0], "GET /api/v1/groups?limit=200");
    for call in &calls[1..] {
        assert!(call.starts_with("GET /api/v1/groups?after=00g"), "{call}");
        assert!(call.ends_with("&limit=200"), "{call}");
    }
    assert_cursors_follow_the_pages(&app);
    let mut ids: Vec<&str> = groups.iter().map(|g| g["id"].as_str().unwrap()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 450, "no group twice");
    for group in groups {
        assert_seed_keys(group, &group_sample(), true);
    }
}

#[tokio::test]
async fn listing_groups_stops_at_the_limit_and_asks_only_for_what_is_missing() {
    let app = spawn_with_account().await;
    seed_groups(&app, 450);
    let response = app.action("list_groups", json!({"limit": 250})).await;

    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.json.as_array().unwrap().len(), 250);
    let calls = app.okta_calls();
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert_eq!(calls[0], "GET /api/v1/groups?limit=200");
    assert!(
        calls[1].starts_with("GET /api/v1/groups?after=00g") && calls[1].ends_with("&limit=50"),
        "{calls:?}"
    );
    assert_cursors_follow_the_pages(&app);
}

#[tokio::test]
async fn listing_groups_defaults_to_200_and_shapes_each_group() {
    let app = spawn_with_account().await;
    let bare = id_of(&app.sim.handle().seed_group("Bare", None));
    let response = app.action("list_groups", json!({})).await;

    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(app.okta_calls(), ["GET /api/v1/groups?limit=200"]);
    let groups = response.json.as_array().unwrap();
    assert_eq!(groups.len(), 3);
    for group in groups {
        assert_seed_keys(group, &group_sample(), true);
        let mut expected = sim_group(&app, group["id"].as_str().unwrap());
        if expected["profile"].get("description").is_none() {
            expected["profile"]["description"] = Value::Null;
        }
        assert_eq!(*group, expected);
    }
    let bare = groups.iter().find(|g| g["id"] == bare.as_str()).unwrap();
    assert_eq!(
        bare["profile"],
        json!({"name": "Bare", "description": null}),
        "null where Okta left the description out"
    );
}

#[tokio::test]
async fn listing_groups_with_q_makes_one_call_with_q_and_limit_and_never_pages() {
    let app = spawn_with_account().await;
    seed_groups(&app, 450);
    let response = app
        .action(
            "list_groups",
            json!({"q": "Seeded Group 01", "limit": 1000}),
        )
        .await;

    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(
        app.okta_calls(),
        ["GET /api/v1/groups?q=Seeded+Group+01&limit=1000"]
    );
    let names: Vec<&str> = response
        .json
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["profile"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 100);
    assert!(names.iter().all(|n| n.starts_with("Seeded Group 01")));

    app.forget_requests();
    let response = app
        .action("list_groups", json!({"q": "Seeded", "limit": 5}))
        .await;
    assert_eq!(response.json.as_array().unwrap().len(), 5);
    assert_eq!(app.okta_calls(), ["GET /api/v1/groups?q=Seeded&limit=5"]);
}

#[tokio::test]
async fn listing_groups_with_q_that_matches_nothing_is_an_empty_list() {
    let app = spawn_with_account().await;
    let response = app.action("list_groups", json!({"q": "Nobody & Co"})).await;
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.json, json!([]));
    assert_eq!(
        app.okta_calls(),
        ["GET /api/v1/groups?q=Nobody+%26+Co&limit=200"]
    );
}

#[tokio::test]
async fn a_list_groups_limit_out_of_range_or_not_an_integer_is_refused_before_any_call() {
    let app = spawn_with_account().await;
    for limit in [
        json!(0),
        json!(-1),
        json!(1001),
        json!("5"),
        json!(5.5),
        json!(true),
        json!([5]),
    ] {
        let response = app.action("list_groups", json!({"limit": limit})).await;
        assert_refused(&app, &response, &["limit"]);
        assert_eq!(
            response.json["error"]["details"]["fields"][0]["problem"],
            "must be an integer from 1 to 1000",
            "{limit}"
        );
    }
    let response = app
        .action("list_groups", json!({"q": "", "limit": 0}))
        .await;
    assert_refused(&app, &response, &["q", "limit"]);
}

/// An app whose simulator writes links naming another host than the account's domain.
pub(super) async fn spawn_with_foreign_links() -> TestApp {
    spawn_with_links_to("https://attacker.example").await
}

/// An app whose simulator writes links under `public_url` instead of its own address.
pub(super) async fn spawn_with_links_to(public_url: &str) -> TestApp {
    crate::helpers::init_test_logs();
    let sim_token = format!("00sim{}", uuid::Uuid::new_v4().simple());
    let sim = OktaSim::start(SimConfig {
        token: sim_token.clone(),
        public_url: Some(public_url.to_owned()),
        ..SimConfig::default()
    })
    .await
    .expect("okta-sim starts");
    let db = TestDb::new(Backend::Sqlite).await;
    let vars = base_vars(&db.url());
    let gateway = RunningGateway::start(config_from(&vars))
        .await
        .expect("gateway starts");
    let app = TestApp {
        base: format!("http://{}", gateway.addr),
        http: crate::helpers::client(),
        sim,
        sim_token,
        vars,
        gateway,
        db,
    };
    let created = app
        .admin(
            Method::POST,
            "/accounts",
            Some(json!({
                "name": ACCOUNT,
                "domain": format!("http://{}", app.sim.addr()),
                "apiToken": app.sim_token,
            })),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    app.forget_requests();
    app
}

#[tokio::test]
async fn the_next_cursor_is_sent_to_the_accounts_host_never_to_the_links_host() {
    let app = spawn_with_foreign_links().await;
    seed_groups(&app, 450);
    let response = app.action("list_groups", json!({"limit": 1000})).await;

    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.json.as_array().unwrap().len(), 450);
    let sent = received(&app);
    assert_eq!(sent.len(), 3, "every page came from the account's own host");
    let host = app.sim.addr().to_string();
    for request in &sent {
        assert_eq!(header(request, "host"), Some(host.as_str()));
        assert_eq!(request.path, "/api/v1/groups");
    }
    assert_cursors_follow_the_pages(&app);
}

// ---- add_user_to_group ----

#[tokio::test]
async fn adding_a_user_by_id_is_one_put_with_an_empty_body_and_content_length_0() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "add_user_to_group",
            json!({"groupId": HR_GROUP_ID, "userId": JORDAN_ID}),
        )
        .await;

    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(
        response.json,
        json!({
            "status": 204,
            "message": "User successfully added to group.",
            "userId": JORDAN_ID,
            "groupId": HR_GROUP_ID,
        })
    );
    let sent = received(&app);
    assert_eq!(
        app.okta_calls(),
        [format!(
            "PUT /api/v1/groups/{HR_GROUP_ID}/users/{JORDAN_ID}"
        )]
    );
    assert_eq!(sent[0].body, None);
    assert_eq!(header(&sent[0], "content-length"), Some("0"));
    assert_eq!(sent[0].status, 204);
    assert_eq!(
        app.sim.handle().group_member_ids(HR_GROUP_ID),
        vec![JORDAN_ID.to_owned()]
    );
}

#[tokio::test]
async fn a_login_with_a_plus_is_encoded_when_it_is_resolved() {
    let app = spawn_with_account().await;
    let user = app
        .sim
        .handle()
        .seed_user(UserSeed::new("ann+ops@example.com", "Ann", "Ops"));
    let id = id_of(&user);
    let response = app
        .action(
            "add_user_to_group",
            json!({"groupId": HR_GROUP_ID, "userId": "ann+ops@example.com"}),
        )
        .await;

    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.json["userId"], id.as_str());
    assert_eq!(
        app.okta_calls(),
        [
            "GET /api/v1/users/ann%2Bops%40example.com".to_owned(),
            format!("PUT /api/v1/groups/{HR_GROUP_ID}/users/{id}"),
        ]
    );
}

#[tokio::test]
async fn adding_a_member_again_changes_nothing_and_succeeds() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "add_user_to_group",
            json!({"groupId": ENGINEERING_GROUP_ID, "userId": JORDAN_ID}),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(
        response.json["message"],
        "User successfully added to group."
    );
    assert_eq!(
        app.sim
            .handle()
            .group_member_ids(ENGINEERING_GROUP_ID)
            .len(),
        2
    );
}

#[tokio::test]
async fn adding_a_user_to_an_unknown_group_is_not_found_for_the_group() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "add_user_to_group",
            json!({"groupId": "00gNOTAGROUP00000000", "userId": JORDAN_ID}),
        )
        .await;

    assert_not_found(
        &response,
        "group",
        "Not found: Resource not found: 00gNOTAGROUP00000000 (UserGroup)",
    );
    assert_eq!(
        app.okta_calls(),
        [format!(
            "PUT /api/v1/groups/00gNOTAGROUP00000000/users/{JORDAN_ID}"
        )]
    );
}

#[tokio::test]
async fn adding_an_unknown_user_is_not_found_for_the_user() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "add_user_to_group",
            json!({"groupId": HR_GROUP_ID, "userId": "00uNOTAUSER000000000"}),
        )
        .await;
    assert_not_found(
        &response,
        "user",
        "Not found: Resource not found: 00uNOTAUSER000000000 (User)",
    );
    assert_eq!(
        app.okta_calls(),
        [format!(
            "PUT /api/v1/groups/{HR_GROUP_ID}/users/00uNOTAUSER000000000"
        )]
    );

    app.forget_requests();
    let response = app
        .action(
            "add_user_to_group",
            json!({"groupId": HR_GROUP_ID, "userId": "nobody@example.com"}),
        )
        .await;
    assert_not_found(
        &response,
        "user",
        "Not found: Resource not found: nobody@example.com (User)",
    );
    assert_eq!(
        app.okta_calls(),
        ["GET /api/v1/users/nobody%40example.com"],
        "no membership change for a login that does not resolve"
    );
    assert!(app.sim.handle().group_member_ids(HR_GROUP_ID).is_empty());
}

#[tokio::test]
async fn membership_actions_need_both_ids() {
    let app = spawn_with_account().await;
    for action in ["add_user_to_group", "remove_user_from_group"] {
        let response = app.action(action, json!({})).await;
        assert_refused(&app, &response, &["groupId", "userId"]);
        let response = app
            .action(action, json!({"groupId": " ", "userId": ".."}))
            .await;
        assert_refused(&app, &response, &["groupId", "userId"]);
    }
}

// ---- remove_user_from_group ----

#[tokio::test]
async fn removing_a_user_from_a_group_deletes_the_membership() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "remove_user_from_group",
            json!({"groupId": ENGINEERING_GROUP_ID, "userId": PRIYA_ID}),
        )
        .await;

    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(
        response.json,
        json!({
            "status": 204,
            "message": "User successfully removed from group.",
            "userId": PRIYA_ID,
            "groupId": ENGINEERING_GROUP_ID,
        })
    );
    assert_eq!(
        app.okta_calls(),
        [format!(
            "DELETE /api/v1/groups/{ENGINEERING_GROUP_ID}/users/{PRIYA_ID}"
        )]
    );
    assert_eq!(received(&app)[0].body, None);
    assert_eq!(
        app.sim.handle().group_member_ids(ENGINEERING_GROUP_ID),
        vec![JORDAN_ID.to_owned()]
    );
}

#[tokio::test]
async fn a_dry_run_removal_only_reads_the_group_and_the_user() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "remove_user_from_group",
            json!({"groupId": ENGINEERING_GROUP_ID, "userId": JORDAN_LOGIN, "dryRun": true}),
        )
        .await;

    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.json["dryRun"], true);
    assert_eq!(
        response.json["message"],
        "Would remove user jordan.lee@example.com from group Engineering Team."
    );
    assert_eq!(
        response.json["target"]["group"],
        sim_group(&app, ENGINEERING_GROUP_ID)
    );
    assert_eq!(response.json["target"]["user"]["id"], JORDAN_ID);
    assert!(response.json["target"]["user"].get("_links").is_none());
    let calls = app.okta_calls();
    assert!(calls.iter().all(|c| c.starts_with("GET ")), "{calls:?}");
    assert_eq!(
        calls,
        [
            format!("GET /api/v1/groups/{ENGINEERING_GROUP_ID}"),
            "GET /api/v1/users/jordan.lee%40example.com".to_owned(),
        ]
    );
    assert_eq!(
        app.sim
            .handle()
            .group_member_ids(ENGINEERING_GROUP_ID)
            .len(),
        2
    );
}

#[tokio::test]
async fn removing_from_an_unknown_group_or_an_unknown_user_is_not_found() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "remove_user_from_group",
            json!({"groupId": "00gNOTAGROUP00000000", "userId": JORDAN_ID}),
        )
        .await;
    assert_not_found(
        &response,
        "group",
        "Not found: Resource not found: 00gNOTAGROUP00000000 (UserGroup)",
    );

    for dry_run in [false, true] {
        app.forget_requests();
        let response = app
            .action(
                "remove_user_from_group",
                json!({"groupId": ENGINEERING_GROUP_ID, "userId": "nobody@example.com", "dryRun": dry_run}),
            )
            .await;
        assert_not_found(
            &response,
            "user",
            "Not found: Resource not found: nobody@example.com (User)",
        );
        assert!(
            app.okta_calls().iter().all(|c| c.starts_with("GET ")),
            "nothing is removed"
        );
    }

    app.forget_requests();
    let response = app
        .action(
            "remove_user_from_group",
            json!({"groupId": "00gNOTAGROUP00000000", "userId": JORDAN_ID, "dryRun": true}),
        )
        .await;
    response.assert_error("RESOURCE_NOT_FOUND", 404);
    assert_eq!(response.json["error"]["details"]["resource"], "group");
    assert_eq!(
        app.okta_calls(),
        ["GET /api/v1/groups/00gNOTAGROUP00000000"]
    );
    assert_eq!(
        app.sim
            .handle()
            .group_member_ids(ENGINEERING_GROUP_ID)
            .len(),
        2
    );
}

// ---- get_pending_approvals ----

#[tokio::test]
async fn pending_approvals_lists_the_groups_members_shaped() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "get_pending_approvals",
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
    let members = response.json.as_array().unwrap();
    let mut ids: Vec<&str> = members.iter().map(|m| m["id"].as_str().unwrap()).collect();
    ids.sort();
    let mut expected = [JORDAN_ID, PRIYA_ID];
    expected.sort();
    assert_eq!(ids, expected);
    for member in members {
        assert_seed_keys(member, &member_sample(), true);
        assert!(
            member.get("credentials").is_some(),
            "extra Okta keys are kept"
        );
    }
}

#[tokio::test]
async fn pending_approvals_of_an_empty_group_is_an_empty_list() {
    let app = spawn_with_account().await;
    let response = app
        .action("get_pending_approvals", json!({"groupId": HR_GROUP_ID}))
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.json, json!([]));
}

#[tokio::test]
async fn pending_approvals_pages_through_more_than_200_members() {
    let app = spawn_with_account().await;
    let group = id_of(&app.sim.handle().seed_group("Approval Queue", None));
    let ids = seed_members(&app, &group, 450);
    let response = app
        .action(
            "get_pending_approvals",
            json!({"groupId": group, "limit": 1000}),
        )
        .await;

    assert_eq!(response.status, 200, "{}", response.text);
    let returned: Vec<String> = response
        .json
        .as_array()
        .unwrap()
        .iter()
        .map(id_of)
        .collect();
    assert_eq!(returned, ids);
    let calls = app.okta_calls();
    assert_eq!(calls.len(), 3, "{calls:?}");
    assert_eq!(
        calls[0],
        format!("GET /api/v1/groups/{group}/users?limit=200")
    );
    assert_eq!(
        calls[1],
        format!(
            "GET /api/v1/groups/{group}/users?after={}&limit=200",
            ids[199]
        )
    );
    assert_eq!(
        calls[2],
        format!(
            "GET /api/v1/groups/{group}/users?after={}&limit=200",
            ids[399]
        )
    );
}

#[tokio::test]
async fn pending_approvals_honours_the_limit() {
    let app = spawn_with_account().await;
    let group = id_of(&app.sim.handle().seed_group("Approval Queue", None));
    let ids = seed_members(&app, &group, 260);

    let response = app
        .action("get_pending_approvals", json!({"groupId": group}))
        .await;
    assert_eq!(response.json.as_array().unwrap().len(), 200, "default 200");
    assert_eq!(
        app.okta_calls(),
        [format!("GET /api/v1/groups/{group}/users?limit=200")]
    );

    app.forget_requests();
    let response = app
        .action(
            "get_pending_approvals",
            json!({"groupId": group, "limit": 230}),
        )
        .await;
    let returned: Vec<String> = response
        .json
        .as_array()
        .unwrap()
        .iter()
        .map(id_of)
        .collect();
    assert_eq!(returned, ids[..230]);
    assert_eq!(
        app.okta_calls(),
        [
            format!("GET /api/v1/groups/{group}/users?limit=200"),
            format!(
                "GET /api/v1/groups/{group}/users?after={}&limit=30",
                ids[199]
            ),
        ]
    );

    app.forget_requests();
    let response = app
        .action(
            "get_pending_approvals",
            json!({"groupId": group, "limit": 3}),
        )
        .await;
    assert_eq!(response.json.as_array().unwrap().len(), 3);
    assert_eq!(
        app.okta_calls(),
        [format!("GET /api/v1/groups/{group}/users?limit=3")]
    );

    for limit in [json!(0), json!(1001), json!("10")] {
        app.forget_requests();
        let response = app
            .action(
                "get_pending_approvals",
                json!({"groupId": group, "limit": limit}),
            )
            .await;
        assert_refused(&app, &response, &["limit"]);
    }
}

#[tokio::test]
async fn pending_approvals_of_an_unknown_group_is_not_found() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "get_pending_approvals",
            json!({"groupId": "00gNOTAGROUP00000000"}),
        )
        .await;
    assert_not_found(
        &response,
        "group",
        "Not found: Resource not found: 00gNOTAGROUP00000000 (UserGroup)",
    );
    assert_eq!(
        app.okta_calls(),
        ["GET /api/v1/groups/00gNOTAGROUP00000000/users?limit=200"]
    );
}
