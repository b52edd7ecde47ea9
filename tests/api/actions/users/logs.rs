//! Logs: no credentials, one audit line per mutating action.

use super::*;
use crate::actions::support::audit_lines;

// ---------------------------------------------------------------------------------------------
// Logs: no credentials, one audit line per mutating action
// ---------------------------------------------------------------------------------------------

/// Every form in which a secret could leak into a line.
fn leak_forms(secret: &str) -> Vec<String> {
    let mut forms = vec![
        secret.to_owned(),
        percent_encoding::utf8_percent_encode(secret, percent_encoding::NON_ALPHANUMERIC)
            .to_string(),
        serde_json::to_string(secret).expect("json"),
    ];
    forms.dedup();
    forms
}

#[test]
fn credentials_never_appear_in_logs() {
    let (logs, secrets) = captured_logs(false, || async {
        let app = spawn_with_account().await;
        let mut secrets: Vec<String> = Vec::new();

        let staged = seed(&app, "new.hire@example.com", "STAGED");
        let activated = app.action("activate_user", json!({"userId": staged})).await;
        secrets.push(
            ok(&activated)["activationToken"]
                .as_str()
                .expect("token")
                .to_owned(),
        );

        let reset = app
            .action("reset_password", json!({"userId": PRIYA_ID}))
            .await;
        let url = ok(&reset)["resetPasswordUrl"].as_str().expect("url");
        secrets.push(url.rsplit('/').next().expect("token").to_owned());

        // PROVISIONED: refused (and logged as refused) before the successful one.
        let refused = app
            .action("expire_password", json!({"userId": "new.hire@example.com"}))
            .await;
        refused.assert_error("INVALID_STATE", 409);
        let expired = app
            .action("expire_password", json!({"userId": JORDAN_ID}))
            .await;
        secrets.push(
            ok(&expired)["tempPassword"]["value"]
                .as_str()
                .expect("temp password")
                .to_owned(),
        );

        let old = "Old-Sturdy-Passw0rd";
        let new = "N3w-Sturdy-Passw0rd";
        seed_with_password(&app, "pat@example.com", old);
        let changed = app
            .action(
                "change_password",
                json!({"userId": "pat@example.com", "oldPassword": {"value": old}, "newPassword": {"value": new}}),
            )
            .await;
        ok(&changed);
        let wrong = "Wr0ng-Sturdy-Passw0rd";
        let refused = app
            .action(
                "change_password",
                json!({"userId": "pat@example.com", "oldPassword": {"value": wrong}, "newPassword": {"value": "An0ther-Passw0rd"}}),
            )
            .await;
        refused.assert_error("INVALID_FIELD_VALUE", 400);
        let invalid = app
            .action(
                "change_password",
                json!({"userId": "pat@example.com", "oldPassword": "Inval1d-Shape-Secret", "newPassword": {"value": new}}),
            )
            .await;
        invalid.assert_error("INVALID_FIELD_VALUE", 400);
        secrets.extend(
            [old, new, wrong, "An0ther-Passw0rd", "Inval1d-Shape-Secret"].map(str::to_owned),
        );
        drop(app);
        secrets
    });

    assert!(!logs.is_empty(), "the capture holds output");
    assert!(logs.contains("TRACE"), "the capture holds TRACE output");
    assert!(
        logs.contains("okta_gateway::audit"),
        "the capture holds the gateway's own lines"
    );
    for secret in &secrets {
        assert!(secret.len() >= 8, "a real secret: {secret:?}");
        for form in leak_forms(secret) {
            let line = logs.lines().find(|line| line.contains(&form));
            assert!(line.is_none(), "a log line contains {form:?}: {line:?}");
        }
    }
}

#[test]
fn each_mutating_action_writes_one_audit_line_with_its_outcome() {
    let (logs, request_ids) = captured_logs(true, || async {
        let app = spawn_with_account().await;
        let ids = |app: &TestApp| -> Vec<String> {
            sent(app).into_iter().map(|r| r.request_id).collect()
        };

        let read = app
            .action(
                "get_user",
                json!({"searchBy": "id", "searchValue": JORDAN_ID}),
            )
            .await;
        ok(&read);

        app.forget_requests();
        let suspended = app
            .action("suspend_user", json!({"userId": JORDAN_ID}))
            .await;
        ok(&suspended);
        let success_ids = ids(&app);

        app.forget_requests();
        let refused = app
            .action("suspend_user", json!({"userId": JORDAN_ID}))
            .await;
        refused.assert_error("INVALID_STATE", 409);
        let failure_ids = ids(&app);

        app.forget_requests();
        let created = create_ann(&app, "ann.ito@example.com").await;
        ok(&created);
        let create_ids = ids(&app);
        drop(app);
        (success_ids, failure_ids, create_ids)
    });
    let (success_ids, failure_ids, create_ids) = request_ids;

    let lines = audit_lines(&logs);
    assert_eq!(
        lines.len(),
        3,
        "one per mutating action, none for get_user: {lines:#?}"
    );
    let key = okta_gateway::auth::key_hash(ACTION_KEY).0;
    assert!(!logs.contains(ACTION_KEY), "the key itself is never logged");

    let success = &lines[0];
    assert_eq!(success["key"], key.as_str());
    assert_eq!(success["account"], "acme");
    assert_eq!(success["action"], "suspend_user");
    assert_eq!(success["targets"], format!("userId={JORDAN_ID}"));
    assert_eq!(success["outcome"], "success");
    assert_eq!(success_ids.len(), 1);
    let recorded = success["okta_request_ids"].as_str().unwrap_or_default();
    assert!(recorded.contains(&success_ids[0]), "{success}");

    let failure = &lines[1];
    assert_eq!(failure["action"], "suspend_user");
    assert_eq!(failure["targets"], format!("userId={JORDAN_ID}"));
    assert_eq!(failure["outcome"], "INVALID_STATE");
    // The refused POST and the GET that read the user's status.
    assert_eq!(failure_ids.len(), 2);
    let recorded = failure["okta_request_ids"].as_str().unwrap_or_default();
    for id in &failure_ids {
        assert!(recorded.contains(id.as_str()), "{failure}");
    }

    let create = &lines[2];
    assert_eq!(create["action"], "create_user");
    assert_eq!(create["outcome"], "success");
    assert!(
        create["targets"]
            .as_str()
            .is_some_and(|t| t.contains("login=ann.ito@example.com")),
        "the created user is named: {create}"
    );
    assert!(
        create["okta_request_ids"]
            .as_str()
            .is_some_and(|ids| ids.contains(&create_ids[0])),
        "{create}"
    );
}
