//! The actions, through the HTTP server against okta-sim: the gateway's answer and exactly
//! what Okta received.

mod accounts_test;
mod app_access;
mod apps;
mod catalog;
mod cross_cutting;
mod factors;
mod faults;
mod groups;
mod logs;
mod paging;
mod strict_org;
mod support;
mod users;
