//! get_audit_logs against okta-sim: one call to `/api/v1/logs` per page, newest first by
//! default (`sortOrder` always sent), the parameters passed through, never following a
//! polling query's endless `next`, and every date check made before calling Okta. Paging by
//! cursor is in `paging.rs`.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{Value, json};

use super::support::{assert_refused, assert_seed_keys, received};
use crate::helpers::spawn_with_account;

/// The seed's Get Audit Logs sample event.
fn event_sample() -> Value {
    json!({
        "actor": {"id": "00ub0oNGTSWTBKOLGLNR", "type": "User", "alternateId": "admin@example.com", "displayName": "Admin User"},
        "client": {"ipAddress": "203.0.113.42", "geographicalContext": {"city": "Bangalore", "country": "India"}},
        "eventType": "user.session.start",
        "outcome": {"result": "SUCCESS"},
        "published": "2026-05-29T08:12:00.000Z",
        "severity": "INFO",
        "target": [{"id": "00ub0oNGTSWTBKOLGLNR", "type": "User", "alternateId": "jordan.lee@example.com", "displayName": "Jordan Lee"}]
    })
}

fn iso(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A date as it must appear in the query string.
fn encoded(date: &str) -> String {
    date.replace(':', "%3A").replace('+', "%2B")
}

fn uuids(events: &Value) -> Vec<String> {
    events
        .as_array()
        .expect("an array of events")
        .iter()
        .map(|e| e["uuid"].as_str().expect("a uuid").to_owned())
        .collect()
}

#[tokio::test]
async fn reading_audit_logs_is_one_call_for_the_newest_100_events_by_default() {
    let app = spawn_with_account().await;
    let response = app.action("get_audit_logs", json!({})).await;

    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(
        app.okta_calls(),
        ["GET /api/v1/logs?sortOrder=DESCENDING&limit=100"]
    );
    // The demo seed's events were appended oldest first.
    let mut expected: Vec<String> = app
        .sim
        .handle()
        .log_events()
        .iter()
        .map(|e| e["uuid"].as_str().unwrap().to_owned())
        .collect();
    expected.reverse();
    assert_eq!(expected.len(), 5, "the demo seed's events");
    assert_eq!(uuids(&response.json), expected, "newest first");
    assert!(
        response.headers.get("x-next-cursor").is_none(),
        "one page holds them all"
    );
    for event in response.json.as_array().unwrap() {
        assert_seed_keys(event, &event_sample(), true);
        for extra in ["uuid", "displayMessage", "transaction", "debugContext"] {
            assert!(event.get(extra).is_some(), "Okta's {extra} is kept");
        }
    }
    assert_eq!(
        response.json[0]["client"]["geographicalContext"],
        json!({"city": "Bangalore", "country": "India"})
    );
}

#[tokio::test]
async fn since_until_filter_and_limit_are_passed_through_encoded() {
    let app = spawn_with_account().await;
    let now = Utc::now();
    // Four days back: the demo's oldest event is three days old.
    let since = (now - Duration::days(4))
        .with_timezone(&chrono::FixedOffset::east_opt(2 * 3600).unwrap())
        .to_rfc3339_opts(SecondsFormat::Secs, false);
    assert!(since.ends_with("+02:00"));
    let until = iso(now + Duration::minutes(1));
    let filter = r#"eventType eq "user.session.start" or eventType eq "user.lifecycle.create""#;
    let response = app
        .action(
            "get_audit_logs",
            json!({"since": since, "until": until, "filter": filter, "limit": 7}),
        )
        .await;

    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(
        app.okta_calls(),
        [format!(
            "GET /api/v1/logs?since={}&until={}&filter=eventType+eq+%22user.session.start%22+or+eventType+eq+%22user.lifecycle.create%22&sortOrder=DESCENDING&limit=7",
            encoded(&since),
            encoded(&until)
        )]
    );
    let types: Vec<&str> = response
        .json
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["eventType"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["user.session.start", "user.lifecycle.create"]);
}

#[tokio::test]
async fn a_filter_with_quotes_spaces_ampersands_and_plus_signs_reaches_okta_intact() {
    let app = spawn_with_account().await;
    for name in ["R&D + Ops", "R&D Ops"] {
        let created = app.action("create_group", json!({"name": name})).await;
        assert_eq!(created.status, 200, "{}", created.text);
    }
    app.forget_requests();
    let filter = r#"eventType eq "group.lifecycle.create" and target.displayName eq "R&D + Ops""#;
    let response = app
        .action("get_audit_logs", json!({"filter": filter}))
        .await;

    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(
        received(&app)[0].query.as_deref(),
        Some(
            "filter=eventType+eq+%22group.lifecycle.create%22+and+target.displayName+eq+%22R%26D+%2B+Ops%22&sortOrder=DESCENDING&limit=100"
        )
    );
    let events = response.json.as_array().unwrap();
    assert_eq!(events.len(), 1, "{}", response.text);
    assert_eq!(events[0]["target"][0]["displayName"], "R&D + Ops");
    assert_seed_keys(&events[0], &event_sample(), true);
    assert_eq!(
        events[0]["client"]["geographicalContext"],
        Value::Null,
        "a key of the seed's sample that Okta left out is null"
    );
    assert!(events[0]["client"]["ipAddress"].is_string());
}

#[tokio::test]
async fn a_polling_query_is_one_call_and_its_empty_page_has_no_next_cursor() {
    let app = spawn_with_account().await;
    let since = iso(Utc::now() - Duration::days(7));
    let response = app
        .action(
            "get_audit_logs",
            json!({"since": since, "sortOrder": "ASCENDING", "limit": 2}),
        )
        .await;

    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.json.as_array().unwrap().len(), 2);
    assert_eq!(
        app.okta_calls(),
        [format!(
            "GET /api/v1/logs?since={}&sortOrder=ASCENDING&limit=2",
            encoded(&since)
        )]
    );
    assert!(response.headers.get("x-next-cursor").is_some());

    // Nothing matches: a polling page is empty but still has `next`; one call all the same,
    // and no cursor: the flow has caught up.
    app.forget_requests();
    let response = app
        .action(
            "get_audit_logs",
            json!({"filter": "eventType eq \"no.such.event\"", "sortOrder": "ASCENDING", "paged": true}),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.json, json!({"items": [], "nextCursor": null}));
    assert!(response.headers.get("x-next-cursor").is_none());
    assert_eq!(app.okta_calls().len(), 1);
}

#[tokio::test]
async fn the_limit_is_passed_through_and_bounded() {
    let app = spawn_with_account().await;
    let response = app.action("get_audit_logs", json!({"limit": 1000})).await;
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(
        app.okta_calls(),
        ["GET /api/v1/logs?sortOrder=DESCENDING&limit=1000"]
    );

    app.forget_requests();
    let response = app.action("get_audit_logs", json!({"limit": 1})).await;
    assert_eq!(response.json.as_array().unwrap().len(), 1);
    assert_eq!(
        app.okta_calls(),
        ["GET /api/v1/logs?sortOrder=DESCENDING&limit=1"]
    );

    for limit in [json!(0), json!(1001), json!("5"), json!(5.5), json!(null)] {
        app.forget_requests();
        let response = app.action("get_audit_logs", json!({"limit": limit})).await;
        if limit.is_null() {
            assert_eq!(response.status, 200, "null means the default");
            assert_eq!(
                app.okta_calls(),
                ["GET /api/v1/logs?sortOrder=DESCENDING&limit=100"]
            );
        } else {
            assert_refused(&app, &response, &["limit"]);
        }
    }
}

#[tokio::test]
async fn since_after_until_is_refused_before_any_call() {
    let app = spawn_with_account().await;
    let now = Utc::now();
    let response = app
        .action(
            "get_audit_logs",
            json!({"since": iso(now - Duration::days(1)), "until": iso(now - Duration::days(2))}),
        )
        .await;
    assert_refused(&app, &response, &["since"]);
    assert_eq!(
        response.json["error"]["details"]["fields"][0]["problem"],
        "must not be after until"
    );

    // The same instant written with two offsets is not "after".
    let at = now - Duration::days(1);
    let response = app
        .action(
            "get_audit_logs",
            json!({
                "since": at.with_timezone(&chrono::FixedOffset::west_opt(5 * 3600).unwrap()).to_rfc3339(),
                "until": at.to_rfc3339(),
            }),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
}

#[tokio::test]
async fn since_more_than_180_days_back_is_refused_before_any_call() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "get_audit_logs",
            json!({"since": iso(Utc::now() - Duration::days(181))}),
        )
        .await;
    assert_refused(&app, &response, &["since"]);
    assert_eq!(
        response.json["error"]["details"]["fields"][0]["problem"],
        "must be at most 180 days before now"
    );

    let response = app
        .action(
            "get_audit_logs",
            json!({"since": iso(Utc::now() - Duration::days(179))}),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
}

#[tokio::test]
async fn dates_that_are_not_iso_8601_date_times_with_a_zone_are_refused_before_any_call() {
    let app = spawn_with_account().await;
    for bad in [
        json!("yesterday"),
        json!("2026-01-01"),
        json!("2026-01-01T00:00:00"),
        json!("2026-13-01T00:00:00Z"),
        json!("2026-02-30T00:00:00Z"),
        json!(""),
        json!(1767225600),
    ] {
        let response = app
            .action("get_audit_logs", json!({"since": bad, "until": bad}))
            .await;
        assert_refused(&app, &response, &["since", "until"]);
    }
}

#[tokio::test]
async fn a_filter_okta_refuses_is_an_invalid_field_with_oktas_details() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "get_audit_logs",
            json!({"filter": "published gt \"2026-01-01T00:00:00Z\""}),
        )
        .await;
    let error = response.assert_error("INVALID_FIELD_VALUE", 400);
    assert_eq!(error["details"]["okta"]["errorCode"], "E0000053");
    assert_eq!(app.okta_calls().len(), 1);

    app.forget_requests();
    let response = app.action("get_audit_logs", json!({"filter": ""})).await;
    assert_refused(&app, &response, &["filter"]);
}

#[tokio::test]
async fn the_sort_order_is_sent_as_asked_and_only_okta_s_two_values_are_taken() {
    let app = spawn_with_account().await;
    let until = iso(Utc::now() + Duration::minutes(1));
    let response = app
        .action(
            "get_audit_logs",
            json!({"until": until, "sortOrder": "ASCENDING"}),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(
        app.okta_calls(),
        [format!(
            "GET /api/v1/logs?until={}&sortOrder=ASCENDING&limit=100",
            encoded(&until)
        )]
    );
    let mut expected: Vec<String> = uuids(&Value::Array(app.sim.handle().log_events()));
    assert_eq!(uuids(&response.json), expected, "oldest first");
    expected.reverse();
    let response = app
        .action("get_audit_logs", json!({"sortOrder": null}))
        .await;
    assert_eq!(uuids(&response.json), expected, "null is the default");

    for bad in [json!("descending"), json!("DESC"), json!(true)] {
        app.forget_requests();
        let response = app
            .action("get_audit_logs", json!({"sortOrder": bad}))
            .await;
        assert_refused(&app, &response, &["sortOrder"]);
    }
}
