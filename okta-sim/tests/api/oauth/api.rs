//! The API's checks on access tokens: expiry and revocation, the operation's scopes (from
//! the spec's `security` requirements) and the service app's admin role.

use std::time::Duration;

use okta_sim::{AdminRole, demo};
use reqwest::Method;
use serde_json::json;

use super::{RSA_A, bearer_token, call_bearer, challenge, seed};
use crate::helpers::{TestSim, spawn};

async fn client_with(scopes: &[&str], role: Option<AdminRole>) -> TestSim {
    let t = spawn().await;
    t.handle()
        .add_oauth_client(seed(RSA_A, scopes).role(role))
        .expect("client registers");
    t
}

#[tokio::test]
async fn tokens_expire_after_their_lifetime() {
    let t = client_with(&["okta.users.read"], Some(AdminRole::SuperAdmin)).await;
    t.handle().set_access_token_lifetime(Duration::from_secs(1));
    let assertion = super::assertion(&t, RSA_A);
    let resp = super::token_request(&t, &super::form(&assertion, "okta.users.read"), None).await;
    assert_eq!(resp.json()["expires_in"], 1);
    let token = resp.json()["access_token"]
        .as_str()
        .expect("token")
        .to_string();
    assert_eq!(
        call_bearer(&t, &token, Method::GET, "/api/v1/users", None)
            .await
            .status,
        200
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let expired = call_bearer(&t, &token, Method::GET, "/api/v1/users", None).await;
    expired.assert_error(401, "E0000011", "Invalid token provided");
    assert_eq!(
        expired.header("www-authenticate"),
        Some(
            challenge(
                &t,
                "Bearer",
                Some("okta.users.read"),
                "invalid_token",
                "The access token is expired.",
                "/api/v1/users"
            )
            .as_str()
        )
    );
}

#[tokio::test]
async fn revoked_tokens_are_refused() {
    let t = client_with(&["okta.users.read"], Some(AdminRole::SuperAdmin)).await;
    let token = bearer_token(&t, RSA_A, "okta.users.read").await;
    let revoked = t.control(Method::DELETE, "/oauth-tokens", None).await;
    assert_eq!(revoked.status, 204);
    let resp = call_bearer(&t, &token, Method::GET, "/api/v1/users", None).await;
    resp.assert_error(401, "E0000011", "Invalid token provided");
}

#[tokio::test]
async fn an_operation_outside_the_token_s_scopes_gets_403_insufficient_scope() {
    let t = client_with(&["okta.users.read"], Some(AdminRole::SuperAdmin)).await;
    let token = bearer_token(&t, RSA_A, "okta.users.read").await;
    let before = t.handle().requests().len();
    let resp = call_bearer(
        &t,
        &token,
        Method::POST,
        "/api/v1/users?activate=false",
        Some(json!({"profile": {"firstName": "Ann", "lastName": "Ito",
                                "email": "ann.ito@example.com", "login": "ann.ito@example.com"}})),
    )
    .await;
    assert_eq!(resp.status, 403);
    assert_eq!(resp.text, "", "Okta sends the challenge without a body");
    assert_eq!(
        resp.header("www-authenticate"),
        Some(
            challenge(
                &t,
                "Bearer",
                Some("okta.users.manage"),
                "insufficient_scope",
                "The access token provided does not contain the required scopes.",
                "/api/v1/users"
            )
            .as_str()
        )
    );
    assert!(t.handle().user("ann.ito@example.com").is_none());
    assert_eq!(t.handle().requests().len(), before + 1);

    let groups = call_bearer(&t, &token, Method::GET, "/api/v1/groups", None).await;
    assert_eq!(groups.status, 403);
    assert!(
        groups
            .header("www-authenticate")
            .is_some_and(|h| h.contains("scope=\"okta.groups.read\""))
    );
    // The spec lets only SSWS tokens list the security questions: no scope is enough.
    let questions = call_bearer(
        &t,
        &token,
        Method::GET,
        &format!("/api/v1/users/{}/factors/questions", demo::JORDAN_ID),
        None,
    )
    .await;
    assert_eq!(questions.status, 403);
    assert!(
        questions
            .header("www-authenticate")
            .is_some_and(|h| !h.contains("scope="))
    );
}

#[tokio::test]
async fn a_manage_scope_also_reads() {
    let t = client_with(&["okta.groups.manage"], Some(AdminRole::SuperAdmin)).await;
    let token = bearer_token(&t, RSA_A, "okta.groups.manage").await;
    let list = call_bearer(&t, &token, Method::GET, "/api/v1/groups", None).await;
    assert_eq!(list.status, 200, "{}", list.text);
    let created = call_bearer(
        &t,
        &token,
        Method::POST,
        "/api/v1/groups",
        Some(json!({"profile": {"name": "Payroll"}})),
    )
    .await;
    assert_eq!(created.status, 200, "{}", created.text);
}

#[tokio::test]
async fn the_service_app_s_admin_role_still_applies() {
    let scopes = ["okta.users.read", "okta.users.manage"];
    let t = client_with(&scopes, Some(AdminRole::ReadOnlyAdmin)).await;
    let token = bearer_token(&t, RSA_A, &scopes.join(" ")).await;
    let suspend = format!("/api/v1/users/{}/lifecycle/suspend", demo::JORDAN_ID);
    let resp = call_bearer(&t, &token, Method::POST, &suspend, None).await;
    resp.assert_error(
        403,
        "E0000006",
        "You do not have permission to perform the requested action",
    );
    assert_eq!(
        t.handle().user(demo::JORDAN_ID).expect("Jordan")["status"],
        "ACTIVE"
    );

    // Re-assigning the role takes effect on the token already issued.
    t.handle()
        .add_oauth_client(seed(RSA_A, &scopes).role(Some(AdminRole::HelpDeskAdmin)))
        .expect("re-registers");
    let unlock = format!("/api/v1/users/{}/lifecycle/unlock", demo::MAYA_ID);
    let resp = call_bearer(&t, &token, Method::POST, &unlock, None).await;
    assert_eq!(resp.status, 200, "{}", resp.text);
    let resp = call_bearer(&t, &token, Method::POST, &suspend, None).await;
    assert_eq!(resp.status, 403, "{}", resp.text);

    // Without any admin role the app may call nothing.
    t.handle()
        .add_oauth_client(seed(RSA_A, &scopes).role(None))
        .expect("re-registers");
    let resp = call_bearer(&t, &token, Method::GET, "/api/v1/users", None).await;
    resp.assert_error(
        403,
        "E0000006",
        "You do not have permission to perform the requested action",
    );
}

#[tokio::test]
async fn a_service_app_has_no_user_of_its_own() {
    let t = client_with(&["okta.users.read"], Some(AdminRole::SuperAdmin)).await;
    let token = bearer_token(&t, RSA_A, "okta.users.read").await;
    let me = call_bearer(&t, &token, Method::GET, "/api/v1/users/me", None).await;
    me.assert_error(404, "E0000007", "Not found: Resource not found: me (User)");
    let org = call_bearer(&t, &token, Method::GET, "/api/v1/org", None).await;
    assert_eq!(org.status, 403, "okta.orgs.read was not granted");
}
