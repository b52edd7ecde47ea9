//! The deterministic seed data (`demo`, `empty` and `large`) and bulk user generation.
//!
//! The demo org uses the ids of the product documentation's samples so docs and examples
//! can use them verbatim. Timestamps of users, groups and apps are fixed; log events are
//! placed a few hours or days before the org is built so default log queries (last 7 days)
//! find them.

use chrono::Duration;
use serde_json::json;

use crate::config::Seed;
use crate::model::{
    App, AppGroup, AppSeed, Factor, Group, NewEvent, Status, Target, User, seed_assignment,
    seed_profile,
};
use crate::org::Org;
use crate::util::{self, parse_ts};

pub(crate) mod large;

/// The admin user every token acts as (`GET /api/v1/users/me`).
pub const ADMIN_ID: &str = "00uadmin0SIMULATOR01";
/// The admin's login.
pub const ADMIN_LOGIN: &str = "admin@example.com";
/// The admin's password.
pub const ADMIN_PASSWORD: &str = "Sim-Adm1n-Passw0rd";
/// Jordan Lee (ACTIVE, with a password).
pub const JORDAN_ID: &str = "00ub0oNGTSWTBKOLGLNR";
/// Jordan's login and email.
pub const JORDAN_LOGIN: &str = "jordan.lee@example.com";
/// Jordan's password.
pub const JORDAN_PASSWORD: &str = "Tr0ub4dor-Seed-Pass";
/// Priya Sharma (ACTIVE, no password).
pub const PRIYA_ID: &str = "00uc1pExGOQAVXZSMATP";
/// Priya's login and email.
pub const PRIYA_LOGIN: &str = "priya.sharma@example.com";
/// Sam Rivera (STAGED, no password): the user to activate.
pub const SAM_ID: &str = "00ustagedSAMRIVERA01";
/// Sam's login and email.
pub const SAM_LOGIN: &str = "sam.rivera@example.com";
/// Lee Kim (SUSPENDED, with a password): the user to unsuspend.
pub const LEE_ID: &str = "00ususpendLEEKIM0001";
/// Lee's login and email.
pub const LEE_LOGIN: &str = "lee.kim@example.com";
/// Maya Chen (LOCKED_OUT, with a password): the user to unlock.
pub const MAYA_ID: &str = "00ulockedMAYACHEN001";
/// Maya's login and email.
pub const MAYA_LOGIN: &str = "maya.chen@example.com";
/// The password of Lee and Maya.
pub const OTHER_PASSWORD: &str = "Seed-Passw0rd-Other";
/// "Engineering Team" (Jordan and Priya are members).
pub const ENGINEERING_GROUP_ID: &str = "00g1emaKYZTWRYYRRTSK";
/// "HR Team" (no members).
pub const HR_GROUP_ID: &str = "00g2xyzABCTWRYYRRXYZ";
/// "Sample SAML App" (`template_saml_2_0`, SAML_2_0).
pub const SAML_APP_ID: &str = "0oabkvBLDEKCNXBMBWKR";
/// "Company Intranet" (BOOKMARK).
pub const BOOKMARK_APP_ID: &str = "0oa1bkmrkDEMOAPP0001";
/// "Helpdesk Portal" (OPENID_CONNECT).
pub const OIDC_APP_ID: &str = "0oa2oidcDEMOAPP00002";
/// "Legacy Payroll" (AUTO_LOGIN).
pub const SWA_APP_ID: &str = "0oa3swaDEMOAPP000003";
/// Jordan's Google Authenticator factor (ACTIVE).
pub const JORDAN_TOTP_FACTOR_ID: &str = "ufs2bysphxKODSZKWVCT";
/// Jordan's SMS factor (ACTIVE).
pub const JORDAN_SMS_FACTOR_ID: &str = "sms2gt8gzgEBPUWBIFHN";

/// A demo user: ACTIVE, activated at `activated`, with an optional password set then.
struct DemoUser<'a> {
    id: &'a str,
    login: &'a str,
    first: &'a str,
    last: &'a str,
    mobile: Option<&'a str>,
    password: Option<&'a str>,
    created: &'a str,
    activated: &'a str,
}

impl DemoUser<'_> {
    fn build(&self) -> User {
        let mut u = User::new(
            self.id.to_string(),
            Status::Active,
            seed_profile(
                self.login,
                self.login,
                self.first,
                self.last,
                self.mobile,
                None,
            ),
        );
        u.created = parse_ts(self.created);
        u.activated = Some(parse_ts(self.activated));
        u.status_changed = Some(parse_ts(self.activated));
        u.last_updated = parse_ts(self.activated);
        if let Some(pw) = self.password {
            u.password = Some(pw.to_string());
            u.password_changed = Some(parse_ts(self.activated));
        }
        u
    }
}

/// A demo log event placed `hours_ago` before the org is built.
struct DemoEvent<'a> {
    hours_ago: i64,
    event_type: &'a str,
    display: &'a str,
    actor: Option<Target>,
    targets: Vec<Target>,
}

fn apps(org: &mut Org) {
    let seeds = [
        (
            AppSeed {
                id: Some(SAML_APP_ID.into()),
                label: "Sample SAML App".into(),
                name: Some("template_saml_2_0".into()),
                sign_on_mode: "SAML_2_0".into(),
                status: None,
                settings: None,
            },
            "2023-06-01T08:00:00.000Z",
            "2024-05-15T10:00:00.000Z",
        ),
        (
            AppSeed {
                id: Some(BOOKMARK_APP_ID.into()),
                label: "Company Intranet".into(),
                name: Some("bookmark".into()),
                sign_on_mode: "BOOKMARK".into(),
                status: None,
                settings: None,
            },
            "2023-06-02T08:00:00.000Z",
            "2023-06-02T08:00:00.000Z",
        ),
        (
            AppSeed {
                id: Some(OIDC_APP_ID.into()),
                label: "Helpdesk Portal".into(),
                name: Some("oidc_client".into()),
                sign_on_mode: "OPENID_CONNECT".into(),
                status: None,
                settings: None,
            },
            "2023-07-10T12:00:00.000Z",
            "2024-02-01T12:00:00.000Z",
        ),
        (
            AppSeed {
                id: Some(SWA_APP_ID.into()),
                label: "Legacy Payroll".into(),
                name: Some("simorg_legacypayroll_1".into()),
                sign_on_mode: "AUTO_LOGIN".into(),
                status: None,
                settings: None,
            },
            "2023-08-20T09:30:00.000Z",
            "2023-08-20T09:30:00.000Z",
        ),
    ];
    for (seed, created, updated) in seeds {
        if let Ok(mut app) = App::from_seed(&seed) {
            app.created = parse_ts(created);
            app.last_updated = parse_ts(updated);
            org.apps.insert(app.id.clone(), app);
        }
    }
}

/// Builds a fresh org for `seed`.
pub(crate) fn build(seed: Seed, base_url: &str) -> Org {
    let mut org = Org::new(base_url.to_string());
    let admin = DemoUser {
        id: ADMIN_ID,
        login: ADMIN_LOGIN,
        first: "Admin",
        last: "User",
        mobile: None,
        password: Some(ADMIN_PASSWORD),
        created: "2023-06-01T08:00:00.000Z",
        activated: "2023-06-01T08:00:00.000Z",
    }
    .build();
    org.admin_id = ADMIN_ID.to_string();
    // Fixed ids and unique logins: insertion cannot conflict.
    let _ = org.insert_user(admin);
    apps(&mut org);
    if seed == Seed::Empty {
        return org;
    }

    let mut jordan = DemoUser {
        id: JORDAN_ID,
        login: JORDAN_LOGIN,
        first: "Jordan",
        last: "Lee",
        mobile: Some("+1-555-123-4567"),
        password: Some(JORDAN_PASSWORD),
        created: "2024-01-15T10:30:00.000Z",
        activated: "2024-01-15T10:35:00.000Z",
    }
    .build();
    jordan.last_login = Some(parse_ts("2024-05-20T08:12:00.000Z"));
    jordan.last_updated = parse_ts("2024-05-20T08:12:00.000Z");
    jordan.password_changed = Some(parse_ts("2024-02-01T09:00:00.000Z"));
    let mut priya = DemoUser {
        id: PRIYA_ID,
        login: PRIYA_LOGIN,
        first: "Priya",
        last: "Sharma",
        mobile: None,
        password: None,
        created: "2024-03-10T08:00:00.000Z",
        activated: "2024-03-10T08:05:00.000Z",
    }
    .build();
    priya.last_login = Some(parse_ts("2024-05-27T11:00:00.000Z"));
    priya.last_updated = parse_ts("2024-05-27T11:00:00.000Z");
    let jordan_target = jordan.as_target();
    let priya_target = priya.as_target();
    let admin_target = org.users.get(ADMIN_ID).map(User::as_target);
    let _ = org.insert_user(jordan);
    let _ = org.insert_user(priya);
    // One user in each status a lifecycle example starts from (activate, unsuspend, unlock).
    for (id, login, first, last, status, password) in [
        (SAM_ID, SAM_LOGIN, "Sam", "Rivera", Status::Staged, None),
        (
            LEE_ID,
            LEE_LOGIN,
            "Lee",
            "Kim",
            Status::Suspended,
            Some(OTHER_PASSWORD),
        ),
        (
            MAYA_ID,
            MAYA_LOGIN,
            "Maya",
            "Chen",
            Status::LockedOut,
            Some(OTHER_PASSWORD),
        ),
    ] {
        let mut user = DemoUser {
            id,
            login,
            first,
            last,
            mobile: None,
            password,
            created: "2024-04-02T09:00:00.000Z",
            activated: "2024-04-02T09:05:00.000Z",
        }
        .build();
        user.status = status;
        if status == Status::Staged {
            user.activated = None;
            user.status_changed = None;
        }
        let _ = org.insert_user(user);
    }

    let mut eng = Group::new(
        ENGINEERING_GROUP_ID.into(),
        "Engineering Team",
        Some("All engineering department employees"),
    );
    eng.created = parse_ts("2024-01-15T10:30:00.000Z");
    eng.last_updated = parse_ts("2024-05-20T08:00:00.000Z");
    let mut hr = Group::new(HR_GROUP_ID.into(), "HR Team", Some("Human resources team"));
    hr.created = parse_ts("2024-02-01T09:00:00.000Z");
    hr.last_updated = parse_ts("2024-05-10T07:30:00.000Z");
    hr.last_membership_updated = parse_ts("2024-05-10T07:30:00.000Z");
    let eng_target = eng.as_target();
    let _ = org.insert_group(eng);
    let _ = org.insert_group(hr);
    org.add_member(ENGINEERING_GROUP_ID, JORDAN_ID);
    org.add_member(ENGINEERING_GROUP_ID, PRIYA_ID);
    if let Some(g) = org.groups.get_mut(ENGINEERING_GROUP_ID) {
        g.last_membership_updated = parse_ts("2024-05-18T14:22:00.000Z");
    }

    let assigned = parse_ts("2024-01-16T09:00:00.000Z");
    org.assign_app(
        SAML_APP_ID,
        seed_assignment(JORDAN_ID, JORDAN_LOGIN, assigned),
    );
    org.assign_app(
        BOOKMARK_APP_ID,
        seed_assignment(JORDAN_ID, JORDAN_LOGIN, assigned),
    );
    org.assign_app(
        BOOKMARK_APP_ID,
        seed_assignment(PRIYA_ID, PRIYA_LOGIN, parse_ts("2024-03-10T08:10:00.000Z")),
    );
    // A group-to-app assignment to list and remove; HR Team has no members, so it gives
    // nobody an app and the demo's app users stay as they are.
    org.assign_group(
        OIDC_APP_ID,
        AppGroup {
            group_id: HR_GROUP_ID.into(),
            last_updated: parse_ts("2024-05-10T07:30:00.000Z"),
            priority: 0,
            profile: serde_json::Map::new(),
        },
    );

    let mut totp = Factor::new(
        JORDAN_TOTP_FACTOR_ID.into(),
        "token:software:totp",
        "GOOGLE",
        "ACTIVE",
    );
    totp.created = parse_ts("2024-01-20T09:00:00.000Z");
    totp.last_updated = totp.created;
    totp.profile
        .insert("credentialId".into(), json!(JORDAN_LOGIN));
    let mut sms = Factor::new(JORDAN_SMS_FACTOR_ID.into(), "sms", "OKTA", "ACTIVE");
    sms.created = parse_ts("2024-01-21T10:00:00.000Z");
    sms.last_updated = sms.created;
    sms.profile
        .insert("phoneNumber".into(), json!("+15551234567"));
    org.factors.insert(JORDAN_ID.into(), vec![totp, sms]);

    let mut events = demo_events(jordan_target, priya_target, admin_target, eng_target);
    if seed == Seed::Large {
        events.extend(large::build(&mut org));
    }
    // Persistence order follows publication, as in Okta.
    events.sort_by_key(|e| e.published);
    for e in events {
        org.logs.append_event(e);
    }
    org
}

/// The demo's few recent events, so log queries return something in a fresh demo org.
fn demo_events(
    jordan_target: Target,
    priya_target: Target,
    admin_target: Option<Target>,
    eng_target: Target,
) -> Vec<NewEvent<'static>> {
    let now = util::now();
    let web_client = json!({
        "userAgent": {"rawUserAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)", "os": "Mac OS X", "browser": "CHROME"},
        "device": "Computer",
        "ipAddress": "203.0.113.42",
        "geographicalContext": {"city": "Bangalore", "country": "India"}
    });
    let events = [
        DemoEvent {
            hours_ago: 72,
            event_type: "user.lifecycle.create",
            display: "Create Okta user",
            actor: admin_target.clone(),
            targets: vec![priya_target.clone()],
        },
        DemoEvent {
            hours_ago: 71,
            event_type: "group.user_membership.add",
            display: "Add user to group membership",
            actor: admin_target.clone(),
            targets: vec![priya_target, eng_target],
        },
        DemoEvent {
            hours_ago: 48,
            event_type: "user.mfa.factor.activate",
            display: "Activate factor or authenticator",
            actor: Some(jordan_target.clone()),
            targets: vec![jordan_target.clone()],
        },
        DemoEvent {
            hours_ago: 26,
            event_type: "user.session.start",
            display: "User login to Okta",
            actor: Some(jordan_target.clone()),
            targets: vec![jordan_target.clone()],
        },
        DemoEvent {
            hours_ago: 2,
            event_type: "user.account.update_profile",
            display: "Update user profile for Okta",
            actor: admin_target,
            targets: vec![jordan_target],
        },
    ];
    events
        .into_iter()
        .enumerate()
        .map(|(i, e)| NewEvent {
            event_type: e.event_type,
            display: e.display,
            actor: e.actor,
            targets: e.targets,
            meta: None,
            published: Some(now - Duration::hours(e.hours_ago)),
            uuid: Some(format!("5e1d0000-0000-4000-8000-{:012}", i + 1)),
            severity: "INFO",
            client: Some(web_client.clone()),
        })
        .collect()
}

/// Adds `n` ACTIVE users with distinct logins (`bulk.user.N@example.com`).
pub(crate) fn bulk_users(org: &mut Org, n: usize) {
    let created = util::now();
    for _ in 0..n {
        org.bulk_counter += 1;
        let k = org.bulk_counter;
        let login = format!("bulk.user.{k}@example.com");
        if org.login_taken(&login, None) {
            continue;
        }
        let mut u = User::new(
            util::new_id("00u"),
            Status::Active,
            seed_profile(&login, &login, "Bulk", &format!("User{k}"), None, None),
        );
        u.created = created;
        u.activated = Some(created);
        u.status_changed = Some(created);
        u.last_updated = created;
        // A random-id collision is astronomically unlikely; skip rather than overwrite.
        let _ = org.insert_user(u);
    }
}
