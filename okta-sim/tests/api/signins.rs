//! Sign-in events recorded through `POST /__sim/signins`: Okta's event shape (actor, client
//! geography, outcome), what the System Log filter finds of them, and the refusals.

use chrono::{Duration, Utc};
use okta_sim::{SigninSeed, demo};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestSim, assert_okta_ts, spawn};

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn signin(t: &TestSim, body: Value) -> Value {
    let resp = t.control(Method::POST, "/signins", Some(body)).await;
    assert_eq!(resp.status, 200, "{}", resp.text);
    resp.json()
}

async fn logs(t: &TestSim, filter: &str) -> Vec<Value> {
    let resp = t
        .get(&format!(
            "/api/v1/logs?sortOrder=DESCENDING&filter={}",
            enc(filter)
        ))
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text);
    resp.json().as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn a_failed_sign_in_is_logged_with_the_user_the_place_and_the_reason() {
    let t = spawn().await;
    let event = signin(
        &t,
        json!({
            "login": demo::MAYA_LOGIN, "outcome": "FAILURE", "reason": "INVALID_CREDENTIALS",
            "ipAddress": "203.0.113.9", "city": "Lisbon", "state": "Lisboa", "country": "Portugal",
            "postalCode": "1100-148", "geolocation": {"lat": 38.7223, "lon": -9.1393},
        }),
    )
    .await;

    let found = logs(
        &t,
        r#"eventType eq "user.session.start" and outcome.result eq "FAILURE""#,
    )
    .await;
    assert_eq!(
        found,
        std::slice::from_ref(&event),
        "the answer is the logged event"
    );
    assert_eq!(
        event["actor"],
        json!({"id": demo::MAYA_ID, "type": "User", "alternateId": demo::MAYA_LOGIN, "displayName": "Maya Chen"})
    );
    assert_eq!(
        event["outcome"],
        json!({"result": "FAILURE", "reason": "INVALID_CREDENTIALS"})
    );
    assert_eq!(event["severity"], "WARN");
    assert_eq!(event["displayMessage"], "User login to Okta");
    let place = json!({
        "city": "Lisbon", "state": "Lisboa", "country": "Portugal", "postalCode": "1100-148",
        "geolocation": {"lat": 38.7223, "lon": -9.1393},
    });
    assert_eq!(event["client"]["ipAddress"], "203.0.113.9");
    assert_eq!(event["client"]["geographicalContext"], place);
    assert_eq!(
        event["request"]["ipChain"],
        json!([{"ip": "203.0.113.9", "geographicalContext": place, "version": "V4"}])
    );
    assert_okta_ts(&event["published"]);
    assert_eq!(event["target"], json!([]));
}

#[tokio::test]
async fn a_login_that_names_nobody_is_logged_under_the_unknown_actor() {
    let t = spawn().await;
    let event = signin(
        &t,
        json!({"login": "maya.chen@exmaple.com", "outcome": "FAILURE", "reason": "VERIFICATION_ERROR"}),
    )
    .await;
    assert_eq!(
        event["actor"],
        json!({"id": "unknown", "type": "User", "alternateId": "maya.chen@exmaple.com", "displayName": "unknown"})
    );
    // No place given: a default one, never nulls (LogEvent's strings are not nullable).
    assert_eq!(
        event["client"]["geographicalContext"]["city"],
        "San Francisco"
    );
    assert_eq!(event["client"]["ipAddress"], "198.51.100.23");
}

#[tokio::test]
async fn the_id_picks_the_user_and_the_login_is_kept_as_typed() {
    let t = spawn().await;
    let event = signin(
        &t,
        json!({"userId": demo::JORDAN_ID, "login": "Jordan.Lee@Example.com", "outcome": "DENY",
               "eventType": "policy.evaluate_sign_on", "reason": "Sign-on policy evaluation resulted in DENY",
               "ipAddress": "2001:db8::7", "city": "Berlin", "country": "Germany"}),
    )
    .await;
    assert_eq!(event["actor"]["id"], demo::JORDAN_ID);
    assert_eq!(event["actor"]["alternateId"], "Jordan.Lee@Example.com");
    assert_eq!(event["request"]["ipChain"][0]["version"], "V6");
    assert_eq!(
        event["client"]["geographicalContext"],
        json!({"city": "Berlin", "country": "Germany"}),
        "only the place given, no nulls"
    );
    let by_id = signin(&t, json!({"userId": demo::PRIYA_ID, "outcome": "FAILURE"})).await;
    assert_eq!(by_id["actor"]["alternateId"], demo::PRIYA_LOGIN);
    assert_eq!(
        by_id["outcome"],
        json!({"result": "FAILURE"}),
        "no reason, no key"
    );
}

#[tokio::test]
async fn a_successful_session_sets_last_login_and_leaves_a_session_and_a_failure_does_neither() {
    let t = spawn().await;
    let before = t.handle().user(demo::PRIYA_ID).unwrap()["lastLogin"].clone();
    let at = Utc::now() - Duration::minutes(5);
    t.handle()
        .record_signin(SigninSeed::new(demo::PRIYA_LOGIN, "FAILURE").at(at))
        .unwrap();
    assert_eq!(
        t.handle().user(demo::PRIYA_ID).unwrap()["lastLogin"],
        before
    );
    let event = t
        .handle()
        .record_signin(SigninSeed::new(demo::PRIYA_LOGIN, "SUCCESS").at(at))
        .unwrap();
    assert_eq!(event["severity"], "INFO");
    let user = t
        .get(&format!("/api/v1/users/{}", demo::PRIYA_ID))
        .await
        .json();
    assert_eq!(user["lastLogin"], event["published"]);
    let sessions = t.handle().sessions(demo::PRIYA_ID).unwrap();
    assert_eq!(
        sessions["sessions"].as_array().map(Vec::len),
        Some(1),
        "only the success left a session: {sessions}"
    );
}

#[tokio::test]
async fn the_log_filter_finds_failures_by_type_result_actor_id_or_typed_login() {
    let t = spawn().await;
    let h = t.handle();
    let failure = |login: &str| SigninSeed::new(login, "FAILURE").reason("INVALID_CREDENTIALS");
    h.record_signin(failure(demo::MAYA_LOGIN)).unwrap();
    h.record_signin(failure("maya.typo@example.com")).unwrap();
    h.record_signin(SigninSeed::new(demo::MAYA_LOGIN, "SUCCESS"))
        .unwrap();
    h.record_signin(
        SigninSeed::by_id(demo::MAYA_ID, "FAILURE").event_type("user.authentication.auth_via_mfa"),
    )
    .unwrap();
    h.record_signin(failure(demo::JORDAN_LOGIN)).unwrap();

    let filter = format!(
        r#"(eventType eq "user.session.start" or eventType eq "user.authentication.auth_via_mfa") and (outcome.result eq "FAILURE" or outcome.result eq "DENY") and (actor.id eq "{}" or actor.alternateId eq "maya.typo@example.com")"#,
        demo::MAYA_ID
    );
    let found: Vec<(String, String)> = logs(&t, &filter)
        .await
        .iter()
        .map(|e| {
            (
                e["eventType"].as_str().unwrap().to_owned(),
                e["actor"]["alternateId"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (
                "user.authentication.auth_via_mfa".into(),
                demo::MAYA_LOGIN.into()
            ),
            ("user.session.start".into(), "maya.typo@example.com".into()),
            ("user.session.start".into(), demo::MAYA_LOGIN.into()),
        ],
        "newest first; not the success, not Jordan"
    );
    // Values compare exactly, as Okta's filter does.
    assert!(logs(&t, r#"outcome.result eq "failure""#).await.is_empty());
}

#[tokio::test]
async fn bad_sign_ins_are_refused_and_log_nothing() {
    let t = spawn().await;
    let before = t.handle().log_events().len();
    for (body, message) in [
        (json!({"outcome": "FAILURE"}), "give userId or login"),
        (
            json!({"userId": "00unobody0000000000X", "outcome": "FAILURE"}),
            "no user with id 00unobody0000000000X",
        ),
        (
            json!({"login": "a@example.com", "outcome": "MAYBE"}),
            "outcome must be one of",
        ),
        (
            json!({"login": "a@example.com", "outcome": "FAILURE", "eventType": "user.lifecycle.create"}),
            "eventType must be one of",
        ),
        (
            json!({"login": "a@example.com", "outcome": "FAILURE", "ipAddress": "300.1.1.1"}),
            "ipAddress must be",
        ),
        (
            json!({"login": "a@example.com", "outcome": "FAILURE", "published": "yesterday"}),
            "published must be",
        ),
        (
            json!({"login": "a@example.com", "outcome": "FAILURE", "reason": " "}),
            "reason must not be blank",
        ),
        (
            json!({"login": "a@example.com", "outcome": "FAILURE", "city": "X", "geolocation": {"lat": 91.0, "lon": 0.0}}),
            "geolocation must",
        ),
        (
            json!({"login": "a@example.com", "outcome": "FAILURE", "extra": 1}),
            "invalid JSON body",
        ),
    ] {
        let resp = t
            .control(Method::POST, "/signins", Some(body.clone()))
            .await;
        assert_eq!(resp.status, 400, "{body}");
        let error = resp.json()["error"].as_str().unwrap_or_default().to_owned();
        assert!(error.starts_with(message), "{body}: {error}");
    }
    assert_eq!(t.handle().log_events().len(), before);
}
