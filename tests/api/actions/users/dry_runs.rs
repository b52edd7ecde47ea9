//! The dry runs of the destructive user actions that are not deletions: suspend, reset and
//! expire the password, change the password. Each reads the user, refuses what the real call
//! would refuse for the user's status, and writes nothing.

use super::*;

#[tokio::test]
async fn a_suspend_dry_run_previews_and_the_user_stays_active() {
    let app = spawn_with_account().await;
    let response = app
        .action("suspend_user", json!({"userId": JORDAN_ID, "dryRun": true}))
        .await;

    let body = ok(&response);
    assert_eq!(
        body["message"],
        format!(
            "Would suspend user {JORDAN_LOGIN} (status ACTIVE): they could not sign in until unsuspended."
        )
    );
    assert_eq!(body["target"]["id"], JORDAN_ID);
    assert_eq!(keys(body), ["dryRun", "message", "target"]);
    assert_eq!(app.okta_calls(), [format!("GET {}", user_path(JORDAN_ID))]);
    assert_eq!(status_in_okta(&app, JORDAN_ID), "ACTIVE");
}

#[tokio::test]
async fn a_suspend_dry_run_of_a_user_who_is_not_active_is_refused_as_the_real_call_is() {
    let app = spawn_with_account().await;
    let id = seed(&app, "already.suspended@example.com", "SUSPENDED");
    app.forget_requests();
    let response = app
        .action("suspend_user", json!({"userId": id, "dryRun": true}))
        .await;

    let error = response.assert_error("INVALID_STATE", 409);
    assert_eq!(
        error["message"],
        "Only an ACTIVE user can be suspended. The user's status is SUSPENDED."
    );
    assert_eq!(error["details"]["userStatus"], "SUSPENDED");
    assert_eq!(app.okta_calls(), [format!("GET {}", user_path(&id))]);

    // The real call is refused the same way.
    let real = app.action("suspend_user", json!({"userId": id})).await;
    real.assert_error("INVALID_STATE", 409);
}

#[tokio::test]
async fn a_reset_password_dry_run_says_where_the_link_would_go_and_resets_nothing() {
    let app = spawn_with_account().await;
    for (send_email, link) in [
        (true, "Okta would email the reset link to the user"),
        (false, "the reset link would be returned"),
    ] {
        app.forget_requests();
        let response = app
            .action(
                "reset_password",
                json!({"userId": JORDAN_LOGIN, "sendEmail": send_email, "dryRun": true}),
            )
            .await;

        let body = ok(&response);
        assert_eq!(
            body["message"],
            format!(
                "Would start a password reset for user {JORDAN_LOGIN} (status ACTIVE, then RECOVERY); {link}."
            )
        );
        assert!(body.get("resetPasswordUrl").is_none(), "{body}");
        assert_eq!(
            app.okta_calls(),
            [format!("GET {}", user_path(JORDAN_LOGIN_SEGMENT))]
        );
    }
    assert_eq!(status_in_okta(&app, JORDAN_ID), "ACTIVE");
}

#[tokio::test]
async fn password_dry_runs_of_a_staged_user_are_refused() {
    let app = spawn_with_account().await;
    let id = seed(&app, "not.yet@example.com", "STAGED");
    for action in ["reset_password", "expire_password"] {
        app.forget_requests();
        let response = app
            .action(action, json!({"userId": id, "dryRun": true}))
            .await;

        let error = response.assert_error("INVALID_STATE", 409);
        assert_eq!(
            error["message"],
            "A STAGED or DEPROVISIONED user has no password to reset or expire. The user's status is STAGED.",
            "{action}"
        );
        assert_eq!(error["details"]["userStatus"], "STAGED", "{action}");
        assert_eq!(app.okta_calls(), [format!("GET {}", user_path(&id))]);
    }
}

#[tokio::test]
async fn an_expire_password_dry_run_says_whether_a_temporary_password_would_replace_it() {
    let app = spawn_with_account().await;
    for (temp_password, replaced) in [
        (true, "replaced by a temporary password, returned here"),
        (false, "kept, to be changed at the next sign-in"),
    ] {
        app.forget_requests();
        let response = app
            .action(
                "expire_password",
                json!({"userId": JORDAN_ID, "tempPassword": temp_password, "dryRun": true}),
            )
            .await;

        let body = ok(&response);
        assert_eq!(
            body["message"],
            format!(
                "Would expire the password of user {JORDAN_LOGIN} (status ACTIVE, then PASSWORD_EXPIRED); the password would be {replaced}."
            )
        );
        assert!(body.get("tempPassword").is_none(), "{body}");
        assert_eq!(app.okta_calls(), [format!("GET {}", user_path(JORDAN_ID))]);
    }
    assert_eq!(status_in_okta(&app, JORDAN_ID), "ACTIVE");
}

#[tokio::test]
async fn a_change_password_dry_run_sends_no_password_and_echoes_none() {
    let app = spawn_with_account().await;
    let new_password = "N3w-Str0ng-Passw0rd!";
    let response = app
        .action(
            "change_password",
            json!({
                "userId": JORDAN_ID,
                "oldPassword": {"value": JORDAN_PASSWORD},
                "newPassword": {"value": new_password},
                "dryRun": true,
            }),
        )
        .await;

    let body = ok(&response);
    assert_eq!(
        body["message"],
        format!(
            "Would change the password of user {JORDAN_LOGIN} (status ACTIVE) if the current password is right and the new one meets the password policy."
        )
    );
    assert!(!response.text.contains(JORDAN_PASSWORD) && !response.text.contains(new_password));
    let requests = sent(&app);
    assert_eq!(app.okta_calls(), [format!("GET {}", user_path(JORDAN_ID))]);
    assert!(
        requests
            .iter()
            .all(|r| r.body.as_deref().unwrap_or("").is_empty())
    );

    // The old password still works: nothing changed.
    let real = app
        .action(
            "change_password",
            json!({
                "userId": JORDAN_ID,
                "oldPassword": {"value": JORDAN_PASSWORD},
                "newPassword": {"value": new_password},
            }),
        )
        .await;
    assert_eq!(real.status, 200, "{}", real.text);
}
