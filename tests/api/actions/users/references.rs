//! User references: ids and logins, and where they reach Okta.

use super::*;

// ---------------------------------------------------------------------------------------------
// User references
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn lifecycle_actions_resolve_a_login_to_the_id_they_answer_and_use_an_id_as_is() {
    let app = spawn_with_account().await;
    let by_login = app
        .action("suspend_user", json!({"userId": JORDAN_LOGIN}))
        .await;
    assert_eq!(
        ok(&by_login),
        &json!({"status": 200, "message": "User successfully suspended.", "userId": JORDAN_ID, "userStatus": "SUSPENDED"})
    );
    assert_eq!(
        app.okta_calls(),
        [
            format!("GET {}", user_path(JORDAN_LOGIN_SEGMENT)),
            format!("POST {}/lifecycle/suspend", user_path(JORDAN_ID)),
        ]
    );

    app.forget_requests();
    let by_id = app
        .action("unsuspend_user", json!({"userId": JORDAN_ID}))
        .await;
    ok(&by_id);
    assert_eq!(
        app.okta_calls(),
        [format!("POST {}/lifecycle/unsuspend", user_path(JORDAN_ID))]
    );
}

#[tokio::test]
async fn logins_with_special_characters_reach_exactly_their_user() {
    let app = spawn_with_account().await;
    let cases = [
        ("a+b@x.io", None),
        ("a#b@x.io", None),
        (
            "a/b@x.io",
            Some("search=profile.login+eq+%22a%2Fb%40x.io%22&limit=2"),
        ),
        (
            "x?y@x.io",
            Some("search=profile.login+eq+%22x%3Fy%40x.io%22&limit=2"),
        ),
    ];
    for (login, search) in cases {
        let id = seed(&app, login, "ACTIVE");
        app.forget_requests();
        let response = app.action("suspend_user", json!({"userId": login})).await;

        ok(&response);
        assert_eq!(status_in_okta(&app, &id), "SUSPENDED", "{login}");
        let calls = app.okta_calls();
        match search {
            // Okta's path cannot carry these: resolved with one search, then the id.
            Some(query) => assert_eq!(
                calls,
                [
                    format!("GET /api/v1/users?{query}"),
                    format!("POST {}/lifecycle/suspend", user_path(&id)),
                ],
                "{login}"
            ),
            None => {
                let segment = match login {
                    "a+b@x.io" => "a%2Bb%40x.io",
                    _ => "a%23b%40x.io",
                };
                assert_eq!(
                    calls,
                    [
                        format!("GET {}", user_path(segment)),
                        format!("POST {}/lifecycle/suspend", user_path(&id)),
                    ],
                    "{login}"
                );
            }
        }
    }
    // Nobody else was touched.
    assert_eq!(status_in_okta(&app, JORDAN_ID), "ACTIVE");
    assert_eq!(status_in_okta(&app, PRIYA_ID), "ACTIVE");
}

/// Every action taking a user reference, with a body around the reference.
fn reference_bodies(reference: &str) -> Vec<(&'static str, Value)> {
    vec![
        (
            "get_user",
            json!({"searchBy": "id", "searchValue": reference}),
        ),
        (
            "get_user",
            json!({"searchBy": "login", "searchValue": reference}),
        ),
        (
            "update_user",
            json!({"userIdOrLogin": reference, "firstName": "X"}),
        ),
        (
            "delete_user",
            json!({"userIdOrLogin": reference, "dryRun": true}),
        ),
        ("delete_user", json!({"userIdOrLogin": reference})),
        ("activate_user", json!({"userId": reference})),
        (
            "deactivate_user",
            json!({"userId": reference, "dryRun": true}),
        ),
        ("deactivate_user", json!({"userId": reference})),
        ("suspend_user", json!({"userId": reference})),
        ("unsuspend_user", json!({"userId": reference})),
        ("unlock_user", json!({"userId": reference})),
        ("reset_password", json!({"userId": reference})),
        ("expire_password", json!({"userId": reference})),
        (
            "expire_password",
            json!({"userId": reference, "tempPassword": false}),
        ),
        (
            "clear_user_sessions",
            json!({"userId": reference, "dryRun": true}),
        ),
        ("clear_user_sessions", json!({"userId": reference})),
        (
            "reset_all_factors",
            json!({"userId": reference, "dryRun": true}),
        ),
        ("reset_all_factors", json!({"userId": reference})),
        (
            "change_password",
            json!({"userId": reference, "oldPassword": {"value": "Old-Passw0rd"}, "newPassword": {"value": "N3w-Passw0rd"}}),
        ),
    ]
}

#[tokio::test]
async fn user_references_never_reach_another_okta_endpoint() {
    let app = spawn_with_account().await;
    // (reference, how it must appear when it is the user segment). A login with `/` or `?`
    // is only put in the path by get_user with searchBy "id"; elsewhere it is searched.
    let references = [
        ("a/b@x.io", "a%2Fb%40x.io"),
        ("x?y@x.io", "x%3Fy%40x.io"),
        ("a#b@x.io", "a%23b%40x.io"),
        ("a+b@x.io", "a%2Bb%40x.io"),
        ("%2e%2e", "%252e%252e"),
        ("..%2F..%2Fgroups", "..%252F..%252Fgroups"),
        (
            "../../groups/00g1emaKYZTWRYYRRTSK",
            "..%2F..%2Fgroups%2F00g1emaKYZTWRYYRRTSK",
        ),
        ("a b@x.io", "a%20b%40x.io"),
    ];
    for login in ["a/b@x.io", "x?y@x.io", "a#b@x.io", "a+b@x.io"] {
        seed(&app, login, "STAGED");
    }
    for (reference, segment) in references {
        for (action, body) in reference_bodies(reference) {
            app.forget_requests();
            let response = app.action(action, body.clone()).await;
            assert!(
                (200..500).contains(&response.status) && response.json.is_object(),
                "{action} {body}: {} {}",
                response.status,
                response.text
            );
            for call in sent(&app) {
                let context = format!("{action} {body}: {} {:?}", call.path, call.query);
                if call.path == "/api/v1/users" {
                    // Resolved through a search on the exact login.
                    assert_eq!(call.method, "GET", "{context}");
                    let search: Vec<String> =
                        url::form_urlencoded::parse(call.query.as_deref().unwrap_or("").as_bytes())
                            .filter(|(k, _)| k == "search")
                            .map(|(_, v)| v.into_owned())
                            .collect();
                    assert_eq!(
                        search,
                        [format!("profile.login eq \"{reference}\"")],
                        "{context}"
                    );
                    continue;
                }
                let rest = call
                    .path
                    .strip_prefix("/api/v1/users/")
                    .unwrap_or_else(|| panic!("left the users API: {context}"));
                let (first, tail) = rest.split_once('/').unwrap_or((rest, ""));
                let is_id = first.len() == 20 && first.starts_with("00u");
                assert!(
                    first == segment || is_id,
                    "the reference is not one encoded segment: {context}"
                );
                assert!(
                    [
                        "",
                        "lifecycle/activate",
                        "lifecycle/deactivate",
                        "lifecycle/suspend",
                        "lifecycle/unsuspend",
                        "lifecycle/unlock",
                        "lifecycle/reset_password",
                        "lifecycle/expire_password_with_temp_password",
                        "lifecycle/expire_password",
                        "lifecycle/reset_factors",
                        "credentials/change_password",
                        "sessions",
                        "factors",
                    ]
                    .contains(&tail),
                    "{context}"
                );
            }
        }
    }
    assert_eq!(status_in_okta(&app, JORDAN_ID), "ACTIVE");
    assert!(app.sim.handle().group("00g1emaKYZTWRYYRRTSK").is_some());
}

#[tokio::test]
async fn dot_segments_and_blank_references_are_refused_before_any_call() {
    let app = spawn_with_account().await;
    for reference in [".", "..", " "] {
        for (action, body) in reference_bodies(reference) {
            let response = app.action(action, body.clone()).await;
            let error = response.assert_error("INVALID_FIELD_VALUE", 400);
            let field = if action == "get_user" {
                "searchValue"
            } else if action == "update_user" || action == "delete_user" {
                "userIdOrLogin"
            } else {
                "userId"
            };
            assert_eq!(
                error["details"]["fields"],
                json!([{"field": field, "problem": "must be an Okta id or login"}]),
                "{action} {body}"
            );
        }
    }
    assert!(app.okta_calls().is_empty(), "{:?}", app.okta_calls());
}
