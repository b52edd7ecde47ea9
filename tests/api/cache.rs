//! The account cache: no database round-trip per action in steady state, and every change
//! seen by every gateway within a second (Postgres change feed).

use std::time::Duration;

use okta_sim::{OktaSim, SimConfig, demo, token_label};
use reqwest::Method;
use serde_json::json;

use crate::helpers::{
    ACTION_KEY, ADMIN_KEY, Backend, DbProxy, RunningGateway, TestDb, TestResponse, app, base_vars,
    config_from, postgres_addr,
};

/// The bound the cache guarantees, plus a margin for scheduling.
const STALENESS: Duration = Duration::from_millis(1300);

async fn get_jordan(client: &reqwest::Client, gateway: &RunningGateway) -> TestResponse {
    let response = client
        .post(format!(
            "http://{}/accounts/acme/actions/get_user",
            gateway.addr
        ))
        .bearer_auth(ACTION_KEY)
        .json(&json!({"searchBy": "id", "searchValue": demo::JORDAN_ID}))
        .send()
        .await
        .expect("sent");
    TestResponse::read(response).await
}

fn last_token_label(sim: &OktaSim) -> Option<String> {
    sim.handle().requests().pop().and_then(|r| r.token_label)
}

#[tokio::test]
async fn actions_in_steady_state_do_not_read_the_database() {
    let app = app(Backend::Sqlite).spawn().await;
    assert_eq!(app.create_account("acme").await.status, 201);
    let client = crate::helpers::client();
    assert_eq!(get_jordan(&client, &app.gateway).await.status, 200);
    // Behind the gateway's back: the embedded database belongs to one process, so the cache
    // does not look again.
    let pool = sqlx::SqlitePool::connect(&app.db.url()).await.expect("db");
    sqlx::query("DELETE FROM accounts")
        .execute(&pool)
        .await
        .expect("delete");
    assert_eq!(get_jordan(&client, &app.gateway).await.status, 200);
}

#[tokio::test]
async fn a_change_through_the_gateway_takes_effect_at_once() {
    let app = app(Backend::Sqlite).spawn().await;
    assert_eq!(app.create_account("acme").await.status, 201);
    let client = crate::helpers::client();
    assert_eq!(get_jordan(&client, &app.gateway).await.status, 200);
    let rotated = "00rotated-token-value-2";
    app.sim
        .handle()
        .add_token(rotated, okta_sim::AdminRole::SuperAdmin);
    let update = app
        .admin(
            Method::PUT,
            "/accounts/acme",
            Some(json!({"apiToken": rotated})),
        )
        .await;
    assert_eq!(update.status, 200, "{}", update.text);
    assert_eq!(get_jordan(&client, &app.gateway).await.status, 200);
    assert_eq!(last_token_label(&app.sim), Some(token_label(rotated)));
    assert_eq!(
        app.admin(Method::DELETE, "/accounts/acme", None)
            .await
            .status,
        204
    );
    let gone = get_jordan(&client, &app.gateway).await;
    gone.assert_error("RESOURCE_NOT_FOUND", 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_gateways_change_is_seen_within_a_second() {
    if !crate::helpers::postgres_available().await {
        return;
    }
    let db = TestDb::new(Backend::Postgres).await;
    let vars = base_vars(&db.url());
    let first = RunningGateway::start(config_from(&vars))
        .await
        .expect("first");
    let second = RunningGateway::start(config_from(&vars))
        .await
        .expect("second");
    let sim = OktaSim::start(SimConfig::default()).await.expect("sim");
    let (old_token, new_token) = (SimConfig::default().token, "00rotated-token-value-2");
    sim.handle()
        .add_token(new_token, okta_sim::AdminRole::SuperAdmin);
    let client = crate::helpers::client();
    let admin = |method: Method, path: &str, body: serde_json::Value| {
        client
            .request(method, format!("http://{}{path}", first.addr))
            .bearer_auth(ADMIN_KEY)
            .json(&body)
            .send()
    };
    let created = admin(
        Method::POST,
        "/accounts",
        json!({"name": "acme", "domain": sim.base_url(), "apiToken": old_token}),
    )
    .await
    .expect("sent");
    assert_eq!(created.status(), 201);

    // The second gateway caches the account with the old token.
    assert_eq!(get_jordan(&client, &second).await.status, 200);
    assert_eq!(last_token_label(&sim), Some(token_label(&old_token)));

    // The first rotates it: the second sends the new token within the bound.
    let rotated = admin(
        Method::PUT,
        "/accounts/acme",
        json!({"apiToken": new_token}),
    )
    .await
    .expect("sent");
    assert_eq!(rotated.status(), 200);
    tokio::time::sleep(STALENESS).await;
    assert_eq!(get_jordan(&client, &second).await.status, 200);
    assert_eq!(last_token_label(&sim), Some(token_label(new_token)));

    // The first deletes it: the second stops using it within the bound.
    let deleted = admin(Method::DELETE, "/accounts/acme", json!({}))
        .await
        .expect("sent");
    assert_eq!(deleted.status(), 204);
    sim.handle().clear_requests();
    tokio::time::sleep(STALENESS).await;
    get_jordan(&client, &second)
        .await
        .assert_error("RESOURCE_NOT_FOUND", 404);
    assert!(
        sim.handle().requests().is_empty(),
        "the deleted account's token was not used"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cached_accounts_serve_through_a_brief_postgres_outage_then_stop_trusting_the_cache() {
    if !crate::helpers::postgres_available().await {
        return;
    }
    let proxy = DbProxy::start(postgres_addr()).await;
    let app = app(Backend::Postgres).db_through(proxy.port).spawn().await;
    assert_eq!(app.create_account("acme").await.status, 201);
    let client = crate::helpers::client();
    // Wait for the change feed's first heartbeat; then the account is cached.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(get_jordan(&client, &app.gateway).await.status, 200);

    proxy.cut();
    assert_eq!(
        get_jordan(&client, &app.gateway).await.status,
        200,
        "served from the cache while the database is unreachable"
    );
    tokio::time::sleep(STALENESS).await;
    get_jordan(&client, &app.gateway)
        .await
        .assert_error("SERVICE_UNAVAILABLE", 503);

    proxy.restore();
    assert_eq!(get_jordan(&client, &app.gateway).await.status, 200);
}
