//! Validation of Okta org URLs, so an admin token is only ever sent to an Okta org host
//! (NOTES.md §12): https only, no user-info, port, path, query or fragment, and a host that is
//! one label under an Okta domain, or an exact host the operator allowed.

use std::fmt;

/// Okta's org domains; an org host is exactly one DNS label under one of these.
const OKTA_SUFFIXES: [&str; 5] = [
    "okta.com",
    "oktapreview.com",
    "okta-emea.com",
    "okta-gov.com",
    "okta.mil",
];

/// A validated, normalised org base URL such as `https://dev-12345.okta.com`, parsed once
/// (requests start from the parsed form).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OktaDomain {
    text: String,
    url: Option<url::Url>,
}

impl OktaDomain {
    fn new(text: String) -> OktaDomain {
        let url = url::Url::parse(&text).ok();
        OktaDomain { text, url }
    }

    /// The base URL without a trailing slash.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The parsed base URL (`None` only for a stored value that no longer parses).
    pub fn url(&self) -> Option<&url::Url> {
        self.url.as_ref()
    }

    /// Trust a value that was validated before it was stored.
    pub fn from_stored(value: String) -> Self {
        OktaDomain::new(value)
    }
}

impl fmt::Display for OktaDomain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Which hosts are acceptable beyond Okta's own domains.
#[derive(Debug, Clone, Default)]
pub struct DomainPolicy {
    pub extra_hosts: Vec<String>,
    pub allow_insecure_loopback: bool,
}

/// Why a domain was refused, phrased as a field problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainProblem(pub &'static str);

pub fn is_dns_label(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= 63
        && !label.starts_with('-')
        && !label.ends_with('-')
        && label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

impl DomainPolicy {
    pub fn validate(&self, input: &str) -> Result<OktaDomain, DomainProblem> {
        let input = input.trim();
        let (scheme, rest) = input.split_once("://").ok_or(DomainProblem(
            "must be a URL such as https://dev-12345.okta.com",
        ))?;
        let scheme = scheme.to_ascii_lowercase();
        // Only "/" may follow the authority: anything else is a path, query or fragment.
        let authority = match rest.find(['/', '?', '#', '\\']) {
            Some(i) if &rest[i..] == "/" => &rest[..i],
            Some(_) => return Err(DomainProblem("must not contain a path, query or fragment")),
            None => rest,
        };
        if authority.contains('@') {
            return Err(DomainProblem("must not contain user information"));
        }
        if scheme == "http" && self.allow_insecure_loopback {
            return loopback(authority);
        }
        if scheme != "https" {
            return Err(DomainProblem("must use https"));
        }
        if authority.contains(':') || authority.contains('[') {
            return Err(DomainProblem("must not contain a port"));
        }
        let host = authority.trim_end_matches('.').to_ascii_lowercase();
        if host.parse::<std::net::IpAddr>().is_ok() {
            return Err(DomainProblem(
                "must be an Okta org host name, not an IP address",
            ));
        }
        if self.extra_hosts.contains(&host) {
            return Ok(OktaDomain::new(format!("https://{host}")));
        }
        let okta_org = OKTA_SUFFIXES.iter().any(|suffix| {
            host.strip_suffix(suffix)
                .and_then(|prefix| prefix.strip_suffix('.'))
                .is_some_and(|sub| is_dns_label(sub) && !sub.ends_with("-admin"))
        });
        if okta_org {
            Ok(OktaDomain::new(format!("https://{host}")))
        } else {
            Err(DomainProblem(
                "must be an Okta org URL such as https://dev-12345.okta.com (admin console hosts and other domains are refused)",
            ))
        }
    }
}

fn loopback(authority: &str) -> Result<OktaDomain, DomainProblem> {
    let (host, port) = authority
        .rsplit_once(':')
        .ok_or(DomainProblem("a loopback URL must name a port"))?;
    let host = host.to_ascii_lowercase();
    let port: u16 = port
        .parse()
        .ok()
        .filter(|p| *p != 0)
        .ok_or(DomainProblem("a loopback URL must name a valid port"))?;
    if host == "127.0.0.1" || host == "localhost" {
        Ok(OktaDomain::new(format!("http://{host}:{port}")))
    } else {
        Err(DomainProblem(
            "plain http is only allowed for 127.0.0.1 or localhost",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strict() -> DomainPolicy {
        DomainPolicy::default()
    }

    #[test]
    fn okta_org_urls_are_accepted_and_normalised() {
        for (input, expected) in [
            ("https://dev-12345.okta.com", "https://dev-12345.okta.com"),
            ("https://dev-12345.okta.com/", "https://dev-12345.okta.com"),
            (
                "HTTPS://Dev-1.OktaPreview.com",
                "https://dev-1.oktapreview.com",
            ),
            ("https://acme.okta-emea.com", "https://acme.okta-emea.com"),
            ("https://agency.okta-gov.com", "https://agency.okta-gov.com"),
            ("https://unit.okta.mil.", "https://unit.okta.mil"),
        ] {
            assert_eq!(
                strict().validate(input).unwrap().as_str(),
                expected,
                "{input}"
            );
        }
    }

    #[test]
    fn everything_else_is_refused() {
        for input in [
            "http://dev-1.okta.com",
            "ftp://dev-1.okta.com",
            "dev-1.okta.com",
            "https://okta.com",
            "https://dev-1.okta.com.evil.io",
            "https://evilokta.com",
            "https://evil-okta.com",
            "https://a.b.okta.com",
            "https://dev-1-admin.okta.com",
            "https://dev-1.okta.com:8443",
            "https://dev-1.okta.com:443",
            "https://user:pw@dev-1.okta.com",
            "https://dev-1.okta.com@evil.io",
            "https://dev-1.okta.com/api",
            "https://dev-1.okta.com?x=1",
            "https://dev-1.okta.com#f",
            "https://dev-1.okta.com\\@evil.io",
            "https://127.0.0.1",
            "https://[::1]",
            "https://169.254.169.254",
            "https://localhost",
            "https://metadata.internal",
            "https://-dev.okta.com",
            "https://dev_1.okta.com",
            "http://127.0.0.1:8080",
        ] {
            assert!(strict().validate(input).is_err(), "{input} was accepted");
        }
    }

    #[test]
    fn operator_hosts_are_matched_exactly() {
        let policy = DomainPolicy {
            extra_hosts: vec!["login.example.com".into()],
            ..DomainPolicy::default()
        };
        assert_eq!(
            policy
                .validate("https://login.example.com/")
                .unwrap()
                .as_str(),
            "https://login.example.com"
        );
        assert!(policy.validate("https://evil.login.example.com").is_err());
        assert!(
            policy
                .validate("https://login.example.com.evil.io")
                .is_err()
        );
        assert!(policy.validate("http://login.example.com").is_err());
    }

    #[test]
    fn loopback_is_only_allowed_when_enabled_and_with_a_port() {
        let policy = DomainPolicy {
            allow_insecure_loopback: true,
            ..DomainPolicy::default()
        };
        assert_eq!(
            policy.validate("http://127.0.0.1:4010").unwrap().as_str(),
            "http://127.0.0.1:4010"
        );
        assert_eq!(
            policy.validate("http://localhost:4010/").unwrap().as_str(),
            "http://localhost:4010"
        );
        assert!(policy.validate("http://127.0.0.1").is_err());
        assert!(policy.validate("http://10.0.0.5:80").is_err());
        assert!(policy.validate("http://127.0.0.1:4010/api").is_err());
        assert!(policy.validate("https://dev-1.okta.com").is_ok());
    }
}
