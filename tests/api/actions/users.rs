//! The twelve user actions against okta-sim: for each, the success case and the errors it can
//! meet, asserting the gateway's status and body and exactly what Okta received (method, raw
//! path, query, body and number of calls). Also: how user references (ids and logins) reach
//! Okta's paths, that credentials never reach a log line, and the audit line of mutating
//! actions.

use okta_sim::demo::{JORDAN_ID, JORDAN_LOGIN, JORDAN_PASSWORD, PRIYA_ID, PRIYA_LOGIN};
use okta_sim::{Fault, FaultKind, RecordedRequest, UserSeed};
use serde_json::{Value, json};

use crate::helpers::{ACTION_KEY, TestApp, TestResponse, captured_logs, spawn_with_account};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// Jordan's login as it appears in an Okta path: one segment, `@` percent-encoded.
const JORDAN_LOGIN_SEGMENT: &str = "jordan.lee%40example.com";

/// The keys of the seed's user sample (get_user, create_user).
const USER_KEYS: [&str; 9] = [
    "id",
    "status",
    "created",
    "activated",
    "lastLogin",
    "lastUpdated",
    "passwordChanged",
    "profile",
    "credentials",
];
const PROFILE_KEYS: [&str; 6] = [
    "firstName",
    "lastName",
    "email",
    "login",
    "mobilePhone",
    "secondEmail",
];

fn user_path(reference: &str) -> String {
    format!("/api/v1/users/{reference}")
}

/// What okta-sim received since the last `forget_requests`.
fn sent(app: &TestApp) -> Vec<RecordedRequest> {
    app.sim.handle().requests()
}

/// The JSON body of a recorded request (`Value::Null` when it had none).
fn sent_json(request: &RecordedRequest) -> Value {
    request
        .body
        .as_deref()
        .filter(|b| !b.is_empty())
        .map(|b| serde_json::from_str(b).expect("the gateway sends JSON bodies"))
        .unwrap_or(Value::Null)
}

/// The JSON Okta answered to a recorded request.
fn answered_json(request: &RecordedRequest) -> Value {
    serde_json::from_str(request.response_body.as_deref().unwrap_or("null"))
        .expect("okta-sim answers JSON")
}

/// Add a user to the simulator; returns its id.
fn seed(app: &TestApp, login: &str, status: &str) -> String {
    let user = app
        .sim
        .handle()
        .seed_user(UserSeed::new(login, "Sam", "Doe").status(status));
    user["id"]
        .as_str()
        .unwrap_or_else(|| panic!("seeding {login}: {user}"))
        .to_owned()
}

fn seed_with_password(app: &TestApp, login: &str, password: &str) -> String {
    let user = app
        .sim
        .handle()
        .seed_user(UserSeed::new(login, "Sam", "Doe").password(password));
    user["id"].as_str().expect("seeded").to_owned()
}

/// A user's status as the simulator has it.
fn status_in_okta(app: &TestApp, reference: &str) -> String {
    app.sim
        .handle()
        .user(reference)
        .and_then(|u| u["status"].as_str().map(str::to_owned))
        .unwrap_or_else(|| panic!("{reference} exists in okta-sim"))
}

/// Assert a 200 JSON answer and return its body.
#[track_caller]
fn ok(response: &TestResponse) -> &Value {
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(
        response
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/json"),
    );
    &response.json
}

/// An object's keys, sorted.
fn keys(body: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = body
        .as_object()
        .expect("a JSON object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

fn cache_control(response: &TestResponse) -> Option<&str> {
    response
        .headers
        .get("cache-control")
        .and_then(|v| v.to_str().ok())
}

/// An Okta user shaped as the seed's sample: no `_links`, every sampled key present.
#[track_caller]
fn assert_user_shape(body: &Value, keys: &[&str]) {
    let object = body.as_object().expect("a JSON object");
    assert!(!object.contains_key("_links"), "_links removed: {body}");
    for key in keys {
        assert!(object.contains_key(*key), "{key} missing in {body}");
    }
    let profile = body["profile"].as_object().expect("a profile");
    for key in PROFILE_KEYS {
        assert!(profile.contains_key(key), "profile.{key} missing in {body}");
    }
}

/// The INVALID_STATE answer of a refused lifecycle operation, with the user's status.
#[track_caller]
fn assert_invalid_state(response: &TestResponse, user_status: &str, okta_code: &str) {
    let error = response.assert_error("INVALID_STATE", 409);
    assert_eq!(error["code"], 9110);
    assert_eq!(error["details"]["userStatus"], user_status, "{error}");
    assert_eq!(error["details"]["okta"]["errorCode"], okta_code, "{error}");
    assert!(
        error["message"]
            .as_str()
            .unwrap_or_default()
            .ends_with(&format!("The user's status is {user_status}.")),
        "{error}"
    );
}

/// The RESOURCE_NOT_FOUND answer for a user.
#[track_caller]
fn assert_user_not_found(response: &TestResponse) -> &Value {
    let error = response.assert_error("RESOURCE_NOT_FOUND", 404);
    assert_eq!(error["code"], 8002, "{error}");
    assert_eq!(error["details"]["resource"], "user", "{error}");
    error
}

// ---------------------------------------------------------------------------------------------
// create_user
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn creating_a_user_sends_activate_false_and_only_the_given_profile_fields() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "create_user",
            json!({"firstName": "Ann", "lastName": "Ito", "email": "ann.ito@example.com", "login": "ann.ito@example.com"}),
        )
        .await;

    let body = ok(&response);
    assert_eq!(body["status"], "STAGED");
    assert_user_shape(body, &USER_KEYS);
    assert_eq!(body["activated"], Value::Null);
    assert_eq!(body["lastLogin"], Value::Null);
    assert_eq!(body["passwordChanged"], Value::Null);
    assert_eq!(body["profile"]["login"], "ann.ito@example.com");
    assert_eq!(body["profile"]["mobilePhone"], Value::Null);
    assert_eq!(body["profile"]["secondEmail"], Value::Null);
    assert_eq!(
        body["credentials"]["provider"],
        json!({"type": "OKTA", "name": "OKTA"})
    );
    // Extra Okta keys are kept.
    assert!(body.get("type").is_some(), "{body}");

    let calls = sent(&app);
    assert_eq!(app.okta_calls(), ["POST /api/v1/users?activate=false"]);
    assert_eq!(
        sent_json(&calls[0]),
        json!({"profile": {"firstName": "Ann", "lastName": "Ito", "email": "ann.ito@example.com", "login": "ann.ito@example.com"}})
    );
    let id = body["id"].as_str().expect("an id");
    assert_eq!(status_in_okta(&app, id), "STAGED");
}

#[tokio::test]
async fn creating_a_user_with_activate_true_makes_them_provisioned() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "create_user",
            json!({
                "firstName": "Ann", "lastName": "Ito", "email": "ann.ito@example.com",
                "login": "ann.ito@example.com", "mobilePhone": "+1-555-000-1111",
                "secondEmail": "ann@home.example.com", "activate": true
            }),
        )
        .await;

    let body = ok(&response);
    // Activated without a password: Okta emails an activation link and waits.
    assert_eq!(body["status"], "PROVISIONED");
    assert_user_shape(body, &USER_KEYS);
    assert_eq!(body["profile"]["mobilePhone"], "+1-555-000-1111");
    assert_eq!(body["profile"]["secondEmail"], "ann@home.example.com");

    let calls = sent(&app);
    assert_eq!(app.okta_calls(), ["POST /api/v1/users?activate=true"]);
    assert_eq!(
        sent_json(&calls[0]),
        json!({"profile": {
            "firstName": "Ann", "lastName": "Ito", "email": "ann.ito@example.com",
            "login": "ann.ito@example.com", "mobilePhone": "+1-555-000-1111",
            "secondEmail": "ann@home.example.com"
        }})
    );
}

#[tokio::test]
async fn null_optional_fields_are_left_out_of_the_created_profile() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "create_user",
            json!({
                "firstName": "Ann", "lastName": "Ito", "email": "ann.ito@example.com",
                "login": "ann.ito@example.com", "mobilePhone": null, "secondEmail": null,
                "activate": null
            }),
        )
        .await;

    ok(&response);
    assert_eq!(app.okta_calls(), ["POST /api/v1/users?activate=false"]);
    assert_eq!(
        sent_json(&sent(&app)[0]),
        json!({"profile": {"firstName": "Ann", "lastName": "Ito", "email": "ann.ito@example.com", "login": "ann.ito@example.com"}})
    );
}

#[tokio::test]
async fn creating_a_user_with_a_taken_login_is_a_duplicate_user() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "create_user",
            json!({"firstName": "J", "lastName": "L", "email": JORDAN_LOGIN, "login": JORDAN_LOGIN}),
        )
        .await;

    let error = response.assert_error("DUPLICATE_USER", 409);
    assert_eq!(error["code"], 8003);
    let okta = &error["details"]["okta"];
    assert_eq!(okta["errorCode"], "E0000001");
    assert_eq!(okta["errorSummary"], "Api validation failed: login");
    assert!(
        okta["errorId"]
            .as_str()
            .is_some_and(|id| id.starts_with("oae")),
        "{okta}"
    );
    assert_eq!(
        okta["errorCauses"],
        json!([{"errorSummary": "login: An object with this field already exists in the current organization"}])
    );
    assert_eq!(app.okta_calls(), ["POST /api/v1/users?activate=false"]);
}

#[tokio::test]
async fn a_profile_okta_refuses_is_an_invalid_field_value_with_oktas_details() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "create_user",
            json!({"firstName": "Ann", "lastName": "Ito", "email": "ann.ito@example.com", "login": "not-an-email"}),
        )
        .await;

    let error = response.assert_error("INVALID_FIELD_VALUE", 400);
    assert_eq!(error["code"], 8001);
    assert_eq!(error["message"], "Okta: Api validation failed: login");
    let okta = &error["details"]["okta"];
    assert_eq!(okta["errorCode"], "E0000001");
    assert_eq!(
        okta["errorCauses"],
        json!([{"errorSummary": "login: Username must be in the form of an email address"}])
    );
    assert_eq!(app.okta_calls(), ["POST /api/v1/users?activate=false"]);
    assert!(app.sim.handle().user("not-an-email").is_none());
}

#[tokio::test]
async fn missing_unknown_and_mistyped_create_parameters_are_all_listed_before_any_call() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "create_user",
            json!({"firstName": 5, "lastName": "", "login": "x@y", "activate": "yes", "nickName": "Jo"}),
        )
        .await;

    let error = response.assert_error("INVALID_FIELD_VALUE", 400);
    assert_eq!(error["message"], "6 parameters are invalid.");
    assert_eq!(
        error["details"]["fields"],
        json!([
            {"field": "firstName", "problem": "must be a string of 1 to 50 characters"},
            {"field": "lastName", "problem": "must be a string of 1 to 50 characters"},
            {"field": "email", "problem": "is required"},
            {"field": "login", "problem": "must be a string of 5 to 100 characters"},
            {"field": "activate", "problem": "must be true or false"},
            {"field": "nickName", "problem": "is not a known parameter"},
        ])
    );
    assert!(app.okta_calls().is_empty(), "{:?}", app.okta_calls());

    let empty = app.action("create_user", json!({})).await;
    empty.assert_error("INVALID_FIELD_VALUE", 400);
    assert_eq!(
        empty.bad_fields(),
        ["firstName", "lastName", "email", "login"]
    );
    let not_an_object = app.action("create_user", json!(["Ann"])).await;
    not_an_object.assert_error("INVALID_FIELD_VALUE", 400);
    assert_eq!(not_an_object.bad_fields(), ["body"]);
    assert!(app.okta_calls().is_empty(), "{:?}", app.okta_calls());
}

// ---------------------------------------------------------------------------------------------
// get_user
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn getting_a_user_by_id_returns_the_okta_user_shaped_as_the_sample() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "get_user",
            json!({"searchBy": "id", "searchValue": JORDAN_ID}),
        )
        .await;

    let body = ok(&response);
    assert_user_shape(body, &USER_KEYS);
    assert_eq!(body["id"], JORDAN_ID);
    assert_eq!(body["status"], "ACTIVE");
    assert_eq!(body["profile"]["login"], JORDAN_LOGIN);
    assert_eq!(body["profile"]["mobilePhone"], "+1-555-123-4567");
    assert_eq!(body["credentials"]["password"], json!({}));
    assert!(body.get("statusChanged").is_some(), "extra keys kept");

    let calls = sent(&app);
    assert_eq!(app.okta_calls(), [format!("GET {}", user_path(JORDAN_ID))]);
    // The answer is Okta's object minus `_links`, nothing else changed.
    let mut okta = answered_json(&calls[0]);
    assert!(okta.get("_links").is_some());
    okta.as_object_mut().expect("object").remove("_links");
    assert_eq!(body, &okta);
}

#[tokio::test]
async fn keys_okta_leaves_out_are_present_as_null() {
    let app = spawn_with_account().await;
    // Priya has no password: Okta's credentials carry no `password` member.
    let response = app
        .action(
            "get_user",
            json!({"searchBy": "id", "searchValue": PRIYA_ID}),
        )
        .await;

    let body = ok(&response);
    let okta = answered_json(&sent(&app)[0]);
    assert!(okta["credentials"].get("password").is_none(), "{okta}");
    assert_eq!(body["credentials"]["password"], Value::Null);
    assert_eq!(
        body["credentials"]["provider"],
        json!({"type": "OKTA", "name": "OKTA"})
    );
    assert_eq!(body["profile"]["login"], PRIYA_LOGIN);
}

#[tokio::test]
async fn getting_a_user_by_login_puts_the_login_in_the_path() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "get_user",
            json!({"searchBy": "login", "searchValue": JORDAN_LOGIN}),
        )
        .await;

    let body = ok(&response);
    assert_user_shape(body, &USER_KEYS);
    assert_eq!(body["id"], JORDAN_ID);
    assert_eq!(
        app.okta_calls(),
        [format!("GET {}", user_path(JORDAN_LOGIN_SEGMENT))]
    );
}

#[tokio::test]
async fn getting_an_unknown_user_is_a_user_not_found() {
    let app = spawn_with_account().await;
    for (by, value, segment) in [
        ("id", "00uNOSUCHUSER0000000", "00uNOSUCHUSER0000000"),
        ("login", "nobody@example.com", "nobody%40example.com"),
    ] {
        app.forget_requests();
        let response = app
            .action("get_user", json!({"searchBy": by, "searchValue": value}))
            .await;

        let error = assert_user_not_found(&response);
        assert_eq!(
            error["message"],
            format!("Okta: Not found: Resource not found: {value} (User)")
        );
        assert_eq!(error["details"]["okta"]["errorCode"], "E0000007");
        assert_eq!(app.okta_calls(), [format!("GET {}", user_path(segment))]);
    }
}

#[tokio::test]
async fn an_id_with_a_slash_or_question_mark_is_a_user_not_found_without_a_call() {
    let app = spawn_with_account().await;
    for value in ["00u/../../groups", "00u?limit=1"] {
        let response = app
            .action("get_user", json!({"searchBy": "id", "searchValue": value}))
            .await;
        assert_user_not_found(&response);
    }
    assert!(app.okta_calls().is_empty(), "{:?}", app.okta_calls());
}

#[tokio::test]
async fn a_login_with_a_slash_or_question_mark_is_found_with_one_search_query() {
    let app = spawn_with_account().await;
    for (login, query) in [
        (
            "a/b@x.io",
            "search=profile.login+eq+%22a%2Fb%40x.io%22&limit=2",
        ),
        (
            "x?y@x.io",
            "search=profile.login+eq+%22x%3Fy%40x.io%22&limit=2",
        ),
    ] {
        let id = seed(&app, login, "ACTIVE");
        app.forget_requests();
        let response = app
            .action(
                "get_user",
                json!({"searchBy": "login", "searchValue": login}),
            )
            .await;

        let body = ok(&response);
        assert_eq!(body["id"], id.as_str());
        assert_eq!(body["profile"]["login"], login);
        assert_user_shape(body, &USER_KEYS);
        assert_eq!(app.okta_calls(), [format!("GET /api/v1/users?{query}")]);
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        assert_eq!(
            pairs[0],
            ("search".to_owned(), format!("profile.login eq \"{login}\""))
        );
    }
}

#[tokio::test]
async fn a_login_with_a_slash_that_nobody_has_is_a_user_not_found() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "get_user",
            json!({"searchBy": "login", "searchValue": "no/body@x.io"}),
        )
        .await;

    assert_user_not_found(&response);
    assert_eq!(
        app.okta_calls(),
        ["GET /api/v1/users?search=profile.login+eq+%22no%2Fbody%40x.io%22&limit=2"]
    );
}

#[tokio::test]
async fn quotes_in_a_searched_login_are_escaped() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "get_user",
            json!({"searchBy": "login", "searchValue": "a\"/b@x.io"}),
        )
        .await;

    assert_user_not_found(&response);
    let calls = sent(&app);
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].path, "/api/v1/users");
    let query = calls[0].query.as_deref().unwrap_or_default();
    let search: Vec<String> = url::form_urlencoded::parse(query.as_bytes())
        .filter(|(k, _)| k == "search")
        .map(|(_, v)| v.into_owned())
        .collect();
    assert_eq!(search, [r#"profile.login eq "a\"/b@x.io""#]);
}

#[tokio::test]
async fn search_by_must_be_id_or_login() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "get_user",
            json!({"searchBy": "email", "searchValue": JORDAN_LOGIN}),
        )
        .await;
    let error = response.assert_error("INVALID_FIELD_VALUE", 400);
    assert_eq!(
        error["details"]["fields"],
        json!([{"field": "searchBy", "problem": "must be one of: id, login"}])
    );

    let missing = app.action("get_user", json!({})).await;
    missing.assert_error("INVALID_FIELD_VALUE", 400);
    assert_eq!(missing.bad_fields(), ["searchBy", "searchValue"]);

    let mistyped = app
        .action("get_user", json!({"searchBy": "id", "searchValue": 42}))
        .await;
    mistyped.assert_error("INVALID_FIELD_VALUE", 400);
    assert_eq!(mistyped.bad_fields(), ["searchValue"]);
    assert!(app.okta_calls().is_empty(), "{:?}", app.okta_calls());
}

// ---------------------------------------------------------------------------------------------
// update_user
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn updating_a_user_sends_and_changes_only_the_given_fields() {
    let app = spawn_with_account().await;
    let before = app.sim.handle().user(JORDAN_ID).expect("Jordan");
    let response = app
        .action(
            "update_user",
            json!({"userIdOrLogin": JORDAN_ID, "lastName": "Lee-Smith", "secondEmail": "jordan.alt@example.com"}),
        )
        .await;

    let body = ok(&response);
    assert_user_shape(body, &["id", "status", "created", "lastUpdated", "profile"]);
    assert_eq!(body["profile"]["lastName"], "Lee-Smith");
    assert_eq!(body["profile"]["secondEmail"], "jordan.alt@example.com");
    assert_eq!(body["profile"]["firstName"], "Jordan");

    let calls = sent(&app);
    assert_eq!(app.okta_calls(), [format!("POST {}", user_path(JORDAN_ID))]);
    assert_eq!(
        sent_json(&calls[0]),
        json!({"profile": {"lastName": "Lee-Smith", "secondEmail": "jordan.alt@example.com"}})
    );
    let after = app.sim.handle().user(JORDAN_ID).expect("Jordan");
    assert_eq!(after["profile"]["lastName"], "Lee-Smith");
    assert_eq!(after["profile"]["secondEmail"], "jordan.alt@example.com");
    for unchanged in ["firstName", "email", "login", "mobilePhone"] {
        assert_eq!(
            after["profile"][unchanged], before["profile"][unchanged],
            "{unchanged}"
        );
    }
    assert_eq!(after["status"], "ACTIVE");
}

#[tokio::test]
async fn updating_a_user_by_login_puts_the_login_in_the_path() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "update_user",
            json!({"userIdOrLogin": JORDAN_LOGIN, "mobilePhone": "+1-555-999-8888"}),
        )
        .await;

    assert_eq!(ok(&response)["profile"]["mobilePhone"], "+1-555-999-8888");
    assert_eq!(
        app.okta_calls(),
        [format!("POST {}", user_path(JORDAN_LOGIN_SEGMENT))]
    );
    assert_eq!(
        sent_json(&sent(&app)[0]),
        json!({"profile": {"mobilePhone": "+1-555-999-8888"}})
    );
}

#[tokio::test]
async fn updating_a_user_whose_login_has_a_slash_resolves_it_first() {
    let app = spawn_with_account().await;
    let id = seed(&app, "a/b@x.io", "ACTIVE");
    app.forget_requests();
    let response = app
        .action(
            "update_user",
            json!({"userIdOrLogin": "a/b@x.io", "firstName": "Abe"}),
        )
        .await;

    assert_eq!(ok(&response)["profile"]["firstName"], "Abe");
    assert_eq!(
        app.okta_calls(),
        [
            "GET /api/v1/users?search=profile.login+eq+%22a%2Fb%40x.io%22&limit=2".to_owned(),
            format!("POST {}", user_path(&id)),
        ]
    );
}

#[tokio::test]
async fn updating_a_user_without_any_field_is_refused_before_okta() {
    let app = spawn_with_account().await;
    let response = app
        .action("update_user", json!({"userIdOrLogin": JORDAN_ID}))
        .await;

    let error = response.assert_error("INVALID_FIELD_VALUE", 400);
    assert_eq!(error["details"]["fields"][0]["field"], "body");
    let nulls = app
        .action(
            "update_user",
            json!({"userIdOrLogin": JORDAN_ID, "firstName": null}),
        )
        .await;
    nulls.assert_error("INVALID_FIELD_VALUE", 400);
    assert_eq!(nulls.bad_fields(), ["body"]);
    let bad = app
        .action(
            "update_user",
            json!({"firstName": "", "login": "new@example.com"}),
        )
        .await;
    bad.assert_error("INVALID_FIELD_VALUE", 400);
    assert_eq!(bad.bad_fields(), ["userIdOrLogin", "firstName", "login"]);
    assert!(app.okta_calls().is_empty(), "{:?}", app.okta_calls());
}

#[tokio::test]
async fn updating_an_unknown_user_is_a_user_not_found() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "update_user",
            json!({"userIdOrLogin": "nobody@example.com", "firstName": "No"}),
        )
        .await;

    assert_user_not_found(&response);
    assert_eq!(
        app.okta_calls(),
        [format!("POST {}", user_path("nobody%40example.com"))]
    );
}

#[tokio::test]
async fn an_update_okta_refuses_is_an_invalid_field_value() {
    let app = spawn_with_account().await;
    // A well-formed address Okta still refuses (its rules are stricter than the schema's).
    app.sim.handle().inject(Fault {
        method: Some("POST".into()),
        path: format!("/api/v1/users/{JORDAN_ID}"),
        count: 1,
        kind: FaultKind::Status {
            status: 400,
            error_code: "E0000001".into(),
            error_summary: "Api validation failed: email".into(),
        },
    });
    let response = app
        .action(
            "update_user",
            json!({"userIdOrLogin": JORDAN_ID, "email": "jordan@example.invalid"}),
        )
        .await;

    let error = response.assert_error("INVALID_FIELD_VALUE", 400);
    assert_eq!(error["details"]["okta"]["errorCode"], "E0000001");
    assert_eq!(
        error["details"]["okta"]["errorSummary"],
        "Api validation failed: email"
    );
    assert_eq!(app.okta_calls().len(), 1);
    assert_eq!(
        app.sim.handle().user(JORDAN_ID).expect("Jordan")["profile"]["email"],
        JORDAN_LOGIN
    );
}

#[tokio::test]
async fn email_addresses_are_checked_before_okta() {
    let app = spawn_with_account().await;
    for (field, value) in [
        ("email", "not-an-email"),
        ("email", "a b@example.com"),
        ("secondEmail", "two@@example.com"),
        ("secondEmail", "nodomain@localhost"),
    ] {
        let response = app
            .action(
                "update_user",
                json!({"userIdOrLogin": JORDAN_ID, field: value}),
            )
            .await;
        response.assert_error("INVALID_FIELD_VALUE", 400);
        assert_eq!(
            response.json["error"]["details"]["fields"],
            json!([{"field": field, "problem": "must be an email address such as jordan.lee@example.com"}]),
            "{value}"
        );
    }
    assert!(app.okta_calls().is_empty(), "{:?}", app.okta_calls());
}

#[tokio::test]
async fn updating_a_deactivated_user_is_an_invalid_state() {
    let app = spawn_with_account().await;
    let id = seed(&app, "gone@example.com", "DEPROVISIONED");
    app.forget_requests();
    let response = app
        .action(
            "update_user",
            json!({"userIdOrLogin": "gone@example.com", "firstName": "Back"}),
        )
        .await;

    assert_invalid_state(&response, "DEPROVISIONED", "E0000038");
    assert_eq!(
        app.okta_calls(),
        [
            format!("POST {}", user_path("gone%40example.com")),
            format!("GET {}", user_path("gone%40example.com")),
        ]
    );
    assert_eq!(
        app.sim.handle().user(&id).expect("still there")["profile"]["firstName"],
        "Sam"
    );
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
    assert_eq!(
        app.okta_calls(),
        [
            format!("GET {}", user_path(JORDAN_ID)),
            format!("POST {}/lifecycle/deactivate", user_path(JORDAN_ID)),
            format!("DELETE {}?sendEmail=false", user_path(JORDAN_ID)),
        ]
    );
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
            format!("POST {}/lifecycle/deactivate", user_path(JORDAN_ID)),
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
    // sendEmail belongs to the DELETE only.
    assert_eq!(
        calls[1],
        format!("POST {}/lifecycle/deactivate", user_path(JORDAN_ID))
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
    assert_eq!(
        app.okta_calls(),
        [
            format!("GET {}", user_path(JORDAN_ID)),
            format!("POST {}/lifecycle/deactivate", user_path(JORDAN_ID)),
            format!("DELETE {}?sendEmail=false", user_path(JORDAN_ID)),
        ]
    );
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
            format!("POST {}/lifecycle/deactivate", user_path(JORDAN_ID)),
            format!("GET {}", user_path(JORDAN_ID)),
        ]
    );
    assert_eq!(status_in_okta(&app, JORDAN_ID), "ACTIVE");
}

// ---------------------------------------------------------------------------------------------
// activate_user
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn activating_without_email_returns_the_activation_link_uncached() {
    let app = spawn_with_account().await;
    let id = seed(&app, "new.hire@example.com", "STAGED");
    app.forget_requests();
    let response = app.action("activate_user", json!({"userId": id})).await;

    let body = ok(&response);
    assert_eq!(cache_control(&response), Some("no-store"));
    let token = body["activationToken"].as_str().expect("a token");
    assert_eq!(
        body["activationUrl"],
        format!("{}/welcome/{token}", app.sim.base_url())
    );
    assert_eq!(keys(body), ["activationToken", "activationUrl"]);

    let calls = sent(&app);
    assert_eq!(
        app.okta_calls(),
        [format!(
            "POST {}/lifecycle/activate?sendEmail=false",
            user_path(&id)
        )]
    );
    assert_eq!(answered_json(&calls[0]), *body);
    // No password yet: the user waits for the welcome link.
    assert_eq!(status_in_okta(&app, &id), "PROVISIONED");
}

#[tokio::test]
async fn activating_with_email_answers_the_wrapper() {
    let app = spawn_with_account().await;
    let id = seed(&app, "new.hire@example.com", "DEPROVISIONED");
    app.forget_requests();
    let response = app
        .action("activate_user", json!({"userId": id, "sendEmail": true}))
        .await;

    assert_eq!(
        ok(&response),
        &json!({"status": 200, "message": "Activation email sent to the user.", "userId": id})
    );
    assert_eq!(
        app.okta_calls(),
        [format!(
            "POST {}/lifecycle/activate?sendEmail=true",
            user_path(&id)
        )]
    );
    assert_eq!(status_in_okta(&app, &id), "PROVISIONED");
}

#[tokio::test]
async fn activating_an_active_user_is_an_invalid_state() {
    let app = spawn_with_account().await;
    let response = app
        .action("activate_user", json!({"userId": JORDAN_ID}))
        .await;

    assert_invalid_state(&response, "ACTIVE", "E0000016");
    assert_eq!(cache_control(&response), None);
    assert_eq!(
        app.okta_calls(),
        [
            format!(
                "POST {}/lifecycle/activate?sendEmail=false",
                user_path(JORDAN_ID)
            ),
            format!("GET {}", user_path(JORDAN_ID)),
        ]
    );
}

#[tokio::test]
async fn activating_an_unknown_user_is_a_user_not_found() {
    let app = spawn_with_account().await;
    let response = app
        .action("activate_user", json!({"userId": "nobody@example.com"}))
        .await;

    let error = assert_user_not_found(&response);
    assert_eq!(error["details"]["okta"]["errorCode"], "E0000007");
    assert_eq!(
        app.okta_calls(),
        [format!(
            "POST {}/lifecycle/activate?sendEmail=false",
            user_path("nobody%40example.com")
        )]
    );
}

#[tokio::test]
async fn activate_parameters_are_checked_before_okta() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "activate_user",
            json!({"sendEmail": "false", "userID": "x"}),
        )
        .await;

    response.assert_error("INVALID_FIELD_VALUE", 400);
    assert_eq!(response.bad_fields(), ["userId", "sendEmail", "userID"]);
    assert!(app.okta_calls().is_empty());
}

// ---------------------------------------------------------------------------------------------
// deactivate_user
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn deactivating_a_user_answers_the_seed_wrapper() {
    let app = spawn_with_account().await;
    let response = app
        .action("deactivate_user", json!({"userId": JORDAN_ID}))
        .await;

    assert_eq!(
        ok(&response),
        &json!({"status": 200, "message": "User successfully deactivated.", "userId": JORDAN_ID, "userStatus": "DEPROVISIONED"})
    );
    assert_eq!(cache_control(&response), None);
    assert_eq!(
        app.okta_calls(),
        [format!(
            "POST {}/lifecycle/deactivate",
            user_path(JORDAN_ID)
        )]
    );
    assert_eq!(status_in_okta(&app, JORDAN_ID), "DEPROVISIONED");
}

#[tokio::test]
async fn deactivating_a_deactivated_user_is_an_invalid_state() {
    let app = spawn_with_account().await;
    let id = seed(&app, "gone@example.com", "DEPROVISIONED");
    app.forget_requests();
    let response = app.action("deactivate_user", json!({"userId": id})).await;

    assert_invalid_state(&response, "DEPROVISIONED", "E0000038");
    assert_eq!(
        app.okta_calls(),
        [
            format!("POST {}/lifecycle/deactivate", user_path(&id)),
            format!("GET {}", user_path(&id)),
        ]
    );
}

#[tokio::test]
async fn a_deactivate_dry_run_only_reads() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "deactivate_user",
            json!({"userId": JORDAN_ID, "dryRun": true}),
        )
        .await;

    let body = ok(&response);
    assert_eq!(body["dryRun"], true);
    assert_eq!(
        body["message"],
        format!("Would deactivate user {JORDAN_LOGIN} (status ACTIVE).")
    );
    assert_eq!(body["target"]["id"], JORDAN_ID);
    assert!(body["target"].get("_links").is_none());
    assert_eq!(app.okta_calls(), [format!("GET {}", user_path(JORDAN_ID))]);
    assert_eq!(status_in_okta(&app, JORDAN_ID), "ACTIVE");
}

#[tokio::test]
async fn a_deactivate_dry_run_of_a_deactivated_user_is_an_invalid_state() {
    let app = spawn_with_account().await;
    let id = seed(&app, "gone@example.com", "DEPROVISIONED");
    app.forget_requests();
    let response = app
        .action("deactivate_user", json!({"userId": id, "dryRun": true}))
        .await;

    let error = response.assert_error("INVALID_STATE", 409);
    assert_eq!(error["details"]["userStatus"], "DEPROVISIONED");
    assert_eq!(app.okta_calls(), [format!("GET {}", user_path(&id))]);
}

#[tokio::test]
async fn a_deactivate_dry_run_of_an_unknown_user_is_a_user_not_found() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "deactivate_user",
            json!({"userId": "nobody@example.com", "dryRun": true}),
        )
        .await;

    assert_user_not_found(&response);
    assert_eq!(
        app.okta_calls(),
        [format!("GET {}", user_path("nobody%40example.com"))]
    );
}

// ---------------------------------------------------------------------------------------------
// suspend_user / unsuspend_user / unlock_user
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn suspending_an_active_user_answers_the_seed_wrapper() {
    let app = spawn_with_account().await;
    let response = app
        .action("suspend_user", json!({"userId": JORDAN_ID}))
        .await;

    assert_eq!(
        ok(&response),
        &json!({"status": 200, "message": "User successfully suspended.", "userId": JORDAN_ID, "userStatus": "SUSPENDED"})
    );
    assert_eq!(
        app.okta_calls(),
        [format!("POST {}/lifecycle/suspend", user_path(JORDAN_ID))]
    );
    let calls = sent(&app);
    assert_eq!(calls[0].body.as_deref().unwrap_or_default(), "");
    assert!(
        calls[0]
            .headers
            .iter()
            .any(|(k, v)| k == "content-length" && v == "0"),
        "a body-less POST says Content-Length: 0"
    );
    assert_eq!(status_in_okta(&app, JORDAN_ID), "SUSPENDED");
}

#[tokio::test]
async fn suspending_a_staged_user_is_an_invalid_state() {
    let app = spawn_with_account().await;
    let id = seed(&app, "staged@example.com", "STAGED");
    app.forget_requests();
    let response = app.action("suspend_user", json!({"userId": id})).await;

    // Okta answers 400 E0000001 here: for suspend it means the wrong status.
    assert_invalid_state(&response, "STAGED", "E0000001");
    assert_eq!(
        response.json["error"]["details"]["okta"]["errorSummary"],
        "Cannot suspend a user that is not active"
    );
    assert_eq!(
        app.okta_calls(),
        [
            format!("POST {}/lifecycle/suspend", user_path(&id)),
            format!("GET {}", user_path(&id)),
        ]
    );
    assert_eq!(status_in_okta(&app, &id), "STAGED");
}

#[tokio::test]
async fn unsuspending_a_suspended_user_makes_them_active() {
    let app = spawn_with_account().await;
    let id = seed(&app, "held@example.com", "SUSPENDED");
    app.forget_requests();
    let response = app.action("unsuspend_user", json!({"userId": id})).await;

    assert_eq!(
        ok(&response),
        &json!({"status": 200, "message": "User successfully unsuspended.", "userId": id, "userStatus": "ACTIVE"})
    );
    assert_eq!(
        app.okta_calls(),
        [format!("POST {}/lifecycle/unsuspend", user_path(&id))]
    );
    assert_eq!(status_in_okta(&app, &id), "ACTIVE");
}

#[tokio::test]
async fn unsuspending_an_active_user_is_an_invalid_state() {
    let app = spawn_with_account().await;
    let response = app
        .action("unsuspend_user", json!({"userId": JORDAN_ID}))
        .await;

    assert_invalid_state(&response, "ACTIVE", "E0000001");
    assert_eq!(
        app.okta_calls(),
        [
            format!("POST {}/lifecycle/unsuspend", user_path(JORDAN_ID)),
            format!("GET {}", user_path(JORDAN_ID)),
        ]
    );
}

#[tokio::test]
async fn e0000001_outside_suspend_and_unsuspend_stays_an_invalid_field_value() {
    let app = spawn_with_account().await;
    app.sim.handle().inject(Fault::new(
        Some("POST"),
        "/api/v1/users/[^/]+/lifecycle/unlock",
        FaultKind::Status {
            status: 400,
            error_code: "E0000001".into(),
            error_summary: "Api validation failed: sendEmail".into(),
        },
    ));
    let response = app
        .action("unlock_user", json!({"userId": JORDAN_ID}))
        .await;

    let error = response.assert_error("INVALID_FIELD_VALUE", 400);
    assert!(error["details"].get("userStatus").is_none(), "{error}");
    assert_eq!(app.okta_calls().len(), 1);
}

#[tokio::test]
async fn unlocking_a_locked_out_user_makes_them_active() {
    let app = spawn_with_account().await;
    assert!(app.sim.handle().set_user_status(JORDAN_ID, "LOCKED_OUT"));
    let response = app
        .action("unlock_user", json!({"userId": JORDAN_ID}))
        .await;

    assert_eq!(
        ok(&response),
        &json!({"status": 200, "message": "User successfully unlocked.", "userId": JORDAN_ID, "userStatus": "ACTIVE"})
    );
    assert_eq!(
        app.okta_calls(),
        [format!("POST {}/lifecycle/unlock", user_path(JORDAN_ID))]
    );
    assert_eq!(status_in_okta(&app, JORDAN_ID), "ACTIVE");
}

#[tokio::test]
async fn unlocking_an_active_user_is_an_invalid_state() {
    let app = spawn_with_account().await;
    let response = app
        .action("unlock_user", json!({"userId": JORDAN_ID}))
        .await;

    assert_invalid_state(&response, "ACTIVE", "E0000032");
    assert_eq!(
        app.okta_calls(),
        [
            format!("POST {}/lifecycle/unlock", user_path(JORDAN_ID)),
            format!("GET {}", user_path(JORDAN_ID)),
        ]
    );
}

#[tokio::test]
async fn lifecycle_actions_on_an_unknown_user_are_user_not_found_after_one_call() {
    let app = spawn_with_account().await;
    let unknown = "00uNOSUCHUSER0000000";
    for (action, call) in [
        ("deactivate_user", "lifecycle/deactivate"),
        ("suspend_user", "lifecycle/suspend"),
        ("unsuspend_user", "lifecycle/unsuspend"),
        ("unlock_user", "lifecycle/unlock"),
        ("reset_password", "lifecycle/reset_password?sendEmail=false"),
        (
            "expire_password",
            "lifecycle/expire_password_with_temp_password",
        ),
    ] {
        app.forget_requests();
        let response = app.action(action, json!({"userId": unknown})).await;

        let error = assert_user_not_found(&response);
        assert_eq!(
            error["details"]["okta"]["errorCode"], "E0000007",
            "{action}"
        );
        assert_eq!(
            app.okta_calls(),
            [format!("POST {}/{call}", user_path(unknown))],
            "{action}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// reset_password / expire_password
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn resetting_a_password_without_email_returns_the_reset_link_uncached() {
    let app = spawn_with_account().await;
    let response = app
        .action("reset_password", json!({"userId": JORDAN_ID}))
        .await;

    let body = ok(&response);
    assert_eq!(cache_control(&response), Some("no-store"));
    let url = body["resetPasswordUrl"].as_str().expect("a reset URL");
    assert!(
        url.starts_with(&format!("{}/reset_password/", app.sim.base_url())),
        "{url}"
    );
    assert_eq!(body.as_object().expect("object").len(), 1, "{body}");
    // Okta's current spec requires sendEmail; the gateway always sends it.
    assert_eq!(
        app.okta_calls(),
        [format!(
            "POST {}/lifecycle/reset_password?sendEmail=false",
            user_path(JORDAN_ID)
        )]
    );
    assert_eq!(answered_json(&sent(&app)[0]), *body);
    assert_eq!(status_in_okta(&app, JORDAN_ID), "RECOVERY");
}

#[tokio::test]
async fn resetting_a_password_with_email_answers_the_wrapper() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "reset_password",
            json!({"userId": JORDAN_LOGIN, "sendEmail": true}),
        )
        .await;

    assert_eq!(
        ok(&response),
        &json!({"status": 200, "message": "Password reset email sent to the user.", "userId": JORDAN_LOGIN})
    );
    assert_eq!(
        app.okta_calls(),
        [format!(
            "POST {}/lifecycle/reset_password?sendEmail=true",
            user_path(JORDAN_LOGIN_SEGMENT)
        )]
    );
    assert_eq!(status_in_okta(&app, JORDAN_ID), "RECOVERY");
}

#[tokio::test]
async fn resetting_the_password_of_a_staged_user_is_an_invalid_state() {
    let app = spawn_with_account().await;
    let id = seed(&app, "staged@example.com", "STAGED");
    app.forget_requests();
    let response = app.action("reset_password", json!({"userId": id})).await;

    assert_invalid_state(&response, "STAGED", "E0000038");
    assert_eq!(cache_control(&response), None);
    assert_eq!(
        app.okta_calls(),
        [
            format!(
                "POST {}/lifecycle/reset_password?sendEmail=false",
                user_path(&id)
            ),
            format!("GET {}", user_path(&id)),
        ]
    );
}

#[tokio::test]
async fn expiring_a_password_returns_a_temporary_password_uncached() {
    let app = spawn_with_account().await;
    let response = app
        .action("expire_password", json!({"userId": JORDAN_ID}))
        .await;

    let body = ok(&response);
    assert_eq!(cache_control(&response), Some("no-store"));
    let calls = sent(&app);
    assert_eq!(
        app.okta_calls(),
        [format!(
            "POST {}/lifecycle/expire_password_with_temp_password",
            user_path(JORDAN_ID)
        )]
    );
    // Okta answers a plain string; the seed's shape wraps it in {value}.
    let temp = answered_json(&calls[0])["tempPassword"]
        .as_str()
        .expect("Okta's temp password is a string")
        .to_owned();
    assert_eq!(body, &json!({"tempPassword": {"value": temp}}));
    assert_eq!(status_in_okta(&app, JORDAN_ID), "PASSWORD_EXPIRED");
}

#[tokio::test]
async fn expiring_the_password_of_a_staged_user_is_an_invalid_state() {
    let app = spawn_with_account().await;
    let id = seed(&app, "staged@example.com", "STAGED");
    app.forget_requests();
    let response = app.action("expire_password", json!({"userId": id})).await;

    assert_invalid_state(&response, "STAGED", "E0000038");
    assert_eq!(
        app.okta_calls(),
        [
            format!(
                "POST {}/lifecycle/expire_password_with_temp_password",
                user_path(&id)
            ),
            format!("GET {}", user_path(&id)),
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// change_password
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn changing_a_password_by_login_resolves_the_id_then_posts_both_passwords() {
    let app = spawn_with_account().await;
    let new_password = "N3w-Sturdy-Secret";
    let response = app
        .action(
            "change_password",
            json!({
                "userId": JORDAN_LOGIN,
                "oldPassword": {"value": JORDAN_PASSWORD},
                "newPassword": {"value": new_password}
            }),
        )
        .await;

    assert_eq!(
        ok(&response),
        &json!({"credentials": {"password": {}, "provider": {"type": "OKTA", "name": "OKTA"}}})
    );
    assert_eq!(cache_control(&response), None);
    let calls = sent(&app);
    assert_eq!(
        app.okta_calls(),
        [
            format!("GET {}", user_path(JORDAN_LOGIN_SEGMENT)),
            format!("POST {}/credentials/change_password", user_path(JORDAN_ID)),
        ]
    );
    assert_eq!(
        sent_json(&calls[1]),
        json!({"oldPassword": {"value": JORDAN_PASSWORD}, "newPassword": {"value": new_password}})
    );
    assert!(!response.text.contains(new_password));
    assert!(!response.text.contains(JORDAN_PASSWORD));

    // Okta now holds the new password: it is the old one of the next change.
    app.forget_requests();
    let again = app
        .action(
            "change_password",
            json!({
                "userId": JORDAN_ID,
                "oldPassword": {"value": new_password},
                "newPassword": {"value": "An0ther-Sturdy-Secret"}
            }),
        )
        .await;
    ok(&again);
}

#[tokio::test]
async fn changing_a_password_with_a_user_id_makes_one_call() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "change_password",
            json!({
                "userId": JORDAN_ID,
                "oldPassword": {"value": JORDAN_PASSWORD},
                "newPassword": {"value": "N3w-Sturdy-Secret"}
            }),
        )
        .await;

    ok(&response);
    assert_eq!(
        app.okta_calls(),
        [format!(
            "POST {}/credentials/change_password",
            user_path(JORDAN_ID)
        )]
    );
}

#[tokio::test]
async fn a_wrong_old_password_is_an_invalid_field_value() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "change_password",
            json!({
                "userId": JORDAN_ID,
                "oldPassword": {"value": "Not-The-Passw0rd"},
                "newPassword": {"value": "N3w-Sturdy-Secret"}
            }),
        )
        .await;

    let error = response.assert_error("INVALID_FIELD_VALUE", 400);
    let okta = &error["details"]["okta"];
    assert_eq!(okta["errorCode"], "E0000014");
    assert_eq!(okta["errorSummary"], "Update of credentials failed");
    assert_eq!(
        okta["errorCauses"],
        json!([{"errorSummary": "oldPassword: The credentials provided were incorrect."}])
    );
    assert!(error["details"].get("userStatus").is_none());
    assert!(!response.text.contains("Not-The-Passw0rd"));
    assert!(!response.text.contains("N3w-Sturdy-Secret"));
    assert_eq!(
        app.okta_calls(),
        [format!(
            "POST {}/credentials/change_password",
            user_path(JORDAN_ID)
        )]
    );
}

#[tokio::test]
async fn a_new_password_okta_refuses_is_an_invalid_field_value() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "change_password",
            json!({
                "userId": JORDAN_ID,
                "oldPassword": {"value": JORDAN_PASSWORD},
                "newPassword": {"value": "password1"}
            }),
        )
        .await;

    let error = response.assert_error("INVALID_FIELD_VALUE", 400);
    assert_eq!(error["details"]["okta"]["errorCode"], "E0000014");
    assert_eq!(
        error["details"]["okta"]["errorCauses"],
        json!([{"errorSummary": "password: This password was found in a list of commonly used passwords. Please try another password."}])
    );
    assert_eq!(app.okta_calls().len(), 1);
}

#[tokio::test]
async fn changing_the_password_of_a_user_without_one_is_an_invalid_state() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "change_password",
            json!({
                "userId": PRIYA_ID,
                "oldPassword": {"value": "Anything-1"},
                "newPassword": {"value": "N3w-Sturdy-Secret"}
            }),
        )
        .await;

    assert_invalid_state(&response, "ACTIVE", "E0000035");
    assert_eq!(
        app.okta_calls(),
        [
            format!("POST {}/credentials/change_password", user_path(PRIYA_ID)),
            format!("GET {}", user_path(PRIYA_ID)),
        ]
    );
}

#[tokio::test]
async fn changing_the_password_of_an_unknown_login_is_a_user_not_found() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "change_password",
            json!({
                "userId": "nobody@example.com",
                "oldPassword": {"value": "Anything-1"},
                "newPassword": {"value": "N3w-Sturdy-Secret"}
            }),
        )
        .await;

    assert_user_not_found(&response);
    assert_eq!(
        app.okta_calls(),
        [format!("GET {}", user_path("nobody%40example.com"))]
    );
}

#[tokio::test]
async fn passwords_must_be_value_objects_and_are_never_echoed() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "change_password",
            json!({"userId": JORDAN_ID, "oldPassword": "Plain-Text-Secret1", "newPassword": {"value": ""}, "extra": 1}),
        )
        .await;

    response.assert_error("INVALID_FIELD_VALUE", 400);
    assert_eq!(
        response.bad_fields(),
        ["oldPassword", "newPassword", "extra"]
    );
    assert!(!response.text.contains("Plain-Text-Secret1"));
    let missing = app
        .action("change_password", json!({"userId": JORDAN_ID}))
        .await;
    missing.assert_error("INVALID_FIELD_VALUE", 400);
    assert_eq!(missing.bad_fields(), ["oldPassword", "newPassword"]);
    assert!(app.okta_calls().is_empty());
}

// ---------------------------------------------------------------------------------------------
// The account's token
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_revoked_token_is_an_authentication_failure() {
    let app = spawn_with_account().await;
    app.sim.handle().remove_token(&app.sim_token);
    let response = app
        .action(
            "get_user",
            json!({"searchBy": "id", "searchValue": JORDAN_ID}),
        )
        .await;

    let error = response.assert_error("AUTHENTICATION_FAILURE", 401);
    assert_eq!(error["code"], 8002);
    assert_eq!(error["details"]["okta"]["errorCode"], "E0000011");
    assert_eq!(app.okta_calls(), [format!("GET {}", user_path(JORDAN_ID))]);
    assert!(!response.text.contains(&app.sim_token));
}

#[tokio::test]
async fn a_read_only_token_cannot_change_a_user() {
    let app = spawn_with_account().await;
    let token = "00readonly-token-for-users";
    app.sim
        .handle()
        .add_token(token, okta_sim::AdminRole::ReadOnlyAdmin);
    let account = json!({"name": "readonly", "domain": app.sim.base_url(), "apiToken": token});
    let created = app
        .admin(reqwest::Method::POST, "/accounts", Some(account))
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    app.forget_requests();

    let response = app
        .call(
            reqwest::Method::POST,
            "/accounts/readonly/actions/suspend_user",
            Some(ACTION_KEY),
            Some(json!({"userId": JORDAN_ID})),
        )
        .await;

    let error = response.assert_error("RESOURCE_ACCESS_DENIED", 403);
    assert_eq!(error["code"], 9001);
    assert_eq!(error["details"]["okta"]["errorCode"], "E0000006");
    // Not a state refusal: no extra read of the user.
    assert_eq!(
        app.okta_calls(),
        [format!("POST {}/lifecycle/suspend", user_path(JORDAN_ID))]
    );
    assert_eq!(status_in_okta(&app, JORDAN_ID), "ACTIVE");
}

#[tokio::test]
async fn a_user_action_on_an_unknown_account_is_refused_before_okta() {
    let app = spawn_with_account().await;
    let response = app
        .call(
            reqwest::Method::POST,
            "/accounts/nosuch/actions/get_user",
            Some(ACTION_KEY),
            Some(json!({"searchBy": "id", "searchValue": JORDAN_ID})),
        )
        .await;

    let error = response.assert_error("RESOURCE_NOT_FOUND", 404);
    assert_eq!(error["details"]["resource"], "account");
    assert!(app.okta_calls().is_empty());
}

// ---------------------------------------------------------------------------------------------
// User references
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn lifecycle_actions_pass_a_login_through_and_an_id_as_is() {
    let app = spawn_with_account().await;
    let by_login = app
        .action("suspend_user", json!({"userId": JORDAN_LOGIN}))
        .await;
    assert_eq!(
        ok(&by_login),
        &json!({"status": 200, "message": "User successfully suspended.", "userId": JORDAN_LOGIN, "userStatus": "SUSPENDED"})
    );
    assert_eq!(
        app.okta_calls(),
        [format!(
            "POST {}/lifecycle/suspend",
            user_path(JORDAN_LOGIN_SEGMENT)
        )]
    );

    app.forget_requests();
    let by_id = app
        .action("unsuspend_user", json!({"userId": JORDAN_ID}))
        .await;
    ok(&by_id);
    assert_eq!(
        app.okta_calls(),
        [format!("POST {}/lifecycle/unsuspend", user_path(JORDAN_ID))]
    );
}

#[tokio::test]
async fn logins_with_special_characters_reach_exactly_their_user() {
    let app = spawn_with_account().await;
    let cases = [
        ("a+b@x.io", None),
        ("a#b@x.io", None),
        (
            "a/b@x.io",
            Some("search=profile.login+eq+%22a%2Fb%40x.io%22&limit=2"),
        ),
        (
            "x?y@x.io",
            Some("search=profile.login+eq+%22x%3Fy%40x.io%22&limit=2"),
        ),
    ];
    for (login, search) in cases {
        let id = seed(&app, login, "ACTIVE");
        app.forget_requests();
        let response = app.action("suspend_user", json!({"userId": login})).await;

        ok(&response);
        assert_eq!(status_in_okta(&app, &id), "SUSPENDED", "{login}");
        let calls = app.okta_calls();
        match search {
            // Okta's path cannot carry these: resolved with one search, then the id.
            Some(query) => assert_eq!(
                calls,
                [
                    format!("GET /api/v1/users?{query}"),
                    format!("POST {}/lifecycle/suspend", user_path(&id)),
                ],
                "{login}"
            ),
            None => {
                let segment = match login {
                    "a+b@x.io" => "a%2Bb%40x.io",
                    _ => "a%23b%40x.io",
                };
                assert_eq!(
                    calls,
                    [format!("POST {}/lifecycle/suspend", user_path(segment))],
                    "{login}"
                );
            }
        }
    }
    // Nobody else was touched.
    assert_eq!(status_in_okta(&app, JORDAN_ID), "ACTIVE");
    assert_eq!(status_in_okta(&app, PRIYA_ID), "ACTIVE");
}

/// Every action taking a user reference, with a body around the reference.
fn reference_bodies(reference: &str) -> Vec<(&'static str, Value)> {
    vec![
        (
            "get_user",
            json!({"searchBy": "id", "searchValue": reference}),
        ),
        (
            "get_user",
            json!({"searchBy": "login", "searchValue": reference}),
        ),
        (
            "update_user",
            json!({"userIdOrLogin": reference, "firstName": "X"}),
        ),
        (
            "delete_user",
            json!({"userIdOrLogin": reference, "dryRun": true}),
        ),
        ("delete_user", json!({"userIdOrLogin": reference})),
        ("activate_user", json!({"userId": reference})),
        (
            "deactivate_user",
            json!({"userId": reference, "dryRun": true}),
        ),
        ("deactivate_user", json!({"userId": reference})),
        ("suspend_user", json!({"userId": reference})),
        ("unsuspend_user", json!({"userId": reference})),
        ("unlock_user", json!({"userId": reference})),
        ("reset_password", json!({"userId": reference})),
        ("expire_password", json!({"userId": reference})),
        (
            "change_password",
            json!({"userId": reference, "oldPassword": {"value": "Old-Passw0rd"}, "newPassword": {"value": "N3w-Passw0rd"}}),
        ),
    ]
}

#[tokio::test]
async fn user_references_never_reach_another_okta_endpoint() {
    let app = spawn_with_account().await;
    // (reference, how it must appear when it is the user segment). A login with `/` or `?`
    // is only put in the path by get_user with searchBy "id"; elsewhere it is searched.
    let references = [
        ("a/b@x.io", "a%2Fb%40x.io"),
        ("x?y@x.io", "x%3Fy%40x.io"),
        ("a#b@x.io", "a%23b%40x.io"),
        ("a+b@x.io", "a%2Bb%40x.io"),
        ("%2e%2e", "%252e%252e"),
        ("..%2F..%2Fgroups", "..%252F..%252Fgroups"),
        (
            "../../groups/00g1emaKYZTWRYYRRTSK",
            "..%2F..%2Fgroups%2F00g1emaKYZTWRYYRRTSK",
        ),
        ("a b@x.io", "a%20b%40x.io"),
    ];
    for login in ["a/b@x.io", "x?y@x.io", "a#b@x.io", "a+b@x.io"] {
        seed(&app, login, "STAGED");
    }
    for (reference, segment) in references {
        for (action, body) in reference_bodies(reference) {
            app.forget_requests();
            let response = app.action(action, body.clone()).await;
            assert!(
                (200..500).contains(&response.status) && response.json.is_object(),
                "{action} {body}: {} {}",
                response.status,
                response.text
            );
            for call in sent(&app) {
                let context = format!("{action} {body}: {} {:?}", call.path, call.query);
                if call.path == "/api/v1/users" {
                    // Resolved through a search on the exact login.
                    assert_eq!(call.method, "GET", "{context}");
                    let search: Vec<String> =
                        url::form_urlencoded::parse(call.query.as_deref().unwrap_or("").as_bytes())
                            .filter(|(k, _)| k == "search")
                            .map(|(_, v)| v.into_owned())
                            .collect();
                    assert_eq!(
                        search,
                        [format!("profile.login eq \"{reference}\"")],
                        "{context}"
                    );
                    continue;
                }
                let rest = call
                    .path
                    .strip_prefix("/api/v1/users/")
                    .unwrap_or_else(|| panic!("left the users API: {context}"));
                let (first, tail) = rest.split_once('/').unwrap_or((rest, ""));
                let is_id = first.len() == 20 && first.starts_with("00u");
                assert!(
                    first == segment || is_id,
                    "the reference is not one encoded segment: {context}"
                );
                assert!(
                    [
                        "",
                        "lifecycle/activate",
                        "lifecycle/deactivate",
                        "lifecycle/suspend",
                        "lifecycle/unsuspend",
                        "lifecycle/unlock",
                        "lifecycle/reset_password",
                        "lifecycle/expire_password_with_temp_password",
                        "credentials/change_password",
                    ]
                    .contains(&tail),
                    "{context}"
                );
            }
        }
    }
    assert_eq!(status_in_okta(&app, JORDAN_ID), "ACTIVE");
    assert!(app.sim.handle().group("00g1emaKYZTWRYYRRTSK").is_some());
}

#[tokio::test]
async fn dot_segments_and_blank_references_are_refused_before_any_call() {
    let app = spawn_with_account().await;
    for reference in [".", "..", " "] {
        for (action, body) in reference_bodies(reference) {
            let response = app.action(action, body.clone()).await;
            let error = response.assert_error("INVALID_FIELD_VALUE", 400);
            let field = if action == "get_user" {
                "searchValue"
            } else if action == "update_user" || action == "delete_user" {
                "userIdOrLogin"
            } else {
                "userId"
            };
            assert_eq!(
                error["details"]["fields"],
                json!([{"field": field, "problem": "must be an Okta id or login"}]),
                "{action} {body}"
            );
        }
    }
    assert!(app.okta_calls().is_empty(), "{:?}", app.okta_calls());
}

// ---------------------------------------------------------------------------------------------
// Logs: no credentials, one audit line per mutating action
// ---------------------------------------------------------------------------------------------

/// Every form in which a secret could leak into a line.
fn leak_forms(secret: &str) -> Vec<String> {
    let mut forms = vec![
        secret.to_owned(),
        percent_encoding::utf8_percent_encode(secret, percent_encoding::NON_ALPHANUMERIC)
            .to_string(),
        serde_json::to_string(secret).expect("json"),
    ];
    forms.dedup();
    forms
}

#[test]
fn credentials_never_appear_in_logs() {
    let (logs, secrets) = captured_logs(false, || async {
        let app = spawn_with_account().await;
        let mut secrets: Vec<String> = Vec::new();

        let staged = seed(&app, "new.hire@example.com", "STAGED");
        let activated = app.action("activate_user", json!({"userId": staged})).await;
        secrets.push(
            ok(&activated)["activationToken"]
                .as_str()
                .expect("token")
                .to_owned(),
        );

        let reset = app
            .action("reset_password", json!({"userId": PRIYA_ID}))
            .await;
        let url = ok(&reset)["resetPasswordUrl"].as_str().expect("url");
        secrets.push(url.rsplit('/').next().expect("token").to_owned());

        // PROVISIONED: refused (and logged as refused) before the successful one.
        let refused = app
            .action("expire_password", json!({"userId": "new.hire@example.com"}))
            .await;
        refused.assert_error("INVALID_STATE", 409);
        let expired = app
            .action("expire_password", json!({"userId": JORDAN_ID}))
            .await;
        secrets.push(
            ok(&expired)["tempPassword"]["value"]
                .as_str()
                .expect("temp password")
                .to_owned(),
        );

        let old = "Old-Sturdy-Passw0rd";
        let new = "N3w-Sturdy-Passw0rd";
        seed_with_password(&app, "pat@example.com", old);
        let changed = app
            .action(
                "change_password",
                json!({"userId": "pat@example.com", "oldPassword": {"value": old}, "newPassword": {"value": new}}),
            )
            .await;
        ok(&changed);
        let wrong = "Wr0ng-Sturdy-Passw0rd";
        let refused = app
            .action(
                "change_password",
                json!({"userId": "pat@example.com", "oldPassword": {"value": wrong}, "newPassword": {"value": "An0ther-Passw0rd"}}),
            )
            .await;
        refused.assert_error("INVALID_FIELD_VALUE", 400);
        let invalid = app
            .action(
                "change_password",
                json!({"userId": "pat@example.com", "oldPassword": "Inval1d-Shape-Secret", "newPassword": {"value": new}}),
            )
            .await;
        invalid.assert_error("INVALID_FIELD_VALUE", 400);
        secrets.extend(
            [old, new, wrong, "An0ther-Passw0rd", "Inval1d-Shape-Secret"].map(str::to_owned),
        );
        drop(app);
        secrets
    });

    assert!(!logs.is_empty(), "the capture holds output");
    assert!(logs.contains("TRACE"), "the capture holds TRACE output");
    assert!(
        logs.contains("okta_gateway::audit"),
        "the capture holds the gateway's own lines"
    );
    for secret in &secrets {
        assert!(secret.len() >= 8, "a real secret: {secret:?}");
        for form in leak_forms(secret) {
            let line = logs.lines().find(|line| line.contains(&form));
            assert!(line.is_none(), "a log line contains {form:?}: {line:?}");
        }
    }
}

/// The audit lines of a JSON log capture.
fn audit_lines(logs: &str) -> Vec<Value> {
    logs.lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line["target"] == "okta_gateway::audit")
        .collect()
}

#[test]
fn each_mutating_action_writes_one_audit_line_with_its_outcome() {
    let (logs, request_ids) = captured_logs(true, || async {
        let app = spawn_with_account().await;
        let ids = |app: &TestApp| -> Vec<String> {
            sent(app).into_iter().map(|r| r.request_id).collect()
        };

        let read = app
            .action(
                "get_user",
                json!({"searchBy": "id", "searchValue": JORDAN_ID}),
            )
            .await;
        ok(&read);

        app.forget_requests();
        let suspended = app
            .action("suspend_user", json!({"userId": JORDAN_ID}))
            .await;
        ok(&suspended);
        let success_ids = ids(&app);

        app.forget_requests();
        let refused = app
            .action("suspend_user", json!({"userId": JORDAN_ID}))
            .await;
        refused.assert_error("INVALID_STATE", 409);
        let failure_ids = ids(&app);

        app.forget_requests();
        let created = app
            .action(
                "create_user",
                json!({"firstName": "Ann", "lastName": "Ito", "email": "ann.ito@example.com", "login": "ann.ito@example.com"}),
            )
            .await;
        ok(&created);
        let create_ids = ids(&app);
        drop(app);
        (success_ids, failure_ids, create_ids)
    });
    let (success_ids, failure_ids, create_ids) = request_ids;

    let lines = audit_lines(&logs);
    assert_eq!(
        lines.len(),
        3,
        "one per mutating action, none for get_user: {lines:#?}"
    );
    let key = okta_gateway::auth::key_hash(ACTION_KEY).0;
    assert!(!logs.contains(ACTION_KEY), "the key itself is never logged");

    let success = &lines[0];
    assert_eq!(success["key"], key.as_str());
    assert_eq!(success["account"], "acme");
    assert_eq!(success["action"], "suspend_user");
    assert_eq!(success["targets"], format!("userId={JORDAN_ID}"));
    assert_eq!(success["outcome"], "success");
    assert_eq!(success_ids.len(), 1);
    let recorded = success["okta_request_ids"].as_str().unwrap_or_default();
    assert!(recorded.contains(&success_ids[0]), "{success}");

    let failure = &lines[1];
    assert_eq!(failure["action"], "suspend_user");
    assert_eq!(failure["targets"], format!("userId={JORDAN_ID}"));
    assert_eq!(failure["outcome"], "INVALID_STATE");
    // The refused POST and the GET that read the user's status.
    assert_eq!(failure_ids.len(), 2);
    let recorded = failure["okta_request_ids"].as_str().unwrap_or_default();
    for id in &failure_ids {
        assert!(recorded.contains(id.as_str()), "{failure}");
    }

    let create = &lines[2];
    assert_eq!(create["action"], "create_user");
    assert_eq!(create["outcome"], "success");
    assert!(
        create["targets"]
            .as_str()
            .is_some_and(|t| t.contains("login=ann.ito@example.com")),
        "the created user is named: {create}"
    );
    assert!(
        create["okta_request_ids"]
            .as_str()
            .is_some_and(|ids| ids.contains(&create_ids[0])),
        "{create}"
    );
}
