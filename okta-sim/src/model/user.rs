//! Users: the user object, its statuses and its lifecycle transitions.

use std::time::Instant;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::Target;
use crate::util;

/// The id of the default user type every user has.
pub(crate) const DEFAULT_USER_TYPE: &str = "oty1simDEFAULTTYPE00";

/// Okta's user statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Staged,
    Provisioned,
    Active,
    Recovery,
    LockedOut,
    PasswordExpired,
    Suspended,
    Deprovisioned,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Staged => "STAGED",
            Status::Provisioned => "PROVISIONED",
            Status::Active => "ACTIVE",
            Status::Recovery => "RECOVERY",
            Status::LockedOut => "LOCKED_OUT",
            Status::PasswordExpired => "PASSWORD_EXPIRED",
            Status::Suspended => "SUSPENDED",
            Status::Deprovisioned => "DEPROVISIONED",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Some(match s.to_ascii_uppercase().as_str() {
            "STAGED" => Status::Staged,
            "PROVISIONED" => Status::Provisioned,
            "ACTIVE" => Status::Active,
            "RECOVERY" => Status::Recovery,
            "LOCKED_OUT" => Status::LockedOut,
            "PASSWORD_EXPIRED" => Status::PasswordExpired,
            "SUSPENDED" => Status::Suspended,
            "DEPROVISIONED" => Status::Deprovisioned,
            _ => return None,
        })
    }

    /// Statuses a user only reaches after activation.
    pub fn is_activated(self) -> bool {
        matches!(
            self,
            Status::Active
                | Status::Recovery
                | Status::LockedOut
                | Status::PasswordExpired
                | Status::Suspended
        )
    }
}

/// What an asynchronous operation still in progress will do when it completes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pending {
    /// Move to this status (shown as `transitioningToStatus`).
    Status(Status),
    /// Delete the (DEPROVISIONED) user.
    Delete,
}

/// An asynchronous operation in progress: activation, or a `Prefer: respond-async`
/// deactivation or delete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Transition {
    pub pending: Pending,
    pub until: Instant,
}

/// One user.
#[derive(Debug, Clone)]
pub(crate) struct User {
    pub id: String,
    pub status: Status,
    pub created: DateTime<Utc>,
    pub activated: Option<DateTime<Utc>>,
    pub status_changed: Option<DateTime<Utc>>,
    pub last_login: Option<DateTime<Utc>>,
    pub last_updated: DateTime<Utc>,
    pub password_changed: Option<DateTime<Utc>>,
    pub profile: Map<String, Value>,
    pub password: Option<String>,
    pub recovery_question: Option<(String, String)>,
    pub provider: (String, String),
    pub type_id: String,
    /// The asynchronous operation in progress, if any (changes get 409 E0000112 meanwhile).
    pub transition: Option<Transition>,
    /// The profile source that masters this user (`ACTIVE_DIRECTORY`, `LDAP`, an HR system…),
    /// if not Okta: profile changes get 403 E0000023.
    pub mastered_by: Option<String>,
    /// Blocked from unknown devices while ACTIVE (unlock lifts the block).
    pub unknown_device_block: bool,
}

fn opt_ts(t: &Option<DateTime<Utc>>) -> Value {
    t.as_ref()
        .map_or(Value::Null, |t| Value::String(util::ts(t)))
}

fn link(href: String) -> Value {
    json!({ "href": href })
}

fn post_link(href: String) -> Value {
    json!({ "href": href, "method": "POST" })
}

impl User {
    /// A new user created now with the given profile.
    pub fn new(id: String, status: Status, profile: Map<String, Value>) -> User {
        let now = util::now();
        User {
            id,
            status,
            created: now,
            activated: None,
            status_changed: None,
            last_login: None,
            last_updated: now,
            password_changed: None,
            profile,
            password: None,
            recovery_question: None,
            provider: ("OKTA".into(), "OKTA".into()),
            type_id: DEFAULT_USER_TYPE.into(),
            transition: None,
            mastered_by: None,
            unknown_device_block: false,
        }
    }

    pub fn login(&self) -> &str {
        self.profile
            .get("login")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    fn profile_str(&self, key: &str) -> &str {
        self.profile
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    pub fn display_name(&self) -> String {
        format!(
            "{} {}",
            self.profile_str("firstName"),
            self.profile_str("lastName")
        )
        .trim()
        .to_string()
    }

    pub fn as_target(&self) -> Target {
        Target::new(&self.id, "User", self.login(), &self.display_name())
    }

    /// Moves to `status` now, stamping `statusChanged` and (once) `activated`.
    pub fn set_status(&mut self, status: Status) {
        let now = util::now();
        if self.status != status {
            self.status_changed = Some(now);
        }
        if status == Status::Active && self.activated.is_none() {
            self.activated = Some(now);
        }
        self.status = status;
        self.last_updated = now;
    }

    pub fn set_password(&mut self, password: &str) {
        let now = util::now();
        self.password = Some(password.to_string());
        self.password_changed = Some(now);
        self.last_updated = now;
    }

    /// A weak ETag over the fields that change on update.
    pub fn etag(&self) -> String {
        let seed = format!(
            "{}|{}|{}",
            self.id,
            util::ts(&self.last_updated),
            self.status.as_str()
        );
        format!("W/\"{}\"", &util::sha256_hex(&seed)[..16])
    }

    pub fn credentials_json(&self) -> Value {
        let mut creds = Map::new();
        if self.password.is_some() {
            creds.insert("password".into(), json!({}));
        }
        if let Some((question, _)) = &self.recovery_question {
            creds.insert("recovery_question".into(), json!({ "question": question }));
        }
        creds.insert(
            "provider".into(),
            json!({ "type": self.provider.0, "name": self.provider.1 }),
        );
        Value::Object(creds)
    }

    /// The `_links` legal in the current status (a collection shows only `self`).
    fn links(&self, base: &str, full: bool) -> Value {
        let me = format!("{base}/api/v1/users/{}", self.id);
        let mut links = Map::new();
        links.insert("self".into(), link(me.clone()));
        if !full {
            return Value::Object(links);
        }
        let lifecycle = |op: &str| post_link(format!("{me}/lifecycle/{op}"));
        let has_password = self.password.is_some();
        let mut add = |name: &str, v: Value| {
            links.insert(name.to_string(), v);
        };
        match self.status {
            Status::Staged | Status::Deprovisioned => {
                add("activate", lifecycle("activate"));
            }
            Status::Provisioned => {
                add("reactivate", lifecycle("reactivate"));
                add("resetPassword", lifecycle("reset_password"));
                add("deactivate", lifecycle("deactivate"));
            }
            Status::Active => {
                add("suspend", lifecycle("suspend"));
                add("resetPassword", lifecycle("reset_password"));
                add("resetFactors", lifecycle("reset_factors"));
                add("deactivate", lifecycle("deactivate"));
                if has_password {
                    add("expirePassword", lifecycle("expire_password"));
                    add(
                        "forgotPassword",
                        post_link(format!("{me}/credentials/forgot_password")),
                    );
                    add(
                        "changePassword",
                        post_link(format!("{me}/credentials/change_password")),
                    );
                    add(
                        "changeRecoveryQuestion",
                        post_link(format!("{me}/credentials/change_recovery_question")),
                    );
                }
            }
            Status::Recovery | Status::PasswordExpired => {
                add("resetPassword", lifecycle("reset_password"));
                add("resetFactors", lifecycle("reset_factors"));
                add("deactivate", lifecycle("deactivate"));
                if has_password {
                    add("expirePassword", lifecycle("expire_password"));
                    add(
                        "changePassword",
                        post_link(format!("{me}/credentials/change_password")),
                    );
                }
            }
            Status::LockedOut => {
                add("unlock", lifecycle("unlock"));
                add("resetPassword", lifecycle("reset_password"));
                add("resetFactors", lifecycle("reset_factors"));
                add("deactivate", lifecycle("deactivate"));
                if has_password {
                    add("expirePassword", lifecycle("expire_password"));
                }
            }
            Status::Suspended => {
                add("unsuspend", lifecycle("unsuspend"));
                add("deactivate", lifecycle("deactivate"));
            }
        }
        links.insert(
            "type".into(),
            link(format!("{base}/api/v1/meta/types/user/{}", self.type_id)),
        );
        Value::Object(links)
    }

    /// The user as Okta returns it: `full` for a single user, collection form otherwise.
    pub fn to_json(&self, base: &str, full: bool) -> Value {
        let mut v = json!({
            "id": self.id,
            "status": self.status.as_str(),
            "created": util::ts(&self.created),
            "activated": opt_ts(&self.activated),
            "statusChanged": opt_ts(&self.status_changed),
            "lastLogin": opt_ts(&self.last_login),
            "lastUpdated": util::ts(&self.last_updated),
            "passwordChanged": opt_ts(&self.password_changed),
            "type": { "id": self.type_id },
            "profile": Value::Object(self.profile.clone()),
            "credentials": self.credentials_json(),
            "_links": self.links(base, full),
        });
        // "Only returned if the user's state is transitioning" (the spec's User schema).
        if let (
            Some(Transition {
                pending: Pending::Status(to),
                ..
            }),
            Some(map),
        ) = (self.transition, v.as_object_mut())
        {
            map.insert("transitioningToStatus".into(), json!(to.as_str()));
        }
        v
    }

    /// Masters the user in another source (or in Okta again with `None`). A directory
    /// (Active Directory, LDAP) also owns the password: the credential provider says so.
    pub fn set_mastered(&mut self, source: Option<&str>) {
        self.mastered_by = source.map(str::to_string);
        self.provider = match source {
            Some("ACTIVE_DIRECTORY") => ("ACTIVE_DIRECTORY".into(), "example.com".into()),
            Some("LDAP") => ("LDAP".into(), "ldap.example.com".into()),
            _ => ("OKTA".into(), "OKTA".into()),
        };
        self.last_updated = util::now();
    }

    /// Whether a directory, not Okta, holds the password (delegated authentication).
    pub fn password_in_directory(&self) -> bool {
        self.provider.0 != "OKTA"
    }
}

/// Builds the profile for a seeded user.
pub(crate) fn seed_profile(
    login: &str,
    email: &str,
    first: &str,
    last: &str,
    mobile: Option<&str>,
    second_email: Option<&str>,
) -> Map<String, Value> {
    let mut p = Map::new();
    p.insert("firstName".into(), json!(first));
    p.insert("lastName".into(), json!(last));
    p.insert("email".into(), json!(email));
    p.insert("login".into(), json!(login));
    p.insert(
        "mobilePhone".into(),
        mobile.map_or(Value::Null, |m| json!(m)),
    );
    p.insert(
        "secondEmail".into(),
        second_email.map_or(Value::Null, |m| json!(m)),
    );
    p
}
