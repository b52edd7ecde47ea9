//! What a busy, strict production org does that a kind simulator would not: custom group
//! attributes, asynchronous activation, admin roles, users mastered by a directory, devices
//! blocked, factor resend throttles. Each test runs the action against okta-sim's strict
//! behaviour and checks both the gateway's answer and the org afterwards.

use std::time::Duration;

use okta_sim::demo::{ENGINEERING_GROUP_ID, JORDAN_ID, PRIYA_ID};
use okta_sim::{AdminRole, GroupSeed, UserSeed};
use reqwest::Method;
use serde_json::{Value, json};

use super::support::json_body;
use crate::helpers::{ACTION_KEY, TestApp, TestResponse, spawn_with_account};

fn status_in_okta(app: &TestApp, reference: &str) -> String {
    app.sim.handle().user(reference).expect("the user")["status"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn updating_a_group_keeps_its_custom_profile_attributes() {
    let app = spawn_with_account().await;
    let group = app.sim.handle().seed_group_with(
        GroupSeed::new("Finance Ops")
            .description("Money")
            .attribute("costCenter", json!("CC-1000"))
            .attribute("region", json!("EMEA")),
    );
    let id = group["id"].as_str().expect("an id").to_owned();

    for body in [
        json!({"groupId": id, "name": "Finance Operations"}),
        json!({"groupId": id, "name": "Finance Operations", "description": "Payables"}),
    ] {
        let response = app.action("update_group", body).await;
        assert_eq!(response.status, 200, "{}", response.text);
    }

    let profile = &app.sim.handle().group(&id).expect("the group")["profile"];
    assert_eq!(
        *profile,
        json!({"name": "Finance Operations", "description": "Payables",
               "costCenter": "CC-1000", "region": "EMEA"})
    );
    let puts: Vec<Value> = app
        .okta_requests()
        .iter()
        .filter(|r| r.method == "PUT")
        .map(json_body)
        .collect();
    assert_eq!(puts.len(), 2);
    for put in puts {
        assert_eq!(put["profile"]["costCenter"], "CC-1000", "{put}");
    }
}

#[tokio::test]
async fn an_app_group_cannot_be_renamed_or_given_members() {
    let app = spawn_with_account().await;
    let group = app
        .sim
        .handle()
        .seed_group_with(GroupSeed::new("AD: Domain Users").group_type("APP_GROUP"));
    let id = group["id"].as_str().expect("an id").to_owned();

    let renamed = app
        .action("update_group", json!({"groupId": id, "name": "Renamed"}))
        .await;
    renamed.assert_error("RESOURCE_ACCESS_DENIED", 403);
    let added = app
        .action(
            "add_user_to_group",
            json!({"groupId": id, "userId": JORDAN_ID}),
        )
        .await;
    added.assert_error("RESOURCE_ACCESS_DENIED", 403);
    assert!(app.sim.handle().group_member_ids(&id).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_right_after_activation_waits_for_okta_to_finish_activating() {
    let app = spawn_with_account().await;
    app.sim.handle().set_transition(Duration::from_millis(400));
    let user = app.sim.handle().seed_user(
        UserSeed::new("fresh.hire@example.com", "Fresh", "Hire")
            .status("STAGED")
            .password("Str0ng-Passw0rd-Hire"),
    );
    let id = user["id"].as_str().expect("an id").to_owned();

    let activated = app
        .action("activate_user", json!({"userId": id, "sendEmail": true}))
        .await;
    assert_eq!(activated.status, 200, "{}", activated.text);
    let updated = app
        .action(
            "update_user",
            json!({"userIdOrLogin": id, "lastName": "Hired"}),
        )
        .await;

    assert_eq!(updated.status, 200, "{}", updated.text);
    assert_eq!(updated.json["profile"]["lastName"], "Hired");
    let refused = app
        .okta_requests()
        .iter()
        .filter(|r| r.method == "POST" && r.status == 409)
        .count();
    assert!(refused >= 1, "Okta refused at least once while activating");
    assert_eq!(status_in_okta(&app, &id), "ACTIVE");
}

/// An account on the same org whose token belongs to an admin with `role`.
async fn account_with_role(app: &TestApp, name: &str, role: AdminRole) {
    let token = format!("00{name}-token-0123456789");
    app.sim.handle().add_token(&token, role);
    let account = json!({"name": name, "domain": app.sim.base_url(), "apiToken": token});
    let created = app.admin(Method::POST, "/accounts", Some(account)).await;
    assert_eq!(created.status, 201, "{}", created.text);
    app.forget_requests();
}

async fn action_on(app: &TestApp, account: &str, action: &str, body: Value) -> TestResponse {
    app.call(
        Method::POST,
        &format!("/accounts/{account}/actions/{action}"),
        Some(ACTION_KEY),
        Some(body),
    )
    .await
}

#[tokio::test]
async fn a_help_desk_admins_token_resets_but_may_not_delete() {
    let app = spawn_with_account().await;
    account_with_role(&app, "helpdesk", AdminRole::HelpDeskAdmin).await;

    let reset = action_on(
        &app,
        "helpdesk",
        "reset_password",
        json!({"userId": JORDAN_ID, "sendEmail": true}),
    )
    .await;
    assert_eq!(reset.status, 200, "{}", reset.text);

    let deleted = action_on(
        &app,
        "helpdesk",
        "delete_user",
        json!({"userIdOrLogin": PRIYA_ID}),
    )
    .await;
    let error = deleted.assert_error("RESOURCE_ACCESS_DENIED", 403);
    assert_eq!(error["details"]["okta"]["errorCode"], "E0000006");
    assert_eq!(status_in_okta(&app, PRIYA_ID), "ACTIVE");

    let group = action_on(
        &app,
        "helpdesk",
        "add_user_to_group",
        json!({"groupId": ENGINEERING_GROUP_ID, "userId": JORDAN_ID}),
    )
    .await;
    group.assert_error("RESOURCE_ACCESS_DENIED", 403);
}

#[tokio::test]
async fn a_user_mastered_by_active_directory_is_changed_in_the_directory() {
    let app = spawn_with_account().await;
    assert!(
        app.sim
            .handle()
            .set_mastered(JORDAN_ID, Some("ACTIVE_DIRECTORY"))
    );

    let response = app
        .action(
            "update_user",
            json!({"userIdOrLogin": JORDAN_ID, "lastName": "Elsewhere"}),
        )
        .await;

    let error = response.assert_error("PROFILE_MASTERED_ELSEWHERE", 403);
    assert_eq!(error["code"], 9115);
    assert_eq!(error["details"]["okta"]["errorCode"], "E0000023");
    assert!(
        error["howToFix"]
            .as_str()
            .unwrap_or_default()
            .contains("source system")
    );
    let user = app.sim.handle().user(JORDAN_ID).expect("the user");
    assert_eq!(user["profile"]["lastName"], "Lee");
}

#[tokio::test]
async fn an_active_user_blocked_from_unknown_devices_is_unlocked() {
    let app = spawn_with_account().await;
    assert!(app.sim.handle().set_unknown_device_block(JORDAN_ID, true));

    let response = app
        .action("unlock_user", json!({"userId": JORDAN_ID}))
        .await;

    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.json["userStatus"], "ACTIVE");
    // The block is lifted: a second unlock of a plain ACTIVE user is refused by Okta.
    let again = app
        .action("unlock_user", json!({"userId": JORDAN_ID}))
        .await;
    let error = again.assert_error("INVALID_STATE", 409);
    assert_eq!(error["details"]["okta"]["errorCode"], "E0000032");
}

#[tokio::test]
async fn a_second_sms_within_thirty_seconds_is_a_rate_limit_with_the_real_wait() {
    let app = spawn_with_account().await;
    let sms = json!({"userId": PRIYA_ID, "factorType": "sms", "provider": "OKTA",
                     "profile": {"phoneNumber": "+1 555 415 1337"}});

    let first = app.action("enroll_factor", sms.clone()).await;
    assert_eq!(first.status, 200, "{}", first.text);
    let second = app.action("enroll_factor", sms).await;

    let error = second.assert_error("API_LIMIT_REACHED", 429);
    assert_eq!(error["details"]["okta"]["errorCode"], "E0000109");
    assert_eq!(error["details"]["retryAfter"], 30);
    assert_eq!(second.headers.get("retry-after").unwrap(), "30");
    assert_eq!(
        app.okta_calls().len(),
        2,
        "the throttled enrolment is not repeated"
    );
}
