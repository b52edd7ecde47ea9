//! The Okta client with OAuth 2.0 service apps, driven directly (`okta_gateway::okta`)
//! against okta-sim's authorization server: private-key JWT with RSA and EC keys, DPoP and its
//! nonces, the cached single-flight token, expiry, revocation and scopes.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use okta_gateway::error::{ApiError, ErrorStatus};
use okta_gateway::okta::client::{OktaPath, OktaRequest};
use okta_gateway::okta::{
    Connection, Credentials, OAuthApp, OAuthRefusal, OktaClient, OktaDomain, OktaError,
    OktaSettings,
};
use okta_sim::{OAuthClientSeed, OktaSim, RecordedRequest, SimConfig, SimHandle};
use secrecy::SecretString;
use serde_json::Value;

use crate::service_app_keys::{CLIENT, EC_A, RSA_A, RSA_B};

struct Org {
    sim: OktaSim,
    client: OktaClient,
}

impl Org {
    async fn start() -> Org {
        let sim = OktaSim::start(SimConfig::default()).await.expect("sim");
        let client = OktaClient::new(&OktaSettings {
            extra_hosts: Vec::new(),
            allow_insecure_loopback: true,
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(20),
            action_deadline: Duration::from_secs(30),
            max_in_flight_per_account: 100,
            max_response_bytes: 10 << 20,
            dns_overrides: Vec::new(),
            queue_per_account: 100,
            proxy: None,
            rate_limit_reserve_percent: 10,
        })
        .expect("client");
        Org { sim, client }
    }

    fn handle(&self) -> SimHandle {
        self.sim.handle()
    }

    fn register(&self, seed: OAuthClientSeed) {
        self.handle().add_oauth_client(seed).expect("registered");
    }

    fn connection(&self, app: OAuthApp) -> Arc<Connection> {
        Arc::new(Connection::new(
            Arc::from("acme"),
            OktaDomain::from_stored(self.sim.base_url()),
            Credentials::OAuth(app),
        ))
    }

    async fn get(
        &self,
        connection: &Arc<Connection>,
        path: &'static str,
    ) -> Result<Value, OktaError> {
        let family = path.rsplit('/').next().unwrap_or("other");
        self.client
            .session(connection.clone())
            .call_json(&OktaRequest::get(OktaPath::new(path), family).query("limit", 2))
            .await
    }

    fn token_requests(&self) -> Vec<RecordedRequest> {
        self.sent()
            .into_iter()
            .filter(|r| r.path == "/oauth2/v1/token")
            .collect()
    }

    fn api_requests(&self) -> Vec<RecordedRequest> {
        self.sent()
            .into_iter()
            .filter(|r| r.path.starts_with("/api/"))
            .collect()
    }

    fn sent(&self) -> Vec<RecordedRequest> {
        self.handle().requests()
    }
}

fn header<'a>(request: &'a RecordedRequest, name: &str) -> Option<&'a str> {
    request
        .headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// The form fields of a token request.
fn form(request: &RecordedRequest) -> Vec<(String, String)> {
    url::form_urlencoded::parse(request.body.as_deref().unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

fn field(request: &RecordedRequest, name: &str) -> String {
    form(request)
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v)
        .unwrap_or_default()
}

/// The decoded header and claims of a compact JWS.
fn jws(token: &str) -> (Value, Value) {
    let mut parts = token.split('.');
    let mut part = || {
        let bytes = URL_SAFE_NO_PAD.decode(parts.next().unwrap()).unwrap();
        serde_json::from_slice::<Value>(&bytes).unwrap()
    };
    (part(), part())
}

#[tokio::test]
async fn an_rsa_service_app_gets_one_bearer_token_for_many_calls() {
    let org = Org::start().await;
    org.register(OAuthClientSeed::new(
        CLIENT,
        RSA_A.jwks(),
        &["okta.users.read"],
    ));
    let connection = org.connection(RSA_A.app(&["okta.users.read"]));
    for _ in 0..3 {
        let users = org.get(&connection, "/api/v1/users").await.expect("users");
        assert_eq!(users.as_array().map(Vec::len), Some(2));
    }
    // A connection built again for the same account (a cache miss) keeps the token.
    let again = org.connection(RSA_A.app(&["okta.users.read"]));
    org.get(&again, "/api/v1/users").await.expect("users");

    let tokens = org.token_requests();
    assert_eq!(tokens.len(), 1, "one token for every call");
    let request = &tokens[0];
    assert_eq!(request.status, 200);
    assert_eq!(field(request, "grant_type"), "client_credentials");
    assert_eq!(field(request, "scope"), "okta.users.read");
    assert_eq!(
        field(request, "client_assertion_type"),
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    );
    assert!(header(request, "dpop").is_none());
    let (jose, claims) = jws(&field(request, "client_assertion"));
    assert_eq!(jose["alg"], "RS256");
    assert_eq!(jose["kid"], "rsa-a");
    assert_eq!(claims["iss"], CLIENT);
    assert_eq!(claims["sub"], CLIENT);
    assert_eq!(
        claims["aud"],
        format!("{}/oauth2/v1/token", org.sim.base_url())
    );
    let lifetime = claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap();
    assert!((1..=300).contains(&lifetime), "a short-lived assertion");
    assert!(!claims["jti"].as_str().unwrap_or_default().is_empty());

    let api = org.api_requests();
    assert_eq!(api.len(), 4);
    for call in &api {
        assert_eq!(call.status, 200);
        assert!(
            header(call, "authorization")
                .unwrap()
                .starts_with("Bearer ")
        );
        assert!(header(call, "dpop").is_none());
    }
}

#[tokio::test]
async fn an_ec_service_app_that_requires_dpop_gets_a_bound_token_through_the_nonce_dance() {
    let org = Org::start().await;
    org.register(
        OAuthClientSeed::new(
            CLIENT,
            EC_A.jwks(),
            &["okta.users.read", "okta.groups.read"],
        )
        .require_dpop(),
    );
    let connection = org.connection(EC_A.app(&["okta.users.read", "okta.groups.read"]));
    org.get(&connection, "/api/v1/users").await.expect("users");
    org.get(&connection, "/api/v1/groups")
        .await
        .expect("groups");

    // No proof → "header is missing"; a proof → the nonce; a proof with the nonce → the token.
    let tokens = org.token_requests();
    let statuses: Vec<u16> = tokens.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [400, 400, 200]);
    assert!(header(&tokens[0], "dpop").is_none());
    let (first_proof_header, first_proof) = jws(header(&tokens[1], "dpop").expect("a proof"));
    assert_eq!(first_proof_header["typ"], "dpop+jwt");
    assert_eq!(first_proof_header["alg"], "ES256");
    assert!(
        first_proof_header["jwk"].get("d").is_none(),
        "only the public key"
    );
    assert_eq!(first_proof["htm"], "POST");
    assert_eq!(
        first_proof["htu"],
        format!("{}/oauth2/v1/token", org.sim.base_url())
    );
    assert!(first_proof.get("nonce").is_none());
    let (_, second_proof) = jws(header(&tokens[2], "dpop").expect("a proof"));
    assert!(
        second_proof["nonce"]
            .as_str()
            .is_some_and(|n| !n.is_empty())
    );
    assert_ne!(first_proof["jti"], second_proof["jti"]);
    // Okta used up each assertion: every request signed a new one.
    let jtis: std::collections::HashSet<String> = tokens
        .iter()
        .map(|r| jws(&field(r, "client_assertion")).1["jti"].to_string())
        .collect();
    assert_eq!(jtis.len(), 3);

    let api = org.api_requests();
    assert_eq!(api.len(), 2);
    let mut proof_ids = std::collections::HashSet::new();
    for call in &api {
        assert_eq!(call.status, 200);
        assert!(header(call, "authorization").unwrap().starts_with("DPoP "));
        let (_, proof) = jws(header(call, "dpop").expect("a proof per call"));
        assert_eq!(proof["htm"], "GET");
        assert_eq!(proof["htu"], format!("{}{}", org.sim.base_url(), call.path));
        assert!(proof["ath"].as_str().is_some_and(|a| a.len() == 43));
        proof_ids.insert(proof["jti"].to_string());
    }
    assert_eq!(proof_ids.len(), 2, "a fresh proof per call");
}

#[tokio::test]
async fn a_new_nonce_demanded_by_the_api_is_met_by_one_repeat() {
    let org = Org::start().await;
    org.register(OAuthClientSeed::new(CLIENT, EC_A.jwks(), &["okta.users.read"]).require_dpop());
    let connection = org.connection(EC_A.app(&["okta.users.read"]));
    org.get(&connection, "/api/v1/users").await.expect("users");
    let handle = org.handle();
    handle.set_api_requires_dpop_nonce(true);
    let nonce = handle.rotate_dpop_nonce();
    handle.clear_requests();

    org.get(&connection, "/api/v1/users")
        .await
        .expect("users after the nonce");
    let api = org.api_requests();
    assert_eq!(api.iter().map(|r| r.status).collect::<Vec<_>>(), [401, 200]);
    let (_, retried) = jws(header(&api[1], "dpop").unwrap());
    assert_eq!(retried["nonce"], nonce.as_str());
    assert!(org.token_requests().is_empty(), "the token stays");
}

#[tokio::test]
async fn fifty_concurrent_calls_share_one_token_request() {
    let org = Org::start().await;
    org.register(OAuthClientSeed::new(CLIENT, RSA_A.jwks(), &["okta.users.read"]).require_dpop());
    let connection = org.connection(RSA_A.app(&["okta.users.read"]));
    let calls = (0..50).map(|_| org.get(&connection, "/api/v1/users"));
    for result in futures::future::join_all(calls).await {
        result.expect("users");
    }
    let granted: Vec<_> = org
        .token_requests()
        .into_iter()
        .filter(|r| r.status == 200)
        .collect();
    assert_eq!(granted.len(), 1, "one token for fifty waiting calls");
    assert_eq!(
        org.token_requests().len(),
        3,
        "the DPoP and nonce answers once, not per call"
    );
    let api = org.api_requests();
    assert_eq!(api.len(), 50);
    assert!(api.iter().all(|r| r.status == 200));
}

#[tokio::test]
async fn a_token_is_replaced_when_it_expires_or_okta_revokes_it() {
    let org = Org::start().await;
    let handle = org.handle();
    handle.set_access_token_lifetime(Duration::from_secs(2));
    org.register(OAuthClientSeed::new(
        CLIENT,
        EC_A.jwks(),
        &["okta.users.read"],
    ));
    let connection = org.connection(EC_A.app(&["okta.users.read"]));
    org.get(&connection, "/api/v1/users").await.expect("users");
    org.get(&connection, "/api/v1/users").await.expect("users");
    assert_eq!(org.token_requests().len(), 1);
    // Past its expiry the token is replaced before use.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    org.get(&connection, "/api/v1/users").await.expect("users");
    assert_eq!(org.token_requests().len(), 2);
    assert!(org.api_requests().iter().all(|r| r.status == 200));

    // A token Okta no longer honours is replaced once and the call repeated.
    handle.set_access_token_lifetime(Duration::from_secs(3600));
    handle.revoke_access_tokens();
    handle.clear_requests();
    org.get(&connection, "/api/v1/users")
        .await
        .expect("users after revocation");
    assert_eq!(
        org.api_requests()
            .iter()
            .map(|r| r.status)
            .collect::<Vec<_>>(),
        [401, 200]
    );
    assert_eq!(org.token_requests().len(), 1);
}

#[tokio::test]
async fn a_deleted_service_app_is_an_authentication_failure_naming_its_settings() {
    let org = Org::start().await;
    org.register(OAuthClientSeed::new(
        CLIENT,
        RSA_A.jwks(),
        &["okta.users.read"],
    ));
    let connection = org.connection(RSA_A.app(&["okta.users.read"]));
    org.get(&connection, "/api/v1/users").await.expect("users");
    assert!(org.handle().remove_oauth_client(CLIENT));
    org.handle().clear_requests();

    let err = org
        .get(&connection, "/api/v1/users")
        .await
        .expect_err("refused");
    assert!(
        matches!(&err, OktaError::OAuth { status: 401, refusal: OAuthRefusal::Client, error, .. } if error == "invalid_client"),
        "{err:?}"
    );
    // The old token was refused once, a new one was asked for once, and nothing more.
    assert_eq!(
        org.api_requests()
            .iter()
            .map(|r| r.status)
            .collect::<Vec<_>>(),
        [401]
    );
    assert_eq!(org.token_requests().len(), 1);
    let public = ApiError::from(err);
    assert_eq!(public.status, ErrorStatus::AuthenticationFailure);
    assert_eq!(public.http_status().as_u16(), 401);
    assert!(
        public
            .message
            .contains("Invalid value for 'client_id' parameter.")
    );
    assert!(public.how_to_fix().contains("service app"));
}

#[tokio::test]
async fn a_key_the_service_app_does_not_hold_is_an_authentication_failure() {
    let org = Org::start().await;
    org.register(OAuthClientSeed::new(
        CLIENT,
        RSA_A.jwks(),
        &["okta.users.read"],
    ));
    let mut app = RSA_B.app(&["okta.users.read"]);
    app.key_id = Some(RSA_A.kid.into());
    let err = org
        .get(&org.connection(app), "/api/v1/users")
        .await
        .expect_err("refused");
    let public = ApiError::from(err);
    assert_eq!(public.status, ErrorStatus::AuthenticationFailure);
    assert!(
        public
            .message
            .contains("The client_assertion signature is invalid.")
    );
    assert!(org.api_requests().is_empty(), "no API call without a token");
}

#[tokio::test]
async fn okta_narrows_the_scopes_and_a_call_outside_them_is_denied_naming_the_scope() {
    let org = Org::start().await;
    org.register(OAuthClientSeed::new(
        CLIENT,
        EC_A.jwks(),
        &["okta.users.read"],
    ));
    let connection = org.connection(EC_A.app(&["okta.users.read", "okta.groups.read"]));
    let session = org.client.session(connection.clone());
    let token = session
        .access_token()
        .await
        .expect("a token")
        .expect("OAuth");
    assert_eq!(token.scopes(), ["okta.users.read"]);

    let err = org
        .get(&connection, "/api/v1/groups")
        .await
        .expect_err("denied");
    assert!(
        matches!(&err, OktaError::OAuth { status: 403, refusal: OAuthRefusal::Scope, scopes, .. } if scopes == &["okta.groups.read"]),
        "{err:?}"
    );
    let public = ApiError::from(err);
    assert_eq!(public.status, ErrorStatus::ResourceAccessDenied);
    assert_eq!(public.http_status().as_u16(), 403);
    assert!(public.message.contains("okta.groups.read"));
    assert!(public.how_to_fix().contains("okta.groups.read"));

    // Asking only for scopes never granted is refused by the token endpoint.
    let none = org.connection(EC_A.app(&["okta.apps.read"]));
    let err = org.get(&none, "/api/v1/apps").await.expect_err("refused");
    assert!(
        matches!(&err, OktaError::OAuth { status: 400, refusal: OAuthRefusal::Scope, scopes, .. } if scopes == &["okta.apps.read"]),
        "{err:?}"
    );
    assert_eq!(
        ApiError::from(err).status,
        ErrorStatus::ResourceAccessDenied
    );
}

#[tokio::test]
async fn a_service_app_without_an_admin_role_is_denied() {
    let org = Org::start().await;
    org.register(OAuthClientSeed::new(CLIENT, EC_A.jwks(), &["okta.users.read"]).role(None));
    let err = org
        .get(
            &org.connection(EC_A.app(&["okta.users.read"])),
            "/api/v1/users",
        )
        .await
        .expect_err("denied");
    assert_eq!(
        ApiError::from(err).status,
        ErrorStatus::ResourceAccessDenied
    );
}

#[tokio::test]
async fn a_private_jwk_signs_like_its_pem() {
    let org = Org::start().await;
    org.register(OAuthClientSeed::new(
        CLIENT,
        EC_A.jwks(),
        &["okta.users.read"],
    ));
    let jwk = EC_A.private_jwk();
    let app = OAuthApp {
        private_key: SecretString::from(jwk.to_string()),
        // The JWK's own `kid` is used when the account names none.
        key_id: None,
        ..EC_A.app(&["okta.users.read"])
    };
    org.get(&org.connection(app), "/api/v1/users")
        .await
        .expect("users");
    let (jose, _) = jws(&field(&org.token_requests()[0], "client_assertion"));
    assert_eq!(jose["kid"], "ec-a");
}

#[tokio::test]
async fn verifying_a_service_app_reads_what_its_scopes_allow() {
    let org = Org::start().await;
    org.register(OAuthClientSeed::new(
        CLIENT,
        EC_A.jwks(),
        &["okta.groups.read"],
    ));
    let scopes = org
        .client
        .verify(org.connection(EC_A.app(&["okta.groups.read", "okta.users.read"])))
        .await
        .expect("verified");
    assert_eq!(scopes, ["okta.groups.read"]);
    let api = org.api_requests();
    assert_eq!(api.len(), 1);
    assert_eq!(api[0].path, "/api/v1/groups");
    assert_eq!(api[0].status, 200);
}
