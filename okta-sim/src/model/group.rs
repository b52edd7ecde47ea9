//! Groups: the group object and its types.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::Target;
use crate::util;

/// Okta's group types.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum GroupType {
    #[default]
    Okta,
    App,
    BuiltIn,
}

impl GroupType {
    pub fn as_str(self) -> &'static str {
        match self {
            GroupType::Okta => "OKTA_GROUP",
            GroupType::App => "APP_GROUP",
            GroupType::BuiltIn => "BUILT_IN",
        }
    }

    pub fn parse(s: &str) -> Option<GroupType> {
        match s.to_ascii_uppercase().as_str() {
            "OKTA_GROUP" => Some(GroupType::Okta),
            "APP_GROUP" => Some(GroupType::App),
            "BUILT_IN" => Some(GroupType::BuiltIn),
            _ => None,
        }
    }
}

/// One group.
#[derive(Debug, Clone)]
pub(crate) struct Group {
    pub id: String,
    pub group_type: GroupType,
    pub created: DateTime<Utc>,
    pub last_updated: DateTime<Utc>,
    pub last_membership_updated: DateTime<Utc>,
    pub profile: Map<String, Value>,
    pub members: BTreeSet<String>,
}

impl Group {
    pub fn new(id: String, name: &str, description: Option<&str>) -> Group {
        let now = util::now();
        let mut profile = Map::new();
        profile.insert("name".into(), json!(name));
        if let Some(d) = description {
            profile.insert("description".into(), json!(d));
        }
        Group {
            id,
            group_type: GroupType::Okta,
            created: now,
            last_updated: now,
            last_membership_updated: now,
            profile,
            members: BTreeSet::new(),
        }
    }

    pub fn name(&self) -> &str {
        self.profile
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    pub fn as_target(&self) -> Target {
        Target::new(&self.id, "UserGroup", self.name(), self.name())
    }

    /// Imported app groups are directory principals (Okta's Active Directory example).
    fn object_class(&self) -> &'static str {
        match self.group_type {
            GroupType::App => "okta:windows_security_principal",
            GroupType::Okta | GroupType::BuiltIn => "okta:user_group",
        }
    }

    /// The group as Okta returns it; `apps_count` (the number of apps assigned to the group)
    /// adds `_embedded.stats` (`expand=stats`).
    pub fn to_json(&self, base: &str, apps_count: Option<usize>) -> Value {
        let me = format!("{base}/api/v1/groups/{}", self.id);
        let mut v = json!({
            "id": self.id,
            "created": util::ts(&self.created),
            "lastUpdated": util::ts(&self.last_updated),
            "lastMembershipUpdated": util::ts(&self.last_membership_updated),
            "objectClass": [self.object_class()],
            "type": self.group_type.as_str(),
            "profile": Value::Object(self.profile.clone()),
            "_links": {
                "logo": [
                    {"name": "medium", "href": format!("{base}/img/logos/groups/okta-medium.png"), "type": "image/png"},
                    {"name": "large", "href": format!("{base}/img/logos/groups/okta-large.png"), "type": "image/png"}
                ],
                "users": {"href": format!("{me}/users")},
                "apps": {"href": format!("{me}/apps")}
            }
        });
        if let (Some(apps_count), Some(map)) = (apps_count, v.as_object_mut()) {
            map.insert(
                "_embedded".into(),
                json!({"stats": {
                    "usersCount": self.members.len(),
                    "appsCount": apps_count,
                    "groupPushMappingsCount": 0,
                    "hasAdminPrivlege": false
                }}),
            );
        }
        v
    }
}
