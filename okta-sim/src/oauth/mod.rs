//! Okta's org authorization server for OAuth 2.0 service apps, and the checks the API makes
//! on the access tokens it issues.
//!
//! A service app ([`OAuthClientSeed`]) has a public JWKS, the Okta API scopes granted to it,
//! whether it requires DPoP, and the admin role it holds. It gets access tokens from
//! `POST /oauth2/v1/token` with the client-credentials grant and a `private_key_jwt` client
//! assertion (RFC 7523), optionally bound to a DPoP key (RFC 9449); see `token.rs`. The API
//! then accepts `Authorization: Bearer …` or `DPoP …` besides SSWS tokens (`resource.rs`).
//! Signatures are verified by `jsonwebtoken` (`jose.rs`); nothing here is hand-made crypto.

mod jose;
mod resource;
mod token;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use http::{HeaderValue, StatusCode, header};
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::http::{JSON, Reply};
use crate::roles::AdminRole;
use crate::util;

pub(crate) use resource::{Challenge, Principal, authenticate};
pub(crate) use token::token;

/// Okta's access-token lifetime for service apps (one hour).
pub const DEFAULT_ACCESS_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

/// The path of the org authorization server's token endpoint.
pub(crate) const TOKEN_PATH: &str = "/oauth2/v1/token";

/// A service app to register (`POST /__sim/oauth-clients`, `SimHandle::add_oauth_client`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OAuthClientSeed {
    /// The app's client id (`0oa…` in Okta; any non-empty string here).
    pub client_id: String,
    /// The public keys its client assertions are signed with: `{"keys": [JWK, …]}`, RSA or
    /// EC P-256, public parts only.
    pub jwks: Value,
    /// The Okta API scopes granted to the app (`okta.users.read`, …).
    pub scopes: Vec<String>,
    /// Whether token requests must carry a DPoP proof (Okta's "Require DPoP header").
    #[serde(default)]
    pub require_dpop: bool,
    /// The standard admin role assigned to the app; without one its tokens may call nothing.
    #[serde(default)]
    pub role: Option<AdminRole>,
}

impl OAuthClientSeed {
    /// An app with these keys and scopes, no DPoP and the SUPER_ADMIN role.
    pub fn new(client_id: &str, jwks: Value, scopes: &[&str]) -> Self {
        OAuthClientSeed {
            client_id: client_id.to_string(),
            jwks,
            scopes: scopes.iter().map(|s| (*s).to_string()).collect(),
            require_dpop: false,
            role: Some(AdminRole::SuperAdmin),
        }
    }

    /// Requires DPoP-bound tokens.
    pub fn require_dpop(mut self) -> Self {
        self.require_dpop = true;
        self
    }

    /// Assigns this admin role (`None`: no role at all).
    pub fn role(mut self, role: Option<AdminRole>) -> Self {
        self.role = role;
        self
    }
}

/// A registered service app.
#[derive(Debug, Clone)]
pub(crate) struct Client {
    pub id: String,
    pub keys: Vec<Jwk>,
    pub scopes: Vec<String>,
    pub require_dpop: bool,
    pub role: Option<AdminRole>,
}

impl Client {
    /// Validates a seed: a usable public JWKS and scopes Okta defines.
    pub fn from_seed(seed: OAuthClientSeed) -> Result<Client, String> {
        let id = seed.client_id.trim().to_string();
        if id.is_empty() {
            return Err("clientId must not be empty".into());
        }
        let keys = seed
            .jwks
            .get("keys")
            .and_then(Value::as_array)
            .filter(|k| !k.is_empty())
            .ok_or("jwks must be {\"keys\": [at least one JWK]}")?;
        let mut parsed = Vec::new();
        for key in keys {
            if key.get("d").is_some() {
                return Err("jwks must hold public keys only (a key has 'd')".into());
            }
            let jwk: Jwk = serde_json::from_value(key.clone())
                .map_err(|e| format!("a key of jwks is not a JWK: {e}"))?;
            match &jwk.algorithm {
                AlgorithmParameters::RSA(_) => {}
                AlgorithmParameters::EllipticCurve(ec) if ec.curve == EllipticCurve::P256 => {}
                _ => return Err("jwks keys must be RSA or EC P-256".into()),
            }
            parsed.push(jwk);
        }
        if seed.scopes.is_empty() {
            return Err("scopes must name at least one granted scope".into());
        }
        if let Some(unknown) = seed
            .scopes
            .iter()
            .find(|s| !crate::scopes::is_okta_scope(s))
        {
            return Err(format!("'{unknown}' is not an Okta API scope"));
        }
        Ok(Client {
            id,
            keys: parsed,
            scopes: seed.scopes,
            require_dpop: seed.require_dpop,
            role: seed.role,
        })
    }

    /// The app as the control API shows it (keys by id only).
    pub fn to_json(&self) -> Value {
        json!({
            "clientId": self.id,
            "scopes": self.scopes,
            "requireDpop": self.require_dpop,
            "role": self.role,
            "keyIds": self.keys.iter().map(|k| k.common.key_id.clone()).collect::<Vec<_>>(),
        })
    }
}

/// An access token the token endpoint issued.
#[derive(Debug, Clone)]
pub(crate) struct Issued {
    pub client_id: String,
    pub scopes: Vec<String>,
    pub expires: Instant,
    /// The JWK thumbprint of the DPoP key the token is bound to (`cnf.jkt`), if any.
    pub jkt: Option<String>,
}

/// Settings that tests change (control API `/__sim/oauth`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OAuthSettings {
    pub token_lifetime: Duration,
    /// Whether API calls with a DPoP-bound token must carry the server's current nonce.
    pub api_requires_nonce: bool,
}

/// Every service app, issued token, consumed `jti` and the current DPoP nonce.
#[derive(Debug)]
pub(crate) struct OAuthState {
    clients: HashMap<String, Client>,
    tokens: HashMap<String, Issued>,
    /// Consumed client-assertion ids (`client id`, `jti`) until the assertion expires.
    used_assertions: HashMap<(String, String), i64>,
    /// Consumed DPoP proof ids (thumbprint, `jti`) until the proof is too old anyway.
    used_proofs: HashMap<(String, String), i64>,
    nonce: String,
    pub settings: OAuthSettings,
}

impl Default for OAuthState {
    fn default() -> Self {
        OAuthState {
            clients: HashMap::new(),
            tokens: HashMap::new(),
            used_assertions: HashMap::new(),
            used_proofs: HashMap::new(),
            nonce: new_nonce(),
            settings: OAuthSettings {
                token_lifetime: DEFAULT_ACCESS_TOKEN_LIFETIME,
                api_requires_nonce: false,
            },
        }
    }
}

fn new_nonce() -> String {
    util::random_alnum(32)
}

/// Consumed ids are forgotten once they could not be accepted again anyway; the sweep runs
/// only when the table has grown, so a busy benchmark does not pay for it on every call.
const SWEEP_AT: usize = 10_000;

fn remember(used: &mut HashMap<(String, String), i64>, key: (String, String), until: i64) {
    if used.len() >= SWEEP_AT {
        let now = chrono::Utc::now().timestamp();
        used.retain(|_, until| *until >= now);
    }
    used.insert(key, until);
}

impl OAuthState {
    /// Registers (or replaces) a service app. Tokens it already holds keep their scopes
    /// until they expire, as Okta's self-contained tokens do.
    pub fn add_client(&mut self, client: Client) -> Value {
        let json = client.to_json();
        self.clients.insert(client.id.clone(), client);
        json
    }

    pub fn client(&self, id: &str) -> Option<&Client> {
        self.clients.get(id)
    }

    /// Removes a service app and every token issued to it.
    pub fn remove_client(&mut self, id: &str) -> bool {
        self.tokens.retain(|_, t| t.client_id != id);
        self.clients.remove(id).is_some()
    }

    /// Revokes every issued access token.
    pub fn revoke_tokens(&mut self) {
        self.tokens.clear();
    }

    /// Replaces the DPoP nonce: proofs carrying the old one are asked to retry.
    pub fn rotate_nonce(&mut self) -> String {
        self.nonce = new_nonce();
        self.nonce.clone()
    }
}

/// An error of the token endpoint: `{"error", "error_description"}` (RFC 6749 §5.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OAuthError {
    pub status: StatusCode,
    pub error: &'static str,
    pub description: String,
    /// Sent as `DPoP-Nonce` with `use_dpop_nonce`.
    pub nonce: Option<String>,
}

impl OAuthError {
    fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> Self {
        OAuthError {
            status,
            error,
            description: description.into(),
            nonce: None,
        }
    }

    /// 401 `invalid_client`: the client could not be authenticated.
    fn invalid_client(description: impl Into<String>) -> Self {
        OAuthError::new(StatusCode::UNAUTHORIZED, "invalid_client", description)
    }

    /// 400 with any other error code.
    fn bad_request(error: &'static str, description: impl Into<String>) -> Self {
        OAuthError::new(StatusCode::BAD_REQUEST, error, description)
    }
}

impl From<OAuthError> for Reply {
    fn from(err: OAuthError) -> Reply {
        let mut reply = Reply::json(
            err.status,
            &json!({ "error": err.error, "error_description": err.description }),
        );
        reply
            .headers
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON));
        no_store(&mut reply);
        if let Some(nonce) = err.nonce
            && let Ok(v) = HeaderValue::from_str(&nonce)
        {
            reply.headers.insert("dpop-nonce", v);
        }
        reply
    }
}

/// Token responses must not be cached (RFC 6749 §5.1).
fn no_store(reply: &mut Reply) {
    reply
        .headers
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    reply
        .headers
        .insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}
