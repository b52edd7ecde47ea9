//! `/mcp`: the action catalog served as Model Context Protocol tools over Streamable HTTP
//! (the official SDK, rmcp). A tool call runs the same code as
//! `POST /accounts/{name}/actions/{action}` ([`perform_keyed`]): the same validation, errors,
//! audit line and metrics. Destructive tools run as dry runs unless the call confirms them.
//!
//! A mutating tool call may carry an idempotency key in its `_meta` (`idempotencyKey`), under
//! the rules of the HTTP `Idempotency-Key` header and in the same scope (the gateway key): a
//! repeat gets the stored result, marked `idempotentReplayed: true` in the result's `_meta`.
//! The key covers the call that acts; a destructive tool's dry-run preview (asked for by
//! leaving `confirm` out) runs without it, so it does not use up the key of the confirmed call.
//! But a destructive call whose key already holds this request's result (or whose request is
//! still running) gets that instead of a preview or a question to the user.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::Request;
use axum::http::header::{HOST, ORIGIN};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, ElicitRequestParams,
    ElicitationAction, ElicitationSchema, Implementation, JsonObject, ListToolsResult, MetaObject,
    PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool, ToolAnnotations,
};
use rmcp::service::{ElicitationMode, NotificationContext, Peer, RequestContext};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::{Map, Value, json};
use tokio::sync::watch;

use super::actions::{Via, audit_replay, perform_keyed};
use super::edge::{ActionLog, RequestId};
use crate::actions::{Action, missing_scopes, response_schema};
use crate::auth::{Caller, Scope};
use crate::error::{ApiError, ErrorStatus};
use crate::idempotency::{self, Keyed, KeyedRequest};
use crate::params::InputSchema;
use crate::state::AppState;

/// The path the transport is served at.
pub const PATH: &str = "/mcp";

/// How often a session looks for account changes (`notifications/tools/list_changed`).
const ACCOUNT_POLL: Duration = Duration::from_secs(2);

/// The Streamable HTTP service: one [`McpServer`] per session.
pub fn service(state: AppState) -> StreamableHttpService<McpServer, LocalSessionManager> {
    let config = StreamableHttpServerConfig::default()
        // A deployed gateway answers to its own host names; the bearer key and the Origin
        // check (see [`refuse_foreign_origin`]) are what guard /mcp, not a loopback-only Host.
        .disable_allowed_hosts()
        .with_sse_keep_alive(None);
    StreamableHttpService::new(
        move || Ok(McpServer::new(state.clone())),
        LocalSessionManager::default().into(),
        config,
    )
}

/// Middleware: the specification requires servers to validate `Origin` (DNS rebinding). A
/// request without one (every non-browser client) passes; a browser page may only reach /mcp
/// from the gateway's own origin.
pub async fn refuse_foreign_origin(request: Request, next: Next) -> Response {
    let headers = request.headers();
    if let Some(origin) = headers.get(ORIGIN) {
        let origin_host = origin
            .to_str()
            .ok()
            .and_then(|o| o.split_once("://"))
            .map(|(_, host)| host.trim_end_matches('/'));
        let host = headers.get(HOST).and_then(|h| h.to_str().ok());
        if origin_host.is_none() || origin_host != host {
            return ApiError::new(ErrorStatus::ForbiddenScope)
                .with_message("Requests from a web page of another origin may not use /mcp.")
                .with_how_to_fix(
                    "Connect from an MCP client, which sends no Origin header, or from a page served by the gateway's own origin.",
                )
                .into_response();
        }
    }
    next.run(request).await
}

/// One MCP session's server: the gateway's state; who calls comes with each request.
#[derive(Clone)]
pub struct McpServer {
    state: AppState,
    /// Dropped with the session's handler (when the session ends: deleted, timed out, its
    /// transport gone); its receivers then see the session end at once.
    alive: Arc<watch::Sender<()>>,
}

impl McpServer {
    pub fn new(state: AppState) -> McpServer {
        let (alive, _) = watch::channel(());
        McpServer {
            state,
            alive: Arc::new(alive),
        }
    }

    async fn account_names(&self) -> Result<Vec<(String, Option<Vec<String>>)>, ApiError> {
        account_names(&self.state).await
    }

    async fn tools(&self, caller: &Caller) -> Result<Vec<Tool>, ApiError> {
        let known = self.account_names().await?;
        let mut tools = Vec::new();
        for (action, input) in self.state.catalog.iter() {
            // A tool offers only the accounts whose scopes let it run; one that no account
            // can run is left out.
            let runnable: Vec<String> = known
                .iter()
                .filter(|(_, granted)| {
                    granted
                        .as_deref()
                        .is_none_or(|g| missing_scopes(action, g).is_empty())
                })
                .map(|(name, _)| name.clone())
                .collect();
            if runnable.is_empty() && !known.is_empty() {
                continue;
            }
            tools.push(action_tool(action, input, &runnable));
        }
        let accounts: Vec<String> = known.into_iter().map(|(name, _)| name).collect();
        if caller.scope == Scope::Admin {
            tools.extend(account_tools(&accounts));
        }
        Ok(tools)
    }

    async fn call(
        &self,
        request: CallToolRequestParams,
        context: &RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ApiError> {
        let caller = caller(context)?;
        let request_id = request_id(context);
        let mut arguments = request.arguments.unwrap_or_default();
        let name = request.name.as_ref();
        match name {
            "list_accounts" | "test_account" if caller.scope == Scope::Admin => {
                return self.account_tool(name, arguments).await;
            }
            "list_accounts" | "test_account" => {
                return Err(ApiError::new(ErrorStatus::ForbiddenScope)
                    .with_message("The account tools need an admin key."));
            }
            _ => {}
        }
        let (action, input) = self.state.catalog.get(name).ok_or_else(|| {
            ApiError::new(ErrorStatus::UnknownAction).with_details(crate::error::ErrorDetails {
                valid_actions: Some(self.state.catalog.names()),
                ..Default::default()
            })
        })?;
        let account = take_account(&mut arguments)?;
        let confirmed = match arguments.remove("confirm") {
            None | Some(Value::Bool(false)) => false,
            Some(Value::Bool(true)) if action.destructive => true,
            Some(_) if action.destructive => {
                return Err(field_problem("confirm", "must be true or false"));
            }
            Some(_) => return Err(field_problem("confirm", "is not a known parameter")),
        };
        if input.fields().iter().any(|f| f.paged) {
            // Structured content is an object: lists answer as their page.
            arguments.insert("paged".to_owned(), Value::Bool(true));
        }
        // Read tools change nothing: as over HTTP, their keys are unused.
        let key = match action.mutating {
            true => idempotency::key_from_meta(&context.meta)?,
            false => None,
        };
        let act = |arguments| {
            self.act(
                action,
                &caller,
                &account,
                arguments,
                &request_id,
                key.clone(),
            )
        };
        let asked_dry_run = arguments.get("dryRun") == Some(&Value::Bool(true));
        if !action.destructive || asked_dry_run {
            return Ok(act(arguments).await);
        }
        // A destructive tool: where the client can ask its user, the user decides; otherwise
        // it only says what it would do until the model confirms.
        let can_ask = context
            .peer
            .supported_elicitation_modes()
            .contains(&ElicitationMode::Form);
        if confirmed && !can_ask {
            if self.state.config.mcp_require_elicitation {
                return Err(field_problem(
                    "confirm",
                    "is not enough on this gateway: destructive tools need the user's confirmation through elicitation (MCP_REQUIRE_ELICITATION), which this client does not offer",
                ));
            }
            return Ok(act(arguments).await);
        }
        // A call whose key already ran (or runs) this request gets that, not a preview or a
        // question: a user who declines a retry must not be told that nothing was changed.
        if let Some(key) = key.clone()
            && let Some(keyed) = self
                .held(action, &caller, &account, &arguments, &request_id, key)
                .await
        {
            return Ok(tool_result(action, keyed, &request_id));
        }
        let mut preview_arguments = arguments.clone();
        preview_arguments.insert("dryRun".to_owned(), Value::Bool(true));
        let preview = self
            .run(
                action,
                &caller,
                &account,
                preview_arguments,
                &request_id,
                None,
            )
            .await
            .result
            .and_then(|answer| body_of(&answer))?;
        if !can_ask {
            return Ok(success(action.name, preview));
        }
        let would = preview["message"].as_str().unwrap_or_default().to_owned();
        match ask_user(context, &would).await {
            Some(ElicitationAction::Accept) => Ok(act(arguments).await),
            Some(_) => {
                let mut declined = preview;
                declined["message"] =
                    json!(format!("The user declined: nothing was changed. ({would})"));
                Ok(success(action.name, declined))
            }
            // The question could not be asked: the preview stands.
            None => Ok(success(action.name, preview)),
        }
    }

    /// Run the action as `POST /accounts/{account}/actions/{action}` does, under `key` when
    /// the call sent one.
    async fn run(
        &self,
        action: &'static Action,
        caller: &Caller,
        account: &str,
        arguments: JsonObject,
        request_id: &str,
        key: Option<String>,
    ) -> Keyed {
        let mut log = ActionLog {
            account: account.to_owned(),
            action: action.name,
            okta_request_ids: Vec::new(),
        };
        perform_keyed(
            &self.state,
            action,
            caller,
            request_id,
            Value::Object(arguments),
            &mut log,
            Via::Mcp,
            key,
        )
        .await
    }

    /// [`Self::run`] as the tool's result.
    async fn act(
        &self,
        action: &'static Action,
        caller: &Caller,
        account: &str,
        arguments: JsonObject,
        request_id: &str,
        key: Option<String>,
    ) -> CallToolResult {
        let keyed = self
            .run(action, caller, account, arguments, request_id, key)
            .await;
        tool_result(action, keyed, request_id)
    }

    /// What `key` already holds for this call (see [`idempotency::Idempotency::held`]); a
    /// replay writes its audit row, as one through [`perform_keyed`] does.
    async fn held(
        &self,
        action: &'static Action,
        caller: &Caller,
        account: &str,
        arguments: &JsonObject,
        request_id: &str,
        key: String,
    ) -> Option<Keyed> {
        let body = Value::Object(arguments.clone());
        let request = KeyedRequest {
            caller: &caller.key_hash.0,
            key,
            account,
            action,
            body: &body,
            request_id,
        };
        let keyed = self.state.idempotency.held(&request).await?;
        if keyed.replayed {
            let log = ActionLog {
                account: account.to_owned(),
                action: action.name,
                okta_request_ids: Vec::new(),
            };
            audit_replay(
                &self.state,
                caller,
                request_id,
                &log,
                body,
                &keyed,
                Via::Mcp,
            )
            .await;
        }
        Some(keyed)
    }

    /// Tell the client when the `account` enum changes (an account connected or removed, on
    /// this replica or another): the accounts are read every [`ACCOUNT_POLL`] until the
    /// session ends. The watch holds no handler clone, so it cannot keep the session's handler
    /// alive; it stops when that handler is dropped.
    async fn watch_accounts(
        state: AppState,
        peer: Peer<RoleServer>,
        mut session: watch::Receiver<()>,
    ) {
        let mut known = account_names(&state).await.ok();
        loop {
            tokio::select! {
                _ = tokio::time::sleep(ACCOUNT_POLL) => {}
                // Nothing is ever sent: this only answers when the sender is dropped.
                _ = session.changed() => break,
            }
            if peer.is_transport_closed() {
                break;
            }
            let Ok(now) = account_names(&state).await else {
                continue;
            };
            if known.as_ref() != Some(&now) {
                if peer.notify_tool_list_changed().await.is_err() {
                    break;
                }
                known = Some(now);
            }
        }
        tracing::debug!("MCP session ended: its account watch stopped");
    }

    async fn account_tool(
        &self,
        name: &str,
        mut arguments: JsonObject,
    ) -> Result<CallToolResult, ApiError> {
        if name == "list_accounts" {
            if let Some(extra) = arguments.keys().next() {
                return Err(field_problem(extra, "is not a known parameter"));
            }
            let accounts = self.state.accounts.list().await?;
            let items = serde_json::to_value(accounts).map_err(ApiError::internal)?;
            return Ok(success(name, json!({"items": items, "nextCursor": null})));
        }
        let account = take_account(&mut arguments)?;
        if let Some(extra) = arguments.keys().next() {
            return Err(field_problem(extra, "is not a known parameter"));
        }
        let tested = self.state.accounts.test(&account).await?;
        let body = serde_json::to_value(tested).map_err(ApiError::internal)?;
        Ok(success(name, body))
    }
}

impl ServerHandler for McpServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_tool_list_changed()
                .build(),
        )
        .with_server_info(Implementation::new(
            "okta-gateway",
            env!("CARGO_PKG_VERSION"),
        ))
        .with_instructions(
            "Each tool is one Okta action of the gateway's catalog; `account` names the connected Okta org. Destructive tools answer with a dry run (what would happen) unless called with confirm: true. A mutating call may carry `idempotencyKey` in its `_meta`: a repeat with the same key gets the first result again (`_meta.idempotentReplayed`) instead of acting twice.",
        )
    }

    async fn on_initialized(&self, context: NotificationContext<RoleServer>) {
        tokio::spawn(McpServer::watch_accounts(
            self.state.clone(),
            context.peer,
            self.alive.subscribe(),
        ));
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let caller = caller(&context).map_err(protocol_error)?;
        let tools = self.tools(&caller).await.map_err(protocol_error)?;
        Ok(ListToolsResult::with_all_items(tools))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let request_id = request_id(&context);
        let result = match self.call(request, &context).await {
            Ok(result) => result,
            Err(error) => error_result(&error, &request_id),
        };
        Ok(result.into())
    }
}

/// Each account's name and, for a service app, its granted scopes (a change to either changes
/// the tool list).
async fn account_names(state: &AppState) -> Result<Vec<(String, Option<Vec<String>>)>, ApiError> {
    let accounts = state.accounts.list().await?;
    Ok(accounts.into_iter().map(|a| (a.name, a.scopes)).collect())
}

/// A keyed run as the tool's result; a replay says so in the result's `_meta`.
fn tool_result(action: &Action, keyed: Keyed, request_id: &str) -> CallToolResult {
    let mut result = match keyed.result.and_then(|answer| body_of(&answer)) {
        Ok(body) => success(action.name, body),
        Err(error) => error_result(&error, request_id),
    };
    if keyed.replayed {
        let mut meta = MetaObject::default();
        meta.insert(idempotency::META_REPLAYED.to_owned(), Value::Bool(true));
        result.meta = Some(meta);
    }
    result
}

/// A refused or failed action is the tool's answer, with the HTTP API's envelope, so the agent
/// can read the fix.
fn error_result(error: &ApiError, request_id: &str) -> CallToolResult {
    let mut result = CallToolResult::structured_error(error.body(request_id));
    result.content = vec![ContentBlock::text(format!(
        "{}: {} {}",
        error.status.as_str(),
        error.message.trim_end(),
        error.how_to_fix()
    ))];
    result
}

/// An action's answer body as an object.
fn body_of(answer: &idempotency::Answer) -> Result<Value, ApiError> {
    let body: Value = serde_json::from_slice(&answer.body)
        .map_err(|err| ApiError::internal(format!("an action answered bad JSON: {err}")))?;
    Ok(as_object(body))
}

/// Ask the client's user to confirm what a destructive tool would do; `None` when the
/// question could not be asked (the protocol revision forbids it, the client went away).
async fn ask_user(context: &RequestContext<RoleServer>, would: &str) -> Option<ElicitationAction> {
    let request = ElicitRequestParams::FormElicitationParams {
        meta: None,
        message: format!("{would} Proceed?"),
        requested_schema: ElicitationSchema::new(BTreeMap::new()),
    };
    match context.peer.create_elicitation(request).await {
        Ok(answer) => Some(answer.action),
        Err(err) => {
            tracing::warn!(cause = %err, "elicitation failed; answering with the dry run");
            None
        }
    }
}

/// The caller the gateway's key check put on the HTTP request.
/// The request id the edge gave the HTTP request that carries this message.
fn request_id(context: &RequestContext<RoleServer>) -> String {
    context
        .extensions
        .get::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<RequestId>())
        .map_or_else(String::new, |id| id.0.clone())
}

fn caller(context: &RequestContext<RoleServer>) -> Result<Caller, ApiError> {
    context
        .extensions
        .get::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Caller>())
        .cloned()
        .ok_or_else(|| ApiError::internal("an MCP request without an authenticated caller"))
}

fn protocol_error(error: ApiError) -> ErrorData {
    ErrorData::internal_error(error.message.clone(), None)
}

fn field_problem(field: &str, problem: &str) -> ApiError {
    ApiError::invalid_fields(vec![crate::error::FieldProblem::new(field, problem)])
}

/// The required `account` argument, removed from the action's input.
fn take_account(arguments: &mut JsonObject) -> Result<String, ApiError> {
    match arguments.remove("account") {
        Some(Value::String(name)) if !name.is_empty() => Ok(name),
        Some(_) => Err(field_problem(
            "account",
            "must be a connected account's name",
        )),
        None => Err(field_problem("account", "is required")),
    }
}

/// A successful tool result: the body as structured content, and a short text rendering.
fn success(tool: &str, body: Value) -> CallToolResult {
    let text = render(tool, &body);
    let mut result = CallToolResult::structured(body);
    result.content = vec![ContentBlock::text(text)];
    result
}

/// One line for the model; the structured content carries everything.
fn render(tool: &str, body: &Value) -> String {
    if let Some(message) = body.get("message").and_then(Value::as_str) {
        return message.to_owned();
    }
    if let Some(items) = body.get("items").and_then(Value::as_array) {
        let more = if body["nextCursor"].is_string() {
            "; more with after = nextCursor"
        } else {
            ""
        };
        return format!("{tool}: {} items{more}.", items.len());
    }
    format!("{tool}: {body}")
}

/// A list answered bare (an action that does not page) becomes a page, since structured
/// content is an object.
fn as_object(body: Value) -> Value {
    match body {
        Value::Array(items) => json!({"items": items, "nextCursor": null}),
        other => other,
    }
}

fn account_property(accounts: &[String]) -> Value {
    json!({
        "type": "string",
        "description": "The connected Okta account (org) to act on.",
        "enum": accounts,
    })
}

/// An action as a tool: its input schema plus `account` (and `confirm` when destructive).
fn action_tool(action: &'static Action, input: &InputSchema, accounts: &[String]) -> Tool {
    let mut schema = input.json_schema().clone();
    let properties = schema
        .get_mut("properties")
        .and_then(Value::as_object_mut)
        .map(std::mem::take)
        .unwrap_or_default();
    let mut all = Map::new();
    all.insert("account".to_owned(), account_property(accounts));
    for (name, property) in properties {
        // Lists always answer as pages over MCP.
        if name != "paged" {
            all.insert(name, property);
        }
    }
    if action.destructive {
        all.insert(
            "confirm".to_owned(),
            json!({
                "type": "boolean",
                "default": false,
                "description": "true: do it. Without it the tool answers with a dry run saying what would happen; confirm with the user before calling again with true.",
            }),
        );
    }
    let mut required = vec![json!("account")];
    if let Some(list) = schema.get("required").and_then(Value::as_array) {
        required.extend(list.iter().cloned());
    }
    schema["properties"] = Value::Object(all);
    schema["required"] = Value::Array(required);
    let schema = schema.as_object().cloned().unwrap_or_default();
    let mut tool = Tool::new(action.name, action.description, Arc::new(schema));
    tool.title = Some(action.label.to_owned());
    tool.output_schema = Some(Arc::new(output_schema(action, input)));
    tool.annotations = Some(
        ToolAnnotations::with_title(action.label)
            .read_only(!action.mutating)
            .destructive(action.destructive)
            // Reads, and writes that leave the same state when repeated, are idempotent.
            .idempotent(!action.mutating || action.destructive)
            .open_world(true),
    );
    tool
}

/// The output schema: the HTTP answer's schema, with lists as pages (an object at the root).
fn output_schema(action: &Action, input: &InputSchema) -> JsonObject {
    let schema = response_schema(action, input);
    let alternatives = match schema.get("oneOf").and_then(Value::as_array) {
        Some(list) => list.clone(),
        None => vec![schema],
    };
    let paged = input.fields().iter().any(|f| f.paged);
    let mut objects: Vec<Value> = Vec::new();
    for alternative in alternatives {
        if alternative["type"] == "array" {
            // A paged action's page is already among the alternatives.
            if !paged {
                objects.push(json!({
                    "type": "object",
                    "required": ["items", "nextCursor"],
                    "properties": {"items": alternative, "nextCursor": {"type": "null"}},
                }));
            }
        } else {
            objects.push(alternative);
        }
    }
    let mut root = Map::new();
    root.insert("type".to_owned(), json!("object"));
    if objects.len() == 1 {
        if let Some(Value::Object(only)) = objects.pop() {
            root.extend(only);
        }
    } else {
        root.insert("oneOf".to_owned(), Value::Array(objects));
    }
    root
}

/// The admin key's account tools (read-only: connecting accounts stays in the HTTP API).
fn account_tools(accounts: &[String]) -> Vec<Tool> {
    let list_schema = json!({"type": "object", "properties": {}, "additionalProperties": false});
    let test_schema = json!({
        "type": "object",
        "properties": {"account": account_property(accounts)},
        "required": ["account"],
        "additionalProperties": false,
    });
    let tools = [
        (
            "list_accounts",
            "List Accounts",
            "The connected Okta accounts: name, domain, when the token was last verified and its last error.",
            list_schema,
        ),
        (
            "test_account",
            "Test Account",
            "Checks an account's stored API token against Okta and records the outcome.",
            test_schema,
        ),
    ];
    tools
        .into_iter()
        .map(|(name, title, description, schema)| {
            let schema = schema.as_object().cloned().unwrap_or_default();
            let mut tool = Tool::new(name, description, Arc::new(schema));
            tool.title = Some(title.to_owned());
            tool.annotations = Some(
                ToolAnnotations::with_title(title)
                    .read_only(true)
                    .destructive(false)
                    .idempotent(true)
                    .open_world(name == "test_account"),
            );
            tool
        })
        .collect()
}
