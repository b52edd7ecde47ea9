//! What schemathesis (`.ci/schemathesis`) found: input the gateway refuses is refused by the
//! published schemas too, before any call to Okta.

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
