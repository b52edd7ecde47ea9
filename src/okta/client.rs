//! The one shared HTTP client for Okta: rustls (ring), pooled keep-alive connections,
//! redirects disabled so a token is never carried to another host, explicit timeouts.

use std::time::Duration;

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use super::domain::OktaDomain;
use super::errors::{OktaError, OktaErrorBody};
use crate::config::OktaSettings;

pub const USER_AGENT: &str = concat!("okta-gateway/", env!("CARGO_PKG_VERSION"));

#[derive(Clone)]
pub struct OktaClient {
    http: reqwest::Client,
}

impl OktaClient {
    pub fn new(settings: &OktaSettings) -> Result<Self, reqwest::Error> {
        // Idempotent: another component (or a test) may have installed ring already.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .default_headers(headers)
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.request_timeout)
            .pool_idle_timeout(Duration::from_secs(60))
            .tcp_nodelay(true)
            .no_proxy()
            .build()?;
        Ok(OktaClient { http })
    }

    /// Check a token against an org with `GET /api/v1/users/me` (NOTES.md §11). Anything but
    /// a user object or Okta's own 401/403 means the host is not an Okta org.
    pub async fn verify_token(
        &self,
        domain: &OktaDomain,
        token: &SecretString,
    ) -> Result<(), OktaError> {
        let response = self
            .http
            .get(format!("{domain}/api/v1/users/me"))
            .header(AUTHORIZATION, ssws(token)?)
            .header(CONTENT_TYPE, "application/json")
            .send()
            .await
            .map_err(transport_error)?;
        let status = response.status().as_u16();
        let bytes = response.bytes().await.map_err(transport_error)?;
        let json: Option<Value> = serde_json::from_slice(&bytes).ok();
        match (status, json) {
            (200, Some(user)) if user.get("id").is_some_and(Value::is_string) => Ok(()),
            (401 | 403, Some(body)) if body.get("errorCode").is_some() => Err(OktaError::Api {
                status,
                body: serde_json::from_value(body).unwrap_or_default(),
                retry_after: None,
            }),
            (429, Some(body)) => Err(OktaError::Api {
                status,
                body: serde_json::from_value::<OktaErrorBody>(body).unwrap_or_default(),
                retry_after: None,
            }),
            (status, _) => Err(OktaError::NotOkta(format!(
                "GET /api/v1/users/me answered {status} without an Okta user"
            ))),
        }
    }
}

/// The `Authorization` value, marked sensitive so it is never printed by `Debug`.
fn ssws(token: &SecretString) -> Result<HeaderValue, OktaError> {
    let mut value = HeaderValue::from_str(&format!("SSWS {}", token.expose_secret()))
        .map_err(|_| OktaError::NotOkta("the stored token is not a valid header value".into()))?;
    value.set_sensitive(true);
    Ok(value)
}

fn transport_error(err: reqwest::Error) -> OktaError {
    if err.is_timeout() {
        OktaError::Timeout
    } else {
        OktaError::Transport(err.without_url().to_string())
    }
}
