//! The Okta client's settings: how it reaches Okta and how long it waits. The gateway's
//! configuration (`crate::config`) reads them from the environment.

use std::net::SocketAddr;
use std::time::Duration;

/// Settings for calls to Okta.
#[derive(Debug, Clone)]
pub struct OktaSettings {
    /// Exact hosts (custom Okta domains) accepted in addition to Okta's own domains.
    pub extra_hosts: Vec<String>,
    /// Also accept `http://127.0.0.1:PORT` and `http://localhost:PORT` (tests and demos).
    pub allow_insecure_loopback: bool,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    pub action_deadline: Duration,
    pub max_in_flight_per_account: usize,
    /// Okta answers larger than this are refused (502) without reading further.
    pub max_response_bytes: usize,
    /// Fixed answers for host names, used instead of DNS. Tests only (CI has no DNS): never
    /// read from the environment.
    pub dns_overrides: Vec<(String, SocketAddr)>,
    /// Calls that may wait for a slot per account once the in-flight limit is reached.
    pub queue_per_account: usize,
    /// The egress proxy Okta is reached through, if any.
    pub proxy: Option<ProxySettings>,
    /// The share of each rate-limit window (percent of `Limit`) left to the org's admins
    /// unless an account sets its own.
    pub rate_limit_reserve_percent: u8,
}

/// `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY`, read with the rest of the configuration (not behind
/// its back by the HTTP client) so that start-up validates them and tests can set them.
#[derive(Clone, PartialEq, Eq)]
pub struct ProxySettings {
    pub https: Option<url::Url>,
    pub http: Option<url::Url>,
    /// Hosts reached directly, in curl's `NO_PROXY` syntax.
    pub no_proxy: Option<String>,
}

/// A proxy URL may carry credentials: `Debug` shows only scheme, host and port.
impl std::fmt::Debug for ProxySettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let show = |url: &Option<url::Url>| {
            url.as_ref().map(|u| {
                format!(
                    "{}://{}:{}",
                    u.scheme(),
                    u.host_str().unwrap_or_default(),
                    u.port_or_known_default().unwrap_or_default()
                )
            })
        };
        f.debug_struct("ProxySettings")
            .field("https", &show(&self.https))
            .field("http", &show(&self.http))
            .field("no_proxy", &self.no_proxy)
            .finish()
    }
}
