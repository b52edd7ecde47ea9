//! `POST /oauth2/v1/token`: the client-credentials grant with a `private_key_jwt` assertion.

use jsonwebtoken::Header;
use reqwest::Method;
use serde_json::json;

use super::{
    CLIENT, EC_A, RSA_A, RSA_B, assert_oauth_error, assertion, assertion_claims, call_bearer, form,
    now, seed, token_request,
};
use crate::helpers::{TestSim, spawn};

const INVALID_CLIENT: &str = "invalid_client";

async fn with_client(key: super::Key, scopes: &[&str]) -> TestSim {
    let t = spawn().await;
    t.handle()
        .add_oauth_client(seed(key, scopes))
        .expect("client registers");
    t
}

/// An assertion signed by `key` (naming its kid) after `edit` changed its claims.
fn edited(t: &TestSim, key: super::Key, edit: impl FnOnce(&mut serde_json::Value)) -> String {
    let mut claims = assertion_claims(t);
    edit(&mut claims);
    let mut header = Header::new(key.alg);
    header.kid = Some(key.kid.to_string());
    key.sign(header, &claims)
}

#[tokio::test]
async fn an_rs256_assertion_gets_a_bearer_token_that_reads_users() {
    let t = with_client(RSA_A, &["okta.users.read"]).await;
    let resp = token_request(&t, &form(&assertion(&t, RSA_A), "okta.users.read"), None).await;
    assert_eq!(resp.status, 200, "{}", resp.text);
    let body = resp.json();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["scope"], "okta.users.read");
    assert_eq!(resp.header("cache-control"), Some("no-store"));
    let token = body["access_token"].as_str().expect("token");

    let users = call_bearer(&t, token, Method::GET, "/api/v1/users", None).await;
    assert_eq!(users.status, 200, "{}", users.text);
    assert!(users.json().as_array().is_some_and(|u| !u.is_empty()));
    let logged = t.handle().requests().pop().expect("recorded");
    assert_eq!(
        logged.token_label.as_deref(),
        Some(okta_sim::token_label(token).as_str())
    );
    assert!(
        logged.headers.iter().all(|(_, v)| !v.contains(token)),
        "the access token is not recorded"
    );
}

#[tokio::test]
async fn an_es256_assertion_is_accepted_too() {
    let t = with_client(EC_A, &["okta.groups.read"]).await;
    let resp = token_request(&t, &form(&assertion(&t, EC_A), "okta.groups.read"), None).await;
    assert_eq!(resp.status, 200, "{}", resp.text);
    let token = resp.json()["access_token"]
        .as_str()
        .expect("token")
        .to_string();
    let groups = call_bearer(&t, &token, Method::GET, "/api/v1/groups", None).await;
    assert_eq!(groups.status, 200, "{}", groups.text);
}

#[tokio::test]
async fn an_assertion_signed_by_another_key_is_refused() {
    let t = with_client(RSA_A, &["okta.users.read"]).await;
    // Signed by key B while naming key A's kid.
    let mut header = Header::new(RSA_B.alg);
    header.kid = Some(RSA_A.kid.into());
    let forged = RSA_B.sign(header, &assertion_claims(&t));
    let resp = token_request(&t, &form(&forged, "okta.users.read"), None).await;
    assert_oauth_error(
        &resp,
        401,
        INVALID_CLIENT,
        "The client_assertion signature is invalid.",
    );
}

#[tokio::test]
async fn an_assertion_naming_an_unregistered_kid_is_refused() {
    let t = with_client(RSA_A, &["okta.users.read"]).await;
    let resp = token_request(&t, &form(&assertion(&t, RSA_B), "okta.users.read"), None).await;
    assert_oauth_error(
        &resp,
        401,
        INVALID_CLIENT,
        "The client_assertion JWT kid is invalid.",
    );
}

#[tokio::test]
async fn an_assertion_for_another_audience_is_refused() {
    let t = with_client(RSA_A, &["okta.users.read"]).await;
    let wrong = edited(&t, RSA_A, |c| {
        c["aud"] = json!(t.url("/oauth2/default/v1/token"));
    });
    let resp = token_request(&t, &form(&wrong, "okta.users.read"), None).await;
    assert_oauth_error(
        &resp,
        401,
        INVALID_CLIENT,
        "The audience claim for client_assertion must be the endpoint invoked for the request.",
    );
}

#[tokio::test]
async fn expired_and_too_long_lived_assertions_are_refused() {
    let t = with_client(RSA_A, &["okta.users.read"]).await;
    let expired = edited(&t, RSA_A, |c| {
        c["iat"] = json!(now() - 600);
        c["exp"] = json!(now() - 300);
    });
    let resp = token_request(&t, &form(&expired, "okta.users.read"), None).await;
    assert_oauth_error(
        &resp,
        401,
        INVALID_CLIENT,
        "The client_assertion token is expired.",
    );
    let long = edited(&t, RSA_A, |c| c["exp"] = json!(now() + 7200));
    let resp = token_request(&t, &form(&long, "okta.users.read"), None).await;
    assert_oauth_error(
        &resp,
        401,
        INVALID_CLIENT,
        "The client_assertion token has an expiration too far in the future.",
    );
}

#[tokio::test]
async fn an_assertion_whose_subject_is_not_the_client_is_refused() {
    let t = with_client(RSA_A, &["okta.users.read"]).await;
    let wrong = edited(&t, RSA_A, |c| c["sub"] = json!("someone-else"));
    let resp = token_request(&t, &form(&wrong, "okta.users.read"), None).await;
    assert_oauth_error(
        &resp,
        401,
        INVALID_CLIENT,
        "The client_assertion token must have the client_id as its 'iss' and 'sub' claims.",
    );
}

#[tokio::test]
async fn a_replayed_assertion_is_refused() {
    let t = with_client(RSA_A, &["okta.users.read"]).await;
    let once = assertion(&t, RSA_A);
    let first = token_request(&t, &form(&once, "okta.users.read"), None).await;
    assert_eq!(first.status, 200, "{}", first.text);
    let again = token_request(&t, &form(&once, "okta.users.read"), None).await;
    assert_oauth_error(
        &again,
        401,
        INVALID_CLIENT,
        "The client_assertion token has already been used.",
    );
}

#[tokio::test]
async fn an_unknown_client_is_refused() {
    let t = spawn().await;
    let resp = token_request(&t, &form(&assertion(&t, RSA_A), "okta.users.read"), None).await;
    assert_oauth_error(
        &resp,
        401,
        INVALID_CLIENT,
        "Invalid value for 'client_id' parameter.",
    );
}

#[tokio::test]
async fn a_deleted_client_gets_no_token_and_its_tokens_stop_working() {
    let t = with_client(RSA_A, &["okta.users.read"]).await;
    let token = super::bearer_token(&t, RSA_A, "okta.users.read").await;
    let deleted = t
        .control(Method::DELETE, &format!("/oauth-clients/{CLIENT}"), None)
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);

    let resp = token_request(&t, &form(&assertion(&t, RSA_A), "okta.users.read"), None).await;
    assert_oauth_error(
        &resp,
        401,
        INVALID_CLIENT,
        "Invalid value for 'client_id' parameter.",
    );
    let call = call_bearer(&t, &token, Method::GET, "/api/v1/users", None).await;
    call.assert_error(401, "E0000011", "Invalid token provided");
    assert_eq!(
        call.header("www-authenticate"),
        Some(
            super::challenge(
                &t,
                "Bearer",
                Some("okta.users.read"),
                "invalid_token",
                "The access token is invalid.",
                "/api/v1/users"
            )
            .as_str()
        )
    );
}

#[tokio::test]
async fn scopes_not_granted_are_dropped_and_a_request_for_none_of_them_is_refused() {
    let t = with_client(RSA_A, &["okta.users.read"]).await;
    let both = "okta.users.read okta.users.manage";
    let narrowed = token_request(&t, &form(&assertion(&t, RSA_A), both), None).await;
    assert_eq!(narrowed.status, 200, "{}", narrowed.text);
    assert_eq!(narrowed.json()["scope"], "okta.users.read");

    let none = token_request(&t, &form(&assertion(&t, RSA_A), "okta.users.manage"), None).await;
    assert_oauth_error(
        &none,
        400,
        "invalid_scope",
        "The following scopes are not allowed: okta.users.manage",
    );
    let custom = token_request(&t, &form(&assertion(&t, RSA_A), "openid"), None).await;
    assert_oauth_error(
        &custom,
        400,
        "invalid_scope",
        "Custom scopes are not allowed for this request.",
    );
    let missing = token_request(&t, &form(&assertion(&t, RSA_A), ""), None).await;
    assert_oauth_error(
        &missing,
        400,
        "invalid_scope",
        "The authorization server resource does not have any configured default scopes, 'scope' must be provided.",
    );
}

#[tokio::test]
async fn only_the_client_credentials_grant_with_a_jwt_assertion_is_served() {
    let t = with_client(RSA_A, &["okta.users.read"]).await;
    let assertion = assertion(&t, RSA_A);
    let mut password = form(&assertion, "okta.users.read");
    password[0].1 = "password";
    let resp = token_request(&t, &password, None).await;
    assert_oauth_error(
        &resp,
        400,
        "unsupported_grant_type",
        "The authorization grant type is not supported by the authorization server. Configured grant types: [client_credentials].",
    );
    let secret = [
        ("grant_type", "client_credentials"),
        ("scope", "okta.users.read"),
        ("client_id", CLIENT),
        ("client_secret", "s3cret"),
    ];
    let resp = token_request(&t, &secret, None).await;
    assert_oauth_error(
        &resp,
        401,
        INVALID_CLIENT,
        "Client Credentials requests to the Org Authorization Server must use the private_key_jwt token_endpoint_auth_method.",
    );
    let fresh = super::assertion(&t, RSA_A);
    let mut wrong_type = form(&fresh, "okta.users.read");
    wrong_type[2].1 = "urn:ietf:params:oauth:client-assertion-type:saml2-bearer";
    let resp = token_request(&t, &wrong_type, None).await;
    assert_oauth_error(
        &resp,
        401,
        INVALID_CLIENT,
        "The client_assertion_type is invalid.",
    );
}

#[tokio::test]
async fn service_apps_are_managed_over_the_control_api() {
    let t = spawn().await;
    let bad = t
        .control(
            Method::POST,
            "/oauth-clients",
            Some(json!({"clientId": CLIENT, "jwks": {"keys": []}, "scopes": ["okta.users.read"]})),
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.text);
    let unknown_scope = t
        .control(
            Method::POST,
            "/oauth-clients",
            Some(
                json!({"clientId": CLIENT, "jwks": RSA_A.jwks(), "scopes": ["okta.nothing.read"]}),
            ),
        )
        .await;
    assert_eq!(
        unknown_scope.json()["error"],
        "'okta.nothing.read' is not an Okta API scope"
    );
    let created = t
        .control(
            Method::POST,
            "/oauth-clients",
            Some(
                json!({"clientId": CLIENT, "jwks": EC_A.jwks(), "scopes": ["okta.users.read"],
                        "requireDpop": true, "role": "HELP_DESK_ADMIN"}),
            ),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.text);
    let expected = json!({"clientId": CLIENT, "scopes": ["okta.users.read"], "requireDpop": true,
                          "role": "HELP_DESK_ADMIN", "keyIds": ["ec-a"]});
    assert_eq!(created.json(), expected);
    let read = t
        .control(Method::GET, &format!("/oauth-clients/{CLIENT}"), None)
        .await;
    assert_eq!(read.json(), expected);

    let settings = t
        .control(
            Method::PUT,
            "/oauth",
            Some(json!({"accessTokenLifetimeSecs": 5, "apiRequiresDpopNonce": true})),
        )
        .await;
    assert_eq!(
        settings.json(),
        json!({"accessTokenLifetimeSecs": 5, "apiRequiresDpopNonce": true})
    );
    let zero = t
        .control(
            Method::PUT,
            "/oauth",
            Some(json!({"accessTokenLifetimeSecs": 0})),
        )
        .await;
    assert_eq!(zero.status, 400, "{}", zero.text);
    let nonce = t.control(Method::POST, "/oauth/dpop-nonce", None).await;
    assert_eq!(nonce.status, 200, "{}", nonce.text);
    assert!(
        nonce.json()["nonce"]
            .as_str()
            .is_some_and(|n| n.len() == 32)
    );
    let gone = t
        .control(Method::DELETE, "/oauth-clients/0oaNOBODY", None)
        .await;
    assert_eq!(gone.status, 404, "{}", gone.text);
}
