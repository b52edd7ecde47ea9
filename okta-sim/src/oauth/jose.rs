//! JWS checks with `jsonwebtoken`: the signature of a client assertion or DPoP proof, the JWK
//! thumbprint (RFC 7638) a DPoP-bound token is tied to, and the DPoP proof checks of RFC 9449
//! §4.3 that do not depend on server state.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, ThumbprintHash};
use jsonwebtoken::{Algorithm, DecodingKey, Header, Validation};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// How far a DPoP proof's `iat` may lie in the future (clock skew), in seconds.
pub const PROOF_FUTURE_SKEW: i64 = 60;
/// How old a DPoP proof may be, in seconds.
pub const PROOF_MAX_AGE: i64 = 300;

/// The two algorithms the simulator accepts, as Okta's SDKs sign with them.
pub fn supported(alg: Algorithm) -> bool {
    matches!(alg, Algorithm::RS256 | Algorithm::ES256)
}

/// Whether `jwk` is a key of the family `alg` signs with.
pub fn fits(jwk: &Jwk, alg: Algorithm) -> bool {
    match (&jwk.algorithm, alg) {
        (AlgorithmParameters::RSA(_), Algorithm::RS256) => true,
        (AlgorithmParameters::EllipticCurve(ec), Algorithm::ES256) => {
            ec.curve == EllipticCurve::P256
        }
        _ => false,
    }
}

/// base64url (no padding) of SHA-256: the form of `ath` and of JWK thumbprints.
pub fn sha256_b64(input: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(input))
}

/// The RFC 7638 SHA-256 thumbprint of a public key (what `cnf.jkt` holds).
pub fn thumbprint(jwk: &Jwk) -> Option<String> {
    jwk.thumbprint(ThumbprintHash::SHA256).ok()
}

/// The JOSE header as sent, for what `jsonwebtoken::Header` does not keep (a private `d`
/// inside `jwk`).
pub fn raw_header(token: &str) -> Option<Value> {
    let first = token.split('.').next()?;
    let bytes = URL_SAFE_NO_PAD.decode(first).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Verifies the signature of `token` with `jwk` and `validation`, returning its claims.
pub fn verify<T: DeserializeOwned>(
    token: &str,
    jwk: &Jwk,
    validation: &Validation,
) -> Result<T, jsonwebtoken::errors::Error> {
    let key = DecodingKey::from_jwk(jwk)?;
    jsonwebtoken::decode::<T>(token, &key, validation).map(|data| data.claims)
}

/// The claims of a DPoP proof.
#[derive(Debug, Clone, Deserialize)]
pub struct ProofClaims {
    pub jti: Option<String>,
    pub htm: Option<String>,
    pub htu: Option<String>,
    pub iat: Option<i64>,
    pub ath: Option<String>,
    pub nonce: Option<String>,
}

/// A DPoP proof that passed the stateless checks.
#[derive(Debug, Clone)]
pub struct Proof {
    /// Thumbprint of the proof's key.
    pub jkt: String,
    pub jti: String,
    pub ath: Option<String>,
    pub nonce: Option<String>,
}

/// Okta's wording for a bad proof claim or header ("'htu' claim in the DPoP proof JWT is
/// invalid.", as Okta answers an `htu` mismatch).
fn bad(what: &str) -> String {
    format!("{what} in the DPoP proof JWT is invalid.")
}

/// RFC 9449 §4.3 checks 2–11 but the nonce, `ath` and replay: the proof is a JWS of type
/// `dpop+jwt`, signed RS256 or ES256 by the public `jwk` of its header, for method `htm`
/// at `htu` (compared without query and fragment), issued recently. `now` is epoch seconds.
pub fn check_proof(value: &str, htm: &str, htu: &str, now: i64) -> Result<Proof, String> {
    const UNPARSEABLE: &str = "DPoP proof JWT cannot be parsed.";
    let header: Header = jsonwebtoken::decode_header(value).map_err(|_| UNPARSEABLE)?;
    let raw = raw_header(value).ok_or(UNPARSEABLE)?;
    if header.typ.as_deref() != Some("dpop+jwt") {
        return Err(bad("'typ' header"));
    }
    if !supported(header.alg) {
        return Err(bad("'alg' header"));
    }
    let jwk = header
        .jwk
        .as_ref()
        .filter(|jwk| fits(jwk, header.alg) && raw["jwk"].get("d").is_none())
        .ok_or_else(|| bad("'jwk' header"))?;
    let mut validation = Validation::new(header.alg);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    let claims: ProofClaims = verify(value, jwk, &validation).map_err(|e| match e.kind() {
        jsonwebtoken::errors::ErrorKind::InvalidSignature => {
            "DPoP proof JWT signature is invalid.".to_string()
        }
        _ => UNPARSEABLE.to_string(),
    })?;
    let jti = claims
        .jti
        .filter(|j| !j.is_empty())
        .ok_or_else(|| bad("'jti' claim"))?;
    if claims.htm.as_deref() != Some(htm) {
        return Err(bad("'htm' claim"));
    }
    let claimed = claims.htu.as_deref().unwrap_or_default();
    let claimed = claimed.split(['?', '#']).next().unwrap_or_default();
    if claimed != htu {
        return Err(bad("'htu' claim"));
    }
    match claims.iat {
        Some(iat) if iat <= now + PROOF_FUTURE_SKEW && iat >= now - PROOF_MAX_AGE => {}
        _ => return Err(bad("'iat' claim")),
    }
    let jkt = thumbprint(jwk).ok_or_else(|| bad("'jwk' header"))?;
    Ok(Proof {
        jkt,
        jti,
        ath: claims.ath,
        nonce: claims.nonce,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_rfc_7638_example_thumbprint() {
        // RFC 7638 §3.1.
        let jwk: Jwk = serde_json::from_value(json!({
            "kty": "RSA",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
            "e": "AQAB",
            "alg": "RS256",
            "kid": "2011-04-29"
        }))
        .expect("the RFC's key parses");
        assert_eq!(
            thumbprint(&jwk).as_deref(),
            Some("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")
        );
    }

    #[test]
    fn garbage_is_not_a_proof() {
        assert_eq!(
            check_proof("not.a.jwt", "GET", "http://x/", 0)
                .err()
                .as_deref(),
            Some("DPoP proof JWT cannot be parsed.")
        );
    }
}
