//! One validated configuration, read from environment variables with documented defaults.
//! Invalid values fail start-up with a message naming the variable.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;

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
}

/// The default cap on one Okta answer: far above Okta's largest page (200 log events).
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;

impl Default for OktaSettings {
    fn default() -> Self {
        OktaSettings {
            extra_hosts: Vec::new(),
            allow_insecure_loopback: false,
            connect_timeout: Duration::from_millis(3000),
            request_timeout: Duration::from_millis(10_000),
            action_deadline: Duration::from_millis(25_000),
            max_in_flight_per_account: 20,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            dns_overrides: Vec::new(),
        }
    }
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
    pub token_encryption_key: Option<SecretString>,
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
            token_encryption_key: get("TOKEN_ENCRYPTION_KEY").map(SecretString::from),
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

    /// Where the embedded default keeps generated keys: the SQLite file's directory.
    pub fn data_dir(&self) -> Option<PathBuf> {
        if self.is_postgres() {
            return None;
        }
        let path = self
            .database_url
            .trim_start_matches("sqlite://")
            .trim_start_matches("sqlite:");
        let path = path.split('?').next().unwrap_or(path);
        let parent = std::path::Path::new(path).parent()?;
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
        assert!(!c.okta.allow_insecure_loopback);
        assert_eq!(c.okta.max_response_bytes, 8 * 1024 * 1024);
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

    #[test]
    fn the_data_dir_follows_the_sqlite_path() {
        let c = config(&[("DATABASE_URL", "sqlite:///tmp/x/gw.db?mode=rwc")]).unwrap();
        assert_eq!(c.data_dir().unwrap(), PathBuf::from("/tmp/x"));
        let pg = config(&[("DATABASE_URL", "postgres://localhost/db")]).unwrap();
        assert!(pg.data_dir().is_none());
    }
}
