//! get_user and update_user: how a user is found and changed.

use super::*;

// ---------------------------------------------------------------------------------------------
// get_user
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn getting_a_user_by_id_returns_the_okta_user_shaped_as_the_sample() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "get_user",
            json!({"searchBy": "id", "searchValue": JORDAN_ID}),
        )
        .await;

    let body = ok(&response);
    assert_user_shape(body, &USER_KEYS);
    assert_eq!(body["id"], JORDAN_ID);
    assert_eq!(body["status"], "ACTIVE");
    assert_eq!(body["profile"]["login"], JORDAN_LOGIN);
    assert_eq!(body["profile"]["mobilePhone"], "+1-555-123-4567");
    assert_eq!(body["credentials"]["password"], json!({}));
    assert!(body.get("statusChanged").is_some(), "extra keys kept");

    let calls = sent(&app);
    assert_eq!(app.okta_calls(), [format!("GET {}", user_path(JORDAN_ID))]);
    // The answer is Okta's object minus `_links`, nothing else changed.
    let mut okta = answered_json(&calls[0]);
    assert!(okta.get("_links").is_some());
    okta.as_object_mut().expect("object").remove("_links");
    assert_eq!(body, &okta);
}

#[tokio::test]
async fn keys_okta_leaves_out_are_present_as_null() {
    let app = spawn_with_account().await;
    // Priya has no password: Okta's credentials carry no `password` member.
    let response = app
        .action(
            "get_user",
            json!({"searchBy": "id", "searchValue": PRIYA_ID}),
        )
        .await;

    let body = ok(&response);
    let okta = answered_json(&sent(&app)[0]);
    assert!(okta["credentials"].get("password").is_none(), "{okta}");
    assert_eq!(body["credentials"]["password"], Value::Null);
    assert_eq!(
        body["credentials"]["provider"],
        json!({"type": "OKTA", "name": "OKTA"})
    );
    assert_eq!(body["profile"]["login"], PRIYA_LOGIN);
}

#[tokio::test]
async fn getting_a_user_by_login_puts_the_login_in_the_path() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "get_user",
            json!({"searchBy": "login", "searchValue": JORDAN_LOGIN}),
        )
        .await;

    let body = ok(&response);
    assert_user_shape(body, &USER_KEYS);
    assert_eq!(body["id"], JORDAN_ID);
    assert_eq!(
        app.okta_calls(),
        [format!("GET {}", user_path(JORDAN_LOGIN_SEGMENT))]
    );
}

#[tokio::test]
async fn getting_an_unknown_user_is_a_user_not_found() {
    let app = spawn_with_account().await;
    for (by, value, segment) in [
        ("id", "00uNOSUCHUSER0000000", "00uNOSUCHUSER0000000"),
        ("login", "nobody@example.com", "nobody%40example.com"),
    ] {
        app.forget_requests();
        let response = app
            .action("get_user", json!({"searchBy": by, "searchValue": value}))
            .await;

        let error = assert_user_not_found(&response);
        assert_eq!(
            error["message"],
            format!("Okta: Not found: Resource not found: {value} (User)")
        );
        assert_eq!(error["details"]["okta"]["errorCode"], "E0000007");
        assert_eq!(app.okta_calls(), [format!("GET {}", user_path(segment))]);
    }
}

#[tokio::test]
async fn an_id_with_a_slash_or_question_mark_is_a_user_not_found_without_a_call() {
    let app = spawn_with_account().await;
    for value in ["00u/../../groups", "00u?limit=1"] {
        let response = app
            .action("get_user", json!({"searchBy": "id", "searchValue": value}))
            .await;
        assert_user_not_found(&response);
    }
    assert!(app.okta_calls().is_empty(), "{:?}", app.okta_calls());
}

#[tokio::test]
async fn a_login_with_a_slash_or_question_mark_is_found_with_one_search_query() {
    let app = spawn_with_account().await;
    for (login, query) in [
        (
            "a/b@x.io",
            "search=profile.login+eq+%22a%2Fb%40x.io%22&limit=2",
        ),
        (
            "x?y@x.io",
            "search=profile.login+eq+%22x%3Fy%40x.io%22&limit=2",
        ),
    ] {
        let id = seed(&app, login, "ACTIVE");
        app.forget_requests();
        let response = app
            .action(
                "get_user",
                json!({"searchBy": "login", "searchValue": login}),
            )
            .await;

        let body = ok(&response);
        assert_eq!(body["id"], id.as_str());
        assert_eq!(body["profile"]["login"], login);
        assert_user_shape(body, &USER_KEYS);
        assert_eq!(app.okta_calls(), [format!("GET /api/v1/users?{query}")]);
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        assert_eq!(
            pairs[0],
            ("search".to_owned(), format!("profile.login eq \"{login}\""))
        );
    }
}

#[tokio::test]
async fn a_login_with_a_slash_that_nobody_has_is_a_user_not_found() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "get_user",
            json!({"searchBy": "login", "searchValue": "no/body@x.io"}),
        )
        .await;

    assert_user_not_found(&response);
    assert_eq!(
        app.okta_calls(),
        ["GET /api/v1/users?search=profile.login+eq+%22no%2Fbody%40x.io%22&limit=2"]
    );
}

#[tokio::test]
async fn quotes_in_a_searched_login_are_escaped() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "get_user",
            json!({"searchBy": "login", "searchValue": "a\"/b@x.io"}),
        )
        .await;

    assert_user_not_found(&response);
    let calls = sent(&app);
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].path, "/api/v1/users");
    let query = calls[0].query.as_deref().unwrap_or_default();
    let search: Vec<String> = url::form_urlencoded::parse(query.as_bytes())
        .filter(|(k, _)| k == "search")
        .map(|(_, v)| v.into_owned())
        .collect();
    assert_eq!(search, [r#"profile.login eq "a\"/b@x.io""#]);
}

#[tokio::test]
async fn search_by_must_be_id_or_login() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "get_user",
            json!({"searchBy": "email", "searchValue": JORDAN_LOGIN}),
        )
        .await;
    let error = response.assert_error("INVALID_FIELD_VALUE", 400);
    assert_eq!(
        error["details"]["fields"],
        json!([{"field": "searchBy", "problem": "must be one of: id, login"}])
    );

    let missing = app.action("get_user", json!({})).await;
    missing.assert_error("INVALID_FIELD_VALUE", 400);
    assert_eq!(missing.bad_fields(), ["searchBy", "searchValue"]);

    let mistyped = app
        .action("get_user", json!({"searchBy": "id", "searchValue": 42}))
        .await;
    mistyped.assert_error("INVALID_FIELD_VALUE", 400);
    assert_eq!(mistyped.bad_fields(), ["searchValue"]);
    assert!(app.okta_calls().is_empty(), "{:?}", app.okta_calls());
}

// ---------------------------------------------------------------------------------------------
// update_user
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn updating_a_user_sends_and_changes_only_the_given_fields() {
    let app = spawn_with_account().await;
    let before = app.sim.handle().user(JORDAN_ID).expect("Jordan");
    let response = app
        .action(
            "update_user",
            json!({"userIdOrLogin": JORDAN_ID, "lastName": "Lee-Smith", "secondEmail": "jordan.alt@example.com"}),
        )
        .await;

    let body = ok(&response);
    assert_user_shape(body, &["id", "status", "created", "lastUpdated", "profile"]);
    assert_eq!(body["profile"]["lastName"], "Lee-Smith");
    assert_eq!(body["profile"]["secondEmail"], "jordan.alt@example.com");
    assert_eq!(body["profile"]["firstName"], "Jordan");

    let calls = sent(&app);
    assert_eq!(app.okta_calls(), [format!("POST {}", user_path(JORDAN_ID))]);
    assert_eq!(
        sent_json(&calls[0]),
        json!({"profile": {"lastName": "Lee-Smith", "secondEmail": "jordan.alt@example.com"}})
    );
    let after = app.sim.handle().user(JORDAN_ID).expect("Jordan");
    assert_eq!(after["profile"]["lastName"], "Lee-Smith");
    assert_eq!(after["profile"]["secondEmail"], "jordan.alt@example.com");
    for unchanged in ["firstName", "email", "login", "mobilePhone"] {
        assert_eq!(
            after["profile"][unchanged], before["profile"][unchanged],
            "{unchanged}"
        );
    }
    assert_eq!(after["status"], "ACTIVE");
}

#[tokio::test]
async fn updating_a_user_by_login_puts_the_login_in_the_path() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "update_user",
            json!({"userIdOrLogin": JORDAN_LOGIN, "mobilePhone": "+1-555-999-8888"}),
        )
        .await;

    assert_eq!(ok(&response)["profile"]["mobilePhone"], "+1-555-999-8888");
    assert_eq!(
        app.okta_calls(),
        [format!("POST {}", user_path(JORDAN_LOGIN_SEGMENT))]
    );
    assert_eq!(
        sent_json(&sent(&app)[0]),
        json!({"profile": {"mobilePhone": "+1-555-999-8888"}})
    );
}

#[tokio::test]
async fn updating_a_user_whose_login_has_a_slash_resolves_it_first() {
    let app = spawn_with_account().await;
    let id = seed(&app, "a/b@x.io", "ACTIVE");
    app.forget_requests();
    let response = app
        .action(
            "update_user",
            json!({"userIdOrLogin": "a/b@x.io", "firstName": "Abe"}),
        )
        .await;

    assert_eq!(ok(&response)["profile"]["firstName"], "Abe");
    assert_eq!(
        app.okta_calls(),
        [
            "GET /api/v1/users?search=profile.login+eq+%22a%2Fb%40x.io%22&limit=2".to_owned(),
            format!("POST {}", user_path(&id)),
        ]
    );
}

#[tokio::test]
async fn updating_a_user_without_any_field_is_refused_before_okta() {
    let app = spawn_with_account().await;
    let response = app
        .action("update_user", json!({"userIdOrLogin": JORDAN_ID}))
        .await;

    let error = response.assert_error("INVALID_FIELD_VALUE", 400);
    assert_eq!(error["details"]["fields"][0]["field"], "body");
    let nulls = app
        .action(
            "update_user",
            json!({"userIdOrLogin": JORDAN_ID, "firstName": null}),
        )
        .await;
    nulls.assert_error("INVALID_FIELD_VALUE", 400);
    assert_eq!(nulls.bad_fields(), ["body"]);
    let bad = app
        .action(
            "update_user",
            json!({"firstName": "", "login": "new@example.com"}),
        )
        .await;
    bad.assert_error("INVALID_FIELD_VALUE", 400);
    assert_eq!(bad.bad_fields(), ["userIdOrLogin", "firstName", "login"]);
    assert!(app.okta_calls().is_empty(), "{:?}", app.okta_calls());
}

#[tokio::test]
async fn updating_an_unknown_user_is_a_user_not_found() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "update_user",
            json!({"userIdOrLogin": "nobody@example.com", "firstName": "No"}),
        )
        .await;

    assert_user_not_found(&response);
    assert_eq!(
        app.okta_calls(),
        [format!("POST {}", user_path("nobody%40example.com"))]
    );
}

#[tokio::test]
async fn an_update_okta_refuses_is_an_invalid_field_value() {
    let app = spawn_with_account().await;
    // A well-formed address Okta still refuses (its rules are stricter than the schema's).
    app.sim.handle().inject(Fault {
        method: Some("POST".into()),
        path: format!("/api/v1/users/{JORDAN_ID}"),
        count: 1,
        kind: FaultKind::Status {
            status: 400,
            error_code: "E0000001".into(),
            error_summary: "Api validation failed: email".into(),
        },
    });
    let response = app
        .action(
            "update_user",
            json!({"userIdOrLogin": JORDAN_ID, "email": "jordan@example.invalid"}),
        )
        .await;

    let error = response.assert_error("INVALID_FIELD_VALUE", 400);
    assert_eq!(error["details"]["okta"]["errorCode"], "E0000001");
    assert_eq!(
        error["details"]["okta"]["errorSummary"],
        "Api validation failed: email"
    );
    assert_eq!(app.okta_calls().len(), 1);
    assert_eq!(
        app.sim.handle().user(JORDAN_ID).expect("Jordan")["profile"]["email"],
        JORDAN_LOGIN
    );
}

#[tokio::test]
async fn email_addresses_are_checked_before_okta() {
    let app = spawn_with_account().await;
    for (field, value) in [
        ("email", "not-an-email"),
        ("email", "a b@example.com"),
        ("secondEmail", "two@@example.com"),
        ("secondEmail", "nodomain@localhost"),
    ] {
        let response = app
            .action(
                "update_user",
                json!({"userIdOrLogin": JORDAN_ID, field: value}),
            )
            .await;
        response.assert_error("INVALID_FIELD_VALUE", 400);
        assert_eq!(
            response.json["error"]["details"]["fields"],
            json!([{"field": field, "problem": "must be an email address such as jordan.lee@example.com"}]),
            "{value}"
        );
    }
    assert!(app.okta_calls().is_empty(), "{:?}", app.okta_calls());
}

#[tokio::test]
async fn updating_a_deactivated_user_is_an_invalid_state() {
    let app = spawn_with_account().await;
    let id = seed(&app, "gone@example.com", "DEPROVISIONED");
    app.forget_requests();
    let response = app
        .action(
            "update_user",
            json!({"userIdOrLogin": "gone@example.com", "firstName": "Back"}),
        )
        .await;

    assert_invalid_state_after(
        &app,
        &response,
        "DEPROVISIONED",
        "E0000038",
        format!("POST {}", user_path("gone%40example.com")),
        "gone%40example.com",
    );
    assert_eq!(
        app.sim.handle().user(&id).expect("still there")["profile"]["firstName"],
        "Sam"
    );
}
