//! Which of an action's Okta OAuth scopes an account was not granted, and the refusal that
//! follows before any Okta call.
//!
//! Okta's scopes come in pairs per resource, and a `.manage` scope also grants its `.read`
//! (Okta describes `okta.users.manage` as managing users "and read all profile and credential
//! information"), so an action lists the fewest scopes that cover its calls.

use serde_json::{Value, json};

use super::{Action, Catalog};
use crate::error::ApiError;

/// Whether `granted` holds `needed`, directly or through the `.manage` scope of its `.read`.
fn grants(granted: &[String], needed: &str) -> bool {
    granted.iter().any(|g| g == needed)
        || needed.strip_suffix(".read").is_some_and(|stem| {
            granted
                .iter()
                .any(|g| g.strip_suffix(".manage") == Some(stem))
        })
}

/// The scopes of `action` that `granted` does not cover, in the action's order.
pub fn missing_scopes(action: &Action, granted: &[String]) -> Vec<&'static str> {
    action
        .scopes
        .iter()
        .copied()
        .filter(|needed| !grants(granted, needed))
        .collect()
}

/// Refuse `action` for an account whose granted scopes do not cover it. `None` is an API-token
/// account: the token acts with its admin's rights, so no scope limits it.
pub fn check_scopes(action: &Action, granted: Option<&[String]>) -> Result<(), ApiError> {
    let Some(granted) = granted else {
        return Ok(());
    };
    let missing = missing_scopes(action, granted);
    if missing.is_empty() {
        Ok(())
    } else {
        Err(ApiError::missing_scopes(action.name, &missing))
    }
}

impl Catalog {
    /// `GET /accounts/{name}/actions`: the actions an account whose service app was granted
    /// `granted` can run (`None`: an API-token account, which can run them all), each with
    /// its scopes, and the others with the scopes they lack, in the catalog's order.
    pub fn runnable(&self, account: &str, granted: Option<&[String]>) -> Value {
        let (mut actions, mut unavailable) = (Vec::new(), Vec::new());
        for (action, _) in self.iter() {
            let missing = granted.map_or_else(Vec::new, |g| missing_scopes(action, g));
            let mut entry = json!({
                "name": action.name,
                "label": action.label,
                "mutating": action.mutating,
                "scopes": action.scopes,
            });
            if missing.is_empty() {
                actions.push(entry);
            } else {
                entry["missingScopes"] = json!(missing);
                unavailable.push(entry);
            }
        }
        json!({"account": account, "actions": actions, "unavailable": unavailable})
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::ACTIONS;
    use crate::error::ErrorStatus;

    fn action(name: &str) -> &'static Action {
        ACTIONS
            .iter()
            .copied()
            .find(|a| a.name == name)
            .unwrap_or_else(|| panic!("{name} is an action"))
    }

    fn owned(scopes: &[&str]) -> Vec<String> {
        scopes.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn a_manage_scope_grants_its_read_but_a_read_never_manages() {
        let get_user = action("get_user");
        let delete_user = action("delete_user");
        assert!(missing_scopes(get_user, &owned(&["okta.users.read"])).is_empty());
        assert!(missing_scopes(get_user, &owned(&["okta.users.manage"])).is_empty());
        assert_eq!(
            missing_scopes(delete_user, &owned(&["okta.users.read"])),
            ["okta.users.manage"]
        );
        // Another resource's manage scope grants nothing here.
        assert_eq!(
            missing_scopes(get_user, &owned(&["okta.groups.manage"])),
            ["okta.users.read"]
        );
        // Nor does a look-alike that is not the `.manage` of the same resource.
        assert_eq!(
            missing_scopes(
                get_user,
                &owned(&["okta.users.read.manage", "okta.user.manage"])
            ),
            ["okta.users.read"]
        );
    }

    #[test]
    fn only_the_scopes_not_granted_are_missing_in_the_actions_order() {
        let add = action("add_user_to_group");
        assert_eq!(add.scopes, ["okta.groups.manage", "okta.users.read"]);
        assert_eq!(
            missing_scopes(add, &[]),
            ["okta.groups.manage", "okta.users.read"]
        );
        assert_eq!(
            missing_scopes(add, &owned(&["okta.users.manage"])),
            ["okta.groups.manage"]
        );
        assert!(missing_scopes(add, &owned(&["okta.users.read", "okta.groups.manage"])).is_empty());
    }

    #[test]
    fn every_action_names_okta_scopes_without_a_read_its_manage_already_grants() {
        for action in ACTIONS.iter() {
            assert!(!action.scopes.is_empty(), "{}", action.name);
            for scope in action.scopes {
                assert!(
                    scope.starts_with("okta.")
                        && (scope.ends_with(".read") || scope.ends_with(".manage")),
                    "{}: {scope}",
                    action.name
                );
                let others: Vec<String> = action
                    .scopes
                    .iter()
                    .filter(|s| *s != scope)
                    .map(|s| (*s).to_owned())
                    .collect();
                assert!(
                    !grants(&others, scope),
                    "{}: {scope} is granted by its other scopes",
                    action.name
                );
            }
        }
    }

    #[test]
    fn an_account_granted_some_scopes_runs_only_the_actions_they_cover() {
        let catalog = Catalog::new();
        let everything = catalog.runnable("acme", None);
        assert_eq!(everything["account"], "acme");
        assert_eq!(
            everything["actions"].as_array().map(Vec::len),
            Some(ACTIONS.len())
        );
        assert_eq!(everything["unavailable"], json!([]));

        let granted = owned(&["okta.users.manage"]);
        let some = catalog.runnable("acme", Some(&granted));
        let names = |list: &Value| -> Vec<String> {
            list.as_array()
                .into_iter()
                .flatten()
                .filter_map(|a| a["name"].as_str().map(str::to_owned))
                .collect()
        };
        let expected: Vec<String> = ACTIONS
            .iter()
            .filter(|a| a.scopes.iter().all(|s| s.starts_with("okta.users.")))
            .map(|a| a.name.to_owned())
            .collect();
        assert!(expected.contains(&"delete_user".to_owned()));
        assert_eq!(names(&some["actions"]), expected);
        let refused = some["unavailable"]
            .as_array()
            .and_then(|list| list.iter().find(|a| a["name"] == "add_user_to_group"))
            .expect("add_user_to_group is unavailable");
        assert_eq!(
            refused["scopes"],
            json!(["okta.groups.manage", "okta.users.read"])
        );
        assert_eq!(refused["missingScopes"], json!(["okta.groups.manage"]));
        assert_eq!(
            names(&some["actions"]).len() + names(&some["unavailable"]).len(),
            ACTIONS.len()
        );
    }

    #[test]
    fn an_api_token_account_is_never_refused_and_an_oauth_one_is_refused_naming_the_scopes() {
        let delete_user = action("delete_user");
        assert!(check_scopes(delete_user, None).is_ok());
        assert!(check_scopes(delete_user, Some(&owned(&["okta.users.manage"]))).is_ok());
        let refused = check_scopes(delete_user, Some(&owned(&["okta.users.read"])))
            .expect_err("okta.users.manage is missing");
        assert_eq!(refused.status, ErrorStatus::ResourceAccessDenied);
        assert_eq!(
            refused.details.missing_scopes,
            Some(vec!["okta.users.manage".to_owned()])
        );
    }
}
