//! Apps: the seeded sign-on modes, listing and paging, assignment and unassignment, and a
//! user's app links.

use okta_sim::{AppSeed, demo};
use serde_json::json;

use crate::helpers::{assert_okta_ts, spawn};

#[tokio::test]
async fn the_demo_saml_app_has_okta_s_app_shape() {
    let t = spawn().await;
    let resp = t.get(&format!("/api/v1/apps/{}", demo::SAML_APP_ID)).await;
    assert_eq!(resp.status, 200);
    let a = resp.json();
    assert_eq!(a["id"], demo::SAML_APP_ID);
    assert_eq!(a["name"], "template_saml_2_0");
    assert_eq!(a["label"], "Sample SAML App");
    assert_eq!(a["status"], "ACTIVE");
    assert_eq!(a["signOnMode"], "SAML_2_0");
    assert_eq!(a["created"], "2023-06-01T08:00:00.000Z");
    assert_eq!(a["lastUpdated"], "2024-05-15T10:00:00.000Z");
    assert_eq!(
        a["settings"]["app"],
        json!({"audienceRestriction": "https://www.example.com/audience",
               "postBackURL": "https://www.example.com/sso/saml"})
    );
    assert!(a["settings"]["signOn"]["ssoAcsUrl"].is_string());
    assert_eq!(a["credentials"]["userNameTemplate"]["type"], "BUILT_IN");
    assert_eq!(
        a["_links"]["users"]["href"],
        format!("{}/api/v1/apps/{}/users", t.base(), demo::SAML_APP_ID)
    );
    assert!(a["_links"]["metadata"]["href"].is_string());
}

#[tokio::test]
async fn the_demo_org_has_apps_of_several_sign_on_modes() {
    let t = spawn().await;
    let resp = t.get("/api/v1/apps").await;
    let modes: Vec<String> = resp
        .json()
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x["signOnMode"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    for mode in ["SAML_2_0", "BOOKMARK", "OPENID_CONNECT", "AUTO_LOGIN"] {
        assert!(modes.contains(&mode.to_string()), "{mode} in {modes:?}");
    }
    let oidc = t
        .get(&format!("/api/v1/apps/{}", demo::OIDC_APP_ID))
        .await
        .json();
    assert_eq!(oidc["name"], "oidc_client");
    assert!(oidc["settings"]["oauthClient"]["redirect_uris"].is_array());
    let bookmark = t
        .get(&format!("/api/v1/apps/{}", demo::BOOKMARK_APP_ID))
        .await
        .json();
    assert_eq!(bookmark["name"], "bookmark");
    assert!(bookmark["settings"]["app"]["url"].is_string());
}

#[tokio::test]
async fn an_unknown_app_gets_404_naming_app_instance() {
    let t = spawn().await;
    t.get("/api/v1/apps/0oamissing0000000000")
        .await
        .assert_error(
            404,
            "E0000007",
            "Not found: Resource not found: 0oamissing0000000000 (AppInstance)",
        );
}

#[tokio::test]
async fn apps_page_with_limit_and_link_headers() {
    let t = spawn().await;
    for i in 0..3 {
        t.handle()
            .seed_app(AppSeed::new(&format!("Extra {i}"), "BOOKMARK"));
    }
    let first = t.get("/api/v1/apps?limit=2").await;
    assert_eq!(first.json().as_array().map(Vec::len), Some(2));
    assert_eq!(first.links().len(), 2);
    let (all, pages) = t.collect_pages("/api/v1/apps?limit=2").await;
    assert_eq!(all.len(), 7);
    assert_eq!(pages, 4);
    let q = t.get("/api/v1/apps?q=extra").await;
    assert_eq!(q.json().as_array().map(Vec::len), Some(3));
    let filtered = t
        .get(&format!(
            "/api/v1/apps?filter=user.id%20eq%20%22{}%22",
            demo::PRIYA_ID
        ))
        .await;
    assert_eq!(filtered.json().as_array().map(Vec::len), Some(1));
    assert_eq!(filtered.json()[0]["id"], demo::BOOKMARK_APP_ID);
}

#[tokio::test]
async fn assigning_a_user_returns_the_app_user() {
    let t = spawn().await;
    let resp = t
        .post(
            &format!("/api/v1/apps/{}/users", demo::OIDC_APP_ID),
            json!({"id": demo::PRIYA_ID, "scope": "USER"}),
        )
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text);
    let au = resp.json();
    assert_eq!(au["id"], demo::PRIYA_ID);
    assert_eq!(au["scope"], "USER");
    assert_eq!(au["status"], "ACTIVE");
    assert_eq!(au["syncState"], "DISABLED");
    assert_eq!(au["credentials"], json!({"userName": demo::PRIYA_LOGIN}));
    assert_okta_ts(&au["created"]);
    assert_okta_ts(&au["statusChanged"]);
    assert_eq!(
        au["_links"]["app"]["href"],
        format!("{}/api/v1/apps/{}", t.base(), demo::OIDC_APP_ID)
    );
    assert_eq!(
        t.handle().app_user_ids(demo::OIDC_APP_ID),
        vec![demo::PRIYA_ID.to_string()]
    );
    let event = t.handle().log_events().last().cloned().expect("event");
    assert_eq!(event["eventType"], "application.user_membership.add");
    assert_eq!(event["target"][1]["type"], "AppInstance");
}

#[tokio::test]
async fn assigning_twice_gets_409_e0000062() {
    let t = spawn().await;
    t.post(
        &format!("/api/v1/apps/{}/users", demo::SAML_APP_ID),
        json!({"id": demo::JORDAN_ID}),
    )
    .await
    .assert_error(
        409,
        "E0000062",
        "The specified user is already assigned to the application.",
    );
}

#[tokio::test]
async fn assigning_needs_an_existing_user_id_and_app() {
    let t = spawn().await;
    t.post(
        &format!("/api/v1/apps/{}/users", demo::OIDC_APP_ID),
        json!({"id": "00unobody000000000000"}),
    )
    .await
    .assert_error(
        404,
        "E0000007",
        "Not found: Resource not found: 00unobody000000000000 (User)",
    );
    t.post(
        "/api/v1/apps/0oamissing0000000000/users",
        json!({"id": demo::JORDAN_ID}),
    )
    .await
    .assert_error(
        404,
        "E0000007",
        "Not found: Resource not found: 0oamissing0000000000 (AppInstance)",
    );
    let no_id = t
        .post(
            &format!("/api/v1/apps/{}/users", demo::OIDC_APP_ID),
            json!({}),
        )
        .await;
    no_id.assert_error(400, "E0000001", "Api validation failed: id");
}

#[tokio::test]
async fn passwords_are_only_accepted_by_apps_whose_scheme_stores_them() {
    let t = spawn().await;
    let refused = t
        .post(
            &format!("/api/v1/apps/{}/users", demo::OIDC_APP_ID),
            json!({"id": demo::PRIYA_ID, "credentials": {"userName": "p", "password": {"value": "x"}}}),
        )
        .await;
    refused.assert_error(
        400,
        "E0000041",
        "Credentials should not be set on this resource based on the scheme.",
    );
    let swa = t
        .post(
            &format!("/api/v1/apps/{}/users", demo::SWA_APP_ID),
            json!({"id": demo::PRIYA_ID, "credentials": {"userName": "priya", "password": {"value": "secret"}}}),
        )
        .await;
    assert_eq!(swa.status, 200);
    assert_eq!(
        swa.json()["credentials"],
        json!({"userName": "priya", "password": {}})
    );
    assert!(!swa.text.contains("secret"));
    assert_okta_ts(&swa.json()["passwordChanged"]);
}

#[tokio::test]
async fn app_users_are_listed_with_paging_and_expand() {
    let t = spawn().await;
    let h = t.handle();
    for i in 0..4 {
        let u = h.seed_user(okta_sim::UserSeed::new(
            &format!("app{i}@example.com"),
            "App",
            "User",
        ));
        let id = u["id"].as_str().expect("id").to_string();
        let r = t
            .post(
                &format!("/api/v1/apps/{}/users", demo::BOOKMARK_APP_ID),
                json!({"id": id}),
            )
            .await;
        assert_eq!(r.status, 200);
    }
    let (all, pages) = t
        .collect_pages(&format!(
            "/api/v1/apps/{}/users?limit=2",
            demo::BOOKMARK_APP_ID
        ))
        .await;
    assert_eq!(all.len(), 6);
    assert_eq!(pages, 3);
    let expanded = t
        .get(&format!(
            "/api/v1/apps/{}/users?expand=user&q=jordan",
            demo::BOOKMARK_APP_ID
        ))
        .await;
    assert_eq!(expanded.json().as_array().map(Vec::len), Some(1));
    assert_eq!(
        expanded.json()[0]["_embedded"]["user"]["id"],
        demo::JORDAN_ID
    );
    let bad_limit = t
        .get(&format!(
            "/api/v1/apps/{}/users?limit=501",
            demo::BOOKMARK_APP_ID
        ))
        .await;
    assert_eq!(bad_limit.status, 400);
    let one = t
        .get(&format!(
            "/api/v1/apps/{}/users/{}",
            demo::SAML_APP_ID,
            demo::JORDAN_ID
        ))
        .await;
    assert_eq!(one.json()["credentials"]["userName"], demo::JORDAN_LOGIN);
    let with_user = t
        .get(&format!(
            "/api/v1/apps/{}?expand=user/{}",
            demo::SAML_APP_ID,
            demo::JORDAN_ID
        ))
        .await;
    assert_eq!(with_user.json()["_embedded"]["user"]["id"], demo::JORDAN_ID);
}

#[tokio::test]
async fn unassigning_answers_204_then_404() {
    let t = spawn().await;
    let path = format!(
        "/api/v1/apps/{}/users/{}",
        demo::SAML_APP_ID,
        demo::JORDAN_ID
    );
    let resp = t.delete(&path).await;
    assert_eq!(resp.status, 204);
    assert_eq!(resp.text, "");
    assert!(t.handle().app_user_ids(demo::SAML_APP_ID).is_empty());
    t.delete(&path).await.assert_error(
        404,
        "E0000007",
        &format!(
            "Not found: Resource not found: {} (AppUser)",
            demo::JORDAN_ID
        ),
    );
    assert_eq!(t.get(&path).await.status, 404);
    let event = t.handle().log_events().last().cloned().expect("event");
    assert_eq!(event["eventType"], "application.user_membership.remove");
}

#[tokio::test]
async fn seeding_an_app_validates_the_seed() {
    let t = spawn().await;
    let bad = t.handle().seed_app(AppSeed::new("X", "TELEPATHY"));
    assert!(
        bad["error"]
            .as_str()
            .is_some_and(|e| e.contains("signOnMode"))
    );
    let mut fixed = AppSeed::new("Fixed", "SECURE_PASSWORD_STORE");
    fixed.id = Some("0oaFIXEDid0000000001".into());
    fixed.settings = Some(json!({"app": {"url": "https://x.example.com"}}));
    let ok = t.handle().seed_app(fixed);
    assert_eq!(ok["id"], "0oaFIXEDid0000000001");
    assert_eq!(ok["name"], "template_sps");
    assert_eq!(ok["settings"]["app"]["url"], "https://x.example.com");
    assert_eq!(ok["settings"]["app"]["usernameField"], "#username");
}

// ---- a user's app links ----

fn app_links_path(user: &str) -> String {
    format!("/api/v1/users/{user}/appLinks")
}

#[tokio::test]
async fn a_users_app_links_have_okta_s_assigned_app_link_shape() {
    let t = spawn().await;
    let resp = t.get(&app_links_path(demo::JORDAN_ID)).await;
    assert_eq!(resp.status, 200, "{}", resp.text);
    let links = resp.json();
    let links = links.as_array().expect("an array");
    // Jordan is assigned the intranet and the SAML app, listed in app id order.
    assert_eq!(links.len(), 2);
    let intranet = &links[0];
    let id = intranet["id"].as_str().expect("an id");
    let assignment = intranet["appAssignmentId"].as_str().expect("an id");
    assert!(id.starts_with("auc") && id.len() == 20, "{id}");
    assert!(
        assignment.starts_with("0ua") && assignment.len() == 20,
        "{assignment}"
    );
    assert_eq!(
        *intranet,
        json!({
            "id": id,
            "label": "Company Intranet",
            "linkUrl": format!("{}/home/bookmark/{}/aln1simAPPLINK0000", t.base(), demo::BOOKMARK_APP_ID),
            "logoUrl": format!("{}/assets/img/logos/default.png", t.base()),
            "appName": "bookmark",
            "appInstanceId": demo::BOOKMARK_APP_ID,
            "appAssignmentId": assignment,
            "credentialsSetup": false,
            "hidden": false,
            "sortOrder": 0,
        })
    );
    assert_eq!(links[1]["appInstanceId"], demo::SAML_APP_ID);
    assert_eq!(links[1]["label"], "Sample SAML App");
    assert_eq!(links[1]["sortOrder"], 1);
    assert_ne!(links[1]["id"], intranet["id"]);

    // The same links keep their ids; another user's link to the same app has its own.
    assert_eq!(
        t.get(&app_links_path(demo::JORDAN_ID)).await.json(),
        resp.json()
    );
    let priya = t.get(&app_links_path(demo::PRIYA_ID)).await.json();
    assert_eq!(priya[0]["appInstanceId"], demo::BOOKMARK_APP_ID);
    assert_ne!(priya[0]["id"], intranet["id"]);
    assert_ne!(priya[0]["appAssignmentId"], intranet["appAssignmentId"]);
}

#[tokio::test]
async fn app_links_follow_assignments_and_leave_out_inactive_apps() {
    let t = spawn().await;
    let links = |resp: &crate::helpers::Resp| -> Vec<String> {
        resp.json()
            .as_array()
            .expect("an array")
            .iter()
            .map(|l| l["appInstanceId"].as_str().expect("an app id").to_owned())
            .collect()
    };
    assert_eq!(
        links(&t.get(&app_links_path(demo::SAM_ID)).await),
        Vec::<String>::new()
    );

    // A password-storing app whose password the assignment sets: credentials are set up.
    let assigned = t
        .post(
            &format!("/api/v1/apps/{}/users", demo::SWA_APP_ID),
            json!({"id": demo::SAM_ID, "credentials": {"userName": "sam", "password": {"value": "Payr0ll-Pass"}}}),
        )
        .await;
    assert_eq!(assigned.status, 200, "{}", assigned.text);
    let mut inactive = AppSeed::new("Retired Wiki", "BOOKMARK");
    inactive.status = Some("INACTIVE".into());
    let retired = t.handle().seed_app(inactive)["id"]
        .as_str()
        .expect("an app id")
        .to_owned();
    let assigned = t
        .post(
            &format!("/api/v1/apps/{retired}/users"),
            json!({"id": demo::SAM_ID}),
        )
        .await;
    assert_eq!(assigned.status, 200, "{}", assigned.text);

    let resp = t.get(&app_links_path(demo::SAM_ID)).await;
    assert_eq!(links(&resp), [demo::SWA_APP_ID]);
    assert_eq!(resp.json()[0]["credentialsSetup"], true);

    let gone = t
        .delete(&format!(
            "/api/v1/apps/{}/users/{}",
            demo::SWA_APP_ID,
            demo::SAM_ID
        ))
        .await;
    assert_eq!(gone.status, 204);
    assert_eq!(
        links(&t.get(&app_links_path(demo::SAM_ID)).await),
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn app_links_of_an_unknown_user_are_404_and_need_the_users_id() {
    let t = spawn().await;
    t.get(&app_links_path("00unobody000000000000"))
        .await
        .assert_error(
            404,
            "E0000007",
            "Not found: Resource not found: 00unobody000000000000 (User)",
        );
    // As for the user's groups, the simulator takes only the id here (NOTES §5).
    t.get(&app_links_path(demo::JORDAN_LOGIN))
        .await
        .assert_error(
            404,
            "E0000007",
            &format!(
                "Not found: Resource not found: {} (User)",
                demo::JORDAN_LOGIN
            ),
        );
}
