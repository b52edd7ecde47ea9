//! The actions, through the HTTP server against okta-sim: the gateway's answer and exactly
//! what Okta received.

mod accounts_test;
mod faults;
