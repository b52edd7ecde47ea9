//! DPoP (RFC 9449): the nonce dance at the token endpoint, DPoP-bound tokens, and the proof
//! every API call with such a token needs.

use jsonwebtoken::Header;
use serde_json::json;

use super::{
    EC_A, EC_B, Key, RSA_A, RSA_B, assert_oauth_error, assertion, call_dpop, challenge, form, hash,
    proof, seed, token_request,
};
use crate::helpers::{TestSim, spawn};

const USERS: &str = "/api/v1/users";

async fn dpop_client() -> TestSim {
    let t = spawn().await;
    t.handle()
        .add_oauth_client(seed(RSA_A, &["okta.users.read"]).require_dpop())
        .expect("client registers");
    t
}

/// Runs the nonce dance with `proof_key` and returns the DPoP-bound token and the nonce.
async fn dpop_token(t: &TestSim, proof_key: Key) -> (String, String) {
    let endpoint = t.url("/oauth2/v1/token");
    let first = proof(proof_key, "POST", &endpoint, None, None);
    let resp = token_request(
        t,
        &form(&assertion(t, RSA_A), "okta.users.read"),
        Some(&first),
    )
    .await;
    assert_oauth_error(
        &resp,
        400,
        "use_dpop_nonce",
        "Authorization server requires nonce in DPoP proof.",
    );
    let nonce = resp.header("dpop-nonce").expect("DPoP-Nonce").to_string();
    let second = proof(proof_key, "POST", &endpoint, Some(&nonce), None);
    let resp = token_request(
        t,
        &form(&assertion(t, RSA_A), "okta.users.read"),
        Some(&second),
    )
    .await;
    assert_eq!(resp.status, 200, "{}", resp.text);
    assert_eq!(resp.json()["token_type"], "DPoP");
    let token = resp.json()["access_token"]
        .as_str()
        .expect("token")
        .to_string();
    (token, nonce)
}

fn api_proof(t: &TestSim, key: Key, path: &str, token: &str) -> String {
    proof(key, "GET", &t.url(path), None, Some(&hash(token)))
}

#[tokio::test]
async fn a_token_request_without_the_required_proof_is_told_the_header_is_missing() {
    let t = dpop_client().await;
    let resp = token_request(&t, &form(&assertion(&t, RSA_A), "okta.users.read"), None).await;
    assert_oauth_error(
        &resp,
        400,
        "invalid_dpop_proof",
        "The DPoP proof JWT header is missing.",
    );
}

#[tokio::test]
async fn the_nonce_dance_consumes_the_first_assertion_and_yields_a_bound_token() {
    let t = dpop_client().await;
    let endpoint = t.url("/oauth2/v1/token");
    let once = assertion(&t, RSA_A);
    let first = proof(RSA_B, "POST", &endpoint, None, None);
    let resp = token_request(&t, &form(&once, "okta.users.read"), Some(&first)).await;
    assert_eq!(resp.json()["error"], "use_dpop_nonce");
    let nonce = resp.header("dpop-nonce").expect("DPoP-Nonce").to_string();
    // Okta used the assertion's jti up on that 400: the retry needs a new assertion.
    let retry = proof(RSA_B, "POST", &endpoint, Some(&nonce), None);
    let resp = token_request(&t, &form(&once, "okta.users.read"), Some(&retry)).await;
    assert_oauth_error(
        &resp,
        401,
        "invalid_client",
        "The client_assertion token has already been used.",
    );

    let (token, _) = dpop_token(&t, RSA_B).await;
    let resp = call_dpop(
        &t,
        &token,
        USERS,
        Some(&api_proof(&t, RSA_B, USERS, &token)),
    )
    .await;
    assert_eq!(resp.status, 200, "{}", resp.text);
}

#[tokio::test]
async fn es256_proofs_bind_tokens_as_well() {
    let t = dpop_client().await;
    let (token, _) = dpop_token(&t, EC_A).await;
    let resp = call_dpop(&t, &token, USERS, Some(&api_proof(&t, EC_A, USERS, &token))).await;
    assert_eq!(resp.status, 200, "{}", resp.text);
}

#[tokio::test]
async fn a_proof_for_another_url_or_of_another_type_is_refused() {
    let t = dpop_client().await;
    let nonce = t.handle().rotate_dpop_nonce();
    let other = proof(
        EC_A,
        "POST",
        &t.url("/oauth2/v1/authorize"),
        Some(&nonce),
        None,
    );
    let resp = token_request(
        &t,
        &form(&assertion(&t, RSA_A), "okta.users.read"),
        Some(&other),
    )
    .await;
    assert_oauth_error(
        &resp,
        400,
        "invalid_dpop_proof",
        "'htu' claim in the DPoP proof JWT is invalid.",
    );
    // A query on `htu` is ignored (RFC 9449 §4.3).
    let with_query = proof(
        EC_A,
        "POST",
        &t.url("/oauth2/v1/token?x=1"),
        Some(&nonce),
        None,
    );
    let resp = token_request(
        &t,
        &form(&assertion(&t, RSA_A), "okta.users.read"),
        Some(&with_query),
    )
    .await;
    assert_eq!(resp.status, 200, "{}", resp.text);

    let mut header = Header::new(EC_A.alg);
    header.typ = Some("JWT".into());
    header.jwk = Some(serde_json::from_value(EC_A.jwk()).expect("JWK"));
    let claims = json!({"jti": super::jti(), "htm": "POST", "htu": t.url("/oauth2/v1/token"),
                        "iat": super::now(), "nonce": nonce});
    let untyped = EC_A.sign(header, &claims);
    let resp = token_request(
        &t,
        &form(&assertion(&t, RSA_A), "okta.users.read"),
        Some(&untyped),
    )
    .await;
    assert_oauth_error(
        &resp,
        400,
        "invalid_dpop_proof",
        "'typ' header in the DPoP proof JWT is invalid.",
    );
}

#[tokio::test]
async fn api_calls_with_a_bound_token_need_a_fresh_matching_proof() {
    let t = dpop_client().await;
    let (token, _) = dpop_token(&t, EC_A).await;
    let proof_error = |description: &str| {
        challenge(
            &t,
            "DPoP",
            Some("okta.users.read"),
            "invalid_dpop_proof",
            description,
            USERS,
        )
    };

    let missing = call_dpop(&t, &token, USERS, None).await;
    assert_eq!(missing.status, 400);
    assert_eq!(
        missing.json(),
        json!({"error": "invalid_dpop_proof",
               "error_description": "The DPoP proof JWT header is missing."})
    );
    assert_eq!(
        missing.header("www-authenticate"),
        Some(proof_error("The DPoP proof JWT header is missing.").as_str())
    );

    let wrong_hash = proof(
        EC_A,
        "GET",
        &t.url(USERS),
        None,
        Some(&hash("another token")),
    );
    let resp = call_dpop(&t, &token, USERS, Some(&wrong_hash)).await;
    assert_eq!(resp.status, 400);
    assert_eq!(
        resp.header("www-authenticate"),
        Some(proof_error("'ath' claim in the DPoP proof JWT is invalid.").as_str())
    );

    let other_key = api_proof(&t, EC_B, USERS, &token);
    let resp = call_dpop(&t, &token, USERS, Some(&other_key)).await;
    assert_eq!(resp.status, 400);
    assert_eq!(
        resp.header("www-authenticate"),
        Some(
            proof_error(
                "The DPoP proof JWT is not signed by the key the access token is bound to."
            )
            .as_str()
        )
    );

    let good = api_proof(&t, EC_A, USERS, &token);
    assert_eq!(call_dpop(&t, &token, USERS, Some(&good)).await.status, 200);
    let replayed = call_dpop(&t, &token, USERS, Some(&good)).await;
    assert_eq!(replayed.status, 400);
    assert_eq!(
        replayed.header("www-authenticate"),
        Some(proof_error("'jti' claim in the DPoP proof JWT has already been used.").as_str())
    );

    // A bound token is not a bearer token.
    let bearer = super::call_bearer(&t, &token, reqwest::Method::GET, USERS, None).await;
    bearer.assert_error(401, "E0000011", "Invalid token provided");
    assert_eq!(
        bearer.header("www-authenticate"),
        Some(
            challenge(
                &t,
                "DPoP",
                Some("okta.users.read"),
                "invalid_token",
                "The access token is DPoP-bound and must be sent with the DPoP scheme.",
                USERS
            )
            .as_str()
        )
    );
    assert!(
        t.handle()
            .requests()
            .iter()
            .all(|r| { r.headers.iter().all(|(_, v)| !v.contains(&token)) })
    );
}

#[tokio::test]
async fn the_api_asks_for_a_fresh_nonce_and_accepts_the_retry() {
    let t = dpop_client().await;
    let (token, nonce) = dpop_token(&t, EC_A).await;
    let with_nonce = |n: &str| proof(EC_A, "GET", &t.url(USERS), Some(n), Some(&hash(&token)));
    assert_eq!(
        call_dpop(&t, &token, USERS, Some(&with_nonce(&nonce)))
            .await
            .status,
        200
    );

    let fresh = t.handle().rotate_dpop_nonce();
    let stale = call_dpop(&t, &token, USERS, Some(&with_nonce(&nonce))).await;
    assert_eq!(stale.status, 401);
    assert_eq!(
        stale.json(),
        json!({"error": "use_dpop_nonce",
               "error_description": "Resource server requires nonce in DPoP proof."})
    );
    assert_eq!(stale.header("dpop-nonce"), Some(fresh.as_str()));
    assert_eq!(
        stale.header("www-authenticate"),
        Some(
            challenge(
                &t,
                "DPoP",
                Some("okta.users.read"),
                "use_dpop_nonce",
                "Resource server requires nonce in DPoP proof.",
                USERS
            )
            .as_str()
        )
    );
    assert_eq!(
        call_dpop(&t, &token, USERS, Some(&with_nonce(&fresh)))
            .await
            .status,
        200
    );

    t.handle().set_api_requires_dpop_nonce(true);
    let without = call_dpop(&t, &token, USERS, Some(&api_proof(&t, EC_A, USERS, &token))).await;
    assert_eq!(without.status, 401);
    assert_eq!(without.header("dpop-nonce"), Some(fresh.as_str()));
}

#[tokio::test]
async fn htu_names_the_decoded_path_as_okta_compares_it() {
    let t = dpop_client().await;
    let (token, _) = dpop_token(&t, EC_A).await;
    let encoded = "/api/v1/users/jordan.lee%40example.com";
    let as_sent = proof(EC_A, "GET", &t.url(encoded), None, Some(&hash(&token)));
    let resp = call_dpop(&t, &token, encoded, Some(&as_sent)).await;
    assert_eq!(resp.status, 400);
    let decoded = proof(
        EC_A,
        "GET",
        &t.url("/api/v1/users/jordan.lee@example.com"),
        None,
        Some(&hash(&token)),
    );
    let resp = call_dpop(&t, &token, encoded, Some(&decoded)).await;
    assert_eq!(resp.status, 200, "{}", resp.text);
    assert_eq!(resp.json()["id"], okta_sim::demo::JORDAN_ID);
}
