//! Test harness: a fresh simulator per test and a small HTTP client around it.

use okta_sim::{OktaSim, SimConfig, SimHandle};
use reqwest::header::HeaderMap;
use reqwest::{Client, Method};
use serde_json::Value;

pub const TOKEN: &str = "sim-admin-token";

/// A running simulator plus a client that sends its admin token.
pub struct TestSim {
    pub sim: OktaSim,
    pub client: Client,
    pub token: String,
}

/// A response read to the end.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
}

impl Resp {
    /// The body as JSON (`Null` when empty or not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Every `link` header line.
    pub fn links(&self) -> Vec<String> {
        self.headers
            .get_all("link")
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_string))
            .collect()
    }

    /// The URL of `rel="next"`, if any.
    pub fn next_link(&self) -> Option<String> {
        self.links().into_iter().find_map(|l| {
            l.strip_suffix("; rel=\"next\"")
                .map(|u| u.trim_start_matches('<').trim_end_matches('>').to_string())
        })
    }

    /// Asserts an Okta error with this status, code and summary.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str, summary: &str) {
        assert_eq!(self.status, status, "status of {}", self.text);
        let body = self.json();
        assert_eq!(body["errorCode"], code, "{}", self.text);
        assert_eq!(body["errorSummary"], summary, "{}", self.text);
        assert_eq!(body["errorLink"], code);
        assert!(
            body["errorId"]
                .as_str()
                .is_some_and(|id| id.starts_with("oae")),
            "errorId in {}",
            self.text
        );
        assert!(
            body["errorCauses"].is_array(),
            "errorCauses in {}",
            self.text
        );
        assert_eq!(self.header("content-type"), Some("application/json"));
    }

    /// The `errorCauses[].errorSummary` texts.
    pub fn causes(&self) -> Vec<String> {
        self.json()["errorCauses"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|c| c["errorSummary"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }
}

pub fn client() -> Client {
    // reqwest is built without a default crypto provider; plain http still needs one installed.
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::builder().build().expect("reqwest client builds")
}

pub async fn spawn() -> TestSim {
    spawn_with(SimConfig::default()).await
}

/// A simulator whose asynchronous operations complete at once, for tests about something
/// else than timing (the status machine, response shapes).
pub async fn spawn_synchronous() -> TestSim {
    spawn_with(SimConfig {
        transition: std::time::Duration::ZERO,
        ..SimConfig::default()
    })
    .await
}

pub async fn spawn_with(config: SimConfig) -> TestSim {
    let token = config.token.clone();
    let sim = OktaSim::start(config).await.expect("simulator starts");
    TestSim {
        sim,
        client: client(),
        token,
    }
}

/// When a test's simulator goes away, every response it produced must conform to Okta's
/// spec (see `spec`). Skipped while the test is already failing, so the first error shows.
impl Drop for TestSim {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let requests = self.sim.handle().requests();
        if let Err(report) = crate::spec::check_all(&requests) {
            panic!("{report}");
        }
    }
}

impl TestSim {
    pub fn handle(&self) -> SimHandle {
        self.sim.handle()
    }

    pub fn base(&self) -> String {
        self.sim.base_url()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sim.base_url())
    }

    /// Sends a request with the admin token; `body` is sent as JSON, and body-less POST/PUT
    /// carry `Content-Length: 0` as Okta requires.
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Resp {
        self.call_as(Some(&self.token), method, path, body).await
    }

    pub async fn call_as(
        &self,
        token: Option<&str>,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Resp {
        let mut req = self.client.request(method.clone(), self.url(path));
        if let Some(t) = token {
            req = req.header("authorization", format!("SSWS {t}"));
        }
        req = req.header("accept", "application/json");
        req = match body {
            Some(b) => req.json(&b),
            None if method == Method::POST || method == Method::PUT => {
                req.header("content-length", "0").body("")
            }
            None => req,
        };
        read(req.send().await.expect("request sent")).await
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Resp {
        self.call(Method::POST, path, Some(body)).await
    }

    /// A body-less POST (lifecycle operations).
    pub async fn post_empty(&self, path: &str) -> Resp {
        self.call(Method::POST, path, None).await
    }

    pub async fn put(&self, path: &str, body: Option<Value>) -> Resp {
        self.call(Method::PUT, path, body).await
    }

    pub async fn delete(&self, path: &str) -> Resp {
        self.call(Method::DELETE, path, None).await
    }

    /// A control-API request (no token).
    pub async fn control(&self, method: Method, path: &str, body: Option<Value>) -> Resp {
        self.call_as(None, method, &format!("/__sim{path}"), body)
            .await
    }

    /// Creates a user through the API and returns its JSON.
    pub async fn create_user(&self, login: &str, activate: bool, password: Option<&str>) -> Value {
        let mut body = serde_json::json!({
            "profile": {"firstName": "Test", "lastName": "Person", "email": login, "login": login}
        });
        if let Some(pw) = password {
            body["credentials"] = serde_json::json!({"password": {"value": pw}});
        }
        let resp = self
            .post(&format!("/api/v1/users?activate={activate}"), body)
            .await;
        assert_eq!(resp.status, 200, "{}", resp.text);
        resp.json()
    }

    /// Follows `next` links from `path`, returning every item and the number of pages.
    pub async fn collect_pages(&self, path: &str) -> (Vec<Value>, usize) {
        let mut items = Vec::new();
        let mut pages = 0;
        let mut next = Some(self.url(path));
        while let Some(url) = next {
            let path = url
                .strip_prefix(&self.base())
                .expect("same host")
                .to_string();
            let resp = self.get(&path).await;
            assert_eq!(resp.status, 200, "{}", resp.text);
            pages += 1;
            items.extend(resp.json().as_array().cloned().unwrap_or_default());
            next = resp.next_link();
            assert!(pages < 1000, "runaway paging");
        }
        (items, pages)
    }
}

pub async fn read(resp: reqwest::Response) -> Resp {
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.expect("body read");
    Resp {
        status,
        headers,
        text,
    }
}

/// Asserts a timestamp has Okta's `YYYY-MM-DDTHH:mm:ss.SSSZ` form.
#[track_caller]
pub fn assert_okta_ts(v: &Value) {
    let s = v
        .as_str()
        .unwrap_or_else(|| panic!("timestamp expected, got {v}"));
    assert!(is_okta_timestamp(s), "not an Okta timestamp: {s}");
}

fn is_okta_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 24
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'.'
        && b[23] == b'Z'
        && b.iter()
            .enumerate()
            .all(|(i, c)| matches!(i, 4 | 7 | 10 | 13 | 16 | 19 | 23) || c.is_ascii_digit())
}
