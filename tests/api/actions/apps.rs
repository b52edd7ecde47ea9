//! Application actions: get_application, assign_app_to_user and unassign_app_from_user,
//! against okta-sim: the gateway's answer and what Okta received.

use okta_sim::RecordedRequest;
use okta_sim::demo::{
    BOOKMARK_APP_ID, JORDAN_ID, OIDC_APP_ID, PRIYA_ID, PRIYA_LOGIN, SAML_APP_ID, SWA_APP_ID,
};
use serde_json::{Value, json};

use super::support::{
    assert_not_found, assert_refused, assert_seed_keys, json_body, received, without_links,
};
use crate::helpers::spawn_with_account;

/// The seed's Get Application sample (only its top-level keys are common to every sign-on
/// mode).
fn app_sample() -> Value {
    json!({
        "id": "0oabkvBLDEKCNXBMBWKR",
        "name": "template_saml_2_0",
        "label": "Sample SAML App",
        "status": "ACTIVE",
        "created": "2023-06-01T08:00:00.000Z",
        "lastUpdated": "2024-05-15T10:00:00.000Z",
        "signOnMode": "SAML_2_0",
        "settings": {"app": {"audienceRestriction": "https://www.example.com/audience", "postBackURL": "https://www.example.com/sso/saml"}}
    })
}

/// The seed's Assign App to User sample.
fn app_user_sample() -> Value {
    json!({
        "id": "00u15s1KDETTQMQYABRL",
        "externalId": null,
        "created": "2024-05-29T11:00:00.000Z",
        "lastUpdated": "2024-05-29T11:00:00.000Z",
        "scope": "USER",
        "status": "ACTIVE",
        "syncState": "DISABLED",
        "credentials": {"userName": "jordan.lee@example.com"}
    })
}

/// What Okta answered to a recorded request, as JSON.
fn okta_answer(request: &RecordedRequest) -> Value {
    serde_json::from_str(request.response_body.as_deref().expect("a response body"))
        .expect("Okta answered JSON")
}

// ---- get_application ----

#[tokio::test]
async fn getting_an_application_passes_oktas_app_on_without_links_for_every_sign_on_mode() {
    let app = spawn_with_account().await;
    for (id, mode, name, label) in [
        (
            SAML_APP_ID,
            "SAML_2_0",
            "template_saml_2_0",
            "Sample SAML App",
        ),
        (BOOKMARK_APP_ID, "BOOKMARK", "bookmark", "Company Intranet"),
        (
            OIDC_APP_ID,
            "OPENID_CONNECT",
            "oidc_client",
            "Helpdesk Portal",
        ),
        (
            SWA_APP_ID,
            "AUTO_LOGIN",
            "simorg_legacypayroll_1",
            "Legacy Payroll",
        ),
    ] {
        app.forget_requests();
        let response = app.action("get_application", json!({"appId": id})).await;

        assert_eq!(response.status, 200, "{}", response.text);
        assert_eq!(app.okta_calls(), [format!("GET /api/v1/apps/{id}")]);
        let okta = okta_answer(&received(&app)[0]);
        assert!(okta.get("_links").is_some());
        assert_eq!(
            response.json,
            without_links(okta),
            "Okta's app as it is (extra keys kept), only _links removed"
        );
        assert_seed_keys(&response.json, &app_sample(), false);
        assert_eq!(response.json["id"], id);
        assert_eq!(response.json["signOnMode"], mode);
        assert_eq!(response.json["label"], label);
        assert_eq!(response.json["name"], name);
        assert!(response.json["settings"].is_object());
    }
}

#[tokio::test]
async fn getting_an_unknown_application_is_not_found_for_the_application() {
    let app = spawn_with_account().await;
    let response = app
        .action("get_application", json!({"appId": "0oaNOTANAPP000000000"}))
        .await;
    assert_not_found(
        &response,
        "application",
        "Not found: Resource not found: 0oaNOTANAPP000000000 (AppInstance)",
    );
    assert_eq!(app.okta_calls(), ["GET /api/v1/apps/0oaNOTANAPP000000000"]);
}

#[tokio::test]
async fn getting_an_application_needs_an_app_id() {
    let app = spawn_with_account().await;
    for body in [
        json!({}),
        json!({"appId": ""}),
        json!({"appId": 42}),
        json!({"appId": null}),
    ] {
        let response = app.action("get_application", body).await;
        assert_refused(&app, &response, &["appId"]);
    }
}

// ---- assign_app_to_user ----

#[tokio::test]
async fn assigning_an_app_posts_the_user_id_with_scope_user_by_default() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "assign_app_to_user",
            json!({"appId": OIDC_APP_ID, "userId": PRIYA_ID}),
        )
        .await;

    assert_eq!(response.status, 200, "{}", response.text);
    let sent = received(&app);
    assert_eq!(
        app.okta_calls(),
        [format!("POST /api/v1/apps/{OIDC_APP_ID}/users")]
    );
    assert_eq!(
        json_body(&sent[0]),
        json!({"id": PRIYA_ID, "scope": "USER"})
    );
    let mut expected = without_links(okta_answer(&sent[0]));
    assert!(
        expected.get("externalId").is_none(),
        "okta-sim leaves externalId out"
    );
    expected["externalId"] = Value::Null;
    assert_eq!(response.json, expected);
    assert_seed_keys(&response.json, &app_user_sample(), true);
    assert_eq!(response.json["id"], PRIYA_ID);
    assert_eq!(response.json["scope"], "USER");
    assert_eq!(response.json["credentials"]["userName"], PRIYA_LOGIN);
    assert_eq!(
        app.sim.handle().app_user_ids(OIDC_APP_ID),
        vec![PRIYA_ID.to_owned()]
    );
}

#[tokio::test]
async fn assigning_an_app_with_scope_group_is_refused_pointing_to_group_assignment() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "assign_app_to_user",
            json!({"appId": SWA_APP_ID, "userId": JORDAN_ID, "scope": "GROUP"}),
        )
        .await;

    assert_refused(&app, &response, &["scope"]);
    let problem = response.json["error"]["details"]["fields"][0]["problem"]
        .as_str()
        .unwrap_or_default();
    assert!(problem.contains("group-to-app assignment"), "{problem}");
    assert!(app.sim.handle().app_user_ids(SWA_APP_ID).is_empty());
}

#[tokio::test]
async fn assigning_an_app_with_a_null_scope_uses_the_default() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "assign_app_to_user",
            json!({"appId": OIDC_APP_ID, "userId": JORDAN_ID, "scope": null}),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(
        json_body(&received(&app)[0]),
        json!({"id": JORDAN_ID, "scope": "USER"})
    );
}

#[tokio::test]
async fn an_invalid_scope_is_refused_before_any_okta_call() {
    let app = spawn_with_account().await;
    for scope in [json!("user"), json!("ADMIN"), json!(""), json!(1)] {
        let response = app
            .action(
                "assign_app_to_user",
                json!({"appId": OIDC_APP_ID, "userId": JORDAN_ID, "scope": scope}),
            )
            .await;
        assert_refused(&app, &response, &["scope"]);
        assert_eq!(
            response.json["error"]["details"]["fields"][0]["problem"],
            "must be USER: GROUP assignments come from a group-to-app assignment (assign the application to one of the user's groups); this action only makes direct USER assignments"
        );
    }
    let response = app
        .action("assign_app_to_user", json!({"scope": "x"}))
        .await;
    assert_refused(&app, &response, &["appId", "userId", "scope"]);
}

#[tokio::test]
async fn assigning_an_app_the_user_already_has_is_a_conflict_with_oktas_details() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "assign_app_to_user",
            json!({"appId": SAML_APP_ID, "userId": JORDAN_ID}),
        )
        .await;

    let error = response.assert_error("CONFLICT", 409);
    assert_eq!(error["code"], 9114);
    assert_eq!(
        error["details"]["conflict"],
        "The user is already assigned to this application."
    );
    assert_eq!(error["details"]["okta"]["errorCode"], "E0000062");
    assert!(
        error["details"].get("userStatus").is_none(),
        "not a refusal because of the user's status"
    );
    assert_eq!(
        app.okta_calls(),
        [format!("POST /api/v1/apps/{SAML_APP_ID}/users")],
        "a POST is never repeated"
    );
}

#[tokio::test]
async fn assigning_an_app_to_a_deactivated_user_is_an_invalid_state_with_the_users_status() {
    let app = spawn_with_account().await;
    assert!(app.sim.handle().set_user_status(PRIYA_ID, "DEPROVISIONED"));
    let response = app
        .action(
            "assign_app_to_user",
            json!({"appId": OIDC_APP_ID, "userId": PRIYA_ID}),
        )
        .await;

    let error = response.assert_error("INVALID_STATE", 409);
    assert_eq!(error["code"], 9110);
    assert_eq!(error["details"]["okta"]["errorCode"], "E0000038");
    assert_eq!(error["details"]["userStatus"], "DEPROVISIONED");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .ends_with("The user's status is DEPROVISIONED."),
        "{}",
        response.text
    );
    assert_eq!(
        app.okta_calls(),
        [
            format!("POST /api/v1/apps/{OIDC_APP_ID}/users"),
            format!("GET /api/v1/users/{PRIYA_ID}"),
        ]
    );
    assert!(app.sim.handle().app_user_ids(OIDC_APP_ID).is_empty());
}

#[tokio::test]
async fn assigning_an_unknown_app_or_to_an_unknown_user_is_not_found() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "assign_app_to_user",
            json!({"appId": "0oaNOTANAPP000000000", "userId": JORDAN_ID}),
        )
        .await;
    assert_not_found(
        &response,
        "application",
        "Not found: Resource not found: 0oaNOTANAPP000000000 (AppInstance)",
    );

    app.forget_requests();
    let response = app
        .action(
            "assign_app_to_user",
            json!({"appId": OIDC_APP_ID, "userId": "00uNOTAUSER000000000"}),
        )
        .await;
    assert_not_found(
        &response,
        "user",
        "Not found: Resource not found: 00uNOTAUSER000000000 (User)",
    );
    assert_eq!(
        app.okta_calls(),
        [format!("POST /api/v1/apps/{OIDC_APP_ID}/users")]
    );

    app.forget_requests();
    let response = app
        .action(
            "assign_app_to_user",
            json!({"appId": OIDC_APP_ID, "userId": "nobody@example.com"}),
        )
        .await;
    assert_not_found(
        &response,
        "user",
        "Not found: Resource not found: nobody@example.com (User)",
    );
    assert_eq!(
        app.okta_calls(),
        ["GET /api/v1/users/nobody%40example.com"],
        "nothing is posted for a login that does not resolve"
    );
    assert!(app.sim.handle().app_user_ids(OIDC_APP_ID).is_empty());
}

// ---- unassign_app_from_user ----

#[tokio::test]
async fn unassigning_an_app_deletes_the_assignment_and_answers_the_seed_wrapper() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "unassign_app_from_user",
            json!({"appId": BOOKMARK_APP_ID, "userId": PRIYA_ID}),
        )
        .await;

    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(
        response.json,
        json!({
            "status": 204,
            "message": "Application successfully unassigned from user.",
            "userId": PRIYA_ID,
            "appId": BOOKMARK_APP_ID,
        })
    );
    assert_eq!(
        app.okta_calls(),
        [format!(
            "DELETE /api/v1/apps/{BOOKMARK_APP_ID}/users/{PRIYA_ID}"
        )]
    );
    assert_eq!(received(&app)[0].body, None);
    assert_eq!(
        app.sim.handle().app_user_ids(BOOKMARK_APP_ID),
        vec![JORDAN_ID.to_owned()]
    );
}

#[tokio::test]
async fn a_dry_run_unassignment_only_reads_the_app_user() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "unassign_app_from_user",
            json!({"appId": SAML_APP_ID, "userId": JORDAN_ID, "dryRun": true}),
        )
        .await;

    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(
        app.okta_calls(),
        [format!("GET /api/v1/apps/{SAML_APP_ID}/users/{JORDAN_ID}")]
    );
    let okta = okta_answer(&received(&app)[0]);
    assert_eq!(
        response.json,
        json!({
            "dryRun": true,
            "message": format!("Would unassign application {SAML_APP_ID} from user {JORDAN_ID}."),
            "target": without_links(okta),
        })
    );
    assert_eq!(
        app.sim.handle().app_user_ids(SAML_APP_ID),
        vec![JORDAN_ID.to_owned()]
    );
}

#[tokio::test]
async fn unassigning_an_app_the_user_does_not_have_is_not_found() {
    let app = spawn_with_account().await;
    for dry_run in [false, true] {
        app.forget_requests();
        let response = app
            .action(
                "unassign_app_from_user",
                json!({"appId": OIDC_APP_ID, "userId": JORDAN_ID, "dryRun": dry_run}),
            )
            .await;
        assert_not_found(
            &response,
            "assignment",
            &format!("Not found: Resource not found: {JORDAN_ID} (AppUser)"),
        );
        let method = if dry_run { "GET" } else { "DELETE" };
        assert_eq!(
            app.okta_calls(),
            [format!(
                "{method} /api/v1/apps/{OIDC_APP_ID}/users/{JORDAN_ID}"
            )]
        );
    }
}

#[tokio::test]
async fn unassigning_an_unknown_app_is_not_found_for_the_application() {
    let app = spawn_with_account().await;
    for dry_run in [false, true] {
        let response = app
            .action(
                "unassign_app_from_user",
                json!({"appId": "0oaNOTANAPP000000000", "userId": JORDAN_ID, "dryRun": dry_run}),
            )
            .await;
        assert_not_found(
            &response,
            "application",
            "Not found: Resource not found: 0oaNOTANAPP000000000 (AppInstance)",
        );
    }
    assert_eq!(app.sim.handle().app_user_ids(SAML_APP_ID).len(), 1);
}

#[tokio::test]
async fn unassigning_from_a_login_that_does_not_resolve_is_not_found_for_the_user() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "unassign_app_from_user",
            json!({"appId": SAML_APP_ID, "userId": "nobody@example.com"}),
        )
        .await;
    assert_not_found(
        &response,
        "user",
        "Not found: Resource not found: nobody@example.com (User)",
    );
    assert_eq!(app.okta_calls(), ["GET /api/v1/users/nobody%40example.com"]);
}
