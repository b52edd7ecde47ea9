//! Extra hosts are resolved when a connection is made, through the gateway's own resolver:
//! a name that resolves inside the network is refused, and the address the check saw is the
//! one connected to. CI has no DNS: the resolver's overrides map names to addresses.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use reqwest::Method;
use serde_json::json;
use tokio::net::TcpListener;

use crate::helpers::{
    ADMIN_KEY, Backend, RunningGateway, TestDb, TestResponse, base_vars, client, config_from,
};

const HOST: &str = "okta.example.com";

/// A listener that counts connections and closes each at once (no TLS: nothing succeeds).
async fn counting_listener() -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("binds");
    let addr = listener.local_addr().expect("addr");
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            seen.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    (addr, count)
}

/// A gateway that accepts `HOST` and resolves it to `addr`.
async fn gateway(db: &TestDb, addr: SocketAddr, allow_loopback: bool) -> RunningGateway {
    let mut vars = base_vars(&db.url());
    vars.insert("OKTA_EXTRA_HOSTS".into(), HOST.into());
    vars.insert(
        "OKTA_ALLOW_INSECURE_LOOPBACK".into(),
        allow_loopback.to_string(),
    );
    let mut config = config_from(&vars);
    config.okta.dns_overrides = vec![(HOST.to_owned(), addr)];
    RunningGateway::start(config).await.expect("starts")
}

async fn post(gateway: &RunningGateway, path: &str, body: serde_json::Value) -> TestResponse {
    let response = client()
        .post(format!("http://{}{path}", gateway.addr))
        .bearer_auth(ADMIN_KEY)
        .json(&body)
        .send()
        .await
        .expect("sent");
    TestResponse::read(response).await
}

fn account(verify: bool) -> serde_json::Value {
    json!({"name": "custom", "domain": format!("https://{HOST}"),
           "apiToken": "00fake-token-0123456789", "verify": verify})
}

fn get_user() -> serde_json::Value {
    json!({"searchBy": "id", "searchValue": "00u1aaaaaaaaaaaaaaaa"})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_extra_host_resolving_inside_the_network_is_never_connected_to() {
    let db = TestDb::new(Backend::Sqlite).await;
    let (addr, connections) = counting_listener().await;
    let gateway = gateway(&db, addr, false).await;

    // Verification at create time, and an action on an account stored unverified.
    post(&gateway, "/accounts", account(true))
        .await
        .assert_error("UPSTREAM_UNAVAILABLE", 502);
    let created = post(&gateway, "/accounts", account(false)).await;
    assert_eq!(created.status, 201, "{}", created.text);
    post(&gateway, "/accounts/custom/actions/get_user", get_user())
        .await
        .assert_error("UPSTREAM_UNAVAILABLE", 502);

    assert_eq!(
        connections.load(Ordering::SeqCst),
        0,
        "nothing was connected to"
    );
    let list = client()
        .request(Method::GET, format!("http://{}/accounts", gateway.addr))
        .bearer_auth(ADMIN_KEY)
        .send()
        .await
        .expect("sent");
    let list = TestResponse::read(list).await;
    assert_eq!(list.json.as_array().map(Vec::len), Some(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_resolved_address_is_the_one_connected_to() {
    let db = TestDb::new(Backend::Sqlite).await;
    let (addr, connections) = counting_listener().await;
    // Loopback allowed (as in tests and demos): the override's address and port are used.
    let gateway = gateway(&db, addr, true).await;
    let created = post(&gateway, "/accounts", account(false)).await;
    assert_eq!(created.status, 201, "{}", created.text);

    post(&gateway, "/accounts/custom/actions/get_user", get_user())
        .await
        .assert_error("UPSTREAM_UNAVAILABLE", 502);

    assert!(connections.load(Ordering::SeqCst) >= 1);
}
