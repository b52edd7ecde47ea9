//! MFA factors: listing, enrolment bodies per type, activation and deletion.

use okta_sim::{SIM_PASSCODE, SimConfig, demo};
use reqwest::Method;
use serde_json::json;

use crate::helpers::{TestSim, assert_okta_ts, spawn, spawn_with};

fn factors_path(user: &str) -> String {
    format!("/api/v1/users/{user}/factors")
}

async fn enroll(
    t: &TestSim,
    user: &str,
    query: &str,
    body: serde_json::Value,
) -> crate::helpers::Resp {
    t.post(&format!("{}{query}", factors_path(user)), body)
        .await
}

#[tokio::test]
async fn jordan_s_seeded_factors_are_listed() {
    let t = spawn().await;
    let resp = t.get(&factors_path(demo::JORDAN_ID)).await;
    assert_eq!(resp.status, 200);
    let list = resp.json();
    assert_eq!(list.as_array().map(Vec::len), Some(2));
    assert_eq!(list[0]["id"], demo::JORDAN_TOTP_FACTOR_ID);
    assert_eq!(list[0]["factorType"], "token:software:totp");
    assert_eq!(list[0]["provider"], "GOOGLE");
    assert_eq!(list[0]["vendorName"], "GOOGLE");
    assert_eq!(list[0]["status"], "ACTIVE");
    assert_eq!(list[0]["created"], "2024-01-20T09:00:00.000Z");
    assert_eq!(
        list[0]["profile"],
        json!({"credentialId": demo::JORDAN_LOGIN})
    );
    assert_eq!(list[1]["id"], demo::JORDAN_SMS_FACTOR_ID);
    assert_eq!(list[1]["profile"], json!({"phoneNumber": "+15551234567"}));
    let one = t
        .get(&format!(
            "{}/{}",
            factors_path(demo::JORDAN_ID),
            demo::JORDAN_SMS_FACTOR_ID
        ))
        .await;
    assert_eq!(one.json()["factorType"], "sms");
    assert!(one.json()["_links"]["verify"].is_object());
    assert_eq!(t.get(&factors_path(demo::PRIYA_ID)).await.json(), json!([]));
}

#[tokio::test]
async fn an_unknown_factor_or_a_login_path_gets_404() {
    let t = spawn().await;
    t.get(&format!(
        "{}/ostnope0000000000000",
        factors_path(demo::JORDAN_ID)
    ))
    .await
    .assert_error(
        404,
        "E0000007",
        "Not found: Resource not found: ostnope0000000000000 (UserFactor)",
    );
    t.get(&factors_path("jordan.lee%40example.com"))
        .await
        .assert_error(
            404,
            "E0000007",
            "Not found: Resource not found: jordan.lee@example.com (User)",
        );
}

#[tokio::test]
async fn a_security_question_is_active_at_once() {
    let t = spawn().await;
    let resp = enroll(
        &t,
        demo::PRIYA_ID,
        "",
        json!({"factorType": "question", "provider": "OKTA",
               "profile": {"question": "disliked_food", "answer": "mayonnaise"}}),
    )
    .await;
    assert_eq!(resp.status, 200, "{}", resp.text);
    let f = resp.json();
    assert!(
        f["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("ufs") && id.len() == 20)
    );
    assert_eq!(f["status"], "ACTIVE");
    assert_eq!(
        f["profile"],
        json!({"question": "disliked_food", "questionText": "What is the food you least liked as a child?"})
    );
    assert!(
        !resp.text.contains("mayonnaise"),
        "answers are never echoed"
    );
    assert!(f["_links"]["questions"]["href"].is_string());
    assert_okta_ts(&f["created"]);
    let event = t.handle().log_events().last().cloned().expect("event");
    assert_eq!(event["eventType"], "user.mfa.factor.activate");
}

#[tokio::test]
async fn a_security_question_needs_a_known_question_and_a_long_enough_answer() {
    let t = spawn().await;
    let unknown = enroll(
        &t,
        demo::PRIYA_ID,
        "",
        json!({"factorType": "question", "provider": "OKTA",
               "profile": {"question": "pet_name", "answer": "rex-the-dog"}}),
    )
    .await;
    unknown.assert_error(400, "E0000001", "Api validation failed: question");
    let short = enroll(
        &t,
        demo::PRIYA_ID,
        "",
        json!({"factorType": "question", "provider": "OKTA",
               "profile": {"question": "disliked_food", "answer": "abc"}}),
    )
    .await;
    short.assert_error(400, "E0000001", "Api validation failed: answer");
    let no_profile = enroll(
        &t,
        demo::PRIYA_ID,
        "",
        json!({"factorType": "question", "provider": "OKTA"}),
    )
    .await;
    assert_eq!(no_profile.status, 400);
}

#[tokio::test]
async fn sms_and_call_are_pending_until_activated_unless_activate_is_set() {
    let t = spawn().await;
    let sms = enroll(
        &t,
        demo::PRIYA_ID,
        "",
        json!({"factorType": "sms", "provider": "OKTA", "profile": {"phoneNumber": "+1-555-415-1337"}}),
    )
    .await;
    let f = sms.json();
    assert!(f["id"].as_str().is_some_and(|id| id.starts_with("mbl")));
    assert_eq!(f["status"], "PENDING_ACTIVATION");
    // Okta keeps factor numbers in E.164: the separators of the input are dropped.
    assert_eq!(f["profile"], json!({"phoneNumber": "+15554151337"}));
    assert!(f["_links"]["activate"]["href"].is_string());
    assert_eq!(f["_links"]["resend"]["name"], "sms");
    assert!(f["_links"]["resend"]["href"].is_string());
    let call = enroll(
        &t,
        demo::PRIYA_ID,
        "?activate=true",
        json!({"factorType": "call", "provider": "OKTA",
               "profile": {"phoneNumber": "+1-555-415-1337", "phoneExtension": "1234"}}),
    )
    .await;
    let c = call.json();
    assert!(c["id"].as_str().is_some_and(|id| id.starts_with("clf")));
    assert_eq!(c["status"], "ACTIVE");
    assert_eq!(c["profile"]["phoneExtension"], "1234");
    assert_eq!(c["profile"]["phoneNumber"], "+15554151337");
}

#[tokio::test]
async fn an_invalid_phone_number_gets_400_e0000098() {
    let t = spawn().await;
    enroll(
        &t,
        demo::PRIYA_ID,
        "",
        json!({"factorType": "sms", "provider": "OKTA", "profile": {"phoneNumber": "call me"}}),
    )
    .await
    .assert_error(400, "E0000098", "This phone number is invalid.");
    // E.164 needs the `+` and a country code.
    for number in ["555-415-1337", "+0555 4151337", "+1 555 CALL NOW", "+1234"] {
        enroll(
            &t,
            demo::PRIYA_ID,
            "",
            json!({"factorType": "sms", "provider": "OKTA", "profile": {"phoneNumber": number}}),
        )
        .await
        .assert_error(400, "E0000098", "This phone number is invalid.");
    }
}

#[tokio::test]
async fn a_second_verified_phone_is_refused() {
    let t = spawn().await;
    let resp = enroll(
        &t,
        demo::JORDAN_ID,
        "",
        json!({"factorType": "sms", "provider": "OKTA", "profile": {"phoneNumber": "+1-555-000-1111"}}),
    )
    .await;
    resp.assert_error(
        400,
        "E0000001",
        "Api validation failed: factorEnrollRequest",
    );
    assert_eq!(
        resp.causes(),
        vec!["There is an existing verified phone number."]
    );
    let same = enroll(
        &t,
        demo::JORDAN_ID,
        "",
        json!({"factorType": "token:software:totp", "provider": "GOOGLE"}),
    )
    .await;
    assert_eq!(
        same.causes(),
        vec!["A factor of this type is already set up."]
    );
}

#[tokio::test]
async fn a_pending_phone_is_replaced_only_with_update_phone() {
    let t = spawn().await;
    // Each enrolment sends a code; this test is about the number, not the resend throttle.
    t.handle()
        .set_factor_resend_throttle(std::time::Duration::ZERO);
    let first = enroll(
        &t,
        demo::PRIYA_ID,
        "",
        json!({"factorType": "sms", "provider": "OKTA", "profile": {"phoneNumber": "+1-555-000-1111"}}),
    )
    .await
    .json();
    let other = json!({"factorType": "sms", "provider": "OKTA", "profile": {"phoneNumber": "+1-555-000-2222"}});
    let refused = enroll(&t, demo::PRIYA_ID, "", other.clone()).await;
    assert_eq!(refused.status, 400);
    let replaced = enroll(&t, demo::PRIYA_ID, "?updatePhone=true", other).await;
    assert_eq!(replaced.status, 200);
    assert_eq!(
        replaced.json()["id"],
        first["id"],
        "the pending factor is reused"
    );
    assert_eq!(replaced.json()["profile"]["phoneNumber"], "+15550002222");
    assert_eq!(t.handle().factors(demo::PRIYA_ID).len(), 1);
}

#[tokio::test]
async fn email_factors_need_the_user_s_own_address() {
    let t = spawn().await;
    let wrong = enroll(
        &t,
        demo::PRIYA_ID,
        "",
        json!({"factorType": "email", "provider": "OKTA", "profile": {"email": "someone@else.com"}}),
    )
    .await;
    wrong.assert_error(400, "E0000001", "Api validation failed: email");
    let ok = enroll(
        &t,
        demo::PRIYA_ID,
        "?activate=true&tokenLifetimeSeconds=600",
        json!({"factorType": "email", "provider": "OKTA", "profile": {"email": "Priya.Sharma@example.com"}}),
    )
    .await;
    assert_eq!(ok.status, 200);
    assert!(
        ok.json()["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("emf"))
    );
    assert_eq!(ok.json()["status"], "ACTIVE");
    let bad_lifetime = enroll(
        &t,
        demo::JORDAN_ID,
        "?tokenLifetimeSeconds=0",
        json!({"factorType": "email", "provider": "OKTA", "profile": {"email": demo::JORDAN_LOGIN}}),
    )
    .await;
    assert_eq!(bad_lifetime.status, 400);
}

#[tokio::test]
async fn totp_enrolment_embeds_the_activation_secret() {
    let t = spawn().await;
    for provider in ["OKTA", "GOOGLE"] {
        let user = if provider == "OKTA" {
            demo::JORDAN_ID
        } else {
            demo::PRIYA_ID
        };
        let resp = enroll(
            &t,
            user,
            "",
            json!({"factorType": "token:software:totp", "provider": provider}),
        )
        .await;
        assert_eq!(resp.status, 200, "{}", resp.text);
        let f = resp.json();
        assert!(f["id"].as_str().is_some_and(|id| id.starts_with("ost")));
        assert_eq!(f["status"], "PENDING_ACTIVATION");
        assert_eq!(f["provider"], provider);
        let activation = &f["_embedded"]["activation"];
        assert_eq!(activation["timeStep"], 30);
        assert_eq!(activation["encoding"], "base32");
        assert_eq!(activation["keyLength"], 6);
        assert_eq!(activation["sharedSecret"].as_str().map(str::len), Some(16));
        assert_eq!(activation["_links"]["qrcode"]["type"], "image/png");
        assert!(f["profile"]["credentialId"].is_string());
    }
}

#[tokio::test]
async fn push_enrolment_waits_for_the_device() {
    let t = spawn().await;
    let resp = enroll(
        &t,
        demo::PRIYA_ID,
        "",
        json!({"factorType": "push", "provider": "OKTA"}),
    )
    .await;
    let f = resp.json();
    assert!(f["id"].as_str().is_some_and(|id| id.starts_with("opf")));
    assert_eq!(f["status"], "PENDING_ACTIVATION");
    assert_eq!(f["_embedded"]["activation"]["factorResult"], "WAITING");
    assert_okta_ts(&f["_embedded"]["activation"]["expiresAt"]);
    let send: Vec<&str> = f["_embedded"]["activation"]["_links"]["send"]
        .as_array()
        .map(|a| a.iter().filter_map(|s| s["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(send, vec!["email", "sms"]);
    assert!(f["_links"]["poll"]["href"].is_string());
}

#[tokio::test]
async fn an_unsupported_factor_is_refused() {
    let t = spawn().await;
    let resp = enroll(
        &t,
        demo::PRIYA_ID,
        "",
        json!({"factorType": "signed_nonce", "provider": "OKTA"}),
    )
    .await;
    resp.assert_error(
        400,
        "E0000001",
        "Api validation failed: factorEnrollRequest",
    );
    let missing = enroll(&t, demo::PRIYA_ID, "", json!({"provider": "OKTA"})).await;
    missing.assert_error(400, "E0000001", "Api validation failed: factorType");
}

#[tokio::test]
async fn a_pending_factor_activates_with_the_simulator_passcode() {
    let t = spawn().await;
    let f = enroll(
        &t,
        demo::PRIYA_ID,
        "",
        json!({"factorType": "token:software:totp", "provider": "GOOGLE"}),
    )
    .await
    .json();
    let id = f["id"].as_str().expect("id");
    let path = format!("{}/{id}/lifecycle/activate", factors_path(demo::PRIYA_ID));
    let wrong = t.post(&path, json!({"passCode": "000000"})).await;
    wrong.assert_error(403, "E0000068", "Invalid Passcode/Answer");
    let right = t.post(&path, json!({"passCode": SIM_PASSCODE})).await;
    assert_eq!(right.status, 200);
    assert_eq!(right.json()["status"], "ACTIVE");
    assert!(right.json()["_embedded"].is_null());
    let again = t.post(&path, json!({"passCode": SIM_PASSCODE})).await;
    assert_eq!(again.status, 400);
}

#[tokio::test]
async fn deleting_a_factor_answers_204() {
    let t = spawn().await;
    let path = format!(
        "{}/{}",
        factors_path(demo::JORDAN_ID),
        demo::JORDAN_SMS_FACTOR_ID
    );
    let resp = t.delete(&path).await;
    assert_eq!(resp.status, 204);
    assert_eq!(resp.text, "");
    assert_eq!(t.handle().factors(demo::JORDAN_ID).len(), 1);
    assert_eq!(t.delete(&path).await.status, 404);
    let event = t.handle().log_events().last().cloned().expect("event");
    assert_eq!(event["eventType"], "user.mfa.factor.deactivate");
}

#[tokio::test]
async fn deleting_okta_verify_push_also_removes_its_totp() {
    let t = spawn().await;
    let push = enroll(
        &t,
        demo::PRIYA_ID,
        "",
        json!({"factorType": "push", "provider": "OKTA"}),
    )
    .await
    .json();
    enroll(
        &t,
        demo::PRIYA_ID,
        "",
        json!({"factorType": "token:software:totp", "provider": "OKTA"}),
    )
    .await;
    enroll(
        &t,
        demo::PRIYA_ID,
        "",
        json!({"factorType": "token:software:totp", "provider": "GOOGLE"}),
    )
    .await;
    assert_eq!(t.handle().factors(demo::PRIYA_ID).len(), 3);
    let id = push["id"].as_str().expect("id");
    assert_eq!(
        t.delete(&format!("{}/{id}", factors_path(demo::PRIYA_ID)))
            .await
            .status,
        204
    );
    let left = t.handle().factors(demo::PRIYA_ID);
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["provider"], "GOOGLE");
}

#[tokio::test]
async fn factors_of_a_deactivated_user_cannot_change() {
    let t = spawn().await;
    t.post_empty(&format!(
        "/api/v1/users/{}/lifecycle/deactivate",
        demo::JORDAN_ID
    ))
    .await;
    let path = format!(
        "{}/{}",
        factors_path(demo::JORDAN_ID),
        demo::JORDAN_SMS_FACTOR_ID
    );
    t.delete(&path).await.assert_error(
        403,
        "E0000038",
        "This operation is not allowed in the user's current status.",
    );
    assert_eq!(t.get(&factors_path(demo::JORDAN_ID)).await.status, 200);
}

#[tokio::test]
async fn the_security_question_catalogue_is_listed() {
    let t = spawn().await;
    let resp = t
        .get(&format!("{}/questions", factors_path(demo::JORDAN_ID)))
        .await;
    assert_eq!(resp.json().as_array().map(Vec::len), Some(20));
    assert_eq!(
        resp.json()[0],
        json!({"question": "disliked_food", "questionText": "What is the food you least liked as a child?"})
    );
}

#[tokio::test]
async fn a_second_sms_or_call_within_the_resend_window_is_throttled() {
    let t = spawn().await;
    assert_eq!(
        t.handle().factor_resend_throttle(),
        std::time::Duration::from_secs(30)
    );
    let sms = json!({"factorType": "sms", "provider": "OKTA", "profile": {"phoneNumber": "+1-555-000-1111"}});
    let call = json!({"factorType": "call", "provider": "OKTA", "profile": {"phoneNumber": "+1-555-000-1111"}});
    assert_eq!(
        enroll(&t, demo::PRIYA_ID, "", sms.clone()).await.status,
        200
    );
    // Re-enrolling the pending factor sends another SMS: too soon.
    enroll(&t, demo::PRIYA_ID, "", sms.clone())
        .await
        .assert_error(
            429,
            "E0000109",
            "An SMS message was recently sent. Please wait 30 seconds before trying again.",
        );
    // A call is throttled on its own, and per user.
    assert_eq!(
        enroll(&t, demo::PRIYA_ID, "", call.clone()).await.status,
        200
    );
    enroll(&t, demo::PRIYA_ID, "", call).await.assert_error(
        429,
        "E0000133",
        "A phone call was recently made. Please wait 30 seconds before trying again.",
    );
    assert_eq!(enroll(&t, demo::SAM_ID, "", sms.clone()).await.status, 200);
    // Activating at enrolment sends nothing, so it is never throttled.
    let activated = enroll(&t, demo::LEE_ID, "?activate=true", sms.clone()).await;
    assert_eq!(activated.status, 200, "{}", activated.text);
    assert_eq!(t.handle().factors(demo::PRIYA_ID).len(), 2);
}

#[tokio::test]
async fn the_resend_throttle_is_set_over_http() {
    let t = spawn_with(SimConfig::default()).await;
    let set = t
        .control(
            Method::PUT,
            "/throttle",
            Some(json!({"factorResendSecs": 0})),
        )
        .await;
    assert_eq!(set.json(), json!({"factorResendSecs": 0}));
    assert_eq!(
        t.control(Method::GET, "/throttle", None).await.json(),
        json!({"factorResendSecs": 0})
    );
    let sms = json!({"factorType": "sms", "provider": "OKTA", "profile": {"phoneNumber": "+1-555-000-1111"}});
    for _ in 0..2 {
        let resp = enroll(&t, demo::PRIYA_ID, "", sms.clone()).await;
        assert_eq!(resp.status, 200, "{}", resp.text);
    }
    let bad = t
        .control(
            Method::PUT,
            "/throttle",
            Some(json!({"factorResendSecs": "x"})),
        )
        .await;
    assert_eq!(bad.status, 400);
}
