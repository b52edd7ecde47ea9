//! Everything that talks to Okta: domain validation, the shared HTTP client, and Okta's errors.

pub mod answer;
pub mod client;
pub mod dns;
pub mod domain;
pub mod errors;
pub mod governor;
pub mod settings;

pub use client::OktaClient;
pub use domain::{DomainPolicy, OktaDomain};
pub use errors::{OktaError, OktaErrorBody};
pub use settings::{OktaSettings, ProxySettings};

/// Where and how to call Okta for one account: its validated host and decrypted token.
pub struct Connection {
    pub name: std::sync::Arc<str>,
    pub domain: OktaDomain,
    pub token: secrecy::SecretString,
    /// The share of each rate-limit window (percent of `Limit`) kept for the org's admins;
    /// `None`: the gateway's default.
    pub rate_limit_reserve: Option<u8>,
    /// `SSWS <token>`, built once per connection rather than for every call.
    authorization: Result<http::HeaderValue, String>,
}

impl Connection {
    pub fn new(
        name: std::sync::Arc<str>,
        domain: OktaDomain,
        token: secrecy::SecretString,
    ) -> Connection {
        Connection {
            authorization: ssws(&token),
            name,
            domain,
            token,
            rate_limit_reserve: None,
        }
    }

    /// The account's own rate-limit reserve, overriding the gateway's default.
    pub fn with_rate_limit_reserve(mut self, percent: Option<u8>) -> Connection {
        self.rate_limit_reserve = percent;
        self
    }

    /// The `Authorization` header value (marked sensitive, so it is never logged).
    pub fn authorization(&self) -> Result<http::HeaderValue, String> {
        self.authorization.clone()
    }
}

fn ssws(token: &secrecy::SecretString) -> Result<http::HeaderValue, String> {
    use secrecy::ExposeSecret;
    let mut value = http::HeaderValue::from_str(&format!("SSWS {}", token.expose_secret()))
        .map_err(|_| "the stored token is not a valid header value".to_owned())?;
    value.set_sensitive(true);
    Ok(value)
}
