//! Index consistency with 10,000 users across create, rename, membership and delete.

use std::time::Instant;

use okta_sim::demo;
use serde_json::json;

use crate::helpers::spawn;

#[tokio::test]
async fn ten_thousand_users_keep_every_index_consistent() {
    let t = spawn().await;
    let h = t.handle();
    let started = Instant::now();
    h.seed_users(10_000);
    // Informational only: speed is measured by the benchmark, not asserted here.
    eprintln!("seeded 10,000 users in {:?}", started.elapsed());
    h.verify_indexes().expect("consistent after bulk seed");

    let by_login = t.get("/api/v1/users/bulk.user.5000%40example.com").await;
    assert_eq!(by_login.status, 200);
    let id = by_login.json()["id"].as_str().expect("id").to_string();
    let by_short = t.get("/api/v1/users/bulk.user.5000").await;
    assert_eq!(by_short.json()["id"], id);

    // Create, rename, add to a group, delete: the indexes follow.
    let created = t.create_user("fresh.user@example.com", false, None).await;
    let fresh = created["id"].as_str().expect("id").to_string();
    let renamed = t
        .post(
            &format!("/api/v1/users/{id}"),
            json!({"profile": {"login": "renamed.5000@example.com"}}),
        )
        .await;
    assert_eq!(renamed.status, 200);
    assert_eq!(
        t.get("/api/v1/users/bulk.user.5000%40example.com")
            .await
            .status,
        404
    );
    assert_eq!(t.get("/api/v1/users/bulk.user.5000").await.status, 404);
    assert_eq!(t.get("/api/v1/users/renamed.5000").await.json()["id"], id);
    let search = t
        .get("/api/v1/users?search=profile.login%20eq%20%22renamed.5000%40example.com%22")
        .await;
    assert_eq!(search.json()[0]["id"], id);
    assert_eq!(
        t.put(
            &format!("/api/v1/groups/{}/users/{id}", demo::HR_GROUP_ID),
            None
        )
        .await
        .status,
        204
    );
    h.verify_indexes()
        .expect("consistent after rename and membership");

    for _ in 0..2 {
        assert_eq!(t.delete(&format!("/api/v1/users/{id}")).await.status, 204);
    }
    assert_eq!(
        t.delete(&format!("/api/v1/users/{fresh}")).await.status,
        204
    );
    assert_eq!(
        t.delete(&format!("/api/v1/users/{fresh}")).await.status,
        204
    );
    h.verify_indexes().expect("consistent after deletes");
    assert!(h.group_member_ids(demo::HR_GROUP_ID).is_empty());
    assert_eq!(
        t.get("/api/v1/users/renamed.5000%40example.com")
            .await
            .status,
        404
    );
    // The freed login can be taken again.
    t.create_user("renamed.5000@example.com", false, None).await;
    h.verify_indexes().expect("consistent after reuse");

    let (all, pages) = t.collect_pages("/api/v1/users?limit=200").await;
    // 10,000 bulk + 6 demo, one bulk user deleted, the fresh user deleted, one recreated.
    assert_eq!(all.len(), 10_006);
    assert_eq!(pages, 51);
}
