//! `/mcp` through rmcp's own client against the real server and okta-sim: the handshake, the
//! tool list (annotations, the account enum), tool calls answering what the HTTP action
//! answers, errors as tool results, destructive tools as dry runs until confirmed, key scopes
//! and the Origin check.

use okta_gateway::actions::{Catalog, example};
use okta_sim::demo::{JORDAN_ID, JORDAN_LOGIN};
use reqwest::Method;
use std::sync::{Arc, Mutex};

use rmcp::model::{
    CallToolRequestParams, CallToolResult, ClientCapabilities, ClientConfig, ElicitRequestParams,
    ElicitResult, ElicitationAction, Implementation, ProtocolVersion, Tool,
};
use rmcp::service::{NotificationContext, RequestContext, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::{ClientHandler, ErrorData, RoleClient, ServiceExt};
use serde_json::{Value, json};

use crate::helpers::{
    ACCOUNT, ACTION_KEY, ADMIN_KEY, Backend, TestApp, app as app_builder, spawn_with_account,
    spawn_with_account_from,
};

pub(crate) async fn connect(app: &TestApp, key: &str) -> RunningService<RoleClient, ()> {
    connect_as(app, key, ()).await
}

pub(crate) async fn connect_as<H: ClientHandler>(
    app: &TestApp,
    key: &str,
    handler: H,
) -> RunningService<RoleClient, H> {
    let config = StreamableHttpClientTransportConfig::with_uri(app.url("/mcp")).auth_header(key);
    handler
        .serve(StreamableHttpClientTransport::from_config(config))
        .await
        .expect("the MCP handshake succeeds")
}

/// A client whose user answers every confirmation the server asks for with `answer`, and
/// remembers the questions.
#[derive(Clone)]
pub(crate) struct User {
    answer: ElicitationAction,
    asked: Arc<Mutex<Vec<String>>>,
}

impl User {
    pub(crate) fn answering(answer: ElicitationAction) -> User {
        User {
            answer,
            asked: Arc::default(),
        }
    }

    pub(crate) fn questions(&self) -> Vec<String> {
        self.asked.lock().expect("lock").clone()
    }
}

impl ClientHandler for User {
    fn get_info(&self) -> ClientConfig {
        // Server-to-client requests exist up to 2025-11-25 (2026-07-28 replaced them).
        ClientConfig::new(
            ClientCapabilities::builder().enable_elicitation().build(),
            Implementation::new("a-user", "1.0.0"),
        )
        .with_protocol_version(ProtocolVersion::V_2025_06_18)
    }

    async fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, ErrorData> {
        if let ElicitRequestParams::FormElicitationParams { message, .. } = request {
            self.asked.lock().expect("lock").push(message);
        }
        let result = ElicitResult::new(self.answer.clone());
        Ok(match self.answer {
            ElicitationAction::Accept => result.with_content(json!({})),
            _ => result,
        })
    }
}

pub(crate) async fn call<H: ClientHandler>(
    client: &RunningService<RoleClient, H>,
    tool: &str,
    args: Value,
) -> CallToolResult {
    let Value::Object(arguments) = args else {
        panic!("arguments are an object")
    };
    client
        .call_tool(CallToolRequestParams::new(tool.to_owned()).with_arguments(arguments))
        .await
        .expect("a tool result")
}

pub(crate) fn tool<'a>(tools: &'a [Tool], name: &str) -> &'a Tool {
    tools
        .iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("{name} is listed"))
}

fn with_account(mut body: Value) -> Value {
    body["account"] = json!(ACCOUNT);
    body
}

/// An error envelope without the ids that differ per request (the gateway's, Okta's).
fn envelope(mut body: Value) -> Value {
    if let Some(error) = body.get_mut("error").and_then(Value::as_object_mut) {
        error.remove("requestId");
    }
    if let Some(okta) = body
        .pointer_mut("/error/details/okta")
        .and_then(Value::as_object_mut)
    {
        okta.remove("errorId");
    }
    body
}

#[tokio::test]
async fn an_action_key_lists_one_tool_per_action_with_its_hints_and_the_accounts() {
    let app = spawn_with_account().await;
    let client = connect(&app, ACTION_KEY).await;
    let info = client.peer_info().expect("the server answered initialize");
    assert_eq!(
        info.server_info.as_ref().map(|s| s.name.as_str()),
        Some("okta-gateway")
    );
    assert!(info.capabilities.tools.is_some());

    let tools = client.list_all_tools().await.expect("tools/list");
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    assert_eq!(
        names,
        Catalog::new().names(),
        "the catalog, in order, and nothing else"
    );

    for (action, _) in Catalog::new().iter() {
        let listed = tool(&tools, action.name);
        assert_eq!(listed.description.as_deref(), Some(action.description));
        let hints = listed.annotations.as_ref().expect("annotations");
        assert_eq!(
            hints.read_only_hint,
            Some(!action.mutating),
            "{}",
            action.name
        );
        assert_eq!(
            hints.destructive_hint,
            Some(action.destructive),
            "{}",
            action.name
        );
        assert_eq!(hints.open_world_hint, Some(true), "{}", action.name);
        let schema = Value::Object((*listed.input_schema).clone());
        assert_eq!(schema["properties"]["account"]["enum"], json!([ACCOUNT]));
        assert_eq!(schema["required"][0], "account", "{}", action.name);
        assert_eq!(
            schema["properties"].get("confirm").is_some(),
            action.destructive,
            "{}: confirm only on destructive tools",
            action.name
        );
        let output = listed.output_schema.as_ref().expect("an output schema");
        assert_eq!(
            output.get("type"),
            Some(&json!("object")),
            "{}",
            action.name
        );
    }
    client.cancel().await.expect("closed");
}

#[tokio::test]
async fn an_admin_key_also_gets_the_account_tools_and_an_action_key_is_refused_them() {
    let app = spawn_with_account().await;
    let admin = connect(&app, ADMIN_KEY).await;
    let tools = admin.list_all_tools().await.expect("tools/list");
    assert_eq!(tools.len(), Catalog::new().names().len() + 2);
    assert_eq!(
        tool(&tools, "list_accounts")
            .annotations
            .as_ref()
            .and_then(|a| a.read_only_hint),
        Some(true)
    );
    let listed = call(&admin, "list_accounts", json!({})).await;
    assert_eq!(listed.is_error, Some(false));
    let content = listed.structured_content.expect("structured");
    assert_eq!(content["items"][0]["name"], ACCOUNT);
    assert!(!content.to_string().contains(&app.sim_token), "no token");

    let agent = connect(&app, ACTION_KEY).await;
    let tools = agent.list_all_tools().await.expect("tools/list");
    assert!(tools.iter().all(|t| t.name != "list_accounts"));
    let refused = call(&agent, "list_accounts", json!({})).await;
    assert_eq!(refused.is_error, Some(true));
    let error = &refused.structured_content.expect("the envelope")["error"];
    assert_eq!(error["status"], "FORBIDDEN_SCOPE");
    assert_eq!(error["httpStatus"], 403);
}

#[tokio::test]
async fn a_read_tool_answers_what_the_http_action_answers() {
    let app = spawn_with_account().await;
    let client = connect(&app, ACTION_KEY).await;
    let body = example(Catalog::new().get("get_user").expect("get_user").0);

    let result = call(&client, "get_user", with_account(body.clone())).await;
    let http = app.action("get_user", body).await;

    assert_eq!(http.status, 200, "{}", http.text);
    assert_eq!(result.is_error, Some(false));
    assert_eq!(result.structured_content, Some(http.json));
    assert!(!result.content.is_empty(), "a text rendering too");
}

#[tokio::test]
async fn a_list_tool_answers_a_page() {
    let app = spawn_with_account().await;
    let client = connect(&app, ACTION_KEY).await;
    let result = call(&client, "list_users", with_account(json!({"limit": 2}))).await;
    let http = app
        .action("list_users", json!({"limit": 2, "paged": true}))
        .await;

    let content = result.structured_content.expect("structured");
    assert_eq!(content["items"].as_array().map(Vec::len), Some(2));
    assert!(content["nextCursor"].is_string(), "{content}");
    assert_eq!(content["items"], http.json["items"]);
}

#[tokio::test]
async fn a_failing_tool_answers_the_http_error_envelope_as_an_error_result() {
    let app = spawn_with_account().await;
    let client = connect(&app, ACTION_KEY).await;
    let body = json!({"searchBy": "login", "searchValue": "nobody@example.com"});

    let result = call(&client, "get_user", with_account(body.clone())).await;
    let http = app.action("get_user", body).await;

    assert_eq!(http.status, 404, "{}", http.text);
    assert_eq!(result.is_error, Some(true));
    let content = result.structured_content.expect("the envelope");
    assert_eq!(envelope(content), envelope(http.json));

    let unknown = call(
        &client,
        "get_user",
        json!({"account": "nope", "searchBy": "id", "searchValue": JORDAN_ID}),
    )
    .await;
    assert_eq!(unknown.is_error, Some(true));
    let missing = call(
        &client,
        "get_user",
        json!({"searchBy": "id", "searchValue": JORDAN_ID}),
    )
    .await;
    let error = &missing.structured_content.expect("the envelope")["error"];
    assert_eq!(error["status"], "INVALID_FIELD_VALUE");
    assert_eq!(error["details"]["fields"][0]["field"], "account");
}

#[tokio::test]
async fn a_destructive_tool_is_a_dry_run_until_confirmed() {
    let app = spawn_with_account().await;
    let client = connect(&app, ACTION_KEY).await;

    let preview = call(
        &client,
        "deactivate_user",
        with_account(json!({"userId": JORDAN_ID})),
    )
    .await;
    let content = preview.structured_content.expect("structured");
    assert_eq!(content["dryRun"], true, "{content}");
    assert_eq!(
        content["message"],
        format!("Would deactivate user {JORDAN_LOGIN} (status ACTIVE).")
    );
    assert!(
        app.okta_calls().iter().all(|c| c.starts_with("GET ")),
        "{:?}",
        app.okta_calls()
    );

    app.forget_requests();
    let done = call(
        &client,
        "deactivate_user",
        with_account(json!({"userId": JORDAN_ID, "confirm": true})),
    )
    .await;
    assert_eq!(done.is_error, Some(false));
    assert_eq!(
        done.structured_content.expect("structured")["userStatus"],
        "DEPROVISIONED"
    );
    assert_eq!(
        app.okta_calls(),
        [format!(
            "POST /api/v1/users/{JORDAN_ID}/lifecycle/deactivate"
        )]
    );

    let bad = call(
        &client,
        "get_user",
        with_account(json!({"searchBy": "id", "searchValue": JORDAN_ID, "confirm": true})),
    )
    .await;
    assert_eq!(
        bad.is_error,
        Some(true),
        "confirm only on destructive tools"
    );
}

#[tokio::test]
async fn a_client_that_can_ask_its_user_acts_only_on_their_acceptance() {
    let app = spawn_with_account().await;
    let user = User::answering(ElicitationAction::Accept);
    let client = connect_as(&app, ACTION_KEY, user.clone()).await;

    // No confirm from the model: the user decides.
    let done = call(
        &client,
        "suspend_user",
        with_account(json!({"userId": JORDAN_ID})),
    )
    .await;

    assert_eq!(done.is_error, Some(false));
    assert_eq!(
        user.questions(),
        [format!(
            "Would suspend user {JORDAN_LOGIN} (status ACTIVE): they could not sign in until unsuspended. Proceed?"
        )]
    );
    assert_eq!(
        done.structured_content.expect("structured")["userStatus"],
        "SUSPENDED"
    );
    assert_eq!(
        app.okta_calls(),
        [
            format!("GET /api/v1/users/{JORDAN_ID}"),
            format!("POST /api/v1/users/{JORDAN_ID}/lifecycle/suspend"),
        ]
    );
}

#[tokio::test]
async fn a_user_who_declines_leaves_everything_as_it_was() {
    let app = spawn_with_account().await;
    let user = User::answering(ElicitationAction::Decline);
    let client = connect_as(&app, ACTION_KEY, user.clone()).await;

    // Even the model's confirm does not override the user's answer.
    let declined = call(
        &client,
        "suspend_user",
        with_account(json!({"userId": JORDAN_ID, "confirm": true})),
    )
    .await;

    assert_eq!(declined.is_error, Some(false));
    assert_eq!(user.questions().len(), 1);
    let content = declined.structured_content.expect("structured");
    assert_eq!(content["dryRun"], true);
    assert!(
        content["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("The user declined: nothing was changed.")),
        "{content}"
    );
    assert_eq!(app.okta_calls(), [format!("GET /api/v1/users/{JORDAN_ID}")]);
}

#[tokio::test]
async fn with_elicitation_required_the_models_confirm_alone_is_refused() {
    let app = spawn_with_account_from(
        app_builder(Backend::Sqlite).var("MCP_REQUIRE_ELICITATION", "true"),
    )
    .await;
    let client = connect(&app, ACTION_KEY).await;

    let refused = call(
        &client,
        "delete_user",
        with_account(json!({"userIdOrLogin": JORDAN_ID, "confirm": true})),
    )
    .await;

    assert_eq!(refused.is_error, Some(true));
    let error = &refused.structured_content.expect("the envelope")["error"];
    assert_eq!(error["status"], "INVALID_FIELD_VALUE");
    assert_eq!(error["details"]["fields"][0]["field"], "confirm");
    assert!(app.okta_calls().is_empty(), "{:?}", app.okta_calls());

    // The dry run is still there.
    let preview = call(
        &client,
        "delete_user",
        with_account(json!({"userIdOrLogin": JORDAN_ID})),
    )
    .await;
    assert_eq!(
        preview.structured_content.expect("structured")["dryRun"],
        true
    );
}

/// A client that counts `notifications/tools/list_changed`.
#[derive(Clone, Default)]
struct Watcher(Arc<tokio::sync::Notify>);

impl ClientHandler for Watcher {
    async fn on_tool_list_changed(&self, _context: NotificationContext<RoleClient>) {
        self.0.notify_one();
    }
}

#[tokio::test]
async fn connecting_an_account_changes_the_tool_list() {
    let app = spawn_with_account().await;
    let watcher = Watcher::default();
    let client = connect_as(&app, ACTION_KEY, watcher.clone()).await;

    let created = app.create_account("beta").await;
    assert_eq!(created.status, 201, "{}", created.text);
    tokio::time::timeout(std::time::Duration::from_secs(10), watcher.0.notified())
        .await
        .expect("notifications/tools/list_changed within the poll interval");

    let tools = client.list_all_tools().await.expect("tools/list");
    let schema = Value::Object((*tool(&tools, "get_user").input_schema).clone());
    assert_eq!(
        schema["properties"]["account"]["enum"],
        json!([ACCOUNT, "beta"])
    );
}

#[tokio::test]
async fn a_page_of_another_origin_is_refused_and_no_key_is_unauthenticated() {
    let app = spawn_with_account().await;
    let initialize = json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                   "clientInfo": {"name": "t", "version": "1"}},
    });
    let response = reqwest::Client::new()
        .post(app.url("/mcp"))
        .bearer_auth(ACTION_KEY)
        .header("origin", "https://evil.example")
        .header("accept", "application/json, text/event-stream")
        .json(&initialize)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 403);
    let body: Value = response.json().await.expect("the JSON envelope");
    assert_eq!(body["error"]["status"], "FORBIDDEN_SCOPE");

    let anonymous = app.call(Method::POST, "/mcp", None, Some(initialize)).await;
    anonymous.assert_error("UNAUTHENTICATED", 401);
}

#[test]
fn a_tool_call_writes_the_audit_line_with_via_mcp() {
    let (logs, ()) = crate::helpers::captured_logs(true, || async {
        let app = spawn_with_account().await;
        let client = connect(&app, ACTION_KEY).await;
        call(
            &client,
            "suspend_user",
            with_account(json!({"userId": JORDAN_ID, "confirm": true})),
        )
        .await;
    });
    let audit: Vec<Value> = logs
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line["target"] == "okta_gateway::audit")
        .collect();
    let line = audit
        .iter()
        .find(|l| l["action"] == "suspend_user")
        .unwrap_or_else(|| panic!("an audit line: {audit:?}"));
    assert_eq!(line["via"], "mcp", "{line}");
    assert_eq!(line["outcome"], "success", "{line}");
    assert_eq!(line["account"], ACCOUNT, "{line}");
}

/// A client that asks for one protocol revision.
#[derive(Clone)]
struct Pinned(ProtocolVersion);

impl ClientHandler for Pinned {
    fn get_info(&self) -> ClientConfig {
        ClientConfig::new(
            ClientCapabilities::default(),
            Implementation::new("pinned", "1.0.0"),
        )
        .with_protocol_version(self.0.clone())
    }
}

/// Each revision the issue names is served: 2025-06-18 and 2025-11-25 through the
/// `initialize` handshake and a session, and 2026-07-28 through `server/discover` with
/// self-contained requests (no session).
#[tokio::test]
async fn each_protocol_revision_lists_and_calls_tools() {
    use rmcp::{ClientLifecycleMode, ClientServiceExt};

    let app = spawn_with_account().await;
    let body = with_account(example(Catalog::new().get("get_user").expect("get_user").0));
    for version in [
        ProtocolVersion::V_2025_06_18,
        ProtocolVersion::V_2025_11_25,
        ProtocolVersion::V_2026_07_28,
    ] {
        let lifecycle = if version.has_initialize() {
            ClientLifecycleMode::Initialize
        } else {
            ClientLifecycleMode::Discover {
                preferred_versions: vec![version.clone()],
            }
        };
        let config =
            StreamableHttpClientTransportConfig::with_uri(app.url("/mcp")).auth_header(ACTION_KEY);
        let client = Pinned(version.clone())
            .serve_with_lifecycle(
                StreamableHttpClientTransport::from_config(config),
                lifecycle,
            )
            .await
            .unwrap_or_else(|err| panic!("{version}: {err}"));
        let negotiated = client.peer_info().map(|info| info.protocol_version.clone());
        assert_eq!(negotiated, Some(version.clone()));
        let tools = client.list_all_tools().await.expect("tools");
        assert!(tools.iter().any(|t| t.name == "get_user"), "{version}");
        let result = call(&client, "get_user", body.clone()).await;
        assert_eq!(result.is_error, Some(false), "{version}: {result:?}");
        client.cancel().await.expect("closed");
    }
}
