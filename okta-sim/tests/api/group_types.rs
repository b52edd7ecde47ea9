//! Group types (OKTA_GROUP, APP_GROUP, BUILT_IN) and custom group profile attributes.

use okta_sim::{GroupSeed, demo, large};
use reqwest::Method;
use serde_json::json;

use crate::helpers::{TestSim, spawn};

const DENIED: &str = "You do not have permission to perform the requested action";

async fn seeded(t: &TestSim, seed: GroupSeed) -> String {
    let g = t.handle().seed_group_with(seed);
    g["id"]
        .as_str()
        .unwrap_or_else(|| panic!("seeded group: {g}"))
        .to_string()
}

#[tokio::test]
async fn custom_attributes_are_kept_on_create_and_dropped_by_a_put_that_omits_them() {
    let t = spawn().await;
    let created = t
        .post(
            "/api/v1/groups",
            json!({"profile": {"name": "Payroll", "description": "Pays", "costCenter": "CC-7", "headcount": 12, "billable": true}}),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.text);
    let id = created.json()["id"].as_str().expect("id").to_string();
    let got = t.get(&format!("/api/v1/groups/{id}")).await.json();
    assert_eq!(
        got["profile"],
        json!({"name": "Payroll", "description": "Pays", "costCenter": "CC-7", "headcount": 12, "billable": true})
    );
    // Okta's PUT replaces the whole profile: what is not sent is gone.
    let put = t
        .put(
            &format!("/api/v1/groups/{id}"),
            Some(json!({"profile": {"name": "Payroll EU", "description": "Pays"}})),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.text);
    assert_eq!(
        put.json()["profile"],
        json!({"name": "Payroll EU", "description": "Pays"})
    );
    // A PUT that carries the attributes keeps them.
    let full = t
        .put(
            &format!("/api/v1/groups/{id}"),
            Some(json!({"profile": {"name": "Payroll EU", "costCenter": "CC-8"}})),
        )
        .await;
    assert_eq!(
        t.handle().group(&id).expect("group")["profile"],
        json!({"name": "Payroll EU", "costCenter": "CC-8"}),
        "{}",
        full.text
    );
}

#[tokio::test]
async fn non_scalar_custom_attributes_are_refused() {
    let t = spawn().await;
    let resp = t
        .post(
            "/api/v1/groups",
            json!({"profile": {"name": "Nested", "owner": {"id": "x"}}}),
        )
        .await;
    resp.assert_error(400, "E0000001", "Api validation failed: owner");
}

#[tokio::test]
async fn app_groups_refuse_profile_and_membership_changes_but_may_be_deleted() {
    let t = spawn().await;
    let id = seeded(
        &t,
        GroupSeed::new("AD: Sales")
            .group_type("APP_GROUP")
            .attribute("samAccountName", json!("Sales")),
    )
    .await;
    let got = t.get(&format!("/api/v1/groups/{id}")).await.json();
    assert_eq!(got["type"], "APP_GROUP");
    assert_eq!(
        got["objectClass"],
        json!(["okta:windows_security_principal"])
    );
    assert_eq!(got["profile"]["samAccountName"], "Sales");
    t.put(
        &format!("/api/v1/groups/{id}"),
        Some(json!({"profile": {"name": "Renamed"}})),
    )
    .await
    .assert_error(403, "E0000006", DENIED);
    t.put(
        &format!("/api/v1/groups/{id}/users/{}", demo::JORDAN_ID),
        None,
    )
    .await
    .assert_error(403, "E0000006", DENIED);
    assert!(
        t.handle().add_member(&id, demo::PRIYA_ID),
        "imports add members"
    );
    t.delete(&format!("/api/v1/groups/{id}/users/{}", demo::PRIYA_ID))
        .await
        .assert_error(403, "E0000006", DENIED);
    assert_eq!(
        t.handle().group_member_ids(&id),
        vec![demo::PRIYA_ID.to_string()]
    );
    assert_eq!(
        t.handle().group(&id).expect("kept")["profile"]["name"],
        "AD: Sales"
    );
    let deleted = t.delete(&format!("/api/v1/groups/{id}")).await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);
}

#[tokio::test]
async fn the_built_in_group_refuses_every_change() {
    let t = spawn().await;
    let id = seeded(
        &t,
        GroupSeed::new("Everyone")
            .group_type("BUILT_IN")
            .id(large::EVERYONE_GROUP_ID),
    )
    .await;
    // Seeding the org's first BUILT_IN group makes it its Everyone.
    let members = t.handle().group_member_ids(&id);
    assert!(members.contains(&demo::JORDAN_ID.to_string()));
    assert_eq!(members.len(), 6);
    t.put(
        &format!("/api/v1/groups/{id}"),
        Some(json!({"profile": {"name": "All"}})),
    )
    .await
    .assert_error(403, "E0000006", DENIED);
    t.delete(&format!("/api/v1/groups/{id}"))
        .await
        .assert_error(403, "E0000006", DENIED);
    t.delete(&format!("/api/v1/groups/{id}/users/{}", demo::JORDAN_ID))
        .await
        .assert_error(400, "E0000060", "Unsupported operation.");
    t.put(
        &format!("/api/v1/groups/{id}/users/{}", demo::JORDAN_ID),
        None,
    )
    .await
    .assert_error(400, "E0000060", "Unsupported operation.");
    assert_eq!(t.handle().group_member_ids(&id).len(), 6);
}

#[tokio::test]
async fn groups_of_every_type_can_be_seeded_over_http() {
    let t = spawn().await;
    let resp = t
        .control(
            Method::POST,
            "/groups",
            Some(
                json!({"name": "Cost centre", "description": "d", "type": "OKTA_GROUP",
                        "profile": {"costCenter": "CC-1"}, "id": "00gCONTROLseeded0001"}),
            ),
        )
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text);
    assert_eq!(resp.json()["id"], "00gCONTROLseeded0001");
    assert_eq!(
        resp.json()["profile"],
        json!({"name": "Cost centre", "description": "d", "costCenter": "CC-1"})
    );
    let app = t
        .control(
            Method::POST,
            "/groups",
            Some(json!({"name": "AD: Ops", "type": "APP_GROUP"})),
        )
        .await;
    assert_eq!(app.json()["type"], "APP_GROUP");
    let bad = t
        .control(
            Method::POST,
            "/groups",
            Some(json!({"name": "X", "type": "CUSTOM"})),
        )
        .await;
    assert_eq!(bad.status, 400);
    assert!(
        bad.json()["error"]
            .as_str()
            .is_some_and(|e| e.contains("CUSTOM"))
    );
    let plain = t.handle().seed_group("Plain", Some("old API"));
    assert_eq!(plain["type"], "OKTA_GROUP");
}

#[tokio::test]
async fn groups_can_be_filtered_by_type() {
    let t = spawn().await;
    seeded(&t, GroupSeed::new("AD: One").group_type("APP_GROUP")).await;
    let resp = t
        .get("/api/v1/groups?filter=type%20eq%20%22APP_GROUP%22")
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text);
    let names: Vec<_> = resp
        .json()
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|g| g["profile"]["name"].clone())
        .collect();
    assert_eq!(names, vec![json!("AD: One")]);
}

#[tokio::test]
async fn a_duplicate_group_name_is_e0000001_with_the_already_exists_cause() {
    let t = spawn().await;
    let resp = t
        .post(
            "/api/v1/groups",
            json!({"profile": {"name": "engineering team"}}),
        )
        .await;
    resp.assert_error(400, "E0000001", "Api validation failed: name");
    assert_eq!(
        resp.causes(),
        vec!["name: An object with this field already exists in the current organization"]
    );
}
