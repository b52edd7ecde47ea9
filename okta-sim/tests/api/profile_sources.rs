//! Users mastered by another profile source (403 E0000023, but a directory password may be
//! expired), unlock for users blocked from
//! unknown devices, and reset_password's required `sendEmail`.

use okta_sim::demo;
use reqwest::Method;
use serde_json::json;

use crate::helpers::spawn;

const MASTERED: &str = "Operation failed because user profile is mastered under another system";
const UNLOCK_REFUSED: &str = "Unlock is not allowed for this user.";

#[tokio::test]
async fn an_active_directory_user_refuses_profile_and_password_changes() {
    let t = spawn().await;
    let set = t
        .control(
            Method::PUT,
            &format!("/users/{}/mastered", demo::JORDAN_LOGIN),
            Some(json!({"source": "ACTIVE_DIRECTORY"})),
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.text);
    assert_eq!(
        set.json()["credentials"]["provider"],
        json!({"type": "ACTIVE_DIRECTORY", "name": "example.com"})
    );
    let jordan = format!("/api/v1/users/{}", demo::JORDAN_ID);
    let refused = [
        t.post(&jordan, json!({"profile": {"firstName": "Jordy"}}))
            .await,
        t.post(
            &jordan,
            json!({"credentials": {"password": {"value": "N3w-Passw0rd-Xyzzy"}}}),
        )
        .await,
        t.post(
            &format!("{jordan}/credentials/change_password"),
            json!({"oldPassword": {"value": demo::JORDAN_PASSWORD}, "newPassword": {"value": "N3w-Passw0rd-Xyzzy"}}),
        )
        .await,
        t.post_empty(&format!("{jordan}/lifecycle/reset_password?sendEmail=false"))
            .await,
        t.post_empty(&format!(
            "{jordan}/lifecycle/expire_password_with_temp_password"
        ))
        .await,
        t.post_empty(&format!("{jordan}/lifecycle/expire_password?tempPassword=true"))
            .await,
    ];
    for resp in refused {
        resp.assert_error(403, "E0000023", MASTERED);
    }
    // An update that changes nothing mastered is fine, and so are lifecycle calls.
    let same = t
        .post(&jordan, json!({"profile": {"firstName": "Jordan"}}))
        .await;
    assert_eq!(same.status, 200, "{}", same.text);
    let suspend = t.post_empty(&format!("{jordan}/lifecycle/suspend")).await;
    assert_eq!(suspend.status, 200);
    let h = t.handle();
    assert_eq!(
        h.user(demo::JORDAN_ID).expect("j")["profile"]["firstName"],
        "Jordan"
    );
    // Clearing the source makes Okta the master again.
    assert!(h.set_mastered(demo::JORDAN_ID, None));
    assert_eq!(
        h.user(demo::JORDAN_ID).expect("j")["credentials"]["provider"]["type"],
        "OKTA"
    );
    let after = t
        .post(&jordan, json!({"profile": {"firstName": "Jordy"}}))
        .await;
    assert_eq!(after.status, 200, "{}", after.text);
}

#[tokio::test]
async fn a_directory_users_password_can_be_expired_without_a_temporary_one() {
    let t = spawn().await;
    assert!(t.handle().set_mastered(demo::PRIYA_ID, Some("LDAP")));
    // Priya has no Okta password: the directory holds it, and Okta expires it there too.
    let resp = t
        .post_empty(&format!(
            "/api/v1/users/{}/lifecycle/expire_password",
            demo::PRIYA_ID
        ))
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text);
    assert_eq!(resp.json()["status"], "PASSWORD_EXPIRED");
    assert_eq!(resp.json()["credentials"]["provider"]["type"], "LDAP");
}

#[tokio::test]
async fn an_hr_mastered_user_keeps_an_okta_password() {
    let t = spawn().await;
    let h = t.handle();
    assert!(h.set_mastered(demo::JORDAN_ID, Some("WORKDAY")));
    let jordan = format!("/api/v1/users/{}", demo::JORDAN_ID);
    t.post(&jordan, json!({"profile": {"lastName": "Leigh"}}))
        .await
        .assert_error(403, "E0000023", MASTERED);
    let reset = t
        .post_empty(&format!("{jordan}/lifecycle/reset_password?sendEmail=true"))
        .await;
    assert_eq!(reset.status, 200, "{}", reset.text);
    assert!(!h.set_mastered("nobody@example.com", Some("WORKDAY")));
    let unknown = t
        .control(
            Method::PUT,
            "/users/nobody@example.com/mastered",
            Some(json!({"source": null})),
        )
        .await;
    assert_eq!(unknown.status, 404);
}

#[tokio::test]
async fn unlock_works_from_active_only_for_a_user_blocked_from_unknown_devices() {
    let t = spawn().await;
    let unlock = format!("/api/v1/users/{}/lifecycle/unlock", demo::JORDAN_ID);
    t.post_empty(&unlock)
        .await
        .assert_error(403, "E0000032", UNLOCK_REFUSED);
    let blocked = t
        .control(
            Method::PUT,
            &format!("/users/{}/device-block", demo::JORDAN_ID),
            Some(json!({"blocked": true})),
        )
        .await;
    assert_eq!(blocked.json(), json!({"blocked": true}));
    let ok = t.post_empty(&unlock).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(ok.text, "{}");
    assert_eq!(
        t.handle().user(demo::JORDAN_ID).expect("j")["status"],
        "ACTIVE"
    );
    assert_eq!(
        t.handle().log_events().last().expect("event")["eventType"],
        "user.account.unlock"
    );
    // The block is lifted: a second unlock is refused again.
    t.post_empty(&unlock)
        .await
        .assert_error(403, "E0000032", UNLOCK_REFUSED);
    // A directory-sourced user cannot be unlocked through Okta even when locked out.
    let h = t.handle();
    assert!(h.set_mastered(demo::MAYA_ID, Some("ACTIVE_DIRECTORY")));
    t.post_empty(&format!("/api/v1/users/{}/lifecycle/unlock", demo::MAYA_ID))
        .await
        .assert_error(403, "E0000032", UNLOCK_REFUSED);
    assert!(!h.set_unknown_device_block("nobody", true));
}

#[tokio::test]
async fn reset_password_without_send_email_is_missing_a_required_parameter() {
    let t = spawn().await;
    let path = format!("/api/v1/users/{}/lifecycle/reset_password", demo::JORDAN_ID);
    t.post_empty(&path).await.assert_error(
        400,
        "E0000028",
        "The request is missing a required parameter.",
    );
    t.post_empty(&format!("{path}?sendEmail="))
        .await
        .assert_error(
            400,
            "E0000028",
            "The request is missing a required parameter.",
        );
    assert_eq!(
        t.handle().user(demo::JORDAN_ID).expect("j")["status"],
        "ACTIVE"
    );
    let ok = t.post_empty(&format!("{path}?sendEmail=true")).await;
    assert_eq!(ok.status, 200);
}
