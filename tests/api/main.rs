//! Integration tests: one binary, the real server against a fresh database and okta-sim.

mod accounts;
mod actions;
mod cache;
mod configuration;
mod conformance;
mod contract;
mod docs;
mod edge;
mod helpers;
mod keys;
mod leaks;
mod mcp;
mod metrics;
mod module_cycles;
mod ops;
mod process;
mod service;
