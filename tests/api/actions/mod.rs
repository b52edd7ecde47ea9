//! The actions, through the HTTP server against okta-sim: the gateway's answer and exactly
//! what Okta received.

mod accounts_test;
mod app_access;
mod apps;
mod catalog;
mod cross_cutting;
mod directory;
mod factors;
mod faults;
mod groups;
mod helpdesk;
mod logs;
mod paging;
mod reset_all_factors;
mod scopes;
mod sessions;
mod strict_org;
mod support;
mod users;
