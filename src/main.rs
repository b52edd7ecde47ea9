//! The `okta-gateway` command line: serve (default), migrate, rotate-key, healthcheck,
//! openapi, mcp --stdio.

use anyhow::Context;
use clap::{Parser, Subcommand};
use okta_gateway::config::{Config, Settings};
use okta_gateway::startup::Application;
use okta_gateway::{mcp_stdio, rotation, store, telemetry};

#[derive(Parser)]
#[command(
    version,
    about = "HTTP gateway that lets chatbot and agent flows manage an Okta organisation"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Every setting, for every command.
    #[command(flatten)]
    settings: Settings,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP service (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Re-encrypt every stored Okta token to the current (first) key of TOKEN_ENCRYPTION_KEYS,
    /// while gateways serve; with the embedded default's key file, to a newly generated key.
    RotateKey,
    /// Exit 0 if the gateway at BIND_ADDR answers `/readyz` with 200 (for container health
    /// checks; the image needs no curl).
    Healthcheck,
    /// Print the HTTP contract (openapi.yaml) as the code defines it; with --check, fail if
    /// ./openapi.yaml differs from it.
    Openapi {
        #[arg(long)]
        check: bool,
    },
    /// Bridge an MCP client that launches a process (stdio) to a running gateway's /mcp. The
    /// gateway key comes from OKTA_GATEWAY_KEY or --key-file, never from the command line.
    Mcp(McpArgs),
}

#[derive(clap::Args)]
struct McpArgs {
    /// Speak MCP on stdin/stdout (newline-delimited JSON-RPC).
    #[arg(long)]
    stdio: bool,
    /// The gateway's address, such as http://127.0.0.1:8080.
    #[arg(long, value_name = "GATEWAY")]
    url: String,
    /// A file holding the gateway key (else OKTA_GATEWAY_KEY is read).
    #[arg(long, value_name = "PATH")]
    key_file: Option<std::path::PathBuf>,
    /// Refused: a key on the command line is visible to every user (ps).
    #[arg(long, hide = true, allow_hyphen_values = true)]
    key: Option<String>,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve);
    // The contract needs neither configuration nor a runtime.
    if let Command::Openapi { check } = command {
        return openapi(check);
    }
    // One worker per CPU this process may run on; on a single CPU (a small container, or a
    // process pinned with taskset) the current-thread scheduler does the same work without
    // the multi-thread scheduler's cross-thread synchronisation.
    if let Command::Mcp(args) = command {
        return mcp(args);
    }
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let runtime = if cpus == 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(cpus)
            .enable_all()
            .build()?
    };
    runtime.block_on(run(command, &cli.settings))
}

async fn run(command: Command, settings: &Settings) -> anyhow::Result<()> {
    let config = Config::from_settings(settings)?;
    // The health check runs every few seconds in a container: it stays silent.
    if !matches!(command, Command::Healthcheck) {
        telemetry::init(config.log_format, &config.log_filter);
    }
    match command {
        Command::Healthcheck => healthcheck(&config).await,
        Command::Openapi { check } => openapi(check),
        Command::Mcp(args) => mcp(args),
        Command::Serve => Application::build(config).await?.run().await,
        Command::Migrate => {
            store::connect(&config.database_url, 1)
                .await
                .context("migrating the database")?;
            println!("migrations applied");
            Ok(())
        }
        Command::RotateKey => {
            // The one-shot form of earlier versions: refuse rather than ignore it silently.
            if std::env::var_os("NEW_TOKEN_ENCRYPTION_KEY").is_some() {
                anyhow::bail!(
                    "NEW_TOKEN_ENCRYPTION_KEY is no longer read: put the new key first in TOKEN_ENCRYPTION_KEYS, keeping the old one after it (see the README's key rotation). Nothing was changed"
                );
            }
            let store = store::connect(&config.database_url, 1).await?;
            let summary = rotation::rotate_key(&config, store.as_ref()).await?;
            println!("{summary}");
            Ok(())
        }
    }
}

fn openapi(check: bool) -> anyhow::Result<()> {
    let generated = okta_gateway::http::openapi::document(&okta_gateway::actions::Catalog::new())
        .map_err(anyhow::Error::msg)?;
    if !check {
        print!("{generated}");
        return Ok(());
    }
    let committed = std::fs::read_to_string("openapi.yaml").context("reading ./openapi.yaml")?;
    anyhow::ensure!(
        committed == generated,
        "openapi.yaml differs from the contract the code defines: run `cargo run -- openapi > openapi.yaml` and commit the result"
    );
    println!("openapi.yaml matches the code");
    Ok(())
}

/// The stdio bridge: none of the gateway's settings, only where it is and its key. Stdout is
/// the protocol; everything else goes to stderr.
fn mcp(args: McpArgs) -> anyhow::Result<()> {
    if args.key.is_some() {
        return Err(mcp_stdio::BridgeError::KeyOnCommandLine.into());
    }
    if !args.stdio {
        return Err(mcp_stdio::BridgeError::NoTransport.into());
    }
    let endpoint = mcp_stdio::endpoint(&args.url)?;
    let key = mcp_stdio::gateway_key(
        args.key_file.as_deref(),
        std::env::var(mcp_stdio::KEY_VAR).ok(),
    )?;
    let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".to_owned());
    telemetry::init(okta_gateway::config::LogFormat::Pretty, &filter);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let result = runtime.block_on(async {
        let (input, output) = rmcp::transport::stdio_pipes();
        mcp_stdio::bridge(&endpoint, &key, input, output).await
    });
    // A read of a terminal's stdin cannot be cancelled: do not wait for it on the way out.
    runtime.shutdown_background();
    Ok(result?)
}

async fn healthcheck(config: &Config) -> anyhow::Result<()> {
    let mut addr = config.bind_addr;
    if addr.ip().is_unspecified() {
        addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    okta_gateway::okta::client::install_crypto_provider();
    let response = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(3))
        .build()?
        .get(format!("http://{addr}/readyz"))
        .send()
        .await
        .context("the gateway does not answer")?;
    anyhow::ensure!(
        response.status().is_success(),
        "/readyz answered {}",
        response.status()
    );
    Ok(())
}
