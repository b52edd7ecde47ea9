//! `okta-gateway mcp --stdio`: for desktop MCP clients that launch a process, a bridge between
//! its standard streams (newline-delimited JSON-RPC, the MCP stdio transport) and a running
//! gateway's `/mcp` (Streamable HTTP). It forwards every message both ways unchanged, so the
//! client negotiates the protocol, its capabilities (elicitation) and its session with the
//! gateway itself, and sees `notifications/tools/list_changed`. It opens no database: the
//! gateway does the work. Stdout carries only the protocol; problems go to stderr.

use std::path::{Path, PathBuf};

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use rmcp::model::{ErrorData, RequestId, ServerJsonRpcMessage};
use rmcp::transport::async_rw::AsyncRwTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::{StreamableHttpClientTransport, Transport};
use rmcp::{RoleServer, service::RxJsonRpcMessage};
use secrecy::{ExposeSecret, SecretString};
use tokio::io::{AsyncRead, AsyncWrite};

/// The environment variable the gateway key is read from (unless `--key-file` names a file).
pub const KEY_VAR: &str = "OKTA_GATEWAY_KEY";

/// Why the bridge could not start or stopped. No variant carries the key.
#[derive(Debug, thiserror::Error)]
pub enum BridgeError {
    #[error(
        "--key is refused: a key on the command line is visible to every user of this machine (ps). Set {KEY_VAR} or pass --key-file <path>"
    )]
    KeyOnCommandLine,
    #[error("no gateway key: set {KEY_VAR} or pass --key-file <path>")]
    NoKey,
    #[error("the gateway key could not be read from {path}: {source}")]
    KeyFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the key file {0} is empty")]
    EmptyKeyFile(PathBuf),
    #[error("only the stdio bridge exists: run `okta-gateway mcp --stdio --url <gateway>`")]
    NoTransport,
    #[error(
        "--url must be the gateway's http:// or https:// address, such as http://127.0.0.1:8080"
    )]
    BadUrl,
    #[error("the HTTP client could not be built: {0}")]
    Client(#[from] reqwest::Error),
    #[error("the gateway at {url} did not take a message: {cause}")]
    Gateway { url: String, cause: String },
    #[error("the connection to the gateway at {0} ended")]
    GatewayGone(String),
    #[error("stdout could not be written: {0}")]
    Stdout(std::io::Error),
}

/// The gateway key: from `key_file` when given, else from `env` (the value of [`KEY_VAR`]).
pub fn gateway_key(
    key_file: Option<&Path>,
    env: Option<String>,
) -> Result<SecretString, BridgeError> {
    let key = match key_file {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|source| BridgeError::KeyFile {
                path: path.to_owned(),
                source,
            })?;
            let key = text.trim();
            if key.is_empty() {
                return Err(BridgeError::EmptyKeyFile(path.to_owned()));
            }
            key.to_owned()
        }
        None => env
            .map(|key| key.trim().to_owned())
            .filter(|key| !key.is_empty())
            .ok_or(BridgeError::NoKey)?,
    };
    Ok(SecretString::from(key))
}

/// `/mcp` at the gateway `url` (which may already end in `/mcp`).
pub fn endpoint(url: &str) -> Result<String, BridgeError> {
    let parsed = url::Url::parse(url).map_err(|_| BridgeError::BadUrl)?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
        return Err(BridgeError::BadUrl);
    }
    let base = url.trim_end_matches('/');
    Ok(if base.ends_with(crate::http::mcp::PATH) {
        base.to_owned()
    } else {
        format!("{base}{}", crate::http::mcp::PATH)
    })
}

/// Bridge `input`/`output` (the client's side) to the gateway's `/mcp` at `endpoint` until the
/// client closes `input` (then the gateway session is ended) or the gateway goes away.
pub async fn bridge<R, W>(
    endpoint: &str,
    key: &SecretString,
    input: R,
    output: W,
) -> Result<(), BridgeError>
where
    R: AsyncRead + Send + Unpin,
    W: AsyncWrite + Send + Unpin + 'static,
{
    crate::okta::client::install_crypto_provider();
    // No overall timeout: the session's event stream stays open while the client lives.
    let http = reqwest::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(10))
        .build()?;
    let config =
        StreamableHttpClientTransportConfig::with_uri(endpoint).auth_header(key.expose_secret());
    let mut gateway = StreamableHttpClientTransport::with_client(http, config);
    // The client's side: it sends what a server receives.
    let mut client = AsyncRwTransport::<RoleServer, R, W>::new_server(input, output);
    // Sends run concurrently but enter the gateway transport's queue in the order they were
    // pushed (first polls are in push order), so `notifications/initialized` follows
    // `initialize` and precedes what the client sends next.
    let mut sends = FuturesUnordered::new();
    let mut failure: Option<BridgeError> = None;
    let mut gone = false;
    loop {
        tokio::select! {
            message = client.receive() => {
                let Some(message) = message else { break };
                let id = request_id(&message);
                let sent = gateway.send(message);
                sends.push(async move { (id, sent.await) });
            }
            message = gateway.receive() => {
                let Some(message) = message else {
                    gone = true;
                    break;
                };
                client.send(message).await.map_err(BridgeError::Stdout)?;
            }
            Some((id, sent)) = sends.next(), if !sends.is_empty() => {
                if let Err(err) = sent {
                    let err = refused(endpoint, &err);
                    answer_failed(&mut client, id, &err).await?;
                    tracing::warn!("{err}");
                    failure.get_or_insert(err);
                }
            }
        }
    }
    // What the client sent last still reaches the gateway; a request it can no longer send is
    // answered, so the client does not wait for it.
    while let Some((id, sent)) = sends.next().await {
        if let Err(err) = sent {
            let err = refused(endpoint, &err);
            answer_failed(&mut client, id, &err).await?;
            failure.get_or_insert(err);
        }
    }
    // Ends the gateway session (DELETE /mcp), so the gateway stops serving it.
    if let Err(err) = gateway.close().await {
        tracing::warn!("ending the gateway session: {err}");
    }
    // Why a message failed says more than that the connection ended.
    match failure {
        Some(err) => Err(err),
        None if gone => Err(BridgeError::GatewayGone(endpoint.to_owned())),
        None => Ok(()),
    }
}

fn request_id(message: &RxJsonRpcMessage<RoleServer>) -> Option<RequestId> {
    match message {
        rmcp::model::JsonRpcMessage::Request(request) => Some(request.id.clone()),
        _ => None,
    }
}

fn refused(endpoint: &str, err: &impl std::fmt::Display) -> BridgeError {
    BridgeError::Gateway {
        url: endpoint.to_owned(),
        cause: err.to_string(),
    }
}

/// A JSON-RPC error for a request that never reached the gateway.
async fn answer_failed<R, W>(
    client: &mut AsyncRwTransport<RoleServer, R, W>,
    id: Option<RequestId>,
    err: &BridgeError,
) -> Result<(), BridgeError>
where
    R: AsyncRead + Send + Unpin,
    W: AsyncWrite + Send + Unpin + 'static,
{
    let Some(id) = id else { return Ok(()) };
    let answer =
        ServerJsonRpcMessage::error(ErrorData::internal_error(err.to_string(), None), Some(id));
    client.send(answer).await.map_err(BridgeError::Stdout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_endpoint_is_the_gateways_mcp_path() {
        assert_eq!(
            endpoint("http://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080/mcp"
        );
        assert_eq!(
            endpoint("https://gw.example.com/").unwrap(),
            "https://gw.example.com/mcp"
        );
        assert_eq!(
            endpoint("http://127.0.0.1:8080/mcp").unwrap(),
            "http://127.0.0.1:8080/mcp"
        );
        for bad in ["127.0.0.1:8080", "ftp://gw.example.com", "not a url"] {
            assert!(matches!(endpoint(bad), Err(BridgeError::BadUrl)), "{bad}");
        }
    }

    #[test]
    fn the_key_file_wins_over_the_environment_and_is_trimmed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        std::fs::write(&path, "file-key-0123456789\n").unwrap();
        let key = gateway_key(Some(&path), Some("env-key-0123456789".into())).unwrap();
        assert_eq!(key.expose_secret(), "file-key-0123456789");
        let key = gateway_key(None, Some(" env-key-0123456789 ".into())).unwrap();
        assert_eq!(key.expose_secret(), "env-key-0123456789");
    }

    #[test]
    fn a_missing_empty_or_unreadable_key_is_refused() {
        assert!(matches!(gateway_key(None, None), Err(BridgeError::NoKey)));
        assert!(matches!(
            gateway_key(None, Some("  ".into())),
            Err(BridgeError::NoKey)
        ));
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty");
        std::fs::write(&empty, "\n").unwrap();
        assert!(matches!(
            gateway_key(Some(&empty), None),
            Err(BridgeError::EmptyKeyFile(_))
        ));
        assert!(matches!(
            gateway_key(Some(&dir.path().join("absent")), None),
            Err(BridgeError::KeyFile { .. })
        ));
    }
}
