//! Users: the object, its lifecycle state machine and every `/api/v1/users` endpoint.
//!
//! Status changes follow NOTES §3: each lifecycle operation is legal only from the statuses
//! listed there, and illegal ones answer as Okta does (suspend/unsuspend 400 E0000001,
//! activating an ACTIVE user 403 E0000016, unlock 403 E0000032, the rest 403 E0000038).
//! `activated`, `statusChanged`, `lastLogin` and `passwordChanged` stay null until they apply.

use std::ops::Bound;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use crate::error::{ApiError, Resource};
use crate::http::{Pager, Reply};
use crate::logs::Target;
use crate::scim;
use crate::store::{Conflict, Ctx, Org};
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

    fn credentials_json(&self) -> Value {
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
        json!({
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
        })
    }
}

// ------------------------------------------------------------------ validation

/// Okta's default password policy text.
pub(crate) const PASSWORD_REQUIREMENTS: &str = "Password requirements were not met. Password requirements: at least 8 characters, a lowercase letter, an uppercase letter, a number, no parts of your username. Your password cannot be any of your last 4 passwords.";

const COMMON_PASSWORDS: &[&str] = &[
    "password",
    "password1",
    "password123",
    "passw0rd",
    "p@ssw0rd",
    "12345678",
    "123456789",
    "qwerty123",
    "letmein1",
    "welcome1",
    "iloveyou1",
    "abcd1234",
];

/// The cause text if `password` breaks the simulated default policy.
pub(crate) fn password_problem(password: &str, login: &str) -> Option<String> {
    if COMMON_PASSWORDS.contains(&password.to_lowercase().as_str()) {
        return Some(
            "password: This password was found in a list of commonly used passwords. Please try another password."
                .into(),
        );
    }
    let lower = password.to_lowercase();
    let username = login.split('@').next().unwrap_or_default().to_lowercase();
    let contains_username_part = username
        .split(['.', '_', '-', '+'])
        .filter(|part| part.chars().count() >= 3)
        .any(|part| lower.contains(part));
    let ok = password.chars().count() >= 8
        && password.chars().any(|c| c.is_lowercase())
        && password.chars().any(|c| c.is_uppercase())
        && password.chars().any(|c| c.is_ascii_digit())
        && !contains_username_part;
    (!ok).then(|| format!("password: {PASSWORD_REQUIREMENTS}"))
}

fn looks_like_email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(char::is_whitespace)
}

/// Profile fields Okta types as strings; anything else there is a malformed body.
const STRING_FIELDS: &[&str] = &[
    "login",
    "email",
    "secondEmail",
    "firstName",
    "lastName",
    "middleName",
    "honorificPrefix",
    "honorificSuffix",
    "title",
    "displayName",
    "nickName",
    "profileUrl",
    "primaryPhone",
    "mobilePhone",
    "streetAddress",
    "city",
    "state",
    "zipCode",
    "countryCode",
    "postalAddress",
    "preferredLanguage",
    "locale",
    "timezone",
    "userType",
    "employeeNumber",
    "costCenter",
    "organization",
    "division",
    "department",
    "managerId",
    "manager",
];

/// Checks a complete profile; returns the causes (`field: text`) in Okta's wording.
fn profile_causes(profile: &Map<String, Value>) -> Result<Vec<(String, String)>, ApiError> {
    for field in STRING_FIELDS {
        if let Some(v) = profile.get(*field)
            && !(v.is_string() || v.is_null())
        {
            return Err(ApiError::malformed_body());
        }
    }
    let get = |k: &str| profile.get(k).and_then(Value::as_str).map(str::trim);
    let mut causes = Vec::new();
    let mut add =
        |field: &str, text: &str| causes.push((field.to_string(), format!("{field}: {text}")));
    match get("login") {
        None | Some("") => add("login", "The field cannot be left blank"),
        Some(l) if l.chars().count() < 5 || l.chars().count() > 100 => {
            add("login", "The field must be between 5 and 100 characters")
        }
        Some(l) if !looks_like_email(l) => {
            add("login", "Username must be in the form of an email address")
        }
        _ => {}
    }
    match get("email") {
        None | Some("") => add("email", "The field cannot be left blank"),
        Some(e) if e.chars().count() < 5 || e.chars().count() > 100 || !looks_like_email(e) => {
            add("email", "Does not match required pattern")
        }
        _ => {}
    }
    for field in ["firstName", "lastName"] {
        match get(field) {
            None | Some("") => add(field, "The field cannot be left blank"),
            Some(v) if v.chars().count() > 50 => add(field, "The field is too long"),
            _ => {}
        }
    }
    if let Some(second) = get("secondEmail")
        && !second.is_empty()
        && !looks_like_email(second)
    {
        add("secondEmail", "Does not match required pattern");
    }
    for field in ["mobilePhone", "primaryPhone"] {
        if get(field).is_some_and(|v| v.chars().count() > 100) {
            add(field, "The field is too long");
        }
    }
    Ok(causes)
}

fn validation_error(causes: Vec<(String, String)>) -> ApiError {
    let field = causes
        .first()
        .map(|(f, _)| f.clone())
        .unwrap_or_else(|| "profile".into());
    ApiError::validation(&field, causes.into_iter().map(|(_, c)| c).collect())
}

fn duplicate_login() -> ApiError {
    ApiError::validation(
        "login",
        vec!["login: An object with this field already exists in the current organization".into()],
    )
}

/// Okta always shows these base attributes, null when unset.
fn fill_base_profile(profile: &mut Map<String, Value>) {
    for key in ["mobilePhone", "secondEmail"] {
        profile.entry(key.to_string()).or_insert(Value::Null);
    }
}

fn object_field<'a>(
    body: &'a Map<String, Value>,
    key: &str,
) -> Result<Option<&'a Map<String, Value>>, ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(_) => Err(ApiError::malformed_body()),
    }
}

/// `credentials.password.value`, if present.
fn password_value(creds: Option<&Map<String, Value>>) -> Result<Option<String>, ApiError> {
    let Some(creds) = creds else { return Ok(None) };
    match object_field(creds, "password")? {
        None => Ok(None),
        Some(pw) => match pw.get("value") {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(ApiError::malformed_body()),
        },
    }
}

fn recovery_question(
    creds: Option<&Map<String, Value>>,
) -> Result<Option<(String, String)>, ApiError> {
    let Some(creds) = creds else { return Ok(None) };
    let Some(rq) = object_field(creds, "recovery_question")? else {
        return Ok(None);
    };
    let question = rq
        .get("question")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let answer = rq.get("answer").and_then(Value::as_str).unwrap_or_default();
    let mut causes = Vec::new();
    if question.trim().chars().count() < 4 {
        causes.push("recovery_question.question: The security question must be at least 4 characters in length".to_string());
    }
    if answer.trim().chars().count() < 4 {
        causes.push("recovery_question.answer: The security question answer must be at least 4 characters in length".to_string());
    }
    if !causes.is_empty() {
        return Err(ApiError::validation("recovery_question", causes));
    }
    Ok(Some((question.to_string(), answer.to_string())))
}

// ------------------------------------------------------------------ lookups

/// Resolves `id`, a login, a shortname or `me` (the token's admin) to a user id.
pub(crate) fn resolve(org: &Org, key: &str) -> Result<String, ApiError> {
    if key == "me" {
        return Ok(org.admin_id.clone());
    }
    org.find_user(key)
        .ok_or_else(|| ApiError::not_found(Resource::User, key))
}

/// Paths that need the user **id** (memberships, factors, change_password).
pub(crate) fn resolve_id(org: &Org, key: &str) -> Result<String, ApiError> {
    if org.users.contains_key(key) {
        Ok(key.to_string())
    } else {
        Err(ApiError::not_found(Resource::User, key))
    }
}

fn user_mut<'a>(org: &'a mut Org, id: &str) -> Result<&'a mut User, ApiError> {
    org.users
        .get_mut(id)
        .ok_or_else(|| ApiError::not_found(Resource::User, id))
}

fn single(org: &Org, id: &str) -> Result<Reply, ApiError> {
    let user = org
        .users
        .get(id)
        .ok_or_else(|| ApiError::not_found(Resource::User, id))?;
    Ok(Reply::ok(&user.to_json(&org.base_url, true)).header("etag", &user.etag()))
}

// ------------------------------------------------------------------ endpoints

/// `POST /api/v1/users`.
pub(crate) fn create(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let req = ctx.req;
    let activate = req.bool_param("activate", true)?;
    req.bool_param("provider", false)?;
    let next_login = req.param("nextLogin").filter(|v| !v.is_empty());
    let body = req.json_object()?;
    let mut profile = object_field(&body, "profile")?.cloned().unwrap_or_default();
    let creds = object_field(&body, "credentials")?;
    let password = password_value(creds)?;
    let question = recovery_question(creds)?;
    let group_ids: Vec<String> = match body.get("groupIds") {
        None | Some(Value::Null) => vec![],
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(ApiError::malformed_body)?,
        Some(_) => return Err(ApiError::malformed_body()),
    };

    let causes = profile_causes(&profile)?;
    if !causes.is_empty() {
        return Err(validation_error(causes));
    }
    let login = profile
        .get("login")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .trim()
        .to_string();
    profile.insert("login".into(), Value::String(login.clone()));
    if ctx.org.login_taken(&login, None) {
        return Err(duplicate_login());
    }
    if let Some(pw) = &password
        && let Some(cause) = password_problem(pw, &login)
    {
        return Err(ApiError::validation("password", vec![cause]));
    }
    if group_ids.len() > 100 {
        return Err(ApiError::new(
            http::StatusCode::BAD_REQUEST,
            "E0000093",
            "Target count limit exceeded",
        )
        .with_cause("The number of group targets is too large"));
    }
    for gid in &group_ids {
        if !ctx.org.groups.contains_key(gid) {
            return Err(ApiError::validation(
                "groupIds",
                vec![format!("groupIds: Group {gid} does not exist")],
            ));
        }
    }
    let expire_now = match next_login {
        None => false,
        Some("changePassword") => {
            if !activate {
                let text = "Could not create user. To create a user and expire their password immediately, `activate` must be true.";
                return Err(
                    ApiError::new(http::StatusCode::BAD_REQUEST, "E0000125", text).with_cause(text),
                );
            }
            if password.is_none() {
                let text = "Could not create user. To create a user and expire their password immediately, a password must be specified.";
                return Err(
                    ApiError::new(http::StatusCode::BAD_REQUEST, "E0000124", text).with_cause(text),
                );
            }
            true
        }
        Some(other) => {
            return Err(ApiError::validation(
                "nextLogin",
                vec![format!("nextLogin: '{other}' is not a valid value")],
            ));
        }
    };

    fill_base_profile(&mut profile);
    let mut user = User::new(util::new_id("00u"), Status::Staged, profile);
    if let Some(pw) = &password {
        user.set_password(pw);
    }
    user.recovery_question = question;
    if activate {
        let status = match (&password, expire_now) {
            (Some(_), true) => Status::PasswordExpired,
            (Some(_), false) => Status::Active,
            (None, _) => Status::Provisioned,
        };
        user.set_status(status);
        if status == Status::PasswordExpired {
            user.activated = user.status_changed;
        }
    }
    let id = user.id.clone();
    let target = user.as_target();
    ctx.org.insert_user(user).map_err(|_| duplicate_login())?;
    ctx.log(
        "user.lifecycle.create",
        "Create Okta user",
        vec![target.clone()],
    );
    if activate {
        ctx.log(
            "user.lifecycle.activate",
            "Activate Okta user",
            vec![target.clone()],
        );
    }
    for gid in group_ids {
        if ctx.org.add_member(&gid, &id) {
            let group = ctx.org.groups.get(&gid).map(|g| g.as_target());
            ctx.log(
                "group.user_membership.add",
                "Add user to group membership",
                std::iter::once(target.clone()).chain(group).collect(),
            );
        }
    }
    single(ctx.org, &id)
}

/// `GET /api/v1/users/{id}`.
pub(crate) fn get(ctx: &mut Ctx, key: &str) -> Result<Reply, ApiError> {
    let id = resolve(ctx.org, key)?;
    single(ctx.org, &id)
}

/// `POST` (partial) or `PUT` (full replace) `/api/v1/users/{id}`.
pub(crate) fn update(ctx: &mut Ctx, key: &str, replace: bool) -> Result<Reply, ApiError> {
    let id = resolve(ctx.org, key)?;
    let body = ctx.req.json_object()?;
    let user = ctx
        .org
        .users
        .get(&id)
        .ok_or_else(|| ApiError::not_found(Resource::User, key))?;
    if user.status == Status::Deprovisioned {
        return Err(ApiError::wrong_status());
    }
    let old_login = user.login().to_string();
    let new_profile_in = object_field(&body, "profile")?;
    let creds = object_field(&body, "credentials")?;
    let password = password_value(creds)?;
    let question = recovery_question(creds)?;

    let mut profile = if replace {
        new_profile_in
            .cloned()
            .unwrap_or_else(|| user.profile.clone())
    } else {
        let mut merged = user.profile.clone();
        if let Some(changes) = new_profile_in {
            for (k, v) in changes {
                merged.insert(k.clone(), v.clone());
            }
        }
        merged
    };
    let causes = profile_causes(&profile)?;
    if !causes.is_empty() {
        return Err(validation_error(causes));
    }
    let new_login = profile
        .get("login")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .trim()
        .to_string();
    profile.insert("login".into(), Value::String(new_login.clone()));
    if ctx.org.login_taken(&new_login, Some(&id)) {
        return Err(duplicate_login());
    }
    if let Some(pw) = &password
        && let Some(cause) = password_problem(pw, &new_login)
    {
        return Err(ApiError::validation("password", vec![cause]));
    }
    fill_base_profile(&mut profile);
    ctx.org
        .change_login(&id, &old_login, &new_login)
        .map_err(|_| duplicate_login())?;
    let user = user_mut(ctx.org, &id)?;
    let profile_changed = user.profile != profile;
    user.profile = profile;
    user.last_updated = util::now();
    if let Some(pw) = &password {
        user.set_password(pw);
    }
    if question.is_some() {
        user.recovery_question = question;
    }
    let target = user.as_target();
    if profile_changed {
        ctx.log(
            "user.account.update_profile",
            "Update user profile for Okta",
            vec![target.clone()],
        );
    }
    if password.is_some() {
        ctx.log(
            "user.account.update_password",
            "Update password for Okta user",
            vec![target],
        );
    }
    single(ctx.org, &id)
}

/// `DELETE /api/v1/users/{id}`: the first call deactivates, the second deletes.
pub(crate) fn delete(ctx: &mut Ctx, key: &str) -> Result<Reply, ApiError> {
    ctx.req.bool_param("sendEmail", false)?;
    let id = resolve(ctx.org, key)?;
    let user = user_mut(ctx.org, &id)?;
    if user.status != Status::Deprovisioned {
        deactivate_user(ctx, &id);
        return Ok(Reply::no_content());
    }
    let target = user.as_target();
    ctx.org.remove_user(&id);
    ctx.log(
        "user.lifecycle.delete.initiated",
        "Delete Okta user initiated",
        vec![target.clone()],
    );
    ctx.log(
        "user.lifecycle.delete.completed",
        "Delete Okta user completed",
        vec![target],
    );
    Ok(Reply::no_content())
}

fn deactivate_user(ctx: &mut Ctx, id: &str) {
    let Some(user) = ctx.org.users.get_mut(id) else {
        return;
    };
    user.set_status(Status::Deprovisioned);
    let target = user.as_target();
    ctx.log(
        "user.lifecycle.deactivate",
        "Deactivate Okta user",
        vec![target.clone()],
    );
    // Deactivation deprovisions the user from every app (group memberships stay).
    for app_id in ctx.org.apps_of(id) {
        if ctx.org.unassign_app(&app_id, id).is_some() {
            let app = ctx.org.apps.get(&app_id).map(|a| a.as_target());
            ctx.log(
                "application.user_membership.remove",
                "Remove users application membership",
                std::iter::once(target.clone()).chain(app).collect(),
            );
        }
    }
}

fn activation_body(base: &str) -> Value {
    let token = util::random_alnum(20);
    json!({
        "activationUrl": format!("{base}/welcome/{token}"),
        "activationToken": token,
    })
}

/// `POST /api/v1/users/{id}/lifecycle/{op}`.
pub(crate) fn lifecycle(ctx: &mut Ctx, key: &str, op: &str) -> Result<Reply, ApiError> {
    let id = resolve(ctx.org, key)?;
    let base = ctx.org.base_url.clone();
    let status = ctx
        .org
        .users
        .get(&id)
        .map(|u| u.status)
        .ok_or_else(|| ApiError::not_found(Resource::User, key))?;
    match op {
        "activate" => {
            let send_email = ctx.req.bool_param("sendEmail", true)?;
            match status {
                Status::Staged | Status::Deprovisioned => {}
                Status::Active => return Err(ApiError::already_active()),
                _ => return Err(ApiError::wrong_status()),
            }
            let user = user_mut(ctx.org, &id)?;
            let next = if user.password.is_some() {
                Status::Active
            } else {
                Status::Provisioned
            };
            user.set_status(next);
            let target = user.as_target();
            ctx.log(
                "user.lifecycle.activate",
                "Activate Okta user",
                vec![target],
            );
            Ok(if send_email {
                Reply::empty_object()
            } else {
                Reply::ok(&activation_body(&base))
            })
        }
        "reactivate" => {
            let send_email = ctx.req.bool_param("sendEmail", false)?;
            if !matches!(status, Status::Provisioned | Status::Recovery) {
                return Err(ApiError::wrong_status());
            }
            let target = user_mut(ctx.org, &id)?.as_target();
            ctx.log(
                "user.lifecycle.reactivate",
                "Reactivate Okta user",
                vec![target],
            );
            Ok(if send_email {
                Reply::empty_object()
            } else {
                Reply::ok(&activation_body(&base))
            })
        }
        "deactivate" => {
            ctx.req.bool_param("sendEmail", false)?;
            if status == Status::Deprovisioned {
                return Err(ApiError::wrong_status());
            }
            deactivate_user(ctx, &id);
            Ok(Reply::empty_object())
        }
        "suspend" => {
            if status != Status::Active {
                return Err(ApiError::precondition(
                    "Cannot suspend a user that is not active",
                ));
            }
            simple_transition(
                ctx,
                &id,
                Status::Suspended,
                "user.lifecycle.suspend",
                "Suspend Okta user",
            )
        }
        "unsuspend" => {
            if status != Status::Suspended {
                return Err(ApiError::precondition(
                    "Cannot unsuspend a user that is not suspended",
                ));
            }
            simple_transition(
                ctx,
                &id,
                Status::Active,
                "user.lifecycle.unsuspend",
                "Unsuspend Okta user",
            )
        }
        "unlock" => {
            if status != Status::LockedOut {
                return Err(ApiError::unlock_not_allowed());
            }
            simple_transition(
                ctx,
                &id,
                Status::Active,
                "user.account.unlock",
                "Unlock user account",
            )
        }
        "reset_password" => {
            let send_email = ctx.req.bool_param("sendEmail", true)?;
            ctx.req.bool_param("revokeSessions", false)?;
            if !matches!(
                status,
                Status::Provisioned
                    | Status::Active
                    | Status::Recovery
                    | Status::LockedOut
                    | Status::PasswordExpired
            ) {
                return Err(ApiError::wrong_status());
            }
            let user = user_mut(ctx.org, &id)?;
            user.set_status(Status::Recovery);
            let target = user.as_target();
            ctx.log(
                "user.account.reset_password",
                "Reset user password",
                vec![target],
            );
            Ok(if send_email {
                Reply::empty_object()
            } else {
                let token = util::random_alnum(20);
                Reply::ok(&json!({ "resetPasswordUrl": format!("{base}/reset_password/{token}") }))
            })
        }
        "expire_password" | "expire_password_with_temp_password" => {
            let temp = op == "expire_password_with_temp_password"
                || ctx.req.bool_param("tempPassword", false)?;
            ctx.req.bool_param("revokeSessions", false)?;
            if !matches!(
                status,
                Status::Active | Status::Recovery | Status::LockedOut | Status::PasswordExpired
            ) {
                return Err(ApiError::wrong_status());
            }
            let user = user_mut(ctx.org, &id)?;
            if user.password.is_none() && !temp {
                return Err(ApiError::wrong_status());
            }
            let temp_password = temp.then(|| {
                // Okta's temporary passwords are 8 mixed-case alphanumerics.
                let mut pw = util::random_alnum(6);
                pw.push('a');
                pw.push('7');
                pw
            });
            if let Some(pw) = &temp_password {
                user.set_password(pw);
            }
            user.set_status(Status::PasswordExpired);
            let target = user.as_target();
            ctx.log(
                "user.account.expire_password",
                "Expire user password",
                vec![target],
            );
            match temp_password {
                Some(pw) => Ok(Reply::ok(&json!({ "tempPassword": pw }))),
                None => single(ctx.org, &id),
            }
        }
        "reset_factors" => crate::factors::reset_all(ctx, &id),
        _ => Err(ApiError::path_not_found()),
    }
}

fn simple_transition(
    ctx: &mut Ctx,
    id: &str,
    to: Status,
    event: &str,
    display: &str,
) -> Result<Reply, ApiError> {
    let user = user_mut(ctx.org, id)?;
    user.set_status(to);
    let target = user.as_target();
    ctx.log(event, display, vec![target]);
    Ok(Reply::empty_object())
}

/// `POST /api/v1/users/{userId}/credentials/change_password`.
pub(crate) fn change_password(ctx: &mut Ctx, key: &str) -> Result<Reply, ApiError> {
    let id = resolve_id(ctx.org, key)?;
    ctx.req.bool_param("strict", false)?;
    let body = ctx.req.json_object()?;
    let value = |field: &str| -> Result<Option<String>, ApiError> {
        match object_field(&body, field)? {
            None => Ok(None),
            Some(obj) => match obj.get("value") {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(ApiError::malformed_body()),
            },
        }
    };
    let old = value("oldPassword")?;
    let new = value("newPassword")?;
    let user = user_mut(ctx.org, &id)?;
    let Some(current) = user.password.clone() else {
        return Err(ApiError::change_password_not_allowed());
    };
    if !matches!(
        user.status,
        Status::Staged | Status::Active | Status::PasswordExpired | Status::Recovery
    ) {
        return Err(ApiError::change_password_not_allowed());
    }
    if old.as_deref() != Some(current.as_str()) {
        return Err(ApiError::credentials_update_failed(
            "oldPassword: The credentials provided were incorrect.",
        ));
    }
    let Some(new) = new else {
        return Err(ApiError::credentials_update_failed(format!(
            "password: {PASSWORD_REQUIREMENTS}"
        )));
    };
    if new == current {
        return Err(ApiError::credentials_update_failed(
            "password: Password has been used too recently",
        ));
    }
    if let Some(cause) = password_problem(&new, user.login()) {
        return Err(ApiError::credentials_update_failed(cause));
    }
    user.set_password(&new);
    if matches!(user.status, Status::Recovery | Status::PasswordExpired) {
        user.set_status(Status::Active);
    }
    let creds = user.credentials_json();
    let target = user.as_target();
    ctx.log(
        "user.account.update_password",
        "Update password for Okta user",
        vec![target],
    );
    Ok(Reply::ok(&creds))
}

/// `GET /api/v1/users/{userId}/groups`.
pub(crate) fn groups(ctx: &mut Ctx, key: &str) -> Result<Reply, ApiError> {
    let id = resolve_id(ctx.org, key)?;
    let base = ctx.org.base_url.clone();
    let groups: Vec<Value> = ctx
        .org
        .groups_of(&id)
        .iter()
        .filter_map(|gid| ctx.org.groups.get(gid))
        .map(|g| g.to_json(&base, false))
        .collect();
    Ok(Reply::ok(&Value::Array(groups)))
}

// ------------------------------------------------------------------ listing

const FILTER_ATTRS: &[&str] = &[
    "status",
    "lastUpdated",
    "id",
    "profile.login",
    "profile.email",
    "profile.firstName",
    "profile.lastName",
];

const CONTAINS_ATTRS: &[&str] = &[
    "profile.firstName",
    "profile.lastName",
    "profile.email",
    "profile.login",
];

fn parse_search(raw: &str, filter_mode: bool) -> Result<scim::Expr, ApiError> {
    let expr = scim::parse(raw).map_err(|e| {
        ApiError::invalid_search(&format!("{} at position {}", e.message, e.position))
    })?;
    for (attr, op) in expr.comparisons() {
        if filter_mode {
            let ok_attr = FILTER_ATTRS.contains(&attr);
            let ok_op = match op {
                Some(scim::Op::Eq) => true,
                Some(scim::Op::Gt | scim::Op::Ge | scim::Op::Lt | scim::Op::Le) => {
                    attr == "lastUpdated"
                }
                _ => false,
            };
            if !ok_attr || !ok_op {
                return Err(ApiError::invalid_search(&format!(
                    "Filtering on '{attr}' with '{}' is not supported",
                    op.map_or("pr", scim::Op::name)
                )));
            }
        } else {
            match op {
                Some(scim::Op::Ne) => {
                    return Err(ApiError::invalid_search(
                        "The 'ne' operator is not supported in search",
                    ));
                }
                Some(scim::Op::Co) if !CONTAINS_ATTRS.contains(&attr) => {
                    return Err(ApiError::invalid_search(&format!(
                        "The 'co' operator is not supported for '{attr}'"
                    )));
                }
                _ => {}
            }
        }
    }
    if filter_mode && matches!(expr, scim::Expr::Not(_)) {
        return Err(ApiError::invalid_search(
            "The 'not' operator is not supported",
        ));
    }
    Ok(expr)
}

fn starts_with_ci(value: Option<&Value>, prefix: &str) -> bool {
    value
        .and_then(Value::as_str)
        .is_some_and(|v| v.to_lowercase().starts_with(prefix))
}

/// `GET /api/v1/users`.
pub(crate) fn list(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let req = ctx.req;
    let q = req.param("q").filter(|s| !s.is_empty());
    let search = req.param("search").filter(|s| !s.trim().is_empty());
    let filter = req.param("filter").filter(|s| !s.trim().is_empty());
    if [q.is_some(), search.is_some(), filter.is_some()]
        .iter()
        .filter(|b| **b)
        .count()
        > 1
    {
        return Err(ApiError::search_and_filter());
    }
    let org = &*ctx.org;
    let base = org.base_url.as_str();
    let pager = Pager {
        base_url: base,
        req,
    };

    if let Some(q) = q {
        // `q` is a starts-with match on first name, last name or email; no paging.
        let limit = req.limit(10, 200)?;
        let prefix = q.to_lowercase();
        let found: Vec<Value> = org
            .users
            .values()
            .filter(|u| u.status != Status::Deprovisioned)
            .filter(|u| {
                ["firstName", "lastName", "email"]
                    .iter()
                    .any(|k| starts_with_ci(u.profile.get(*k), &prefix))
            })
            .take(limit)
            .map(|u| u.to_json(base, false))
            .collect();
        return Ok(Reply::ok(&Value::Array(found)).link(&pager.self_url(), "self"));
    }

    let limit = req.limit(200, 200)?;
    let expr = match (search, filter) {
        (Some(s), _) => Some((parse_search(s, false)?, true)),
        (_, Some(f)) => Some((parse_search(f, true)?, false)),
        _ => None,
    };
    let after = req.param("after").filter(|a| !a.is_empty());
    let range = match after {
        Some(a) => org
            .users
            .range::<str, _>((Bound::Excluded(a), Bound::Unbounded)),
        None => org.users.range::<str, _>(..),
    };

    // Index fast paths for the most common exact lookups.
    let direct: Option<Vec<&User>> = expr.as_ref().and_then(|(e, _)| {
        if let Some(login) = e.as_single_eq("profile.login") {
            Some(
                org.user_id_by_login(login)
                    .and_then(|id| org.users.get(id))
                    .into_iter()
                    .filter(|u| after.is_none_or(|a| u.id.as_str() > a))
                    .collect(),
            )
        } else {
            e.as_single_eq("id").map(|id| {
                org.users
                    .get(id)
                    .into_iter()
                    .filter(|u| after.is_none_or(|a| u.id.as_str() > a))
                    .collect()
            })
        }
    });

    let (page, more) = match (direct, &expr) {
        (Some(users), _) => take_page(users.into_iter(), limit),
        (None, Some((e, ignore_case))) => take_page(
            range
                .map(|(_, u)| u)
                .filter(|u| e.matches(&u.to_json(base, false), *ignore_case)),
            limit,
        ),
        (None, None) => take_page(
            range
                .map(|(_, u)| u)
                .filter(|u| u.status != Status::Deprovisioned),
            limit,
        ),
    };
    let body = Value::Array(page.iter().map(|u| u.to_json(base, false)).collect());
    let mut reply = Reply::ok(&body).link(&pager.self_url(), "self");
    if more && let Some(last) = page.last() {
        reply = reply.link(&pager.next_url(&last.id, limit, &[]), "next");
    }
    Ok(reply)
}

/// Up to `limit` items, and whether more remain.
pub(crate) fn take_page<'a, T>(
    iter: impl Iterator<Item = &'a T>,
    limit: usize,
) -> (Vec<&'a T>, bool) {
    let mut page = Vec::new();
    for item in iter {
        if page.len() == limit {
            return (page, true);
        }
        page.push(item);
    }
    (page, false)
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

/// Conflict → the API error a client would see.
pub(crate) fn conflict_error(c: Conflict) -> ApiError {
    match c {
        Conflict::Login | Conflict::Id => duplicate_login(),
        Conflict::GroupName => crate::groups::duplicate_name(),
    }
}
