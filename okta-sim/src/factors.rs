//! MFA factors: `/api/v1/users/{userId}/factors…` and `lifecycle/reset_factors`.
//!
//! Enrolment follows NOTES §10: `question` is ACTIVE at once; `sms`, `call` and `email` are
//! PENDING_ACTIVATION unless `activate=true`; `token:software:totp` (OKTA or GOOGLE) and
//! `push` are PENDING_ACTIVATION with an `_embedded.activation` object. A pending factor is
//! activated with `POST …/lifecycle/activate {"passCode": "123456"}` (the simulator's code).
//! Id prefixes: question `ufs`, sms `mbl`, call `clf`, email `emf`, totp `ost`, push `opf`.

use std::time::Instant;

use chrono::Duration;
use serde_json::{Map, Value, json};

use crate::ctx::Ctx;
use crate::ctx::resolve_id;
use crate::error::{ApiError, Resource};
use crate::http::Reply;
use crate::model::{Factor, QUESTIONS, SIM_PASSCODE, Status};
use crate::util;

fn user_for_factors(ctx: &Ctx, key: &str) -> Result<String, ApiError> {
    resolve_id(ctx.org, key)
}

fn factor_error(field: &str, cause: &str) -> ApiError {
    ApiError::validation(field, vec![cause.to_string()])
}

/// A factor phone number in E.164 (`+15554151337`), the form Okta stores and returns: the
/// spec's `UserFactorSMSProfile`/`UserFactorCallProfile` require `^\+[1-9]\d{1,14}$`, and
/// okta-sdk-python rejects any other form when it reads a factor. Separators in the input
/// (`+1-555-415-1337`, as in Okta's older examples) are dropped; a number without `+` and a
/// country code, or with letters, is `None` (400 E0000098).
fn e164(p: &str) -> Option<String> {
    let p = p.trim();
    let rest = p.strip_prefix('+')?;
    if !rest
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '-' | ' ' | '(' | ')' | '.'))
    {
        return None;
    }
    let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
    ((7..=15).contains(&digits.len()) && !digits.starts_with('0')).then(|| format!("+{digits}"))
}

/// `GET /api/v1/users/{userId}/factors`.
pub(crate) fn list(ctx: &mut Ctx, key: &str) -> Result<Reply, ApiError> {
    let uid = user_for_factors(ctx, key)?;
    let base = ctx.org.base_url.as_str();
    let body: Vec<Value> = ctx
        .org
        .factors
        .get(&uid)
        .map(|fs| fs.iter().map(|f| f.to_json(base, &uid)).collect())
        .unwrap_or_default();
    Ok(Reply::ok(&Value::Array(body)))
}

/// `GET /api/v1/users/{userId}/factors/{factorId}`.
pub(crate) fn get(ctx: &mut Ctx, key: &str, fid: &str) -> Result<Reply, ApiError> {
    let uid = user_for_factors(ctx, key)?;
    let factor = ctx
        .org
        .factors
        .get(&uid)
        .and_then(|fs| fs.iter().find(|f| f.id == fid))
        .ok_or_else(|| ApiError::not_found(Resource::UserFactor, fid))?;
    Ok(Reply::ok(&factor.to_json(&ctx.org.base_url, &uid)))
}

/// `GET /api/v1/users/{userId}/factors/questions`.
pub(crate) fn questions(ctx: &mut Ctx, key: &str) -> Result<Reply, ApiError> {
    user_for_factors(ctx, key)?;
    let body: Vec<Value> = QUESTIONS
        .iter()
        .map(|(q, t)| json!({"question": q, "questionText": t}))
        .collect();
    Ok(Reply::ok(&Value::Array(body)))
}

/// `POST /api/v1/users/{userId}/factors`.
pub(crate) fn enroll(ctx: &mut Ctx, key: &str) -> Result<Reply, ApiError> {
    let uid = user_for_factors(ctx, key)?;
    let req = ctx.req;
    let activate = req.bool_param("activate", false)?;
    let update_phone = req.bool_param("updatePhone", false)?;
    if let Some(t) = req.int_param("tokenLifetimeSeconds")?
        && !(1..=86_400).contains(&t)
    {
        return Err(factor_error(
            "tokenLifetimeSeconds",
            "tokenLifetimeSeconds: must be between 1 and 86400",
        ));
    }
    let body = req.json_object()?;
    let text = |k: &str| -> Result<Option<String>, ApiError> {
        match body.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(ApiError::malformed_body()),
        }
    };
    let factor_type = text("factorType")?.unwrap_or_default();
    let provider = text("provider")?.unwrap_or_default().to_ascii_uppercase();
    let profile_in = match body.get("profile") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err(ApiError::malformed_body()),
    };
    if factor_type.is_empty() {
        return Err(factor_error(
            "factorType",
            "factorType: The field cannot be left blank",
        ));
    }
    let user = ctx
        .org
        .users
        .get(&uid)
        .ok_or_else(|| ApiError::not_found(Resource::User, &uid))?;
    if user.status == Status::Deprovisioned {
        return Err(ApiError::wrong_status());
    }
    let login = user.login().to_string();
    let emails: Vec<String> = ["email", "secondEmail"]
        .iter()
        .filter_map(|k| user.profile.get(*k).and_then(Value::as_str))
        .map(str::to_lowercase)
        .collect();
    let profile_str = |k: &str| profile_in.get(k).and_then(Value::as_str).map(str::trim);

    let (prefix, mut status, mut profile, activation) = match (
        factor_type.as_str(),
        provider.as_str(),
    ) {
        ("question", "OKTA") => {
            let question = profile_str("question").unwrap_or_default();
            let Some((_, text)) = QUESTIONS.iter().find(|(q, _)| *q == question) else {
                return Err(factor_error(
                    "question",
                    "question: The security question is not valid",
                ));
            };
            if profile_str("answer").unwrap_or_default().chars().count() < 4 {
                return Err(factor_error(
                    "answer",
                    "answer: The security question answer must be at least 4 characters in length",
                ));
            }
            let mut p = Map::new();
            p.insert("question".into(), json!(question));
            p.insert("questionText".into(), json!(text));
            ("ufs", "ACTIVE", p, None)
        }
        ("sms" | "call", "OKTA") => {
            let phone = profile_str("phoneNumber").unwrap_or_default();
            if phone.is_empty() {
                return Err(factor_error(
                    "phoneNumber",
                    "phoneNumber: The field cannot be left blank",
                ));
            }
            let Some(phone) = e164(phone) else {
                return Err(ApiError::invalid_phone());
            };
            let mut p = Map::new();
            p.insert("phoneNumber".into(), json!(phone));
            if factor_type == "call"
                && let Some(ext) = profile_str("phoneExtension").filter(|e| !e.is_empty())
            {
                p.insert("phoneExtension".into(), json!(ext));
            }
            let prefix = if factor_type == "sms" { "mbl" } else { "clf" };
            (
                prefix,
                if activate {
                    "ACTIVE"
                } else {
                    "PENDING_ACTIVATION"
                },
                p,
                None,
            )
        }
        ("email", "OKTA") => {
            let email = profile_str("email").unwrap_or_default();
            if !emails.contains(&email.to_lowercase()) {
                return Err(factor_error(
                    "email",
                    "email: The email must be the user's primary or secondary email address",
                ));
            }
            let mut p = Map::new();
            p.insert("email".into(), json!(email));
            (
                "emf",
                if activate {
                    "ACTIVE"
                } else {
                    "PENDING_ACTIVATION"
                },
                p,
                None,
            )
        }
        ("token:software:totp", "OKTA" | "GOOGLE") => {
            let mut p = Map::new();
            p.insert("credentialId".into(), json!(login));
            ("ost", "PENDING_ACTIVATION", p, Some(()))
        }
        ("push", "OKTA") => ("opf", "PENDING_ACTIVATION", Map::new(), Some(())),
        _ => {
            return Err(ApiError::validation(
                "factorEnrollRequest",
                vec![format!(
                    "factorType: The factor type '{factor_type}' with provider '{provider}' is not supported for this user"
                )],
            ));
        }
    };

    // One factor per type and provider; a pending one is replaced by re-enrolment.
    let existing = ctx.org.factors.get(&uid).and_then(|fs| {
        fs.iter()
            .find(|f| f.factor_type == factor_type && f.provider == provider)
            .cloned()
    });
    if let Some(old) = &existing {
        if old.status == "ACTIVE" {
            let same_phone = old.profile.get("phoneNumber") == profile.get("phoneNumber");
            let cause = if matches!(factor_type.as_str(), "sms" | "call") && !same_phone {
                "There is an existing verified phone number."
            } else {
                "A factor of this type is already set up."
            };
            return Err(ApiError::validation(
                "factorEnrollRequest",
                vec![cause.into()],
            ));
        }
        if matches!(factor_type.as_str(), "sms" | "call")
            && old.profile.get("phoneNumber") != profile.get("phoneNumber")
            && !update_phone
        {
            return Err(ApiError::validation(
                "factorEnrollRequest",
                vec!["There is an existing unverified phone number; use updatePhone=true to replace it.".into()],
            ));
        }
    }

    // A pending sms or call enrolment sends a code: Okta allows one per 30 s per user.
    let sends = match (factor_type.as_str(), status) {
        ("sms", "PENDING_ACTIVATION") => Some("sms"),
        ("call", "PENDING_ACTIVATION") => Some("call"),
        _ => None,
    };
    if let Some(kind) = sends {
        let key = (uid.clone(), kind);
        let now = Instant::now();
        let window = ctx.settings.factor_resend;
        if ctx
            .org
            .last_sent
            .get(&key)
            .is_some_and(|at| now.duration_since(*at) < window)
        {
            return Err(if kind == "sms" {
                ApiError::sms_recently_sent()
            } else {
                ApiError::call_recently_made()
            });
        }
        ctx.org.last_sent.insert(key, now);
    }

    let id = existing
        .as_ref()
        .map(|f| f.id.clone())
        .unwrap_or_else(|| util::new_id(prefix));
    let base = ctx.org.base_url.clone();
    let qr = format!(
        "{base}/api/v1/users/{uid}/factors/{id}/qr/{}",
        util::random_alnum(40)
    );
    let activation = activation.map(|()| {
        if factor_type == "push" {
            let expires = util::now() + Duration::minutes(10);
            let send = |name: &str| {
                json!({"name": name, "href": format!("{base}/api/v1/users/{uid}/factors/{id}/lifecycle/activate/{name}"), "hints": {"allow": ["POST"]}})
            };
            json!({
                "expiresAt": util::ts(&expires),
                "factorResult": "WAITING",
                "_links": {
                    "send": [send("email"), send("sms")],
                    "qrcode": {"href": qr, "type": "image/png"}
                }
            })
        } else {
            json!({
                "timeStep": 30,
                "sharedSecret": util::base32_secret(),
                "encoding": "base32",
                "keyLength": 6,
                "_links": {"qrcode": {"href": qr, "type": "image/png"}}
            })
        }
    });
    if factor_type == "push" {
        status = "PENDING_ACTIVATION";
        profile = Map::new();
    }
    let mut factor = Factor::new(id.clone(), &factor_type, &provider, status);
    factor.profile = profile;
    factor.activation = activation;
    if let Some(old) = &existing {
        factor.created = old.created;
    }
    let json = factor.to_json(&base, &uid);
    let target = [ctx.user_target(&uid), Some(factor.as_target())]
        .into_iter()
        .flatten()
        .collect();
    let list = ctx.org.factors.entry(uid.clone()).or_default();
    list.retain(|f| f.id != id);
    list.push(factor);
    if status == "ACTIVE" {
        ctx.log(
            "user.mfa.factor.activate",
            "Activate factor or authenticator",
            target,
        );
    } else {
        ctx.log("user.mfa.factor.update", "Update factor for user", target);
    }
    Ok(Reply::ok(&json))
}

/// `POST /api/v1/users/{userId}/factors/{factorId}/lifecycle/activate`.
pub(crate) fn activate(ctx: &mut Ctx, key: &str, fid: &str) -> Result<Reply, ApiError> {
    let uid = user_for_factors(ctx, key)?;
    let body = ctx.req.optional_json_object()?.unwrap_or_default();
    let pass_code = body
        .get("passCode")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let base = ctx.org.base_url.clone();
    let factor = ctx
        .org
        .factors
        .get_mut(&uid)
        .and_then(|fs| fs.iter_mut().find(|f| f.id == fid))
        .ok_or_else(|| ApiError::not_found(Resource::UserFactor, fid))?;
    if factor.status != "PENDING_ACTIVATION" {
        return Err(ApiError::validation(
            "factor",
            vec!["factor: The factor is not pending activation".into()],
        ));
    }
    if pass_code != SIM_PASSCODE {
        return Err(ApiError::invalid_passcode());
    }
    factor.status = "ACTIVE".into();
    factor.activation = None;
    factor.last_updated = util::now();
    let json = factor.to_json(&base, &uid);
    let target = factor.as_target();
    let targets = [ctx.user_target(&uid), Some(target)]
        .into_iter()
        .flatten()
        .collect();
    ctx.log(
        "user.mfa.factor.activate",
        "Activate factor or authenticator",
        targets,
    );
    Ok(Reply::ok(&json))
}

/// `DELETE /api/v1/users/{userId}/factors/{factorId}`.
pub(crate) fn delete(ctx: &mut Ctx, key: &str, fid: &str) -> Result<Reply, ApiError> {
    let uid = user_for_factors(ctx, key)?;
    ctx.req.bool_param("removeRecoveryEnrollment", false)?;
    let factors = ctx.org.factors.get(&uid).cloned().unwrap_or_default();
    let factor = factors
        .iter()
        .find(|f| f.id == fid)
        .ok_or_else(|| ApiError::not_found(Resource::UserFactor, fid))?
        .clone();
    if ctx
        .org
        .users
        .get(&uid)
        .is_some_and(|u| u.status == Status::Deprovisioned)
    {
        return Err(ApiError::wrong_status());
    }
    // Unenrolling Okta Verify push also removes the user's Okta Verify totp.
    let removed: Vec<Factor> = factors
        .into_iter()
        .filter(|f| {
            f.id == fid
                || (factor.factor_type == "push"
                    && f.factor_type == "token:software:totp"
                    && f.provider == "OKTA")
        })
        .collect();
    if let Some(list) = ctx.org.factors.get_mut(&uid) {
        list.retain(|f| !removed.iter().any(|r| r.id == f.id));
        if list.is_empty() {
            ctx.org.factors.remove(&uid);
        }
    }
    for f in removed {
        let targets = [ctx.user_target(&uid), Some(f.as_target())]
            .into_iter()
            .flatten()
            .collect();
        ctx.log(
            "user.mfa.factor.deactivate",
            "Reset factor or authenticator",
            targets,
        );
    }
    Ok(Reply::no_content())
}

/// `POST /api/v1/users/{id}/lifecycle/reset_factors`: removes every factor, status unchanged.
pub(crate) fn reset_all(ctx: &mut Ctx, uid: &str) -> Result<Reply, ApiError> {
    if ctx
        .org
        .users
        .get(uid)
        .is_some_and(|u| u.status == Status::Deprovisioned)
    {
        return Err(ApiError::wrong_status());
    }
    ctx.org.factors.remove(uid);
    let targets = ctx.user_target(uid).into_iter().collect();
    ctx.log(
        "user.mfa.factor.reset_all",
        "Reset all factors for user",
        targets,
    );
    Ok(Reply::empty_object())
}
