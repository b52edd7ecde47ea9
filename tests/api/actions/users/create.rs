//! create_user: what Okta receives, and its refusals.

use super::*;

// ---------------------------------------------------------------------------------------------
// create_user
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn creating_a_user_sends_activate_false_and_only_the_given_profile_fields() {
    let app = spawn_with_account().await;
    let response = create_ann(&app, "ann.ito@example.com").await;

    let body = ok(&response);
    assert_eq!(body["status"], "STAGED");
    assert_user_shape(body, &USER_KEYS);
    assert_eq!(body["activated"], Value::Null);
    assert_eq!(body["lastLogin"], Value::Null);
    assert_eq!(body["passwordChanged"], Value::Null);
    assert_eq!(body["profile"]["login"], "ann.ito@example.com");
    assert_eq!(body["profile"]["mobilePhone"], Value::Null);
    assert_eq!(body["profile"]["secondEmail"], Value::Null);
    assert_eq!(
        body["credentials"]["provider"],
        json!({"type": "OKTA", "name": "OKTA"})
    );
    // Extra Okta keys are kept.
    assert!(body.get("type").is_some(), "{body}");

    let calls = sent(&app);
    assert_eq!(app.okta_calls(), ["POST /api/v1/users?activate=false"]);
    assert_eq!(
        sent_json(&calls[0]),
        json!({"profile": {"firstName": "Ann", "lastName": "Ito", "email": "ann.ito@example.com", "login": "ann.ito@example.com"}})
    );
    let id = body["id"].as_str().expect("an id");
    assert_eq!(status_in_okta(&app, id), "STAGED");
}

#[tokio::test]
async fn creating_a_user_with_activate_true_makes_them_provisioned() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "create_user",
            json!({
                "firstName": "Ann", "lastName": "Ito", "email": "ann.ito@example.com",
                "login": "ann.ito@example.com", "mobilePhone": "+1-555-000-1111",
                "secondEmail": "ann@home.example.com", "activate": true
            }),
        )
        .await;

    let body = ok(&response);
    // Activated without a password: Okta emails an activation link and waits.
    assert_eq!(body["status"], "PROVISIONED");
    assert_user_shape(body, &USER_KEYS);
    assert_eq!(body["profile"]["mobilePhone"], "+1-555-000-1111");
    assert_eq!(body["profile"]["secondEmail"], "ann@home.example.com");

    let calls = sent(&app);
    assert_eq!(app.okta_calls(), ["POST /api/v1/users?activate=true"]);
    assert_eq!(
        sent_json(&calls[0]),
        json!({"profile": {
            "firstName": "Ann", "lastName": "Ito", "email": "ann.ito@example.com",
            "login": "ann.ito@example.com", "mobilePhone": "+1-555-000-1111",
            "secondEmail": "ann@home.example.com"
        }})
    );
}

#[tokio::test]
async fn null_optional_fields_are_left_out_of_the_created_profile() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "create_user",
            json!({
                "firstName": "Ann", "lastName": "Ito", "email": "ann.ito@example.com",
                "login": "ann.ito@example.com", "mobilePhone": null, "secondEmail": null,
                "activate": null
            }),
        )
        .await;

    ok(&response);
    assert_eq!(app.okta_calls(), ["POST /api/v1/users?activate=false"]);
    assert_eq!(
        sent_json(&sent(&app)[0]),
        json!({"profile": {"firstName": "Ann", "lastName": "Ito", "email": "ann.ito@example.com", "login": "ann.ito@example.com"}})
    );
}

#[tokio::test]
async fn creating_a_user_with_a_taken_login_is_a_duplicate_user() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "create_user",
            json!({"firstName": "J", "lastName": "L", "email": JORDAN_LOGIN, "login": JORDAN_LOGIN}),
        )
        .await;

    let error = response.assert_error("DUPLICATE_USER", 409);
    assert_eq!(error["code"], 8003);
    let okta = &error["details"]["okta"];
    assert_eq!(okta["errorCode"], "E0000001");
    assert_eq!(okta["errorSummary"], "Api validation failed: login");
    assert!(
        okta["errorId"]
            .as_str()
            .is_some_and(|id| id.starts_with("oae")),
        "{okta}"
    );
    assert_eq!(
        okta["errorCauses"],
        json!([{"errorSummary": "login: An object with this field already exists in the current organization"}])
    );
    assert_eq!(app.okta_calls(), ["POST /api/v1/users?activate=false"]);
}

#[tokio::test]
async fn a_profile_okta_refuses_is_an_invalid_field_value_with_oktas_details() {
    let app = spawn_with_account().await;
    let response = create_ann(&app, "not-an-email").await;

    let error = response.assert_error("INVALID_FIELD_VALUE", 400);
    assert_eq!(error["code"], 8001);
    assert_eq!(error["message"], "Okta: Api validation failed: login");
    let okta = &error["details"]["okta"];
    assert_eq!(okta["errorCode"], "E0000001");
    assert_eq!(
        okta["errorCauses"],
        json!([{"errorSummary": "login: Username must be in the form of an email address"}])
    );
    assert_eq!(app.okta_calls(), ["POST /api/v1/users?activate=false"]);
    assert!(app.sim.handle().user("not-an-email").is_none());
}

#[tokio::test]
async fn missing_unknown_and_mistyped_create_parameters_are_all_listed_before_any_call() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "create_user",
            json!({"firstName": 5, "lastName": "", "login": "x@y", "activate": "yes", "nickName": "Jo"}),
        )
        .await;

    let error = response.assert_error("INVALID_FIELD_VALUE", 400);
    assert_eq!(error["message"], "6 parameters are invalid.");
    assert_eq!(
        error["details"]["fields"],
        json!([
            {"field": "firstName", "problem": "must be a string of 1 to 50 characters"},
            {"field": "lastName", "problem": "must be a string of 1 to 50 characters"},
            {"field": "email", "problem": "is required"},
            {"field": "login", "problem": "must be a string of 5 to 100 characters"},
            {"field": "activate", "problem": "must be true or false"},
            {"field": "nickName", "problem": "is not a known parameter"},
        ])
    );
    assert!(app.okta_calls().is_empty(), "{:?}", app.okta_calls());

    let empty = app.action("create_user", json!({})).await;
    empty.assert_error("INVALID_FIELD_VALUE", 400);
    assert_eq!(
        empty.bad_fields(),
        ["firstName", "lastName", "email", "login"]
    );
    let not_an_object = app.action("create_user", json!(["Ann"])).await;
    not_an_object.assert_error("INVALID_FIELD_VALUE", 400);
    assert_eq!(not_an_object.bad_fields(), ["body"]);
    assert!(app.okta_calls().is_empty(), "{:?}", app.okta_calls());
}
