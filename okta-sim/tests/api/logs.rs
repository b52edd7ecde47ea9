//! The System Log: event shape, filters, keywords, date rules, polling and bounded paging.

use chrono::{Duration, Utc};
use okta_sim::{Seed, SimConfig, demo};
use serde_json::{Value, json};

use crate::helpers::{TestSim, assert_okta_ts, spawn, spawn_with};

/// Percent-encodes a query value (spaces as %20, as Okta's clients send them).
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn event_types(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| e["eventType"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

async fn empty_org() -> TestSim {
    spawn_with(SimConfig {
        seed: Seed::Empty,
        ..SimConfig::default()
    })
    .await
}

#[tokio::test]
async fn a_mutation_appends_an_event_in_okta_s_shape() {
    let t = spawn().await;
    t.post_empty(&format!(
        "/api/v1/users/{}/lifecycle/suspend",
        demo::JORDAN_ID
    ))
    .await;
    let resp = t
        .get(&format!(
            "/api/v1/logs?filter={}",
            enc(r#"eventType eq "user.lifecycle.suspend""#)
        ))
        .await;
    assert_eq!(resp.status, 200);
    let events = resp.json();
    assert_eq!(events.as_array().map(Vec::len), Some(1));
    let e = &events[0];
    assert_eq!(e["eventType"], "user.lifecycle.suspend");
    assert_eq!(e["displayMessage"], "Suspend Okta user");
    assert_eq!(e["severity"], "INFO");
    assert_eq!(e["outcome"], json!({"result": "SUCCESS"}));
    assert_eq!(e["version"], "0");
    assert_okta_ts(&e["published"]);
    assert_eq!(e["uuid"].as_str().map(str::len), Some(36));
    assert_eq!(
        e["actor"],
        json!({"id": demo::ADMIN_ID, "type": "User", "alternateId": demo::ADMIN_LOGIN, "displayName": "Admin User"})
    );
    assert_eq!(
        e["target"],
        json!([{"id": demo::JORDAN_ID, "type": "User", "alternateId": demo::JORDAN_LOGIN, "displayName": "Jordan Lee"}])
    );
    assert_eq!(e["client"]["ipAddress"], "127.0.0.1");
    assert_eq!(e["transaction"]["type"], "WEB");
    assert!(
        e["transaction"]["detail"]["requestApiTokenId"]
            .as_str()
            .is_some_and(|id| id.starts_with("00T") && id.len() == 20)
    );
    assert_eq!(
        e["debugContext"]["debugData"]["requestUri"],
        format!("/api/v1/users/{}/lifecycle/suspend", demo::JORDAN_ID)
    );
}

#[tokio::test]
async fn the_demo_org_has_recent_events() {
    let t = spawn().await;
    let resp = t.get("/api/v1/logs").await;
    let types = event_types(&resp.json());
    assert_eq!(
        types,
        vec![
            "user.lifecycle.create",
            "group.user_membership.add",
            "user.mfa.factor.activate",
            "user.session.start",
            "user.account.update_profile",
        ]
    );
    let session = &resp.json()[3];
    assert_eq!(
        session["client"]["geographicalContext"]["city"],
        "Bangalore"
    );
    assert_eq!(session["actor"]["id"], demo::JORDAN_ID);
}

#[tokio::test]
async fn filters_combine_eq_co_and_sw_on_event_type_target_and_actor() {
    let t = spawn().await;
    t.put(
        &format!(
            "/api/v1/groups/{}/users/{}",
            demo::HR_GROUP_ID,
            demo::JORDAN_ID
        ),
        None,
    )
    .await;
    t.post_empty(&format!(
        "/api/v1/users/{}/lifecycle/suspend",
        demo::PRIYA_ID
    ))
    .await;
    let cases: Vec<(String, Vec<&str>)> = vec![
        (
            format!(r#"target.id eq "{}""#, demo::HR_GROUP_ID),
            vec!["group.user_membership.add"],
        ),
        (
            r#"eventType sw "user.lifecycle""#.to_string(),
            vec!["user.lifecycle.create", "user.lifecycle.suspend"],
        ),
        (
            r#"eventType co "membership""#.to_string(),
            vec!["group.user_membership.add", "group.user_membership.add"],
        ),
        (
            format!(
                r#"actor.id eq "{}" and eventType sw "user.""#,
                demo::JORDAN_ID
            ),
            vec!["user.mfa.factor.activate", "user.session.start"],
        ),
        (
            format!(
                r#"(target.id eq "{}" or target.id eq "{}") and actor.id eq "{}""#,
                demo::PRIYA_ID,
                demo::HR_GROUP_ID,
                demo::ADMIN_ID
            ),
            vec![
                "user.lifecycle.create",
                "group.user_membership.add",
                "group.user_membership.add",
                "user.lifecycle.suspend",
            ],
        ),
    ];
    for (filter, expected) in cases {
        let resp = t
            .get(&format!("/api/v1/logs?filter={}", enc(&filter)))
            .await;
        assert_eq!(resp.status, 200, "{filter}: {}", resp.text);
        assert_eq!(event_types(&resp.json()), expected, "{filter}");
    }
}

#[tokio::test]
async fn an_invalid_filter_gets_400_e0000053() {
    let t = spawn().await;
    let resp = t
        .get(&format!(
            "/api/v1/logs?filter={}",
            enc(r#"eventType eqq "x""#)
        ))
        .await;
    assert_eq!(resp.status, 400);
    assert_eq!(resp.json()["errorCode"], "E0000053");
    assert!(
        resp.json()["errorSummary"]
            .as_str()
            .is_some_and(|s| s.starts_with(
                "Invalid filter 'eventType eqq \"x\"': Unrecognized attribute operator 'eqq'"
            ))
    );
    let published = t
        .get(&format!(
            "/api/v1/logs?filter={}",
            enc(r#"published gt "2024-01-01""#)
        ))
        .await;
    assert_eq!(published.json()["errorCode"], "E0000053");
    let unknown = t
        .get(&format!(
            "/api/v1/logs?filter={}",
            enc(r#"nonsense eq "x""#)
        ))
        .await;
    unknown.assert_error(400, "E0000053", "field is not valid: nonsense");
}

#[tokio::test]
async fn q_matches_keywords_case_insensitively() {
    let t = spawn().await;
    let resp = t.get("/api/v1/logs?q=jordan%20LEE").await;
    let types = event_types(&resp.json());
    assert_eq!(
        types,
        vec![
            "user.mfa.factor.activate",
            "user.session.start",
            "user.account.update_profile"
        ]
    );
    let exact = t.get("/api/v1/logs?q=user.session.start").await;
    assert_eq!(event_types(&exact.json()), vec!["user.session.start"]);
    let long = t.get(&format!("/api/v1/logs?q={}", "x".repeat(41))).await;
    long.assert_error(
        400,
        "E0000001",
        "Api validation failed: 'q': Freeform search cannot contain items longer than 40 characters. Please shorten the items in your search or use an advanced filter to query by specific fields.",
    );
    let many = t
        .get("/api/v1/logs?q=a%20b%20c%20d%20e%20f%20g%20h%20i%20j%20k")
        .await;
    assert_eq!(many.status, 400);
}

#[tokio::test]
async fn since_more_than_180_days_back_gets_400_e0000053() {
    let t = spawn().await;
    let since = (Utc::now() - Duration::days(181)).format("%Y-%m-%dT%H:%M:%S%.3fZ");
    let resp = t.get(&format!("/api/v1/logs?since={since}")).await;
    resp.assert_error(
        400,
        "E0000053",
        "Invalid parameter: The since parameter is over 180 days prior to the current day.",
    );
    let ok = (Utc::now() - Duration::days(179)).format("%Y-%m-%dT%H:%M:%S%.3fZ");
    assert_eq!(t.get(&format!("/api/v1/logs?since={ok}")).await.status, 200);
}

#[tokio::test]
async fn a_bad_date_gets_okta_s_validation_error() {
    let t = spawn().await;
    let resp = t.get("/api/v1/logs?until=yesterday").await;
    resp.assert_error(
        400,
        "E0000001",
        "Api validation failed: 'until': The date format in your query is not recognized. Please enter dates using ISO8601 string format.. 'until': must be a valid date-time or empty.",
    );
    assert_eq!(
        resp.causes(),
        vec![
            "until: The date format in your query is not recognized. Please enter dates using ISO8601 string format.",
            "until: must be a valid date-time or empty.",
        ]
    );
    assert_eq!(t.get("/api/v1/logs?since=2024-13-45").await.status, 400);
}

#[tokio::test]
async fn since_and_after_cannot_be_combined() {
    let t = spawn().await;
    let since = Utc::now().format("%Y-%m-%dT%H:%M:%SZ");
    let resp = t
        .get(&format!("/api/v1/logs?since={since}&after=1_1"))
        .await;
    assert_eq!(resp.status, 400);
    assert_eq!(resp.json()["errorCode"], "E0000001");
    let tampered = t.get("/api/v1/logs?after=garbage").await;
    tampered.assert_error(
        400,
        "E0000029",
        "Invalid paging request. Ensure the pagination cursor has not been altered",
    );
}

#[tokio::test]
async fn a_polling_request_always_has_a_next_link_even_when_empty() {
    let t = empty_org().await;
    let first = t.get("/api/v1/logs").await;
    assert_eq!(first.json(), json!([]));
    let next = first.next_link().expect("polling always has next");
    assert!(next.starts_with(&format!("{}/api/v1/logs?", t.base())));
    assert!(next.contains("after="));
    // New events show up on the next page, and the chain never ends.
    t.post("/api/v1/groups", json!({"profile": {"name": "Pollers"}}))
        .await;
    let path = next.strip_prefix(&t.base()).expect("same host").to_string();
    let second = t.get(&path).await;
    assert_eq!(event_types(&second.json()), vec!["group.lifecycle.create"]);
    let third_path = second
        .next_link()
        .expect("still next")
        .strip_prefix(&t.base())
        .expect("same host")
        .to_string();
    let third = t.get(&third_path).await;
    assert_eq!(third.json(), json!([]));
    assert!(third.next_link().is_some());
}

#[tokio::test]
async fn polling_pages_through_events_in_order_without_repeats() {
    let t = empty_org().await;
    for i in 0..7 {
        t.post(
            "/api/v1/groups",
            json!({"profile": {"name": format!("G{i}")}}),
        )
        .await;
    }
    let mut seen = Vec::new();
    let mut path = "/api/v1/logs?limit=3".to_string();
    for _ in 0..4 {
        let resp = t.get(&path).await;
        for e in resp.json().as_array().cloned().unwrap_or_default() {
            seen.push(
                e["target"][0]["displayName"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            );
        }
        path = resp
            .next_link()
            .expect("next")
            .strip_prefix(&t.base())
            .expect("same host")
            .to_string();
    }
    assert_eq!(seen, vec!["G0", "G1", "G2", "G3", "G4", "G5", "G6"]);
    assert!(path.contains("limit=3"));
}

#[tokio::test]
async fn a_bounded_request_ends_without_a_next_link() {
    let t = spawn().await;
    let since = (Utc::now() - Duration::days(4)).format("%Y-%m-%dT%H:%M:%S%.3fZ");
    let until = (Utc::now() + Duration::minutes(1)).format("%Y-%m-%dT%H:%M:%S%.3fZ");
    let (events, pages) = t
        .collect_pages(&format!("/api/v1/logs?since={since}&until={until}&limit=2"))
        .await;
    assert_eq!(events.len(), 5);
    assert_eq!(pages, 3);
    let window = (Utc::now() - Duration::hours(30)).format("%Y-%m-%dT%H:%M:%SZ");
    let end = (Utc::now() - Duration::hours(10)).format("%Y-%m-%dT%H:%M:%SZ");
    let narrow = t
        .get(&format!("/api/v1/logs?since={window}&until={end}"))
        .await;
    assert_eq!(event_types(&narrow.json()), vec!["user.session.start"]);
    assert_eq!(narrow.next_link(), None);
}

#[tokio::test]
async fn descending_order_returns_newest_first_and_pages_backwards() {
    let t = spawn().await;
    let first = t.get("/api/v1/logs?sortOrder=DESCENDING&limit=2").await;
    assert_eq!(
        event_types(&first.json()),
        vec!["user.account.update_profile", "user.session.start"]
    );
    let (all, pages) = t
        .collect_pages("/api/v1/logs?sortOrder=DESCENDING&limit=2")
        .await;
    assert_eq!(all.len(), 5);
    assert_eq!(pages, 3);
    assert_eq!(all[4]["eventType"], "user.lifecycle.create");
    let bad = t.get("/api/v1/logs?sortOrder=SIDEWAYS").await;
    assert_eq!(bad.status, 400);
}

#[tokio::test]
async fn limit_defaults_to_100_and_is_capped_at_1000() {
    let t = empty_org().await;
    for i in 0..120 {
        t.post(
            "/api/v1/groups",
            json!({"profile": {"name": format!("Loud {i}")}}),
        )
        .await;
    }
    let default = t.get("/api/v1/logs").await;
    assert_eq!(default.json().as_array().map(Vec::len), Some(100));
    let big = t.get("/api/v1/logs?limit=5000").await;
    assert_eq!(big.json().as_array().map(Vec::len), Some(120));
    assert!(big.next_link().is_some_and(|n| n.contains("limit=1000")));
    let zero = t.get("/api/v1/logs?limit=0").await;
    assert_eq!(zero.json(), json!([]));
}

#[tokio::test]
async fn extreme_dates_are_answered_without_crashing() {
    let t = spawn().await;
    for query in [
        "until=0000-01-01T00:00:00Z",
        "until=9999-12-31T23:59:59.999Z",
        "until=%2B262000-01-01T00:00:00%2B0000",
        "since=2999-01-01T00:00:00Z",
        "until=now",
    ] {
        let resp = t.get(&format!("/api/v1/logs?{query}")).await;
        assert!(
            resp.status == 200 || resp.status == 400,
            "{query}: {} {}",
            resp.status,
            resp.text
        );
    }
    assert_eq!(t.get("/api/v1/users/me").await.status, 200, "still serving");
}
