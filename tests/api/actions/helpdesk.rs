//! get_login_failures and diagnose_user against okta-sim: sign-in events recorded in a busy
//! org (`POST /__sim/signins` through the handle), exactly what Okta was asked (the filter,
//! `since`, `sortOrder`), only the right events returned, every suggestion rule, and a part of
//! the diagnosis failing while the rest answers.

use chrono::{DateTime, Duration, Utc};
use okta_gateway::actions::Catalog;
use okta_gateway::http::openapi;
use okta_sim::demo::{JORDAN_ID, JORDAN_LOGIN, MAYA_ID, MAYA_LOGIN, PRIYA_LOGIN};
use okta_sim::{Fault, FaultKind, Seed, SigninSeed, UserSeed};
use serde_json::{Value, json};

use super::support::{assert_refused, received};
use crate::helpers::{TestApp, spawn_with_account};

const SIGNIN_TYPES: [&str; 4] = [
    "user.session.start",
    "user.authentication.auth_via_mfa",
    "user.authentication.verify",
    "policy.evaluate_sign_on",
];

/// The filter the gateway must send for one person's failures.
fn person_filter(id: &str, login: &str) -> String {
    format!(
        r#"(eventType eq "user.session.start" or eventType eq "user.authentication.auth_via_mfa" or eventType eq "user.authentication.verify" or eventType eq "policy.evaluate_sign_on") and (outcome.result eq "FAILURE" or outcome.result eq "DENY") and (actor.id eq "{id}" or actor.alternateId eq "{login}")"#
    )
}

fn everyone_filter() -> String {
    r#"(eventType eq "user.session.start" or eventType eq "user.authentication.auth_via_mfa" or eventType eq "user.authentication.verify" or eventType eq "policy.evaluate_sign_on") and (outcome.result eq "FAILURE" or outcome.result eq "DENY")"#.to_owned()
}

/// The decoded query parameters of a recorded request.
fn query(app: &TestApp, index: usize) -> Vec<(String, String)> {
    let request = &received(app)[index];
    url::form_urlencoded::parse(request.query.as_deref().unwrap_or_default().as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The logs request's `since`, checked to be about `hours` before now, and the parameters.
#[track_caller]
fn assert_logs_query(
    params: &[(String, String)],
    hours: i64,
    filter: &str,
    limit: i64,
    called_at: (DateTime<Utc>, DateTime<Utc>),
) {
    let names: Vec<&str> = params.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["since", "filter", "sortOrder", "limit"]);
    let since: DateTime<Utc> = params[0].1.parse().expect("since is RFC 3339");
    let span = Duration::hours(hours);
    assert!(
        since >= called_at.0 - span - Duration::seconds(1) && since <= called_at.1 - span,
        "since {since} is {hours} h before the call"
    );
    assert_eq!(params[1].1, filter);
    assert_eq!(params[2].1, "DESCENDING");
    assert_eq!(params[3].1, limit.to_string());
}

/// One recorded sign-in: who typed what, its outcome and type, where and when.
struct Attempt {
    login: String,
    outcome: &'static str,
    event_type: &'static str,
    ip: String,
    minutes_ago: i64,
}

/// A busy day: 8 people (Maya among them, and a login that names nobody) signing in over the
/// last 30 hours, every fourth attempt a success, every sign-in event type and both failure
/// outcomes, from several places.
fn busy_day() -> Vec<Attempt> {
    let people = [
        MAYA_LOGIN.to_owned(),
        JORDAN_LOGIN.to_owned(),
        PRIYA_LOGIN.to_owned(),
        "maya.chen@exmaple.com".to_owned(),
        "first.last7@example.com".to_owned(),
        "first.last8@example.com".to_owned(),
        "first.last9@example.com".to_owned(),
        "first.last10@example.com".to_owned(),
    ];
    (0..240)
        .map(|i: usize| Attempt {
            login: people[i % people.len()].clone(),
            // Each person's attempts cycle through the outcomes.
            outcome: match (i / 8) % 4 {
                0 => "SUCCESS",
                1 | 2 => "FAILURE",
                _ => "DENY",
            },
            event_type: SIGNIN_TYPES[(i / 3) % SIGNIN_TYPES.len()],
            ip: format!("203.0.113.{}", i % 7),
            // 240 attempts, one every 7.5 minutes: the oldest 30 hours ago.
            minutes_ago: 1800 - (i as i64) * 15 / 2,
        })
        .collect()
}

/// Record the attempts in the simulator; returns each one's event.
fn record(app: &TestApp, attempts: &[Attempt], now: DateTime<Utc>) -> Vec<Value> {
    attempts
        .iter()
        .map(|a| {
            let mut seed = SigninSeed::new(&a.login, a.outcome)
                .event_type(a.event_type)
                .located(&a.ip, "Lisbon", "Portugal")
                .at(now - Duration::minutes(a.minutes_ago));
            if a.outcome != "SUCCESS" {
                seed = seed.reason("INVALID_CREDENTIALS");
            }
            app.sim.handle().record_signin(seed).expect("recorded")
        })
        .collect()
}

/// What get_login_failures answers for an event.
fn entry(event: &Value) -> Value {
    let id = event["actor"]["id"].as_str().filter(|id| *id != "unknown");
    json!({
        "time": event["published"],
        "userId": id,
        "login": event["actor"]["alternateId"],
        "eventType": event["eventType"],
        "result": event["outcome"]["result"],
        "reason": event["outcome"]["reason"],
        "ipAddress": event["client"]["ipAddress"],
        "city": "Lisbon",
        "country": "Portugal",
    })
}

/// The failures among `events` within the last `hours` that `mine` picks, newest first.
fn expected(
    events: &[Value],
    now: DateTime<Utc>,
    hours: i64,
    mine: impl Fn(&Value) -> bool,
) -> Vec<Value> {
    let mut out: Vec<&Value> = events
        .iter()
        .filter(|e| e["outcome"]["result"] != "SUCCESS")
        .filter(|e| {
            let at: DateTime<Utc> = e["published"].as_str().unwrap().parse().unwrap();
            at >= now - Duration::hours(hours)
        })
        .filter(|e| mine(e))
        .collect();
    out.sort_by_key(|e| std::cmp::Reverse(e["published"].as_str().unwrap().to_owned()));
    out.into_iter().map(entry).collect()
}

async fn busy_org() -> (TestApp, Vec<Value>, DateTime<Utc>) {
    let app = spawn_with_account().await;
    app.sim.handle().reset(Seed::Large);
    let now = Utc::now();
    let events = record(&app, &busy_day(), now);
    app.forget_requests();
    (app, events, now)
}

fn is_maya(event: &Value) -> bool {
    event["actor"]["id"] == MAYA_ID
}

// ---- get_login_failures ----

#[tokio::test]
async fn a_users_login_failures_are_theirs_only_newest_first_within_the_limit() {
    let (app, events, now) = busy_org().await;
    let before = Utc::now();
    let response = app
        .action(
            "get_login_failures",
            json!({"userId": MAYA_LOGIN, "limit": 7}),
        )
        .await;
    let after = Utc::now();

    assert_eq!(response.status, 200, "{}", response.text);
    let calls = app.okta_calls();
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert_eq!(
        calls[0],
        format!("GET /api/v1/users/{}", MAYA_LOGIN.replace('@', "%40"))
    );
    assert!(calls[1].starts_with("GET /api/v1/logs?"), "{calls:?}");
    assert_logs_query(
        &query(&app, 1),
        24,
        &person_filter(MAYA_ID, MAYA_LOGIN),
        7,
        (before, after),
    );
    let all_mine = expected(&events, now, 24, is_maya);
    assert!(all_mine.len() > 7, "more than the limit to choose from");
    assert_eq!(response.json, json!(all_mine[..7]));
}

#[tokio::test]
async fn a_user_id_is_resolved_to_the_login_too() {
    let (app, events, now) = busy_org().await;
    let response = app
        .action(
            "get_login_failures",
            json!({"userId": MAYA_ID, "limit": 100}),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(app.okta_calls()[0], format!("GET /api/v1/users/{MAYA_ID}"));
    assert_eq!(query(&app, 1)[1].1, person_filter(MAYA_ID, MAYA_LOGIN));
    assert_eq!(response.json, json!(expected(&events, now, 24, is_maya)));

    // A login typed that names nobody is nobody's failure.
    assert!(
        response
            .json
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["login"] == MAYA_LOGIN && e["userId"] == MAYA_ID),
        "{}",
        response.text
    );
}

#[tokio::test]
async fn everyones_failures_are_read_with_the_default_limit_and_keep_unknown_logins() {
    let (app, events, now) = busy_org().await;
    let since = (now - Duration::hours(30)).to_rfc3339();
    let response = app
        .action("get_login_failures", json!({"since": since}))
        .await;

    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(app.okta_calls().len(), 1, "no user to resolve");
    let params = query(&app, 0);
    assert_eq!(
        params,
        [
            ("since".to_owned(), since.clone()),
            ("filter".to_owned(), everyone_filter()),
            ("sortOrder".to_owned(), "DESCENDING".to_owned()),
            ("limit".to_owned(), "20".to_owned()),
        ]
    );
    let all = expected(&events, now, 30, |_| true);
    assert_eq!(response.json, json!(all[..20]));
    let unknown = response
        .json
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["userId"].is_null())
        .count();
    assert!(unknown > 0, "a login that names nobody has no userId");
}

#[tokio::test]
async fn login_failures_refuse_bad_ranges_and_limits_before_calling_okta() {
    let app = spawn_with_account().await;
    let future = (Utc::now() + Duration::hours(1)).to_rfc3339();
    let response = app
        .action("get_login_failures", json!({"since": future}))
        .await;
    assert_refused(&app, &response, &["since"]);
    assert!(response.text.contains("must not be in the future"));

    let ancient = (Utc::now() - Duration::days(181)).to_rfc3339();
    let response = app
        .action("get_login_failures", json!({"since": ancient}))
        .await;
    assert_refused(&app, &response, &["since"]);

    for limit in [0, 101] {
        let response = app
            .action("get_login_failures", json!({"limit": limit}))
            .await;
        assert_refused(&app, &response, &["limit"]);
    }
}

#[tokio::test]
async fn an_unknown_user_is_not_found_by_either_action() {
    let app = spawn_with_account().await;
    for (action, reference) in [
        ("get_login_failures", "nobody@example.com"),
        ("get_login_failures", "00unobody0000000000X"),
        ("diagnose_user", "nobody@example.com"),
        ("diagnose_user", "00unobody0000000000X"),
    ] {
        app.forget_requests();
        let response = app.action(action, json!({"userId": reference})).await;
        let error = response.assert_error("RESOURCE_NOT_FOUND", 404);
        assert_eq!(error["details"]["resource"], "user", "{action}");
        assert!(
            !app.okta_calls()
                .iter()
                .any(|c| c.starts_with("GET /api/v1/logs")),
            "{action} {reference}: no log search for nobody"
        );
    }
}

// ---- diagnose_user ----

/// Whether this okta-sim serves `GET /users/{id}/appLinks` (it comes on another branch;
/// until then the apps part is a 404 in `partial`).
fn sim_serves_app_links() -> bool {
    okta_sim::implemented_operations()
        .iter()
        .any(|(method, path)| *method == "GET" && *path == "/api/v1/users/{id}/appLinks")
}

/// What Okta answers to a GET (straight from the simulator).
async fn okta_get(app: &TestApp, path: &str) -> Value {
    let response = app
        .http
        .get(format!("{}{path}", app.sim.base_url()))
        .header("Authorization", format!("SSWS {}", app.sim_token))
        .send()
        .await
        .expect("okta-sim answers");
    response.json().await.expect("JSON")
}

/// The parts that failed, but for appLinks where the simulator lacks it.
#[track_caller]
fn assert_complete(body: &Value) {
    let mut failed: Vec<&String> = body["partial"].as_object().unwrap().keys().collect();
    if !sim_serves_app_links() {
        assert_eq!(
            body["partial"]["apps"]["error"]["status"], "RESOURCE_NOT_FOUND",
            "{body}"
        );
        failed.retain(|name| *name != "apps");
    }
    assert!(failed.is_empty(), "{body}");
}

/// The diagnosis fits the action's response schema in the contract.
#[track_caller]
fn assert_fits_contract(body: &Value) {
    let schemas = openapi::schemas(&Catalog::new());
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(&schemas["DiagnoseUserOutput"])
        .expect("schema");
    let errors: Vec<String> = validator.iter_errors(body).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}: {body}");
}

/// Every suggestion names a catalog action and its parameters are that action's valid input.
#[track_caller]
fn assert_suggestions_runnable(body: &Value) {
    let catalog = Catalog::new();
    for suggestion in body["suggestions"].as_array().unwrap() {
        let Some(name) = suggestion["action"].as_str() else {
            assert!(suggestion["parameters"].is_null(), "{suggestion}");
            continue;
        };
        let (action, schema) = catalog
            .get(name)
            .unwrap_or_else(|| panic!("{name} is a catalog action"));
        let input = schema
            .check(suggestion["parameters"].clone())
            .unwrap_or_else(|problems| panic!("{suggestion}: {problems:?}"));
        assert!(action.handler.prepare(input).is_ok(), "{suggestion}");
    }
}

#[tokio::test]
async fn a_diagnosis_gathers_status_factors_failures_groups_and_apps_in_one_round() {
    let (app, events, now) = busy_org().await;
    let before = Utc::now();
    let response = app
        .action("diagnose_user", json!({"userId": MAYA_ID}))
        .await;
    let after = Utc::now();

    assert_eq!(response.status, 200, "{}", response.text);
    let body = &response.json;
    assert_complete(body);
    assert_fits_contract(body);
    let mut calls = app.okta_calls();
    let logs = calls
        .iter()
        .position(|c| c.starts_with("GET /api/v1/logs?"))
        .expect("a log search");
    assert_logs_query(
        &query(&app, logs),
        24,
        &person_filter(MAYA_ID, MAYA_LOGIN),
        100,
        (before, after),
    );
    calls.remove(logs);
    calls.sort();
    assert_eq!(
        calls,
        [
            format!("GET /api/v1/users/{MAYA_ID}"),
            format!("GET /api/v1/users/{MAYA_ID}/appLinks"),
            format!("GET /api/v1/users/{MAYA_ID}/factors"),
            format!("GET /api/v1/users/{MAYA_ID}/groups"),
        ]
    );

    let user = app.sim.handle().user(MAYA_ID).unwrap();
    assert_eq!(body["userId"], MAYA_ID);
    assert_eq!(body["login"], MAYA_LOGIN);
    assert_eq!(body["status"], "LOCKED_OUT");
    assert_eq!(body["transitioningToStatus"], Value::Null);
    for key in ["statusChanged", "lastLogin", "passwordChanged"] {
        assert_eq!(body[key], user[key], "{key}");
    }
    assert_eq!(body["factors"], json!([]));
    let mine = expected(&events, now, 24, is_maya);
    assert_eq!(
        body["recentFailures"],
        json!({"count": mine.len(), "capped": false, "latest": mine[..10]})
    );
    let groups = okta_get(&app, &format!("/api/v1/users/{MAYA_ID}/groups")).await;
    assert_eq!(
        body["groups"],
        json!({"count": groups.as_array().unwrap().len(), "capped": false})
    );
    assert_eq!(
        body["suggestions"][0],
        json!({"action": "unlock_user", "reason": "The user is locked out (too many failed sign-ins): unlock them.", "parameters": {"userId": MAYA_ID}})
    );
    assert_suggestions_runnable(body);
}

#[tokio::test]
async fn every_status_gets_its_suggestion_and_each_one_runs() {
    let app = spawn_with_account().await;
    let cases: [(&str, Option<(&str, Value)>); 8] = [
        ("LOCKED_OUT", Some(("unlock_user", json!({})))),
        ("SUSPENDED", Some(("unsuspend_user", json!({})))),
        (
            "PROVISIONED",
            Some(("activate_user", json!({"sendEmail": true}))),
        ),
        (
            "STAGED",
            Some(("activate_user", json!({"sendEmail": true}))),
        ),
        (
            "RECOVERY",
            Some(("reset_password", json!({"sendEmail": true}))),
        ),
        (
            "PASSWORD_EXPIRED",
            Some(("reset_password", json!({"sendEmail": true}))),
        ),
        ("DEPROVISIONED", None),
        ("ACTIVE", None),
    ];
    for (status, want) in cases {
        let login = format!("{}@example.com", status.to_lowercase().replace('_', "."));
        let user = app.sim.handle().seed_user(
            UserSeed::new(&login, "Help", "Desk")
                .status(status)
                .password("Str0ng-Passw0rd-9"),
        );
        let id = user["id"].as_str().unwrap().to_owned();
        let response = app.action("diagnose_user", json!({"userId": login})).await;
        assert_eq!(response.status, 200, "{status}: {}", response.text);
        let body = &response.json;
        assert_complete(body);
        assert_eq!(body["status"], status);
        let suggestions = body["suggestions"].as_array().unwrap();
        match (status, &want) {
            (_, Some((action, extra))) => {
                let mut parameters = json!({"userId": id});
                for (k, v) in extra.as_object().unwrap() {
                    parameters[k] = v.clone();
                }
                assert_eq!(suggestions.len(), 1, "{status}: {suggestions:?}");
                assert_eq!(suggestions[0]["action"], *action, "{status}");
                assert_eq!(suggestions[0]["parameters"], parameters, "{status}");
                assert!(suggestions[0]["reason"].as_str().unwrap().len() > 20);
            }
            ("DEPROVISIONED", None) => {
                assert_eq!(suggestions.len(), 1, "{suggestions:?}");
                assert_eq!(suggestions[0]["action"], Value::Null);
                assert_eq!(suggestions[0]["parameters"], Value::Null);
                assert!(
                    suggestions[0]["reason"]
                        .as_str()
                        .unwrap()
                        .contains("DEPROVISIONED")
                );
            }
            _ => assert_eq!(suggestions, &Vec::<Value>::new(), "{status}"),
        }
        assert_suggestions_runnable(body);
        // And the suggestion does what it says against Okta.
        if let Some((action, _)) = &want {
            let run = app
                .action(action, suggestions[0]["parameters"].clone())
                .await;
            assert_eq!(run.status, 200, "{status} → {action}: {}", run.text);
        }
    }
}

#[tokio::test]
async fn an_mfa_failure_without_an_active_factor_suggests_enrolling_or_resetting_the_stuck_one() {
    let app = spawn_with_account().await;
    let user = app
        .sim
        .handle()
        .seed_user(UserSeed::new("mfa.less@example.com", "Mfa", "Less"));
    let id = user["id"].as_str().unwrap().to_owned();
    let mfa_failure = || {
        SigninSeed::by_id(&id, "FAILURE")
            .event_type("user.authentication.auth_via_mfa")
            .reason("INVALID_CREDENTIALS")
    };
    // A failed password alone says nothing about MFA.
    app.sim
        .handle()
        .record_signin(SigninSeed::by_id(&id, "FAILURE").reason("INVALID_CREDENTIALS"))
        .unwrap();
    let response = app.action("diagnose_user", json!({"userId": id})).await;
    assert_eq!(response.json["suggestions"], json!([]), "{}", response.text);

    app.sim.handle().record_signin(mfa_failure()).unwrap();
    let response = app.action("diagnose_user", json!({"userId": id})).await;
    assert_eq!(
        response.json["suggestions"],
        json!([{
            "action": "enroll_factor",
            "reason": "The user has no ACTIVE factor and a recent failure concerns MFA: enroll one (Google Authenticator here; any factor type the org allows will do).",
            "parameters": {"userId": id, "factorType": "token:software:totp", "provider": "GOOGLE"},
        }]),
        "{}",
        response.text
    );
    assert_suggestions_runnable(&response.json);

    // Enrolled but never activated: reset that factor rather than enroll another.
    let enrolled = app
        .action(
            "enroll_factor",
            response.json["suggestions"][0]["parameters"].clone(),
        )
        .await;
    assert_eq!(enrolled.status, 200, "{}", enrolled.text);
    assert_eq!(enrolled.json["status"], "PENDING_ACTIVATION");
    let factor_id = enrolled.json["id"].as_str().unwrap();
    let response = app.action("diagnose_user", json!({"userId": id})).await;
    assert_eq!(
        response.json["factors"],
        json!([{"id": factor_id, "factorType": "token:software:totp", "provider": "GOOGLE", "status": "PENDING_ACTIVATION"}])
    );
    let suggestions = response.json["suggestions"].as_array().unwrap();
    assert_eq!(suggestions.len(), 1, "{suggestions:?}");
    assert_eq!(suggestions[0]["action"], "reset_factor");
    assert_eq!(
        suggestions[0]["parameters"],
        json!({"userId": id, "factorId": factor_id})
    );
    assert_suggestions_runnable(&response.json);

    // Jordan has ACTIVE factors: an MFA failure is then not a missing factor.
    app.sim
        .handle()
        .record_signin(
            SigninSeed::by_id(JORDAN_ID, "FAILURE").event_type("user.authentication.auth_via_mfa"),
        )
        .unwrap();
    let response = app
        .action("diagnose_user", json!({"userId": JORDAN_LOGIN}))
        .await;
    assert_eq!(response.json["suggestions"], json!([]), "{}", response.text);
}

#[tokio::test]
async fn many_failures_from_one_address_are_said_without_an_action() {
    let app = spawn_with_account().await;
    let now = Utc::now();
    let attempt = |ip: &str, minutes: i64| {
        SigninSeed::new(JORDAN_LOGIN, "FAILURE")
            .reason("INVALID_CREDENTIALS")
            .located(ip, "Lagos", "Nigeria")
            .at(now - Duration::minutes(minutes))
    };
    for minutes in 1..=4 {
        app.sim
            .handle()
            .record_signin(attempt("198.51.100.77", minutes))
            .unwrap();
    }
    // Older than 24 hours: not counted.
    app.sim
        .handle()
        .record_signin(attempt("198.51.100.77", 25 * 60))
        .unwrap();
    let response = app
        .action("diagnose_user", json!({"userId": JORDAN_ID}))
        .await;
    assert_eq!(response.json["suggestions"], json!([]), "four is not many");
    assert_eq!(response.json["recentFailures"]["count"], 4);

    app.sim
        .handle()
        .record_signin(attempt("198.51.100.77", 5))
        .unwrap();
    let response = app
        .action("diagnose_user", json!({"userId": JORDAN_ID}))
        .await;
    assert_eq!(
        response.json["suggestions"],
        json!([{
            "action": null,
            "reason": "5 failed sign-ins in the last 24 hours came from 198.51.100.77 (Lagos, Nigeria): if that is not the user, someone else may be trying their account. No action is suggested.",
            "parameters": null,
        }]),
        "{}",
        response.text
    );
}

#[tokio::test]
async fn a_user_in_transition_gets_no_action_until_it_ends() {
    let app = spawn_with_account().await;
    app.sim
        .handle()
        .set_transition(std::time::Duration::from_secs(60));
    let activated = app
        .action(
            "activate_user",
            json!({"userId": okta_sim::demo::SAM_ID, "sendEmail": true}),
        )
        .await;
    assert_eq!(activated.status, 200, "{}", activated.text);
    let response = app
        .action(
            "diagnose_user",
            json!({"userId": okta_sim::demo::SAM_LOGIN}),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.json["status"], "STAGED");
    assert_eq!(response.json["transitioningToStatus"], "PROVISIONED");
    assert_eq!(
        response.json["suggestions"],
        json!([{
            "action": null,
            "reason": "An operation on the user is still running (STAGED becoming PROVISIONED): Okta refuses changes until it ends; try again in a few minutes.",
            "parameters": null,
        }])
    );
}

#[tokio::test]
async fn a_part_okta_fails_is_reported_in_partial_while_the_rest_answers() {
    let app = spawn_with_account().await;
    // Enough 503s to outlast the client's retries of a GET.
    app.sim.handle().inject(
        Fault::new(
            Some("GET"),
            "/api/v1/users/[^/]+/groups",
            FaultKind::Status {
                status: 503,
                error_code: "E0000010".to_owned(),
                error_summary: "Service is temporarily unavailable".to_owned(),
            },
        )
        .times(10),
    );
    let response = app
        .action("diagnose_user", json!({"userId": MAYA_LOGIN}))
        .await;

    assert_eq!(response.status, 200, "{}", response.text);
    let body = &response.json;
    assert_eq!(body["groups"], Value::Null);
    let error = &body["partial"]["groups"]["error"];
    assert_eq!(error["status"], "UPSTREAM_UNAVAILABLE", "{body}");
    assert_eq!(error["httpStatus"], 502);
    assert_eq!(
        error["details"]["okta"]["errorCode"], "E0000010",
        "Okta's own error is kept"
    );
    assert!(
        error.get("requestId").is_none(),
        "the response's own id applies"
    );
    // The rest answered.
    assert_eq!(body["status"], "LOCKED_OUT");
    assert_eq!(body["factors"], json!([]));
    assert_eq!(body["recentFailures"]["count"], 0);
    assert_eq!(body["suggestions"][0]["action"], "unlock_user");
    let mut failed: Vec<&String> = body["partial"].as_object().unwrap().keys().collect();
    failed.retain(|name| *name != "apps" || sim_serves_app_links());
    assert_eq!(failed, ["groups"]);
    assert_fits_contract(body);
    // With a login, the user comes first, then the four others.
    let calls = app.okta_calls();
    assert_eq!(
        calls[0],
        format!("GET /api/v1/users/{}", MAYA_LOGIN.replace('@', "%40"))
    );
    assert!(
        calls
            .iter()
            .filter(|c| c.ends_with("/groups"))
            .all(|c| *c == format!("GET /api/v1/users/{MAYA_ID}/groups"))
    );
}
