//! The paging contract every list action shares: the `after` and `paged` parameters, the
//! opaque cursor, and reading Okta's `rel="next"` link.
//!
//! A cursor is Okta's next-link query (never its scheme, host or path: the next page always
//! goes to the account's validated host, on the action's own endpoint), bound by an HMAC to
//! the account, the action and the endpoint path. A cursor altered, issued for another
//! account, or issued by another action is refused before any call to Okta.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::header::HeaderMap;
use serde::{Deserialize, Serialize};

use crate::crypto::CursorSigner;
use crate::error::FieldProblem;
use crate::okta::client::OktaPath;

/// What one list request asks for (the input's `limit`, `after` and `paged`).
#[derive(Debug, Clone, Copy)]
pub struct PageRequest<'a> {
    pub limit: i64,
    pub after: Option<&'a str>,
    pub paged: bool,
}

/// A request with `after` that also sends fields the cursor fixes (each named with whether it
/// was sent): one problem each.
pub fn cursor_conflicts(after: bool, fixed: &[(&'static str, bool)]) -> Vec<FieldProblem> {
    if !after {
        return Vec::new();
    }
    fixed
        .iter()
        .filter(|(_, given)| *given)
        .map(|(name, _)| {
            FieldProblem::new(
                *name,
                "cannot be sent with after: the cursor already fixes it (send only after, limit and paged)",
            )
        })
        .collect()
}

/// The response header that carries the next page's cursor (absent on the last page).
pub const NEXT_CURSOR_HEADER: &str = "x-next-cursor";

/// Names the cursor's signature: a new layout gets a new label, and old cursors are refused.
const CURSOR_LABEL: &[u8] = b"okta-gateway/cursor/v1";

/// How one list action pages through its Okta endpoint.
#[derive(Debug)]
pub struct Listing {
    /// The query parameters this endpoint's next links may carry besides `after` and `limit`:
    /// the only ones a cursor can hold.
    pub query: &'static [&'static str],
    /// Okta's page size when one page of the action spans several pages of Okta; `None`: one
    /// call asking for all of `limit`.
    pub okta_page: Option<i64>,
    /// Query parameters with which Okta answers one page only (then one call asks for all).
    pub single_page_with: &'static [&'static str],
}

impl Listing {
    fn query_name(&self, name: &str) -> Option<&'static str> {
        ["after"]
            .iter()
            .chain(self.query)
            .find(|known| **known == name)
            .copied()
    }
}

/// An Okta query, with the parameter names the gateway knows.
pub type Query = Vec<(&'static str, String)>;

#[derive(Serialize, Deserialize)]
struct CursorBody {
    /// The action that issued the cursor.
    a: String,
    /// The Okta endpoint path it continues.
    p: String,
    /// Okta's next-link query, without `limit`.
    q: Vec<(String, String)>,
}

/// The cursor of the page after this one, for this account, action and endpoint.
pub fn seal(
    signer: &CursorSigner,
    account: &str,
    action: &str,
    path: &OktaPath,
    query: &Query,
) -> String {
    let body = CursorBody {
        a: action.to_owned(),
        p: path.as_str().to_owned(),
        q: query
            .iter()
            .map(|(name, value)| ((*name).to_owned(), value.clone()))
            .collect(),
    };
    let json = serde_json::to_vec(&body).unwrap_or_default();
    let tag = signer.sign(&[CURSOR_LABEL, account.as_bytes(), &json]);
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(&json),
        URL_SAFE_NO_PAD.encode(tag)
    )
}

/// The Okta query a cursor carries, if this account's `action` issued it for `path`.
pub fn open(
    signer: &CursorSigner,
    account: &str,
    action: &str,
    path: &OktaPath,
    cursor: &str,
    listing: &Listing,
) -> Result<Query, FieldProblem> {
    let not_ours = || {
        FieldProblem::new(
            "after",
            "is not a cursor this gateway issued for this account (altered, from another account, or older than a key rotation): pass nextCursor back unchanged, or start again without after",
        )
    };
    let (body, tag) = cursor.split_once('.').ok_or_else(not_ours)?;
    let json = URL_SAFE_NO_PAD.decode(body).map_err(|_| not_ours())?;
    let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| not_ours())?;
    if !signer.verify(&[CURSOR_LABEL, account.as_bytes(), &json], &tag) {
        return Err(not_ours());
    }
    let body: CursorBody = serde_json::from_slice(&json).map_err(|_| not_ours())?;
    if body.a != action {
        return Err(FieldProblem::new(
            "after",
            format!("is a cursor of {}: pass it back to that action", body.a),
        ));
    }
    if body.p != path.as_str() {
        return Err(FieldProblem::new(
            "after",
            "was issued for another group or application: send the groupId or appId of the request that returned it",
        ));
    }
    body.q
        .into_iter()
        .map(|(name, value)| {
            listing
                .query_name(&name)
                .map(|name| (name, value))
                .ok_or_else(not_ours)
        })
        .collect()
}

/// The query of Okta's `rel="next"` link, without `limit`, or `None` on the last page.
///
/// Only the query is kept (NOTES.md §8: never follow the link's host). A next link to another
/// endpoint, or carrying a parameter this endpoint does not take, is not Okta's: the error
/// says why.
pub fn next_query(
    headers: &HeaderMap,
    path: &OktaPath,
    listing: &Listing,
) -> Result<Option<Query>, String> {
    let Some(link) = headers
        .get_all("link")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(links)
        .find_map(|(target, params)| is_next(params).then_some(target))
    else {
        return Ok(None);
    };
    // Okta's links are absolute; a relative one is read against a placeholder base.
    let url = url::Url::parse(link)
        .or_else(|_| url::Url::parse("https://okta.invalid/").and_then(|base| base.join(link)))
        .map_err(|_| "Okta's next link is not a URL".to_owned())?;
    if url.path() != path.as_str() {
        return Err("Okta's next link points to another endpoint".to_owned());
    }
    let mut query = Query::new();
    for (name, value) in url.query_pairs() {
        if name == "limit" {
            continue;
        }
        let known = listing.query_name(&name).ok_or_else(|| {
            format!("Okta's next link carries a parameter the gateway does not know: {name}")
        })?;
        query.push((known, value.into_owned()));
    }
    if !query.iter().any(|(name, _)| *name == "after") {
        return Err("Okta's next link has no after cursor".to_owned());
    }
    Ok(Some(query))
}

/// The links of one `Link` header value (RFC 8288): each `<target>` with its parameters. A
/// target may contain commas, so values are not split on them.
fn links(value: &str) -> impl Iterator<Item = (&str, &str)> {
    let mut rest = value;
    std::iter::from_fn(move || {
        let start = rest.find('<')? + 1;
        let end = start + rest[start..].find('>')?;
        let target = &rest[start..end];
        let after = &rest[end + 1..];
        let params_end = after.find('<').unwrap_or(after.len());
        let params = &after[..params_end];
        rest = &after[params_end..];
        Some((target, params))
    })
}

fn is_next(params: &str) -> bool {
    params.split(';').any(|param| {
        let param = param.trim().trim_end_matches(',').trim();
        param
            .strip_prefix("rel=")
            .map(|rel| rel.trim_matches('"'))
            .is_some_and(|rel| rel.split_ascii_whitespace().any(|r| r == "next"))
    })
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;
    use crate::crypto::TokenCipher;

    const GROUPS: Listing = Listing {
        query: &["q", "filter"],
        okta_page: Some(200),
        single_page_with: &["q"],
    };

    fn headers(links: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for link in links {
            headers.append("link", HeaderValue::from_str(link).unwrap());
        }
        headers
    }

    fn signer() -> CursorSigner {
        TokenCipher::generate().0.cursor_signer()
    }

    #[test]
    fn the_next_query_is_taken_from_the_next_link_only() {
        let path = OktaPath::new("/api/v1/groups");
        let page = headers(&[
            "<https://x.okta.com/api/v1/groups?limit=2>; rel=\"self\"",
            "<https://x.okta.com/api/v1/groups?filter=a%20eq%20%22x,y%22&after=00g123&limit=2>; rel=\"next\"",
        ]);
        assert_eq!(
            next_query(&page, &path, &GROUPS).unwrap(),
            Some(vec![
                ("filter", "a eq \"x,y\"".to_owned()),
                ("after", "00g123".to_owned())
            ])
        );
        let one_line = headers(&[
            "<https://x.okta.com/api/v1/groups?limit=2>; rel=\"self\", <https://x.okta.com/api/v1/groups?after=00g9&limit=2>; rel=\"next\"",
        ]);
        assert_eq!(
            next_query(&one_line, &path, &GROUPS).unwrap(),
            Some(vec![("after", "00g9".to_owned())])
        );
        let last = headers(&["<https://x.okta.com/api/v1/groups?limit=2>; rel=\"self\""]);
        assert_eq!(next_query(&last, &path, &GROUPS).unwrap(), None);
    }

    #[test]
    fn a_system_log_next_link_keeps_its_whole_query() {
        // The example of Okta's System Log query guide ("Next link response header").
        let logs = Listing {
            query: &["since", "until", "filter", "q", "sortOrder"],
            okta_page: None,
            single_page_with: &[],
        };
        let link = headers(&[
            "<https://example.okta.com/api/v1/logs?q=&sortOrder=DESCENDING&limit=20&until=2017-09-17T15%3A41%3A12.994Z&after=349996bd-5091-45dc-a39f-d357867a30d7&since=2017-06-10T00%3A00%3A00%2B00%3A00>; rel=\"next\"",
        ]);
        assert_eq!(
            next_query(&link, &OktaPath::new("/api/v1/logs"), &logs).unwrap(),
            Some(vec![
                ("q", String::new()),
                ("sortOrder", "DESCENDING".to_owned()),
                ("until", "2017-09-17T15:41:12.994Z".to_owned()),
                ("after", "349996bd-5091-45dc-a39f-d357867a30d7".to_owned()),
                ("since", "2017-06-10T00:00:00+00:00".to_owned()),
            ])
        );
    }

    #[test]
    fn a_next_link_elsewhere_or_with_unknown_parameters_is_not_okta() {
        let path = OktaPath::new("/api/v1/groups");
        for link in [
            "<https://evil.io/api/v1/users?after=1>; rel=\"next\"",
            "<https://x.okta.com/api/v1/groups/../users?after=1>; rel=\"next\"",
            "<https://x.okta.com/api/v1/groups?after=1&expand=secrets>; rel=\"next\"",
            "<https://x.okta.com/api/v1/groups?limit=1>; rel=\"next\"",
        ] {
            assert!(
                next_query(&headers(&[link]), &path, &GROUPS).is_err(),
                "{link}"
            );
        }
    }

    #[test]
    fn a_cursor_opens_only_for_its_account_action_and_path() {
        let signer = signer();
        let path = OktaPath::new("/api/v1/groups");
        let query: Query = vec![("after", "00g1".to_owned())];
        let cursor = seal(&signer, "acme", "list_groups", &path, &query);
        assert_eq!(
            open(&signer, "acme", "list_groups", &path, &cursor, &GROUPS).unwrap(),
            query
        );
        let refused = |account: &str, action: &str, path: &OktaPath, cursor: &str| {
            open(&signer, account, action, path, cursor, &GROUPS).unwrap_err()
        };
        assert!(
            refused("other", "list_groups", &path, &cursor)
                .problem
                .contains("not a cursor")
        );
        assert_eq!(
            refused("acme", "get_audit_logs", &path, &cursor).problem,
            "is a cursor of list_groups: pass it back to that action"
        );
        let members = OktaPath::new("/api/v1/groups").fixed("users");
        assert!(
            refused("acme", "list_groups", &members, &cursor)
                .problem
                .contains("another group")
        );
        let (body, tag) = cursor.split_once('.').unwrap();
        let altered = URL_SAFE_NO_PAD.encode(
            String::from_utf8(URL_SAFE_NO_PAD.decode(body).unwrap())
                .unwrap()
                .replace("00g1", "00g2"),
        );
        for bad in [
            format!("{altered}.{tag}"),
            "garbage".to_owned(),
            format!("{body}."),
            format!("{body}.{tag}x"),
        ] {
            assert!(
                refused("acme", "list_groups", &path, &bad)
                    .problem
                    .contains("not a cursor")
            );
        }
        let other_key = signer_cursor_of_other_key(&path, &query);
        assert!(
            refused("acme", "list_groups", &path, &other_key)
                .problem
                .contains("not a cursor")
        );
    }

    fn signer_cursor_of_other_key(path: &OktaPath, query: &Query) -> String {
        seal(&signer(), "acme", "list_groups", path, query)
    }
}
