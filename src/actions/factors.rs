//! MFA factor actions: list, enroll, reset one factor (unenroll it), reset them all.

use reqwest::Method;
use serde_json::{Value, json};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::fields::{DryRun, Reference, StringMap, UserRef};
use super::users::{dry_run, lifecycle, login};
use super::{
    Action, ActionContext, ActionFuture, ActionInput, DRY_RUN_RESPONSE, Handler, ResponseShape,
    ShapeKind, shape_response, value,
};
use crate::error::{ApiError, ErrorStatus, FieldProblem};
use crate::okta::OktaError;
use crate::okta::client::{OktaPath, OktaRequest, Retry};

pub static ACTIONS: &[&Action] = &[
    &LIST_FACTORS,
    &ENROLL_FACTOR,
    &RESET_FACTOR,
    &RESET_ALL_FACTORS,
];

/// `{userId}`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FactorsIn {
    /// The user's Okta id, or their login (resolved to the id with one lookup).
    #[schemars(extend("x-audit-target" = true))]
    user_id: UserRef,
}

impl ActionInput for FactorsIn {}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
enum FactorType {
    #[serde(rename = "question")]
    Question,
    #[serde(rename = "sms")]
    Sms,
    #[serde(rename = "call")]
    Call,
    #[serde(rename = "email")]
    Email,
    #[serde(rename = "token:software:totp")]
    Totp,
    #[serde(rename = "push")]
    Push,
}

impl FactorType {
    fn as_str(self) -> &'static str {
        match self {
            FactorType::Question => "question",
            FactorType::Sms => "sms",
            FactorType::Call => "call",
            FactorType::Email => "email",
            FactorType::Totp => "token:software:totp",
            FactorType::Push => "push",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
enum Provider {
    Okta,
    Google,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EnrollFactorIn {
    /// The user's Okta id, or their login (resolved to the id with one lookup).
    #[schemars(extend("x-audit-target" = true))]
    user_id: UserRef,
    /// The kind of factor.
    factor_type: FactorType,
    /// Who provides the factor; GOOGLE only for token:software:totp (Google Authenticator).
    provider: Provider,
    /// Required for question ({question, answer}), sms and call ({phoneNumber}, call also phoneExtension) and email ({email}); not used otherwise. A phoneNumber is sent to Okta in E.164 (+ and country code, e.g. +15551234567): spaces, dashes, dots and parentheses are dropped.
    profile: Option<StringMap>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ResetFactorIn {
    /// The user's Okta id, or their login (resolved to the id with one lookup).
    #[schemars(extend("x-audit-target" = true))]
    user_id: UserRef,
    /// The factor's id, from List Factors.
    #[schemars(extend("x-audit-target" = true))]
    factor_id: Reference,
    #[serde(default)]
    dry_run: DryRun,
}

impl ActionInput for ResetFactorIn {}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ResetAllFactorsIn {
    /// The user's Okta id, or their login (resolved to the id with one lookup).
    #[schemars(extend("x-audit-target" = true))]
    user_id: UserRef,
    #[serde(default)]
    dry_run: DryRun,
}

impl ActionInput for ResetAllFactorsIn {}

async fn factors_path(ctx: &ActionContext, user: &UserRef) -> Result<(String, OktaPath), ApiError> {
    let user_id = ctx.user_id(user.as_str()).await?;
    let path = ctx.user_path(&user_id)?.fixed("factors");
    Ok((user_id, path))
}

static LIST_FACTORS: Action = Action {
    name: "list_factors",
    label: "List Factors",
    description: "Lists the MFA factors a user has enrolled, with type, provider and status; use it to find the factorId for Reset Factor.",
    resource: "user",
    mutating: false,
    destructive: false,
    carries_credentials: false,
    scopes: &["okta.users.read"],
    responses: &[ResponseShape {
        label: "the user's factors (each profile depends on the factor type)",
        sample: r#"[
  {
    "id": "ufs2bysphxKODSZKWVCT",
    "factorType": "token:software:totp",
    "provider": "GOOGLE",
    "status": "ACTIVE",
    "created": "2024-01-20T09:00:00.000Z",
    "lastUpdated": "2024-01-20T09:00:00.000Z",
    "profile": {"credentialId": "jordan.lee@example.com"}
  },
  {
    "id": "sms2gt8gzgEBPUWBIFHN",
    "factorType": "sms",
    "provider": "OKTA",
    "status": "ACTIVE",
    "created": "2024-01-21T10:00:00.000Z",
    "lastUpdated": "2024-01-21T10:00:00.000Z",
    "profile": {"phoneNumber": "+15551234567"}
  }
]"#,
        kind: ShapeKind::OktaTop,
    }],
    example: r#"{"userId": "00ub0oNGTSWTBKOLGLNR"}"#,
    handler: &Handler(list_factors),
};

fn list_factors(ctx: &ActionContext, input: FactorsIn) -> ActionFuture<'_> {
    Box::pin(async move {
        let (_, path) = factors_path(ctx, &input.user_id).await?;
        let request = OktaRequest::get(path, "users/{id}/factors");
        ctx.call_shaped(request, &LIST_FACTORS.responses[0]).await
    })
}

static ENROLL_FACTOR: Action = Action {
    name: "enroll_factor",
    label: "Enroll Factor",
    description: "Enrolls an MFA factor for a user. The factor stays PENDING_ACTIVATION until the user verifies it (a security question is ACTIVE at once). For TOTP the response carries the shared secret and the QR code link (_embedded.activation.qrcode.href) the user needs to finish set-up.",
    resource: "user",
    mutating: true,
    destructive: false,
    carries_credentials: true,
    scopes: &["okta.users.manage"],
    responses: &[ResponseShape {
        label: "the enrolled factor, with its activation data",
        sample: r#"{
  "id": "uftm3iHSGFQXHCUSDAND",
  "factorType": "token:software:totp",
  "provider": "GOOGLE",
  "status": "PENDING_ACTIVATION",
  "created": "2024-05-29T11:30:00.000Z",
  "lastUpdated": "2024-05-29T11:30:00.000Z",
  "profile": {"credentialId": "jordan.lee@example.com"},
  "_embedded": {
    "activation": {
      "timeStep": 30,
      "sharedSecret": "JBSWY3DPEHPK3PXP",
      "encoding": "base32",
      "keyLength": 6,
      "qrcode": {
        "href": "https://dev-12345.okta.com/api/v1/users/00ub0oNGTSWTBKOLGLNR/factors/uftm3iHSGFQXHCUSDAND/qr/00fukNElRS_Tz6k-CFhg3pH4KO2dj2guhmaapXWbc4",
        "type": "image/png"
      }
    }
  }
}"#,
        kind: ShapeKind::OktaTop,
    }],
    example: r#"{"userId": "00uc1pExGOQAVXZSMATP", "factorType": "token:software:totp", "provider": "GOOGLE"}"#,
    handler: &Handler(enroll_factor),
};

impl ActionInput for EnrollFactorIn {
    /// The profile each factor type needs (NOTES.md §10), checked before calling Okta.
    fn check(&self) -> Vec<FieldProblem> {
        check_enrollment(self.factor_type, self.provider, self.profile.as_ref())
    }
}

fn check_enrollment(
    factor_type: FactorType,
    provider: Provider,
    profile: Option<&StringMap>,
) -> Vec<FieldProblem> {
    let member = |name: &str| {
        profile
            .and_then(|p| p.get(name))
            .filter(|v| !v.trim().is_empty())
    };
    let factor_type = factor_type.as_str();
    let mut problems = Vec::new();
    if provider == Provider::Google && factor_type != "token:software:totp" {
        problems.push(FieldProblem::new(
            "provider",
            "GOOGLE is only a provider for token:software:totp",
        ));
    }
    let needs: &[&str] = match factor_type {
        "question" => &["question", "answer"],
        "sms" | "call" => &["phoneNumber"],
        "email" => &["email"],
        _ => &[],
    };
    if needs.is_empty() {
        if profile.is_some() {
            problems.push(FieldProblem::new(
                "profile",
                "is only used with question, sms, call and email factors",
            ));
        }
    } else {
        for name in needs {
            if member(name).is_none() {
                problems.push(FieldProblem::new(
                    format!("profile.{name}"),
                    format!("is required for a {factor_type} factor"),
                ));
            }
        }
    }
    if needs.contains(&"phoneNumber") && member("phoneNumber").is_some_and(|p| e164(p).is_none()) {
        problems.push(FieldProblem::new(
            "profile.phoneNumber",
            "must be a phone number with + and country code, such as +1 555 123 4567 (spaces, dashes, dots and parentheses are dropped)",
        ));
    }
    if factor_type == "question" && member("answer").is_some_and(|a| a.chars().count() < 4) {
        problems.push(FieldProblem::new(
            "profile.answer",
            "must be at least 4 characters",
        ));
    }
    problems
}

/// A phone number in E.164, the only form Okta's factor profiles take
/// (`^\+[1-9]\d{1,14}$`), from one written with the usual separators.
fn e164(number: &str) -> Option<String> {
    let digits: String = number
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
        .collect();
    let rest = digits.strip_prefix('+')?;
    let valid = (2..=15).contains(&rest.len())
        && rest.bytes().all(|b| b.is_ascii_digit())
        && !rest.starts_with('0');
    valid.then_some(digits)
}

fn enroll_factor(ctx: &ActionContext, input: EnrollFactorIn) -> ActionFuture<'_> {
    value(async move {
        let (user_id, path) = factors_path(ctx, &input.user_id).await?;
        let mut body = json!({
            "factorType": input.factor_type,
            "provider": input.provider,
        });
        if let Some(profile) = &input.profile {
            let mut profile = profile.to_map();
            if let Some(number) = profile
                .get("phoneNumber")
                .and_then(Value::as_str)
                .and_then(e164)
            {
                profile.insert("phoneNumber".to_owned(), Value::String(number));
            }
            body["profile"] = Value::Object(profile);
        }
        let request = OktaRequest::new(Method::POST, path, "users/{id}/factors").json(body);
        let mut factor = ctx.call_json_for_user(request, &user_id).await?;
        // The seed exposes the QR code as `_embedded.activation.qrcode`; Okta nests it in the
        // activation's links. Without it a user cannot finish TOTP set-up.
        if let Some(activation) = factor.pointer_mut("/_embedded/activation")
            && let Some(qrcode) = activation.pointer("/_links/qrcode").cloned()
        {
            activation["qrcode"] = qrcode;
        }
        Ok(shape_response(factor, &ENROLL_FACTOR.responses[0]))
    })
}

static RESET_FACTOR: Action = Action {
    name: "reset_factor",
    label: "Reset Factor",
    description: "Deletes one enrolled MFA factor so the user can enroll it again (for a lost phone or authenticator). Get the factorId from List Factors.",
    resource: "factor",
    mutating: true,
    destructive: true,
    carries_credentials: false,
    scopes: &["okta.users.manage"],
    responses: &[
        ResponseShape {
            label: "the factor is deleted",
            sample: r#"{"status": 204, "message": "MFA factor successfully deleted. The user can now re-enroll.", "userId": "00ub0oNGTSWTBKOLGLNR", "factorId": "ufs2bysphxKODSZKWVCT"}"#,
            kind: ShapeKind::Wrapper,
        },
        DRY_RUN_RESPONSE,
    ],
    example: r#"{"userId": "00ub0oNGTSWTBKOLGLNR", "factorId": "sms2gt8gzgEBPUWBIFHN"}"#,
    handler: &Handler(reset_factor),
};

fn reset_factor(ctx: &ActionContext, input: ResetFactorIn) -> ActionFuture<'_> {
    value(async move {
        let (user_id, path) = factors_path(ctx, &input.user_id).await?;
        let factor_id = input.factor_id.as_str();
        let path = path.value(factor_id).map_err(|e| ctx.map(e))?;
        if input.dry_run.on() {
            let factor = ctx
                .call_json(OktaRequest::get(path, "users/{id}/factors"))
                .await?;
            let kind = factor
                .get("factorType")
                .and_then(Value::as_str)
                .unwrap_or("?");
            let message = format!("Would delete the {kind} factor {factor_id} of user {user_id}.");
            return Ok(dry_run(message, factor));
        }
        let request =
            OktaRequest::new(Method::DELETE, path, "users/{id}/factors").retry(Retry::Idempotent);
        ctx.call_for_user(request, &user_id).await?;
        Ok(json!({
            "status": 204,
            "message": "MFA factor successfully deleted. The user can now re-enroll.",
            "userId": user_id,
            "factorId": factor_id,
        }))
    })
}

static RESET_ALL_FACTORS: Action = Action {
    name: "reset_all_factors",
    label: "Reset All Factors",
    description: "Removes every MFA factor a user has enrolled, so they enroll again at their next sign-in (for a lost phone when it is unclear which factors it held). The user's status does not change. Okta refuses it for a deactivated user. The dry run lists the factors that would be removed.",
    resource: "user",
    mutating: true,
    destructive: true,
    carries_credentials: false,
    scopes: &["okta.users.manage"],
    responses: &[
        ResponseShape {
            label: "every factor is reset",
            sample: r#"{"status": 200, "message": "Every MFA factor of the user was reset: they enroll again at their next sign-in.", "userId": "00ub0oNGTSWTBKOLGLNR"}"#,
            kind: ShapeKind::Wrapper,
        },
        ResponseShape {
            label: "dry run: the user and the factors that would be reset",
            sample: r#"{"dryRun": true, "message": "Would reset 2 MFA factors of user jordan.lee@example.com (status ACTIVE): token:software:totp (GOOGLE), sms (OKTA).", "target": {"id": "00ub0oNGTSWTBKOLGLNR", "status": "ACTIVE"}, "factors": [{"id": "ufs2bysphxKODSZKWVCT", "factorType": "token:software:totp", "provider": "GOOGLE", "status": "ACTIVE"}, {"id": "sms2gt8gzgEBPUWBIFHN", "factorType": "sms", "provider": "OKTA", "status": "ACTIVE"}]}"#,
            kind: ShapeKind::Wrapper,
        },
    ],
    example: r#"{"userId": "jordan.lee@example.com"}"#,
    handler: &Handler(reset_all_factors),
};

fn reset_all_factors(ctx: &ActionContext, input: ResetAllFactorsIn) -> ActionFuture<'_> {
    value(async move {
        if input.dry_run.on() {
            return reset_all_factors_preview(ctx, &input.user_id).await;
        }
        let op = "lifecycle/reset_factors";
        let (id, _) = lifecycle(ctx, &input.user_id, op, None, false).await?;
        Ok(json!({
            "status": 200,
            "message": "Every MFA factor of the user was reset: they enroll again at their next sign-in.",
            "userId": id,
        }))
    })
}

/// The user and the factors reset_all_factors would remove; refused as Okta would refuse the
/// reset itself (a deactivated user).
async fn reset_all_factors_preview(ctx: &ActionContext, user: &UserRef) -> Result<Value, ApiError> {
    let user = ctx.find_user(user.as_str()).await?;
    let status = user
        .get("status")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if status == "DEPROVISIONED" {
        let mut error = ApiError::new(ErrorStatus::InvalidState)
            .with_message("The user is deactivated: Okta does not reset their factors.");
        error.details.user_status = Some(status.to_owned());
        return Err(error);
    }
    let id = super::users::str_field(&user, "id")?;
    let request = OktaRequest::get(ctx.user_path(&id)?.fixed("factors"), "users/{id}/factors");
    let listed = match ctx.session.call_json(&request).await {
        Ok(Value::Array(factors)) => factors,
        Ok(_) => {
            return Err(ctx.map(OktaError::NotOkta {
                reason: "Okta listed the factors as something else than a list".into(),
                outcome_unknown: false,
            }));
        }
        Err(err) => return Err(ctx.map(err)),
    };
    let field = |factor: &Value, key: &str| factor.get(key).cloned().unwrap_or(Value::Null);
    let factors: Vec<Value> = listed
        .iter()
        .map(|f| {
            json!({
                "id": field(f, "id"),
                "factorType": field(f, "factorType"),
                "provider": field(f, "provider"),
                "status": field(f, "status"),
            })
        })
        .collect();
    let kinds: Vec<String> = factors
        .iter()
        .map(|f| {
            format!(
                "{} ({})",
                f["factorType"].as_str().unwrap_or("?"),
                f["provider"].as_str().unwrap_or("?")
            )
        })
        .collect();
    let message = match kinds.len() {
        0 => format!(
            "User {} (status {status}) has no MFA factor: resetting would change nothing.",
            login(&user)
        ),
        n => format!(
            "Would reset {n} MFA factor{} of user {} (status {status}): {}.",
            if n == 1 { "" } else { "s" },
            login(&user),
            kinds.join(", ")
        ),
    };
    let mut preview = dry_run(message, user);
    preview["factors"] = Value::Array(factors);
    Ok(preview)
}

#[cfg(test)]
mod tests {
    use super::e164;

    #[test]
    fn phone_numbers_become_e164_or_are_refused() {
        assert_eq!(e164("+1-555-123-4567").as_deref(), Some("+15551234567"));
        assert_eq!(
            e164(" +44 (20) 7946.0958 ").as_deref(),
            Some("+442079460958")
        );
        assert_eq!(e164("+15551234567").as_deref(), Some("+15551234567"));
        for bad in [
            "555-123-4567",
            "+0 555 123",
            "+1",
            "+1 555 CALL NOW",
            "+1234567890123456",
            "++15551234567",
        ] {
            assert_eq!(e164(bad), None, "{bad}");
        }
    }
}
