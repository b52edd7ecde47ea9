//! Small assertions the action tests share: what okta-sim received, and the shape of Okta
//! objects as the gateway returns them.

use okta_sim::RecordedRequest;
use serde_json::Value;

use crate::helpers::{TestApp, TestResponse};

/// Every request okta-sim recorded since the last `forget_requests`, oldest first.
pub fn received(app: &TestApp) -> Vec<RecordedRequest> {
    app.sim.handle().requests()
}

/// The JSON body of a recorded request (`Value::Null` when it had none).
pub fn json_body(request: &RecordedRequest) -> Value {
    match request.body.as_deref() {
        Some(text) => serde_json::from_str(text).expect("the gateway sent a JSON body"),
        None => Value::Null,
    }
}

/// A header of a recorded request (names are lower-case).
pub fn header<'a>(request: &'a RecordedRequest, name: &str) -> Option<&'a str> {
    request
        .headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// Okta's object as the gateway should pass it on: without the top-level `_links`.
pub fn without_links(mut value: Value) -> Value {
    if let Value::Object(object) = &mut value {
        object.remove("_links");
    }
    value
}

/// Every key of the seed's sample is present in `actual` (nested objects too when `deep`);
/// the top-level `_links` is gone.
#[track_caller]
pub fn assert_seed_keys(actual: &Value, sample: &Value, deep: bool) {
    assert!(
        actual.get("_links").is_none(),
        "top-level _links must be removed: {actual}"
    );
    keys(actual, sample, deep, "");
}

#[track_caller]
fn keys(actual: &Value, sample: &Value, deep: bool, at: &str) {
    let Value::Object(sample) = sample else {
        return;
    };
    let object = actual
        .as_object()
        .unwrap_or_else(|| panic!("{at} should be an object: {actual}"));
    for (key, inner) in sample {
        let path = format!("{at}.{key}");
        let value = object
            .get(key)
            .unwrap_or_else(|| panic!("{path} is missing from {actual}"));
        if deep && inner.is_object() && !value.is_null() {
            keys(value, inner, deep, &path);
        }
    }
}

/// 400 INVALID_FIELD_VALUE naming exactly these fields, in this order, and no Okta call.
#[track_caller]
pub fn assert_refused(app: &TestApp, response: &TestResponse, fields: &[&str]) {
    let error = response.assert_error("INVALID_FIELD_VALUE", 400);
    assert_eq!(error["code"], 8001);
    assert_eq!(response.bad_fields(), fields, "{}", response.text);
    assert_eq!(
        app.okta_calls(),
        Vec::<String>::new(),
        "nothing may reach Okta before the input is valid"
    );
}

/// A 404 RESOURCE_NOT_FOUND for this resource, with Okta's E0000007 in the details.
#[track_caller]
pub fn assert_not_found(response: &TestResponse, resource: &str, okta_summary: &str) {
    let error = response.assert_error("RESOURCE_NOT_FOUND", 404);
    assert_eq!(error["code"], if resource == "user" { 8002 } else { 8003 });
    assert_eq!(error["details"]["resource"], resource, "{}", response.text);
    assert_eq!(error["details"]["okta"]["errorCode"], "E0000007");
    assert_eq!(error["details"]["okta"]["errorSummary"], okta_summary);
    assert!(
        error["details"]["okta"]["errorId"]
            .as_str()
            .is_some_and(|id| id.starts_with("oae")),
        "{}",
        response.text
    );
}

/// The audit lines of a JSON log capture.
pub fn audit_lines(logs: &str) -> Vec<Value> {
    logs.lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line["target"] == "okta_gateway::audit")
        .collect()
}
