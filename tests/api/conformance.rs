//! What schemathesis (`.ci/schemathesis`) found: input the published schemas allow is
//! accepted, and input the gateway refuses is refused by those schemas too, before any call
//! to Okta.

use serde_json::json;

use crate::helpers::spawn_with_account;

#[tokio::test]
async fn blank_dot_and_dot_dot_references_are_refused_by_the_schema_before_okta() {
    let app = spawn_with_account().await;
    for value in [" ", "\u{a0}", "\u{85}", "\t\n", ".", ".."] {
        let response = app
            .action("get_user", json!({"searchBy": "id", "searchValue": value}))
            .await;
        response.assert_error("INVALID_FIELD_VALUE", 400);
        assert_eq!(
            response.json["error"]["details"]["fields"],
            json!([{"field": "searchValue", "problem": "must be an Okta id or login"}]),
            "{value:?}"
        );
    }
    // Dots with more to them are ordinary (if unlikely) logins.
    let response = app
        .action(
            "get_user",
            json!({"searchBy": "login", "searchValue": "..."}),
        )
        .await;
    response.assert_error("RESOURCE_NOT_FOUND", 404);
    assert!(app.okta_calls().iter().all(|call| !call.ends_with("/.")));
}

#[tokio::test]
async fn a_reference_of_the_wrong_type_or_length_gets_one_plain_problem() {
    let app = spawn_with_account().await;
    for value in [json!(7), json!("x".repeat(257))] {
        let response = app
            .action("get_user", json!({"searchBy": "id", "searchValue": value}))
            .await;
        assert_eq!(
            response.json["error"]["details"]["fields"],
            json!([{"field": "searchValue", "problem": "must be a string of 1 to 256 characters"}])
        );
    }
    assert!(app.okta_calls().is_empty(), "{:?}", app.okta_calls());
}

#[tokio::test]
async fn blank_names_and_logins_with_white_space_at_either_end_are_refused_before_okta() {
    let app = spawn_with_account().await;
    let valid = json!({
        "firstName": "Alex", "lastName": "Kim", "email": "alex.kim@example.com",
        "login": "alex.kim@example.com"
    });
    let cases = [
        ("firstName", json!("\u{a0}"), "must not be blank"),
        ("lastName", json!("  "), "must not be blank"),
        (
            "login",
            json!(" alex.kim@example.com"),
            "must not start or end with white space",
        ),
        (
            "login",
            json!("alex.kim@example.com\u{85}"),
            "must not start or end with white space",
        ),
    ];
    for (field, value, problem) in cases {
        let mut body = valid.clone();
        body[field] = value.clone();
        let response = app.action("create_user", body).await;
        response.assert_error("INVALID_FIELD_VALUE", 400);
        assert_eq!(
            response.json["error"]["details"]["fields"],
            json!([{"field": field, "problem": problem}]),
            "{field}: {value}"
        );
    }
    let group = app.action("create_group", json!({"name": "\u{a0}"})).await;
    assert_eq!(
        group.json["error"]["details"]["fields"],
        json!([{"field": "name", "problem": "must not be blank"}])
    );
    assert!(app.okta_calls().is_empty(), "{:?}", app.okta_calls());
}

#[tokio::test]
async fn a_whole_number_written_as_a_float_is_the_integer_json_schema_says_it_is() {
    let app = spawn_with_account().await;
    let response = app
        .action("list_groups", json!({"q": "Eng", "limit": 2.0}))
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(app.okta_calls(), ["GET /api/v1/groups?q=Eng&limit=2"]);

    let fraction = app
        .action("list_groups", json!({"q": "Eng", "limit": 2.5}))
        .await;
    fraction.assert_error("INVALID_FIELD_VALUE", 400);
    assert_eq!(fraction.bad_fields(), ["limit"]);
}
