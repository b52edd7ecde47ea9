//! HTTP plumbing: the accept loop, one hyper connection per socket, and the per-request
//! pipeline (control routes, faults, processing, common headers, recording, streaming).
//!
//! Connections are served with hyper's HTTP/1 connection API so a fault can cut a
//! connection: dropping the connection future closes the socket with no response
//! (`DropBeforeResponse`), and a body stream that errors makes hyper abort mid-body
//! (`DropMidBody`).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chrono::Utc;
use http::{HeaderValue, Request, Response, StatusCode, header};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, Limited, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};

use crate::auth::{Credential, redact_authorization, token_label};
use crate::error::ApiError;
use crate::faults::{FaultKind, RecordedRequest};
use crate::handle::SimHandle;
use crate::http::{ApiRequest, Reply, html_page, parse_query};
use crate::ratelimit::RateHeaders;
use crate::shared::{Shared, lock};
use crate::{control, router, util};

type SimBody = BoxBody<Bytes, std::io::Error>;

/// Request bodies larger than this are refused with 413.
const MAX_BODY: usize = 10 * 1024 * 1024;

/// Accepts connections until `stop` changes or its sender is dropped.
pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    tokio::spawn(connection(stream, peer, Arc::clone(&shared), stop.clone()));
                }
                // Running out of file descriptors is transient: back off instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            },
            _ = stop.changed() => break,
        }
    }
}

async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) {
    let kill = Arc::new(Notify::new());
    let service_kill = Arc::clone(&kill);
    let service =
        service_fn(move |req| handle(req, peer, Arc::clone(&shared), Arc::clone(&service_kill)));
    let conn = http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service);
    // Dropping `conn` closes the socket: that is how faults cut a connection.
    tokio::select! {
        _ = conn => {}
        _ = kill.notified() => {}
        _ = stop.changed() => {}
    }
}

fn full(body: Bytes) -> SimBody {
    Full::new(body).map_err(|never| match never {}).boxed()
}

fn http_date() -> String {
    Utc::now().format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

fn recorded_headers(headers: &http::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            let value = if name == header::AUTHORIZATION {
                redact_authorization(&value)
            } else {
                value
            };
            (name.as_str().to_string(), value)
        })
        .collect()
}

fn lossy(body: &Bytes) -> Option<String> {
    (!body.is_empty()).then(|| String::from_utf8_lossy(body).into_owned())
}

async fn handle(
    req: Request<Incoming>,
    peer: SocketAddr,
    shared: Arc<Shared>,
    kill: Arc<Notify>,
) -> Result<Response<SimBody>, Infallible> {
    let request_id = util::request_id();
    let (parts, body) = req.into_parts();
    let raw_path = parts.uri.path().to_string();
    let raw_query = parts.uri.query().map(str::to_string);
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            let status = StatusCode::PAYLOAD_TOO_LARGE;
            let reply = Reply::html(status, html_page(status));
            return Ok(finish(reply, &request_id, None));
        }
    };

    if raw_path == "/__sim" || raw_path.starts_with("/__sim/") {
        let handle = SimHandle {
            shared: Arc::clone(&shared),
        };
        let reply = control::handle(
            &handle,
            &parts.method,
            &raw_path,
            raw_query.as_deref(),
            &body,
        );
        return Ok(finish(reply, &request_id, None));
    }

    let api_req = ApiRequest {
        method: parts.method.clone(),
        query: parse_query(raw_query.as_deref()),
        raw_path,
        raw_query,
        headers: parts.headers,
        body,
        request_id: request_id.clone(),
        peer,
    };
    let fault = lock(&shared.faults).take(api_req.method.as_str(), &api_req.raw_path);
    let slot = shared.concurrency.enter();
    if let Some(FaultKind::Latency { ms }) = &fault {
        tokio::time::sleep(Duration::from_millis(*ms)).await;
    }
    let (reply, route) = match &fault {
        Some(FaultKind::Status {
            status,
            error_code,
            error_summary,
        }) => {
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let body = crate::error::error_body(error_code, error_summary, &[]);
            let mut reply = Reply::json(status, &body);
            reply.headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(crate::http::JSON),
            );
            // An injected Okta error still carries Okta's rate-limit headers (unlike HTML).
            let fam = router::family(&api_req.method, route_template(&api_req));
            lock(&shared.limiter)
                .peek(fam, Utc::now().timestamp())
                .apply(&mut reply.headers);
            (reply, None)
        }
        Some(FaultKind::RateLimit { reset_in_secs }) => {
            let mut reply: Reply = ApiError::rate_limited().into();
            let fam = router::family(&api_req.method, route_template(&api_req));
            let limit = lock(&shared.limiter).limits().limit_for(fam);
            let reset_in = i64::try_from(*reset_in_secs).unwrap_or(i64::MAX / 2);
            RateHeaders {
                limit,
                remaining: 0,
                reset: Utc::now().timestamp().saturating_add(reset_in),
            }
            .apply(&mut reply.headers);
            (reply, None)
        }
        Some(FaultKind::ConcurrencyLimit { reset_in_secs }) => {
            let mut reply: Reply = ApiError::rate_limited().into();
            let reset_in = i64::try_from(*reset_in_secs).unwrap_or(i64::MAX / 2);
            RateHeaders {
                limit: 0,
                remaining: 0,
                reset: Utc::now().timestamp().saturating_add(reset_in),
            }
            .apply(&mut reply.headers);
            (reply, None)
        }
        Some(FaultKind::Html { status }) => {
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::BAD_GATEWAY);
            (Reply::html(status, html_page(status)), None)
        }
        _ => router::process(&shared, &api_req, slot.level),
    };
    drop(slot);

    let route = route.or_else(|| route_template(&api_req));
    let content_type = reply
        .headers
        .get(header::CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let dropped = matches!(fault, Some(FaultKind::DropBeforeResponse))
        || (matches!(fault, Some(FaultKind::DropMidBody)) && reply.body.is_empty());
    let entry = RecordedRequest {
        method: api_req.method.as_str().to_string(),
        path: api_req.raw_path.clone(),
        query: api_req.raw_query.clone(),
        headers: recorded_headers(&api_req.headers),
        token_label: Credential::parse(api_req.header("authorization"))
            .map(|c| token_label(c.token())),
        body: lossy(&api_req.body),
        status: if dropped { 0 } else { reply.status.as_u16() },
        route: route.map(str::to_string),
        response_body: lossy(&reply.body),
        response_content_type: content_type,
        request_id: request_id.clone(),
        fault: fault.as_ref().map(|f| f.name().to_string()),
    };
    lock(&shared.requests).push(entry);

    if dropped {
        // Close the socket without a byte of response.
        kill.notify_one();
        std::future::pending::<()>().await;
    }
    Ok(finish(reply, &request_id, fault.as_ref()))
}

fn route_template(req: &ApiRequest) -> Option<&'static str> {
    match router::resolve(&req.method, &req.raw_path) {
        router::Resolution::Found(_, t, _) | router::Resolution::WrongMethod(t, _) => Some(t),
        router::Resolution::NotFound => None,
    }
}

/// Adds the common headers and turns the reply into a hyper response, streaming the body
/// slowly or cutting it when a fault says so.
fn finish(reply: Reply, request_id: &str, fault: Option<&FaultKind>) -> Response<SimBody> {
    let Reply {
        status,
        mut headers,
        body,
    } = reply;
    if let Ok(v) = HeaderValue::from_str(request_id) {
        headers.insert("x-okta-request-id", v);
    }
    if let Ok(v) = HeaderValue::from_str(&http_date()) {
        headers.insert(header::DATE, v);
    }
    let len = body.len();
    let body = match fault {
        Some(FaultKind::DropMidBody) if len > 0 => {
            headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
            let first = body.slice(..len / 2);
            let stream = futures::stream::unfold(0u8, move |step| {
                let first = first.clone();
                async move {
                    match step {
                        0 => Some((Ok(Frame::data(first)), 1)),
                        1 => {
                            // Give hyper time to flush the first half before aborting.
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            Some((
                                Err(std::io::Error::new(
                                    std::io::ErrorKind::ConnectionAborted,
                                    "okta-sim: dropMidBody fault",
                                )),
                                2,
                            ))
                        }
                        _ => None,
                    }
                }
            });
            StreamBody::new(stream).boxed()
        }
        Some(FaultKind::SlowBody { delay_ms }) => {
            if len > 0 {
                headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
            }
            let delay = Duration::from_millis(*delay_ms);
            let stream = futures::stream::unfold(Some(body), move |rest| async move {
                let rest = rest?;
                tokio::time::sleep(delay).await;
                Some((Ok::<_, std::io::Error>(Frame::data(rest)), None))
            });
            StreamBody::new(stream).boxed()
        }
        _ => full(body),
    };
    let mut response = Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}
