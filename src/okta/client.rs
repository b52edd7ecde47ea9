//! The one shared HTTP client for Okta: rustls (ring), pooled keep-alive connections,
//! redirects disabled so a token is never carried to another host, explicit timeouts.
//!
//! A [`Session`] is one action's use of the client: it holds the account's host and token and
//! the action's deadline, limits the calls in flight per account, and applies the retry
//! policy: calls are paced by the rate-limit [`Governor`]; 429s wait for `X-Rate-Limit-Reset`
//! (at most twice), concurrency 429s only a short backoff; 5xx and connection failures are
//! retried only for requests whose repetition cannot change the outcome.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use metrics::SharedString;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use rand::Rng;
use reqwest::Method;
use reqwest::header::{
    ACCEPT, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, DATE, HeaderMap, HeaderValue,
};
use secrecy::SecretString;
use serde_json::Value;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::Connection;
use super::Credentials;
use super::answer::{ReadError, check_outline, read_capped};
use super::dns::GuardedResolver;
use super::domain::OktaDomain;
use super::errors::{OktaError, OktaErrorBody};
use super::governor::{Family, Governor, Observed, WindowView};
use super::oauth::{self, AccessToken, Challenge, TokenSource};
use super::settings::{OktaSettings, ProxySettings};

/// The account label of calls for an account that is not stored yet (a create's token
/// check): it keys no per-account state, and its metrics are counted under it.
pub const UNSTORED_ACCOUNT: &str = "-";

pub const USER_AGENT: &str = concat!("okta-gateway/", env!("CARGO_PKG_VERSION"));

/// How many times a 429 is waited out before giving up.
const MAX_RATE_LIMIT_RETRIES: u32 = 2;
/// How many times an idempotent request is repeated after a 5xx or a broken connection.
const MAX_TRANSIENT_RETRIES: u32 = 2;
/// Bounds, in seconds, on the wait for a rate-limit reset: the real wait is reported, but a
/// bogus reset must not park a flow for days.
const MIN_RESET_WAIT_SECS: i64 = 1;
const MAX_RESET_WAIT_SECS: i64 = 3600;
/// How many times a refusal because the user is still changing (E0000112) is repeated.
const MAX_TRANSITION_RETRIES: u32 = 8;

/// Make rustls use ring for every client in the process (reqwest is built without a provider
/// of its own). Idempotent.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Everything but RFC 3986's unreserved characters is percent-encoded in a path segment, so an
/// id or login can never add a segment, a query or a fragment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// An Okta API path built from fixed parts and encoded values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OktaPath(String);

impl OktaPath {
    /// Start from a fixed path such as `/api/v1/users`.
    pub fn new(fixed: &'static str) -> OktaPath {
        OktaPath(fixed.to_owned())
    }

    /// Append a fixed part such as `lifecycle/suspend`.
    pub fn fixed(mut self, part: &'static str) -> OktaPath {
        self.0.push('/');
        self.0.push_str(part);
        self
    }

    /// Append one value (an id or a login) as one percent-encoded segment. `.` and `..` are
    /// refused: no encoding keeps a URL parser from resolving them.
    pub fn value(mut self, value: &str) -> Result<OktaPath, OktaError> {
        if value.is_empty() || value == "." || value == ".." {
            return Err(OktaError::Request(format!(
                "'{value}' cannot be used as a path segment"
            )));
        }
        self.0.push('/');
        self.0
            .extend(utf8_percent_encode(value, SEGMENT).map(|s| s.to_owned()));
        Ok(self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether a request may be sent again after a 5xx or a broken connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Repeating it cannot change the outcome (GET, membership PUT, second-phase DELETE).
    Idempotent,
    /// It may have taken effect (POST, a user's first-phase DELETE): never repeated once it may
    /// have reached Okta; an unclear failure is reported as `outcomeUnknown`.
    Once,
}

/// One call to Okta.
#[derive(Debug, Clone)]
pub struct OktaRequest {
    pub method: Method,
    pub path: OktaPath,
    pub query: Vec<(&'static str, String)>,
    pub body: Option<Value>,
    pub retry: Retry,
    /// The caller's name for the endpoint, for logs (e.g. `users/{id}/factors`).
    pub operation: &'static str,
    /// Okta's rate-limit bucket, from the method and path: the governor's and the metrics' key.
    pub family: Family,
}

impl OktaRequest {
    pub fn new(method: Method, path: OktaPath, operation: &'static str) -> OktaRequest {
        let retry = if method == Method::GET {
            Retry::Idempotent
        } else {
            Retry::Once
        };
        OktaRequest {
            family: Family::of(&method, path.as_str()),
            method,
            path,
            query: Vec::new(),
            body: None,
            retry,
            operation,
        }
    }

    pub fn get(path: OktaPath, operation: &'static str) -> OktaRequest {
        OktaRequest::new(Method::GET, path, operation)
    }

    pub fn query(mut self, name: &'static str, value: impl ToString) -> OktaRequest {
        self.query.push((name, value.to_string()));
        self
    }

    pub fn json(mut self, body: Value) -> OktaRequest {
        self.body = Some(body);
        self
    }

    pub fn retry(mut self, retry: Retry) -> OktaRequest {
        self.retry = retry;
        self
    }
}

/// Okta's answer, body read whole.
#[derive(Debug)]
pub struct OktaResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl OktaResponse {
    pub fn request_id(&self) -> Option<&str> {
        self.headers
            .get("x-okta-request-id")
            .and_then(|v| v.to_str().ok())
    }

    /// Whether this is a 4xx error answer carrying Okta's `errorCode` `code`.
    fn is_error_code(&self, code: &str) -> bool {
        (400..500).contains(&self.status)
            && serde_json::from_slice::<OktaErrorBody>(&self.body)
                .is_ok_and(|body| body.error_code.as_deref() == Some(code))
    }

    /// The body as JSON; a body that is not JSON means the host is not behaving as Okta.
    pub fn json(&self) -> Result<Value, OktaError> {
        if self.body.is_empty() {
            return Ok(Value::Object(Default::default()));
        }
        serde_json::from_slice(&self.body).map_err(|_| OktaError::NotOkta {
            reason: format!("a {} answer with a body that is not JSON", self.status),
            outcome_unknown: false,
        })
    }
}

/// The shared client, cheap to clone.
#[derive(Clone)]
pub struct OktaClient {
    http: reqwest::Client,
    request_timeout: Duration,
    action_deadline: Duration,
    max_in_flight: usize,
    queue: usize,
    max_response_bytes: usize,
    in_flight: Arc<Mutex<HashMap<Arc<str>, Arc<Limiter>>>>,
    /// Each OAuth account's token source (its cached token and DPoP key), kept across
    /// connections so a re-read account keeps its token.
    tokens: Arc<Mutex<HashMap<Arc<str>, Arc<TokenSource>>>>,
    governor: Arc<Governor>,
}

/// One account's share of Okta: `max_in_flight` calls at once, and a bounded queue of calls
/// waiting for a slot, so a burst waits instead of being refused.
struct Limiter {
    slots: Arc<Semaphore>,
    waiting: AtomicUsize,
    queue: usize,
}

impl Limiter {
    fn new(max_in_flight: usize, queue: usize) -> Limiter {
        Limiter {
            slots: Arc::new(Semaphore::new(max_in_flight)),
            waiting: AtomicUsize::new(0),
            queue,
        }
    }

    /// A slot, waiting at most `patience`; `None` when the queue is full or the wait ran out.
    async fn acquire(&self, patience: Duration) -> Option<OwnedSemaphorePermit> {
        if let Ok(permit) = self.slots.clone().try_acquire_owned() {
            return Some(permit);
        }
        let queued = self
            .waiting
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.queue).then_some(n + 1)
            });
        if queued.is_err() {
            return None;
        }
        let permit = tokio::time::timeout(patience, self.slots.clone().acquire_owned()).await;
        self.waiting.fetch_sub(1, Ordering::AcqRel);
        permit.ok().and_then(Result::ok)
    }
}

impl OktaClient {
    pub fn new(settings: &OktaSettings) -> Result<Self, reqwest::Error> {
        install_crypto_provider();
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        let builder = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .default_headers(headers)
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(settings.connect_timeout)
            .pool_idle_timeout(Duration::from_secs(60))
            .tcp_nodelay(true)
            .dns_resolver(Arc::new(GuardedResolver::new(
                &settings.dns_overrides,
                settings.allow_insecure_loopback,
            )))
            // Only the configured proxy: the client never reads the environment by itself.
            .no_proxy();
        let http = match &settings.proxy {
            Some(proxy) => with_proxy(builder, proxy)?,
            None => builder,
        }
        .build()?;
        Ok(OktaClient {
            http,
            request_timeout: settings.request_timeout,
            action_deadline: settings.action_deadline,
            max_in_flight: settings.max_in_flight_per_account,
            queue: settings.queue_per_account,
            max_response_bytes: settings.max_response_bytes,
            in_flight: Arc::default(),
            tokens: Arc::default(),
            governor: Arc::new(Governor::new(settings.rate_limit_reserve_percent)),
        })
    }

    /// Start one action's use of Okta for an account; the deadline starts now.
    pub fn session(&self, connection: Arc<Connection>) -> Session {
        // A check for an account not stored yet gets a limiter of its own: nothing per name
        // is kept for an account that may never exist.
        let limiter = if *connection.name == *UNSTORED_ACCOUNT {
            Arc::new(Limiter::new(self.max_in_flight, self.queue))
        } else {
            self.in_flight
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .entry(connection.name.clone())
                .or_insert_with(|| Arc::new(Limiter::new(self.max_in_flight, self.queue)))
                .clone()
        };
        let auth = match (connection.ssws_authorization(), connection.oauth()) {
            (Some(ssws), _) => SessionAuth::Ssws(ssws),
            (None, Some((app, fingerprint))) => {
                SessionAuth::OAuth(self.token_source(&connection.name, app, fingerprint))
            }
            (None, None) => SessionAuth::Ssws(Err("the account has no credentials".into())),
        };
        Session {
            client: self.clone(),
            auth,
            connection,
            deadline: Instant::now() + self.action_deadline,
            limiter,
            request_ids: Mutex::new(Vec::new()),
        }
    }

    /// The account's token source, a new one if its service-app settings changed.
    fn token_source(
        &self,
        account: &Arc<str>,
        app: &super::OAuthApp,
        fingerprint: [u8; 32],
    ) -> Arc<TokenSource> {
        if **account == *UNSTORED_ACCOUNT {
            return Arc::new(TokenSource::new(app, fingerprint, account.clone()));
        }
        let mut tokens = self
            .tokens
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match tokens.get(account) {
            Some(source) if source.fingerprint() == fingerprint => source.clone(),
            _ => {
                let source = Arc::new(TokenSource::new(app, fingerprint, account.clone()));
                tokens.insert(account.clone(), source.clone());
                source
            }
        }
    }

    /// Drop a deleted account's in-flight limiter and token: per-account state lives only as
    /// long as the account (sessions still running keep their own handle on it).
    pub fn forget(&self, account: &str) {
        self.in_flight
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(account);
        self.tokens
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(account);
        self.governor.forget(account);
    }

    /// Check an account's credentials against its org: an API token with
    /// [`OktaClient::verify_token`]; a service app by obtaining a token and making the
    /// cheapest read its granted scopes allow. Returns the granted scopes (none for a token).
    pub async fn verify(&self, connection: Arc<Connection>) -> Result<Vec<String>, OktaError> {
        if let Credentials::ApiToken(token) = &connection.credentials {
            self.verify_token(&connection.name, &connection.domain, token)
                .await?;
            return Ok(Vec::new());
        }
        let session = self.session(connection);
        let scopes = session
            .access_token()
            .await?
            .map_or_else(Vec::new, |t| t.scopes().to_vec());
        if let Some(path) = oauth::probe_path(&scopes) {
            let family = path.rsplit('/').next().unwrap_or("other");
            session
                .call(&OktaRequest::get(OktaPath::new(path), family).query("limit", 1))
                .await?;
        }
        Ok(scopes)
    }

    /// This process's latest view of an account's rate-limit windows.
    pub fn rate_limits(&self, account: &str) -> Vec<WindowView> {
        self.governor.view(account)
    }

    /// Check a token against an org with `GET /api/v1/users/me` (NOTES.md §11). Anything but a
    /// user object or Okta's own refusal means the host is not an Okta org.
    pub async fn verify_token(
        &self,
        account: &str,
        domain: &OktaDomain,
        token: &SecretString,
    ) -> Result<(), OktaError> {
        let session = self.session(Arc::new(Connection::new(
            Arc::from(account),
            domain.clone(),
            Credentials::ApiToken(token.clone()),
        )));
        let response = session
            .send(&OktaRequest::get(
                OktaPath::new("/api/v1/users/me"),
                "users",
            ))
            .await?;
        let json = response.json().ok();
        match (response.status, json) {
            (200, Some(user)) if user.get("id").is_some_and(Value::is_string) => Ok(()),
            (status, Some(body)) if status >= 400 && body.get("errorCode").is_some() => {
                Err(OktaError::Api {
                    status,
                    body: serde_json::from_value(body).unwrap_or_default(),
                    outcome_unknown: false,
                })
            }
            (status, _) => Err(OktaError::NotOkta {
                reason: format!("GET /api/v1/users/me answered {status} without an Okta user"),
                outcome_unknown: false,
            }),
        }
    }
}

/// One action's calls to one account's org.
pub struct Session {
    client: OktaClient,
    connection: Arc<Connection>,
    auth: SessionAuth,
    deadline: Instant,
    limiter: Arc<Limiter>,
    request_ids: Mutex<Vec<String>>,
}

impl Session {
    pub fn account(&self) -> &str {
        &self.connection.name
    }

    pub fn domain(&self) -> &OktaDomain {
        &self.connection.domain
    }

    /// Okta's request ids of every call made so far, for the audit log line.
    pub fn request_ids(&self) -> Vec<String> {
        self.request_ids
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    /// A service app's current access token (requested if there is none or it is about to
    /// expire); `None` for an API token.
    pub async fn access_token(&self) -> Result<Option<Arc<AccessToken>>, OktaError> {
        let SessionAuth::OAuth(source) = &self.auth else {
            return Ok(None);
        };
        let origin = self
            .connection
            .domain
            .url()
            .ok_or_else(|| OktaError::Request("the stored domain is not a URL".into()))?;
        source
            .token(&self.client.http, origin, self.remaining())
            .await
            .map(Some)
    }

    /// Send a request, applying the retry policy, and return Okta's answer whatever its status
    /// (except a 429 that could not be waited out, which is an error).
    pub async fn send(&self, request: &OktaRequest) -> Result<OktaResponse, OktaError> {
        let mut url = self
            .connection
            .domain
            .url()
            .cloned()
            .ok_or_else(|| OktaError::Request("the stored domain is not a URL".into()))?;
        url.set_path(request.path.as_str());
        if url.path() != request.path.as_str() {
            // Defence in depth: the URL parser must not have rewritten the encoded path.
            return Err(OktaError::Request("the request path was normalised".into()));
        }
        if !request.query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(request.query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        let mut rate_limit_retries = 0;
        let mut transient_retries = 0;
        let mut transition_retries = 0;
        let mut first_429: Option<String> = None;
        let (mut nonce_retried, mut token_retried) = (false, false);
        // Whether an earlier attempt may have taken effect although its answer was lost.
        let mut maybe_applied = false;
        let result = loop {
            let token = match self.access_token().await {
                Ok(token) => token,
                Err(err) => break Err(err),
            };
            let attempt = self
                .attempt(
                    request,
                    &url,
                    token.as_deref(),
                    first_429.as_deref(),
                    rate_limit_retries,
                )
                .await;
            maybe_applied |= match &attempt {
                Ok(response) => response.status >= 500,
                Err(failure) => matches!(failure, Failure::Broken(_) | Failure::Timeout),
            };
            if let (SessionAuth::OAuth(source), Ok(response)) = (&self.auth, &attempt) {
                source.note_nonce(&response.headers);
            }
            // A refused token or proof changed nothing at Okta: any request may be repeated
            // once with a new proof (the nonce Okta gave) or a new token.
            if let (SessionAuth::OAuth(source), Some(token), Ok(response)) =
                (&self.auth, &token, &attempt)
            {
                match oauth::challenge(response.status, &response.headers) {
                    Challenge::Nonce if !nonce_retried => {
                        nonce_retried = true;
                        self.count_retry(request, "dpop_nonce");
                        continue;
                    }
                    Challenge::NewToken if !token_retried => {
                        token_retried = true;
                        source.invalidate(token).await;
                        self.count_retry(request, "access_token");
                        continue;
                    }
                    _ => {}
                }
            }
            match attempt {
                // A repeated DELETE that finds nothing: the lost attempt did the delete.
                Ok(response)
                    if response.status == 404
                        && maybe_applied
                        && request.method == Method::DELETE =>
                {
                    tracing::info!(
                        account = %self.connection.name,
                        family = request.family.as_str(),
                        operation = request.operation,
                        "a repeated DELETE found nothing: the earlier attempt deleted it"
                    );
                    break Ok(OktaResponse {
                        status: 204,
                        headers: response.headers,
                        body: Bytes::new(),
                    });
                }
                // A factor's resend throttle (30 s per phone) is no rate-limit window: waiting
                // for a reset and sending the SMS again would not help.
                Ok(response)
                    if response.status == 429
                        && (response.is_error_code("E0000109")
                            || response.is_error_code("E0000133")) =>
                {
                    break Ok(response);
                }
                // Too many calls at once, not an exhausted window: a short backoff, not the reset.
                Ok(response)
                    if response.status == 429
                        && Observed::from_headers(&response.headers) == Observed::Concurrency =>
                {
                    first_429 = first_429.or_else(|| response.request_id().map(str::to_owned));
                    rate_limit_retries += 1;
                    if rate_limit_retries > MAX_RATE_LIMIT_RETRIES
                        || !self.backoff(rate_limit_retries).await
                    {
                        break Err(OktaError::RateLimited {
                            retry_after: 1,
                            body: serde_json::from_slice(&response.body).ok(),
                        });
                    }
                    self.count_retry(request, "concurrency");
                }
                Ok(response) if response.status == 429 => {
                    let wait = reset_wait(&response.headers);
                    first_429 = first_429.or_else(|| response.request_id().map(str::to_owned));
                    if rate_limit_retries < MAX_RATE_LIMIT_RETRIES && wait < self.remaining() {
                        rate_limit_retries += 1;
                        self.count_retry(request, "rate_limit");
                        tracing::info!(
                            account = %self.connection.name,
                            family = request.family.as_str(),
                            operation = request.operation,
                            wait_ms = wait.as_millis() as u64,
                            "Okta rate limit: waiting for the reset"
                        );
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    break Err(OktaError::RateLimited {
                        retry_after: wait.as_secs().max(1),
                        body: serde_json::from_slice(&response.body).ok(),
                    });
                }
                // Okta refused, changing nothing, because the user is still being activated or
                // changed: any request may be repeated once the transition is over.
                Ok(response)
                    if transition_retries < MAX_TRANSITION_RETRIES
                        && response.is_error_code("E0000112") =>
                {
                    transition_retries += 1;
                    if !self.backoff(transition_retries).await {
                        break Ok(response);
                    }
                    self.count_retry(request, "user_in_transition");
                }
                Ok(response)
                    if response.status >= 500
                        && request.retry == Retry::Idempotent
                        && transient_retries < MAX_TRANSIENT_RETRIES =>
                {
                    transient_retries += 1;
                    if !self.backoff(transient_retries).await {
                        break Ok(response);
                    }
                    self.count_retry(request, "server_error");
                }
                Ok(response) => break Ok(response),
                Err(Failure::NotSent(reason)) if transient_retries < MAX_TRANSIENT_RETRIES => {
                    // The request never left: repeating it is safe for every method.
                    transient_retries += 1;
                    if !self.backoff(transient_retries).await {
                        break Err(OktaError::Transport {
                            reason,
                            outcome_unknown: false,
                        });
                    }
                    self.count_retry(request, "connection");
                }
                Err(Failure::NotSent(reason)) => {
                    break Err(OktaError::Transport {
                        reason,
                        outcome_unknown: false,
                    });
                }
                Err(failure)
                    if request.retry == Retry::Idempotent
                        && transient_retries < MAX_TRANSIENT_RETRIES
                        && !matches!(
                            failure,
                            Failure::Shed | Failure::NotOkta(_) | Failure::Held(_)
                        ) =>
                {
                    transient_retries += 1;
                    if !self.backoff(transient_retries).await {
                        break Err(failure.into_error(request.retry));
                    }
                    self.count_retry(request, "connection");
                }
                Err(failure) => break Err(failure.into_error(request.retry)),
            }
        };
        // An idempotent write whose last answer was lost may have taken effect all the same.
        result.map_err(|err| {
            if maybe_applied && request.method != Method::GET {
                err.with_outcome_unknown()
            } else {
                err
            }
        })
    }

    /// Wait before a repeat: jittered exponential backoff, unless it would pass the deadline.
    async fn backoff(&self, attempt: u32) -> bool {
        let base = 100u64 << attempt.min(5);
        let wait = Duration::from_millis(base + rand::rng().random_range(0..base));
        if wait >= self.remaining() {
            return false;
        }
        tokio::time::sleep(wait).await;
        true
    }

    /// One attempt, measured: calls by status, latency, 429s, sheds and the last
    /// `X-Rate-Limit-Remaining` per account and endpoint family.
    async fn attempt(
        &self,
        request: &OktaRequest,
        url: &url::Url,
        token: Option<&AccessToken>,
        retry_for: Option<&str>,
        retry_count: u32,
    ) -> Result<OktaResponse, Failure> {
        let started = Instant::now();
        let result = self
            .send_once(request, url, token, retry_for, retry_count)
            .await;
        let account = SharedString::from(self.connection.name.clone());
        let labels = [
            ("account", account.clone()),
            ("family", SharedString::const_str(request.family.as_str())),
        ];
        let status = match &result {
            Ok(response) => response.status,
            Err(Failure::Shed) => {
                metrics::counter!("okta_calls_shed_total", "account" => account).increment(1);
                return result;
            }
            Err(Failure::Invalid(_) | Failure::Held(_)) => return result,
            Err(_) => 0,
        };
        metrics::histogram!("okta_request_duration_seconds", &labels)
            .record(started.elapsed().as_secs_f64());
        metrics::counter!(
            "okta_requests_total",
            &[
                ("account", account),
                ("family", SharedString::const_str(request.family.as_str())),
                ("status", crate::metrics::status_label(status)),
            ]
        )
        .increment(1);
        if let Ok(response) = &result {
            if response.status == 429 {
                metrics::counter!("okta_rate_limited_total", &labels).increment(1);
            }
            if *self.connection.name != *UNSTORED_ACCOUNT {
                self.client.governor.record(
                    &self.connection.name,
                    request.family,
                    Observed::from_headers(&response.headers),
                    Instant::now(),
                );
            }
        }
        result
    }

    fn count_retry(&self, request: &OktaRequest, reason: &'static str) {
        metrics::counter!(
            "okta_retries_total",
            "account" => self.connection.name.clone(),
            "family" => request.family.as_str(),
            "reason" => reason
        )
        .increment(1);
    }

    /// The `Authorization` (and, for a DPoP-bound token, `DPoP`) values of one attempt.
    fn authorization(
        &self,
        request: &OktaRequest,
        url: &url::Url,
        token: Option<&AccessToken>,
    ) -> Result<(HeaderValue, Option<HeaderValue>), String> {
        match (&self.auth, token) {
            (SessionAuth::Ssws(value), _) => Ok((value.clone()?, None)),
            (SessionAuth::OAuth(source), Some(token)) => {
                source.authorize(token, request.method.as_str(), url)
            }
            (SessionAuth::OAuth(_), None) => Err("no access token".into()),
        }
    }

    async fn send_once(
        &self,
        request: &OktaRequest,
        url: &url::Url,
        token: Option<&AccessToken>,
        retry_for: Option<&str>,
        retry_count: u32,
    ) -> Result<OktaResponse, Failure> {
        let remaining = self.remaining();
        if remaining.is_zero() {
            return Err(Failure::NoTimeLeft);
        }
        // An account not stored yet keeps no windows: its name is shared by every create.
        if *self.connection.name != *UNSTORED_ACCOUNT {
            self.client
                .governor
                .pace(
                    &self.connection.name,
                    request.family,
                    self.connection.rate_limit_reserve,
                    self.deadline,
                )
                .await
                .map_err(Failure::Held)?;
        }
        let Some(_permit) = self.limiter.acquire(remaining).await else {
            return Err(Failure::Shed);
        };
        let remaining = self.remaining();
        if remaining.is_zero() {
            return Err(Failure::NoTimeLeft);
        }
        // A fresh proof per attempt: Okta refuses a proof it has seen.
        let (authorization, proof) = self
            .authorization(request, url, token)
            .map_err(Failure::Invalid)?;
        let mut builder = self
            .client
            .http
            .request(request.method.clone(), url.clone())
            .timeout(remaining.min(self.client.request_timeout))
            .header(AUTHORIZATION, authorization)
            .header(CONTENT_TYPE, "application/json");
        if let Some(proof) = proof {
            builder = builder.header("DPoP", proof);
        }
        if let Some(first) = retry_for {
            builder = builder
                .header("X-Okta-Retry-For", first)
                .header("X-Okta-Retry-Count", retry_count.to_string());
        }
        builder = match &request.body {
            Some(body) => {
                builder.body(serde_json::to_vec(body).map_err(|e| Failure::Invalid(e.to_string()))?)
            }
            // Okta answers 411 to a body-less POST or PUT without Content-Length: 0.
            None if request.method == Method::POST || request.method == Method::PUT => {
                builder.header(CONTENT_LENGTH, "0").body(Vec::new())
            }
            None => builder,
        };
        let response = builder.send().await.map_err(|err| {
            // A connect timeout is both: nothing was sent, so it is a connect failure.
            if err.is_connect() {
                Failure::NotSent(err.without_url().to_string())
            } else if err.is_timeout() {
                Failure::Timeout
            } else {
                Failure::Broken(err.without_url().to_string())
            }
        })?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        if let Some(id) = headers
            .get("x-okta-request-id")
            .and_then(|v| v.to_str().ok())
        {
            self.request_ids
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .push(id.to_owned());
        }
        let body = read_capped(response, self.client.max_response_bytes)
            .await
            .map_err(|err| match err {
                ReadError::TooLarge(cap) => {
                    Failure::NotOkta(format!("the answer is larger than {cap} bytes"))
                }
                ReadError::Timeout => Failure::Timeout,
                ReadError::Broken(reason) => Failure::Broken(reason),
            })?;
        if (200..300).contains(&status) {
            check_outline(&body).map_err(|reason| Failure::NotOkta(reason.to_owned()))?;
        }
        Ok(OktaResponse {
            status,
            headers,
            body,
        })
    }

    /// Send and require a 2xx answer; an error status becomes an [`OktaError`].
    pub async fn call(&self, request: &OktaRequest) -> Result<OktaResponse, OktaError> {
        let response = self.send(request).await?;
        if (200..300).contains(&response.status) {
            return Ok(response);
        }
        // Only a 4xx is a clear refusal; any other failed answer to a request that may have
        // taken effect leaves its outcome unknown.
        let outcome_unknown =
            request.retry == Retry::Once && !(400..500).contains(&response.status);
        match serde_json::from_slice::<OktaErrorBody>(&response.body) {
            Ok(body) if body.error_code.is_some() => Err(OktaError::Api {
                status: response.status,
                body,
                outcome_unknown,
            }),
            // A service app's refusals come in OAuth's shape (a 403 for a missing scope has
            // no body at all).
            _ if matches!(self.auth, SessionAuth::OAuth(_))
                && (400..500).contains(&response.status) =>
            {
                Err(
                    oauth::api_refusal(response.status, &response.headers, &response.body)
                        .unwrap_or_else(|| OktaError::NotOkta {
                            reason: format!(
                                "{} answered without an Okta error body",
                                response.status
                            ),
                            outcome_unknown,
                        }),
                )
            }
            _ => Err(OktaError::NotOkta {
                reason: format!("{} answered without an Okta error body", response.status),
                outcome_unknown,
            }),
        }
    }

    /// Send, require a 2xx answer and parse its JSON body. A 2xx whose body is not JSON to a
    /// request that may have taken effect leaves its outcome unknown.
    pub async fn call_json(&self, request: &OktaRequest) -> Result<Value, OktaError> {
        self.call(request).await?.json().map_err(|err| match err {
            OktaError::NotOkta { reason, .. } => OktaError::NotOkta {
                reason,
                outcome_unknown: request.retry == Retry::Once,
            },
            other => other,
        })
    }
}

/// How a session's calls authenticate.
enum SessionAuth {
    Ssws(Result<HeaderValue, String>),
    OAuth(Arc<TokenSource>),
}

/// Why one attempt failed, before the retry policy decides.
enum Failure {
    /// The connection was never made: nothing reached Okta.
    NotSent(String),
    /// The connection broke after the request may have been sent.
    Broken(String),
    Timeout,
    /// The deadline passed before anything was sent.
    NoTimeLeft,
    /// Too many calls in flight for this account.
    Shed,
    /// The family's window is down to the reserve until after the deadline: the wait.
    Held(Duration),
    Invalid(String),
    /// The answer is too large or not shaped like Okta's: repeating the call would not help.
    NotOkta(String),
}

impl Failure {
    fn into_error(self, retry: Retry) -> OktaError {
        let outcome_unknown = retry == Retry::Once;
        match self {
            Failure::NotSent(reason) => OktaError::Transport {
                reason,
                outcome_unknown: false,
            },
            Failure::Broken(reason) => OktaError::Transport {
                reason,
                outcome_unknown,
            },
            Failure::Timeout => OktaError::Timeout { outcome_unknown },
            Failure::NoTimeLeft => OktaError::Timeout {
                outcome_unknown: false,
            },
            Failure::Shed => OktaError::InFlightLimit,
            Failure::Held(wait) => OktaError::RateLimited {
                retry_after: wait.as_secs_f64().ceil().max(1.0) as u64,
                body: None,
            },
            Failure::Invalid(reason) => OktaError::Request(reason),
            Failure::NotOkta(reason) => OktaError::NotOkta {
                reason,
                outcome_unknown,
            },
        }
    }
}

/// How long to wait for a rate-limit reset: `X-Rate-Limit-Reset` against Okta's own `Date`
/// (not the local clock), plus a second, clamped to [1 s, 1 h].
pub(super) fn reset_wait(headers: &HeaderMap) -> Duration {
    let reset = headers
        .get("x-rate-limit-reset")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok());
    let now = headers
        .get(DATE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| chrono::DateTime::parse_from_rfc2822(v).ok())
        .map_or_else(|| chrono::Utc::now().timestamp(), |d| d.timestamp());
    let secs = reset.map_or(MIN_RESET_WAIT_SECS, |reset| reset - now + 1);
    Duration::from_secs(secs.clamp(MIN_RESET_WAIT_SECS, MAX_RESET_WAIT_SECS) as u64)
}

/// Route Okta calls through the egress proxy (the proxy then resolves Okta's host names).
fn with_proxy(
    mut builder: reqwest::ClientBuilder,
    proxy: &ProxySettings,
) -> Result<reqwest::ClientBuilder, reqwest::Error> {
    let no_proxy = || {
        proxy
            .no_proxy
            .as_deref()
            .and_then(reqwest::NoProxy::from_string)
    };
    if let Some(url) = &proxy.https {
        builder = builder.proxy(reqwest::Proxy::https(url.as_str())?.no_proxy(no_proxy()));
    }
    if let Some(url) = &proxy.http {
        builder = builder.proxy(reqwest::Proxy::http(url.as_str())?.no_proxy(no_proxy()));
    }
    Ok(builder)
}

/// The `Authorization` value, marked sensitive so it is never printed by `Debug`.
#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_limiter_queues_up_to_its_bound_and_only_within_the_patience() {
        let limiter = Arc::new(Limiter::new(1, 1));
        let held = limiter.acquire(Duration::ZERO).await.expect("a free slot");
        // The wait would pass the deadline: no slot.
        assert!(limiter.acquire(Duration::from_millis(20)).await.is_none());
        assert_eq!(limiter.waiting.load(Ordering::Acquire), 0);
        // One call waits; a second finds the queue full at once.
        let waiter = {
            let limiter = limiter.clone();
            tokio::spawn(async move { limiter.acquire(Duration::from_secs(5)).await.is_some() })
        };
        while limiter.waiting.load(Ordering::Acquire) == 0 {
            tokio::task::yield_now().await;
        }
        let started = Instant::now();
        assert!(limiter.acquire(Duration::from_secs(5)).await.is_none());
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "refused at once"
        );
        drop(held);
        assert!(
            waiter.await.expect("the waiter"),
            "served once the slot is free"
        );
        assert_eq!(limiter.waiting.load(Ordering::Acquire), 0);
    }

    #[test]
    fn values_are_one_encoded_segment() {
        let path = |v: &str| {
            OktaPath::new("/api/v1/users")
                .value(v)
                .map(|p| p.fixed("lifecycle/suspend").0)
        };
        assert_eq!(
            path("00ub0oNGTSWTBKOLGLNR").unwrap(),
            "/api/v1/users/00ub0oNGTSWTBKOLGLNR/lifecycle/suspend"
        );
        assert_eq!(
            path("a+b@x.io").unwrap(),
            "/api/v1/users/a%2Bb%40x.io/lifecycle/suspend"
        );
        assert_eq!(
            path("a/b").unwrap(),
            "/api/v1/users/a%2Fb/lifecycle/suspend"
        );
        assert_eq!(
            path("x?y").unwrap(),
            "/api/v1/users/x%3Fy/lifecycle/suspend"
        );
        assert_eq!(
            path("a#b").unwrap(),
            "/api/v1/users/a%23b/lifecycle/suspend"
        );
        assert_eq!(
            path("%2e%2e").unwrap(),
            "/api/v1/users/%252e%252e/lifecycle/suspend"
        );
        assert!(path("..").is_err());
        assert!(path(".").is_err());
        assert!(path("").is_err());
    }

    #[test]
    fn the_reset_wait_uses_okta_date_and_is_clamped() {
        let headers = |reset: i64| {
            let mut h = HeaderMap::new();
            h.insert(
                DATE,
                HeaderValue::from_static("Sat, 28 Nov 2026 15:00:00 GMT"),
            );
            h.insert(
                "x-rate-limit-reset",
                HeaderValue::from_str(&reset.to_string()).unwrap(),
            );
            h
        };
        let date = 1_795_878_000; // 2026-11-28T15:00:00Z
        assert_eq!(reset_wait(&headers(date + 4)), Duration::from_secs(5));
        assert_eq!(reset_wait(&headers(date - 100)), Duration::from_secs(1));
        assert_eq!(reset_wait(&headers(date + 120)), Duration::from_secs(121));
        assert_eq!(reset_wait(&headers(date + 7200)), Duration::from_secs(3600));
        assert_eq!(reset_wait(&HeaderMap::new()), Duration::from_secs(1));
    }
}
