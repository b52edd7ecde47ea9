//! The in-memory org and its indexes.
//!
//! One [`Org`] holds every user, group, app, factor and log event. Lookups never scan:
//! users are found by id, lower-cased login or unambiguous login shortname; groups by id
//! or lower-cased name; memberships, app assignments and group-to-app assignments are kept
//! in both directions so deleting a user or group is proportional to its own relationships.
//!
//! A group assigned to an app makes each of its members an app user with scope GROUP, unless
//! the member has a direct (USER) assignment; [`Org::sync_group_scope`] keeps this true
//! whenever a membership, a group assignment or a group changes. All index changes
//! go through the methods here, and [`Org::verify_indexes`] checks them against the data.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use crate::model::{
    App, AppGroup, AppUser, Factor, Group, LogStore, Pending, Status, Transition, User,
    UserSessions, group_assignment,
};

/// Why a write conflicts with the data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Conflict {
    Login,
    GroupName,
    Id,
}

/// The whole org.
#[derive(Debug)]
pub(crate) struct Org {
    pub base_url: String,
    pub admin_id: String,
    pub users: BTreeMap<String, User>,
    login_index: HashMap<String, String>,
    short_index: HashMap<String, BTreeSet<String>>,
    pub groups: BTreeMap<String, Group>,
    group_names: HashMap<String, String>,
    user_groups: HashMap<String, BTreeSet<String>>,
    pub apps: BTreeMap<String, App>,
    user_apps: HashMap<String, BTreeSet<String>>,
    /// The apps each group is assigned to (the reverse of `App::groups`).
    group_apps: HashMap<String, BTreeSet<String>>,
    pub factors: HashMap<String, Vec<Factor>>,
    /// Sessions, OAuth tokens and remembered devices, per user id (only users who have any).
    pub sessions: HashMap<String, UserSessions>,
    pub logs: LogStore,
    /// The built-in `Everyone` group, which every user joins (only orgs seeded with one).
    pub everyone_id: Option<String>,
    /// Users with an asynchronous operation in progress.
    transitioning: BTreeSet<String>,
    /// When each user was last sent an SMS (`sms`) or voice call (`call`) code.
    pub last_sent: HashMap<(String, &'static str), Instant>,
    /// Next suffix for bulk-seeded logins, so repeated bulk seeds never collide.
    pub bulk_counter: u64,
}

fn login_key(login: &str) -> String {
    login.to_lowercase()
}

/// The part of a login before `@`, which Okta accepts as a shortname when unambiguous.
fn short_key(login: &str) -> Option<String> {
    let (local, _) = login.split_once('@')?;
    (!local.is_empty()).then(|| local.to_lowercase())
}

fn group_key(name: &str) -> String {
    name.to_lowercase()
}

impl Org {
    pub fn new(base_url: String) -> Self {
        Org {
            base_url,
            admin_id: String::new(),
            users: BTreeMap::new(),
            login_index: HashMap::new(),
            short_index: HashMap::new(),
            groups: BTreeMap::new(),
            group_names: HashMap::new(),
            user_groups: HashMap::new(),
            apps: BTreeMap::new(),
            user_apps: HashMap::new(),
            group_apps: HashMap::new(),
            factors: HashMap::new(),
            sessions: HashMap::new(),
            logs: LogStore::default(),
            everyone_id: None,
            transitioning: BTreeSet::new(),
            last_sent: HashMap::new(),
            bulk_counter: 0,
        }
    }

    // ---------------------------------------------------------------- users

    /// Resolves an id, a login (case-insensitive) or an unambiguous shortname to a user id.
    pub fn find_user(&self, key: &str) -> Option<String> {
        if self.users.contains_key(key) {
            return Some(key.to_string());
        }
        let lower = key.to_lowercase();
        if let Some(id) = self.login_index.get(&lower) {
            return Some(id.clone());
        }
        if !key.contains('@')
            && let Some(ids) = self.short_index.get(&lower)
            && ids.len() == 1
        {
            return ids.iter().next().cloned();
        }
        None
    }

    /// The id owning exactly this login (case-insensitive; no shortnames).
    pub fn user_id_by_login(&self, login: &str) -> Option<&String> {
        self.login_index.get(&login_key(login))
    }

    pub fn login_taken(&self, login: &str, except_id: Option<&str>) -> bool {
        self.login_index
            .get(&login_key(login))
            .is_some_and(|id| Some(id.as_str()) != except_id)
    }

    pub fn insert_user(&mut self, user: User) -> Result<(), Conflict> {
        if self.users.contains_key(&user.id) {
            return Err(Conflict::Id);
        }
        let login = user.login().to_string();
        if self.login_taken(&login, None) {
            return Err(Conflict::Login);
        }
        self.index_login(&user.id, &login);
        let id = user.id.clone();
        self.users.insert(id.clone(), user);
        if let Some(everyone) = self.everyone_id.clone() {
            self.add_member(&everyone, &id);
        }
        Ok(())
    }

    fn index_login(&mut self, id: &str, login: &str) {
        self.login_index.insert(login_key(login), id.to_string());
        if let Some(short) = short_key(login) {
            self.short_index
                .entry(short)
                .or_default()
                .insert(id.to_string());
        }
    }

    fn unindex_login(&mut self, id: &str, login: &str) {
        if self
            .login_index
            .get(&login_key(login))
            .is_some_and(|owner| owner == id)
        {
            self.login_index.remove(&login_key(login));
        }
        if let Some(short) = short_key(login)
            && let Some(ids) = self.short_index.get_mut(&short)
        {
            ids.remove(id);
            if ids.is_empty() {
                self.short_index.remove(&short);
            }
        }
    }

    /// Re-indexes a user whose login is about to change (call before updating the profile).
    pub fn change_login(&mut self, id: &str, old: &str, new: &str) -> Result<(), Conflict> {
        if login_key(old) == login_key(new) {
            self.unindex_login(id, old);
            self.index_login(id, new);
            return Ok(());
        }
        if self.login_taken(new, Some(id)) {
            return Err(Conflict::Login);
        }
        self.unindex_login(id, old);
        self.index_login(id, new);
        Ok(())
    }

    /// Deletes a user and every relationship it has.
    pub fn remove_user(&mut self, id: &str) -> Option<User> {
        let user = self.users.remove(id)?;
        self.unindex_login(id, user.login());
        if let Some(groups) = self.user_groups.remove(id) {
            for gid in groups {
                if let Some(g) = self.groups.get_mut(&gid) {
                    g.members.remove(id);
                }
            }
        }
        if let Some(apps) = self.user_apps.remove(id) {
            for aid in apps {
                if let Some(a) = self.apps.get_mut(&aid) {
                    a.users.remove(id);
                }
            }
        }
        self.factors.remove(id);
        self.sessions.remove(id);
        Some(user)
    }

    pub fn groups_of(&self, user_id: &str) -> Vec<String> {
        self.user_groups
            .get(user_id)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default()
    }

    pub fn apps_of(&self, user_id: &str) -> Vec<String> {
        self.user_apps
            .get(user_id)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default()
    }

    // ---------------------------------------------------------------- transitions

    /// Starts an asynchronous operation on a user that completes after `duration`
    /// (immediately when zero).
    pub fn begin_transition(&mut self, id: &str, pending: Pending, duration: Duration) {
        if duration.is_zero() {
            self.complete(id, pending);
            return;
        }
        if let Some(user) = self.users.get_mut(id) {
            user.transition = Some(Transition {
                pending,
                until: Instant::now() + duration,
            });
            self.transitioning.insert(id.to_string());
        }
    }

    /// Completes every asynchronous operation whose time has come. Called before anything
    /// reads or changes the org, so the API and the handle see the same state.
    pub fn settle(&mut self) {
        if self.transitioning.is_empty() {
            return;
        }
        let now = Instant::now();
        let due: Vec<(String, Pending)> = self
            .transitioning
            .iter()
            .filter_map(|id| {
                let t = self.users.get(id).and_then(|u| u.transition)?;
                (t.until <= now).then(|| (id.clone(), t.pending))
            })
            .collect();
        for (id, pending) in due {
            self.complete(&id, pending);
        }
        let users = &self.users;
        self.transitioning
            .retain(|id| users.get(id).is_some_and(|u| u.transition.is_some()));
    }

    fn complete(&mut self, id: &str, pending: Pending) {
        match pending {
            Pending::Status(status) => {
                if let Some(user) = self.users.get_mut(id) {
                    user.transition = None;
                    user.set_status(status);
                }
                // A reactivated user gets back the apps their groups grant.
                if status != Status::Deprovisioned {
                    for app_id in self.apps_via_groups(id) {
                        self.sync_group_scope(&app_id, id);
                    }
                }
            }
            Pending::Delete => {
                self.remove_user(id);
            }
        }
    }

    // ---------------------------------------------------------------- groups

    pub fn group_name_taken(&self, name: &str, except_id: Option<&str>) -> bool {
        self.group_names
            .get(&group_key(name))
            .is_some_and(|id| Some(id.as_str()) != except_id)
    }

    pub fn insert_group(&mut self, group: Group) -> Result<(), Conflict> {
        if self.groups.contains_key(&group.id) {
            return Err(Conflict::Id);
        }
        let name = group.name().to_string();
        if self.group_name_taken(&name, None) {
            return Err(Conflict::GroupName);
        }
        self.group_names.insert(group_key(&name), group.id.clone());
        for uid in &group.members {
            self.user_groups
                .entry(uid.clone())
                .or_default()
                .insert(group.id.clone());
        }
        self.groups.insert(group.id.clone(), group);
        Ok(())
    }

    /// Re-indexes a group whose name is about to change.
    pub fn rename_group(&mut self, id: &str, old: &str, new: &str) -> Result<(), Conflict> {
        if self.group_name_taken(new, Some(id)) {
            return Err(Conflict::GroupName);
        }
        if self
            .group_names
            .get(&group_key(old))
            .is_some_and(|owner| owner == id)
        {
            self.group_names.remove(&group_key(old));
        }
        self.group_names.insert(group_key(new), id.to_string());
        Ok(())
    }

    pub fn remove_group(&mut self, id: &str) -> Option<Group> {
        let group = self.groups.remove(id)?;
        if self
            .group_names
            .get(&group_key(group.name()))
            .is_some_and(|owner| owner == id)
        {
            self.group_names.remove(&group_key(group.name()));
        }
        for uid in &group.members {
            if let Some(set) = self.user_groups.get_mut(uid) {
                set.remove(id);
                if set.is_empty() {
                    self.user_groups.remove(uid);
                }
            }
        }
        // A deleted group's app assignments go with it, and so do the app users they gave.
        for app_id in self.group_apps.remove(id).unwrap_or_default() {
            if let Some(app) = self.apps.get_mut(&app_id) {
                app.groups.remove(id);
            }
            for uid in &group.members {
                self.sync_group_scope(&app_id, uid);
            }
        }
        Some(group)
    }

    /// Adds a membership; `false` if it already existed or either side is missing.
    pub fn add_member(&mut self, group_id: &str, user_id: &str) -> bool {
        if !self.users.contains_key(user_id) {
            return false;
        }
        let Some(group) = self.groups.get_mut(group_id) else {
            return false;
        };
        if !group.members.insert(user_id.to_string()) {
            return false;
        }
        group.last_membership_updated = crate::util::now();
        self.user_groups
            .entry(user_id.to_string())
            .or_default()
            .insert(group_id.to_string());
        for app_id in self.apps_of_group(group_id) {
            self.sync_group_scope(&app_id, user_id);
        }
        true
    }

    /// Removes a membership; `false` if there was none.
    pub fn remove_member(&mut self, group_id: &str, user_id: &str) -> bool {
        let Some(group) = self.groups.get_mut(group_id) else {
            return false;
        };
        if !group.members.remove(user_id) {
            return false;
        }
        group.last_membership_updated = crate::util::now();
        if let Some(set) = self.user_groups.get_mut(user_id) {
            set.remove(group_id);
            if set.is_empty() {
                self.user_groups.remove(user_id);
            }
        }
        for app_id in self.apps_of_group(group_id) {
            self.sync_group_scope(&app_id, user_id);
        }
        true
    }

    // ---------------------------------------------------------------- apps

    /// Records an assignment; `false` if the user already had one or the app is missing.
    pub fn assign_app(&mut self, app_id: &str, app_user: AppUser) -> bool {
        let user_id = app_user.user_id.clone();
        let Some(app) = self.apps.get_mut(app_id) else {
            return false;
        };
        if app.users.contains_key(&user_id) {
            return false;
        }
        app.users.insert(user_id.clone(), app_user);
        self.user_apps
            .entry(user_id)
            .or_default()
            .insert(app_id.to_string());
        true
    }

    pub fn unassign_app(&mut self, app_id: &str, user_id: &str) -> Option<AppUser> {
        let app = self.apps.get_mut(app_id)?;
        let removed = app.users.remove(user_id)?;
        if let Some(set) = self.user_apps.get_mut(user_id) {
            set.remove(app_id);
            if set.is_empty() {
                self.user_apps.remove(user_id);
            }
        }
        Some(removed)
    }

    // ---------------------------------------------------------------- group assignments

    /// The apps a group is assigned to, in id order.
    pub fn apps_of_group(&self, group_id: &str) -> Vec<String> {
        self.group_apps
            .get(group_id)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// The apps a user gets through the groups they belong to (whatever their direct
    /// assignments), in id order: what Okta's appLinks and GROUP-scoped app users follow.
    pub fn apps_via_groups(&self, user_id: &str) -> BTreeSet<String> {
        self.user_groups
            .get(user_id)
            .into_iter()
            .flatten()
            .filter_map(|gid| self.group_apps.get(gid))
            .flatten()
            .cloned()
            .collect()
    }

    /// Whether one of the user's groups is assigned to the app.
    pub fn granted_by_group(&self, app_id: &str, user_id: &str) -> bool {
        let (Some(app), Some(groups)) = (self.apps.get(app_id), self.user_groups.get(user_id))
        else {
            return false;
        };
        groups.iter().any(|g| app.groups.contains_key(g))
    }

    /// Assigns a group to an app, or replaces its assignment; the previous one if any.
    /// Every member without an app user gets one with scope GROUP. `None` and no change
    /// when the app or the group does not exist.
    pub fn assign_group(&mut self, app_id: &str, assignment: AppGroup) -> Option<Option<AppGroup>> {
        let group_id = assignment.group_id.clone();
        let members: Vec<String> = self
            .groups
            .get(&group_id)?
            .members
            .iter()
            .cloned()
            .collect();
        let app = self.apps.get_mut(app_id)?;
        let previous = app.groups.insert(group_id.clone(), assignment);
        self.group_apps
            .entry(group_id)
            .or_default()
            .insert(app_id.to_string());
        for uid in &members {
            self.sync_group_scope(app_id, uid);
        }
        Some(previous)
    }

    /// Removes a group's assignment to an app; the members' GROUP-scoped app users that no
    /// other assigned group holds go with it (direct assignments stay).
    pub fn unassign_group(&mut self, app_id: &str, group_id: &str) -> Option<AppGroup> {
        let removed = self.apps.get_mut(app_id)?.groups.remove(group_id)?;
        if let Some(set) = self.group_apps.get_mut(group_id) {
            set.remove(app_id);
            if set.is_empty() {
                self.group_apps.remove(group_id);
            }
        }
        for uid in self
            .groups
            .get(group_id)
            .map(|g| g.members.clone())
            .unwrap_or_default()
        {
            self.sync_group_scope(app_id, &uid);
        }
        Some(removed)
    }

    /// Makes the user's app user on this app agree with the group assignments: one with
    /// scope GROUP while one of their groups is assigned (and they are not deactivated),
    /// none once no group grants it. A direct (USER) assignment is never touched.
    pub fn sync_group_scope(&mut self, app_id: &str, user_id: &str) {
        let granted = self.granted_by_group(app_id, user_id);
        let Some(user) = self.users.get(user_id) else {
            return;
        };
        let eligible = granted && user.status != Status::Deprovisioned;
        let login = user.login().to_string();
        let current = self
            .apps
            .get(app_id)
            .and_then(|a| a.users.get(user_id))
            .map(|au| au.scope == "GROUP");
        match (current, eligible) {
            (None, true) => {
                self.assign_app(
                    app_id,
                    group_assignment(user_id, &login, crate::util::now()),
                );
            }
            (Some(true), false) => {
                self.unassign_app(app_id, user_id);
            }
            _ => {}
        }
    }

    // ---------------------------------------------------------------- checks

    /// Checks every index against the data it indexes (used by tests).
    pub fn verify_indexes(&self) -> Result<(), String> {
        if self.login_index.len() != self.users.len() {
            return Err(format!(
                "login index has {} entries for {} users",
                self.login_index.len(),
                self.users.len()
            ));
        }
        for (id, user) in &self.users {
            match self.login_index.get(&login_key(user.login())) {
                Some(owner) if owner == id => {}
                other => {
                    return Err(format!(
                        "login {} of {id} indexed as {other:?}",
                        user.login()
                    ));
                }
            }
            if let Some(short) = short_key(user.login())
                && !self.short_index.get(&short).is_some_and(|s| s.contains(id))
            {
                return Err(format!("shortname {short} misses {id}"));
            }
        }
        for ids in self.short_index.values() {
            for id in ids {
                if !self.users.contains_key(id) {
                    return Err(format!("shortname index points at deleted user {id}"));
                }
            }
        }
        for (key, id) in &self.login_index {
            if self
                .users
                .get(id)
                .is_none_or(|u| &login_key(u.login()) != key)
            {
                return Err(format!("stale login index entry {key} -> {id}"));
            }
        }
        if self.group_names.len() != self.groups.len() {
            return Err("group name index size differs from group count".into());
        }
        for (gid, group) in &self.groups {
            if self.group_names.get(&group_key(group.name())) != Some(gid) {
                return Err(format!("group {gid} name not indexed"));
            }
            for uid in &group.members {
                if !self.users.contains_key(uid) {
                    return Err(format!("group {gid} has deleted member {uid}"));
                }
                if !self.user_groups.get(uid).is_some_and(|s| s.contains(gid)) {
                    return Err(format!("reverse membership {uid} -> {gid} missing"));
                }
            }
        }
        for (uid, gids) in &self.user_groups {
            for gid in gids {
                if !self
                    .groups
                    .get(gid)
                    .is_some_and(|g| g.members.contains(uid))
                {
                    return Err(format!("stale reverse membership {uid} -> {gid}"));
                }
            }
        }
        for (aid, app) in &self.apps {
            for uid in app.users.keys() {
                if !self.users.contains_key(uid) {
                    return Err(format!("app {aid} assigned to deleted user {uid}"));
                }
                if !self.user_apps.get(uid).is_some_and(|s| s.contains(aid)) {
                    return Err(format!("reverse assignment {uid} -> {aid} missing"));
                }
            }
        }
        for (uid, aids) in &self.user_apps {
            for aid in aids {
                if !self
                    .apps
                    .get(aid)
                    .is_some_and(|a| a.users.contains_key(uid))
                {
                    return Err(format!("stale reverse assignment {uid} -> {aid}"));
                }
            }
        }
        for (aid, app) in &self.apps {
            for gid in app.groups.keys() {
                if !self.groups.contains_key(gid) {
                    return Err(format!("app {aid} assigned to deleted group {gid}"));
                }
                if !self.group_apps.get(gid).is_some_and(|s| s.contains(aid)) {
                    return Err(format!("reverse group assignment {gid} -> {aid} missing"));
                }
            }
            for (uid, au) in &app.users {
                if au.scope == "GROUP" && !self.granted_by_group(aid, uid) {
                    return Err(format!("GROUP-scoped app user {uid} of {aid} has no group"));
                }
            }
        }
        for (gid, aids) in &self.group_apps {
            for aid in aids {
                if !self
                    .apps
                    .get(aid)
                    .is_some_and(|a| a.groups.contains_key(gid))
                {
                    return Err(format!("stale reverse group assignment {gid} -> {aid}"));
                }
            }
        }
        for uid in self.factors.keys() {
            if !self.users.contains_key(uid) {
                return Err(format!("factors kept for deleted user {uid}"));
            }
        }
        for uid in self.sessions.keys() {
            if !self.users.contains_key(uid) {
                return Err(format!("sessions kept for deleted user {uid}"));
            }
        }
        Ok(())
    }
}

/// Timing settings that survive resets (control API `/__sim/lifecycle` and `/__sim/throttle`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Settings {
    /// How long an activation or a `Prefer: respond-async` deactivation or delete takes.
    pub transition: Duration,
    /// Minimum time between two SMS (or two voice calls) to the same user.
    pub factor_resend: Duration,
}
