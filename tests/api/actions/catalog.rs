//! The action catalog (`GET /actions`) and what every action route does with bad input before
//! calling Okta: unknown actions and accounts, non-object bodies, unknown parameters, wrong
//! types and `null`.

use okta_sim::demo::{ENGINEERING_GROUP_ID, HR_GROUP_ID, JORDAN_ID};
use reqwest::Method;
use serde_json::{Value, json};

use super::support::assert_refused;
use crate::helpers::{ACTION_KEY, ADMIN_KEY, TestApp, TestResponse, spawn_with_account};

/// The action names, in the catalog's order.
fn catalog_names() -> Vec<String> {
    okta_gateway::actions::Catalog::new().names()
}

async fn catalog(app: &TestApp, key: Option<&str>) -> TestResponse {
    app.call(Method::GET, "/actions", key, None).await
}

fn entry<'a>(catalog: &'a Value, name: &str) -> &'a Value {
    catalog
        .as_array()
        .expect("the catalog is an array")
        .iter()
        .find(|a| a["name"] == name)
        .unwrap_or_else(|| panic!("{name} is in the catalog"))
}

fn parameter<'a>(catalog: &'a Value, action: &str, name: &str) -> &'a Value {
    entry(catalog, action)["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("{action}.{name} is described"))
}

fn names(parameters: &Value) -> Vec<&str> {
    parameters
        .as_array()
        .expect("parameters")
        .iter()
        .map(|p| p["name"].as_str().expect("a name"))
        .collect()
}

// ---- GET /actions ----

#[tokio::test]
async fn the_catalog_lists_the_seeds_27_actions_in_its_order_with_its_labels() {
    let app = spawn_with_account().await;
    let response = catalog(&app, Some(ACTION_KEY)).await;

    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(
        response
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/json")
    );
    let actions = response.json.as_array().expect("an array");
    let listed: Vec<(&str, &str)> = actions
        .iter()
        .map(|a| (a["name"].as_str().unwrap(), a["label"].as_str().unwrap()))
        .collect();
    let defined: Vec<(&str, &str)> = okta_gateway::actions::Catalog::new()
        .iter()
        .map(|(action, _)| (action.name, action.label))
        .collect();
    assert_eq!(listed, defined);
    assert_eq!(app.okta_calls(), Vec::<String>::new());
}

#[tokio::test]
async fn every_catalog_entry_describes_its_parameters_and_a_sample_response() {
    let app = spawn_with_account().await;
    let response = catalog(&app, Some(ACTION_KEY)).await;
    for action in response.json.as_array().unwrap() {
        let name = action["name"].as_str().unwrap();
        assert!(
            action["description"]
                .as_str()
                .is_some_and(|d| !d.is_empty()),
            "{name}"
        );
        assert!(
            action["sampleResponse"].is_object() || action["sampleResponse"].is_array(),
            "{name}"
        );
        for parameter in action["parameters"].as_array().expect("parameters") {
            let at = format!("{name}.{}", parameter["name"]);
            assert!(parameter["name"].is_string(), "{at}");
            assert!(
                [
                    "string",
                    "boolean",
                    "integer",
                    "date-time",
                    "object",
                    "password"
                ]
                .contains(&parameter["type"].as_str().unwrap_or_default()),
                "{at}: {parameter}"
            );
            assert!(parameter["required"].is_boolean(), "{at}");
            assert!(
                parameter["description"]
                    .as_str()
                    .is_some_and(|d| !d.is_empty()),
                "{at}"
            );
            if let Some(values) = parameter.get("enum") {
                assert!(values.as_array().is_some_and(|v| !v.is_empty()), "{at}");
            }
            if parameter["required"] == true {
                assert!(
                    parameter.get("default").is_none(),
                    "{at}: required with a default"
                );
            }
        }
    }
}

#[tokio::test]
async fn the_catalog_describes_the_group_app_factor_and_log_parameters() {
    let app = spawn_with_account().await;
    let catalog = catalog(&app, Some(ACTION_KEY)).await.json;
    let expected_names: [(&str, &[&str]); 15] = [
        ("create_group", &["name", "description"]),
        ("get_group", &["groupId"]),
        ("update_group", &["groupId", "name", "description"]),
        ("delete_group", &["groupId", "dryRun"]),
        ("list_groups", &["q", "limit", "after", "paged"]),
        ("add_user_to_group", &["groupId", "userId"]),
        ("remove_user_from_group", &["groupId", "userId", "dryRun"]),
        ("get_application", &["appId"]),
        ("assign_app_to_user", &["appId", "userId", "scope"]),
        ("unassign_app_from_user", &["appId", "userId", "dryRun"]),
        ("list_factors", &["userId"]),
        (
            "enroll_factor",
            &["userId", "factorType", "provider", "profile"],
        ),
        ("reset_factor", &["userId", "factorId", "dryRun"]),
        (
            "get_audit_logs",
            &[
                "since",
                "until",
                "filter",
                "limit",
                "sortOrder",
                "after",
                "paged",
            ],
        ),
        (
            "get_pending_approvals",
            &["groupId", "limit", "after", "paged"],
        ),
    ];
    for (action, parameters) in expected_names {
        assert_eq!(
            names(&entry(&catalog, action)["parameters"]),
            parameters,
            "{action}"
        );
    }

    let required = |action: &str, name: &str| parameter(&catalog, action, name)["required"].clone();
    assert_eq!(required("create_group", "name"), true);
    assert_eq!(required("create_group", "description"), false);
    assert_eq!(required("update_group", "name"), true);
    assert_eq!(required("list_groups", "q"), false);
    assert_eq!(required("enroll_factor", "profile"), false);
    assert_eq!(required("get_audit_logs", "since"), false);

    let limit = parameter(&catalog, "list_groups", "limit");
    assert_eq!(limit["type"], "integer");
    assert_eq!(limit["default"], 200);
    assert_eq!(limit["minimum"], 1);
    assert_eq!(limit["maximum"], 1000);
    assert_eq!(
        parameter(&catalog, "get_pending_approvals", "limit")["default"],
        200
    );
    assert_eq!(
        parameter(&catalog, "get_audit_logs", "limit")["default"],
        100
    );
    assert_eq!(
        parameter(&catalog, "get_audit_logs", "since")["type"],
        "date-time"
    );
    assert_eq!(
        parameter(&catalog, "get_audit_logs", "until")["type"],
        "date-time"
    );

    let order = parameter(&catalog, "get_audit_logs", "sortOrder");
    assert_eq!(order["enum"], json!(["DESCENDING", "ASCENDING"]));
    assert_eq!(order["default"], "DESCENDING");
    for action in ["list_groups", "get_pending_approvals", "get_audit_logs"] {
        let after = parameter(&catalog, action, "after");
        assert_eq!(after["type"], "string", "{action}");
        assert_eq!(after["required"], false, "{action}");
        let paged = parameter(&catalog, action, "paged");
        assert_eq!(paged["type"], "boolean", "{action}");
        assert_eq!(paged["default"], false, "{action}");
    }

    let scope = parameter(&catalog, "assign_app_to_user", "scope");
    assert_eq!(scope["type"], "string");
    assert_eq!(scope["enum"], json!(["USER"]));
    assert_eq!(scope["default"], "USER");

    assert_eq!(
        parameter(&catalog, "enroll_factor", "factorType")["enum"],
        json!([
            "question",
            "sms",
            "call",
            "email",
            "token:software:totp",
            "push"
        ])
    );
    assert_eq!(
        parameter(&catalog, "enroll_factor", "provider")["enum"],
        json!(["OKTA", "GOOGLE"])
    );
    assert_eq!(
        parameter(&catalog, "enroll_factor", "profile")["type"],
        "object"
    );
    for action in [
        "delete_group",
        "remove_user_from_group",
        "unassign_app_from_user",
        "reset_factor",
    ] {
        let dry_run = parameter(&catalog, action, "dryRun");
        assert_eq!(dry_run["type"], "boolean", "{action}");
        assert_eq!(dry_run["default"], false, "{action}");
    }
}

#[tokio::test]
async fn the_catalogs_wrapper_samples_are_the_seeds() {
    let app = spawn_with_account().await;
    let catalog = catalog(&app, Some(ACTION_KEY)).await.json;
    let samples = [
        (
            "delete_group",
            json!({"status": 204, "message": "Group successfully deleted."}),
        ),
        (
            "add_user_to_group",
            json!({"status": 204, "message": "User successfully added to group.", "userId": "00ub0oNGTSWTBKOLGLNR", "groupId": "00g1emaKYZTWRYYRRTSK"}),
        ),
        (
            "remove_user_from_group",
            json!({"status": 204, "message": "User successfully removed from group.", "userId": "00ub0oNGTSWTBKOLGLNR", "groupId": "00g1emaKYZTWRYYRRTSK"}),
        ),
        (
            "unassign_app_from_user",
            json!({"status": 204, "message": "Application successfully unassigned from user.", "userId": "00ub0oNGTSWTBKOLGLNR", "appId": "0oabkvBLDEKCNXBMBWKR"}),
        ),
        (
            "reset_factor",
            json!({"status": 204, "message": "MFA factor successfully deleted. The user can now re-enroll.", "userId": "00ub0oNGTSWTBKOLGLNR", "factorId": "ufs2bysphxKODSZKWVCT"}),
        ),
    ];
    for (action, sample) in samples {
        assert_eq!(
            entry(&catalog, action)["sampleResponse"],
            sample,
            "{action}"
        );
    }
    for action in [
        "list_groups",
        "list_factors",
        "get_audit_logs",
        "get_pending_approvals",
    ] {
        assert!(
            entry(&catalog, action)["sampleResponse"].is_array(),
            "{action} answers a list"
        );
    }
    let enroll = &entry(&catalog, "enroll_factor")["sampleResponse"];
    assert!(enroll["_embedded"]["activation"]["qrcode"]["href"].is_string());
}

#[tokio::test]
async fn the_catalog_is_served_to_action_and_admin_keys_only() {
    let app = spawn_with_account().await;
    let with_action_key = catalog(&app, Some(ACTION_KEY)).await;
    let with_admin_key = catalog(&app, Some(ADMIN_KEY)).await;
    assert_eq!(with_action_key.status, 200);
    assert_eq!(with_admin_key.status, 200);
    assert_eq!(with_action_key.json, with_admin_key.json);

    for key in [None, Some("not-a-key-0123456789")] {
        let response = catalog(&app, key).await;
        assert_eq!(response.assert_error("UNAUTHENTICATED", 401)["code"], 9103);
    }
}

// ---- unknown actions and accounts ----

#[tokio::test]
async fn an_unknown_action_is_unknown_action_listing_the_27_valid_ones() {
    let app = spawn_with_account().await;
    let response = app.action("nope", json!({})).await;

    let error = response.assert_error("UNKNOWN_ACTION", 404);
    assert_eq!(error["code"], 9105);
    assert_eq!(error["details"]["validActions"], json!(catalog_names()));
    assert_eq!(app.okta_calls(), Vec::<String>::new());

    let response = app
        .call(
            Method::POST,
            "/accounts/acme/actions/nope",
            None,
            Some(json!({})),
        )
        .await;
    response.assert_error("UNAUTHENTICATED", 401);
    assert!(response.json["error"]["details"]["validActions"].is_null());
}

#[tokio::test]
async fn an_action_is_also_run_with_an_admin_key_but_not_without_a_key() {
    let app = spawn_with_account().await;
    let path = "/accounts/acme/actions/get_group";
    let body = json!({"groupId": HR_GROUP_ID});
    let admin = app
        .call(Method::POST, path, Some(ADMIN_KEY), Some(body.clone()))
        .await;
    assert_eq!(admin.status, 200, "{}", admin.text);
    assert_eq!(admin.json["id"], HR_GROUP_ID);

    app.forget_requests();
    let anonymous = app.call(Method::POST, path, None, Some(body)).await;
    anonymous.assert_error("UNAUTHENTICATED", 401);
    assert_eq!(app.okta_calls(), Vec::<String>::new());
}

#[tokio::test]
async fn an_unknown_account_is_resource_not_found_for_the_account_without_any_okta_call() {
    let app = spawn_with_account().await;
    for (action, body) in [
        ("get_group", json!({"groupId": ENGINEERING_GROUP_ID})),
        ("list_groups", json!({})),
        ("get_audit_logs", json!({})),
    ] {
        let response = app
            .call(
                Method::POST,
                &format!("/accounts/nobody/actions/{action}"),
                Some(ACTION_KEY),
                Some(body),
            )
            .await;
        let error = response.assert_error("RESOURCE_NOT_FOUND", 404);
        assert_eq!(error["code"], 8003);
        assert_eq!(error["details"]["resource"], "account");
        assert!(error["details"].get("okta").is_none());
    }
    assert_eq!(app.okta_calls(), Vec::<String>::new());
}

#[tokio::test]
async fn an_action_route_only_takes_post() {
    let app = spawn_with_account().await;
    let response = app
        .call(
            Method::GET,
            "/accounts/acme/actions/get_group",
            Some(ACTION_KEY),
            None,
        )
        .await;
    response.assert_error("METHOD_NOT_ALLOWED", 405);
    assert_eq!(app.okta_calls(), Vec::<String>::new());
}

// ---- input validation ----

#[tokio::test]
async fn a_body_that_is_not_a_json_object_is_refused() {
    let app = spawn_with_account().await;
    for body in [
        json!([]),
        json!([1, 2]),
        json!("groupId"),
        json!(5),
        json!(null),
        json!(true),
    ] {
        let response = app.action("list_groups", body.clone()).await;
        assert_refused(&app, &response, &["body"]);
        assert_eq!(
            response.json["error"]["details"]["fields"][0]["problem"], "must be a JSON object",
            "{body}"
        );
    }
}

#[tokio::test]
async fn malformed_json_is_refused_in_the_envelope() {
    let app = spawn_with_account().await;
    let response = TestResponse::read(
        app.http
            .post(app.url("/accounts/acme/actions/get_group"))
            .bearer_auth(ACTION_KEY)
            .header("content-type", "application/json")
            .body("{\"groupId\": ")
            .send()
            .await
            .expect("sent"),
    )
    .await;
    assert_refused(&app, &response, &["body"]);
}

#[tokio::test]
async fn an_action_that_needs_nothing_takes_an_empty_object() {
    let app = spawn_with_account().await;
    for action in ["list_groups", "get_audit_logs"] {
        let response = app.action(action, json!({})).await;
        assert_eq!(response.status, 200, "{action}: {}", response.text);
        assert!(response.json.is_array());
    }
}

#[tokio::test]
async fn unknown_parameters_are_each_listed() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "get_group",
            json!({"groupId": HR_GROUP_ID, "id": "x", "expand": "stats"}),
        )
        .await;
    assert_refused(&app, &response, &["expand", "id"]);
    for field in response.json["error"]["details"]["fields"]
        .as_array()
        .unwrap()
    {
        assert_eq!(field["problem"], "is not a known parameter");
    }
}

#[tokio::test]
async fn every_bad_field_is_listed_at_once_in_parameter_order() {
    let app = spawn_with_account().await;
    let response = app
        .action(
            "remove_user_from_group",
            json!({"groupId": 7, "dryRun": "yes", "color": "red"}),
        )
        .await;
    assert_refused(&app, &response, &["groupId", "userId", "dryRun", "color"]);
    let problems: Vec<&str> = response.json["error"]["details"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["problem"].as_str().unwrap())
        .collect();
    assert_eq!(
        problems,
        [
            "must be a string of 1 to 256 characters",
            "is required",
            "must be true or false",
            "is not a known parameter",
        ]
    );
    assert_eq!(
        response.json["error"]["message"],
        "4 parameters are invalid."
    );

    let response = app
        .action(
            "get_audit_logs",
            json!({"since": 1, "until": false, "filter": [], "limit": {}}),
        )
        .await;
    assert_refused(&app, &response, &["since", "until", "filter", "limit"]);
}

#[tokio::test]
async fn null_is_accepted_for_an_optional_parameter_and_refused_for_a_required_one() {
    let app = spawn_with_account().await;
    let response = app
        .action("list_groups", json!({"q": null, "limit": null}))
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(app.okta_calls(), ["GET /api/v1/groups?limit=200"]);

    app.forget_requests();
    let response = app
        .action(
            "remove_user_from_group",
            json!({"groupId": ENGINEERING_GROUP_ID, "userId": JORDAN_ID, "dryRun": null}),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(
        response.json["status"], 204,
        "dryRun null is the default false"
    );

    app.forget_requests();
    let response = app.action("get_group", json!({"groupId": null})).await;
    assert_refused(&app, &response, &["groupId"]);
    let response = app
        .action("create_group", json!({"name": null, "description": null}))
        .await;
    assert_refused(&app, &response, &["name"]);
}

#[tokio::test]
async fn a_single_bad_field_is_named_in_the_message() {
    let app = spawn_with_account().await;
    let response = app.action("get_group", json!({})).await;
    assert_refused(&app, &response, &["groupId"]);
    assert_eq!(
        response.json["error"]["message"],
        "Invalid value for 'groupId': is required."
    );
}

#[tokio::test]
async fn a_reference_that_cannot_be_a_path_segment_is_refused_before_any_call() {
    let app = spawn_with_account().await;
    for bad in [".", "..", " ", "   "] {
        let response = app.action("get_group", json!({"groupId": bad})).await;
        assert_refused(&app, &response, &["groupId"]);
        assert_eq!(
            response.json["error"]["details"]["fields"][0]["problem"],
            "must be an Okta id or login"
        );
    }
    let response = app
        .action("reset_factor", json!({"userId": "..", "factorId": "."}))
        .await;
    assert_refused(&app, &response, &["userId", "factorId"]);
}

#[tokio::test]
async fn me_is_refused_in_every_user_reference_of_every_action_before_any_call() {
    use okta_gateway::actions::{Catalog, example};

    let app = spawn_with_account().await;
    let mut checked = Vec::new();
    for (action, input) in Catalog::new().iter() {
        for field in input.fields() {
            if !field.user_reference {
                continue;
            }
            let name = field.name.as_str();
            for me in ["me", "ME", "Me", "mE"] {
                let mut body = example(action);
                body[name] = json!(me);
                let response = app.action(action.name, body).await;
                assert_refused(&app, &response, &[name]);
                let problem = response.json["error"]["details"]["fields"][0]["problem"]
                    .as_str()
                    .unwrap_or_default();
                assert!(problem.contains("'me'"), "{}: {problem}", action.name);
            }
            checked.push((action.name, field.name.clone()));
        }
    }
    // A user action, a lookup, a membership change, an app assignment and a factor action.
    for expected in [
        ("suspend_user", "userId"),
        ("get_user", "searchValue"),
        ("add_user_to_group", "userId"),
        ("assign_app_to_user", "userId"),
        ("reset_factor", "userId"),
    ] {
        let expected = (expected.0, expected.1.to_owned());
        assert!(checked.contains(&expected), "{expected:?} in {checked:?}");
    }
}
