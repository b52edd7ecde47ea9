//! Direct access to a simulator's state ([`SimHandle`]) and the seeds it accepts.

use std::sync::{Arc, MutexGuard};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::config::{RateLimits, Seed};
use crate::faults::{Fault, FaultError, RecordedRequest};
use crate::model::{
    App, AppGroup, AppSeed, Group, GroupType, SignIn, Status, User, UserSessions, seed_profile,
};
use crate::oauth::{Client, OAuthClientSeed, OAuthState};
use crate::org::Org;
use crate::ratelimit::RateLimitStats;
use crate::roles::AdminRole;
use crate::shared::{Shared, lock};
use crate::signins::{self, SigninSeed};
use crate::{seed, util};

/// A user to seed through the handle or `POST /__sim/users`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct UserSeed {
    /// Fixed id (`00u…`, 20 characters); random when `None`.
    pub id: Option<String>,
    pub login: String,
    /// Defaults to the login when empty.
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    /// Any Okta status; `ACTIVE` by default.
    pub status: String,
    pub password: Option<String>,
    pub mobile_phone: Option<String>,
    pub second_email: Option<String>,
}

impl Default for UserSeed {
    fn default() -> Self {
        UserSeed {
            id: None,
            login: String::new(),
            email: String::new(),
            first_name: "Test".into(),
            last_name: "User".into(),
            status: "ACTIVE".into(),
            password: None,
            mobile_phone: None,
            second_email: None,
        }
    }
}

impl UserSeed {
    /// An ACTIVE user with this login (also the email) and name.
    pub fn new(login: &str, first_name: &str, last_name: &str) -> Self {
        UserSeed {
            login: login.into(),
            email: login.into(),
            first_name: first_name.into(),
            last_name: last_name.into(),
            ..UserSeed::default()
        }
    }

    pub fn status(mut self, status: &str) -> Self {
        self.status = status.into();
        self
    }

    pub fn password(mut self, password: &str) -> Self {
        self.password = Some(password.into());
        self
    }
}

/// A group to seed through the handle or `POST /__sim/groups`: any type, with custom
/// profile attributes.
///
/// ```
/// use okta_sim::GroupSeed;
/// use serde_json::json;
/// let g = GroupSeed::new("Payroll").description("Pays people").attribute("costCenter", json!("CC-1"));
/// assert_eq!(g.group_type, "OKTA_GROUP");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupSeed {
    /// Fixed id (`00g…`, 20 characters); random when `None`.
    #[serde(default)]
    pub id: Option<String>,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// `OKTA_GROUP` (default), `APP_GROUP` or `BUILT_IN`.
    #[serde(default = "okta_group", rename = "type")]
    pub group_type: String,
    /// Custom profile attributes (scalars) besides `name` and `description`.
    #[serde(default)]
    pub profile: serde_json::Map<String, Value>,
}

fn okta_group() -> String {
    "OKTA_GROUP".into()
}

impl GroupSeed {
    /// An OKTA_GROUP with this name.
    pub fn new(name: &str) -> Self {
        GroupSeed {
            id: None,
            name: name.into(),
            description: None,
            group_type: okta_group(),
            profile: serde_json::Map::new(),
        }
    }

    pub fn id(mut self, id: &str) -> Self {
        self.id = Some(id.into());
        self
    }

    pub fn description(mut self, description: &str) -> Self {
        self.description = Some(description.into());
        self
    }

    /// `OKTA_GROUP`, `APP_GROUP` or `BUILT_IN`.
    pub fn group_type(mut self, group_type: &str) -> Self {
        self.group_type = group_type.into();
        self
    }

    /// A custom profile attribute such as `costCenter`.
    pub fn attribute(mut self, name: &str, value: Value) -> Self {
        self.profile.insert(name.into(), value);
        self
    }
}

/// Why a seed or state change was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedError(pub String);

impl std::fmt::Display for SeedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SeedError {}

/// A cheap, cloneable handle on a simulator's state (the same operations as `/__sim`).
#[derive(Clone, Debug)]
pub struct SimHandle {
    pub(crate) shared: Arc<Shared>,
}

impl SimHandle {
    /// The org with every due asynchronous operation completed, so the handle shows what
    /// the API would.
    fn org(&self) -> MutexGuard<'_, Org> {
        let mut org = lock(&self.shared.org);
        org.settle();
        org
    }

    /// Replaces all org data with a fresh seed (tokens, faults, limits and the request log stay).
    pub fn reset(&self, seed: Seed) {
        let org = seed::build(seed, &self.shared.base_url);
        *lock(&self.shared.org) = org;
    }

    /// Accepts another token whose owner holds `role` (replaces the role of a known token).
    pub fn add_token(&self, token: &str, role: AdminRole) {
        lock(&self.shared.tokens).add(token, role);
    }

    fn oauth(&self) -> MutexGuard<'_, OAuthState> {
        lock(&self.shared.oauth)
    }

    /// Registers an OAuth 2.0 service app (or replaces the one with this client id); returns
    /// it as `GET /__sim/oauth-clients/{id}` shows it, or why the seed is refused.
    pub fn add_oauth_client(&self, seed: OAuthClientSeed) -> Result<Value, SeedError> {
        let client = Client::from_seed(seed).map_err(SeedError)?;
        Ok(self.oauth().add_client(client))
    }

    /// A registered service app (`clientId`, `scopes`, `requireDpop`, `role`, `keyIds`).
    pub fn oauth_client(&self, client_id: &str) -> Option<Value> {
        self.oauth().client(client_id).map(Client::to_json)
    }

    /// Deletes a service app: its token requests get 401 `invalid_client` and the tokens it
    /// holds stop working. `false` if there was none.
    pub fn remove_oauth_client(&self, client_id: &str) -> bool {
        self.oauth().remove_client(client_id)
    }

    /// Revokes every access token issued so far (API calls with them get 401).
    pub fn revoke_access_tokens(&self) {
        self.oauth().revoke_tokens();
    }

    /// How long access tokens issued from now on stay valid (Okta: one hour).
    pub fn set_access_token_lifetime(&self, lifetime: Duration) {
        self.oauth().settings.token_lifetime = lifetime;
    }

    /// The access-token lifetime.
    pub fn access_token_lifetime(&self) -> Duration {
        self.oauth().settings.token_lifetime
    }

    /// Replaces the server's DPoP nonce and returns the new one: the next proof carrying the
    /// old nonce gets `use_dpop_nonce` (400 at the token endpoint, 401 at the API).
    pub fn rotate_dpop_nonce(&self) -> String {
        self.oauth().rotate_nonce()
    }

    /// Whether API calls with a DPoP-bound token must carry the server's nonce (default
    /// false: a proof without a nonce is accepted, one with a stale nonce is not).
    pub fn set_api_requires_dpop_nonce(&self, required: bool) {
        self.oauth().settings.api_requires_nonce = required;
    }

    /// See [`SimHandle::set_api_requires_dpop_nonce`].
    pub fn api_requires_dpop_nonce(&self) -> bool {
        self.oauth().settings.api_requires_nonce
    }

    /// How long an activation (and a `Prefer: respond-async` deactivation or delete) stays
    /// in progress; zero makes them synchronous.
    pub fn set_transition(&self, duration: Duration) {
        lock(&self.shared.settings).transition = duration;
    }

    /// The current transition time.
    pub fn transition(&self) -> Duration {
        lock(&self.shared.settings).transition
    }

    /// Stops accepting a token (later requests with it get 401 E0000011).
    pub fn remove_token(&self, token: &str) {
        lock(&self.shared.tokens).remove(token);
    }

    /// Adds a user; returns it as `GET /api/v1/users/{id}` would, or `{"error": …}` if refused.
    pub fn seed_user(&self, u: UserSeed) -> Value {
        self.try_seed_user(u)
            .unwrap_or_else(|e| json!({ "error": e.0 }))
    }

    /// Adds a user, or explains why not (duplicate login, bad status or id).
    pub fn try_seed_user(&self, u: UserSeed) -> Result<Value, SeedError> {
        let status = Status::parse(&u.status)
            .ok_or_else(|| SeedError(format!("unknown status '{}'", u.status)))?;
        if u.login.trim().is_empty() {
            return Err(SeedError("login must not be empty".into()));
        }
        let id = match u.id {
            Some(id) if id.len() == 20 && id.chars().all(|c| c.is_ascii_alphanumeric()) => id,
            Some(id) => {
                return Err(SeedError(format!(
                    "user id '{id}' must be 20 alphanumeric characters"
                )));
            }
            None => util::new_id("00u"),
        };
        let email = if u.email.is_empty() {
            u.login.clone()
        } else {
            u.email.clone()
        };
        let mut user = User::new(
            id.clone(),
            Status::Staged,
            seed_profile(
                &u.login,
                &email,
                &u.first_name,
                &u.last_name,
                u.mobile_phone.as_deref(),
                u.second_email.as_deref(),
            ),
        );
        if let Some(pw) = &u.password {
            user.set_password(pw);
        }
        if status != Status::Staged {
            user.set_status(status);
            if status.is_activated() && user.activated.is_none() {
                user.activated = user.status_changed;
            }
        }
        let mut org = self.org();
        org.insert_user(user).map_err(|c| {
            SeedError(match c {
                crate::org::Conflict::Id => format!("user id {id} already exists"),
                _ => format!("login {} already exists", u.login),
            })
        })?;
        let base = org.base_url.clone();
        Ok(org
            .users
            .get(&id)
            .map(|u| u.to_json(&base, true))
            .unwrap_or(Value::Null))
    }

    /// Adds `n` distinct ACTIVE users (`bulk.user.N@example.com`), fast.
    pub fn seed_users(&self, n: usize) {
        seed::bulk_users(&mut self.org(), n);
    }

    /// Adds an OKTA_GROUP; returns it as GET would, or `{"error": …}` on a duplicate name.
    pub fn seed_group(&self, name: &str, description: Option<&str>) -> Value {
        self.try_seed_group(name, description)
            .unwrap_or_else(|e| json!({ "error": e.0 }))
    }

    pub fn try_seed_group(
        &self,
        name: &str,
        description: Option<&str>,
    ) -> Result<Value, SeedError> {
        let mut seed = GroupSeed::new(name);
        seed.description = description.map(str::to_string);
        self.try_seed_group_with(seed)
    }

    /// Adds a group of any type with custom attributes; returns it as GET would, or
    /// `{"error": …}` if refused.
    pub fn seed_group_with(&self, g: GroupSeed) -> Value {
        self.try_seed_group_with(g)
            .unwrap_or_else(|e| json!({ "error": e.0 }))
    }

    /// Adds a group, or explains why not (duplicate name or id, bad type, id or attribute).
    /// A BUILT_IN group seeded into an org without one becomes its `Everyone`: it gets
    /// every user, and every later user joins it.
    pub fn try_seed_group_with(&self, g: GroupSeed) -> Result<Value, SeedError> {
        let name = g.name.trim();
        if name.is_empty() {
            return Err(SeedError("name must not be empty".into()));
        }
        let group_type = GroupType::parse(&g.group_type).ok_or_else(|| {
            SeedError(format!(
                "unknown group type '{}' (expected OKTA_GROUP, APP_GROUP or BUILT_IN)",
                g.group_type
            ))
        })?;
        let id = match g.id {
            Some(id) if id.len() == 20 && id.chars().all(|c| c.is_ascii_alphanumeric()) => id,
            Some(id) => {
                return Err(SeedError(format!(
                    "group id '{id}' must be 20 alphanumeric characters"
                )));
            }
            None => util::new_id("00g"),
        };
        let mut group = Group::new(id.clone(), name, g.description.as_deref());
        group.group_type = group_type;
        for (key, value) in g.profile {
            if matches!(key.as_str(), "name" | "description") {
                continue;
            }
            if value.is_object() || value.is_array() {
                return Err(SeedError(format!("attribute {key} must be a scalar")));
            }
            group.profile.insert(key, value);
        }
        let mut org = self.org();
        org.insert_group(group).map_err(|c| {
            SeedError(match c {
                crate::org::Conflict::Id => format!("group id {id} already exists"),
                _ => format!("a group named {name} already exists"),
            })
        })?;
        if group_type == GroupType::BuiltIn && org.everyone_id.is_none() {
            org.everyone_id = Some(id.clone());
            let users: Vec<String> = org.users.keys().cloned().collect();
            for uid in users {
                org.add_member(&id, &uid);
            }
        }
        let base = org.base_url.clone();
        Ok(org
            .groups
            .get(&id)
            .map(|g| g.to_json(&base, None))
            .unwrap_or(Value::Null))
    }

    /// Adds an app; returns it as GET would, or `{"error": …}` if the seed is invalid.
    pub fn seed_app(&self, a: AppSeed) -> Value {
        self.try_seed_app(a)
            .unwrap_or_else(|e| json!({ "error": e.0 }))
    }

    pub fn try_seed_app(&self, a: AppSeed) -> Result<Value, SeedError> {
        let app = App::from_seed(&a).map_err(SeedError)?;
        let mut org = self.org();
        if org.apps.contains_key(&app.id) {
            return Err(SeedError(format!("app id {} already exists", app.id)));
        }
        let base = org.base_url.clone();
        let json = app.to_json(&base);
        org.apps.insert(app.id.clone(), app);
        Ok(json)
    }

    /// Puts a user into any status, as sign-in would (LOCKED_OUT logs `user.account.lock`),
    /// ending any asynchronous operation still in progress on the user.
    /// `false` if the user or status is unknown.
    pub fn set_user_status(&self, user_id: &str, status: &str) -> bool {
        let Some(status) = Status::parse(status) else {
            return false;
        };
        let mut org = self.org();
        let Some(id) = org.find_user(user_id) else {
            return false;
        };
        let Some(user) = org.users.get_mut(&id) else {
            return false;
        };
        // What happens outside the API (the user finishing the welcome flow, a lockout)
        // supersedes an operation still in progress.
        user.transition = None;
        user.set_status(status);
        if status.is_activated() && user.activated.is_none() {
            user.activated = user.status_changed;
        }
        if status == Status::LockedOut {
            let target = user.as_target();
            org.logs.append(
                "user.account.lock",
                "Max sign in attempts exceeded",
                Some(target.clone()),
                vec![target],
                None,
                None,
            );
        }
        true
    }

    /// Masters a user (id, login or shortname) in another profile source such as
    /// `ACTIVE_DIRECTORY` (or in Okta again with `None`): profile changes then get 403
    /// E0000023, and for a directory (`ACTIVE_DIRECTORY`, `LDAP`) password changes, resets
    /// and unlock too. `false` if the user is unknown.
    pub fn set_mastered(&self, user: &str, source: Option<&str>) -> bool {
        let mut org = self.org();
        let Some(id) = org.find_user(user) else {
            return false;
        };
        org.users
            .get_mut(&id)
            .map(|u| u.set_mastered(source))
            .is_some()
    }

    /// Blocks (or unblocks) a user from unknown devices, as Okta's risk policy does; an
    /// ACTIVE user so blocked can be unlocked. `false` if the user is unknown.
    pub fn set_unknown_device_block(&self, user: &str, blocked: bool) -> bool {
        let mut org = self.org();
        let Some(id) = org.find_user(user) else {
            return false;
        };
        org.users
            .get_mut(&id)
            .map(|u| u.unknown_device_block = blocked)
            .is_some()
    }

    /// Okta's factor resend throttle: a second SMS (voice call) to the same user within this
    /// time gets 429 E0000109 (E0000133). Zero disables it.
    pub fn set_factor_resend_throttle(&self, duration: Duration) {
        lock(&self.shared.settings).factor_resend = duration;
    }

    /// The current factor resend throttle.
    pub fn factor_resend_throttle(&self) -> Duration {
        lock(&self.shared.settings).factor_resend
    }

    /// Adds a membership directly (idempotent, like `PUT /groups/{g}/users/{u}`); `false` only
    /// if the group or the user (by id) does not exist.
    pub fn add_member(&self, group_id: &str, user_id: &str) -> bool {
        let mut org = self.org();
        if !org.users.contains_key(user_id) {
            return false;
        }
        let Some(group) = org.groups.get(group_id) else {
            return false;
        };
        if group.members.contains(user_id) {
            return true;
        }
        org.add_member(group_id, user_id)
    }

    /// Assigns a group to an app (or replaces its assignment), as `PUT
    /// /api/v1/apps/{appId}/groups/{groupId}` does without a log event: every member without
    /// a direct assignment becomes an app user with scope GROUP. `priority` `None` puts it
    /// after the app's other groups. `false` if the app or the group does not exist.
    pub fn assign_group(&self, app_id: &str, group_id: &str, priority: Option<i64>) -> bool {
        let mut org = self.org();
        let Some(app) = org.apps.get(app_id) else {
            return false;
        };
        let priority = priority.unwrap_or_else(|| app.next_group_priority());
        let assignment = AppGroup {
            group_id: group_id.to_string(),
            last_updated: util::now(),
            priority,
            profile: serde_json::Map::new(),
        };
        org.assign_group(app_id, assignment).is_some()
    }

    /// The ids of the groups assigned to an app, in id order.
    pub fn app_group_ids(&self, app_id: &str) -> Vec<String> {
        self.org()
            .apps
            .get(app_id)
            .map(|a| a.groups.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// A user by id, login or shortname, as `GET /api/v1/users/{id}` returns it.
    pub fn user(&self, id_or_login: &str) -> Option<Value> {
        let org = self.org();
        let id = org.find_user(id_or_login)?;
        org.users.get(&id).map(|u| u.to_json(&org.base_url, true))
    }

    /// A group as `GET /api/v1/groups/{id}` returns it.
    pub fn group(&self, id: &str) -> Option<Value> {
        let org = self.org();
        org.groups.get(id).map(|g| g.to_json(&org.base_url, None))
    }

    /// Member user ids of a group, in id order.
    pub fn group_member_ids(&self, group_id: &str) -> Vec<String> {
        self.org()
            .groups
            .get(group_id)
            .map(|g| g.members.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// User ids assigned to an app, in id order.
    pub fn app_user_ids(&self, app_id: &str) -> Vec<String> {
        self.org()
            .apps
            .get(app_id)
            .map(|a| a.users.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// A user's factors as `GET /api/v1/users/{id}/factors` returns them.
    pub fn factors(&self, user_id: &str) -> Vec<Value> {
        let org = self.org();
        org.factors
            .get(user_id)
            .map(|fs| {
                fs.iter()
                    .map(|f| f.to_json(&org.base_url, user_id))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Records a successful sign-in of a user (id, login or shortname) who has been
    /// activated: a new Okta session, with the OAuth tokens and remembered device it leaves.
    /// Returns the user's sessions as [`SimHandle::sessions`] does, or why not.
    pub fn start_session(&self, user: &str, sign_in: SignIn) -> Result<Value, SeedError> {
        let mut org = self.org();
        let id = org
            .find_user(user)
            .ok_or_else(|| SeedError(format!("no user '{user}'")))?;
        let status = org.users.get(&id).map(|u| u.status);
        if !status.is_some_and(Status::is_activated) {
            let status = status.map_or("?", Status::as_str);
            return Err(SeedError(format!("a {status} user cannot sign in")));
        }
        let state = org.sessions.entry(id).or_default();
        state.start(sign_in);
        Ok(state.to_json())
    }

    /// A user's (id, login or shortname) sessions, OAuth token count and remembered devices:
    /// `{"sessions": [{"id", "createdAt"}], "oauthTokens": N, "rememberedDevices": N}`.
    pub fn sessions(&self, user: &str) -> Option<Value> {
        let org = self.org();
        let id = org.find_user(user)?;
        Some(
            org.sessions
                .get(&id)
                .map_or_else(|| UserSessions::default().to_json(), UserSessions::to_json),
        )
    }

    /// Records a sign-in attempt in the System Log as Okta would (see [`SigninSeed`]);
    /// returns the event, or why the seed is refused.
    pub fn record_signin(&self, seed: SigninSeed) -> Result<Value, SeedError> {
        signins::record(&mut self.org(), seed).map_err(SeedError)
    }

    /// Every System Log event, oldest first.
    pub fn log_events(&self) -> Vec<Value> {
        self.org().logs.all()
    }

    /// Injects a fault; an invalid one (bad regex, count 0) is ignored with a warning on stderr.
    pub fn inject(&self, f: Fault) {
        if let Err(e) = self.try_inject(f) {
            eprintln!("okta-sim: fault ignored: {e}");
        }
    }

    /// Injects a fault or explains why it is invalid.
    pub fn try_inject(&self, f: Fault) -> Result<(), FaultError> {
        lock(&self.shared.faults).add(f)
    }

    /// Faults still pending, with their remaining counts.
    pub fn pending_faults(&self) -> Vec<Fault> {
        lock(&self.shared.faults).pending()
    }

    /// Drops all pending faults.
    pub fn clear_faults(&self) {
        lock(&self.shared.faults).clear();
    }

    /// The request log, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.requests).all()
    }

    pub fn clear_requests(&self) {
        lock(&self.shared.requests).clear();
    }

    /// Replaces the rate limits (fresh windows start).
    pub fn set_rate_limits(&self, limits: RateLimits) {
        lock(&self.shared.limiter).set_limits(limits);
    }

    pub fn rate_limits(&self) -> RateLimits {
        lock(&self.shared.limiter).limits().clone()
    }

    /// How low each family's budget went and how many requests were refused since the limits
    /// were last set.
    pub fn rate_limit_stats(&self) -> RateLimitStats {
        lock(&self.shared.limiter).stats()
    }

    /// Checks every index against the data (login, shortname, group name, memberships,
    /// assignments); `Err` describes the first inconsistency.
    pub fn verify_indexes(&self) -> Result<(), String> {
        self.org().verify_indexes()
    }

    /// The base URL (`http://127.0.0.1:PORT`).
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }
}
