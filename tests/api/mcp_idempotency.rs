//! Idempotency keys over MCP (`_meta.idempotencyKey`) through rmcp's client: replays without
//! an Okta call, refusals as error results, the key shared with the HTTP header for one caller,
//! dry-run previews that leave the key alone, retries that do not ask the user again; and the
//! audit row every replay writes.

use std::time::Duration;

use okta_sim::demo::JORDAN_ID;
use okta_sim::{Fault, FaultKind};
use reqwest::Method;
use rmcp::model::{CallToolRequestParams, CallToolResult, ElicitationAction, RequestMetaObject};
use rmcp::service::RunningService;
use rmcp::{ClientHandler, RoleClient};
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::{
    ACCOUNT, ACTION_KEY, Backend, TestApp, TestResponse, app, spawn_with_account_from,
};
use crate::mcp::{User, connect, connect_as};

backend_tests![
    a_repeated_tool_call_replays_its_result_without_calling_okta,
    a_key_reused_for_another_tool_call_is_refused,
    a_repeat_while_the_first_call_runs_is_refused_with_retry_after,
    a_key_sent_over_http_replays_over_mcp_for_the_same_caller,
    a_dry_run_preview_leaves_the_key_to_the_confirmed_call,
    a_user_is_not_asked_again_for_a_call_their_key_already_made,
    a_bad_key_in_meta_is_refused_before_okta_is_called,
    a_replay_writes_an_audit_row_marked_replayed,
];

type Client = RunningService<RoleClient, ()>;

fn new_user(login: &str) -> Value {
    json!({"firstName": "Idem", "lastName": "Mcp", "email": login, "login": login, "activate": false})
}

fn with_account(mut body: Value) -> Value {
    body["account"] = json!(ACCOUNT);
    body
}

/// Call `tool` with `args` and `key` as `_meta.idempotencyKey`.
async fn keyed_call(client: &Client, key: Value, tool: &str, args: Value) -> CallToolResult {
    keyed_call_as(client, key, tool, args).await
}

async fn keyed_call_as<H: ClientHandler>(
    client: &RunningService<RoleClient, H>,
    key: Value,
    tool: &str,
    args: Value,
) -> CallToolResult {
    let Value::Object(arguments) = args else {
        panic!("arguments are an object")
    };
    let mut meta = RequestMetaObject::new();
    meta.insert("idempotencyKey".to_owned(), key);
    let mut params = CallToolRequestParams::new(tool.to_owned()).with_arguments(arguments);
    params.meta = Some(meta);
    client.call_tool(params).await.expect("a tool result")
}

fn replayed(result: &CallToolResult) -> Option<&Value> {
    result
        .meta
        .as_ref()
        .and_then(|m| m.get("idempotentReplayed"))
}

/// The error envelope of an error result.
fn error_of(result: &CallToolResult) -> Value {
    assert_eq!(result.is_error, Some(true), "{result:?}");
    result.structured_content.as_ref().expect("the envelope")["error"].clone()
}

fn user_creates(app: &TestApp) -> usize {
    app.okta_calls()
        .iter()
        .filter(|c| c.starts_with("POST /api/v1/users?") || *c == "POST /api/v1/users")
        .count()
}

async fn http_with_key(app: &TestApp, key: &str, action: &str, body: &Value) -> TestResponse {
    let response = app
        .http
        .post(app.url(&format!("/accounts/{ACCOUNT}/actions/{action}")))
        .bearer_auth(ACTION_KEY)
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .expect("request sent");
    TestResponse::read(response).await
}

async fn a_repeated_tool_call_replays_its_result_without_calling_okta(backend: Backend) {
    let app = spawn_with_account_from(app(backend)).await;
    let client = connect(&app, ACTION_KEY).await;
    let args = with_account(new_user("mcp.replay@example.com"));

    let first = keyed_call(&client, json!("mcp-create-1"), "create_user", args.clone()).await;
    assert_eq!(first.is_error, Some(false), "{first:?}");
    assert_eq!(replayed(&first), None);
    assert_eq!(user_creates(&app), 1);

    let again = keyed_call(&client, json!("mcp-create-1"), "create_user", args.clone()).await;
    assert_eq!(again.is_error, Some(false), "{again:?}");
    assert_eq!(replayed(&again), Some(&json!(true)));
    assert_eq!(again.structured_content, first.structured_content);
    assert_eq!(user_creates(&app), 1, "no second create reached Okta");

    // Without a key the call runs again: Okta refuses the duplicate login.
    let unkeyed = client
        .call_tool(
            CallToolRequestParams::new("create_user")
                .with_arguments(args.as_object().cloned().expect("object")),
        )
        .await
        .expect("a tool result");
    assert_eq!(error_of(&unkeyed)["status"], "DUPLICATE_USER");
    assert_eq!(user_creates(&app), 2);
}

async fn a_key_reused_for_another_tool_call_is_refused(backend: Backend) {
    let app = spawn_with_account_from(app(backend)).await;
    let client = connect(&app, ACTION_KEY).await;
    let first = keyed_call(
        &client,
        json!("mcp-422"),
        "create_user",
        with_account(new_user("mcp.a@example.com")),
    )
    .await;
    assert_eq!(first.is_error, Some(false), "{first:?}");
    app.forget_requests();

    let other = keyed_call(
        &client,
        json!("mcp-422"),
        "create_user",
        with_account(new_user("mcp.b@example.com")),
    )
    .await;
    let error = error_of(&other);
    assert_eq!(error["status"], "IDEMPOTENCY_KEY_REUSED");
    assert_eq!(error["code"], 9116);
    assert_eq!(error["httpStatus"], 422);
    assert_eq!(replayed(&other), None);
    assert!(app.okta_calls().is_empty(), "{:?}", app.okta_calls());
}

async fn a_repeat_while_the_first_call_runs_is_refused_with_retry_after(backend: Backend) {
    let app = spawn_with_account_from(app(backend)).await;
    app.sim.handle().inject(Fault::new(
        Some("POST"),
        "/api/v1/users",
        FaultKind::Latency { ms: 1500 },
    ));
    let args = with_account(new_user("mcp.slow@example.com"));
    let first = {
        let client = connect(&app, ACTION_KEY).await;
        let args = args.clone();
        tokio::spawn(
            async move { keyed_call(&client, json!("mcp-slow"), "create_user", args).await },
        )
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let client = connect(&app, ACTION_KEY).await;

    let during = keyed_call(&client, json!("mcp-slow"), "create_user", args.clone()).await;
    let error = error_of(&during);
    assert_eq!(error["status"], "IDEMPOTENCY_IN_PROGRESS");
    assert_eq!(error["code"], 9117);
    let retry_after = error["details"]["retryAfter"].as_u64().expect("retryAfter");
    assert!((1..=5).contains(&retry_after), "{retry_after}");

    let first = first.await.expect("first call");
    assert_eq!(first.is_error, Some(false), "{first:?}");
    let after = keyed_call(&client, json!("mcp-slow"), "create_user", args).await;
    assert_eq!(replayed(&after), Some(&json!(true)));
    assert_eq!(after.structured_content, first.structured_content);
    assert_eq!(user_creates(&app), 1);
}

async fn a_key_sent_over_http_replays_over_mcp_for_the_same_caller(backend: Backend) {
    let app = spawn_with_account_from(app(backend)).await;
    let body = json!({"userId": JORDAN_ID});
    let http = http_with_key(&app, "cross-surface", "suspend_user", &body).await;
    assert_eq!(http.status, 200, "{}", http.text);
    let suspends = || {
        app.okta_calls()
            .iter()
            .filter(|c| c.ends_with("/lifecycle/suspend"))
            .count()
    };
    assert_eq!(suspends(), 1);

    // The confirmed tool call is the same request: `account` and `confirm` are not the body.
    let client = connect(&app, ACTION_KEY).await;
    let mut args = with_account(body.clone());
    args["confirm"] = json!(true);
    let result = keyed_call(&client, json!("cross-surface"), "suspend_user", args).await;

    assert_eq!(result.is_error, Some(false), "{result:?}");
    assert_eq!(replayed(&result), Some(&json!(true)));
    assert_eq!(result.structured_content, Some(http.json));
    assert_eq!(suspends(), 1, "no second suspend reached Okta");

    // Another gateway key's calls are their own: the same key runs for it.
    let admin = connect(&app, crate::helpers::ADMIN_KEY).await;
    let mut args = with_account(body);
    args["confirm"] = json!(true);
    let theirs = keyed_call(&admin, json!("cross-surface"), "suspend_user", args).await;
    assert_eq!(replayed(&theirs), None);
    assert_eq!(
        error_of(&theirs)["status"],
        "INVALID_STATE",
        "already suspended"
    );
}

async fn a_dry_run_preview_leaves_the_key_to_the_confirmed_call(backend: Backend) {
    let app = spawn_with_account_from(app(backend)).await;
    let client = connect(&app, ACTION_KEY).await;
    let args = with_account(json!({"userId": JORDAN_ID}));
    let deactivations = || {
        app.okta_calls()
            .iter()
            .filter(|c| c.ends_with("/lifecycle/deactivate"))
            .count()
    };

    let preview = keyed_call(
        &client,
        json!("deactivate-1"),
        "deactivate_user",
        args.clone(),
    )
    .await;
    assert_eq!(preview.is_error, Some(false), "{preview:?}");
    assert_eq!(
        preview.structured_content.as_ref().expect("structured")["dryRun"],
        true
    );
    assert_eq!(replayed(&preview), None);
    assert_eq!(deactivations(), 0);

    let mut confirmed = args.clone();
    confirmed["confirm"] = json!(true);
    let done = keyed_call(
        &client,
        json!("deactivate-1"),
        "deactivate_user",
        confirmed.clone(),
    )
    .await;
    assert_eq!(done.is_error, Some(false), "{done:?}");
    assert_eq!(replayed(&done), None, "the preview did not use the key up");
    assert_eq!(
        done.structured_content.as_ref().expect("structured")["userStatus"],
        "DEPROVISIONED"
    );
    assert_eq!(deactivations(), 1);

    let again = keyed_call(&client, json!("deactivate-1"), "deactivate_user", confirmed).await;
    assert_eq!(replayed(&again), Some(&json!(true)));
    assert_eq!(again.structured_content, done.structured_content);
    assert_eq!(deactivations(), 1);

    // Once the key is used, the call without confirm replays too instead of a fresh preview
    // (which would describe a user already deprovisioned).
    let later = keyed_call(
        &client,
        json!("deactivate-1"),
        "deactivate_user",
        args.clone(),
    )
    .await;
    assert_eq!(replayed(&later), Some(&json!(true)));
    assert_eq!(later.structured_content, done.structured_content);
    // Another key's call without confirm is a fresh dry run (here refused: the user is gone).
    let other = keyed_call(&client, json!("deactivate-2"), "deactivate_user", args).await;
    assert_eq!(replayed(&other), None);
    assert_eq!(error_of(&other)["status"], "INVALID_STATE", "{other:?}");
    assert_eq!(deactivations(), 1);
}

async fn a_user_is_not_asked_again_for_a_call_their_key_already_made(backend: Backend) {
    let app = spawn_with_account_from(app(backend)).await;
    let accepting = User::answering(ElicitationAction::Accept);
    let client = connect_as(&app, ACTION_KEY, accepting.clone()).await;
    let args = with_account(json!({"userId": JORDAN_ID}));

    let done = keyed_call_as(&client, json!("suspend-1"), "suspend_user", args.clone()).await;
    assert_eq!(done.is_error, Some(false), "{done:?}");
    assert_eq!(replayed(&done), None);
    assert_eq!(accepting.questions().len(), 1);

    // A retry from a client whose user would decline: the suspension happened, and says so.
    let declining = User::answering(ElicitationAction::Decline);
    let retry_client = connect_as(&app, ACTION_KEY, declining.clone()).await;
    let retry = keyed_call_as(&retry_client, json!("suspend-1"), "suspend_user", args).await;
    assert_eq!(replayed(&retry), Some(&json!(true)));
    assert_eq!(retry.structured_content, done.structured_content);
    assert_eq!(
        retry.structured_content.as_ref().expect("structured")["userStatus"],
        "SUSPENDED"
    );
    assert!(
        declining.questions().is_empty(),
        "{:?}",
        declining.questions()
    );
    let suspends = app
        .okta_calls()
        .iter()
        .filter(|c| c.ends_with("/lifecycle/suspend"))
        .count();
    assert_eq!(suspends, 1);
    let audit = app
        .admin(Method::GET, "/audit?action=suspend_user", None)
        .await;
    let replays: Vec<&Value> = audit.json["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|row| &row["replayed"])
        .collect();
    // Newest first: the retry, then the suspension and the preview shown to the first user.
    assert_eq!(
        replays,
        [&json!(true), &json!(false), &json!(false)],
        "{}",
        audit.text
    );
}

async fn a_bad_key_in_meta_is_refused_before_okta_is_called(backend: Backend) {
    let app = spawn_with_account_from(app(backend)).await;
    let client = connect(&app, ACTION_KEY).await;
    app.forget_requests();
    for key in [
        json!(""),
        json!(42),
        json!("a".repeat(256)),
        json!("caf\u{e9}"),
    ] {
        let result = keyed_call(
            &client,
            key.clone(),
            "create_user",
            with_account(new_user("mcp.bad@example.com")),
        )
        .await;
        let error = error_of(&result);
        assert_eq!(error["status"], "INVALID_FIELD_VALUE", "{key}");
        assert_eq!(
            error["details"]["fields"][0]["field"], "_meta.idempotencyKey",
            "{key}"
        );
    }
    assert!(app.okta_calls().is_empty(), "{:?}", app.okta_calls());

    // A read tool ignores the key, as the HTTP route ignores the header.
    let read = keyed_call(
        &client,
        json!(42),
        "get_user",
        with_account(json!({"searchBy": "id", "searchValue": JORDAN_ID})),
    )
    .await;
    assert_eq!(read.is_error, Some(false), "{read:?}");
}

async fn a_replay_writes_an_audit_row_marked_replayed(backend: Backend) {
    let app = spawn_with_account_from(app(backend)).await;
    let body = new_user("audit.replay@example.com");
    let first = http_with_key(&app, "audited", "create_user", &body).await;
    assert_eq!(first.status, 200, "{}", first.text);
    let client = connect(&app, ACTION_KEY).await;
    let again = keyed_call(
        &client,
        json!("audited"),
        "create_user",
        with_account(body.clone()),
    )
    .await;
    assert_eq!(replayed(&again), Some(&json!(true)));
    // A stored error replays as the error, and its row says so too.
    let duplicate = http_with_key(&app, "audited-dup", "create_user", &body).await;
    duplicate.assert_error("DUPLICATE_USER", 409);
    let duplicate_again = http_with_key(&app, "audited-dup", "create_user", &body).await;
    duplicate_again.assert_error("DUPLICATE_USER", 409);

    let page = app
        .admin(Method::GET, "/audit?action=create_user", None)
        .await;
    assert_eq!(page.status, 200, "{}", page.text);
    let rows = page.json["items"].as_array().expect("items");
    let summary: Vec<(bool, &str)> = rows
        .iter()
        .map(|r| {
            (
                r["replayed"].as_bool().expect("replayed"),
                r["outcome"].as_str().expect("outcome"),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (true, "DUPLICATE_USER"),
            (false, "DUPLICATE_USER"),
            (true, "success"),
            (false, "success"),
        ],
        "newest first: {rows:?}"
    );
    let (replay, original) = (&rows[2], &rows[3]);
    assert_ne!(
        replay["requestId"], original["requestId"],
        "a replay is a request of its own"
    );
    assert_eq!(replay["oktaRequestIds"], json!([]), "Okta was not called");
    assert!(
        !original["oktaRequestIds"]
            .as_array()
            .expect("ids")
            .is_empty(),
        "{original}"
    );
    assert_eq!(replay["key"], original["key"]);
    assert_eq!(replay["account"], ACCOUNT);
    assert_eq!(replay["dryRun"], false);
    // The targets as given, with the created user's id read from the stored answer.
    assert_eq!(replay["targets"], original["targets"], "{replay}");
}
