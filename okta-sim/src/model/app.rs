//! Applications, their user assignments (`AppUser`) and their group assignments
//! (`ApplicationGroupAssignment`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::Target;
use crate::util;

/// An application to seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppSeed {
    /// A fixed id (`0oa…`, 20 characters); random when `None`.
    #[serde(default)]
    pub id: Option<String>,
    /// Display label.
    pub label: String,
    /// App name (e.g. `template_saml_2_0`, `bookmark`, `oidc_client`); derived from the mode when `None`.
    #[serde(default)]
    pub name: Option<String>,
    /// `SAML_2_0`, `BOOKMARK`, `OPENID_CONNECT`, `AUTO_LOGIN`, `BASIC_AUTH`,
    /// `SECURE_PASSWORD_STORE`, `BROWSER_PLUGIN`, `SAML_1_1` or `WS_FEDERATION`.
    pub sign_on_mode: String,
    /// `ACTIVE` (default) or `INACTIVE`.
    #[serde(default)]
    pub status: Option<String>,
    /// Merged over the mode's default `settings` object.
    #[serde(default)]
    pub settings: Option<Value>,
}

impl AppSeed {
    /// An ACTIVE app with a random id and the mode's default name and settings.
    pub fn new(label: &str, sign_on_mode: &str) -> Self {
        AppSeed {
            id: None,
            label: label.to_string(),
            name: None,
            sign_on_mode: sign_on_mode.to_string(),
            status: None,
            settings: None,
        }
    }
}

pub(crate) const SIGN_ON_MODES: &[&str] = &[
    "AUTO_LOGIN",
    "BASIC_AUTH",
    "BOOKMARK",
    "BROWSER_PLUGIN",
    "OPENID_CONNECT",
    "SAML_1_1",
    "SAML_2_0",
    "SECURE_PASSWORD_STORE",
    "WS_FEDERATION",
];

/// One app.
#[derive(Debug, Clone)]
pub(crate) struct App {
    pub id: String,
    pub name: String,
    pub label: String,
    pub sign_on_mode: String,
    pub status: String,
    pub created: DateTime<Utc>,
    pub last_updated: DateTime<Utc>,
    pub credentials: Value,
    pub settings: Value,
    /// Every app user, direct (`scope` USER) or through an assigned group (`scope` GROUP).
    pub users: BTreeMap<String, AppUser>,
    /// The groups assigned to the app, by group id.
    pub groups: BTreeMap<String, AppGroup>,
}

/// One assignment of a group to an app: its members become app users with scope GROUP.
#[derive(Debug, Clone)]
pub(crate) struct AppGroup {
    pub group_id: String,
    pub last_updated: DateTime<Utc>,
    /// Which group's profile applies when several assigned groups hold the same user
    /// (0 is the highest).
    pub priority: i64,
    pub profile: Map<String, Value>,
}

/// One assignment of a user to an app.
#[derive(Debug, Clone)]
pub(crate) struct AppUser {
    pub user_id: String,
    pub created: DateTime<Utc>,
    pub last_updated: DateTime<Utc>,
    pub scope: String,
    pub status: String,
    pub status_changed: DateTime<Utc>,
    pub password_changed: Option<DateTime<Utc>>,
    pub credentials: Map<String, Value>,
    pub profile: Map<String, Value>,
}

fn merge(into: &mut Value, from: &Value) {
    match (into, from) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                match a.get_mut(k) {
                    Some(existing) if existing.is_object() && v.is_object() => merge(existing, v),
                    _ => {
                        a.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (slot, other) => *slot = other.clone(),
    }
}

fn user_name_template() -> Value {
    json!({"template": "${source.login}", "type": "BUILT_IN"})
}

/// Does this mode store per-user passwords (SWA-style schemes)?
pub(crate) fn takes_passwords(mode: &str) -> bool {
    matches!(
        mode,
        "AUTO_LOGIN" | "BASIC_AUTH" | "SECURE_PASSWORD_STORE" | "BROWSER_PLUGIN"
    )
}

impl App {
    /// Builds an app from a seed; `Err` explains what is wrong with the seed.
    pub fn from_seed(seed: &AppSeed) -> Result<App, String> {
        let mode = seed.sign_on_mode.to_ascii_uppercase();
        if !SIGN_ON_MODES.contains(&mode.as_str()) {
            return Err(format!("unknown signOnMode '{}'", seed.sign_on_mode));
        }
        if seed.label.trim().is_empty() {
            return Err("label must not be empty".into());
        }
        let status = seed
            .status
            .as_deref()
            .unwrap_or("ACTIVE")
            .to_ascii_uppercase();
        if !matches!(status.as_str(), "ACTIVE" | "INACTIVE") {
            return Err(format!("unknown app status '{status}'"));
        }
        let id = match &seed.id {
            Some(id) if id.len() == 20 && id.chars().all(|c| c.is_ascii_alphanumeric()) => {
                id.clone()
            }
            Some(id) => return Err(format!("app id '{id}' must be 20 alphanumeric characters")),
            None => util::new_id("0oa"),
        };
        let slug: String = seed
            .label
            .to_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let name = seed.name.clone().unwrap_or_else(|| match mode.as_str() {
            "BOOKMARK" => "bookmark".into(),
            "OPENID_CONNECT" => "oidc_client".into(),
            "BASIC_AUTH" => "template_basic_auth".into(),
            "SECURE_PASSWORD_STORE" => "template_sps".into(),
            "WS_FEDERATION" => "template_wsfed".into(),
            "SAML_2_0" | "SAML_1_1" => format!("simorg_{slug}_1"),
            _ => format!("simorg_{slug}_1"),
        });
        let mut credentials = json!({"userNameTemplate": user_name_template(), "signing": {}});
        let mut settings = json!({
            "app": {},
            "notifications": {"vpn": {"network": {"connection": "DISABLED"}}},
            "manualProvisioning": false,
            "implicitAssignment": false,
            "notes": {}
        });
        match mode.as_str() {
            "SAML_2_0" | "SAML_1_1" => {
                merge(
                    &mut settings,
                    &json!({
                        "app": {
                            "audienceRestriction": "https://www.example.com/audience",
                            "postBackURL": "https://www.example.com/sso/saml"
                        },
                        "signOn": {
                            "defaultRelayState": "",
                            "ssoAcsUrl": "https://www.example.com/sso/saml",
                            "idpIssuer": "http://www.okta.com/${org.externalKey}",
                            "audience": "https://www.example.com/audience",
                            "recipient": "https://www.example.com/sso/saml",
                            "destination": "https://www.example.com/sso/saml",
                            "subjectNameIdTemplate": "${user.userName}",
                            "subjectNameIdFormat": "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
                            "responseSigned": true,
                            "assertionSigned": true,
                            "signatureAlgorithm": "RSA_SHA256",
                            "digestAlgorithm": "SHA256",
                            "honorForceAuthn": true,
                            "authnContextClassRef": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",
                            "requestCompressed": false,
                            "allowMultipleAcsEndpoints": false,
                            "acsEndpoints": [],
                            "attributeStatements": []
                        }
                    }),
                );
            }
            "BOOKMARK" => merge(
                &mut settings,
                &json!({"app": {"requestIntegration": false, "url": "https://intranet.example.com/"}}),
            ),
            "OPENID_CONNECT" => {
                merge(
                    &mut credentials,
                    &json!({"oauthClient": {
                        "autoKeyRotation": true,
                        "client_id": id,
                        "token_endpoint_auth_method": "client_secret_basic"
                    }}),
                );
                merge(
                    &mut settings,
                    &json!({"oauthClient": {
                        "client_uri": "https://helpdesk.example.com",
                        "redirect_uris": ["https://helpdesk.example.com/oauth2/callback"],
                        "response_types": ["code"],
                        "grant_types": ["authorization_code"],
                        "application_type": "web",
                        "issuer_mode": "DYNAMIC"
                    }}),
                );
            }
            "AUTO_LOGIN" => {
                merge(
                    &mut credentials,
                    &json!({"scheme": "EDIT_USERNAME_AND_PASSWORD", "revealPassword": false}),
                );
                merge(
                    &mut settings,
                    &json!({"signOn": {"loginUrl": "https://payroll.example.com/login"}}),
                );
            }
            "BASIC_AUTH" => {
                merge(
                    &mut credentials,
                    &json!({"scheme": "EDIT_USERNAME_AND_PASSWORD", "revealPassword": false}),
                );
                merge(
                    &mut settings,
                    &json!({"app": {"url": "https://basic.example.com/", "authURL": "https://basic.example.com/login"}}),
                );
            }
            "SECURE_PASSWORD_STORE" => {
                merge(
                    &mut credentials,
                    &json!({"scheme": "EDIT_USERNAME_AND_PASSWORD", "revealPassword": false}),
                );
                merge(
                    &mut settings,
                    &json!({"app": {
                        "url": "https://sps.example.com/login",
                        "passwordField": "#password",
                        "usernameField": "#username"
                    }}),
                );
            }
            _ => {}
        }
        if let Some(extra) = &seed.settings {
            if !extra.is_object() {
                return Err("settings must be an object".into());
            }
            merge(&mut settings, extra);
        }
        let now = util::now();
        Ok(App {
            id,
            name,
            label: seed.label.clone(),
            sign_on_mode: mode,
            status,
            created: now,
            last_updated: now,
            credentials,
            settings,
            users: BTreeMap::new(),
            groups: BTreeMap::new(),
        })
    }

    /// The end-user dashboard link of the app (its one app link; Okta apps may have several).
    pub fn link_url(&self, base: &str) -> String {
        format!("{base}/home/{}/{}/aln1simAPPLINK0000", self.name, self.id)
    }

    /// The app's logo (every simulated app has the default one).
    pub fn logo_url(base: &str) -> String {
        format!("{base}/assets/img/logos/default.png")
    }

    pub fn as_target(&self) -> Target {
        Target::new(&self.id, "AppInstance", &self.label, &self.label)
    }

    /// The priority a group assigned without one gets: after the app's other groups (Okta's
    /// "next highest priority"), 0 for the first.
    pub fn next_group_priority(&self) -> i64 {
        self.groups
            .values()
            .map(|g| g.priority + 1)
            .max()
            .unwrap_or(0)
    }

    pub fn to_json(&self, base: &str) -> Value {
        let me = format!("{base}/api/v1/apps/{}", self.id);
        let link_name = format!("{}_link", self.name);
        let mut links = json!({
            "logo": [{"name": "medium", "href": App::logo_url(base), "type": "image/png"}],
            "appLinks": [{"name": link_name, "href": self.link_url(base), "type": "text/html"}],
            "users": {"href": format!("{me}/users")},
            "groups": {"href": format!("{me}/groups")},
        });
        if let Some(map) = links.as_object_mut() {
            if self.status == "ACTIVE" {
                map.insert(
                    "deactivate".into(),
                    json!({"href": format!("{me}/lifecycle/deactivate")}),
                );
            } else {
                map.insert(
                    "activate".into(),
                    json!({"href": format!("{me}/lifecycle/activate")}),
                );
            }
            if self.sign_on_mode.starts_with("SAML") {
                map.insert(
                    "metadata".into(),
                    json!({"href": format!("{me}/sso/saml/metadata"), "type": "application/xml"}),
                );
            }
        }
        json!({
            "id": self.id,
            "name": self.name,
            "label": self.label,
            "status": self.status,
            "lastUpdated": util::ts(&self.last_updated),
            "created": util::ts(&self.created),
            "accessibility": {"selfService": false},
            "visibility": {
                "autoSubmitToolbar": false,
                "hide": {"iOS": false, "web": false},
                "appLinks": {link_name: true}
            },
            "features": [],
            "signOnMode": self.sign_on_mode,
            "credentials": self.credentials,
            "settings": self.settings,
            "_links": links,
        })
    }
}

impl AppUser {
    pub fn to_json(&self, base: &str, app_id: &str) -> Value {
        json!({
            "id": self.user_id,
            "created": util::ts(&self.created),
            "lastUpdated": util::ts(&self.last_updated),
            "scope": self.scope,
            "status": self.status,
            "statusChanged": util::ts(&self.status_changed),
            "passwordChanged": self.password_changed.as_ref().map_or(Value::Null, |t| Value::String(util::ts(t))),
            "syncState": "DISABLED",
            "credentials": Value::Object(self.credentials.clone()),
            "profile": Value::Object(self.profile.clone()),
            "_links": {
                "app": {"href": format!("{base}/api/v1/apps/{app_id}")},
                "user": {"href": format!("{base}/api/v1/users/{}", self.user_id)}
            }
        })
    }
}

impl AppGroup {
    /// The assignment as `GET /api/v1/apps/{appId}/groups/{groupId}` returns it.
    pub fn to_json(&self, base: &str, app_id: &str) -> Value {
        json!({
            "id": self.group_id,
            "lastUpdated": util::ts(&self.last_updated),
            "priority": self.priority,
            "profile": Value::Object(self.profile.clone()),
            "_links": {
                "app": {"href": format!("{base}/api/v1/apps/{app_id}")},
                "self": {"href": format!("{base}/api/v1/apps/{app_id}/groups/{}", self.group_id)},
                "group": {"href": format!("{base}/api/v1/groups/{}", self.group_id)}
            }
        })
    }
}

/// The app user a group assignment gives a member who has no direct assignment.
pub(crate) fn group_assignment(user_id: &str, login: &str, at: DateTime<Utc>) -> AppUser {
    AppUser {
        scope: "GROUP".into(),
        ..seed_assignment(user_id, login, at)
    }
}

/// A direct assignment made by the seed or the control API (no log event).
pub(crate) fn seed_assignment(user_id: &str, login: &str, at: DateTime<Utc>) -> AppUser {
    let mut credentials = Map::new();
    credentials.insert("userName".into(), json!(login));
    AppUser {
        user_id: user_id.to_string(),
        created: at,
        last_updated: at,
        scope: "USER".into(),
        status: "ACTIVE".into(),
        status_changed: at,
        password_changed: None,
        credentials,
        profile: Map::new(),
    }
}
