//! Applications and app assignments: `/api/v1/apps…`.
//!
//! Apps are seeded (there is no create endpoint); their JSON follows the spec's examples
//! for each sign-on mode. Assignments (`AppUser`) are direct (`scope: USER`) and keyed by
//! user id; listing pages with an `after` cursor (the user id).

use std::collections::BTreeMap;
use std::ops::Bound;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::error::{ApiError, Resource};
use crate::http::take_page;
use crate::http::{Pager, Reply};
use crate::logs::Target;
use crate::scim;
use crate::store::Ctx;
use crate::users::{self, Status};
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
    pub users: BTreeMap<String, AppUser>,
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
fn takes_passwords(mode: &str) -> bool {
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
        })
    }

    pub fn as_target(&self) -> Target {
        Target::new(&self.id, "AppInstance", &self.label, &self.label)
    }

    pub fn to_json(&self, base: &str) -> Value {
        let me = format!("{base}/api/v1/apps/{}", self.id);
        let link_name = format!("{}_link", self.name);
        let mut links = json!({
            "logo": [{"name": "medium", "href": format!("{base}/assets/img/logos/default.png"), "type": "image/png"}],
            "appLinks": [{"name": link_name, "href": format!("{base}/home/{}/{}/aln1simAPPLINK0000", self.name, self.id), "type": "text/html"}],
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

fn find_app<'a>(ctx: &'a Ctx, id: &str) -> Result<&'a App, ApiError> {
    ctx.org
        .apps
        .get(id)
        .ok_or_else(|| ApiError::not_found(Resource::AppInstance, id))
}

/// `GET /api/v1/apps`.
pub(crate) fn list(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let req = ctx.req;
    let limit = req.limit(200, 200)?;
    let org = &*ctx.org;
    let base = org.base_url.as_str();
    let q = req
        .param("q")
        .filter(|s| !s.is_empty())
        .map(str::to_lowercase);
    let filter = match req.param("filter").filter(|s| !s.trim().is_empty()) {
        Some(f) => {
            let expr = scim::parse(f).map_err(|e| {
                ApiError::invalid_search(&format!("{} at position {}", e.message, e.position))
            })?;
            for (attr, op) in expr.comparisons() {
                if !matches!(attr, "id" | "status" | "name" | "user.id" | "group.id")
                    || op != Some(scim::Op::Eq)
                {
                    return Err(ApiError::invalid_search(&format!(
                        "Filtering on '{attr}' is not supported"
                    )));
                }
            }
            Some(expr)
        }
        None => None,
    };
    let after = req.param("after").filter(|a| !a.is_empty());
    let range = match after {
        Some(a) => org
            .apps
            .range::<str, _>((Bound::Excluded(a), Bound::Unbounded)),
        None => org.apps.range::<str, _>(..),
    };
    let (page, more) = take_page(
        range.map(|(_, a)| a).filter(|a| {
            q.as_ref().is_none_or(|q| {
                a.label.to_lowercase().starts_with(q) || a.name.to_lowercase().starts_with(q)
            }) && filter.as_ref().is_none_or(|f| {
                // `user.id` matches apps the user is assigned to.
                let mut doc = a.to_json(base);
                if let Some(map) = doc.as_object_mut() {
                    map.insert(
                        "user".into(),
                        Value::Array(a.users.keys().map(|u| json!({"id": u})).collect()),
                    );
                }
                f.matches(&doc, false)
            })
        }),
        limit,
    );
    let pager = Pager {
        base_url: base,
        req,
    };
    let body = Value::Array(page.iter().map(|a| a.to_json(base)).collect());
    let mut reply = Reply::ok(&body).link(&pager.self_url(), "self");
    if let (true, Some(last)) = (more, page.last()) {
        reply = reply.link(&pager.next_url(&last.id, limit, &[]), "next");
    }
    Ok(reply)
}

/// `GET /api/v1/apps/{id}` (optionally `expand=user/{userId}`).
pub(crate) fn get(ctx: &mut Ctx, id: &str) -> Result<Reply, ApiError> {
    let app = find_app(ctx, id)?;
    let base = ctx.org.base_url.as_str();
    let mut json = app.to_json(base);
    if let Some(uid) = ctx
        .req
        .param("expand")
        .and_then(|e| e.strip_prefix("user/"))
    {
        let assignment = app
            .users
            .get(uid)
            .ok_or_else(|| ApiError::not_found(Resource::AppUser, uid))?;
        if let Some(map) = json.as_object_mut() {
            map.insert(
                "_embedded".into(),
                json!({"user": assignment.to_json(base, id)}),
            );
        }
    }
    Ok(Reply::ok(&json))
}

fn expand_user(ctx: &Ctx) -> bool {
    ctx.req.param("expand") == Some("user")
}

fn app_user_json(ctx: &Ctx, app_id: &str, au: &AppUser, expand: bool) -> Value {
    let base = ctx.org.base_url.as_str();
    let mut v = au.to_json(base, app_id);
    if expand && let (Some(map), Some(user)) = (v.as_object_mut(), ctx.org.users.get(&au.user_id)) {
        map.insert(
            "_embedded".into(),
            json!({"user": user.to_json(base, false)}),
        );
    }
    v
}

/// `GET /api/v1/apps/{id}/users`.
pub(crate) fn list_users(ctx: &mut Ctx, app_id: &str) -> Result<Reply, ApiError> {
    let req = ctx.req;
    let limit = match req.int_param("limit")? {
        Some(n) if !(1..=500).contains(&n) => {
            return Err(ApiError::validation(
                "limit",
                vec!["limit: must be between 1 and 500".into()],
            ));
        }
        Some(n) => usize::try_from(n).unwrap_or(50),
        None => 50,
    };
    let expand = expand_user(ctx);
    let app = find_app(ctx, app_id)?;
    let q = req
        .param("q")
        .filter(|s| !s.is_empty())
        .map(str::to_lowercase);
    let after = req.param("after").filter(|a| !a.is_empty());
    let range = match after {
        Some(a) => app
            .users
            .range::<str, _>((Bound::Excluded(a), Bound::Unbounded)),
        None => app.users.range::<str, _>(..),
    };
    let org = &*ctx.org;
    let (page, more) = take_page(
        range.map(|(_, au)| au).filter(|au| {
            q.as_ref().is_none_or(|q| {
                let user_name = au
                    .credentials
                    .get("userName")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_lowercase();
                user_name.starts_with(q)
                    || org.users.get(&au.user_id).is_some_and(|u| {
                        ["firstName", "lastName", "email"].iter().any(|k| {
                            u.profile
                                .get(*k)
                                .and_then(Value::as_str)
                                .is_some_and(|v| v.to_lowercase().starts_with(q))
                        })
                    })
            })
        }),
        limit,
    );
    let body = Value::Array(
        page.iter()
            .map(|au| app_user_json(ctx, app_id, au, expand))
            .collect(),
    );
    let pager = Pager {
        base_url: &ctx.org.base_url,
        req,
    };
    let mut reply = Reply::ok(&body).link(&pager.self_url(), "self");
    if let (true, Some(last)) = (more, page.last()) {
        reply = reply.link(&pager.next_url(&last.user_id, limit, &[]), "next");
    }
    Ok(reply)
}

/// `GET /api/v1/apps/{appId}/users/{userId}`.
pub(crate) fn get_user(ctx: &mut Ctx, app_id: &str, uid: &str) -> Result<Reply, ApiError> {
    let expand = expand_user(ctx);
    let app = find_app(ctx, app_id)?;
    let au = app
        .users
        .get(uid)
        .ok_or_else(|| ApiError::not_found(Resource::AppUser, uid))?;
    Ok(Reply::ok(&app_user_json(ctx, app_id, au, expand)))
}

/// `POST /api/v1/apps/{appId}/users`.
pub(crate) fn assign(ctx: &mut Ctx, app_id: &str) -> Result<Reply, ApiError> {
    let mode = find_app(ctx, app_id)?.sign_on_mode.clone();
    let body = ctx.req.json_object()?;
    let uid = match body.get("id") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
        None | Some(Value::Null) | Some(Value::String(_)) => {
            return Err(ApiError::validation(
                "id",
                vec!["id: The field cannot be left blank".into()],
            ));
        }
        Some(_) => return Err(ApiError::malformed_body()),
    };
    let scope = match body.get("scope") {
        None | Some(Value::Null) => "USER".to_string(),
        Some(Value::String(s)) if s == "USER" || s == "GROUP" => s.clone(),
        Some(_) => {
            return Err(ApiError::validation(
                "scope",
                vec!["scope: must be USER or GROUP".into()],
            ));
        }
    };
    let mut credentials = match body.get("credentials") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err(ApiError::malformed_body()),
    };
    let profile = match body.get("profile") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err(ApiError::malformed_body()),
    };
    let uid = users::resolve_id(ctx.org, &uid)?;
    let user = ctx
        .org
        .users
        .get(&uid)
        .ok_or_else(|| ApiError::not_found(Resource::User, &uid))?;
    if user.status == Status::Deprovisioned {
        return Err(ApiError::wrong_status());
    }
    let login = user.login().to_string();
    let has_password = credentials.get("password").is_some_and(|p| !p.is_null());
    if has_password && !takes_passwords(&mode) {
        return Err(ApiError::credentials_not_allowed());
    }
    if let Some(name) = credentials.get("userName") {
        match name.as_str() {
            Some(n) if !n.is_empty() && n.chars().count() <= 100 => {}
            _ => {
                return Err(ApiError::validation(
                    "userName",
                    vec!["credentials.userName: must be between 1 and 100 characters".into()],
                ));
            }
        }
    } else {
        credentials.insert("userName".into(), json!(login));
    }
    let now = util::now();
    let password_changed = if has_password {
        // Passwords are write-only: only an empty object says one is set.
        credentials.insert("password".into(), json!({}));
        Some(now)
    } else {
        credentials.remove("password");
        None
    };
    if find_app(ctx, app_id)?.users.contains_key(&uid) {
        return Err(ApiError::already_assigned());
    }
    let app_user = AppUser {
        user_id: uid.clone(),
        created: now,
        last_updated: now,
        scope,
        status: "ACTIVE".into(),
        status_changed: now,
        password_changed,
        credentials,
        profile,
    };
    let json = app_user.to_json(&ctx.org.base_url, app_id);
    if !ctx.org.assign_app(app_id, app_user) {
        return Err(ApiError::already_assigned());
    }
    let targets = [
        ctx.user_target(&uid),
        ctx.org.apps.get(app_id).map(App::as_target),
    ]
    .into_iter()
    .flatten()
    .collect();
    ctx.log(
        "application.user_membership.add",
        "Add user to application membership",
        targets,
    );
    Ok(Reply::ok(&json))
}

/// `DELETE /api/v1/apps/{appId}/users/{userId}`.
pub(crate) fn unassign(ctx: &mut Ctx, app_id: &str, uid: &str) -> Result<Reply, ApiError> {
    ctx.req.bool_param("sendEmail", false)?;
    find_app(ctx, app_id)?;
    if ctx.org.unassign_app(app_id, uid).is_none() {
        return Err(ApiError::not_found(Resource::AppUser, uid));
    }
    let targets = [
        ctx.user_target(uid),
        ctx.org.apps.get(app_id).map(App::as_target),
    ]
    .into_iter()
    .flatten()
    .collect();
    ctx.log(
        "application.user_membership.remove",
        "Remove users application membership",
        targets,
    );
    Ok(Reply::no_content())
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
