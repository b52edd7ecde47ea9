//! One validated configuration, read from environment variables with documented defaults.
//! Invalid values fail start-up with a message naming the variable.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;

use crate::crypto::KeyRing;
// The Okta client owns its settings; they are re-exported here, where they are read.
pub use crate::okta::{OktaSettings, ProxySettings};

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/okta-gateway.db";
/// The seed's limit on connected accounts.
pub const ACCOUNT_CAP: u32 = 15;
/// Gateway keys shorter than this are refused: they would be guessable.
pub const MIN_KEY_LEN: usize = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub bind_addr: SocketAddr,
    pub database_url: String,
    pub db_pool_size: u32,
    /// How long a SQLite write waits for a lock held by another process.
    pub db_busy_timeout: Duration,
    pub admin_keys: Vec<SecretString>,
    pub api_keys: Vec<SecretString>,
    /// From `TOKEN_ENCRYPTION_KEYS` or `TOKEN_ENCRYPTION_KEY`; `None`: the embedded default's
    /// key file (see [`crate::secrets`]).
    pub token_encryption_keys: Option<KeyRing>,
    pub log_format: LogFormat,
    pub okta: OktaSettings,
    /// Requests served at once; beyond it the gateway sheds with 503.
    pub max_concurrent_requests: usize,
    pub request_timeout: Duration,
    pub header_read_timeout: Duration,
}

#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {var}: {problem}")]
pub struct ConfigError {
    pub var: &'static str,
    pub problem: String,
}

fn invalid(var: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        var,
        problem: problem.into(),
    }
}

impl Config {
    /// Read the configuration from the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Read the configuration through `lookup` (tests pass a map instead of the environment).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let defaults = OktaSettings::default();
        let config = Config {
            bind_addr: parse_or(&get, "BIND_ADDR", "127.0.0.1:8080".parse().expect("valid"))?,
            database_url: get("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned()),
            db_pool_size: parse_or(&get, "DB_POOL_SIZE", 10)?,
            db_busy_timeout: millis(
                &get,
                "DB_BUSY_TIMEOUT_MS",
                crate::store::DEFAULT_BUSY_TIMEOUT,
            )?,
            admin_keys: keys(&get, "GATEWAY_ADMIN_KEYS")?,
            api_keys: keys(&get, "GATEWAY_API_KEYS")?,
            token_encryption_keys: token_keys(&get)?,
            log_format: match get("LOG_FORMAT").as_deref() {
                None | Some("pretty") => LogFormat::Pretty,
                Some("json") => LogFormat::Json,
                Some(other) => {
                    return Err(invalid(
                        "LOG_FORMAT",
                        format!("'{other}' is not one of pretty, json"),
                    ));
                }
            },
            okta: OktaSettings {
                extra_hosts: extra_hosts(&get)?,
                allow_insecure_loopback: parse_bool(&get, "OKTA_ALLOW_INSECURE_LOOPBACK")?,
                connect_timeout: millis(&get, "OKTA_CONNECT_TIMEOUT_MS", defaults.connect_timeout)?,
                request_timeout: millis(&get, "OKTA_REQUEST_TIMEOUT_MS", defaults.request_timeout)?,
                action_deadline: millis(&get, "ACTION_DEADLINE_MS", defaults.action_deadline)?,
                max_in_flight_per_account: parse_or(
                    &get,
                    "OKTA_MAX_IN_FLIGHT_PER_ACCOUNT",
                    defaults.max_in_flight_per_account,
                )?,
                queue_per_account: parse_or(
                    &get,
                    "OKTA_QUEUE_PER_ACCOUNT",
                    defaults.queue_per_account,
                )?,
                proxy: proxy(&get)?,
                max_response_bytes: parse_or(
                    &get,
                    "OKTA_MAX_RESPONSE_BYTES",
                    defaults.max_response_bytes,
                )?,
                dns_overrides: Vec::new(),
            },
            max_concurrent_requests: parse_or(&get, "MAX_CONCURRENT_REQUESTS", 1024)?,
            request_timeout: millis(&get, "REQUEST_TIMEOUT_MS", Duration::from_secs(30))?,
            header_read_timeout: millis(&get, "HEADER_READ_TIMEOUT_MS", Duration::from_secs(10))?,
        };
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> Result<(), ConfigError> {
        if self.db_pool_size == 0 {
            return Err(invalid("DB_POOL_SIZE", "must be at least 1"));
        }
        if self.okta.max_in_flight_per_account == 0 {
            return Err(invalid(
                "OKTA_MAX_IN_FLIGHT_PER_ACCOUNT",
                "must be at least 1",
            ));
        }
        if self.okta.max_response_bytes < 1024 {
            return Err(invalid(
                "OKTA_MAX_RESPONSE_BYTES",
                "must be at least 1024 (an Okta error body must fit)",
            ));
        }
        if self.max_concurrent_requests == 0 {
            return Err(invalid("MAX_CONCURRENT_REQUESTS", "must be at least 1"));
        }
        if self.request_timeout <= self.okta.action_deadline {
            return Err(invalid(
                "REQUEST_TIMEOUT_MS",
                "must be longer than ACTION_DEADLINE_MS, so actions can answer with their own timeout error",
            ));
        }
        if !self.is_postgres() && !self.database_url.starts_with("sqlite:") {
            return Err(invalid(
                "DATABASE_URL",
                "must start with sqlite:// or postgres://",
            ));
        }
        Ok(())
    }

    pub fn is_postgres(&self) -> bool {
        self.database_url.starts_with("postgres://")
            || self.database_url.starts_with("postgresql://")
    }

    /// The embedded database's file, as `DATABASE_URL` names it.
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        if self.is_postgres() {
            return None;
        }
        let path = self
            .database_url
            .trim_start_matches("sqlite://")
            .trim_start_matches("sqlite:");
        Some(PathBuf::from(path.split('?').next().unwrap_or(path)))
    }

    /// Where the embedded default keeps generated keys: the SQLite file's directory.
    pub fn data_dir(&self) -> Option<PathBuf> {
        let path = self.sqlite_path()?;
        let parent = path.parent()?;
        Some(if parent.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            parent.to_path_buf()
        })
    }
}

fn parse_or<T: std::str::FromStr>(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    default: T,
) -> Result<T, ConfigError> {
    match get(var) {
        None => Ok(default),
        Some(raw) => raw
            .trim()
            .parse()
            .map_err(|_| invalid(var, format!("'{raw}' is not a valid value"))),
    }
}

fn millis(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    default: Duration,
) -> Result<Duration, ConfigError> {
    let ms: u64 = parse_or(get, var, default.as_millis() as u64)?;
    if ms == 0 {
        return Err(invalid(var, "must be at least 1 millisecond"));
    }
    Ok(Duration::from_millis(ms))
}

fn parse_bool(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
) -> Result<bool, ConfigError> {
    match get(var).as_deref().map(str::trim) {
        None | Some("false") | Some("0") => Ok(false),
        Some("true") | Some("1") => Ok(true),
        Some(other) => Err(invalid(var, format!("'{other}' is not true or false"))),
    }
}

fn keys(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
) -> Result<Vec<SecretString>, ConfigError> {
    let Some(raw) = get(var) else {
        return Ok(Vec::new());
    };
    let mut keys = Vec::new();
    for key in raw.split(',').map(str::trim).filter(|k| !k.is_empty()) {
        if key.len() < MIN_KEY_LEN || !key.chars().all(|c| c.is_ascii_graphic()) {
            // Never echo the key itself.
            return Err(invalid(
                var,
                format!(
                    "every key must be at least {MIN_KEY_LEN} printable characters without spaces"
                ),
            ));
        }
        keys.push(SecretString::from(key.to_owned()));
    }
    Ok(keys)
}

/// The egress proxy from the conventional variables (upper case first, as curl reads them).
fn proxy(get: &impl Fn(&str) -> Option<String>) -> Result<Option<ProxySettings>, ConfigError> {
    let url = |upper: &'static str, lower: &'static str| -> Result<Option<url::Url>, ConfigError> {
        let (var, raw) = match get(upper) {
            Some(raw) => (upper, raw),
            None => match get(lower) {
                Some(raw) => (lower, raw),
                None => return Ok(None),
            },
        };
        // The value may hold a password: the problem never quotes it.
        let parsed = url::Url::parse(raw.trim())
            .map_err(|_| invalid(var, "is not a URL such as http://proxy.internal:3128"))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(invalid(
                var,
                "must be an http:// or https:// URL with a host",
            ));
        }
        Ok(Some(parsed))
    };
    let https = url("HTTPS_PROXY", "https_proxy")?;
    let http = url("HTTP_PROXY", "http_proxy")?;
    if https.is_none() && http.is_none() {
        return Ok(None);
    }
    Ok(Some(ProxySettings {
        https,
        http,
        no_proxy: get("NO_PROXY").or_else(|| get("no_proxy")),
    }))
}

/// The token key ring: `TOKEN_ENCRYPTION_KEYS` (comma-separated, the first current) or its
/// one-key form `TOKEN_ENCRYPTION_KEY`, never both.
fn token_keys(get: &impl Fn(&str) -> Option<String>) -> Result<Option<KeyRing>, ConfigError> {
    let (var, raw) = match (get("TOKEN_ENCRYPTION_KEYS"), get("TOKEN_ENCRYPTION_KEY")) {
        (Some(_), Some(_)) => {
            return Err(invalid(
                "TOKEN_ENCRYPTION_KEYS",
                "set either TOKEN_ENCRYPTION_KEYS or TOKEN_ENCRYPTION_KEY, not both",
            ));
        }
        (Some(raw), None) => ("TOKEN_ENCRYPTION_KEYS", raw),
        (None, Some(raw)) => ("TOKEN_ENCRYPTION_KEY", raw),
        (None, None) => return Ok(None),
    };
    let keys: Vec<&str> = if var == "TOKEN_ENCRYPTION_KEY" {
        vec![raw.trim()]
    } else {
        raw.split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .collect()
    };
    // Never echo a key: problems name its position only.
    KeyRing::from_base64(keys)
        .map(Some)
        .map_err(|(position, err)| {
            let problem = match err {
                crate::crypto::CryptoError::InvalidKey if var == "TOKEN_ENCRYPTION_KEY" => {
                    "must be base64 of 32 random bytes (openssl rand -base64 32)".to_owned()
                }
                crate::crypto::CryptoError::InvalidKey => format!(
                    "key {position} must be base64 of 32 random bytes (openssl rand -base64 32)"
                ),
                other => other.to_string(),
            };
            invalid(var, problem)
        })
}

fn extra_hosts(get: &impl Fn(&str) -> Option<String>) -> Result<Vec<String>, ConfigError> {
    let Some(raw) = get("OKTA_EXTRA_HOSTS") else {
        return Ok(Vec::new());
    };
    raw.split(',')
        .map(|h| h.trim().trim_end_matches('.').to_ascii_lowercase())
        .filter(|h| !h.is_empty())
        .map(|host| {
            let valid = host.split('.').count() >= 2
                && host.split('.').all(crate::okta::domain::is_dns_label)
                && host.parse::<std::net::IpAddr>().is_err();
            if valid {
                Ok(host)
            } else {
                Err(invalid(
                    "OKTA_EXTRA_HOSTS",
                    format!("'{host}' is not a DNS host name"),
                ))
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_use_the_embedded_database_on_loopback() {
        let c = config(&[]).unwrap();
        assert_eq!(c.bind_addr.to_string(), "127.0.0.1:8080");
        assert_eq!(c.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(c.data_dir().unwrap(), PathBuf::from("data"));
        assert_eq!(c.okta.action_deadline, Duration::from_millis(25_000));
        assert_eq!(c.okta.max_in_flight_per_account, 20);
        assert_eq!(c.okta.queue_per_account, 256);
        assert!(c.okta.proxy.is_none());
        assert!(!c.okta.allow_insecure_loopback);
        assert_eq!(c.okta.max_response_bytes, 8 * 1024 * 1024);
    }

    #[test]
    fn the_egress_proxy_comes_from_the_conventional_variables_and_hides_its_password() {
        let c = config(&[
            (
                "HTTPS_PROXY",
                "http://user:s3cret-proxy-pass@proxy.internal:3128",
            ),
            ("no_proxy", "localhost,.internal"),
        ])
        .unwrap();
        let proxy = c.okta.proxy.clone().unwrap();
        assert_eq!(
            proxy.https.as_ref().map(url::Url::as_str),
            Some("http://user:s3cret-proxy-pass@proxy.internal:3128/")
        );
        assert_eq!(proxy.http, None);
        assert_eq!(proxy.no_proxy.as_deref(), Some("localhost,.internal"));
        assert!(!format!("{c:?}").contains("s3cret-proxy-pass"));
        let lower = config(&[("http_proxy", "http://127.0.0.1:3128")]).unwrap();
        assert!(lower.okta.proxy.unwrap().http.is_some());
        let err = config(&[("HTTPS_PROXY", "ftp://s3cret@proxy")]).unwrap_err();
        assert_eq!(err.var, "HTTPS_PROXY");
        assert!(!err.to_string().contains("s3cret"));
    }

    #[test]
    fn invalid_values_name_the_variable() {
        assert_eq!(
            config(&[("BIND_ADDR", "nope")]).unwrap_err().var,
            "BIND_ADDR"
        );
        assert_eq!(
            config(&[("LOG_FORMAT", "xml")]).unwrap_err().var,
            "LOG_FORMAT"
        );
        assert_eq!(
            config(&[("OKTA_ALLOW_INSECURE_LOOPBACK", "yes")])
                .unwrap_err()
                .var,
            "OKTA_ALLOW_INSECURE_LOOPBACK"
        );
        assert_eq!(
            config(&[("DATABASE_URL", "mysql://x")]).unwrap_err().var,
            "DATABASE_URL"
        );
        assert_eq!(
            config(&[("OKTA_MAX_RESPONSE_BYTES", "100")])
                .unwrap_err()
                .var,
            "OKTA_MAX_RESPONSE_BYTES"
        );
        assert_eq!(
            config(&[("OKTA_EXTRA_HOSTS", "login.example.com,10.0.0.1")])
                .unwrap_err()
                .var,
            "OKTA_EXTRA_HOSTS"
        );
    }

    #[test]
    fn short_keys_are_refused_without_echoing_them() {
        let err = config(&[("GATEWAY_ADMIN_KEYS", "short-key")]).unwrap_err();
        assert_eq!(err.var, "GATEWAY_ADMIN_KEYS");
        assert!(!err.to_string().contains("short-key"));
        let ok = config(&[(
            "GATEWAY_API_KEYS",
            "a-long-enough-key-1, a-long-enough-key-2",
        )])
        .unwrap();
        assert_eq!(ok.api_keys.len(), 2);
    }

    const KEY_A: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
    const KEY_B: &str = "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=";

    #[test]
    fn the_key_ring_comes_from_either_variable_the_first_key_current() {
        let one = config(&[("TOKEN_ENCRYPTION_KEY", KEY_A)]).unwrap();
        let ring = one.token_encryption_keys.unwrap();
        assert_eq!(ring.keys().len(), 1);
        let two = config(&[("TOKEN_ENCRYPTION_KEYS", &format!(" {KEY_B} , {KEY_A},"))]).unwrap();
        let ring2 = two.token_encryption_keys.unwrap();
        assert_eq!(ring2.key_ids()[1], ring.key_ids()[0]);
        assert_eq!(ring2.keys().len(), 2);
        assert!(config(&[]).unwrap().token_encryption_keys.is_none());
    }

    #[test]
    fn bad_key_rings_name_the_variable_and_never_the_key() {
        let both = config(&[
            ("TOKEN_ENCRYPTION_KEY", KEY_A),
            ("TOKEN_ENCRYPTION_KEYS", KEY_B),
        ]);
        assert_eq!(both.unwrap_err().var, "TOKEN_ENCRYPTION_KEYS");
        let short = "c2hvcnQta2V5";
        for (var, value) in [
            ("TOKEN_ENCRYPTION_KEY", short.to_owned()),
            ("TOKEN_ENCRYPTION_KEYS", format!("{KEY_A},{short}")),
            ("TOKEN_ENCRYPTION_KEYS", format!("{KEY_A},{KEY_B},{KEY_A}")),
        ] {
            let err = config(&[(var, &value)]).unwrap_err();
            assert_eq!(err.var, var);
            let text = err.to_string();
            for key in [KEY_A, KEY_B, short] {
                assert!(!text.contains(key), "{text}");
            }
        }
        let dup = config(&[("TOKEN_ENCRYPTION_KEYS", &format!("{KEY_A},{KEY_A}"))]).unwrap_err();
        assert!(dup.problem.contains("key 2"), "{}", dup.problem);
    }

    #[test]
    fn the_data_dir_follows_the_sqlite_path() {
        let c = config(&[("DATABASE_URL", "sqlite:///tmp/x/gw.db?mode=rwc")]).unwrap();
        assert_eq!(c.data_dir().unwrap(), PathBuf::from("/tmp/x"));
        let pg = config(&[("DATABASE_URL", "postgres://localhost/db")]).unwrap();
        assert!(pg.data_dir().is_none());
    }
}
