//! Integration tests: one binary, the real server against a fresh database and okta-sim.

mod accounts;
mod actions;
mod audit;
mod cache;
mod configuration;
mod conformance;
mod contract;
mod docs;
mod edge;
mod governor;
mod helpers;
mod idempotency;
mod keys;
mod killed_mid_action;
mod leaks;
mod mcp;
mod mcp_idempotency;
mod metrics;
mod module_cycles;
mod okta_oauth;
mod ops;
mod process;
mod service;
