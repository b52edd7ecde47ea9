//! Asynchronous lifecycle: activation shows `transitioningToStatus` for the transition time
//! and changes to the user meanwhile get 409 E0000112; deactivation and delete are
//! asynchronous only with `Prefer: respond-async`.

use std::time::Duration;

use okta_sim::{SimConfig, demo};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Resp, TestSim, spawn, spawn_with};

const IN_TRANSITION: &str = "Cannot update this user because they are still being activated. Please try again in a few minutes.";

/// A simulator whose transitions last long enough to observe them reliably.
async fn spawn_slow() -> TestSim {
    spawn_with(SimConfig {
        transition: Duration::from_millis(400),
        ..SimConfig::default()
    })
    .await
}

async fn wait_until(t: &TestSim, id: &str, check: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..100 {
        let user = t.handle().user(id).unwrap_or(Value::Null);
        if check(&user) {
            return user;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("user {id} never reached the expected state");
}

async fn with_prefer(t: &TestSim, method: Method, path: &str) -> Resp {
    let resp = t
        .client
        .request(method, t.url(path))
        .header("authorization", format!("SSWS {}", t.token))
        .header("prefer", "respond-async")
        .header("content-length", "0")
        .send()
        .await
        .expect("sent");
    crate::helpers::read(resp).await
}

#[test]
fn strict_is_the_default() {
    assert_eq!(SimConfig::default().transition, Duration::from_millis(100));
    assert_eq!(okta_sim::DEFAULT_TRANSITION, Duration::from_millis(100));
}

#[tokio::test]
async fn activation_shows_transitioning_to_status_then_completes() {
    let t = spawn_slow().await;
    let sam = format!("/api/v1/users/{}", demo::SAM_ID);
    let resp = t
        .post_empty(&format!("{sam}/lifecycle/activate?sendEmail=false"))
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text);
    let during = t.get(&sam).await.json();
    assert_eq!(during["status"], "STAGED");
    assert_eq!(during["transitioningToStatus"], "PROVISIONED");
    assert_eq!(
        t.handle().user(demo::SAM_ID).expect("sam")["transitioningToStatus"],
        "PROVISIONED",
        "the handle shows what the API shows"
    );
    let done = wait_until(&t, demo::SAM_ID, |u| u["status"] == "PROVISIONED").await;
    assert!(done.get("transitioningToStatus").is_none(), "{done}");
    let api = t.get(&sam).await.json();
    assert_eq!(api["status"], "PROVISIONED");
    assert!(api.get("transitioningToStatus").is_none());
}

#[tokio::test]
async fn changes_to_a_user_being_activated_get_e0000112() {
    let t = spawn_slow().await;
    let h = t.handle();
    let id = h.seed_user(
        okta_sim::UserSeed::new("ada@example.com", "Ada", "Byron")
            .status("STAGED")
            .password("Str0ng-Passw0rd-Ada"),
    )["id"]
        .as_str()
        .expect("id")
        .to_string();
    let user = format!("/api/v1/users/{id}");
    let activate = t
        .post_empty(&format!("{user}/lifecycle/activate?sendEmail=true"))
        .await;
    assert_eq!(activate.text, "{}");
    assert_eq!(h.user(&id).expect("ada")["transitioningToStatus"], "ACTIVE");
    let refused = [
        t.post(&user, json!({"profile": {"firstName": "Augusta"}}))
            .await,
        t.put(
            &user,
            Some(json!({"profile": {"firstName": "A", "lastName": "B", "email": "ada@example.com", "login": "ada@example.com"}})),
        )
        .await,
        t.post_empty(&format!("{user}/lifecycle/suspend")).await,
        t.post_empty(&format!("{user}/lifecycle/deactivate")).await,
        t.post_empty(&format!("{user}/lifecycle/reset_password?sendEmail=true"))
            .await,
        t.post(
            &format!("{user}/credentials/change_password"),
            json!({"oldPassword": {"value": "Str0ng-Passw0rd-Ada"}, "newPassword": {"value": "An0ther-Passw0rd-Ada"}}),
        )
        .await,
        t.delete(&user).await,
    ];
    for resp in refused {
        resp.assert_error(409, "E0000112", IN_TRANSITION);
    }
    // Reads and memberships are not changes to the user.
    assert_eq!(t.get(&user).await.status, 200);
    let member = t
        .put(
            &format!("/api/v1/groups/{}/users/{id}", demo::HR_GROUP_ID),
            None,
        )
        .await;
    assert_eq!(member.status, 204, "{}", member.text);
    let done = wait_until(&t, &id, |u| u["status"] == "ACTIVE").await;
    assert_eq!(done["profile"]["firstName"], "Ada");
    let later = t
        .post(&user, json!({"profile": {"firstName": "Augusta"}}))
        .await;
    assert_eq!(later.status, 200, "{}", later.text);
}

#[tokio::test]
async fn the_transition_time_is_set_over_http_and_zero_makes_activation_synchronous() {
    let t = spawn().await;
    assert_eq!(t.handle().transition(), Duration::from_millis(100));
    let set = t
        .control(Method::PUT, "/lifecycle", Some(json!({"transitionMs": 0})))
        .await;
    assert_eq!(set.json(), json!({"transitionMs": 0}));
    assert_eq!(
        t.control(Method::GET, "/lifecycle", None).await.json(),
        json!({"transitionMs": 0})
    );
    t.post_empty(&format!(
        "/api/v1/users/{}/lifecycle/activate",
        demo::SAM_ID
    ))
    .await;
    let sam = t.handle().user(demo::SAM_ID).expect("sam");
    assert_eq!(sam["status"], "PROVISIONED");
    assert!(sam.get("transitioningToStatus").is_none());
    let bad = t
        .control(Method::PUT, "/lifecycle", Some(json!({"transitionMs": -1})))
        .await;
    assert_eq!(bad.status, 400);
}

#[tokio::test]
async fn deactivation_is_synchronous_unless_respond_async_is_preferred() {
    let t = spawn_slow().await;
    let jordan = format!("/api/v1/users/{}", demo::JORDAN_ID);
    let sync = t
        .post_empty(&format!(
            "/api/v1/users/{}/lifecycle/deactivate",
            demo::PRIYA_ID
        ))
        .await;
    assert_eq!(sync.status, 200);
    assert_eq!(
        t.handle().user(demo::PRIYA_ID).expect("priya")["status"],
        "DEPROVISIONED"
    );
    let deactivated =
        with_prefer(&t, Method::POST, &format!("{jordan}/lifecycle/deactivate")).await;
    assert_eq!(deactivated.status, 200, "{}", deactivated.text);
    assert_eq!(deactivated.text, "{}");
    let during = t.get(&jordan).await.json();
    assert_eq!(during["status"], "ACTIVE");
    assert_eq!(during["transitioningToStatus"], "DEPROVISIONED");
    t.delete(&jordan)
        .await
        .assert_error(409, "E0000112", IN_TRANSITION);
    wait_until(&t, demo::JORDAN_ID, |u| u["status"] == "DEPROVISIONED").await;
    let gone = t.delete(&jordan).await;
    assert_eq!(gone.status, 204);
    assert_eq!(t.get(&jordan).await.status, 404);
}

#[tokio::test]
async fn delete_with_respond_async_removes_the_user_after_the_transition() {
    let t = spawn_slow().await;
    let priya = format!("/api/v1/users/{}", demo::PRIYA_ID);
    // First DELETE deactivates (asynchronously), the second deletes (asynchronously).
    let first = with_prefer(&t, Method::DELETE, &priya).await;
    assert_eq!(first.status, 204, "{}", first.text);
    assert_eq!(
        t.get(&priya).await.json()["transitioningToStatus"],
        "DEPROVISIONED"
    );
    wait_until(&t, demo::PRIYA_ID, |u| u["status"] == "DEPROVISIONED").await;
    let second = with_prefer(&t, Method::DELETE, &priya).await;
    assert_eq!(second.status, 204);
    let during = t.get(&priya).await;
    assert_eq!(during.status, 200, "still there while the delete runs");
    assert_eq!(during.json()["status"], "DEPROVISIONED");
    with_prefer(&t, Method::DELETE, &priya)
        .await
        .assert_error(409, "E0000112", IN_TRANSITION);
    wait_until(&t, demo::PRIYA_ID, Value::is_null).await;
    assert_eq!(t.get(&priya).await.status, 404);
    t.handle().verify_indexes().expect("indexes consistent");
}

#[tokio::test]
async fn setting_a_status_through_the_control_api_ends_a_running_activation() {
    let t = spawn_slow().await;
    t.post_empty(&format!(
        "/api/v1/users/{}/lifecycle/activate",
        demo::SAM_ID
    ))
    .await;
    // The user finishes the welcome flow before the activation job completes.
    let set = t
        .control(
            Method::PUT,
            &format!("/users/{}/status", demo::SAM_LOGIN),
            Some(json!({"status": "ACTIVE"})),
        )
        .await;
    assert_eq!(set.status, 200);
    assert!(set.json().get("transitioningToStatus").is_none());
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        t.handle().user(demo::SAM_ID).expect("sam")["status"],
        "ACTIVE"
    );
    let suspend = t
        .post_empty(&format!("/api/v1/users/{}/lifecycle/suspend", demo::SAM_ID))
        .await;
    assert_eq!(suspend.status, 200, "{}", suspend.text);
}
