//! Sign-in events (`POST /__sim/signins`, `SimHandle::record_signin`): what Okta's
//! System Log holds after a person signs in or fails to, with the client's address and
//! geography, so the gateway's sign-in diagnostics have something real to read.
//!
//! The shape follows Okta's LogEvent for `user.session.start` and its relatives: the actor is
//! the user when the login typed names one (`alternateId` is the login as typed), otherwise
//! Okta's `unknown` user; `client.geographicalContext` and `request.ipChain` carry the place;
//! `outcome` the result and, on a failure, its reason. Absent values are left out, not null,
//! as the spec's LogEvent (non-nullable strings) requires.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::model::{SignIn, Target};
use crate::org::Org;
use crate::util;

/// The event types a sign-in produces (Okta's event-type catalogue).
pub const SIGNIN_EVENT_TYPES: [&str; 5] = [
    "user.session.start",
    "user.authentication.auth_via_mfa",
    "user.authentication.verify",
    "user.authentication.sso",
    "policy.evaluate_sign_on",
];

/// The outcomes a sign-in step reports (a subset of LogOutcome.result).
const OUTCOMES: [&str; 5] = ["SUCCESS", "FAILURE", "DENY", "ALLOW", "CHALLENGE"];

/// A latitude and longitude.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Geolocation {
    pub lat: f64,
    pub lon: f64,
}

/// One sign-in attempt to record. Name the user by `userId` or by the `login` typed (or
/// both: the id picks the user, the login is what they typed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SigninSeed {
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub login: Option<String>,
    /// `SUCCESS`, `FAILURE`, `DENY`, `ALLOW` or `CHALLENGE`.
    pub outcome: String,
    /// `outcome.reason`, e.g. `INVALID_CREDENTIALS`.
    #[serde(default)]
    pub reason: Option<String>,
    /// One of [`SIGNIN_EVENT_TYPES`]; `user.session.start` by default.
    #[serde(default = "session_start")]
    pub event_type: String,
    /// The client's address (IPv4 or IPv6); `198.51.100.23` by default.
    #[serde(default)]
    pub ip_address: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub postal_code: Option<String>,
    #[serde(default)]
    pub geolocation: Option<Geolocation>,
    /// When it happened (RFC 3339); now by default.
    #[serde(default)]
    pub published: Option<String>,
}

fn session_start() -> String {
    SIGNIN_EVENT_TYPES[0].to_owned()
}

impl SigninSeed {
    /// A sign-in by whoever typed `login`, with this outcome (`user.session.start`, from
    /// 198.51.100.23 in San Francisco).
    pub fn new(login: &str, outcome: &str) -> Self {
        SigninSeed {
            user_id: None,
            login: Some(login.to_owned()),
            outcome: outcome.to_owned(),
            reason: None,
            event_type: session_start(),
            ip_address: None,
            city: None,
            state: None,
            country: None,
            postal_code: None,
            geolocation: None,
            published: None,
        }
    }

    /// A sign-in by the user with this id.
    pub fn by_id(user_id: &str, outcome: &str) -> Self {
        SigninSeed {
            user_id: Some(user_id.to_owned()),
            login: None,
            ..SigninSeed::new("", outcome)
        }
    }

    pub fn reason(mut self, reason: &str) -> Self {
        self.reason = Some(reason.to_owned());
        self
    }

    pub fn event_type(mut self, event_type: &str) -> Self {
        self.event_type = event_type.to_owned();
        self
    }

    /// From this address, in this city and country.
    pub fn located(mut self, ip_address: &str, city: &str, country: &str) -> Self {
        self.ip_address = Some(ip_address.to_owned());
        self.city = Some(city.to_owned());
        self.country = Some(country.to_owned());
        self
    }

    pub fn at(mut self, published: DateTime<Utc>) -> Self {
        self.published = Some(util::ts(&published));
        self
    }
}

fn display_message(event_type: &str) -> &'static str {
    match event_type {
        "user.session.start" => "User login to Okta",
        "user.authentication.auth_via_mfa" => "Authentication of user via MFA",
        "user.authentication.verify" => "Verify user identity",
        "user.authentication.sso" => "User single sign on to app",
        _ => "Evaluation of sign-on policy",
    }
}

fn nonblank<'a>(
    field: &str,
    value: Option<&'a str>,
    max: usize,
) -> Result<Option<&'a str>, String> {
    match value {
        Some(v) if v.trim().is_empty() => Err(format!("{field} must not be blank")),
        Some(v) if v.chars().count() > max => {
            Err(format!("{field} must be at most {max} characters"))
        }
        other => Ok(other),
    }
}

/// Records the sign-in as Okta would log it; a successful `user.session.start` of a known
/// user also stamps their `lastLogin` and, once they were activated, leaves a session. Returns the event, or why the seed is refused.
pub(crate) fn record(org: &mut Org, seed: SigninSeed) -> Result<Value, String> {
    if !OUTCOMES.contains(&seed.outcome.as_str()) {
        return Err(format!("outcome must be one of {}", OUTCOMES.join(", ")));
    }
    if !SIGNIN_EVENT_TYPES.contains(&seed.event_type.as_str()) {
        return Err(format!(
            "eventType must be one of {}",
            SIGNIN_EVENT_TYPES.join(", ")
        ));
    }
    // LogOutcome.reason: 1 to 255 characters.
    let reason = nonblank("reason", seed.reason.as_deref(), 255)?;
    let login = nonblank("login", seed.login.as_deref(), 100)?;
    let user_id = match seed.user_id.as_deref() {
        Some(id) => Some(
            org.users
                .contains_key(id)
                .then(|| id.to_owned())
                .ok_or_else(|| format!("no user with id {id}"))?,
        ),
        None => login.and_then(|l| org.find_user(l)),
    };
    let user = user_id.as_deref().and_then(|id| org.users.get(id));
    let actor = match (user, login) {
        (Some(user), typed) => Target::new(
            &user.id,
            "User",
            typed.unwrap_or(user.login()),
            &user.display_name(),
        ),
        // Okta logs a login that names nobody under its `unknown` user.
        (None, Some(typed)) => Target::new("unknown", "User", typed, "unknown"),
        (None, None) => return Err("give userId or login".into()),
    };
    let ip: IpAddr = seed
        .ip_address
        .as_deref()
        .unwrap_or("198.51.100.23")
        .parse()
        .map_err(|_| "ipAddress must be an IPv4 or IPv6 address".to_owned())?;
    let published = match seed.published.as_deref() {
        Some(raw) => DateTime::parse_from_rfc3339(raw)
            .map(|t| util::truncate_millis(t.with_timezone(&Utc)))
            .map_err(|_| "published must be an RFC 3339 date-time".to_owned())?,
        None => util::now(),
    };
    let place = geography(&seed)?;
    let request_id = util::random_alnum(27);
    let mut outcome = json!({"result": seed.outcome});
    if let Some(reason) = reason {
        outcome["reason"] = json!(reason);
    }
    let failed = !matches!(seed.outcome.as_str(), "SUCCESS" | "ALLOW");
    let event = json!({
        "actor": {
            "id": actor.id,
            "type": actor.kind,
            "alternateId": actor.alternate_id,
            "displayName": actor.display_name,
        },
        "client": {
            "userAgent": {
                "rawUserAgent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36",
                "os": "Windows 10",
                "browser": "CHROME",
            },
            "zone": "null",
            "device": "Computer",
            "ipAddress": ip.to_string(),
            "geographicalContext": place,
        },
        "authenticationContext": {
            "authenticationStep": 0,
            "externalSessionId": format!("idx{}", util::random_alnum(24)),
        },
        "displayMessage": display_message(&seed.event_type),
        "eventType": seed.event_type,
        "outcome": outcome,
        "published": util::ts(&published),
        "securityContext": {"isProxy": false},
        "severity": if failed { "WARN" } else { "INFO" },
        "debugContext": {"debugData": {"requestId": request_id, "requestUri": "/idp/idx/identify", "url": "/idp/idx/identify?"}},
        "transaction": {"type": "WEB", "id": request_id, "detail": {}},
        "uuid": uuid::Uuid::new_v4().hyphenated().to_string(),
        "version": "0",
        "request": {"ipChain": [{
            "ip": ip.to_string(),
            "geographicalContext": place,
            "version": if ip.is_ipv6() { "V6" } else { "V4" },
        }]},
        "target": [],
    });
    if seed.outcome == "SUCCESS"
        && seed.event_type == "user.session.start"
        && let Some(id) = user_id.as_deref()
        && let Some(user) = org.users.get_mut(id)
    {
        if user.last_login.is_none_or(|last| last < published) {
            user.last_login = Some(published);
        }
        // A sign-in that succeeded leaves a session, as `POST /__sim/users/{id}/sessions` does.
        if user.status.is_activated() {
            org.sessions
                .entry(id.to_owned())
                .or_default()
                .start(SignIn::default());
        }
    }
    org.logs.push(published, event.clone());
    Ok(event)
}

/// `client.geographicalContext`: what the seed gives, or San Francisco when it gives no
/// place at all.
fn geography(seed: &SigninSeed) -> Result<Value, String> {
    let given = [
        ("city", &seed.city),
        ("state", &seed.state),
        ("country", &seed.country),
        ("postalCode", &seed.postal_code),
    ];
    if given.iter().all(|(_, v)| v.is_none()) && seed.geolocation.is_none() {
        return Ok(json!({
            "city": "San Francisco",
            "state": "California",
            "country": "United States",
            "postalCode": "94105",
            "geolocation": {"lat": 37.7852, "lon": -122.3874},
        }));
    }
    let mut place = Map::new();
    for (name, value) in given {
        if let Some(value) = nonblank(name, value.as_deref(), 100)? {
            place.insert(name.to_owned(), json!(value));
        }
    }
    if let Some(at) = seed.geolocation {
        if !(-90.0..=90.0).contains(&at.lat) || !(-180.0..=180.0).contains(&at.lon) {
            return Err("geolocation must have lat in -90..90 and lon in -180..180".into());
        }
        place.insert("geolocation".to_owned(), json!(at));
    }
    Ok(Value::Object(place))
}
