//! Everything that talks to Okta: domain validation, the shared HTTP client, and Okta's errors.

pub mod answer;
pub mod client;
pub mod dns;
pub mod domain;
pub mod errors;
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
}
