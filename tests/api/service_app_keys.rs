//! okta-sim's test-only service-app key pairs (`okta-sim/tests/keys`), for connecting OAuth
//! 2.0 service apps in tests.

use okta_gateway::okta::OAuthApp;
use okta_sim::OAuthClientSeed;
use secrecy::SecretString;
use serde_json::{Value, json};

/// The client id tests register their service app under.
pub const CLIENT: &str = "0oaGATEWAYSERVICE001";

/// A key pair: the private PEM and the public JWK.
pub struct Key {
    pub pem: &'static str,
    pub public: &'static str,
    pub kid: &'static str,
}

pub const RSA_A: Key = Key {
    pem: include_str!("../../okta-sim/tests/keys/rsa-a.pem"),
    public: include_str!("../../okta-sim/tests/keys/rsa-a.pub.json"),
    kid: "rsa-a",
};
pub const RSA_B: Key = Key {
    pem: include_str!("../../okta-sim/tests/keys/rsa-b.pem"),
    public: include_str!("../../okta-sim/tests/keys/rsa-b.pub.json"),
    kid: "rsa-b",
};
pub const EC_A: Key = Key {
    pem: include_str!("../../okta-sim/tests/keys/ec-a.pem"),
    public: include_str!("../../okta-sim/tests/keys/ec-a.pub.json"),
    kid: "ec-a",
};

impl Key {
    /// The app's JWKS in Okta: this key's public half under its kid.
    pub fn jwks(&self) -> Value {
        let mut jwk: Value = serde_json::from_str(self.public).expect("fixture JWK");
        jwk["kid"] = json!(self.kid);
        json!({ "keys": [jwk] })
    }

    /// The app as okta-sim registers it, holding this key and granted `scopes`.
    pub fn seed(&self, client_id: &str, scopes: &[&str]) -> OAuthClientSeed {
        OAuthClientSeed::new(client_id, self.jwks(), scopes)
    }

    /// The app as the Okta client takes it.
    pub fn app(&self, scopes: &[&str]) -> OAuthApp {
        OAuthApp {
            client_id: CLIENT.into(),
            private_key: SecretString::from(self.pem.to_owned()),
            key_id: Some(self.kid.into()),
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    /// The private key as a private JWK with its kid (EC keys only).
    pub fn private_jwk(&self) -> Value {
        use base64::Engine;
        use p256::pkcs8::DecodePrivateKey;
        let secret = p256::SecretKey::from_pkcs8_pem(self.pem).expect("an EC fixture");
        let mut jwk: Value = serde_json::from_str(self.public).expect("fixture JWK");
        jwk["d"] =
            json!(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret.to_bytes()));
        jwk["kid"] = json!(self.kid);
        jwk
    }

    /// The `oauth` member of an account body.
    pub fn account_oauth(&self, client_id: &str, scopes: &[&str]) -> Value {
        json!({"clientId": client_id, "privateKey": self.pem, "keyId": self.kid, "scopes": scopes})
    }
}
