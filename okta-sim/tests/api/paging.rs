//! Cursor paging with `link` headers on user listings.

use std::collections::HashSet;

use crate::helpers::spawn;

#[tokio::test]
async fn users_page_with_separate_self_and_next_link_lines() {
    let t = spawn().await;
    t.handle().seed_users(5);
    let resp = t.get("/api/v1/users?limit=2").await;
    assert_eq!(resp.status, 200);
    let page = resp.json();
    assert_eq!(page.as_array().map(Vec::len), Some(2));
    let links = resp.links();
    assert_eq!(links.len(), 2, "one header line per relation");
    assert_eq!(
        links[0],
        format!("<{}/api/v1/users?limit=2>; rel=\"self\"", t.base())
    );
    let last_id = page[1]["id"].as_str().expect("id");
    assert_eq!(
        links[1],
        format!(
            "<{}/api/v1/users?after={last_id}&limit=2>; rel=\"next\"",
            t.base()
        )
    );
}

#[tokio::test]
async fn following_next_links_visits_every_user_once_and_ends() {
    let t = spawn().await;
    t.handle().seed_users(44);
    let (users, pages) = t.collect_pages("/api/v1/users?limit=10").await;
    assert_eq!(users.len(), 50, "44 bulk users plus the six demo users");
    assert_eq!(pages, 5);
    let ids: HashSet<&str> = users.iter().filter_map(|u| u["id"].as_str()).collect();
    assert_eq!(ids.len(), 50);
    let last = t.get("/api/v1/users?limit=200").await;
    assert_eq!(last.links().len(), 1, "the last page has only self");
    assert_eq!(last.next_link(), None);
}

#[tokio::test]
async fn a_search_keeps_its_parameters_across_pages() {
    let t = spawn().await;
    t.handle().seed_users(9);
    let first = t
        .get("/api/v1/users?search=profile.lastName%20sw%20%22User%22&limit=4")
        .await;
    let next = first.next_link().expect("next");
    assert!(
        next.contains("search=profile.lastName%20sw%20%22User%22"),
        "{next}"
    );
    let (all, pages) = t
        .collect_pages("/api/v1/users?search=profile.lastName%20sw%20%22User%22&limit=4")
        .await;
    // Nine bulk users plus the admin (last name "User").
    assert_eq!(all.len(), 10);
    assert_eq!(pages, 3);
}

#[tokio::test]
async fn users_limit_is_capped_at_200() {
    let t = spawn().await;
    t.handle().seed_users(250);
    let resp = t.get("/api/v1/users?limit=1000").await;
    assert_eq!(resp.json().as_array().map(Vec::len), Some(200));
    assert!(resp.next_link().is_some_and(|n| n.contains("limit=200")));
    let default = t.get("/api/v1/users").await;
    assert_eq!(default.json().as_array().map(Vec::len), Some(200));
}
