//! Admin roles: each token acts as an admin holding one standard role; calls outside the
//! role get 403 E0000006 and change nothing.

use okta_sim::{AdminRole, SimConfig, demo};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Resp, TestSim, spawn, spawn_with};

const DENIED: &str = "You do not have permission to perform the requested action";

async fn as_role(
    t: &TestSim,
    role: AdminRole,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Resp {
    let token = format!("token-{role}");
    t.handle().add_token(&token, role);
    t.call_as(Some(&token), method, path, body).await
}

#[tokio::test]
async fn a_help_desk_admin_reads_and_resets_but_does_not_manage() {
    let t = spawn().await;
    let hd = AdminRole::HelpDeskAdmin;
    let jordan = format!("/api/v1/users/{}", demo::JORDAN_ID);
    for path in [
        "/api/v1/users".to_string(),
        jordan.clone(),
        format!("{jordan}/groups"),
        format!("{jordan}/factors"),
        "/api/v1/groups".to_string(),
        format!("/api/v1/groups/{}/users", demo::ENGINEERING_GROUP_ID),
        "/api/v1/apps".to_string(),
        format!("/api/v1/apps/{}/users", demo::SAML_APP_ID),
        "/api/v1/logs".to_string(),
    ] {
        let resp = as_role(&t, hd, Method::GET, &path, None).await;
        assert_eq!(resp.status, 200, "GET {path}: {}", resp.text);
    }
    let unlock = as_role(
        &t,
        hd,
        Method::POST,
        &format!("/api/v1/users/{}/lifecycle/unlock", demo::MAYA_ID),
        None,
    )
    .await;
    assert_eq!(unlock.status, 200, "{}", unlock.text);
    let reset = as_role(
        &t,
        hd,
        Method::POST,
        &format!("{jordan}/lifecycle/reset_password?sendEmail=false"),
        None,
    )
    .await;
    assert_eq!(reset.status, 200, "{}", reset.text);
    let factor = as_role(
        &t,
        hd,
        Method::DELETE,
        &format!("{jordan}/factors/{}", demo::JORDAN_SMS_FACTOR_ID),
        None,
    )
    .await;
    assert_eq!(factor.status, 204, "{}", factor.text);
    let factors = as_role(
        &t,
        hd,
        Method::POST,
        &format!("{jordan}/lifecycle/reset_factors"),
        None,
    )
    .await;
    assert_eq!(factors.status, 200, "{}", factors.text);

    let priya = format!("/api/v1/users/{}", demo::PRIYA_ID);
    let refused: Vec<(Method, String, Option<Value>)> = vec![
        (Method::DELETE, priya.clone(), None),
        (Method::POST, format!("{priya}/lifecycle/deactivate"), None),
        (Method::POST, format!("{priya}/lifecycle/suspend"), None),
        (
            Method::POST,
            priya.clone(),
            Some(json!({"profile": {"firstName": "P"}})),
        ),
        (
            Method::POST,
            "/api/v1/users?activate=false".into(),
            Some(
                json!({"profile": {"firstName": "N", "lastName": "U", "email": "n.u@example.com", "login": "n.u@example.com"}}),
            ),
        ),
        (
            Method::POST,
            "/api/v1/groups".into(),
            Some(json!({"profile": {"name": "Nope"}})),
        ),
        (
            Method::PUT,
            format!(
                "/api/v1/groups/{}/users/{}",
                demo::HR_GROUP_ID,
                demo::PRIYA_ID
            ),
            None,
        ),
        (
            Method::DELETE,
            format!("/api/v1/groups/{}", demo::HR_GROUP_ID),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/apps/{}/users", demo::OIDC_APP_ID),
            Some(json!({"id": demo::PRIYA_ID})),
        ),
    ];
    for (method, path, body) in refused {
        let resp = as_role(&t, hd, method.clone(), &path, body).await;
        resp.assert_error(403, "E0000006", DENIED);
    }
    let h = t.handle();
    assert_eq!(h.user(demo::PRIYA_ID).expect("kept")["status"], "ACTIVE");
    assert_eq!(
        h.user(demo::PRIYA_ID).expect("kept")["profile"]["firstName"],
        "Priya"
    );
    assert!(h.group_member_ids(demo::HR_GROUP_ID).is_empty());
    assert!(h.group(demo::HR_GROUP_ID).is_some());
}

#[tokio::test]
async fn an_org_admin_manages_users_and_groups_but_not_the_super_admin() {
    let t = spawn().await;
    let org = AdminRole::OrgAdmin;
    let suspend = as_role(
        &t,
        org,
        Method::POST,
        &format!("/api/v1/users/{}/lifecycle/suspend", demo::PRIYA_ID),
        None,
    )
    .await;
    assert_eq!(suspend.status, 200, "{}", suspend.text);
    let group = as_role(
        &t,
        org,
        Method::POST,
        "/api/v1/groups",
        Some(json!({"profile": {"name": "Org admin's"}})),
    )
    .await;
    assert_eq!(group.status, 200, "{}", group.text);
    let assign = as_role(
        &t,
        org,
        Method::POST,
        &format!("/api/v1/apps/{}/users", demo::OIDC_APP_ID),
        Some(json!({"id": demo::JORDAN_ID})),
    )
    .await;
    assert_eq!(assign.status, 200, "{}", assign.text);
    for key in [demo::ADMIN_ID, demo::ADMIN_LOGIN, "me"] {
        as_role(
            &t,
            org,
            Method::POST,
            &format!("/api/v1/users/{key}/lifecycle/reset_password?sendEmail=false"),
            None,
        )
        .await
        .assert_error(403, "E0000006", DENIED);
    }
    let read_me = as_role(&t, org, Method::GET, "/api/v1/users/me", None).await;
    assert_eq!(read_me.status, 200);
    let helpdesk_on_admin = as_role(
        &t,
        AdminRole::HelpDeskAdmin,
        Method::POST,
        "/api/v1/users/me/lifecycle/expire_password_with_temp_password",
        None,
    )
    .await;
    helpdesk_on_admin.assert_error(403, "E0000006", DENIED);
    assert_eq!(
        t.handle().user(demo::ADMIN_ID).expect("admin")["status"],
        "ACTIVE"
    );
    // The super admin may.
    let super_admin = t
        .post_empty("/api/v1/users/me/lifecycle/reset_password?sendEmail=false")
        .await;
    assert_eq!(super_admin.status, 200, "{}", super_admin.text);
}

#[tokio::test]
async fn a_read_only_admin_only_reads() {
    let t = spawn_with(SimConfig {
        extra_tokens: vec![("auditor".into(), AdminRole::ReadOnlyAdmin)],
        ..SimConfig::default()
    })
    .await;
    let read = t
        .call_as(Some("auditor"), Method::GET, "/api/v1/logs", None)
        .await;
    assert_eq!(read.status, 200);
    let unlock = t
        .call_as(
            Some("auditor"),
            Method::POST,
            &format!("/api/v1/users/{}/lifecycle/unlock", demo::MAYA_ID),
            None,
        )
        .await;
    unlock.assert_error(403, "E0000006", DENIED);
    assert_eq!(
        t.handle().user(demo::MAYA_ID).expect("maya")["status"],
        "LOCKED_OUT"
    );
}

#[tokio::test]
async fn tokens_get_their_role_over_http() {
    let t = spawn().await;
    let added = t
        .control(
            Method::POST,
            "/tokens",
            Some(json!({"token": "desk", "role": "HELP_DESK_ADMIN"})),
        )
        .await;
    assert_eq!(added.status, 200, "{}", added.text);
    assert_eq!(
        added.json(),
        json!({"tokenLabel": okta_sim::token_label("desk"), "role": "HELP_DESK_ADMIN"})
    );
    let refused = t
        .call_as(
            Some("desk"),
            Method::DELETE,
            &format!("/api/v1/users/{}", demo::PRIYA_ID),
            None,
        )
        .await;
    assert_eq!(refused.status, 403);
    // Without a role a token is a super admin's, as before.
    let plain = t
        .control(Method::POST, "/tokens", Some(json!({"token": "plain"})))
        .await;
    assert_eq!(plain.json()["role"], "SUPER_ADMIN");
    // The old flag is gone: refused rather than silently granting everything.
    let old = t
        .control(
            Method::POST,
            "/tokens",
            Some(json!({"token": "old", "readOnly": true})),
        )
        .await;
    assert_eq!(old.status, 400, "{}", old.text);
    let bad = t
        .control(
            Method::POST,
            "/tokens",
            Some(json!({"token": "bad", "role": "ROOT"})),
        )
        .await;
    assert_eq!(bad.status, 400);
}
