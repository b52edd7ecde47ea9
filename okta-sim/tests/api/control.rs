//! The `/__sim` control API: reset, seeding, statuses, tokens and state inspection.

use okta_sim::{Seed, demo};
use reqwest::Method;
use serde_json::json;

use crate::helpers::spawn;

#[tokio::test]
async fn reset_restores_the_chosen_seed() {
    let t = spawn().await;
    t.delete(&format!("/api/v1/groups/{}", demo::HR_GROUP_ID))
        .await;
    let resp = t
        .control(Method::POST, "/reset", Some(json!({"seed": "demo"})))
        .await;
    assert_eq!(resp.status, 200);
    assert!(t.handle().group(demo::HR_GROUP_ID).is_some());
    let empty = t
        .control(Method::POST, "/reset", Some(json!({"seed": "empty"})))
        .await;
    assert_eq!(empty.json(), json!({"seed": "empty"}));
    assert!(t.handle().user(demo::JORDAN_ID).is_none());
    assert!(t.handle().user(demo::ADMIN_ID).is_some());
    let bare = t.control(Method::POST, "/reset", None).await;
    assert_eq!(bare.json(), json!({"seed": "demo"}));
    t.handle().reset(Seed::Empty);
    assert_eq!(t.get("/api/v1/groups").await.json(), json!([]));
}

#[tokio::test]
async fn users_groups_and_apps_can_be_seeded_over_http() {
    let t = spawn().await;
    let user = t
        .control(
            Method::POST,
            "/users",
            Some(
                json!({"login": "seeded@example.com", "firstName": "Seed", "lastName": "Ed",
                        "status": "PASSWORD_EXPIRED", "password": "Seeded-Passw0rd",
                        "mobilePhone": "+1-555-000-0000"}),
            ),
        )
        .await;
    assert_eq!(user.status, 200, "{}", user.text);
    let u = user.json();
    assert_eq!(u["status"], "PASSWORD_EXPIRED");
    assert_eq!(u["profile"]["email"], "seeded@example.com");
    assert_eq!(u["credentials"]["password"], json!({}));
    let dup = t
        .control(
            Method::POST,
            "/users",
            Some(json!({"login": "seeded@example.com"})),
        )
        .await;
    assert_eq!(dup.status, 400);
    let bad_status = t
        .control(
            Method::POST,
            "/users",
            Some(json!({"login": "x@example.com", "status": "HAPPY"})),
        )
        .await;
    assert_eq!(bad_status.status, 400);

    let group = t
        .control(
            Method::POST,
            "/groups",
            Some(json!({"name": "Seeded", "description": "d"})),
        )
        .await;
    assert_eq!(group.json()["profile"]["name"], "Seeded");
    let gid = group.json()["id"].as_str().expect("id").to_string();
    let uid = u["id"].as_str().expect("id").to_string();
    let added = t
        .control(Method::PUT, &format!("/groups/{gid}/users/{uid}"), None)
        .await;
    assert_eq!(added.status, 204);
    let members = t
        .control(Method::GET, &format!("/groups/{gid}/members"), None)
        .await;
    assert_eq!(members.json(), json!([uid]));

    let app = t
        .control(
            Method::POST,
            "/apps",
            Some(json!({"label": "Seeded Bookmark", "signOnMode": "BOOKMARK"})),
        )
        .await;
    assert_eq!(app.json()["signOnMode"], "BOOKMARK");
    assert_eq!(
        t.get("/api/v1/apps").await.json().as_array().map(Vec::len),
        Some(5)
    );
}

#[tokio::test]
async fn bulk_seeding_and_status_changes_work_over_http() {
    let t = spawn().await;
    let bulk = t
        .control(Method::POST, "/users/bulk", Some(json!({"count": 25})))
        .await;
    assert_eq!(bulk.json(), json!({"created": 25}));
    assert!(t.handle().user("bulk.user.25@example.com").is_some());
    let status = t
        .control(
            Method::PUT,
            "/users/jordan.lee%40example.com/status",
            Some(json!({"status": "LOCKED_OUT"})),
        )
        .await;
    assert_eq!(status.json()["status"], "LOCKED_OUT");
    let missing = t
        .control(
            Method::PUT,
            "/users/nobody/status",
            Some(json!({"status": "ACTIVE"})),
        )
        .await;
    assert_eq!(missing.status, 404);
    let invalid = t
        .control(
            Method::PUT,
            &format!("/users/{}/status", demo::JORDAN_ID),
            Some(json!({"status": "NAPPING"})),
        )
        .await;
    assert_eq!(invalid.status, 400);
}

#[tokio::test]
async fn state_can_be_inspected_without_a_token() {
    let t = spawn().await;
    let user = t
        .control(Method::GET, &format!("/users/{}", demo::JORDAN_LOGIN), None)
        .await;
    assert_eq!(user.json()["id"], demo::JORDAN_ID);
    let factors = t
        .control(
            Method::GET,
            &format!("/users/{}/factors", demo::JORDAN_ID),
            None,
        )
        .await;
    assert_eq!(factors.json().as_array().map(Vec::len), Some(2));
    let app_users = t
        .control(
            Method::GET,
            &format!("/apps/{}/users", demo::BOOKMARK_APP_ID),
            None,
        )
        .await;
    assert_eq!(app_users.json().as_array().map(Vec::len), Some(2));
    let logs = t.control(Method::GET, "/logs", None).await;
    assert_eq!(logs.json().as_array().map(Vec::len), Some(5));
    let group = t
        .control(Method::GET, &format!("/groups/{}", demo::HR_GROUP_ID), None)
        .await;
    assert_eq!(group.json()["profile"]["name"], "HR Team");
    let indexes = t.control(Method::GET, "/indexes", None).await;
    assert_eq!(indexes.json(), json!({"ok": true}));
    assert_eq!(t.control(Method::GET, "/nothing", None).await.status, 404);
}

#[tokio::test]
async fn tokens_can_be_managed_over_http() {
    let t = spawn().await;
    let added = t
        .control(
            Method::POST,
            "/tokens",
            Some(json!({"token": "ci-token", "role": "READ_ONLY_ADMIN"})),
        )
        .await;
    assert_eq!(
        added.json()["tokenLabel"],
        okta_sim::token_label("ci-token")
    );
    assert_eq!(added.json()["role"], "READ_ONLY_ADMIN");
    let read = t
        .call_as(Some("ci-token"), Method::GET, "/api/v1/groups", None)
        .await;
    assert_eq!(read.status, 200);
    let write = t
        .call_as(
            Some("ci-token"),
            Method::DELETE,
            &format!("/api/v1/groups/{}", demo::HR_GROUP_ID),
            None,
        )
        .await;
    assert_eq!(write.status, 403);
    let removed = t
        .control(
            Method::DELETE,
            "/tokens",
            Some(json!({"token": "ci-token"})),
        )
        .await;
    assert_eq!(removed.status, 204);
    let after = t
        .call_as(Some("ci-token"), Method::GET, "/api/v1/groups", None)
        .await;
    assert_eq!(after.status, 401);
}

#[tokio::test]
async fn malformed_control_bodies_get_400_with_a_message() {
    let t = spawn().await;
    let resp = t
        .call_as(
            None,
            Method::POST,
            "/__sim/users",
            Some(json!({"login": 5})),
        )
        .await;
    assert_eq!(resp.status, 400);
    assert!(
        resp.json()["error"]
            .as_str()
            .is_some_and(|e| e.contains("invalid JSON"))
    );
}
