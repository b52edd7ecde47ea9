//! OAuth 2.0 service apps, as Okta's "Implement OAuth for Okta with a service app" guide and
//! RFC 7523 / RFC 9449 describe them: the client credentials grant against the org
//! authorization server authenticated by a private-key JWT, DPoP proofs with server nonces,
//! and one access token per account, cached until shortly before it expires and refreshed
//! single-flight.
//!
//! Nothing here is ever logged or put into an error: not the private key, not an access
//! token, an assertion or a proof.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use p256::elliptic_curve::Generate;
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use percent_encoding::percent_decode_str;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};
use rsa::traits::PublicKeyParts;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::OAuthApp;
use super::answer::{ReadError, read_capped};
use super::errors::{OAuthRefusal, OktaError};

/// The org authorization server's token endpoint.
pub const TOKEN_PATH: &str = "/oauth2/v1/token";
const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// Okta accepts assertions that expire at most an hour ahead; a few minutes is plenty.
const ASSERTION_LIFETIME_SECS: i64 = 300;
/// A token is replaced this long before it expires (or a quarter of its life, if shorter),
/// so a call never leaves with a token about to lapse.
const MAX_EARLY_REFRESH: Duration = Duration::from_secs(60);
/// Okta's tokens live an hour; a longer stated lifetime is not trusted beyond a day.
const MAX_TOKEN_LIFETIME_SECS: u64 = 24 * 3600;
/// Token answers are small; a larger one is not Okta's.
const MAX_TOKEN_ANSWER_BYTES: usize = 64 * 1024;
/// RSA keys shorter than this are refused (Okta requires 2048 bits).
const MIN_RSA_BYTES: usize = 256;

/// Why a private key cannot be used. The text never contains key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct KeyError(&'static str);

/// A service app's private key, ready to sign client assertions (RS256 or ES256).
pub struct ServiceKey {
    key: EncodingKey,
    alg: Algorithm,
    /// The `kid` of a private JWK, used when the account names none.
    jwk_kid: Option<String>,
}

impl ServiceKey {
    /// Read a PKCS#8 PEM (RSA or EC P-256; PKCS#1 and SEC1 PEMs too) or a private JWK.
    pub fn parse(text: &str) -> Result<ServiceKey, KeyError> {
        let text = text.trim();
        if text.starts_with('{') {
            return from_jwk(text);
        }
        if !text.starts_with("-----BEGIN") {
            return Err(KeyError(
                "must be a PEM private key (PKCS#8, RSA or EC P-256) or a private JWK",
            ));
        }
        if let Ok(key) =
            rsa::PrivateKey::from_pkcs8_pem(text).or_else(|_| rsa::PrivateKey::from_pkcs1_pem(text))
        {
            return from_rsa(&key, None);
        }
        if let Ok(key) =
            p256::SecretKey::from_pkcs8_pem(text).or_else(|_| p256::SecretKey::from_sec1_pem(text))
        {
            return from_ec(&key, None);
        }
        Err(KeyError(
            "is not a readable RSA or EC P-256 private key (PEM without a password)",
        ))
    }

    /// The algorithm the key signs with.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// A client assertion (RFC 7523) for `client_id` at the token endpoint `audience`.
    fn assertion(
        &self,
        client_id: &str,
        audience: &str,
        key_id: Option<&str>,
    ) -> Result<String, OktaError> {
        let now = chrono::Utc::now().timestamp();
        let mut header = Header::new(self.alg);
        header.kid = key_id.map(str::to_owned).or_else(|| self.jwk_kid.clone());
        let claims = AssertionClaims {
            iss: client_id,
            sub: client_id,
            aud: audience,
            iat: now,
            exp: now + ASSERTION_LIFETIME_SECS,
            jti: uuid::Uuid::new_v4().to_string(),
        };
        jsonwebtoken::encode(&header, &claims, &self.key)
            .map_err(|_| OktaError::Request("the service app's key could not sign".into()))
    }
}

fn from_rsa(key: &rsa::PrivateKey, kid: Option<String>) -> Result<ServiceKey, KeyError> {
    if key.size() < MIN_RSA_BYTES {
        return Err(KeyError("is an RSA key shorter than 2048 bits"));
    }
    let der = key
        .to_pkcs1_der()
        .map_err(|_| KeyError("is an RSA key that cannot be encoded"))?;
    Ok(ServiceKey {
        key: EncodingKey::from_rsa_der(der.as_bytes()),
        alg: Algorithm::RS256,
        jwk_kid: kid,
    })
}

fn from_ec(key: &p256::SecretKey, kid: Option<String>) -> Result<ServiceKey, KeyError> {
    let der = key
        .to_pkcs8_der()
        .map_err(|_| KeyError("is an EC key that cannot be encoded"))?;
    Ok(ServiceKey {
        key: EncodingKey::from_ec_der(der.as_bytes()),
        alg: Algorithm::ES256,
        jwk_kid: kid,
    })
}

/// The members of a private JWK (RFC 7517/7518) this reads.
#[derive(Deserialize)]
struct PrivateJwk {
    kty: String,
    kid: Option<String>,
    crv: Option<String>,
    n: Option<String>,
    e: Option<String>,
    d: Option<String>,
    p: Option<String>,
    q: Option<String>,
    x: Option<String>,
    y: Option<String>,
}

fn from_jwk(text: &str) -> Result<ServiceKey, KeyError> {
    let jwk: PrivateJwk = serde_json::from_str(text).map_err(|_| KeyError("is not a JWK"))?;
    let bytes = |member: &Option<String>| -> Result<Vec<u8>, KeyError> {
        member
            .as_deref()
            .and_then(|v| URL_SAFE_NO_PAD.decode(v).ok())
            .ok_or(KeyError("is a JWK without its private members"))
    };
    let d = bytes(&jwk.d)?;
    match (jwk.kty.as_str(), jwk.crv.as_deref()) {
        ("RSA", _) => {
            let uint = |b: Vec<u8>| rsa::BoxedUint::from_be_slice_vartime(&b);
            let primes = match (&jwk.p, &jwk.q) {
                (Some(_), Some(_)) => vec![uint(bytes(&jwk.p)?), uint(bytes(&jwk.q)?)],
                // Without the primes, rsa recovers them from n, e and d.
                _ => Vec::new(),
            };
            let key = rsa::PrivateKey::from_components(
                uint(bytes(&jwk.n)?),
                uint(bytes(&jwk.e)?),
                uint(d),
                primes,
            )
            .map_err(|_| KeyError("is an RSA JWK whose members do not form a key"))?;
            from_rsa(&key, jwk.kid)
        }
        ("EC", Some("P-256")) => {
            let key = p256::SecretKey::from_slice(&d)
                .map_err(|_| KeyError("is an EC JWK whose 'd' is not a P-256 key"))?;
            let mut public = vec![4u8];
            public.extend(bytes(&jwk.x)?);
            public.extend(bytes(&jwk.y)?);
            if *key.public_key().to_sec1_bytes() != *public {
                return Err(KeyError("is an EC JWK whose 'x' and 'y' do not match 'd'"));
            }
            from_ec(&key, jwk.kid)
        }
        _ => Err(KeyError("is a JWK that is neither RSA nor EC P-256")),
    }
}

#[derive(Serialize)]
struct AssertionClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    iat: i64,
    exp: i64,
    jti: String,
}

#[derive(Serialize)]
struct ProofClaims<'a> {
    jti: String,
    htm: &'a str,
    htu: &'a str,
    iat: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ath: Option<String>,
}

/// The per-account DPoP key: generated at start, held only in memory.
struct DpopKey {
    key: EncodingKey,
    jwk: Jwk,
}

impl DpopKey {
    fn generate() -> Result<DpopKey, String> {
        let secret = p256::SecretKey::try_generate()
            .map_err(|_| "the system's random source failed".to_owned())?;
        let der = secret
            .to_pkcs8_der()
            .map_err(|_| "the DPoP key cannot be encoded".to_owned())?;
        let key = EncodingKey::from_ec_der(der.as_bytes());
        let jwk = Jwk::from_encoding_key(&key, Algorithm::ES256)
            .map_err(|_| "the DPoP key has no public JWK".to_owned())?;
        Ok(DpopKey { key, jwk })
    }

    /// A proof (RFC 9449 §4.2) for `htm` at `htu`, bound to `access_token` when given.
    fn proof(
        &self,
        htm: &str,
        htu: &str,
        nonce: Option<String>,
        access_token: Option<&SecretString>,
    ) -> Result<HeaderValue, String> {
        let mut header = Header::new(Algorithm::ES256);
        header.typ = Some("dpop+jwt".into());
        header.jwk = Some(self.jwk.clone());
        let claims = ProofClaims {
            jti: uuid::Uuid::new_v4().to_string(),
            htm,
            htu,
            iat: chrono::Utc::now().timestamp(),
            nonce,
            ath: access_token
                .map(|token| URL_SAFE_NO_PAD.encode(Sha256::digest(token.expose_secret()))),
        };
        let proof = jsonwebtoken::encode(&header, &claims, &self.key)
            .map_err(|_| "the DPoP proof could not be signed".to_owned())?;
        sensitive(&proof)
    }
}

fn sensitive(value: &str) -> Result<HeaderValue, String> {
    let mut value =
        HeaderValue::from_str(value).map_err(|_| "not a valid header value".to_owned())?;
    value.set_sensitive(true);
    Ok(value)
}

/// An access token Okta issued to the service app.
pub struct AccessToken {
    value: SecretString,
    /// Bound to the account's DPoP key (`token_type: DPoP`), else a bearer token.
    dpop: bool,
    refresh_at: Instant,
    scopes: Vec<String>,
}

impl AccessToken {
    /// The scopes Okta granted (it drops requested scopes the app was not granted).
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    pub fn is_dpop(&self) -> bool {
        self.dpop
    }
}

/// A fingerprint of everything a token depends on: a change of domain, client, key or scopes
/// gives the account a new token source.
pub fn fingerprint(domain: &str, app: &OAuthApp) -> [u8; 32] {
    let mut hash = Sha256::new();
    for part in [
        domain,
        &app.client_id,
        app.key_id.as_deref().unwrap_or_default(),
        &app.scopes.join(" "),
        app.private_key.expose_secret(),
    ] {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    hash.finalize().into()
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    token_type: String,
    expires_in: u64,
    scope: Option<String>,
}

#[derive(Deserialize)]
struct OAuthErrorAnswer {
    error: String,
    error_description: Option<String>,
}

/// One account's service-app credentials and token: shared by every action of the account.
pub struct TokenSource {
    account: Arc<str>,
    fingerprint: [u8; 32],
    client_id: String,
    key_id: Option<String>,
    scopes: Vec<String>,
    keys: Result<(ServiceKey, DpopKey), String>,
    /// Set once Okta asked for DPoP: every later token request carries a proof.
    use_dpop: AtomicBool,
    /// The last `DPoP-Nonce` Okta gave.
    nonce: Mutex<Option<String>>,
    /// The current token; the lock is held while a new one is requested, so one request
    /// serves every action waiting.
    token: tokio::sync::Mutex<Option<Arc<AccessToken>>>,
}

impl TokenSource {
    /// `account` labels the metrics of its token requests.
    pub fn new(app: &OAuthApp, fingerprint: [u8; 32], account: Arc<str>) -> TokenSource {
        let keys = ServiceKey::parse(app.private_key.expose_secret())
            .map_err(|err| format!("the service app's private key {err}"))
            .and_then(|service| Ok((service, DpopKey::generate()?)));
        TokenSource {
            account,
            fingerprint,
            client_id: app.client_id.clone(),
            key_id: app.key_id.clone(),
            scopes: app.scopes.clone(),
            keys,
            use_dpop: AtomicBool::new(false),
            nonce: Mutex::new(None),
            token: tokio::sync::Mutex::new(None),
        }
    }

    pub fn fingerprint(&self) -> [u8; 32] {
        self.fingerprint
    }

    fn nonce(&self) -> Option<String> {
        self.nonce
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Remember the nonce an answer carries, if any.
    pub fn note_nonce(&self, headers: &HeaderMap) {
        if let Some(nonce) = headers.get("dpop-nonce").and_then(|v| v.to_str().ok()) {
            *self
                .nonce
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(nonce.to_owned());
        }
    }

    /// The cached token, or a new one if it is about to expire; waits at most `patience`.
    pub async fn token(
        &self,
        http: &reqwest::Client,
        origin: &url::Url,
        patience: Duration,
    ) -> Result<Arc<AccessToken>, OktaError> {
        let started = Instant::now();
        let mut slot = tokio::time::timeout(patience, self.token.lock())
            .await
            .map_err(|_| OktaError::Timeout {
                outcome_unknown: false,
            })?;
        if let Some(token) = slot.as_ref().filter(|t| Instant::now() < t.refresh_at) {
            return Ok(token.clone());
        }
        let requested = self
            .request(http, origin, patience.saturating_sub(started.elapsed()))
            .await;
        let outcome = match &requested {
            Ok(_) => "issued",
            Err(OktaError::OAuth { .. }) => "refused",
            Err(_) => "failed",
        };
        metrics::counter!(
            "okta_access_tokens_total",
            "account" => self.account.to_string(),
            "outcome" => outcome
        )
        .increment(1);
        let fresh = Arc::new(requested?);
        *slot = Some(fresh.clone());
        Ok(fresh)
    }

    /// Drop `failed` (Okta said it is invalid or expired) unless another call already
    /// replaced it.
    pub async fn invalidate(&self, failed: &Arc<AccessToken>) {
        let mut slot = self.token.lock().await;
        if slot.as_ref().is_some_and(|t| Arc::ptr_eq(t, failed)) {
            *slot = None;
        }
    }

    /// The `Authorization` and `DPoP` values of one attempt of an API call.
    pub fn authorize(
        &self,
        token: &AccessToken,
        method: &str,
        url: &url::Url,
    ) -> Result<(HeaderValue, Option<HeaderValue>), String> {
        if !token.dpop {
            let bearer = format!("Bearer {}", token.value.expose_secret());
            return Ok((sensitive(&bearer)?, None));
        }
        let (_, dpop) = self.keys.as_ref().map_err(Clone::clone)?;
        // Okta compares `htu` with the percent-decoded path (okta-sdk-python#541).
        let htu = format!(
            "{}{}",
            url.origin().ascii_serialization(),
            percent_decode_str(url.path()).decode_utf8_lossy()
        );
        let proof = dpop.proof(method, &htu, self.nonce(), Some(&token.value))?;
        let authorization = format!("DPoP {}", token.value.expose_secret());
        Ok((sensitive(&authorization)?, Some(proof)))
    }

    /// The client credentials grant: switches to DPoP when Okta asks for it, and repeats
    /// once with the nonce Okta gives (signing a new assertion: Okta used up the first).
    async fn request(
        &self,
        http: &reqwest::Client,
        origin: &url::Url,
        budget: Duration,
    ) -> Result<AccessToken, OktaError> {
        let (service, dpop) = self.keys.as_ref().map_err(|reason| OktaError::OAuth {
            status: 401,
            refusal: OAuthRefusal::Client,
            error: "invalid_client".into(),
            description: Some(reason.clone()),
            scopes: Vec::new(),
        })?;
        let deadline = Instant::now() + budget;
        let url = origin
            .join(TOKEN_PATH)
            .map_err(|_| OktaError::Request("the token endpoint is not a URL".into()))?;
        let mut switched_to_dpop = false;
        let mut nonce_retried = false;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(OktaError::Timeout {
                    outcome_unknown: false,
                });
            }
            let assertion =
                service.assertion(&self.client_id, url.as_str(), self.key_id.as_deref())?;
            let form = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("grant_type", "client_credentials")
                .append_pair("scope", &self.scopes.join(" "))
                .append_pair("client_assertion_type", ASSERTION_TYPE)
                .append_pair("client_assertion", &assertion)
                .finish();
            let mut builder = http
                .post(url.clone())
                .timeout(remaining)
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(form);
            let with_dpop = self.use_dpop.load(Ordering::Acquire);
            if with_dpop {
                let proof = dpop
                    .proof("POST", url.as_str(), self.nonce(), None)
                    .map_err(OktaError::Request)?;
                builder = builder.header("DPoP", proof);
            }
            let response = builder.send().await.map_err(|err| {
                if err.is_timeout() {
                    OktaError::Timeout {
                        outcome_unknown: false,
                    }
                } else {
                    OktaError::Transport {
                        reason: err.without_url().to_string(),
                        outcome_unknown: false,
                    }
                }
            })?;
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            self.note_nonce(&headers);
            let body = read_capped(response, MAX_TOKEN_ANSWER_BYTES)
                .await
                .map_err(|err| match err {
                    ReadError::Timeout => OktaError::Timeout {
                        outcome_unknown: false,
                    },
                    ReadError::TooLarge(_) | ReadError::Broken(_) => OktaError::NotOkta {
                        reason: "the token endpoint's answer could not be read".into(),
                        outcome_unknown: false,
                    },
                })?;
            if status == 200 {
                return self.accept(&body);
            }
            if status == 429 {
                return Err(OktaError::RateLimited {
                    retry_after: super::client::reset_wait(&headers).as_secs().max(1),
                    body: None,
                });
            }
            let Ok(answer) = serde_json::from_slice::<OAuthErrorAnswer>(&body) else {
                return Err(OktaError::NotOkta {
                    reason: format!("the token endpoint answered {status} without an OAuth error"),
                    outcome_unknown: false,
                });
            };
            let description = answer.error_description.unwrap_or_default();
            match answer.error.as_str() {
                "invalid_dpop_proof"
                    if !with_dpop
                        && !switched_to_dpop
                        && description.contains("DPoP proof JWT header is missing") =>
                {
                    self.use_dpop.store(true, Ordering::Release);
                    switched_to_dpop = true;
                }
                "use_dpop_nonce"
                    if with_dpop && !nonce_retried && headers.contains_key("dpop-nonce") =>
                {
                    nonce_retried = true;
                }
                error => {
                    let refusal = refusal_of(error);
                    return Err(OktaError::OAuth {
                        status,
                        refusal,
                        error: error.to_owned(),
                        description: Some(description).filter(|d| !d.is_empty()),
                        scopes: if refusal == OAuthRefusal::Scope {
                            self.scopes.clone()
                        } else {
                            Vec::new()
                        },
                    });
                }
            }
        }
    }

    fn accept(&self, body: &[u8]) -> Result<AccessToken, OktaError> {
        let answer: TokenAnswer = serde_json::from_slice(body).map_err(|_| OktaError::NotOkta {
            reason: "the token endpoint answered 200 without a token".into(),
            outcome_unknown: false,
        })?;
        let dpop = answer.token_type.eq_ignore_ascii_case("DPoP");
        if !dpop && !answer.token_type.eq_ignore_ascii_case("Bearer") {
            return Err(OktaError::NotOkta {
                reason: "the token endpoint answered an unknown token type".into(),
                outcome_unknown: false,
            });
        }
        // Okta narrows a request that mixes granted and ungranted scopes: what it returns is
        // what the token may do.
        let scopes: Vec<String> = match &answer.scope {
            Some(scope) => scope.split_whitespace().map(str::to_owned).collect(),
            None => self.scopes.clone(),
        };
        let missing: Vec<&str> = self
            .scopes
            .iter()
            .filter(|s| !scopes.contains(s))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            tracing::warn!(
                client_id = %self.client_id,
                missing = %missing.join(" "),
                "Okta did not grant every requested scope"
            );
        }
        // Bounded, so an absurd `expires_in` can neither overflow the clock nor pin a token.
        let lifetime = Duration::from_secs(answer.expires_in.min(MAX_TOKEN_LIFETIME_SECS));
        Ok(AccessToken {
            value: SecretString::from(answer.access_token),
            dpop,
            refresh_at: Instant::now() + lifetime - MAX_EARLY_REFRESH.min(lifetime / 4),
            scopes,
        })
    }
}

/// What an OAuth `error` code says about the service app.
fn refusal_of(error: &str) -> OAuthRefusal {
    match error {
        "invalid_scope" | "insufficient_scope" => OAuthRefusal::Scope,
        "invalid_client"
        | "unauthorized_client"
        | "invalid_grant"
        | "invalid_token"
        | "invalid_dpop_proof"
        | "use_dpop_nonce"
        | "access_denied" => OAuthRefusal::Client,
        _ => OAuthRefusal::Other,
    }
}

/// What an API refusal's `WWW-Authenticate` challenge (RFC 6750 §3, RFC 9449 §7.1) asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Challenge {
    /// A new proof with this nonce.
    Nonce,
    /// A new token: this one is invalid or expired.
    NewToken,
    /// Scopes the token lacks (403 `insufficient_scope`, sent without a body).
    Scope(Vec<String>),
    Other,
}

/// Read the challenge of a 401 or 403 API answer.
pub fn challenge(status: u16, headers: &HeaderMap) -> Challenge {
    let header = headers
        .get_all(reqwest::header::WWW_AUTHENTICATE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(", ");
    match (status, challenge_param(&header, "error").as_deref()) {
        (401, Some("use_dpop_nonce")) if headers.contains_key("dpop-nonce") => Challenge::Nonce,
        (401, Some("invalid_token")) => Challenge::NewToken,
        (403, Some("insufficient_scope")) => Challenge::Scope(
            challenge_param(&header, "scope")
                .map(|s| s.split_whitespace().map(str::to_owned).collect())
                .unwrap_or_default(),
        ),
        _ => Challenge::Other,
    }
}

/// An API answer that carries an OAuth refusal rather than Okta's error body: 403
/// `insufficient_scope` without a body, or `{"error", "error_description"}` for a DPoP proof.
pub fn api_refusal(status: u16, headers: &HeaderMap, body: &[u8]) -> Option<OktaError> {
    if let Challenge::Scope(scopes) = challenge(status, headers) {
        return Some(OktaError::OAuth {
            status,
            refusal: OAuthRefusal::Scope,
            error: "insufficient_scope".into(),
            description: Some(
                "The access token provided does not contain the required scopes.".into(),
            ),
            scopes,
        });
    }
    let answer: OAuthErrorAnswer = serde_json::from_slice(body).ok()?;
    Some(OktaError::OAuth {
        status,
        refusal: refusal_of(&answer.error),
        error: answer.error,
        description: answer.error_description,
        scopes: Vec::new(),
    })
}

/// A parameter of a challenge: `name="value"` or `name=token`.
fn challenge_param(header: &str, name: &str) -> Option<String> {
    let mut rest = header;
    while let Some(at) = rest.find('=') {
        let key = rest[..at].rsplit([' ', ',']).next().unwrap_or_default();
        let after = &rest[at + 1..];
        let (value, next) = match after.strip_prefix('"') {
            Some(quoted) => {
                let end = quoted.find('"')?;
                (&quoted[..end], &quoted[end + 1..])
            }
            None => {
                let end = after.find(',').unwrap_or(after.len());
                (after[..end].trim(), &after[end..])
            }
        };
        if key.eq_ignore_ascii_case(name) {
            return Some(value.to_owned());
        }
        rest = next;
    }
    None
}

/// The cheapest read a token with these scopes may make, to prove the connection works (a
/// service app has no user, so `/api/v1/users/me` is not it).
pub fn probe_path(scopes: &[String]) -> Option<&'static str> {
    let has = |family: &str| {
        scopes
            .iter()
            .any(|s| s == &format!("okta.{family}.read") || s == &format!("okta.{family}.manage"))
    };
    [
        ("users", "/api/v1/users"),
        ("groups", "/api/v1/groups"),
        ("apps", "/api/v1/apps"),
        ("logs", "/api/v1/logs"),
    ]
    .into_iter()
    .find(|(family, _)| has(family))
    .map(|(_, path)| path)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RSA_PEM: &str = include_str!("../../okta-sim/tests/keys/rsa-a.pem");
    const EC_PEM: &str = include_str!("../../okta-sim/tests/keys/ec-a.pem");

    #[test]
    fn pkcs8_pems_of_both_kinds_are_read() {
        assert_eq!(
            ServiceKey::parse(RSA_PEM).unwrap().algorithm(),
            Algorithm::RS256
        );
        assert_eq!(
            ServiceKey::parse(EC_PEM).unwrap().algorithm(),
            Algorithm::ES256
        );
    }

    #[test]
    fn garbage_keys_are_refused_without_echoing_them() {
        for bad in [
            "hunter2",
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----",
            r#"{"kty":"oct","k":"c2VjcmV0"}"#,
            r#"{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}"#,
        ] {
            let err = ServiceKey::parse(bad).err().expect("refused");
            assert!(!err.to_string().contains("hunter2"));
        }
    }

    #[test]
    fn an_ec_jwk_must_match_its_public_point() {
        let secret = p256::SecretKey::from_pkcs8_pem(EC_PEM).unwrap();
        let point = secret.public_key().to_sec1_bytes();
        let b64 = |b: &[u8]| URL_SAFE_NO_PAD.encode(b);
        let jwk = |x: &[u8]| {
            serde_json::json!({"kty": "EC", "crv": "P-256", "kid": "k1", "d": b64(&secret.to_bytes()),
                "x": b64(x), "y": b64(&point[33..])})
            .to_string()
        };
        let key = ServiceKey::parse(&jwk(&point[1..33])).unwrap();
        assert_eq!(key.jwk_kid.as_deref(), Some("k1"));
        assert!(ServiceKey::parse(&jwk(&[7u8; 32])).is_err());
    }

    #[test]
    fn an_rsa_jwk_with_or_without_its_primes_is_read() {
        let key = rsa::PrivateKey::from_pkcs8_pem(RSA_PEM).unwrap();
        let b64 = |b: &[u8]| URL_SAFE_NO_PAD.encode(b);
        use rsa::traits::PrivateKeyParts;
        let primes = key.primes();
        let full = serde_json::json!({"kty": "RSA", "n": b64(&key.n_bytes()), "e": b64(&key.e_bytes()),
            "d": b64(&key.d().to_be_bytes_trimmed_vartime()),
            "p": b64(&primes[0].to_be_bytes_trimmed_vartime()), "q": b64(&primes[1].to_be_bytes_trimmed_vartime())});
        assert_eq!(
            ServiceKey::parse(&full.to_string()).unwrap().algorithm(),
            Algorithm::RS256
        );
        let mut bare = full.clone();
        bare.as_object_mut()
            .unwrap()
            .retain(|k, _| !["p", "q"].contains(&k.as_str()));
        assert_eq!(
            ServiceKey::parse(&bare.to_string()).unwrap().algorithm(),
            Algorithm::RS256
        );
        let mut wrong = full;
        wrong["d"] = serde_json::json!(b64(&[3u8; 256]));
        assert!(ServiceKey::parse(&wrong.to_string()).is_err());
    }

    #[test]
    fn challenges_are_read_from_www_authenticate() {
        let headers = |value: &str, nonce: bool| {
            let mut h = HeaderMap::new();
            h.insert(
                reqwest::header::WWW_AUTHENTICATE,
                HeaderValue::from_str(value).unwrap(),
            );
            if nonce {
                h.insert("dpop-nonce", HeaderValue::from_static("n1"));
            }
            h
        };
        let scope = r#"DPoP algs="RS256 ES256", realm="http://x", scope="okta.users.read okta.groups.read", error="insufficient_scope", error_description="The access token provided does not contain the required scopes.""#;
        assert_eq!(
            challenge(403, &headers(scope, false)),
            Challenge::Scope(vec!["okta.users.read".into(), "okta.groups.read".into()])
        );
        let nonce = r#"DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof.""#;
        assert_eq!(challenge(401, &headers(nonce, true)), Challenge::Nonce);
        assert_eq!(challenge(401, &headers(nonce, false)), Challenge::Other);
        let expired = r#"Bearer realm="http://x", error="invalid_token", error_description="The access token is expired.""#;
        assert_eq!(
            challenge(401, &headers(expired, false)),
            Challenge::NewToken
        );
        assert_eq!(challenge(401, &HeaderMap::new()), Challenge::Other);
    }

    #[test]
    fn the_probe_is_a_read_the_scopes_allow() {
        let scopes = |s: &[&str]| s.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            probe_path(&scopes(&["okta.groups.manage"])),
            Some("/api/v1/groups")
        );
        assert_eq!(
            probe_path(&scopes(&["okta.logs.read", "okta.users.read"])),
            Some("/api/v1/users")
        );
        assert_eq!(probe_path(&scopes(&["okta.roles.read"])), None);
    }
}
