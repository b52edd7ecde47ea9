//! The `okta-gateway` command line: serve (default), migrate, rotate-key.

use anyhow::Context;
use clap::{Parser, Subcommand};
use okta_gateway::config::{Config, Settings};
use okta_gateway::startup::Application;
use okta_gateway::{rotation, store, telemetry};

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
