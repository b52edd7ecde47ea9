//! list_users: Okta's `GET /api/v1/users` with q, search or filter, one page at a time.

use okta_sim::demo::{JORDAN_ID, MAYA_ID, PRIYA_ID};
use okta_sim::large::{ACTIVE_USERS, EVERYONE_GROUP_ID};
use okta_sim::{Seed, UserSeed};
use serde_json::json;

use super::super::paging::{page_of, walk};
use super::super::support::{assert_refused, received};
use super::{answered, ids, sample_of, shaped_like};
use crate::helpers::spawn_with_account;

#[tokio::test]
async fn listing_users_asks_okta_for_a_page_of_50_and_shapes_each_user() {
    let app = spawn_with_account().await;
    let response = app.action("list_users", json!({})).await;

    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(app.okta_calls(), ["GET /api/v1/users?limit=50"]);
    let okta = answered(&received(&app)[0]);
    assert_eq!(response.json, shaped_like(&okta, &sample_of("list_users")));
    assert_eq!(ids(&response.json).len(), 6, "the demo org's users");
    assert!(response.headers.get("x-next-cursor").is_none());
}

#[tokio::test]
async fn q_search_and_filter_reach_okta_encoded_and_choose_the_users() {
    let app = spawn_with_account().await;
    let sim = app.sim.handle();
    assert!(sim.set_user_status(PRIYA_ID, "DEPROVISIONED"));
    let odd = sim.seed_user(UserSeed::new("a+b&c@example.com", "Odd", "Address"));
    let odd = odd["id"].as_str().expect("seeded").to_owned();

    let cases = [
        (
            json!({"search": "profile.lastName sw \"Le\" and status eq \"ACTIVE\""}),
            "search=profile.lastName+sw+%22Le%22+and+status+eq+%22ACTIVE%22&limit=50",
            vec![JORDAN_ID.to_owned()],
        ),
        // filter and search include DEPROVISIONED users; q and the plain list do not.
        (
            json!({"filter": "status eq \"DEPROVISIONED\"", "limit": 5}),
            "filter=status+eq+%22DEPROVISIONED%22&limit=5",
            vec![PRIYA_ID.to_owned()],
        ),
        (
            json!({"q": "may"}),
            "q=may&limit=50",
            vec![MAYA_ID.to_owned()],
        ),
        (json!({"q": "priya"}), "q=priya&limit=50", vec![]),
        (
            json!({"filter": "profile.email eq \"a+b&c@example.com\""}),
            "filter=profile.email+eq+%22a%2Bb%26c%40example.com%22&limit=50",
            vec![odd],
        ),
    ];
    for (body, query, expected) in cases {
        app.forget_requests();
        let response = app.action("list_users", body.clone()).await;
        assert_eq!(response.status, 200, "{body}: {}", response.text);
        assert_eq!(app.okta_calls(), [format!("GET /api/v1/users?{query}")]);
        assert_eq!(ids(&response.json), expected, "{body}");
    }

    let all = app.action("list_users", json!({})).await;
    assert!(!ids(&all.json).contains(&PRIYA_ID.to_owned()));
}

#[tokio::test]
async fn a_large_orgs_users_page_to_the_last_page_by_cursor() {
    let app = spawn_with_account().await;
    let sim = app.sim.handle();
    sim.reset(Seed::Large);
    // Everyone holds every user; the plain list leaves out the DEPROVISIONED ones.
    let mut expected: Vec<String> = sim
        .group_member_ids(EVERYONE_GROUP_ID)
        .into_iter()
        .filter(|id| sim.user(id).is_some_and(|u| u["status"] != "DEPROVISIONED"))
        .collect();
    expected.sort();
    assert!(expected.len() > 1_000, "{}", expected.len());

    let pages = walk(&app, "list_users", json!({}), json!({"limit": 200}), true).await;
    let (last, full) = pages.split_last().expect("pages");
    assert!(full.iter().all(|page| page.len() == 200));
    assert_eq!(last.len(), expected.len() - 200 * full.len());
    assert!(!last.is_empty() && last.len() <= 200);
    let listed: Vec<String> = pages
        .concat()
        .iter()
        .map(|u| u["id"].as_str().expect("an id").to_owned())
        .collect();
    assert_eq!(listed, expected, "every user once, in Okta's order");

    let calls = app.okta_calls();
    assert_eq!(calls.len(), pages.len(), "one Okta page per page");
    assert_eq!(calls[0], "GET /api/v1/users?limit=200");
    for (call, page) in calls[1..].iter().zip(&pages) {
        let after = page.last().expect("a user")["id"].as_str().expect("an id");
        assert_eq!(*call, format!("GET /api/v1/users?after={after}&limit=200"));
    }
}

#[tokio::test]
async fn a_search_keeps_its_expression_on_every_page_to_the_last() {
    let app = spawn_with_account().await;
    app.sim.handle().reset(Seed::Large);
    let search = "status eq \"ACTIVE\"";
    let pages = walk(
        &app,
        "list_users",
        json!({"search": search}),
        json!({"limit": 200}),
        false,
    )
    .await;

    let users = pages.concat();
    assert_eq!(users.len(), ACTIVE_USERS);
    assert!(users.iter().all(|u| u["status"] == "ACTIVE"));
    let listed: Vec<&str> = users.iter().map(|u| u["id"].as_str().unwrap()).collect();
    assert!(listed.windows(2).all(|w| w[0] < w[1]), "each user once");
    let sent = received(&app);
    assert_eq!(sent.len(), pages.len());
    for request in &sent[1..] {
        let query = request.query.as_deref().expect("a query");
        assert!(
            query.starts_with("search=status+eq+%22ACTIVE%22&after=00u")
                && query.ends_with("&limit=200"),
            "{query}"
        );
    }
}

#[tokio::test]
async fn at_most_one_of_q_search_and_filter_is_taken_before_any_call() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "list_users",
            json!({"search": "status eq \"ACTIVE\"", "filter": "status eq \"ACTIVE\""}),
        )
        .await;
    assert_refused(&app, &response, &["filter"]);
    assert_eq!(
        response.json["error"]["details"]["fields"][0]["problem"],
        "cannot be sent with search: Okta takes only one of q, search and filter"
    );
    let response = app
        .action(
            "list_users",
            json!({"q": "jo", "search": "x", "filter": "y"}),
        )
        .await;
    assert_refused(&app, &response, &["search", "filter"]);
    assert_eq!(
        response.json["error"]["details"]["fields"][1]["problem"],
        "cannot be sent with q: Okta takes only one of q, search and filter"
    );

    for (body, fields) in [
        (json!({"limit": 0}), vec!["limit"]),
        (json!({"limit": 201}), vec!["limit"]),
        (
            json!({"search": "  ", "filter": ""}),
            vec!["search", "filter"],
        ),
        (json!({"q": ""}), vec!["q"]),
    ] {
        let response = app.action("list_users", body).await;
        assert_refused(&app, &response, &fields);
    }
}

#[tokio::test]
async fn a_cursor_takes_no_q_search_or_filter_and_continues_with_limit_and_paged() {
    let app = spawn_with_account().await;
    let first = app.action("list_users", json!({"limit": 2})).await;
    let (page, cursor) = page_of(&first, false);
    let cursor = cursor.expect("the demo org has more than two users");
    app.forget_requests();

    for field in ["q", "search", "filter"] {
        let response = app
            .action(
                "list_users",
                json!({"after": cursor, field: "status eq \"ACTIVE\""}),
            )
            .await;
        assert_refused(&app, &response, &[field]);
        assert_eq!(
            response.json["error"]["details"]["fields"][0]["problem"],
            "cannot be sent with after: the cursor already fixes it (send only after, limit and paged)"
        );
    }

    let next = app
        .action(
            "list_users",
            json!({"after": cursor, "limit": 10, "paged": true}),
        )
        .await;
    let (rest, end) = page_of(&next, true);
    assert_eq!(page.len() + rest.len(), 6);
    assert_eq!(end, None, "the last page has no cursor");
    let after = page[1]["id"].as_str().unwrap();
    assert_eq!(
        app.okta_calls(),
        [format!("GET /api/v1/users?after={after}&limit=10")]
    );
}

#[tokio::test]
async fn an_expression_okta_refuses_is_an_invalid_field_with_oktas_details() {
    let app = spawn_with_account().await;
    for body in [
        json!({"search": "profile.login eqq \"x\""}),
        json!({"filter": "profile.mobilePhone eq \"+1-555\""}),
    ] {
        app.forget_requests();
        let response = app.action("list_users", body.clone()).await;
        let error = response.assert_error("INVALID_FIELD_VALUE", 400);
        assert_eq!(error["message"], "Okta: Invalid search criteria.", "{body}");
        assert_eq!(error["details"]["okta"]["errorCode"], "E0000031");
        assert_eq!(app.okta_calls().len(), 1, "{body}");
    }
}
