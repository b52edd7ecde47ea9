//! okta-gateway: lets chatbot and agent flows manage an Okta organisation over plain HTTP.
//!
//! `main.rs` only parses the command line; everything else lives here so tests can start the
//! real application.

pub mod accounts;
pub mod actions;
pub mod audit;
pub mod auth;
pub mod cache;
pub mod config;
pub mod crypto;
pub mod error;
pub mod http;
pub mod idempotency;
pub mod mcp_stdio;
pub mod metrics;
pub mod okta;
pub mod params;
pub mod rotation;
pub mod secrets;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;
