//! The OAuth 2.0 scopes each operation requires, read from the vendored spec subset.
//!
//! Okta's spec gives every operation a `security` list of alternatives: `apiToken` (an SSWS
//! token) or `oauth2` with the scopes an access token must carry, e.g.
//! `[{apiToken: []}, {oauth2: [okta.users.read]}]`. The simulator keeps no list of its own:
//! `spec/extract.py` copies each operation whole (its `security` included) into
//! `spec/okta-management-subset.json`, and this module reads the requirements and the
//! catalogue of Okta's scopes (`components.securitySchemes.oauth2`) from that file once.
//!
//! [`required`] and [`satisfied`] are public so the gateway's tests can check that each action
//! declares the scopes of the operations it calls (a recorded request's `route` is the
//! operation's template).

use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

use serde::Deserialize;

/// The vendored subset, compiled in so the binary needs no file at run time.
const SUBSET: &str = include_str!("../spec/okta-management-subset.json");

#[derive(Deserialize)]
struct Subset {
    paths: HashMap<String, HashMap<String, serde_json::Value>>,
    components: Components,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Components {
    security_schemes: HashMap<String, Scheme>,
}

#[derive(Deserialize)]
struct Scheme {
    #[serde(default)]
    flows: HashMap<String, Flow>,
}

#[derive(Deserialize)]
struct Flow {
    #[serde(default)]
    scopes: HashMap<String, String>,
}

/// Requirements per (upper-case method, path template), and every scope Okta defines.
struct Catalogue {
    /// Each alternative is a set of scopes that must all be granted; empty when the
    /// operation accepts no OAuth token at all (only `apiToken`).
    required: HashMap<(String, String), Vec<Vec<String>>>,
    known: BTreeSet<String>,
}

fn catalogue() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(|| {
        // The file is part of the crate and checked by the conformance tests; a parse failure
        // is a build defect, so an empty catalogue (every OAuth call refused) is the safe side.
        let subset: Option<Subset> = serde_json::from_str(SUBSET).ok();
        let mut required = HashMap::new();
        let mut known = BTreeSet::new();
        if let Some(subset) = subset {
            for (template, item) in subset.paths {
                for (method, op) in item {
                    if method == "parameters" {
                        continue;
                    }
                    required.insert(
                        (method.to_ascii_uppercase(), template.clone()),
                        oauth_alternatives(&op),
                    );
                }
            }
            for scheme in subset.components.security_schemes.into_values() {
                for flow in scheme.flows.into_values() {
                    known.extend(flow.scopes.into_keys());
                }
            }
        }
        Catalogue { required, known }
    })
}

/// The `oauth2` alternatives of one operation's `security` list.
fn oauth_alternatives(op: &serde_json::Value) -> Vec<Vec<String>> {
    op.get("security")
        .and_then(serde_json::Value::as_array)
        .map(|alternatives| {
            alternatives
                .iter()
                .filter_map(|alt| alt.get("oauth2")?.as_array())
                .map(|scopes| {
                    scopes
                        .iter()
                        .filter_map(|s| s.as_str().map(str::to_string))
                        .collect()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The scopes an OAuth access token needs for `method` on `template`, as alternatives (any
/// one suffices); empty when the spec lets only SSWS tokens call the operation.
pub fn required(method: &str, template: &str) -> &'static [Vec<String>] {
    catalogue()
        .required
        .get(&(method.to_ascii_uppercase(), template.to_string()))
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// Whether `scope` is one of Okta's own API scopes (`okta.users.read`, …).
pub(crate) fn is_okta_scope(scope: &str) -> bool {
    catalogue().known.contains(scope)
}

/// Whether `granted` satisfies one scope requirement. A `.manage` scope also grants the
/// matching `.read` (Okta describes `okta.users.manage` as managing users "and read all
/// profile and credential information").
fn grants(granted: &[String], needed: &str) -> bool {
    granted.iter().any(|g| g == needed)
        || needed
            .strip_suffix(".read")
            .is_some_and(|stem| granted.iter().any(|g| *g == format!("{stem}.manage")))
}

/// Whether a token carrying `granted` may call an operation with these alternatives.
pub fn satisfied(alternatives: &[Vec<String>], granted: &[String]) -> bool {
    alternatives
        .iter()
        .any(|all| all.iter().all(|needed| grants(granted, needed)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owned(scopes: &[&str]) -> Vec<String> {
        scopes.iter().map(|s| (*s).to_string()).collect()
    }

    #[test]
    fn requirements_come_from_the_spec() {
        assert_eq!(
            required("GET", "/api/v1/users/{id}"),
            &[owned(&["okta.users.read"])]
        );
        assert_eq!(
            required("post", "/api/v1/groups"),
            &[owned(&["okta.groups.manage"])]
        );
        assert_eq!(
            required("GET", "/api/v1/logs"),
            &[owned(&["okta.logs.read"])]
        );
        // The spec offers only `apiToken` for the security questions.
        assert!(required("GET", "/api/v1/users/{userId}/factors/questions").is_empty());
        assert!(is_okta_scope("okta.users.manage"));
        assert!(!is_okta_scope("openid"));
    }

    #[test]
    fn manage_also_reads_but_read_never_manages() {
        let read = [owned(&["okta.users.read"])];
        let manage = [owned(&["okta.users.manage"])];
        assert!(satisfied(&read, &owned(&["okta.users.manage"])));
        assert!(satisfied(&read, &owned(&["okta.users.read"])));
        assert!(!satisfied(&manage, &owned(&["okta.users.read"])));
        assert!(!satisfied(&read, &owned(&["okta.groups.manage"])));
        assert!(!satisfied(&[], &owned(&["okta.users.manage"])));
    }
}
