//! MFA factor actions: list_factors, enroll_factor (every factor type of NOTES §10) and
//! reset_factor, against okta-sim: the gateway's answer and what Okta received.

use okta_sim::RecordedRequest;
use okta_sim::demo::{
    JORDAN_ID, JORDAN_SMS_FACTOR_ID, JORDAN_TOTP_FACTOR_ID, PRIYA_ID, PRIYA_LOGIN,
};
use serde_json::{Value, json};

use super::support::{
    assert_not_found, assert_refused, assert_seed_keys, json_body, received, without_links,
};
use crate::helpers::{TestApp, TestResponse, spawn_with_account};

/// The seed's List Factors sample element (profiles differ by factor type: top level only).
fn factor_sample() -> Value {
    json!({
        "id": "ufs2bysphxKODSZKWVCT",
        "factorType": "token:software:totp",
        "provider": "GOOGLE",
        "status": "ACTIVE",
        "created": "2024-01-20T09:00:00.000Z",
        "lastUpdated": "2024-01-20T09:00:00.000Z",
        "profile": {"credentialId": "jordan.lee@example.com"}
    })
}

/// The seed's Enroll Factor sample (top level).
fn enrolled_sample() -> Value {
    json!({
        "id": "uftm3iHSGFQXHCUSDAND",
        "factorType": "token:software:totp",
        "provider": "GOOGLE",
        "status": "PENDING_ACTIVATION",
        "created": "2024-05-29T11:30:00.000Z",
        "lastUpdated": "2024-05-29T11:30:00.000Z",
        "profile": {"credentialId": "jordan.lee@example.com"},
        "_embedded": {"activation": {}}
    })
}

fn okta_answer(request: &RecordedRequest) -> Value {
    serde_json::from_str(request.response_body.as_deref().expect("a response body"))
        .expect("Okta answered JSON")
}

fn no_store(response: &TestResponse) -> bool {
    response
        .headers
        .get("cache-control")
        .and_then(|v| v.to_str().ok())
        == Some("no-store")
}

/// Enroll for Priya (no factors in the demo seed) and check the one POST and its body (phone
/// numbers as Okta takes them, in E.164).
async fn enroll_for_priya(app: &TestApp, factor: Value) -> (TestResponse, Value) {
    app.forget_requests();
    let mut body = factor.clone();
    let mut factor = factor;
    if let Some(number) = factor.pointer_mut("/profile/phoneNumber") {
        let e164: String = number
            .as_str()
            .unwrap_or_default()
            .chars()
            .filter(|c| *c == '+' || c.is_ascii_digit())
            .collect();
        *number = json!(e164);
    }
    body["userId"] = json!(PRIYA_ID);
    let response = app.action("enroll_factor", body).await;
    assert_eq!(response.status, 200, "{}", response.text);
    assert!(no_store(&response), "enrollment can carry a secret");
    let sent = received(app);
    assert_eq!(
        app.okta_calls(),
        [format!("POST /api/v1/users/{PRIYA_ID}/factors")]
    );
    assert_eq!(json_body(&sent[0]), factor, "the body sent to Okta");
    assert_seed_keys(&response.json, &enrolled_sample(), false);
    (response, okta_answer(&sent[0]))
}

// ---- list_factors ----

#[tokio::test]
async fn listing_factors_returns_the_users_factors_without_links() {
    let app = spawn_with_account().await;
    let response = app
        .action("list_factors", json!({"userId": JORDAN_ID}))
        .await;

    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(
        app.okta_calls(),
        [format!("GET /api/v1/users/{JORDAN_ID}/factors")]
    );
    let okta = okta_answer(&received(&app)[0]);
    let expected: Vec<Value> = okta
        .as_array()
        .unwrap()
        .iter()
        .cloned()
        .map(without_links)
        .collect();
    assert_eq!(response.json, Value::Array(expected));
    let factors = response.json.as_array().unwrap();
    let ids: Vec<&str> = factors.iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [JORDAN_TOTP_FACTOR_ID, JORDAN_SMS_FACTOR_ID]);
    for factor in factors {
        assert_seed_keys(factor, &factor_sample(), false);
    }
    assert_eq!(factors[0]["factorType"], "token:software:totp");
    assert_eq!(factors[0]["provider"], "GOOGLE");
    // Okta returns phone numbers in E.164.
    assert_eq!(factors[1]["profile"]["phoneNumber"], "+15551234567");
}

#[tokio::test]
async fn listing_factors_of_a_user_without_any_is_an_empty_list() {
    let app = spawn_with_account().await;
    let response = app
        .action("list_factors", json!({"userId": PRIYA_ID}))
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.json, json!([]));
}

#[tokio::test]
async fn a_listed_factor_okta_sends_without_a_profile_has_profile_null() {
    let app = spawn_with_account().await;
    enroll_for_priya(&app, json!({"factorType": "push", "provider": "OKTA"})).await;
    app.forget_requests();
    let response = app
        .action("list_factors", json!({"userId": PRIYA_ID}))
        .await;

    assert_eq!(response.status, 200, "{}", response.text);
    let okta = okta_answer(&received(&app)[0]);
    assert!(
        okta[0].get("profile").is_none(),
        "Okta omits a push profile"
    );
    assert_eq!(response.json[0]["factorType"], "push");
    assert_eq!(response.json[0]["profile"], Value::Null);
    assert_seed_keys(&response.json[0], &factor_sample(), false);
}

#[tokio::test]
async fn listing_factors_of_an_unknown_user_is_not_found_for_the_user() {
    let app = spawn_with_account().await;
    let response = app
        .action("list_factors", json!({"userId": "00uNOTAUSER000000000"}))
        .await;
    assert_not_found(
        &response,
        "user",
        "Not found: Resource not found: 00uNOTAUSER000000000 (User)",
    );
    assert_eq!(
        app.okta_calls(),
        ["GET /api/v1/users/00uNOTAUSER000000000/factors"]
    );

    app.forget_requests();
    let response = app
        .action("list_factors", json!({"userId": "nobody@example.com"}))
        .await;
    assert_not_found(
        &response,
        "user",
        "Not found: Resource not found: nobody@example.com (User)",
    );
    assert_eq!(app.okta_calls(), ["GET /api/v1/users/nobody%40example.com"]);
}

// ---- enroll_factor ----

#[tokio::test]
async fn enrolling_a_security_question_sends_question_and_answer_and_is_active_at_once() {
    let app = spawn_with_account().await;
    let factor = json!({
        "factorType": "question",
        "provider": "OKTA",
        "profile": {"question": "disliked_food", "answer": "mayonnaise"}
    });
    let (response, okta) = enroll_for_priya(&app, factor).await;

    let mut expected = without_links(okta);
    expected["_embedded"] = Value::Null;
    assert_eq!(response.json, expected);
    assert_eq!(response.json["status"], "ACTIVE");
    assert!(response.json["id"].as_str().unwrap().starts_with("ufs"));
    assert_eq!(
        response.json["profile"],
        json!({"question": "disliked_food", "questionText": "What is the food you least liked as a child?"})
    );
    assert!(
        !response.text.contains("mayonnaise"),
        "the answer is not echoed"
    );
}

#[tokio::test]
async fn enrolling_sms_sends_the_phone_number_and_waits_for_activation() {
    let app = spawn_with_account().await;
    let factor = json!({
        "factorType": "sms",
        "provider": "OKTA",
        "profile": {"phoneNumber": "+1-555-415-1337"}
    });
    let (response, okta) = enroll_for_priya(&app, factor).await;

    let mut expected = without_links(okta);
    expected["_embedded"] = Value::Null;
    assert_eq!(response.json, expected);
    assert_eq!(response.json["status"], "PENDING_ACTIVATION");
    assert!(response.json["id"].as_str().unwrap().starts_with("mbl"));
    // Sent in E.164, the only form Okta's factor profiles take.
    assert_eq!(response.json["profile"]["phoneNumber"], "+15554151337");
}

#[tokio::test]
async fn a_phone_number_that_cannot_be_e164_is_refused_before_okta() {
    let app = spawn_with_account().await;
    for (factor_type, number) in [("sms", "555-415-1337"), ("call", "+1 555 CALL ME")] {
        let response = app
            .action(
                "enroll_factor",
                json!({"userId": PRIYA_ID, "factorType": factor_type, "provider": "OKTA",
                       "profile": {"phoneNumber": number}}),
            )
            .await;
        assert_refused(&app, &response, &["profile.phoneNumber"]);
    }
}

#[tokio::test]
async fn enrolling_a_call_factor_sends_the_phone_number_and_extension() {
    let app = spawn_with_account().await;
    let factor = json!({
        "factorType": "call",
        "provider": "OKTA",
        "profile": {"phoneNumber": "+1-555-415-1337", "phoneExtension": "1234"}
    });
    let (response, _) = enroll_for_priya(&app, factor).await;

    assert_eq!(response.json["status"], "PENDING_ACTIVATION");
    assert!(response.json["id"].as_str().unwrap().starts_with("clf"));
    assert_eq!(
        response.json["profile"],
        json!({"phoneNumber": "+15554151337", "phoneExtension": "1234"})
    );
}

#[tokio::test]
async fn enrolling_email_sends_the_users_address_and_waits_for_activation() {
    let app = spawn_with_account().await;
    let factor = json!({
        "factorType": "email",
        "provider": "OKTA",
        "profile": {"email": PRIYA_LOGIN}
    });
    let (response, _) = enroll_for_priya(&app, factor).await;

    assert_eq!(response.json["status"], "PENDING_ACTIVATION");
    assert!(response.json["id"].as_str().unwrap().starts_with("emf"));
    assert_eq!(response.json["profile"]["email"], PRIYA_LOGIN);
}

/// A TOTP enrolment keeps `_embedded.activation` and exposes the QR code where the seed shows
/// it.
fn assert_totp_activation(app: &TestApp, response: &TestResponse, okta: Value, provider: &str) {
    let factor_id = response.json["id"].as_str().unwrap();
    assert!(factor_id.starts_with("ost"));
    assert_eq!(response.json["factorType"], "token:software:totp");
    assert_eq!(response.json["provider"], provider);
    assert_eq!(response.json["status"], "PENDING_ACTIVATION");
    assert_eq!(response.json["profile"]["credentialId"], PRIYA_LOGIN);

    let activation = &response.json["_embedded"]["activation"];
    let okta_activation = &okta["_embedded"]["activation"];
    for key in ["timeStep", "sharedSecret", "encoding", "keyLength"] {
        assert_eq!(activation[key], okta_activation[key], "{key}");
    }
    assert_eq!(activation["timeStep"], 30);
    assert_eq!(activation["encoding"], "base32");
    assert_eq!(activation["keyLength"], 6);
    assert!(!activation["sharedSecret"].as_str().unwrap().is_empty());
    let href = activation["qrcode"]["href"]
        .as_str()
        .expect("_embedded.activation.qrcode.href, as the seed shows it");
    assert_eq!(href, okta_activation["_links"]["qrcode"]["href"]);
    assert!(
        href.starts_with(&format!(
            "{}/api/v1/users/{PRIYA_ID}/factors/{factor_id}/qr/",
            app.sim.base_url()
        )),
        "{href}"
    );
    assert_eq!(activation["qrcode"]["type"], "image/png");

    let mut expected = without_links(okta);
    let qrcode = expected["_embedded"]["activation"]["_links"]["qrcode"].clone();
    expected["_embedded"]["activation"]["qrcode"] = qrcode;
    assert_eq!(response.json, expected, "everything else as Okta sent it");
}

#[tokio::test]
async fn enrolling_okta_verify_totp_keeps_the_activation_and_its_qr_code() {
    let app = spawn_with_account().await;
    let factor = json!({"factorType": "token:software:totp", "provider": "OKTA"});
    let (response, okta) = enroll_for_priya(&app, factor).await;
    assert_totp_activation(&app, &response, okta, "OKTA");
}

#[tokio::test]
async fn enrolling_google_authenticator_keeps_the_activation_and_its_qr_code() {
    let app = spawn_with_account().await;
    let factor = json!({"factorType": "token:software:totp", "provider": "GOOGLE"});
    let (response, okta) = enroll_for_priya(&app, factor).await;
    assert_totp_activation(&app, &response, okta, "GOOGLE");
}

#[tokio::test]
async fn enrolling_push_keeps_the_activation_with_its_qr_code() {
    let app = spawn_with_account().await;
    let factor = json!({"factorType": "push", "provider": "OKTA"});
    let (response, okta) = enroll_for_priya(&app, factor).await;

    assert!(response.json["id"].as_str().unwrap().starts_with("opf"));
    assert_eq!(response.json["status"], "PENDING_ACTIVATION");
    let activation = &response.json["_embedded"]["activation"];
    assert_eq!(activation["factorResult"], "WAITING");
    assert!(activation["expiresAt"].is_string());
    assert_eq!(
        activation["qrcode"]["href"],
        okta["_embedded"]["activation"]["_links"]["qrcode"]["href"]
    );
    assert_eq!(
        activation["_links"]["send"], okta["_embedded"]["activation"]["_links"]["send"],
        "nested links are Okta's and are kept"
    );
    assert!(response.json.get("_links").is_none());
}

#[tokio::test]
async fn a_factor_that_needs_a_profile_is_refused_without_it_before_any_call() {
    let app = spawn_with_account().await;
    let cases = [
        (
            json!({"factorType": "question", "provider": "OKTA"}),
            vec!["profile.question", "profile.answer"],
        ),
        (
            json!({"factorType": "question", "provider": "OKTA", "profile": {"question": "disliked_food"}}),
            vec!["profile.answer"],
        ),
        (
            json!({"factorType": "question", "provider": "OKTA", "profile": {"question": "disliked_food", "answer": "abc"}}),
            vec!["profile.answer"],
        ),
        (
            json!({"factorType": "sms", "provider": "OKTA"}),
            vec!["profile.phoneNumber"],
        ),
        (
            json!({"factorType": "sms", "provider": "OKTA", "profile": {"phoneNumber": "  "}}),
            vec!["profile.phoneNumber"],
        ),
        (
            json!({"factorType": "call", "provider": "OKTA", "profile": {"phoneExtension": "12"}}),
            vec!["profile.phoneNumber"],
        ),
        (
            json!({"factorType": "email", "provider": "OKTA", "profile": {}}),
            vec!["profile.email"],
        ),
        (
            json!({"factorType": "email", "provider": "OKTA", "profile": null}),
            vec!["profile.email"],
        ),
    ];
    for (mut body, fields) in cases {
        body["userId"] = json!(PRIYA_ID);
        let response = app.action("enroll_factor", body.clone()).await;
        assert_refused(&app, &response, &fields);
    }
}

#[tokio::test]
async fn google_is_refused_as_a_provider_for_anything_but_totp() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "enroll_factor",
            json!({"userId": PRIYA_ID, "factorType": "sms", "provider": "GOOGLE", "profile": {"phoneNumber": "+1-555-415-1337"}}),
        )
        .await;
    assert_refused(&app, &response, &["provider"]);

    let response = app
        .action(
            "enroll_factor",
            json!({"userId": PRIYA_ID, "factorType": "question", "provider": "GOOGLE"}),
        )
        .await;
    assert_refused(
        &app,
        &response,
        &["provider", "profile.question", "profile.answer"],
    );
}

#[tokio::test]
async fn a_profile_for_a_factor_that_takes_none_is_refused() {
    let app = spawn_with_account().await;
    for factor_type in ["token:software:totp", "push"] {
        let response = app
            .action(
                "enroll_factor",
                json!({"userId": PRIYA_ID, "factorType": factor_type, "provider": "OKTA", "profile": {"x": "y"}}),
            )
            .await;
        assert_refused(&app, &response, &["profile"]);
    }
}

#[tokio::test]
async fn bad_factor_types_providers_and_profiles_are_all_listed_at_once() {
    let app = spawn_with_account().await;
    let response = app.action("enroll_factor", json!({})).await;
    assert_refused(&app, &response, &["userId", "factorType", "provider"]);

    let response = app
        .action(
            "enroll_factor",
            json!({"userId": PRIYA_ID, "factorType": "hotp", "provider": "RSA", "profile": {"phoneNumber": 5551234}}),
        )
        .await;
    assert_refused(&app, &response, &["factorType", "provider", "profile"]);
    let fields = &response.json["error"]["details"]["fields"];
    assert_eq!(
        fields[0]["problem"],
        "must be one of: question, sms, call, email, token:software:totp, push"
    );
    assert_eq!(fields[1]["problem"], "must be one of: OKTA, GOOGLE");
}

#[tokio::test]
async fn enrolling_a_factor_okta_refuses_is_an_invalid_field_with_oktas_details() {
    let app = spawn_with_account().await;
    let cases = [
        (
            json!({"userId": JORDAN_ID, "factorType": "token:software:totp", "provider": "GOOGLE"}),
            "A factor of this type is already set up.",
        ),
        (
            json!({"userId": JORDAN_ID, "factorType": "sms", "provider": "OKTA", "profile": {"phoneNumber": "+1-555-000-1111"}}),
            "There is an existing verified phone number.",
        ),
        (
            json!({"userId": PRIYA_ID, "factorType": "email", "provider": "OKTA", "profile": {"email": "someone.else@example.com"}}),
            "email: The email must be the user's primary or secondary email address",
        ),
    ];
    for (body, cause) in cases {
        app.forget_requests();
        let response = app.action("enroll_factor", body).await;
        let error = response.assert_error("INVALID_FIELD_VALUE", 400);
        assert_eq!(error["details"]["okta"]["errorCode"], "E0000001");
        assert_eq!(
            error["details"]["okta"]["errorCauses"],
            json!([{"errorSummary": cause}])
        );
        assert_eq!(app.okta_calls().len(), 1, "a POST is sent once");
    }
    assert_eq!(app.sim.handle().factors(JORDAN_ID).len(), 2);
}

#[tokio::test]
async fn enrolling_a_factor_for_an_unknown_user_is_not_found_for_the_user() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "enroll_factor",
            json!({"userId": "00uNOTAUSER000000000", "factorType": "push", "provider": "OKTA"}),
        )
        .await;
    assert_not_found(
        &response,
        "user",
        "Not found: Resource not found: 00uNOTAUSER000000000 (User)",
    );
    assert_eq!(
        app.okta_calls(),
        ["POST /api/v1/users/00uNOTAUSER000000000/factors"]
    );
}

#[tokio::test]
async fn enrolling_a_factor_for_a_deactivated_user_is_an_invalid_state_with_the_users_status() {
    let app = spawn_with_account().await;
    assert!(app.sim.handle().set_user_status(PRIYA_ID, "DEPROVISIONED"));
    let response = app
        .action(
            "enroll_factor",
            json!({"userId": PRIYA_ID, "factorType": "push", "provider": "OKTA"}),
        )
        .await;
    let error = response.assert_error("INVALID_STATE", 409);
    assert_eq!(error["details"]["okta"]["errorCode"], "E0000038");
    assert_eq!(error["details"]["userStatus"], "DEPROVISIONED");
    assert_eq!(
        app.okta_calls(),
        [
            format!("POST /api/v1/users/{PRIYA_ID}/factors"),
            format!("GET /api/v1/users/{PRIYA_ID}"),
        ]
    );
}

// ---- reset_factor ----

#[tokio::test]
async fn resetting_a_factor_deletes_it_and_answers_the_seed_wrapper() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "reset_factor",
            json!({"userId": JORDAN_ID, "factorId": JORDAN_SMS_FACTOR_ID}),
        )
        .await;

    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(
        response.json,
        json!({
            "status": 204,
            "message": "MFA factor successfully deleted. The user can now re-enroll.",
            "userId": JORDAN_ID,
            "factorId": JORDAN_SMS_FACTOR_ID,
        })
    );
    assert_eq!(
        app.okta_calls(),
        [format!(
            "DELETE /api/v1/users/{JORDAN_ID}/factors/{JORDAN_SMS_FACTOR_ID}"
        )]
    );
    assert_eq!(received(&app)[0].body, None);
    let left: Vec<Value> = app
        .sim
        .handle()
        .factors(JORDAN_ID)
        .into_iter()
        .map(|f| f["id"].clone())
        .collect();
    assert_eq!(left, [json!(JORDAN_TOTP_FACTOR_ID)]);
}

#[tokio::test]
async fn a_dry_run_factor_reset_only_reads_the_factor() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "reset_factor",
            json!({"userId": JORDAN_ID, "factorId": JORDAN_TOTP_FACTOR_ID, "dryRun": true}),
        )
        .await;

    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(
        app.okta_calls(),
        [format!(
            "GET /api/v1/users/{JORDAN_ID}/factors/{JORDAN_TOTP_FACTOR_ID}"
        )]
    );
    let okta = okta_answer(&received(&app)[0]);
    assert_eq!(
        response.json,
        json!({
            "dryRun": true,
            "message": format!("Would delete the token:software:totp factor {JORDAN_TOTP_FACTOR_ID} of user {JORDAN_ID}."),
            "target": without_links(okta),
        })
    );
    assert_eq!(app.sim.handle().factors(JORDAN_ID).len(), 2);
}

#[tokio::test]
async fn resetting_an_unknown_factor_is_not_found_for_the_factor() {
    let app = spawn_with_account().await;
    for dry_run in [false, true] {
        app.forget_requests();
        let response = app
            .action(
                "reset_factor",
                json!({"userId": JORDAN_ID, "factorId": "mblNOTAFACTOR0000000", "dryRun": dry_run}),
            )
            .await;
        assert_not_found(
            &response,
            "factor",
            "Not found: Resource not found: mblNOTAFACTOR0000000 (UserFactor)",
        );
        let method = if dry_run { "GET" } else { "DELETE" };
        assert_eq!(
            app.okta_calls(),
            [format!(
                "{method} /api/v1/users/{JORDAN_ID}/factors/mblNOTAFACTOR0000000"
            )]
        );
    }
    assert_eq!(app.sim.handle().factors(JORDAN_ID).len(), 2);
}

#[tokio::test]
async fn resetting_a_factor_of_an_unknown_user_is_not_found_for_the_user() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "reset_factor",
            json!({"userId": "00uNOTAUSER000000000", "factorId": JORDAN_SMS_FACTOR_ID}),
        )
        .await;
    assert_not_found(
        &response,
        "user",
        "Not found: Resource not found: 00uNOTAUSER000000000 (User)",
    );
}

#[tokio::test]
async fn resetting_a_factor_needs_the_user_and_the_factor() {
    let app = spawn_with_account().await;
    let response = app
        .action("reset_factor", json!({"factorId": null, "dryRun": null}))
        .await;
    assert_refused(&app, &response, &["userId", "factorId"]);
}

#[tokio::test]
async fn resetting_a_factor_of_a_deactivated_user_is_an_invalid_state_with_the_users_status() {
    let app = spawn_with_account().await;
    assert!(app.sim.handle().set_user_status(JORDAN_ID, "DEPROVISIONED"));
    let response = app
        .action(
            "reset_factor",
            json!({"userId": JORDAN_ID, "factorId": JORDAN_SMS_FACTOR_ID}),
        )
        .await;
    let error = response.assert_error("INVALID_STATE", 409);
    assert_eq!(error["details"]["okta"]["errorCode"], "E0000038");
    assert_eq!(error["details"]["userStatus"], "DEPROVISIONED");
    assert_eq!(
        app.okta_calls(),
        [
            format!("DELETE /api/v1/users/{JORDAN_ID}/factors/{JORDAN_SMS_FACTOR_ID}"),
            format!("GET /api/v1/users/{JORDAN_ID}"),
        ]
    );
    assert_eq!(app.sim.handle().factors(JORDAN_ID).len(), 2);
}
