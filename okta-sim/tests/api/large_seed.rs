//! The large seed: volume, determinism, group types and a log spread over 90 days.

use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use okta_sim::{Seed, SimConfig, demo, large};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestSim, spawn, spawn_with};

async fn spawn_large() -> TestSim {
    spawn_with(SimConfig {
        seed: Seed::Large,
        ..SimConfig::default()
    })
    .await
}

fn ts(v: &Value) -> DateTime<Utc> {
    v.as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| panic!("timestamp expected, got {v}"))
}

#[tokio::test]
async fn the_large_seed_has_the_promised_volume_and_keeps_the_demo_org() {
    let t = spawn_large().await;
    let (users, pages) = t
        .collect_pages("/api/v1/users?search=id%20pr&limit=200")
        .await;
    assert_eq!(users.len(), large::USERS);
    assert_eq!(pages, large::USERS / 200);
    let active = users.iter().filter(|u| u["status"] == "ACTIVE").count();
    assert_eq!(active, large::ACTIVE_USERS);
    assert!(active * 10 > users.len() * 7, "mostly ACTIVE: {active}");
    for status in [
        "STAGED",
        "PROVISIONED",
        "SUSPENDED",
        "LOCKED_OUT",
        "DEPROVISIONED",
        "PASSWORD_EXPIRED",
        "RECOVERY",
    ] {
        assert!(
            users.iter().any(|u| u["status"] == status),
            "no {status} user"
        );
    }
    let (groups, _) = t.collect_pages("/api/v1/groups?limit=100").await;
    assert_eq!(groups.len(), large::GROUPS);
    let of_type = |ty: &str| groups.iter().filter(|g| g["type"] == ty).count();
    assert_eq!(of_type("BUILT_IN"), 1);
    assert_eq!(of_type("APP_GROUP"), large::APP_GROUPS);
    assert_eq!(of_type("OKTA_GROUP"), large::GROUPS - large::APP_GROUPS - 1);
    assert!(
        groups
            .iter()
            .filter(|g| g["profile"]["costCenter"].is_string())
            .count()
            > 50
    );
    // The whole demo org is still there, ids and all.
    let jordan = t.get(&format!("/api/v1/users/{}", demo::JORDAN_ID)).await;
    assert_eq!(jordan.json()["profile"]["login"], demo::JORDAN_LOGIN);
    assert_eq!(
        t.handle().group_member_ids(demo::ENGINEERING_GROUP_ID),
        vec![demo::JORDAN_ID.to_string(), demo::PRIYA_ID.to_string()]
    );
    assert_eq!(t.handle().log_events().len(), large::LOG_EVENTS);
    t.handle().verify_indexes().expect("indexes consistent");
}

#[tokio::test]
async fn the_large_seed_is_deterministic_but_for_log_times() {
    let a = spawn_large().await;
    let b = spawn_large().await;
    let ids = |t: &TestSim| {
        let h = t.handle();
        (
            h.group_member_ids(large::EVERYONE_GROUP_ID),
            h.group(large::COST_CENTER_GROUP_ID).map(|mut g| {
                // Links name the simulator's own port.
                g["_links"] = Value::Null;
                g
            }),
            h.group_member_ids(large::APP_GROUP_ID),
        )
    };
    assert!(
        ids(&a) == ids(&b),
        "groups and memberships differ between two builds"
    );
    let uuids = |t: &TestSim| {
        t.handle()
            .log_events()
            .iter()
            .map(|e| {
                (
                    e["uuid"].clone(),
                    e["eventType"].clone(),
                    e["target"].clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert!(
        uuids(&a) == uuids(&b),
        "log events differ between two builds"
    );
}

#[tokio::test]
async fn everyone_is_built_in_and_holds_every_user_even_new_ones() {
    let t = spawn_large().await;
    let everyone = t
        .get(&format!("/api/v1/groups/{}", large::EVERYONE_GROUP_ID))
        .await
        .json();
    assert_eq!(everyone["type"], "BUILT_IN");
    assert_eq!(everyone["profile"]["name"], "Everyone");
    assert_eq!(
        t.handle().group_member_ids(large::EVERYONE_GROUP_ID).len(),
        large::USERS
    );
    let created = t.create_user("newcomer@example.com", false, None).await;
    let id = created["id"].as_str().expect("id");
    let groups = t.get(&format!("/api/v1/users/{id}/groups")).await.json();
    assert_eq!(groups[0]["id"], large::EVERYONE_GROUP_ID);
    assert_eq!(groups.as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn the_log_spans_ninety_days_in_publication_order() {
    let t = spawn_large().await;
    let events = t.handle().log_events();
    let now = Utc::now();
    let first = ts(&events[0]["published"]);
    let last = ts(&events[events.len() - 1]["published"]);
    assert!(now - first > Duration::days(large::LOG_DAYS) - Duration::minutes(1));
    assert!(now - first <= Duration::days(large::LOG_DAYS) + Duration::minutes(1));
    assert!(now - last < Duration::hours(3), "newest {last}");
    assert!(
        events
            .windows(2)
            .all(|w| ts(&w[0]["published"]) <= ts(&w[1]["published"])),
        "persistence order is publication order"
    );
    let types: std::collections::BTreeSet<&str> = events
        .iter()
        .filter_map(|e| e["eventType"].as_str())
        .collect();
    assert!(types.len() >= 10, "{types:?}");
    // A default query (the last 7 days, oldest first) holds several pages of Okta's default
    // limit, so its first page does not reach the newest events.
    let week = t.get("/api/v1/logs?until=now").await;
    assert_eq!(week.status, 200);
    let page = week.json();
    assert_eq!(page.as_array().map(Vec::len), Some(100));
    assert!(week.next_link().is_some());
    let oldest_shown = ts(&page[99]["published"]);
    assert!(now - oldest_shown > Duration::days(5), "{oldest_shown}");
    let newest = t
        .get("/api/v1/logs?sortOrder=DESCENDING&limit=1&until=now")
        .await
        .json();
    assert_eq!(newest[0]["uuid"], events[events.len() - 1]["uuid"]);
}

#[tokio::test]
async fn the_large_seed_is_reachable_by_reset_and_the_demo_seed_is_unchanged() {
    let t = spawn().await;
    let reset = t
        .control(Method::POST, "/reset", Some(json!({"seed": "large"})))
        .await;
    assert_eq!(reset.status, 200, "{}", reset.text);
    assert_eq!(reset.json()["seed"], "large");
    assert_eq!(
        t.handle().group_member_ids(large::EVERYONE_GROUP_ID).len(),
        large::USERS
    );
    t.handle().reset(Seed::Demo);
    assert!(t.handle().group(large::EVERYONE_GROUP_ID).is_none());
    assert_eq!(t.handle().log_events().len(), 5);
}

#[tokio::test]
async fn building_the_large_seed_is_fast() {
    let t = spawn().await;
    let started = Instant::now();
    t.handle().reset(Seed::Large);
    // Generous for an unoptimised test build on a busy machine; a release build takes a
    // fraction of this (see the README).
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn the_whole_log_pages_newest_first_to_the_end() {
    let t = spawn_large().await;
    let since = (Utc::now() - Duration::days(large::LOG_DAYS + 1))
        .format("%Y-%m-%dT%H:%M:%S.000Z")
        .to_string();
    let (events, pages) = t
        .collect_pages(&format!(
            "/api/v1/logs?since={since}&until=now&sortOrder=DESCENDING&limit=1000"
        ))
        .await;
    assert_eq!(events.len(), large::LOG_EVENTS);
    assert_eq!(pages, large::LOG_EVENTS / 1000);
    assert!(
        events
            .windows(2)
            .all(|w| ts(&w[0]["published"]) >= ts(&w[1]["published"])),
        "newest first"
    );
    let uuids: std::collections::BTreeSet<&str> =
        events.iter().filter_map(|e| e["uuid"].as_str()).collect();
    assert_eq!(uuids.len(), large::LOG_EVENTS, "no event twice");
}
