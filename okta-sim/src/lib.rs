//! okta-sim: an in-memory Okta org simulator (being built).
