//! Fidelity shown, not claimed: the vendored spec, the validator and its coverage.
//!
//! Every other test already has each of its responses validated when its simulator goes
//! away (`helpers::TestSim`'s `Drop`). The tests here make sure that this proves something:
//! the subset is the one its note describes, it names exactly the operations the
//! simulator serves, every one of them gets a validated success response, broken bodies
//! are rejected, and each patch, tightening and allowlist rule is as narrow as claimed.

use std::collections::{BTreeMap, BTreeSet};

use okta_sim::{RecordedRequest, SimConfig, demo};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{TestSim, spawn, spawn_with};
use crate::spec::{self, SOURCE_NOTE, SUBSET, Spec, Verdict, patches, spec};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The value in the `| label | `value` |` row of SOURCE.md.
fn note_row(label: &str) -> String {
    SOURCE_NOTE
        .lines()
        .find_map(|l| l.strip_prefix(&format!("| {label} | `")))
        .and_then(|rest| rest.split('`').next())
        .unwrap_or_else(|| panic!("SOURCE.md has no '{label}' row"))
        .to_string()
}

#[test]
fn the_vendored_subset_is_the_one_described() {
    let digest = hex(&Sha256::digest(SUBSET.as_bytes()));
    assert_eq!(digest, note_row("subset sha256"), "re-run spec/extract.py");
    let source = &spec().doc["info"]["x-okta-sim-source"];
    assert_eq!(source["sha256"], note_row("source sha256"));
    assert_eq!(source["repository"], "okta/okta-management-openapi-spec");
    assert_eq!(
        source["path"],
        "dist/current/management-oneOfInheritance.yaml"
    );
    assert_eq!(spec().doc["openapi"], "3.0.3");
}

#[test]
fn every_route_is_a_spec_operation_and_every_subset_operation_a_route() {
    let routes: BTreeSet<(String, String)> = okta_sim::implemented_operations()
        .into_iter()
        .map(|(m, t)| (m.to_string(), t.to_string()))
        .collect();
    let ops: BTreeSet<(String, String)> = spec().operations().into_keys().collect();
    assert_eq!(routes.len(), 47);
    assert_eq!(routes, ops);
}

// ---- non-vacuity ----

/// A recorded exchange as the simulator would log it.
fn exchange(method: &str, route: &str, status: u16, body: Option<&Value>) -> RecordedRequest {
    let is_error = status >= 400;
    RecordedRequest {
        method: method.into(),
        path: route.into(),
        query: None,
        headers: Vec::new(),
        token_label: None,
        body: None,
        status,
        route: Some(route.into()),
        response_body: body.map(Value::to_string),
        response_content_type: body.map(|_| {
            if is_error {
                "application/json".into()
            } else {
                "application/json;charset=UTF-8".into()
            }
        }),
        request_id: "test".into(),
        fault: None,
    }
}

/// Asserts the exchange is rejected, with an error mentioning `needle`.
#[track_caller]
fn assert_rejected(rec: &RecordedRequest, needle: &str) {
    match spec().check(rec) {
        Ok(v) => panic!(
            "accepted ({v:?}): {} {:?} {:?}",
            rec.status, rec.route, rec.response_body
        ),
        Err(e) => assert!(e.contains(needle), "rejected, but not for '{needle}': {e}"),
    }
}

#[track_caller]
fn assert_accepted(rec: &RecordedRequest) -> Verdict {
    spec()
        .check(rec)
        .unwrap_or_else(|e| panic!("rejected: {e}"))
}

/// Real bodies from the simulator: a user, a group, an SMS factor, a TOTP factor.
async fn real_bodies(t: &TestSim) -> (Value, Value, Value, Value) {
    let user = t.get(&format!("/api/v1/users/{}", demo::JORDAN_ID)).await;
    let group = t
        .get(&format!("/api/v1/groups/{}", demo::ENGINEERING_GROUP_ID))
        .await;
    let sms = t
        .get(&format!(
            "/api/v1/users/{}/factors/{}",
            demo::JORDAN_ID,
            demo::JORDAN_SMS_FACTOR_ID
        ))
        .await;
    let totp = t
        .post(
            &format!("/api/v1/users/{}/factors", demo::PRIYA_ID),
            json!({"factorType": "token:software:totp", "provider": "OKTA"}),
        )
        .await;
    for r in [&user, &group, &sms, &totp] {
        assert_eq!(r.status, 200, "{}", r.text);
    }
    (user.json(), group.json(), sms.json(), totp.json())
}

#[tokio::test]
async fn broken_users_groups_and_factors_are_rejected() {
    let t = spawn().await;
    let (user, group, sms, totp) = real_bodies(&t).await;
    let get_user = "/api/v1/users/{id}";
    let get_group = "/api/v1/groups/{groupId}";
    let get_factor = "/api/v1/users/{userId}/factors/{factorId}";
    let enroll = "/api/v1/users/{userId}/factors";

    // The untouched bodies pass, through the same path as every harness check.
    assert_accepted(&exchange("GET", get_user, 200, Some(&user)));
    assert_accepted(&exchange("GET", get_group, 200, Some(&group)));
    assert_accepted(&exchange("GET", get_factor, 200, Some(&sms)));
    assert_accepted(&exchange("POST", enroll, 200, Some(&totp)));

    let broken = |base: &Value, pointer: &str, value: Option<Value>| {
        let mut b = base.clone();
        let (parent, key) = pointer.rsplit_once('/').expect("pointer");
        let obj = b
            .pointer_mut(parent)
            .and_then(Value::as_object_mut)
            .expect("parent object");
        match value {
            Some(v) => {
                obj.insert(key.to_string(), v);
            }
            None => {
                obj.remove(key);
            }
        }
        b
    };

    // A user: wrong types, a missing required field, a bad enum, a bad date, a null where
    // the spec does not allow one, a leaked password.
    let cases: Vec<(Value, &str)> = vec![
        (broken(&user, "/status", Some(json!(42))), "/status"),
        (broken(&user, "/profile", Some(json!("Jordan"))), "/profile"),
        (
            broken(&user, "/profile/login", Some(json!(["a"]))),
            "/profile/login",
        ),
        (broken(&user, "/id", None), "\"id\" is a required property"),
        (
            broken(&user, "/profile/email", None),
            "\"email\" is a required property",
        ),
        (
            broken(&user, "/_links/self/href", None),
            "\"href\" is a required property",
        ),
        (broken(&user, "/status", Some(json!("SLEEPING"))), "/status"),
        (
            broken(&user, "/created", Some(json!("yesterday"))),
            "/created",
        ),
        (
            broken(&user, "/lastUpdated", Some(Value::Null)),
            "/lastUpdated",
        ),
        (
            broken(
                &user,
                "/credentials/password",
                Some(json!({"value": "Tr0ub4dor-Seed-Pass"})),
            ),
            "/credentials/password/value",
        ),
    ];
    for (body, needle) in &cases {
        assert_rejected(&exchange("GET", get_user, 200, Some(body)), needle);
    }
    // A list with one broken user is rejected too.
    let list = json!([user, broken(&user, "/id", Some(json!(7)))]);
    assert_rejected(&exchange("GET", "/api/v1/users", 200, Some(&list)), "/1/id");

    // A group.
    for (body, needle) in [
        (broken(&group, "/id", Some(json!(1))), "/id"),
        (
            broken(&group, "/objectClass", Some(json!("okta:user_group"))),
            "/objectClass",
        ),
        (broken(&group, "/type", Some(json!("MAGIC_GROUP"))), "/type"),
        (broken(&group, "/id", None), "\"id\" is a required property"),
        (
            broken(&group, "/profile", None),
            "\"profile\" is a required property",
        ),
    ] {
        assert_rejected(&exchange("GET", get_group, 200, Some(&body)), needle);
    }

    // Factors: the discriminator picks the subtype, so subtype rules apply.
    for (body, needle) in [
        (broken(&sms, "/status", Some(json!(true))), "/status"),
        (
            broken(&sms, "/factorType", None),
            "\"factorType\" is a required property",
        ),
        (
            broken(&sms, "/profile/phoneNumber", Some(json!(5551234567_i64))),
            "/profile/phoneNumber",
        ),
        // E.164, as the spec's pattern says (Okta's older examples show `+1-555-…`).
        (
            broken(&sms, "/profile/phoneNumber", Some(json!("+1-555-123-4567"))),
            "/profile/phoneNumber",
        ),
        // UserFactorSMS allows only provider OKTA (UserFactorTokenSoftwareTOTP allows GOOGLE).
        (
            broken(&sms, "/provider", Some(json!("GOOGLE"))),
            "/provider",
        ),
        (
            broken(&sms, "/factorType", Some(json!("carrier_pigeon"))),
            "/factorType",
        ),
    ] {
        assert_rejected(&exchange("GET", get_factor, 200, Some(&body)), needle);
    }
    assert_accepted(&exchange(
        "POST",
        enroll,
        200,
        Some(&broken(&totp, "/provider", Some(json!("GOOGLE")))),
    ));
    for (body, needle) in [
        (
            broken(&totp, "/_embedded/activation", Some(json!("JBSWY3DP"))),
            "/_embedded/activation",
        ),
        (
            broken(&totp, "/status", Some(json!("HALF_ACTIVE"))),
            "/status",
        ),
        (broken(&totp, "/id", None), "\"id\" is a required property"),
    ] {
        assert_rejected(&exchange("POST", enroll, 200, Some(&body)), needle);
    }

    // An error body must be Okta's envelope.
    let error = json!({"errorCode": "E0000007", "errorSummary": "Not found", "errorLink": "E0000007",
                       "errorId": "oae1", "errorCauses": []});
    assert_accepted(&exchange("GET", get_user, 404, Some(&error)));
    assert_rejected(
        &exchange("GET", get_user, 404, Some(&json!({"error": "not found"}))),
        "\"errorCode\" is a required property",
    );
    assert_rejected(
        &exchange(
            "GET",
            get_user,
            404,
            Some(&broken(&error, "/errorCauses", Some(json!("none")))),
        ),
        "/errorCauses",
    );
}

#[tokio::test]
async fn statuses_content_types_and_empty_bodies_are_checked_too() {
    let t = spawn().await;
    let (user, ..) = real_bodies(&t).await;
    // A status the operation does not list, with no allowlist rule.
    assert_rejected(
        &exchange("GET", "/api/v1/users/{id}", 418, Some(&user)),
        "no spec response and no allowlist rule",
    );
    // A success body sent as text.
    let mut rec = exchange("GET", "/api/v1/users/{id}", 200, Some(&user));
    rec.response_content_type = Some("text/plain".into());
    assert_rejected(&rec, "content type");
    // Not JSON at all.
    let mut rec = exchange("GET", "/api/v1/users/{id}", 200, Some(&user));
    rec.response_body = Some("<html>".into());
    assert_rejected(&rec, "not JSON");
    // A 204 with a body.
    assert_rejected(
        &exchange("DELETE", "/api/v1/users/{id}", 204, Some(&json!({}))),
        "declares no body",
    );
    // A lifecycle 200 may carry Okta's `{}`, but nothing more.
    let suspend = "/api/v1/users/{id}/lifecycle/suspend";
    assert_accepted(&exchange("POST", suspend, 200, Some(&json!({}))));
    assert_accepted(&exchange("POST", suspend, 200, None));
    assert_rejected(
        &exchange("POST", suspend, 200, Some(&json!({"status": "SUSPENDED"}))),
        "only {} is tolerated",
    );
    // An operation the spec does not have.
    assert_rejected(
        &exchange("PATCH", "/api/v1/users/{id}", 200, Some(&user)),
        "no spec response and no allowlist rule",
    );
}

#[test]
fn the_allowlist_is_narrow() {
    let error = |code: &str| {
        json!({"errorCode": code, "errorSummary": "x", "errorLink": code, "errorId": "oae1",
               "errorCauses": []})
    };
    let get_user = "/api/v1/users/{id}";
    // Each rule accepts its own case…
    let rule = |rec: &RecordedRequest| match assert_accepted(rec) {
        Verdict::Allowed { rule } => rule,
        other => panic!("not via the allowlist: {other:?}"),
    };
    assert_eq!(
        rule(&exchange("GET", get_user, 401, Some(&error("E0000011")))),
        "invalid-token"
    );
    assert_eq!(
        rule(&exchange("PATCH", get_user, 405, Some(&error("E0000022")))),
        "method-not-allowed"
    );
    assert_eq!(
        rule(&exchange(
            "GET",
            "/api/v1/users",
            400,
            Some(&error("E0000031"))
        )),
        "list-query-validation"
    );
    assert_eq!(
        rule(&exchange(
            "POST",
            "/api/v1/apps/{appId}/users",
            409,
            Some(&error("E0000062"))
        )),
        "app-user-already-assigned"
    );
    assert_eq!(
        rule(&exchange(
            "DELETE",
            "/api/v1/groups/{groupId}/users/{userId}",
            400,
            Some(&error("E0000060"))
        )),
        "built-in-group-membership"
    );
    assert_eq!(
        rule(&exchange(
            "POST",
            "/api/v1/users/{id}/lifecycle/suspend",
            409,
            Some(&error("E0000112"))
        )),
        "user-in-transition"
    );
    assert_eq!(
        rule(&exchange(
            "POST",
            "/api/v1/users/{id}/lifecycle/reset_password",
            400,
            Some(&error("E0000028"))
        )),
        "missing-required-parameter"
    );
    let mut length = exchange("POST", "/api/v1/users/{id}/lifecycle/suspend", 411, None);
    length.response_body = Some("<html></html>".into());
    length.response_content_type = Some("text/html".into());
    assert_eq!(rule(&length), "length-required");

    // …and nothing next to it.
    assert_rejected(
        &exchange("GET", get_user, 401, Some(&error("E0000006"))),
        "not one of",
    );
    assert_rejected(
        &exchange("PATCH", get_user, 405, Some(&error("E0000008"))),
        "not one of",
    );
    assert_rejected(
        &exchange("GET", get_user, 400, Some(&error("E0000031"))),
        "no spec response and no allowlist rule",
    );
    assert_rejected(
        &exchange("POST", "/api/v1/groups", 409, Some(&error("E0000062"))),
        "no spec response and no allowlist rule",
    );
    assert_rejected(
        &exchange(
            "PUT",
            "/api/v1/groups/{groupId}/users/{userId}",
            400,
            Some(&error("E0000001")),
        ),
        "not one of",
    );
    assert_rejected(
        &exchange(
            "DELETE",
            "/api/v1/groups/{groupId}",
            400,
            Some(&error("E0000060")),
        ),
        "no spec response and no allowlist rule",
    );
    let mut get_411 = length.clone();
    get_411.method = "GET".into();
    get_411.route = Some(get_user.into());
    assert_rejected(&get_411, "no spec response and no allowlist rule");
    let mut json_411 = length;
    json_411.response_content_type = Some("application/json".into());
    assert_rejected(&json_411, "expected an HTML page");
    // An injected 503 must still be an Okta error body.
    let mut injected = exchange("GET", get_user, 503, Some(&json!({"oops": true})));
    injected.fault = Some("status".into());
    assert_rejected(&injected, "\"errorCode\" is a required property");
    // The legacy temp-password answer must be the spec's `tempPassword` object.
    let mut legacy = exchange(
        "POST",
        "/api/v1/users/{id}/lifecycle/expire_password",
        200,
        Some(&json!({"tempPassword": {"value": "x"}})),
    );
    legacy.query = Some("tempPassword=true".into());
    assert_rejected(&legacy, "/tempPassword");
    legacy.response_body = Some(json!({"tempPassword": "F46gy7X4"}).to_string());
    assert_eq!(rule(&legacy), "legacy-expire-password-temp-password");
}

#[test]
fn the_oauth_rules_are_narrow() {
    let rule = |rec: &RecordedRequest| match assert_accepted(rec) {
        Verdict::Allowed { rule } => rule,
        other => panic!("not via the allowlist: {other:?}"),
    };
    let oauth_json = |mut rec: RecordedRequest| {
        rec.path = "/oauth2/v1/token".into();
        rec.route = None;
        rec.response_content_type = Some("application/json".into());
        rec
    };
    let token = json!({"token_type": "DPoP", "expires_in": 3600, "access_token": "at",
                       "scope": "okta.users.read"});
    assert_eq!(
        rule(&oauth_json(exchange(
            "POST",
            "/oauth2/v1/token",
            200,
            Some(&token)
        ))),
        "oauth-token-endpoint"
    );
    let error = json!({"error": "use_dpop_nonce", "error_description": "x"});
    assert_eq!(
        rule(&oauth_json(exchange(
            "POST",
            "/oauth2/v1/token",
            400,
            Some(&error)
        ))),
        "oauth-token-endpoint"
    );
    assert_rejected(
        &oauth_json(exchange("POST", "/oauth2/v1/token", 200, Some(&error))),
        "not a token response",
    );
    let okta_error = json!({"errorCode": "E0000011", "errorSummary": "x"});
    assert_rejected(
        &oauth_json(exchange("POST", "/oauth2/v1/token", 401, Some(&okta_error))),
        "not an OAuth error",
    );

    let challenge = |authorization: &str, status: u16, body: Option<&Value>| {
        let mut rec = exchange("POST", "/api/v1/users", status, body);
        rec.headers = vec![("authorization".into(), authorization.into())];
        rec
    };
    assert_eq!(
        rule(&challenge("Bearer tok-1", 403, None)),
        "oauth-insufficient-scope"
    );
    assert_eq!(
        rule(&challenge("DPoP tok-1", 400, Some(&error))),
        "oauth-dpop-challenge"
    );
    assert_eq!(
        rule(&challenge("DPoP tok-1", 401, Some(&error))),
        "oauth-dpop-challenge"
    );
    // An SSWS caller never gets a body-less 403, nor an access token a body-less 401, an
    // OAuth body beside other keys or a body-less 500.
    assert_rejected(
        &challenge("SSWS tok-1", 403, None),
        "the spec says application/json",
    );
    assert_rejected(&challenge("DPoP tok-1", 401, None), "invalid-token");
    let mut extra = error.clone();
    extra["errorCode"] = json!("E0000011");
    assert_rejected(
        &challenge("DPoP tok-1", 400, Some(&extra)),
        "not an OAuth error",
    );
    assert_rejected(
        &challenge("Bearer tok-1", 500, None),
        "no spec response and no allowlist rule",
    );
}

#[test]
fn the_spec_s_old_examples_lose_to_its_schema() {
    // These examples contradict the schema; the simulator follows the schema (and
    // okta-sdk-python could not read the example forms), so they stay invalid.
    let s = spec();
    for (op, status, name, at) in [
        ("enrollFactor", 200, "sms", "/profile/phoneNumber"),
        ("enrollFactor", 200, "sms", "/_links/resend"),
        ("enrollFactor", 200, "call", "/profile/phoneNumber"),
        ("getFactor", 200, "SMS", "/profile/phoneNumber"),
    ] {
        let (schema, examples) = s.response_examples(op, status);
        let example = &examples
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("{op} has no example {name}"))
            .1;
        let errors = s.validate(&schema, example).err().unwrap_or_default();
        assert!(
            errors.iter().any(|e| e.starts_with(&format!("at '{at}"))),
            "{op}/{name} at {at}: {errors:?}"
        );
    }
}

#[test]
fn every_spec_patch_is_forced_by_the_spec() {
    let unpatched = Spec::build(false);
    let patched = spec();
    for patch in patches::PATCHES {
        for (op, status, name) in patch.evidence {
            let example = |s: &Spec| {
                let (schema, examples) = s.response_examples(op, *status);
                let value = examples
                    .into_iter()
                    .find(|(n, _)| n == name)
                    .unwrap_or_else(|| panic!("{op} {status} has no example '{name}'"))
                    .1;
                (schema, value)
            };
            let (schema, value) = example(&unpatched);
            let errors = unpatched
                .validate(&schema, &value)
                .err()
                .unwrap_or_default();
            assert!(
                errors
                    .iter()
                    .any(|e| e.starts_with(&format!("at '{}", patch.error_at))),
                "patch '{}': the unpatched spec accepts {op}/{name} at {}: {errors:?}",
                patch.name,
                patch.error_at
            );
            let (schema, value) = example(patched);
            let errors = patched.validate(&schema, &value).err().unwrap_or_default();
            assert!(
                !errors
                    .iter()
                    .any(|e| e.starts_with(&format!("at '{}", patch.error_at))),
                "patch '{}' does not fix {op}/{name}: {errors:?}",
                patch.name
            );
        }
    }
    // The embedded app user (no example in the spec): its description names the AppUser;
    // the unpatched schema rejects any real one, the patched schema validates it as one.
    let description = unpatched.doc.pointer(
        "/components/schemas/Application/properties/_embedded/properties/user/description",
    );
    assert!(
        description
            .and_then(Value::as_str)
            .is_some_and(|d| d.contains("Application User")),
        "{description:?}"
    );
    let app = json!({"id": "0oa1", "label": "App", "signOnMode": "BOOKMARK", "name": "bookmark",
        "settings": {"app": {"url": "https://example.com"}},
        "_embedded": {"user": {"id": "00u1", "scope": "USER", "status": "ACTIVE",
            "created": "2024-01-01T00:00:00.000Z", "lastUpdated": "2024-01-01T00:00:00.000Z",
            "profile": {}, "_links": {}}}});
    let get_app = json!({"$ref": "#/components/schemas/Application"});
    assert!(unpatched.validate(&get_app, &app).is_err());
    patched
        .validate(&get_app, &app)
        .unwrap_or_else(|e| panic!("{e:?}"));
    let mut bad = app.clone();
    bad["_embedded"]["user"]["status"] = json!(3);
    assert!(patched.validate(&get_app, &bad).is_err());
}

#[test]
fn every_tightening_holds_in_the_spec_s_examples() {
    let s = Spec::build(false);
    for t in patches::TIGHTENINGS {
        let declared = &s.doc["components"]["schemas"][t.schema]["properties"];
        for name in t.required {
            assert!(
                declared.get(name).is_some(),
                "{}: {name} is not a property the spec declares",
                t.schema
            );
        }
        assert!(!t.evidence.is_empty());
        for (op, status, example, pointer) in t.evidence {
            let (_, examples) = s.response_examples(op, *status);
            let value = examples
                .iter()
                .find(|(n, _)| n == example)
                .unwrap_or_else(|| panic!("{op} {status} has no example '{example}'"))
                .1
                .pointer(pointer)
                .cloned()
                .unwrap_or_else(|| panic!("{op}/{example} has nothing at {pointer}"));
            for name in t.required {
                assert!(
                    value.get(name).is_some(),
                    "{}: the spec example {op}/{example}{pointer} has no {name}",
                    t.schema
                );
            }
        }
    }
}

#[test]
fn the_conversion_follows_openapi_3_0() {
    let s = spec();
    // nullable: `activated` is nullable, `created` is not.
    let user = |patch: Value| {
        let mut u = json!({"id": "00u1", "status": "ACTIVE", "created": "2024-01-01T00:00:00.000Z",
            "activated": null, "statusChanged": null, "lastLogin": null,
            "lastUpdated": "2024-01-01T00:00:00.000Z", "passwordChanged": null,
            "profile": {"login": "a@example.com", "email": "a@example.com",
                        "firstName": null, "lastName": null},
            "credentials": {}, "_links": {"self": {"href": "http://x"}}});
        for (k, v) in patch.as_object().into_iter().flatten() {
            u[k] = v.clone();
        }
        u
    };
    s.validate_component("User", &user(json!({})))
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert!(
        s.validate_component("User", &user(json!({"created": null})))
            .is_err()
    );
    // Formats: date-time and email are asserted; int32 bounds too.
    assert!(
        s.validate_component("User", &user(json!({"created": "2024-13-01T00:00:00Z"})))
            .is_err()
    );
    let mut bad_email = user(json!({}));
    bad_email["profile"]["email"] = json!("not-an-email");
    assert!(s.validate_component("User", &bad_email).is_err());
    let stats = |n: Value| {
        json!({"id": "00g1", "created": "2024-01-01T00:00:00.000Z",
            "lastUpdated": "2024-01-01T00:00:00.000Z",
            "lastMembershipUpdated": "2024-01-01T00:00:00.000Z",
            "objectClass": ["okta:user_group"], "type": "OKTA_GROUP",
            "profile": {"name": "g"}, "_links": {}, "_embedded": {"stats": {"usersCount": n}}})
    };
    s.validate_component("Group", &stats(json!(3)))
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert!(
        s.validate_component("Group", &stats(json!(4_294_967_296_i64)))
            .is_err()
    );
    // Discriminator: an app is validated as the subtype its signOnMode names.
    let bookmark = json!({"id": "0oa1", "label": "B", "signOnMode": "BOOKMARK",
        "name": "bookmark", "settings": {"app": {"url": "https://example.com"}}});
    s.validate_component("Application", &bookmark)
        .unwrap_or_else(|e| panic!("{e:?}"));
    let mut wrong = bookmark.clone();
    wrong["name"] = json!("template_saml_2_0");
    assert!(s.validate_component("Application", &wrong).is_err());
    let mut missing = bookmark;
    missing.as_object_mut().map(|o| o.remove("settings"));
    assert!(s.validate_component("Application", &missing).is_err());
}

// ---- exchanges captured outside this binary ----

/// Validates a capture file (`OKTA_SIM_CAPTURE_FILE`: one recorded exchange per line) named
/// by `OKTA_SIM_VALIDATE_CAPTURE`, such as the one `.ci/sdk-scenario` writes while Okta's
/// Python SDK drives a simulator:
/// `OKTA_SIM_VALIDATE_CAPTURE=f cargo test -p okta-sim --test api captured -- --ignored`.
#[test]
#[ignore = "validates the capture file named by OKTA_SIM_VALIDATE_CAPTURE (.ci/sdk-scenario)"]
fn captured_exchanges_conform() {
    let path = std::env::var("OKTA_SIM_VALIDATE_CAPTURE")
        .expect("OKTA_SIM_VALIDATE_CAPTURE names a capture file");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let requests: Vec<RecordedRequest> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{path}: {e}: {l}")))
        .collect();
    assert!(!requests.is_empty(), "{path} holds no exchange");
    let verdicts = spec::check_all(&requests).unwrap_or_else(|report| panic!("{report}"));
    let mut by_operation: BTreeMap<String, usize> = BTreeMap::new();
    for v in &verdicts {
        let key = match v {
            Verdict::Spec { operation, status } => format!("{operation} {status}"),
            Verdict::Allowed { rule } => format!("allowlist:{rule}"),
        };
        *by_operation.entry(key).or_default() += 1;
    }
    println!(
        "{} captured exchanges conform to the spec: {by_operation:?}",
        requests.len()
    );
}

// ---- coverage: every operation the simulator implements ----

/// Drives every implemented operation (and common failures) once, like a client would.
async fn drive_every_operation(t: &TestSim) {
    let h = t.handle();
    // One call after another on the same users: activation must not still be running.
    h.set_transition(std::time::Duration::ZERO);
    let ok = |r: &crate::helpers::Resp, status: u16| {
        assert_eq!(r.status, status, "{}", r.text);
    };
    // Users: create (ACTIVE, STAGED, PROVISIONED), get (id, login, me), list with paging,
    // partial update, replace.
    let ann = t
        .create_user("ann.conform@example.com", true, Some("Str0ng-Conf0rm-Pass"))
        .await;
    let ann_id = ann["id"].as_str().expect("id").to_string();
    let staged = t.create_user("sam.conform@example.com", false, None).await;
    let staged_id = staged["id"].as_str().expect("id").to_string();
    let prov = t.create_user("pat.conform@example.com", true, None).await;
    let prov_id = prov["id"].as_str().expect("id").to_string();
    for path in [
        format!("/api/v1/users/{ann_id}"),
        "/api/v1/users/ann.conform%40example.com".to_string(),
        "/api/v1/users/me".to_string(),
    ] {
        ok(&t.get(&path).await, 200);
    }
    let (users, pages) = t.collect_pages("/api/v1/users?limit=2").await;
    assert!(pages >= 2 && users.len() >= 4, "{pages} pages");
    ok(
        &t.get("/api/v1/users?search=profile.login%20eq%20%22ann.conform%40example.com%22")
            .await,
        200,
    );
    ok(
        &t.post(
            &format!("/api/v1/users/{ann_id}"),
            json!({"profile": {"nickName": "Annie"}}),
        )
        .await,
        200,
    );
    let replaced = t
        .put(
            &format!("/api/v1/users/{ann_id}"),
            Some(json!({"profile": {"login": "ann.conform@example.com",
                "email": "ann.conform@example.com", "firstName": "Ann", "lastName": "Conform"}})),
        )
        .await;
    ok(&replaced, 200);

    // Lifecycle.
    let life = |op: &str, id: &str| format!("/api/v1/users/{id}/lifecycle/{op}");
    ok(
        &t.post_empty(&format!("{}?sendEmail=false", life("activate", &staged_id)))
            .await,
        200,
    );
    ok(
        &t.post_empty(&format!("{}?sendEmail=false", life("reactivate", &prov_id)))
            .await,
        200,
    );
    ok(&t.post_empty(&life("suspend", &ann_id)).await, 200);
    ok(&t.post_empty(&life("unsuspend", &ann_id)).await, 200);
    assert!(h.set_user_status(&ann_id, "LOCKED_OUT"));
    ok(&t.post_empty(&life("unlock", &ann_id)).await, 200);
    ok(&t.post_empty(&life("expire_password", &ann_id)).await, 200);
    ok(
        &t.post_empty(&life("expire_password_with_temp_password", &ann_id))
            .await,
        200,
    );
    ok(
        &t.post_empty(&format!(
            "{}?sendEmail=false",
            life("reset_password", &ann_id)
        ))
        .await,
        200,
    );
    ok(&t.post_empty(&life("reset_factors", &ann_id)).await, 200);
    h.start_session(&ann_id, okta_sim::SignIn::default())
        .expect("Ann signs in");
    ok(
        &t.delete(&format!(
            "/api/v1/users/{ann_id}/sessions?oauthTokens=true&forgetDevices=false"
        ))
        .await,
        204,
    );
    ok(
        &t.post(
            &format!(
                "/api/v1/users/{}/credentials/change_password",
                demo::JORDAN_ID
            ),
            json!({"oldPassword": {"value": demo::JORDAN_PASSWORD},
                   "newPassword": {"value": "N3w-Conform-Passw0rd"}}),
        )
        .await,
        200,
    );
    ok(
        &t.get(&format!("/api/v1/users/{}/groups", demo::JORDAN_ID))
            .await,
        200,
    );
    ok(
        &t.get(&format!("/api/v1/users/{}/appLinks", demo::JORDAN_ID))
            .await,
        200,
    );

    // Factors: every enrolment kind, questions, get, activate, delete.
    let factors = format!("/api/v1/users/{}/factors", demo::PRIYA_ID);
    ok(&t.get(&format!("{factors}/questions")).await, 200);
    let mut pending_sms = String::new();
    for body in [
        json!({"factorType": "question", "provider": "OKTA",
               "profile": {"question": "disliked_food", "answer": "mayonnaise"}}),
        json!({"factorType": "sms", "provider": "OKTA", "profile": {"phoneNumber": "+1-555-415-1337"}}),
        json!({"factorType": "call", "provider": "OKTA",
               "profile": {"phoneNumber": "+1-555-415-1338", "phoneExtension": "1234"}}),
        json!({"factorType": "email", "provider": "OKTA", "profile": {"email": demo::PRIYA_LOGIN}}),
        json!({"factorType": "token:software:totp", "provider": "OKTA"}),
        json!({"factorType": "token:software:totp", "provider": "GOOGLE"}),
        json!({"factorType": "push", "provider": "OKTA"}),
    ] {
        let r = t.post(&factors, body).await;
        ok(&r, 200);
        if r.json()["factorType"] == "sms" {
            pending_sms = r.json()["id"].as_str().unwrap_or_default().to_string();
        }
    }
    ok(&t.get(&factors).await, 200);
    ok(&t.get(&format!("{factors}/{pending_sms}")).await, 200);
    ok(
        &t.post(
            &format!("{factors}/{pending_sms}/lifecycle/activate"),
            json!({"passCode": okta_sim::SIM_PASSCODE}),
        )
        .await,
        200,
    );
    ok(&t.delete(&format!("{factors}/{pending_sms}")).await, 204);

    // Groups and memberships.
    let g = t
        .post(
            "/api/v1/groups",
            json!({"profile": {"name": "Conformance", "description": "spec"}}),
        )
        .await;
    ok(&g, 200);
    let gid = g.json()["id"].as_str().expect("id").to_string();
    ok(
        &t.get(&format!("/api/v1/groups/{gid}?expand=stats")).await,
        200,
    );
    ok(
        &t.put(
            &format!("/api/v1/groups/{gid}"),
            Some(json!({"profile": {"name": "Conformance 2", "description": "spec"}})),
        )
        .await,
        200,
    );
    ok(
        &t.put(&format!("/api/v1/groups/{gid}/users/{ann_id}"), None)
            .await,
        204,
    );
    ok(
        &t.get(&format!("/api/v1/groups/{gid}/users?limit=1")).await,
        200,
    );
    ok(
        &t.delete(&format!("/api/v1/groups/{gid}/users/{ann_id}"))
            .await,
        204,
    );
    let (_, group_pages) = t.collect_pages("/api/v1/groups?limit=1").await;
    assert!(group_pages >= 3);
    ok(&t.delete(&format!("/api/v1/groups/{gid}")).await, 204);

    // Apps.
    let (_, app_pages) = t.collect_pages("/api/v1/apps?limit=2").await;
    assert!(app_pages >= 2);
    let app = demo::BOOKMARK_APP_ID;
    ok(&t.get(&format!("/api/v1/apps/{app}")).await, 200);
    ok(
        &t.get(&format!(
            "/api/v1/apps/{}?expand=user/{}",
            app,
            demo::JORDAN_ID
        ))
        .await,
        200,
    );
    ok(
        &t.post(
            &format!("/api/v1/apps/{app}/users"),
            json!({"id": ann_id, "scope": "USER"}),
        )
        .await,
        200,
    );
    ok(
        &t.get(&format!("/api/v1/apps/{app}/users?expand=user"))
            .await,
        200,
    );
    ok(
        &t.get(&format!("/api/v1/apps/{app}/users/{ann_id}")).await,
        200,
    );
    ok(
        &t.delete(&format!("/api/v1/apps/{app}/users/{ann_id}"))
            .await,
        204,
    );

    // Group-to-app assignments, and the app users they give.
    let (oidc, hr, eng) = (
        demo::OIDC_APP_ID,
        demo::HR_GROUP_ID,
        demo::ENGINEERING_GROUP_ID,
    );
    ok(&t.get(&format!("/api/v1/apps/{oidc}/groups")).await, 200);
    ok(
        &t.get(&format!("/api/v1/apps/{oidc}/groups/{hr}?expand=group"))
            .await,
        200,
    );
    ok(
        &t.put(
            &format!("/api/v1/apps/{oidc}/groups/{eng}"),
            Some(json!({"priority": 1, "profile": {"department": "Engineering"}})),
        )
        .await,
        200,
    );
    ok(&t.get(&format!("/api/v1/groups/{eng}/apps")).await, 200);
    ok(&t.get(&format!("/api/v1/apps/{oidc}/users")).await, 200);
    ok(
        &t.delete(&format!("/api/v1/apps/{oidc}/users/{}", demo::JORDAN_ID))
            .await,
        403,
    );
    ok(
        &t.delete(&format!("/api/v1/apps/{oidc}/groups/{eng}")).await,
        204,
    );
    ok(
        &t.get(&format!("/api/v1/apps/{oidc}/groups/{eng}")).await,
        404,
    );

    // Logs and org.
    ok(&t.get("/api/v1/logs?limit=5").await, 200);
    ok(
        &t.get(
            "/api/v1/logs?filter=eventType%20eq%20%22user.lifecycle.create%22&sortOrder=DESCENDING",
        )
        .await,
        200,
    );
    ok(&t.get("/api/v1/org").await, 200);

    // Deactivate and delete (two steps), then the failures every client meets.
    ok(&t.post_empty(&life("deactivate", &prov_id)).await, 200);
    ok(
        &t.delete(&format!("/api/v1/users/{prov_id}/sessions")).await,
        403,
    );
    ok(&t.delete(&format!("/api/v1/users/{prov_id}")).await, 204);
    ok(&t.delete(&format!("/api/v1/users/{staged_id}")).await, 204);
    ok(&t.delete(&format!("/api/v1/users/{staged_id}")).await, 204);
    ok(&t.get(&format!("/api/v1/users/{staged_id}")).await, 404);
    ok(&t.post_empty(&life("suspend", &ann_id)).await, 400);
    ok(&t.post_empty(&life("activate", &ann_id)).await, 403);
    ok(&t.get("/api/v1/groups/00gmissing0000000000").await, 404);
    ok(
        &t.post(
            "/api/v1/users",
            json!({"profile": {"login": "ann.conform@example.com", "email": "ann.conform@example.com",
                               "firstName": "A", "lastName": "B"}}),
        )
        .await,
        400,
    );
    ok(
        &t.call_as(Some("wrong-token"), Method::GET, "/api/v1/users", None)
            .await,
        401,
    );
    h.inject(okta_sim::Fault::new(
        Some("GET"),
        "/api/v1/org",
        okta_sim::FaultKind::RateLimit { reset_in_secs: 1 },
    ));
    ok(&t.get("/api/v1/org").await, 429);
}

#[tokio::test]
async fn every_implemented_operation_gets_a_validated_success_response() {
    let t = spawn_with(SimConfig::default()).await;
    drive_every_operation(&t).await;
    let requests = t.handle().requests();
    let verdicts = spec::check_all(&requests).unwrap_or_else(|report| panic!("{report}"));

    // (METHOD, template) → the statuses validated against the spec.
    let mut validated: BTreeMap<(String, String), BTreeSet<u16>> = BTreeMap::new();
    let mut allowed: BTreeMap<&str, usize> = BTreeMap::new();
    for (rec, verdict) in requests.iter().zip(&verdicts) {
        match verdict {
            Verdict::Spec { status, .. } => {
                validated
                    .entry((rec.method.clone(), rec.route.clone().unwrap_or_default()))
                    .or_default()
                    .insert(*status);
            }
            Verdict::Allowed { rule } => *allowed.entry(rule).or_default() += 1,
        }
    }
    let ops = spec().operations();
    let mut missing = Vec::new();
    println!("operation coverage ({} exchanges):", requests.len());
    for (method, template) in okta_sim::implemented_operations() {
        let key = (method.to_string(), template.to_string());
        let statuses = validated.get(&key).cloned().unwrap_or_default();
        println!(
            "  {:<32} {method:<6} {template}: {statuses:?}",
            ops.get(&key).map(String::as_str).unwrap_or("?")
        );
        if !statuses.iter().any(|s| (200..300).contains(s)) {
            missing.push(format!("{method} {template}"));
        }
    }
    println!("  allowlisted: {allowed:?}");
    assert!(
        missing.is_empty(),
        "operations without a validated success response: {missing:?}"
    );
    // A few error responses validated against the spec's own error declarations.
    for (method, template, status) in [
        ("GET", "/api/v1/users/{id}", 404),
        ("POST", "/api/v1/users", 400),
        ("POST", "/api/v1/users/{id}/lifecycle/suspend", 400),
        ("POST", "/api/v1/users/{id}/lifecycle/activate", 403),
        ("GET", "/api/v1/groups/{groupId}", 404),
        ("GET", "/api/v1/org", 429),
    ] {
        assert!(
            validated
                .get(&(method.to_string(), template.to_string()))
                .is_some_and(|s| s.contains(&status)),
            "{method} {template} {status} not validated"
        );
    }
    assert_eq!(allowed.get("invalid-token"), Some(&1));
}
