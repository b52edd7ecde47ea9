//! Integration tests: each test starts its own simulator on a random loopback port and
//! talks to it over HTTP, the way the gateway does.

mod app_groups;
mod apps;
mod auth;
mod binary;
mod conformance;
mod control;
mod demo_seed;
mod factors;
mod faults;
mod group_types;
mod groups;
mod helpers;
mod http_plumbing;
mod indexes;
mod large_seed;
mod lifecycle;
mod logs;
mod module_cycles;
mod oauth;
mod paging;
mod profile_sources;
mod rate_limits;
mod request_log;
mod roles;
mod sessions;
mod signins;
mod spec;
mod transitions;
mod users;
