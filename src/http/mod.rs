//! The HTTP surface: one router per resource, merged here, with the layers added once.

pub mod accounts;
pub mod actions;
pub mod audit;
pub mod edge;
pub mod extract;
pub mod health;
pub mod mcp;
pub mod openapi;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::error_handling::HandleErrorLayer;
use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::http::Method;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, on, on_service};
use tower::limit::GlobalConcurrencyLimitLayer;
use tower::{BoxError, ServiceBuilder};
use tower_http::catch_panic::CatchPanicLayer;

use crate::auth::{self, Scope};
use crate::error::{ApiError, ErrorStatus};
use crate::state::AppState;

/// One operation: method, path template, the key scope it needs (`None`: public) and its
/// handler. The router is built from this table, and the contract test compares the same table
/// with `openapi.yaml`, so the two cannot drift.
pub struct RouteSpec {
    pub method: Method,
    pub path: String,
    pub scope: Option<Scope>,
    handler: MethodRouter<AppState>,
}

impl RouteSpec {
    pub fn new<H, T>(
        method: Method,
        path: impl Into<String>,
        scope: Option<Scope>,
        handler: H,
    ) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let filter = MethodFilter::try_from(method.clone()).expect("a standard HTTP method");
        RouteSpec {
            method,
            path: path.into(),
            scope,
            handler: on(filter, handler),
        }
    }
}

/// Every operation the gateway serves.
pub fn route_table() -> Vec<RouteSpec> {
    [
        health::routes(),
        accounts::routes(),
        actions::routes(),
        audit::routes(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// An endpoint a tower service serves whole, outside the [`RouteSpec`] table: its path, the
/// methods it answers and the key scope they need. The router mounts exactly these methods,
/// the generator documents their scope, and the contract test holds them against
/// `openapi.yaml` and checks the server answers each.
pub struct ServiceEndpoint {
    pub path: &'static str,
    pub methods: Vec<Method>,
    pub scope: Scope,
}

/// `/mcp`, the MCP Streamable HTTP transport: POST a message, GET the session's event
/// stream, DELETE the session.
pub fn mcp_endpoint() -> ServiceEndpoint {
    ServiceEndpoint {
        path: mcp::PATH,
        methods: vec![Method::POST, Method::GET, Method::DELETE],
        scope: Scope::Action,
    }
}

/// Every endpoint served by a tower service.
pub fn service_endpoints() -> Vec<ServiceEndpoint> {
    vec![mcp_endpoint()]
}

/// The probes: served past the concurrency limit, the load shedder and the request timeout, so
/// an orchestrator still gets an answer from a saturated gateway.
pub const PROBES: [&str; 2] = ["/healthz", "/readyz"];

/// All routes but the probes, with authentication per scope.
pub fn router(state: AppState) -> Router {
    routes(&state, |route| !PROBES.contains(&route.path.as_str()))
        .merge(mcp_routes(&state))
        .fallback(actions::unknown_route)
        .method_not_allowed_fallback(|| async { ApiError::new(ErrorStatus::MethodNotAllowed) })
        .layer(DefaultBodyLimit::max(extract::BODY_LIMIT))
        .with_state(state)
}

fn routes(state: &AppState, include: impl Fn(&RouteSpec) -> bool) -> Router<AppState> {
    let mut router = Router::new();
    for scope in [None, Some(Scope::Admin), Some(Scope::Action)] {
        let routes: Vec<RouteSpec> = route_table()
            .into_iter()
            .filter(|r| r.scope == scope && include(r))
            .collect();
        if routes.is_empty() {
            continue;
        }
        let mut group = Router::new();
        for route in routes {
            let tag = from_fn_with_state(Arc::<str>::from(route.path.as_str()), edge::tag_route);
            group = group.route(&route.path, route.handler.layer(tag));
        }
        if let Some(scope) = scope {
            group = group.route_layer(from_fn_with_state(
                (state.keys.clone(), scope),
                auth::require,
            ));
        }
        router = router.merge(group);
    }
    router
}

/// `/mcp` (every method the Streamable HTTP transport uses): an action key sees the tools,
/// an admin key also the account tools; browser pages of other origins are refused first.
fn mcp_routes(state: &AppState) -> Router<AppState> {
    let endpoint = mcp_endpoint();
    let tag = from_fn_with_state(Arc::<str>::from(endpoint.path), edge::tag_route);
    let methods = endpoint
        .methods
        .iter()
        .map(|m| MethodFilter::try_from(m.clone()).expect("a standard HTTP method"))
        .reduce(MethodFilter::or)
        .expect("at least one method");
    Router::new()
        .route(
            endpoint.path,
            on_service(methods, mcp::service(state.clone())),
        )
        .layer(from_fn_with_state(
            (state.keys.clone(), endpoint.scope),
            auth::require,
        ))
        .layer(from_fn(mcp::refuse_foreign_origin))
        .layer(tag)
}

/// The router behind the process-wide layers: edge (request id, error envelope, log line),
/// panic capture, and, for everything but the probes, load shedding past `max_concurrent`
/// requests and a request timeout.
pub fn app(state: AppState, max_concurrent: usize, timeout: Duration) -> Router {
    let probes = routes(&state, |route| PROBES.contains(&route.path.as_str()))
        .method_not_allowed_fallback(|| async { ApiError::new(ErrorStatus::MethodNotAllowed) })
        .with_state(state.clone());
    router(state)
        .layer(
            ServiceBuilder::new()
                .layer(HandleErrorLayer::new(overloaded))
                .load_shed()
                // Global: `Router::layer` applies a layer per route, and the limit is
                // process-wide.
                .layer(GlobalConcurrencyLimitLayer::new(max_concurrent))
                .timeout(timeout),
        )
        .merge(probes)
        .layer(
            ServiceBuilder::new()
                .layer(from_fn(edge::edge))
                .layer(CatchPanicLayer::custom(|_panic| {
                    ApiError::internal("handler panicked").into_response()
                })),
        )
}

async fn overloaded(err: BoxError) -> Response {
    let (reason, message) = if err.is::<tower::timeout::error::Elapsed>() {
        ("timeout", "The request took too long and was stopped.")
    } else {
        ("capacity", "The gateway is at capacity; retry shortly.")
    };
    metrics::counter!("gateway_requests_shed_total", "reason" => reason).increment(1);
    let mut error = ApiError::new(ErrorStatus::ServiceUnavailable)
        .with_message(message)
        .with_internal(err);
    error.details.retry_after = Some(1);
    error.into_response()
}
