//! Request and response values the handlers work with, independent of hyper.
//!
//! Handlers are synchronous functions from an [`ApiRequest`] to a [`Reply`]; the server
//! module turns hyper requests into `ApiRequest`s and `Reply`s into hyper responses.

use std::net::SocketAddr;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use serde_json::Value;

use crate::error::ApiError;

/// Okta's success media type.
pub(crate) const JSON_UTF8: &str = "application/json;charset=UTF-8";
/// Okta's error media type.
pub(crate) const JSON: &str = "application/json";

/// A fully read request.
#[derive(Debug, Clone)]
pub(crate) struct ApiRequest {
    pub method: Method,
    pub raw_path: String,
    pub raw_query: Option<String>,
    /// Query pairs decoded as a form (`+` is a space, as Okta reads it).
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub request_id: String,
    pub peer: SocketAddr,
}

impl ApiRequest {
    /// The first value of a query parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A boolean query parameter; Okta rejects values other than true/false.
    pub fn bool_param(&self, name: &str, default: bool) -> Result<bool, ApiError> {
        match self.param(name) {
            None | Some("") => Ok(default),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
            Some(v) => Err(ApiError::validation(
                name,
                vec![format!("{name}: '{v}' is not a valid boolean value")],
            )),
        }
    }

    /// An integer query parameter.
    pub fn int_param(&self, name: &str) -> Result<Option<i64>, ApiError> {
        match self.param(name) {
            None | Some("") => Ok(None),
            Some(v) => v.trim().parse::<i64>().map(Some).map_err(|_| {
                ApiError::validation(
                    name,
                    vec![format!("{name}: '{v}' is not a valid integer value")],
                )
            }),
        }
    }

    /// The page size: the `limit` parameter, or `default`, capped at `max`.
    pub fn limit(&self, default: usize, max: usize) -> Result<usize, ApiError> {
        Ok(match self.int_param("limit")? {
            Some(n) if n < 0 => default.min(max),
            Some(n) => usize::try_from(n).unwrap_or(max).min(max),
            None => default.min(max),
        })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as a JSON object; `E0000003` for anything else.
    pub fn json_object(&self) -> Result<serde_json::Map<String, Value>, ApiError> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::malformed_body());
        }
        match serde_json::from_slice::<Value>(&self.body) {
            Ok(Value::Object(map)) => Ok(map),
            _ => Err(ApiError::malformed_body()),
        }
    }

    /// The body as JSON if there is one (empty → `None`); malformed → `E0000003`.
    pub fn optional_json_object(&self) -> Result<Option<serde_json::Map<String, Value>>, ApiError> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        self.json_object().map(Some)
    }
}

/// A response before it is handed to hyper.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    /// A success JSON body with Okta's `application/json;charset=UTF-8`.
    pub fn json(status: StatusCode, value: &Value) -> Reply {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON_UTF8));
        Reply {
            status,
            headers,
            body: Bytes::from(serde_json::to_vec(value).unwrap_or_default()),
        }
    }

    pub fn ok(value: &Value) -> Reply {
        Reply::json(StatusCode::OK, value)
    }

    /// `200 {}`, the body of most lifecycle operations.
    pub fn empty_object() -> Reply {
        Reply::ok(&Value::Object(serde_json::Map::new()))
    }

    /// `204` with no body.
    pub fn no_content() -> Reply {
        Reply {
            status: StatusCode::NO_CONTENT,
            headers: HeaderMap::new(),
            body: Bytes::new(),
        }
    }

    /// An HTML page, as proxies and load balancers send.
    pub fn html(status: StatusCode, html: String) -> Reply {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        Reply {
            status,
            headers,
            body: Bytes::from(html),
        }
    }

    /// Adds one `link` header line (Okta sends one line per relation).
    pub fn link(mut self, url: &str, rel: &str) -> Reply {
        if let Ok(v) = HeaderValue::from_str(&format!("<{url}>; rel=\"{rel}\"")) {
            self.headers.append(header::LINK, v);
        }
        self
    }

    pub fn header(mut self, name: &'static str, value: &str) -> Reply {
        if let Ok(v) = HeaderValue::from_str(value) {
            self.headers.insert(name, v);
        }
        self
    }
}

impl From<ApiError> for Reply {
    fn from(err: ApiError) -> Reply {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON));
        Reply {
            status: err.status,
            headers,
            body: Bytes::from(serde_json::to_vec(&err.body()).unwrap_or_default()),
        }
    }
}

/// An HTML error page in the style of the nginx front door.
pub(crate) fn html_page(status: StatusCode) -> String {
    let text = format!(
        "{} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error")
    );
    format!(
        "<html>\r\n<head><title>{text}</title></head>\r\n<body>\r\n<center><h1>{text}</h1></center>\r\n</body>\r\n</html>\r\n"
    )
}

/// Builds `self`/`next` link URLs for a list endpoint.
pub(crate) struct Pager<'a> {
    pub base_url: &'a str,
    pub req: &'a ApiRequest,
}

impl Pager<'_> {
    /// The URL of the current request (`rel="self"`).
    pub fn self_url(&self) -> String {
        match &self.req.raw_query {
            Some(q) if !q.is_empty() => format!("{}{}?{q}", self.base_url, self.req.raw_path),
            _ => format!("{}{}", self.base_url, self.req.raw_path),
        }
    }

    /// The next page: the request's parameters without `after` (and `drop`), then
    /// `after=<cursor>` and `limit=<limit>`.
    pub fn next_url(&self, cursor: &str, limit: usize, drop: &[&str]) -> String {
        let mut ser = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.req.query {
            if k == "after" || k == "limit" || drop.contains(&k.as_str()) {
                continue;
            }
            ser.append_pair(k, v);
        }
        ser.append_pair("after", cursor);
        ser.append_pair("limit", &limit.to_string());
        // Okta reads '+' in a query as a space, so encode spaces as %20 to be unambiguous.
        let query = ser.finish().replace('+', "%20");
        format!("{}{}?{query}", self.base_url, self.req.raw_path)
    }
}

/// Decodes a raw query string as Okta does (form encoding).
pub(crate) fn parse_query(raw: Option<&str>) -> Vec<(String, String)> {
    raw.map(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    })
    .unwrap_or_default()
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
