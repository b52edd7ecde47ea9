//! OAuth 2.0 service apps: the token endpoint (`private_key_jwt`, scopes), DPoP, and the
//! API's checks on access tokens. Assertions and proofs are signed with real keys
//! (`tests/keys`, test-only), as Okta's SDKs sign them.

mod api;
mod dpop;
mod token;

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use okta_sim::OAuthClientSeed;
use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{Resp, TestSim, read};

/// The service app every test registers.
pub const CLIENT: &str = "0oaSERVICEAPP0000001";

/// A test key pair: the private PEM signs, the public JWK is registered or sent.
#[derive(Clone, Copy)]
pub struct Key {
    pem: &'static str,
    public: &'static str,
    alg: Algorithm,
    pub kid: &'static str,
}

pub const RSA_A: Key = Key {
    pem: include_str!("../keys/rsa-a.pem"),
    public: include_str!("../keys/rsa-a.pub.json"),
    alg: Algorithm::RS256,
    kid: "rsa-a",
};
pub const RSA_B: Key = Key {
    pem: include_str!("../keys/rsa-b.pem"),
    public: include_str!("../keys/rsa-b.pub.json"),
    alg: Algorithm::RS256,
    kid: "rsa-b",
};
pub const EC_A: Key = Key {
    pem: include_str!("../keys/ec-a.pem"),
    public: include_str!("../keys/ec-a.pub.json"),
    alg: Algorithm::ES256,
    kid: "ec-a",
};
pub const EC_B: Key = Key {
    pem: include_str!("../keys/ec-b.pem"),
    public: include_str!("../keys/ec-b.pub.json"),
    alg: Algorithm::ES256,
    kid: "ec-b",
};

impl Key {
    /// The public JWK with this key's `kid`.
    pub fn jwk(&self) -> Value {
        let mut jwk: Value = serde_json::from_str(self.public).expect("fixture JWK");
        jwk["kid"] = json!(self.kid);
        jwk
    }

    /// `{"keys": [this key]}`.
    pub fn jwks(&self) -> Value {
        json!({ "keys": [self.jwk()] })
    }

    /// A compact JWS of `claims` with `header` (its `alg` set to this key's).
    pub fn sign(&self, mut header: Header, claims: &Value) -> String {
        header.alg = self.alg;
        let key = match self.alg {
            Algorithm::ES256 => EncodingKey::from_ec_pem(self.pem.as_bytes()),
            _ => EncodingKey::from_rsa_pem(self.pem.as_bytes()),
        }
        .expect("fixture PEM");
        jsonwebtoken::encode(&header, claims, &key).expect("signs")
    }
}

pub fn now() -> i64 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    i64::try_from(secs).expect("fits")
}

pub fn jti() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// base64url SHA-256, the form of `ath`.
pub fn hash(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

/// Registers `CLIENT` with `key` and these scopes (SUPER_ADMIN, no DPoP).
pub fn seed(key: Key, scopes: &[&str]) -> OAuthClientSeed {
    OAuthClientSeed::new(CLIENT, key.jwks(), scopes)
}

/// The claims of a fresh, valid client assertion for `CLIENT` at this simulator.
pub fn assertion_claims(t: &TestSim) -> Value {
    let now = now();
    json!({
        "iss": CLIENT,
        "sub": CLIENT,
        "aud": t.url("/oauth2/v1/token"),
        "iat": now,
        "exp": now + 300,
        "jti": jti(),
    })
}

/// A fresh client assertion signed by `key` and naming its `kid`.
pub fn assertion(t: &TestSim, key: Key) -> String {
    let mut header = Header::new(key.alg);
    header.kid = Some(key.kid.to_string());
    key.sign(header, &assertion_claims(t))
}

/// A DPoP proof by `key` for `htm` at `htu`, with an optional nonce and token hash.
pub fn proof(key: Key, htm: &str, htu: &str, nonce: Option<&str>, ath: Option<&str>) -> String {
    let mut header = Header::new(key.alg);
    header.typ = Some("dpop+jwt".into());
    header.jwk = Some(serde_json::from_value::<Jwk>(key.jwk()).expect("JWK"));
    let mut claims = json!({"jti": jti(), "htm": htm, "htu": htu, "iat": now()});
    if let Some(nonce) = nonce {
        claims["nonce"] = json!(nonce);
    }
    if let Some(ath) = ath {
        claims["ath"] = json!(ath);
    }
    key.sign(header, &claims)
}

/// Posts a form to the token endpoint, with a DPoP proof if given.
pub async fn token_request(t: &TestSim, form: &[(&str, &str)], dpop: Option<&str>) -> Resp {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let mut req = t
        .client
        .post(t.url("/oauth2/v1/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body);
    if let Some(proof) = dpop {
        req = req.header("dpop", proof);
    }
    read(req.send().await.expect("token request sent")).await
}

/// The client-credentials form with `assertion` and `scope`.
pub fn form<'a>(assertion: &'a str, scope: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("grant_type", "client_credentials"),
        ("scope", scope),
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        ),
        ("client_assertion", assertion),
    ]
}

/// A Bearer access token for `CLIENT` (signed with `key`) carrying `scope`.
pub async fn bearer_token(t: &TestSim, key: Key, scope: &str) -> String {
    let assertion = assertion(t, key);
    let resp = token_request(t, &form(&assertion, scope), None).await;
    assert_eq!(resp.status, 200, "{}", resp.text);
    resp.json()["access_token"]
        .as_str()
        .expect("access_token")
        .to_string()
}

/// Calls the API with an access token (`Authorization: Bearer …`).
pub async fn call_bearer(
    t: &TestSim,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Resp {
    let mut req = t
        .client
        .request(method, t.url(path))
        .header("authorization", format!("Bearer {token}"));
    req = match body {
        Some(b) => req.json(&b),
        None => req.header("content-length", "0").body(""),
    };
    read(req.send().await.expect("API call sent")).await
}

/// Calls the API with a DPoP-bound token and the given proof (none when `proof` is None).
pub async fn call_dpop(t: &TestSim, token: &str, path: &str, proof: Option<&str>) -> Resp {
    let mut req = t
        .client
        .get(t.url(path))
        .header("authorization", format!("DPoP {token}"));
    if let Some(proof) = proof {
        req = req.header("dpop", proof);
    }
    read(req.send().await.expect("API call sent")).await
}

/// Asserts a token-endpoint error: status, `error` and `error_description`, nothing else.
#[track_caller]
pub fn assert_oauth_error(resp: &Resp, status: u16, error: &str, description: &str) {
    assert_eq!(resp.status, status, "{}", resp.text);
    assert_eq!(
        resp.json(),
        json!({"error": error, "error_description": description})
    );
    assert_eq!(resp.header("content-type"), Some("application/json"));
    assert_eq!(resp.header("cache-control"), Some("no-store"));
}

/// The `WWW-Authenticate` challenge Okta sends for `resource`.
pub fn challenge(
    t: &TestSim,
    scheme: &str,
    scope: Option<&str>,
    error: &str,
    description: &str,
    resource: &str,
) -> String {
    let base = t.base();
    let algs = if scheme == "DPoP" {
        "algs=\"RS256 RS384 RS512 ES256 ES384 ES512\", "
    } else {
        ""
    };
    let scope = scope
        .map(|s| format!("scope=\"{s}\", "))
        .unwrap_or_default();
    format!(
        "{scheme} {algs}authorization_uri=\"{base}/oauth2/v1/authorize\", realm=\"{base}\", {scope}error=\"{error}\", error_description=\"{description}\", resource=\"{resource}\""
    )
}
