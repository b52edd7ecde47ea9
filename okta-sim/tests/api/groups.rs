//! Groups: create/get/replace/delete, name uniqueness, listing, search and memberships.

use okta_sim::{UserSeed, demo};
use serde_json::json;

use crate::helpers::{assert_okta_ts, spawn};

#[tokio::test]
async fn creating_a_group_returns_okta_s_group_shape() {
    let t = spawn().await;
    let resp = t
        .post(
            "/api/v1/groups",
            json!({"profile": {"name": "West Coast users", "description": "All users West of The Rockies"}}),
        )
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text);
    let g = resp.json();
    let id = g["id"].as_str().expect("id");
    assert!(id.starts_with("00g") && id.len() == 20);
    assert_eq!(g["type"], "OKTA_GROUP");
    assert_eq!(g["objectClass"], json!(["okta:user_group"]));
    assert_eq!(
        g["profile"],
        json!({"name": "West Coast users", "description": "All users West of The Rockies"})
    );
    assert_okta_ts(&g["created"]);
    assert_okta_ts(&g["lastUpdated"]);
    assert_okta_ts(&g["lastMembershipUpdated"]);
    assert_eq!(
        g["_links"]["users"]["href"],
        format!("{}/api/v1/groups/{id}/users", t.base())
    );
    assert_eq!(g["_links"]["logo"].as_array().map(Vec::len), Some(2));
    let last = t.handle().log_events().last().cloned().expect("event");
    assert_eq!(last["eventType"], "group.lifecycle.create");
    assert_eq!(last["target"][0]["id"], id);
    assert_eq!(last["target"][0]["type"], "UserGroup");
}

#[tokio::test]
async fn group_names_are_unique() {
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
    let renamed = t
        .put(
            &format!("/api/v1/groups/{}", demo::HR_GROUP_ID),
            Some(json!({"profile": {"name": "Engineering Team"}})),
        )
        .await;
    assert_eq!(renamed.status, 400);
}

#[tokio::test]
async fn a_group_needs_a_name() {
    let t = spawn().await;
    let resp = t
        .post("/api/v1/groups", json!({"profile": {"description": "x"}}))
        .await;
    resp.assert_error(400, "E0000001", "Api validation failed: name");
    assert_eq!(resp.causes(), vec!["name: The field cannot be left blank"]);
}

#[tokio::test]
async fn an_unknown_group_gets_404_naming_user_group() {
    let t = spawn().await;
    t.get("/api/v1/groups/00gmissing0000000000")
        .await
        .assert_error(
            404,
            "E0000007",
            "Not found: Resource not found: 00gmissing0000000000 (UserGroup)",
        );
    assert_eq!(
        t.delete("/api/v1/groups/00gmissing0000000000").await.status,
        404
    );
}

#[tokio::test]
async fn replacing_a_group_replaces_the_whole_profile() {
    let t = spawn().await;
    let resp = t
        .put(
            &format!("/api/v1/groups/{}", demo::ENGINEERING_GROUP_ID),
            Some(json!({"profile": {"name": "Engineering Team - Backend"}})),
        )
        .await;
    assert_eq!(resp.status, 200);
    assert_eq!(
        resp.json()["profile"],
        json!({"name": "Engineering Team - Backend"})
    );
    assert_ne!(resp.json()["lastUpdated"], "2024-05-20T08:00:00.000Z");
    let q = t.get("/api/v1/groups?q=Engineering%20Team%20-").await;
    assert_eq!(q.json().as_array().map(Vec::len), Some(1));
    t.handle().verify_indexes().expect("consistent");
}

#[tokio::test]
async fn deleting_a_group_answers_204_and_keeps_the_users() {
    let t = spawn().await;
    let resp = t
        .delete(&format!("/api/v1/groups/{}", demo::ENGINEERING_GROUP_ID))
        .await;
    assert_eq!(resp.status, 204);
    assert_eq!(resp.text, "");
    assert!(t.handle().group(demo::ENGINEERING_GROUP_ID).is_none());
    assert!(t.handle().user(demo::JORDAN_ID).is_some());
    let groups = t
        .get(&format!("/api/v1/users/{}/groups", demo::JORDAN_ID))
        .await;
    assert_eq!(groups.json(), json!([]));
    t.handle().verify_indexes().expect("consistent");
}

#[tokio::test]
async fn membership_put_and_delete_answer_204_and_are_idempotent() {
    let t = spawn().await;
    let path = format!(
        "/api/v1/groups/{}/users/{}",
        demo::HR_GROUP_ID,
        demo::PRIYA_ID
    );
    let added = t.put(&path, None).await;
    assert_eq!(added.status, 204);
    assert_eq!(added.text, "");
    assert_eq!(t.put(&path, None).await.status, 204);
    assert_eq!(
        t.handle().group_member_ids(demo::HR_GROUP_ID),
        vec![demo::PRIYA_ID.to_string()]
    );
    let removed = t.delete(&path).await;
    assert_eq!(removed.status, 204);
    assert_eq!(t.delete(&path).await.status, 204);
    assert!(t.handle().group_member_ids(demo::HR_GROUP_ID).is_empty());
    let kinds: Vec<String> = t
        .handle()
        .log_events()
        .iter()
        .filter(|e| e["target"][1]["id"] == demo::HR_GROUP_ID)
        .filter_map(|e| e["eventType"].as_str().map(str::to_string))
        .collect();
    assert_eq!(
        kinds,
        vec!["group.user_membership.add", "group.user_membership.remove"],
        "no-op calls log nothing"
    );
}

#[tokio::test]
async fn membership_needs_an_existing_group_and_a_user_id() {
    let t = spawn().await;
    t.put(
        &format!(
            "/api/v1/groups/{}/users/00unobody000000000000",
            demo::HR_GROUP_ID
        ),
        None,
    )
    .await
    .assert_error(
        404,
        "E0000007",
        "Not found: Resource not found: 00unobody000000000000 (User)",
    );
    t.put(
        &format!(
            "/api/v1/groups/{}/users/jordan.lee%40example.com",
            demo::HR_GROUP_ID
        ),
        None,
    )
    .await
    .assert_error(
        404,
        "E0000007",
        "Not found: Resource not found: jordan.lee@example.com (User)",
    );
    t.put(
        &format!(
            "/api/v1/groups/00gnope00000000000000/users/{}",
            demo::JORDAN_ID
        ),
        None,
    )
    .await
    .assert_error(
        404,
        "E0000007",
        "Not found: Resource not found: 00gnope00000000000000 (UserGroup)",
    );
}

#[tokio::test]
async fn listing_groups_with_q_matches_name_prefixes_and_never_pages() {
    let t = spawn().await;
    let h = t.handle();
    for i in 0..5 {
        h.seed_group(&format!("Team {i}"), None);
    }
    let resp = t.get("/api/v1/groups?q=team&limit=2").await;
    assert_eq!(resp.json().as_array().map(Vec::len), Some(2));
    assert_eq!(resp.next_link(), None);
    let hr = t.get("/api/v1/groups?q=HR").await;
    assert_eq!(hr.json()[0]["id"], demo::HR_GROUP_ID);
    let none = t.get("/api/v1/groups?q=Zebra").await;
    assert_eq!(none.json(), json!([]));
}

#[tokio::test]
async fn listing_groups_pages_with_an_after_cursor() {
    let t = spawn().await;
    for i in 0..7 {
        t.handle().seed_group(&format!("Paged {i}"), Some("paging"));
    }
    let (groups, pages) = t.collect_pages("/api/v1/groups?limit=3").await;
    assert_eq!(groups.len(), 9);
    assert_eq!(pages, 3);
    let mut ids: Vec<&str> = groups.iter().filter_map(|g| g["id"].as_str()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 9);
}

#[tokio::test]
async fn groups_can_be_searched_and_filtered() {
    let t = spawn().await;
    let by_name = t
        .get("/api/v1/groups?search=profile.name%20eq%20%22hr%20team%22")
        .await;
    assert_eq!(by_name.json()[0]["id"], demo::HR_GROUP_ID);
    let by_desc = t
        .get("/api/v1/groups?search=profile.description%20co%20%22engineering%22")
        .await;
    assert_eq!(by_desc.json()[0]["id"], demo::ENGINEERING_GROUP_ID);
    let by_type = t
        .get("/api/v1/groups?filter=type%20eq%20%22OKTA_GROUP%22")
        .await;
    assert_eq!(by_type.json().as_array().map(Vec::len), Some(2));
    let by_id = t
        .get(&format!(
            "/api/v1/groups?filter=id%20eq%20%22{}%22",
            demo::HR_GROUP_ID
        ))
        .await;
    assert_eq!(by_id.json().as_array().map(Vec::len), Some(1));
    let unsupported = t
        .get("/api/v1/groups?filter=profile.name%20eq%20%22HR%20Team%22")
        .await;
    unsupported.assert_error(400, "E0000031", "Invalid search criteria.");
}

#[tokio::test]
async fn expand_stats_counts_members() {
    let t = spawn().await;
    let resp = t
        .get(&format!(
            "/api/v1/groups/{}?expand=stats",
            demo::ENGINEERING_GROUP_ID
        ))
        .await;
    assert_eq!(resp.json()["_embedded"]["stats"]["usersCount"], 2);
    let plain = t
        .get(&format!("/api/v1/groups/{}", demo::ENGINEERING_GROUP_ID))
        .await;
    assert!(plain.json()["_embedded"].is_null());
}

#[tokio::test]
async fn group_members_are_listed_with_paging() {
    let t = spawn().await;
    let h = t.handle();
    for i in 0..5 {
        let u = h.seed_user(UserSeed::new(&format!("member{i}@example.com"), "M", "B"));
        let id = u["id"].as_str().expect("id");
        assert!(h.add_member(demo::HR_GROUP_ID, id));
        assert!(h.add_member(demo::HR_GROUP_ID, id), "idempotent");
    }
    let first = t
        .get(&format!(
            "/api/v1/groups/{}/users?limit=2",
            demo::HR_GROUP_ID
        ))
        .await;
    assert_eq!(first.json().as_array().map(Vec::len), Some(2));
    let next = first.next_link().expect("next");
    let after = first.json()[1]["id"].as_str().expect("id").to_string();
    assert_eq!(
        next,
        format!(
            "{}/api/v1/groups/{}/users?after={after}&limit=2",
            t.base(),
            demo::HR_GROUP_ID
        )
    );
    let (all, pages) = t
        .collect_pages(&format!(
            "/api/v1/groups/{}/users?limit=2",
            demo::HR_GROUP_ID
        ))
        .await;
    assert_eq!(all.len(), 5);
    assert_eq!(pages, 3);
    assert_eq!(all[0]["_links"].as_object().map(|m| m.len()), Some(1));
    let default = t
        .get(&format!(
            "/api/v1/groups/{}/users",
            demo::ENGINEERING_GROUP_ID
        ))
        .await;
    let body = default.json();
    let mut ids: Vec<String> = body
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|u| u["id"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    assert_eq!(
        ids,
        vec![demo::JORDAN_ID.to_string(), demo::PRIYA_ID.to_string()]
    );
    assert!(!h.add_member("00gnope00000000000000", demo::JORDAN_ID));
    assert!(!h.add_member(demo::HR_GROUP_ID, "00unobody000000000000"));
    t.get("/api/v1/groups/00gnope00000000000000/users")
        .await
        .assert_error(
            404,
            "E0000007",
            "Not found: Resource not found: 00gnope00000000000000 (UserGroup)",
        );
}
