//! Everything that talks to Okta: domain validation, the shared HTTP client, and Okta's errors.

pub mod client;
pub mod domain;
pub mod errors;

pub use client::OktaClient;
pub use domain::{DomainPolicy, OktaDomain};
pub use errors::{OktaError, OktaErrorBody};
