//! The API's side of OAuth: which service app an access token speaks for, the DPoP proof a
//! bound token needs on every call (RFC 9449 §7), and the `WWW-Authenticate` challenges
//! Okta answers with.
//!
//! Okta's challenges look like (terraform-provider-okta#2375, okta-sdk-nodejs#453)
//! `DPoP algs="RS256 RS384 RS512 ES256 ES384 ES512", authorization_uri="{org}/oauth2/v1/authorize",
//! realm="{org}", scope="okta.groups.read", error="insufficient_scope",
//! error_description="…", resource="/api/v1/groups"` (the `Bearer` form has no `algs`).

use std::time::Instant;

use http::{HeaderValue, StatusCode, header};
use percent_encoding::percent_decode_str;
use serde_json::json;

use super::OAuthState;
use super::jose::{self, check_proof};
use crate::auth::Credential;
use crate::error::ApiError;
use crate::http::{ApiRequest, JSON, Reply};
use crate::roles::AdminRole;

/// The service app an accepted access token speaks for.
#[derive(Debug, Clone)]
pub(crate) struct Principal {
    pub client_id: String,
    /// The app's admin role now (role assignments apply at call time, not at issue time).
    pub role: Option<AdminRole>,
    pub scopes: Vec<String>,
    /// Whether the token is DPoP-bound (challenges then use the DPoP scheme).
    pub dpop: bool,
}

/// Why the API refused an access token or its proof, as Okta answers: a status and a
/// `WWW-Authenticate` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Challenge {
    pub status: StatusCode,
    pub dpop: bool,
    pub error: &'static str,
    pub description: String,
    pub nonce: Option<String>,
}

impl Challenge {
    fn new(status: StatusCode, dpop: bool, error: &'static str, description: &str) -> Self {
        Challenge {
            status,
            dpop,
            error,
            description: description.to_string(),
            nonce: None,
        }
    }

    fn invalid_token(dpop: bool, description: &str) -> Self {
        Challenge::new(StatusCode::UNAUTHORIZED, dpop, "invalid_token", description)
    }

    /// 400 `invalid_dpop_proof` (okta-sdk-python#541: Okta answers a bad API proof with 400).
    fn invalid_proof(description: &str) -> Self {
        Challenge::new(
            StatusCode::BAD_REQUEST,
            true,
            "invalid_dpop_proof",
            description,
        )
    }

    /// 403 `insufficient_scope`: the token lacks the operation's scopes.
    pub fn insufficient_scope(dpop: bool) -> Self {
        Challenge::new(
            StatusCode::FORBIDDEN,
            dpop,
            "insufficient_scope",
            "The access token provided does not contain the required scopes.",
        )
    }

    /// The reply: `invalid_token` keeps the API's 401 E0000011 body (the same answer as a
    /// bad SSWS token); `insufficient_scope` has no body (okta-sdk-golang#145: only the
    /// header); the DPoP errors also carry `{"error", "error_description"}`, which Okta's
    /// Python SDK reads to retry a `use_dpop_nonce` (its `request_executor`).
    pub fn reply(self, base_url: &str, scope: Option<&str>, resource: &str) -> Reply {
        let mut reply = match self.error {
            "invalid_token" => ApiError::invalid_token().into(),
            "insufficient_scope" => Reply {
                status: self.status,
                headers: http::HeaderMap::new(),
                body: bytes::Bytes::new(),
            },
            _ => {
                let body = json!({ "error": self.error, "error_description": self.description });
                let mut reply = Reply::json(self.status, &body);
                reply
                    .headers
                    .insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON));
                reply
            }
        };
        reply.status = self.status;
        let mut parts = Vec::new();
        if self.dpop {
            parts.push("algs=\"RS256 RS384 RS512 ES256 ES384 ES512\"".to_string());
        }
        parts.push(format!(
            "authorization_uri=\"{base_url}/oauth2/v1/authorize\""
        ));
        parts.push(format!("realm=\"{base_url}\""));
        if let Some(scope) = scope {
            parts.push(format!("scope=\"{scope}\""));
        }
        parts.push(format!("error=\"{}\"", self.error));
        parts.push(format!("error_description=\"{}\"", self.description));
        parts.push(format!("resource=\"{resource}\""));
        let scheme = if self.dpop { "DPoP" } else { "Bearer" };
        if let Ok(v) = HeaderValue::from_str(&format!("{scheme} {}", parts.join(", "))) {
            reply.headers.insert(header::WWW_AUTHENTICATE, v);
        }
        if let Some(nonce) = self.nonce
            && let Ok(v) = HeaderValue::from_str(&nonce)
        {
            reply.headers.insert("dpop-nonce", v);
        }
        reply
    }
}

/// Accepts a `Bearer` or `DPoP` access token (and, for a DPoP-bound token, the request's
/// proof), or says why not. `base_url` is the org URL the proof's `htu` must name.
pub(crate) fn authenticate(
    state: &mut OAuthState,
    req: &ApiRequest,
    credential: Credential<'_>,
    base_url: &str,
) -> Result<Principal, Challenge> {
    let (token, sent_as_dpop) = match credential {
        Credential::Bearer(t) => (t, false),
        Credential::Dpop(t) => (t, true),
        Credential::Ssws(_) => {
            return Err(Challenge::invalid_token(
                false,
                "The access token is invalid.",
            ));
        }
    };
    let Some(issued) = state.tokens.get(token).cloned() else {
        return Err(Challenge::invalid_token(
            sent_as_dpop,
            "The access token is invalid.",
        ));
    };
    let bound = issued.jkt.is_some();
    if Instant::now() >= issued.expires {
        state.tokens.remove(token);
        return Err(Challenge::invalid_token(
            bound,
            "The access token is expired.",
        ));
    }
    let Some(client) = state.client(&issued.client_id).cloned() else {
        return Err(Challenge::invalid_token(
            bound,
            "The access token is invalid.",
        ));
    };
    match (&issued.jkt, sent_as_dpop) {
        (Some(jkt), true) => check_bound_call(state, req, token, jkt, base_url)?,
        (Some(_), false) => {
            return Err(Challenge::invalid_token(
                true,
                "The access token is DPoP-bound and must be sent with the DPoP scheme.",
            ));
        }
        (None, true) => {
            return Err(Challenge::invalid_token(
                false,
                "The access token is not DPoP-bound.",
            ));
        }
        (None, false) => {}
    }
    Ok(Principal {
        client_id: client.id,
        role: client.role,
        scopes: issued.scopes,
        dpop: bound,
    })
}

/// RFC 9449 §7.1: a fresh proof for this method and URL, signed by the token's key, with the
/// token's hash in `ath` and, when asked for, the server's nonce.
fn check_bound_call(
    state: &mut OAuthState,
    req: &ApiRequest,
    token: &str,
    jkt: &str,
    base_url: &str,
) -> Result<(), Challenge> {
    let mut proofs = req.headers.get_all("dpop").iter();
    let value = match (proofs.next(), proofs.next()) {
        (Some(v), None) => v
            .to_str()
            .map_err(|_| Challenge::invalid_proof("DPoP proof JWT cannot be parsed."))?,
        (None, _) => {
            return Err(Challenge::invalid_proof(
                "The DPoP proof JWT header is missing.",
            ));
        }
        (Some(_), Some(_)) => {
            return Err(Challenge::invalid_proof(
                "Only one DPoP proof JWT header is allowed.",
            ));
        }
    };
    // Okta compares `htu` with the decoded request path (okta-sdk-python#541: an `htu` with
    // `%40` for `@` is refused).
    let path = percent_decode_str(&req.raw_path).decode_utf8_lossy();
    let htu = format!("{base_url}{path}");
    let now = chrono::Utc::now().timestamp();
    let proof = check_proof(value, req.method.as_str(), &htu, now)
        .map_err(|d| Challenge::invalid_proof(&d))?;
    if proof.ath.as_deref() != Some(jose::sha256_b64(token.as_bytes()).as_str()) {
        return Err(Challenge::invalid_proof(
            "'ath' claim in the DPoP proof JWT is invalid.",
        ));
    }
    if proof.jkt != jkt {
        return Err(Challenge::invalid_proof(
            "The DPoP proof JWT is not signed by the key the access token is bound to.",
        ));
    }
    let nonce_ok = match proof.nonce.as_deref() {
        Some(nonce) => nonce == state.nonce,
        None => !state.settings.api_requires_nonce,
    };
    if !nonce_ok {
        let mut challenge = Challenge::new(
            StatusCode::UNAUTHORIZED,
            true,
            "use_dpop_nonce",
            "Resource server requires nonce in DPoP proof.",
        );
        challenge.nonce = Some(state.nonce.clone());
        return Err(challenge);
    }
    let key = (proof.jkt, proof.jti);
    if state.used_proofs.contains_key(&key) {
        return Err(Challenge::invalid_proof(
            "'jti' claim in the DPoP proof JWT has already been used.",
        ));
    }
    super::remember(&mut state.used_proofs, key, now + jose::PROOF_MAX_AGE);
    Ok(())
}
