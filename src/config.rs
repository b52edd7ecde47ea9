//! One validated configuration. Every setting is a command-line flag and an environment
//! variable, defined once in [`SETTINGS`]: clap reads them (`okta-gateway serve --help` lists
//! them with their defaults), [`Config::from_settings`] validates them. Invalid values fail
//! start-up with a message naming the variable.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Arg, ArgMatches, Command, FromArgMatches};
use secrecy::SecretString;

use crate::crypto::KeyRing;
// The Okta client owns its settings; they are re-exported here, where they are read.
pub use crate::okta::{OktaSettings, ProxySettings};

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/okta-gateway.db";
/// The log filter when `RUST_LOG` is unset.
pub const DEFAULT_LOG_FILTER: &str = "info,sqlx=warn,hyper=warn,reqwest=warn";
/// The seed's limit on connected accounts.
pub const ACCOUNT_CAP: u32 = 15;
/// Gateway keys shorter than this are refused: they would be guessable.
pub const MIN_KEY_LEN: usize = 16;
/// The largest rate-limit reserve: a larger one would leave the gateway almost nothing.
pub const MAX_RATE_LIMIT_RESERVE_PERCENT: u8 = 90;

/// One setting: an environment variable and its flag, with its default and one line of help.
pub struct Setting {
    /// The environment variable, also the argument's id.
    pub var: &'static str,
    /// The flag: the variable in lower case with dashes.
    pub flag: &'static str,
    pub default: Option<&'static str>,
    pub help: &'static str,
    /// Read from the process environment when `var` is unset (the proxies' lower-case forms,
    /// which curl reads too).
    pub alias: Option<&'static str>,
}

const fn setting(
    var: &'static str,
    flag: &'static str,
    default: Option<&'static str>,
    help: &'static str,
) -> Setting {
    Setting {
        var,
        flag,
        default,
        help,
        alias: None,
    }
}

/// Every setting the gateway reads, in the order `--help` lists them.
pub const SETTINGS: &[Setting] = &[
    setting(
        "BIND_ADDR",
        "bind-addr",
        Some("127.0.0.1:8080"),
        "Listen address",
    ),
    setting(
        "DATABASE_URL",
        "database-url",
        Some(DEFAULT_DATABASE_URL),
        "sqlite://... (embedded) or postgres://...",
    ),
    setting(
        "DB_POOL_SIZE",
        "db-pool-size",
        Some("10"),
        "Postgres connections",
    ),
    setting(
        "DB_BUSY_TIMEOUT_MS",
        "db-busy-timeout-ms",
        Some("15000"),
        "How long a SQLite write waits for a lock another process holds",
    ),
    setting(
        "GATEWAY_ADMIN_KEYS",
        "gateway-admin-keys",
        None,
        "Comma-separated admin keys (required with Postgres; generated with SQLite)",
    ),
    setting(
        "GATEWAY_API_KEYS",
        "gateway-api-keys",
        None,
        "Comma-separated action keys",
    ),
    setting(
        "TOKEN_ENCRYPTION_KEYS",
        "token-encryption-keys",
        None,
        "Token key ring: comma-separated base64 32-byte keys, the first current",
    ),
    setting(
        "TOKEN_ENCRYPTION_KEY",
        "token-encryption-key",
        None,
        "One-key form of TOKEN_ENCRYPTION_KEYS (set one of the two)",
    ),
    setting("LOG_FORMAT", "log-format", Some("pretty"), "pretty or json"),
    setting(
        "RUST_LOG",
        "rust-log",
        Some(DEFAULT_LOG_FILTER),
        "Log filter",
    ),
    setting(
        "OKTA_EXTRA_HOSTS",
        "okta-extra-hosts",
        None,
        "Comma-separated custom Okta domains accepted as account domains",
    ),
    setting(
        "OKTA_ALLOW_INSECURE_LOOPBACK",
        "okta-allow-insecure-loopback",
        Some("false"),
        "Also accept http://127.0.0.1:PORT and http://localhost:PORT domains (tests, demos)",
    ),
    setting(
        "OKTA_CONNECT_TIMEOUT_MS",
        "okta-connect-timeout-ms",
        Some("3000"),
        "Connect timeout of Okta calls",
    ),
    setting(
        "OKTA_REQUEST_TIMEOUT_MS",
        "okta-request-timeout-ms",
        Some("10000"),
        "Timeout of one Okta call",
    ),
    setting(
        "ACTION_DEADLINE_MS",
        "action-deadline-ms",
        Some("25000"),
        "Deadline of a whole action (lookups, paging, retries)",
    ),
    setting(
        "OKTA_MAX_IN_FLIGHT_PER_ACCOUNT",
        "okta-max-in-flight-per-account",
        Some("20"),
        "Okta calls in flight per account",
    ),
    setting(
        "OKTA_QUEUE_PER_ACCOUNT",
        "okta-queue-per-account",
        Some("256"),
        "Okta calls per account that may wait for a slot; more are shed with 429",
    ),
    Setting {
        alias: Some("https_proxy"),
        ..setting(
            "HTTPS_PROXY",
            "https-proxy",
            None,
            "Egress proxy for Okta calls over https (also https_proxy)",
        )
    },
    Setting {
        alias: Some("http_proxy"),
        ..setting(
            "HTTP_PROXY",
            "http-proxy",
            None,
            "Egress proxy for Okta calls over http (also http_proxy)",
        )
    },
    Setting {
        alias: Some("no_proxy"),
        ..setting(
            "NO_PROXY",
            "no-proxy",
            None,
            "Hosts reached without the proxy, curl's syntax (also no_proxy)",
        )
    },
    setting(
        "OKTA_MAX_RESPONSE_BYTES",
        "okta-max-response-bytes",
        Some("8388608"),
        "Largest Okta answer read (at least 1024); a larger one is a 502",
    ),
    setting(
        "MAX_CONCURRENT_REQUESTS",
        "max-concurrent-requests",
        Some("1024"),
        "Requests served at once; more are shed with 503",
    ),
    setting(
        "REQUEST_TIMEOUT_MS",
        "request-timeout-ms",
        Some("30000"),
        "Hard limit per request (longer than ACTION_DEADLINE_MS)",
    ),
    setting(
        "HEADER_READ_TIMEOUT_MS",
        "header-read-timeout-ms",
        Some("10000"),
        "Time a client gets to send its request headers",
    ),
    setting(
        "IDEMPOTENCY_TTL_SECS",
        "idempotency-ttl-secs",
        Some("86400"),
        "How long an Idempotency-Key's answer is kept for repeats",
    ),
    setting(
        "AUDIT_RETENTION_DAYS",
        "audit-retention-days",
        Some("90"),
        "Days audit rows are kept (at least 1); older ones are deleted hourly",
    ),
    setting(
        "OKTA_RATE_LIMIT_RESERVE_PERCENT",
        "okta-rate-limit-reserve-percent",
        Some("10"),
        "Share of each Okta rate-limit window (percent of its limit) left to the org's admins",
    ),
    setting(
        "MCP_REQUIRE_ELICITATION",
        "mcp-require-elicitation",
        Some("false"),
        "MCP: destructive tools run only after the user confirms through elicitation, never on confirm: true from the model",
    ),
];

impl Setting {
    /// The clap argument. Values are plain strings: [`Config::from_settings`] validates them,
    /// so problems name the variable and never echo a secret. Environment values are never
    /// shown in `--help`: they may be keys.
    fn arg(&self) -> Arg {
        let arg = Arg::new(self.var)
            .long(self.flag)
            .env(self.var)
            .hide_env_values(true)
            .help(self.help)
            .help_heading("Settings (flag or environment variable)")
            .global(true);
        match self.default {
            Some(default) => arg.default_value(default),
            None => arg,
        }
    }
}

/// The raw value of every setting given, by variable name (blank values count as unset).
/// No `Debug`: values may be keys.
#[derive(Clone, Default)]
pub struct Settings(BTreeMap<&'static str, String>);

impl Settings {
    /// The settings `lookup` holds (tests pass a map; the process environment is not read).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Settings {
        let names = SETTINGS
            .iter()
            .flat_map(|s| std::iter::once(s.var).chain(s.alias));
        Settings(
            names
                .filter_map(|var| Some((var, lookup(var).filter(|v| !v.trim().is_empty())?)))
                .collect(),
        )
    }

    /// The settings clap parsed into `matches` (flags over the environment over defaults);
    /// aliases, which are not arguments, come from `env`.
    fn from_matches(matches: &ArgMatches, env: impl Fn(&str) -> Option<String>) -> Settings {
        Settings::from_lookup(|var| match matches.try_get_one::<String>(var) {
            Ok(value) => value.cloned(),
            Err(_) => env(var),
        })
    }

    /// The value given for `var`, else its default.
    fn get(&self, var: &str) -> Option<String> {
        self.0.get(var).cloned().or_else(|| {
            SETTINGS
                .iter()
                .find(|s| s.var == var)
                .and_then(|s| s.default.map(str::to_owned))
        })
    }
}

impl clap::Args for Settings {
    fn augment_args(cmd: Command) -> Command {
        cmd.args(SETTINGS.iter().map(Setting::arg))
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        Settings::augment_args(cmd)
    }
}

impl FromArgMatches for Settings {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        Ok(Settings::from_matches(matches, |var| {
            std::env::var(var).ok()
        }))
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Settings::from_arg_matches(matches)?;
        Ok(())
    }
}

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
    /// `RUST_LOG`: a valid `tracing` filter.
    pub log_filter: String,
    pub okta: OktaSettings,
    /// Requests served at once; beyond it the gateway sheds with 503.
    pub max_concurrent_requests: usize,
    pub request_timeout: Duration,
    pub header_read_timeout: Duration,
    /// How long an idempotency key's stored answer is replayed.
    pub idempotency_ttl: Duration,
    /// How long audit rows are kept.
    pub audit_retention: Duration,
    /// MCP destructive tools need the user's confirmation through elicitation.
    pub mcp_require_elicitation: bool,
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
    /// Validate `settings`, as clap parsed them or [`Settings::from_lookup`] collected them.
    pub fn from_settings(settings: &Settings) -> Result<Config, ConfigError> {
        let get = |name: &str| settings.get(name);
        let config = Config {
            bind_addr: parse(&get, "BIND_ADDR")?,
            database_url: required(&get, "DATABASE_URL")?,
            db_pool_size: parse(&get, "DB_POOL_SIZE")?,
            db_busy_timeout: millis(&get, "DB_BUSY_TIMEOUT_MS")?,
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
            log_filter: log_filter(&get)?,
            okta: OktaSettings {
                extra_hosts: extra_hosts(&get)?,
                allow_insecure_loopback: parse_bool(&get, "OKTA_ALLOW_INSECURE_LOOPBACK")?,
                connect_timeout: millis(&get, "OKTA_CONNECT_TIMEOUT_MS")?,
                request_timeout: millis(&get, "OKTA_REQUEST_TIMEOUT_MS")?,
                action_deadline: millis(&get, "ACTION_DEADLINE_MS")?,
                max_in_flight_per_account: parse(&get, "OKTA_MAX_IN_FLIGHT_PER_ACCOUNT")?,
                queue_per_account: parse(&get, "OKTA_QUEUE_PER_ACCOUNT")?,
                proxy: proxy(&get)?,
                max_response_bytes: parse(&get, "OKTA_MAX_RESPONSE_BYTES")?,
                dns_overrides: Vec::new(),
                rate_limit_reserve_percent: parse(&get, "OKTA_RATE_LIMIT_RESERVE_PERCENT")?,
            },
            max_concurrent_requests: parse(&get, "MAX_CONCURRENT_REQUESTS")?,
            request_timeout: millis(&get, "REQUEST_TIMEOUT_MS")?,
            header_read_timeout: millis(&get, "HEADER_READ_TIMEOUT_MS")?,
            idempotency_ttl: secs(&get, "IDEMPOTENCY_TTL_SECS")?,
            audit_retention: days(&get, "AUDIT_RETENTION_DAYS")?,
            mcp_require_elicitation: parse_bool(&get, "MCP_REQUIRE_ELICITATION")?,
        };
        config.check()?;
        Ok(config)
    }

    /// Read the configuration through `lookup` alone (tests pass a map instead of the
    /// process environment).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        Config::from_settings(&Settings::from_lookup(lookup))
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
        if self.okta.rate_limit_reserve_percent > MAX_RATE_LIMIT_RESERVE_PERCENT {
            return Err(invalid(
                "OKTA_RATE_LIMIT_RESERVE_PERCENT",
                format!("must be 0 to {MAX_RATE_LIMIT_RESERVE_PERCENT}"),
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

/// A setting that has a default, so it always has a value.
fn required(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
) -> Result<String, ConfigError> {
    get(var).ok_or_else(|| invalid(var, "is required"))
}

fn parse<T: std::str::FromStr>(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
) -> Result<T, ConfigError> {
    let raw = required(get, var)?;
    raw.trim()
        .parse()
        .map_err(|_| invalid(var, format!("'{raw}' is not a valid value")))
}

fn millis(
    get: &impl Fn(&str) -> Option<String>,
    var: &'static str,
) -> Result<Duration, ConfigError> {
    let ms: u64 = parse(get, var)?;
    if ms == 0 {
        return Err(invalid(var, "must be at least 1 millisecond"));
    }
    Ok(Duration::from_millis(ms))
}

fn secs(get: &impl Fn(&str) -> Option<String>, var: &'static str) -> Result<Duration, ConfigError> {
    let secs: u64 = parse(get, var)?;
    if secs == 0 {
        return Err(invalid(var, "must be at least 1 second"));
    }
    Ok(Duration::from_secs(secs))
}

fn days(get: &impl Fn(&str) -> Option<String>, var: &'static str) -> Result<Duration, ConfigError> {
    let days: u32 = parse(get, var)?;
    if days == 0 {
        return Err(invalid(var, "must be at least 1 day"));
    }
    Ok(Duration::from_secs(u64::from(days) * 86_400))
}

fn log_filter(get: &impl Fn(&str) -> Option<String>) -> Result<String, ConfigError> {
    let raw = required(get, "RUST_LOG")?;
    tracing_subscriber::EnvFilter::try_new(&raw)
        .map_err(|err| invalid("RUST_LOG", format!("'{raw}' is not a log filter: {err}")))?;
    Ok(raw)
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
        assert_eq!(c.okta.rate_limit_reserve_percent, 10);
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
        for reserve in ["91", "-1", "ten"] {
            assert_eq!(
                config(&[("OKTA_RATE_LIMIT_RESERVE_PERCENT", reserve)])
                    .unwrap_err()
                    .var,
                "OKTA_RATE_LIMIT_RESERVE_PERCENT"
            );
        }
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

    /// The settings' command with the environment left out, so tests never read it.
    fn command() -> Command {
        Command::new("okta-gateway").args(SETTINGS.iter().map(|s| s.arg().env(None::<&str>)))
    }

    #[test]
    fn the_settings_command_is_well_formed_and_flags_follow_the_variables() {
        command().debug_assert();
        for s in SETTINGS {
            assert_eq!(s.flag, s.var.to_ascii_lowercase().replace('_', "-"));
            assert!(!s.help.contains('\n'), "{}: one line of help", s.var);
            if let Some(alias) = s.alias {
                assert_eq!(alias, s.var.to_ascii_lowercase());
            }
        }
        let store_default = crate::store::DEFAULT_BUSY_TIMEOUT.as_millis().to_string();
        let busy = SETTINGS.iter().find(|s| s.var == "DB_BUSY_TIMEOUT_MS");
        assert_eq!(busy.and_then(|s| s.default), Some(store_default.as_str()));
    }

    #[test]
    fn flags_are_parsed_by_clap_and_blank_values_fall_back_to_defaults() {
        let matches = command()
            .try_get_matches_from([
                "okta-gateway",
                "--bind-addr",
                "0.0.0.0:9090",
                "--log-format=json",
                "--db-pool-size",
                " ",
                "--gateway-admin-keys=-a-key-with-a-leading-dash",
            ])
            .unwrap();
        let env = |var: &str| (var == "https_proxy").then(|| "http://127.0.0.1:3128".to_owned());
        let c = Config::from_settings(&Settings::from_matches(&matches, env)).unwrap();
        assert_eq!(c.bind_addr.to_string(), "0.0.0.0:9090");
        assert_eq!(c.log_format, LogFormat::Json);
        assert_eq!(c.db_pool_size, 10);
        assert_eq!(c.admin_keys.len(), 1);
        assert_eq!(c.log_filter, DEFAULT_LOG_FILTER);
        assert!(c.okta.proxy.unwrap().https.is_some());
        let blank = config(&[("REQUEST_TIMEOUT_MS", "  "), ("LOG_FORMAT", "")]).unwrap();
        assert_eq!(blank.request_timeout, Duration::from_secs(30));
        assert_eq!(blank.log_format, LogFormat::Pretty);
    }

    #[test]
    fn an_invalid_log_filter_names_rust_log() {
        let err = config(&[("RUST_LOG", "info,sqlx=loud")]).unwrap_err();
        assert_eq!(err.var, "RUST_LOG");
        assert_eq!(
            config(&[("RUST_LOG", "warn,okta_gateway=debug")])
                .unwrap()
                .log_filter,
            "warn,okta_gateway=debug"
        );
    }

    #[test]
    fn the_data_dir_follows_the_sqlite_path() {
        let c = config(&[("DATABASE_URL", "sqlite:///tmp/x/gw.db?mode=rwc")]).unwrap();
        assert_eq!(c.data_dir().unwrap(), PathBuf::from("/tmp/x"));
        let pg = config(&[("DATABASE_URL", "postgres://localhost/db")]).unwrap();
        assert!(pg.data_dir().is_none());
    }
}
