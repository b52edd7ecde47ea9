//! The operational fault suite (issue 10): database faults, probes under load, hostile
//! upstreams, forged log lines, per-account state, protocol errors and DNS for extra hosts.
//! Faults are real: a gateway process, a TCP proxy in front of Postgres, a SQLite file locked
//! and removed, a fake Okta on loopback. Every case is bounded to a few seconds.

mod logs;

