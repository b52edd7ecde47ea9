//! delete_user: deactivate then delete, dry runs, and its failures.

use super::*;

/// What Okta receives when Jordan (ACTIVE) is deleted by id without email: one read, the
/// deactivation, the delete.
fn jordan_read_deactivated_and_deleted() -> [String; 3] {
    [
        format!("GET {}", user_path(JORDAN_ID)),
        format!(
            "POST {}/lifecycle/deactivate?sendEmail=false",
            user_path(JORDAN_ID)
        ),
        format!("DELETE {}?sendEmail=false", user_path(JORDAN_ID)),
    ]
}

// ---------------------------------------------------------------------------------------------
// delete_user
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn deleting_an_active_user_deactivates_then_deletes() {
    let app = spawn_with_account().await;
    let response = app
        .action("delete_user", json!({"userIdOrLogin": JORDAN_ID}))
        .await;

    assert_eq!(
        ok(&response),
        &json!({"status": 204, "message": "User successfully deactivated and deleted."})
    );
    assert_eq!(app.okta_calls(), jordan_read_deactivated_and_deleted());
    let calls = sent(&app);
    assert_eq!(calls[1].body.as_deref().unwrap_or_default(), "");
    assert_eq!(calls[2].status, 204);
    assert!(app.sim.handle().user(JORDAN_ID).is_none());
}

#[tokio::test]
async fn deleting_by_login_reads_the_user_once_and_then_uses_the_id() {
    let app = spawn_with_account().await;
    let response = app
        .action("delete_user", json!({"userIdOrLogin": JORDAN_LOGIN}))
        .await;

    ok(&response);
    assert_eq!(
        app.okta_calls(),
        [
            format!("GET {}", user_path(JORDAN_LOGIN_SEGMENT)),
            format!(
                "POST {}/lifecycle/deactivate?sendEmail=false",
                user_path(JORDAN_ID)
            ),
            format!("DELETE {}?sendEmail=false", user_path(JORDAN_ID)),
        ]
    );
    assert!(app.sim.handle().user(JORDAN_ID).is_none());
}

#[tokio::test]
async fn deleting_a_deactivated_user_skips_the_deactivation() {
    let app = spawn_with_account().await;
    let id = seed(&app, "gone@example.com", "DEPROVISIONED");
    app.forget_requests();
    let response = app
        .action("delete_user", json!({"userIdOrLogin": id}))
        .await;

    ok(&response);
    assert_eq!(
        app.okta_calls(),
        [
            format!("GET {}", user_path(&id)),
            format!("DELETE {}?sendEmail=false", user_path(&id)),
        ]
    );
    assert!(app.sim.handle().user(&id).is_none());
}

#[tokio::test]
async fn deleting_with_send_email_asks_okta_to_email_the_admin() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "delete_user",
            json!({"userIdOrLogin": JORDAN_ID, "sendEmail": true}),
        )
        .await;

    ok(&response);
    let calls = app.okta_calls();
    assert_eq!(calls.len(), 3, "{calls:?}");
    assert_eq!(
        calls[2],
        format!("DELETE {}?sendEmail=true", user_path(JORDAN_ID))
    );
    // Okta's admin email hangs on the deactivation of an active user: sendEmail goes there too.
    assert_eq!(
        calls[1],
        format!(
            "POST {}/lifecycle/deactivate?sendEmail=true",
            user_path(JORDAN_ID)
        )
    );
}

#[tokio::test]
async fn deleting_an_unknown_user_is_a_user_not_found() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "delete_user",
            json!({"userIdOrLogin": "00uNOSUCHUSER0000000"}),
        )
        .await;

    assert_user_not_found(&response);
    assert_eq!(
        app.okta_calls(),
        [format!("GET {}", user_path("00uNOSUCHUSER0000000"))]
    );
}

#[tokio::test]
async fn a_delete_dry_run_only_reads_and_the_user_stays() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "delete_user",
            json!({"userIdOrLogin": JORDAN_LOGIN, "dryRun": true}),
        )
        .await;

    let body = ok(&response);
    assert_eq!(body["dryRun"], true);
    assert_eq!(
        body["message"],
        format!("Would deactivate and delete user {JORDAN_LOGIN} (status ACTIVE).")
    );
    assert_eq!(body["target"]["id"], JORDAN_ID);
    assert_eq!(body["target"]["status"], "ACTIVE");
    assert!(body["target"].get("_links").is_none(), "{body}");
    assert_eq!(keys(body), ["dryRun", "message", "target"]);

    assert!(sent(&app).iter().all(|r| r.method == "GET"));
    assert_eq!(
        app.okta_calls(),
        [format!("GET {}", user_path(JORDAN_LOGIN_SEGMENT))]
    );
    assert_eq!(status_in_okta(&app, JORDAN_ID), "ACTIVE");
}

#[tokio::test]
async fn a_delete_dry_run_of_a_deactivated_user_says_it_would_only_delete() {
    let app = spawn_with_account().await;
    let id = seed(&app, "gone@example.com", "DEPROVISIONED");
    app.forget_requests();
    let response = app
        .action("delete_user", json!({"userIdOrLogin": id, "dryRun": true}))
        .await;

    let body = ok(&response);
    assert_eq!(
        body["message"],
        "Would delete user gone@example.com (already deactivated)."
    );
    assert_eq!(app.okta_calls(), [format!("GET {}", user_path(&id))]);
    assert_eq!(status_in_okta(&app, &id), "DEPROVISIONED");
}

#[tokio::test]
async fn a_404_on_the_final_delete_still_counts_as_deleted() {
    let app = spawn_with_account().await;
    app.sim.handle().inject(Fault::new(
        Some("DELETE"),
        "/api/v1/users/[^/]+",
        FaultKind::Status {
            status: 404,
            error_code: "E0000007".into(),
            error_summary: format!("Not found: Resource not found: {JORDAN_ID} (User)"),
        },
    ));
    let response = app
        .action("delete_user", json!({"userIdOrLogin": JORDAN_ID}))
        .await;

    assert_eq!(
        ok(&response),
        &json!({"status": 204, "message": "User successfully deactivated and deleted."})
    );
    let calls = sent(&app);
    assert_eq!(app.okta_calls(), jordan_read_deactivated_and_deleted());
    assert_eq!(calls[2].status, 404);
    assert_eq!(calls[2].fault.as_deref(), Some("status"));
}

#[tokio::test]
async fn a_refused_deactivation_stops_the_delete_with_the_users_status() {
    let app = spawn_with_account().await;
    app.sim.handle().inject(Fault::new(
        Some("POST"),
        "/api/v1/users/[^/]+/lifecycle/deactivate",
        FaultKind::Status {
            status: 403,
            error_code: "E0000038".into(),
            error_summary: "This operation is not allowed in the user's current status.".into(),
        },
    ));
    let response = app
        .action("delete_user", json!({"userIdOrLogin": JORDAN_ID}))
        .await;

    assert_invalid_state(&response, "ACTIVE", "E0000038");
    assert_eq!(
        app.okta_calls(),
        [
            format!("GET {}", user_path(JORDAN_ID)),
            format!(
                "POST {}/lifecycle/deactivate?sendEmail=false",
                user_path(JORDAN_ID)
            ),
            format!("GET {}", user_path(JORDAN_ID)),
        ]
    );
    assert_eq!(status_in_okta(&app, JORDAN_ID), "ACTIVE");
}
