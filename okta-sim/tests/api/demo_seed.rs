//! The demo and empty seeds: the documented ids, values and determinism.

use okta_sim::{Seed, SimConfig, demo};
use serde_json::json;

use crate::helpers::{spawn, spawn_with};

#[tokio::test]
async fn jordan_lee_matches_the_product_documentation() {
    let t = spawn().await;
    let u = t
        .get(&format!("/api/v1/users/{}", demo::JORDAN_ID))
        .await
        .json();
    assert_eq!(u["status"], "ACTIVE");
    assert_eq!(u["created"], "2024-01-15T10:30:00.000Z");
    assert_eq!(u["activated"], "2024-01-15T10:35:00.000Z");
    assert_eq!(u["lastLogin"], "2024-05-20T08:12:00.000Z");
    assert_eq!(u["lastUpdated"], "2024-05-20T08:12:00.000Z");
    assert_eq!(u["passwordChanged"], "2024-02-01T09:00:00.000Z");
    assert_eq!(
        u["profile"],
        json!({"firstName": "Jordan", "lastName": "Lee", "email": "jordan.lee@example.com",
               "login": "jordan.lee@example.com", "mobilePhone": "+1-555-123-4567", "secondEmail": null})
    );
    assert_eq!(
        u["credentials"],
        json!({"password": {}, "provider": {"type": "OKTA", "name": "OKTA"}})
    );
}

#[tokio::test]
async fn the_demo_groups_and_memberships_are_seeded() {
    let t = spawn().await;
    let eng = t
        .get(&format!("/api/v1/groups/{}", demo::ENGINEERING_GROUP_ID))
        .await
        .json();
    assert_eq!(
        eng["profile"],
        json!({"name": "Engineering Team", "description": "All engineering department employees"})
    );
    assert_eq!(eng["lastMembershipUpdated"], "2024-05-18T14:22:00.000Z");
    let hr = t
        .get(&format!("/api/v1/groups/{}", demo::HR_GROUP_ID))
        .await
        .json();
    assert_eq!(hr["profile"]["name"], "HR Team");
    assert_eq!(
        t.handle().group_member_ids(demo::ENGINEERING_GROUP_ID),
        vec![demo::JORDAN_ID.to_string(), demo::PRIYA_ID.to_string()]
    );
}

#[tokio::test]
async fn the_demo_password_signs_jordan_in_to_change_password() {
    let t = spawn().await;
    let resp = t
        .post(
            &format!("/api/v1/users/{}/credentials/change_password", demo::JORDAN_ID),
            json!({"oldPassword": {"value": demo::JORDAN_PASSWORD}, "newPassword": {"value": "Brand-New-Passw0rd"}}),
        )
        .await;
    assert_eq!(resp.status, 200);
}

#[tokio::test]
async fn the_empty_seed_has_only_the_admin_and_the_apps() {
    let t = spawn_with(SimConfig {
        seed: Seed::Empty,
        ..SimConfig::default()
    })
    .await;
    let users = t.get("/api/v1/users").await.json();
    assert_eq!(users.as_array().map(Vec::len), Some(1));
    assert_eq!(users[0]["id"], demo::ADMIN_ID);
    assert_eq!(t.get("/api/v1/groups").await.json(), json!([]));
    assert_eq!(
        t.get("/api/v1/apps").await.json().as_array().map(Vec::len),
        Some(4)
    );
    assert_eq!(
        t.handle().app_user_ids(demo::SAML_APP_ID),
        Vec::<String>::new()
    );
    assert_eq!(t.handle().log_events(), Vec::<serde_json::Value>::new());
}

#[tokio::test]
async fn the_demo_seed_is_deterministic() {
    let a = spawn().await;
    let b = spawn().await;
    for path in [
        format!("/api/v1/users/{}", demo::PRIYA_ID),
        format!("/api/v1/groups/{}", demo::HR_GROUP_ID),
        format!("/api/v1/users/{}/factors", demo::JORDAN_ID),
    ] {
        let left = a.get(&path).await.text.replace(&a.base(), "BASE");
        let right = b.get(&path).await.text.replace(&b.base(), "BASE");
        assert_eq!(left, right, "{path}");
    }
    let uuids = |t: &crate::helpers::TestSim| -> Vec<String> {
        t.handle()
            .log_events()
            .iter()
            .filter_map(|e| e["uuid"].as_str().map(str::to_string))
            .collect()
    };
    assert_eq!(uuids(&a), uuids(&b));
}

#[tokio::test]
async fn seeded_users_come_back_as_get_would_return_them() {
    let t = spawn().await;
    let seeded = t
        .handle()
        .seed_user(okta_sim::UserSeed::new("seed.me@example.com", "Seed", "Me").status("STAGED"));
    let id = seeded["id"].as_str().expect("id");
    let got = t.get(&format!("/api/v1/users/{id}")).await.json();
    assert_eq!(seeded, got);
    let dup = t.handle().seed_user(okta_sim::UserSeed::new(
        "seed.me@example.com",
        "Again",
        "Me",
    ));
    assert!(
        dup["error"]
            .as_str()
            .is_some_and(|e| e.contains("already exists"))
    );
}
