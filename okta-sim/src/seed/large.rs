//! The `large` seed: the demo org grown into a busy one, so ordering and paging bugs show.
//!
//! Everything is deterministic (ids derived from fixed strings, fixed creation times); only
//! the System Log is placed relative to start-up: [`LOG_EVENTS`] events spread evenly over
//! the last [`LOG_DAYS`] days, so a default log query (the last 7 days) already holds more
//! than one page and its oldest events are not the newest.

use chrono::Duration;
use serde_json::json;

use crate::model::{
    Group, GroupType, NewEvent, Status, Target, User, seed_assignment, seed_profile,
};
use crate::org::Org;
use crate::util::{self, parse_ts};

use super::{OTHER_PASSWORD, SAML_APP_ID, SWA_APP_ID};

/// Users in the org, the demo's six included.
pub const USERS: usize = 2_000;
/// Groups in the org: the demo's two, `Everyone`, [`APP_GROUPS`] APP_GROUPs and OKTA_GROUPs.
pub const GROUPS: usize = 300;
/// APP_GROUPs (imported from Active Directory).
pub const APP_GROUPS: usize = 30;
/// System Log events, the demo's five included.
pub const LOG_EVENTS: usize = 5_000;
/// The log spans this many days before start-up.
pub const LOG_DAYS: i64 = 90;
/// The built-in `Everyone` group (BUILT_IN, every user a member).
pub const EVERYONE_GROUP_ID: &str = "00gEveryoneSIMGROUP1";
/// An OKTA_GROUP with custom profile attributes: `costCenter` "CC-1000" and `region` "EMEA".
pub const COST_CENTER_GROUP_ID: &str = "00gCostCenterGROUP01";
/// Its name.
pub const COST_CENTER_GROUP_NAME: &str = "Finance Operations";
/// An APP_GROUP imported from Active Directory (its members are the import's).
pub const APP_GROUP_ID: &str = "00gADImportedGROUP01";
/// Its name.
pub const APP_GROUP_NAME: &str = "AD: Domain Users";
/// Users the demo org already has.
const DEMO_USERS: usize = 6;
/// One in `STATUS_CYCLE` generated users takes each of seven non-ACTIVE statuses.
const STATUS_CYCLE: usize = 25;
/// ACTIVE users in the org: the demo's three (admin, Jordan, Priya) and most generated ones.
pub const ACTIVE_USERS: usize = 3 + active_generated(USERS - DEMO_USERS);

const fn active_generated(n: usize) -> usize {
    let mut active = 0;
    let mut i = 0;
    while i < n {
        if i % STATUS_CYCLE == 0 || i % STATUS_CYCLE > 7 {
            active += 1;
        }
        i += 1;
    }
    active
}

const FIRST: &[&str] = &[
    "Ava", "Ben", "Chen", "Dana", "Eli", "Fatima", "Gabriel", "Hana", "Ivan", "Jia", "Kofi",
    "Lena", "Mateo", "Nia", "Omar", "Paula", "Quinn", "Ravi", "Sofia", "Tariq", "Uma", "Viktor",
    "Wen", "Ximena", "Yusuf", "Zoe",
];
const LAST: &[&str] = &[
    "Anders", "Banerjee", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Haddad", "Ito",
    "Jensen", "Kowalski", "Larsen", "Moreau", "Nakamura", "Okafor", "Patel", "Quispe", "Rossi",
    "Schmidt", "Tanaka", "Ueda", "Varga", "Wang", "Xu", "Yilmaz", "Zhou",
];
const DEPARTMENTS: &[&str] = &[
    "Engineering",
    "Sales",
    "Marketing",
    "Support",
    "Finance",
    "Legal",
    "Operations",
    "Research",
    "Design",
    "People",
];
const REGIONS: &[&str] = &["EMEA", "AMER", "APAC"];

fn status_of(i: usize) -> Status {
    match i % STATUS_CYCLE {
        1 => Status::Staged,
        2 => Status::Provisioned,
        3 => Status::Suspended,
        4 => Status::LockedOut,
        5 => Status::Deprovisioned,
        6 => Status::PasswordExpired,
        7 => Status::Recovery,
        _ => Status::Active,
    }
}

/// Adds the large seed's users and groups to a demo org and returns its log events (the
/// caller merges them with the demo's in publication order).
pub(crate) fn build(org: &mut Org) -> Vec<NewEvent<'static>> {
    let generated = USERS.saturating_sub(org.users.len());
    let mut user_ids = Vec::with_capacity(generated);
    let epoch = parse_ts("2023-01-02T08:00:00.000Z");
    for i in 0..generated {
        let first = FIRST[i % FIRST.len()];
        let last = LAST[(i / FIRST.len()) % LAST.len()];
        let login = format!(
            "{}.{}{i}@example.com",
            first.to_lowercase(),
            last.to_lowercase()
        );
        let status = status_of(i);
        let id = util::derived_id("00u", &format!("large-user-{i}"));
        let mut user = User::new(
            id.clone(),
            status,
            seed_profile(&login, &login, first, last, None, None),
        );
        let created = epoch + Duration::hours(i as i64 * 7);
        user.created = created;
        user.last_updated = created;
        if status != Status::Staged {
            user.status_changed = Some(created);
        }
        if status.is_activated() || status == Status::Deprovisioned {
            user.activated = Some(created);
        }
        if !matches!(status, Status::Staged | Status::Provisioned) {
            user.password = Some(OTHER_PASSWORD.to_string());
            user.password_changed = Some(created);
        }
        // Derived ids are distinct for distinct seeds; a clash would only drop one user.
        if org.insert_user(user).is_ok() {
            user_ids.push(id);
        }
    }

    let mut everyone = Group::new(
        EVERYONE_GROUP_ID.into(),
        "Everyone",
        Some("All users in your organization"),
    );
    everyone.group_type = GroupType::BuiltIn;
    everyone.created = parse_ts("2023-06-01T08:00:00.000Z");
    everyone.last_updated = everyone.created;
    let _ = org.insert_group(everyone);
    org.everyone_id = Some(EVERYONE_GROUP_ID.into());
    let all: Vec<String> = org.users.keys().cloned().collect();
    for uid in &all {
        org.add_member(EVERYONE_GROUP_ID, uid);
    }

    let generated_groups = GROUPS.saturating_sub(org.groups.len());
    let mut group_ids = Vec::with_capacity(generated_groups);
    for j in 0..generated_groups {
        let dept = DEPARTMENTS[j % DEPARTMENTS.len()];
        let region = REGIONS[j % REGIONS.len()];
        let (id, group) = match j {
            0 => {
                let mut g = Group::new(
                    COST_CENTER_GROUP_ID.into(),
                    COST_CENTER_GROUP_NAME,
                    Some("Finance operations staff"),
                );
                g.profile.insert("costCenter".into(), json!("CC-1000"));
                g.profile.insert("region".into(), json!("EMEA"));
                (COST_CENTER_GROUP_ID.to_string(), g)
            }
            1 => {
                let mut g = Group::new(
                    APP_GROUP_ID.into(),
                    APP_GROUP_NAME,
                    Some("Imported from Active Directory"),
                );
                g.group_type = GroupType::App;
                g.profile
                    .insert("samAccountName".into(), json!("Domain Users"));
                (APP_GROUP_ID.to_string(), g)
            }
            _ if j <= APP_GROUPS => {
                let id = util::derived_id("00g", &format!("large-app-group-{j}"));
                let name = format!("AD: {dept} {region} {j}");
                let mut g = Group::new(id.clone(), &name, Some("Imported from Active Directory"));
                g.group_type = GroupType::App;
                g.profile.insert(
                    "samAccountName".into(),
                    json!(format!("{dept}-{region}-{j}")),
                );
                (id, g)
            }
            _ => {
                let id = util::derived_id("00g", &format!("large-group-{j}"));
                let name = format!("{dept} {region} Team {j}");
                let description = format!("{dept} staff in {region}");
                let mut g = Group::new(id.clone(), &name, Some(&description));
                if j % 3 == 0 {
                    g.profile
                        .insert("costCenter".into(), json!(format!("CC-{}", 1000 + j)));
                    g.profile.insert("region".into(), json!(region));
                }
                (id, g)
            }
        };
        let mut group = group;
        let created = epoch + Duration::days(j as i64);
        group.created = created;
        group.last_updated = created;
        if org.insert_group(group).is_ok() {
            group_ids.push(id);
        }
    }
    // Two memberships per generated user, spread over the generated groups.
    if !group_ids.is_empty() {
        for (i, uid) in user_ids.iter().enumerate() {
            for k in [i, i * 7 + 3] {
                let gid = &group_ids[k % group_ids.len()];
                org.add_member(gid, uid);
            }
        }
    }
    // Fixed membership times keep the seed deterministic (adding members stamps "now").
    for gid in group_ids
        .iter()
        .chain(std::iter::once(&EVERYONE_GROUP_ID.to_string()))
    {
        if let Some(g) = org.groups.get_mut(gid) {
            g.last_membership_updated = g.created;
        }
    }
    // A few direct app assignments so app user lists page too.
    let assigned = parse_ts("2024-01-16T09:00:00.000Z");
    for (i, uid) in user_ids.iter().enumerate().filter(|(i, _)| i % 4 == 0) {
        let login = org
            .users
            .get(uid)
            .map(|u| u.login().to_string())
            .unwrap_or_default();
        let app = if i % 8 == 0 { SAML_APP_ID } else { SWA_APP_ID };
        org.assign_app(app, seed_assignment(uid, &login, assigned));
    }

    events(org, &user_ids, &group_ids)
}

/// What one kind of event looks like.
struct Kind {
    event_type: &'static str,
    display: &'static str,
    severity: &'static str,
    by_admin: bool,
    with_group: bool,
}

const KINDS: &[Kind] = &[
    Kind {
        event_type: "user.session.start",
        display: "User login to Okta",
        severity: "INFO",
        by_admin: false,
        with_group: false,
    },
    Kind {
        event_type: "user.authentication.sso",
        display: "User single sign on to app",
        severity: "INFO",
        by_admin: false,
        with_group: false,
    },
    Kind {
        event_type: "user.session.end",
        display: "User logout from Okta",
        severity: "INFO",
        by_admin: false,
        with_group: false,
    },
    Kind {
        event_type: "user.account.update_profile",
        display: "Update user profile for Okta",
        severity: "INFO",
        by_admin: true,
        with_group: false,
    },
    Kind {
        event_type: "group.user_membership.add",
        display: "Add user to group membership",
        severity: "INFO",
        by_admin: true,
        with_group: true,
    },
    Kind {
        event_type: "user.session.start",
        display: "User login to Okta",
        severity: "INFO",
        by_admin: false,
        with_group: false,
    },
    Kind {
        event_type: "user.mfa.factor.activate",
        display: "Activate factor or authenticator",
        severity: "INFO",
        by_admin: false,
        with_group: false,
    },
    Kind {
        event_type: "user.account.reset_password",
        display: "Reset user password",
        severity: "INFO",
        by_admin: true,
        with_group: false,
    },
    Kind {
        event_type: "group.user_membership.remove",
        display: "Remove user from group membership",
        severity: "INFO",
        by_admin: true,
        with_group: true,
    },
    Kind {
        event_type: "user.account.lock",
        display: "Max sign in attempts exceeded",
        severity: "WARN",
        by_admin: false,
        with_group: false,
    },
    Kind {
        event_type: "user.lifecycle.create",
        display: "Create Okta user",
        severity: "INFO",
        by_admin: true,
        with_group: false,
    },
    Kind {
        event_type: "user.account.unlock",
        display: "Unlock user account",
        severity: "INFO",
        by_admin: true,
        with_group: false,
    },
];

const CITIES: &[(&str, &str, &str)] = &[
    ("198.51.100.17", "Berlin", "Germany"),
    ("203.0.113.42", "Bangalore", "India"),
    ("192.0.2.88", "Chicago", "United States"),
    ("198.51.100.203", "São Paulo", "Brazil"),
    ("203.0.113.9", "Tokyo", "Japan"),
];

fn events(org: &Org, user_ids: &[String], group_ids: &[String]) -> Vec<NewEvent<'static>> {
    let count = LOG_EVENTS.saturating_sub(5);
    let now = util::now();
    let span = Duration::days(LOG_DAYS).num_milliseconds();
    let step = span / count.max(1) as i64;
    let admin = org.users.get(&org.admin_id).map(User::as_target);
    let clients: Vec<serde_json::Value> = CITIES
        .iter()
        .map(|(ip, city, country)| {
            json!({
                "userAgent": {"rawUserAgent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64)", "os": "Windows 10", "browser": "EDGE"},
                "device": "Computer",
                "ipAddress": ip,
                "geographicalContext": {"city": city, "country": country}
            })
        })
        .collect();
    let users: Vec<Target> = user_ids
        .iter()
        .filter_map(|id| org.users.get(id).map(User::as_target))
        .collect();
    let groups: Vec<Target> = group_ids
        .iter()
        .filter_map(|id| org.groups.get(id).map(Group::as_target))
        .collect();
    if users.is_empty() || groups.is_empty() {
        return Vec::new();
    }
    (0..count)
        .map(|k| {
            let kind = &KINDS[k % KINDS.len()];
            let user = users[(k * 13) % users.len()].clone();
            let mut targets = vec![user.clone()];
            if kind.with_group {
                targets.push(groups[(k * 5) % groups.len()].clone());
            }
            let actor = if kind.by_admin {
                admin.clone()
            } else {
                Some(user)
            };
            // Oldest first: the first LOG_DAYS ago, the last one step before start-up.
            let age = span - step * k as i64;
            NewEvent {
                event_type: kind.event_type,
                display: kind.display,
                actor,
                targets,
                meta: None,
                published: Some(now - Duration::milliseconds(age)),
                uuid: Some(format!("1a4e0000-0000-4000-8000-{k:012}")),
                severity: kind.severity,
                client: Some(clients[k % clients.len()].clone()),
            }
        })
        .collect()
}
