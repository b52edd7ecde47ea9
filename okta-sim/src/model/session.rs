//! A user's sign-in state: Okta sessions, the OAuth tokens issued to apps during them, and
//! the devices on which the user chose to have their factors remembered.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::util;

/// One Okta (identity provider) session.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    /// Okta's session ids start with `102`.
    pub id: String,
    pub created: DateTime<Utc>,
}

/// What a simulated sign-in leaves behind (`POST /__sim/users/{id}/sessions`,
/// `SimHandle::start_session`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct SignIn {
    /// OpenID Connect / OAuth access and refresh tokens issued to apps in this session.
    pub oauth_tokens: u32,
    /// Whether the user ticked "do not challenge me on this device again".
    pub remember_device: bool,
}

/// Everything `DELETE /api/v1/users/{userId}/sessions` can end for one user.
#[derive(Debug, Clone, Default)]
pub(crate) struct UserSessions {
    pub sessions: Vec<Session>,
    pub oauth_tokens: u32,
    pub remembered_devices: u32,
}

impl UserSessions {
    /// Records a sign-in: a new session, its tokens and possibly a remembered device.
    pub fn start(&mut self, sign_in: SignIn) {
        self.oauth_tokens = self.oauth_tokens.saturating_add(sign_in.oauth_tokens);
        if sign_in.remember_device {
            self.remembered_devices = self.remembered_devices.saturating_add(1);
        }
        self.sessions.push(Session {
            id: format!("102{}", util::random_alnum(22)),
            created: util::now(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty() && self.oauth_tokens == 0 && self.remembered_devices == 0
    }

    /// The control API's view (`GET /__sim/users/{id}/sessions`).
    pub fn to_json(&self) -> Value {
        json!({
            "sessions": self.sessions.iter().map(|s| json!({
                "id": s.id,
                "createdAt": util::ts(&s.created),
            })).collect::<Vec<_>>(),
            "oauthTokens": self.oauth_tokens,
            "rememberedDevices": self.remembered_devices,
        })
    }
}
