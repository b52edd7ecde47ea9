//! Gateway authentication: bearer keys in two scopes, compared in constant time.
//!
//! Keys are held only as SHA-256 digests; a presented key is hashed and compared against every
//! configured digest without early exit. Logs identify a key by a short hash, never the key.

use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use std::sync::Arc;

use axum::response::{IntoResponse, Response};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::{ConditionallySelectable, ConstantTimeEq};

use crate::error::{ApiError, ErrorStatus};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Account management and metrics; may also run actions.
    Admin,
    /// Actions and the catalog.
    Action,
}

/// Who is calling: the key's scope and its short hash for logs.
#[derive(Debug, Clone)]
pub struct Caller {
    pub scope: Scope,
    pub key_hash: KeyHash,
}

/// A short, stable identifier of a key for logs (first 12 hex digits of its SHA-256).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyHash(pub String);

impl std::fmt::Display for KeyHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

pub struct ApiKeys {
    keys: Vec<([u8; 32], Scope)>,
}

impl std::fmt::Debug for ApiKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ApiKeys({} keys)", self.keys.len())
    }
}

fn digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

pub fn key_hash(key: &str) -> KeyHash {
    short_hash(&digest(key))
}

fn short_hash(digest: &[u8; 32]) -> KeyHash {
    KeyHash(crate::crypto::hex(&digest[..6]))
}

impl ApiKeys {
    pub fn new(admin: &[SecretString], action: &[SecretString]) -> ApiKeys {
        let keys = admin
            .iter()
            .map(|k| (digest(k.expose_secret()), Scope::Admin))
            .chain(
                action
                    .iter()
                    .map(|k| (digest(k.expose_secret()), Scope::Action)),
            )
            .collect();
        ApiKeys { keys }
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Identify the caller from an `Authorization: Bearer <key>` value.
    pub fn authenticate(&self, header: Option<&str>) -> Result<Caller, ApiError> {
        let key = header
            .and_then(|h| {
                h.strip_prefix("Bearer ")
                    .or_else(|| h.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .ok_or_else(|| ApiError::new(ErrorStatus::Unauthenticated))?;
        let presented = digest(key);
        // Visit every key, so the time taken does not depend on which (if any) matched.
        let mut found = subtle::Choice::from(0);
        let mut admin = subtle::Choice::from(0);
        for (stored, scope) in &self.keys {
            let hit = stored.ct_eq(&presented);
            found |= hit;
            let is_admin = subtle::Choice::from(u8::from(*scope == Scope::Admin));
            admin.conditional_assign(&is_admin, hit);
        }
        if !bool::from(found) {
            return Err(ApiError::new(ErrorStatus::Unauthenticated));
        }
        Ok(Caller {
            scope: if bool::from(admin) {
                Scope::Admin
            } else {
                Scope::Action
            },
            key_hash: short_hash(&presented),
        })
    }
}

/// Middleware: require a key of scope `needed` (an admin key satisfies every scope).
pub async fn require(
    State((keys, needed)): State<(Arc<ApiKeys>, Scope)>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let header = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let caller = keys.authenticate(header)?;
    let key_hash = caller.key_hash.clone();
    if needed == Scope::Admin && caller.scope != Scope::Admin {
        let mut response = ApiError::new(ErrorStatus::ForbiddenScope).into_response();
        response.extensions_mut().insert(key_hash);
        return Ok(response);
    }
    request.extensions_mut().insert(caller);
    let mut response = next.run(request).await;
    response.extensions_mut().insert(key_hash);
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> ApiKeys {
        ApiKeys::new(
            &[SecretString::from("admin-key-0123456789".to_owned())],
            &[SecretString::from("action-key-0123456789".to_owned())],
        )
    }

    #[test]
    fn keys_are_recognised_with_their_scope() {
        let keys = keys();
        let admin = keys
            .authenticate(Some("Bearer admin-key-0123456789"))
            .unwrap();
        assert_eq!(admin.scope, Scope::Admin);
        let action = keys
            .authenticate(Some("Bearer action-key-0123456789"))
            .unwrap();
        assert_eq!(action.scope, Scope::Action);
        assert_ne!(admin.key_hash, action.key_hash);
        assert!(!admin.key_hash.0.contains("admin"));
    }

    #[test]
    fn missing_malformed_and_wrong_keys_are_unauthenticated() {
        let keys = keys();
        for header in [
            None,
            Some(""),
            Some("Bearer "),
            Some("Basic admin-key-0123456789"),
            Some("admin-key-0123456789"),
            Some("Bearer admin-key-012345678"),
        ] {
            let err = keys.authenticate(header).unwrap_err();
            assert_eq!(err.status, ErrorStatus::Unauthenticated, "{header:?}");
        }
    }
}
