//! The paging contract of the list actions (list_groups, get_pending_approvals,
//! get_audit_logs), through the server against okta-sim: walking a list to its end by
//! `X-Next-Cursor` (bare array) and by `nextCursor` (`paged: true`), what Okta received for
//! each page, and the cursors the gateway refuses before calling Okta.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use okta_sim::Seed;
use okta_sim::demo::{ENGINEERING_GROUP_ID, HR_GROUP_ID};
use okta_sim::large::{EVERYONE_GROUP_ID, GROUPS, LOG_EVENTS, USERS};
use reqwest::Method;
use serde_json::{Value, json};

use super::groups::{spawn_with_foreign_links, spawn_with_links_to};
use super::support::{assert_refused, header, received};
use crate::helpers::{ACTION_KEY, TestApp, TestResponse, spawn_with_account};

fn iso(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn ids(items: &[Value], key: &str) -> Vec<String> {
    items
        .iter()
        .map(|item| item[key].as_str().expect("an id").to_owned())
        .collect()
}

/// One page as the flow sees it: its items and the cursor of the next page, read from the
/// header (bare array) or from the body (`paged: true`), checking that both agree.
fn page_of(response: &TestResponse, paged: bool) -> (Vec<Value>, Option<String>) {
    assert_eq!(response.status, 200, "{}", response.text);
    let header = response
        .headers
        .get("x-next-cursor")
        .map(|v| v.to_str().expect("an ASCII cursor").to_owned());
    if !paged {
        let items = response.json.as_array().expect("the bare array").clone();
        return (items, header);
    }
    let keys: Vec<&String> = response.json.as_object().expect("a page").keys().collect();
    assert_eq!(keys, ["items", "nextCursor"], "{}", response.text);
    let next = response.json["nextCursor"].as_str().map(str::to_owned);
    assert_eq!(next, header, "the header carries the body's cursor");
    let items = response.json["items"].as_array().expect("items").clone();
    (items, next)
}

/// Every page of a list action, from `first` (the query) to the page without a cursor; later
/// pages send only `carry` (e.g. limit, groupId), `after` and `paged`.
pub(super) async fn walk(
    app: &TestApp,
    action: &str,
    first: Value,
    carry: Value,
    paged: bool,
) -> Vec<Vec<Value>> {
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut body = carry.clone();
        match &cursor {
            None => {
                for (key, value) in first.as_object().expect("an object") {
                    body[key] = value.clone();
                }
            }
            Some(cursor) => body["after"] = json!(cursor),
        }
        if paged {
            body["paged"] = json!(true);
        }
        let (items, next) = page_of(&app.action(action, body).await, paged);
        pages.push(items);
        match next {
            Some(next) => cursor = Some(next),
            None => return pages,
        }
        assert!(pages.len() < 100, "the walk must end");
    }
}

/// The value of `name` in a recorded query.
fn query_value(query: &str, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// A recorded query without its `after` and `limit`.
fn query_without_paging(query: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.as_bytes())
        .filter(|(key, _)| key != "after" && key != "limit")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The sim's events newest first, as Okta orders a DESCENDING query: by `published`, then
/// the later stored first.
fn newest_first(events: Vec<Value>) -> Vec<Value> {
    let mut indexed: Vec<(DateTime<Utc>, usize, Value)> = events
        .into_iter()
        .enumerate()
        .map(|(i, e)| {
            let published = e["published"].as_str().expect("published");
            let at = DateTime::parse_from_rfc3339(published)
                .expect("an RFC 3339 date")
                .with_timezone(&Utc);
            (at, i, e)
        })
        .collect();
    indexed.sort_by_key(|(at, i, _)| std::cmp::Reverse((*at, *i)));
    indexed.into_iter().map(|(_, _, e)| e).collect()
}

/// Appends `n` `user.account.lock` events (published now) to the sim's System Log.
fn log_lockouts(app: &TestApp, n: usize) {
    let sim = app.sim.handle();
    for _ in 0..n {
        assert!(sim.set_user_status(okta_sim::demo::JORDAN_ID, "LOCKED_OUT"));
    }
}

// ---- walking to the end ----

#[tokio::test]
async fn listing_groups_pages_to_the_end_by_cursor_in_both_forms() {
    let app = spawn_with_account().await;
    app.sim.handle().reset(Seed::Large);
    let all = app.action("list_groups", json!({"limit": 1000})).await;
    assert_eq!(all.status, 200, "{}", all.text);
    let expected = ids(all.json.as_array().unwrap(), "id");
    assert_eq!(expected.len(), GROUPS);

    for paged in [false, true] {
        app.forget_requests();
        let pages = walk(&app, "list_groups", json!({}), json!({"limit": 120}), paged).await;
        let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
        assert_eq!(sizes, [120, 120, 60], "paged: {paged}");
        assert_eq!(
            ids(&pages.concat(), "id"),
            expected,
            "every group once, in order"
        );
        // Okta saw each page's next link followed: the after of the page before's last group.
        let calls = app.okta_calls();
        assert_eq!(calls.len(), 3, "{calls:?}");
        assert_eq!(calls[0], "GET /api/v1/groups?limit=120");
        for (call, page) in calls[1..].iter().zip(&pages) {
            let last = page.last().unwrap()["id"].as_str().unwrap();
            assert_eq!(*call, format!("GET /api/v1/groups?after={last}&limit=120"));
        }
    }
}

#[tokio::test]
async fn pending_approvals_pages_through_a_large_group_by_cursor() {
    let app = spawn_with_account().await;
    app.sim.handle().reset(Seed::Large);
    let expected = app.sim.handle().group_member_ids(EVERYONE_GROUP_ID);
    assert_eq!(expected.len(), USERS);

    let pages = walk(
        &app,
        "get_pending_approvals",
        json!({}),
        json!({"groupId": EVERYONE_GROUP_ID, "limit": 1000}),
        true,
    )
    .await;
    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, [1000, 1000]);
    assert_eq!(ids(&pages.concat(), "id"), expected);
    // Each gateway page is five Okta pages of 200; the second starts at the first's cursor.
    let calls = app.okta_calls();
    assert_eq!(calls.len(), 10, "{calls:?}");
    assert_eq!(
        calls[5],
        format!(
            "GET /api/v1/groups/{EVERYONE_GROUP_ID}/users?after={}&limit=200",
            expected[999]
        )
    );
}

#[tokio::test]
async fn audit_logs_of_a_large_org_come_newest_first() {
    let app = spawn_with_account().await;
    app.sim.handle().reset(Seed::Large);
    let events = newest_first(app.sim.handle().log_events());
    assert_eq!(events.len(), LOG_EVENTS);

    let response = app.action("get_audit_logs", json!({})).await;
    let (page, next) = page_of(&response, false);
    assert_eq!(ids(&page, "uuid"), ids(&events[..100], "uuid"));
    assert!(next.is_some(), "a busy week holds more than one page");
    assert_eq!(
        app.okta_calls(),
        ["GET /api/v1/logs?sortOrder=DESCENDING&limit=100"]
    );

    // Only a filter: the newest matching events.
    let event_type = events[0]["eventType"].as_str().unwrap().to_owned();
    let matching: Vec<Value> = events
        .iter()
        .filter(|e| e["eventType"] == event_type.as_str())
        .take(5)
        .cloned()
        .collect();
    assert_eq!(matching.len(), 5);
    let response = app
        .action(
            "get_audit_logs",
            json!({"filter": format!("eventType eq \"{event_type}\""), "limit": 5}),
        )
        .await;
    let (page, _) = page_of(&response, false);
    assert_eq!(ids(&page, "uuid"), ids(&matching, "uuid"));
}

#[tokio::test]
async fn audit_logs_of_a_large_org_page_to_the_end_by_next_cursor_each_event_once_in_order() {
    let app = spawn_with_account().await;
    app.sim.handle().reset(Seed::Large);
    let now = Utc::now();
    let (since, until) = (
        iso(now - Duration::days(91)),
        iso(now + Duration::minutes(1)),
    );
    let events = newest_first(app.sim.handle().log_events());

    let pages = walk(
        &app,
        "get_audit_logs",
        json!({"since": since, "until": until}),
        json!({"limit": 1000}),
        true,
    )
    .await;
    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, [1000; 5]);
    assert_eq!(ids(&pages.concat(), "uuid"), ids(&events, "uuid"));
    let calls = received(&app);
    assert_eq!(calls.len(), 5);
    for call in &calls[1..] {
        let query = call.query.as_deref().unwrap();
        assert_eq!(query_value(query, "until").as_deref(), Some(until.as_str()));
        assert_eq!(
            query_value(query, "sortOrder").as_deref(),
            Some("DESCENDING")
        );
        assert_eq!(query_value(query, "limit").as_deref(), Some("1000"));
    }
}

#[tokio::test]
async fn an_audit_log_cursor_keeps_the_range_filter_and_order_of_its_query() {
    let app = spawn_with_account().await;
    log_lockouts(&app, 250);
    app.forget_requests();
    let now = Utc::now();
    let until = iso(now + Duration::minutes(1));
    let filter = r#"eventType eq "user.account.lock""#;
    let pages = walk(
        &app,
        "get_audit_logs",
        json!({"since": iso(now - Duration::days(1)), "until": until, "filter": filter, "sortOrder": "ASCENDING"}),
        json!({"limit": 100}),
        false,
    )
    .await;

    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, [100, 100, 50], "a bounded query ends");
    let mut expected = newest_first(app.sim.handle().log_events());
    expected.retain(|e| e["eventType"] == "user.account.lock");
    expected.reverse();
    assert_eq!(ids(&pages.concat(), "uuid"), ids(&expected, "uuid"));
    let calls = received(&app);
    assert_eq!(calls.len(), 3);
    let first = calls[0].query.as_deref().unwrap();
    assert_eq!(
        query_value(first, "sortOrder").as_deref(),
        Some("ASCENDING")
    );
    for call in &calls[1..] {
        let query = call.query.as_deref().unwrap();
        assert!(query_value(query, "after").is_some());
        // The first page's query, as Okta's next link carries it. Okta's own links keep since
        // (its System Log guide's example); okta-sim's leave it out, as it refuses since
        // with after: either way since never changes.
        let mut expected = query_without_paging(first);
        if query_value(query, "since").is_none() {
            expected.retain(|(name, _)| name != "since");
        }
        let mut sent = query_without_paging(query);
        sent.sort();
        expected.sort();
        assert_eq!(sent, expected, "{query}");
        assert_eq!(query_value(query, "limit").as_deref(), Some("100"));
    }
}

#[tokio::test]
async fn the_limit_may_change_from_page_to_page() {
    let app = spawn_with_account().await;
    let first = app
        .action(
            "get_pending_approvals",
            json!({"groupId": ENGINEERING_GROUP_ID, "limit": 1}),
        )
        .await;
    let (page, next) = page_of(&first, false);
    assert_eq!(page.len(), 1);
    let second = app
        .action(
            "get_pending_approvals",
            json!({"groupId": ENGINEERING_GROUP_ID, "after": next.unwrap(), "limit": 5, "paged": true}),
        )
        .await;
    let (rest, next) = page_of(&second, true);
    assert_eq!(rest.len(), 1, "the group's other member");
    assert_ne!(rest[0]["id"], page[0]["id"]);
    assert_eq!(next, None, "the last page has no cursor");
}

// ---- cursors refused before any call ----

#[tokio::test]
async fn after_with_parameters_the_cursor_fixes_is_refused_naming_them() {
    let app = spawn_with_account().await;
    log_lockouts(&app, 3);
    let response = app.action("get_audit_logs", json!({"limit": 1})).await;
    let (_, cursor) = page_of(&response, false);
    let cursor = cursor.expect("a next page");
    app.forget_requests();

    // A since after until would be refused too, but the cursor is what is wrong here.
    let now = Utc::now();
    let response = app
        .action(
            "get_audit_logs",
            json!({
                "after": cursor, "since": iso(now), "until": iso(now - Duration::days(1)),
                "filter": "eventType eq \"x\"", "sortOrder": "DESCENDING", "limit": 5, "paged": true,
            }),
        )
        .await;
    assert_refused(&app, &response, &["since", "until", "filter", "sortOrder"]);
    assert_eq!(
        response.json["error"]["details"]["fields"][0]["problem"],
        "cannot be sent with after: the cursor already fixes it (send only after, limit and paged)"
    );

    // null means absent; limit and paged go with a cursor.
    let response = app
        .action(
            "get_audit_logs",
            json!({"after": cursor, "since": null, "limit": 1, "paged": false}),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text);

    app.forget_requests();
    let response = app.action("list_groups", json!({"limit": 1})).await;
    let (_, cursor) = page_of(&response, false);
    app.forget_requests();
    let response = app
        .action("list_groups", json!({"after": cursor.unwrap(), "q": "Eng"}))
        .await;
    assert_refused(&app, &response, &["q"]);
}

#[tokio::test]
async fn a_tampered_or_foreign_cursor_is_refused_without_an_okta_call() {
    let app = spawn_with_account().await;
    let groups = app.action("list_groups", json!({"limit": 1})).await;
    let groups_cursor = page_of(&groups, false).1.expect("a next page");
    let members = app
        .action(
            "get_pending_approvals",
            json!({"groupId": ENGINEERING_GROUP_ID, "limit": 1}),
        )
        .await;
    let members_cursor = page_of(&members, false).1.expect("a next page");
    let other = app.create_account("other").await;
    assert_eq!(other.status, 201, "{}", other.text);
    app.forget_requests();

    let problem = |response: &TestResponse| {
        assert_refused(&app, response, &["after"]);
        response.json["error"]["details"]["fields"][0]["problem"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let not_ours = "is not a cursor this gateway issued for this account";

    // Altered: one character of the signed query, or of the signature.
    let (body, tag) = groups_cursor.split_once('.').unwrap();
    let flip = |s: &str| {
        let mut chars: Vec<char> = s.chars().collect();
        chars[2] = if chars[2] == 'A' { 'B' } else { 'A' };
        chars.into_iter().collect::<String>()
    };
    for altered in [
        format!("{}.{tag}", flip(body)),
        format!("{body}.{}", flip(tag)),
        "00g1emaKYZTWRYYRRTSK".to_owned(),
        "https://attacker.example/api/v1/groups?after=x".to_owned(),
    ] {
        let response = app.action("list_groups", json!({"after": altered})).await;
        assert!(
            problem(&response).starts_with(not_ours),
            "{}",
            response.text
        );
    }

    // Another action's cursor.
    let response = app
        .action("get_audit_logs", json!({"after": groups_cursor}))
        .await;
    assert_eq!(
        problem(&response),
        "is a cursor of list_groups: pass it back to that action"
    );

    // Another group's members.
    let response = app
        .action(
            "get_pending_approvals",
            json!({"groupId": HR_GROUP_ID, "after": members_cursor}),
        )
        .await;
    assert!(
        problem(&response).contains("another group"),
        "{}",
        response.text
    );

    // Another account's cursor, on the same org even.
    let response = app
        .call(
            Method::POST,
            "/accounts/other/actions/list_groups",
            Some(ACTION_KEY),
            Some(json!({"after": groups_cursor})),
        )
        .await;
    assert!(
        problem(&response).starts_with(not_ours),
        "{}",
        response.text
    );
}

#[tokio::test]
async fn a_cursor_is_followed_on_the_accounts_host_even_when_oktas_links_name_another() {
    let app = spawn_with_foreign_links().await;
    let pages = walk(&app, "list_groups", json!({}), json!({"limit": 1}), true).await;
    assert_eq!(pages.len(), 2, "the demo org's two groups");
    let sent = received(&app);
    assert_eq!(sent.len(), 2);
    let host = app.sim.addr().to_string();
    for request in &sent {
        assert_eq!(header(request, "host"), Some(host.as_str()));
        assert_eq!(request.path, "/api/v1/groups");
    }
}

#[tokio::test]
async fn a_next_link_to_another_endpoint_is_not_followed_and_answers_502() {
    let app = spawn_with_links_to("https://attacker.example/steal").await;
    let response = app.action("list_groups", json!({"limit": 1})).await;

    let error = response.assert_error("UPSTREAM_UNAVAILABLE", 502);
    assert!(response.headers.get("x-next-cursor").is_none());
    assert!(
        error["details"].get("fields").is_none(),
        "{}",
        response.text
    );
    assert_eq!(app.okta_calls(), ["GET /api/v1/groups?limit=1"]);
}
