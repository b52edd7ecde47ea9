//! Everything that talks to Okta: domain validation, the shared HTTP client, the OAuth 2.0
//! service-app flow, and Okta's errors.

pub mod answer;
pub mod client;
pub mod dns;
pub mod domain;
pub mod errors;
pub mod governor;
pub mod oauth;
pub mod settings;

pub use client::OktaClient;
pub use domain::{DomainPolicy, OktaDomain};
pub use errors::{OAuthRefusal, OktaError, OktaErrorBody};
pub use settings::{OktaSettings, ProxySettings};

use secrecy::SecretString;

/// How an account authenticates to Okta.
pub enum Credentials {
    /// An SSWS API token.
    ApiToken(SecretString),
    /// An OAuth 2.0 service app.
    OAuth(OAuthApp),
}

/// An OAuth 2.0 service app: its client id, the private key its client assertions are signed
/// with (a PEM or a private JWK), that key's id and the scopes to request.
#[derive(Clone)]
pub struct OAuthApp {
    pub client_id: String,
    pub private_key: SecretString,
    pub key_id: Option<String>,
    pub scopes: Vec<String>,
}

/// Where and how to call Okta for one account: its validated host and decrypted credentials.
pub struct Connection {
    pub name: std::sync::Arc<str>,
    pub domain: OktaDomain,
    pub credentials: Credentials,
    /// The share of each rate-limit window (percent of `Limit`) kept for the org's admins;
    /// `None`: the gateway's default.
    pub rate_limit_reserve: Option<u8>,
    auth: Auth,
}

/// What each call needs from the credentials, worked out once per connection.
enum Auth {
    /// `SSWS <token>`, built once rather than for every call.
    Ssws(Result<http::HeaderValue, String>),
    /// The fingerprint of the service app's settings, which keys its token source.
    OAuth([u8; 32]),
}

impl Connection {
    pub fn new(
        name: std::sync::Arc<str>,
        domain: OktaDomain,
        credentials: Credentials,
    ) -> Connection {
        let auth = match &credentials {
            Credentials::ApiToken(token) => Auth::Ssws(ssws(token)),
            Credentials::OAuth(app) => Auth::OAuth(oauth::fingerprint(domain.as_str(), app)),
        };
        Connection {
            name,
            domain,
            credentials,
            auth,
            rate_limit_reserve: None,
        }
    }

    /// The account's own rate-limit reserve, overriding the gateway's default.
    pub fn with_rate_limit_reserve(mut self, percent: Option<u8>) -> Connection {
        self.rate_limit_reserve = percent;
        self
    }

    /// The `SSWS` `Authorization` header value (marked sensitive, so it is never logged);
    /// `None` for a service app, whose header comes with its token.
    pub fn ssws_authorization(&self) -> Option<Result<http::HeaderValue, String>> {
        match &self.auth {
            Auth::Ssws(value) => Some(value.clone()),
            Auth::OAuth(_) => None,
        }
    }

    /// The scopes an OAuth account's service app was granted; `None` for an API token, which
    /// acts with its admin's rights.
    pub fn granted_scopes(&self) -> Option<&[String]> {
        match &self.credentials {
            Credentials::OAuth(app) => Some(&app.scopes),
            Credentials::ApiToken(_) => None,
        }
    }

    /// The service app's settings and their fingerprint, for an OAuth account.
    pub fn oauth(&self) -> Option<(&OAuthApp, [u8; 32])> {
        match (&self.credentials, &self.auth) {
            (Credentials::OAuth(app), Auth::OAuth(fingerprint)) => Some((app, *fingerprint)),
            _ => None,
        }
    }
}

fn ssws(token: &SecretString) -> Result<http::HeaderValue, String> {
    use secrecy::ExposeSecret;
    let mut value = http::HeaderValue::from_str(&format!("SSWS {}", token.expose_secret()))
        .map_err(|_| "the stored token is not a valid header value".to_owned())?;
    value.set_sensitive(true);
    Ok(value)
}
