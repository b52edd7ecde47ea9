//! Profile and password validation with Okta's cause texts.

use serde_json::{Map, Value};

use crate::error::ApiError;

/// Okta's default password policy text.
pub(super) const PASSWORD_REQUIREMENTS: &str = "Password requirements were not met. Password requirements: at least 8 characters, a lowercase letter, an uppercase letter, a number, no parts of your username. Your password cannot be any of your last 4 passwords.";

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
pub(super) fn password_problem(password: &str, login: &str) -> Option<String> {
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
pub(super) fn profile_causes(
    profile: &Map<String, Value>,
) -> Result<Vec<(String, String)>, ApiError> {
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

pub(super) fn validation_error(causes: Vec<(String, String)>) -> ApiError {
    let field = causes
        .first()
        .map(|(f, _)| f.clone())
        .unwrap_or_else(|| "profile".into());
    ApiError::validation(&field, causes.into_iter().map(|(_, c)| c).collect())
}

/// Okta always shows these base attributes, null when unset.
pub(super) fn fill_base_profile(profile: &mut Map<String, Value>) {
    for key in ["mobilePhone", "secondEmail"] {
        profile.entry(key.to_string()).or_insert(Value::Null);
    }
}

pub(super) fn object_field<'a>(
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
pub(super) fn password_value(
    creds: Option<&Map<String, Value>>,
) -> Result<Option<String>, ApiError> {
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

pub(super) fn recovery_question(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_policy_matches_okta_s_default() {
        let login = "jordan.lee@example.com";
        assert_eq!(password_problem("Str0ng-Enough", login), None);
        for weak in [
            "short1A",
            "alllowercase1",
            "ALLUPPER1",
            "NoDigits-here",
            "Jordan-Rocks-1",
        ] {
            assert!(password_problem(weak, login).is_some(), "{weak}");
        }
        assert!(
            password_problem("Password1", login)
                .is_some_and(|c| c.contains("commonly used passwords"))
        );
    }

    #[test]
    fn emails_need_a_local_part_and_a_dotted_domain() {
        assert!(looks_like_email("a@b.co"));
        assert!(!looks_like_email("a@b"));
        assert!(!looks_like_email("@b.co"));
        assert!(!looks_like_email("a b@c.co"));
        assert!(!looks_like_email("a@.co"));
    }
}
