//! activate, deactivate, suspend, unsuspend and unlock.

use super::*;

/// Okta refusing `times` suspensions with E0000112: the user is still being activated.
fn suspend_while_activating(times: u32) -> Fault {
    Fault::new(
        Some("POST"),
        "/api/v1/users/[^/]+/lifecycle/suspend",
        FaultKind::Status {
            status: 409,
            error_code: "E0000112".into(),
            error_summary: "Unable to update this user because the user is still being activated."
                .into(),
        },
    )
    .times(times)
}

/// `action` on Jordan, who is ACTIVE: Okta refuses `lifecycle/<step>`, the gateway reads his
/// status once and answers INVALID_STATE with it.
async fn assert_refused_while_jordan_is_active(action: &str, step: &str, okta_code: &str) {
    let app = spawn_with_account().await;
    let response = app.action(action, json!({"userId": JORDAN_ID})).await;

    assert_invalid_state_after(
        &app,
        &response,
        "ACTIVE",
        okta_code,
        format!("POST {}/lifecycle/{step}", user_path(JORDAN_ID)),
        JORDAN_ID,
    );
}

// ---------------------------------------------------------------------------------------------
// activate_user
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn activating_without_email_returns_the_activation_link_uncached() {
    let app = spawn_with_account().await;
    let id = seed(&app, "new.hire@example.com", "STAGED");
    app.forget_requests();
    let response = app.action("activate_user", json!({"userId": id})).await;

    let body = ok(&response);
    assert_eq!(cache_control(&response), Some("no-store"));
    let token = body["activationToken"].as_str().expect("a token");
    assert_eq!(
        body["activationUrl"],
        format!("{}/welcome/{token}", app.sim.base_url())
    );
    assert_eq!(
        keys(body),
        ["activationToken", "activationUrl", "operation"]
    );
    assert_eq!(body["operation"], "activate");

    let calls = sent(&app);
    assert_eq!(
        app.okta_calls(),
        [format!(
            "POST {}/lifecycle/activate?sendEmail=false",
            user_path(&id)
        )]
    );
    let mut okta_answer = body.clone();
    okta_answer.as_object_mut().unwrap().remove("operation");
    assert_eq!(answered_json(&calls[0]), okta_answer);
    // No password yet: the user waits for the welcome link.
    assert_eq!(settled_status_in_okta(&app, &id).await, "PROVISIONED");
}

#[tokio::test]
async fn activating_with_email_answers_the_wrapper() {
    let app = spawn_with_account().await;
    let id = seed(&app, "new.hire@example.com", "DEPROVISIONED");
    app.forget_requests();
    let response = app
        .action("activate_user", json!({"userId": id, "sendEmail": true}))
        .await;

    assert_eq!(
        ok(&response),
        &json!({"status": 200, "message": "Activation email sent to the user.", "userId": id, "operation": "activate"})
    );
    assert_eq!(
        app.okta_calls(),
        [format!(
            "POST {}/lifecycle/activate?sendEmail=true",
            user_path(&id)
        )]
    );
    assert_eq!(settled_status_in_okta(&app, &id).await, "PROVISIONED");
}

#[tokio::test]
async fn activating_a_provisioned_user_reactivates_them_and_says_so() {
    let app = spawn_with_account().await;
    // Activated without a password; the welcome email never arrived.
    let id = seed(&app, "lost.welcome@example.com", "PROVISIONED");
    app.forget_requests();
    let response = app.action("activate_user", json!({"userId": id})).await;

    let body = ok(&response);
    assert_eq!(body["operation"], "reactivate");
    assert_eq!(cache_control(&response), Some("no-store"));
    let token = body["activationToken"].as_str().expect("a token");
    assert_eq!(
        body["activationUrl"],
        format!("{}/welcome/{token}", app.sim.base_url())
    );
    assert_eq!(
        app.okta_calls(),
        [
            format!("POST {}/lifecycle/activate?sendEmail=false", user_path(&id)),
            format!("GET {}", user_path(&id)),
            format!(
                "POST {}/lifecycle/reactivate?sendEmail=false",
                user_path(&id)
            ),
        ]
    );
    assert_eq!(status_in_okta(&app, &id), "PROVISIONED");

    app.forget_requests();
    let emailed = app
        .action("activate_user", json!({"userId": id, "sendEmail": true}))
        .await;
    assert_eq!(
        ok(&emailed),
        &json!({"status": 200, "message": "A new activation email was sent to the user (already PROVISIONED).", "userId": id, "operation": "reactivate"})
    );
    assert_eq!(
        app.okta_calls()[2],
        format!(
            "POST {}/lifecycle/reactivate?sendEmail=true",
            user_path(&id)
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_still_in_transition_is_retried_with_backoff_until_okta_accepts() {
    let app = spawn_with_account().await;
    app.sim.handle().inject(suspend_while_activating(2));
    let response = app
        .action("suspend_user", json!({"userId": JORDAN_ID}))
        .await;

    ok(&response);
    let suspend = format!("POST {}/lifecycle/suspend", user_path(JORDAN_ID));
    assert_eq!(
        app.okta_calls(),
        [suspend.clone(), suspend.clone(), suspend]
    );
    assert_eq!(status_in_okta(&app, JORDAN_ID), "SUSPENDED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_in_transition_past_the_deadline_is_an_invalid_state() {
    let app =
        spawn_with_account_from(app_builder(Backend::Sqlite).var("ACTION_DEADLINE_MS", "1500"))
            .await;
    app.sim.handle().inject(suspend_while_activating(100));
    let response = app
        .action("suspend_user", json!({"userId": JORDAN_ID}))
        .await;

    let error = response.assert_error("INVALID_STATE", 409);
    assert_eq!(error["details"]["okta"]["errorCode"], "E0000112");
    let calls = app.okta_calls();
    assert!(calls.len() >= 3, "retried within the deadline: {calls:?}");
    assert_eq!(status_in_okta(&app, JORDAN_ID), "ACTIVE");
}

#[tokio::test]
async fn activating_an_active_user_is_an_invalid_state() {
    let app = spawn_with_account().await;
    let response = app
        .action("activate_user", json!({"userId": JORDAN_ID}))
        .await;

    assert_invalid_state(&response, "ACTIVE", "E0000016");
    assert_eq!(cache_control(&response), None);
    assert_eq!(
        app.okta_calls(),
        [
            format!(
                "POST {}/lifecycle/activate?sendEmail=false",
                user_path(JORDAN_ID)
            ),
            format!("GET {}", user_path(JORDAN_ID)),
        ]
    );
}

#[tokio::test]
async fn activating_an_unknown_user_is_a_user_not_found() {
    let app = spawn_with_account().await;
    let response = app
        .action("activate_user", json!({"userId": "nobody@example.com"}))
        .await;

    let error = assert_user_not_found(&response);
    assert_eq!(error["details"]["okta"]["errorCode"], "E0000007");
    // A login is resolved to the id first (the wrapper returns the id): nothing to activate.
    assert_eq!(
        app.okta_calls(),
        [format!("GET {}", user_path("nobody%40example.com"))]
    );
}

#[tokio::test]
async fn activate_parameters_are_checked_before_okta() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "activate_user",
            json!({"sendEmail": "false", "userID": "x"}),
        )
        .await;

    response.assert_error("INVALID_FIELD_VALUE", 400);
    assert_eq!(response.bad_fields(), ["userId", "sendEmail", "userID"]);
    assert!(app.okta_calls().is_empty());
}

// ---------------------------------------------------------------------------------------------
// deactivate_user
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn deactivating_a_user_answers_the_seed_wrapper() {
    let app = spawn_with_account().await;
    let response = app
        .action("deactivate_user", json!({"userId": JORDAN_ID}))
        .await;

    assert_eq!(
        ok(&response),
        &json!({"status": 200, "message": "User successfully deactivated.", "userId": JORDAN_ID, "userStatus": "DEPROVISIONED"})
    );
    assert_eq!(cache_control(&response), None);
    assert_eq!(
        app.okta_calls(),
        [format!(
            "POST {}/lifecycle/deactivate",
            user_path(JORDAN_ID)
        )]
    );
    assert_eq!(status_in_okta(&app, JORDAN_ID), "DEPROVISIONED");
}

#[tokio::test]
async fn deactivating_a_deactivated_user_is_an_invalid_state() {
    let app = spawn_with_account().await;
    let id = seed(&app, "gone@example.com", "DEPROVISIONED");
    app.forget_requests();
    let response = app.action("deactivate_user", json!({"userId": id})).await;

    assert_invalid_state_after(
        &app,
        &response,
        "DEPROVISIONED",
        "E0000038",
        format!("POST {}/lifecycle/deactivate", user_path(&id)),
        &id,
    );
}

#[tokio::test]
async fn a_deactivate_dry_run_only_reads() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "deactivate_user",
            json!({"userId": JORDAN_ID, "dryRun": true}),
        )
        .await;

    let body = ok(&response);
    assert_eq!(body["dryRun"], true);
    assert_eq!(
        body["message"],
        format!("Would deactivate user {JORDAN_LOGIN} (status ACTIVE).")
    );
    assert_eq!(body["target"]["id"], JORDAN_ID);
    assert!(body["target"].get("_links").is_none());
    assert_eq!(app.okta_calls(), [format!("GET {}", user_path(JORDAN_ID))]);
    assert_eq!(status_in_okta(&app, JORDAN_ID), "ACTIVE");
}

#[tokio::test]
async fn a_deactivate_dry_run_of_a_deactivated_user_is_an_invalid_state() {
    let app = spawn_with_account().await;
    let id = seed(&app, "gone@example.com", "DEPROVISIONED");
    app.forget_requests();
    let response = app
        .action("deactivate_user", json!({"userId": id, "dryRun": true}))
        .await;

    let error = response.assert_error("INVALID_STATE", 409);
    assert_eq!(error["details"]["userStatus"], "DEPROVISIONED");
    assert_eq!(app.okta_calls(), [format!("GET {}", user_path(&id))]);
}

#[tokio::test]
async fn a_deactivate_dry_run_of_an_unknown_user_is_a_user_not_found() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "deactivate_user",
            json!({"userId": "nobody@example.com", "dryRun": true}),
        )
        .await;

    assert_user_not_found(&response);
    assert_eq!(
        app.okta_calls(),
        [format!("GET {}", user_path("nobody%40example.com"))]
    );
}

// ---------------------------------------------------------------------------------------------
// suspend_user / unsuspend_user / unlock_user
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn suspending_an_active_user_answers_the_seed_wrapper() {
    let app = spawn_with_account().await;
    let response = app
        .action("suspend_user", json!({"userId": JORDAN_ID}))
        .await;

    assert_eq!(
        ok(&response),
        &json!({"status": 200, "message": "User successfully suspended.", "userId": JORDAN_ID, "userStatus": "SUSPENDED"})
    );
    assert_eq!(
        app.okta_calls(),
        [format!("POST {}/lifecycle/suspend", user_path(JORDAN_ID))]
    );
    let calls = sent(&app);
    assert_eq!(calls[0].body.as_deref().unwrap_or_default(), "");
    assert!(
        calls[0]
            .headers
            .iter()
            .any(|(k, v)| k == "content-length" && v == "0"),
        "a body-less POST says Content-Length: 0"
    );
    assert_eq!(status_in_okta(&app, JORDAN_ID), "SUSPENDED");
}

#[tokio::test]
async fn suspending_a_staged_user_is_an_invalid_state() {
    let app = spawn_with_account().await;
    let id = seed(&app, "staged@example.com", "STAGED");
    app.forget_requests();
    let response = app.action("suspend_user", json!({"userId": id})).await;

    // Okta answers 400 E0000001 here: for suspend it means the wrong status.
    assert_invalid_state(&response, "STAGED", "E0000001");
    assert_eq!(
        response.json["error"]["details"]["okta"]["errorSummary"],
        "Cannot suspend a user that is not active"
    );
    assert_eq!(
        app.okta_calls(),
        [
            format!("POST {}/lifecycle/suspend", user_path(&id)),
            format!("GET {}", user_path(&id)),
        ]
    );
    assert_eq!(status_in_okta(&app, &id), "STAGED");
}

#[tokio::test]
async fn unsuspending_a_suspended_user_makes_them_active() {
    let app = spawn_with_account().await;
    let id = seed(&app, "held@example.com", "SUSPENDED");
    app.forget_requests();
    let response = app.action("unsuspend_user", json!({"userId": id})).await;

    assert_eq!(
        ok(&response),
        &json!({"status": 200, "message": "User successfully unsuspended.", "userId": id, "userStatus": "ACTIVE"})
    );
    assert_eq!(
        app.okta_calls(),
        [format!("POST {}/lifecycle/unsuspend", user_path(&id))]
    );
    assert_eq!(status_in_okta(&app, &id), "ACTIVE");
}

#[tokio::test]
async fn unsuspending_an_active_user_is_an_invalid_state() {
    assert_refused_while_jordan_is_active("unsuspend_user", "unsuspend", "E0000001").await;
}

#[tokio::test]
async fn e0000001_outside_suspend_and_unsuspend_stays_an_invalid_field_value() {
    let app = spawn_with_account().await;
    app.sim.handle().inject(Fault::new(
        Some("POST"),
        "/api/v1/users/[^/]+/lifecycle/unlock",
        FaultKind::Status {
            status: 400,
            error_code: "E0000001".into(),
            error_summary: "Api validation failed: sendEmail".into(),
        },
    ));
    let response = app
        .action("unlock_user", json!({"userId": JORDAN_ID}))
        .await;

    let error = response.assert_error("INVALID_FIELD_VALUE", 400);
    assert!(error["details"].get("userStatus").is_none(), "{error}");
    assert_eq!(app.okta_calls().len(), 1);
}

#[tokio::test]
async fn unlocking_a_locked_out_user_makes_them_active() {
    let app = spawn_with_account().await;
    assert!(app.sim.handle().set_user_status(JORDAN_ID, "LOCKED_OUT"));
    let response = app
        .action("unlock_user", json!({"userId": JORDAN_ID}))
        .await;

    assert_eq!(
        ok(&response),
        &json!({"status": 200, "message": "User successfully unlocked.", "userId": JORDAN_ID, "userStatus": "ACTIVE"})
    );
    assert_eq!(
        app.okta_calls(),
        [format!("POST {}/lifecycle/unlock", user_path(JORDAN_ID))]
    );
    assert_eq!(status_in_okta(&app, JORDAN_ID), "ACTIVE");
}

#[tokio::test]
async fn unlocking_an_active_user_is_an_invalid_state() {
    assert_refused_while_jordan_is_active("unlock_user", "unlock", "E0000032").await;
}

#[tokio::test]
async fn lifecycle_actions_on_an_unknown_user_are_user_not_found_after_one_call() {
    let app = spawn_with_account().await;
    let unknown = "00uNOSUCHUSER0000000";
    for (action, call) in [
        ("deactivate_user", "lifecycle/deactivate"),
        ("suspend_user", "lifecycle/suspend"),
        ("unsuspend_user", "lifecycle/unsuspend"),
        ("unlock_user", "lifecycle/unlock"),
        ("reset_password", "lifecycle/reset_password?sendEmail=false"),
        (
            "expire_password",
            "lifecycle/expire_password_with_temp_password",
        ),
    ] {
        app.forget_requests();
        let response = app.action(action, json!({"userId": unknown})).await;

        let error = assert_user_not_found(&response);
        assert_eq!(
            error["details"]["okta"]["errorCode"], "E0000007",
            "{action}"
        );
        assert_eq!(
            app.okta_calls(),
            [format!("POST {}/{call}", user_path(unknown))],
            "{action}"
        );
    }
}
