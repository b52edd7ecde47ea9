//! Users: creation statuses and validation, lookups, updates, listing, search and filter.

use okta_sim::{UserSeed, demo};
use serde_json::json;

use crate::helpers::{assert_okta_ts, spawn};

fn new_user(login: &str) -> serde_json::Value {
    json!({"profile": {"firstName": "Isaac", "lastName": "Brock", "email": login, "login": login, "mobilePhone": "555-415-1337"}})
}

#[tokio::test]
async fn creating_a_user_without_activation_gives_a_staged_user_with_200() {
    let t = spawn().await;
    let resp = t
        .post(
            "/api/v1/users?activate=false",
            new_user("isaac.brock@example.com"),
        )
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text);
    assert_eq!(
        resp.header("content-type"),
        Some("application/json;charset=UTF-8")
    );
    let u = resp.json();
    let id = u["id"].as_str().expect("id");
    assert_eq!(id.len(), 20);
    assert!(id.starts_with("00u"));
    assert_eq!(u["status"], "STAGED");
    assert_okta_ts(&u["created"]);
    assert_okta_ts(&u["lastUpdated"]);
    assert_eq!(u["activated"], serde_json::Value::Null);
    assert_eq!(u["statusChanged"], serde_json::Value::Null);
    assert_eq!(u["lastLogin"], serde_json::Value::Null);
    assert_eq!(u["passwordChanged"], serde_json::Value::Null);
    assert_eq!(
        u["profile"],
        json!({"firstName": "Isaac", "lastName": "Brock", "email": "isaac.brock@example.com",
               "login": "isaac.brock@example.com", "mobilePhone": "555-415-1337", "secondEmail": null})
    );
    assert_eq!(
        u["credentials"],
        json!({"provider": {"type": "OKTA", "name": "OKTA"}})
    );
    let links = u["_links"].as_object().expect("links");
    let mut names: Vec<&str> = links.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(names, vec!["activate", "self", "type"]);
    assert_eq!(
        u["_links"]["activate"]["href"],
        format!("{}/api/v1/users/{id}/lifecycle/activate", t.base())
    );
    assert_eq!(
        u["_links"]["self"]["href"],
        format!("{}/api/v1/users/{id}", t.base())
    );
}

#[tokio::test]
async fn creating_a_user_with_a_password_activates_them_by_default() {
    let t = spawn().await;
    let mut body = new_user("active.one@example.com");
    body["credentials"] = json!({"password": {"value": "Sup3r-Secret-Value"}});
    let resp = t.post("/api/v1/users", body).await;
    assert_eq!(resp.status, 200);
    let u = resp.json();
    assert_eq!(u["status"], "ACTIVE");
    assert_okta_ts(&u["activated"]);
    assert_okta_ts(&u["statusChanged"]);
    assert_okta_ts(&u["passwordChanged"]);
    assert_eq!(u["lastLogin"], serde_json::Value::Null);
    assert_eq!(
        u["credentials"],
        json!({"password": {}, "provider": {"type": "OKTA", "name": "OKTA"}})
    );
    assert!(
        !resp.text.contains("Sup3r-Secret-Value"),
        "passwords are never echoed"
    );
    for link in [
        "suspend",
        "resetPassword",
        "expirePassword",
        "changePassword",
        "deactivate",
    ] {
        assert!(u["_links"][link]["href"].is_string(), "{link} link");
    }
    assert!(u["_links"]["activate"].is_null());
}

#[tokio::test]
async fn creating_a_user_without_a_password_but_activated_gives_provisioned() {
    let t = spawn().await;
    let resp = t
        .post("/api/v1/users?activate=true", new_user("prov@example.com"))
        .await;
    let u = resp.json();
    assert_eq!(u["status"], "PROVISIONED");
    assert_eq!(u["activated"], serde_json::Value::Null);
    assert_okta_ts(&u["statusChanged"]);
    assert!(u["_links"]["reactivate"].is_object());
}

#[tokio::test]
async fn next_login_change_password_expires_the_new_password() {
    let t = spawn().await;
    let mut body = new_user("expire.now@example.com");
    body["credentials"] = json!({"password": {"value": "Sup3r-Secret-Value"}});
    let resp = t
        .post(
            "/api/v1/users?activate=true&nextLogin=changePassword",
            body.clone(),
        )
        .await;
    assert_eq!(resp.json()["status"], "PASSWORD_EXPIRED");

    body["profile"]["login"] = json!("other@example.com");
    let staged = t
        .post(
            "/api/v1/users?activate=false&nextLogin=changePassword",
            body,
        )
        .await;
    staged.assert_error(
        400,
        "E0000125",
        "Could not create user. To create a user and expire their password immediately, `activate` must be true.",
    );
    let no_pw = t
        .post(
            "/api/v1/users?nextLogin=changePassword",
            new_user("third@example.com"),
        )
        .await;
    no_pw.assert_error(
        400,
        "E0000124",
        "Could not create user. To create a user and expire their password immediately, a password must be specified.",
    );
}

#[tokio::test]
async fn a_duplicate_login_gets_400_e0000001_with_okta_s_cause() {
    let t = spawn().await;
    let resp = t
        .post("/api/v1/users", new_user("JORDAN.LEE@example.com"))
        .await;
    resp.assert_error(400, "E0000001", "Api validation failed: login");
    assert_eq!(
        resp.causes(),
        vec!["login: An object with this field already exists in the current organization"]
    );
}

#[tokio::test]
async fn missing_or_invalid_profile_fields_are_reported_as_causes() {
    let t = spawn().await;
    let resp = t
        .post(
            "/api/v1/users",
            json!({"profile": {"email": "not-an-email", "login": "x"}}),
        )
        .await;
    resp.assert_error(400, "E0000001", "Api validation failed: login");
    assert_eq!(
        resp.causes(),
        vec![
            "login: The field must be between 5 and 100 characters",
            "email: Does not match required pattern",
            "firstName: The field cannot be left blank",
            "lastName: The field cannot be left blank",
        ]
    );
    let no_profile = t.post("/api/v1/users", json!({})).await;
    assert_eq!(no_profile.status, 400);
    assert_eq!(no_profile.json()["errorCode"], "E0000001");
}

#[tokio::test]
async fn a_password_that_breaks_the_policy_is_refused_at_creation() {
    let t = spawn().await;
    let mut body = new_user("weak@example.com");
    body["credentials"] = json!({"password": {"value": "short"}});
    let resp = t.post("/api/v1/users", body).await;
    resp.assert_error(400, "E0000001", "Api validation failed: password");
    assert_eq!(
        resp.causes(),
        vec![
            "password: Password requirements were not met. Password requirements: at least 8 characters, a lowercase letter, an uppercase letter, a number, no parts of your username. Your password cannot be any of your last 4 passwords."
        ]
    );
    assert!(t.handle().user("weak@example.com").is_none());
}

#[tokio::test]
async fn creating_a_user_in_groups_adds_the_memberships() {
    let t = spawn().await;
    let mut body = new_user("grouped@example.com");
    body["groupIds"] = json!([demo::HR_GROUP_ID]);
    let u = t
        .post("/api/v1/users?activate=false", body.clone())
        .await
        .json();
    assert!(
        t.handle()
            .group_member_ids(demo::HR_GROUP_ID)
            .contains(&u["id"].as_str().unwrap_or_default().to_string())
    );
    body["profile"]["login"] = json!("grouped2@example.com");
    body["groupIds"] = json!(["00gnope00000000000000"]);
    let bad = t.post("/api/v1/users", body).await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["errorCode"], "E0000001");
}

#[tokio::test]
async fn a_user_is_found_by_id_login_shortname_or_me() {
    let t = spawn().await;
    for key in [
        demo::JORDAN_ID,
        "jordan.lee@example.com",
        "Jordan.Lee%40Example.com",
        "jordan.lee",
    ] {
        let resp = t.get(&format!("/api/v1/users/{key}")).await;
        assert_eq!(resp.status, 200, "{key}");
        assert_eq!(resp.json()["id"], demo::JORDAN_ID, "{key}");
        assert!(resp.header("etag").is_some_and(|e| e.starts_with("W/\"")));
    }
}

#[tokio::test]
async fn an_unknown_user_gets_404_e0000007_naming_the_input() {
    let t = spawn().await;
    let resp = t.get("/api/v1/users/nobody%40example.com").await;
    resp.assert_error(
        404,
        "E0000007",
        "Not found: Resource not found: nobody@example.com (User)",
    );
}

#[tokio::test]
async fn an_ambiguous_shortname_is_not_found() {
    let t = spawn().await;
    let h = t.handle();
    h.seed_user(UserSeed::new("sam@one.example.com", "Sam", "One"));
    h.seed_user(UserSeed::new("sam@two.example.com", "Sam", "Two"));
    assert_eq!(t.get("/api/v1/users/sam").await.status, 404);
    assert_eq!(t.get("/api/v1/users/sam@two.example.com").await.status, 200);
}

#[tokio::test]
async fn a_partial_update_changes_only_the_given_fields() {
    let t = spawn().await;
    let resp = t
        .post(
            &format!("/api/v1/users/{}", demo::JORDAN_ID),
            json!({"profile": {"lastName": "Lee-Smith", "secondEmail": "jls@example.org"}}),
        )
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text);
    let u = resp.json();
    assert_eq!(u["profile"]["lastName"], "Lee-Smith");
    assert_eq!(u["profile"]["firstName"], "Jordan");
    assert_eq!(u["profile"]["mobilePhone"], "+1-555-123-4567");
    assert_eq!(u["profile"]["secondEmail"], "jls@example.org");
    assert_ne!(u["lastUpdated"], "2024-05-20T08:12:00.000Z");
    let events = t.handle().log_events();
    let last = events.last().expect("an event");
    assert_eq!(last["eventType"], "user.account.update_profile");
    assert_eq!(last["target"][0]["id"], demo::JORDAN_ID);
}

#[tokio::test]
async fn a_full_replace_deletes_fields_left_out() {
    let t = spawn().await;
    let resp = t
        .put(
            &format!("/api/v1/users/{}", demo::JORDAN_ID),
            Some(json!({"profile": {"firstName": "Jordan", "lastName": "Lee",
                         "email": "jordan.lee@example.com", "login": "jordan.lee@example.com"}})),
        )
        .await;
    assert_eq!(resp.status, 200);
    assert_eq!(
        resp.json()["profile"]["mobilePhone"],
        serde_json::Value::Null
    );
    let missing = t
        .put(
            &format!("/api/v1/users/{}", demo::JORDAN_ID),
            Some(json!({"profile": {"firstName": "Jordan"}})),
        )
        .await;
    assert_eq!(missing.status, 400);
    assert_eq!(missing.json()["errorCode"], "E0000001");
}

#[tokio::test]
async fn changing_a_login_moves_the_lookup_and_refuses_a_taken_one() {
    let t = spawn().await;
    let taken = t
        .post(
            &format!("/api/v1/users/{}", demo::JORDAN_ID),
            json!({"profile": {"login": "priya.sharma@example.com"}}),
        )
        .await;
    taken.assert_error(400, "E0000001", "Api validation failed: login");
    let moved = t
        .post(
            &format!("/api/v1/users/{}", demo::JORDAN_ID),
            json!({"profile": {"login": "jordan.l@example.com"}}),
        )
        .await;
    assert_eq!(moved.status, 200);
    assert_eq!(
        t.get("/api/v1/users/jordan.lee@example.com").await.status,
        404
    );
    assert_eq!(
        t.get("/api/v1/users/jordan.l@example.com").await.status,
        200
    );
    t.handle().verify_indexes().expect("indexes consistent");
}

#[tokio::test]
async fn an_admin_can_set_a_password_with_an_update() {
    let t = spawn().await;
    let resp = t
        .post(
            &format!("/api/v1/users/{}", demo::PRIYA_ID),
            json!({"credentials": {"password": {"value": "N3w-Admin-Set-Pw"}}}),
        )
        .await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.json()["credentials"]["password"], json!({}));
    assert_okta_ts(&resp.json()["passwordChanged"]);
    let weak = t
        .post(
            &format!("/api/v1/users/{}", demo::PRIYA_ID),
            json!({"credentials": {"password": {"value": "password"}}}),
        )
        .await;
    weak.assert_error(400, "E0000001", "Api validation failed: password");
    assert_eq!(
        weak.causes(),
        vec![
            "password: This password was found in a list of commonly used passwords. Please try another password."
        ]
    );
}

#[tokio::test]
async fn a_deprovisioned_user_cannot_be_updated() {
    let t = spawn().await;
    t.post_empty(&format!(
        "/api/v1/users/{}/lifecycle/deactivate",
        demo::PRIYA_ID
    ))
    .await;
    let resp = t
        .post(
            &format!("/api/v1/users/{}", demo::PRIYA_ID),
            json!({"profile": {"lastName": "X"}}),
        )
        .await;
    resp.assert_error(
        403,
        "E0000038",
        "This operation is not allowed in the user's current status.",
    );
}

#[tokio::test]
async fn listing_users_hides_deprovisioned_ones_unless_searching() {
    let t = spawn().await;
    t.post_empty(&format!(
        "/api/v1/users/{}/lifecycle/deactivate",
        demo::PRIYA_ID
    ))
    .await;
    let plain = t.get("/api/v1/users").await;
    let body = plain.json();
    let ids: Vec<String> = body
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|u| u["id"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    assert!(ids.contains(&demo::JORDAN_ID.to_string()));
    assert!(!ids.contains(&demo::PRIYA_ID.to_string()));
    // Collection entries carry only the self link.
    let first = &plain.json()[0];
    assert_eq!(first["_links"].as_object().map(|m| m.len()), Some(1));

    let search = t
        .get("/api/v1/users?search=status%20eq%20%22DEPROVISIONED%22")
        .await;
    assert_eq!(search.json().as_array().map(Vec::len), Some(1));
    assert_eq!(search.json()[0]["id"], demo::PRIYA_ID);
    let filter = t
        .get("/api/v1/users?filter=status%20eq%20%22DEPROVISIONED%22")
        .await;
    assert_eq!(filter.json()[0]["id"], demo::PRIYA_ID);
}

#[tokio::test]
async fn search_supports_login_email_and_status_case_insensitively() {
    let t = spawn().await;
    let by_login = t
        .get("/api/v1/users?search=profile.login%20eq%20%22JORDAN.LEE%40example.com%22")
        .await;
    assert_eq!(by_login.json().as_array().map(Vec::len), Some(1));
    assert_eq!(by_login.json()[0]["id"], demo::JORDAN_ID);
    let by_email = t
        .get("/api/v1/users?search=profile.email%20eq%20%22priya.sharma%40example.com%22")
        .await;
    assert_eq!(by_email.json()[0]["id"], demo::PRIYA_ID);
    let combined = t
        .get("/api/v1/users?search=status%20eq%20%22active%22%20and%20profile.lastName%20sw%20%22Sh%22")
        .await;
    assert_eq!(combined.json().as_array().map(Vec::len), Some(1));
    let co = t
        .get("/api/v1/users?search=profile.email%20co%20%22example%22")
        .await;
    assert_eq!(
        co.json().as_array().map(Vec::len),
        Some(6),
        "every demo user"
    );
}

#[tokio::test]
async fn a_plus_in_a_query_is_read_as_a_space_unless_encoded() {
    let t = spawn().await;
    t.handle()
        .seed_user(UserSeed::new("a+b@example.com", "Plus", "Sign"));
    let encoded = t
        .get("/api/v1/users?search=profile.login%20eq%20%22a%2Bb%40example.com%22")
        .await;
    assert_eq!(encoded.json().as_array().map(Vec::len), Some(1));
    let raw_plus = t
        .get("/api/v1/users?search=profile.login%20eq%20%22a+b%40example.com%22")
        .await;
    assert_eq!(raw_plus.json().as_array().map(Vec::len), Some(0));
}

/// `GET /api/v1/users?{param}=…` with the expression percent-encoded.
fn users_where(param: &str, expression: &str) -> String {
    let encoded: String = url::form_urlencoded::byte_serialize(expression.as_bytes()).collect();
    format!("/api/v1/users?{param}={encoded}")
}

#[tokio::test]
async fn filter_compares_logins_and_emails_exactly_where_search_ignores_case() {
    let t = spawn().await;
    let count = |resp: crate::helpers::Resp| resp.json().as_array().map(Vec::len);
    for attribute in ["profile.login", "profile.email"] {
        let exact = format!(r#"{attribute} eq "jordan.lee@example.com""#);
        let other_case = format!(r#"{attribute} eq "Jordan.Lee@Example.com""#);
        assert_eq!(count(t.get(&users_where("filter", &exact)).await), Some(1));
        // Okta's filter is case-sensitive for values (its support article "Case sensitivity
        // in Okta Users API filter vs search"); search is not.
        assert_eq!(
            count(t.get(&users_where("filter", &other_case)).await),
            Some(0)
        );
        assert_eq!(
            count(t.get(&users_where("search", &other_case)).await),
            Some(1)
        );
    }
}

#[tokio::test]
async fn a_quote_or_backslash_escaped_in_a_filter_string_is_matched_literally() {
    let t = spawn().await;
    // A quoted local part: the only place an email address may hold `"` and `\`.
    let email = r#""o\"neil\\x"@example.com"#;
    let odd = t.handle().seed_user(UserSeed {
        email: email.into(),
        ..UserSeed::new("oneil@example.com", "Pat", "O'Neil")
    });
    let found = t
        .get(&users_where(
            "filter",
            r#"profile.email eq "\"o\\\"neil\\\\x\"@example.com""#,
        ))
        .await;
    assert_eq!(found.status, 200, "{}", found.text);
    assert_eq!(found.json().as_array().map(Vec::len), Some(1));
    assert_eq!(found.json()[0]["id"], odd["id"]);
    assert_eq!(found.json()[0]["profile"]["email"], email);
    // Unescaped, the first quote ends the string: Okta cannot parse the rest.
    t.get(&users_where(
        "filter",
        &format!("profile.email eq \"{email}\""),
    ))
    .await
    .assert_error(400, "E0000031", "Invalid search criteria.");
}

#[tokio::test]
async fn filter_is_case_sensitive_and_limited_to_okta_s_properties() {
    let t = spawn().await;
    let exact = t
        .get("/api/v1/users?filter=profile.login%20eq%20%22jordan.lee%40example.com%22")
        .await;
    assert_eq!(exact.json().as_array().map(Vec::len), Some(1));
    let wrong_case = t
        .get("/api/v1/users?filter=status%20eq%20%22active%22")
        .await;
    assert_eq!(wrong_case.json().as_array().map(Vec::len), Some(0));
    let unsupported = t
        .get("/api/v1/users?filter=profile.mobilePhone%20eq%20%22x%22")
        .await;
    unsupported.assert_error(400, "E0000031", "Invalid search criteria.");
    let bad = t
        .get("/api/v1/users?search=profile.login%20eqq%20%22x%22")
        .await;
    bad.assert_error(400, "E0000031", "Invalid search criteria.");
    let both = t
        .get("/api/v1/users?q=jo&filter=status%20eq%20%22ACTIVE%22")
        .await;
    both.assert_error(
        400,
        "E0000033",
        "Bad request. Can't specify a search query and filter in the same request.",
    );
}

#[tokio::test]
async fn q_matches_name_or_email_prefixes_without_paging() {
    let t = spawn().await;
    t.handle().seed_users(30);
    let resp = t.get("/api/v1/users?q=bulk").await;
    assert_eq!(
        resp.json().as_array().map(Vec::len),
        Some(10),
        "q defaults to 10"
    );
    assert_eq!(resp.next_link(), None, "q does not page");
    let pri = t.get("/api/v1/users?q=pri").await;
    assert_eq!(pri.json()[0]["id"], demo::PRIYA_ID);
    let limited = t.get("/api/v1/users?q=bulk&limit=25").await;
    assert_eq!(limited.json().as_array().map(Vec::len), Some(25));
}

#[tokio::test]
async fn the_groups_of_a_user_are_listed() {
    let t = spawn().await;
    let resp = t
        .get(&format!("/api/v1/users/{}/groups", demo::JORDAN_ID))
        .await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.json()[0]["id"], demo::ENGINEERING_GROUP_ID);
}
