//! The actions, through the HTTP server against okta-sim: the gateway's answer and exactly
//! what Okta received.

mod apps;
mod catalog;
mod factors;
mod groups;
mod logs;
mod support;
mod users;
