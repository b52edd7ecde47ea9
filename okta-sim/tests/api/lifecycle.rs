//! The user status machine, lifecycle bodies, passwords and two-step deletion.

use okta_sim::{UserSeed, demo};
use serde_json::json;

use crate::helpers::{TestSim, assert_okta_ts, spawn, spawn_synchronous};

const STATUSES: [&str; 8] = [
    "STAGED",
    "PROVISIONED",
    "ACTIVE",
    "RECOVERY",
    "LOCKED_OUT",
    "PASSWORD_EXPIRED",
    "SUSPENDED",
    "DEPROVISIONED",
];

/// What an operation does from a status: `Ok(new status)` or `Err((http, code))`.
type Outcome = Result<&'static str, (u16, &'static str)>;

fn expected(op: &str, from: &str) -> Outcome {
    const WRONG: (u16, &str) = (403, "E0000038");
    match (op, from) {
        ("activate", "STAGED" | "DEPROVISIONED") => Ok("ACTIVE"),
        ("activate", "ACTIVE") => Err((403, "E0000016")),
        ("activate", _) => Err(WRONG),
        ("reactivate", s @ ("PROVISIONED" | "RECOVERY")) => Ok(if s == "PROVISIONED" {
            "PROVISIONED"
        } else {
            "RECOVERY"
        }),
        ("reactivate", _) => Err(WRONG),
        ("deactivate", "DEPROVISIONED") => Err(WRONG),
        ("deactivate", _) => Ok("DEPROVISIONED"),
        ("suspend", "ACTIVE") => Ok("SUSPENDED"),
        ("suspend", _) => Err((400, "E0000001")),
        ("unsuspend", "SUSPENDED") => Ok("ACTIVE"),
        ("unsuspend", _) => Err((400, "E0000001")),
        ("unlock", "LOCKED_OUT") => Ok("ACTIVE"),
        ("unlock", _) => Err((403, "E0000032")),
        (
            "reset_password",
            "PROVISIONED" | "ACTIVE" | "RECOVERY" | "LOCKED_OUT" | "PASSWORD_EXPIRED",
        ) => Ok("RECOVERY"),
        ("reset_password", _) => Err(WRONG),
        ("expire_password", "ACTIVE" | "RECOVERY" | "LOCKED_OUT" | "PASSWORD_EXPIRED") => {
            Ok("PASSWORD_EXPIRED")
        }
        ("expire_password", _) => Err(WRONG),
        _ => Err((0, "unexpected op")),
    }
}

async fn user_in(t: &TestSim, status: &str, n: usize) -> String {
    let u = t.handle().seed_user(
        UserSeed::new(&format!("state{n}@example.com"), "State", "Test")
            .status(status)
            .password("Start-Passw0rd-1"),
    );
    u["id"].as_str().expect("seeded").to_string()
}

#[tokio::test]
async fn every_lifecycle_operation_follows_okta_s_status_table() {
    let t = spawn_synchronous().await;
    let mut n = 0;
    for op in [
        "activate",
        "reactivate",
        "deactivate",
        "suspend",
        "unsuspend",
        "unlock",
        "reset_password",
        "expire_password",
    ] {
        for from in STATUSES {
            n += 1;
            let id = user_in(&t, from, n).await;
            // reset_password requires sendEmail (the spec marks it required).
            let query = if op == "reset_password" {
                "?sendEmail=true"
            } else {
                ""
            };
            let resp = t
                .post_empty(&format!("/api/v1/users/{id}/lifecycle/{op}{query}"))
                .await;
            let now = t.handle().user(&id).expect("user")["status"].clone();
            match expected(op, from) {
                Ok(to) => {
                    assert_eq!(resp.status, 200, "{op} from {from}: {}", resp.text);
                    assert_eq!(now, to, "{op} from {from}");
                }
                Err((status, code)) => {
                    assert_eq!(resp.status, status, "{op} from {from}: {}", resp.text);
                    assert_eq!(resp.json()["errorCode"], code, "{op} from {from}");
                    assert_eq!(now, from, "{op} from {from} leaves the status");
                }
            }
        }
    }
}

#[tokio::test]
async fn illegal_transitions_use_okta_s_summaries() {
    let t = spawn().await;
    let jordan = demo::JORDAN_ID;
    t.post_empty(&format!("/api/v1/users/{jordan}/lifecycle/unsuspend"))
        .await
        .assert_error(
            400,
            "E0000001",
            "Cannot unsuspend a user that is not suspended",
        );
    t.post_empty(&format!("/api/v1/users/{jordan}/lifecycle/activate"))
        .await
        .assert_error(
            403,
            "E0000016",
            "Activation failed because the user is already active",
        );
    t.post_empty(&format!("/api/v1/users/{jordan}/lifecycle/unlock"))
        .await
        .assert_error(403, "E0000032", "Unlock is not allowed for this user.");
    t.post_empty(&format!("/api/v1/users/{jordan}/lifecycle/reactivate"))
        .await
        .assert_error(
            403,
            "E0000038",
            "This operation is not allowed in the user's current status.",
        );
    t.post_empty(&format!("/api/v1/users/{jordan}/lifecycle/suspend"))
        .await;
    t.post_empty(&format!("/api/v1/users/{jordan}/lifecycle/suspend"))
        .await
        .assert_error(400, "E0000001", "Cannot suspend a user that is not active");
}

#[tokio::test]
async fn suspend_and_unsuspend_answer_an_empty_object() {
    let t = spawn().await;
    let resp = t
        .post_empty(&format!(
            "/api/v1/users/{}/lifecycle/suspend",
            demo::JORDAN_ID
        ))
        .await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.text, "{}");
    assert_eq!(
        resp.header("content-type"),
        Some("application/json;charset=UTF-8")
    );
    let u = t
        .get(&format!("/api/v1/users/{}", demo::JORDAN_ID))
        .await
        .json();
    assert_eq!(u["status"], "SUSPENDED");
    assert!(u["_links"]["unsuspend"].is_object());
    assert!(u["_links"]["suspend"].is_null());
    let back = t
        .post_empty(&format!(
            "/api/v1/users/{}/lifecycle/unsuspend",
            demo::JORDAN_ID
        ))
        .await;
    assert_eq!(back.text, "{}");
    assert_eq!(
        t.handle().user(demo::JORDAN_ID).expect("u")["status"],
        "ACTIVE"
    );
}

#[tokio::test]
async fn lifecycle_operations_accept_a_login_in_the_path() {
    let t = spawn().await;
    let resp = t
        .post_empty("/api/v1/users/jordan.lee%40example.com/lifecycle/suspend")
        .await;
    assert_eq!(resp.status, 200);
    assert_eq!(
        t.handle().user(demo::JORDAN_ID).expect("u")["status"],
        "SUSPENDED"
    );
    t.post_empty("/api/v1/users/nobody/lifecycle/suspend")
        .await
        .assert_error(
            404,
            "E0000007",
            "Not found: Resource not found: nobody (User)",
        );
}

#[tokio::test]
async fn activation_returns_a_token_unless_an_email_is_sent() {
    let t = spawn_synchronous().await;
    let staged = t.create_user("staged@example.com", false, None).await;
    let id = staged["id"].as_str().expect("id");
    let resp = t
        .post_empty(&format!(
            "/api/v1/users/{id}/lifecycle/activate?sendEmail=false"
        ))
        .await;
    assert_eq!(resp.status, 200);
    let body = resp.json();
    let token = body["activationToken"].as_str().expect("token");
    assert_eq!(token.len(), 20);
    assert_eq!(
        body["activationUrl"],
        format!("{}/welcome/{token}", t.base())
    );
    let u = t.handle().user(id).expect("u");
    assert_eq!(
        u["status"], "PROVISIONED",
        "no password: waits for the welcome flow"
    );
    assert_eq!(u["activated"], serde_json::Value::Null);

    let again = t
        .post_empty(&format!("/api/v1/users/{id}/lifecycle/reactivate"))
        .await;
    assert!(
        again.json()["activationToken"].is_string(),
        "reactivate defaults to no email"
    );
    let emailed = t
        .post_empty(&format!(
            "/api/v1/users/{id}/lifecycle/reactivate?sendEmail=true"
        ))
        .await;
    assert_eq!(emailed.text, "{}");

    let with_pw = t
        .create_user("staged.pw@example.com", false, Some("Good-Passw0rd-9"))
        .await;
    let pid = with_pw["id"].as_str().expect("id");
    let default_email = t
        .post_empty(&format!("/api/v1/users/{pid}/lifecycle/activate"))
        .await;
    assert_eq!(default_email.text, "{}", "sendEmail defaults to true");
    let u = t.handle().user(pid).expect("u");
    assert_eq!(u["status"], "ACTIVE");
    assert_okta_ts(&u["activated"]);
}

#[tokio::test]
async fn reset_password_returns_a_url_or_nothing() {
    let t = spawn().await;
    let resp = t
        .post_empty(&format!(
            "/api/v1/users/{}/lifecycle/reset_password?sendEmail=false",
            demo::JORDAN_ID
        ))
        .await;
    assert_eq!(resp.status, 200);
    let url = resp.json()["resetPasswordUrl"]
        .as_str()
        .expect("url")
        .to_string();
    assert!(url.starts_with(&format!("{}/reset_password/", t.base())));
    assert_eq!(
        t.handle().user(demo::JORDAN_ID).expect("u")["status"],
        "RECOVERY"
    );
    let emailed = t
        .post_empty(&format!(
            "/api/v1/users/{}/lifecycle/reset_password?sendEmail=true",
            demo::PRIYA_ID
        ))
        .await;
    assert_eq!(emailed.text, "{}");
}

#[tokio::test]
async fn expire_password_returns_the_user_and_the_temp_variants_return_a_string() {
    let t = spawn().await;
    let resp = t
        .post_empty(&format!(
            "/api/v1/users/{}/lifecycle/expire_password",
            demo::JORDAN_ID
        ))
        .await;
    assert_eq!(resp.status, 200);
    let u = resp.json();
    assert_eq!(u["id"], demo::JORDAN_ID);
    assert_eq!(u["status"], "PASSWORD_EXPIRED");

    let temp = t
        .post_empty(&format!(
            "/api/v1/users/{}/lifecycle/expire_password_with_temp_password",
            demo::JORDAN_ID
        ))
        .await;
    assert_eq!(temp.status, 200);
    let pw = temp.json()["tempPassword"]
        .as_str()
        .expect("string")
        .to_string();
    assert_eq!(pw.len(), 8);
    assert_eq!(temp.json().as_object().map(|m| m.len()), Some(1));

    let legacy = t
        .post_empty(&format!(
            "/api/v1/users/{}/lifecycle/expire_password?tempPassword=true",
            demo::JORDAN_ID
        ))
        .await;
    assert!(legacy.json()["tempPassword"].is_string());

    // The temporary password is the user's current one.
    let new_pw = "Fresh-Passw0rd-42";
    let old = legacy.json()["tempPassword"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let changed = t
        .post(
            &format!(
                "/api/v1/users/{}/credentials/change_password",
                demo::JORDAN_ID
            ),
            json!({"oldPassword": {"value": old}, "newPassword": {"value": new_pw}}),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(
        t.handle().user(demo::JORDAN_ID).expect("u")["status"],
        "ACTIVE"
    );
}

#[tokio::test]
async fn expire_password_needs_a_password_unless_a_temp_one_is_made() {
    let t = spawn().await;
    let resp = t
        .post_empty(&format!(
            "/api/v1/users/{}/lifecycle/expire_password",
            demo::PRIYA_ID
        ))
        .await;
    resp.assert_error(
        403,
        "E0000038",
        "This operation is not allowed in the user's current status.",
    );
    let temp = t
        .post_empty(&format!(
            "/api/v1/users/{}/lifecycle/expire_password_with_temp_password",
            demo::PRIYA_ID
        ))
        .await;
    assert_eq!(temp.status, 200);
}

#[tokio::test]
async fn change_password_checks_the_old_password_and_the_policy() {
    let t = spawn().await;
    let path = format!(
        "/api/v1/users/{}/credentials/change_password",
        demo::JORDAN_ID
    );
    let wrong = t
        .post(
            &path,
            json!({"oldPassword": {"value": "nope"}, "newPassword": {"value": "Another-Passw0rd"}}),
        )
        .await;
    wrong.assert_error(403, "E0000014", "Update of credentials failed");
    assert_eq!(
        wrong.causes(),
        vec!["oldPassword: The credentials provided were incorrect."]
    );
    let weak = t
        .post(
            &path,
            json!({"oldPassword": {"value": demo::JORDAN_PASSWORD}, "newPassword": {"value": "jordanrocks1A"}}),
        )
        .await;
    weak.assert_error(403, "E0000014", "Update of credentials failed");
    assert!(weak.causes()[0].starts_with("password: Password requirements were not met."));
    let ok = t
        .post(
            &path,
            json!({"oldPassword": {"value": demo::JORDAN_PASSWORD}, "newPassword": {"value": "Another-Passw0rd"}}),
        )
        .await;
    assert_eq!(ok.status, 200);
    assert_eq!(
        ok.json(),
        json!({"password": {}, "provider": {"type": "OKTA", "name": "OKTA"}})
    );
    let reused = t
        .post(
            &path,
            json!({"oldPassword": {"value": "Another-Passw0rd"}, "newPassword": {"value": "Another-Passw0rd"}}),
        )
        .await;
    assert_eq!(reused.status, 403);
    assert_eq!(reused.json()["errorCode"], "E0000014");
}

#[tokio::test]
async fn change_password_needs_an_id_and_a_password_credential() {
    let t = spawn().await;
    let by_login = t
        .post(
            "/api/v1/users/jordan.lee%40example.com/credentials/change_password",
            json!({"oldPassword": {"value": demo::JORDAN_PASSWORD}, "newPassword": {"value": "Another-Passw0rd"}}),
        )
        .await;
    by_login.assert_error(
        404,
        "E0000007",
        "Not found: Resource not found: jordan.lee@example.com (User)",
    );
    let no_password = t
        .post(
            &format!(
                "/api/v1/users/{}/credentials/change_password",
                demo::PRIYA_ID
            ),
            json!({"oldPassword": {"value": "x"}, "newPassword": {"value": "Another-Passw0rd"}}),
        )
        .await;
    no_password.assert_error(
        403,
        "E0000035",
        "Change password not allowed on specified user.",
    );
}

#[tokio::test]
async fn deleting_a_user_takes_two_deletes() {
    let t = spawn().await;
    let path = format!("/api/v1/users/{}", demo::PRIYA_ID);
    let first = t.delete(&path).await;
    assert_eq!(first.status, 204);
    assert_eq!(first.text, "");
    assert_eq!(t.get(&path).await.json()["status"], "DEPROVISIONED");
    let second = t.delete(&path).await;
    assert_eq!(second.status, 204);
    t.get(&path).await.assert_error(
        404,
        "E0000007",
        &format!("Not found: Resource not found: {} (User)", demo::PRIYA_ID),
    );
    assert_eq!(t.delete(&path).await.status, 404);
    assert!(
        !t.handle()
            .group_member_ids(demo::ENGINEERING_GROUP_ID)
            .contains(&demo::PRIYA_ID.to_string())
    );
    // The login is free again.
    let again = t.create_user(demo::PRIYA_LOGIN, false, None).await;
    assert_ne!(again["id"], demo::PRIYA_ID);
    let types: Vec<String> = t
        .handle()
        .log_events()
        .iter()
        .filter(|e| e["target"][0]["id"] == demo::PRIYA_ID)
        .filter_map(|e| e["eventType"].as_str().map(str::to_string))
        .filter(|t| t.starts_with("user.lifecycle") || t.starts_with("application."))
        .collect();
    assert_eq!(
        types,
        vec![
            "user.lifecycle.create",
            "user.lifecycle.deactivate",
            "application.user_membership.remove",
            "user.lifecycle.delete.initiated",
            "user.lifecycle.delete.completed",
        ],
        "deactivation also deprovisions the user's apps"
    );
}

#[tokio::test]
async fn deactivation_removes_app_assignments_but_keeps_groups() {
    let t = spawn_synchronous().await;
    let resp = t
        .post_empty(&format!(
            "/api/v1/users/{}/lifecycle/deactivate",
            demo::JORDAN_ID
        ))
        .await;
    assert_eq!(resp.text, "{}");
    let h = t.handle();
    assert!(h.app_user_ids(demo::SAML_APP_ID).is_empty());
    assert!(
        h.group_member_ids(demo::ENGINEERING_GROUP_ID)
            .contains(&demo::JORDAN_ID.to_string())
    );
    let again = t
        .post_empty(&format!(
            "/api/v1/users/{}/lifecycle/activate",
            demo::JORDAN_ID
        ))
        .await;
    assert_eq!(again.status, 200);
    assert_eq!(h.user(demo::JORDAN_ID).expect("u")["status"], "ACTIVE");
}

#[tokio::test]
async fn the_control_api_can_lock_a_user_out_and_unlock_works_then() {
    let t = spawn().await;
    assert!(t.handle().set_user_status(demo::JORDAN_ID, "LOCKED_OUT"));
    let u = t
        .get(&format!("/api/v1/users/{}", demo::JORDAN_ID))
        .await
        .json();
    assert_eq!(u["status"], "LOCKED_OUT");
    assert!(u["_links"]["unlock"].is_object());
    let unlocked = t
        .post_empty(&format!(
            "/api/v1/users/{}/lifecycle/unlock",
            demo::JORDAN_ID
        ))
        .await;
    assert_eq!(unlocked.text, "{}");
    let events = t.handle().log_events();
    let kinds: Vec<&str> = events
        .iter()
        .filter_map(|e| e["eventType"].as_str())
        .collect();
    assert!(kinds.contains(&"user.account.lock"));
    assert_eq!(kinds.last(), Some(&"user.account.unlock"));
    assert!(!t.handle().set_user_status(demo::JORDAN_ID, "SLEEPING"));
    assert!(
        !t.handle()
            .set_user_status("00unobody000000000000", "ACTIVE")
    );
}

#[tokio::test]
async fn reset_factors_removes_every_factor_and_keeps_the_status() {
    let t = spawn().await;
    let resp = t
        .post_empty(&format!(
            "/api/v1/users/{}/lifecycle/reset_factors",
            demo::JORDAN_ID
        ))
        .await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.text, "{}");
    assert!(t.handle().factors(demo::JORDAN_ID).is_empty());
    assert_eq!(
        t.handle().user(demo::JORDAN_ID).expect("u")["status"],
        "ACTIVE"
    );
    let event = t
        .handle()
        .log_events()
        .into_iter()
        .rfind(|e| e["eventType"] == "user.mfa.factor.reset_all")
        .expect("logged");
    assert_eq!(event["target"][0]["id"], demo::JORDAN_ID);
}

#[tokio::test]
async fn reset_factors_of_a_deactivated_user_is_refused() {
    let t = spawn_synchronous().await;
    let id = user_in(&t, "DEPROVISIONED", 1).await;
    t.post_empty(&format!("/api/v1/users/{id}/lifecycle/reset_factors"))
        .await
        .assert_error(
            403,
            "E0000038",
            "This operation is not allowed in the user's current status.",
        );
}
