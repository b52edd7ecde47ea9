//! The audit trail: a row per mutating action (catalog-driven) and per account change, read
//! back through `GET /audit` with its filters and paging; no secret in any row; retention; and
//! an answer that still goes out when its row cannot be written.

use okta_gateway::actions::{Catalog, example};
use okta_gateway::auth::key_hash;
use reqwest::Method;
use serde_json::{Value, json};

use crate::backend_tests;
use crate::helpers::{
    ACCOUNT, ACTION_KEY, ADMIN_KEY, Backend, RunningGateway, TEST_ENCRYPTION_KEY, TestApp,
    TestResponse, app, captured_logs, config_from, spawn_with_account_from,
};

const JORDAN_ID: &str = "00ub0oNGTSWTBKOLGLNR";
const JORDAN_LOGIN: &str = "jordan.lee@example.com";
const PRIYA_ID: &str = "00uc1pExGOQAVXZSMATP";

backend_tests!(
    every_mutating_action_and_its_dry_run_writes_one_row,
    account_changes_write_rows,
    filters_and_paging_reach_the_last_page,
    rows_older_than_the_retention_are_deleted,
    an_answer_is_sent_when_its_row_cannot_be_written,
    each_key_rotation_run_writes_one_row,
);

/// A fresh demo org with an empty request log, for the next action.
fn fresh_org(app: &TestApp) {
    app.sim.handle().reset(okta_sim::Seed::Demo);
    app.forget_requests();
}

async fn audit(app: &TestApp, query: &str) -> TestResponse {
    app.admin(Method::GET, &format!("/audit{query}"), None)
        .await
}

/// Every row `query` selects, following `nextCursor` to the last page.
async fn all_rows(app: &TestApp, query: &str) -> Vec<Value> {
    let mut rows = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let sep = if query.is_empty() { "?" } else { "&" };
        let page = match &after {
            Some(cursor) => audit(app, &format!("{query}{sep}after={cursor}")).await,
            None => audit(app, query).await,
        };
        assert_eq!(page.status, 200, "{}", page.text);
        rows.extend(
            page.json["items"]
                .as_array()
                .expect("items")
                .iter()
                .cloned(),
        );
        match page.json["nextCursor"].as_str() {
            Some(cursor) => after = Some(cursor.to_owned()),
            None => return rows,
        }
    }
}

/// Every text the audit tables hold, read from the database itself.
async fn stored_text(app: &TestApp) -> String {
    let sql = "SELECT key_id || ' ' || account || ' ' || action || ' ' || targets || ' ' || \
               outcome || ' ' || okta_request_ids || ' ' || request_id FROM audit_entries \
               UNION ALL SELECT reference FROM audit_targets";
    let rows: Vec<String> = if let Some(dir) = app.db.data_dir() {
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}/gateway.db", dir.display()))
            .await
            .expect("sqlite");
        let rows = sqlx::query_scalar(sql)
            .fetch_all(&pool)
            .await
            .expect("rows");
        pool.close().await;
        rows
    } else {
        let pool = sqlx::PgPool::connect(&app.db.url())
            .await
            .expect("postgres");
        let rows = sqlx::query_scalar(sql)
            .fetch_all(&pool)
            .await
            .expect("rows");
        pool.close().await;
        rows
    };
    rows.join("\n")
}

/// Run SQL against the gateway's database.
async fn execute(app: &TestApp, statements: &[String]) {
    if let Some(dir) = app.db.data_dir() {
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}/gateway.db", dir.display()))
            .await
            .expect("sqlite");
        for sql in statements {
            sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .execute(&pool)
                .await
                .expect("statement");
        }
        pool.close().await;
    } else {
        let pool = sqlx::PgPool::connect(&app.db.url())
            .await
            .expect("postgres");
        for sql in statements {
            sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .execute(&pool)
                .await
                .expect("statement");
        }
        pool.close().await;
    }
}

/// String values under keys that name secrets, anywhere in `value`.
fn secrets_in(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                let key = key.to_ascii_lowercase();
                let secret = ["password", "token", "url", "secret", "link", "answer"]
                    .iter()
                    .any(|word| key.contains(word));
                match value {
                    Value::String(text) if secret && text.len() >= 6 => out.push(text.clone()),
                    _ => secrets_in(value, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| secrets_in(item, out)),
        _ => {}
    }
}

async fn every_mutating_action_and_its_dry_run_writes_one_row(backend: Backend) {
    let app = spawn_with_account_from(app(backend)).await;
    let action_key = key_hash(ACTION_KEY).0;
    let mut secrets = vec![app.sim_token.clone()];
    let mut checked = 0;
    let mut created_id = None;
    for (action, schema) in Catalog::new().iter() {
        let dry_runs: &[bool] = if schema.fields().iter().any(|f| f.dry_run) {
            &[false, true]
        } else {
            &[false]
        };
        for &dry_run in dry_runs {
            fresh_org(&app);
            let mut body = example(action);
            if dry_run {
                body["dryRun"] = Value::Bool(true);
            }
            secrets_in(&body, &mut secrets);
            let response = app.action(action.name, body.clone()).await;
            assert_eq!(response.status, 200, "{}: {}", action.name, response.text);
            secrets_in(&response.json, &mut secrets);
            if action.name == "create_user" {
                created_id = response.json["id"].as_str().map(str::to_owned);
            }
            let request_id = response.headers["x-request-id"].to_str().expect("id");
            let rows = all_rows(&app, &format!("?action={}", action.name)).await;
            if !action.mutating {
                assert!(rows.is_empty(), "{} reads only: {rows:#?}", action.name);
                continue;
            }
            let rows: Vec<&Value> = rows
                .iter()
                .filter(|row| row["requestId"] == request_id)
                .collect();
            assert_eq!(
                rows.len(),
                1,
                "{} (dryRun {dry_run}) writes one row",
                action.name
            );
            let row = rows[0];
            assert_eq!(row["outcome"], "success", "{row:#}");
            assert_eq!(row["dryRun"], dry_run, "{row:#}");
            assert_eq!(row["account"], ACCOUNT);
            assert_eq!(row["key"], action_key.as_str());
            // Concurrent calls may finish in any order.
            let mut okta_ids: Vec<String> = app
                .okta_requests()
                .iter()
                .map(|r| r.request_id.clone())
                .collect();
            okta_ids.sort();
            let mut recorded: Vec<String> = row["oktaRequestIds"]
                .as_array()
                .expect("ids")
                .iter()
                .map(|id| id.as_str().unwrap_or_default().to_owned())
                .collect();
            recorded.sort();
            assert_eq!(recorded, okta_ids, "{}", action.name);
            // Each target field of the example is in the row, as given.
            for field in schema.fields().iter().filter(|f| f.audit_target) {
                if let Some(given) = body[&field.name].as_str() {
                    let targets = row["targets"].as_array().expect("targets");
                    assert!(
                        targets
                            .iter()
                            .any(|t| t["field"] == field.name.as_str() && t["ref"] == given),
                        "{}: {} in {row:#}",
                        action.name,
                        field.name
                    );
                }
            }
            checked += 1;
        }
    }
    assert!(checked > 20, "the catalog's mutating actions were checked");

    // A created user's row names the id Okta gave it.
    let created = all_rows(&app, "?action=create_user").await;
    assert_eq!(
        created[0]["targets"][0]["id"].as_str(),
        created_id.as_deref(),
        "{created:#?}"
    );
    assert_eq!(
        created[0]["targets"][0]["login"],
        created[0]["targets"][0]["ref"]
    );

    // A user named by login gets the id it resolved to; the row can be found by either.
    fresh_org(&app);
    let suspended = app
        .action("suspend_user", json!({"userId": JORDAN_LOGIN}))
        .await;
    assert_eq!(suspended.status, 200, "{}", suspended.text);
    for target in [JORDAN_ID, JORDAN_LOGIN] {
        let rows = all_rows(&app, &format!("?action=suspend_user&target={target}")).await;
        let by_login: Vec<&Value> = rows
            .iter()
            .filter(|r| r["targets"][0]["ref"] == JORDAN_LOGIN)
            .collect();
        assert_eq!(by_login.len(), 1, "{target}: {rows:#?}");
        assert_eq!(
            by_login[0]["targets"],
            json!([{"field": "userId", "ref": JORDAN_LOGIN, "id": JORDAN_ID, "login": JORDAN_LOGIN}])
        );
    }

    // A refusal is recorded with its error status.
    let refused = app
        .action("suspend_user", json!({"userId": JORDAN_ID}))
        .await;
    refused.assert_error("INVALID_STATE", 409);
    let request_id = refused.headers["x-request-id"].to_str().expect("id");
    let rows = all_rows(&app, "?action=suspend_user").await;
    let row = rows
        .iter()
        .find(|r| r["requestId"] == request_id)
        .expect("the refusal's row");
    assert_eq!(row["outcome"], "INVALID_STATE");

    let stored = stored_text(&app).await;
    for secret in &secrets {
        assert!(
            !stored.contains(secret.as_str()),
            "a secret in the audit rows: {secret}"
        );
    }
    assert!(!stored.contains(ACTION_KEY) && !stored.contains(ADMIN_KEY));
}

async fn account_changes_write_rows(backend: Backend) {
    let app = spawn_with_account_from(app(backend)).await;
    let admin_key = key_hash(ADMIN_KEY).0;
    let updated = app
        .admin(
            Method::PUT,
            &format!("/accounts/{ACCOUNT}"),
            Some(json!({"apiToken": app.sim_token})),
        )
        .await;
    assert_eq!(updated.status, 200, "{}", updated.text);
    let refused = app.create_account(ACCOUNT).await;
    assert_eq!(refused.status, 409, "{}", refused.text);
    let deleted = app
        .admin(Method::DELETE, &format!("/accounts/{ACCOUNT}"), None)
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);

    let rows = all_rows(&app, &format!("?account={ACCOUNT}")).await;
    let seen: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r["action"].as_str().unwrap_or_default(),
                r["outcome"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    let conflict = refused.json["error"]["status"].as_str().expect("status");
    assert_eq!(
        seen,
        [
            ("delete_account", "success"),
            ("connect_account", conflict),
            ("update_account", "success"),
            ("connect_account", "success"),
        ],
        "newest first"
    );
    for row in &rows {
        assert_eq!(row["key"], admin_key.as_str());
        assert_eq!(
            row["targets"],
            json!([{"field": "account", "ref": ACCOUNT, "id": ACCOUNT}])
        );
    }
    assert_eq!(
        rows[0]["requestId"],
        deleted.headers["x-request-id"].to_str().expect("id")
    );
    assert!(!stored_text(&app).await.contains(&app.sim_token));

    // Admin only; bad parameters are named.
    let forbidden = app
        .call(Method::GET, "/audit", Some(ACTION_KEY), None)
        .await;
    forbidden.assert_error("FORBIDDEN_SCOPE", 403);
    let bad = audit(
        &app,
        "?limit=0&since=yesterday&after=forged.cursor&colour=red&account=",
    )
    .await;
    bad.assert_error("INVALID_FIELD_VALUE", 400);
    let mut fields = bad.bad_fields();
    fields.sort();
    assert_eq!(fields, ["account", "after", "colour", "limit", "since"]);
    let backwards = audit(
        &app,
        "?since=2026-12-02T00:00:00Z&until=2026-12-01T00:00:00Z",
    )
    .await;
    backwards.assert_error("INVALID_FIELD_VALUE", 400);
    assert_eq!(backwards.bad_fields(), ["until"]);
    // Postgres text cannot hold NUL: such a filter matches nothing instead of failing.
    let nul = audit(&app, "?account=%00&target=a%00b").await;
    assert_eq!(nul.status, 200, "{}", nul.text);
    assert_eq!(nul.json, json!({"items": [], "nextCursor": null}));
    let too_many = audit(&app, "?limit=201").await;
    assert_eq!(too_many.bad_fields(), ["limit"]);
}

async fn filters_and_paging_reach_the_last_page(backend: Backend) {
    let app = spawn_with_account_from(app(backend)).await;
    // 240 dry runs (150 on Jordan, 90 on Priya), ten at a time.
    let mut sent = 0;
    while sent < 240 {
        let batch: Vec<_> = (sent..sent + 10)
            .map(|i| {
                let user = if i % 8 < 5 { JORDAN_ID } else { PRIYA_ID };
                tokio::spawn(app.action_on(
                    ACCOUNT,
                    "delete_user",
                    json!({"userIdOrLogin": user, "dryRun": true}),
                ))
            })
            .collect();
        for call in batch {
            let response = call.await.expect("call");
            assert_eq!(response.status, 200, "{}", response.text);
        }
        sent += 10;
    }
    let rows = all_rows(&app, "?limit=37").await;
    assert_eq!(rows.len(), 241, "240 dry runs and the connect");
    let times: Vec<&str> = rows
        .iter()
        .map(|r| r["time"].as_str().expect("time"))
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");
    let mut ids: Vec<&str> = rows
        .iter()
        .map(|r| r["requestId"].as_str().expect("id"))
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 241, "no row twice across pages");

    let count = |query: &'static str| {
        let app = &app;
        async move { all_rows(app, query).await.len() }
    };
    assert_eq!(count("?action=delete_user&limit=200").await, 240);
    assert_eq!(count("?target=00ub0oNGTSWTBKOLGLNR").await, 150);
    assert_eq!(count("?target=priya.sharma@example.com").await, 90);
    assert_eq!(count("?action=connect_account").await, 1);
    assert_eq!(count("?account=nobody").await, 0);
    let action_key = key_hash(ACTION_KEY).0;
    assert_eq!(
        all_rows(&app, &format!("?key={action_key}")).await.len(),
        240
    );

    // A time window: since is inclusive, until exclusive.
    let pivot = rows[100]["time"].as_str().expect("time");
    let newer = all_rows(&app, &format!("?since={pivot}")).await.len();
    let older = all_rows(&app, &format!("?until={pivot}")).await.len();
    assert_eq!(newer + older, 241);
    assert!(newer >= 101, "{newer}");

    let first = audit(&app, "?limit=200").await;
    assert_eq!(first.json["items"].as_array().map(Vec::len), Some(200));
    let cursor = first.json["nextCursor"].as_str().expect("a next page");
    let last = audit(&app, &format!("?limit=200&after={cursor}")).await;
    assert_eq!(last.json["items"].as_array().map(Vec::len), Some(41));
    assert_eq!(last.json["nextCursor"], Value::Null);
    let mut altered = cursor.to_owned();
    altered.insert(0, 'A');
    let refused = audit(&app, &format!("?after={altered}")).await;
    assert_eq!(refused.bad_fields(), ["after"]);
}

async fn rows_older_than_the_retention_are_deleted(backend: Backend) {
    let mut app = spawn_with_account_from(app(backend).var("AUDIT_RETENTION_DAYS", "30")).await;
    let now_us = chrono::Utc::now().timestamp_micros();
    let day_us: i64 = 86_400_000_000;
    let old = |days: i64, action: &str| {
        format!(
            "INSERT INTO audit_entries (at_us, key_id, account, action, targets, dry_run, \
             outcome, okta_request_ids, request_id) \
             VALUES ({}, 'k', 'acme', '{action}', '[]', false, 'success', '', 'r')",
            now_us - days * day_us
        )
    };
    execute(&app, &[old(31, "expired"), old(29, "kept")]).await;
    assert_eq!(all_rows(&app, "").await.len(), 3);

    // The sweep runs at start (and hourly).
    app.gateway.stop().await;
    let gateway = RunningGateway::start(config_from(&app.vars))
        .await
        .expect("restarts");
    app.base = format!("http://{}", gateway.addr);
    app.gateway = gateway;
    let mut actions: Vec<String> = Vec::new();
    for _ in 0..50 {
        actions = all_rows(&app, "")
            .await
            .iter()
            .map(|r| r["action"].as_str().unwrap_or_default().to_owned())
            .collect();
        if actions.len() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(actions, ["connect_account", "kept"]);
}

/// The value of the write-failure counter in `/metrics` (0 before the first failure).
async fn write_failures(app: &TestApp) -> u64 {
    let metrics = app.admin(Method::GET, "/metrics", None).await;
    metrics
        .text
        .lines()
        .find_map(|line| line.strip_prefix("gateway_audit_write_failures_total "))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(0)
}

async fn an_answer_is_sent_when_its_row_cannot_be_written(backend: Backend) {
    let app = spawn_with_account_from(app(backend)).await;
    let before = write_failures(&app).await;
    execute(
        &app,
        &[
            "DROP TABLE audit_targets".to_owned(),
            "DROP TABLE audit_entries".to_owned(),
        ],
    )
    .await;
    let response = app
        .action("suspend_user", json!({"userId": JORDAN_ID}))
        .await;
    assert_eq!(
        response.status, 200,
        "the answer is not withheld: {}",
        response.text
    );
    assert_eq!(response.json["userStatus"], "SUSPENDED");
    // Other tests in this process may fail writes too (only more, never fewer).
    assert!(
        write_failures(&app).await > before,
        "the failure is counted"
    );
}

/// Run `okta-gateway rotate-key` against `app`'s database, with the test key ring.
async fn rotate_key(app: &TestApp) -> std::process::Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_okta-gateway"))
        .arg("rotate-key")
        .env_clear()
        .env("DATABASE_URL", &app.vars["DATABASE_URL"])
        .env("TOKEN_ENCRYPTION_KEYS", TEST_ENCRYPTION_KEY)
        .env("RUST_LOG", "warn")
        .output()
        .await
        .expect("rotate-key runs")
}

async fn each_key_rotation_run_writes_one_row(backend: Backend) {
    let mut app = spawn_with_account_from(app(backend)).await;
    let key_id = okta_gateway::crypto::TokenCipher::from_base64(TEST_ENCRYPTION_KEY)
        .expect("key")
        .key_id_hex();
    if backend == Backend::Sqlite {
        // The embedded database is held by the running gateway: refused, and recorded.
        let refused = rotate_key(&app).await;
        assert!(!refused.status.success());
        app.gateway.stop().await;
    }
    let rotated = rotate_key(&app).await;
    assert!(
        rotated.status.success(),
        "{}",
        String::from_utf8_lossy(&rotated.stderr)
    );
    if backend == Backend::Sqlite {
        let gateway = RunningGateway::start(config_from(&app.vars))
            .await
            .expect("restarts");
        app.base = format!("http://{}", gateway.addr);
        app.gateway = gateway;
    }
    let rows = all_rows(&app, "?action=rotate_key").await;
    let done = json!({
        "key": "-", "account": "-", "action": "rotate_key", "dryRun": false,
        "outcome": "success", "oktaRequestIds": [], "requestId": "-", "replayed": false,
        "targets": [{"field": "keyId", "ref": key_id, "id": key_id}],
    });
    let without_time = |row: &Value| {
        let mut row = row.clone();
        row.as_object_mut().expect("row").remove("time");
        row
    };
    assert_eq!(without_time(&rows[0]), done);
    match backend {
        Backend::Sqlite => {
            assert_eq!(rows.len(), 2, "{rows:#?}");
            assert_eq!(rows[1]["outcome"], "ROTATION_REFUSED");
            assert_eq!(rows[1]["targets"], json!([]));
        }
        Backend::Postgres => assert_eq!(rows.len(), 1, "{rows:#?}"),
    }
}

#[test]
fn a_failed_row_write_is_logged_at_error_level() {
    let (logs, ()) = captured_logs(true, || async {
        let app = spawn_with_account_from(app(Backend::Sqlite)).await;
        execute(&app, &["DROP TABLE audit_targets".to_owned()]).await;
        let response = app
            .action("suspend_user", json!({"userId": JORDAN_ID}))
            .await;
        assert_eq!(response.status, 200, "{}", response.text);
    });
    let failures: Vec<Value> = logs
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line["target"] == "okta_gateway::audit" && line["level"] == "ERROR")
        .collect();
    assert_eq!(failures.len(), 1, "{logs}");
    assert_eq!(failures[0]["action"], "suspend_user");
    assert_eq!(failures[0]["outcome"], "success");
    assert!(
        failures[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("AUDIT ROW NOT WRITTEN")),
        "{}",
        failures[0]
    );
}
