//! Small helpers shared by every resource: Okta-style ids, timestamps and random tokens.
//!
//! Okta ids are 20 characters: a 3-character type prefix (`00u` users, `00g` groups, `0oa`
//! apps, `ufs`/`mbl`/`clf`/`emf`/`ost`/`opf` factors) followed by 17 base-62 characters.

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use rand::Rng;
use rand::distr::Alphanumeric;
use sha2::{Digest, Sha256};

/// A new random id with Okta's prefix, always 20 characters long.
pub(crate) fn new_id(prefix: &str) -> String {
    let mut id = String::with_capacity(20);
    id.push_str(prefix);
    id.extend(
        rand::rng()
            .sample_iter(&Alphanumeric)
            .take(20usize.saturating_sub(prefix.len()))
            .map(char::from),
    );
    id
}

/// A random alphanumeric string (activation tokens, temp passwords, error ids).
pub(crate) fn random_alnum(len: usize) -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// Okta's `errorId`: `oae` followed by 22 random characters.
pub(crate) fn error_id() -> String {
    format!("oae{}", random_alnum(22))
}

/// A request id in the shape Okta uses for `X-Okta-Request-Id` (27 URL-safe characters).
pub(crate) fn request_id() -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut rng = rand::rng();
    (0..27)
        .map(|_| char::from(CHARS[rng.random_range(0..CHARS.len())]))
        .collect()
}

/// The current time truncated to milliseconds, the precision Okta reports.
pub(crate) fn now() -> DateTime<Utc> {
    truncate_millis(Utc::now())
}

pub(crate) fn truncate_millis(t: DateTime<Utc>) -> DateTime<Utc> {
    let millis = t.timestamp_millis();
    Utc.timestamp_millis_opt(millis).single().unwrap_or(t)
}

/// `YYYY-MM-DDTHH:mm:ss.SSSZ`, the only timestamp format Okta emits.
pub(crate) fn ts(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Parses a fixed timestamp used by the demo seed; falls back to now if the literal is bad
/// (the literals are constants, so the fallback only guards against typos).
pub(crate) fn parse_ts(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|_| now())
}

/// Lower-case hex of the SHA-256 of `input`.
pub(crate) fn sha256_hex(input: &str) -> String {
    let digest = Sha256::digest(input.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A deterministic Okta-style id derived from a seed string (used for token ids in the log).
pub(crate) fn derived_id(prefix: &str, seed: &str) -> String {
    const CHARS: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let digest = Sha256::digest(seed.as_bytes());
    let mut id = String::from(prefix);
    for b in digest.iter().take(20usize.saturating_sub(prefix.len())) {
        id.push(char::from(CHARS[usize::from(*b) % CHARS.len()]));
    }
    id
}

/// Base32 secret for TOTP enrolment (16 characters of the RFC 4648 alphabet).
pub(crate) fn base32_secret() -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut rng = rand::rng();
    (0..16)
        .map(|_| char::from(CHARS[rng.random_range(0..CHARS.len())]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_twenty_characters_with_the_prefix() {
        let id = new_id("00u");
        assert_eq!(id.len(), 20);
        assert!(id.starts_with("00u"));
        assert_eq!(derived_id("00T", "x").len(), 20);
    }

    #[test]
    fn timestamps_have_millisecond_precision_and_z() {
        let t = parse_ts("2024-01-15T10:30:00Z");
        assert_eq!(ts(&t), "2024-01-15T10:30:00.000Z");
    }
}
