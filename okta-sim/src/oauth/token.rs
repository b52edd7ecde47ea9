//! `POST /oauth2/v1/token`: the client-credentials grant of Okta's org authorization server.
//!
//! Checks run in Okta's order: the request's form, then client authentication with the
//! `private_key_jwt` assertion (signature against the app's JWKS, `iss` = `sub` = client id,
//! `aud` = this endpoint, `exp`/`iat`, and `jti`, which is consumed here, so a request that
//! fails later still used it up), then the grant type, then DPoP (a proof is required when
//! the app requires it, and every proof must carry the server's nonce), then the scopes.

use std::collections::HashSet;
use std::time::Instant;

use http::{Method, StatusCode};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};
use serde::Deserialize;
use serde_json::json;

use super::jose::{self, check_proof};
use super::{Client, Issued, OAuthError, OAuthState, TOKEN_PATH, no_store, remember};
use crate::http::{ApiRequest, Reply};
use crate::util;

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// Clock skew allowed on a client assertion's `exp` and `iat`, in seconds.
const ASSERTION_LEEWAY: u64 = 60;
/// The longest an assertion may stay valid (Okta: at most one hour ahead).
const ASSERTION_MAX_LIFETIME: i64 = 3600;

#[derive(Debug, Clone, Deserialize)]
struct AssertionClaims {
    iss: Option<String>,
    exp: Option<i64>,
    iat: Option<i64>,
    jti: Option<String>,
}

/// The form parameters, each at most once (RFC 6749 §3.2).
struct Form(Vec<(String, String)>);

impl Form {
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }
}

fn parse_form(req: &ApiRequest) -> Result<Form, OAuthError> {
    let form_type = req.header("content-type").is_some_and(|ct| {
        ct.to_ascii_lowercase()
            .starts_with("application/x-www-form-urlencoded")
    });
    if !form_type {
        return Err(OAuthError::bad_request(
            "invalid_request",
            "The request must be sent as application/x-www-form-urlencoded.",
        ));
    }
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(&req.body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut seen = HashSet::new();
    if let Some((name, _)) = pairs.iter().find(|(k, _)| !seen.insert(k.as_str())) {
        return Err(OAuthError::bad_request(
            "invalid_request",
            format!("The '{name}' parameter was sent more than once."),
        ));
    }
    Ok(Form(pairs))
}

/// Answers one request to the token endpoint.
pub(crate) fn token(state: &mut OAuthState, req: &ApiRequest, base_url: &str) -> Reply {
    match grant(state, req, base_url) {
        Ok(reply) => reply,
        Err(err) => err.into(),
    }
}

fn grant(state: &mut OAuthState, req: &ApiRequest, base_url: &str) -> Result<Reply, OAuthError> {
    if req.method != Method::POST {
        return Err(OAuthError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "invalid_request",
            "The token endpoint only accepts POST.",
        ));
    }
    let endpoint = format!("{base_url}{TOKEN_PATH}");
    let form = parse_form(req)?;
    let now = chrono::Utc::now().timestamp();
    let client = authenticate_client(state, &form, &endpoint, now)?;

    match form.get("grant_type") {
        None => {
            return Err(OAuthError::bad_request(
                "invalid_request",
                "The grant_type parameter is required.",
            ));
        }
        Some("client_credentials") => {}
        Some(_) => {
            return Err(OAuthError::bad_request(
                "unsupported_grant_type",
                "The authorization grant type is not supported by the authorization server. Configured grant types: [client_credentials].",
            ));
        }
    }

    let jkt = dpop(state, req, &client, &endpoint, now)?;
    let scopes = granted_scopes(&client, form.get("scope"))?;

    let access_token = util::random_alnum(64);
    let lifetime = state.settings.token_lifetime;
    state.tokens.insert(
        access_token.clone(),
        Issued {
            client_id: client.id.clone(),
            scopes: scopes.clone(),
            expires: Instant::now() + lifetime,
            jkt: jkt.clone(),
        },
    );
    let expires_in = lifetime.as_secs() + u64::from(lifetime.subsec_nanos() > 0);
    let mut reply = Reply::ok(&json!({
        "token_type": if jkt.is_some() { "DPoP" } else { "Bearer" },
        "expires_in": expires_in,
        "access_token": access_token,
        "scope": scopes.join(" "),
    }));
    no_store(&mut reply);
    Ok(reply)
}

/// Authenticates the client by its `private_key_jwt` assertion and consumes its `jti`.
fn authenticate_client(
    state: &mut OAuthState,
    form: &Form,
    endpoint: &str,
    now: i64,
) -> Result<Client, OAuthError> {
    let (Some(assertion_type), Some(assertion)) = (
        form.get("client_assertion_type"),
        form.get("client_assertion"),
    ) else {
        return Err(OAuthError::invalid_client(
            "Client Credentials requests to the Org Authorization Server must use the private_key_jwt token_endpoint_auth_method.",
        ));
    };
    if assertion_type != JWT_BEARER {
        return Err(OAuthError::invalid_client(
            "The client_assertion_type is invalid.",
        ));
    }
    const MALFORMED: &str = "The client_assertion JWT is malformed.";
    let header = jsonwebtoken::decode_header(assertion)
        .map_err(|_| OAuthError::invalid_client(MALFORMED))?;
    // The issuer names the client whose keys verify the signature; nothing else is trusted
    // before that.
    let unverified: AssertionClaims = jsonwebtoken::dangerous::insecure_decode(assertion)
        .map_err(|_| OAuthError::invalid_client(MALFORMED))?
        .claims;
    let unknown = || OAuthError::invalid_client("Invalid value for 'client_id' parameter.");
    let client_id = unverified.iss.clone().ok_or_else(unknown)?;
    if form.get("client_id").is_some_and(|id| id != client_id) {
        return Err(unknown());
    }
    let client = state.client(&client_id).cloned().ok_or_else(unknown)?;
    if !jose::supported(header.alg) {
        return Err(OAuthError::invalid_client(
            "The client_assertion JWT is signed with an unsupported algorithm.",
        ));
    }
    let key = select_key(&client, header.kid.as_deref(), header.alg)?;

    let mut validation = Validation::new(header.alg);
    validation.leeway = ASSERTION_LEEWAY;
    validation.set_required_spec_claims(&["exp", "iss", "sub", "aud"]);
    validation.set_audience(&[endpoint]);
    validation.set_issuer(&[&client.id]);
    validation.sub = Some(client.id.clone());
    let claims: AssertionClaims =
        jose::verify(assertion, key, &validation).map_err(|e| assertion_error(e.kind()))?;

    let exp = claims.exp.unwrap_or_default();
    if exp > now + ASSERTION_MAX_LIFETIME + ASSERTION_LEEWAY as i64 {
        return Err(OAuthError::invalid_client(
            "The client_assertion token has an expiration too far in the future.",
        ));
    }
    if claims
        .iat
        .is_some_and(|iat| iat > now + ASSERTION_LEEWAY as i64)
    {
        return Err(OAuthError::invalid_client(
            "The client_assertion token has an 'iat' claim in the future.",
        ));
    }
    if let Some(jti) = claims.jti.filter(|j| !j.is_empty()) {
        let key = (client.id.clone(), jti);
        if state.used_assertions.contains_key(&key) {
            return Err(OAuthError::invalid_client(
                "The client_assertion token has already been used.",
            ));
        }
        remember(
            &mut state.used_assertions,
            key,
            exp + ASSERTION_LEEWAY as i64,
        );
    }
    Ok(client)
}

/// The app's key for this assertion: the one named by `kid`, or its only key of the right
/// type (okta-sdk-python#289: without `kid`, an app with several keys answers "The
/// client_assertion JWT kid is invalid.").
fn select_key<'a>(
    client: &'a Client,
    kid: Option<&str>,
    alg: Algorithm,
) -> Result<&'a jsonwebtoken::jwk::Jwk, OAuthError> {
    let kid_invalid = || OAuthError::invalid_client("The client_assertion JWT kid is invalid.");
    match kid {
        Some(kid) => client
            .keys
            .iter()
            .find(|k| k.common.key_id.as_deref() == Some(kid))
            .ok_or_else(kid_invalid),
        None => {
            let mut fitting = client.keys.iter().filter(|k| jose::fits(k, alg));
            match (fitting.next(), fitting.next()) {
                (Some(key), None) if client.keys.len() == 1 => Ok(key),
                (None, _) => Err(OAuthError::invalid_client(
                    "The client_assertion signature is invalid.",
                )),
                _ => Err(kid_invalid()),
            }
        }
    }
}

fn assertion_error(kind: &ErrorKind) -> OAuthError {
    OAuthError::invalid_client(match kind {
        ErrorKind::InvalidSignature | ErrorKind::InvalidAlgorithm => {
            "The client_assertion signature is invalid.".to_string()
        }
        ErrorKind::ExpiredSignature => "The client_assertion token is expired.".to_string(),
        ErrorKind::ImmatureSignature => "The client_assertion token is not yet valid.".to_string(),
        ErrorKind::InvalidAudience => {
            "The audience claim for client_assertion must be the endpoint invoked for the request."
                .to_string()
        }
        ErrorKind::InvalidIssuer | ErrorKind::InvalidSubject => {
            "The client_assertion token must have the client_id as its 'iss' and 'sub' claims."
                .to_string()
        }
        ErrorKind::MissingRequiredClaim(claim) => {
            format!("The client_assertion token is missing the '{claim}' claim.")
        }
        _ => "The client_assertion JWT is malformed.".to_string(),
    })
}

/// DPoP at the token endpoint: returns the thumbprint the token is bound to, if any.
fn dpop(
    state: &mut OAuthState,
    req: &ApiRequest,
    client: &Client,
    endpoint: &str,
    now: i64,
) -> Result<Option<String>, OAuthError> {
    let invalid = |d: &str| OAuthError::bad_request("invalid_dpop_proof", d);
    let mut proofs = req.headers.get_all("dpop").iter();
    let proof = match (proofs.next(), proofs.next()) {
        (None, _) if client.require_dpop => {
            return Err(invalid("The DPoP proof JWT header is missing."));
        }
        (None, _) => return Ok(None),
        (Some(_), Some(_)) => return Err(invalid("Only one DPoP proof JWT header is allowed.")),
        (Some(value), None) => value
            .to_str()
            .map_err(|_| invalid("DPoP proof JWT cannot be parsed."))?,
    };
    let proof = check_proof(proof, "POST", endpoint, now).map_err(|d| invalid(&d))?;
    if proof.nonce.as_deref() != Some(state.nonce.as_str()) {
        let mut err = OAuthError::bad_request(
            "use_dpop_nonce",
            "Authorization server requires nonce in DPoP proof.",
        );
        err.nonce = Some(state.nonce.clone());
        return Err(err);
    }
    let key = (proof.jkt.clone(), proof.jti);
    if state.used_proofs.contains_key(&key) {
        return Err(invalid(
            "'jti' claim in the DPoP proof JWT has already been used.",
        ));
    }
    remember(&mut state.used_proofs, key, now + jose::PROOF_MAX_AGE);
    Ok(Some(proof.jkt))
}

/// The scopes the token gets: those requested that the app was granted. Okta narrows a
/// request to the granted scopes rather than refusing it (okta-sdk-golang#145,
/// terraform-provider-okta#2375: the token's `scp` lacks the ungranted ones) and refuses
/// only a request with none of them.
fn granted_scopes(client: &Client, requested: Option<&str>) -> Result<Vec<String>, OAuthError> {
    let requested: Vec<&str> = requested.unwrap_or_default().split_whitespace().collect();
    if requested.is_empty() {
        return Err(OAuthError::bad_request(
            "invalid_scope",
            "The authorization server resource does not have any configured default scopes, 'scope' must be provided.",
        ));
    }
    if requested.iter().any(|s| !crate::scopes::is_okta_scope(s)) {
        return Err(OAuthError::bad_request(
            "invalid_scope",
            "Custom scopes are not allowed for this request.",
        ));
    }
    let mut granted: Vec<String> = Vec::new();
    for scope in &requested {
        if client.scopes.iter().any(|g| g == scope) && !granted.iter().any(|g| g == scope) {
            granted.push((*scope).to_string());
        }
    }
    if granted.is_empty() {
        return Err(OAuthError::bad_request(
            "invalid_scope",
            format!(
                "The following scopes are not allowed: {}",
                requested.join(" ")
            ),
        ));
    }
    Ok(granted)
}
