//! Connected Okta accounts: validation, token verification, encryption and storage.
//!
//! Order for a create: validate, verify with Okta (outside any database transaction, so a slow
//! Okta never holds a lock), then one insert transaction that checks the name and the cap.

use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use secrecy::ExposeSecret;
use serde::Serialize;

use crate::cache::AccountCache;
use crate::config::{ACCOUNT_CAP, MAX_RATE_LIMIT_RESERVE_PERCENT};
use crate::crypto::KeyRing;
use crate::error::{ApiError, FieldProblem};
use crate::okta::client::UNSTORED_ACCOUNT;
use crate::okta::governor::WindowView;
use crate::okta::oauth::ServiceKey;
use crate::okta::{Connection, Credentials, DomainPolicy, OAuthApp, OktaClient, OktaDomain};
use crate::params::{DefaultValue, Input, InputSchema, Kind, Param};
use crate::store::{
    AccountChanges, AccountRecord, AccountStore, NewAccount, OAuthColumns, StoredSecret,
};

const NAME: Param = Param::new(
    "name",
    Kind::String {
        min: 1,
        max: 64,
        pattern: Some((
            "^[a-z0-9_]+$",
            "must be 1 to 64 characters of lowercase letters, digits and underscores",
        )),
    },
    "Unique account name: 1 to 64 characters of a-z, 0-9 and _.",
);
const DOMAIN: Param = Param::new(
    "domain",
    Kind::String {
        min: 1,
        max: 255,
        pattern: None,
    },
    "Okta org URL, e.g. https://dev-12345.okta.com.",
);
const API_TOKEN: Param = Param::new(
    "apiToken",
    Kind::Secret { max: 512 },
    "Okta API token (Security > API > Tokens). Stored encrypted, never returned. Give either apiToken or oauth.",
);
const OAUTH: Param = Param::new(
    "oauth",
    Kind::ServiceApp,
    "An OAuth 2.0 service app (API Services app with public key / private key client authentication and Okta API scopes granted). Give either apiToken or oauth.",
);
const VERIFY: Param = Param::new(
    "verify",
    Kind::Boolean,
    "Check the credentials before storing them: a token with GET /api/v1/users/me; a service app by obtaining a token and making one read its scopes allow.",
)
.default(DefaultValue::Bool(true));

const RATE_LIMIT_RESERVE: Param = Param::new(
    "rateLimitReserve",
    Kind::Integer {
        min: 0,
        max: MAX_RATE_LIMIT_RESERVE_PERCENT as i64,
    },
    "Percent of each Okta rate-limit window kept for the org's admins: at that point calls wait for the reset. Default: OKTA_RATE_LIMIT_RESERVE_PERCENT.",
);

pub static CREATE_PARAMS: [Param; 6] = [
    NAME.required(),
    DOMAIN.required(),
    API_TOKEN,
    OAUTH,
    VERIFY,
    RATE_LIMIT_RESERVE,
];
pub static UPDATE_PARAMS: [Param; 5] = [DOMAIN, API_TOKEN, OAUTH, VERIFY, RATE_LIMIT_RESERVE];

/// How an account authenticates, as its public view names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum AuthType {
    ApiToken,
    #[serde(rename = "oauth")]
    OAuth,
}

/// An account as the API shows it: never the token.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountOut {
    pub name: String,
    pub domain: String,
    pub auth_type: AuthType,
    /// The service app's client id (OAuth only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The scopes Okta granted the service app (OAuth only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    pub created_at: String,
    pub updated_at: String,
    pub last_verified_at: Option<String>,
    pub last_error: Option<String>,
    /// The account's own rate-limit reserve (percent); absent: the gateway's default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_limit_reserve: Option<i16>,
    /// This replica's latest view of the org's rate-limit windows (only on
    /// `GET /accounts/{name}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_limits: Option<Vec<RateLimitOut>>,
}

/// One endpoint family's window, as the last Okta answer to this replica reported it (minus
/// the calls this replica has sent since).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RateLimitOut {
    pub family: &'static str,
    pub limit: u32,
    pub remaining: u32,
    pub resets_at: String,
}

impl From<WindowView> for RateLimitOut {
    fn from(window: WindowView) -> Self {
        RateLimitOut {
            family: window.family.as_str(),
            limit: window.limit,
            remaining: window.remaining,
            resets_at: timestamp(window.resets_at),
        }
    }
}

pub fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl From<AccountRecord> for AccountOut {
    fn from(row: AccountRecord) -> Self {
        let oauth = row.oauth();
        AccountOut {
            auth_type: match oauth {
                Some(_) => AuthType::OAuth,
                None => AuthType::ApiToken,
            },
            client_id: oauth.as_ref().map(|o| o.client_id.clone()),
            scopes: oauth.map(|o| o.scopes),
            name: row.name,
            domain: row.domain,
            created_at: timestamp(row.created_at),
            updated_at: timestamp(row.updated_at),
            last_verified_at: row.last_verified_at.map(timestamp),
            last_error: row.last_error,
            rate_limit_reserve: row.rate_limit_reserve,
            rate_limits: None,
        }
    }
}

/// The validated `rateLimitReserve`, if given.
fn reserve(input: &Input) -> Option<i16> {
    input
        .int("rateLimitReserve")
        .and_then(|p| i16::try_from(p).ok())
}

/// A short, secret-free description of a failed token check, kept as `lastError`.
fn describe_rejection(error: &ApiError) -> String {
    let code = error
        .details
        .okta
        .as_ref()
        .and_then(|o| o.error_code.as_deref())
        .map(|c| format!(" ({c})"))
        .unwrap_or_default();
    format!("{}{code}: {}", error.status.as_str(), error.message)
}

pub struct Accounts {
    store: Arc<dyn AccountStore>,
    cache: Arc<AccountCache>,
    cipher: KeyRing,
    okta: OktaClient,
    domains: DomainPolicy,
    create_schema: InputSchema,
    update_schema: InputSchema,
}

impl Accounts {
    pub fn new(
        store: Arc<dyn AccountStore>,
        cipher: KeyRing,
        okta: OktaClient,
        domains: DomainPolicy,
    ) -> Accounts {
        Accounts {
            cache: AccountCache::over(store.as_ref()),
            store,
            cipher,
            okta,
            domains,
            create_schema: InputSchema::new(&CREATE_PARAMS),
            update_schema: InputSchema::new(&UPDATE_PARAMS),
        }
    }

    pub fn create_schema(&self) -> &InputSchema {
        &self.create_schema
    }

    pub fn update_schema(&self) -> &InputSchema {
        &self.update_schema
    }

    pub async fn create(&self, body: serde_json::Value) -> Result<AccountOut, ApiError> {
        let no_credentials = body.is_object()
            && ["apiToken", "oauth"]
                .iter()
                .all(|k| body.get(k).is_none_or(serde_json::Value::is_null));
        // Every problem at once: the missing credentials with the schema's own.
        let missing_credentials = || {
            let problem = "one of apiToken and oauth is required";
            [
                FieldProblem::new("apiToken", problem),
                FieldProblem::new("oauth", problem),
            ]
        };
        let mut input = self.create_schema.validate(body).map_err(|mut problems| {
            if no_credentials {
                problems.extend(missing_credentials());
            }
            ApiError::invalid_fields(problems)
        })?;
        let name = input.str("name").unwrap_or_default().to_owned();
        // A required parameter, so validation guarantees it.
        let domain = self
            .domain(&input)?
            .ok_or_else(|| ApiError::internal("validated input lacks the domain"))?;
        let credentials = credentials(&mut input)?
            .ok_or_else(|| ApiError::invalid_fields(missing_credentials().into()))?;
        // Checked as no stored account: a create that fails leaves no per-name state behind.
        let (credentials, verified_at) = self
            .verify(UNSTORED_ACCOUNT, &input, &domain, credentials)
            .await?;
        let new = NewAccount {
            secret: self.seal(&name, &credentials)?,
            name,
            domain: domain.to_string(),
            verified_at,
            rate_limit_reserve: reserve(&input),
        };
        let created = self.store.create(new, ACCOUNT_CAP).await?;
        self.cache.invalidate(&created.name);
        Ok(created.into())
    }

    pub async fn list(&self) -> Result<Vec<AccountOut>, ApiError> {
        Ok(self
            .store
            .list()
            .await?
            .into_iter()
            .map(AccountOut::from)
            .collect())
    }

    pub async fn get(&self, name: &str) -> Result<AccountOut, ApiError> {
        let mut account = AccountOut::from(self.record(name).await?);
        account.rate_limits = Some(
            self.okta
                .rate_limits(&account.name)
                .into_iter()
                .map(RateLimitOut::from)
                .collect(),
        );
        Ok(account)
    }

    pub async fn update(
        &self,
        name: &str,
        body: serde_json::Value,
    ) -> Result<AccountOut, ApiError> {
        let current = self.record(name).await?;
        let mut input = self
            .update_schema
            .validate(body)
            .map_err(ApiError::invalid_fields)?;
        let domain = self.domain(&input)?;
        let credentials = credentials(&mut input)?;
        let domain_changes = domain
            .as_ref()
            .is_some_and(|d| d.as_str() != current.domain);
        let rate_limit_reserve = reserve(&input);
        match (&domain, &credentials) {
            (None, None) if rate_limit_reserve.is_none() => {
                let problem =
                    "at least one of domain, apiToken, oauth and rateLimitReserve is required";
                return Err(ApiError::invalid_fields(vec![
                    FieldProblem::new("domain", problem),
                    FieldProblem::new("apiToken", problem),
                    FieldProblem::new("oauth", problem),
                    FieldProblem::new("rateLimitReserve", problem),
                ]));
            }
            (Some(_), None) if domain_changes => {
                let problem = "apiToken or oauth is required when the domain changes, so stored credentials are never sent to a new host";
                return Err(ApiError::invalid_fields(vec![
                    FieldProblem::new("apiToken", problem),
                    FieldProblem::new("oauth", problem),
                ]));
            }
            _ => {}
        }
        let mut changes = AccountChanges {
            domain: domain.as_ref().map(ToString::to_string),
            rate_limit_reserve,
            ..AccountChanges::default()
        };
        if let Some(credentials) = credentials {
            let target = domain.unwrap_or_else(|| OktaDomain::from_stored(current.domain.clone()));
            let (credentials, verified_at) =
                self.verify(name, &input, &target, credentials).await?;
            changes.verified_at = verified_at;
            changes.secret = Some(self.seal(name, &credentials)?);
        }
        let updated = self.store.update(name, changes).await;
        self.cache.invalidate(name);
        updated?
            .map(AccountOut::from)
            .ok_or_else(|| ApiError::account_not_found(name))
    }

    pub async fn delete(&self, name: &str) -> Result<(), ApiError> {
        let deleted = self.store.delete(name).await;
        self.cache.invalidate(name);
        if deleted? {
            self.okta.forget(name);
            Ok(())
        } else {
            Err(ApiError::account_not_found(name))
        }
    }

    /// Re-check the stored token against Okta, recording the outcome on the account.
    pub async fn test(&self, name: &str) -> Result<AccountOut, ApiError> {
        let connection = self.connection(name).await?;
        let outcome = self
            .okta
            .verify(connection)
            .await
            .map(drop)
            .map_err(ApiError::from);
        let error = outcome.as_ref().err().map(describe_rejection);
        self.store
            .record_check(name, Utc::now(), error.as_deref())
            .await?;
        outcome?;
        self.get(name).await
    }

    /// Remember that Okta refused the account's token during an action.
    pub async fn record_rejection(&self, name: &str, error: &ApiError) {
        let message = describe_rejection(error);
        if let Err(err) = self
            .store
            .record_check(name, Utc::now(), Some(&message))
            .await
        {
            tracing::warn!(account = name, error = %err, "could not record the token rejection");
        }
    }

    /// The domain and decrypted token of an account, for calling Okta: from the cache in
    /// steady state, no database round-trip.
    pub async fn connection(&self, name: &str) -> Result<Arc<Connection>, ApiError> {
        if let Some(cached) = self.cache.get(name) {
            return Ok(cached);
        }
        let generation = self.cache.generation();
        let row = self.record(name).await?;
        let secret = self.cipher.decrypt(&row.name, &row.secret_ciphertext)?;
        let credentials = match row.oauth() {
            Some(app) => Credentials::OAuth(OAuthApp {
                client_id: app.client_id,
                private_key: secret,
                key_id: app.key_id,
                scopes: app.scopes,
            }),
            None => Credentials::ApiToken(secret),
        };
        let connection = Arc::new(
            Connection::new(
                Arc::from(row.name),
                OktaDomain::from_stored(row.domain),
                credentials,
            )
            .with_rate_limit_reserve(row.rate_limit_reserve.and_then(|p| u8::try_from(p).ok())),
        );
        self.cache.insert(generation, connection.clone());
        Ok(connection)
    }

    async fn record(&self, name: &str) -> Result<AccountRecord, ApiError> {
        self.store
            .get(name)
            .await?
            .ok_or_else(|| ApiError::account_not_found(name))
    }

    fn domain(&self, input: &Input) -> Result<Option<OktaDomain>, ApiError> {
        input
            .str("domain")
            .map(|raw| {
                self.domains
                    .validate(raw)
                    .map_err(|problem| ApiError::invalid_field("domain", problem.0))
            })
            .transpose()
    }

    /// Verify the credentials unless the caller opted out; returns them (a service app with
    /// the scopes Okta granted it) and when they were verified.
    async fn verify(
        &self,
        name: &str,
        input: &Input,
        domain: &OktaDomain,
        credentials: Credentials,
    ) -> Result<(Credentials, Option<DateTime<Utc>>), ApiError> {
        if input.bool("verify") == Some(false) {
            return Ok((credentials, None));
        }
        if let Credentials::ApiToken(token) = &credentials {
            self.okta.verify_token(name, domain, token).await?;
            return Ok((credentials, Some(Utc::now())));
        }
        let connection = Arc::new(Connection::new(
            Arc::from(name),
            domain.clone(),
            credentials,
        ));
        let granted = self.okta.verify(connection.clone()).await?;
        let (app, _) = connection
            .oauth()
            .ok_or_else(|| ApiError::internal("a service app's connection lost its settings"))?;
        let mut app = app.clone();
        // Okta may grant fewer scopes than asked for: the account keeps what it got.
        if !granted.is_empty() {
            app.scopes = granted;
        }
        Ok((Credentials::OAuth(app), Some(Utc::now())))
    }

    /// Encrypt an account's secret for storage, with what kind of secret it is.
    fn seal(&self, name: &str, credentials: &Credentials) -> Result<StoredSecret, ApiError> {
        Ok(match credentials {
            Credentials::ApiToken(token) => StoredSecret {
                ciphertext: self.cipher.encrypt(name, token)?,
                oauth: None,
            },
            Credentials::OAuth(app) => StoredSecret {
                ciphertext: self.cipher.encrypt(name, &app.private_key)?,
                oauth: Some(OAuthColumns {
                    client_id: app.client_id.clone(),
                    key_id: app.key_id.clone(),
                    scopes: app.scopes.clone(),
                }),
            },
        })
    }
}

/// The credentials a request gives, if any: an API token or a service app (never both). A
/// service app's private key is read here, so a key that cannot sign is refused before Okta
/// is called or anything is stored.
fn credentials(input: &mut Input) -> Result<Option<Credentials>, ApiError> {
    let token = input.take_secret("apiToken");
    let key = input.take_secret("oauth");
    match (token, key, input.object("oauth")) {
        (Some(_), Some(_), _) => {
            let problem = "give either apiToken or oauth, not both";
            Err(ApiError::invalid_fields(vec![
                FieldProblem::new("apiToken", problem),
                FieldProblem::new("oauth", problem),
            ]))
        }
        (Some(token), None, _) => Ok(Some(Credentials::ApiToken(token))),
        (None, Some(private_key), Some(app)) => {
            ServiceKey::parse(private_key.expose_secret())
                .map_err(|err| ApiError::invalid_field("oauth.privateKey", &err.to_string()))?;
            let text = |member: &str| app.get(member).and_then(|v| v.as_str()).map(str::to_owned);
            let scopes = app
                .get("scopes")
                .and_then(|v| v.as_array())
                .map(|scopes| {
                    scopes
                        .iter()
                        .filter_map(|s| s.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            Ok(Some(Credentials::OAuth(OAuthApp {
                client_id: text("clientId").unwrap_or_default(),
                private_key,
                key_id: text("keyId"),
                scopes,
            })))
        }
        _ => Ok(None),
    }
}
