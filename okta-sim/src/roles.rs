//! Standard administrator roles and which endpoints each may call.
//!
//! A token acts as an admin holding one standard role. The table follows Okta's "Standard
//! administrator roles and permissions" comparison (help.okta.com,
//! administrators-admin-comparison) and the permission catalogue of the Roles API; the
//! README shows it as a table and marks the rows the docs leave open. A call outside the
//! role is refused with 403 E0000006, as Okta refuses it.

use serde::{Deserialize, Serialize};

use crate::route::Route;

/// The standard admin role a token's owner holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AdminRole {
    /// Everything (the default token's role).
    #[default]
    SuperAdmin,
    /// Users, groups, factors and app assignments; not admin users' credentials.
    OrgAdmin,
    /// Read users, groups, apps and the log; reset passwords and factors, unlock, clear
    /// sessions.
    HelpDeskAdmin,
    /// GETs only.
    ReadOnlyAdmin,
}

impl AdminRole {
    /// Okta's role type name (`SUPER_ADMIN`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            AdminRole::SuperAdmin => "SUPER_ADMIN",
            AdminRole::OrgAdmin => "ORG_ADMIN",
            AdminRole::HelpDeskAdmin => "HELP_DESK_ADMIN",
            AdminRole::ReadOnlyAdmin => "READ_ONLY_ADMIN",
        }
    }

    /// Whether this role may call `route`.
    pub(crate) fn permits(self, route: Route) -> bool {
        use Route::*;
        let read = matches!(
            route,
            ListUsers
                | GetUser
                | UserGroups
                | UserAppLinks
                | ListFactors
                | FactorQuestions
                | GetFactor
                | ListGroups
                | GetGroup
                | ListGroupUsers
                | ListApps
                | GetApp
                | ListAppUsers
                | GetAppUser
                | ListAppGroups
                | GetAppGroup
                | ListGroupApps
                | ListLogs
                | GetOrg
        );
        match self {
            AdminRole::SuperAdmin | AdminRole::OrgAdmin => true,
            AdminRole::ReadOnlyAdmin => read,
            AdminRole::HelpDeskAdmin => {
                read || matches!(
                    route,
                    UserLifecycle(
                        "unlock"
                            | "reset_password"
                            | "expire_password"
                            | "expire_password_with_temp_password"
                            | "reset_factors"
                    ) | DeleteFactor
                        | RevokeUserSessions
                )
            }
        }
    }

    /// Whether this role may change a user who is an administrator (the org's admin user).
    /// Only super admins manage other admins (Okta's comparison table: "Manage other
    /// administrators' credentials", super admin only).
    pub(crate) fn may_change_admins(self) -> bool {
        self == AdminRole::SuperAdmin
    }
}

impl std::fmt::Display for AdminRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for AdminRole {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_uppercase().replace('-', "_").as_str() {
            "SUPER_ADMIN" => Ok(AdminRole::SuperAdmin),
            "ORG_ADMIN" => Ok(AdminRole::OrgAdmin),
            "HELP_DESK_ADMIN" => Ok(AdminRole::HelpDeskAdmin),
            "READ_ONLY_ADMIN" => Ok(AdminRole::ReadOnlyAdmin),
            other => Err(format!(
                "unknown role '{other}' (expected SUPER_ADMIN, ORG_ADMIN, HELP_DESK_ADMIN or READ_ONLY_ADMIN)"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_and_print_as_okta_spells_them() {
        for role in [
            AdminRole::SuperAdmin,
            AdminRole::OrgAdmin,
            AdminRole::HelpDeskAdmin,
            AdminRole::ReadOnlyAdmin,
        ] {
            assert_eq!(role.as_str().parse::<AdminRole>(), Ok(role));
            assert_eq!(
                serde_json::to_value(role).ok(),
                Some(serde_json::json!(role.as_str()))
            );
        }
        assert_eq!("help-desk-admin".parse(), Ok(AdminRole::HelpDeskAdmin));
        assert!("ROOT".parse::<AdminRole>().is_err());
    }

    #[test]
    fn help_desk_resets_but_does_not_manage() {
        let h = AdminRole::HelpDeskAdmin;
        assert!(h.permits(Route::UserLifecycle("unlock")));
        assert!(h.permits(Route::UserLifecycle("reset_password")));
        assert!(h.permits(Route::ListLogs));
        assert!(h.permits(Route::RevokeUserSessions));
        assert!(!h.permits(Route::DeleteUser));
        assert!(!h.permits(Route::UserLifecycle("deactivate")));
        assert!(!h.permits(Route::AddGroupUser));
        assert!(!h.permits(Route::AssignAppUser));
        assert!(!h.permits(Route::AssignAppGroup));
        assert!(!h.permits(Route::UnassignAppGroup));
        assert!(h.permits(Route::ListGroupApps));
        assert!(!AdminRole::ReadOnlyAdmin.permits(Route::UserLifecycle("unlock")));
        assert!(AdminRole::OrgAdmin.permits(Route::DeleteGroup));
    }
}
