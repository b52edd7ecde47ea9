//! SSWS token checking, the credential an `Authorization` header carries, and the short labels
//! that stand in for tokens in the request log.
//!
//! Tokens never appear in recorded requests: the `Authorization` value is replaced by
//! `SSWS <label>` (or `Bearer <label>`, `DPoP <label>` for OAuth access tokens) where the
//! label is `tok-` plus the first 8 hex digits of the token's SHA-256, stable across runs so
//! tests can tell tokens apart.

use std::collections::HashMap;

use crate::roles::AdminRole;
use crate::util;

/// A short, stable, non-reversible label for a token.
pub fn token_label(token: &str) -> String {
    let hex = util::sha256_hex(token);
    format!("tok-{}", &hex[..8])
}

/// An accepted token: its owner's role and the id Okta shows in
/// `transaction.detail.requestApiTokenId`.
#[derive(Debug, Clone)]
pub(crate) struct TokenInfo {
    pub role: AdminRole,
    pub token_id: String,
}

/// The set of accepted tokens.
#[derive(Debug, Default)]
pub(crate) struct Tokens {
    tokens: HashMap<String, TokenInfo>,
}

impl Tokens {
    /// Accepts `token` for an admin with `role` (replacing the role of a known token).
    pub fn add(&mut self, token: &str, role: AdminRole) {
        self.tokens.insert(
            token.to_string(),
            TokenInfo {
                role,
                token_id: util::derived_id("00T", token),
            },
        );
    }

    pub fn remove(&mut self, token: &str) {
        self.tokens.remove(token);
    }

    pub fn lookup(&self, token: &str) -> Option<&TokenInfo> {
        self.tokens.get(token)
    }
}

/// Extracts the token from `Authorization: SSWS <token>` (scheme case-insensitive).
///
/// The space after the scheme is optional: okta-sdk-python 3.x, Okta's current official
/// Python SDK, sends `Authorization: SSWS<token>` on every request (its `auth_settings`
/// concatenates the mode and the token), and Okta authenticates those requests.
fn ssws_token(header: Option<&str>) -> Option<&str> {
    let value = header?.trim();
    let scheme = value.get(..4)?;
    if !scheme.eq_ignore_ascii_case("SSWS") {
        return None;
    }
    let token = value[4..].trim();
    (!token.is_empty()).then_some(token)
}

/// The credential of an `Authorization` header: an SSWS API token, or an OAuth 2.0 access
/// token presented as a bearer token or bound to a DPoP key (schemes case-insensitive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Credential<'a> {
    Ssws(&'a str),
    Bearer(&'a str),
    Dpop(&'a str),
}

impl<'a> Credential<'a> {
    /// Reads the header; `None` when it is missing, empty or of another scheme.
    pub fn parse(header: Option<&'a str>) -> Option<Self> {
        if let Some(token) = ssws_token(header) {
            return Some(Credential::Ssws(token));
        }
        let (scheme, token) = header?.trim().split_once(' ')?;
        let token = token.trim();
        if token.is_empty() {
            return None;
        }
        if scheme.eq_ignore_ascii_case("Bearer") {
            Some(Credential::Bearer(token))
        } else if scheme.eq_ignore_ascii_case("DPoP") {
            Some(Credential::Dpop(token))
        } else {
            None
        }
    }

    /// The token itself (for its label).
    pub fn token(self) -> &'a str {
        match self {
            Credential::Ssws(t) | Credential::Bearer(t) | Credential::Dpop(t) => t,
        }
    }
}

/// The `Authorization` value as the request log shows it: the credential replaced by its label.
pub(crate) fn redact_authorization(value: &str) -> String {
    if let Some(token) = ssws_token(Some(value)) {
        return format!("SSWS {}", token_label(token));
    }
    match value.trim().split_once(' ') {
        Some((scheme, cred)) => format!("{scheme} {}", token_label(cred.trim())),
        None => token_label(value.trim()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_short_stable_and_distinct() {
        let a = token_label("a");
        assert_eq!(a, token_label("a"));
        assert_ne!(a, token_label("b"));
        assert_eq!(a.len(), 12);
        assert!(a.starts_with("tok-"));
    }

    #[test]
    fn bearer_and_dpop_schemes_carry_access_tokens() {
        assert_eq!(
            Credential::parse(Some("Bearer at-1")),
            Some(Credential::Bearer("at-1"))
        );
        assert_eq!(
            Credential::parse(Some("dpop at-2")),
            Some(Credential::Dpop("at-2"))
        );
        assert_eq!(
            Credential::parse(Some("SSWS abc")),
            Some(Credential::Ssws("abc"))
        );
        assert_eq!(Credential::parse(Some("Basic abc")), None);
        assert_eq!(Credential::parse(Some("Bearer ")), None);
        assert_eq!(
            redact_authorization("DPoP at-2"),
            format!("DPoP {}", token_label("at-2"))
        );
    }

    #[test]
    fn only_the_ssws_scheme_carries_a_token() {
        assert_eq!(ssws_token(Some("SSWS abc")), Some("abc"));
        assert_eq!(ssws_token(Some("ssws abc")), Some("abc"));
        assert_eq!(ssws_token(Some("Bearer abc")), None);
        assert_eq!(ssws_token(Some("SSWS ")), None);
        assert_eq!(ssws_token(Some("SSWS")), None);
        assert_eq!(
            ssws_token(Some("SSWSabc")),
            Some("abc"),
            "okta-sdk-python 3.x"
        );
        assert_eq!(ssws_token(Some("SSW")), None);
        assert_eq!(ssws_token(None), None);
        assert_eq!(
            redact_authorization("SSWS abc"),
            format!("SSWS {}", token_label("abc"))
        );
        assert_eq!(
            redact_authorization("SSWSabc"),
            format!("SSWS {}", token_label("abc"))
        );
        assert_eq!(
            redact_authorization("Bearer abc"),
            format!("Bearer {}", token_label("abc"))
        );
    }
}
