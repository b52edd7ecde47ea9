//! What an action's handler works with: its Okta session and the helpers every action shares
//! (error mapping in the action's context, user lookup by id or login, paging).

use serde_json::Value;
use serde_json::value::RawValue;

use super::okta_errors::{ErrorContext, to_api_error};
use super::paging::{self, Listing, PageRequest};
use super::{Action, Output, Page, RawList, ResponseShape, element_template, shape_raw};
use crate::crypto::CursorSigner;
use crate::error::{ApiError, ErrorStatus};
use crate::okta::OktaError;
use crate::okta::client::{OktaPath, OktaRequest, OktaResponse, Retry, Session};

/// Okta's page size for the paged actions: its recommended maximum (NOTES.md §8).
pub const PAGE_SIZE: i64 = 200;

pub struct ActionContext {
    pub session: Session,
    pub action: &'static Action,
    /// Signs and checks the paging cursors of list actions.
    cursors: CursorSigner,
    /// The users this action looked up, for its audit row.
    resolved: std::sync::Mutex<Vec<ResolvedUser>>,
}

/// A user reference an action looked up, and what it named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedUser {
    pub reference: String,
    pub id: String,
    pub login: Option<String>,
}

/// Okta's refusals because of the user's status (NOTES.md §3, §6).
const USER_STATE_CODES: [&str; 6] = [
    "E0000016", "E0000017", "E0000032", "E0000035", "E0000038", "E0000112",
];

/// Whether a user reference is an Okta user id rather than a login.
pub fn looks_like_user_id(reference: &str) -> bool {
    reference.len() == 20
        && reference.starts_with("00u")
        && reference.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Logins with `/` or `?` cannot be used in a user path (NOTES.md §5).
fn needs_search(reference: &str) -> bool {
    reference.contains('/') || reference.contains('?')
}

impl ActionContext {
    pub fn new(session: Session, action: &'static Action, cursors: CursorSigner) -> Self {
        ActionContext {
            session,
            action,
            cursors,
            resolved: std::sync::Mutex::default(),
        }
    }

    /// The users this action looked up so far, each once.
    pub fn resolved_users(&self) -> Vec<ResolvedUser> {
        self.resolved
            .lock()
            .map(|users| users.clone())
            .unwrap_or_default()
    }

    fn remember(&self, reference: &str, user: &Value) {
        let Some(id) = user.get("id").and_then(Value::as_str) else {
            return;
        };
        let login = user
            .pointer("/profile/login")
            .and_then(Value::as_str)
            .map(str::to_owned);
        if let Ok(mut users) = self.resolved.lock()
            && !users.iter().any(|u| u.reference == reference)
        {
            users.push(ResolvedUser {
                reference: reference.to_owned(),
                id: id.to_owned(),
                login,
            });
        }
    }

    /// Map an Okta failure in this action's context.
    pub fn map(&self, err: OktaError) -> ApiError {
        self.map_with(err, false)
    }

    pub fn map_with(&self, err: OktaError, e0000001_is_state: bool) -> ApiError {
        to_api_error(
            err,
            ErrorContext {
                resource: self.action.resource,
                e0000001_is_state,
            },
        )
    }

    /// Send and require a 2xx answer.
    pub async fn call(&self, request: OktaRequest) -> Result<OktaResponse, ApiError> {
        self.session.call(&request).await.map_err(|e| self.map(e))
    }

    /// Send, require a 2xx answer and parse its JSON body, which must be an object.
    pub async fn call_json(&self, request: OktaRequest) -> Result<Value, ApiError> {
        self.session
            .call_json(&request)
            .await
            .and_then(|value| object(value, &request))
            .map_err(|e| self.map(e))
    }

    /// Send a request made on a user's behalf (app assignment, factor) and require a 2xx
    /// answer. When Okta refuses it because of the user's status, the error carries that status
    /// (one extra GET), as the user lifecycle actions do.
    pub async fn call_for_user(
        &self,
        request: OktaRequest,
        user_id: &str,
    ) -> Result<OktaResponse, ApiError> {
        match self.session.call(&request).await {
            Ok(response) => Ok(response),
            Err(err) => {
                let error = self.map(err);
                let refused_for_status = error
                    .details
                    .okta
                    .as_ref()
                    .and_then(|okta| okta.error_code.as_deref())
                    .is_some_and(|code| USER_STATE_CODES.contains(&code));
                if refused_for_status {
                    Err(self.with_user_status(error, user_id).await)
                } else {
                    Err(error)
                }
            }
        }
    }

    /// [`ActionContext::call_for_user`], parsing the JSON body.
    pub async fn call_json_for_user(
        &self,
        request: OktaRequest,
        user_id: &str,
    ) -> Result<Value, ApiError> {
        let retry = request.retry;
        let answer = self.call_for_user(request, user_id).await?;
        answer
            .json()
            .and_then(|value| object_for(value, retry))
            .map_err(|e| self.map(e))
    }

    /// The user named by an id or a login, as Okta returns it.
    pub async fn find_user(&self, reference: &str) -> Result<Value, ApiError> {
        let result = if needs_search(reference) {
            let escaped = reference.replace('\\', "\\\\").replace('"', "\\\"");
            let request = OktaRequest::get(OktaPath::new("/api/v1/users"), "users")
                .query("search", format!("profile.login eq \"{escaped}\""))
                .query("limit", 2);
            match self.session.call_json(&request).await {
                Ok(Value::Array(mut users)) if !users.is_empty() => Ok(users.swap_remove(0)),
                Ok(Value::Array(_)) => {
                    return Err(ApiError::not_found(
                        "user",
                        "Okta has no user with this login.",
                    ));
                }
                Ok(_) => Err(OktaError::NotOkta {
                    reason: "a user search answered without a list".into(),
                    outcome_unknown: false,
                }),
                Err(err) => Err(err),
            }
        } else {
            let path = OktaPath::new("/api/v1/users")
                .value(reference)
                .map_err(|e| self.map(e))?;
            let request = OktaRequest::get(path, "users/{id}");
            self.session
                .call_json(&request)
                .await
                .and_then(|value| object(value, &request))
        };
        if let Ok(user) = &result {
            self.remember(reference, user);
        }
        result.map_err(|err| {
            to_api_error(
                err,
                ErrorContext {
                    resource: "user",
                    e0000001_is_state: false,
                },
            )
        })
    }

    /// The id of the user named by an id or a login: one GET unless it already is an id.
    pub async fn user_id(&self, reference: &str) -> Result<String, ApiError> {
        if looks_like_user_id(reference) {
            return Ok(reference.to_owned());
        }
        let user = self.find_user(reference).await?;
        user.get("id")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| {
                ApiError::new(ErrorStatus::UpstreamUnavailable)
                    .with_internal("Okta returned a user without an id")
            })
    }

    /// A reference usable in a path that accepts logins: passed through, unless the login
    /// cannot be put in a path, then resolved to the id.
    pub async fn user_segment(&self, reference: &str) -> Result<String, ApiError> {
        if needs_search(reference) {
            self.user_id(reference).await
        } else {
            Ok(reference.to_owned())
        }
    }

    /// `/api/v1/users/{reference}` followed by fixed parts.
    pub fn user_path(&self, reference: &str) -> Result<OktaPath, ApiError> {
        OktaPath::new("/api/v1/users")
            .value(reference)
            .map_err(|e| self.map(e))
    }

    /// Add the user's current status to an INVALID_STATE refusal (one extra GET).
    pub async fn with_user_status(&self, mut error: ApiError, reference: &str) -> ApiError {
        if error.status == ErrorStatus::InvalidState
            && let Ok(user) = self.find_user(reference).await
            && let Some(status) = user.get("status").and_then(Value::as_str)
        {
            error.details.user_status = Some(status.to_owned());
            error.message = format!(
                "{} The user's status is {status}.",
                error.message.trim_end()
            );
        }
        error
    }

    /// Send, require a 2xx answer, and shape Okta's JSON as `response` says, as text.
    pub async fn call_shaped(
        &self,
        request: OktaRequest,
        response: &ResponseShape,
    ) -> Result<Output, ApiError> {
        // A write answered with something else than JSON may still have taken effect.
        let may_have_acted = request.retry == Retry::Once;
        let answer = self.call(request).await?;
        shape_raw(&answer.body, response)
            .map(Output::Raw)
            .map_err(|err| self.not_okta(&err, may_have_acted))
    }

    fn not_okta(&self, err: &serde_json::Error, outcome_unknown: bool) -> ApiError {
        self.map(OktaError::NotOkta {
            reason: format!("Okta's answer is not the expected JSON: {err}"),
            outcome_unknown,
        })
    }

    /// One page of a list action (the paging contract, README "Paging"): the first page as
    /// `first` asks for it, or the page the cursor in `after` names; up to `limit` items,
    /// following Okta's next links in pages of `listing.okta_page`; and the cursor of the
    /// page after it while Okta has more.
    pub async fn list_page(
        &self,
        first: OktaRequest,
        page: PageRequest<'_>,
        listing: &Listing,
        response: &ResponseShape,
    ) -> Result<Output, ApiError> {
        let limit = page.limit;
        let account = self.session.account();
        let mut query = match page.after {
            Some(cursor) => paging::open(
                &self.cursors,
                account,
                self.action.name,
                &first.path,
                cursor,
                listing,
            )
            .map_err(|problem| ApiError::invalid_fields(vec![problem]))?,
            None => first.query.clone(),
        };
        let one_call = listing.okta_page.is_none()
            || query
                .iter()
                .any(|(name, _)| listing.single_page_with.contains(name));
        let template = element_template(response);
        let mut out = String::new();
        let mut list = RawList::new(&mut out);
        let next = loop {
            let remaining = limit - list.len() as i64;
            let page_size = match listing.okta_page {
                Some(size) if !one_call => remaining.min(size),
                _ => remaining,
            };
            let mut request = first.clone();
            request.query = query.clone();
            let answer = self.call(request.query("limit", page_size)).await?;
            let items: Vec<&RawValue> =
                serde_json::from_slice(&answer.body).map_err(|err| self.not_okta(&err, false))?;
            // Dropping items would make the next cursor skip them.
            if items.len() as i64 > page_size {
                return Err(self.map(OktaError::NotOkta {
                    reason: format!("Okta answered {} items to limit={page_size}", items.len()),
                    outcome_unknown: false,
                }));
            }
            let empty = items.is_empty();
            for item in items {
                list.push(item, template, response.kind)
                    .map_err(|err| self.not_okta(&err, false))?;
            }
            let next =
                paging::next_query(&answer.headers, &first.path, listing).map_err(|reason| {
                    self.map(OktaError::NotOkta {
                        reason,
                        outcome_unknown: false,
                    })
                })?;
            match next {
                // An empty page ends the walk: a System Log polling query has a next link on
                // every page, even when nothing is left to read (NOTES.md §9).
                Some(next) if !empty => {
                    if one_call || list.len() as i64 >= limit {
                        break Some(next);
                    }
                    query = next;
                }
                _ => break None,
            }
        };
        list.finish();
        Ok(Output::Page(Page {
            items: out,
            next_cursor: next.map(|query| {
                paging::seal(
                    &self.cursors,
                    account,
                    self.action.name,
                    &first.path,
                    &query,
                )
            }),
            paged: page.paged,
        }))
    }
}

/// An Okta answer that must be one object (a user, a group, an assignment): anything else
/// is not Okta's answer, and to a request that may have acted its outcome is unknown.
pub fn object(value: Value, request: &OktaRequest) -> Result<Value, OktaError> {
    object_for(value, request.retry)
}

fn object_for(value: Value, retry: Retry) -> Result<Value, OktaError> {
    if value.is_object() {
        Ok(value)
    } else {
        Err(OktaError::NotOkta {
            reason: "the answer is not the JSON object the action expects".into(),
            outcome_unknown: retry == Retry::Once,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_ids_are_told_from_logins() {
        assert!(looks_like_user_id("00ub0oNGTSWTBKOLGLNR"));
        assert!(!looks_like_user_id("jordan.lee@example.com"));
        assert!(!looks_like_user_id("00ub0oNGTSWTBKOLGLN"));
        assert!(!looks_like_user_id("00g1emaKYZTWRYYRRTSK"));
        assert!(!looks_like_user_id("00ub0oNGTSWTBKOLGL/R"));
    }
}
