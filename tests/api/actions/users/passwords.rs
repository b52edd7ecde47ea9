//! reset_password, expire_password and change_password.

use super::*;

/// `change_password` with these references and passwords.
async fn change_password(app: &TestApp, user: &str, old: &str, new: &str) -> TestResponse {
    app.action(
        "change_password",
        json!({
            "userId": user,
            "oldPassword": {"value": old},
            "newPassword": {"value": new}
        }),
    )
    .await
}

/// Okta received exactly one change of Jordan's password, by id.
#[track_caller]
fn assert_one_change_password_call(app: &TestApp) {
    assert_eq!(
        app.okta_calls(),
        [format!(
            "POST {}/credentials/change_password",
            user_path(JORDAN_ID)
        )]
    );
}

// ---------------------------------------------------------------------------------------------
// reset_password / expire_password
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn resetting_a_password_without_email_returns_the_reset_link_uncached() {
    let app = spawn_with_account().await;
    let response = app
        .action("reset_password", json!({"userId": JORDAN_ID}))
        .await;

    let body = ok(&response);
    assert_eq!(cache_control(&response), Some("no-store"));
    let url = body["resetPasswordUrl"].as_str().expect("a reset URL");
    assert!(
        url.starts_with(&format!("{}/reset_password/", app.sim.base_url())),
        "{url}"
    );
    assert_eq!(body.as_object().expect("object").len(), 1, "{body}");
    // Okta's current spec requires sendEmail; the gateway always sends it.
    assert_eq!(
        app.okta_calls(),
        [format!(
            "POST {}/lifecycle/reset_password?sendEmail=false",
            user_path(JORDAN_ID)
        )]
    );
    assert_eq!(answered_json(&sent(&app)[0]), *body);
    assert_eq!(status_in_okta(&app, JORDAN_ID), "RECOVERY");
}

#[tokio::test]
async fn resetting_a_password_with_email_answers_the_wrapper() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "reset_password",
            json!({"userId": JORDAN_LOGIN, "sendEmail": true}),
        )
        .await;

    assert_eq!(
        ok(&response),
        &json!({"status": 200, "message": "Password reset email sent to the user.", "userId": JORDAN_ID})
    );
    assert_eq!(
        app.okta_calls(),
        [
            format!("GET {}", user_path(JORDAN_LOGIN_SEGMENT)),
            format!(
                "POST {}/lifecycle/reset_password?sendEmail=true",
                user_path(JORDAN_ID)
            ),
        ]
    );
    assert_eq!(status_in_okta(&app, JORDAN_ID), "RECOVERY");
}

#[tokio::test]
async fn resetting_the_password_of_a_staged_user_is_an_invalid_state() {
    let app = spawn_with_account().await;
    let id = seed(&app, "staged@example.com", "STAGED");
    app.forget_requests();
    let response = app.action("reset_password", json!({"userId": id})).await;

    assert_invalid_state(&response, "STAGED", "E0000038");
    assert_eq!(cache_control(&response), None);
    assert_eq!(
        app.okta_calls(),
        [
            format!(
                "POST {}/lifecycle/reset_password?sendEmail=false",
                user_path(&id)
            ),
            format!("GET {}", user_path(&id)),
        ]
    );
}

#[tokio::test]
async fn expiring_a_password_returns_a_temporary_password_uncached() {
    let app = spawn_with_account().await;
    let response = app
        .action("expire_password", json!({"userId": JORDAN_ID}))
        .await;

    let body = ok(&response);
    assert_eq!(cache_control(&response), Some("no-store"));
    let calls = sent(&app);
    assert_eq!(
        app.okta_calls(),
        [format!(
            "POST {}/lifecycle/expire_password_with_temp_password",
            user_path(JORDAN_ID)
        )]
    );
    // Okta answers a plain string; the seed's shape wraps it in {value}.
    let temp = answered_json(&calls[0])["tempPassword"]
        .as_str()
        .expect("Okta's temp password is a string")
        .to_owned();
    assert_eq!(body, &json!({"tempPassword": {"value": temp}}));
    assert_eq!(status_in_okta(&app, JORDAN_ID), "PASSWORD_EXPIRED");
}

#[tokio::test]
async fn expiring_the_password_of_a_staged_user_is_an_invalid_state() {
    let app = spawn_with_account().await;
    let id = seed(&app, "staged@example.com", "STAGED");
    app.forget_requests();
    let response = app.action("expire_password", json!({"userId": id})).await;

    assert_invalid_state(&response, "STAGED", "E0000038");
    assert_eq!(
        app.okta_calls(),
        [
            format!(
                "POST {}/lifecycle/expire_password_with_temp_password",
                user_path(&id)
            ),
            format!("GET {}", user_path(&id)),
        ]
    );
}

const EXPIRED: &str = "Password expired: the user must choose a new one at their next sign-in.";

#[tokio::test]
async fn expiring_a_password_without_a_temporary_one_keeps_the_users_password() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "expire_password",
            json!({"userId": JORDAN_LOGIN, "tempPassword": false}),
        )
        .await;

    assert_eq!(
        ok(&response),
        &json!({"status": 200, "message": EXPIRED, "userId": JORDAN_ID, "userStatus": "PASSWORD_EXPIRED"})
    );
    let calls = sent(&app);
    assert_eq!(
        app.okta_calls(),
        [
            format!("GET {}", user_path(JORDAN_LOGIN_SEGMENT)),
            format!("POST {}/lifecycle/expire_password", user_path(JORDAN_ID)),
        ]
    );
    assert_eq!(calls[1].body, None);
    // Okta answered the user, and no password.
    assert_eq!(answered_json(&calls[1])["status"], "PASSWORD_EXPIRED");
    assert!(!response.text.contains("tempPassword"));
    assert_eq!(status_in_okta(&app, JORDAN_ID), "PASSWORD_EXPIRED");

    // The old password still works, for the change Okta now demands.
    app.forget_requests();
    let change = change_password(&app, JORDAN_ID, JORDAN_PASSWORD, "N3w-Sturdy-Secret").await;
    ok(&change);
    assert_eq!(status_in_okta(&app, JORDAN_ID), "ACTIVE");
}

#[tokio::test]
async fn a_temporary_password_is_the_default_and_can_be_asked_for() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "expire_password",
            json!({"userId": JORDAN_ID, "tempPassword": true}),
        )
        .await;
    assert!(ok(&response)["tempPassword"]["value"].is_string());
    assert_eq!(
        app.okta_calls(),
        [format!(
            "POST {}/lifecycle/expire_password_with_temp_password",
            user_path(JORDAN_ID)
        )]
    );
}

#[tokio::test]
async fn expiring_the_password_of_a_user_without_one_is_an_invalid_state() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "expire_password",
            json!({"userId": PRIYA_ID, "tempPassword": false}),
        )
        .await;

    assert_invalid_state_after(
        &app,
        &response,
        "ACTIVE",
        "E0000038",
        format!("POST {}/lifecycle/expire_password", user_path(PRIYA_ID)),
        PRIYA_ID,
    );
    assert_eq!(status_in_okta(&app, PRIYA_ID), "ACTIVE");
}

#[tokio::test]
async fn expiring_the_password_of_a_staged_or_unknown_user_without_a_temporary_one_fails() {
    let app = spawn_with_account().await;
    let id = seed(&app, "staged@example.com", "STAGED");
    app.forget_requests();
    let staged = app
        .action(
            "expire_password",
            json!({"userId": id, "tempPassword": false}),
        )
        .await;
    assert_invalid_state(&staged, "STAGED", "E0000038");

    app.forget_requests();
    let unknown = "00uNOSUCHUSER0000000";
    let response = app
        .action(
            "expire_password",
            json!({"userId": unknown, "tempPassword": false}),
        )
        .await;
    assert_user_not_found(&response);
    assert_eq!(
        app.okta_calls(),
        [format!(
            "POST {}/lifecycle/expire_password",
            user_path(unknown)
        )]
    );
}

// ---------------------------------------------------------------------------------------------
// change_password
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn changing_a_password_by_login_resolves_the_id_then_posts_both_passwords() {
    let app = spawn_with_account().await;
    let new_password = "N3w-Sturdy-Secret";
    let response = change_password(&app, JORDAN_LOGIN, JORDAN_PASSWORD, new_password).await;

    assert_eq!(
        ok(&response),
        &json!({"credentials": {"password": {}, "provider": {"type": "OKTA", "name": "OKTA"}}})
    );
    assert_eq!(cache_control(&response), None);
    let calls = sent(&app);
    assert_eq!(
        app.okta_calls(),
        [
            format!("GET {}", user_path(JORDAN_LOGIN_SEGMENT)),
            format!("POST {}/credentials/change_password", user_path(JORDAN_ID)),
        ]
    );
    assert_eq!(
        sent_json(&calls[1]),
        json!({"oldPassword": {"value": JORDAN_PASSWORD}, "newPassword": {"value": new_password}})
    );
    assert!(!response.text.contains(new_password));
    assert!(!response.text.contains(JORDAN_PASSWORD));

    // Okta now holds the new password: it is the old one of the next change.
    app.forget_requests();
    let again = change_password(&app, JORDAN_ID, new_password, "An0ther-Sturdy-Secret").await;
    ok(&again);
}

#[tokio::test]
async fn changing_a_password_with_a_user_id_makes_one_call() {
    let app = spawn_with_account().await;
    let response = change_password(&app, JORDAN_ID, JORDAN_PASSWORD, "N3w-Sturdy-Secret").await;

    ok(&response);
    assert_one_change_password_call(&app);
}

#[tokio::test]
async fn a_wrong_old_password_is_an_invalid_field_value() {
    let app = spawn_with_account().await;
    let response = change_password(&app, JORDAN_ID, "Not-The-Passw0rd", "N3w-Sturdy-Secret").await;

    let error = response.assert_error("INVALID_FIELD_VALUE", 400);
    let okta = &error["details"]["okta"];
    assert_eq!(okta["errorCode"], "E0000014");
    assert_eq!(okta["errorSummary"], "Update of credentials failed");
    assert_eq!(
        okta["errorCauses"],
        json!([{"errorSummary": "oldPassword: The credentials provided were incorrect."}])
    );
    assert!(error["details"].get("userStatus").is_none());
    assert!(!response.text.contains("Not-The-Passw0rd"));
    assert!(!response.text.contains("N3w-Sturdy-Secret"));
    assert_one_change_password_call(&app);
}

#[tokio::test]
async fn a_new_password_okta_refuses_is_an_invalid_field_value() {
    let app = spawn_with_account().await;
    let response = change_password(&app, JORDAN_ID, JORDAN_PASSWORD, "password1").await;

    let error = response.assert_error("INVALID_FIELD_VALUE", 400);
    assert_eq!(error["details"]["okta"]["errorCode"], "E0000014");
    assert_eq!(
        error["details"]["okta"]["errorCauses"],
        json!([{"errorSummary": "password: This password was found in a list of commonly used passwords. Please try another password."}])
    );
    assert_eq!(app.okta_calls().len(), 1);
}

#[tokio::test]
async fn changing_the_password_of_a_user_without_one_is_an_invalid_state() {
    let app = spawn_with_account().await;
    let response = change_password(&app, PRIYA_ID, "Anything-1", "N3w-Sturdy-Secret").await;

    assert_invalid_state_after(
        &app,
        &response,
        "ACTIVE",
        "E0000035",
        format!("POST {}/credentials/change_password", user_path(PRIYA_ID)),
        PRIYA_ID,
    );
}

#[tokio::test]
async fn changing_the_password_of_an_unknown_login_is_a_user_not_found() {
    let app = spawn_with_account().await;
    let response = change_password(
        &app,
        "nobody@example.com",
        "Anything-1",
        "N3w-Sturdy-Secret",
    )
    .await;

    assert_user_not_found(&response);
    assert_eq!(
        app.okta_calls(),
        [format!("GET {}", user_path("nobody%40example.com"))]
    );
}

#[tokio::test]
async fn passwords_must_be_value_objects_and_are_never_echoed() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "change_password",
            json!({"userId": JORDAN_ID, "oldPassword": "Plain-Text-Secret1", "newPassword": {"value": ""}, "extra": 1}),
        )
        .await;

    response.assert_error("INVALID_FIELD_VALUE", 400);
    assert_eq!(
        response.bad_fields(),
        ["oldPassword", "newPassword", "extra"]
    );
    assert!(!response.text.contains("Plain-Text-Secret1"));
    let missing = app
        .action("change_password", json!({"userId": JORDAN_ID}))
        .await;
    missing.assert_error("INVALID_FIELD_VALUE", 400);
    assert_eq!(missing.bad_fields(), ["oldPassword", "newPassword"]);
    assert!(app.okta_calls().is_empty());
}
